/* SPDX-License-Identifier: MIT */
/* Lowest-free id allocation over a growable slot array. */
#include <errno.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/ids.h"

void sim_ids_init(struct sim_ids *ids)
{
	ids->slots = NULL;
	ids->nslots = 0;
	ids->count = 0;
	ids->hint = 0;
}

void sim_ids_destroy(struct sim_ids *ids)
{
	g_free(ids->slots);
	sim_ids_init(ids);
}

int64_t sim_ids_alloc(struct sim_world *w, struct sim_ids *ids, void *obj,
		      uint32_t min, uint32_t max)
{
	uint64_t id;   /* 64-bit so that scanning up to UINT32_MAX cannot wrap */

	if (!obj || min > max)
		return -EINVAL;
	if (w && sim_should_fail(w, "ids_alloc"))
		return -ENOMEM;
	for (id = MAX(min, ids->hint); id <= max; id++)
		if (id >= ids->nslots || !ids->slots[id])
			break;
	/* slots[] is indexed by a uint32_t length: UINT32_MAX itself is never free */
	if (id > max || id >= UINT32_MAX)
		return -ENOSPC;
	if (id >= ids->nslots) {
		uint64_t n = MAX((uint64_t)ids->nslots * 2, 16u);

		while (n <= id)
			n *= 2;
		n = MIN(n, (uint64_t)UINT32_MAX);
		ids->slots = g_renew(void *, ids->slots, n);
		for (uint64_t i = ids->nslots; i < n; i++)
			ids->slots[i] = NULL;
		ids->nslots = (uint32_t)n;
	}
	ids->slots[id] = obj;
	ids->count++;
	/* keep "every id below hint is in use" */
	if (id == ids->hint)
		ids->hint = (uint32_t)id + 1;
	return (int64_t)id;
}

void *sim_ids_find(const struct sim_ids *ids, uint32_t id)
{
	return id < ids->nslots ? ids->slots[id] : NULL;
}

void *sim_ids_remove(struct sim_ids *ids, uint32_t id)
{
	void *obj = sim_ids_find(ids, id);

	if (!obj)
		return NULL;
	ids->slots[id] = NULL;
	ids->count--;
	if (id < ids->hint)
		ids->hint = id;
	return obj;
}

uint32_t sim_ids_end(const struct sim_ids *ids)
{
	uint32_t end = ids->nslots;

	while (end && !ids->slots[end - 1])
		end--;
	return end;
}
