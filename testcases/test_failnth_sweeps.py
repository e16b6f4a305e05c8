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
import concurrent.futures
import pathlib
import subprocess
import sys
import unittest

ARGS = None
AREAS = ("mm", "sva", "sva2017", "sva2018", "nesting2020", "iommufd-nesting")
LIMIT = 1000          # calls per scenario at most (each sweep stops earlier)


def sweep(path):
    """The sites of @path, or the first problem: (sites, None) or (n, message)."""
    n = 1
    while n <= LIMIT:
        res = subprocess.run([ARGS.iommusim, "run", "--fail-nth-step", str(n), str(path)],
                             capture_output=True, text=True, timeout=120)
        if res.returncode not in (0, 1):
            return n, f"{path} nth {n}: exit {res.returncode}: {res.stderr}"
        if "invariant" in res.stdout:
            return n, f"{path} nth {n}:\n{res.stdout}"
        if "was not reached" in res.stdout:
            return n, None
        n += 1
    return n, f"{path}: more than {LIMIT} failure sites"


class Sweeps(unittest.TestCase):
    def test_every_failure_changes_nothing(self):
        root = pathlib.Path(ARGS.root) / "scenarios"
        files = sorted(p for a in AREAS for p in (root / a).glob("*.yaml"))
        self.assertGreater(len(files), 30)
        # scenarios whose point is a violation report it anyway
        files = [p for p in files if "expect-exit: 1" not in p.read_text()]
        # the scenarios are independent: two at a time (the machine's two
        # cores; the sweep is the long pole of the suite under ASan), the
        # results in file order
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(sweep, files))
        total = 0
        for path, (n, problem) in zip(files, results):
            with self.subTest(path=path.name):
                self.assertIsNone(problem, problem)
                total += n
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
