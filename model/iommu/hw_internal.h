/* SPDX-License-Identifier: MIT */
/*
 * Private to the IOMMU hardware model, shared by its three files:
 *   hw.c        set-up, root/context/PASID tables, invalidation, faults
 *   hw_walk.c   translation (one and two stages, caches), ATS, the DMA engine
 *   hw_check.c  the stale-translation checker
 *   hw_fault.c  the kinds' fault codes, the fault queue's public drain
 */
#ifndef MODEL_IOMMU_HW_INTERNAL_H
#define MODEL_IOMMU_HW_INTERNAL_H

#include <glib.h>

#include "model/iommu/hw.h"
#include "model/iommu/hw_ctx.h"
#include "model/iommu/iotlb.h"

/* Location keys: (segment, rid, pasid) in one integer, ordered. */
static inline uint64_t loc_key(uint16_t seg, uint16_t rid, uint32_t pasid)
{
	return (uint64_t)seg << 48 | (uint64_t)rid << 32 | pasid;
}
static inline uint32_t dev_key(uint16_t seg, uint16_t rid)
{
	return (uint32_t)seg << 16 | rid;
}

/* A context-cache entry: a decoded device entry. */
struct cc_ent {
	uint32_t key;                /* dev_key */
	struct hw_devctx dc;
	uint64_t seq;
	GList *link;                 /* in cc_fifo */
};

/* A PASID-cache entry. */
struct pc_ent {
	uint64_t key;
	struct iommu_context ctx;
	uint64_t seq;
	uint32_t gen;                /* of its device, at fill */
	GList *link;                 /* in pc_fifo */
};

/*
 * The front cache: a memo of translations the slow path answered from its
 * caches alone (an IOTLB hit, the PASID entry from the PASID cache or read
 * from memory), keyed by the request (segment, requester id, PASID, page).
 * It is no cache of the modelled hardware: a front hit does exactly what
 * the slow path's hit would do (the same counters, the same context and
 * PASID reads counted, the same fields of struct iommu_xlate) without
 * doing it again.  An entry is good while nothing it depends on moved:
 * the hardware's caches (front_gen: every fill, eviction, reclaim and
 * invalidation command moves it on) and the memory the slow path would
 * read or the checker would walk (sim_mem_table_gen: every write to a
 * page-table, kernel or walked frame).  Never used while an observer
 * listens, for a refill (quiet) or an ATS device.
 */
#define HW_FRONT_BITS 11u
#define HW_FRONT_SLOTS (1u << HW_FRONT_BITS)
struct hw_front {
	uint64_t gen;                /* front_gen at fill; 0: empty */
	uint64_t mem_gen;            /* sim_mem_table_gen at fill */
	uint64_t page;               /* input address >> 12 */
	uint64_t who;                /* hw_front_who(segment, RID, PASID) */
	uint64_t hpa;                /* output of the page's first byte */
	uint64_t page_size;
	unsigned prot;
	uint8_t ctx_refs, pasid_refs;
	bool pasid_cache_hit, ctx_cache_hit;
	bool wclean;                 /* the IOTLB entry is write-clean: no writes */
};

/* The requester of a front entry in one word: segment, RID, and the PASID
 * (or IOMMU_PASID_NONE for a request without one). */
static inline uint64_t hw_front_who(uint16_t seg, uint16_t rid, uint32_t pasid)
{
	return (uint64_t)seg << 48 | (uint64_t)rid << 32 | pasid;
}

static inline unsigned hw_front_slot(uint64_t who, uint64_t page)
{
	return (unsigned)(((page ^ who * 0x9e3779b97f4a7c15ull) * 0x9e3779b97f4a7c15ull) >>
			  (64 - HW_FRONT_BITS));
}

struct iommu_hw {
	struct sim_world *w;
	struct iommu_hw_config cfg;
	const struct hw_ctx_ops *ops;  /* the kind's context structures (hw_ctx.h) */
	GHashTable *roots;             /* segment -> the kind's structure root */
	GHashTable *views;             /* dev_key -> struct hw_dev_view (the driver's) */
	GHashTable *tables;            /* context tables owned: HPA -> frames */
	GHashTable *ccache;            /* dev_key -> struct cc_ent */
	GQueue cc_fifo;
	/* iommu_hw_fmt of this kind by [stage 1, 2][levels] */
	const struct io_pgtable_fmt *fmt[2][IO_PGTABLE_MAX_LEVELS + 1];
	uint32_t atc_memo_key;         /* hw_atc_of's last device (dev_key) ... */
	struct iotlb *atc_memo;        /* ... and its device TLB (NULL: no ATS) */
	bool atc_memo_ok;
	uint64_t root_memo;            /* root_of's last answer ... */
	uint16_t root_memo_seg;        /* ... for this segment */
	bool root_memo_ok;
	struct iotlb *tlb, *psc;
	GHashTable *atcs;              /* dev_key -> struct iotlb * (ATS on) */
	GHashTable *pcache;            /* loc_key -> struct pc_ent */
	GQueue pc_fifo;
	GHashTable *pc_gen;            /* dev_key -> generation (all PASIDs) */
	GHashTable *did_locs;          /* did -> GArray of loc_key (oracle) */
	GHashTable *last_inv;          /* did -> clock of its last IOTLB inval */
	struct iommu_fault_rec *fq;    /* ring of cfg.fault_queue_len */
	size_t fq_head, fq_count;
	uint64_t fault_seq;
	uint64_t clock;                /* +1 per translation and per command */
	unsigned devtlb_unwaited;      /* DEVTLB commands since the last WAIT */
	bool quiet;                    /* refills: no faults, events, checks */
	struct iommu_hw_stats st;
	struct hw_front *front;        /* HW_FRONT_SLOTS */
	uint64_t front_gen;            /* starts at 1 */
	const uint64_t *table_gen;     /* sim_mem_table_gen_ptr */
	iommu_walk_observer obs;
	void *obs_ctx;
	unsigned ref_no;
	GString *violations;
	int nviolations;
	struct hw_pri *pri;            /* page requests (hw_pri.c), made when first used */
};

/* hw_pri.c */
void hw_pri_free(struct iommu_hw *hw);
/* A DMA page's translation request came back with no access: 1 when the
 * function has no PRI (the DMA ends as it would), 0 when a page request
 * was answered Success (ask again), -EFAULT with *why otherwise. */
int hw_pri_fault(struct iommu_hw *hw, uint16_t seg, uint16_t rid, bool pasid_valid,
		 uint32_t pasid, uint64_t addr, bool write, enum iommu_fault_reason *why);
/* §H22 lines since the last call, appended to @out; their number. */
int hw_pri_take_violations(struct iommu_hw *hw, GString *out);

struct iommu_hw *iommu_hw_get(struct sim_world *w);

/* Does anyone listen to walk events?  Build them only then. */
static inline bool hw_observed(const struct iommu_hw *hw)
{
	return hw->obs && !hw->quiet;
}
#define HW_EMIT(hw, ...) do { \
	if (hw_observed(hw)) { \
		struct iommu_walk_event e_ = { __VA_ARGS__ }; \
		hw_emit((hw), &e_); \
	} \
} while (0)

/* The device TLB of (@seg, @rid), NULL without ATS: a DMA asks on every
 * call, nearly always for the device before (dropped when one comes or
 * goes, hw.c). */
static inline struct iotlb *hw_atc_of(struct iommu_hw *hw, uint16_t seg, uint16_t rid)
{
	uint32_t k = dev_key(seg, rid);

	if (!hw->atc_memo_ok || hw->atc_memo_key != k) {
		hw->atc_memo = g_hash_table_lookup(hw->atcs, GUINT_TO_POINTER(k));
		hw->atc_memo_key = k;
		hw->atc_memo_ok = true;
	}
	return hw->atc_memo;
}

/* The hardware's caches changed: every front entry is stale. */
static inline void hw_caches_changed(struct iommu_hw *hw)
{
	hw->front_gen++;
}


/* hw.c */
/* The device entry of (seg, rid) straight from memory: 0/-ENOENT. */
int hw_dev_read(struct iommu_hw *hw, uint16_t seg, uint16_t rid, struct hw_devctx *dc);
/* What a request at (seg, rid, pasid) selects, straight from memory (PASID
 * 0: an untagged request): 0/-ENOENT. */
int hw_pasid_read(struct iommu_hw *hw, uint64_t loc, struct iommu_context *c);
void hw_fault_report(struct iommu_hw *hw, struct iommu_fault_rec *rec);
void hw_emit(struct iommu_hw *hw, struct iommu_walk_event *e);
void hw_violation(struct iommu_hw *hw, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* hw_fault.c */
/* The kind's fault code (hw.h) of @f, a fault of a request that selected
 * @c (NULL when it failed before an entry was chosen, @why saying where). */
uint16_t hw_fault_code(const struct iommu_hw *hw, const struct iommu_fault_rec *f,
		       const struct iommu_context *c, enum hw_ctx_fail why);

/* hw_walk.c */
struct iommu_xlate;
/* Translate for (seg, rid, pasid); @ats: a translation request (nothing
 * queued on failure).  Returns the fault reason (NONE when it translated). */
enum iommu_fault_reason hw_xlate(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
				 bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
				 bool ats, struct iommu_xlate *out);
/* A fresh walk through @c, no caches, nothing counted: 0 with the output,
 * span, combined permission and (nested) the GPA and stage permissions,
 * or -ENOENT.  @tables_out (may be NULL) gets the walk of @stage. */
struct fresh {
	uint64_t hpa, size, gpa;
	unsigned prot, s1_prot, s2_prot;
	struct io_pgtable_walk s1, s2;   /* the last walk of each stage */
	bool s1_ok, s2_ok;
	bool s1_fetch_fault;         /* failed reading a stage-1 table through
				      * stage 2: stage 2 changed under it */
	bool wclean;                 /* a tracked leaf on the way is clean */
};
int hw_fresh_xlate(struct iommu_hw *hw, const struct iommu_context *c, uint64_t addr,
		   struct fresh *out);
/* Ask again for the translation of a dropped cache entry (busy_dma). */
void hw_refill(struct iommu_hw *hw, enum iommu_cache_id which, const struct iommu_cache_entry *e);

/* hw_check.c */
/* Compare a cached answer just served with a fresh walk; record a
 * violation when it is stale. */
void hw_check_iotlb_hit(struct iommu_hw *hw, const struct iommu_context *c,
			const struct iommu_cache_entry *e);
void hw_check_psc_hit(struct iommu_hw *hw, const struct iommu_context *c, unsigned stage,
		      const struct iommu_cache_entry *e);
void hw_check_atc_hit(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
		      const struct iommu_cache_entry *e);
void hw_check_pc_hit(struct iommu_hw *hw, const struct pc_ent *pe);
void hw_check_cc_hit(struct iommu_hw *hw, const struct cc_ent *ce);

#endif
