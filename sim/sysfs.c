/* SPDX-License-Identifier: MIT */
/* The sysfs store table (sim/sysfs.h) and the public sim_sysfs_write. */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/sysfs.h"
#include "sim/world_internal.h"
#include "iommusim/iommusim.h"

int sim_sysfs_register(struct sim_world *w, const char *prefix, sim_sysfs_store_fn fn,
		       void *ctx)
{
	unsigned i;

	for (i = 0; i < w->nsysfs; i++)
		if (!strcmp(w->sysfs[i].prefix, prefix))
			return -EEXIST;
	if (w->nsysfs == SIM_SYSFS_MAX_PREFIXES)
		return -ENOSPC;
	w->sysfs[w->nsysfs].prefix = prefix;
	w->sysfs[w->nsysfs].fn = fn;
	w->sysfs[w->nsysfs].ctx = ctx;
	w->nsysfs++;
	return 0;
}

void sim_sysfs_unregister(struct sim_world *w, const char *prefix)
{
	for (unsigned i = 0; i < w->nsysfs; i++)
		if (!strcmp(w->sysfs[i].prefix, prefix)) {
			memmove(&w->sysfs[i], &w->sysfs[i + 1],
				(w->nsysfs - i - 1) * sizeof(w->sysfs[0]));
			w->nsysfs--;
			return;
		}
}

int sim_sysfs_write(struct sim_world *w, const char *path, const char *value)
{
	if (!w || !path || !value)
		return -EINVAL;
	for (unsigned i = 0; i < w->nsysfs; i++)
		if (g_str_has_prefix(path, w->sysfs[i].prefix))
			return w->sysfs[i].fn(w, w->sysfs[i].ctx,
					      path + strlen(w->sysfs[i].prefix), value);
	return -ENOENT;
}
