/* SPDX-License-Identifier: MIT */
/*
 * Devices (drivers/iommu/iommufd/device.c): what a VFIO device bound to a
 * context is to iommufd.  Binding claims DMA ownership of the device for
 * the context (iommu_device_claim_dma_owner: a group with a kernel DMA
 * driver, or owned by another context or by a VFIO container, is EPERM;
 * several devices of one group may bind to the same context) and leaves it
 * blocked.  Attaching to an IOAS reuses the first automatic HWPT of the
 * IOAS the device can take, else makes one; attaching to a HWPT uses it.
 * The first device of a group attached attaches the group (every RID and
 * alias of it in the hardware); the others follow.  Replace moves a group
 * from one HWPT to another in place; detach returns it to blocked when its
 * last device leaves; an automatic HWPT dies with its last device.
 */
#include <errno.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/pci/pci.h"
#include "model/iommu/io_pgfault.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"

/* ---- groups (iommufd_get_group / iommufd_put_group) ---- */

static struct iommufd_group *get_group(struct iommufd_ctx *ictx, struct iommu_group *g)
{
	struct iommufd_group *ig;

	for (unsigned i = 0; i < ictx->groups->len; i++) {
		ig = g_ptr_array_index(ictx->groups, i);
		if (ig->group == g) {
			ig->refs++;
			return ig;
		}
	}
	if (sim_should_fail(ictx->w, "iommufd_group_alloc"))
		return NULL;
	ig = g_new0(struct iommufd_group, 1);
	ig->ictx = ictx;
	ig->group = g;
	ig->devices = g_ptr_array_new();
	ig->pasid_attach = g_ptr_array_new();
	ig->refs = 1;
	g_ptr_array_add(ictx->groups, ig);
	return ig;
}

static void put_group(struct iommufd_group *ig)
{
	if (--ig->refs)
		return;
	g_ptr_array_remove(ig->ictx->groups, ig);
	g_ptr_array_free(ig->devices, TRUE);
	g_ptr_array_free(ig->pasid_attach, TRUE);
	g_free(ig);
}

/* ---- bind / unbind ---- */

/*
 * DMA ownership (iommu_device_claim_dma_owner).  A selftest mock device's
 * group has no hardware: claiming it only records the owner (its blocking
 * domain is "no domain", group->domain NULL).
 */
static int claim_owner(struct iommufd_group *ig, struct iommufd_ctx *ictx)
{
	struct iommu_group *g = ig->group;

	if (!ig->mock)
		return iommu_group_claim_dma_owner(g, ictx);
	if (g->owner ? g->owner != ictx : g->owner_cnt != 0)
		return -EPERM;
	g->owner = ictx;
	g->owner_cnt++;
	return 0;
}

static void release_owner(struct iommufd_group *ig, struct iommufd_ctx *ictx)
{
	struct iommu_group *g = ig->group;

	if (!ig->mock) {
		iommu_group_release_dma_owner(g, ictx);
		return;
	}
	if (g->owner == ictx && g->owner_cnt && !--g->owner_cnt)
		g->owner = NULL;
}

static void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev = (struct iommufd_device *)obj;
	struct iommufd_ctx *ictx = obj->ictx;
	bool mock = idev->mock;

	release_owner(idev->igroup, ictx);
	put_group(idev->igroup);
	g_free(idev);
	/* a mock device takes no context reference (its selftest object in
	 * the context holds it) */
	if (!mock)
		iommufd_ctx_put(ictx);
}

/* iommufd_device_bind, for a PCI function (@dev) or a mock device */
static int device_bind(struct iommufd_ctx *ictx, struct pci_dev *dev, struct iommu_group *g,
		       struct iommufd_mock_dev *mock, bool allow_unsafe_irq,
		       struct iommufd_device **out, uint32_t *id)
{
	struct iommufd_device *idev;
	struct iommufd_group *ig;
	int rc;

	/* iommufd always maps with IOMMU_CACHE: coherent DMA is required (the
	 * mock IOMMU says it is: mock_domain_capable) */
	if (!mock && !iommu_dev_cache_coherent(ictx->w))
		return -EINVAL;
	if (!g)
		return -ENODEV;
	ig = get_group(ictx, g);
	if (!ig)
		return -ENOMEM;
	ig->mock = mock != NULL;
	/* a mock device's MSIs are not asked about
	 * (iommufd_selftest_is_mock_dev) */
	if (!mock && !iommu_group_has_isolated_msi(ictx->w, g) && !allow_unsafe_irq) {
		rc = -EPERM;
		goto out_group_put;
	}
	rc = claim_owner(ig, ictx);
	if (rc)
		goto out_group_put;
	if (sim_should_fail(ictx->w, "iommufd_device_alloc")) {
		rc = -ENOMEM;
		goto out_release_owner;
	}
	idev = g_new0(struct iommufd_device, 1);
	rc = iommufd_object_alloc(ictx, &idev->obj, IOMMUFD_OBJ_DEVICE, iommufd_device_destroy);
	if (rc) {
		g_free(idev);
		goto out_release_owner;
	}
	if (!mock)
		iommufd_ctx_get(ictx);
	idev->dev = dev;
	idev->mock = mock;
	idev->igroup = ig;
	/* IOMMU_CAP_ENFORCE_CACHE_COHERENCY: the mock IOMMU does not claim it */
	idev->enforce_cache_coherency = !mock && iommu_hw_config(ictx->w)->snoop_control;
	/* the calling driver is a user until iommufd_device_unbind */
	idev->obj.users++;
	iommufd_object_finalize(&idev->obj);
	*out = idev;
	*id = idev->obj.id;
	return 0;

out_release_owner:
	release_owner(ig, ictx);
out_group_put:
	put_group(ig);
	return rc;
}

int iommufd_device_bind(struct iommufd_ctx *ictx, struct pci_dev *dev, bool allow_unsafe_irq,
			struct iommufd_device **out, uint32_t *id)
{
	return device_bind(ictx, dev, iommu_group_of(dev), NULL, allow_unsafe_irq, out, id);
}

int iommufd_device_bind_mock(struct iommufd_ctx *ictx, struct iommufd_mock_dev *mock,
			     struct iommu_group *g, struct iommufd_device **out, uint32_t *id)
{
	return device_bind(ictx, NULL, g, mock, false, out, id);
}

void iommufd_device_unbind(struct iommufd_device *idev)
{
	/* iommufd_device_pre_destroy: its vDEVICE goes first */
	if (idev->vdev)
		iommufd_vdevice_remove(idev->vdev);
	idev->obj.users--;
	iommufd_object_destroy_user(&idev->obj);
}

uint32_t iommufd_device_id(const struct iommufd_device *idev)
{
	return idev->obj.id;
}

struct iommufd_device *iommufd_get_device(struct iommufd_ucmd *ucmd, uint32_t id)
{
	return (struct iommufd_device *)iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_DEVICE);
}

/* ---- attach / detach ---- */

static bool hwpt_is_paging(const struct iommufd_hw_pagetable *hwpt)
{
	return hwpt->obj.type == IOMMUFD_OBJ_HWPT_PAGING;
}

/*
 * The group's side of an attach, on the IOMMU core or, for a mock device,
 * on the mock IOMMU (selftest.c), which reports no reserved regions and
 * has no hardware to program: its group only records the domain.  A
 * domain goes only to its own driver's devices (__iommu_attach_group,
 * iommu_group_replace_domain: dev_iommu_ops(dev) != domain->owner is
 * EINVAL), so a mock device never reaches the simulated IOMMU.
 */
static int group_resv_regions(struct iommufd_group *ig, struct io_pagetable *iopt,
			      const void *owner)
{
	return ig->mock ? 0 : iopt_table_enforce_dev_resv_regions(iopt, ig->group, owner);
}

static int group_set_domain(struct iommufd_group *ig, struct iommu_domain *d, bool replace)
{
	if (ig->mock != iommufd_mock_domain(d))
		return -EINVAL;
	if (ig->mock) {
		ig->group->domain = d;
		return 0;
	}
	return replace ? iommu_group_replace_domain(ig->group, d) : iommu_attach_group(d, ig->group);
}

static void group_unset_domain(struct iommufd_group *ig, struct iommu_domain *d)
{
	if (ig->mock)
		ig->group->domain = NULL;    /* mock_blocking_domain */
	else
		iommu_detach_group(d, ig->group);
}

/* iommufd_fault_iopf_enable: a device attached to a HWPT with a fault
 * queue takes I/O page faults (a mock device always can) */
static int iopf_enable(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev)
{
	return hwpt->fault && idev->dev ? iommu_iopf_enable(idev->dev) : 0;
}

static bool device_attached(const struct iommufd_device *idev);

/* iommufd_hwpt_pasid_compat for the RID: a HWPT not allocated with
 * ALLOC_PASID cannot take it while any PASID of the group is attached */
static int rid_pasid_compat(const struct iommufd_group *ig, const struct iommufd_hw_pagetable *hwpt)
{
	return !hwpt->pasid_compat && ig->pasid_attach->len ? -EINVAL : 0;
}

int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev)
{
	struct iommufd_group *ig = idev->igroup;
	int rc;

	/* from 6.15 the device's xa_insert into the attach's device_array
	 * comes first: attached already (to any HWPT; through the cdev's PASID
	 * 0 to the same) is EBUSY; 6.12 compares the HWPT first (EINVAL) */
	if (!sim_kernel_before(idev->obj.ictx->w, 6, 15) && device_attached(idev))
		return -EBUSY;
	if (ig->hwpt && ig->hwpt != hwpt)
		return -EINVAL;
	if (device_attached(idev))
		return -EBUSY;
	if (!ig->devices->len && (rc = rid_pasid_compat(ig, hwpt)))
		return rc;
	/* the driver's attach of a nested table: its data's last checks,
	 * before IOPF is enabled (a failed attach leaves it as it was) */
	if (!ig->devices->len && (rc = iommufd_hwpt_nested_attach_check(hwpt, idev)))
		return rc;
	if ((rc = iopf_enable(hwpt, idev)))
		return rc;
	if (hwpt_is_paging(hwpt)) {
		rc = group_resv_regions(ig, &hwpt->ioas->iopt, idev);
		if (rc)
			return rc;
	}
	if (!ig->devices->len) {
		rc = group_set_domain(ig, hwpt->domain, false);
		if (rc) {
			if (hwpt_is_paging(hwpt))
				iopt_remove_reserved_iova(&hwpt->ioas->iopt, idev);
			return rc;
		}
		ig->hwpt = hwpt;
	}
	hwpt->obj.users++;
	g_ptr_array_add(ig->devices, idev);
	return 0;
}

struct iommufd_hw_pagetable *iommufd_hw_pagetable_detach(struct iommufd_device *idev)
{
	struct iommufd_group *ig = idev->igroup;
	struct iommufd_hw_pagetable *hwpt = ig->hwpt;

	g_ptr_array_remove(ig->devices, idev);
	if (!ig->devices->len) {
		group_unset_domain(ig, hwpt->domain);
		ig->hwpt = NULL;
	}
	if (hwpt_is_paging(hwpt))
		iopt_remove_reserved_iova(&hwpt->ioas->iopt, idev);
	/* its faults the queue still holds are answered INVALID */
	if (hwpt->fault)
		iommufd_fault_auto_response(hwpt->fault, idev, IOMMU_NO_PASID);
	return hwpt;
}

bool iommufd_device_on_fault(const struct iommufd_device *idev, uint32_t pasid,
			     const struct iommufd_object *fault)
{
	const struct iommufd_hw_pagetable *hwpt = iommufd_device_hwpt_at(idev, pasid);

	return hwpt && hwpt->fault == fault;
}

/* A HWPT's domain's I/O page fault handler (iommufd_fault_iopf_handler):
 * the group goes to the HWPT's fault queue, answered when the VMM writes
 * its response.  The device is the one attached through the group. */
static int hwpt_iopf_handler(struct iommu_domain *d, struct iopf_group *g)
{
	struct iommufd_hw_pagetable *hwpt = d->iopf_data;
	struct iommufd_ctx *ictx = hwpt->obj.ictx;

	for (unsigned i = 0; g->dev && i < ictx->groups->len; i++) {
		struct iommufd_group *ig = g_ptr_array_index(ictx->groups, i);

		for (unsigned j = 0; ig->hwpt == hwpt && j < ig->devices->len; j++) {
			struct iommufd_device *idev = g_ptr_array_index(ig->devices, j);

			if (idev->dev == g->dev) {
				iommufd_fault_deliver(hwpt->fault, idev, g);
				return IOPF_DEFERRED;
			}
		}
		/* a (device, PASID) attachment's: the handle found by PASID */
		for (unsigned j = 0; j < ig->pasid_attach->len; j++) {
			struct iommufd_pasid_attach *pa = g_ptr_array_index(ig->pasid_attach, j);

			for (unsigned k = 0; pa->hwpt == hwpt && k < pa->devices->len; k++) {
				struct iommufd_device *idev = g_ptr_array_index(pa->devices, k);

				if (idev->dev == g->dev) {
					iommufd_fault_deliver(hwpt->fault, idev, g);
					return IOPF_DEFERRED;
				}
			}
		}
	}
	return IOMMU_PAGE_RESP_INVALID;
}

void iommufd_hwpt_take_faults(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->domain && !hwpt->domain->ops) {
		hwpt->domain->iopf_handler = hwpt_iopf_handler;
		hwpt->domain->iopf_data = hwpt;
	}
}

static bool device_attached(const struct iommufd_device *idev)
{
	for (unsigned i = 0; i < idev->igroup->devices->len; i++)
		if (g_ptr_array_index(idev->igroup->devices, i) == idev)
			return true;
	return false;
}

static int hwpt_attach_pasid(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev,
			     uint32_t pasid);
static int hwpt_replace_pasid(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev,
			      uint32_t pasid, struct iommufd_hw_pagetable **destroy);

/* iommufd_device_do_attach: 0 (nothing to destroy) or an error */
static int do_attach(struct iommufd_device *idev, uint32_t pasid,
		     struct iommufd_hw_pagetable *hwpt, struct iommufd_hw_pagetable **destroy)
{
	*destroy = NULL;
	return pasid == IOMMU_NO_PASID ? iommufd_hw_pagetable_attach(hwpt, idev) :
					 hwpt_attach_pasid(hwpt, idev, pasid);
}

/*
 * iommufd_group_do_replace_reserved_iova: the reserved regions of every
 * attached device of the group go into the new IOAS first (EADDRINUSE
 * leaves nothing behind).
 */
static int replace_reserved(struct iommufd_group *ig, struct iommufd_hw_pagetable *hwpt)
{
	for (unsigned i = 0; i < ig->devices->len; i++) {
		int rc = group_resv_regions(ig, &hwpt->ioas->iopt,
					    g_ptr_array_index(ig->devices, i));

		if (rc) {
			while (i-- > 0)
				iopt_remove_reserved_iova(&hwpt->ioas->iopt,
							  g_ptr_array_index(ig->devices, i));
			return rc;
		}
	}
	return 0;
}

/* iommufd_device_do_replace: the group moves in place; the old HWPT is
 * handed back for the caller to put (the devices' references move). */
static int do_replace(struct iommufd_device *idev, uint32_t pasid,
		      struct iommufd_hw_pagetable *hwpt, struct iommufd_hw_pagetable **destroy)
{
	struct iommufd_group *ig = idev->igroup;
	struct iommufd_hw_pagetable *old = ig->hwpt;
	bool new_ioas;
	unsigned n;
	int rc;

	if (pasid != IOMMU_NO_PASID)
		return hwpt_replace_pasid(hwpt, idev, pasid, destroy);
	*destroy = NULL;
	if (!old || !device_attached(idev))
		return -EINVAL;
	if (hwpt == old)
		return 0;
	if ((rc = rid_pasid_compat(ig, hwpt)) || (rc = iommufd_hwpt_nested_attach_check(hwpt, idev)) ||
	    (rc = iopf_enable(hwpt, idev)))
		return rc;
	new_ioas = hwpt_is_paging(hwpt) && (!hwpt_is_paging(old) || old->ioas != hwpt->ioas);
	if (new_ioas) {
		rc = replace_reserved(ig, hwpt);
		if (rc)
			return rc;
	}
	rc = group_set_domain(ig, hwpt->domain, true);
	if (rc) {
		if (new_ioas)
			for (unsigned i = 0; i < ig->devices->len; i++)
				iopt_remove_reserved_iova(&hwpt->ioas->iopt,
							  g_ptr_array_index(ig->devices, i));
		return rc;
	}
	if (hwpt_is_paging(old) && (!hwpt_is_paging(hwpt) || old->ioas != hwpt->ioas))
		for (unsigned i = 0; i < ig->devices->len; i++)
			iopt_remove_reserved_iova(&old->ioas->iopt,
						  g_ptr_array_index(ig->devices, i));
	ig->hwpt = hwpt;
	/* the old HWPT's queue answers what it holds of the group's devices */
	for (unsigned i = 0; old->fault && i < ig->devices->len; i++)
		iommufd_fault_auto_response(old->fault, g_ptr_array_index(ig->devices, i),
					    IOMMU_NO_PASID);
	/* the device list's references move to the new HWPT; one is kept on
	 * the old for the caller to put */
	n = ig->devices->len;
	hwpt->obj.users += n;
	old->obj.users -= n - 1;
	*destroy = old;
	return 0;
}

typedef int (*attach_fn)(struct iommufd_device *, uint32_t pasid,
			 struct iommufd_hw_pagetable *, struct iommufd_hw_pagetable **);

/* iommufd_device_auto_get_domain: an automatic HWPT of the IOAS that
 * takes the device (EINVAL means incompatible: try the next), else a new
 * one, attached before its domain joins the IOAS. */
static int auto_get_domain(struct iommufd_device *idev, struct iommufd_ioas *ioas,
			   uint32_t *pt_id, attach_fn fn, struct iommufd_hw_pagetable **destroy)
{
	bool immediate = fn == do_attach;
	struct iommufd_hw_pagetable *hwpt;
	int rc;

	for (unsigned i = 0; i < ioas->hwpt_list->len; i++) {
		hwpt = g_ptr_array_index(ioas->hwpt_list, i);
		if (!hwpt->auto_domain || !hwpt->obj.finalized)
			continue;
		hwpt->obj.users++;    /* iommufd_lock_obj */
		rc = fn(idev, IOMMU_NO_PASID, hwpt, destroy);
		hwpt->obj.users--;
		if (rc == -EINVAL)
			continue;
		if (!rc)
			*pt_id = hwpt->obj.id;
		return rc;
	}
	rc = iommufd_hwpt_paging_alloc(idev->obj.ictx, ioas, idev, 0, immediate, &hwpt);
	if (rc)
		return rc;
	if (!immediate) {
		rc = fn(idev, IOMMU_NO_PASID, hwpt, destroy);
		if (rc) {
			iommufd_object_abort(&hwpt->obj);
			return rc;
		}
	} else {
		*destroy = NULL;
	}
	hwpt->auto_domain = true;
	*pt_id = hwpt->obj.id;
	iommufd_object_finalize(&hwpt->obj);
	return 0;
}

/* iommufd_device_change_pt: at the RID, or (6.15) at a PASID, where an IOAS
 * is EINVAL (its automatic HWPT is allocated without ALLOC_PASID, so none
 * can go on a PASID: iommufd_hwpt_pasid_compat) */
static int change_pt(struct iommufd_device *idev, uint32_t pasid, uint32_t *pt_id,
		     attach_fn fn)
{
	struct iommufd_ctx *ictx = idev->obj.ictx;
	struct iommufd_hw_pagetable *destroy = NULL;
	struct iommufd_object *pt_obj;
	int rc;

	pt_obj = iommufd_get_object(ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj)
		return -ENOENT;
	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_NESTED:
	case IOMMUFD_OBJ_HWPT_PAGING:
		rc = fn(idev, pasid, (struct iommufd_hw_pagetable *)pt_obj, &destroy);
		break;
	case IOMMUFD_OBJ_IOAS:
		rc = pasid != IOMMU_NO_PASID ? -EINVAL :
		     auto_get_domain(idev, (struct iommufd_ioas *)pt_obj, pt_id, fn, &destroy);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_put_object(pt_obj);
	if (!rc && destroy)
		iommufd_hw_pagetable_put(destroy);
	return rc;
}

int iommufd_device_attach(struct iommufd_device *idev, uint32_t *pt_id)
{
	return change_pt(idev, IOMMU_NO_PASID, pt_id, do_attach);
}

int iommufd_device_replace(struct iommufd_device *idev, uint32_t *pt_id)
{
	return change_pt(idev, IOMMU_NO_PASID, pt_id, do_replace);
}

void iommufd_device_detach(struct iommufd_device *idev)
{
	if (!device_attached(idev))
		return;
	iommufd_hw_pagetable_put(iommufd_hw_pagetable_detach(idev));
}

bool iommufd_device_is_attached(const struct iommufd_device *idev)
{
	return device_attached(idev);
}

/* ---- (device, PASID) attachments (6.15) ---- */

static struct iommufd_pasid_attach *pasid_slot(const struct iommufd_group *ig, uint32_t pasid,
					       guint *at)
{
	guint i;

	for (i = 0; i < ig->pasid_attach->len; i++) {
		struct iommufd_pasid_attach *pa = g_ptr_array_index(ig->pasid_attach, i);

		if (pa->pasid == pasid) {
			if (at)
				*at = i;
			return pa;
		}
		if (pa->pasid > pasid)
			break;
	}
	if (at)
		*at = i;
	return NULL;
}

struct iommufd_hw_pagetable *iommufd_device_hwpt_at(const struct iommufd_device *idev,
						    uint32_t pasid)
{
	const struct iommufd_group *ig = idev->igroup;
	const struct iommufd_pasid_attach *pa;

	if (pasid == IOMMU_NO_PASID)
		return device_attached(idev) ? ig->hwpt : NULL;
	pa = pasid_slot(ig, pasid, NULL);
	if (!pa)
		return NULL;
	for (unsigned i = 0; i < pa->devices->len; i++)
		if (g_ptr_array_index(pa->devices, i) == idev)
			return pa->hwpt;
	return NULL;
}

/* __iommu_set_group_pasid: every device of the group that has PASIDs (the
 * others are skipped, iommu_attach_device_pasid); all or nothing */
static int group_set_pasid(struct iommufd_group *ig, struct iommu_domain *d, uint32_t pasid,
			   struct iommu_domain *old)
{
	struct iommu_group *g = ig->group;
	size_t i;
	int rc = 0;

	for (i = 0; i < g->ndevices && !rc; i++) {
		struct pci_dev *dev = g->devices[i];

		if (!iommu_device_pasid_bits(dev))
			continue;
		rc = old ? iommu_replace_device_pasid(d, dev, pasid) :
			   iommu_attach_device_pasid(d, dev, pasid);
	}
	if (!rc)
		return 0;
	for (i--; i-- > 0;) {
		struct pci_dev *dev = g->devices[i];

		if (!iommu_device_pasid_bits(dev))
			continue;
		if (old)
			iommu_replace_device_pasid(old, dev, pasid);
		else
			iommu_detach_device_pasid(d, dev, pasid);
	}
	return rc;
}

static void group_unset_pasid(struct iommufd_group *ig, struct iommu_domain *d, uint32_t pasid)
{
	for (size_t i = 0; i < ig->group->ndevices; i++)
		if (iommu_device_pasid_domain(ig->group->devices[i], pasid) == d)
			iommu_detach_device_pasid(d, ig->group->devices[i], pasid);
}

/* iommufd_hwpt_pasid_compat at a PASID */
static int pasid_compat(const struct iommufd_group *ig, const struct iommufd_hw_pagetable *hwpt)
{
	if (!hwpt->pasid_compat)
		return -EINVAL;
	return ig->hwpt && !ig->hwpt->pasid_compat ? -EINVAL : 0;
}

/* iommufd_hw_pagetable_attach with a PASID */
static int hwpt_attach_pasid(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev,
			     uint32_t pasid)
{
	struct iommufd_group *ig = idev->igroup;
	struct iommufd_pasid_attach *pa;
	guint at;
	int rc;

	pa = pasid_slot(ig, pasid, &at);
	if (pa && iommufd_device_hwpt_at(idev, pasid))
		return -EBUSY;
	if (pa && pa->hwpt != hwpt)
		return -EINVAL;
	if (!pa) {
		if ((rc = pasid_compat(ig, hwpt)) || (rc = iommufd_hwpt_nested_attach_check(hwpt, idev)) ||
		    (rc = iopf_enable(hwpt, idev)))
			return rc;
		if (sim_should_fail(idev->obj.ictx->w, "iommufd_pasid_attach"))
			return -ENOMEM;
		if ((rc = group_set_pasid(ig, hwpt->domain, pasid, NULL)))
			return rc;
		pa = g_new0(struct iommufd_pasid_attach, 1);
		pa->pasid = pasid;
		pa->hwpt = hwpt;
		pa->devices = g_ptr_array_new();
		g_ptr_array_insert(ig->pasid_attach, (gint)at, pa);
	}
	hwpt->obj.users++;
	g_ptr_array_add(pa->devices, idev);
	return 0;
}

/* the device leaves (device, @pasid); the last one's leaving detaches the
 * group's PASID.  The HWPT it was on, its reference still held. */
static struct iommufd_hw_pagetable *hwpt_detach_pasid(struct iommufd_device *idev, uint32_t pasid)
{
	struct iommufd_group *ig = idev->igroup;
	struct iommufd_pasid_attach *pa;
	struct iommufd_hw_pagetable *hwpt;
	guint at;

	pa = pasid_slot(ig, pasid, &at);
	hwpt = pa->hwpt;
	g_ptr_array_remove(pa->devices, idev);
	if (!pa->devices->len) {
		group_unset_pasid(ig, hwpt->domain, pasid);
		g_ptr_array_remove_index(ig->pasid_attach, at);
		g_ptr_array_free(pa->devices, TRUE);
		g_free(pa);
	}
	if (hwpt->fault)
		iommufd_fault_auto_response(hwpt->fault, idev, pasid);
	return hwpt;
}

/* iommufd_device_do_replace with a PASID */
static int hwpt_replace_pasid(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev,
			      uint32_t pasid, struct iommufd_hw_pagetable **destroy)
{
	struct iommufd_group *ig = idev->igroup;
	struct iommufd_pasid_attach *pa = pasid_slot(ig, pasid, NULL);
	struct iommufd_hw_pagetable *old;
	unsigned n;
	int rc;

	*destroy = NULL;
	if (!pa || !iommufd_device_hwpt_at(idev, pasid))
		return -EINVAL;
	old = pa->hwpt;
	if (old == hwpt)
		return 0;
	if ((rc = pasid_compat(ig, hwpt)) || (rc = iommufd_hwpt_nested_attach_check(hwpt, idev)) ||
	    (rc = iopf_enable(hwpt, idev)))
		return rc;
	if ((rc = group_set_pasid(ig, hwpt->domain, pasid, old->domain)))
		return rc;
	pa->hwpt = hwpt;
	for (unsigned i = 0; old->fault && i < pa->devices->len; i++)
		iommufd_fault_auto_response(old->fault, g_ptr_array_index(pa->devices, i), pasid);
	n = pa->devices->len;
	hwpt->obj.users += n;
	old->obj.users -= n - 1;
	*destroy = old;
	return 0;
}

/* the PASID forms' common checks: PASID 0 is the RID's; the selftest's
 * mock IOMMU at a PASID is not modelled (its set_dev_pasid): EOPNOTSUPP,
 * what a driver without the op answers */
static int pasid_usable(const struct iommufd_device *idev, uint32_t pasid)
{
	if (pasid == IOMMU_NO_PASID)
		return -EINVAL;
	return idev->igroup->mock ? -EOPNOTSUPP : 0;
}

int iommufd_device_attach_pasid(struct iommufd_device *idev, uint32_t pasid, uint32_t *pt_id)
{
	int rc = pasid_usable(idev, pasid);

	return rc ? rc : change_pt(idev, pasid, pt_id, do_attach);
}

int iommufd_device_replace_pasid(struct iommufd_device *idev, uint32_t pasid, uint32_t *pt_id)
{
	int rc = pasid_usable(idev, pasid);

	return rc ? rc : change_pt(idev, pasid, pt_id, do_replace);
}

void iommufd_device_detach_pasid(struct iommufd_device *idev, uint32_t pasid)
{
	if (pasid == IOMMU_NO_PASID || !iommufd_device_hwpt_at(idev, pasid))
		return;
	iommufd_hw_pagetable_put(hwpt_detach_pasid(idev, pasid));
}

/* ---- IOMMU_GET_HW_INFO (since 6.6) ---- */

/*
 * iommufd_get_hw_info: flags and every reserved byte EOPNOTSUPP, then the
 * device; the driver's data (iommu_get_hw_info) up to data_len bytes, the
 * rest of the user's buffer zeroed, data_len set to the driver's length;
 * out_capabilities (since 6.7) and out_max_pasid_log2.
 */
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	struct iommufd_device *idev;
	uint8_t data[256];
	size_t len = sizeof(data), copy;
	uint32_t type;
	uint64_t caps;
	uint8_t pasid_log2;
	int rc;

	if (cmd->flags || cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	/* before the PASID report the byte was reserved too */
	if (sim_kernel_before(ucmd->ictx->w, 6, 12) && cmd->out_max_pasid_log2)
		return -EOPNOTSUPP;
	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	/* ops->hw_info: a mock device's is the mock IOMMU's */
	if (idev->mock) {
		iommufd_mock_hw_info(idev->mock, &type, data, &len, &caps, &pasid_log2);
		rc = 0;
	} else {
		rc = iommu_get_hw_info(idev->dev, &type, data, &len);
	}
	if (rc)
		goto out;
	copy = cmd->data_len < len ? cmd->data_len : len;
	if (copy && sim_copy_to_user(ucmd->p, cmd->data_uptr, data, copy)) {
		rc = -EFAULT;
		goto out;
	}
	/* clear_user of the tail the driver has no data for */
	if (copy < cmd->data_len) {
		static const uint8_t zero[64];

		for (uint64_t off = copy; off < cmd->data_len;) {
			size_t n = cmd->data_len - off < sizeof(zero) ? cmd->data_len - off
								    : sizeof(zero);

			if (sim_copy_to_user(ucmd->p, cmd->data_uptr + off, zero, n)) {
				rc = -EFAULT;
				goto out;
			}
			off += n;
		}
	}
	cmd->data_len = (uint32_t)len;
	cmd->out_data_type = type;
	rc = idev->mock ? 0 : iommu_get_hw_info_caps(idev->dev, &caps, &pasid_log2);
	if (rc)
		goto out;
	cmd->out_capabilities = caps;
	cmd->out_max_pasid_log2 = sim_kernel_before(ucmd->ictx->w, 6, 12) ? 0 : pasid_log2;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out:
	iommufd_put_object(&idev->obj);
	return rc;
}
