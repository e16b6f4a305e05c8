/* SPDX-License-Identifier: MIT */
/* The device-node namespace, kept in path order. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib.h>

#include "sim/devnode.h"
#include "sim/fault.h"
#include "sim/proc.h"
#include "sim/world_internal.h"

static gint path_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	return strcmp(a, b);
}

static void node_free(gpointer data)
{
	struct sim_devnode *n = data;

	g_free(n->path);
	g_free(n);
}

void sim_devnodes_init(struct sim_world *w)
{
	/* the key is the node's own path string, freed with the node */
	w->devnodes = g_tree_new_full(path_cmp, NULL, NULL, node_free);
}

void sim_devnodes_destroy(struct sim_world *w)
{
	g_tree_destroy(w->devnodes);
	w->devnodes = NULL;
}

int sim_devnode_add(struct sim_world *w, const char *path, uint32_t uid,
		    uint32_t gid, uint32_t mode, const struct sim_devnode_ops *ops,
		    void *priv)
{
	struct sim_devnode *n;

	if (!path || path[0] != '/')
		return -EINVAL;
	if (g_tree_lookup(w->devnodes, path))
		return -EEXIST;
	if (sim_should_fail(w, "devnode_alloc"))
		return -ENOMEM;
	n = g_new0(struct sim_devnode, 1);
	n->path = g_strdup(path);
	n->uid = uid;
	n->gid = gid;
	n->mode = mode & 07777;
	n->ops = ops;
	n->priv = priv;
	g_tree_insert(w->devnodes, n->path, n);
	SIM_TRACE(w, sim_devnode_add, path, uid, gid, n->mode);
	return 0;
}

int sim_devnode_remove(struct sim_world *w, const char *path)
{
	if (!path || !g_tree_lookup(w->devnodes, path))
		return -ENOENT;
	SIM_TRACE(w, sim_devnode_del, path);
	g_tree_remove(w->devnodes, path);
	return 0;
}

struct sim_devnode *sim_devnode_lookup(struct sim_world *w, const char *path)
{
	return path ? g_tree_lookup(w->devnodes, path) : NULL;
}

int sim_devnode_chown(struct sim_world *w, const char *path, uint32_t uid, uint32_t gid)
{
	struct sim_devnode *n = sim_devnode_lookup(w, path);

	if (!n)
		return -ENOENT;
	n->uid = uid;
	n->gid = gid;
	SIM_TRACE(w, sim_devnode_attr, path, uid, gid, n->mode);
	return 0;
}

int sim_devnode_chmod(struct sim_world *w, const char *path, uint32_t mode)
{
	struct sim_devnode *n = sim_devnode_lookup(w, path);

	if (!n)
		return -ENOENT;
	n->mode = mode & 07777;
	SIM_TRACE(w, sim_devnode_attr, path, n->uid, n->gid, n->mode);
	return 0;
}

/* Owner bits for the owner, group bits for the group, other bits otherwise
 * (the first class that matches decides, as for an inode). */
int sim_devnode_permission(const struct sim_devnode *node,
			   const struct sim_proc *p, int oflags)
{
	uint32_t want = 0, bits;

	switch (oflags & O_ACCMODE) {
	case O_RDONLY: want = 4; break;
	case O_WRONLY: want = 2; break;
	default: want = 6; break;
	}
	if (sim_proc_capable(p, SIM_CAP_DAC_OVERRIDE))
		return 0;
	if (p->cred.uid == node->uid)
		bits = (node->mode >> 6) & 7;
	else if (p->cred.gid == node->gid)
		bits = (node->mode >> 3) & 7;
	else
		bits = node->mode & 7;
	return (bits & want) == want ? 0 : -EACCES;
}

struct foreach_ctx {
	int (*fn)(struct sim_devnode *n, void *ctx);
	void *ctx;
	int ret;
};

static gboolean foreach_one(gpointer key, gpointer value, gpointer data)
{
	struct foreach_ctx *c = data;

	c->ret = c->fn(value, c->ctx);
	return c->ret != 0;
}

int sim_devnode_for_each(struct sim_world *w,
			 int (*fn)(struct sim_devnode *n, void *ctx), void *ctx)
{
	struct foreach_ctx c = { fn, ctx, 0 };

	g_tree_foreach(w->devnodes, foreach_one, &c);
	return c.ret;
}
