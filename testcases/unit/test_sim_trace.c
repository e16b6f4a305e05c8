/* SPDX-License-Identifier: MIT */
/*
 * sim/trace.c: exact text and JSON lines, typed fields (the declared
 * conversion is the JSON type), unforgeable text, the schema, the Chrome
 * trace-event document, pattern semantics, the default event selection and
 * caching, and the process context of a line.
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
	if (c->w)
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
	sim_trace(c.w, "vfio_x", "n=%d neg=%d zero=%d lead=%s big=%llu h=0x%x",
		  7, -3, 0, "01", 18446744073709551615ull, 255);
	ck_assert_str_eq(cap_text(&c),
		"{\"ts\":42,\"pid\":0,\"comm\":\"kernel\",\"event\":\"vfio_x\",\"cat\":\"vfio\","
		"\"fields\":{\"n\":7,\"neg\":-3,\"zero\":0,\"lead\":\"01\","
		"\"big\":18446744073709551615,\"h\":255}}\n");
	cap_close(&c);
}
END_TEST

/* The declared conversion is the type: never what the printed text looks like. */
START_TEST(test_json_typed)
{
	struct cap c;
	const char *t;

	cap_open(&c, SIM_TRACE_JSON, NULL);
	/* every integer conversion is a number, in any radix, width or length */
	sim_trace(c.w, "a_num", "a=0x%llx b=0%o c=%zu d=%ld e=%02x f=%hhu g=%hd h=%#x i=%lli",
		  0xfee00000ull, 0600u, (size_t)4096, -22L, 7u, 0x1ffu, (short)-2, 16u, -1ll);
	/* %s is a string even when it looks like a number; text around or
	 * between conversions makes a string; literal values are strings */
	sim_trace(c.w, "a_str", "s=%s z=%s rid=%02x:%02x.%u r=%u/%u pct=%d%% lit=v 0y=0x%o",
		  "7", "", 6u, 0u, 1u, 3u, 4u, 50, 8u);
	/* a string with spaces, '=' or quotes is one value: no forged keys */
	sim_trace(c.w, "a_forge", "name=%s next=%d", "x ret=0 \"q\"", 1);
	t = cap_text(&c);
	ck_assert_ptr_nonnull(strstr(t,
		"\"fields\":{\"a\":4276092928,\"b\":384,\"c\":4096,\"d\":-22,\"e\":7,"
		"\"f\":255,\"g\":-2,\"h\":16,\"i\":-1}}\n"));
	ck_assert_ptr_nonnull(strstr(t,
		"\"fields\":{\"s\":\"7\",\"z\":\"\",\"rid\":\"06:00.1\",\"r\":\"3/4\","
		"\"pct\":\"50%\",\"lit\":\"v\",\"0y\":\"0x10\"}}\n"));
	ck_assert_ptr_nonnull(strstr(t,
		"\"fields\":{\"name\":\"x ret=0 \\\"q\\\"\",\"next\":1}}\n"));
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
	/* words without '=' are joined into msg; literal values are strings */
	sim_trace(c.w, "a_b", "m=- e= z=-01 hello k=v world");
	/* double spaces make empty tokens, which are skipped */
	sim_trace(c.w, "a_c", "x=%d  y=%d", 1, 2);
	/* a token that starts with '=' is not a key */
	sim_trace(c.w, "a_d", "=v");
	/* JSON escapes: quote, backslash, control characters, DEL, bad UTF-8 */
	sim_trace(c.w, "a_e", "s=%s", "q\"b\\c\td\x01\x7f\xff\xc3\xa9");
	t = cap_text(&c);
	ck_assert_ptr_nonnull(strstr(t, "\"event\":\"plain\",\"cat\":\"plain\",\"fields\":{}}\n"));
	ck_assert_ptr_nonnull(strstr(t,
		"\"fields\":{\"m\":\"-\",\"e\":\"\",\"z\":\"-01\",\"k\":\"v\","
		"\"msg\":\"hello world\"}}\n"));
	ck_assert_ptr_nonnull(strstr(t, "\"fields\":{\"x\":1,\"y\":2}}\n"));
	ck_assert_ptr_nonnull(strstr(t, "\"fields\":{\"msg\":\"=v\"}}\n"));
	ck_assert_ptr_nonnull(strstr(t,
		"\"fields\":{\"s\":\"q\\\"b\\\\c\\u0009d\\u0001\\u007f\\ufffd\xc3\xa9\"}}\n"));
	cap_close(&c);
}
END_TEST

/* Text: ordinary values print exactly as printf prints the declaration;
 * only a value that could be read as more than one is quoted. */
START_TEST(test_text_as_printf)
{
	struct cap c;
	char *want;

	cap_open(&c, SIM_TRACE_TEXT, NULL);
#define BOTH(fmt, ...) do { \
		GString *line = g_string_new(NULL); \
		sim_trace(c.w, "t_p", fmt, __VA_ARGS__); \
		want = g_strdup_printf(fmt, __VA_ARGS__); \
		g_string_printf(line, "          kernel-0     [000]     0.000000: t_p: %s\n", want); \
		ck_assert_str_eq(cap_text(&c), line->str); \
		g_free(want); \
		g_string_free(line, TRUE); \
		fclose(c.out); free(c.buf); c.buf = NULL; c.len = 0; \
		c.out = open_memstream(&c.buf, &c.len); \
		sim_trace_set_output(c.w, c.out, SIM_TRACE_TEXT); \
	} while (0)
	BOTH("seg=%u rid=%02x:%02x.%u pasid=%d addr=0x%llx access=%s stage=%u", 0u, 6u, 1u, 0u,
	     -1, 0x1000ull, "write", 2u);
	BOTH("path=%s uid=%u gid=%u mode=0%o", "/dev/vfio/vfio", 0u, 0u, 0666u);
	BOTH("pid=%d fd=%d cmd=0x%lx ret=%ld", 2, 3, 0x3b64ul, -25L);
	BOTH("len=%zu x=%05d y=%-3s| z=%.2s p=%%", (size_t)7, 42, "abc", "abcdef");
#undef BOTH
	cap_close(&c);
}
END_TEST

START_TEST(test_text_quoting)
{
	struct cap c;

	cap_open(&c, SIM_TRACE_TEXT, NULL);
	sim_trace(c.w, "q", "a=%s b=%s c=%s d=%s e=%s", "x y", "k=v", "say \"hi\"",
		  "back\\slash", "");
	sim_trace(c.w, "q", "f=%s g=%s", "nl\ncr\rtab\tbel\x07", "del\x7f");
	sim_trace(c.w, "q", "%s", "bare word");
	sim_trace(c.w, "q", "w=%5d", 42);          /* padding is a space too */
	ck_assert_str_eq(cap_text(&c),
		"          kernel-0     [000]     0.000000: q: a=\"x y\" b=\"k=v\" "
		"c=\"say \\\"hi\\\"\" d=\"back\\\\slash\" e=\n"
		"          kernel-0     [000]     0.000000: q: f=\"nl\\ncr\\rtab\\tbel\\x07\" "
		"g=\"del\\x7f\"\n"
		"          kernel-0     [000]     0.000000: q: \"bare word\"\n"
		"          kernel-0     [000]     0.000000: q: w=\"   42\"\n");
	cap_close(&c);
}
END_TEST

START_TEST(test_schema)
{
	static const struct { const char *fmt, *want; int ret; } cases[] = {
		{ "did=%u iova=0x%llx ret=%d", "did:uint iova:uint ret:int", 0 },
		{ "dev=%s rid=%02x:%02x.%u mode=0%o", "dev:string rid:string mode:uint", 0 },
		{ "c=%c h=0X%X bad=0x%o", "c:string h:uint bad:string", 0 },
		{ "", "", 0 },
		{ "a=%d word", "a field without 'key='", -EINVAL },
		{ "a=%d a=%u", "key 'a' twice", -EINVAL },
		{ "p=%p", "unsupported conversion '%p'", -EINVAL },
		{ "w=%*d", "unsupported conversion '%*'", -EINVAL },
		{ "f=%f", "unsupported conversion '%f'", -EINVAL },
		{ "s=%ls", "unsupported conversion '%ls'", -EINVAL },
		{ "e=%", "unsupported conversion '%'", -EINVAL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GString *out = g_string_new(NULL);
		ck_assert_int_eq(sim_trace_schema(cases[i].fmt, out), cases[i].ret);
		ck_assert_str_eq(out->str, cases[i].want);
		g_string_free(out, TRUE);
	}
}
END_TEST

/* A format the module cannot read says so; it never guesses at (or prints)
 * its arguments. */
START_TEST(test_bad_format_event)
{
	struct cap c;

	cap_open(&c, SIM_TRACE_TEXT, NULL);
	sim_trace(c.w, "t_bad", "ptr=%p n=%d", (void *)c.w, 1);
	ck_assert_str_eq(cap_text(&c),
		"          kernel-0     [000]     0.000000: t_bad: "
		"trace_error=\"unsupported conversion '%p'\"\n");
	cap_close(&c);
}
END_TEST

START_TEST(test_default_events)
{
	struct sim_world *w = sim_world_create(1);
	FILE *f = fopen("/dev/null", "w");

	sim_trace_set_output(w, f, SIM_TRACE_TEXT);
	ck_assert(sim_trace_enabled(w, "pci_bind"));
	ck_assert(!sim_trace_enabled(w, "sim_frame_alloc"));   /* off unless asked for */
	ck_assert(!sim_trace_enabled(w, "sim_frame_free"));
	ck_assert(sim_trace_enabled(w, "sim_open"));
	ck_assert_int_eq(sim_trace_enable(w, "*"), 0);
	ck_assert(sim_trace_enabled(w, "sim_frame_alloc"));
	ck_assert_int_eq(sim_trace_enable(w, "sim_frame_*"), 0);
	ck_assert(sim_trace_enabled(w, "sim_frame_free"));
	ck_assert(!sim_trace_enabled(w, "pci_bind"));
	sim_world_destroy(w);
	fclose(f);
}
END_TEST

/* The Chrome trace-event document: steps as B/E slices on pid 0, events as
 * instants on their process's track, names as metadata, ts in µs. */
START_TEST(test_chrome_document)
{
	struct cap c;
	int pid;

	cap_open(&c, SIM_TRACE_CHROME, "*,-sim_proc_*");
	pid = spawn(c.w, "qemu");
	sim_clock_advance(c.w, 1000000);
	sim_trace(c.w, "scenario_step", "n=%u kind=%s line=%u", 1u, "open", 7u);
	sim_clock_advance(c.w, 1);
	sim_set_current(c.w, pid);
	sim_trace(c.w, "pci_dma", "dev=%s pasid=%d addr=0x%llx", "0000:01:00.0", -1, 0x1000ull);
	sim_set_current(c.w, 0);
	sim_clock_advance(c.w, 499);
	sim_trace(c.w, "sim_proc_hidden", "x=%d", 1);    /* not selected, still activity */
	sim_clock_advance(c.w, 999500);
	sim_trace(c.w, "scenario_step", "n=%u kind=%s line=%u", 2u, "dma", 9u);
	sim_clock_advance(c.w, 1500);
	sim_trace(c.w, "iommu_hw_fault", "addr=0x%llx", 0x2000ull);
	ck_assert_str_eq(cap_text(&c), "{\"traceEvents\":[\n"
		"{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,\"args\":{\"name\":\"kernel\"}},\n"
		"{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,\"args\":{\"name\":\"kernel\"}},\n"
		"{\"name\":\"[1] open\",\"cat\":\"scenario\",\"ph\":\"B\",\"ts\":1000.000,\"pid\":0,"
		"\"tid\":0,\"args\":{\"n\":1,\"kind\":\"open\",\"line\":7}},\n"
		"{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":2,\"tid\":2,\"args\":{\"name\":\"qemu\"}},\n"
		"{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":2,\"tid\":2,\"args\":{\"name\":\"qemu\"}},\n"
		"{\"name\":\"pci_dma\",\"cat\":\"pci\",\"ph\":\"i\",\"s\":\"t\",\"ts\":1000.001,\"pid\":2,"
		"\"tid\":2,\"args\":{\"dev\":\"0000:01:00.0\",\"pasid\":-1,\"addr\":4096}},\n"
		/* a slice ends where its step's last trace point fired */
		"{\"ph\":\"E\",\"ts\":1000.500,\"pid\":0,\"tid\":0},\n"
		"{\"name\":\"[2] dma\",\"cat\":\"scenario\",\"ph\":\"B\",\"ts\":2000.000,\"pid\":0,"
		"\"tid\":0,\"args\":{\"n\":2,\"kind\":\"dma\",\"line\":9}},\n"
		"{\"name\":\"iommu_hw_fault\",\"cat\":\"iommu\",\"ph\":\"i\",\"s\":\"t\",\"ts\":2001.500,"
		"\"pid\":0,\"tid\":0,\"args\":{\"addr\":8192}}");
	/* the document is finished when the output changes: the open slice
	 * ends, the array closes; the next document starts afresh */
	sim_trace_set_output(c.w, c.out, SIM_TRACE_TEXT);
	ck_assert(g_str_has_suffix(cap_text(&c),
		",\n{\"ph\":\"E\",\"ts\":2001.500,\"pid\":0,\"tid\":0}\n],\"displayTimeUnit\":\"ns\"}\n"));
	cap_close(&c);
}
END_TEST

START_TEST(test_chrome_empty_and_reused_pid)
{
	struct cap c;
	int pid;

	/* asked for, nothing traced: still one valid document */
	cap_open(&c, SIM_TRACE_CHROME, "nothing");
	sim_world_destroy(c.w);
	c.w = NULL;
	ck_assert_str_eq(cap_text(&c), "{\"traceEvents\":[\n],\"displayTimeUnit\":\"ns\"}\n");
	fclose(c.out);
	free(c.buf);

	/* a pid reused under another name is named again */
	cap_open(&c, SIM_TRACE_CHROME, "t");
	pid = spawn(c.w, "first");
	sim_set_current(c.w, pid);
	sim_trace(c.w, "t", "a=%d", 1);
	sim_trace(c.w, "t", "a=%d", 2);
	sim_set_current(c.w, 1);
	ck_assert_int_eq(sim_proc_exit(c.w, pid), 0);
	ck_assert_int_eq(spawn(c.w, "second"), pid);
	sim_set_current(c.w, pid);
	sim_trace(c.w, "t", "a=%d", 3);
	sim_set_current(c.w, 0);
	ck_assert_ptr_nonnull(strstr(cap_text(&c),
		"\"args\":{\"a\":2}},\n"
		"{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":2,\"tid\":2,\"args\":{\"name\":\"second\"}},\n"));
	ck_assert_ptr_null(strstr(cap_text(&c), "\"ph\":\"B\""));
	sim_world_destroy(c.w);
	c.w = NULL;
	ck_assert(g_str_has_suffix(cap_text(&c), "\n],\"displayTimeUnit\":\"ns\"}\n"));
	ck_assert_ptr_null(strstr(cap_text(&c), "\"ph\":\"E\""));
	fclose(c.out);
	free(c.buf);
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
	sim_trace(c.w, "e_1", "a=%d", 1);
	sim_trace(c.w, "f_1", "a=%d", 1);          /* disabled: counted only */
	sim_trace_set_output(c.w, NULL, SIM_TRACE_TEXT);
	ck_assert(!sim_trace_enabled(c.w, "e_1"));
	sim_trace(c.w, "e_2", "a=%d", 2);          /* no output: counted only */
	sim_trace_set_output(c.w, c.out, SIM_TRACE_OFF);
	sim_trace(c.w, "e_3", "a=%d", 3);
	sim_trace_set_output(c.w, c.out, SIM_TRACE_JSON);
	sim_trace(c.w, "e_4", "a=%d", 4);
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
	tcase_add_test(tc, test_json_typed);
	tcase_add_test(tc, test_json_field_rules);
	tcase_add_test(tc, test_text_as_printf);
	tcase_add_test(tc, test_text_quoting);
	tcase_add_test(tc, test_schema);
	tcase_add_test(tc, test_bad_format_event);
	tcase_add_test(tc, test_default_events);
	tcase_add_test(tc, test_chrome_document);
	tcase_add_test(tc, test_chrome_empty_and_reused_pid);
	tcase_add_test(tc, test_json_comm_escaped);
	tcase_add_test(tc, test_patterns_last_match_wins);
	tcase_add_test(tc, test_patterns_invalid);
	tcase_add_test(tc, test_output_switching_and_count);
	tcase_add_test(tc, test_exit_context);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
