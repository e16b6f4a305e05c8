#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""First contact with the command line (standard library only).

  - `iommusim groups FILE --tree` and `--dot`: the topology as an lspci -tv
    like tree and as a Graphviz digraph, deterministic, each function's
    group and viability; the dot text is checked structurally (and rendered
    with `dot -Tsvg` where Graphviz is installed: tools/bootstrap.sh does not
    install it, so CI checks the structure only);
  - `iommusim check FILE` reports every independent error of a file, in
    file order, each FILE:LINE:COL, without the consequences of one error
    reported as errors of their own, and stops after 50;
  - `explain` speaks each IOMMU's own language: VT-d root/context/PASID
    directory/entry and levels 4..1, SMMUv3 STE/CD and Arm's lookup levels
    0..3, RISC-V DDT/PDT and Sv levels 3..0;
  - a driver name one slip away from a registered one warns, naming it.
"""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from driver_common import CliRunner, run_case  # noqa: E402

ARGS = None
REPO = pathlib.Path(__file__).resolve().parents[1]
QUICKSTART = str(REPO / "testcases/scenarios/quickstart.yaml")
WIDE = str(REPO / "testcases/scenarios/nested/wide-pasid-tables.yaml")
NESTED = str(REPO / "testcases/scenarios/nested/nested-guest-table-on-pasid.yaml")


CLI = CliRunner("iommusim-cli-ux-", "u")
run = CLI.run
scenario = CLI.scenario


# Spec §A example 5: a switch whose downstream ports lack ACS.  Legacy mode
# gives each DSP its subtree; strict merges the four (docs/groups.md).  Group
# ids follow probe order: bus 00 (01.0, then 1f.0) before the switch below.
SWITCH = """name: switch
topology:
  - {bdf: "0000:00:01.0", type: root-port, acs: [SV, RR, CR, UF]}
  - {bdf: "0000:01:00.0", type: upstream-port, parent: "0000:00:01.0"}
  - {bdf: "0000:02:00.0", type: downstream-port, parent: "0000:01:00.0"}
  - {bdf: "0000:02:01.0", type: downstream-port, parent: "0000:01:00.0"}
  - {bdf: "0000:03:00.0", type: endpoint, parent: "0000:02:00.0", driver: vfio-pci}
  - {bdf: "0000:04:00.0", type: endpoint, parent: "0000:02:01.0", driver: e1000e}
  - {bdf: "0000:00:1f.0", type: endpoint, multifunction: true}
"""

SWITCH_TREE_LEGACY = """\
groups (legacy mode): 5, 4 viable
[0000:00]
+-01.0 root-port ACS[SV RR CR UF] driver=pcieport  [group 0]
| \\-[0000:01]
|   \\-00.0 upstream-port driver=pcieport  [group 2]
|     \\-[0000:02]
|       +-00.0 downstream-port driver=pcieport  [group 3]
|       | \\-[0000:03]
|       |   \\-00.0 endpoint driver=vfio-pci  [group 3]
|       \\-01.0 downstream-port driver=pcieport  [group 4, not viable]
|         \\-[0000:04]
|           \\-00.0 endpoint driver=e1000e  [group 4, not viable]
\\-1f.0 endpoint  [group 1]
"""


def parse_dot(text):
    """A structural reading of the digraph groups --dot prints: statements,
    node declarations, edges and clusters.  Raises AssertionError on any
    syntax it does not expect, so a malformed line fails the test."""
    lines = text.splitlines()
    assert lines[0] == "digraph iommu_groups {", lines[0]
    assert lines[-1] == "}", lines[-1]
    quoted = r'"(?:[^"\\]|\\.)*"'
    node = re.compile(rf"^\s*({quoted}) \[(.*)\];$")
    edge = re.compile(rf"^\s*({quoted}) -> ({quoted});$")
    attr = re.compile(rf"^\s*(graph|node) \[(.*)\];$")
    sub_open = re.compile(rf"^\s*subgraph ({quoted}) \{{$")
    sub_attrs = re.compile(rf"^\s*(\w+=(?:{quoted}|\w+); ?)+$")
    nodes, edges, clusters, current, depth = {}, [], {}, None, 1
    for ln in lines[1:-1]:
        assert re.sub(r"\\.", "", ln).count('"') % 2 == 0, f"unbalanced quotes: {ln}"
        if m := sub_open.match(ln):
            assert current is None, "nested subgraph"
            current = m.group(1).strip('"')
            assert current.startswith("cluster_"), current
            clusters[current] = []
            depth += 1
        elif ln.strip() == "}":
            assert current is not None, "stray }"
            current, depth = None, depth - 1
        elif m := edge.match(ln):
            edges.append((m.group(1).strip('"'), m.group(2).strip('"')))
        elif m := node.match(ln):
            name = m.group(1).strip('"')
            assert name not in nodes, f"node {name} declared twice"
            assert re.fullmatch(rf"(\w+=(?:{quoted}|\w+)(, )?)+", m.group(2)), ln
            nodes[name] = m.group(2)
            if current:
                clusters[current].append(name)
        elif attr.match(ln) or (current and sub_attrs.match(ln)):
            pass
        else:
            raise AssertionError(f"unexpected dot line: {ln!r}")
    assert depth == 1 and current is None, "unclosed subgraph"
    return nodes, edges, clusters


class CliUx(unittest.TestCase):
    maxDiff = None

    # ---- groups --tree ----------------------------------------------------

    def test_tree_legacy_and_strict(self):
        path = scenario(SWITCH)
        res = run("groups", path, "--tree")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout, SWITCH_TREE_LEGACY)
        # strict (spec §A5): both DSPs and both endpoints in one group, which
        # e1000e's DMA makes not viable for 03:00.0 too
        res = run("groups", path, "--tree", "--mode", "strict")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("groups (strict mode): 4, 3 viable", res.stdout)
        self.assertIn("\\-00.0 endpoint driver=vfio-pci  [group 3, not viable]", res.stdout)
        self.assertEqual(res.stdout.count("[group 3, not viable]"), 4, res.stdout)

    def test_tree_is_deterministic_and_complete(self):
        a, b = run("groups", QUICKSTART, "--tree"), run("groups", QUICKSTART, "--tree")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        funcs = run("groups", QUICKSTART, "--json").stdout
        # every function of the topology is on the tree, once
        for bdf in re.findall(r'"(\w{4}:\w\w:\w\w\.\w)"', funcs):
            bus, devfn = bdf[5:7], bdf[8:]
            self.assertEqual(len(re.findall(rf"[+\\]-{re.escape(devfn)} ", a.stdout)) >= 1,
                             True, bdf)
            self.assertIn(f"[0000:{bus}]", a.stdout)

    # ---- groups --dot -----------------------------------------------------

    def test_dot_structure(self):
        path = scenario(SWITCH)
        res = run("groups", path, "--dot")
        self.assertEqual(res.returncode, 0, res.stderr)
        nodes, edges, clusters = parse_dot(res.stdout)
        devices = [n for n in nodes if not n.startswith("bus ")]
        self.assertEqual(sorted(devices), ["0000:00:01.0", "0000:00:1f.0", "0000:01:00.0",
                                           "0000:02:00.0", "0000:02:01.0", "0000:03:00.0",
                                           "0000:04:00.0"])
        # every edge joins declared nodes; each function hangs off its bus
        for a, b in edges:
            self.assertIn(a, nodes)
            self.assertIn(b, nodes)
        for d in devices:
            self.assertIn((f"bus 0000:{d[5:7]}", d), edges)
        self.assertIn(("0000:02:01.0", "bus 0000:04"), edges)
        # the groups are clusters: each function in exactly one
        members = [d for c in clusters.values() for d in c]
        self.assertEqual(sorted(members), sorted(devices))
        self.assertEqual(clusters["cluster_group_4"], ["0000:02:01.0", "0000:04:00.0"])
        self.assertIn('label="group 4 (not viable)"; style=rounded; color=red;', res.stdout)
        self.assertIn('label="group 3"; style=rounded; color=darkgreen;', res.stdout)
        # ACS on the port that has it, drivers as bound
        self.assertIn("root-port\\nACS[SV RR CR UF]\\ndriver=pcieport", nodes["0000:00:01.0"])
        self.assertIn("driver=e1000e", nodes["0000:04:00.0"])
        strict = parse_dot(run("groups", path, "--dot", "--mode", "strict").stdout)[2]
        self.assertEqual(len(strict["cluster_group_3"]), 4, strict)

    def test_dot_escapes_hostile_names(self):
        # a driver name is free text: quotes, backslashes and control
        # characters must not break the dot syntax or the tree's lines
        path = scenario('name: t\ntopology:\n  - {bdf: "0000:00:01.0", type: endpoint, '
                        'driver: "a\\"b\\\\c\\td\\ne"}\n')
        res = run("groups", path, "--dot")
        self.assertEqual(res.returncode, 0, res.stderr)
        nodes = parse_dot(res.stdout)[0]
        self.assertIn('driver=a\\"b\\\\c?d?e', nodes["0000:00:01.0"])
        tree = run("groups", path, "--tree").stdout
        self.assertEqual(len(tree.splitlines()), 3, tree)
        self.assertIn('driver=a"b\\c?d?e  [group 0, not viable]', tree)

    def test_dot_renders_with_graphviz(self):
        dot = shutil.which("dot")
        if not dot:
            self.skipTest("Graphviz is not installed (tools/bootstrap.sh does not install "
                          "it); test_dot_structure checked the syntax")
        for f in (QUICKSTART, scenario(SWITCH)):
            text = run("groups", f, "--dot").stdout
            res = subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, text=True,
                                 timeout=60)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertIn("<svg", res.stdout)

    def test_dot_is_deterministic(self):
        a, b = run("groups", QUICKSTART, "--dot"), run("groups", QUICKSTART, "--dot")
        self.assertEqual(a.stdout, b.stdout)
        self.assertNotRegex(a.stdout, r"0x[0-9a-f]{6,}")   # no pointers

    def test_picture_flags_are_exclusive(self):
        for argv in (["--dot", "--tree"], ["--json", "--dot"], ["--tree", "--json"]):
            res = run("groups", QUICKSTART, *argv)
            self.assertEqual(res.returncode, 2, argv)
            self.assertIn("--json, --tree and --dot are exclusive", res.stderr)
        self.assertEqual(run("groups", QUICKSTART, "--dot", "--dot").returncode, 0)
        self.assertIn("--tree", run("groups", "--help").stdout)

    # ---- check: every error -----------------------------------------------

    MULTI = """name: multi
profile:
  group_mode: legcy
topology:
  - bdf: "0000:00:01.0"
    type: root-prt
  - bdf: "0000:01:00.0"
    type: endpoint
    parent: "0000:00:01.0"
processes:
  - name: user
    uid: x
steps:
  - open: /dev/vfio/vfio
    as: container
    by: user
    flags: O_RDWRR
  - opne: /dev/vfio/1
  - ioctl: VFIO_GET_API_VERSION
    on: container
  - close: containr
  - bind: "0000:01:00.0"
    driver: vfio-pci
  - open: "/dev/vfio/{0000:02:00.0}"
expect:
  group_count: many
"""

    def test_check_reports_every_error(self):
        path = scenario(self.MULTI)
        res = run("check", path)
        self.assertEqual(res.returncode, 2)
        self.assertEqual(res.stdout, "")
        errors = res.stderr.splitlines()
        want = [
            (3, 15, "unknown group_mode 'legcy'; did you mean 'legacy'?"),
            (6, 11, "unknown device type 'root-prt'; did you mean 'root-port'?"),
            (12, 10, "uid must be a number, not 'x'"),
            (17, 12, "unknown open flag 'O_RDWRR'; did you mean 'O_RDWR'?"),
            (18, 5, "unknown step 'opne'; did you mean 'open'?"),
            (21, 12, "handle 'containr' is not bound"),
            (24, 11, "device 0000:02:00.0 is not in the topology"),
            (26, 16, "group_count"),
        ]
        self.assertEqual(len(errors), len(want), res.stderr)
        for line, (l, c, text) in zip(errors, want):
            self.assertTrue(line.startswith(f"{path}:{l}:{c}: error: "), line)
            self.assertIn(text, line)
        # no consequences: 'container' (bound by a step with an error) and
        # 'user' (a process with an error) are not reported again
        self.assertNotIn("'container' is not bound", res.stderr)
        self.assertNotIn("process 'user'", res.stderr)
        # run and groups refuse the file the same way
        self.assertEqual(run("run", path).stderr, res.stderr)

    def test_check_error_cap(self):
        steps = "".join(f"  - opne: /dev/vfio/{i}\n" for i in range(70))
        path = scenario("name: many\ntopology:\n  - {bdf: \"0000:00:01.0\", type: endpoint}\n"
                        "steps:\n" + steps)
        res = run("check", path)
        self.assertEqual(res.returncode, 2)
        lines = res.stderr.splitlines()
        self.assertEqual(len(lines), 51, res.stderr)
        self.assertTrue(all(": error: unknown step 'opne'" in l for l in lines[:50]))
        self.assertEqual(lines[50], f"{path}:54:5: error: 50 errors: stopping here")

    def test_check_reports_each_unknown_key(self):
        path = scenario('name: t\ntopology:\n  - {bdf: "0000:00:01.0", type: endpoint, '
                        'drivr: x, parnt: y}\nsteps:\n  - {open: /dev/vfio/vfio, az: c, '
                        'flag: O_RDWR}\n  - {close: c}\n')
        res = run("check", path)
        self.assertEqual(res.returncode, 2)
        self.assertEqual([l.split(": error: ")[0][len(path):] + ": " + l.split(": error: ")[1]
                          for l in res.stderr.splitlines()], [
            ":3:43: unknown key 'drivr' in topology entry; did you mean 'driver'?",
            ":3:53: unknown key 'parnt' in topology entry; did you mean 'parent'?",
            ":5:28: unknown key 'az' in this step; did you mean 'as'?",
            ":5:35: unknown key 'flag' in this step; did you mean 'flags'?",
            ":6:13: handle 'c' is not bound by an earlier step's 'as:'"])

    def test_check_one_error_is_one_line(self):
        path = scenario("name: one\ntopology:\n  - {bdf: \"0000:00:01.0\", type: endpoint}\n"
                        "steps:\n  - open: /dev/vfio/vfio\n    flag: O_RDWR\n")
        res = run("check", path)
        self.assertEqual(res.returncode, 2)
        self.assertEqual(res.stderr, f"{path}:6:5: error: unknown key 'flag' in this step; "
                                     "did you mean 'flags'?\n")

    # ---- driver names -----------------------------------------------------

    def test_driver_near_miss_warns(self):
        path = scenario('name: d\ntopology:\n  - {bdf: "0000:00:01.0", type: endpoint, '
                        'driver: vfio_pci}\nsteps:\n  - unbind: "0000:00:01.0"\n'
                        '  - bind: "0000:00:01.0"\n    driver: pci_stub\n'
                        '  - unbind: "0000:00:01.0"\n  - bind: "0000:00:01.0"\n'
                        '    driver: nvme\n')
        res = run("run", path)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        warnings = [l for l in res.stderr.splitlines() if ": warning: " in l]
        self.assertEqual(warnings, [
            f"{path}:3:51: warning: driver 'vfio_pci' is not one the simulator registers, "
            "so it binds as a kernel DMA driver; did you mean vfio-pci?",
            f"{path}:7:13: warning: driver 'pci_stub' is not one the simulator registers, "
            "so it binds as a kernel DMA driver; did you mean pci-stub?"])

    # ---- explain in each architecture's words -----------------------------

    def explain(self, fmt, path=None):
        res = run("explain", path or NESTED, "--step", "11", "--format", fmt)
        self.assertEqual(res.returncode, 0, res.stderr)
        return res.stdout

    def test_explain_vtd_names(self):
        out = self.explain("vtd")
        for word in ("] root ", "] context ", "] pasid-dir ", "] pasid-entry ", " pasid 5 ",
                     "IOTLB miss", "references: 2 context, 2 PASID,",
                     "paging-structure cache hit(s)"):
            self.assertIn(word, out)
        levels = re.findall(r"^  \[\s*\d+\] S2 L(\d) ", out, re.M)
        self.assertEqual(levels, ["4", "3", "2", "1"])         # root down to leaf

    def test_explain_smmuv3_names(self):
        out = self.explain("arm-smmuv3")
        # a two-level stream table (L1 descriptor, STE), the 8-bit
        # device's linear CD table (the CD alone)
        for word in ("] strtab-l1 ", "] ste ", "] cd ", " ssid 5 ", "TLB miss",
                     "references: 2 stream-table, 1 CD,", "walk cache hit(s)"):
            self.assertIn(word, out)
        # a 20-bit device's two-level CD table: the L1 descriptor too
        wide = self.explain("arm-smmuv3", WIDE)
        for word in ("STE cache hit", "] cd-l1 ", "] cd ", "references: 0 stream-table, 2 CD,"):
            self.assertIn(word, wide)
        for word in ("pasid", "context", "root", "IOTLB"):
            self.assertNotIn(word, out.split("\n", 1)[1])
        # Arm's lookup levels: 0 (the root of a 4-level 4K walk) to 3 (pages)
        self.assertEqual(re.findall(r"^  \[\s*\d+\] S2 L(\d) ", out, re.M),
                         ["0", "1", "2", "3"])
        self.assertEqual(re.findall(r"^  \[\s*\d+\] S1 L(\d) ", out, re.M),
                         ["0", "1", "2", "3"])

    def test_explain_riscv_names(self):
        out = self.explain("riscv")
        # a three-level DDT (two non-leaf entries, the DC), PD8 (the PC)
        for word in ("] ddt-nonleaf ", "] ddt-dc ", "] pdt-pc ",
                     " process_id 5 ", "IOATC miss", "references: 3 DDT, 1 PDT,"):
            self.assertIn(word, out)
        # PD20: two non-leaf PDT entries before the PC
        wide = self.explain("riscv", WIDE)
        for word in ("DDTC hit", "] pdt-nonleaf ", "] pdt-pc ", "references: 0 DDT, 3 PDT,"):
            self.assertIn(word, wide)
        # Sv48: i = LEVELS-1 = 3 at the root down to 0
        self.assertEqual(re.findall(r"^  \[\s*\d+\] S1 L(\d) ", out, re.M),
                         ["3", "2", "1", "0"])

    def test_explain_same_walk_in_every_language(self):
        # the page-table walk is the same on every kind (24 references of
        # a cold 4+4 nested walk); the device and PASID structures before
        # it are each kind's own: VT-d 2 + 2, SMMUv3 2 + 1, RISC-V 3 + 1
        def refs(text, pagetable):
            return [l for l in text.splitlines() if l.startswith("  [") and
                    bool(re.match(r"  \[\s*\d+\] S[12] ", l)) == pagetable]
        for fmt, ctx in (("vtd", 4), ("arm-smmuv3", 3), ("riscv", 4)):
            out = self.explain(fmt)
            self.assertEqual(len(refs(out, True)), 24, fmt)
            self.assertEqual(len(refs(out, False)), ctx, fmt)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--iommusim", required=True)
    ARGS, _ = p.parse_known_args()
    CLI.binary = ARGS.iommusim
    return run_case(CliUx)


if __name__ == "__main__":
    sys.exit(main())
