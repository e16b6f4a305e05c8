/* SPDX-License-Identifier: MIT */
/*
 * Coverage-guided fuzz target: bytes -> scenario_load_string -> free.
 *
 * A malformed scenario file must give an error (FILE:LINE:COL lines), never
 * a crash, a hang or a leak.  Built as a libFuzzer target (clang
 * -fsanitize=fuzzer) or an AFL++ one (afl-clang-fast -fsanitize=fuzzer,
 * which links AFL++'s libAFLDriver); docs/fuzzing.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <glib.h>

#include "tools/scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	struct scenario *s = scenario_load_string((const char *)data, size, "fuzz.yaml", &err);

	/* exactly one of the two: a scenario, or an error saying why not */
	if (!s == !err)
		abort();
	if (s)
		scenario_free(s);
	g_free(err);
	return 0;
}
