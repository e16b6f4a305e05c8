/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU hardware model (spec §E, first stage of it): what the silicon
 * does with what the kernel programmed into memory.
 *
 *  - Root and context tables in frames of simulated memory, one root table
 *    per PCI segment (256 buses), one context table per bus (256 devfns),
 *    16-byte entries, VT-d legacy layout (see below).  The kernel side
 *    programs them through iommu_hw_set_context(), which writes the bytes;
 *    translation reads them back, counting the references.
 *  - Translation of (segment, RID, [PASID], address, access) through the
 *    context's page table (struct io_pgtable format), with an IOTLB in front.
 *  - An IOTLB: a hash keyed by (domain id, page number, leaf size) with a
 *    fixed capacity and FIFO eviction; invalidation by domain (generation
 *    count: O(1)) or by range (per-page probes).  A naive linear-scan IOTLB
 *    is kept as an oracle and benchmark baseline.
 *  - Fault records in a bounded queue.
 *  - The DMA engine: a request is translated page by page and lands in host
 *    memory, or stops at the first fault.
 *
 * Entry layout (our encoding of VT-d legacy mode):
 *   root entry   lo: bit 0 present, bits 12..63 context-table HPA; hi: 0
 *   context      lo: bit 0 present, bits 2..3 type (0 translate, 2 pass-
 *                    through, 3 blocked), bits 12..63 page-table root HPA
 *                hi: bits 0..2 address width (1: 3 levels/39 bits,
 *                    2: 4/48, 3: 5/57), bits 8..23 domain id
 * The hardware model knows nothing of groups, VFIO or the kernel's
 * bookkeeping: only these bytes decide a DMA's fate.
 */
#ifndef MODEL_IOMMU_HW_H
#define MODEL_IOMMU_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/iommu/pgtable.h"

struct sim_world;

enum iommu_ctx_type {
	IOMMU_CTX_TRANSLATE = 0,
	IOMMU_CTX_PASSTHROUGH = 2,
	IOMMU_CTX_BLOCKED = 3,
};

struct iommu_context {
	enum iommu_ctx_type type;
	uint16_t did;                /* domain id: tags IOTLB entries */
	uint64_t pgtable_root;       /* HPA (translate) */
	unsigned levels;             /* 3, 4 or 5 (translate) */
};

/* Fault reasons; the values are the public SIM_FAULT_* ones. */
enum iommu_fault_reason {
	IOMMU_FAULT_NONE = 0,
	IOMMU_FAULT_NO_CONTEXT = 1,  /* no present context entry for the RID,
				      * or a PASID-tagged request (no PASID
				      * tables in this model yet) */
	IOMMU_FAULT_NOT_PRESENT = 2, /* no mapping (or a blocked context) */
	IOMMU_FAULT_PERMISSION = 3,  /* mapped without the access asked for */
	IOMMU_FAULT_ADDR_SIZE = 4,   /* beyond the context's address width */
};
const char *iommu_fault_reason_name(enum iommu_fault_reason r);

struct iommu_fault_rec {
	uint64_t seq;                /* 1, 2, ... in the order faults happened */
	uint16_t segment;
	uint16_t rid;
	bool pasid_valid;
	uint32_t pasid;
	uint64_t addr;               /* the faulting input address */
	bool write;
	enum iommu_fault_reason reason;
};

struct iommu_hw_config {
	unsigned iotlb_entries;      /* capacity; 0 disables the IOTLB */
	bool naive_iotlb;            /* linear-scan IOTLB (oracle, baseline) */
	unsigned fault_queue_len;    /* records kept; older ones are dropped */
};
#define IOMMU_HW_DEFAULT_IOTLB 512
#define IOMMU_HW_DEFAULT_FAULTQ 256

/*
 * Install the hardware in slot SIM_SUBSYS_IOMMU_HW and register it as the
 * PCI layer's DMA handler.  Root tables are allocated on first use.
 * 0 or -ENOMEM.
 */
int iommu_hw_create(struct sim_world *w, const struct iommu_hw_config *cfg);

/*
 * Program or clear the context entry of (@segment, @rid) in memory.  The
 * caller invalidates the IOTLB for the old domain if it changed one (as the
 * kernel must).  0 or -ENOMEM (a context-table frame).
 */
int iommu_hw_set_context(struct sim_world *w, uint16_t segment, uint16_t rid,
			 const struct iommu_context *ctx);
int iommu_hw_clear_context(struct sim_world *w, uint16_t segment, uint16_t rid);
/* Read back what the tables hold (for invariants and explain): 0 or -ENOENT. */
int iommu_hw_get_context(struct sim_world *w, uint16_t segment, uint16_t rid,
			 struct iommu_context *ctx);

/* IOTLB invalidation commands; each completes before it returns. */
void iommu_hw_inv_domain(struct sim_world *w, uint16_t did);
void iommu_hw_inv_range(struct sim_world *w, uint16_t did, uint64_t iova, uint64_t size);
void iommu_hw_inv_all(struct sim_world *w);

struct iommu_xlate {
	uint64_t hpa;                /* translated address of the input */
	unsigned prot;               /* IOMMU_READ | IOMMU_WRITE */
	uint64_t page_size;          /* the leaf that mapped it */
	bool iotlb_hit;
	unsigned ctx_refs;           /* root + context entry reads */
	unsigned pt_refs;            /* page-table descriptor reads */
	enum iommu_fault_reason fault;
};

/*
 * Translate one access.  0 with @out filled, or -EFAULT with out->fault set
 * and a fault record queued.
 */
int iommu_hw_translate(struct sim_world *w, uint16_t segment, uint16_t rid,
		       bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
		       struct iommu_xlate *out);

/*
 * A device-initiated DMA of @len bytes at @addr: translated page by page;
 * a write copies @buf into host memory, a read fills @buf.  Stops at the
 * first fault: -EFAULT with *fault filled (when non-NULL); bytes before the
 * fault have been transferred, as on a real bus.
 */
int iommu_hw_dma(struct sim_world *w, uint16_t segment, uint16_t rid,
		 bool pasid_valid, uint32_t pasid, uint64_t addr, void *buf,
		 size_t len, bool write, struct iommu_fault_rec *fault);

/* Fault queue: records oldest first. */
size_t iommu_hw_fault_count(struct sim_world *w);
const struct iommu_fault_rec *iommu_hw_fault_at(struct sim_world *w, size_t i);
void iommu_hw_fault_clear(struct sim_world *w);

struct iommu_hw_stats {
	uint64_t translations, walks, ctx_refs, pt_refs;
	uint64_t iotlb_hits, iotlb_misses, iotlb_evictions, iotlb_invalidations;
	uint64_t iotlb_entries;      /* live entries */
	uint64_t faults;
};
void iommu_hw_stats(struct sim_world *w, struct iommu_hw_stats *out);

/* Visit every live IOTLB entry (invariant checking: each must match a
 * fresh walk); stop early on non-zero. */
struct iommu_iotlb_entry {
	uint16_t did;
	uint64_t iova;               /* aligned to size */
	uint64_t size;
	uint64_t hpa;
	unsigned prot;
};
int iommu_hw_iotlb_for_each(struct sim_world *w,
			    int (*fn)(const struct iommu_iotlb_entry *e, void *ctx),
			    void *ctx);

/* iommu hardware trace points */
#define TP_iommu_hw_fault  "seg=%u rid=%02x:%02x.%u pasid=%s addr=0x%llx access=%s reason=%s"
#define TP_iommu_hw_ctx    "seg=%u rid=%02x:%02x.%u type=%s did=%u root=0x%llx levels=%u"
#define TP_iommu_hw_inv    "scope=%s did=%u iova=0x%llx size=0x%llx dropped=%u"

#endif
