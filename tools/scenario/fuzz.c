/* SPDX-License-Identifier: MIT */
/*
 * `iommusim fuzz` (docs/fuzzing.md): random operation sequences, each
 * written as a scenario file and run by the scenario runner with the §H
 * invariants after every step; a run whose report has a violation is
 * shrunk (delta debugging over its steps) and written to the output
 * directory as a scenario file that shows the same violation: the bug
 * report.  The steps are the scenario language's own, so everything the
 * runner can do the fuzzer can generate, and everything it finds is a
 * file anyone can run.  Deterministic: the same seed gives the same runs.
 *
 * This first layer generates over one topology (two devices in groups of
 * their own behind ACS root ports, both on vfio-pci), every IOMMU format
 * and both VFIO container backends, and the operations of a VFIO and an
 * iommufd user: container and group ioctls, MAP/UNMAP_DMA, device fds, the
 * IOAS ioctls, COPY, DESTROY, the compat IOAS, CPU fills and device DMA in
 * both directions, with the handles closed in a random order at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <glib.h>

#include "tools/scenario/scenario.h"
#include "tools/scenario/fuzz.h"

#define MAX_STEPS 40

static const char *const TOPOLOGY =
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", driver: vfio-pci}\n"
	"  - {bdf: \"0000:00:02.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:00:02.0\", driver: vfio-pci}\n";

/* The endpoints; their groups are 2 and 3 (probe order: the root ports
 * are 0 and 1), the nodes PREFIX opens. */
static const char *const DEV[2] = { "0000:01:00.0", "0000:02:00.0" };

static const char *const FORMATS[] = { "vtd", "arm-smmuv3", "riscv" };

static uint64_t pick_u(GRand *r, const uint64_t *v, unsigned n)
{
	return v[g_rand_int_range(r, 0, (gint32)n)];
}

static const uint64_t IOVAS[] = { 0, 0x10000, 0x100000, 0x140000, 0x200000, 0xfee00000,
				  0x8000000 };
static const uint64_t SIZES[] = { 0x1000, 0x10000, 0x40000, 0x100000 };
static const uint64_t OFFS[] = { 0, 0x10000, 0x80000 };

/* What the generator remembers of a run so far: the ranges it mapped,
 * so that DMAs and unmaps go where mappings are more often than chance
 * would send them. */
struct gen_state {
	uint64_t iova[MAX_STEPS], size[MAX_STEPS];
	unsigned nmaps;
};

/* One generated step: a YAML list item (its lines, indented). */
static char *gen_step(GRand *r, struct gen_state *gs)
{
	int g = g_rand_int_range(r, 0, 2), k = g_rand_int_range(r, 0, 17);
	uint64_t iova = pick_u(r, IOVAS, G_N_ELEMENTS(IOVAS));
	uint64_t size = pick_u(r, SIZES, G_N_ELEMENTS(SIZES));
	uint64_t off = pick_u(r, OFFS, G_N_ELEMENTS(OFFS));
	unsigned id = (unsigned)g_rand_int_range(r, 1, 6);

	/* most DMAs and unmaps aim at a range mapped before */
	if (gs->nmaps && (k == 5 || k == 12 || (k >= 7 && k <= 9)) && g_rand_int_range(r, 0, 4)) {
		unsigned m = (unsigned)g_rand_int_range(r, 0, (gint32)gs->nmaps);

		iova = gs->iova[m];
		size = gs->size[m];
		if (k >= 7 && k <= 9)
			off = (uint64_t)g_rand_int_range(r, 0, (gint32)(size >> 12)) << 12;
	} else if (k >= 7 && k <= 9) {
		off &= 0xf000;
	}
	if ((k == 3 || k == 4 || k == 11) && gs->nmaps < MAX_STEPS) {
		gs->iova[gs->nmaps] = iova;
		gs->size[gs->nmaps++] = size;
	}

	switch (k) {
	case 0:
		return g_strdup_printf("  - ioctl: VFIO_GROUP_SET_CONTAINER\n    on: g%d\n"
				       "    arg: container\n", g);
	case 1:
		return g_strdup_printf("  - ioctl: VFIO_GROUP_UNSET_CONTAINER\n    on: g%d\n", g);
	case 2:
		return g_strdup_printf("  - ioctl: VFIO_SET_IOMMU\n    on: container\n    arg: %s\n",
				       g_rand_boolean(r) ? "VFIO_TYPE1v2_IOMMU" : "VFIO_TYPE1_IOMMU");
	case 3:
	case 4:
		return g_strdup_printf("  - ioctl: VFIO_IOMMU_MAP_DMA\n    on: container\n"
				       "    arg: {vaddr: buf+0x%llx, iova: 0x%llx, size: 0x%llx, "
				       "flags: [%s]}\n", (unsigned long long)off,
				       (unsigned long long)iova, (unsigned long long)size,
				       g_rand_int_range(r, 0, 4) ? "READ, WRITE" : "READ");
	case 5:
		return g_strdup_printf("  - ioctl: VFIO_IOMMU_UNMAP_DMA\n    on: container\n"
				       "    arg: {iova: 0x%llx, size: 0x%llx}\n",
				       (unsigned long long)iova, (unsigned long long)size);
	case 6:
		return g_strdup_printf("  - ioctl: VFIO_GROUP_GET_DEVICE_FD\n    on: g%d\n"
				       "    arg: \"%s\"\n", g, DEV[g]);
	case 7:
	case 8:
	case 9:
		return g_strdup_printf("  - dma: \"%s\"\n    op: %s\n    addr: 0x%llx\n"
				       "    len: 0x%llx\n    pattern: 0x5a\n", DEV[g],
				       g_rand_boolean(r) ? "write" : "read",
				       (unsigned long long)(iova + off),
				       (unsigned long long)(g_rand_boolean(r) ? 8 : 0x2000));
	case 10:
		return g_strdup("  - ioctl: IOMMU_IOAS_ALLOC\n    on: ictx\n    arg: {}\n");
	case 11:
		return g_strdup_printf("  - ioctl: IOMMU_IOAS_MAP\n    on: ictx\n"
				       "    arg: {ioas_id: %u, flags: [FIXED_IOVA, READABLE, WRITEABLE], "
				       "user_va: buf+0x%llx, length: 0x%llx, iova: 0x%llx}\n", id,
				       (unsigned long long)off, (unsigned long long)size,
				       (unsigned long long)iova);
	case 12:
		return g_strdup_printf("  - ioctl: IOMMU_IOAS_UNMAP\n    on: ictx\n"
				       "    arg: {ioas_id: %u, iova: 0x%llx, length: 0x%llx}\n", id,
				       (unsigned long long)iova, (unsigned long long)size);
	case 13:
		return g_strdup_printf("  - ioctl: IOMMU_IOAS_COPY\n    on: ictx\n"
				       "    arg: {dst_ioas_id: %u, src_ioas_id: %u, length: 0x%llx, "
				       "src_iova: 0x%llx, dst_iova: 0x%llx, flags: [FIXED_IOVA, READABLE]}\n",
				       id, (unsigned)g_rand_int_range(r, 1, 4), (unsigned long long)size,
				       (unsigned long long)iova,
				       (unsigned long long)pick_u(r, IOVAS, G_N_ELEMENTS(IOVAS)));
	case 14:
		return g_strdup_printf("  - ioctl: IOMMU_DESTROY\n    on: ictx\n    arg: {id: %u}\n",
				       id);
	case 15:
		return g_strdup_printf("  - ioctl: IOMMU_VFIO_IOAS\n    on: ictx\n"
				       "    arg: {op: SET, ioas_id: %u}\n", id);
	default:
		return g_strdup_printf("  - fill: buf\n    offset: 0x%llx\n    len: 0x1000\n"
				       "    pattern: 0x%02x\n", (unsigned long long)off,
				       (unsigned)g_rand_int_range(r, 1, 255));
	}
}

struct fuzz_case {
	char *profile;               /* the profile block */
	GPtrArray *steps;            /* char *: the middle steps */
	GPtrArray *closes;           /* char *: the closes at the end */
};

static const char *const PREFIX =
	"steps:\n"
	"  - open: /dev/vfio/vfio\n    as: container\n"
	"  - open: /dev/vfio/2\n    as: g0\n"
	"  - open: /dev/vfio/3\n    as: g1\n"
	"  - open: /dev/iommu\n    as: ictx\n"
	"  - alloc: buf\n    size: 1M\n";

static void case_free(struct fuzz_case *c)
{
	g_free(c->profile);
	g_ptr_array_unref(c->steps);
	g_ptr_array_unref(c->closes);
}

static void gen_case(GRand *r, const struct fuzz_options *o, unsigned max_steps,
		     struct fuzz_case *c)
{
	const char *handles[] = { "g0", "g1", "container", "ictx" };
	unsigned n = (unsigned)g_rand_int_range(r, 4, (gint32)max_steps + 1);
	const char *format = FORMATS[g_rand_int_range(r, 0, 3)];
	bool legacy = g_rand_boolean(r);

	c->profile = g_strdup_printf("profile:\n  iommu: {format: %s%s%s}\n  vfio_container: %s\n%s",
				     format, o->iommu_keys ? ", " : "",
				     o->iommu_keys ? o->iommu_keys : "",
				     legacy ? "legacy" : "iommufd",
				     o->extra_profile ? o->extra_profile : "");
	struct gen_state gs = { 0 };

	c->steps = g_ptr_array_new_with_free_func(g_free);
	c->closes = g_ptr_array_new_with_free_func(g_free);
	/* half the runs start as a VFIO user does: group 2 in the container,
	 * a type1 backend, a device fd (so that an iommufd-served container
	 * attaches the group too); shrinking may take these away again */
	if (g_rand_boolean(r)) {
		g_ptr_array_add(c->steps, g_strdup("  - ioctl: VFIO_GROUP_SET_CONTAINER\n    on: g0\n"
						   "    arg: container\n"));
		g_ptr_array_add(c->steps, g_strdup("  - ioctl: VFIO_SET_IOMMU\n    on: container\n"
						   "    arg: VFIO_TYPE1v2_IOMMU\n"));
		g_ptr_array_add(c->steps, g_strdup_printf("  - ioctl: VFIO_GROUP_GET_DEVICE_FD\n"
							  "    on: g0\n    arg: \"%s\"\n", DEV[0]));
	}
	while (c->steps->len < n)
		g_ptr_array_add(c->steps, gen_step(r, &gs));
	/* the handles closed in a random order */
	for (int i = 3; i > 0; i--) {
		int j = g_rand_int_range(r, 0, i + 1);
		const char *t = handles[i];

		handles[i] = handles[j];
		handles[j] = t;
	}
	for (int i = 0; i < 4; i++)
		g_ptr_array_add(c->closes, g_strdup_printf("  - close: %s\n", handles[i]));
}

/* The scenario text of @c with only the middle steps @keep (NULL: all). */
static char *case_text(const struct fuzz_case *c, const char *name, const char *header,
		       const gboolean *keep)
{
	GString *s = g_string_new(header ? header : "");

	g_string_append_printf(s, "name: %s\n%s%s%s", name, c->profile, TOPOLOGY, PREFIX);
	for (unsigned i = 0; i < c->steps->len; i++)
		if (!keep || keep[i])
			g_string_append(s, g_ptr_array_index(c->steps, i));
	for (unsigned i = 0; i < c->closes->len; i++)
		g_string_append(s, g_ptr_array_index(c->closes, i));
	return g_string_free(s, FALSE);
}

/*
 * Run @text; the first invariant violation of its report, or NULL (no
 * violation, or a file the loader refuses, which the fuzzer counts: a
 * generated file is always well formed).
 */
static char *run_text(const char *text, uint64_t seed, unsigned *bad_files)
{
	char *err = NULL, *buf = NULL, *hit = NULL, *line;
	size_t len = 0;
	struct scenario *s = scenario_load_string(text, strlen(text), "<fuzz>", &err);
	struct run_options ro = { .seed = seed };
	FILE *mem;

	if (!s) {
		(*bad_files)++;
		g_free(err);
		return NULL;
	}
	mem = open_memstream(&buf, &len);
	ro.report = mem;
	ro.errors = mem;
	scenario_run(s, &ro);
	fclose(mem);
	scenario_free(s);
	line = buf ? strstr(buf, "invariant §") : NULL;
	if (line) {
		size_t n = strcspn(line, "\n");

		hit = g_strndup(line, n);
	}
	free(buf);
	return hit;
}

/* The violation's kind: "invariant §Hn <words up to the first ':' or
 * digit>", what a shrunk file must still show. */
static char *signature(const char *v)
{
	size_t n = strcspn(v, ":0123456789");

	while (n && v[n - 1] == ' ')
		n--;
	return g_strndup(v, n);
}

/* ddmin over the middle steps: the smallest subset (by removing chunks,
 * then single steps) whose run still shows @sig. */
static unsigned shrink(const struct fuzz_case *c, const char *sig, uint64_t seed,
		       gboolean *keep, unsigned *bad_files)
{
	unsigned n = c->steps->len, live = n;

	for (unsigned i = 0; i < n; i++)
		keep[i] = TRUE;
	for (unsigned chunk = n / 2 ? n / 2 : 1; chunk >= 1;) {
		bool progress = false;

		for (unsigned start = 0; start < n; start += chunk) {
			gboolean saved[MAX_STEPS];
			unsigned removed = 0;
			char *text, *v, *s2 = NULL;

			memcpy(saved, keep, n * sizeof(*keep));
			for (unsigned i = start; i < start + chunk && i < n; i++)
				if (keep[i]) {
					keep[i] = FALSE;
					removed++;
				}
			if (!removed)
				continue;
			text = case_text(c, "shrink", NULL, keep);
			v = run_text(text, seed, bad_files);
			g_free(text);
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

static void write_report(const struct fuzz_options *o, const struct fuzz_case *c,
			 const gboolean *keep, unsigned live, uint64_t run, const char *violation)
{
	char *name = g_strdup_printf("fuzz-%llu-%llu", (unsigned long long)o->seed,
				     (unsigned long long)run);
	char *header = g_strdup_printf(
		"# Found by `iommusim fuzz --seed %llu` (run %llu) and shrunk from %u to %u\n"
		"# generated steps.  Oracle: the spec §H invariants after every step; the\n"
		"# first violation was:\n#   %s\n"
		"# Run it with `iommusim run FILE`: it fails with the same violation.\n",
		(unsigned long long)o->seed, (unsigned long long)run, c->steps->len, live,
		violation);
	char *text = case_text(c, name, header, keep);
	char *path = g_strdup_printf("%s/%s.yaml", o->out_dir ? o->out_dir : ".", name);
	FILE *f;

	if (o->out_dir)
		mkdir(o->out_dir, 0755);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
		if (o->log)
			fprintf(o->log, "fuzz: run %llu: %s\nfuzz: shrunk to %u steps: %s\n",
				(unsigned long long)run, violation, live, path);
	} else if (o->log) {
		fprintf(o->log, "fuzz: cannot write %s: %s\n", path, strerror(errno));
	}
	g_free(path);
	g_free(text);
	g_free(header);
	g_free(name);
}

int scenario_fuzz(const struct fuzz_options *o)
{
	unsigned max_steps = o->max_steps && o->max_steps <= MAX_STEPS ? o->max_steps : 24;
	unsigned failures = 0, bad_files = 0;
	uint64_t run, ops = 0;
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct timespec t0, t1;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (run = 0; run < o->runs; run++) {
		GRand *r = g_rand_new_with_seed_array((const guint32[]){ (guint32)o->seed,
								 (guint32)(o->seed >> 32),
								 (guint32)run }, 3);
		struct fuzz_case c;
		char *text, *v;

		gen_case(r, o, max_steps, &c);
		g_rand_free(r);
		text = case_text(&c, "fuzz", NULL, NULL);
		if (o->show >= 0) {
			if (run == (uint64_t)o->show) {
				fputs(text, stdout);
				g_free(text);
				case_free(&c);
				break;
			}
			g_free(text);
			case_free(&c);
			continue;
		}
		v = run_text(text, o->seed, &bad_files);
		ops += c.steps->len;
		g_free(text);
		if (v) {
			char *sig = signature(v);

			/* each kind of violation is reported once */
			if (!g_hash_table_contains(seen, sig)) {
				gboolean keep[MAX_STEPS];
				unsigned live = shrink(&c, sig, o->seed, keep, &bad_files);

				write_report(o, &c, keep, live, run, v);
				g_hash_table_add(seen, g_strdup(sig));
				failures++;
			}
			g_free(sig);
			g_free(v);
		}
		case_free(&c);
		if (o->log && o->progress_every && (run + 1) % o->progress_every == 0)
			fprintf(o->log, "fuzz: %llu runs, %llu ops, %u failure(s)\n",
				(unsigned long long)(run + 1), (unsigned long long)ops, failures);
		if (o->stop_at_first && failures)
			break;
	}
	if (o->show >= 0) {
		g_hash_table_destroy(seen);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (o->log) {
		fprintf(o->log, "fuzz: seed %llu: %llu runs, %llu generated ops, %u distinct "
			"failure(s)", (unsigned long long)o->seed,
			(unsigned long long)(run < o->runs ? run + 1 : run), (unsigned long long)ops,
			failures);
		if (o->timing)
			fprintf(o->log, ", %.0f runs/s", secs > 0 ? (double)run / secs : 0);
		fputc('\n', o->log);
		if (bad_files)
			fprintf(o->log, "fuzz: %u generated file(s) the loader refused (a generator "
				"bug)\n", bad_files);
	}
	g_hash_table_destroy(seen);
	return failures || bad_files ? 1 : 0;
}
