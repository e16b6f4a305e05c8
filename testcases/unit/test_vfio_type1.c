/* SPDX-License-Identifier: MIT */
/*
 * model/vfio type1 (spec §C), through the legacy container: MAP/UNMAP_DMA
 * checks, locked-memory accounting, dma_entry_limit, UPDATE_VADDR, GET_INFO,
 * device DMA isolation, replay into new domains, and fault injection proving
 * that errors change nothing (§H19). Helpers: vfio_fixture.h.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <linux/vfio.h>

#include "unit_common.h"
#include "iommusim/iommusim.h"
#include "vfio_fixture.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/pgtable.h"
#include "model/vfio/vfio.h"

/* ---- the backend list: CHECK_EXTENSION and SET_IOMMU ---------------------------- */

/*
 * vfio_container_ioctl_check_extension: without a backend every registered
 * one is asked (the first positive answer wins); with one, it answers for
 * its state; when the last group leaves, the container is deprivileged and
 * answers as an empty one again.  vfio_ioctl_set_iommu: a number no backend
 * claims -> ENODEV; one type1 claims but cannot open (UNMAP_ALL) -> its
 * open's EINVAL; a second SET_IOMMU -> EINVAL.
 */
START_TEST(test_backend_list)
{
	int cfd = open_path("/dev/vfio/vfio"), gfd = open_group(DEV_A);

	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, 0x1234), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EINVAL);  /* no group */
	ck_assert_int_eq(set_container(gfd, cfd), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, 0x1234), -ENODEV);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_UNMAP_ALL), -EINVAL);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_UPDATE_VADDR), -ENODEV);
	/* the NESTING type: gone in v6.13 (35890f85573c, "vfio: Remove
	 * VFIO_TYPE1_NESTING_IOMMU"), so mainline does not claim it; 6.12
	 * claims it and fails the attach (no nesting on intel-iommu) */
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU), -ENODEV);
	sim_world_set_kernel(W, SIM_KERNEL_6_12);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU), -EINVAL);
	sim_world_set_kernel(W, SIM_KERNEL_MAINLINE);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 1);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, 0x1234), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), -EINVAL);
	ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 0);
	ck_assert_int_eq(ioc(cfd, VFIO_IOMMU_GET_INFO, ARG), -EINVAL);  /* no backend */
	inv();
}
END_TEST

/* A world of one vfio-pci endpoint on IOMMU @format, kernel @kernel. */
static void boot_one(const char *format, const char *kernel, bool snoop)
{
	char *y = g_strdup_printf(
		"name: one\nprofile:\n  kernel: \"%s\"\n"
		"  iommu: {format: %s, snoop_control: %s}\n"
		"topology:\n"
		"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\","
		" driver: vfio-pci}\n", kernel, format, snoop ? "true" : "false");

	teardown();
	boot_from(y, "<one>");
	g_free(y);
	as(1);
}

/*
 * VFIO_DMA_CC_IOMMU is vfio_domains_have_enforce_cache_coherency: every
 * domain of the container was found coherent by the driver's
 * enforce_cache_coherency at its first attach.  VT-d: snoop control
 * (intel_iommu_enforce_cache_coherency); SMMUv3: CANWBS, and only since
 * arm_smmu_enforce_cache_coherency exists (v6.13); RISC-V: no such op.
 */
START_TEST(test_dma_cc_iommu)
{
	static const struct { const char *fmt, *kernel; bool snoop; long want; } t[] = {
		{ "vtd", "mainline", false, 0 }, { "vtd", "mainline", true, 1 },
		{ "vtd", "6.1", true, 1 },       { "arm-smmuv3", "mainline", true, 1 },
		{ "arm-smmuv3", "mainline", false, 0 }, { "arm-smmuv3", "6.12", true, 0 },
		{ "riscv", "mainline", true, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		int cfd, gfd;

		boot_one(t[i].fmt, t[i].kernel, t[i].snoop);
		usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
		ck_assert_msg(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU) == t[i].want,
			      "%s %s snoop=%d", t[i].fmt, t[i].kernel, t[i].snoop);
		ck_assert_int_eq(ioc(gfd, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
		ck_assert_int_eq(ioc(cfd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), 0);
	}
}
END_TEST

/*
 * The reserved regions are each driver's (iommu_get_resv_regions): VT-d's
 * IOAPIC/MSI range, SMMUv3's software MSI window at MSI_IOVA_BASE
 * (arm_smmu_get_resv_regions), none from the RISC-V driver.  GET_INFO's
 * IOVA ranges (vfio_iommu_iova_build_caps) and MAP_DMA's range check
 * (vfio_iommu_iova_dma_valid -> EINVAL) follow.
 */
START_TEST(test_resv_regions_per_kind)
{
	static const struct {
		const char *fmt;
		uint32_t nr;
		uint64_t hole, hole_end;   /* 0, 0: none */
	} t[] = {
		{ "vtd", 2, 0xfee00000, 0xfeefffff },
		{ "arm-smmuv3", 2, 0x08000000, 0x080fffff },
		{ "riscv", 1, 0, 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct {
			struct vfio_iommu_type1_info info;
			uint8_t caps[256];
		} gi;
		struct vfio_iommu_type1_info_cap_iova_range r;
		struct vfio_iova_range iov[2];
		uint32_t off;
		int cfd, gfd;

		boot_one(t[i].fmt, "mainline", false);
		usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
		memset(&gi, 0, sizeof(gi));
		gi.info.argsz = sizeof(gi);
		ck_assert_int_eq(io(cfd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi)), 0);
		/* find the IOVA range capability in the chain */
		for (off = gi.info.cap_offset; off;) {
			struct vfio_info_cap_header h;

			memcpy(&h, (uint8_t *)&gi + off, sizeof(h));
			if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
				break;
			off = h.next;
		}
		ck_assert_uint_ne(off, 0);
		memcpy(&r, (uint8_t *)&gi + off, sizeof(r));
		ck_assert_msg(r.nr_iovas == t[i].nr, "%s: %u ranges", t[i].fmt, r.nr_iovas);
		memcpy(iov, (uint8_t *)&gi + off + sizeof(r), r.nr_iovas * sizeof(iov[0]));
		ck_assert_uint_eq(iov[0].start, 0);
		if (t[i].hole) {
			ck_assert_uint_eq(iov[0].end, t[i].hole - 1);
			ck_assert_uint_eq(iov[1].start, t[i].hole_end + 1);
			ck_assert_int_eq(map(cfd, BUF, t[i].hole, 0x1000, RW), -EINVAL);
			ck_assert_int_eq(map(cfd, BUF, t[i].hole_end + 1, 0x1000, RW), 0);
		} else {
			ck_assert_int_eq(map(cfd, BUF, 0x08000000, 0x1000, RW), 0);
			ck_assert_int_eq(map(cfd, BUF + 0x1000, 0xfee00000, 0x1000, RW), 0);
		}
		inv();
	}
}
END_TEST

/* ---- GET_INFO's chain in 6.1 and DIRTY_PAGES ------------------------------------ */

/* vfio_info_cap_add: 6.1 and 6.2 append each capability at its exact
 * size; since a881b496941f ("vfio: align capability structures", v6.6)
 * every one is rounded up to 8 bytes, so DMA_AVAIL (12 bytes) moves
 * IOVA_RANGE by 4.  A loop test: _i picks the release. */
static const enum sim_kernel unaligned_caps[] = { SIM_KERNEL_6_1, SIM_KERNEL_6_2 };

START_TEST(test_get_info_caps_6_1)
{
	struct {
		struct vfio_iommu_type1_info info;
		uint8_t caps[256];
	} gi;
	struct vfio_info_cap_header h;
	uint32_t nr;
	int cfd, gfd;

	sim_world_set_kernel(W, unaligned_caps[_i]);
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	memset(&gi, 0, sizeof(gi));
	gi.info.argsz = 16;
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi)), 0);
	ck_assert_uint_eq(gi.info.argsz, 24 + 32 + 12 + 16 + 2 * 16);
	gi.info.argsz = sizeof(gi);
	ck_assert_int_eq(io(cfd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi)), 0);
	memcpy(&h, gi.caps + 32, sizeof(h));
	ck_assert_uint_eq(h.id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ck_assert_uint_eq(h.next, 24 + 32 + 12);
	memcpy(&h, gi.caps + 44, sizeof(h));
	ck_assert_uint_eq(h.id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ck_assert_uint_eq(h.next, 0);
	memcpy(&nr, gi.caps + 44 + 8, sizeof(nr));
	ck_assert_uint_eq(nr, 2);
	inv();
}
END_TEST

static long dirty(int cfd, uint32_t argsz, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = argsz, .flags = flags };

	return io(cfd, VFIO_IOMMU_DIRTY_PAGES, &d, sizeof(d));
}

static long dirty_get(int cfd, uint64_t iova, uint64_t size, uint64_t pgsize, uint64_t bm,
		      uint64_t bmsize)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} x = {
		.d = { .argsz = sizeof(x), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP },
		.g = { .iova = iova, .size = size,
		       .bitmap = { .pgsize = pgsize, .size = bmsize, .data = (void *)bm } },
	};

	return io(cfd, VFIO_IOMMU_DIRTY_PAGES, &x, sizeof(x));
}

/* vfio_iommu_type1_dirty_pages: argument checks in the kernel's order,
 * START/STOP, GET_BITMAP reporting every page of a mapping dirty (the
 * group cannot report dirtiness), and UNMAP_DMA's GET_DIRTY_BITMAP. */
START_TEST(test_dirty_pages)
{
	uint32_t start = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	uint32_t stop = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
	uint64_t bm = BUF + 0x80000, word;
	struct sim_proc *p;
	int cfd, gfd, c1, g1;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	p = sim_proc_find(W, PID);
	ck_assert_int_eq(ioc(cfd, VFIO_IOMMU_DIRTY_PAGES, 0), -EFAULT);
	ck_assert_int_eq(dirty(cfd, 7, start), -EINVAL);
	ck_assert_int_eq(dirty(cfd, 8, 0), -EINVAL);
	ck_assert_int_eq(dirty(cfd, 8, 1u << 3), -EINVAL);
	ck_assert_int_eq(dirty(cfd, 8, start | stop), -EINVAL);
	ck_assert_int_eq(dirty(cfd, 8, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP), -EINVAL);
	ck_assert_int_eq(dirty_get(cfd, 0, 0x4000, 0x1000, bm, 8), -EINVAL);  /* not started */
	ck_assert_int_eq(dirty(cfd, 8, stop), 0);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, RW), 0);
	ck_assert_int_eq(dirty(cfd, 8, start), 0);
	ck_assert_int_eq(dirty(cfd, 8, start), 0);
	ck_assert_int_eq(dirty_get(cfd, 0x10000, 0x4000, 0x2000, bm, 8), -EINVAL);  /* pgsize */
	ck_assert_int_eq(dirty_get(cfd, 0x10800, 0x4000, 0x1000, bm, 8), -EINVAL);
	ck_assert_int_eq(dirty_get(cfd, 0x10000, 0, 0x1000, bm, 8), -EINVAL);
	ck_assert_int_eq(dirty_get(cfd, ~0xfffull, 0x2000, 0x1000, bm, 8), -EINVAL);
	ck_assert_int_eq(dirty_get(cfd, 0x10000, 0x4000, 0x1000, bm, 0), -EINVAL);
	ck_assert_int_eq(dirty_get(cfd, 0, 1ull << 30, 0x1000, bm, 8), -EINVAL);   /* small */
	ck_assert_int_eq(dirty_get(cfd, 0x11000, 0x2000, 0x1000, bm, 8), -EINVAL); /* cuts */
	/* every page dirty, at its bit from the range's start */
	ck_assert_int_eq(dirty_get(cfd, 0xf000, 0x8000, 0x1000, bm, 8), 0);
	ck_assert_int_eq(sim_copy_from_user(p, &word, bm, 8), 0);
	ck_assert_uint_eq(word, 0x1e);
	/* UNMAP with the bitmap: tracking on, the IOMMU's page size */
	{
		struct {
			struct vfio_iommu_type1_dma_unmap u;
			struct vfio_bitmap b;
		} x = {
			.u = { .argsz = sizeof(x), .flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
			       .iova = 0x10000, .size = 0x4000 },
			.b = { .pgsize = 0x2000, .size = 8, .data = (void *)bm },
		};

		ck_assert_int_eq(io(cfd, VFIO_IOMMU_UNMAP_DMA, &x, sizeof(x)), -EINVAL);
		x.b.pgsize = 0x1000;
		word = 0;
		ck_assert_int_eq(sim_copy_to_user(p, bm, &word, 8), 0);
		ck_assert_int_eq(io(cfd, VFIO_IOMMU_UNMAP_DMA, &x, sizeof(x)), 0);
		ck_assert_uint_eq(x.u.size, 0x4000);
		ck_assert_int_eq(sim_copy_from_user(p, &word, bm, 8), 0);
		ck_assert_uint_eq(word, 0xf);
	}
	ck_assert_int_eq(dirty(cfd, 8, stop), 0);
	ck_assert_int_eq(dirty_get(cfd, 0x10000, 0x4000, 0x1000, bm, 8), -EINVAL);
	/* a v1 container has no dirty tracking: EACCES before anything */
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	usage(DEV_A, VFIO_TYPE1_IOMMU, &c1, &g1);
	ck_assert_int_eq(ioc(c1, VFIO_IOMMU_DIRTY_PAGES, 0), -EACCES);
	inv();
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

	vfio_params(W)->dma_entry_limit = 1;
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

/*
 * vfio_pin_map_dma's error path (spec §C, §H10): a MAP_DMA that fails part
 * way - EFAULT where the range runs off the end of the buffer (loops 0, 1),
 * ENOMEM at RLIMIT_MEMLOCK (2, 3) - unpins and uncharges what it had pinned
 * and removes the vfio_dma.  With the injected bug leak-pin-on-error (odd
 * loops) the pages stay pinned and charged while no mapping is left, and
 * the accounting invariant names the mm at once.
 */
START_TEST(test_map_error_unpins)
{
	bool bug = _i & 1, rlimit = _i & 2;
	uint64_t leaked = bug ? (rlimit ? 16 : 128) : 0;
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = RW, .iova = 0x100000,
		.size = rlimit ? 0x20000 : 0x100000,
	};
	GString *s = g_string_new(NULL);
	char *want;
	int cfd, gfd;

	if (bug) {
		teardown();
		boot_from("name: leak\n"
			  "profile:\n"
			  "  iommu: {bugs: [leak-pin-on-error]}\n"
			  "topology:\n"
			  "  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
			  "  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\",\n"
			  "     driver: vfio-pci}\n"
			  "processes:\n"
			  "  - {name: alice, uid: 0, caps: [], rlimit_memlock: 64K}\n", "<leak>");
		as(1);
	}
	ck_assert_uint_eq(iommu_bugs(W), bug ? IOMMU_BUG_LEAK_PIN_ON_ERROR : 0);
	if (rlimit)
		as(pid_of("alice"));   /* 16 pages of RLIMIT_MEMLOCK */
	/* twice the limit, or half the range past the buffer's end */
	m.vaddr = rlimit ? BUF : BUF + 0x80000;
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), ARG, &m, sizeof(m)), 0);
	ck_assert_int_eq(sim_sys_ioctl_ul(W, PID, cfd, VFIO_IOMMU_MAP_DMA, ARG),
			 rlimit ? -ENOMEM : -EFAULT);
	ck_assert_int_eq(vfio_check_invariants(W, s), bug);
	want = bug ? g_strdup_printf("§H10: an mm has locked_vm/pinned %llu/%llu/0/0 pages, "
				     "type1 mappings charge/pin the last two\n",
				     (unsigned long long)leaked, (unsigned long long)leaked)
		   : g_strdup("");
	ck_assert_str_eq(s->str, want);
	ck_assert_uint_eq(locked(PID), leaked);
	ck_assert_uint_eq(sim_proc_find(W, PID)->mm->pinned, leaked);
	g_free(want);
	g_string_free(s, TRUE);
}
END_TEST

/*
 * What must be gone once every descriptor is closed (§H18, the runner's
 * end-of-run check): vfio_leftovers names the container while a group
 * holds it (the container's own file closed), then nothing.
 */
START_TEST(test_leftovers)
{
	GString *s = g_string_new(NULL);
	int cfd, gfd;

	vfio_leftovers(W, s);
	ck_assert_str_eq(s->str, "");
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(sim_sys_close(W, PID, cfd), 0);
	vfio_leftovers(W, s);
	ck_assert_str_eq(s->str, "VFIO container 0 is left (kref 1)\n"
			 "VFIO group 3 is left opened=1 container=0 users=1 device_fds=0\n");
	g_string_truncate(s, 0);
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	vfio_leftovers(W, s);
	ck_assert_str_eq(s->str, "");
	g_string_free(s, TRUE);
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

/* spec §C: vfio_dma_do_unmap has no mm check (the oracle's
 * vfio.dma.v2.unmap.fork.* on 6.1 and 6.12): a forked child unmaps the
 * parent's mappings, and the pages go back uncharged to the parent's mm */
START_TEST(test_unmap_other_mm)
{
	int cfd, gfd, child;
	uint64_t sz = 1;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0x10000, 0x4000, RW), 0);
	ck_assert_int_eq(map(cfd, BUF + 0x4000, 0x20000, 0x1000, RW), 0);
	ck_assert_uint_eq(locked(PID), 5);
	child = sim_proc_fork(W, PID);
	ck_assert_int_gt(child, 0);
	PID = child;          /* same fds, another mm; ARG exists in the copy */
	ck_assert_int_eq(unmap(cfd, 0x10000, 0x4000, 0, &sz), 0);
	ck_assert_uint_eq(sz, 0x4000);
	ck_assert_uint_eq(locked(1), 1);
	ck_assert_uint_eq(locked(child), 0);
	ck_assert_int_eq(unmap(cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &sz), 0);
	ck_assert_uint_eq(sz, 0x1000);
	ck_assert_int_eq(sim_proc_exit(W, child), 0);
	PID = 1;
	inv();
	ck_assert_uint_eq(locked(PID), 0);
	ck_assert_int_eq(unmap(cfd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &sz), 0);
	ck_assert_uint_eq(sz, 0);
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
	struct sim_dma op = { .addr = addr, .buf = buf, .len = len, .write = write };
	int ret;

	ck_assert_int_eq(pci_sbdf_parse(bdf, &sbdf), 0);
	ret = pci_dev_dma(W, pci_dev_find(W, sbdf), &op);
	if (why)
		*why = op.fault_reason;
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

	vfio_params(W)->share_domains = false;
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
		vfio_params(W)->share_domains = share;
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

/* ---- range pinning and huge pages ------------------------------------------ */

/* The leaves of @d's table over [iova, iova + size): how many of each size;
 * with @hpa, each must translate to @hpa + its offset (iommu_iova_to_phys
 * agrees): the buffer's frames are one contiguous run. */
static void leaves(struct iommu_domain *d, uint64_t iova, uint64_t size, uint64_t hpa,
		   uint64_t *n4k, uint64_t *n2m, uint64_t *n1g)
{
	*n4k = *n2m = *n1g = 0;
	for (uint64_t at = iova; at < iova + size; ) {
		struct io_pgtable_walk wk;
		uint64_t phys;
		unsigned prot;

		ck_assert_int_eq(io_pgtable_lookup(&d->pt, at, &wk), 0);
		ck_assert_int_eq(iommu_iova_to_phys(d, at + 0x123, &phys, &prot), 0);
		if (hpa)
			ck_assert_uint_eq(phys, hpa + (at - iova) + 0x123);
		if (wk.leaf_size == SZ_1G)
			(*n1g)++;
		else if (wk.leaf_size == SZ_2M)
			(*n2m)++;
		else
			(*n4k)++;
		at = (at & ~(wk.leaf_size - 1)) + wk.leaf_size;
	}
}

/* A buffer backed by 2 MiB pages, mapped at a 2 MiB-aligned IOVA, gets 2
 * MiB leaves (the pages and the IOVA are congruent, as the kernel's
 * iommu_map picks the largest page size both are aligned to); at an IOVA
 * 4 KiB off it gets 4 KiB leaves only; a buffer of 4 KiB pages, whose
 * frames are never 2 MiB-aligned runs here, gets 4 KiB leaves even at an
 * aligned IOVA. */
START_TEST(test_hugepage_leaves)
{
	struct sim_proc *p = sim_proc_find(W, PID);
	uint64_t va, hpa, n4k, n2m, n1g;
	unsigned prot;
	int cfd, gfd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, 8 * SZ_2M, SIM_PROT_READ | SIM_PROT_WRITE, "h",
					 SIM_MM_HUGE_2M, &va), 0);
	ck_assert_int_eq(map(cfd, va, 0x40000000, 4 * SZ_2M, RW), 0);
	ck_assert_int_eq(iommu_iova_to_phys(gdomain(DEV_A), 0x40000000, &hpa, &prot), 0);
	ck_assert_uint_eq(hpa & (SZ_2M - 1), 0);
	leaves(gdomain(DEV_A), 0x40000000, 4 * SZ_2M, hpa, &n4k, &n2m, &n1g);
	ck_assert_uint_eq(n2m, 4);
	ck_assert_uint_eq(n4k + n1g, 0);
	/* the other half of the buffer 4 KiB off a 2 MiB boundary */
	ck_assert_int_eq(map(cfd, va + 4 * SZ_2M, 0x80001000, 4 * SZ_2M, RW), 0);
	ck_assert_int_eq(iommu_iova_to_phys(gdomain(DEV_A), 0x80001000, &hpa, &prot), 0);
	leaves(gdomain(DEV_A), 0x80001000, 4 * SZ_2M, hpa, &n4k, &n2m, &n1g);
	ck_assert_uint_eq(n4k, 4 * 512);
	ck_assert_uint_eq(n2m + n1g, 0);
	/* 4 KiB pages at an aligned IOVA */
	ck_assert_int_eq(map(cfd, BUF, 0xc0000000, 1 << 20, RW), 0);
	leaves(gdomain(DEV_A), 0xc0000000, 1 << 20, 0, &n4k, &n2m, &n1g);
	ck_assert_uint_eq(n4k, 256);
	/* a device write across the 2 MiB boundary lands in both huge pages */
	{
		struct sim_dma op = { .addr = 0x40000000 + SZ_2M - 2, .write = true,
				      .buf = "abcd", .len = 4 };
		char back[4];

		ck_assert_int_eq(sim_dev_dma(W, DEV_A, &op), 0);
		ck_assert_int_eq(sim_copy_from_user(p, back, va + SZ_2M - 2, 4), 0);
		ck_assert_int_eq(memcmp(back, "abcd", 4), 0);
	}
	inv();
	ck_assert_int_eq(unmap(cfd, 0, 1ull << 32, 0, NULL), 0);
	inv();
}
END_TEST

/* 1 GiB pages give a 1 GiB leaf at a 1 GiB-aligned IOVA. */
START_TEST(test_hugepage_1g_leaf)
{
	struct sim_proc *p = sim_proc_find(W, PID);
	uint64_t va, hpa, n4k, n2m, n1g;
	unsigned prot;
	int cfd, gfd;

	sim_mem_set_budget(W, 0);
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, SZ_1G, SIM_PROT_READ | SIM_PROT_WRITE, "g",
					 SIM_MM_HUGE_1G, &va), 0);
	ck_assert_int_eq(map(cfd, va, SZ_1G, SZ_1G, RW), 0);
	ck_assert_int_eq(iommu_iova_to_phys(gdomain(DEV_A), SZ_1G, &hpa, &prot), 0);
	ck_assert_uint_eq(hpa & (SZ_1G - 1), 0);
	leaves(gdomain(DEV_A), SZ_1G, SZ_1G, hpa, &n4k, &n2m, &n1g);
	ck_assert_uint_eq(n1g, 1);
	ck_assert_uint_eq(n4k + n2m, 0);
	/* charged, though not limited (init has CAP_IPC_LOCK) */
	ck_assert_uint_eq(locked(PID), SZ_1G / SIM_PAGE_SIZE);
	inv();
	ck_assert_int_eq(unmap(cfd, SZ_1G, SZ_1G, 0, NULL), 0);
	ck_assert_uint_eq(locked(PID), 0);
	inv();
}
END_TEST

/*
 * RLIMIT_MEMLOCK with ranges: the map fails at the page whose charge does
 * not fit, having pinned (and so first touched) exactly the pages pinning
 * page by page did: the charged ones and that page; the rest of the buffer
 * is untouched, and nothing stays charged or pinned.  Exactly the limit
 * succeeds.  A page vfio_pin_pages pinned is charged once.
 */
START_TEST(test_rlimit_boundary_pages)
{
	int alice = pid_of("alice"), cfd, gfd;
	struct sim_mm *mm;
	uint64_t buf;

	as(alice);             /* RLIMIT_MEMLOCK 64 KiB: 16 pages */
	mm = sim_proc_find(W, alice)->mm;
	buf = ualloc(alice, 64 * SIM_PAGE_SIZE);
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, buf, 0, 64 * SIM_PAGE_SIZE, RW), -ENOMEM);
	ck_assert_uint_eq(locked(alice), 0);
	ck_assert_uint_eq(mm->pinned, 0);
	ck_assert_uint_eq(sim_mm_untouched(mm, buf, 17 * SIM_PAGE_SIZE), 0);
	ck_assert_uint_eq(sim_mm_untouched(mm, buf, 64 * SIM_PAGE_SIZE), 64 - 17);
	ck_assert_int_eq(map(cfd, buf, 0, 16 * SIM_PAGE_SIZE, RW), 0);
	ck_assert_uint_eq(locked(alice), 16);
	ck_assert_uint_eq(mm->pinned, 16);
	/* one page more, in a map of its own */
	ck_assert_int_eq(map(cfd, buf + 16 * SIM_PAGE_SIZE, 1 << 20, SIM_PAGE_SIZE, RW), -ENOMEM);
	ck_assert_uint_eq(locked(alice), 16);
	ck_assert_int_eq(unmap(cfd, 0, 16 * SIM_PAGE_SIZE, 0, NULL), 0);
	ck_assert_uint_eq(locked(alice), 0);
	ck_assert_uint_eq(mm->pinned, 0);
	inv();
}
END_TEST

static Suite *vfio_type1_suite(void)
{
	Suite *s = suite_create("vfio_type1");
	TCase *tc = tcase_create("legacy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_map_checks);
	tcase_add_test(tc, test_map_check_order);
	tcase_add_test(tc, test_map_readonly_page);
	tcase_add_loop_test(tc, test_map_error_unpins, 0, 4);
	tcase_add_test(tc, test_accounting_rlimit);
	tcase_add_test(tc, test_accounting_cap_ipc_lock);
	tcase_add_test(tc, test_dma_entry_limit);
	tcase_add_test(tc, test_unmap_v2);
	tcase_add_test(tc, test_unmap_v1);
	tcase_add_test(tc, test_unmap_other_mm);
	tcase_add_test(tc, test_backend_list);
	tcase_add_test(tc, test_dma_cc_iommu);
	tcase_add_test(tc, test_resv_regions_per_kind);
	tcase_add_test(tc, test_update_vaddr);
	tcase_add_test(tc, test_get_info);
	tcase_add_loop_test(tc, test_get_info_caps_6_1, 0, G_N_ELEMENTS(unaligned_caps));
	tcase_add_test(tc, test_dirty_pages);
	tcase_add_test(tc, test_dma_isolation);
	tcase_add_test(tc, test_replay_new_domain);
	tcase_add_test(tc, test_replay_on_failed_join);
	tcase_add_test(tc, test_fault_sweep);
	tcase_add_test(tc, test_hugepage_leaves);
	tcase_add_test(tc, test_hugepage_1g_leaf);
	tcase_add_test(tc, test_rlimit_boundary_pages);
	tcase_add_test(tc, test_leftovers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(vfio_type1_suite());
}
