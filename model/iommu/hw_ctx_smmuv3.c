/* SPDX-License-Identifier: MIT */
/*
 * Arm SMMUv3's device-context structures (hw_ctx.h), laid out as the
 * SMMUv3 architecture specification defines them and as Linux's driver
 * writes them (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h and
 * arm-smmu-v3.c; the VTCR/TCR values of io-pgtable-arm.c):
 *
 *   stream table    one per PCI segment, indexed by the StreamID (here the
 *                   16-bit requester id; SMMU_IDR1.SIDSIZE = 16).  Two
 *                   levels by default (STRTAB_SPLIT = 8: 256 level-1
 *                   descriptors of 8 bytes, Span bits 0..4 and L2Ptr bits
 *                   6..51, each pointing at 256 STEs = 16 KiB, one per PCI
 *                   bus), or linear with cfg.smmu_linear_strtab: 65536 STEs
 *                   of 64 bytes = 4 MiB, 1024 contiguous frames allocated
 *                   when the segment's first device is programmed (frames
 *                   hold storage only once written, but all 1024 count
 *                   against a memory budget)
 *   STE             64 bytes: word 0 V, Config (abort, bypass, S1, S2,
 *                   nested), S1Fmt, S1ContextPtr, S1CDMax; word 1 S1DSS,
 *                   the CD fetch attributes, MEV, EATS, STRW; word 2 S2VMID,
 *                   VTCR (S2T0SZ, S2SL0, S2IR0, S2OR0, S2SH0, S2TG, S2PS),
 *                   S2AA64, S2PTW, S2R; word 3 S2TTB
 *   CD table        linear when the device's 2^pasid_bits SSIDs fit in
 *                   CTXDESC_L2_ENTRIES (1024), else two levels: level-1
 *                   descriptors of 8 bytes (V bit 0, L2Ptr bits 12..51),
 *                   each a 64 KiB leaf table of 1024 CDs (S1Fmt 64K_L2,
 *                   arm_smmu_alloc_cd_tables)
 *   CD              64 bytes: word 0 T0SZ, TG0, IRGN0, ORGN0, SH0, EPD0,
 *                   EPD1, V (bit 31), IPS, AA64, HD (42) and HA (43): hardware
 *                   dirty-state and access-flag updates, written by
 *                   arm_smmu_make_s1_cd for a dirty-tracking domain
 *                   (IO_PGTABLE_QUIRK_ARM_HD), R, A, ASET, ASID; word 1
 *                   TTB0; word 3 MAIR0
 *
 * What the kernel asked for at a device becomes (arm_smmu_attach_dev,
 * arm_smmu_set_pasid, arm_smmu_attach_dev_ste):
 *   RID only        blocked / none: abort STE; identity: bypass STE; a
 *                   stage-2 domain: S2 STE (VMID = did); a stage-1 domain:
 *                   S1 STE, CD 0 (ASID = did), S1DSS = SSID0; nested: a
 *                   nested STE (the parent's stage 2, VMID = s2_did) whose
 *                   CD 0 holds the guest's table (a GPA), ASID = did
 *   PASIDs          the STE keeps a CD table (S1CDMax = pasid_bits), CD[p]
 *                   per PASID; untagged DMA by S1DSS: SSID0 (the RID's CD
 *                   0), BYPASS (identity under an S1 STE; the parent's
 *                   stage 2 alone under a nested STE), TERMINATE
 *                   (blocked); a blocked PASID is a cleared CD
 *                   (arm_smmu_blocking_set_dev_pasid -> arm_smmu_clear_cd)
 *
 * Nesting comes in two forms:
 *   a guest's STE   what Linux does (arm_smmu_make_nested_domain_ste):
 *                   the vIOMMU's nested domain carries the guest's STE
 *                   words (iommu_context.vste); the physical STE is the
 *                   parent's stage-2 STE with Config nested, the guest's
 *                   S1ContextPtr (an IPA), S1Fmt, S1CDMax, S1DSS and CD
 *                   fetch attributes merged in, and MEV.  The guest owns
 *                   the CD table: the hardware reads its level-1
 *                   descriptors and CDs through the stage 2 (a refused
 *                   read stops the request: HW_CTX_TABLE_S2), and tags a
 *                   CD's TLB entries with the VMID and the CD's ASID
 *                   (IOMMU_GUEST_TAG).  Only the RID takes it.
 *   a host CD table the kernel-internal nesting of the rest of the model
 *                   (a nested context per PASID), which Linux's SMMUv3
 *                   driver does not have: the host driver owns the CD
 *                   table and S1ContextPtr is its HPA; only each CD's TTB0
 *                   is a GPA.  The STE says so with STE_0_SIM_HOSTCD, a bit
 *                   the architecture leaves RES0 (a known simplification:
 *                   real hardware always reads a nested STE's CD table
 *                   through stage 2).
 *
 * A StreamID no device was programmed into has a zero (V = 0) STE, and
 * iommu_hw_clear_device leaves one: Linux fills new level-2 tables with
 * abort STEs (arm_smmu_init_initial_stes) and puts a released device back
 * on one; here "no device entry" stays apart from "a device the kernel
 * blocked".  Both terminate every transaction.
 */
#include <errno.h>
#include <string.h>

#include "model/iommu/hw_ctx.h"
#include "model/iommu/hw_internal.h"
#include "sim/mem.h"

#define BIT64(n)           (1ull << (n))
#define GENMASK64(h, l)    (((~0ull) >> (63 - (h))) & ~(BIT64(l) - 1))
/* FIELD_PREP / FIELD_GET for a constant mask */
#define FPREP(mask, v)     (((uint64_t)(v) << __builtin_ctzll(mask)) & (mask))
#define FGET(mask, r)      ((unsigned)(((r) & (mask)) >> __builtin_ctzll(mask)))

/* ---- the stream table (arm-smmu-v3.h) ------------------------------------------------- */

#define SMMU_SID_BITS            16u             /* SMMU_IDR1.SIDSIZE */
#define STRTAB_SPLIT             8u
#define STRTAB_L1_DESC_SPAN      GENMASK64(4, 0)
#define STRTAB_L1_DESC_L2PTR     GENMASK64(51, 6)
#define STRTAB_L1_ENTRIES        (1u << (SMMU_SID_BITS - STRTAB_SPLIT))
#define STRTAB_NUM_L2_STES       (1u << STRTAB_SPLIT)
#define STE_SIZE                 64u
#define STE_QWORDS               8u
#define STRTAB_L2_FRAMES         (STRTAB_NUM_L2_STES * STE_SIZE / SIM_PAGE_SIZE)
#define STRTAB_LINEAR_FRAMES     ((1u << SMMU_SID_BITS) * STE_SIZE / SIM_PAGE_SIZE)

#define STE_0_V                  BIT64(0)
#define STE_0_CFG                GENMASK64(3, 1)
#define STE_CFG_ABORT            0u
#define STE_CFG_BYPASS           4u
#define STE_CFG_S1_TRANS         5u
#define STE_CFG_S2_TRANS         6u
#define STE_CFG_NESTED           7u
#define STE_0_S1FMT              GENMASK64(5, 4)
#define S1FMT_LINEAR             0u
#define S1FMT_4K_L2              1u              /* the spec's; Linux never uses it */
#define S1FMT_64K_L2             2u
#define STE_0_S1CTXPTR           GENMASK64(51, 6)
#define STE_0_S1CDMAX            GENMASK64(63, 59)
/* The simulator's own, in bits 58:52 the architecture leaves RES0: a
 * nested STE whose CD table is the host driver's, at an HPA (the
 * kernel-internal nesting of the header's "known simplification").  A
 * guest cannot set it: arm_smmu_validate_vste refuses every bit outside
 * STRTAB_STE_0_NESTING_ALLOWED (EIO). */
#define STE_0_SIM_HOSTCD         BIT64(55)
#define STE_1_S1DSS              GENMASK64(1, 0)
#define S1DSS_TERMINATE          0u
#define S1DSS_BYPASS             1u
#define S1DSS_SSID0              2u
#define STE_1_S1CIR              GENMASK64(3, 2)
#define STE_1_S1COR              GENMASK64(5, 4)
#define STE_1_S1CSH              GENMASK64(7, 6)
#define STE_1_S1STALLD           BIT64(27)
#define S1C_CACHE_WBRA           1u              /* STRTAB_STE_1_S1C_CACHE_WBRA */
#define SMMU_SH_ISH              3u              /* ARM_SMMU_SH_ISH */
#define STE_1_MEV                BIT64(19)
#define STE_1_EATS               GENMASK64(29, 28)
#define EATS_TRANS               1u
#define EATS_S1CHK               2u
#define STE_2_S2VMID             GENMASK64(15, 0)
#define STE_2_VTCR               GENMASK64(50, 32)
#define VTCR_S2T0SZ              GENMASK64(5, 0)
#define VTCR_S2SL0               GENMASK64(7, 6)
#define VTCR_S2IR0               GENMASK64(9, 8)
#define VTCR_S2OR0               GENMASK64(11, 10)
#define VTCR_S2SH0               GENMASK64(13, 12)
#define VTCR_S2TG                GENMASK64(15, 14)
#define VTCR_S2PS                GENMASK64(18, 16)
#define STE_2_S2AA64             BIT64(51)
#define STE_2_S2PTW              BIT64(54)
#define STE_2_S2R                BIT64(58)
#define STE_3_S2TTB              GENMASK64(51, 4)

/* io-pgtable-arm.c: what arm_64_lpae_alloc_pgtable_s1/_s2 put in TCR/VTCR
 * for a coherent walk with the 4 KiB granule and a 48-bit output */
#define LPAE_TCR_RGN_WBWA        1u
#define LPAE_TCR_SH_IS           3u
#define LPAE_TCR_TG0_4K          0u
#define LPAE_TCR_PS_48_BIT       5u
#define LPAE_TCR_PS_RESERVED     7u
/* MAIR: NC (0x44) at index 0, WBRWA (0xff) at 1, DEVICE (0x04) at 2,
 * INC_OWBRWA (0xf4) at 3 (ARM_LPAE_MAIR_ATTR_*) */
#define LPAE_MAIR                0xf404ff44ull

/* ---- context descriptors -------------------------------------------------------------- */

#define CTXDESC_L2_SPLIT         10u
#define CTXDESC_L2_ENTRIES       (1u << CTXDESC_L2_SPLIT)
#define CTXDESC_L1_DESC_V        BIT64(0)
#define CTXDESC_L1_DESC_L2PTR    GENMASK64(51, 12)
#define CD_SIZE                  64u
#define CD_QWORDS                8u
#define CD_L2_FRAMES             (CTXDESC_L2_ENTRIES * CD_SIZE / SIM_PAGE_SIZE)

#define CD_0_TCR_T0SZ            GENMASK64(5, 0)
#define CD_0_TCR_TG0             GENMASK64(7, 6)
#define CD_0_TCR_IRGN0           GENMASK64(9, 8)
#define CD_0_TCR_ORGN0           GENMASK64(11, 10)
#define CD_0_TCR_SH0             GENMASK64(13, 12)
#define CD_0_TCR_EPD0            BIT64(14)
#define CD_0_TCR_EPD1            BIT64(30)
#define CD_0_V                   BIT64(31)
#define CD_0_TCR_IPS             GENMASK64(34, 32)
#define CD_0_AA64                BIT64(41)
#define CD_0_TCR_HD              BIT64(42)
#define CD_0_TCR_HA              BIT64(43)
#define CD_0_R                   BIT64(45)
#define CD_0_A                   BIT64(46)
#define CD_0_ASET                BIT64(47)
#define CD_0_ASID                GENMASK64(63, 48)
#define CD_1_TTB0                GENMASK64(51, 4)

/* The input size of an @levels-level 4 KiB-granule table walked from a
 * full root (what the hardware walks: hw_walk.c sets levels only), as
 * T0SZ / S2T0SZ = 64 - IAS (io-pgtable-arm.c: tsz = 64 - ias). */
static unsigned smmu_tsz(unsigned levels)
{
	return 64 - (12 + 9 * levels);
}

/* ---- what the driver's view asks for ---------------------------------------------------- */

/* The stage 2 a context tags its walks with: TRANSLATE's own id, NESTED's
 * parent's (SMMUv3 has one VMID per STE). */
static uint16_t smmu_s2_tag(const struct iommu_context *c)
{
	return c->type == IOMMU_CTX_NESTED ? c->s2_did : c->did;
}

/* Do @a and @b (TRANSLATE or NESTED) use the same stage 2? */
static bool smmu_same_s2(const struct iommu_context *a, const struct iommu_context *b)
{
	return a->s2_root == b->s2_root && a->s2_levels == b->s2_levels &&
	       smmu_s2_tag(a) == smmu_s2_tag(b);
}

/* The PASIDs (> 0) of @v other than @skip, by what they hold. */
struct smmu_tagged {
	bool s1;                     /* a stage-1 CD */
	const struct iommu_context *nested;   /* the lowest nested one */
	uint32_t nested_pasid;
};

static void smmu_scan(const struct hw_dev_view *v, uint32_t skip, struct smmu_tagged *t)
{
	GHashTableIter it;
	gpointer k, val;

	memset(t, 0, sizeof(*t));
	if (!v->tagged)
		return;
	g_hash_table_iter_init(&it, v->tagged);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		const struct iommu_context *c = val;
		uint32_t p = GPOINTER_TO_UINT(k);

		if (p == skip || c->type == IOMMU_CTX_BLOCKED)
			continue;
		if (c->type == IOMMU_CTX_S1) {
			t->s1 = true;
		} else if (c->type == IOMMU_CTX_NESTED && (!t->nested || p < t->nested_pasid)) {
			/* the lowest PASID: independent of hash order */
			t->nested = c;
			t->nested_pasid = p;
		}
	}
}

/* Is every nested PASID of @v but @skip over @c's stage 2, and no PASID
 * but @skip a stage-1 one? */
static bool smmu_nested_fits(const struct hw_dev_view *v, uint32_t skip,
			     const struct iommu_context *c)
{
	GHashTableIter it;
	gpointer k, val;

	if (!v->tagged)
		return true;
	g_hash_table_iter_init(&it, v->tagged);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		const struct iommu_context *o = val;

		if (GPOINTER_TO_UINT(k) == skip || o->type == IOMMU_CTX_BLOCKED)
			continue;
		if (o->type != IOMMU_CTX_NESTED || !smmu_same_s2(o, c))
			return false;
	}
	return true;
}

/* A PASID's context: a CD (S1, NESTED) or a cleared one (BLOCKED).  The
 * STE carries the stage 2 and the untagged stream, so a PASID cannot be
 * stage-2-only or bypass (arm_smmu_s1_set_dev_pasid: only S1 domains), an
 * S1 CD needs a CD table the RID's domain does not own
 * (arm_smmu_set_pasid: -EINVAL unless the CD table is in the STE or the
 * RID is identity / blocked), and nested PASIDs share the one stage 2. */
static int smmu_admit_pasid(const struct hw_dev_view *v, uint32_t pasid,
			    const struct iommu_context *c)
{
	const struct iommu_context *rid = hw_view_ctx(v, 0);
	struct smmu_tagged t;

	if (c->type == IOMMU_CTX_BLOCKED)
		return 0;
	/* a guest's STE is the RID's alone, and the CD table behind it the
	 * guest's: no host PASIDs beside it (arm_smmu_set_pasid) */
	if (c->vste || (rid && rid->vste))
		return -EINVAL;
	switch (c->type) {
	case IOMMU_CTX_BLOCKED:
		return 0;
	case IOMMU_CTX_S1:
		if (rid && (rid->type == IOMMU_CTX_TRANSLATE || rid->type == IOMMU_CTX_NESTED))
			return -EINVAL;
		smmu_scan(v, pasid, &t);
		return t.nested ? -EINVAL : 0;
	case IOMMU_CTX_NESTED:
		if (!smmu_nested_fits(v, pasid, c))
			return -EINVAL;
		if (!rid || rid->type == IOMMU_CTX_BLOCKED)
			return 0;
		if ((rid->type == IOMMU_CTX_TRANSLATE || rid->type == IOMMU_CTX_NESTED) &&
		    smmu_same_s2(rid, c))
			return 0;
		return -EINVAL;
	case IOMMU_CTX_TRANSLATE:
	case IOMMU_CTX_PASSTHROUGH:
		break;
	}
	return -EINVAL;
}

/* The RID's context, while PASIDs use the STE's CD table: arm_smmu_attach_dev
 * returns -EBUSY for a stage-2 domain while SSIDs are in use
 * (arm_smmu_ssids_in_use), and so does arm_smmu_attach_dev_nested; an
 * identity or blocked RID turns into S1DSS bypass / terminate
 * (arm_smmu_attach_dev_ste).  Under a nested STE the RID can only be
 * blocked, the parent's stage 2 (S1DSS bypass) or nested over it (CD 0). */
static int smmu_admit_rid(const struct hw_dev_view *v, const struct iommu_context *c)
{
	struct smmu_tagged t;

	if (c->type == IOMMU_CTX_BLOCKED)
		return 0;
	smmu_scan(v, 0, &t);
	/* arm_smmu_attach_dev_nested: -EBUSY while SSIDs are in use */
	if (c->vste)
		return t.nested || t.s1 ? -EBUSY : 0;
	if (t.nested)
		return (c->type == IOMMU_CTX_TRANSLATE || c->type == IOMMU_CTX_NESTED) &&
		       smmu_same_s2(c, t.nested) ? 0 : -EBUSY;
	if (t.s1 && (c->type == IOMMU_CTX_TRANSLATE || c->type == IOMMU_CTX_NESTED))
		return -EBUSY;
	return 0;
}

static int smmu_admit(struct iommu_hw *hw, const struct hw_dev_view *v, uint32_t pasid,
		      const struct iommu_context *c)
{
	(void)hw;
	if (!c)
		return 0;                    /* clearing always fits */
	/* hardware dirty management the driver programs: a stage-1 CD's HD
	 * (Linux has no stage-2 HTTU, and a nested CD is the guest's) */
	if (c->dirty && (c->type != IOMMU_CTX_S1 || (c->dirty & IOMMU_CTX_DIRTY_S2)))
		return -EINVAL;
	return pasid ? smmu_admit_pasid(v, pasid, c) : smmu_admit_rid(v, c);
}

/* The STE @v needs. */
struct smmu_plan {
	unsigned cfg;                /* STE_CFG_* */
	unsigned s1dss;
	bool cd;                     /* a host CD table (Config S1 or nested) */
	const struct iommu_context *guest;   /* nested over the guest's STE */
	const struct iommu_context *s2;   /* the stage 2 (S2, nested) */
	uint16_t vmid;
};

static void smmu_plan(const struct hw_dev_view *v, struct smmu_plan *p)
{
	const struct iommu_context *rid = hw_view_ctx(v, 0);
	enum iommu_ctx_type rt = rid ? rid->type : IOMMU_CTX_BLOCKED;
	struct smmu_tagged t;

	memset(p, 0, sizeof(*p));
	smmu_scan(v, 0, &t);
	if (t.nested) {
		/* arm_smmu_make_nested_cd_table_ste over the parent */
		p->cfg = STE_CFG_NESTED;
		p->s2 = t.nested;
		p->vmid = t.nested->s2_did;
		p->s1dss = rt == IOMMU_CTX_NESTED ? S1DSS_SSID0
			 : rt == IOMMU_CTX_TRANSLATE ? S1DSS_BYPASS : S1DSS_TERMINATE;
	} else if (t.s1) {
		/* arm_smmu_update_ste / arm_smmu_attach_dev_ste */
		p->cfg = STE_CFG_S1_TRANS;
		p->s1dss = rt == IOMMU_CTX_S1 ? S1DSS_SSID0
			 : rt == IOMMU_CTX_PASSTHROUGH ? S1DSS_BYPASS : S1DSS_TERMINATE;
	} else {
		switch (rt) {
		case IOMMU_CTX_BLOCKED:
			p->cfg = STE_CFG_ABORT;
			break;
		case IOMMU_CTX_PASSTHROUGH:
			p->cfg = STE_CFG_BYPASS;
			break;
		case IOMMU_CTX_TRANSLATE:
			p->cfg = STE_CFG_S2_TRANS;
			p->s2 = rid;
			p->vmid = rid->did;
			break;
		case IOMMU_CTX_S1:
			p->cfg = STE_CFG_S1_TRANS;
			p->s1dss = S1DSS_SSID0;
			break;
		case IOMMU_CTX_NESTED:
			p->cfg = STE_CFG_NESTED;
			p->s2 = rid;
			p->vmid = rid->s2_did;
			p->s1dss = S1DSS_SSID0;
			if (rid->vste)
				p->guest = rid;
			break;
		}
	}
	p->cd = (p->cfg == STE_CFG_S1_TRANS || p->cfg == STE_CFG_NESTED) && !p->guest;
}

/* ---- encodings ------------------------------------------------------------------------- */

/* The CD of @c (NULL, BLOCKED, or a type a CD cannot hold: cleared), as
 * arm_smmu_make_s1_cd writes it; the table's root is an HPA for S1 and the
 * guest's GPA for NESTED (the CD format is the same). */
static void smmu_cd_encode(const struct iommu_context *c, uint64_t q[CD_QWORDS])
{
	memset(q, 0, CD_QWORDS * sizeof(q[0]));
	if (!c || (c->type != IOMMU_CTX_S1 && c->type != IOMMU_CTX_NESTED))
		return;
	q[0] = FPREP(CD_0_TCR_T0SZ, smmu_tsz(c->s1_levels)) |
	       FPREP(CD_0_TCR_TG0, LPAE_TCR_TG0_4K) |
	       FPREP(CD_0_TCR_IRGN0, LPAE_TCR_RGN_WBWA) |
	       FPREP(CD_0_TCR_ORGN0, LPAE_TCR_RGN_WBWA) |
	       FPREP(CD_0_TCR_SH0, LPAE_TCR_SH_IS) |
	       CD_0_TCR_EPD1 | CD_0_V |
	       FPREP(CD_0_TCR_IPS, LPAE_TCR_PS_48_BIT) |
	       CD_0_AA64 | CD_0_R | CD_0_A | CD_0_ASET |
	       FPREP(CD_0_ASID, c->did);
	q[1] = c->s1_root & CD_1_TTB0;
	q[3] = LPAE_MAIR;
	/* "To enable dirty flag update, set both Access flag and dirty state
	 * update" */
	if (c->dirty & IOMMU_CTX_DIRTY_S1)
		q[0] |= CD_0_TCR_HA | CD_0_TCR_HD;
}

/* The VTCR field of @levels levels (arm_64_lpae_alloc_pgtable_s2: for the
 * 4 KiB granule SL0 = ~(start level + 1) & 3, that is levels - 2). */
static uint64_t smmu_vtcr(unsigned levels)
{
	return FPREP(VTCR_S2T0SZ, smmu_tsz(levels)) | FPREP(VTCR_S2SL0, levels - 2) |
	       FPREP(VTCR_S2IR0, LPAE_TCR_RGN_WBWA) | FPREP(VTCR_S2OR0, LPAE_TCR_RGN_WBWA) |
	       FPREP(VTCR_S2SH0, LPAE_TCR_SH_IS) | FPREP(VTCR_S2TG, LPAE_TCR_TG0_4K) |
	       FPREP(VTCR_S2PS, LPAE_TCR_PS_48_BIT);
}

/* The STE of plan @p: arm_smmu_make_abort_ste, _bypass_ste (no SHCFG: this
 * SMMU lacks IDR1.ATTR_TYPES_OVR), _cdtable_ste (no stalls, no E2H: STRW
 * NSEL1, VMID 0), _s2_domain_ste (no S2FWB, no stalls) and the nested
 * STE (both, with MEV).  @cdtab (format @fmt) is the CD table. */
static void smmu_ste_encode(const struct hw_dev_view *v, const struct smmu_plan *p,
			    uint64_t cdtab, unsigned fmt, uint64_t q[STE_QWORDS])
{
	memset(q, 0, STE_QWORDS * sizeof(q[0]));
	q[0] = STE_0_V | FPREP(STE_0_CFG, p->cfg);
	if (p->cfg == STE_CFG_ABORT || p->cfg == STE_CFG_BYPASS)
		return;
	/* ATS only where the STE translates (arm_smmu_attach_prepare); under
	 * a guest's STE only when the guest's EATS asked for it
	 * (arm_smmu_attach_dev_nested: disable_ats = !enable_ats) */
	q[1] = FPREP(STE_1_EATS, v->ats && (!p->guest || FGET(STE_1_EATS, p->guest->vste1))
			      ? EATS_TRANS : 0);
	if (p->guest) {
		/* arm_smmu_make_nested_cd_table_ste: the guest's words but
		 * Config, EATS kept apart */
		q[0] |= p->guest->vste0 & ~(STE_0_V | STE_0_CFG);
		q[1] |= p->guest->vste1 & ~STE_1_EATS;
	}
	if (p->cd) {
		q[0] |= FPREP(STE_0_S1FMT, fmt) | (cdtab & STE_0_S1CTXPTR) |
			FPREP(STE_0_S1CDMAX, v->pasid_bits);
		if (p->cfg == STE_CFG_NESTED)
			q[0] |= STE_0_SIM_HOSTCD;
		q[1] |= FPREP(STE_1_S1DSS, p->s1dss) | FPREP(STE_1_S1CIR, S1C_CACHE_WBRA) |
			FPREP(STE_1_S1COR, S1C_CACHE_WBRA) | FPREP(STE_1_S1CSH, SMMU_SH_ISH);
	}
	if (p->s2) {
		q[2] = FPREP(STE_2_S2VMID, p->vmid) | FPREP(STE_2_VTCR, smmu_vtcr(p->s2->s2_levels)) |
		       STE_2_S2AA64 | STE_2_S2PTW | STE_2_S2R;
		q[3] = p->s2->s2_root & STE_3_S2TTB;
	}
	if (p->cfg == STE_CFG_NESTED)
		q[1] |= STE_1_MEV;       /* arm_smmu_make_nested_cd_table_ste */
}

/* ---- memory ---------------------------------------------------------------------------- */

static void smmu_read_entry(struct iommu_hw *hw, uint64_t a, uint64_t *q, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		q[i] = sim_mem_read64(hw->w, a + 8ull * i);
}

/* Write @n quadwords at @a: nothing when memory already holds them, else
 * word 0 (which holds V in both STEs and CDs) cleared first and written
 * last.  Whether anything changed. */
static bool smmu_write_entry(struct iommu_hw *hw, uint64_t a, const uint64_t *q, unsigned n)
{
	uint64_t cur[STE_QWORDS];

	smmu_read_entry(hw, a, cur, n);
	if (!memcmp(cur, q, n * sizeof(q[0])))
		return false;
	if (cur[0])
		sim_mem_write64(hw->w, a, 0);
	for (unsigned i = 1; i < n; i++)
		if (cur[i] != q[i])
			sim_mem_write64(hw->w, a + 8ull * i, q[i]);
	sim_mem_write64(hw->w, a, q[0]);
	return true;
}

/* Frames of @bytes of table (a power of two). */
static unsigned smmu_frames(uint64_t bytes)
{
	return bytes <= SIM_PAGE_SIZE ? 1 : (unsigned)(bytes / SIM_PAGE_SIZE);
}

/* The CD table of @bits SSID bits: its format and the frames of its
 * (level-1 or only) table (arm_smmu_alloc_cd_tables). */
static unsigned smmu_cd_fmt(unsigned bits)
{
	return (1u << bits) <= CTXDESC_L2_ENTRIES ? S1FMT_LINEAR : S1FMT_64K_L2;
}

static unsigned smmu_cd_l1_entries(unsigned bits)
{
	return ((1u << bits) + CTXDESC_L2_ENTRIES - 1) / CTXDESC_L2_ENTRIES;
}

static unsigned smmu_cdtab_frames(unsigned bits)
{
	return smmu_cd_fmt(bits) == S1FMT_LINEAR ? smmu_frames((uint64_t)CD_SIZE << bits)
						 : smmu_frames(8ull * smmu_cd_l1_entries(bits));
}

/* The STE's host CD table, 0 when its Config has none or the CD table is
 * a guest's. */
static uint64_t smmu_ste_cdtab(const uint64_t *q)
{
	unsigned cfg = FGET(STE_0_CFG, q[0]);

	if (!(q[0] & STE_0_V) || (cfg != STE_CFG_S1_TRANS && cfg != STE_CFG_NESTED) ||
	    (cfg == STE_CFG_NESTED && !(q[0] & STE_0_SIM_HOSTCD)))
		return 0;
	return q[0] & STE_0_S1CTXPTR;
}

/* Free a CD table our driver half made (S1Fmt linear or 64K_L2) and its
 * leaf tables. */
static void smmu_cdtab_free(struct iommu_hw *hw, uint64_t tab, unsigned fmt, unsigned bits)
{
	if (fmt == S1FMT_64K_L2) {
		for (unsigned i = 0; i < smmu_cd_l1_entries(bits); i++) {
			uint64_t d = sim_mem_read64(hw->w, tab + 8ull * i);

			if (d & CTXDESC_L1_DESC_V)
				hw_table_free(hw, d & CTXDESC_L1_DESC_L2PTR, CD_L2_FRAMES);
		}
	}
	hw_table_free(hw, tab, smmu_cdtab_frames(bits));
}

static void smmu_ste_free_cdtab(struct iommu_hw *hw, const uint64_t *q)
{
	uint64_t tab = smmu_ste_cdtab(q);

	if (tab)
		smmu_cdtab_free(hw, tab, FGET(STE_0_S1FMT, q[0]), FGET(STE_0_S1CDMAX, q[0]));
}

static uint64_t smmu_l1_slot(uint64_t root, uint16_t rid)
{
	return root + 8ull * (rid >> STRTAB_SPLIT);
}

/* A level-1 stream table descriptor's level-2 table, 0 when invalid
 * (Span 0) or not one this SMMU's split can use. */
static uint64_t smmu_l1_l2(uint64_t d)
{
	return FGET(STRTAB_L1_DESC_SPAN, d) == STRTAB_SPLIT + 1 ? d & STRTAB_L1_DESC_L2PTR : 0;
}

/* The address of @rid's STE in @seg, 0 when none is reachable. */
static uint64_t smmu_ste_at(struct iommu_hw *hw, uint16_t seg, uint16_t rid)
{
	uint64_t root = hw_seg_root(hw, seg), l2;

	if (!root)
		return 0;
	if (hw->cfg.smmu_linear_strtab)
		return root + (uint64_t)rid * STE_SIZE;
	l2 = smmu_l1_l2(sim_mem_read64(hw->w, smmu_l1_slot(root, rid)));
	return l2 ? l2 + (uint64_t)(rid % STRTAB_NUM_L2_STES) * STE_SIZE : 0;
}

/* ---- driver half ------------------------------------------------------------------------- */

/* Everything one write() allocates, made before anything is written. */
struct smmu_new {
	uint64_t strtab;             /* the segment's stream table */
	uint64_t l2;                 /* a level-2 stream table for the RID's bus */
	uint64_t cdtab;              /* a CD table */
	uint64_t cdl2;               /* a CD leaf table for the PASID written */
};

static void smmu_new_free(struct iommu_hw *hw, const struct smmu_new *n, unsigned bits)
{
	if (n->cdl2)
		hw_table_free(hw, n->cdl2, CD_L2_FRAMES);
	if (n->cdtab)
		hw_table_free(hw, n->cdtab, smmu_cdtab_frames(bits));
	if (n->l2)
		hw_table_free(hw, n->l2, STRTAB_L2_FRAMES);
	if (n->strtab)
		hw_table_free(hw, n->strtab, hw->cfg.smmu_linear_strtab ? STRTAB_LINEAR_FRAMES : 1);
}

/* Allocate the stream table of the segment and the RID's level-2 table
 * when missing (arm_smmu_init_strtab, arm_smmu_init_l2_strtab). */
static int smmu_alloc_strtab(struct iommu_hw *hw, const struct hw_dev_view *v,
			     struct smmu_new *n)
{
	uint64_t root = hw_seg_root(hw, v->seg);
	int ret;

	if (!root) {
		ret = hw_table_alloc(hw, hw->cfg.smmu_linear_strtab ? STRTAB_LINEAR_FRAMES : 1,
				     &n->strtab);
		if (ret)
			return ret;
		root = n->strtab;
	}
	if (hw->cfg.smmu_linear_strtab ||
	    smmu_l1_l2(sim_mem_read64(hw->w, smmu_l1_slot(root, v->rid))))
		return 0;
	return hw_table_alloc(hw, STRTAB_L2_FRAMES, &n->l2);
}

/* Install what smmu_alloc_strtab made: the STE's address. */
static uint64_t smmu_install_strtab(struct iommu_hw *hw, const struct hw_dev_view *v,
				    const struct smmu_new *n, unsigned *wrote)
{
	if (n->strtab)
		hw_seg_root_set(hw, v->seg, n->strtab);
	if (n->l2) {
		/* arm_smmu_write_strtab_l1_desc: Span = STRTAB_SPLIT + 1 */
		sim_mem_write64(hw->w, smmu_l1_slot(hw_seg_root(hw, v->seg), v->rid),
				(n->l2 & STRTAB_L1_DESC_L2PTR) |
				FPREP(STRTAB_L1_DESC_SPAN, STRTAB_SPLIT + 1));
		*wrote |= HW_WROTE_DEVICE;
	}
	return smmu_ste_at(hw, v->seg, v->rid);
}

/* The address of CD @pasid in table @tab (format @fmt), 0 when its leaf
 * table is missing; *l1 gets the level-1 descriptor's address (2-level). */
static uint64_t smmu_cd_at(struct iommu_hw *hw, uint64_t tab, unsigned fmt, uint32_t pasid,
			   uint64_t *l1)
{
	uint64_t d;

	*l1 = 0;
	if (fmt == S1FMT_LINEAR)
		return tab + (uint64_t)pasid * CD_SIZE;
	*l1 = tab + 8ull * (pasid >> CTXDESC_L2_SPLIT);
	d = sim_mem_read64(hw->w, *l1);
	return d & CTXDESC_L1_DESC_V ? (d & CTXDESC_L1_DESC_L2PTR) +
				      (uint64_t)(pasid % CTXDESC_L2_ENTRIES) * CD_SIZE : 0;
}

/* The CD table and the CD leaf the write needs (arm_smmu_alloc_cd_ptr):
 * the STE's table when it has one of the device's size, else a new one. */
static int smmu_alloc_cd(struct iommu_hw *hw, const struct hw_dev_view *v,
			 const uint64_t *old, uint32_t cdp, bool cd_valid, struct smmu_new *n,
			 uint64_t *tab)
{
	unsigned fmt = smmu_cd_fmt(v->pasid_bits);
	uint64_t l1, cur = smmu_ste_cdtab(old);
	int ret;

	if (cur && FGET(STE_0_S1CDMAX, old[0]) == v->pasid_bits &&
	    FGET(STE_0_S1FMT, old[0]) == fmt) {
		*tab = cur;
	} else {
		ret = hw_table_alloc(hw, smmu_cdtab_frames(v->pasid_bits), &n->cdtab);
		if (ret)
			return ret;
		*tab = n->cdtab;
	}
	if (fmt == S1FMT_LINEAR || !cd_valid || smmu_cd_at(hw, *tab, fmt, cdp, &l1))
		return 0;
	return hw_table_alloc(hw, CD_L2_FRAMES, &n->cdl2);
}

/* Write CD @cdp of @tab to @q (a new leaf table @cdl2 first). */
static void smmu_cd_write(struct iommu_hw *hw, uint64_t tab, unsigned fmt, uint32_t cdp,
			  uint64_t cdl2, const uint64_t *q, unsigned *wrote)
{
	uint64_t l1, a;

	if (cdl2) {
		/* arm_smmu_write_cd_l1_desc */
		smmu_cd_at(hw, tab, fmt, cdp, &l1);
		sim_mem_write64(hw->w, l1, (cdl2 & CTXDESC_L1_DESC_L2PTR) | CTXDESC_L1_DESC_V);
		*wrote |= HW_WROTE_PASID;
	}
	a = smmu_cd_at(hw, tab, fmt, cdp, &l1);
	if (a && smmu_write_entry(hw, a, q, CD_QWORDS))
		*wrote |= HW_WROTE_PASID;
}

/*
 * Recompute the STE from the whole view and the CD at @pasid (the RID's,
 * CD 0, for HW_PASID_DEVICE).  Order: a CD becoming valid before the STE
 * that may use it, the STE, a CD being cleared after the STE stopped
 * using it, then the CD table the STE no longer points at is freed.  Only
 * the CD at @pasid can be missing from a new CD table: the STE had none
 * before, so no other PASID and no RID stage 1 needed one.
 */
static int smmu_write(struct iommu_hw *hw, const struct hw_dev_view *v, uint32_t pasid,
		      unsigned *wrote)
{
	uint32_t cdp = pasid == HW_PASID_DEVICE ? 0 : pasid;
	uint64_t old[STE_QWORDS] = { 0 }, ste, q[STE_QWORDS], cd[CD_QWORDS], tab = 0;
	unsigned fmt = smmu_cd_fmt(v->pasid_bits);
	struct smmu_new n = { 0 };
	struct smmu_plan p;
	int ret;

	smmu_plan(v, &p);
	smmu_cd_encode(hw_view_ctx(v, cdp), cd);
	ste = smmu_ste_at(hw, v->seg, v->rid);
	if (ste)
		smmu_read_entry(hw, ste, old, STE_QWORDS);
	ret = smmu_alloc_strtab(hw, v, &n);
	if (!ret && p.cd)
		ret = smmu_alloc_cd(hw, v, old, cdp, cd[0] & CD_0_V, &n, &tab);
	if (ret) {
		smmu_new_free(hw, &n, v->pasid_bits);
		return ret;
	}
	ste = smmu_install_strtab(hw, v, &n, wrote);
	if (p.cd && (cd[0] & CD_0_V))
		smmu_cd_write(hw, tab, fmt, cdp, n.cdl2, cd, wrote);
	smmu_ste_encode(v, &p, tab, fmt, q);
	if (smmu_write_entry(hw, ste, q, STE_QWORDS))
		*wrote |= HW_WROTE_DEVICE;
	if (p.cd && !(cd[0] & CD_0_V))
		smmu_cd_write(hw, tab, fmt, cdp, 0, cd, wrote);
	if (smmu_ste_cdtab(old) && smmu_ste_cdtab(old) != tab)
		smmu_ste_free_cdtab(hw, old);
	return 0;
}

static void smmu_clear_device(struct iommu_hw *hw, const struct hw_dev_view *v, unsigned *wrote)
{
	static const uint64_t zero[STE_QWORDS];
	uint64_t ste = smmu_ste_at(hw, v->seg, v->rid), old[STE_QWORDS];

	if (!ste)
		return;
	smmu_read_entry(hw, ste, old, STE_QWORDS);
	if (smmu_write_entry(hw, ste, zero, STE_QWORDS))
		*wrote |= HW_WROTE_DEVICE;
	smmu_ste_free_cdtab(hw, old);
}

/* ---- hardware half ------------------------------------------------------------------------ */

/* The stage-2 fields of an STE (words 2 and 3) into @dc: false when the
 * SMMU cannot walk them (AArch32 tables, another granule, a start level
 * and input size that are not a full-root 4 KiB walk of 2..4 levels:
 * concatenated start tables are not modelled, a missing table). */
static bool smmu_s2_decode(struct iommu_hw *hw, const uint64_t *q, struct hw_devctx *dc)
{
	uint64_t vtcr = FGET(STE_2_VTCR, q[2]);
	unsigned sl0 = FGET(VTCR_S2SL0, vtcr), levels = sl0 + 2;

	if (!(q[2] & STE_2_S2AA64) || FGET(VTCR_S2TG, vtcr) != LPAE_TCR_TG0_4K || sl0 == 3 ||
	    FGET(VTCR_S2PS, vtcr) == LPAE_TCR_PS_RESERVED ||
	    FGET(VTCR_S2T0SZ, vtcr) != smmu_tsz(levels) || !hw_fmt_ok(hw, 2, levels))
		return false;
	dc->s2_root = q[3] & STE_3_S2TTB;
	dc->s2_levels = levels;
	dc->s2_did = (uint16_t)FGET(STE_2_S2VMID, q[2]);
	return dc->s2_root && !(dc->s2_root & (SIM_PAGE_SIZE - 1));
}

/* The stage-1 fields of an S1 or nested STE: the CD table, its format and
 * width, and what an untagged transaction takes (S1DSS when substreams are
 * on, CD 0 when S1CDMax is 0). */
static bool smmu_s1_decode(struct iommu_hw *hw, const uint64_t *q, bool nested,
			   struct hw_devctx *dc)
{
	unsigned fmt = FGET(STE_0_S1FMT, q[0]), cdmax = FGET(STE_0_S1CDMAX, q[0]);

	/* S1Fmt is IGNORED when S1CDMax is 0: S1ContextPtr is the one CD */
	if (!cdmax)
		fmt = S1FMT_LINEAR;
	if (fmt > S1FMT_64K_L2 || cdmax > hw->cfg.pasid_bits)
		return false;
	dc->table = q[0] & STE_0_S1CTXPTR;
	dc->table_fmt = fmt;
	dc->pasid_ok = cdmax > 0;
	dc->pasid_limit_bits = cdmax;
	if (!cdmax)
		return true;             /* S1DSS ignored: CD 0 */
	switch (FGET(STE_1_S1DSS, q[1])) {
	case S1DSS_SSID0:
		return true;
	case S1DSS_TERMINATE:
		dc->rid_direct = true;
		dc->rid.type = IOMMU_CTX_BLOCKED;
		return true;
	case S1DSS_BYPASS:
		/* stage 1 skipped; a nested STE still translates stage 2 */
		dc->rid_direct = true;
		if (!nested) {
			dc->rid.type = IOMMU_CTX_PASSTHROUGH;
			return true;
		}
		dc->rid.type = IOMMU_CTX_TRANSLATE;
		dc->rid.did = dc->s2_did;
		dc->rid.s2_root = dc->s2_root;
		dc->rid.s2_levels = dc->s2_levels;
		return true;
	}
	return false;                    /* S1DSS 0b11 is reserved */
}

/* Decode a valid STE: false for what makes it ILLEGAL (C_BAD_STE). */
static bool smmu_ste_decode(struct iommu_hw *hw, const uint64_t *q, struct hw_devctx *dc)
{
	unsigned cfg = FGET(STE_0_CFG, q[0]), eats = FGET(STE_1_EATS, q[1]);

	memset(dc, 0, sizeof(*dc));
	switch (cfg) {
	case STE_CFG_ABORT:
		dc->rid_direct = true;
		dc->rid.type = IOMMU_CTX_BLOCKED;
		return true;
	case STE_CFG_BYPASS:
		dc->rid_direct = true;
		dc->rid.type = IOMMU_CTX_PASSTHROUGH;
		return true;
	case STE_CFG_S1_TRANS:
	case STE_CFG_S2_TRANS:
	case STE_CFG_NESTED:
		break;
	default:
		return false;            /* Config 0b001..0b011: reserved */
	}
	if (eats > EATS_S1CHK || ((q[0] & STE_0_SIM_HOSTCD) && cfg != STE_CFG_NESTED))
		return false;
	dc->ats = eats != 0;
	if ((cfg & 2) && !smmu_s2_decode(hw, q, dc))
		return false;
	if (cfg == STE_CFG_S2_TRANS) {
		dc->rid_direct = true;
		dc->rid.type = IOMMU_CTX_TRANSLATE;
		dc->rid.did = dc->s2_did;
		dc->rid.s2_root = dc->s2_root;
		dc->rid.s2_levels = dc->s2_levels;
		/* the stage 2 reaches the RID's context only */
		dc->s2_root = dc->s2_levels = dc->s2_did = 0;
		return true;
	}
	dc->s2_valid = cfg == STE_CFG_NESTED;
	dc->table_ipa = dc->s2_valid && !(q[0] & STE_0_SIM_HOSTCD);
	return smmu_s1_decode(hw, q, dc->s2_valid, dc);
}

static bool smmu_fetch_dev(struct iommu_hw *hw, uint16_t seg, uint16_t rid, struct hw_devctx *dc,
			   unsigned *refs, enum hw_ctx_fail *why)
{
	uint64_t root = hw_seg_root(hw, seg), a, d, q[4];
	unsigned idx = rid;

	if (!root)
		return hw_ctx_fail_with(why, HW_CTX_NO_ROOT);
	if (hw->cfg.smmu_linear_strtab) {
		a = root + (uint64_t)rid * STE_SIZE;
	} else {
		a = smmu_l1_slot(root, rid);
		d = sim_mem_read64(hw->w, a);
		(*refs)++;
		hw_ctx_emit(hw, IOMMU_EV_ROOT, 1, rid >> STRTAB_SPLIT, a, d, NULL);
		/* Span 0 (or one this split cannot have): C_BAD_STREAMID */
		if (!smmu_l1_l2(d))
			return hw_ctx_fail_with(why, HW_CTX_NO_ROOT);
		idx = rid % STRTAB_NUM_L2_STES;
		a = smmu_l1_l2(d) + (uint64_t)idx * STE_SIZE;
	}
	smmu_read_entry(hw, a, q, 4);
	(*refs)++;
	hw_ctx_emit(hw, IOMMU_EV_CONTEXT, 0, idx, a, q[0], NULL);
	if (!(q[0] & STE_0_V))
		return hw_ctx_fail_with(why, HW_CTX_NO_CONTEXT);
	if (!smmu_ste_decode(hw, q, dc))
		return hw_ctx_fail_with(why, HW_CTX_BAD_CONTEXT);
	return true;
}

/* Decode a valid CD: false when this SMMU cannot use it (AArch32, another
 * granule, an input size that is no full-root walk it has, a reserved
 * output size, an S1 table at 0 or not 4 KiB aligned). */
static bool smmu_cd_decode(const struct iommu_hw *hw, const struct hw_devctx *dc,
			   const uint64_t *q, struct iommu_context *c)
{
	unsigned t0sz = FGET(CD_0_TCR_T0SZ, q[0]), ias = 64 - t0sz, levels;

	memset(c, 0, sizeof(*c));
	if (q[0] & CD_0_TCR_EPD0) {
		/* TTB0 walks disabled: every access faults (Linux's quiet SVA
		 * CD after its mm exits, arm_smmu_make_sva_cd) */
		c->type = IOMMU_CTX_BLOCKED;
		return true;
	}
	if (!(q[0] & CD_0_AA64) || FGET(CD_0_TCR_TG0, q[0]) != LPAE_TCR_TG0_4K ||
	    FGET(CD_0_TCR_IPS, q[0]) == LPAE_TCR_PS_RESERVED || ias <= 12 || (ias - 12) % 9)
		return false;
	levels = (ias - 12) / 9;
	if (!hw_fmt_ok(hw, 1, levels))
		return false;
	c->did = (uint16_t)FGET(CD_0_ASID, q[0]);
	c->s1_root = q[1] & CD_1_TTB0;
	c->s1_levels = levels;
	if (c->s1_root & (SIM_PAGE_SIZE - 1))
		return false;
	if (!dc->s2_valid) {
		c->type = IOMMU_CTX_S1;
		/* HD needs HA; both RES0 without IDR0.HTTU = 0b10 (ignored) */
		if ((q[0] & (CD_0_TCR_HA | CD_0_TCR_HD)) == (CD_0_TCR_HA | CD_0_TCR_HD) &&
		    !hw->cfg.no_dirty_tracking)
			c->dirty = IOMMU_CTX_DIRTY_S1;
		return c->s1_root != 0;
	}
	c->type = IOMMU_CTX_NESTED;
	c->s2_root = dc->s2_root;
	c->s2_levels = dc->s2_levels;
	c->s2_did = dc->s2_did;
	/* a guest's CD: its TLB entries are the VMID's and the ASID's */
	if (dc->table_ipa)
		c->did = IOMMU_GUEST_TAG(dc->s2_did, c->did);
	return true;
}

/* The HPA of @ipa, a guest's CD-table address, read through the nested
 * STE's stage 2: false when stage 2 has no readable mapping of it (the
 * SMMU's stage-2 fault on a CD fetch, CLASS CD: the host's to handle). */
static bool smmu_ipa_read(struct iommu_hw *hw, const struct hw_devctx *dc, uint64_t ipa,
			  uint64_t *hpa)
{
	struct iommu_context s2 = { .type = IOMMU_CTX_TRANSLATE, .did = dc->s2_did,
				    .s2_root = dc->s2_root, .s2_levels = dc->s2_levels };
	struct fresh f;

	if (hw_fresh_xlate(hw, &s2, ipa, &f) || !(f.prot & IOMMU_READ))
		return false;
	*hpa = f.hpa;
	return true;
}

static bool smmu_fetch_pasid(struct iommu_hw *hw, const struct hw_devctx *dc, uint32_t pasid,
			     struct iommu_context *c, unsigned *refs, enum hw_ctx_fail *why)
{
	/* S1Fmt: linear, 2-level with 4 KiB (64 CDs) or 64 KiB (1024) leaves */
	unsigned split = dc->table_fmt == S1FMT_4K_L2 ? 6 : CTXDESC_L2_SPLIT;
	unsigned idx = pasid;
	uint64_t a = dc->table, d;

	if (dc->table_fmt != S1FMT_LINEAR) {
		a += 8ull * (pasid >> split);
		if (dc->table_ipa && !smmu_ipa_read(hw, dc, a, &a))
			return hw_ctx_fail_with(why, HW_CTX_TABLE_S2);
		d = sim_mem_read64(hw->w, a);
		(*refs)++;
		hw_ctx_emit(hw, IOMMU_EV_PASID_DIR, 1, pasid >> split, a, d, NULL);
		if (!(d & CTXDESC_L1_DESC_V))
			return hw_ctx_fail_with(why, HW_CTX_NO_PDIR);
		idx = pasid & ((1u << split) - 1);
		a = (d & CTXDESC_L1_DESC_L2PTR) + (uint64_t)idx * CD_SIZE;
	} else {
		a += (uint64_t)pasid * CD_SIZE;
	}
	if (dc->table_ipa && !smmu_ipa_read(hw, dc, a, &a))
		return hw_ctx_fail_with(why, HW_CTX_TABLE_S2);
	return hw_pasid_leaf(hw, dc, a, 2, CD_0_V, idx, smmu_cd_decode, c, refs, why);
}

const struct hw_ctx_ops hw_ctx_smmuv3_ops = {
	.name = "arm-smmuv3",
	.dev_entry = "STE",
	.pasid_entry = "CD",
	.admit = smmu_admit,
	.write = smmu_write,
	.clear_device = smmu_clear_device,
	.fetch_dev = smmu_fetch_dev,
	.fetch_pasid = smmu_fetch_pasid,
};
