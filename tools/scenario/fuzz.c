/* SPDX-License-Identifier: MIT */
/*
 * `iommusim fuzz` (docs/fuzzing.md): random operation sequences, each
 * written as a scenario file (the generators: fuzz_gen.c, one per step kind
 * in the runner's own table) and run by the scenario runner, which checks
 * the §H invariants after every step, §H19 after every failing call and
 * §H18 once everything is closed.  On top the fuzzer runs its own oracles:
 *
 *   replay        the same file twice gives the same report and the same
 *                 trace (every event), byte for byte;
 *   differential  the same file on another IOMMU format, with the naive
 *                 caches, or on the other container backend: as long as
 *                 every call answered the same, every DMA has the same fate
 *                 (on the backends, while its group has a device fd open:
 *                 before that the iommufd-served container has attached
 *                 nothing, testcases/vfio-backends/divergences.txt
 *                 "attach-at-open");
 *   fail-nth      one call of the run fails (ENOMEM at its failure site),
 *                 and every invariant must hold all the same.
 *
 * A run that breaks one is shrunk (delta debugging over its steps, the
 * closes at the end following the handles the kept steps bind; then each
 * topology entry the violation does not need; then sizes made smaller)
 * and written to
 * the output directory as a scenario file that expects what each step did,
 * so that it passes except for the violation: the bug report.  Each kind of
 * violation is written once.  Deterministic: the same seed gives the same
 * runs and files, with or without --jobs.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

#include "tools/scenario/scenario.h"
#include "tools/scenario/fuzz.h"
#include "tools/scenario/fuzz_gen.h"
#include "tools/scenario/runner.h"

#define MAX_STEPS 40

enum oracle { OR_RUN, OR_REPLAY, OR_DIFF_FORMAT, OR_DIFF_NAIVE, OR_DIFF_BACKEND, OR_DIFF_USER };

struct fstep {
	char *text;              /* the YAML list item */
	char binds[8];           /* the handle or process it binds, or "" */
	bool proc;
	uint32_t order;          /* where its close goes among the closes */
};

struct fuzz_case {
	char *topology, *prefix;
	const char *format;
	bool legacy;
	const char *iommu_keys, *extra_profile;
	const char *variant_iommu, *variant_profile;
	char knobs[64], knob_lines[128];
	struct fz_dev dev[FZ_MAX_DEVS];
	unsigned ndev, ngroup, nprefix;
	uint64_t topo_drop;          /* topology entries shrinking took away (bit i: entry i) */
	uint32_t prefix_order[4 + FZ_MAX_GROUPS];
	GPtrArray *steps;        /* struct fstep * */
};

static void fstep_free(gpointer p)
{
	struct fstep *s = p;

	g_free(s->text);
	g_free(s);
}

static void case_free(struct fuzz_case *c)
{
	g_free(c->topology);
	g_free(c->prefix);
	g_ptr_array_unref(c->steps);
}

static void add_step(struct fuzz_case *c, struct fz *z, char *text, const char *binds,
		     bool proc)
{
	struct fstep *s = g_new0(struct fstep, 1);

	s->text = text;
	g_strlcpy(s->binds, binds, sizeof(s->binds));
	s->proc = proc;
	s->order = fz_below(z, 1u << 16);
	g_ptr_array_add(c->steps, s);
}

static void gen_case(struct fz *z, const struct fuzz_options *o, struct fuzz_case *c)
{
	unsigned max_steps = o->max_steps && o->max_steps <= MAX_STEPS ? o->max_steps : 24;
	struct fuzz_gen g = { .z = z, .ops = o->ops, .variant_iommu = o->variant_iommu,
			      .variant_profile = o->variant_profile };
	GString *profile = g_string_new(NULL), *topo = g_string_new(NULL);
	GString *prefix = g_string_new(NULL);
	unsigned n;

	memset(c, 0, sizeof(*c));
	fuzz_gen_machine(&g, profile, topo, o->iommu_keys, o->extra_profile);
	fuzz_gen_prefix(&g, prefix);
	c->topology = g_string_free(topo, FALSE);
	c->prefix = g_string_free(prefix, FALSE);
	g_string_free(profile, TRUE);
	c->format = g.format;
	c->legacy = g.legacy;
	c->iommu_keys = o->iommu_keys;
	c->variant_iommu = o->variant_iommu;
	c->variant_profile = o->variant_profile;
	g_strlcpy(c->knobs, g.knobs, sizeof(c->knobs));
	g_strlcpy(c->knob_lines, g.knob_lines, sizeof(c->knob_lines));
	c->extra_profile = o->extra_profile;
	memcpy(c->dev, g.dev, sizeof(c->dev));
	c->ndev = g.ndev;
	c->ngroup = g.ngroup;
	c->nprefix = 5 + g.ngroup;   /* the opens and the three buffers */
	for (unsigned i = 0; i < 2 + g.ngroup; i++)
		c->prefix_order[i] = fz_below(z, 1u << 16);
	c->steps = g_ptr_array_new_with_free_func(fstep_free);
	n = 4 + fz_below(z, max_steps - 3);
	/* most runs start as a user does, and the random steps go on from
	 * there (shrinking may take any of it away again): a third the group
	 * path (the first group in the container, a type1 backend, a device
	 * fd, so that an iommufd-served container attaches the group too), a
	 * sixth each a device on the cdev path (with dirty tracking, or on VT-d
	 * a nested HWPT, now and then), and a guest's stage-1 table nested over
	 * a container (the 2020 proposal's bind where the world has it) */
	/* (a world of the 2020 proposal starts with its guest bind half the
	 * time) */
	switch (g.nesting2020 && fz_chance(z, 1, 2) ? 4 : fz_below(z, 6)) {
	case 0:
	case 1:
		if (g.ngroup) {
			unsigned k = 0;

			while (k < g.ndev && g.dev[k].gidx != 0)
				k++;
			add_step(c, z, g_strdup("  - ioctl: VFIO_GROUP_SET_CONTAINER\n    on: g0\n"
						"    arg: container\n"), "", false);
			add_step(c, z, g_strdup("  - ioctl: VFIO_SET_IOMMU\n    on: container\n"
						"    arg: VFIO_TYPE1v2_IOMMU\n"), "", false);
			if (k < g.ndev) {
				char binds[8];

				g_snprintf(binds, sizeof(binds), "d%u", k);
				add_step(c, z, g_strdup_printf("  - ioctl: VFIO_GROUP_GET_DEVICE_FD\n"
							       "    on: g0\n    arg: \"%s\"\n"
							       "    as: d%u\n", g.dev[k].bdf, k),
					 binds, false);
				g.dfd |= 1u << k;
			}
		}
		break;
	case 2:
	case 3:
		/* VT-d nests HWPTs over HWPTs, SMMUv3 through a vIOMMU: a
		 * nested one now and then */
		if (!strcmp(g.format, "vtd") && fz_chance(z, 1, 3))
			fuzz_gen_recipe(&g, "cdev-nested");
		else if (!strcmp(g.format, "arm-smmuv3") && fz_chance(z, 1, 3))
			fuzz_gen_recipe(&g, "cdev-viommu");
		else
			fuzz_gen_recipe(&g, fz_chance(z, 1, 2) ? "cdev-dirty" : "cdev");
		break;
	case 4:
		fuzz_gen_recipe(&g, "nested");
		break;
	default:
		break;
	}
	/* a recipe begun is finished, up to the most steps a case has */
	while ((c->steps->len < n || fuzz_gen_pending(&g)) && c->steps->len < MAX_STEPS) {
		GString *s = g_string_new(NULL);

		fuzz_gen_step(&g, s);
		add_step(c, z, g_string_free(s, FALSE), g.binds, g.binds_proc);
	}
	fuzz_gen_done(&g);
}

/* ---- the text of a case ------------------------------------------------- */

struct closer {
	uint32_t order;
	char line[40];
};

static gint closer_cmp(gconstpointer a, gconstpointer b)
{
	const struct closer *x = a, *y = b;

	return x->order != y->order ? (x->order < y->order ? -1 : 1) : strcmp(x->line, y->line);
}

struct variant {
	const char *format;
	bool legacy, naive, user;    /* user: --variant's entries added */
};

/* The topology block without the entries shrinking dropped. */
static void append_topology(GString *s, const struct fuzz_case *c)
{
	const char *p = c->topology;
	unsigned entry = 0;

	while (*p) {
		size_t n = strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0);
		bool is_entry = g_str_has_prefix(p, "  - ");

		if (!is_entry || entry >= 64 || !(c->topo_drop & (1ull << entry)))
			g_string_append_len(s, p, (gssize)n);
		entry += is_entry;
		p += n;
	}
}

static unsigned topology_entries(const struct fuzz_case *c)
{
	unsigned n = 0;

	for (const char *p = strstr(c->topology, "\n  - "); p; p = strstr(p + 1, "\n  - "))
		n++;
	return n;
}

/*
 * The scenario text of @c with the middle steps @keep (NULL: all), each
 * followed by @extra[i] when given (its expectation), on the machine
 * variant @v; then a close of every handle bound (the shared nodes and
 * those the kept steps bind) and an exit of every child forked, in the
 * random order drawn for them.
 */
static char *case_text(const struct fuzz_case *c, const struct variant *v, const char *name,
		       const char *header, const gboolean *keep, char **extra)
{
	GString *s = g_string_new(header ? header : "");
	GArray *closers = g_array_new(FALSE, TRUE, sizeof(struct closer));
	GHashTable *open = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char *iommu = v->user && c->variant_iommu ?
		      g_strdup_printf("%s%s%s", c->iommu_keys ? c->iommu_keys : "",
				      c->iommu_keys ? ", " : "", c->variant_iommu) :
		      g_strdup(c->iommu_keys);
	char *extra_profile = v->user && c->variant_profile ?
			      g_strconcat(c->extra_profile ? c->extra_profile : "",
					  c->variant_profile, NULL) :
			      g_strdup(c->extra_profile);
	char *profile = fuzz_profile_text(v->format, v->legacy, v->naive, c->knobs, c->knob_lines,
					  iommu, extra_profile);

	g_free(iommu);
	g_free(extra_profile);

	g_string_append_printf(s, "name: %s\n%s", name, profile);
	append_topology(s, c);
	g_string_append(s, c->prefix);
	g_free(profile);
	/* what is open at the end: the prefix's handles, then each kept
	 * step's binding opens and its close or exit closes again */
	for (unsigned i = 0; i < 2 + c->ngroup; i++) {
		char *h = i < 2 ? g_strdup(i ? "ictx" : "container") : g_strdup_printf("g%u", i - 2);

		g_hash_table_insert(open, h, GUINT_TO_POINTER(c->prefix_order[i] + 1));
	}
	for (unsigned i = 0; i < c->steps->len; i++) {
		const struct fstep *st = g_ptr_array_index(c->steps, i);
		const char *t = st->text;

		if (keep && !keep[i])
			continue;
		g_string_append(s, t);
		if (extra && extra[i])
			g_string_append(s, extra[i]);
		if (st->binds[0])
			g_hash_table_insert(open, g_strdup(st->binds), GUINT_TO_POINTER(st->order + 1));
		else if (g_str_has_prefix(t, "  - close: ") || g_str_has_prefix(t, "  - exit: ")) {
			const char *h = t + strcspn(t, ":") + 2;
			char *gone = g_strndup(h, strcspn(h, "\n"));

			g_hash_table_remove(open, gone);
			g_free(gone);
		}
	}
	{
		GHashTableIter it;
		gpointer k, val;

		/* in the order drawn for them (the table's own order is no order) */
		g_hash_table_iter_init(&it, open);
		while (g_hash_table_iter_next(&it, &k, &val)) {
			struct closer cl = { .order = GPOINTER_TO_UINT(val) - 1 };
			bool proc = ((const char *)k)[0] == 'p';

			g_snprintf(cl.line, sizeof(cl.line), "  - %s: %s\n", proc ? "exit" : "close",
				   (const char *)k);
			g_array_append_val(closers, cl);
		}
	}
	g_array_sort(closers, closer_cmp);
	for (unsigned i = 0; i < closers->len; i++)
		g_string_append(s, g_array_index(closers, struct closer, i).line);
	g_array_free(closers, TRUE);
	g_hash_table_destroy(open);
	return g_string_free(s, FALSE);
}

/* ---- running and the oracles ---------------------------------------------- */

/* The run's report (with @traced, followed by the run's whole trace), or
 * NULL for a file the loader refused. */
static char *run_report(const char *text, unsigned long fail_nth, bool traced)
{
	char *err = NULL, *buf = NULL, *tbuf = NULL;
	size_t len = 0, tlen = 0;
	struct scenario *s = scenario_load_string(text, strlen(text), "<fuzz>", &err);
	/* seed 0, as `iommusim run FILE` runs it (and the loader's boot is
	 * then taken as it is); the fuzz seed picks the cases, not this */
	struct run_options ro = { .fail_nth = fail_nth, .fail_after_boot = true };
	FILE *mem, *tmem = NULL;

	if (!s) {
		g_free(err);
		return NULL;
	}
	mem = open_memstream(&buf, &len);
	if (!mem) {
		scenario_free(s);
		return NULL;
	}
	ro.report = mem;
	ro.errors = mem;
	if (traced && (tmem = open_memstream(&tbuf, &tlen))) {
		ro.trace = tmem;
		ro.trace_fmt = RUN_TRACE_TEXT;
	}
	scenario_run(s, &ro);
	if (tmem) {
		fclose(tmem);
		fprintf(mem, "--- trace ---\n%s", tbuf ? tbuf : "");
		free(tbuf);
	}
	fclose(mem);
	scenario_free(s);
	return buf;
}

static char *first_invariant(const char *report)
{
	const char *line = strstr(report, "invariant §");

	return line ? g_strndup(line, strcspn(line, "\n")) : NULL;
}

/* One step's line of a report: what the call answered ("=> X"), or for a
 * DMA its fate ("landed" or the fault's kind). */
struct result {
	char *desc;
	char *answer;
	bool dma;
};

static GPtrArray *parse_report(const char *rep)
{
	GPtrArray *out = g_ptr_array_new();
	char **lines = g_strsplit(rep, "\n", -1);

	for (char **l = lines; *l; l++) {
		struct result *r;
		char *p = *l, *arrow, *colon;

		if (strncmp(p, "  [", 3) || !g_ascii_isdigit(p[3]))
			continue;
		p = strchr(p, ']');
		if (!p)
			continue;
		p += 2;
		r = g_new0(struct result, 1);
		r->dma = g_str_has_prefix(p, "dma ");
		arrow = strstr(p, " => ");
		colon = g_strrstr(p, ": ");
		if (arrow) {
			r->desc = g_strndup(p, (size_t)(arrow - p));
			r->answer = g_strndup(arrow + 4, strcspn(arrow + 4, ":"));
		} else {
			/* a DMA's fate, or a step that checked itself (a handle
			 * not open, an argument that could not be staged) */
			r->desc = g_strndup(p, colon ? (size_t)(colon - p) : strlen(p));
			r->answer = g_strdup(r->dma ? "landed" : "checked");
			/* a DMA's fault is in its failure lines */
			for (char **f = l + 1; r->dma && *f && !strncmp(*f, "      ", 6); f++) {
				const char *got = strstr(*f, "expected the DMA to land, got a");

				if (got) {
					got += strlen("expected the DMA to land, got a");
					got += *got == 'n' ? 2 : 1;
					g_free(r->answer);
					r->answer = g_strndup(got, strcspn(got, " "));
				} else if ((got = strstr(*f, "expected the DMA to land, got -"))) {
					g_free(r->answer);
					r->answer = g_strdup(got + strlen("expected the DMA to land, got "));
				}
			}
		}
		g_ptr_array_add(out, r);
	}
	g_strfreev(lines);
	return out;
}

static void results_free(GPtrArray *a)
{
	for (unsigned i = 0; i < a->len; i++) {
		struct result *r = g_ptr_array_index(a, i);

		g_free(r->desc);
		g_free(r->answer);
		g_free(r);
	}
	g_ptr_array_free(a, TRUE);
}

/* The middle step a report index stands for (-1: the prefix or the closes). */
static int middle_index(const struct fuzz_case *c, const gboolean *keep, unsigned idx)
{
	unsigned k;

	if (idx <= c->nprefix)
		return -1;
	k = idx - c->nprefix - 1;      /* report indexes count from 1 */
	for (unsigned i = 0; i < c->steps->len; i++)
		if (!keep || keep[i]) {
			if (!k)
				return (int)i;
			k--;
		}
	return -1;
}

static int dev_index(const struct fuzz_case *c, const char *desc)
{
	for (unsigned i = 0; i < c->ndev; i++)
		if (!strncmp(desc + 4, c->dev[i].bdf, strlen(c->dev[i].bdf)))
			return (int)i;
	return -1;
}

static const char *oracle_name(enum oracle k)
{
	return k == OR_DIFF_FORMAT ? "formats" : k == OR_DIFF_NAIVE ? "caches" :
	       k == OR_DIFF_USER ? "variant" : "backends";
}

static void variant_name(const struct variant *v, enum oracle k, char *buf, size_t len)
{
	if (k == OR_DIFF_USER)
		g_strlcpy(buf, v->user ? "the variant" : "the machine", len);
	else if (k == OR_DIFF_FORMAT)
		g_strlcpy(buf, v->format, len);
	else if (k == OR_DIFF_NAIVE)
		g_strlcpy(buf, v->naive ? "the naive caches" : "the fast caches", len);
	else
		g_strlcpy(buf, v->legacy ? "type1" : "iommufd", len);
}

static struct variant other_variant(const struct fuzz_case *c, enum oracle k)
{
	static const char *const formats[] = { "vtd", "arm-smmuv3", "riscv" };
	struct variant v = { c->format, c->legacy, false, false };

	if (k == OR_DIFF_USER) {
		v.user = true;
	} else if (k == OR_DIFF_FORMAT) {
		unsigned i = 0;

		while (strcmp(formats[i], c->format))
			i++;
		v.format = formats[(i + 1) % 3];
	} else if (k == OR_DIFF_NAIVE) {
		v.naive = true;
	} else {
		v.legacy = !c->legacy;
	}
	return v;
}

/* What a finding needs to be written: the other variant's answer at the
 * step where they part (its middle index), for the file's expectation. */
struct diff_point {
	int middle;
	char *other;
};

/*
 * The differential oracle: @a and @b are the reports of the same steps on
 * two machine variants.  Walking the steps in order, until a call answers
 * differently (from there on the runs have different histories), every
 * DMA must have the same fate.  On the backends a DMA counts only while a
 * device fd of its group is open.
 */
static char *compare_runs(const struct fuzz_case *c, const gboolean *keep, enum oracle k,
			  const char *a, const char *b, struct diff_point *dp)
{
	GPtrArray *ra = parse_report(a), *rb = parse_report(b);
	int open_fds[FZ_MAX_GROUPS] = { 0 };
	struct variant va = { c->format, c->legacy, false, false }, vb = other_variant(c, k);
	char *found = NULL;

	for (unsigned i = 0; i < ra->len && i < rb->len && !found; i++) {
		const struct result *x = g_ptr_array_index(ra, i), *y = g_ptr_array_index(rb, i);
		int m = middle_index(c, keep, i + 1);
		const struct fstep *st = m >= 0 ? g_ptr_array_index(c->steps, m) : NULL;

		if (!x->dma) {
			if (strcmp(x->answer, y->answer))
				break;
			/* a device fd opened or closed on the group path */
			if (st && st->binds[0] == 'd' && strstr(st->text, "GET_DEVICE_FD") &&
			    g_ascii_isdigit(x->answer[0])) {
				int g = c->dev[atoi(st->binds + 1)].gidx;

				if (g >= 0)
					open_fds[g]++;
			} else if (st && g_str_has_prefix(st->text, "  - close: d") && x->answer[0] == '0') {
				int d = atoi(st->text + strlen("  - close: d"));

				if (d < (int)c->ndev && c->dev[d].gidx >= 0 && open_fds[c->dev[d].gidx])
					open_fds[c->dev[d].gidx]--;
			} else if (st && (g_str_has_prefix(st->text, "  - exit:") ||
					  g_str_has_prefix(st->text, "  - exec:"))) {
				/* a process's descriptors went (an exec closes the
				 * device fds: they are close-on-exec) */
				memset(open_fds, 0, sizeof(open_fds));
			}
			continue;
		}
		/* landed or faulted: the fault's kind is the format's own (a
		 * PASID-less SMMU says no-pasid where RISC-V finds no context) */
		if (!strcmp(x->answer, "landed") == !strcmp(y->answer, "landed"))
			continue;
		if (k == OR_DIFF_BACKEND) {
			int d = dev_index(c, x->desc);

			if (d < 0 || c->dev[d].gidx < 0 || !open_fds[c->dev[d].gidx])
				continue;
		}
		{
			char na[32], nb[32];

			variant_name(&va, k, na, sizeof(na));
			variant_name(&vb, k, nb, sizeof(nb));
			found = g_strdup_printf("differential %s: step %u (%s): %s under %s, %s "
						"under %s", oracle_name(k), i + 1, x->desc, x->answer,
						na, y->answer, nb);
			if (dp) {
				dp->middle = m;
				dp->other = g_strdup(y->answer);
			}
		}
	}
	results_free(ra);
	results_free(rb);
	return found;
}

/* The first difference of two reports, for the replay oracle. */
static char *compare_replay(const char *a, const char *b)
{
	size_t n = 0, line = 1;

	while (a[n] && a[n] == b[n]) {
		if (a[n] == '\n')
			line++;
		n++;
	}
	if (!a[n] && !b[n])
		return NULL;
	return g_strdup_printf("determinism: two runs of the same file differ at line %zu of "
			       "their reports and traces", line);
}

/*
 * Run the oracle @k on @c (with @keep): the violation, or NULL.  Counts
 * the files the loader refused in *@refused (a generator bug outside
 * shrinking).
 */
static char *evaluate(const struct fuzz_case *c, const gboolean *keep, enum oracle k,
		      unsigned long fail_nth, unsigned *refused,
		      struct diff_point *dp, char **report_out)
{
	struct variant va = { c->format, c->legacy, false, false };
	char *text = case_text(c, &va, "fuzz", NULL, keep, NULL);
	char *rep = run_report(text, fail_nth, k == OR_REPLAY), *v = NULL;

	g_free(text);
	if (!rep) {
		(*refused)++;
		return NULL;
	}
	if (k == OR_RUN) {
		v = first_invariant(rep);
	} else if (k == OR_REPLAY) {
		char *t2 = case_text(c, &va, "fuzz", NULL, keep, NULL);
		char *rep2 = run_report(t2, fail_nth, true);

		v = rep2 ? compare_replay(rep, rep2) : NULL;
		free(rep2);
		g_free(t2);
	} else {
		struct variant vb = other_variant(c, k);
		char *t2 = case_text(c, &vb, "fuzz", NULL, keep, NULL);
		char *rep2 = run_report(t2, 0, false);

		if (!rep2)
			(*refused)++;    /* the variant's file: a profile key twice */
		/* an invariant broken on either side is the plain oracle's (but a
		 * user's variant may break them: what it does to DMA is asked) */
		if (rep2 && !strstr(rep, "invariant §") &&
		    (k == OR_DIFF_USER || !strstr(rep2, "invariant §")))
			v = compare_runs(c, keep, k, rep, rep2, dp);
		free(rep2);
		g_free(t2);
	}
	if (report_out)
		*report_out = rep;
	else
		free(rep);
	return v;
}

/* What must stay the same while shrinking: "invariant §Hn <words up to the
 * first ':' or digit>", "differential formats", "determinism". */
static char *signature(const char *v)
{
	size_t n = strcspn(v, ":0123456789");

	while (n && v[n - 1] == ' ')
		n--;
	return g_strndup(v, n);
}

/* Did every step of the prefix succeed in @report? */
static bool prefix_clean(const struct fuzz_case *c, const char *report)
{
	GPtrArray *res = report ? parse_report(report) : NULL;
	bool ok = res != NULL;

	for (unsigned i = 0; res && i < c->nprefix && i < res->len; i++)
		ok &= ((const struct result *)g_ptr_array_index(res, i))->answer[0] != '-';
	if (res)
		results_free(res);
	return ok;
}

/* Then the topology: each function, port or bridge the violation does not
 * need goes (a parent whose children stay cannot: the loader refuses it,
 * and a refused candidate loses the violation like any other). */
static void shrink_topology(struct fuzz_case *c, enum oracle k, unsigned long fail_nth,
			    const char *sig, const gboolean *keep)
{
	unsigned n = topology_entries(c), refused = 0;

	for (unsigned i = n; i-- > 0 && i < 64;) {
		char *v, *s2 = NULL, *rep = NULL;

		c->topo_drop |= 1ull << i;
		v = evaluate(c, keep, k, fail_nth, &refused, NULL, &rep);
		if (v)
			s2 = signature(v);
		/* the prefix must still open everything it opens: a group that
		 * went with a function would leave a failing open behind */
		if (!s2 || strcmp(s2, sig) || !prefix_clean(c, rep))
			c->topo_drop &= ~(1ull << i);
		free(rep);
		g_free(s2);
		g_free(v);
	}
}

/*
 * Last, the argument values: each size, length and DMA length of a kept
 * step tried smaller (a page, then for a DMA eight bytes), kept when the
 * violation stays.  Addresses stay: they tie maps, unmaps and DMAs
 * together.
 */
static void shrink_values(struct fuzz_case *c, enum oracle k, unsigned long fail_nth,
			  const char *sig, const gboolean *keep)
{
	static const char *const keys[] = { "size: 0x", "length: 0x", "len: 0x" };
	static const uint64_t smaller[] = { 0x1000, 0x8 };
	unsigned refused = 0;

	for (unsigned i = 0; i < c->steps->len; i++) {
		struct fstep *st = g_ptr_array_index(c->steps, i);

		if (!keep[i])
			continue;
		for (unsigned kk = 0; kk < G_N_ELEMENTS(keys); kk++)
			for (unsigned t = 0; t < G_N_ELEMENTS(smaller); t++) {
				const char *at = strstr(st->text, keys[kk]);
				char *end, *old, *v, *s2 = NULL;
				uint64_t val;

				if (!at || (t == 1 && strcmp(keys[kk], "len: 0x")))
					continue;
				val = g_ascii_strtoull(at + strlen(keys[kk]), &end, 16);
				if (val <= smaller[t])
					continue;
				old = st->text;
				st->text = g_strdup_printf("%.*s0x%llx%s",
							   (int)(at - old + strlen(keys[kk]) - 2), old,
							   (unsigned long long)smaller[t], end);
				v = evaluate(c, keep, k, fail_nth, &refused, NULL, NULL);
				if (v)
					s2 = signature(v);
				if (s2 && !strcmp(s2, sig)) {
					g_free(old);
				} else {
					g_free(st->text);
					st->text = old;
				}
				g_free(s2);
				g_free(v);
			}
	}
}

/* ddmin over the middle steps: the smallest subset (by removing chunks,
 * then single steps) whose run still shows @sig. */
static unsigned shrink(const struct fuzz_case *c, enum oracle k, unsigned long fail_nth,
		       const char *sig, gboolean *keep)
{
	unsigned n = c->steps->len, live = n, refused = 0;

	for (unsigned i = 0; i < n; i++)
		keep[i] = TRUE;
	for (unsigned chunk = n / 2 ? n / 2 : 1; chunk >= 1;) {
		bool progress = false;

		for (unsigned start = 0; start < n; start += chunk) {
			gboolean saved[MAX_STEPS];
			unsigned removed = 0;
			char *v, *s2 = NULL;

			memcpy(saved, keep, n * sizeof(*keep));
			for (unsigned i = start; i < start + chunk && i < n; i++)
				if (keep[i]) {
					keep[i] = FALSE;
					removed++;
				}
			if (!removed)
				continue;
			v = evaluate(c, keep, k, fail_nth, &refused, NULL, NULL);
			if (v)
				s2 = signature(v);
			if (s2 && !strcmp(s2, sig)) {
				live -= removed;
				progress = true;
			} else {
				memcpy(keep, saved, n * sizeof(*keep));
			}
			g_free(s2);
			g_free(v);
		}
		/* a chunk size that removed something is tried again */
		if (!progress)
			chunk /= 2;
	}
	return live;
}

/*
 * Each kept step's expectation: what it did in @report (an errno, a
 * fault), so that the written file passes but for the violation; at the
 * differential's step the other variant's fate instead.
 */
static char **expectations(const struct fuzz_case *c, const gboolean *keep, const char *report,
			   const struct diff_point *dp)
{
	char **extra = g_new0(char *, c->steps->len);
	GPtrArray *res = parse_report(report);

	for (unsigned i = 0; i < res->len; i++) {
		const struct result *r = g_ptr_array_index(res, i);
		int m = middle_index(c, keep, i + 1);
		const char *a = r->answer;

		if (m < 0)
			continue;
		if (dp && dp->middle == m)
			a = dp->other;
		if (a[0] == '-' && g_ascii_isalpha(a[1]))
			extra[m] = g_strdup_printf("    expect: {errno: %s}\n", a + 1);
		else if (r->dma && strcmp(a, "landed") && a[0] != '-')
			extra[m] = g_strdup_printf("    expect: {fault: %s}\n", a);
		else if (dp && dp->middle == m)
			extra[m] = g_strdup("    expect: ok\n");
	}
	results_free(res);
	return extra;
}

struct finding {
	uint64_t run;
	enum oracle kind;
	unsigned long fail_nth;
	char *violation;
};

static void write_report(const struct fuzz_options *o, struct fuzz_case *c,
			 const struct finding *f)
{
	gboolean keep[MAX_STEPS];
	char *sig = signature(f->violation), *rep = NULL, *v, *header, *text, *path, *name;
	unsigned refused = 0, live = shrink(c, f->kind, f->fail_nth, sig, keep);
	unsigned entries = topology_entries(c), kept_entries;
	struct diff_point dp = { -1, NULL };
	struct variant va = { c->format, c->legacy, false, false };
	char **extra;
	GString *how = g_string_new(NULL);
	FILE *out;

	shrink_topology(c, f->kind, f->fail_nth, sig, keep);
	shrink_values(c, f->kind, f->fail_nth, sig, keep);
	kept_entries = entries - (unsigned)__builtin_popcountll(c->topo_drop);
	v = evaluate(c, keep, f->kind, f->fail_nth, &refused, &dp, &rep);
	extra = expectations(c, keep, rep ? rep : "", f->kind >= OR_DIFF_FORMAT ? &dp : NULL);
	name = g_strdup_printf("fuzz-%llu-%llu", (unsigned long long)o->seed,
			       (unsigned long long)f->run);
	if (f->kind == OR_RUN && f->fail_nth)
		g_string_printf(how, "# Run it with `iommusim run --fail-nth-step %lu FILE` (call %lu\n"
				"# from the first step fails): it fails with the same violation.\n",
				f->fail_nth, f->fail_nth);
	else if (f->kind == OR_RUN)
		g_string_assign(how, "# Run it with `iommusim run FILE`: it fails with the same "
				"violation\n# and nothing else (each step expects what it did).\n");
	else if (f->kind == OR_REPLAY)
		g_string_assign(how, "# Run it twice with `iommusim run FILE` and compare the "
				"reports.\n");
	else {
		struct variant vb = other_variant(c, f->kind);
		char nb[32];

		variant_name(&vb, f->kind, nb, sizeof(nb));
		g_string_printf(how, "# Every step expects what it did on this machine except the "
				"one where\n# the two machines part, which expects what it did "
				"under %s:\n# `iommusim run FILE` fails there.\n", nb);
	}
	header = g_strdup_printf(
		"# Found by `iommusim fuzz --seed %llu` (run %llu) and shrunk from %u to %u\n"
		"# generated steps, the topology from %u entries to %u.\n"
		"# Oracle: %s.\n# The violation:\n#   %s\n%s",
		(unsigned long long)o->seed, (unsigned long long)f->run, c->steps->len, live,
		entries, kept_entries,
		f->kind == OR_RUN ? (f->fail_nth ? "the spec §H invariants with one call failing" :
				     "the spec §H invariants after every step") :
		f->kind == OR_REPLAY ? "replay (the same file, the same report)" :
		f->kind == OR_DIFF_USER ? "differential against the --variant machine" :
		"differential (the same steps on another machine, the same DMA outcomes)",
		v ? v : f->violation, how->str);
	text = case_text(c, &va, name, header, keep, extra);
	path = g_strdup_printf("%s/%s.yaml", o->out_dir ? o->out_dir : ".", name);
	if (o->out_dir)
		mkdir(o->out_dir, 0755);
	out = fopen(path, "w");
	if (out) {
		fputs(text, out);
		fclose(out);
		if (o->log)
			fprintf(o->log, "fuzz: run %llu: %s\nfuzz: shrunk to %u steps: %s\n",
				(unsigned long long)f->run, f->violation, live, path);
	} else if (o->log) {
		fprintf(o->log, "fuzz: cannot write %s: %s\n", path, strerror(errno));
	}
	for (unsigned i = 0; i < c->steps->len; i++)
		g_free(extra[i]);
	g_free(extra);
	g_free(dp.other);
	g_string_free(how, TRUE);
	g_free(path);
	g_free(text);
	g_free(header);
	g_free(name);
	g_free(v);
	free(rep);
	g_free(sig);
}

/* ---- one run, by number ---------------------------------------------------- */

static void case_of_run(const struct fuzz_options *o, uint64_t run, struct fuzz_case *c,
			GByteArray *rec)
{
	GRand *r = g_rand_new_with_seed_array((const guint32[]){ (guint32)o->seed,
							 (guint32)(o->seed >> 32),
							 (guint32)run, (guint32)(run >> 32) }, 4);
	struct fz z = { .rand = r, .rec = rec };

	gen_case(&z, o, c);
	g_rand_free(r);
}

/* Which extra oracle a run gets, by its number: a quarter each the three
 * differentials, and one run in eight each a replay and a failing call. */
static enum oracle extra_oracle(const struct fuzz_options *o, uint64_t run)
{
	if ((o->variant_iommu || o->variant_profile) && run % 8 && run % 8 != 4)
		return OR_DIFF_USER;
	switch (run % 8) {
	case 1: case 5: return OR_DIFF_FORMAT;
	case 2: case 6: return OR_DIFF_NAIVE;
	case 3: case 7: return OR_DIFF_BACKEND;
	case 4: return OR_REPLAY;
	default: return OR_RUN;
	}
}

/* Run @c through the oracles; the first finding's kind and text. */
static char *check_case(const struct fuzz_options *o, const struct fuzz_case *c, uint64_t run,
			struct fz *z, enum oracle *kind, unsigned long *fail_nth,
			unsigned *refused)
{
	enum oracle extra = o->no_differential ? OR_RUN : extra_oracle(o, run);
	char *v = evaluate(c, NULL, OR_RUN, 0, refused, NULL, NULL);

	*kind = OR_RUN;
	*fail_nth = 0;
	if (v)
		return v;
	if (extra != OR_RUN) {
		*kind = extra;
		v = evaluate(c, NULL, extra, 0, refused, NULL, NULL);
	} else if (run % 8 == 0 && !o->no_differential) {
		/* one call fails: mostly an early one */
		*fail_nth = 1 + (fz_chance(z, 1, 2) ? fz_below(z, 16) : fz_below(z, 400));
		v = evaluate(c, NULL, OR_RUN, *fail_nth, refused, NULL, NULL);
	}
	return v;
}

/* One run's result, as a worker sends it: "RUN OPS REFUSED KIND NTH [V]\n". */
struct run_result {
	uint64_t run, ops;
	unsigned refused;
	enum oracle kind;
	unsigned long fail_nth;
	char *violation;
	bool done;
};

static void do_run(const struct fuzz_options *o, uint64_t run, struct run_result *rr)
{
	struct fuzz_case c;
	GRand *r = g_rand_new_with_seed_array((const guint32[]){ (guint32)o->seed, 0x6f72,
							 (guint32)run, (guint32)(run >> 32) }, 4);
	struct fz z = { .rand = r };

	case_of_run(o, run, &c, NULL);
	memset(rr, 0, sizeof(*rr));
	rr->run = run;
	rr->ops = c.steps->len;
	rr->violation = check_case(o, &c, run, &z, &rr->kind, &rr->fail_nth, &rr->refused);
	rr->done = true;
	g_rand_free(r);
	case_free(&c);
}

/* ---- the driver -------------------------------------------------------------- */

struct fuzz_state {
	const struct fuzz_options *o;
	GHashTable *seen;            /* signatures written */
	unsigned failures, refused;
	uint64_t runs, ops;
	struct timespec t0;
	bool stop;
	bool broken;                 /* --jobs: a worker could not be started */
};

static double elapsed(const struct fuzz_state *fs)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - fs->t0.tv_sec) + (double)(t.tv_nsec - fs->t0.tv_nsec) / 1e9;
}

static void progress(struct fuzz_state *fs, bool last)
{
	const struct fuzz_options *o = fs->o;

	if (!o->log)
		return;
	if (o->progress_tty) {
		double s = elapsed(fs);

		fprintf(o->log, "\rfuzz: %llu runs, %llu ops, %.0f ops/s, %u failure(s)%s",
			(unsigned long long)fs->runs, (unsigned long long)fs->ops,
			s > 0 ? (double)fs->ops / s : 0, fs->failures, last ? "\n" : "");
		fflush(o->log);
	} else if (!last && o->progress_every && fs->runs % o->progress_every == 0) {
		fprintf(o->log, "fuzz: %llu runs, %llu ops, %u failure(s)\n",
			(unsigned long long)fs->runs, (unsigned long long)fs->ops, fs->failures);
	}
}

/* Take one run's result, in run order. */
static void absorb(struct fuzz_state *fs, struct run_result *rr)
{
	const struct fuzz_options *o = fs->o;

	fs->runs++;
	fs->ops += rr->ops;
	fs->refused += rr->refused;
	if (rr->violation) {
		char *sig = signature(rr->violation);

		if (!g_hash_table_contains(fs->seen, sig)) {
			struct finding f = { rr->run, rr->kind, rr->fail_nth, rr->violation };
			struct fuzz_case c;

			if (o->progress_tty && o->log)
				fputc('\n', o->log);
			case_of_run(o, rr->run, &c, NULL);
			write_report(o, &c, &f);
			case_free(&c);
			g_hash_table_add(fs->seen, sig);
			sig = NULL;
			fs->failures++;
			if (o->stop_at_first)
				fs->stop = true;
		}
		g_free(sig);
		g_free(rr->violation);
		rr->violation = NULL;
	}
	progress(fs, false);
}

static bool time_up(const struct fuzz_state *fs)
{
	return fs->o->seconds > 0 && elapsed(fs) >= fs->o->seconds;
}

static void run_serial(struct fuzz_state *fs)
{
	for (uint64_t run = fs->o->first_run; run - fs->o->first_run < fs->o->runs && !fs->stop &&
	     !time_up(fs); run++) {
		struct run_result rr;

		do_run(fs->o, run, &rr);
		absorb(fs, &rr);
	}
}

/* A worker: runs j, j + jobs, ... until the runs or the time are over,
 * each result a line on @fd. */
static void worker(const struct fuzz_options *o, unsigned j, int fd, struct fuzz_state *fs)
{
	FILE *out = fdopen(fd, "w");

	if (!out)
		_exit(1);

	for (uint64_t run = o->first_run + j; run - o->first_run < o->runs && !time_up(fs);
	     run += o->jobs) {
		struct run_result rr;

		do_run(o, run, &rr);
		fprintf(out, "%llu %llu %u %d %lu %s\n", (unsigned long long)run,
			(unsigned long long)rr.ops, rr.refused, (int)rr.kind, rr.fail_nth,
			rr.violation ? rr.violation : "-");
		fflush(out);
		g_free(rr.violation);
	}
	fclose(out);
	_exit(0);
}

/*
 * --jobs: the runs dealt out round robin to worker processes; their results
 * are taken in run order (the next run's result waits until every earlier
 * one is in), so what is found, shrunk and written, and every line printed,
 * is what one process would do.
 */
static void run_parallel(struct fuzz_state *fs)
{
	const struct fuzz_options *o = fs->o;
	unsigned jobs = o->jobs;
	pid_t *pids = g_new0(pid_t, jobs);
	FILE **in = g_new0(FILE *, jobs);
	GHashTable *pending = g_hash_table_new(g_int64_hash, g_int64_equal);
	uint64_t next = o->first_run;
	unsigned live = 0;

	if (o->log)
		fflush(o->log);
	for (unsigned j = 0; j < jobs; j++) {
		int p[2];

		if (pipe(p))
			break;
		pids[j] = fork();
		if (pids[j] == 0) {
			close(p[0]);
			for (unsigned k = 0; k < j; k++)
				if (in[k])
					fclose(in[k]);
			worker(o, j, p[1], fs);
		}
		close(p[1]);
		if (pids[j] < 0) {
			close(p[0]);
			break;
		}
		in[j] = fdopen(p[0], "r");
		if (!in[j]) {
			close(p[0]);
			break;
		}
		/* unbuffered: a line stdio read ahead would wait for no poll */
		setvbuf(in[j], NULL, _IONBF, 0);
		live++;
	}
	if (live < jobs) {
		/* the runs of a worker that did not start would never come */
		if (o->log)
			fprintf(o->log, "fuzz: started %u of %u workers: %s\n", live, jobs,
				strerror(errno));
		fs->stop = fs->broken = true;
	}
	while (live && !fs->stop) {
		struct pollfd pf[64];
		unsigned map[64], n = 0;

		for (unsigned j = 0; j < jobs && n < 64; j++)
			if (in[j]) {
				pf[n].fd = fileno(in[j]);
				pf[n].events = POLLIN;
				map[n++] = j;
			}
		if (poll(pf, n, -1) < 0)
			break;
		for (unsigned i = 0; i < n; i++) {
			char line[4096];
			FILE *f = in[map[i]];
			struct run_result *rr;
			unsigned long long run, ops;
			int kind, at = 0;

			if (!(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (!fgets(line, sizeof(line), f)) {
				fclose(f);
				in[map[i]] = NULL;
				live--;
				continue;
			}
			rr = g_new0(struct run_result, 1);
			if (sscanf(line, "%llu %llu %u %d %lu %n", &run, &ops, &rr->refused, &kind,
				   &rr->fail_nth, &at) < 5) {
				g_free(rr);
				continue;
			}
			rr->run = run;
			rr->ops = ops;
			rr->kind = (enum oracle)kind;
			line[strcspn(line, "\n")] = 0;
			if (strcmp(line + at, "-"))
				rr->violation = g_strdup(line + at);
			g_hash_table_insert(pending, &rr->run, rr);
		}
		for (struct run_result *rr; !fs->stop &&
		     (rr = g_hash_table_lookup(pending, &next)); next++) {
			g_hash_table_remove(pending, &next);
			absorb(fs, rr);
			g_free(rr);
		}
	}
	for (unsigned j = 0; j < jobs; j++) {
		if (in[j])
			fclose(in[j]);
		if (pids[j] > 0) {
			if (fs->stop)
				kill(pids[j], SIGTERM);
			waitpid(pids[j], NULL, 0);
		}
	}
	{
		GHashTableIter it;
		gpointer k, v;

		g_hash_table_iter_init(&it, pending);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			g_free(((struct run_result *)v)->violation);
			g_free(v);
		}
	}
	g_hash_table_destroy(pending);
	g_free(in);
	g_free(pids);
}

char *scenario_fuzz_bad_op(const char *ops)
{
	char **names = g_strsplit(ops, ",", -1), *bad = NULL;
	const struct step_kind *k;

	if (!names[0])
		bad = g_strdup("");
	for (char **p = names; *p && !bad; p++)
		if (!(k = step_kind_find(*p)) || !k->gen)
			bad = g_strdup(*p);
	g_strfreev(names);
	return bad;
}

int scenario_fuzz(const struct fuzz_options *o)
{
	struct fuzz_state fs = { .o = o };
	double secs;

	if (o->show >= 0) {
		struct fuzz_case c;
		struct variant v;
		char *text;

		case_of_run(o, (uint64_t)o->show, &c, NULL);
		v = (struct variant){ c.format, c.legacy, false, false };
		text = case_text(&c, &v, "fuzz", NULL, NULL, NULL);
		fputs(text, stdout);
		g_free(text);
		case_free(&c);
		return 0;
	}
	fs.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	clock_gettime(CLOCK_MONOTONIC, &fs.t0);
	if (o->jobs > 1)
		run_parallel(&fs);
	else
		run_serial(&fs);
	secs = elapsed(&fs);
	if (o->log) {
		if (o->progress_tty)
			progress(&fs, true);
		fprintf(o->log, "fuzz: seed %llu: %llu runs, %llu generated ops, %u distinct "
			"failure(s)", (unsigned long long)o->seed, (unsigned long long)fs.runs,
			(unsigned long long)fs.ops, fs.failures);
		if (o->timing)
			fprintf(o->log, ", %.1f s, %.0f runs/s, %.0f ops/s", secs,
				secs > 0 ? (double)fs.runs / secs : 0,
				secs > 0 ? (double)fs.ops / secs : 0);
		fputc('\n', o->log);
		if (fs.refused)
			fprintf(o->log, "fuzz: %u generated file(s) the loader refused (a generator "
				"bug)\n", fs.refused);
	}
	g_hash_table_destroy(fs.seen);
	return fs.failures || fs.refused || fs.broken ? 1 : 0;
}

/* ---- fuzz_ops: cases from bytes ------------------------------------------------ */

static const struct fuzz_options bytes_options = { .runs = 1, .show = -1 };

static void case_of_bytes(const uint8_t *data, size_t size, struct fuzz_case *c)
{
	struct fz z = { .data = data, .size = size };

	gen_case(&z, &bytes_options, c);
}

char *scenario_fuzz_decode(const uint8_t *data, size_t size)
{
	struct fuzz_case c;
	struct variant v;
	char *text;

	case_of_bytes(data, size, &c);
	v = (struct variant){ c.format, c.legacy, false, false };
	text = case_text(&c, &v, "fuzz-ops", "# Decoded from a fuzz_ops input by "
			 "`iommusim fuzz --decode`.\n", NULL, NULL);
	case_free(&c);
	return text;
}

int scenario_fuzz_bytes(const uint8_t *data, size_t size, char **violation)
{
	struct fuzz_case c;
	unsigned refused = 0;
	enum oracle kind;
	unsigned long nth;
	char *v;
	/* the oracle mix and the failing call come from the input too: its
	 * last bytes, which the generator reads last, if at all */
	struct fz tail = { .data = data + (size > 4 ? size - 4 : 0), .size = size > 4 ? 4 : size };
	uint64_t run = fz_below(&tail, 8);

	case_of_bytes(data, size, &c);
	v = check_case(&bytes_options, &c, run, &tail, &kind, &nth, &refused);
	case_free(&c);
	if (refused && !v)
		v = g_strdup("fuzz_ops: the loader refused a generated file (a generator bug)");
	if (violation)
		*violation = v;
	else
		g_free(v);
	return v ? 1 : 0;
}

int scenario_fuzz_write_seeds(uint64_t seed, unsigned n, const char *dir)
{
	struct fuzz_options o = { .seed = seed, .runs = n, .show = -1 };

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	for (unsigned run = 0; run < n; run++) {
		GByteArray *rec = g_byte_array_new();
		struct fuzz_case c;
		char *path = g_strdup_printf("%s/ops-%llu-%u", dir, (unsigned long long)seed, run);
		FILE *f;

		case_of_run(&o, run, &c, rec);
		case_free(&c);
		f = fopen(path, "wb");
		if (!f || fwrite(rec->data, 1, rec->len, f) != rec->len) {
			int e = errno;

			if (f)
				fclose(f);
			g_free(path);
			g_byte_array_unref(rec);
			return -e;
		}
		fclose(f);
		g_free(path);
		g_byte_array_unref(rec);
	}
	return 0;
}
