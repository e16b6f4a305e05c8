/* SPDX-License-Identifier: MIT */
/*
 * Private to the IOMMU hardware model (hw.c): a tagged translation cache,
 * the one data structure behind the IOTLB, the paging-structure caches and
 * the device TLBs (ATS ATCs).
 *
 * An entry is keyed (tag, pasid, iova aligned to its size, size):
 *  - tag: the domain id for the IOTLB and the paging-structure caches; the
 *    requester id for a device TLB;
 *  - pasid: the PASID the translation was made for, or IOTLB_PASID_NONE for
 *    untagged entries (stage-2-only translations are not PASID-tagged,
 *    whatever PASID asked for them, as on VT-d);
 * and carries a cache-specific payload (hpa, aux, prot, kind) and the
 * hardware clock value of its fill (seq).  A lookup probes once per
 * candidate size, smallest first, and takes the first live match.  Capacity
 * counts live entries; inserting into a full cache evicts the oldest live
 * entry (FIFO).
 *
 * Invalidation is selective or generation-based, never a scan of the whole
 * cache:
 *  - by tag: the tag's generation moves on, O(1);
 *  - by (tag, pasid): that pair's generation moves on, O(1);
 *  - by range in (tag, pasid): one probe per candidate size per page of the
 *    range; a range needing more probes than the cache has slots (twice
 *    its capacity; the naive cache applies the same rule, so both drop the
 *    same entries) falls back to the (tag, pasid) generation (an
 *    over-invalidation, which the architectures allow; the count returned
 *    is then the pair's live entries, inside the range or not);
 *  - everything.
 * Dead entries are reclaimed lazily (lookup, eviction, a sweep when no slot
 * is free, amortised O(1) each).
 *
 * Two implementations with identical observable behaviour (hits, misses,
 * evictions, live entries and their order, counts returned):
 *  - hash: chained hash over a slot array, a FIFO list through the slots,
 *    generation counters in small hash maps;
 *  - naive: an array in insertion order, scanned linearly (the oracle and
 *    the benchmark baseline).
 */
#ifndef MODEL_IOMMU_IOTLB_H
#define MODEL_IOMMU_IOTLB_H

#include <stdbool.h>
#include <stdint.h>

/* struct iommu_cache_entry and IOTLB_PASID_NONE: hw.h, whose iterators
 * expose entries */
#include "model/iommu/hw.h"

struct iotlb;

/* @size_bitmap: the sizes entries may have (probe candidates).  A capacity
 * of 0 makes a cache that holds nothing. */
struct iotlb *iotlb_new(unsigned capacity, bool naive, uint64_t size_bitmap);
void iotlb_free(struct iotlb *t);

/* The live entry of (tag, pasid) covering @iova, if any.  No allocation. */
bool iotlb_lookup(struct iotlb *t, uint32_t tag, uint32_t pasid, uint64_t iova,
		  struct iommu_cache_entry *out);
/* Cache @e (iova aligned to size, size a candidate: otherwise nothing is
 * cached, as no probe could find it); a live entry with the same key is
 * replaced, which is not an eviction, and the new one is the newest.
 * Returns the number of entries evicted (0 or 1). */
unsigned iotlb_insert(struct iotlb *t, const struct iommu_cache_entry *e);

/* Each returns the number of live entries dropped. */
unsigned iotlb_inv_tag(struct iotlb *t, uint32_t tag);
unsigned iotlb_inv_pasid(struct iotlb *t, uint32_t tag, uint32_t pasid);
unsigned iotlb_inv_range(struct iotlb *t, uint32_t tag, uint32_t pasid, uint64_t iova,
			 uint64_t size);
unsigned iotlb_inv_all(struct iotlb *t);

uint64_t iotlb_live(const struct iotlb *t);
unsigned iotlb_capacity(const struct iotlb *t);
/* Live entries oldest first; stops on non-zero and returns it.  @fn must not
 * change the cache. */
int iotlb_for_each(struct iotlb *t, int (*fn)(const struct iommu_cache_entry *e, void *ctx),
		   void *ctx);

#endif
