/* SPDX-License-Identifier: MIT */
/*
 * IOMMU group formation (spec §A): the kernel's algorithm (legacy) and the
 * egress-only ACS reading (strict), plus strict-mode P2P reachability.
 *
 * Labels are indexed by probe_index and handed out in probe order, lowest
 * free first, so ids are reproducible from the topology alone (spec §H3).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/group.h"

/* ---- spec §A1: isolation ------------------------------------------------ */

/*
 * The ACS capability enables what the IOMMU core asks for.  Requested bits
 * the capability does not advertise (other than EC) count as hard-wired on,
 * so a capability that advertises nothing isolates.
 */
static bool acs_flags_ok(const struct pci_dev *d)
{
	uint16_t need;

	if (!d->has_acs)
		return false;
	need = PCI_ACS_REQ & (d->acs_cap | PCI_ACS_EC);
	return (d->acs_ctrl & need) == need;
}

static bool isolated(const struct pci_dev *d)
{
	if (d->acs_quirk >= 0)           /* a quirk's verdict wins */
		return d->acs_quirk > 0;
	switch (d->type) {
	case PCI_TYPE_PCI_BRIDGE:
	case PCI_TYPE_PCI_DEVICE:
	case PCI_TYPE_PCIE_TO_PCI_BRIDGE:
		return false;
	case PCI_TYPE_ROOT_PORT:
	case PCI_TYPE_DOWNSTREAM_PORT:
		return acs_flags_ok(d);
	case PCI_TYPE_ENDPOINT:
	case PCI_TYPE_UPSTREAM_PORT:
	case PCI_TYPE_LEGACY_ENDPOINT:
	case PCI_TYPE_RC_ENDPOINT:
		/* ACS only describes P2P inside a multifunction device */
		return d->multifunction ? acs_flags_ok(d) : true;
	default:
		return true;
	}
}

/* path_ok: @b and every bridge above it up to the root bus are isolated. */
static bool path_ok(const struct pci_dev *b)
{
	for (const struct pci_dev *d = b; d; d = d->bus->self) {
		if (!isolated(d))
			return false;
		if (!d->bus->parent)
			return true;
	}
	return true;
}

/* ---- legacy: the kernel's pci_device_group() (spec §A2-§A6) -------------- */

struct legacy {
	int *label;                  /* [probe_index], -1 = no group yet */
	unsigned next;               /* groups are never freed: next free id */
};

static int label_of(const struct legacy *l, const struct pci_dev *d)
{
	return l->label[d->probe_index];
}

struct alias_walk {
	const struct legacy *l;
	struct pci_dev *last;        /* T: the last device visited */
	int group;
};

/* spec §A2: stop at the first visited device that already has a group. */
static int alias_or_group(struct pci_dev *visited, uint16_t rid, void *ctx)
{
	struct alias_walk *aw = ctx;

	aw->last = visited;
	aw->group = label_of(aw->l, visited);
	return aw->group >= 0;
}

static bool test_and_set(uint64_t devfns[4], uint8_t devfn)
{
	bool was = (devfns[devfn >> 6] >> (devfn & 63)) & 1;

	devfns[devfn >> 6] |= 1ull << (devfn & 63);
	return was;
}

static int function_alias_group(const struct legacy *l, struct pci_dev *p,
				uint64_t devfns[4]);

/*
 * spec §A4: a group on @p, or on a function of @p's bus that @p aliases or
 * that aliases @p, recursively (each devfn searched once per device probe).
 * The bus's functions in devfn order are the kernel's device-list order.
 */
static int alias_group(const struct legacy *l, struct pci_dev *p, uint64_t devfns[4])
{
	struct pci_bus *bus = p->bus;
	int g;

	if (test_and_set(devfns, p->devfn))
		return -1;
	if (label_of(l, p) >= 0)
		return label_of(l, p);
	for (size_t i = 0; i < bus->ndevices; i++) {
		struct pci_dev *t = bus->devices[i];

		if (t == p || !(pci_dev_has_alias(p, t->devfn) || pci_dev_has_alias(t, p->devfn)))
			continue;
		g = alias_group(l, t, devfns);
		if (g >= 0)
			return g;
		g = function_alias_group(l, t, devfns);
		if (g >= 0)
			return g;
	}
	return -1;
}

/* spec §A5: a non-isolated multifunction device shares a group with the
 * other non-isolated functions of its slot (and their aliases). */
static int function_alias_group(const struct legacy *l, struct pci_dev *p,
				uint64_t devfns[4])
{
	struct pci_bus *bus = p->bus;

	if (!p->multifunction || isolated(p))
		return -1;
	for (size_t i = 0; i < bus->ndevices; i++) {
		struct pci_dev *t = bus->devices[i];
		int g;

		if (t == p || PCI_SLOT(t->devfn) != PCI_SLOT(p->devfn) || isolated(t))
			continue;
		g = alias_group(l, t, devfns);
		if (g >= 0)
			return g;
	}
	return -1;
}

static int legacy_device_group(struct legacy *l, struct pci_dev *d)
{
	struct alias_walk aw = { .l = l, .group = -1 };
	uint64_t devfns[4] = { 0 };
	struct pci_dev *t;
	int g;

	/* spec §A2: the alias walk; a converting bridge with a group wins */
	if (pci_for_each_dma_alias(d, alias_or_group, &aw))
		return aw.group;
	t = aw.last;
	/* spec §A3: climb from T to the first bus whose bridge path has ACS */
	for (struct pci_bus *bus = t->bus; bus->parent; bus = bus->parent) {
		if (!bus->self)
			continue;
		if (path_ok(bus->self))
			break;
		t = bus->self;
		if (label_of(l, t) >= 0)
			return label_of(l, t);
	}
	/* spec §A4, §A5: the search starts from T, not from @d */
	g = alias_group(l, t, devfns);
	if (g < 0)
		g = function_alias_group(l, t, devfns);
	/* spec §A6: a new group */
	return g >= 0 ? g : (int)l->next++;
}

static void legacy_groups(struct sim_world *w, unsigned *labels)
{
	size_t n = pci_dev_count(w);
	struct legacy l = { .label = g_new(int, n ? n : 1) };

	for (size_t i = 0; i < n; i++)
		l.label[i] = -1;
	for (size_t i = 0; i < n; i++)
		l.label[i] = legacy_device_group(&l, pci_dev_at(w, i));
	for (size_t i = 0; i < n; i++)
		labels[i] = (unsigned)l.label[i];
	g_free(l.label);
}

/* ---- strict --------------------------------------------------------------- */

/*
 * Strict mode: ACS read as egress-only (after the unmerged 2025 series "Fix
 * incorrect iommu_groups with PCIe ACS", spec §A [div]).  The rule:
 *
 *  Start from the legacy groups (aliases, converting bridges and ACS-less
 *  paths stay grouped), then merge:
 *
 *  S1. On every non-root bus B: if some function c on B is not isolated
 *      (spec §A1), then c and everything below it are merged with every other
 *      function on B and everything below those.  A request from below c
 *      that reaches c can be routed by c to any peer on B without ever
 *      reaching the IOMMU, and ACS on the target does not stop it: ACS
 *      controls what a port lets in (egress-only), not what reaches it.
 *  S2. On a root bus: for each slot with two or more functions of which
 *      at least one is not isolated, all functions of the slot and
 *      everything below them are merged (P2P inside one device).
 *      Peer-to-peer between root ports is taken to pass through the IOMMU,
 *      so distinct slots of a root bus are never merged.
 *
 *  Group ids are then given in order of each group's first member in
 *  probe order.  iommu_p2p_reachable() states S1 and S2 pairwise.
 */
struct uf {
	size_t *parent;
};

static size_t uf_find(struct uf *u, size_t x)
{
	while (u->parent[x] != x) {
		u->parent[x] = u->parent[u->parent[x]];
		x = u->parent[x];
	}
	return x;
}

static void uf_union(struct uf *u, size_t a, size_t b)
{
	a = uf_find(u, a);
	b = uf_find(u, b);
	if (a != b)
		u->parent[a > b ? a : b] = a > b ? b : a;
}

/* Merge @d and everything below it into @rep's set. */
static void union_subtree(struct uf *u, size_t rep, const struct pci_dev *d)
{
	uf_union(u, rep, d->probe_index);
	if (!d->subordinate)
		return;
	for (size_t i = 0; i < d->subordinate->ndevices; i++)
		union_subtree(u, rep, d->subordinate->devices[i]);
}

/* S1 on one non-root bus. */
static void strict_bus(struct uf *u, const struct pci_bus *bus)
{
	bool open = false;

	for (size_t i = 0; i < bus->ndevices; i++)
		open |= !isolated(bus->devices[i]);
	if (!open || bus->ndevices < 2)
		return;
	for (size_t i = 0; i < bus->ndevices; i++)
		union_subtree(u, bus->devices[0]->probe_index, bus->devices[i]);
}

/* S2 on one root bus: slot by slot (functions are sorted by devfn). */
static void strict_root_bus(struct uf *u, const struct pci_bus *bus)
{
	for (size_t i = 0, j; i < bus->ndevices; i = j) {
		unsigned slot = PCI_SLOT(bus->devices[i]->devfn);
		bool open = false;

		for (j = i; j < bus->ndevices && PCI_SLOT(bus->devices[j]->devfn) == slot; j++)
			open |= !isolated(bus->devices[j]);
		if (!open || j - i < 2)
			continue;
		for (size_t k = i; k < j; k++)
			union_subtree(u, bus->devices[i]->probe_index, bus->devices[k]);
	}
}

/* Every bus is the root bus or the subordinate of one function. */
static void strict_merge(struct sim_world *w, struct uf *u)
{
	for (size_t i = 0; i < pci_root_bus_count(w); i++)
		strict_root_bus(u, pci_root_bus_at(w, i));
	for (size_t i = 0; i < pci_dev_count(w); i++) {
		const struct pci_dev *d = pci_dev_at(w, i);

		if (d->subordinate)
			strict_bus(u, d->subordinate);
	}
}

static void strict_groups(struct sim_world *w, unsigned *labels)
{
	size_t n = pci_dev_count(w);
	struct uf u = { .parent = g_new(size_t, n ? n : 1) };
	unsigned *first = g_new(unsigned, n ? n : 1);   /* legacy label -> member */
	unsigned *relabel = g_new(unsigned, n ? n : 1); /* root -> new id */
	unsigned next = 0;

	for (size_t i = 0; i < n; i++) {
		u.parent[i] = i;
		first[i] = UINT32_MAX;
		relabel[i] = UINT32_MAX;
	}
	legacy_groups(w, labels);
	for (size_t i = 0; i < n; i++) {
		if (first[labels[i]] == UINT32_MAX)
			first[labels[i]] = (unsigned)i;
		uf_union(&u, first[labels[i]], i);
	}
	strict_merge(w, &u);
	for (size_t i = 0; i < n; i++) {
		size_t r = uf_find(&u, i);

		if (relabel[r] == UINT32_MAX)
			relabel[r] = next++;
		labels[i] = relabel[r];
	}
	g_free(u.parent);
	g_free(first);
	g_free(relabel);
}

/*
 * A function behind no IOMMU (pci_dev.no_iommu) gets no group: the IOMMU
 * driver never probes it (iommu_probe_device finds no IOMMU for it, so
 * iommu_group_get() is NULL later, what VFIO's noiommu mode keys on).  The
 * others keep their groups, renumbered lowest-free in probe order.
 */
static void drop_uncovered(struct sim_world *w, unsigned *labels)
{
	size_t n = pci_dev_count(w);
	unsigned *relabel = g_new(unsigned, n), next = 0;

	for (size_t i = 0; i < n; i++)
		relabel[i] = IOMMU_NO_GROUP;
	for (size_t i = 0; i < n; i++) {
		if (pci_dev_at(w, i)->no_iommu) {
			labels[i] = IOMMU_NO_GROUP;
			continue;
		}
		if (relabel[labels[i]] == IOMMU_NO_GROUP)
			relabel[labels[i]] = next++;
		labels[i] = relabel[labels[i]];
	}
	g_free(relabel);
}

int iommu_compute_groups(struct sim_world *w, enum iommu_group_mode mode,
			 unsigned *labels)
{
	if (!pci_dev_count(w))
		return 0;
	if (mode == IOMMU_GROUP_STRICT)
		strict_groups(w, labels);
	else
		legacy_groups(w, labels);
	drop_uncovered(w, labels);
	return 0;
}

/* ---- strict reachability (spec §H4) -------------------------------------- */

/* The function on @bus that is @d or has @d below it, or NULL. */
static const struct pci_dev *ancestor_on(const struct pci_dev *d, const struct pci_bus *bus)
{
	for (; d; d = d->bus->self)
		if (d->bus == bus)
			return d;
	return NULL;
}

/*
 * S1 and S2 of the strict rule, pair by pair, computed from the topology
 * rather than from the groups so that it can check them: find the lowest bus
 * B above both, and the functions c (above or equal to @a) and p (above or
 * equal to @b) on it.  c == p means one is below the other: their traffic
 * meets on its way up, where legacy grouping already judges it.  Otherwise
 * they reach each other when c or p is not isolated (B non-root), or when
 * they share a slot of a root bus with a non-isolated function.
 */
bool iommu_p2p_reachable(struct sim_world *w, struct pci_dev *a, struct pci_dev *b)
{
	const struct pci_dev *c = NULL, *p = NULL;
	const struct pci_bus *bus;

	if (!a || !b)
		return false;
	if (a == b)
		return true;
	for (const struct pci_dev *x = a; x && !p; x = x->bus->self) {
		p = ancestor_on(b, x->bus);
		c = x;
	}
	if (!p || c == p)
		return false;
	bus = c->bus;
	if (bus->parent)
		return !isolated(c) || !isolated(p);
	if (PCI_SLOT(c->devfn) != PCI_SLOT(p->devfn))
		return false;
	for (size_t i = 0; i < bus->ndevices; i++)
		if (PCI_SLOT(bus->devices[i]->devfn) == PCI_SLOT(c->devfn) &&
		    !isolated(bus->devices[i]))
			return true;
	return false;
}
