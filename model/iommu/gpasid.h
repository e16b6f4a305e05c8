/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU half of the 2020 guest page-table bind (seed 002; VFIO's half
 * is model/vfio/type1_nesting.c, docs/nesting.md): the iommu_sva_bind_gpasid,
 * iommu_sva_unbind_gpasid and iommu_cache_invalidate the v5.7/v5.8 kernels
 * had, with the VT-d driver under them (intel_svm_bind_gpasid,
 * intel_pasid_setup_nested, intel_iommu_sva_invalidate).  SMMUv3 and
 * RISC-V drivers of that time had no such ops: -ENODEV, which is what the
 * core answered for a missing op.
 *
 * A bind is, per device, a nested domain (domain.h) over the device's
 * stage-2 domain, attached at (device, host PASID): the guest's stage-1
 * root is a GPA walked through stage 2, so the hardware model decides
 * every DMA from the PASID entry the bind wrote.
 */
#ifndef MODEL_IOMMU_GPASID_H
#define MODEL_IOMMU_GPASID_H

#include <stdbool.h>
#include <stdint.h>

struct sim_world;
struct pci_dev;
struct iommu_domain;
struct iommu_gpasid_bind_data;
struct iommu_cache_invalidate_info;

/*
 * A paging domain for a VFIO_TYPE1_NESTING_IOMMU container: what type1
 * allocates and then asks to nest (@proposal_2020: the 2020 series on v5.7,
 * iommu_domain_set_attr(DOMAIN_ATTR_NESTING); otherwise the kernel's own
 * iommu_enable_nesting).  A stage-2 nest parent, or:
 *  - VT-d: the 2020 driver sets the attribute when the IOMMU has nested
 *    translation (ECAP.NEST), else -ENODEV; the 6.1 and 6.12 drivers have
 *    no enable_nesting op: -EINVAL;
 *  - SMMUv3: a stage-2 domain (ARM_SMMU_DOMAIN_NESTED) until 6.13, whose
 *    kernels have no NESTING type;
 *  - RISC-V: no attribute, no op: -EINVAL.
 * -ENOMEM when the allocation fails.
 */
int iommu_domain_alloc_nesting(struct sim_world *w, bool proposal_2020,
			       struct iommu_domain **out);

/*
 * iommu_sva_bind_gpasid(@parent, @dev, @data): the guest table @data
 * describes on @dev's PASID @data->hpasid, nested over @parent (the
 * device's group domain).  VT-d's checks, in intel_svm_bind_gpasid's and
 * intel_pasid_setup_nested's order: version or format -> EINVAL; the
 * device's PASID width is not the full 20 bits -> EINVAL; hpasid 0 or >=
 * 2^20 -> EINVAL; a PASID the host never allocated -> ENOENT; the device
 * bound on it already -> EBUSY (v5.8 without aux domains); the PASID entry
 * cannot be written (the IOMMU's PASID width) -> EINVAL; no nested
 * translation or a parent that
 * is not nesting -> EINVAL; the PASID entry in use -> EBUSY; an address
 * width other than 48, or 57 without 5-level first stage and a 5-level
 * CPU -> EINVAL; a root above the parent's highest mapping -> EINVAL;
 * SRE, EAFE or memory-type flags the IOMMU lacks -> EINVAL.  Other kinds:
 * -ENODEV.
 */
int iommu_sva_bind_gpasid(struct iommu_domain *parent, struct pci_dev *dev,
			  const struct iommu_gpasid_bind_data *data);
/* iommu_sva_unbind_gpasid: the PASID entry torn down.  -ENOENT (a PASID
 * never allocated), -EINVAL (no bind on it, or none on @dev), -ENODEV (not
 * VT-d). */
int iommu_sva_unbind_gpasid(struct iommu_domain *parent, struct pci_dev *dev,
			    uint64_t hpasid);
/*
 * iommu_cache_invalidate: a guest's invalidation for @dev, as
 * intel_iommu_sva_invalidate turns it into PASID-based IOTLB and device-TLB
 * flushes (docs/nesting.md has the cache x granularity table).  0,
 * -EINVAL, -ERANGE (an address not aligned to the range), -ENODEV.
 */
int iommu_cache_invalidate(struct iommu_domain *parent, struct pci_dev *dev,
			   const struct iommu_cache_invalidate_info *inv);

/* What the driver does when the device's PASID table goes (its domain's
 * detach): the bind at (@dev, @pasid), if any, removed whatever the PASID's
 * state. */
void iommu_gpasid_teardown(struct pci_dev *dev, uint32_t pasid);
/* The nested domain a 2020 bind installed at (@dev, @pasid), or NULL. */
struct iommu_domain *iommu_gpasid_domain(struct pci_dev *dev, uint32_t pasid);

/* trace points */
#define TP_iommu_gpasid_bind   "dev=%s hpasid=%llu gpgd=0x%llx users=%u ret=%d"
#define TP_iommu_gpasid_unbind "dev=%s hpasid=%llu users=%u ret=%d"
#define TP_iommu_cache_inv     "dev=%s cache=0x%x granu=%u pasid=%llu addr=0x%llx pages=%llu ret=%d"

#endif
