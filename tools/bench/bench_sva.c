/* SPDX-License-Identifier: MIT */
/*
 * bench_sva: shared virtual addressing's three costs (docs/sva.md), each
 * beside a baseline measured in the same run:
 *
 *   SVA DMA hit       an 8-byte read through a bound PASID of a page the
 *                     device TLB holds, beside the same read through a
 *                     paging domain's IOVA (both: ATS device-TLB hits)
 *   PRI round trip    a DMA to a page the process never touched: ATS no
 *                     access, page request, handle_mm_fault, Success, a
 *                     second translation request; beside a DMA to a touched
 *                     page that misses the device TLB (one translation
 *                     request and walk)
 *   munmap at 10^4    a page unmapped in one bound process (the notifier's
 *                     flush of one PASID), mapped and touched again, with
 *                     10^4 processes bound to the device, beside the same
 *                     with one process bound: per-PASID invalidation must
 *                     not grow with the bonds
 *
 * Prints ns per operation (median of a few timed runs) and the ratios.
 * Figures only, never pass or fail.
 *
 * Usage: bench_sva [scale] [bonds]   (scale multiplies repetitions;
 *                                     bonds: 10000 by default)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench/bench_common.h"
#include "sim/cpu_pgtable.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/sva.h"

#define SAMPLES 7
#define PG SIM_PAGE_SIZE
#define RWP (SIM_PROT_READ | SIM_PROT_WRITE)
#define ANON (SIM_MAP_PRIVATE | SIM_MAP_ANONYMOUS)
#define IOVA 0x100000ull

struct bench {
	struct sim_world *w;
	struct sim_dev *dev;
	struct pci_dev *pdev;
	struct sim_proc *p;
	uint64_t va;
	uint64_t sink;
};

static void die(const char *what, long ret)
{
	fprintf(stderr, "bench_sva: %s: %ld\n", what, ret);
	exit(1);
}

/* A VT-d machine, one ATS + PRI function with a 20-bit PASID, the kernel
 * layers, the stale checker off (the model's default). */
static void setup(struct bench *b)
{
	struct pci_dev_spec specs[] = {
		{ .sbdf = PCI_SBDF(0, 0, PCI_DEVFN(1, 0)), .type = PCI_TYPE_ROOT_PORT,
		  .has_acs = true, .acs_cap = PCI_ACS_REQ, .acs_quirk = -1 },
		{ .sbdf = PCI_SBDF(0, 1, 0), .type = PCI_TYPE_ENDPOINT, .has_parent = true,
		  .parent = PCI_SBDF(0, 0, PCI_DEVFN(1, 0)), .ats = true, .pri = true,
		  .pasid_width = 20, .acs_quirk = -1 },
	};
	struct iommu_hw_config cfg;
	struct iommu_profile prof = { .address_width = 48, .paging_stage = 1 };
	struct pci_build_error err = { 0 };
	struct sim_cred root = { 0 };
	long ret;

	iommu_hw_config_default(&cfg);
	cfg.pasid_bits = 20;
	b->w = sim_world_create(1);
	if ((ret = pci_topology_create(b->w, specs, 2, &err)))
		die(err.msg, ret);
	if ((ret = iommu_core_create(b->w, IOMMU_GROUP_LEGACY)) || (ret = iommu_hw_create(b->w, &cfg)) ||
	    (ret = iommu_domains_init(b->w, &prof)))
		die("boot", ret);
	sim_world_set_mmu(b->w, SIM_MMU_X86_64_4L);
	b->dev = sim_dev_lookup(b->w, "0000:01:00.0");
	b->pdev = pci_dev_find(b->w, PCI_SBDF(0, 1, 0));
	b->p = sim_proc_find(b->w, sim_proc_create(b->w, 1, "app", &root, 0));
	if ((ret = iommu_sva_enable(b->pdev)))
		die("sva enable", ret);
}

static int last_reason;

static int dma(struct bench *b, bool pasid, uint64_t addr)
{
	uint64_t v = 0;
	struct sim_dma op = { .addr = addr, .pasid = 1, .pasid_valid = pasid, .buf = &v,
			      .len = 8 };
	int ret = sim_dev_dma_h(b->w, b->dev, &op);

	b->sink += v;
	last_reason = op.fault_reason;
	return ret;
}

static double per_op(double t0, unsigned n)
{
	return (bench_now_ns() - t0) / n;
}

int main(int argc, char **argv)
{
	unsigned scale = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
	unsigned nbonds = argc > 2 ? (unsigned)atoi(argv[2]) : 10000;
	unsigned reps = 20000 * (scale ? scale : 1), pages = 2000 * (scale ? scale : 1);
	double hit[SAMPLES], base_hit[SAMPLES], pri[SAMPLES], miss[SAMPLES];
	double un1[SAMPLES], unn[SAMPLES];
	struct bench b = { 0 };
	struct iommu_domain *paging;
	struct iommu_sva *h;
	int err;

	setup(&b);
	/* the SVA side: app bound, one page touched */
	if (sim_mm_mmap(b.p->mm, 0, ((uint64_t)pages * 2 + 1) * PG, RWP, ANON, NULL, 0, "buf",
			&b.va) ||
	    sim_mm_touch(b.p->mm, b.va, PG, true))
		die("mmap", 0);
	if (!(h = iommu_sva_bind_device(b.pdev, b.p->mm, &err)))
		die("bind", err);
	/* the baseline: a paging domain on the RID path, one page mapped */
	paging = b.pdev->group->domain;
	if ((err = iommu_map(paging, IOVA, SIM_MEM_BASE + 64 * PG, PG, IOMMU_READ | IOMMU_WRITE)))
		die("map", err);
	if (dma(&b, true, b.va) || dma(&b, false, IOVA))
		die("warm", -1);
	for (unsigned s = 0; s < SAMPLES; s++) {
		double t0 = bench_now_ns();

		for (unsigned i = 0; i < reps; i++)
			dma(&b, true, b.va);
		hit[s] = per_op(t0, reps);
		t0 = bench_now_ns();
		for (unsigned i = 0; i < reps; i++)
			dma(&b, false, IOVA);
		base_hit[s] = per_op(t0, reps);
	}
	/* PRI round trips: untouched pages, then the same pages again after
	 * a munmap/mmap would change two things at once: instead fresh pages
	 * of the buffer per sample, and the baseline reads touched pages that
	 * miss the device TLB (each page once, the TLB smaller than the run) */
	for (unsigned s = 0; s < SAMPLES; s++) {
		uint64_t base = b.va + PG + (uint64_t)(s % 2) * pages * PG;
		double t0;

		if (s >= 2 && sim_mm_munmap(b.p->mm, b.va + PG, (uint64_t)pages * 2 * PG))
			die("munmap", 0);
		if (s >= 2 && (err = sim_mm_mmap(b.p->mm, b.va + PG, (uint64_t)pages * 2 * PG, RWP,
						 ANON | SIM_MAP_FIXED, NULL, 0, "buf", &(uint64_t){ 0 })))
			die("mmap again", err);
		t0 = bench_now_ns();
		for (unsigned i = 0; i < pages; i++)
			if (dma(&b, true, base + (uint64_t)i * PG))
				die("pri dma (fault reason)", last_reason);
		pri[s] = per_op(t0, pages);
		t0 = bench_now_ns();
		for (unsigned i = 0; i < pages; i++)
			dma(&b, true, base + (uint64_t)((i * 7919u) % pages) * PG);
		miss[s] = per_op(t0, pages);
	}
	/* munmap of one page in one bound process: one bond, then nbonds */
	for (int round = 0; round < 2; round++) {
		double *out = round ? unn : un1;

		if (round) {
			struct sim_cred c = { .uid = 1000, .gid = 1000 };

			for (unsigned i = 1; i < nbonds; i++) {
				struct sim_proc *q = sim_proc_find(b.w, sim_proc_create(b.w, 1, "q", &c,
											  0));
				uint64_t qva;

				if (!q || sim_mm_mmap(q->mm, 0, PG, RWP, ANON, NULL, 0, "q", &qva) ||
				    sim_mm_touch(q->mm, qva, PG, true) ||
				    !iommu_sva_bind_device(b.pdev, q->mm, &err))
					die("bond", (long)i);
			}
		}
		for (unsigned s = 0; s < SAMPLES; s++) {
			double t0 = bench_now_ns();

			for (unsigned i = 0; i < reps / 10; i++) {
				sim_mm_munmap(b.p->mm, b.va, PG);
				sim_mm_mmap(b.p->mm, b.va, PG, RWP, ANON | SIM_MAP_FIXED, NULL, 0, "buf",
					    &(uint64_t){ 0 });
				sim_mm_touch(b.p->mm, b.va, PG, true);
			}
			out[s] = per_op(t0, reps / 10);
		}
	}
	{
		double mh = bench_median(hit, SAMPLES), mb = bench_median(base_hit, SAMPLES);
		double mp = bench_median(pri, SAMPLES), mm = bench_median(miss, SAMPLES);
		double m1 = bench_median(un1, SAMPLES), mn = bench_median(unn, SAMPLES);

		printf("bench_sva (VT-d, ATS + PRI function, stale checker off; median of %u runs)\n",
		       SAMPLES);
		printf("  SVA DMA, device-TLB hit          %8.1f ns   paging-domain IOVA hit %8.1f ns"
		       "   ratio %.2f\n", mh, mb, mh / mb);
		printf("  PRI round trip (untouched page)  %8.1f ns   touched page, TLB miss %8.1f ns"
		       "   ratio %.2f\n", mp, mm, mp / mm);
		printf("  munmap+mmap+touch, %5u bonds    %8.1f ns   with 1 bond            %8.1f ns"
		       "   ratio %.2f\n", nbonds, mn, m1, mn / m1);
	}
	if (b.sink == 42)
		puts("");
	sim_world_destroy(b.w);
	return 0;
}
