#!/usr/bin/env python3
"""`iommusim fuzz`, the operation-sequence fuzzer (standard library only).

Its acceptance test (issue 13): with each kernel bug the profile can inject,
a bounded run finds it, shrinks it to a scenario file of at most ten
generated steps, and that file fails under `iommusim run` with the same kind
of violation; on the code as it is, a bounded run finds nothing.  The other
oracles are shown to fire: the differential against a --variant machine,
the fail-nth runs.  The same seed gives the same output, byte for byte, with
one process or two; a fuzz_ops input decodes to the run it was recorded
from.
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
# every bug the profile injects (model/iommu/domain.c bug_names), with the
# invariant that names it
BUGS = {
    "skip-iotlb-flush": "§H8 stale",
    "skip-devtlb-flush": "§H",
    "flush-before-write": "§H8 stale IOTLB entry",
    "skip-nested-flush": "§H8 stale IOTLB entry",
    "skip-context-flush": "§H8 stale",
    "skip-dirty-flush": "§H9 stale dirty state",
    "leak-pin-on-error": "§H10",
    "pasid-free-while-bound": "§H26",
}
RUNS = "4000"   # the budget per bug (each is found within a few hundred today)


def fuzz(*argv, out=None):
    cmd = [ARGS.iommusim, "fuzz", *argv]
    if out:
        cmd += ["--out", out]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1200)


def iommusim(*argv):
    return subprocess.run([ARGS.iommusim, *argv], capture_output=True, text=True,
                          timeout=120)


def only_file(test, out, res):
    files = sorted(pathlib.Path(out).glob("fuzz-*.yaml"))
    test.assertEqual(len(files), 1, res.stdout + res.stderr)
    return files[0]


class Fuzz(unittest.TestCase):
    def test_injected_bugs_found_and_shrunk(self):
        for bug, what in BUGS.items():
            with self.subTest(bug=bug), tempfile.TemporaryDirectory() as out:
                res = fuzz("--seed", "1", "--runs", RUNS, "--stop", "--jobs", "2",
                           "--profile", f"iommu.bugs=[{bug}]", out=out)
                self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
                path = only_file(self, out, res)
                text = path.read_text()
                self.assertIn(f"invariant {what}", text)
                m = re.search(r"shrunk from (\d+) to (\d+)", text)
                self.assertTrue(m, text)
                self.assertLessEqual(int(m.group(2)), 10, text)
                # the file shows the same violation, and (each step expecting
                # what it did) nothing but invariant lines fail; a finding of
                # the fail-nth oracle says which call to fail
                nth = re.search(r"`iommusim run --fail-nth-step (\d+) FILE`", text)
                extra = ["--fail-nth-step", nth.group(1)] if nth else []
                run = iommusim("run", *extra, str(path))
                self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
                self.assertIn(f"invariant {what}", run.stdout)
                for line in re.findall(r"^      line \d+: (.*)$", run.stdout, re.M):
                    if "is not open" in line:
                        continue
                    self.assertTrue(line.startswith("invariant"), run.stdout)

    def test_clean_code_finds_nothing(self):
        """Every oracle on: invariants, §H19/§H18, replay, differential, fail-nth."""
        with tempfile.TemporaryDirectory() as out:
            res = fuzz("--seed", "7", "--runs", "1500", "--jobs", "2", out=out)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            self.assertIn("0 distinct failure(s)", res.stdout)
            self.assertNotIn("refused", res.stdout)
            self.assertEqual(list(pathlib.Path(out).glob("*.yaml")), [])

    def test_long_run_findings_stay_fixed(self):
        """Runs of the long runs that found something once, again: seed 100
        run 236291 was a false differential (a GET_DEVICE_FD on a closed
        group handle counted as an open device fd, so the backends'
        attach-at-open divergence was taken for a bug); seed 2026 run 1243
        the same after an exec, which closes the close-on-exec device fds."""
        for seed, run in (("100", "236291"), ("2026", "1243")):
            res = fuzz("--seed", seed, "--first-run", run, "--runs", "1")
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            self.assertIn("1 runs", res.stdout)

    def test_differential_oracle(self):
        """A machine with the IOTLB flush left out lets DMAs land that fault on
        the machine itself: the differential sees it (its invariants are not
        asked), and the file expects the variant's fate at that step."""
        with tempfile.TemporaryDirectory() as out:
            # seed 4 finds it within 500 runs since the vIOMMU steps joined
            # the grammar (seed 1 no longer does within the budget)
            res = fuzz("--seed", "4", "--runs", RUNS, "--stop", "--jobs", "2",
                       "--variant", "iommu.bugs=[skip-iotlb-flush]", out=out)
            self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
            self.assertIn("differential variant:", res.stdout)
            path = only_file(self, out, res)
            self.assertIn("landed under the variant", path.read_text())
            run = iommusim("run", str(path))
            self.assertEqual(run.returncode, 1, run.stdout)
            self.assertIn("expected the DMA to land, got", run.stdout)

    def test_fail_nth_step(self):
        """`run --fail-nth-step N` counts from the first step: the boot is
        never the call that fails."""
        scen = pathlib.Path(__file__).resolve().parent / "scenarios" / "quickstart.yaml"
        res = iommusim("run", "--fail-nth-step", "1", str(scen))
        self.assertIn("fault injection: call 1 of '*' failed", res.stdout)
        self.assertNotIn("building the world", res.stdout + res.stderr)
        big = iommusim("run", "--fail-nth-step", "1000000", str(scen))
        self.assertEqual(big.returncode, 0, big.stdout)
        self.assertIn("was not reached", big.stdout)

    def test_same_seed_same_output(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            # a seed whose 300 runs find the bug (seed 1: run 41)
            ra = fuzz("--seed", "1", "--runs", "300", "--profile",
                      "iommu.bugs=[skip-iotlb-flush]", out=a)
            rb = fuzz("--seed", "1", "--runs", "300", "--jobs", "2", "--profile",
                      "iommu.bugs=[skip-iotlb-flush]", out=b)
            self.assertEqual(ra.stdout.replace(a, "OUT"), rb.stdout.replace(b, "OUT"))
            fa = sorted(p.name for p in pathlib.Path(a).glob("*.yaml"))
            self.assertTrue(fa, ra.stdout)
            self.assertEqual(fa, sorted(p.name for p in pathlib.Path(b).glob("*.yaml")))
            for name in fa:
                self.assertEqual((pathlib.Path(a) / name).read_text(),
                                 (pathlib.Path(b) / name).read_text())
        self.assertEqual(fuzz("--show", "5").stdout, fuzz("--show", "5").stdout)
        self.assertNotEqual(fuzz("--show", "5").stdout, fuzz("--show", "6").stdout)

    def test_seeds_decode_to_their_runs(self):
        """fuzz_ops inputs are the generator's choices: a recorded run
        decodes to that run's file; any bytes decode to a loadable file."""
        with tempfile.TemporaryDirectory() as d:
            res = fuzz("--seed", "4", "--runs", "6", "--emit-seeds", d)
            self.assertEqual(res.returncode, 0, res.stderr)
            for run in range(6):
                seed = pathlib.Path(d) / f"ops-4-{run}"
                dec = fuzz("--decode", str(seed)).stdout
                shown = fuzz("--seed", "4", "--show", str(run)).stdout
                body = [l for l in dec.splitlines() if not l.startswith(("#", "name:"))]
                want = [l for l in shown.splitlines() if not l.startswith("name:")]
                self.assertEqual(body, want, run)
            junk = pathlib.Path(d) / "junk"
            for data in (b"", b"\xff" * 7, bytes(range(256)) * 3):
                junk.write_bytes(data)
                text = fuzz("--decode", str(junk)).stdout
                scen = pathlib.Path(d) / "junk.yaml"
                scen.write_text(text)
                chk = iommusim("check", str(scen))
                self.assertEqual(chk.returncode, 0, text + chk.stderr)

    def test_ops_and_profile_file(self):
        with tempfile.TemporaryDirectory() as d:
            res = fuzz("--seed", "2", "--runs", "20", "--ops", "dma,fill", "--show", "3")
            steps = re.findall(r"^  - (\w+):", res.stdout, re.M)
            middle = [s for s in steps if s not in ("open", "alloc", "close", "ioctl",
                                                   "guest_table", "guest_map",
                                                   "pasid_attach", "pasid_detach")]
            self.assertTrue(middle, res.stdout)
            self.assertTrue(set(middle) <= {"dma", "fill"}, middle)
            prof = pathlib.Path(d) / "p.yaml"
            prof.write_text("kernel: \"6.12\"\nvfio: {dma_entry_limit: 4}\n")
            shown = fuzz("--profile", str(prof), "--show", "0").stdout
            self.assertIn("  kernel: \"6.12\"\n  vfio: {dma_entry_limit: 4}\n", shown)
            prof.write_text("# a comment\nvfio: {dma_entry_limt: 4}\n")
            bad = fuzz("--profile", str(prof), "--runs", "1")
            self.assertEqual(bad.returncode, 2, bad.stdout)
            self.assertIn(f"{prof}:2:8: error: unknown key 'dma_entry_limt'", bad.stderr)
            prof.write_text("iommu: {format: vtd}\n")
            bad = fuzz("--profile", str(prof), "--runs", "1")
            self.assertEqual(bad.returncode, 2, bad.stdout)
            self.assertIn("the iommu map is the generator's", bad.stderr)

    def test_usage_errors(self):
        for argv, msg in ((("--runs", "0"), "--runs needs a number >= 1"),
                          (("--steps", "99"), "--steps is 4 to 40"),
                          (("--profile", "iommu.bugs"), "--profile needs KEY=VALUE or a FILE"),
                          (("--variant", "x"), "--variant needs KEY=VALUE"),
                          (("--jobs", "0"), "--jobs is 1 to 64"),
                          (("--time", "soon"), "--time needs seconds > 0"),
                          (("--ops", "dma,frobnicate"), "'frobnicate' is not a step kind"),
                          (("--ops", "expect"), "'expect' is not a step kind"),
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
