#!/usr/bin/env python3
"""Run the scenario corpus under testcases/scenarios/ (standard library only).

Every *.yaml file is one test.  Its leading comment lines may hold directives:

  # modes: legacy strict          run once per group mode (--mode), else once
  # formats: vtd arm-smmuv3 riscv run once per IOMMU format (--format); every
                                  format must give the same report, step by
                                  step (same DMA outcomes, same faults)
  # expect-exit: 1                the run must exit 1 (a failing expectation is
                                  the point of the scenario), default 0
  # expect-error: L:C: TEXT       loading must fail (exit 2) with exactly one
                                  message FILE:L:C: error: ...TEXT...
  # expect-warning: L:C: TEXT     loading must warn FILE:L:C: warning: ...TEXT...
  # expect-report: TEXT           the run's report must contain TEXT (what a
                                  failing run must say: an invariant's name)

Each passing scenario is also run twice with the same seed and a JSON trace:
the two outputs must be byte-identical (determinism).  A scenario with a
golden trace beside it (NAME.trace) must reproduce it exactly; regenerate
with --update-golden after an intended change.
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
DIRECTIVE = re.compile(r"^#\s*(modes|formats|expect-exit|expect-error|expect-warning|expect-report):\s*(.*)$")


def directives(path):
    found = {"modes": [], "formats": [], "expect-exit": 0, "expect-error": [], "expect-warning": [],
             "expect-report": []}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = DIRECTIVE.match(line)
        if not m:
            continue
        key, val = m.group(1), m.group(2).strip()
        if key in ("modes", "formats"):
            found[key] = val.split()
        elif key == "expect-exit":
            found["expect-exit"] = int(val)
        else:
            found[key].append(val)
    return found


def run(*argv, cwd=None):
    return subprocess.run([ARGS.iommusim, *argv], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


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

    def run_good(self, path, d):
        modes = d["modes"] or [None]
        formats = d["formats"] or [None]
        for mode in modes:
            reports = {}
            for fmt in formats:
                argv = ["run", str(path)] + (["--mode", mode] if mode else []) \
                    + (["--format", fmt] if fmt else [])
                res = run(*argv)
                self.assertEqual(res.returncode, d["expect-exit"],
                                 f"{' '.join(argv)}\n{res.stdout}{res.stderr}")
                self.assertNotIn("error:", res.stderr)
                for text in d["expect-report"]:
                    self.assertIn(text, res.stdout, f"{' '.join(argv)}")
                reports[fmt] = res.stdout
            first = formats[0]
            for fmt in formats[1:]:
                self.assertEqual(reports[first], reports[fmt],
                                 f"{path}: --format {first} and --format {fmt} differ")
        self.check_messages(path, res.stderr, d["expect-warning"], "warning")
        # determinism: same file, same seed => byte-identical report and trace
        argv = ["run", str(path), "--seed", "7", "--trace", "json"]
        a, b = run(*argv), run(*argv)
        self.assertEqual(a.stdout, b.stdout, "two runs with one seed differ")
        self.assertIn('"event":', a.stdout)
        golden = path.with_suffix(".trace")
        if golden.exists() or ARGS.update_golden:
            # from the repository root, so the report names the file the same
            # way wherever the tree is checked out
            repo = ARGS.root.resolve().parents[1]
            rel = path.resolve().relative_to(repo)
            res = run("run", str(rel), "--trace", "text", "--no-groups", cwd=repo)
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
