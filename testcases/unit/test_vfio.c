/* SPDX-License-Identifier: MIT */
/*
 * model/vfio: the legacy container/group state machine (spec §B) driven
 * through the syscall layer with ioctl arguments in simulated user memory,
 * with the §H invariants checked after every step: containers, groups,
 * closing in any order, deprivileging, and the invariant checker itself.
 * type1 is in test_vfio_type1.c, device fds in test_vfio_pci.c; the shared
 * world and helpers are in vfio_fixture.c.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <linux/vfio.h>

#include "unit_common.h"
#include "vfio_fixture.h"
#include <fcntl.h>

#include "iommusim/iommusim.h"
#include "sim/devnode.h"
#include "sim/eventfd.h"
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

/* ---- containers (spec §B) -------------------------------------------------- */

START_TEST(test_container_basics)
{
	int cfd = open_path("/dev/vfio/vfio");

	ck_assert_int_eq(ioc(cfd, VFIO_GET_API_VERSION, 0), VFIO_API_VERSION);
	/* spec §B CHECK_EXTENSION without a backend: type1 answers */
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	/* vfio_iommu_type1_check_extension: UPDATE_VADDR needs a backend
	 * ("iommu && ..."); the NESTING type is claimed by 6.1 and 6.12, gone
	 * from mainline since v6.13 (test_backend_list) */
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 0);
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
	/* spec §B: a type no backend supports -> ENODEV; UPDATE_VADDR is
	 * not claimed without a backend, so it is such a type too */
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, 77), -ENODEV);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_UPDATE_VADDR), -ENODEV);
	/* NESTING: not claimed by mainline (v6.13 removed it) -> ENODEV; on
	 * 6.12 it opens, then the attach cannot enable nesting on the domain
	 * (iommu_enable_nesting, as intel-iommu) -> EINVAL */
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU), -ENODEV);
	sim_world_set_kernel(W, SIM_KERNEL_6_12);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU), -EINVAL);
	sim_world_set_kernel(W, SIM_KERNEL_MAINLINE);
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

/* vfio_group_ioctl_set_container: an fd that is neither a container nor an
 * iommufd is -EBADFD since the v6.2 iommufd rework, -EINVAL in 6.1. */
START_TEST(test_set_container_not_container_by_kernel)
{
	int cfd = open_path("/dev/vfio/vfio"), ga = open_group(DEV_A), gc = open_group(DEV_C);

	ck_assert_int_eq(set_container(ga, gc), -EBADFD);       /* mainline */
	sim_world_set_kernel(W, SIM_KERNEL_6_12);
	ck_assert_int_eq(set_container(ga, ga), -EBADFD);
	sim_world_set_kernel(W, SIM_KERNEL_6_2);          /* the rework's release */
	ck_assert_int_eq(set_container(ga, ga), -EBADFD);
	sim_world_set_kernel(W, SIM_KERNEL_6_1);
	ck_assert_int_eq(set_container(ga, gc), -EINVAL);
	ck_assert_int_eq(set_container(ga, ga), -EINVAL);
	ck_assert_int_eq(set_container(ga, cfd), 0);
	inv();
}
END_TEST

/* vfio_pci_core_match: GET_DEVICE_FD's name is the device's, then only
 * spaces and one vf_token=UUID option (refused: no PF/VF here). */
START_TEST(test_get_device_fd_name_match)
{
	int cfd, gfd;
	long fd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	fd = device_fd(gfd, DEV_A "  ");
	ck_assert_int_ge(fd, 0);                                /* trailing spaces */
	ck_assert_int_eq(sim_sys_close(W, PID, (int)fd), 0);
	ck_assert_int_eq(device_fd(gfd, DEV_A "x"), -ENODEV);   /* no match */
	ck_assert_int_eq(device_fd(gfd, DEV_A "\t"), -ENODEV);
	ck_assert_int_eq(device_fd(gfd, "0000:01:00."), -ENODEV);
	ck_assert_int_eq(device_fd(gfd, DEV_A " opt=1"), -EINVAL);   /* unknown option */
	ck_assert_int_eq(device_fd(gfd, DEV_A " vf_token=0000"), -EINVAL);
	ck_assert_int_eq(device_fd(gfd, DEV_A " vf_token=0000000g-0000-0000-0000-000000000000"),
			 -EINVAL);                              /* uuid_parse */
	ck_assert_int_eq(device_fd(gfd, DEV_A " vf_token=00000000-0000-0000-0000-000000000000"),
			 -EINVAL);                              /* not a PF or VF */
	inv();
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

/* ---- binding vfio-pci through sysfs ------------------------------------------ */

static struct pci_dev *dev(const char *bdf)
{
	struct pci_dev *d = NULL;

	ck_assert_int_eq(pci_dev_lookup(W, bdf, &d), 0);
	return d;
}

/*
 * bind_store -> driver_match_device -> pci_match_device: vfio-pci's only
 * id-table entry is override-only (PCI_DRIVER_OVERRIDE_DEVICE_VFIO), so a
 * plain bind is ENODEV; driver_override naming it matches, and naming
 * another driver keeps every other driver from matching; new_id_store adds
 * a dynamic id (EEXIST when one already matches) and probes the unbound
 * functions it matches.
 */
START_TEST(test_bind_needs_override_or_new_id)
{
	struct sim_world *w = W;
	struct pci_dev *a = dev(DEV_A), *c = dev("0000:06:0d.1");
	char *longname = g_strnfill(4095, 'x');

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(c);
	/* the topology's `driver: vfio-pci` wrote the override at boot */
	ck_assert_str_eq(pci_driver_override(w, a), "vfio-pci");
	ck_assert_int_eq(pci_unbind_driver(w, a), 0);
	ck_assert_int_eq(pci_driver_override_store(w, a, ""), 0);
	ck_assert_ptr_null(pci_driver_override(w, a));
	ck_assert_int_eq(pci_bind_store(w, a, "vfio-pci"), -ENODEV);
	ck_assert_ptr_null(a->driver);
	/* an override for another driver: vfio-pci still does not match, and
	 * the named one does; driver_set_override: text to the newline */
	ck_assert_int_eq(pci_driver_override_store(w, a, "pci-stub\n"), 0);
	ck_assert_str_eq(pci_driver_override(w, a), "pci-stub");
	ck_assert_int_eq(pci_bind_store(w, a, "vfio-pci"), -ENODEV);
	ck_assert_int_eq(pci_bind_store(w, a, "nvme"), -ENODEV);
	ck_assert_int_eq(pci_bind_store(w, a, "pci-stub"), 0);
	/* matched, but bound: __driver_probe_device -> EBUSY */
	ck_assert_int_eq(pci_driver_override_store(w, a, "vfio-pci"), 0);
	ck_assert_int_eq(pci_bind_store(w, a, "vfio-pci"), -EBUSY);
	ck_assert_int_eq(pci_unbind_driver(w, a), 0);
	ck_assert_int_eq(pci_bind_store(w, a, "vfio-pci"), 0);
	ck_assert_str_eq(a->driver, "vfio-pci");
	/* driver_set_override: PAGE_SIZE - 1 bytes or more -> EINVAL, kept */
	ck_assert_int_eq(pci_driver_override_store(w, a, longname), -EINVAL);
	ck_assert_str_eq(pci_driver_override(w, a), "vfio-pci");
	g_free(longname);

	/* new_id: 06:0d.1 (e1000) is bound, so only the id is added */
	ck_assert_int_eq(pci_new_id_store(w, "no-such-driver", c->vendor, c->device), -ENOENT);
	ck_assert_int_eq(pci_unbind_driver(w, c), 0);
	ck_assert_int_eq(pci_new_id_store(w, "vfio-pci", c->vendor, c->device), 0);
	ck_assert_str_eq(c->driver, "vfio-pci");       /* driver_attach probed it */
	ck_assert_ptr_null(pci_driver_override(w, c));
	ck_assert_int_eq(pci_new_id_store(w, "vfio-pci", c->vendor, c->device), -EEXIST);
	/* pci-stub has no id table (stub_driver.id_table is NULL): a new id is
	 * new to it, and the second time new_id_store says EEXIST */
	ck_assert_int_eq(pci_new_id_store(w, "pci-stub", 0x1234, 0x5678), 0);
	ck_assert_int_eq(pci_new_id_store(w, "pci-stub", 0x1234, 0x5678), -EEXIST);
	/* the dynamic id matches without an override after an unbind too */
	ck_assert_int_eq(pci_unbind_driver(w, c), 0);
	ck_assert_int_eq(pci_bind_store(w, c, "vfio-pci"), 0);
	inv();
}
END_TEST

/* sim_pci_bind (the public API) is driver_override + bind, as the oracle's
 * guest does it; an error restores the override it found. */
START_TEST(test_sim_pci_bind_writes_override)
{
	struct pci_dev *c = dev("0000:06:0d.1");

	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "vfio-pci"), -EBUSY);
	ck_assert_ptr_null(pci_driver_override(W, c));
	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "none"), 0);
	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "vfio-pci"), 0);
	ck_assert_str_eq(pci_driver_override(W, c), "vfio-pci");
	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "none"), 0);
	ck_assert_ptr_null(pci_driver_override(W, c));
	ck_assert_ptr_null(c->driver);
	inv();
}
END_TEST

/* ---- the group object's life (vfio_device_remove_group) ------------------------ */

/*
 * vfio_device_remove_group: the last vfio device of a group goes while the
 * group file is open -> group->iommu_group = NULL and the object leaves the
 * group list.  The stale file answers ENODEV (GET_STATUS, SET_CONTAINER,
 * GET_DEVICE_FD) and EINVAL (UNSET_CONTAINER: none); a new bind makes a
 * fresh group (vfio_group_find_or_alloc -> vfio_create_group), whose node
 * opens although the stale file is still open.
 */
START_TEST(test_group_gone_then_fresh)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int cfd = open_path("/dev/vfio/vfio"), stale = open_group(DEV_A), fresh;

	ck_assert_int_eq(set_container(stale, cfd), 0);
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "none"), 0);
	inv();
	ck_assert_int_eq(io(stale, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), -ENODEV);
	ck_assert_int_eq(set_container(stale, cfd), -ENODEV);
	ck_assert_int_eq(device_fd(stale, DEV_A), -ENODEV);
	ck_assert_int_eq(ioc(stale, VFIO_GROUP_UNSET_CONTAINER, 0), -EINVAL);
	ck_assert_int_eq(ioc(stale, 0x3b99, 0), -ENOTTY);
	ck_assert_int_eq(sim_sys_open(W, PID, "/dev/vfio/1", O_RDWR), -ENOENT);
	/* a re-bind: a fresh group behind the same node number */
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "vfio-pci"), 0);
	fresh = open_group(DEV_A);
	ck_assert_int_ge(fresh, 0);
	ck_assert_int_eq(io(fresh, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	ck_assert_int_eq(set_container(fresh, cfd), 0);
	/* the stale file stays dead: the re-bind did not revive it */
	ck_assert_int_eq(io(stale, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), -ENODEV);
	ck_assert_int_eq(device_fd(stale, DEV_A), -ENODEV);
	ck_assert_int_eq(sim_sys_close(W, PID, stale), 0);
	inv();
	ck_assert_int_eq(io(fresh, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
}
END_TEST

/* ---- unbind while a device fd is open (vfio_unregister_group_dev) -------------- */

static void set_req_trigger(int dfd, int efd)
{
	struct {
		struct vfio_irq_set hdr;
		int32_t fd;
	} req = {
		.hdr = { .argsz = sizeof(req), .index = VFIO_PCI_REQ_IRQ_INDEX, .start = 0,
			 .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER },
		.fd = efd,
	};

	ck_assert_int_eq(io(dfd, VFIO_DEVICE_SET_IRQS, &req, sizeof(req)), 0);
}

static uint64_t efd_read(int efd)
{
	uint64_t v = 0;

	ck_assert_int_eq(sim_sys_read_k(W, PID, efd, &v, sizeof(v)), 8);
	return v;
}

/*
 * vfio_unregister_group_dev: the device leaves the group's list, then the
 * unbind waits for device->comp, calling device->ops->request (here
 * vfio_pci_core_request: eventfd_signal(req_trigger)); the last close of
 * the device fd completes it: vfio_device_remove_group, the driver detached.
 */
START_TEST(test_unbind_waits_for_device_fd)
{
	int cfd, gfd, efd;
	long dfd;
	struct pci_dev *a = dev(DEV_A);

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	dfd = device_fd(gfd, DEV_A);
	ck_assert_int_ge(dfd, 0);
	efd = (int)sim_sys_eventfd(W, PID, 0, SIM_EFD_NONBLOCK);
	ck_assert_int_ge(efd, 0);
	set_req_trigger((int)dfd, efd);
	ck_assert_int_eq(pci_unbind_driver(W, a), PCI_UNBIND_PENDING);
	inv();
	ck_assert(pci_unbind_pending(W, a));
	ck_assert_uint_eq(efd_read(efd), 1);            /* the request, once */
	ck_assert_str_eq(a->driver, "vfio-pci");        /* still bound */
	/* no new device fd; the open one works; the group node stays */
	ck_assert_int_eq(device_fd(gfd, DEV_A), -ENODEV);
	ck_assert_int_eq(ioc((int)dfd, VFIO_DEVICE_GET_INFO, 0), -EFAULT);
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), -EBUSY);
	/* the device lock is held by the pending unbind */
	ck_assert_int_eq(pci_unbind_driver(W, a), -EBUSY);
	ck_assert_int_eq(pci_bind_store(W, a, "vfio-pci"), -EBUSY);
	/* the user lets go: the unbind completes, the group is gone */
	ck_assert_int_eq(sim_sys_close(W, PID, (int)dfd), 0);
	inv();
	ck_assert(!pci_unbind_pending(W, a));
	ck_assert_ptr_null(a->driver);
	{
		struct vfio_group_status st = { .argsz = sizeof(st) };

		ck_assert_int_eq(io(gfd, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), -ENODEV);
	}
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, efd), 0);
	inv();
}
END_TEST

/* Without a REQ eventfd the unbind still waits ("No device request channel
 * registered, blocked until released by user"); closing the group fd first
 * does not end it, the device fd's close does. */
START_TEST(test_unbind_waits_without_request_channel)
{
	int cfd, gfd;
	long dfd;
	struct pci_dev *a = dev(DEV_A);

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x1000, RW), 0);
	dfd = device_fd(gfd, DEV_A);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(pci_unbind_driver(W, a), PCI_UNBIND_PENDING);
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, cfd), 0);
	ck_assert(pci_unbind_pending(W, a));
	ck_assert_uint_gt(locked(PID), 0);              /* mappings live on */
	ck_assert_int_eq(sim_sys_close(W, PID, (int)dfd), 0);
	inv();
	ck_assert_ptr_null(a->driver);
	ck_assert_uint_eq(locked(PID), 0);
	ck_assert_int_eq(sim_sys_open(W, PID, "/dev/vfio/1", O_RDWR), -ENOENT);
}
END_TEST

/* ---- no-IOMMU mode ------------------------------------------------------------- */

static void boot_noiommu(bool enabled)
{
	char *y = g_strdup_printf(
		"name: noiommu\n"
		"profile: {vfio: {enable_unsafe_noiommu_mode: %s}}\n"
		"topology:\n"
		"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		"  - {bdf: \"0000:00:02.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\","
		" driver: vfio-pci}\n"
		"  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:00:02.0\","
		" iommu: false}\n"
		"  - {bdf: \"0000:02:00.1\", type: endpoint, parent: \"0000:00:02.0\","
		" iommu: false}\n"
		"processes:\n"
		"  - {name: alice, uid: 1000, gid: 1000}\n", enabled ? "true" : "false");

	teardown();
	boot_from(y, "<noiommu>");
	g_free(y);
	as(1);
}

/* vfio_group_find_or_alloc without the option: a device with no IOMMU
 * group is refused (EINVAL); CHECK_EXTENSION(VFIO_NOIOMMU_IOMMU) is 0
 * (vfio_noiommu_ioctl: "vfio_noiommu && ..."), SET_IOMMU never finds it. */
START_TEST(test_noiommu_off_refuses)
{
	struct pci_dev *d;
	int cfd;

	boot_noiommu(false);
	d = dev("0000:02:00.0");
	ck_assert_int_eq(pci_driver_override_store(W, d, "vfio-pci"), 0);
	ck_assert_int_eq(pci_bind_store(W, d, "vfio-pci"), -EINVAL);
	ck_assert_ptr_null(d->driver);
	cfd = open_path("/dev/vfio/vfio");
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU), 0);
	inv();
}
END_TEST

/*
 * enable_unsafe_noiommu_mode: vfio_noiommu_group_alloc gives each device
 * a group of its own ("noiommu-%d", the lowest free id above the core's
 * groups); vfio_group_fops_open, vfio_container_attach_group and
 * vfio_noiommu_open all want CAP_SYS_RAWIO (EPERM); the container takes
 * vfio-noiommu only (vfio_iommu_driver_allowed); vfio_noiommu_ioctl has no
 * MAP_DMA (ENOTTY); DMA is untranslated.
 */
START_TEST(test_noiommu_on)
{
	struct pci_dev *d0, *d1;
	int cfd, gfd, gfd1, alice, real;
	long dfd;
	uint8_t buf[8] = { 0 };
	struct sim_dma op = { .addr = 0x100000, .len = sizeof(buf), .buf = buf };
	struct sim_proc *root;

	boot_noiommu(true);
	d0 = dev("0000:02:00.0");
	d1 = dev("0000:02:00.1");
	/* groups 0..2 are the core's: 00:01.0, 00:02.0, 01:00.0 */
	ck_assert_uint_eq(iommu_group_count(W), 3);
	ck_assert_int_eq(sim_pci_bind(W, "0000:02:00.1", "vfio-pci"), 0);
	ck_assert_int_eq(sim_pci_bind(W, "0000:02:00.0", "vfio-pci"), 0);
	ck_assert_int_ge(sim_sys_open(W, PID, "/dev/vfio/noiommu-3", O_RDWR), 0);
	ck_assert_int_eq(sim_sys_open(W, PID, "/dev/vfio/3", O_RDWR), -ENOENT);
	gfd1 = (int)sim_sys_open(W, PID, "/dev/vfio/noiommu-3", O_RDWR);
	ck_assert_int_eq(gfd1, -EBUSY);            /* still a single opener */
	/* 02:00.0 got 4; unbinding 02:00.1 frees 3 for the next one */
	ck_assert_int_eq(sim_devnode_chmod(W, "/dev/vfio/noiommu-4", 0666), 0);
	alice = pid_of("alice");
	ck_assert_int_eq(sim_sys_open(W, alice, "/dev/vfio/noiommu-4", O_RDWR), -EPERM);

	cfd = open_path("/dev/vfio/vfio");
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU), 1);
	gfd = (int)sim_sys_open(W, PID, "/dev/vfio/noiommu-4", O_RDWR);
	ck_assert_int_ge(gfd, 0);
	/* SET_IOMMU before a group: EINVAL; then the noiommu group joins */
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), -EINVAL);
	ck_assert_int_eq(set_container(gfd, cfd), 0);
	real = open_group(DEV_A);
	ck_assert_int_eq(set_container(real, cfd), -EPERM);    /* no mixing */
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -ENODEV);
	/* vfio_noiommu_open: capable(CAP_SYS_RAWIO), after the type */
	root = sim_proc_find(W, PID);
	root->cred.caps &= ~SIM_CAP_BIT(SIM_CAP_SYS_RAWIO);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), -EPERM);
	root->cred.caps |= SIM_CAP_BIT(SIM_CAP_SYS_RAWIO);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), 0);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x1000, RW), -ENOTTY);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 0);
	dfd = device_fd(gfd, "0000:02:00.0");
	ck_assert_int_ge(dfd, 0);
	inv();
	/* untranslated: it reads host memory the IOMMU's tables live in;
	 * the translated device cannot */
	ck_assert_int_eq(sim_dev_dma(W, "0000:02:00.0", &op), 0);
	ck_assert_int_eq(sim_dev_dma(W, DEV_A, &op), -EFAULT);
	/* unbinding 02:00.1 frees id 3; a rebind takes the lowest free */
	ck_assert_int_eq(sim_pci_bind(W, "0000:02:00.1", "none"), 0);
	ck_assert_int_eq(sim_sys_open(W, PID, "/dev/vfio/noiommu-3", O_RDWR), -ENOENT);
	ck_assert_int_eq(sim_pci_bind(W, "0000:02:00.1", "vfio-pci"), 0);
	ck_assert_int_ge(sim_sys_open(W, PID, "/dev/vfio/noiommu-3", O_RDWR), 0);
	(void)d0;
	(void)d1;
	ck_assert_int_eq(sim_sys_close(W, PID, (int)dfd), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
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
	tcase_add_test(tc, test_set_container_not_container_by_kernel);
	tcase_add_test(tc, test_get_device_fd_name_match);
	tcase_add_loop_test(tc, test_close_any_order, 0, 6);
	tcase_add_test(tc, test_deprivilege);
	tcase_add_test(tc, test_deprivilege_keeps_open_container);
	tcase_add_test(tc, test_exit_with_mappings);
	tcase_add_test(tc, test_invariant_checker_detects);
	tcase_add_test(tc, test_bind_needs_override_or_new_id);
	tcase_add_test(tc, test_sim_pci_bind_writes_override);
	tcase_add_test(tc, test_group_gone_then_fresh);
	tcase_add_test(tc, test_unbind_waits_for_device_fd);
	tcase_add_test(tc, test_unbind_waits_without_request_channel);
	tcase_add_test(tc, test_noiommu_off_refuses);
	tcase_add_test(tc, test_noiommu_on);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(vfio_suite());
}
