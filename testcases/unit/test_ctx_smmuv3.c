/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/hw_ctx_smmuv3.c: SMMUv3's stream table, STEs, CD tables and
 * CDs as bytes in simulated memory.  Every case programs through the
 * public hardware API, then reads the raw words back and checks them field
 * by field against the SMMUv3 layout (the numbers below are written out
 * from the specification / arm-smmu-v3.h, not taken from the backend),
 * translates through them with the context and PASID caches off and
 * counts the references: the two-level and the linear stream table, the
 * linear and the two-level CD table, abort / bypass / S2 / S1 / nested
 * STEs and S1DSS, every admission error, corrupted entries and what they
 * fault with, allocation failures, the walk events, and teardown.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/world.h"
#include "model/iommu/hw.h"
#include "model/iommu/hw_ctx.h"
#include "model/iommu/hw_internal.h"
#include "model/pci/pci.h"

#define RW (IOMMU_READ | IOMMU_WRITE)
#define B(n) (1ull << (n))
#define MASK(h, l) (((~0ull) >> (63 - (h))) & ~(B(l) - 1))

#define RID_A PCI_RID(3, PCI_DEVFN(2, 0))      /* 03:02.0 */
#define RID_B PCI_RID(3, PCI_DEVFN(4, 1))      /* 03:04.1, same bus */
#define RID_C PCI_RID(0x40, PCI_DEVFN(0, 0))   /* 40:00.0 */
#define IOVA  0x345000ull

/* STE and CD words as arm-smmu-v3.h defines them */
#define STE_V            B(0)
#define STE_CFG(c)       ((uint64_t)(c) << 1)
#define STE_S1FMT(f)     ((uint64_t)(f) << 4)
#define STE_CDMAX(b)     ((uint64_t)(b) << 59)
#define STE_HOSTCD       B(55)            /* the simulator's host-CD-table nested STE */
#define STE1_S1C         (1ull << 2 | 1ull << 4 | 3ull << 6)   /* WBRA, WBRA, ISH */
#define STE1_MEV         B(19)
#define STE1_EATS        (1ull << 28)
#define STE2_S2BITS      (B(51) | B(54) | B(58))               /* S2AA64, S2PTW, S2R */
#define CD0_FIXED        (1ull << 8 | 1ull << 10 | 3ull << 12 | B(30) | B(31) | 5ull << 32 | \
			  B(41) | B(45) | B(46) | B(47))
#define CD3_MAIR         0xf404ff44ull

static struct sim_world *w;
static struct io_pgtable s2, s1, s1b;     /* 4-level S2, 4-level S1, 3-level S1 */
static uint64_t data;                     /* the page IOVA maps to */

static struct iommu_hw *hwp(void)
{
	return iommu_hw_get(w);
}

static uint64_t rd(uint64_t a)
{
	return sim_mem_read64(w, a);
}

static uint64_t kframes(void)
{
	struct sim_mem_stats st;

	sim_mem_stats(w, &st);
	return st.frames[SIM_FRAME_KERNEL];
}

/* The VTCR of a full-root 4 KiB walk (S2IR0, S2OR0 WBWA, S2SH0 IS, 48-bit
 * S2PS), in STE word 2 */
static uint64_t vtcr(unsigned t0sz, unsigned sl0)
{
	return ((uint64_t)t0sz | (uint64_t)sl0 << 6 | 1ull << 8 | 1ull << 10 | 3ull << 12 |
		5ull << 16) << 32;
}

static void world_with(bool linear, unsigned iotlb_entries)
{
	struct iommu_hw_config cfg = { .kind = IOMMU_HW_SMMUV3, .fault_queue_len = 16,
				       .pasid_bits = IOMMU_HW_MAX_PASID_BITS,
				       .smmu_linear_strtab = linear,
				       .iotlb_entries = iotlb_entries };

	w = sim_world_create(11);
	ck_assert_int_eq(iommu_hw_create(w, &cfg), 0);
	ck_assert_ptr_eq(hwp()->ops, &hw_ctx_smmuv3_ops);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &data), 0);
	ck_assert_int_eq(io_pgtable_init(&s2, w, iommu_hw_fmt(IOMMU_HW_SMMUV3,
							     IO_PGTABLE_STAGE2, 4), 4), 0);
	ck_assert_int_eq(io_pgtable_init(&s1, w, iommu_hw_fmt(IOMMU_HW_SMMUV3,
							     IO_PGTABLE_STAGE1, 4), 4), 0);
	ck_assert_int_eq(io_pgtable_init(&s1b, w, iommu_hw_fmt(IOMMU_HW_SMMUV3,
							      IO_PGTABLE_STAGE1, 3), 3), 0);
	ck_assert_int_eq(io_pgtable_map(&s2, IOVA, data, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&s1, IOVA, data, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&s1b, IOVA, data, SZ_4K, RW), 0);
}

static void world(bool linear)
{
	world_with(linear, 0);
}

static void setup(void)
{
	world(false);
}

static void setup_linear(void)
{
	world(true);
}

/* with an IOTLB, for what invalidation drops */
static void setup_cached(void)
{
	world_with(false, 64);
}

static void teardown(void)
{
	io_pgtable_destroy(&s1b);
	io_pgtable_destroy(&s1);
	io_pgtable_destroy(&s2);
	sim_mem_frame_put(w, data);
	sim_world_destroy(w);
	w = NULL;
}

/* ---- reading the structures as a test (not the backend) would -------------------------- */

static uint64_t ste_addr(uint16_t rid)
{
	uint64_t root = hw_seg_root(hwp(), 0), l1;

	ck_assert_uint_ne(root, 0);
	if (hwp()->cfg.smmu_linear_strtab)
		return root + (uint64_t)rid * 64;
	l1 = rd(root + 8ull * (rid >> 8));
	ck_assert_uint_eq(l1 & 0x1f, 9);                 /* Span = SPLIT + 1 */
	return (l1 & MASK(51, 6)) + (uint64_t)(rid & 0xff) * 64;
}

static uint64_t ste(uint16_t rid, unsigned i)
{
	return rd(ste_addr(rid) + 8ull * i);
}

static void ste_words(uint16_t rid, uint64_t q[8])
{
	for (unsigned i = 0; i < 8; i++)
		q[i] = ste(rid, i);
}

static void assert_ste(uint16_t rid, uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3)
{
	ck_assert_uint_eq(ste(rid, 0), q0);
	ck_assert_uint_eq(ste(rid, 1), q1);
	ck_assert_uint_eq(ste(rid, 2), q2);
	ck_assert_uint_eq(ste(rid, 3), q3);
	for (unsigned i = 4; i < 8; i++)
		ck_assert_uint_eq(ste(rid, i), 0);
}

static uint64_t cdtab(uint16_t rid)
{
	return ste(rid, 0) & MASK(51, 6);
}

static uint64_t cd_addr(uint16_t rid, uint32_t pasid)
{
	uint64_t q0 = ste(rid, 0), tab = q0 & MASK(51, 6), l1;

	if (((q0 >> 4) & 3) == 0)
		return tab + (uint64_t)pasid * 64;
	ck_assert_uint_eq((q0 >> 4) & 3, 2);             /* 64K_L2 */
	l1 = rd(tab + 8ull * (pasid >> 10));
	ck_assert_uint_eq(l1 & 1, 1);
	return (l1 & MASK(51, 12)) + (uint64_t)(pasid & 1023) * 64;
}

static uint64_t cd(uint16_t rid, uint32_t pasid, unsigned i)
{
	return rd(cd_addr(rid, pasid) + 8ull * i);
}

static void assert_cd(uint16_t rid, uint32_t pasid, unsigned t0sz, uint16_t asid, uint64_t root)
{
	ck_assert_uint_eq(cd(rid, pasid, 0), CD0_FIXED | t0sz | (uint64_t)asid << 48);
	ck_assert_uint_eq(cd(rid, pasid, 1), root);
	ck_assert_uint_eq(cd(rid, pasid, 2), 0);
	ck_assert_uint_eq(cd(rid, pasid, 3), CD3_MAIR);
	for (unsigned i = 4; i < 8; i++)
		ck_assert_uint_eq(cd(rid, pasid, i), 0);
}

/* ---- programming and translating -------------------------------------------------------- */

static void dev(uint16_t rid, unsigned bits, bool ats)
{
	struct iommu_dev_ctx dc = { .pasid_bits = bits, .ats = ats };

	ck_assert_int_eq(iommu_hw_set_device(w, 0, rid, &dc), 0);
}

static int prog(uint16_t rid, uint32_t pasid, const struct iommu_context *c, unsigned *wrote)
{
	unsigned wr;

	return iommu_hw_program_pasid(w, 0, rid, pasid, c, wrote ? wrote : &wr);
}

static struct iommu_context ctx_s2(uint16_t did, const struct io_pgtable *t)
{
	return (struct iommu_context){ .type = IOMMU_CTX_TRANSLATE, .did = did,
				       .s2_root = t->root, .s2_levels = t->levels };
}

static struct iommu_context ctx_s1(uint16_t did, const struct io_pgtable *t)
{
	return (struct iommu_context){ .type = IOMMU_CTX_S1, .did = did,
				       .s1_root = t->root, .s1_levels = t->levels };
}

static const struct iommu_context pt_ctx = { .type = IOMMU_CTX_PASSTHROUGH };
static const struct iommu_context blk_ctx = { .type = IOMMU_CTX_BLOCKED };

/* Translate IOVA (or @addr) and return 0 / the fault reason; @x filled. */
static int xl(uint16_t rid, bool pv, uint32_t pasid, uint64_t addr, struct iommu_xlate *x)
{
	int ret = iommu_hw_translate(w, 0, rid, pv, pasid, addr, false, x);

	return ret ? (int)x->fault.reason : 0;
}

static void assert_ok(uint16_t rid, bool pv, uint32_t pasid, unsigned ctx_refs,
		      unsigned pasid_refs)
{
	struct iommu_xlate x;

	ck_assert_int_eq(xl(rid, pv, pasid, IOVA, &x), 0);
	ck_assert_uint_eq(x.hpa, data);
	ck_assert_uint_eq(x.ctx_refs, ctx_refs);
	ck_assert_uint_eq(x.pasid_refs, pasid_refs);
	ck_assert(!x.ctx_cache_hit && !x.pasid_cache_hit);
}

static void assert_get(uint16_t rid, uint32_t pasid, const struct iommu_context *want)
{
	struct iommu_context got;

	memset(&got, 0xa5, sizeof(got));
	ck_assert_int_eq(iommu_hw_get_pasid(w, 0, rid, pasid, &got), 0);
	ck_assert_int_eq(got.type, want->type);
	ck_assert_uint_eq(got.did, want->did);
	ck_assert_uint_eq(got.s1_root, want->s1_root);
	ck_assert_uint_eq(got.s1_levels, want->s1_levels);
	ck_assert_uint_eq(got.s2_root, want->s2_root);
	ck_assert_uint_eq(got.s2_levels, want->s2_levels);
	ck_assert_uint_eq(got.s2_did, want->s2_did);
}

/* The hardware's decode of a device entry, and why it stopped. */
static enum hw_ctx_fail fetch_dev(uint16_t seg, uint16_t rid, struct hw_devctx *dc,
				  unsigned *refs)
{
	enum hw_ctx_fail why = HW_CTX_OK;

	*refs = 0;
	memset(dc, 0, sizeof(*dc));
	if (!hw_ctx_smmuv3_ops.fetch_dev(hwp(), seg, rid, dc, refs, &why))
		ck_assert_int_ne(why, HW_CTX_OK);
	return why;
}

static enum hw_ctx_fail fetch_pasid(uint16_t rid, uint32_t pasid, struct iommu_context *c)
{
	struct hw_devctx dc;
	enum hw_ctx_fail why = HW_CTX_OK;
	unsigned refs;

	ck_assert_int_eq(fetch_dev(0, rid, &dc, &refs), HW_CTX_OK);
	if (!hw_ctx_smmuv3_ops.fetch_pasid(hwp(), &dc, pasid, c, &refs, &why))
		ck_assert_int_ne(why, HW_CTX_OK);
	return why;
}

/* ---- stream tables ------------------------------------------------------------------------- */

START_TEST(test_strtab_2lvl_and_ste_kinds)
{
	uint64_t k0 = kframes(), root, l1, q[8];
	struct iommu_context c, got;
	struct iommu_xlate x;
	unsigned wrote;

	dev(RID_A, 0, false);
	/* the level-1 table (256 descriptors) and bus 3's level-2 table (256
	 * STEs, 16 KiB) */
	ck_assert_uint_eq(kframes() - k0, 1 + 4);
	root = hw_seg_root(hwp(), 0);
	l1 = rd(root + 3 * 8);
	ck_assert_uint_eq(l1 & 0x1f, 9);
	ck_assert_uint_eq(l1 & MASK(51, 6) & (4 * SZ_4K - 1), 0);
	ck_assert(!rd(root + 2 * 8) && !rd(root + 4 * 8));
	/* programmed, no context yet: an abort STE */
	assert_ste(RID_A, STE_V | STE_CFG(0), 0, 0, 0);
	assert_get(RID_A, 0, &blk_ctx);
	ck_assert_int_eq(xl(RID_A, false, 0, IOVA, &x), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_uint_eq(x.ctx_refs, 2);

	/* stage 2: VMID = did, VTCR for 4, 3 and 2 levels, S2TTB */
	for (unsigned lv = 4; lv >= 2; lv--) {
		struct io_pgtable t;

		ck_assert_int_eq(io_pgtable_init(&t, w, iommu_hw_fmt(IOMMU_HW_SMMUV3,
								    IO_PGTABLE_STAGE2, lv), lv), 0);
		ck_assert_int_eq(io_pgtable_map(&t, IOVA, data, SZ_4K, RW), 0);
		c = ctx_s2(42, &t);
		ck_assert_int_eq(prog(RID_A, 0, &c, &wrote), 0);
		ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
		assert_ste(RID_A, STE_V | STE_CFG(6), 0,
			   42 | vtcr(64 - (12 + 9 * lv), lv - 2) | STE2_S2BITS, t.root);
		assert_ok(RID_A, false, 0, 2, 0);
		assert_get(RID_A, 0, &c);
		ck_assert_int_eq(prog(RID_A, 0, &pt_ctx, NULL), 0);
		io_pgtable_destroy(&t);
	}
	c = ctx_s2(42, &s2);
	ck_assert_int_eq(prog(RID_A, 0, &c, &wrote), 0);
	/* the same context again writes nothing */
	ck_assert_int_eq(prog(RID_A, 0, &c, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	/* a request with a PASID: an S2 STE has no CD table */
	ck_assert_int_eq(xl(RID_A, true, 1, IOVA, &x), IOMMU_FAULT_NO_PASID);

	/* a second function on bus 3 shares the level-2 table */
	k0 = kframes();
	dev(RID_B, 0, false);
	ck_assert_uint_eq(kframes(), k0);
	ck_assert_uint_eq(ste_addr(RID_B) - ste_addr(RID_A),
			  ((RID_B & 0xff) - (RID_A & 0xff)) * 64ull);
	ck_assert_int_eq(prog(RID_B, 0, &pt_ctx, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
	assert_ste(RID_B, STE_V | STE_CFG(4), 0, 0, 0);       /* bypass */
	ck_assert_int_eq(xl(RID_B, false, 0, 0x1234000, &x), 0);
	ck_assert_uint_eq(x.hpa, 0x1234000);
	ck_assert_uint_eq(x.ctx_refs, 2);
	assert_get(RID_B, 0, &pt_ctx);
	ck_assert_int_eq(prog(RID_B, 0, &blk_ctx, NULL), 0);
	assert_ste(RID_B, STE_V, 0, 0, 0);                    /* abort */
	ck_assert_int_eq(xl(RID_B, false, 0, IOVA, &x), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_int_eq(prog(RID_B, 0, NULL, NULL), 0);      /* none: abort too */
	assert_ste(RID_B, STE_V, 0, 0, 0);

	/* teardown: V = 0, nothing to read back; the level-2 table stays */
	ck_assert_int_eq(iommu_hw_clear_device(w, 0, RID_A), 0);
	ste_words(RID_A, q);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(q[i], 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, RID_A, &got), -ENOENT);
	ck_assert_int_eq(xl(RID_A, false, 0, IOVA, &x), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_uint_eq(x.ctx_refs, 2);
	ck_assert_uint_eq(kframes(), k0);
	/* a bus without a level-2 table: the walk stops at its descriptor;
	 * a segment without a stream table reads nothing */
	ck_assert_int_eq(xl(0x0900, false, 0, IOVA, &x), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_uint_eq(x.ctx_refs, 1);
	ck_assert_int_eq(iommu_hw_translate(w, 1, RID_A, false, 0, IOVA, false, &x), -EFAULT);
	ck_assert_uint_eq(x.ctx_refs, 0);
}
END_TEST

START_TEST(test_strtab_linear)
{
	uint64_t k0 = kframes(), root;
	struct iommu_context c = ctx_s2(5, &s2);
	struct hw_devctx dc;
	unsigned refs;

	dev(RID_C, 0, false);
	/* SIDSIZE 16: 65536 STEs of 64 bytes, 4 MiB, aligned to its size */
	ck_assert_uint_eq(kframes() - k0, 1024);
	root = hw_seg_root(hwp(), 0);
	ck_assert_uint_eq(root & (0x400000 - 1), 0);
	ck_assert_uint_eq(ste_addr(RID_C), root + RID_C * 64ull);
	assert_ste(RID_C, STE_V, 0, 0, 0);
	ck_assert_int_eq(prog(RID_C, 0, &c, NULL), 0);
	assert_ste(RID_C, STE_V | STE_CFG(6), 0, 5 | vtcr(16, 2) | STE2_S2BITS, s2.root);
	/* one reference: the STE itself */
	assert_ok(RID_C, false, 0, 1, 0);
	ck_assert_int_eq(fetch_dev(0, RID_C, &dc, &refs), HW_CTX_OK);
	ck_assert_uint_eq(refs, 1);
	ck_assert(dc.rid_direct && dc.rid.type == IOMMU_CTX_TRANSLATE && dc.rid.did == 5);
	/* every other StreamID has its STE in place already */
	dev(PCI_RID(0xff, PCI_DEVFN(31, 7)), 0, false);
	dev(0, 0, false);
	ck_assert_uint_eq(kframes() - k0, 1024);
	ck_assert_int_eq(fetch_dev(0, 0x1234, &dc, &refs), HW_CTX_NO_CONTEXT);
	ck_assert_uint_eq(refs, 1);
	ck_assert_int_eq(iommu_hw_clear_device(w, 0, RID_C), 0);
	ck_assert_uint_eq(rd(root + RID_C * 64ull), 0);
}
END_TEST

/* ---- CD tables ------------------------------------------------------------------------------ */

START_TEST(test_s1_linear_cd_and_s1dss)
{
	struct iommu_context c = ctx_s1(7, &s1), p5 = ctx_s1(9, &s1b), got;
	struct iommu_xlate x;
	uint64_t k0, tab;
	unsigned wrote;

	dev(RID_A, 8, true);
	k0 = kframes();
	ck_assert_int_eq(prog(RID_A, 0, &c, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	/* 256 CDs of 64 bytes: a 16 KiB linear table (S1Fmt 0), S1CDMax 8 */
	ck_assert_uint_eq(kframes() - k0, 4);
	tab = cdtab(RID_A);
	ck_assert_uint_eq(tab & (4 * SZ_4K - 1), 0);
	ck_assert_int_eq(sim_mem_frame_kind(w, tab), SIM_FRAME_KERNEL);
	assert_ste(RID_A, STE_V | STE_CFG(5) | STE_S1FMT(0) | tab | STE_CDMAX(8),
		   2 | STE1_S1C | STE1_EATS, 0, 0);               /* S1DSS = SSID0 */
	assert_cd(RID_A, 0, 16, 7, s1.root);
	assert_ok(RID_A, false, 0, 2, 1);
	assert_get(RID_A, 0, &c);

	/* a PASID: its CD, nothing in the STE changes */
	ck_assert_int_eq(prog(RID_A, 5, &p5, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_PASID);
	assert_cd(RID_A, 5, 25, 9, s1b.root);
	assert_ok(RID_A, true, 5, 2, 1);
	assert_get(RID_A, 5, &p5);
	ck_assert_int_eq(prog(RID_A, 5, &p5, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	/* a blocked PASID is a cleared CD */
	ck_assert_int_eq(prog(RID_A, 6, &blk_ctx, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	ck_assert_uint_eq(cd(RID_A, 6, 0), 0);
	ck_assert_int_eq(xl(RID_A, true, 6, IOVA, &x), IOMMU_FAULT_NO_PASID);
	ck_assert_uint_eq(x.pasid_refs, 1);
	ck_assert_int_eq(xl(RID_A, true, 256, IOVA, &x), IOMMU_FAULT_NO_PASID);
	ck_assert_uint_eq(x.pasid_refs, 0);                       /* beyond S1CDMax */

	/* identity RID beside PASIDs: S1DSS = BYPASS, CD 0 cleared */
	ck_assert_int_eq(prog(RID_A, 0, &pt_ctx, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	ck_assert_uint_eq(ste(RID_A, 1), 1 | STE1_S1C | STE1_EATS);
	ck_assert_uint_eq(cd(RID_A, 0, 0), 0);
	ck_assert_int_eq(xl(RID_A, false, 0, 0x7000, &x), 0);
	ck_assert(x.hpa == 0x7000 && x.ctx_refs == 2 && x.pasid_refs == 0);
	assert_get(RID_A, 0, &pt_ctx);
	assert_ok(RID_A, true, 5, 2, 1);
	/* blocked RID: TERMINATE; none: the same */
	ck_assert_int_eq(prog(RID_A, 0, &blk_ctx, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
	ck_assert_uint_eq(ste(RID_A, 1), 0 | STE1_S1C | STE1_EATS);
	ck_assert_int_eq(xl(RID_A, false, 0, IOVA, &x), IOMMU_FAULT_NO_CONTEXT);
	assert_get(RID_A, 0, &blk_ctx);
	ck_assert_int_eq(prog(RID_A, 0, NULL, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	ck_assert_uint_eq(cdtab(RID_A), tab);

	/* the last CD goes: an abort STE, the CD table freed */
	ck_assert_int_eq(prog(RID_A, 5, NULL, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
	assert_ste(RID_A, STE_V, 0, 0, 0);
	ck_assert_uint_eq(kframes(), k0);
	ck_assert_int_eq(iommu_hw_get_pasid(w, 0, RID_A, 5, &got), -ENOENT);
	/* and comes back with a PASID alone */
	ck_assert_int_eq(prog(RID_A, 5, &p5, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	ck_assert_uint_eq(ste(RID_A, 1), 0 | STE1_S1C | STE1_EATS);
	assert_ok(RID_A, true, 5, 2, 1);
	ck_assert_int_eq(iommu_hw_clear_device(w, 0, RID_A), 0);
	ck_assert_uint_eq(kframes(), k0);
}
END_TEST

START_TEST(test_s1_without_pasids)
{
	struct iommu_context c = ctx_s1(3, &s1);
	struct hw_devctx dc;
	unsigned refs;

	/* pasid_bits 0: one CD (S1CDMax 0, S1DSS ignored: CD 0) */
	dev(RID_A, 0, false);
	ck_assert_int_eq(prog(RID_A, 0, &c, NULL), 0);
	assert_ste(RID_A, STE_V | STE_CFG(5) | cdtab(RID_A), 2 | STE1_S1C, 0, 0);
	assert_cd(RID_A, 0, 16, 3, s1.root);
	assert_ok(RID_A, false, 0, 2, 1);
	ck_assert_int_eq(fetch_dev(0, RID_A, &dc, &refs), HW_CTX_OK);
	ck_assert(!dc.pasid_ok && !dc.rid_direct && dc.rid_pasid == 0 && !dc.ats);
	/* the RID moves to stage 2: the CD table goes */
	c = ctx_s2(3, &s2);
	ck_assert_int_eq(prog(RID_A, 0, &c, NULL), 0);
	assert_ste(RID_A, STE_V | STE_CFG(6), 0, 3 | vtcr(16, 2) | STE2_S2BITS, s2.root);
}
END_TEST

START_TEST(test_cd_2lvl)
{
	const uint32_t p = 0x12345, q = 0x12000, r = 0x400;
	struct iommu_context c1 = ctx_s1(3, &s1), c2 = ctx_s1(4, &s1b);
	struct iommu_xlate x;
	struct iommu_context got;
	uint64_t k0, tab, l1;
	unsigned wrote;

	dev(RID_A, 20, false);
	k0 = kframes();
	ck_assert_int_eq(prog(RID_A, p, &c1, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	/* 2^20 SSIDs: S1Fmt 64K_L2, 1024 level-1 descriptors (8 KiB) and one
	 * 64 KiB leaf of 1024 CDs for SSIDs 0x12000..0x123ff */
	ck_assert_uint_eq(kframes() - k0, 2 + 16);
	tab = cdtab(RID_A);
	assert_ste(RID_A, STE_V | STE_CFG(5) | STE_S1FMT(2) | tab | STE_CDMAX(20),
		   0 | STE1_S1C, 0, 0);
	l1 = rd(tab + 8 * (p >> 10));
	ck_assert_uint_eq(l1 & ~MASK(51, 12), 1);
	ck_assert_uint_eq(l1 & MASK(51, 12) & (16 * SZ_4K - 1), 0);
	for (unsigned i = 0; i < 1024; i++)
		if (i != p >> 10)
			ck_assert_uint_eq(rd(tab + 8ull * i), 0);
	ck_assert_uint_eq(cd_addr(RID_A, p), (l1 & MASK(51, 12)) + (p & 1023) * 64ull);
	assert_cd(RID_A, p, 16, 3, s1.root);
	assert_ok(RID_A, true, p, 2, 2);
	assert_get(RID_A, p, &c1);
	/* a PASID whose leaf is missing: the level-1 descriptor says so */
	ck_assert_int_eq(xl(RID_A, true, r, IOVA, &x), IOMMU_FAULT_NO_PASID);
	ck_assert_uint_eq(x.pasid_refs, 1);
	ck_assert_int_eq(fetch_pasid(RID_A, r, &got), HW_CTX_NO_PDIR);
	/* the same leaf, then another */
	ck_assert_int_eq(prog(RID_A, q, &c2, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_PASID);
	ck_assert_uint_eq(kframes() - k0, 2 + 16);
	ck_assert_int_eq(prog(RID_A, r, &c2, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_PASID);
	ck_assert_uint_eq(kframes() - k0, 2 + 16 + 16);
	assert_cd(RID_A, r, 25, 4, s1b.root);
	assert_ok(RID_A, true, r, 2, 2);
	/* clearing a PASID whose leaf does not exist writes nothing */
	ck_assert_int_eq(prog(RID_A, 0x80000, NULL, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	/* the RID's CD 0 needs leaf 0 */
	ck_assert_int_eq(prog(RID_A, 0, &c1, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	ck_assert_uint_eq(kframes() - k0, 2 + 3 * 16);
	ck_assert_uint_eq(ste(RID_A, 1), 2 | STE1_S1C);
	assert_ok(RID_A, false, 0, 2, 2);
	/* teardown frees the level-1 table and every leaf */
	ck_assert_int_eq(iommu_hw_clear_device(w, 0, RID_A), 0);
	ck_assert_uint_eq(kframes(), k0);
}
END_TEST

START_TEST(test_cd_format_boundary)
{
	struct iommu_context c = ctx_s1(1, &s1);
	uint64_t k0;

	/* 2^10 SSIDs still fit one linear 64 KiB table */
	dev(RID_A, 10, false);
	k0 = kframes();
	ck_assert_int_eq(prog(RID_A, 1023, &c, NULL), 0);
	ck_assert_uint_eq((ste(RID_A, 0) >> 4) & 3, 0);
	ck_assert_uint_eq(kframes() - k0, 16);
	assert_cd(RID_A, 1023, 16, 1, s1.root);
	assert_ok(RID_A, true, 1023, 2, 1);
	/* 2^11: two level-1 descriptors in one frame, a leaf per 1024 */
	dev(RID_B, 11, false);
	k0 = kframes();
	ck_assert_int_eq(prog(RID_B, 2047, &c, NULL), 0);
	ck_assert_uint_eq((ste(RID_B, 0) >> 4) & 3, 2);
	ck_assert_uint_eq(ste(RID_B, 0) >> 59, 11);
	ck_assert_uint_eq(kframes() - k0, 1 + 16);
	ck_assert_uint_eq(rd(cdtab(RID_B)) & 1, 0);
	assert_cd(RID_B, 2047, 16, 1, s1.root);
	assert_ok(RID_B, true, 2047, 2, 2);
}
END_TEST

/* ---- nesting ---------------------------------------------------------------------------------- */

/* Stage 2 maps the stage-1 tables of IOVA and the data page one to one
 * (GPA = HPA), so the host-built stage-1 table is also a guest's. */
static void nest_tables(struct io_pgtable *n2)
{
	struct io_pgtable_walk wk;

	ck_assert_int_eq(io_pgtable_init(n2, w, iommu_hw_fmt(IOMMU_HW_SMMUV3,
							    IO_PGTABLE_STAGE2, 3), 3), 0);
	ck_assert_int_eq(io_pgtable_lookup(&s1, IOVA, &wk), 0);
	for (unsigned l = 1; l <= s1.levels; l++)
		ck_assert_int_eq(io_pgtable_map(n2, wk.tables[l], wk.tables[l], SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(n2, data, data, SZ_4K, RW), 0);
}

START_TEST(test_nested)
{
	struct io_pgtable n2;
	struct iommu_context nc, rid, bad;
	struct iommu_xlate x;
	uint64_t tab;
	unsigned wrote;

	nest_tables(&n2);
	nc = (struct iommu_context){ .type = IOMMU_CTX_NESTED, .did = 11, .s1_root = s1.root,
				     .s1_levels = 4, .s2_root = n2.root, .s2_levels = 3,
				     .s2_did = 3 };
	dev(RID_A, 8, false);
	ck_assert_int_eq(prog(RID_A, 5, &nc, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	/* Config nested, the host's CD table (an HPA: the simplification,
	 * marked by the RES0 bit 55),
	 * S1DSS TERMINATE, MEV; the parent's stage 2 with VMID = s2_did */
	tab = cdtab(RID_A);
	assert_ste(RID_A, STE_V | STE_CFG(7) | STE_HOSTCD | tab | STE_CDMAX(8), 0 | STE1_S1C | STE1_MEV,
		   3 | vtcr(25, 1) | STE2_S2BITS, n2.root);
	assert_cd(RID_A, 5, 16, 11, s1.root);                     /* TTB0: a GPA */
	assert_ok(RID_A, true, 5, 2, 1);
	assert_get(RID_A, 5, &nc);
	ck_assert_int_eq(xl(RID_A, false, 0, IOVA, &x), IOMMU_FAULT_NO_CONTEXT);

	/* the RID on the parent alone: S1DSS BYPASS, stage 2 only */
	rid = ctx_s2(3, &n2);
	ck_assert_int_eq(prog(RID_A, 0, &rid, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
	ck_assert_uint_eq(ste(RID_A, 1), 1 | STE1_S1C | STE1_MEV);
	ck_assert_int_eq(xl(RID_A, false, 0, data, &x), 0);
	ck_assert(x.hpa == data && x.ctx_refs == 2 && x.pasid_refs == 0);
	assert_get(RID_A, 0, &rid);
	/* what the one stage 2 cannot be */
	bad = ctx_s2(4, &n2);
	ck_assert_int_eq(prog(RID_A, 0, &bad, NULL), -EBUSY);
	bad = ctx_s2(3, &s2);
	ck_assert_int_eq(prog(RID_A, 0, &bad, NULL), -EBUSY);
	ck_assert_int_eq(prog(RID_A, 0, &pt_ctx, NULL), -EBUSY);
	bad = ctx_s1(3, &s1);
	ck_assert_int_eq(prog(RID_A, 0, &bad, NULL), -EBUSY);
	bad = nc;
	bad.s2_did = 4;
	ck_assert_int_eq(prog(RID_A, 0, &bad, NULL), -EBUSY);
	ck_assert_int_eq(prog(RID_A, 6, &bad, NULL), -EINVAL);
	bad = ctx_s1(3, &s1);
	ck_assert_int_eq(prog(RID_A, 6, &bad, NULL), -EINVAL);
	assert_get(RID_A, 0, &rid);

	/* the RID nested too: CD 0, S1DSS SSID0 */
	rid = nc;
	rid.did = 12;
	ck_assert_int_eq(prog(RID_A, 0, &rid, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	ck_assert_uint_eq(ste(RID_A, 1), 2 | STE1_S1C | STE1_MEV);
	assert_cd(RID_A, 0, 16, 12, s1.root);
	assert_ok(RID_A, false, 0, 2, 1);
	assert_get(RID_A, 0, &rid);
	ck_assert_int_eq(prog(RID_A, 6, &nc, NULL), 0);
	assert_ok(RID_A, true, 6, 2, 1);
	/* the PASIDs go, the RID keeps its nested STE and table */
	ck_assert_int_eq(prog(RID_A, 5, NULL, NULL), 0);
	ck_assert_int_eq(prog(RID_A, 6, NULL, NULL), 0);
	assert_ste(RID_A, STE_V | STE_CFG(7) | STE_HOSTCD | tab | STE_CDMAX(8), 2 | STE1_S1C | STE1_MEV,
		   3 | vtcr(25, 1) | STE2_S2BITS, n2.root);
	assert_ok(RID_A, false, 0, 2, 1);
	ck_assert_int_eq(prog(RID_A, 0, NULL, NULL), 0);
	assert_ste(RID_A, STE_V, 0, 0, 0);
	io_pgtable_destroy(&n2);
}
END_TEST

/* A guest's STE (SMMUv3 nesting through a vIOMMU): the guest owns the CD
 * table, at an IPA the hardware reads through the stage 2
 * (arm_smmu_make_nested_cd_table_ste; hw_ctx_smmuv3.c "two forms"). */
#define GUEST_CDTAB_IPA 0x7000000ull

/* The stage 2 (@n2), the guest's CD table in its own memory (*cdt, at
 * GUEST_CDTAB_IPA: CD 0 with ASID 7, TTB0 the guest's table, its GPAs
 * identity-mapped) and the guest's STE over them (*g, VMID 3). */
static void guest_ste(struct io_pgtable *n2, uint64_t *cdt, struct iommu_context *g)
{
	nest_tables(n2);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, cdt), 0);
	sim_mem_write64(w, *cdt, CD0_FIXED | 16 | 7ull << 48);
	sim_mem_write64(w, *cdt + 8, s1.root);
	ck_assert_int_eq(io_pgtable_map(n2, GUEST_CDTAB_IPA, *cdt, SZ_4K, RW), 0);
	*g = (struct iommu_context){ .type = IOMMU_CTX_NESTED, .did = IOMMU_GUEST_TAG(3, 0),
				     .s2_root = n2->root, .s2_levels = 3, .s2_did = 3,
				     .vste = true,
				     .vste0 = STE_V | STE_CFG(5) | GUEST_CDTAB_IPA,
				     .vste1 = STE1_S1C | STE1_EATS };
}

START_TEST(test_guest_ste)
{
	struct io_pgtable n2;
	struct iommu_context g, want, s1c = ctx_s1(9, &s1);
	struct iommu_xlate x;
	uint64_t cdt, k0;
	unsigned wrote;

	guest_ste(&n2, &cdt, &g);
	dev(RID_A, 8, false);
	k0 = kframes();
	ck_assert_int_eq(prog(RID_A, 0, &g, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
	ck_assert_uint_eq(kframes(), k0);                 /* no host CD table */
	/* Config nested, the guest's S1ContextPtr (an IPA), no host marker;
	 * the guest's word 1 with MEV, EATS 0 without ATS at the device */
	assert_ste(RID_A, STE_V | STE_CFG(7) | GUEST_CDTAB_IPA, STE1_S1C | STE1_MEV,
		   3 | vtcr(25, 1) | STE2_S2BITS, n2.root);
	/* the CD read through stage 2: tagged by VMID 3 and the guest's ASID */
	assert_ok(RID_A, false, 0, 2, 1);
	want = (struct iommu_context){ .type = IOMMU_CTX_NESTED, .did = IOMMU_GUEST_TAG(3, 7),
				       .s1_root = s1.root, .s1_levels = 4, .s2_root = n2.root,
				       .s2_levels = 3, .s2_did = 3 };
	assert_get(RID_A, 0, &want);
	/* the guest's ATS: EATS when the device has ATS and the guest asked */
	dev(RID_A, 8, true);
	ck_assert_uint_eq(ste(RID_A, 1), STE1_S1C | STE1_MEV | STE1_EATS);
	g.vste1 = STE1_S1C;
	ck_assert_int_eq(prog(RID_A, 0, &g, NULL), 0);
	ck_assert_uint_eq(ste(RID_A, 1), STE1_S1C | STE1_MEV);
	/* no host PASID beside it; the RID takes it only with no SSID in use */
	ck_assert_int_eq(prog(RID_A, 1, &s1c, NULL), -EINVAL);
	ck_assert_int_eq(prog(RID_A, 1, &blk_ctx, NULL), 0);
	ck_assert_int_eq(prog(RID_A, 2, &g, NULL), -EINVAL);
	dev(RID_B, 8, false);
	ck_assert_int_eq(prog(RID_B, 1, &s1c, NULL), 0);
	ck_assert_int_eq(prog(RID_B, 0, &g, NULL), -EBUSY);
	/* the guest's CD table not readable through stage 2: the request
	 * stops at the CD fetch */
	ck_assert_uint_eq(io_pgtable_unmap(&n2, GUEST_CDTAB_IPA, SZ_4K), SZ_4K);
	iommu_hw_inv_all(w);
	iommu_hw_invalidate(w, &(struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE,
			    .rid = RID_A, .pasid = IOMMU_PASID_NONE }, 1);
	ck_assert_int_eq(xl(RID_A, false, 0, IOVA, &x), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_int_ne(iommu_hw_get_pasid(w, 0, RID_A, 0, &want), 0);
	/* the STE's pointer is an IPA, never an HPA: the host frame itself
	 * (cdt) is not what the hardware reads */
	g.vste0 = STE_V | STE_CFG(5) | cdt;
	ck_assert_int_eq(prog(RID_A, 0, &g, NULL), 0);
	ck_assert_int_eq(xl(RID_A, false, 0, IOVA, &x), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_int_eq(prog(RID_A, 0, NULL, NULL), 0);
	sim_mem_frame_put(w, cdt);
	io_pgtable_destroy(&n2);
}
END_TEST

static uint64_t iotlb_entries(void)
{
	struct iommu_hw_stats st;

	iommu_hw_stats(w, &st);
	return st.iotlb_entries;
}

/* IOMMU_INV_IOTLB_VM drops the guest tags of its VMID and nothing else: a
 * host domain's entries, and another VMID's, stay. */
START_TEST(test_vm_flush)
{
	struct io_pgtable n2;
	struct iommu_context g, host = ctx_s2(9, &s2);
	struct iommu_inv_cmd vm = { .type = IOMMU_INV_IOTLB_VM, .pasid = IOMMU_PASID_NONE };
	struct iommu_xlate x;
	uint64_t cdt, n;

	guest_ste(&n2, &cdt, &g);
	dev(RID_A, 8, false);
	dev(RID_B, 0, false);
	ck_assert_int_eq(prog(RID_A, 0, &g, NULL), 0);
	ck_assert_int_eq(prog(RID_B, 0, &host, NULL), 0);
	ck_assert_int_eq(xl(RID_A, false, 0, IOVA, &x), 0);      /* vmid 3 asid 7 */
	ck_assert_int_eq(xl(RID_B, false, 0, IOVA, &x), 0);      /* did 9 */
	n = iotlb_entries();
	ck_assert_uint_eq(n, 2);
	vm.did = 4;                                              /* another VMID */
	ck_assert_uint_eq(iommu_hw_invalidate(w, &vm, 1), 0);
	ck_assert_uint_eq(iotlb_entries(), n);
	vm.did = 9;                  /* the host domain's id as a VMID: it has no guest tags */
	ck_assert_uint_eq(iommu_hw_invalidate(w, &vm, 1), 0);
	ck_assert_uint_eq(iotlb_entries(), n);
	vm.did = 3;
	ck_assert_uint_ge(iommu_hw_invalidate(w, &vm, 1), 1);
	ck_assert_uint_eq(iotlb_entries(), n - 1);
	/* the host's entry still answers, the guest's walks again */
	ck_assert_int_eq(xl(RID_B, false, 0, IOVA, &x), 0);
	ck_assert(x.iotlb_hit);
	ck_assert_int_eq(xl(RID_A, false, 0, IOVA, &x), 0);
	ck_assert(!x.iotlb_hit);
	ck_assert_int_eq(prog(RID_A, 0, NULL, NULL), 0);
	sim_mem_frame_put(w, cdt);
	io_pgtable_destroy(&n2);
}
END_TEST

/* ---- admission ---------------------------------------------------------------------------------- */

/* @c at @pasid of RID_A is refused with @err and nothing is written. */
static void refused(uint32_t pasid, const struct iommu_context *c, int err)
{
	uint64_t before[8], after[8], k0 = kframes();
	unsigned wrote = 99;

	ste_words(RID_A, before);
	ck_assert_int_eq(prog(RID_A, pasid, c, &wrote), err);
	ck_assert_uint_eq(wrote, 0);
	ste_words(RID_A, after);
	ck_assert(!memcmp(before, after, sizeof(before)));
	ck_assert_uint_eq(kframes(), k0);
}

START_TEST(test_admit)
{
	struct iommu_context s2c = ctx_s2(2, &s2), s1c = ctx_s1(3, &s1), nc, nc2;

	nc = (struct iommu_context){ .type = IOMMU_CTX_NESTED, .did = 4, .s1_root = 0x5000,
				     .s1_levels = 4, .s2_root = s2.root, .s2_levels = 4,
				     .s2_did = 2 };
	nc2 = nc;
	nc2.s2_root = s1.root;             /* another table as stage 2 */
	dev(RID_A, 8, false);
	/* a PASID is a CD: no stage-2-only or bypass PASIDs */
	refused(1, &s2c, -EINVAL);
	refused(1, &pt_ctx, -EINVAL);
	/* no stage-1 PASIDs beside a stage-2 or nested RID (arm_smmu_set_pasid) */
	ck_assert_int_eq(prog(RID_A, 0, &s2c, NULL), 0);
	refused(1, &s1c, -EINVAL);
	ck_assert_int_eq(prog(RID_A, 1, &blk_ctx, NULL), 0);      /* blocked fits */
	ck_assert_int_eq(prog(RID_A, 1, NULL, NULL), 0);
	ck_assert_int_eq(prog(RID_A, 0, &nc, NULL), 0);
	refused(1, &s1c, -EINVAL);
	ck_assert_int_eq(prog(RID_A, 1, &nc, NULL), 0);           /* same stage 2 */
	refused(2, &nc2, -EINVAL);
	ck_assert_int_eq(prog(RID_A, 1, NULL, NULL), 0);
	refused(1, &nc2, -EINVAL);                                /* RID's s2 differs */
	ck_assert_int_eq(prog(RID_A, 0, NULL, NULL), 0);

	/* stage-1 PASIDs: the RID cannot become stage 2 or nested (-EBUSY,
	 * arm_smmu_attach_dev's SSIDs-in-use rule), identity and S1 fit */
	ck_assert_int_eq(prog(RID_A, 1, &s1c, NULL), 0);
	refused(0, &s2c, -EBUSY);
	refused(0, &nc, -EBUSY);
	refused(2, &nc, -EINVAL);
	ck_assert_int_eq(prog(RID_A, 0, &pt_ctx, NULL), 0);
	refused(2, &nc, -EINVAL);
	ck_assert_int_eq(prog(RID_A, 0, &s1c, NULL), 0);
	ck_assert_int_eq(prog(RID_A, 0, &blk_ctx, NULL), 0);
	ck_assert_int_eq(prog(RID_A, 1, NULL, NULL), 0);

	/* nested PASIDs: no stage-1 PASID, no stage-1 or identity RID */
	ck_assert_int_eq(prog(RID_A, 2, &nc, NULL), 0);
	refused(3, &s1c, -EINVAL);
	refused(0, &s1c, -EBUSY);
	refused(0, &pt_ctx, -EBUSY);
	refused(0, &nc2, -EBUSY);
	ck_assert_int_eq(prog(RID_A, 0, &s2c, NULL), 0);          /* the parent */
	ck_assert_int_eq(prog(RID_A, 0, &blk_ctx, NULL), 0);
	/* clearing always fits */
	ck_assert_int_eq(prog(RID_A, 2, NULL, NULL), 0);
	ck_assert_int_eq(prog(RID_A, 7, NULL, NULL), 0);
	ck_assert_int_eq(prog(RID_A, 0, NULL, NULL), 0);
	assert_ste(RID_A, STE_V, 0, 0, 0);
}
END_TEST

/* ---- what the hardware makes of bad bytes ------------------------------------------------------- */

/* Replace word @i of RID_A's STE with @v: the walk stops with @why. */
static void bad_ste(unsigned i, uint64_t v, enum hw_ctx_fail why)
{
	uint64_t a = ste_addr(RID_A) + 8ull * i, old = rd(a);
	struct iommu_xlate x;
	struct hw_devctx dc;
	unsigned refs;

	sim_mem_write64(w, a, v);
	ck_assert_int_eq(fetch_dev(0, RID_A, &dc, &refs), why);
	ck_assert_uint_eq(refs, 2);
	ck_assert_int_eq(xl(RID_A, false, 0, IOVA, &x), IOMMU_FAULT_NO_CONTEXT);
	sim_mem_write64(w, a, old);
	ck_assert_int_eq(fetch_dev(0, RID_A, &dc, &refs), HW_CTX_OK);
}

static void bad_cd(uint32_t pasid, unsigned i, uint64_t v, enum hw_ctx_fail why)
{
	uint64_t a = cd_addr(RID_A, pasid) + 8ull * i, old = rd(a);
	struct iommu_context c;
	struct iommu_xlate x;

	sim_mem_write64(w, a, v);
	ck_assert_int_eq(fetch_pasid(RID_A, pasid, &c), why);
	ck_assert_int_eq(xl(RID_A, true, pasid, IOVA, &x), IOMMU_FAULT_NO_PASID);
	sim_mem_write64(w, a, old);
	ck_assert_int_eq(fetch_pasid(RID_A, pasid, &c), HW_CTX_OK);
}

START_TEST(test_corrupt_entries)
{
	struct iommu_context c = ctx_s2(8, &s2);
	uint64_t q0, q1, q2, l1a, l1;
	struct hw_devctx dc;
	unsigned refs;

	dev(RID_A, 8, false);
	ck_assert_int_eq(prog(RID_A, 0, &c, NULL), 0);
	q0 = ste(RID_A, 0);
	q1 = ste(RID_A, 1);
	q2 = ste(RID_A, 2);
	/* reserved Config values */
	for (unsigned cfg = 1; cfg <= 3; cfg++)
		bad_ste(0, STE_V | STE_CFG(cfg), HW_CTX_BAD_CONTEXT);
	bad_ste(0, q0 & ~STE_V, HW_CTX_NO_CONTEXT);
	/* stage 2s it cannot walk: 64 KiB granule, SL0 3, AArch32, an input
	 * size that needs concatenated start tables, no table; EATS 0b11 */
	bad_ste(2, q2 | 1ull << (32 + 14), HW_CTX_BAD_CONTEXT);
	bad_ste(2, q2 | 3ull << (32 + 6), HW_CTX_BAD_CONTEXT);
	bad_ste(2, q2 & ~B(51), HW_CTX_BAD_CONTEXT);
	bad_ste(2, (q2 & ~(0x3full << 32)) | 20ull << 32, HW_CTX_BAD_CONTEXT);
	bad_ste(2, q2 | 7ull << (32 + 16), HW_CTX_BAD_CONTEXT);
	bad_ste(3, 0, HW_CTX_BAD_CONTEXT);
	bad_ste(1, q1 | 3ull << 28, HW_CTX_BAD_CONTEXT);
	/* the level-1 descriptor: Span 0, or a span this split cannot have */
	l1a = hw_seg_root(hwp(), 0) + 8 * (RID_A >> 8);
	l1 = rd(l1a);
	sim_mem_write64(w, l1a, l1 & ~0x1full);
	ck_assert_int_eq(fetch_dev(0, RID_A, &dc, &refs), HW_CTX_NO_ROOT);
	ck_assert_uint_eq(refs, 1);
	sim_mem_write64(w, l1a, (l1 & ~0x1full) | 8);
	ck_assert_int_eq(fetch_dev(0, RID_A, &dc, &refs), HW_CTX_NO_ROOT);
	sim_mem_write64(w, l1a, l1);
	ck_assert_int_eq(fetch_dev(1, RID_A, &dc, &refs), HW_CTX_NO_ROOT);
	ck_assert_uint_eq(refs, 0);

	/* an S1 STE: S1DSS 0b11, S1Fmt 0b11, S1CDMax beyond SSIDSIZE */
	c = ctx_s1(9, &s1);
	ck_assert_int_eq(prog(RID_A, 0, &c, NULL), 0);
	ck_assert_int_eq(prog(RID_A, 2, &c, NULL), 0);
	q0 = ste(RID_A, 0);
	q1 = ste(RID_A, 1);
	bad_ste(1, q1 | 3, HW_CTX_BAD_CONTEXT);
	bad_ste(0, q0 | STE_S1FMT(3), HW_CTX_BAD_CONTEXT);
	bad_ste(0, (q0 & ~STE_CDMAX(31)) | STE_CDMAX(21), HW_CTX_BAD_CONTEXT);
	/* CDs it cannot use: 64 KiB granule, AArch32, a 44-bit input, a
	 * one-level input, a reserved IPS; V clear */
	q0 = cd(RID_A, 2, 0);
	bad_cd(2, 0, q0 | 1ull << 6, HW_CTX_BAD_PASID);
	bad_cd(2, 0, q0 & ~B(41), HW_CTX_BAD_PASID);
	bad_cd(2, 0, (q0 & ~0x3full) | 20, HW_CTX_BAD_PASID);
	bad_cd(2, 0, (q0 & ~0x3full) | 43, HW_CTX_BAD_PASID);
	bad_cd(2, 0, q0 | 7ull << 32, HW_CTX_BAD_PASID);
	bad_cd(2, 1, 0, HW_CTX_BAD_PASID);                         /* no S1 table */
	bad_cd(2, 0, q0 & ~B(31), HW_CTX_NO_PASID);
	/* EPD0: a valid CD whose walks are off, every access faults */
	sim_mem_write64(w, cd_addr(RID_A, 2), q0 | B(14));
	{
		struct iommu_context got;
		struct iommu_xlate x;

		ck_assert_int_eq(fetch_pasid(RID_A, 2, &got), HW_CTX_OK);
		ck_assert_int_eq(got.type, IOMMU_CTX_BLOCKED);
		ck_assert_int_eq(xl(RID_A, true, 2, IOVA, &x), IOMMU_FAULT_NO_PASID);
	}
	sim_mem_write64(w, cd_addr(RID_A, 2), q0);
	assert_ok(RID_A, true, 2, 2, 1);
}
END_TEST

START_TEST(test_cd_l1_invalid)
{
	struct iommu_context c = ctx_s1(9, &s1), got;
	uint64_t a, v;

	dev(RID_A, 16, false);
	ck_assert_int_eq(prog(RID_A, 0x1400, &c, NULL), 0);
	a = cdtab(RID_A) + 8 * 5;
	v = rd(a);
	ck_assert_uint_eq(v & 1, 1);
	sim_mem_write64(w, a, v & ~1ull);
	ck_assert_int_eq(fetch_pasid(RID_A, 0x1400, &got), HW_CTX_NO_PDIR);
	sim_mem_write64(w, a, v);
	ck_assert_int_eq(fetch_pasid(RID_A, 0x1400, &got), HW_CTX_OK);
	ck_assert(got.type == IOMMU_CTX_S1 && got.did == 9 && got.s1_root == s1.root);
}
END_TEST

/* ---- allocation failures, ATS, events, teardown ------------------------------------------------ */

START_TEST(test_enomem_writes_nothing)
{
	struct iommu_context c = ctx_s1(9, &s1), got;
	struct iommu_dev_ctx d = { .pasid_bits = 20 };
	uint64_t k0 = kframes();

	/* the stream table, then bus 3's level-2 table */
	for (unsigned nth = 1; nth <= 2; nth++) {
		sim_fault_fail_nth(w, "mem_frame_alloc", nth);
		ck_assert_int_eq(iommu_hw_set_device(w, 0, RID_A, &d), -ENOMEM);
		sim_fault_fail_nth(w, "*", 0);
		ck_assert_uint_eq(kframes(), k0);
		ck_assert_uint_eq(hw_seg_root(hwp(), 0), 0);
	}
	dev(RID_A, 20, false);
	k0 = kframes();
	/* the CD table, then its leaf */
	for (unsigned nth = 1; nth <= 2; nth++) {
		sim_fault_fail_nth(w, "mem_frame_alloc", nth);
		ck_assert_int_eq(prog(RID_A, 0x777, &c, NULL), -ENOMEM);
		sim_fault_fail_nth(w, "*", 0);
		ck_assert_uint_eq(kframes(), k0);
		assert_ste(RID_A, STE_V, 0, 0, 0);
		ck_assert_int_eq(iommu_hw_get_pasid(w, 0, RID_A, 0x777, &got), -ENOENT);
	}
	ck_assert_int_eq(prog(RID_A, 0x777, &c, NULL), 0);
	k0 = kframes();
	/* a second leaf */
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(prog(RID_A, 0x10000, &c, NULL), -ENOMEM);
	sim_fault_fail_nth(w, "*", 0);
	ck_assert_uint_eq(kframes(), k0);
	ck_assert_uint_eq(rd(cdtab(RID_A) + 8 * (0x10000 >> 10)), 0);
	assert_ok(RID_A, true, 0x777, 2, 2);
}
END_TEST

START_TEST(test_ats_eats)
{
	struct iommu_context c = ctx_s2(6, &s2);
	struct iommu_dev_ctx d = { .pasid_bits = 0, .ats = false };
	struct hw_devctx dc;
	unsigned refs, wrote;

	dev(RID_A, 0, true);
	assert_ste(RID_A, STE_V, 0, 0, 0);                 /* no ATS with abort ... */
	ck_assert_int_eq(prog(RID_A, 0, &pt_ctx, NULL), 0);
	assert_ste(RID_A, STE_V | STE_CFG(4), 0, 0, 0);    /* ... or bypass */
	ck_assert_int_eq(prog(RID_A, 0, &c, NULL), 0);
	ck_assert_uint_eq(ste(RID_A, 1), STE1_EATS);       /* EATS = TRANS */
	ck_assert_int_eq(fetch_dev(0, RID_A, &dc, &refs), HW_CTX_OK);
	ck_assert(dc.ats);
	ck_assert_int_eq(iommu_hw_program_device(w, 0, RID_A, &d, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
	ck_assert_uint_eq(ste(RID_A, 1), 0);
	ck_assert_int_eq(iommu_hw_program_device(w, 0, RID_A, &d, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	ck_assert_int_eq(fetch_dev(0, RID_A, &dc, &refs), HW_CTX_OK);
	ck_assert(!dc.ats);
}
END_TEST

struct evlog {
	unsigned n;
	struct iommu_walk_event e[8];
	struct iommu_context ctx;
};

static void log_ev(void *p, const struct iommu_walk_event *e)
{
	struct evlog *l = p;

	if (e->ev < IOMMU_EV_ROOT || e->ev > IOMMU_EV_PASID_ENTRY || l->n == 8)
		return;
	l->e[l->n++] = *e;
	if (e->ctx)
		l->ctx = *e->ctx;
}

START_TEST(test_walk_events)
{
	struct iommu_context c = ctx_s1(9, &s1);
	struct iommu_xlate x;
	struct evlog l = { 0 };
	const uint32_t p = 0x2c05;

	dev(RID_A, 14, false);
	ck_assert_int_eq(prog(RID_A, p, &c, NULL), 0);
	iommu_hw_set_observer(w, log_ev, &l);
	ck_assert_int_eq(xl(RID_A, true, p, IOVA, &x), 0);
	iommu_hw_set_observer(w, NULL, NULL);
	ck_assert_uint_eq(l.n, 4);
	ck_assert(l.e[0].ev == IOMMU_EV_ROOT && l.e[0].level == 1 && l.e[0].index == 3);
	ck_assert_uint_eq(l.e[0].addr, hw_seg_root(hwp(), 0) + 3 * 8);
	ck_assert(l.e[1].ev == IOMMU_EV_CONTEXT && l.e[1].index == (RID_A & 0xff));
	ck_assert_uint_eq(l.e[1].addr, ste_addr(RID_A));
	ck_assert_uint_eq(l.e[1].value, ste(RID_A, 0));
	ck_assert(l.e[2].ev == IOMMU_EV_PASID_DIR && l.e[2].level == 1 && l.e[2].index == p >> 10);
	ck_assert(l.e[3].ev == IOMMU_EV_PASID_ENTRY && l.e[3].index == (p & 1023));
	ck_assert_uint_eq(l.e[3].addr, cd_addr(RID_A, p));
	ck_assert_uint_eq(l.e[3].value, cd(RID_A, p, 0));
	ck_assert(l.ctx.type == IOMMU_CTX_S1 && l.ctx.did == 9 && l.ctx.s1_root == s1.root);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(l.e[i].ref, i + 1);
}
END_TEST

/* Frames of every context table hw.c holds for the backend (freed at
 * teardown, hw_destroy). */
static uint64_t owned_frames(void)
{
	GHashTableIter it;
	gpointer k, v;
	uint64_t n = 0;

	g_hash_table_iter_init(&it, hwp()->tables);
	while (g_hash_table_iter_next(&it, &k, &v))
		n += GPOINTER_TO_UINT(v);
	return n;
}

START_TEST(test_destroy_frees_everything)
{
	struct io_pgtable n2;
	struct iommu_context c1 = ctx_s1(1, &s1), nc;
	uint64_t k0 = kframes();

	nest_tables(&n2);
	nc = (struct iommu_context){ .type = IOMMU_CTX_NESTED, .did = 2, .s1_root = s1.root,
				     .s1_levels = 4, .s2_root = n2.root, .s2_levels = 3 };
	dev(RID_A, 20, false);
	dev(RID_B, 8, false);
	dev(RID_C, 0, false);
	ck_assert_int_eq(prog(RID_A, 0x9999, &c1, NULL), 0);
	ck_assert_int_eq(prog(RID_A, 0x3, &c1, NULL), 0);
	ck_assert_int_eq(prog(RID_B, 4, &nc, NULL), 0);
	ck_assert_int_eq(prog(RID_C, 0, &c1, NULL), 0);
	ck_assert_int_eq(iommu_hw_set_device(w, 2, RID_A, &(struct iommu_dev_ctx){ 0 }), 0);
	ck_assert_uint_gt(kframes(), k0);
	/* teardown frees every table hw.c recorded as the backend's: they
	 * are exactly the kernel frames programming took */
	ck_assert_uint_eq(owned_frames(), kframes() - k0);
	io_pgtable_destroy(&n2);
}
END_TEST

START_TEST(test_destroy_linear)
{
	struct iommu_context c1 = ctx_s1(1, &s1);
	uint64_t k0 = kframes();

	dev(RID_C, 4, false);
	ck_assert_int_eq(prog(RID_C, 3, &c1, NULL), 0);
	dev(0xffff, 0, false);
	ck_assert_int_eq(prog(0xffff, 0, &c1, NULL), 0);
	ck_assert_uint_eq(kframes() - k0, 1024 + 1 + 1);
	/* teardown frees every table hw.c recorded as the backend's: they
	 * are exactly the kernel frames programming took */
	ck_assert_uint_eq(owned_frames(), kframes() - k0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctx_smmuv3");
	TCase *tc = tcase_create("two-level");
	TCase *tl = tcase_create("linear");
	TCase *tv = tcase_create("cached");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_strtab_2lvl_and_ste_kinds);
	tcase_add_test(tc, test_s1_linear_cd_and_s1dss);
	tcase_add_test(tc, test_s1_without_pasids);
	tcase_add_test(tc, test_cd_2lvl);
	tcase_add_test(tc, test_cd_format_boundary);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_guest_ste);
	tcase_add_test(tc, test_admit);
	tcase_add_test(tc, test_corrupt_entries);
	tcase_add_test(tc, test_cd_l1_invalid);
	tcase_add_test(tc, test_enomem_writes_nothing);
	tcase_add_test(tc, test_ats_eats);
	tcase_add_test(tc, test_walk_events);
	tcase_add_test(tc, test_destroy_frees_everything);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tl, setup_linear, teardown);
	tcase_add_checked_fixture(tv, setup_cached, teardown);
	tcase_add_test(tv, test_vm_flush);
	tcase_set_timeout(tl, 60);
	tcase_add_test(tl, test_strtab_linear);
	tcase_add_test(tl, test_destroy_linear);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, tv);
	return unit_run(s);
}
