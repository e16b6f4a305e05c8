/* SPDX-License-Identifier: MIT */
/*
 * Intel VT-d's device-context structures in scalable mode (hw_ctx.h), with
 * the layouts of the VT-d specification as Linux's intel driver writes
 * them (drivers/iommu/intel/iommu.h, pasid.h, pasid.c):
 *
 *   root table      per segment, 256 entries of 16 bytes, one per bus: lo
 *                   bit 0 LP and bits 12..63 the lower context table
 *                   (devfn 0x00..0x7f), hi the same for the upper one
 *                   (devfn 0x80..0xff)
 *   context entry   scalable mode, 32 bytes, 128 per 4 KiB table: lo bit 0
 *                   P, bit 1 FPD, bit 2 DTE (device TLB), bit 3 PASIDE,
 *                   bit 4 PRE, bits 9..11 PDTS (a directory of 2^(PDTS+7)
 *                   entries), bits 12..63 the PASID directory; hi bits
 *                   0..19 RID_PASID (the entry untagged requests take)
 *   PASID dir entry 8 bytes, one per 64 PASIDs: bit 0 P, bit 1 FPD, bits
 *                   12..63 a PASID table (64 entries of 64 bytes)
 *   PASID entry     64 bytes: val[0] bit 0 P, bit 1 FPD, bits 2..4 AW
 *                   (second-stage AGAW: 1, 2, 3 = 3, 4, 5 levels), bits
 *                   6..8 PGTT (1 first stage, 2 second stage, 3 nested, 4
 *                   pass-through), bit 9 SSADE (second-stage accessed/dirty
 *                   enable: pasid_set_ssade, reserved without ECAP.SLADS),
 *                   bits 12..63 SSPTPTR; val[1] bits 0..15
 *                   DID; val[2] bits 2..3 FLPM (0 4-level, 1 5-level),
 *                   bits 12..63 FSPTPTR (a GPA when nested)
 *
 * Linux tears a blocked PASID down (intel_pasid_tear_down_entry: the
 * entry cleared), so blocking writes the entry not present.
 */
#include <errno.h>
#include <string.h>

#include "model/iommu/hw_ctx.h"
#include "model/iommu/hw_internal.h"
#include "sim/mem.h"

#define VTD_P            0x1ull
#define VTD_ADDR         (~0xfffull)
#define VTD_ROOT_SIZE    16u
#define VTD_CTX_SIZE     32u
#define VTD_CTX_DTE      (1ull << 2)
#define VTD_CTX_PASIDE   (1ull << 3)
#define VTD_CTX_PDTS(x)  ((uint64_t)(x) << 9)
#define VTD_CTX_PDTS_OF(lo) ((unsigned)((lo) >> 9) & 7)
#define VTD_CTX_RSVD     (0x1e0ull)      /* lo bits 5..8 */
#define VTD_RID_PASID    0xfffffull
#define VTD_PDE_SIZE     8u
#define VTD_PE_SIZE      64u
#define VTD_PE_AW(x)     ((uint64_t)(x) << 2)
#define VTD_PE_AW_OF(v)  ((unsigned)((v) >> 2) & 7)
#define VTD_PE_PGTT(x)   ((uint64_t)(x) << 6)
#define VTD_PE_PGTT_OF(v) ((unsigned)((v) >> 6) & 7)
#define VTD_PE_SSADE     (1ull << 9)
#define VTD_PE_FLPM(x)   ((uint64_t)(x) << 2)
#define VTD_PE_FLPM_OF(v) ((unsigned)((v) >> 2) & 3)
#define VTD_PGTT_FL      1u              /* PASID_ENTRY_PGTT_FL_ONLY */
#define VTD_PGTT_SL      2u              /* PASID_ENTRY_PGTT_SL_ONLY */
#define VTD_PGTT_NESTED  3u
#define VTD_PGTT_PT      4u
#define VTD_PT_AW        2u              /* pass-through: the IOMMU's 48-bit AGAW */

/* ---- driver half ------------------------------------------------------------------------ */

/* PDTS for a device of @bits PASIDs: the directory covers 2^(PDTS+13). */
static unsigned vtd_pdts(unsigned bits)
{
	return bits > 13 ? bits - 13 : 0;
}

/* Frames of a directory with PDTS @pdts (entries 2^(pdts+7), 8 bytes). */
static unsigned vtd_pdir_frames(unsigned pdts)
{
	unsigned bytes = (1u << (pdts + 7)) * VTD_PDE_SIZE;

	return bytes > SIM_PAGE_SIZE ? bytes / SIM_PAGE_SIZE : 1;
}

/* The root entry half (lo or hi) that holds @rid's context table. */
static uint64_t vtd_root_slot(uint64_t root, uint16_t rid)
{
	return root + (rid >> 8) * VTD_ROOT_SIZE + ((rid & 0x80) ? 8 : 0);
}

static uint64_t vtd_ctx_at(uint64_t ctxt, uint16_t rid)
{
	return ctxt + (rid & 0x7f) * VTD_CTX_SIZE;
}

/* The context entry's address, allocating root and context tables when
 * @alloc: 0 when none (or -ENOMEM in *err). */
static uint64_t vtd_ctx_entry(struct iommu_hw *hw, uint16_t seg, uint16_t rid, bool alloc,
			      int *err)
{
	uint64_t root = hw_seg_root(hw, seg), slot, re, ctxt;

	*err = 0;
	if (!root) {
		if (!alloc || (*err = hw_table_alloc(hw, 1, &root)))
			return 0;
		hw_seg_root_set(hw, seg, root);
	}
	slot = vtd_root_slot(root, rid);
	re = sim_mem_read64(hw->w, slot);
	if (!(re & VTD_P)) {
		if (!alloc || (*err = hw_table_alloc(hw, 1, &ctxt)))
			return 0;
		sim_mem_write64(hw->w, slot, ctxt | VTD_P);
		re = ctxt | VTD_P;
	}
	return vtd_ctx_at(re & VTD_ADDR, rid);
}

/* Write @n quadwords of an entry at @a: not present first, the first
 * quadword (with P) last; nothing when memory already holds them.
 * Returns whether anything changed. */
static bool vtd_write_entry(struct iommu_hw *hw, uint64_t a, const uint64_t *q, unsigned n)
{
	bool same = true;

	for (unsigned i = 0; i < n && same; i++)
		same = sim_mem_read64(hw->w, a + 8ull * i) == q[i];
	if (same)
		return false;
	sim_mem_write64(hw->w, a, 0);
	for (unsigned i = 1; i < n; i++)
		sim_mem_write64(hw->w, a + 8ull * i, q[i]);
	sim_mem_write64(hw->w, a, q[0]);
	return true;
}

/* The 8 quadwords of a PASID entry for @c (NULL or BLOCKED: cleared). */
static void vtd_pe_encode(const struct iommu_context *c, uint64_t q[8])
{
	memset(q, 0, 8 * sizeof(q[0]));
	if (!c || c->type == IOMMU_CTX_BLOCKED)
		return;
	q[1] = c->did;
	switch (c->type) {
	case IOMMU_CTX_S1:
		q[0] = VTD_P | VTD_PE_PGTT(VTD_PGTT_FL);
		q[2] = c->s1_root | VTD_PE_FLPM(c->s1_levels - 4);
		break;
	case IOMMU_CTX_TRANSLATE:
		q[0] = VTD_P | VTD_PE_PGTT(VTD_PGTT_SL) | VTD_PE_AW(c->s2_levels - 2) | c->s2_root;
		break;
	case IOMMU_CTX_NESTED:
		q[0] = VTD_P | VTD_PE_PGTT(VTD_PGTT_NESTED) | VTD_PE_AW(c->s2_levels - 2) |
		       c->s2_root;
		q[2] = c->s1_root | VTD_PE_FLPM(c->s1_levels - 4);
		break;
	case IOMMU_CTX_PASSTHROUGH:
		q[0] = VTD_P | VTD_PE_PGTT(VTD_PGTT_PT) | VTD_PE_AW(VTD_PT_AW);
		break;
	case IOMMU_CTX_BLOCKED:
		break;
	}
	/* intel_pasid_setup_second_level / _nested, and
	 * intel_pasid_setup_dirty_tracking later: SSADE */
	if (c->dirty & IOMMU_CTX_DIRTY_S2)
		q[0] |= VTD_PE_SSADE;
}

/* Free the PASID tables under a directory and the directory. */
static void vtd_pdir_free(struct iommu_hw *hw, uint64_t pdir, unsigned pdts)
{
	for (unsigned i = 0; i < 1u << (pdts + 7); i++) {
		uint64_t de = sim_mem_read64(hw->w, pdir + (uint64_t)i * VTD_PDE_SIZE);

		if (de & VTD_P)
			hw_table_free(hw, de & VTD_ADDR, 1);
	}
	hw_table_free(hw, pdir, vtd_pdir_frames(pdts));
}

/* The device's context entry for @v: a directory sized for its PASIDs
 * (a new one when the size changed: the generic code saw it empty). */
static int vtd_write_dev(struct iommu_hw *hw, const struct hw_dev_view *v, uint64_t ce,
			 unsigned *wrote)
{
	uint64_t lo = sim_mem_read64(hw->w, ce), hi = sim_mem_read64(hw->w, ce + 8), q[2];
	unsigned pdts = vtd_pdts(v->pasid_bits);
	uint64_t pdir = lo & VTD_ADDR;
	int ret;

	if ((lo & VTD_P) && VTD_CTX_PDTS_OF(lo) != pdts) {
		sim_mem_write64(hw->w, ce, 0);
		vtd_pdir_free(hw, pdir, VTD_CTX_PDTS_OF(lo));
		*wrote |= HW_WROTE_DEVICE;
		lo = 0;
	}
	if (!(lo & VTD_P)) {
		ret = hw_table_alloc(hw, vtd_pdir_frames(pdts), &pdir);
		if (ret)
			return ret;
	}
	q[0] = pdir | VTD_P | VTD_CTX_PDTS(pdts) | (v->ats ? VTD_CTX_DTE : 0) |
	       (v->pasid_bits ? VTD_CTX_PASIDE : 0);
	q[1] = hi & ~VTD_RID_PASID;          /* RID_PASID: IOMMU_NO_PASID */
	if (vtd_write_entry(hw, ce, q, 2))
		*wrote |= HW_WROTE_DEVICE;
	return 0;
}

static int vtd_write(struct iommu_hw *hw, const struct hw_dev_view *v, uint32_t pasid,
		     unsigned *wrote)
{
	uint64_t ce, lo, de, dv, tbl, q[8];
	int err, ret;

	ce = vtd_ctx_entry(hw, v->seg, v->rid, true, &err);
	if (!ce)
		return err;
	ret = vtd_write_dev(hw, v, ce, wrote);
	if (ret || pasid == HW_PASID_DEVICE)
		return ret;
	lo = sim_mem_read64(hw->w, ce);
	de = (lo & VTD_ADDR) + (uint64_t)(pasid >> 6) * VTD_PDE_SIZE;
	dv = sim_mem_read64(hw->w, de);
	vtd_pe_encode(hw_view_ctx(v, pasid), q);
	if (!(dv & VTD_P)) {
		if (!(q[0] & VTD_P))
			return 0;            /* clearing an entry never written */
		ret = hw_table_alloc(hw, 1, &tbl);
		if (ret)
			return ret;
		sim_mem_write64(hw->w, de, tbl | VTD_P);
		dv = tbl | VTD_P;
		*wrote |= HW_WROTE_PASID;
	}
	if (vtd_write_entry(hw, (dv & VTD_ADDR) + (uint64_t)(pasid & 63) * VTD_PE_SIZE, q, 8))
		*wrote |= HW_WROTE_PASID;
	return 0;
}

/* Everything VT-d lets a PASID entry hold: each PASID its own tables;
 * dirty tracking only of a second stage (SSADE: there is no first-stage
 * enable, the first-stage A/D bits are the x86 PTEs'). */
static int vtd_admit(struct iommu_hw *hw, const struct hw_dev_view *v, uint32_t pasid,
		     const struct iommu_context *c)
{
	(void)hw; (void)v; (void)pasid;
	return c && (c->dirty & IOMMU_CTX_DIRTY_S1) ? -EINVAL : 0;
}

static void vtd_clear_device(struct iommu_hw *hw, const struct hw_dev_view *v, unsigned *wrote)
{
	int err;
	uint64_t ce = vtd_ctx_entry(hw, v->seg, v->rid, false, &err), lo;

	if (!ce)
		return;
	lo = sim_mem_read64(hw->w, ce);
	if (!(lo & VTD_P))
		return;
	sim_mem_write64(hw->w, ce, 0);           /* not present first */
	sim_mem_write64(hw->w, ce + 8, 0);
	vtd_pdir_free(hw, lo & VTD_ADDR, VTD_CTX_PDTS_OF(lo));
	*wrote |= HW_WROTE_DEVICE;
}

/* ---- hardware half ---------------------------------------------------------------------- */

static bool vtd_fetch_dev(struct iommu_hw *hw, uint16_t seg, uint16_t rid, struct hw_devctx *dc,
			  unsigned *refs, enum hw_ctx_fail *why)
{
	uint64_t root = hw_seg_root(hw, seg), a, re, lo, hi;
	unsigned pdts;

	if (!root)
		return hw_ctx_fail_with(why, HW_CTX_NO_ROOT);
	a = vtd_root_slot(root, rid);
	re = sim_mem_read64(hw->w, a);
	(*refs)++;
	hw_ctx_emit(hw, IOMMU_EV_ROOT, 1, rid >> 8, a, re, NULL);
	if (!(re & VTD_P))
		return hw_ctx_fail_with(why, HW_CTX_NO_ROOT);
	a = vtd_ctx_at(re & VTD_ADDR, rid);
	lo = sim_mem_read64(hw->w, a);
	hi = sim_mem_read64(hw->w, a + 8);
	(*refs)++;
	hw_ctx_emit(hw, IOMMU_EV_CONTEXT, 0, rid & 0xff, a, lo, NULL);
	if (!(lo & VTD_P))
		return hw_ctx_fail_with(why, HW_CTX_NO_CONTEXT);
	pdts = VTD_CTX_PDTS_OF(lo);
	if ((lo & VTD_CTX_RSVD) || (hi & VTD_RID_PASID) >> (pdts + 13))
		return hw_ctx_fail_with(why, HW_CTX_BAD_CONTEXT);
	dc->ats = (lo & VTD_CTX_DTE) != 0;
	dc->pasid_ok = (lo & VTD_CTX_PASIDE) != 0;
	dc->pasid_limit_bits = pdts + 13 < IOMMU_HW_MAX_PASID_BITS ? pdts + 13
								    : IOMMU_HW_MAX_PASID_BITS;
	dc->rid_pasid = (uint32_t)(hi & VTD_RID_PASID);
	dc->table = lo & VTD_ADDR;
	dc->table_fmt = pdts;
	return true;
}

/* Decode the first three quadwords of a present PASID entry. */
static bool vtd_pe_decode(const struct iommu_hw *hw, const struct hw_devctx *dc,
			  const uint64_t *q, struct iommu_context *c)
{
	unsigned pgtt = VTD_PE_PGTT_OF(q[0]);

	(void)dc;                /* each PASID entry holds both its stages */
	bool s1 = pgtt == VTD_PGTT_FL || pgtt == VTD_PGTT_NESTED;
	bool s2 = pgtt == VTD_PGTT_SL || pgtt == VTD_PGTT_NESTED;

	memset(c, 0, sizeof(*c));
	switch (pgtt) {
	case VTD_PGTT_FL: c->type = IOMMU_CTX_S1; break;
	case VTD_PGTT_SL: c->type = IOMMU_CTX_TRANSLATE; break;
	case VTD_PGTT_NESTED: c->type = IOMMU_CTX_NESTED; break;
	case VTD_PGTT_PT: c->type = IOMMU_CTX_PASSTHROUGH; break;
	default: return false;
	}
	c->did = (uint16_t)q[1];
	if (s1) {
		c->s1_root = q[2] & VTD_ADDR;
		c->s1_levels = VTD_PE_FLPM_OF(q[2]) + 4;
		if (!hw_fmt_ok(hw, 1, c->s1_levels))
			return false;
	}
	if (s2) {
		c->s2_root = q[0] & VTD_ADDR;
		c->s2_levels = VTD_PE_AW_OF(q[0]) + 2;
		if (!c->s2_root || !hw_fmt_ok(hw, 2, c->s2_levels))
			return false;
	}
	if (pgtt == VTD_PGTT_PT)
		c->did = 0;
	if (q[0] & VTD_PE_SSADE) {
		if (hw->cfg.no_dirty_tracking)
			return false;        /* reserved without ECAP.SLADS */
		if (s2)
			c->dirty = IOMMU_CTX_DIRTY_S2;
	}
	return true;
}

static bool vtd_fetch_pasid(struct iommu_hw *hw, const struct hw_devctx *dc, uint32_t pasid,
			    struct iommu_context *c, unsigned *refs, enum hw_ctx_fail *why)
{
	uint64_t a = dc->table + (uint64_t)(pasid >> 6) * VTD_PDE_SIZE, de;

	de = sim_mem_read64(hw->w, a);
	(*refs)++;
	hw_ctx_emit(hw, IOMMU_EV_PASID_DIR, 1, pasid >> 6, a, de, NULL);
	if (!(de & VTD_P))
		return hw_ctx_fail_with(why, HW_CTX_NO_PDIR);
	a = (de & VTD_ADDR) + (uint64_t)(pasid & 63) * VTD_PE_SIZE;
	return hw_pasid_leaf(hw, dc, a, 3, VTD_P, pasid & 63, vtd_pe_decode, c, refs, why);
}

const struct hw_ctx_ops hw_ctx_vtd_ops = {
	.name = "vtd",
	.dev_entry = "context entry",
	.pasid_entry = "PASID entry",
	.admit = vtd_admit,
	.write = vtd_write,
	.clear_device = vtd_clear_device,
	.fetch_dev = vtd_fetch_dev,
	.fetch_pasid = vtd_fetch_pasid,
};
