/* SPDX-License-Identifier: MIT */
/*
 * iommufd's test uAPI, IOMMU_TEST_CMD, in iommusim's own words: the
 * command a kernel built with CONFIG_IOMMUFD_TEST adds to /dev/iommu for
 * tools/testing/selftests/iommu (the kernel keeps it in
 * drivers/iommu/iommufd/iommufd_test.h; it is not user API and no
 * distribution kernel has it).  Numbers, layouts and flag values are the
 * kernel's (6.12, with the later additions marked "since"); the
 * _Static_asserts at the end hold the structure to its size and offsets.
 * In iommusim the profile key `iommufd_test: true` turns it on
 * (docs/iommufd.md, "The test uAPI").
 *
 * One command, one structure: `op` picks what it does, `id` names the
 * object it works on (an IOAS, a HWPT, a selftest device, or the fd of a
 * test access), and the union holds the op's own fields.  The minimum
 * size is offsetofend(last): every op's fields are always copied in.
 */
#ifndef IOMMUSIM_UAPI_IOMMUFD_TEST_H
#define IOMMUSIM_UAPI_IOMMUFD_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "iommusim/uapi/iommufd.h"

/* The ops, in the kernel's numbering (enum, from 1). */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,		/* reserve [start, start + length) in IOAS id */
	IOMMU_TEST_OP_MOCK_DOMAIN = 2,		/* a mock device attached to IOAS/HWPT id */
	IOMMU_TEST_OP_MD_CHECK_MAP = 3,		/* mock HWPT id maps iova.. to uptr's pages */
	IOMMU_TEST_OP_MD_CHECK_REFS = 4,	/* uptr's pages are pinned refs times */
	IOMMU_TEST_OP_CREATE_ACCESS = 5,	/* an access on IOAS id, behind a new fd */
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES = 6,	/* unpin one ACCESS_PAGES of access fd id */
	IOMMU_TEST_OP_ACCESS_PAGES = 7,		/* access fd id pins iova.. */
	IOMMU_TEST_OP_ACCESS_RW = 8,		/* access fd id reads or writes iova.. */
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9,	/* the pinning batches' memory */
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,	/* selftest device id moves to pt_id (6.6) */
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS = 11,	/* access fd id moves to ioas_id (6.6) */
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12,	/* MOCK_DOMAIN with dev_flags (6.7) */
	IOMMU_TEST_OP_DIRTY = 13,		/* mark a mock HWPT's IOVAs dirty (6.7) */
	IOMMU_TEST_OP_MD_CHECK_IOTLB = 14,	/* a mock nested HWPT's IOTLB entry (6.8) */
	IOMMU_TEST_OP_TRIGGER_IOPF = 15,	/* report a page request for a device (6.11) */
	IOMMU_TEST_OP_DEV_CHECK_CACHE = 16,	/* a mock device's cache entry (since 6.13) */
	IOMMU_TEST_OP_TRIGGER_VEVENT = 17,	/* a vIOMMU event for a device (since 6.14) */
	IOMMU_TEST_OP_PASID_ATTACH = 18,	/* since 6.15, and the three after it */
	IOMMU_TEST_OP_PASID_REPLACE = 19,
	IOMMU_TEST_OP_PASID_DETACH = 20,
	IOMMU_TEST_OP_PASID_CHECK_HWPT = 21,
};

/* The mock IOMMU's aperture: 16 MiB up to 2 GiB - 1. */
enum {
	MOCK_APERTURE_START = 1ul << 24,
	MOCK_APERTURE_LAST = (1ul << 31) - 1,
};

/* ACCESS_PAGES flags; SYZ also rides in IOAS_COPY's flags, ACCESS_RW's. */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,	/* pin for writing */
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,	/* the IOVA is (nth area, offset) */
};

/* ACCESS_RW flags (the values of the kernel's IOMMUFD_ACCESS_RW_WRITE and
 * __IOMMUFD_ACCESS_RW_SLOW_PATH). */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,		/* uptr's bytes into the IOAS */
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,	/* go through the pages, not the mm */
};

/* CREATE_ACCESS flags. */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* MOCK_DOMAIN_FLAGS dev_flags. */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,	/* no dirty tracking */
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,	/* domains also map 1 MiB pages (6.9) */
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,	/* a 20-bit PASID capability (since 6.15) */
};

/* The mock nested domain's IOTLB and the mock device's cache. */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};
enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* The PASID the kernel's PASID tests fail a replace on, and the mock's
 * PASID width (both since 6.15). */
#define IOMMU_TEST_PASID_RESERVED 1024
#define MOCK_PASID_WIDTH 20

struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;	/* the selftest object: DESTROY it */
			__u32 out_hwpt_id;
			__u32 out_idev_id;	/* the device object iommufd bound */
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;	/* MOCK_FLAGS_DEVICE_* */
		} mock_domain_flags;
		struct {
			__u32 pt_id;		/* in: IOAS or HWPT; out: the HWPT */
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;		/* MOCK_FLAGS_ACCESS_CREATE_* */
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;		/* MOCK_FLAGS_ACCESS_* */
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;	/* 0: do not compare the pages */
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;		/* MOCK_ACCESS_RW_*, MOCK_FLAGS_ACCESS_SYZ */
		} access_rw;
		struct {
			__u32 limit;		/* bytes */
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;	/* a bitmap, one bit per page_size */
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		struct {			/* since 6.13 */
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		struct {			/* since 6.14 */
			__u32 dev_id;
		} trigger_vevent;
		struct {			/* since 6.15; id is the selftest device */
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* What GET_HW_INFO answers for a mock device. */
#define IOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL	0xdeadbeef
struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;		/* IOMMU_HW_INFO_SELFTEST_REGVAL */
};

/* HWPT_ALLOC data for a mock nested domain, and its invalidation. */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad	/* since 6.13 */
struct iommu_hwpt_selftest {
	__u32 iotlb;
};
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

/* ---- the layout, held to the kernel's ---- */

#ifdef __cplusplus
#define IOMMUFD_TEST_ASSERT(e) static_assert(e, #e)
#else
#define IOMMUFD_TEST_ASSERT(e) _Static_assert(e, #e)
#endif
#define IOMMUFD_TEST_AT(f, off) \
	IOMMUFD_TEST_ASSERT(__builtin_offsetof(struct iommu_test_cmd, f) == (off))

IOMMUFD_TEST_ASSERT(IOMMU_TEST_CMD == 0x3ba0);
IOMMUFD_TEST_ASSERT(sizeof(struct iommu_test_cmd) == 72);
IOMMUFD_TEST_AT(op, 4);
IOMMUFD_TEST_AT(id, 8);
IOMMUFD_TEST_AT(__reserved, 12);
IOMMUFD_TEST_AT(add_reserved.start, 16);
IOMMUFD_TEST_AT(add_reserved.length, 24);
IOMMUFD_TEST_AT(mock_domain.out_hwpt_id, 20);
IOMMUFD_TEST_AT(mock_domain.out_idev_id, 24);
IOMMUFD_TEST_AT(mock_domain_flags.dev_flags, 28);
IOMMUFD_TEST_AT(check_map.uptr, 32);
IOMMUFD_TEST_AT(check_refs.refs, 32);
IOMMUFD_TEST_AT(create_access.flags, 20);
IOMMUFD_TEST_AT(access_pages.out_access_pages_id, 20);
IOMMUFD_TEST_AT(access_pages.iova, 24);
IOMMUFD_TEST_AT(access_pages.uptr, 40);
IOMMUFD_TEST_AT(access_rw.flags, 40);
IOMMUFD_TEST_AT(dirty.iova, 24);
IOMMUFD_TEST_AT(dirty.out_nr_dirty, 56);
IOMMUFD_TEST_AT(trigger_iopf.addr, 32);
IOMMUFD_TEST_AT(pasid_check.hwpt_id, 20);
IOMMUFD_TEST_AT(last, 64);
IOMMUFD_TEST_ASSERT(sizeof(struct iommu_test_hw_info) == 8);
IOMMUFD_TEST_ASSERT(sizeof(struct iommu_hwpt_invalidate_selftest) == 8);

#undef IOMMUFD_TEST_AT
#undef IOMMUFD_TEST_ASSERT

#endif /* IOMMUSIM_UAPI_IOMMUFD_TEST_H */
