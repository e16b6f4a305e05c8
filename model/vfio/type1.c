/* SPDX-License-Identifier: MIT */
/*
 * The type1 IOMMU backend (spec §C): a container's domains and its DMA
 * mappings.
 *
 *  - Domains are paging domains of model/iommu, shared by the groups that
 *    are compatible with them.  Every attach allocates a new domain first,
 *    as the kernel does; a group that can join an existing compatible
 *    domain moves there (no replay); otherwise the new domain stays and
 *    **every existing mapping is replayed** into it; a replay failure
 *    unwinds the attach.
 *  - Mappings (struct vfio_dma) live in a GTree keyed by IOVA (O(log n)).
 *  - Detach: an empty domain is freed; losing the last domain silently
 *    removes and unpins every mapping.
 *  - IOVA ranges: the apertures minus the groups' reserved regions
 *    (type1_info.c); empty means unrestricted.
 * Map/unmap are in type1_dma.c, GET_INFO in type1_info.c.
 */
#include <errno.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/gpasid.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"
#include "iommusim/uapi/vfio_sva.h"
#include "iommusim/uapi/vfio_nesting.h"

static gint iova_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- the mapping tree ---------------------------------------------------- */

/* The kernel's vfio_find_dma: any mapping overlapping [start, start+size),
 * with its quirk that size 0 finds a mapping containing start only when
 * start is not its first byte. */
struct vfio_dma *vfio_find_dma(struct vfio_iommu *iommu, uint64_t start, uint64_t size)
{
	struct vfio_dma *dma = vfio_find_dma_first(iommu, start, size ? size : 1);

	if (dma && !size && dma->iova == start)
		return NULL;
	return dma;
}

/* The lowest mapping overlapping [start, start + size) (size >= 1; the
 * range may reach the top of the address space). */
struct vfio_dma *vfio_find_dma_first(struct vfio_iommu *iommu, uint64_t start,
				     uint64_t size)
{
	uint64_t last = start + size - 1 < start ? UINT64_MAX : start + size - 1;
	GTreeNode *n = g_tree_upper_bound(iommu->dma_list, &start);
	GTreeNode *prev = n ? g_tree_node_previous(n) : g_tree_node_last(iommu->dma_list);
	struct vfio_dma *dma;

	if (prev) {
		dma = g_tree_node_value(prev);
		if (start - dma->iova < dma->size)
			return dma;
	}
	if (n) {
		dma = g_tree_node_value(n);
		if (dma->iova <= last)
			return dma;
	}
	return NULL;
}

struct vfio_dma *vfio_dma_next(struct vfio_iommu *iommu, struct vfio_dma *dma)
{
	GTreeNode *n = g_tree_upper_bound(iommu->dma_list, &dma->iova);

	return n ? g_tree_node_value(n) : NULL;
}

uint64_t vfio_pgsize(const struct vfio_iommu *iommu)
{
	return iommu->pgsize_bitmap & -iommu->pgsize_bitmap;
}

/* spec §C pgsize: the intersection of the domains' bitmaps, never below
 * PAGE_SIZE (smaller sizes are hidden and PAGE_SIZE pretended). */
static void vfio_update_pgsize_bitmap(struct vfio_iommu *iommu)
{
	uint64_t bm = UINT64_MAX;

	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		bm &= d->domain->pgsize_bitmap;
	}
	if (bm & (SIM_PAGE_SIZE - 1)) {
		bm &= ~(SIM_PAGE_SIZE - 1);
		bm |= SIM_PAGE_SIZE;
	}
	iommu->pgsize_bitmap = bm;
}

/* Map one physically contiguous run into every domain (or only @only);
 * all or nothing across domains (the kernel's vfio_iommu_map). */
int vfio_iommu_map_run(struct vfio_iommu *iommu, struct vfio_domain *only,
		       uint64_t iova, uint64_t hpa, uint64_t size, unsigned prot)
{
	guint i;
	int ret = 0;

	if (only)
		return iommu_map(only->domain, iova, hpa, size, prot);
	for (i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		ret = iommu_map(d->domain, iova, hpa, size, prot);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	while (i--) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		iommu_unmap(d->domain, iova, size);
	}
	return ret;
}

/* ---- open and release ---------------------------------------------------- */

static struct vfio_iommu *vfio_iommu_type1_open(struct vfio_state *v, unsigned long type,
						int *err)
{
	struct vfio_iommu *iommu;

	/* vfio_iommu_type1_open: TYPE1, TYPE1v2 and the NESTING type (v2
	 * semantics); any other extension number the backend claims is not a
	 * type (UNMAP_ALL, UPDATE_VADDR) -> EINVAL */
	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU &&
	    type != VFIO_TYPE1_NESTING_IOMMU) {
		*err = -EINVAL;
		return NULL;
	}
	if (sim_should_fail(v->w, "vfio_iommu_alloc")) {
		*err = -ENOMEM;
		return NULL;
	}
	iommu = g_new0(struct vfio_iommu, 1);
	iommu->vfio = v;
	iommu->v2 = type != VFIO_TYPE1_IOMMU;
	iommu->nesting = type == VFIO_TYPE1_NESTING_IOMMU;
	iommu->domains = g_ptr_array_new();
	iommu->dma_list = g_tree_new_full(iova_cmp, NULL, NULL, NULL);
	iommu->dma_entry_limit = v->params.dma_entry_limit;
	iommu->dma_avail = v->params.dma_entry_limit;
	iommu->pgsize_bitmap = ~(SIM_PAGE_SIZE - 1);   /* PAGE_MASK */
	iommu->iova_list = g_array_new(FALSE, FALSE, sizeof(struct vfio_iova_range));
	iommu->emulated_groups = g_ptr_array_new();
	iommu->pinned_groups = g_ptr_array_new();
	iommu->device_list = g_ptr_array_new();
	return iommu;
}

static gboolean collect_dma(gpointer key, gpointer val, gpointer arr)
{
	g_ptr_array_add(arr, val);
	return FALSE;
}

/* Every mapping removed: unmapped from each domain, unpinned, uncharged. */
static void vfio_iommu_unmap_unpin_all(struct vfio_iommu *iommu)
{
	GPtrArray *all = g_ptr_array_new();

	g_tree_foreach(iommu->dma_list, collect_dma, all);
	for (guint i = 0; i < all->len; i++)
		vfio_remove_dma(iommu, g_ptr_array_index(all, i));
	g_ptr_array_free(all, TRUE);
}

static void vfio_domain_free(struct vfio_domain *d)
{
	iommu_domain_free(d->domain);
	g_ptr_array_free(d->groups, TRUE);
	g_free(d);
}

void vfio_iommu_type1_release(struct vfio_iommu *iommu)
{
	vfio_iommu_type1_sva_free_all(iommu);
	vfio_iommu_type1_nesting_free_all(iommu, true);
	vfio_iommu_unmap_unpin_all(iommu);
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		for (guint j = 0; j < d->groups->len; j++)
			iommu_detach_group(d->domain, g_ptr_array_index(d->groups, j));
		vfio_domain_free(d);
	}
	g_ptr_array_free(iommu->domains, TRUE);
	g_tree_destroy(iommu->dma_list);
	g_array_free(iommu->iova_list, TRUE);
	g_ptr_array_free(iommu->emulated_groups, TRUE);
	g_ptr_array_free(iommu->pinned_groups, TRUE);
	g_ptr_array_free(iommu->device_list, TRUE);
	g_free(iommu);
}

/* ---- CHECK_EXTENSION and the ioctl switch -------------------------------- */

/*
 * spec §B/§C, vfio_iommu_type1_check_extension: TYPE1, TYPE1v2 and
 * UNMAP_ALL -> 1; the NESTING type 1 until v6.13 removed it (35890f85573c
 * "vfio: Remove VFIO_TYPE1_NESTING_IOMMU": the number is reserved, so 0 and
 * SET_IOMMU's ENODEV); UPDATE_VADDR only with a backend and no emulated
 * (mdev) group, which could not pin or copy while a vaddr is invalid
 * ("iommu && !vfio_iommu_has_emulated(iommu)"), so an empty container says
 * 0 and so does SET_IOMMU's probe (ENODEV for that number); DMA_CC_IOMMU:
 * vfio_domains_have_enforce_cache_coherency, 1 when every domain enforces
 * coherency (iommu_domain_enforce_cache_coherency: VT-d snoop control...),
 * 0 without a backend; others 0.
 */
static long vfio_iommu_type1_check_extension(struct vfio_state *v, struct vfio_iommu *iommu,
					      unsigned long arg)
{
	switch (arg) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_TYPE1_NESTING_IOMMU:
		/* the 2020 proposal's kernel (v5.7) has the type */
		return v->params.nesting_abi == VFIO_NESTING_GUEST_PGTBL_2020 ||
		       sim_kernel_before(v->w, 6, 13);
	/* the 2020 series' VFIO_NESTING_IOMMU_UAPI (iommu_get_uapi_version():
	 * 1) is 9, VFIO_UNMAP_ALL's number since v5.12: 1 either way */
	case VFIO_UPDATE_VADDR:
		return iommu && !iommu->emulated_groups->len;
	case VFIO_DMA_CC_IOMMU:
		if (!iommu)
			return 0;
		for (guint i = 0; i < iommu->domains->len; i++)
			if (!((struct vfio_domain *)g_ptr_array_index(iommu->domains, i))
				     ->enforce_cache_coherency)
				return 0;
		return 1;
	default:
		return 0;
	}
}

static long vfio_iommu_type1_ioctl(struct vfio_iommu *iommu, struct sim_proc *p,
				   unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return vfio_iommu_type1_check_extension(iommu->vfio, iommu, arg);
	case VFIO_IOMMU_GET_INFO:
		return vfio_iommu_type1_get_info(iommu, p, arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_iommu_type1_map_dma(iommu, p, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_iommu_type1_unmap_dma(iommu, p, arg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return vfio_iommu_type1_dirty_pages(iommu, p, arg);
	case VFIO_IOMMU_BIND:              /* VFIO_BASE + 22: the 2018 BIND, */
	case VFIO_IOMMU_UNBIND:            /* ... + 23: its UNBIND, 2020's BIND */
	case VFIO_IOMMU_CACHE_INVALIDATE:  /* ... + 24: 2020's */
		/* VFIO_BASE + 22 is 2020's PASID_REQUEST: the profile picks */
		if (iommu->vfio->params.nesting_abi == VFIO_NESTING_GUEST_PGTBL_2020)
			return vfio_iommu_type1_nesting_ioctl(iommu, p, cmd, arg);
		if (cmd == VFIO_IOMMU_CACHE_INVALIDATE)
			return -ENOTTY;
		return vfio_iommu_type1_sva_ioctl(iommu, p, cmd, arg);
	default:
		return -ENOTTY;
	}
}

/* ---- attach and detach (spec §C) ----------------------------------------- */

static struct vfio_domain *find_group_domain(struct vfio_iommu *iommu,
					     struct iommu_group *ig, guint *gi)
{
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		if (g_ptr_array_find(d->groups, ig, gi))
			return d;
	}
	return NULL;
}

/* Replay every mapping into the new domain @d (spec §C): one made while
 * the container had no IOMMU domain (emulated groups only) is pinned now,
 * as @p; on failure every page replayed so far is unmapped again and what
 * this replay pinned is unpinned. */
static int vfio_iommu_replay(struct vfio_iommu *iommu, struct vfio_domain *d,
			     struct sim_proc *p)
{
	struct vfio_dma *dma, *failed = NULL;
	unsigned count = 0;
	int ret = 0;

	for (dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma && !ret;
	     dma = vfio_dma_next(iommu, dma), count++) {
		bool pinned_now = !dma->iommu_mapped;

		if (pinned_now && (ret = vfio_pin_dma_all(iommu, p, dma))) {
			failed = dma;
			break;
		}
		for (uint64_t i = 0, run; i < dma->npages && !ret; i += run) {
			for (run = 1; i + run < dma->npages &&
			     dma->pages[i + run] == dma->pages[i] + run * SIM_PAGE_SIZE; run++)
				;
			ret = vfio_iommu_map_run(iommu, d, dma->iova + i * SIM_PAGE_SIZE,
						 dma->pages[i], run * SIM_PAGE_SIZE, dma->prot);
		}
		if (ret) {
			iommu_unmap(d->domain, dma->iova, dma->size);
			if (pinned_now)
				vfio_unmap_unpin(iommu, dma, 0, true);
			failed = dma;
		}
	}
	SIM_TRACE(iommu->vfio->w, vfio_type1_replay, d->domain->did, count, ret);
	if (!ret) {
		for (dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma;
		     dma = vfio_dma_next(iommu, dma))
			dma->iommu_mapped = true;
		return 0;
	}
	for (dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma != failed;
	     dma = vfio_dma_next(iommu, dma)) {
		iommu_unmap(d->domain, dma->iova, dma->size);
		if (!dma->iommu_mapped)
			vfio_unmap_unpin(iommu, dma, 0, true);
	}
	return ret;
}

/* An attach must not exclude existing mappings (spec §C IOVA ranges): none
 * may lie outside the new aperture or inside one of the group's reserved
 * regions. */
static bool vfio_iommu_attach_conflict(struct vfio_iommu *iommu, struct iommu_domain *dom,
				       struct iommu_group *ig)
{
	struct iommu_resv_region resv[16];
	size_t n = iommu_get_resv_regions(iommu->vfio->w, ig, resv, G_N_ELEMENTS(resv));

	if (dom->aperture_start && vfio_find_dma_first(iommu, 0, dom->aperture_start))
		return true;
	if (dom->aperture_end != UINT64_MAX &&
	    vfio_find_dma_first(iommu, dom->aperture_end + 1,
				UINT64_MAX - dom->aperture_end))
		return true;
	for (size_t i = 0; i < n && i < G_N_ELEMENTS(resv); i++)
		if (vfio_find_dma_first(iommu, resv[i].start, resv[i].end - resv[i].start + 1))
			return true;
	return false;
}

/* Join an existing compatible domain (no replay): 1 joined, 0 none could
 * take the group (it is back on @nd), -errno (the group is on no user
 * domain). */
static int vfio_join_existing(struct vfio_iommu *iommu, struct vfio_domain *nd,
			      struct iommu_group *ig)
{
	if (!iommu->vfio->params.share_domains)
		return 0;
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);
		int ret;

		/* only a domain that enforces coherency as the new one does */
		if (d->enforce_cache_coherency != nd->enforce_cache_coherency)
			continue;
		iommu_detach_group(nd->domain, ig);
		if (!iommu_attach_group(d->domain, ig)) {
			g_ptr_array_add(d->groups, ig);
			return 1;
		}
		ret = iommu_attach_group(nd->domain, ig);
		if (ret)
			return ret;
	}
	return 0;
}

static struct vfio_domain *vfio_domain_new(struct vfio_iommu *iommu, int *err)
{
	struct vfio_domain *d;

	if (sim_should_fail(iommu->vfio->w, "vfio_domain_alloc")) {
		*err = -ENOMEM;
		return NULL;
	}
	d = g_new0(struct vfio_domain, 1);
	if (iommu->nesting) {
		/* the NESTING type asks the new domain to nest (2020:
		 * iommu_domain_set_attr(DOMAIN_ATTR_NESTING); later kernels:
		 * iommu_enable_nesting), whose error fails the attach */
		int ret = iommu_domain_alloc_nesting(iommu->vfio->w,
						     iommu->vfio->params.nesting_abi ==
						     VFIO_NESTING_GUEST_PGTBL_2020, &d->domain);

		if (ret) {
			g_free(d);
			*err = ret == -ENOMEM ? -EIO : ret;
			return NULL;
		}
	} else {
		d->domain = iommu_domain_alloc(iommu->vfio->w, IOMMU_DOMAIN_PAGING);
	}
	if (!d->domain) {
		g_free(d);
		*err = -EIO;           /* spec §C: domain allocation fails -> EIO */
		return NULL;
	}
	d->groups = g_ptr_array_new();
	return d;
}

/*
 * spec §C attach: vaddrs invalidated -> EBUSY (attach may need to pin); the
 * same group twice -> EINVAL; domain allocation -> EIO; the hardware
 * attach's errno; existing mappings excluded or no IOVA range left ->
 * EINVAL; then join a compatible domain, or replay into the new one.
 */
static int vfio_iommu_type1_attach_group(struct vfio_iommu *iommu, struct iommu_group *ig,
					 bool emulated)
{
	struct vfio_domain *d;
	GArray *iovas = NULL;
	int ret, joined = 0;
	guint gi;

	if (iommu->vaddr_invalid_count)
		return -EBUSY;
	if (find_group_domain(iommu, ig, NULL) || g_ptr_array_find(iommu->emulated_groups, ig, NULL))
		return -EINVAL;
	/* an emulated group has no IOMMU: no domain, and it can only dirty
	 * memory through the pinning and copying interfaces, which report it
	 * (pinned_page_dirty_scope) */
	if (emulated) {
		if (sim_should_fail(iommu->vfio->w, "vfio_iommu_group_alloc"))
			return -ENOMEM;
		g_ptr_array_insert(iommu->emulated_groups, 0, ig);
		SIM_TRACE(iommu->vfio->w, vfio_type1_attach, ig->id, 0u, 0, 0);
		return 0;
	}
	/* the 2020 resolution: a nesting container takes one group */
	if ((ret = vfio_iommu_type1_nesting_attach_check(iommu)))
		return ret;
	d = vfio_domain_new(iommu, &ret);
	if (!d)
		return ret;
	ret = iommu_attach_group(d->domain, ig);
	if (ret)
		goto out_free;
	d->enforce_cache_coherency = iommu_domain_enforce_cache_coherency(d->domain);
	ret = -EINVAL;
	if (vfio_iommu_attach_conflict(iommu, d->domain, ig))
		goto out_detach;
	ret = vfio_iommu_compute_iovas(iommu, d->domain, ig, NULL, &iovas);
	if (ret)
		goto out_detach;
	/* a device could forge interrupts with DMA writes to the MSI window:
	 * without interrupt remapping only the module option allows it */
	if (!iommu->vfio->params.allow_unsafe_interrupts &&
	    !iommu_group_has_isolated_msi(iommu->vfio->w, ig)) {
		SIM_TRACE(iommu->vfio->w, vfio_type1_unsafe_interrupts, ig->id);
		ret = -EPERM;
		goto out_detach;
	}
	g_ptr_array_add(d->groups, ig);
	joined = vfio_join_existing(iommu, d, ig);
	if (joined < 0) {
		ret = joined;
		goto out_free;
	}
	if (joined) {
		/* the 2018 proposal's bonds replayed onto the group; failing,
		 * the group leaves the domain it joined */
		struct vfio_domain *jd = find_group_domain(iommu, ig, &gi);

		if ((ret = vfio_iommu_type1_sva_replay(iommu, ig)) ||
		    (ret = vfio_iommu_type1_nesting_replay(iommu, jd, ig))) {
			vfio_iommu_type1_sva_detach(iommu, ig);
			iommu_detach_group(jd->domain, ig);
			g_ptr_array_remove_index(jd->groups, gi);
			vfio_domain_free(d);
			if (iovas)
				g_array_free(iovas, TRUE);
			return ret;
		}
		SIM_TRACE(iommu->vfio->w, vfio_type1_attach, ig->id,
			  iommu_group_domain(ig)->did, 0, 0);
		vfio_domain_free(d);
		goto done;
	}
	ret = vfio_iommu_replay(iommu, d, sim_proc_find(iommu->vfio->w,
							 sim_current_pid(iommu->vfio->w)));
	if (ret)
		goto out_detach;
	if ((ret = vfio_iommu_type1_sva_replay(iommu, ig)) ||
	    (ret = vfio_iommu_type1_nesting_replay(iommu, d, ig))) {
		vfio_iommu_type1_sva_detach(iommu, ig);
		for (struct vfio_dma *dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma;
		     dma = vfio_dma_next(iommu, dma))
			iommu_unmap(d->domain, dma->iova, dma->size);
		goto out_detach;
	}
	g_ptr_array_insert(iommu->domains, 0, d);   /* list_add: newest first */
	vfio_update_pgsize_bitmap(iommu);
	SIM_TRACE(iommu->vfio->w, vfio_type1_attach, ig->id, d->domain->did, 1, 0);
done:
	g_array_free(iommu->iova_list, TRUE);
	iommu->iova_list = iovas;
	/* it can write any page it can reach: every mapped page counts as
	 * dirty until it pins (num_non_pinned_groups) */
	iommu->num_non_pinned_groups++;
	return 0;
out_detach:
	iommu_detach_group(d->domain, ig);
out_free:
	SIM_TRACE(iommu->vfio->w, vfio_type1_attach, ig->id, d->domain->did, 1, ret);
	if (iovas)
		g_array_free(iovas, TRUE);
	vfio_domain_free(d);
	return ret;
}

/* vfio_iommu_unmap_unpin_reaccount: the last IOMMU domain goes while
 * emulated groups stay: the mappings stay, unpinned and unmapped, charged
 * only for what vfio_pin_pages holds. */
static void vfio_iommu_unmap_unpin_reaccount(struct vfio_iommu *iommu)
{
	for (struct vfio_dma *dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma;
	     dma = vfio_dma_next(iommu, dma)) {
		uint64_t unlocked = vfio_unmap_unpin(iommu, dma, dma->size, false);

		dma->mm->locked_vm -= unlocked;
	}
}

/* A group that could not report its writes left: the scope may widen to
 * pinned pages only, and until now every page may have been written. */
static void vfio_dirty_scope_update(struct vfio_iommu *iommu, bool was_non_pinned)
{
	if (!was_non_pinned)
		return;
	iommu->num_non_pinned_groups--;
	if (iommu->dirty_page_tracking)
		vfio_iommu_populate_bitmap_full(iommu);
}

/* spec §C detach: an empty domain is freed; losing the last domain removes
 * and unpins every mapping (or, with emulated groups left, only unmaps and
 * unpins them); the IOVA ranges may widen again. */
static void vfio_iommu_type1_detach_group(struct vfio_iommu *iommu, struct iommu_group *ig)
{
	guint gi, di;
	struct vfio_domain *d;
	GArray *iovas = NULL;
	bool non_pinned;

	if (g_ptr_array_find(iommu->emulated_groups, ig, &gi)) {
		SIM_TRACE(iommu->vfio->w, vfio_type1_detach, ig->id, 0u, 0);
		g_ptr_array_remove_index(iommu->emulated_groups, gi);
		if (!iommu->emulated_groups->len && !iommu->domains->len)
			vfio_iommu_unmap_unpin_all(iommu);
		return;
	}
	d = find_group_domain(iommu, ig, &gi);
	if (!d)
		return;
	SIM_TRACE(iommu->vfio->w, vfio_type1_detach, ig->id, d->domain->did,
		  d->groups->len == 1);
	vfio_iommu_type1_sva_detach(iommu, ig);    /* vfio_iommu_sva_shutdown */
	vfio_iommu_type1_nesting_detach(iommu, d, ig);
	iommu_detach_group(d->domain, ig);
	g_ptr_array_remove_index(d->groups, gi);
	non_pinned = !g_ptr_array_remove(iommu->pinned_groups, ig);
	if (!d->groups->len) {
		if (iommu->domains->len == 1) {
			if (!iommu->emulated_groups->len)
				vfio_iommu_unmap_unpin_all(iommu);
			else
				vfio_iommu_unmap_unpin_reaccount(iommu);
			vfio_iommu_type1_sva_free_all(iommu);
			vfio_iommu_type1_nesting_free_all(iommu, false);
		}
		g_ptr_array_find(iommu->domains, d, &di);
		g_ptr_array_remove_index(iommu->domains, di);
		vfio_domain_free(d);
		vfio_update_pgsize_bitmap(iommu);
	}
	/* the kernel keeps the old list when the refresh fails */
	if (!vfio_iommu_compute_iovas(iommu, NULL, NULL, ig, &iovas)) {
		g_array_free(iommu->iova_list, TRUE);
		iommu->iova_list = iovas;
	}
	vfio_dirty_scope_update(iommu, non_pinned);
}

/* ---- the backend as the container sees it -------------------------------- */

static int type1_open(struct vfio_state *v, struct sim_proc *p, unsigned long type, void **data)
{
	int err = 0;

	*data = vfio_iommu_type1_open(v, type, &err);
	if (*data)
		vfio_vmm_attach(*data, p);    /* the 2020 series' vfio_mm_get_from_task */
	return *data ? 0 : err;
}

static void type1_release(void *data)
{
	vfio_iommu_type1_release(data);
}

static long type1_check_extension(struct vfio_state *v, void *data, unsigned long arg)
{
	return vfio_iommu_type1_check_extension(v, data, arg);
}

static long type1_ioctl(void *data, struct sim_proc *p, unsigned int cmd, unsigned long arg)
{
	return vfio_iommu_type1_ioctl(data, p, cmd, arg);
}

static int type1_attach_group(void *data, struct vfio_group *g)
{
	return vfio_iommu_type1_attach_group(data, g->iommu_group, g->emulated);
}

static void type1_detach_group(void *data, struct vfio_group *g)
{
	vfio_iommu_type1_detach_group(data, g->iommu_group);
}

/* vfio_iommu_type1_register_device: a device with dma_unmap (all of
 * sim_mdev's) is told about unmaps from its first open on. */
static void type1_register_device(void *data, struct mdev_state *m)
{
	struct vfio_iommu *iommu = data;

	g_ptr_array_insert(iommu->device_list, 0, m);   /* list_add */
}

static void type1_unregister_device(void *data, struct mdev_state *m)
{
	struct vfio_iommu *iommu = data;

	g_ptr_array_remove(iommu->device_list, m);
}

static int type1_pin_pages(void *data, struct iommu_group *ig, uint64_t iova, int npage,
			   unsigned prot, uint64_t *hpas)
{
	return vfio_iommu_type1_pin_pages(data, ig, iova, npage, prot, hpas);
}

static void type1_unpin_pages(void *data, uint64_t iova, int npage)
{
	vfio_iommu_type1_unpin_pages(data, iova, npage);
}

static int type1_dma_rw(void *data, uint64_t iova, void *buf, size_t len, bool write)
{
	return vfio_iommu_type1_dma_rw(data, iova, buf, len, write);
}

const struct vfio_iommu_driver_ops vfio_iommu_type1_ops = {
	.name = "vfio-iommu-type1",
	.open = type1_open,
	.release = type1_release,
	.check_extension = type1_check_extension,
	.ioctl = type1_ioctl,
	.attach_group = type1_attach_group,
	.detach_group = type1_detach_group,
	.register_device = type1_register_device,
	.unregister_device = type1_unregister_device,
	.pin_pages = type1_pin_pages,
	.unpin_pages = type1_unpin_pages,
	.dma_rw = type1_dma_rw,
};
