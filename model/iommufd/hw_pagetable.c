/* SPDX-License-Identifier: MIT */
/*
 * Hardware page tables (drivers/iommu/iommufd/hw_pagetable.c): a HWPT is
 * a real domain of the simulated IOMMU (model/iommu/domain.h) with its
 * page table in simulated memory.  A paging HWPT holds its IOAS and its
 * domain is one of the IOAS's: every area is pinned and mapped into it, so
 * a device attached to it DMAs through exactly the tables the IOAS's
 * mappings wrote (spec §G, docs/iommufd.md "HWPTs").
 *
 * The driver half of HWPT_ALLOC (domain_alloc_user in 6.12,
 * domain_alloc_paging_flags later) is per IOMMU kind: VT-d takes
 * NEST_PARENT (a second-stage domain nested ones may sit on) and
 * DIRTY_TRACKING; SMMUv3 takes DIRTY_TRACKING, and NEST_PARENT from 6.13;
 * the RISC-V driver has no such op, so any flag is EOPNOTSUPP.
 */
#include <errno.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/hw.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"


static void hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hw_pagetable *hwpt = (struct iommufd_hw_pagetable *)obj;

	if (hwpt->in_ioas) {
		g_ptr_array_remove(hwpt->ioas->hwpt_list, hwpt);
		iopt_table_remove_domain(&hwpt->ioas->iopt, hwpt->domain);
	}
	if (hwpt->domain)
		iommu_domain_free(hwpt->domain);
	/* __iommufd_hwpt_destroy: the fault queue it delivered to */
	if (hwpt->fault)
		hwpt->fault->users--;
	hwpt->ioas->obj.users--;
	g_free(hwpt);
}

/* The driver's paging-domain allocation for HWPT_ALLOC's flags
 * (iommu_domain_alloc_paging_flags has each driver's rules); what the
 * kernel's core refuses before it reaches a driver is checked here. */
static int driver_domain_alloc(struct sim_world *w, uint32_t flags, struct iommu_domain **out)
{
	unsigned f = 0;

	switch (iommu_hw_config(w)->kind) {
	case IOMMU_HW_VTD:
		break;
	case IOMMU_HW_SMMUV3:
		/* arm_smmu_domain_alloc_user: NEST_PARENT came with the nesting
		 * series (6.13) */
		if ((flags & IOMMU_HWPT_ALLOC_NEST_PARENT) && sim_kernel_before(w, 6, 13))
			return -EOPNOTSUPP;
		break;
	case IOMMU_HW_RISCV:
		/* no domain_alloc_user / domain_alloc_paging_flags op */
		if (flags)
			return -EOPNOTSUPP;
		break;
	}
	/* ALLOC_PASID: VT-d takes it with anything; SMMUv3's NEST_PARENT
	 * case takes nothing more (arm_smmu_domain_alloc_paging_flags) */
	if ((flags & IOMMU_HWPT_ALLOC_PASID) && (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) &&
	    iommu_hw_config(w)->kind == IOMMU_HW_SMMUV3)
		return -EOPNOTSUPP;
	if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
		f |= IOMMU_DOMAIN_ALLOC_NEST_PARENT;
	if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		f |= IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING;
	return iommu_domain_alloc_paging_flags(w, f, out);
}

int iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			      struct iommufd_device *idev, uint32_t flags, bool immediate_attach,
			      struct iommufd_hw_pagetable **out)
{
	uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	struct iommufd_hw_pagetable *hwpt;
	int rc;

	/* FAULT_ID_VALID takes a fault queue on paging tables from 6.13;
	 * ALLOC_PASID came with PASID attach (6.15) */
	if (!sim_kernel_before(ictx->w, 6, 13))
		valid |= IOMMU_HWPT_FAULT_ID_VALID;
	if (!sim_kernel_before(ictx->w, 6, 15))
		valid |= IOMMU_HWPT_ALLOC_PASID;
	if (flags & ~valid)
		return -EOPNOTSUPP;
	/* device_iommu_capable(IOMMU_CAP_DIRTY_TRACKING); the mock IOMMU's
	 * dirty tracking is not modelled: its devices say no, as with
	 * MOCK_FLAGS_DEVICE_NO_DIRTY */
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    (idev->mock || !iommu_dirty_tracking_capable(ictx->w)))
		return -EOPNOTSUPP;
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) && (flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EOPNOTSUPP;
	if (sim_should_fail(ictx->w, "iommufd_hwpt_alloc"))
		return -ENOMEM;
	hwpt = g_new0(struct iommufd_hw_pagetable, 1);
	rc = iommufd_object_alloc(ictx, &hwpt->obj, IOMMUFD_OBJ_HWPT_PAGING, hwpt_paging_destroy);
	if (rc) {
		g_free(hwpt);
		return rc;
	}
	ioas->obj.users++;
	hwpt->ioas = ioas;
	hwpt->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	hwpt->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	/* the device's driver allocates: the mock IOMMU's for a mock device */
	if (idev->mock)
		rc = iommufd_mock_domain_alloc(idev->mock, flags & ~IOMMU_HWPT_FAULT_ID_VALID,
					       &hwpt->domain);
	else
		rc = driver_domain_alloc(ictx->w, flags & ~(IOMMU_HWPT_FAULT_ID_VALID),
					 &hwpt->domain);
	if (rc)
		goto out_abort;
	/* the coherency mode is decided before anything is mapped */
	if (idev->enforce_cache_coherency)
		hwpt->enforce_cache_coherency = iommu_domain_enforce_cache_coherency(hwpt->domain);
	if (immediate_attach) {
		rc = iommufd_hw_pagetable_attach(hwpt, idev);
		if (rc)
			goto out_abort;
	}
	rc = iopt_table_add_domain(&ioas->iopt, hwpt->domain);
	if (rc)
		goto out_detach;
	g_ptr_array_add(ioas->hwpt_list, hwpt);
	hwpt->in_ioas = true;
	*out = hwpt;
	return 0;

out_detach:
	if (immediate_attach)
		iommufd_hw_pagetable_detach(idev);
out_abort:
	iommufd_object_abort(&hwpt->obj);
	return rc;
}

void iommufd_hw_pagetable_put(struct iommufd_hw_pagetable *hwpt)
{
	/* an auto HWPT whose last device left goes (put_and_try_destroy) */
	if (hwpt->auto_domain && hwpt->obj.users == 2) {
		hwpt->obj.users--;
		iommufd_object_destroy_user(&hwpt->obj);
		return;
	}
	hwpt->obj.users--;
}

/* ---- nested HWPTs (VT-d since 6.7) ---- */

static void hwpt_nested_destroy(struct iommufd_object *obj)
{
	struct iommufd_hw_pagetable *hwpt = (struct iommufd_hw_pagetable *)obj;

	if (hwpt->domain)
		iommu_domain_free(hwpt->domain);
	if (hwpt->fault)
		hwpt->fault->users--;
	hwpt->parent->obj.users--;
	g_free(hwpt);
}

/*
 * intel_iommu_domain_alloc_nested: nested translation and flags (only
 * ALLOC_PASID) EOPNOTSUPP, then the data type (EOPNOTSUPP), the parent (a
 * second-stage NEST_PARENT: EINVAL), the data copied at exactly its size
 * (iommu_copy_struct_from_user: EINVAL, EFAULT).  Neither the flags'
 * unknown bits, __reserved, addr_width nor pgtbl_addr's alignment is
 * looked at here: addr_width, SRE and EAFE are the attach's
 * (iommufd_hwpt_nested_attach_check), the low bits of the address are
 * dropped when the PASID entry takes it.  SMMUv3 nests through a vIOMMU
 * only and the RISC-V driver not at all: no domain_alloc_nested op.
 */
static int driver_nested_alloc(struct iommufd_ucmd *ucmd, struct iommufd_hw_pagetable *parent,
			       uint32_t flags, struct iommufd_hw_pagetable *hwpt)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct sim_world *w = ucmd->ictx->w;
	const struct iommu_hw_config *hc = iommu_hw_config(w);
	struct iommu_hwpt_vtd_s1 vtd;

	if (hc->no_nesting || (flags & ~IOMMU_HWPT_ALLOC_PASID))
		return -EOPNOTSUPP;
	if (cmd->data_type != IOMMU_HWPT_DATA_VTD_S1)
		return -EOPNOTSUPP;
	if (parent->domain->type != IOMMU_DOMAIN_PAGING || !parent->domain->nest_parent)
		return -EINVAL;
	if (cmd->data_len != sizeof(vtd))
		return -EINVAL;
	if (sim_copy_from_user(ucmd->p, &vtd, cmd->data_uptr, sizeof(vtd)))
		return -EFAULT;
	hwpt->vtd = vtd;
	/* FLPTR takes the address's page; the depth follows the width the
	 * attach will check (57: five levels, anything else four) */
	return iommu_domain_alloc_nested(parent->domain, vtd.pgtbl_addr & ~(SIM_PAGE_SIZE - 1),
					 vtd.addr_width == 57 ? 5 : 4, &hwpt->domain);
}

/* iommufd_hwpt_nested_alloc: flags (FAULT_ID_VALID; ALLOC_PASID from 6.15)
 * and a driver that takes data EOPNOTSUPP; an automatic, not NEST_PARENT
 * parent EINVAL; the HWPT holds its parent. */
static int hwpt_nested_alloc(struct iommufd_ucmd *ucmd, struct iommufd_hw_pagetable *parent,
			     struct iommufd_device *idev, struct iommufd_hw_pagetable **out)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	uint32_t valid = IOMMU_HWPT_FAULT_ID_VALID;
	struct iommufd_hw_pagetable *hwpt;
	int rc;

	if (!sim_kernel_before(ucmd->ictx->w, 6, 15))
		valid |= IOMMU_HWPT_ALLOC_PASID;
	/* the mock IOMMU's nested domains (IOMMU_HWPT_DATA_SELFTEST) are not
	 * modelled: its driver has no domain_alloc_nested here */
	/* no domain_alloc_nested op: SMMUv3 nests through a vIOMMU, RISC-V
	 * not at all, the mock's is not modelled */
	if ((cmd->flags & ~valid) || !cmd->data_len || idev->mock ||
	    iommu_hw_config(ucmd->ictx->w)->kind != IOMMU_HW_VTD)
		return -EOPNOTSUPP;
	if (parent->auto_domain || !parent->nest_parent || iommufd_mock_domain(parent->domain))
		return -EINVAL;
	if (sim_should_fail(ucmd->ictx->w, "iommufd_hwpt_alloc"))
		return -ENOMEM;
	hwpt = g_new0(struct iommufd_hw_pagetable, 1);
	rc = iommufd_object_alloc(ucmd->ictx, &hwpt->obj, IOMMUFD_OBJ_HWPT_NESTED,
				  hwpt_nested_destroy);
	if (rc) {
		g_free(hwpt);
		return rc;
	}
	hwpt->parent = parent;
	parent->obj.users++;
	hwpt->pasid_compat = cmd->flags & IOMMU_HWPT_ALLOC_PASID;
	rc = driver_nested_alloc(ucmd, parent, cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID, hwpt);
	if (rc) {
		iommufd_object_abort(&hwpt->obj);
		return rc;
	}
	*out = hwpt;
	return 0;
}

/* arm_smmu_attach_dev_nested's for a vIOMMU's HWPT (viommu.c), else
 * intel_pasid_setup_nested's checks of the data, each attach (RID or
 * PASID): addr_width 48, or 57 with first-stage 5-level paging
 * (CAP.FL5LP); SRE needs ECAP.SRS, EAFE ECAP.EAFS, which the model's VT-d
 * does not have; WPE goes with SRE. */
int iommufd_hwpt_nested_attach_check(const struct iommufd_hw_pagetable *hwpt,
				     const struct iommufd_device *idev)
{
	if (hwpt->obj.type != IOMMUFD_OBJ_HWPT_NESTED)
		return 0;
	if (hwpt->viommu)            /* SMMUv3's, over a vIOMMU */
		return iommufd_viommu_attach_check(hwpt, idev);
	/* cap_fl5lp_support: the first-stage format has five levels */
	if (hwpt->vtd.addr_width != 48 &&
	    (hwpt->vtd.addr_width != 57 || !iommu_hw_fmt(IOMMU_HW_VTD, IO_PGTABLE_STAGE1, 5)))
		return -EINVAL;
	if (hwpt->vtd.flags & (IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE))
		return -EINVAL;
	return 0;
}

/* iommufd_hwpt_alloc (IOMMU_HWPT_ALLOC) */
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommufd_hw_pagetable *hwpt = NULL;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;
	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	pt_obj = iommufd_get_object(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (!pt_obj) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	if (pt_obj->type == IOMMUFD_OBJ_IOAS) {
		/* a driver without user data takes none (6.12: no driver here
		 * takes user data for a paging table) */
		if (cmd->data_len) {
			rc = -EOPNOTSUPP;
			goto out_put_pt;
		}
		rc = iommufd_hwpt_paging_alloc(ucmd->ictx, (struct iommufd_ioas *)pt_obj, idev,
					       cmd->flags, false, &hwpt);
		if (rc)
			goto out_put_pt;
	} else if (pt_obj->type == IOMMUFD_OBJ_HWPT_PAGING) {
		rc = hwpt_nested_alloc(ucmd, (struct iommufd_hw_pagetable *)pt_obj, idev, &hwpt);
		if (rc)
			goto out_put_pt;
	} else if (pt_obj->type == IOMMUFD_OBJ_VIOMMU) {
		rc = iommufd_viommu_alloc_hwpt_nested(ucmd, (struct iommufd_viommu *)pt_obj, idev,
						      &hwpt);
		if (rc)
			goto out_put_pt;
	} else {
		rc = -EINVAL;
		goto out_put_pt;
	}
	/* a fault queue for the HWPT's I/O page faults (paging HWPTs take one
	 * from 6.13): iommufd_get_fault, held by the HWPT */
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct iommufd_object *fault = iommufd_get_object(ucmd->ictx, cmd->fault_id,
								  IOMMUFD_OBJ_FAULT);

		if (!fault) {
			rc = -ENOENT;
			iommufd_object_abort(&hwpt->obj);
			goto out_put_pt;
		}
		hwpt->fault = fault;
		fault->users++;
		iommufd_put_object(fault);
		iommufd_hwpt_take_faults(hwpt);
	}
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		iommufd_object_abort(&hwpt->obj);
	else
		iommufd_object_finalize(&hwpt->obj);
out_put_pt:
	iommufd_put_object(pt_obj);
out_put_idev:
	iommufd_put_object(&idev->obj);
	return rc;
}

/* ---- dirty tracking (since 6.7) ---- */

static struct iommufd_hw_pagetable *get_hwpt_paging(struct iommufd_ucmd *ucmd, uint32_t id)
{
	return (struct iommufd_hw_pagetable *)iommufd_get_object(ucmd->ictx, id,
								 IOMMUFD_OBJ_HWPT_PAGING);
}

/* iopt_clear_dirty_data: every area's dirty bits cleared, so that tracking
 * starts from a clean snapshot */
static int iopt_clear_dirty_data(struct io_pagetable *iopt, struct iommu_domain *d)
{
	for (unsigned i = 0; i < iopt->areas->len; i++) {
		const struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i);
		int rc = iommu_domain_read_and_clear_dirty(d, a->iova, a->last - a->iova + 1, 0,
							   NULL, NULL);

		if (rc)
			return rc;
	}
	return 0;
}

/* iommufd_hwpt_set_dirty_tracking → iopt_set_dirty_tracking */
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	struct iommufd_hw_pagetable *hwpt;
	bool enable = cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	int rc = 0;

	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	hwpt = get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (!hwpt)
		return -ENOENT;
	if (!hwpt->domain->dirty_ops)
		rc = -EOPNOTSUPP;
	if (!rc && enable)
		rc = iopt_clear_dirty_data(&hwpt->ioas->iopt, hwpt->domain);
	if (!rc)
		rc = iommu_domain_set_dirty_tracking(hwpt->domain, enable);
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/* iommufd_check_iova_range: the range against the IOAS's alignment and
 * the bitmap's page size */
static int check_iova_range(const struct io_pagetable *iopt,
			    const struct iommu_hwpt_get_dirty_bitmap *b)
{
	uint64_t last;

	if (__builtin_add_overflow(b->iova, b->length - 1, &last))
		return -EOVERFLOW;
	if ((b->iova & (iopt->iova_alignment - 1)) || ((last + 1) & (iopt->iova_alignment - 1)))
		return -EINVAL;
	if (!b->page_size)
		return -EINVAL;
	if ((b->iova & (b->page_size - 1)) || ((last + 1) & (b->page_size - 1)))
		return -EINVAL;
	return 0;
}

/* The user's bitmap, one bit per page_size from iova (iova_bitmap). */
struct dirty_bitmap {
	struct sim_proc *p;
	uint64_t iova, last, page_size, data;
	int err;
};

/* iova_bitmap_set: the bits of [iova, iova + len) clipped to the bitmap;
 * bits already set stay set */
static void bitmap_record(void *ctx, uint64_t iova, uint64_t len)
{
	struct dirty_bitmap *b = ctx;
	uint64_t first = iova < b->iova ? b->iova : iova;
	uint64_t last = iova + len - 1 > b->last ? b->last : iova + len - 1;

	if (b->err || first > last)
		return;
	for (uint64_t bit = (first - b->iova) / b->page_size;
	     bit <= (last - b->iova) / b->page_size; bit++) {
		uint64_t word, at = b->data + bit / 64 * 8;

		if (sim_copy_from_user(b->p, &word, at, 8)) {
			b->err = -EFAULT;
			return;
		}
		word |= 1ull << (bit % 64);
		if (sim_copy_to_user(b->p, at, &word, 8)) {
			b->err = -EFAULT;
			return;
		}
	}
}

/*
 * iommufd_hwpt_get_dirty_bitmap → iopt_read_and_clear_dirty_data →
 * iommu_read_and_clear_dirty: the range checked first, then the dirty
 * ops; the areas from iova contiguously are read (and cleared).  The walk's
 * own failures — a hole in the areas, a bitmap the kernel cannot write —
 * stop it but are not returned: iommu_read_and_clear_dirty drops
 * iova_bitmap_for_each's result and answers 0.
 */
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	struct iommufd_hw_pagetable *hwpt;
	struct io_pagetable *iopt;
	struct dirty_bitmap b;
	uint64_t cur;
	unsigned i;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt = get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (!hwpt)
		return -ENOENT;
	iopt = &hwpt->ioas->iopt;
	rc = check_iova_range(iopt, cmd);
	if (rc)
		goto out;
	if (!hwpt->domain->dirty_ops) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	b = (struct dirty_bitmap){ .p = ucmd->p, .iova = cmd->iova,
				   .last = cmd->iova + cmd->length - 1,
				   .page_size = cmd->page_size, .data = cmd->data };
	/* iopt_for_each_contig_area over [iova, last] */
	cur = b.iova;
	for (i = 0; i < iopt->areas->len; i++) {
		const struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i);
		uint64_t end;

		if (a->last < cur)
			continue;
		if (a->iova > cur || b.err)
			break;
		end = a->last < b.last ? a->last : b.last;
		if (iommu_domain_read_and_clear_dirty(hwpt->domain, cur, end - cur + 1,
						      cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR
						      ? IOMMU_DIRTY_NO_CLEAR : 0,
						      bitmap_record, &b))
			break;
		if (end == b.last)
			break;
		cur = end + 1;
	}
out:
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/* ---- invalidation of nested tables (since 6.8) ---- */

/*
 * intel_nested_cache_invalidate_user: the array's type (EINVAL, also for
 * an empty array: that is how user space probes a type), then each entry
 * in order, copied at exactly its size (EINVAL, EFAULT); unknown flags or
 * __reserved EOPNOTSUPP; an address not 4 KiB aligned, or "everything"
 * (npages all-ones) from an address other than 0, EINVAL; else the range's
 * IOTLB entries of every (device, PASID) the domain is on, and the device
 * TLBs of the ATS ones (cache_tag_flush_range).  *done is the entries
 * handled before the one that failed.
 */
static int vtd_invalidate(struct iommufd_ucmd *ucmd, struct iommufd_hw_pagetable *hwpt,
			  uint32_t *done)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	int rc = 0;

	*done = 0;
	if (cmd->data_type != IOMMU_HWPT_INVALIDATE_DATA_VTD_S1)
		return -EINVAL;
	for (uint32_t i = 0; i < cmd->entry_num; i++) {
		struct iommu_hwpt_vtd_s1_invalidate inv;
		uint64_t size;

		if (cmd->entry_len != sizeof(inv)) {
			rc = -EINVAL;
			break;
		}
		if (sim_copy_from_user(ucmd->p, &inv, cmd->data_uptr + (uint64_t)i * cmd->entry_len,
				       sizeof(inv))) {
			rc = -EFAULT;
			break;
		}
		if ((inv.flags & ~IOMMU_VTD_INV_FLAGS_LEAF) || inv.__reserved) {
			rc = -EOPNOTSUPP;
			break;
		}
		if ((inv.addr & (SIM_PAGE_SIZE - 1)) || (inv.npages == UINT64_MAX && inv.addr)) {
			rc = -EINVAL;
			break;
		}
		/* everything, no pages (the driver's end wraps: a full flush),
		 * or a range running off the end: the whole domain */
		size = inv.npages && inv.npages < (UINT64_MAX >> 12) ? inv.npages << 12 : 0;
		if (size && inv.addr + size - 1 < inv.addr)
			size = 0;
		/* each entry its own batch and wait: cache_tag_flush_range
		 * flushes its qi_batch before it returns */
		iommu_nested_flush(hwpt->domain, NULL, 0, size ? inv.addr : 0, size,
				   IOMMU_NESTED_FLUSH_IOTLB | IOMMU_NESTED_FLUSH_DEVTLB);
		(*done)++;
	}
	return rc;
}

/*
 * iommufd_hwpt_invalidate: __reserved EOPNOTSUPP, entries without a
 * pointer or a length EINVAL; then the object: from 6.13 any object is
 * looked up (ENOENT) and only a nested HWPT (or a vIOMMU) takes requests
 * (EINVAL otherwise); 6.12 looks up a nested HWPT alone (ENOENT for any
 * other id), after refusing an entry longer than a page (EINVAL).
 * entry_num goes back as the entries done, on failure too.
 */
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommufd_object *obj = NULL;
	uint32_t done = 0;
	int rc;

	if (cmd->__reserved)
		rc = -EOPNOTSUPP;
	else if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len))
		rc = -EINVAL;
	else if (sim_kernel_before(ucmd->ictx->w, 6, 13) && cmd->entry_len > SIM_PAGE_SIZE)
		/* the oracle's iommufd.invalidate.entry_len_big on a paging
		 * HWPT is EINVAL, not ENOENT */
		rc = -EINVAL;
	else if (sim_kernel_before(ucmd->ictx->w, 6, 13)) {
		obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id, IOMMUFD_OBJ_HWPT_NESTED);
		rc = obj ? vtd_invalidate(ucmd, (struct iommufd_hw_pagetable *)obj, &done) : -ENOENT;
	} else {
		obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id, IOMMUFD_OBJ_ANY);
		if (!obj)
			rc = -ENOENT;
		else if (obj->type == IOMMUFD_OBJ_HWPT_NESTED)
			/* a vIOMMU's nested domain has no cache_invalidate_user:
			 * its guest invalidates through the vIOMMU */
			rc = ((struct iommufd_hw_pagetable *)obj)->viommu ? -EOPNOTSUPP :
			     vtd_invalidate(ucmd, (struct iommufd_hw_pagetable *)obj, &done);
		else if (obj->type == IOMMUFD_OBJ_VIOMMU)
			rc = iommufd_viommu_invalidate(ucmd, (struct iommufd_viommu *)obj, &done);
		else
			rc = -EINVAL;
	}
	if (obj)
		iommufd_put_object(obj);
	cmd->entry_num = done;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
