/* SPDX-License-Identifier: MIT */
/*
 * Scenario loader: the YAML document layer, typed readers, suggestions, and
 * a mutation sweep over the scenario corpus proving that no malformed file
 * crashes, hangs or leaks the loader (run it under the asan preset); every
 * independent error of a file reported, without the consequences of one;
 * near-miss driver names; device paths by member device; fault wording.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include <iommusim/iommusim.h>
#include "sim/rng.h"
#include "sim/world.h"
#include "tools/scenario/loader.h"
#include "tools/scenario/runner.h"
#include "tools/scenario/scenario.h"
#include "unit_common.h"

static struct scenario *load(const char *text, char **err)
{
	*err = NULL;
	return scenario_load_string(text, strlen(text), "t.yaml", err);
}

/* Load @text expecting an error that contains @want; frees everything. */
static void expect_error(const char *text, const char *want)
{
	char *err;
	struct scenario *s = load(text, &err);

	ck_assert_msg(!s, "loaded: %s", text);
	ck_assert_msg(err && strstr(err, want), "error '%s' lacks '%s'", err, want);
	g_free(err);
}

static const char rp[] = "name: t\ntopology:\n  - bdf: \"0000:00:01.0\"\n"
			 "    type: root-port\n    acs: [SV, RR, CR, UF]\n";

START_TEST(test_ydoc_positions)
{
	const char *text = "a: 1\nb:\n  - x\n  - {c: d}\n";
	unsigned line, col;
	char *msg = NULL;
	struct ydoc *d = ydoc_parse(text, strlen(text), &line, &col, &msg);
	const struct ynode *b, *m;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->root->kind, YN_MAP);
	ck_assert_uint_eq(ynode_map_len(d->root), 2);
	b = ynode_map_get(d->root, "b");
	ck_assert_int_eq(b->kind, YN_SEQ);
	ck_assert_uint_eq(b->line, 3);
	ck_assert_uint_eq(b->col, 3);
	m = b->items[1];
	ck_assert_int_eq(m->kind, YN_MAP);
	ck_assert_str_eq(ynode_map_get(m, "c")->str, "d");
	ck_assert_uint_eq(ynode_map_get(m, "c")->col, 9);
	ck_assert_ptr_null(ynode_map_get(m, "zz"));
	ck_assert_ptr_null(ynode_map_get(b, "c"));
	ydoc_free(d);
}
END_TEST

START_TEST(test_ydoc_rejects)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "a: &x 1\nb: *x\n", "aliases" },
		{ "a: 1\na: 2\n", "duplicate key 'a'" },
		{ "? [1]\n: 2\n", "mapping keys must be plain words" },
		{ "a: 1\n---\nb: 2\n", "only one YAML document" },
		{ "a: [1, 2\n", "YAML syntax" },
		{ "a: \"\\0\"\n", "NUL byte" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		unsigned line, col;
		char *msg = NULL;
		struct ydoc *d = ydoc_parse(cases[i].text, strlen(cases[i].text),
					    &line, &col, &msg);
		ck_assert_msg(!d, "case %zu parsed", i);
		ck_assert_msg(strstr(msg, cases[i].want), "case %zu: %s", i, msg);
		ck_assert_uint_ge(line, 1);
		g_free(msg);
	}
}
END_TEST

START_TEST(test_ydoc_limits)
{
	GString *deep = g_string_new("a: ");
	unsigned line, col;
	char *msg = NULL;
	struct ydoc *d;

	for (int i = 0; i < YDOC_MAX_DEPTH + 1; i++)
		g_string_append_c(deep, '[');
	d = ydoc_parse(deep->str, deep->len, &line, &col, &msg);
	ck_assert_ptr_null(d);
	ck_assert_ptr_nonnull(strstr(msg, "nesting deeper"));
	g_free(msg);
	g_string_free(deep, TRUE);

	d = ydoc_parse("a", YDOC_MAX_BYTES + 1u, &line, &col, &msg);
	ck_assert_ptr_null(d);
	ck_assert_ptr_nonnull(strstr(msg, "larger than"));
	g_free(msg);

	d = ydoc_parse("a\0b", 3, &line, &col, &msg);
	ck_assert_ptr_null(d);
	g_free(msg);

	d = ydoc_parse("", 0, &line, &col, &msg);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(d->root);
	ydoc_free(d);
}
END_TEST

START_TEST(test_suggest)
{
	static const char *const words[] = { "parent", "type", "bdf", NULL };

	ck_assert_str_eq(ldr_suggest("parnet", words), "parent");
	ck_assert_str_eq(ldr_suggest("TYPE", words), "type");
	ck_assert_str_eq(ldr_suggest("bfd", words), "bdf");
	ck_assert_ptr_null(ldr_suggest("multifunction", words));
	ck_assert_ptr_null(ldr_suggest("", (const char *const[]){ NULL }));
}
END_TEST

START_TEST(test_errno_names)
{
	ck_assert_int_eq(errno_from_name("EBUSY"), EBUSY);
	ck_assert_int_eq(errno_from_name("ENOTSUP"), EOPNOTSUPP);
	ck_assert_int_eq(errno_from_name("EWOULDBLOCK"), EAGAIN);
	ck_assert_int_eq(errno_from_name("EBOGUS"), 0);
	ck_assert_str_eq(errno_name(EACCES), "EACCES");
	ck_assert_ptr_null(errno_name(4000));
}
END_TEST

START_TEST(test_values)
{
	char *err;
	struct scenario *s;

	s = load("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n"
		 "processes:\n  - {name: a, uid: 0x3e8, rlimit_memlock: 64K}\n"
		 "  - {name: b, uid: 0, caps: [], parent: a, rlimit_memlock: unlimited}\n",
		 &err);
	ck_assert_msg(s, "%s", err);
	ck_assert_uint_eq(s->procs[0].uid, 1000);
	ck_assert_uint_eq(s->procs[0].gid, 1000);
	ck_assert_uint_eq(s->procs[0].rlimit_memlock, 65536);
	ck_assert_uint_eq(s->procs[0].caps, 0);
	ck_assert_uint_eq(s->procs[1].caps, 0);
	ck_assert_str_eq(s->procs[1].parent, "a");
	ck_assert_uint_eq(s->procs[1].rlimit_memlock, UINT64_MAX);
	scenario_free(s);

	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n"
		     "processes:\n  - {name: a, uid: 99999999999}\n", "out of range");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n"
		     "processes:\n  - {name: a, rlimit_memlock: 12Q}\n", "K/M/G/T");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n"
		     "processes:\n  - {name: a, rlimit_memlock: 99999999999999999999}\n",
		     "too large");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n"
		     "processes:\n  - {name: a, rlimit_memlock: 17179869184T}\n", "too large");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n"
		     "processes:\n  - {name: a}\n  - {name: a}\n", "defined twice");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n"
		     "processes:\n  - {name: init}\n", "always exists");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n"
		     "processes:\n  - {name: \"a b\"}\n", "must be a word");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n"
		     "processes:\n  - {name: a, parent: zed}\n", "not defined above");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port, "
		     "acs_ctrl: [SV]}\n", "needs an ACS capability");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port, "
		     "caps: {pasid: 0}}\n", "width of 1..20");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port, "
		     "driver: \"a b\"}\n", "not a driver name");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port, "
		     "vendor: 0x10000}\n", "out of range");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port, "
		     "dma_alias: [zz]}\n", "not bus:device.function");
	expect_error("name: t\ntopology:\n  - {type: root-port}\n", "needs the key 'bdf'");
	expect_error("name: [x]\ntopology: []\n", "name must be a scalar");
}
END_TEST

START_TEST(test_steps_and_expect)
{
	char *err;
	GString *t = g_string_new(rp);
	struct scenario *s;

	g_string_append(t, "  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\"}\n"
			   "steps:\n"
			   "  - {open: \"/dev/vfio/{0000:01:00.0}\", expect: {errno: ENOENT}}\n"
			   "  - {driver_override: \"0000:01:00.0\", driver: vfio-pci}\n"
			   "  - {bind: \"0000:01:00.0\", driver: vfio-pci, name: b}\n"
			   "  - {open: /dev/vfio/1, flags: [O_RDWR, O_CLOEXEC], as: g}\n"
			   "  - {open: /dev/vfio/vfio, flags: O_RDONLY, expect: {ret: 4}}\n"
			   "  - {close: g}\n"
			   "  - {chmod: /dev/vfio/1, mode: 0660}\n"
			   "  - {chown: /dev/vfio/1, uid: 5, gid: 6}\n"
			   "  - expect:\n"
			   "      group_count: 2\n"
			   "      groups: {legacy: [[\"0000:00:01.0\"], [\"0000:01:00.0\"]]}\n"
			   "      same_group: [[\"0000:00:01.0\", \"0000:00:01.0\"]]\n"
			   "      different_group: [[\"0000:00:01.0\", \"0000:01:00.0\"]]\n"
			   "      driver: {\"0000:01:00.0\": vfio-pci, \"0000:00:01.0\": pcieport}\n"
			   "      requester_id: {\"0000:01:00.0\": \"0000:01:00.0\"}\n"
			   "      node: {/dev/vfio/1: {uid: 5, gid: 6, mode: 0660}, /dev/x: absent}\n");
	s = load(t->str, &err);
	ck_assert_msg(s, "%s", err);
	ck_assert_uint_eq(s->nsteps, 9);
	ck_assert_str_eq(s->steps[2].kind->name, "bind");
	ck_assert_str_eq(s->steps[2].label, "b");
	ck_assert_str_eq(s->steps[3].as, "g");
	ck_assert_int_eq(s->steps[4].outcome.kind, SCN_OUT_RET);
	ck_assert_int_eq(s->steps[4].outcome.ret, 4);
	ck_assert_str_eq(s->steps[8].kind->name, "expect");
	ck_assert_int_eq(s->steps[8].state->group_count, 2);
	ck_assert_int_eq(scenario_run(s, &(struct run_options){ .seed = 1 }), 0);
	scenario_free(s);
	g_string_free(t, TRUE);

	expect_error("name: t\ntopology: []\nsteps:\n  - {open: x, expect: fine}\n",
		     "expect must be 'ok'");
	expect_error("name: t\ntopology: []\nsteps:\n  - {open: x, expect: {errno: 1, ret: 2}}\n",
		     "exactly one of");
	expect_error("name: t\ntopology: []\nsteps:\n  - {open: x, expect: {errno: 9999}}\n",
		     "out of range");
	expect_error("name: t\ntopology: []\nsteps:\n  - {open: x, as: \"1x\"}\n",
		     "must be a word");
	expect_error("name: t\ntopology: []\nsteps:\n  - {open: x, flags: O_EXCL}\n",
		     "unknown open flag");
	expect_error("name: t\ntopology: []\nsteps:\n  - {chmod: /x, mode: 0o17777}\n",
		     "out of range");
	expect_error("name: t\ntopology: []\nsteps:\n  - {chown: /x}\n", "needs the key 'uid'");
	expect_error("name: t\ntopology: []\nsteps:\n  - {close: g, as: h}\n",
		     "unknown key 'as'");
	expect_error("name: t\ntopology: []\nsteps:\n  - {eventfd: -1}\n", "eventfd");
	expect_error("name: t\ntopology: []\nsteps:\n  - {eventfd: 0x100000000}\n",
		     "out of range");
	expect_error("name: t\ntopology: []\nsteps:\n  - {eventfd: 0, flags: EFD_EXCL}\n",
		     "unknown eventfd flag");
	expect_error("name: t\ntopology: []\nsteps:\n  - {eventfd: 0, flags: {a: 1}}\n",
		     "flags");
	expect_error("name: t\ntopology: []\nsteps:\n  - {eventfd: 0, by: bob}\n",
		     "not defined under 'processes'");
	expect_error("name: t\ntopology: []\nsteps:\n  - {eventfd: 0, flags: [EFD_SEMAPHORE, "
		     "EFD_X]}\n", "unknown eventfd flag");
	expect_error("name: t\ntopology: []\nsteps:\n  - {}\n", "a step needs an action");
	expect_error("name: t\ntopology: []\nsteps:\n  - 5\n", "a step must be a mapping");
	expect_error("name: t\ntopology: []\nexpect: {groups: [[\"0000:00:09.0\"]]}\n",
		     "not in the topology");
	expect_error("name: t\ntopology: []\nexpect: {groups: {strikt: []}}\n",
		     "did you mean");
	expect_error("name: t\ntopology: []\nexpect: {same_group: [[1]]}\n", "pairs");
	expect_error("name: t\ntopology: []\nexpect: {node: {/x: maybe}}\n",
		     "present, absent");
	expect_error("name: t\ntopology: []\nexpect: {node: {/x: {mdoe: 1}}}\n",
		     "did you mean");
}
END_TEST

/* A failing expectation of every kind: the run reports 1, never crashes. */
START_TEST(test_failing_expectations)
{
	char *err;
	GString *t = g_string_new(rp);
	struct scenario *s;

	g_string_append(t, "steps:\n  - {close: nope, expect: ok}\n"
			   "  - {open: /dev/vfio/9, as: nope}\n"
			   "  - {close: nope}\n"
			   "  - {open: /dev/vfio/vfio, expect: {errno: EBUSY}}\n"
			   "  - {open: /dev/vfio/vfio, expect: {ret: 9}}\n"
			   "expect:\n  group_count: 3\n  groups: [[\"0000:00:01.0\"], [\"0000:00:01.0\"]]\n"
			   "  viable: {\"0000:00:01.0\": false}\n"
			   "  same_group: [[\"0000:00:01.0\", \"0000:00:01.0\"]]\n"
			   "  different_group: [[\"0000:00:01.0\", \"0000:00:01.0\"]]\n"
			   "  driver: {\"0000:00:01.0\": e1000}\n"
			   "  requester_id: {\"0000:00:01.0\": \"0000:00:02.0\"}\n"
			   "  node: {/dev/vfio/vfio: {uid: 1, gid: 1, mode: 0}, /dev/nope: present}\n");
	/* 'close: nope' before any 'as: nope' is a load error ... */
	s = load(t->str, &err);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "not bound by an earlier step"));
	g_free(err);
	/* ... so drop that step and run the rest */
	g_string_replace(t, "  - {close: nope, expect: ok}\n", "", 1);
	s = load(t->str, &err);
	ck_assert_msg(s, "%s", err);
	ck_assert_int_eq(scenario_run(s, &(struct run_options){ .report = NULL }), 1);
	scenario_free(s);
	g_string_free(t, TRUE);
}
END_TEST

/* ---- mutation sweep ------------------------------------------------------ */

static char *mutate(struct sim_rng *r, const char *src, size_t len)
{
	GString *m = g_string_new_len(src, (gssize)len);
	static const char *const junk[] = {
		"[", "]", "{", "}", ":", "- ", "\n", "  ", "\"", "'", "&a ", "*a",
		"0x", "-1", "99999999999999999999", "null", "~", "\t", "#", "\\",
		"bdf: ", "type: ", "parent: ", "steps:\n  - ", "?", "|", ">",
	};

	for (unsigned n = 1 + (unsigned)sim_rng_below(r, 3); n; n--) {
		size_t at = m->len ? sim_rng_below(r, m->len) : 0;
		switch (sim_rng_below(r, 5)) {
		case 0: /* truncate */
			g_string_truncate(m, at);
			break;
		case 1: { /* delete a span */
			size_t span = sim_rng_below(r, 40);
			g_string_erase(m, (gssize)at, (gssize)MIN(span, m->len - at));
			break;
		}
		case 2: /* insert junk */
			g_string_insert(m, (gssize)at, junk[sim_rng_below(r, G_N_ELEMENTS(junk))]);
			break;
		case 3: /* flip a byte to a printable one */
			if (m->len)
				m->str[at] = (char)(' ' + sim_rng_below(r, 95));
			break;
		default: /* duplicate a span */
			if (m->len) {
				size_t n2 = sim_rng_below(r, 80);
				n2 = MIN(n2, m->len - at);
				char *span = g_strndup(m->str + at, n2);
				g_string_insert(m, (gssize)sim_rng_below(r, m->len), span);
				g_free(span);
			}
		}
	}
	return g_string_free(m, FALSE);
}

static void collect(const char *dir, GPtrArray *out)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			collect(path, out);
		if (g_str_has_suffix(name, ".yaml"))
			g_ptr_array_add(out, g_strdup(path));
		g_free(path);
	}
	g_dir_close(d);
}

static int strptrcmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split @err into its lines; each must be "t.yaml:L:C: error: ...". */
static gchar **error_lines(const char *err, guint *n)
{
	gchar **lines = g_strsplit(err, "\n", -1);

	*n = g_strv_length(lines);
	for (guint i = 0; i < *n; i++)
		ck_assert_msg(g_regex_match_simple("^t\\.yaml:[0-9]+:[0-9]+: error: ", lines[i], 0, 0),
			      "unpositioned: %s", lines[i]);
	return lines;
}

START_TEST(test_every_error_reported)
{
	/* one error in the profile, two topology entries, a process, three
	 * steps and the top-level expect: each reported, in file order */
	const char *text =
		"name: t\n"                                          /* 1 */
		"profile: {group_mode: strikt}\n"                    /* 2 */
		"topology:\n"
		"  - {bdf: \"0000:00:01.0\", type: root-prt}\n"      /* 4 */
		"  - {bdf: \"0000:00:02.0\", type: endpoint, acs_quirk: maybe}\n"
		"  - {bdf: \"0000:00:03.0\", type: endpoint}\n"
		"processes:\n"
		"  - {name: user, uid: -1}\n"                         /* 8 */
		"steps:\n"
		"  - {open: /dev/vfio/vfio, as: c, by: user, flags: O_RDWRR}\n"
		"  - {ioctl: VFIO_GET_API_VERSION, on: c}\n"          /* no error */
		"  - {bind: \"0000:00:09.0\", driver: vfio-pci}\n"   /* 12 */
		"  - {unbind: \"0000:00:03.0\", by: nobody}\n"
		"expect: {group_count: x}\n";                        /* 14 */
	static const char *const want[] = {
		"t.yaml:2:23: error: unknown group_mode 'strikt'; did you mean 'strict'?",
		"t.yaml:4:33: error: unknown device type 'root-prt'",
		"t.yaml:5:54: error: acs_quirk must be true or false, not 'maybe'",
		"t.yaml:8:23: error: uid must be a number, not '-1'",
		"t.yaml:10:52: error: unknown open flag 'O_RDWRR'",
		"t.yaml:12:12: error: device 0000:00:09.0 is not in the topology",
		"t.yaml:13:30: error: unknown key 'by' in this step",
		"t.yaml:14:23: error: group_count",
	};
	char *err;
	struct scenario *s = load(text, &err);
	guint n;
	gchar **lines;

	ck_assert_ptr_null(s);
	lines = error_lines(err, &n);
	ck_assert_msg(n == G_N_ELEMENTS(want), "%u errors:\n%s", n, err);
	for (guint i = 0; i < n; i++)
		ck_assert_msg(g_str_has_prefix(lines[i], want[i]), "line %u: '%s', want '%s'",
			      i, lines[i], want[i]);
	/* the process with an error keeps its name and the step with an error
	 * its handle: 'by: user' and 'on: c' are not consequences to report */
	ck_assert_ptr_null(strstr(err, "'user'"));
	ck_assert_ptr_null(strstr(err, "handle 'c'"));
	g_strfreev(lines);
	g_free(err);
}
END_TEST

START_TEST(test_error_cap_and_single_error)
{
	GString *text = g_string_new(rp);
	char *err;
	guint n;
	gchar **lines;

	g_string_append(text, "steps:\n");
	for (int i = 0; i < 200; i++)
		g_string_append(text, "  - {bnid: \"0000:00:01.0\"}\n");
	ck_assert_ptr_null(load(text->str, &err));
	lines = error_lines(err, &n);
	ck_assert_uint_eq(n, LDR_MAX_ERRORS + 1);
	ck_assert_str_eq(lines[LDR_MAX_ERRORS], "t.yaml:56:6: error: 50 errors: stopping here");
	g_strfreev(lines);
	g_free(err);
	g_string_free(text, TRUE);
	/* one error stays one line, and a YAML syntax error is one error */
	expect_error("name: t\ntopology: [\n", "t.yaml:");
	ck_assert_ptr_null(load("name: t\ntopolgy: []\n", &err));
	ck_assert_str_eq(err, "t.yaml:2:1: error: unknown key 'topolgy' in the scenario; "
			 "did you mean 'topology'?");
	g_free(err);
}
END_TEST

START_TEST(test_driver_near_miss)
{
	static const struct { const char *driver; const char *meant; } cases[] = {
		{ "vfio_pci", "vfio-pci" }, { "vfiopci", "vfio-pci" }, { "VFIO-PCI", "vfio-pci" },
		{ "pci_stub", "pci-stub" }, { "pcieprt", "pcieport" },
		{ "vfio-pci", NULL }, { "pci-stub", NULL }, { "nvme", NULL }, { "e1000e", NULL },
		{ "vfio", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = g_strdup_printf("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", "
					     "type: endpoint}\nsteps:\n  - bind: \"0000:00:01.0\"\n"
					     "    driver: %s\n", cases[i].driver);
		char *err;
		struct scenario *s = load(text, &err);

		ck_assert_msg(s, "%s: %s", cases[i].driver, err);
		if (cases[i].meant) {
			char *want = g_strdup_printf("t.yaml:6:13: warning: driver '%s' is not one "
						     "the simulator registers, so it binds as a "
						     "kernel DMA driver; did you mean %s?",
						     cases[i].driver, cases[i].meant);
			ck_assert_uint_eq(s->warnings->len, 1);
			ck_assert_str_eq(g_ptr_array_index(s->warnings, 0), want);
			g_free(want);
		} else {
			ck_assert_msg(s->warnings->len == 0, "%s warned", cases[i].driver);
		}
		scenario_free(s);
		g_free(text);
	}
}
END_TEST

/* "/dev/vfio/{BDF}": the group number of that function in the world the
 * step runs in (the kernel names the node after iommu_group_id(), in
 * vfio_group_alloc's dev_set_name "%d"). */
START_TEST(test_device_paths)
{
	const char *text =
		"name: t\ntopology:\n"
		"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		"  - {bdf: \"0000:00:02.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		"  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:00:02.0\", "
		"driver: vfio-pci}\n"
		"steps:\n  - open: \"/dev/vfio/{0000:02:00.0}\"\n    as: g\n"
		"  - chmod: /dev/vfio/{0000:02:00.0}\n    mode: 0660\n";
	GString *path = g_string_new(NULL);
	struct sim_world *w;
	char *err;
	struct scenario *s = load(text, &err);

	ck_assert_msg(s, "%s", err);
	w = scenario_build_world(s, 0, &err);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(scn_path_resolve(w, "/dev/vfio/{0000:02:00.0}", path), 0);
	ck_assert_str_eq(path->str, "/dev/vfio/2");
	ck_assert_int_eq(sim_pci_iommu_group(w, "0000:02:00.0"), 2);
	ck_assert_int_eq(scn_path_resolve(w, "/x/{0000:00:01.0}/y", path), 0);
	ck_assert_str_eq(path->str, "/x/0/y");
	ck_assert_int_eq(scn_path_resolve(w, "/dev/vfio/vfio", path), 0);
	ck_assert_str_eq(path->str, "/dev/vfio/vfio");
	ck_assert_int_eq(scn_path_resolve(w, "/dev/vfio/{0000:09:00.0}", path), -ENODEV);
	ck_assert_int_eq(scn_path_resolve(w, "/dev/vfio/{junk}", path), -ENODEV);
	ck_assert_int_eq(scenario_run(s, &(struct run_options){ 0 }), 0);
	sim_world_destroy(w);
	scenario_free(s);
	g_string_free(path, TRUE);
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: endpoint}\n"
		     "steps:\n  - open: \"/dev/vfio/{0000:00:02.0}\"\n",
		     "t.yaml:5:11: error: open '/dev/vfio/{0000:00:02.0}': device 0000:00:02.0 "
		     "is not in the topology");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: endpoint}\n"
		     "steps:\n  - open: \"/dev/vfio/{0000:00:01.0}{0000:00:01.0}\"\n",
		     "write one {BDF}");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: endpoint}\n"
		     "steps:\n  - open: \"/dev/vfio/0000:00:01.0}\"\n", "write one {BDF}");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: endpoint}\n"
		     "steps:\n  - open: \"/dev/vfio/{}\"\n", "'{}' is not a PCI address");
	expect_error("name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: endpoint}\n"
		     "expect:\n  node: {\"/dev/vfio/{0000:00:05.0}\": absent}\n",
		     "t.yaml:5:10: error: node '/dev/vfio/{0000:00:05.0}': device 0000:00:05.0");
}
END_TEST

/* What a failure line says about a fault (spec §E.4). */
START_TEST(test_fault_wording)
{
	struct sim_dma op = { .fault_addr = 0x200000, .fault_reason = SIM_FAULT_PERMISSION,
			      .fault_stage = 2, .fault_phase = SIM_FAULT_PHASE_S1_FETCH,
			      .fault_stage_addr = 0x1f0000 };
	struct scn_outcome o = { .kind = SCN_OUT_FAULT, .err = SIM_FAULT_NOT_PRESENT,
				 .fault_stage = -1, .fault_phase = -1 };
	GString *out = g_string_new(NULL);

	runner_dma_fault_str(out, &op);
	ck_assert_str_eq(out->str, "a permission fault at 0x200000 (stage 2, stage-1 "
			 "descriptor fetch, stage address 0x1f0000)");
	g_string_truncate(out, 0);
	runner_fault_expected_str(out, &o);
	ck_assert_str_eq(out->str, "a not-present fault");
	o.fault_stage = 1;
	o.fault_phase = SIM_FAULT_PHASE_FINAL;
	o.has_stage_addr = true;
	o.stage_addr = 0x1000;
	g_string_truncate(out, 0);
	runner_fault_expected_str(out, &o);
	ck_assert_str_eq(out->str, "a not-present fault (stage 1, final access, stage "
			 "address 0x1000)");
	op.fault_reason = 99;   /* never a crash on a reason without a name */
	g_string_truncate(out, 0);
	runner_dma_fault_str(out, &op);
	ck_assert(g_str_has_prefix(out->str, "a unknown fault"));
	g_string_free(out, TRUE);
}
END_TEST

START_TEST(test_mutation_sweep)
{
	const char *src = getenv("IOMMUSIM_SRC");
	char *root = g_build_filename(src ? src : ".", "testcases", "scenarios", NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	struct sim_rng r;
	unsigned loaded = 0, rejected = 0;

	collect(root, files);
	g_ptr_array_sort(files, strptrcmp);
	ck_assert_uint_gt(files->len, 10);
	sim_rng_seed(&r, 2026);
	for (guint i = 0; i < files->len; i++) {
		gchar *text;
		gsize len;

		ck_assert(g_file_get_contents(files->pdata[i], &text, &len, NULL));
		for (int k = 0; k < 60; k++) {
			char *m = mutate(&r, text, len), *err = NULL;
			struct scenario *s = scenario_load_string(m, strlen(m), "m.yaml", &err);

			if (s) {
				loaded++;
				/* whatever loads must also run to completion */
				ck_assert_int_le(scenario_run(s, &(struct run_options){ 0 }), 1);
				scenario_free(s);
			} else {
				gchar **lines = g_strsplit(err, "\n", -1);

				rejected++;
				/* one line per error, each positioned, at most the cap */
				ck_assert_uint_le(g_strv_length(lines), LDR_MAX_ERRORS + 1);
				for (guint j = 0; lines[j]; j++)
					ck_assert_msg(g_regex_match_simple(
						"^m\\.yaml:[0-9]+:[0-9]+: error: .", lines[j], 0, 0),
						"bad message: %s", lines[j]);
				g_strfreev(lines);
				g_free(err);
			}
			g_free(m);
		}
		g_free(text);
	}
	printf("mutation sweep: %u files, %u mutants loaded, %u rejected\n", files->len, loaded, rejected);
	ck_assert_uint_gt(rejected, 100);
	ck_assert_uint_gt(loaded, 10);
	g_ptr_array_free(files, TRUE);
	g_free(root);
}
END_TEST

/*
 * Fault-injection sweep: every passing corpus scenario is run with the Nth
 * call to any failure site failing, for N = 1, 2, ... until the fault is no
 * longer reached.  Each run must end cleanly (0, 1 or 2) — under the asan
 * preset, without a leak — and once the fault is past, pass again.
 */
START_TEST(test_fail_nth_sweep)
{
	const char *src = getenv("IOMMUSIM_SRC");
	char *root = g_build_filename(src ? src : ".", "testcases", "scenarios", NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	unsigned runs = 0, swept = 0;
	FILE *devnull = fopen("/dev/null", "w");

	collect(root, files);
	g_ptr_array_sort(files, strptrcmp);
	for (guint i = 0; i < files->len; i++) {
		char *err = NULL;
		struct scenario *s = scenario_load_file(files->pdata[i], &err);
		bool fired = true;

		g_free(err);
		if (!s)
			continue;   /* the bad/ corpus */
		if (scenario_run(s, &(struct run_options){ 0 }) != 0) {
			scenario_free(s);   /* runner/ scenarios fail on purpose */
			continue;
		}
		swept++;
		for (unsigned long n = 1; fired; n++) {
			struct run_options o = { .fail_nth = n, .fault_fired = &fired,
						 .errors = devnull };
			int ret = scenario_run(s, &o);

			runs++;
			ck_assert_int_ge(ret, 0);
			ck_assert_int_le(ret, 2);
			if (!fired)
				ck_assert_msg(ret == 0, "%s: fault %lu not reached, yet run = %d",
					      (char *)files->pdata[i], n, ret);
			ck_assert_uint_lt(n, 100000);
		}
		scenario_free(s);
	}
	printf("fail-nth sweep: %u scenarios, %u runs\n", swept, runs);
	fclose(devnull);
	ck_assert_uint_gt(swept, 15);
	g_ptr_array_free(files, TRUE);
	g_free(root);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loader");
	TCase *yd = tcase_create("ydoc"), *ld = tcase_create("loader"),
	      *fz = tcase_create("mutation");

	tcase_add_test(yd, test_ydoc_positions);
	tcase_add_test(yd, test_ydoc_rejects);
	tcase_add_test(yd, test_ydoc_limits);
	tcase_add_test(ld, test_suggest);
	tcase_add_test(ld, test_errno_names);
	tcase_add_test(ld, test_values);
	tcase_add_test(ld, test_steps_and_expect);
	tcase_add_test(ld, test_failing_expectations);
	tcase_add_test(ld, test_every_error_reported);
	tcase_add_test(ld, test_error_cap_and_single_error);
	tcase_add_test(ld, test_driver_near_miss);
	tcase_add_test(ld, test_device_paths);
	tcase_add_test(ld, test_fault_wording);
	tcase_add_test(fz, test_mutation_sweep);
	tcase_add_test(fz, test_fail_nth_sweep);
	tcase_set_timeout(fz, 300);
	suite_add_tcase(s, yd);
	suite_add_tcase(s, ld);
	suite_add_tcase(s, fz);
	return unit_run(s);
}
