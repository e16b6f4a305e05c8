/* SPDX-License-Identifier: MIT */
/*
 * IOMMU domains, the kernel side (spec §B attach rules, §C map/unmap):
 * what the kernel's IOMMU core does with the hardware model.
 *
 *  - A domain is blocked, identity (passthrough) or paging; a paging domain
 *    owns an I/O page table (model/iommu/pgtable.h) and a domain id (DID,
 *    lowest free from 1) that tags its IOTLB entries.
 *  - Attaching a domain to a group programs, for every member, the context
 *    entry of its requester id and of every alias the DMA alias walk yields
 *    (spec §A2), so RID 05:00.1 of a Marvell alias translates in the same
 *    domain (spec §A example 8).  All or nothing.
 *  - Every group has a default domain while the kernel owns it; claiming it
 *    for userspace (iommu_group_claim_dma_owner) moves it to the blocking
 *    domain until a user domain is attached; release returns it to the
 *    default domain.
 *  - iommu_map uses the largest leaves alignment allows; iommu_unmap
 *    invalidates the IOTLB for the range before it returns.
 *  - The aperture comes from the profile's address width (39 or 48 bits).
 *    The reserved regions are the IOMMU driver's (iommu_get_resv_regions).
 *  - Domain kinds (spec §E): blocked, identity, paging at stage 1 or stage
 *    2 (a stage-2 domain may be a nest parent), nested (a guest's stage-1
 *    table, named by its GPA, over a stage-2 parent).  Besides the group's
 *    RID path, a domain is attached to (device, PASID) pairs: attach,
 *    replace, detach.  Every device's context entry carries a PASID table
 *    as wide as its PASID capability and the IOMMU allow.
 *  - Invalidation (§E.6) after every change, in order: PASID cache (entry
 *    changes), IOTLB (range, PASID or domain; for a stage-2 change also
 *    every nested domain over it, domain-wide), device TLBs of the ATS
 *    devices that use the domain, a wait.  Profile options inject the
 *    classic bugs (iommu_profile.bugs) so the checker can be seen to catch
 *    each one.
 */
#ifndef MODEL_IOMMU_DOMAIN_H
#define MODEL_IOMMU_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "sim/mm.h"
#include "model/iommu/pgtable.h"

struct pci_dev;
struct iopf_group;

struct sim_world;
struct iommu_group;

enum iommu_domain_type {
	IOMMU_DOMAIN_BLOCKED,
	IOMMU_DOMAIN_IDENTITY,
	IOMMU_DOMAIN_PAGING,
	IOMMU_DOMAIN_NESTED,
	IOMMU_DOMAIN_SVA,       /* a process's page table as stage 1 (sva.h) */
};
const char *iommu_domain_type_name(enum iommu_domain_type t);

/* Where a domain is installed: a PASID entry of a requester id. */
struct iommu_dom_loc {
	uint16_t segment, rid;
	uint32_t pasid;              /* 0: the RID path */
	bool ats;                    /* the requester caches in a device TLB */
	unsigned wrote;              /* IOMMU_WROTE_*: what programming it wrote */
};

struct iommu_domain {
	struct sim_world *w;
	enum iommu_domain_type type;
	uint16_t did;                /* paging and nested domains; 0 otherwise */
	unsigned stage;              /* paging: 1 or 2 */
	bool nest_parent;            /* paging stage 2: nested domains may use it */
	struct io_pgtable pt;        /* paging domains only */
	struct iommu_domain *parent; /* nested: the stage-2 domain */
	uint64_t s1_root;            /* nested: the guest's table (GPA) */
	unsigned s1_levels;
	/* nested over an SMMUv3 vIOMMU (iommu_domain_alloc_nested_ste): the
	 * guest's STE words as the driver validated them, EATS taken out
	 * (ste_ats: the guest asked for ATS); s1_root is its S1ContextPtr
	 * (the IPA of the guest's CD table), s1_levels 0 */
	bool guest_ste;
	uint64_t ste[2];
	bool ste_ats;
	/* nested: installed by the 2020 proposal's guest PASID bind
	 * (gpasid.h), one domain per (device, host PASID): 1 while it is
	 * (the v5.8 driver's sdev; no aux domains, so one bind a pair) */
	unsigned gpasid_users;
	GPtrArray *children;         /* nest parent: its nested domains */
	GArray *locs;                /* struct iommu_dom_loc, in attach order */
	uint64_t aperture_start, aperture_end;   /* inclusive */
	/* paging: the end of the highest range ever mapped (VT-d's
	 * dmar_domain->max_addr; never lowered by an unmap) */
	uint64_t max_addr;
	uint64_t pgsize_bitmap;
	unsigned attached;           /* groups attached */
	bool naive_map;              /* per-page map loop (oracle, baseline) */
	/* dirty tracking (docs/dirty-tracking.md): the domain has the
	 * driver's iommu_dirty_ops (allocated with
	 * IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING), and tracking is on
	 * (iommu_domain_set_dirty_tracking).  A nested domain tracks through
	 * its parent. */
	bool dirty_ops;
	bool dirty_tracking;
	/* SVA (model/iommu/sva.c): the process address space whose CPU page
	 * table is the stage-1 table (@pt a view of it: the table is the
	 * mm's, never this domain's), held by mmgrab; the bonds using the
	 * domain; the mmu notifier that flushes on every change, and whether
	 * its release (the mm's exit) has blocked the domain's PASIDs. */
	struct sim_mm *mm;
	unsigned sva_users;
	bool sva_device_pasid;       /* the 2017 proposal's: a PASID of the device's own */
	struct sim_mmu_notifier mn;
	bool mm_released;
	/* I/O page faults (io_pgfault.h): what answers a page request group
	 * for a (device, PASID) this domain is on; NULL: the core answers
	 * Invalid Request itself */
	int (*iopf_handler)(struct iommu_domain *d, struct iopf_group *g);
	void *iopf_data;             /* the handler's (an iommufd HWPT) */
	/* Another driver's domain (the selftest's mock IOMMU,
	 * model/iommufd/selftest.c): NULL for the simulated IOMMU's own. */
	const struct iommu_domain_ops *ops;
};

/*
 * A domain of a driver other than the simulated IOMMU's, as the kernel's
 * domain->ops: iommu_map, iommu_unmap, iommu_iova_to_phys and
 * iommu_domain_free call these first (each does its own checks; the trace
 * points of map and unmap still fire).  Such a domain is never programmed
 * into the hardware, has no DID, and only its driver's devices attach to it.
 */
struct iommu_domain_ops {
	int (*map)(struct iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t size,
		   unsigned prot);
	uint64_t (*unmap)(struct iommu_domain *d, uint64_t iova, uint64_t size);
	int (*iova_to_phys)(struct iommu_domain *d, uint64_t iova, uint64_t *hpa,
			    unsigned *prot);
	void (*free)(struct iommu_domain *d);
};

/* Kernel bugs a profile may inject (iommu: {bugs: [...]}), each caught by
 * the stale-translation checker (spec §E.6, §H8) or, the last two, by the
 * accounting (§H10) and PASID-entry (§H26) invariants. */
#define IOMMU_BUG_SKIP_IOTLB_FLUSH   (1u << 0)   /* unmap: no IOTLB flush */
#define IOMMU_BUG_SKIP_DEVTLB_FLUSH  (1u << 1)   /* unmap: no ATC invalidation */
#define IOMMU_BUG_FLUSH_BEFORE_WRITE (1u << 2)   /* unmap: flush, then write */
#define IOMMU_BUG_SKIP_NESTED_FLUSH  (1u << 3)   /* stage-2 unmap: combined
						  * entries of nested domains
						  * survive */
#define IOMMU_BUG_SKIP_CTX_FLUSH    (1u << 4)   /* attach: no context- or PASID-
						  * cache invalidation after the
						  * device or PASID entry changed */
#define IOMMU_BUG_SKIP_DIRTY_FLUSH  (1u << 5)   /* read_and_clear_dirty: no IOTLB
						  * flush of what it cleared, so
						  * the next write through a cached
						  * translation is not recorded */
#define IOMMU_BUG_LEAK_PIN_ON_ERROR (1u << 6)   /* type1 MAP_DMA failing part
						  * way: the vfio_dma goes, the
						  * pages pinned (and charged)
						  * for it stay pinned */
#define IOMMU_BUG_PASID_FREE_WHILE_BOUND (1u << 7) /* detach from a PASID: the
						     * kernel forgets the PASID,
						     * the hardware's PASID entry
						     * still selects the domain */
#define IOMMU_BUG_SKIP_MM_INVALIDATE (1u << 8) /* SVA: the mmu notifier's
						 * invalidate flushes neither
						 * the IOTLB nor the device
						 * TLBs, so a page the mm lost
						 * stays reachable by DMA */
#define IOMMU_BUG_COUNT 9
/* "skip-iotlb-flush", "skip-devtlb-flush", "flush-before-write",
 * "skip-nested-flush", "skip-context-flush", "skip-dirty-flush",
 * "leak-pin-on-error", "pasid-free-while-bound", "skip-mm-invalidate" */
const char *iommu_bug_name(unsigned bit);
int iommu_bug_parse(const char *name, unsigned *bit);
/* The IOMMU_BUG_* the world's profile injects (0 without domains). */
unsigned iommu_bugs(struct sim_world *w);

/* Profile options of the IOMMU the kernel drives. */
struct iommu_profile {
	unsigned address_width;      /* 39 or 48 */
	bool default_identity;       /* kernel-owned groups: identity (iommu=pt),
				      * else an empty DMA paging domain */
	bool naive_map;              /* per-page map loop */
	unsigned paging_stage;       /* DMA and user paging domains: 1 or 2
				      * (0: 2, nest-parent capable) */
	bool no_ats;                 /* leave ATS off on capable devices */
	unsigned bugs;               /* IOMMU_BUG_* */
};

/*
 * Set up domains on top of the group core (iommu_core_create) and the
 * hardware (iommu_hw_create): every group gets its default domain attached.
 * 0 or -ENOMEM.
 */
int iommu_domains_init(struct sim_world *w, const struct iommu_profile *prof);

/* A new domain, or NULL (-ENOMEM: fault site "iommu_domain_alloc").  A
 * paging domain gets the profile's stage (iommu_domain_alloc_paging for
 * another); NESTED needs iommu_domain_alloc_nested. */
struct iommu_domain *iommu_domain_alloc(struct sim_world *w, enum iommu_domain_type type);
/* A paging domain at @stage (1 or 2); a stage-2 one may be a nest parent.
 * NULL on -EINVAL (stage) or -ENOMEM. */
struct iommu_domain *iommu_domain_alloc_paging(struct sim_world *w, unsigned stage,
					       bool nest_parent);
/* A nested domain: the guest's stage-1 table at GPA @s1_root with
 * @s1_levels levels over @parent.  0, -EINVAL (parent not a stage-2 nest
 * parent, levels the IOMMU's stage-1 format lacks, a root not 4 KiB
 * aligned), -ENOMEM. */
int iommu_domain_alloc_nested(struct iommu_domain *parent, uint64_t s1_root,
			      unsigned s1_levels, struct iommu_domain **out);
/*
 * A nested domain of an SMMUv3 vIOMMU (arm_vsmmu_alloc_domain_nested, after
 * arm_smmu_validate_vste): the guest's STE words @ste (V 0: already
 * zeroed; Config abort, bypass or stage-1 translate; EATS cleared) over
 * @parent, and whether the guest enabled ATS.  Attached, it programs an
 * abort STE, the parent's stage-2 STE (bypass), or a nested STE over the
 * guest's CD table (hw_ctx_smmuv3.c).  0, -EINVAL (parent not a stage-2
 * nest parent, not SMMUv3), -ENOMEM.
 */
int iommu_domain_alloc_nested_ste(struct iommu_domain *parent, const uint64_t ste[2],
				  bool ats, struct iommu_domain **out);
/* The Config a guest's STE asks for: 0 abort (V 0 too), 4 bypass, 5
 * stage-1 translate (the STE's own encodings). */
unsigned iommu_domain_ste_cfg(const struct iommu_domain *d);
/*
 * An SVA domain for @mm on @dev's IOMMU (iommu_sva_domain_alloc and the
 * driver's domain_alloc_sva: intel_svm_domain_alloc, arm_smmu_sva_domain_alloc):
 * its stage-1 table is the mm's CPU page table (made now if the mm has
 * none, sim_mm_pgd), in the first-stage format of the IOMMU kind, which the
 * world's MMU must be (VT-d: x86-64 4 or 5 levels; SMMUv3: arm64 4K); an
 * mmu notifier registered on the mm flushes the domain's IOTLB and device
 * TLB entries of every range the mm changes, and its release blocks every
 * PASID the domain is on.  The domain holds an mm reference (mmgrab).  0
 * with *out, -EOPNOTSUPP (a kind without SVA, RISC-V), -EINVAL (the CPU
 * format is not one the IOMMU walks, or the mm has no page table of its
 * own: native, exited), -ENOMEM.
 */
int iommu_domain_alloc_sva(struct pci_dev *dev, struct sim_mm *mm, struct iommu_domain **out);
/* Free a domain nothing is attached to (no group, no PASID, no child). */
void iommu_domain_free(struct iommu_domain *d);

/* ---- dirty tracking (docs/dirty-tracking.md) ------------------------------ */

/*
 * device_iommu_capable(dev, IOMMU_CAP_DIRTY_TRACKING), as each driver
 * answers it for the profile's IOMMU (the same for every device here):
 *  - VT-d (intel_iommu_capable, since v6.7): ssads_supported, scalable
 *    mode with ECAP.SLADS and ECAP.SMPWC; the model is always in scalable
 *    mode with coherent walks, so: `iommu.dirty_tracking`.
 *  - SMMUv3 (arm_smmu_capable, since v6.11): arm_smmu_dbm_capable,
 *    ARM_SMMU_FEAT_HD (IDR0.HTTU == 0b10) and ARM_SMMU_FEAT_COHERENCY
 *    (IDR0.COHACC): `iommu.dirty_tracking` and `iommu.coherent_walk`.
 *  - RISC-V: false.  drivers/iommu/riscv has no dirty ops and its
 *    riscv_iommu_capable no IOMMU_CAP_DIRTY_TRACKING; the hardware model
 *    still has the D bit and DC.tc.GADE / SADE (hw_ctx_riscv.c), reachable
 *    by programming a context with IOMMU_CTX_DIRTY_* directly.
 * False before the release that brought each driver's dirty ops.
 */
bool iommu_dirty_tracking_capable(struct sim_world *w);

/* domain_alloc_paging_flags flags: the values of the uAPI's
 * IOMMU_HWPT_ALLOC_NEST_PARENT and IOMMU_HWPT_ALLOC_DIRTY_TRACKING. */
#define IOMMU_DOMAIN_ALLOC_NEST_PARENT    (1u << 0)
#define IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING (1u << 1)
/*
 * The driver's domain_alloc_paging_flags (domain_alloc_user before 6.13):
 * a paging domain for @flags.  0 gives what iommu_domain_alloc(PAGING)
 * gives.  -EOPNOTSUPP for an unknown flag, for DIRTY_TRACKING without the
 * capability, and where the driver refuses the combination:
 *  - VT-d (intel_iommu_domain_alloc_paging_flags): NEST_PARENT or
 *    DIRTY_TRACKING take a second-stage table; both together are fine
 *    (the nested domains over it get SSADE too).  Tracking starts off.
 *  - SMMUv3 (arm_smmu_domain_alloc_paging_flags): DIRTY_TRACKING is a
 *    stage-1 domain whose table has IO_PGTABLE_QUIRK_ARM_HD (writable
 *    leaves carry DBM and start writable-dirty) and whose CD has HA|HD
 *    from the first attach: tracking is always on; NEST_PARENT is a
 *    stage-2 domain; both together are -EOPNOTSUPP (no stage-2 HTTU).
 *  - RISC-V: NEST_PARENT is a stage-2 domain; DIRTY_TRACKING never.
 * 0 with *out, -EOPNOTSUPP, -ENOMEM.
 */
int iommu_domain_alloc_paging_flags(struct sim_world *w, unsigned flags,
				    struct iommu_domain **out);
/*
 * iommu_dirty_ops.set_dirty_tracking.  VT-d (intel_iommu_set_dirty_tracking
 * -> intel_pasid_setup_dirty_tracking): sets or clears SSADE in every PASID
 * entry the domain is installed at, and in those of every nested domain
 * over it, each followed by the PASID-cache invalidation, a
 * domain-selective IOTLB flush, the device TLB and a wait; a domain
 * attached later gets the bit from the start.  SMMUv3
 * (arm_smmu_set_dirty_tracking): nothing to program, HD is always on.
 * 0, -EOPNOTSUPP (no dirty ops), or the programming error (the old state
 * is put back).
 */
int iommu_domain_set_dirty_tracking(struct iommu_domain *d, bool enable);
/* read_and_clear_dirty flags: the kernel's IOMMU_DIRTY_NO_CLEAR. */
#define IOMMU_DIRTY_NO_CLEAR 1u
/*
 * iommu_dirty_ops.read_and_clear_dirty plus the IOTLB sync iommufd does
 * after it (iopt_read_and_clear_dirty_data): walks the domain's table in
 * simulated memory over [iova, iova + size), calls @record (may be NULL:
 * clear only) with each dirty leaf's whole range in address order (a
 * 2 MiB leaf reports 2 MiB), makes it clean unless IOMMU_DIRTY_NO_CLEAR,
 * then flushes the IOTLB (and device TLBs, and nested domains over it)
 * from the first to the last range it cleared.  0, -EOPNOTSUPP (no dirty
 * ops), -EINVAL (unknown flags, an empty or wrapping range, or on VT-d a
 * bitmap (@record) while tracking is off: intel_iommu_read_and_clear_dirty).
 */
int iommu_domain_read_and_clear_dirty(struct iommu_domain *d, uint64_t iova, uint64_t size,
				      unsigned long flags,
				      void (*record)(void *ctx, uint64_t iova, uint64_t len),
				      void *ctx);

/* ---- hardware information (IOMMU_GET_HW_INFO) ----------------------------- */

/*
 * The driver's hw_info op for @dev's IOMMU (docs/dirty-tracking.md): on
 * return *type is an IOMMU_HW_INFO_TYPE_* of <iommusim/uapi/iommufd.h>,
 * *len the driver's full length, and min(*len on entry, that) bytes of it
 * are copied to @data (may be NULL when *len is 0):
 *  - VT-d (intel_iommu_hw_info, since 6.6): INTEL_VTD, struct
 *    iommu_hw_info_vtd with the CAP and ECAP registers
 *    (iommu_hw_vtd_cap/_ecap) and, since 6.7, flags
 *    IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 (set unconditionally);
 *  - SMMUv3 (arm_smmu_hw_info, since 6.14): ARM_SMMUV3, struct
 *    iommu_hw_info_arm_smmuv3 with IDR0..IDR5, IIDR and AIDR
 *    (iommu_hw_smmu_regs), flags 0; before 6.14 SMMUv3 had no hw_info;
 *  - RISC-V: none.
 * Without an op: type NONE and length 0 (what iommufd_get_hw_info answers).
 * 0, or -ENODEV (@dev behind no IOMMU).
 */
int iommu_get_hw_info(struct pci_dev *dev, uint32_t *type, void *data, size_t *len);
/*
 * What iommufd_get_hw_info puts beside the driver's data: out_capabilities
 * (IOMMU_HW_CAP_DIRTY_TRACKING when iommu_dirty_tracking_capable; the PASID
 * control register's EXEC and PRIV bits, which the model's PASID
 * capability never advertises) and out_max_pasid_log2 (ilog2 of
 * dev->iommu->max_pasids: min(the device's 2^width, the IOMMU's
 * max_pasids: VT-d 2 << ECAP.PSS, SMMUv3 1 << IDR1.SSIDSIZE, RISC-V none),
 * 0 without a PASID capability; reported since 6.12).  0 or -ENODEV.
 */
int iommu_get_hw_info_caps(struct pci_dev *dev, uint64_t *capabilities,
			   uint8_t *max_pasid_log2);

/*
 * (device, PASID) attachment (spec §D, §E.1).  PASID 0 is the RID path,
 * which belongs to the group (iommu_attach_group): -EINVAL here.
 * attach: 0, -EINVAL (PASID 0 or beyond the device's width, a blocked or
 * identity domain), -EBUSY (the PASID has a domain), -ENOMEM.
 * replace: the PASID must have a domain; @d takes its place atomically.
 * detach: the PASID must have @d; it then blocks (not present).
 */
int iommu_attach_device_pasid(struct iommu_domain *d, struct pci_dev *dev, uint32_t pasid);
int iommu_replace_device_pasid(struct iommu_domain *d, struct pci_dev *dev, uint32_t pasid);
int iommu_detach_device_pasid(struct iommu_domain *d, struct pci_dev *dev, uint32_t pasid);
/* The domain on (@dev, @pasid), or NULL. */
struct iommu_domain *iommu_device_pasid_domain(struct pci_dev *dev, uint32_t pasid);
/* The device's PASID width as programmed (min of its capability and the
 * IOMMU's). */
unsigned iommu_device_pasid_bits(struct pci_dev *dev);
/* Does the device use ATS (its capability, unless the profile's no_ats)? */
bool iommu_device_ats(struct pci_dev *dev);

/*
 * The global PASID space (iommu_alloc_global_pasid, drivers/iommu/iommu.c),
 * shared by every device and every user (SVA's one PASID per mm, the
 * proposals' binds): the lowest free PASID in [IOMMU_FIRST_GLOBAL_PASID,
 * max_pasids - 1], max_pasids being 1 << iommu_device_pasid_bits(@dev),
 * bound to @owner (non-NULL; whoever holds it, for the invariants).  PASID
 * 0 is IOMMU_NO_PASID, the RID path's, and never handed out.  0 with
 * *pasid; -ENOSPC when the device has no PASID width (max_pasids 0: the
 * kernel's IOMMU_PASID_INVALID, which SVA turns into ENOSPC) or the range
 * is full; -ENOMEM (fault site "ids_alloc").  *pasid is
 * IOMMU_PASID_INVALID on failure.
 */
#define IOMMU_NO_PASID           0u
#define IOMMU_FIRST_GLOBAL_PASID 1u
#define IOMMU_PASID_INVALID      UINT32_MAX
int iommu_alloc_global_pasid(struct pci_dev *dev, void *owner, uint32_t *pasid);
/* The same space, the lowest free PASID in [@min, @max] (clamped to
 * [IOMMU_FIRST_GLOBAL_PASID, IOMMU_PCI_PASID_MAX]: PCIe's 20 bits): what
 * the 2020 series' ioasid_alloc(set, min, max) took from it.  0, -ENOSPC,
 * -ENOMEM. */
#define IOMMU_PCI_PASID_MAX ((1u << 20) - 1)
int iommu_alloc_global_pasid_range(struct sim_world *w, uint32_t min, uint32_t max,
				   void *owner, uint32_t *pasid);
/* iommu_free_global_pasid: back to the space (IOMMU_PASID_INVALID: nothing). */
void iommu_free_global_pasid(struct sim_world *w, uint32_t pasid);
/* The owner @pasid was handed to, or NULL while it is free. */
void *iommu_global_pasid_owner(struct sim_world *w, uint32_t pasid);

/*
 * The guest's invalidation of a nested domain after it edited its stage-1
 * table (HWPT_INVALIDATE, §E.6): IOTLB for every PASID the domain is on,
 * then the device TLBs, then a wait.  size 0: everything.  0 or -EINVAL.
 */
int iommu_nested_invalidate(struct iommu_domain *d, uint64_t iova, uint64_t size);

/*
 * A guest's invalidation of one PASID's entries in nested domain @d: for
 * @dev's @pasid (@dev NULL: every PASID and device @d is on) in [iova,
 * iova + size) (size 0: all of it), the IOTLB (IOMMU_NESTED_FLUSH_IOTLB)
 * and the device TLB of an ATS device (IOMMU_NESTED_FLUSH_DEVTLB), then a
 * wait.
 */
#define IOMMU_NESTED_FLUSH_IOTLB  (1u << 0)
#define IOMMU_NESTED_FLUSH_DEVTLB (1u << 1)
void iommu_nested_flush(struct iommu_domain *d, struct pci_dev *dev, uint32_t pasid,
			uint64_t iova, uint64_t size, unsigned what);

/*
 * Attach @d to every device of @g (all RIDs and aliases); the group's
 * previous domain's IOTLB entries are invalidated.  0, -EBUSY (@g is not on
 * its default or blocking domain: detach first), -ENOMEM (all restored).
 */
int iommu_attach_group(struct iommu_domain *d, struct iommu_group *g);
/* iommu_group_replace_domain: move @g from whatever domain it is on to @d
 * in place, each context entry rewritten once (no blocked moment between),
 * then the old domain's IOTLB entries invalidated.  0 or -ENOMEM (the old
 * domain stays). */
int iommu_group_replace_domain(struct iommu_group *g, struct iommu_domain *d);
/* Back to the blocking domain (user-owned group) or the default domain. */
void iommu_detach_group(struct iommu_domain *d, struct iommu_group *g);

struct iommu_domain *iommu_group_domain(struct iommu_group *g);
/* The paging domain with id @did, or NULL. */
struct iommu_domain *iommu_domain_by_did(struct sim_world *w, uint16_t did);
struct iommu_domain *iommu_group_default_domain(struct iommu_group *g);

/* Map / unmap in a paging domain (spec §C).  iommu_map: 0, -EINVAL,
 * -EEXIST, -ENOMEM (nothing mapped).  iommu_unmap returns the bytes
 * unmapped after the IOTLB invalidation has completed. */
int iommu_map(struct iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t size,
	      unsigned prot);
uint64_t iommu_unmap(struct iommu_domain *d, uint64_t iova, uint64_t size);
/* What a leaf iommu_map writes for @prot grants in @d (IOMMU_READ |
 * IOMMU_WRITE): the format's encoding of the kernel's bits, which for a
 * VT-d second-level table under kernel 6.1 or 6.12 always include READ
 * (domain.c, kernel_pte_prot).  0 for a domain that is not paging. */
unsigned iommu_domain_pte_prot(const struct iommu_domain *d, unsigned prot);
/*
 * The driver's enforce_cache_coherency for a paging domain that has just
 * been attached (no mappings yet): intel_iommu_enforce_cache_coherency
 * needs snoop control on the IOMMU; arm_smmu_enforce_cache_coherency (since
 * v6.13, the nesting series) needs CANWBS on every master, and before it
 * SMMUv3 had no such op; the RISC-V driver has none.  False when the
 * domain cannot guarantee coherent DMA.
 */
bool iommu_domain_enforce_cache_coherency(const struct iommu_domain *d);
/* iommu_group_has_isolated_msi: the IOMMU remaps (isolates) the MSIs of
 * @g's devices; false when the profile says it has no interrupt remapping. */
bool iommu_group_has_isolated_msi(struct sim_world *w, struct iommu_group *g);
/* device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY): DMA through the
 * IOMMU is cache coherent.  intel_iommu_capable says yes; arm_smmu_capable
 * only for a coherent SMMU (ARM_SMMU_FEAT_COHERENCY, from IDR0.COHACC); the
 * RISC-V kind is taken as coherent. */
bool iommu_dev_cache_coherent(struct sim_world *w);
/* What the domain's page table says of @iova: 0 or -ENOENT.  For a nested
 * domain: the guest's stage 1 read through the parent's stage 2 (every
 * stage-1 table must be readable there, §H24), then stage 2, with the
 * permission S1 ∩ S2. */
int iommu_iova_to_phys(struct iommu_domain *d, uint64_t iova, uint64_t *hpa,
		       unsigned *prot);
/* The same for a guest's STE (iommu_domain_alloc_nested_ste) and one
 * substream: @ssid's CD (IOMMU_PASID_NONE: the untagged stream, which
 * S1DSS decides) in the guest's CD table, read through stage 2 like every
 * stage-1 table; abort, or a CD that is missing or malformed, -ENOENT. */
int iommu_nested_ste_to_phys(const struct iommu_domain *d, uint32_t ssid, uint64_t iova,
			     uint64_t *hpa, unsigned *prot);

/* Used by the group core around ownership changes: move @g to the blocking
 * domain (0, or -EBUSY when it is not on its default domain) and back.
 * Without domains (iommu_domains_init not run) both do nothing. */
int iommu_group_block(struct iommu_group *g);
void iommu_group_unblock(struct iommu_group *g);

/* How many devices have a 2020 guest PASID bind on @pasid (gpasid.c): the
 * driver's "an svm exists for this PASID". */
unsigned iommu_pasid_gpasid_binds(struct sim_world *w, uint32_t pasid);

/* The I/O page fault layer's state (io_pgfault.c), kept with the domains'. */
void **iommu_iopf_slot(struct sim_world *w);

/* The domain layer's state hangs off the group core (core.c). */
void *iommu_core_domains(struct sim_world *w);
int iommu_core_set_domains(struct sim_world *w, void *domains, void (*destroy)(void *));

struct iommu_resv_region {
	uint64_t start, end;         /* inclusive */
	const char *type;            /* "msi" */
};
/*
 * The reserved regions of @g's devices, as each kind's driver reports them:
 * VT-d (intel_iommu_get_resv_regions) the IOAPIC/MSI range 0xfee00000-
 * 0xfeefffff (IOMMU_RESV_MSI; no RMRRs on the simulated platform); SMMUv3
 * (arm_smmu_get_resv_regions) the software MSI window MSI_IOVA_BASE
 * 0x8000000, 1 MiB (IOMMU_RESV_SW_MSI), both shown as "msi" in sysfs; the
 * RISC-V driver reports none.  Returns how many there are (at most @max
 * are written).
 */
size_t iommu_get_resv_regions(struct sim_world *w, struct iommu_group *g,
			      struct iommu_resv_region *out, size_t max);

/* iommu domain trace points */
#define TP_iommu_domain_alloc  "did=%u type=%s"
#define TP_iommu_pasid_attach  "dev=%s pasid=%u did=%u type=%s op=%s ret=%d"
#define TP_iommu_domain_free   "did=%u type=%s"
#define TP_iommu_attach        "group=%u did=%u type=%s ret=%d"
#define TP_iommu_map           "did=%u iova=0x%llx hpa=0x%llx size=0x%llx prot=%s ret=%d"
#define TP_iommu_unmap         "did=%u iova=0x%llx size=0x%llx unmapped=0x%llx"
#define TP_iommu_dirty_tracking "did=%u enable=%u ret=%d"
#define TP_iommu_read_dirty    "did=%u iova=0x%llx size=0x%llx no_clear=%u leaves=%d ret=%d"

#endif
