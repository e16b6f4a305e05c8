/* SPDX-License-Identifier: MIT */
/*
 * The syscall layer: the one door from userspace (scenario steps, C programs
 * through the library, the preload shim later) into the emulated kernel.
 * Every entry point validates its pid and fd, sets the current process,
 * advances the clock by SIM_SYSCALL_NS, traces, and returns a value >= 0 or
 * -errno (never -1 with errno: the shim converts).
 *
 * The public entry points with void * arguments (sim_sys_ioctl, sim_sys_pread,
 * ...) are declared in <iommusim/iommusim.h>; internal callers use the
 * unsigned long forms below.
 */
#ifndef SIM_SYSCALL_H
#define SIM_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

struct sim_world;

/* ESRCH bad pid; ENOENT no node; EACCES permission; EINVAL bad access mode
 * or flags other than O_RDONLY/O_WRONLY/O_RDWR/O_CLOEXEC/O_NONBLOCK;
 * EMFILE; whatever ->open returns. */
long sim_sys_open(struct sim_world *w, int pid, const char *path, int oflags);
long sim_sys_close(struct sim_world *w, int pid, int fd);
/* ENOTTY when the file has no ioctl. */
long sim_sys_ioctl_ul(struct sim_world *w, int pid, int fd, unsigned long cmd,
		      unsigned long arg);
/* EBADF when the file was not opened for reading/writing; EINVAL when it has
 * no read/write operation. */
long sim_sys_pread_k(struct sim_world *w, int pid, int fd, void *buf, size_t n,
		     uint64_t off);
long sim_sys_pwrite_k(struct sim_world *w, int pid, int fd, const void *buf,
		      size_t n, uint64_t off);
/* read(2) / write(2): as pread/pwrite at offset 0 (files keep no
 * position); pread/pwrite of a file without one (an eventfd) is ESPIPE. */
long sim_sys_read_k(struct sim_world *w, int pid, int fd, void *buf, size_t n);
long sim_sys_write_k(struct sim_world *w, int pid, int fd, const void *buf, size_t n);
/* dup: the lowest free descriptor, sharing the file. */
long sim_sys_dup(struct sim_world *w, int pid, int fd);

#endif
