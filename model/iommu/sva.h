/* SPDX-License-Identifier: MIT */
/*
 * Shared virtual addressing as mainline does it (drivers/iommu/iommu-sva.c):
 * a kernel driver (idxd, uacce and their kind) binds a process's address
 * space to its device, and the device then DMAs with the mm's PASID to
 * user virtual addresses, walked by the IOMMU through the process's own
 * page table (an IOMMU_DOMAIN_SVA domain, domain.h).  docs/sva.md tells
 * the whole story and compares the 2017 and 2018 proposals.
 *
 *  - One PASID per mm, from the global space (iommu_alloc_global_pasid),
 *    the same on every device, allocated at the first bind and kept until
 *    the mm itself is freed (mm_pasid_drop), not at its exit.
 *  - One SVA domain per mm and IOMMU (the model has one IOMMU), shared by
 *    every device bound to the mm; each (device, mm) pair is one bond,
 *    and binding it again takes a reference on the same bond.
 *  - The mm's changes reach the IOMMU through the domain's mmu notifier;
 *    the mm's exit blocks every PASID of its domain, which stays reserved
 *    while any bond remains.
 */
#ifndef MODEL_IOMMU_SVA_H
#define MODEL_IOMMU_SVA_H

#include <stdint.h>
#include <glib.h>

struct sim_world;
struct sim_mm;
struct pci_dev;
struct iommu_domain;

/* A bond (struct iommu_sva): the device, the domain, its references. */
struct iommu_sva {
	struct pci_dev *dev;
	struct iommu_domain *domain;
	unsigned users;
};

/*
 * iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_SVA), which the driver calls
 * before binding: VT-d (intel_iommu_enable_sva) needs PASID and ATS enabled
 * on the device (-EINVAL); SMMUv3 (arm_smmu_master_enable_sva) a device
 * with substream ids (-EINVAL); RISC-V has no dev_enable_feat (-ENODEV),
 * nor has a device behind no IOMMU.  0 when SVA can be used.
 */
int iommu_sva_enable(struct pci_dev *dev);

/*
 * iommu_sva_bind_device, in the kernel's order: -ENODEV (no group),
 * -EINVAL (a group of more than one device: SVA is for singleton groups,
 * spec §D), then the mm's PASID (iommu_alloc_mm_data: -EOVERFLOW when the
 * mm's PASID is beyond this device's width, -ENOMEM, -ENOSPC when no PASID
 * is free or the device has none), then an existing bond of this device
 * and mm is returned with one more reference (-EBUSY when the PASID holds
 * another mm's or a non-SVA domain on this device), else the mm's SVA
 * domain is attached at (device, PASID), made first when there is none
 * (iommu_domain_alloc_sva's errors).  A failure after the PASID was
 * allocated keeps it: it is the mm's now.  The bond or NULL with *err.
 */
struct iommu_sva *iommu_sva_bind_device(struct pci_dev *dev, struct sim_mm *mm, int *err);
/* iommu_sva_unbind_device: one reference put; the last detaches the PASID
 * and frees the domain when no device uses it. */
void iommu_sva_unbind_device(struct iommu_sva *h);
uint32_t iommu_sva_get_pasid(const struct iommu_sva *h);
/* The PASID an mm was given (mm_get_enqcmd_pasid), IOMMU_PASID_INVALID
 * when it has none. */
uint32_t iommu_mm_pasid(const struct sim_mm *mm);

/*
 * §H20, §H21, §H25 for the PASID entry (@dev, @pasid) the hardware holds,
 * when the kernel gave it an SVA domain (model/iommu/invariants.c calls it
 * in its walk of every PASID entry): the PASID is not 0, is the mm's and
 * fits the device, and the global space gives it to that mm (H20); once
 * the mm has exited the entry translates nothing (H21); the device's group
 * has one device (H25).  Lines appended to @out; returns the violations.
 */
struct pci_dev;
int iommu_sva_check_pasid(struct pci_dev *dev, uint32_t pasid, GString *out);

#define TP_iommu_sva_bind   "dev=%s pasid=%u users=%u ret=%d"
#define TP_iommu_sva_unbind "dev=%s pasid=%u users=%u"

#endif
