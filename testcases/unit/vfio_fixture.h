/* SPDX-License-Identifier: MIT */
/*
 * The world and helpers shared by the VFIO unit tests (test_vfio.c,
 * test_vfio_type1.c, test_vfio_pci.c): a scenario with vfio-pci devices in
 * three groups, a calling process with an argument page and a buffer, and
 * ioctl wrappers that check the §H invariants after every call.
 */
#ifndef TESTCASES_UNIT_VFIO_FIXTURE_H
#define TESTCASES_UNIT_VFIO_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

struct sim_world;
struct iommu_domain;

/* 01:00.0 and 02:00.0 sit alone below ACS root ports; 06:0d.0/1 share the
 * group of the PCIe-to-PCI bridge, and 06:0d.1 starts on e1000. */
#define DEV_A "0000:01:00.0"
#define DEV_B "0000:02:00.0"
#define DEV_C "0000:06:0d.0"
#define RD VFIO_DMA_MAP_FLAG_READ
#define WR VFIO_DMA_MAP_FLAG_WRITE
#define RW (RD | WR)
#define MSI_LO 0xfee00000ull

extern struct sim_world *W;
extern int PID;              /* the process doing the syscalls */
extern uint64_t ARG;         /* a user page for ioctl arguments */
extern uint64_t BUF;         /* a 1 MiB user buffer */

/* Build the world (W) with process 1 as the caller; free it. */
void boot(void);
/* W from the scenario text @yaml (errors name @name), PID = 1. */
void boot_from(const char *yaml, const char *name);
void teardown(void);
/* boot() and as(1): the checked fixture of every VFIO test case. */
void setup(void);
/* Map @len bytes of read-write memory into @pid; returns the address. */
uint64_t ualloc(int pid, uint64_t len);
/* The pid of the scenario process called @name. */
int pid_of(const char *name);
/* Make @pid the caller, with its own argument page and buffer. */
void as(int pid);
/* Assert that vfio_check_invariants() finds nothing. */
void inv(void);
/* ioctl with @len bytes of @st in user memory, copied back after. */
long io(int fd, unsigned long cmd, void *st, size_t len);
/* ioctl with a plain argument. */
long ioc(int fd, unsigned long cmd, unsigned long arg);
/* The IOMMU group id of @bdf. */
unsigned gid(const char *bdf);
int open_path(const char *path);
/* Open /dev/vfio/<group of @bdf>. */
int open_group(const char *bdf);
long set_container(int gfd, int cfd);
long device_fd(int gfd, const char *name);
long map(int cfd, uint64_t vaddr, uint64_t iova, uint64_t size, uint32_t flags);
/* Returns the ioctl's result; *out gets the size the kernel reported. */
long unmap(int cfd, uint64_t iova, uint64_t size, uint32_t flags, uint64_t *out);
/* Container + group A (+ backend @type when non-zero); returns the fds. */
void usage(const char *bdf, unsigned long type, int *cfd, int *gfd);
/* vfio_describe() as a string; g_free() it. */
char *state(void);
/* The caller @pid's locked_vm, in pages. */
uint64_t locked(int pid);
/* The domain the group of @bdf is attached to. */
struct iommu_domain *gdomain(const char *bdf);

/* Build the one function @spec in a scratch world: pci_topology_create's
 * result, and its error in @err (the device-model tests' topology checks). */
struct pci_dev_spec;
struct pci_build_error;
int build_one(const struct pci_dev_spec *spec, struct pci_build_error *err);

#endif
