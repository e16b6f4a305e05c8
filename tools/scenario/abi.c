/* SPDX-License-Identifier: MIT */
/*
 * The VFIO and iommufd ioctl ABI as data: numbers and layouts from
 * <linux/vfio.h>, and for what Debian's 6.1 headers lack, iommusim's own
 * <iommusim/uapi/vfio_cdev.h> (the device cdev) and <iommusim/uapi/iommufd.h>
 * (/dev/iommu), as Linux 6.12 has them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/vfio.h>

#include "iommusim/uapi/iommufd.h"
#include "iommusim/uapi/iommufd_test.h"
#include "iommusim/uapi/vfio_cdev.h"
#include "iommusim/uapi/vfio_sva.h"
#include "iommusim/uapi/vfio_nesting.h"
#include "tools/scenario/abi.h"

#define FIELD(type, member, kind, flags) \
	{ #member, offsetof(struct type, member), sizeof(((struct type *)0)->member), kind, \
	  flags, NULL }
/* an ABI_ENUM field: a value from @values by name, or a number */
#define FIELD_ENUM(type, member, values) \
	{ #member, offsetof(struct type, member), sizeof(((struct type *)0)->member), ABI_ENUM, \
	  NULL, values }
#define STRUCT(type, fieldsv, dataoff) \
	{ #type, sizeof(struct type), fieldsv, sizeof(fieldsv) / sizeof(fieldsv[0]), dataoff }

static const struct abi_flag group_flags[] = {
	{ "VIABLE", VFIO_GROUP_FLAGS_VIABLE },
	{ "CONTAINER_SET", VFIO_GROUP_FLAGS_CONTAINER_SET },
	{ NULL, 0 },
};
static const struct abi_flag info_flags[] = {
	{ "PGSIZES", VFIO_IOMMU_INFO_PGSIZES },
	{ "CAPS", VFIO_IOMMU_INFO_CAPS },
	{ NULL, 0 },
};
static const struct abi_flag map_flags[] = {
	{ "READ", VFIO_DMA_MAP_FLAG_READ },
	{ "WRITE", VFIO_DMA_MAP_FLAG_WRITE },
	{ "VADDR", VFIO_DMA_MAP_FLAG_VADDR },
	{ NULL, 0 },
};
static const struct abi_flag unmap_flags[] = {
	{ "GET_DIRTY_BITMAP", VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP },
	{ "ALL", VFIO_DMA_UNMAP_FLAG_ALL },
	{ "VADDR", VFIO_DMA_UNMAP_FLAG_VADDR },
	{ NULL, 0 },
};
static const struct abi_flag device_flags[] = {
	{ "RESET", VFIO_DEVICE_FLAGS_RESET },
	{ "PCI", VFIO_DEVICE_FLAGS_PCI },
	{ "PLATFORM", VFIO_DEVICE_FLAGS_PLATFORM },
	{ "CAPS", VFIO_DEVICE_FLAGS_CAPS },
	{ NULL, 0 },
};
static const struct abi_flag region_flags[] = {
	{ "READ", VFIO_REGION_INFO_FLAG_READ },
	{ "WRITE", VFIO_REGION_INFO_FLAG_WRITE },
	{ "MMAP", VFIO_REGION_INFO_FLAG_MMAP },
	{ "CAPS", VFIO_REGION_INFO_FLAG_CAPS },
	{ NULL, 0 },
};
static const struct abi_flag irq_info_flags[] = {
	{ "EVENTFD", VFIO_IRQ_INFO_EVENTFD },
	{ "MASKABLE", VFIO_IRQ_INFO_MASKABLE },
	{ "AUTOMASKED", VFIO_IRQ_INFO_AUTOMASKED },
	{ "NORESIZE", VFIO_IRQ_INFO_NORESIZE },
	{ NULL, 0 },
};
static const struct abi_flag irq_set_flags[] = {
	{ "DATA_NONE", VFIO_IRQ_SET_DATA_NONE },
	{ "DATA_BOOL", VFIO_IRQ_SET_DATA_BOOL },
	{ "DATA_EVENTFD", VFIO_IRQ_SET_DATA_EVENTFD },
	{ "ACTION_MASK", VFIO_IRQ_SET_ACTION_MASK },
	{ "ACTION_UNMASK", VFIO_IRQ_SET_ACTION_UNMASK },
	{ "ACTION_TRIGGER", VFIO_IRQ_SET_ACTION_TRIGGER },
	{ NULL, 0 },
};

static const struct abi_field f_group_status[] = {
	FIELD(vfio_group_status, argsz, ABI_U32, NULL),
	FIELD(vfio_group_status, flags, ABI_FLAGS, group_flags),
};
static const struct abi_field f_iommu_info[] = {
	FIELD(vfio_iommu_type1_info, argsz, ABI_U32, NULL),
	FIELD(vfio_iommu_type1_info, flags, ABI_FLAGS, info_flags),
	FIELD(vfio_iommu_type1_info, iova_pgsizes, ABI_U64, NULL),
	FIELD(vfio_iommu_type1_info, cap_offset, ABI_U32, NULL),
};
static const struct abi_field f_dma_map[] = {
	FIELD(vfio_iommu_type1_dma_map, argsz, ABI_U32, NULL),
	FIELD(vfio_iommu_type1_dma_map, flags, ABI_FLAGS, map_flags),
	FIELD(vfio_iommu_type1_dma_map, vaddr, ABI_ADDR, NULL),
	FIELD(vfio_iommu_type1_dma_map, iova, ABI_SIZE, NULL),
	FIELD(vfio_iommu_type1_dma_map, size, ABI_SIZE, NULL),
};
/* VFIO_IOMMU_UNMAP_DMA's argument with GET_DIRTY_BITMAP's struct
 * vfio_bitmap after the header (its data[]), flat; without the flag the
 * kernel reads only the header */
struct dma_unmap_arg {
	uint32_t argsz, flags;
	uint64_t iova, size;
	uint64_t pgsize, bitmap_size, data;
};
_Static_assert(sizeof(struct dma_unmap_arg) ==
	       sizeof(struct vfio_iommu_type1_dma_unmap) + sizeof(struct vfio_bitmap) &&
	       offsetof(struct dma_unmap_arg, pgsize) ==
	       offsetof(struct vfio_iommu_type1_dma_unmap, data),
	       "the flat layout of UNMAP_DMA + its vfio_bitmap");
static const struct abi_field f_dma_unmap[] = {
	FIELD(dma_unmap_arg, argsz, ABI_U32, NULL),
	FIELD(dma_unmap_arg, flags, ABI_FLAGS, unmap_flags),
	FIELD(dma_unmap_arg, iova, ABI_SIZE, NULL),
	FIELD(dma_unmap_arg, size, ABI_SIZE, NULL),
	FIELD(dma_unmap_arg, pgsize, ABI_SIZE, NULL),
	FIELD(dma_unmap_arg, bitmap_size, ABI_SIZE, NULL),
	FIELD(dma_unmap_arg, data, ABI_ADDR, NULL),
};
static const struct abi_flag dirty_flags[] = {
	{ "START", VFIO_IOMMU_DIRTY_PAGES_FLAG_START },
	{ "STOP", VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP },
	{ "GET_BITMAP", VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP },
	{ NULL, 0 },
};
/* VFIO_IOMMU_DIRTY_PAGES's argument with GET_BITMAP's range after the
 * header, flat: struct vfio_iommu_type1_dirty_bitmap, then
 * vfio_iommu_type1_dirty_bitmap_get with its struct vfio_bitmap */
struct dirty_pages_arg {
	uint32_t argsz, flags;
	uint64_t iova, size;
	uint64_t pgsize, bitmap_size, data;
};
_Static_assert(sizeof(struct dirty_pages_arg) ==
	       sizeof(struct vfio_iommu_type1_dirty_bitmap) +
	       sizeof(struct vfio_iommu_type1_dirty_bitmap_get) &&
	       offsetof(struct dirty_pages_arg, data) ==
	       sizeof(struct vfio_iommu_type1_dirty_bitmap) +
	       offsetof(struct vfio_iommu_type1_dirty_bitmap_get, bitmap.data),
	       "the flat layout of DIRTY_PAGES + GET_BITMAP");
static const struct abi_field f_dirty_pages[] = {
	FIELD(dirty_pages_arg, argsz, ABI_U32, NULL),
	FIELD(dirty_pages_arg, flags, ABI_FLAGS, dirty_flags),
	FIELD(dirty_pages_arg, iova, ABI_SIZE, NULL),
	FIELD(dirty_pages_arg, size, ABI_SIZE, NULL),
	FIELD(dirty_pages_arg, pgsize, ABI_SIZE, NULL),
	FIELD(dirty_pages_arg, bitmap_size, ABI_SIZE, NULL),
	FIELD(dirty_pages_arg, data, ABI_ADDR, NULL),
};
static const struct abi_field f_device_info[] = {
	FIELD(vfio_device_info, argsz, ABI_U32, NULL),
	FIELD(vfio_device_info, flags, ABI_FLAGS, device_flags),
	FIELD(vfio_device_info, num_regions, ABI_U32, NULL),
	FIELD(vfio_device_info, num_irqs, ABI_U32, NULL),
	FIELD(vfio_device_info, cap_offset, ABI_U32, NULL),
};
static const struct abi_field f_region_info[] = {
	FIELD(vfio_region_info, argsz, ABI_U32, NULL),
	FIELD(vfio_region_info, flags, ABI_FLAGS, region_flags),
	FIELD(vfio_region_info, index, ABI_U32, NULL),
	FIELD(vfio_region_info, cap_offset, ABI_U32, NULL),
	FIELD(vfio_region_info, size, ABI_SIZE, NULL),
	FIELD(vfio_region_info, offset, ABI_U64, NULL),
};
static const struct abi_field f_irq_info[] = {
	FIELD(vfio_irq_info, argsz, ABI_U32, NULL),
	FIELD(vfio_irq_info, flags, ABI_FLAGS, irq_info_flags),
	FIELD(vfio_irq_info, index, ABI_U32, NULL),
	FIELD(vfio_irq_info, count, ABI_U32, NULL),
};
static const struct abi_flag ioeventfd_flags[] = {
	{ "8", VFIO_DEVICE_IOEVENTFD_8 },
	{ "16", VFIO_DEVICE_IOEVENTFD_16 },
	{ "32", VFIO_DEVICE_IOEVENTFD_32 },
	{ "64", VFIO_DEVICE_IOEVENTFD_64 },
	{ NULL, 0 },
};
static const struct abi_field f_ioeventfd[] = {
	FIELD(vfio_device_ioeventfd, argsz, ABI_U32, NULL),
	FIELD(vfio_device_ioeventfd, flags, ABI_FLAGS, ioeventfd_flags),
	FIELD(vfio_device_ioeventfd, offset, ABI_U64, NULL),
	FIELD(vfio_device_ioeventfd, data, ABI_U64, NULL),
	FIELD(vfio_device_ioeventfd, fd, ABI_U32, NULL),
};
/* the feature index is a number or one of these, with GET / SET / PROBE */
static const struct abi_flag feature_flags[] = {
	{ "GET", VFIO_DEVICE_FEATURE_GET },
	{ "SET", VFIO_DEVICE_FEATURE_SET },
	{ "PROBE", VFIO_DEVICE_FEATURE_PROBE },
	{ "MIGRATION", 1 },
	{ "LOW_POWER_ENTRY", 3 },
	{ "LOW_POWER_ENTRY_WITH_WAKEUP", 4 },
	{ "LOW_POWER_EXIT", 5 },
	{ NULL, 0 },
};
static const struct abi_field f_feature[] = {
	FIELD(vfio_device_feature, argsz, ABI_U32, NULL),
	FIELD(vfio_device_feature, flags, ABI_FLAGS, feature_flags),
};
static const struct abi_field f_irq_set[] = {
	FIELD(vfio_irq_set, argsz, ABI_U32, NULL),
	FIELD(vfio_irq_set, flags, ABI_FLAGS, irq_set_flags),
	FIELD(vfio_irq_set, index, ABI_U32, NULL),
	FIELD(vfio_irq_set, start, ABI_U32, NULL),
	FIELD(vfio_irq_set, count, ABI_U32, NULL),
};

/* ---- the VFIO device cdev (<iommusim/uapi/vfio_cdev.h>, since 6.6) ---- */

/* BIND, ATTACH and DETACH define no flags in 6.12: only a number (0) */
static const struct abi_flag no_flags[] = {
	{ NULL, 0 },
};
static const struct abi_field f_bind_iommufd[] = {
	FIELD(vfio_device_bind_iommufd, argsz, ABI_U32, NULL),
	FIELD(vfio_device_bind_iommufd, flags, ABI_FLAGS, no_flags),
	FIELD(vfio_device_bind_iommufd, iommufd, ABI_FD, NULL),
	FIELD(vfio_device_bind_iommufd, out_devid, ABI_U32, NULL),
};
static const struct abi_flag attach_pt_flags[] = {
	{ "PASID", VFIO_DEVICE_ATTACH_PASID },
	{ NULL, 0 },
};
static const struct abi_flag detach_pt_flags[] = {
	{ "PASID", VFIO_DEVICE_DETACH_PASID },
	{ NULL, 0 },
};
static const struct abi_field f_attach_pt[] = {
	FIELD(vfio_device_attach_iommufd_pt, argsz, ABI_U32, NULL),
	FIELD(vfio_device_attach_iommufd_pt, flags, ABI_FLAGS, attach_pt_flags),
	FIELD(vfio_device_attach_iommufd_pt, pt_id, ABI_U32, NULL),
	FIELD(vfio_device_attach_iommufd_pt, pasid, ABI_U32, NULL),
};
static const struct abi_field f_detach_pt[] = {
	FIELD(vfio_device_detach_iommufd_pt, argsz, ABI_U32, NULL),
	FIELD(vfio_device_detach_iommufd_pt, flags, ABI_FLAGS, detach_pt_flags),
	FIELD(vfio_device_detach_iommufd_pt, pasid, ABI_U32, NULL),
};

/* ---- iommufd (<iommusim/uapi/iommufd.h>): `size` plays argsz's part ---- */

static const struct abi_flag ioas_map_flags[] = {     /* MAP and COPY */
	{ "FIXED_IOVA", IOMMU_IOAS_MAP_FIXED_IOVA },
	{ "WRITEABLE", IOMMU_IOAS_MAP_WRITEABLE },
	{ "READABLE", IOMMU_IOAS_MAP_READABLE },
	{ NULL, 0 },
};
static const struct abi_flag hwpt_alloc_flags[] = {
	{ "NEST_PARENT", IOMMU_HWPT_ALLOC_NEST_PARENT },
	{ "DIRTY_TRACKING", IOMMU_HWPT_ALLOC_DIRTY_TRACKING },
	{ "FAULT_ID_VALID", IOMMU_HWPT_FAULT_ID_VALID },
	{ "PASID", IOMMU_HWPT_ALLOC_PASID },
	{ NULL, 0 },
};
static const struct abi_flag hw_caps[] = {            /* GET_HW_INFO's out_capabilities */
	{ "DIRTY_TRACKING", IOMMU_HW_CAP_DIRTY_TRACKING },
	{ "PCI_PASID_EXEC", IOMMU_HW_CAP_PCI_PASID_EXEC },
	{ "PCI_PASID_PRIV", IOMMU_HW_CAP_PCI_PASID_PRIV },
	{ NULL, 0 },
};
static const struct abi_flag set_dirty_flags[] = {
	{ "ENABLE", IOMMU_HWPT_DIRTY_TRACKING_ENABLE },
	{ NULL, 0 },
};
static const struct abi_flag get_dirty_flags[] = {
	{ "NO_CLEAR", IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR },
	{ NULL, 0 },
};

static const struct abi_const option_ids[] = {
	{ "IOMMU_OPTION_RLIMIT_MODE", IOMMU_OPTION_RLIMIT_MODE },
	{ "IOMMU_OPTION_HUGE_PAGES", IOMMU_OPTION_HUGE_PAGES },
	{ NULL, 0 },
};
static const struct abi_const option_ops[] = {
	{ "IOMMU_OPTION_OP_SET", IOMMU_OPTION_OP_SET },
	{ "IOMMU_OPTION_OP_GET", IOMMU_OPTION_OP_GET },
	{ NULL, 0 },
};
static const struct abi_const vfio_ioas_ops[] = {
	{ "IOMMU_VFIO_IOAS_GET", IOMMU_VFIO_IOAS_GET },
	{ "IOMMU_VFIO_IOAS_SET", IOMMU_VFIO_IOAS_SET },
	{ "IOMMU_VFIO_IOAS_CLEAR", IOMMU_VFIO_IOAS_CLEAR },
	{ NULL, 0 },
};
static const struct abi_const hwpt_data_types[] = {   /* HWPT_ALLOC's data_type */
	{ "IOMMU_HWPT_DATA_NONE", IOMMU_HWPT_DATA_NONE },
	{ "IOMMU_HWPT_DATA_VTD_S1", IOMMU_HWPT_DATA_VTD_S1 },
	{ "IOMMU_HWPT_DATA_ARM_SMMUV3", IOMMU_HWPT_DATA_ARM_SMMUV3 },
	{ NULL, 0 },
};
static const struct abi_const hw_info_types[] = {     /* GET_HW_INFO's out_data_type */
	{ "IOMMU_HW_INFO_TYPE_NONE", IOMMU_HW_INFO_TYPE_NONE },
	{ "IOMMU_HW_INFO_TYPE_INTEL_VTD", IOMMU_HW_INFO_TYPE_INTEL_VTD },
	{ "IOMMU_HW_INFO_TYPE_SELFTEST", IOMMU_HW_INFO_TYPE_SELFTEST },   /* the mock's */
	{ NULL, 0 },
};
static const struct abi_const inv_data_types[] = {    /* HWPT_INVALIDATE's data_type */
	{ "IOMMU_HWPT_INVALIDATE_DATA_VTD_S1", IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 },
	{ "IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3", IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 },
	{ NULL, 0 },
};
static const struct abi_const viommu_types[] = {      /* VIOMMU_ALLOC's type */
	{ "IOMMU_VIOMMU_TYPE_DEFAULT", IOMMU_VIOMMU_TYPE_DEFAULT },
	{ "IOMMU_VIOMMU_TYPE_ARM_SMMUV3", IOMMU_VIOMMU_TYPE_ARM_SMMUV3 },
	{ "IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV", IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV },
	{ NULL, 0 },
};

static const struct abi_field f_destroy[] = {
	FIELD(iommu_destroy, size, ABI_U32, NULL),
	FIELD(iommu_destroy, id, ABI_U32, NULL),
};
static const struct abi_field f_ioas_alloc[] = {
	FIELD(iommu_ioas_alloc, size, ABI_U32, NULL),
	FIELD(iommu_ioas_alloc, flags, ABI_FLAGS, no_flags),
	FIELD(iommu_ioas_alloc, out_ioas_id, ABI_U32, NULL),
};
static const struct abi_field f_ioas_allow_iovas[] = {
	FIELD(iommu_ioas_allow_iovas, size, ABI_U32, NULL),
	FIELD(iommu_ioas_allow_iovas, ioas_id, ABI_U32, NULL),
	FIELD(iommu_ioas_allow_iovas, num_iovas, ABI_U32, NULL),
	FIELD(iommu_ioas_allow_iovas, __reserved, ABI_U32, NULL),
	FIELD(iommu_ioas_allow_iovas, allowed_iovas, ABI_ADDR, NULL),
};
static const struct abi_field f_ioas_copy[] = {
	FIELD(iommu_ioas_copy, size, ABI_U32, NULL),
	FIELD(iommu_ioas_copy, flags, ABI_FLAGS, ioas_map_flags),
	FIELD(iommu_ioas_copy, dst_ioas_id, ABI_U32, NULL),
	FIELD(iommu_ioas_copy, src_ioas_id, ABI_U32, NULL),
	FIELD(iommu_ioas_copy, length, ABI_SIZE, NULL),
	FIELD(iommu_ioas_copy, dst_iova, ABI_SIZE, NULL),
	FIELD(iommu_ioas_copy, src_iova, ABI_SIZE, NULL),
};
static const struct abi_field f_ioas_iova_ranges[] = {
	FIELD(iommu_ioas_iova_ranges, size, ABI_U32, NULL),
	FIELD(iommu_ioas_iova_ranges, ioas_id, ABI_U32, NULL),
	FIELD(iommu_ioas_iova_ranges, num_iovas, ABI_U32, NULL),
	FIELD(iommu_ioas_iova_ranges, __reserved, ABI_U32, NULL),
	FIELD(iommu_ioas_iova_ranges, allowed_iovas, ABI_ADDR, NULL),
	FIELD(iommu_ioas_iova_ranges, out_iova_alignment, ABI_SIZE, NULL),
};
static const struct abi_field f_ioas_map[] = {
	FIELD(iommu_ioas_map, size, ABI_U32, NULL),
	FIELD(iommu_ioas_map, flags, ABI_FLAGS, ioas_map_flags),
	FIELD(iommu_ioas_map, ioas_id, ABI_U32, NULL),
	FIELD(iommu_ioas_map, __reserved, ABI_U32, NULL),
	FIELD(iommu_ioas_map, user_va, ABI_ADDR, NULL),
	FIELD(iommu_ioas_map, length, ABI_SIZE, NULL),
	FIELD(iommu_ioas_map, iova, ABI_SIZE, NULL),
};
static const struct abi_field f_ioas_unmap[] = {
	FIELD(iommu_ioas_unmap, size, ABI_U32, NULL),
	FIELD(iommu_ioas_unmap, ioas_id, ABI_U32, NULL),
	FIELD(iommu_ioas_unmap, iova, ABI_SIZE, NULL),
	FIELD(iommu_ioas_unmap, length, ABI_SIZE, NULL),
};
static const struct abi_field f_option[] = {
	FIELD(iommu_option, size, ABI_U32, NULL),
	FIELD_ENUM(iommu_option, option_id, option_ids),
	FIELD_ENUM(iommu_option, op, option_ops),           /* __u16 */
	FIELD(iommu_option, __reserved, ABI_U32, NULL),     /* __u16 */
	FIELD(iommu_option, object_id, ABI_U32, NULL),
	FIELD(iommu_option, val64, ABI_U64, NULL),
};
static const struct abi_field f_vfio_ioas[] = {
	FIELD(iommu_vfio_ioas, size, ABI_U32, NULL),
	FIELD(iommu_vfio_ioas, ioas_id, ABI_U32, NULL),
	FIELD_ENUM(iommu_vfio_ioas, op, vfio_ioas_ops),     /* __u16 */
	FIELD(iommu_vfio_ioas, __reserved, ABI_U32, NULL),  /* __u16 */
};
static const struct abi_field f_hwpt_alloc[] = {
	FIELD(iommu_hwpt_alloc, size, ABI_U32, NULL),
	FIELD(iommu_hwpt_alloc, flags, ABI_FLAGS, hwpt_alloc_flags),
	FIELD(iommu_hwpt_alloc, dev_id, ABI_U32, NULL),
	FIELD(iommu_hwpt_alloc, pt_id, ABI_U32, NULL),
	FIELD(iommu_hwpt_alloc, out_hwpt_id, ABI_U32, NULL),
	FIELD(iommu_hwpt_alloc, __reserved, ABI_U32, NULL),
	FIELD_ENUM(iommu_hwpt_alloc, data_type, hwpt_data_types),
	FIELD(iommu_hwpt_alloc, data_len, ABI_U32, NULL),
	FIELD(iommu_hwpt_alloc, data_uptr, ABI_ADDR, NULL),
	FIELD(iommu_hwpt_alloc, fault_id, ABI_U32, NULL),
	FIELD(iommu_hwpt_alloc, __reserved2, ABI_U32, NULL),
};
static const struct abi_field f_hw_info[] = {
	FIELD(iommu_hw_info, size, ABI_U32, NULL),
	FIELD(iommu_hw_info, flags, ABI_FLAGS, no_flags),
	FIELD(iommu_hw_info, dev_id, ABI_U32, NULL),
	FIELD(iommu_hw_info, data_len, ABI_U32, NULL),
	FIELD(iommu_hw_info, data_uptr, ABI_ADDR, NULL),
	FIELD_ENUM(iommu_hw_info, out_data_type, hw_info_types),
	FIELD(iommu_hw_info, out_max_pasid_log2, ABI_U32, NULL),  /* __u8 */
	FIELD(iommu_hw_info, __reserved, ABI_U32, NULL),          /* __u8[3] */
	FIELD(iommu_hw_info, out_capabilities, ABI_FLAGS, hw_caps),
};
static const struct abi_field f_set_dirty[] = {
	FIELD(iommu_hwpt_set_dirty_tracking, size, ABI_U32, NULL),
	FIELD(iommu_hwpt_set_dirty_tracking, flags, ABI_FLAGS, set_dirty_flags),
	FIELD(iommu_hwpt_set_dirty_tracking, hwpt_id, ABI_U32, NULL),
	FIELD(iommu_hwpt_set_dirty_tracking, __reserved, ABI_U32, NULL),
};
static const struct abi_field f_get_dirty[] = {
	FIELD(iommu_hwpt_get_dirty_bitmap, size, ABI_U32, NULL),
	FIELD(iommu_hwpt_get_dirty_bitmap, hwpt_id, ABI_U32, NULL),
	FIELD(iommu_hwpt_get_dirty_bitmap, flags, ABI_FLAGS, get_dirty_flags),
	FIELD(iommu_hwpt_get_dirty_bitmap, __reserved, ABI_U32, NULL),
	FIELD(iommu_hwpt_get_dirty_bitmap, iova, ABI_SIZE, NULL),
	FIELD(iommu_hwpt_get_dirty_bitmap, length, ABI_SIZE, NULL),
	FIELD(iommu_hwpt_get_dirty_bitmap, page_size, ABI_SIZE, NULL),
	FIELD(iommu_hwpt_get_dirty_bitmap, data, ABI_ADDR, NULL),
};
static const struct abi_field f_hwpt_invalidate[] = {
	FIELD(iommu_hwpt_invalidate, size, ABI_U32, NULL),
	FIELD(iommu_hwpt_invalidate, hwpt_id, ABI_U32, NULL),
	FIELD(iommu_hwpt_invalidate, data_uptr, ABI_ADDR, NULL),
	FIELD_ENUM(iommu_hwpt_invalidate, data_type, inv_data_types),
	FIELD(iommu_hwpt_invalidate, entry_len, ABI_U32, NULL),
	FIELD(iommu_hwpt_invalidate, entry_num, ABI_U32, NULL),
	FIELD(iommu_hwpt_invalidate, __reserved, ABI_U32, NULL),
};
static const struct abi_field f_fault_alloc[] = {
	FIELD(iommu_fault_alloc, size, ABI_U32, NULL),
	FIELD(iommu_fault_alloc, flags, ABI_FLAGS, no_flags),
	FIELD(iommu_fault_alloc, out_fault_id, ABI_U32, NULL),
	FIELD(iommu_fault_alloc, out_fault_fd, ABI_FD, NULL),
};

/* ---- the test uAPI (<iommusim/uapi/iommufd_test.h>, CONFIG_IOMMUFD_TEST):
 * one struct whose union arms are fields named arm.field ---- */

static const struct abi_const test_ops[] = {
	{ "IOMMU_TEST_OP_ADD_RESERVED", IOMMU_TEST_OP_ADD_RESERVED },
	{ "IOMMU_TEST_OP_MOCK_DOMAIN", IOMMU_TEST_OP_MOCK_DOMAIN },
	{ "IOMMU_TEST_OP_MD_CHECK_MAP", IOMMU_TEST_OP_MD_CHECK_MAP },
	{ "IOMMU_TEST_OP_MD_CHECK_REFS", IOMMU_TEST_OP_MD_CHECK_REFS },
	{ "IOMMU_TEST_OP_CREATE_ACCESS", IOMMU_TEST_OP_CREATE_ACCESS },
	{ "IOMMU_TEST_OP_DESTROY_ACCESS_PAGES", IOMMU_TEST_OP_DESTROY_ACCESS_PAGES },
	{ "IOMMU_TEST_OP_ACCESS_PAGES", IOMMU_TEST_OP_ACCESS_PAGES },
	{ "IOMMU_TEST_OP_ACCESS_RW", IOMMU_TEST_OP_ACCESS_RW },
	{ "IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT", IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT },
	{ "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE", IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE },
	{ "IOMMU_TEST_OP_ACCESS_REPLACE_IOAS", IOMMU_TEST_OP_ACCESS_REPLACE_IOAS },
	{ "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS", IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS },
	{ "IOMMU_TEST_OP_DIRTY", IOMMU_TEST_OP_DIRTY },
	{ "IOMMU_TEST_OP_MD_CHECK_IOTLB", IOMMU_TEST_OP_MD_CHECK_IOTLB },
	{ "IOMMU_TEST_OP_TRIGGER_IOPF", IOMMU_TEST_OP_TRIGGER_IOPF },
	{ "IOMMU_TEST_OP_DEV_CHECK_CACHE", IOMMU_TEST_OP_DEV_CHECK_CACHE },
	{ "IOMMU_TEST_OP_TRIGGER_VEVENT", IOMMU_TEST_OP_TRIGGER_VEVENT },
	{ "IOMMU_TEST_OP_PASID_ATTACH", IOMMU_TEST_OP_PASID_ATTACH },
	{ "IOMMU_TEST_OP_PASID_REPLACE", IOMMU_TEST_OP_PASID_REPLACE },
	{ "IOMMU_TEST_OP_PASID_DETACH", IOMMU_TEST_OP_PASID_DETACH },
	{ "IOMMU_TEST_OP_PASID_CHECK_HWPT", IOMMU_TEST_OP_PASID_CHECK_HWPT },
	{ NULL, 0 },
};
static const struct abi_flag mock_dev_flags[] = {
	{ "NO_DIRTY", MOCK_FLAGS_DEVICE_NO_DIRTY },
	{ "HUGE_IOVA", MOCK_FLAGS_DEVICE_HUGE_IOVA },
	{ "PASID", MOCK_FLAGS_DEVICE_PASID },
	{ NULL, 0 },
};
static const struct abi_flag create_access_flags[] = {
	{ "NEEDS_PIN_PAGES", MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES },
	{ NULL, 0 },
};
static const struct abi_flag access_pages_flags[] = {
	{ "WRITE", MOCK_FLAGS_ACCESS_WRITE },
	{ "SYZ", MOCK_FLAGS_ACCESS_SYZ },
	{ NULL, 0 },
};
static const struct abi_flag access_rw_flags[] = {
	{ "WRITE", MOCK_ACCESS_RW_WRITE },
	{ "SLOW_PATH", MOCK_ACCESS_RW_SLOW_PATH },
	{ "SYZ", MOCK_FLAGS_ACCESS_SYZ },
	{ NULL, 0 },
};
#define TFIELD(member, kind, flags) FIELD(iommu_test_cmd, member, kind, flags)
static const struct abi_field f_test_cmd[] = {
	TFIELD(size, ABI_U32, NULL),
	FIELD_ENUM(iommu_test_cmd, op, test_ops),
	/* an object id ($saved, a number), or for the access ops the access's
	 * descriptor: a handle name */
	TFIELD(id, ABI_FD, NULL),
	TFIELD(__reserved, ABI_U32, NULL),
	TFIELD(add_reserved.start, ABI_SIZE, NULL),
	TFIELD(add_reserved.length, ABI_SIZE, NULL),
	TFIELD(mock_domain.out_stdev_id, ABI_U32, NULL),
	TFIELD(mock_domain.out_hwpt_id, ABI_U32, NULL),
	TFIELD(mock_domain.out_idev_id, ABI_U32, NULL),
	TFIELD(mock_domain_flags.out_stdev_id, ABI_U32, NULL),
	TFIELD(mock_domain_flags.out_hwpt_id, ABI_U32, NULL),
	TFIELD(mock_domain_flags.out_idev_id, ABI_U32, NULL),
	TFIELD(mock_domain_flags.dev_flags, ABI_FLAGS, mock_dev_flags),
	TFIELD(mock_domain_replace.pt_id, ABI_U32, NULL),
	TFIELD(check_map.iova, ABI_SIZE, NULL),
	TFIELD(check_map.length, ABI_SIZE, NULL),
	TFIELD(check_map.uptr, ABI_ADDR, NULL),
	TFIELD(check_refs.length, ABI_SIZE, NULL),
	TFIELD(check_refs.uptr, ABI_ADDR, NULL),
	TFIELD(check_refs.refs, ABI_U32, NULL),
	TFIELD(create_access.out_access_fd, ABI_FD, NULL),
	TFIELD(create_access.flags, ABI_FLAGS, create_access_flags),
	TFIELD(destroy_access_pages.access_pages_id, ABI_U32, NULL),
	TFIELD(access_pages.flags, ABI_FLAGS, access_pages_flags),
	TFIELD(access_pages.out_access_pages_id, ABI_U32, NULL),
	TFIELD(access_pages.iova, ABI_SIZE, NULL),
	TFIELD(access_pages.length, ABI_SIZE, NULL),
	TFIELD(access_pages.uptr, ABI_ADDR, NULL),
	TFIELD(access_rw.iova, ABI_SIZE, NULL),
	TFIELD(access_rw.length, ABI_SIZE, NULL),
	TFIELD(access_rw.uptr, ABI_ADDR, NULL),
	TFIELD(access_rw.flags, ABI_FLAGS, access_rw_flags),
	TFIELD(memory_limit.limit, ABI_U32, NULL),
	TFIELD(access_replace_ioas.ioas_id, ABI_U32, NULL),
	TFIELD(dirty.flags, ABI_U32, NULL),
	TFIELD(dirty.iova, ABI_SIZE, NULL),
	TFIELD(dirty.length, ABI_SIZE, NULL),
	TFIELD(dirty.page_size, ABI_SIZE, NULL),
	TFIELD(dirty.uptr, ABI_ADDR, NULL),
	TFIELD(dirty.out_nr_dirty, ABI_U64, NULL),
	TFIELD(check_iotlb.id, ABI_U32, NULL),
	TFIELD(check_iotlb.iotlb, ABI_U32, NULL),
	TFIELD(trigger_iopf.dev_id, ABI_U32, NULL),
	TFIELD(trigger_iopf.pasid, ABI_U32, NULL),
	TFIELD(trigger_iopf.grpid, ABI_U32, NULL),
	TFIELD(trigger_iopf.perm, ABI_U32, NULL),
	TFIELD(trigger_iopf.addr, ABI_SIZE, NULL),
	TFIELD(check_dev_cache.id, ABI_U32, NULL),
	TFIELD(check_dev_cache.cache, ABI_U32, NULL),
	TFIELD(trigger_vevent.dev_id, ABI_U32, NULL),
	TFIELD(last, ABI_U32, NULL),
};
#undef TFIELD

static const struct abi_struct s_group_status = STRUCT(vfio_group_status, f_group_status, 0);
static const struct abi_struct s_iommu_info = STRUCT(vfio_iommu_type1_info, f_iommu_info, 0);
static const struct abi_struct s_dma_map = STRUCT(vfio_iommu_type1_dma_map, f_dma_map, 0);
static const struct abi_struct s_dma_unmap = STRUCT(dma_unmap_arg, f_dma_unmap, 0);
static const struct abi_struct s_dirty_pages = STRUCT(dirty_pages_arg, f_dirty_pages, 0);
static const struct abi_struct s_device_info = STRUCT(vfio_device_info, f_device_info, 0);
static const struct abi_struct s_region_info = STRUCT(vfio_region_info, f_region_info, 0);
static const struct abi_struct s_irq_info = STRUCT(vfio_irq_info, f_irq_info, 0);
static const struct abi_struct s_ioeventfd = STRUCT(vfio_device_ioeventfd, f_ioeventfd, 0);
static const struct abi_struct s_feature = STRUCT(vfio_device_feature, f_feature, 0);
static const struct abi_struct s_irq_set = STRUCT(vfio_irq_set, f_irq_set,
						  offsetof(struct vfio_irq_set, data));
static const struct abi_field f_viommu_alloc[] = {
	FIELD(iommu_viommu_alloc, size, ABI_U32, NULL),
	FIELD(iommu_viommu_alloc, flags, ABI_FLAGS, no_flags),
	FIELD_ENUM(iommu_viommu_alloc, type, viommu_types),
	FIELD(iommu_viommu_alloc, dev_id, ABI_U32, NULL),
	FIELD(iommu_viommu_alloc, hwpt_id, ABI_U32, NULL),
	FIELD(iommu_viommu_alloc, out_viommu_id, ABI_U32, NULL),
	FIELD(iommu_viommu_alloc, data_len, ABI_U32, NULL),
	FIELD(iommu_viommu_alloc, __reserved, ABI_U32, NULL),
	FIELD(iommu_viommu_alloc, data_uptr, ABI_ADDR, NULL),
};
static const struct abi_field f_vdevice_alloc[] = {
	FIELD(iommu_vdevice_alloc, size, ABI_U32, NULL),
	FIELD(iommu_vdevice_alloc, viommu_id, ABI_U32, NULL),
	FIELD(iommu_vdevice_alloc, dev_id, ABI_U32, NULL),
	FIELD(iommu_vdevice_alloc, out_vdevice_id, ABI_U32, NULL),
	FIELD(iommu_vdevice_alloc, virt_id, ABI_U64, NULL),
};
static const struct abi_struct s_bind_iommufd =
	STRUCT(vfio_device_bind_iommufd, f_bind_iommufd, 0);
static const struct abi_struct s_attach_pt =
	STRUCT(vfio_device_attach_iommufd_pt, f_attach_pt, 0);
static const struct abi_struct s_detach_pt =
	STRUCT(vfio_device_detach_iommufd_pt, f_detach_pt, 0);
static const struct abi_struct s_destroy = STRUCT(iommu_destroy, f_destroy, 0);
static const struct abi_struct s_ioas_alloc = STRUCT(iommu_ioas_alloc, f_ioas_alloc, 0);
static const struct abi_struct s_ioas_allow_iovas =
	STRUCT(iommu_ioas_allow_iovas, f_ioas_allow_iovas, 0);
static const struct abi_struct s_ioas_copy = STRUCT(iommu_ioas_copy, f_ioas_copy, 0);
static const struct abi_struct s_ioas_iova_ranges =
	STRUCT(iommu_ioas_iova_ranges, f_ioas_iova_ranges, 0);
static const struct abi_struct s_ioas_map = STRUCT(iommu_ioas_map, f_ioas_map, 0);
static const struct abi_struct s_ioas_unmap = STRUCT(iommu_ioas_unmap, f_ioas_unmap, 0);
static const struct abi_struct s_option = STRUCT(iommu_option, f_option, 0);
static const struct abi_struct s_vfio_ioas = STRUCT(iommu_vfio_ioas, f_vfio_ioas, 0);
static const struct abi_struct s_hwpt_alloc = STRUCT(iommu_hwpt_alloc, f_hwpt_alloc, 0);
static const struct abi_struct s_hw_info = STRUCT(iommu_hw_info, f_hw_info, 0);
static const struct abi_struct s_set_dirty =
	STRUCT(iommu_hwpt_set_dirty_tracking, f_set_dirty, 0);
static const struct abi_struct s_get_dirty =
	STRUCT(iommu_hwpt_get_dirty_bitmap, f_get_dirty, 0);
static const struct abi_struct s_hwpt_invalidate =
	STRUCT(iommu_hwpt_invalidate, f_hwpt_invalidate, 0);
static const struct abi_struct s_fault_alloc = STRUCT(iommu_fault_alloc, f_fault_alloc, 0);
static const struct abi_struct s_viommu_alloc = STRUCT(iommu_viommu_alloc, f_viommu_alloc, 0);
static const struct abi_struct s_vdevice_alloc =
	STRUCT(iommu_vdevice_alloc, f_vdevice_alloc, 0);
static const struct abi_struct s_test_cmd = STRUCT(iommu_test_cmd, f_test_cmd, 0);

static const struct abi_const iommu_types[] = {
	{ "VFIO_TYPE1_IOMMU", VFIO_TYPE1_IOMMU },
	{ "VFIO_SPAPR_TCE_IOMMU", VFIO_SPAPR_TCE_IOMMU },
	{ "VFIO_TYPE1v2_IOMMU", VFIO_TYPE1v2_IOMMU },
	{ "VFIO_DMA_CC_IOMMU", VFIO_DMA_CC_IOMMU },
	{ "VFIO_EEH", VFIO_EEH },
	{ "VFIO_TYPE1_NESTING_IOMMU", VFIO_TYPE1_NESTING_IOMMU },
	{ "VFIO_SPAPR_TCE_v2_IOMMU", VFIO_SPAPR_TCE_v2_IOMMU },
	{ "VFIO_NOIOMMU_IOMMU", VFIO_NOIOMMU_IOMMU },
	{ "VFIO_UNMAP_ALL", VFIO_UNMAP_ALL },
	{ "VFIO_UPDATE_VADDR", VFIO_UPDATE_VADDR },
	{ NULL, 0 },
};

/* The SVA proposals (vfio.sva_abi, <iommusim/uapi/vfio_sva.h>).  2018's
 * VFIO_IOMMU_BIND: the header, then BIND_PROCESS's data, flat. */
struct bind_process_arg {
	uint32_t argsz, mode;
	uint32_t flags, pasid;
	int32_t pid;
};
_Static_assert(sizeof(struct bind_process_arg) == sizeof(struct vfio_iommu_type1_bind) +
	       sizeof(struct vfio_iommu_type1_bind_process), "BIND + BIND_PROCESS, flat");
static const struct abi_flag bind_modes[] = {
	{ "PROCESS", VFIO_IOMMU_BIND_PROCESS },
	{ NULL, 0 },
};
static const struct abi_flag bind_process_flags[] = {
	{ "PID", VFIO_IOMMU_BIND_PID },
	{ NULL, 0 },
};
static const struct abi_field f_bind_process[] = {
	FIELD(bind_process_arg, argsz, ABI_U32, NULL),
	FIELD(bind_process_arg, mode, ABI_FLAGS, bind_modes),
	FIELD(bind_process_arg, flags, ABI_FLAGS, bind_process_flags),
	FIELD(bind_process_arg, pasid, ABI_U32, NULL),
	FIELD(bind_process_arg, pid, ABI_U32, NULL),
};
static const struct abi_struct s_bind_process = STRUCT(bind_process_arg, f_bind_process, 0);
/* 2017's VFIO_DEVICE_BIND_TASK */
static const struct abi_flag svm_flags[] = {
	{ "PASID_RELEASE_FLUSHED", VFIO_SVM_PASID_RELEASE_FLUSHED },
	{ "PASID_RELEASE_CLEAN", VFIO_SVM_PASID_RELEASE_CLEAN },
	{ "PID", VFIO_SVM_PID },
	{ NULL, 0 },
};
static const struct abi_field f_device_svm[] = {
	FIELD(vfio_device_svm, argsz, ABI_U32, NULL),
	FIELD(vfio_device_svm, flags, ABI_FLAGS, svm_flags),
	FIELD(vfio_device_svm, pasid, ABI_U32, NULL),
	FIELD(vfio_device_svm, pid, ABI_U32, NULL),
};
static const struct abi_struct s_device_svm = STRUCT(vfio_device_svm, f_device_svm, 0);

/* The 2020 guest page-table bind (vfio.nesting_abi, <iommusim/uapi/
 * vfio_nesting.h>): PASID_REQUEST; BIND's header and its bind data, flat;
 * CACHE_INVALIDATE. */
static const struct abi_flag pasid_req_flags[] = {
	{ "ALLOC", VFIO_IOMMU_PASID_ALLOC },
	{ "FREE", VFIO_IOMMU_PASID_FREE },
	{ NULL, 0 },
};
static const struct abi_field f_pasid_request[] = {
	FIELD(vfio_iommu_type1_pasid_request, argsz, ABI_U32, NULL),
	FIELD(vfio_iommu_type1_pasid_request, flags, ABI_FLAGS, pasid_req_flags),
	FIELD(vfio_iommu_type1_pasid_request, alloc_pasid.min, ABI_U32, NULL),
	FIELD(vfio_iommu_type1_pasid_request, alloc_pasid.max, ABI_U32, NULL),
	FIELD(vfio_iommu_type1_pasid_request, alloc_pasid.result, ABI_U32, NULL),
	FIELD(vfio_iommu_type1_pasid_request, free_pasid, ABI_U32, NULL),
};
static const struct abi_struct s_pasid_request =
	STRUCT(vfio_iommu_type1_pasid_request, f_pasid_request, 0);
struct bind_gpgtbl_arg {
	uint32_t argsz, flags;
	struct iommu_gpasid_bind_data data;
};
_Static_assert(sizeof(struct bind_gpgtbl_arg) == sizeof(struct vfio_iommu_type1_bind_2020) +
	       sizeof(struct iommu_gpasid_bind_data), "BIND + bind data, flat");
static const struct abi_flag gpgtbl_bind_flags[] = {
	{ "BIND_GUEST_PGTBL", VFIO_IOMMU_BIND_GUEST_PGTBL },
	{ "UNBIND_GUEST_PGTBL", VFIO_IOMMU_UNBIND_GUEST_PGTBL },
	{ NULL, 0 },
};
static const struct abi_const pasid_formats[] = {
	{ "INTEL_VTD", IOMMU_PASID_FORMAT_INTEL_VTD },
	{ NULL, 0 },
};
static const struct abi_flag gpasid_flags[] = {
	{ "GPASID_VAL", IOMMU_SVA_GPASID_VAL },
	{ NULL, 0 },
};
static const struct abi_flag gpasid_vtd_flags[] = {
	{ "SRE", IOMMU_SVA_VTD_GPASID_SRE },
	{ "EAFE", IOMMU_SVA_VTD_GPASID_EAFE },
	{ "PCD", IOMMU_SVA_VTD_GPASID_PCD },
	{ "PWT", IOMMU_SVA_VTD_GPASID_PWT },
	{ "EMTE", IOMMU_SVA_VTD_GPASID_EMTE },
	{ "CD", IOMMU_SVA_VTD_GPASID_CD },
	{ NULL, 0 },
};
static const struct abi_field f_bind_gpgtbl[] = {
	FIELD(bind_gpgtbl_arg, argsz, ABI_U32, NULL),
	FIELD(bind_gpgtbl_arg, flags, ABI_FLAGS, gpgtbl_bind_flags),
	FIELD(bind_gpgtbl_arg, data.version, ABI_U32, NULL),
	FIELD_ENUM(bind_gpgtbl_arg, data.format, pasid_formats),
	FIELD(bind_gpgtbl_arg, data.flags, ABI_FLAGS, gpasid_flags),
	FIELD(bind_gpgtbl_arg, data.gpgd, ABI_U64, NULL),
	FIELD(bind_gpgtbl_arg, data.hpasid, ABI_U64, NULL),
	FIELD(bind_gpgtbl_arg, data.gpasid, ABI_U64, NULL),
	FIELD(bind_gpgtbl_arg, data.addr_width, ABI_U32, NULL),
	FIELD(bind_gpgtbl_arg, data.vendor.vtd.flags, ABI_FLAGS, gpasid_vtd_flags),
	FIELD(bind_gpgtbl_arg, data.vendor.vtd.pat, ABI_U32, NULL),
	FIELD(bind_gpgtbl_arg, data.vendor.vtd.emt, ABI_U32, NULL),
};
static const struct abi_struct s_bind_gpgtbl = STRUCT(bind_gpgtbl_arg, f_bind_gpgtbl, 0);
static const struct abi_flag inv_cache_types[] = {
	{ "IOTLB", IOMMU_CACHE_INV_TYPE_IOTLB },
	{ "DEV_IOTLB", IOMMU_CACHE_INV_TYPE_DEV_IOTLB },
	{ "PASID", IOMMU_CACHE_INV_TYPE_PASID },
	{ NULL, 0 },
};
static const struct abi_const inv_granus[] = {
	{ "DOMAIN", IOMMU_INV_GRANU_DOMAIN },
	{ "PASID", IOMMU_INV_GRANU_PASID },
	{ "ADDR", IOMMU_INV_GRANU_ADDR },
	{ NULL, 0 },
};
static const struct abi_flag inv_addr_flags[] = {
	{ "PASID", IOMMU_INV_ADDR_FLAGS_PASID },
	{ "ARCHID", IOMMU_INV_ADDR_FLAGS_ARCHID },
	{ "LEAF", IOMMU_INV_ADDR_FLAGS_LEAF },
	{ NULL, 0 },
};
static const struct abi_flag inv_pasid_flags[] = {
	{ "PASID", IOMMU_INV_PASID_FLAGS_PASID },
	{ "ARCHID", IOMMU_INV_PASID_FLAGS_ARCHID },
	{ NULL, 0 },
};
#define CIFIELD(member, kind, flags) FIELD(vfio_iommu_type1_cache_invalidate, member, kind, flags)
static const struct abi_field f_cache_inv[] = {
	CIFIELD(argsz, ABI_U32, NULL),
	CIFIELD(flags, ABI_FLAGS, no_flags),
	CIFIELD(cache_info.version, ABI_U32, NULL),
	CIFIELD(cache_info.cache, ABI_FLAGS, inv_cache_types),
	FIELD_ENUM(vfio_iommu_type1_cache_invalidate, cache_info.granularity, inv_granus),
	CIFIELD(cache_info.addr_info.flags, ABI_FLAGS, inv_addr_flags),
	CIFIELD(cache_info.addr_info.archid, ABI_U32, NULL),
	CIFIELD(cache_info.addr_info.pasid, ABI_U64, NULL),
	CIFIELD(cache_info.addr_info.addr, ABI_U64, NULL),
	CIFIELD(cache_info.addr_info.granule_size, ABI_SIZE, NULL),
	CIFIELD(cache_info.addr_info.nb_granules, ABI_U64, NULL),
	CIFIELD(cache_info.pasid_info.flags, ABI_FLAGS, inv_pasid_flags),
	CIFIELD(cache_info.pasid_info.pasid, ABI_U64, NULL),
};
static const struct abi_struct s_cache_inv =
	STRUCT(vfio_iommu_type1_cache_invalidate, f_cache_inv, 0);

static const struct abi_ioctl ioctls[] = {
	{ "VFIO_GET_API_VERSION", VFIO_GET_API_VERSION, ABI_ARG_NONE, NULL, NULL, 0, 0 },
	{ "VFIO_CHECK_EXTENSION", VFIO_CHECK_EXTENSION, ABI_ARG_VALUE, NULL, iommu_types, 0, 0 },
	{ "VFIO_SET_IOMMU", VFIO_SET_IOMMU, ABI_ARG_VALUE, NULL, iommu_types, 0, 0 },
	{ "VFIO_GROUP_GET_STATUS", VFIO_GROUP_GET_STATUS, ABI_ARG_STRUCT, &s_group_status, NULL, 0, 0 },
	{ "VFIO_GROUP_SET_CONTAINER", VFIO_GROUP_SET_CONTAINER, ABI_ARG_FD_PTR, NULL, NULL, 0, 0 },
	{ "VFIO_GROUP_UNSET_CONTAINER", VFIO_GROUP_UNSET_CONTAINER, ABI_ARG_NONE, NULL, NULL, 0, 0 },
	{ "VFIO_GROUP_GET_DEVICE_FD", VFIO_GROUP_GET_DEVICE_FD, ABI_ARG_STRING, NULL, NULL, 1, 0 },
	{ "VFIO_DEVICE_GET_INFO", VFIO_DEVICE_GET_INFO, ABI_ARG_STRUCT, &s_device_info, NULL, 0, 0 },
	{ "VFIO_DEVICE_GET_REGION_INFO", VFIO_DEVICE_GET_REGION_INFO, ABI_ARG_STRUCT,
	  &s_region_info, NULL, 0, 0 },
	{ "VFIO_DEVICE_GET_IRQ_INFO", VFIO_DEVICE_GET_IRQ_INFO, ABI_ARG_STRUCT, &s_irq_info, NULL, 0, 0 },
	{ "VFIO_DEVICE_SET_IRQS", VFIO_DEVICE_SET_IRQS, ABI_ARG_STRUCT, &s_irq_set, NULL, 0, 0 },
	{ "VFIO_DEVICE_RESET", VFIO_DEVICE_RESET, ABI_ARG_NONE, NULL, NULL, 0, 0 },
	{ "VFIO_DEVICE_IOEVENTFD", VFIO_DEVICE_IOEVENTFD, ABI_ARG_STRUCT, &s_ioeventfd, NULL, 0, 0 },
	{ "VFIO_DEVICE_FEATURE", VFIO_DEVICE_FEATURE, ABI_ARG_STRUCT, &s_feature, NULL, 0, 0 },
	/* the device cdev */
	{ "VFIO_DEVICE_BIND_IOMMUFD", VFIO_DEVICE_BIND_IOMMUFD, ABI_ARG_STRUCT,
	  &s_bind_iommufd, NULL, 0, 0 },
	{ "VFIO_DEVICE_ATTACH_IOMMUFD_PT", VFIO_DEVICE_ATTACH_IOMMUFD_PT, ABI_ARG_STRUCT,
	  &s_attach_pt, NULL, 0, 0 },
	{ "VFIO_DEVICE_DETACH_IOMMUFD_PT", VFIO_DEVICE_DETACH_IOMMUFD_PT, ABI_ARG_STRUCT,
	  &s_detach_pt, NULL, 0, 0 },
	{ "VFIO_IOMMU_GET_INFO", VFIO_IOMMU_GET_INFO, ABI_ARG_STRUCT, &s_iommu_info, NULL, 0, 0 },
	{ "VFIO_IOMMU_MAP_DMA", VFIO_IOMMU_MAP_DMA, ABI_ARG_STRUCT, &s_dma_map, NULL, 0, 0 },
	{ "VFIO_IOMMU_UNMAP_DMA", VFIO_IOMMU_UNMAP_DMA, ABI_ARG_STRUCT, &s_dma_unmap, NULL, 0, 0 },
	{ "VFIO_IOMMU_DIRTY_PAGES", VFIO_IOMMU_DIRTY_PAGES, ABI_ARG_STRUCT, &s_dirty_pages, NULL, 0, 0 },
	/* the SVA proposals: vfio.sva_abi bind-process-2018, bind-task-2017 */
	{ "VFIO_IOMMU_BIND", VFIO_IOMMU_BIND, ABI_ARG_STRUCT, &s_bind_process, NULL, 0, 0 },
	{ "VFIO_IOMMU_UNBIND", VFIO_IOMMU_UNBIND, ABI_ARG_STRUCT, &s_bind_process, NULL, 0, 0 },
	{ "VFIO_DEVICE_BIND_TASK", VFIO_DEVICE_BIND_TASK, ABI_ARG_STRUCT, &s_device_svm, NULL, 0, 0 },
	{ "VFIO_DEVICE_UNBIND_TASK", VFIO_DEVICE_UNBIND_TASK, ABI_ARG_STRUCT, &s_device_svm,
	  NULL, 0, 0 },
	/* the guest page-table bind: vfio.nesting_abi guest-pgtbl-2020, whose
	 * VFIO_IOMMU_BIND is its own (VFIO_BASE + 23) */
	{ "VFIO_IOMMU_PASID_REQUEST", VFIO_IOMMU_PASID_REQUEST, ABI_ARG_STRUCT, &s_pasid_request,
	  NULL, 0, ABI_PROFILE_NESTING_2020 },
	{ "VFIO_IOMMU_BIND", VFIO_IOMMU_BIND_2020, ABI_ARG_STRUCT, &s_bind_gpgtbl, NULL, 0,
	  ABI_PROFILE_NESTING_2020 },
	{ "VFIO_IOMMU_CACHE_INVALIDATE", VFIO_IOMMU_CACHE_INVALIDATE, ABI_ARG_STRUCT, &s_cache_inv,
	  NULL, 0, ABI_PROFILE_NESTING_2020 },
	/* iommufd (/dev/iommu), in command-number order */
	{ "IOMMU_DESTROY", IOMMU_DESTROY, ABI_ARG_STRUCT, &s_destroy, NULL, 0, 0 },
	{ "IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC, ABI_ARG_STRUCT, &s_ioas_alloc, NULL, 0, 0 },
	{ "IOMMU_IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS, ABI_ARG_STRUCT,
	  &s_ioas_allow_iovas, NULL, 0, 0 },
	{ "IOMMU_IOAS_COPY", IOMMU_IOAS_COPY, ABI_ARG_STRUCT, &s_ioas_copy, NULL, 0, 0 },
	{ "IOMMU_IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES, ABI_ARG_STRUCT,
	  &s_ioas_iova_ranges, NULL, 0, 0 },
	{ "IOMMU_IOAS_MAP", IOMMU_IOAS_MAP, ABI_ARG_STRUCT, &s_ioas_map, NULL, 0, 0 },
	{ "IOMMU_IOAS_UNMAP", IOMMU_IOAS_UNMAP, ABI_ARG_STRUCT, &s_ioas_unmap, NULL, 0, 0 },
	{ "IOMMU_OPTION", IOMMU_OPTION, ABI_ARG_STRUCT, &s_option, NULL, 0, 0 },
	{ "IOMMU_VFIO_IOAS", IOMMU_VFIO_IOAS, ABI_ARG_STRUCT, &s_vfio_ioas, NULL, 0, 0 },
	{ "IOMMU_HWPT_ALLOC", IOMMU_HWPT_ALLOC, ABI_ARG_STRUCT, &s_hwpt_alloc, NULL, 0, 0 },
	{ "IOMMU_GET_HW_INFO", IOMMU_GET_HW_INFO, ABI_ARG_STRUCT, &s_hw_info, NULL, 0, 0 },
	{ "IOMMU_HWPT_SET_DIRTY_TRACKING", IOMMU_HWPT_SET_DIRTY_TRACKING, ABI_ARG_STRUCT,
	  &s_set_dirty, NULL, 0, 0 },
	{ "IOMMU_HWPT_GET_DIRTY_BITMAP", IOMMU_HWPT_GET_DIRTY_BITMAP, ABI_ARG_STRUCT,
	  &s_get_dirty, NULL, 0, 0 },
	{ "IOMMU_HWPT_INVALIDATE", IOMMU_HWPT_INVALIDATE, ABI_ARG_STRUCT,
	  &s_hwpt_invalidate, NULL, 0, 0 },
	{ "IOMMU_FAULT_QUEUE_ALLOC", IOMMU_FAULT_QUEUE_ALLOC, ABI_ARG_STRUCT,
	  &s_fault_alloc, NULL, 0, 0 },
	{ "IOMMU_VIOMMU_ALLOC", IOMMU_VIOMMU_ALLOC, ABI_ARG_STRUCT, &s_viommu_alloc, NULL, 0, 0 },
	{ "IOMMU_VDEVICE_ALLOC", IOMMU_VDEVICE_ALLOC, ABI_ARG_STRUCT, &s_vdevice_alloc,
	  NULL, 0, 0 },
	/* CONFIG_IOMMUFD_TEST: the profile's iommufd_test */
	{ "IOMMU_TEST_CMD", IOMMU_TEST_CMD, ABI_ARG_STRUCT, &s_test_cmd, NULL, 0, 0 },
};

/* ---- structures an ioctl points at (the `put` step) ---- */

static const struct abi_flag vtd_s1_flags[] = {
	{ "SRE", IOMMU_VTD_S1_SRE },
	{ "EAFE", IOMMU_VTD_S1_EAFE },
	{ "WPE", IOMMU_VTD_S1_WPE },
	{ NULL, 0 },
};
static const struct abi_field f_vtd_s1[] = {
	FIELD(iommu_hwpt_vtd_s1, flags, ABI_FLAGS, vtd_s1_flags),
	FIELD(iommu_hwpt_vtd_s1, pgtbl_addr, ABI_U64, NULL),
	FIELD(iommu_hwpt_vtd_s1, addr_width, ABI_U32, NULL),
	FIELD(iommu_hwpt_vtd_s1, __reserved, ABI_U32, NULL),
};
static const struct abi_flag vtd_inv_flags[] = {
	{ "LEAF", IOMMU_VTD_INV_FLAGS_LEAF },
	{ NULL, 0 },
};
static const struct abi_field f_vtd_s1_inv[] = {
	FIELD(iommu_hwpt_vtd_s1_invalidate, addr, ABI_U64, NULL),
	FIELD(iommu_hwpt_vtd_s1_invalidate, npages, ABI_U64, NULL),
	FIELD(iommu_hwpt_vtd_s1_invalidate, flags, ABI_FLAGS, vtd_inv_flags),
	FIELD(iommu_hwpt_vtd_s1_invalidate, __reserved, ABI_U32, NULL),
};
/* SMMUv3's: the words of the guest's STE and of a guest command, by index */
#define WORD(type, member, i, name) \
	{ name, offsetof(struct type, member) + 8 * (i), 8, ABI_U64, NULL, NULL }
static const struct abi_field f_smmuv3_ste[] = {
	WORD(iommu_hwpt_arm_smmuv3, ste, 0, "ste0"),
	WORD(iommu_hwpt_arm_smmuv3, ste, 1, "ste1"),
};
static const struct abi_field f_smmuv3_inv[] = {
	WORD(iommu_viommu_arm_smmuv3_invalidate, cmd, 0, "cmd0"),
	WORD(iommu_viommu_arm_smmuv3_invalidate, cmd, 1, "cmd1"),
};
/* A context descriptor as an SMMUv3 reads it from a guest's CD table: the
 * architecture's layout, not a uAPI structure (a guest writes it in its
 * own memory; a vSTE's S1ContextPtr points at the table).  A stage-1 CD
 * uses words 0 (TCR fields, V, ASID), 1 (TTB0) and 3 (MAIR). */
struct arm_smmu_cd {
	uint64_t word[8];
};
static const struct abi_field f_smmuv3_cd[] = {
	WORD(arm_smmu_cd, word, 0, "cd0"),
	WORD(arm_smmu_cd, word, 1, "cd1"),
	WORD(arm_smmu_cd, word, 2, "cd2"),
	WORD(arm_smmu_cd, word, 3, "cd3"),
};
static const struct abi_struct data_structs[] = {
	STRUCT(iommu_hwpt_vtd_s1, f_vtd_s1, 0),
	STRUCT(iommu_hwpt_vtd_s1_invalidate, f_vtd_s1_inv, 0),
	STRUCT(iommu_hwpt_arm_smmuv3, f_smmuv3_ste, 0),
	STRUCT(iommu_viommu_arm_smmuv3_invalidate, f_smmuv3_inv, 0),
	STRUCT(arm_smmu_cd, f_smmuv3_cd, 0),
	/* the command itself, for an ioctl step passed a `ptr:` (its
	 * entry_num can be read back after a failure) */
	STRUCT(iommu_hwpt_invalidate, f_hwpt_invalidate, 0),
};

const struct abi_struct *abi_data_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(data_structs) / sizeof(data_structs[0]); i++)
		if (!strcmp(data_structs[i].name, name))
			return &data_structs[i];
	return NULL;
}

void abi_data_names(const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(data_structs) / sizeof(data_structs[0]) && n + 1 < max; i++)
		out[n++] = data_structs[i].name;
	out[n] = NULL;
}

const char *abi_fd_field(const struct abi_ioctl *io)
{
	if (io && io->cmd == IOMMU_FAULT_QUEUE_ALLOC)
		return "out_fault_fd";
	return io && io->cmd == IOMMU_TEST_CMD ? "create_access.out_access_fd" : NULL;
}

const struct abi_ioctl *abi_ioctl_find(const char *name)
{
	return abi_ioctl_find_in(name, 0);
}

const struct abi_ioctl *abi_ioctl_find_in(const char *name, unsigned profile)
{
	const struct abi_ioctl *any = NULL;

	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		if (strcmp(ioctls[i].name, name))
			continue;
		if (ioctls[i].profile == profile)
			return &ioctls[i];
		if (!any && (!ioctls[i].profile || !profile))
			any = &ioctls[i];
	}
	/* a container command every profile has whose number the profile
	 * gives to one of its own (2018's VFIO_IOMMU_UNBIND is 2020's BIND)
	 * is not there; a device fd's (2017's BIND_TASK) is another file's */
	for (size_t i = 0; any && profile && !strncmp(any->name, "VFIO_IOMMU_", 11) &&
			   i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if (ioctls[i].profile == profile && ioctls[i].cmd == any->cmd && &ioctls[i] != any)
			return NULL;
	return any;
}

void abi_ioctl_names(const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]) && n + 1 < max; i++) {
		bool dup = false;

		for (size_t j = 0; j < n && !dup; j++)
			dup = !strcmp(out[j], ioctls[i].name);
		if (!dup)
			out[n++] = ioctls[i].name;
	}
	out[n] = NULL;
}

const struct abi_field *abi_field_find(const struct abi_struct *st, const char *name)
{
	for (size_t i = 0; i < st->nfields; i++)
		if (!strcmp(st->fields[i].name, name))
			return &st->fields[i];
	return NULL;
}

void abi_field_names(const struct abi_struct *st, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < st->nfields && n + 1 < max; i++)
		out[n++] = st->fields[i].name;
	if (st->data_off && n + 1 < max)
		out[n++] = "data";
	out[n] = NULL;
}

uint32_t abi_flag_find(const struct abi_flag *flags, const char *name)
{
	for (size_t i = 0; flags[i].name; i++) {
		const char *full = flags[i].name;
		size_t nl = strlen(name), fl = strlen(full);
		/* "READ", or any prefixed spelling ending in "_READ" */
		if (!strcmp(name, full) ||
		    (nl > fl && name[nl - fl - 1] == '_' && !strcmp(name + nl - fl, full)))
			return flags[i].bit;
	}
	return 0;
}

const struct abi_const *abi_const_find(const struct abi_const *values, const char *name)
{
	for (size_t i = 0; values && values[i].name; i++)
		if (!strcmp(values[i].name, name))
			return &values[i];
	return NULL;
}

const struct abi_const *abi_enum_find(const struct abi_const *values, const char *name)
{
	const struct abi_const *c = abi_const_find(values, name), *hit = NULL;
	size_t nl = strlen(name);

	if (c || !nl)
		return c;
	/* "SET" or "OP_SET" for IOMMU_OPTION_OP_SET: an ending after a '_' */
	for (size_t i = 0; values && values[i].name; i++) {
		size_t fl = strlen(values[i].name);
		if (fl > nl && values[i].name[fl - nl - 1] == '_' &&
		    !strcmp(values[i].name + fl - nl, name)) {
			if (hit)
				return NULL;       /* ambiguous */
			hit = &values[i];
		}
	}
	return hit;
}
