/* SPDX-License-Identifier: MIT */
/*
 * iommusim: the command-line front end.
 *
 *   iommusim run FILE...      run scenarios (exit 0 pass, 1 an expectation
 *                             failed, 2 bad input or usage)
 *   iommusim check FILE...    validate scenarios without running them
 *   iommusim groups FILE      print the IOMMU groups of a topology
 *   iommusim qemu-args FILE   the topology as QEMU arguments (the oracle's)
 *   iommusim fuzz [OPTIONS]   random operation sequences, §H invariants after
 *                             every step, failures shrunk to scenario files
 *   iommusim help [COMMAND]   usage; iommusim --version
 *
 * FILE '-' reads the scenario from standard input ("<stdin>" in errors).  A
 * usage error is one line and a pointer to --help; a misspelled command or
 * option is answered with the nearest one by edit distance.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "sim/trace.h"
#include "sim/world.h"
#include "iommusim_version.h"
#include "tools/scenario/fuzz.h"
#include "tools/scenario/groups_render.h"
#include "tools/scenario/loader.h"
#include "tools/scenario/qemu_args.h"
#include "tools/scenario/scenario.h"
#include "tools/scenario/ydoc.h"

#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char usage_main[] =
"usage: iommusim COMMAND [OPTIONS] FILE...\n"
"\n"
"A deterministic simulator of the Linux IOMMU + VFIO stack.\n"
"\n"
"commands:\n"
"  run FILE...     run scenario files and report each step\n"
"  check FILE...   validate scenario files without running them\n"
"  groups FILE     print the IOMMU groups of a scenario's topology\n"
"  explain FILE    print every translation of one step, reference by reference\n"
"  qemu-args FILE  print the QEMU 7.2 arguments that build a scenario's topology\n"
"  fuzz            random operation sequences; failures shrunk to scenario files\n"
"  help [COMMAND]  this help, or a command's\n"
"\n"
"FILE '-' reads a scenario from standard input.\n"
"Run 'iommusim help COMMAND' for a command's options; --version prints the\n"
"version.\n"
"Exit status: 0 success, 1 an expectation failed, 2 bad input or usage.\n";

static const char usage_run[] =
"usage: iommusim run [OPTIONS] FILE...\n"
"\n"
"Build the world each scenario describes, run its steps, check every\n"
"expectation, and print a per-step report.\n"
"\n"
"options:\n"
"  --seed N              seed of the world's RNG (default 0)\n"
"  --mode legacy|strict  override the profile's group_mode\n"
"  --format KIND         override the profile's iommu.format: vtd, arm-smmuv3\n"
"                        or riscv (the same scenario on another IOMMU)\n"
"  --kernel V            override the profile's kernel: mainline, 6.1, 6.2\n"
"                        or 6.12 (docs/kernel-versions.md)\n"
"  --vfio-container B    override the profile's vfio_container: legacy (VFIO's\n"
"                        type1 container) or iommufd (/dev/vfio/vfio served by\n"
"                        iommufd; docs/iommufd.md)\n"
"  --trace text|json|chrome\n"
"                        trace events: ftrace-style text, JSON lines, or one\n"
"                        Chrome trace-event document for ui.perfetto.dev (steps\n"
"                        as slices; one FILE; the report goes to standard\n"
"                        error when the document goes to standard output);\n"
"                        docs/traces.md\n"
"  --trace-events GLOBS  which events, comma-separated globs (default\n"
"                        '" SIM_TRACE_DEFAULT_EVENTS "'),\n"
"                        e.g. 'vfio_*,pci_bind', '*,-sim_*' or '*' for all\n"
"  --trace-file F        write the trace to F (default: standard output)\n"
"  --quiet               no report; only the exit status and errors\n"
"  --no-groups           do not print the group table before the steps\n"
"  --no-invariants       do not check the spec §H invariants after each step\n"
"  --no-front-cache      every translation takes the IOMMU model's slow path\n"
"                        (the simulator's memo of cache hits off): the output\n"
"                        must not change (docs/dma-path.md)\n"
"  --fail-nth N          fault injection: make the Nth call to a failure site\n"
"                        fail (the world's boot included); sweep N = 1, 2, ...\n"
"                        to walk every error path\n"
"  --fail-nth-step N     the same, counting the calls from the first step on\n"
"                        (what `iommusim fuzz` reports)\n"
"  --fail-sites GLOB     which sites count for --fail-nth or --fail-random\n"
"                        (default '*')\n"
"  --fail-random P       fault injection: each call to a failure site fails with\n"
"                        probability P (0.001 to 1) once the world is built,\n"
"                        drawn from the seed's RNG: the same seed fails the\n"
"                        same calls, another seed others\n"
"  -h, --help            this help\n";

static const char usage_check[] =
"usage: iommusim check [OPTIONS] FILE...\n"
"\n"
"Load and validate scenarios (keys, values, references, topology rules)\n"
"without running them.  Errors are FILE:LINE:COL: error: MESSAGE.\n"
"\n"
"options:\n"
"  -q, --quiet   print nothing for valid files\n"
"  -h, --help    this help\n";

static const char usage_groups[] =
"usage: iommusim groups [OPTIONS] FILE\n"
"\n"
"Print the IOMMU groups the kernel would form for a scenario's topology.\n"
"\n"
"options:\n"
"  --json                one line: {\"mode\":...,\"groups\":[{\"id\":0,\"devices\":[...]}]}\n"
"  --tree                the topology as a tree (like lspci -tv), each function's group\n"
"  --dot                 a Graphviz digraph: the tree, groups as clusters (dot -Tsvg)\n"
"  --mode legacy|strict  group formation mode (default: the profile's)\n"
"  -h, --help            this help\n";

static const char usage_explain[] =
"usage: iommusim explain FILE --step N [--seed N] [--format KIND]\n"
"\n"
"Run a scenario and print, for step N (the number the run report shows),\n"
"every translation it makes: each memory reference numbered (root and\n"
"context entries, PASID directory and entry, page-table descriptors of\n"
"both stages with the table's HPA and, for a guest's stage-1 table, its\n"
"GPA), index, descriptor value, permissions, and the cache hits.  S2 reads\n"
"marked * translate a stage-1 table address.  See docs/explain.md.\n"
"\n"
"options:\n"
"  --step N     the step to explain (required)\n"
"  --seed N     the run's seed (default 0)\n"
"  --format K   override the profile's iommu.format (vtd, arm-smmuv3, riscv)\n"
"  -h, --help   this help\n";

static const char usage_fuzz[] =
"usage: iommusim fuzz [--seed N] [--runs N | --time S] [--steps N] [--ops LIST]\n"
"                     [--profile FILE | --profile KEY=VALUE]... [--variant KEY=VALUE]...\n"
"                     [--jobs N] [--out DIR] [--stop] [--timing] [--no-differential]\n"
"       iommusim fuzz --show N [--seed N] ...    print run N's scenario file\n"
"       iommusim fuzz --decode FILE               a fuzz_ops input as a scenario file\n"
"       iommusim fuzz --emit-seeds DIR [--runs N] fuzz_ops seed inputs\n"
"\n"
"Generate random machines (topologies of ports, switches, bridges, multifunction\n"
"and quirked devices; every IOMMU format; both container backends) and random\n"
"operation sequences over them as scenario files; run each with the spec §H\n"
"invariants after every step, §H19 after every failing call and §H18 once all\n"
"is closed, plus the replay, differential and fail-nth oracles; shrink every kind\n"
"of violation to a scenario file in DIR that shows it (docs/fuzzing.md).  The\n"
"same seed gives the same runs, with any --jobs.  Exit 0: nothing found; 1:\n"
"something was.\n"
"\n"
"options:\n"
"  --seed N             the runs' seed (default 0)\n"
"  --runs N             how many runs (default 1000; with --time: no limit)\n"
"  --first-run N        start at run N (a long run's finding again: --first-run R\n"
"                       --runs 1)\n"
"  --time S             stop after S seconds\n"
"  --steps N            generated steps per run at most (default 24, at most 40)\n"
"  --ops LIST           generate only these step kinds, e.g. ioctl,dma\n"
"  --profile KEY=VALUE  a profile line for every run, e.g.\n"
"                       iommu.bugs=[skip-iotlb-flush] (KEY may be one level\n"
"                       deep: iommu.KEY, vfio.KEY)\n"
"  --profile FILE       the profile lines of a YAML file (top-level keys as under\n"
"                       a scenario's profile:, no iommu: map - say iommu.KEY=V)\n"
"  --variant KEY=VALUE  the differential compares every run with a machine that\n"
"                       has this too (e.g. kernel=6.1): which DMAs change fate\n"
"  --jobs N             worker processes (default 1)\n"
"  --out DIR            where shrunk failures go (default .)\n"
"  --stop               stop at the first failure\n"
"  --timing             say seconds, runs/s and ops/s in the summary\n"
"  --no-differential    only the invariants (no replay, differential, fail-nth)\n"
"  --show N             print run N's scenario file instead of running\n"
"  --decode FILE        print the scenario file a fuzz_ops input decodes to\n"
"  --emit-seeds DIR     write --runs N (default 64) fuzz_ops seed inputs to DIR\n"
"  -h, --help           this help\n";

static const char usage_qemu_args[] =
"usage: iommusim qemu-args [OPTIONS] FILE\n"
"\n"
"Print the QEMU 7.2 arguments (machine q35, root bus pcie.0) that build the\n"
"scenario's topology, one -device per line, for the real-kernel oracle.\n"
"Only the topology: the runner adds -machine q35,kernel-irqchip=split,\n"
"-nodefaults and -device intel-iommu first.  q35's own functions (00:00.0,\n"
"00:1f.0/2/3) may be declared and print nothing.  Secondary buses must be\n"
"numbered as the firmware does (depth first in devfn order, from 1).  What\n"
"QEMU cannot build is an error at its key (exit 2); see docs/qemu-args.md.\n"
"\n"
"options:\n"
"  --json       one line: a JSON array of the argument strings\n"
"  -h, --help   this help\n";

/*
 * A usage error: one line, then where the help is.  @cmd is the command
 * ("run"), NULL before one is known.
 */
static int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iommusim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'iommusim %s%s--help' for more information.\n",
		cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

/* "--name=value" -> "name" (a new string). */
static char *long_name(const char *arg)
{
	const char *eq = strchr(arg, '=');

	arg += 2;
	return eq ? g_strndup(arg, (gsize)(eq - arg)) : g_strdup(arg);
}

/*
 * What getopt_long (with opterr 0 and a leading ':' in its option string)
 * refused, said in one line: an unknown option with the nearest known one,
 * an ambiguous abbreviation with its candidates, a missing or an unwanted
 * argument.
 */
static int option_error(const char *cmd, const struct option *opts, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	GPtrArray *names = g_ptr_array_new();
	GString *prefixed = g_string_new(NULL);
	const char *near;
	char *name;
	int ret;

	if (c == ':')   /* only long options take arguments */
		return usage_error(cmd, "option '%s' needs an argument", arg);
	if (strncmp(arg, "--", 2))
		return usage_error(cmd, "unknown option '-%c'", optopt ? optopt : '?');
	name = long_name(arg);
	for (const struct option *o = opts; o->name; o++) {
		g_ptr_array_add(names, (gpointer)o->name);
		if (!strcmp(o->name, name) && o->has_arg == no_argument && strchr(arg, '=')) {
			ret = usage_error(cmd, "option '--%s' takes no argument", o->name);
			goto out;
		}
		if (*name && g_str_has_prefix(o->name, name))
			g_string_append_printf(prefixed, "%s--%s", prefixed->len ? ", " : "",
					       o->name);
	}
	g_ptr_array_add(names, NULL);
	if (strchr(prefixed->str, ','))
		ret = usage_error(cmd, "option '--%s' is ambiguous: %s", name, prefixed->str);
	else if ((near = ldr_suggest(name, (const char *const *)names->pdata)))
		ret = usage_error(cmd, "unknown option '--%s'; did you mean '--%s'?", name, near);
	else
		ret = usage_error(cmd, "unknown option '--%s'", name);
out:
	g_free(name);
	g_string_free(prefixed, TRUE);
	g_ptr_array_free(names, TRUE);
	return ret;
}

static void print_warnings(const struct scenario *s)
{
	for (guint i = 0; i < s->warnings->len; i++)
		fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(s->warnings, i));
}

/*
 * A scenario file's text, '-' being standard input (once), read here rather
 * than by the loader so that a file that cannot be read is said to be so,
 * without a line and column it does not have.  NULL with @err set.
 */
static char *read_input(const char *path, size_t *len, char **err)
{
	static bool stdin_read;
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f;
	GString *text;
	char buf[65536];
	size_t n;

	if (is_stdin && stdin_read) {
		*err = g_strdup("<stdin>: error: standard input was read already ('-' given twice)");
		return NULL;
	}
	stdin_read |= is_stdin;
	f = is_stdin ? stdin : fopen(path, "rb");
	if (!f) {
		*err = g_strdup_printf("%s: error: cannot open: %s", name, g_strerror(errno));
		return NULL;
	}
	text = g_string_new(NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (text->len + n > YDOC_MAX_BYTES) {
			*err = g_strdup_printf("%s: error: file larger than %u bytes", name,
					       YDOC_MAX_BYTES);
			break;
		}
		g_string_append_len(text, buf, (gssize)n);
	}
	if (!*err && ferror(f))
		*err = g_strdup_printf("%s: error: cannot read: %s", name, g_strerror(errno));
	if (!is_stdin)
		fclose(f);
	if (*err) {
		g_string_free(text, TRUE);
		return NULL;
	}
	*len = text->len;
	return g_string_free(text, FALSE);
}

/*
 * Load a scenario, printing its warnings, or its one error (NULL).  @text,
 * when given, receives the file's text (qemu-args reads it again).
 */
static struct scenario *load_text(const char *path, char **text_out, size_t *len_out)
{
	char *err = NULL, *text;
	struct scenario *s = NULL;
	size_t len = 0;

	text = read_input(path, &len, &err);
	if (text)
		s = scenario_load_string(text, len, strcmp(path, "-") ? path : "<stdin>", &err);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		g_free(err);
		g_free(text);
		return NULL;
	}
	print_warnings(s);
	if (text_out) {
		*text_out = text;
		*len_out = len;
	} else {
		g_free(text);
	}
	return s;
}

static struct scenario *load(const char *path)
{
	return load_text(path, NULL, NULL);
}

/* --format: an IOMMU kind, or -1 with a usage error. */
static int parse_format(const char *arg, int *kind)
{
	enum iommu_hw_kind k;

	if (iommu_hw_kind_parse(arg, &k))
		return -1;
	*kind = (int)k;
	return 0;
}

static int parse_mode(const char *arg, int *mode)
{
	*mode = iommu_group_mode_from_name(arg);
	return *mode < 0 ? -1 : 0;
}

static int parse_seed(const char *arg, uint64_t *seed)
{
	char *end;

	errno = 0;
	*seed = g_ascii_strtoull(arg, &end, 0);
	return (errno || !*arg || *end || arg[0] == '-') ? -1 : 0;
}

enum { OPT_SEED = 256, OPT_MODE, OPT_FORMAT, OPT_KERNEL, OPT_VFIO_CONTAINER, OPT_TRACE, OPT_TRACE_EVENTS, OPT_TRACE_FILE,
       OPT_NO_GROUPS, OPT_JSON, OPT_FAIL_NTH, OPT_FAIL_SITES, OPT_NO_INVARIANTS,
       OPT_NO_FRONT_CACHE };

enum { OPT_FAIL_RANDOM = 280, OPT_FAIL_NTH_STEP };

/* A probability 0.001 .. 1 as parts per thousand (sim_fault_probability). */
static int parse_probability(const char *arg, unsigned *permille)
{
	char *end;
	double p;

	errno = 0;
	p = g_ascii_strtod(arg, &end);
	if (errno || !*arg || *end || !(p >= 0.001 && p <= 1.0))
		return -1;
	*permille = (unsigned)(p * 1000.0 + 0.5);
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "vfio-container", required_argument, NULL, OPT_VFIO_CONTAINER },
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "trace-events", required_argument, NULL, OPT_TRACE_EVENTS },
		{ "trace-file", required_argument, NULL, OPT_TRACE_FILE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-groups", no_argument, NULL, OPT_NO_GROUPS },
		{ "fail-nth", required_argument, NULL, OPT_FAIL_NTH },
		{ "fail-nth-step", required_argument, NULL, OPT_FAIL_NTH_STEP },
		{ "no-invariants", no_argument, NULL, OPT_NO_INVARIANTS },
		{ "no-front-cache", no_argument, NULL, OPT_NO_FRONT_CACHE },
		{ "fail-sites", required_argument, NULL, OPT_FAIL_SITES },
		{ "fail-random", required_argument, NULL, OPT_FAIL_RANDOM },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct run_options ro = { .report = stdout, .print_groups = true };
	const char *trace_file = NULL;
	bool tracing = false;
	int mode = -1, format = -1, kernel = -1, container = -1, c, status = EXIT_PASS;

	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SEED:
			if (parse_seed(optarg, &ro.seed))
				return usage_error("run", "--seed needs a number, not '%s'", optarg);
			break;
		case OPT_MODE:
			if (parse_mode(optarg, &mode))
				return usage_error("run", "--mode is legacy or strict, not '%s'", optarg);
			break;
		case OPT_FORMAT:
			if (parse_format(optarg, &format))
				return usage_error("run", "--format is vtd, arm-smmuv3 or riscv, "
						   "not '%s'", optarg);
			break;
		case OPT_KERNEL:
			if ((kernel = sim_kernel_from_name(optarg)) < 0)
				return usage_error("run", "--kernel is mainline, 6.1, 6.2 or 6.12, "
						   "not '%s'", optarg);
			break;
		case OPT_VFIO_CONTAINER:
			if (!strcmp(optarg, "legacy") || !strcmp(optarg, "iommufd"))
				container = !strcmp(optarg, "iommufd");
			else
				return usage_error("run", "--vfio-container is legacy or iommufd, "
						   "not '%s'", optarg);
			break;
		case OPT_TRACE:
			tracing = true;
			if (!strcmp(optarg, "json"))
				ro.trace_fmt = RUN_TRACE_JSON;
			else if (!strcmp(optarg, "chrome"))
				ro.trace_fmt = RUN_TRACE_CHROME;
			else if (strcmp(optarg, "text"))
				return usage_error("run", "--trace is text, json or chrome, not '%s'",
						   optarg);
			break;
		case OPT_TRACE_EVENTS: ro.trace_events = optarg; break;
		case OPT_TRACE_FILE: trace_file = optarg; break;
		case 'q': ro.report = NULL; break;
		case OPT_NO_GROUPS: ro.print_groups = false; break;
		case OPT_NO_INVARIANTS: ro.no_invariants = true; break;
		case OPT_NO_FRONT_CACHE: ro.no_front_cache = true; break;
		case OPT_FAIL_NTH:
		case OPT_FAIL_NTH_STEP: {
			uint64_t n;
			if (parse_seed(optarg, &n) || n == 0)
				return usage_error("run", "--%s needs a number >= 1, not '%s'",
						   c == OPT_FAIL_NTH ? "fail-nth" : "fail-nth-step",
						   optarg);
			ro.fail_nth = n;
			ro.fail_after_boot = c == OPT_FAIL_NTH_STEP;
			break;
		}
		case OPT_FAIL_SITES: ro.fail_sites = optarg; break;
		case OPT_FAIL_RANDOM:
			if (parse_probability(optarg, &ro.fail_permille))
				return usage_error("run", "--fail-random needs a probability from 0.001 "
						   "to 1, not '%s'", optarg);
			break;
		case 'h': fputs(usage_run, stdout); return EXIT_PASS;
		default: return option_error("run", opts, c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("run", "%s", "run needs at least one scenario FILE");
	if (ro.fail_nth && ro.fail_permille)
		return usage_error("run", "%s", "--fail-nth and --fail-random exclude each other");
	if (tracing && ro.trace_fmt == RUN_TRACE_CHROME && argc - optind > 1)
		return usage_error("run", "%s", "--trace chrome writes one document: give one FILE");
	if (tracing) {
		ro.trace = trace_file ? fopen(trace_file, "w") : stdout;
		if (!ro.trace) {
			fprintf(stderr, "iommusim: %s: %s\n", trace_file, strerror(errno));
			return EXIT_USAGE;
		}
		/* a Chrome document on standard output stays one JSON value */
		if (ro.trace == stdout && ro.trace_fmt == RUN_TRACE_CHROME && ro.report)
			ro.report = stderr;
	} else if (trace_file || ro.trace_events) {
		return usage_error("run", "%s", "--trace-file and --trace-events need --trace");
	}
	for (int i = optind; i < argc; i++) {
		struct scenario *s = load(argv[i]);
		int ret;

		if (!s) {
			status = EXIT_USAGE;
			continue;
		}
		if (mode >= 0)
			scenario_set_mode(s, mode);
		if (format >= 0)
			scenario_set_format(s, (enum iommu_hw_kind)format);
		if (kernel >= 0)
			scenario_set_kernel(s, (enum sim_kernel)kernel);
		if (container >= 0)
			scenario_set_vfio_container(s, container);
		ret = scenario_run(s, &ro);
		if (ret > status)
			status = ret;
		scenario_free(s);
	}
	if (ro.trace && ro.trace != stdout)
		fclose(ro.trace);
	return status;
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool quiet = false;
	int c, status = EXIT_PASS;

	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': fputs(usage_check, stdout); return EXIT_PASS;
		default: return option_error("check", opts, c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("check", "%s", "check needs at least one scenario FILE");
	for (int i = optind; i < argc; i++) {
		struct scenario *s = load(argv[i]);

		if (!s) {
			status = EXIT_USAGE;
			continue;
		}
		if (!quiet)
			printf("%s: ok (%zu devices, %zu processes, %zu steps)\n", s->file,
			       s->ntopology, s->nprocs, s->nsteps);
		scenario_free(s);
	}
	return status;
}

enum { OPT_STEP = 300 };

static int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "step", required_argument, NULL, OPT_STEP },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct run_options ro = { .explain = stdout };
	struct scenario *s;
	char *end;
	int c, ret, format = -1;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STEP:
			ro.explain_step = (unsigned)strtoul(optarg, &end, 0);
			if (*end || !ro.explain_step)
				return usage_error("explain", "--step needs a number >= 1, not "
						   "'%s'", optarg);
			break;
		case OPT_SEED:
			ro.seed = strtoull(optarg, &end, 0);
			if (*end)
				return usage_error("explain", "--seed needs a number, not '%s'",
						   optarg);
			break;
		case OPT_FORMAT:
			if (parse_format(optarg, &format))
				return usage_error("explain", "--format is vtd, arm-smmuv3 or "
						   "riscv, not '%s'", optarg);
			break;
		case 'h': fputs(usage_explain, stdout); return EXIT_PASS;
		default: return option_error("explain", opts, c, argv);
		}
	}
	if (optind + 1 != argc)
		return usage_error("explain", "%s", "explain needs exactly one scenario FILE");
	if (!ro.explain_step)
		return usage_error("explain", "%s", "explain needs --step N");
	s = load(argv[optind]);
	if (!s)
		return EXIT_USAGE;
	if (ro.explain_step > s->nsteps) {
		fprintf(stderr, "iommusim: %s has %zu steps, there is no step %u\n", argv[optind],
			s->nsteps, ro.explain_step);
		scenario_free(s);
		return EXIT_USAGE;
	}
	if (format >= 0)
		scenario_set_format(s, (enum iommu_hw_kind)format);
	ret = scenario_run(s, &ro);
	scenario_free(s);
	return ret;
}

enum { OPT_DOT = 400, OPT_TREE };   /* groups --dot, --tree (groups_render.h) */

static int cmd_groups(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "dot", no_argument, NULL, OPT_DOT },
		{ "tree", no_argument, NULL, OPT_TREE },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int mode = -1, c, picture = 0, pictures = 0;
	struct scenario *s;
	struct sim_world *w;
	char *err = NULL;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; pictures += picture != OPT_JSON; picture = c; break;
		case OPT_DOT: case OPT_TREE: pictures += picture != c; picture = c; break;
		case OPT_MODE:
			if (parse_mode(optarg, &mode))
				return usage_error("groups", "--mode is legacy or strict, not '%s'", optarg);
			break;
		case 'h': fputs(usage_groups, stdout); return EXIT_PASS;
		default: return option_error("groups", opts, c, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error("groups", "%s", "groups needs exactly one scenario FILE");
	if (pictures > 1)
		return usage_error("groups", "%s", "--json, --tree and --dot are exclusive");
	s = load(argv[optind]);
	if (!s)
		return EXIT_USAGE;
	if (mode >= 0)
		scenario_set_mode(s, mode);
	w = scenario_build_world(s, 0, &err);
	scenario_free(s);
	if (!w) {
		fprintf(stderr, "%s\n", err);
		g_free(err);
		return EXIT_USAGE;
	}
	if (picture == OPT_DOT)
		groups_render_dot(w, stdout);
	else if (picture == OPT_TREE)
		groups_render_tree(w, stdout);
	else
		scenario_print_groups(w, stdout, json);
	sim_world_destroy(w);
	return EXIT_PASS;
}

static int cmd_qemu_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	GPtrArray *args = NULL;
	struct scenario *s;
	bool json = false;
	char *err = NULL, *out, *text = NULL;
	size_t len = 0;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case 'h': fputs(usage_qemu_args, stdout); return EXIT_PASS;
		default: return option_error("qemu-args", opts, c, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error("qemu-args", "%s", "qemu-args needs exactly one scenario FILE");
	s = load_text(argv[optind], &text, &len);
	if (!s)
		return EXIT_USAGE;
	ret = qemu_args_build(s, text, len, &args, &err);
	g_free(text);
	scenario_free(s);
	if (ret) {
		fprintf(stderr, "%s\n", err);
		g_free(err);
		return EXIT_USAGE;
	}
	out = qemu_args_format(args, json);
	fputs(out, stdout);
	g_free(out);
	g_ptr_array_unref(args);
	return EXIT_PASS;
}

/* --profile KEY=VALUE: "KEY: VALUE" under the profile, or for a dotted
 * key "PARENT.KEY" an entry of the PARENT map; every parent's entries are
 * gathered into one map (@parents: name -> GString of "k: v, ..."). */
static int add_profile(GPtrArray *order, GHashTable *parents, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *dot;
	char *parent;
	GString *entries;

	if (!eq || eq == arg || !eq[1])
		return -1;
	dot = memchr(arg, '.', (size_t)(eq - arg));
	parent = dot ? g_strndup(arg, (size_t)(dot - arg)) : g_strdup("");
	entries = g_hash_table_lookup(parents, parent);
	if (!entries) {
		entries = g_string_new(NULL);
		g_hash_table_insert(parents, parent, entries);
		g_ptr_array_add(order, parent);
	} else {
		g_free(parent);
	}
	if (dot)
		g_string_append_printf(entries, "%s%.*s: %s", entries->len ? ", " : "",
				       (int)(eq - dot - 1), dot + 1, eq + 1);
	else
		g_string_append_printf(entries, "%s%.*s: %s\n", entries->len ? "  " : "",
				       (int)(eq - arg), arg, eq + 1);
	return 0;
}

/* --profile FILE: its lines, each indented under profile:, or NULL with
 * a message (not a map; an iommu: map, which is the generator's). */
static char *profile_file(const char *path)
{
	char *text = NULL, **lines, *err = NULL;
	GString *out;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, NULL)) {
		fprintf(stderr, "iommusim fuzz: cannot read profile file %s\n", path);
		return NULL;
	}
	{
		/* it must load as a profile: try it under a scenario's profile: */
		GString *probe = g_string_new("name: probe\nprofile:\n");
		struct scenario *s;

		/* line N of the file is line N + 2 of the probe, two columns in */
		lines = g_strsplit(text, "\n", -1);
		for (char **l = lines; *l; l++)
			g_string_append_printf(probe, "  %s\n", *l);
		g_string_append(probe, "topology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n");
		s = scenario_load_string(probe->str, probe->len, path, &err);
		if (!s) {
			unsigned line, col;
			size_t n = strlen(path);
			int at = 0;

			if (err && !strncmp(err, path, n) &&
			    sscanf(err + n, ":%u:%u:%n", &line, &col, &at) == 2 && at && line > 2 &&
			    col > 2)
				fprintf(stderr, "%s:%u:%u:%s\n", path, line - 2, col - 2, err + n + at);
			else
				fprintf(stderr, "%s\n", err ? err : "cannot load it");
			g_free(err);
			g_string_free(probe, TRUE);
			g_strfreev(lines);
			g_free(text);
			return NULL;
		}
		scenario_free(s);
		g_free(err);
		g_string_free(probe, TRUE);
	}
	out = g_string_new(NULL);
	for (char **l = lines; *l; l++) {
		if (!**l || **l == '#')
			continue;
		if (g_str_has_prefix(*l, "iommu:")) {
			fprintf(stderr, "iommusim fuzz: %s: the iommu map is the generator's (it "
				"picks the format); give its entries as --profile iommu.KEY=VALUE\n",
				path);
			g_string_free(out, TRUE);
			g_strfreev(lines);
			g_free(text);
			return NULL;
		}
		g_string_append_printf(out, "  %s\n", *l);
	}
	g_strfreev(lines);
	g_free(text);
	return g_string_free(out, FALSE);
}

/* The profile lines and the iommu entries of the gathered --profile (or
 * --variant) KEY=VALUEs, into @lines and *@iommu. */
static void gathered_profile(GPtrArray *order, GHashTable *parents, GString *lines,
			     const char **iommu)
{
	for (unsigned i = 0; i < order->len; i++) {
		const char *parent = g_ptr_array_index(order, i);
		GString *e = g_hash_table_lookup(parents, parent);

		if (!strcmp(parent, "iommu"))
			*iommu = e->str;
		else if (!*parent)
			g_string_append_printf(lines, "  %s", e->str);
		else
			g_string_append_printf(lines, "  %s: {%s}\n", parent, e->str);
	}
}

static void free_gathered(GPtrArray *order, GHashTable *parents)
{
	for (unsigned i = 0; i < order->len; i++)
		g_string_free(g_hash_table_lookup(parents, g_ptr_array_index(order, i)), TRUE);
	g_hash_table_destroy(parents);
	g_ptr_array_free(order, TRUE);
}

static int fuzz_decode(const char *path)
{
	gchar *data = NULL;
	gsize len;
	char *text;

	if (!g_file_get_contents(path, &data, &len, NULL)) {
		fprintf(stderr, "iommusim fuzz: cannot read %s\n", path);
		return EXIT_USAGE;
	}
	text = scenario_fuzz_decode((const uint8_t *)data, len);
	fputs(text, stdout);
	g_free(text);
	g_free(data);
	return EXIT_PASS;
}

static int cmd_fuzz(int argc, char **argv)
{
	enum { F_SEED = 300, F_RUNS, F_STEPS, F_PROFILE, F_OUT, F_STOP, F_TIMING, F_SHOW, F_TIME,
	       F_JOBS, F_OPS, F_VARIANT, F_DECODE, F_EMIT, F_NODIFF, F_FIRST };
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, F_SEED },
		{ "runs", required_argument, NULL, F_RUNS },
		{ "first-run", required_argument, NULL, F_FIRST },
		{ "time", required_argument, NULL, F_TIME },
		{ "steps", required_argument, NULL, F_STEPS },
		{ "ops", required_argument, NULL, F_OPS },
		{ "profile", required_argument, NULL, F_PROFILE },
		{ "variant", required_argument, NULL, F_VARIANT },
		{ "jobs", required_argument, NULL, F_JOBS },
		{ "out", required_argument, NULL, F_OUT },
		{ "stop", no_argument, NULL, F_STOP },
		{ "timing", no_argument, NULL, F_TIMING },
		{ "no-differential", no_argument, NULL, F_NODIFF },
		{ "show", required_argument, NULL, F_SHOW },
		{ "decode", required_argument, NULL, F_DECODE },
		{ "emit-seeds", required_argument, NULL, F_EMIT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fuzz_options fo = { .runs = 1000, .log = stdout, .progress_every = 1000,
				   .show = -1 };
	GPtrArray *order = g_ptr_array_new(), *vorder = g_ptr_array_new();
	GHashTable *parents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTable *vparents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GString *prof = g_string_new(NULL), *vprof = g_string_new(NULL);
	const char *decode = NULL, *emit = NULL;
	bool runs_given = false;
	char *file_lines;
	uint64_t n;
	int c, ret = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case F_SEED:
			if (parse_seed(optarg, &fo.seed)) {
				ret = usage_error("fuzz", "--seed needs a number, not '%s'", optarg);
				goto out;
			}
			break;
		case F_RUNS:
			if (parse_seed(optarg, &fo.runs) || !fo.runs) {
				ret = usage_error("fuzz", "--runs needs a number >= 1, not '%s'", optarg);
				goto out;
			}
			runs_given = true;
			break;
		case F_FIRST:
			if (parse_seed(optarg, &fo.first_run)) {
				ret = usage_error("fuzz", "--first-run needs a run number, not '%s'",
						  optarg);
				goto out;
			}
			break;
		case F_TIME: {
			char *end;

			fo.seconds = g_ascii_strtod(optarg, &end);
			if (*end || !(fo.seconds > 0)) {
				ret = usage_error("fuzz", "--time needs seconds > 0, not '%s'", optarg);
				goto out;
			}
			break;
		}
		case F_STEPS:
			if (parse_seed(optarg, &n) || n < 4 || n > 40) {
				ret = usage_error("fuzz", "--steps is 4 to 40, not '%s'", optarg);
				goto out;
			}
			fo.max_steps = (unsigned)n;
			break;
		case F_OPS: {
			char *bad = scenario_fuzz_bad_op(optarg);

			if (bad) {
				ret = usage_error("fuzz", "--ops: '%s' is not a step kind the fuzzer "
						  "writes", bad);
				g_free(bad);
				goto out;
			}
			fo.ops = optarg;
			break;
		}
		case F_PROFILE:
			if (!strchr(optarg, '=') && g_file_test(optarg, G_FILE_TEST_IS_REGULAR)) {
				if (!(file_lines = profile_file(optarg)))
					goto out;
				g_string_append(prof, file_lines);
				g_free(file_lines);
			} else if (add_profile(order, parents, optarg)) {
				ret = usage_error("fuzz", "--profile needs KEY=VALUE or a FILE, not '%s'",
						  optarg);
				goto out;
			}
			break;
		case F_VARIANT:
			if (add_profile(vorder, vparents, optarg)) {
				ret = usage_error("fuzz", "--variant needs KEY=VALUE, not '%s'", optarg);
				goto out;
			}
			break;
		case F_JOBS:
			if (parse_seed(optarg, &n) || n < 1 || n > 64) {
				ret = usage_error("fuzz", "--jobs is 1 to 64, not '%s'", optarg);
				goto out;
			}
			fo.jobs = (unsigned)n;
			break;
		case F_OUT: fo.out_dir = optarg; break;
		case F_STOP: fo.stop_at_first = true; break;
		case F_TIMING: fo.timing = true; break;
		case F_NODIFF: fo.no_differential = true; break;
		case F_SHOW:
			if (parse_seed(optarg, &n)) {
				ret = usage_error("fuzz", "--show needs a run number, not '%s'", optarg);
				goto out;
			}
			fo.show = (int64_t)n;
			break;
		case F_DECODE: decode = optarg; break;
		case F_EMIT: emit = optarg; break;
		case 'h': fputs(usage_fuzz, stdout); ret = EXIT_PASS; goto out;
		default: ret = option_error("fuzz", opts, c, argv); goto out;
		}
	}
	if (optind < argc) {
		ret = usage_error("fuzz", "fuzz takes no FILE, not '%s'", argv[optind]);
		goto out;
	}
	if (decode) {
		ret = fuzz_decode(decode);
		goto out;
	}
	if (emit) {
		int e;

		if (runs_given && fo.runs > 1000000) {
			ret = usage_error("fuzz", "%s", "--emit-seeds writes at most 1000000 seeds");
			goto out;
		}
		e = scenario_fuzz_write_seeds(fo.seed, runs_given ? (unsigned)fo.runs : 64, emit);

		if (e)
			fprintf(stderr, "iommusim fuzz: cannot write seeds to %s: %s\n", emit,
				g_strerror(-e));
		ret = e ? EXIT_USAGE : EXIT_PASS;
		goto out;
	}
	if (fo.seconds > 0 && !runs_given)
		fo.runs = UINT64_MAX;
	/* on a terminal one progress line, rewritten in place */
	fo.progress_tty = isatty(fileno(stdout)) && fo.show < 0;
	/* the iommu map is the generator's (it adds the format), the rest lines */
	gathered_profile(order, parents, prof, &fo.iommu_keys);
	gathered_profile(vorder, vparents, vprof, &fo.variant_iommu);
	fo.extra_profile = prof->str;
	fo.variant_profile = vprof->len ? vprof->str : NULL;
	/* what the generator draws for each run (and varies itself) */
	{
		const char *mine[] = { fo.iommu_keys, fo.variant_iommu };
		const char *lines[] = { prof->str, vprof->str };

		for (unsigned i = 0; i < 2; i++)
			if ((mine[i] && (strstr(mine[i], "format:") || strstr(mine[i], "naive_"))) ||
			    strstr(lines[i], "  vfio_container:")) {
				ret = usage_error("fuzz", "%s", "the IOMMU format, the naive caches and "
						  "vfio_container are the fuzzer's to draw and vary");
				goto out;
			}
	}
	ret = scenario_fuzz(&fo);
out:
	free_gathered(order, parents);
	free_gathered(vorder, vparents);
	g_string_free(prof, TRUE);
	g_string_free(vprof, TRUE);
	return ret;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{ "run", cmd_run, usage_run },
	{ "check", cmd_check, usage_check },
	{ "groups", cmd_groups, usage_groups },
	{ "explain", cmd_explain, usage_explain },
	{ "qemu-args", cmd_qemu_args, usage_qemu_args },
	{ "fuzz", cmd_fuzz, usage_fuzz },
};

static const char *const command_names[] = {
	"run", "check", "groups", "explain", "qemu-args", "fuzz", "help", NULL,
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* An unknown command, with the nearest known one. */
static int unknown_command(const char *name)
{
	const char *near = ldr_suggest(name, command_names);

	if (near)
		return usage_error(NULL, "unknown command '%s'; did you mean '%s'?", name, near);
	return usage_error(NULL, "unknown command '%s'", name);
}

/* help [COMMAND] */
static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc > 2)
		return usage_error("help", "%s", "help takes at most one COMMAND");
	if (argc < 2 || !strcmp(argv[1], "help")) {
		fputs(usage_main, stdout);
		return EXIT_PASS;
	}
	c = find_command(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	fputs(c->usage, stdout);
	return EXIT_PASS;
}

int main(int argc, char **argv)
{
	static const char *const main_options[] = { "help", "version", NULL };
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const struct command *c;

	opterr = 0;     /* option_error() words getopt's complaints */
	if (!cmd)
		return usage_error(NULL, "%s", "missing COMMAND");
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(usage_main, stdout);
		return EXIT_PASS;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("iommusim %s\n", IOMMUSIM_VERSION);
		return EXIT_PASS;
	}
	/* getopt sees the command's own arguments, argv[1] as its name */
	argc--;
	argv++;
	if (!strcmp(cmd, "help"))
		return cmd_help(argc, argv);
	if (cmd[0] == '-' && cmd[1]) {
		const char *word = cmd + 1 + (cmd[1] == '-');
		const char *near = ldr_suggest(word, main_options);

		if (cmd[1] == '-' && near)
			return usage_error(NULL, "unknown option '%s'; did you mean '--%s'?", cmd,
					   near);
		return usage_error(NULL, "unknown option '%s' (a COMMAND comes first)", cmd);
	}
	c = find_command(cmd);
	if (!c)
		return unknown_command(cmd);
	return c->fn(argc, argv);
}
