/* SPDX-License-Identifier: MIT */
/*
 * State expectations: what must hold of the world at a point of a scenario
 * (an `expect` step) or at its end (the top-level `expect`).  Groups are
 * compared as the whole partition in id order; the rest are point checks.
 * Every device named must exist in the topology (checked at load time).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/devnode.h"
#include "tools/scenario/steps_internal.h"
#include "sim/proc.h"
#include "sim/mm.h"
#include "tools/scenario/loader.h"
#include "tools/scenario/runner.h"

static const char *const expect_keys[] = {
	"groups", "group_count", "viable", "same_group", "different_group",
	"driver", "requester_id", "node", "rss", NULL,
};

static int known_sbdf(struct ldr *l, const struct ynode *n, uint32_t *sbdf)
{
	if (ldr_sbdf(l, n, sbdf, "device"))
		return -1;
	for (size_t i = 0; i < l->s->ntopology; i++)
		if (l->s->topology[i].sbdf == *sbdf)
			return 0;
	if (l->topology_incomplete)
		return 0;     /* the topology's own error says enough */
	return ldr_error(l, n, "device %s is not in the topology", n->str);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int parse_partition(struct ldr *l, const struct ynode *seq,
			   struct scn_partition **out)
{
	struct scn_partition *p = g_new0(struct scn_partition, 1);

	*out = p;
	p->pos = (struct scn_pos){ seq->line, seq->col };
	if (ldr_need(l, seq, YN_SEQ, "groups"))
		return -1;
	p->groups = g_new0(GArray *, seq->nitems ? seq->nitems : 1);
	for (size_t i = 0; i < seq->nitems; i++) {
		const struct ynode *g = seq->items[i];

		p->groups[i] = g_array_new(FALSE, FALSE, sizeof(uint32_t));
		p->ngroups++;
		if (ldr_need(l, g, YN_SEQ, "a group (a list of devices)"))
			return -1;
		for (size_t j = 0; j < g->nitems; j++) {
			uint32_t sbdf;
			if (known_sbdf(l, g->items[j], &sbdf))
				return -1;
			g_array_append_val(p->groups[i], sbdf);
		}
		g_array_sort(p->groups[i], cmp_u32);
	}
	return 0;
}

static int parse_groups(struct ldr *l, const struct ynode *v, struct scn_expect *e)
{
	static const char *const modes[] = { "legacy", "strict", NULL };

	if (v->kind == YN_SEQ) {
		e->groups_any_mode = true;
		return parse_partition(l, v, &e->groups[IOMMU_GROUP_LEGACY]);
	}
	if (ldr_need(l, v, YN_MAP, "groups") || ldr_check_keys(l, v, modes, "groups"))
		return -1;
	for (int m = 0; m < 2; m++) {
		const struct ynode *pv = ynode_map_get(v, modes[m]);
		if (pv && parse_partition(l, pv, &e->groups[m]))
			return -1;
	}
	return 0;
}

static int parse_dev_bools(struct ldr *l, const struct ynode *map, GArray **out,
			   const char *what)
{
	*out = g_array_new(FALSE, FALSE, sizeof(struct scn_dev_bool));
	if (ldr_need(l, map, YN_MAP, what))
		return -1;
	for (size_t i = 0; i < ynode_map_len(map); i++) {
		struct scn_dev_bool b;
		const struct ynode *k = ynode_map_key(map, i);

		b.pos = (struct scn_pos){ k->line, k->col };
		if (known_sbdf(l, k, &b.sbdf) ||
		    ldr_bool(l, ynode_map_val(map, i), &b.val, what))
			return -1;
		g_array_append_val(*out, b);
	}
	return 0;
}

static int parse_pairs(struct ldr *l, const struct ynode *seq, GArray **out,
		       const char *what)
{
	*out = g_array_new(FALSE, FALSE, sizeof(struct scn_dev_pair));
	if (ldr_need(l, seq, YN_SEQ, what))
		return -1;
	for (size_t i = 0; i < seq->nitems; i++) {
		const struct ynode *pr = seq->items[i];
		struct scn_dev_pair p;

		if (ldr_need(l, pr, YN_SEQ, "a device pair"))
			return -1;
		if (pr->nitems != 2)
			return ldr_error(l, pr, "%s entries are pairs of devices", what);
		p.pos = (struct scn_pos){ pr->line, pr->col };
		if (known_sbdf(l, pr->items[0], &p.a) || known_sbdf(l, pr->items[1], &p.b))
			return -1;
		g_array_append_val(*out, p);
	}
	return 0;
}

static int parse_drivers(struct ldr *l, const struct ynode *map, GArray **out)
{
	*out = g_array_new(FALSE, FALSE, sizeof(struct scn_dev_str));
	if (ldr_need(l, map, YN_MAP, "driver"))
		return -1;
	for (size_t i = 0; i < ynode_map_len(map); i++) {
		const struct ynode *k = ynode_map_key(map, i);
		struct scn_dev_str d = { .pos = { k->line, k->col } };
		const char *name;

		if (known_sbdf(l, k, &d.sbdf) ||
		    ldr_str(l, ynode_map_val(map, i), &name, "driver"))
			return -1;
		d.str = strcmp(name, "none") ? g_strdup(name) : NULL;
		g_array_append_val(*out, d);
	}
	return 0;
}

static int parse_rids(struct ldr *l, const struct ynode *map, GArray **out)
{
	*out = g_array_new(FALSE, FALSE, sizeof(struct scn_dev_rid));
	if (ldr_need(l, map, YN_MAP, "requester_id"))
		return -1;
	for (size_t i = 0; i < ynode_map_len(map); i++) {
		const struct ynode *k = ynode_map_key(map, i);
		struct scn_dev_rid d = { .pos = { k->line, k->col } };

		if (known_sbdf(l, k, &d.sbdf) ||
		    ldr_sbdf(l, ynode_map_val(map, i), &d.rid_sbdf, "requester id"))
			return -1;
		g_array_append_val(*out, d);
	}
	return 0;
}

static int parse_node_attrs(struct ldr *l, const struct ynode *v,
			    struct scn_node_expect *ne)
{
	static const char *const keys[] = { "uid", "gid", "mode", NULL };
	const struct ynode *a;
	uint64_t num;

	if (ldr_check_keys(l, v, keys, "node"))
		return -1;
	if ((a = ynode_map_get(v, "uid"))) {
		if (ldr_u64(l, a, &num, UINT32_MAX, false, "uid"))
			return -1;
		ne->has_uid = true, ne->uid = (uint32_t)num;
	}
	if ((a = ynode_map_get(v, "gid"))) {
		if (ldr_u64(l, a, &num, UINT32_MAX, false, "gid"))
			return -1;
		ne->has_gid = true, ne->gid = (uint32_t)num;
	}
	if ((a = ynode_map_get(v, "mode"))) {
		if (ldr_u64(l, a, &num, 07777, false, "mode"))
			return -1;
		ne->has_mode = true, ne->mode = (uint32_t)num;
	}
	return 0;
}

/* rss: {PROC: PAGES}, a process under 'processes', init, or a fork's child. */
static int parse_rss(struct ldr *l, const struct ynode *map, GArray **out)
{
	*out = g_array_new(FALSE, FALSE, sizeof(struct scn_proc_count));
	if (ldr_need(l, map, YN_MAP, "rss"))
		return -1;
	for (size_t i = 0; i < ynode_map_len(map); i++) {
		const struct ynode *k = ynode_map_key(map, i);
		struct scn_proc_count c = { .pos = { k->line, k->col } };
		bool known = !strcmp(k->str, "init") ||
			     g_hash_table_lookup(l->handles, k->str) ==
			     GINT_TO_POINTER(HANDLE_PROC);

		for (size_t j = 0; !known && j < l->s->nprocs; j++)
			known = !strcmp(l->s->procs[j].name, k->str);
		if (!known)
			return ldr_error(l, k, "process '%s' is neither init, one under "
					 "'processes' nor a child an earlier fork made", k->str);
		if (ldr_u64(l, ynode_map_val(map, i), &c.n, UINT64_MAX, false, "rss"))
			return -1;
		c.proc = g_strdup(k->str);
		g_array_append_val(*out, c);
	}
	return 0;
}

static int parse_nodes(struct ldr *l, const struct ynode *map, GArray **out)
{
	*out = g_array_new(FALSE, FALSE, sizeof(struct scn_node_expect));
	if (ldr_need(l, map, YN_MAP, "node"))
		return -1;
	for (size_t i = 0; i < ynode_map_len(map); i++) {
		const struct ynode *k = ynode_map_key(map, i), *v = ynode_map_val(map, i);
		struct scn_node_expect ne = { .pos = { k->line, k->col }, .present = true };
		const char *path;

		if (ldr_devpath(l, k, &path, "node"))   /* "/dev/vfio/{BDF}" too */
			return -1;
		ne.path = g_strdup(path);
		g_array_append_val(*out, ne);
		if (v->kind == YN_MAP) {
			if (parse_node_attrs(l, v, &g_array_index(*out, struct scn_node_expect,
								 (*out)->len - 1)))
				return -1;
			continue;
		}
		if (ldr_need(l, v, YN_SCALAR, "a node expectation"))
			return -1;
		if (strcmp(v->str, "present") && strcmp(v->str, "absent"))
			return ldr_error(l, v, "node %s: expected present, absent or "
					 "{uid, gid, mode}, not '%s'", k->str, v->str);
		g_array_index(*out, struct scn_node_expect, (*out)->len - 1).present =
			!strcmp(v->str, "present");
	}
	return 0;
}

int ldr_parse_expect(struct ldr *l, const struct ynode *map, struct scn_expect **out)
{
	struct scn_expect *e = g_new0(struct scn_expect, 1);
	const struct ynode *v;
	uint64_t num;

	*out = e;
	e->group_count = -1;
	e->pos = (struct scn_pos){ map->line, map->col };
	if (ldr_need(l, map, YN_MAP, "expect") ||
	    ldr_check_keys(l, map, expect_keys, "expect"))
		return -1;
	if ((v = ynode_map_get(map, "groups")) && parse_groups(l, v, e))
		return -1;
	if ((v = ynode_map_get(map, "group_count"))) {
		if (ldr_u64(l, v, &num, 65536, false, "group_count"))
			return -1;
		e->group_count = (int)num;
		e->group_count_pos = (struct scn_pos){ v->line, v->col };
	}
	if ((v = ynode_map_get(map, "viable")) && parse_dev_bools(l, v, &e->viable, "viable"))
		return -1;
	if ((v = ynode_map_get(map, "same_group")) &&
	    parse_pairs(l, v, &e->same_group, "same_group"))
		return -1;
	if ((v = ynode_map_get(map, "different_group")) &&
	    parse_pairs(l, v, &e->different_group, "different_group"))
		return -1;
	if ((v = ynode_map_get(map, "driver")) && parse_drivers(l, v, &e->driver))
		return -1;
	if ((v = ynode_map_get(map, "requester_id")) && parse_rids(l, v, &e->requester_id))
		return -1;
	if ((v = ynode_map_get(map, "node")) && parse_nodes(l, v, &e->nodes))
		return -1;
	if ((v = ynode_map_get(map, "rss")) && parse_rss(l, v, &e->rss))
		return -1;
	return 0;
}

static void partition_free(struct scn_partition *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ngroups; i++)
		g_array_free(p->groups[i], TRUE);
	g_free(p->groups);
	g_free(p);
}

void scn_expect_free(struct scn_expect *e)
{
	if (!e)
		return;
	partition_free(e->groups[0]);
	partition_free(e->groups[1]);
	if (e->driver)
		for (guint i = 0; i < e->driver->len; i++)
			g_free(g_array_index(e->driver, struct scn_dev_str, i).str);
	if (e->nodes)
		for (guint i = 0; i < e->nodes->len; i++)
			g_free(g_array_index(e->nodes, struct scn_node_expect, i).path);
	if (e->rss)
		for (guint i = 0; i < e->rss->len; i++)
			g_free(g_array_index(e->rss, struct scn_proc_count, i).proc);
	GArray *arrays[] = { e->viable, e->same_group, e->different_group,
			     e->driver, e->requester_id, e->nodes, e->rss };
	for (size_t i = 0; i < G_N_ELEMENTS(arrays); i++)
		if (arrays[i])
			g_array_free(arrays[i], TRUE);
	g_free(e);
}

/* ---- evaluation --------------------------------------------------------- */

static void format_set(GString *out, const uint32_t *v, size_t n)
{
	char b[PCI_SBDF_STRLEN];

	g_string_append_c(out, '{');
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(out, "%s%s", i ? ", " : "", pci_sbdf_format(v[i], b));
	g_string_append_c(out, '}');
}

static void format_group(GString *out, const struct iommu_group *g)
{
	char b[PCI_SBDF_STRLEN];

	g_string_append_c(out, '{');
	for (size_t i = 0; i < g->ndevices; i++)
		g_string_append_printf(out, "%s%s", i ? ", " : "",
				       pci_sbdf_format(g->devices[i]->sbdf, b));
	g_string_append_c(out, '}');
}

static bool group_equals(const struct iommu_group *g, const GArray *want)
{
	if (!g || g->ndevices != want->len)
		return false;
	for (size_t i = 0; i < g->ndevices; i++)
		if (g->devices[i]->sbdf != g_array_index(want, uint32_t, i))
			return false;
	return true;
}

static void eval_partition(struct runner *r, const struct scn_partition *p)
{
	size_t have = iommu_group_count(r->w);
	size_t n = MAX(have, p->ngroups);
	GString *diff = g_string_new(NULL);

	for (size_t id = 0; id < n; id++) {
		struct iommu_group *g = iommu_group_by_id(r->w, (unsigned)id);
		const GArray *want = id < p->ngroups ? p->groups[id] : NULL;

		if (want && group_equals(g, want))
			continue;
		g_string_append_printf(diff, "\n        group %zu: expected ", id);
		if (want)
			format_set(diff, (const uint32_t *)want->data, want->len);
		else
			g_string_append(diff, "no group");
		g_string_append(diff, ", got ");
		if (g)
			format_group(diff, g);
		else
			g_string_append(diff, "no group");
	}
	runner_check(r, diff->len == 0, p->pos.line, "groups (%s mode) differ:%s",
		     iommu_group_mode_name(iommu_core_mode(r->w)), diff->str);
	g_string_free(diff, TRUE);
}

static void eval_node(struct runner *r, const struct scn_node_expect *ne)
{
	GString *path = g_string_new(NULL);
	struct sim_devnode *n;

	if (scn_path_resolve(r->w, ne->path, path) &&
	    !runner_check(r, false, ne->pos.line, "node %s: the device has no IOMMU group",
			  ne->path)) {
		g_string_free(path, TRUE);
		return;
	}
	n = sim_devnode_lookup(r->w, path->str);
	g_string_free(path, TRUE);

	if (!runner_check(r, !!n == ne->present, ne->pos.line, "node %s: expected %s, "
			  "it is %s", ne->path, ne->present ? "present" : "absent",
			  n ? "present" : "absent") || !n)
		return;
	if (ne->has_uid)
		runner_check(r, n->uid == ne->uid, ne->pos.line, "node %s: uid %u, expected %u",
			     ne->path, n->uid, ne->uid);
	if (ne->has_gid)
		runner_check(r, n->gid == ne->gid, ne->pos.line, "node %s: gid %u, expected %u",
			     ne->path, n->gid, ne->gid);
	if (ne->has_mode)
		runner_check(r, n->mode == ne->mode, ne->pos.line,
			     "node %s: mode 0%o, expected 0%o", ne->path, n->mode, ne->mode);
}

static void eval_pairs(struct runner *r, const GArray *pairs, bool same)
{
	char a[PCI_SBDF_STRLEN], b[PCI_SBDF_STRLEN];

	for (guint i = 0; pairs && i < pairs->len; i++) {
		const struct scn_dev_pair *p = &g_array_index(pairs, struct scn_dev_pair, i);
		struct iommu_group *ga = iommu_group_of(pci_dev_find(r->w, p->a));
		struct iommu_group *gb = iommu_group_of(pci_dev_find(r->w, p->b));

		runner_check(r, (ga == gb) == same, p->pos.line,
			     "%s (group %u) and %s (group %u) %s the same group",
			     pci_sbdf_format(p->a, a), ga->id, pci_sbdf_format(p->b, b),
			     gb->id, same ? "are not in" : "are in");
	}
}

static void eval_points(struct runner *r, const struct scn_expect *e)
{
	char a[PCI_SBDF_STRLEN], b[PCI_SBDF_STRLEN];

	for (guint i = 0; e->viable && i < e->viable->len; i++) {
		const struct scn_dev_bool *v = &g_array_index(e->viable, struct scn_dev_bool, i);
		struct iommu_group *g = iommu_group_of(pci_dev_find(r->w, v->sbdf));
		bool ok = iommu_group_viable(g);

		runner_check(r, ok == v->val, v->pos.line, "group %u of %s is %sviable, "
			     "expected %sviable", g->id, pci_sbdf_format(v->sbdf, a),
			     ok ? "" : "not ", v->val ? "" : "not ");
	}
	eval_pairs(r, e->same_group, true);
	eval_pairs(r, e->different_group, false);
	for (guint i = 0; e->driver && i < e->driver->len; i++) {
		const struct scn_dev_str *d = &g_array_index(e->driver, struct scn_dev_str, i);
		const char *have = pci_dev_find(r->w, d->sbdf)->driver;

		runner_check(r, g_strcmp0(have, d->str) == 0, d->pos.line,
			     "%s is bound to %s, expected %s", pci_sbdf_format(d->sbdf, a),
			     have ? have : "none", d->str ? d->str : "none");
	}
	for (guint i = 0; e->requester_id && i < e->requester_id->len; i++) {
		const struct scn_dev_rid *d = &g_array_index(e->requester_id, struct scn_dev_rid, i);
		struct pci_dev *dev = pci_dev_find(r->w, d->sbdf);
		uint32_t got = PCI_SBDF(PCI_SBDF_DOMAIN(dev->sbdf), 0, 0) |
			       pci_dma_requester_id(dev);

		runner_check(r, got == d->rid_sbdf, d->pos.line,
			     "DMA from %s arrives as %s, expected %s",
			     pci_sbdf_format(d->sbdf, a), pci_sbdf_format(got, b),
			     pci_sbdf_format(d->rid_sbdf, (char[PCI_SBDF_STRLEN]){ 0 }));
	}
	for (guint i = 0; e->nodes && i < e->nodes->len; i++)
		eval_node(r, &g_array_index(e->nodes, struct scn_node_expect, i));
	for (guint i = 0; e->rss && i < e->rss->len; i++) {
		const struct scn_proc_count *c = &g_array_index(e->rss, struct scn_proc_count, i);
		struct sim_proc *p = sim_proc_find(r->w, runner_pid(r, c->proc));
		uint64_t have = p ? sim_mm_rss(p->mm) : 0;

		runner_check(r, p && have == c->n, c->pos.line, "%s maps %llu page(s), expected "
			     "%llu%s", c->proc, (unsigned long long)have, (unsigned long long)c->n,
			     p ? "" : " (it is not running)");
	}
}

void scn_expect_eval(struct runner *r, const struct scn_expect *e)
{
	enum iommu_group_mode mode = iommu_core_mode(r->w);
	const struct scn_partition *p =
		e->groups_any_mode ? e->groups[IOMMU_GROUP_LEGACY] : e->groups[mode];

	if (p)
		eval_partition(r, p);
	if (e->group_count >= 0)
		runner_check(r, iommu_group_count(r->w) == (size_t)e->group_count,
			     e->group_count_pos.line, "%zu groups, expected %d",
			     iommu_group_count(r->w), e->group_count);
	eval_points(r, e);
}
