#!/usr/bin/env python3
"""Fail-nth sweeps of the address-space, SVA and proposal scenarios
(standard library only).

For every scenario under testcases/scenarios/{mm,sva,sva2017,sva2018,
nesting2020,iommufd-nesting},
`iommusim run --fail-nth-step N` for N = 1, 2, ... until the injected call
is not reached: each run must end normally (exit 0 or 1: an expectation a
failing call breaks is fine) and report no invariant - in particular
§H19, errors change nothing - whatever call fails.  That is every error
path of the mm, SVA, page-request, nesting and proposal code a scenario
reaches.
"""
import argparse
import pathlib
import subprocess
import sys
import unittest

ARGS = None
AREAS = ("mm", "sva", "sva2017", "sva2018", "nesting2020", "iommufd-nesting")
LIMIT = 1000          # calls per scenario at most (each sweep stops earlier)


def sweep(test, path):
    n = 1
    while n <= LIMIT:
        res = subprocess.run([ARGS.iommusim, "run", "--fail-nth-step", str(n), str(path)],
                             capture_output=True, text=True, timeout=120)
        test.assertIn(res.returncode, (0, 1), f"{path} nth {n}: {res.stderr}")
        test.assertNotIn("invariant", res.stdout, f"{path} nth {n}:\n{res.stdout}")
        if "was not reached" in res.stdout:
            return n
        n += 1
    test.fail(f"{path}: more than {LIMIT} failure sites")


class Sweeps(unittest.TestCase):
    def test_every_failure_changes_nothing(self):
        root = pathlib.Path(ARGS.root) / "scenarios"
        files = sorted(p for a in AREAS for p in (root / a).glob("*.yaml"))
        self.assertGreater(len(files), 30)
        total = 0
        for path in files:
            # scenarios whose point is a violation report it anyway
            if "expect-exit: 1" in path.read_text():
                continue
            with self.subTest(path=path.name):
                total += sweep(self, path)
        self.assertGreater(total, 100)


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iommusim", required=True)
    ap.add_argument("--root", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
