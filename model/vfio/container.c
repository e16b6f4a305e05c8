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
#include <string.h>

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
 * spec §B SET_CONTAINER, after the group-side checks, as the kernel's
 * vfio_container_attach_group: a noiommu group needs CAP_SYS_RAWIO (EPERM);
 * noiommu and real groups never share a container (EPERM); an emulated
 * (mdev) group shares one with real groups; a real group's DMA ownership
 * is claimed (EPERM: a kernel DMA driver is bound; EBUSY: not
 * on the default domain); then the backend, if one is set, attaches it (its
 * errno, ownership released).
 */
int vfio_container_attach_group(struct vfio_container *c, struct vfio_group *g,
				struct sim_proc *p)
{
	int ret = 0;

	if (g->noiommu && !sim_proc_capable(p, SIM_CAP_SYS_RAWIO))
		return -EPERM;
	if (c->groups && c->noiommu != g->noiommu)
		return -EPERM;
	if (vfio_group_is_iommu(g)) {
		ret = iommu_group_claim_dma_owner(g->iommu_group, c);
		if (ret)
			return ret;
	}
	if (c->driver) {
		ret = c->driver->attach_group(c->driver_data, g);
		if (ret) {
			if (vfio_group_is_iommu(g))
				iommu_group_release_dma_owner(g->iommu_group, c);
			return ret;
		}
	}
	c->noiommu = g->noiommu;
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
	if (c->driver)
		c->driver->detach_group(c->driver_data, g);
	if (vfio_group_is_iommu(g))
		iommu_group_release_dma_owner(g->iommu_group, c);
	g->container = NULL;
	g->container_users = 0;
	c->groups = g_list_remove(c->groups, g);
	if (c->driver && !c->groups) {
		SIM_TRACE(c->vfio->w, vfio_container_deprivilege, c->id);
		c->driver->release(c->driver_data);
		c->driver = NULL;
		c->driver_data = NULL;
		c->iommu = NULL;
	}
	vfio_container_put(c);
}

/* ---- ioctls -------------------------------------------------------------- */

int vfio_register_iommu_driver(struct vfio_state *v, const struct vfio_iommu_driver_ops *ops)
{
	for (unsigned i = 0; i < v->nr_iommu_drivers; i++)
		if (v->iommu_drivers[i] == ops)
			return -EINVAL;
	if (v->nr_iommu_drivers == VFIO_MAX_IOMMU_DRIVERS)
		return -EINVAL;
	v->iommu_drivers[v->nr_iommu_drivers++] = ops;
	return 0;
}

/* The registered backends newest first, as list_add leaves the kernel's
 * list: @i counts from 0. */
static const struct vfio_iommu_driver_ops *nth_driver(const struct vfio_state *v, unsigned i)
{
	return i < v->nr_iommu_drivers ? v->iommu_drivers[v->nr_iommu_drivers - 1 - i] : NULL;
}

/* vfio_iommu_driver_allowed: noiommu containers use vfio-noiommu only,
 * and only they do. */
static bool driver_allowed(const struct vfio_container *c, const struct vfio_iommu_driver_ops *d)
{
	return c->noiommu == !strcmp(d->name, "vfio-noiommu");
}

/*
 * spec §B CHECK_EXTENSION, as vfio_container_ioctl_check_extension: the
 * container has no extensions of its own.  With a backend set, it answers
 * for its state; without one, every registered backend is asked (those the
 * container's groups allow, once it has groups) and the first positive
 * answer wins, else the last one asked.  So when the last group leaves and
 * the backend is released, the answers are the empty container's again.
 */
static long vfio_container_check_extension(struct vfio_container *c, unsigned long arg)
{
	const struct vfio_iommu_driver_ops *d;
	long ret = 0;

	if (c->driver)
		return c->driver->check_extension(c->vfio, c->driver_data, arg);
	for (unsigned i = 0; (d = nth_driver(c->vfio, i)); i++) {
		if (c->groups && !driver_allowed(c, d))
			continue;
		ret = d->check_extension(c->vfio, NULL, arg);
		if (ret > 0)
			break;
	}
	return ret;
}

/* __vfio_container_attach_groups: every group, newest first; on failure
 * the ones attached are detached again in reverse. */
static int attach_groups(struct vfio_container *c, const struct vfio_iommu_driver_ops *d,
			 void *data)
{
	GList *l;
	int ret = -ENODEV;

	for (l = c->groups; l; l = l->next) {
		ret = d->attach_group(data, l->data);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	for (l = l->prev; l; l = l->prev)
		d->detach_group(data, l->data);
	return ret;
}

/*
 * spec §B SET_IOMMU, as vfio_ioctl_set_iommu: no groups, or a backend
 * already set -> EINVAL.  Then each allowed backend in turn: one that does
 * not claim @arg through CHECK_EXTENSION is skipped; one whose open or
 * group attach fails leaves its errno as the answer and the next is tried;
 * the first that opens and takes every group is the container's.  So an
 * @arg no backend claims is ENODEV, and one that is an extension but not a
 * type (UNMAP_ALL) is type1's open's EINVAL.
 */
static long vfio_ioctl_set_iommu(struct vfio_container *c, struct sim_proc *p,
				 unsigned long arg)
{
	const struct vfio_iommu_driver_ops *d;
	long ret = -ENODEV;

	if (!c->groups || c->driver) {
		ret = -EINVAL;
		goto out;
	}
	for (unsigned i = 0; (d = nth_driver(c->vfio, i)); i++) {
		void *data = NULL;
		int err;

		if (!driver_allowed(c, d) || d->check_extension(c->vfio, NULL, arg) <= 0)
			continue;
		err = d->open(c->vfio, p, arg, &data);
		if (err) {
			ret = err;
			continue;
		}
		err = attach_groups(c, d, data);
		if (err) {
			d->release(data);
			ret = err;
			continue;
		}
		c->driver = d;
		c->driver_data = data;
		c->iommu = d == &vfio_iommu_type1_ops ? data : NULL;
		ret = 0;
		break;
	}
out:
	SIM_TRACE(c->vfio->w, vfio_set_iommu, c->id, arg, (int)ret);
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
		return vfio_ioctl_set_iommu(c, p, arg);
	default:
		/* spec §B: no backend -> EINVAL; the backend says ENOTTY */
		if (!c->driver)
			return -EINVAL;
		return c->driver->ioctl(c->driver_data, p, cmd, arg);
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
	/* vfio_container_init registers vfio-noiommu; vfio_iommu_type1
	 * registers itself later, at its module load, so it is asked first */
	int ret = vfio_register_iommu_driver(v, &vfio_noiommu_ops);

	if (!ret)
		ret = vfio_register_iommu_driver(v, &vfio_iommu_type1_ops);
	if (ret)
		return ret;
	return sim_devnode_add(w, VFIO_CONTAINER_PATH, 0, 0, 0666, &container_node_ops, v);
}
