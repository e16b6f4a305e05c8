/* SPDX-License-Identifier: MIT */
/*
 * sim/ core beyond test_sim.c: RNG known answers from an independent
 * reference, id-table growth and limits, world teardown order, fault
 * injection counters and the trace line a fault leaves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/ids.h"
#include "sim/proc.h"
#include "sim/rng.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "unit_common.h"

/* ---- RNG ---------------------------------------------------------------- */

/*
 * Expected values come from a separate Python transcription of splitmix64 and
 * xoshiro256** (the published algorithms), not from this implementation.
 */
START_TEST(test_rng_reference_values)
{
	struct sim_rng r;

	sim_rng_seed(&r, 1);
	ck_assert_uint_eq(r.s[0], 0x910a2dec89025cc1ull);
	ck_assert_uint_eq(sim_rng_next(&r), 0xb3f2af6d0fc710c5ull);
	ck_assert_uint_eq(sim_rng_next(&r), 0x853b559647364ceaull);
	ck_assert_uint_eq(sim_rng_next(&r), 0x92f89756082a4514ull);

	sim_rng_seed(&r, 0xdeadbeef);
	ck_assert_uint_eq(r.s[0], 0x4adfb90f68c9eb9bull);
	ck_assert_uint_eq(sim_rng_next(&r), 0xc5555444a74d7e83ull);
	ck_assert_uint_eq(sim_rng_next(&r), 0x65c30d37b4b16e38ull);

	sim_rng_seed(&r, 42);
	ck_assert_uint_eq(sim_rng_next(&r), 0x15780b2e0c2ec716ull);
	ck_assert_uint_eq(sim_rng_next(&r), 0x6104d9866d113a7eull);
	ck_assert_uint_eq(sim_rng_next(&r), 0xae17533239e499a1ull);
}
END_TEST

START_TEST(test_rng_below_reference)
{
	static const uint64_t want1000[] = { 994, 674, 638, 664, 664 };
	static const uint64_t want6[] = { 3, 4, 5, 2, 4, 4, 1, 1 };
	struct sim_rng r;

	sim_rng_seed(&r, 7);
	for (size_t i = 0; i < G_N_ELEMENTS(want1000); i++)
		ck_assert_uint_eq(sim_rng_below(&r, 1000), want1000[i]);
	sim_rng_seed(&r, 123);
	for (size_t i = 0; i < G_N_ELEMENTS(want6); i++)
		ck_assert_uint_eq(sim_rng_below(&r, 6), want6[i]);
}
END_TEST

START_TEST(test_rng_world_determinism)
{
	struct sim_world *a = sim_world_create(2024), *b = sim_world_create(2024);
	struct sim_world *c = sim_world_create(2025);
	bool differs = false;

	for (int i = 0; i < 64; i++) {
		uint64_t va = sim_rng_next(sim_world_rng(a));

		ck_assert_uint_eq(va, sim_rng_next(sim_world_rng(b)));
		differs |= va != sim_rng_next(sim_world_rng(c));
	}
	ck_assert(differs);
	/* bound 2^63 + 1: the rejection zone is almost half the range */
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_le(sim_rng_below(sim_world_rng(a), (1ull << 63) + 1), 1ull << 63);
	sim_world_destroy(a);
	sim_world_destroy(b);
	sim_world_destroy(c);
}
END_TEST

/* ---- ids ---------------------------------------------------------------- */

START_TEST(test_ids_growth_and_hint)
{
	struct sim_ids ids;
	int x;

	sim_ids_init(&ids);
	ck_assert_uint_eq(sim_ids_end(&ids), 0);
	ck_assert_ptr_null(sim_ids_find(&ids, 0));
	/* a first id far from 0 grows the table in one step */
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &x, 100, 200), 100);
	ck_assert_uint_ge(ids.nslots, 101);
	ck_assert_uint_eq(ids.hint, 0);               /* 0..99 are free */
	ck_assert_uint_eq(sim_ids_end(&ids), 101);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &x, 0, 200), 0);
	ck_assert_uint_eq(ids.hint, 1);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &x, 0, 200), 1);
	ck_assert_ptr_eq(sim_ids_remove(&ids, 100), &x);
	ck_assert_uint_eq(sim_ids_end(&ids), 2);
	ck_assert_ptr_null(sim_ids_remove(&ids, 100000));
	ck_assert_uint_eq(ids.count, 2);
	sim_ids_destroy(&ids);
	ck_assert_ptr_null(ids.slots);
	ck_assert_uint_eq(ids.count, 0);
}
END_TEST

START_TEST(test_ids_full_range)
{
	struct sim_ids ids;
	int x;

	sim_ids_init(&ids);
	for (uint32_t i = 10; i <= 20; i++)
		ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &x, 10, 20), i);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &x, 10, 20), -ENOSPC);
	ck_assert_uint_eq(ids.count, 11);             /* failure changes nothing */
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &x, 15, 30), 21);
	sim_ids_remove(&ids, 13);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &x, 10, 20), 13);
	/* the very top of the 32-bit space cannot be a slot index */
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &x, UINT32_MAX, UINT32_MAX), -ENOSPC);
	sim_ids_destroy(&ids);
}
END_TEST

START_TEST(test_ids_fault_leaves_table)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_ids ids;
	int x;

	sim_ids_init(&ids);
	ck_assert_int_eq(sim_ids_alloc(w, &ids, &x, 0, 10), 0);
	sim_fault_fail_nth(w, "ids_*", 1);
	ck_assert_int_eq(sim_ids_alloc(w, &ids, &x, 0, 10), -ENOMEM);
	ck_assert_uint_eq(ids.count, 1);
	ck_assert_ptr_null(sim_ids_find(&ids, 1));
	ck_assert_uint_eq(sim_fault_site_calls(w, "ids_alloc"), 2);
	/* without a world there is no injection (and no counting) */
	sim_fault_fail_nth(w, "*", 1);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &x, 0, 10), 1);
	ck_assert_uint_eq(sim_fault_site_calls(w, "ids_alloc"), 2);
	sim_ids_destroy(&ids);
	sim_world_destroy(w);
}
END_TEST

/* ---- world ---------------------------------------------------------------- */

static GString *teardown_log;

static void log_slot(void *data)
{
	g_string_append_printf(teardown_log, "%s;", (const char *)data);
}

START_TEST(test_world_initial_state)
{
	struct sim_world *w = sim_world_create(7);
	struct sim_proc *init = sim_proc_find(w, 1);

	ck_assert_ptr_nonnull(init);
	ck_assert_int_eq(init->ppid, 0);
	ck_assert_uint_eq(init->cred.uid, 0);
	ck_assert_uint_eq(init->cred.gid, 0);
	ck_assert_uint_eq(init->cred.caps, SIM_CAPS_ALL);
	ck_assert_uint_eq(init->rlimit_memlock, 8388608);
	ck_assert_int_eq(sim_current_pid(w), 0);
	ck_assert_uint_eq(sim_now(w), 0);
	ck_assert_ptr_null(sim_proc_find(w, 2));
	for (int i = 0; i < SIM_SUBSYS_NR; i++)
		ck_assert_ptr_null(sim_world_subsys(w, i));
	ck_assert(!sim_trace_enabled(w, "sim_open"));  /* tracing off */
	sim_set_current(w, 1);
	ck_assert_int_eq(sim_current_pid(w), 1);
	sim_world_destroy(w);
}
END_TEST

/* The releases a world can be, by name, and which side of a change each
 * falls on (docs/kernel-versions.md): 6.2 after the iommufd merge's
 * SET_CONTAINER rework, before v6.5's dynamic MSI-X; mainline after all. */
START_TEST(test_world_kernel_releases)
{
	struct sim_world *w = sim_world_create(1);
	static const char *const names[] = { "mainline", "6.1", "6.2", "6.12" };

	ck_assert_int_eq(sim_world_kernel(w), SIM_KERNEL_MAINLINE);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		int k = sim_kernel_from_name(names[i]);

		ck_assert_int_ge(k, 0);
		ck_assert_str_eq(sim_kernel_name((enum sim_kernel)k), names[i]);
	}
	ck_assert_int_eq(sim_kernel_from_name("6.3"), -1);
	ck_assert_int_eq(sim_kernel_from_name(NULL), -1);
	ck_assert_str_eq(sim_kernel_name(SIM_KERNEL_NR), "?");
	ck_assert(!sim_kernel_before(w, 99, 0));
	sim_world_set_kernel(w, SIM_KERNEL_6_2);
	ck_assert(sim_kernel_before(w, 6, 5) && sim_kernel_before(w, 6, 3));
	ck_assert(!sim_kernel_before(w, 6, 2) && !sim_kernel_before(w, 6, 1));
	sim_world_set_kernel(w, SIM_KERNEL_6_1);
	ck_assert(sim_kernel_before(w, 6, 2) && !sim_kernel_before(w, 6, 1));
	sim_world_set_kernel(w, SIM_KERNEL_6_12);
	ck_assert(sim_kernel_before(w, 6, 13) && !sim_kernel_before(w, 6, 12));
	ck_assert(!sim_kernel_before(w, 5, 19));
	sim_world_set_kernel(w, SIM_KERNEL_NR);          /* ignored */
	ck_assert_int_eq(sim_world_kernel(w), SIM_KERNEL_6_12);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_world_teardown_order)
{
	struct sim_world *w = sim_world_create(1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct sim_cred c = { .uid = 5, .gid = 5 };

	teardown_log = g_string_new(NULL);
	/* an empty slot is skipped; a replaced slot only runs the new destructor */
	sim_world_set_subsys(w, SIM_SUBSYS_PCI, "pci", log_slot);
	sim_world_set_subsys(w, SIM_SUBSYS_VFIO, "old", log_slot);
	sim_world_set_subsys(w, SIM_SUBSYS_VFIO, "vfio", log_slot);
	sim_world_set_subsys(w, SIM_SUBSYS_IOMMU, "iommu", log_slot);
	sim_world_set_subsys(w, SIM_SUBSYS_IOMMU_HW, NULL, NULL);
	ck_assert_ptr_eq(sim_world_subsys(w, SIM_SUBSYS_VFIO), "vfio");
	ck_assert_int_eq(sim_proc_create(w, 1, "a", &c, 0), 2);
	ck_assert_int_eq(sim_proc_create(w, 1, "b", &c, 0), 3);
	ck_assert_int_eq(sim_proc_create(w, 1, "c", &c, 0), 4);
	sim_proc_exit(w, 3);
	sim_trace_set_output(w, out, SIM_TRACE_TEXT);
	ck_assert_int_eq(sim_trace_enable(w, "sim_proc_exit"), 0);
	sim_world_destroy(w);
	fclose(out);
	ck_assert_str_eq(teardown_log->str, "vfio;iommu;pci;");
	/* processes exit in pid order, before the subsystems go */
	ck_assert_str_eq(buf,
		"          kernel-0     [000]     0.000000: sim_proc_exit: pid=1\n"
		"          kernel-0     [000]     0.000000: sim_proc_exit: pid=2\n"
		"          kernel-0     [000]     0.000000: sim_proc_exit: pid=4\n");
	g_string_free(teardown_log, TRUE);
	free(buf);
}
END_TEST

/* ---- fault injection ------------------------------------------------------ */

START_TEST(test_fault_counters)
{
	struct sim_world *w = sim_world_create(1);

	ck_assert_uint_eq(sim_fault_calls(w), 0);
	for (int i = 0; i < 5; i++)
		ck_assert(!sim_should_fail(w, "x_alloc"));
	ck_assert_uint_eq(sim_fault_calls(w), 0);          /* nothing armed */
	ck_assert_uint_eq(sim_fault_site_calls(w, "x_alloc"), 5);
	sim_fault_fail_nth(w, "x_*", 10);
	ck_assert(!sim_should_fail(w, "x_alloc"));
	ck_assert(!sim_should_fail(w, "y_alloc"));
	ck_assert_uint_eq(sim_fault_calls(w), 1);
	sim_fault_fail_nth(w, "y_*", 2);                   /* re-arming resets */
	ck_assert_uint_eq(sim_fault_calls(w), 0);
	ck_assert(!sim_should_fail(w, "y_alloc"));
	ck_assert(sim_should_fail(w, "y_alloc"));
	ck_assert(!sim_should_fail(w, "y_alloc"));
	ck_assert_uint_eq(sim_fault_injected(w), 1);
	sim_fault_fail_nth(w, "?_alloc", 1);
	ck_assert(sim_should_fail(w, "z_alloc"));
	ck_assert_uint_eq(sim_fault_injected(w), 2);       /* never reset */
	ck_assert_uint_eq(sim_fault_site_calls(w, "x_alloc"), 6);
	ck_assert_uint_eq(sim_fault_site_calls(w, "y_alloc"), 4);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_fault_probability_modes)
{
	struct sim_world *w = sim_world_create(3);

	sim_fault_probability(w, "p*", 1000);
	for (int i = 0; i < 50; i++)
		ck_assert(sim_should_fail(w, "p1"));
	ck_assert(!sim_should_fail(w, "q1"));
	ck_assert_uint_eq(sim_fault_calls(w), 50);
	sim_fault_probability(w, "p*", 0);                 /* disarm */
	ck_assert(!sim_should_fail(w, "p1"));
	ck_assert_uint_eq(sim_fault_calls(w), 0);
	/* arming probability replaces fail-nth: one mode at a time */
	sim_fault_fail_nth(w, "*", 1);
	sim_fault_probability(w, "*", 1000);
	ck_assert(sim_should_fail(w, "a"));
	ck_assert(sim_should_fail(w, "b"));
	sim_fault_fail_nth(w, "*", 3);
	ck_assert(!sim_should_fail(w, "a"));
	ck_assert(!sim_should_fail(w, "a"));
	ck_assert(sim_should_fail(w, "a"));
	ck_assert(!sim_should_fail(w, "a"));
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_fault_trace_line)
{
	struct sim_world *w = sim_world_create(1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	sim_trace_set_output(w, out, SIM_TRACE_JSON);
	ck_assert_int_eq(sim_trace_enable(w, "sim_fault_*"), 0);
	sim_clock_advance(w, 5);
	sim_fault_fail_nth(w, "file_alloc", 2);
	sim_should_fail(w, "file_alloc");
	sim_should_fail(w, "file_alloc");
	sim_should_fail(w, "file_alloc");
	fflush(out);
	ck_assert_str_eq(buf,
		"{\"ts\":5,\"pid\":0,\"comm\":\"kernel\",\"event\":\"sim_fault_inject\","
		"\"cat\":\"sim\",\"fields\":{\"site\":\"file_alloc\",\"nth\":2}}\n");
	sim_world_destroy(w);
	fclose(out);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sim_core");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rng_reference_values);
	tcase_add_test(tc, test_rng_below_reference);
	tcase_add_test(tc, test_rng_world_determinism);
	tcase_add_test(tc, test_ids_growth_and_hint);
	tcase_add_test(tc, test_ids_full_range);
	tcase_add_test(tc, test_ids_fault_leaves_table);
	tcase_add_test(tc, test_world_initial_state);
	tcase_add_test(tc, test_world_kernel_releases);
	tcase_add_test(tc, test_world_teardown_order);
	tcase_add_test(tc, test_fault_counters);
	tcase_add_test(tc, test_fault_probability_modes);
	tcase_add_test(tc, test_fault_trace_line);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
