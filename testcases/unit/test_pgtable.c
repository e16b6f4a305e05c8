/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/pgtable: the radix table engine and the VT-d second-stage
 * format.  Every leaf size, largest-leaf mapping, all-or-nothing overlap
 * checks, the VT-d rule for unmapping part of a large leaf, the edges of
 * the input range, walk reference counts, no leaked table frames, fault
 * injection on table allocation.  The walker interface (descriptor reads
 * in order through a callback, a start below a cached table, the table of
 * every level) and tables in guest memory (struct io_pgtable_mem: pages
 * from the pool, reached through to_hpa, all returned).  The random
 * map/unmap sequences against a flat interval map run for every format in
 * test_pgtable_formats.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/rng.h"
#include "sim/world.h"
#include "model/iommu/pgtable.h"

#define RW (IOMMU_READ | IOMMU_WRITE)

static struct sim_world *w;
static struct io_pgtable pt;

static void setup_levels(unsigned levels)
{
	w = sim_world_create(7);
	ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, levels), 0);
}

static void setup(void)
{
	setup_levels(4);
}

static void teardown(void)
{
	struct sim_mem_stats st;

	if (pt.root) {
		io_pgtable_destroy(&pt);
		sim_mem_stats(w, &st);
		ck_assert_uint_eq(st.frames[SIM_FRAME_PGTABLE], 0);
	}
	sim_world_destroy(w);
	w = NULL;
}

static uint64_t pgtable_frames(void)
{
	struct sim_mem_stats st;

	sim_mem_stats(w, &st);
	return st.frames[SIM_FRAME_PGTABLE];
}

/* @iova translates to @hpa with @prot through a leaf of @leaf bytes. */
static void expect_map(uint64_t iova, uint64_t hpa, unsigned prot, uint64_t leaf)
{
	struct io_pgtable_walk wk;
	int ret = io_pgtable_lookup(&pt, iova, &wk);

	ck_assert_msg(ret == 0, "iova 0x%llx not mapped", (unsigned long long)iova);
	ck_assert_msg(wk.out == hpa, "iova 0x%llx -> 0x%llx, want 0x%llx",
		      (unsigned long long)iova, (unsigned long long)wk.out,
		      (unsigned long long)hpa);
	ck_assert_uint_eq(wk.prot, prot);
	if (leaf)
		ck_assert_msg(wk.leaf_size == leaf, "iova 0x%llx leaf 0x%llx, want 0x%llx",
			      (unsigned long long)iova, (unsigned long long)wk.leaf_size,
			      (unsigned long long)leaf);
}

static void expect_unmapped(uint64_t iova)
{
	struct io_pgtable_walk wk;

	ck_assert_msg(io_pgtable_lookup(&pt, iova, &wk) == -ENOENT, "iova 0x%llx mapped",
		      (unsigned long long)iova);
}

/* ---- format and setup -------------------------------------------------------- */

START_TEST(test_format)
{
	struct io_pgtable p;

	ck_assert_ptr_eq(io_pgtable_fmt_find("vtd-ss"), &io_pgtable_vtd_ss);
	ck_assert_ptr_null(io_pgtable_fmt_find("arm-lpae"));
	ck_assert_ptr_null(io_pgtable_fmt_find(NULL));
	ck_assert_uint_eq(io_pgtable_ias(&pt), 48);
	ck_assert_uint_eq(pt.table_pages, 1);
	ck_assert_uint_eq(pgtable_frames(), 1);
	ck_assert_int_eq(io_pgtable_init(&p, w, &io_pgtable_vtd_ss, 2), -EINVAL);
	ck_assert_int_eq(io_pgtable_init(&p, w, &io_pgtable_vtd_ss, 6), -EINVAL);
	ck_assert_int_eq(io_pgtable_init(&p, w, NULL, 4), -EINVAL);
	for (unsigned l = 3; l <= 5; l++) {
		ck_assert_int_eq(io_pgtable_init(&p, w, &io_pgtable_vtd_ss, l), 0);
		ck_assert_uint_eq(io_pgtable_ias(&p), 12 + 9 * l);
		io_pgtable_destroy(&p);
	}
	/* the encoding of hw.h: R bit 0, W bit 1, PS bit 7, address 12..51 */
	ck_assert_uint_eq(io_pgtable_pte_leaf(&io_pgtable_vtd_ss, 0x200000, 2, IOMMU_READ), 0x200081);
	ck_assert_uint_eq(io_pgtable_pte_leaf(&io_pgtable_vtd_ss, 0x5000, 1, IOMMU_WRITE), 0x5002);
	ck_assert_uint_eq(io_pgtable_pte_table(&io_pgtable_vtd_ss, 0x7000), 0x7003);
	ck_assert(!io_pgtable_pte_present(&io_pgtable_vtd_ss, 0x7000));
	ck_assert_uint_eq(io_pgtable_pte_addr(&io_pgtable_vtd_ss, 0x8000000000200081ull), 0x200000);
	ck_assert_uint_eq(io_pgtable_pte_prot(&io_pgtable_vtd_ss, 0x200083), RW);
	ck_assert(io_pgtable_pte_is_leaf(&io_pgtable_vtd_ss, 0x200081, 2));
	ck_assert(!io_pgtable_pte_is_leaf(&io_pgtable_vtd_ss, 0x7003, 2));
	ck_assert(io_pgtable_pte_is_leaf(&io_pgtable_vtd_ss, 0x7003, 1));
	ck_assert_uint_eq(io_pgtable_root_frames(&pt), 1);
	ck_assert_uint_eq(io_pgtable_pgsizes(&pt), SZ_4K | SZ_2M | SZ_1G);
	ck_assert_int_eq(io_pgtable_vtd_ss.unmap_rule, IO_PGTABLE_UNMAP_WHOLE_LEAF);
}
END_TEST

/* ---- map ------------------------------------------------------------------------ */

START_TEST(test_map_each_leaf_size)
{
	static const struct { uint64_t iova, hpa, size; unsigned prot, refs, tables; } c[] = {
		{ 0x1000, 0x9000, SZ_4K, IOMMU_READ, 4, 3 },          /* L3, L2, L1 tables */
		{ 0x40200000, 0x7fe00000, SZ_2M, IOMMU_WRITE, 3, 1 }, /* a new L2 */
		{ 0x80000000ull, 0x1c0000000ull, SZ_1G, RW, 2, 0 },    /* a leaf in the L3 */
	};
	uint64_t pages = 1, mapped = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(c); i++) {
		struct io_pgtable_walk wk;

		ck_assert_int_eq(io_pgtable_map(&pt, c[i].iova, c[i].hpa, c[i].size, c[i].prot), 0);
		pages += c[i].tables;
		mapped += c[i].size;
		ck_assert_uint_eq(pt.table_pages, pages);
		ck_assert_uint_eq(pgtable_frames(), pages);
		ck_assert_uint_eq(pt.mapped_bytes, mapped);
		expect_map(c[i].iova, c[i].hpa, c[i].prot, c[i].size);
		expect_map(c[i].iova + c[i].size - 8, c[i].hpa + c[i].size - 8, c[i].prot, c[i].size);
		ck_assert_int_eq(io_pgtable_lookup(&pt, c[i].iova, &wk), 0);
		ck_assert_uint_eq(wk.refs, c[i].refs);
		expect_unmapped(c[i].iova + c[i].size);
		if (c[i].iova)
			expect_unmapped(c[i].iova - SZ_4K);
	}
}
END_TEST

START_TEST(test_map_largest_leaves)
{
	/* 4K up to a 2M boundary, 2M leaves up to 1G, a 1G leaf, 2M, 4K */
	uint64_t iova = SZ_1G - SZ_2M - SZ_4K, size = SZ_4K + SZ_2M + SZ_1G + SZ_2M + SZ_4K;
	uint64_t hpa = 0x100000000ull - SZ_2M - SZ_4K;   /* same alignment */

	ck_assert_int_eq(io_pgtable_map(&pt, iova, hpa, size, RW), 0);
	expect_map(iova, hpa, RW, SZ_4K);
	expect_map(iova + SZ_4K, hpa + SZ_4K, RW, SZ_2M);
	expect_map(SZ_1G, hpa + SZ_4K + SZ_2M, RW, SZ_1G);
	expect_map(2 * SZ_1G + 0x1234, hpa + SZ_4K + SZ_2M + SZ_1G + 0x1234, RW, SZ_2M);
	expect_map(2 * SZ_1G + SZ_2M, hpa + size - SZ_4K, RW, SZ_4K);
	expect_unmapped(2 * SZ_1G + SZ_2M + SZ_4K);
	/* root, one L3, two L2 (around the 1G leaf), two L1 */
	ck_assert_uint_eq(pt.table_pages, 6);

	/* an output misaligned with the input: 4 KiB leaves only */
	ck_assert_int_eq(io_pgtable_map(&pt, 8 * SZ_1G, 0x3000, SZ_2M, IOMMU_READ), 0);
	expect_map(8 * SZ_1G, 0x3000, IOMMU_READ, SZ_4K);
	expect_map(8 * SZ_1G + SZ_2M - SZ_4K, 0x3000 + SZ_2M - SZ_4K, IOMMU_READ, SZ_4K);
}
END_TEST

START_TEST(test_map_bad_args)
{
	ck_assert_int_eq(io_pgtable_map(&pt, 0x1001, 0, SZ_4K, RW), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0x10, SZ_4K, RW), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, 0x800, RW), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, 0, RW), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, SZ_4K, 0), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, SZ_4K, 0x4), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, 1ull << 48, 0, SZ_4K, RW), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, (1ull << 48) - SZ_4K, 0, 2 * SZ_4K, RW), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, UINT64_MAX - 0xfff, 0, SZ_4K * 2, RW), -EINVAL);
	/* outputs beyond the 52-bit address field */
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 1ull << 52, SZ_4K, RW), -EINVAL);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, (1ull << 52) - SZ_4K, 2 * SZ_4K, RW), -EINVAL);
	ck_assert_int_eq(io_pgtable_map_naive(&pt, 0x1001, 0, SZ_4K, RW), -EINVAL);
	ck_assert_uint_eq(pt.table_pages, 1);
	ck_assert_uint_eq(pt.mapped_bytes, 0);
}
END_TEST

START_TEST(test_map_overlap_changes_nothing)
{
	uint64_t pages;
	struct sim_mem_stats before, after;

	ck_assert_int_eq(io_pgtable_map(&pt, SZ_2M, 0x40000000, SZ_2M, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, 5 * SZ_2M + 0x3000, 0x5000, SZ_4K, IOMMU_READ), 0);
	pages = pt.table_pages;
	sim_mem_stats(w, &before);
	/* overlapping the 2M leaf's last page, the 4K page, or containing both */
	ck_assert_int_eq(io_pgtable_map(&pt, 2 * SZ_2M - SZ_4K, 0, SZ_4K * 2, RW), -EEXIST);
	ck_assert_int_eq(io_pgtable_map(&pt, 4 * SZ_2M, 0, 2 * SZ_2M, RW), -EEXIST);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, SZ_1G, RW), -EEXIST);
	ck_assert_int_eq(io_pgtable_map_naive(&pt, 5 * SZ_2M, 0, SZ_2M, RW), -EEXIST);
	sim_mem_stats(w, &after);
	ck_assert_uint_eq(pt.table_pages, pages);
	ck_assert_uint_eq(after.frames[SIM_FRAME_PGTABLE], before.frames[SIM_FRAME_PGTABLE]);
	ck_assert_uint_eq(after.allocs, before.allocs);
	ck_assert_uint_eq(pt.mapped_bytes, SZ_2M + SZ_4K);
	expect_unmapped(2 * SZ_2M);
	expect_unmapped(4 * SZ_2M);
	expect_unmapped(0);
	/* right beside both is fine */
	ck_assert_int_eq(io_pgtable_map(&pt, 2 * SZ_2M, 0, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_2M - SZ_4K, 0, SZ_4K, RW), 0);
}
END_TEST

START_TEST(test_lookup_inside_leaf)
{
	struct io_pgtable_walk wk;

	ck_assert_int_eq(io_pgtable_map(&pt, 3 * SZ_1G, 5 * SZ_1G, SZ_1G, IOMMU_READ), 0);
	ck_assert_int_eq(io_pgtable_lookup(&pt, 3 * SZ_1G + 0x12345678, &wk), 0);
	ck_assert_uint_eq(wk.out, 5 * SZ_1G + 0x12345678);
	ck_assert_uint_eq(wk.leaf_size, SZ_1G);
	ck_assert_uint_eq(wk.prot, IOMMU_READ);
	ck_assert_uint_eq(wk.refs, 2);
	/* a miss still reports the references it made */
	ck_assert_int_eq(io_pgtable_lookup(&pt, 0x1000, &wk), -ENOENT);
	ck_assert_uint_eq(wk.refs, 2);      /* root, then the empty L3 slot */
	ck_assert_int_eq(io_pgtable_lookup(&pt, 1ull << 48, &wk), -ENOENT);
	ck_assert_uint_eq(wk.refs, 0);
}
END_TEST

/* The highest page of the input range, for every level count. */
START_TEST(test_top_page)
{
	unsigned levels = 3 + (unsigned)_i;
	uint64_t top = (1ull << (12 + 9 * levels)) - SZ_4K;
	struct io_pgtable_walk wk;

	io_pgtable_destroy(&pt);
	ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, levels), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, top, 0xabc000, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_lookup(&pt, top + 0xfff, &wk), 0);
	ck_assert_uint_eq(wk.out, 0xabcfff);
	ck_assert_uint_eq(wk.refs, levels);
	ck_assert_uint_eq(pt.table_pages, levels);
	ck_assert_int_eq(io_pgtable_map(&pt, top + SZ_4K, 0, SZ_4K, RW), -EINVAL);
	/* the top 1G as a leaf, right below */
	ck_assert_int_eq(io_pgtable_map(&pt, top + SZ_4K - 2 * SZ_1G, 0, SZ_1G, RW), 0);
	ck_assert_int_eq(io_pgtable_unmap(&pt, top, SZ_4K), (int64_t)SZ_4K);
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0, 1ull << (12 + 9 * levels)), (int64_t)SZ_1G);
	ck_assert_uint_eq(pt.table_pages, 1);
}
END_TEST

/* ---- unmap ------------------------------------------------------------------------ */

/*
 * The VT-d rule (intel_iommu_unmap): a leaf the range touches goes whole,
 * and unmap reports its whole size.
 */
START_TEST(test_unmap_part_of_2m)
{
	uint64_t base = 4 * SZ_2M, hpa = 0x40000000, pages;

	ck_assert_int_eq(io_pgtable_map(&pt, base, hpa, SZ_2M, IOMMU_READ), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, base + SZ_2M, hpa, SZ_4K, IOMMU_READ), 0);
	pages = pt.table_pages;
	/* one page at the start of the leaf: the whole 2M goes */
	ck_assert_int_eq(io_pgtable_unmap(&pt, base, SZ_4K), (int64_t)SZ_2M);
	expect_unmapped(base);
	expect_unmapped(base + SZ_2M - SZ_4K);
	expect_map(base + SZ_2M, hpa, IOMMU_READ, SZ_4K);
	ck_assert_uint_eq(pt.table_pages, pages);
	ck_assert_uint_eq(pt.mapped_bytes, SZ_4K);
	/* one page out of the middle: the same */
	ck_assert_int_eq(io_pgtable_map(&pt, base, hpa, SZ_2M, IOMMU_READ), 0);
	ck_assert_int_eq(io_pgtable_unmap(&pt, base + 0x10000, SZ_4K), (int64_t)SZ_2M);
	expect_unmapped(base);
	/* a range from inside the leaf to past it: the leaf and what follows */
	ck_assert_int_eq(io_pgtable_map(&pt, base, hpa, SZ_2M, IOMMU_READ), 0);
	ck_assert_int_eq(io_pgtable_unmap(&pt, base + SZ_2M - SZ_4K, 2 * SZ_4K),
			 (int64_t)(SZ_2M + SZ_4K));
	ck_assert_uint_eq(pt.table_pages, 1);
	ck_assert_uint_eq(pgtable_frames(), 1);
	ck_assert_int_eq(io_pgtable_unmap(&pt, base, SZ_2M), 0);
}
END_TEST

START_TEST(test_unmap_part_of_1g_both_edges)
{
	uint64_t base = SZ_1G, hpa = 7 * SZ_1G;

	ck_assert_int_eq(io_pgtable_map(&pt, base, hpa, SZ_1G, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, base + SZ_1G, hpa, SZ_2M, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, base + SZ_1G + SZ_2M, hpa, SZ_2M, RW), 0);
	ck_assert_uint_eq(pt.table_pages, 3);
	/* [base + 3M + 4K, base + 1G + 8K): inside the 1G leaf to inside the
	 * first 2M leaf after it: both go whole, the second 2M stays */
	ck_assert_int_eq(io_pgtable_unmap(&pt, base + 0x301000, SZ_1G - 0x2ff000),
			 (int64_t)(SZ_1G + SZ_2M));
	expect_unmapped(base);
	expect_unmapped(base + SZ_1G + SZ_2M - SZ_4K);
	expect_map(base + SZ_1G + SZ_2M, hpa, RW, SZ_2M);
	ck_assert_uint_eq(pt.mapped_bytes, SZ_2M);
	ck_assert_uint_eq(pt.table_pages, 3);
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0, 4 * SZ_1G), (int64_t)SZ_2M);
	ck_assert_uint_eq(pt.table_pages, 1);
}
END_TEST

START_TEST(test_unmap_args)
{
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0x800, SZ_4K), -EINVAL);
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0, 0x800), -EINVAL);
	ck_assert_int_eq(io_pgtable_unmap(&pt, UINT64_MAX - 0xfff, 2 * SZ_4K), -EINVAL);
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0, 0), 0);
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0, SZ_1G), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, 0, 0, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_2M, 0, SZ_2M, RW), 0);
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0, 4 * SZ_2M), (int64_t)(SZ_4K + SZ_2M));
	ck_assert_uint_eq(pt.table_pages, 1);
}
END_TEST

/* ---- naive map ------------------------------------------------------------------- */

START_TEST(test_naive_map)
{
	struct io_pgtable_walk wk;

	ck_assert_int_eq(io_pgtable_map_naive(&pt, SZ_1G, 0x200000, SZ_2M + SZ_4K, IOMMU_READ), 0);
	expect_map(SZ_1G, 0x200000, IOMMU_READ, SZ_4K);
	expect_map(SZ_1G + SZ_2M, 0x400000, IOMMU_READ, SZ_4K);
	ck_assert_int_eq(io_pgtable_lookup(&pt, SZ_1G + 0x1000, &wk), 0);
	ck_assert_uint_eq(wk.refs, 4);
	ck_assert_uint_eq(pt.mapped_bytes, SZ_2M + SZ_4K);
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_1G + SZ_2M, 0, SZ_4K, RW), -EEXIST);
	ck_assert_int_eq(io_pgtable_unmap(&pt, SZ_1G, SZ_1G), (int64_t)(SZ_2M + SZ_4K));
	ck_assert_uint_eq(pt.table_pages, 1);
}
END_TEST

/* ---- fault injection ------------------------------------------------------------- */

struct snap {
	uint64_t table_pages, mapped, frames;
};

static void take(struct snap *s)
{
	s->table_pages = pt.table_pages;
	s->mapped = pt.mapped_bytes;
	s->frames = pgtable_frames();
}

static void same(const struct snap *a)
{
	struct snap b;

	take(&b);
	ck_assert_uint_eq(a->table_pages, b.table_pages);
	ck_assert_uint_eq(a->mapped, b.mapped);
	ck_assert_uint_eq(a->frames, b.frames);
}

/* The existing mappings of the fault-injection tests. */
static void expect_base_mappings(void)
{
	expect_map(SZ_1G, 3 * SZ_1G, RW, SZ_1G);
	expect_map(0x5000, 0x9000, IOMMU_READ, SZ_4K);
	expect_unmapped(0x6000);
}

START_TEST(test_fault_injection)
{
	const char *what[] = { "map", "naive" };
	struct sim_mem_stats st;
	struct snap s;
	unsigned long nth;
	int ret;

	ck_assert_int_eq(io_pgtable_map(&pt, SZ_1G, 3 * SZ_1G, SZ_1G, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, 0x5000, 0x9000, SZ_4K, IOMMU_READ), 0);
	for (int op = 0; op < 2; op++) {
		for (nth = 1;; nth++) {
			take(&s);
			sim_fault_fail_nth(w, "mem_frame_alloc", nth);
			if (op == 0)     /* new tables under two 512G slots */
				ret = io_pgtable_map(&pt, 512 * SZ_1G - SZ_4K, 0, 2 * SZ_4K, RW);
			else
				ret = io_pgtable_map_naive(&pt, 1024 * SZ_1G - SZ_4K, 0, 2 * SZ_4K, RW);
			sim_fault_fail_nth(w, "*", 0);
			if (ret != -ENOMEM)
				break;
			same(&s);
			expect_base_mappings();
		}
		ck_assert_msg(ret >= 0, "%s: %d", what[op], ret);
		ck_assert_msg(nth > 2, "%s: only %lu allocations", what[op], nth - 1);
	}
	expect_map(512 * SZ_1G, SZ_4K, RW, SZ_4K);
	/* unmap never splits, so it never allocates: part of the 1G leaf */
	sim_mem_stats(w, &st);
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(io_pgtable_unmap(&pt, SZ_1G + SZ_2M + SZ_4K, SZ_2M), (int64_t)SZ_1G);
	ck_assert_uint_eq(sim_fault_calls(w), 0);
	sim_fault_fail_nth(w, "*", 0);
	expect_unmapped(SZ_1G + SZ_2M);
	expect_map(0x5000, 0x9000, IOMMU_READ, SZ_4K);
}
END_TEST

/* ---- random sequences ------------------------------------------------------------ */

/* A random size/alignment mix: mostly small, some 2M- and 1G-sized. */
static uint64_t rand_size(struct sim_rng *r)
{
	switch (sim_rng_below(r, 8)) {
	case 0: return SZ_1G * (1 + sim_rng_below(r, 2)) + SZ_4K * sim_rng_below(r, 3);
	case 1: case 2: return SZ_2M * (1 + sim_rng_below(r, 3)) + SZ_4K * sim_rng_below(r, 2);
	default: return SZ_4K * (1 + sim_rng_below(r, 40));
	}
}

static uint64_t rand_addr(struct sim_rng *r)
{
	uint64_t unit = sim_rng_below(r, 3) ? SZ_4K : SZ_2M;

	/* a 16 GiB window, so ranges collide often */
	return sim_rng_below(r, 16 * SZ_1G / unit) * unit;
}

/* Everything mapped and unmapped again: back to the root alone. */
START_TEST(test_no_leaked_tables)
{
	struct sim_mem_stats st;
	struct sim_rng r;
	uint64_t before, mapped;

	sim_rng_seed(&r, 99);
	sim_mem_stats(w, &st);
	before = st.frames_total;
	for (int i = 0; i < 200; i++) {
		uint64_t iova = rand_addr(&r), size = rand_size(&r);

		io_pgtable_map(&pt, iova, iova, size, RW);
		if (i % 3 == 0)
			io_pgtable_unmap(&pt, rand_addr(&r), rand_size(&r));
	}
	ck_assert_uint_gt(pt.table_pages, 10);
	mapped = pt.mapped_bytes;
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0, 1ull << 48), (int64_t)mapped);
	ck_assert_uint_eq(pt.mapped_bytes, 0);
	ck_assert_uint_eq(pt.table_pages, 1);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_PGTABLE], 1);
	ck_assert_uint_eq(st.frames_total, before);
}
END_TEST

/* ---- corrupt descriptors ---------------------------------------------------------- */

/*
 * Table memory anyone may write (an identity-domain device's DMA, a guest
 * over its own pool): the engine follows a table descriptor only to a table
 * it allocated, at the level below.  intel-iommu's pfn_to_dma_pte and
 * dma_pte_free_level trust what they read back; the model must not (a
 * garbage address would be a wild pointer here), so a corrupt descriptor is
 * counted, traced and treated as not present by every path.
 */

/* The HPA of the level-@level table holding @iova (the walk's own view). */
static uint64_t table_at(uint64_t iova, unsigned level)
{
	struct io_pgtable_walk wk;

	io_pgtable_lookup(&pt, iova, &wk);
	return wk.tables[level];
}

/* A 4 KiB mapping at 1 GiB and one at 2 GiB, under one level-3 table
 * (root, level 3, two level-2 and two level-1 tables); then the root's
 * descriptor for them is replaced by @bad. */
static void corrupt_root_entry(uint64_t bad)
{
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_1G, 0x5000, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, 2 * SZ_1G, 0x6000, SZ_4K, RW), 0);
	ck_assert_uint_eq(pt.table_pages, 6);
	sim_mem_write64(w, pt.root, bad);
}

/* Whatever the root's first descriptor says, nothing below it is followed;
 * map replaces it, unmap and the busy check pass it by, destroy frees
 * every table (the fixture's teardown checks none is left). */
static void expect_corrupt_root_handled(void)
{
	uint64_t before = pt.corrupt;

	expect_unmapped(SZ_1G);
	ck_assert_int_eq(io_pgtable_unmap(&pt, SZ_1G, SZ_4K), 0);
	ck_assert_uint_gt(pt.corrupt, before);
	before = pt.corrupt;
	/* the busy check sees nothing there; map builds a new level 3 */
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_1G, 0x7000, SZ_4K, RW), 0);
	ck_assert_uint_gt(pt.corrupt, before);
	expect_map(SZ_1G, 0x7000, RW, SZ_4K);
	expect_unmapped(2 * SZ_1G);
	ck_assert_uint_eq(pt.table_pages, 9);
	ck_assert_int_eq(io_pgtable_unmap(&pt, SZ_1G, SZ_4K), (int64_t)SZ_4K);
	ck_assert_uint_eq(pt.table_pages, 6);
}

/* A table address no table lives at (0x41 fill), and one of a RAM frame. */
START_TEST(test_corrupt_foreign_table)
{
	uint64_t ram;

	corrupt_root_entry(0x4141414141414141ull);
	expect_corrupt_root_handled();
	io_pgtable_destroy(&pt);
	ck_assert_uint_eq(pgtable_frames(), 0);

	ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 4), 0);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &ram), 0);
	sim_mem_write64(w, ram, io_pgtable_pte_leaf(pt.fmt, 0x9000, 1, RW));
	corrupt_root_entry(io_pgtable_pte_table(pt.fmt, ram));
	expect_corrupt_root_handled();
	/* the engine never wrote the foreign frame */
	ck_assert_uint_eq(sim_mem_read64(w, ram), io_pgtable_pte_leaf(pt.fmt, 0x9000, 1, RW));
	sim_mem_frame_put(w, ram);
}
END_TEST

/* Its own tables at the wrong level: the root itself (a cycle), and a
 * level-1 table named from the root.  Neither is followed, nor freed twice. */
START_TEST(test_corrupt_own_table_wrong_level)
{
	uint64_t l1;

	corrupt_root_entry(io_pgtable_pte_table(&io_pgtable_vtd_ss, pt.root));
	expect_corrupt_root_handled();
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_1G, 0x7000, SZ_4K, RW), 0);
	l1 = table_at(SZ_1G, 1);
	ck_assert_uint_ne(l1, 0);
	ck_assert_int_eq(io_pgtable_map(&pt, 5 * SZ_512G, 0x8000, SZ_4K, RW), 0);
	sim_mem_write64(w, pt.root + 8 * 5, io_pgtable_pte_table(pt.fmt, l1));
	expect_unmapped(5 * SZ_512G);
	ck_assert_int_eq(io_pgtable_unmap(&pt, 5 * SZ_512G, SZ_512G), 0);
	/* teardown: the three tables the level-5 slot hid are freed once */
}
END_TEST

/*
 * Two descriptors naming one table (a DMA copied a descriptor): unmapping
 * one slot whole frees the table; the other now names a table the engine
 * no longer owns, and is corrupt from then on, never a double free.
 */
START_TEST(test_corrupt_shared_table)
{
	uint64_t copy;

	ck_assert_int_eq(io_pgtable_map(&pt, SZ_1G, 0x5000, SZ_4K, RW), 0);
	copy = sim_mem_read64(w, table_at(SZ_1G, 3) + 8 * 1);
	sim_mem_write64(w, table_at(SZ_1G, 3) + 8 * 2, copy);
	expect_map(2 * SZ_1G, 0x5000, RW, SZ_4K);      /* the copy is a table it owns */
	/* level 2 and 1 go; the level-3 table then holds only the stale copy,
	 * which is no table of its own any more: it goes too */
	ck_assert_int_eq(io_pgtable_unmap(&pt, SZ_1G, SZ_1G), (int64_t)SZ_4K);
	ck_assert_uint_eq(pt.table_pages, 1);
	expect_unmapped(2 * SZ_1G);
	ck_assert_int_eq(io_pgtable_unmap(&pt, 2 * SZ_1G, SZ_1G), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, 2 * SZ_1G, 0x6000, SZ_4K, RW), 0);
	expect_map(2 * SZ_1G, 0x6000, RW, SZ_4K);
}
END_TEST

/* A leaf where the format has none (VT-d: no 512 GiB page) and a whole
 * table of garbage: not mappings, and the garbage does not keep an
 * emptied table alive. */
START_TEST(test_corrupt_leaf_and_garbage_table)
{
	uint64_t l2;

	sim_mem_write64(w, pt.root + 8 * 3, io_pgtable_pte_leaf(pt.fmt, 0, 2, RW) | (1ull << 7));
	expect_unmapped(3 * SZ_512G);
	ck_assert_int_eq(io_pgtable_map(&pt, 3 * SZ_512G, 0x5000, SZ_4K, RW), 0);
	expect_map(3 * SZ_512G, 0x5000, RW, SZ_4K);

	ck_assert_int_eq(io_pgtable_map(&pt, SZ_1G, 0x5000, SZ_4K, RW), 0);
	l2 = table_at(SZ_1G, 2);
	for (unsigned i = 1; i < 512; i++)
		sim_mem_write64(w, l2 + 8 * i, 0x4141414141414141ull);
	ck_assert_uint_eq(pt.table_pages, 7);
	/* the 4K leaf goes; the level-1, then the level-2 table (garbage and
	 * all) and the level-3 table empty and go with it */
	ck_assert_int_eq(io_pgtable_unmap(&pt, SZ_1G, SZ_4K), (int64_t)SZ_4K);
	ck_assert_uint_eq(pt.table_pages, 4);
}
END_TEST

/* A leaf of garbage in an owned table is a mapping (any output address is
 * one): unmapping it never takes mapped_bytes below zero. */
START_TEST(test_corrupt_garbage_leaf_counts)
{
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_1G, 0x5000, SZ_4K, RW), 0);
	sim_mem_write64(w, table_at(SZ_1G, 1) + 8, 0x4141414141414143ull);
	ck_assert_int_eq(io_pgtable_unmap(&pt, SZ_1G, SZ_2M), (int64_t)(2 * SZ_4K));
	ck_assert_uint_eq(pt.mapped_bytes, 0);
}
END_TEST

/* ---- the walker (io_pgtable_walk) ------------------------------------------------ */

/*
 * A recording reader: every descriptor read, in order, from host memory
 * or, with @pool set, from a guest table's pages.  -EIO for a read at
 * @fail_level.
 */
struct gpool;
static uint64_t gpool_hpa_of(struct gpool *g, uint64_t gpa);

struct rec {
	struct io_pgtable_ref refs[8];
	uint64_t ptes[8];
	unsigned n;
	unsigned fail_level;
	struct gpool *pool;
};

static int rec_read(void *ctx, const struct io_pgtable_ref *ref, uint64_t *pte)
{
	struct rec *r = ctx;
	uint64_t a = ref->addr;

	if (ref->level == r->fail_level)
		return -EIO;
	ck_assert_uint_lt(r->n, G_N_ELEMENTS(r->refs));
	if (r->pool)
		a = gpool_hpa_of(r->pool, a & SIM_PAGE_MASK) + (a & ~SIM_PAGE_MASK);
	*pte = sim_mem_read64(w, a);
	r->refs[r->n] = *ref;
	r->ptes[r->n++] = *pte;
	return 0;
}

/* expect_map for a table other than the fixture's. */
static void expect_map_in(const struct io_pgtable *t, uint64_t iova, uint64_t out,
			  unsigned prot, uint64_t leaf)
{
	struct io_pgtable_walk wk;

	ck_assert_msg(io_pgtable_lookup(t, iova, &wk) == 0, "iova 0x%llx not mapped",
		      (unsigned long long)iova);
	ck_assert_uint_eq(wk.out, out);
	ck_assert_uint_eq(wk.prot, prot);
	ck_assert_uint_eq(wk.leaf_size, leaf);
}

/* The same walk result, field by field. */
static void same_walk(const struct io_pgtable_walk *a, const struct io_pgtable_walk *b)
{
	ck_assert_uint_eq(a->out, b->out);
	ck_assert_uint_eq(a->prot, b->prot);
	ck_assert_uint_eq(a->leaf_size, b->leaf_size);
	ck_assert_uint_eq(a->refs, b->refs);
	ck_assert_uint_eq(a->level, b->level);
	ck_assert_uint_eq(a->pte, b->pte);
	for (unsigned l = 0; l <= IO_PGTABLE_MAX_LEVELS; l++)
		ck_assert_uint_eq(a->tables[l], b->tables[l]);
}

/* An address with a distinct index at every level of a 4-level table. */
#define WALK_IOVA ((3ull << 39) | (5ull << 30) | (7ull << 21) | (9ull << 12) | 0x123)

/*
 * The walker reads one descriptor a level, root first, each at table +
 * 8 * index, each table the one the descriptor above named; the result and
 * the tables it passed are those of io_pgtable_lookup.
 */
START_TEST(test_walk_reads_top_down)
{
	static const unsigned idx[] = { 3, 5, 7, 9 };
	struct rec r = { 0 };
	struct io_pgtable_walker wk = { .read = rec_read, .ctx = &r };
	struct io_pgtable_walk out, lk;
	uint64_t table = pt.root;

	ck_assert_int_eq(io_pgtable_map(&pt, WALK_IOVA & ~0xfffull, 0x77000, SZ_4K, IOMMU_READ), 0);
	ck_assert_int_eq(io_pgtable_walk(&pt, WALK_IOVA, &wk, &out), 0);
	ck_assert_uint_eq(r.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		unsigned level = 4 - i;

		ck_assert_uint_eq(r.refs[i].level, level);
		ck_assert_uint_eq(r.refs[i].index, idx[i]);
		ck_assert_uint_eq(r.refs[i].table, table);
		ck_assert_uint_eq(r.refs[i].addr, table + 8 * idx[i]);
		ck_assert_uint_eq(out.tables[level], table);
		if (level > 1) {
			/* a table descriptor, naming the next table read */
			ck_assert(!io_pgtable_pte_is_leaf(pt.fmt, r.ptes[i], level));
			table = io_pgtable_pte_addr(pt.fmt, r.ptes[i]);
		}
	}
	ck_assert_uint_eq(out.tables[0], 0);
	ck_assert_uint_eq(out.tables[5], 0);
	ck_assert_uint_eq(out.refs, 4);
	ck_assert_uint_eq(out.level, 1);
	ck_assert_uint_eq(out.pte, r.ptes[3]);
	ck_assert_uint_eq(out.pte, io_pgtable_pte_leaf(pt.fmt, 0x77000, 1, IOMMU_READ));
	ck_assert_uint_eq(out.out, 0x77123);
	ck_assert_uint_eq(out.prot, IOMMU_READ);
	ck_assert_uint_eq(out.leaf_size, SZ_4K);

	/* io_pgtable_lookup is the same walk through memory */
	ck_assert_int_eq(io_pgtable_lookup(&pt, WALK_IOVA, &lk), 0);
	same_walk(&lk, &out);

	/* a miss in the last table: four reads, the empty one last */
	r.n = 0;
	ck_assert_int_eq(io_pgtable_walk(&pt, WALK_IOVA + SZ_4K, &wk, &out), -ENOENT);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_uint_eq(out.refs, 4);
	ck_assert_uint_eq(out.level, 1);
	ck_assert_uint_eq(out.pte, 0);
	ck_assert_uint_eq(r.refs[3].index, 10);
	/* beyond the input size: no read at all */
	r.n = 0;
	ck_assert_int_eq(io_pgtable_walk(&pt, 1ull << 48, &wk, &out), -ENOENT);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_uint_eq(out.refs, 0);
}
END_TEST

/*
 * A start below a table a paging-structure cache remembered: the same
 * translation from fewer reads, none above the start.
 */
START_TEST(test_walk_resume)
{
	struct rec r = { 0 };
	struct io_pgtable_walker wk = { .read = rec_read, .ctx = &r };
	struct io_pgtable_walk full, out;

	ck_assert_int_eq(io_pgtable_map(&pt, WALK_IOVA & ~0xfffull, 0x77000, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_walk(&pt, WALK_IOVA, &wk, &full), 0);
	ck_assert_uint_eq(full.refs, 4);
	for (unsigned start = 1; start <= 4; start++) {
		r.n = 0;
		wk.start_level = start;
		wk.start_table = full.tables[start];
		ck_assert_int_eq(io_pgtable_walk(&pt, WALK_IOVA, &wk, &out), 0);
		ck_assert_uint_eq(out.refs, start);
		ck_assert_uint_eq(r.n, start);
		ck_assert_uint_eq(r.refs[0].level, start);
		ck_assert_uint_eq(r.refs[0].table, full.tables[start]);
		ck_assert_uint_eq(out.out, full.out);
		ck_assert_uint_eq(out.prot, full.prot);
		ck_assert_uint_eq(out.leaf_size, full.leaf_size);
		ck_assert_uint_eq(out.pte, full.pte);
		ck_assert_uint_eq(out.level, 1);
		/* the tables from the start down, nothing above it */
		for (unsigned l = 1; l <= 4; l++)
			ck_assert_uint_eq(out.tables[l], l <= start ? full.tables[l] : 0);
	}

	/* a 2M leaf resumed from its level-2 table: one read */
	ck_assert_int_eq(io_pgtable_map(&pt, 4 * SZ_2M, 0x40000000, SZ_2M, IOMMU_WRITE), 0);
	wk.start_level = 0;
	ck_assert_int_eq(io_pgtable_walk(&pt, 4 * SZ_2M + 0x5000, &wk, &full), 0);
	ck_assert_uint_eq(full.refs, 3);
	ck_assert_uint_eq(full.level, 2);
	r.n = 0;
	wk.start_level = 2;
	wk.start_table = full.tables[2];
	ck_assert_int_eq(io_pgtable_walk(&pt, 4 * SZ_2M + 0x5000, &wk, &out), 0);
	ck_assert_uint_eq(out.refs, 1);
	ck_assert_uint_eq(out.out, 0x40005000);
	ck_assert_uint_eq(out.leaf_size, SZ_2M);
	ck_assert_uint_eq(out.prot, IOMMU_WRITE);

	/* a start above the root, or with no table: nothing read */
	r.n = 0;
	wk.start_level = 5;
	wk.start_table = pt.root;
	ck_assert_int_eq(io_pgtable_walk(&pt, WALK_IOVA, &wk, &out), -ENOENT);
	wk.start_level = 2;
	wk.start_table = 0;
	ck_assert_int_eq(io_pgtable_walk(&pt, WALK_IOVA, &wk, &out), -ENOENT);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_uint_eq(out.refs, 0);
}
END_TEST

/* The reader's error ends the walk and is returned; only the reads that
 * succeeded are counted. */
START_TEST(test_walk_read_error)
{
	struct rec r = { .fail_level = 2 };
	struct io_pgtable_walker wk = { .read = rec_read, .ctx = &r };
	struct io_pgtable_walk out;

	ck_assert_int_eq(io_pgtable_map(&pt, WALK_IOVA & ~0xfffull, 0x77000, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_walk(&pt, WALK_IOVA, &wk, &out), -EIO);
	ck_assert_uint_eq(out.refs, 2);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(out.level, 2);
	ck_assert_uint_eq(out.pte, r.ptes[1]);
	ck_assert_uint_eq(out.tables[2], io_pgtable_pte_addr(pt.fmt, r.ptes[1]));
	ck_assert_uint_eq(out.leaf_size, 0);
	r = (struct rec){ .fail_level = 4 };
	ck_assert_int_eq(io_pgtable_walk(&pt, WALK_IOVA, &wk, &out), -EIO);
	ck_assert_uint_eq(out.refs, 0);
	ck_assert_uint_eq(out.tables[4], pt.root);
}
END_TEST

/* ---- guest-memory tables (struct io_pgtable_mem) --------------------------------------- */

#define GPOOL_GPA   0x80000000ull
#define GPOOL_PAGES 16

/*
 * A guest's page pool: GPAs GPOOL_GPA.., each page a host frame, the
 * frames in descending order so that no two consecutive GPAs are
 * consecutive in host memory.
 */
struct gpool {
	uint64_t hpa[GPOOL_PAGES];
	bool used[GPOOL_PAGES];
	unsigned allocs, frees;       /* calls */
	unsigned live;                /* frames held */
	unsigned to_hpa;              /* calls */
	unsigned fail_at;             /* the n-th alloc call fails (0: none) */
	unsigned calls;
	uint64_t freed[GPOOL_PAGES];  /* addresses passed to free, in order */
	unsigned freed_frames[GPOOL_PAGES];
};

static struct gpool gp;
static struct io_pgtable gpt;

static unsigned gpool_index(uint64_t gpa)
{
	ck_assert_msg(gpa >= GPOOL_GPA && gpa < GPOOL_GPA + GPOOL_PAGES * SIM_PAGE_SIZE &&
		      !(gpa & ~SIM_PAGE_MASK), "not a pool page: 0x%llx", (unsigned long long)gpa);
	return (unsigned)((gpa - GPOOL_GPA) / SIM_PAGE_SIZE);
}

static uint64_t gpool_hpa_of(struct gpool *g, uint64_t gpa)
{
	unsigned i = gpool_index(gpa);

	ck_assert_msg(g->used[i], "page 0x%llx is not allocated", (unsigned long long)gpa);
	return g->hpa[i];
}

/* The first free run of @frames pages, aligned to its size, zeroed. */
static int gpool_alloc(void *ctx, unsigned frames, uint64_t *addr)
{
	static const uint8_t zero[SIM_PAGE_SIZE];
	struct gpool *g = ctx;

	if (++g->calls == g->fail_at)
		return -ENOMEM;
	for (unsigned i = 0; i + frames <= GPOOL_PAGES; i += frames) {
		unsigned j;

		for (j = 0; j < frames && !g->used[i + j]; j++)
			;
		if (j < frames)
			continue;
		for (j = 0; j < frames; j++) {
			g->used[i + j] = true;
			ck_assert_int_eq(sim_mem_write(w, g->hpa[i + j], zero, sizeof(zero)), 0);
		}
		g->allocs++;
		g->live += frames;
		*addr = GPOOL_GPA + i * SIM_PAGE_SIZE;
		return 0;
	}
	return -ENOMEM;
}

static void gpool_free(void *ctx, uint64_t addr, unsigned frames)
{
	struct gpool *g = ctx;
	unsigned i = gpool_index(addr);

	ck_assert_uint_lt(g->frees, GPOOL_PAGES);
	g->freed[g->frees] = addr;
	g->freed_frames[g->frees++] = frames;
	for (unsigned j = 0; j < frames; j++) {
		ck_assert_msg(g->used[i + j], "double free of 0x%llx",
			      (unsigned long long)(addr + j * SIM_PAGE_SIZE));
		g->used[i + j] = false;
	}
	g->live -= frames;
}

static uint64_t gpool_to_hpa(void *ctx, uint64_t addr)
{
	struct gpool *g = ctx;

	g->to_hpa++;
	return gpool_hpa_of(g, addr);
}

static const struct io_pgtable_mem gmem = {
	.alloc = gpool_alloc, .free = gpool_free, .to_hpa = gpool_to_hpa, .ctx = &gp,
};

static void gpool_setup(void)
{
	uint64_t f[GPOOL_PAGES];

	setup();
	memset(&gp, 0, sizeof(gp));
	memset(&gpt, 0, sizeof(gpt));
	for (unsigned i = 0; i < GPOOL_PAGES; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &f[i]), 0);
	for (unsigned i = 0; i < GPOOL_PAGES; i++)
		gp.hpa[i] = f[GPOOL_PAGES - 1 - i];
	ck_assert_uint_eq(gp.hpa[0] - gp.hpa[1], SIM_PAGE_SIZE);
}

static void gpool_teardown(void)
{
	io_pgtable_destroy(&gpt);
	ck_assert_uint_eq(gp.live, 0);
	ck_assert_uint_eq(gp.frees, gp.allocs);
	for (unsigned i = 0; i < GPOOL_PAGES; i++)
		sim_mem_frame_put(w, gp.hpa[i]);
	teardown();
}

/*
 * Table pages come from the pool, descriptors hold GPAs, every access goes
 * through to_hpa, destroy hands each page back once and the host's
 * page-table frames are never touched.
 */
START_TEST(test_mem_tables)
{
	struct io_pgtable_cfg cfg = { .levels = 4 };
	struct rec r = { .pool = &gp };
	struct io_pgtable_walker wk = { .read = rec_read, .ctx = &r };
	struct io_pgtable_walk out;
	uint64_t host = pgtable_frames();
	unsigned calls;

	ck_assert_int_eq(io_pgtable_init_mem(&gpt, w, &io_pgtable_vtd_ss, &cfg, &gmem), 0);
	ck_assert_ptr_eq(gpt.mem, &gmem);
	ck_assert_uint_eq(gpt.root, GPOOL_GPA);
	ck_assert_uint_eq(gp.allocs, 1);
	ck_assert_uint_eq(gpt.table_pages, 1);

	/* a 4K page: three tables more, each the next pool page */
	ck_assert_int_eq(io_pgtable_map(&gpt, WALK_IOVA & ~0xfffull, 0x9000, SZ_4K, RW), 0);
	ck_assert_uint_eq(gp.allocs, 4);
	ck_assert_uint_eq(gp.live, 4);
	ck_assert_uint_eq(gpt.table_pages, 4);
	ck_assert_uint_eq(pgtable_frames(), host);
	/* in host memory, behind to_hpa: the root names the next table by
	 * its GPA */
	ck_assert_uint_eq(sim_mem_read64(w, gp.hpa[0] + 8 * 3),
			  io_pgtable_pte_table(gpt.fmt, GPOOL_GPA + SIM_PAGE_SIZE));
	ck_assert_uint_eq(sim_mem_read64(w, gp.hpa[3] + 8 * 9),
			  io_pgtable_pte_leaf(gpt.fmt, 0x9000, 1, RW));

	/* lookup reads through to_hpa, once a descriptor */
	calls = gp.to_hpa;
	expect_map_in(&gpt, WALK_IOVA, 0x9123, RW, SZ_4K);
	ck_assert_uint_eq(gp.to_hpa - calls, 4);
	/* a walker sees the tables by their GPAs */
	ck_assert_int_eq(io_pgtable_walk(&gpt, WALK_IOVA, &wk, &out), 0);
	ck_assert_uint_eq(r.n, 4);
	for (unsigned l = 4; l >= 1; l--) {
		uint64_t t = GPOOL_GPA + (4 - l) * SIM_PAGE_SIZE;

		ck_assert_uint_eq(out.tables[l], t);
		ck_assert_uint_eq(r.refs[4 - l].table, t);
	}
	ck_assert_uint_eq(out.out, 0x9123);

	/* a 2M leaf in the level-2 table already there: no page */
	ck_assert_int_eq(io_pgtable_map(&gpt, (WALK_IOVA & ~(SZ_2M - 1)) + SZ_2M, 0x200000,
					SZ_2M, IOMMU_READ), 0);
	ck_assert_uint_eq(gp.allocs, 4);
	/* unmap empties the level-1 table: it goes back */
	ck_assert_int_eq(io_pgtable_unmap(&gpt, WALK_IOVA & ~0xfffull, SZ_4K), (int64_t)SZ_4K);
	ck_assert_uint_eq(gp.frees, 1);
	ck_assert_uint_eq(gp.freed[0], GPOOL_GPA + 3 * SIM_PAGE_SIZE);
	ck_assert_uint_eq(gp.freed_frames[0], 1);
	ck_assert_uint_eq(gp.live, 3);
	ck_assert_uint_eq(gpt.table_pages, 3);
	/* the freed page is the first one reused: the new level-3 table */
	ck_assert_int_eq(io_pgtable_map(&gpt, 0, 0x5000, SZ_4K, RW), 0);
	ck_assert_uint_eq(sim_mem_read64(w, gp.hpa[0]),
			  io_pgtable_pte_table(gpt.fmt, GPOOL_GPA + 3 * SIM_PAGE_SIZE));
	ck_assert_uint_eq(gp.allocs, 7);
	ck_assert_uint_eq(gp.live, 6);
	ck_assert_uint_eq(gpt.table_pages, 6);

	/* destroy: every page back, once each (gpool_free checks), the
	 * root last */
	io_pgtable_destroy(&gpt);
	ck_assert_uint_eq(gp.frees, 7);
	ck_assert_uint_eq(gp.frees, gp.allocs);
	ck_assert_uint_eq(gp.live, 0);
	ck_assert_uint_eq(gp.freed[6], GPOOL_GPA);
	ck_assert_uint_eq(gpt.table_pages, 0);
	ck_assert_uint_eq(gpt.root, 0);
	ck_assert_uint_eq(pgtable_frames(), host);
}
END_TEST

/*
 * A guest fills its own pool with garbage (issue 10's reproducer): no
 * garbage GPA ever reaches to_hpa (gpool_to_hpa asserts each is a pool page
 * in use), map works again over it, destroy hands every page back once.
 */
START_TEST(test_mem_garbage_pool)
{
	struct io_pgtable_cfg cfg = { .levels = 4 };
	struct io_pgtable_walk out;

	ck_assert_int_eq(io_pgtable_init_mem(&gpt, w, &io_pgtable_vtd_fs, &cfg, &gmem), 0);
	ck_assert_int_eq(io_pgtable_map(&gpt, 0x40000000, 0x1000, SZ_4K, RW), 0);
	ck_assert_uint_eq(gp.live, 4);
	for (unsigned i = 0; i < 4; i++)
		for (unsigned e = 0; e < 512; e++)
			sim_mem_write64(w, gp.hpa[i] + 8 * e, 0x4141414141414141ull);
	ck_assert_int_eq(io_pgtable_lookup(&gpt, 0x40000000, &out), -ENOENT);
	ck_assert_int_eq(io_pgtable_map(&gpt, 0x40000000, 0x2000, SZ_4K, RW), 0);
	ck_assert_uint_gt(gpt.corrupt, 0);
	expect_map_in(&gpt, 0x40000000, 0x2000, RW, SZ_4K);
	ck_assert_uint_eq(gp.live, 7);
	ck_assert_int_eq(io_pgtable_unmap(&gpt, 0x40000000, SZ_4K), (int64_t)SZ_4K);
	ck_assert_uint_eq(gp.live, 4);
	/* gpool_teardown: destroy gives back the root and the three tables
	 * the garbage made unreachable, each once */
}
END_TEST

/* A pool that runs dry: map fails whole, what it took goes back. */
START_TEST(test_mem_alloc_failure)
{
	struct io_pgtable_cfg cfg = { .levels = 4 };
	struct io_pgtable p;
	unsigned live;

	/* no root: the table stays empty */
	gp.fail_at = 1;
	ck_assert_int_eq(io_pgtable_init_mem(&p, w, &io_pgtable_vtd_ss, &cfg, &gmem), -ENOMEM);
	ck_assert_uint_eq(p.root, 0);
	ck_assert_ptr_null(p.mem);
	ck_assert_uint_eq(gp.live, 0);
	/* bad arguments never reach the pool */
	cfg.levels = 6;
	ck_assert_int_eq(io_pgtable_init_mem(&p, w, &io_pgtable_vtd_ss, &cfg, &gmem), -EINVAL);
	ck_assert_uint_eq(gp.calls, 1);
	cfg.levels = 4;

	ck_assert_int_eq(io_pgtable_init_mem(&gpt, w, &io_pgtable_vtd_ss, &cfg, &gmem), 0);
	ck_assert_int_eq(io_pgtable_map(&gpt, 0x1000, 0x9000, SZ_4K, RW), 0);
	live = gp.live;
	/* a new 512G slot needs three tables: the third fails */
	gp.fail_at = gp.calls + 3;
	ck_assert_int_eq(io_pgtable_map(&gpt, SZ_512G, 0x9000, SZ_4K, RW), -ENOMEM);
	ck_assert_uint_eq(gp.live, live);
	ck_assert_uint_eq(gpt.table_pages, live);
	ck_assert_uint_eq(gp.frees, 2);
	expect_map_in(&gpt, 0x1000, 0x9000, RW, SZ_4K);
	ck_assert_int_eq(io_pgtable_map(&gpt, SZ_512G, 0x9000, SZ_4K, RW), 0);
	ck_assert_uint_eq(gp.live, live + 3);
}
END_TEST

/*
 * A root wider than a page (RISC-V Sv39x4: 16 KiB) is one allocation of
 * four pages, aligned to its size; the pages need not be contiguous in
 * host memory, so each is reached through to_hpa on its own.
 */
START_TEST(test_mem_wide_root)
{
	struct io_pgtable_cfg cfg = { .levels = 3 };
	uint64_t iova = 1536ull << 30;    /* root index 1536: the fourth page */
	const struct io_pgtable_fmt *f = &io_pgtable_riscv_sv39x4;
	struct io_pgtable_walk out;

	ck_assert_int_eq(io_pgtable_init_mem(&gpt, w, f, &cfg, &gmem), 0);
	ck_assert_uint_eq(io_pgtable_root_frames(&gpt), 4);
	ck_assert_uint_eq(gp.allocs, 1);
	ck_assert_uint_eq(gp.live, 4);
	ck_assert_uint_eq(gpt.root, GPOOL_GPA);
	ck_assert_uint_eq(gpt.table_pages, 4);

	ck_assert_int_eq(io_pgtable_map(&gpt, iova, 0xabc000, SZ_4K, RW), 0);
	/* the level-2 and level-1 tables: pool pages 4 and 5 */
	ck_assert_uint_eq(gp.live, 6);
	ck_assert_uint_eq(sim_mem_read64(w, gp.hpa[3]),
			  io_pgtable_pte_table(f, GPOOL_GPA + 4 * SIM_PAGE_SIZE));
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(sim_mem_read64(w, gp.hpa[i]), 0);
	ck_assert_int_eq(io_pgtable_lookup(&gpt, iova + 0x10, &out), 0);
	ck_assert_uint_eq(out.out, 0xabc010);
	ck_assert_uint_eq(out.refs, 3);
	ck_assert_uint_eq(out.tables[3], GPOOL_GPA);
	ck_assert_uint_eq(out.tables[2], GPOOL_GPA + 4 * SIM_PAGE_SIZE);

	/* the root goes back as it came: one call, four frames */
	io_pgtable_destroy(&gpt);
	ck_assert_uint_eq(gp.frees, 3);
	ck_assert_uint_eq(gp.freed[2], GPOOL_GPA);
	ck_assert_uint_eq(gp.freed_frames[2], 4);
	ck_assert_uint_eq(gp.live, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pgtable");
	TCase *tc = tcase_create("pgtable");
	TCase *mem = tcase_create("guest-memory");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_map_each_leaf_size);
	tcase_add_test(tc, test_map_largest_leaves);
	tcase_add_test(tc, test_map_bad_args);
	tcase_add_test(tc, test_map_overlap_changes_nothing);
	tcase_add_test(tc, test_lookup_inside_leaf);
	tcase_add_loop_test(tc, test_top_page, 0, 3);
	tcase_add_test(tc, test_unmap_part_of_2m);
	tcase_add_test(tc, test_unmap_part_of_1g_both_edges);
	tcase_add_test(tc, test_unmap_args);
	tcase_add_test(tc, test_naive_map);
	tcase_add_test(tc, test_fault_injection);
	tcase_add_test(tc, test_no_leaked_tables);
	tcase_add_test(tc, test_corrupt_foreign_table);
	tcase_add_test(tc, test_corrupt_own_table_wrong_level);
	tcase_add_test(tc, test_corrupt_shared_table);
	tcase_add_test(tc, test_corrupt_leaf_and_garbage_table);
	tcase_add_test(tc, test_corrupt_garbage_leaf_counts);
	tcase_add_test(tc, test_walk_reads_top_down);
	tcase_add_test(tc, test_walk_resume);
	tcase_add_test(tc, test_walk_read_error);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(mem, gpool_setup, gpool_teardown);
	tcase_add_test(mem, test_mem_tables);
	tcase_add_test(mem, test_mem_garbage_pool);
	tcase_add_test(mem, test_mem_alloc_failure);
	tcase_add_test(mem, test_mem_wide_root);
	suite_add_tcase(s, mem);
	return unit_run(s);
}
