#!/usr/bin/env python3
"""`iommusim fuzz`, the operation-sequence fuzzer (standard library only).

Its acceptance test (issue 13): with a kernel bug injected through the
profile, a bounded run finds it, shrinks it to a scenario file of at most
ten generated steps, and that file fails under `iommusim run` with the same
kind of violation; on the code as it is, a bounded run finds nothing.  The
same seed gives the same output, byte for byte.
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from driver_common import run_case  # noqa: E402

ARGS = None
# the injected bugs the generator reaches today, each with the seed's budget
BUGS = {
    "skip-iotlb-flush": "§H8 stale IOTLB entry",
    "skip-context-flush": "§H8 stale PASID-cache entry",
}


def fuzz(*argv, out=None):
    cmd = [ARGS.iommusim, "fuzz", *argv]
    if out:
        cmd += ["--out", out]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


class Fuzz(unittest.TestCase):
    def test_injected_bugs_found_and_shrunk(self):
        for bug, what in BUGS.items():
            with self.subTest(bug=bug), tempfile.TemporaryDirectory() as out:
                res = fuzz("--seed", "1", "--runs", "3000", "--stop",
                           "--profile", f"iommu.bugs=[{bug}]", out=out)
                self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
                files = sorted(pathlib.Path(out).glob("fuzz-*.yaml"))
                self.assertEqual(len(files), 1, res.stdout)
                text = files[0].read_text()
                self.assertIn(f"invariant {what}", text)
                m = re.search(r"shrunk from (\d+) to (\d+)", text)
                self.assertTrue(m, text)
                self.assertLessEqual(int(m.group(2)), 10, text)
                run = subprocess.run([ARGS.iommusim, "run", str(files[0])],
                                     capture_output=True, text=True, timeout=60)
                self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
                self.assertIn(f"invariant {what}", run.stdout)

    def test_clean_code_finds_nothing(self):
        with tempfile.TemporaryDirectory() as out:
            res = fuzz("--seed", "7", "--runs", "1500", out=out)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            self.assertIn("0 distinct failure(s)", res.stdout)
            self.assertEqual(list(pathlib.Path(out).glob("*.yaml")), [])

    def test_same_seed_same_output(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            ra = fuzz("--seed", "3", "--runs", "300", "--profile",
                      "iommu.bugs=[skip-iotlb-flush]", out=a)
            rb = fuzz("--seed", "3", "--runs", "300", "--profile",
                      "iommu.bugs=[skip-iotlb-flush]", out=b)
            self.assertEqual(ra.stdout.replace(a, "OUT"), rb.stdout.replace(b, "OUT"))
            fa = sorted(p.name for p in pathlib.Path(a).glob("*.yaml"))
            self.assertEqual(fa, sorted(p.name for p in pathlib.Path(b).glob("*.yaml")))
            for name in fa:
                self.assertEqual((pathlib.Path(a) / name).read_text(),
                                 (pathlib.Path(b) / name).read_text())
        self.assertEqual(fuzz("--show", "5").stdout, fuzz("--show", "5").stdout)
        self.assertNotEqual(fuzz("--show", "5").stdout, fuzz("--show", "6").stdout)

    def test_usage_errors(self):
        for argv, msg in ((("--runs", "0"), "--runs needs a number >= 1"),
                          (("--steps", "99"), "--steps is 4 to 40"),
                          (("--profile", "iommu.bugs"), "--profile needs KEY=VALUE"),
                          (("file.yaml",), "fuzz takes no FILE")):
            res = fuzz(*argv)
            self.assertEqual(res.returncode, 2, argv)
            self.assertIn(msg, res.stderr)


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--iommusim", required=True)
    ARGS = p.parse_args()
    return run_case(Fuzz)


if __name__ == "__main__":
    sys.exit(main())
