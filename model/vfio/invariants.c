/* SPDX-License-Identifier: MIT */
/*
 * The VFIO part of the invariant checker (spec §H5, 6, 7, 10, 11, 12, 13,
 * 14, 15), checked against VFIO's bookkeeping and against what the domains'
 * page tables and the hardware's context entries say.  Also
 * vfio_describe(), a deterministic dump of the state for §H19 tests.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/vfio/vfio.h"
#include "model/iommufd/iommufd.h"
#include "model/vfio/vfio_private.h"

struct inv {
	struct sim_world *w;
	struct vfio_state *v;
	GString *out;
	int n;
	GHashTable *charged;     /* struct sim_mm * -> pages charged by type1 */
	GHashTable *pinned;      /* struct sim_mm * -> pin references type1 holds */
};

static void add_count(GHashTable *h, void *key, uint64_t n)
{
	gpointer sum = g_hash_table_lookup(h, key);

	g_hash_table_insert(h, key, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(sum) + (gsize)n));
}

static void G_GNUC_PRINTF(2, 3) bad(struct inv *iv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (iv->out) {
		g_string_append_vprintf(iv->out, fmt, ap);
		g_string_append_c(iv->out, '\n');
	}
	va_end(ap);
	iv->n++;
}

static bool is_our_container(struct vfio_state *v, const void *owner)
{
	for (uint32_t id = 0; owner && id < sim_ids_end(&v->containers); id++)
		if (sim_ids_find(&v->containers, id) == owner)
			return true;
	return false;
}

static struct vfio_domain *domain_of(struct vfio_iommu *iommu, struct iommu_group *ig)
{
	for (guint i = 0; iommu && i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		if (g_ptr_array_find(d->groups, ig, NULL))
			return d;
	}
	return NULL;
}

/* §H7 in the hardware: every RID of @ig is blocked, or translates through
 * @did when @did != 0. */
static void check_contexts(struct inv *iv, struct iommu_group *ig, uint16_t did)
{
	if (!sim_world_subsys(iv->w, SIM_SUBSYS_IOMMU_HW))
		return;
	for (size_t i = 0; i < ig->ndevices; i++) {
		struct pci_dev *d = ig->devices[i];
		uint16_t rids[2] = { pci_dev_rid(d), pci_dma_requester_id(d) };

		/* the requester id is the device's own unless an alias replaces
		 * it: each RID once */
		for (int k = 0; k < (rids[1] == rids[0] ? 1 : 2); k++) {
			struct iommu_context ctx;
			int r = iommu_hw_get_context(iv->w, PCI_SBDF_DOMAIN(d->sbdf), rids[k], &ctx);

			if (!did && !r && ctx.type != IOMMU_CTX_BLOCKED)
				bad(iv, "§H7: %s (rid %04x) of user-owned group %u with no user domain "
				    "is not blocked in the context table", d->name, rids[k], ig->id);
			if (did && (r || (ctx.type != IOMMU_CTX_TRANSLATE && ctx.type != IOMMU_CTX_S1) ||
				    ctx.did != did))
				bad(iv, "§H7: %s (rid %04x) of group %u does not translate through "
				    "its container's domain %u", d->name, rids[k], ig->id, did);
		}
	}
}

/* §H5, §H6, §H7, §H15 for one group. */
static void check_group(struct inv *iv, struct vfio_group *g)
{
	struct iommu_group *ig = g->iommu_group;
	struct vfio_container *c = g->container;
	struct vfio_domain *vd;

	/* device fds opened through an iommufd count in no container */
	unsigned cfds = g->device_fds - g->iommufd_fds;

	if (g->container_users != (c ? 1 + cfds : 0))
		bad(iv, "§H15: group %u container_users %u != %u", ig->id, g->container_users,
		    c ? 1 + cfds : 0);
	/* §H16: the cdev path and the group node exclude each other */
	if (g->cdev_device_open_cnt && g->opened)
		bad(iv, "§H16: group %u is open with %u member(s) bound through the cdev",
		    ig->id, g->cdev_device_open_cnt);
	/* noiommu and emulated groups are never DMA-owned and have no IOMMU
	 * to block them (the kernel taints for noiommu): §H5 and §H7 are the
	 * IOMMU's groups' */
	if (!vfio_group_is_iommu(g)) {
		if (cfds && (!c || !c->driver))
			bad(iv, "§H6: group %u has %u device fds but no backend", ig->id, cfds);
		if (g->emulated && c && c->iommu &&
		    !g_ptr_array_find(c->iommu->emulated_groups, ig, NULL))
			bad(iv, "§H7: emulated group %u is in a container whose backend does "
			    "not know it", ig->id);
		return;
	}
	if (c && (ig->owner != c || !ig->owner_cnt))
		bad(iv, "§H5: group %u has container %u but is not owned by it", ig->id, c->id);
	if (!c && is_our_container(iv->v, ig->owner))
		bad(iv, "§H5: group %u is owned by a container it is not attached to", ig->id);
	for (size_t i = 0; c && i < ig->ndevices; i++)
		if (ig->devices[i]->driver && !pci_driver_is_managed(iv->w, ig->devices[i]->driver))
			bad(iv, "§H5: user-owned group %u has %s bound to kernel driver %s",
			    ig->id, ig->devices[i]->name, ig->devices[i]->driver);
	if (cfds && (!c || !c->driver))
		bad(iv, "§H6: group %u has %u device fds but no backend", ig->id, cfds);
	if (g->device_fds && !iommu_group_viable(ig))
		bad(iv, "§H6: group %u has %u device fds but is not viable", ig->id, g->device_fds);
	if (!c)
		return;
	vd = domain_of(c->iommu, ig);
	if (c->iommu && !vd)
		bad(iv, "§H7: group %u is in a container with a backend but in no domain", ig->id);
	if (!vd && (!iommu_group_domain(ig) ||
		    iommu_group_domain(ig)->type != IOMMU_DOMAIN_BLOCKED))
		bad(iv, "§H7: user-owned group %u with no user domain is not on the "
		    "blocking domain", ig->id);
	if (vd && iommu_group_domain(ig) != vd->domain)
		bad(iv, "§H7: group %u is not attached to its type1 domain", ig->id);
	check_contexts(iv, ig, vd ? vd->domain->did : 0);
}

/*
 * §H6 for the iommufd side and §H16: a device with files opened through
 * an iommufd (either path) is bound to it; one bound through its cdev has
 * its group node closed and one open at most.
 */
static void check_vfio_device(struct inv *iv, struct vfio_pci_device *vdev)
{
	struct vfio_group *g = vfio_group_of_device(iv->v, vdev->pdev);

	if (vdev->cdev_opened && vdev->open_count > 1)
		bad(iv, "§H16: %s is open %u times on the cdev path", vdev->pdev->name,
		    vdev->open_count);
	if (vdev->cdev_opened && g && g->opened)
		bad(iv, "§H16: %s is bound through its cdev but group %u is open",
		    vdev->pdev->name, g->iommu_group->id);
	if (vdev->cdev_opened && !vdev->idev)
		bad(iv, "§H6: %s is bound through its cdev but not to iommufd", vdev->pdev->name);
	if (vdev->iommufd_attached && !vdev->idev)
		bad(iv, "§H6: %s is attached but not bound to iommufd", vdev->pdev->name);
}

/*
 * §H6, §H10, §H16 for a mediated device: bound to iommufd (an access) or
 * registered with a container's backend, never both, and only while open;
 * bound through its cdev or attached only with an access; a cdev-bound
 * one open once with its group node closed; the pages its driver holds
 * pinned held by a backend (a registered container, or an attached
 * access: type1's side of them is check_iommu's), and on iommufd in whole
 * vfio_pin_pages calls, the only ranges iommufd_access_unpin_pages can
 * give back.
 */
static void check_mdev(struct inv *iv, struct mdev_state *m)
{
	if (m->cdev_opened && m->open_count > 1)
		bad(iv, "§H16: mdev %s is open %u times on the cdev path", m->uuid, m->open_count);
	if (m->cdev_opened && m->group->opened)
		bad(iv, "§H16: mdev %s is bound through its cdev but group %u is open", m->uuid,
		    m->ig->id);
	if ((m->cdev_opened || m->iommufd_attached) && !m->access)
		bad(iv, "§H6: mdev %s is %s but holds no iommufd access", m->uuid,
		    m->cdev_opened ? "bound through its cdev" : "attached");
	if (m->access && m->reg_ops)
		bad(iv, "§H6: mdev %s is bound to iommufd and registered with a container", m->uuid);
	if ((m->access || m->reg_ops) && !m->open_count)
		bad(iv, "§H6: mdev %s keeps a backend but is not open", m->uuid);
	if (m->pins->len && !m->reg_ops && !(m->access && m->iommufd_attached))
		bad(iv, "§H10: mdev %s holds %u pinned pages with no container backend or "
		    "attached access", m->uuid, m->pins->len);
	for (guint i = 0; m->access && i < m->pins->len; i++) {
		const struct mdev_pin *pin = &g_array_index(m->pins, struct mdev_pin, i);
		unsigned n = 0;

		for (guint k = 0; k < m->pins->len; k++)
			n += g_array_index(m->pins, struct mdev_pin, k).call == pin->call;
		if (n != (unsigned)pin->call_npage) {
			bad(iv, "§H10: mdev %s holds %u of the %d pages of its iommufd pin at 0x%llx",
			    m->uuid, n, pin->call_npage, (unsigned long long)pin->call_iova);
			break;
		}
	}
}

/* What the page tables say of one page of @dma. */
static void check_page(struct inv *iv, struct vfio_domain *d, struct vfio_dma *dma,
		       uint64_t i)
{
	uint64_t iova = dma->iova + i * SIM_PAGE_SIZE, hpa = 0;
	unsigned prot = 0;

	if (iommu_iova_to_phys(d->domain, iova, &hpa, &prot))
		bad(iv, "§H12: iova 0x%llx of mapping 0x%llx+0x%llx is not mapped in domain %u",
		    (unsigned long long)iova, (unsigned long long)dma->iova,
		    (unsigned long long)dma->size, d->domain->did);
	else if (hpa != dma->pages[i] || (prot & (IOMMU_READ | IOMMU_WRITE)) !=
		 iommu_domain_pte_prot(d->domain, dma->prot))
		bad(iv, "§H12: iova 0x%llx in domain %u -> 0x%llx prot %u, pinned 0x%llx prot %u",
		    (unsigned long long)iova, d->domain->did, (unsigned long long)hpa, prot,
		    (unsigned long long)dma->pages[i], dma->prot);
}

static bool in_ranges(GArray *l, uint64_t start, uint64_t last)
{
	if (!l->len)
		return true;
	for (guint i = 0; i < l->len; i++) {
		struct vfio_iova_range *r = &g_array_index(l, struct vfio_iova_range, i);
		if (r->start <= start && last <= r->end)
			return true;
	}
	return false;
}

static bool hits_resv(struct vfio_iommu *iommu, uint64_t start, uint64_t last)
{
	struct iommu_resv_region resv[16];

	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		for (guint j = 0; j < d->groups->len; j++) {
			size_t n = iommu_get_resv_regions(iommu->vfio->w,
							  g_ptr_array_index(d->groups, j), resv, 16);

			for (size_t k = 0; k < n && k < 16; k++)
				if (resv[k].start <= last && start <= resv[k].end)
					return true;
		}
	}
	return false;
}

/* §H12, §H13 and the page tables for one mapping. */
static void check_dma(struct inv *iv, struct vfio_iommu *iommu, struct vfio_dma *dma,
		      struct vfio_dma *prev)
{
	uint64_t mask = vfio_pgsize(iommu) - 1, last = dma->iova + dma->size - 1;
	uint64_t npages = dma->size / SIM_PAGE_SIZE;
	unsigned nvpfn = vfio_dma_nvpfn(dma);

	if (prev && prev->iova + prev->size > dma->iova)
		bad(iv, "§H12: mappings 0x%llx and 0x%llx overlap",
		    (unsigned long long)prev->iova, (unsigned long long)dma->iova);
	if (!in_ranges(iommu->iova_list, dma->iova, last) || hits_resv(iommu, dma->iova, last))
		bad(iv, "§H12: mapping 0x%llx+0x%llx is outside the iova ranges",
		    (unsigned long long)dma->iova, (unsigned long long)dma->size);
	if ((dma->iova | dma->size | dma->vaddr) & mask)
		bad(iv, "§H13: mapping 0x%llx+0x%llx (vaddr 0x%llx) not aligned to 0x%llx",
		    (unsigned long long)dma->iova, (unsigned long long)dma->size,
		    (unsigned long long)dma->vaddr, (unsigned long long)mask + 1);
	/* with IOMMU domains every page is pinned for them; without (emulated
	 * groups only) none is, and vfio_pin_pages pins one by one */
	if (dma->iommu_mapped != (iommu->domains->len > 0) ||
	    dma->npages != (dma->iommu_mapped ? npages : 0)) {
		bad(iv, "§H10: mapping 0x%llx has %llu pages pinned, %llu expected",
		    (unsigned long long)dma->iova, (unsigned long long)dma->npages,
		    (unsigned long long)(iommu->domains->len ? npages : 0));
		return;
	}
	if (iommu->dirty_page_tracking != (dma->bitmap != NULL))
		bad(iv, "§H10: mapping 0x%llx %s a dirty bitmap with tracking %s",
		    (unsigned long long)dma->iova, dma->bitmap ? "has" : "lacks",
		    iommu->dirty_page_tracking ? "on" : "off");
	/* a page is charged once, whoever pinned it */
	add_count(iv->charged, dma->mm, dma->iommu_mapped ? npages : nvpfn);
	add_count(iv->pinned, dma->mm, npages * dma->iommu_mapped + nvpfn);
	/* every page of small mappings; first, middle and last of others */
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		for (uint64_t p = 0; p < npages && npages <= 16; p++)
			check_page(iv, d, dma, p);
		if (npages > 16) {
			check_page(iv, d, dma, 0);
			check_page(iv, d, dma, npages / 2);
			check_page(iv, d, dma, npages - 1);
		}
	}
}

/* §H11, §H12-14 for one backend. */
static void check_iommu(struct inv *iv, struct vfio_container *c, struct vfio_iommu *iommu)
{
	struct vfio_dma *dma, *prev = NULL;
	unsigned live = (unsigned)g_tree_nnodes(iommu->dma_list);
	uint64_t vpfn_refs = 0, driver_pins = 0;

	if (iommu->dma_avail + live != iommu->dma_entry_limit)
		bad(iv, "§H11: container %u: dma_avail %u + %u live mappings != limit %u", c->id,
		    iommu->dma_avail, live, iommu->dma_entry_limit);
	if (live && !iommu->domains->len && !iommu->emulated_groups->len)
		bad(iv, "§H14: container %u has %u mappings and no IOMMU domain", c->id, live);
	for (dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma;
	     prev = dma, dma = vfio_dma_next(iommu, dma)) {
		check_dma(iv, iommu, dma, prev);
		vpfn_refs += vfio_dma_vpfn_refs(dma);
	}
	/* every pin type1 counts is one a registered device's driver holds */
	for (guint i = 0; i < iommu->device_list->len; i++)
		driver_pins += ((struct mdev_state *)g_ptr_array_index(iommu->device_list, i))
				       ->pins->len;
	if (vpfn_refs != driver_pins)
		bad(iv, "§H10: container %u: type1 holds %llu vfio_pin_pages references, its "
		    "devices %llu", c->id, (unsigned long long)vpfn_refs,
		    (unsigned long long)driver_pins);
}

/*
 * The 2020 guest page-table bind (type1_nesting.c): §H25, a nesting
 * container holds at most one group; §H27, a guest table is reachable only
 * from the devices it was attached to.  The bind names no device, so a
 * table whose PASID entries (as the hardware has them) select it on the
 * devices of more than one group was attached to none of them in
 * particular: the hole.
 */
static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* "2, 3": @n group ids in ascending order */
static void group_list(GString *out, GArray *ids)
{
	g_array_sort(ids, cmp_uint);
	g_string_truncate(out, 0);
	for (guint i = 0; i < ids->len; i++)
		g_string_append_printf(out, "%s%u", i ? ", " : "", g_array_index(ids, unsigned, i));
}

static void check_nesting(struct inv *iv, struct vfio_container *c, struct vfio_iommu *iommu)
{
	GArray *ids;
	GString *names;

	if (iv->v->params.nesting_abi != VFIO_NESTING_GUEST_PGTBL_2020 || !iommu->nesting)
		return;
	ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
	names = g_string_new(NULL);
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		for (guint j = 0; j < d->groups->len; j++)
			g_array_append_val(ids, ((struct iommu_group *)
						 g_ptr_array_index(d->groups, j))->id);
	}
	if (ids->len > 1) {
		group_list(names, ids);
		bad(iv, "§H25: nesting container %u holds %u groups (%s): a guest page-table "
		    "bind on it goes to all of them", c->id, ids->len, names->str);
	}
	for (unsigned b = 0; b < vfio_iommu_type1_nesting_binds(iommu); b++) {
		uint64_t hpasid, gpgd;
		GPtrArray *groups;

		vfio_iommu_type1_nesting_bind_info(iommu, b, &hpasid, &gpgd, &groups);
		g_array_set_size(ids, 0);
		for (guint i = 0; i < iommu->domains->len; i++) {
			struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

			for (guint j = 0; j < d->groups->len; j++) {
				struct iommu_group *ig = g_ptr_array_index(d->groups, j);
				bool hit = false;

				/* what the hardware's PASID entries select */
				for (size_t k = 0; k < ig->ndevices && !hit; k++) {
					struct pci_dev *pd = ig->devices[k];
					struct iommu_context have;

					hit = !iommu_hw_get_pasid(iv->w, PCI_SBDF_DOMAIN(pd->sbdf),
								  (uint16_t)(pd->sbdf & 0xffff),
								  (uint32_t)hpasid, &have) &&
					      have.type == IOMMU_CTX_NESTED && have.s1_root == gpgd;
				}
				if (hit)
					g_array_append_val(ids, ig->id);
			}
		}
		if (ids->len > 1) {
			group_list(names, ids);
			bad(iv, "§H27: container %u: guest table 0x%llx on PASID %llu is reachable "
			    "from the devices of groups %s, yet its VFIO_IOMMU_BIND named no "
			    "device (type1 applies it to the whole container)", c->id,
			    (unsigned long long)gpgd, (unsigned long long)hpasid, names->str);
		}
	}
	g_array_free(ids, TRUE);
	g_string_free(names, TRUE);
}

static void check_container(struct inv *iv, struct vfio_container *c)
{
	unsigned ngroups = g_list_length(c->groups);

	if (c->kref != (c->file_open ? 1u : 0u) + ngroups)
		bad(iv, "§H15: container %u kref %u != fd %u + groups %u", c->id, c->kref,
		    c->file_open ? 1u : 0u, ngroups);
	for (GList *l = c->groups; l; l = l->next)
		if (((struct vfio_group *)l->data)->container != c)
			bad(iv, "§H15: container %u lists a group attached elsewhere", c->id);
	if (!c->groups && c->driver)
		bad(iv, "§H14: container %u has no group but keeps its backend", c->id);
	if (c->iommu) {
		check_iommu(iv, c, c->iommu);
		check_nesting(iv, c, c->iommu);
	}
}

static int check_mm(struct sim_proc *p, void *ctx)
{
	struct inv *iv = ctx;
	gpointer sum;

	if (!p->mm || g_hash_table_lookup_extended(iv->charged, p->mm, NULL, &sum))
		return 0;
	g_hash_table_insert(iv->charged, p->mm, NULL);
	g_hash_table_insert(iv->pinned, p->mm, NULL);
	return 0;
}

/* qsort over an array of strings: each element is a char * */
static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* §H10: type1 and iommufd are the only chargers of an mm's locked_vm and
 * pinners of user pages. */
static void check_accounting(struct inv *iv)
{
	GHashTableIter it;
	gpointer mm, sum;
	GString *msgs = g_string_new(NULL);

	sim_proc_for_each(iv->w, check_mm, iv);
	g_hash_table_iter_init(&it, iv->charged);
	while (g_hash_table_iter_next(&it, &mm, &sum)) {
		const struct sim_mm *m = mm;

		size_t pins = GPOINTER_TO_SIZE(g_hash_table_lookup(iv->pinned, mm));
		uint64_t fd_charged, fd_pinned;

		/* iommufd's pins and (RLIMIT_MODE 1) charges come on top */
		iommufd_mm_account(iv->w, m, &fd_charged, &fd_pinned);
		if (m->locked_vm != GPOINTER_TO_SIZE(sum) + fd_charged ||
		    m->pinned != pins + fd_pinned)
			g_string_append_printf(msgs, "%llu/%llu/%zu/%zu\n",
					       (unsigned long long)m->locked_vm,
					       (unsigned long long)m->pinned,
					       (size_t)GPOINTER_TO_SIZE(sum), pins);
	}
	/* hash order is not deterministic: report one sorted summary */
	if (msgs->len) {
		gchar **lines = g_strsplit(msgs->str, "\n", -1);
		guint n = g_strv_length(lines) - 1;

		qsort(lines, n, sizeof(*lines), cmp_line);
		for (guint i = 0; i < n; i++)
			bad(iv, "§H10: an mm has locked_vm/pinned %s pages, type1 mappings "
			    "charge/pin the last two", lines[i]);
		g_strfreev(lines);
	}
	g_string_free(msgs, TRUE);
}

int vfio_check_invariants(struct sim_world *w, GString *violations)
{
	struct inv iv = { .w = w, .v = vfio_get(w), .out = violations };

	if (!iv.v)
		return 0;
	iv.charged = g_hash_table_new(g_direct_hash, g_direct_equal);
	iv.pinned = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (uint32_t id = 0; id < sim_ids_end(&iv.v->containers); id++) {
		struct vfio_container *c = sim_ids_find(&iv.v->containers, id);

		if (c)
			check_container(&iv, c);
	}
	for (unsigned id = 0; id < vfio_group_id_end(iv.v); id++) {
		struct vfio_group *g = vfio_group_find(iv.v, id);

		if (g)
			check_group(&iv, g);
	}
	/* vfio devices in index order: vfio-pci's and mediated ones */
	for (uint32_t i = 0; i < sim_ids_end(&iv.v->device_ida); i++) {
		void *dev = sim_ids_find(&iv.v->device_ida, i);
		struct mdev_state *m = vfio_mdev_of(iv.v, dev);

		if (m)
			check_mdev(&iv, m);
		else if (dev)
			check_vfio_device(&iv, dev);
	}
	check_accounting(&iv);
	g_hash_table_destroy(iv.charged);
	g_hash_table_destroy(iv.pinned);
	return iv.n;
}
