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

/*
 * The read side (sim_sysfs_read, sim_sysfs_list): files a model publishes
 * with their contents, and directories.  A file's path implies its
 * directories; a directory can stand alone (one with no attribute yet).
 * Paths are absolute and copied.  0 or -ENOMEM (fault site
 * "sysfs_attr_alloc").  Adding an existing path replaces its value.
 */
int sim_sysfs_attr_add(struct sim_world *w, const char *path, const char *value);
int sim_sysfs_dir_add(struct sim_world *w, const char *path);
/* Remove @path and everything below it. */
void sim_sysfs_remove(struct sim_world *w, const char *path);

#endif
