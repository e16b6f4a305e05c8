/* SPDX-License-Identifier: MIT */
/*
 * iommusim qemu-args: a scenario's topology as QEMU 7.2 arguments, for the
 * real-kernel oracle (docs/qemu-args.md).
 *
 * Every fact in the tables below was read back from QEMU 7.2 itself (the
 * config space of each model through MMCONFIG after SeaBIOS ran, and `info
 * pci`), so a scenario QEMU cannot reproduce exactly is refused here, at the
 * key concerned, rather than silently giving the guest another machine.
 *
 * The scenario's specs carry no positions, so the YAML text is parsed again
 * (ydoc) and entry i of its `topology` sequence is spec i.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/trace.h"
#include "model/pci/pci.h"
#include "tools/scenario/loader.h"
#include "tools/scenario/qemu_args.h"
#include "tools/scenario/scenario.h"
#include "tools/scenario/ydoc.h"

/* What a QEMU device model is, as its config space shows it. */
struct qa_model {
	const char *qemu;              /* -device NAME (or the q35 part's name) */
	const char *id;                /* prefix of the ids given to it */
	uint16_t vendor, device;
	struct pci_bar bars[PCI_NUM_BARS];
	uint16_t msi, msix;            /* vectors; 0 = no such capability */
	bool intx;                     /* has an interrupt pin */
	bool pcie;                     /* an endpoint with a PCI Express capability */
	bool nic;                      /* gets romfile= (no option ROM to load) */
};

#define KIB 1024ull
#define MEM32(sz) { .size = (sz), .type = PCI_BAR_MEM32 }
#define MEM64(sz) { .size = (sz), .type = PCI_BAR_MEM64 }
#define IOBAR(sz) { .size = (sz), .type = PCI_BAR_IO }

/* Bridges and ports by topology type.  Only pcie-root-port has ACS. */
static const struct qa_model bridge_models[] = {
	[PCI_TYPE_ROOT_PORT] = {
		.qemu = "pcie-root-port", .id = "rp", .vendor = 0x1b36, .device = 0x000c,
		.bars = { [0] = MEM32(4 * KIB) }, .msix = 1, .intx = true,
	},
	[PCI_TYPE_UPSTREAM_PORT] = {
		.qemu = "x3130-upstream", .id = "usp", .vendor = 0x104c, .device = 0x8232,
		.msi = 1,
	},
	[PCI_TYPE_DOWNSTREAM_PORT] = {
		.qemu = "xio3130-downstream", .id = "dsp", .vendor = 0x104c, .device = 0x8233,
		.msi = 1,
	},
	[PCI_TYPE_PCIE_TO_PCI_BRIDGE] = {
		.qemu = "pcie-pci-bridge", .id = "ppb", .vendor = 0x1b36, .device = 0x000e,
		.bars = { [0] = MEM64(256) }, .msi = 1, .intx = true,
	},
	[PCI_TYPE_PCI_BRIDGE] = {
		.qemu = "pci-bridge", .id = "pb", .vendor = 0x1b36, .device = 0x0001,
		.bars = { [0] = MEM64(256) }, .msi = 1, .intx = true,
	},
};

/* The ACS capability bits QEMU 7.2's pcie_acs_init gives a downstream port. */
#define QA_ROOT_PORT_ACS (PCI_ACS_SV | PCI_ACS_TB | PCI_ACS_RR | PCI_ACS_CR | \
			  PCI_ACS_UF | PCI_ACS_DT)

/* Endpoints, found by (vendor, device). */
static const struct qa_model endpoint_models[] = {
	{
		.qemu = "e1000e", .id = "e1000e", .vendor = 0x8086, .device = 0x10d3,
		.bars = { [0] = MEM32(128 * KIB), [1] = MEM32(128 * KIB), [2] = IOBAR(32),
			  [3] = MEM32(16 * KIB) },
		.msi = 1, .msix = 5, .intx = true, .pcie = true, .nic = true,
	},
	{
		.qemu = "e1000", .id = "e1000", .vendor = 0x8086, .device = 0x100e,
		.bars = { [0] = MEM32(128 * KIB), [1] = IOBAR(64) }, .intx = true, .nic = true,
	},
	{
		.qemu = "edu", .id = "edu", .vendor = 0x1234, .device = 0x11e8,
		.bars = { [0] = MEM32(1024 * KIB) }, .msi = 1, .intx = true,
	},
};

/* q35's own functions: always there, never emitted. */
struct qa_chipset {
	uint8_t devfn;
	bool multifunction;
	const char *what;
	struct qa_model m;
};

static const struct qa_chipset chipset[] = {
	{ PCI_DEVFN(0x00, 0), false, "host bridge",
	  { .qemu = "mch", .vendor = 0x8086, .device = 0x29c0 } },
	{ PCI_DEVFN(0x1f, 0), true, "ICH9 LPC bridge",
	  { .qemu = "ICH9-LPC", .vendor = 0x8086, .device = 0x2918 } },
	{ PCI_DEVFN(0x1f, 2), true, "ICH9 SATA controller",
	  { .qemu = "ich9-ahci", .vendor = 0x8086, .device = 0x2922,
	    .bars = { [4] = IOBAR(32), [5] = MEM32(4 * KIB) }, .msi = 1, .intx = true } },
	{ PCI_DEVFN(0x1f, 3), true, "ICH9 SMBus controller",
	  { .qemu = "ICH9-SMB", .vendor = 0x8086, .device = 0x2930,
	    .bars = { [4] = IOBAR(64) }, .intx = true } },
};

#define QA_CHIPSET_SLOT 0x1f
#define NO_PARENT SIZE_MAX

struct qa {
	const struct scenario *s;
	const struct ynode *topo;      /* the `topology` sequence */
	struct ldr l;                  /* for ldr_error's FILE:LINE:COL */
	size_t n;
	GHashTable *index;             /* sbdf -> spec index + 1 */
	size_t *parent;                /* spec index, or NO_PARENT */
	const struct qa_model **model;
	const struct qa_chipset **chip;
	unsigned *fw_bus;              /* a bridge's secondary bus, as SeaBIOS numbers it */
	size_t *kids;                  /* spec indices sorted by (parent, sbdf) */
	size_t *kids_start;            /* [parent] first position in kids, or SIZE_MAX */
	size_t *order;                 /* preorder: the firmware's walk */
	size_t norder;
	unsigned next_bus;
};

static int qa_error(struct qa *q, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int qa_error(struct qa *q, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	ldr_error(&q->l, n, "qemu-args: %s", msg);
	g_free(msg);
	return -1;
}

static const struct pci_dev_spec *spec(const struct qa *q, size_t i)
{
	return &q->s->topology[i];
}

/* The value of @key in entry @i, or the entry itself. */
static const struct ynode *at(const struct qa *q, size_t i, const char *key)
{
	const struct ynode *e = q->topo->items[i], *v = ynode_map_get(e, key);

	return v ? v : e;
}

/* The value of @key inside the map at @outer of entry @i, or the map. */
static const struct ynode *at2(const struct qa *q, size_t i, const char *outer,
			       const char *key)
{
	const struct ynode *m = at(q, i, outer), *v = ynode_map_get(m, key);

	return v ? v : m;
}

static size_t find(const struct qa *q, uint32_t sbdf)
{
	gpointer v = g_hash_table_lookup(q->index, GUINT_TO_POINTER(sbdf));

	return v ? GPOINTER_TO_SIZE(v) - 1 : SIZE_MAX;
}

static const char *name(const struct qa *q, size_t i, char buf[PCI_SBDF_STRLEN])
{
	return pci_sbdf_format(spec(q, i)->sbdf, buf);
}

static const char *type_name(const struct qa *q, size_t i)
{
	return pci_type_name(spec(q, i)->type);
}

static const char *article(const char *word)
{
	return strchr("aeiou", word[0]) ? "an" : "a";
}

/* "8086:10d3", or "no vendor/device" when the entry names neither. */
static const char *ids(const struct pci_dev_spec *sp, char buf[32])
{
	if (!sp->vendor && !sp->device)
		return "no vendor/device";
	snprintf(buf, 32, "%04x:%04x", sp->vendor, sp->device);
	return buf;
}

static void bar_desc(const struct pci_bar *b, char buf[64])
{
	static const char *const types[] = { "mem32", "mem64", "io" };
	char size[32];

	if (b->size % (1024 * KIB) == 0)
		snprintf(size, sizeof(size), "%lluM", (unsigned long long)(b->size / (1024 * KIB)));
	else if (b->size % KIB == 0)
		snprintf(size, sizeof(size), "%lluK", (unsigned long long)(b->size / KIB));
	else
		snprintf(size, sizeof(size), "%llu-byte", (unsigned long long)b->size);
	snprintf(buf, 64, "%s %s%s", size, types[b->type], b->prefetchable ? " prefetchable" : "");
}

/* ---- the firmware's walk ------------------------------------------------ */

struct qa_kid {
	size_t parent;                 /* NO_PARENT sorts last: the root bus */
	uint32_t sbdf;
	size_t index;
};

static int cmp_kid(const void *a, const void *b)
{
	const struct qa_kid *x = a, *y = b;

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return x->sbdf < y->sbdf ? -1 : x->sbdf > y->sbdf;
}

static void visit(struct qa *q, size_t i)
{
	q->order[q->norder++] = i;
	if (!pci_type_is_bridge(spec(q, i)->type))
		return;
	q->fw_bus[i] = ++q->next_bus;
	if (q->kids_start[i] == SIZE_MAX)
		return;
	for (size_t k = q->kids_start[i]; k < q->n && q->parent[q->kids[k]] == i; k++)
		visit(q, q->kids[k]);
}

/*
 * SeaBIOS numbers secondary buses depth first: on each bus, in devfn order,
 * a bridge gets the next number and the buses below it are numbered before
 * the next bridge's.  The same walk over every function is the order of
 * emission, so a parent always comes before its children.
 */
static void firmware_walk(struct qa *q)
{
	struct qa_kid *kids = g_new(struct qa_kid, q->n + 1);
	size_t k;

	for (size_t i = 0; i < q->n; i++) {
		kids[i] = (struct qa_kid){ q->parent[i], spec(q, i)->sbdf, i };
		q->kids_start[i] = SIZE_MAX;
	}
	qsort(kids, q->n, sizeof(*kids), cmp_kid);
	for (k = 0; k < q->n; k++)
		q->kids[k] = kids[k].index;
	g_free(kids);
	for (k = q->n; k-- > 0;)
		if (q->parent[q->kids[k]] != NO_PARENT)
			q->kids_start[q->parent[q->kids[k]]] = k;
	for (k = 0; k < q->n && q->parent[q->kids[k]] != NO_PARENT; k++)
		;
	for (; k < q->n; k++)
		visit(q, q->kids[k]);
}

/* ---- checks, one entry at a time ---------------------------------------- */

/* The domain, the root bus, and q35's own slots 00:00 and 00:1f. */
static int check_place(struct qa *q, size_t i)
{
	const struct pci_dev_spec *sp = spec(q, i);
	char b[PCI_SBDF_STRLEN];
	uint8_t devfn = PCI_SBDF_DEVFN(sp->sbdf);

	if (PCI_SBDF_DOMAIN(sp->sbdf))
		return qa_error(q, at(q, i, "bdf"), "QEMU's q35 has one PCI domain, 0000: "
				"%s is in domain %04x", name(q, i, b), PCI_SBDF_DOMAIN(sp->sbdf));
	if (q->parent[i] != NO_PARENT)
		return 0;
	if (PCI_SBDF_BUS(sp->sbdf))
		return qa_error(q, at(q, i, "bdf"), "%s has no parent, but q35's only root "
				"bus is pcie.0, bus 00: move it to bus 00 or give it a parent",
				name(q, i, b));
	if (PCI_SLOT(devfn) != 0 && PCI_SLOT(devfn) != QA_CHIPSET_SLOT)
		return 0;
	for (size_t c = 0; c < G_N_ELEMENTS(chipset); c++)
		if (chipset[c].devfn == devfn)
			q->chip[i] = &chipset[c];
	if (!q->chip[i])
		return qa_error(q, at(q, i, "bdf"), "slots 00:00 and 00:1f are q35's own "
				"(host bridge 00:00.0; ICH9 LPC 00:1f.0, SATA 00:1f.2, SMBus "
				"00:1f.3): %s cannot be added there; move it to a free slot",
				name(q, i, b));
	return 0;
}

/* A declared q35 function must be what QEMU has there. */
static int check_chipset(struct qa *q, size_t i)
{
	const struct qa_chipset *c = q->chip[i];
	const struct pci_dev_spec *sp = spec(q, i);
	char b[PCI_SBDF_STRLEN], m[PCI_SBDF_STRLEN], id[32];

	if (sp->vendor != c->m.vendor || sp->device != c->m.device)
		return qa_error(q, at(q, i, sp->vendor ? "vendor" : "device"), "%s is q35's %s, "
				"%04x:%04x, but the scenario gives it %s", name(q, i, b), c->what,
				c->m.vendor, c->m.device, ids(sp, id));
	/* QEMU's are conventional (no PCI Express capability); rc-endpoint
	 * forms the same groups, as none of them has ACS */
	if (sp->type != PCI_TYPE_PCI_DEVICE && sp->type != PCI_TYPE_RC_ENDPOINT)
		return qa_error(q, at(q, i, "type"), "q35's %s %s is a conventional PCI "
				"function on the root bus: write type: pci-device (or "
				"rc-endpoint), not %s", c->what, name(q, i, b),
				type_name(q, i));
	if (!c->multifunction && sp->multifunction)
		return qa_error(q, at(q, i, "multifunction"), "q35's %s %s is single-function: "
				"remove multifunction", c->what, name(q, i, b));
	if (PCI_SLOT(c->devfn) != QA_CHIPSET_SLOT)
		return 0;
	for (size_t k = 0; k < G_N_ELEMENTS(chipset); k++) {
		uint32_t sbdf = PCI_SBDF(0, 0, chipset[k].devfn);

		if (PCI_SLOT(chipset[k].devfn) == QA_CHIPSET_SLOT && find(q, sbdf) == SIZE_MAX)
			return qa_error(q, at(q, i, "bdf"), "declare all of q35's 00:1f "
					"functions or none (LPC 00:1f.0, SATA 00:1f.2, SMBus "
					"00:1f.3: the guest kernel groups them together): %s is "
					"missing", pci_sbdf_format(sbdf, m));
	}
	return 0;
}

/* Pick the model: by type for bridges, by (vendor, device) for the rest. */
static int check_model(struct qa *q, size_t i)
{
	const struct pci_dev_spec *sp = spec(q, i);
	const struct qa_model *m = NULL;
	char b[PCI_SBDF_STRLEN], id[32];

	if (q->chip[i]) {
		q->model[i] = &q->chip[i]->m;
		return check_chipset(q, i);
	}
	if (pci_type_is_bridge(sp->type)) {
		m = &bridge_models[sp->type];
		if ((sp->vendor && sp->vendor != m->vendor) ||
		    (sp->device && sp->device != m->device))
			return qa_error(q, at(q, i, sp->vendor ? "vendor" : "device"),
					"QEMU's %s is %04x:%04x, not %s: remove vendor and "
					"device or write those", m->qemu, m->vendor, m->device,
					ids(sp, id));
		q->model[i] = m;
		return 0;
	}
	for (size_t k = 0; k < G_N_ELEMENTS(endpoint_models); k++)
		if (endpoint_models[k].vendor == sp->vendor &&
		    endpoint_models[k].device == sp->device)
			m = &endpoint_models[k];
	if (!m)
		return qa_error(q, at(q, i, sp->vendor ? "vendor" : sp->device ? "device" : "bdf"),
				"QEMU has no model for %s (%s): the endpoints it builds are "
				"e1000e (8086:10d3, PCI Express), e1000 (8086:100e, PCI) and "
				"edu (1234:11e8, PCI)", name(q, i, b), ids(sp, id));
	q->model[i] = m;
	return 0;
}

static bool is_port(enum pci_type t)
{
	return t == PCI_TYPE_ROOT_PORT || t == PCI_TYPE_DOWNSTREAM_PORT;
}

/* The entry's type must be the model's, on a bus the model can sit on. */
static int check_type_and_parent(struct qa *q, size_t i)
{
	const struct pci_dev_spec *sp = spec(q, i);
	const struct qa_model *m = q->model[i];
	size_t p = q->parent[i];
	int pt = p == NO_PARENT ? -1 : (int)spec(q, p)->type;
	const char *ptn = pt < 0 ? "" : pci_type_name(pt);
	char b[PCI_SBDF_STRLEN], pb[PCI_SBDF_STRLEN];

	if (q->chip[i])
		return 0;
	if (pt == PCI_TYPE_UPSTREAM_PORT && sp->type != PCI_TYPE_DOWNSTREAM_PORT)
		return qa_error(q, at(q, i, "type"), "below an upstream-port is the switch's "
				"internal bus, where QEMU's x3130-upstream has only "
				"downstream-ports: %s is %s %s", name(q, i, b),
				article(type_name(q, i)), type_name(q, i));
	if (pt >= 0 && is_port(pt) && PCI_SLOT(PCI_SBDF_DEVFN(sp->sbdf)))
		return qa_error(q, at(q, i, "bdf"), "Linux scans only device 00 below a "
				"PCI Express port (only_one_child), so the guest would not see "
				"%s: use device 00 on bus %02x", name(q, i, b),
				PCI_SBDF_BUS(sp->sbdf));
	switch (sp->type) {
	case PCI_TYPE_ROOT_PORT:
		if (pt >= 0)
			return qa_error(q, at(q, i, "parent"), "QEMU's pcie-root-port goes on "
					"the root bus pcie.0 only, not below %s %s",
					article(ptn), ptn);
		return 0;
	case PCI_TYPE_UPSTREAM_PORT:
	case PCI_TYPE_DOWNSTREAM_PORT:
	case PCI_TYPE_PCI_BRIDGE:
		return 0;      /* the loader placed the switch ports; a pci-bridge goes anywhere */
	case PCI_TYPE_PCIE_TO_PCI_BRIDGE:
		if (pt >= 0 && !is_port(pt))
			return qa_error(q, at(q, i, "parent"), "QEMU's pcie-pci-bridge is a PCI "
					"Express device: put it on the root bus or below a "
					"root-port or downstream-port, not below %s %s (%s)",
					article(ptn), ptn, pci_sbdf_format(sp->parent, pb));
		return 0;
	default:
		break;
	}
	if (!m->pcie) {
		if (sp->type != PCI_TYPE_PCI_DEVICE)
			return qa_error(q, at(q, i, "type"), "QEMU's %s is a conventional PCI "
					"device: write type: pci-device, not %s", m->qemu,
					type_name(q, i));
		return 0;
	}
	if (sp->type == PCI_TYPE_ENDPOINT && pt < 0)
		return qa_error(q, at(q, i, "type"), "QEMU's %s on the root bus is a "
				"root-complex integrated endpoint: write type: rc-endpoint",
				m->qemu);
	if (sp->type == PCI_TYPE_ENDPOINT && !is_port(pt))
		return qa_error(q, at(q, i, "parent"), "QEMU's %s is a PCI Express endpoint: "
				"put it below a root-port or downstream-port, not below %s %s "
				"(a conventional bus)", m->qemu, article(ptn), ptn);
	if (sp->type == PCI_TYPE_RC_ENDPOINT && pt >= 0)
		return qa_error(q, at(q, i, "type"), "below %s %s QEMU's %s is a PCI Express "
				"endpoint: write type: endpoint", article(ptn), ptn, m->qemu);
	if (sp->type != PCI_TYPE_ENDPOINT && sp->type != PCI_TYPE_RC_ENDPOINT)
		return qa_error(q, at(q, i, "type"), "QEMU's %s is a PCI Express endpoint: "
				"write type: endpoint (below a port) or rc-endpoint (on the "
				"root bus), not %s", m->qemu, type_name(q, i));
	return 0;
}

/* Function 0 first and multifunction; every later function multifunction. */
static int check_multifunction(struct qa *q, size_t i)
{
	const struct pci_dev_spec *sp = spec(q, i);
	uint32_t fn0 = sp->sbdf & ~7u;
	char b[PCI_SBDF_STRLEN], o[PCI_SBDF_STRLEN];

	if (PCI_FUNC(sp->sbdf)) {
		if (find(q, fn0) == SIZE_MAX)
			return qa_error(q, at(q, i, "bdf"), "%s has no function 0 in the "
					"topology: Linux looks for a slot's other functions only "
					"after function 0, so add %s", name(q, i, b),
					pci_sbdf_format(fn0, o));
		if (!sp->multifunction)
			return qa_error(q, at(q, i, "multifunction"), "Linux marks every "
					"function after .0 multifunction (pci_scan_slot), so "
					"iommusim must too: write multifunction: true on %s",
					name(q, i, b));
		return 0;
	}
	if (sp->multifunction)
		return 0;
	for (unsigned fn = 1; fn < 8; fn++)
		if (find(q, fn0 | fn) != SIZE_MAX)
			return qa_error(q, at(q, i, "multifunction"), "%s shares its slot "
					"with %s, so function 0 must be multifunction (QEMU: "
					"multifunction=on): write multifunction: true",
					name(q, i, b), pci_sbdf_format(fn0 | fn, o));
	return 0;
}

/* ACS, the kernel's own decisions, and capabilities QEMU's models lack. */
static int check_acs_and_caps(struct qa *q, size_t i)
{
	const struct pci_dev_spec *sp = spec(q, i);
	const struct qa_model *m = q->model[i];

	if (sp->has_acs && sp->type == PCI_TYPE_ROOT_PORT && sp->acs_cap != QA_ROOT_PORT_ACS)
		return qa_error(q, at(q, i, "acs"), "QEMU's pcie-root-port advertises ACS "
				"SV TB RR CR UF DT: write acs: [SV, TB, RR, CR, UF, DT], or "
				"remove acs for a port without ACS (disable-acs=on)");
	if (sp->has_acs && pci_type_is_bridge(sp->type) && sp->type != PCI_TYPE_ROOT_PORT)
		return qa_error(q, at(q, i, "acs"), "QEMU's %s has no ACS capability; "
				"remove acs or use another type", m->qemu);
	if (sp->has_acs && !pci_type_is_bridge(sp->type))
		return qa_error(q, at(q, i, "acs"), "QEMU cannot express ACS on an "
				"endpoint: its %s has no ACS capability; remove acs", m->qemu);
	if (sp->has_acs_ctrl && sp->acs_ctrl != (sp->acs_cap & PCI_ACS_REQ))
		return qa_error(q, at(q, i, "acs_ctrl"), "QEMU cannot express acs_ctrl: "
				"the guest kernel enables SV RR CR UF of the capability itself; "
				"remove acs_ctrl");
	if (sp->acs_quirk >= 0)
		return qa_error(q, at(q, i, "acs_quirk"), "QEMU cannot express acs_quirk: "
				"the guest kernel picks its quirks by vendor and device; remove "
				"acs_quirk");
	for (size_t w = 0; w < G_N_ELEMENTS(sp->dma_alias); w++)
		if (sp->dma_alias[w])
			return qa_error(q, at(q, i, "dma_alias"), "QEMU cannot express "
					"dma_alias: none of its models DMAs under another "
					"requester id; remove dma_alias");
	if (sp->ats)
		return qa_error(q, at2(q, i, "caps", "ats"), "QEMU cannot express caps.ats: "
				"its %s has no ATS capability; remove it", m->qemu);
	if (sp->pri)
		return qa_error(q, at2(q, i, "caps", "pri"), "QEMU cannot express caps.pri: "
				"its %s has no PRI capability; remove it", m->qemu);
	if (sp->pasid_width)
		return qa_error(q, at2(q, i, "caps", "pasid"), "QEMU cannot express "
				"caps.pasid: its %s has no PASID capability; remove it", m->qemu);
	if (sp->no_iommu)
		return qa_error(q, at(q, i, "iommu"), "QEMU 7.2 cannot put one function "
				"outside the intel-iommu on q35 (bypass_iommu is per root "
				"bus, and the oracle's machine has one); remove iommu: false");
	return 0;
}

/* Every BAR the scenario states must be the model's. */
static int check_bars(struct qa *q, size_t i)
{
	const struct pci_dev_spec *sp = spec(q, i);
	const struct qa_model *m = q->model[i];
	const struct ynode *map = ynode_map_get(q->topo->items[i], "bars");
	char want[64], got[64];

	for (size_t k = 0; map && k < ynode_map_len(map); k++) {
		const struct ynode *key = ynode_map_key(map, k);
		const struct pci_bar *have, *real;
		uint64_t idx;

		if (ldr_u64(&q->l, key, &idx, PCI_NUM_BARS - 1, false, "BAR index"))
			return -1;
		have = &sp->bars[idx];
		real = &m->bars[idx];
		if (!real->size)
			return qa_error(q, key, "QEMU's %s has no BAR %u; remove it from bars",
					m->qemu, (unsigned)idx);
		if (have->size != real->size || have->type != real->type ||
		    have->prefetchable != real->prefetchable) {
			bar_desc(real, want);
			bar_desc(have, got);
			return qa_error(q, key, "QEMU's %s BAR %u is %s; the scenario says %s",
					m->qemu, (unsigned)idx, want, got);
		}
	}
	return 0;
}

static int check_vectors(struct qa *q, size_t i, const char *key, const char *cap,
			 unsigned real, unsigned have)
{
	const struct ynode *map = ynode_map_get(q->topo->items[i], "irqs");
	const char *qemu = q->model[i]->qemu;

	if (!ynode_map_get(map, key) || real == have)
		return 0;
	if (!real)
		return qa_error(q, ynode_map_get(map, key), "QEMU's %s has no %s capability "
				"(irqs.%s: 0); the scenario says %u", qemu, cap, key, have);
	return qa_error(q, ynode_map_get(map, key), "QEMU's %s has %u %s vector%s "
			"(irqs.%s: %u); the scenario says %u", qemu, real, cap,
			real == 1 ? "" : "s", key, real, have);
}

/* Every interrupt the scenario states must be the model's. */
static int check_irqs(struct qa *q, size_t i)
{
	const struct pci_dev_spec *sp = spec(q, i);
	const struct qa_model *m = q->model[i];

	if (sp->has_intx && sp->intx != m->intx)
		return qa_error(q, at2(q, i, "irqs", "intx"), "QEMU's %s has %s INTx pin "
				"(irqs.intx: %s)", m->qemu, m->intx ? "an" : "no",
				m->intx ? "true" : "false");
	if (check_vectors(q, i, "msi", "MSI", m->msi, sp->msi_vectors))
		return -1;
	return check_vectors(q, i, "msix", "MSI-X", m->msix, sp->msix_vectors);
}

/* Below a bridge, the bus must be the number the firmware gives it. */
static int check_bus(struct qa *q, size_t i)
{
	const struct pci_dev_spec *sp = spec(q, i);
	size_t p = q->parent[i];
	char b[PCI_SBDF_STRLEN], pb[PCI_SBDF_STRLEN];

	if (p == NO_PARENT || PCI_SBDF_BUS(sp->sbdf) == q->fw_bus[p])
		return 0;
	return qa_error(q, at(q, i, "bdf"), "%s is on bus %02x, but QEMU's firmware "
			"numbers this bus %02x (the secondary bus of %s; buses are numbered "
			"from 1, depth first in devfn order): renumber it so guest BDFs equal "
			"the scenario's", name(q, i, b), PCI_SBDF_BUS(sp->sbdf), q->fw_bus[p],
			name(q, p, pb));
}

static int check_entry(struct qa *q, size_t i)
{
	if (check_place(q, i) || check_model(q, i) || check_type_and_parent(q, i) ||
	    check_multifunction(q, i) || check_acs_and_caps(q, i) || check_bars(q, i) ||
	    check_irqs(q, i) || check_bus(q, i))
		return -1;
	return 0;
}

/* ---- emission ----------------------------------------------------------- */

static char *dev_id(const struct qa *q, size_t i)
{
	uint32_t sbdf = spec(q, i)->sbdf;

	return g_strdup_printf("%s_%02x_%02x_%x", q->model[i]->id, PCI_SBDF_BUS(sbdf),
			       PCI_SLOT(PCI_SBDF_DEVFN(sbdf)), PCI_FUNC(sbdf));
}

static void emit(struct qa *q, GPtrArray *argv)
{
	unsigned chassis = 0;

	for (size_t k = 0; k < q->norder; k++) {
		size_t i = q->order[k], p = q->parent[i];
		const struct pci_dev_spec *sp = spec(q, i);
		const struct qa_model *m = q->model[i];
		char *id, *bus;
		GString *v;

		if (q->chip[i])
			continue;
		id = dev_id(q, i);
		bus = p == NO_PARENT ? g_strdup("pcie.0") : dev_id(q, p);
		v = g_string_new(NULL);
		g_string_printf(v, "%s,id=%s,bus=%s,addr=%02x.%x", m->qemu, id, bus,
				PCI_SLOT(PCI_SBDF_DEVFN(sp->sbdf)), PCI_FUNC(sp->sbdf));
		if (sp->multifunction && !PCI_FUNC(sp->sbdf))
			g_string_append(v, ",multifunction=on");
		if (is_port(sp->type))
			g_string_append_printf(v, ",chassis=%u", ++chassis);
		if (sp->type == PCI_TYPE_ROOT_PORT && !sp->has_acs)
			g_string_append(v, ",disable-acs=on");
		if (sp->type == PCI_TYPE_PCI_BRIDGE)
			g_string_append_printf(v, ",chassis_nr=%u", ++chassis);
		if (m->nic)
			g_string_append(v, ",romfile=");
		g_ptr_array_add(argv, g_strdup("-device"));
		g_ptr_array_add(argv, g_string_free(v, FALSE));
		g_free(id);
		g_free(bus);
	}
}

/* ---- entry points ------------------------------------------------------- */

static int qa_run(struct qa *q, GPtrArray **argv)
{
	q->n = q->s->ntopology;
	q->index = g_hash_table_new(g_direct_hash, g_direct_equal);
	q->parent = g_new(size_t, q->n + 1);
	q->model = g_new0(const struct qa_model *, q->n + 1);
	q->chip = g_new0(const struct qa_chipset *, q->n + 1);
	q->fw_bus = g_new0(unsigned, q->n + 1);
	q->kids = g_new(size_t, q->n + 1);
	q->kids_start = g_new(size_t, q->n + 1);
	q->order = g_new(size_t, q->n + 1);
	for (size_t i = 0; i < q->n; i++)
		g_hash_table_insert(q->index, GUINT_TO_POINTER(spec(q, i)->sbdf),
				    GSIZE_TO_POINTER(i + 1));
	/* the loader checked that every parent exists */
	for (size_t i = 0; i < q->n; i++)
		q->parent[i] = spec(q, i)->has_parent ? find(q, spec(q, i)->parent) : NO_PARENT;
	firmware_walk(q);
	for (size_t i = 0; i < q->n; i++)
		if (check_entry(q, i))
			return -1;
	*argv = g_ptr_array_new_with_free_func(g_free);
	emit(q, *argv);
	return 0;
}

int qemu_args_build(const struct scenario *s, const char *text, size_t len,
		    GPtrArray **argv, char **err)
{
	struct qa q = { .s = s, .l = { .file = s->file } };
	const struct ynode *topo = NULL;
	unsigned line, col;
	char *msg = NULL;
	struct ydoc *doc;
	int ret = -1;

	*argv = NULL;
	*err = NULL;
	doc = ydoc_parse(text, len, &line, &col, &msg);
	if (!doc) {
		*err = g_strdup_printf("%s:%u:%u: error: %s", s->file, line, col, msg);
		g_free(msg);
		return -1;
	}
	topo = ynode_map_get(doc->root, "topology");
	if (!topo || topo->kind != YN_SEQ || topo->nitems != s->ntopology) {
		*err = g_strdup_printf("%s:1:1: error: qemu-args: this text is not the "
				       "scenario's (its topology has %zu entries, the scenario "
				       "%zu)", s->file, topo && topo->kind == YN_SEQ ?
				       topo->nitems : 0, s->ntopology);
		ydoc_free(doc);
		return -1;
	}
	for (size_t i = 0; i < topo->nitems && !q.l.err; i++)
		if (topo->items[i]->kind != YN_MAP)
			q.l.err = g_strdup_printf("%s:%u:%u: error: qemu-args: this text is "
						  "not the scenario's (topology entry %zu is "
						  "not a mapping)", s->file,
						  topo->items[i]->line, topo->items[i]->col, i);
	q.topo = topo;
	if (!q.l.err)
		ret = qa_run(&q, argv);
	*err = q.l.err;
	if (q.index)
		g_hash_table_destroy(q.index);
	g_free(q.parent);
	g_free(q.model);
	g_free(q.chip);
	g_free(q.fw_bus);
	g_free(q.kids);
	g_free(q.kids_start);
	g_free(q.order);
	ydoc_free(doc);
	return ret;
}

int qemu_args_build_file(const struct scenario *s, GPtrArray **argv, char **err)
{
	GError *gerr = NULL;
	gchar *text;
	gsize len;
	int ret;

	*argv = NULL;
	if (!g_file_get_contents(s->file, &text, &len, &gerr)) {
		*err = g_strdup_printf("%s:1:1: error: %s", s->file, gerr->message);
		g_error_free(gerr);
		return -1;
	}
	ret = qemu_args_build(s, text, len, argv, err);
	g_free(text);
	return ret;
}

/* ---- output ------------------------------------------------------------- */

static void shell_word(GString *out, const char *w)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789@%+=:,./_-";

	if (*w && strspn(w, safe) == strlen(w)) {
		g_string_append(out, w);
		return;
	}
	g_string_append_c(out, '\'');
	for (; *w; w++) {
		if (*w == '\'')
			g_string_append(out, "'\\''");
		else
			g_string_append_c(out, *w);
	}
	g_string_append_c(out, '\'');
}


char *qemu_args_format(const GPtrArray *argv, bool json)
{
	GString *out = g_string_new(json ? "[" : NULL);

	for (guint k = 0; k < argv->len; k++) {
		const char *w = g_ptr_array_index(argv, k);

		if (json) {
			if (k)
				g_string_append_c(out, ',');
			sim_json_string(out, w);
			continue;
		}
		/* an option starts a line; its values follow on it */
		if (k)
			g_string_append_c(out, w[0] == '-' ? '\n' : ' ');
		shell_word(out, w);
	}
	if (json)
		g_string_append_c(out, ']');
	if (json || argv->len)
		g_string_append_c(out, '\n');
	return g_string_free(out, FALSE);
}
