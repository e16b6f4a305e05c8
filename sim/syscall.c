/* SPDX-License-Identifier: MIT */
/*
 * Syscall entry points: the one door into the emulated kernel.  Each entry
 * enters the caller's context (current pid, clock), validates pid and fd,
 * dispatches to the file's operations and returns >= 0 or -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>

#include "sim/devnode.h"
#include "sim/eventfd.h"
#include "sim/file.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"

#define OPEN_FLAGS_KNOWN (O_ACCMODE | O_CLOEXEC | O_NONBLOCK)

struct sys_ctx {
	struct sim_world *w;
	int saved_pid;
};

/* Enter @pid's context; NULL (and -ESRCH for the caller) if it is gone. */
static struct sim_proc *sys_enter(struct sim_world *w, int pid, struct sys_ctx *c)
{
	c->w = w;
	c->saved_pid = sim_current_pid(w);
	sim_clock_advance(w, SIM_SYSCALL_NS);
	if (!sim_proc_find(w, pid))
		return NULL;
	sim_set_current(w, pid);
	return sim_proc_find(w, pid);
}

static long sys_exit(struct sys_ctx *c, long ret)
{
	sim_set_current(c->w, c->saved_pid);
	return ret;
}

static long do_open(struct sim_world *w, struct sim_proc *p, const char *path,
		    int oflags)
{
	struct sim_devnode *node;
	struct sim_file *file = NULL;
	long ret;

	if (!path)
		return -EFAULT;
	if ((oflags & ~OPEN_FLAGS_KNOWN) || (oflags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	node = sim_devnode_lookup(w, path);
	if (!node)
		return -ENOENT;
	ret = sim_devnode_permission(node, p, oflags);
	if (ret)
		return ret;
	if (!node->ops || !node->ops->open)
		return -ENXIO;
	ret = node->ops->open(node, p, oflags, &file);
	if (ret)
		return ret;
	ret = sim_fd_install(p, file, (oflags & O_CLOEXEC) != 0);
	sim_file_put(file);   /* the table holds its own reference now */
	return ret;
}

long sim_sys_open(struct sim_world *w, int pid, const char *path, int oflags)
{
	struct sys_ctx c;
	struct sim_proc *p;
	long ret;

	if (!w)
		return -EINVAL;     /* public API: a NULL world is refused, not entered */
	p = sys_enter(w, pid, &c);
	ret = p ? do_open(w, p, path, oflags) : -ESRCH;

	SIM_TRACE(w, sim_open, pid, path ? path : "(null)", ret);
	return sys_exit(&c, ret);
}

long sim_sys_close(struct sim_world *w, int pid, int fd)
{
	struct sys_ctx c;
	struct sim_proc *p;
	long ret;

	if (!w)
		return -EINVAL;     /* public API: a NULL world is refused, not entered */
	p = sys_enter(w, pid, &c);
	ret = p ? sim_fd_close(p, fd) : -ESRCH;

	SIM_TRACE(w, sim_close, pid, fd, ret);
	return sys_exit(&c, ret);
}

long sim_sys_ioctl_ul(struct sim_world *w, int pid, int fd, unsigned long cmd,
		      unsigned long arg)
{
	struct sys_ctx c;
	struct sim_proc *p = sys_enter(w, pid, &c);
	struct sim_file *f;
	long ret;

	if (!p)
		ret = -ESRCH;
	else if (!(f = sim_fd_get(p, fd)))
		ret = -EBADF;
	else if (!f->ops || !f->ops->ioctl)
		ret = -ENOTTY;
	else {
		/* hold the file across the call: the ioctl may close fds */
		sim_file_get(f);
		ret = f->ops->ioctl(f, p, (unsigned int)cmd, arg);
		sim_file_put(f);
	}
	SIM_TRACE(w, sim_ioctl, pid, fd, cmd, ret);
	return sys_exit(&c, ret);
}

static long do_rw(struct sim_proc *p, int fd, void *rbuf, const void *wbuf,
		  size_t n, uint64_t off)
{
	struct sim_file *f = sim_fd_get(p, fd);
	int acc;
	long ret;

	if (!f)
		return -EBADF;
	acc = f->oflags & O_ACCMODE;
	if (rbuf ? acc == O_WRONLY : acc == O_RDONLY)
		return -EBADF;
	if (!f->ops || (rbuf ? !f->ops->read : !f->ops->write))
		return -EINVAL;
	sim_file_get(f);
	ret = rbuf ? f->ops->read(f, p, rbuf, n, off) : f->ops->write(f, p, wbuf, n, off);
	sim_file_put(f);
	return ret;
}

/* pread/pwrite need a position: a stream file (an eventfd, iommufd's
 * fault queue) has none. */
static bool no_position(struct sim_proc *p, int fd)
{
	struct sim_file *f = sim_fd_get(p, fd);

	return f && f->ops && f->ops->stream;
}

long sim_sys_pread_k(struct sim_world *w, int pid, int fd, void *buf, size_t n,
		     uint64_t off)
{
	struct sys_ctx c;
	struct sim_proc *p = sys_enter(w, pid, &c);

	if (!buf)
		return sys_exit(&c, p ? -EFAULT : -ESRCH);
	if (p && no_position(p, fd))
		return sys_exit(&c, -ESPIPE);
	return sys_exit(&c, p ? do_rw(p, fd, buf, NULL, n, off) : -ESRCH);
}

long sim_sys_pwrite_k(struct sim_world *w, int pid, int fd, const void *buf,
		      size_t n, uint64_t off)
{
	struct sys_ctx c;
	struct sim_proc *p = sys_enter(w, pid, &c);

	if (!buf)
		return sys_exit(&c, p ? -EFAULT : -ESRCH);
	if (p && no_position(p, fd))
		return sys_exit(&c, -ESPIPE);
	return sys_exit(&c, p ? do_rw(p, fd, NULL, buf, n, off) : -ESRCH);
}

long sim_sys_read_k(struct sim_world *w, int pid, int fd, void *buf, size_t n)
{
	struct sys_ctx c;
	struct sim_proc *p = sys_enter(w, pid, &c);

	if (!buf)
		return sys_exit(&c, p ? -EFAULT : -ESRCH);
	return sys_exit(&c, p ? do_rw(p, fd, buf, NULL, n, 0) : -ESRCH);
}

long sim_sys_write_k(struct sim_world *w, int pid, int fd, const void *buf, size_t n)
{
	struct sys_ctx c;
	struct sim_proc *p = sys_enter(w, pid, &c);

	if (!buf)
		return sys_exit(&c, p ? -EFAULT : -ESRCH);
	return sys_exit(&c, p ? do_rw(p, fd, NULL, buf, n, 0) : -ESRCH);
}

long sim_sys_eventfd(struct sim_world *w, int pid, unsigned int initval, int flags)
{
	struct sys_ctx c;
	struct sim_proc *p;

	if (!w)
		return -EINVAL;
	p = sys_enter(w, pid, &c);
	return sys_exit(&c, p ? sim_eventfd_create(p, initval, flags) : -ESRCH);
}

long sim_sys_dup(struct sim_world *w, int pid, int fd)
{
	struct sys_ctx c;
	struct sim_proc *p = sys_enter(w, pid, &c);
	struct sim_file *f;

	if (!p)
		return sys_exit(&c, -ESRCH);
	f = sim_fd_get(p, fd);
	return sys_exit(&c, f ? sim_fd_install(p, f, false) : -EBADF);
}
