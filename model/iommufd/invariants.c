/* SPDX-License-Identifier: MIT */
/*
 * iommufd's invariants (spec §H10, §H17, §H18), checked after every step
 * against the objects' own bookkeeping and against the hardware:
 *   §H17  every object's users is 1 (the table's) plus the references
 *         coming in — HWPTs on an IOAS, accesses attached to it, devices
 *         attached to a HWPT, the driver holding a device or an access, an
 *         open fault fd; every reference points at a live object of the
 *         same context;
 *   §H18  a bound device's group is owned by its context; a group's HWPT
 *         is the domain the hardware has the group on; an attached group
 *         has devices;
 *   §H10  every page index is pinned exactly as often as the areas filled
 *         into domains and the access pins covering it say (one pin per
 *         index, however many users), the pins match what the domains
 *         translate, and the charges (user locked_vm, mm pinned_vm) equal
 *         the pins counted.
 */
#include <string.h>
#include <glib.h>

#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/pci/pci.h"
#include "model/iommufd/iommufd_private.h"

struct iv {
	struct sim_world *w;
	GString *out;
	int n;
	GHashTable *pages;           /* iopt_pages * -> GArray of covering intervals */
	GPtrArray *pages_order;      /* the same, in first-seen order */
};

static void G_GNUC_PRINTF(2, 3) bad(struct iv *iv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(iv->out, fmt, ap);
	va_end(ap);
	g_string_append_c(iv->out, '\n');
	iv->n++;
}

struct cover {
	uint64_t first, last;        /* page indexes */
};

static void add_cover(struct iv *iv, struct iopt_pages *pg, uint64_t first, uint64_t last)
{
	GArray *c = g_hash_table_lookup(iv->pages, pg);

	if (!c) {
		c = g_array_new(FALSE, FALSE, sizeof(struct cover));
		g_hash_table_insert(iv->pages, pg, c);
		g_ptr_array_add(iv->pages_order, pg);
	}
	g_array_append_val(c, ((struct cover){ first, last }));
}

/* How many users index @i should have. */
static unsigned expected_users(GArray *c, uint64_t i)
{
	unsigned n = 0;

	for (unsigned k = 0; k < c->len; k++) {
		const struct cover *x = &g_array_index(c, struct cover, k);

		n += x->first <= i && i <= x->last;
	}
	return n;
}

/* every pinned index of @pg against the covers; npinned against the count */
static gboolean check_chunk(gpointer key, gpointer value, gpointer data);

struct chunk_walk {
	struct iv *iv;
	struct iopt_pages *pg;
	GArray *covers;
	uint64_t pinned;
	bool reported;
};

static void check_pages(struct iv *iv, struct iopt_pages *pg, GArray *covers)
{
	struct chunk_walk cw = { iv, pg, covers, 0, false };

	g_tree_foreach(pg->pins, check_chunk, &cw);
	if (cw.pinned != pg->npinned)
		bad(iv, "§H10: user range 0x%llx has %llu pages pinned, npinned %llu",
		    (unsigned long long)pg->uptr, (unsigned long long)cw.pinned,
		    (unsigned long long)pg->npinned);
	if (pg->last_npinned != pg->npinned)
		bad(iv, "§H10: user range 0x%llx charged for %llu pages, %llu pinned",
		    (unsigned long long)pg->uptr, (unsigned long long)pg->last_npinned,
		    (unsigned long long)pg->npinned);
	/* an index that should be pinned and is not */
	for (unsigned k = 0; k < covers->len; k++) {
		const struct cover *x = &g_array_index(covers, struct cover, k);

		if (!iopt_pages_hpa(pg, x->first) || !iopt_pages_hpa(pg, x->last)) {
			bad(iv, "§H10: user range 0x%llx: index %llu..%llu is used but not pinned",
			    (unsigned long long)pg->uptr, (unsigned long long)x->first,
			    (unsigned long long)x->last);
			break;
		}
	}
}

/* struct iopt_pin_chunk's layout is pages.c's; walk it through the API */
static gboolean check_chunk(gpointer key, gpointer value, gpointer data)
{
	struct chunk_walk *cw = data;
	uint64_t base = *(uint64_t *)key << 9;

	(void)value;
	for (uint64_t i = base; i < base + 512; i++) {
		unsigned got = iopt_pages_users(cw->pg, i), want;

		if (!got)
			continue;
		cw->pinned++;
		want = expected_users(cw->covers, i);
		if (got != want && !cw->reported) {
			bad(cw->iv, "§H10: user range 0x%llx index %llu has %u users, %u expected",
			    (unsigned long long)cw->pg->uptr, (unsigned long long)i, got, want);
			cw->reported = true;
		}
	}
	return FALSE;
}

static uint64_t area_index(const struct iopt_area *a, uint64_t iova)
{
	return (a->start_byte + (iova - a->iova)) / SIM_PAGE_SIZE;
}

/* a filled area's first and last page translate to the pinned frames */
static void check_area_in_domain(struct iv *iv, const struct iopt_area *a,
				 struct iommu_domain *d)
{
	uint64_t probe[2] = { a->iova, a->last & ~(SIM_PAGE_SIZE - 1) };

	for (int k = 0; k < 2; k++) {
		uint64_t iova = probe[k] < a->iova ? a->iova : probe[k], hpa, want;
		unsigned prot;

		want = iopt_pages_hpa(a->pages, area_index(a, iova)) +
		       (a->start_byte + (iova - a->iova)) % SIM_PAGE_SIZE;
		if (iommu_iova_to_phys(d, iova, &hpa, &prot) || hpa != want) {
			bad(iv, "§H10: IOVA 0x%llx of an area is not mapped to its pinned page "
			    "in domain %u", (unsigned long long)iova, d->did);
			return;
		}
	}
}

static void check_ioas(struct iv *iv, struct iommufd_ioas *ioas)
{
	struct io_pagetable *iopt = &ioas->iopt;
	uint64_t prev_last = 0;

	for (unsigned i = 0; i < iopt->areas->len; i++) {
		struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i);

		if (i && a->iova <= prev_last)
			bad(iv, "§H17: IOAS %u: areas overlap at 0x%llx", ioas->obj.id,
			    (unsigned long long)a->iova);
		prev_last = a->last;
		if (iopt->domains->len)
			add_cover(iv, a->pages, area_index(a, a->iova), area_index(a, a->last));
		for (unsigned k = 0; k < iopt->domains->len; k++)
			check_area_in_domain(iv, a, g_ptr_array_index(iopt->domains, k));
		/* the access pins of the pages (counted once per pages) */
	}
}

/* users expected per object, from the references the others hold */
static void count_refs(struct iommufd_ctx *ictx, unsigned *want)
{
	for (uint32_t id = 1; id < sim_ids_end(&ictx->objects); id++) {
		struct iommufd_object *obj = sim_ids_find(&ictx->objects, id);

		if (!obj)
			continue;
		switch (obj->type) {
		case IOMMUFD_OBJ_HWPT_PAGING: {
			struct iommufd_hw_pagetable *h = (struct iommufd_hw_pagetable *)obj;

			want[h->ioas->obj.id]++;
			if (h->fault)
				want[h->fault->id]++;
			break;
		}
		case IOMMUFD_OBJ_HWPT_NESTED: {
			struct iommufd_hw_pagetable *h = (struct iommufd_hw_pagetable *)obj;

			/* over a vIOMMU: the vIOMMU, not the parent */
			want[h->viommu ? h->viommu->obj.id : h->parent->obj.id]++;
			if (h->fault)
				want[h->fault->id]++;
			break;
		}
		case IOMMUFD_OBJ_DEVICE:
			want[id]++;          /* its driver */
			break;
		case IOMMUFD_OBJ_ACCESS: {
			struct iommufd_access *ac = (struct iommufd_access *)obj;

			want[id]++;          /* its driver */
			if (ac->ioas)
				want[ac->ioas->obj.id]++;
			break;
		}
		case IOMMUFD_OBJ_FAULT:
			want[id] += iommufd_fault_file_open(obj);
			break;
		case IOMMUFD_OBJ_VIOMMU:
			want[((struct iommufd_viommu *)obj)->hwpt->obj.id]++;
			break;
		case IOMMUFD_OBJ_VDEVICE:
			want[((struct iommufd_vdevice *)obj)->viommu->obj.id]++;
			break;
		default:
			break;
		}
	}
	for (unsigned i = 0; i < ictx->groups->len; i++) {
		struct iommufd_group *ig = g_ptr_array_index(ictx->groups, i);

		if (ig->hwpt)
			want[ig->hwpt->obj.id] += ig->devices->len;
		for (unsigned j = 0; j < ig->pasid_attach->len; j++) {
			const struct iommufd_pasid_attach *pa = g_ptr_array_index(ig->pasid_attach, j);

			want[pa->hwpt->obj.id] += pa->devices->len;
		}
	}
}

static int rid_is(struct pci_dev *visited, uint16_t rid, void *ctx)
{
	const struct iommu_dom_loc *l = ctx;

	return PCI_SBDF_DOMAIN(visited->sbdf) == l->segment && rid == l->rid;
}

/* Is (@l->segment, @l->rid) one of @g's requester ids (a member's own or an
 * alias the walk gives)? */
static bool group_has_rid(struct iommu_group *g, const struct iommu_dom_loc *l)
{
	for (size_t k = 0; k < g->ndevices; k++)
		if (pci_for_each_dma_alias(g->devices[k], rid_is, (void *)l))
			return true;
	return false;
}

/*
 * §H27: a nested HWPT's table is reachable only from the devices attached
 * to it.  Every (device, PASID) the hardware has the HWPT's domain on
 * (the domain's locations) must be one of a group this context attached
 * to the HWPT there: the group's RID attachment, or its attachment at that
 * PASID.  Also §H18's PASID half: an attachment's devices are programmed.
 */
static void check_nested_reach(struct iv *iv, struct iommufd_ctx *ictx,
			       struct iommufd_hw_pagetable *h)
{
	const GArray *locs = h->domain ? h->domain->locs : NULL;

	for (guint i = 0; locs && i < locs->len; i++) {
		const struct iommu_dom_loc *l = &g_array_index(locs, struct iommu_dom_loc, i);
		bool ok = false;

		for (unsigned g = 0; g < ictx->groups->len && !ok; g++) {
			struct iommufd_group *ig = g_ptr_array_index(ictx->groups, g);

			if (!group_has_rid(ig->group, l))
				continue;
			if (!l->pasid)
				ok = ig->hwpt == h;
			for (unsigned j = 0; l->pasid && j < ig->pasid_attach->len && !ok; j++) {
				const struct iommufd_pasid_attach *pa =
					g_ptr_array_index(ig->pasid_attach, j);

				ok = pa->pasid == l->pasid && pa->hwpt == h;
			}
		}
		if (!ok)
			bad(iv, "§H27: context %llu: hwpt_nested %u (guest table 0x%llx) is reachable "
			    "from rid %04x:%02x:%02x.%u pasid %u, which no attach put there",
			    (unsigned long long)ictx->serial, h->obj.id,
			    (unsigned long long)h->domain->s1_root, l->segment, l->rid >> 8,
			    (l->rid >> 3) & 0x1f, l->rid & 7, l->pasid);
	}
}

/*
 * §H28: a vIOMMU's objects agree with one another.  A vIOMMU sits on a
 * NEST_PARENT paging HWPT and its VMID is that HWPT's domain id (the one
 * stage 2 every guest STE of it uses); a vDEVICE is filed in its vIOMMU
 * under its virtual ID, and its device - bound in the same context - names
 * it as its one vDEVICE; a nested HWPT over a vIOMMU has the vIOMMU's
 * HWPT as its parent.
 */
struct vdev_walk {
	struct iv *iv;
	const struct iommufd_viommu *viommu;
};

static gboolean check_vdev(gpointer key, gpointer value, gpointer data)
{
	const struct iommufd_vdevice *vdev = value;
	struct vdev_walk *vw = data;

	if (*(const uint64_t *)key != vdev->virt_id || vdev->viommu != vw->viommu ||
	    vdev->idev->vdev != vdev || vdev->idev->obj.ictx != vw->viommu->obj.ictx)
		bad(vw->iv, "§H28: vIOMMU %u files vDEVICE %u under virtual ID 0x%llx, which "
		    "is not its own (0x%llx), its vIOMMU's or its device's",
		    vw->viommu->obj.id, vdev->obj.id, (unsigned long long)*(const uint64_t *)key,
		    (unsigned long long)vdev->virt_id);
	return FALSE;
}

static void check_viommu_obj(struct iv *iv, const struct iommufd_object *obj)
{
	if (obj->type == IOMMUFD_OBJ_VIOMMU) {
		const struct iommufd_viommu *v = (const struct iommufd_viommu *)obj;
		struct vdev_walk vw = { .iv = iv, .viommu = v };

		if (!v->hwpt->nest_parent || v->vmid != v->hwpt->domain->did)
			bad(iv, "§H28: vIOMMU %u's VMID %u is not its NEST_PARENT HWPT %u's "
			    "domain id", obj->id, v->vmid, v->hwpt->obj.id);
		g_tree_foreach(v->vdevs, check_vdev, &vw);
	} else if (obj->type == IOMMUFD_OBJ_VDEVICE) {
		const struct iommufd_vdevice *vd = (const struct iommufd_vdevice *)obj;

		if (g_tree_lookup(vd->viommu->vdevs, &vd->virt_id) != vd)
			bad(iv, "§H28: vDEVICE %u (virtual ID 0x%llx) is not filed in its vIOMMU %u",
			    obj->id, (unsigned long long)vd->virt_id, vd->viommu->obj.id);
	} else if (obj->type == IOMMUFD_OBJ_HWPT_NESTED) {
		const struct iommufd_hw_pagetable *h = (const struct iommufd_hw_pagetable *)obj;

		if (h->viommu && (h->parent != h->viommu->hwpt || !h->domain ||
				  h->domain->parent != h->viommu->hwpt->domain))
			bad(iv, "§H28: hwpt_nested %u of vIOMMU %u does not sit on the vIOMMU's "
			    "HWPT %u", obj->id, h->viommu->obj.id, h->viommu->hwpt->obj.id);
	}
}

static void check_ctx(struct iv *iv, struct iommufd_ctx *ictx)
{
	uint32_t end = sim_ids_end(&ictx->objects);
	unsigned *want = g_new0(unsigned, end + 1);

	count_refs(ictx, want);
	for (uint32_t id = 1; id < end; id++) {
		struct iommufd_object *obj = sim_ids_find(&ictx->objects, id);

		if (!obj)
			continue;
		if (obj->id != id || obj->ictx != ictx)
			bad(iv, "§H17: context %llu: object %u is filed under id %u",
			    (unsigned long long)ictx->serial, obj->id, id);
		if (obj->finalized && obj->users != 1 + want[id])
			bad(iv, "§H17: context %llu: %s %u has users %u, 1 + %u references expected",
			    (unsigned long long)ictx->serial, iommufd_object_type_name(obj->type), id,
			    obj->users, want[id]);
		if (obj->type == IOMMUFD_OBJ_IOAS)
			check_ioas(iv, (struct iommufd_ioas *)obj);
		if (obj->type == IOMMUFD_OBJ_FAULT)      /* §H23 */
			iv->n += iommufd_fault_check(obj, iv->out);
		if (obj->type == IOMMUFD_OBJ_HWPT_NESTED && obj->finalized)
			check_nested_reach(iv, ictx, (struct iommufd_hw_pagetable *)obj);
		if (obj->finalized)
			check_viommu_obj(iv, obj);      /* §H28 */
		if (obj->type == IOMMUFD_OBJ_DEVICE) {
			struct iommufd_device *idev = (struct iommufd_device *)obj;

			if (idev->igroup->group->owner != ictx)
				bad(iv, "§H18: device %u is bound but its group %u is not owned by "
				    "its context", id, idev->igroup->group->id);
		}
	}
	for (unsigned i = 0; i < ictx->groups->len; i++) {
		struct iommufd_group *ig = g_ptr_array_index(ictx->groups, i);

		if (ig->hwpt && !ig->devices->len)
			bad(iv, "§H18: group %u is attached with no device", ig->group->id);
		if (ig->hwpt && iommu_group_domain(ig->group) != ig->hwpt->domain)
			bad(iv, "§H18: group %u is attached to HWPT %u but the hardware has it on "
			    "another domain", ig->group->id, ig->hwpt->obj.id);
		if (!ig->hwpt && ig->devices->len)
			bad(iv, "§H18: group %u lists attached devices but no HWPT", ig->group->id);
	}
	g_free(want);
}

static void note_pages(struct iopt_pages *pg, void *ctx)
{
	struct iv *iv = ctx;

	if (!g_hash_table_contains(iv->pages, pg)) {
		g_hash_table_insert(iv->pages, pg, g_array_new(FALSE, FALSE, sizeof(struct cover)));
		g_ptr_array_add(iv->pages_order, pg);
	}
}

struct mm_check {
	struct iv *iv;
	GHashTable *pinned;          /* sim_mm * -> pages pinned */
	GHashTable *seen;
};

static int check_mm(struct sim_proc *p, void *ctx)
{
	struct mm_check *mc = ctx;
	uint64_t want;

	if (!p->mm || !g_hash_table_add(mc->seen, p->mm))
		return 0;
	want = (uint64_t)GPOINTER_TO_SIZE(g_hash_table_lookup(mc->pinned, p->mm));
	if (p->mm->pinned_vm != want)
		bad(mc->iv, "§H10: pid %d's mm has pinned_vm %llu, iommufd pins %llu", p->pid,
		    (unsigned long long)p->mm->pinned_vm, (unsigned long long)want);
	return 0;
}

int iommufd_check_invariants(struct sim_world *w, GString *out)
{
	struct iommufd_state *st = sim_world_subsys(w, SIM_SUBSYS_IOMMUFD);
	struct iv iv = { .w = w, .out = out };
	struct mm_check mc = { .iv = &iv };
	GArray *charged;

	if (!st)
		return 0;
	iv.pages = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					 (GDestroyNotify)g_array_unref);
	iv.pages_order = g_ptr_array_new();
	for (unsigned c = 0; c < st->ctxs->len; c++)
		check_ctx(&iv, g_ptr_array_index(st->ctxs, c));
	/* the pages no domain fills but an access pins */
	iommufd_for_each_pages(st, note_pages, &iv);
	charged = g_array_new(FALSE, TRUE, sizeof(struct iommufd_user));
	mc.pinned = g_hash_table_new(g_direct_hash, g_direct_equal);
	mc.seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (unsigned i = 0; i < iv.pages_order->len; i++) {
		struct iopt_pages *pg = g_ptr_array_index(iv.pages_order, i);
		unsigned k;

		for (k = 0; pg->access_pins && k < pg->access_pins->len; k++) {
			const struct iopt_access_pin *ap =
				&g_array_index(pg->access_pins, struct iopt_access_pin, k);

			for (unsigned u = 0; u < ap->users; u++)
				add_cover(&iv, pg, ap->first, ap->last);
		}
		check_pages(&iv, pg, g_hash_table_lookup(iv.pages, pg));
		g_hash_table_insert(mc.pinned, pg->mm,
				    GSIZE_TO_POINTER(GPOINTER_TO_SIZE(g_hash_table_lookup(mc.pinned,
											   pg->mm)) +
						     pg->npinned));
		if (pg->account_mode != IOPT_PAGES_ACCOUNT_USER)
			continue;
		for (k = 0; k < charged->len; k++)
			if (g_array_index(charged, struct iommufd_user, k).uid == pg->uid)
				break;
		if (k == charged->len)
			g_array_append_val(charged, ((struct iommufd_user){ .uid = pg->uid }));
		g_array_index(charged, struct iommufd_user, k).locked_vm += pg->last_npinned;
	}
	/* every user's locked_vm is what its pages are charged for */
	for (unsigned u = 0; u < st->users->len; u++) {
		const struct iommufd_user *have = &g_array_index(st->users, struct iommufd_user, u);
		uint64_t want = 0;

		for (unsigned k = 0; k < charged->len; k++)
			if (g_array_index(charged, struct iommufd_user, k).uid == have->uid)
				want = g_array_index(charged, struct iommufd_user, k).locked_vm;
		if (have->locked_vm != want)
			bad(&iv, "§H10: uid %u has locked_vm %llu, its pinned pages %llu", have->uid,
			    (unsigned long long)have->locked_vm, (unsigned long long)want);
	}
	sim_proc_for_each(w, check_mm, &mc);
	g_hash_table_destroy(mc.pinned);
	g_hash_table_destroy(mc.seen);
	g_array_free(charged, TRUE);
	g_hash_table_destroy(iv.pages);
	g_ptr_array_free(iv.pages_order, TRUE);
	return iv.n;
}

/* ---- a description of the state (spec §H19: a failing call changes none of it) ---- */

static void describe_iopt(GString *out, const struct io_pagetable *iopt)
{
	g_string_append_printf(out, "    align 0x%llx domains %u accesses %u large %s\n",
			       (unsigned long long)iopt->iova_alignment, iopt->domains->len,
			       iopt->accesses->len, iopt->disable_large_pages ? "off" : "on");
	for (unsigned i = 0; i < iopt->areas->len; i++) {
		const struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i);

		g_string_append_printf(out, "    area 0x%llx-0x%llx uptr 0x%llx+0x%llx prot %u "
				       "pinned %llu accesses %u\n", (unsigned long long)a->iova,
				       (unsigned long long)a->last, (unsigned long long)a->pages->uptr,
				       (unsigned long long)a->start_byte, a->prot,
				       (unsigned long long)a->pages->npinned, a->num_accesses);
	}
	for (unsigned i = 0; i < iopt->reserved->len; i++) {
		const struct iopt_range *r = &g_array_index(iopt->reserved, struct iopt_range, i);

		g_string_append_printf(out, "    reserved 0x%llx-0x%llx\n",
				       (unsigned long long)r->start, (unsigned long long)r->last);
	}
	for (unsigned i = 0; i < iopt->allowed->len; i++) {
		const struct iopt_range *r = &g_array_index(iopt->allowed, struct iopt_range, i);

		g_string_append_printf(out, "    allowed 0x%llx-0x%llx\n",
				       (unsigned long long)r->start, (unsigned long long)r->last);
	}
}

void iommufd_describe(struct sim_world *w, GString *out)
{
	struct iommufd_state *st = sim_world_subsys(w, SIM_SUBSYS_IOMMUFD);

	if (!st)
		return;
	for (unsigned c = 0; c < st->ctxs->len; c++) {
		struct iommufd_ctx *ictx = g_ptr_array_index(st->ctxs, c);

		g_string_append_printf(out, "context %llu account %s%s\n",
				       (unsigned long long)ictx->serial,
				       ictx->account_mode == IOPT_PAGES_ACCOUNT_MM ? "mm" : "user",
				       ictx->no_iommu_mode ? " no-iommu" : "");
		for (uint32_t id = 1; id < sim_ids_end(&ictx->objects); id++) {
			struct iommufd_object *obj = sim_ids_find(&ictx->objects, id);

			if (!obj)
				continue;
			if (obj->type == IOMMUFD_OBJ_NONE) {
				g_string_append_printf(out, "  %u tombstone\n", id);
				continue;
			}
			g_string_append_printf(out, "  %u %s users %u%s%s\n", id,
					       iommufd_object_type_name(obj->type), obj->users,
					       obj->finalized ? "" : " (not finalized)",
					       ictx->vfio_ioas && &ictx->vfio_ioas->obj == obj ?
					       " (compat)" : "");
			if (obj->type == IOMMUFD_OBJ_IOAS)
				describe_iopt(out, &((struct iommufd_ioas *)obj)->iopt);
			if (obj->type == IOMMUFD_OBJ_HWPT_PAGING) {
				struct iommufd_hw_pagetable *h = (struct iommufd_hw_pagetable *)obj;

				g_string_append_printf(out, "    ioas %u did %u%s%s%s\n", h->ioas->obj.id,
						       h->domain ? h->domain->did : 0,
						       h->auto_domain ? " auto" : "",
						       h->nest_parent ? " nest-parent" : "",
						       h->pasid_compat ? " pasid" : "");
			}
			if (obj->type == IOMMUFD_OBJ_HWPT_NESTED) {
				struct iommufd_hw_pagetable *h = (struct iommufd_hw_pagetable *)obj;

				g_string_append_printf(out, "    parent %u did %u s1 0x%llx%s%s\n",
						       h->parent->obj.id, h->domain ? h->domain->did : 0,
						       (unsigned long long)(h->domain ?
									    h->domain->s1_root : 0),
						       h->pasid_compat ? " pasid" : "",
						       h->fault ? " fault" : "");
				if (h->viommu && h->domain)
					g_string_append_printf(out, "    viommu %u ste 0x%llx 0x%llx%s\n",
							       h->viommu->obj.id,
							       (unsigned long long)h->domain->ste[0],
							       (unsigned long long)h->domain->ste[1],
							       h->domain->ste_ats ? " ats" : "");
			}
			if (obj->type == IOMMUFD_OBJ_VIOMMU) {
				struct iommufd_viommu *v = (struct iommufd_viommu *)obj;

				g_string_append_printf(out, "    type %u hwpt %u vmid %u vdevices %d\n",
						       v->type, v->hwpt->obj.id, v->vmid,
						       g_tree_nnodes(v->vdevs));
			}
			if (obj->type == IOMMUFD_OBJ_VDEVICE) {
				struct iommufd_vdevice *vd = (struct iommufd_vdevice *)obj;

				g_string_append_printf(out, "    viommu %u device %u virt_id 0x%llx\n",
						       vd->viommu->obj.id, vd->idev->obj.id,
						       (unsigned long long)vd->virt_id);
			}
		}
		for (unsigned i = 0; i < ictx->groups->len; i++) {
			struct iommufd_group *ig = g_ptr_array_index(ictx->groups, i);

			g_string_append_printf(out, "  group %u hwpt %u devices %u bound %u\n",
					       ig->group->id, ig->hwpt ? ig->hwpt->obj.id : 0,
					       ig->devices->len, ig->refs);
			for (unsigned j = 0; j < ig->pasid_attach->len; j++) {
				const struct iommufd_pasid_attach *pa =
					g_ptr_array_index(ig->pasid_attach, j);

				g_string_append_printf(out, "    pasid %u hwpt %u devices %u\n",
						       pa->pasid, pa->hwpt->obj.id, pa->devices->len);
			}
		}
	}
	for (unsigned u = 0; u < st->users->len; u++) {
		const struct iommufd_user *x = &g_array_index(st->users, struct iommufd_user, u);

		if (!x->locked_vm)
			continue;   /* a record with nothing charged is no state */
		g_string_append_printf(out, "uid %u locked_vm %llu\n", x->uid,
				       (unsigned long long)x->locked_vm);
	}
}

void iommufd_leftovers(struct sim_world *w, GString *out)
{
	struct iommufd_state *st = sim_world_subsys(w, SIM_SUBSYS_IOMMUFD);

	if (!st)
		return;
	for (unsigned c = 0; c < st->ctxs->len; c++)
		g_string_append_printf(out, "iommufd context %llu is left\n",
				       (unsigned long long)((struct iommufd_ctx *)
							    g_ptr_array_index(st->ctxs, c))->serial);
	for (unsigned u = 0; u < st->users->len; u++) {
		const struct iommufd_user *x = &g_array_index(st->users, struct iommufd_user, u);

		if (x->locked_vm)
			g_string_append_printf(out, "uid %u still has locked_vm %llu pages\n", x->uid,
					       (unsigned long long)x->locked_vm);
	}
}
