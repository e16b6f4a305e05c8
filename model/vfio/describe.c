/* SPDX-License-Identifier: MIT */
/*
 * vfio_describe: VFIO's state as deterministic text (ids in order, no
 * pointers), so a test can prove that a failed operation changed nothing
 * (spec §H19) by comparing descriptions.
 */
#include <glib.h>

#include "sim/mm.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

static void describe_iommu(struct vfio_iommu *iommu, GString *out)
{
	g_string_append_printf(out, "  type1 v2=%d avail=%u limit=%u invalid=%u pgsizes=0x%llx "
			       "dirty=%d non_pinned=%u devices=%u\n",
			       iommu->v2, iommu->dma_avail, iommu->dma_entry_limit,
			       iommu->vaddr_invalid_count,
			       (unsigned long long)iommu->pgsize_bitmap,
			       iommu->dirty_page_tracking, iommu->num_non_pinned_groups,
			       iommu->device_list->len);
	if (iommu->emulated_groups->len) {
		g_string_append(out, "  emulated groups=");
		for (guint i = 0; i < iommu->emulated_groups->len; i++)
			g_string_append_printf(out, "%s%u", i ? "," : "",
					       ((struct iommu_group *)g_ptr_array_index(
						       iommu->emulated_groups, i))->id);
		g_string_append_c(out, '\n');
	}
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		g_string_append_printf(out, "  domain did=%u groups=", d->domain->did);
		for (guint j = 0; j < d->groups->len; j++)
			g_string_append_printf(out, "%s%u", j ? "," : "",
					       ((struct iommu_group *)g_ptr_array_index(d->groups, j))->id);
		g_string_append_c(out, '\n');
	}
	/* the 2020 proposal's: the VM's PASID set and the container's binds */
	{
		unsigned npasids, vmm = vfio_iommu_type1_vmm_id(iommu, &npasids);

		if (vmm)
			g_string_append_printf(out, "  vmm %u pasids=%u\n", vmm, npasids);
		for (unsigned i = 0; i < vfio_iommu_type1_nesting_binds(iommu); i++) {
			uint64_t hpasid, gpgd;
			GPtrArray *groups;

			vfio_iommu_type1_nesting_bind_info(iommu, i, &hpasid, &gpgd, &groups);
			g_string_append_printf(out, "  gbind pasid=%llu gpgd=0x%llx groups=%u\n",
					       (unsigned long long)hpasid, (unsigned long long)gpgd,
					       groups->len);
		}
	}
	for (guint i = 0; i < iommu->iova_list->len; i++) {
		struct vfio_iova_range *r = &g_array_index(iommu->iova_list,
							   struct vfio_iova_range, i);
		g_string_append_printf(out, "  range 0x%llx-0x%llx\n",
				       (unsigned long long)r->start, (unsigned long long)r->end);
	}
	for (struct vfio_dma *dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma;
	     dma = vfio_dma_next(iommu, dma))
		g_string_append_printf(out, "  dma iova=0x%llx size=0x%llx vaddr=0x%llx prot=%u "
				       "invalid=%d lock_cap=%d pages=%llu first=0x%llx vpfns=%u\n",
				       (unsigned long long)dma->iova, (unsigned long long)dma->size,
				       (unsigned long long)dma->vaddr, dma->prot, dma->vaddr_invalid,
				       dma->lock_cap, (unsigned long long)dma->npages,
				       (unsigned long long)(dma->npages ? dma->pages[0] : 0),
				       vfio_dma_nvpfn(dma));
}

void vfio_describe(struct sim_world *w, GString *out)
{
	struct vfio_state *v = vfio_get(w);

	if (!v)
		return;
	for (uint32_t id = 0; id < sim_ids_end(&v->containers); id++) {
		struct vfio_container *c = sim_ids_find(&v->containers, id);

		if (!c)
			continue;
		g_string_append_printf(out, "container %u kref=%u fd=%d groups=", c->id, c->kref,
				       c->file_open);
		for (GList *l = c->groups; l; l = l->next)
			g_string_append_printf(out, "%s%u", l != c->groups ? "," : "",
					       ((struct vfio_group *)l->data)->iommu_group->id);
		g_string_append_c(out, '\n');
		if (c->iommu)
			describe_iommu(c->iommu, out);
	}
	for (unsigned id = 0; id < vfio_group_id_end(v); id++) {
		struct vfio_group *g = vfio_group_find(v, id);
		struct iommu_domain *d;

		if (!g)
			continue;
		d = iommu_group_domain(g->iommu_group);
		g_string_append_printf(out, "group %u devices=%u opened=%d container=%d users=%u "
				       "device_fds=%u owner_cnt=%u domain=%s/%u\n", id,
				       g->nr_vfio_devices, g->opened,
				       g->container ? (int)g->container->id : -1,
				       g->container_users, g->device_fds,
				       g->iommu_group->owner_cnt,
				       !d ? "none" : d->type == IOMMU_DOMAIN_BLOCKED ? "blocked" :
				       d->type == IOMMU_DOMAIN_IDENTITY ? "identity" : "paging",
				       d ? d->did : 0);
	}
}

void vfio_leftovers(struct sim_world *w, GString *out)
{
	struct vfio_state *v = vfio_get(w);

	if (!v)
		return;
	for (uint32_t id = 0; id < sim_ids_end(&v->containers); id++) {
		struct vfio_container *c = sim_ids_find(&v->containers, id);

		if (c)
			g_string_append_printf(out, "VFIO container %u is left (kref %u)\n", c->id,
					       c->kref);
	}
	for (unsigned id = 0; id < vfio_group_id_end(v); id++) {
		struct vfio_group *g = vfio_group_find(v, id);

		if (g && (g->opened || g->container || g->container_users || g->device_fds))
			g_string_append_printf(out, "VFIO group %u is left opened=%d container=%d "
					       "users=%u device_fds=%u\n", id, g->opened,
					       g->container ? (int)g->container->id : -1,
					       g->container_users, g->device_fds);
	}
}
