#!/usr/bin/env python3
"""Contract tests of the iommusim command line (standard library only).

Covers what other tools rely on: exit codes (0 pass, 1 failed expectation,
2 bad input or usage), the one-line `groups --json` format, --help for every
command, `help CMD`, `--version`, one-line usage errors with "did you mean"
suggestions, `-` for standard input, warnings for unquoted BDFs, the trace
formats (typed JSON, unforgeable text, the Chrome trace-event document, the
default event selection), `explain` and `--format`, and that every
`$ iommusim explain` block in docs/explain.md is what the program prints
today.
"""
import argparse
import json
import pathlib
import re
import shlex
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from driver_common import CliRunner, run_case  # noqa: E402

ARGS = None


CLI = CliRunner("iommusim-cli-", "s")
run = CLI.run
scenario = CLI.scenario


SWITCH = """
name: switch
topology:
  - {bdf: "0000:00:01.0", type: root-port, acs: [SV, RR, CR, UF]}
  - {bdf: "0000:01:00.0", type: upstream-port, parent: "0000:00:01.0"}
  - {bdf: "0000:02:00.0", type: downstream-port, parent: "0000:01:00.0"}
  - {bdf: "0000:02:01.0", type: downstream-port, parent: "0000:01:00.0"}
  - {bdf: "0000:03:00.0", type: endpoint, parent: "0000:02:00.0"}
  - {bdf: "0000:04:00.0", type: endpoint, parent: "0000:02:01.0"}
"""


class Cli(unittest.TestCase):
    def test_help_everywhere(self):
        for argv in (["--help"], ["run", "--help"], ["check", "--help"],
                     ["groups", "--help"], ["explain", "--help"]):
            res = run(*argv)
            self.assertEqual(res.returncode, 0, argv)
            self.assertIn("usage: iommusim", res.stdout)

    def test_usage_errors_exit_2(self):
        for argv in ([], ["frobnicate"], ["run"], ["check"], ["groups"],
                     ["groups", "a", "b"], ["run", "--mode", "loose", "x.yaml"],
                     ["run", "--trace", "xml", "x.yaml"], ["run", "--seed", "x", "f"],
                     ["run", "--bogus", "f"], ["run", "--trace-file", "t", "f"],
                     ["run", "--fail-nth", "0", "f"], ["run", "--fail-nth", "x", "f"]):
            res = run(*argv)
            self.assertEqual(res.returncode, 2, argv)
            self.assertUsageError(res, argv)

    def assertUsageError(self, res, argv, cmd=None):
        """One line saying what is wrong, one saying where the help is."""
        lines = res.stderr.splitlines()
        self.assertEqual(len(lines), 2, f"{argv}: {res.stderr}")
        self.assertRegex(lines[0], r"^iommusim( [a-z-]+)?: ", argv)
        self.assertRegex(lines[1], r"^Try 'iommusim ([a-z-]+ )?--help' for more information\.$",
                         argv)
        if cmd:
            self.assertIn(f"'iommusim {cmd} --help'", lines[1], argv)
        self.assertNotIn("usage:", res.stderr, argv)

    def test_missing_file(self):
        # no made-up line and column: the file has none
        for cmd in ("check", "run", "groups", "qemu-args"):
            res = run(cmd, "/nonexistent/x.yaml")
            self.assertEqual(res.returncode, 2)
            self.assertEqual(res.stderr, "/nonexistent/x.yaml: error: cannot open: "
                                         "No such file or directory\n", cmd)
        res = run("check", "/")
        self.assertEqual((res.returncode, res.stderr),
                         (2, "/: error: cannot read: Is a directory\n"))

    def test_version(self):
        cmake = (REPO / "CMakeLists.txt").read_text()
        want = re.search(r"project\(iommusim VERSION (\S+)", cmake).group(1)
        res = run("--version")
        self.assertEqual((res.returncode, res.stdout, res.stderr),
                         (0, f"iommusim {want}\n", ""))

    def test_suggestions(self):
        for argv, cmd, want in (
                (["runn", "f"], None, "unknown command 'runn'; did you mean 'run'?"),
                (["chekc"], None, "unknown command 'chekc'; did you mean 'check'?"),
                (["qemu-arg", "f"], None, "did you mean 'qemu-args'?"),
                (["frobnicate"], None, "unknown command 'frobnicate'"),
                (["--verison"], None, "unknown option '--verison'; did you mean '--version'?"),
                (["run", "--sed", "1", "f"], "run", "unknown option '--sed'; did you mean "
                                                    "'--seed'?"),
                (["run", "--trace-evnts", "x", "f"], "run", "did you mean '--trace-events'?"),
                (["run", "--tr", "x", "f"], "run", "option '--tr' is ambiguous: --trace, "
                                                   "--trace-events, --trace-file"),
                (["run", "f", "--seed"], "run", "option '--seed' needs an argument"),
                (["run", "--quiet=1", "f"], "run", "option '--quiet' takes no argument"),
                (["groups", "--jsn", "f"], "groups", "did you mean '--json'?"),
                (["explain", "--stp", "1", "f"], "explain", "did you mean '--step'?"),
                (["check", "-x", "f"], "check", "unknown option '-x'"),
                (["help", "grops"], None, "unknown command 'grops'; did you mean 'groups'?")):
            res = run(*argv)
            self.assertEqual(res.returncode, 2, argv)
            self.assertUsageError(res, argv, cmd)
            self.assertIn(want, res.stderr, argv)
        self.assertNotIn("did you mean", run("frobnicate").stderr)

    def test_help_command(self):
        for cmd in ("run", "check", "groups", "explain", "qemu-args"):
            res = run("help", cmd)
            self.assertEqual(res.returncode, 0, cmd)
            self.assertEqual(res.stdout, run(cmd, "--help").stdout, cmd)
            self.assertTrue(res.stdout.startswith(f"usage: iommusim {cmd}"), cmd)
        self.assertEqual(run("help").stdout, run("--help").stdout)
        self.assertEqual(run("help", "help").stdout, run("--help").stdout)
        self.assertEqual(run("help", "run", "check").returncode, 2)

    def test_stdin(self):
        text = pathlib.Path(scenario(SWITCH)).read_text()
        res = run("check", "-", input=text)
        self.assertEqual((res.returncode, res.stdout),
                         (0, "<stdin>: ok (6 devices, 0 processes, 0 steps)\n"), res.stderr)
        self.assertEqual(run("run", "-", input=text).stdout.splitlines()[0],
                         "scenario: switch (<stdin>)")
        self.assertEqual(run("groups", "-", "--json", input=text).stdout,
                         run("groups", scenario(SWITCH), "--json").stdout)
        rp = "name: w\ntopology:\n  - bdf: \"0000:00:01.0\"\n    type: root-port\n"
        self.assertEqual(run("qemu-args", "-", input=rp).stdout,
                         "-device pcie-root-port,id=rp_00_01_0,bus=pcie.0,addr=01.0,"
                         "chassis=1,disable-acs=on\n")
        # errors are positioned in <stdin>
        res = run("check", "-", input="name: x\ntopology:\n  - bdf: \"0000:00:01.0\"\n"
                                      "    type: root-prot\n")
        self.assertEqual(res.returncode, 2)
        self.assertRegex(res.stderr, r"^<stdin>:4:11: error: ")
        # standard input is read once
        res = run("check", "-", "-", input=text)
        self.assertEqual(res.returncode, 2)
        self.assertIn("<stdin>: error: standard input was read already", res.stderr)

    def test_groups_json_contract(self):
        path = scenario(SWITCH.replace("acs: [SV, RR, CR, UF]}", "}"))
        res = run("groups", path, "--json")
        self.assertEqual(res.returncode, 0, res.stderr)
        lines = res.stdout.splitlines()
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0],
                         '{"mode":"legacy","groups":[{"id":0,"devices":['
                         '"0000:00:01.0","0000:01:00.0","0000:02:00.0",'
                         '"0000:02:01.0","0000:03:00.0","0000:04:00.0"]}]}')
        json.loads(lines[0])

    def test_groups_json_modes(self):
        dsp_no_acs = SWITCH
        path = scenario(dsp_no_acs)
        legacy = json.loads(run("groups", path, "--json").stdout)
        strict = json.loads(run("groups", path, "--json", "--mode", "strict").stdout)
        self.assertEqual(legacy["mode"], "legacy")
        self.assertEqual(strict["mode"], "strict")
        # DSPs without ACS: legacy pairs each DSP with its endpoint (spec §A5)
        self.assertIn({"id": 2, "devices": ["0000:02:00.0", "0000:03:00.0"]},
                      legacy["groups"])
        self.assertIn(["0000:02:00.0", "0000:02:01.0", "0000:03:00.0", "0000:04:00.0"],
                      [g["devices"] for g in strict["groups"]])
        for g in legacy["groups"] + strict["groups"]:
            self.assertEqual(g["devices"], sorted(g["devices"]))
            for d in g["devices"]:
                self.assertRegex(d, r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$")

    def test_groups_text(self):
        res = run("groups", scenario(SWITCH))
        self.assertEqual(res.returncode, 0)
        self.assertIn("groups (legacy mode): 4", res.stdout)

    def test_unquoted_bdf_warns(self):
        path = scenario("name: w\ntopology:\n  - bdf: 00:01.0\n    type: root-port\n")
        res = run("check", path)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn(f"{path}:3:10: warning: unquoted BDF 00:01.0", res.stderr)

    def test_check_reports_ok(self):
        res = run("check", scenario(SWITCH))
        self.assertEqual(res.returncode, 0)
        self.assertIn("ok (6 devices", res.stdout)

    def test_failed_expectation_exits_1(self):
        path = scenario(SWITCH + "expect:\n  group_count: 5\n")
        res = run("run", path)
        self.assertEqual(res.returncode, 1)
        self.assertIn("4 groups, expected 5", res.stdout)  # DSPs lack ACS
        self.assertIn("FAIL switch", res.stdout)

    def test_bad_and_good_files_exit_2(self):
        good = scenario(SWITCH)
        bad = scenario("name: x\n")
        self.assertEqual(run("run", good, bad).returncode, 2)
        self.assertEqual(run("check", good, bad).returncode, 2)

    def test_trace_text_format(self):
        path = scenario(SWITCH + "steps:\n  - open: /dev/vfio/vfio\n    as: c\n  - close: c\n")
        res = run("run", path, "--trace", "text", "--trace-events", "sim_open,sim_close")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        lines = [l for l in res.stdout.splitlines() if ": sim_" in l]
        self.assertEqual(len(lines), 2, res.stdout)
        self.assertRegex(lines[0], r"^ +init-1 +\[000\] +\d+\.\d{6}: sim_open: pid=1 "
                                   r"path=/dev/vfio/vfio fd=3$")

    def test_trace_json_and_file(self):
        path = scenario(SWITCH + "steps:\n  - open: /dev/vfio/vfio\n")
        with tempfile.TemporaryDirectory() as d:
            tf = pathlib.Path(d) / "t.jsonl"
            res = run("run", path, "--trace", "json", "--trace-file", str(tf))
            self.assertEqual(res.returncode, 0)
            events = [json.loads(l) for l in tf.read_text().splitlines()]
        self.assertTrue(events)
        opens = [e for e in events if e["event"] == "sim_open"]
        self.assertEqual(opens[0]["cat"], "sim")
        self.assertEqual(opens[0]["fields"]["fd"], 3)
        self.assertEqual(opens[0]["fields"]["path"], "/dev/vfio/vfio")
        ts = [e["ts"] for e in events]
        self.assertEqual(ts, sorted(ts))

    def test_trace_glob_filters(self):
        path = scenario(SWITCH + "steps:\n  - driver_override: \"0000:03:00.0\"\n"
                        "    driver: vfio-pci\n  - bind: \"0000:03:00.0\"\n    driver: vfio-pci\n")
        res = run("run", path, "--trace", "json", "--trace-events", "vfio_*")
        events = [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]
        self.assertTrue(events)
        self.assertTrue(all(e["cat"] == "vfio" for e in events), events)

    def test_trace_default_leaves_out_frames(self):
        f = str(REPO / "testcases/scenarios/quickstart.yaml")
        default = run("run", f, "--quiet", "--trace", "json").stdout
        names = {json.loads(l)["event"] for l in default.splitlines()}
        self.assertTrue(names)
        self.assertFalse({"sim_frame_alloc", "sim_frame_free"} & names)
        every = run("run", f, "--quiet", "--trace", "json", "--trace-events", "*").stdout
        self.assertIn("sim_frame_alloc", {json.loads(l)["event"] for l in every.splitlines()})
        asked = run("run", f, "--quiet", "--trace", "text", "--trace-events",
                    "sim_frame_alloc").stdout.splitlines()
        self.assertTrue(asked and all(": sim_frame_alloc: hpa=0x" in l for l in asked))

    def test_trace_values_cannot_forge_keys(self):
        path = scenario(SWITCH + 'steps:\n  - open: "/dev/vfio/x fd=3 ret=0 \\"q\\""\n'
                        "    expect: {errno: ENOENT}\n")
        text = run("run", path, "--quiet", "--trace", "text", "--trace-events", "sim_open")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertRegex(text.stdout, r': sim_open: pid=1 path="/dev/vfio/x fd=3 ret=0 '
                                      r'\\"q\\"" fd=-2\n$')
        js = run("run", path, "--quiet", "--trace", "json", "--trace-events", "sim_open")
        ev = json.loads(js.stdout)
        self.assertEqual(ev["fields"], {"pid": 1, "path": '/dev/vfio/x fd=3 ret=0 "q"',
                                        "fd": -2})

    def test_trace_json_types_are_declared(self):
        # pasid is an int, -1 without a PASID (never "none"); hex fields are
        # numbers; a composite like rid is a string (docs/traces.md)
        f = str(REPO / "testcases/scenarios/vfio/isolation-wrong-direction-dma.yaml")
        res = run("run", f, "--quiet", "--trace", "json", "--trace-events",
                  "pci_dma,iommu_hw_fault")
        events = [json.loads(l) for l in res.stdout.splitlines()]
        self.assertEqual({e["event"] for e in events}, {"pci_dma", "iommu_hw_fault"})
        for e in events:
            self.assertEqual(e["fields"]["pasid"], -1, e)
            self.assertIsInstance(e["fields"]["addr"], int, e)
            self.assertRegex(e["fields"]["rid"], r"^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
        text = run("run", f, "--quiet", "--trace", "text", "--trace-events", "pci_dma")
        self.assertIn(" pasid=-1 addr=0x", text.stdout)

    def test_trace_chrome(self):
        f = str(REPO / "testcases/scenarios/vfio/isolation-wrong-direction-dma.yaml")
        res = run("run", f, "--quiet", "--trace", "chrome")
        self.assertEqual(res.returncode, 0, res.stderr)
        doc = json.loads(res.stdout)
        self.assertEqual(set(doc), {"traceEvents", "displayTimeUnit"})
        evs = doc["traceEvents"]
        phases = {e["ph"] for e in evs}
        self.assertEqual(phases, {"M", "B", "E", "i"})
        # steps: B/E pairs on pid 0 tid 0, in order, never overlapping
        depth, steps, last = 0, [], -1.0
        for e in evs:
            self.assertIsInstance(e["pid"], int)
            if e["ph"] == "M":
                self.assertIn(e["name"], ("process_name", "thread_name"))
                continue
            self.assertGreaterEqual(e["ts"], 0)
            if e["ph"] in "BE":
                self.assertEqual((e["pid"], e["tid"]), (0, 0))
                self.assertGreaterEqual(e["ts"], last)
                last = e["ts"]
                depth += 1 if e["ph"] == "B" else -1
                self.assertIn(depth, (0, 1))
                if e["ph"] == "B":
                    steps.append(e)
            else:
                self.assertEqual(e["s"], "t")
                self.assertEqual(e["pid"], e["tid"])
                self.assertEqual(e["cat"], e["name"].split("_")[0])
        self.assertEqual(depth, 0)
        report = run("run", f).stdout
        nsteps = len(re.findall(r"^  \[\d+\] ", report, re.M))
        self.assertEqual([s["name"].split("] ")[0] + "]" for s in steps],
                         [f"[{i}]" for i in range(1, nsteps + 1)])
        self.assertEqual(steps[0]["ts"], 1000.0)           # steps start 1 ms apart
        # DMAs and faults are instants with their typed fields
        dma = [e for e in evs if e.get("name") == "pci_dma"]
        fault = [e for e in evs if e.get("name") == "iommu_hw_fault"]
        self.assertTrue(dma and fault)
        self.assertEqual({e["ph"] for e in dma + fault}, {"i"})
        self.assertEqual(fault[0]["args"]["pasid"], -1)
        # every pid has its name; the syscalls run in the scenario's processes
        named = {e["pid"] for e in evs if e.get("name") == "process_name"}
        self.assertEqual({e["pid"] for e in evs}, named)
        self.assertTrue(named - {0})
        # deterministic, to a file too; one document takes one scenario
        self.assertEqual(run("run", f, "--quiet", "--trace", "chrome").stdout, res.stdout)
        # without --quiet the report goes to stderr, the document stays alone
        loud = run("run", f, "--trace", "chrome")
        self.assertEqual((loud.stdout, loud.stderr), (res.stdout, report))
        with tempfile.TemporaryDirectory() as d:
            tf = pathlib.Path(d) / "t.json"
            run("run", f, "--quiet", "--trace", "chrome", "--trace-file", str(tf))
            self.assertEqual(tf.read_text(), res.stdout)
        two = run("run", f, f, "--trace", "chrome")
        self.assertEqual(two.returncode, 2)
        self.assertUsageError(two, "two files", "run")
        # a scenario whose world fails to build still gives one document
        boot = run("run", f, "--quiet", "--trace", "chrome", "--fail-nth", "1")
        self.assertEqual(boot.returncode, 2)
        json.loads(boot.stdout)

    def test_fail_nth(self):
        path = scenario(SWITCH + "steps:\n  - open: /dev/vfio/vfio\n")
        first = run("run", path, "--fail-nth", "1")
        self.assertEqual(first.returncode, 2)          # the boot itself fails
        self.assertIn("error: building the world", first.stderr)
        far = run("run", path, "--fail-nth", "100000", "--fail-sites", "vfio_*")
        self.assertEqual(far.returncode, 0)
        self.assertIn("fault injection: call 100000 of 'vfio_*' was not reached",
                      far.stdout)
        hit = run("run", path, "--fail-nth", "1", "--fail-sites", "vfio_container_alloc")
        self.assertEqual(hit.returncode, 1)
        self.assertIn("=> -ENOMEM: FAIL", hit.stdout)
        self.assertIn("call 1 of 'vfio_container_alloc' failed", hit.stdout)

    def test_quiet(self):
        res = run("run", "--quiet", scenario(SWITCH))
        self.assertEqual((res.returncode, res.stdout), (0, ""))

    def test_garbage_input_never_crashes(self):
        samples = ["\x00\x01\x02", "{{{{", "- - - -", "name: [", "topology: 5",
                   "name: x\ntopology:\n  - 7\n", "name: x\ntopology: {}\n",
                   "\t\tname: x", "name: x\ntopology:\n  - bdf: \"0000:00:01.0\"\n"
                   "    type: [root-port]\n", "a" * 100000, "%YAML 9.9\n---\n"]
        for text in samples:
            res = run("check", scenario(text))
            self.assertEqual(res.returncode, 2, repr(text[:40]))
            errors = [l for l in res.stderr.splitlines() if ": error: " in l]
            self.assertGreaterEqual(len(errors), 1, res.stderr)   # the loader may go on
            for e in errors:
                self.assertRegex(e, r"^/[^:]+:\d+:\d+: error: ")

    # ---- explain and --format ---------------------------------------------

    def test_explain_usage_errors(self):
        nested = str(REPO / "testcases/scenarios/nested/nested-guest-table-on-pasid.yaml")
        for argv in (["explain", nested],                    # no --step
                     ["explain", nested, "--step", "0"],
                     ["explain", nested, "--step", "x"],
                     ["explain", "--step", "1"],              # no file
                     ["explain", nested, nested, "--step", "1"],
                     ["explain", nested, "--step", "1", "--format", "amd"],
                     ["explain", nested, "--step", "1", "--seed", "z"]):
            res = run(*argv)
            self.assertEqual(res.returncode, 2, argv)
            self.assertUsageError(res, argv, "explain")
        res = run("explain", nested, "--step", "999")
        self.assertEqual(res.returncode, 2)
        self.assertIn("there is no step 999", res.stderr)

    def test_explain_step_without_translation(self):
        nested = str(REPO / "testcases/scenarios/nested/nested-guest-table-on-pasid.yaml")
        res = run("explain", nested, "--step", "1")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("(this step translated nothing)", res.stdout)

    def test_explain_counts_a_cold_nested_walk(self):
        # spec §E.3: (g+1)(h+1)-1 = 24 table references for 4+4 levels
        nested = str(REPO / "testcases/scenarios/nested/nested-guest-table-on-pasid.yaml")
        for fmt in ("vtd", "arm-smmuv3", "riscv"):
            res = run("explain", nested, "--step", "11", "--format", fmt)
            self.assertEqual(res.returncode, 0, res.stderr)
            # each kind's own device and PASID structures: VT-d root +
            # context, PASID dir + entry; SMMUv3 L1 + STE, CD; RISC-V two
            # DDT levels + DC, PC (names per arch: test_cli_ux.py)
            ctx = {"vtd": "2 [\w-]+, 2", "arm-smmuv3": "2 [\w-]+, 1", "riscv": "3 [\w-]+, 1"}[fmt]
            self.assertRegex(res.stdout, r"references: " + ctx + r" \w+, 24 page-table "
                             r"\(4 S1 \+ 20 S2\)", fmt)
            self.assertEqual(len(re.findall(r"^  \[\s*\d+\] S2 L\d\*", res.stdout, re.M)),
                             16, fmt)

    def test_format_override(self):
        cross = str(REPO / "testcases/scenarios/nested/cross-format-two-stage.yaml")
        reports = set()
        for fmt in ("vtd", "arm-smmuv3", "riscv"):
            res = run("run", cross, "--format", fmt)
            self.assertEqual(res.returncode, 0, res.stdout)
            reports.add(res.stdout)
        self.assertEqual(len(reports), 1, "formats gave different reports")
        res = run("run", cross, "--format", "amd-vi")
        self.assertEqual(res.returncode, 2)
        self.assertIn("--format is vtd, arm-smmuv3 or riscv", res.stderr)

    def test_kernel_override(self):
        # the device reads a WRITE-only IOVA under 6.1 and 6.12 (VT-d's read
        # bit, docs/kernel-versions.md); mainline refuses it, so the
        # scenario's expectation fails there
        f = str(REPO / "testcases/scenarios/devices/edu-dma-refused-6.1.yaml")
        for k, want in (("6.1", 0), ("6.2", 0), ("6.12", 0), ("mainline", 1)):
            res = run("run", f, "--kernel", k, "--quiet")
            self.assertEqual(res.returncode, want, "--kernel %s: %s" % (k, res.stdout))
        res = run("run", f, "--kernel", "6.3")
        self.assertEqual(res.returncode, 2)
        self.assertIn("--kernel is mainline, 6.1, 6.2 or 6.12", res.stderr)

    def test_docs_explain_blocks_are_true(self):
        doc = (REPO / "docs/explain.md").read_text()
        blocks = re.findall(r"```text\n\$ iommusim (explain [^\n]*)\n(.*?)```", doc, re.S)
        self.assertGreaterEqual(len(blocks), 4)
        for cmd, want in blocks:
            res = run(*cmd.split(), cwd=REPO)
            self.assertEqual(res.returncode, 0, cmd + res.stderr)
            self.assertEqual(res.stdout, want, f"docs/explain.md is stale for: {cmd}")

    def test_docs_traces_blocks_are_true(self):
        doc = (REPO / "docs/traces.md").read_text()
        blocks = re.findall(r"```text\n\$ iommusim (run [^\n]*)\n(.*?)```", doc, re.S)
        self.assertEqual(len(blocks), 3)
        for cmd, want in blocks:
            res = run(*shlex.split(cmd), cwd=REPO)
            self.assertEqual(res.returncode, 0, cmd + res.stderr)
            self.assertEqual(res.stdout, want, f"docs/traces.md is stale for: {cmd}")

    # ---- qemu-args (docs/qemu-args.md) -------------------------------------

    def test_qemu_args_text_and_json(self):
        path = scenario(SWITCH.replace("acs: [SV, RR, CR, UF]", "acs: [SV, TB, RR, CR, UF, DT]")
                        .replace("type: endpoint,", "type: endpoint, vendor: 0x8086, "
                                 "device: 0x10d3,"))
        text = run("qemu-args", path)
        self.assertEqual(text.returncode, 0, text.stderr)
        lines = text.stdout.splitlines()
        self.assertEqual(lines[0], "-device pcie-root-port,id=rp_00_01_0,bus=pcie.0,"
                                   "addr=01.0,chassis=1")
        self.assertEqual(len(lines), 6)
        self.assertTrue(all(l.startswith("-device ") for l in lines), lines)
        js = run("qemu-args", path, "--json")
        self.assertEqual(js.returncode, 0, js.stderr)
        self.assertEqual(len(js.stdout.splitlines()), 1)
        argv = json.loads(js.stdout)
        self.assertEqual(argv, [w for l in lines for w in l.split(" ", 1)])
        self.assertEqual(run("qemu-args", "--json", path).stdout, js.stdout)  # deterministic

    def test_qemu_args_refusal_is_positioned(self):
        path = scenario(SWITCH.replace('type: downstream-port, parent: "0000:01:00.0"}',
                                       'type: downstream-port, parent: "0000:01:00.0", '
                                       'acs: [SV, RR, CR, UF]}', 1))
        self.assertEqual(run("check", path).returncode, 0)          # iommusim takes it
        res = run("qemu-args", path)
        self.assertEqual(res.returncode, 2)
        self.assertEqual(res.stdout, "")
        self.assertRegex(res.stderr, "^" + re.escape(path) + r":\d+:\d+: error: qemu-args: ")
        self.assertEqual(res.stderr.count("error:"), 1, res.stderr)
        # the root port's ACS list comes first: QEMU's has TB and DT too
        line = pathlib.Path(path).read_text().splitlines()[3]
        self.assertIn(f"{path}:4:{line.index('[SV') + 1}: error: qemu-args: QEMU's "
                      "pcie-root-port advertises ACS SV TB RR CR UF DT", res.stderr)
        fixed = scenario(SWITCH.replace("acs: [SV, RR, CR, UF]}", "acs: [SV, TB, RR, CR, UF, DT]}")
                         .replace('type: downstream-port, parent: "0000:01:00.0"}',
                                  'type: downstream-port, parent: "0000:01:00.0", '
                                  'acs: [SV, RR, CR, UF]}', 1))
        res = run("qemu-args", fixed, "--json")
        self.assertEqual((res.returncode, res.stdout), (2, ""))
        line = pathlib.Path(fixed).read_text().splitlines()[5]
        self.assertIn(f"{fixed}:6:{line.index('[SV') + 1}: error: qemu-args: QEMU's "
                      "xio3130-downstream has no ACS capability; remove acs or use another "
                      "type\n", res.stderr)

    def test_qemu_args_usage_and_bad_input(self):
        res = run("qemu-args", "--help")
        self.assertEqual(res.returncode, 0)
        self.assertIn("usage: iommusim qemu-args", res.stdout)
        self.assertIn("qemu-args FILE", run("--help").stdout)
        for argv in (["qemu-args"], ["qemu-args", "a.yaml", "b.yaml"],
                     ["qemu-args", "--bogus", "a.yaml"]):
            res = run(*argv)
            self.assertEqual(res.returncode, 2, argv)
            self.assertUsageError(res, argv, "qemu-args")
        res = run("qemu-args", scenario("name: x\n"))
        self.assertEqual(res.returncode, 2)
        self.assertIn("needs the key 'topology'", res.stderr)
        # a warning (unquoted BDF) goes to stderr, the arguments to stdout
        res = run("qemu-args", scenario("name: w\ntopology:\n  - bdf: 00:01.0\n"
                                        "    type: root-port\n"))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("warning: unquoted BDF 00:01.0", res.stderr)
        self.assertEqual(res.stdout, "-device pcie-root-port,id=rp_00_01_0,bus=pcie.0,"
                                     "addr=01.0,chassis=1,disable-acs=on\n")

    def test_qemu_args_oracle_corpus(self):
        files = sorted((REPO / "tools/oracle/corpus").glob("topo-*.yaml"))
        self.assertGreaterEqual(len(files), 10)
        for f in files:
            self.assertEqual(run("check", str(f)).returncode, 0, f)
            res = run("qemu-args", str(f), "--json")
            self.assertEqual(res.returncode, 0, f"{f}: {res.stderr}")
            argv = json.loads(res.stdout)
            self.assertEqual(argv[0::2], ["-device"] * (len(argv) // 2), f)
            ids = [re.search(r",id=([^,]+)", v).group(1) for v in argv[1::2]]
            self.assertEqual(len(ids), len(set(ids)), f)


REPO = pathlib.Path(__file__).resolve().parents[1]


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--iommusim", required=True)
    p.add_argument("--root", required=True)
    ARGS, _ = p.parse_known_args()
    CLI.binary = ARGS.iommusim
    return run_case(Cli)


if __name__ == "__main__":
    sys.exit(main())
