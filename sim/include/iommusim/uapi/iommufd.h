/* SPDX-License-Identifier: MIT */
/*
 * The iommufd user API (/dev/iommu) as Linux 6.12 has it, in iommusim's
 * own words, for programs built where the installed kernel headers are
 * older (Debian bookworm's linux-libc-dev is 6.1, which has no
 * <linux/iommufd.h>).  Numbers, layouts and flag values are the kernel's;
 * the _Static_asserts at the end hold every structure to the kernel's size
 * and field offsets.
 *
 * The first set (commands 0x80..0x88, the IOAS, OPTION and VFIO_IOAS
 * structures) is the one merged in 6.2.  Everything later carries a
 * "since" note with the release that added it.  The selftest command
 * (CONFIG_IOMMUFD_TEST) is not user API and is not here.
 *
 * Every command takes a pointer to a structure whose first __u32 is its
 * size.  The kernel (iommufd_fops_ioctl, drivers/iommu/iommufd/main.c)
 * refuses a size below the command's minimum (EINVAL), accepts a larger
 * one whose extra bytes are all zero, and refuses non-zero extra bytes
 * (E2BIG); unknown commands are ENOTTY.  docs/oracle.md, "iommufd on the
 * real kernel", has what 6.12 answers.
 *
 * When the system's <linux/iommufd.h> was included first this file adds
 * nothing: the system's definitions stand.
 */
#ifndef IOMMUSIM_UAPI_IOMMUFD_H
#define IOMMUSIM_UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H		/* the kernel's guard: no second copy */
#define IOMMUSIM_UAPI_IOMMUFD_OWN

/* The ioctl type byte: ';', which VFIO uses too (VFIO_TYPE). */
#define IOMMUFD_TYPE (';')

/* Command numbers (the _IOC_NR of each ioctl). */
enum {
	IOMMUFD_CMD_BASE			= 0x80,
	IOMMUFD_CMD_DESTROY			= 0x80,
	IOMMUFD_CMD_IOAS_ALLOC			= 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS		= 0x82,
	IOMMUFD_CMD_IOAS_COPY			= 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES		= 0x84,
	IOMMUFD_CMD_IOAS_MAP			= 0x85,
	IOMMUFD_CMD_IOAS_UNMAP			= 0x86,
	IOMMUFD_CMD_OPTION			= 0x87,
	IOMMUFD_CMD_VFIO_IOAS			= 0x88,
	IOMMUFD_CMD_HWPT_ALLOC			= 0x89,	/* since 6.6 */
	IOMMUFD_CMD_GET_HW_INFO			= 0x8a,	/* since 6.6 */
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING	= 0x8b,	/* since 6.7 */
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP	= 0x8c,	/* since 6.7 */
	IOMMUFD_CMD_HWPT_INVALIDATE		= 0x8d,	/* since 6.8 */
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC		= 0x8e,	/* since 6.11 */
	IOMMUFD_CMD_IOAS_MAP_FILE		= 0x8f,	/* since 6.13; not modelled */
	IOMMUFD_CMD_VIOMMU_ALLOC		= 0x90,	/* since 6.13 */
	IOMMUFD_CMD_VDEVICE_ALLOC		= 0x91,	/* since 6.13 */
};

/* ---- objects ---- */

/* IOMMU_DESTROY: drop any object by its id (IOAS, HWPT, fault queue). */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* IOMMU_IOAS_ALLOC: a new, empty I/O address space; its id comes back. */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;		/* none defined: 0 */
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* One IOVA interval, both ends included. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/*
 * IOMMU_IOAS_IOVA_RANGES: the IOVA intervals an IOAS may map.  num_iovas
 * is the room of the allowed_iovas array on entry and the number of
 * intervals on return; too little room fills what fits, sets num_iovas and
 * fails with EMSGSIZE.  out_iova_alignment is the alignment MAP and COPY
 * need (1 until a domain or an option asks for more).
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;	/* user pointer to iommu_iova_range[] */
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/*
 * IOMMU_IOAS_ALLOW_IOVAS: replace the list of intervals the IOAS promises
 * to keep usable (an attach that would reserve inside them fails), which
 * also confines automatic IOVA allocation.  num_iovas 0 empties the list.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;	/* user pointer to iommu_iova_range[] */
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/* Flags of MAP and COPY.  Without FIXED_IOVA the kernel picks the IOVA. */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA	= 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE	= 1 << 1,
	IOMMU_IOAS_MAP_READABLE		= 1 << 2,
};

/* IOMMU_IOAS_MAP: map user memory; iova is in with FIXED_IOVA, else out. */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/*
 * IOMMU_IOAS_COPY: map into dst_ioas_id the pages already mapped at
 * src_iova..+length of src_ioas_id (sharing their pins).  dst_iova is in
 * with FIXED_IOVA, else out.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/*
 * IOMMU_IOAS_UNMAP: unmap whole mappings inside iova..+length (a mapping
 * cut by the range is ENOENT); length returns the bytes unmapped.  iova 0
 * with length all-ones unmaps everything.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/* ---- options ---- */

enum iommufd_option {
	/* context-wide (object_id 0): 0 per-user accounting, 1 per-process */
	IOMMU_OPTION_RLIMIT_MODE	= 0,
	/* per IOAS (object_id): 1 (default) large IOPTEs allowed, 0 not */
	IOMMU_OPTION_HUGE_PAGES		= 1,
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET	= 0,
	IOMMU_OPTION_OP_GET	= 1,
};

/* IOMMU_OPTION: read or write one option; val64 is in (SET) or out (GET). */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/* ---- the IOAS behind the VFIO container emulation ---- */

enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET	= 0,
	IOMMU_VFIO_IOAS_SET	= 1,
	IOMMU_VFIO_IOAS_CLEAR	= 2,
};

/* IOMMU_VFIO_IOAS: which IOAS the VFIO container ioctls on this fd use. */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;		/* in for SET, out for GET */
	__u16 op;
	__u16 __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/* ---- hardware page tables (since 6.6) ---- */

/* HWPT_ALLOC flags: NEST_PARENT and DIRTY_TRACKING since 6.7, FAULT_ID_VALID
 * since 6.11, ALLOC_PASID (the HWPT may go on a device's PASID) since 6.15. */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT	= 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING	= 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID	= 1 << 2,
	IOMMU_HWPT_ALLOC_PASID		= 1 << 3,
};

/* Flags of a VT-d stage-1 (guest) page table (since 6.7). */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE	= 1 << 0,	/* supervisor requests */
	IOMMU_VTD_S1_EAFE	= 1 << 1,	/* extended access flag */
	IOMMU_VTD_S1_WPE	= 1 << 2,	/* write protect */
};

/* The data of IOMMU_HWPT_DATA_VTD_S1: a guest's stage-1 table (since 6.7). */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/* What data_uptr of HWPT_ALLOC points at (since 6.7). */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE	= 0,
	IOMMU_HWPT_DATA_VTD_S1	= 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3	= 2,	/* since 6.14, over a vIOMMU */
};

/*
 * The data of IOMMU_HWPT_DATA_ARM_SMMUV3: the guest's STE for the device
 * (little-endian words 0 and 1 of the 64-byte STE).  The driver takes V,
 * Config (abort, bypass, stage-1 translate), S1Fmt, S1ContextPtr (an IPA)
 * and S1CDMax in word 0, S1DSS, S1CIR, S1COR, S1CSH, S1STALLD and EATS in
 * word 1; any other bit is EIO.  A nested HWPT of this type comes from
 * HWPT_ALLOC with pt_id a vIOMMU.
 */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_u64 ste[2];
};

/*
 * IOMMU_HWPT_ALLOC (since 6.6): a page table for device dev_id.  pt_id an
 * IOAS gives a paging table kept in step with the IOAS's mappings; pt_id
 * a paging HWPT made with NEST_PARENT gives a nested one described by
 * data_type/data_len/data_uptr.  6.6 ended at __reserved (24 bytes);
 * data_type, data_len and data_uptr came in 6.7, fault_id and
 * __reserved2 in 6.11.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/* ---- hardware information (since 6.6) ---- */

enum iommu_hw_info_vtd_flags {
	/* since 6.7, always set by intel_iommu_hw_info: read-only mappings
	 * are refused on a nest parent (erratum 772415, SPR17) */
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17	= 1 << 0,
};

/* What GET_HW_INFO returns for an Intel VT-d IOMMU: its raw registers. */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/*
 * What GET_HW_INFO returns for an Arm SMMUv3 (since 6.14): its raw
 * identification registers SMMU_IDR0..IDR5, SMMU_IIDR and SMMU_AIDR, for a
 * VMM to build a virtual SMMU from (forwarding only the bits it supports).
 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;		/* none defined in 6.14: 0 */
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE		= 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD	= 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3	= 2,	/* since 6.14 */
};

/* out_capabilities bits: DIRTY_TRACKING since 6.7, the PASID bits as out_max_pasid_log2. */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING	= 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC	= 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV	= 1 << 2,
};

/*
 * IOMMU_GET_HW_INFO (since 6.6): the IOMMU behind device dev_id.  Up to
 * data_len bytes of driver data go to data_uptr (the rest of the buffer is
 * zeroed) and data_len returns the driver's full length.  6.6 ended at
 * out_data_type and a __u32 __reserved (32 bytes); out_capabilities came
 * in 6.7.  out_max_pasid_log2 (with the PASID capability bits) was carved
 * out of that __reserved upstream in 6.15 and reached 6.12.y through the
 * stable series: the oracle's 6.12.117 has it.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 out_data_type;
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/* ---- dirty tracking (since 6.7) ---- */

enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE	= 1,
};

/* IOMMU_HWPT_SET_DIRTY_TRACKING: start or stop dirty tracking of a HWPT. */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR	= 1,	/* read, keep the bits */
};

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP: one bit per page_size of iova..+length into
 * the user bitmap at data, clearing the IOPTE dirty bits unless NO_CLEAR.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/* ---- cache invalidation of nested tables (since 6.8) ---- */

enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1	= 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3	= 1,	/* since 6.14, on a vIOMMU */
};

/*
 * One SMMUv3 command a guest put on its command queue, forwarded through
 * HWPT_INVALIDATE on the vIOMMU: CMD_TLBI_NH_{ALL,VA,VAA,ASID} (the VMID
 * forced to the vIOMMU's), CMD_TLBI_NSNH_ALL (turned into NH_ALL of the
 * VMID), CMD_ATC_INV, CMD_CFGI_CD and CMD_CFGI_CD_ALL (the virtual StreamID
 * replaced by the physical one of the vDEVICE); anything else is EIO.
 */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_u64 cmd[2];
};

enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF	= 1 << 0,	/* leaf entries only */
};

/* One VT-d stage-1 invalidation: npages from addr (all-ones: everything). */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/*
 * IOMMU_HWPT_INVALIDATE: entry_num requests of entry_len bytes each at
 * data_uptr against a nested HWPT or (since 6.13) a vIOMMU; entry_num
 * returns how many were done (written back on failure too).
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/* ---- vIOMMU and vDEVICE (since 6.13) ---- */

enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT	= 0,	/* refused by mainline */
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3	= 1,	/* since 6.14 */
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV	= 2,	/* not modelled */
};

/*
 * IOMMU_VIOMMU_ALLOC: a virtual IOMMU instance of @type over the physical
 * IOMMU of @dev_id, holding the NEST_PARENT paging HWPT @hwpt_id (its
 * stage 2: on SMMUv3 the VMID).  @data_len bytes of driver data at
 * @data_uptr (none for ARM_SMMUV3).  6.13's structure ended at
 * out_viommu_id (24 bytes), its minimum size still.
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;		/* none defined: 0 */
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;		/* after 6.13, as data_uptr */
	__u32 __reserved;
	__aligned_u64 data_uptr;
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/*
 * IOMMU_VDEVICE_ALLOC: device @dev_id as the vIOMMU @viommu_id's guest sees
 * it, with the guest's ID of it (@virt_id: on SMMUv3 the virtual
 * StreamID, which the vIOMMU's invalidations translate).
 */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/* ---- I/O page faults delivered to user space (since 6.11) ---- */

enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID	= 1 << 0,
	IOMMU_PGFAULT_FLAGS_LAST_PAGE	= 1 << 1,
};

enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ		= 1 << 0,
	IOMMU_PGFAULT_PERM_WRITE	= 1 << 1,
	IOMMU_PGFAULT_PERM_EXEC		= 1 << 2,
	IOMMU_PGFAULT_PERM_PRIV		= 1 << 3,
};

/* One fault, as read(2) from a fault queue fd returns them. */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS	= 0,
	IOMMUFD_PAGE_RESP_INVALID	= 1,
};

/* The answer to a fault group, write(2) to the fault queue fd. */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

/* IOMMU_FAULT_QUEUE_ALLOC: a fault queue object and the fd to read it. */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;		/* none defined: 0 */
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

#endif /* _UAPI_IOMMUFD_H */

/* ---- the layouts, held to the kernel's (the same on every ABI) ---- */

#ifdef IOMMUSIM_UAPI_IOMMUFD_OWN

#ifdef __cplusplus
#define IOMMUFD_UAPI_ASSERT(e) static_assert(e, #e)
#else
#define IOMMUFD_UAPI_ASSERT(e) _Static_assert(e, #e)
#endif
#define IOMMUFD_UAPI_AT(s, f, off) \
	IOMMUFD_UAPI_ASSERT(__builtin_offsetof(struct s, f) == (off))

IOMMUFD_UAPI_ASSERT(IOMMU_DESTROY == 0x3b80);
IOMMUFD_UAPI_ASSERT(IOMMU_VFIO_IOAS == 0x3b88);
IOMMUFD_UAPI_ASSERT(IOMMU_FAULT_QUEUE_ALLOC == 0x3b8e);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_destroy) == 8);
IOMMUFD_UAPI_AT(iommu_destroy, id, 4);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_ioas_alloc) == 12);
IOMMUFD_UAPI_AT(iommu_ioas_alloc, flags, 4);
IOMMUFD_UAPI_AT(iommu_ioas_alloc, out_ioas_id, 8);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_iova_range) == 16);
IOMMUFD_UAPI_AT(iommu_iova_range, last, 8);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_ioas_iova_ranges) == 32);
IOMMUFD_UAPI_AT(iommu_ioas_iova_ranges, ioas_id, 4);
IOMMUFD_UAPI_AT(iommu_ioas_iova_ranges, num_iovas, 8);
IOMMUFD_UAPI_AT(iommu_ioas_iova_ranges, __reserved, 12);
IOMMUFD_UAPI_AT(iommu_ioas_iova_ranges, allowed_iovas, 16);
IOMMUFD_UAPI_AT(iommu_ioas_iova_ranges, out_iova_alignment, 24);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_ioas_allow_iovas) == 24);
IOMMUFD_UAPI_AT(iommu_ioas_allow_iovas, num_iovas, 8);
IOMMUFD_UAPI_AT(iommu_ioas_allow_iovas, allowed_iovas, 16);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_ioas_map) == 40);
IOMMUFD_UAPI_AT(iommu_ioas_map, flags, 4);
IOMMUFD_UAPI_AT(iommu_ioas_map, ioas_id, 8);
IOMMUFD_UAPI_AT(iommu_ioas_map, __reserved, 12);
IOMMUFD_UAPI_AT(iommu_ioas_map, user_va, 16);
IOMMUFD_UAPI_AT(iommu_ioas_map, length, 24);
IOMMUFD_UAPI_AT(iommu_ioas_map, iova, 32);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_ioas_copy) == 40);
IOMMUFD_UAPI_AT(iommu_ioas_copy, dst_ioas_id, 8);
IOMMUFD_UAPI_AT(iommu_ioas_copy, src_ioas_id, 12);
IOMMUFD_UAPI_AT(iommu_ioas_copy, length, 16);
IOMMUFD_UAPI_AT(iommu_ioas_copy, dst_iova, 24);
IOMMUFD_UAPI_AT(iommu_ioas_copy, src_iova, 32);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_ioas_unmap) == 24);
IOMMUFD_UAPI_AT(iommu_ioas_unmap, ioas_id, 4);
IOMMUFD_UAPI_AT(iommu_ioas_unmap, iova, 8);
IOMMUFD_UAPI_AT(iommu_ioas_unmap, length, 16);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_option) == 24);
IOMMUFD_UAPI_AT(iommu_option, option_id, 4);
IOMMUFD_UAPI_AT(iommu_option, op, 8);
IOMMUFD_UAPI_AT(iommu_option, __reserved, 10);
IOMMUFD_UAPI_AT(iommu_option, object_id, 12);
IOMMUFD_UAPI_AT(iommu_option, val64, 16);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_vfio_ioas) == 12);
IOMMUFD_UAPI_AT(iommu_vfio_ioas, ioas_id, 4);
IOMMUFD_UAPI_AT(iommu_vfio_ioas, op, 8);
IOMMUFD_UAPI_AT(iommu_vfio_ioas, __reserved, 10);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hwpt_vtd_s1) == 24);
IOMMUFD_UAPI_AT(iommu_hwpt_vtd_s1, pgtbl_addr, 8);
IOMMUFD_UAPI_AT(iommu_hwpt_vtd_s1, addr_width, 16);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hwpt_alloc) == 48);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, flags, 4);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, dev_id, 8);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, pt_id, 12);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, out_hwpt_id, 16);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, __reserved, 20);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, data_type, 24);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, data_len, 28);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, data_uptr, 32);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, fault_id, 40);
IOMMUFD_UAPI_AT(iommu_hwpt_alloc, __reserved2, 44);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hw_info_vtd) == 24);
IOMMUFD_UAPI_AT(iommu_hw_info_vtd, cap_reg, 8);
IOMMUFD_UAPI_AT(iommu_hw_info_vtd, ecap_reg, 16);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hw_info_arm_smmuv3) == 40);
IOMMUFD_UAPI_AT(iommu_hw_info_arm_smmuv3, __reserved, 4);
IOMMUFD_UAPI_AT(iommu_hw_info_arm_smmuv3, idr, 8);
IOMMUFD_UAPI_AT(iommu_hw_info_arm_smmuv3, iidr, 32);
IOMMUFD_UAPI_AT(iommu_hw_info_arm_smmuv3, aidr, 36);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hw_info) == 40);
IOMMUFD_UAPI_AT(iommu_hw_info, flags, 4);
IOMMUFD_UAPI_AT(iommu_hw_info, dev_id, 8);
IOMMUFD_UAPI_AT(iommu_hw_info, data_len, 12);
IOMMUFD_UAPI_AT(iommu_hw_info, data_uptr, 16);
IOMMUFD_UAPI_AT(iommu_hw_info, out_data_type, 24);
IOMMUFD_UAPI_AT(iommu_hw_info, out_max_pasid_log2, 28);
IOMMUFD_UAPI_AT(iommu_hw_info, __reserved, 29);
IOMMUFD_UAPI_AT(iommu_hw_info, out_capabilities, 32);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hwpt_set_dirty_tracking) == 16);
IOMMUFD_UAPI_AT(iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
IOMMUFD_UAPI_AT(iommu_hwpt_set_dirty_tracking, __reserved, 12);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hwpt_get_dirty_bitmap) == 48);
IOMMUFD_UAPI_AT(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4);
IOMMUFD_UAPI_AT(iommu_hwpt_get_dirty_bitmap, flags, 8);
IOMMUFD_UAPI_AT(iommu_hwpt_get_dirty_bitmap, iova, 16);
IOMMUFD_UAPI_AT(iommu_hwpt_get_dirty_bitmap, length, 24);
IOMMUFD_UAPI_AT(iommu_hwpt_get_dirty_bitmap, page_size, 32);
IOMMUFD_UAPI_AT(iommu_hwpt_get_dirty_bitmap, data, 40);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hwpt_arm_smmuv3) == 16);
IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_viommu_arm_smmuv3_invalidate) == 16);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_viommu_alloc) == 40);
IOMMUFD_UAPI_AT(iommu_viommu_alloc, type, 8);
IOMMUFD_UAPI_AT(iommu_viommu_alloc, dev_id, 12);
IOMMUFD_UAPI_AT(iommu_viommu_alloc, hwpt_id, 16);
IOMMUFD_UAPI_AT(iommu_viommu_alloc, out_viommu_id, 20);
IOMMUFD_UAPI_AT(iommu_viommu_alloc, data_len, 24);
IOMMUFD_UAPI_AT(iommu_viommu_alloc, data_uptr, 32);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_vdevice_alloc) == 24);
IOMMUFD_UAPI_AT(iommu_vdevice_alloc, viommu_id, 4);
IOMMUFD_UAPI_AT(iommu_vdevice_alloc, dev_id, 8);
IOMMUFD_UAPI_AT(iommu_vdevice_alloc, out_vdevice_id, 12);
IOMMUFD_UAPI_AT(iommu_vdevice_alloc, virt_id, 16);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hwpt_vtd_s1_invalidate) == 24);
IOMMUFD_UAPI_AT(iommu_hwpt_vtd_s1_invalidate, npages, 8);
IOMMUFD_UAPI_AT(iommu_hwpt_vtd_s1_invalidate, flags, 16);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hwpt_invalidate) == 32);
IOMMUFD_UAPI_AT(iommu_hwpt_invalidate, hwpt_id, 4);
IOMMUFD_UAPI_AT(iommu_hwpt_invalidate, data_uptr, 8);
IOMMUFD_UAPI_AT(iommu_hwpt_invalidate, data_type, 16);
IOMMUFD_UAPI_AT(iommu_hwpt_invalidate, entry_len, 20);
IOMMUFD_UAPI_AT(iommu_hwpt_invalidate, entry_num, 24);
IOMMUFD_UAPI_AT(iommu_hwpt_invalidate, __reserved, 28);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hwpt_pgfault) == 40);
IOMMUFD_UAPI_AT(iommu_hwpt_pgfault, perm, 16);
IOMMUFD_UAPI_AT(iommu_hwpt_pgfault, addr, 24);
IOMMUFD_UAPI_AT(iommu_hwpt_pgfault, length, 32);
IOMMUFD_UAPI_AT(iommu_hwpt_pgfault, cookie, 36);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_hwpt_page_response) == 8);
IOMMUFD_UAPI_AT(iommu_hwpt_page_response, code, 4);

IOMMUFD_UAPI_ASSERT(sizeof(struct iommu_fault_alloc) == 16);
IOMMUFD_UAPI_AT(iommu_fault_alloc, out_fault_id, 8);
IOMMUFD_UAPI_AT(iommu_fault_alloc, out_fault_fd, 12);

#undef IOMMUFD_UAPI_AT
#undef IOMMUFD_UAPI_ASSERT
#endif /* IOMMUSIM_UAPI_IOMMUFD_OWN */

#endif /* IOMMUSIM_UAPI_IOMMUFD_H */
