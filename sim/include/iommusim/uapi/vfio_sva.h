/* SPDX-License-Identifier: MIT */
/*
 * The two VFIO SVA uAPI proposals iommusim runs as profiles (vfio.sva_abi,
 * docs/sva.md), as the seed documents define them; never merged, so no
 * kernel header has them.  Written from the patches' descriptions.
 *
 * Seed 000, "vfio: Add support for Shared Virtual Addressing" (2018): a
 * type1 container binds a process address space to every device in it.
 * struct vfio_iommu_type1_bind is the header (argsz, mode); with mode
 * VFIO_IOMMU_BIND_PROCESS a struct vfio_iommu_type1_bind_process follows
 * it.  VFIO_IOMMU_BIND_PID binds the process @pid (a ptrace-style
 * PTRACE_MODE_ATTACH_REALCREDS check) instead of the caller; the PASID
 * comes back in @pasid.  VFIO_IOMMU_UNBIND takes the same arguments.
 *
 * Seed 003, the 2017 RFC "vfio: Allow binding a foreign process": the
 * device fd binds a task; struct vfio_device_svm, with VFIO_SVM_PID
 * selecting task @pid; the PASID, unique to the device, comes back in
 * @pasid, and VFIO_DEVICE_UNBIND_TASK removes the bond by PASID.
 */
#ifndef IOMMUSIM_UAPI_VFIO_SVA_H
#define IOMMUSIM_UAPI_VFIO_SVA_H

#ifdef IOMMUSIM_UAPI_VFIO_NESTING_H
#error "include <iommusim/uapi/vfio_sva.h> before <iommusim/uapi/vfio_nesting.h>"
#endif

#include <linux/types.h>
#include <linux/vfio.h>

struct vfio_iommu_type1_bind_process {
	__u32 flags;
#define VFIO_IOMMU_BIND_PID (1 << 0)
	__u32 pasid;
	__s32 pid;
};

struct vfio_iommu_type1_bind {
	__u32 argsz;
	__u32 mode;
#define VFIO_IOMMU_BIND_PROCESS (1 << 0)
	__u8 data[];
};

#define VFIO_IOMMU_BIND   _IO(VFIO_TYPE, VFIO_BASE + 22)
#define VFIO_IOMMU_UNBIND _IO(VFIO_TYPE, VFIO_BASE + 23)

struct vfio_device_svm {
	__u32 argsz;
	__u32 flags;
#define VFIO_SVM_PASID_RELEASE_FLUSHED (1 << 0)
#define VFIO_SVM_PASID_RELEASE_CLEAN   (1 << 1)
#define VFIO_SVM_PID                   (1 << 2)
	__u32 pasid;
	__u32 pid;
};

#define VFIO_DEVICE_BIND_TASK   _IO(VFIO_TYPE, VFIO_BASE + 22)
#define VFIO_DEVICE_UNBIND_TASK _IO(VFIO_TYPE, VFIO_BASE + 23)

#endif
