/* SPDX-License-Identifier: MIT */
/*
 * Group file ioctls (spec §B): GET_STATUS, SET_CONTAINER, UNSET_CONTAINER,
 * GET_DEVICE_FD.  Group states: OPEN -> ATTACHED (container set,
 * container_users = 1, the group sits on the blocking domain) -> READY (the
 * container has a backend) -> IN_USE (container_users = 1 + device fds).
 */
#include <errno.h>
#include <glib.h>

#include "sim/file.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

#define VFIO_NAME_MAX 4096   /* strndup_user(arg, PAGE_SIZE) */

/* The group lost its last vfio-pci member while the file stayed open: the
 * kernel's group->iommu_group == NULL. */
static bool group_gone(const struct vfio_group *g)
{
	return g->nr_vfio_devices == 0;
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
	if (g->container)
		st.flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
	else if (g->iommu_group->owner_cnt == 0)
		st.flags = VFIO_GROUP_FLAGS_VIABLE;
	return sim_copy_to_user(p, arg, &st, minsz) ? -EFAULT : 0;
}

/*
 * spec §B SET_CONTAINER, in the kernel's order: a bad pointer -> EFAULT, a
 * bad fd -> EBADF, a container already set -> EINVAL, the group gone ->
 * ENODEV, an fd that is not a container -> EBADFD, then the container side
 * (EPERM / EBUSY from ownership, the backend's attach errors).
 */
static long group_set_container(struct vfio_group *g, struct sim_proc *p, unsigned long arg)
{
	struct vfio_container *c;
	struct sim_file *f;
	int32_t fd;
	int ret;

	if (sim_copy_from_user(p, &fd, arg, sizeof(fd)))
		return -EFAULT;
	f = sim_fd_get(p, fd);
	if (!f)
		return -EBADF;
	if (g->container)
		ret = -EINVAL;
	else if (group_gone(g))
		ret = -ENODEV;
	else if (!(c = vfio_container_from_file(f)))
		ret = -EBADFD;
	else
		ret = vfio_container_attach_group(c, g);
	SIM_TRACE(p->w, vfio_group_set_container, g->iommu_group->id,
		  g->container ? g->container->id : 0u, ret);
	return ret;
}

/* spec §B UNSET_CONTAINER: none set -> EINVAL; device fds open -> EBUSY. */
static long group_unset_container(struct vfio_group *g)
{
	if (!g->container)
		return -EINVAL;
	if (g->container_users != 1)
		return -EBUSY;
	vfio_container_detach_group(g);
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
		ret = vfio_group_get_device_fd(g, p, name);
		g_free(name);
		return ret;
	default:
		return -ENOTTY;
	}
}
