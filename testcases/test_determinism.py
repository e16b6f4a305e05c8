#!/usr/bin/env python3
"""What --seed means, held to account (standard library only).

A run's output depends only on the scenario, the seed and the options
(docs/architecture.md, Determinism).  The seed feeds the world's RNG
(sim/rng.c), which only the choices a user asks for draw from:

  - `pattern: random` in a fill or a dma write (sim_rng_fill, traced with
    the bytes' digest);
  - `--fail-random P`, or the profile's `fault_inject: {probability, sites}`:
    each call to a failure site fails with probability P once the world is
    built (sim_fault_probability, sim/fault.c).

So: the same file and seed give byte-identical output; two different seeds
give different output exactly when the run draws from the RNG; and a run
that draws nothing is the same under every seed.  Under random fault
injection every scenario of the VFIO, mdev, nested and iommufd corpus must
also stay well behaved: exit 0 or 1 (never a crash, never "bad input"), no error message,
and the same seed failing the same calls.
"""
import argparse
import pathlib
import subprocess
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from driver_common import run_case  # noqa: E402

ARGS = None
RANDOM_PAYLOAD = "runner/seeded-random-payload.yaml"
FAULTY = "vfio/seed-usage-flow.yaml"
PROFILE_FAULTS = "runner/seeded-fault-injection.yaml"


def run(*argv):
    return subprocess.run([ARGS.iommusim, *argv], capture_output=True, text=True, timeout=120)


def scenario(rel):
    return str(ARGS.root / rel)


class Determinism(unittest.TestCase):
    maxDiff = None

    def outputs(self, rel, seeds, *opts):
        return {s: run("run", scenario(rel), "--seed", str(s), *opts) for s in seeds}

    def test_random_payload_same_seed_same_bytes(self):
        opts = ("--trace", "json")
        a, b = run("run", scenario(RANDOM_PAYLOAD), "--seed", "5", *opts), \
            run("run", scenario(RANDOM_PAYLOAD), "--seed", "5", *opts)
        self.assertEqual(a.returncode, 0, a.stdout + a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        self.assertEqual(a.stdout.count('"event":"sim_rng_fill"'), 2, a.stdout)

    def test_random_payload_other_seed_other_bytes(self):
        opts = ("--trace", "text", "--trace-events", "sim_rng_fill", "--no-groups")
        outs = self.outputs(RANDOM_PAYLOAD, (1, 2, 3), *opts)
        draws = {}
        for seed, res in outs.items():
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            lines = [l.split("sim_rng_fill: ")[1] for l in res.stdout.splitlines()
                     if "sim_rng_fill: " in l]
            self.assertEqual([l.split()[0] for l in lines], ["len=65536", "len=16384"], lines)
            draws[seed] = tuple(lines)
        # three seeds, three different pairs of payloads (every digest differs)
        digests = [d for pair in draws.values() for d in pair]
        self.assertEqual(len(set(digests)), 6, draws)
        # and nothing but the draws: the report itself does not depend on them
        strip = [[l for l in r.stdout.splitlines() if "sim_rng_fill" not in l]
                 for r in outs.values()]
        self.assertEqual(strip[0], strip[1])
        self.assertEqual(strip[0], strip[2])

    def test_seed_without_draws_changes_nothing(self):
        # quickstart asks for no seeded choice: every seed, one output
        outs = self.outputs("quickstart.yaml", (0, 1, 99), "--trace", "json")
        texts = {r.stdout for r in outs.values()}
        self.assertEqual(len(texts), 1, "a seed changed a run that draws nothing")

    def test_fail_random_same_seed_same_failures(self):
        opts = ("--fail-random", "0.05", "--trace", "json", "--trace-events", "sim_fault_inject")
        a = self.outputs(FAULTY, (4,), *opts)[4]
        b = self.outputs(FAULTY, (4,), *opts)[4]
        self.assertIn(a.returncode, (0, 1), a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        self.assertIn("fault injection: ", a.stdout)
        self.assertIn("(chance 50 in 1000, seed 4)", a.stdout)

    def test_fail_random_other_seed_other_failures(self):
        outs = self.outputs(FAULTY, range(1, 7), "--fail-random", "0.05", "--trace", "json",
                            "--trace-events", "sim_fault_inject")
        injected = {}
        for seed, res in outs.items():
            self.assertIn(res.returncode, (0, 1), res.stdout + res.stderr)
            self.assertNotIn("error:", res.stderr)
            injected[seed] = [l for l in res.stdout.splitlines() if "sim_fault_inject" in l]
        # the failed calls differ between seeds: at least four distinct sets
        # of injected failures among six seeds
        self.assertGreaterEqual(len({tuple(v) for v in injected.values()}), 4, injected)
        self.assertTrue(any(injected.values()), "no seed injected anything")

    def test_profile_fault_inject(self):
        # the scenario's own fault_inject: which MAP_DMA calls fail is the seed's
        outs = self.outputs(PROFILE_FAULTS, range(0, 6), "--no-groups")
        failed = {}
        for seed, res in outs.items():
            self.assertIn(res.returncode, (0, 1), res.stdout + res.stderr)
            self.assertNotIn("invariant", res.stdout)      # nothing leaks (§H19)
            self.assertIn(f"calls to 'vfio_dma_*' failed (chance 500 in 1000, seed {seed})",
                          res.stdout)
            failed[seed] = tuple(l for l in res.stdout.splitlines() if "=> -ENOMEM" in l)
        self.assertGreaterEqual(len(set(failed.values())), 4, failed)
        again = self.outputs(PROFILE_FAULTS, (3,), "--no-groups")[3]
        self.assertEqual(again.stdout, outs[3].stdout)
        # --fail-random overrides the profile (its sites and chance)
        res = run("run", scenario(PROFILE_FAULTS), "--fail-random", "0.001",
                  "--fail-sites", "nothing_*")
        self.assertEqual(res.returncode, 0, res.stdout)
        self.assertIn("fault injection: 0 of 0 calls to 'nothing_*' failed (chance 1 in 1000",
                      res.stdout)

    def test_fail_random_one_is_every_call(self):
        # probability 1 fails every call to a matching site after the boot:
        # a fixed error path, whatever the seed (only the report's seed differs)
        outs = self.outputs(FAULTY, (1, 2), "--fail-random", "1", "--fail-sites", "file_alloc")
        self.assertEqual(outs[1].stdout, outs[2].stdout.replace("seed 2)", "seed 1)"))
        self.assertEqual(outs[1].returncode, 1)

    def test_fail_random_option_errors(self):
        for bad in ("0", "1.5", "-0.1", "x", "0.0001"):
            res = run("run", scenario(FAULTY), "--fail-random", bad)
            self.assertEqual(res.returncode, 2, bad)
            self.assertIn("--fail-random needs a probability from 0.001 to 1", res.stderr)
        res = run("run", scenario(FAULTY), "--fail-random", "0.1", "--fail-nth", "3")
        self.assertEqual(res.returncode, 2)
        self.assertIn("--fail-nth and --fail-random exclude each other", res.stderr)

    def test_front_cache_changes_nothing(self):
        """The IOMMU model's front cache is a memo of the slow path's cache
        hits (docs/dma-path.md): every scenario that translates gives the
        same report and the same full trace with it and without it
        (--no-front-cache), on every IOMMU kind, and with random faults."""
        files = [f for d in ("vfio", "mdev", "nested", "devices", "hostile", "iommufd")
                 for f in sorted((ARGS.root / d).glob("*.yaml"))
                 if "# expect-error:" not in f.read_text(errors="replace")]
        self.assertTrue(files)
        for f in files:
            for extra in (("--format", "vtd"), ("--format", "arm-smmuv3"),
                          ("--format", "riscv"), ("--fail-random", "0.02", "--seed", "3")):
                argv = ("run", str(f), "--trace", "json", "--trace-events", "*", *extra)
                a, b = run(*argv), run(*argv, "--no-front-cache")
                with self.subTest(scenario=f.name, opts=" ".join(extra)):
                    self.assertEqual(a.returncode, b.returncode, a.stderr + b.stderr)
                    self.assertEqual(a.stdout, b.stdout)
                    self.assertEqual(a.stderr, b.stderr)

    def test_boot_world_reuse_changes_nothing(self):
        """A run with no option of its own takes the world the loader built
        (tools/scenario/runner.c, boot_reusable); a run that needs its own
        world builds it again.  Both give the same report, and many files in
        one process give what one process per file gives."""
        files = [f for d in ("vfio", "mdev", "nested", "devices", "hostile", "runner")
                 for f in sorted((ARGS.root / d).glob("*.yaml"))
                 if "# expect-error:" not in f.read_text(errors="replace")]
        self.assertTrue(files)
        one = [run("run", str(f)) for f in files]
        for f, a in zip(files, one):
            b = run("run", str(f), "--no-front-cache")     # a fresh world
            with self.subTest(scenario=f.name):
                self.assertEqual(a.returncode, b.returncode, a.stderr + b.stderr)
                self.assertEqual(a.stdout, b.stdout)
        together = run("run", *map(str, files))
        self.assertEqual(together.stdout, "".join(r.stdout for r in one))
        self.assertEqual(together.returncode, max(r.returncode for r in one))

    def test_corpus_under_random_faults(self):
        files = sorted((ARGS.root / "vfio").glob("*.yaml")) + \
            sorted((ARGS.root / "mdev").glob("*.yaml")) + \
            sorted((ARGS.root / "nested").glob("*.yaml")) + \
            sorted((ARGS.root / "iommufd").glob("*.yaml"))
        # scenarios that must fail to load are run_scenarios.py's business
        files = [f for f in files if "# expect-error:" not in f.read_text(errors="replace")]
        self.assertTrue(files)
        for f in files:
            for seed in (1, 2):
                argv = ("run", str(f), "--seed", str(seed), "--fail-random", "0.02")
                a, b = run(*argv), run(*argv)
                self.assertIn(a.returncode, (0, 1), f"{' '.join(argv)}\n{a.stdout}{a.stderr}")
                self.assertNotIn("error:", a.stderr, " ".join(argv))
                self.assertEqual(a.stdout, b.stdout, f"{' '.join(argv)}: two runs differ")


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iommusim", required=True)
    p.add_argument("--root", required=True, type=pathlib.Path,
                   help="testcases/scenarios")
    ARGS, _ = p.parse_known_args()
    return run_case(Determinism)


if __name__ == "__main__":
    sys.exit(main())
