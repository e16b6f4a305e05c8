/* SPDX-License-Identifier: MIT */
/*
 * The public process and syscall entry points of <iommusim/iommusim.h>.
 * Every public function refuses a NULL world with -EINVAL (the
 * constructors' NULL world is their error) before touching anything.
 */
#include <errno.h>
#include <stdint.h>

#include <glib.h>

#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "iommusim/iommusim.h"

int sim_proc_spawn(struct sim_world *w, uint32_t uid, uint32_t gid, unsigned flags)
{
	struct sim_cred cred = { .uid = uid, .gid = gid,
				 .caps = uid == 0 ? SIM_CAPS_ALL : 0 };

	if (!w)
		return -EINVAL;
	if ((flags & ~(SIM_PROC_NATIVE | SIM_PROC_NATIVE_THP)) ||
	    ((flags & SIM_PROC_NATIVE_THP) && !(flags & SIM_PROC_NATIVE)))
		return -EINVAL;            /* THP backs a native program's memory */
	return sim_proc_create(w, 1, "proc", &cred, flags);
}

long sim_sys_ioctl(struct sim_world *w, int pid, int fd, unsigned long cmd, void *arg)
{
	if (!w)
		return -EINVAL;
	return sim_sys_ioctl_ul(w, pid, fd, cmd, (unsigned long)(uintptr_t)arg);
}

/*
 * pread/pwrite take a user buffer: the file operations see a kernel bounce
 * buffer and the bytes cross with copy_to_user / copy_from_user, so a bad
 * pointer is -EFAULT (as read(2) says) and never a crash.  A transfer is cut
 * to SIM_RW_MAX bytes, as the kernel cuts read(2) to MAX_RW_COUNT.
 */
#define SIM_RW_MAX (16u << 20)

/* read(2) (@pos NULL) or pread(2) into a user buffer, through a bounce buffer. */
static long bounce_read(struct sim_world *w, int pid, int fd, void *buf, size_t n,
			const uint64_t *pos)
{
	struct sim_proc *p = w ? sim_proc_find(w, pid) : NULL;
	void *kbuf;
	long ret;

	if (!w)
		return -EINVAL;
	if (!p)
		return -ESRCH;
	n = n > SIM_RW_MAX ? SIM_RW_MAX : n;
	kbuf = g_malloc0(n ? n : 1);
	ret = pos ? sim_sys_pread_k(w, pid, fd, kbuf, n, *pos) :
		    sim_sys_read_k(w, pid, fd, kbuf, n);
	if (ret > 0 && sim_copy_to_user(p, (uintptr_t)buf, kbuf, (size_t)ret))
		ret = -EFAULT;
	g_free(kbuf);
	return ret;
}

/* write(2) (@pos NULL) or pwrite(2) from a user buffer. */
static long bounce_write(struct sim_world *w, int pid, int fd, const void *buf, size_t n,
			 const uint64_t *pos)
{
	struct sim_proc *p = w ? sim_proc_find(w, pid) : NULL;
	void *kbuf;
	long ret;

	if (!w)
		return -EINVAL;
	if (!p)
		return -ESRCH;
	n = n > SIM_RW_MAX ? SIM_RW_MAX : n;
	kbuf = g_malloc(n ? n : 1);
	if (sim_copy_from_user(p, kbuf, (uintptr_t)buf, n))
		ret = -EFAULT;
	else
		ret = pos ? sim_sys_pwrite_k(w, pid, fd, kbuf, n, *pos) :
			    sim_sys_write_k(w, pid, fd, kbuf, n);
	g_free(kbuf);
	return ret;
}

long sim_sys_pread(struct sim_world *w, int pid, int fd, void *buf, size_t n, uint64_t off)
{
	return bounce_read(w, pid, fd, buf, n, &off);
}

long sim_sys_pwrite(struct sim_world *w, int pid, int fd, const void *buf, size_t n,
		    uint64_t off)
{
	return bounce_write(w, pid, fd, buf, n, &off);
}

long sim_sys_read(struct sim_world *w, int pid, int fd, void *buf, size_t n)
{
	return bounce_read(w, pid, fd, buf, n, NULL);
}

long sim_sys_write(struct sim_world *w, int pid, int fd, const void *buf, size_t n)
{
	return bounce_write(w, pid, fd, buf, n, NULL);
}
