/* SPDX-License-Identifier: MIT */
/*
 * The device-node namespace: /dev/vfio/vfio, /dev/vfio/N, /dev/iommu ...
 * Each node has an owner, a group and a mode, checked on open exactly like
 * an inode's permission bits (owner, then group, then other; CAP_DAC_OVERRIDE
 * passes).  A node is created and removed by the layer that owns it; its
 * ->open makes the file.
 */
#ifndef SIM_DEVNODE_H
#define SIM_DEVNODE_H

#include <stdint.h>

struct sim_world;
struct sim_proc;
struct sim_file;
struct sim_devnode;

struct sim_devnode_ops {
	/* Make the file for an open that passed the permission check. */
	int (*open)(struct sim_devnode *node, struct sim_proc *p, int oflags,
		    struct sim_file **out);
};

struct sim_devnode {
	char *path;
	uint32_t uid, gid;
	uint32_t mode;       /* permission bits, e.g. 0600 */
	const struct sim_devnode_ops *ops;
	void *priv;
};

/* 0, -EEXIST, -EINVAL (path not absolute), -ENOMEM ("devnode_alloc"). */
int sim_devnode_add(struct sim_world *w, const char *path, uint32_t uid,
		    uint32_t gid, uint32_t mode, const struct sim_devnode_ops *ops,
		    void *priv);
/* 0 or -ENOENT.  Open files are unaffected. */
int sim_devnode_remove(struct sim_world *w, const char *path);
struct sim_devnode *sim_devnode_lookup(struct sim_world *w, const char *path);
/* chown / chmod as root does them: 0 or -ENOENT. */
int sim_devnode_chown(struct sim_world *w, const char *path, uint32_t uid, uint32_t gid);
int sim_devnode_chmod(struct sim_world *w, const char *path, uint32_t mode);
/* May @p open @node with @oflags' access mode?  0 or -EACCES. */
int sim_devnode_permission(const struct sim_devnode *node,
			   const struct sim_proc *p, int oflags);
/* Visit nodes in path order (strcmp); stop early on non-zero. */
int sim_devnode_for_each(struct sim_world *w,
			 int (*fn)(struct sim_devnode *n, void *ctx), void *ctx);

#endif
