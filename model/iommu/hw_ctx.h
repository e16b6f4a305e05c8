/* SPDX-License-Identifier: MIT */
/*
 * Each IOMMU kind's own device-context structures (docs/context-structures.md
 * draws them, one worked example per kind):
 *
 *   vtd         root table -> scalable-mode context entry -> PASID directory
 *               -> PASID table entry                       (hw_ctx_vtd.c)
 *   arm-smmuv3  stream table (linear or two-level) -> STE -> CD table
 *               (linear or two-level) -> CD                (hw_ctx_smmuv3.c)
 *   riscv       DDT (1, 2 or 3 levels) -> device context -> PDT (1, 2 or 3
 *               levels) -> process context                 (hw_ctx_riscv.c)
 *
 * Each backend has two halves.  The driver half is what the kernel's IOMMU
 * driver does (intel/pasid.c, arm-smmu-v3.c, riscv/iommu.c): from the
 * driver's view of a device (struct hw_dev_view: the contexts the kernel
 * asked for at the RID and at each PASID) it allocates and writes the
 * kind's tables in simulated memory, and says which levels it wrote, so the
 * kernel knows which of the kind's caches to invalidate.  The hardware half
 * reads those tables back from memory as the silicon would, nothing else:
 * a translation sees only what memory holds.
 *
 * What a kind cannot encode it refuses before writing anything (admit):
 * on SMMUv3 and RISC-V one stage 2 serves the whole device, so PASIDs with
 * stage-1 tables and a RID on a stage-2-only domain cannot coexist, and
 * neither can two nested PASIDs over different parents.
 *
 * Blocking is what the kernel drivers do: VT-d and RISC-V make the entry
 * not present (intel_pasid_tear_down_entry; riscv's blocking domain clears
 * DC.tc.V), SMMUv3 writes an abort STE (Config = abort), S1DSS = terminate
 * for the untagged stream of an STE with a CD table, and clears a PASID's
 * CD.  A request stopped there fails at the context stage on every kind.
 */
#ifndef MODEL_IOMMU_HW_CTX_H
#define MODEL_IOMMU_HW_CTX_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/iommu/hw.h"

struct iommu_hw;

/* Which structure stopped a request before its walk (the kinds' fault
 * codes tell them apart; hw_fault.c).  "Context" is the device entry
 * (VT-d context entry, SMMUv3 STE, RISC-V device context), "PDIR" a
 * directory level of the PASID-level table (PASID directory, CD L1, PDT
 * non-leaf), "PASID" its leaf (PASID entry, CD, process context). */
enum hw_ctx_fail {
	HW_CTX_OK,
	HW_CTX_NO_ROOT,              /* no root table, or a directory entry above
				      * the device entry not present */
	HW_CTX_NO_CONTEXT,           /* the device entry not present */
	HW_CTX_BAD_CONTEXT,          /* present, with reserved encodings */
	HW_CTX_PASID_WIDTH,          /* the PASID beyond what the table covers */
	HW_CTX_NO_PDIR,              /* the PASID-directory entry not present */
	HW_CTX_NO_PASID,             /* the PASID entry not present */
	HW_CTX_BAD_PASID,            /* present, with a type or tables the kind lacks */
	HW_CTX_BLOCKED,              /* an abort configuration (SMMUv3) */
	HW_CTX_TABLE_S2,             /* a PASID-level table a guest owns (SMMUv3's
				      * CD table under a guest's STE) that its
				      * stage 2 does not let the IOMMU read */
};

/* What the kernel asked for at one device (hw.c keeps it). */
struct hw_dev_view {
	uint16_t seg, rid;
	bool programmed;             /* iommu_hw_set_device happened */
	unsigned pasid_bits;         /* the device's PASID width (0: none) */
	bool ats;
	bool has_rid;                /* the RID path has a context ... */
	struct iommu_context rid_ctx;/* ... this one (type BLOCKED: blocked) */
	unsigned ntagged;            /* PASIDs > 0 with a context */
	GHashTable *tagged;          /* pasid -> struct iommu_context * (NULL: none) */
};
/* The context at @pasid of @v (0: the RID path), NULL when none. */
const struct iommu_context *hw_view_ctx(const struct hw_dev_view *v, uint32_t pasid);
/* The first tagged NESTED context of @v (NULL: none): the device's shared
 * stage 2 on SMMUv3 and RISC-V. */
const struct iommu_context *hw_view_nested(const struct hw_dev_view *v);

/* What a programming call wrote: the kernel invalidates accordingly. */
#define HW_WROTE_DEVICE  IOMMU_WROTE_DEVICE
#define HW_WROTE_PASID   IOMMU_WROTE_PASID

/*
 * A device entry as the hardware decoded it (the context cache keeps
 * these, so a hit reads no memory).
 */
struct hw_devctx {
	bool ats;                    /* device-TLB / ATS enable */
	bool pasid_ok;               /* requests with a PASID use the table */
	unsigned pasid_limit_bits;   /* the table covers PASIDs < 2^bits */
	bool rid_direct;             /* an untagged request takes @rid, no table */
	struct iommu_context rid;    /* rid_direct: its context (BLOCKED: abort) */
	uint32_t rid_pasid;          /* !rid_direct: the table entry it takes */
	bool s2_valid;               /* tagged entries go through this stage 2 */
	uint64_t s2_root;            /* (SMMUv3 nested STE, RISC-V iohgatp) */
	unsigned s2_levels;
	uint16_t s2_did;
	uint64_t table;              /* the kind's PASID-level table (HPA) */
	/* SMMUv3 nested STE: @table and its level-1 descriptors' pointers are
	 * IPAs, read through the stage 2 (the guest owns the CD table) */
	bool table_ipa;
	unsigned table_fmt;          /* the kind's own: its levels / format */
	unsigned dirty;              /* RISC-V: IOMMU_CTX_DIRTY_* of tc.SADE / GADE,
				      * for every context under this device entry */
};

struct hw_ctx_ops {
	const char *name;            /* for messages: "vtd", ... */
	const char *dev_entry;       /* "context entry", "STE", "device context" */
	const char *pasid_entry;     /* "PASID entry", "CD", "process context" */
	/*
	 * Driver half.  May @v, changed at @pasid to @c (NULL: cleared;
	 * pasid 0: the RID path, c->type BLOCKED: blocked), be encoded?
	 * 0, -EINVAL (this PASID cannot take it), -EBUSY (the RID cannot
	 * take it while the PASIDs are what they are).  Writes nothing.
	 */
	int (*admit)(struct iommu_hw *hw, const struct hw_dev_view *v, uint32_t pasid,
		     const struct iommu_context *c);
	/*
	 * Write what @v (already changed at @pasid; HW_PASID_DEVICE: the
	 * device-level settings changed) needs: allocate tables, write
	 * entries not present first and the valid bit last, leave entries
	 * that already hold the right bits untouched, and set *wrote.  0,
	 * -ENOMEM (allocations come first: nothing written then) or -ENODEV
	 * (a device the kind's table cannot hold: a RISC-V device id beyond a
	 * one-level DDT, riscv_iommu_probe_device).
	 */
	int (*write)(struct iommu_hw *hw, const struct hw_dev_view *v, uint32_t pasid,
		     unsigned *wrote);
	/* Tear the device's entries down and free its tables. */
	void (*clear_device)(struct iommu_hw *hw, const struct hw_dev_view *v, unsigned *wrote);
	/*
	 * Hardware half.  Read the device entry of (@seg, @rid) from memory:
	 * false with *why when the walk stopped.  Each 8..64-byte entry read
	 * counts one reference in *refs and emits IOMMU_EV_ROOT (a directory
	 * level above the device entry: .level, .index) or IOMMU_EV_CONTEXT
	 * (the device entry).
	 */
	bool (*fetch_dev)(struct iommu_hw *hw, uint16_t seg, uint16_t rid, struct hw_devctx *dc,
			  unsigned *refs, enum hw_ctx_fail *why);
	/*
	 * The entry at @pasid of @dc's table (pasid already checked against
	 * pasid_limit_bits): false with *why (HW_CTX_NO_PDIR, _NO_PASID,
	 * _BAD_PASID).  Emits IOMMU_EV_PASID_DIR per directory level and
	 * IOMMU_EV_PASID_ENTRY for the entry (.ctx when it decoded).
	 */
	bool (*fetch_pasid)(struct iommu_hw *hw, const struct hw_devctx *dc, uint32_t pasid,
			    struct iommu_context *c, unsigned *refs, enum hw_ctx_fail *why);
};
#define HW_PASID_DEVICE 0xffffffffu

extern const struct hw_ctx_ops hw_ctx_vtd_ops, hw_ctx_smmuv3_ops, hw_ctx_riscv_ops;

/* Shared by the backends (hw.c). */
/* The kind's structure root of @seg (stream table, DDT, root table): 0
 * when none yet. */
uint64_t hw_seg_root(struct iommu_hw *hw, uint16_t seg);
void hw_seg_root_set(struct iommu_hw *hw, uint16_t seg, uint64_t root);
/* Zeroed kernel frames: one, or @n contiguous (aligned to their size when
 * @n is a power of two), recorded as the backend's.  0 or -ENOMEM.
 * hw_table_free frees only a run hw_table_alloc gave, whole: a table
 * address read back from memory a device may have scribbled on is safe to
 * pass; teardown frees every run still recorded. */
int hw_table_alloc(struct iommu_hw *hw, unsigned n, uint64_t *hpa);
void hw_table_free(struct iommu_hw *hw, uint64_t hpa, unsigned n);
/* Emit a context-structure read (events only while someone listens). */
void hw_ctx_emit(struct iommu_hw *hw, enum iommu_walk_ev ev, unsigned level, unsigned index,
		 uint64_t addr, uint64_t value, const struct iommu_context *c);
/* A kind's decoder of a valid PASID-level entry's quadwords: false when
 * it is malformed. */
typedef bool (*hw_pasid_decode_fn)(const struct iommu_hw *hw, const struct hw_devctx *dc,
				   const uint64_t *q, struct iommu_context *c);
/* The leaf of a PASID-level walk (fetch_pasid's last step on every kind):
 * the @n quadwords (at most 8) of the entry at @a, one reference; decoded
 * when q[0] & @valid; IOMMU_EV_PASID_ENTRY at @index.  True with *c, else
 * false with HW_CTX_NO_PASID (not valid) or HW_CTX_BAD_PASID. */
bool hw_pasid_leaf(struct iommu_hw *hw, const struct hw_devctx *dc, uint64_t a, unsigned n,
		   uint64_t valid, unsigned index, hw_pasid_decode_fn decode,
		   struct iommu_context *c, unsigned *refs, enum hw_ctx_fail *why);
/* Set *why (may be NULL) and return false. */
bool hw_ctx_fail_with(enum hw_ctx_fail *why, enum hw_ctx_fail what);
/* May the kind walk a stage-@stage table of @levels levels? */
bool hw_fmt_ok(const struct iommu_hw *hw, unsigned stage, unsigned levels);

#endif
