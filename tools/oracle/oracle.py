#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The differential runner of the real-kernel oracle (docs/oracle.md).

For every entry of the corpus (tools/oracle/corpus/corpus.txt: a topology,
a test program and its arguments) and every kernel (6.1, 6.12), it

  1. boots the real kernel under QEMU with the topology turned into QEMU
     arguments (`iommusim qemu-args FILE --json`) and runs the program's
     guest build in it (one boot per topology and kernel, every program of
     that topology in it);
  2. runs the program's simulator build on the same file with --kernel set
     to the matching release;
  3. compares the two by check name.  A difference is explained when an
     entry of the divergence table (tools/oracle/divergences/*.txt) covers
     it; anything else fails the run and is printed.

    oracle.py --iommusim build/dev/iommusim --progs build/dev/oracle \
              [--kernels 6.1,6.12] [--only GLOB] [--jobs N] [--out DIR]

Exit 0 when every difference is explained, 1 otherwise, 2 on a set-up
error (no kernels: run tools/oracle/setup.sh; a topology QEMU cannot build).
Standard library only.
"""
import argparse
import concurrent.futures
import fnmatch
import glob
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import boot  # noqa: E402

CLASSES = ("emulator", "model-gap")
# The kernels the oracle boots (tools/oracle/setup.sh), each with the
# simulator's `kernel:` profile that must answer as it does.  6.12-iommufd
# is Linux 6.12 built with iommufd (Debian's binary kernels have none, so
# their simulator runs have no /dev/iommu: `iommufd: false`).
KERNELS = {"6.1": "6.1", "6.12": "6.12", "6.12-iommufd": "6.12"}
IOMMUFD = {"6.1": "off", "6.12": "off", "6.12-iommufd": "on"}


class SetupError(Exception):
    pass


# ---- the corpus and the divergence table ----------------------------------

def read_corpus(path):
    """[(topology file, program, kernels or None, [args])]: one line each,
    '#' comments; a topology may be a glob (every match); PROGRAM@K1,K2
    runs on those kernels only; '@all' stands for every function of the
    topology."""
    entries = []
    base = os.path.dirname(path)
    for n, line in enumerate(open(path), 1):
        line = line.split("#", 1)[0].split()
        if not line:
            continue
        if len(line) < 2:
            raise SetupError("%s:%d: want TOPOLOGY PROGRAM [ARGS...]" % (path, n))
        files = sorted(glob.glob(os.path.join(base, line[0])))
        if not files:
            raise SetupError("%s:%d: no topology matches %s" % (path, n, line[0]))
        prog, _, ks = line[1].partition("@")
        kernels = set(ks.split(",")) if ks else None
        if kernels and not kernels <= set(KERNELS):
            raise SetupError("%s:%d: unknown kernel in %s (%s)" %
                             (path, n, line[1], ", ".join(KERNELS)))
        for f in files:
            entries.append((f, prog, kernels, line[2:]))
    return entries


def read_divergences(d):
    """[(glob, kernels or None for all, class, reason, where)]."""
    table = []
    for path in sorted(glob.glob(os.path.join(d, "*.txt"))):
        for n, line in enumerate(open(path), 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            f = s.split(None, 3)
            where = "%s:%d" % (os.path.relpath(path, ROOT), n)
            if len(f) < 4 or f[2] not in CLASSES:
                raise SetupError("%s: want CHECK_GLOB KERNELS CLASS REASON (CLASS: %s)" %
                                 (where, ", ".join(CLASSES)))
            kernels = None if f[1] == "*" else set(f[1].split(","))
            table.append((f[0], kernels, f[2], f[3], where))
    return table


def explained(table, kernel, name):
    for e in table:
        if (e[1] is None or kernel in e[1]) and fnmatch.fnmatchcase(name, e[0]):
            return e
    return None


# ---- the two machines -------------------------------------------------------

def functions_of(iommusim, topo):
    out = subprocess.run([iommusim, "groups", topo, "--json"], capture_output=True, text=True)
    if out.returncode:
        raise SetupError("%s: %s" % (topo, out.stderr.strip()))
    return sorted(d for g in json.loads(out.stdout)["groups"] for d in g["devices"])


def qemu_args(iommusim, topo):
    """QEMU's arguments for @topo: qemu-args, or a handwritten FILE.qemu.json."""
    hand = os.path.splitext(topo)[0] + ".qemu.json"
    if os.path.exists(hand):
        return json.load(open(hand))
    out = subprocess.run([iommusim, "qemu-args", topo, "--json"], capture_output=True, text=True)
    if out.returncode:
        raise SetupError(out.stderr.strip() or "%s: qemu-args failed" % topo)
    return json.loads(out.stdout)


def checks_of(lines):
    """{name: value} of 'check NAME VALUE' lines, plus '@status'."""
    res = {}
    for l in lines:
        if l.startswith("check "):
            parts = l.split(" ", 2)
            name, val = parts[1], parts[2] if len(parts) > 2 else ""
            if name in res:
                res[name + "#dup"] = val
            res[name] = val
        elif l.startswith("status "):
            res["@status"] = l.split()[1]
    return res


def run_sim(progs, topo, prog, args, kernel):
    exe = os.path.join(progs, prog + "_sim")
    p = subprocess.run([exe, "--world", topo, "--kernel", KERNELS[kernel],
                        "--iommufd", IOMMUFD[kernel], "--"] + args,
                       capture_output=True, text=True, timeout=120)
    lines = p.stdout.split("\n") + ["status %d" % p.returncode]
    if p.returncode and p.stderr:
        lines.append("check @stderr %s" % p.stderr.strip().replace("\n", " | ")[:300])
    return lines


# ---- one topology on one kernel ----------------------------------------------

def run_topology(a, topo, items, kernel):
    """Boot @kernel on @topo, run @items [(label, prog, args)] there and in
    the simulator.  Returns (kernel release, secs, {label: (real, sim)})."""
    runs = [(label, os.path.join(a.progs, prog + "_guest"), args) for label, prog, args in items]
    res, secs = boot.boot(a.build, kernel, qemu_args(a.iommusim, topo), runs,
                          timeout=a.timeout)
    out = {}
    for label, prog, args in items:
        out[label] = (res.get(label, []), run_sim(a.progs, topo, prog, args, kernel))
    return res.get("@kernel", "?"), secs, out


def compare(real, sim):
    """[(name, real value or None, sim value or None)] where they differ."""
    r, s = checks_of(real), checks_of(sim)
    return [(n, r.get(n), s.get(n)) for n in sorted(set(r) | set(s)) if r.get(n) != s.get(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iommusim", required=True)
    ap.add_argument("--progs", required=True, help="the directory of NAME_sim and NAME_guest")
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "oracle"),
                    help="where setup.sh put the kernels")
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus", "corpus.txt"))
    ap.add_argument("--divergences", default=os.path.join(HERE, "divergences"))
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument("--only", help="only topologies whose file name matches this glob")
    ap.add_argument("--jobs", type=int, default=2, help="QEMU guests at once (default 2)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per boot")
    ap.add_argument("--out", help="write each target's check lines here")
    ap.add_argument("--skip-if-missing", action="store_true",
                    help="exit 77 (skipped) when the kernels or QEMU are not set up "
                         "(not under CI=true: there it is an error)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print explained differences too")
    a = ap.parse_args()
    kernels = a.kernels.split(",")
    if a.skip_if_missing:
        missing = [k for k in kernels
                   if not os.path.exists(os.path.join(a.build, "kernels", k, "vmlinuz"))]
        if (missing or not shutil.which("qemu-system-x86_64")) and os.environ.get("CI"):
            print("oracle: kernels %s or QEMU not set up, and CI must run the oracle" %
                  ",".join(missing or kernels), file=sys.stderr)
            return 2
        if missing or not shutil.which("qemu-system-x86_64"):
            print("oracle: skipped: kernels %s or QEMU not set up (tools/bootstrap.sh --oracle)"
                  % ",".join(missing or kernels))
            return 77

    try:
        table = read_divergences(a.divergences)
        entries = read_corpus(a.corpus)
        if a.only:
            entries = [e for e in entries if fnmatch.fnmatch(os.path.basename(e[0]), a.only)]
        for k in kernels:
            if k not in KERNELS:
                raise SetupError("unknown kernel %s (%s)" % (k, ", ".join(KERNELS)))
            boot.kernel_dir(a.build, k)
        # topology -> [(label, prog, kernels, args)], '@all' expanded
        by_topo = {}
        for topo, prog, ks, args in entries:
            if "@all" in args:
                i = args.index("@all")
                args = args[:i] + functions_of(a.iommusim, topo) + args[i + 1:]
            items = by_topo.setdefault(topo, [])
            items.append(("%s#%d" % (prog, len(items)), prog, ks, args))
        for topo in by_topo:
            qemu_args(a.iommusim, topo)   # refuse early what QEMU cannot build
    except (SetupError, boot.BootError) as e:
        print("oracle: %s" % e, file=sys.stderr)
        return 2

    def items_on(topo, k):
        return [(label, prog, args) for label, prog, ks, args in by_topo[topo]
                if ks is None or k in ks]

    if a.out:   # this run's lines only: no topology left over from an earlier corpus
        for d in glob.glob(os.path.join(a.out, "linux-*")) + glob.glob(os.path.join(a.out, "sim-*")):
            shutil.rmtree(d)
    jobs = [(topo, k) for topo in sorted(by_topo) for k in kernels if items_on(topo, k)]
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = {ex.submit(run_topology, a, topo, items_on(topo, k), k): (topo, k)
                for topo, k in jobs}
        for f in concurrent.futures.as_completed(futs):
            try:
                results[futs[f]] = f.result()
            except (boot.BootError, SetupError, subprocess.SubprocessError) as e:
                results[futs[f]] = e

    used, failures = set(), 0
    total = {k: 0 for k in kernels}
    explained_n = {k: 0 for k in kernels}
    releases = {}
    groups_bad = set()
    for topo, k in jobs:
        name = os.path.relpath(topo, HERE)
        r = results[(topo, k)]
        if isinstance(r, Exception):
            print("FAIL %s on %s: %s" % (name, k, r))
            failures += 1
            groups_bad.add(topo)
            continue
        release, secs, out = r
        releases[k] = release
        topo_ok = True
        for label, prog, args in items_on(topo, k):
            real, sim = out[label]
            if a.out:
                for tgt, lines in (("linux-" + k, real), ("sim-" + k, sim)):
                    d = os.path.join(a.out, tgt, os.path.splitext(os.path.basename(topo))[0])
                    os.makedirs(d, exist_ok=True)
                    with open(os.path.join(d, label.replace("#", "-") + ".txt"), "w") as fh:
                        fh.write("\n".join(l for l in lines if l) + "\n")
            n = sum(1 for c in checks_of(real) if not c.startswith("@"))
            total[k] += n
            for cname, rv, sv in compare(real, sim):
                e = explained(table, k, cname)
                if e:
                    used.add(e[4])
                    explained_n[k] += 1
                    if a.verbose:
                        print("explained %s %s %s: linux %s, sim %s (%s: %s)" %
                              (name, k, cname, rv, sv, e[4], e[2]))
                    continue
                topo_ok = False
                failures += 1
                if prog == "groups":
                    groups_bad.add(topo)
                print("DIFF %s on %s, %s %s: linux %s, sim %s" %
                      (name, k, prog, cname, "(none)" if rv is None else rv,
                       "(none)" if sv is None else sv))
        print("%s %s on %s (%s, %.1f s)" % ("ok  " if topo_ok else "FAIL", name, k,
                                          release, secs))

    summary = []
    for e in table:
        if e[4] not in used:
            summary.append("note: divergence %s (%s) matched nothing this run" % (e[4], e[0]))
    summary.append("oracle: kernels %s" % ", ".join(
        "%s = %s (simulator: kernel %s)" % (k, releases.get(k, "?"), KERNELS[k]) for k in kernels))
    for k in kernels:
        summary.append("oracle: %d checks on %s, %d differences explained by the divergence table"
                       % (total[k], k, explained_n[k]))
    gtopos = [t for t in by_topo if any(e[1] == "groups" for e in by_topo[t])]
    summary.append("oracle: groups equal on %d of %d topologies with a groups check, on every "
                   "kernel" % (sum(1 for t in gtopos if t not in groups_bad), len(gtopos)))
    summary.append("oracle: %d unexplained differences" % failures)
    print("\n".join(summary))
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "summary.txt"), "w") as fh:
            fh.write("\n".join(summary) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
