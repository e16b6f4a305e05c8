/* SPDX-License-Identifier: MIT */
/*
 * Coverage-guided fuzz target: bytes -> scenario_load_string -> and, when
 * the file loads, scenario_run (what `iommusim run` does), the report to
 * /dev/null, the spec §H invariants checked after every step (unless the
 * input's profile turns them off, as a scenario may).
 *
 * Bounded resources: the runner has no step limit and a scenario has no
 * loops (its steps run once each, in order), so the work is bounded by the
 * input's size: inputs above FUZZ_MAX_INPUT bytes are refused (the largest
 * file of the corpus is about 24 KiB).  Simulated memory is bounded by the
 * scenario's own memory_budget, clamped to FUZZ_MEMORY_BUDGET (a profile
 * may say `unlimited` or up to 1T).  A failed expectation or invariant is a
 * report line and exit status, not a crash: only sanitizer reports, aborts,
 * hangs and leaks are findings.  docs/fuzzing.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib.h>

#include "sim/mem.h"
#include "tools/scenario/scenario.h"

#define FUZZ_MAX_INPUT     (64u << 10)
#define FUZZ_MEMORY_BUDGET (64ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct run_options ro = { .print_groups = true };
	char *err = NULL;
	struct scenario *s;
	int ret;

	if (size > FUZZ_MAX_INPUT)
		return -1;              /* libFuzzer: do not add it to the corpus */
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	ro.report = devnull;
	ro.errors = devnull;

	s = scenario_load_string((const char *)data, size, "fuzz.yaml", &err);
	if (!s == !err)
		abort();
	if (!s) {
		g_free(err);
		return 0;
	}
	if (!s->profile.memory_budget || s->profile.memory_budget > FUZZ_MEMORY_BUDGET) {
		s->profile.memory_budget = FUZZ_MEMORY_BUDGET;
		/* the loader's world, which the run takes, has the budget already */
		if (s->boot)
			sim_mem_set_budget(s->boot, FUZZ_MEMORY_BUDGET);
	}
	ret = scenario_run(s, &ro);
	if (ret < 0 || ret > 2)
		abort();                /* scenario_run returns 0, 1 or 2 */
	scenario_free(s);
	return 0;
}
