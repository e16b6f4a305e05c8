/* SPDX-License-Identifier: MIT */
/*
 * Containers (spec §B): one per open of /dev/vfio/vfio.
 *
 * States: EMPTY (no group) -> HAS_GROUPS -> IOMMU_SET.  kref = 1 for the
 * file while it is open + 1 per attached group, so closing the container fd
 * keeps its mappings and DMA running while groups hold it.  When the last
 * group detaches, the container is deprivileged: the backend is released
 * (mappings unmapped and unpinned) and it is EMPTY again.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>

#include "sim/devnode.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/ids.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

static const struct sim_file_ops container_fops;

struct vfio_container *vfio_container_from_file(struct sim_file *f)
{
	return f && f->ops == &container_fops ? f->private_data : NULL;
}

static void vfio_container_put(struct vfio_container *c)
{
	if (--c->kref)
		return;
	sim_ids_remove(&c->vfio->containers, c->id);
	g_free(c);
}

/* ---- attaching and detaching groups ------------------------------------- */

/*
 * spec §B SET_CONTAINER, after the group-side checks: claim DMA ownership
 * (EPERM: a kernel DMA driver is bound; EBUSY: not on the default domain),
 * then attach to the backend if one is set (its errno, ownership released).
 */
int vfio_container_attach_group(struct vfio_container *c, struct vfio_group *g)
{
	int ret = iommu_group_claim_dma_owner(g->iommu_group, c);

	if (ret)
		return ret;
	if (c->iommu) {
		ret = vfio_iommu_type1_attach_group(c->iommu, g->iommu_group);
		if (ret) {
			iommu_group_release_dma_owner(g->iommu_group, c);
			return ret;
		}
	}
	g->container = c;
	g->container_users = 1;
	c->groups = g_list_prepend(c->groups, g);   /* list_add: newest first */
	c->kref++;
	return 0;
}

/* The kernel's __vfio_group_unset_container: detach from the backend,
 * release ownership (default domain back), and deprivilege the container
 * when this was its last group (spec §B). */
void vfio_container_detach_group(struct vfio_group *g)
{
	struct vfio_container *c = g->container;

	SIM_TRACE(c->vfio->w, vfio_group_unset_container, g->iommu_group->id, c->id);
	if (c->iommu)
		vfio_iommu_type1_detach_group(c->iommu, g->iommu_group);
	iommu_group_release_dma_owner(g->iommu_group, c);
	g->container = NULL;
	g->container_users = 0;
	c->groups = g_list_remove(c->groups, g);
	if (c->iommu && !c->groups) {
		SIM_TRACE(c->vfio->w, vfio_container_deprivilege, c->id);
		vfio_iommu_type1_release(c->iommu);
		c->iommu = NULL;
	}
	vfio_container_put(c);
}

/* ---- ioctls -------------------------------------------------------------- */

/* spec §B CHECK_EXTENSION: without a backend every backend is asked (type1
 * is the only one); with one, the backend answers for its state. */
static long vfio_container_check_extension(struct vfio_container *c, unsigned long arg)
{
	if (c->iommu)
		return vfio_iommu_type1_check_extension(c->iommu, arg);
	return vfio_iommu_type1_check_extension(NULL, arg);
}

/* Attach every group; on failure detach the ones attached (reverse). */
static int attach_groups(struct vfio_container *c, struct vfio_iommu *iommu)
{
	GList *l;
	int ret = 0;

	for (l = c->groups; l; l = l->next) {
		struct vfio_group *g = l->data;

		ret = vfio_iommu_type1_attach_group(iommu, g->iommu_group);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	for (l = l->prev; l; l = l->prev) {
		struct vfio_group *g = l->data;

		vfio_iommu_type1_detach_group(iommu, g->iommu_group);
	}
	return ret;
}

/*
 * spec §B SET_IOMMU: no groups, or a backend already set -> EINVAL; a type
 * no backend supports -> ENODEV; backend open or group attach fails -> that
 * errno with the container unchanged.
 */
static long vfio_ioctl_set_iommu(struct vfio_container *c, unsigned long arg)
{
	struct vfio_iommu *iommu;
	int ret;

	if (!c->groups || c->iommu) {
		ret = -EINVAL;
		goto out;
	}
	/* the backend must claim the type through CHECK_EXTENSION; it may
	 * then still refuse to open it (UNMAP_ALL is an extension, not a
	 * type: -EINVAL from the backend's open, as the kernel does) */
	ret = -ENODEV;
	if (vfio_iommu_type1_check_extension(NULL, arg) <= 0)
		goto out;
	iommu = vfio_iommu_type1_open(c->vfio, arg, &ret);
	if (!iommu)
		goto out;
	ret = attach_groups(c, iommu);
	if (ret) {
		vfio_iommu_type1_release(iommu);
		goto out;
	}
	c->iommu = iommu;
out:
	SIM_TRACE(c->vfio->w, vfio_set_iommu, c->id, arg, ret);
	return ret;
}

static long container_ioctl(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
			    unsigned long arg)
{
	struct vfio_container *c = f->private_data;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return vfio_container_check_extension(c, arg);
	case VFIO_SET_IOMMU:
		return vfio_ioctl_set_iommu(c, arg);
	default:
		/* spec §B: no backend -> EINVAL; the backend says ENOTTY */
		if (!c->iommu)
			return -EINVAL;
		return vfio_iommu_type1_ioctl(c->iommu, p, cmd, arg);
	}
}

/* ---- files and the node ------------------------------------------------- */

static void container_release(struct sim_file *f)
{
	struct vfio_container *c = f->private_data;

	SIM_TRACE(c->vfio->w, vfio_container_release, c->id);
	c->file_open = false;
	vfio_container_put(c);   /* attached groups keep it (spec §B) */
}

static const struct sim_file_ops container_fops = {
	.name = "vfio-container",
	.ioctl = container_ioctl,
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
	c->kref = 1;
	c->file_open = true;
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

int vfio_container_node_add(struct sim_world *w, struct vfio_state *v)
{
	return sim_devnode_add(w, VFIO_CONTAINER_PATH, 0, 0, 0666, &container_node_ops, v);
}
