/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/pgtable: one suite, every format.  Each test runs over every
 * (format, granule, input size) in cfgs[]: the geometry (levels, root
 * frames, concatenated stage-2 roots, the RISC-V x4 root), every leaf size
 * mapped and translated, lookups inside a leaf, overlapping maps rejected
 * with nothing changed, the format's rule for unmapping part of a large
 * leaf, the highest page of the input range, permissions round-tripping,
 * fault injection on table frames, naive maps, random map/unmap sequences
 * against a flat interval map, and no leaked table frames.  A last test
 * checks descriptor encodings bit by bit against the manuals.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/rng.h"
#include "sim/world.h"
#include "model/iommu/pgtable.h"

#define RW (IOMMU_READ | IOMMU_WRITE)

/* One table shape, with the geometry worked out by hand from the manuals. */
struct pcfg {
	const char *fmt;
	unsigned granule_shift, ias, levels;   /* ias 0: by levels */
	unsigned want_levels, want_ias, root_frames;
	bool w_implies_r;                      /* write-only not expressible */
};

static const struct pcfg cfgs[] = {
	{ "vtd-ss", 12, 0, 3, 3, 39, 1, false },
	{ "vtd-ss", 12, 0, 4, 4, 48, 1, false },
	{ "vtd-ss", 12, 0, 5, 5, 57, 1, false },
	{ "vtd-fs", 12, 0, 4, 4, 48, 1, true },
	{ "vtd-fs", 12, 0, 5, 5, 57, 1, true },
	{ "arm-s1", 12, 48, 0, 4, 48, 1, true },
	{ "arm-s1", 12, 39, 0, 3, 39, 1, true },
	{ "arm-s1", 12, 32, 0, 3, 32, 1, true },    /* a 2-entry root */
	{ "arm-s1", 14, 47, 0, 3, 47, 4, true },    /* 2048 x 8 B: 16K root */
	{ "arm-s1", 14, 48, 0, 4, 48, 1, true },    /* a 2-entry level-0 root */
	{ "arm-s1", 16, 48, 0, 3, 48, 1, true },    /* 64-entry root */
	{ "arm-s1", 16, 42, 0, 2, 42, 16, true },   /* a 64K root */
	{ "arm-s2", 12, 48, 0, 4, 48, 1, false },
	{ "arm-s2", 12, 44, 0, 4, 44, 1, false },   /* 32 entries: too many */
	{ "arm-s2", 12, 42, 0, 3, 42, 8, false },   /* 8 tables concatenated */
	{ "arm-s2", 12, 40, 0, 3, 40, 2, false },   /* 2 tables concatenated */
	{ "arm-s2", 14, 48, 0, 3, 48, 8, false },   /* 2 x 16K concatenated */
	{ "arm-s2", 16, 48, 0, 3, 48, 1, false },
	{ "arm-s2", 16, 42, 0, 2, 42, 16, false },
	{ "riscv-sv39", 12, 0, 3, 3, 39, 1, true },
	{ "riscv-sv48", 12, 0, 4, 4, 48, 1, true },
	{ "riscv-sv57", 12, 0, 5, 5, 57, 1, true },
	{ "riscv-sv39x4", 12, 0, 3, 3, 41, 4, true },   /* 16 KiB root */
	{ "riscv-sv48x4", 12, 41 + 9, 0, 4, 50, 4, true },
	{ "riscv-sv57x4", 12, 0, 5, 5, 59, 4, true },
};
#define NCFG ((int)G_N_ELEMENTS(cfgs))

static struct sim_world *w;
static struct io_pgtable pt;
static const struct pcfg *cfg;
static uint64_t gran;            /* the granule, in bytes */

static uint64_t pgtable_frames(void)
{
	struct sim_mem_stats st;

	sim_mem_stats(w, &st);
	return st.frames[SIM_FRAME_PGTABLE];
}

static void begin(int i)
{
	struct io_pgtable_cfg c;

	cfg = &cfgs[i];
	c = (struct io_pgtable_cfg){ cfg->granule_shift, cfg->ias, cfg->levels };
	gran = 1ull << cfg->granule_shift;
	w = sim_world_create(11);
	ck_assert_msg(io_pgtable_init_cfg(&pt, w, io_pgtable_fmt_find(cfg->fmt), &c) == 0,
		      "%s granule %u ias %u", cfg->fmt, cfg->granule_shift, cfg->ias);
}

/* Destroy: no table frame may be left. */
static void end(void)
{
	io_pgtable_destroy(&pt);
	ck_assert_uint_eq(pgtable_frames(), 0);
	ck_assert_uint_eq(pt.table_pages, 0);
	sim_world_destroy(w);
	w = NULL;
}

/* Leaf sizes of the table, smallest first; returns how many. */
static unsigned leaf_sizes(uint64_t *out)
{
	uint64_t bm = io_pgtable_pgsizes(&pt);
	unsigned n = 0;

	for (unsigned b = 0; b < 64; b++)
		if (bm & (1ull << b))
			out[n++] = 1ull << b;
	return n;
}

/* The level a leaf of @size sits at. */
static unsigned level_of(uint64_t size)
{
	return 1 + (unsigned)(__builtin_ctzll(size) - cfg->granule_shift) / (cfg->granule_shift - 3);
}

/* What a mapping with @prot reads back as. */
static unsigned eff(unsigned prot)
{
	return cfg->w_implies_r && (prot & IOMMU_WRITE) ? RW : prot;
}

static void expect_map(uint64_t iova, uint64_t hpa, unsigned prot, uint64_t leaf)
{
	struct io_pgtable_walk wk;
	int ret = io_pgtable_lookup(&pt, iova, &wk);

	ck_assert_msg(ret == 0, "%s: iova 0x%llx not mapped", cfg->fmt, (unsigned long long)iova);
	ck_assert_msg(wk.out == hpa, "%s: iova 0x%llx -> 0x%llx, want 0x%llx", cfg->fmt,
		      (unsigned long long)iova, (unsigned long long)wk.out,
		      (unsigned long long)hpa);
	ck_assert_msg(wk.prot == prot, "%s: iova 0x%llx prot %u, want %u", cfg->fmt,
		      (unsigned long long)iova, wk.prot, prot);
	if (leaf)
		ck_assert_msg(wk.leaf_size == leaf, "%s: iova 0x%llx leaf 0x%llx, want 0x%llx",
			      cfg->fmt, (unsigned long long)iova,
			      (unsigned long long)wk.leaf_size, (unsigned long long)leaf);
}

static void expect_unmapped(uint64_t iova)
{
	struct io_pgtable_walk wk;

	ck_assert_msg(io_pgtable_lookup(&pt, iova, &wk) == -ENOENT, "%s: iova 0x%llx mapped",
		      cfg->fmt, (unsigned long long)iova);
}

/* ---- geometry ------------------------------------------------------------------ */

START_TEST(test_geometry)
{
	begin(_i);
	ck_assert_uint_eq(pt.levels, cfg->want_levels);
	ck_assert_uint_eq(io_pgtable_ias(&pt), cfg->want_ias);
	ck_assert_uint_eq(io_pgtable_root_frames(&pt), cfg->root_frames);
	ck_assert_uint_eq(pt.table_pages, cfg->root_frames);
	ck_assert_uint_eq(pgtable_frames(), cfg->root_frames);
	/* a wide root is aligned to its size */
	ck_assert_uint_eq(pt.root & (cfg->root_frames * SIM_PAGE_SIZE - 1), 0);
	ck_assert_uint_eq(io_pgtable_pgsizes(&pt) & (gran - 1), 0);
	ck_assert(io_pgtable_pgsizes(&pt) & gran);
	end();
}
END_TEST

/* ---- every leaf size ----------------------------------------------------------- */

START_TEST(test_every_leaf_size)
{
	uint64_t sizes[8], tables, total = 0;
	unsigned n;

	begin(_i);
	n = leaf_sizes(sizes);
	ck_assert_uint_ge(n, 2);
	for (unsigned k = 0; k < n; k++) {
		uint64_t s = sizes[k], iova = 3 * s, hpa = 5 * s, inside = s / 2 + 0x128;
		unsigned prot = k % 3 + 1;
		struct io_pgtable_walk wk;

		ck_assert_int_eq(io_pgtable_map(&pt, iova, hpa, s, prot), 0);
		total += s;
		expect_map(iova, hpa, eff(prot), s);
		expect_map(iova + inside, hpa + inside, eff(prot), s);   /* inside the leaf */
		expect_map(iova + s - 8, hpa + s - 8, eff(prot), s);
		expect_unmapped(iova + s);
		expect_unmapped(iova - gran);
		ck_assert_int_eq(io_pgtable_lookup(&pt, iova, &wk), 0);
		ck_assert_uint_eq(wk.refs, pt.levels - level_of(s) + 1);
	}
	tables = pt.table_pages;
	ck_assert_uint_eq(pt.mapped_bytes, total);
	for (unsigned k = 0; k < n; k++)
		ck_assert_int_eq(io_pgtable_unmap(&pt, 3 * sizes[k], sizes[k]), (int64_t)sizes[k]);
	ck_assert_uint_gt(tables, pt.table_pages);
	ck_assert_uint_eq(pt.table_pages, cfg->root_frames);
	ck_assert_uint_eq(pt.mapped_bytes, 0);
	end();
}
END_TEST

/* ---- overlapping maps ------------------------------------------------------------ */

START_TEST(test_overlap_rejected)
{
	uint64_t sizes[8], mid, pages;
	struct sim_mem_stats before, after;

	begin(_i);
	leaf_sizes(sizes);
	mid = sizes[1];
	ck_assert_int_eq(io_pgtable_map(&pt, mid, 4 * mid, mid, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, 5 * mid + 3 * gran, 0, gran, IOMMU_READ), 0);
	pages = pt.table_pages;
	sim_mem_stats(w, &before);
	/* the large leaf's last page, the small page, or around both */
	ck_assert_int_eq(io_pgtable_map(&pt, 2 * mid - gran, 0, 2 * gran, RW), -EEXIST);
	ck_assert_int_eq(io_pgtable_map(&pt, 4 * mid, 0, 2 * mid, RW), -EEXIST);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, 8 * mid, RW), -EEXIST);
	ck_assert_int_eq(io_pgtable_map_naive(&pt, 5 * mid, 0, mid, RW), -EEXIST);
	sim_mem_stats(w, &after);
	ck_assert_uint_eq(pt.table_pages, pages);
	ck_assert_uint_eq(after.frames[SIM_FRAME_PGTABLE], before.frames[SIM_FRAME_PGTABLE]);
	ck_assert_uint_eq(after.allocs, before.allocs);
	ck_assert_uint_eq(pt.mapped_bytes, mid + gran);
	expect_map(mid, 4 * mid, RW, mid);
	expect_map(5 * mid + 3 * gran, 0, IOMMU_READ, gran);
	expect_unmapped(2 * mid);
	expect_unmapped(0);
	/* right beside both is fine */
	ck_assert_int_eq(io_pgtable_map(&pt, 2 * mid, 0, gran, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, mid - gran, 0, gran, RW), 0);
	end();
}
END_TEST

/* ---- partial unmap of a large leaf, per the format's rule ----------------------- */

/* Map two leaves of @mid at 4*mid and 5*mid, then unmap [lo, lo + size). */
static int64_t two_leaves_unmap(uint64_t mid, uint64_t lo, uint64_t size)
{
	io_pgtable_unmap(&pt, 0, 16 * mid);
	ck_assert_int_eq(io_pgtable_map(&pt, 4 * mid, 0, 2 * mid, RW), 0);
	return io_pgtable_unmap(&pt, lo, size);
}

START_TEST(test_partial_unmap)
{
	enum io_pgtable_unmap_rule rule;
	uint64_t sizes[8], m;

	begin(_i);
	rule = pt.fmt->unmap_rule;
	leaf_sizes(sizes);
	m = sizes[1];
	/* a page inside the first leaf: vtd takes the leaf, arm and riscv
	 * refuse (the range starts inside a leaf) */
	ck_assert_int_eq(two_leaves_unmap(m, 4 * m + gran, gran),
			 rule == IO_PGTABLE_UNMAP_WHOLE_LEAF ? (int64_t)m : 0);
	if (rule == IO_PGTABLE_UNMAP_WHOLE_LEAF)
		expect_unmapped(4 * m);
	else
		expect_map(4 * m + gran, gran, RW, m);
	expect_map(5 * m, m, RW, m);
	/* the first page of the leaf: arm refuses, vtd and riscv take it */
	ck_assert_int_eq(two_leaves_unmap(m, 4 * m, gran),
			 rule == IO_PGTABLE_UNMAP_STOP_AT_CUT ? 0 : (int64_t)m);
	/* the first leaf and the first page of the second: arm stops at the
	 * cut, vtd and riscv take both */
	ck_assert_int_eq(two_leaves_unmap(m, 4 * m, m + gran),
			 rule == IO_PGTABLE_UNMAP_STOP_AT_CUT ? (int64_t)m : (int64_t)(2 * m));
	expect_unmapped(4 * m);
	if (rule == IO_PGTABLE_UNMAP_STOP_AT_CUT)
		expect_map(5 * m, m, RW, m);
	else
		expect_unmapped(5 * m);
	/* from inside the first to inside the second: only vtd moves */
	ck_assert_int_eq(two_leaves_unmap(m, 5 * m - gran, 2 * gran),
			 rule == IO_PGTABLE_UNMAP_WHOLE_LEAF ? (int64_t)(2 * m) : 0);
	ck_assert_uint_eq(pt.mapped_bytes, rule == IO_PGTABLE_UNMAP_WHOLE_LEAF ? 0 : 2 * m);
	/* whole leaves: the same everywhere */
	ck_assert_int_eq(two_leaves_unmap(m, 4 * m, 2 * m), (int64_t)(2 * m));
	ck_assert_uint_eq(pt.table_pages, cfg->root_frames);
	end();
}
END_TEST

/* ---- the highest page of the input range ------------------------------------------ */

START_TEST(test_top_page)
{
	uint64_t sizes[8], top, big;
	unsigned n, levels;
	struct io_pgtable_walk wk;

	begin(_i);
	levels = pt.levels;
	top = (1ull << io_pgtable_ias(&pt)) - gran;
	n = leaf_sizes(sizes);
	ck_assert_int_eq(io_pgtable_map(&pt, top, 7 * gran, gran, RW), 0);
	ck_assert_int_eq(io_pgtable_lookup(&pt, top + gran - 1, &wk), 0);
	ck_assert_uint_eq(wk.out, 8 * gran - 1);
	ck_assert_uint_eq(wk.refs, levels);
	/* the root, then one table per level below (granule-sized frames) */
	ck_assert_uint_eq(pt.table_pages, cfg->root_frames + (levels - 1) * (gran / SIM_PAGE_SIZE));
	ck_assert_int_eq(io_pgtable_map(&pt, top + gran, 0, gran, RW), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, top, 0, 2 * gran, RW), -EINVAL);
	/* the largest leaf that fits below the top page's */
	big = sizes[n - 1];
	while (big >= (top + gran) / 2)
		big /= 2;
	if (io_pgtable_pgsizes(&pt) & big) {
		uint64_t at = ((top + gran) & ~(big - 1)) - 2 * big;

		ck_assert_int_eq(io_pgtable_map(&pt, at, 0, big, IOMMU_READ), 0);
		expect_map(at + big - gran, big - gran, IOMMU_READ, big);
	}
	ck_assert_int_eq(io_pgtable_unmap(&pt, top, gran), (int64_t)gran);
	io_pgtable_unmap(&pt, 0, top + gran);
	ck_assert_uint_eq(pt.mapped_bytes, 0);
	ck_assert_uint_eq(pt.table_pages, cfg->root_frames);
	end();
}
END_TEST

/* ---- permissions ---------------------------------------------------------------------- */

START_TEST(test_prot_roundtrip)
{
	uint64_t sizes[8];

	begin(_i);
	leaf_sizes(sizes);
	for (unsigned prot = 1; prot <= 3; prot++) {
		uint64_t a = prot * sizes[1];

		/* a small leaf and a large one */
		ck_assert_int_eq(io_pgtable_map(&pt, a, a, gran, prot), 0);
		ck_assert_int_eq(io_pgtable_map(&pt, a + 16 * sizes[1], a, sizes[1], prot), 0);
		expect_map(a, a, eff(prot), gran);
		expect_map(a + 16 * sizes[1], a, eff(prot), sizes[1]);
		/* the format's own answer, which the §H12 invariant compares with */
		ck_assert_uint_eq(io_pgtable_fmt_prot(pt.fmt, prot), eff(prot));
	}
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, gran, 0), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, gran, 4), -EINVAL);
	/* misaligned to the granule (a 4K step is misaligned for 16K, 64K) */
	if (gran > SZ_4K) {
		ck_assert_int_eq(io_pgtable_map(&pt, SZ_4K, 0, gran, RW), -EINVAL);
		ck_assert_int_eq(io_pgtable_map(&pt, 0, SZ_4K, gran, RW), -EINVAL);
		ck_assert_int_eq(io_pgtable_unmap(&pt, SZ_4K, gran), -EINVAL);
	}
	end();
}
END_TEST

/* ---- fault injection ---------------------------------------------------------------- */

START_TEST(test_fault_injection)
{
	uint64_t span, pages, mapped, frames;
	unsigned long nth;
	int ret;

	begin(_i);
	/* a root entry's span: the range below crosses two of them */
	span = 1ull << (cfg->granule_shift + (pt.levels - 1) * (cfg->granule_shift - 3));
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, gran, IOMMU_READ), 0);
	for (int naive = 0; naive < 2; naive++) {
		uint64_t at = span - gran;

		for (nth = 1;; nth++) {
			pages = pt.table_pages;
			mapped = pt.mapped_bytes;
			frames = pgtable_frames();
			sim_fault_fail_nth(w, "mem_frame_alloc", nth);
			ret = naive ? io_pgtable_map_naive(&pt, at, 0, 2 * gran, RW)
				    : io_pgtable_map(&pt, at, 0, 2 * gran, RW);
			sim_fault_fail_nth(w, "*", 0);
			if (ret != -ENOMEM)
				break;
			ck_assert_uint_eq(pt.table_pages, pages);
			ck_assert_uint_eq(pt.mapped_bytes, mapped);
			ck_assert_uint_eq(pgtable_frames(), frames);
			expect_unmapped(at);
			expect_unmapped(at + gran);
			expect_map(0, 0, IOMMU_READ, gran);
		}
		ck_assert_int_eq(ret, 0);
		/* below root entry 0, the tables under the last index of
		 * its table; below root entry 1, a whole chain */
		ck_assert_uint_eq(nth - 1, 2 * pt.levels - 3);
		expect_map(at + gran, gran, eff(RW), gran);
		ck_assert_int_eq(io_pgtable_unmap(&pt, at, 2 * gran), (int64_t)(2 * gran));
		ck_assert_uint_eq(pt.table_pages, cfg->root_frames + (pt.levels - 1) * (gran / SIM_PAGE_SIZE));
	}
	end();
}
END_TEST

START_TEST(test_naive_map)
{
	uint64_t sizes[8], m;
	struct io_pgtable_walk wk;

	begin(_i);
	leaf_sizes(sizes);
	m = sizes[1];
	ck_assert_int_eq(io_pgtable_map_naive(&pt, m, 2 * m, m + gran, IOMMU_READ), 0);
	expect_map(m, 2 * m, IOMMU_READ, gran);
	expect_map(2 * m, 3 * m, IOMMU_READ, gran);
	ck_assert_int_eq(io_pgtable_lookup(&pt, m + gran, &wk), 0);
	ck_assert_uint_eq(wk.refs, pt.levels);
	ck_assert_int_eq(io_pgtable_map(&pt, 2 * m, 0, gran, RW), -EEXIST);
	ck_assert_int_eq(io_pgtable_unmap(&pt, m, m + gran), (int64_t)(m + gran));
	ck_assert_uint_eq(pt.table_pages, cfg->root_frames);
	end();
}
END_TEST

/* ---- random sequences against a flat interval map ------------------------------- */

/* A mapping (or what is left of one): the leaves the engine built for it
 * follow from its range and output alone (see oracle_leaf). */
struct ival {
	uint64_t iova, size, hpa;
	unsigned prot;               /* as it reads back */
	bool naive;                  /* granule leaves only */
};

static const struct ival *oracle_find(GArray *o, uint64_t a)
{
	for (guint i = 0; i < o->len; i++) {
		const struct ival *v = &g_array_index(o, struct ival, i);

		if (a >= v->iova && a - v->iova < v->size)
			return v;
	}
	return NULL;
}

static bool oracle_overlaps(GArray *o, uint64_t iova, uint64_t size)
{
	for (guint i = 0; i < o->len; i++) {
		const struct ival *v = &g_array_index(o, struct ival, i);

		if (v->iova < iova + size && iova < v->iova + v->size)
			return true;
	}
	return false;
}

/*
 * The leaf holding @a in @v: largest-leaf mapping gives each address the
 * largest allowed size whose aligned block lies inside the mapped range
 * with input and output congruent modulo it.  Unmap never splits, so what
 * is left of a mapping keeps exactly those leaves.
 */
static uint64_t oracle_leaf(const struct ival *v, uint64_t a, uint64_t *base)
{
	uint64_t sizes[8], best = gran;
	unsigned n = leaf_sizes(sizes);

	for (unsigned k = 0; !v->naive && k < n; k++) {
		uint64_t s = sizes[k], b = a & ~(s - 1);

		if (b >= v->iova && b + s - 1 <= v->iova + v->size - 1 && !((v->hpa - v->iova) & (s - 1)))
			best = s;
	}
	*base = a & ~(best - 1);
	return best;
}

/* Cut [lo, last] out of the oracle; returns the bytes removed. */
static uint64_t oracle_cut(GArray *o, uint64_t lo, uint64_t last)
{
	uint64_t removed = 0;

	for (guint i = 0; i < o->len; i++) {
		struct ival v = g_array_index(o, struct ival, i);
		uint64_t vlast = v.iova + v.size - 1, a, b;

		if (vlast < lo || last < v.iova)
			continue;
		a = MAX(v.iova, lo);
		b = MIN(vlast, last);
		removed += b - a + 1;
		g_array_remove_index(o, i--);
		if (v.iova < a) {
			struct ival l = v;

			l.size = a - v.iova;
			g_array_prepend_val(o, l);
			i++;
		}
		if (b < vlast) {
			struct ival r = v;

			r.iova = b + 1;
			r.size = vlast - b;
			r.hpa = v.hpa + (b + 1 - v.iova);
			g_array_prepend_val(o, r);
			i++;
		}
	}
	return removed;
}

/* What io_pgtable_unmap should remove, by the format's rule (pgtable.h). */
static uint64_t oracle_unmap(GArray *o, uint64_t iova, uint64_t size)
{
	enum io_pgtable_unmap_rule rule = pt.fmt->unmap_rule;
	uint64_t last = iova + size - 1, base, ls;
	const struct ival *v;

	if ((v = oracle_find(o, iova)) && (ls = oracle_leaf(v, iova, &base)) && base < iova) {
		if (rule != IO_PGTABLE_UNMAP_WHOLE_LEAF)
			return 0;
		iova = base;
	}
	if ((v = oracle_find(o, last)) && (ls = oracle_leaf(v, last, &base)) &&
	    base + ls - 1 > last) {
		if (rule == IO_PGTABLE_UNMAP_STOP_AT_CUT) {
			if (base <= iova)
				return 0;
			last = base - 1;
		} else {
			last = base + ls - 1;
		}
	}
	return oracle_cut(o, iova, last);
}

/* Sizes: granule runs, runs of the second leaf size, of the largest up to
 * 1G (and 1/64 of the input range); addresses in a window of 16 of those,
 * so ranges collide often. */
static uint64_t big_leaf(void)
{
	uint64_t sizes[8], big = sizes[0] = gran;
	unsigned n = leaf_sizes(sizes);

	for (unsigned k = 0; k < n; k++)
		if (sizes[k] <= SZ_1G && sizes[k] <= (1ull << io_pgtable_ias(&pt)) / 64)
			big = sizes[k];
	return big;
}

static uint64_t rand_size(struct sim_rng *r)
{
	uint64_t sizes[8];

	leaf_sizes(sizes);
	switch (sim_rng_below(r, 8)) {
	case 0: return big_leaf() * (1 + sim_rng_below(r, 2)) + gran * sim_rng_below(r, 3);
	case 1: case 2: return sizes[1] * (1 + sim_rng_below(r, 3)) + gran * sim_rng_below(r, 2);
	default: return gran * (1 + sim_rng_below(r, 40));
	}
}

static uint64_t rand_addr(struct sim_rng *r)
{
	uint64_t sizes[8], unit;

	leaf_sizes(sizes);
	unit = sim_rng_below(r, 3) ? gran : sizes[1];
	return sim_rng_below(r, 16 * big_leaf() / unit) * unit;
}

static void check_oracle(GArray *o, struct sim_rng *r)
{
	uint64_t total = 0;

	for (guint i = 0; i < o->len; i++) {
		const struct ival *v = &g_array_index(o, struct ival, i);
		uint64_t mid = sim_rng_below(r, v->size / gran) * gran, base;

		total += v->size;
		expect_map(v->iova, v->hpa, v->prot, oracle_leaf(v, v->iova, &base));
		expect_map(v->iova + v->size - 1, v->hpa + v->size - 1, v->prot, 0);
		expect_map(v->iova + mid, v->hpa + mid, v->prot, oracle_leaf(v, v->iova + mid, &base));
	}
	ck_assert_uint_eq(pt.mapped_bytes, total);
	for (int k = 0; k < 20; k++) {
		uint64_t a = rand_addr(r);

		if (!oracle_overlaps(o, a, gran))
			expect_unmapped(a);
	}
}

static void random_step(GArray *o, struct sim_rng *r, int step)
{
	uint64_t iova = rand_addr(r), size = rand_size(r);

	if (sim_rng_below(r, 3)) {
		uint64_t hpa = (sim_rng_below(r, 2) ? iova : rand_addr(r)) + 64 * SZ_1G;
		unsigned prot = 1 + (unsigned)sim_rng_below(r, 3);
		bool naive = size < SZ_1G && sim_rng_below(r, 4) == 0;
		int want = oracle_overlaps(o, iova, size) ? -EEXIST : 0;
		int ret = naive ? io_pgtable_map_naive(&pt, iova, hpa, size, prot)
				: io_pgtable_map(&pt, iova, hpa, size, prot);

		ck_assert_msg(ret == want, "%s step %d map: %d, want %d", cfg->fmt, step, ret, want);
		if (!ret) {
			struct ival v = { iova, size, hpa, eff(prot), naive };

			g_array_append_val(o, v);
		}
	} else {
		uint64_t want = oracle_unmap(o, iova, size);
		int64_t got = io_pgtable_unmap(&pt, iova, size);

		ck_assert_msg(got == (int64_t)want, "%s step %d unmap: %lld, want %llu", cfg->fmt,
			      step, (long long)got, (unsigned long long)want);
	}
}

/* Two seeds per shape; then everything unmapped: back to the root alone
 * (no leaked table frames), and to nothing after destroy (end()). */
START_TEST(test_random_vs_oracle)
{
	GArray *o = g_array_new(FALSE, FALSE, sizeof(struct ival));
	struct sim_mem_stats st;
	struct sim_rng r;
	uint64_t total, before;

	begin(_i / 2);
	sim_mem_stats(w, &st);
	before = st.frames_total;
	sim_rng_seed(&r, 0x5eed0000 + (uint64_t)_i);
	for (int step = 0; step < 300; step++) {
		random_step(o, &r, step);
		check_oracle(o, &r);
	}
	ck_assert_uint_gt(pt.table_pages, cfg->root_frames);
	total = pt.mapped_bytes;
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0, 1ull << io_pgtable_ias(&pt)), (int64_t)total);
	ck_assert_uint_eq(pt.table_pages, cfg->root_frames);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_PGTABLE], cfg->root_frames);
	ck_assert_uint_eq(st.frames_total, before);
	g_array_free(o, TRUE);
	end();
}
END_TEST

/* ---- descriptor encodings, bit by bit ---------------------------------------------- */

static const struct io_pgtable_fmt *F(const char *name)
{
	const struct io_pgtable_fmt *f = io_pgtable_fmt_find(name);

	ck_assert_msg(f != NULL, "%s", name);
	return f;
}

START_TEST(test_encodings)
{
	const struct io_pgtable_fmt *fs = F("vtd-fs"), *s1 = F("arm-s1"), *s2 = F("arm-s2");
	const struct io_pgtable_fmt *rv = F("riscv-sv39"), *rv4 = F("riscv-sv57x4");

	/* x86-64 PTE: P 0, R/W 1, U/S 2, A 5, D 6, PS 7, XD 63 */
	ck_assert_uint_eq(io_pgtable_pte_leaf(fs, 0x200000, 2, IOMMU_READ), 0x80000000002000a5ull);
	ck_assert_uint_eq(io_pgtable_pte_leaf(fs, 0x5000, 1, RW), 0x8000000000005067ull);
	ck_assert_uint_eq(io_pgtable_pte_leaf(fs, 0x5000, 1, IOMMU_WRITE), 0x8000000000005067ull);
	ck_assert_uint_eq(io_pgtable_pte_table(fs, 0x7000), 0x7027);
	ck_assert_uint_eq(io_pgtable_pte_prot(fs, 0x80000000002000a5ull), IOMMU_READ);
	ck_assert(!io_pgtable_pte_present(fs, 0x7026));
	/* ARM stage 1: [1:0] 0b11 page/table, 0b01 block; AttrIndx 1 at 2,
	 * AP[2:1] at 7:6, SH 9:8, AF 10, nG 11 */
	ck_assert_uint_eq(io_pgtable_pte_leaf(s1, 0x5000, 1, IOMMU_READ), 0x5fc7);
	ck_assert_uint_eq(io_pgtable_pte_leaf(s1, SZ_1G, 3, RW), 0x40000f45);
	ck_assert_uint_eq(io_pgtable_pte_table(s1, 0x7000), 0x7003);
	ck_assert_uint_eq(io_pgtable_pte_prot(s1, 0x5fc7), IOMMU_READ);
	ck_assert_uint_eq(io_pgtable_pte_prot(s1, 0x40000f45), RW);
	ck_assert(io_pgtable_pte_is_leaf(s1, 0x40000f45, 3));
	ck_assert(!io_pgtable_pte_is_leaf(s1, 0x7003, 3));
	ck_assert(io_pgtable_pte_last_ok(s1, 0x5fc7));
	ck_assert(!io_pgtable_pte_last_ok(s1, 0x5fc5));
	/* ARM stage 2: MemAttr 0b1111 at 5:2, S2AP read 6, write 7 */
	ck_assert_uint_eq(io_pgtable_pte_leaf(s2, 0x5000, 1, IOMMU_WRITE), 0x57bf);
	ck_assert_uint_eq(io_pgtable_pte_leaf(s2, 0x5000, 1, IOMMU_READ), 0x577f);
	ck_assert_uint_eq(io_pgtable_pte_leaf(s2, SZ_2M, 2, RW), 0x2007fd);
	ck_assert_uint_eq(io_pgtable_pte_prot(s2, 0x57bf), IOMMU_WRITE);
	/* RISC-V: V 0, R 1, W 2, X 3, U 4, A 6, D 7, PPN from bit 10 */
	ck_assert_uint_eq(io_pgtable_pte_leaf(rv, 0x80000000, 1, IOMMU_READ), 0x20000053);
	ck_assert_uint_eq(io_pgtable_pte_leaf(rv, 0x80000000, 1, IOMMU_WRITE), 0x200000d7);
	ck_assert_uint_eq(io_pgtable_pte_leaf(rv4, 0x80000000, 3, RW), 0x200000d7);
	ck_assert_uint_eq(io_pgtable_pte_table(rv, 0x7000), 0x1c01);
	ck_assert_uint_eq(io_pgtable_pte_addr(rv, 0x200000d7), 0x80000000);
	ck_assert(!io_pgtable_pte_last_ok(rv, 0x1c01));
	ck_assert(io_pgtable_pte_is_leaf(rv, 0x20000053, 3));
	/* formats by name, stages, rules */
	ck_assert_ptr_null(io_pgtable_fmt_find("arm-lpae"));
	ck_assert_int_eq(F("vtd-ss")->stage, IO_PGTABLE_STAGE2);
	ck_assert_int_eq(fs->stage, IO_PGTABLE_STAGE1);
	ck_assert_int_eq(s2->stage, IO_PGTABLE_STAGE2);
	ck_assert_int_eq(rv4->stage, IO_PGTABLE_STAGE2);
	ck_assert_int_eq(rv->unmap_rule, IO_PGTABLE_UNMAP_ALIGNED_START);
	ck_assert_int_eq(s1->unmap_rule, IO_PGTABLE_UNMAP_STOP_AT_CUT);
	for (unsigned i = 0; io_pgtable_fmt_nth(i); i++)
		ck_assert_ptr_eq(io_pgtable_fmt_find(io_pgtable_fmt_nth(i)->name), io_pgtable_fmt_nth(i));
	ck_assert_ptr_null(io_pgtable_fmt_nth(10));
}
END_TEST

/* Shapes a format does not have are refused, and nothing is allocated. */
START_TEST(test_bad_shapes)
{
	static const struct { const char *fmt; struct io_pgtable_cfg c; } bad[] = {
		{ "vtd-ss", { 12, 0, 2 } }, { "vtd-ss", { 12, 0, 6 } }, { "vtd-ss", { 14, 0, 4 } },
		{ "vtd-ss", { 12, 40, 0 } }, { "vtd-fs", { 12, 0, 3 } },
		{ "arm-s1", { 12, 49, 0 } }, { "arm-s1", { 12, 24, 0 } }, { "arm-s1", { 13, 40, 0 } },
		{ "arm-s1", { 14, 25, 0 } }, { "arm-s1", { 16, 0, 4 } }, { "arm-s2", { 12, 0, 5 } },
		{ "riscv-sv39", { 12, 0, 4 } }, { "riscv-sv39x4", { 12, 39, 0 } },
	};
	struct io_pgtable p;

	w = sim_world_create(1);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		ck_assert_msg(io_pgtable_init_cfg(&p, w, F(bad[i].fmt), &bad[i].c) == -EINVAL,
			      "shape %zu accepted", i);
	ck_assert_int_eq(io_pgtable_init_cfg(&p, w, NULL, &bad[0].c), -EINVAL);
	ck_assert_uint_eq(pgtable_frames(), 0);
	/* a root of several frames whose allocation fails */
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(io_pgtable_init(&p, w, F("riscv-sv48x4"), 4), -ENOMEM);
	ck_assert_uint_eq(pgtable_frames(), 0);
	sim_world_destroy(w);
	w = NULL;
}
END_TEST

/* The walk refuses descriptors the hardware would fault on. */
START_TEST(test_walk_faults)
{
	static const struct { const char *fmt; struct io_pgtable_cfg c; uint64_t clear; } t[] = {
		{ "arm-s1", { 12, 48, 0 }, 0x2 },    /* 0b01 at the last level */
		{ "arm-s2", { 16, 48, 0 }, 0x2 },
		{ "riscv-sv39", { 12, 0, 3 }, 0xe }, /* R=W=X=0 at the last level */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		uint64_t slot, g = t[i].c.granule_shift ? 1ull << t[i].c.granule_shift : SZ_4K;
		struct io_pgtable_walk wk;

		w = sim_world_create(1);
		ck_assert_int_eq(io_pgtable_init_cfg(&pt, w, F(t[i].fmt), &t[i].c), 0);
		ck_assert_int_eq(io_pgtable_map(&pt, 0, 0x80000000, g, RW), 0);
		/* iova 0: index 0 at every level */
		slot = pt.root;
		for (unsigned l = pt.levels; l > 1; l--)
			slot = io_pgtable_pte_addr(pt.fmt, sim_mem_read64(w, slot));
		sim_mem_write64(w, slot, sim_mem_read64(w, slot) & ~t[i].clear);
		ck_assert_int_eq(io_pgtable_lookup(&pt, 0, &wk), -ENOENT);
		ck_assert_uint_eq(wk.refs, pt.levels);
		/* ARM: a block at the root level (512G, 4T) does not exist */
		if (pt.fmt->unmap_rule == IO_PGTABLE_UNMAP_STOP_AT_CUT) {
			unsigned gs = t[i].c.granule_shift;
			uint64_t span = 1ull << (gs + (pt.levels - 1) * (gs - 3));

			sim_mem_write64(w, pt.root + 8,
					io_pgtable_pte_leaf(pt.fmt, 0, pt.levels, IOMMU_READ));
			ck_assert_int_eq(io_pgtable_lookup(&pt, span, &wk), -ENOENT);
			ck_assert_uint_eq(wk.refs, 1);
		}
		io_pgtable_destroy(&pt);
		sim_world_destroy(w);
		w = NULL;
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pgtable_formats");
	TCase *tc = tcase_create("formats");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_geometry, 0, NCFG);
	tcase_add_loop_test(tc, test_every_leaf_size, 0, NCFG);
	tcase_add_loop_test(tc, test_overlap_rejected, 0, NCFG);
	tcase_add_loop_test(tc, test_partial_unmap, 0, NCFG);
	tcase_add_loop_test(tc, test_top_page, 0, NCFG);
	tcase_add_loop_test(tc, test_prot_roundtrip, 0, NCFG);
	tcase_add_loop_test(tc, test_fault_injection, 0, NCFG);
	tcase_add_loop_test(tc, test_naive_map, 0, NCFG);
	tcase_add_loop_test(tc, test_random_vs_oracle, 0, 2 * NCFG);
	tcase_add_test(tc, test_encodings);
	tcase_add_test(tc, test_bad_shapes);
	tcase_add_test(tc, test_walk_faults);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
