/* SPDX-License-Identifier: MIT */
/*
 * osys: the thin layer the oracle's test programs are written against, so
 * one source runs on a real kernel and on iommusim (docs/oracle.md).
 *
 * Two implementations, one per target:
 *   osys_guest.c  real syscalls, sysfs for driver binding and groups; linked
 *                 statically into the guest's initramfs;
 *   osys_sim.c    the library's sim_sys_* calls on a world loaded from the
 *                 scenario file given with --world, in a native process
 *                 (the program's own pointers are user pointers).
 *
 * Every call returns what the kernel's syscall would: a value >= 0, or
 * -errno (never -1 with errno set).  A program prints its results with
 * ocheck(): one line per check, "check NAME VALUE", which the differential
 * runner (tools/oracle/oracle.py) compares across targets by NAME.
 */
#ifndef IOMMUSIM_ORACLE_OSYS_H
#define IOMMUSIM_ORACLE_OSYS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Parse the target's arguments (sim: --world FILE [--kernel V]); the
 * program's own arguments follow "--".  Returns the index of the first
 * program argument, or exits with a message on a bad command line. */
int  osys_init(int argc, char **argv);
/* "sim" or the release of the running kernel ("6.1.0-57-amd64"). */
const char *osys_target(void);

int  osys_open(const char *path, int oflags);
int  osys_close(int fd);
long osys_ioctl(int fd, unsigned long cmd, void *arg);
long osys_pread(int fd, void *buf, size_t n, uint64_t off);
long osys_pwrite(int fd, const void *buf, size_t n, uint64_t off);

/* Bind @driver ("vfio-pci", ...; "none" unbinds) to the function at @bdf
 * ("0000:00:03.0"), unbinding whatever is bound first.  0, or -errno. */
int  osys_bind(const char *bdf, const char *driver);
/* Write @value to the sysfs file @path (the PCI bus's driver_override,
 * bind, unbind, new_id): 0 or -errno, the store function's answer. */
int  osys_sysfs_write(const char *path, const char *value);
/* The number of the IOMMU group of @bdf (/dev/vfio/N), or -errno. */
int  osys_iommu_group(const char *bdf);
/* Every PCI function of the machine, "0000:00:00.0 0000:00:03.0 ...", in
 * SBDF order, into @buf (NUL-terminated).  The length, or -errno
 * (-ENOSPC when @n is too small). */
long osys_pci_functions(char *buf, size_t n);

/* @n bytes of zeroed, page-aligned memory of this process (mmap), or NULL. */
void *osys_alloc(size_t n);
void  osys_free(void *p, size_t n);

/* eventfd(2): a counter file; @flags are eventfd's EFD_NONBLOCK (=
 * O_NONBLOCK), EFD_CLOEXEC (= O_CLOEXEC), EFD_SEMAPHORE (1).  An fd, or
 * -errno.  Read it with osys_read (eventfds have no pread: -ESPIPE). */
int  osys_eventfd(unsigned int initval, int flags);
/* read(2) at the file's position (the simulator has no file positions:
 * there it is for files without one, eventfds).  Bytes read, or -errno. */
long osys_read(int fd, void *buf, size_t n);
/* Run @fn(@arg) in a forked child of this process, which inherits its
 * descriptors (and a copy of its memory), and wait for it: what @fn
 * returned, or -errno when the fork fails.  The child exits right after
 * (guest: fork + waitpid; the simulator: sim_proc_fork + sim_proc_exit). */
long osys_fork_call(long (*fn)(void *), void *arg);
/* Sleep @ms milliseconds (guest: nanosleep; the simulator: nothing, as its
 * devices finish their work at the register write that starts it). */
void osys_sleep_ms(unsigned ms);

/* ---- results (osys_check.c, shared by both targets) ---- */

/* "check NAME VALUE\n" on stdout; NAME has no spaces. */
void ocheck(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with the name built by printf and the value given:
 * ocheck_named(oret(r), "vfio.region%u.size", i). */
void ocheck_named(const char *value, const char *name_fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A return value as a check value: "-EINVAL" for -22, the number otherwise. */
const char *oret(long ret);
/* Number of checks printed so far. */
unsigned ocheck_count(void);

/* ---- the VFIO device cdev (osys_guest.c, osys_sim.c) ---- */

/* The VFIO device cdev of @bdf ("/dev/vfio/devices/vfio0") into @path: 0,
 * or -errno (-ENODEV when the function has none: not bound to a VFIO
 * driver, or a kernel without CONFIG_VFIO_DEVICE_CDEV; -ENOSPC when @n is
 * too small). */
int  osys_vfio_cdev(const char *bdf, char *path, size_t n);

/* ---- IOMMU fault records (osys_guest.c, osys_sim.c) ---- */

/*
 * The DMA faults the IOMMU recorded since the last call, oldest first, one
 * line each ("\n"-terminated) into @buf (NUL-terminated):
 *
 *     write 00:03.0 0x300000 reason=0x05
 *     read 00:03.0 0x400000 pasid=0x1 reason=0x06
 *
 * the direction, the requester id (bus:dev.fn), the page address of the
 * fault, the PASID when the request had one, and the IOMMU's own fault
 * code (VT-d: the fault reason of the fault record).  The guest parses the
 * lines intel-iommu's fault handler (dmar_fault) prints to the kernel log,
 * which it rate-limits (10 log lines per 5 s, three of them per fault):
 * a program keeps at most 3 faults in any 5 s.  The simulator drains its
 * IOMMU's fault queue (sim_iommu_fault_drain).  The length, or -errno
 * (-ENOSPC when @n is too small: nothing is consumed then).
 */
long osys_dma_faults(char *buf, size_t n);

#endif
