#!/usr/bin/env python3
"""Run the scenario corpus under testcases/scenarios/ (standard library only).

Every *.yaml file is one test.  Its leading comment lines may hold directives:

  # modes: legacy strict          run once per group mode (--mode), else once
  # formats: KIND... -- REASON    run on these IOMMU formats only; without it a
                                  scenario runs on all three (vtd, arm-smmuv3,
                                  riscv) and every format must give the same
                                  report, step by step.  Restricting needs a
                                  reason after '--' (what only those formats
                                  can show)
  # expect-exit: 1                the run must exit 1 (a failing expectation is
                                  the point of the scenario), default 0; a
                                  scenario that must fail must also pin its
                                  report (golden-report)
  # expect-error: L:C: TEXT       loading must fail (exit 2) with exactly one
                                  message FILE:L:C: error: ...TEXT...
  # expect-warning: L:C: TEXT     loading must warn FILE:L:C: warning: ...TEXT...
  # expect-report: TEXT           the run's report must contain TEXT
  # golden-report: WHAT IT PINS    the run's whole report, run from the
                                  repository root, must equal NAME.report
                                  beside the scenario, byte for byte (every
                                  violation's text and their number); where a
                                  format's report legitimately differs (host
                                  addresses move with the page-table format's
                                  frame use) NAME.FORMAT.report pins that one

Each passing scenario is also run twice with the same seed and a JSON trace:
the two outputs must be byte-identical (determinism).  A scenario with a
golden trace beside it (NAME.trace) must reproduce it exactly.  Regenerate
golden traces and reports with --update-golden after an intended change (a
new golden trace: create an empty NAME.trace first).
"""
import argparse
import pathlib
import re
import subprocess
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from driver_common import run_case  # noqa: E402

ARGS = None
ALL_FORMATS = ["vtd", "arm-smmuv3", "riscv"]
DIRECTIVE = re.compile(r"^#\s*(modes|formats|expect-exit|expect-error|expect-warning|expect-report|"
                       r"golden-report):\s*(.*)$")


class DirectiveError(Exception):
    pass


def directives(path):
    found = {"modes": [], "formats": list(ALL_FORMATS), "formats-reason": None, "expect-exit": 0,
             "expect-error": [], "expect-warning": [], "expect-report": [], "report": None}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = DIRECTIVE.match(line)
        if not m:
            continue
        key, val = m.group(1), m.group(2).strip()
        if key == "modes":
            found[key] = val.split()
        elif key == "formats":
            kinds, sep, reason = val.partition("--")
            kinds = kinds.split()
            unknown = [k for k in kinds if k not in ALL_FORMATS]
            if not kinds or unknown:
                raise DirectiveError(f"{path}: formats: {unknown or 'none'} (known: "
                                     f"{' '.join(ALL_FORMATS)})")
            if sorted(kinds) != sorted(ALL_FORMATS) and not reason.strip():
                raise DirectiveError(f"{path}: 'formats: {' '.join(kinds)}' leaves out a format: "
                                     "say why after '--'")
            found["formats"], found["formats-reason"] = kinds, reason.strip() or None
        elif key == "expect-exit":
            found["expect-exit"] = int(val)
        elif key == "golden-report":
            found["report"] = val or "golden"
        else:
            found[key].append(val)
    if found["expect-exit"] and not found["report"] and not found["expect-error"]:
        raise DirectiveError(f"{path}: expect-exit {found['expect-exit']} without 'golden-report:': "
                             "a scenario whose purpose is its failure must pin that report")
    return found


def run(*argv, cwd=None):
    return subprocess.run([ARGS.iommusim, *argv], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def repo_root():
    return ARGS.root.resolve().parents[1]


def golden_suffix(mode, modes, fmt):
    """The most specific golden-report name for one run: NAME[.MODE].FORMAT."""
    return ".".join(p for p in ((mode if len(modes) > 1 else None), fmt) if p)


class Scenarios(unittest.TestCase):
    maxDiff = None

    def check_messages(self, path, stderr, wanted, kind):
        for want in wanted:
            loc, _, text = want.partition(": ")
            prefix = f"{path}:{loc}: {kind}: "
            lines = [l for l in stderr.splitlines() if l.startswith(prefix)]
            self.assertTrue(lines, f"no '{prefix}...' in:\n{stderr}")
            self.assertTrue(any(text in l for l in lines),
                            f"'{text}' not in {lines}")

    def run_bad(self, path, d):
        res = run("check", str(path))
        self.assertEqual(res.returncode, 2, res.stdout + res.stderr)
        errors = [l for l in res.stderr.splitlines() if ": error: " in l]
        self.assertEqual(len(errors), 1, f"want one error, got:\n{res.stderr}")
        self.check_messages(path, res.stderr, d["expect-error"], "error")
        # run and groups reject it the same way
        self.assertEqual(run("run", str(path)).returncode, 2)
        self.assertEqual(run("groups", str(path)).returncode, 2)

    def check_golden_reports(self, path, d, outputs):
        """outputs: {(mode, fmt): report run from the repository root}."""
        modes = d["modes"] or [None]
        base = path.with_suffix(".report")
        if ARGS.update_golden:
            for old in path.parent.glob(path.stem + ".*report"):
                old.unlink()
            first = outputs[(modes[0], d["formats"][0])]
            base.write_text(first)
            for (mode, fmt), out in outputs.items():
                if out != first:
                    path.with_suffix(f".{golden_suffix(mode, modes, fmt)}.report").write_text(out)
        for (mode, fmt), out in outputs.items():
            candidates = [path.with_suffix(f".{golden_suffix(mode, modes, fmt)}.report"),
                          path.with_suffix(f".{fmt}.report"), base]
            golden = next((c for c in candidates if c.exists()), None)
            self.assertIsNotNone(golden, f"{path}: 'golden-report:' but no {base.name}; "
                                 "run with --update-golden")
            self.assertEqual(out, golden.read_text(),
                             f"{path} --mode {mode} --format {fmt}: report differs from {golden}")

    def run_good(self, path, d):
        modes = d["modes"] or [None]
        formats = d["formats"]
        golden_outputs = {}
        per_format_golden = False
        for mode in modes:
            reports = {}
            for fmt in formats:
                opts = (["--mode", mode] if mode else []) + ["--format", fmt]
                argv = ["run", str(path)] + opts
                res = run(*argv)
                self.assertEqual(res.returncode, d["expect-exit"],
                                 f"{' '.join(argv)}\n{res.stdout}{res.stderr}")
                self.assertNotIn("error:", res.stderr)
                for text in d["expect-report"]:
                    self.assertIn(text, res.stdout, f"{' '.join(argv)}")
                reports[fmt] = res.stdout
                if d["report"]:
                    rel = path.resolve().relative_to(repo_root())
                    golden_outputs[(mode, fmt)] = run("run", str(rel), *opts,
                                                      cwd=repo_root()).stdout
                    per_format_golden |= path.with_suffix(f".{fmt}.report").exists() or \
                        path.with_suffix(f".{golden_suffix(mode, modes, fmt)}.report").exists()
            first = formats[0]
            for fmt in formats[1:]:
                if per_format_golden or ARGS.update_golden and d["report"]:
                    break   # each format is pinned by its own golden report
                self.assertEqual(reports[first], reports[fmt],
                                 f"{path}: --format {first} and --format {fmt} differ")
        if d["report"]:
            self.check_golden_reports(path, d, golden_outputs)
        self.check_messages(path, res.stderr, d["expect-warning"], "warning")
        # determinism: same file, same seed => byte-identical report and trace
        argv = ["run", str(path), "--seed", "7", "--trace", "json"]
        a, b = run(*argv), run(*argv)
        self.assertEqual(a.stdout, b.stdout, "two runs with one seed differ")
        self.assertIn('"event":', a.stdout)
        golden = path.with_suffix(".trace")
        if golden.exists():
            # from the repository root, so the report names the file the same
            # way wherever the tree is checked out
            rel = path.resolve().relative_to(repo_root())
            res = run("run", str(rel), "--trace", "text", "--no-groups", cwd=repo_root())
            if ARGS.update_golden:
                golden.write_text(res.stdout)
            self.assertEqual(res.stdout, golden.read_text(), f"{golden} differs")


def make_test(path):
    def test(self):
        d = directives(path)
        if d["expect-error"]:
            self.run_bad(path, d)
        else:
            self.run_good(path, d)
    return test


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iommusim", required=True)
    p.add_argument("--root", required=True, type=pathlib.Path)
    p.add_argument("--update-golden", action="store_true")
    p.add_argument("-k", dest="pattern", help="only scenarios whose path contains this")
    ARGS, rest = p.parse_known_args()
    files = sorted(ARGS.root.rglob("*.yaml"))
    if ARGS.pattern:
        files = [f for f in files if ARGS.pattern in str(f)]
    if not files:
        print("no scenarios found under", ARGS.root)
        return 1
    for f in files:
        name = "test_" + re.sub(r"\W", "_", str(f.relative_to(ARGS.root)))
        setattr(Scenarios, name, make_test(f))
    return run_case(Scenarios)


if __name__ == "__main__":
    sys.exit(main())
