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
	 * ("iommu && ..."); the NESTING type is claimed (6.1, 6.12) */
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU), 1);
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
	/* NESTING opens, then the attach cannot enable nesting on the
	 * domain (iommu_enable_nesting, as intel-iommu) -> EINVAL */
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU), -EINVAL);
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(vfio_suite());
}
