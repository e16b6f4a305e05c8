/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU hardware model (spec §E, §F ATS): what the silicon does with
 * what the kernel programmed into memory.  Only bytes in simulated memory
 * decide a translation; the kernel side (domain.c) writes them through the
 * calls below and keeps the caches coherent with invalidation commands.
 *
 * Device-context structures: each kind its own, with the real layouts
 * (hw_ctx.h; docs/context-structures.md draws them): VT-d's root table,
 * scalable-mode context entries, PASID directory and PASID entries;
 * SMMUv3's stream table, STEs, CD tables and CDs; RISC-V's device
 * directory table, device contexts, process directory table and process
 * contexts.  The kernel asks for a context per (segment, requester id,
 * PASID) below, the kind's driver half writes its tables, and the hardware
 * reads them back.  PASID 0 here is the RID path: untagged DMA (VT-d's
 * RID_PASID, SMMUv3's SSID 0 or the STE alone, RISC-V's process 0 or the
 * device context alone).  Each entry read counts as one memory reference;
 * device-level reads (root, context / stream table, STE / DDT, DC) are
 * counted apart (ctx_refs) from PASID-level reads (PASID directory and
 * entry / CD table and CD / PDT and PC: pasid_refs) and from page-table
 * reads (pt_refs).
 *
 * The profile picks the IOMMU kind, and so the page-table formats of the
 * two stages: vtd (vtd-fs over vtd-ss), arm-smmuv3 (arm-s1 over arm-s2,
 * 4 KiB granule), riscv (Sv39/48/57 over Sv39x4/48x4/57x4).
 *
 * Caches, each optional with its size from the profile: the context cache
 * (decoded device entries, by segment and requester id) and the PASID
 * cache (decoded PASID-level entries, by segment, requester id and PASID);
 * and in one data structure (iotlb.h): the IOTLB (final translations, tagged by domain id
 * and PASID; stage-2-only entries are not PASID-tagged; nested walks leave
 * combined stage-1+2 entries), the paging-structure caches (non-leaf
 * descriptors of either stage), the PASID cache (PASID entries) and, per
 * ATS device, the device TLB.  Invalidation is by commands
 * (iommu_hw_invalidate), processed in order.
 */
#ifndef MODEL_IOMMU_HW_H
#define MODEL_IOMMU_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/iommu/pgtable.h"

struct sim_world;

/* ---- kinds and formats ------------------------------------------------------ */

enum iommu_hw_kind {
	IOMMU_HW_VTD,
	IOMMU_HW_SMMUV3,
	IOMMU_HW_RISCV,
};
const char *iommu_hw_kind_name(enum iommu_hw_kind k);      /* "vtd", ... */
/* 0, or -EINVAL for a name that is no kind. */
int iommu_hw_kind_parse(const char *name, enum iommu_hw_kind *out);
/* The table format of @stage with @levels levels on @kind, or NULL when the
 * kind has no such table (vtd-fs has no 3-level form; ARM stops at 4). */
const struct io_pgtable_fmt *iommu_hw_fmt(enum iommu_hw_kind k, enum io_pgtable_stage stage,
					  unsigned levels);

/* ---- configuration ------------------------------------------------------------ */

struct iommu_hw_config {
	enum iommu_hw_kind kind;
	unsigned iotlb_entries;      /* 0 disables the IOTLB */
	bool naive_iotlb;            /* linear-scan caches (oracle, baseline) */
	unsigned psc_entries;        /* paging-structure cache; 0: none */
	unsigned ctx_cache_entries;  /* device entries (context cache, SMMUv3's
				      * configuration cache for STEs, RISC-V's
				      * DDT cache); 0: none */
	unsigned pasid_cache_entries;/* PASID entries, CDs, process contexts; 0: none */
	unsigned atc_entries;        /* each ATS device's TLB; 0: none */
	unsigned fault_queue_len;    /* records kept; older ones are dropped */
	unsigned prq_entries;        /* page request queue entries (0: IOMMU_HW_DEFAULT_PRQ) */
	unsigned pasid_bits;         /* the IOMMU's PASID width, 0..20 */
	/* SMMUv3: a linear stream table (one STE per StreamID) instead of the
	 * two-level one (256 STEs per level-2 table) Linux uses when the
	 * SMMU has it (IDR0.ST_LEVEL) */
	bool smmu_linear_strtab;
	/* RISC-V: the device directory table's levels, 1..3 (0: 3, what
	 * Linux picks on QEMU's riscv-iommu: ddtp.iommu_mode 3LVL) */
	unsigned riscv_ddt_levels;
	/* Devices keep their DMA streams running while the kernel changes
	 * tables: right after each invalidation command, the translations it
	 * dropped are asked for again (the hardware may cache any present
	 * translation at any time).  This is what makes a wrong order of
	 * table write and invalidation observable. */
	bool busy_dma;
	/* The IOMMU can force DMA to snoop CPU caches: VT-d's ECAP.SC (snoop
	 * control; QEMU's intel-iommu leaves it off by default), on SMMUv3 the
	 * root complex's CANWBS attribute (IORT).  The kernel's
	 * enforce_cache_coherency reads it (type1's VFIO_DMA_CC_IOMMU). */
	bool snoop_control;
	/* No interrupt remapping / MSI isolation (VT-d without IR, an
	 * SMMUv3 without an isolating ITS): the IOMMU cannot tell a device's
	 * MSI writes apart, so type1 refuses to attach without its
	 * allow_unsafe_interrupts option (iommu_group_has_isolated_msi). */
	bool no_irq_remapping;
	/* An SMMUv3 whose table walks do not snoop CPU caches (IDR0.COHACC
	 * clear): arm_smmu_capable(IOMMU_CAP_CACHE_COHERENCY) is false, and
	 * VFIO refuses to register its devices. */
	bool no_coherent_walk;
	/* No hardware dirty tracking (docs/dirty-tracking.md): VT-d without
	 * ECAP.SLADS (second-stage accessed/dirty, the kernel's "SSADS"),
	 * an SMMUv3 whose IDR0.HTTU is not 0b10 (access flag and dirty
	 * state), a RISC-V IOMMU without capabilities.AMO_HWAD.  With it
	 * (the default) the walk records device writes in the tracked
	 * stage's leaves when the context asks for it: the PASID entry's
	 * SSADE, the CD's HA and HD, the device context's GADE / SADE. */
	bool no_dirty_tracking;
	/* No nested translation for user space: VT-d without ECAP.NEST (QEMU
	 * 7.2's intel-iommu), so the kernel refuses NEST_PARENT domains
	 * (intel_iommu_domain_alloc_user: nested_supported) and, on SMMUv3
	 * from 6.13, without ARM_SMMU_FEAT_NESTING.  The walker itself still
	 * does two stages (the model's own nested domains). */
	bool no_nesting;
	/* The simulator's front cache (a memo of cache-only answers, no
	 * cache of the modelled hardware) off: every translation takes the
	 * slow path.  Nothing observable may change: a baseline for figures
	 * and a differential check. */
	bool no_front;
	/* Stale-translation checker: every answer a cache gives is compared
	 * with a fresh walk; a difference is recorded as a violation
	 * (iommu_hw_take_violations). */
	bool check;
};
#define IOMMU_HW_DEFAULT_IOTLB 512
#define IOMMU_HW_DEFAULT_ATC 64
#define IOMMU_HW_DEFAULT_FAULTQ 256
#define IOMMU_HW_DEFAULT_PRQ 32
#define IOMMU_HW_DEFAULT_CTX_CACHE 64
#define IOMMU_HW_DEFAULT_PASID_CACHE 64
#define IOMMU_HW_MAX_PASID_BITS 20
/* The defaults: vtd, IOTLB 512, ATC 64, context and PASID caches 64 each,
 * no PSC, 20-bit PASIDs. */
void iommu_hw_config_default(struct iommu_hw_config *cfg);

/*
 * Install the hardware in slot SIM_SUBSYS_IOMMU_HW and register it as the
 * PCI layer's DMA handler.  0, -EEXIST, -EINVAL (a bad config), -ENOMEM.
 */
int iommu_hw_create(struct sim_world *w, const struct iommu_hw_config *cfg);
const struct iommu_hw_config *iommu_hw_config(struct sim_world *w);

/* ---- devices, PASID entries ---------------------------------------------------- */

struct iommu_dev_ctx {
	unsigned pasid_bits;         /* 0: PASID 0 only */
	bool ats;                    /* device-TLB enable */
};

/*
 * Program the context entry of (@segment, @rid): an empty PASID directory
 * for @dc->pasid_bits.  Programming it again with the same width only
 * updates the ATS bit; another width is -EBUSY while PASID entries are
 * present.  0, -EINVAL (width > the IOMMU's), -EBUSY, -ENOMEM.
 */
int iommu_hw_set_device(struct sim_world *w, uint16_t segment, uint16_t rid,
			const struct iommu_dev_ctx *dc);
/* Clear the context entry and free its PASID directory and tables. */
int iommu_hw_clear_device(struct sim_world *w, uint16_t segment, uint16_t rid);

/* What a programming call wrote (iommu_hw_program_*): the kernel then
 * invalidates the matching cache (IOMMU_INV_CTX_CACHE for a device entry,
 * IOMMU_INV_PASID_CACHE for a PASID-level one). */
#define IOMMU_WROTE_DEVICE 1u        /* context entry / STE / device context */
#define IOMMU_WROTE_PASID  2u        /* PASID entry / CD / process context */
/* Is ATS on in the device entry of (@segment, @rid) (false: none)? */
bool iommu_hw_device_ats(struct sim_world *w, uint16_t segment, uint16_t rid);
int iommu_hw_program_device(struct sim_world *w, uint16_t segment, uint16_t rid,
			    const struct iommu_dev_ctx *dc, unsigned *wrote);

enum iommu_ctx_type {
	IOMMU_CTX_TRANSLATE = 0,     /* stage 2 only (the RID path's paging) */
	IOMMU_CTX_PASSTHROUGH = 1,
	IOMMU_CTX_BLOCKED = 2,
	IOMMU_CTX_S1 = 3,            /* stage 1 only, root an HPA */
	IOMMU_CTX_NESTED = 4,        /* stage 1 (root a GPA) over stage 2 */
};
const char *iommu_ctx_type_name(enum iommu_ctx_type t);

/* What a PASID entry selects. */
struct iommu_context {
	enum iommu_ctx_type type;
	/* domain id: tags cache entries (16 bits, but for the tag of a CD a
	 * guest owns, IOMMU_GUEST_TAG) */
	uint32_t did;
	uint64_t s1_root;            /* S1 (HPA), NESTED (GPA) */
	unsigned s1_levels;
	uint64_t s2_root;            /* TRANSLATE, NESTED (HPA) */
	unsigned s2_levels;
	/* NESTED: the stage-2 parent's domain id, where the kind tags stage 2
	 * apart (SMMUv3's VMID, RISC-V's GSCID); VT-d has one DID per PASID
	 * entry and reads it back as 0 */
	uint16_t s2_did;
	/* The stages whose leaves the hardware marks dirty on a write
	 * (IOMMU_CTX_DIRTY_S1 | _S2), as each kind encodes it: VT-d's PASID
	 * entry SSADE (stage 2 of a second-stage or nested entry), SMMUv3's
	 * CD HA|HD (a stage-1 CD), RISC-V's device-context SADE (first stage)
	 * and GADE (G-stage).  A kind refuses a stage it cannot encode
	 * (-EINVAL) and every kind refuses it without the capability. */
	unsigned dirty;
	/* NESTED on SMMUv3 through a vIOMMU (model/iommufd/viommu.c): the
	 * guest's own STE words as the driver validated them (Config
	 * S1_TRANS; S1ContextPtr, an IPA, S1Fmt and S1CDMax in @vste0; S1DSS
	 * and the CD fetch attributes in @vste1, EATS there meaning "the
	 * guest enabled ATS").  The guest owns the CD table behind it, which
	 * the hardware reads through the stage 2; s1_root and s1_levels are
	 * unused, did is IOMMU_GUEST_TAG(s2_did, 0).  Other kinds refuse it. */
	bool vste;
	uint64_t vste0, vste1;
};
/* The cache tag of a CD under a nested STE whose CD table the guest owns:
 * the STE's VMID and the CD's ASID, as an SMMU tags its TLB entries (a
 * host domain id is below 0x10000, a VMID is never 0). */
#define IOMMU_GUEST_TAG(vmid, asid) (((uint32_t)(vmid) << 16) | (uint16_t)(asid))
#define IOMMU_GUEST_TAG_VMID(tag)   ((uint16_t)((tag) >> 16))
#define IOMMU_CTX_DIRTY_S1 1u
#define IOMMU_CTX_DIRTY_S2 2u

/*
 * Write the PASID entry (@pasid) of (@segment, @rid); the context entry is
 * created (PASID width 0, no ATS) when missing.  The caller invalidates the
 * PASID cache and the old domain's IOTLB entries (domain.c).  0, -EINVAL (a
 * PASID beyond the entry's width, levels the kind's formats lack, a root not
 * 4 KiB aligned), -ENOMEM.
 */
int iommu_hw_set_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid,
		       const struct iommu_context *ctx);
/* Set (@ctx) or clear (NULL) and say what was written.  Besides the errors
 * above, -EBUSY / -EINVAL when the kind's structures cannot hold it with
 * the device's other entries (hw_ctx.h: SMMUv3 and RISC-V have one stage 2
 * per device); nothing is written then. */
int iommu_hw_program_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid,
			   const struct iommu_context *ctx, unsigned *wrote);
int iommu_hw_clear_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid);
/* Read back what memory holds: 0 or -ENOENT. */
int iommu_hw_get_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid,
		       struct iommu_context *ctx);
/* Call @fn for each PASID entry past PASID 0 that was programmed and not
 * cleared since, in ascending (segment, rid, pasid) order; stops at the
 * first non-zero return, which it returns (the §H26 checker reads each
 * back with iommu_hw_get_pasid). */
int iommu_hw_for_each_pasid(struct sim_world *w,
			    int (*fn)(uint16_t segment, uint16_t rid, uint32_t pasid, void *arg),
			    void *arg);
/* The RID path: PASID entry 0. */
int iommu_hw_set_context(struct sim_world *w, uint16_t segment, uint16_t rid,
			 const struct iommu_context *ctx);
int iommu_hw_clear_context(struct sim_world *w, uint16_t segment, uint16_t rid);
int iommu_hw_get_context(struct sim_world *w, uint16_t segment, uint16_t rid,
			 struct iommu_context *ctx);

/* ---- invalidation ----------------------------------------------------------------- */

#define IOMMU_PASID_NONE 0xffffffffu   /* the untagged (stage-2-only) entries */

enum iommu_inv_type {
	IOMMU_INV_IOTLB_ALL,         /* every IOTLB and paging-structure entry */
	IOMMU_INV_IOTLB_DOMAIN,      /* @did, every PASID tag */
	IOMMU_INV_IOTLB_PASID,       /* (@did, @pasid) */
	IOMMU_INV_IOTLB_RANGE,       /* (@did, @pasid) in [iova, iova + size) */
	IOMMU_INV_PASID_CACHE,       /* (@segment, @rid, @pasid); @pasid NONE: all */
	IOMMU_INV_DEVTLB,            /* ATC of (@segment, @rid): @pasid tag, range */
	IOMMU_INV_WAIT,              /* completion of everything before it */
	IOMMU_INV_CTX_CACHE,         /* the device entry of (@segment, @rid) */
	/* every entry the CDs a guest owns put there under VMID @did (the
	 * tags IOMMU_GUEST_TAG(@did, any ASID)); the VMID's own stage-2-only
	 * entries stay (IOTLB_DOMAIN of @did drops those) */
	IOMMU_INV_IOTLB_VM,
};
const char *iommu_inv_type_name(enum iommu_inv_type t);
/* The kind's own name of a command: VT-d's context-cache / PASID-cache /
 * IOTLB / device-TLB invalidation descriptors and invalidation wait;
 * SMMUv3's CFGI_STE, CFGI_CD(_ALL), TLBI_*, ATC_INV, CMD_SYNC; RISC-V's
 * IODIR.INVAL_DDT / INVAL_PDT, IOTINVAL.VMA / GVMA, ATS.INVAL, IOFENCE.C. */
const char *iommu_inv_cmd_name(enum iommu_hw_kind k, enum iommu_inv_type t);

struct iommu_inv_cmd {
	enum iommu_inv_type type;
	uint32_t did;                /* a domain id or an IOMMU_GUEST_TAG */
	uint32_t pasid;              /* a PASID, or IOMMU_PASID_NONE */
	uint64_t iova, size;         /* RANGE, DEVTLB (size 0: the whole tag) */
	bool leaf;                   /* RANGE: leaves only, keep the PSC */
	uint16_t segment, rid;       /* PASID_CACHE, DEVTLB */
};

/*
 * Process @n commands in order (the invalidation queue).  A device-TLB
 * invalidation completes at the next WAIT; one left without a WAIT when
 * the kernel's operation ends is a violation the checker reports.
 * Returns the number of cache entries dropped.
 */
unsigned iommu_hw_invalidate(struct sim_world *w, const struct iommu_inv_cmd *cmds, size_t n);
/* Shorthands (each followed by nothing: no WAIT). */
void iommu_hw_inv_domain(struct sim_world *w, uint32_t did);
void iommu_hw_inv_range(struct sim_world *w, uint32_t did, uint64_t iova, uint64_t size);
void iommu_hw_inv_all(struct sim_world *w);

/* ---- faults ---------------------------------------------------------------------------- */

/* Fault reasons; the values are the public SIM_FAULT_* ones. */
enum iommu_fault_reason {
	IOMMU_FAULT_NONE = 0,
	IOMMU_FAULT_NO_CONTEXT = 1,  /* no context entry / PASID-0 entry (RID path) */
	IOMMU_FAULT_NOT_PRESENT = 2, /* translation fault: no mapping, or blocked */
	IOMMU_FAULT_PERMISSION = 3,  /* mapped without the access asked for */
	IOMMU_FAULT_ADDR_SIZE = 4,   /* beyond the stage's input size */
	IOMMU_FAULT_NO_PASID = 5,    /* a PASID with no entry, or beyond the width */
	/* a page request's answer ended the DMA (hw_pri.c): Invalid Request,
	 * Response Failure (PRI now disabled), or none yet (the function waits) */
	IOMMU_FAULT_PRI_INVALID = 6,
	IOMMU_FAULT_PRI_FAILURE = 7,
	IOMMU_FAULT_PRI_PENDING = 8,
};
const char *iommu_fault_reason_name(enum iommu_fault_reason r);

enum iommu_fault_phase {
	IOMMU_PHASE_FINAL = 0,       /* the access itself */
	IOMMU_PHASE_S1_FETCH = 1,    /* a stage-1 descriptor fetch (nested) */
};

struct iommu_fault_rec {
	uint64_t seq;                /* 1, 2, ... in the order faults happened */
	uint16_t segment;
	uint16_t rid;
	bool pasid_valid;
	uint32_t pasid;
	uint64_t addr;               /* the request's input address */
	bool write;
	enum iommu_fault_reason reason;
	unsigned stage;              /* 0 (context / PASID entry), 1, 2 */
	enum iommu_fault_phase phase;
	uint64_t stage_addr;         /* the faulting address of that stage:
				      * IOVA for stage 1, GPA for stage 2 */
	bool ats;                    /* an ATS translation request answered
				      * "no access" (not queued: no record) */
	uint16_t code;               /* the kind's own fault code (below) */
};

/*
 * The kind's own fault code of a record (struct iommu_fault_rec.code).
 *
 * VT-d: the Fault Reason of the fault record (FRCD.FR), as the VT-d
 * specification encodes it.  Legacy mode's codes for what legacy mode can
 * translate: a request without PASID through a second-stage-only entry, or
 * one that failed before an entry was chosen (the oracle's QEMU runs in
 * legacy mode).  Second-stage entries have no present bit: an entry
 * without R and W is not present, and the walk checks the access against
 * R or W at every level, so a missing leaf or a missing table is a
 * permission fault of the request's direction (QEMU's vtd_iova_to_slpte
 * does the same).  A blocked entry reports what Linux's blocking domain is
 * in legacy mode, a cleared context entry.  Scalable mode's codes (0x30 and
 * up) for what only scalable mode has: PASID-tagged requests, first-stage
 * and nested entries (not checked by the oracle).
 *
 * The other kinds: 0 (their event codes are not modelled yet).
 */
#define IOMMU_VTD_FR_ROOT_NOT_PRESENT  0x01  /* root entry P clear */
#define IOMMU_VTD_FR_CTX_NOT_PRESENT   0x02  /* context entry P clear, or blocked */
#define IOMMU_VTD_FR_CTX_INVALID       0x03  /* context entry programmed wrong */
#define IOMMU_VTD_FR_ADDR_BEYOND_AW    0x04  /* input above the address width */
#define IOMMU_VTD_FR_WRITE             0x05  /* a write, an entry without W */
#define IOMMU_VTD_FR_READ              0x06  /* a read, an entry without R */
#define IOMMU_VTD_FR_SM_ROOT_NOT_PRESENT   0x39
#define IOMMU_VTD_FR_SM_CTX_NOT_PRESENT    0x41
#define IOMMU_VTD_FR_SM_CTX_INVALID        0x43
#define IOMMU_VTD_FR_SM_PASID_TOO_LARGE    0x46  /* beyond the context's PASID width */
#define IOMMU_VTD_FR_SM_PDIR_NOT_PRESENT   0x51  /* PASID-directory entry P clear */
#define IOMMU_VTD_FR_SM_PASID_NOT_PRESENT  0x59  /* PASID entry P clear, or blocked */
#define IOMMU_VTD_FR_SM_PASID_INVALID      0x5b  /* PASID entry programmed wrong */
#define IOMMU_VTD_FR_SM_FS_NOT_PRESENT     0x71  /* first-stage entry P clear */
#define IOMMU_VTD_FR_SM_FS_ADDR_BEYOND     0x74  /* nested: a first-stage output or
					      * table GPA beyond stage 2 */
#define IOMMU_VTD_FR_SM_FS_ROOT_NO_READ    0x75  /* nested: the first-stage root
					      * table, stage 2 refuses the read */
#define IOMMU_VTD_FR_SM_FS_TABLE_NO_READ   0x76  /* nested: a lower first-stage
					      * table, likewise */
#define IOMMU_VTD_FR_SM_NOT_CANONICAL      0x80  /* beyond the first stage's width */
#define IOMMU_VTD_FR_SM_ADDR_BEYOND        0x83  /* beyond the second stage's width */
#define IOMMU_VTD_FR_SM_WRITE              0x85
#define IOMMU_VTD_FR_SM_READ               0x86

/* Fault queue: records oldest first. */
size_t iommu_hw_fault_count(struct sim_world *w);
const struct iommu_fault_rec *iommu_hw_fault_at(struct sim_world *w, size_t i);
void iommu_hw_fault_clear(struct sim_world *w);

/* ---- translation and DMA ------------------------------------------------------------- */

struct iommu_xlate {
	uint64_t hpa;                /* translated address of the input */
	unsigned prot;               /* IOMMU_READ | IOMMU_WRITE (S1 ∩ S2) */
	uint64_t page_size;          /* the translation's span */
	bool iotlb_hit, atc_hit, pasid_cache_hit, ctx_cache_hit;
	unsigned psc_hits;
	unsigned ctx_refs;           /* root + context entry reads */
	unsigned pasid_refs;         /* PASID directory + entry reads */
	unsigned pt_refs;            /* page-table descriptor reads (both stages) */
	unsigned s1_refs, s2_refs;   /* pt_refs by stage */
	/* the context tracks writes and the tracked leaf is clean: a write
	 * through this translation would mark it (an ATS answer to a read
	 * grants no write then, as for a request with No-Write) */
	bool write_clean;
	struct iommu_fault_rec fault;   /* reason NONE when it translated */
};

/*
 * Translate one access in the IOMMU (as for an untranslated request).
 * 0 with @out filled, or -EFAULT with out->fault set and a record queued.
 */
int iommu_hw_translate(struct sim_world *w, uint16_t segment, uint16_t rid,
		       bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
		       struct iommu_xlate *out);

/*
 * A device-initiated DMA of @len bytes at @addr.  Without ATS: translated
 * page by page by the IOMMU.  With ATS enabled in the context entry: each
 * page is looked up in the device TLB; a miss sends a translation request
 * (the answer fills the device TLB, "no access" ends the DMA with
 * fault->ats set and nothing queued) and the access goes out translated,
 * bypassing the IOMMU.  A write copies @buf to host memory, a read fills
 * it.  Stops at the first fault: -EFAULT with *fault filled (when not NULL);
 * bytes before it have been transferred, as on a real bus.
 */
int iommu_hw_dma(struct sim_world *w, uint16_t segment, uint16_t rid,
		 bool pasid_valid, uint32_t pasid, uint64_t addr, void *buf,
		 size_t len, bool write, struct iommu_fault_rec *fault);

/* ---- page requests (PRI, hw_pri.c) ----------------------------------------------------- */

/* PCIe Page Request Group Response codes. */
#define IOMMU_PAGE_RESP_SUCCESS 0x0
#define IOMMU_PAGE_RESP_INVALID 0x1
#define IOMMU_PAGE_RESP_FAILURE 0xf

/* One page request message (or a stop marker: @stop, @last, no access). */
struct iommu_page_req {
	uint16_t segment, rid;
	bool pasid_valid;
	uint32_t pasid;
	uint64_t addr;               /* the page */
	bool read, write;
	uint16_t prgi;               /* page request group index, 0..511 */
	bool last, stop;
};

/* The kernel's page request interrupt handler: drains the queue with
 * iommu_hw_prq_pop. */
typedef void (*iommu_prq_handler)(struct sim_world *w, void *ctx);
void iommu_hw_set_prq_handler(struct sim_world *w, iommu_prq_handler fn, void *ctx);

/* pci_enable_pri: the function may send page requests, at most @alloc
 * groups outstanding (its Outstanding Page Request Allocation); enabling
 * clears Response Failure.  0 or -EINVAL.  disable: it sends no more. */
int iommu_hw_pri_enable(struct sim_world *w, uint16_t seg, uint16_t rid, unsigned alloc);
void iommu_hw_pri_disable(struct sim_world *w, uint16_t seg, uint16_t rid);
struct iommu_pri_state {
	bool enabled, failed;        /* failed: Response Failure came, PRI is off */
	unsigned alloc, outstanding;
};
int iommu_hw_pri_state(struct sim_world *w, uint16_t seg, uint16_t rid,
		       struct iommu_pri_state *out);

/*
 * The function sends @r: -EINVAL (a PRGI beyond 9 bits), -EPERM (PRI not
 * enabled, or disabled by a Response Failure), -EBUSY (a last request for
 * a group still waiting, or past the allocation), -ENOSPC (the queue was
 * full: dropped, the overflow bit set, and a last request answered Success
 * by the IOMMU), 0 (queued; the handler runs).
 */
int iommu_hw_page_request(struct sim_world *w, const struct iommu_page_req *r);
/* The oldest entry: 0, or -ENOENT when the queue is empty. */
int iommu_hw_prq_pop(struct sim_world *w, struct iommu_page_req *out);
/* Did a request find the queue full since the bit was last cleared? */
bool iommu_hw_prq_overflow(struct sim_world *w, bool clear);
/* The kernel's Page Group Response: -EINVAL for a code that is not one of
 * the three; one for no group waiting is ignored by the function (and
 * reported by iommu_hw_take_violations: §H22).  0. */
int iommu_hw_page_response(struct sim_world *w, uint16_t seg, uint16_t rid, bool pasid_valid,
			   uint32_t pasid, uint16_t prgi, uint8_t code);
struct iommu_pri_stats {
	uint64_t requests, responses, auto_responses, overflows, unexpected, queued;
};
void iommu_hw_pri_stats(struct sim_world *w, struct iommu_pri_stats *out);

/* ---- capability registers ------------------------------------------------------------ */

/*
 * The identification registers each kind's driver reads at probe and
 * hands to userspace through IOMMU_GET_HW_INFO, computed from @cfg and
 * the profile's address width (39 or 48), every field from its definition
 * (hw_regs.c; docs/dirty-tracking.md has the table).  No MMIO register
 * file is modelled, so the fields that locate one (VT-d's FRO, IRO, NFR,
 * SMMUv3's queue and IIDR identity) say "none" as far as their encodings
 * allow.
 */
uint64_t iommu_hw_vtd_cap(const struct iommu_hw_config *cfg, unsigned address_width);
uint64_t iommu_hw_vtd_ecap(const struct iommu_hw_config *cfg);
struct iommu_hw_smmu_regs {
	uint32_t idr[6];             /* SMMU_IDR0..IDR5 */
	uint32_t iidr, aidr;
};
void iommu_hw_smmu_regs(const struct iommu_hw_config *cfg, unsigned address_width,
			struct iommu_hw_smmu_regs *out);

/* ---- observation --------------------------------------------------------------------- */

struct iommu_hw_stats {
	uint64_t translations, walks, ctx_refs, pasid_refs, pt_refs;
	uint64_t iotlb_hits, iotlb_misses, iotlb_evictions, iotlb_invalidations;
	uint64_t iotlb_entries;      /* live entries */
	uint64_t psc_hits, psc_misses, pasid_cache_hits, pasid_cache_misses;
	uint64_t ctx_cache_hits, ctx_cache_misses;
	uint64_t atc_hits, atc_misses, ats_requests, translated_requests;
	uint64_t inv_cmds, inv_waits;
	uint64_t faults;
	uint64_t stale_served;       /* checker: stale answers a cache gave */
};
void iommu_hw_stats(struct sim_world *w, struct iommu_hw_stats *out);

/* The untagged PASID of a cache entry: stage-2-only translations. */
#define IOTLB_PASID_NONE IOMMU_PASID_NONE

/* One cached translation, of any cache (iotlb.h keeps them). */
struct iommu_cache_entry {
	uint32_t tag;                /* domain id, or requester id (ATC) */
	uint32_t pasid;              /* PASID tag or IOMMU_PASID_NONE */
	uint64_t iova;               /* aligned to size */
	uint64_t size;
	uint64_t hpa;                /* output of iova */
	uint64_t aux;                /* IOTLB: the GPA; PSC: the table's own address;
				      * ATC: the segment */
	unsigned prot;               /* IOMMU_READ | IOMMU_WRITE */
	unsigned kind;               /* IOTLB: IOMMU_TLB_* | s1 prot << 4 | s2 prot << 6;
				      * PSC: table level | stage << 4 */
	uint64_t seq;                /* hardware clock at fill */
};
enum iommu_cache_id {
	IOMMU_CACHE_IOTLB,
	IOMMU_CACHE_PSC,
	IOMMU_CACHE_ATC,             /* every device TLB, by requester id */
};
/* IOTLB entry kinds (struct iommu_cache_entry.kind, low bits) */
#define IOMMU_TLB_S1        1u
#define IOMMU_TLB_S2        2u
#define IOMMU_TLB_COMBINED  3u
/* IOTLB: filled while the tracked leaf was clean (the context marks writes
 * dirty): a write that hits it walks again to mark the leaf, as the
 * hardware updates the D bit it caches.  Without the flag a write hit
 * records nothing, so a leaf cleaned in memory stays clean until the IOTLB
 * entry is invalidated (read_and_clear's flush). */
#define IOMMU_TLB_WCLEAN    (1u << 8)
int iommu_hw_cache_for_each(struct sim_world *w, enum iommu_cache_id which,
			    int (*fn)(const struct iommu_cache_entry *e, void *ctx), void *ctx);
/* The IOTLB alone (compatibility). */
int iommu_hw_iotlb_for_each(struct sim_world *w,
			    int (*fn)(const struct iommu_cache_entry *e, void *ctx), void *ctx);

/*
 * Every memory reference and cache decision of a translation, in order,
 * for `iommusim explain` (and tests counting references).
 */
enum iommu_walk_ev {
	IOMMU_EV_BEGIN,              /* a translation starts */
	IOMMU_EV_ROOT, IOMMU_EV_CONTEXT, IOMMU_EV_PASID_DIR, IOMMU_EV_PASID_ENTRY,
	IOMMU_EV_PASID_CACHE_HIT,
	IOMMU_EV_ATC_HIT, IOMMU_EV_ATC_MISS,   /* ATS devices */
	IOMMU_EV_IOTLB_HIT, IOMMU_EV_IOTLB_MISS,
	IOMMU_EV_PSC_HIT,            /* a walk starts below a cached table */
	IOMMU_EV_DESC,               /* a page-table descriptor read */
	IOMMU_EV_DONE, IOMMU_EV_FAULT,
	IOMMU_EV_CTX_CACHE_HIT,      /* the device entry from the context cache */
	/* PRI (hw_pri.c): the function's page request for @input (index: the
	 * PRGI, write), and the answer it got (value: the response code; ref
	 * 0 when none came yet) */
	IOMMU_EV_PAGE_REQUEST, IOMMU_EV_PAGE_RESPONSE,
};
struct iommu_walk_event {
	enum iommu_walk_ev ev;
	unsigned ref;                /* memory references: 1, 2, ...; else 0 */
	uint16_t segment, rid;
	bool pasid_valid;
	uint32_t pasid;
	bool write;
	uint64_t input;              /* BEGIN: the address; DESC: what the stage
				      * resolves (IOVA, or a GPA for stage 2) */
	unsigned stage;              /* DESC, PSC_HIT: 1 or 2 */
	bool s1_fetch;               /* stage-2 reads for a stage-1 table */
	unsigned level, index;
	uint64_t addr;               /* HPA read */
	uint64_t table_hpa, table_gpa;   /* DESC; gpa for nested stage-1 tables */
	uint64_t value;              /* the descriptor or entry read */
	bool leaf;
	unsigned prot;               /* DESC leaf, hits, DONE */
	uint64_t out, size;          /* DESC leaf / hits / DONE: output, span */
	const struct iommu_context *ctx;   /* PASID_ENTRY, PASID_CACHE_HIT */
	const struct iommu_fault_rec *fault;   /* FAULT */
};
typedef void (*iommu_walk_observer)(void *ctx, const struct iommu_walk_event *e);
void iommu_hw_set_observer(struct sim_world *w, iommu_walk_observer fn, void *ctx);

/*
 * The stale-translation checker (config.check).  iommu_hw_check_caches
 * compares every live cache entry (IOTLB, PSC, PASID cache, device TLBs)
 * with what memory says now, and reports device-TLB invalidations never
 * waited for; iommu_hw_take_violations returns the stale answers caches
 * gave since the last call.  Each appends one line per problem to @out
 * (naming the invalidation that should have happened) and returns the
 * number of problems.
 */
struct _GString;
int iommu_hw_check_caches(struct sim_world *w, struct _GString *out);
int iommu_hw_take_violations(struct sim_world *w, struct _GString *out);

/* iommu hardware trace points (pasid=-1: the request carried no PASID) */
#define TP_iommu_hw_page_request "seg=%u rid=%02x:%02x.%u pasid=%d addr=0x%llx access=%s%s prgi=%u last=%d stop=%d"
#define TP_iommu_hw_page_response "seg=%u rid=%02x:%02x.%u pasid=%d prgi=%u code=%u"
#define TP_iommu_hw_fault  "seg=%u rid=%02x:%02x.%u pasid=%d addr=0x%llx access=%s reason=%s stage=%u phase=%s stage_addr=0x%llx"
#define TP_iommu_hw_dev    "seg=%u rid=%02x:%02x.%u pasid_bits=%u ats=%u"
#define TP_iommu_hw_ctx    "seg=%u rid=%02x:%02x.%u pasid=%u type=%s did=%u s1=0x%llx/%u s2=0x%llx/%u"
#define TP_iommu_hw_inv    "cmd=%s did=%u pasid=%d rid=%02x:%02x.%u iova=0x%llx size=0x%llx dropped=%u"

#endif
