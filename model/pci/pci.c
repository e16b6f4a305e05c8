/* SPDX-License-Identifier: MIT */
/*
 * PCI names, addresses, lookups and the DMA alias walk (spec §A2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "model/pci/pci_internal.h"
#include "iommusim/iommusim.h"

/* ---- types and ACS bits ------------------------------------------------- */

static const char *const type_names[PCI_TYPE_NR] = {
	[PCI_TYPE_ROOT_PORT] = "root-port",
	[PCI_TYPE_UPSTREAM_PORT] = "upstream-port",
	[PCI_TYPE_DOWNSTREAM_PORT] = "downstream-port",
	[PCI_TYPE_PCIE_TO_PCI_BRIDGE] = "pcie-to-pci-bridge",
	[PCI_TYPE_PCI_BRIDGE] = "pci-bridge",
	[PCI_TYPE_ENDPOINT] = "endpoint",
	[PCI_TYPE_LEGACY_ENDPOINT] = "legacy-endpoint",
	[PCI_TYPE_RC_ENDPOINT] = "rc-endpoint",
	[PCI_TYPE_PCI_DEVICE] = "pci-device",
};

const char *pci_type_name(enum pci_type t)
{
	return (unsigned)t < PCI_TYPE_NR ? type_names[t] : NULL;
}

int pci_type_from_name(const char *name)
{
	for (int i = 0; name && i < PCI_TYPE_NR; i++)
		if (!strcmp(name, type_names[i]))
			return i;
	return -1;
}

bool pci_type_is_bridge(enum pci_type t)
{
	switch (t) {
	case PCI_TYPE_ROOT_PORT:
	case PCI_TYPE_UPSTREAM_PORT:
	case PCI_TYPE_DOWNSTREAM_PORT:
	case PCI_TYPE_PCIE_TO_PCI_BRIDGE:
	case PCI_TYPE_PCI_BRIDGE:
		return true;
	default:
		return false;
	}
}

bool pci_type_is_pcie(enum pci_type t)
{
	return (unsigned)t < PCI_TYPE_NR && t != PCI_TYPE_PCI_BRIDGE &&
	       t != PCI_TYPE_PCI_DEVICE;
}

static const char *const acs_names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };

uint16_t pci_acs_bit_from_name(const char *name)
{
	for (unsigned i = 0; name && i < G_N_ELEMENTS(acs_names); i++)
		if (!strcmp(name, acs_names[i]))
			return (uint16_t)(1u << i);
	return 0;
}

const char *pci_acs_bit_name(uint16_t bit)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(acs_names); i++)
		if (bit == (1u << i))
			return acs_names[i];
	return NULL;
}

/* ---- addresses ---------------------------------------------------------- */

/*
 * Read 1..@maxdigits hex digits ending at a character in @stops ("" for the
 * end of the string).  Returns the position after the number, or NULL.
 */
static const char *parse_hex(const char *s, unsigned maxdigits, unsigned max,
			     const char *stops, unsigned *out)
{
	unsigned v = 0, n = 0;

	for (; g_ascii_isxdigit(*s); s++, n++) {
		if (n == maxdigits)
			return NULL;
		v = v * 16 + (unsigned)g_ascii_xdigit_value(*s);
	}
	if (!n || v > max)
		return NULL;
	if (*stops ? !(*s && strchr(stops, *s)) : *s != '\0')
		return NULL;
	*out = v;
	return s;
}

/* "[bb:]dd.f" with an optional bus; the rest of the string must be empty. */
static int parse_busdevfn(const char *s, bool need_bus, unsigned *bus, unsigned *devfn)
{
	unsigned a, dev, fn;
	const char *p = parse_hex(s, 2, 0xff, ":.", &a);

	if (!p)
		return -EINVAL;
	if (*p == ':') {
		*bus = a;
		p = parse_hex(p + 1, 2, 0x1f, ".", &dev);
		if (!p)
			return -EINVAL;
	} else {
		if (need_bus || a > 0x1f)
			return -EINVAL;
		dev = a;
	}
	p = parse_hex(p + 1, 1, 7, "", &fn);
	if (!p || *p)
		return -EINVAL;
	*devfn = PCI_DEVFN(dev, fn);
	return 0;
}

int pci_sbdf_parse(const char *s, uint32_t *out)
{
	unsigned dom = 0, bus = 0, devfn;
	const char *colon1, *colon2;

	if (!s)
		return -EINVAL;
	colon1 = strchr(s, ':');
	colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
	if (colon2) {
		const char *p = parse_hex(s, 4, 0xffff, ":", &dom);

		if (!p)
			return -EINVAL;
		s = p + 1;
	}
	if (parse_busdevfn(s, true, &bus, &devfn))
		return -EINVAL;
	*out = PCI_SBDF(dom, bus, devfn);
	return 0;
}

int pci_devfn_parse(const char *s, uint8_t bus, uint8_t *devfn_out, uint8_t *bus_out)
{
	unsigned b = bus, devfn;

	if (!s || parse_busdevfn(s, false, &b, &devfn))
		return -EINVAL;
	*devfn_out = (uint8_t)devfn;
	*bus_out = (uint8_t)b;
	return 0;
}

char *pci_sbdf_format(uint32_t sbdf, char buf[PCI_SBDF_STRLEN])
{
	snprintf(buf, PCI_SBDF_STRLEN, "%04x:%02x:%02x.%u", PCI_SBDF_DOMAIN(sbdf),
		 PCI_SBDF_BUS(sbdf), PCI_SLOT(PCI_SBDF_DEVFN(sbdf)),
		 PCI_FUNC(PCI_SBDF_DEVFN(sbdf)));
	return buf;
}

/* ---- lookups ------------------------------------------------------------ */

size_t pci_dev_count(struct sim_world *w)
{
	struct pci_root *root = pci_root_get(w);

	return root ? root->devs->len : 0;
}

struct pci_dev *pci_dev_at(struct sim_world *w, size_t probe_index)
{
	struct pci_root *root = pci_root_get(w);

	if (!root || probe_index >= root->devs->len)
		return NULL;
	return g_ptr_array_index(root->devs, probe_index);
}

struct pci_dev *pci_dev_find(struct sim_world *w, uint32_t sbdf)
{
	struct pci_root *root = pci_root_get(w);

	return root ? g_hash_table_lookup(root->by_sbdf, GUINT_TO_POINTER(sbdf)) : NULL;
}

struct pci_dev *pci_bus_find_dev(struct pci_bus *bus, uint8_t devfn)
{
	for (size_t i = 0; bus && i < bus->ndevices; i++)
		if (bus->devices[i]->devfn == devfn)
			return bus->devices[i];
	return NULL;
}

size_t pci_root_bus_count(struct sim_world *w)
{
	struct pci_root *root = pci_root_get(w);

	return root ? root->root_buses->len : 0;
}

struct pci_bus *pci_root_bus_at(struct sim_world *w, size_t i)
{
	struct pci_root *root = pci_root_get(w);

	if (!root || i >= root->root_buses->len)
		return NULL;
	return g_ptr_array_index(root->root_buses, i);
}

/* ---- DMA aliases (spec §A2) ---------------------------------------------- */

/*
 * The function's own RID, then each alias devfn on its bus in ascending
 * order (the visited device stays @d: an alias is a RID @d uses, not another
 * function).  Then up to the root bus: ports forward requests unchanged, a
 * PCIe-to-PCI bridge re-tags everything from below as (secondary, 00.0), a
 * conventional PCI bridge as its own RID, unless it has bridge_alias (the
 * PCIE_BRIDGE_ALIAS quirk: a PCIe-to-PCI bridge hiding its PCIe capability),
 * which re-tags as (secondary, 00.0) too.  Buses without a bridge above
 * (virtual buses) are skipped.
 */
int pci_for_each_dma_alias(struct pci_dev *d,
			   int (*fn)(struct pci_dev *visited, uint16_t rid, void *ctx),
			   void *ctx)
{
	int ret = fn(d, pci_dev_rid(d), ctx);

	if (ret)
		return ret;
	/* set bits only, lowest first: the same ascending order as testing
	 * all 256 devfns, without the 256 tests (most functions have none) */
	for (unsigned word = 0; word < G_N_ELEMENTS(d->dma_alias); word++) {
		for (uint64_t bits = d->dma_alias[word]; bits; bits &= bits - 1) {
			unsigned devfn = word * 64 + (unsigned)__builtin_ctzll(bits);

			ret = fn(d, PCI_RID(d->bus->number, devfn), ctx);
			if (ret)
				return ret;
		}
	}
	for (struct pci_bus *bus = d->bus; bus->parent; bus = bus->parent) {
		struct pci_dev *br = bus->self;

		if (!br)
			continue;
		switch (br->type) {
		case PCI_TYPE_PCIE_TO_PCI_BRIDGE:
			ret = fn(br, PCI_RID(br->subordinate->number, 0), ctx);
			break;
		case PCI_TYPE_PCI_BRIDGE:
			ret = fn(br, br->bridge_alias ? PCI_RID(br->subordinate->number, 0)
						      : pci_dev_rid(br), ctx);
			break;
		default:
			continue;       /* root, upstream, downstream ports */
		}
		if (ret)
			return ret;
	}
	return 0;
}

struct rid_walk {
	struct pci_dev *start;
	uint16_t rid;
};

static int last_bridge_rid(struct pci_dev *visited, uint16_t rid, void *ctx)
{
	struct rid_walk *rw = ctx;

	if (visited != rw->start)
		rw->rid = rid;
	return 0;
}

/*
 * Every function's requester id, by the alias walk itself so the answer is
 * the walk's by construction.  It depends only on the buses, the bridges'
 * types and bridge_alias, none of which changes once the topology is built,
 * so one walk per function replaces one per DMA.
 */
void pci_dma_rids_init(struct pci_root *root)
{
	for (guint i = 0; i < root->devs->len; i++) {
		struct pci_dev *d = g_ptr_array_index(root->devs, i);
		struct rid_walk rw = { .start = d, .rid = pci_dev_rid(d) };

		pci_for_each_dma_alias(d, last_bridge_rid, &rw);
		d->dma_rid = rw.rid;
	}
}

int pci_dev_lookup(struct sim_world *w, const char *bdf, struct pci_dev **d)
{
	uint32_t sbdf;

	if (!w || pci_sbdf_parse(bdf, &sbdf))
		return -EINVAL;
	*d = pci_dev_find(w, sbdf);
	return *d ? 0 : -ENODEV;
}

static int cmp_sbdf(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Public API (<iommusim/iommusim.h>): every function, in SBDF order. */
long sim_pci_functions(struct sim_world *w, char *buf, size_t n)
{
	size_t count, len = 0;
	uint32_t *sbdf;
	char name[PCI_SBDF_STRLEN];
	long ret = 0;

	if (!w || !buf)
		return -EINVAL;
	count = pci_dev_count(w);
	sbdf = g_new(uint32_t, count ? count : 1);
	for (size_t i = 0; i < count; i++)
		sbdf[i] = pci_dev_at(w, i)->sbdf;
	qsort(sbdf, count, sizeof(*sbdf), cmp_sbdf);
	if (n)
		buf[0] = 0;
	for (size_t i = 0; i < count && !ret; i++) {
		pci_sbdf_format(sbdf[i], name);
		if (len + strlen(name) + (i ? 1 : 0) + 1 > n)
			ret = -ENOSPC;
		else
			len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? " " : "", name);
	}
	g_free(sbdf);
	return ret ? ret : (long)len;
}
