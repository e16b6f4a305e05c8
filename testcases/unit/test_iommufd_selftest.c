/* SPDX-License-Identifier: MIT */
/*
 * The test uAPI (model/iommufd/selftest.c, CONFIG_IOMMUFD_TEST, profile
 * `iommufd_test`): IOMMU_TEST_CMD in the table only with the key, each op's
 * errno branches in the kernel's order (drivers/iommu/iommufd/selftest.c,
 * function named in each test), the mock IOMMU's domain (sub-page pages,
 * its aperture, its table in simulated memory, HUGE_IOVA), the mock device
 * beside a PCI one, the test access behind its fd, and the selftest's
 * syzkaller bit in IOAS_COPY.  Every ioctl is followed by the §H
 * invariants (io()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <check.h>
#include <glib.h>

#include "vfio_fixture.h"
#include "iommufd_fixture.h"
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
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"
#include "iommusim/uapi/iommufd_test.h"

#define WORLD_HEAD \
	"name: selftest-unit\n" \
	"topology:\n" \
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n" \
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", driver: vfio-pci}\n"

#define AP MOCK_APERTURE_START       /* the mock's first IOVA */

static void boot_profile(const char *profile)
{
	char *yaml = g_strconcat(WORLD_HEAD, "profile: ", profile, "\n", NULL);

	boot_from(yaml, "<selftest>");
	g_free(yaml);
	as(1);
}

static void setup_612(void)
{
	boot_profile("{kernel: \"6.12\", iommufd_test: true}");
}

static long tcmd(int fd, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return io(fd, IOMMU_TEST_CMD, c, sizeof(*c));
}

static long mock_domain_flags(int fd, uint32_t pt, uint32_t dev_flags, uint32_t *stdev,
			      uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd c = {
		.op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS : IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt, .mock_domain_flags.dev_flags = dev_flags,
	};
	long ret = tcmd(fd, &c);

	if (stdev)
		*stdev = c.mock_domain.out_stdev_id;
	if (hwpt)
		*hwpt = c.mock_domain.out_hwpt_id;
	if (idev)
		*idev = c.mock_domain.out_idev_id;
	return ret;
}

static long mock_domain(int fd, uint32_t pt, uint32_t *stdev, uint32_t *hwpt, uint32_t *idev)
{
	return mock_domain_flags(fd, pt, 0, stdev, hwpt, idev);
}

static long check_map(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t uptr)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt,
				    .check_map = { .iova = iova, .length = len, .uptr = uptr } };

	return tcmd(fd, &c);
}

static long check_refs(int fd, uint64_t uptr, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS,
				    .check_refs = { .length = len, .uptr = uptr, .refs = refs } };

	return tcmd(fd, &c);
}

static long create_access(int fd, uint32_t ioas, uint32_t flags, int *afd)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
				    .create_access.flags = flags };
	long ret = tcmd(fd, &c);

	*afd = (int)c.create_access.out_access_fd;
	return ret;
}

static long access_pages(int fd, int afd, uint64_t iova, uint64_t len, uint64_t uptr,
			 uint32_t flags, uint32_t *id)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)afd,
		.access_pages = { .flags = flags, .iova = iova, .length = len, .uptr = uptr },
	};
	long ret = tcmd(fd, &c);

	if (id)
		*id = c.access_pages.out_access_pages_id;
	return ret;
}

static long access_rw(int fd, int afd, uint64_t iova, uint64_t len, uint64_t uptr,
		      uint32_t flags)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_ACCESS_RW, .id = (uint32_t)afd,
		.access_rw = { .iova = iova, .length = len, .uptr = uptr, .flags = flags },
	};

	return tcmd(fd, &c);
}

static long destroy_access_pages(int fd, int afd, uint32_t id)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, .id = (uint32_t)afd,
				    .destroy_access_pages.access_pages_id = id };

	return tcmd(fd, &c);
}

static void poke(uint64_t va, const void *data, size_t len)
{
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), va, data, len), 0);
}

/* ---- dispatch ---- */

/* iommufd_fops_ioctl with the row IOCTL_OP(IOMMU_TEST_CMD, iommufd_test,
 * struct iommu_test_cmd, last): 72 bytes, 68 the least; without
 * CONFIG_IOMMUFD_TEST 0xa0 is past the table (the VFIO compat ioctls:
 * ENOTTY), as it is on 6.2, whose test uAPI is not modelled */
START_TEST(test_dispatch)
{
	static const char *const without[] = {
		"{kernel: \"6.12\"}", "{kernel: \"6.2\", iommufd_test: true}",
		"{kernel: \"6.12\", iommufd_test: false}",
	};
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
				    .memory_limit.limit = 4096 };
	uint8_t big[80] = { 0 };
	int fd;

	for (unsigned i = 0; i < G_N_ELEMENTS(without); i++) {
		boot_profile(without[i]);
		fd = open_path("/dev/iommu");
		ck_assert_int_eq(tcmd(fd, &c), -ENOTTY);
		ck_assert(!iommufd_test_enabled(W));
		teardown();
	}
	setup_612();
	fd = open_path("/dev/iommu");
	ck_assert(iommufd_test_enabled(W));
	ck_assert_int_eq(tcmd(fd, &c), 0);
	ck_assert_uint_eq(((struct iommufd_state *)sim_world_subsys(W, SIM_SUBSYS_IOMMUFD))
			  ->test_memory_limit, 4096);
	c.size = 64;     /* offsetofend(last) is 68 */
	ck_assert_int_eq(io(fd, IOMMU_TEST_CMD, &c, sizeof(c)), -EINVAL);
	c.size = 68;
	ck_assert_int_eq(io(fd, IOMMU_TEST_CMD, &c, sizeof(c)), 0);
	/* a longer struct with a non-zero tail */
	memcpy(big, &c, sizeof(c));
	((struct iommu_test_cmd *)big)->size = sizeof(big);
	big[76] = 1;
	ck_assert_int_eq(io(fd, IOMMU_TEST_CMD, big, sizeof(big)), -E2BIG);
	big[76] = 0;
	ck_assert_int_eq(io(fd, IOMMU_TEST_CMD, big, sizeof(big)), 0);
	/* the op: unknown, and the ones of later kernels */
	c.op = 0;
	ck_assert_int_eq(tcmd(fd, &c), -EOPNOTSUPP);
	c.op = 99;
	ck_assert_int_eq(tcmd(fd, &c), -EOPNOTSUPP);
	c.op = IOMMU_TEST_OP_DEV_CHECK_CACHE;           /* 6.13 */
	ck_assert_int_eq(tcmd(fd, &c), -EOPNOTSUPP);
	c.op = IOMMU_TEST_OP_TRIGGER_VEVENT;            /* 6.14 */
	ck_assert_int_eq(tcmd(fd, &c), -EOPNOTSUPP);
	c.op = IOMMU_TEST_OP_PASID_ATTACH;              /* 6.15 */
	ck_assert_int_eq(tcmd(fd, &c), -EOPNOTSUPP);
	/* the gap below 0xa0 and what lies past it */
	ck_assert_int_eq(ioc(fd, _IO(IOMMUFD_TYPE, 0x8f), ARG), -ENOTTY);
	ck_assert_int_eq(ioc(fd, _IO(IOMMUFD_TYPE, 0x9f), ARG), -ENOTTY);
	ck_assert_int_eq(ioc(fd, _IO(IOMMUFD_TYPE, 0xa1), ARG), -ENOTTY);
	/* SET_TEMP_MEMORY_LIMIT: one batch element (a pfn and a count) at least */
	c.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT;
	c.memory_limit.limit = 11;
	ck_assert_int_eq(tcmd(fd, &c), -EINVAL);
	c.memory_limit.limit = 12;
	ck_assert_int_eq(tcmd(fd, &c), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* ---- ADD_RESERVED ---- */

/* iommufd_test_add_reserved: length 0 EINVAL and a wrap EOVERFLOW before
 * the IOAS (ENOENT, for another object's id too); iopt_reserve_iova's
 * EADDRINUSE over a mapping or an allowed range; the reservation stays out
 * of IOVA_RANGES, automatic IOVAs and FIXED maps */
START_TEST(test_add_reserved)
{
	int fd = open_path("/dev/iommu");
	uint32_t ioas = ifd_ioas_alloc(fd), stdev;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ADD_RESERVED, .id = ioas };
	struct iommu_iova_range allow = { .start = 0x400000, .last = 0x4fffff };
	struct iommu_ioas_allow_iovas q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = 1,
					    .allowed_iovas = BUF };
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = BUF, .length = 0x1000,
		.flags = IOMMU_IOAS_MAP_READABLE,
	};
	uint64_t align;
	char *r;

	ck_assert_int_eq(tcmd(fd, &c), -EINVAL);
	c.add_reserved.start = ~0ull;
	c.add_reserved.length = 2;
	ck_assert_int_eq(tcmd(fd, &c), -EOVERFLOW);
	c.add_reserved.start = 0x100000;
	c.add_reserved.length = 0x100000;
	c.id = 99;
	ck_assert_int_eq(tcmd(fd, &c), -ENOENT);
	ck_assert_int_eq(mock_domain(fd, ioas, &stdev, NULL, NULL), 0);
	c.id = stdev;                                   /* not an IOAS */
	ck_assert_int_eq(tcmd(fd, &c), -ENOENT);
	ck_assert_int_eq(ifd_destroy(fd, stdev), 0);
	c.id = ioas;
	ck_assert_int_eq(tcmd(fd, &c), 0);
	r = ifd_ranges(fd, ioas, &align);
	ck_assert_str_eq(r, "0x0-0xfffff,0x200000-0xffffffffffffffff");
	ck_assert_uint_eq(align, 1);
	g_free(r);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x180000, 0x1000), -EINVAL);
	/* an automatic IOVA goes round it */
	ck_assert_int_eq(io(fd, IOMMU_IOAS_MAP, &m, sizeof(m)), 0);
	ck_assert_uint_eq(m.iova, 0x1000);
	c.add_reserved.start = 0x1000;
	c.add_reserved.length = 0x1000;
	ck_assert_int_eq(tcmd(fd, &c), -EADDRINUSE);
	/* over an allowed range, and an allowed range over it */
	poke(BUF, &allow, sizeof(allow));
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOW_IOVAS, &q, sizeof(q)), 0);
	c.add_reserved.start = 0x4ff000;
	c.add_reserved.length = 0x2000;
	ck_assert_int_eq(tcmd(fd, &c), -EADDRINUSE);
	allow = (struct iommu_iova_range){ .start = 0x100000, .last = 0x2fffff };
	poke(BUF, &allow, sizeof(allow));
	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOW_IOVAS, &q, sizeof(q)), -EADDRINUSE);
	/* reservations may overlap one another; unmapping all leaves them */
	c.add_reserved.start = 0x180000;
	c.add_reserved.length = 0x100000;
	ck_assert_int_eq(tcmd(fd, &c), 0);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0, ~0ull), 0);
	r = ifd_ranges(fd, ioas, &align);
	ck_assert_str_eq(r, "0x0-0xfffff,0x280000-0xffffffffffffffff");
	g_free(r);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* ---- MOCK_DOMAIN ---- */

/* iommufd_test_mock_domain: ids in the order selftest object, device,
 * automatic HWPT; the mock's aperture and 2 KiB pages in the IOAS; the
 * errors of mock_dev_create (EINVAL) and iommufd_device_attach (ENOENT,
 * EINVAL) take no id; DESTROY of the selftest object takes it all away */
START_TEST(test_mock_domain)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_ctx *ictx = ifd_ctx(fd);
	uint32_t ioas = ifd_ioas_alloc(fd), stdev, hwpt, idev, stdev2, hwpt2;
	uint64_t align;
	char *r;

	ck_assert_int_eq(mock_domain(fd, 99, NULL, NULL, NULL), -ENOENT);
	ck_assert_int_eq(mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_PASID, NULL, NULL, NULL),
			 -EINVAL);                      /* 6.15's flag */
	ck_assert_int_eq(mock_domain_flags(fd, ioas, 1u << 7, NULL, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(iommufd_ctx_objects(ictx), 1);
	ck_assert_int_eq(mock_domain(fd, ioas, &stdev, &hwpt, &idev), 0);
	ck_assert_uint_eq(stdev, 2);
	ck_assert_uint_eq(idev, 3);
	ck_assert_uint_eq(hwpt, 4);
	r = ifd_ranges(fd, ioas, &align);
	ck_assert_str_eq(r, "0x1000000-0x7fffffff");
	ck_assert_uint_eq(align, 0x800);
	g_free(r);
	/* a mapping outside the aperture, and off the 2 KiB pages */
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x800000, 0x1000), -EINVAL);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, AP + 0x400, 0x800), -EINVAL);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF + 0x800, AP + 0x800, 0x800), 0);
	/* a second mock device gets a domain of its own: the first auto HWPT
	 * takes it too (the same driver) */
	ck_assert_int_eq(mock_domain(fd, ioas, &stdev2, &hwpt2, NULL), 0);
	ck_assert_uint_eq(hwpt2, hwpt);
	ck_assert_int_eq(ifd_destroy(fd, stdev2), 0);
	/* the device is held by its selftest object, the HWPT by the device */
	ck_assert_int_eq(ifd_destroy(fd, idev), -EBUSY);
	ck_assert_int_eq(ifd_destroy(fd, hwpt), -EBUSY);
	ck_assert_int_eq(ifd_destroy(fd, ioas), -EBUSY);
	ck_assert_int_eq(mock_domain(fd, idev, NULL, NULL, NULL), -EINVAL);   /* a device */
	ck_assert_int_eq(ifd_destroy(fd, stdev), 0);
	/* the automatic HWPT went with its last device; the IOAS is as before */
	ck_assert_int_eq(ifd_destroy(fd, hwpt), -ENOENT);
	r = ifd_ranges(fd, ioas, &align);
	ck_assert_str_eq(r, "0x0-0xffffffffffffffff");
	ck_assert_uint_eq(align, 1);
	g_free(r);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, AP + 0x800, 0x800), 0);
	ck_assert_int_eq(ifd_destroy(fd, ioas), 0);
	ck_assert_uint_eq(iommufd_ctx_objects(ictx), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* The mock device beside a PCI function (iommufd_device_bind): neither
 * driver's domain goes to the other's devices (__iommu_attach_group:
 * EINVAL), so each gets an automatic HWPT of its own on a shared IOAS;
 * the mock's aperture holds the PCI domain's mappings back too */
START_TEST(test_mock_beside_pci)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_device *pci;
	uint32_t ioas = ifd_ioas_alloc(fd), id, pt = ioas, stdev, mhwpt, midev;
	struct iommu_test_cmd rep = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	uint64_t align;
	char *r;

	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(DEV_A), false, &pci, &id), 0);
	ck_assert_int_eq(iommufd_device_attach(pci, &pt), 0);
	ck_assert_int_eq(mock_domain(fd, ioas, &stdev, &mhwpt, &midev), 0);
	ck_assert_uint_ne(mhwpt, pt);
	r = ifd_ranges(fd, ioas, &align);
	/* the MSI window lies above the mock's aperture */
	ck_assert_str_eq(r, "0x1000000-0x7fffffff");
	ck_assert_uint_eq(align, 0x1000);    /* the larger of the two domains' pages */
	g_free(r);
	/* the PCI HWPT is not the mock's to take, nor the mock's HWPT the PCI one's */
	ck_assert_int_eq(mock_domain(fd, pt, NULL, NULL, NULL), -EINVAL);
	rep.id = stdev;
	rep.mock_domain_replace.pt_id = pt;
	ck_assert_int_eq(tcmd(fd, &rep), -EINVAL);
	{
		uint32_t to = mhwpt;

		ck_assert_int_eq(iommufd_device_replace(pci, &to), -EINVAL);
	}
	/* GET_HW_INFO: the mock IOMMU's data for its device */
	{
		struct iommu_test_hw_info info;
		struct iommu_hw_info h = { .size = sizeof(h), .dev_id = midev,
					   .data_len = sizeof(info), .data_uptr = BUF };

		ck_assert_int_eq(io(fd, IOMMU_GET_HW_INFO, &h, sizeof(h)), 0);
		ck_assert_uint_eq(h.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
		ck_assert_uint_eq(h.data_len, 8);
		ck_assert_uint_eq(h.out_capabilities, 0);
		ck_assert_uint_eq(h.out_max_pasid_log2, 0);
		ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), &info, BUF,
						    sizeof(info)), 0);
		ck_assert_uint_eq(info.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
		ck_assert_uint_eq(info.flags, 0);
	}
	ck_assert_int_eq(ifd_destroy(fd, stdev), 0);
	iommufd_device_detach(pci);
	iommufd_device_unbind(pci);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* HWPT_ALLOC for a mock device (mock_domain_alloc_user through
 * iommufd_hwpt_paging_alloc), and iommufd_test_mock_domain_replace:
 * ENOENT for anything but a selftest object, pt_id back as the new HWPT */
START_TEST(test_hwpt_alloc_and_replace)
{
	int fd = open_path("/dev/iommu");
	uint32_t ioas = ifd_ioas_alloc(fd), ioas2 = ifd_ioas_alloc(fd), stdev, hwpt, idev;
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .pt_id = ioas };
	struct iommu_test_cmd rep = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };

	ck_assert_int_eq(mock_domain(fd, ioas, &stdev, &hwpt, &idev), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, AP, 0x4000), 0);
	a.dev_id = idev;
	/* the mock's devices say they cannot track dirty pages here */
	a.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &a, sizeof(a)), -EOPNOTSUPP);
	a.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &a, sizeof(a)), 0);
	ck_assert_int_eq(check_map(fd, a.out_hwpt_id, AP, 0x4000, BUF), 0);
	ck_assert_int_eq(check_refs(fd, BUF, 0x4000, 1), 0);   /* one pin for both domains */
	rep.id = idev;                  /* a device, not the selftest object */
	rep.mock_domain_replace.pt_id = a.out_hwpt_id;
	ck_assert_int_eq(tcmd(fd, &rep), -ENOENT);
	rep.id = stdev;
	rep.mock_domain_replace.pt_id = 99;
	ck_assert_int_eq(tcmd(fd, &rep), -ENOENT);
	rep.mock_domain_replace.pt_id = a.out_hwpt_id;
	ck_assert_int_eq(tcmd(fd, &rep), 0);
	ck_assert_uint_eq(rep.mock_domain_replace.pt_id, a.out_hwpt_id);
	/* the automatic HWPT went with its last device */
	ck_assert_int_eq(ifd_destroy(fd, hwpt), -ENOENT);
	/* to another IOAS: a new automatic HWPT, at the id the old one freed */
	rep.mock_domain_replace.pt_id = ioas2;
	ck_assert_int_eq(tcmd(fd, &rep), 0);
	ck_assert_uint_eq(rep.mock_domain_replace.pt_id, hwpt);
	ck_assert_int_eq(ifd_destroy(fd, a.out_hwpt_id), 0);
	ck_assert_int_eq(ifd_destroy(fd, stdev), 0);
	ck_assert_uint_eq(iommufd_ctx_objects(ifd_ctx(fd)), 2);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
}
END_TEST

/* ---- MD_CHECK_MAP, MD_CHECK_REFS ---- */

/* iommufd_test_md_check_pa: the arguments' 2 KiB alignment and a wrapping
 * uptr (EINVAL) before the HWPT (ENOENT; another driver's EINVAL), then
 * per 2 KiB: a user page (EFAULT), the mock's slot (EINVAL) */
START_TEST(test_check_map)
{
	int fd = open_path("/dev/iommu");
	struct iommufd_device *pci;
	uint32_t ioas = ifd_ioas_alloc(fd), stdev, hwpt, id, pt;
	uint8_t ones[0x3000];

	memset(ones, 1, sizeof(ones));
	poke(BUF, ones, sizeof(ones));
	ck_assert_int_eq(mock_domain(fd, ioas, &stdev, &hwpt, NULL), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF + 0x800, AP + 0x800, 0x2000), 0);
	ck_assert_int_eq(check_map(fd, hwpt, AP + 0x800, 0x2000, BUF + 0x800), 0);
	ck_assert_int_eq(check_map(fd, hwpt, AP + 0x1000, 0x800, BUF + 0x1000), 0);
	ck_assert_int_eq(check_map(fd, hwpt, AP, 0, BUF), 0);          /* nothing to compare */
	ck_assert_int_eq(check_map(fd, hwpt, AP + 0x400, 0x800, BUF), -EINVAL);
	ck_assert_int_eq(check_map(fd, hwpt, AP + 0x800, 0x400, BUF), -EINVAL);
	ck_assert_int_eq(check_map(fd, hwpt, AP + 0x800, 0x800, BUF + 1), -EINVAL);
	ck_assert_int_eq(check_map(fd, hwpt, AP, 0x800, ~0ull & ~0x7ffull), -EINVAL);
	ck_assert_int_eq(check_map(fd, 99, AP + 0x800, 0x800, BUF + 0x800), -ENOENT);
	ck_assert_int_eq(check_map(fd, ioas, AP + 0x800, 0x800, BUF + 0x800), -ENOENT);
	/* another user page, an IOVA not mapped, a user page not mapped */
	ck_assert_int_eq(check_map(fd, hwpt, AP + 0x800, 0x800, BUF + 0x1000), -EINVAL);
	ck_assert_int_eq(check_map(fd, hwpt, AP, 0x800, BUF), -EINVAL);
	ck_assert_int_eq(check_map(fd, hwpt, AP + 0x800, 0x800, 0x1000), -EFAULT);
	/* a HWPT of the simulated IOMMU */
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev(DEV_A), false, &pci, &id), 0);
	pt = ioas;
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, AP + 0x800, 0x2000), 0);
	ck_assert_int_eq(iommufd_device_attach(pci, &pt), 0);
	ck_assert_int_eq(check_map(fd, pt, AP, 0x800, BUF), -EINVAL);
	ck_assert_int_eq(check_map(fd, pt, AP + 0x400, 0x800, BUF), -EINVAL);   /* args first */
	/* unmapped: the mock's slots are empty again */
	ck_assert_int_eq(check_map(fd, hwpt, AP + 0x800, 0x800, BUF + 0x800), -EINVAL);
	iommufd_device_detach(pci);
	iommufd_device_unbind(pci);
	ck_assert_int_eq(ifd_destroy(fd, stdev), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* The mock domain's table: sub-page runs, 1 MiB pages for a HUGE_IOVA
 * device (MOCK_FLAGS_DEVICE_HUGE_IOVA: the largest pages iommu_pgsize
 * allows), iova_to_phys through the hook, and a map that fails at the
 * mock's own failure point (ENOENT) leaving nothing mapped or pinned */
START_TEST(test_mock_table)
{
	int fd = open_path("/dev/iommu");
	uint32_t ioas = ifd_ioas_alloc(fd), stdev, hwpt;
	struct iommufd_hw_pagetable *h;
	uint64_t hpa, big = ualloc(PID, 4 << 20), base;
	unsigned prot;

	ck_assert_int_eq(mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA, &stdev, &hwpt,
					   NULL), 0);
	h = (struct iommufd_hw_pagetable *)sim_ids_find(&ifd_ctx(fd)->objects, hwpt);
	ck_assert_uint_eq(h->domain->pgsize_bitmap, 0x800 | 0x100000);
	ck_assert_int_eq(iommu_iova_to_phys(h->domain, AP, &hpa, &prot), -ENOENT);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, big, 0x2000000, 4 << 20), 0);
	ck_assert_int_eq(check_map(fd, hwpt, 0x2000000, 4 << 20, big), 0);
	ck_assert_int_eq(iommu_iova_to_phys(h->domain, 0x2000000 + 0x1234, &hpa, &prot), 0);
	ck_assert_uint_eq(prot, IOMMU_READ | IOMMU_WRITE);
	ck_assert_int_eq(sim_mm_pin(ifd_mm(), big + 0x1000, false, &base), 0);
	sim_mm_unpin_page(ifd_mm(), base);
	ck_assert_uint_eq(hpa, base + 0x234);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0x2000000, 4 << 20), 0);
	ck_assert_int_eq(check_map(fd, hwpt, 0x2000000, 0x800, big), -EINVAL);
	/* the mock's failure point: nothing stays */
	sim_fault_fail_nth(W, "mock_domain_map", 1);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, AP, 0x4000), -ENOENT);
	sim_fault_fail_nth(W, "mock_domain_map", 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	ck_assert_int_eq(check_map(fd, hwpt, AP, 0x800, BUF), -EINVAL);
	/* a table frame that cannot be had: ENOMEM, nothing left */
	sim_fault_fail_nth(W, "mem_frame_alloc", 1);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x40000000, 0x4000), -ENOMEM);
	sim_fault_fail_nth(W, "mem_frame_alloc", 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x40000000, 0x4000), 0);
	ck_assert_int_eq(check_map(fd, hwpt, 0x40000000, 0x4000, BUF), 0);
	ck_assert_int_eq(ifd_destroy(fd, stdev), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
}
END_TEST

/* iommufd_test_md_check_refs: page alignment and wrap (EINVAL), a page not
 * mapped (EFAULT), another count (EIO); iommufd pins a page once per user
 * range, however many domains and COPYs share it, and once more for
 * another IOAS_MAP of the same memory */
START_TEST(test_check_refs)
{
	int fd = open_path("/dev/iommu");
	uint32_t ioas = ifd_ioas_alloc(fd), ioas2 = ifd_ioas_alloc(fd), s1, s2;
	struct iommu_ioas_copy cp = {
		.size = sizeof(cp), .dst_ioas_id = ioas2, .src_ioas_id = ioas, .length = 0x2000,
		.dst_iova = 0x3000000, .src_iova = AP,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
	};

	ck_assert_int_eq(check_refs(fd, BUF + 1, 0x1000, 0), -EINVAL);
	ck_assert_int_eq(check_refs(fd, BUF, 0x800, 0), -EINVAL);
	ck_assert_int_eq(check_refs(fd, ~0ull & SIM_PAGE_MASK, 0x2000, 0), -EINVAL);
	ck_assert_int_eq(check_refs(fd, 0x1000, 0x1000, 0), -EFAULT);
	ck_assert_int_eq(check_refs(fd, BUF, 0x2000, 0), 0);      /* never touched */
	ck_assert_int_eq(check_refs(fd, BUF, 0x2000, 1), -EIO);
	ck_assert_int_eq(mock_domain(fd, ioas, &s1, NULL, NULL), 0);
	ck_assert_int_eq(mock_domain(fd, ioas2, &s2, NULL, NULL), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, AP, 0x2000), 0);
	ck_assert_int_eq(check_refs(fd, BUF, 0x2000, 1), 0);
	ck_assert_int_eq(io(fd, IOMMU_IOAS_COPY, &cp, sizeof(cp)), 0);
	ck_assert_int_eq(check_refs(fd, BUF, 0x2000, 1), 0);      /* the same pins */
	ck_assert_int_eq(ifd_ioas_map(fd, ioas2, BUF, 0x4000000, 0x1000), 0);
	ck_assert_int_eq(check_refs(fd, BUF, 0x1000, 2), 0);      /* its own pin */
	ck_assert_int_eq(check_refs(fd, BUF + 0x1000, 0x1000, 1), 0);
	ck_assert_int_eq(check_refs(fd, BUF, 0x2000, 2), -EIO);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0, ~0ull), 0);
	/* the copy holds the first pins, the second map its own */
	ck_assert_int_eq(check_refs(fd, BUF, 0x1000, 2), 0);
	ck_assert_int_eq(check_refs(fd, BUF + 0x1000, 0x1000, 1), 0);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas2, 0, ~0ull), 0);
	ck_assert_int_eq(check_refs(fd, BUF, 0x2000, 0), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* ---- the access ---- */

/* iommufd_test_create_access: flags EOPNOTSUPP, the IOAS ENOENT (no fd
 * left behind, no id taken), an fd close-on-exec; the access pins only
 * with NEEDS_PIN_PAGES, and then the IOAS is page aligned (EADDRINUSE for
 * an area off it); closing the fd destroys the access */
START_TEST(test_create_access)
{
	int fd = open_path("/dev/iommu"), afd, nfds;
	struct sim_proc *p = sim_proc_find(W, PID);
	struct iommufd_ctx *ictx = ifd_ctx(fd);
	uint32_t ioas = ifd_ioas_alloc(fd), stdev;

	nfds = sim_fd_count(p);
	ck_assert_int_eq(create_access(fd, ioas, 2, &afd), -EOPNOTSUPP);
	ck_assert_int_eq(create_access(fd, 99, 0, &afd), -ENOENT);
	ck_assert_int_eq(sim_fd_count(p), nfds);
	ck_assert_uint_eq(iommufd_ctx_objects(ictx), 1);
	/* a 2 KiB-aligned area: a pinning access cannot join */
	ck_assert_int_eq(mock_domain(fd, ioas, &stdev, NULL, NULL), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF + 0x800, AP + 0x800, 0x800), 0);
	ck_assert_int_eq(create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd),
			 -EADDRINUSE);
	ck_assert_int_eq(sim_fd_count(p), nfds);
	ck_assert_int_eq(create_access(fd, ioas, 0, &afd), 0);     /* one that does not pin */
	ck_assert_int_eq(sim_fd_count(p), nfds + 1);
	ck_assert(p->fds[afd].cloexec);
	ck_assert_str_eq(p->fds[afd].file->ops->name, "[iommufd_test_staccess]");
	ck_assert_int_eq(access_pages(fd, afd, AP + 0x800, 0x800, 0, 0, NULL), -EOPNOTSUPP);
	/* no ioctl, read or write of its own */
	ck_assert_int_eq(ioc(afd, IOMMU_TEST_CMD, ARG), -ENOTTY);
	{
		uint64_t word;

		ck_assert_int_eq(sim_sys_read_k(W, PID, afd, &word, 8), -EINVAL);
	}
	/* the access holds the IOAS; the fd, the access */
	ck_assert_int_eq(ifd_destroy(fd, ioas), -EBUSY);
	ck_assert_int_eq(ifd_destroy(fd, 3), -EBUSY);                 /* the ACCESS object */
	ck_assert_int_eq(sim_sys_close(W, PID, afd), 0);
	ck_assert_int_eq(ifd_destroy(fd, stdev), 0);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, 0, ~0ull), 0);
	ck_assert_int_eq(ifd_destroy(fd, ioas), 0);
	ck_assert_uint_eq(iommufd_ctx_objects(ictx), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* iommufd_test_access_pages: 16 MiB (ENOMEM), flags (EOPNOTSUPP), the fd
 * (EBADFD: none, or another file), iommufd_access_pin_pages (ENOENT,
 * EINVAL, EPERM), the uptr check (EBADE, EFAULT); ids from 0; an unmap
 * over the pins calls the access's unmap op (iommufd_test_access_unmap),
 * which unpins; DESTROY_ACCESS_PAGES by id (EBADFD, ENOENT) */
START_TEST(test_access_pages)
{
	int fd = open_path("/dev/iommu"), afd;
	uint32_t ioas = ifd_ioas_alloc(fd), id0, id1, stdev, hwpt;
	const uint32_t pin = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;

	ck_assert_int_eq(mock_domain(fd, ioas, &stdev, &hwpt, NULL), 0);
	ck_assert_int_eq(create_access(fd, ioas, pin, &afd), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, AP, 0x4000), 0);
	ck_assert_int_eq(ifd_ioas_map_flags(fd, ioas, BUF + 0x8000, AP + 0x8000, 0x1000,
					IOMMU_IOAS_MAP_READABLE), 0);
	ck_assert_int_eq(access_pages(fd, afd, AP, (16 << 20) + 1, 0, 0, NULL), -ENOMEM);
	ck_assert_int_eq(access_pages(fd, afd, AP, 0x1000, 0, 1u << 1, NULL), -EOPNOTSUPP);
	ck_assert_int_eq(access_pages(fd, 77, AP, 0x1000, 0, 0, NULL), -EBADFD);
	ck_assert_int_eq(access_pages(fd, fd, AP, 0x1000, 0, 0, NULL), -EBADFD);
	ck_assert_int_eq(access_pages(fd, afd, AP, 0, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(access_pages(fd, afd, AP + 0x800, 0x800, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(access_pages(fd, afd, AP + 0x4000, 0x1000, 0, 0, NULL), -ENOENT);
	ck_assert_int_eq(access_pages(fd, afd, AP + 0x8000, 0x1000, 0, MOCK_FLAGS_ACCESS_WRITE,
				      NULL), -EPERM);
	ck_assert_int_eq(access_pages(fd, afd, AP, 0x1000, BUF + 0x1000, 0, NULL), -EBADE);
	ck_assert_int_eq(access_pages(fd, afd, AP, 0x1000, 0x1000, 0, NULL), -EFAULT);
	ck_assert_int_eq(check_refs(fd, BUF, 0x4000, 1), 0);      /* the failures left nothing */
	ck_assert_int_eq(access_pages(fd, afd, AP, 0x2000, BUF, MOCK_FLAGS_ACCESS_WRITE, &id0), 0);
	ck_assert_uint_eq(id0, 0);
	ck_assert_int_eq(access_pages(fd, afd, AP + 0x2000, 0x800, BUF + 0x2000, 0, &id1), 0);
	ck_assert_uint_eq(id1, 1);
	ck_assert_int_eq(check_refs(fd, BUF, 0x4000, 1), 0);      /* shared with the domain */
	ck_assert_int_eq(destroy_access_pages(fd, 77, id0), -EBADFD);
	ck_assert_int_eq(destroy_access_pages(fd, afd, 5), -ENOENT);
	ck_assert_int_eq(destroy_access_pages(fd, afd, id0), 0);
	ck_assert_int_eq(destroy_access_pages(fd, afd, id0), -ENOENT);
	/* the user unmaps under the access's last pin: it is told, unpins, and
	 * the unmap goes through */
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas, AP, 0x4000), 0);
	ck_assert_int_eq(destroy_access_pages(fd, afd, id1), -ENOENT);
	ck_assert_int_eq(check_refs(fd, BUF, 0x4000, 0), 0);
	/* pins without a domain: the access alone holds the pages */
	ck_assert_int_eq(ifd_destroy(fd, stdev), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, AP, 0x2000), 0);
	ck_assert_int_eq(access_pages(fd, afd, AP, 0x2000, BUF, 0, &id0), 0);
	ck_assert_uint_eq(id0, 2);
	ck_assert_int_eq(check_refs(fd, BUF, 0x2000, 1), 0);
	/* closing the fd unpins and destroys it */
	ck_assert_int_eq(sim_sys_close(W, PID, afd), 0);
	ck_assert_int_eq(check_refs(fd, BUF, 0x2000, 0), 0);
	ck_assert_uint_eq(iommufd_ctx_objects(ifd_ctx(fd)), 1);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
}
END_TEST

/* iommufd_test_access_rw: 16 MiB (ENOMEM), flags (EOPNOTSUPP), the fd
 * (EBADFD), a write's source (EFAULT) before iommufd_access_rw (EINVAL,
 * ENOENT, EPERM), a read's destination (EFAULT) after; SLOW_PATH moves the
 * same bytes */
START_TEST(test_access_rw)
{
	int fd = open_path("/dev/iommu"), afd;
	uint32_t ioas = ifd_ioas_alloc(fd);
	char msg[] = "through the access", back[32] = { 0 };
	uint64_t src = BUF + 0x10000, dst = BUF + 0x20000;

	ck_assert_int_eq(create_access(fd, ioas, 0, &afd), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x2000), 0);
	ck_assert_int_eq(ifd_ioas_map_flags(fd, ioas, BUF + 0x4000, 0x200000, 0x1000,
					IOMMU_IOAS_MAP_READABLE), 0);
	poke(src, msg, sizeof(msg));
	ck_assert_int_eq(access_rw(fd, afd, 0x100000, (16 << 20) + 1, src, 0), -ENOMEM);
	ck_assert_int_eq(access_rw(fd, afd, 0x100000, 4, src, 1u << 1), -EOPNOTSUPP);
	ck_assert_int_eq(access_rw(fd, fd, 0x100000, 4, src, 0), -EBADFD);
	ck_assert_int_eq(access_rw(fd, afd, 0x100000, 4, 0x1000, MOCK_ACCESS_RW_WRITE), -EFAULT);
	ck_assert_int_eq(access_rw(fd, afd, 0x100000, 0, src, 0), -EINVAL);
	ck_assert_int_eq(access_rw(fd, afd, 0x1ffffc, 8, src, 0), -ENOENT);
	ck_assert_int_eq(access_rw(fd, afd, 0x200000, 4, src, MOCK_ACCESS_RW_WRITE), -EPERM);
	ck_assert_int_eq(access_rw(fd, afd, 0x100ff8, sizeof(msg), src, MOCK_ACCESS_RW_WRITE), 0);
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), back, BUF + 0xff8,
					    sizeof(msg)), 0);
	ck_assert_str_eq(back, msg);
	ck_assert_int_eq(access_rw(fd, afd, 0x100ff8, sizeof(msg), dst,
				   MOCK_ACCESS_RW_SLOW_PATH), 0);
	memset(back, 0, sizeof(back));
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), back, dst, sizeof(msg)), 0);
	ck_assert_str_eq(back, msg);
	ck_assert_int_eq(access_rw(fd, afd, 0x100ff8, 4, 0x1000, 0), -EFAULT);
	ck_assert_int_eq(sim_sys_close(W, PID, afd), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* iommufd_test_access_replace_ioas (iommufd_access_replace), the fd's
 * hold on the context (closing /dev/iommu first), and the syzkaller bit:
 * ACCESS_PAGES / ACCESS_RW read the IOVA as (nth area, offset), IOAS_COPY
 * strips 1 << 16 and reads its source IOVA so (iommufd_test_syz_conv_iova_id),
 * and only with the test uAPI */
START_TEST(test_replace_and_syz)
{
	int fd = open_path("/dev/iommu"), afd;
	uint32_t ioas = ifd_ioas_alloc(fd), ioas2 = ifd_ioas_alloc(fd), id;
	struct iommu_test_cmd rep = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS };
	struct iommu_ioas_copy cp = {
		.size = sizeof(cp), .dst_ioas_id = ioas2, .src_ioas_id = ioas, .length = 0x1000,
		.dst_iova = 0x700000, .src_iova = 1ull | 0x1000ull << 32,    /* area 1, + 4K */
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | MOCK_FLAGS_ACCESS_SYZ,
	};
	char msg[] = "nth area", back[16] = { 0 };

	ck_assert_int_eq(create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd),
			 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x1000), 0);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF + 0x10000, 0x300000, 0x3000), 0);
	/* area 1 at 4 KiB: 0x301000 */
	ck_assert_int_eq(access_pages(fd, afd, 1ull | 0x1000ull << 32, 0x1000, BUF + 0x11000,
				      MOCK_FLAGS_ACCESS_SYZ, &id), 0);
	ck_assert_int_eq(check_refs(fd, BUF + 0x11000, 0x1000, 1), 0);
	/* no third area: IOVA 0 */
	ck_assert_int_eq(access_pages(fd, afd, 2, 0x1000, 0, MOCK_FLAGS_ACCESS_SYZ, NULL),
			 -ENOENT);
	poke(BUF + 0x80000, msg, sizeof(msg));
	ck_assert_int_eq(access_rw(fd, afd, 1ull | 0x2000ull << 32, sizeof(msg), BUF + 0x80000,
				   MOCK_ACCESS_RW_WRITE | MOCK_FLAGS_ACCESS_SYZ), 0);
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), back, BUF + 0x12000,
					    sizeof(msg)), 0);
	ck_assert_str_eq(back, msg);
	ck_assert_int_eq(io(fd, IOMMU_IOAS_COPY, &cp, sizeof(cp)), 0);
	/* the answer carries the flags and IOVA as the kernel used them */
	ck_assert_uint_eq(cp.flags, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	ck_assert_uint_eq(cp.src_iova, 0x301000);
	ck_assert_int_eq(ifd_ioas_unmap(fd, ioas2, 0x700000, 0x1000), 0);
	/* ACCESS_REPLACE_IOAS: the fd (EBADFD), the IOAS (ENOENT) */
	rep.id = (uint32_t)fd;
	rep.access_replace_ioas.ioas_id = ioas2;
	ck_assert_int_eq(tcmd(fd, &rep), -EBADFD);
	rep.id = (uint32_t)afd;
	rep.access_replace_ioas.ioas_id = 99;
	ck_assert_int_eq(tcmd(fd, &rep), -ENOENT);
	ck_assert_int_eq(destroy_access_pages(fd, afd, id), 0);
	rep.access_replace_ioas.ioas_id = ioas2;
	ck_assert_int_eq(tcmd(fd, &rep), 0);
	ck_assert_int_eq(ifd_destroy(fd, ioas), 0);             /* the access left it */
	/* /dev/iommu closed first: the access fd keeps the context */
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
	ck_assert_uint_eq(ifd_mm()->pinned, 0);
	ck_assert_int_eq(sim_sys_close(W, PID, afd), 0);
	ck_assert_uint_eq(sim_file_live(W), 0);
	/* without the test uAPI the bit is an unknown COPY flag */
	teardown();
	boot_profile("{kernel: \"6.12\"}");
	fd = open_path("/dev/iommu");
	ioas = ifd_ioas_alloc(fd);
	ioas2 = ifd_ioas_alloc(fd);
	ck_assert_int_eq(ifd_ioas_map(fd, ioas, BUF, 0x100000, 0x1000), 0);
	cp.src_iova = 0;
	cp.flags |= MOCK_FLAGS_ACCESS_SYZ;
	ck_assert_int_eq(io(fd, IOMMU_IOAS_COPY, &cp, sizeof(cp)), -EOPNOTSUPP);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* ---- the ops that end at a lookup here ---- */

/* iommufd_test_dirty (arguments EINVAL, HWPT ENOENT/EINVAL, then no mock
 * domain tracks: EINVAL), iommufd_test_md_check_iotlb (no nested HWPT:
 * ENOENT), iommufd_test_trigger_iopf (the device: ENOENT, else 0) */
START_TEST(test_lookup_ops)
{
	int fd = open_path("/dev/iommu");
	uint32_t ioas = ifd_ioas_alloc(fd), stdev, hwpt, idev;
	struct iommu_test_cmd d = { .op = IOMMU_TEST_OP_DIRTY,
				    .dirty = { .iova = AP, .length = 0x1000, .page_size = 0x1000,
					       .uptr = BUF } };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB };

	ck_assert_int_eq(mock_domain(fd, ioas, &stdev, &hwpt, &idev), 0);
	d.id = 99;
	ck_assert_int_eq(tcmd(fd, &d), -ENOENT);
	d.dirty.page_size = 0;
	ck_assert_int_eq(tcmd(fd, &d), -EINVAL);
	d.dirty.page_size = 0x1000;
	d.dirty.uptr = 0;
	ck_assert_int_eq(tcmd(fd, &d), -EINVAL);
	d.dirty.uptr = BUF;
	d.dirty.iova = AP + 0x800;
	ck_assert_int_eq(tcmd(fd, &d), -EINVAL);
	d.dirty.iova = AP;
	d.id = idev;
	ck_assert_int_eq(tcmd(fd, &d), -ENOENT);
	d.id = hwpt;
	ck_assert_int_eq(tcmd(fd, &d), -EINVAL);
	c.id = hwpt;
	ck_assert_int_eq(tcmd(fd, &c), -ENOENT);
	c.op = IOMMU_TEST_OP_TRIGGER_IOPF;
	c.trigger_iopf.dev_id = stdev;
	ck_assert_int_eq(tcmd(fd, &c), -ENOENT);
	c.trigger_iopf.dev_id = idev;
	ck_assert_int_eq(tcmd(fd, &c), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* Mainline: MOCK_FLAGS_DEVICE_PASID (6.15: a 20-bit PASID width in
 * GET_HW_INFO), DEV_CHECK_CACHE (6.13: ENOENT, EINVAL, the default value
 * with no vIOMMU to change it), TRIGGER_VEVENT (6.14: no vIOMMU, ENOENT),
 * the PASID ops not modelled (EOPNOTSUPP) */
START_TEST(test_mainline_ops)
{
	int fd;
	uint32_t ioas, idev;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DEV_CHECK_CACHE };
	struct iommu_hw_info h = { .size = sizeof(h) };

	boot_profile("{iommufd_test: true}");
	fd = open_path("/dev/iommu");
	ioas = ifd_ioas_alloc(fd);
	ck_assert_int_eq(mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_PASID, NULL, NULL, &idev),
			 0);
	h.dev_id = idev;
	ck_assert_int_eq(io(fd, IOMMU_GET_HW_INFO, &h, sizeof(h)), 0);
	ck_assert_uint_eq(h.out_max_pasid_log2, MOCK_PASID_WIDTH);
	c.id = 99;
	ck_assert_int_eq(tcmd(fd, &c), -ENOENT);
	c.id = idev;
	c.check_dev_cache.id = MOCK_DEV_CACHE_ID_MAX + 1;
	c.check_dev_cache.cache = IOMMU_TEST_DEV_CACHE_DEFAULT;
	ck_assert_int_eq(tcmd(fd, &c), -EINVAL);
	c.check_dev_cache.id = MOCK_DEV_CACHE_ID_MAX;
	ck_assert_int_eq(tcmd(fd, &c), 0);
	c.check_dev_cache.cache = 0;
	ck_assert_int_eq(tcmd(fd, &c), -EINVAL);
	c.op = IOMMU_TEST_OP_TRIGGER_VEVENT;
	c.trigger_vevent.dev_id = 99;
	ck_assert_int_eq(tcmd(fd, &c), -ENOENT);
	c.trigger_vevent.dev_id = idev;
	ck_assert_int_eq(tcmd(fd, &c), -ENOENT);
	c.op = IOMMU_TEST_OP_PASID_CHECK_HWPT;
	ck_assert_int_eq(tcmd(fd, &c), -EOPNOTSUPP);
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
}
END_TEST

/* Closing /dev/iommu with mock devices attached and an access open takes
 * everything down, the mock's tables included; a fail-nth run over the
 * whole flow leaves no object, pin or file behind */
START_TEST(test_teardown_under_faults)
{
	for (unsigned long nth = 1;; nth++) {
		int fd, afd;
		uint32_t ioas, stdev;
		bool fired;

		setup_612();
		fd = open_path("/dev/iommu");
		ioas = ifd_ioas_alloc(fd);
		sim_fault_fail_nth(W, "*", nth);
		mock_domain(fd, ioas, &stdev, NULL, NULL);
		ifd_ioas_map(fd, ioas, BUF, AP, 0x4000);
		if (!create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd))
			access_pages(fd, afd, AP, 0x1000, BUF, 0, NULL);
		fired = sim_fault_injected(W) > 0;
		sim_fault_fail_nth(W, "*", 0);
		/* every descriptor closed: nothing stays */
		for (int f = SIM_FD_FIRST; f < sim_proc_find(W, PID)->nfds; f++)
			if (sim_proc_find(W, PID)->fds[f].file)
				ck_assert_int_eq(sim_sys_close(W, PID, f), 0);
		ck_assert_uint_eq(sim_file_live(W), 0);
		ck_assert_uint_eq(ifd_mm()->pinned, 0);
		teardown();
		if (!fired) {
			printf("fail-nth: %lu runs\n", nth);
			break;
		}
		ck_assert_uint_lt(nth, 1000);
	}
}
END_TEST

static Suite *selftest_suite(void)
{
	Suite *s = suite_create("iommufd_selftest");
	TCase *tc = tcase_create("selftest"), *own = tcase_create("boots");

	tcase_add_checked_fixture(tc, setup_612, teardown);
	tcase_add_test(tc, test_add_reserved);
	tcase_add_test(tc, test_mock_domain);
	tcase_add_test(tc, test_mock_beside_pci);
	tcase_add_test(tc, test_hwpt_alloc_and_replace);
	tcase_add_test(tc, test_check_map);
	tcase_add_test(tc, test_mock_table);
	tcase_add_test(tc, test_check_refs);
	tcase_add_test(tc, test_create_access);
	tcase_add_test(tc, test_access_pages);
	tcase_add_test(tc, test_access_rw);
	tcase_add_test(tc, test_replace_and_syz);
	tcase_add_test(tc, test_lookup_ops);
	suite_add_tcase(s, tc);
	/* these boot their own worlds */
	tcase_add_checked_fixture(own, NULL, teardown);
	tcase_add_test(own, test_dispatch);
	tcase_add_test(own, test_mainline_ops);
	tcase_add_test(own, test_teardown_under_faults);
	tcase_set_timeout(own, 120);
	suite_add_tcase(s, own);
	return s;
}

int main(void)
{
	return unit_run(selftest_suite());
}
