/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU core: group objects, the PCI bus hooks that track which kernel
 * drivers use the DMA API, and user DMA ownership (spec §A, §B).
 *
 * owner_cnt counts kernel DMA-API drivers bound in a kernel-owned group, or
 * the claims of the user owner (owner != NULL).  The two never mix: a kernel
 * driver cannot bind into a user-owned group (-EBUSY), and a user cannot
 * claim a group a kernel driver is using (-EPERM).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/group.h"
#include "model/iommu/domain.h"
#include "iommusim/iommusim.h"

struct iommu_core;

/* A group and the core it belongs to (for traces). */
struct group_obj {
	struct iommu_group g;
	struct iommu_core *core;
};

struct iommu_core {
	struct sim_world *w;
	enum iommu_group_mode mode;
	struct group_obj **groups;    /* [id] */
	size_t ngroups;
	void *domains;                /* domain.c's state, or NULL */
	void (*domains_destroy)(void *domains);
};

struct sim_world *iommu_group_world(struct iommu_group *g)
{
	return ((struct group_obj *)g)->core->w;
}

void *iommu_core_domains(struct sim_world *w)
{
	struct iommu_core *core = w ? sim_world_subsys(w, SIM_SUBSYS_IOMMU) : NULL;

	return core ? core->domains : NULL;
}

int iommu_core_set_domains(struct sim_world *w, void *domains, void (*destroy)(void *))
{
	struct iommu_core *core = w ? sim_world_subsys(w, SIM_SUBSYS_IOMMU) : NULL;

	if (!core)
		return -ENODEV;
	core->domains = domains;
	core->domains_destroy = destroy;
	return 0;
}

static const char *const mode_names[] = { "legacy", "strict" };

const char *iommu_group_mode_name(enum iommu_group_mode m)
{
	return (unsigned)m < G_N_ELEMENTS(mode_names) ? mode_names[m] : NULL;
}

int iommu_group_mode_from_name(const char *name)
{
	for (unsigned i = 0; name && i < G_N_ELEMENTS(mode_names); i++)
		if (!strcmp(name, mode_names[i]))
			return (int)i;
	return -1;
}

static struct iommu_core *core_get(struct sim_world *w)
{
	return w ? sim_world_subsys(w, SIM_SUBSYS_IOMMU) : NULL;
}

static struct group_obj *to_obj(struct iommu_group *g)
{
	return (struct group_obj *)g;   /* g is the first member */
}

/* ---- bus hooks: kernel DMA drivers (spec §B modern rule) ----------------- */

/* The kernel's iommu_device_use_default_domain(). */
static int core_dma_configure(void *ctx, struct pci_dev *d, bool managed_dma)
{
	struct iommu_group *g = d->group;

	if (!g || managed_dma)
		return 0;
	if (g->owner)
		return -EBUSY;   /* a kernel DMA driver into a user-owned group */
	g->owner_cnt++;
	return 0;
}

/* The kernel's iommu_device_unuse_default_domain(). */
static void core_dma_cleanup(void *ctx, struct pci_dev *d, bool managed_dma)
{
	struct iommu_group *g = d->group;

	if (!g || managed_dma || g->owner)
		return;
	if (g->owner_cnt)
		g->owner_cnt--;
}

/* ---- lifetime ------------------------------------------------------------ */

static void core_free(struct iommu_core *core)
{
	for (size_t i = 0; i < core->ngroups; i++) {
		struct group_obj *o = core->groups[i];

		if (!o)
			continue;
		for (size_t j = 0; j < o->g.ndevices; j++)
			o->g.devices[j]->group = NULL;
		g_free(o->g.devices);
		g_free(o);
	}
	g_free(core->groups);
	g_free(core);
}

static void core_destroy(void *data)
{
	struct iommu_core *core = data;

	if (core->domains_destroy)
		core->domains_destroy(core->domains);
	pci_set_bus_hooks(core->w, NULL);
	core_free(core);
}

static gint cmp_sbdf(gconstpointer a, gconstpointer b)
{
	const struct pci_dev *x = *(struct pci_dev *const *)a, *y = *(struct pci_dev *const *)b;

	return x->sbdf < y->sbdf ? -1 : x->sbdf > y->sbdf;
}

/* Allocate group objects for @labels; members sorted by SBDF. */
static int core_alloc_groups(struct iommu_core *core, const unsigned *labels, size_t n)
{
	GPtrArray **members;

	for (size_t i = 0; i < n; i++)
		if (labels[i] != IOMMU_NO_GROUP)
			core->ngroups = MAX(core->ngroups, (size_t)labels[i] + 1);
	core->groups = g_new0(struct group_obj *, core->ngroups ? core->ngroups : 1);
	for (size_t id = 0; id < core->ngroups; id++) {
		if (sim_should_fail(core->w, "iommu_group_alloc"))
			return -ENOMEM;
		core->groups[id] = g_new0(struct group_obj, 1);
		core->groups[id]->g.id = (unsigned)id;
		core->groups[id]->core = core;
	}
	members = g_new(GPtrArray *, core->ngroups ? core->ngroups : 1);
	for (size_t id = 0; id < core->ngroups; id++)
		members[id] = g_ptr_array_new();
	for (size_t i = 0; i < n; i++)
		if (labels[i] != IOMMU_NO_GROUP)
			g_ptr_array_add(members[labels[i]], pci_dev_at(core->w, i));
	for (size_t id = 0; id < core->ngroups; id++) {
		struct iommu_group *g = &core->groups[id]->g;

		g_ptr_array_sort(members[id], cmp_sbdf);
		g->ndevices = members[id]->len;
		g->devices = (struct pci_dev **)g_ptr_array_free(members[id], FALSE);
	}
	g_free(members);
	return 0;
}

/*
 * Hang each function on its group, in probe order.  Drivers bound before
 * the core existed are counted now: a kernel DMA driver holds its group.
 */
static void core_attach_devices(struct iommu_core *core, const unsigned *labels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pci_dev *d = pci_dev_at(core->w, i);
		struct iommu_group *g;

		if (labels[i] == IOMMU_NO_GROUP)   /* behind no IOMMU */
			continue;
		g = &core->groups[labels[i]]->g;
		d->group = g;
		if (d->driver && !pci_driver_is_managed(core->w, d->driver))
			g->owner_cnt++;
		SIM_TRACE(core->w, iommu_group_add, g->id, d->name);
	}
}

int iommu_core_create(struct sim_world *w, enum iommu_group_mode mode)
{
	size_t n = pci_dev_count(w);
	unsigned *labels = g_new0(unsigned, n ? n : 1);
	struct iommu_core *core;
	struct pci_bus_hooks hooks = {
		.dma_configure = core_dma_configure,
		.dma_cleanup = core_dma_cleanup,
	};
	int ret;

	if (core_get(w)) {
		ret = -EEXIST;
		goto out;
	}
	if (!iommu_group_mode_name(mode)) {
		ret = -EINVAL;
		goto out;
	}
	ret = iommu_compute_groups(w, mode, labels);
	if (ret)
		goto out;
	core = g_new0(struct iommu_core, 1);
	core->w = w;
	core->mode = mode;
	ret = core_alloc_groups(core, labels, n);
	if (ret) {
		core_free(core);
		goto out;
	}
	core_attach_devices(core, labels, n);
	hooks.ctx = core;
	pci_set_bus_hooks(w, &hooks);
	sim_world_set_subsys(w, SIM_SUBSYS_IOMMU, core, core_destroy);
out:
	g_free(labels);
	return ret;
}

/* ---- queries --------------------------------------------------------------- */

enum iommu_group_mode iommu_core_mode(struct sim_world *w)
{
	struct iommu_core *core = core_get(w);

	return core ? core->mode : IOMMU_GROUP_LEGACY;
}

size_t iommu_group_count(struct sim_world *w)
{
	struct iommu_core *core = core_get(w);

	return core ? core->ngroups : 0;
}

struct iommu_group *iommu_group_by_id(struct sim_world *w, unsigned id)
{
	struct iommu_core *core = core_get(w);

	if (!core || id >= core->ngroups)
		return NULL;
	return &core->groups[id]->g;
}

struct iommu_group *iommu_group_of(struct pci_dev *d)
{
	return d ? d->group : NULL;
}

/* Public API (<iommusim/iommusim.h>): the group number of a function. */
int sim_pci_iommu_group(struct sim_world *w, const char *bdf)
{
	struct pci_dev *d;
	int ret = pci_dev_lookup(w, bdf, &d);

	if (ret)
		return ret;
	return d->group ? (int)d->group->id : -ENOENT;
}

/* spec §B: viable = no kernel DMA driver bound.  A user-owned group cannot
 * have one (the bind is vetoed), so it is viable. */
bool iommu_group_viable(struct iommu_group *g)
{
	if (!g)
		return false;
	return g->owner || g->owner_cnt == 0;
}

/* ---- user ownership ------------------------------------------------------- */

int iommu_group_claim_dma_owner(struct iommu_group *g, const void *owner)
{
	int ret = 0;

	if (!g || !owner)
		return -EINVAL;
	/* spec §G5: owned by a kernel driver or by another owner -> EPERM;
	 * the same owner claiming again (another device of the group, the
	 * kernel's device-level claim) takes one more count */
	if (g->owner ? g->owner != owner : g->owner_cnt != 0)
		ret = -EPERM;
	else if (!g->owner && (ret = iommu_group_block(g)))
		;   /* spec §B: not on its default domain -> EBUSY */
	else {
		g->owner = owner;
		g->owner_cnt++;
	}
	SIM_TRACE(to_obj(g)->core->w, iommu_group_claim, g->id, g->owner_cnt, ret);
	return ret;
}

void iommu_group_release_dma_owner(struct iommu_group *g, const void *owner)
{
	if (!g || !owner || g->owner != owner || !g->owner_cnt)
		return;
	if (!--g->owner_cnt) {
		g->owner = NULL;
		iommu_group_unblock(g);   /* back to the default domain */
	}
	SIM_TRACE(to_obj(g)->core->w, iommu_group_release, g->id, g->owner_cnt);
}
