/* SPDX-License-Identifier: MIT */
/* The public process and syscall entry points of <iommusim/iommusim.h>. */
#include <errno.h>
#include <stdint.h>

#include "sim/proc.h"
#include "sim/syscall.h"
#include "iommusim/iommusim.h"

int sim_proc_spawn(struct sim_world *w, uint32_t uid, uint32_t gid, unsigned flags)
{
	struct sim_cred cred = { .uid = uid, .gid = gid,
				 .caps = uid == 0 ? SIM_CAPS_ALL : 0 };

	if (!w)
		return -EINVAL;
	if (flags & ~SIM_PROC_NATIVE)
		return -EINVAL;
	return sim_proc_create(w, 1, "proc", &cred, flags);
}

long sim_sys_ioctl(struct sim_world *w, int pid, int fd, unsigned long cmd, void *arg)
{
	return sim_sys_ioctl_ul(w, pid, fd, cmd, (unsigned long)(uintptr_t)arg);
}

long sim_sys_pread(struct sim_world *w, int pid, int fd, void *buf, size_t n, uint64_t off)
{
	return sim_sys_pread_k(w, pid, fd, buf, n, off);
}

long sim_sys_pwrite(struct sim_world *w, int pid, int fd, const void *buf, size_t n,
		    uint64_t off)
{
	return sim_sys_pwrite_k(w, pid, fd, buf, n, off);
}
