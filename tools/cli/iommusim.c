/* SPDX-License-Identifier: MIT */
/*
 * iommusim: the command-line front end.
 *
 *   iommusim run FILE...      run scenarios (exit 0 pass, 1 an expectation
 *                             failed, 2 bad input or usage)
 *   iommusim check FILE...    validate scenarios without running them
 *   iommusim groups FILE      print the IOMMU groups of a topology
 *   iommusim qemu-args FILE   the topology as QEMU arguments (the oracle's)
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/world.h"
#include "tools/scenario/qemu_args.h"
#include "tools/scenario/scenario.h"

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
"\n"
"Run 'iommusim COMMAND --help' for a command's options.\n"
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
"  --trace text|json     trace events (ftrace-style text or JSON lines)\n"
"  --trace-events GLOBS  which events, comma-separated globs (default '*'),\n"
"                        e.g. 'vfio_*,pci_bind' or '*,-sim_*'\n"
"  --trace-file F        write the trace to F (default: standard output)\n"
"  --quiet               no report; only the exit status and errors\n"
"  --no-groups           do not print the group table before the steps\n"
"  --no-invariants       do not check the spec §H invariants after each step\n"
"  --fail-nth N          fault injection: make the Nth call to a failure site\n"
"                        fail (the world's boot included); sweep N = 1, 2, ...\n"
"                        to walk every error path\n"
"  --fail-sites GLOB     which sites count for --fail-nth (default '*')\n"
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

static int usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iommusim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", usage);
	return EXIT_USAGE;
}

static void print_warnings(const struct scenario *s)
{
	for (guint i = 0; i < s->warnings->len; i++)
		fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(s->warnings, i));
}

/* Load a scenario, printing its warnings, or its one error (NULL). */
static struct scenario *load(const char *path)
{
	char *err = NULL;
	struct scenario *s = scenario_load_file(path, &err);

	if (!s) {
		fprintf(stderr, "%s\n", err);
		g_free(err);
		return NULL;
	}
	print_warnings(s);
	return s;
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

enum { OPT_SEED = 256, OPT_MODE, OPT_FORMAT, OPT_KERNEL, OPT_TRACE, OPT_TRACE_EVENTS, OPT_TRACE_FILE,
       OPT_NO_GROUPS, OPT_JSON, OPT_FAIL_NTH, OPT_FAIL_SITES, OPT_NO_INVARIANTS };

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "trace-events", required_argument, NULL, OPT_TRACE_EVENTS },
		{ "trace-file", required_argument, NULL, OPT_TRACE_FILE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-groups", no_argument, NULL, OPT_NO_GROUPS },
		{ "fail-nth", required_argument, NULL, OPT_FAIL_NTH },
		{ "no-invariants", no_argument, NULL, OPT_NO_INVARIANTS },
		{ "fail-sites", required_argument, NULL, OPT_FAIL_SITES },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct run_options ro = { .report = stdout, .print_groups = true };
	const char *trace_file = NULL;
	bool tracing = false;
	int mode = -1, format = -1, kernel = -1, c, status = EXIT_PASS;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SEED:
			if (parse_seed(optarg, &ro.seed))
				return usage_error(usage_run, "--seed needs a number, not '%s'", optarg);
			break;
		case OPT_MODE:
			if (parse_mode(optarg, &mode))
				return usage_error(usage_run, "--mode is legacy or strict, not '%s'", optarg);
			break;
		case OPT_FORMAT:
			if (parse_format(optarg, &format))
				return usage_error(usage_run, "--format is vtd, arm-smmuv3 or riscv, "
						   "not '%s'", optarg);
			break;
		case OPT_KERNEL:
			if ((kernel = sim_kernel_from_name(optarg)) < 0)
				return usage_error(usage_run, "--kernel is mainline, 6.1, 6.2 or 6.12, "
						   "not '%s'", optarg);
			break;
		case OPT_TRACE:
			tracing = true;
			if (!strcmp(optarg, "json"))
				ro.trace_fmt = RUN_TRACE_JSON;
			else if (strcmp(optarg, "text"))
				return usage_error(usage_run, "--trace is text or json, not '%s'", optarg);
			break;
		case OPT_TRACE_EVENTS: ro.trace_events = optarg; break;
		case OPT_TRACE_FILE: trace_file = optarg; break;
		case 'q': ro.report = NULL; break;
		case OPT_NO_GROUPS: ro.print_groups = false; break;
		case OPT_NO_INVARIANTS: ro.no_invariants = true; break;
		case OPT_FAIL_NTH: {
			uint64_t n;
			if (parse_seed(optarg, &n) || n == 0)
				return usage_error(usage_run, "--fail-nth needs a number >= 1, not '%s'", optarg);
			ro.fail_nth = n;
			break;
		}
		case OPT_FAIL_SITES: ro.fail_sites = optarg; break;
		case 'h': fputs(usage_run, stdout); return EXIT_PASS;
		default: fputs(usage_run, stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error(usage_run, "%s", "run needs at least one scenario FILE");
	if (tracing) {
		ro.trace = trace_file ? fopen(trace_file, "w") : stdout;
		if (!ro.trace) {
			fprintf(stderr, "iommusim: %s: %s\n", trace_file, strerror(errno));
			return EXIT_USAGE;
		}
	} else if (trace_file || ro.trace_events) {
		return usage_error(usage_run, "%s", "--trace-file and --trace-events need --trace");
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

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': fputs(usage_check, stdout); return EXIT_PASS;
		default: fputs(usage_check, stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error(usage_check, "%s", "check needs at least one scenario FILE");
	for (int i = optind; i < argc; i++) {
		struct scenario *s = load(argv[i]);

		if (!s) {
			status = EXIT_USAGE;
			continue;
		}
		if (!quiet)
			printf("%s: ok (%zu devices, %zu processes, %zu steps)\n", argv[i],
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

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STEP:
			ro.explain_step = (unsigned)strtoul(optarg, &end, 0);
			if (*end || !ro.explain_step)
				return usage_error(usage_explain, "--step needs a number >= 1, not "
						   "'%s'", optarg);
			break;
		case OPT_SEED:
			ro.seed = strtoull(optarg, &end, 0);
			if (*end)
				return usage_error(usage_explain, "--seed needs a number, not '%s'",
						   optarg);
			break;
		case OPT_FORMAT:
			if (parse_format(optarg, &format))
				return usage_error(usage_explain, "--format is vtd, arm-smmuv3 or "
						   "riscv, not '%s'", optarg);
			break;
		case 'h': fputs(usage_explain, stdout); return EXIT_PASS;
		default: fputs(usage_explain, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return usage_error(usage_explain, "%s", "explain needs exactly one scenario FILE");
	if (!ro.explain_step)
		return usage_error(usage_explain, "%s", "explain needs --step N");
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

static int cmd_groups(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int mode = -1, c;
	struct scenario *s;
	struct sim_world *w;
	char *err = NULL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case OPT_MODE:
			if (parse_mode(optarg, &mode))
				return usage_error(usage_groups, "--mode is legacy or strict, not '%s'", optarg);
			break;
		case 'h': fputs(usage_groups, stdout); return EXIT_PASS;
		default: fputs(usage_groups, stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return usage_error(usage_groups, "%s", "groups needs exactly one scenario FILE");
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
	char *err = NULL, *out;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case 'h': fputs(usage_qemu_args, stdout); return EXIT_PASS;
		default: fputs(usage_qemu_args, stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return usage_error(usage_qemu_args, "%s", "qemu-args needs exactly one scenario FILE");
	s = load(argv[optind]);
	if (!s)
		return EXIT_USAGE;
	ret = qemu_args_build_file(s, &args, &err);
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

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return usage_error(usage_main, "%s", "missing COMMAND");
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return EXIT_PASS;
	}
	/* getopt sees the command's own arguments, argv[1] as its name */
	argc--;
	argv++;
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc, argv);
	if (!strcmp(cmd, "groups"))
		return cmd_groups(argc, argv);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(argc, argv);
	if (!strcmp(cmd, "qemu-args"))
		return cmd_qemu_args(argc, argv);
	return usage_error(usage_main, "unknown command '%s'", cmd);
}
