/* SPDX-License-Identifier: MIT */
/*
 * VFIO's no-IOMMU mode: vfio-pci for a device no IOMMU translates, with the
 * module option enable_unsafe_noiommu_mode (profile vfio.
 * enable_unsafe_noiommu_mode).  Nothing isolates such a device: its DMA
 * reaches host memory at the addresses it is given (model/pci/dma.c), so
 * the kernel taints itself and asks CAP_SYS_RAWIO of every user.
 *
 *  - groups (vfio_noiommu_group_alloc): each such device gets a group of
 *    its own, an IOMMU group the IOMMU core never formed, named
 *    "vfio-noiommu", with the lowest id free from the core's groups up
 *    (iommu_group_alloc's ida); its node is /dev/vfio/noiommu-N
 *    (vfio_create_group's "noiommu-%d").  The id is freed when the device
 *    leaves (vfio_device_remove_group: iommu_group_remove_device); the
 *    object lives while a vfio group file still names it.
 *  - the backend (vfio_noiommu_ops, registered when the container node is,
 *    before type1 as vfio_container_init does): CHECK_EXTENSION of
 *    VFIO_NOIOMMU_IOMMU is 1 with the option on; SET_IOMMU's open wants
 *    exactly that type (EINVAL) and CAP_SYS_RAWIO (EPERM); attach and
 *    detach do nothing; every other ioctl is ENOTTY: no MAP_DMA, the user
 *    programs the device with physical addresses.
 */
#include <errno.h>
#include <glib.h>

#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

bool vfio_noiommu_enabled(const struct vfio_state *v)
{
	return v->params.noiommu;
}

unsigned vfio_fake_group_id_alloc(struct vfio_state *v)
{
	unsigned id = (unsigned)iommu_group_count(v->w);
	GHashTableIter it;
	gpointer val;
	bool used;

	do {
		used = false;
		g_hash_table_iter_init(&it, v->noiommu_groups);
		while (g_hash_table_iter_next(&it, NULL, &val))
			if (((struct iommu_group *)val)->id == id)
				used = true;
		for (guint i = 0; i < v->mdevs->len; i++)
			if (((struct mdev_state *)g_ptr_array_index(v->mdevs, i))->ig->id == id)
				used = true;
		if (used)
			id++;
	} while (used);
	return id;
}

struct iommu_group *vfio_fake_group_new(unsigned id)
{
	struct iommu_group *ig = g_new0(struct iommu_group, 1);

	ig->id = id;
	return ig;
}

struct iommu_group *vfio_noiommu_group_alloc(struct vfio_state *v, struct pci_dev *d)
{
	struct iommu_group *ig = vfio_fake_group_new(vfio_fake_group_id_alloc(v));

	ig->devices = g_new(struct pci_dev *, 1);
	ig->devices[0] = d;
	ig->ndevices = 1;
	g_hash_table_insert(v->noiommu_groups, d, ig);
	return ig;
}

struct iommu_group *vfio_noiommu_group_of(struct vfio_state *v, struct pci_dev *d)
{
	return g_hash_table_lookup(v->noiommu_groups, d);
}

void vfio_noiommu_group_remove_device(struct vfio_state *v, struct pci_dev *d)
{
	g_hash_table_remove(v->noiommu_groups, d);   /* the id is free again */
}

void vfio_noiommu_group_free(struct iommu_group *ig)
{
	g_free(ig->devices);
	g_free(ig);
}


/* ---- the backend ---------------------------------------------------------- */

/* vfio_noiommu_open: the type, then the capability (both before anything
 * is allocated: there is no state). */
static int noiommu_open(struct vfio_state *v, struct sim_proc *p, unsigned long type, void **data)
{
	(void)v;
	*data = NULL;
	if (type != VFIO_NOIOMMU_IOMMU)
		return -EINVAL;
	if (!sim_proc_capable(p, SIM_CAP_SYS_RAWIO))
		return -EPERM;
	return 0;
}

static void noiommu_release(void *data)
{
	(void)data;
}

/* vfio_noiommu_ioctl's CHECK_EXTENSION: the one type, with the option on
 * ("vfio_noiommu && arg == VFIO_NOIOMMU_IOMMU"). */
static long noiommu_check_extension(struct vfio_state *v, void *data, unsigned long arg)
{
	(void)data;
	return v->params.noiommu && arg == VFIO_NOIOMMU_IOMMU;
}

static long noiommu_ioctl(void *data, struct sim_proc *p, unsigned int cmd, unsigned long arg)
{
	(void)data;
	(void)p;
	(void)cmd;
	(void)arg;
	return -ENOTTY;
}

static int noiommu_attach_group(void *data, struct vfio_group *g)
{
	(void)data;
	(void)g;
	return 0;
}

static void noiommu_detach_group(void *data, struct vfio_group *g)
{
	(void)data;
	(void)g;
}

const struct vfio_iommu_driver_ops vfio_noiommu_ops = {
	.name = "vfio-noiommu",
	.open = noiommu_open,
	.release = noiommu_release,
	.check_extension = noiommu_check_extension,
	.ioctl = noiommu_ioctl,
	.attach_group = noiommu_attach_group,
	.detach_group = noiommu_detach_group,
};
