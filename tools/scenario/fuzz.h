/* SPDX-License-Identifier: MIT */
/*
 * `iommusim fuzz`: random operation sequences as scenario files, every
 * oracle after every step, failures shrunk and written as scenario files
 * (tools/scenario/fuzz.c, the generators in fuzz_gen.c, docs/fuzzing.md).
 */
#ifndef TOOLS_SCENARIO_FUZZ_H
#define TOOLS_SCENARIO_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fuzz_options {
	uint64_t seed;
	uint64_t first_run;          /* runs first_run .. first_run + runs - 1 */
	uint64_t runs;
	double seconds;              /* > 0: stop after this long (--time) */
	unsigned max_steps;          /* generated steps per run at most (0: 24; <= 40) */
	unsigned jobs;               /* worker processes (0, 1: none) */
	const char *ops;             /* step kinds to generate, "ioctl,dma" (NULL: all) */
	const char *extra_profile;   /* profile lines added to every run ("  key: value\n") */
	const char *iommu_keys;      /* entries of the iommu map ("bugs: [x], ..."), or NULL */
	const char *variant_iommu;   /* --variant: the differential compares every run
				      * with these iommu entries added ... */
	const char *variant_profile; /* ... and these profile lines (NULL, NULL: the
				      * built-in variants: formats, caches, backends) */
	const char *out_dir;         /* where shrunk failures go (NULL: .) */
	FILE *log;                   /* progress, findings and the summary; NULL: silent */
	unsigned progress_every;     /* a progress line every N runs (0: none) */
	bool progress_tty;           /* rewrite one progress line in place instead */
	bool timing;                 /* the summary says runs/s and ops/s (not deterministic) */
	bool stop_at_first;
	bool no_differential;        /* skip the differential and replay oracles */
	int64_t show;                /* >= 0: print that run's scenario file, run nothing */
};

/* The first name of @ops ("ioctl,dma") that is not a step kind the fuzzer
 * writes (g_free), or NULL when every one is (and there is one). */
char *scenario_fuzz_bad_op(const char *ops);

/* 0: nothing found; 1: a violation (each kind written once, shrunk) or a
 * generated file the loader refused. */
int scenario_fuzz(const struct fuzz_options *o);

/*
 * The coverage-guided fuzz_ops target's side (tools/fuzz/fuzz_ops.c): one
 * case decoded from @data (the generator's choices as bytes: any bytes
 * decode to a well-formed case), run with every oracle.  0: clean; 1: a
 * violation, its one-line description in *violation (g_free) when
 * @violation is not NULL.
 */
int scenario_fuzz_bytes(const uint8_t *data, size_t size, char **violation);
/* The scenario file those bytes decode to (g_free). */
char *scenario_fuzz_decode(const uint8_t *data, size_t size);
/* Write @n seed inputs for fuzz_ops into @dir (the choices of runs 0..n-1
 * of seed @seed, recorded as bytes), as DIR/ops-SEED-RUN: 0, or -errno. */
int scenario_fuzz_write_seeds(uint64_t seed, unsigned n, const char *dir);

#endif
