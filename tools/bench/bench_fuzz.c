/* SPDX-License-Identifier: MIT */
/*
 * bench_fuzz: the operation-sequence fuzzer (tools/scenario/fuzz.c,
 * docs/fuzzing.md) measured three ways.
 *
 *   1. `iommusim fuzz` throughput: runs/s and generated ops/s of seed 1 over
 *      a fixed number of runs, with the invariants only (no_differential)
 *      and with every oracle (the default: replay, the differentials and
 *      fail-nth on top).
 *   2. fuzz_ops exec/s: scenario_fuzz_bytes called over the seed inputs
 *      scenario_fuzz_write_seeds writes, cycling, for a few seconds, beside
 *      issue 13's goal (20000 exec/s a core without sanitizers, 5000 with
 *      ASan + UBSan).
 *   3. Each injected bug (the profile's iommu.bugs) hunted with seeds 1..5,
 *      stopping at the first finding: the run that found it, the steps left
 *      after shrinking, and the time to find and shrink it, beside the
 *      issue's goal (every bug found within 10^5 runs).
 *
 * The runs, ops, findings and shrunk sizes are deterministic; the times are
 * timings.  Section 3 shares a time budget: a hunt that runs out of its
 * share stops and says so.  Figures only, never pass or fail.
 *
 * Usage: bench_fuzz [runs [exec-seconds [hunt-budget-seconds]]]
 *        (default 2000 runs, 5 s, 120 s)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench/bench_common.h"
#include "tools/scenario/fuzz.h"

#define SEEDS      5
#define SEED_FILES 64
#define GOAL_RUNS  100000ull

static const char *const BUGS[] = {
	"skip-iotlb-flush", "skip-devtlb-flush", "flush-before-write", "skip-nested-flush",
	"skip-context-flush", "skip-dirty-flush", "leak-pin-on-error", "pasid-free-while-bound",
};
#define NBUGS (sizeof(BUGS) / sizeof(BUGS[0]))

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(BENCH_ASAN)
#define BENCH_ASAN 1
#endif

static double now_s(void)
{
	return bench_now_ns() / 1e9;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_fuzz: %s: %s\n", what, why);
	exit(1);
}

/* Remove @dir and the files in it (the fuzzer writes no subdirectories). */
static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

static char *make_tmp(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");

	snprintf(buf, len, "%s/bench_fuzz.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(buf))
		die("mkdtemp", strerror(errno));
	return buf;
}

static const char *build_kind(void)
{
#ifdef BENCH_ASAN
	return "ASan (sanitizers on: compare with the 5000 exec/s goal)";
#elif defined(__OPTIMIZE__) && defined(NDEBUG)
	return "release (optimised, NDEBUG)";
#elif defined(__OPTIMIZE__)
	return "optimised, assertions on";
#else
	return "dev (-O0: its timings say little about speed)";
#endif
}

/* What scenario_fuzz logged: the summary's runs and ops, the first
 * finding's run and its shrunk size (-1 when absent). */
struct fuzz_log {
	unsigned long long runs, ops;
	long long found_run, shrunk_steps;
	unsigned failures;
};

static void parse_log(const char *text, struct fuzz_log *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->found_run = fl->shrunk_steps = -1;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long long a, b, seed;
		unsigned k;

		if (fl->found_run < 0 && sscanf(l, "fuzz: run %llu:", &a) == 1)
			fl->found_run = (long long)a;
		else if (fl->shrunk_steps < 0 && sscanf(l, "fuzz: shrunk to %u steps", &k) == 1)
			fl->shrunk_steps = k;
		else if (sscanf(l, "fuzz: seed %llu: %llu runs, %llu generated ops, %u distinct",
				&seed, &a, &b, &k) == 4) {
			fl->runs = a;
			fl->ops = b;
			fl->failures = k;
		}
	}
}

/* One scenario_fuzz call with its log in memory; returns the seconds. */
static double run_fuzz(struct fuzz_options *o, struct fuzz_log *fl)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *log = open_memstream(&buf, &len);
	double t0;

	if (!log)
		die("open_memstream", strerror(errno));
	o->log = log;
	o->show = -1;
	t0 = now_s();
	scenario_fuzz(o);
	t0 = now_s() - t0;
	fclose(log);
	o->log = NULL;
	parse_log(buf, fl);
	free(buf);
	return t0;
}

/* ---- 1. throughput ---------------------------------------------------------- */

static double throughput(uint64_t runs, bool no_diff, const char *tmp)
{
	struct fuzz_options o = { .seed = 1, .runs = runs, .no_differential = no_diff,
				  .out_dir = tmp };
	struct fuzz_log fl;
	double s = run_fuzz(&o, &fl);

	printf("  %-34s %6llu runs %7llu ops %7.2f s %8.0f runs/s %9.0f ops/s  %u finding(s)\n",
	       no_diff ? "invariants only (no_differential)" : "every oracle (the default)",
	       fl.runs, fl.ops, s, s > 0 ? (double)fl.runs / s : 0,
	       s > 0 ? (double)fl.ops / s : 0, fl.failures);
	return s > 0 ? (double)fl.runs / s : 0;
}

/* ---- 2. fuzz_ops exec/s ----------------------------------------------------- */

struct input {
	uint8_t *data;
	size_t size;
};

static unsigned read_seeds(const char *dir, struct input *in, unsigned max)
{
	unsigned n = 0;

	for (unsigned run = 0; run < max; run++) {
		char path[4096];
		FILE *f;
		long sz;

		snprintf(path, sizeof(path), "%s/ops-1-%u", dir, run);
		if (!(f = fopen(path, "rb")))
			continue;
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		rewind(f);
		in[n].data = malloc(sz > 0 ? (size_t)sz : 1);
		in[n].size = sz > 0 && fread(in[n].data, 1, (size_t)sz, f) == (size_t)sz ?
			     (size_t)sz : 0;
		fclose(f);
		n++;
	}
	return n;
}

static void exec_rate(double secs, const char *tmp)
{
	struct input in[SEED_FILES];
	unsigned n, bad = 0;
	unsigned long long calls = 0;
	size_t bytes = 0;
	double t0, s, rate, goal;
	int e = scenario_fuzz_write_seeds(1, SEED_FILES, tmp);

	if (e)
		die("scenario_fuzz_write_seeds", strerror(-e));
	n = read_seeds(tmp, in, SEED_FILES);
	if (!n)
		die("seeds", "none read back");
	for (unsigned i = 0; i < n; i++)
		bytes += in[i].size;
	t0 = now_s();
	do {
		for (unsigned i = 0; i < n; i++, calls++)
			bad += (unsigned)scenario_fuzz_bytes(in[i].data, in[i].size, NULL);
	} while ((s = now_s() - t0) < secs);
	rate = (double)calls / s;
#ifdef BENCH_ASAN
	goal = 5000;
#else
	goal = 20000;
#endif
	printf("  %u seed inputs (seed 1, runs 0..%u, %zu bytes on average), cycled %llu times"
	       " in %.2f s\n", n, n - 1, bytes / n, calls / n, s);
	printf("  %.0f exec/s on one core (%llu calls, %u violation(s))\n", rate, calls, bad);
	printf("  goal %.0f exec/s%s: x%.3f of it, %.0fx short\n", goal,
#ifdef BENCH_ASAN
	       " (ASan + UBSan)",
#else
	       " (no sanitizers)",
#endif
	       rate / goal, rate > 0 ? goal / rate : 0);
	for (unsigned i = 0; i < n; i++)
		free(in[i].data);
}

/* ---- 3. the injected bugs ----------------------------------------------------- */

static double median_ll(const long long *v, unsigned n)
{
	double d[SEEDS];

	for (unsigned i = 0; i < n; i++)
		d[i] = (double)v[i];
	return n ? bench_median(d, n) : -1;
}

/* One hunt: bug @b, seed @seed, at most @secs seconds of runs. */
struct hunt {
	bool found, cut;
	long long runs, steps;       /* runs made (the finding's included), shrunk size */
	double secs;                 /* finding and shrinking */
};

static void hunt(unsigned b, unsigned seed, double secs, const char *tmp, struct hunt *h)
{
	char keys[96], dir[1200];
	struct fuzz_options o = { .seed = seed, .runs = GOAL_RUNS, .iommu_keys = keys,
				  .stop_at_first = true, .seconds = secs > 0.05 ? secs : 0.05,
				  .out_dir = dir };
	struct fuzz_log fl;

	snprintf(keys, sizeof(keys), "bugs: [%s]", BUGS[b]);
	snprintf(dir, sizeof(dir), "%s/%s-%u", tmp, BUGS[b], seed);
	h->secs = run_fuzz(&o, &fl);
	rm_dir(dir);
	h->found = fl.found_run >= 0;
	h->runs = h->found ? fl.found_run + 1 : (long long)fl.runs;
	h->steps = fl.shrunk_steps;
	h->cut = !h->found && fl.runs < GOAL_RUNS;
}

/*
 * Every bug and seed, in two passes: the first gives each hunt an equal
 * share of half the budget (most end in a fraction of a second), the
 * second runs again those the first cut short, sharing what is left (a
 * hunt is deterministic, so the second makes the same runs and more).
 */
static void hunts(double budget, const char *tmp)
{
	static struct hunt h[NBUGS][SEEDS];
	double t_start = now_s(), used;
	unsigned left = NBUGS * SEEDS, cut = 0;
	bool cut_any = false;

	for (unsigned b = 0; b < NBUGS; b++)
		for (unsigned k = 0; k < SEEDS; k++, left--) {
			hunt(b, k + 1, (budget / 2 - (now_s() - t_start)) / left, tmp, &h[b][k]);
			cut += h[b][k].cut;
		}
	used = now_s() - t_start;
	if (cut)
		printf("  pass 1: %.1f s, %u hunt(s) cut short; pass 2 runs them again with the "
		       "%.0f s left\n", used, cut, budget - used);
	for (unsigned b = 0; b < NBUGS; b++)
		for (unsigned k = 0; k < SEEDS; k++)
			if (h[b][k].cut) {
				hunt(b, k + 1, (budget - (now_s() - t_start)) / cut, tmp, &h[b][k]);
				cut--;
			}
	printf("  %-24s %6s %8s %6s %9s %6s  %s\n", "bug", "found", "median", "max",
	       "median", "steps", "every seed within 10^5 runs");
	printf("  %-24s %6s %8s %6s %9s %6s\n", "", "", "runs", "runs", "seconds", "(max)");
	for (unsigned b = 0; b < NBUGS; b++) {
		long long runs[SEEDS], steps_max = -1, most = 0, runs_max = 0;
		double secs[SEEDS];
		unsigned found = 0, ncut = 0;

		for (unsigned k = 0; k < SEEDS; k++) {
			if (h[b][k].found) {
				runs[found] = h[b][k].runs;
				secs[found++] = h[b][k].secs;
				if (h[b][k].runs > runs_max)
					runs_max = h[b][k].runs;
				if (h[b][k].steps > steps_max)
					steps_max = h[b][k].steps;
			} else if (h[b][k].cut) {
				ncut++;
				if (h[b][k].runs > most)
					most = h[b][k].runs;
			}
		}
		printf("  %-24s %4u/%u", BUGS[b], found, SEEDS);
		if (found)
			printf(" %8.0f %6lld %9.2f %6lld", median_ll(runs, found), runs_max,
			       bench_median(secs, found), steps_max);
		else
			printf(" %8s %6s %9s %6s", "-", "-", "-", "-");
		if (found == SEEDS)
			printf("  yes\n");
		else if (ncut)
			printf("  undecided: %u seed(s) stopped by the time limit, after %lld runs "
			       "at most\n", ncut, most);
		else
			printf("  no: %u seed(s) made 10^5 runs and found nothing\n", SEEDS - found);
		cut_any |= ncut > 0;
	}
	printf("  (found: seeds that found it; runs: made until the first finding, the "
	       "finding's included;\n   seconds: finding and shrinking; steps: the largest "
	       "shrunk file's; over the seeds that found it)\n");
	printf("  section 3 took %.1f s of its %.0f s budget\n", now_s() - t_start, budget);
	if (cut_any)
		printf("  note: the time budget cut some hunts short of 10^5 runs; a larger third "
		       "argument decides them\n");
}

int main(int argc, char **argv)
{
	uint64_t runs = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000;
	double exec_s = argc > 2 ? atof(argv[2]) : 5;
	double budget = argc > 3 ? atof(argv[3]) : 120;
	char tmp[1024], sub[1100];
	double t0 = now_s(), inv, all;

	if (!runs || !(exec_s > 0) || !(budget > 0)) {
		fprintf(stderr, "usage: bench_fuzz [runs [exec-seconds [hunt-budget-seconds]]]\n");
		return 2;
	}
	make_tmp(tmp, sizeof(tmp));
	printf("bench_fuzz: build %s\n", build_kind());
	printf("  instructions per run: not counted (tools/bench/ has no perf_event helper;"
	       " callgrind does it, docs/performance.md)\n");

	printf("\n1. iommusim fuzz, seed 1, %llu runs, one process\n", (unsigned long long)runs);
	snprintf(sub, sizeof(sub), "%s/throughput", tmp);
	inv = throughput(runs, true, sub);
	rm_dir(sub);
	all = throughput(runs, false, sub);
	rm_dir(sub);
	if (inv > 0 && all > 0)
		printf("  every oracle costs x%.2f the time of the invariants only\n", inv / all);

	printf("\n2. fuzz_ops: scenario_fuzz_bytes over its seed inputs, %.0f s\n", exec_s);
	snprintf(sub, sizeof(sub), "%s/seeds", tmp);
	exec_rate(exec_s, sub);
	rm_dir(sub);

	printf("\n3. the injected bugs, seeds 1..%d, stop at the first finding, up to 10^5 runs,"
	       " %.0f s budget\n", SEEDS, budget);
	hunts(budget, tmp);
	rm_dir(tmp);
	printf("\nbench_fuzz: %.1f s in all\n", now_s() - t0);
	return 0;
}
