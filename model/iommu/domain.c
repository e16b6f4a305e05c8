/* SPDX-License-Identifier: MIT */
/*
 * IOMMU domains, kernel side: allocation, attach by requester id and DMA
 * alias, default and blocking domains, map/unmap with IOTLB invalidation,
 * aperture and reserved regions (see domain.h).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/ids.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"

/* x86: the MSI window every device reports (spec §C IOVA ranges) */
#define MSI_WINDOW_START 0xfee00000ull
#define MSI_WINDOW_END   0xfeefffffull

struct dom_state {
	struct sim_world *w;
	struct iommu_profile prof;
	struct sim_ids dids;              /* paging domain ids, 1..65535 */
	struct iommu_domain *blocking;    /* one shared blocking domain */
	struct iommu_domain *identity;    /* one shared identity domain */
};

static const char *const type_names[] = { "blocked", "identity", "paging" };

static struct dom_state *state_of(struct sim_world *w)
{
	return iommu_core_domains(w);
}

/* ---- allocation --------------------------------------------------------- */

struct iommu_domain *iommu_domain_alloc(struct sim_world *w, enum iommu_domain_type type)
{
	struct dom_state *st = state_of(w);
	struct iommu_domain *d;
	unsigned levels;
	int64_t did;

	if (!st || sim_should_fail(w, "iommu_domain_alloc"))
		return NULL;
	d = g_new0(struct iommu_domain, 1);
	d->w = w;
	d->type = type;
	d->aperture_end = (1ull << st->prof.address_width) - 1;
	d->pgsize_bitmap = io_pgtable_vtd_ss.pgsize_bitmap;
	d->naive_map = st->prof.naive_map;
	if (type == IOMMU_DOMAIN_PAGING) {
		levels = (st->prof.address_width - 12) / 9;
		did = sim_ids_alloc(w, &st->dids, d, 1, 65535);
		if (did < 0)
			goto err_free;
		d->did = (uint16_t)did;
		if (io_pgtable_init(&d->pt, w, &io_pgtable_vtd_ss, levels))
			goto err_did;
	}
	SIM_TRACE(w, iommu_domain_alloc, d->did, type_names[type]);
	return d;
err_did:
	sim_ids_remove(&st->dids, d->did);
err_free:
	g_free(d);
	return NULL;
}

void iommu_domain_free(struct iommu_domain *d)
{
	struct dom_state *st;

	if (!d)
		return;
	st = state_of(d->w);
	SIM_TRACE(d->w, iommu_domain_free, d->did, type_names[d->type]);
	if (d->type == IOMMU_DOMAIN_PAGING) {
		io_pgtable_destroy(&d->pt);
		iommu_hw_inv_domain(d->w, d->did);
		if (st)
			sim_ids_remove(&st->dids, d->did);
	}
	g_free(d);
}

/* ---- context programming ------------------------------------------------- */

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
		ctx->type = IOMMU_CTX_TRANSLATE;
		ctx->did = d->did;
		ctx->pgtable_root = d->pt.root;
		ctx->levels = d->pt.levels;
		break;
	}
}

struct program {
	struct sim_world *w;
	struct iommu_context ctx;
	uint64_t done[65536 / 64];   /* RIDs already written: aliases repeat */
	int ret;
};

static int program_rid(struct pci_dev *visited, uint16_t rid, void *arg)
{
	struct program *pr = arg;
	uint64_t bit = 1ull << (rid & 63);

	if (pr->done[rid >> 6] & bit)
		return 0;
	pr->ret = iommu_hw_set_context(pr->w, PCI_SBDF_DOMAIN(visited->sbdf), rid, &pr->ctx);
	if (!pr->ret)
		pr->done[rid >> 6] |= bit;
	return pr->ret;
}

/* Point every RID (and alias) of @g's devices at @d, each once.  A group
 * never spans PCI segments, so RIDs identify entries. */
static int program_group(struct iommu_group *g, const struct iommu_domain *d)
{
	struct program *pr = g_new0(struct program, 1);
	int ret = 0;

	pr->w = iommu_group_world(g);
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
	int ret;

	if (from == to)
		return 0;
	ret = program_group(g, to);
	if (ret) {
		if (from)
			program_group(g, from);   /* frames exist now: cannot fail */
		return ret;
	}
	if (from) {
		from->attached--;
		if (from->type == IOMMU_DOMAIN_PAGING)
			iommu_hw_inv_domain(from->w, from->did);
	}
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

int iommu_map(struct iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t size,
	      unsigned prot)
{
	int ret;

	if (d->type != IOMMU_DOMAIN_PAGING || !size || iova + size - 1 < iova ||
	    iova < d->aperture_start || iova + size - 1 > d->aperture_end)
		ret = -EINVAL;
	else if (d->naive_map)
		ret = io_pgtable_map_naive(&d->pt, iova, hpa, size, prot);
	else
		ret = io_pgtable_map(&d->pt, iova, hpa, size, prot);
	SIM_TRACE(d->w, iommu_map, d->did, (unsigned long long)iova,
		  (unsigned long long)hpa, (unsigned long long)size, prot_name(prot), ret);
	return ret;
}

uint64_t iommu_unmap(struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	int64_t ret;

	if (d->type != IOMMU_DOMAIN_PAGING || !size)
		return 0;
	ret = io_pgtable_unmap(&d->pt, iova, size);
	if (ret < 0)
		ret = 0;
	/* the IOTLB forgets the range before unmap returns (spec §C, §H8) */
	iommu_hw_inv_range(d->w, d->did, iova, size);
	SIM_TRACE(d->w, iommu_unmap, d->did, (unsigned long long)iova,
		  (unsigned long long)size, (unsigned long long)ret);
	return (uint64_t)ret;
}

int iommu_iova_to_phys(struct iommu_domain *d, uint64_t iova, uint64_t *hpa,
		       unsigned *prot)
{
	struct io_pgtable_walk wk;

	if (d->type != IOMMU_DOMAIN_PAGING || io_pgtable_lookup(&d->pt, iova, &wk))
		return -ENOENT;
	*hpa = wk.out;
	*prot = wk.prot;
	return 0;
}

size_t iommu_get_resv_regions(struct iommu_group *g, struct iommu_resv_region *out,
			      size_t max)
{
	if (!g || !max)
		return 0;
	out[0].start = MSI_WINDOW_START;
	out[0].end = MSI_WINDOW_END;
	out[0].type = "msi";
	return 1;
}

/* ---- set-up and teardown ----------------------------------------------------- */

static void state_destroy(void *data)
{
	struct dom_state *st = data;
	size_t n = iommu_group_count(st->w);

	for (size_t id = 0; id < n; id++) {
		struct iommu_group *g = iommu_group_by_id(st->w, (unsigned)id);
		if (g->default_domain != st->identity)
			iommu_domain_free(g->default_domain);
		g->domain = g->default_domain = NULL;
	}
	iommu_domain_free(st->blocking);
	iommu_domain_free(st->identity);
	sim_ids_destroy(&st->dids);
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

int iommu_domains_init(struct sim_world *w, const struct iommu_profile *prof)
{
	struct dom_state *st;
	int ret;

	if (prof->address_width != 39 && prof->address_width != 48)
		return -EINVAL;
	st = g_new0(struct dom_state, 1);
	st->w = w;
	st->prof = *prof;
	sim_ids_init(&st->dids);
	ret = iommu_core_set_domains(w, st, state_destroy);
	if (ret) {
		sim_ids_destroy(&st->dids);
		g_free(st);
		return ret;
	}
	st->blocking = iommu_domain_alloc(w, IOMMU_DOMAIN_BLOCKED);
	st->identity = iommu_domain_alloc(w, IOMMU_DOMAIN_IDENTITY);
	if (!st->blocking || !st->identity)
		return -ENOMEM;   /* the core's teardown frees what exists */
	return attach_defaults(st);
}
