/* SPDX-License-Identifier: MIT */
/*
 * bench_iommu: figures for the IOMMU hardware model's hot paths, each beside
 * its naive baseline measured in the same run.  Prints numbers only; it
 * never passes or fails on time (docs: benchmarks gate on ratios measured in
 * one run, if at all).  Reference, hit and drop counts are exact and the
 * same on every run; only the ns figures vary.
 *
 *   map 1 GiB: largest leaves vs the naive per-page loop
 *   IOTLB hit path at capacity 512: hash vs linear scan (ns per translation)
 *   cold walks: descriptor references per walk for 3/4/5 levels and each leaf
 *   cold nested walks, every cache off: 4+4 (24 descriptor reads) and 5+5
 *     (35), context and PASID reads apart, beside a single-stage walk of
 *     the same stage-2 table
 *   warm nested walk: paging-structure cache on (hits, refs) and an IOTLB
 *     hit, beside the cold walk
 *   IOTLB hit path with PASID tags: 64 PASIDs x 8 and x 64 pages on one
 *     device, hash vs linear scan, hit rate
 *   device-TLB (ATS) hit beside the same device's IOTLB hit without ATS
 *   invalidation at 64/512/4096 entries: IOTLB by domain, PASID and one
 *     page, device TLB by PASID and one page, ns per command and per entry
 *     dropped, hash/generation vs linear scan; then one domain's (one
 *     PASID's) invalidation beside a growing number of other entries
 *   host memory: sim_mem_read64 at random over 1e3 and 1e6 live frames
 *     (ns per read); 262144 frames allocated one by one vs alloc_n (ms)
 *
 *   goals: issue 11's goal table, each row beside the reference model's
 *     figures and its uncached baselines
 *   scale: hit and miss cost over 10^3..10^6 mappings and 10..10^4 PASIDs
 *
 * Usage: bench_iommu [scale [section]]   (scale multiplies the repetition
 * counts; section runs one part alone: map, iotlb, walks, nested, pasid,
 * ats, inval, mem, goals, scale)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/bench/bench_common.h"
#include "sim/mem.h"
#include "sim/world.h"
#include "model/iommu/hw.h"
#include "model/iommu/pgtable.h"

#define RW (IOMMU_READ | IOMMU_WRITE)

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
	t0 = bench_now_ns();
	for (unsigned i = 0; i < reps; i++) {
		ret = naive ? io_pgtable_map_naive(&pt, SZ_1G, hpa, SZ_1G, RW)
			    : io_pgtable_map(&pt, SZ_1G, hpa, SZ_1G, RW);
		if (ret)
			die("map", ret);
		*tables = pt.table_pages;
		if ((ret = (long)io_pgtable_unmap(&pt, SZ_1G, SZ_1G)) != (long)SZ_1G)
			die("unmap", ret);
	}
	t = (bench_now_ns() - t0) / reps;
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
	t0 = bench_now_ns();
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned p = 0; p < pages; p++)
			iommu_hw_translate(w, 0, 0x0100, false, 0, (uint64_t)p * SZ_4K + 8, true, &x);
	t = (bench_now_ns() - t0) / ((double)rounds * pages);
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
	t0 = bench_now_ns();
	for (unsigned i = 0; i < reps; i++) {
		iommu_hw_inv_domain(w, 9);
		if (iommu_hw_translate(w, 0, 0x0100, false, 0, 4 * SZ_1G + 0x10, false, &x))
			die("translate", -1);
	}
	t = (bench_now_ns() - t0) / reps;
	printf("  %u levels, %-4s leaf   %u page-table refs  %u context refs  %8.1f ns\n", levels,
	       leaf == SZ_4K ? "4K" : leaf == SZ_2M ? "2M" : "1G", x.pt_refs, x.ctx_refs, t);
	io_pgtable_destroy(&pt);
	sim_world_destroy(w);
}

/* ---- helpers of the sections below ----------------------------------------------------- */

#define RID_A 0x0100                 /* 01:00.0, the device of every section below */

static void ck(long ret, const char *what)
{
	if (ret)
		die(what, ret);
}

/* What one bench_now_ns() pair costs (median), taken off timings of a few commands. */
static double timer_overhead(void)
{
	enum { SAMPLES = 10001 };
	static double v[SAMPLES];

	for (unsigned i = 0; i < SAMPLES; i++) {
		double t0 = bench_now_ns();

		v[i] = bench_now_ns() - t0;
	}
	return bench_median(v, SAMPLES);
}

static struct iommu_hw_stats hw_stats(struct sim_world *w)
{
	struct iommu_hw_stats st;

	iommu_hw_stats(w, &st);
	return st;
}

/* ---- nested walks: a guest's stage-1 table in guest memory ----------------------------- */

#define GVA_BASE   0x7f0000000000ull  /* stage-1 input, 2 MiB aligned */
#define GPA_POOL   0x100000ull        /* the guest pages stage-1 tables live in */
#define GPA_DATA   SZ_1G              /* what stage 1 maps GVA_BASE to */
#define HPA_DATA   (8 * SZ_1G)        /* what stage 2 maps GPA_DATA to */
#define GMEM_PAGES 16

/*
 * Guest memory for stage-1 tables (struct io_pgtable_mem): host frames
 * handed out in order, each mapped at its GPA by the stage-2 table with a
 * 4 KiB leaf, so a stage-1 descriptor fetch costs a whole stage-2 walk.
 */
struct gmem {
	struct sim_world *w;
	struct io_pgtable *s2;
	uint64_t hpa[GMEM_PAGES];
	unsigned used;
};

static int gmem_alloc(void *ctx, unsigned frames, uint64_t *addr)
{
	struct gmem *g = ctx;
	unsigned first = (g->used + frames - 1) / frames * frames;

	if (!frames || first + frames > GMEM_PAGES)
		return -ENOMEM;
	for (unsigned i = first; i < first + frames; i++) {
		ck(sim_mem_frame_alloc(g->w, SIM_FRAME_USER, &g->hpa[i]), "guest frame");
		ck(io_pgtable_map_naive(g->s2, GPA_POOL + (uint64_t)i * SZ_4K, g->hpa[i], SZ_4K,
					RW), "guest frame map");
	}
	g->used = first + frames;
	*addr = GPA_POOL + (uint64_t)first * SZ_4K;
	return 0;
}

static void gmem_free(void *ctx, uint64_t addr, unsigned frames)
{
	struct gmem *g = ctx;
	unsigned first = (unsigned)((addr - GPA_POOL) / SZ_4K);

	for (unsigned i = first; i < first + frames; i++) {
		io_pgtable_unmap(g->s2, GPA_POOL + (uint64_t)i * SZ_4K, SZ_4K);
		sim_mem_frame_put(g->w, g->hpa[i]);
		g->hpa[i] = 0;
	}
}

static uint64_t gmem_to_hpa(void *ctx, uint64_t addr)
{
	struct gmem *g = ctx;

	return g->hpa[(addr - GPA_POOL) / SZ_4K] + (addr & (SZ_4K - 1));
}

/*
 * Device RID_A with two ways in over one stage-2 table of @levels levels
 * (the guest's RAM): the RID path (PASID entry 0, stage 2 only, domain 1),
 * which walks GPA_DATA in one stage, and PASID 1 (nested, domain 2), which
 * walks GVA_BASE through a stage-1 table of @levels levels in guest memory
 * and then stage 2.  @pages pages each, 4 KiB leaves in both stages.
 */
struct nest {
	struct sim_world *w;
	struct io_pgtable s1, s2;
	struct io_pgtable_mem mem;
	struct gmem g;
};

static void nest_init(struct nest *n, const struct iommu_hw_config *cfg, unsigned levels,
		      unsigned pages)
{
	const struct io_pgtable_fmt *f1 = iommu_hw_fmt(cfg->kind, IO_PGTABLE_STAGE1, levels);
	const struct io_pgtable_fmt *f2 = iommu_hw_fmt(cfg->kind, IO_PGTABLE_STAGE2, levels);
	struct io_pgtable_cfg pc = { .levels = levels };
	struct iommu_dev_ctx dc = { .pasid_bits = 4 };
	struct iommu_context rc = { .type = IOMMU_CTX_TRANSLATE, .did = 1, .s2_levels = levels };
	/* the nested PASID's stage-2 parent is the RID's domain (did 1):
	 * SMMUv3 and RISC-V hold one stage 2 per device */
	struct iommu_context nc = { .type = IOMMU_CTX_NESTED, .did = 2, .s1_levels = levels,
				    .s2_levels = levels, .s2_did = 1 };
	uint64_t size = (uint64_t)pages * SZ_4K;

	if (!f1 || !f2)
		die("no format of that many levels", levels);
	memset(n, 0, sizeof(*n));
	n->w = sim_world_create(1);
	ck(iommu_hw_create(n->w, cfg), "hw");
	ck(io_pgtable_init(&n->s2, n->w, f2, levels), "stage-2 table");
	n->g.w = n->w;
	n->g.s2 = &n->s2;
	n->mem = (struct io_pgtable_mem){ .alloc = gmem_alloc, .free = gmem_free,
					  .to_hpa = gmem_to_hpa, .ctx = &n->g };
	ck(io_pgtable_init_mem(&n->s1, n->w, f1, &pc, &n->mem), "stage-1 table");
	ck(io_pgtable_map_naive(&n->s1, GVA_BASE, GPA_DATA, size, RW), "stage-1 map");
	ck(io_pgtable_map_naive(&n->s2, GPA_DATA, HPA_DATA, size, RW), "stage-2 map");
	rc.s2_root = n->s2.root;
	nc.s1_root = n->s1.root;
	nc.s2_root = n->s2.root;
	ck(iommu_hw_set_device(n->w, 0, RID_A, &dc), "device");
	ck(iommu_hw_set_context(n->w, 0, RID_A, &rc), "RID context");
	ck(iommu_hw_set_pasid(n->w, 0, RID_A, 1, &nc), "nested PASID entry");
}

static void nest_fini(struct nest *n)
{
	io_pgtable_destroy(&n->s1);      /* its frames go back through gmem_free */
	io_pgtable_destroy(&n->s2);
	sim_world_destroy(n->w);
}

struct walk_fig {
	struct iommu_xlate x;        /* the last translation: its references */
	double ns;                   /* per translation */
	uint64_t n;                  /* translations timed */
	uint64_t pt_refs, psc_hits, psc_lookups, iotlb_hits;   /* over them */
};

/* @rounds passes over @pages pages: nested (PASID 1) or single stage (RID). */
static void walk_run(struct nest *n, bool nested, unsigned pages, unsigned rounds,
		     struct walk_fig *f)
{
	uint64_t base = nested ? GVA_BASE : GPA_DATA;
	struct iommu_hw_stats a = hw_stats(n->w), b;
	double t0 = bench_now_ns();

	for (unsigned r = 0; r < rounds; r++)
		for (unsigned p = 0; p < pages; p++)
			if (iommu_hw_translate(n->w, 0, RID_A, nested, nested ? 1 : 0,
					       base + (uint64_t)p * SZ_4K + 0x10, false, &f->x))
				die("translate", p);
	f->n = (uint64_t)rounds * pages;
	f->ns = (bench_now_ns() - t0) / (double)f->n;
	b = hw_stats(n->w);
	f->pt_refs = b.pt_refs - a.pt_refs;
	f->psc_hits = b.psc_hits - a.psc_hits;
	f->psc_lookups = f->psc_hits + b.psc_misses - a.psc_misses;
	f->iotlb_hits = b.iotlb_hits - a.iotlb_hits;
}

static void print_walk(const char *what, const struct walk_fig *f)
{
	printf("  %-32s %2u pt refs (s1 %u + s2 %2u) + %u ctx + %u pasid  %u psc hits  %8.1f ns\n",
	       what, f->x.pt_refs, f->x.s1_refs, f->x.s2_refs, f->x.ctx_refs, f->x.pasid_refs,
	       f->x.psc_hits, f->ns);
}

/* Every cache off (no IOTLB, PSC, context or PASID cache): each
 * translation reads the device's structures and walks. */
static void cfg_cold(struct iommu_hw_config *cfg)
{
	iommu_hw_config_default(cfg);
	cfg->iotlb_entries = 0;
	cfg->psc_entries = 0;
	cfg->ctx_cache_entries = 0;
	cfg->pasid_cache_entries = 0;
	cfg->atc_entries = 0;
}

static void bench_nested_cold(unsigned scale)
{
	struct iommu_hw_config cfg;

	cfg_cold(&cfg);
	printf("cold nested walks, vtd-fs over vtd-ss, every cache off (refs of one walk; ns per "
	       "walk)\n");
	for (unsigned levels = 4; levels <= 5; levels++) {
		unsigned want = (levels + 1) * (levels + 1) - 1;
		struct walk_fig s, v;
		struct nest n;
		char l1[48], l2[48];

		nest_init(&n, &cfg, levels, 1);
		walk_run(&n, false, 1, 200000 * scale, &s);
		walk_run(&n, true, 1, 100000 * scale, &v);
		snprintf(l1, sizeof(l1), "%u-level single stage (RID)", levels);
		snprintf(l2, sizeof(l2), "%u+%u nested (PASID 1)", levels, levels);
		print_walk(l1, &s);
		print_walk(l2, &v);
		printf("  nested refs: (%u+1)(%u+1)-1 = %u %s; nested / single: %.1fx pt refs, "
		       "%.1fx all reads, %.1fx time\n", levels, levels, want,
		       v.x.pt_refs == want ? "as expected" : "MISMATCH",
		       (double)v.x.pt_refs / s.x.pt_refs,
		       (double)(v.x.pt_refs + v.x.ctx_refs + v.x.pasid_refs) /
		       (s.x.pt_refs + s.x.ctx_refs + s.x.pasid_refs), v.ns / s.ns);
		nest_fini(&n);
	}
	printf("\n");
}

/* A nested 4+4 world with @iotlb / @psc entries: warmed, then timed. */
static void warm_run(unsigned iotlb, unsigned psc, bool nested, unsigned pages,
		     unsigned rounds, struct walk_fig *f)
{
	struct iommu_hw_config cfg;
	struct walk_fig warm;
	struct nest n;

	cfg_cold(&cfg);
	cfg.iotlb_entries = iotlb;
	cfg.psc_entries = psc;
	nest_init(&n, &cfg, 4, pages);
	walk_run(&n, nested, pages, 1, &warm);
	walk_run(&n, nested, pages, rounds, f);
	nest_fini(&n);
}

static void bench_nested_warm(unsigned scale)
{
	enum { PAGES = 64 };
	struct walk_fig cold, psc, tlb, s_cold, s_psc;

	warm_run(0, 0, true, PAGES, 600 * scale, &cold);
	warm_run(0, 64, true, PAGES, 3000 * scale, &psc);
	warm_run(512, 64, true, PAGES, 3000 * scale, &tlb);
	warm_run(0, 0, false, PAGES, 3000 * scale, &s_cold);
	warm_run(0, 64, false, PAGES, 3000 * scale, &s_psc);
	printf("warm nested walks, 4+4, %u pages cycled after one warming pass (refs of the "
	       "last walk; ns per translation)\n", PAGES);
	print_walk("nested, cold (every cache off)", &cold);
	print_walk("nested, PSC 64, IOTLB off", &psc);
	print_walk("nested, IOTLB 512 + PSC 64: hit", &tlb);
	print_walk("single stage, cold", &s_cold);
	print_walk("single stage, PSC 64, IOTLB off", &s_psc);
	printf("  nested PSC: %llu hits / %llu lookups over %llu walks, %llu pt refs "
	       "(cold: %llu); IOTLB: %llu hits / %llu translations\n",
	       (unsigned long long)psc.psc_hits, (unsigned long long)psc.psc_lookups,
	       (unsigned long long)psc.n, (unsigned long long)psc.pt_refs,
	       (unsigned long long)cold.pt_refs, (unsigned long long)tlb.iotlb_hits,
	       (unsigned long long)tlb.n);
	printf("  ratio cold / PSC-warm: %.1fx   cold / IOTLB hit: %.1fx   PSC-warm nested / "
	       "single: %.1fx\n\n", cold.ns / psc.ns, cold.ns / tlb.ns, psc.ns / s_psc.ns);
}

/* ---- IOTLB hits with PASID tags --------------------------------------------------------- */

#define SVA_VA 0x400000ull           /* every PASID maps the same VAs */

/*
 * ns per translation: device RID_A with @npasid PASIDs (1..), each its own
 * domain and stage-1 table (as SVA: one address space per process) mapping
 * the same @pages VAs, every translation a hit in an IOTLB of exactly
 * npasid * pages entries.  The PASID changes on every translation.
 */
static double pasid_hits(bool naive, unsigned npasid, unsigned pages, unsigned rounds,
			 uint64_t *hits, uint64_t *lookups)
{
	struct iommu_dev_ctx dc = { .pasid_bits = 7 };
	struct io_pgtable *pt = calloc(npasid, sizeof(*pt));
	struct iommu_hw_config cfg;
	struct iommu_hw_stats a, b;
	struct iommu_xlate x;
	struct sim_world *w;
	double t0, t;

	iommu_hw_config_default(&cfg);
	cfg.iotlb_entries = npasid * pages;
	cfg.naive_iotlb = naive;
	w = sim_world_create(1);
	if (!pt || npasid >= 1u << dc.pasid_bits)
		die("pasids", npasid);
	ck(iommu_hw_create(w, &cfg), "hw");
	ck(iommu_hw_set_device(w, 0, RID_A, &dc), "device");
	for (unsigned p = 0; p < npasid; p++) {
		struct iommu_context c = { .type = IOMMU_CTX_S1, .did = (uint16_t)(p + 1),
					   .s1_levels = 4 };

		ck(io_pgtable_init(&pt[p], w, &io_pgtable_vtd_fs, 4), "table");
		ck(io_pgtable_map_naive(&pt[p], SVA_VA, HPA_DATA + (uint64_t)p * pages * SZ_4K,
					(uint64_t)pages * SZ_4K, RW), "map");
		c.s1_root = pt[p].root;
		ck(iommu_hw_set_pasid(w, 0, RID_A, p + 1, &c), "PASID entry");
	}
	for (unsigned i = 0; i < pages; i++)           /* warm: one miss each */
		for (unsigned p = 0; p < npasid; p++)
			ck(iommu_hw_translate(w, 0, RID_A, true, p + 1,
					      SVA_VA + (uint64_t)i * SZ_4K, false, &x),
			   "translate");
	a = hw_stats(w);
	t0 = bench_now_ns();
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned i = 0; i < pages; i++)
			for (unsigned p = 0; p < npasid; p++)
				iommu_hw_translate(w, 0, RID_A, true, p + 1,
						   SVA_VA + (uint64_t)i * SZ_4K + 8, true, &x);
	t = (bench_now_ns() - t0) / ((double)rounds * pages * npasid);
	b = hw_stats(w);
	*hits = b.iotlb_hits - a.iotlb_hits;
	*lookups = *hits + b.iotlb_misses - a.iotlb_misses;
	for (unsigned p = 0; p < npasid; p++)
		io_pgtable_destroy(&pt[p]);
	free(pt);
	sim_world_destroy(w);
	return t;
}

static void bench_pasid_iotlb(unsigned scale)
{
	static const unsigned pages[] = { 8, 64 };
	enum { NPASID = 64 };

	printf("IOTLB hit path with PASID tags: one device, %u PASIDs (a domain and stage-1 "
	       "table each, the same VAs), capacity = PASIDs x pages, the PASID changing every "
	       "translation\n", NPASID);
	printf("  %-12s %8s %14s %14s %10s   %s\n", "pages/PASID", "entries", "hash ns",
	       "naive ns", "naive/hash", "hit rate (hash; naive)");
	for (unsigned i = 0; i < 2; i++) {
		unsigned n = NPASID * pages[i];
		uint64_t hh, hl, nh, nl;
		double h = pasid_hits(false, NPASID, pages[i], 400 * scale * 8 / pages[i], &hh,
				      &hl);
		double v = pasid_hits(true, NPASID, pages[i], (8 * scale * 8 + pages[i] - 1) /
				      pages[i], &nh, &nl);

		printf("  %-12u %8u %14.1f %14.1f %9.1fx   %.2f%% (%llu/%llu); %.2f%% "
		       "(%llu/%llu)\n", pages[i], n, h, v, v / h, 100.0 * hh / hl,
		       (unsigned long long)hh, (unsigned long long)hl, 100.0 * nh / nl,
		       (unsigned long long)nh, (unsigned long long)nl);
	}
	printf("\n");
}

/* ---- device TLB (ATS) ---------------------------------------------------------------------- */

/* ns per 8-byte DMA read by RID_A over @pages pages, @rounds times. */
static double dma_reads(struct sim_world *w, bool pv, uint32_t pasid, uint64_t base,
			unsigned pages, unsigned rounds)
{
	uint64_t buf;
	double t0 = bench_now_ns();

	for (unsigned r = 0; r < rounds; r++)
		for (unsigned p = 0; p < pages; p++)
			if (iommu_hw_dma(w, 0, RID_A, pv, pasid, base + (uint64_t)p * SZ_4K, &buf,
					 sizeof(buf), false, NULL))
				die("dma", p);
	return (bench_now_ns() - t0) / ((double)rounds * pages);
}

static void bench_ats(unsigned scale)
{
	enum { PAGES = 64 };
	struct iommu_dev_ctx dc = { .pasid_bits = 4, .ats = true };
	struct iommu_context rc = { .type = IOMMU_CTX_TRANSLATE, .did = 1, .s2_levels = 4 };
	struct iommu_context sc = { .type = IOMMU_CTX_S1, .did = 2, .s1_levels = 4 };
	struct iommu_hw_config cfg;
	struct io_pgtable s2, s1;
	struct sim_world *w;
	unsigned rounds = 4000 * scale;

	iommu_hw_config_default(&cfg);                 /* IOTLB 512, ATC 64 */
	w = sim_world_create(1);
	ck(iommu_hw_create(w, &cfg), "hw");
	ck(io_pgtable_init(&s2, w, &io_pgtable_vtd_ss, 4), "table");
	ck(io_pgtable_init(&s1, w, &io_pgtable_vtd_fs, 4), "table");
	ck(io_pgtable_map_naive(&s2, 0, HPA_DATA, PAGES * SZ_4K, RW), "map");
	ck(io_pgtable_map_naive(&s1, SVA_VA, HPA_DATA, PAGES * SZ_4K, RW), "map");
	rc.s2_root = s2.root;
	sc.s1_root = s1.root;
	printf("device-TLB (ATS) hit vs IOTLB hit: device %02x:%02x.%u, %u pages hot, "
	       "8-byte DMA reads (ATC %u, IOTLB %u entries)\n", RID_A >> 8, (RID_A >> 3) & 0x1f,
	       RID_A & 7, PAGES, cfg.atc_entries, cfg.iotlb_entries);
	for (unsigned tagged = 0; tagged < 2; tagged++) {
		uint64_t base = tagged ? SVA_VA : 0;
		struct iommu_hw_stats a, b, c, d;
		double ats, plain;

		dc.ats = true;                                /* a fresh, empty ATC */
		ck(iommu_hw_set_device(w, 0, RID_A, &dc), "device");
		ck(tagged ? iommu_hw_set_pasid(w, 0, RID_A, 1, &sc) :
			    iommu_hw_set_context(w, 0, RID_A, &rc), "context");
		dma_reads(w, tagged, 1, base, PAGES, 1);      /* warm the ATC and the IOTLB */
		a = hw_stats(w);
		ats = dma_reads(w, tagged, 1, base, PAGES, rounds);
		b = hw_stats(w);
		dc.ats = false;                               /* the ATC goes with ATS */
		ck(iommu_hw_set_device(w, 0, RID_A, &dc), "device");
		dma_reads(w, tagged, 1, base, PAGES, 1);
		c = hw_stats(w);
		plain = dma_reads(w, tagged, 1, base, PAGES, rounds);
		d = hw_stats(w);
		printf("  %-28s ATS on,  ATC hit:   %7.1f ns/DMA  (%llu ATC hits, %llu IOMMU "
		       "translations)\n", tagged ? "PASID 1 (stage 1, tagged)" :
		       "RID (stage 2, untagged)", ats,
		       (unsigned long long)(b.atc_hits - a.atc_hits),
		       (unsigned long long)(b.translations - a.translations));
		printf("  %-28s ATS off, IOTLB hit: %7.1f ns/DMA  (%llu IOTLB hits, %llu IOMMU "
		       "translations)\n", "", plain,
		       (unsigned long long)(d.iotlb_hits - c.iotlb_hits),
		       (unsigned long long)(d.translations - c.translations));
		printf("  %-28s ratio IOTLB hit / ATC hit: %.1fx\n", "", plain / ats);
	}
	printf("\n");
	io_pgtable_destroy(&s1);
	io_pgtable_destroy(&s2);
	sim_world_destroy(w);
}

/* ---- invalidation ------------------------------------------------------------------------- */

#define INV_PASIDS  4                /* per domain */
#define INV_PAGES   16               /* per PASID */
#define INV_PER_DOM (INV_PASIDS * INV_PAGES)
#define INV_MAX     4096             /* entries at most */

/*
 * Device RID_A (ATS on) with an IOTLB and a device TLB of @n entries each,
 * and n / 64 domains (did 1, 2, ...), each a stage-1 table on 4 PASIDs of
 * the device mapping the same 16 VAs.  Filled, each cache holds exactly n
 * entries: 64 per domain, 16 per PASID.
 */
struct invw {
	struct sim_world *w;
	struct io_pgtable pt[INV_MAX / INV_PER_DOM];
	unsigned n, ndom;
};

static uint32_t inv_pasid(unsigned d, unsigned p)
{
	return 1 + d * INV_PASIDS + p;
}

static void invw_init(struct invw *v, unsigned n, bool naive)
{
	struct iommu_dev_ctx dc = { .pasid_bits = 9, .ats = true };
	struct iommu_hw_config cfg;

	if (n % INV_PER_DOM || n > INV_MAX || inv_pasid(n / INV_PER_DOM, 0) > 1u << dc.pasid_bits)
		die("entries", n);
	iommu_hw_config_default(&cfg);
	cfg.iotlb_entries = n;
	cfg.atc_entries = n;
	cfg.naive_iotlb = naive;
	v->n = n;
	v->ndom = n / INV_PER_DOM;
	v->w = sim_world_create(1);
	ck(iommu_hw_create(v->w, &cfg), "hw");
	ck(iommu_hw_set_device(v->w, 0, RID_A, &dc), "device");
	for (unsigned d = 0; d < v->ndom; d++) {
		struct iommu_context c = { .type = IOMMU_CTX_S1, .did = (uint16_t)(d + 1),
					   .s1_levels = 4 };

		ck(io_pgtable_init(&v->pt[d], v->w, &io_pgtable_vtd_fs, 4), "table");
		ck(io_pgtable_map_naive(&v->pt[d], SVA_VA,
					HPA_DATA + (uint64_t)d * INV_PAGES * SZ_4K,
					INV_PAGES * SZ_4K, RW), "map");
		c.s1_root = v->pt[d].root;
		for (unsigned p = 0; p < INV_PASIDS; p++)
			ck(iommu_hw_set_pasid(v->w, 0, RID_A, inv_pasid(d, p), &c), "PASID entry");
	}
}

static void invw_fini(struct invw *v)
{
	for (unsigned d = 0; d < v->ndom; d++)
		io_pgtable_destroy(&v->pt[d]);
	sim_world_destroy(v->w);
}

/* Bring PASID @p of domain @d back into the IOTLB; @atc: into the device
 * TLB too (DMA through ATS, each miss a translation request). */
static void fill_pasid(struct invw *v, unsigned d, unsigned p, bool atc)
{
	struct iommu_xlate x;
	uint64_t buf;

	for (unsigned pg = 0; pg < INV_PAGES; pg++) {
		uint64_t va = SVA_VA + (uint64_t)pg * SZ_4K;

		ck(atc ? iommu_hw_dma(v->w, 0, RID_A, true, inv_pasid(d, p), va, &buf,
				      sizeof(buf), false, NULL) :
			 iommu_hw_translate(v->w, 0, RID_A, true, inv_pasid(d, p), va, false, &x),
		   "fill");
	}
}

static void fill_dom(struct invw *v, unsigned d, bool atc)
{
	for (unsigned p = 0; p < INV_PASIDS; p++)
		fill_pasid(v, d, p, atc);
}

static void fill_all(struct invw *v, bool atc)
{
	for (unsigned d = 0; d < v->ndom; d++)
		fill_dom(v, d, atc);
}

enum inv_kind { INV_DOMAIN, INV_PASID, INV_PAGE, INV_DEV_PASID, INV_DEV_PAGE, INV_KINDS };

static const char *const inv_kind_name[INV_KINDS] = {
	"IOTLB by domain", "IOTLB by PASID", "IOTLB one page", "devTLB by PASID",
	"devTLB one page",
};

static bool inv_kind_atc(enum inv_kind k)
{
	return k == INV_DEV_PASID || k == INV_DEV_PAGE;
}

/* The commands of @kind that together drop every entry: one per domain,
 * per PASID or per page.  Returns how many. */
static unsigned inv_cmds(const struct invw *v, enum inv_kind k, struct iommu_inv_cmd *c)
{
	unsigned n = 0;

	for (unsigned d = 0; d < v->ndom; d++) {
		uint16_t did = (uint16_t)(d + 1);

		if (k == INV_DOMAIN) {
			c[n++] = (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_DOMAIN, .did = did,
							 .pasid = IOMMU_PASID_NONE };
			continue;
		}
		for (unsigned p = 0; p < INV_PASIDS; p++) {
			struct iommu_inv_cmd one = { .did = did, .pasid = inv_pasid(d, p),
						     .rid = RID_A };

			if (k == INV_PASID || k == INV_DEV_PASID) {
				one.type = k == INV_PASID ? IOMMU_INV_IOTLB_PASID :
							    IOMMU_INV_DEVTLB;
				c[n++] = one;
				continue;
			}
			one.type = k == INV_PAGE ? IOMMU_INV_IOTLB_RANGE : IOMMU_INV_DEVTLB;
			one.size = SZ_4K;
			for (unsigned pg = 0; pg < INV_PAGES; pg++) {
				one.iova = SVA_VA + (uint64_t)pg * SZ_4K;
				c[n++] = one;
			}
		}
	}
	return n;
}

static const struct iommu_inv_cmd inv_wait = { .type = IOMMU_INV_WAIT };

struct inv_fig {
	unsigned cmds;               /* per round */
	unsigned dropped;            /* per round, the same in every round */
	double ns_cmd, ns_entry;     /* median round */
};

/*
 * @rounds times: fill every entry (untimed), then time the commands of
 * @kind that drop them all, one iommu_hw_invalidate call each.
 */
static void inv_batch(struct invw *v, enum inv_kind k, unsigned rounds, double overhead,
		      struct inv_fig *f)
{
	static struct iommu_inv_cmd cmds[INV_MAX];
	bool atc = inv_kind_atc(k);
	unsigned n = inv_cmds(v, k, cmds);
	double *s = calloc(rounds, sizeof(*s)), t;

	if (!s)
		die("calloc", rounds);
	for (unsigned r = 0; r < rounds; r++) {
		unsigned got = 0;
		double t0;

		fill_all(v, atc);
		if (!r && hw_stats(v->w).iotlb_entries != v->n)
			die("IOTLB entries after a fill", (long)hw_stats(v->w).iotlb_entries);
		t0 = bench_now_ns();
		for (unsigned i = 0; i < n; i++)
			got += iommu_hw_invalidate(v->w, &cmds[i], 1);
		s[r] = bench_now_ns() - t0 - overhead;
		if (atc)
			iommu_hw_invalidate(v->w, &inv_wait, 1);
		if (r && got != f->dropped)
			die("entries dropped differ between rounds", got);
		f->dropped = got;
	}
	t = bench_median(s, rounds);
	free(s);
	f->cmds = n;
	f->ns_cmd = t / n;
	f->ns_entry = f->dropped ? t / f->dropped : 0;
}

/* The single-command kinds: one domain, one PASID, one PASID's device TLB. */
enum { ONE_DOMAIN, ONE_PASID, ONE_DEV_PASID, ONE_KINDS };

static const char *const one_kind_name[ONE_KINDS] = {
	"IOTLB domain 1", "IOTLB PASID 1", "devTLB PASID 1",
};

/*
 * Everything filled, then @samples times: one command dropping domain 1's
 * entries (or its first PASID's), timed alone, and the entries brought
 * back (untimed).  The median ns, @overhead taken off; *dropped per command.
 */
static double inv_single(struct invw *v, unsigned kind, unsigned samples, double overhead,
			 unsigned *dropped)
{
	struct iommu_inv_cmd c = { .type = IOMMU_INV_IOTLB_DOMAIN, .did = 1,
				   .pasid = IOMMU_PASID_NONE, .rid = RID_A };
	bool atc = kind == ONE_DEV_PASID;
	double *s = calloc(samples, sizeof(*s)), t;

	if (!s)
		die("calloc", samples);
	if (kind != ONE_DOMAIN) {
		c.type = atc ? IOMMU_INV_DEVTLB : IOMMU_INV_IOTLB_PASID;
		c.pasid = inv_pasid(0, 0);
	}
	fill_all(v, atc);
	for (unsigned i = 0; i < samples; i++) {
		double t0 = bench_now_ns();
		unsigned got = iommu_hw_invalidate(v->w, &c, 1);

		s[i] = bench_now_ns() - t0 - overhead;
		if (atc)
			iommu_hw_invalidate(v->w, &inv_wait, 1);
		if (i && got != *dropped)
			die("entries dropped differ between commands", got);
		*dropped = got;
		if (kind == ONE_DOMAIN)
			fill_dom(v, 0, false);
		else
			fill_pasid(v, 0, 0, atc);
	}
	t = bench_median(s, samples);
	free(s);
	return t;
}

static void bench_inval(unsigned scale)
{
	static const unsigned sizes[] = { 64, 512, INV_MAX };
	enum { NSIZES = 3 };
	static struct inv_fig fig[2][INV_KINDS][NSIZES];
	static double one[2][ONE_KINDS][NSIZES];
	static unsigned one_drop[2][ONE_KINDS][NSIZES];
	double overhead = timer_overhead();
	unsigned samples = 1000 * scale;

	for (unsigned si = 0; si < NSIZES; si++) {
		unsigned rounds = 32768 * scale / sizes[si];

		if (rounds < 9)
			rounds = 9;
		for (unsigned naive = 0; naive < 2; naive++) {
			struct invw v;

			invw_init(&v, sizes[si], naive);
			for (unsigned k = 0; k < INV_KINDS; k++)
				inv_batch(&v, k, rounds, overhead, &fig[naive][k][si]);
			for (unsigned k = 0; k < ONE_KINDS; k++)
				one[naive][k][si] = inv_single(&v, k, samples, overhead,
							       &one_drop[naive][k][si]);
			invw_fini(&v);
		}
	}

	printf("invalidation: IOTLB and device TLB filled to N entries (N/64 domains x %u "
	       "PASIDs x %u pages), then the commands that drop them all; ns of the median "
	       "round, timer overhead (%.0f ns) taken off\n", INV_PASIDS, INV_PAGES, overhead);
	printf("  %-16s %5s %5s %5s | %9s %9s | %9s %9s | %10s\n", "command", "N", "cmds",
	       "drop", "hash/cmd", "/entry", "naive/cmd", "/entry", "naive/hash");
	for (unsigned k = 0; k < INV_KINDS; k++)
		for (unsigned si = 0; si < NSIZES; si++) {
			const struct inv_fig *h = &fig[0][k][si], *n = &fig[1][k][si];

			printf("  %-16s %5u %5u %5u | %9.1f %9.2f | %9.1f %9.2f | %9.1fx%s\n",
			       si ? "" : inv_kind_name[k], sizes[si], h->cmds,
			       h->cmds ? h->dropped / h->cmds : 0, h->ns_cmd, h->ns_entry,
			       n->ns_cmd, n->ns_entry, n->ns_cmd / h->ns_cmd,
			       h->dropped != n->dropped ? "  (hash and naive drops differ)" :
			       h->dropped != sizes[si] ? "  (not all N dropped)" : "");
		}
	printf("  (naive per-command figures are averages over a cache emptying as the round "
	       "goes; below, the other entries stay)\n");

	printf("\none domain's / one PASID's invalidation beside everyone else's entries "
	       "(N in all; median of %u single commands, refilled after each, timer overhead "
	       "taken off)\n", samples);
	printf("  %-16s %5s %6s %7s | %9s %9s | %10s\n", "command", "N", "others", "dropped",
	       "hash ns", "naive ns", "naive/hash");
	for (unsigned k = 0; k < ONE_KINDS; k++) {
		for (unsigned si = 0; si < NSIZES; si++)
			printf("  %-16s %5u %6u %7u | %9.1f %9.1f | %9.1fx%s\n",
			       si ? "" : one_kind_name[k], sizes[si],
			       sizes[si] - one_drop[0][k][si], one_drop[0][k][si],
			       one[0][k][si], one[1][k][si], one[1][k][si] / one[0][k][si],
			       one_drop[0][k][si] == one_drop[1][k][si] ? "" : "  (drops differ)");
		printf("  %-16s growth %u -> %u entries: hash %.2fx, naive %.1fx\n", "",
		       sizes[0], sizes[NSIZES - 1], one[0][k][NSIZES - 1] / one[0][k][0],
		       one[1][k][NSIZES - 1] / one[1][k][0]);
	}
}

/* ---- host memory ---------------------------------------------------------------------- */

/* A world with @n live kernel frames, each written once (as a table or a
 * process's page is), so every read below reaches the frame's storage. */
static struct sim_world *mem_world(uint64_t n)
{
	struct sim_world *w = sim_world_create(1);

	for (uint64_t i = 0; i < n; i++) {
		uint64_t hpa;

		ck(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &hpa), "frame");
		/* lowest-free from SIM_MEM_BASE with nothing freed: frame i is
		 * at base + i pages, so the reads below need no table of HPAs */
		if (hpa != SIM_MEM_BASE + i * SZ_4K)
			die("frame not where lowest-free puts it", (long)i);
		sim_mem_write64(w, hpa + (i & 511) * 8, i + 1);
	}
	return w;
}

/* ns per sim_mem_read64 at a random frame and a random aligned offset of a
 * world of @frames live frames; @reads reads. */
static double mem_reads(uint64_t frames, uint64_t reads)
{
	struct sim_world *w = mem_world(frames);
	uint64_t x = 0x9e3779b97f4a7c15ull, sum = 0;
	double t0, t;

	t0 = bench_now_ns();
	for (uint64_t i = 0; i < reads; i++) {
		/* xorshift64 and a multiply for the range (no division): a
		 * few cycles, so the figure is the lookup's */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sum += sim_mem_read64(w, SIM_MEM_BASE + (((x >> 32) * frames) >> 32) * SZ_4K +
				      (x & 0xff8));
	}
	t = (bench_now_ns() - t0) / (double)reads;
	if (!sum)
		die("every read gave zero", 0);
	sim_world_destroy(w);
	return t;
}

#define MEM_BULK 262144u             /* 1 GiB of 4 KiB frames */

/* ms to allocate MEM_BULK user frames in a fresh world, one call each. */
static double mem_alloc_singles(uint64_t *hpas)
{
	struct sim_world *w = sim_world_create(1);
	double t0 = bench_now_ns(), t;

	for (unsigned i = 0; i < MEM_BULK; i++)
		ck(sim_mem_frame_alloc(w, SIM_FRAME_USER, &hpas[i]), "frame");
	t = (bench_now_ns() - t0) / 1e6;
	sim_world_destroy(w);
	return t;
}

/* The same with one sim_mem_frames_alloc_n call. */
static double mem_alloc_n(uint64_t *hpas)
{
	struct sim_world *w = sim_world_create(1);
	double t0 = bench_now_ns(), t;

	ck(sim_mem_frames_alloc_n(w, SIM_FRAME_USER, MEM_BULK, hpas), "frames");
	t = (bench_now_ns() - t0) / 1e6;
	sim_world_destroy(w);
	return t;
}

static void bench_mem(unsigned scale)
{
	enum { REPS = 5 };
	uint64_t *one = malloc(MEM_BULK * sizeof(*one)), *bulk = malloc(MEM_BULK * sizeof(*bulk));
	double ns_small, ns_big, singles[REPS], n[REPS];

	if (!one || !bulk)
		die("malloc", MEM_BULK);
	ns_small = mem_reads(1000, 10000000ull * scale);
	ns_big = mem_reads(1000000, 4000000ull * scale);
	for (unsigned r = 0; r < REPS; r++) {
		singles[r] = mem_alloc_singles(one);
		n[r] = mem_alloc_n(bulk);
	}
	if (memcmp(one, bulk, MEM_BULK * sizeof(*one)))
		die("alloc_n gave other frames than one by one", 0);
	printf("host memory (frames written once; reads at random frames and offsets)\n");
	printf("  frame lookup: sim_mem_read64 ns/op   %8.1f ns (1e3 live frames)  %8.1f ns "
	       "(1e6 live frames)\n", ns_small, ns_big);
	printf("  alloc %u frames (median of %u, fresh world each; the same HPAs)\n", MEM_BULK,
	       REPS);
	printf("    %-28s %10.2f ms\n", "one by one", bench_median(singles, REPS));
	printf("    %-28s %10.2f ms\n", "alloc_n", bench_median(n, REPS));
	printf("    ratio one by one / alloc_n: %.1fx\n\n",
	       bench_median(singles, REPS) / bench_median(n, REPS));
	free(one);
	free(bulk);
}

static void bench_walks(unsigned scale)
{
	static const uint64_t leaves[] = { SZ_4K, SZ_2M, SZ_1G };

	printf("cold walks (IOTLB invalidated before each; ns include the invalidation)\n");
	for (unsigned levels = 3; levels <= 5; levels++)
		for (unsigned i = 0; i < 3; i++)
			cold_walk(levels, leaves[i], 100000 * scale);
	printf("\n");
}

static void bench_nested(unsigned scale)
{
	bench_nested_cold(scale);
	bench_nested_warm(scale);
}

/* ---- issue 11's goal table: each path beside the reference model's figures -------- */

/*
 * The paths the RISC-V IOMMU reference model was measured on (riscv-non-isa/
 * riscv-iommu, C, -O2, Sv48 / Sv48x4, 4-byte reads), on this IOMMU kind and
 * these formats: a hit, a one-stage 4-level walk with no IOTLB, a cold
 * nested 4+4 walk (24 descriptor reads).  ns per translation (median of
 * GOAL_SAMPLES timed loops) and, when valgrind is installed, instructions
 * per translation: this program again under callgrind, counting only
 * goal_loop (bench_iommu --count ROW REPS).
 */
enum goal_row {
	GOAL_HIT, GOAL_HIT_SLOW, GOAL_HIT_UNCACHED, GOAL_MISS_1, GOAL_MISS_1_UNCACHED,
	GOAL_MISS_NESTED, GOAL_NROWS
};
static const struct {
	const char *what, *ref, *goal;
} goal_rows[GOAL_NROWS] = {
	[GOAL_HIT] = { "IOTLB hit", "23-27 ns, 530-635 instr", "<= 5 ns, <= 60 instr" },
	[GOAL_HIT_SLOW] = { "  (front cache off)", "", "" },
	[GOAL_HIT_UNCACHED] = { "  (front, DDT, PDT caches off)", "", "" },
	[GOAL_MISS_1] = { "1-stage miss (4-level walk)", "160-190 ns", "<= 60 ns" },
	[GOAL_MISS_1_UNCACHED] = { "  (DDT and PDT caches off)", "", "" },
	[GOAL_MISS_NESTED] = { "cold nested 4+4 miss (24 refs)", "670-820 ns", "<= 200 ns" },
};
#define GOAL_SAMPLES 5
#define GOAL_REPS 200000u
#define GOAL_CG_REPS 2000u

static void goal_world(enum goal_row row, struct nest *n)
{
	struct iommu_hw_config cfg;
	struct iommu_xlate x;

	iommu_hw_config_default(&cfg);
	if (row == GOAL_MISS_1_UNCACHED || row == GOAL_MISS_NESTED)
		cfg_cold(&cfg);           /* every cache off */
	if (row == GOAL_MISS_1) {
		/* no IOTLB or PSC: the walk each time, the device's DDT and
		 * PDT entries from their caches */
		cfg.iotlb_entries = 0;
		cfg.psc_entries = 0;
	}
	if (row == GOAL_HIT_UNCACHED)
		cfg.ctx_cache_entries = cfg.pasid_cache_entries = 0;
	cfg.no_front = row == GOAL_HIT_SLOW || row == GOAL_HIT_UNCACHED;
	cfg.kind = IOMMU_HW_RISCV;
	nest_init(n, &cfg, 4, 1);
	/* warmed outside the loop: a hit's first translation misses */
	if (iommu_hw_translate(n->w, 0, RID_A, row == GOAL_MISS_NESTED,
			       row == GOAL_MISS_NESTED ? 1 : 0,
			       (row == GOAL_MISS_NESTED ? GVA_BASE : GPA_DATA) + 0x10, false, &x))
		die("warming translation", -EFAULT);
}

/* The loop callgrind counts (not inlined: --toggle-collect names it). */
static __attribute__((noinline)) void goal_loop(struct nest *n, enum goal_row row, unsigned reps)
{
	bool nested = row == GOAL_MISS_NESTED;
	uint64_t addr = (nested ? GVA_BASE : GPA_DATA) + 0x10;
	struct iommu_xlate x;

	for (unsigned i = 0; i < reps; i++)
		if (iommu_hw_translate(n->w, 0, RID_A, nested, nested ? 1 : 0, addr, false, &x))
			die("translate", i);
}

static double goal_ns(enum goal_row row, unsigned reps)
{
	double v[GOAL_SAMPLES];
	struct nest n;

	goal_world(row, &n);
	for (unsigned s = 0; s < GOAL_SAMPLES; s++) {
		double t0 = bench_now_ns();

		goal_loop(&n, row, reps);
		v[s] = (bench_now_ns() - t0) / reps;
	}
	nest_fini(&n);
	return bench_median(v, GOAL_SAMPLES);
}

static double goal_instr(const char *self, enum goal_row row)
{
	char dir[] = "/tmp/bench_iommu.XXXXXX", out[64], cmd[512];
	double total = -1;

	if (!bench_have_valgrind() || !mkdtemp(dir))
		return -1;
	snprintf(out, sizeof(out), "%s/cg.out", dir);
	snprintf(cmd, sizeof(cmd), "valgrind --tool=callgrind --callgrind-out-file=%s "
		 "--toggle-collect='goal_loop*' --collect-atstart=no '%s' --count %d %u "
		 ">/dev/null 2>&1", out, self, (int)row, GOAL_CG_REPS);
	if (!system(cmd))
		total = bench_callgrind_total(out);
	unlink(out);
	rmdir(dir);
	return total < 0 ? -1 : total / GOAL_CG_REPS;
}

static const char *goal_self;    /* argv[0], for goal_instr */

static void bench_goals(unsigned scale)
{
	printf("issue 11 goals: riscv, Sv48 over Sv48x4, 4-byte reads of one page by 01:00.0 "
	       "(ns/translation median of %u runs of %u; instructions by callgrind over %u)\n",
	       GOAL_SAMPLES, GOAL_REPS * scale, GOAL_CG_REPS);
	printf("  %-34s %-24s %9s %9s   %s\n", "path", "reference model", "ns", "instr", "goal");
	for (int r = 0; r < GOAL_NROWS; r++) {
		unsigned reps = GOAL_REPS * scale / (r >= GOAL_MISS_1 ? 10 : 1);
		double ns = goal_ns((enum goal_row)r, reps), in = goal_instr(goal_self,
									 (enum goal_row)r);
		char ibuf[16];

		if (in < 0)
			snprintf(ibuf, sizeof(ibuf), "-");
		else
			snprintf(ibuf, sizeof(ibuf), "%.0f", in);
		printf("  %-34s %-24s %9.1f %9s   %s\n", goal_rows[r].what, goal_rows[r].ref, ns, ibuf,
		       goal_rows[r].goal);
	}
	printf("\n");
}

/* ---- scaling: hit and miss cost against mappings and PASIDs -------------------------------- */

/* A small deterministic generator: the miss pattern of every run. */
static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 17;
}

/*
 * One device on a stage-2 domain of @n 4 KiB mappings (riscv, Sv48x4),
 * default caches (IOTLB 512, context and PASID caches on, no PSC).  hit: 64
 * hot pages again and again; miss: pages drawn at random over all @n, so
 * nearly every translation walks.  ns per translation.
 */
static void scale_mappings(uint64_t n, unsigned reps, double *hit, double *miss)
{
	struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE, .did = 1, .s2_levels = 4 };
	struct sim_world *w = sim_world_create(1);
	struct iommu_hw_config cfg;
	struct io_pgtable pt;
	struct iommu_xlate x;
	uint64_t seed = 1;
	double t0;

	iommu_hw_config_default(&cfg);
	cfg.kind = IOMMU_HW_RISCV;
	ck(iommu_hw_create(w, &cfg), "hw");
	ck(io_pgtable_init(&pt, w, iommu_hw_fmt(cfg.kind, IO_PGTABLE_STAGE2, 4), 4), "table");
	ck(io_pgtable_map_naive(&pt, 0, HPA_DATA, n * SZ_4K, RW), "map");
	c.s2_root = pt.root;
	ck(iommu_hw_set_context(w, 0, RID_A, &c), "context");
	for (unsigned p = 0; p < 64; p++)
		ck(iommu_hw_translate(w, 0, RID_A, false, 0, (uint64_t)p * SZ_4K, false, &x), "warm");
	t0 = bench_now_ns();
	for (unsigned r = 0; r < reps; r++)
		iommu_hw_translate(w, 0, RID_A, false, 0, (uint64_t)(r & 63) * SZ_4K + 8, false, &x);
	*hit = (bench_now_ns() - t0) / reps;
	t0 = bench_now_ns();
	for (unsigned r = 0; r < reps / 4; r++)
		iommu_hw_translate(w, 0, RID_A, false, 0, lcg(&seed) % n * SZ_4K + 8, false, &x);
	*miss = (bench_now_ns() - t0) / (reps / 4);
	io_pgtable_destroy(&pt);
	sim_world_destroy(w);
}

/*
 * One device with @npasid PASIDs (riscv: a PD17 process directory), each
 * its own domain id over one shared Sv48 table (64 pages).  hit: one PASID
 * and page again and again; round robin: PASID after PASID, page after
 * page, over a 512-entry IOTLB and a 64-entry PASID cache, so above 8
 * PASIDs every translation reads its process context and walks.
 */
static void scale_pasids(unsigned npasid, unsigned reps, double *hit, double *rr)
{
	struct iommu_dev_ctx dc = { .pasid_bits = 14 };
	struct sim_world *w = sim_world_create(1);
	struct iommu_hw_config cfg;
	struct io_pgtable pt;
	struct iommu_xlate x;
	double t0;

	iommu_hw_config_default(&cfg);
	cfg.kind = IOMMU_HW_RISCV;
	ck(iommu_hw_create(w, &cfg), "hw");
	ck(iommu_hw_set_device(w, 0, RID_A, &dc), "device");
	ck(io_pgtable_init(&pt, w, iommu_hw_fmt(cfg.kind, IO_PGTABLE_STAGE1, 4), 4), "table");
	ck(io_pgtable_map_naive(&pt, SVA_VA, HPA_DATA, 64 * SZ_4K, RW), "map");
	for (unsigned p = 1; p <= npasid; p++) {
		struct iommu_context c = { .type = IOMMU_CTX_S1, .did = (uint16_t)p,
					   .s1_root = pt.root, .s1_levels = 4 };

		ck(iommu_hw_set_pasid(w, 0, RID_A, p, &c), "PASID");
	}
	ck(iommu_hw_translate(w, 0, RID_A, true, 1, SVA_VA, false, &x), "warm");
	t0 = bench_now_ns();
	for (unsigned r = 0; r < reps; r++)
		iommu_hw_translate(w, 0, RID_A, true, 1, SVA_VA + 8, false, &x);
	*hit = (bench_now_ns() - t0) / reps;
	t0 = bench_now_ns();
	for (unsigned r = 0; r < reps / 4; r++)
		iommu_hw_translate(w, 0, RID_A, true, 1 + r % npasid,
				   SVA_VA + (uint64_t)(r / npasid % 64) * SZ_4K + 8, false, &x);
	*rr = (bench_now_ns() - t0) / (reps / 4);
	io_pgtable_destroy(&pt);
	sim_world_destroy(w);
}

static void bench_scale(unsigned scale)
{
	static const uint64_t maps[] = { 1000, 10000, 100000, 1000000 };
	static const unsigned pasids[] = { 10, 100, 1000, 10000 };
	unsigned reps = 400000 * scale;

	printf("scaling (riscv): ns per translation against the number of mappings and of "
	       "PASIDs (flat is the goal)\n");
	printf("  %-26s %12s %12s\n", "4K mappings, one device", "hit (hot 64)", "miss (random)");
	for (unsigned i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		double h, m;

		scale_mappings(maps[i], reps, &h, &m);
		printf("  %-26llu %12.1f %12.1f\n", (unsigned long long)maps[i], h, m);
	}
	printf("  %-26s %12s %12s\n", "PASIDs, one device", "hit (one)", "round robin");
	for (unsigned i = 0; i < sizeof(pasids) / sizeof(pasids[0]); i++) {
		double h, m;

		scale_pasids(pasids[i], reps, &h, &m);
		printf("  %-26u %12.1f %12.1f\n", pasids[i], h, m);
	}
	printf("\n");
}

/* --count ROW REPS: one world, warmed, then goal_loop alone (for callgrind). */
static int goal_count_main(char **argv)
{
	enum goal_row row = (enum goal_row)atoi(argv[0]);
	struct nest n;

	if ((unsigned)row >= GOAL_NROWS)
		return 2;
	goal_world(row, &n);
	goal_loop(&n, row, (unsigned)strtoul(argv[1], NULL, 0));
	nest_fini(&n);
	return 0;
}

static const struct {
	const char *name;
	void (*run)(unsigned scale);
} sections[] = {
	{ "map", bench_map }, { "iotlb", bench_iotlb }, { "walks", bench_walks },
	{ "nested", bench_nested }, { "pasid", bench_pasid_iotlb }, { "ats", bench_ats },
	{ "inval", bench_inval }, { "mem", bench_mem }, { "goals", bench_goals },
	{ "scale", bench_scale },
};

int main(int argc, char **argv)
{
	unsigned scale, ran = 0;
	const char *only;

	goal_self = argv[0];
	if (argc == 4 && !strcmp(argv[1], "--count"))
		return goal_count_main(argv + 2);
	scale = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 1;
	only = argc > 2 ? argv[2] : NULL;

	if (!scale)
		scale = 1;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (!only || !strcmp(only, sections[i].name)) {
			sections[i].run(scale);
			ran = 1;
		}
	if (!ran) {
		fprintf(stderr, "bench_iommu: no section '%s'\n", only);
		return 2;
	}
	return 0;
}
