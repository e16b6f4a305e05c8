/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ops's seed corpus: the generator's choices of runs 0..N-1 of a
 * seed, one file each, written by scenario_fuzz_write_seeds (what
 * `iommusim fuzz --emit-seeds DIR` does).  An ordinary program, built in
 * the fuzz presets beside the targets but without their driver, so the
 * fuzz build (which has no CLI) and OSS-Fuzz's build.sh can make the
 * corpus with the library they just built.  docs/fuzzing.md.
 *
 *   fuzz_ops_seeds DIR [N [SEED]]     (default: 64 seeds of seed 1)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/scenario/fuzz.h"

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t n = 64, seed = 1;
	int ret;

	if (argc < 2 || argc > 4 || (argc > 2 && (parse_u64(argv[2], &n) || !n || n > 100000)) ||
	    (argc > 3 && parse_u64(argv[3], &seed))) {
		fprintf(stderr, "usage: fuzz_ops_seeds DIR [N [SEED]]   (N: 1 to 100000, default 64;"
			" SEED: default 1)\n");
		return 2;
	}
	ret = scenario_fuzz_write_seeds(seed, (unsigned)n, argv[1]);
	if (ret) {
		fprintf(stderr, "fuzz_ops_seeds: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	printf("fuzz_ops_seeds: %" PRIu64 " seeds of seed %" PRIu64 " in %s\n", n, seed, argv[1]);
	return 0;
}
