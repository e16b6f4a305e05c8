/* SPDX-License-Identifier: MIT */
/*
 * model/vfio/mdev.c and type1's pinning interface: mediated devices in
 * emulated-IOMMU groups, vfio_pin_pages / vfio_unpin_pages / vfio_dma_rw
 * (sim_mdev_pin / _unpin / _dma), their accounting with and without IOMMU
 * domains in the container, the unmap notification, the dirty bitmap's
 * pinned-page scope.  Each test cites the kernel function it pins.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <linux/vfio.h>

#include "unit_common.h"
#include "vfio_fixture.h"
#include "sim/devnode.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"

#define UUID "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
#define CREATE "/sys/class/mdev_bus/sim_mdev/mdev_supported_types/sim_mdev-dma/create"
#define IOVA 0x100000ull

/* One vfio-pci endpoint (group 1), a sim_mdev parent with two instances,
 * and vmm: root's uid but no capabilities, RLIMIT_MEMLOCK 2 pages. */
static const char *const MDEV_WORLD =
	"name: mdev\n"
	"profile:\n  vfio: {mdev_instances: 2}\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\","
	" driver: vfio-pci}\n"
	"processes:\n"
	"  - {name: vmm, uid: 0, caps: [], rlimit_memlock: 8K}\n";

static int cfd, mgfd, dfd;

/* vmm creates the mdev, puts its group in a type1 container of @type and
 * maps 16 KiB at IOVA (no IOMMU domain: nothing pinned), opens the device
 * when @open. */
static void mdev_setup(unsigned long type, bool open)
{
	char path[32];

	boot_from(MDEV_WORLD, "<mdev>");
	as(pid_of("vmm"));
	ck_assert_int_eq(sim_sysfs_write(W, CREATE, UUID "\n"), 0);
	ck_assert_int_eq(sim_mdev_iommu_group(W, UUID), 2);
	g_snprintf(path, sizeof(path), "/dev/vfio/%d", sim_mdev_iommu_group(W, UUID));
	cfd = open_path("/dev/vfio/vfio");
	mgfd = open_path(path);
	ck_assert_int_eq(set_container(mgfd, cfd), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, type), 0);
	ck_assert_int_eq(map(cfd, BUF, IOVA, 0x4000, RW), 0);
	ck_assert_uint_eq(locked(PID), 0);
	dfd = open ? (int)device_fd(mgfd, UUID) : -1;
	if (open)
		ck_assert_int_ge(dfd, 0);
	inv();
}

static void mdev_teardown(void)
{
	teardown();
}

/*
 * vfio_iommu_type1_pin_pages with no IOMMU domain (do_accounting): each
 * new page is charged to the mapping task against its RLIMIT_MEMLOCK
 * (vfio_pin_page_external -> vfio_lock_acct: ENOMEM, and the call's pages
 * are unpinned again); a page pinned before takes a reference and no
 * charge (vfio_iova_get_vfio_pfn); vfio_iommu_type1_unpin_pages uncharges
 * at the last reference.
 */
START_TEST(test_pin_accounting)
{
	mdev_setup(VFIO_TYPE1v2_IOMMU, true);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 2, SIM_MDEV_WRITE), 2);
	ck_assert_uint_eq(locked(PID), 2);
	inv();
	/* a third page is over the limit: the whole call unwinds */
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA + 0x1000, 2, 0), -ENOMEM);
	ck_assert_uint_eq(locked(PID), 2);
	inv();
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), 1);    /* a reference */
	ck_assert_uint_eq(locked(PID), 2);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, IOVA, 1), 0);
	ck_assert_uint_eq(locked(PID), 2);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, IOVA, 2), 0);
	ck_assert_uint_eq(locked(PID), 0);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, IOVA, 1), -EINVAL);  /* holds none */
	inv();
}
END_TEST

/* vfio_pin_pages / vfio_device_container_pin_pages / type1's checks, in
 * their order: the device open (EINVAL), npage 0 (EINVAL), more than
 * VFIO_PIN_PAGES_MAX_ENTRIES (E2BIG); no mapping (EINVAL); the mapping
 * lacks the access (EPERM); and the public call's own: no such device
 * (ENODEV), unknown flags, NULL world (EINVAL). */
START_TEST(test_pin_errors)
{
	mdev_setup(VFIO_TYPE1v2_IOMMU, false);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), -EINVAL);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA, &cfd, 4, 0), -EINVAL);
	dfd = (int)device_fd(mgfd, UUID);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 0, 0), -EINVAL);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 513, 0), -E2BIG);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA + 0x4000, 1, 0), -EINVAL);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA + 0x3000, 2, 0), -EINVAL);  /* 2nd page */
	ck_assert_uint_eq(locked(PID), 0);
	ck_assert_int_eq(map(cfd, BUF + 0x8000, 0x200000, 0x1000, RD), 0);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, 0x200000, 1, SIM_MDEV_WRITE), -EPERM);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0x80), -EINVAL);
	ck_assert_int_eq(sim_mdev_pin(W, "6ba7b810-9dad-11d1-80b4-00c04fd430c9", IOVA, 1, 0),
			 -ENODEV);
	ck_assert_int_eq(sim_mdev_pin(NULL, UUID, IOVA, 1, 0), -EINVAL);
	ck_assert_int_eq(sim_mdev_unpin(NULL, UUID, IOVA, 1), -EINVAL);
	ck_assert_int_eq(sim_mdev_dma(NULL, UUID, IOVA, &cfd, 4, 0), -EINVAL);
	ck_assert_int_eq(sim_mdev_iommu_group(NULL, UUID), -EINVAL);
	inv();
}
END_TEST

/* vfio_iommu_type1_pin_pages: "Supported for v2 version only" - EACCES. */
START_TEST(test_pin_v1_eacces)
{
	mdev_setup(VFIO_TYPE1_IOMMU, true);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), -EACCES);
	inv();
}
END_TEST

/*
 * vfio_iommu_type1_dma_rw_chunk: through the mapping's vaddr in its task's
 * mm, chunk by chunk; no mapping at an iova -> EINVAL; a write to a
 * mapping without WRITE or any access to one without READ -> EPERM; the
 * bytes land in the user's memory.  The task gone (mmget_not_zero) ->
 * EPERM for dma_rw, and vfio_pin_page_external's ENODEV for a pin.
 */
START_TEST(test_dma_rw)
{
	uint8_t in[8] = "mdev-rw", out[8] = { 0 };
	struct sim_proc *p;
	int child;

	mdev_setup(VFIO_TYPE1v2_IOMMU, true);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA + 0x1ffc, in, 8, SIM_MDEV_WRITE), 0);
	p = sim_proc_find(W, PID);
	ck_assert_int_eq(sim_copy_from_user(p, out, BUF + 0x1ffc, 8), 0);
	ck_assert_mem_eq(out, in, 8);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA + 0x1ffc, out, 8, 0), 0);
	ck_assert_mem_eq(out, in, 8);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA + 0x3ffc, in, 8, SIM_MDEV_WRITE), -EINVAL);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA, in, 0, SIM_MDEV_WRITE), -EINVAL);
	ck_assert_int_eq(map(cfd, BUF + 0x8000, 0x200000, 0x1000, RD), 0);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, 0x200000, in, 8, SIM_MDEV_WRITE), -EPERM);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, 0x200000, out, 8, 0), 0);
	/* the mapping task exits; a forked child keeps every fd open */
	child = sim_proc_fork(W, PID);
	ck_assert_int_gt(child, 0);
	ck_assert_int_eq(sim_proc_exit(W, PID), 0);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA, out, 8, 0), -EPERM);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), -ENODEV);
	ck_assert_int_eq(sim_proc_exit(W, child), 0);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), -EINVAL);   /* closed */
	inv();
}
END_TEST

/*
 * An IOMMU-backed group joins (vfio_iommu_replay): every mapping is pinned
 * and mapped, a page vfio_pin_pages holds not charged twice
 * (vfio_pin_pages_remote: !vfio_find_vpfn); pins made now are not charged
 * (do_accounting is off with a domain).  It leaves as the last domain with
 * the emulated group staying (vfio_iommu_unmap_unpin_reaccount): the
 * mappings stay, unpinned, charged for the pinned pages only.
 */
START_TEST(test_replay_and_reaccount)
{
	int gfd;

	mdev_setup(VFIO_TYPE1v2_IOMMU, true);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, SIM_MDEV_WRITE), 1);
	ck_assert_uint_eq(locked(PID), 1);
	sim_proc_find(W, PID)->rlimit_memlock = 1ull << 20;
	gfd = open_group(DEV_A);
	ck_assert_int_eq(set_container(gfd, cfd), 0);
	ck_assert_uint_eq(locked(PID), 4);
	inv();
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA + 0x1000, 1, 0), 1);
	ck_assert_uint_eq(locked(PID), 4);
	inv();
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	ck_assert_uint_eq(locked(PID), 2);
	inv();
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, IOVA, 2), 0);
	ck_assert_uint_eq(locked(PID), 0);
	inv();
}
END_TEST

/* vfio_dma_do_unmap: a mapping with pinned pages -> vfio_notify_dma_unmap,
 * the device unpins (sim_mdev's dma_unmap), the walk starts again and the
 * mapping goes; GET_DIRTY_BITMAP on the way reports the pinned page only
 * (update_user_bitmap with num_non_pinned_groups 0). */
START_TEST(test_unmap_notifies)
{
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} x;
	uint64_t bm, word = ~0ull;
	struct vfio_iommu_type1_dirty_bitmap start = {
		.argsz = sizeof(start), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};

	mdev_setup(VFIO_TYPE1v2_IOMMU, true);
	bm = ualloc(PID, 0x1000);
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_DIRTY_PAGES, &start, sizeof(start)), 0);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA + 0x2000, 1, SIM_MDEV_WRITE), 1);
	ck_assert_uint_eq(locked(PID), 1);
	memset(&x, 0, sizeof(x));
	x.u.argsz = sizeof(x);
	x.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	x.u.iova = IOVA;
	x.u.size = 0x4000;
	x.b.pgsize = 0x1000;
	x.b.size = 8;
	x.b.data = (void *)bm;
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), bm, &word, 8), 0);
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_UNMAP_DMA, &x, sizeof(x)), 0);
	ck_assert_uint_eq(x.u.size, 0x4000);
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), &word, bm, 8), 0);
	ck_assert_uint_eq(word, 0x4);
	ck_assert_uint_eq(locked(PID), 0);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, IOVA + 0x2000, 1), -EINVAL);
	inv();
}
END_TEST

/* The device file: GET_INFO (argsz below minsz -> EINVAL), nothing else
 * (ENOTTY); its group's node is /dev/vfio/N and GET_STATUS says viable
 * (nobody claims an emulated group's DMA ownership). */
START_TEST(test_device_file)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_group_status st = { .argsz = sizeof(st) };

	mdev_setup(VFIO_TYPE1v2_IOMMU, true);
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_INFO, &info, sizeof(info)), 0);
	ck_assert_uint_eq(info.num_regions, 0);
	ck_assert_uint_eq(info.num_irqs, 0);
	info.argsz = 8;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_INFO, &info, sizeof(info)), -EINVAL);
	ck_assert_int_eq(ioc(dfd, VFIO_DEVICE_RESET, 0), -ENOTTY);
	ck_assert_int_eq(io(mgfd, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	inv();
}
END_TEST

static Suite *mdev_suite(void)
{
	Suite *s = suite_create("mdev");
	TCase *tc = tcase_create("type1");

	tcase_add_checked_fixture(tc, NULL, mdev_teardown);
	tcase_add_test(tc, test_pin_accounting);
	tcase_add_test(tc, test_pin_errors);
	tcase_add_test(tc, test_pin_v1_eacces);
	tcase_add_test(tc, test_dma_rw);
	tcase_add_test(tc, test_replay_and_reaccount);
	tcase_add_test(tc, test_unmap_notifies);
	tcase_add_test(tc, test_device_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(mdev_suite());
}
