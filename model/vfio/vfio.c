/* SPDX-License-Identifier: MIT */
/*
 * VFIO core objects and device nodes (spec §B).
 *
 * Containers: one per open of /dev/vfio/vfio; the container lives while its
 * file (and, later, attached groups) hold references.
 * Groups: a vfio_group exists for an IOMMU group while at least one member is
 * bound to vfio-pci; its node /dev/vfio/N (N = IOMMU group id) is root:root
 * 0600 until an administrator chowns it.  A group has a single opener: a
 * second open is -EBUSY until the first file is released.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib.h>

#include "sim/devnode.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/ids.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio.h"

struct vfio_group {
	struct iommu_group *iommu_group;
	unsigned nr_vfio_devices;   /* members bound to vfio-pci */
	bool opened;                /* single opener (spec §B) */
	struct sim_file *file;      /* the open group file, if any */
};

struct vfio_container {
	struct vfio_state *vfio;
	unsigned id;
};

struct vfio_state {
	struct sim_world *w;
	GHashTable *groups;         /* iommu group id -> struct vfio_group */
	struct sim_ids containers;
};

static struct vfio_state *vfio_get(struct sim_world *w)
{
	return sim_world_subsys(w, SIM_SUBSYS_VFIO);
}

const char *vfio_group_node_path(const struct iommu_group *g, char *buf, size_t len)
{
	g_snprintf(buf, len, "/dev/vfio/%u", g->id);
	return buf;
}

/* ---- container files ---------------------------------------------------- */

static void container_release(struct sim_file *f)
{
	struct vfio_container *c = f->private_data;

	SIM_TRACE(c->vfio->w, vfio_container_release, c->id);
	sim_ids_remove(&c->vfio->containers, c->id);
	g_free(c);
}

static const struct sim_file_ops container_fops = {
	.name = "vfio-container",
	.release = container_release,
};

static int container_open(struct sim_devnode *node, struct sim_proc *p, int oflags,
			  struct sim_file **out)
{
	struct vfio_state *v = node->priv;
	struct vfio_container *c;
	int64_t id;

	if (sim_should_fail(v->w, "vfio_container_alloc"))
		return -ENOMEM;
	c = g_new0(struct vfio_container, 1);
	c->vfio = v;
	id = sim_ids_alloc(v->w, &v->containers, c, 0, INT32_MAX);
	if (id < 0)
		goto err_free;
	c->id = (unsigned)id;
	*out = sim_file_new(v->w, &container_fops, c, oflags, node->path);
	if (!*out)
		goto err_id;
	SIM_TRACE(v->w, vfio_container_open, c->id);
	return 0;
err_id:
	sim_ids_remove(&v->containers, c->id);
	id = -ENOMEM;
err_free:
	g_free(c);
	return (int)id;
}

static const struct sim_devnode_ops container_node_ops = { .open = container_open };

/* ---- group files -------------------------------------------------------- */

struct group_file {
	struct vfio_state *vfio;
	unsigned group_id;
};

static void group_release(struct sim_file *f)
{
	struct group_file *gf = f->private_data;
	struct vfio_group *g = g_hash_table_lookup(gf->vfio->groups,
						   GUINT_TO_POINTER(gf->group_id));

	SIM_TRACE(gf->vfio->w, vfio_group_release, gf->group_id);
	if (g && g->file == f) {
		g->opened = false;
		g->file = NULL;
		/* the last vfio-pci member left while the file was open */
		if (!g->nr_vfio_devices)
			g_hash_table_remove(gf->vfio->groups, GUINT_TO_POINTER(gf->group_id));
	}
	g_free(gf);
}

static const struct sim_file_ops group_fops = {
	.name = "vfio-group",
	.release = group_release,
};

static int group_open(struct sim_devnode *node, struct sim_proc *p, int oflags,
		      struct sim_file **out)
{
	struct vfio_state *v = vfio_get(p->w);
	unsigned id = GPOINTER_TO_UINT(node->priv);
	struct vfio_group *g = g_hash_table_lookup(v->groups, GUINT_TO_POINTER(id));
	struct group_file *gf;
	int ret = 0;

	if (!g || !g->nr_vfio_devices)
		ret = -ENODEV;          /* no vfio driver in the group */
	else if (g->opened)
		ret = -EBUSY;           /* spec §B: single opener */
	else if (sim_should_fail(v->w, "vfio_group_open"))
		ret = -ENOMEM;
	if (ret)
		goto out;
	gf = g_new0(struct group_file, 1);
	gf->vfio = v;
	gf->group_id = id;
	*out = sim_file_new(v->w, &group_fops, gf, oflags, node->path);
	if (!*out) {
		g_free(gf);
		ret = -ENOMEM;
		goto out;
	}
	g->opened = true;
	g->file = *out;
out:
	SIM_TRACE(v->w, vfio_group_open, id, ret);
	return ret;
}

static const struct sim_devnode_ops group_node_ops = { .open = group_open };

/* ---- the vfio-pci driver ------------------------------------------------ */

static int vfio_pci_probe(void *ctx, struct pci_dev *d)
{
	struct vfio_state *v = ctx;
	struct iommu_group *ig = iommu_group_of(d);
	struct vfio_group *g;
	char path[32];
	int ret;

	/* vfio-pci drives normal (type 0 header) functions only */
	if (pci_dev_is_bridge(d)) {
		ret = -EINVAL;
		goto out;
	}
	if (!ig) {
		ret = -ENODEV;          /* no IOMMU group: no isolation */
		goto out;
	}
	g = g_hash_table_lookup(v->groups, GUINT_TO_POINTER(ig->id));
	if (!g) {
		if (sim_should_fail(v->w, "vfio_group_alloc")) {
			ret = -ENOMEM;
			goto out;
		}
		g = g_new0(struct vfio_group, 1);
		g->iommu_group = ig;
		vfio_group_node_path(ig, path, sizeof(path));
		ret = sim_devnode_add(v->w, path, 0, 0, 0600, &group_node_ops,
				      GUINT_TO_POINTER(ig->id));
		if (ret) {
			g_free(g);
			goto out;
		}
		g_hash_table_insert(v->groups, GUINT_TO_POINTER(ig->id), g);
		SIM_TRACE(v->w, vfio_group_node_add, ig->id, path);
	}
	g->nr_vfio_devices++;
	ret = 0;
out:
	SIM_TRACE(v->w, vfio_pci_probe, d->name, ig ? ig->id : 0u, ret);
	return ret;
}

static void vfio_pci_remove(void *ctx, struct pci_dev *d)
{
	struct vfio_state *v = ctx;
	struct iommu_group *ig = iommu_group_of(d);
	struct vfio_group *g = g_hash_table_lookup(v->groups, GUINT_TO_POINTER(ig->id));
	char path[32];

	SIM_TRACE(v->w, vfio_pci_remove, d->name, ig->id);
	if (--g->nr_vfio_devices)
		return;
	/* the last vfio member is gone: the node goes; an open file stays valid */
	vfio_group_node_path(ig, path, sizeof(path));
	sim_devnode_remove(v->w, path);
	SIM_TRACE(v->w, vfio_group_node_del, ig->id, path);
	if (!g->opened)
		g_hash_table_remove(v->groups, GUINT_TO_POINTER(ig->id));
}

/* ---- the subsystem ------------------------------------------------------ */

static void vfio_destroy(void *data)
{
	struct vfio_state *v = data;

	pci_unregister_driver(v->w, "vfio-pci");
	g_hash_table_destroy(v->groups);
	sim_ids_destroy(&v->containers);
	g_free(v);
}

int vfio_create(struct sim_world *w)
{
	struct vfio_state *v;
	struct pci_driver drv = {
		.name = "vfio-pci", .managed_dma = true,
		.probe = vfio_pci_probe, .remove = vfio_pci_remove,
	};
	int ret;

	if (sim_should_fail(w, "vfio_alloc"))
		return -ENOMEM;
	v = g_new0(struct vfio_state, 1);
	v->w = w;
	v->groups = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	sim_ids_init(&v->containers);
	drv.ctx = v;
	ret = sim_devnode_add(w, VFIO_CONTAINER_PATH, 0, 0, 0666, &container_node_ops, v);
	if (ret)
		goto err_free;
	ret = pci_register_driver(w, &drv);
	if (ret)
		goto err_node;
	sim_world_set_subsys(w, SIM_SUBSYS_VFIO, v, vfio_destroy);
	return 0;
err_node:
	sim_devnode_remove(w, VFIO_CONTAINER_PATH);
err_free:
	g_hash_table_destroy(v->groups);
	sim_ids_destroy(&v->containers);
	g_free(v);
	return ret;
}
