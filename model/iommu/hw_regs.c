/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU's identification registers (hw.h, "capability registers"):
 * VT-d's Capability and Extended Capability registers and SMMUv3's
 * SMMU_IDR0..5, IIDR and AIDR, as the hardware model would present them.
 * Every field is named after its definition: the bit positions are those
 * the kernel decodes (drivers/iommu/intel/iommu.h: cap_* and ecap_*;
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h: IDR0_*, IDR1_*, IDR3_*,
 * IDR5_*), the values what the model does:
 *
 *  - the page-table formats say which leaf sizes, levels and granules the
 *    walker takes (pgtable_formats.c);
 *  - the configuration says the PASID width, ATS (device TLBs), interrupt
 *    remapping, snoop control, coherent walks, dirty tracking, the stream
 *    table's format and the fault queue's depth;
 *  - the profile's address width (39 or 48) is the input width of the
 *    paging domains the kernel makes (domain.c).
 *
 * Fields for machinery the model does not have (MMIO fault-recording and
 * IOTLB registers, page request queues, stalls, supervisor requests,
 * caching mode) are zero.  docs/dirty-tracking.md lists them all.
 */
#include "model/iommu/hw.h"

#define BIT64(n)          (1ull << (n))
/* FIELD_PREP for a field at bit @lo */
#define FIELD(v, lo)      ((uint64_t)(v) << (lo))

/* ---- VT-d: Capability register (cap_*) -------------------------------------------------- */

#define VTD_CAP_ND(v)       FIELD(v, 0)    /* 2:0 domains 2^(4 + 2 * ND) */
#define VTD_CAP_SAGAW(v)    FIELD(v, 8)    /* 12:8 supported adjusted guest widths */
#define VTD_CAP_MGAW(v)     FIELD(v, 16)   /* 21:16 max guest address width - 1 */
#define VTD_CAP_SLLPS(v)    FIELD(v, 34)   /* 37:34 second-level large pages */
#define VTD_CAP_PSI         BIT64(39)      /* page-selective IOTLB invalidation */
#define VTD_CAP_MAMV(v)     FIELD(v, 48)   /* 53:48 max address mask value */
#define VTD_CAP_FL1GP       BIT64(56)      /* first-level 1 GiB pages */
#define VTD_CAP_FL5LP       BIT64(60)      /* first-level 5-level paging */

/* SAGAW bit n: an (n + 2)-level second-level table, 30 + 9n bits */
#define VTD_SAGAW_BIT(levels) (1u << ((levels) - 2))

/* ---- VT-d: Extended Capability register (ecap_*) ---------------------------------------- */

#define VTD_ECAP_C          BIT64(0)       /* page-walk coherency (legacy mode) */
#define VTD_ECAP_QI         BIT64(1)       /* queued invalidation */
#define VTD_ECAP_DT         BIT64(2)       /* device-TLB (ATS) */
#define VTD_ECAP_IR         BIT64(3)       /* interrupt remapping */
#define VTD_ECAP_PT         BIT64(6)       /* pass-through */
#define VTD_ECAP_SC         BIT64(7)       /* snoop control */
#define VTD_ECAP_NEST       BIT64(26)      /* nested translation */
#define VTD_ECAP_PSS(v)     FIELD(v, 35)   /* 39:35 PASID size - 1 */
#define VTD_ECAP_PASID      BIT64(40)
#define VTD_ECAP_SMTS       BIT64(43)      /* scalable-mode translation */
#define VTD_ECAP_SLADS      BIT64(45)      /* second-level accessed/dirty (SSADS) */
#define VTD_ECAP_SLTS       BIT64(46)      /* second-level translation */
#define VTD_ECAP_FLTS       BIT64(47)      /* first-level translation */
#define VTD_ECAP_SMPWC      BIT64(48)      /* scalable-mode page-walk coherency */
#define VTD_ECAP_RPS        BIT64(49)      /* RID_PASID in the context entry */

/* The kernel's domain ids: 1..65535 (domain.c), 2^16 of them */
#define VTD_DID_BITS 16u

/* The second-level table depth that resolves @width bits. */
static unsigned vtd_levels_of(unsigned width)
{
	return (width - 12 + 8) / 9;
}

uint64_t iommu_hw_vtd_cap(const struct iommu_hw_config *cfg, unsigned address_width)
{
	const struct io_pgtable_fmt *ss = &io_pgtable_vtd_ss, *fs = &io_pgtable_vtd_fs;
	unsigned sagaw = 0, sllps = 0;
	uint64_t cap;

	(void)cfg;
	/* every second-level depth from the smallest the format has up to
	 * the one the address width needs (aw-bits=48: 39- and 48-bit) */
	for (unsigned l = ss->min_levels; l <= vtd_levels_of(address_width); l++)
		sagaw |= VTD_SAGAW_BIT(l);
	/* SLLPS bit n: 2^(21 + 9n) leaves */
	for (unsigned n = 0; n < 4; n++)
		if (ss->pgsize_bitmap & (1ull << (21 + 9 * n)))
			sllps |= 1u << n;
	cap = VTD_CAP_ND((VTD_DID_BITS - 4) / 2) | VTD_CAP_SAGAW(sagaw) |
	      VTD_CAP_MGAW(address_width - 1) | VTD_CAP_SLLPS(sllps) | VTD_CAP_PSI |
	      /* a range invalidation may cover the whole input space */
	      VTD_CAP_MAMV(address_width - ss->granule_shift);
	if (fs->pgsize_bitmap & SZ_1G)
		cap |= VTD_CAP_FL1GP;
	if (fs->max_levels >= 5)
		cap |= VTD_CAP_FL5LP;
	return cap;
}

uint64_t iommu_hw_vtd_ecap(const struct iommu_hw_config *cfg)
{
	/* the model's walker snoops (C, SMPWC), takes the invalidation
	 * queue (QI), pass-through, nested and both stages, in scalable mode
	 * with a RID_PASID field */
	uint64_t ecap = VTD_ECAP_C | VTD_ECAP_QI | VTD_ECAP_PT | VTD_ECAP_SMTS |
			VTD_ECAP_SLTS | VTD_ECAP_FLTS | VTD_ECAP_SMPWC | VTD_ECAP_RPS;

	if (!cfg->no_nesting)
		ecap |= VTD_ECAP_NEST;

	if (cfg->atc_entries)
		ecap |= VTD_ECAP_DT;
	if (!cfg->no_irq_remapping)
		ecap |= VTD_ECAP_IR;
	if (cfg->snoop_control)
		ecap |= VTD_ECAP_SC;
	if (cfg->pasid_bits)
		ecap |= VTD_ECAP_PASID | VTD_ECAP_PSS(cfg->pasid_bits - 1);
	if (!cfg->no_dirty_tracking)
		ecap |= VTD_ECAP_SLADS;
	return ecap;
}

/* ---- SMMUv3 ------------------------------------------------------------------------------ */

#define IDR0_S2P            BIT64(0)
#define IDR0_S1P            BIT64(1)
#define IDR0_TTF(v)         FIELD(v, 2)    /* 3:2 */
#define IDR0_TTF_AARCH64    2u
#define IDR0_COHACC         BIT64(4)
#define IDR0_HTTU(v)        FIELD(v, 6)    /* 7:6 */
#define IDR0_HTTU_ACCESS_DIRTY 2u
#define IDR0_ATS            BIT64(10)
#define IDR0_ASID16         BIT64(12)
#define IDR0_VMID16         BIT64(18)
#define IDR0_CD2L           BIT64(19)
#define IDR0_TTENDIAN(v)    FIELD(v, 21)   /* 22:21 */
#define IDR0_TTENDIAN_LE    2u
#define IDR0_STALL_MODEL(v) FIELD(v, 24)   /* 25:24 */
#define IDR0_STALL_NONE     1u             /* stalls not supported */
#define IDR0_ST_LVL(v)      FIELD(v, 27)   /* 28:27 */
#define IDR0_ST_LVL_2LVL    1u

#define IDR1_SIDSIZE(v)     FIELD(v, 0)    /* 5:0 */
#define IDR1_SSIDSIZE(v)    FIELD(v, 6)    /* 10:6 */
#define IDR1_EVTQS(v)       FIELD(v, 16)   /* 20:16 */
#define IDR1_CMDQS(v)       FIELD(v, 21)   /* 25:21 */
#define IDR1_QS_MAX         19u            /* the architecture's largest queue, log2 */

#define IDR3_RIL            BIT64(10)      /* range invalidation */

#define IDR5_OAS(v)         FIELD(v, 0)    /* 2:0 */
#define IDR5_GRAN4K         BIT64(4)
#define IDR5_GRAN16K        BIT64(5)
#define IDR5_GRAN64K        BIT64(6)

/* AIDR: ArchMajorRev 7:4 (0: SMMUv3), ArchMinorRev 3:0; range invalidation
 * (IDR3.RIL) is the newest feature advertised, an SMMUv3.2 one */
#define AIDR_SMMUV3_2       0x02u

/* The StreamID width the stream table covers (hw_ctx_smmuv3.c) */
#define SMMU_SID_BITS       16u

/* IDR5.OAS encodings by output address size */
static const unsigned smmu_oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

static unsigned smmu_oas_field(unsigned width)
{
	unsigned i = 0;

	/* the smallest encoding that holds the width */
	while (i + 1 < sizeof(smmu_oas_bits) / sizeof(smmu_oas_bits[0]) && smmu_oas_bits[i] < width)
		i++;
	return i;
}

void iommu_hw_smmu_regs(const struct iommu_hw_config *cfg, unsigned address_width,
			struct iommu_hw_smmu_regs *out)
{
	const struct io_pgtable_fmt *s1 = &io_pgtable_arm_s1;
	unsigned evtq = 0;
	uint64_t idr0;

	*out = (struct iommu_hw_smmu_regs){ 0 };
	idr0 = IDR0_S2P | IDR0_S1P | IDR0_TTF(IDR0_TTF_AARCH64) | IDR0_ASID16 | IDR0_VMID16 |
	       IDR0_CD2L | IDR0_TTENDIAN(IDR0_TTENDIAN_LE) | IDR0_STALL_MODEL(IDR0_STALL_NONE);
	if (!cfg->no_coherent_walk)
		idr0 |= IDR0_COHACC;
	if (!cfg->no_dirty_tracking)
		idr0 |= IDR0_HTTU(IDR0_HTTU_ACCESS_DIRTY);
	if (cfg->atc_entries)
		idr0 |= IDR0_ATS;
	if (!cfg->smmu_linear_strtab)
		idr0 |= IDR0_ST_LVL(IDR0_ST_LVL_2LVL);
	out->idr[0] = (uint32_t)idr0;
	/* the event queue holds the fault queue's records */
	while (evtq < IDR1_QS_MAX && (1u << evtq) < cfg->fault_queue_len)
		evtq++;
	/* the invalidation queue takes any number of commands */
	out->idr[1] = (uint32_t)(IDR1_SIDSIZE(SMMU_SID_BITS) | IDR1_SSIDSIZE(cfg->pasid_bits) |
				 IDR1_EVTQS(evtq) | IDR1_CMDQS(IDR1_QS_MAX));
	out->idr[3] = (uint32_t)IDR3_RIL;
	out->idr[5] = (uint32_t)IDR5_OAS(smmu_oas_field(address_width));
	for (unsigned i = 0; i < s1->ngeoms; i++) {
		switch (s1->geoms[i].granule_shift) {
		case 12: out->idr[5] |= (uint32_t)IDR5_GRAN4K; break;
		case 14: out->idr[5] |= (uint32_t)IDR5_GRAN16K; break;
		case 16: out->idr[5] |= (uint32_t)IDR5_GRAN64K; break;
		}
	}
	out->aidr = AIDR_SMMUV3_2;
}
