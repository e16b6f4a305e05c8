/* SPDX-License-Identifier: MIT */
/*
 * `iommusim groups --tree` and `--dot` (groups_render.h).  Both walk the
 * topology the way enumeration does (root buses by number, functions by
 * devfn, each bridge's secondary bus under it), so the output is stable.
 */
#include <stdbool.h>
#include <stdio.h>
#include <glib.h>

#include "model/iommu/group.h"
#include "model/pci/pci.h"
#include "tools/scenario/groups_render.h"

/* The ACS controls a function has enabled, as "SV RR CR UF" (the order of
 * the capability's bits); "" with no ACS capability. */
static void acs_str(const struct pci_dev *d, GString *out)
{
	static const char *const bits[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };

	if (!d->has_acs)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(bits); i++)
		if (d->acs_ctrl & pci_acs_bit_from_name(bits[i]))
			g_string_append_printf(out, "%s%s", out->len ? " " : "", bits[i]);
	if (!out->len)
		g_string_append(out, "none enabled");
}

/* A driver name as free text from the file: control characters become '?',
 * and for a dot label '"' and '\\' are escaped. */
static void append_name(GString *out, const char *name, bool dot)
{
	for (const char *c = name; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			g_string_append_c(out, '?');
		else if (dot && (*c == '"' || *c == '\\'))
			g_string_append_printf(out, "\\%c", *c);
		else
			g_string_append_c(out, *c);
	}
}

/* What a function is, on one line: "1c.0 root-port ACS[SV RR] driver=x";
 * in a dot label (@sep "\\n") one item per line. */
static void dev_summary(const struct pci_dev *d, GString *out, const char *sep)
{
	bool dot = sep[0] == '\\';
	GString *acs = g_string_new(NULL);

	acs_str(d, acs);
	g_string_append(out, pci_type_name(d->type));
	if (d->has_acs)
		g_string_append_printf(out, "%sACS[%s]", sep, acs->str);
	if (d->acs_quirk >= 0)
		g_string_append_printf(out, "%sACS quirk: %s", sep,
				       d->acs_quirk ? "isolated" : "not isolated");
	if (d->driver) {
		g_string_append_printf(out, "%sdriver=", sep);
		append_name(out, d->driver, dot);
	}
	g_string_free(acs, TRUE);
}

/* ---- the text tree ------------------------------------------------------------ */

static void tree_bus(const struct pci_bus *bus, GString *prefix, FILE *out)
{
	for (size_t i = 0; i < bus->ndevices; i++) {
		const struct pci_dev *d = bus->devices[i];
		bool last = i + 1 == bus->ndevices;
		GString *what = g_string_new(NULL);

		dev_summary(d, what, " ");
		fprintf(out, "%s%s%02x.%u %s", prefix->str, last ? "\\-" : "+-",
			PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), what->str);
		if (d->group)
			fprintf(out, "  [group %u%s]\n", d->group->id,
				iommu_group_viable(d->group) ? "" : ", not viable");
		else
			fprintf(out, "  [no group]\n");
		g_string_free(what, TRUE);
		if (d->subordinate) {
			size_t keep = prefix->len;

			g_string_append(prefix, last ? "  " : "| ");
			fprintf(out, "%s\\-[%04x:%02x]\n", prefix->str, d->subordinate->domain,
				d->subordinate->number);
			g_string_append(prefix, "  ");
			tree_bus(d->subordinate, prefix, out);
			g_string_truncate(prefix, keep);
		}
	}
}

void groups_render_tree(struct sim_world *w, FILE *out)
{
	GString *prefix = g_string_new(NULL);
	size_t ngroups = iommu_group_count(w), viable = 0;

	for (size_t id = 0; id < ngroups; id++)
		viable += iommu_group_viable(iommu_group_by_id(w, (unsigned)id));
	fprintf(out, "groups (%s mode): %zu, %zu viable\n",
		iommu_group_mode_name(iommu_core_mode(w)), ngroups, viable);
	for (size_t i = 0; i < pci_root_bus_count(w); i++) {
		const struct pci_bus *bus = pci_root_bus_at(w, i);

		fprintf(out, "[%04x:%02x]\n", bus->domain, bus->number);
		tree_bus(bus, prefix, out);
	}
	g_string_free(prefix, TRUE);
}

/* ---- Graphviz ------------------------------------------------------------------ */

static void dot_bus_node(const struct pci_bus *bus, FILE *out)
{
	fprintf(out, "  \"bus %04x:%02x\" [label=\"bus %04x:%02x\", shape=plaintext];\n",
		bus->domain, bus->number, bus->domain, bus->number);
}

/* Edges: bus -> function, bridge -> its secondary bus; buses declared first. */
static void dot_edges(const struct pci_bus *bus, FILE *out)
{
	for (size_t i = 0; i < bus->ndevices; i++) {
		const struct pci_dev *d = bus->devices[i];

		fprintf(out, "  \"bus %04x:%02x\" -> \"%s\";\n", bus->domain, bus->number,
			d->name);
		if (d->subordinate) {
			dot_bus_node(d->subordinate, out);
			fprintf(out, "  \"%s\" -> \"bus %04x:%02x\";\n", d->name,
				d->subordinate->domain, d->subordinate->number);
			dot_edges(d->subordinate, out);
		}
	}
}

static void dot_dev_node(const struct pci_dev *d, const char *indent, FILE *out)
{
	GString *what = g_string_new(NULL);

	dev_summary(d, what, "\\n");
	fprintf(out, "%s\"%s\" [label=\"%s\\n%s\"%s];\n", indent, d->name, d->name,
		what->str, d->subordinate ? ", shape=box3d" : "");
	g_string_free(what, TRUE);
}

/* Functions without a group, outside every cluster. */
static void dot_ungrouped(const struct pci_bus *bus, FILE *out)
{
	for (size_t i = 0; i < bus->ndevices; i++) {
		const struct pci_dev *d = bus->devices[i];

		if (!d->group)
			dot_dev_node(d, "  ", out);
		if (d->subordinate)
			dot_ungrouped(d->subordinate, out);
	}
}

void groups_render_dot(struct sim_world *w, FILE *out)
{
	size_t ngroups = iommu_group_count(w);

	fprintf(out, "digraph iommu_groups {\n");
	fprintf(out, "  graph [rankdir=LR, fontname=\"monospace\", label=\"IOMMU groups "
		"(%s mode): green viable, red not viable\", labelloc=t];\n",
		iommu_group_mode_name(iommu_core_mode(w)));
	fprintf(out, "  node [shape=box, fontname=\"monospace\", fontsize=10];\n");
	for (size_t id = 0; id < ngroups; id++) {
		struct iommu_group *g = iommu_group_by_id(w, (unsigned)id);
		bool viable = iommu_group_viable(g);

		fprintf(out, "  subgraph \"cluster_group_%u\" {\n", g->id);
		fprintf(out, "    label=\"group %u%s\"; style=rounded; color=%s;\n", g->id,
			viable ? "" : " (not viable)", viable ? "darkgreen" : "red");
		for (size_t i = 0; i < g->ndevices; i++)
			dot_dev_node(g->devices[i], "    ", out);
		fprintf(out, "  }\n");
	}
	for (size_t i = 0; i < pci_root_bus_count(w); i++)
		dot_ungrouped(pci_root_bus_at(w, i), out);
	for (size_t i = 0; i < pci_root_bus_count(w); i++) {
		const struct pci_bus *bus = pci_root_bus_at(w, i);

		dot_bus_node(bus, out);
		dot_edges(bus, out);
	}
	fprintf(out, "}\n");
}
