/* SPDX-License-Identifier: MIT */
/*
 * osys on iommusim (osys.h): a world loaded from the scenario file given
 * with --world (its topology and profile; --kernel picks the emulated
 * release), one native root process in it, and every call through the
 * library's public API, so the program's pointers are the user pointers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "iommusim/iommusim.h"
#include "osys.h"

static struct sim_world *world;
static int pid;

static void osys_fini(void)
{
	sim_world_free(world);
	world = NULL;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s --world SCENARIO.yaml [--kernel mainline|6.1|6.2|6.12] [--iommufd on|off] [-- ARGS]\n",
		prog);
	exit(2);
}

int osys_init(int argc, char **argv)
{
	struct sim_world_opts opts = { 0 };
	const char *file = NULL;
	char *err = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--world") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(argv[i], "--kernel") && i + 1 < argc) {
			opts.kernel = argv[++i];
		} else if (!strcmp(argv[i], "--iommufd") && i + 1 < argc) {
			/* on: a kernel built with CONFIG_IOMMUFD; off: Debian's */
			i++;
			opts.iommufd = !strcmp(argv[i], "on") ? 1 : !strcmp(argv[i], "off") ? -1 : 0;
			if (!opts.iommufd)
				usage(argv[0]);
			/* the oracle's iommufd kernel has CONFIG_IOMMUFD_TEST too
			 * (kconfig/iommufd.config): its test uAPI comes with it */
			opts.iommufd_test = opts.iommufd;
		} else {
			usage(argv[0]);
		}
	}
	if (!file)
		usage(argv[0]);
	world = sim_world_new_from_file_opts(file, &opts, &err);
	if (!world) {
		fprintf(stderr, "%s\n", err);
		free(err);
		exit(2);
	}
	pid = sim_proc_spawn(world, 0, 0, SIM_PROC_NATIVE);
	if (pid < 0) {
		fprintf(stderr, "%s: cannot spawn a process: %d\n", argv[0], pid);
		exit(2);
	}
	atexit(osys_fini);
	return i;
}

const char *osys_target(void)
{
	return "sim";
}

int osys_open(const char *path, int oflags)
{
	return (int)sim_sys_open(world, pid, path, oflags);
}

int osys_close(int fd)
{
	return (int)sim_sys_close(world, pid, fd);
}

long osys_ioctl(int fd, unsigned long cmd, void *arg)
{
	return sim_sys_ioctl(world, pid, fd, cmd, arg);
}

long osys_pread(int fd, void *buf, size_t n, uint64_t off)
{
	return sim_sys_pread(world, pid, fd, buf, n, off);
}

long osys_pwrite(int fd, const void *buf, size_t n, uint64_t off)
{
	return sim_sys_pwrite(world, pid, fd, buf, n, off);
}

int osys_bind(const char *bdf, const char *driver)
{
	int ret = sim_pci_bind(world, bdf, "none");

	if (ret || !strcmp(driver, "none"))
		return ret;
	return sim_pci_bind(world, bdf, driver);
}

int osys_sysfs_write(const char *path, const char *value)
{
	return sim_sysfs_write(world, path, value);
}

int osys_iommu_group(const char *bdf)
{
	return sim_pci_iommu_group(world, bdf);
}

long osys_pci_functions(char *buf, size_t n)
{
	return sim_pci_functions(world, buf, n);
}

long osys_fork_call(long (*fn)(void *), void *arg)
{
	int parent = pid, child = sim_proc_fork(world, pid);
	long ret;

	if (child < 0)
		return child;
	pid = child;
	ret = fn(arg);
	pid = parent;
	sim_proc_exit(world, child);
	return ret;
}

void *osys_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void osys_free(void *p, size_t n)
{
	if (p)
		munmap(p, n);
}

int osys_eventfd(unsigned int initval, int flags)
{
	return (int)sim_sys_eventfd(world, pid, initval, flags);
}

long osys_read(int fd, void *buf, size_t n)
{
	return sim_sys_read(world, pid, fd, buf, n);
}

void osys_sleep_ms(unsigned ms)
{
	(void)ms;
}

int osys_vfio_cdev(const char *bdf, char *path, size_t n)
{
	char dir[128], names[128], attr[300], dev[32];
	long ret;

	/* as the guest does: the vfio-dev class device below the function,
	 * and its node only where it has a device number (`dev`) */
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	ret = sim_sysfs_list(world, dir, names, sizeof(names));
	if (ret <= 0 || strncmp(names, "vfio", 4))
		return -ENODEV;
	names[strcspn(names, " ")] = 0;
	snprintf(attr, sizeof(attr), "%s/%s/dev", dir, names);
	if (sim_sysfs_read(world, attr, dev, sizeof(dev)) < 0)
		return -ENODEV;
	if ((size_t)snprintf(path, n, "/dev/vfio/devices/%s", names) >= n)
		return -ENOSPC;
	return 0;
}

long osys_dma_faults(char *buf, size_t n)
{
	return sim_iommu_fault_drain(world, buf, n);
}
