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
 * Mediated devices (mdev.c) take their index from the same ida when they
 * are created and get a node the same way (their class device below
 * /sys/bus/mdev/devices/UUID/vfio-dev/vfioN); they bind through the
 * emulated ops (vfio_iommufd_emulated_*): an iommufd access object, whose
 * id is the device id, attached to an IOAS (replaced when attached,
 * detached), destroyed at unbind.  noiommu devices get no node.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

static void cdev_path(int index, char *buf, size_t len)
{
	g_snprintf(buf, len, "/dev/vfio/devices/vfio%d", index);
}

static void sysfs_dir(const struct vfio_pci_device *vdev, char *buf, size_t len)
{
	g_snprintf(buf, len, "/sys/bus/pci/devices/%s/vfio-dev/vfio%d", vdev->pdev->name,
		   vdev->index);
}

static void mdev_sysfs_dir(const struct mdev_state *m, char *buf, size_t len)
{
	g_snprintf(buf, len, "/sys/bus/mdev/devices/%s/vfio-dev/vfio%d", m->uuid, m->index);
}

/* ---- the node ------------------------------------------------------------ */

/*
 * vfio_device_fops_cdev_open: a file of the device, not bound yet.  The
 * node exists only while the device is registered, so the registration
 * reference (vfio_device_try_get_registration) is the file's count.
 */
/* A device file for the cdev at @node: @df's device set by the caller,
 * the file made with @fops; ENOMEM (fault site "vfio_device_file_alloc")
 * frees @df. */
static int cdev_file_new(struct sim_devnode *node, struct sim_proc *p, int oflags,
			 const struct sim_file_ops *fops, struct vfio_device_file *df,
			 struct sim_file **out)
{
	if (sim_should_fail(p->w, "vfio_device_file_alloc") ||
	    !(*out = sim_file_new(p->w, fops, df, oflags, node->path))) {
		g_free(df);
		return -ENOMEM;
	}
	return 0;
}

static int cdev_open(struct sim_devnode *node, struct sim_proc *p, int oflags,
		     struct sim_file **out)
{
	struct vfio_state *v = vfio_get(p->w);
	struct vfio_pci_device *vdev = v ? g_hash_table_lookup(v->devices, node->priv) : NULL;
	struct vfio_device_file *df;
	int ret = -ENODEV;

	if (vdev && !vdev->removed) {
		df = g_new0(struct vfio_device_file, 1);
		df->vdev = vdev;
		ret = cdev_file_new(node, p, oflags, &vfio_device_fops, df, out);
		if (!ret) {
			vdev->refs++;
			vdev->files++;
		}
	}
	SIM_TRACE(p->w, vfio_cdev_open, node->path, ret);
	return ret;
}

static const struct sim_devnode_ops cdev_node_ops = { .open = cdev_open };

/* The same for a mediated device's node (its priv is the mdev). */
static int mdev_cdev_open(struct sim_devnode *node, struct sim_proc *p, int oflags,
			  struct sim_file **out)
{
	struct vfio_state *v = vfio_get(p->w);
	struct mdev_state *m = v ? vfio_mdev_of(v, node->priv) : NULL;
	struct vfio_device_file *df;
	int ret = -ENODEV;

	if (m && !m->removing) {
		df = g_new0(struct vfio_device_file, 1);
		df->mdev = m;
		ret = cdev_file_new(node, p, oflags, &vfio_mdev_fops, df, out);
		if (!ret)
			m->files++;
	}
	SIM_TRACE(p->w, vfio_cdev_open, node->path, ret);
	return ret;
}

static const struct sim_devnode_ops mdev_cdev_node_ops = { .open = mdev_cdev_open };

/*
 * vfio_init_device's index and vfio_device_add: the class device @dir
 * (its `dev` attribute) and, with the cdev, the node.  *index set; the
 * index freed again on failure.
 */
static int device_add(struct vfio_state *v, void *dev, int *index, bool *cdev_node,
		      bool want_node, const struct sim_devnode_ops *ops, void *priv,
		      void (*dir_of)(const void *dev, char *buf, size_t len))
{
	char path[128], attr[160], node[48], devt[32];
	int64_t id;
	int ret;

	id = sim_ids_alloc(v->w, &v->device_ida, dev, 0, VFIO_DEVICE_INDEX_MAX);
	if (id < 0)
		return (int)id;
	*index = (int)id;
	dir_of(dev, path, sizeof(path));
	ret = sim_sysfs_dir_add(v->w, path);
	if (!ret && want_node && vfio_cdev_supported(v->w)) {
		g_snprintf(attr, sizeof(attr), "%s/dev", path);
		g_snprintf(devt, sizeof(devt), "%u:%d\n", VFIO_DEVICE_CDEV_MAJOR, *index);
		ret = sim_sysfs_attr_add(v->w, attr, devt);
		cdev_path(*index, node, sizeof(node));
		if (!ret)
			ret = sim_devnode_add(v->w, node, 0, 0, 0600, ops, priv);
		*cdev_node = !ret;
	}
	if (ret) {
		sim_sysfs_remove(v->w, path);
		sim_ids_remove(&v->device_ida, (uint32_t)*index);
		*index = -1;
	}
	return ret;
}

static void pci_dir_of(const void *dev, char *buf, size_t len)
{
	sysfs_dir(dev, buf, len);
}

static void mdev_dir_of(const void *dev, char *buf, size_t len)
{
	mdev_sysfs_dir(dev, buf, len);
}

int vfio_device_cdev_add(struct vfio_pci_device *vdev)
{
	struct vfio_state *v = vdev->vfio;
	struct vfio_group *g = vfio_group_of_device(v, vdev->pdev);
	int ret = device_add(v, vdev, &vdev->index, &vdev->cdev_node, !(g && g->noiommu),
			     &cdev_node_ops, vdev->pdev, pci_dir_of);

	if (!ret)
		SIM_TRACE(v->w, vfio_device_add, vdev->pdev->name, vdev->index, vdev->cdev_node);
	return ret;
}

int vfio_mdev_cdev_add(struct mdev_state *m)
{
	int ret = device_add(m->vfio, m, &m->index, &m->cdev_node, true, &mdev_cdev_node_ops, m,
			     mdev_dir_of);

	if (!ret)
		SIM_TRACE(m->vfio->w, vfio_device_add, m->uuid, m->index, m->cdev_node);
	return ret;
}

/* vfio_device_del: the node and the class device go (the index stays
 * taken until the device's last reference). */
static void device_del(struct vfio_state *v, int index, bool *cdev_node, const char *dir)
{
	char path[48];

	if (*cdev_node) {
		cdev_path(index, path, sizeof(path));
		sim_devnode_remove(v->w, path);
		*cdev_node = false;
	}
	sim_sysfs_remove(v->w, dir);
}

void vfio_device_cdev_del(struct vfio_pci_device *vdev)
{
	char dir[128];

	if (vdev->index < 0)
		return;
	sysfs_dir(vdev, dir, sizeof(dir));
	device_del(vdev->vfio, vdev->index, &vdev->cdev_node, dir);
}

void vfio_mdev_cdev_del(struct mdev_state *m)
{
	char dir[128];

	if (m->index < 0)
		return;
	mdev_sysfs_dir(m, dir, sizeof(dir));
	device_del(m->vfio, m->index, &m->cdev_node, dir);
}

void vfio_device_index_free(struct vfio_pci_device *vdev)
{
	if (vdev->index < 0)
		return;
	sim_ids_remove(&vdev->vfio->device_ida, (uint32_t)vdev->index);
	vdev->index = -1;
}

void vfio_mdev_index_free(struct mdev_state *m)
{
	if (m->index < 0)
		return;
	sim_ids_remove(&m->vfio->device_ida, (uint32_t)m->index);
	m->index = -1;
}

/* ---- the iommufd side of a device (vfio/iommufd.c) ------------------------ */

static int pasid_index(const struct vfio_pci_device *vdev, uint32_t pasid)
{
	for (guint i = 0; vdev->pasids && i < vdev->pasids->len; i++)
		if (g_array_index(vdev->pasids, uint32_t, i) == pasid)
			return (int)i;
	return -1;
}

/* vfio_iommufd_physical_pasid_attach_ioas: replace when the PASID is
 * attached, else attach it (ida_alloc_range(pasid, pasid): a PASID beyond
 * the ida's int range is ENOSPC) */
static int physical_pasid_attach_ioas(struct vfio_pci_device *vdev, uint32_t pasid,
				      uint32_t *pt_id)
{
	int rc;

	if (!vdev->idev)
		return -EINVAL;
	/* PASID 0 is IOMMU_NO_PASID: iommufd takes it as the RID (nothing on
	 * the way refuses it) */
	if (pasid_index(vdev, pasid) >= 0)
		return pasid ? iommufd_device_replace_pasid(vdev->idev, pasid, pt_id) :
			       iommufd_device_replace(vdev->idev, pt_id);
	if (pasid > INT32_MAX)
		return -ENOSPC;
	if (sim_should_fail(vdev->vfio->w, "ids_alloc"))
		return -ENOMEM;
	rc = pasid ? iommufd_device_attach_pasid(vdev->idev, pasid, pt_id) :
		     iommufd_device_attach(vdev->idev, pt_id);
	if (rc)
		return rc;
	if (!vdev->pasids)
		vdev->pasids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_array_append_val(vdev->pasids, pasid);
	return 0;
}

/* vfio_iommufd_physical_pasid_detach_ioas: an unknown PASID is ignored */
static void physical_pasid_detach_ioas(struct vfio_pci_device *vdev, uint32_t pasid)
{
	int at = pasid_index(vdev, pasid);

	if (!vdev->idev || at < 0)
		return;
	if (pasid)
		iommufd_device_detach_pasid(vdev->idev, pasid);
	else
		iommufd_device_detach(vdev->idev);
	g_array_remove_index(vdev->pasids, (guint)at);
}

void vfio_iommufd_physical_unbind(struct vfio_pci_device *vdev)
{
	/* every PASID, lowest first (ida_find_first), then the RID */
	while (vdev->pasids && vdev->pasids->len) {
		uint32_t low = g_array_index(vdev->pasids, uint32_t, 0);

		for (guint i = 1; i < vdev->pasids->len; i++)
			low = MIN(low, g_array_index(vdev->pasids, uint32_t, i));
		physical_pasid_detach_ioas(vdev, low);
	}
	if (vdev->pasids)
		g_array_free(vdev->pasids, TRUE);
	vdev->pasids = NULL;
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

/* ---- the emulated ops (vfio/iommufd.c, vfio_iommufd_emulated_*) --------------- */

/* vfio_emulated_unmap: iommufd will unmap [iova, iova + length) of the
 * IOAS; the driver's dma_unmap unpins what it holds there. */
static void vfio_emulated_unmap(void *data, uint64_t iova, uint64_t length)
{
	vfio_mdev_dma_unmap(data, iova, length);
}

static const struct iommufd_access_ops vfio_user_ops = {
	.needs_pin_pages = true,
	.unmap = vfio_emulated_unmap,
};

int vfio_iommufd_emulated_bind(struct mdev_state *m, struct iommufd_ctx *ictx)
{
	int ret = iommufd_access_create(ictx, &vfio_user_ops, m, &m->access, &m->devid);

	if (ret) {
		m->access = NULL;
		m->devid = 0;
		return ret;
	}
	/* the access holds its context (iommufd_access_create) */
	return 0;
}

void vfio_iommufd_emulated_unbind(struct mdev_state *m)
{
	if (!m->access)
		return;
	iommufd_access_destroy(m->access);
	m->access = NULL;
	m->iommufd_attached = false;
	m->devid = m->ioas_id = 0;
}

/* vfio_iommufd_emulated_attach_ioas: attach, or replace when attached.
 * Leaving an IOAS (replace, detach) calls the driver's unmap over
 * everything (iommufd_access_change_ioas), once the new IOAS has taken
 * the access: a replace that fails keeps the pins. */
int vfio_iommufd_emulated_attach_ioas(struct mdev_state *m, uint32_t *pt_id)
{
	int rc;

	if (!m->access)
		return -EINVAL;
	if (m->iommufd_attached) {
		rc = iommufd_access_replace(m->access, *pt_id);
	} else {
		rc = iommufd_access_attach(m->access, *pt_id);
	}
	if (rc)
		return rc;
	m->iommufd_attached = true;
	m->ioas_id = *pt_id;
	return 0;
}

void vfio_iommufd_emulated_detach_ioas(struct mdev_state *m)
{
	if (!m->access || !m->iommufd_attached)
		return;
	iommufd_access_detach(m->access);
	m->iommufd_attached = false;
	m->ioas_id = 0;
}

int vfio_iommufd_emulated_compat_attach(struct mdev_state *m, struct iommufd_ctx *ictx)
{
	uint32_t ioas_id;
	int ret = iommufd_vfio_compat_ioas_get_id(ictx, &ioas_id);

	return ret ? ret : vfio_iommufd_emulated_attach_ioas(m, &ioas_id);
}

/* ---- what a device file's ioctls need of either kind of device -------------- */

static struct sim_world *df_world(const struct vfio_device_file *df)
{
	return df->mdev ? df->mdev->vfio->w : df->vdev->vfio->w;
}

static struct vfio_group *df_group_of(const struct vfio_device_file *df)
{
	return df->mdev ? df->mdev->group : vfio_group_of_device(df->vdev->vfio, df->vdev->pdev);
}

static const char *df_name(const struct vfio_device_file *df)
{
	return df->mdev ? df->mdev->uuid : df->vdev->pdev->name;
}

static uint32_t df_devid(const struct vfio_device_file *df)
{
	return df->mdev ? df->mdev->devid : df->vdev->devid;
}

static bool df_attached(const struct vfio_device_file *df)
{
	return df->mdev ? df->mdev->iommufd_attached : df->vdev->iommufd_attached;
}

static void df_set_cdev_opened(struct vfio_device_file *df, bool on)
{
	if (df->mdev)
		df->mdev->cdev_opened = on;
	else
		df->vdev->cdev_opened = on;
}

/* device->ops->attach_ioas / detach_ioas */
static int df_attach_ioas(struct vfio_device_file *df, uint32_t *pt_id)
{
	return df->mdev ? vfio_iommufd_emulated_attach_ioas(df->mdev, pt_id)
			: physical_attach_ioas(df->vdev, pt_id);
}

static void df_detach_ioas(struct vfio_device_file *df)
{
	if (df->mdev)
		vfio_iommufd_emulated_detach_ioas(df->mdev);
	else
		physical_detach_ioas(df->vdev);
}

/* ---- blocking the group (group.c) ------------------------------------------ */

static int vfio_device_block_group(struct vfio_group *g)
{
	if (!g)
		return 0;
	if (g->opened)
		return -EBUSY;
	g->cdev_device_open_cnt++;
	return 0;
}

static void vfio_device_unblock_group(struct vfio_group *g)
{
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
 * errnos, or for a mediated device iommufd_access_create's); the device
 * id back (EFAULT): a DEVICE object's, or the ACCESS object's.
 */
static long bind_iommufd(struct vfio_device_file *df, struct sim_proc *p, unsigned long arg)
{
	struct vfio_group *g = df_group_of(df);
	size_t minsz = vfio_offsetofend(struct vfio_device_bind_iommufd, out_devid);
	struct vfio_device_bind_iommufd bind;
	struct iommufd_ctx *ictx;
	struct sim_file *f;
	uint32_t devid;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &bind, minsz)))
		goto out;
	if (bind.flags || bind.iommufd < 0 || df->group) {
		ret = -EINVAL;
		goto out;
	}
	ret = vfio_device_block_group(g);
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
	devid = df_devid(df);
	if (sim_copy_to_user(p, arg + offsetof(struct vfio_device_bind_iommufd, out_devid),
			     &devid, sizeof(devid))) {
		ret = -EFAULT;
		vfio_df_close(df);
		goto put_ctx;
	}
	df_set_cdev_opened(df, true);
	df->access_granted = true;
	goto out;
put_ctx:
	df->iommufd = NULL;
	iommufd_ctx_put(ictx);
unblock:
	vfio_device_unblock_group(g);
out:
	SIM_TRACE(p->w, vfio_cdev_bind, df_name(df), ret ? 0u : df_devid(df), (int)ret);
	return ret;
}

void vfio_df_unbind_iommufd(struct vfio_device_file *df)
{
	struct iommufd_ctx *ictx = df->iommufd;

	if (!df->access_granted)
		return;
	SIM_TRACE(df_world(df), vfio_cdev_unbind, df_name(df), df_devid(df));
	vfio_df_close(df);
	df->iommufd = NULL;
	df->access_granted = false;
	iommufd_ctx_put(ictx);
	df_set_cdev_opened(df, false);
	vfio_device_unblock_group(df_group_of(df));
}

/*
 * vfio_df_ioctl_attach_pt: the struct (EFAULT), argsz and flags (EINVAL;
 * 6.12 has no PASID flag, 6.15 VFIO_DEVICE_ATTACH_PASID); with the PASID
 * flag a driver without pasid_attach_ioas (a mediated device's) is
 * EOPNOTSUPP, and argsz must take the pasid (EINVAL, EFAULT); then the
 * core's attach or replace; pt_id comes back (the automatic HWPT's id for
 * an IOAS), EFAULT detaching again - the RID, even after a PASID attach,
 * as the kernel's does.
 */
static long attach_pt(struct vfio_device_file *df, struct sim_proc *p, unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_device_attach_iommufd_pt, pt_id);
	size_t xend = vfio_offsetofend(struct vfio_device_attach_iommufd_pt, pasid);
	struct vfio_device_attach_iommufd_pt attach;
	uint32_t valid = sim_kernel_before(p->w, 6, 15) ? 0 : VFIO_DEVICE_ATTACH_PASID;
	bool replace = df_attached(df);
	uint32_t in = 0;
	long ret;

	memset(&attach, 0, sizeof(attach));
	if ((ret = vfio_copy_argsz_in(p, arg, &attach, minsz)))
		goto out;
	in = attach.pt_id;
	if (attach.flags & ~valid) {
		ret = -EINVAL;
		goto out;
	}
	if (attach.flags & VFIO_DEVICE_ATTACH_PASID) {
		if (df->mdev) {
			ret = -EOPNOTSUPP;
			goto out;
		}
		if (attach.argsz < xend) {
			ret = -EINVAL;
			goto out;
		}
		if (sim_copy_from_user(p, &attach.pasid, arg + minsz, sizeof(attach.pasid))) {
			ret = -EFAULT;
			goto out;
		}
		replace = pasid_index(df->vdev, attach.pasid) >= 0;
		ret = physical_pasid_attach_ioas(df->vdev, attach.pasid, &attach.pt_id);
	} else {
		ret = df_attach_ioas(df, &attach.pt_id);
	}
	if (ret)
		goto out;
	if (sim_copy_to_user(p, arg + offsetof(struct vfio_device_attach_iommufd_pt, pt_id),
			     &attach.pt_id, sizeof(attach.pt_id))) {
		/* the kernel's out_detach: the RID, also after a PASID
		 * attach - a failing call that changed state */
		if (attach.flags & VFIO_DEVICE_ATTACH_PASID)
			sim_world_note_partial_failure(p->w);
		df_detach_ioas(df);
		ret = -EFAULT;
	}
out:
	SIM_TRACE(p->w, vfio_cdev_attach, df_name(df), in, ret ? 0u : attach.pt_id, replace,
		  (int)ret);
	return ret;
}

/* vfio_df_ioctl_detach_pt: the struct (EFAULT), argsz and flags (EINVAL);
 * with VFIO_DEVICE_DETACH_PASID (6.15) a mediated device EOPNOTSUPP, an
 * argsz without the pasid EINVAL; then 0, also when not attached. */
static long detach_pt(struct vfio_device_file *df, struct sim_proc *p, unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_device_detach_iommufd_pt, flags);
	size_t xend = vfio_offsetofend(struct vfio_device_detach_iommufd_pt, pasid);
	uint32_t valid = sim_kernel_before(p->w, 6, 15) ? 0 : VFIO_DEVICE_DETACH_PASID;
	struct vfio_device_detach_iommufd_pt detach;
	long ret;

	memset(&detach, 0, sizeof(detach));
	if ((ret = vfio_copy_argsz_in(p, arg, &detach, minsz)))
		return ret;
	if (detach.flags & ~valid)
		return -EINVAL;
	if (detach.flags & VFIO_DEVICE_DETACH_PASID) {
		if (df->mdev)
			return -EOPNOTSUPP;
		if (detach.argsz < xend)
			return -EINVAL;
		if (sim_copy_from_user(p, &detach.pasid, arg + minsz, sizeof(detach.pasid)))
			return -EFAULT;
		SIM_TRACE(p->w, vfio_cdev_detach, df_name(df), pasid_index(df->vdev, detach.pasid) >= 0);
		physical_pasid_detach_ioas(df->vdev, detach.pasid);
		return 0;
	}
	SIM_TRACE(p->w, vfio_cdev_detach, df_name(df), df_attached(df));
	df_detach_ioas(df);
	return 0;
}

long vfio_df_cdev_ioctl(struct vfio_device_file *df, struct sim_proc *p, unsigned int cmd,
			unsigned long arg)
{
	bool cdev = vfio_cdev_supported(p->w);

	/* a kernel built without CONFIG_VFIO_DEVICE_CDEV (before 6.6 here)
	 * has vfio_df_ioctl_bind_iommufd answer ENOTTY */
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
