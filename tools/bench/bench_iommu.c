/* SPDX-License-Identifier: MIT */
/*
 * bench_iommu: figures for the IOMMU hardware model's hot paths, each beside
 * its naive baseline.  Prints numbers only; it never passes or fails on time
 * (docs: benchmarks gate on ratios measured in one run, if at all).
 *
 *   map 1 GiB: largest leaves vs the naive per-page loop
 *   IOTLB hit path at capacity 512: hash vs linear scan (ns per translation)
 *   cold walks: descriptor references per walk for 3/4/5 levels and each leaf
 *
 * Usage: bench_iommu [scale]   (scale multiplies the repetition counts)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/world.h"
#include "model/iommu/hw.h"
#include "model/iommu/pgtable.h"

#define RW (IOMMU_READ | IOMMU_WRITE)

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, long ret)
{
	fprintf(stderr, "bench_iommu: %s: %ld\n", what, ret);
	exit(1);
}

/* ns per map+unmap of 1 GiB at an output of alignment @hpa_align. */
static double map_1g(int naive, uint64_t hpa, unsigned reps, uint64_t *tables)
{
	struct sim_world *w = sim_world_create(1);
	struct io_pgtable pt;
	double t0, t;
	long ret;

	if ((ret = io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 4)))
		die("init", ret);
	t0 = now_ns();
	for (unsigned i = 0; i < reps; i++) {
		ret = naive ? io_pgtable_map_naive(&pt, SZ_1G, hpa, SZ_1G, RW)
			    : io_pgtable_map(&pt, SZ_1G, hpa, SZ_1G, RW);
		if (ret)
			die("map", ret);
		*tables = pt.table_pages;
		if ((ret = (long)io_pgtable_unmap(&pt, SZ_1G, SZ_1G)) != (long)SZ_1G)
			die("unmap", ret);
	}
	t = (now_ns() - t0) / reps;
	io_pgtable_destroy(&pt);
	sim_world_destroy(w);
	return t;
}

static void bench_map(unsigned scale)
{
	uint64_t tab_1g, tab_2m, tab_naive;
	double leaf1g = map_1g(0, 4 * SZ_1G, 2000 * scale, &tab_1g);
	double leaf2m = map_1g(0, 4 * SZ_1G + SZ_2M, 200 * scale, &tab_2m);
	double naive = map_1g(1, 4 * SZ_1G, scale, &tab_naive);

	printf("map+unmap 1 GiB (4-level vtd-ss)\n");
	printf("  %-34s %12.0f ns  %6llu tables\n", "largest leaves (one 1G leaf)", leaf1g,
	       (unsigned long long)tab_1g);
	printf("  %-34s %12.0f ns  %6llu tables\n", "largest leaves (512 2M leaves)", leaf2m,
	       (unsigned long long)tab_2m);
	printf("  %-34s %12.0f ns  %6llu tables\n", "naive per-page (262144 4K leaves)", naive,
	       (unsigned long long)tab_naive);
	printf("  ratio naive / 1G leaf: %.0fx   naive / 2M leaves: %.0fx\n\n",
	       naive / leaf1g, naive / leaf2m);
}

/* ns per translation over @pages pages that all hit in a 512-entry IOTLB. */
static double iotlb_hits(int naive, unsigned pages, unsigned rounds, uint64_t *hits)
{
	struct iommu_hw_config cfg = { .iotlb_entries = 512, .naive_iotlb = naive,
				       .fault_queue_len = 16 };
	struct sim_world *w = sim_world_create(1);
	struct io_pgtable pt;
	struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE, .did = 1, .s2_levels = 4 };
	struct iommu_xlate x;
	struct iommu_hw_stats st;
	double t0, t;

	if (iommu_hw_create(w, &cfg) || io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 4) ||
	    io_pgtable_map_naive(&pt, 0, SZ_1G, (uint64_t)pages * SZ_4K, RW))
		die("setup", -1);
	c.s2_root = pt.root;
	if (iommu_hw_set_context(w, 0, 0x0100, &c))
		die("context", -1);
	for (unsigned p = 0; p < pages; p++)         /* warm: one miss each */
		iommu_hw_translate(w, 0, 0x0100, false, 0, (uint64_t)p * SZ_4K, false, &x);
	t0 = now_ns();
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned p = 0; p < pages; p++)
			iommu_hw_translate(w, 0, 0x0100, false, 0, (uint64_t)p * SZ_4K + 8, true, &x);
	t = (now_ns() - t0) / ((double)rounds * pages);
	iommu_hw_stats(w, &st);
	*hits = st.iotlb_hits;
	io_pgtable_destroy(&pt);
	sim_world_destroy(w);
	return t;
}

static void bench_iotlb(unsigned scale)
{
	uint64_t hh, hn;
	double h = iotlb_hits(0, 512, 400 * scale, &hh);
	double n = iotlb_hits(1, 512, 40 * scale, &hn);

	printf("IOTLB hit path, capacity 512, 512 pages hot (whole translation incl. context fetch)\n");
	printf("  %-34s %12.1f ns/translation  %.2fM/s  (%llu hits)\n", "hash", h, 1e3 / h,
	       (unsigned long long)hh);
	printf("  %-34s %12.1f ns/translation  %.2fM/s  (%llu hits)\n", "naive linear scan", n,
	       1e3 / n, (unsigned long long)hn);
	printf("  ratio naive / hash: %.1fx\n\n", n / h);
}

/* A cold translation: the IOTLB emptied first. */
static void cold_walk(unsigned levels, uint64_t leaf, unsigned reps)
{
	struct sim_world *w = sim_world_create(1);
	struct io_pgtable pt;
	struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE, .did = 9, .s2_levels = levels };
	struct iommu_xlate x = { 0 };
	double t0, t;

	if (iommu_hw_create(w, NULL) || io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, levels) ||
	    io_pgtable_map(&pt, 4 * SZ_1G, 8 * SZ_1G, leaf, RW))
		die("setup", -1);
	c.s2_root = pt.root;
	if (iommu_hw_set_context(w, 0, 0x0100, &c))
		die("context", -1);
	t0 = now_ns();
	for (unsigned i = 0; i < reps; i++) {
		iommu_hw_inv_domain(w, 9);
		if (iommu_hw_translate(w, 0, 0x0100, false, 0, 4 * SZ_1G + 0x10, false, &x))
			die("translate", -1);
	}
	t = (now_ns() - t0) / reps;
	printf("  %u levels, %-4s leaf   %u page-table refs  %u context refs  %8.1f ns\n", levels,
	       leaf == SZ_4K ? "4K" : leaf == SZ_2M ? "2M" : "1G", x.pt_refs, x.ctx_refs, t);
	io_pgtable_destroy(&pt);
	sim_world_destroy(w);
}

int main(int argc, char **argv)
{
	unsigned scale = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 1;
	static const uint64_t leaves[] = { SZ_4K, SZ_2M, SZ_1G };

	if (!scale)
		scale = 1;
	bench_map(scale);
	bench_iotlb(scale);
	printf("cold walks (IOTLB invalidated before each; ns include the invalidation)\n");
	for (unsigned levels = 3; levels <= 5; levels++)
		for (unsigned i = 0; i < 3; i++)
			cold_walk(levels, leaves[i], 100000 * scale);
	return 0;
}
