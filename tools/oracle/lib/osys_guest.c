/* SPDX-License-Identifier: MIT */
/*
 * osys on a real kernel (osys.h): plain syscalls, errno turned into -errno,
 * sysfs for driver binding (driver_override, unbind, drivers_probe) and for
 * a function's IOMMU group, the kernel log (/dev/kmsg) for IOMMU faults.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "osys.h"

static char release[128];

int osys_init(int argc, char **argv)
{
	struct utsname u;
	int i;

	if (uname(&u) == 0)
		snprintf(release, sizeof(release), "%s", u.release);
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i + 1;
	return 1;
}

const char *osys_target(void)
{
	return release;
}

static long ret_of(long r)
{
	return r < 0 ? -errno : r;
}

int osys_open(const char *path, int oflags)
{
	return (int)ret_of(open(path, oflags | O_CLOEXEC));
}

int osys_close(int fd)
{
	return (int)ret_of(close(fd));
}

long osys_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ret_of(ioctl(fd, cmd, arg));
}

long osys_pread(int fd, void *buf, size_t n, uint64_t off)
{
	return ret_of(pread(fd, buf, n, (off_t)off));
}

long osys_pwrite(int fd, const void *buf, size_t n, uint64_t off)
{
	return ret_of(pwrite(fd, buf, n, (off_t)off));
}

/* Write @s to a sysfs file: 0 or -errno. */
static int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The name of the driver bound to @bdf into @out ("" when none). */
static void bound_driver(const char *bdf, char *out, size_t n)
{
	char path[256], link[256];
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	out[0] = 0;
	if (len > 0) {
		link[len] = 0;
		snprintf(out, n, "%s", basename(link));
	}
}

int osys_sysfs_write(const char *path, const char *value)
{
	return sysfs_write(path, value);
}

int osys_bind(const char *bdf, const char *driver)
{
	char path[256], cur[64];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (access(path, F_OK))
		return -ENODEV;
	bound_driver(bdf, cur, sizeof(cur));
	if (cur[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		if ((ret = sysfs_write(path, bdf)))
			return ret;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if ((ret = sysfs_write(path, strcmp(driver, "none") ? driver : "\n")))
		return ret;
	if (!strcmp(driver, "none"))
		return 0;
	/* drivers_probe reports the probe's error (vfio-pci refuses a bridge) */
	if ((ret = sysfs_write("/sys/bus/pci/drivers_probe", bdf)))
		return ret;
	bound_driver(bdf, cur, sizeof(cur));
	return strcmp(cur, driver) ? -ENODEV : 0;
}

int osys_iommu_group(const char *bdf)
{
	char path[256], link[256];
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return access(path, F_OK) && errno == ENOENT ? -ENODEV : -errno;
	link[len] = 0;
	return atoi(basename(link));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

long osys_pci_functions(char *buf, size_t n)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	char *names[1024];
	size_t count = 0, len = 0;
	struct dirent *e;
	long ret = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && count < 1024)
		if (e->d_name[0] != '.')
			names[count++] = strdup(e->d_name);
	closedir(d);
	qsort(names, count, sizeof(names[0]), cmp_str);
	if (n)
		buf[0] = 0;
	for (size_t i = 0; i < count; i++) {
		size_t l = strlen(names[i]) + (i ? 1 : 0);

		if (len + l + 1 > n)
			ret = -ENOSPC;
		else
			len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	return ret ? ret : (long)len;
}

long osys_fork_call(long (*fn)(void *), void *arg)
{
	/* the child's answer comes back through a shared page */
	long *res = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long ret;
	int st;
	pid_t child;

	if (res == MAP_FAILED)
		return -errno;
	child = fork();
	if (child < 0) {
		ret = -errno;
		munmap(res, 4096);
		return ret;
	}
	if (!child) {
		*res = fn(arg);
		_exit(0);
	}
	ret = waitpid(child, &st, 0) < 0 ? -errno : *res;
	munmap(res, 4096);
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
	return (int)ret_of(eventfd(initval, flags));
}

long osys_read(int fd, void *buf, size_t n)
{
	return ret_of(read(fd, buf, n));
}

void osys_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int osys_vfio_cdev(const char *bdf, char *path, size_t n)
{
	char dir[256], attr[600];
	struct dirent *e;
	int ret = -ENODEV;
	DIR *d;

	/*
	 * vfio_init_device makes a vfio-dev class device "vfioN" a child of
	 * the function, on every kernel since 6.1; only with
	 * CONFIG_VFIO_DEVICE_CDEV does it have a device number (its "dev"
	 * attribute) and so a node, /dev/vfio/devices/vfioN.
	 */
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(dir);
	if (!d)
		return -ENODEV;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "vfio", 4))
			continue;
		snprintf(attr, sizeof(attr), "%s/%s/dev", dir, e->d_name);
		if (access(attr, F_OK))
			break;
		if ((size_t)snprintf(path, n, "/dev/vfio/devices/%s", e->d_name) >= n)
			ret = -ENOSPC;
		else
			ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/*
 * IOMMU faults from the kernel log.  intel-iommu's fault handler
 * (dmar_fault, dmar_fault_do_one in drivers/iommu/intel/dmar.c, the same
 * text in 6.1 and 6.12) prints each fault record it reads as
 *
 *   DMAR: [DMA Write NO_PASID] Request device [00:03.0] fault addr 0x300000
 *   [fault reason 0x05] PTE Write access is not set
 *
 * (one line; "DMA Read", or "PASID 0x%x" for a request with one; the
 * address is the record's page address).  /dev/kmsg gives every record of
 * the log with its sequence number; the faults after the last record an
 * earlier call read are returned.
 */
static long long kmsg_seen = -1;

/* The normalized line (osys.h) of a log message, or 0 when it is none. */
static int dmar_fault_line(const char *msg, char *out, size_t n)
{
	static const char head[] = "DMAR: [DMA ";
	unsigned bus, dev, fn, reason, pasid = 0;
	unsigned long long addr;
	const char *p = msg, *dir;
	char tag[24] = "";
	int k = 0;

	if (strncmp(p, head, sizeof(head) - 1))
		return 0;
	p += sizeof(head) - 1;
	if (!strncmp(p, "Write ", 6)) {
		dir = "write";
		p += 6;
	} else if (!strncmp(p, "Read ", 5)) {
		dir = "read";
		p += 5;
	} else {
		return 0;
	}
	if (!strncmp(p, "NO_PASID]", 9)) {
		p += 9;
	} else if (sscanf(p, "PASID 0x%x]%n", &pasid, &k) == 1 && k) {
		p += k;
		snprintf(tag, sizeof(tag), " pasid=0x%x", pasid);
	} else {
		return 0;
	}
	k = 0;
	if (sscanf(p, " Request device [%x:%x.%x] fault addr 0x%llx [fault reason 0x%x]%n",
		   &bus, &dev, &fn, &addr, &reason, &k) != 5 || !k)
		return 0;
	return snprintf(out, n, "%s %02x:%02x.%u 0x%llx%s reason=0x%02x\n", dir, bus, dev, fn,
			addr, tag, reason);
}

long osys_dma_faults(char *buf, size_t n)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	long long seen = kmsg_seen, seq;
	char rec[8192], line[160];     /* a record's most: CONSOLE_EXT_LOG_MAX */
	size_t len = 0;
	long ret = 0;

	if (fd < 0)
		return -errno;
	if (!n) {
		close(fd);
		return -ENOSPC;
	}
	buf[0] = 0;
	for (;;) {
		ssize_t r = read(fd, rec, sizeof(rec) - 1);
		const char *msg;
		int l;

		if (r < 0 && (errno == EINTR || errno == EPIPE))
			continue;   /* EPIPE: records overwritten; go on */
		if (r <= 0)
			break;      /* EAGAIN: no more records */
		rec[r] = 0;
		/* "PRIO,SEQ,USEC,FLAGS;MESSAGE\n" and key=value lines */
		msg = strchr(rec, ';');
		if (sscanf(rec, "%*u,%lld,", &seq) != 1 || !msg || seq <= kmsg_seen)
			continue;
		seen = seq;
		rec[strcspn(rec, "\n")] = 0;
		l = dmar_fault_line(msg + 1, line, sizeof(line));
		if (!l)
			continue;
		if (len + (size_t)l + 1 > n) {
			ret = -ENOSPC;
			break;
		}
		memcpy(buf + len, line, (size_t)l + 1);
		len += (size_t)l;
	}
	close(fd);
	if (ret) {
		buf[0] = 0;
		return ret;     /* nothing consumed */
	}
	kmsg_seen = seen;
	return (long)len;
}
