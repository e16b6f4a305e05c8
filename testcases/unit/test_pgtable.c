/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/pgtable: the radix table engine and the VT-d second-stage
 * format.  Every leaf size, largest-leaf mapping, all-or-nothing overlap
 * checks, the VT-d rule for unmapping part of a large leaf, the edges of
 * the input range, walk reference counts, no leaked table frames, fault
 * injection on table allocation.  The random map/unmap sequences against a
 * flat interval map run for every format in test_pgtable_formats.c.
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

int main(void)
{
	Suite *s = suite_create("pgtable");
	TCase *tc = tcase_create("pgtable");

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
	suite_add_tcase(s, tc);
	return unit_run(s);
}
