/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/hw: the IOMMU hardware model.  Context entries as bytes in
 * memory; passthrough, blocked and missing contexts; translation, walk
 * references and permission faults (spec §C wrong-direction DMA); the IOTLB
 * with a tiny capacity (hits, misses, FIFO eviction, invalidation by domain
 * and range, a stale entry served until invalidated: spec §H8/§H9); naive
 * and hash IOTLBs agreeing on random sequences; the DMA engine across pages
 * and up to the first fault; the fault queue; and PCI DMA through aliases.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/rng.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/hw.h"
#include "model/iommu/iotlb.h"
#include "model/pci/pci.h"
#include "iommusim/iommusim.h"

#define RW (IOMMU_READ | IOMMU_WRITE)
#define RID(bus, slot, fn) PCI_RID(bus, PCI_DEVFN(slot, fn))

static struct sim_world *w;
static struct io_pgtable pt;

static bool world_no_front;    /* hw_world: the front cache off (test_front_equals_slow) */

static struct sim_world *hw_world(unsigned tlb, bool naive, unsigned faultq)
{
	struct sim_world *nw = sim_world_create(3);
	struct iommu_hw_config cfg = { .iotlb_entries = tlb, .naive_iotlb = naive,
				       .fault_queue_len = faultq, .no_front = world_no_front };

	ck_assert_int_eq(iommu_hw_create(nw, &cfg), 0);
	return nw;
}

/* A world whose first frame is a 4-level table (its HPA is SIM_MEM_BASE). */
static void setup_cap(unsigned tlb)
{
	w = hw_world(tlb, false, 8);
	ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 4), 0);
}

static void setup(void)
{
	setup_cap(IOMMU_HW_DEFAULT_IOTLB);
}

static void teardown(void)
{
	io_pgtable_destroy(&pt);
	sim_world_destroy(w);
	w = NULL;
}

static void set_ctx(uint16_t rid, enum iommu_ctx_type type, uint16_t did)
{
	struct iommu_context c = { .type = type, .did = did, .s2_root = pt.root,
				   .s2_levels = pt.levels };

	ck_assert_int_eq(iommu_hw_set_context(w, 0, rid, &c), 0);
}

static int xl(uint16_t rid, uint64_t addr, bool write, struct iommu_xlate *x)
{
	return iommu_hw_translate(w, 0, rid, false, 0, addr, write, x);
}

/* The reason of a translation that must fault. */
static enum iommu_fault_reason xl_fault(uint16_t rid, uint64_t addr, bool write,
					struct iommu_xlate *x)
{
	ck_assert_int_eq(xl(rid, addr, write, x), -EFAULT);
	return x->fault.reason;
}

static void map_pages(uint64_t iova, unsigned n, uint64_t hpa)
{
	ck_assert_int_eq(io_pgtable_map(&pt, iova, hpa, n * SZ_4K, RW), 0);
}

/* A DMA by RID 01:00.0. */
static int dma(uint64_t addr, void *buf, size_t len, bool write, struct iommu_fault_rec *rec)
{
	return iommu_hw_dma(w, 0, 0x0100, false, 0, addr, buf, len, write, rec);
}

/* @n user frames. */
static void frames(uint64_t *f, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &f[i]), 0);
}

static struct iommu_hw_stats stats(void)
{
	struct iommu_hw_stats st;

	iommu_hw_stats(w, &st);
	return st;
}

/* ---- contexts ------------------------------------------------------------------- */

START_TEST(test_context_in_memory)
{
	const uint64_t root = SIM_MEM_BASE + SIM_PAGE_SIZE, ctxt = root + SIM_PAGE_SIZE;
	struct iommu_context c;
	uint16_t rid = RID(3, 2, 1);

	ck_assert_uint_eq(pt.root, SIM_MEM_BASE);
	set_ctx(rid, IOMMU_CTX_TRANSLATE, 42);
	/* the root table, the bus-3 context table, the device's PASID directory
	 * and its first PASID table, all kernel frames */
	const uint64_t pdir = ctxt + SIM_PAGE_SIZE, ptbl = pdir + SIM_PAGE_SIZE;

	ck_assert(sim_mem_frame_kind(w, root) == SIM_FRAME_KERNEL &&
		  sim_mem_frame_kind(w, ctxt) == SIM_FRAME_KERNEL &&
		  sim_mem_frame_kind(w, pdir) == SIM_FRAME_KERNEL &&
		  sim_mem_frame_kind(w, ptbl) == SIM_FRAME_KERNEL);
	/* VT-d scalable mode (hw_ctx_vtd.c): the root entry's lower half
	 * points at the context table of devfn 0x00..0x7f */
	ck_assert_uint_eq(sim_mem_read64(w, root + 3 * 16), ctxt | 1);
	ck_assert(!sim_mem_read64(w, root + 3 * 16 + 8) && !sim_mem_read64(w, root + 4 * 16));
	/* the 32-byte context entry: P, no DTE, PASIDE clear (width 0),
	 * PDTS 0, the PASID directory; hi: RID_PASID 0 */
	ck_assert_uint_eq(sim_mem_read64(w, ctxt + (rid & 0x7f) * 32), pdir | 1);
	ck_assert_uint_eq(sim_mem_read64(w, ctxt + (rid & 0x7f) * 32 + 8), 0);
	ck_assert_uint_eq(sim_mem_read64(w, pdir), ptbl | 1);
	/* PASID entry 0: P, AW 2 (4 levels), PGTT 2 (second stage only),
	 * SSPTPTR; val[1] the DID */
	ck_assert_uint_eq(sim_mem_read64(w, ptbl), pt.root | 1 | (2 << 2) | (2 << 6));
	ck_assert_uint_eq(sim_mem_read64(w, ptbl + 8), 42);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid, &c), 0);
	ck_assert(c.type == IOMMU_CTX_TRANSLATE && c.did == 42 && c.s2_root == pt.root &&
		  c.s2_levels == 4);

	/* the bytes decide: edit the entry in memory, the hardware follows */
	sim_mem_write64(w, ptbl, pt.root | 1 | (1 << 2) | (2 << 6));     /* AW 1: 3 levels */
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid, &c), 0);
	ck_assert_uint_eq(c.s2_levels, 3);
	sim_mem_write64(w, ptbl, pt.root | 1 | (2 << 2) | (5 << 6));     /* reserved PGTT */
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid, &c), -ENOENT);
	sim_mem_write64(w, ptbl, pt.root | (2 << 2) | (2 << 6));         /* P clear */
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid, &c), -ENOENT);

	set_ctx(RID(3, 5, 0), IOMMU_CTX_PASSTHROUGH, 7);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, RID(3, 5, 0), &c), 0);
	/* a pass-through entry's DID tags nothing: read back as 0 */
	ck_assert(c.type == IOMMU_CTX_PASSTHROUGH && c.did == 0);
	ck_assert_int_eq(iommu_hw_clear_context(w, 0, RID(3, 5, 0)), 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, RID(3, 5, 0), &c), -ENOENT);
	ck_assert(iommu_hw_get_context(w, 0, RID(9, 0, 0), &c) == -ENOENT &&
		  iommu_hw_get_context(w, 1, rid, &c) == -ENOENT);
	ck_assert_int_eq(iommu_hw_clear_context(w, 5, rid), 0);
}
END_TEST

/*
 * A device that can reach kernel frames (an identity-mapped DMA) may
 * scribble over the context structures.  The hardware follows whatever the
 * bytes say, but the driver half frees only tables it allocated: a PASID
 * directory pointer bent to a user frame frees nothing of the user's, and
 * teardown still frees every table (hw_table_free, hw.c).
 */
START_TEST(test_scribbled_context_frees_only_its_own)
{
	const uint64_t ctxt = SIM_MEM_BASE + 2 * SIM_PAGE_SIZE;
	uint16_t rid = RID(3, 2, 1);
	uint64_t user, ce = ctxt + (rid & 0x7f) * 32, lo;
	struct sim_mem_stats a, b;
	struct iommu_context c;

	set_ctx(rid, IOMMU_CTX_TRANSLATE, 42);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &user), 0);
	sim_mem_stats(w, &a);
	lo = sim_mem_read64(w, ce);
	ck_assert_uint_eq(lo & 1, 1);
	/* the directory pointer now names the user's frame */
	sim_mem_write64(w, ce, (lo & 0xfff) | user);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid, &c), -ENOENT);
	ck_assert_int_eq(iommu_hw_clear_device(w, 0, rid), 0);
	sim_mem_stats(w, &b);
	ck_assert(sim_mem_frame_kind(w, user) == SIM_FRAME_USER);
	ck_assert_uint_eq(b.frames[SIM_FRAME_USER], a.frames[SIM_FRAME_USER]);
	/* the real directory and PASID table were not reached: still held
	 * (freed at teardown), none of the kernel's frames freed twice */
	ck_assert_uint_eq(b.frames[SIM_FRAME_KERNEL], a.frames[SIM_FRAME_KERNEL]);
	sim_mem_frame_put(w, user);
}
END_TEST

START_TEST(test_context_segments_and_args)
{
	struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE, .did = 1,
				   .s2_root = pt.root, .s2_levels = 4 };
	struct sim_mem_stats a, b;

	sim_mem_stats(w, &a);
	ck_assert_int_eq(iommu_hw_set_context(w, 1, 0x0100, &c), 0);   /* root + ctx */
	ck_assert_int_eq(iommu_hw_set_context(w, 1, 0x0108, &c), 0);   /* same table */
	ck_assert_int_eq(iommu_hw_set_context(w, 2, 0x0100, &c), 0);   /* root + ctx */
	sim_mem_stats(w, &b);
	/* root, context table, PASID directory, PASID table; then a second
	 * device's directory and table; then all four on segment 2 */
	ck_assert_uint_eq(b.frames[SIM_FRAME_KERNEL] - a.frames[SIM_FRAME_KERNEL], 4 + 2 + 4);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, 0x0100, &c), -ENOENT);

	c.s2_levels = 6;                            /* bad width, root, type */
	ck_assert_int_eq(iommu_hw_set_context(w, 0, 1, &c), -EINVAL);
	c = (struct iommu_context){ .type = IOMMU_CTX_TRANSLATE, .s2_root = 8, .s2_levels = 4 };
	ck_assert_int_eq(iommu_hw_set_context(w, 0, 1, &c), -EINVAL);
	c = (struct iommu_context){ .type = 7 };
	ck_assert_int_eq(iommu_hw_set_context(w, 0, 1, &c), -EINVAL);
	ck_assert_int_eq(iommu_hw_set_context(w, 0, 1, NULL), -EINVAL);
	ck_assert_int_eq(iommu_hw_create(w, NULL), -EEXIST);

	/* a context table frame that cannot be had changes nothing */
	c = (struct iommu_context){ .type = IOMMU_CTX_PASSTHROUGH };
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(iommu_hw_set_context(w, 0, 0x0500, &c), -ENOMEM);
	sim_fault_fail_nth(w, "mem_frame_alloc", 2);
	ck_assert_int_eq(iommu_hw_set_context(w, 0, 0x0500, &c), -ENOMEM);
	sim_fault_fail_nth(w, "*", 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, 0x0500, &c), -ENOENT);
	ck_assert_int_eq(iommu_hw_set_context(w, 0, 0x0500, &c), 0);
}
END_TEST

START_TEST(test_passthrough_blocked_none)
{
	struct iommu_xlate x;
	const struct iommu_fault_rec *f;

	set_ctx(0x0010, IOMMU_CTX_PASSTHROUGH, 0);
	ck_assert_int_eq(xl(0x0010, 0x12345678, true, &x), 0);
	ck_assert(x.hpa == 0x12345678 && x.prot == RW && x.ctx_refs == 2 && x.pt_refs == 0);

	/* blocked: on VT-d the entry is not present (Linux tears it down) */
	set_ctx(0x0018, IOMMU_CTX_BLOCKED, 0);
	ck_assert_int_eq(xl_fault(0x0018, 0x1000, false, &x), IOMMU_FAULT_NO_CONTEXT);

	/* same bus without an entry; a bus without a context table; no root */
	ck_assert_int_eq(xl_fault(0x0020, 0x1000, false, &x), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_uint_eq(x.ctx_refs, 2);
	ck_assert_int_eq(xl_fault(0x0700, 0x1000, false, &x), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_uint_eq(x.ctx_refs, 1);
	ck_assert_int_eq(iommu_hw_translate(w, 3, 0x0010, false, 0, 0, false, &x), -EFAULT);
	ck_assert_uint_eq(x.ctx_refs, 0);
	/* PASID-tagged, and the device has no PASID table beyond PASID 0 */
	ck_assert_int_eq(iommu_hw_translate(w, 0, 0x0010, true, 5, 0x1000, false, &x), -EFAULT);
	ck_assert_int_eq(x.fault.reason, IOMMU_FAULT_NO_PASID);

	ck_assert_uint_eq(iommu_hw_fault_count(w), 5);
	f = iommu_hw_fault_at(w, 4);
	ck_assert(f->pasid_valid && f->pasid == 5);
	ck_assert_str_eq(iommu_fault_reason_name(f->reason), "no-pasid");
	ck_assert_str_eq(iommu_fault_reason_name(99), "unknown");
}
END_TEST

/* ---- translation ------------------------------------------------------------------ */

START_TEST(test_translate_and_refs)
{
	struct iommu_xlate x;

	ck_assert_int_eq(io_pgtable_map(&pt, 0x1000, 0xa000, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_2M, 0x40000000, SZ_2M, IOMMU_READ), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_1G, 4 * SZ_1G, SZ_1G, IOMMU_WRITE), 0);
	set_ctx(0x0100, IOMMU_CTX_TRANSLATE, 1);

	/* a cold 4-level walk of a 4 KiB page: exactly 4 references */
	ck_assert_int_eq(xl(0x0100, 0x1abc, false, &x), 0);
	ck_assert(x.hpa == 0xaabc && x.pt_refs == 4 && x.ctx_refs == 2 && x.page_size == SZ_4K);
	ck_assert(!x.iotlb_hit);
	ck_assert_int_eq(xl(0x0100, 0x1000, true, &x), 0);
	ck_assert(x.iotlb_hit);
	ck_assert_uint_eq(x.pt_refs, 0);

	ck_assert_int_eq(xl(0x0100, SZ_2M + 0x1234, false, &x), 0);
	ck_assert(x.pt_refs == 3 && x.hpa == 0x40001234 && x.page_size == SZ_2M);
	ck_assert_int_eq(xl(0x0100, SZ_1G + SZ_2M * 7, true, &x), 0);
	ck_assert(x.pt_refs == 2 && x.hpa == 4 * SZ_1G + SZ_2M * 7);

	/* spec §C: wrong direction is a permission fault, from a walk or a hit */
	ck_assert_int_eq(xl_fault(0x0100, SZ_2M + 0x5000, true, &x), IOMMU_FAULT_PERMISSION);
	ck_assert(x.iotlb_hit);
	ck_assert_int_eq(xl_fault(0x0100, SZ_1G + 0x10, false, &x), IOMMU_FAULT_PERMISSION);
	ck_assert_int_eq(xl_fault(0x0100, 0x3000, false, &x), IOMMU_FAULT_NOT_PRESENT);
	ck_assert_uint_eq(x.pt_refs, 4);      /* L1 reached, entry empty */
	ck_assert_int_eq(xl_fault(0x0100, 1ull << 48, false, &x), IOMMU_FAULT_ADDR_SIZE);

	struct iommu_hw_stats st = stats();
	ck_assert(st.translations == 8 && st.walks == 4 && st.pt_refs == 4 + 3 + 2 + 4 &&
		  st.ctx_refs == 16 && st.pasid_refs == 16 && st.faults == 4);
}
END_TEST

START_TEST(test_addr_width_per_context)
{
	struct iommu_xlate x;

	io_pgtable_destroy(&pt);
	ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 3), 0);
	map_pages((1ull << 39) - SZ_4K, 1, 0x5000);
	set_ctx(0x0200, IOMMU_CTX_TRANSLATE, 3);
	ck_assert_int_eq(xl(0x0200, (1ull << 39) - 1, false, &x), 0);
	ck_assert(x.hpa == 0x5fff && x.pt_refs == 3);
	ck_assert_int_eq(xl_fault(0x0200, 1ull << 39, false, &x), IOMMU_FAULT_ADDR_SIZE);
}
END_TEST

/* ---- the IOTLB -------------------------------------------------------------------- */

static bool hit(uint16_t rid, uint64_t addr)
{
	struct iommu_xlate x;

	ck_assert_int_eq(xl(rid, addr, false, &x), 0);
	return x.iotlb_hit;
}

static int entries_fn(const struct iommu_cache_entry *e, void *ctx)
{
	g_array_append_val((GArray *)ctx, *e);
	return 0;
}

static int stop_fn(const struct iommu_cache_entry *e, void *ctx)
{
	return ++*(int *)ctx == 2 ? 77 : 0;
}

/* The live IOTLB entries, oldest first. */
static GArray *iotlb_entries(struct sim_world *ww)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct iommu_cache_entry));

	ck_assert_int_eq(iommu_hw_iotlb_for_each(ww, entries_fn, a), 0);
	return a;
}

START_TEST(test_iotlb_fifo_eviction)
{
	struct iommu_hw_stats st;
	GArray *e;
	int n = 0;

	teardown();
	setup_cap(2);                        /* eviction on every third page */
	map_pages(0, 8, 0x100000000ull);
	set_ctx(0x0100, IOMMU_CTX_TRANSLATE, 1);
	ck_assert(!hit(0x0100, 0x0000));
	ck_assert(!hit(0x0100, 0x1000));
	ck_assert(hit(0x0100, 0x0008));
	ck_assert(!hit(0x0100, 0x2000));     /* evicts 0x0000, the oldest */
	ck_assert(hit(0x0100, 0x1000));      /* a hit does not refresh (FIFO) */
	ck_assert(!hit(0x0100, 0x0000));     /* evicts 0x1000 */
	ck_assert(!hit(0x0100, 0x1000));     /* evicts 0x2000 */
	st = stats();
	ck_assert(st.iotlb_hits == 2 && st.iotlb_misses == 5 && st.iotlb_evictions == 3 &&
		  st.iotlb_entries == 2);
	e = iotlb_entries(w);
	ck_assert_uint_eq(e->len, 2);
	ck_assert_uint_eq(g_array_index(e, struct iommu_cache_entry, 0).iova, 0x0000);
	ck_assert_uint_eq(g_array_index(e, struct iommu_cache_entry, 1).iova, 0x1000);
	g_array_free(e, TRUE);
	ck_assert_int_eq(iommu_hw_iotlb_for_each(w, stop_fn, &n), 77);
	/* a walk per page, eviction every time, over many pages */
	for (unsigned k = 0; k < 8; k++)   /* pages 2..7, then 0 and 1 */
		ck_assert(!hit(0x0100, ((k + 2) % 8) * SZ_4K));
	st = stats();
	ck_assert_uint_eq(st.iotlb_evictions, 3 + 8);
}
END_TEST

START_TEST(test_iotlb_invalidation)
{
	struct iommu_context c2;
	struct io_pgtable pt2;
	struct iommu_hw_stats st;

	ck_assert_int_eq(io_pgtable_init(&pt2, w, &io_pgtable_vtd_ss, 4), 0);
	map_pages(0, 4, 0x200000);
	ck_assert_int_eq(io_pgtable_map(&pt, SZ_2M, SZ_2M * 9, SZ_2M, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt2, 0, 0x900000, 4 * SZ_4K, RW), 0);
	set_ctx(0x0100, IOMMU_CTX_TRANSLATE, 1);
	c2 = (struct iommu_context){ .type = IOMMU_CTX_TRANSLATE, .did = 2,
				     .s2_root = pt2.root, .s2_levels = 4 };
	ck_assert_int_eq(iommu_hw_set_context(w, 0, 0x0200, &c2), 0);
	for (uint64_t a = 0; a < 4 * SZ_4K; a += SZ_4K) {
		hit(0x0100, a);
		hit(0x0200, a);
	}
	hit(0x0100, SZ_2M + 0x77000);
	ck_assert_uint_eq(stats().iotlb_entries, 9);

	/* by range: pages 1..2 of domain 1 only; a 2M entry by any page in it */
	iommu_hw_inv_range(w, 1, SZ_4K, 2 * SZ_4K);
	ck_assert_uint_eq(stats().iotlb_entries, 7);
	ck_assert(hit(0x0100, 0));
	ck_assert(!hit(0x0100, SZ_4K));
	ck_assert(hit(0x0200, SZ_4K));
	iommu_hw_inv_range(w, 1, SZ_2M + SZ_1G / 2, 0);          /* empty range */
	iommu_hw_inv_range(w, 1, SZ_2M + 5 * SZ_4K, SZ_4K);
	ck_assert(!hit(0x0100, SZ_2M));
	/* a huge range takes the scan path, same result */
	iommu_hw_inv_range(w, 1, 0, 1ull << 47);
	ck_assert(!hit(0x0100, 0));
	ck_assert(hit(0x0200, 0));

	/* by domain: all of domain 2, nothing of domain 1 */
	iommu_hw_inv_domain(w, 2);
	ck_assert(!hit(0x0200, 3 * SZ_4K));
	ck_assert(hit(0x0100, 0));
	iommu_hw_inv_domain(w, 77);                                /* never used */
	iommu_hw_inv_all(w);
	st = stats();
	ck_assert_uint_eq(st.iotlb_entries, 0);
	ck_assert_uint_eq(st.iotlb_invalidations, 7);
	ck_assert(!hit(0x0100, 0));
	io_pgtable_destroy(&pt2);
}
END_TEST

/* Proof that the IOTLB caches: a stale entry is served until invalidated. */
START_TEST(test_stale_entry_until_invalidated)
{
	uint64_t f1, f2;
	uint8_t out[4] = { 0 };
	struct iommu_xlate x;

	frames(&f1, 1);
	frames(&f2, 1);
	map_pages(0x10000, 1, f1);
	set_ctx(0x0100, IOMMU_CTX_TRANSLATE, 1);
	ck_assert_int_eq(dma(0x10000, "old", 4, true, NULL), 0);
	/* the kernel unmaps and remaps without invalidating: a bug */
	ck_assert_int_eq(io_pgtable_unmap(&pt, 0x10000, SZ_4K), (int64_t)SZ_4K);
	ck_assert_int_eq(xl(0x0100, 0x10000, false, &x), 0);    /* still served */
	ck_assert(x.iotlb_hit);
	map_pages(0x10000, 1, f2);
	ck_assert_int_eq(dma(0x10000, "new", 4, true, NULL), 0);
	sim_mem_read(w, f1, out, 4);
	ck_assert_str_eq((char *)out, "new");                     /* went to the old page */
	sim_mem_read(w, f2, out, 4);
	ck_assert_uint_eq(out[0], 0);
	/* §H8: after the invalidation the new translation is used */
	iommu_hw_inv_range(w, 1, 0x10000, SZ_4K);
	ck_assert_int_eq(dma(0x10000, "NEW", 4, true, NULL), 0);
	sim_mem_read(w, f2, out, 4);
	ck_assert_str_eq((char *)out, "NEW");
	io_pgtable_unmap(&pt, 0x10000, SZ_4K);
	iommu_hw_inv_domain(w, 1);
	ck_assert_int_eq(xl_fault(0x0100, 0x10000, false, &x), IOMMU_FAULT_NOT_PRESENT);
	sim_mem_frame_put(w, f1);
	sim_mem_frame_put(w, f2);
}
END_TEST

/* ---- naive vs hash IOTLB -------------------------------------------------------------- */

struct twin {
	struct sim_world *w;
	struct io_pgtable pt[3];
};

static void twin_init(struct twin *t, bool naive, unsigned cap)
{
	t->w = hw_world(cap, naive, 4);
	for (int d = 0; d < 3; d++) {
		struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE, .did = (uint16_t)(d + 1),
					   .s2_levels = 4 };

		ck_assert_int_eq(io_pgtable_init(&t->pt[d], t->w, &io_pgtable_vtd_ss, 4), 0);
		c.s2_root = t->pt[d].root;
		ck_assert_int_eq(iommu_hw_set_context(t->w, 0, (uint16_t)(0x100 + d), &c), 0);
	}
}

static void twin_fini(struct twin *t)
{
	for (int d = 0; d < 3; d++)
		io_pgtable_destroy(&t->pt[d]);
	sim_world_destroy(t->w);
}

/* One random step, the same on both twins (@r is replayed for each): maps
 * (4 KiB runs and 2 MiB leaves), unmaps, invalidations (sometimes skipped,
 * so stale entries live on), and translations, half of them to a hot set. */
static void twin_step(struct twin *t, struct sim_rng *r, struct iommu_xlate *x, int *ret)
{
	unsigned op = (unsigned)sim_rng_below(r, 20), d = (unsigned)sim_rng_below(r, 3);
	uint64_t page = sim_rng_below(r, 64) * SZ_4K + sim_rng_below(r, 2) * SZ_1G;

	*ret = 0;
	memset(x, 0, sizeof(*x));
	if (op < 3) {
		uint64_t size = sim_rng_below(r, 6) ? SZ_4K * (1 + sim_rng_below(r, 4)) : SZ_2M;
		uint64_t iova = size == SZ_2M ? page & ~(SZ_2M - 1) : page;

		io_pgtable_map(&t->pt[d], iova, 0x80000000ull + iova, size,
			       1 + (unsigned)sim_rng_below(r, 3));
	} else if (op == 3) {
		io_pgtable_unmap(&t->pt[d], page, SZ_4K * (1 + sim_rng_below(r, 8)));
	} else if (op == 4) {
		if (sim_rng_below(r, 2))
			iommu_hw_inv_domain(t->w, (uint16_t)(d + 1));
		else
			iommu_hw_inv_range(t->w, (uint16_t)(d + 1), page, SZ_4K * sim_rng_below(r, 600));
	} else if (op == 5 && sim_rng_below(r, 10) == 0) {
		iommu_hw_inv_all(t->w);
	} else {
		if (sim_rng_below(r, 2))
			page = sim_rng_below(r, 12) * SZ_4K;
		*ret = iommu_hw_translate(t->w, 0, (uint16_t)(0x100 + d), false, 0,
					  page + sim_rng_below(r, SZ_4K), sim_rng_below(r, 4) == 0, x);
	}
}

static void expect_same_entries(struct twin *a, struct twin *b, int step)
{
	GArray *ea = iotlb_entries(a->w), *eb = iotlb_entries(b->w);

	ck_assert_msg(ea->len == eb->len, "step %d: %u vs %u entries", step, ea->len, eb->len);
	for (guint i = 0; i < ea->len; i++) {
		const struct iommu_cache_entry *x = &g_array_index(ea, struct iommu_cache_entry, i);
		const struct iommu_cache_entry *y = &g_array_index(eb, struct iommu_cache_entry, i);

		ck_assert_msg(x->tag == y->tag && x->iova == y->iova && x->size == y->size &&
			      x->hpa == y->hpa && x->prot == y->prot,
			      "step %d: entry %u differs", step, i);
	}
	g_array_free(ea, TRUE);
	g_array_free(eb, TRUE);
}

START_TEST(test_naive_equals_hash)
{
	unsigned cap = (unsigned[]){ 1, 3, 7, 64 }[_i];
	struct twin h, n;
	struct sim_rng rh, rn;
	struct iommu_hw_stats sh, sn;

	twin_init(&h, false, cap);
	twin_init(&n, true, cap);
	sim_rng_seed(&rh, 1000 + (uint64_t)_i);
	sim_rng_seed(&rn, 1000 + (uint64_t)_i);
	for (int step = 0; step < 6000; step++) {
		struct iommu_xlate xh, xn;
		int reth, retn;

		twin_step(&h, &rh, &xh, &reth);
		twin_step(&n, &rn, &xn, &retn);
		ck_assert_msg(reth == retn, "step %d: %d vs %d", step, reth, retn);
		ck_assert_msg(memcmp(&xh, &xn, sizeof(xh)) == 0, "step %d: translations differ", step);
		if (step % 97 == 0)
			expect_same_entries(&h, &n, step);
	}
	expect_same_entries(&h, &n, -1);
	iommu_hw_stats(h.w, &sh);
	iommu_hw_stats(n.w, &sn);
	ck_assert(memcmp(&sh, &sn, sizeof(sh)) == 0);
	ck_assert_uint_gt(sh.iotlb_hits, 30);
	ck_assert_uint_gt(sh.iotlb_misses, 1000);
	if (cap < 64)
		ck_assert_uint_gt(sh.iotlb_evictions, 500);
	twin_fini(&h);
	twin_fini(&n);
}
END_TEST

/*
 * The front cache (hw_internal.h) is a memo, not a cache of the modelled
 * hardware: with it and without it (iommu_hw_config.no_front) the same
 * random sequence of maps, unmaps, invalidations (some skipped, so stale
 * entries live on), direct scribbles on a page table behind the kernel's
 * back, translations and multi-page DMAs gives the same results, the same
 * xlate fields, the same data and the same counters.  A loop over IOTLB
 * capacities.
 */
START_TEST(test_front_equals_slow)
{
	unsigned cap = (unsigned[]){ 3, 64, 512 }[_i];
	struct twin f, s;
	struct sim_rng rf, rs;
	struct iommu_hw_stats sf, ss;
	uint8_t bf[3 * SZ_4K], bs[3 * SZ_4K];

	twin_init(&f, false, cap);
	world_no_front = true;
	twin_init(&s, false, cap);
	world_no_front = false;
	sim_rng_seed(&rf, 77 + (uint64_t)_i);
	sim_rng_seed(&rs, 77 + (uint64_t)_i);
	for (int step = 0; step < 8000; step++) {
		struct iommu_xlate xf, xs;
		struct iommu_fault_rec ff = { 0 }, fs = { 0 };
		int retf, rets;
		unsigned extra = (unsigned)sim_rng_below(&rf, 16);

		(void)sim_rng_below(&rs, 16);
		if (extra == 0) {
			/* a scribble on a table the walker reads (stage 2 root) */
			unsigned d = (unsigned)sim_rng_below(&rf, 3);
			uint64_t v = sim_rng_below(&rf, 2) ? 0 : 0x80000000ull | 3;
			unsigned i = (unsigned)sim_rng_below(&rf, 4);

			(void)sim_rng_below(&rs, 3);
			(void)sim_rng_below(&rs, 2);
			(void)sim_rng_below(&rs, 4);
			sim_mem_write64(f.w, f.pt[d].root + 8 * i, v);
			sim_mem_write64(s.w, s.pt[d].root + 8 * i, v);
			continue;
		}
		if (extra == 2) {
			/* the context entry of a device goes or comes back, with no
			 * invalidation: the hardware reads it on every request */
			unsigned d = (unsigned)sim_rng_below(&rf, 3);
			struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE,
						   .did = (uint16_t)(d + 1), .s2_levels = 4 };

			(void)sim_rng_below(&rs, 3);
			if (sim_rng_below(&rf, 2)) {
				ck_assert_int_eq(iommu_hw_clear_context(f.w, 0, (uint16_t)(0x100 + d)),
						 iommu_hw_clear_context(s.w, 0, (uint16_t)(0x100 + d)));
			} else {
				c.s2_root = f.pt[d].root;
				ck_assert_int_eq(iommu_hw_set_context(f.w, 0, (uint16_t)(0x100 + d), &c),
						 0);
				c.s2_root = s.pt[d].root;
				ck_assert_int_eq(iommu_hw_set_context(s.w, 0, (uint16_t)(0x100 + d), &c),
						 0);
			}
			(void)sim_rng_below(&rs, 2);
			continue;
		}
		if (extra == 1) {
			/* a DMA across three pages: read, or write a pattern */
			uint64_t a = sim_rng_below(&rf, 12) * SZ_4K + sim_rng_below(&rf, SZ_4K);
			bool wr = sim_rng_below(&rf, 2);

			(void)sim_rng_below(&rs, 12);
			(void)sim_rng_below(&rs, SZ_4K);
			(void)sim_rng_below(&rs, 2);
			memset(bf, step & 0xff, sizeof(bf));
			memset(bs, step & 0xff, sizeof(bs));
			retf = iommu_hw_dma(f.w, 0, 0x100, false, 0, a, bf, sizeof(bf), wr, &ff);
			rets = iommu_hw_dma(s.w, 0, 0x100, false, 0, a, bs, sizeof(bs), wr, &fs);
			ck_assert_msg(retf == rets, "step %d: dma %d vs %d", step, retf, rets);
			ck_assert_msg(!memcmp(bf, bs, sizeof(bf)), "step %d: dma data differs", step);
			ck_assert_msg(!memcmp(&ff, &fs, sizeof(ff)), "step %d: dma faults differ", step);
			continue;
		}
		twin_step(&f, &rf, &xf, &retf);
		twin_step(&s, &rs, &xs, &rets);
		ck_assert_msg(retf == rets, "step %d: %d vs %d", step, retf, rets);
		ck_assert_msg(memcmp(&xf, &xs, sizeof(xf)) == 0, "step %d: translations differ", step);
	}
	expect_same_entries(&f, &s, -1);
	iommu_hw_stats(f.w, &sf);
	iommu_hw_stats(s.w, &ss);
	ck_assert(memcmp(&sf, &ss, sizeof(sf)) == 0);
	ck_assert_uint_gt(sf.iotlb_hits, 100);
	twin_fini(&f);
	twin_fini(&s);
}
END_TEST

/* §H9 with a well-behaved kernel: every cached entry matches a fresh walk. */
static int h9_fn(const struct iommu_cache_entry *e, void *ctx)
{
	struct io_pgtable_walk wk;

	ck_assert_int_eq(io_pgtable_lookup(&pt, e->iova, &wk), 0);
	ck_assert(wk.out == e->hpa && wk.leaf_size == e->size && wk.prot == e->prot);
	++*(unsigned *)ctx;
	return 0;
}

START_TEST(test_cached_subset_of_tables)
{
	struct sim_rng r;
	unsigned checked = 0;

	teardown();
	setup_cap(16);
	set_ctx(0x0100, IOMMU_CTX_TRANSLATE, 1);
	sim_rng_seed(&r, 9);
	for (int i = 0; i < 3000; i++) {
		uint64_t a = sim_rng_below(&r, 128) * SZ_4K;
		struct iommu_xlate x;

		if (sim_rng_below(&r, 4) == 0) {
			io_pgtable_map(&pt, a, a + SZ_1G, SZ_4K * (1 + sim_rng_below(&r, 4)), RW);
		} else if (sim_rng_below(&r, 3) == 0) {
			io_pgtable_unmap(&pt, a, SZ_4K * 3);
			iommu_hw_inv_range(w, 1, a, SZ_4K * 3);     /* as the kernel must */
		} else {
			xl(0x0100, a, false, &x);
		}
		iommu_hw_iotlb_for_each(w, h9_fn, &checked);
	}
	ck_assert_uint_gt(checked, 1000);
}
END_TEST

/* ---- the DMA engine ------------------------------------------------------------------- */

START_TEST(test_dma_across_pages)
{
	uint64_t f[3];
	uint8_t src[3 * 4096], dst[3 * 4096], back[3 * 4096];
	const size_t off = 50, len = 3 * 4096 - 100;

	frames(f, 3);
	/* pages in reverse order of their frames: the DMA must follow the table */
	for (int i = 0; i < 3; i++)
		map_pages(0x40000 + (uint64_t)i * SZ_4K, 1, f[2 - i]);
	set_ctx(0x0100, IOMMU_CTX_TRANSLATE, 1);
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(dma(0x40000 + off, src, len, true, NULL), 0);
	memset(dst, 0, sizeof(dst));
	for (int i = 0; i < 3; i++)
		sim_mem_read(w, f[2 - i], dst + i * 4096, 4096);
	ck_assert_uint_eq(dst[off - 1], 0);
	ck_assert(memcmp(dst + off, src, len) == 0);
	ck_assert_uint_eq(dst[off + len], 0);
	ck_assert_int_eq(dma(0x40000 + off, back, len, false, NULL), 0);
	ck_assert(memcmp(back, src, len) == 0);
	ck_assert_uint_eq(stats().translations, 6);     /* one per page touched */
	ck_assert_int_eq(dma(0x40000, NULL, 0, true, NULL), 0);
	ck_assert_int_eq(dma(0x40000, NULL, 1, true, NULL), -EINVAL);
	for (int i = 0; i < 3; i++)
		sim_mem_frame_put(w, f[i]);
}
END_TEST

START_TEST(test_dma_stops_at_first_fault)
{
	uint64_t f[4];
	uint8_t buf[4 * 4096], pg[4096];
	struct iommu_fault_rec rec;

	frames(f, 4);
	map_pages(0x0000, 1, f[0]);
	map_pages(0x1000, 1, f[1]);
	ck_assert_int_eq(io_pgtable_map(&pt, 0x2000, f[2], SZ_4K, IOMMU_WRITE), 0);
	map_pages(0x4000, 1, f[3]);          /* 0x3000 is a hole */
	set_ctx(0x0100, IOMMU_CTX_TRANSLATE, 1);
	memset(buf, 0xab, sizeof(buf));
	ck_assert_int_eq(dma(0x800, buf, 0x3800 + 16, true, &rec), -EFAULT);
	ck_assert(rec.addr == 0x3000 && rec.reason == IOMMU_FAULT_NOT_PRESENT && rec.write);
	sim_mem_read(w, f[2], pg, 4096);
	ck_assert_uint_eq(pg[4095], 0xab);   /* everything before the fault landed */
	sim_mem_read(w, f[0], pg, 4096);
	ck_assert_uint_eq(pg[0x7ff], 0);
	ck_assert_uint_eq(pg[0x800], 0xab);
	sim_mem_read(w, f[3], pg, 4096);
	ck_assert_uint_eq(pg[0], 0);         /* nothing after it */
	/* a read of the write-only page stops there */
	memset(buf, 0x11, sizeof(buf));
	ck_assert_int_eq(dma(0x1ff0, buf, 32, false, &rec), -EFAULT);
	ck_assert(rec.addr == 0x2000 && rec.reason == IOMMU_FAULT_PERMISSION && !rec.write);
	ck_assert_uint_eq(buf[0], 0xab);     /* 16 bytes of page 1 arrived */
	ck_assert_uint_eq(buf[15], 0xab);
	ck_assert_uint_eq(buf[16], 0x11);
	for (int i = 0; i < 4; i++)
		sim_mem_frame_put(w, f[i]);
}
END_TEST

/* ---- the fault queue ------------------------------------------------------------------ */

START_TEST(test_fault_queue)
{
	struct iommu_xlate x;
	const struct iommu_fault_rec *f;
	FILE *tr = tmpfile();
	char line[512];
	bool seen = false;

	sim_trace_set_output(w, tr, SIM_TRACE_TEXT);
	sim_trace_enable(w, "iommu_hw_*");
	set_ctx(RID(6, 0, 0), IOMMU_CTX_TRANSLATE, 1);
	for (unsigned i = 0; i < 11; i++)
		iommu_hw_translate(w, 0, RID(6, 0, 0), i == 10, 3, 0x1000 * i, i & 1, &x);
	ck_assert_uint_eq(iommu_hw_fault_count(w), 8);      /* the queue holds 8 */
	ck_assert_uint_eq(stats().faults, 11);
	f = iommu_hw_fault_at(w, 0);
	ck_assert(f->seq == 4 && f->addr == 0x3000 && f->write);   /* the oldest 3 dropped */
	f = iommu_hw_fault_at(w, 7);
	ck_assert(f->seq == 11 && f->segment == 0 && f->rid == 0x0600 && f->pasid_valid &&
		  f->pasid == 3 && f->addr == 0xa000 && !f->write &&
		  f->reason == IOMMU_FAULT_NO_PASID && f->stage == 0);
	ck_assert_ptr_null(iommu_hw_fault_at(w, 8));
	iommu_hw_fault_clear(w);
	ck_assert_uint_eq(iommu_hw_fault_count(w), 0);
	ck_assert_int_eq(xl(RID(6, 0, 0), 0, false, &x), -EFAULT);
	ck_assert_uint_eq(iommu_hw_fault_at(w, 0)->seq, 12);

	rewind(tr);
	while (fgets(line, sizeof(line), tr))
		seen |= strstr(line, "iommu_hw_fault: seg=0 rid=06:00.0 pasid=3 addr=0xa000 "
				     "access=read reason=no-pasid stage=0 phase=final") != NULL;
	ck_assert(seen);
	sim_trace_set_output(w, NULL, SIM_TRACE_OFF);
	fclose(tr);
}
END_TEST

START_TEST(test_iotlb_and_fault_queue_off)
{
	struct iommu_xlate x;
	struct iommu_fault_rec rec;
	uint8_t byte;

	teardown();
	w = hw_world(0, false, 0);
	ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 4), 0);
	ck_assert_int_eq(xl_fault(0x10, 0, false, &x), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_uint_eq(iommu_hw_fault_count(w), 0);
	ck_assert_ptr_null(iommu_hw_fault_at(w, 0));
	ck_assert_uint_eq(stats().faults, 1);
	/* the DMA caller still learns why */
	ck_assert_int_eq(iommu_hw_dma(w, 0, 0x10, false, 0, 0x20, &byte, 1, false, &rec), -EFAULT);
	ck_assert(rec.addr == 0x20 && rec.reason == IOMMU_FAULT_NO_CONTEXT);
	/* no IOTLB: every translation walks */
	map_pages(0, 1, 0x5000);
	set_ctx(0x0100, IOMMU_CTX_TRANSLATE, 1);
	ck_assert(!hit(0x0100, 0));
	iommu_hw_inv_domain(w, 1);
	iommu_hw_inv_range(w, 1, 0, SZ_4K);
	iommu_hw_inv_all(w);
	ck_assert(!hit(0x0100, 0));
	ck_assert(stats().walks == 2 && stats().iotlb_entries == 0);
}
END_TEST

/* ---- PCI DMA through aliases ------------------------------------------------------------ */

/* Replace the fixture's world by the seed's topology: device 06:0d.0
 * behind the PCIe-to-PCI bridge 00:1e.0 (so it DMAs as 06:00.0). */
static void seed_topology(bool with_hw)
{
	struct pci_dev_spec s[] = {
		{ .sbdf = PCI_SBDF(0, 0, 0xf0), .type = PCI_TYPE_PCIE_TO_PCI_BRIDGE, .acs_quirk = -1 },
		{ .sbdf = PCI_SBDF(0, 6, 0x68), .type = PCI_TYPE_PCI_DEVICE, .acs_quirk = -1,
		  .has_parent = true, .parent = PCI_SBDF(0, 0, 0xf0) },
	};
	struct pci_build_error err;

	teardown();
	w = sim_world_create(5);
	ck_assert_int_eq(pci_topology_create(w, s, 2, &err), 0);
	if (with_hw)
		ck_assert_int_eq(iommu_hw_create(w, NULL), 0);
	ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 4), 0);
}

START_TEST(test_pci_dma_alias)
{
	uint64_t frame;
	char out[8] = { 0 };
	struct sim_dma op = { .addr = 0x7000, .write = true, .buf = "hello", .len = 6 };

	seed_topology(true);
	ck_assert_uint_eq(pci_dma_requester_id(pci_dev_find(w, PCI_SBDF(0, 6, 0x68))), 0x0600);
	frames(&frame, 1);
	map_pages(0x7000, 1, frame);
	/* only the bridge's alias 06:00.0 has a context: the DMA uses it */
	set_ctx(0x0600, IOMMU_CTX_TRANSLATE, 1);
	ck_assert_int_eq(sim_dev_dma(w, "06:0d.0", &op), 0);
	ck_assert_int_eq(op.fault_reason, SIM_FAULT_NONE);
	sim_mem_read(w, frame, out, 6);
	ck_assert_str_eq(out, "hello");

	/* only the device's own RID 06:0d.0: the IOMMU never sees that RID */
	ck_assert_int_eq(iommu_hw_clear_context(w, 0, 0x0600), 0);
	set_ctx(0x0668, IOMMU_CTX_TRANSLATE, 1);
	iommu_hw_invalidate(w, (struct iommu_inv_cmd[]){
		{ .type = IOMMU_INV_CTX_CACHE, .rid = 0x0600 },
		{ .type = IOMMU_INV_PASID_CACHE, .rid = 0x0600, .pasid = IOMMU_PASID_NONE },
	}, 2);
	iommu_hw_inv_all(w);
	op.addr = 0x7010;
	ck_assert_int_eq(sim_dev_dma(w, "0000:06:0d.0", &op), -EFAULT);
	ck_assert(op.fault_reason == SIM_FAULT_NO_CONTEXT && op.fault_addr == 0x7010);
	ck_assert_uint_eq(iommu_hw_fault_at(w, 0)->rid, 0x0600);

	ck_assert_int_eq(sim_dev_dma(w, "06:0d.1", &op), -ENODEV);
	ck_assert_int_eq(sim_dev_dma(w, "06:0d.9", &op), -EINVAL);
	ck_assert_int_eq(sim_dev_dma(w, "06:0d.0", NULL), -EINVAL);
	op.buf = NULL;
	ck_assert_int_eq(sim_dev_dma(w, "06:0d.0", &op), -EINVAL);
	sim_mem_frame_put(w, frame);
}
END_TEST

START_TEST(test_pci_dma_without_iommu)
{
	char out[4] = { 0 };
	struct sim_dma op = { .addr = 0x12340000, .write = true, .buf = "raw", .len = 4 };

	seed_topology(false);
	ck_assert_int_eq(sim_dev_dma(w, "06:0d.0", &op), 0);
	sim_mem_read(w, 0x12340000, out, 4);
	ck_assert_str_eq(out, "raw");
	op.write = false;
	op.buf = out;
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(sim_dev_dma(w, "06:0d.0", &op), 0);
	ck_assert_str_eq(out, "raw");
	/* once installed, the IOMMU decides: no context, no access */
	ck_assert_int_eq(iommu_hw_create(w, NULL), 0);
	ck_assert_int_eq(sim_dev_dma(w, "06:0d.0", &op), -EFAULT);
	ck_assert_int_eq(op.fault_reason, SIM_FAULT_NO_CONTEXT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hw");
	TCase *tc = tcase_create("hw");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_context_in_memory);
	tcase_add_test(tc, test_context_segments_and_args);
	tcase_add_test(tc, test_scribbled_context_frees_only_its_own);
	tcase_add_test(tc, test_passthrough_blocked_none);
	tcase_add_test(tc, test_translate_and_refs);
	tcase_add_test(tc, test_addr_width_per_context);
	tcase_add_test(tc, test_iotlb_fifo_eviction);
	tcase_add_test(tc, test_iotlb_invalidation);
	tcase_add_test(tc, test_stale_entry_until_invalidated);
	tcase_add_loop_test(tc, test_front_equals_slow, 0, 3);
	tcase_add_loop_test(tc, test_naive_equals_hash, 0, 4);
	tcase_add_test(tc, test_cached_subset_of_tables);
	tcase_add_test(tc, test_dma_across_pages);
	tcase_add_test(tc, test_dma_stops_at_first_fault);
	tcase_add_test(tc, test_fault_queue);
	tcase_add_test(tc, test_iotlb_and_fault_queue_off);
	tcase_add_test(tc, test_pci_dma_alias);
	tcase_add_test(tc, test_pci_dma_without_iommu);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
