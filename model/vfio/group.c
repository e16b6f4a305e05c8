/* SPDX-License-Identifier: MIT */
/*
 * Group file ioctls (spec §B): GET_STATUS, SET_CONTAINER, UNSET_CONTAINER,
 * GET_DEVICE_FD.  A gone group (its last member unbound while the file
 * stayed open) answers ENODEV to all but UNSET_CONTAINER, which finds no
 * container (EINVAL), as the kernel's file over group->iommu_group == NULL.  Group states: OPEN -> ATTACHED (container set,
 * container_users = 1, the group sits on the blocking domain) -> READY (the
 * container has a backend) -> IN_USE (container_users = 1 + device fds).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/file.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/group.h"
#include "model/iommufd/iommufd.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

#define VFIO_NAME_MAX 4096   /* strndup_user(arg, PAGE_SIZE) */

/* The group lost its last vfio-pci member while the file stayed open: the
 * kernel's group->iommu_group == NULL (vfio_device_remove_group).  A group
 * object the IOMMU group has replaced since is gone for good. */
static bool group_gone(const struct vfio_group *g)
{
	return g->gone || g->nr_vfio_devices == 0;
}

/* spec §B GET_STATUS: argsz < minsz -> EINVAL; CONTAINER_SET|VIABLE with a
 * container, else VIABLE iff nobody has claimed DMA ownership. */
static long group_get_status(struct vfio_group *g, struct sim_proc *p, unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_group_status, flags);
	struct vfio_group_status st;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &st, minsz)))
		return ret;
	if (group_gone(g))
		return -ENODEV;
	st.flags = 0;
	/* with an iommufd, DMA ownership is claimed at GET_DEVICE_FD: the
	 * group may say VIABLE and GET_DEVICE_FD still fail */
	if (vfio_group_has_iommu(g))
		st.flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
	else if (g->iommu_group->owner_cnt == 0)
		st.flags = VFIO_GROUP_FLAGS_VIABLE;
	return sim_copy_to_user(p, arg, &st, minsz) ? -EFAULT : 0;
}

/*
 * SET_CONTAINER with an iommufd (v6.2, vfio_group_ioctl_set_container's
 * iommufd_ctx_from_file branch): the context's compat IOAS is made when
 * it has none (iommufd_vfio_compat_ioas_create) and the group holds the
 * context.  DMA ownership waits for GET_DEVICE_FD.  A noiommu group puts
 * the context in no-IOMMU mode instead (iommufd_vfio_compat_set_no_iommu:
 * EINVAL when it has a compat IOAS already).
 */
static int group_set_iommufd(struct vfio_group *g, struct iommufd_ctx *ictx)
{
	int ret;

	iommufd_ctx_get(ictx);
	ret = g->noiommu ? iommufd_vfio_compat_set_no_iommu(ictx)
			 : iommufd_vfio_compat_ioas_create(ictx);
	if (ret) {
		iommufd_ctx_put(ictx);
		return ret;
	}
	g->iommufd = ictx;
	return 0;
}

/*
 * spec §B SET_CONTAINER, in the kernel's order (vfio_group_ioctl_set_container):
 * a bad pointer -> EFAULT, a bad fd -> EBADF, a container already set ->
 * EINVAL, the group gone -> ENODEV, an fd that is not a container -> EBADFD
 * since the v6.2 iommufd rework ("The FD passed is not recognized"), EINVAL
 * in 6.1 (docs/kernel-versions.md), then the container side (EPERM / EBUSY
 * from ownership, the backend's attach errors).
 */
static long group_set_container(struct vfio_group *g, struct sim_proc *p, unsigned long arg)
{
	struct vfio_container *c;
	struct iommufd_ctx *ictx;
	struct sim_file *f;
	int32_t fd;
	int ret;

	if (sim_copy_from_user(p, &fd, arg, sizeof(fd)))
		return -EFAULT;
	f = sim_fd_get(p, fd);
	if (!f)
		return -EBADF;
	if (vfio_group_has_iommu(g))
		ret = -EINVAL;
	else if (group_gone(g))
		ret = -ENODEV;
	else if ((c = vfio_container_from_file(f)))
		ret = vfio_container_attach_group(c, g, p);
	else if ((ictx = iommufd_ctx_from_file(f)))
		ret = group_set_iommufd(g, ictx);
	else
		ret = sim_kernel_before(p->w, 6, 2) ? -EINVAL : -EBADFD;
	SIM_TRACE(p->w, vfio_group_set_container, g->iommu_group->id,
		  g->container ? g->container->id : 0u, ret);
	return ret;
}

/* spec §B UNSET_CONTAINER: none set -> EINVAL; a container with device
 * fds open -> EBUSY.  An iommufd is let go whatever is open
 * (vfio_group_ioctl_unset_container): bound devices hold the context
 * themselves. */
static long group_unset_container(struct vfio_group *g)
{
	if (!vfio_group_has_iommu(g))
		return -EINVAL;
	if (g->container) {
		if (g->container_users != 1)
			return -EBUSY;
		vfio_container_detach_group(g);
	}
	if (g->iommufd) {
		iommufd_ctx_put(g->iommufd);
		g->iommufd = NULL;
	}
	return 0;
}

/* strndup_user(arg, PAGE_SIZE): EFAULT for a bad pointer, EINVAL when no
 * NUL is found within the limit.  Returns the string or NULL with *err. */
static char *strndup_user(struct sim_proc *p, unsigned long uva, int *err)
{
	GString *s = g_string_new(NULL);
	char chunk[64];

	while (s->len < VFIO_NAME_MAX) {
		size_t n = 64 - (uva & 63), i;

		if (sim_copy_from_user(p, chunk, uva, n)) {
			/* retry byte by byte: the string may end before a hole */
			if (sim_copy_from_user(p, chunk, uva, (n = 1)))
				goto fault;
		}
		for (i = 0; i < n && s->len < VFIO_NAME_MAX; i++) {
			if (!chunk[i])
				return g_string_free(s, FALSE);
			g_string_append_c(s, chunk[i]);
		}
		uva += n;
	}
	*err = -EINVAL;
	g_string_free(s, TRUE);
	return NULL;
fault:
	*err = -EFAULT;
	g_string_free(s, TRUE);
	return NULL;
}

#define VF_TOKEN_ARG "vf_token="
#define UUID_STRING_LEN 36

/* uuid_parse: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in hex; 0 or -EINVAL. */
static int uuid_check(const char *s)
{
	for (int i = 0; i < UUID_STRING_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
		} else if (!g_ascii_isxdigit(s[i])) {
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * vfio_pci_core_match: does @buf name the device @name?  1 yes, 0 no,
 * -EINVAL for a bad option.  The name must be a prefix of @buf; after it
 * only spaces and at most one "vf_token=UUID" may follow (anything but a
 * space right after the name is no match).  A token is refused (EINVAL) by
 * vfio_pci_validate_vf_token here: no function of the model is a PF with
 * VFs or a VF.
 */
static int vfio_pci_match_name(const char *name, const char *buf)
{
	size_t len = strlen(name);
	bool vf_token = false;

	if (strncmp(name, buf, len))
		return 0;
	buf += len;
	if (!*buf)
		return 1;
	if (*buf != ' ')
		return 0;
	while (*buf) {
		if (*buf == ' ') {
			buf++;
			continue;
		}
		if (vf_token || strncmp(buf, VF_TOKEN_ARG, strlen(VF_TOKEN_ARG)))
			return -EINVAL;         /* unknown or duplicate option */
		buf += strlen(VF_TOKEN_ARG);
		if (strlen(buf) < UUID_STRING_LEN || uuid_check(buf))
			return -EINVAL;
		vf_token = true;
		buf += UUID_STRING_LEN;
	}
	return vf_token ? -EINVAL : 1;
}

/*
 * vfio_device_get_from_name: the first vfio-pci member whose match says
 * yes (the group's device list is newest first), or the first error.
 * Returns the member's name, NULL with *err = -ENODEV when none matches.
 */
static const char *vfio_device_get_from_name(struct vfio_group *g, const char *buf, int *err)
{
	struct iommu_group *ig = g->iommu_group;

	for (size_t i = ig->ndevices; i-- > 0 && !group_gone(g);) {
		struct pci_dev *d = ig->devices[i];
		int ret;

		/* a member being unbound left the group's list already
		 * (vfio_unregister_group_dev: vfio_device_group_unregister) */
		if (!g_hash_table_lookup(g->vfio->devices, d) ||
		    pci_unbind_pending(g->vfio->w, d))
			continue;
		ret = vfio_pci_match_name(d->name, buf);
		if (ret < 0) {
			*err = ret;
			return NULL;
		}
		if (ret)
			return d->name;
	}
	*err = -ENODEV;
	return NULL;
}

long vfio_group_ioctl(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
		      unsigned long arg)
{
	struct vfio_group *g = f->private_data;
	long ret;
	int err = 0;
	char *name;

	switch (cmd) {
	case VFIO_GROUP_GET_STATUS:
		return group_get_status(g, p, arg);
	case VFIO_GROUP_SET_CONTAINER:
		return group_set_container(g, p, arg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return group_unset_container(g);
	case VFIO_GROUP_GET_DEVICE_FD:
		name = strndup_user(p, arg, &err);
		if (!name)
			return err;
		if (g->emulated) {
			ret = group_gone(g) ? -ENODEV : vfio_mdev_get_device_fd(g, p, name);
			g_free(name);
			return ret;
		}
		{
			const char *dev = vfio_device_get_from_name(g, name, &err);

			g_free(name);
			if (!dev)
				return err;
			ret = vfio_group_get_device_fd(g, p, dev);
			if (ret >= 0 && g->noiommu)   /* vfio_device_open_file's dev_warn */
				SIM_TRACE(p->w, vfio_noiommu_device_open, dev, p->pid);
		}
		return ret;
	default:
		return -ENOTTY;
	}
}
