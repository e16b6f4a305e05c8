/* SPDX-License-Identifier: MIT */
/* Shared virtual addressing, the mainline way (sva.h). */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mm.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/io_pgfault.h"
#include "model/iommu/sva.h"

/* mm->iommu_mm (struct iommu_mm_data): the PASID, the mm's SVA domains
 * (one per IOMMU: here at most one), and its bonds, in bind order. */
struct iommu_mm_data {
	struct sim_world *w;
	uint32_t pasid;
	GPtrArray *domains;
	GPtrArray *bonds;
};

/* mm_pasid_drop, when the mm struct is freed (the last mmdrop). */
static void mm_pasid_drop(struct sim_mm *mm)
{
	struct iommu_mm_data *im = mm->iommu_mm;

	if (!im)
		return;
	iommu_free_global_pasid(im->w, im->pasid);
	g_ptr_array_free(im->domains, TRUE);
	g_ptr_array_free(im->bonds, TRUE);
	g_free(im);
	mm->iommu_mm = NULL;
}

uint32_t iommu_mm_pasid(const struct sim_mm *mm)
{
	const struct iommu_mm_data *im = mm ? mm->iommu_mm : NULL;

	return im ? im->pasid : IOMMU_PASID_INVALID;
}

static struct sim_world *dev_world(struct pci_dev *dev)
{
	return dev && dev->group ? iommu_group_world(dev->group) : NULL;
}

int iommu_sva_enable(struct pci_dev *dev)
{
	struct sim_world *w = dev_world(dev);
	const struct iommu_hw_config *hc = iommu_hw_config(w);

	if (!hc || dev->no_iommu)
		return -ENODEV;
	switch (hc->kind) {
	case IOMMU_HW_VTD:
		/* !info->pasid_enabled || !info->ats_enabled */
		if (!iommu_device_pasid_bits(dev) || !iommu_device_ats(dev))
			return -EINVAL;
		break;
	case IOMMU_HW_SMMUV3:
		/* arm_smmu_master_sva_supported: master->ssid_bits */
		if (!iommu_device_pasid_bits(dev))
			return -EINVAL;
		break;
	default:
		return -ENODEV;
	}
	/* I/O page faults for a function with PRI (the IOPF feature the
	 * drivers enable with SVA: pci_enable_pri, which grants the smaller
	 * of what they ask and the function's capacity) */
	if (dev->pri && iommu_device_ats(dev))
		return iommu_iopf_enable(dev);
	return 0;
}

/* iommu_alloc_mm_data: the mm's PASID, made at its first bind. */
static int alloc_mm_data(struct sim_mm *mm, struct pci_dev *dev, struct iommu_mm_data **out)
{
	struct iommu_mm_data *im = mm->iommu_mm;
	uint32_t pasid;
	int ret;

	if (im) {
		/* iommu_mm->pasid >= dev->iommu->max_pasids */
		if ((uint64_t)im->pasid >= (1ull << iommu_device_pasid_bits(dev)) ||
		    !iommu_device_pasid_bits(dev))
			return -EOVERFLOW;
		*out = im;
		return 0;
	}
	if (sim_should_fail(mm->w, "iommu_sva_mm"))
		return -ENOMEM;
	im = g_new0(struct iommu_mm_data, 1);
	ret = iommu_alloc_global_pasid(dev, im, &pasid);
	if (ret) {
		g_free(im);
		return ret == -ENOMEM ? ret : -ENOSPC;
	}
	im->w = mm->w;
	im->pasid = pasid;
	im->domains = g_ptr_array_new();
	im->bonds = g_ptr_array_new_with_free_func(g_free);   /* bonds go with the mm */
	mm->iommu_mm = im;
	mm->iommu_mm_drop = mm_pasid_drop;
	*out = im;
	return 0;
}

static void trace_bind(struct sim_world *w, struct pci_dev *dev, uint32_t pasid, unsigned users,
		       int ret)
{
	SIM_TRACE(w, iommu_sva_bind, dev ? dev->name : "?", pasid, users, ret);
}

struct iommu_sva *iommu_sva_bind_device(struct pci_dev *dev, struct sim_mm *mm, int *err)
{
	struct sim_world *w = dev_world(dev);
	struct iommu_mm_data *im;
	struct iommu_domain *cur, *d = NULL;
	struct iommu_sva *h;
	int ret;

	*err = 0;
	if (!w) {
		*err = -ENODEV;
		return NULL;
	}
	/* "SVA currently doesn't support IOMMU groups with more than one
	 * device" (iommu_sva_bind_device) */
	if (dev->group->ndevices != 1) {
		ret = -EINVAL;
		goto fail;
	}
	if ((ret = alloc_mm_data(mm, dev, &im)))
		goto fail;
	/* a bond already exists: one more reference (iommu_attach_handle_get) */
	cur = iommu_device_pasid_domain(dev, im->pasid);
	if (cur) {
		if (cur->type != IOMMU_DOMAIN_SVA || cur->mm != mm) {
			ret = -EBUSY;
			goto fail;
		}
		for (guint i = 0; i < im->bonds->len; i++) {
			h = g_ptr_array_index(im->bonds, i);
			if (h->dev == dev) {
				h->users++;
				trace_bind(w, dev, im->pasid, h->users, 0);
				return h;
			}
		}
	}
	if (sim_should_fail(w, "iommu_sva_bond")) {
		ret = -ENOMEM;
		goto fail;
	}
	/* the mm's domain, when it has one; else a new one */
	for (guint i = 0; i < im->domains->len && !d; i++) {
		struct iommu_domain *x = g_ptr_array_index(im->domains, i);

		if (!iommu_attach_device_pasid(x, dev, im->pasid))
			d = x;
	}
	if (!d) {
		if ((ret = iommu_domain_alloc_sva(dev, mm, &d)))
			goto fail;
		if ((ret = iommu_attach_device_pasid(d, dev, im->pasid))) {
			iommu_domain_free(d);
			goto fail;
		}
		g_ptr_array_add(im->domains, d);
	}
	d->sva_users++;
	h = g_new0(struct iommu_sva, 1);
	h->dev = dev;
	h->domain = d;
	h->users = 1;
	g_ptr_array_add(im->bonds, h);
	trace_bind(w, dev, im->pasid, 1, 0);
	return h;
fail:
	trace_bind(w, dev, iommu_mm_pasid(mm), 0, ret);
	*err = ret;
	return NULL;
}

void iommu_sva_unbind_device(struct iommu_sva *h)
{
	struct iommu_domain *d;
	struct iommu_mm_data *im;
	struct sim_world *w;
	uint32_t pasid;

	if (!h)
		return;
	d = h->domain;
	im = d->mm->iommu_mm;
	w = d->w;
	pasid = im->pasid;
	SIM_TRACE(w, iommu_sva_unbind, h->dev->name, pasid, h->users - 1);
	if (--h->users)
		return;
	iommu_detach_device_pasid(d, h->dev, pasid);
	g_ptr_array_remove(im->bonds, h);     /* frees it */
	if (!--d->sva_users) {
		g_ptr_array_remove(im->domains, d);
		iommu_domain_free(d);       /* its mmdrop may free the mm and the PASID */
	}
}

uint32_t iommu_sva_get_pasid(const struct iommu_sva *h)
{
	return iommu_mm_pasid(h->domain->mm);
}

/* ---- invariants ---------------------------------------------------------------------- */

int iommu_sva_check_pasid(struct pci_dev *dev, uint32_t pasid, GString *out)
{
	struct iommu_domain *d = iommu_device_pasid_domain(dev, pasid);
	struct sim_world *w = dev_world(dev);
	struct iommu_context have;
	bool wide, stolen;
	uint32_t mine;
	int bad = 0;

	if (!d || d->type != IOMMU_DOMAIN_SVA)
		return 0;
	/* the 2017 proposal's PASIDs are the device's, not the mm's */
	mine = d->sva_device_pasid ? pasid : iommu_mm_pasid(d->mm);
	wide = (uint64_t)pasid >= 1ull << iommu_device_pasid_bits(dev);
	stolen = !d->sva_device_pasid && iommu_global_pasid_owner(w, pasid) != d->mm->iommu_mm;
	if (!pasid || pasid != mine || wide || stolen) {
		g_string_append_printf(out, "§H20: %s pasid %u: an SVA domain whose mm's PASID "
				       "is %d%s%s\n", dev->name, pasid,
				       mine == IOMMU_PASID_INVALID ? -1 : (int)mine,
				       wide ? ", beyond the device's PASID width" : "",
				       stolen ? ", and the global PASID space gives it to someone "
						"else" : "");
		bad++;
	}
	if (!sim_mm_alive(d->mm) &&
	    !iommu_hw_get_pasid(w, PCI_SBDF_DOMAIN(dev->sbdf), (uint16_t)(dev->sbdf & 0xffff),
				pasid, &have) && have.type != IOMMU_CTX_BLOCKED) {
		g_string_append_printf(out, "§H21: %s pasid %u: the mm has exited, yet the PASID "
				       "entry still translates (%s did %u)\n", dev->name, pasid,
				       iommu_ctx_type_name(have.type), have.did);
		bad++;
	}
	if (dev->group && dev->group->ndevices != 1) {
		g_string_append_printf(out, "§H25: %s pasid %u: an SVA bond on group %u, which has "
				       "%zu devices\n", dev->name, pasid, dev->group->id,
				       dev->group->ndevices);
		bad++;
	}
	return bad;
}
