/* SPDX-License-Identifier: MIT */
/*
 * What <linux/vfio.h> gained after 6.1 for the VFIO device cdev
 * (/dev/vfio/devices/vfioN, CONFIG_VFIO_DEVICE_CDEV, since 6.6), in
 * iommusim's own words, as Linux 6.12 has it.  Numbers and layouts are the
 * kernel's; the _Static_asserts at the end hold each structure to them.
 *
 * It includes the system's <linux/vfio.h> first and defines only what
 * that lacks (each group is guarded by its ioctl or flag name), so it may
 * be included before or after it, and with a newer one.
 *
 * A cdev fd does nothing but BIND_IOMMUFD until it is bound (every other
 * ioctl, read and write are EINVAL: vfio_device_fops_unl_ioctl,
 * drivers/vfio/vfio_main.c); a bound cdev keeps the device's group node
 * from opening (EBUSY), and an open group node keeps a cdev from binding
 * (EBUSY).
 *
 * Not in 6.12, and so not here: a VFIO_DEVICE_INFO_CAP for iommufd (no
 * such capability exists), and the PASID flag and field of ATTACH/DETACH
 * (6.15).
 */
#ifndef IOMMUSIM_UAPI_VFIO_CDEV_H
#define IOMMUSIM_UAPI_VFIO_CDEV_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

/*
 * VFIO_DEVICE_BIND_IOMMUFD: bind the cdev's device to the iommufd
 * context of fd iommufd; out_devid is the device's object id there (the
 * dev_id of HWPT_ALLOC and GET_HW_INFO).  Closing the cdev unbinds.
 */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
#define IOMMUSIM_UAPI_VFIO_CDEV_BIND
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;		/* none defined: 0 */
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach the bound device to pt_id, an IOAS
 * (the kernel then finds or makes a paging HWPT for it, and pt_id returns
 * that HWPT's id) or a HWPT.  Attaching an attached device replaces its
 * page table.  With VFIO_DEVICE_ATTACH_PASID (6.15) the attachment is the
 * device's PASID @pasid instead of its RID.
 */
#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
#define IOMMUSIM_UAPI_VFIO_CDEV_ATTACH
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;		/* none in 6.12; VFIO_DEVICE_ATTACH_PASID in 6.15 */
#define VFIO_DEVICE_ATTACH_PASID (1 << 0)
	__u32 pt_id;
	__u32 pasid;		/* 6.15 */
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)
#endif

/* VFIO_DEVICE_DETACH_IOMMUFD_PT: back to blocked DMA (a no-op when not
 * attached); with VFIO_DEVICE_DETACH_PASID (6.15), the PASID @pasid. */
#ifndef VFIO_DEVICE_DETACH_IOMMUFD_PT
#define IOMMUSIM_UAPI_VFIO_CDEV_DETACH
struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;		/* none in 6.12; VFIO_DEVICE_DETACH_PASID in 6.15 */
#define VFIO_DEVICE_DETACH_PASID (1 << 0)
	__u32 pasid;		/* 6.15 */
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 20)
#endif

/*
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on a cdev reports device ids, not
 * group ids, in the first word of each vfio_pci_dependent_device (the 6.1
 * header calls it group_id; 6.6 made it a union with devid): the info's
 * flags say which.  An affected device the caller does not own reads
 * VFIO_PCI_DEVID_NOT_OWNED; one it owns without an id, VFIO_PCI_DEVID_OWNED.
 * With FLAG_DEV_ID_OWNED set, VFIO_DEVICE_PCI_HOT_RESET takes an empty
 * group fd array.
 */
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID		(1 << 0)
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED	(1 << 1)
#endif
#ifndef VFIO_PCI_DEVID_OWNED
#define VFIO_PCI_DEVID_OWNED		0
#define VFIO_PCI_DEVID_NOT_OWNED	-1
#endif

/* ---- the layouts, held to the kernel's ---- */

#ifdef __cplusplus
#define VFIO_CDEV_UAPI_ASSERT(e) static_assert(e, #e)
#else
#define VFIO_CDEV_UAPI_ASSERT(e) _Static_assert(e, #e)
#endif
#define VFIO_CDEV_UAPI_AT(s, f, off) \
	VFIO_CDEV_UAPI_ASSERT(__builtin_offsetof(struct s, f) == (off))

#ifdef IOMMUSIM_UAPI_VFIO_CDEV_BIND
VFIO_CDEV_UAPI_ASSERT(VFIO_DEVICE_BIND_IOMMUFD == 0x3b76);
VFIO_CDEV_UAPI_ASSERT(sizeof(struct vfio_device_bind_iommufd) == 16);
VFIO_CDEV_UAPI_AT(vfio_device_bind_iommufd, flags, 4);
VFIO_CDEV_UAPI_AT(vfio_device_bind_iommufd, iommufd, 8);
VFIO_CDEV_UAPI_AT(vfio_device_bind_iommufd, out_devid, 12);
#endif
#ifdef IOMMUSIM_UAPI_VFIO_CDEV_ATTACH
VFIO_CDEV_UAPI_ASSERT(VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77);
VFIO_CDEV_UAPI_ASSERT(sizeof(struct vfio_device_attach_iommufd_pt) == 16);
VFIO_CDEV_UAPI_AT(vfio_device_attach_iommufd_pt, flags, 4);
VFIO_CDEV_UAPI_AT(vfio_device_attach_iommufd_pt, pt_id, 8);
VFIO_CDEV_UAPI_AT(vfio_device_attach_iommufd_pt, pasid, 12);
#endif
#ifdef IOMMUSIM_UAPI_VFIO_CDEV_DETACH
VFIO_CDEV_UAPI_ASSERT(VFIO_DEVICE_DETACH_IOMMUFD_PT == 0x3b78);
VFIO_CDEV_UAPI_ASSERT(sizeof(struct vfio_device_detach_iommufd_pt) == 12);
VFIO_CDEV_UAPI_AT(vfio_device_detach_iommufd_pt, flags, 4);
VFIO_CDEV_UAPI_AT(vfio_device_detach_iommufd_pt, pasid, 8);
#endif

#undef VFIO_CDEV_UAPI_AT
#undef VFIO_CDEV_UAPI_ASSERT

#endif /* IOMMUSIM_UAPI_VFIO_CDEV_H */
