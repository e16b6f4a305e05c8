#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot one of the oracle's real kernels under QEMU and run test programs in it.

The guest is QEMU's q35 with an emulated Intel IOMMU (TCG, no KVM needed),
the topology given as QEMU arguments (iommusim qemu-args), the kernel from
tools/oracle/setup.sh and an initramfs made by initramfs.py: busybox, the
VFIO modules and the programs.  The programs' output comes back on the
second serial port; the kernel's console goes to a log file beside it.

    boot.py --kernel 6.1 --qemu-args-json ARGS.json --run PROG [ARG...] [--run ...]

Standard library only.  Used by oracle.py.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The machine: q35, an Intel IOMMU with interrupt remapping (which needs the
# split irqchip) and caching mode, nothing QEMU adds by default (-nodefaults:
# no VGA, no NIC), 512 MiB.  aw-bits stays QEMU 7.2's default, 39.
MACHINE = ["-machine", "q35,kernel-irqchip=split", "-accel", "tcg", "-m", "512",
           "-nodefaults", "-display", "none", "-no-reboot",
           "-device", "intel-iommu,intremap=on,caching-mode=on"]
CMDLINE = "console=ttyS0 quiet loglevel=1 panic=-1 intel_iommu=on iommu=nopt"
MODULES = ["vfio-pci", "vfio_iommu_type1"]


class BootError(Exception):
    pass


def kernel_dir(build, version):
    d = os.path.join(build, "kernels", version)
    if not os.path.exists(os.path.join(d, "vmlinuz")):
        raise BootError("kernel %s is not set up in %s: run tools/oracle/setup.sh" % (version, d))
    return d


def main_script(runs):
    """The guest's /oracle/main: each program in turn, framed by @@ lines."""
    lines = ["#!/bin/sh"]
    for label, prog, args in runs:
        lines.append("echo '@@ run %s'" % label)
        lines.append("/oracle/%s -- %s" % (os.path.basename(prog),
                                           " ".join(shlex.quote(a) for a in args)))
        lines.append("echo \"@@ status $?\"")
    return "\n".join(lines) + "\n"


def boot(build, version, qemu_args, runs, timeout=300, workdir=None, keep_log=None):
    """Boot @version with @qemu_args, run @runs = [(label, guest_binary, args)].

    Returns {label: [output lines]} and the kernel release.  Raises BootError
    when the guest does not reach '@@ end' (a crash, a QEMU abort, a timeout).
    """
    kd = kernel_dir(build, version)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        main = os.path.join(tmp, "main")
        with open(main, "w") as fh:
            fh.write(main_script(runs))
        initrd = os.path.join(tmp, "initrd.cpio")
        cmd = [sys.executable, os.path.join(HERE, "initramfs.py"),
               "--modules-dir", os.path.join(kd, "modules"),
               "--init", os.path.join(HERE, "init.sh"),
               "--add", main + ":/oracle/main", "-o", initrd]
        # a kernel built with everything in (6.12-iommufd) has no modules
        if not os.path.exists(os.path.join(kd, "builtin")):
            for m in MODULES:
                cmd += ["--module", m]
        for prog in sorted({p for _, p, _ in runs}):
            cmd += ["--add", "%s:/oracle/%s" % (prog, os.path.basename(prog))]
        subprocess.run(cmd, check=True)
        out = os.path.join(tmp, "out.txt")
        log = keep_log or os.path.join(tmp, "console.txt")
        qemu = (["qemu-system-x86_64"] + MACHINE + list(qemu_args) +
                ["-kernel", os.path.join(kd, "vmlinuz"), "-initrd", initrd,
                 "-append", CMDLINE, "-serial", "file:" + log, "-serial", "file:" + out])
        t0 = time.monotonic()
        try:
            p = subprocess.run(qemu, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BootError("kernel %s: no power-off within %d s" % (version, timeout))
        secs = time.monotonic() - t0
        text = open(out, errors="replace").read() if os.path.exists(out) else ""
        lines = [l.rstrip("\r") for l in text.split("\n")]
        if "@@ end" not in lines:
            console = open(log, errors="replace").read().split("\n") if os.path.exists(log) else []
            raise BootError("kernel %s: the guest did not finish (QEMU exit %d): %s\n"
                            "-- results, last lines:\n%s\n-- console, last lines:\n%s" %
                            (version, p.returncode, p.stderr.strip()[-2000:],
                             "\n".join(lines[-10:]), "\n".join(console[-25:])))
        return parse(lines), secs


def parse(lines):
    """{'@kernel': release, label: [lines]} from the result channel."""
    res, cur = {}, None
    for l in lines:
        if l.startswith("@@ kernel "):
            res["@kernel"] = l[len("@@ kernel "):]
        elif l.startswith("@@ run "):
            cur = l[len("@@ run "):]
            res[cur] = []
        elif l.startswith("@@ error "):
            res.setdefault("@errors", []).append(l[3:])
        elif l.startswith("@@ "):
            if cur and l.startswith("@@ status "):
                res[cur].append("status " + l[len("@@ status "):])
        elif cur is not None and l:
            res[cur].append(l)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "oracle"))
    ap.add_argument("--kernel", required=True, help="6.1, 6.12 or 6.12-iommufd")
    ap.add_argument("--qemu-args-json", help="a file with iommusim qemu-args --json output")
    ap.add_argument("--log", help="keep the kernel's console log here")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--run", nargs=argparse.REMAINDER, action="append", default=[],
                    help="PROG [ARGS...]: a guest program (a _guest build) and its arguments")
    a = ap.parse_args()
    qargs = json.load(open(a.qemu_args_json)) if a.qemu_args_json else []
    runs = []
    for r in a.run:
        # argparse.REMAINDER swallows later --run options: split them again
        cur = []
        for tok in r + ["--run"]:
            if tok == "--run":
                if cur:
                    runs.append((os.path.basename(cur[0]), cur[0], cur[1:]))
                cur = []
            else:
                cur.append(tok)
    try:
        res, secs = boot(a.build, a.kernel, qargs, runs, a.timeout, keep_log=a.log)
    except BootError as e:
        sys.exit("boot: %s" % e)
    print("@@ kernel %s (%.1f s)" % (res.get("@kernel", "?"), secs))
    for label, _, _ in runs:
        print("@@ run %s" % label)
        for l in res.get(label, []):
            print(l)


if __name__ == "__main__":
    main()
