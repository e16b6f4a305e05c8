/* SPDX-License-Identifier: MIT */
/*
 * Coverage-guided fuzz target: bytes -> an operation sequence, through the
 * generator `iommusim fuzz` uses (tools/scenario/fuzz.c), run with every
 * oracle on: the spec §H invariants after every step, the stale-translation
 * checker on every cached answer, and one more oracle that the input's
 * last bytes pick (replay, a differential run, a failing call).
 *
 * The bytes are the generator's choices (scenario_fuzz_bytes): any bytes
 * decode to a well-formed case, so every input reaches the runner and the
 * engine's mutations are mutations of the sequence, not of its syntax.  A
 * violation is a finding here, unlike in fuzz_scenario: the generated
 * profiles are correct ones, so an invariant that fails is a bug.  The
 * violation's line and the scenario file the bytes decode to go to stderr,
 * then abort() so that libFuzzer and AFL++ keep the input;
 * tools/fuzz/crash2scenario.sh fuzz_ops INPUT gives the same file.
 *
 * Bounded: inputs above FUZZ_OPS_MAX_INPUT bytes are refused (a case is
 * at most 40 generated steps whatever the bytes; the largest of the 64
 * seeds is 414 bytes, so 4 KiB leaves mutations room to grow).
 * docs/fuzzing.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "tools/scenario/fuzz.h"

#define FUZZ_OPS_MAX_INPUT (4u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *violation = NULL;
	char *text;
	int ret;

	if (size > FUZZ_OPS_MAX_INPUT)
		return -1;              /* libFuzzer: do not add it to the corpus */
	ret = scenario_fuzz_bytes(data, size, &violation);
	if (ret == 0) {
		g_free(violation);
		return 0;
	}
	if (ret != 1)
		abort();                /* scenario_fuzz_bytes returns 0 or 1 */
	text = scenario_fuzz_decode(data, size);
	fprintf(stderr, "fuzz_ops: violation: %s\n", violation ? violation : "(no description)");
	fprintf(stderr, "fuzz_ops: the input decodes to this scenario file:\n%s", text ? text : "");
	if (text && *text && text[strlen(text) - 1] != '\n')
		fputc('\n', stderr);
	fflush(stderr);
	abort();
}
