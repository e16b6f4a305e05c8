/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the VFIO oracle programs (vfio_container.c,
 * vfio_group.c, vfio_device.c, vfio_dma.c): binding a function to
 * vfio-pci, opening its group, building a container with a backend, and
 * check lines with printf-style names.  Everything goes through osys.h, so
 * the same source runs on a real kernel and on iommusim.
 */
#ifndef ORACLE_VFIO_COMMON_H
#define ORACLE_VFIO_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include "osys.h"

#define VC_CONTAINER "/dev/vfio/vfio"

/* An ioctl number in VFIO's range that no version defines. */
#define VC_IO(n) _IO(VFIO_TYPE, VFIO_BASE + (n))

/* A check whose name is built with printf (osys.h's ocheck_named). */
#define vck ocheck_named

/* A return value as a check. */
#define vret(ret, ...) vck(oret(ret), __VA_ARGS__)

/* A number as a check value: hex with 0x for flags and sizes. */
static inline const char *vhex(unsigned long long v)
{
	static char buf[4][24];
	static unsigned slot;
	char *b = buf[slot++ % 4];

	snprintf(b, sizeof(buf[0]), "0x%llx", v);
	return b;
}

static inline const char *vdec(long long v)
{
	static char buf[4][24];
	static unsigned slot;
	char *b = buf[slot++ % 4];

	snprintf(b, sizeof(buf[0]), "%lld", v);
	return b;
}

/* Give up: the program cannot go on (a setup step failed). */
static inline void vdie(const char *what, long ret)
{
	printf("fatal %s %s\n", what, oret(ret));
	exit(1);
}

/* /dev/vfio/N of @bdf into @buf. */
static inline const char *vc_group_path(const char *bdf, char *buf, size_t n)
{
	int g = osys_iommu_group(bdf);

	if (g < 0)
		vdie("iommu_group", g);
	snprintf(buf, n, "/dev/vfio/%d", g);
	return buf;
}

/* Bind @bdf to vfio-pci; the result is a check (vfio.<tag>.bind). */
static inline void vc_bind(const char *tag, const char *bdf)
{
	int ret = osys_bind(bdf, "vfio-pci");

	vret(ret, "vfio.%s.bind", tag);
	if (ret)
		vdie("bind", ret);
}

static inline int vc_open_group(const char *bdf)
{
	char path[64];
	int fd = osys_open(vc_group_path(bdf, path, sizeof(path)), O_RDWR);

	if (fd < 0)
		vdie("open group", fd);
	return fd;
}

static inline int vc_open_container(void)
{
	int fd = osys_open(VC_CONTAINER, O_RDWR);

	if (fd < 0)
		vdie("open container", fd);
	return fd;
}

/* Container + group of @bdf with backend @type; *group gets the group fd.
 * Returns the container fd; every failure is fatal. */
static inline int vc_setup(const char *bdf, unsigned long type, int *group)
{
	int c = vc_open_container();
	long ret;

	*group = vc_open_group(bdf);
	ret = osys_ioctl(*group, VFIO_GROUP_SET_CONTAINER, &c);
	if (ret)
		vdie("SET_CONTAINER", ret);
	ret = osys_ioctl(c, VFIO_SET_IOMMU, (void *)type);
	if (ret)
		vdie("SET_IOMMU", ret);
	return c;
}

static inline int vc_device(int group, const char *bdf)
{
	long fd = osys_ioctl(group, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf);

	if (fd < 0)
		vdie("GET_DEVICE_FD", fd);
	return (int)fd;
}

/* A returned fd as a check value: "fd" for any fd, else the errno. */
static inline const char *vfd(long ret)
{
	return ret >= 0 ? "fd" : oret(ret);
}

#endif
