/* SPDX-License-Identifier: MIT */
/*
 * The 2020 guest PASID bind, IOMMU side (gpasid.h).  Each function follows
 * the v5.7/v5.8 kernel's, check for check; the PASID-entry programming is
 * the domain layer's (a nested domain at (device, PASID)), so the walk
 * decides what a bound device reaches.
 */
#include <errno.h>
#include <string.h>

#include "sim/cpu_pgtable.h"
#include "sim/fault.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/gpasid.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "iommusim/uapi/vfio_nesting.h"

#define PASID_MAX (1u << 20)          /* VT-d's 20-bit PASIDs */
#define ADDR_WIDTH_4LEVEL 48u
#define ADDR_WIDTH_5LEVEL 57u
#define VTD_GPASID_MTS_MASK (IOMMU_SVA_VTD_GPASID_CD | IOMMU_SVA_VTD_GPASID_EMTE | \
			     IOMMU_SVA_VTD_GPASID_PCD | IOMMU_SVA_VTD_GPASID_PWT)

static struct sim_world *dev_world(struct pci_dev *dev)
{
	return dev && dev->group ? iommu_group_world(dev->group) : NULL;
}

static enum iommu_hw_kind kind_of(struct sim_world *w)
{
	const struct iommu_hw_config *hc = iommu_hw_config(w);

	return hc ? hc->kind : IOMMU_HW_VTD;
}

int iommu_domain_alloc_nesting(struct sim_world *w, bool proposal_2020,
			       struct iommu_domain **out)
{
	const struct iommu_hw_config *hc = iommu_hw_config(w);

	*out = NULL;
	if (!hc)
		return -ENODEV;
	switch (hc->kind) {
	case IOMMU_HW_VTD:
		/* intel_iommu_domain_set_attr(DOMAIN_ATTR_NESTING): needs
		 * nested_mode_support() and no device yet; the later drivers
		 * have no enable_nesting op (iommu_enable_nesting: EINVAL) */
		if (!proposal_2020)
			return -EINVAL;
		if (hc->no_nesting)
			return -ENODEV;
		break;
	case IOMMU_HW_SMMUV3:
		/* arm_smmu_domain_set_attr / arm_smmu_enable_nesting before
		 * the first attach: the domain takes stage-2 tables */
		break;
	default:
		return -EINVAL;
	}
	*out = iommu_domain_alloc_paging(w, 2, true);
	return *out ? 0 : -ENOMEM;
}

void iommu_gpasid_teardown(struct pci_dev *dev, uint32_t pasid)
{
	struct iommu_domain *nd = iommu_gpasid_domain(dev, pasid);

	if (!nd)
		return;
	nd->gpasid_users = 0;
	iommu_detach_device_pasid(nd, dev, pasid);
	iommu_domain_free(nd);
}

struct iommu_domain *iommu_gpasid_domain(struct pci_dev *dev, uint32_t pasid)
{
	struct iommu_domain *d = iommu_device_pasid_domain(dev, pasid);

	return d && d->type == IOMMU_DOMAIN_NESTED && d->gpasid_users ? d : NULL;
}

/* intel_pasid_setup_bind_data: only what the guest may choose, and only
 * what the IOMMU has (the model has neither SRS nor EAFS, and no memory
 * types: "Will add MTS support once coherent devices are available") */
static int check_bind_flags(const struct iommu_gpasid_bind_data_vtd *vtd)
{
	if (vtd->flags & IOMMU_SVA_VTD_GPASID_SRE)
		return -EINVAL;
	if (vtd->flags & IOMMU_SVA_VTD_GPASID_EAFE)
		return -EINVAL;
	if (vtd->flags & VTD_GPASID_MTS_MASK)
		return -EINVAL;
	return 0;
}

/* intel_pasid_setup_nested's checks, then the nested entry itself */
static int setup_nested(struct sim_world *w, struct iommu_domain *parent, struct pci_dev *dev,
			const struct iommu_gpasid_bind_data *data)
{
	const struct iommu_hw_config *hc = iommu_hw_config(w);
	struct iommu_domain *nd;
	unsigned levels;
	int ret;

	if (hc->no_nesting || parent->type != IOMMU_DOMAIN_PAGING || !parent->nest_parent)
		return -EINVAL;
	if (iommu_device_pasid_domain(dev, (uint32_t)data->hpasid))
		return -EBUSY;          /* "Caller must ensure PASID entry is not in use" */
	switch (data->addr_width) {
	case ADDR_WIDTH_5LEVEL:
		/* cpu_feature_enabled(X86_FEATURE_LA57) && cap_5lp_support */
		if (sim_world_mmu(w) != SIM_MMU_X86_64_5L)
			return -EINVAL;
		levels = 5;
		break;
	case ADDR_WIDTH_4LEVEL:
		levels = 4;
		break;
	default:
		return -EINVAL;
	}
	/* "First level PGD is in GPA, must be supported by the second level" */
	if (data->gpgd > parent->max_addr)
		return -EINVAL;
	if ((ret = check_bind_flags(&data->vendor.vtd)))
		return ret;
	ret = iommu_domain_alloc_nested(parent, data->gpgd, levels, &nd);
	if (ret)
		return ret;
	ret = iommu_attach_device_pasid(nd, dev, (uint32_t)data->hpasid);
	if (ret) {
		iommu_domain_free(nd);
		return ret;
	}
	nd->gpasid_users = 1;
	return 0;
}

int iommu_sva_bind_gpasid(struct iommu_domain *parent, struct pci_dev *dev,
			  const struct iommu_gpasid_bind_data *data)
{
	struct sim_world *w = dev_world(dev);
	struct iommu_domain *nd;
	int ret;

	if (!w || !parent || !data)
		ret = -EINVAL;
	else if (kind_of(w) != IOMMU_HW_VTD)
		ret = -ENODEV;          /* no sva_bind_gpasid op */
	else if (data->version != IOMMU_UAPI_VERSION || data->format != IOMMU_PASID_FORMAT_INTEL_VTD)
		ret = -EINVAL;
	else if (dev->pasid_width != 20)
		ret = -EINVAL;          /* "VT-d supports devices with full 20 bit PASIDs only" */
	else if (!data->hpasid || data->hpasid >= PASID_MAX)
		ret = -EINVAL;          /* the guest's PASID is not checked */
	else if (!iommu_global_pasid_owner(w, (uint32_t)data->hpasid))
		ret = -ENOENT;          /* ioasid_find: never allocated */
	else if (iommu_gpasid_domain(dev, (uint32_t)data->hpasid))
		ret = -EBUSY;           /* "Already bound with PASID" (no aux domains) */
	else if (sim_should_fail(w, "gpasid_sdev_alloc"))
		ret = -ENOMEM;
	else
		ret = setup_nested(w, parent, dev, data);
	nd = dev && !ret ? iommu_gpasid_domain(dev, (uint32_t)data->hpasid) : NULL;
	if (w)
		SIM_TRACE(w, iommu_gpasid_bind, dev ? dev->name : "-",
		  (unsigned long long)(data ? data->hpasid : 0),
		  (unsigned long long)(data ? data->gpgd : 0), nd ? nd->gpasid_users : 0u, ret);
	return ret;
}

int iommu_sva_unbind_gpasid(struct iommu_domain *parent, struct pci_dev *dev, uint64_t hpasid)
{
	struct sim_world *w = dev_world(dev);
	struct iommu_domain *nd = NULL;
	int ret = -EINVAL;

	(void)parent;
	if (!w)
		ret = -EINVAL;
	else if (kind_of(w) != IOMMU_HW_VTD)
		ret = -ENODEV;
	else if (hpasid >= PASID_MAX || !iommu_global_pasid_owner(w, (uint32_t)hpasid))
		ret = -ENOENT;          /* ioasid_find: an error pointer */
	else if (!iommu_pasid_gpasid_binds(w, (uint32_t)hpasid))
		ret = -EINVAL;          /* no svm for the PASID */
	else if ((nd = iommu_gpasid_domain(dev, (uint32_t)hpasid))) {
		/* intel_pasid_tear_down_entry, then the domain goes */
		iommu_gpasid_teardown(dev, (uint32_t)hpasid);
		nd = NULL;
		ret = 0;
	}
	if (w)
		SIM_TRACE(w, iommu_gpasid_unbind, dev ? dev->name : "-", (unsigned long long)hpasid,
		  nd ? nd->gpasid_users : 0u, ret);
	return ret;
}

/*
 * intel_iommu_sva_invalidate's table (inv_type_granu_table): which
 * granularities each cache type takes.  IOTLB: PASID-selective and
 * page-selective; device TLB: page-selective only; PASID cache: none (the
 * driver did not do it yet).  Domain-selective: none.
 */
static bool granu_valid(unsigned cache_type, unsigned granu)
{
	switch (cache_type) {
	case 0:                 /* IOTLB */
		return granu == IOMMU_INV_GRANU_PASID || granu == IOMMU_INV_GRANU_ADDR;
	case 1:                 /* DEV_IOTLB */
		return granu == IOMMU_INV_GRANU_ADDR;
	default:
		return false;
	}
}

/* to_vtd_size: the order of the page count granule_size * nb_granules */
static unsigned vtd_size_order(uint64_t granule_size, uint64_t nb_granules)
{
	uint64_t pages = (granule_size * nb_granules) >> 12;
	unsigned order = 0;

	while (order < 64 && (1ull << order) < pages)
		order++;
	return order;
}

int iommu_cache_invalidate(struct iommu_domain *parent, struct pci_dev *dev,
			   const struct iommu_cache_invalidate_info *inv)
{
	struct sim_world *w = dev_world(dev);
	unsigned order = 0, flush;
	uint64_t pasid = 0, iova = 0, size = 0;
	int ret = 0;

	if (!w || kind_of(w) != IOMMU_HW_VTD) {
		ret = -ENODEV;          /* no cache_invalidate op */
		goto out;
	}
	if (!inv || !parent || inv->version != IOMMU_UAPI_VERSION) {
		ret = -EINVAL;
		goto out;
	}
	if (parent->type != IOMMU_DOMAIN_PAGING || !parent->nest_parent) {
		ret = -EINVAL;          /* !(dmar_domain->flags & DOMAIN_FLAG_NESTING_MODE) */
		goto out;
	}
	/* "Size is only valid in address selective invalidation" */
	if (inv->granularity != IOMMU_INV_GRANU_PASID)
		order = vtd_size_order(inv->addr_info.granule_size, inv->addr_info.nb_granules);
	if (inv->granularity == IOMMU_INV_GRANU_PASID &&
	    (inv->pasid_info.flags & IOMMU_INV_PASID_FLAGS_PASID))
		pasid = inv->pasid_info.pasid;
	else if (inv->granularity == IOMMU_INV_GRANU_ADDR &&
		 (inv->addr_info.flags & IOMMU_INV_ADDR_FLAGS_PASID))
		pasid = inv->addr_info.pasid;
	for (unsigned t = 0; t < IOMMU_CACHE_INV_TYPE_NR; t++) {
		struct iommu_domain *nd;

		if (!(inv->cache & (1u << t)))
			continue;
		/* an invalid pair ends the loop, and the call succeeds */
		if (!granu_valid(t, inv->granularity))
			break;
		if (t == 0 && inv->granularity == IOMMU_INV_GRANU_ADDR && order &&
		    order < 52 && (inv->addr_info.addr & ((1ull << (12 + order)) - 1))) {
			ret = -ERANGE;  /* "Address out of range" */
			goto out;
		}
		/* the PASID-tagged entries of the device's nested domain
		 * there; a PASID with no bind on @dev has nothing cached */
		nd = pasid < PASID_MAX ? iommu_gpasid_domain(dev, (uint32_t)pasid) : NULL;
		if (!nd)
			continue;
		if (inv->granularity == IOMMU_INV_GRANU_ADDR) {
			iova = inv->addr_info.addr & ~0xfffull;
			size = order >= 52 ? 0 : (4096ull << order);
		}
		/* IOTLB: the device TLB too when ATS is on ("vIOMMU in the
		 * guest may assume IOTLB flush is inclusive") */
		flush = t == 0 ? IOMMU_NESTED_FLUSH_IOTLB | IOMMU_NESTED_FLUSH_DEVTLB :
				 IOMMU_NESTED_FLUSH_DEVTLB;
		iommu_nested_flush(nd, dev, (uint32_t)pasid, iova, size, flush);
	}
out:
	if (w)
		SIM_TRACE(w, iommu_cache_inv, dev ? dev->name : "-", inv ? inv->cache : 0u,
		  inv ? inv->granularity : 0u, (unsigned long long)pasid,
		  (unsigned long long)(inv ? inv->addr_info.addr : 0),
		  (unsigned long long)(size >> 12), ret);
	return ret;
}
