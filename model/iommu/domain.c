/* SPDX-License-Identifier: MIT */
/*
 * IOMMU domains, kernel side: allocation (blocked, identity, paging at
 * either stage, nested), attach by requester id and DMA alias, (device,
 * PASID) attach / replace / detach, default and blocking domains,
 * map/unmap with the invalidation sequence of spec §E.6, aperture and
 * reserved regions (see domain.h).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/cpu_pgtable.h"
#include "sim/fault.h"
#include "sim/ids.h"
#include "sim/mem.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/io_pgfault.h"
#include "iommusim/uapi/iommufd.h"

/* the MSI windows the drivers reserve (spec §C IOVA ranges) */
#define VTD_MSI_START    0xfee00000ull   /* IOAPIC_RANGE_START */
#define VTD_MSI_END      0xfeefffffull   /* IOAPIC_RANGE_END */
#define SMMU_MSI_BASE    0x08000000ull   /* MSI_IOVA_BASE */
#define SMMU_MSI_LENGTH  0x00100000ull   /* MSI_IOVA_LENGTH */

struct dom_state {
	struct sim_world *w;
	struct iommu_profile prof;
	enum iommu_hw_kind kind;          /* the hardware's: picks the formats */
	struct sim_ids dids;              /* paging domain ids, 1..65535 */
	struct iommu_domain *blocking;    /* one shared blocking domain */
	struct iommu_domain *identity;    /* one shared identity domain */
	GHashTable *pasids;               /* sbdf << 32 | pasid -> domain */
	struct sim_ids global_pasids;     /* iommu_global_pasid_ida: pasid -> owner */
	GPtrArray *sva_domains;           /* live SVA domains, oldest first */
	void *iopf;                       /* io_pgfault.c's */
};

static const char *const type_names[] = { "blocked", "identity", "paging", "nested", "sva" };

const char *iommu_domain_type_name(enum iommu_domain_type t)
{
	return (unsigned)t < G_N_ELEMENTS(type_names) ? type_names[t] : "unknown";
}

static const char *const bug_names[IOMMU_BUG_COUNT] = {
	"skip-iotlb-flush", "skip-devtlb-flush", "flush-before-write", "skip-nested-flush",
	"skip-context-flush", "skip-dirty-flush", "leak-pin-on-error", "pasid-free-while-bound",
	"skip-mm-invalidate",
};

const char *iommu_bug_name(unsigned bit)
{
	for (unsigned i = 0; i < IOMMU_BUG_COUNT; i++)
		if (bit == 1u << i)
			return bug_names[i];
	return "unknown";
}

int iommu_bug_parse(const char *name, unsigned *bit)
{
	for (unsigned i = 0; name && i < IOMMU_BUG_COUNT; i++)
		if (!strcmp(name, bug_names[i])) {
			*bit = 1u << i;
			return 0;
		}
	return -EINVAL;
}

static struct dom_state *state_of(struct sim_world *w)
{
	return iommu_core_domains(w);
}

unsigned iommu_bugs(struct sim_world *w)
{
	struct dom_state *st = w ? state_of(w) : NULL;

	return st ? st->prof.bugs : 0;
}

/* ---- allocation --------------------------------------------------------- */

/* Levels of a stage-@stage table for the profile's address width. */
static unsigned levels_for(const struct dom_state *st, unsigned stage)
{
	unsigned levels = (st->prof.address_width - 12) / 9;

	/* VT-d's first stage starts at 4 levels */
	while (levels <= 5 && !iommu_hw_fmt(st->kind, stage, levels))
		levels++;
	return levels;
}

static struct iommu_domain *domain_new(struct dom_state *st, enum iommu_domain_type type)
{
	struct iommu_domain *d;
	int64_t did;

	d = g_new0(struct iommu_domain, 1);
	d->w = st->w;
	d->type = type;
	d->aperture_end = (1ull << st->prof.address_width) - 1;
	d->pgsize_bitmap = io_pgtable_vtd_ss.pgsize_bitmap;
	d->naive_map = st->prof.naive_map;
	d->locs = g_array_new(FALSE, FALSE, sizeof(struct iommu_dom_loc));
	if (type == IOMMU_DOMAIN_PAGING || type == IOMMU_DOMAIN_NESTED || type == IOMMU_DOMAIN_SVA) {
		did = sim_ids_alloc(st->w, &st->dids, d, 1, 65535);
		if (did < 0) {
			g_array_free(d->locs, TRUE);
			g_free(d);
			return NULL;
		}
		d->did = (uint16_t)did;
	}
	return d;
}

static void domain_release(struct dom_state *st, struct iommu_domain *d)
{
	if (d->did && st)
		sim_ids_remove(&st->dids, d->did);
	if (d->children)
		g_ptr_array_free(d->children, TRUE);
	g_array_free(d->locs, TRUE);
	g_free(d);
}

struct iommu_domain *iommu_domain_alloc_paging(struct sim_world *w, unsigned stage,
					       bool nest_parent)
{
	struct dom_state *st = state_of(w);
	const struct io_pgtable_fmt *fmt;
	struct iommu_domain *d;
	unsigned levels;

	if (!st || (stage != 1 && stage != 2) || (nest_parent && stage != 2) ||
	    sim_should_fail(w, "iommu_domain_alloc"))
		return NULL;
	levels = levels_for(st, stage);
	fmt = iommu_hw_fmt(st->kind, stage, levels);
	d = fmt ? domain_new(st, IOMMU_DOMAIN_PAGING) : NULL;
	if (!d)
		return NULL;
	d->stage = stage;
	d->nest_parent = nest_parent;
	d->pgsize_bitmap = fmt->pgsize_bitmap & (SZ_4K | SZ_2M | SZ_1G);
	if (io_pgtable_init(&d->pt, w, fmt, levels)) {
		domain_release(st, d);
		return NULL;
	}
	SIM_TRACE(w, iommu_domain_alloc, d->did, type_names[d->type]);
	return d;
}

struct iommu_domain *iommu_domain_alloc(struct sim_world *w, enum iommu_domain_type type)
{
	struct dom_state *st = state_of(w);
	struct iommu_domain *d;

	if (!st || type == IOMMU_DOMAIN_NESTED)
		return NULL;
	if (type == IOMMU_DOMAIN_PAGING) {
		unsigned stage = st->prof.paging_stage ? st->prof.paging_stage : 2;

		return iommu_domain_alloc_paging(w, stage, stage == 2);
	}
	if (sim_should_fail(w, "iommu_domain_alloc"))
		return NULL;
	d = domain_new(st, type);
	if (d)
		SIM_TRACE(w, iommu_domain_alloc, d->did, type_names[type]);
	return d;
}

/* A nested domain over @parent (fault site "iommu_domain_alloc"), and its
 * debut: one of the parent's children, traced. */
static struct iommu_domain *nested_new(struct dom_state *st, struct iommu_domain *parent)
{
	struct iommu_domain *d;

	if (sim_should_fail(parent->w, "iommu_domain_alloc"))
		return NULL;
	d = domain_new(st, IOMMU_DOMAIN_NESTED);
	if (d)
		d->parent = parent;
	return d;
}

static void nested_done(struct iommu_domain *d, struct iommu_domain **out)
{
	if (!d->parent->children)
		d->parent->children = g_ptr_array_new();
	g_ptr_array_add(d->parent->children, d);
	SIM_TRACE(d->w, iommu_domain_alloc, d->did, type_names[d->type]);
	*out = d;
}

int iommu_domain_alloc_nested(struct iommu_domain *parent, uint64_t s1_root,
			      unsigned s1_levels, struct iommu_domain **out)
{
	struct dom_state *st = parent ? state_of(parent->w) : NULL;
	struct iommu_domain *d;

	if (!st || parent->type != IOMMU_DOMAIN_PAGING || !parent->nest_parent ||
	    !iommu_hw_fmt(st->kind, IO_PGTABLE_STAGE1, s1_levels) || (s1_root & (SZ_4K - 1)))
		return -EINVAL;
	d = nested_new(st, parent);
	if (!d)
		return -ENOMEM;
	d->s1_root = s1_root;
	d->s1_levels = s1_levels;
	d->aperture_end = (1ull << (12 + 9 * s1_levels)) - 1;
	nested_done(d, out);
	return 0;
}

#define VSTE_0_V         1ull
#define VSTE_0_CFG_SHIFT 1
#define VSTE_0_CFG_MASK  7ull
#define VSTE_0_CTXPTR    (((1ull << 52) - 1) & ~((1ull << 6) - 1))
#define VSTE_CFG_ABORT   0u
#define VSTE_CFG_BYPASS  4u
#define VSTE_CFG_S1      5u
#define VSTE_1_EATS_TRANS (1ull << 28)

int iommu_domain_alloc_nested_ste(struct iommu_domain *parent, const uint64_t ste[2],
				  bool ats, struct iommu_domain **out)
{
	struct dom_state *st = parent ? state_of(parent->w) : NULL;
	struct iommu_domain *d;

	if (!st || st->kind != IOMMU_HW_SMMUV3 || parent->type != IOMMU_DOMAIN_PAGING ||
	    !parent->nest_parent)
		return -EINVAL;
	d = nested_new(st, parent);
	if (!d)
		return -ENOMEM;
	d->guest_ste = true;
	d->ste[0] = ste[0];
	d->ste[1] = ste[1];
	d->ste_ats = ats;
	d->s1_root = ste[0] & VSTE_0_CTXPTR;
	d->aperture_end = UINT64_MAX;
	nested_done(d, out);
	return 0;
}

unsigned iommu_domain_ste_cfg(const struct iommu_domain *d)
{
	if (!d->guest_ste || !(d->ste[0] & VSTE_0_V))
		return VSTE_CFG_ABORT;
	return (unsigned)((d->ste[0] >> VSTE_0_CFG_SHIFT) & VSTE_0_CFG_MASK);
}

/* ---- invalidation (§E.6) ------------------------------------------------------ */

static void q_add(GArray *q, struct iommu_inv_cmd c)
{
	g_array_append_val(q, c);
}

static GArray *q_new(void)
{
	return g_array_new(FALSE, FALSE, sizeof(struct iommu_inv_cmd));
}

/* Run the queue, closed by a wait. */
static void q_run(struct sim_world *w, GArray *q)
{
	q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_WAIT, .pasid = IOMMU_PASID_NONE });
	iommu_hw_invalidate(w, (const struct iommu_inv_cmd *)(void *)q->data, q->len);
	g_array_free(q, TRUE);
}

static uint32_t atc_tag(const struct iommu_dom_loc *l)
{
	return l->pasid ? l->pasid : IOMMU_PASID_NONE;
}

/* The IOTLB entries of @d in a range: untagged for stage 2, one PASID tag
 * per distinct PASID for stage 1 and nested. */
static void q_iotlb_range(GArray *q, const struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	/* the PASIDs seen: a scan of the locations (faster than a set up to
	 * a few hundred: bench_nesting), a set past that */
	GHashTable *seen_set = d->locs->len > 256 ? g_hash_table_new(g_direct_hash, g_direct_equal)
						 : NULL;

	if (d->type == IOMMU_DOMAIN_PAGING && d->stage == 2) {
		q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE, .did = d->did,
			.pasid = IOMMU_PASID_NONE, .iova = iova, .size = size });
		if (seen_set)
			g_hash_table_destroy(seen_set);
		return;
	}
	for (guint i = 0; i < d->locs->len; i++) {
		const struct iommu_dom_loc *l = &g_array_index(d->locs, struct iommu_dom_loc, i);
		bool seen = false;

		if (seen_set)
			seen = !g_hash_table_add(seen_set, GUINT_TO_POINTER(l->pasid + 1));
		for (guint j = 0; !seen_set && j < i && !seen; j++)
			seen = g_array_index(d->locs, struct iommu_dom_loc, j).pasid == l->pasid;
		if (seen)
			continue;
		if (size)
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE,
				.did = d->did, .pasid = l->pasid, .iova = iova, .size = size });
		else
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_PASID,
				.did = d->did, .pasid = l->pasid });
	}
	if (seen_set)
		g_hash_table_destroy(seen_set);
}

/* The device TLBs of @d's ATS requesters (size 0: each tag whole). */
static void q_devtlb(GArray *q, const struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	for (guint i = 0; i < d->locs->len; i++) {
		const struct iommu_dom_loc *l = &g_array_index(d->locs, struct iommu_dom_loc, i);

		if (l->ats)
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB,
				.segment = l->segment, .rid = l->rid, .pasid = atc_tag(l),
				.iova = iova, .size = size });
	}
}

/*
 * After @d's table changed in [iova, iova + size): IOTLB (and PSC), the
 * combined entries of every nested domain over it (domain-wide: a GPA
 * range says nothing of which GVAs used it), then the device TLBs, then a
 * wait.  @bugs leave steps out.
 */
static void flush_range(struct iommu_domain *d, uint64_t iova, uint64_t size, unsigned bugs)
{
	GArray *q = q_new();

	if (!(bugs & IOMMU_BUG_SKIP_IOTLB_FLUSH))
		q_iotlb_range(q, d, iova, size);
	for (guint i = 0; d->children && i < d->children->len &&
			  !(bugs & IOMMU_BUG_SKIP_NESTED_FLUSH); i++) {
		const struct iommu_domain *c = g_ptr_array_index(d->children, i);

		/* a guest's CD tables: every ASID of the VMID
		 * (arm_smmu_tlb_inv_range_domain's TLBI_NH_ALL for a nest
		 * parent) */
		if (c->guest_ste && iommu_domain_ste_cfg(c) == VSTE_CFG_S1)
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_VM, .did = d->did,
							 .pasid = IOMMU_PASID_NONE });
		else
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_DOMAIN,
							 .did = c->did, .pasid = IOMMU_PASID_NONE });
	}
	if (!(bugs & IOMMU_BUG_SKIP_DEVTLB_FLUSH)) {
		q_devtlb(q, d, iova, size);
		for (guint i = 0; d->children && i < d->children->len; i++)
			q_devtlb(q, g_ptr_array_index(d->children, i), 0, 0);
	}
	q_run(d->w, q);
}

int iommu_nested_invalidate(struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	GArray *q;

	if (!d || d->type != IOMMU_DOMAIN_NESTED || (size && iova + size - 1 < iova))
		return -EINVAL;
	q = q_new();
	q_iotlb_range(q, d, iova, size);
	q_devtlb(q, d, iova, size);
	q_run(d->w, q);
	return 0;
}

void iommu_nested_flush(struct iommu_domain *d, struct pci_dev *dev, uint32_t pasid,
			uint64_t iova, uint64_t size, unsigned what)
{
	GArray *q = q_new();

	if (size && iova + size - 1 < iova)
		size = 0;
	if (!dev) {
		if (what & IOMMU_NESTED_FLUSH_IOTLB)
			q_iotlb_range(q, d, iova, size);
		if (what & IOMMU_NESTED_FLUSH_DEVTLB)
			q_devtlb(q, d, iova, size);
		q_run(d->w, q);
		return;
	}
	if (what & IOMMU_NESTED_FLUSH_IOTLB)
		q_add(q, (struct iommu_inv_cmd){ .type = size ? IOMMU_INV_IOTLB_RANGE :
						 IOMMU_INV_IOTLB_PASID, .did = d->did,
						 .pasid = pasid, .iova = iova, .size = size });
	for (guint i = 0; (what & IOMMU_NESTED_FLUSH_DEVTLB) && i < d->locs->len; i++) {
		const struct iommu_dom_loc *l = &g_array_index(d->locs, struct iommu_dom_loc, i);

		if (l->ats && l->pasid == pasid && l->rid == (uint16_t)(dev->sbdf & 0xffff) &&
		    l->segment == PCI_SBDF_DOMAIN(dev->sbdf))
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB,
				.segment = l->segment, .rid = l->rid, .pasid = atc_tag(l),
				.iova = iova, .size = size });
	}
	q_run(d->w, q);
}

static int pasid_program(struct dom_state *st, struct pci_dev *dev, uint32_t pasid,
			 struct iommu_domain *from, struct iommu_domain *to);

void iommu_domain_free(struct iommu_domain *d)
{
	struct dom_state *st;

	if (!d)
		return;
	if (d->ops) {
		d->ops->free(d);
		return;
	}
	st = state_of(d->w);
	/* a nest parent going away takes its nested domains with it: each is
	 * blocked on every PASID it was on, and a group on one goes back to
	 * its default (or blocking) domain (iommufd holds the parent instead) */
	while (st && d->children && d->children->len) {
		struct iommu_domain *c = g_ptr_array_index(d->children, 0);

		while (c->locs->len) {
			const struct iommu_dom_loc l = g_array_index(c->locs, struct iommu_dom_loc, 0);
			struct pci_dev *dev = pci_dev_find(d->w, (uint32_t)l.segment << 16 | l.rid);
			struct iommu_group *g = dev ? dev->group : NULL;

			if (!l.pasid && g && g->domain == c)
				iommu_detach_group(c, g);   /* every RID of the group */
			else if (!dev || pasid_program(st, dev, l.pasid, c, NULL))
				g_array_remove_index(c->locs, 0);
		}
		iommu_domain_free(c);
	}
	SIM_TRACE(d->w, iommu_domain_free, d->did, type_names[d->type]);
	if (d->type == IOMMU_DOMAIN_PAGING)
		io_pgtable_destroy(&d->pt);
	if (d->type == IOMMU_DOMAIN_SVA)
		sim_mmu_notifier_unregister(d->mm, &d->mn);   /* a no-op once released */
	if (d->did) {
		GArray *q = q_new();

		q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_DOMAIN, .did = d->did,
						 .pasid = IOMMU_PASID_NONE });
		q_run(d->w, q);
	}
	if (d->parent && d->parent->children)
		g_ptr_array_remove(d->parent->children, d);
	if (d->type == IOMMU_DOMAIN_SVA) {
		if (st)
			g_ptr_array_remove(st->sva_domains, d);
		sim_mm_put(d->mm);       /* mmdrop: the last may free the PASID */
	}
	domain_release(st, d);
}

/* ---- context programming ------------------------------------------------- */

static enum iommu_hw_kind kind_of(struct sim_world *w)
{
	const struct iommu_hw_config *hc = iommu_hw_config(w);

	return hc ? hc->kind : IOMMU_HW_VTD;
}

/* The stages the hardware marks dirty for @d (IOMMU_CTX_DIRTY_*): VT-d's
 * SSADE while tracking is on, for a second-stage domain and for the nested
 * domains over one (intel_pasid_setup_second_level, _nested); SMMUv3's
 * CD.HA|HD for every dirty-ops domain (arm_smmu_make_s1_cd with
 * IO_PGTABLE_QUIRK_ARM_HD: always on). */
static unsigned dirty_stages(const struct iommu_domain *d)
{
	const struct iommu_domain *pd = d->type == IOMMU_DOMAIN_NESTED ? d->parent : d;

	if (!pd || !pd->dirty_ops)
		return 0;
	switch (kind_of(d->w)) {
	case IOMMU_HW_VTD:
		return pd->dirty_tracking ? IOMMU_CTX_DIRTY_S2 : 0;
	case IOMMU_HW_SMMUV3:
		return d->type == IOMMU_DOMAIN_PAGING && d->stage == 1 ? IOMMU_CTX_DIRTY_S1 : 0;
	default:
		return 0;
	}
}

/* A guest's STE (arm_smmu_make_nested_domain_ste): abort, the parent's
 * stage 2 alone (bypass), or nested over the guest's CD table, whose TLB
 * entries carry the guest's tags (IOMMU_GUEST_TAG of the parent's VMID). */
static void ctx_for_ste(const struct iommu_domain *d, struct iommu_context *ctx)
{
	const struct iommu_domain *p = d->parent;

	switch (iommu_domain_ste_cfg(d)) {
	case VSTE_CFG_BYPASS:
		ctx->type = IOMMU_CTX_TRANSLATE;
		ctx->did = p->did;
		ctx->s2_root = p->pt.root;
		ctx->s2_levels = p->pt.levels;
		break;
	case VSTE_CFG_S1:
		ctx->type = IOMMU_CTX_NESTED;
		ctx->did = IOMMU_GUEST_TAG(p->did, 0);
		ctx->s2_root = p->pt.root;
		ctx->s2_levels = p->pt.levels;
		ctx->s2_did = p->did;
		ctx->vste = true;
		ctx->vste0 = d->ste[0];
		ctx->vste1 = d->ste[1] | (d->ste_ats ? VSTE_1_EATS_TRANS : 0);
		break;
	default:
		ctx->type = IOMMU_CTX_BLOCKED;
		break;
	}
}

static void ctx_for(const struct iommu_domain *d, struct iommu_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	switch (d->type) {
	case IOMMU_DOMAIN_BLOCKED:
		ctx->type = IOMMU_CTX_BLOCKED;
		break;
	case IOMMU_DOMAIN_IDENTITY:
		ctx->type = IOMMU_CTX_PASSTHROUGH;
		break;
	case IOMMU_DOMAIN_PAGING:
		ctx->did = d->did;
		if (d->stage == 1) {
			ctx->type = IOMMU_CTX_S1;
			ctx->s1_root = d->pt.root;
			ctx->s1_levels = d->pt.levels;
		} else {
			ctx->type = IOMMU_CTX_TRANSLATE;
			ctx->s2_root = d->pt.root;
			ctx->s2_levels = d->pt.levels;
		}
		break;
	case IOMMU_DOMAIN_SVA:
		ctx->type = IOMMU_CTX_S1;
		ctx->did = d->did;
		ctx->s1_root = d->pt.root;
		ctx->s1_levels = d->pt.levels;
		break;
	case IOMMU_DOMAIN_NESTED:
		if (d->guest_ste) {
			ctx_for_ste(d, ctx);
			return;
		}
		ctx->type = IOMMU_CTX_NESTED;
		ctx->did = d->did;
		ctx->s1_root = d->s1_root;
		ctx->s1_levels = d->s1_levels;
		ctx->s2_root = d->parent->pt.root;
		ctx->s2_levels = d->parent->pt.levels;
		ctx->s2_did = d->parent->did;
		break;
	}
	ctx->dirty = dirty_stages(d);
}

static void loc_add(struct iommu_domain *d, const struct iommu_dom_loc *l)
{
	g_array_append_val(d->locs, *l);
}

static void loc_del(struct iommu_domain *d, uint16_t seg, uint16_t rid, uint32_t pasid)
{
	for (guint i = 0; i < d->locs->len; i++) {
		const struct iommu_dom_loc *l = &g_array_index(d->locs, struct iommu_dom_loc, i);

		if (l->segment == seg && l->rid == rid && l->pasid == pasid) {
			g_array_remove_index(d->locs, i);
			return;
		}
	}
}

/* The context-level commands after (seg, rid, pasid) was programmed: the
 * device entry's context-cache entry and every PASID-level entry under it
 * when the device entry changed (SMMUv3's STE, RISC-V's device context;
 * on VT-d the context entry), then the PASID-level entry itself (the
 * drivers flush it on every PASID-entry set-up). */
static void q_ctx(GArray *q, const struct iommu_dom_loc *l, unsigned bugs)
{
	if (bugs & IOMMU_BUG_SKIP_CTX_FLUSH)
		return;
	if (l->wrote & IOMMU_WROTE_DEVICE) {
		q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_CTX_CACHE,
			.segment = l->segment, .rid = l->rid, .pasid = IOMMU_PASID_NONE });
		q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE,
			.segment = l->segment, .rid = l->rid, .pasid = IOMMU_PASID_NONE });
	}
	q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE, .segment = l->segment,
					 .rid = l->rid, .pasid = l->pasid });
}

/* @from's IOTLB entries at @pasid (0: the RID path) after a location left
 * it. */
static void q_from(GArray *q, const struct iommu_domain *from, uint32_t pasid)
{
	if (from && from->guest_ste) {
		/* what the guest's STE tagged: the guest's ASIDs under the VMID,
		 * or the parent's untagged stage 2 (bypass) */
		if (iommu_domain_ste_cfg(from) == VSTE_CFG_S1)
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_VM,
				.did = from->parent->did, .pasid = IOMMU_PASID_NONE });
		/* substreams with S1DSS bypass: the untagged stream used the
		 * parent's stage 2 alone, under the parent's id */
		if (iommu_domain_ste_cfg(from) == VSTE_CFG_BYPASS ||
		    (iommu_domain_ste_cfg(from) == VSTE_CFG_S1 && (from->ste[0] >> 59) &&
		     (from->ste[1] & 3) == 1))
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_DOMAIN,
				.did = from->parent->did, .pasid = IOMMU_PASID_NONE });
	} else if (from && from->did) {
		/* stage-2-only entries carry no PASID tag, on a PASID as on the
		 * RID path: only a domain-wide flush reaches them (VT-d flushes
		 * a second-stage PASID entry's DID the same way) */
		if (pasid && (from->type == IOMMU_DOMAIN_NESTED || from->stage == 1))
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_PASID,
				.did = from->did, .pasid = pasid });
		else
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_DOMAIN,
				.did = from->did, .pasid = IOMMU_PASID_NONE });
	}
}

/* The commands after (seg, rid, pasid) moved away from @from: its context
 * and PASID cache entries, @from's IOTLB entries, the device TLB, a wait. */
static void q_switched(GArray *q, const struct iommu_dom_loc *l, const struct iommu_domain *from,
		       unsigned bugs)
{
	q_ctx(q, l, bugs);
	q_from(q, from, l->pasid);
	if (l->ats)
		q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB, .segment = l->segment,
						 .rid = l->rid, .pasid = atc_tag(l) });
}

struct program {
	struct sim_world *w;
	struct iommu_context ctx;
	GArray *rids;                /* struct iommu_dom_loc written (aliases repeat:
				      * each id once, a group has a few) */
	bool ats_ok;                 /* the domain's RIDs translate through ATS */
	bool ats_capable;            /* the profile allows ATS at all */
	int ret;
};

static int program_rid(struct pci_dev *visited, uint16_t rid, void *arg)
{
	struct program *pr = arg;
	struct iommu_dom_loc l = { .segment = PCI_SBDF_DOMAIN(visited->sbdf), .rid = rid };
	unsigned dev_wrote = 0;

	for (guint i = 0; i < pr->rids->len; i++) {
		struct iommu_dom_loc *o = &g_array_index(pr->rids, struct iommu_dom_loc, i);

		if (o->segment != l.segment || o->rid != rid)
			continue;
		/* written already as another function's alias (a quirk that makes
		 * function 0 DMA as function 1): if it is this function's own id
		 * and it has ATS, its device TLB must be flushed all the same */
		if (pr->ats_ok && rid == (visited->sbdf & 0xffff) && visited->ats)
			o->ats = true;
		return 0;
	}
	/* ATS on at the function while its domain wants it: a guest's STE
	 * only with the guest's EATS (arm_smmu_attach_commit enables or
	 * disables it at the endpoint) */
	if (pr->ats_capable && rid == (visited->sbdf & 0xffff) && visited->ats &&
	    iommu_hw_device_ats(pr->w, l.segment, rid) != pr->ats_ok) {
		struct iommu_dev_ctx dc = { .pasid_bits = iommu_device_pasid_bits(visited),
					    .ats = pr->ats_ok };

		pr->ret = iommu_hw_program_device(pr->w, l.segment, rid, &dc, &dev_wrote);
		if (pr->ret)
			return pr->ret;
	}
	pr->ret = iommu_hw_program_pasid(pr->w, l.segment, rid, 0, &pr->ctx, &l.wrote);
	if (pr->ret)
		return pr->ret;
	l.wrote |= dev_wrote;        /* its context-cache entry goes too */
	/* only the function's own requester id translates through ATS */
	l.ats = pr->ats_ok && rid == (visited->sbdf & 0xffff) && visited->ats;
	g_array_append_val(pr->rids, l);
	return 0;
}

/* Point every RID (and alias) of @g's devices at @d, each once, and list
 * them in @rids.  A group never spans PCI segments, so RIDs identify
 * entries. */
static int program_group(struct iommu_group *g, const struct iommu_domain *d, GArray *rids)
{
	struct program *pr = g_new0(struct program, 1);
	struct dom_state *st = state_of(iommu_group_world(g));
	int ret = 0;

	pr->w = iommu_group_world(g);
	pr->rids = rids;
	pr->ats_capable = st && !st->prof.no_ats;
	pr->ats_ok = pr->ats_capable &&
		     (!d->guest_ste || (iommu_domain_ste_cfg(d) == VSTE_CFG_S1 && d->ste_ats));
	ctx_for(d, &pr->ctx);
	for (size_t i = 0; i < g->ndevices && !ret; i++)
		if (pci_for_each_dma_alias(g->devices[i], program_rid, pr))
			ret = pr->ret;
	g_free(pr);
	return ret;
}

/* Switch @g from its current domain to @to; all or nothing. */
static int switch_domain(struct iommu_group *g, struct iommu_domain *to)
{
	struct iommu_domain *from = g->domain;
	struct dom_state *st = state_of(iommu_group_world(g));
	GArray *rids, *q;
	int ret;

	if (from == to)
		return 0;
	rids = g_array_new(FALSE, FALSE, sizeof(struct iommu_dom_loc));
	ret = program_group(g, to, rids);
	if (ret) {
		if (from) {
			g_array_set_size(rids, 0);
			program_group(g, from, rids);   /* frames exist now: cannot fail */
		}
		g_array_free(rids, TRUE);
		return ret;
	}
	/* PASID caches, the old domain's IOTLB entries, device TLBs, a wait */
	q = q_new();
	for (guint i = 0; i < rids->len; i++) {
		const struct iommu_dom_loc *l = &g_array_index(rids, struct iommu_dom_loc, i);

		q_ctx(q, l, st ? st->prof.bugs : 0);
		if (from)
			loc_del(from, l->segment, l->rid, 0);
		loc_add(to, l);
	}
	q_from(q, from, 0);
	for (guint i = 0; i < rids->len; i++) {
		const struct iommu_dom_loc *l = &g_array_index(rids, struct iommu_dom_loc, i);

		if (l->ats)
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB,
				.segment = l->segment, .rid = l->rid, .pasid = IOMMU_PASID_NONE });
	}
	q_run(iommu_group_world(g), q);
	g_array_free(rids, TRUE);
	if (from)
		from->attached--;
	to->attached++;
	g->domain = to;
	return 0;
}

int iommu_attach_group(struct iommu_domain *d, struct iommu_group *g)
{
	struct dom_state *st = state_of(d->w);
	int ret;

	if (!st)
		ret = -ENODEV;
	else if (g->domain != g->default_domain && g->domain != st->blocking)
		ret = -EBUSY;
	else if (sim_should_fail(d->w, "iommu_attach"))
		ret = -ENOMEM;
	else
		ret = switch_domain(g, d);
	SIM_TRACE(d->w, iommu_attach, g->id, d->did, type_names[d->type], ret);
	return ret;
}

void iommu_detach_group(struct iommu_domain *d, struct iommu_group *g)
{
	struct dom_state *st = state_of(d->w);

	if (!st || g->domain != d)
		return;
	switch_domain(g, g->owner ? st->blocking : g->default_domain);
}

int iommu_group_replace_domain(struct iommu_group *g, struct iommu_domain *d)
{
	struct dom_state *st = state_of(d->w);
	int ret;

	if (!st)
		ret = -ENODEV;
	else if (sim_should_fail(d->w, "iommu_attach"))
		ret = -ENOMEM;
	else
		ret = switch_domain(g, d);
	SIM_TRACE(d->w, iommu_attach, g->id, d->did, type_names[d->type], ret);
	return ret;
}

struct iommu_domain *iommu_domain_by_did(struct sim_world *w, uint16_t did)
{
	struct dom_state *st = state_of(w);

	return st && did ? sim_ids_find(&st->dids, did) : NULL;
}

struct iommu_domain *iommu_group_domain(struct iommu_group *g)
{
	return g->domain;
}

struct iommu_domain *iommu_group_default_domain(struct iommu_group *g)
{
	return g->default_domain;
}

int iommu_group_block(struct iommu_group *g)
{
	struct dom_state *st = state_of(iommu_group_world(g));

	if (!st)
		return 0;
	if (g->domain != g->default_domain)
		return -EBUSY;
	return switch_domain(g, st->blocking);
}

void iommu_group_unblock(struct iommu_group *g)
{
	struct dom_state *st = state_of(iommu_group_world(g));

	if (st && g->domain == st->blocking)
		switch_domain(g, g->default_domain);
}

/* ---- map / unmap ----------------------------------------------------------- */

static const char *prot_name(unsigned prot)
{
	static const char *const names[] = { "none", "r", "w", "rw" };

	return names[prot & 3];
}

/*
 * The permission bits the kernel writes for @prot.  intel-iommu's
 * __domain_mapping ORs DMA_FL_PTE_PRESENT into every entry, first-level or
 * not, and on a second-level entry that bit is DMA_PTE_READ (both bit 0):
 * a mapping made WRITE-only is readable by the device.  Since v5.13
 * (eea53c581688, "Remove WO permissions on second-level paging entries")
 * until v6.16 (6f5dc7658094, "Restore WO permissions on second-level paging
 * entries"), so in 6.1, 6.2 and 6.12; mainline writes what was asked.  Only the
 * bits differ: the table and the hardware stay faithful to them.
 */
static unsigned kernel_pte_prot(const struct iommu_domain *d, unsigned prot)
{
	if (d->pt.fmt == &io_pgtable_vtd_ss && (prot & (IOMMU_READ | IOMMU_WRITE)) &&
	    sim_kernel_before(d->w, 6, 16))
		prot |= IOMMU_READ;
	return prot;
}

bool iommu_domain_enforce_cache_coherency(const struct iommu_domain *d)
{
	const struct iommu_hw_config *hc;

	if (!d || d->type != IOMMU_DOMAIN_PAGING || !(hc = iommu_hw_config(d->w)))
		return false;
	switch (hc->kind) {
	case IOMMU_HW_VTD:
		return hc->snoop_control;
	case IOMMU_HW_SMMUV3:
		return hc->snoop_control && !sim_kernel_before(d->w, 6, 13);
	default:
		return false;
	}
}

bool iommu_group_has_isolated_msi(struct sim_world *w, struct iommu_group *g)
{
	const struct iommu_hw_config *hc = iommu_hw_config(w);

	return g && hc && !hc->no_irq_remapping;
}

bool iommu_dev_cache_coherent(struct sim_world *w)
{
	const struct iommu_hw_config *hc = iommu_hw_config(w);

	return hc && !(hc->kind == IOMMU_HW_SMMUV3 && hc->no_coherent_walk);
}

unsigned iommu_domain_pte_prot(const struct iommu_domain *d, unsigned prot)
{
	if (!d || d->type != IOMMU_DOMAIN_PAGING)
		return 0;
	return io_pgtable_fmt_prot(d->pt.fmt, kernel_pte_prot(d, prot));
}

int iommu_map(struct iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t size,
	      unsigned prot)
{
	int ret;

	if (d->ops)
		ret = d->ops->map(d, iova, hpa, size, prot);
	else if (d->type != IOMMU_DOMAIN_PAGING || !size || iova + size - 1 < iova ||
	    iova < d->aperture_start || iova + size - 1 > d->aperture_end)
		ret = -EINVAL;
	else if (d->naive_map)
		ret = io_pgtable_map_naive(&d->pt, iova, hpa, size, kernel_pte_prot(d, prot));
	else
		ret = io_pgtable_map(&d->pt, iova, hpa, size, kernel_pte_prot(d, prot));
	if (!ret && iova + size > d->max_addr)
		d->max_addr = iova + size;
	SIM_TRACE(d->w, iommu_map, d->did, (unsigned long long)iova,
		  (unsigned long long)hpa, (unsigned long long)size, prot_name(prot), ret);
	return ret;
}

uint64_t iommu_unmap(struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	struct dom_state *st = state_of(d->w);
	unsigned bugs = st ? st->prof.bugs : 0;
	int64_t ret;

	if (d->ops) {
		ret = (int64_t)d->ops->unmap(d, iova, size);
		SIM_TRACE(d->w, iommu_unmap, d->did, (unsigned long long)iova,
			  (unsigned long long)size, (unsigned long long)ret);
		return (uint64_t)ret;
	}
	if (d->type != IOMMU_DOMAIN_PAGING || !size)
		return 0;
	/* the caches forget the range before unmap returns (spec §C, §E.6,
	 * §H8): table write first, then IOTLB, device TLBs, wait */
	if (bugs & IOMMU_BUG_FLUSH_BEFORE_WRITE)
		flush_range(d, iova, size, bugs);
	ret = io_pgtable_unmap(&d->pt, iova, size);
	if (ret < 0)
		ret = 0;
	if (!(bugs & IOMMU_BUG_FLUSH_BEFORE_WRITE))
		flush_range(d, iova, size, bugs);
	SIM_TRACE(d->w, iommu_unmap, d->did, (unsigned long long)iova,
		  (unsigned long long)size, (unsigned long long)ret);
	return (uint64_t)ret;
}

/* ---- SVA domains ------------------------------------------------------------------ */

static struct iommu_domain *mn_domain(struct sim_mmu_notifier *mn)
{
	return (struct iommu_domain *)((char *)mn - offsetof(struct iommu_domain, mn));
}

/*
 * arch_invalidate_secondary_tlbs (intel_arch_invalidate_secondary_tlbs,
 * arm_smmu_mm_arch_invalidate_secondary_tlbs): the mm changed
 * [start, end) - a page unmapped, write-protected, copied - while the old
 * page still lives: the IOTLB entries of every PASID the domain is on, the
 * device TLBs of its ATS requesters, a wait.  The injected bug skips it.
 */
static void sva_invalidate(struct sim_mmu_notifier *mn, struct sim_mm *mm, uint64_t start,
			   uint64_t end)
{
	struct iommu_domain *d = mn_domain(mn);

	(void)mm;
	if (!(iommu_bugs(d->w) & IOMMU_BUG_SKIP_MM_INVALIDATE) && end > start && d->locs->len)
		flush_range(d, start, end - start, 0);
}

/*
 * The mm's last user exits (intel_mm_release, arm_smmu_mm_release): DMA may
 * still be running, so every PASID the domain is on keeps an entry that
 * translates nothing (VT-d tears the PASID entry down with fault processing
 * disabled; SMMUv3 keeps the CD valid with translation off), flushed; the
 * bonds and the PASID stay until the driver unbinds.
 */
static void sva_release(struct sim_mmu_notifier *mn, struct sim_mm *mm)
{
	struct iommu_domain *d = mn_domain(mn);
	struct dom_state *st = state_of(d->w);
	struct iommu_context blocked = { .type = IOMMU_CTX_BLOCKED };

	(void)mm;
	d->mm_released = true;
	for (guint i = 0; st && i < d->locs->len; i++) {
		struct iommu_dom_loc *l = &g_array_index(d->locs, struct iommu_dom_loc, i);
		GArray *q;

		if (iommu_hw_program_pasid(d->w, l->segment, l->rid, l->pasid, &blocked, &l->wrote))
			continue;
		q = q_new();
		q_switched(q, l, d, st->prof.bugs);
		q_run(d->w, q);
	}
}

static const struct sim_mmu_notifier_ops sva_mn_ops = {
	.invalidate = sva_invalidate,
	.release = sva_release,
};

/* The levels of the IOMMU's stage-1 format that walk the world's CPU page
 * tables, 0 when its MMU is not one the kind reads. */
static unsigned sva_levels(enum iommu_hw_kind kind, enum sim_mmu_fmt mmu)
{
	switch (kind) {
	case IOMMU_HW_VTD:
		return mmu == SIM_MMU_X86_64_4L ? 4 : mmu == SIM_MMU_X86_64_5L ? 5 : 0;
	case IOMMU_HW_SMMUV3:
		return mmu == SIM_MMU_ARM64_4K ? 4 : 0;
	default:
		return 0;
	}
}

int iommu_domain_alloc_sva(struct pci_dev *dev, struct sim_mm *mm, struct iommu_domain **out)
{
	struct dom_state *st = dev && dev->group ? state_of(iommu_group_world(dev->group)) : NULL;
	const struct io_pgtable_fmt *fmt;
	struct iommu_domain *d;
	unsigned levels;
	uint64_t root;
	int ret;

	if (!st)
		return -ENODEV;
	if (st->kind == IOMMU_HW_RISCV)
		return -EOPNOTSUPP;     /* drivers/iommu/riscv: no domain_alloc_sva */
	levels = sva_levels(st->kind, sim_world_mmu(st->w));
	fmt = levels ? iommu_hw_fmt(st->kind, IO_PGTABLE_STAGE1, levels) : NULL;
	if (!fmt || !mm || mm->native || !sim_mm_alive(mm))
		return -EINVAL;
	if (sim_should_fail(st->w, "iommu_domain_alloc"))
		return -ENOMEM;
	if ((ret = sim_mm_pgd(mm, &root)))
		return ret;
	d = domain_new(st, IOMMU_DOMAIN_SVA);
	if (!d)
		return -ENOMEM;
	d->stage = 1;
	d->pt = (struct io_pgtable){ .w = st->w, .fmt = fmt, .levels = levels, .root = root };
	d->pgsize_bitmap = fmt->pgsize_bitmap & (SZ_4K | SZ_2M | SZ_1G);
	d->aperture_end = sim_mmu_va_limit(sim_world_mmu(st->w)) - 1;
	d->mm = sim_mm_get(mm);
	d->mn.ops = &sva_mn_ops;
	d->iopf_handler = iommu_sva_iopf_handler;
	sim_mmu_notifier_register(mm, &d->mn);
	g_ptr_array_add(st->sva_domains, d);
	SIM_TRACE(st->w, iommu_domain_alloc, d->did, type_names[d->type]);
	*out = d;
	return 0;
}

/* ---- (device, PASID) ------------------------------------------------------------ */

static gpointer pasid_key(const struct pci_dev *dev, uint32_t pasid)
{
	return (gpointer)(uintptr_t)((uint64_t)dev->sbdf << 32 | pasid);
}

unsigned iommu_device_pasid_bits(struct pci_dev *dev)
{
	const struct iommu_hw_config *hc =
		iommu_hw_config(dev && dev->group ? iommu_group_world(dev->group) : NULL);
	unsigned bits = dev ? dev->pasid_width : 0;

	if (!hc)
		return 0;
	return bits < hc->pasid_bits ? bits : hc->pasid_bits;
}

unsigned iommu_pasid_gpasid_binds(struct sim_world *w, uint32_t pasid)
{
	struct dom_state *st = state_of(w);
	GHashTableIter it;
	gpointer k, v;
	unsigned n = 0;

	if (!st)
		return 0;
	/* a count: the table's order does not matter */
	g_hash_table_iter_init(&it, st->pasids);
	while (g_hash_table_iter_next(&it, &k, &v))
		if ((uint32_t)(GPOINTER_TO_SIZE(k) & 0xffffffffu) == pasid &&
		    ((struct iommu_domain *)v)->gpasid_users)
			n++;
	return n;
}

void **iommu_iopf_slot(struct sim_world *w)
{
	struct dom_state *st = state_of(w);

	return st ? &st->iopf : NULL;
}

bool iommu_device_ats(struct pci_dev *dev)
{
	struct dom_state *st = dev && dev->group ? state_of(iommu_group_world(dev->group)) : NULL;

	return st && dev->ats && !st->prof.no_ats;
}

int iommu_alloc_global_pasid(struct pci_dev *dev, void *owner, uint32_t *pasid)
{
	struct dom_state *st = dev && dev->group ? state_of(iommu_group_world(dev->group)) : NULL;
	unsigned bits = iommu_device_pasid_bits(dev);
	int64_t id;

	*pasid = IOMMU_PASID_INVALID;
	if (!st || !owner || !bits)
		return -ENOSPC;   /* max_pasids 0: the device has no PASID */
	id = sim_ids_alloc(st->w, &st->global_pasids, owner, IOMMU_FIRST_GLOBAL_PASID,
			   (uint32_t)((1ull << bits) - 1));
	if (id < 0)
		return (int)id;
	*pasid = (uint32_t)id;
	return 0;
}

int iommu_alloc_global_pasid_range(struct sim_world *w, uint32_t min, uint32_t max,
				   void *owner, uint32_t *pasid)
{
	struct dom_state *st = state_of(w);
	int64_t id;

	*pasid = IOMMU_PASID_INVALID;
	if (min < IOMMU_FIRST_GLOBAL_PASID)
		min = IOMMU_FIRST_GLOBAL_PASID;
	if (max > IOMMU_PCI_PASID_MAX)
		max = IOMMU_PCI_PASID_MAX;
	if (!st || !owner || min > max)
		return -ENOSPC;
	id = sim_ids_alloc(st->w, &st->global_pasids, owner, min, max);
	if (id < 0)
		return (int)id;
	*pasid = (uint32_t)id;
	return 0;
}

void iommu_free_global_pasid(struct sim_world *w, uint32_t pasid)
{
	struct dom_state *st = state_of(w);

	if (st && pasid != IOMMU_PASID_INVALID)
		sim_ids_remove(&st->global_pasids, pasid);
}

void *iommu_global_pasid_owner(struct sim_world *w, uint32_t pasid)
{
	struct dom_state *st = state_of(w);

	return st && pasid != IOMMU_PASID_INVALID ? sim_ids_find(&st->global_pasids, pasid) : NULL;
}

struct iommu_domain *iommu_device_pasid_domain(struct pci_dev *dev, uint32_t pasid)
{
	struct dom_state *st = dev && dev->group ? state_of(iommu_group_world(dev->group)) : NULL;

	return st ? g_hash_table_lookup(st->pasids, pasid_key(dev, pasid)) : NULL;
}

/* Write @to (NULL: clear) at (@dev, @pasid) and invalidate after @from. */
static int pasid_program(struct dom_state *st, struct pci_dev *dev, uint32_t pasid,
			 struct iommu_domain *from, struct iommu_domain *to)
{
	struct iommu_dom_loc l = { .segment = PCI_SBDF_DOMAIN(dev->sbdf),
				   .rid = (uint16_t)(dev->sbdf & 0xffff), .pasid = pasid,
				   .ats = iommu_device_ats(dev) };
	struct iommu_context ctx;
	GArray *q;
	int ret;

	if (to)
		ctx_for(to, &ctx);
	ret = iommu_hw_program_pasid(st->w, l.segment, l.rid, pasid, to ? &ctx : NULL, &l.wrote);
	if (ret)
		return ret;
	q = q_new();
	q_switched(q, &l, from, st->prof.bugs);
	q_run(st->w, q);
	if (from)
		loc_del(from, l.segment, l.rid, pasid);
	if (to) {
		loc_add(to, &l);
		g_hash_table_insert(st->pasids, pasid_key(dev, pasid), to);
	} else {
		g_hash_table_remove(st->pasids, pasid_key(dev, pasid));
	}
	return 0;
}

static int pasid_args(struct dom_state *st, struct iommu_domain *d, struct pci_dev *dev,
		      uint32_t pasid)
{
	if (!st || !dev || !dev->group)
		return -ENODEV;
	if (!pasid || pasid >> iommu_device_pasid_bits(dev))
		return -EINVAL;
	if (d->type != IOMMU_DOMAIN_PAGING && d->type != IOMMU_DOMAIN_NESTED &&
	    d->type != IOMMU_DOMAIN_SVA)
		return -EINVAL;
	/* intel_iommu_set_dev_pasid: no dirty-tracking domain on a PASID */
	if (d->dirty_ops && kind_of(d->w) == IOMMU_HW_VTD)
		return -EINVAL;
	return 0;
}

static void trace_pasid(struct sim_world *w, struct pci_dev *dev, uint32_t pasid,
			const struct iommu_domain *d, const char *op, int ret)
{
	SIM_TRACE(w, iommu_pasid_attach, dev ? dev->name : "?", pasid, d->did,
		  type_names[d->type], op, ret);
}

int iommu_attach_device_pasid(struct iommu_domain *d, struct pci_dev *dev, uint32_t pasid)
{
	struct dom_state *st = state_of(d->w);
	int ret = pasid_args(st, d, dev, pasid);

	if (!ret && g_hash_table_lookup(st->pasids, pasid_key(dev, pasid)))
		ret = -EBUSY;
	if (!ret && sim_should_fail(d->w, "iommu_attach"))
		ret = -ENOMEM;
	if (!ret)
		ret = pasid_program(st, dev, pasid, NULL, d);
	trace_pasid(d->w, dev, pasid, d, "attach", ret);
	return ret;
}

int iommu_replace_device_pasid(struct iommu_domain *d, struct pci_dev *dev, uint32_t pasid)
{
	struct dom_state *st = state_of(d->w);
	struct iommu_domain *from = NULL;
	int ret = pasid_args(st, d, dev, pasid);

	if (!ret && !(from = g_hash_table_lookup(st->pasids, pasid_key(dev, pasid))))
		ret = -EINVAL;
	if (!ret && from != d)
		ret = pasid_program(st, dev, pasid, from, d);
	trace_pasid(d->w, dev, pasid, d, "replace", ret);
	return ret;
}

int iommu_detach_device_pasid(struct iommu_domain *d, struct pci_dev *dev, uint32_t pasid)
{
	struct dom_state *st = state_of(d->w);
	int ret = pasid_args(st, d, dev, pasid);

	if (!ret && g_hash_table_lookup(st->pasids, pasid_key(dev, pasid)) != d)
		ret = -EINVAL;
	if (!ret && (st->prof.bugs & IOMMU_BUG_PASID_FREE_WHILE_BOUND)) {
		/* the injected bug: the PASID leaves the group's pasid_array
		 * (free for reuse, and the caller frees the domain), but
		 * __iommu_remove_group_pasid never tore the device's PASID
		 * entry down: it still selects @d, flushed or not */
		loc_del(d, PCI_SBDF_DOMAIN(dev->sbdf), (uint16_t)(dev->sbdf & 0xffff), pasid);
		g_hash_table_remove(st->pasids, pasid_key(dev, pasid));
	} else if (!ret) {
		ret = pasid_program(st, dev, pasid, d, NULL);
	}
	trace_pasid(d->w, dev, pasid, d, "detach", ret);
	return ret;
}

/* A nested domain's stage-1 descriptors are read at GPAs: through the
 * parent's table, which must let the IOMMU read them (§H24). */
static int read_via_parent(void *ctx, const struct io_pgtable_ref *ref, uint64_t *pte)
{
	const struct iommu_domain *parent = ctx;
	struct io_pgtable_walk s2;

	if (io_pgtable_lookup(&parent->pt, ref->addr, &s2) || !(s2.prot & IOMMU_READ))
		return -ENOENT;
	*pte = sim_mem_read64(parent->w, s2.out);
	return 0;
}

/*
 * The kernel's own walk of a nested domain (no hardware, no caches): the
 * guest's stage 1 with every table fetched through stage 2, then the
 * output GPA through stage 2; the permission is S1 ∩ S2 (spec §E.4).
 */
static int nested_to_phys(const struct iommu_domain *d, uint64_t iova, uint64_t *hpa,
			  unsigned *prot)
{
	const struct io_pgtable_fmt *fmt =
		iommu_hw_fmt(iommu_hw_config(d->w)->kind, IO_PGTABLE_STAGE1, d->s1_levels);
	struct io_pgtable s1 = { .w = d->w, .fmt = fmt, .levels = d->s1_levels,
				 .root = d->s1_root };
	struct io_pgtable_walker wk = { .read = read_via_parent, .ctx = d->parent };
	struct io_pgtable_walk w1, w2;

	if (!fmt || io_pgtable_walk(&s1, iova, &wk, &w1) ||
	    io_pgtable_lookup(&d->parent->pt, w1.out, &w2))
		return -ENOENT;
	*hpa = w2.out;
	*prot = w1.prot & w2.prot;
	return 0;
}

/* The guest's CD for @ssid (IOMMU_PASID_NONE: the untagged stream) as the
 * kernel reads it from the guest's CD table through stage 2 (the SMMUv3
 * architecture's STE and CD fields): 0 with its stage-1 root and levels,
 * 1 for stage 2 alone (S1DSS bypass), -ENOENT. */
static int guest_cd(const struct iommu_domain *d, uint32_t ssid, uint64_t *root,
		    unsigned *levels)
{
	unsigned cdmax = (unsigned)(d->ste[0] >> 59);
	/* S1Fmt is ignored without substreams: the pointer is the one CD */
	unsigned fmt = cdmax ? (unsigned)(d->ste[0] >> 4) & 3 : 0;
	unsigned s1dss = (unsigned)d->ste[1] & 3, split = fmt == 1 ? 6 : 10, ias;
	struct io_pgtable_ref ref = { 0 };
	uint64_t q0, q1, l1;

	if (ssid == IOMMU_PASID_NONE) {
		if (cdmax && s1dss == 1)
			return 1;                /* BYPASS */
		if (cdmax && s1dss != 2)
			return -ENOENT;          /* TERMINATE, reserved */
		ssid = 0;
	} else if (!cdmax || ssid >> cdmax) {
		return -ENOENT;
	}
	ref.addr = d->s1_root + 64ull * ssid;
	if (fmt == 1 || fmt == 2) {              /* two levels */
		ref.addr = d->s1_root + 8ull * (ssid >> split);
		if (read_via_parent(d->parent, &ref, &l1) || !(l1 & 1))
			return -ENOENT;
		ref.addr = (l1 & (((1ull << 52) - 1) & ~0xfffull)) +
			   64ull * (ssid & ((1u << split) - 1));
	} else if (fmt) {
		return -ENOENT;
	}
	if (read_via_parent(d->parent, &ref, &q0))
		return -ENOENT;
	ref.addr += 8;
	if (read_via_parent(d->parent, &ref, &q1))
		return -ENOENT;
	/* V, not EPD0, AArch64 with the 4 KiB granule, a full-root size */
	ias = 64 - (unsigned)(q0 & 0x3f);
	if (!(q0 & (1ull << 31)) || (q0 & (1ull << 14)) || !(q0 & (1ull << 41)) ||
	    ((q0 >> 6) & 3) || ias <= 12 || (ias - 12) % 9)
		return -ENOENT;
	*levels = (ias - 12) / 9;
	*root = q1 & (((1ull << 52) - 1) & ~0xfffull);
	return 0;
}

int iommu_nested_ste_to_phys(const struct iommu_domain *d, uint32_t ssid, uint64_t iova,
			     uint64_t *hpa, unsigned *prot)
{
	struct iommu_domain view;
	struct io_pgtable_walk wk;
	int r;

	if (!d->guest_ste)
		return -ENOENT;
	switch (iommu_domain_ste_cfg(d)) {
	case VSTE_CFG_BYPASS:
		r = 1;
		break;
	case VSTE_CFG_S1:
		view = *d;
		r = guest_cd(d, ssid, &view.s1_root, &view.s1_levels);
		if (r == 0)
			return nested_to_phys(&view, iova, hpa, prot);
		break;
	default:
		r = -ENOENT;
		break;
	}
	if (r < 0 || io_pgtable_lookup(&d->parent->pt, iova, &wk))
		return -ENOENT;
	*hpa = wk.out;
	*prot = wk.prot;
	return 0;
}

int iommu_iova_to_phys(struct iommu_domain *d, uint64_t iova, uint64_t *hpa,
		       unsigned *prot)
{
	struct io_pgtable_walk wk;

	if (d->ops)
		return d->ops->iova_to_phys(d, iova, hpa, prot);
	if (d->guest_ste)
		return iommu_nested_ste_to_phys(d, IOMMU_PASID_NONE, iova, hpa, prot);
	if (d->type == IOMMU_DOMAIN_NESTED)
		return nested_to_phys(d, iova, hpa, prot);
	if ((d->type != IOMMU_DOMAIN_PAGING && d->type != IOMMU_DOMAIN_SVA) ||
	    (d->type == IOMMU_DOMAIN_SVA && d->mm_released) || io_pgtable_lookup(&d->pt, iova, &wk))
		return -ENOENT;
	*hpa = wk.out;
	*prot = wk.prot;
	return 0;
}

size_t iommu_get_resv_regions(struct sim_world *w, struct iommu_group *g,
			      struct iommu_resv_region *out, size_t max)
{
	const struct iommu_hw_config *hc;

	if (!g || !max || !(hc = iommu_hw_config(w)))
		return 0;
	switch (hc->kind) {
	case IOMMU_HW_VTD:
		out[0] = (struct iommu_resv_region){ VTD_MSI_START, VTD_MSI_END, "msi" };
		return 1;
	case IOMMU_HW_SMMUV3:
		out[0] = (struct iommu_resv_region){ SMMU_MSI_BASE,
						     SMMU_MSI_BASE + SMMU_MSI_LENGTH - 1, "msi" };
		return 1;
	default:
		return 0;
	}
}

/* ---- dirty tracking ------------------------------------------------------------ */

bool iommu_dirty_tracking_capable(struct sim_world *w)
{
	const struct iommu_hw_config *hc = iommu_hw_config(w);

	if (!hc || hc->no_dirty_tracking)
		return false;
	switch (hc->kind) {
	case IOMMU_HW_VTD:
		/* ssads_supported: sm_supported && ecap_slads && ecap_smpwc */
		return !sim_kernel_before(w, 6, 7);
	case IOMMU_HW_SMMUV3:
		/* arm_smmu_dbm_capable: FEAT_HD and FEAT_COHERENCY */
		return !sim_kernel_before(w, 6, 11) && !hc->no_coherent_walk;
	default:
		return false;
	}
}

int iommu_domain_alloc_paging_flags(struct sim_world *w, unsigned flags,
				    struct iommu_domain **out)
{
	struct dom_state *st = state_of(w);
	bool np = flags & IOMMU_DOMAIN_ALLOC_NEST_PARENT;
	bool dirty = flags & IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING;
	struct iommu_domain *d;
	unsigned stage = 2;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!st)
		return -ENODEV;
	if (flags & ~(IOMMU_DOMAIN_ALLOC_NEST_PARENT | IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING))
		return -EOPNOTSUPP;
	if (dirty && !iommu_dirty_tracking_capable(w))
		return -EOPNOTSUPP;
	/* nested_supported / ARM_SMMU_FEAT_NESTING */
	if (np && iommu_hw_config(w)->no_nesting)
		return -EOPNOTSUPP;
	if (!flags) {
		d = iommu_domain_alloc(w, IOMMU_DOMAIN_PAGING);
		if (!d)
			return -ENOMEM;
		*out = d;
		return 0;
	}
	/* VT-d: "Always allocate the guest compatible page table unless
	 * IOMMU_HWPT_ALLOC_NEST_PARENT or IOMMU_HWPT_ALLOC_DIRTY_TRACKING is
	 * specified": second stage for either.  SMMUv3: dirty tracking is a
	 * stage-1 domain's (arm_smmu_domain_finalise: -EOPNOTSUPP for stage
	 * 2), a nest parent a stage-2 one. */
	if (st->kind == IOMMU_HW_SMMUV3) {
		if (np && dirty)
			return -EOPNOTSUPP;
		stage = dirty ? 1 : 2;
	}
	d = iommu_domain_alloc_paging(w, stage, np);
	if (!d)
		return -ENOMEM;
	if (dirty) {
		d->dirty_ops = true;
		if (st->kind == IOMMU_HW_SMMUV3)
			d->pt.quirks |= IO_PGTABLE_QUIRK_ARM_HD;
	}
	*out = d;
	return 0;
}

/* Program @d's dirty stages into every PASID entry it is installed at:
 * intel_pasid_setup_dirty_tracking's PASID-cache invalidation, a
 * domain-selective IOTLB flush (the entries cache the D state), the device
 * TLB, a wait. */
static int dirty_reprogram(struct iommu_domain *d)
{
	struct dom_state *st = state_of(d->w);
	struct iommu_context ctx;
	int ret = 0;

	ctx_for(d, &ctx);
	for (guint i = 0; i < d->locs->len && !ret; i++) {
		struct iommu_dom_loc l = g_array_index(d->locs, struct iommu_dom_loc, i);
		GArray *q;

		ret = iommu_hw_program_pasid(d->w, l.segment, l.rid, l.pasid, &ctx, &l.wrote);
		if (ret)
			break;
		q = q_new();
		q_ctx(q, &l, st ? st->prof.bugs : 0);
		q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_DOMAIN, .did = d->did,
						 .pasid = IOMMU_PASID_NONE });
		if (l.ats)
			q_add(q, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB,
				.segment = l.segment, .rid = l.rid, .pasid = atc_tag(&l) });
		q_run(d->w, q);
	}
	return ret;
}

/* The domain and, for a nest parent, every nested domain over it
 * (parent_domain_set_dirty_tracking). */
static int dirty_reprogram_all(struct iommu_domain *d)
{
	int ret = dirty_reprogram(d);

	for (guint i = 0; !ret && d->children && i < d->children->len; i++)
		ret = dirty_reprogram(g_ptr_array_index(d->children, i));
	return ret;
}

int iommu_domain_set_dirty_tracking(struct iommu_domain *d, bool enable)
{
	int ret = 0;

	if (!d || !d->dirty_ops)
		return -EOPNOTSUPP;
	if (kind_of(d->w) != IOMMU_HW_VTD) {
		/* arm_smmu_set_dirty_tracking: "Always enabled and the dirty
		 * bitmap is cleared prior to set_dirty_tracking()" */
		d->dirty_tracking = enable;
	} else if (d->dirty_tracking != enable) {
		d->dirty_tracking = enable;
		ret = dirty_reprogram_all(d);
		if (ret) {
			d->dirty_tracking = !enable;
			dirty_reprogram_all(d);
		}
	}
	SIM_TRACE(d->w, iommu_dirty_tracking, d->did, enable, ret);
	return ret;
}

struct dirty_gather {
	void (*record)(void *ctx, uint64_t iova, uint64_t len);
	void *ctx;
	uint64_t lo, end;            /* iommu_iotlb_gather: first and past last */
	bool any;
};

static void dirty_note(void *arg, uint64_t iova, uint64_t len)
{
	struct dirty_gather *g = arg;

	if (g->record)
		g->record(g->ctx, iova, len);
	if (!g->any || iova < g->lo)
		g->lo = iova;
	if (!g->any || iova + len > g->end)
		g->end = iova + len;
	g->any = true;
}

int iommu_domain_read_and_clear_dirty(struct iommu_domain *d, uint64_t iova, uint64_t size,
				      unsigned long flags,
				      void (*record)(void *ctx, uint64_t iova, uint64_t len),
				      void *ctx)
{
	struct dirty_gather g = { .record = record, .ctx = ctx };
	bool no_clear = flags & IOMMU_DIRTY_NO_CLEAR;
	struct dom_state *st;
	int ret = 0, n = 0;

	if (!d || !d->dirty_ops)
		return -EOPNOTSUPP;
	st = state_of(d->w);
	if ((flags & ~(unsigned long)IOMMU_DIRTY_NO_CLEAR) || !size || iova + size - 1 < iova)
		ret = -EINVAL;
	else if (kind_of(d->w) == IOMMU_HW_VTD && !d->dirty_tracking && record)
		ret = -EINVAL;           /* only iommufd's clear-before-enable */
	else if ((n = io_pgtable_read_and_clear_dirty(&d->pt, iova, size, no_clear, dirty_note,
						      &g)) < 0)
		ret = n;
	/* iommu_iotlb_sync over the gathered range, unless nothing changed */
	else if (!no_clear && g.any && !(st && (st->prof.bugs & IOMMU_BUG_SKIP_DIRTY_FLUSH)))
		flush_range(d, g.lo, g.end - g.lo, 0);
	SIM_TRACE(d->w, iommu_read_dirty, d->did, (unsigned long long)iova,
		  (unsigned long long)size, no_clear, n, ret);
	return ret;
}

/* ---- hardware information -------------------------------------------------------- */

static struct sim_world *dev_world(struct pci_dev *dev)
{
	return dev && dev->group ? iommu_group_world(dev->group) : NULL;
}

int iommu_get_hw_info(struct pci_dev *dev, uint32_t *type, void *data, size_t *len)
{
	struct sim_world *w = dev_world(dev);
	const struct iommu_hw_config *hc = iommu_hw_config(w);
	struct dom_state *st = w ? state_of(w) : NULL;
	union {
		struct iommu_hw_info_vtd vtd;
		struct iommu_hw_info_arm_smmuv3 smmu;
	} u;
	struct iommu_hw_smmu_regs r;
	size_t full = 0, n;

	if (!hc || !st)
		return -ENODEV;
	if (!type || !len || (*len && !data))
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	*type = IOMMU_HW_INFO_TYPE_NONE;
	switch (hc->kind) {
	case IOMMU_HW_VTD:
		if (sim_kernel_before(w, 6, 6))
			break;           /* intel_iommu_hw_info came with GET_HW_INFO */
		if (!sim_kernel_before(w, 6, 7))
			u.vtd.flags = IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17;
		u.vtd.cap_reg = iommu_hw_vtd_cap(hc, st->prof.address_width);
		u.vtd.ecap_reg = iommu_hw_vtd_ecap(hc);
		*type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
		full = sizeof(u.vtd);
		break;
	case IOMMU_HW_SMMUV3:
		if (sim_kernel_before(w, 6, 14))
			break;           /* arm_smmu_hw_info came with the vIOMMU series */
		iommu_hw_smmu_regs(hc, st->prof.address_width, &r);
		memcpy(u.smmu.idr, r.idr, sizeof(u.smmu.idr));
		u.smmu.iidr = r.iidr;
		u.smmu.aidr = r.aidr;
		*type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
		full = sizeof(u.smmu);
		break;
	default:
		break;                   /* riscv_iommu_ops has no hw_info */
	}
	n = *len < full ? *len : full;
	if (n)
		memcpy(data, &u, n);
	*len = full;
	return 0;
}

int iommu_get_hw_info_caps(struct pci_dev *dev, uint64_t *capabilities,
			   uint8_t *max_pasid_log2)
{
	struct sim_world *w = dev_world(dev);
	const struct iommu_hw_config *hc = iommu_hw_config(w);
	uint32_t iommu_max = 0, dev_max, max;

	if (!hc)
		return -ENODEV;
	*capabilities = 0;
	*max_pasid_log2 = 0;
	if (iommu_dirty_tracking_capable(w))
		*capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	if (sim_kernel_before(w, 6, 12))
		return 0;
	/* the driver's iommu_device max_pasids */
	switch (hc->kind) {
	case IOMMU_HW_VTD:
		/* 2UL << ecap_pss, when pasid_supported */
		iommu_max = hc->pasid_bits ? 2u << (hc->pasid_bits - 1) : 0;
		break;
	case IOMMU_HW_SMMUV3:
		iommu_max = 1u << hc->pasid_bits;    /* 1UL << smmu->ssid_bits */
		break;
	default:
		break;
	}
	/* dev_iommu_get_max_pasids: min(pci_max_pasids, the IOMMU's) */
	dev_max = dev->pasid_width ? 1u << dev->pasid_width : 0;
	max = dev_max < iommu_max ? dev_max : iommu_max;
	if (max)
		*max_pasid_log2 = (uint8_t)(31 - __builtin_clz(max));
	/* PCI_PASID_CTRL_EXEC / _PRIV: the model's PASID capability has
	 * neither feature, so pci_enable_pasid enables neither */
	return 0;
}

/* ---- set-up and teardown ----------------------------------------------------- */

static void state_destroy(void *data)
{
	struct dom_state *st = data;
	size_t n = iommu_group_count(st->w);

	/* SVA domains a driver never unbound: their mm references go (and
	 * with the last, the mm and its PASID); the hardware goes anyway */
	while (st->sva_domains->len) {
		struct iommu_domain *d = g_ptr_array_steal_index(st->sva_domains, 0);
		struct sim_mm *mm = d->mm;

		sim_mmu_notifier_unregister(mm, &d->mn);
		domain_release(st, d);
		sim_mm_put(mm);
	}
	g_ptr_array_free(st->sva_domains, TRUE);
	iommu_iopf_fini(st->w);

	for (size_t id = 0; id < n; id++) {
		struct iommu_group *g = iommu_group_by_id(st->w, (unsigned)id);
		if (g->default_domain != st->identity)
			iommu_domain_free(g->default_domain);
		g->domain = g->default_domain = NULL;
	}
	iommu_domain_free(st->blocking);
	iommu_domain_free(st->identity);
	sim_ids_destroy(&st->dids);
	sim_ids_destroy(&st->global_pasids);
	g_hash_table_destroy(st->pasids);
	g_free(st);
}

static int attach_defaults(struct dom_state *st)
{
	size_t n = iommu_group_count(st->w);

	for (size_t id = 0; id < n; id++) {
		struct iommu_group *g = iommu_group_by_id(st->w, (unsigned)id);
		int ret;

		g->default_domain = st->prof.default_identity ? st->identity :
				    iommu_domain_alloc(st->w, IOMMU_DOMAIN_PAGING);
		if (!g->default_domain)
			return -ENOMEM;
		ret = switch_domain(g, g->default_domain);
		if (ret)
			return ret;
	}
	return 0;
}

/* Every function's context entry: a PASID table as wide as its capability
 * and the IOMMU allow, ATS on when it has the capability. */
static int setup_devices(struct dom_state *st)
{
	for (size_t i = 0; i < pci_dev_count(st->w); i++) {
		struct pci_dev *d = pci_dev_at(st->w, i);
		struct iommu_dev_ctx dc = { .pasid_bits = iommu_device_pasid_bits(d),
					    .ats = d->ats && !st->prof.no_ats };
		int ret;

		if (!d->group)
			continue;   /* bridges without a group do not translate */
		ret = iommu_hw_set_device(st->w, PCI_SBDF_DOMAIN(d->sbdf),
					  (uint16_t)(d->sbdf & 0xffff), &dc);
		if (ret)
			return ret;
	}
	return 0;
}

int iommu_domains_init(struct sim_world *w, const struct iommu_profile *prof)
{
	const struct iommu_hw_config *hc = iommu_hw_config(w);
	struct dom_state *st;
	int ret;

	if ((prof->address_width != 39 && prof->address_width != 48) || prof->paging_stage > 2)
		return -EINVAL;
	st = g_new0(struct dom_state, 1);
	st->w = w;
	st->prof = *prof;
	st->kind = hc ? hc->kind : IOMMU_HW_VTD;
	st->pasids = g_hash_table_new(g_direct_hash, g_direct_equal);
	st->sva_domains = g_ptr_array_new();
	sim_ids_init(&st->dids);
	sim_ids_init(&st->global_pasids);
	ret = iommu_core_set_domains(w, st, state_destroy);
	if (ret) {
		sim_ids_destroy(&st->dids);
		sim_ids_destroy(&st->global_pasids);
		g_free(st);
		return ret;
	}
	st->blocking = iommu_domain_alloc(w, IOMMU_DOMAIN_BLOCKED);
	st->identity = iommu_domain_alloc(w, IOMMU_DOMAIN_IDENTITY);
	if (!st->blocking || !st->identity)
		return -ENOMEM;   /* the core's teardown frees what exists */
	if (hc) {
		ret = setup_devices(st);
		if (ret)
			return ret;
		iommu_iopf_init(w);
	}
	return attach_defaults(st);
}
