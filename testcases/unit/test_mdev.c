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
#include "sim/fault.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/sysfs.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"
#include "iommusim/uapi/iommufd.h"
#include "iommusim/uapi/vfio_cdev.h"

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

/* ---- on iommufd ------------------------------------------------------------------------ */

/* The mdev's cdev: the endpoint bound at boot is vfio0, the mdev vfio1. */
#define MDEV_CDEV "/dev/vfio/devices/vfio1"

static int ictx, mcdev;

static long bind_fd(int cdev, int fd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = fd };
	long ret = io(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b, sizeof(b));

	if (devid)
		*devid = ret ? 0 : b.out_devid;
	return ret;
}

static long attach_pt(int cdev, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = *pt_id };
	long ret = io(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a, sizeof(a));

	*pt_id = a.pt_id;
	return ret;
}

static long detach_pt(int cdev)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	return io(cdev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d, sizeof(d));
}

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	ck_assert_int_eq(io(ictx, IOMMU_IOAS_ALLOC, &a, sizeof(a)), 0);
	return a.out_ioas_id;
}

static long ioas_map(uint32_t ioas, uint64_t uva, uint64_t iova, uint64_t len, bool write)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = uva, .length = len, .iova = iova,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 (write ? IOMMU_IOAS_MAP_WRITEABLE : 0),
	};

	return io(ictx, IOMMU_IOAS_MAP, &m, sizeof(m));
}

static long ioas_unmap(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	return io(ictx, IOMMU_IOAS_UNMAP, &u, sizeof(u));
}

static long destroy(uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return io(ictx, IOMMU_DESTROY, &d, sizeof(d));
}

/* vmm creates the mdev and opens /dev/iommu and the mdev's cdev; with
 * @bind, BIND_IOMMUFD (the access: *devid); with @ioas, an IOAS with
 * 16 KiB of BUF at IOVA, attached. */
static void fd_setup(bool bind, uint32_t *devid, uint32_t *ioas)
{
	boot_from(MDEV_WORLD, "<mdev>");
	as(pid_of("vmm"));
	ck_assert_int_eq(sim_sysfs_write(W, CREATE, UUID "\n"), 0);
	ictx = open_path("/dev/iommu");
	mcdev = open_path(MDEV_CDEV);
	if (bind)
		ck_assert_int_eq(bind_fd(mcdev, ictx, devid), 0);
	if (ioas) {
		*ioas = ioas_alloc();
		ck_assert_int_eq(ioas_map(*ioas, BUF, IOVA, 0x4000, true), 0);
		ck_assert_int_eq(attach_pt(mcdev, &(uint32_t){ *ioas }), 0);
	}
	inv();
}

/*
 * vfio_iommufd_emulated_bind: iommufd_access_create's id is out_devid; the
 * driver holds the access (IOMMU_DESTROY EBUSY); the class device and node
 * share vfio_device_ida with vfio-pci's (vfio1 after the endpoint's vfio0);
 * vfio_iommufd_emulated_unbind (the cdev's close) destroys it.
 */
START_TEST(test_fd_bind_devid)
{
	char buf[32];
	uint32_t devid;

	fd_setup(false, NULL, NULL);
	ck_assert_int_eq(sim_sysfs_read(W, "/sys/bus/mdev/devices/" UUID "/vfio-dev/vfio1/dev",
					buf, sizeof(buf)), (int)strlen("237:1\n"));
	ck_assert_str_eq(buf, "237:1\n");
	ck_assert_int_eq(bind_fd(mcdev, ictx, &devid), 0);
	ck_assert_uint_eq(devid, 1);       /* the context's first object */
	ck_assert_int_eq(destroy(devid), -EBUSY);
	ck_assert_int_eq(bind_fd(mcdev, ictx, NULL), -EINVAL);   /* bound already */
	inv();
	ck_assert_int_eq(sim_sys_close(W, PID, mcdev), 0);
	ck_assert_int_eq(destroy(devid), -ENOENT);
	inv();
}
END_TEST

/*
 * vfio_pin_pages on iommufd, in its order: !npage EINVAL (vfio_pin_pages'
 * own), then iommufd_access_pin_pages: not attached ENOENT, a hole ENOENT,
 * a write pin of a read-only area EPERM, over RLIMIT_MEMLOCK ENOMEM (the
 * whole call undone); no VFIO_PIN_PAGES_MAX_ENTRIES (E2BIG is the
 * container's): 513 pages reach iommufd.  A negative count is sim_mdev's
 * own EINVAL.  vfio_dma_rw: len 0 EINVAL, not attached or a hole ENOENT,
 * a write to a read-only area EPERM.
 */
START_TEST(test_fd_pin_errors)
{
	uint8_t in[4] = "abc";
	uint32_t ioas;

	fd_setup(true, &(uint32_t){ 0 }, NULL);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), -ENOENT);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA, in, 4, 0), -ENOENT);
	ioas = ioas_alloc();
	ck_assert_int_eq(ioas_map(ioas, BUF, IOVA, 0x4000, true), 0);
	ck_assert_int_eq(ioas_map(ioas, BUF + 0x8000, 0x200000, 0x1000, false), 0);
	ck_assert_int_eq(attach_pt(mcdev, &ioas), 0);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 0, 0), -EINVAL);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, -1, 0), -EINVAL);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, 0x200000, 513, 0), -ENOENT);  /* not E2BIG */
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA + 0x4000, 1, 0), -ENOENT);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, 0x200000, 1, SIM_MDEV_WRITE), -EPERM);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 3, 0), -ENOMEM);       /* 8K limit */
	inv();
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 2, 0), 2);
	inv();
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA, in, 0, 0), -EINVAL);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, 0x300000, in, 4, 0), -ENOENT);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, 0x200000, in, 4, SIM_MDEV_WRITE), -EPERM);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, 0x200000, in, 4, 0), 0);
	inv();
}
END_TEST

/*
 * vfio_unpin_pages on iommufd: iommufd_access_unpin_pages of exactly a
 * range pinned as one (iopt_area_remove_access's exact match); part of a
 * call, two calls at once, or npage 0 are refused (EINVAL, nothing done);
 * no 512-page limit (a 513-page pin and its unpin); the same range pinned
 * twice is two pins, given back one at a time.
 */
START_TEST(test_fd_unpin_exact)
{
	uint32_t ioas;
	uint64_t big;

	boot_from(MDEV_WORLD, "<mdev>");
	as(pid_of("vmm"));
	sim_proc_find(W, PID)->rlimit_memlock = 1ull << 30;
	ck_assert_int_eq(sim_sysfs_write(W, CREATE, UUID), 0);
	ictx = open_path("/dev/iommu");
	mcdev = open_path(MDEV_CDEV);
	ck_assert_int_eq(bind_fd(mcdev, ictx, NULL), 0);
	ioas = ioas_alloc();
	big = ualloc(PID, 0x202000);
	ck_assert_int_eq(ioas_map(ioas, big, 0x400000, 0x202000, true), 0);
	ck_assert_int_eq(attach_pt(mcdev, &ioas), 0);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, 0x400000, 4, SIM_MDEV_WRITE), 4);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, 0x404000, 1, 0), 1);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, 0x400000, 2), -EINVAL);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, 0x400000, 5), -EINVAL);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, 0x400000, 0), -EINVAL);
	inv();
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, 0x400000, 4), 0);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, 0x400000, 4), -EINVAL);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, 0x404000, 1, 0), 1);    /* a second pin */
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, 0x404000, 1), 0);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, 0x404000, 1), 0);
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, 0x404000, 1), -EINVAL);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, 0x400000, 513, 0), 513);
	inv();
	ck_assert_int_eq(sim_mdev_unpin(W, UUID, 0x400000, 513), 0);
	inv();
	/* nothing pinned: the IOAS unmaps without telling anyone */
	ck_assert_int_eq(ioas_unmap(ioas, 0x400000, 0x202000), 0);
	inv();
}
END_TEST

/*
 * vfio_iommufd_emulated_attach_ioas / _detach_ioas: attach to a missing
 * id ENOENT; to an IOAS with an area off PAGE_SIZE EADDRINUSE (an access
 * that pins needs PAGE_SIZE alignment: iopt_add_access); attached, a replace
 * onto another IOAS, after which the driver holds nothing of the old one
 * (the access's detach tells it: unmap over everything); a replace onto
 * the same IOAS changes nothing; DETACH, also when not attached, is 0.
 */
START_TEST(test_fd_attach_replace)
{
	uint32_t a, b, odd, id;

	fd_setup(true, &(uint32_t){ 0 }, &a);
	id = 99;
	ck_assert_int_eq(attach_pt(mcdev, &id), -ENOENT);
	odd = ioas_alloc();
	ck_assert_int_eq(ioas_map(odd, BUF + 0x10, 0x1010, 0x100, true), 0);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), 1);
	ck_assert_int_eq(attach_pt(mcdev, &(uint32_t){ a }), 0);   /* the same: kept */
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA, &id, 4, SIM_MDEV_PINNED), 0);
	b = ioas_alloc();
	ck_assert_int_eq(ioas_map(b, BUF + 0x8000, IOVA, 0x1000, true), 0);
	id = b;
	ck_assert_int_eq(attach_pt(mcdev, &id), 0);
	ck_assert_uint_eq(id, b);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA, &id, 4, SIM_MDEV_PINNED), -EINVAL);
	ck_assert_int_eq(destroy(a), 0);     /* the access left it */
	inv();
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), 1);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA + 0x1000, 1, 0), -ENOENT);
	ck_assert_int_eq(detach_pt(mcdev), 0);
	ck_assert_int_eq(detach_pt(mcdev), 0);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), -ENOENT);
	inv();
	/* detached: the IOAS with an area off PAGE_SIZE refuses the access */
	id = odd;
	ck_assert_int_eq(attach_pt(mcdev, &id), -EADDRINUSE);
	inv();
}
END_TEST

/*
 * The binding holds its context: closing /dev/iommu leaves the access,
 * its IOAS and the driver's pins (iommufd_access_create's iommufd_ctx_get,
 * the cdev's own reference); closing the cdev then unpins (close_device),
 * unbinds and lets the context go.
 */
START_TEST(test_fd_ctx_outlives_fd)
{
	uint32_t ioas;

	fd_setup(true, &(uint32_t){ 0 }, &ioas);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 2, SIM_MDEV_WRITE), 2);
	ck_assert_int_eq(sim_sys_close(W, PID, ictx), 0);
	inv();
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA + 0x1000, "hi!", 4,
				      SIM_MDEV_WRITE | SIM_MDEV_PINNED), 0);
	ck_assert_int_eq(sim_mdev_dma(W, UUID, IOVA + 0x2000, "rw!", 4, SIM_MDEV_WRITE), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, mcdev), 0);
	inv();
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, 0), -EINVAL);   /* not open */
}
END_TEST

/*
 * The group path's failures (vfio_df_group_open): no compat IOAS makes
 * vfio_iommufd_compat_attach_ioas ENODEV and the open is undone (the
 * access destroyed: its id is free); iommufd_access_create failing is its
 * ENOMEM with nothing left; a removal waits for the device fd and the
 * group on iommufd keeps its context.
 */
START_TEST(test_fd_group_path_errors)
{
	struct iommu_vfio_ioas clear = { .size = sizeof(clear), .op = IOMMU_VFIO_IOAS_CLEAR };
	struct iommu_vfio_ioas set = { .size = sizeof(set), .op = IOMMU_VFIO_IOAS_SET,
				       .ioas_id = 1 };
	char path[32];
	int gfd;

	boot_from(MDEV_WORLD, "<mdev>");
	as(pid_of("vmm"));
	ck_assert_int_eq(sim_sysfs_write(W, CREATE, UUID), 0);
	ictx = open_path("/dev/iommu");
	g_snprintf(path, sizeof(path), "/dev/vfio/%d", sim_mdev_iommu_group(W, UUID));
	gfd = open_path(path);
	ck_assert_int_eq(device_fd(gfd, UUID), -EINVAL);     /* no container nor iommufd */
	ck_assert_int_eq(set_container(gfd, ictx), 0);
	ck_assert_int_eq(io(ictx, IOMMU_VFIO_IOAS, &clear, sizeof(clear)), 0);
	ck_assert_int_eq(device_fd(gfd, UUID), -ENODEV);
	ck_assert_int_eq(destroy(2), -ENOENT);
	inv();
	ck_assert_int_eq(io(ictx, IOMMU_VFIO_IOAS, &set, sizeof(set)), 0);
	sim_fault_fail_nth(W, "iommufd_access_alloc", 1);
	ck_assert_int_eq(device_fd(gfd, UUID), -ENOMEM);
	sim_fault_fail_nth(W, "*", 0);
	inv();
	dfd = (int)device_fd(gfd, UUID);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(destroy(2), -EBUSY);
	ck_assert_int_eq(ioas_map(1, BUF, IOVA, 0x2000, true), 0);
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA, 1, SIM_MDEV_WRITE), 1);
	ck_assert_int_eq(sim_sysfs_write(W, "/sys/bus/mdev/devices/" UUID "/remove", "1"), 0);
	ck_assert_int_eq(sim_sysfs_read(W, "/sys/bus/mdev/devices/" UUID "/vfio-dev/vfio1/dev",
					path, sizeof(path)), -ENOENT);
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, ictx), 0);
	inv();
	/* the driver still pins through the access: the device file holds it */
	ck_assert_int_eq(sim_mdev_pin(W, UUID, IOVA + 0x1000, 1, 0), 1);
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	ck_assert_int_eq(sim_mdev_iommu_group(W, UUID), -ENODEV);
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
	tc = tcase_create("iommufd");
	tcase_add_checked_fixture(tc, NULL, mdev_teardown);
	tcase_add_test(tc, test_fd_bind_devid);
	tcase_add_test(tc, test_fd_pin_errors);
	tcase_add_test(tc, test_fd_unpin_exact);
	tcase_add_test(tc, test_fd_attach_replace);
	tcase_add_test(tc, test_fd_ctx_outlives_fd);
	tcase_add_test(tc, test_fd_group_path_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(mdev_suite());
}
