/* SPDX-License-Identifier: MIT */
/*
 * Building a topology from specs: validation (every rule reports the spec
 * index and key it is about), buses, and the enumeration order every later
 * pass (group formation, driver binding) follows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/devmodel.h"
#include "model/pci/pci_internal.h"

#define BUS_KEY(sbdf) ((sbdf) >> 8)        /* domain << 8 | bus */
#define NO_BUS UINT32_MAX

/* Validation state; every table is indexed by spec index. */
struct topo_check {
	const struct pci_dev_spec *specs;
	size_t n;
	struct pci_build_error *err;
	GHashTable *index;        /* sbdf -> spec index + 1 */
	size_t *parent;           /* spec index of the parent, or SIZE_MAX */
	uint32_t *secondary;      /* BUS_KEY of a bridge's secondary bus, or NO_BUS */
	GHashTable *bus_claim;    /* BUS_KEY -> spec index + 1 of the first function on it */
};

static int build_error(struct pci_build_error *err, size_t index, enum pci_spec_key key,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int build_error(struct pci_build_error *err, size_t index, enum pci_spec_key key,
		       const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	err->index = index;
	err->key = key;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *article(const char *word)
{
	return strchr("aeiou", word[0]) ? "an" : "a";
}

/* Per entry: a known type, a PASID width <= 20, a BDF seen once. */
static int check_entries(struct topo_check *c)
{
	char b[PCI_SBDF_STRLEN];

	for (size_t i = 0; i < c->n; i++) {
		const struct pci_dev_spec *sp = &c->specs[i];
		gpointer first;

		if (!pci_type_name(sp->type))
			return build_error(c->err, i, PCI_KEY_TYPE, "unknown device type %d",
					   (int)sp->type);
		if (sp->pasid_width > 20)
			return build_error(c->err, i, PCI_KEY_CAPS, "PASID width %u of %s is "
					   "out of range 1..20", sp->pasid_width,
					   pci_sbdf_format(sp->sbdf, b));
		if (sp->has_resets && (sp->resets & PCI_RESET_FLR) && !pci_type_is_pcie(sp->type))
			return build_error(c->err, i, PCI_KEY_CAPS, "%s is a conventional %s: an "
					   "FLR in DEVCAP needs a PCI Express capability (use "
					   "af-flr)", pci_sbdf_format(sp->sbdf, b),
					   pci_type_name(sp->type));
		if (sp->has_resets && sp->resets && pci_type_is_bridge(sp->type))
			return build_error(c->err, i, PCI_KEY_CAPS, "%s is a %s: vfio-pci never "
					   "resets bridges and ports, caps.resets is for functions",
					   pci_sbdf_format(sp->sbdf, b), pci_type_name(sp->type));
		first = g_hash_table_lookup(c->index, GUINT_TO_POINTER(sp->sbdf));
		if (first)
			return build_error(c->err, i, PCI_KEY_BDF,
					   "duplicate bdf %s (first at entry %zu)",
					   pci_sbdf_format(sp->sbdf, b), GPOINTER_TO_SIZE(first) - 1);
		g_hash_table_insert(c->index, GUINT_TO_POINTER(sp->sbdf),
				    GSIZE_TO_POINTER(i + 1));
	}
	return 0;
}

/* Every parent exists and is a bridge or port. */
static int check_parents(struct topo_check *c)
{
	char b[PCI_SBDF_STRLEN];

	for (size_t i = 0; i < c->n; i++) {
		const struct pci_dev_spec *sp = &c->specs[i];
		const char *tn;
		gpointer p;

		c->parent[i] = SIZE_MAX;
		if (!sp->has_parent)
			continue;
		p = g_hash_table_lookup(c->index, GUINT_TO_POINTER(sp->parent));
		if (!p)
			return build_error(c->err, i, PCI_KEY_PARENT,
					   "parent %s is not in the topology",
					   pci_sbdf_format(sp->parent, b));
		c->parent[i] = GPOINTER_TO_SIZE(p) - 1;
		tn = pci_type_name(c->specs[c->parent[i]].type);
		if (!pci_type_is_bridge(c->specs[c->parent[i]].type))
			return build_error(c->err, i, PCI_KEY_PARENT,
					   "parent %s is %s %s, not a bridge or port",
					   pci_sbdf_format(sp->parent, b), article(tn), tn);
	}
	return 0;
}

/* Following parents from any entry must reach the root level. */
static int check_cycles(struct topo_check *c)
{
	char b[PCI_SBDF_STRLEN];

	for (size_t i = 0; i < c->n; i++) {
		size_t j = c->parent[i];

		for (size_t steps = 0; j != SIZE_MAX && steps <= c->n; steps++) {
			if (j == i)
				return build_error(c->err, i, PCI_KEY_PARENT,
						   "cycle through parent %s",
						   pci_sbdf_format(c->specs[i].parent, b));
			j = c->parent[j];
		}
	}
	return 0;
}

/* A downstream port sits below an upstream port; an upstream port below a
 * root port or a downstream port (a switch hangs off a port). */
static int check_switch_ports(struct topo_check *c)
{
	char b[PCI_SBDF_STRLEN];

	for (size_t i = 0; i < c->n; i++) {
		enum pci_type t = c->specs[i].type, pt;
		const char *want;

		if (t == PCI_TYPE_DOWNSTREAM_PORT)
			want = "an upstream-port";
		else if (t == PCI_TYPE_UPSTREAM_PORT)
			want = "a root-port or downstream-port";
		else
			continue;
		if (c->parent[i] == SIZE_MAX)
			return build_error(c->err, i, PCI_KEY_TYPE, "%s must sit below %s "
					   "(it has no parent)", pci_type_name(t), want);
		pt = c->specs[c->parent[i]].type;
		if (t == PCI_TYPE_DOWNSTREAM_PORT ? pt == PCI_TYPE_UPSTREAM_PORT
		    : pt == PCI_TYPE_ROOT_PORT || pt == PCI_TYPE_DOWNSTREAM_PORT)
			continue;
		return build_error(c->err, i, PCI_KEY_PARENT, "%s must sit below %s "
				   "(parent %s is %s %s)", pci_type_name(t), want,
				   pci_sbdf_format(c->specs[i].parent, b),
				   article(pci_type_name(pt)), pci_type_name(pt));
	}
	return 0;
}

/* The bus an entry sits on must belong to its parent, or to the root level. */
static int check_bus_claim(struct topo_check *c, size_t i)
{
	const struct pci_dev_spec *sp = &c->specs[i];
	uint32_t key = BUS_KEY(sp->sbdf);
	gpointer v = g_hash_table_lookup(c->bus_claim, GUINT_TO_POINTER(key));
	char b[PCI_SBDF_STRLEN], o[PCI_SBDF_STRLEN];
	size_t e;

	if (!v) {
		g_hash_table_insert(c->bus_claim, GUINT_TO_POINTER(key), GSIZE_TO_POINTER(i + 1));
		return 0;
	}
	e = GPOINTER_TO_SIZE(v) - 1;
	if (c->parent[e] == c->parent[i])
		return 0;
	if (c->parent[i] == SIZE_MAX)
		return build_error(c->err, i, PCI_KEY_BDF, "%s has no parent, but bus %02x is "
				   "the secondary bus of %s", pci_sbdf_format(sp->sbdf, b),
				   PCI_SBDF_BUS(sp->sbdf),
				   pci_sbdf_format(c->specs[e].parent, o));
	if (c->parent[e] == SIZE_MAX)
		return build_error(c->err, i, PCI_KEY_PARENT, "bus %02x is already a root bus "
				   "(%s has no parent)", PCI_SBDF_BUS(sp->sbdf),
				   pci_sbdf_format(c->specs[e].sbdf, o));
	return build_error(c->err, i, PCI_KEY_PARENT, "bus %02x is already the secondary "
			   "bus of %s", PCI_SBDF_BUS(sp->sbdf),
			   pci_sbdf_format(c->specs[e].parent, o));
}

/* Children of a bridge share one secondary bus, in the bridge's domain,
 * other than the bridge's own bus; no bus has two owners. */
static int check_buses(struct topo_check *c)
{
	char b[PCI_SBDF_STRLEN];

	for (size_t i = 0; i < c->n; i++)
		c->secondary[i] = NO_BUS;
	for (size_t i = 0; i < c->n; i++) {
		const struct pci_dev_spec *sp = &c->specs[i];
		size_t p = c->parent[i];
		uint32_t key = BUS_KEY(sp->sbdf);
		int ret;

		if (p != SIZE_MAX) {
			const struct pci_dev_spec *ps = &c->specs[p];

			pci_sbdf_format(ps->sbdf, b);
			if (PCI_SBDF_DOMAIN(sp->sbdf) != PCI_SBDF_DOMAIN(ps->sbdf))
				return build_error(c->err, i, PCI_KEY_BDF, "a child of %s must be "
						   "in the bridge's domain %04x", b,
						   PCI_SBDF_DOMAIN(ps->sbdf));
			if (key == BUS_KEY(ps->sbdf))
				return build_error(c->err, i, PCI_KEY_PARENT, "a child of %s cannot "
						   "be on the bridge's own bus %02x", b,
						   PCI_SBDF_BUS(ps->sbdf));
			if (c->secondary[p] != NO_BUS && c->secondary[p] != key)
				return build_error(c->err, i, PCI_KEY_PARENT, "children of bridge %s "
						   "are on buses %02x and %02x: a bridge has one "
						   "secondary bus", b, c->secondary[p] & 0xff,
						   PCI_SBDF_BUS(sp->sbdf));
			c->secondary[p] = key;
		}
		ret = check_bus_claim(c, i);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A bridge without children still has a secondary bus (vfio-pci and the
 * alias walk see a bridge by it): give it the lowest unused number above its
 * own bus, else the lowest unused one, as a BIOS numbering buses would.
 */
static int assign_empty_buses(struct topo_check *c)
{
	char b[PCI_SBDF_STRLEN];

	for (size_t i = 0; i < c->n; i++) {
		uint32_t dom = PCI_SBDF_DOMAIN(c->specs[i].sbdf), bus = PCI_SBDF_BUS(c->specs[i].sbdf);
		bool found = false;

		if (!pci_type_is_bridge(c->specs[i].type) || c->secondary[i] != NO_BUS)
			continue;
		for (unsigned k = 1; k <= 256 && !found; k++) {
			uint32_t key = dom << 8 | ((bus + k) & 0xff);

			if (g_hash_table_contains(c->bus_claim, GUINT_TO_POINTER(key)))
				continue;
			c->secondary[i] = key;
			g_hash_table_insert(c->bus_claim, GUINT_TO_POINTER(key),
					    GSIZE_TO_POINTER(i + 1));
			found = true;
		}
		if (!found)
			return build_error(c->err, i, PCI_KEY_BDF, "no free bus number for "
					   "the secondary bus of %s",
					   pci_sbdf_format(c->specs[i].sbdf, b));
	}
	return 0;
}

/* ---- device models ---------------------------------------------------------- */

static uint16_t spec_vendor(const struct pci_dev_spec *sp)
{
	return sp->vendor ? sp->vendor : 0x1af4;
}

static uint16_t spec_device(const struct pci_dev_spec *sp)
{
	return sp->device ? sp->device : (uint16_t)(0x1000 + sp->type);
}

static const struct pci_devmodel *spec_model(const struct pci_dev_spec *sp)
{
	return pci_devmodel_find(spec_vendor(sp), spec_device(sp));
}

static bool spec_states_bars(const struct pci_dev_spec *sp)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (sp->bars[i].size)
			return true;
	return false;
}

static const char *const bar_type_names[] = { "mem32", "mem64", "io" };

/* "1 MiB mem32", "32 B io prefetchable", "none" */
static const char *bar_desc(const struct pci_bar *b, char *buf, size_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	uint64_t size = b->size;
	unsigned u = 0;

	if (!size)
		return "none";
	while (size >= 1024 && !(size % 1024) && u + 1 < G_N_ELEMENTS(units)) {
		size /= 1024;
		u++;
	}
	snprintf(buf, n, "%llu %s %s%s", (unsigned long long)size, units[u],
		 bar_type_names[b->type], b->prefetchable ? " prefetchable" : "");
	return buf;
}

/*
 * A function whose ids name a device model is that device: its type, and
 * the BARs and irqs it states, must be the model's (what it leaves out
 * comes from the model, dev_new).
 */
/* "a pci-device", "an endpoint or rc-endpoint" */
static const char *types_desc(uint32_t types, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	for (int t = 0; t < PCI_TYPE_NR; t++) {
		if (!(types & PCI_DEVMODEL_TYPE(t)))
			continue;
		len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s",
					len ? " or " : "", pci_type_name(t));
	}
	return buf;
}

static int check_model(struct topo_check *c, size_t i, const struct pci_devmodel *m)
{
	const struct pci_dev_spec *sp = &c->specs[i];
	char b[PCI_SBDF_STRLEN], want[48], got[48], types[96];

	pci_sbdf_format(sp->sbdf, b);
	if (!(m->types & PCI_DEVMODEL_TYPE(sp->type))) {
		types_desc(m->types, types, sizeof(types));
		return build_error(c->err, i, PCI_KEY_TYPE, "%s is %s (%04x:%04x), %s %s, "
				   "not %s %s", b, m->name, m->vendor, m->device,
				   article(types), types, article(pci_type_name(sp->type)),
				   pci_type_name(sp->type));
	}
	for (unsigned k = 0; spec_states_bars(sp) && k < PCI_NUM_BARS; k++) {
		const struct pci_bar *x = &sp->bars[k], *y = &m->bars[k];

		if (x->size == y->size && (!x->size || (x->type == y->type &&
							 x->prefetchable == y->prefetchable)))
			continue;
		return build_error(c->err, i, PCI_KEY_BARS, "BAR %u of %s is %s, but %s "
				   "(%04x:%04x) has %s there: leave bars out to get the "
				   "model's", k, b, bar_desc(x, got, sizeof(got)), m->name,
				   m->vendor, m->device, bar_desc(y, want, sizeof(want)));
	}
	if (sp->has_resets && sp->resets != m->resets)
		return build_error(c->err, i, PCI_KEY_CAPS, "caps.resets of %s contradict %s "
				   "(%04x:%04x), whose resets are%s%s%s%s; leave resets out to "
				   "get the model's", b, m->name, m->vendor, m->device,
				   m->resets & PCI_RESET_FLR ? " flr" : "",
				   m->resets & PCI_RESET_AF ? " af-flr" : "",
				   m->resets & PCI_RESET_PM ? " pm" : "", m->resets ? "" : " none");
	if ((sp->has_intx && sp->intx != m->intx) ||
	    (sp->msi_vectors && sp->msi_vectors != m->msi_vectors) ||
	    (sp->msix_vectors && sp->msix_vectors != m->msix_vectors))
		return build_error(c->err, i, PCI_KEY_IRQS, "the irqs of %s contradict %s "
				   "(%04x:%04x): intx %s, msi %u, msix %u; leave irqs out "
				   "to get the model's", b, m->name, m->vendor, m->device,
				   m->intx ? "true" : "false", m->msi_vectors, m->msix_vectors);
	return 0;
}

static int check_models(struct topo_check *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct pci_devmodel *m = spec_model(&c->specs[i]);
		int ret;

		if (m && (ret = check_model(c, i, m)))
			return ret;
	}
	return 0;
}

static int topo_validate(struct topo_check *c)
{
	int ret;

	if ((ret = check_entries(c)) || (ret = check_models(c)) || (ret = check_parents(c)) ||
	    (ret = check_cycles(c)) || (ret = check_switch_ports(c)) ||
	    (ret = check_buses(c)))
		return ret;
	return assign_empty_buses(c);
}

static void topo_check_fini(struct topo_check *c)
{
	g_hash_table_destroy(c->index);
	g_hash_table_destroy(c->bus_claim);
	g_free(c->parent);
	g_free(c->secondary);
}

/* ---- building ----------------------------------------------------------- */

static void bus_free(gpointer p)
{
	struct pci_bus *bus = p;

	g_free(bus->devices);
	g_free(bus->children);
	g_free(bus);
}

static void dev_free(gpointer p)
{
	struct pci_dev *d = p;

	if (d) {
		pci_devmodel_detach(d);
		g_free(d->driver);
		g_free(d);
	}
}

static void pci_root_free(void *data)
{
	struct pci_root *root = data;

	if (!root)
		return;
	pci_drivers_fini(root);
	for (size_t i = 0; root->state && i < root->devs->len; i++)
		g_free(root->state[i].initial_driver);
	g_free(root->state);
	g_ptr_array_free(root->devs, TRUE);
	g_ptr_array_free(root->root_buses, TRUE);
	g_ptr_array_free(root->buses, TRUE);
	g_hash_table_destroy(root->by_sbdf);
	g_free(root);
}

static struct pci_bus *bus_get(struct pci_root *root, GHashTable *buses, uint32_t key,
			       struct pci_dev *self)
{
	struct pci_bus *bus = g_hash_table_lookup(buses, GUINT_TO_POINTER(key));

	if (!bus) {
		bus = g_new0(struct pci_bus, 1);
		bus->domain = (uint16_t)(key >> 8);
		bus->number = (uint8_t)key;
		g_ptr_array_add(root->buses, bus);
		g_hash_table_insert(buses, GUINT_TO_POINTER(key), bus);
	}
	if (self)
		bus->self = self;
	return bus;
}

static struct pci_dev *dev_new(const struct pci_dev_spec *sp, const struct pci_devmodel *m)
{
	struct pci_dev *d = g_new0(struct pci_dev, 1);

	d->sbdf = sp->sbdf;
	d->devfn = PCI_SBDF_DEVFN(sp->sbdf);
	d->type = sp->type;
	d->multifunction = sp->multifunction;
	d->has_acs = sp->has_acs;
	d->acs_cap = sp->has_acs ? sp->acs_cap : 0;
	/* spec §A1: the kernel enables ctrl = cap & REQ at boot */
	d->acs_ctrl = !sp->has_acs ? 0 : sp->has_acs_ctrl ? sp->acs_ctrl
					  : (uint16_t)(sp->acs_cap & PCI_ACS_REQ);
	d->acs_quirk = sp->acs_quirk;
	memcpy(d->dma_alias, sp->dma_alias, sizeof(d->dma_alias));
	d->ats = sp->ats;
	d->pri = sp->pri;
	d->pasid_width = sp->pasid_width;
	d->vendor = spec_vendor(sp);
	d->device = spec_device(sp);
	memcpy(d->bars, sp->bars, sizeof(d->bars));
	d->msi_vectors = sp->msi_vectors;
	d->msix_vectors = sp->msix_vectors;
	/* a function has an INTx pin unless the topology says otherwise */
	d->intx = sp->has_intx ? sp->intx : !pci_type_is_bridge(sp->type);
	if (m) {
		/* what the spec leaves out is the model's (check_model) */
		if (!spec_states_bars(sp))
			memcpy(d->bars, m->bars, sizeof(d->bars));
		d->msi_vectors = sp->msi_vectors ? sp->msi_vectors : m->msi_vectors;
		d->msix_vectors = sp->msix_vectors ? sp->msix_vectors : m->msix_vectors;
		d->intx = sp->has_intx ? sp->intx : m->intx;
	}
	/* reset methods: the model's, the spec's, else an FLR (the PCIe
	 * capability's on a PCI Express function, the AF capability's on a
	 * conventional one) */
	d->resets = m ? m->resets : sp->has_resets ? sp->resets :
		    pci_type_is_bridge(sp->type) ? 0 :
		    pci_type_is_pcie(sp->type) ? PCI_RESET_FLR : PCI_RESET_AF;
	d->no_iommu = sp->no_iommu;
	pci_sbdf_format(d->sbdf, d->name);
	return d;
}

static gint cmp_dev_devfn(gconstpointer a, gconstpointer b)
{
	const struct pci_dev *x = *(struct pci_dev *const *)a, *y = *(struct pci_dev *const *)b;

	return (int)x->devfn - (int)y->devfn;
}

static gint cmp_bus_self_devfn(gconstpointer a, gconstpointer b)
{
	const struct pci_bus *x = *(struct pci_bus *const *)a, *y = *(struct pci_bus *const *)b;

	return (int)x->self->devfn - (int)y->self->devfn;
}

static gint cmp_root_bus(gconstpointer a, gconstpointer b)
{
	const struct pci_bus *x = *(struct pci_bus *const *)a, *y = *(struct pci_bus *const *)b;

	if (x->domain != y->domain)
		return (int)x->domain - (int)y->domain;
	return (int)x->number - (int)y->number;
}

/* Fill bus->devices (by devfn) and bus->children (by bridge devfn). */
static void bus_link(struct pci_root *root, GPtrArray *devs)
{
	for (guint i = 0; i < root->buses->len; i++) {
		struct pci_bus *bus = g_ptr_array_index(root->buses, i);
		GPtrArray *on = g_ptr_array_new(), *kids = g_ptr_array_new();

		bus->parent = bus->self ? bus->self->bus : NULL;
		for (guint j = 0; j < devs->len; j++) {
			struct pci_dev *d = g_ptr_array_index(devs, j);

			if (d->bus == bus)
				g_ptr_array_add(on, d);
		}
		g_ptr_array_sort(on, cmp_dev_devfn);
		for (guint j = 0; j < on->len; j++) {
			struct pci_dev *d = g_ptr_array_index(on, j);

			if (d->subordinate)
				g_ptr_array_add(kids, d->subordinate);
		}
		g_ptr_array_sort(kids, cmp_bus_self_devfn);
		bus->ndevices = on->len;
		bus->devices = (struct pci_dev **)g_ptr_array_free(on, FALSE);
		bus->nchildren = kids->len;
		bus->children = (struct pci_bus **)g_ptr_array_free(kids, FALSE);
		if (!bus->self)
			g_ptr_array_add(root->root_buses, bus);
	}
	g_ptr_array_sort(root->root_buses, cmp_root_bus);
}

/* spec §A: functions of a bus by devfn, then each bridge's bus, depth first. */
static void enumerate_bus(struct pci_root *root, struct pci_bus *bus)
{
	for (size_t i = 0; i < bus->ndevices; i++) {
		bus->devices[i]->probe_index = root->devs->len;
		g_ptr_array_add(root->devs, bus->devices[i]);
	}
	for (size_t i = 0; i < bus->nchildren; i++)
		enumerate_bus(root, bus->children[i]);
}

/* Allocate every function, hang it on its bus, enumerate. */
static int topo_build(struct pci_root *root, struct topo_check *c)
{
	GPtrArray *devs = g_ptr_array_new_with_free_func(dev_free);
	GHashTable *buses = g_hash_table_new(g_direct_hash, g_direct_equal);
	int ret = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct pci_devmodel *m = spec_model(&c->specs[i]);
		struct pci_dev *d;

		if (sim_should_fail(root->w, "pci_dev_alloc")) {
			ret = -ENOMEM;
			goto out;
		}
		d = dev_new(&c->specs[i], m);
		g_ptr_array_add(devs, d);
		if ((ret = pci_devmodel_attach(root->w, d, m)))
			goto out;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct pci_dev *d = g_ptr_array_index(devs, i);
		struct pci_dev *parent = c->parent[i] == SIZE_MAX ? NULL
					 : g_ptr_array_index(devs, c->parent[i]);

		d->bus = bus_get(root, buses, BUS_KEY(d->sbdf), parent);
		if (c->secondary[i] != NO_BUS)
			d->subordinate = bus_get(root, buses, c->secondary[i], d);
	}
	bus_link(root, devs);
	for (size_t i = 0; i < root->root_buses->len; i++)
		enumerate_bus(root, g_ptr_array_index(root->root_buses, i));
	root->state = g_new0(struct pci_dev_state, c->n);
	for (size_t i = 0; i < c->n; i++) {
		struct pci_dev *d = g_ptr_array_index(devs, i);
		const char *drv = c->specs[i].driver;

		if (!drv && pci_type_is_bridge(d->type))
			drv = "pcieport";
		root->state[d->probe_index].spec_index = i;
		root->state[d->probe_index].initial_driver = g_strdup(drv);
		g_hash_table_insert(root->by_sbdf, GUINT_TO_POINTER(d->sbdf), d);
	}
	g_ptr_array_set_free_func(devs, NULL);      /* root->devs owns them now */
out:
	g_ptr_array_free(devs, TRUE);
	g_hash_table_destroy(buses);
	return ret;
}

/* In probe order: announce each function, build its configuration space
 * (config.c: every function is on its bus by now), then run its quirks
 * (quirks.c), so a trace shows every quirk right after the device it
 * applies to.  Then every requester id, the topology being final. */
static void add_devices(struct pci_root *root)
{
	for (guint i = 0; i < root->devs->len; i++) {
		struct pci_dev *d = g_ptr_array_index(root->devs, i);

		SIM_TRACE(root->w, pci_dev_add, d->name, pci_type_name(d->type),
			  d->bus->self ? d->bus->self->name : "none");
		pci_config_build(d);
		pci_dev_apply_quirks(root->w, d);
		if (d->model)
			SIM_TRACE(root->w, pci_devmodel_attach, d->name, d->model->name);
	}
	/* last: a bridge's bridge_alias quirk decides the ids of all below it */
	pci_dma_rids_init(root);
}

int pci_topology_create(struct sim_world *w, const struct pci_dev_spec *specs,
			size_t n, struct pci_build_error *err)
{
	struct topo_check c = {
		.specs = specs, .n = n, .err = err,
		.index = g_hash_table_new(g_direct_hash, g_direct_equal),
		.bus_claim = g_hash_table_new(g_direct_hash, g_direct_equal),
		.parent = g_new0(size_t, n ? n : 1),
		.secondary = g_new0(uint32_t, n ? n : 1),
	};
	struct pci_root *root = NULL;
	int ret;

	if (sim_world_subsys(w, SIM_SUBSYS_PCI)) {
		ret = -EEXIST;
		goto out;
	}
	ret = topo_validate(&c);
	if (ret)
		goto out;
	root = g_new0(struct pci_root, 1);
	root->w = w;
	root->devs = g_ptr_array_new_with_free_func(dev_free);
	root->buses = g_ptr_array_new_with_free_func(bus_free);
	root->root_buses = g_ptr_array_new();
	root->by_sbdf = g_hash_table_new(g_direct_hash, g_direct_equal);
	pci_drivers_init(root);
	ret = topo_build(root, &c);
	if (ret)
		goto err_root;
	sim_world_set_subsys(w, SIM_SUBSYS_PCI, root, pci_root_free);
	pci_sysfs_init(w);
	add_devices(root);
	goto out;
err_root:
	pci_root_free(root);
out:
	topo_check_fini(&c);
	return ret;
}
