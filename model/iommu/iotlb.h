/* SPDX-License-Identifier: MIT */
/*
 * Private to the IOMMU hardware model (hw.c): the IOTLB.
 *
 * Entries are tagged (domain id, IOVA aligned to the leaf size, leaf size).
 * A lookup probes once per candidate leaf size, smallest first, and takes
 * the first live match.  Capacity counts live entries; inserting into a full
 * IOTLB evicts the oldest live entry (FIFO).
 *
 * Two implementations with identical observable behaviour (hits, misses,
 * evictions, live entries and their order):
 *  - hash: a chained hash over a slot array, a FIFO list through the slots,
 *    per-domain generation counters (domain invalidation is O(1): entries
 *    of an old generation are dead and reclaimed lazily), range invalidation
 *    by per-page probes;
 *  - naive: an array in insertion order, scanned linearly (the oracle and
 *    the benchmark baseline).
 */
#ifndef MODEL_IOMMU_IOTLB_H
#define MODEL_IOMMU_IOTLB_H

#include <stdbool.h>
#include <stdint.h>

#include "model/iommu/hw.h"

struct iotlb;

/* @pgsize_bitmap: the leaf sizes entries may have (probe candidates). */
struct iotlb *iotlb_new(unsigned capacity, bool naive, uint64_t pgsize_bitmap);
void iotlb_free(struct iotlb *t);

/* The live entry translating @iova in @did, if any.  No allocation. */
bool iotlb_lookup(struct iotlb *t, uint16_t did, uint64_t iova,
		  struct iommu_iotlb_entry *out);
/* Cache @e (iova aligned to size, size a candidate).  Returns the number of
 * entries evicted to make room (0 or 1). */
unsigned iotlb_insert(struct iotlb *t, const struct iommu_iotlb_entry *e);

/* Each returns the number of live entries dropped. */
unsigned iotlb_inv_domain(struct iotlb *t, uint16_t did);
unsigned iotlb_inv_range(struct iotlb *t, uint16_t did, uint64_t iova, uint64_t size);
unsigned iotlb_inv_all(struct iotlb *t);

uint64_t iotlb_live(const struct iotlb *t);
/* Live entries oldest first; stops on non-zero and returns it. */
int iotlb_for_each(struct iotlb *t, int (*fn)(const struct iommu_iotlb_entry *e, void *ctx),
		   void *ctx);

#endif
