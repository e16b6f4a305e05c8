#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Build the oracle's initramfs: a newc cpio archive, byte-identical for the
same inputs (every mtime 0, inodes numbered in order, entries sorted).

It holds busybox (static, one symlink per applet except 'busybox' itself,
whose own name is in its applet list), the kernel modules named with
--module plus everything they depend on (read from each module's .modinfo
'depends=' string, decompressed from .ko.xz), an /etc/modules list in load
order (dependencies first), the test programs and the init script.

    initramfs.py --modules-dir DIR --busybox /bin/busybox --init FILE \
                 --module vfio-pci --add prog:/oracle/prog -o out.cpio

Standard library only.
"""
import argparse
import lzma
import os
import subprocess
import sys


class Cpio:
    """A newc ('070701') archive writer."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 1
        self.names = set()

    def _entry(self, name, mode, data=b"", nlink=1):
        if name in self.names:
            return
        self.names.add(name)
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(nb), 0))
        self.ino += 1
        self.out += hdr.encode() + nb
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def dir(self, name):
        self._entry(name, 0o040755, nlink=2)

    def file(self, name, data, mode=0o100644):
        self._entry(name, mode, data)

    def symlink(self, name, target):
        self._entry(name, 0o120777, target.encode())

    def dirs_for(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d:
                self.dir(d)

    def finish(self):
        self._entry("TRAILER!!!", 0, nlink=1)
        self.out += b"\0" * (-len(self.out) % 512)
        return bytes(self.out)


def norm(name):
    return name.replace("-", "_")


def index_modules(root):
    """Module name (with '_') -> path of its .ko or .ko.xz under @root."""
    idx = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            for suffix in (".ko.xz", ".ko"):
                if f.endswith(suffix):
                    idx.setdefault(norm(f[: -len(suffix)]), os.path.join(dirpath, f))
    return idx


def module_bytes(path):
    with open(path, "rb") as fh:
        data = fh.read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def depends(data):
    """The module's 'depends=a,b' modinfo string, as a list."""
    key = b"\0depends="
    at = data.find(key)
    if at < 0:
        return []
    end = data.index(b"\0", at + len(key))
    s = data[at + len(key):end].decode()
    return [norm(d) for d in s.split(",") if d]


def resolve(idx, wanted):
    """Modules in load order: each after everything it depends on."""
    order, seen, blobs = [], set(), {}

    def visit(name, chain):
        if name in seen:
            return
        if name in chain:
            sys.exit("initramfs: module dependency cycle: " + " -> ".join(chain + [name]))
        if name not in idx:
            sys.exit("initramfs: no module %r in the kernel's modules" % name)
        data = module_bytes(idx[name])
        for d in depends(data):
            visit(d, chain + [name])
        seen.add(name)
        blobs[name] = data
        order.append(name)

    for w in wanted:
        visit(norm(w), [])
    return order, blobs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--modules-dir", required=True, help="lib/modules/VERSION of the kernel")
    ap.add_argument("--busybox", default="/bin/busybox")
    ap.add_argument("--init", required=True, help="the /init script")
    ap.add_argument("--module", action="append", default=[], help="a module to load (with its dependencies)")
    ap.add_argument("--add", action="append", default=[], help="SRC:DST, a file to include (executable)")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()

    c = Cpio()
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "lib", "lib/modules", "oracle"):
        c.dir(d)
    with open(a.busybox, "rb") as fh:
        c.file("bin/busybox", fh.read(), 0o100755)
    applets = subprocess.run([a.busybox, "--list"], check=True, capture_output=True,
                             text=True).stdout.split()
    for app in sorted(set(applets)):
        if app != "busybox":
            c.symlink("bin/" + app, "busybox")
    c.symlink("sbin", "bin")

    order, blobs = resolve(index_modules(a.modules_dir), a.module)
    for name in order:
        c.file("lib/modules/%s.ko" % name, blobs[name])
    c.file("etc/modules", "".join(n + "\n" for n in order).encode())

    with open(a.init, "rb") as fh:
        c.file("init", fh.read(), 0o100755)
    for spec in sorted(a.add):
        src, _, dst = spec.partition(":")
        dst = dst.lstrip("/") or "oracle/" + os.path.basename(src)
        c.dirs_for(dst)
        with open(src, "rb") as fh:
            c.file(dst, fh.read(), 0o100755)

    tmp = a.output + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(c.finish())
    os.replace(tmp, a.output)


if __name__ == "__main__":
    main()
