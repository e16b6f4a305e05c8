/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU hardware model, part four (hw.h): the fault codes each kind
 * puts in its fault records, and the fault queue drained through the
 * public API (sim_iommu_fault_drain).
 *
 * A record's reason, stage and phase are the model's own, the same on every
 * kind; the code is what the kind's hardware would write.  VT-d's codes are
 * the Fault Reason encodings of the VT-d specification (hw.h lists the ones
 * the model produces).  Legacy mode's for what legacy mode can translate:
 *
 *   no root entry (or no root table)               0x01
 *   no context entry; the RID's translation entry
 *   (PASID entry 0) missing; a blocked entry       0x02
 *   a malformed context or translation entry       0x03
 *   the input above the address width              0x04
 *   a write, and an entry on the walk without W    0x05
 *   a read, and an entry on the walk without R     0x06
 *
 * A second-stage entry is present when R or W is set; the walk checks the
 * access against every entry it reads, so an absent leaf and an absent
 * table at a higher level are both 0x05 or 0x06 (QEMU's model of VT-d,
 * vtd_iova_to_slpte, agrees).  Scalable mode's codes for PASID-tagged
 * requests and for first-stage and nested entries, which legacy mode
 * lacks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/iommu/hw_internal.h"
#include "iommusim/iommusim.h"

/* A request legacy mode could translate: untagged, failing before an entry
 * was chosen or through a second-stage-only one. */
static bool vtd_legacy(const struct iommu_fault_rec *f, const struct iommu_context *c)
{
	return !f->pasid_valid && (!c || c->type == IOMMU_CTX_TRANSLATE);
}

static uint16_t vtd_ctx_code(const struct iommu_fault_rec *f, enum hw_ctx_fail why)
{
	bool legacy = !f->pasid_valid;

	switch (why) {
	case HW_CTX_NO_ROOT:
		return legacy ? IOMMU_VTD_FR_ROOT_NOT_PRESENT : IOMMU_VTD_FR_SM_ROOT_NOT_PRESENT;
	case HW_CTX_NO_CONTEXT:
		return legacy ? IOMMU_VTD_FR_CTX_NOT_PRESENT : IOMMU_VTD_FR_SM_CTX_NOT_PRESENT;
	case HW_CTX_BAD_CONTEXT:
		return legacy ? IOMMU_VTD_FR_CTX_INVALID : IOMMU_VTD_FR_SM_CTX_INVALID;
	case HW_CTX_PASID_WIDTH:
		return IOMMU_VTD_FR_SM_PASID_TOO_LARGE;
	case HW_CTX_NO_PDIR:
		/* PASID entry 0 holds an untagged request's translation: in
		 * legacy mode that is the context entry itself */
		return legacy ? IOMMU_VTD_FR_CTX_NOT_PRESENT : IOMMU_VTD_FR_SM_PDIR_NOT_PRESENT;
	case HW_CTX_NO_PASID:
	case HW_CTX_BLOCKED:
		/* Linux blocks a RID by clearing its context entry (legacy
		 * mode), a PASID by clearing its PASID entry */
		return legacy ? IOMMU_VTD_FR_CTX_NOT_PRESENT : IOMMU_VTD_FR_SM_PASID_NOT_PRESENT;
	case HW_CTX_BAD_PASID:
	case HW_CTX_TABLE_S2:            /* SMMUv3's alone */
		return legacy ? IOMMU_VTD_FR_CTX_INVALID : IOMMU_VTD_FR_SM_PASID_INVALID;
	case HW_CTX_OK:
		break;
	}
	return 0;
}

/* Stage 1 or 2 of a scalable-mode translation. */
static uint16_t vtd_sm_stage_code(const struct iommu_fault_rec *f, const struct iommu_context *c)
{
	bool nested = c->type == IOMMU_CTX_NESTED;

	if (f->phase == IOMMU_PHASE_S1_FETCH) {
		/* stage 2 refused the read of a first-stage table */
		if (f->reason == IOMMU_FAULT_ADDR_SIZE)
			return IOMMU_VTD_FR_SM_FS_ADDR_BEYOND;
		return (f->stage_addr & ~0xfffull) == (c->s1_root & ~0xfffull) ?
		       IOMMU_VTD_FR_SM_FS_ROOT_NO_READ : IOMMU_VTD_FR_SM_FS_TABLE_NO_READ;
	}
	if (f->stage == 1) {
		if (f->reason == IOMMU_FAULT_NOT_PRESENT)
			return IOMMU_VTD_FR_SM_FS_NOT_PRESENT;
		if (f->reason == IOMMU_FAULT_ADDR_SIZE)
			return IOMMU_VTD_FR_SM_NOT_CANONICAL;
	} else if (f->reason == IOMMU_FAULT_ADDR_SIZE) {
		return nested ? IOMMU_VTD_FR_SM_FS_ADDR_BEYOND : IOMMU_VTD_FR_SM_ADDR_BEYOND;
	}
	/* a missing second-stage entry is one without R and W */
	return f->write ? IOMMU_VTD_FR_SM_WRITE : IOMMU_VTD_FR_SM_READ;
}

static uint16_t vtd_code(const struct iommu_fault_rec *f, const struct iommu_context *c,
			 enum hw_ctx_fail why)
{
	if (why != HW_CTX_OK)
		return vtd_ctx_code(f, why);
	if (!c)
		return 0;
	if (!vtd_legacy(f, c))
		return vtd_sm_stage_code(f, c);
	if (f->reason == IOMMU_FAULT_ADDR_SIZE)
		return IOMMU_VTD_FR_ADDR_BEYOND_AW;
	return f->write ? IOMMU_VTD_FR_WRITE : IOMMU_VTD_FR_READ;
}

uint16_t hw_fault_code(const struct iommu_hw *hw, const struct iommu_fault_rec *f,
		       const struct iommu_context *c, enum hw_ctx_fail why)
{
	if (f->reason == IOMMU_FAULT_NONE)
		return 0;
	switch (hw->cfg.kind) {
	case IOMMU_HW_VTD:
		return vtd_code(f, c, why);
	case IOMMU_HW_SMMUV3:
	case IOMMU_HW_RISCV:
		break;
	}
	return 0;
}

/* ---- the public drain ------------------------------------------------------------------ */

/* One record as a line (sim_iommu_fault_drain's format) into @out. */
static int fault_line(enum iommu_hw_kind kind, const struct iommu_fault_rec *f, char *out,
		      size_t n)
{
	char seg[8] = "", pasid[24] = "", reason[24];
	uint64_t addr = f->addr;

	if (f->segment)
		snprintf(seg, sizeof(seg), "%04x:", f->segment);
	if (f->pasid_valid)
		snprintf(pasid, sizeof(pasid), " pasid=0x%x", f->pasid);
	if (kind == IOMMU_HW_VTD) {
		/* VT-d's fault records hold the page address */
		addr &= ~0xfffull;
		snprintf(reason, sizeof(reason), "0x%02x", f->code);
	} else {
		snprintf(reason, sizeof(reason), "%s", iommu_fault_reason_name(f->reason));
	}
	return snprintf(out, n, "%s %s%02x:%02x.%u 0x%llx%s reason=%s\n",
			f->write ? "write" : "read", seg, f->rid >> 8, (f->rid >> 3) & 0x1f,
			f->rid & 7, (unsigned long long)addr, pasid, reason);
}

/* Public API (<iommusim/iommusim.h>). */
long sim_iommu_fault_drain(struct sim_world *w, char *buf, size_t n)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	size_t len = 0, count;
	char line[128];

	if (!hw || !buf)
		return -EINVAL;
	if (!n)
		return -ENOSPC;     /* not even the NUL fits */
	buf[0] = 0;
	count = iommu_hw_fault_count(w);
	for (size_t i = 0; i < count; i++) {
		int l = fault_line(hw->cfg.kind, iommu_hw_fault_at(w, i), line, sizeof(line));

		if (len + (size_t)l + 1 > n) {
			buf[0] = 0;
			return -ENOSPC;    /* nothing consumed */
		}
		memcpy(buf + len, line, (size_t)l + 1);
		len += (size_t)l;
	}
	iommu_hw_fault_clear(w);
	return (long)len;
}
