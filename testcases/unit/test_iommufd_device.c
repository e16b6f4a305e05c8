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
#include <string.h>
#include <check.h>
#include <glib.h>

#include "vfio_fixture.h"
#include "unit_common.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"

static struct pci_dev *pdev(const char *bdf)
{
	uint32_t sbdf;

	ck_assert_int_eq(pci_sbdf_parse(bdf, &sbdf), 0);
	return pci_dev_find(W, sbdf);
}

static struct iommufd_ctx *ctx_of(int fd)
{
	struct iommufd_ctx *ictx = iommufd_ctx_from_file(sim_fd_get(sim_proc_find(W, PID), fd));

	ck_assert_ptr_nonnull(ictx);
	return ictx;
}

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &a, sizeof(a)), 0);
	return a.out_ioas_id;
}

static long ioas_map(int fd, uint32_t ioas, uint64_t va, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = va, .length = len, .iova = iova,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};

	return io(fd, IOMMU_IOAS_MAP, &m, sizeof(m));
}

static long ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	return io(fd, IOMMU_IOAS_UNMAP, &u, sizeof(u));
}

static long destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return io(fd, IOMMU_DESTROY, &d, sizeof(d));
}

/* IOVA_RANGES as "start-last,..." and the alignment */
static char *ranges(int fd, uint32_t ioas, uint64_t *align)
{
	struct {
		struct iommu_ioas_iova_ranges r;
		struct iommu_iova_range a[4];
	} q = { .r = { .size = sizeof(q.r), .ioas_id = ioas, .num_iovas = 4,
		       .allowed_iovas = ARG + sizeof(q.r) } };
	GString *s = g_string_new(NULL);

	ck_assert_int_eq(io(fd, IOMMU_IOAS_IOVA_RANGES, &q, sizeof(q)), 0);
	for (unsigned i = 0; i < q.r.num_iovas; i++)
		g_string_append_printf(s, "%s0x%llx-0x%llx", i ? "," : "",
				       (unsigned long long)q.a[i].start,
				       (unsigned long long)q.a[i].last);
	*align = q.r.out_iova_alignment;
	return g_string_free(s, FALSE);
}

static int dma(const char *bdf, uint64_t addr, void *buf, size_t len, bool write)
{
	struct sim_dma op = { .addr = addr, .buf = buf, .len = len, .write = write };

	return pci_dev_dma(W, pdev(bdf), &op);
}

static struct sim_mm *mm(void)
{
	return sim_proc_find(W, PID)->mm;
}

/* The flow: IOAS, bind, attach (automatic HWPT), map, DMA lands,
 * unmap, DMA faults, detach, unbind, destroy: nothing is left pinned. */
START_TEST(test_bind_attach_dma)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_ctx *ictx = ctx_of(fd);
	struct iommufd_device *idev;
	uint32_t ioas = ioas_alloc(fd), dev_id, pt;
	char msg[] = "through iommufd", back[32] = { 0 };
	uint64_t align;
	char *r;

	ck_assert_int_eq(iommufd_device_bind(ictx, pdev(DEV_A), false, &idev, &dev_id), 0);
	ck_assert_uint_eq(dev_id, 2);
	/* bound but not attached: blocked */
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100000, 0x10000), 0);
	ck_assert_uint_eq(mm()->pinned, 0);   /* no domain: nothing pinned */
	ck_assert_int_ne(dma(DEV_A, 0x100000, msg, sizeof(msg), true), 0);
	pt = ioas;
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), 0);
	ck_assert_uint_eq(pt, 3);             /* the automatic HWPT */
	ck_assert_uint_eq(mm()->pinned, 16);  /* pinned at attach */
	ck_assert_uint_eq(mm()->pinned_vm, 16);
	r = ranges(fd, ioas, &align);
	/* the aperture and the VT-d MSI window (intel_iommu_get_resv_regions) */
	ck_assert_str_eq(r, "0x0-0xfedfffff,0xfef00000-0xffffffffffff");
	ck_assert_uint_eq(align, 0x1000);
	g_free(r);
	ck_assert_int_eq(dma(DEV_A, 0x100123, msg, sizeof(msg), true), 0);
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), back, BUF + 0x123,
					    sizeof(msg)), 0);
	ck_assert_str_eq(back, msg);
	/* the auto HWPT, the device and an IOAS with a HWPT are held */
	ck_assert_int_eq(destroy(fd, pt), -EBUSY);
	ck_assert_int_eq(destroy(fd, dev_id), -EBUSY);
	ck_assert_int_eq(destroy(fd, ioas), -EBUSY);
	ck_assert_int_eq(ioas_unmap(fd, ioas, 0x100000, 0x10000), 0);
	ck_assert_uint_eq(mm()->pinned, 0);
	ck_assert_int_ne(dma(DEV_A, 0x100123, msg, sizeof(msg), true), 0);
	iommufd_device_detach(idev);
	/* the automatic HWPT went with its last device: id 3 is free */
	ck_assert_int_eq(destroy(fd, pt), -ENOENT);
	r = ranges(fd, ioas, &align);
	ck_assert_str_eq(r, "0x0-0xffffffffffffffff");
	ck_assert_uint_eq(align, 1);
	g_free(r);
	iommufd_device_detach(idev);          /* not attached: nothing */
	iommufd_device_unbind(idev);
	ck_assert_int_eq(destroy(fd, ioas), 0);
	ck_assert_uint_eq(iommufd_ctx_objects(ictx), 0);
	ck_assert_uint_eq(mm()->pinned_vm, 0);
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
	uint32_t ioas = ioas_alloc(fd), id, pt;
	uint64_t align;
	char *r;

	ck_assert_int_eq(iommufd_device_bind(ctx_of(fd), pdev(DEV_A), false, &idev, &id), 0);
	/* a mapping off the domain's 4 KiB alignment */
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100, 0x1000), 0);
	pt = ioas;
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), -EADDRINUSE);
	ck_assert_int_eq(ioas_unmap(fd, ioas, 0x100, 0x1000), 0);
	/* a mapping over the MSI window */
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0xfee00000, 0x1000), 0);
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), -EADDRINUSE);
	ck_assert_int_eq(ioas_unmap(fd, ioas, 0xfee00000, 0x1000), 0);
	/* past the 48-bit aperture */
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 1ull << 48, 0x1000), 0);
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), -EADDRINUSE);
	ck_assert_int_eq(ioas_unmap(fd, ioas, 1ull << 48, 0x1000), 0);
	/* nothing stayed reserved, no id was used */
	r = ranges(fd, ioas, &align);
	ck_assert_str_eq(r, "0x0-0xffffffffffffffff");
	g_free(r);
	ck_assert_uint_eq(mm()->pinned, 0);
	ck_assert_int_eq(iommufd_device_attach(idev, &pt), 0);
	ck_assert_uint_eq(pt, 3);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0xfee00000, 0x1000), -EINVAL);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 1ull << 48, 0x1000), -EINVAL);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100, 0x1000), -EINVAL);
	/* a bad VA is refused at once with a domain (the pin) */
	ck_assert_int_eq(ioas_map(fd, ioas, 0x1000, 0x200000, 0x1000), -EFAULT);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x200000, 0x1000), 0);
	iommufd_device_detach(idev);
	iommufd_device_unbind(idev);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
	ck_assert_uint_eq(mm()->pinned, 0);
}
END_TEST

/* Two devices of different groups share the first automatic HWPT; it
 * lives until the last detaches.  A HWPT made by hand is never picked by
 * an IOAS attach; replace moves a group onto it and the auto HWPT left
 * with no device dies (iommufd_device_do_replace). */
START_TEST(test_share_and_replace)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_ctx *ictx = ctx_of(fd);
	struct iommufd_device *a, *b;
	uint32_t ioas = ioas_alloc(fd), ida, idb, pa, pb, manual;
	struct iommu_hwpt_alloc h = { .size = sizeof(h) };
	char x = 'x';

	ck_assert_int_eq(iommufd_device_bind(ictx, pdev(DEV_A), false, &a, &ida), 0);
	ck_assert_int_eq(iommufd_device_bind(ictx, pdev(DEV_B), false, &b, &idb), 0);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100000, 0x4000), 0);
	pa = pb = ioas;
	ck_assert_int_eq(iommufd_device_attach(a, &pa), 0);
	ck_assert_int_eq(iommufd_device_attach(b, &pb), 0);
	ck_assert_uint_eq(pa, pb);
	ck_assert_uint_eq(mm()->pinned, 4);   /* one domain, one pin per page */
	ck_assert_ptr_eq(gdomain(DEV_A), gdomain(DEV_B));
	/* a manual HWPT on the same IOAS: its own domain, the same pins */
	h.dev_id = ida;
	h.pt_id = ioas;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), 0);
	manual = h.out_hwpt_id;
	ck_assert_uint_eq(mm()->pinned, 4);
	ck_assert_int_eq(destroy(fd, manual), 0);
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
	/* A attached elsewhere: attaching it to the manual HWPT is EINVAL;
	 * replace works, and the group's DMA now goes through it */
	ck_assert_int_eq(iommufd_device_attach(a, &manual), -EINVAL);
	ck_assert_int_eq(iommufd_device_replace(a, &manual), 0);
	ck_assert_ptr_ne(gdomain(DEV_A), gdomain(DEV_B));
	ck_assert_int_eq(dma(DEV_A, 0x100000, &x, 1, true), 0);
	/* B still holds the auto HWPT; its detach destroys it */
	ck_assert_int_eq(destroy(fd, pa), -EBUSY);
	iommufd_device_detach(b);
	ck_assert_int_eq(destroy(fd, pa), -ENOENT);
	/* the manual one stays until destroyed (held while attached) */
	ck_assert_int_eq(destroy(fd, manual), -EBUSY);
	iommufd_device_detach(a);
	ck_assert_int_eq(destroy(fd, manual), 0);
	ck_assert_uint_eq(mm()->pinned, 0);
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

	ck_assert_int_eq(iommufd_device_bind(ctx_of(f1), pdev(DEV_A), false, &a, &id), 0);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_eq(iommufd_device_bind(ctx_of(f2), pdev(DEV_A), false, &x, &id), -EPERM);
	ck_assert_int_eq(iommufd_device_bind(ctx_of(f2), pdev(DEV_C), false, &x, &id), -EPERM);
	/* a failed bind takes no id */
	ck_assert_uint_eq(iommufd_ctx_objects(ctx_of(f2)), 0);
	/* the device holds the context: closing the fd keeps it alive */
	ck_assert_int_eq(sim_sys_close(W, PID, f1), 0);
	iommufd_device_unbind(a);
	ck_assert_int_eq(iommufd_device_bind(ctx_of(f2), pdev(DEV_A), false, &x, &id), 0);
	iommufd_device_unbind(x);
	ck_assert_int_eq(sim_sys_close(W, PID, f2), 0);
}
END_TEST

/* COPY shares pins (iopt_pages refcounting): a second IOAS with its own
 * domain maps the same pages without pinning or charging them again. */
START_TEST(test_copy_shares_pins)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_ctx *ictx = ctx_of(fd);
	struct iommufd_device *a, *b;
	uint32_t s = ioas_alloc(fd), d = ioas_alloc(fd), ida, idb, pa = s, pb = d;
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .dst_ioas_id = d, .src_ioas_id = s, .length = 0x8000,
		.src_iova = 0x100000, .dst_iova = 0x400000,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};
	uint64_t locked;
	char v = 'v', got = 0;

	ck_assert_int_eq(iommufd_device_bind(ictx, pdev(DEV_A), false, &a, &ida), 0);
	ck_assert_int_eq(iommufd_device_bind(ictx, pdev(DEV_B), false, &b, &idb), 0);
	ck_assert_int_eq(iommufd_device_attach(a, &pa), 0);
	ck_assert_int_eq(iommufd_device_attach(b, &pb), 0);
	ck_assert_int_eq(ioas_map(fd, s, BUF, 0x100000, 0x8000), 0);
	ck_assert_uint_eq(mm()->pinned, 8);
	locked = mm()->pinned_vm;
	ck_assert_int_eq(io(fd, IOMMU_IOAS_COPY, &c, sizeof(c)), 0);
	/* the destination's domain reads the pins the source made */
	ck_assert_uint_eq(mm()->pinned, 8);
	ck_assert_uint_eq(mm()->pinned_vm, locked);
	ck_assert_int_eq(dma(DEV_B, 0x400010, &v, 1, true), 0);
	ck_assert_int_eq(dma(DEV_A, 0x100010, &got, 1, false), 0);
	ck_assert_int_eq(got, 'v');
	ck_assert_int_eq(ioas_unmap(fd, s, 0, UINT64_MAX), 0);
	ck_assert_int_eq(dma(DEV_B, 0x400010, &got, 1, false), 0);   /* still mapped */
	ck_assert_int_eq(ioas_unmap(fd, d, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(mm()->pinned, 0);
	ck_assert_uint_eq(mm()->pinned_vm, 0);
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

	*ioas = pt = ioas_alloc(fd);
	ck_assert_int_eq(iommufd_device_bind(ctx_of(fd), pdev(bdf), false, idev, &id), 0);
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
	ck_assert_int_eq(ioas_map(f1, s1, BUF, 0x100000, 0x10000), 0);
	ck_assert_uint_eq(user_locked(0), 16);
	ck_assert_uint_eq(mm()->locked_vm, 0);
	ck_assert_uint_eq(mm()->pinned_vm, 16);
	ck_assert_int_eq(ioas_map(f1, s1, BUF + 0x10000, 0x200000, 0x1000), -ENOMEM);
	/* the other context of the same user is over the limit as well */
	ck_assert_int_eq(ioas_map(f2, s2, BUF + 0x10000, 0x200000, 0x1000), -ENOMEM);
	ck_assert_uint_eq(mm()->pinned, 16);
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
	ck_assert_int_eq(ioas_unmap(f1, s1, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(user_locked(0), 0);
	ck_assert_int_eq(ioas_map(f2, s2, BUF + 0x10000, 0x200000, 0x1000), 0);
	ck_assert_uint_eq(user_locked(0), 1);
	release(f1, a);
	release(f2, b);
	ck_assert_uint_eq(user_locked(0), 0);
	ck_assert_uint_eq(mm()->pinned_vm, 0);
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
	ioas = pt = ioas_alloc(fd);
	ck_assert_int_eq(iommufd_device_bind(ctx_of(fd), pdev(DEV_A), false, &a, &id), 0);
	ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100000, 0xc000), 0);
	ck_assert_uint_eq(mm()->locked_vm, 12);
	ck_assert_uint_eq(user_locked(0), 0);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF + 0xc000, 0x200000, 0x5000), -ENOMEM);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF + 0xc000, 0x200000, 0x4000), 0);
	ck_assert_uint_eq(mm()->locked_vm, 16);
	release(fd, a);
	ck_assert_uint_eq(mm()->locked_vm, 0);
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
	ioas = pt = ioas_alloc(fd);
	ck_assert_int_eq(iommufd_device_bind(ctx_of(fd), pdev(DEV_A), false, &a, &id), 0);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100000, 0x20000), 0);
	ck_assert_int_eq(iommufd_device_attach(a, &pt), -ENOMEM);
	ck_assert_uint_eq(mm()->pinned, 0);
	ck_assert_uint_eq(user_locked(0), 0);
	sim_proc_find(W, PID)->rlimit_memlock = 0x20000;
	ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
	ck_assert_uint_eq(user_locked(0), 32);
	release(fd, a);

	as(pid_of("carol"));
	fd = attached_ctx(DEV_A, &ioas, &a);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100000, 0x100000), 0);
	ck_assert_uint_eq(user_locked(0), 0);
	ck_assert_uint_eq(mm()->locked_vm, 0);
	ck_assert_uint_eq(mm()->pinned_vm, 256);
	release(fd, a);
	ck_assert_uint_eq(mm()->pinned_vm, 0);
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
	struct iommufd_ctx *ictx = ctx_of(fd);
	struct mock_driver m = { 0 };
	uint32_t ioas = ioas_alloc(fd), id;
	uint64_t hpas[2], hpa;
	char in[] = "via access", out[16] = { 0 };

	ck_assert_int_eq(iommufd_access_create(ictx, &mock_ops, &m, &m.access, &id), 0);
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x100000, 0x1000, hpas, 0), -ENOENT);
	ck_assert_int_eq(iommufd_access_attach(m.access, 99), -ENOENT);
	ck_assert_int_eq(iommufd_access_attach(m.access, ioas), 0);
	ck_assert_int_eq(iommufd_access_attach(m.access, ioas), -EINVAL);
	/* an access that pins makes the IOAS page aligned */
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100100, 0x100), -EINVAL);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100000, 0x2000), 0);
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x100000, 0, hpas, 0), -EINVAL);
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x100800, 0x800, hpas, 0), -EINVAL);
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x101000, 0x2000, hpas, 0), -ENOENT);
	ck_assert_uint_eq(mm()->pinned, 0);    /* the failed pins left nothing */
	ck_assert_int_eq(iommufd_access_pin_pages(m.access, 0x100000, 0x2000, hpas,
						  IOMMUFD_ACCESS_RW_WRITE), 0);
	m.iova = 0x100000;
	m.len = 0x2000;
	ck_assert_uint_eq(mm()->pinned, 2);
	ck_assert_int_eq(sim_mm_pin(mm(), BUF + 0x1000, false, &hpa), 0);
	ck_assert_uint_eq(hpa, hpas[1]);
	sim_mm_unpin_page(mm(), hpa);
	/* written through the IOAS, read from the user's buffer */
	ck_assert_int_eq(iommufd_access_rw(m.access, 0x100ffa, in, sizeof(in),
					   IOMMUFD_ACCESS_RW_WRITE), 0);
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), out, BUF + 0xffa,
					    sizeof(in)), 0);
	ck_assert_str_eq(out, in);
	ck_assert_int_eq(iommufd_access_rw(m.access, 0x101ffa, out, 16, 0), -ENOENT);
	ck_assert_int_eq(iommufd_access_rw(m.access, 0x100000, out, 0, 0), -EINVAL);
	/* destroying the IOAS is refused while the access is on it */
	ck_assert_int_eq(destroy(fd, ioas), -EBUSY);
	ck_assert_int_eq(destroy(fd, id), -EBUSY);
	/* the user unmaps: the driver is told and unpins */
	ck_assert_int_eq(ioas_unmap(fd, ioas, 0x100000, 0x2000), 0);
	ck_assert_uint_eq(m.unmaps, 1);
	ck_assert_uint_eq(mm()->pinned, 0);
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
	ck_assert_int_eq(ioas_unmap(fd, ioas, 0x200000, 0x1000), -EDEADLOCK);
	ck_assert_uint_eq(m.unmaps, 101);
	iommufd_access_unpin_pages(m.access, 0x200000, 0x1000);
	ck_assert_int_eq(ioas_unmap(fd, ioas, 0x200000, 0x1000), 0);
	ck_assert_uint_eq(mm()->pinned, 0);
	iommufd_access_detach(m.access);
	ck_assert_int_eq(destroy(fd, ioas), 0);
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
	struct iommufd_ctx *ictx = ctx_of(fd);
	struct iommufd_device *a;
	uint32_t ioas = ioas_alloc(fd), id, pt = ioas;
	struct iommufd_object *obj;
	struct iopt_area *area;
	struct iommufd_state *st = sim_world_subsys(W, SIM_SUBSYS_IOMMUFD);
	GString *v = g_string_new(NULL);

	ck_assert_int_eq(iommufd_device_bind(ictx, pdev(DEV_A), false, &a, &id), 0);
	ck_assert_int_eq(iommufd_device_attach(a, &pt), 0);
	ck_assert_int_eq(ioas_map(fd, ioas, BUF, 0x100000, 0x2000), 0);
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
	mm()->pinned_vm++;
	ck_assert_int_eq(iommufd_check_invariants(W, v), 1);
	ck_assert_ptr_nonnull(strstr(v->str, "pinned_vm 3, iommufd pins 2"));
	mm()->pinned_vm--;
	g_string_free(v, TRUE);
	iommufd_device_detach(a);
	iommufd_device_unbind(a);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(iommufd_device_suite());
}
