/* SPDX-License-Identifier: MIT */
/*
 * Seed 002's proposal (2020), profile vfio.nesting_abi: guest-pgtbl-2020:
 * a VFIO_TYPE1_NESTING_IOMMU container whose VMM allocates host PASIDs
 * (VFIO_IOMMU_PASID_REQUEST), binds guest stage-1 tables to them
 * (VFIO_IOMMU_BIND with BIND_GUEST_PGTBL / UNBIND_GUEST_PGTBL) and forwards
 * the guest's cache invalidations (VFIO_IOMMU_CACHE_INVALIDATE).  Written
 * from the v1 series' description of each step; the IOMMU half is
 * model/iommu/gpasid.h.  docs/nesting.md tells the story.
 *
 *  - PASIDs are per VM (struct vfio_mm in the series, keyed by the opener's
 *    mm, shared by its containers): a quota (vfio.pasid_quota, the
 *    series' default 1000), PASIDs from the global space.
 *  - Every operation goes to every device of every group in the container
 *    (vfio_iommu_for_each_dev): the isolation hole the thread is about.
 *    A failed bind unbinds the PASID on every device again, binds of the
 *    same PASID made before included.
 *  - nesting_bind_scope container (as posted): the container keeps its
 *    binds, and a group attached later gets each of them (the spec's
 *    "including groups added later"); singleton (the resolution): a
 *    nesting container takes one group, the second attach is EINVAL.
 *  - A group's detach takes its devices' binds with it (the driver frees
 *    the device's PASID table); the last domain's, the container's list.
 *  - Freeing a PASID first removes every bind this VM's containers made on
 *    it (the later revisions' IOASID free notifier).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/gpasid.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio_private.h"
#include "iommusim/uapi/vfio_sva.h"
#include "iommusim/uapi/vfio_nesting.h"

/* The series' struct vfio_mm: one VM's PASIDs. */
struct vfio_vmm {
	struct sim_mm *token;        /* the opener's mm, held (mmgrab) so its
				      * address is no other mm's while the set lives */
	unsigned id;                 /* for the traces: 1.. in creation order */
	unsigned refs;               /* containers */
	unsigned quota;
	GArray *pasids;              /* uint32_t, ascending */
	GPtrArray *iommus;           /* its containers' struct vfio_iommu * */
};

/* One BIND_GUEST_PGTBL the container holds: its data, and the groups it is
 * installed on in the order they got it. */
struct vfio_gbind {
	struct iommu_gpasid_bind_data data;
	GPtrArray *groups;
};

static bool nesting_2020(const struct vfio_iommu *iommu)
{
	return iommu->vfio->params.nesting_abi == VFIO_NESTING_GUEST_PGTBL_2020;
}

/* ---- the VM's PASIDs ------------------------------------------------------- */

void vfio_vmm_attach(struct vfio_iommu *iommu, struct sim_proc *p)
{
	struct vfio_state *v = iommu->vfio;
	struct vfio_vmm *vmm = NULL;

	if (!nesting_2020(iommu) || !p || !p->mm)
		return;
	for (guint i = 0; v->vmms && i < v->vmms->len; i++)
		if (((struct vfio_vmm *)g_ptr_array_index(v->vmms, i))->token == p->mm)
			vmm = g_ptr_array_index(v->vmms, i);
	if (!vmm) {
		/* vfio_create_mm; failing, the container has none
		 * ("Failed to get vfio_mm track") */
		if (sim_should_fail(v->w, "vfio_mm_alloc"))
			return;
		if (!v->vmms)
			v->vmms = g_ptr_array_new();
		vmm = g_new0(struct vfio_vmm, 1);
		vmm->token = sim_mm_get(p->mm);
		vmm->id = ++v->vmm_seq;
		vmm->quota = v->params.pasid_quota;
		vmm->pasids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
		vmm->iommus = g_ptr_array_new();
		g_ptr_array_add(v->vmms, vmm);
	}
	vmm->refs++;
	g_ptr_array_add(vmm->iommus, iommu);
	iommu->vmm = vmm;
}

static void vmm_put(struct vfio_iommu *iommu)
{
	struct vfio_vmm *vmm = iommu->vmm;

	if (!vmm)
		return;
	iommu->vmm = NULL;
	g_ptr_array_remove(vmm->iommus, iommu);
	if (--vmm->refs)
		return;
	/* ioasid_free_set: every PASID the VM still has */
	for (guint i = 0; i < vmm->pasids->len; i++)
		iommu_free_global_pasid(iommu->vfio->w, g_array_index(vmm->pasids, uint32_t, i));
	g_ptr_array_remove(iommu->vfio->vmms, vmm);
	sim_mm_put(vmm->token);
	g_array_free(vmm->pasids, TRUE);
	g_ptr_array_free(vmm->iommus, TRUE);
	g_free(vmm);
}

static int vmm_pasid_index(const struct vfio_vmm *vmm, uint32_t pasid)
{
	for (guint i = 0; i < vmm->pasids->len; i++)
		if (g_array_index(vmm->pasids, uint32_t, i) == pasid)
			return (int)i;
	return -1;
}

/* The lowest free PASID in [min, max] of the global space (ioasid_alloc
 * from the VM's set): 0 or -ENOSPC (also when the quota is used up). */
static int vmm_pasid_alloc(struct vfio_iommu *iommu, uint32_t min, uint32_t max, uint32_t *out)
{
	struct vfio_vmm *vmm = iommu->vmm;
	int ret;
	guint at = 0;

	if (vmm->pasids->len >= vmm->quota)
		return -ENOSPC;
	ret = iommu_alloc_global_pasid_range(iommu->vfio->w, min < 1 ? 1 : min, max, vmm, out);
	if (ret)
		return ret == -ENOMEM ? -ENOMEM : -ENOSPC;
	while (at < vmm->pasids->len && g_array_index(vmm->pasids, uint32_t, at) < *out)
		at++;
	g_array_insert_val(vmm->pasids, at, *out);
	return 0;
}

/* ---- binds on devices --------------------------------------------------------- */

/* vfio_iommu_for_each_dev with vfio_unbind_gpasid_fn, over one group: the
 * first error stops it (the posted loop's behaviour) */
static int unbind_group(struct vfio_domain *d, struct iommu_group *ig, uint64_t hpasid)
{
	for (size_t i = 0; i < ig->ndevices; i++) {
		int ret = iommu_sva_unbind_gpasid(d->domain, ig->devices[i], hpasid);

		if (ret)
			return ret;
	}
	return 0;
}

static int bind_group(struct vfio_domain *d, struct iommu_group *ig,
		      const struct iommu_gpasid_bind_data *data)
{
	for (size_t i = 0; i < ig->ndevices; i++) {
		int ret = iommu_sva_bind_gpasid(d->domain, ig->devices[i], data);

		if (ret)
			return ret;
	}
	return 0;
}

static struct vfio_domain *group_domain(struct vfio_iommu *iommu, struct iommu_group *ig)
{
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		if (g_ptr_array_find(d->groups, ig, NULL))
			return d;
	}
	return NULL;
}

/* Over every device of the container; @bind false: unbind, and carry on
 * past nothing (the first error ends the walk, as posted). */
static int for_each_group(struct vfio_iommu *iommu, const struct iommu_gpasid_bind_data *data,
			  bool bind, GPtrArray *done)
{
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		for (guint j = 0; j < d->groups->len; j++) {
			struct iommu_group *ig = g_ptr_array_index(d->groups, j);
			int ret = bind ? bind_group(d, ig, data) : unbind_group(d, ig, data->hpasid);

			if (ret)
				return ret;
			if (done)
				g_ptr_array_add(done, ig);
		}
	}
	return 0;
}

static void gbind_free(struct vfio_gbind *b)
{
	g_ptr_array_free(b->groups, TRUE);
	g_free(b);
}

static struct vfio_gbind *find_gbind(struct vfio_iommu *iommu, uint64_t hpasid)
{
	for (guint i = 0; iommu->gbinds && i < iommu->gbinds->len; i++) {
		struct vfio_gbind *b = g_ptr_array_index(iommu->gbinds, i);

		if (b->data.hpasid == hpasid)
			return b;
	}
	return NULL;
}

static void forget_gbind(struct vfio_iommu *iommu, uint64_t hpasid);

/* vfio_iommu_type1_bind_gpasid */
static long do_bind(struct vfio_iommu *iommu, const struct iommu_gpasid_bind_data *data)
{
	struct vfio_gbind *b;
	int ret;

	if (!iommu->domains->len)
		return -EINVAL;
	b = g_new0(struct vfio_gbind, 1);
	b->data = *data;
	b->groups = g_ptr_array_new();
	ret = for_each_group(iommu, data, true, b->groups);
	if (ret) {
		/* "Undo all binds that already succeeded": every device,
		 * errors ignored */
		for (guint i = 0; i < iommu->domains->len; i++) {
			struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

			for (guint j = 0; j < d->groups->len; j++)
				unbind_group(d, g_ptr_array_index(d->groups, j), data->hpasid);
		}
		/* which takes an earlier bind of the same PASID with it: the
		 * container no longer holds that one either - a failing call
		 * that changed state, as posted */
		if (find_gbind(iommu, data->hpasid))
			sim_world_note_partial_failure(iommu->vfio->w);
		while (find_gbind(iommu, data->hpasid))
			forget_gbind(iommu, data->hpasid);
		gbind_free(b);
		return ret;
	}
	if (!iommu->gbinds)
		iommu->gbinds = g_ptr_array_new();
	g_ptr_array_add(iommu->gbinds, b);
	return 0;
}

static void forget_gbind(struct vfio_iommu *iommu, uint64_t hpasid)
{
	struct vfio_gbind *b = find_gbind(iommu, hpasid);

	if (b) {
		g_ptr_array_remove(iommu->gbinds, b);
		gbind_free(b);
	}
}

/* vfio_iommu_type1_unbind_gpasid */
static long do_unbind(struct vfio_iommu *iommu, const struct iommu_gpasid_bind_data *data)
{
	int ret;

	if (!iommu->domains->len)
		return -EINVAL;
	ret = for_each_group(iommu, data, false, NULL);
	if (!ret)
		forget_gbind(iommu, data->hpasid);
	return ret;
}

/* VFIO_IOMMU_BIND: the header, the data's version, the data as long as the
 * version says (iommu_uapi_get_data_size: 0 for a version it does not
 * know, and the driver then sees zeroes and refuses the version), then the
 * flag: exactly one of BIND and UNBIND. */
static long bind_ioctl(struct vfio_iommu *iommu, struct sim_proc *p, unsigned long arg)
{
	struct vfio_iommu_type1_bind_2020 hdr;
	struct iommu_gpasid_bind_data data;
	size_t minsz = offsetof(struct vfio_iommu_type1_bind_2020, data);
	uint32_t version;
	long ret;

	if (sim_copy_from_user(p, &hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz)
		return -EINVAL;
	if (sim_copy_from_user(p, &version, arg + minsz, sizeof(version)))
		return -EFAULT;
	if (sim_should_fail(iommu->vfio->w, "gpasid_data_alloc"))
		return -ENOMEM;
	memset(&data, 0, sizeof(data));
	if (version == IOMMU_UAPI_VERSION &&
	    sim_copy_from_user(p, &data, arg + minsz, sizeof(data)))
		return -EFAULT;
	switch (hdr.flags & VFIO_IOMMU_BIND_MASK) {
	case VFIO_IOMMU_BIND_GUEST_PGTBL:
		ret = do_bind(iommu, &data);
		break;
	case VFIO_IOMMU_UNBIND_GUEST_PGTBL:
		ret = do_unbind(iommu, &data);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	SIM_TRACE(iommu->vfio->w, vfio_gpasid_bind, hdr.flags & VFIO_IOMMU_BIND_MASK,
		  (unsigned long long)data.hpasid, (unsigned long long)data.gpgd, (int)ret);
	return ret;
}

/* Every bind of @pasid this VM's containers hold goes (before the PASID
 * itself does). */
static void vmm_unbind_pasid(struct vfio_vmm *vmm, uint32_t pasid)
{
	for (guint i = 0; i < vmm->iommus->len; i++) {
		struct vfio_iommu *iommu = g_ptr_array_index(vmm->iommus, i);

		struct vfio_gbind *b;

		while ((b = find_gbind(iommu, pasid))) {
			for (guint j = 0; j < b->groups->len; j++) {
				struct iommu_group *ig = g_ptr_array_index(b->groups, j);
				struct vfio_domain *d = group_domain(iommu, ig);

				if (d)
					unbind_group(d, ig, pasid);
			}
			g_ptr_array_remove(iommu->gbinds, b);
			gbind_free(b);
		}
	}
}

/* VFIO_IOMMU_PASID_REQUEST */
static long pasid_request(struct vfio_iommu *iommu, struct sim_proc *p, unsigned long arg)
{
	struct vfio_iommu_type1_pasid_request req;
	size_t minsz = offsetof(struct vfio_iommu_type1_pasid_request, alloc_pasid);
	bool efault = iommu->vfio->params.rfc_pasid_efault;
	uint32_t pasid = IOMMU_PASID_INVALID;
	long ret;
	int at;

	memset(&req, 0, sizeof(req));
	if (sim_copy_from_user(p, &req, arg, minsz))
		return -EFAULT;
	if (req.argsz < minsz || (req.flags & ~VFIO_PASID_REQUEST_MASK) ||
	    (req.flags & VFIO_IOMMU_PASID_ALLOC && req.flags & VFIO_IOMMU_PASID_FREE))
		return -EINVAL;
	if (sim_copy_from_user(p, (char *)&req + minsz, arg + minsz, sizeof(req) - minsz))
		return -EFAULT;
	switch (req.flags & VFIO_PASID_REQUEST_MASK) {
	case VFIO_IOMMU_PASID_ALLOC:
		if (efault && !iommu->domains->len)
			ret = -EFAULT;  /* v1: "!IS_IOMMU_CAP_DOMAIN_IN_CONTAINER" */
		else if (!iommu->vmm)
			ret = -EOPNOTSUPP;
		else if (req.alloc_pasid.min > req.alloc_pasid.max)
			ret = -EINVAL;
		else
			ret = vmm_pasid_alloc(iommu, req.alloc_pasid.min, req.alloc_pasid.max,
					      &pasid);
		if (!ret) {
			size_t off = offsetof(struct vfio_iommu_type1_pasid_request,
					      alloc_pasid.result);

			if (sim_copy_to_user(p, arg + off, &pasid, sizeof(pasid))) {
				g_array_remove_index(iommu->vmm->pasids,
						     (guint)vmm_pasid_index(iommu->vmm, pasid));
				iommu_free_global_pasid(iommu->vfio->w, pasid);
				ret = -EFAULT;
			}
		} else if (efault) {
			ret = -EFAULT;  /* v1 turns every failed allocation into EFAULT */
		}
		SIM_TRACE(iommu->vfio->w, vfio_pasid_alloc, req.alloc_pasid.min,
			  req.alloc_pasid.max, ret ? -1 : (int)pasid, (int)ret);
		return ret;
	case VFIO_IOMMU_PASID_FREE:
		pasid = req.free_pasid;
		if (efault && !iommu->domains->len)
			ret = -EFAULT;
		else if (!iommu->vmm)
			ret = -EOPNOTSUPP;
		else if ((at = vmm_pasid_index(iommu->vmm, pasid)) < 0)
			/* ioasid_find in the VM's set: free -> ENOENT, another
			 * set's -> EACCES */
			ret = iommu_global_pasid_owner(iommu->vfio->w, pasid) ? -EACCES : -ENOENT;
		else {
			vmm_unbind_pasid(iommu->vmm, pasid);
			g_array_remove_index(iommu->vmm->pasids, (guint)at);
			iommu_free_global_pasid(iommu->vfio->w, pasid);
			ret = 0;
		}
		SIM_TRACE(iommu->vfio->w, vfio_pasid_free, pasid, (int)ret);
		return ret;
	default:
		return -EINVAL;
	}
}

/* VFIO_IOMMU_CACHE_INVALIDATE: the argsz and flags, then every device */
static long cache_invalidate(struct vfio_iommu *iommu, struct sim_proc *p, unsigned long arg)
{
	struct vfio_iommu_type1_cache_invalidate inv;
	size_t minsz = sizeof(inv);
	int ret = 0;

	if (sim_copy_from_user(p, &inv, arg, minsz))
		return -EFAULT;
	if (inv.argsz < minsz || inv.flags)
		return -EINVAL;
	for (guint i = 0; i < iommu->domains->len && !ret; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		for (guint j = 0; j < d->groups->len && !ret; j++) {
			struct iommu_group *ig = g_ptr_array_index(d->groups, j);

			for (size_t k = 0; k < ig->ndevices && !ret; k++)
				ret = iommu_cache_invalidate(d->domain, ig->devices[k],
							     &inv.cache_info);
		}
	}
	return ret;
}

long vfio_iommu_type1_nesting_ioctl(struct vfio_iommu *iommu, struct sim_proc *p,
				    unsigned int cmd, unsigned long arg)
{
	if (!nesting_2020(iommu))
		return -ENOTTY;
	switch (cmd) {
	case VFIO_IOMMU_PASID_REQUEST:
		return pasid_request(iommu, p, arg);
	case VFIO_IOMMU_BIND_2020:
		return bind_ioctl(iommu, p, arg);
	case VFIO_IOMMU_CACHE_INVALIDATE:
		return cache_invalidate(iommu, p, arg);
	default:
		return -ENOTTY;
	}
}

/* ---- attach, detach, release ------------------------------------------------- */

int vfio_iommu_type1_nesting_attach_check(struct vfio_iommu *iommu)
{
	size_t groups = 0;

	if (!nesting_2020(iommu) || !iommu->nesting ||
	    iommu->vfio->params.nesting_bind_scope != VFIO_NESTING_SCOPE_SINGLETON)
		return 0;
	for (guint i = 0; i < iommu->domains->len; i++)
		groups += ((struct vfio_domain *)g_ptr_array_index(iommu->domains, i))->groups->len;
	return groups ? -EINVAL : 0;
}

int vfio_iommu_type1_nesting_replay(struct vfio_iommu *iommu, struct vfio_domain *d,
				    struct iommu_group *ig)
{
	GPtrArray *l = iommu->gbinds;
	guint i;
	int ret = 0;

	for (i = 0; l && i < l->len && !ret; i++) {
		struct vfio_gbind *b = g_ptr_array_index(l, i);

		if (!(ret = bind_group(d, ig, &b->data)))
			g_ptr_array_add(b->groups, ig);
	}
	if (!ret)
		return 0;
	/* what this replay bound goes again: the failed bind's own
	 * devices included */
	while (i--) {
		struct vfio_gbind *b = g_ptr_array_index(l, i);

		unbind_group(d, ig, b->data.hpasid);
		g_ptr_array_remove(b->groups, ig);
	}
	return ret;
}

void vfio_iommu_type1_nesting_detach(struct vfio_iommu *iommu, struct vfio_domain *d,
				     struct iommu_group *ig)
{
	(void)d;
	for (guint i = 0; iommu->gbinds && i < iommu->gbinds->len; i++) {
		struct vfio_gbind *b = g_ptr_array_index(iommu->gbinds, i);

		if (!g_ptr_array_remove(b->groups, ig))
			continue;
		/* the device's PASID table goes with its domain */
		for (size_t k = 0; k < ig->ndevices; k++)
			iommu_gpasid_teardown(ig->devices[k], (uint32_t)b->data.hpasid);
	}
}

void vfio_iommu_type1_nesting_free_all(struct vfio_iommu *iommu, bool release)
{
	while (iommu->gbinds && iommu->gbinds->len) {
		struct vfio_gbind *b = g_ptr_array_steal_index(iommu->gbinds,
							       iommu->gbinds->len - 1);

		for (guint j = 0; j < b->groups->len; j++) {
			struct iommu_group *ig = g_ptr_array_index(b->groups, j);

			for (size_t k = 0; k < ig->ndevices; k++)
				iommu_gpasid_teardown(ig->devices[k], (uint32_t)b->data.hpasid);
		}
		gbind_free(b);
	}
	if (iommu->gbinds)
		g_ptr_array_free(iommu->gbinds, TRUE);
	iommu->gbinds = NULL;
	if (release)
		vmm_put(iommu);
}

/* ---- what the invariants and the describer read ------------------------------- */

unsigned vfio_iommu_type1_nesting_binds(const struct vfio_iommu *iommu)
{
	return iommu->gbinds ? iommu->gbinds->len : 0;
}

void vfio_iommu_type1_nesting_bind_info(const struct vfio_iommu *iommu, unsigned i,
					uint64_t *hpasid, uint64_t *gpgd, GPtrArray **groups)
{
	const struct vfio_gbind *b = g_ptr_array_index(iommu->gbinds, i);

	*hpasid = b->data.hpasid;
	*gpgd = b->data.gpgd;
	*groups = b->groups;
}

unsigned vfio_iommu_type1_vmm_id(const struct vfio_iommu *iommu, unsigned *npasids)
{
	*npasids = iommu->vmm ? iommu->vmm->pasids->len : 0;
	return iommu->vmm ? iommu->vmm->id : 0;
}
