/* SPDX-License-Identifier: MIT */
/*
 * The 2020 guest page-table bind proposal iommusim runs as a profile
 * (vfio.nesting_abi: guest-pgtbl-2020, docs/nesting.md), in the layout of
 * the series seed 002 discusses ("vfio: expose virtual Shared Virtual
 * Addressing to VMs", v1, March 2020, on v5.6): never merged, so no
 * installed header has it.  Written from the series' description of each
 * structure.
 *
 * A VMM opens a container of type VFIO_TYPE1_NESTING_IOMMU.  MAP_DMA and
 * UNMAP_DMA keep programming stage 2 (GPA -> HPA); VFIO_IOMMU_GET_INFO
 * reports VFIO_IOMMU_TYPE1_INFO_CAP_NESTING.  VFIO_IOMMU_PASID_REQUEST
 * allocates host PASIDs against the VM's quota; VFIO_IOMMU_BIND with
 * VFIO_IOMMU_BIND_GUEST_PGTBL installs a guest stage-1 table (its root a
 * GPA) on a host PASID, described by struct iommu_gpasid_bind_data after
 * the header; VFIO_IOMMU_CACHE_INVALIDATE forwards the guest's cache
 * invalidations.  Every one of them acts on every device in the container.
 *
 * Two numbers clash with seed 000's proposal (<iommusim/uapi/vfio_sva.h>):
 * both call VFIO_BASE + 22 and + 23 their own, and both name a struct
 * vfio_iommu_type1_bind.  A program includes one of the two headers; with
 * both, this one leaves its VFIO_IOMMU_BIND and struct out and the
 * _2020 names below stand in for them.  A profile runs one proposal.
 */
#ifndef IOMMUSIM_UAPI_VFIO_NESTING_H
#define IOMMUSIM_UAPI_VFIO_NESTING_H

#include <linux/types.h>
#include <linux/vfio.h>

/* ---- the IOMMU side (the series' linux/iommu.h) ---------------------------- */

/* The one version of these structures. */
#define IOMMU_UAPI_VERSION 1

/* VT-d's part of a bind: PASID-entry attributes the guest may choose. */
struct iommu_gpasid_bind_data_vtd {
#define IOMMU_SVA_VTD_GPASID_SRE  (1 << 0)   /* supervisor requests */
#define IOMMU_SVA_VTD_GPASID_EAFE (1 << 1)   /* extended access flag */
#define IOMMU_SVA_VTD_GPASID_PCD  (1 << 2)   /* page-level cache disable */
#define IOMMU_SVA_VTD_GPASID_PWT  (1 << 3)   /* page-level write-through */
#define IOMMU_SVA_VTD_GPASID_EMTE (1 << 4)   /* extended memory type */
#define IOMMU_SVA_VTD_GPASID_CD   (1 << 5)   /* PASID-level cache disable */
	__u64 flags;
	__u32 pat;
	__u32 emt;
};

/*
 * A guest stage-1 table for host PASID @hpasid: @gpgd is its root, a GPA;
 * @addr_width the guest's virtual address width (48: four levels, 57:
 * five); @gpasid the PASID the guest itself uses, valid with
 * IOMMU_SVA_GPASID_VAL.  The vendor union is a fixed 128 bytes.
 */
struct iommu_gpasid_bind_data {
	__u32 version;
#define IOMMU_PASID_FORMAT_INTEL_VTD 1
	__u32 format;
#define IOMMU_SVA_GPASID_VAL (1 << 0)
	__u64 flags;
	__u64 gpgd;
	__u64 hpasid;
	__u64 gpasid;
	__u32 addr_width;
	__u8 padding[12];
	union {
		__u8 dummy[128];
		struct iommu_gpasid_bind_data_vtd vtd;
	} vendor;
};

/* The granularity of an invalidation: a whole domain, one PASID, or an
 * address range of one PASID. */
enum iommu_inv_granularity {
	IOMMU_INV_GRANU_DOMAIN,
	IOMMU_INV_GRANU_PASID,
	IOMMU_INV_GRANU_ADDR,
	IOMMU_INV_GRANU_NR,
};

struct iommu_inv_addr_info {
#define IOMMU_INV_ADDR_FLAGS_PASID  (1 << 0)
#define IOMMU_INV_ADDR_FLAGS_ARCHID (1 << 1)
#define IOMMU_INV_ADDR_FLAGS_LEAF   (1 << 2)
	__u32 flags;
	__u32 archid;
	__u64 pasid;
	__u64 addr;
	__u64 granule_size;
	__u64 nb_granules;
};

struct iommu_inv_pasid_info {
#define IOMMU_INV_PASID_FLAGS_PASID  (1 << 0)
#define IOMMU_INV_PASID_FLAGS_ARCHID (1 << 1)
	__u32 flags;
	__u32 archid;
	__u64 pasid;
};

/* Which caches (@cache, a mask) at which granularity: not every pair is
 * valid (the driver's table, docs/nesting.md). */
struct iommu_cache_invalidate_info {
	__u32 version;
#define IOMMU_CACHE_INV_TYPE_IOTLB     (1 << 0)
#define IOMMU_CACHE_INV_TYPE_DEV_IOTLB (1 << 1)
#define IOMMU_CACHE_INV_TYPE_PASID     (1 << 2)
#define IOMMU_CACHE_INV_TYPE_NR        3
	__u8 cache;
	__u8 granularity;
	__u8 padding[2];
	union {
		struct iommu_inv_pasid_info pasid_info;
		struct iommu_inv_addr_info addr_info;
	};
};

/* ---- the VFIO side ------------------------------------------------------------ */

/* CHECK_EXTENSION: the IOMMU uAPI above is there (VFIO_TYPE1_NESTING_IOMMU
 * users check it): its version, 1.  v5.12 gave the number to
 * VFIO_UNMAP_ALL, which answers 1 too. */
#define VFIO_NESTING_IOMMU_UAPI 9

/* GET_INFO's capability (id 2 in the series, which was written before
 * v5.8 gave 2 to VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION: both appear in the
 * chain under this profile, told apart by their size) */
#define VFIO_IOMMU_TYPE1_INFO_CAP_NESTING 2
struct vfio_iommu_type1_info_cap_nesting {
	struct vfio_info_cap_header header;
#define VFIO_IOMMU_PASID_REQS (1 << 0)
	__u32 nesting_capabilities;
	__u32 stage1_formats;      /* 1 << IOMMU_PASID_FORMAT_* the domains take */
};

/* Allocate a host PASID in [min, max] (its value back in @result), or
 * free @free_pasid; one of the two flags. */
struct vfio_iommu_type1_pasid_request {
	__u32 argsz;
#define VFIO_IOMMU_PASID_ALLOC (1 << 0)
#define VFIO_IOMMU_PASID_FREE  (1 << 1)
	__u32 flags;
	union {
		struct {
			__u32 min;
			__u32 max;
			__u32 result;
		} alloc_pasid;
		__u32 free_pasid;
	};
};
#define VFIO_PASID_REQUEST_MASK (VFIO_IOMMU_PASID_ALLOC | VFIO_IOMMU_PASID_FREE)
#define VFIO_IOMMU_PASID_REQUEST _IO(VFIO_TYPE, VFIO_BASE + 22)

/* The header of a bind; struct iommu_gpasid_bind_data follows it. */
#define VFIO_IOMMU_BIND_GUEST_PGTBL   (1 << 0)
#define VFIO_IOMMU_UNBIND_GUEST_PGTBL (1 << 1)
#define VFIO_IOMMU_BIND_MASK (VFIO_IOMMU_BIND_GUEST_PGTBL | VFIO_IOMMU_UNBIND_GUEST_PGTBL)
struct vfio_iommu_type1_bind_2020 {
	__u32 argsz;
	__u32 flags;
	__u8 data[];
};
#define VFIO_IOMMU_BIND_2020 _IO(VFIO_TYPE, VFIO_BASE + 23)
#ifndef IOMMUSIM_UAPI_VFIO_SVA_H
#define vfio_iommu_type1_bind vfio_iommu_type1_bind_2020
#define VFIO_IOMMU_BIND VFIO_IOMMU_BIND_2020
#endif

struct vfio_iommu_type1_cache_invalidate {
	__u32 argsz;
	__u32 flags;               /* none defined: 0 */
	struct iommu_cache_invalidate_info cache_info;
};
#define VFIO_IOMMU_CACHE_INVALIDATE _IO(VFIO_TYPE, VFIO_BASE + 24)

#endif
