/* SPDX-License-Identifier: MIT */
/*
 * Object-id allocation, lowest free first (like the kernel's IDA/xarray
 * allocators that iommu groups, vfio minors and iommufd objects use), so ids
 * are reproducible from the order of operations alone.
 */
#ifndef SIM_IDS_H
#define SIM_IDS_H

#include <stdbool.h>
#include <stdint.h>

struct sim_world;

struct sim_ids {
	void **slots;      /* slots[id] = object or NULL */
	uint32_t nslots;   /* allocated length of slots */
	uint32_t count;    /* ids in use */
	uint32_t hint;     /* every id below hint is in use */
};

void sim_ids_init(struct sim_ids *ids);
void sim_ids_destroy(struct sim_ids *ids);

/*
 * Allocate the lowest free id in [min, max] and bind @obj (non-NULL) to it.
 * Returns the id, -ENOSPC when the range is full, -ENOMEM when fault
 * injection fails site "ids_alloc" (pass @w NULL to skip injection).
 */
int64_t sim_ids_alloc(struct sim_world *w, struct sim_ids *ids, void *obj,
		      uint32_t min, uint32_t max);
void *sim_ids_find(const struct sim_ids *ids, uint32_t id);
/* Unbind @id; returns the object that was bound, or NULL. */
void *sim_ids_remove(struct sim_ids *ids, uint32_t id);
/* One past the highest id ever bound (for ordered iteration: 0..end-1). */
uint32_t sim_ids_end(const struct sim_ids *ids);

#endif
