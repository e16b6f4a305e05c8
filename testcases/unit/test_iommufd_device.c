/* SPDX-License-Identifier: MIT */
/*
 * iommufd devices and HWPTs from the VFIO driver's side (model/iommufd/
 * device.c, hw_pagetable.c, pages.c): iommufd_device_bind and its
 * ownership rules, attach to an IOAS through an automatic HWPT (a real
 * domain: device DMA lands in the user's page and faults once unmapped),
 * what a domain does to the IOAS (aperture, MSI window, alignment:
 * iopt_table_add_domain, iopt_table_enforce_dev_resv_regions), replace and
 * detach, pins shared by COPY, and the accounting of pinned pages per user
 * and per mm against RLIMIT_MEMLOCK (do_update_pinned).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <glib.h>

#include "vfio_fixture.h"
#include "iommufd_fixture.h"
#include "unit_common.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"

static int dma(const char *bdf, uint64_t addr, void *buf, size_t len, bool write)
{
	struct sim_dma op = { .addr = addr, .buf = buf, .len = len, .write = write };

	return pci_dev_dma(W, ifd_pdev(bdf), &op);
}

/* §H18 at the end of a run: iommufd_leftovers names a context while its
 * file is open, nothing once it is closed. */
START_TEST(test_leftovers)
{
	GString *s = g_string_new(NULL);
	int fd = open_path("/dev/iommu");

	iommufd_leftovers(W, s);
	ck_assert_str_eq(s->str, "iommufd context 1 is left\n");
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
	g_string_truncate(s, 0);
	iommufd_leftovers(W, s);
	ck_assert_str_eq(s->str, "");
	g_string_free(s, TRUE);
}
END_TEST

/* The flow: IOAS, bind, attach (automatic HWPT), map, DMA lands,
 * unmap, DMA faults, detach, unbind, destroy: nothing is left pinned. */
START_TEST(test_bind_attach_dma)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_ctx *ictx = ifd_ctx(fd);
	struct iommufd_device *idev;
	uint32_t ioas = ifd_ioas_alloc(fd), dev_id, pt;
	char msg[] = "through iommufd", back[32] = { 0 };
	uint64_t align;
	char *r;

	ck_assert_int_eq(iommufd_device_bind(ictx, ifd_pdev(DEV_A), false, &idev, &dev_id), 0);
	ck_assert_uint_eq(dev_id, 2);
	/* bound but not attached: blocked */
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x10000), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);   /* no domain: nothing pinned */
	ck_assert_int_ne(dma(DEV_A, 0x100000, msg, sizeof(msg), true), 0);
	pt = ioas;
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), 0);
	ck_assert_uint_eq(pt, 3);             /* the automatic HWPT */
	ck_assert_uint_eq(ifd_mm()->pinned, 16);  /* pinned at attach */
	ck_assert_uint_eq(ifd_mm()->pinned_vm, 16);
	r = ifd_ranges(fd, ioas, &align);
	/* the aperture and the VT-d MSI window (intel_iommu_get_resv_regions) */
	ck_assert_str_eq(r, "0x0-0xfedfffff,0xfef00000-0xffffffffffff");
	ck_assert_uint_eq(align, 0x1000);
	g_free(r);
	ck_assert_int_eq(dma(DEV_A, 0x100123, msg, sizeof(msg), true), 0);
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), back, BUF + 0x123,
					    sizeof(msg)), 0);
	ck_assert_str_eq(back, msg);
	/* the auto HWPT, the device and an IOAS with a HWPT are held */
	ck_assert_int_eq(ifd_destroy(fd, pt), -EBUSY);
	ck_assert_int_eq(ifd_destroy(fd, dev_id), -EBUSY);
	ck_assert_int_eq(ifd_destroy(fd, ioas), -EBUSY);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0x100000, 0x10000), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	ck_assert_int_ne(dma(DEV_A, 0x100123, msg, sizeof(msg), true), 0);
	iommufd_device_detach(idev);
	/* the automatic HWPT went with its last device: id 3 is free */
	ck_assert_int_eq(ifd_destroy(fd, pt), -ENOENT);
	r = ifd_ranges(fd, ioas, &align);
	ck_assert_str_eq(r, "0x0-0xffffffffffffffff");
	ck_assert_uint_eq(align, 1);
	g_free(r);
	iommufd_device_detach(idev);          /* not attached: nothing */
	iommufd_device_unbind(idev);
	ck_assert_int_eq(ifd_destroy(fd, ioas), 0);
	ck_assert_uint_eq(iommufd_ctx_objects(ictx), 0);
	ck_assert_uint_eq(ifd_mm()->pinned_vm, 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* iopt_table_add_domain / iopt_table_enforce_dev_resv_regions: an IOAS a
 * domain cannot take refuses the attach (EADDRINUSE) and is left as it
 * was; with the domain, MAP into the MSI window or past the aperture is
 * EINVAL (a reserved range). */
START_TEST(test_attach_eaddrinuse)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_device *idev;
	uint32_t ioas = ifd_ioas_alloc(fd), id, pt;
	uint64_t align;
	char *r;

	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(DEV_A), false, &idev, &id), 0);
	/* a mapping off the domain's 4 KiB alignment */
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100, 0x1000), 0);
	pt = ioas;
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), -EADDRINUSE);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0x100, 0x1000), 0);
	/* a mapping over the MSI window */
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0xfee00000, 0x1000), 0);
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), -EADDRINUSE);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0xfee00000, 0x1000), 0);
	/* past the 48-bit aperture */
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 1ull << 48, 0x1000), 0);
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), -EADDRINUSE);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 1ull << 48, 0x1000), 0);
	/* nothing stayed reserved, no id was used */
	r = ifd_ranges(fd, ioas, &align);
	ck_assert_str_eq(r, "0x0-0xffffffffffffffff");
	g_free(r);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), 0);
	ck_assert_uint_eq(pt, 3);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0xfee00000, 0x1000), -EINVAL);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 1ull << 48, 0x1000), -EINVAL);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100, 0x1000), -EINVAL);
	/* a bad VA is refused at once with a domain (the pin) */
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, 0x1000, 0x200000, 0x1000), -EFAULT);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x200000, 0x1000), 0);
	iommufd_device_detach(idev);
	iommufd_device_unbind(idev);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
}
END_TEST

/* Two devices of different groups share the first automatic HWPT; it
 * lives until the last detaches.  A HWPT made by hand is never picked by
 * an IOAS attach; replace moves a group onto it and the auto HWPT left
 * with no device dies (iommufd_device_do_replace). */
START_TEST(test_share_and_replace)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_ctx *ictx = ifd_ctx(fd);
	struct iommufd_device *a, *b;
	uint32_t ioas = ifd_ioas_alloc(fd), ida, idb, pa, pb, manual;
	struct iommu_hwpt_alloc h = { .size = sizeof(h) };
	char x = 'x';

	ck_assert_int_eq(iommufd_device_bind(ictx, ifd_pdev(DEV_A), false, &a, &ida), 0);
	ck_assert_int_eq(iommufd_device_bind(ictx, ifd_pdev(DEV_B), false, &b, &idb), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x4000), 0);
	pa = pb = ioas;
	ck_assert_int_eq(iommufd_device_attach(a, &pa), 0);
	ck_assert_int_eq(iommufd_device_attach(b, &pb), 0);
	ck_assert_uint_eq(pa, pb);
	ck_assert_uint_eq(ifd_mm()->pinned, 4);   /* one domain, one pin per page */
	ck_assert_ptr_eq(gdomain(DEV_A), gdomain(DEV_B));
	/* a manual HWPT on the same IOAS: its own domain, the same pins */
	h.dev_id = ida;
	h.pt_id = ioas;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), 0);
	manual = h.out_hwpt_id;
	ck_assert_uint_eq(ifd_mm()->pinned, 4);
	ck_assert_int_eq(ifd_destroy(fd, manual), 0);
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), 0);
	ck_assert_uint_eq(h.out_hwpt_id, manual);   /* lowest free, reused */
	/* HWPT_ALLOC's checks: reserved, data, device, page table */
	h.__reserved = 1;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), -EOPNOTSUPP);
	h.__reserved = 0;
	h.data_len = 8;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), -EINVAL);
	h.data_len = 0;
	h.dev_id = ioas;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), -ENOENT);
	h.dev_id = ida;
	h.pt_id = ida;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), -EINVAL);
	h.pt_id = 99;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), -EINVAL);
	h.pt_id = ioas;
	h.flags = 1u << 7;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), -EOPNOTSUPP);
	h.flags = 0;
	/* a new IOAS attach still picks the auto HWPT, not the manual one */
	iommufd_device_detach(b);
	pb = ioas;
	ck_assert_int_eq(iommufd_device_attach(b, &pb), 0);
	ck_assert_uint_eq(pb, pa);
	/* A attached elsewhere: attaching it to the manual HWPT is EBUSY on
	 * mainline (iommufd_hw_pagetable_attach's xa_insert of the device
	 * comes first since 6.15; 6.12 answers EINVAL, the HWPT compared
	 * first); replace works, and the group's DMA now goes through it */
	ck_assert_int_eq(iommufd_device_attach(a, &manual), -EBUSY);
	ck_assert_int_eq(iommufd_device_replace(a, &manual), 0);
	ck_assert_ptr_ne(gdomain(DEV_A), gdomain(DEV_B));
	ck_assert_int_eq(dma(DEV_A, 0x100000, &x, 1, true), 0);
	/* B still holds the auto HWPT; its detach destroys it */
	ck_assert_int_eq(ifd_destroy(fd, pa), -EBUSY);
	iommufd_device_detach(b);
	ck_assert_int_eq(ifd_destroy(fd, pa), -ENOENT);
	/* the manual one stays until destroyed (held while attached) */
	ck_assert_int_eq(ifd_destroy(fd, manual), -EBUSY);
	iommufd_device_detach(a);
	ck_assert_int_eq(ifd_destroy(fd, manual), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	iommufd_device_unbind(a);
	iommufd_device_unbind(b);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* iommu_device_claim_dma_owner: another context owning the group, and a
 * group with a kernel DMA driver (06:0d.1 on e1000), are EPERM. */
START_TEST(test_bind_ownership)
{
	int f1 = open_path("/dev/iommu"), f2 = open_path("/dev/iommu");
	struct iommufd_device *a, *x;
	uint32_t id;

	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(f1), ifd_pdev(DEV_A), false, &a, &id), 0);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(f2), ifd_pdev(DEV_A), false, &x, &id), -EPERM);
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(f2), ifd_pdev(DEV_C), false, &x, &id), -EPERM);
	/* a failed bind takes no id */
	ck_assert_uint_eq(iommufd_ctx_objects(ifd_ctx(f2)), 0);
	/* the device holds the context: closing the fd keeps it alive */
	ck_assert_int_eq(sim_sys_close(W, PID, f1), 0);
	iommufd_device_unbind(a);
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(f2), ifd_pdev(DEV_A), false, &x, &id), 0);
	iommufd_device_unbind(x);
	ck_assert_int_eq(sim_sys_close(W, PID, f2), 0);
}
END_TEST

/* COPY shares pins (iopt_pages refcounting): a second IOAS with its own
 * domain maps the same pages without pinning or charging them again. */
START_TEST(test_copy_shares_pins)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_ctx *ictx = ifd_ctx(fd);
	struct iommufd_device *a, *b;
	uint32_t s = ifd_ioas_alloc(fd), d = ifd_ioas_alloc(fd), ida, idb, pa = s, pb = d;
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .dst_ioas_id = d, .src_ioas_id = s, .length = 0x8000,
		.src_iova = 0x100000, .dst_iova = 0x400000,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};
	uint64_t locked;
	char v = 'v', got = 0;

	ck_assert_int_eq(iommufd_device_bind(ictx, ifd_pdev(DEV_A), false, &a, &ida), 0);
	ck_assert_int_eq(iommufd_device_bind(ictx, ifd_pdev(DEV_B), false, &b, &idb), 0);
	ck_assert_int_eq(iommufd_device_attach(a, &pa), 0);
	ck_assert_int_eq(iommufd_device_attach(b, &pb), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, s, BUF, 0x100000, 0x8000), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 8);
	locked = ifd_mm()->pinned_vm;
	ck_assert_int_eq(io(fd, IOMMU_IOAS_COPY, &c, sizeof(c)), 0);
	/* the destination's domain reads the pins the source made */
	ck_assert_uint_eq(ifd_mm()->pinned, 8);
	ck_assert_uint_eq(ifd_mm()->pinned_vm, locked);
	ck_assert_int_eq(dma(DEV_B, 0x400010, &v, 1, true), 0);
	ck_assert_int_eq(dma(DEV_A, 0x100010, &got, 1, false), 0);
	ck_assert_int_eq(got, 'v');
	ck_assert_int_eq(ifd_ioas_unmap(fd, s, 0, UINT64_MAX), 0);
	ck_assert_int_eq(dma(DEV_B, 0x400010, &got, 1, false), 0);   /* still mapped */
	ck_assert_int_eq(ifd_ioas_unmap(fd, d, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	ck_assert_uint_eq(ifd_mm()->pinned_vm, 0);
	iommufd_device_detach(a);
	iommufd_device_detach(b);
	iommufd_device_unbind(a);
	iommufd_device_unbind(b);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* The uid's locked_vm as iommufd charges it (IOPT_PAGES_ACCOUNT_USER). */
static uint64_t user_locked(uint32_t uid)
{
	struct iommufd_state *st = sim_world_subsys(W, SIM_SUBSYS_IOMMUFD);

	for (unsigned i = 0; i < st->users->len; i++)
		if (g_array_index(st->users, struct iommufd_user, i).uid == uid)
			return g_array_index(st->users, struct iommufd_user, i).locked_vm;
	return 0;
}

/* A context with an IOAS and @bdf attached to it. */
static int attached_ctx(const char *bdf, uint32_t *ioas, struct iommufd_device **idev)
{
	int fd = open_path("/dev/iommu");
	uint32_t id, pt;

	*ioas = pt = ifd_ioas_alloc(fd);
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(bdf), false, idev, &id), 0);
	ck_assert_int_eq(iommufd_device_attach(*idev, &pt), 0);
	return fd;
}

static void release(int fd, struct iommufd_device *idev)
{
	iommufd_device_detach(idev);
	iommufd_device_unbind(idev);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}

/* incr_user_locked_vm: the default mode charges the user (uid 0 here,
 * alice: RLIMIT_MEMLOCK 64K, no CAP_IPC_LOCK), shared by every context
 * of the user; a charge past the limit is ENOMEM and leaves nothing. */
START_TEST(test_account_user)
{
	struct iommufd_device *a, *b;
	uint32_t s1, s2;
	int f1, f2;

	as(pid_of("alice"));
	f1 = attached_ctx(DEV_A, &s1, &a);
	f2 = attached_ctx(DEV_B, &s2, &b);
	ck_assert_int_eq(ifd_ioas_map(f1, s1, BUF, 0x100000, 0x10000), 0);
	ck_assert_uint_eq(user_locked(0), 16);
	ck_assert_uint_eq(ifd_mm()->locked_vm, 0);
	ck_assert_uint_eq(ifd_mm()->pinned_vm, 16);
	ck_assert_int_eq(ifd_ioas_map(f1, s1, BUF + 0x10000, 0x200000, 0x1000), -ENOMEM);
	/* the other context of the same user is over the limit as well */
	ck_assert_int_eq(ifd_ioas_map(f2, s2, BUF + 0x10000, 0x200000, 0x1000), -ENOMEM);
	ck_assert_uint_eq(ifd_mm()->pinned, 16);
	/* the same pages again (a COPY within the IOAS) cost nothing */
	{
		struct iommu_ioas_copy c = {
			.size = sizeof(c), .dst_ioas_id = s1, .src_ioas_id = s1,
			.length = 0x10000, .src_iova = 0x100000, .dst_iova = 0x300000,
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		};

		ck_assert_int_eq(io(f1, IOMMU_IOAS_COPY, &c, sizeof(c)), 0);
	}
	ck_assert_uint_eq(user_locked(0), 16);
	ck_assert_int_eq(ifd_ioas_unmap(f1, s1, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(user_locked(0), 0);
	ck_assert_int_eq(ifd_ioas_map(f2, s2, BUF + 0x10000, 0x200000, 0x1000), 0);
	ck_assert_uint_eq(user_locked(0), 1);
	release(f1, a);
	release(f2, b);
	ck_assert_uint_eq(user_locked(0), 0);
	ck_assert_uint_eq(ifd_mm()->pinned_vm, 0);
}
END_TEST

/* OPTION RLIMIT_MODE 1 (VFIO's way, update_mm_locked_vm): the mm's
 * locked_vm, which type1 charges too, against the same limit. */
START_TEST(test_account_mm)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_RLIMIT_MODE,
				  .op = IOMMU_OPTION_OP_SET, .val64 = 1 };
	struct iommufd_device *a;
	uint32_t ioas, id, pt;
	int fd;

	as(pid_of("alice"));
	fd = open_path("/dev/iommu");
	ck_assert_int_eq(io(fd, IOMMU_OPTION, &o, sizeof(o)), -EPERM);
	sim_proc_find(W, PID)->cred.caps |= SIM_CAP_BIT(SIM_CAP_SYS_RESOURCE);
	ck_assert_int_eq(io(fd, IOMMU_OPTION, &o, sizeof(o)), 0);
	ioas = pt = ifd_ioas_alloc(fd);
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(DEV_A), false, &a, &id), 0);
	ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0xc000), 0);
	ck_assert_uint_eq(ifd_mm()->locked_vm, 12);
	ck_assert_uint_eq(user_locked(0), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF + 0xc000, 0x200000, 0x5000), -ENOMEM);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF + 0xc000, 0x200000, 0x4000), 0);
	ck_assert_uint_eq(ifd_mm()->locked_vm, 16);
	release(fd, a);
	ck_assert_uint_eq(ifd_mm()->locked_vm, 0);
}
END_TEST

/* The charge happens when pages are pinned: mapped with no domain, they
 * are charged at the attach, which fails ENOMEM over the limit and works
 * once the limit is raised (task_rlimit is read at that moment).  With
 * CAP_IPC_LOCK (carol) nothing is charged (IOPT_PAGES_ACCOUNT_NONE), but
 * pinned_vm counts. */
START_TEST(test_account_at_attach)
{
	struct iommufd_device *a;
	uint32_t ioas, id, pt;
	int fd;

	as(pid_of("alice"));
	fd = open_path("/dev/iommu");
	ioas = pt = ifd_ioas_alloc(fd);
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(DEV_A), false, &a, &id), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x20000), 0);
	ck_assert_int_eq(iommufd_device_attach(a, &pt), -ENOMEM);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	ck_assert_uint_eq(user_locked(0), 0);
	sim_proc_find(W, PID)->rlimit_memlock = 0x20000;
	ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
	ck_assert_uint_eq(user_locked(0), 32);
	release(fd, a);

	as(pid_of("carol"));
	fd = attached_ctx(DEV_A, &ioas, &a);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x100000), 0);
	ck_assert_uint_eq(user_locked(0), 0);
	ck_assert_uint_eq(ifd_mm()->locked_vm, 0);
	ck_assert_uint_eq(ifd_mm()->pinned_vm, 256);
	release(fd, a);
	ck_assert_uint_eq(ifd_mm()->pinned_vm, 0);
}
END_TEST

/* ---- access objects (iommufd_access_*) ---- */

struct mock_driver {
	struct iommufd_access *access;
	uint64_t iova, len;          /* what it holds pinned */
	bool stubborn;               /* never unpins: EDEADLOCK */
	unsigned unmaps;
};

static void mock_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct mock_driver *m = data;

	m->unmaps++;
	if (m->stubborn || !m->len || m->iova + m->len <= iova || iova + length <= m->iova)
		return;
	iommufd_access_unpin_pages(m->access, m->iova, m->len);
	m->len = 0;
}

static const struct iommufd_access_ops mock_ops = { .needs_pin_pages = true,
						    .unmap = mock_unmap };

/* Pins shared with the domains' (one pin per page), rw through the IOAS,
 * the unmap notification, and the refusals: a hole ENOENT, a write pin of
 * a read-only mapping EPERM, a sub-page start EINVAL, a driver that never
 * unpins EDEADLOCK (iopt_unmap_iova_range's hundred tries). */
START_TEST(test_access)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_ctx *ictx = ifd_ctx(fd);
	struct mock_driver m = { 0 };
	uint32_t ioas = ifd_ioas_alloc(fd), id;
	uint64_t hpas[2], hpa;
	char in[] = "via access", out[16] = { 0 };

	ck_assert_int_eq(iommufd_access_create(ictx, &mock_ops, &m, &m.access, &id), 0);
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x100000, 0x1000, hpas, 0), -ENOENT);
	ck_assert_int_eq(iommufd_access_attach(m.access, 99), -ENOENT);
	ck_assert_int_eq(iommufd_access_attach(m.access, ioas), 0);
	ck_assert_int_eq(iommufd_access_attach(m.access, ioas), -EINVAL);
	/* an access that pins makes the IOAS page aligned */
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100100, 0x100), -EINVAL);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x2000), 0);
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x100000, 0, hpas, 0), -EINVAL);
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x100800, 0x800, hpas, 0), -EINVAL);
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x101000, 0x2000, hpas, 0), -ENOENT);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);    /* the failed pins left nothing */
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x100000, 0x2000, hpas,
						  IOMMUFD_ACCESS_RW_WRITE), 0);
	m.iova = 0x100000;
	m.len = 0x2000;
	ck_assert_uint_eq(ifd_mm()->pinned, 2);
	ck_assert_int_eq(sim_mm_pin(ifd_mm(), BUF + 0x1000, false, &hpa), 0);
	ck_assert_uint_eq(hpa, hpas[1]);
	sim_mm_unpin_page(ifd_mm(), hpa);
	/* written through the IOAS, read from the user's buffer */
	ck_assert_int_eq(iommufd_access_rw(m.access, 0x100ffa, in, sizeof(in),
					   IOMMUFD_ACCESS_RW_WRITE), 0);
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), out, BUF + 0xffa,
					    sizeof(in)), 0);
	ck_assert_str_eq(out, in);
	ck_assert_int_eq(iommufd_access_rw(m.access, 0x101ffa, out, 16, 0), -ENOENT);
	ck_assert_int_eq(iommufd_access_rw(m.access, 0x100000, out, 0, 0), -EINVAL);
	/* destroying the IOAS is refused while the access is on it */
	ck_assert_int_eq(ifd_destroy(fd, ioas), -EBUSY);
	ck_assert_int_eq(ifd_destroy(fd, id), -EBUSY);
	/* the user unmaps: the driver is told and unpins */
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0x100000, 0x2000), 0);
	ck_assert_uint_eq(m.unmaps, 1);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	/* a read-only mapping: read pins only; rw through the mm, unpinned */
	{
		struct iommu_ioas_map ro = {
			.size = sizeof(ro), .ioas_id = ioas, .user_va = BUF, .length = 0x1000,
			.iova = 0x200000,
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		};

		ck_assert_int_eq(io(fd, IOMMU_IOAS_MAP, &ro, sizeof(ro)), 0);
	}
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x200000, 0x1000, hpas,
						  IOMMUFD_ACCESS_RW_WRITE), -EPERM);
	ck_assert_int_eq(iommufd_access_rw(m.access, 0x200000, in, 4, IOMMUFD_ACCESS_RW_WRITE),
			 -EPERM);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(iommufd_access_rw(m.access, 0x200ffa, out, 6, 0), 0);
	ck_assert_int_eq(memcmp(out, in, 6), 0);
	/* a driver that never unpins */
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x200000, 0x1000, hpas, 0), 0);
	m.stubborn = true;
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0x200000, 0x1000), -EDEADLOCK);
	ck_assert_uint_eq(m.unmaps, 1 + 101);
	iommufd_access_unpin_pages(m.access, 0x200000, 0x1000);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0x200000, 0x1000), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	iommufd_access_detach(m.access);
	ck_assert_int_eq(ifd_destroy(fd, ioas), 0);
	iommufd_access_destroy(m.access);
	ck_assert_uint_eq(iommufd_ctx_objects(ictx), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* The invariants see what is wrong (model/iommufd/invariants.c): a users
 * count off by one, a pin missing, a charge not matching, a group the
 * hardware has elsewhere. */
START_TEST(test_invariants_catch)
{
	int fd = (as(pid_of("alice")), open_path("/dev/iommu"));
	struct iommufd_ctx *ictx = ifd_ctx(fd);
	struct iommufd_device *a;
	uint32_t ioas = ifd_ioas_alloc(fd), id, pt = ioas;
	struct iommufd_object *obj;
	struct iopt_area *area;
	struct iommufd_state *st = sim_world_subsys(W, SIM_SUBSYS_IOMMUFD);
	GString *v = g_string_new(NULL);

	ck_assert_int_eq(iommufd_device_bind(ictx, ifd_pdev(DEV_A), false, &a, &id), 0);
	ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x2000), 0);
	ck_assert_int_eq(iommufd_check_invariants(W, v), 0);
	obj = sim_ids_find(&ictx->objects, ioas);
	obj->users++;
	ck_assert_int_eq(iommufd_check_invariants(W, v), 1);
	ck_assert_ptr_nonnull(strstr(v->str, "§H17: context 1: ioas 1 has users 3, 1 + 1"));
	obj->users--;
	g_string_truncate(v, 0);
	area = &g_array_index(((struct iommufd_ioas *)obj)->iopt.areas, struct iopt_area, 0);
	area->pages->last_npinned++;
	/* and the user's charge no longer matches what the pages say */
	ck_assert_int_eq(iommufd_check_invariants(W, v), 2);
	ck_assert_ptr_nonnull(strstr(v->str, "charged for 3 pages, 2 pinned"));
	area->pages->last_npinned--;
	g_string_truncate(v, 0);
	g_array_index(st->users, struct iommufd_user, 0).locked_vm++;
	ck_assert_int_eq(iommufd_check_invariants(W, v), 1);
	ck_assert_ptr_nonnull(strstr(v->str, "§H10: uid 0 has locked_vm"));
	g_array_index(st->users, struct iommufd_user, 0).locked_vm--;
	g_string_truncate(v, 0);
	ifd_mm()->pinned_vm++;
	ck_assert_int_eq(iommufd_check_invariants(W, v), 1);
	ck_assert_ptr_nonnull(strstr(v->str, "pinned_vm 3, iommufd pins 2"));
	ifd_mm()->pinned_vm--;
	g_string_free(v, TRUE);
	iommufd_device_detach(a);
	iommufd_device_unbind(a);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* ---- fail-nth sweeps (spec §H19): every injected failure of an iommufd
 * path leaves the state as it was, and closing everything leaves no
 * object, pin, charge or page-table frame behind ---- */

struct sweep_env {
	int fd;
	struct iommufd_device *a, *b;
	uint32_t ioas, ioas2, ida, idb;
};

typedef long (*sweep_op)(struct sweep_env *e);

static char *fd_state(void)
{
	GString *s = g_string_new(NULL);

	iommufd_describe(W, s);
	g_string_append_printf(s, "pinned %llu pinned_vm %llu\n",
			       (unsigned long long)ifd_mm()->pinned,
			       (unsigned long long)ifd_mm()->pinned_vm);
	return g_string_free(s, FALSE);
}

static long sw_map(struct sweep_env *e)
{
	return ifd_ioas_map(e->fd, e->ioas, BUF + 0x10000, 0x400000, 0x20000);
}

static long sw_attach_second(struct sweep_env *e)
{
	uint32_t pt = e->ioas2;

	return iommufd_device_attach(e->b, &pt);
}

static long sw_replace(struct sweep_env *e)
{
	uint32_t pt = e->ioas2;

	return iommufd_device_replace(e->a, &pt);
}

static long sw_copy(struct sweep_env *e)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .dst_ioas_id = e->ioas2, .src_ioas_id = e->ioas, .length = 0x8000,
		.src_iova = 0x100000, .dst_iova = 0x600000,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
	};

	return io(e->fd, IOMMU_IOAS_COPY, &c, sizeof(c));
}

static long sw_hwpt_alloc(struct sweep_env *e)
{
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .dev_id = e->ida, .pt_id = e->ioas };

	return io(e->fd, IOMMU_HWPT_ALLOC, &h, sizeof(h));
}

static long sw_bind(struct sweep_env *e)
{
	struct iommufd_device *x;
	uint32_t id;
	long ret = iommufd_device_bind(ifd_ctx(e->fd), ifd_pdev(DEV_B), false, &x, &id);

	if (!ret)
		e->b = x;
	return ret;
}

static long sw_fault_alloc(struct sweep_env *e)
{
	struct iommu_fault_alloc f = { .size = sizeof(f) };

	return io(e->fd, IOMMU_FAULT_QUEUE_ALLOC, &f, sizeof(f));
}

static long sw_ioas_alloc(struct sweep_env *e)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	return io(e->fd, IOMMU_IOAS_ALLOC, &a, sizeof(a));
}

static long sw_access_pin(struct sweep_env *e)
{
	static struct mock_driver m;
	uint64_t hpas[4];
	uint32_t id;
	long ret;

	memset(&m, 0, sizeof(m));
	ret = iommufd_access_create(ifd_ctx(e->fd), &mock_ops, &m, &m.access, &id);
	if (ret)
		return ret;
	ret = iommufd_access_attach(m.access, e->ioas);
	if (!ret)
		ret = iommufd_access_pin_pages(m.access, 0x100000, 0x4000, hpas, 0);
	if (!ret)
		iommufd_access_unpin_pages(m.access, 0x100000, 0x4000);
	iommufd_access_destroy(m.access);
	return ret;
}

/* The world each sweep starts from: a context, two IOASes, A attached to
 * the first with a 32 KiB mapping, B bound (except for sw_bind). */
static void sweep_env(struct sweep_env *e, sweep_op op)
{
	uint32_t pt;

	e->fd = open_path("/dev/iommu");
	e->ioas = ifd_ioas_alloc(e->fd);
	e->ioas2 = ifd_ioas_alloc(e->fd);
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(e->fd), ifd_pdev(DEV_A), false, &e->a, &e->ida),
			 0);
	pt = e->ioas;
	ck_assert_int_eq(iommufd_device_attach(e->a, &pt), 0);
	ck_assert_int_eq(ifd_ioas_map(e->fd, e->ioas, BUF, 0x100000, 0x8000), 0);
	e->b = NULL;
	if (op != sw_bind)
		ck_assert_int_eq(iommufd_device_bind(ifd_ctx(e->fd), ifd_pdev(DEV_B), false, &e->b,
						     &e->idb), 0);
	/* the copy's destination has a domain of its own */
	if (op == sw_copy) {
		pt = e->ioas2;
		ck_assert_int_eq(iommufd_device_attach(e->b, &pt), 0);
	}
}

static void sweep_close(struct sweep_env *e)
{
	iommufd_device_detach(e->a);
	iommufd_device_unbind(e->a);
	if (e->b) {
		iommufd_device_detach(e->b);
		iommufd_device_unbind(e->b);
	}
	/* the fault queue fd, if one was made, is the next descriptors */
	for (int fd = SIM_FD_FIRST; fd < SIM_FD_FIRST + 8; fd++)
		if (sim_fd_get(sim_proc_find(W, PID), fd))
			ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}

static void sweep(sweep_op op, const char *what)
{
	for (unsigned long n = 1;; n++) {
		struct sweep_env e;
		struct sim_mem_stats st0, st1;
		unsigned long fired;
		char *before, *after;
		long ret;

		setup();
		sim_mem_stats(W, &st0);
		sweep_env(&e, op);
		before = fd_state();
		fired = sim_fault_injected(W);
		sim_fault_fail_nth(W, "*", n);
		ret = op(&e);
		sim_fault_fail_nth(W, "*", 0);
		fired = sim_fault_injected(W) - fired;
		after = fd_state();
		if (ret < 0)
			ck_assert_msg(!strcmp(before, after), "%s n=%lu ret=%ld\nbefore:\n%s\nafter:\n%s",
				      what, n, ret, before, after);
		inv();
		g_free(before);
		g_free(after);
		sweep_close(&e);
		/* nothing left: no context, pin, charge, file or frame */
		ck_assert_uint_eq(((struct iommufd_state *)sim_world_subsys(W, SIM_SUBSYS_IOMMUFD))
					  ->ctxs->len, 0);
		ck_assert_uint_eq(ifd_mm()->pinned, 0);
		ck_assert_uint_eq(ifd_mm()->pinned_vm, 0);
		sim_mem_stats(W, &st1);
		ck_assert_msg(st1.frames[SIM_FRAME_PGTABLE] == st0.frames[SIM_FRAME_PGTABLE] &&
			      st1.frames[SIM_FRAME_KERNEL] == st0.frames[SIM_FRAME_KERNEL],
			      "%s n=%lu: page-table/kernel frames %llu/%llu, %llu/%llu before", what, n,
			      (unsigned long long)st1.frames[SIM_FRAME_PGTABLE],
			      (unsigned long long)st1.frames[SIM_FRAME_KERNEL],
			      (unsigned long long)st0.frames[SIM_FRAME_PGTABLE],
			      (unsigned long long)st0.frames[SIM_FRAME_KERNEL]);
		teardown();
		if (!fired) {
			/* the sweep must have reached some fallible call */
			ck_assert_msg(n > 1, "%s: no failure site reached", what);
			if (getenv("SWEEP_VERBOSE"))
				fprintf(stderr, "%s: %lu failure points\n", what, n - 1);
			break;
		}
		ck_assert_msg(n < 2000, "%s: the sweep does not end", what);
	}
}

START_TEST(test_fail_nth_sweeps)
{
	teardown();   /* each sweep boots its own worlds */
	sweep(sw_map, "IOAS_MAP with a domain");
	sweep(sw_attach_second, "attach (a new auto HWPT)");
	sweep(sw_replace, "replace onto another IOAS");
	sweep(sw_copy, "COPY into an IOAS");
	sweep(sw_hwpt_alloc, "HWPT_ALLOC");
	sweep(sw_bind, "bind");
	sweep(sw_fault_alloc, "FAULT_QUEUE_ALLOC");
	sweep(sw_ioas_alloc, "IOAS_ALLOC");
	sweep(sw_access_pin, "access create/attach/pin");
	setup();
}
END_TEST

/* ---- regressions for the bug classes syzbot found in the real iommufd ---- */

static long raw_destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };
	struct sim_proc *p = sim_proc_find(W, PID);

	ck_assert_int_eq(sim_copy_to_user(p, ARG, &d, sizeof(d)), 0);
	return sim_sys_ioctl_ul(W, PID, fd, IOMMU_DESTROY, ARG);
}

struct destroyer {
	struct mock_driver m;
	int fd;
	uint32_t ioas, access_id;
	long destroy_ioas, destroy_access;
};

static void destroying_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct destroyer *d = data;

	/* user space destroys while the kernel is using the objects (no
	 * invariant check in the middle of the unmap: io() would run one) */
	d->destroy_ioas = raw_destroy(d->fd, d->ioas);
	d->destroy_access = raw_destroy(d->fd, d->access_id);
	mock_unmap(&d->m, iova, length);
}

static const struct iommufd_access_ops destroying_ops = { .needs_pin_pages = true,
							  .unmap = destroying_unmap };

/* DESTROY racing a user (the refcount): while an unmap notifies an access,
 * the IOAS (held by the access) and the access (held by the notifier and
 * its driver) are EBUSY, and nothing is freed under the walk. */
START_TEST(test_regress_destroy_while_used)
{
	struct destroyer d = { 0 };
	uint64_t hpas[1];

	d.fd = open_path("/dev/iommu");
	d.ioas = ifd_ioas_alloc(d.fd);
	ck_assert_int_eq(iommufd_access_create(ifd_ctx(d.fd), &destroying_ops, &d, &d.m.access,
					       &d.access_id), 0);
	ck_assert_int_eq(iommufd_access_attach(d.m.access, d.ioas), 0);
	ck_assert_int_eq(ifd_ioas_map(d.fd, d.ioas, BUF, 0x100000, 0x1000), 0);
	ck_assert_int_eq(iommufd_access_pin_pages(d.m.access, 0x100000, 0x1000, hpas, 0), 0);
	d.m.iova = 0x100000;
	d.m.len = 0x1000;
	ck_assert_int_eq(ifd_ioas_unmap(d.fd, d.ioas, 0x100000, 0x1000), 0);
	ck_assert_int_eq(d.destroy_ioas, -EBUSY);
	ck_assert_int_eq(d.destroy_access, -EBUSY);
	iommufd_access_destroy(d.m.access);
	ck_assert_int_eq(ifd_destroy(d.fd, d.ioas), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, d.fd), 0);
}
END_TEST

/* Pin accounting when pins are carried over: an access holds pages 1-2 of
 * a 4-page mapping, then a domain fills all four; the charge is 4 pages,
 * not 6; the domain leaving gives back 2, the access the last 2. */
START_TEST(test_regress_pins_carried_over)
{
	int fd = (as(pid_of("alice")), open_path("/dev/iommu"));
	struct mock_driver m = { 0 };
	struct iommufd_device *a;
	uint32_t ioas = ifd_ioas_alloc(fd), id, pt;
	uint64_t hpas[2];

	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x4000), 0);
	ck_assert_int_eq(iommufd_access_create(ifd_ctx(fd), &mock_ops, &m, &m.access, &id), 0);
	ck_assert_int_eq(iommufd_access_attach(m.access, ioas), 0);
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x101000, 0x2000, hpas, 0), 0);
	ck_assert_uint_eq(user_locked(0), 2);
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(DEV_A), false, &a, &id), 0);
	pt = ioas;
	ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
	ck_assert_uint_eq(user_locked(0), 4);
	ck_assert_uint_eq(ifd_mm()->pinned, 4);
	iommufd_device_detach(a);
	ck_assert_uint_eq(user_locked(0), 2);
	iommufd_access_unpin_pages(m.access, 0x101000, 0x2000);
	ck_assert_uint_eq(user_locked(0), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	iommufd_device_unbind(a);
	iommufd_access_destroy(m.access);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* A HWPT added twice (iopt_table_add_domain's EEXIST): the domain of an
 * IOAS cannot join it again, and the IOAS is unchanged. */
START_TEST(test_regress_domain_added_twice)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_device *a;
	uint32_t ioas = ifd_ioas_alloc(fd), id, pt = ioas;
	struct iommufd_ioas *obj;
	char *before, *after;

	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(DEV_A), false, &a, &id), 0);
	ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x2000), 0);
	obj = (struct iommufd_ioas *)sim_ids_find(&ifd_ctx(fd)->objects, ioas);
	before = fd_state();
	ck_assert_int_eq(iopt_table_add_domain(&obj->iopt, gdomain(DEV_A)), -EEXIST);
	after = fd_state();
	ck_assert_str_eq(before, after);
	g_free(before);
	g_free(after);
	iommufd_device_detach(a);
	iommufd_device_unbind(a);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* No byte the kernel never wrote reaches user space: GET_HW_INFO zeroes
 * the buffer past the driver's data (clear_user), and the compat GET_INFO
 * writes its capabilities whole (reserved fields 0).  The user's buffers
 * start full of 0xaa so a byte left unwritten where the kernel writes one
 * would show. */
START_TEST(test_regress_no_uninitialised_bytes)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_device *a;
	uint32_t id, pt;
	struct iommu_hw_info hi = { .size = sizeof(hi) };
	uint8_t data[128];
	struct sim_proc *p = sim_proc_find(W, PID);
	uint64_t dva = BUF + 0x8000;

	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(DEV_A), false, &a, &id), 0);
	memset(data, 0xaa, sizeof(data));
	ck_assert_int_eq(sim_copy_to_user(p, dva, data, sizeof(data)), 0);
	hi.dev_id = id;
	hi.data_len = sizeof(data);
	hi.data_uptr = dva;
	ck_assert_int_eq(io(fd, IOMMU_GET_HW_INFO, &hi, sizeof(hi)), 0);
	ck_assert_uint_eq(hi.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	ck_assert_uint_eq(hi.data_len, sizeof(struct iommu_hw_info_vtd));
	ck_assert_int_eq(sim_copy_from_user(p, data, dva, sizeof(data)), 0);
	for (size_t i = sizeof(struct iommu_hw_info_vtd); i < sizeof(data); i++)
		ck_assert_msg(data[i] == 0, "byte %zu of the hw_info buffer is 0x%x", i, data[i]);
	ck_assert_uint_eq(((struct iommu_hw_info_vtd *)data)->__reserved, 0);
	/* the compat GET_INFO on an IOAS with the device attached */
	{
		struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_SET };
		struct {
			struct vfio_iommu_type1_info i;
			uint8_t caps[120];
		} gi;
		struct vfio_iommu_type1_info_cap_iova_range *r;

		v.ioas_id = ifd_ioas_alloc(fd);
		ck_assert_int_eq(io(fd, IOMMU_VFIO_IOAS, &v, sizeof(v)), 0);
		pt = v.ioas_id;
		ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
		memset(&gi, 0xaa, sizeof(gi));
		gi.i.argsz = sizeof(gi);
		ck_assert_int_eq(io(fd, VFIO_IOMMU_GET_INFO, &gi, sizeof(gi)), 0);
		ck_assert_uint_eq(gi.i.flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
		ck_assert_uint_eq(gi.i.cap_offset, sizeof(gi.i));
		ck_assert_uint_eq(gi.i.argsz, sizeof(gi.i) + 16 + 16 + 2 * 16);
		r = (void *)(gi.caps + 16);
		ck_assert_uint_eq(r->header.id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
		ck_assert_uint_eq(r->nr_iovas, 2);
		ck_assert_uint_eq(r->reserved, 0);
		ck_assert_uint_eq(r->iova_ranges[0].end, 0xfedfffff);
		ck_assert_uint_eq(((struct vfio_iommu_type1_info_dma_avail *)gi.caps)->avail, UINT32_MAX);
		ck_assert_uint_eq(((struct vfio_info_cap_header *)gi.caps)->next, sizeof(gi.i) + 16);
		ck_assert_uint_eq(r->header.next, 0);
		iommufd_device_detach(a);
	}
	iommufd_device_unbind(a);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* The fault queue's fd (iommufd_fault_fops_read / _write, fault.c): a
 * stream (pread/pwrite ESPIPE), whole records (ESPIPE for a count that is
 * no multiple of the record), an empty queue reads 0 at once, a response
 * with an unknown cookie is EINVAL, and the open fd holds the object. */
START_TEST(test_fault_queue_fd)
{
	int fd = open_path("/dev/iommu"), qfd;
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_hwpt_page_response resp = { .cookie = 7 };

	f.flags = 1;
	ck_assert_int_eq(io(fd, IOMMU_FAULT_QUEUE_ALLOC, &f, sizeof(f)), -EOPNOTSUPP);
	f.flags = 0;
	ck_assert_int_eq(io(fd, IOMMU_FAULT_QUEUE_ALLOC, &f, sizeof(f)), 0);
	ck_assert_uint_eq(f.out_fault_id, 1);
	qfd = (int)f.out_fault_fd;
	ck_assert_int_gt(qfd, fd);
	ck_assert_int_eq(sim_sys_read_k(W, PID, qfd, rec, sizeof(rec)), 0);
	ck_assert_int_eq(sim_sys_read_k(W, PID, qfd, rec, sizeof(rec[0]) - 1), -ESPIPE);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, qfd, rec, sizeof(rec), 0), -ESPIPE);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, qfd, &resp, sizeof(resp), 0), -ESPIPE);
	ck_assert_int_eq(sim_sys_write_k(W, PID, qfd, &resp, sizeof(resp) - 1), -ESPIPE);
	ck_assert_int_eq(sim_sys_write_k(W, PID, qfd, &resp, sizeof(resp)), -EINVAL);
	ck_assert_int_eq(ifd_destroy(fd, f.out_fault_id), -EBUSY);
	ck_assert_int_eq(sim_sys_close(W, PID, qfd), 0);
	ck_assert_int_eq(ifd_destroy(fd, f.out_fault_id), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* FAULT_ID_VALID on a paging HWPT (iommufd_hwpt_alloc, mainline): the
 * queue is looked up (ENOENT, no id taken) and held by the HWPT, so DESTROY
 * of the queue is EBUSY until the HWPT goes, even with its fd closed. */
START_TEST(test_hwpt_fault_id)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_device *a;
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_FAULT_ID_VALID };
	uint32_t ioas = ifd_ioas_alloc(fd), id;

	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(DEV_A), false, &a, &id), 0);
	ck_assert_int_eq(io(fd, IOMMU_FAULT_QUEUE_ALLOC, &f, sizeof(f)), 0);
	h.dev_id = id;
	h.pt_id = ioas;
	h.fault_id = 99;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), -ENOENT);
	h.fault_id = f.out_fault_id;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), 0);
	ck_assert_uint_eq(h.out_hwpt_id, f.out_fault_id + 1);   /* the failure took none */
	ck_assert_int_eq(sim_sys_close(W, PID, (int)f.out_fault_fd), 0);
	ck_assert_int_eq(ifd_destroy(fd, f.out_fault_id), -EBUSY);
	ck_assert_int_eq(ifd_destroy(fd, h.out_hwpt_id), 0);
	ck_assert_int_eq(ifd_destroy(fd, f.out_fault_id), 0);
	/* NEST_PARENT with a fault queue: EOPNOTSUPP (iommufd_hwpt_paging_alloc) */
	h.flags |= IOMMU_HWPT_ALLOC_NEST_PARENT;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), -EOPNOTSUPP);
	iommufd_device_unbind(a);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* A HWPT with a fault queue takes its device's page faults: attaching
 * enables IOPF (ENODEV without PRI on VT-d), a page request on the RID
 * goes to the queue (answered later), the detach answers it INVALID; §H23
 * names a group left for a device no longer attached. */
START_TEST(test_hwpt_fault_routing)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_device *a;
	struct pci_dev *pd = ifd_pdev(DEV_A);
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_FAULT_ID_VALID };
	uint32_t ioas = ifd_ioas_alloc(fd), id, pt;
	struct iommu_page_req r = { .rid = (uint16_t)pd->sbdf, .addr = 0x5000, .read = true,
				    .prgi = 3, .last = true };
	struct iommu_pri_state ps;
	GString *out = g_string_new(NULL);

	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), pd, false, &a, &id), 0);
	ck_assert_int_eq(io(fd, IOMMU_FAULT_QUEUE_ALLOC, &f, sizeof(f)), 0);
	h.dev_id = id;
	h.pt_id = ioas;
	h.fault_id = f.out_fault_id;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), 0);
	pt = h.out_hwpt_id;
	ck_assert_int_eq(iommufd_device_attach(a, &pt), -ENODEV);   /* no PRI */
	pd->pri = pd->ats = true;
	ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
	ck_assert_int_eq(iommu_hw_pri_state(W, 0, r.rid, &ps), 0);
	ck_assert(ps.enabled);
	ck_assert_int_eq(iommu_hw_page_request(W, &r), 0);
	ck_assert_int_eq(iommu_hw_pri_state(W, 0, r.rid, &ps), 0);
	ck_assert_uint_eq(ps.outstanding, 1);                        /* the VMM's now */
	ck_assert_int_eq(iommufd_check_invariants(W, out), 0);
	/* behind the kernel's back: the group's device looks detached */
	{
		struct iommufd_hw_pagetable *keep = a->igroup->hwpt;

		a->igroup->hwpt = NULL;
		ck_assert_int_ge(iommufd_check_invariants(W, out), 1);
		ck_assert_msg(strstr(out->str, "§H23: fault queue 3: an unread group is left for "
				     "device 2, no longer attached to a HWPT of the queue"), "%s",
			      out->str);
		a->igroup->hwpt = keep;
	}
	iommufd_device_detach(a);
	ck_assert_int_eq(iommu_hw_pri_state(W, 0, r.rid, &ps), 0);
	ck_assert_uint_eq(ps.outstanding, 0);                        /* answered INVALID */
	pd->pri = pd->ats = false;
	ck_assert_int_eq(sim_sys_close(W, PID, (int)f.out_fault_fd), 0);
	ck_assert_int_eq(ifd_destroy(fd, pt), 0);
	ck_assert_int_eq(ifd_destroy(fd, f.out_fault_id), 0);
	iommufd_device_unbind(a);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
	g_string_free(out, TRUE);
}
END_TEST

static Suite *iommufd_device_suite(void)
{
	Suite *s = suite_create("iommufd_device");
	TCase *tc = tcase_create("device");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bind_attach_dma);
	tcase_add_test(tc, test_attach_eaddrinuse);
	tcase_add_test(tc, test_share_and_replace);
	tcase_add_test(tc, test_bind_ownership);
	tcase_add_test(tc, test_copy_shares_pins);
	tcase_add_test(tc, test_account_user);
	tcase_add_test(tc, test_account_mm);
	tcase_add_test(tc, test_account_at_attach);
	tcase_add_test(tc, test_access);
	tcase_add_test(tc, test_invariants_catch);
	tcase_add_test(tc, test_fail_nth_sweeps);
	tcase_add_test(tc, test_fault_queue_fd);
	tcase_add_test(tc, test_hwpt_fault_id);
	tcase_add_test(tc, test_hwpt_fault_routing);
	tcase_add_test(tc, test_regress_destroy_while_used);
	tcase_add_test(tc, test_regress_pins_carried_over);
	tcase_add_test(tc, test_regress_domain_added_twice);
	tcase_add_test(tc, test_regress_no_uninitialised_bytes);
	tcase_add_test(tc, test_leftovers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(iommufd_device_suite());
}
