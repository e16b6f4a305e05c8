/* SPDX-License-Identifier: MIT */
/*
 * model/vfio: the legacy container/group/device state machine (spec §B) and
 * type1 (spec §C), driven through the syscall layer with ioctl arguments in
 * simulated user memory, with the §H invariants checked after every step
 * and fault injection proving that errors change nothing (§H19).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <linux/vfio.h>

#include "unit_common.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio.h"
#include "tools/scenario/scenario.h"

/* 01:00.0 and 02:00.0 sit alone below ACS root ports; 06:0d.0/1 share the
 * group of the PCIe-to-PCI bridge, and 06:0d.1 starts on e1000. */
static const char *const WORLD =
	"name: vfio-unit\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - bdf: \"0000:01:00.0\"\n"
	"    type: endpoint\n"
	"    parent: \"0000:00:01.0\"\n"
	"    driver: vfio-pci\n"
	"    vendor: 0x8086\n"
	"    device: 0x10d3\n"
	"    bars:\n"
	"      0: {size: 128K, type: mem32}\n"
	"      2: {size: 32, type: io}\n"
	"      3: {size: 16K, type: mem64, prefetchable: true}\n"
	"    irqs: {intx: true, msi: 4, msix: 5}\n"
	"  - {bdf: \"0000:00:02.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:00:02.0\", driver: vfio-pci}\n"
	"  - {bdf: \"0000:00:1e.0\", type: pcie-to-pci-bridge}\n"
	"  - {bdf: \"0000:06:0d.0\", type: pci-device, parent: \"0000:00:1e.0\",\n"
	"     multifunction: true, driver: vfio-pci}\n"
	"  - {bdf: \"0000:06:0d.1\", type: pci-device, parent: \"0000:00:1e.0\",\n"
	"     multifunction: true, driver: e1000}\n"
	"processes:\n"
	"  - {name: alice, uid: 0, caps: [], rlimit_memlock: 64K}\n"
	"  - {name: carol, uid: 0, caps: [CAP_IPC_LOCK], rlimit_memlock: 64K}\n";

#define DEV_A "0000:01:00.0"
#define DEV_B "0000:02:00.0"
#define DEV_C "0000:06:0d.0"
#define RD VFIO_DMA_MAP_FLAG_READ
#define WR VFIO_DMA_MAP_FLAG_WRITE
#define RW (RD | WR)
#define MSI_LO 0xfee00000ull

static struct sim_world *W;
static int PID;              /* the process doing the syscalls */
static uint64_t ARG;         /* a user page for ioctl arguments */
static uint64_t BUF;         /* a 1 MiB user buffer */

static void boot(void)
{
	char *err = NULL;
	struct scenario *s = scenario_load_string(WORLD, strlen(WORLD), "<vfio>", &err);

	ck_assert_msg(s, "%s", err);
	W = scenario_build_world(s, 1, &err);
	ck_assert_msg(W, "%s", err);
	scenario_free(s);
	PID = 1;
}

static void teardown(void)
{
	sim_world_destroy(W);
	W = NULL;
}

static uint64_t ualloc(int pid, uint64_t len)
{
	uint64_t va;

	ck_assert_int_eq(sim_mm_map(sim_proc_find(W, pid)->mm, len,
				    SIM_PROT_READ | SIM_PROT_WRITE, "buf", &va), 0);
	return va;
}

static int pid_of(const char *name)
{
	for (int pid = 2; pid < 10; pid++) {
		struct sim_proc *p = sim_proc_find(W, pid);
		if (p && !strcmp(p->name, name))
			return pid;
	}
	ck_abort_msg("no process %s", name);
	return -1;
}

/* Make @pid the caller, with its own argument page and buffer. */
static void as(int pid)
{
	PID = pid;
	ARG = ualloc(pid, 4096);
	BUF = ualloc(pid, 1 << 20);
}

static void setup(void)
{
	boot();
	as(1);
}

static void inv(void)
{
	GString *s = g_string_new(NULL);
	int n = vfio_check_invariants(W, s);

	ck_assert_msg(n == 0, "invariants: %s", s->str);
	g_string_free(s, TRUE);
}

/* ioctl with @len bytes of @st in user memory, copied back after. */
static long io(int fd, unsigned long cmd, void *st, size_t len)
{
	long ret;

	if (st)
		ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), ARG, st, len), 0);
	ret = sim_sys_ioctl_ul(W, PID, fd, cmd, st ? ARG : 0);
	if (st)
		ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), st, ARG, len), 0);
	inv();
	return ret;
}

static long ioc(int fd, unsigned long cmd, unsigned long arg)
{
	long ret = sim_sys_ioctl_ul(W, PID, fd, cmd, arg);

	inv();
	return ret;
}

static unsigned gid(const char *bdf)
{
	uint32_t sbdf;

	ck_assert_int_eq(pci_sbdf_parse(bdf, &sbdf), 0);
	return iommu_group_of(pci_dev_find(W, sbdf))->id;
}

static int open_path(const char *path)
{
	long fd = sim_sys_open(W, PID, path, O_RDWR);

	ck_assert_msg(fd >= 0, "open %s: %ld", path, fd);
	return (int)fd;
}

static int open_group(const char *bdf)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/vfio/%u", gid(bdf));
	return open_path(path);
}

static long set_container(int gfd, int cfd)
{
	int32_t fd = cfd;

	return io(gfd, VFIO_GROUP_SET_CONTAINER, &fd, sizeof(fd));
}

static long device_fd(int gfd, const char *name)
{
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), ARG, name, strlen(name) + 1), 0);
	return ioc(gfd, VFIO_GROUP_GET_DEVICE_FD, ARG);
}

static long map(int cfd, uint64_t vaddr, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .vaddr = vaddr, .iova = iova, .size = size,
	};

	return io(cfd, VFIO_IOMMU_MAP_DMA, &m, sizeof(m));
}

/* Returns the ioctl's result; *out gets the size the kernel reported. */
static long unmap(int cfd, uint64_t iova, uint64_t size, uint32_t flags, uint64_t *out)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = size,
	};
	long ret = io(cfd, VFIO_IOMMU_UNMAP_DMA, &u, sizeof(u));

	if (out)
		*out = u.size;
	return ret;
}

/* Container + group A (+ backend @type when non-zero); returns the fds. */
static void usage(const char *bdf, unsigned long type, int *cfd, int *gfd)
{
	*cfd = open_path("/dev/vfio/vfio");
	*gfd = open_group(bdf);
	ck_assert_int_eq(set_container(*gfd, *cfd), 0);
	if (type)
		ck_assert_int_eq(ioc(*cfd, VFIO_SET_IOMMU, type), 0);
}

static char *state(void)
{
	GString *s = g_string_new(NULL);

	vfio_describe(W, s);
	return g_string_free(s, FALSE);
}

static uint64_t locked(int pid)
{
	return sim_proc_find(W, pid)->mm->locked_vm;
}

static struct iommu_domain *gdomain(const char *bdf)
{
	return iommu_group_domain(iommu_group_by_id(W, gid(bdf)));
}


/* ---- containers (spec §B) -------------------------------------------------- */

START_TEST(test_container_basics)
{
	int cfd = open_path("/dev/vfio/vfio");

	ck_assert_int_eq(ioc(cfd, VFIO_GET_API_VERSION, 0), VFIO_API_VERSION);
	/* spec §B CHECK_EXTENSION without a backend: type1 answers */
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, 12345), 0);
	/* spec §B SET_IOMMU with no groups -> EINVAL; other ioctls without a
	 * backend -> EINVAL, even unknown ones */
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EINVAL);
	ck_assert_int_eq(ioc(cfd, VFIO_IOMMU_MAP_DMA, ARG), -EINVAL);
	ck_assert_int_eq(ioc(cfd, 0x1234, 0), -EINVAL);
	ck_assert_int_eq(sim_sys_close(W, PID, cfd), 0);
	inv();
}
END_TEST

START_TEST(test_set_iommu_rules)
{
	int cfd, gfd;

	usage(DEV_A, 0, &cfd, &gfd);
	/* spec §B: a type no backend supports -> ENODEV */
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU), -ENODEV);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, 77), -ENODEV);
	/* an extension type1 claims but cannot open as a type */
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_UNMAP_ALL), -EINVAL);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_ptr_nonnull(gdomain(DEV_A));
	ck_assert_int_eq(gdomain(DEV_A)->type, IOMMU_DOMAIN_PAGING);
	/* already set -> EINVAL; the backend knows no such ioctl -> ENOTTY */
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EINVAL);
	ck_assert_int_eq(ioc(cfd, 0x1234, 0), -ENOTTY);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), 0);
}
END_TEST

/* spec §B SET_IOMMU: a group attach failure -> that errno, state unchanged */
START_TEST(test_set_iommu_attach_failure)
{
	int cfd, gfd;
	char *before;

	usage(DEV_A, 0, &cfd, &gfd);
	before = state();
	sim_fault_fail_nth(W, "iommu_domain_alloc", 1);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EIO);
	sim_fault_fail_nth(W, "iommu_attach", 1);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -ENOMEM);
	sim_fault_fail_nth(W, "*", 0);
	{
		char *after = state();
		ck_assert_str_eq(before, after);
		g_free(after);
	}
	ck_assert_int_eq(gdomain(DEV_A)->type, IOMMU_DOMAIN_BLOCKED);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	g_free(before);
}
END_TEST

/* ---- groups (spec §B) --------------------------------------------------------- */

START_TEST(test_group_status)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int cfd = open_path("/dev/vfio/vfio"), ga = open_group(DEV_A), gc = open_group(DEV_C);

	/* spec §B GET_STATUS: argsz < minsz -> EINVAL; a bad pointer -> EFAULT */
	st.argsz = 4;
	ck_assert_int_eq(io(ga, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), -EINVAL);
	ck_assert_int_eq(ioc(ga, VFIO_GROUP_GET_STATUS, 8), -EFAULT);
	st.argsz = sizeof(st);
	ck_assert_int_eq(io(ga, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	/* 06:0d.1 is driven by e1000: not viable */
	ck_assert_int_eq(io(gc, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.flags, 0);
	ck_assert_int_eq(set_container(ga, cfd), 0);
	ck_assert_int_eq(io(ga, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	ck_assert_int_eq(ioc(ga, 0x4242, 0), -ENOTTY);
}
END_TEST

START_TEST(test_set_container_errors)
{
	int cfd = open_path("/dev/vfio/vfio"), ga = open_group(DEV_A), gc = open_group(DEV_C);
	char *before = state();
	int32_t bad = 99;

	/* spec §B SET_CONTAINER: bad pointer -> EFAULT, bad fd -> EBADF */
	ck_assert_int_eq(ioc(ga, VFIO_GROUP_SET_CONTAINER, 0), -EFAULT);
	ck_assert_int_eq(io(ga, VFIO_GROUP_SET_CONTAINER, &bad, sizeof(bad)), -EBADF);
	/* an fd that is not a container -> EBADFD */
	ck_assert_int_eq(set_container(ga, gc), -EBADFD);
	/* a kernel DMA driver is bound in the group -> EPERM */
	ck_assert_int_eq(set_container(gc, cfd), -EPERM);
	{
		char *after = state();
		ck_assert_str_eq(before, after);
		g_free(after);
	}
	/* a group not on its default domain -> EBUSY */
	{
		struct iommu_domain *d = iommu_domain_alloc(W, IOMMU_DOMAIN_PAGING);
		struct iommu_group *ig = iommu_group_by_id(W, gid(DEV_A));

		ck_assert_int_eq(iommu_attach_group(d, ig), 0);
		ck_assert_int_eq(set_container(ga, cfd), -EBUSY);
		iommu_detach_group(d, ig);
		iommu_domain_free(d);
		ck_assert_ptr_eq(gdomain(DEV_A), iommu_group_default_domain(ig));
	}
	ck_assert_int_eq(set_container(ga, cfd), 0);
	/* already set -> EINVAL (even with a bad fd the fd is checked first) */
	ck_assert_int_eq(set_container(ga, cfd), -EINVAL);
	ck_assert_int_eq(io(ga, VFIO_GROUP_SET_CONTAINER, &bad, sizeof(bad)), -EBADF);
	g_free(before);
}
END_TEST

/* spec §B: the sibling leaves e1000 for pci-stub and the group becomes usable */
START_TEST(test_viability_after_unbind)
{
	int cfd = open_path("/dev/vfio/vfio"), gc = open_group(DEV_C);
	struct vfio_group_status st = { .argsz = sizeof(st) };

	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "none"), 0);
	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "pci-stub"), 0);
	ck_assert_int_eq(io(gc, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	ck_assert_int_eq(set_container(gc, cfd), 0);
	/* a kernel driver cannot bind into a user-owned group now */
	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "none"), 0);
	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "e1000"), -EBUSY);
	inv();
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU), 0);
	/* only vfio-pci members have device fds: 06:0d.1 is unbound */
	ck_assert_int_eq(device_fd(gc, "0000:06:0d.1"), -ENODEV);
	ck_assert_int_ge(device_fd(gc, DEV_C), 0);
}
END_TEST

START_TEST(test_unset_container)
{
	int cfd, gfd;
	long dfd;

	gfd = open_group(DEV_A);
	/* spec §B UNSET_CONTAINER: none set -> EINVAL */
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), -EINVAL);
	cfd = open_path("/dev/vfio/vfio");
	ck_assert_int_eq(set_container(gfd, cfd), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	dfd = device_fd(gfd, DEV_A);
	ck_assert_int_ge(dfd, 0);
	/* device fds open -> EBUSY */
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), -EBUSY);
	ck_assert_int_eq(sim_sys_close(W, PID, (int)dfd), 0);
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	/* the default domain is back; the container is EMPTY again */
	ck_assert_ptr_eq(gdomain(DEV_A), iommu_group_default_domain(iommu_group_by_id(W, gid(DEV_A))));
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EINVAL);
	ck_assert_int_eq(set_container(gfd, cfd), 0);
}
END_TEST

START_TEST(test_get_device_fd)
{
	int cfd = open_path("/dev/vfio/vfio"), gfd = open_group(DEV_A);
	struct sim_proc *p = sim_proc_find(W, PID);
	long d1, d2;

	/* spec §B GET_DEVICE_FD: no container -> EINVAL; unknown name -> ENODEV
	 * (the name is looked up first, as the kernel does) */
	ck_assert_int_eq(device_fd(gfd, DEV_A), -EINVAL);
	ck_assert_int_eq(device_fd(gfd, "0000:09:00.0"), -ENODEV);
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_GET_DEVICE_FD, 0), -EFAULT);
	ck_assert_int_eq(set_container(gfd, cfd), 0);
	/* no backend -> EINVAL */
	ck_assert_int_eq(device_fd(gfd, DEV_A), -EINVAL);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_int_eq(device_fd(gfd, DEV_B), -ENODEV);   /* another group's */
	ck_assert_int_eq(device_fd(gfd, "01:00.0"), -ENODEV);
	d1 = device_fd(gfd, DEV_A);
	d2 = device_fd(gfd, DEV_A);                        /* repeat opens */
	ck_assert_int_ge(d1, 0);
	ck_assert_int_ge(d2, 0);
	ck_assert(p->fds[d1].cloexec && p->fds[d2].cloexec);
	/* a name without a NUL within a page -> EINVAL */
	{
		char *big = g_malloc(4097);
		uint64_t va = ualloc(PID, 8192);

		memset(big, 'x', 4097);
		ck_assert_int_eq(sim_copy_to_user(p, va, big, 4097), 0);
		ck_assert_int_eq(ioc(gfd, VFIO_GROUP_GET_DEVICE_FD, va), -EINVAL);
		g_free(big);
	}
	/* exec closes device fds (O_CLOEXEC) */
	ck_assert_int_eq(sim_proc_exec(W, PID), 0);
	inv();
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
}
END_TEST

/* ---- closing in any order, deprivileging (spec §B) ------------------------------ */

/* Close container, group and device fds in order @perm (a permutation of
 * 0 1 2): afterwards nothing is left and the group is back home. */
static void close_in_order(const int perm[3])
{
	unsigned long files = sim_file_live(W);
	int fds[3], cfd, gfd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x10000, RW), 0);
	fds[0] = cfd;
	fds[1] = gfd;
	fds[2] = (int)device_fd(gfd, DEV_A);
	ck_assert_int_ge(fds[2], 0);
	for (int i = 0, gone = 0; i < 3; i++) {
		ck_assert_int_eq(sim_sys_close(W, PID, fds[perm[i]]), 0);
		inv();
		/* the device fd holds the group file, the group the container:
		 * mappings go when both the group and device fds are closed */
		gone += perm[i] != 0;
		ck_assert_uint_eq(locked(PID), gone == 2 ? 0 : 16);
	}
	ck_assert_uint_eq(locked(PID), 0);
	ck_assert_uint_eq(sim_file_live(W), files);
	ck_assert_ptr_eq(gdomain(DEV_A), iommu_group_default_domain(iommu_group_by_id(W, gid(DEV_A))));
	{
		char *s = state();
		ck_assert_msg(strncmp(s, "container ", 10), "left: %s", s);   /* freed */
		g_free(s);
	}
}

START_TEST(test_close_any_order)
{
	static const int perms[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};

	close_in_order(perms[_i]);
}
END_TEST

START_TEST(test_deprivilege)
{
	int cfd, ga, gb;

	usage(DEV_A, 0, &cfd, &ga);
	gb = open_group(DEV_B);
	ck_assert_int_eq(set_container(gb, cfd), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	/* compatible domains are shared: both groups on one domain */
	ck_assert_ptr_eq(gdomain(DEV_A), gdomain(DEV_B));
	ck_assert_int_eq(map(cfd, BUF, 0x100000, 0x8000, RW), 0);
	/* spec §B: closing the container fd keeps its mappings */
	ck_assert_int_eq(sim_sys_close(W, PID, cfd), 0);
	inv();
	ck_assert_uint_eq(locked(PID), 8);
	ck_assert_int_eq(ioc(ga, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	ck_assert_uint_eq(locked(PID), 8);
	/* the last group deprivileges: mappings unpinned, container freed */
	ck_assert_int_eq(ioc(gb, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	ck_assert_uint_eq(locked(PID), 0);
	ck_assert_uint_eq(sim_proc_find(W, PID)->mm->pinned, 0);
}
END_TEST

START_TEST(test_deprivilege_keeps_open_container)
{
	int cfd, gfd;
	uint64_t sz;

	usage(DEV_A, VFIO_TYPE1_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x4000, RW), 0);
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	ck_assert_uint_eq(locked(PID), 0);
	/* EMPTY again: no backend, so type1 ioctls are EINVAL */
	ck_assert_int_eq(unmap(cfd, 0, 0x4000, 0, &sz), -EINVAL);
	ck_assert_int_eq(set_container(gfd, cfd), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_int_eq(unmap(cfd, 0, 0x4000, 0, &sz), 0);
	ck_assert_uint_eq(sz, 0);
}
END_TEST

/* A process exits with its mappings live: the group file goes with its fd
 * table, so everything is unpinned from the saved mm. */
START_TEST(test_exit_with_mappings)
{
	int alice = pid_of("alice"), cfd, gfd;
	struct sim_mm *mm;

	as(alice);
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x4000, RW), 0);
	mm = sim_mm_get(sim_proc_find(W, alice)->mm);
	ck_assert_uint_eq(mm->locked_vm, 4);
	ck_assert_int_eq(sim_proc_exit(W, alice), 0);
	inv();
	ck_assert_uint_eq(mm->locked_vm, 0);
	ck_assert_uint_eq(mm->pinned, 0);
	sim_mm_put(mm);
}
END_TEST

/* ---- MAP_DMA (spec §C, checks in order) ---------------------------------------- */

START_TEST(test_map_checks)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = 8, .flags = RW, .vaddr = BUF, .size = 4096 };
	int cfd, gfd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(ioc(cfd, VFIO_IOMMU_MAP_DMA, 0), -EFAULT);
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_MAP_DMA, &m, sizeof(m)), -EINVAL);  /* argsz */
	ck_assert_int_eq(map(cfd, BUF, 0, 4096, RW | 0x8), -EINVAL);          /* flags */
	ck_assert_int_eq(map(cfd, BUF, 0, 4096, 0), -EINVAL);                 /* no R/W */
	ck_assert_int_eq(map(cfd, BUF, 0, 4096, RD | VFIO_DMA_MAP_FLAG_VADDR), -EINVAL);
	ck_assert_int_eq(map(cfd, BUF, 0, 0, RW), -EINVAL);                   /* size 0 */
	ck_assert_int_eq(map(cfd, BUF, 0x800, 4096, RW), -EINVAL);            /* iova */
	ck_assert_int_eq(map(cfd, BUF + 8, 0, 4096, RW), -EINVAL);            /* vaddr */
	ck_assert_int_eq(map(cfd, BUF, 0, 0x1800, RW), -EINVAL);              /* size */
	ck_assert_int_eq(map(cfd, BUF, ~0xfffull, 0x2000, RW), -EINVAL);      /* wraps */
	ck_assert_int_eq(map(cfd, ~0xfffull, 0, 0x2000, RW), -EINVAL);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, RW), 0);
	ck_assert_int_eq(map(cfd, BUF, 0xf000, 0x2000, RW), -EEXIST);         /* overlap */
	ck_assert_int_eq(map(cfd, BUF, 0x13000, 0x1000, RW), -EEXIST);
	/* VADDR re-supply: no mapping -> ENOENT; not invalidated -> EINVAL */
	ck_assert_int_eq(map(cfd, BUF, 0x40000, 0x1000, VFIO_DMA_MAP_FLAG_VADDR), -ENOENT);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, VFIO_DMA_MAP_FLAG_VADDR), -EINVAL);
	/* not inside one iova range: the MSI window, beyond the aperture */
	ck_assert_int_eq(map(cfd, BUF, MSI_LO - 0x1000, 0x2000, RW), -EINVAL);
	ck_assert_int_eq(map(cfd, BUF, 1ull << 48, 0x1000, RW), -EINVAL);
	ck_assert_int_eq(map(cfd, BUF, MSI_LO - 0x1000, 0x1000, RW), 0);
	/* pinning: a bad vaddr -> EFAULT, nothing left behind */
	ck_assert_int_eq(map(cfd, BUF + 0xff000, 0x80000, 0x2000, RW), -EFAULT);
	ck_assert_int_eq(map(cfd, 0x1000, 0x80000, 0x1000, RD), -EFAULT);
	ck_assert_uint_eq(locked(PID), 5);
}
END_TEST

/* The order matters where two rules apply at once. */
START_TEST(test_map_check_order)
{
	int cfd, gfd;

	ck_assert_int_eq(vfio_set_dma_entry_limit(W, 1), 0);
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x1000, RW), 0);
	/* overlap before ENOSPC, ENOSPC before the iova range, before pinning */
	ck_assert_int_eq(map(cfd, BUF, 0, 0x1000, RW), -EEXIST);
	ck_assert_int_eq(map(cfd, 0x1000, MSI_LO, 0x1000, RW), -ENOSPC);
	ck_assert_int_eq(unmap(cfd, 0, 0x1000, 0, NULL), 0);
	ck_assert_int_eq(map(cfd, 0x1000, MSI_LO, 0x1000, RW), -EINVAL);
	ck_assert_int_eq(map(cfd, 0x1000, 0, 0x1000, RW), -EFAULT);
}
END_TEST

/* Write permission is the device's: a device-writable mapping of a
 * read-only user page cannot be pinned; a device-read-only one can. */
START_TEST(test_map_readonly_page)
{
	int cfd, gfd;
	uint64_t ro;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(sim_mm_map(sim_proc_find(W, PID)->mm, 0x2000, SIM_PROT_READ, "ro", &ro), 0);
	ck_assert_int_eq(map(cfd, ro, 0, 0x2000, RW), -EFAULT);
	ck_assert_int_eq(map(cfd, ro, 0, 0x2000, RD), 0);
}
END_TEST

/* ---- accounting (spec §C) ---------------------------------------------------------- */

START_TEST(test_accounting_rlimit)
{
	int alice = pid_of("alice"), cfd, gfd;

	as(alice);   /* 64K of RLIMIT_MEMLOCK: 16 pages, no CAP_IPC_LOCK */
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 0xc000, RW), 0);
	ck_assert_uint_eq(locked(alice), 12);
	ck_assert_int_eq(map(cfd, BUF + 0x10000, 0x10000, 0x8000, RW), -ENOMEM);
	ck_assert_uint_eq(locked(alice), 12);
	ck_assert_uint_eq(sim_proc_find(W, alice)->mm->pinned, 12);
	/* the same page mapped twice is counted twice */
	ck_assert_int_eq(map(cfd, BUF, 0x20000, 0x4000, RW), 0);
	ck_assert_uint_eq(locked(alice), 16);
	ck_assert_int_eq(map(cfd, BUF, 0x30000, 0x1000, RW), -ENOMEM);
	/* the limit is sampled at map time */
	sim_proc_find(W, alice)->rlimit_memlock = SIM_RLIM_INFINITY;
	ck_assert_int_eq(map(cfd, BUF, 0x30000, 0x1000, RW), 0);
	ck_assert_uint_eq(locked(alice), 17);
	ck_assert_int_eq(unmap(cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL), 0);
	ck_assert_uint_eq(locked(alice), 0);
}
END_TEST

START_TEST(test_accounting_cap_ipc_lock)
{
	int carol = pid_of("carol"), cfd, gfd;

	as(carol);   /* 64K limit but CAP_IPC_LOCK: charged, never refused */
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x40000, RW), 0);
	ck_assert_uint_eq(locked(carol), 64);
	/* CAP_IPC_LOCK is sampled at map time: dropping it later still
	 * uncharges the earlier mapping, and refuses new ones over the limit */
	sim_proc_find(W, carol)->cred.caps = 0;
	ck_assert_int_eq(map(cfd, BUF, 0x100000, 0x1000, RW), -ENOMEM);
	ck_assert_int_eq(sim_sys_close(W, carol, gfd), 0);
	inv();
	ck_assert_uint_eq(locked(carol), 0);
}
END_TEST

/* ---- dma_entry_limit (spec §C, §H11) -------------------------------------------------- */

START_TEST(test_dma_entry_limit)
{
	struct {
		struct vfio_iommu_type1_info info;
		uint8_t caps[512];
	} gi = { .info.argsz = sizeof(gi) };
	struct vfio_iommu_type1_info_dma_avail *avail;
	int cfd, gfd;
	uint64_t sz;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	/* one entry per MAP, never coalesced: 65535 adjacent 4 KiB maps */
	for (uint64_t i = 0; i < 65535; i++) {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m), .flags = RW, .vaddr = BUF, .iova = i << 12, .size = 4096,
		};
		ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), ARG, &m, sizeof(m)), 0);
		ck_assert_int_eq(sim_sys_ioctl_ul(W, PID, cfd, VFIO_IOMMU_MAP_DMA, ARG), 0);
	}
	inv();
	ck_assert_int_eq(map(cfd, BUF, 65535ull << 12, 4096, RW), -ENOSPC);
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi)), 0);
	avail = (void *)((uint8_t *)&gi + 24 + 32);
	ck_assert_uint_eq(avail->header.id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ck_assert_uint_eq(avail->avail, 0);
	ck_assert_int_eq(unmap(cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &sz), 0);
	ck_assert_uint_eq(sz, 65535ull << 12);
	ck_assert_uint_eq(locked(PID), 0);
}
END_TEST

/* ---- UNMAP_DMA (spec §C) --------------------------------------------------------------- */

START_TEST(test_unmap_v2)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = 8 };
	int cfd, gfd;
	uint64_t sz = 1;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, RW), 0);
	ck_assert_int_eq(map(cfd, BUF + 0x4000, 0x14000, 0x4000, RW), 0);
	ck_assert_int_eq(map(cfd, BUF + 0x8000, 0x20000, 0x1000, RD), 0);
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_UNMAP_DMA, &u, sizeof(u)), -EINVAL);
	ck_assert_int_eq(unmap(cfd, 0x10000, 0x1000, 0x80, NULL), -EINVAL);     /* flags */
	ck_assert_int_eq(unmap(cfd, 0x10800, 0x1000, 0, NULL), -EINVAL);       /* align */
	ck_assert_int_eq(unmap(cfd, 0x10000, 0, 0, NULL), -EINVAL);            /* size 0 */
	ck_assert_int_eq(unmap(cfd, 0x10000, 0x800, 0, NULL), -EINVAL);
	/* ALL needs iova = size = 0; DIRTY_BITMAP combines with neither */
	ck_assert_int_eq(unmap(cfd, 0x1000, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL), -EINVAL);
	ck_assert_int_eq(unmap(cfd, 0, 0x1000, VFIO_DMA_UNMAP_FLAG_ALL, NULL), -EINVAL);
	ck_assert_int_eq(unmap(cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL |
			       VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, NULL), -EINVAL);
	ck_assert_int_eq(unmap(cfd, 0x10000, 0x4000, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
			       NULL), -EINVAL);
	/* a range that cuts a mapping -> EINVAL, at either end */
	ck_assert_int_eq(unmap(cfd, 0x11000, 0x3000, 0, NULL), -EINVAL);
	ck_assert_int_eq(unmap(cfd, 0x10000, 0x5000, 0, NULL), -EINVAL);
	/* an empty range -> success with size 0 */
	ck_assert_int_eq(unmap(cfd, 0x40000, 0x10000, 0, &sz), 0);
	ck_assert_uint_eq(sz, 0);
	/* a range covering two whole mappings removes both */
	ck_assert_int_eq(unmap(cfd, 0x8000, 0x10000, 0, &sz), 0);
	ck_assert_uint_eq(sz, 0x8000);
	ck_assert_uint_eq(locked(PID), 1);
	ck_assert_int_eq(unmap(cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &sz), 0);
	ck_assert_uint_eq(sz, 0x1000);
}
END_TEST

START_TEST(test_unmap_v1)
{
	int cfd, gfd;
	uint64_t sz = 1;

	usage(DEV_A, VFIO_TYPE1_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, RW), 0);
	ck_assert_int_eq(map(cfd, BUF, 0x20000, 0x4000, RW), 0);
	/* v1: a request starting inside a mapping -> 0 bytes */
	ck_assert_int_eq(unmap(cfd, 0x11000, 0x1000, 0, &sz), 0);
	ck_assert_uint_eq(sz, 0);
	/* covering a mapping's first byte removes the whole mapping */
	ck_assert_int_eq(unmap(cfd, 0x10000, 0x1000, 0, &sz), 0);
	ck_assert_uint_eq(sz, 0x4000);
	ck_assert_int_eq(unmap(cfd, 0x1f000, 0x2000, 0, &sz), 0);
	ck_assert_uint_eq(sz, 0x4000);
	ck_assert_uint_eq(locked(PID), 0);
}
END_TEST

/* spec §C: mappings made by another mm stop the walk */
START_TEST(test_unmap_other_mm)
{
	int cfd, gfd, child;
	uint64_t sz = 1;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, RW), 0);
	child = sim_proc_fork(W, PID);
	ck_assert_int_gt(child, 0);
	PID = child;          /* same fds, another mm; ARG exists in the copy */
	ck_assert_int_eq(unmap(cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &sz), 0);
	ck_assert_uint_eq(sz, 0);
	ck_assert_int_eq(sim_proc_exit(W, child), 0);
	PID = 1;
	inv();
	ck_assert_int_eq(unmap(cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &sz), 0);
	ck_assert_uint_eq(sz, 0x4000);
}
END_TEST

/* ---- UPDATE_VADDR (spec §C) -------------------------------------------------------------- */

START_TEST(test_update_vaddr)
{
	int cfd, ga, gb;
	uint64_t sz;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &ga);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, RW), 0);
	ck_assert_int_eq(map(cfd, BUF + 0x4000, 0x20000, 0x4000, RW), 0);
	ck_assert_int_eq(unmap(cfd, 0x10000, 0x4000, VFIO_DMA_UNMAP_FLAG_VADDR, &sz), 0);
	ck_assert_uint_eq(sz, 0x4000);
	ck_assert_uint_eq(locked(PID), 8);         /* still pinned and mapped */
	/* attaching a group needs vaddrs: EBUSY while one is invalid */
	gb = open_group(DEV_B);
	ck_assert_int_eq(set_container(gb, cfd), -EBUSY);
	/* invalidating an invalid vaddr fails and reverts the whole call */
	ck_assert_int_eq(unmap(cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR,
			       &sz), -EINVAL);
	ck_assert_int_eq(map(cfd, BUF + 0x4000, 0x20000, 0x4000, VFIO_DMA_MAP_FLAG_VADDR),
			 -EINVAL);
	/* the re-supply must match exactly */
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x2000, VFIO_DMA_MAP_FLAG_VADDR), -EINVAL);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, VFIO_DMA_MAP_FLAG_VADDR), 0);
	ck_assert_int_eq(set_container(gb, cfd), 0);
	/* removing an invalid mapping drops the count too */
	ck_assert_int_eq(unmap(cfd, 0x10000, 0x4000, VFIO_DMA_UNMAP_FLAG_VADDR, &sz), 0);
	ck_assert_int_eq(unmap(cfd, 0x10000, 0x4000, 0, &sz), 0);
	ck_assert_int_eq(ioc(gb, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	ck_assert_int_eq(set_container(gb, cfd), 0);
}
END_TEST

/* ---- GET_INFO (spec §C) -------------------------------------------------------------------- */

START_TEST(test_get_info)
{
	struct {
		struct vfio_iommu_type1_info info;
		uint8_t caps[256];
	} gi;
	struct vfio_iommu_type1_info_cap_migration *mig = (void *)gi.caps;
	struct vfio_iommu_type1_info_dma_avail *av = (void *)(gi.caps + 32);
	struct vfio_iommu_type1_info_cap_iova_range *r = (void *)(gi.caps + 48);
	int cfd, gfd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	memset(&gi, 0xa5, sizeof(gi));
	gi.info.argsz = 12;
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi)), -EINVAL);
	/* too small for the chain: argsz says what is needed, no caps */
	gi.info.argsz = 16;
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi)), 0);
	ck_assert_uint_eq(gi.info.flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	ck_assert_uint_eq(gi.info.argsz, 24 + 32 + 16 + 16 + 2 * 16);
	ck_assert_uint_eq(gi.info.cap_offset, 0xa5a5a5a5);   /* not copied at 16 */
	gi.info.argsz = 24;
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi)), 0);
	ck_assert_uint_eq(gi.info.cap_offset, 0);
	ck_assert_uint_eq(gi.caps[0], 0xa5);
	ck_assert_uint_eq(gi.info.iova_pgsizes & 0xfff, 0);
	ck_assert(gi.info.iova_pgsizes & 0x1000);
	gi.info.argsz = sizeof(gi);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x1000, RW), 0);
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi)), 0);
	ck_assert_uint_eq(gi.info.argsz, sizeof(gi));
	ck_assert_uint_eq(gi.info.cap_offset, 24);
	ck_assert_uint_eq(mig->header.id, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	ck_assert_uint_eq(mig->header.next, 24 + 32);
	ck_assert_uint_eq(mig->pgsize_bitmap, 0x1000);
	ck_assert_uint_eq(mig->max_dirty_bitmap_size, 0x10000000);
	ck_assert_uint_eq(av->header.id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ck_assert_uint_eq(av->header.next, 24 + 48);
	ck_assert_uint_eq(av->avail, 65534);
	ck_assert_uint_eq(r->header.id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ck_assert_uint_eq(r->header.next, 0);
	ck_assert_uint_eq(r->nr_iovas, 2);
	ck_assert_uint_eq(r->iova_ranges[0].start, 0);
	ck_assert_uint_eq(r->iova_ranges[0].end, MSI_LO - 1);
	ck_assert_uint_eq(r->iova_ranges[1].start, 0xfef00000);
	ck_assert_uint_eq(r->iova_ranges[1].end, gdomain(DEV_A)->aperture_end);
	ck_assert_int_eq(ioc(cfd, VFIO_IOMMU_GET_INFO, 0), -EFAULT);
}
END_TEST

/* ---- device DMA through the mappings -------------------------------------------------- */

static int dma(const char *bdf, uint64_t addr, void *buf, size_t len, bool write, int *why)
{
	uint32_t sbdf;
	uint64_t fa;
	int reason = 0, ret;

	ck_assert_int_eq(pci_sbdf_parse(bdf, &sbdf), 0);
	ret = pci_dev_dma(W, pci_dev_find(W, sbdf), false, 0, addr, buf, len, write, &fa, &reason);
	if (why)
		*why = reason;
	return ret;
}

/* The usage flow: a device write lands in the user's buffer, a read
 * outside the mapping faults, a wrong-direction DMA faults, and after UNMAP
 * returns nothing of the range translates. */
START_TEST(test_dma_isolation)
{
	int cfd, gfd, c2, g2, why;
	char msg[] = "hello from the device", back[32] = { 0 };

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 1 << 20, RW), 0);
	ck_assert_int_eq(map(cfd, BUF, 0x200000, 0x1000, RD), 0);
	ck_assert_int_eq(dma(DEV_A, 0x1234, msg, sizeof(msg), true, NULL), 0);
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), back, BUF + 0x1234, sizeof(msg)), 0);
	ck_assert_str_eq(back, msg);
	ck_assert_int_eq(dma(DEV_A, 1 << 20, back, 8, false, &why), -EFAULT);
	ck_assert_int_eq(why, 2);
	ck_assert_int_eq(dma(DEV_A, 0x200000, msg, 8, true, &why), -EFAULT);
	ck_assert_int_eq(why, 3);
	ck_assert_int_eq(dma(DEV_A, 0x200000, back, 8, false, NULL), 0);
	/* another group in another container cannot reach the buffer */
	c2 = open_path("/dev/vfio/vfio");
	g2 = open_group(DEV_B);
	ck_assert_int_eq(set_container(g2, c2), 0);
	ck_assert_int_eq(dma(DEV_B, 0x1234, back, 8, false, &why), -EFAULT);   /* blocked */
	ck_assert_int_eq(ioc(c2, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_int_eq(dma(DEV_B, 0x1234, back, 8, false, &why), -EFAULT);
	ck_assert_int_eq(dma(DEV_A, 0x1234, back, 8, false, NULL), 0);          /* IOTLB warm */
	ck_assert_int_eq(unmap(cfd, 0, 1 << 20, 0, NULL), 0);
	ck_assert_int_eq(dma(DEV_A, 0x1234, back, 8, false, &why), -EFAULT);
}
END_TEST

/* ---- replay (spec §C attach) --------------------------------------------------------------- */

START_TEST(test_replay_new_domain)
{
	int cfd, ga, gb, why;
	char msg[] = "replayed", back[16] = { 0 };

	ck_assert_int_eq(vfio_set_domain_sharing(W, false), 0);
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &ga);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x3000, RW), 0);
	ck_assert_int_eq(map(cfd, BUF + 0x10000, 0x400000, 0x10000, RD), 0);
	gb = open_group(DEV_B);
	ck_assert_int_eq(set_container(gb, cfd), 0);   /* a new domain, mappings replayed */
	ck_assert_ptr_ne(gdomain(DEV_A), gdomain(DEV_B));
	ck_assert_int_eq(dma(DEV_B, 0x10, msg, sizeof(msg), true, NULL), 0);
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), back, BUF + 0x10, sizeof(msg)), 0);
	ck_assert_str_eq(back, msg);
	ck_assert_int_eq(dma(DEV_B, 0x400000, msg, 4, true, &why), -EFAULT);   /* read-only */
	/* new mappings go to both domains; detaching A frees its domain only */
	ck_assert_int_eq(map(cfd, BUF, 0x800000, 0x1000, RW), 0);
	ck_assert_int_eq(ioc(ga, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	ck_assert_uint_eq(locked(PID), 3 + 16 + 1);
	ck_assert_int_eq(dma(DEV_B, 0x800000, back, 4, false, NULL), 0);
}
END_TEST

/* Sharing: a failed join to the existing domain falls back to the new
 * domain with a replay (the kernel's path for an incompatible domain). */
START_TEST(test_replay_on_failed_join)
{
	int cfd, ga, gb;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &ga);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, RW), 0);
	gb = open_group(DEV_B);
	sim_fault_fail_nth(W, "iommu_attach", 2);   /* 1: the new domain, 2: the join */
	ck_assert_int_eq(set_container(gb, cfd), 0);
	sim_fault_fail_nth(W, "*", 0);
	ck_assert_ptr_ne(gdomain(DEV_A), gdomain(DEV_B));
	{
		char b[4];
		ck_assert_int_eq(dma(DEV_B, 0x10000, b, 4, false, NULL), 0);
	}
}
END_TEST

/* ---- errors change nothing (spec §H19), by fault injection ------------------------------------ */

typedef long (*op_fn)(int cfd, int ga, int gb);

static long op_map(int cfd, int ga, int gb)
{
	return map(cfd, BUF, 0x100000, 0x80000, RW);
}

static long op_attach(int cfd, int ga, int gb)
{
	return set_container(gb, cfd);
}

static long op_set_iommu_two(int cfd, int ga, int gb)
{
	return ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
}

static long op_device_fd(int cfd, int ga, int gb)
{
	return device_fd(ga, DEV_A);
}

static long op_info(int cfd, int ga, int gb)
{
	struct { struct vfio_iommu_type1_info i; uint8_t c[256]; } gi = { .i.argsz = sizeof(gi) };

	return io(cfd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi));
}

/* Run @op with the nth fallible call failing, for n = 1, 2, ... until the
 * op completes without reaching the fault; each failure must leave the
 * state as it was. */
static void sweep(op_fn op, bool backend, bool share)
{
	for (unsigned long n = 1;; n++) {
		unsigned long fired;
		int cfd, ga, gb;
		char *before, *after;
		long ret;

		setup();
		ck_assert_int_eq(vfio_set_domain_sharing(W, share), 0);
		usage(DEV_A, backend ? VFIO_TYPE1v2_IOMMU : 0, &cfd, &ga);
		gb = open_group(DEV_B);
		if (backend)
			ck_assert_int_eq(map(cfd, BUF, 0, 0x3000, RW), 0);
		else
			ck_assert_int_eq(set_container(gb, cfd), 0);
		before = state();
		fired = sim_fault_injected(W);
		sim_fault_fail_nth(W, "*", n);
		ret = op(cfd, ga, gb);
		sim_fault_fail_nth(W, "*", 0);
		fired = sim_fault_injected(W) - fired;
		after = state();
		if (ret < 0)
			ck_assert_msg(!strcmp(before, after), "n=%lu ret=%ld\nbefore:\n%s\nafter:\n%s",
				      n, ret, before, after);
		g_free(before);
		g_free(after);
		teardown();
		if (!fired)
			break;
		ck_assert_msg(n < 500, "sweep does not end");
	}
}

START_TEST(test_fault_sweep)
{
	teardown();   /* sweep boots its own worlds */
	sweep(op_map, true, true);
	sweep(op_attach, true, true);
	sweep(op_attach, true, false);
	sweep(op_set_iommu_two, false, true);
	sweep(op_set_iommu_two, false, false);
	sweep(op_device_fd, true, true);
	sweep(op_info, true, true);
	setup();
}
END_TEST

/* ---- the vfio-pci device fd -------------------------------------------------------------- */

static int open_dev_a(void)
{
	int cfd, gfd;
	long dfd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	dfd = device_fd(gfd, DEV_A);
	ck_assert_int_ge(dfd, 0);
	return (int)dfd;
}

#define REGION(i) ((uint64_t)(i) << 40)

START_TEST(test_device_info_regions)
{
	int dfd = open_dev_a();
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	static const struct { unsigned idx; uint64_t size; uint32_t flags; } want[] = {
		{ VFIO_PCI_BAR0_REGION_INDEX, 128 << 10, 7 }, { 1, 0, 0 }, { 2, 32, 3 },
		{ 3, 16 << 10, 7 }, { 4, 0, 0 }, { 5, 0, 0 }, { VFIO_PCI_ROM_REGION_INDEX, 0, 0 },
		{ VFIO_PCI_CONFIG_REGION_INDEX, 4096, 3 },
	};

	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_INFO, &di, sizeof(di)), 0);
	ck_assert_uint_eq(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	ck_assert_uint_eq(di.num_regions, VFIO_PCI_NUM_REGIONS);
	ck_assert_uint_eq(di.num_irqs, VFIO_PCI_NUM_IRQS);
	di.argsz = 8;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_INFO, &di, sizeof(di)), -EINVAL);
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		ri.index = want[i].idx;
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), 0);
		ck_assert_uint_eq(ri.size, want[i].size);
		ck_assert_uint_eq(ri.flags, want[i].flags);
		ck_assert_uint_eq(ri.offset, REGION(want[i].idx));
	}
	ri.index = VFIO_PCI_VGA_REGION_INDEX;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), -EINVAL);
	ri.index = 9;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), -EINVAL);
	ri.argsz = 8;
	ri.index = 0;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), -EINVAL);
	ck_assert_int_eq(ioc(dfd, VFIO_DEVICE_RESET, 0), 0);
	ck_assert_int_eq(ioc(dfd, 0x7777, 0), -ENOTTY);
}
END_TEST

static uint32_t cfg32(int dfd, unsigned off)
{
	uint32_t v = 0;

	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off), 4);
	return v;
}

static void cfg_write32(int dfd, unsigned off, uint32_t v)
{
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off), 4);
}

START_TEST(test_device_config_and_bars)
{
	int dfd = open_dev_a();
	uint8_t buf[64] = { 0 }, pos;
	uint32_t v = 0x12345678;

	ck_assert_uint_eq(cfg32(dfd, 0), 0x10d38086);
	ck_assert_uint_eq(cfg32(dfd, 0x0c) >> 16 & 0xff, 0);        /* single function */
	ck_assert_uint_eq(cfg32(dfd, 0x3c) >> 8 & 0xff, 1);         /* INTx pin A */
	/* BAR sizing: write all-ones, read back the size mask and type bits */
	cfg_write32(dfd, 0x10, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x10), 0xfffe0000);
	cfg_write32(dfd, 0x18, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x18), 0xffffffe1);
	cfg_write32(dfd, 0x1c, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x1c), 0xffffc00c);
	cfg_write32(dfd, 0x20, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x20), 0xffffffff);            /* upper half */
	cfg_write32(dfd, 0x14, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x14), 0);                     /* none */
	cfg_write32(dfd, 0x00, 0);                                  /* read-only */
	ck_assert_uint_eq(cfg32(dfd, 0), 0x10d38086);
	/* the capability list: MSI, MSI-X, PCI Express */
	ck_assert(cfg32(dfd, 0x04) >> 16 & 0x10);
	pos = (uint8_t)cfg32(dfd, 0x34);
	ck_assert_uint_eq(cfg32(dfd, pos) & 0xff, 0x05);
	ck_assert_uint_eq(cfg32(dfd, pos) >> 16 & 0x0e, 2 << 1);   /* 4 vectors */
	pos = (uint8_t)(cfg32(dfd, pos) >> 8);
	ck_assert_uint_eq(cfg32(dfd, pos) & 0xff, 0x11);
	ck_assert_uint_eq(cfg32(dfd, pos) >> 16 & 0x7ff, 4);       /* 5 vectors */
	pos = (uint8_t)(cfg32(dfd, pos) >> 8);
	ck_assert_uint_eq(cfg32(dfd, pos) & 0xff, 0x10);
	ck_assert_uint_eq(cfg32(dfd, pos) >> 8 & 0xff, 0);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 8, REGION(7) + 4092), -EFAULT);
	/* BAR storage: memory decode must be on (vfio-pci's EIO rule) */
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, REGION(0) + 0x100), -EIO);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, REGION(2)), 4);   /* I/O */
	cfg_write32(dfd, 0x04, 0x2);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, REGION(0) + 0x1ffe), 4);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 8, REGION(0) + 0x1ffc), 8);
	ck_assert_uint_eq(buf[2], 0x78);
	ck_assert_uint_eq(buf[5], 0x12);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 64, REGION(0) + (128 << 10) - 8), 8);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 4, REGION(0) + (128 << 10)), -EINVAL);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 4, REGION(1)), -EINVAL);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 4, REGION(6)), -EINVAL);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 4, REGION(12)), -EINVAL);
}
END_TEST

static long set_irqs(int dfd, uint32_t flags, unsigned index, unsigned start, unsigned count,
		     const void *data, size_t dlen)
{
	struct { struct vfio_irq_set s; uint8_t d[64]; } a = {
		.s = { .argsz = (uint32_t)(sizeof(a.s) + dlen), .flags = flags, .index = index,
		       .start = start, .count = count },
	};

	if (dlen)
		memcpy(a.d, data, dlen);
	return io(dfd, VFIO_DEVICE_SET_IRQS, &a, sizeof(a));
}

#define TRIG_FD (VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD)
#define TRIG_NONE (VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE)

START_TEST(test_device_irqs)
{
	int dfd = open_dev_a();
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	static const struct { unsigned idx, count; uint32_t flags; } want[] = {
		{ 0, 1, 0x7 }, { 1, 4, 0x9 }, { 2, 5, 0x9 }, { 3, 1, 0x9 }, { 4, 1, 0x9 },
	};
	int32_t fds[5] = { dfd, dfd, -1, dfd, dfd }, badfd = 77;
	uint8_t one = 1;

	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		ii.index = want[i].idx;
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), 0);
		ck_assert_uint_eq(ii.count, want[i].count);
		ck_assert_uint_eq(ii.flags, want[i].flags);
	}
	ii.index = 5;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), -EINVAL);
	/* validation: unknown flags, bad index, beyond the vectors, data size */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD | 0x40, 1, 0, 1, fds, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 5, 0, 1, fds, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 2, 3, fds, 12), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 4, 0, fds, 0), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_TRIGGER | 3, 1, 0, 1, fds, 4), -EINVAL);
	{
		struct vfio_irq_set s = { .argsz = sizeof(s) + 4, .flags = TRIG_FD, .index = 1, .count = 2 };
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_SET_IRQS, &s, sizeof(s)), -EINVAL);
	}
	/* actions an index does not have -> ENOTTY */
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_NONE, 1, 0, 1,
				  NULL, 0), -ENOTTY);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD | VFIO_IRQ_SET_ACTION_MASK, 0, 0, 1, fds, 4), -ENOTTY);
	/* MSI: enable 2 vectors, a bad fd unwinds, INTx is then refused */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 0, 2, fds, 8), 0);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 0, 1, &badfd, 4), -EBADF);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 3, 1, fds, 4), -EINVAL);  /* not allocated */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 0, 0, 1, fds, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 2, 0, 1, fds, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 1, 0, 2, NULL, 0), 0);      /* loopback */
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 1, 0, 0, NULL, 0), 0);      /* disable */
	/* MSI-X all five, then off; INTx with masking */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 2, 0, 5, fds, 20), 0);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 2, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_NONE, 0, 0, 1,
				  NULL, 0), -EINVAL);                          /* INTx off */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 0, 0, 1, fds, 4), 0);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_BOOL, 0, 0, 1,
				  &one, 1), 0);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_EVENTFD, 0, 0,
				  1, &badfd, 4), -EBADF);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_EVENTFD, 0, 0, 1,
				  fds, 4), -ENOTTY);
	/* ERR and REQ: one optional eventfd each */
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 3, 0, 0, NULL, 0), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 3, 0, 1, fds, 4), 0);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 3, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 4, 0, 1, &badfd, 4), -EBADF);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 4, 0, 1, fds + 2, 4), 0);
}
END_TEST

/* A conventional PCI function: 256 bytes of config space, no ERR irq. */
START_TEST(test_device_conventional)
{
	int cfd, gfd;
	long dfd;
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_ERR_IRQ_INDEX };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX };

	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "none"), 0);
	usage(DEV_C, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	dfd = device_fd(gfd, DEV_C);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(io((int)dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), 0);
	ck_assert_uint_eq(ri.size, 256);
	ck_assert_int_eq(io((int)dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), -EINVAL);
	ck_assert_uint_eq(cfg32((int)dfd, 0x0c) >> 16 & 0xff, 0x80);   /* multifunction */
}
END_TEST

/* Unbinding vfio-pci revokes the group (the kernel's vfio_device_remove_group):
 * without device fds the container is detached at once; with one open (the
 * kernel would wait) its ioctls fail with ENODEV and the close cleans up. */
START_TEST(test_unbind_while_open)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int cfd, gfd, cfd2;
	long dfd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x2000, RW), 0);
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "none"), 0);
	inv();
	ck_assert_uint_eq(locked(PID), 0);
	ck_assert_int_eq(io(gfd, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), -ENODEV);
	ck_assert_int_eq(set_container(gfd, cfd), -ENODEV);
	ck_assert_int_eq(device_fd(gfd, DEV_A), -ENODEV);
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	inv();
	/* bound again: a device fd open across the unbind */
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "vfio-pci"), 0);
	cfd2 = open_path("/dev/vfio/vfio");
	gfd = open_group(DEV_A);
	ck_assert_int_eq(set_container(gfd, cfd2), 0);
	ck_assert_int_eq(ioc(cfd2, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_int_eq(map(cfd2, BUF, 0, 0x1000, RW), 0);
	dfd = device_fd(gfd, DEV_A);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "none"), 0);
	inv();
	ck_assert_int_eq(ioc((int)dfd, VFIO_DEVICE_RESET, 0), -ENODEV);
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	ck_assert_uint_eq(locked(PID), 1);
	ck_assert_int_eq(sim_sys_close(W, PID, (int)dfd), 0);
	inv();
	ck_assert_uint_eq(locked(PID), 0);
}
END_TEST

/* The checker itself: state changed behind VFIO's back is reported. */
START_TEST(test_invariant_checker_detects)
{
	GString *s = g_string_new(NULL);
	struct iommu_domain *d;
	uint64_t hpa;
	unsigned prot;
	int cfd, gfd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, RW), 0);
	d = gdomain(DEV_A);
	ck_assert_int_eq(iommu_iova_to_phys(d, 0x11000, &hpa, &prot), 0);
	ck_assert_uint_eq(iommu_unmap(d, 0x11000, 0x1000), 0x1000);
	sim_proc_find(W, PID)->mm->locked_vm++;
	ck_assert_int_eq(vfio_check_invariants(W, s), 2);
	ck_assert_msg(strstr(s->str, "§H12: iova 0x11000") && strstr(s->str, "§H10:"), "%s", s->str);
	sim_proc_find(W, PID)->mm->locked_vm--;
	ck_assert_int_eq(iommu_map(d, 0x11000, hpa, 0x1000, prot), 0);
	g_string_truncate(s, 0);
	iommu_detach_group(d, iommu_group_by_id(W, gid(DEV_A)));
	ck_assert_int_ge(vfio_check_invariants(W, s), 1);
	ck_assert_msg(strstr(s->str, "§H7: group"), "%s", s->str);
	g_string_free(s, TRUE);
	/* put it back so teardown runs on a sane state */
	ck_assert_int_eq(iommu_attach_group(d, iommu_group_by_id(W, gid(DEV_A))), 0);
	inv();
}
END_TEST

static Suite *vfio_suite(void)
{
	Suite *s = suite_create("vfio");
	TCase *tc = tcase_create("legacy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_container_basics);
	tcase_add_test(tc, test_set_iommu_rules);
	tcase_add_test(tc, test_set_iommu_attach_failure);
	tcase_add_test(tc, test_group_status);
	tcase_add_test(tc, test_set_container_errors);
	tcase_add_test(tc, test_viability_after_unbind);
	tcase_add_test(tc, test_unset_container);
	tcase_add_test(tc, test_get_device_fd);
	tcase_add_loop_test(tc, test_close_any_order, 0, 6);
	tcase_add_test(tc, test_deprivilege);
	tcase_add_test(tc, test_deprivilege_keeps_open_container);
	tcase_add_test(tc, test_exit_with_mappings);
	tcase_add_test(tc, test_map_checks);
	tcase_add_test(tc, test_map_check_order);
	tcase_add_test(tc, test_map_readonly_page);
	tcase_add_test(tc, test_accounting_rlimit);
	tcase_add_test(tc, test_accounting_cap_ipc_lock);
	tcase_add_test(tc, test_dma_entry_limit);
	tcase_add_test(tc, test_unmap_v2);
	tcase_add_test(tc, test_unmap_v1);
	tcase_add_test(tc, test_unmap_other_mm);
	tcase_add_test(tc, test_update_vaddr);
	tcase_add_test(tc, test_get_info);
	tcase_add_test(tc, test_dma_isolation);
	tcase_add_test(tc, test_replay_new_domain);
	tcase_add_test(tc, test_replay_on_failed_join);
	tcase_add_test(tc, test_fault_sweep);
	tcase_add_test(tc, test_device_info_regions);
	tcase_add_test(tc, test_device_config_and_bars);
	tcase_add_test(tc, test_device_irqs);
	tcase_add_test(tc, test_device_conventional);
	tcase_add_test(tc, test_unbind_while_open);
	tcase_add_test(tc, test_invariant_checker_detects);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(vfio_suite());
}
