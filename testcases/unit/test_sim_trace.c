/* SPDX-License-Identifier: MIT */
/*
 * sim/trace.c: exact text and JSON lines, the JSON field rules, pattern
 * semantics and caching, and the process context of a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/file.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "unit_common.h"

struct cap {
	struct sim_world *w;
	FILE *out;
	char *buf;
	size_t len;
};

static void cap_open(struct cap *c, enum sim_trace_fmt fmt, const char *patterns)
{
	c->w = sim_world_create(1);
	c->buf = NULL;
	c->len = 0;
	c->out = open_memstream(&c->buf, &c->len);
	sim_trace_set_output(c->w, c->out, fmt);
	if (patterns)
		ck_assert_int_eq(sim_trace_enable(c->w, patterns), 0);
}

/* What was written so far (valid until the next call). */
static const char *cap_text(struct cap *c)
{
	fflush(c->out);
	return c->buf ? c->buf : "";
}

static void cap_close(struct cap *c)
{
	sim_world_destroy(c->w);
	fclose(c->out);
	free(c->buf);
}

static int spawn(struct sim_world *w, const char *name)
{
	struct sim_cred cr = { .uid = 1000, .gid = 1000 };

	return sim_proc_create(w, 1, name, &cr, 0);
}

START_TEST(test_text_exact)
{
	struct cap c;
	int pid;

	cap_open(&c, SIM_TRACE_TEXT, "x_*");
	pid = spawn(c.w, "a-very-long-process-name");
	sim_clock_advance(c.w, 12345678901ull);      /* 12.345678901 s */
	sim_trace(c.w, "x_kernel", "a=%d", 1);
	sim_set_current(c.w, pid);
	sim_trace(c.w, "x_user", "b=%s", "two");
	sim_set_current(c.w, 1);
	sim_trace(c.w, "x_init", "%s", "");
	ck_assert_str_eq(cap_text(&c),
		"          kernel-0     [000]    12.345678: x_kernel: a=1\n"
		" a-very-long-pro-2     [000]    12.345678: x_user: b=two\n"
		"            init-1     [000]    12.345678: x_init: \n");
	cap_close(&c);
}
END_TEST

START_TEST(test_text_wide_fields)
{
	struct cap c;

	cap_open(&c, SIM_TRACE_TEXT, NULL);          /* default "*" */
	sim_clock_advance(c.w, 123456ull * 1000000000ull + 999999);
	sim_set_current(c.w, 1);
	sim_trace(c.w, "y", "k=v");
	/* a pid wider than 5 does not happen (max 32767); seconds can widen */
	ck_assert_str_eq(cap_text(&c),
		"            init-1     [000] 123456.000999: y: k=v\n");
	cap_close(&c);
}
END_TEST

START_TEST(test_json_exact)
{
	struct cap c;

	cap_open(&c, SIM_TRACE_JSON, "*,-sim_*");
	sim_clock_advance(c.w, 42);
	sim_trace(c.w, "vfio_x", "n=%d neg=%d zero=%d lead=%s big=%s h=0x%x",
		  7, -3, 0, "01", "18446744073709551615", 255);
	ck_assert_str_eq(cap_text(&c),
		"{\"ts\":42,\"pid\":0,\"comm\":\"kernel\",\"event\":\"vfio_x\",\"cat\":\"vfio\","
		"\"fields\":{\"n\":7,\"neg\":-3,\"zero\":0,\"lead\":\"01\","
		"\"big\":18446744073709551615,\"h\":\"0xff\"}}\n");
	cap_close(&c);
}
END_TEST

START_TEST(test_json_field_rules)
{
	struct cap c;
	const char *t;

	cap_open(&c, SIM_TRACE_JSON, NULL);
	/* no '_' in the name: the whole name is the category */
	sim_trace(c.w, "plain", "%s", "");
	/* "-" and "-01", empty values, tokens without '=' */
	sim_trace(c.w, "a_b", "m=- e= z=-01 hello k=v world");
	/* double spaces make empty tokens, which are skipped */
	sim_trace(c.w, "a_c", "x=1  y=2");
	/* a token that starts with '=' is not a key */
	sim_trace(c.w, "a_d", "=v");
	/* JSON escapes: quote, backslash, control characters */
	sim_trace(c.w, "a_e", "s=%s", "q\"b\\c\td\x01");
	t = cap_text(&c);
	ck_assert_ptr_nonnull(strstr(t, "\"event\":\"plain\",\"cat\":\"plain\",\"fields\":{}}\n"));
	ck_assert_ptr_nonnull(strstr(t,
		"\"fields\":{\"m\":\"-\",\"e\":\"\",\"z\":\"-01\",\"k\":\"v\","
		"\"msg\":\"hello world\"}}\n"));
	ck_assert_ptr_nonnull(strstr(t, "\"fields\":{\"x\":1,\"y\":2}}\n"));
	ck_assert_ptr_nonnull(strstr(t, "\"fields\":{\"msg\":\"=v\"}}\n"));
	ck_assert_ptr_nonnull(strstr(t,
		"\"fields\":{\"s\":\"q\\\"b\\\\c\\u0009d\\u0001\"}}\n"));
	cap_close(&c);
}
END_TEST

START_TEST(test_json_comm_escaped)
{
	struct cap c;
	int pid;

	cap_open(&c, SIM_TRACE_JSON, "t");
	pid = spawn(c.w, "we\"ird");
	sim_set_current(c.w, pid);
	sim_trace(c.w, "t", "a=1");
	ck_assert_ptr_nonnull(strstr(cap_text(&c),
		"\"pid\":2,\"comm\":\"we\\\"ird\",\"event\":\"t\""));
	cap_close(&c);
}
END_TEST

START_TEST(test_patterns_last_match_wins)
{
	struct sim_world *w = sim_world_create(1);
	FILE *f = fopen("/dev/null", "w");

	sim_trace_set_output(w, f, SIM_TRACE_JSON);
	ck_assert_int_eq(sim_trace_enable(w, "-pci_bind,pci_*"), 0);
	ck_assert(sim_trace_enabled(w, "pci_bind"));   /* re-enabled later */
	ck_assert_int_eq(sim_trace_enable(w, "*,-pci_*,pci_b?nd"), 0);
	ck_assert(sim_trace_enabled(w, "pci_bind"));
	ck_assert(sim_trace_enabled(w, "pci_bond"));
	ck_assert(!sim_trace_enabled(w, "pci_binds"));
	ck_assert(sim_trace_enabled(w, "vfio_open"));
	ck_assert_int_eq(sim_trace_enable(w, " vfio_* , -vfio_open "), 0);  /* spaces trimmed */
	ck_assert(sim_trace_enabled(w, "vfio_close"));
	ck_assert(!sim_trace_enabled(w, "vfio_open"));
	ck_assert(!sim_trace_enabled(w, "pci_bind"));  /* cache was cleared */
	ck_assert_int_eq(sim_trace_enable(w, "-*"), 0);
	ck_assert(!sim_trace_enabled(w, "vfio_close"));
	ck_assert_int_eq(sim_trace_enable(w, "a*b*c"), 0);
	ck_assert(sim_trace_enabled(w, "a_xb_yc"));
	ck_assert(!sim_trace_enabled(w, "a_xb_y"));
	sim_world_destroy(w);
	fclose(f);
}
END_TEST

START_TEST(test_patterns_invalid)
{
	struct sim_world *w = sim_world_create(1);
	FILE *f = fopen("/dev/null", "w");
	static const char *const bad[] = { "", ",", "a,", ",a", "a, ,b", "-", "a,-", " " };

	sim_trace_set_output(w, f, SIM_TRACE_TEXT);
	ck_assert_int_eq(sim_trace_enable(w, "keep_*"), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		ck_assert_int_eq(sim_trace_enable(w, bad[i]), -EINVAL);
		/* the previous set is still in force */
		ck_assert(sim_trace_enabled(w, "keep_me"));
		ck_assert(!sim_trace_enabled(w, "other"));
	}
	sim_world_destroy(w);
	fclose(f);
}
END_TEST

START_TEST(test_output_switching_and_count)
{
	struct cap c;

	cap_open(&c, SIM_TRACE_TEXT, "e_*");
	sim_trace(c.w, "e_1", "a=1");
	sim_trace(c.w, "f_1", "a=1");              /* disabled: counted only */
	sim_trace_set_output(c.w, NULL, SIM_TRACE_TEXT);
	ck_assert(!sim_trace_enabled(c.w, "e_1"));
	sim_trace(c.w, "e_2", "a=2");              /* no output: counted only */
	sim_trace_set_output(c.w, c.out, SIM_TRACE_OFF);
	sim_trace(c.w, "e_3", "a=3");
	sim_trace_set_output(c.w, c.out, SIM_TRACE_JSON);
	sim_trace(c.w, "e_4", "a=4");
	ck_assert_str_eq(cap_text(&c),
		"          kernel-0     [000]     0.000000: e_1: a=1\n"
		"{\"ts\":0,\"pid\":0,\"comm\":\"kernel\",\"event\":\"e_4\",\"cat\":\"e\","
		"\"fields\":{\"a\":4}}\n");
	/* the world's own spawn of init was counted too (before output was set) */
	ck_assert_uint_eq(sim_trace_count(c.w), 6);
	cap_close(&c);
}
END_TEST

/* A file whose release traces: it runs while its process exits. */
static void noisy_release(struct sim_file *f)
{
	sim_trace(f->w, "t_release", "path=%s", f->path);
}

static const struct sim_file_ops noisy_fops = { .name = "noisy", .release = noisy_release };

START_TEST(test_exit_context)
{
	struct cap c;
	struct sim_file *f;
	int pid;

	cap_open(&c, SIM_TRACE_TEXT, "t_*,sim_proc_exit");
	pid = spawn(c.w, "dying");
	f = sim_file_new(c.w, &noisy_fops, NULL, O_RDWR, "/dev/n");
	ck_assert_int_eq(sim_fd_install(sim_proc_find(c.w, pid), f, false), 3);
	sim_file_put(f);
	sim_set_current(c.w, 1);
	ck_assert_int_eq(sim_proc_exit(c.w, pid), 0);
	/* the release runs as the dying process; the exit line in the caller's */
	ck_assert_str_eq(cap_text(&c),
		"           dying-2     [000]     0.000000: t_release: path=/dev/n\n"
		"            init-1     [000]     0.000000: sim_proc_exit: pid=2\n");
	ck_assert_int_eq(sim_current_pid(c.w), 1);
	/* a current pid with no process behind it is the kernel */
	sim_set_current(c.w, pid);
	sim_trace(c.w, "t_gone", "x=1");
	ck_assert_ptr_nonnull(strstr(cap_text(&c), "          kernel-0     [000]"));
	sim_set_current(c.w, 0);
	cap_close(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sim_trace");
	TCase *tc = tcase_create("trace");

	tcase_add_test(tc, test_text_exact);
	tcase_add_test(tc, test_text_wide_fields);
	tcase_add_test(tc, test_json_exact);
	tcase_add_test(tc, test_json_field_rules);
	tcase_add_test(tc, test_json_comm_escaped);
	tcase_add_test(tc, test_patterns_last_match_wins);
	tcase_add_test(tc, test_patterns_invalid);
	tcase_add_test(tc, test_output_switching_and_count);
	tcase_add_test(tc, test_exit_context);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
