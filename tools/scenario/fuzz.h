/* SPDX-License-Identifier: MIT */
/*
 * `iommusim fuzz`: random operation sequences as scenario files, the §H
 * invariants after every step, failures shrunk and written as scenario
 * files (tools/scenario/fuzz.c, docs/fuzzing.md).
 */
#ifndef TOOLS_SCENARIO_FUZZ_H
#define TOOLS_SCENARIO_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct fuzz_options {
	uint64_t seed;
	uint64_t runs;
	unsigned max_steps;          /* generated steps per run at most (0: 24; <= 40) */
	const char *extra_profile;   /* profile lines added to every run ("  key: value\n") */
	const char *iommu_keys;      /* entries of the iommu map ("bugs: [x], ..."), or NULL */
	const char *out_dir;         /* where shrunk failures go (NULL: .) */
	FILE *log;                   /* progress, findings and the summary; NULL: silent */
	unsigned progress_every;     /* a progress line every N runs (0: none) */
	bool timing;                 /* the summary says runs/s (not deterministic) */
	bool stop_at_first;
	int64_t show;                /* >= 0: print that run's scenario file, run nothing */
};

/* 0: nothing found; 1: a violation (each kind written once, shrunk) or a
 * generated file the loader refused. */
int scenario_fuzz(const struct fuzz_options *o);

#endif
