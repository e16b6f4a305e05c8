/* SPDX-License-Identifier: MIT */
/*
 * VFIO core objects and device nodes (spec §B).
 *
 * Groups: a vfio_group exists for an IOMMU group while at least one member is
 * bound to vfio-pci or its file is open; its node /dev/vfio/N (N = IOMMU
 * group id) exists while a member is bound, root:root 0600 until an
 * administrator chowns it.  When the last member is unbound with the file
 * open, that object is gone (every ioctl ENODEV) and a later bind makes a
 * fresh one behind the same node (vfio_device_remove_group).  vfio-pci binds
 * through driver_override or new_id only (model/pci/driver.c), and its
 * unbind waits while device files are open, signalling the REQ eventfd.  A group has a single opener: a second open is
 * -EBUSY until the first file is released.  Releasing the group file detaches
 * its container (device fds hold the group file, so by then none is open).
 *
 * Containers live in container.c, the type1 backend in type1*.c, device fds
 * in pci_dev.c.
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
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommufd/iommufd.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

struct vfio_state *vfio_get(struct sim_world *w)
{
	return sim_world_subsys(w, SIM_SUBSYS_VFIO);
}

const char *vfio_group_node_path(const struct iommu_group *g, char *buf, size_t len)
{
	g_snprintf(buf, len, "/dev/vfio/%u", g->id);
	return buf;
}

/* The node of @g: /dev/vfio/N, or /dev/vfio/noiommu-N (vfio_create_group). */
static const char *group_path(const struct vfio_group *g, char *buf, size_t len)
{
	if (!g->noiommu)
		return vfio_group_node_path(g->iommu_group, buf, len);
	g_snprintf(buf, len, "/dev/vfio/noiommu-%u", g->iommu_group->id);
	return buf;
}

/* The IOMMU group VFIO files @d under: the core's, or its noiommu one. */
static struct iommu_group *vfio_iommu_group_of(struct vfio_state *v, struct pci_dev *d)
{
	struct iommu_group *ig = iommu_group_of(d);

	return ig ? ig : vfio_noiommu_group_of(v, d);
}

struct vfio_group *vfio_group_of_device(struct vfio_state *v, struct pci_dev *d)
{
	struct iommu_group *ig = vfio_iommu_group_of(v, d);

	return ig ? vfio_group_find(v, ig->id) : NULL;
}

static void group_free(gpointer p)
{
	struct vfio_group *g = p;

	if (g->noiommu || g->emulated)   /* a group only VFIO made */
		vfio_noiommu_group_free(g->iommu_group);
	g_free(g);
}

unsigned vfio_group_id_end(struct vfio_state *v)
{
	GHashTableIter it;
	gpointer key;
	unsigned end = (unsigned)iommu_group_count(v->w);

	g_hash_table_iter_init(&it, v->groups);
	while (g_hash_table_iter_next(&it, &key, NULL))
		end = MAX(end, GPOINTER_TO_UINT(key) + 1);
	return end;
}

struct vfio_group *vfio_group_find(struct vfio_state *v, unsigned group_id)
{
	return g_hash_table_lookup(v->groups, GUINT_TO_POINTER(group_id));
}

void vfio_group_maybe_free(struct vfio_group *g)
{
	if (g->gone) {
		if (!g->opened)
			group_free(g);
		return;
	}
	if (!g->nr_vfio_devices && !g->opened)
		g_hash_table_remove(g->vfio->groups, GUINT_TO_POINTER(g->iommu_group->id));
}

/*
 * vfio_device_remove_group for the last vfio-pci member: the node goes, the
 * container is revoked and the group object leaves the list, so the next
 * probe in this IOMMU group makes a fresh one.  An open group file keeps the
 * old object, gone: every ioctl but UNSET_CONTAINER (EINVAL) is ENODEV.
 */
void vfio_group_remove(struct vfio_group *g)
{
	struct vfio_state *v = g->vfio;
	char path[32];

	group_path(g, path, sizeof(path));
	sim_devnode_remove(v->w, path);
	SIM_TRACE(v->w, vfio_group_node_del, g->iommu_group->id, path);
	if (g->container)
		vfio_container_detach_group(g);
	if (!g->opened) {
		g_hash_table_remove(v->groups, GUINT_TO_POINTER(g->iommu_group->id));
		return;
	}
	g_hash_table_steal(v->groups, GUINT_TO_POINTER(g->iommu_group->id));
	g->gone = true;
	SIM_TRACE(v->w, vfio_group_gone, g->iommu_group->id);
}

/* ---- group files -------------------------------------------------------- */

static void group_release(struct sim_file *f)
{
	struct vfio_group *g = f->private_data;

	SIM_TRACE(g->vfio->w, vfio_group_release, g->iommu_group->id);
	/* device fds hold the group file: none is open here */
	if (g->container)
		vfio_container_detach_group(g);
	if (g->iommufd) {
		iommufd_ctx_put(g->iommufd);
		g->iommufd = NULL;
	}
	g->opened = false;
	g->file = NULL;
	vfio_group_maybe_free(g);
}

static const struct sim_file_ops group_fops = {
	.name = "vfio-group",
	.ioctl = vfio_group_ioctl,
	.release = group_release,
};

static int group_open(struct sim_devnode *node, struct sim_proc *p, int oflags,
		      struct sim_file **out)
{
	struct vfio_state *v = vfio_get(p->w);
	unsigned id = GPOINTER_TO_UINT(node->priv);
	struct vfio_group *g = vfio_group_find(v, id);
	int ret = 0;

	if (!g || !g->nr_vfio_devices)
		ret = -ENODEV;          /* no vfio driver in the group */
	else if (g->noiommu && !sim_proc_capable(p, SIM_CAP_SYS_RAWIO))
		ret = -EPERM;           /* vfio_group_fops_open: noiommu */
	else if (g->cdev_device_open_cnt)
		ret = -EBUSY;           /* a member is bound through its cdev */
	else if (g->opened)
		ret = -EBUSY;           /* spec §B: single opener */
	else if (sim_should_fail(v->w, "vfio_group_open"))
		ret = -ENOMEM;
	if (ret)
		goto out;
	*out = sim_file_new(v->w, &group_fops, g, oflags, node->path);
	if (!*out) {
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

struct vfio_group *vfio_group_get_or_create(struct vfio_state *v, struct iommu_group *ig,
					    bool noiommu)
{
	struct vfio_group *g = vfio_group_find(v, ig->id);

	if (g)
		return g;
	if (sim_should_fail(v->w, "vfio_group_alloc"))
		return NULL;
	g = g_new0(struct vfio_group, 1);
	g->vfio = v;
	g->iommu_group = ig;
	g->noiommu = noiommu;
	g_hash_table_insert(v->groups, GUINT_TO_POINTER(ig->id), g);
	return g;
}

/* The first vfio-pci member makes the node appear. */
int vfio_group_add_device(struct vfio_state *v, struct vfio_group *g)
{
	char path[32];
	int ret;

	if (g->nr_vfio_devices++)
		return 0;
	group_path(g, path, sizeof(path));
	ret = sim_devnode_add(v->w, path, 0, 0, 0600, &group_node_ops,
			      GUINT_TO_POINTER(g->iommu_group->id));
	if (ret) {
		g->nr_vfio_devices--;
		return ret;
	}
	SIM_TRACE(v->w, vfio_group_node_add, g->iommu_group->id, path);
	return 0;
}

static int vfio_pci_probe(void *ctx, struct pci_dev *d)
{
	struct vfio_state *v = ctx;
	struct iommu_group *ig = iommu_group_of(d);
	struct vfio_group *g;
	bool noiommu = false;
	unsigned id = ig ? ig->id : 0u;
	int ret;

	/* vfio-pci drives normal (type 0 header) functions only */
	if (pci_dev_is_bridge(d)) {
		ret = -EINVAL;
		goto out;
	}
	/* vfio_group_find_or_alloc: no IOMMU group -> a noiommu one with the
	 * option on (and the kernel tainted), EINVAL without it */
	if (!ig && !v->params.noiommu) {
		ret = -EINVAL;
		goto out;
	}
	/* __vfio_register_dev: VFIO always maps with IOMMU_CACHE and offers no
	 * way to restore coherency, so a device whose IOMMU cannot make its DMA
	 * coherent is refused (IOMMU_CAP_CACHE_COHERENCY) */
	if (ig && !iommu_dev_cache_coherent(v->w)) {
		ret = -EINVAL;
		goto out;
	}
	if (!ig) {
		if (sim_should_fail(v->w, "vfio_noiommu_group_alloc")) {
			ret = -ENOMEM;
			goto out;
		}
		ig = vfio_noiommu_group_alloc(v, d);
		id = ig->id;
		noiommu = true;
	}
	g = vfio_group_get_or_create(v, ig, noiommu);
	if (!g) {
		if (noiommu) {
			vfio_noiommu_group_remove_device(v, d);
			vfio_noiommu_group_free(ig);
		}
		ret = -ENOMEM;
		goto out;
	}
	ret = vfio_pci_device_add(v, d);
	if (!ret) {
		ret = vfio_group_add_device(v, g);
		if (ret)
			vfio_pci_device_remove(v, d);
	}
	if (ret && noiommu)
		vfio_noiommu_group_remove_device(v, d);
	if (ret)
		vfio_group_maybe_free(g);
	else if (noiommu)       /* add_taint(TAINT_USER) and its dev_warn */
		SIM_TRACE(v->w, vfio_noiommu_taint, d->name, id);
out:
	SIM_TRACE(v->w, vfio_pci_probe, d->name, id, ret);
	return ret;
}

/*
 * vfio_unregister_group_dev, its first half: the device leaves the group's
 * list (GET_DEVICE_FD finds it no more), and while device files are open
 * the unbind waits for them, asking the user to let go through the REQ
 * eventfd (vfio_pci_core_request, count 0; the kernel asks again every
 * 10 s, which a scenario's 1 ms steps never reach).  The last close
 * completes it (vfio_device_last_close).
 */
static bool vfio_pci_remove_begin(void *ctx, struct pci_dev *d)
{
	struct vfio_state *v = ctx;
	struct vfio_pci_device *vdev = g_hash_table_lookup(v->devices, d);

	if (!vdev)
		return false;
	/* vfio_device_del comes first: the cdev node goes at once */
	vfio_device_cdev_del(vdev);
	if (!vdev->files)
		return false;
	vfio_pci_core_request(vdev, 0);
	return true;
}

void vfio_device_last_close(struct vfio_state *v, struct pci_dev *pdev)
{
	struct vfio_pci_device *vdev = g_hash_table_lookup(v->devices, pdev);

	if (vdev && !vdev->files && pci_unbind_pending(v->w, pdev))
		pci_unbind_complete(v->w, pdev);
}

static void vfio_pci_remove(void *ctx, struct pci_dev *d)
{
	struct vfio_state *v = ctx;
	struct iommu_group *ig = vfio_iommu_group_of(v, d);
	struct vfio_group *g = vfio_group_find(v, ig->id);

	SIM_TRACE(v->w, vfio_pci_remove, d->name, ig->id);
	/* only a forced unbind (the world going away) gets here with device
	 * files open: they turn ENODEV, and the group file's release detaches
	 * the container they keep */
	vfio_pci_device_remove(v, d);
	if (g->noiommu)         /* iommu_group_remove_device: the id is free */
		vfio_noiommu_group_remove_device(v, d);
	if (--g->nr_vfio_devices)
		return;
	if (g->device_fds) {
		char path[32];

		group_path(g, path, sizeof(path));
		sim_devnode_remove(v->w, path);
		SIM_TRACE(v->w, vfio_group_node_del, ig->id, path);
		vfio_group_maybe_free(g);
		return;
	}
	vfio_group_remove(g);
}

/* ---- module parameters -------------------------------------------------- */

struct vfio_params *vfio_params(struct sim_world *w)
{
	struct vfio_state *v = vfio_get(w);

	return v ? &v->params : NULL;
}

/* ---- the subsystem ------------------------------------------------------ */

static void vfio_destroy(void *data)
{
	struct vfio_state *v = data;

	pci_unregister_driver(v->w, "vfio-pci");
	vfio_mdev_destroy(v);
	g_hash_table_destroy(v->groups);
	g_hash_table_destroy(v->noiommu_groups);
	g_hash_table_destroy(v->devices);
	sim_ids_destroy(&v->containers);
	sim_ids_destroy(&v->device_ida);
	/* the 2020 proposal's PASID sets went with their containers */
	if (v->vmms)
		g_ptr_array_free(v->vmms, TRUE);
	g_free(v);
}

static void device_entry_free(gpointer p)
{
	vfio_pci_device_put(p);
}

int vfio_create(struct sim_world *w)
{
	struct vfio_state *v;
	struct pci_driver drv = {
		.name = "vfio-pci", .managed_dma = true, .override_only = true,
		.probe = vfio_pci_probe, .remove_begin = vfio_pci_remove_begin,
		.remove = vfio_pci_remove,
	};
	int ret;

	if (sim_should_fail(w, "vfio_alloc"))
		return -ENOMEM;
	v = g_new0(struct vfio_state, 1);
	v->w = w;
	v->groups = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, group_free);
	v->noiommu_groups = g_hash_table_new(g_direct_hash, g_direct_equal);
	v->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					   device_entry_free);
	v->params.dma_entry_limit = VFIO_DEFAULT_DMA_ENTRY_LIMIT;
	v->params.pasid_quota = VFIO_DEFAULT_PASID_QUOTA;
	v->params.share_domains = true;
	sim_ids_init(&v->containers);
	sim_ids_init(&v->device_ida);
	drv.ctx = v;
	/* CONFIG_IOMMUFD_VFIO_CONTAINER: /dev/vfio/vfio is iommufd's */
	ret = iommufd_vfio_container(w) ? 0 : vfio_container_node_add(w, v);
	if (ret)
		goto err_free;
	ret = pci_register_driver(w, &drv);
	if (ret)
		goto err_node;
	v->mdevs = g_ptr_array_new();
	vfio_mdev_init(v);
	sim_world_set_subsys(w, SIM_SUBSYS_VFIO, v, vfio_destroy);
	return 0;
err_node:
	if (!iommufd_vfio_container(w))
		sim_devnode_remove(w, VFIO_CONTAINER_PATH);
err_free:
	g_hash_table_destroy(v->groups);
	g_hash_table_destroy(v->noiommu_groups);
	g_hash_table_destroy(v->devices);
	sim_ids_destroy(&v->containers);
	sim_ids_destroy(&v->device_ida);
	g_free(v);
	return ret;
}
