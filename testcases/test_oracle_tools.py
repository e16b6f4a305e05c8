#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of the real-kernel oracle's own tools (tools/oracle), which need no
QEMU and no kernel: the initramfs builder (a well-formed, byte-identical newc
archive; modules after their dependencies; busybox's applets without the
'busybox' self-link), the result-channel parser, the comparison and the
divergence table, the corpus reader, and the truth of docs/oracle.md's
divergence table.

    test_oracle_tools.py --root SRC [--iommusim build/dev/iommusim]

Standard library only; prints 'N passed, N failed'.
"""
import argparse
import lzma
import os
import subprocess
import sys
import tempfile
import traceback

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--iommusim")
A = ap.parse_args()
ORACLE = os.path.join(A.root, "tools", "oracle")
sys.path.insert(0, ORACLE)
import boot  # noqa: E402
import initramfs  # noqa: E402
import oracle  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def read_newc(data):
    """[(name, mode, body)] of a newc archive, checking its framing."""
    out, pos = [], 0
    while True:
        assert data[pos:pos + 6] == b"070701", "bad magic at %d" % pos
        f = [int(data[pos + 6 + 8 * i: pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        name = data[pos + 110: pos + 110 + namesize - 1].decode()
        pos += 110 + namesize
        pos += -pos % 4
        body = data[pos: pos + size]
        pos += size
        pos += -pos % 4
        if name == "TRAILER!!!":
            assert len(data) % 512 == 0
            return out
        out.append((name, mode, body))


def fake_kernel(tmp):
    """A modules tree: c depends on b and a, b on a; one .ko.xz."""
    d = os.path.join(tmp, "lib", "modules", "9.9.9", "kernel", "drivers")
    os.makedirs(d)

    def mod(name, deps, xz=False):
        body = b"\x7fELF....\0license=GPL\0depends=" + ",".join(deps).encode() + b"\0name=" + \
            name.encode() + b"\0"
        path = os.path.join(d, name + (".ko.xz" if xz else ".ko"))
        with open(path, "wb") as fh:
            fh.write(lzma.compress(body) if xz else body)
    mod("mod-a", [])
    mod("mod_b", ["mod_a"], xz=True)
    mod("mod-c", ["mod_b", "mod_a"])
    mod("lonely", [])
    return os.path.join(tmp, "lib", "modules", "9.9.9")


def build_initramfs(tmp, out, modules):
    init = os.path.join(tmp, "init")
    prog = os.path.join(tmp, "prog")
    # a stand-in busybox: its applet list names itself, as the real one's does
    bb = os.path.join(tmp, "busybox")
    for p, text in ((init, "#!/bin/sh\n"), (prog, "program\n"),
                    (bb, "#!/bin/sh\nprintf 'sh\\nbusybox\\ninsmod\\nmount\\n'\n")):
        with open(p, "w") as fh:
            fh.write(text)
    os.chmod(bb, 0o755)
    if not os.path.exists(os.path.join(tmp, "lib")):
        fake_kernel(tmp)
    cmd = [sys.executable, os.path.join(ORACLE, "initramfs.py"), "--modules-dir",
           os.path.join(tmp, "lib", "modules", "9.9.9"), "--busybox", bb,
           "--init", init, "--add", prog + ":/oracle/prog", "-o", out]
    for m in modules:
        cmd += ["--module", m]
    return subprocess.run(cmd, capture_output=True, text=True)


@test
def initramfs_is_well_formed_and_ordered():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "i.cpio")
        r = build_initramfs(tmp, out, ["mod-c"])
        assert r.returncode == 0, r.stderr
        ents = read_newc(open(out, "rb").read())
        names = [e[0] for e in ents]
        by = {e[0]: e for e in ents}
        assert by["etc/modules"][2] == b"mod_a\nmod_b\nmod_c\n", by["etc/modules"][2]
        assert "lib/modules/lonely.ko" not in by   # only what was asked for
        assert by["lib/modules/mod_b.ko"][2].startswith(b"\x7fELF")  # decompressed
        assert by["init"][1] == 0o100755 and by["oracle/prog"][1] == 0o100755
        assert "bin/busybox" in by and "bin/busybox" not in [
            n for n, m, b in ents if m == 0o120777]
        assert by["bin/sh"][1] == 0o120777 and by["bin/sh"][2] == b"busybox"
        assert by["bin/insmod"][2] == b"busybox" and by["bin/busybox"][1] == 0o100755
        assert len(names) == len(set(names))


@test
def initramfs_is_byte_identical():
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "a.cpio"), os.path.join(tmp, "b.cpio")
        assert build_initramfs(tmp, a, ["mod-c", "lonely"]).returncode == 0
        assert build_initramfs(tmp, b, ["lonely", "mod-c"]).returncode == 0
        # the same set in another order loads in another order: same bytes
        # only for the same command
        assert build_initramfs(tmp, b, ["mod-c", "lonely"]).returncode == 0
        assert open(a, "rb").read() == open(b, "rb").read()


@test
def initramfs_refuses_a_missing_module():
    with tempfile.TemporaryDirectory() as tmp:
        r = build_initramfs(tmp, os.path.join(tmp, "x.cpio"), ["no_such"])
        assert r.returncode != 0 and "no module 'no_such'" in r.stderr, r.stderr


@test
def depends_parses_modinfo():
    assert initramfs.depends(b"x\0depends=a-b,c\0y") == ["a_b", "c"]
    assert initramfs.depends(b"x\0depends=\0y") == []
    assert initramfs.depends(b"no modinfo") == []


@test
def boot_parse_frames_runs():
    res = boot.parse(["junk", "@@ kernel 6.1.0-57-amd64", "@@ run groups#0", "check a 1",
                      "", "@@ status 0", "@@ run edu#1", "check b -EINVAL", "@@ status 3",
                      "@@ error insmod x", "@@ end"])
    assert res["@kernel"] == "6.1.0-57-amd64"
    assert res["groups#0"] == ["check a 1", "status 0"]
    assert res["edu#1"] == ["check b -EINVAL", "status 3"]
    assert res["@errors"] == ["error insmod x"]


@test
def boot_main_script_quotes_arguments():
    s = boot.main_script([("p#0", "/x/prog_guest", ["0000:00:03.0", "a b"])])
    assert "/oracle/prog_guest -- 0000:00:03.0 'a b'" in s
    assert "echo '@@ run p#0'" in s


@test
def compare_reports_each_difference():
    real = ["check a 1", "check b 2", "check only.real x", "status 0"]
    sim = ["check a 1", "check b 3", "check only.sim y", "status 1"]
    assert oracle.compare(real, sim) == [("@status", "0", "1"), ("b", "2", "3"),
                                         ("only.real", "x", None), ("only.sim", None, "y")]
    assert oracle.compare(real, list(real)) == []
    # a check printed twice is a difference of its own
    assert ("a#dup", "1", None) in oracle.compare(real + ["check a 1"], real)


@test
def divergence_table_matches_by_glob_and_kernel():
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "x.txt"), "w") as fh:
            fh.write("# comment\n\nvfio.cc.* 6.1 emulator QEMU has no snoop control # keep\n"
                     "edu.x * model-gap not modelled yet\n")
        t = oracle.read_divergences(tmp)
        assert len(t) == 2 and t[0][3] == "QEMU has no snoop control # keep"
        assert oracle.explained(t, "6.1", "vfio.cc.iommu")
        assert not oracle.explained(t, "6.12", "vfio.cc.iommu")
        assert oracle.explained(t, "6.12", "edu.x")
        assert not oracle.explained(t, "6.1", "edu.xy")
        with open(os.path.join(tmp, "y.txt"), "w") as fh:
            fh.write("a.b 6.1 wrong-class reason\n")
        try:
            oracle.read_divergences(tmp)
            raise AssertionError("a bad class was accepted")
        except oracle.SetupError as e:
            assert "y.txt:1" in str(e)


@test
def corpus_reader_expands_globs_and_rejects_bad_lines():
    with tempfile.TemporaryDirectory() as tmp:
        for f in ("topo-a.yaml", "topo-b.yaml"):
            open(os.path.join(tmp, f), "w").close()
        c = os.path.join(tmp, "corpus.txt")
        with open(c, "w") as fh:
            fh.write("# c\ntopo-*.yaml groups @all\n")
        e = oracle.read_corpus(c)
        assert [os.path.basename(x[0]) for x in e] == ["topo-a.yaml", "topo-b.yaml"]
        assert e[0][1:] == ("groups", None, ["@all"])
        with open(c, "w") as fh:
            fh.write("topo-a.yaml iommufd@6.12-iommufd x\n")
        assert oracle.read_corpus(c)[0][1:] == ("iommufd", {"6.12-iommufd"}, ["x"])
        with open(c, "w") as fh:
            fh.write("topo-a.yaml iommufd@6.2 x\n")
        try:
            oracle.read_corpus(c)
            raise AssertionError("an unknown kernel was accepted")
        except oracle.SetupError as ex:
            assert "unknown kernel" in str(ex)
        with open(c, "w") as fh:
            fh.write("nothing-*.yaml groups\n")
        try:
            oracle.read_corpus(c)
            raise AssertionError("an empty glob was accepted")
        except oracle.SetupError as ex:
            assert "corpus.txt:1" in str(ex)


@test
def the_real_corpus_and_table_load_and_the_docs_list_every_entry():
    table = oracle.read_divergences(os.path.join(ORACLE, "divergences"))
    oracle.read_corpus(os.path.join(ORACLE, "corpus", "corpus.txt"))
    doc = open(os.path.join(A.root, "docs", "oracle.md")).read()
    for glob_, kernels, cls, reason, where in table:
        assert "`%s`" % glob_ in doc, "docs/oracle.md does not list %s (%s)" % (glob_, where)


@test
def every_corpus_topology_builds_in_both_machines():
    if not A.iommusim:
        return
    for topo, prog, kernels, args in oracle.read_corpus(os.path.join(ORACLE, "corpus", "corpus.txt")):
        assert oracle.functions_of(A.iommusim, topo)
        assert oracle.qemu_args(A.iommusim, topo) is not None


def main():
    passed = failed = 0
    for t in TESTS:
        try:
            t()
            passed += 1
            print("ok   %s" % t.__name__)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__)
            traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
