/* SPDX-License-Identifier: MIT */
/*
 * The VFIO device cdev and a device file's iommufd side, as the kernel's
 * drivers/vfio/device_cdev.c, vfio/iommufd.c and the parts of
 * vfio_main.c and group.c they call.
 *
 * Every vfio device takes the lowest free index of vfio_device_ida at
 * vfio_init_device and is the class device "vfioN" below its function
 * (/sys/bus/pci/devices/BDF/vfio-dev/vfioN, since 6.1).  With
 * CONFIG_VFIO_DEVICE_CDEV (v6.6, and it needs iommufd) it also has a
 * device number (the `dev` attribute) and a node, /dev/vfio/devices/vfioN,
 * root:root 0600 (vfio_device_devnode names it and leaves the mode alone).
 *
 * Opening the node (vfio_device_fops_cdev_open) gives a file that may do
 * nothing but VFIO_DEVICE_BIND_IOMMUFD: every other ioctl, read and write
 * are EINVAL until then (df->access_granted).  BIND blocks the group node
 * (vfio_device_block_group: EBUSY while it is open, and it stays
 * unopenable while bound) and opens the device once (vfio_df_open), which
 * binds it to the context (iommufd_device_bind: the DMA ownership claim).
 * ATTACH_IOMMUFD_PT attaches or, when attached, replaces
 * (vfio_iommufd_physical_attach_ioas); DETACH_IOMMUFD_PT returns it to
 * blocked.  Closing the file detaches, unbinds and unblocks the group.
 *
 * Mediated devices use iommufd access objects in the kernel
 * (vfio_iommufd_emulated_*), which the core does not have yet: they get
 * an index but no node here.  noiommu devices get no node either.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <glib.h>

#include "sim/devnode.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/ids.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/sysfs.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/group.h"
#include "model/iommufd/iommufd.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"
#include "iommusim/uapi/vfio_cdev.h"

/* MINORMASK: vfio_device_ida's limit (ida_alloc_max) */
#define VFIO_DEVICE_INDEX_MAX ((1 << 20) - 1)

bool vfio_cdev_supported(struct sim_world *w)
{
	return sim_world_subsys(w, SIM_SUBSYS_IOMMUFD) && !sim_kernel_before(w, 6, 6);
}

static void cdev_path(const struct vfio_pci_device *vdev, char *buf, size_t len)
{
	g_snprintf(buf, len, "/dev/vfio/devices/vfio%d", vdev->index);
}

static void sysfs_dir(const struct vfio_pci_device *vdev, char *buf, size_t len)
{
	g_snprintf(buf, len, "/sys/bus/pci/devices/%s/vfio-dev/vfio%d", vdev->pdev->name,
		   vdev->index);
}

/* ---- the node ------------------------------------------------------------ */

/*
 * vfio_device_fops_cdev_open: a file of the device, not bound yet.  The
 * node exists only while the device is registered, so the registration
 * reference (vfio_device_try_get_registration) is the file's count.
 */
static int cdev_open(struct sim_devnode *node, struct sim_proc *p, int oflags,
		     struct sim_file **out)
{
	struct vfio_state *v = vfio_get(p->w);
	struct vfio_pci_device *vdev = v ? g_hash_table_lookup(v->devices, node->priv) : NULL;
	struct vfio_device_file *df;
	int ret = 0;

	if (!vdev || vdev->removed)
		ret = -ENODEV;
	else if (sim_should_fail(p->w, "vfio_device_file_alloc"))
		ret = -ENOMEM;
	if (ret)
		goto out;
	df = g_new0(struct vfio_device_file, 1);
	df->vdev = vdev;
	*out = sim_file_new(p->w, &vfio_device_fops, df, oflags, node->path);
	if (!*out) {
		g_free(df);
		ret = -ENOMEM;
		goto out;
	}
	vdev->refs++;
	vdev->files++;
out:
	SIM_TRACE(p->w, vfio_cdev_open, node->path, ret);
	return ret;
}

static const struct sim_devnode_ops cdev_node_ops = { .open = cdev_open };

int vfio_device_cdev_add(struct vfio_pci_device *vdev)
{
	struct vfio_state *v = vdev->vfio;
	struct vfio_group *g = vfio_group_of_device(v, vdev->pdev);
	char path[96], attr[128], dev[32];
	int64_t index;
	int ret;

	index = sim_ids_alloc(v->w, &v->device_ida, vdev, 0, VFIO_DEVICE_INDEX_MAX);
	if (index < 0)
		return (int)index;
	vdev->index = (int)index;
	sysfs_dir(vdev, path, sizeof(path));
	ret = sim_sysfs_dir_add(v->w, path);
	if (!ret && vfio_cdev_supported(v->w) && !(g && g->noiommu)) {
		g_snprintf(attr, sizeof(attr), "%s/dev", path);
		g_snprintf(dev, sizeof(dev), "%u:%d\n", VFIO_DEVICE_CDEV_MAJOR, vdev->index);
		ret = sim_sysfs_attr_add(v->w, attr, dev);
		cdev_path(vdev, path, sizeof(path));
		if (!ret)
			ret = sim_devnode_add(v->w, path, 0, 0, 0600, &cdev_node_ops, vdev->pdev);
		vdev->cdev_node = !ret;
	}
	if (ret) {
		sysfs_dir(vdev, path, sizeof(path));
		sim_sysfs_remove(v->w, path);
		vfio_device_index_free(vdev);
		return ret;
	}
	SIM_TRACE(v->w, vfio_device_add, vdev->pdev->name, vdev->index, vdev->cdev_node);
	return 0;
}

/* vfio_device_del: the node and the class device go (the index stays
 * taken until the device's last reference). */
void vfio_device_cdev_del(struct vfio_pci_device *vdev)
{
	struct vfio_state *v = vdev->vfio;
	char path[96];

	if (vdev->index < 0)
		return;
	if (vdev->cdev_node) {
		cdev_path(vdev, path, sizeof(path));
		sim_devnode_remove(v->w, path);
		vdev->cdev_node = false;
	}
	sysfs_dir(vdev, path, sizeof(path));
	sim_sysfs_remove(v->w, path);
}

void vfio_device_index_free(struct vfio_pci_device *vdev)
{
	if (vdev->index < 0)
		return;
	sim_ids_remove(&vdev->vfio->device_ida, (uint32_t)vdev->index);
	vdev->index = -1;
}

/* ---- the iommufd side of a device (vfio/iommufd.c) ------------------------ */

void vfio_iommufd_physical_unbind(struct vfio_pci_device *vdev)
{
	if (vdev->iommufd_attached) {
		iommufd_device_detach(vdev->idev);
		vdev->iommufd_attached = false;
	}
	iommufd_device_unbind(vdev->idev);
	vdev->idev = NULL;
	vdev->devid = 0;
}

/* vfio_iommufd_physical_attach_ioas: replace when attached */
static int physical_attach_ioas(struct vfio_pci_device *vdev, uint32_t *pt_id)
{
	int rc;

	if (!vdev->idev)
		return -EINVAL;
	if (vdev->iommufd_attached)
		rc = iommufd_device_replace(vdev->idev, pt_id);
	else
		rc = iommufd_device_attach(vdev->idev, pt_id);
	if (rc)
		return rc;
	vdev->iommufd_attached = true;
	return 0;
}

static void physical_detach_ioas(struct vfio_pci_device *vdev)
{
	if (!vdev->idev || !vdev->iommufd_attached)
		return;
	iommufd_device_detach(vdev->idev);
	vdev->iommufd_attached = false;
}

int vfio_iommufd_compat_attach_ioas(struct vfio_pci_device *vdev, struct iommufd_ctx *ictx)
{
	uint32_t ioas_id;
	int ret = iommufd_vfio_compat_ioas_get_id(ictx, &ioas_id);

	if (ret)
		return ret;
	/* the legacy path has no way to return the chosen pt_id */
	return physical_attach_ioas(vdev, &ioas_id);
}

/* ---- blocking the group (group.c) ------------------------------------------ */

static int vfio_device_block_group(struct vfio_pci_device *vdev)
{
	struct vfio_group *g = vfio_group_of_device(vdev->vfio, vdev->pdev);

	if (!g)
		return 0;
	if (g->opened)
		return -EBUSY;
	g->cdev_device_open_cnt++;
	return 0;
}

static void vfio_device_unblock_group(struct vfio_pci_device *vdev)
{
	struct vfio_group *g = vfio_group_of_device(vdev->vfio, vdev->pdev);

	if (g && g->cdev_device_open_cnt)
		g->cdev_device_open_cnt--;
}

/* ---- the cdev ioctls (device_cdev.c) ---------------------------------------- */

/*
 * vfio_df_ioctl_bind_iommufd, in the kernel's order: the struct (EFAULT);
 * argsz, flags, a negative fd (EINVAL); a group's device file (EINVAL);
 * the group node open (EBUSY); this file already bound (EINVAL); the fd
 * (EBADF) and whether it is an iommufd (EBADFD); vfio_df_open (EINVAL
 * when another cdev file has the device, then iommufd_device_bind's
 * errnos); the device id back (EFAULT).
 */
static long bind_iommufd(struct vfio_device_file *df, struct sim_proc *p, unsigned long arg)
{
	struct vfio_pci_device *vdev = df->vdev;
	size_t minsz = vfio_offsetofend(struct vfio_device_bind_iommufd, out_devid);
	struct vfio_device_bind_iommufd bind;
	struct iommufd_ctx *ictx;
	struct sim_file *f;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &bind, minsz)))
		goto out;
	if (bind.flags || bind.iommufd < 0 || df->group) {
		ret = -EINVAL;
		goto out;
	}
	ret = vfio_device_block_group(vdev);
	if (ret)
		goto out;
	if (df->access_granted) {
		ret = -EINVAL;
		goto unblock;
	}
	f = sim_fd_get(p, bind.iommufd);
	if (!f) {
		ret = -EBADF;
		goto unblock;
	}
	ictx = iommufd_ctx_from_file(f);
	if (!ictx) {
		ret = -EBADFD;
		goto unblock;
	}
	iommufd_ctx_get(ictx);
	df->iommufd = ictx;
	ret = vfio_df_open(df);
	if (ret)
		goto put_ctx;
	if (sim_copy_to_user(p, arg + offsetof(struct vfio_device_bind_iommufd, out_devid),
			     &vdev->devid, sizeof(vdev->devid))) {
		ret = -EFAULT;
		vfio_df_close(df);
		goto put_ctx;
	}
	vdev->cdev_opened = true;
	df->access_granted = true;
	goto out;
put_ctx:
	df->iommufd = NULL;
	iommufd_ctx_put(ictx);
unblock:
	vfio_device_unblock_group(vdev);
out:
	SIM_TRACE(p->w, vfio_cdev_bind, vdev->pdev->name, ret ? 0u : vdev->devid, (int)ret);
	return ret;
}

void vfio_df_unbind_iommufd(struct vfio_device_file *df)
{
	struct vfio_pci_device *vdev = df->vdev;
	struct iommufd_ctx *ictx = df->iommufd;

	if (!df->access_granted)
		return;
	SIM_TRACE(vdev->vfio->w, vfio_cdev_unbind, vdev->pdev->name, vdev->devid);
	vfio_df_close(df);
	df->iommufd = NULL;
	df->access_granted = false;
	iommufd_ctx_put(ictx);
	vdev->cdev_opened = false;
	vfio_device_unblock_group(vdev);
}

/*
 * vfio_df_ioctl_attach_pt: the struct (EFAULT), argsz and flags (EINVAL;
 * 6.12 has no PASID flag), then the core's attach or replace; pt_id comes
 * back (the automatic HWPT's id for an IOAS), EFAULT detaching again.
 */
static long attach_pt(struct vfio_device_file *df, struct sim_proc *p, unsigned long arg)
{
	struct vfio_pci_device *vdev = df->vdev;
	size_t minsz = vfio_offsetofend(struct vfio_device_attach_iommufd_pt, pt_id);
	struct vfio_device_attach_iommufd_pt attach;
	bool replace = vdev->iommufd_attached;
	uint32_t in = 0;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &attach, minsz)))
		goto out;
	in = attach.pt_id;
	if (attach.flags) {
		ret = -EINVAL;
		goto out;
	}
	ret = physical_attach_ioas(vdev, &attach.pt_id);
	if (ret)
		goto out;
	if (sim_copy_to_user(p, arg + offsetof(struct vfio_device_attach_iommufd_pt, pt_id),
			     &attach.pt_id, sizeof(attach.pt_id))) {
		physical_detach_ioas(vdev);
		ret = -EFAULT;
	}
out:
	SIM_TRACE(p->w, vfio_cdev_attach, vdev->pdev->name, in, ret ? 0u : attach.pt_id,
		  replace, (int)ret);
	return ret;
}

/* vfio_df_ioctl_detach_pt: the struct (EFAULT), argsz and flags (EINVAL);
 * then 0, also when not attached. */
static long detach_pt(struct vfio_device_file *df, struct sim_proc *p, unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_device_detach_iommufd_pt, flags);
	struct vfio_device_detach_iommufd_pt detach;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &detach, minsz)))
		return ret;
	if (detach.flags)
		return -EINVAL;
	SIM_TRACE(p->w, vfio_cdev_detach, df->vdev->pdev->name, df->vdev->iommufd_attached);
	physical_detach_ioas(df->vdev);
	return 0;
}

long vfio_df_cdev_ioctl(struct vfio_device_file *df, struct sim_proc *p, unsigned int cmd,
			unsigned long arg)
{
	bool cdev = vfio_cdev_supported(p->w);

	/* without CONFIG_VFIO_DEVICE_CDEV the stub is ENOTTY */
	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		return cdev ? bind_iommufd(df, p, arg) : -ENOTTY;
	if (!df->access_granted)
		return -EINVAL;
	if (cdev && !df->group) {
		if (cmd == VFIO_DEVICE_ATTACH_IOMMUFD_PT)
			return attach_pt(df, p, arg);
		if (cmd == VFIO_DEVICE_DETACH_IOMMUFD_PT)
			return detach_pt(df, p, arg);
	}
	return 1;
}
