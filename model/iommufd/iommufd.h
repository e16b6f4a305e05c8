/* SPDX-License-Identifier: MIT */
/*
 * iommufd (spec §G, docs/iommufd.md): /dev/iommu and its objects, the
 * kernel's drivers/iommu/iommufd/ as a model.  Each open of /dev/iommu is a
 * context (struct iommufd_ctx) with one id table shared by every object
 * kind.  This header is what other layers (VFIO, the scenario runner) use.
 */
#ifndef MODEL_IOMMUFD_H
#define MODEL_IOMMUFD_H

#include <stdbool.h>
#include <stdint.h>

struct sim_world;
struct sim_file;
struct iommufd_ctx;

#define IOMMUFD_PATH "/dev/iommu"

/* The subsystem: /dev/iommu (0660 root:root, the misc device's mode) when
 * the emulated kernel has iommufd (v6.2 and later, and @enabled: the
 * profile's `iommufd:` key, CONFIG_IOMMUFD).  With @vfio_container
 * (`vfio_container: iommufd`, CONFIG_IOMMUFD_VFIO_CONTAINER) iommufd also
 * serves /dev/vfio/vfio (0666): each open is a context that accounts like
 * VFIO (RLIMIT_MODE 1), and VFIO registers no container of its own.
 * 0, -EINVAL (@vfio_container without iommufd), -ENOMEM. */
int iommufd_create(struct sim_world *w, bool enabled, bool vfio_container);
/* CONFIG_IOMMUFD_TEST (the profile's `iommufd_test`, selftest.c): the test
 * uAPI IOMMU_TEST_CMD and the mock IOMMU behind it, as 6.12 has them; on
 * 6.2, whose test uAPI differed, and without /dev/iommu, nothing.  0. */
int iommufd_test_enable(struct sim_world *w);
/* iommufd serves /dev/vfio/vfio (vfio_create then adds no legacy one). */
bool iommufd_vfio_container(struct sim_world *w);

/* The context behind an open /dev/iommu file, or NULL for another file
 * (iommufd_ctx_from_file). */
struct iommufd_ctx *iommufd_ctx_from_file(struct sim_file *f);

/* Objects alive in @ictx (finalized ones), for invariants and tests. */
unsigned iommufd_ctx_objects(const struct iommufd_ctx *ictx);

/* The pins iommufd holds on @mm's pages and the pages it charged to
 * @mm->locked_vm (IOPT_PAGES_ACCOUNT_MM), for the §H10 accounting check. */
struct sim_mm;
void iommufd_mm_account(struct sim_world *w, const struct sim_mm *mm, uint64_t *charged,
			uint64_t *pinned);

/* The invariants of spec §H10, §H17, §H18 (model/iommufd/invariants.c):
 * one line per violation appended to @out; how many. */
#include <glib.h>
int iommufd_check_invariants(struct sim_world *w, GString *out);
/* A deterministic description of every context (objects, IOAS areas with
 * their pins, reserved and allowed ranges, HWPTs, groups) and the users'
 * charges: equal before and after a call that failed (spec §H19). */
void iommufd_describe(struct sim_world *w, GString *out);
/* What must be gone once no process holds a descriptor (spec §H18): each
 * context, each uid's charge, one line each. */
void iommufd_leftovers(struct sim_world *w, GString *out);

/* iommufd_ctx_get / iommufd_ctx_put: a reference on the context's file, so
 * the context outlives the fd its user closes (a bound device holds one). */
void iommufd_ctx_get(struct iommufd_ctx *ictx);
void iommufd_ctx_put(struct iommufd_ctx *ictx);

/*
 * Devices, the calls a VFIO driver makes (include/linux/iommufd.h).
 *
 * iommufd_device_bind: the device joins @ictx as a DEVICE object (*id, the
 * lowest free id) and its group's DMA belongs to @ictx, blocked until an
 * attach.  -EINVAL (the IOMMU does not make DMA cache coherent), -ENODEV
 * (no IOMMU group), -EPERM (MSIs not isolated and no @allow_unsafe_irq;
 * the group owned by a kernel DMA driver or by another owner), -EBUSY,
 * -ENOMEM.  The caller holds the object until iommufd_device_unbind.
 *
 * iommufd_device_attach: to the IOAS or HWPT *pt_id (an IOAS: *pt_id
 * becomes the automatic HWPT's id).  -ENOENT (no such object), -EINVAL
 * (another kind of object; the group attached elsewhere), -EADDRINUSE (the
 * IOAS cannot take the domain's aperture, alignment or the device's
 * reserved regions), -EFAULT/-ENOMEM (pinning).
 * iommufd_device_replace: the same for an attached device, in place.
 * iommufd_device_detach: back to blocked (nothing when not attached).
 *
 * The _pasid forms (6.15, iommufd_device_attach/replace/detach with a
 * PASID): the HWPT *pt_id at (device, @pasid), the group's other devices
 * following.  The HWPT must have been allocated with
 * IOMMU_HWPT_ALLOC_PASID and the RID's too (EINVAL; an IOAS's automatic
 * HWPT never is); the device there already -EBUSY; another device of the
 * group there with another HWPT -EINVAL; replace without an attach
 * -EINVAL.  Devices without a PASID capability are skipped
 * (iommu_attach_device_pasid), so on those it does nothing.
 */
struct pci_dev;
struct iommufd_device;
int iommufd_device_bind(struct iommufd_ctx *ictx, struct pci_dev *dev, bool allow_unsafe_irq,
			struct iommufd_device **out, uint32_t *id);
void iommufd_device_unbind(struct iommufd_device *idev);
int iommufd_device_attach(struct iommufd_device *idev, uint32_t *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, uint32_t *pt_id);
void iommufd_device_detach(struct iommufd_device *idev);
bool iommufd_device_is_attached(const struct iommufd_device *idev);
int iommufd_device_attach_pasid(struct iommufd_device *idev, uint32_t pasid, uint32_t *pt_id);
int iommufd_device_replace_pasid(struct iommufd_device *idev, uint32_t pasid, uint32_t *pt_id);
void iommufd_device_detach_pasid(struct iommufd_device *idev, uint32_t pasid);
uint32_t iommufd_device_id(const struct iommufd_device *idev);

/*
 * Access objects (struct iommufd_access): an in-kernel user of an IOAS, as
 * an emulated device (a VFIO mdev) is: it pins pages by IOVA, reads and
 * writes through the IOAS, and is told to unpin when user space unmaps
 * what it pinned (ops->unmap must then unpin it).
 *
 * create: an ACCESS object (*id), held by the caller until destroy.
 * attach: to IOAS @ioas_id (-EINVAL attached already, -ENOENT, -EADDRINUSE
 * when the IOAS has an area off PAGE_SIZE and the access pins pages);
 * replace: to another; detach.
 * pin_pages: [iova, iova + length) pinned, each page's frame in @hpas:
 * -EINVAL (length 0, not page aligned, an area being unmapped, no
 * needs_pin_pages), -EOVERFLOW, -ENOENT (not attached, a hole), -EPERM (a
 * write pin of a read-only area), -EFAULT/-ENOMEM (pinning).  unpin_pages
 * gives back exactly a range pinned before.
 * rw: copy to/from the IOAS (IOMMUFD_ACCESS_RW_WRITE: into it): -EINVAL
 * (length 0), -EOVERFLOW, -ENOENT (a hole), -EPERM (the area's
 * protection), -EFAULT (the pages' mm gone or unmapped).
 */
#define IOMMUFD_ACCESS_RW_READ    0
#define IOMMUFD_ACCESS_RW_WRITE   (1u << 0)
#define IOMMUFD_ACCESS_RW_KTHREAD (1u << 1)
struct iommufd_access;
struct iommufd_access_ops {
	bool needs_pin_pages;
	void (*unmap)(void *data, uint64_t iova, uint64_t length);
};
int iommufd_access_create(struct iommufd_ctx *ictx, const struct iommufd_access_ops *ops,
			  void *data, struct iommufd_access **out, uint32_t *id);
void iommufd_access_destroy(struct iommufd_access *access);
int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id);
int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id);
void iommufd_access_detach(struct iommufd_access *access);
int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova, uint64_t length,
			     uint64_t *hpas, unsigned flags);
void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova,
				uint64_t length);
int iommufd_access_rw(struct iommufd_access *access, uint64_t iova, void *data, size_t len,
		      unsigned flags);

/*
 * The VFIO group path (vfio_group_ioctl_set_container with an iommufd fd):
 * iommufd_vfio_compat_ioas_create makes the compatibility IOAS when there
 * is none (0, -ENOMEM); iommufd_vfio_compat_ioas_get_id gives its id
 * (-ENODEV without one).
 */
int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx);
int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, uint32_t *id);
/* A VFIO no-IOMMU group set on @ictx (iommufd_vfio_compat_set_no_iommu):
 * 0, or -EINVAL when the context has a compat IOAS already. */
int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx);

/* iommufd trace points */
#define TP_iommufd_open     "ctx=%llu"
#define TP_iommufd_ioctl    "ctx=%llu cmd=%s ret=%d"
#define TP_iommufd_obj      "ctx=%llu id=%u type=%s op=%s"
#define TP_iommufd_map      "ioas=%u iova=0x%llx len=0x%llx uva=0x%llx ret=%d"
#define TP_iommufd_unmap    "ioas=%u iova=0x%llx len=0x%llx unmapped=0x%llx ret=%d"

#endif
