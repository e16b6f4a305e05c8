/* SPDX-License-Identifier: MIT */
/*
 * The sysfs files an administrator writes (sim_sysfs_write in
 * <iommusim/iommusim.h>).  Each model owns the files under its prefixes
 * and registers a store function for them when it is created: the PCI bus
 * (/sys/bus/pci/, model/pci/driver.c) and the mediated-device core
 * (/sys/class/mdev_bus/, /sys/bus/mdev/, model/vfio/mdev.c).  A path no
 * model owns is -ENOENT, as open(2) of a missing file.
 */
#ifndef SIM_SYSFS_H
#define SIM_SYSFS_H

struct sim_world;

/* A store: @rest is the path after the prefix, @value what was written,
 * whole (a trailing newline included: stores differ in how they take it).
 * 0 or -errno. */
typedef int (*sim_sysfs_store_fn)(struct sim_world *w, void *ctx, const char *rest,
				  const char *value);

#define SIM_SYSFS_MAX_PREFIXES 8

/* Own the files under @prefix (kept, not copied: a string literal).
 * 0, -EEXIST for a prefix already owned, -ENOSPC when the table is full. */
int sim_sysfs_register(struct sim_world *w, const char *prefix, sim_sysfs_store_fn fn,
		       void *ctx);
void sim_sysfs_unregister(struct sim_world *w, const char *prefix);

#endif
