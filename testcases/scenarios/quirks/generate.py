#!/usr/bin/env python3
"""Write testcases/scenarios/quirks/table/: the kernel's quirk tables as
scenarios, one per kernel function or fixup, every row of it a block of its
own (standard library only).

The rows below are transcribed from Linux's drivers/pci/quirks.c (mainline):
pci_dev_acs_enabled[] in its order, and the DMA-alias header fixups.  They are
kept apart from model/pci/quirks.c on purpose: each scenario states what the
kernel's row does to IOMMU groups, so a wrong or missing row in the simulator's
table fails its scenario.  Each file says which kernel entry it pins and what
it shows, and every expectation is derived here from the kernel's rules
(docs/kernel-semantics.md §A), in both group modes.

Run from the repository root after changing a row:
    python3 testcases/scenarios/quirks/generate.py
"""
import pathlib

OUT = pathlib.Path(__file__).resolve().parent / "table"

# ---- pci_dev_acs_enabled[] (vendor, device, function) ------------------------
INTEL, ATI, AMD = 0x8086, 0x1002, 0x1022
MF_ROWS = (
    [(0x1924, d) for d in (0x0903, 0x0923, 0x0a03)]
    + [(INTEL, d) for d in (0x10c6, 0x10db, 0x10dd, 0x10e1, 0x10f1, 0x10f7, 0x10f8, 0x10f9,
                            0x10fa, 0x10fb, 0x10fc, 0x1507, 0x1514, 0x151c, 0x1529, 0x152a,
                            0x154d, 0x154f, 0x1551, 0x1558,
                            0x1509, 0x150e, 0x150f, 0x1510, 0x1511, 0x1516, 0x1527,   # 82580
                            0x10c9, 0x10e6, 0x10e7, 0x10e8, 0x150a, 0x150d, 0x1518,
                            0x1526,                                                   # 82576
                            0x10a7, 0x10a9, 0x10d6,                                   # 82575
                            0x1521, 0x1522, 0x1523, 0x1524,                           # I350
                            0x105e, 0x105f, 0x1060, 0x10d9,                           # 82571
                            0x15b7, 0x15b8)]                                          # I219
    + [(0x19a2, 0x0710), (0x10df, 0x0720)]                                            # Emulex
    + [(0x177d, d) for d in (0xa026, 0xa059, 0xa060)]                                 # Cavium
    + [(0x14e4, d) for d in (0x16d7, 0x1750, 0x1751, 0x1752, 0x1760, 0x1761, 0x1762,
                             0x1763)]                                                 # Broadcom
    + [(0x1d17, d) for d in (0x3038, 0x3104, 0x9083)]                                 # Zhaoxin
)
AMD_SB_ROWS = [(ATI, d) for d in (0x4385, 0x439c, 0x4383, 0x439d, 0x4384, 0x4399)] + \
              [(AMD, 0x780f), (AMD, 0x7809)]
# rows whose function vouches for the id with no condition on the device
ANY_TYPE_ROWS = (
    [(0x17cb, d, "pci_quirk_qcom_rp_acs") for d in (0x0400, 0x0401, 0x0115)]
    + [(0x1dbf, 0x0401, "pci_quirk_qcom_rp_acs")]
    + [(0x10e8, 0xe004, "pci_quirk_xgene_acs")]
    + [(0x1def, d, "pci_quirk_xgene_acs") for d in range(0xe005, 0xe00d)]
    + [(0x14e4, 0xd714, "pci_quirk_brcm_acs")]
    + [(0x0014, d, "pci_quirk_loongson_acs") for d in (0x3c09, 0x3c19, 0x3c29, 0x7a09, 0x7a19,
                                                       0x7a29, 0x7a39, 0x7a49, 0x7a59, 0x7a69)]
    + [(0x1957, d, "pci_quirk_nxp_rp_acs") for d in (
        0x8d81, 0x8da1, 0x8d83, 0x8d80, 0x8da0, 0x8d82, 0x8d90, 0x8db0, 0x8d92, 0x8d91, 0x8db1,
        0x8d93, 0x8d89, 0x8da9, 0x8d8b, 0x8d88, 0x8da8, 0x8d8a, 0x8d98, 0x8db8, 0x8d9a, 0x8d99,
        0x8db9, 0x8d9b)]
)
PCH_FAMILIES = [   # pci_quirk_intel_pch_acs_ids[]
    ("ibex-peak", list(range(0x3b42, 0x3b52))),
    ("cougar-point", list(range(0x1c10, 0x1c20))),
    ("panther-point", list(range(0x1e10, 0x1e20))),
    ("lynx-point-h", list(range(0x8c10, 0x8c20))),
    ("lynx-point-lp", list(range(0x9c10, 0x9c1c))),
    ("wildcat-point", list(range(0x9c90, 0x9c9c))),
    ("patsburg", list(range(0x1d10, 0x1d20, 2))),
    ("wellsburg", list(range(0x8d10, 0x8d1f))),
    ("9-series", list(range(0x8c90, 0x8ca0, 2))),
]

# ---- DMA-alias fixups (vendor, device, fixup, family) ------------------------
FN0_ROWS = [(0x1180, 0xe832, "Ricoh"), (0x1180, 0xe476, "Ricoh"),
            (0x6766, 0x3d40, "Glenfly"), (0x6766, 0x3d41, "Glenfly")]
FN1_ROWS = [(0x1b4b, d, "Marvell") for d in (0x9120, 0x9123, 0x9125, 0x9128, 0x9130, 0x9170,
                                              0x9172, 0x917a, 0x9182, 0x9183, 0x91a0, 0x9215,
                                              0x9220, 0x9230, 0x9235)] + \
           [(0x1103, 0x0642, "HighPoint (TTI)"), (0x1103, 0x0645, "HighPoint (TTI)"),
            (0x197b, 0x2392, "JMicron JMB388 ESD"), (0x1c28, 0x0122, "Lite-On Plextor M6e")]
BRIDGE_ROWS = [(0x1b21, 0x1080, "ASMedia ASM1083/1085"), (0x10e3, 0x8113, "Tundra Tsi381"),
               (0x1283, 0x8892, "ITE IT8892"), (0x1283, 0x8893, "ITE IT8893"),
               (0x8086, 0x244e, "Intel 82801")]
MIC_ROWS = [0x2260, 0x2264]
VCA_ROWS = [0x2954, 0x2955, 0x2956, 0x2958, 0x2959, 0x295a]
PLX_ROWS = [0x87b0, 0x87b1]


def hx(v):
    return "0x%04x" % v


FULL = ["SV", "RR", "CR", "UF"]


def dev(bdf, typ, parent=None, mf=False, acs=None, ids=None):
    return {"bdf": bdf, "type": typ, "parent": parent, "mf": mf, "acs": acs, "ids": ids}


def render(d):
    s = '  - {bdf: "0000:%s", type: %s' % (d["bdf"], d["type"])
    if d["parent"]:
        s += ', parent: "0000:%s"' % d["parent"]
    if d["mf"]:
        s += ", multifunction: true"
    if d["acs"] is not None:
        s += ", acs: [%s]" % ", ".join(d["acs"])
    if d["ids"]:
        s += ", vendor: %s, device: %s" % (hx(d["ids"][0]), hx(d["ids"][1]))
    return s + "}"


def probe_order(devs):
    """The kernel's enumeration order (spec §A): a bus's functions by devfn,
    then the bus below each of its bridges in the bridges' devfn order."""
    def key(b):
        bus, rest = b.split(":")
        slot, fn = rest.split(".")
        return (int(bus, 16), int(slot, 16), int(fn))
    children = {}
    for d in devs:
        children.setdefault(d["parent"], []).append(d)
    order = []

    def walk(bus_devs):
        bus_devs = sorted(bus_devs, key=lambda d: key(d["bdf"]))
        order.extend(d["bdf"] for d in bus_devs)
        for d in bus_devs:
            if d["bdf"] in children:
                walk(children[d["bdf"]])
    walk(children[None])
    return {b: i for i, b in enumerate(order)}


class Scenario:
    """Blocks, each below its own root port, combined into one topology.  A
    group never spans blocks, and group ids follow the probe order of each
    group's first member (in both modes), so the expectation is every
    block's groups sorted by that."""

    def __init__(self):
        self.devs, self.groups, self.rids = [], [], []
        self.next_bus, self.packed, self.single = 1, 0, 0x1f

    def root_port(self, isolated):
        """A root-bus position: isolated ports share multifunction slots
        from 01 up, ports that are not isolated get a slot each from 1f down."""
        if isolated:
            bdf, mf = "00:%02x.%d" % (1 + self.packed // 8, self.packed % 8), True
            self.packed += 1
        else:
            bdf, mf = "00:%02x.0" % self.single, False
            self.single -= 1
        assert 1 + (self.packed - 1) // 8 < self.single + 1 or not self.packed
        assert self.single >= 0
        return bdf, mf

    def bus(self):
        b = self.next_bus
        self.next_bus += 1
        return b

    def add(self, devs, groups, rids=()):
        self.devs += devs
        self.groups += groups
        self.rids += list(rids)

    def write(self, name, comment, kernel=None):
        order = probe_order(self.devs)
        groups = sorted(self.groups, key=lambda g: min(order[b] for b in g))
        text = "# modes: legacy strict\n" + "".join(
            ("# " + line).rstrip() + "\n" for line in comment.strip("\n").split("\n"))
        text += "# (generated by generate.py from the kernel's table; do not edit)\n"
        text += "name: %s\n" % name
        if kernel:
            text += 'profile:\n  kernel: "%s"\n' % kernel
        text += "topology:\n" + "\n".join(render(d) for d in self.devs) + "\n"
        text += "expect:\n  groups:\n"
        for mode in ("legacy", "strict"):
            text += "    %s:\n" % mode
            text += "".join("      - [%s]\n" % ", ".join('"0000:%s"' % b for b in g) for g in groups)
        if self.rids:
            text += "  requester_id:\n" + "".join(
                '    "0000:%s": "0000:%s"\n' % r for r in self.rids)
        (OUT / (name + ".yaml")).write_text(text, encoding="utf-8")


# ---- blocks --------------------------------------------------------------------

def mf_block(sc, ids):
    """A two-function device without ACS below an ACS root port: with the
    row its functions get a group each, without it they share one."""
    rp, mf = sc.root_port(True)
    b = "%02x" % sc.bus()
    f0, f1 = b + ":00.0", b + ":00.1"
    sc.add([dev(rp, "root-port", mf=mf, acs=FULL),
            dev(f0, "endpoint", rp, mf=True, ids=ids), dev(f1, "endpoint", rp, mf=True, ids=ids)],
           [[rp], [f0], [f1]] if ids else [[rp], [f0, f1]])


def rp_block(sc, ids, isolated, acs=False, typ="root-port"):
    """A root port (no ACS capability unless @acs) with an endpoint below:
    isolated, the endpoint has a group of its own; not, it joins the port."""
    rp, mf = sc.root_port(isolated)
    ep = "%02x:00.0" % sc.bus()
    sc.add([dev(rp, "root-port", mf=mf, acs=FULL if acs else None, ids=ids),
            dev(ep, "endpoint", rp)],
           [[rp], [ep]] if isolated else [[rp, ep]])


def mf_rows_file(name, rows, kfunc, what):
    sc = Scenario()
    for ids in rows:
        mf_block(sc, ids)
    mf_block(sc, None)
    sc.write(name, """Kernel: pci_dev_acs_enabled[] rows %s, each {vendor, device, %s}
(drivers/pci/quirks.c): %s.
%s
Below an ACS root port each row's two-function device (multifunction, no ACS
capability) gets a group per function: the quirk's verdict wins over §A1.4's
flags test, so §A5 merges nothing.  The last pair, default ids, shares one
group (§A5).  Strict: the same (S1: every function of the row buses is
isolated; the control bus is one group already).""" % (
        "{" + ", ".join("%04x:%04x" % r for r in rows) + "}", kfunc, what,
        "One block per row, so a missing or mistyped id fails its own pair."))


def rp_rows_file(name, rows, kfunc, what, kernel=None, isolated=True):
    sc = Scenario()
    for ids in rows:
        rp_block(sc, ids, isolated)
    rp_block(sc, None, False)
    sc.write(name, """Kernel: pci_dev_acs_enabled[] rows {%s}, function %s
(drivers/pci/quirks.c): %s.
Each id is a root port without an ACS capability with an endpoint below.
%s  The last root port, default ids, is not isolated and keeps its endpoint
(§A3).  Strict: the same (separate root ports are never merged; each bus
holds one single-function endpoint).""" % (
        ", ".join("%04x:%04x" % r for r in rows), kfunc, what,
        "The row isolates each port (spec §A1.1), so §A3's climb stops there and\n"
        "the endpoint gets a group of its own." if isolated else
        "Under this kernel there is no such row: each port is not isolated and\n"
        "keeps its endpoint (§A3)."), kernel)


def ports_file(name, comment, ports, kernel=None):
    """@ports: (vendor, device, acs, isolated, type)."""
    sc = Scenario()
    for v, d, acs, iso in ports:
        rp_block(sc, (v, d), iso, acs)
    sc.write(name, comment, kernel)


def main():
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.yaml"):
        old.unlink()
    by_family = {}
    for v, d in MF_ROWS:
        fam = {0x1924: "solarflare", INTEL: "intel", 0x19a2: "emulex", 0x10df: "emulex",
               0x177d: "cavium", 0x14e4: "broadcom", 0x1d17: "zhaoxin"}[v]
        by_family.setdefault(fam, []).append((v, d))
    for fam, rows in by_family.items():
        mf_rows_file("acs-mf-endpoint-" + fam, rows, "pci_quirk_mf_endpoint_acs",
                     "the vendor verified that the functions do no peer-to-peer with each\n"
                     "other; the function vouches for any function with the id")
    by_kf = {}
    for v, d, kf in ANY_TYPE_ROWS:
        by_kf.setdefault(kf, []).append((v, d))
    whys = {"pci_quirk_qcom_rp_acs": "each QCOM/HXT root port is a root complex of its own",
            "pci_quirk_xgene_acs": "X-Gene and Ampere root ports block peer-to-peer",
            "pci_quirk_brcm_acs": "iProc PAXB root ports block peer-to-peer between root ports",
            "pci_quirk_loongson_acs": "Loongson root ports block peer-to-peer between root ports\n"
                                      "(mainline only: 6.1, 6.2 and 6.12 have no such rows)",
            "pci_quirk_nxp_rp_acs": "each NXP LX2 root port is in a root complex of its own"}
    for kf, rows in by_kf.items():
        rp_rows_file("acs-" + kf[len("pci_quirk_"):-len("_acs")].replace("_", "-"), rows, kf,
                     whys[kf] + "; the function has no condition beyond the id")
    rp_rows_file("acs-loongson-6.12", by_kf["pci_quirk_loongson_acs"], "pci_quirk_loongson_acs",
                 "the rows are mainline only (docs/kernel-versions.md)", kernel="6.12",
                 isolated=False)
    # pci_quirk_amd_sb_acs
    sc = Scenario()
    for i, ids in enumerate(AMD_SB_ROWS):
        f0, f1 = "00:%02x.0" % (0x10 + i), "00:%02x.1" % (0x10 + i)
        sc.add([dev(f0, "pci-device", mf=True, ids=ids), dev(f1, "pci-device", mf=True, ids=ids)],
               [[f0, f1]])
    rp_block(sc, None, True, acs=True)
    sc.write("acs-amd-sb", """Kernel: pci_dev_acs_enabled[] rows {%s}, function pci_quirk_amd_sb_acs.
The function answers only for a multifunction device on the root bus, and
only when ACPI has an IVRS table: an AMD IOMMU.  The simulated IOMMUs
(iommu.format vtd, arm-smmuv3, riscv) have none, so no row gives a verdict
and each southbridge slot's two functions (multifunction, no ACS) share a
group (§A5), as Linux groups them on such a platform; `acs_quirk: true`
states an AMD platform's verdict.  Strict: S2 merges each slot, one group
already.""" % ", ".join("%04x:%04x" % r for r in AMD_SB_ROWS))
    # pci_quirk_al_acs: root ports only
    sc = Scenario()
    rp_block(sc, (0x1c36, 0x0031), True)
    rp_block(sc, None, False)
    rp, mf = sc.root_port(True)
    sc.add([dev(rp, "root-port", mf=mf, acs=FULL),
            dev("%02x:00.0" % sc.next_bus, "endpoint", rp, mf=True, ids=(0x1c36, 0x0031)),
            dev("%02x:00.1" % sc.next_bus, "endpoint", rp, mf=True, ids=(0x1c36, 0x0031))],
           [[rp], ["%02x:00.0" % sc.next_bus, "%02x:00.1" % sc.next_bus]])
    sc.next_bus += 1
    sc.write("acs-al", """Kernel: pci_dev_acs_enabled[] row {0x1c36, 0x0031, pci_quirk_al_acs}.
Annapurna Labs root ports do no peer-to-peer: root port 1c36:0031 without
ACS is isolated and its endpoint gets a group of its own (§A3), while the
default-id root port keeps its endpoint.  The function answers for root
ports only: a multifunction endpoint pair with the same id and no ACS falls
through to the standard rules and shares a group (§A5).  Strict: the same.""")
    # pci_quirk_intel_pch_acs: every listed id, and ids just outside
    for fam, ids in PCH_FAMILIES:
        sc = Scenario()
        for d in ids:
            rp_block(sc, (INTEL, d), True)
        sc.write("acs-intel-pch-" + fam, """Kernel: pci_dev_acs_enabled[] row {PCI_VENDOR_ID_INTEL, PCI_ANY_ID,
pci_quirk_intel_pch_acs}: the %s root ports of pci_quirk_intel_pch_acs_ids[]
(%s).
Each is a multifunction root port without ACS (worked example 6b), with an
endpoint below.  The quirk (whose enable half turned peer decodes off at
boot) isolates every one, so §A5 merges no slot siblings and §A3 stops at
each port: every function has a group of its own.  Strict: S2 finds no
non-isolated function in any slot; the same groups.""" % (
            fam, ", ".join("%04x" % d for d in ids)))
    sc = Scenario()
    for d in (0x3b41, 0x3b52, 0x1d11, 0x9c1c, 0x9c8f, 0x9c9c, 0x8d1f, 0x8c91):
        rp_block(sc, (INTEL, d), False)
    rp_block(sc, (INTEL, 0x1c10), True)
    rp, mf = sc.root_port(True)
    b = "%02x" % sc.bus()
    sc.add([dev(rp, "root-port", mf=mf, acs=FULL),
            dev(b + ":00.0", "endpoint", rp, mf=True, ids=(INTEL, 0x1c10)),
            dev(b + ":00.1", "endpoint", rp, mf=True, ids=(INTEL, 0x1c10))],
           [[rp], [b + ":00.0", b + ":00.1"]])
    sc.write("acs-intel-pch-outside-list", """Kernel: pci_quirk_intel_pch_acs_match(): root ports whose id is in
pci_quirk_intel_pch_acs_ids[] and nothing else.  Ids just outside the list
(3b41, 3b52, Patsburg's odd 1d11, 9c1c, 9c8f, 9c9c, 8d1f, the 9 series' odd
8c91) get no verdict, so these root ports without ACS are not isolated and
each keeps its endpoint (§A3); 1c10, in the list, does not.  An endpoint
pair with the id 1c10 is no root port: no verdict, and its functions
without ACS share a group (§A5).  Strict: the same.""")
    ports_file("acs-intel-spt-pch", """Kernel: pci_dev_acs_enabled[] row {PCI_VENDOR_ID_INTEL, PCI_ANY_ID,
pci_quirk_intel_spt_pch_acs}: Sunrise Point (a110-a11f, a167-a16a), Union
Point (a290-a29f, a2e7-a2ee) and 7th/8th generation mobile (9d10-9d1b) root
ports implement ACS with the control register at a dword offset.  The
function reads it there, so ports with the capability isolate (after
pci_quirk_enable_intel_spt_pch_acs enabled SV RR CR UF), and a port without
one gets no verdict: the function needs an ACS capability, and those ports
keep their endpoints (§A3).  a120 is outside every range.  Strict: the same.""",
               [(INTEL, d, True, True) for d in (0xa110, 0xa11f, 0xa167, 0xa16a, 0xa290, 0xa29f,
                                                  0xa2e7, 0xa2ee, 0x9d10, 0x9d1b)]
               + [(INTEL, d, False, False) for d in (0xa114, 0x9d10, 0xa2ea)]
               + [(INTEL, 0xa120, False, False)])
    ports_file("acs-cavium-thunderx", """Kernel: pci_dev_acs_enabled[] row {PCI_VENDOR_ID_CAVIUM, PCI_ANY_ID,
pci_quirk_cavium_acs}: ThunderX1 (a000-a7ff), ThunderX2 (af84) and
ThunderX3 (b884) root ports implement ACS-like protection without the
capability; a800 and af85 are outside and keep their endpoints (§A3).
Strict: the same.""",
               [(0x177d, d, False, True) for d in (0xa000, 0xa3ff, 0xa7ff, 0xaf84, 0xb884)]
               + [(0x177d, d, False, False) for d in (0xa800, 0xaf85)])
    ports_file("acs-zhaoxin-ports", """Kernel: pci_dev_acs_enabled[] row {PCI_VENDOR_ID_ZHAOXIN, PCI_ANY_ID,
pci_quirk_zhaoxin_pcie_ports_acs}: Zhaoxin root and downstream ports
0710-071e, 0721 and 0723-0752 isolate without an ACS capability.  Every
other Zhaoxin port is "not isolated" (the function's `return false`), even
with a full ACS capability: 071f, 0722 and 0800 keep their endpoints
(§A3).  Strict: the same.""",
               [(0x1d17, d, False, True) for d in (0x0710, 0x071e, 0x0721, 0x0723, 0x0752)]
               + [(0x1d17, d, True, False) for d in (0x071f, 0x0722, 0x0800)])
    for kernel in ("mainline", "6.2"):
        sc = Scenario()
        for d in (0x0100, 0x010f, 0x1001, 0x2001, 0x5010, 0x5025, 0x5040, 0x5110, 0x5125,
                  0x5140, 0x1000):
            iso = d < 0x5000 and d != 0x1000 or (d >= 0x5000 and kernel == "mainline")
            rp, mf = sc.root_port(True)
            b = "%02x" % sc.bus()
            acs = FULL if d == 0x1000 else None
            sc.add([dev(rp, "root-port", mf=mf, acs=FULL),
                    dev(b + ":00.0", "endpoint", rp, mf=True, acs=acs, ids=(0x8088, d)),
                    dev(b + ":00.1", "endpoint", rp, mf=True, acs=acs, ids=(0x8088, d))],
                   [[rp], [b + ":00.0"], [b + ":00.1"]] if iso else
                   [[rp], [b + ":00.0", b + ":00.1"]])
        sc.write("acs-wangxun" + ("" if kernel == "mainline" else "-6.2"), """Kernel: pci_dev_acs_enabled[] row {PCI_VENDOR_ID_WANGXUN, PCI_ANY_ID,
pci_quirk_wangxun_nic_acs}%s.  SFxxx (0100-010f), RP1000/RP2000 (1001,
2001) and FF5xxx (5010 5025 5040 5110 5125 5140) NIC functions isolate
without an ACS capability, a group per function; every other Wangxun
function is "not isolated" (the function's `return false`), even with a
full ACS capability (1000, the last pair).  The FF5xxx ids were merged in
v6.13 and backported to 6.1.y and 6.12.y, so only v6.2 lacks them%s.
Strict: the same.""" % ("" if kernel == "mainline" else ", under kernel 6.2",
                        "" if kernel == "mainline" else ": here their functions share a group"),
                 None if kernel == "mainline" else "6.2")
    alias_files()


def alias_files():
    # quirk_dma_func0_alias / quirk_dma_func1_alias
    for kind, rows in (("fn0", FN0_ROWS), ("fn1", FN1_ROWS)):
        sc = Scenario()
        for v, d, fam in rows:
            rp, mf = sc.root_port(True)
            b = "%02x" % sc.bus()
            f = [b + ":00.%d" % i for i in range(3)]
            quirked = 2 if kind == "fn0" else 0
            sc.add([dev(rp, "root-port", mf=mf, acs=FULL)]
                   + [dev(f[i], "endpoint", rp, mf=True, acs=FULL,
                          ids=(v, d) if i == quirked else None) for i in range(3)],
                   [[rp], [f[0], f[2]], [f[1]]] if kind == "fn0" else [[rp], [f[0], f[1]], [f[2]]])
        sc.write("alias-" + kind, """Kernel: DECLARE_PCI_FIXUP_HEADER(vendor, device, quirk_dma_func%s_alias)
for %s.
Functions other than %s also DMA as function %s of their slot (on some
SKUs a function that does not exist).  Each row's device sits on its own
bus with three functions, all with full ACS: %s.  The expectation fails if
the alias went to another function, or nowhere.  Strict: all functions
isolated, the same groups.""" % (
            kind[-1], ", ".join("%04x:%04x (%s)" % r for r in rows), kind[-1], kind[-1],
            "function 2 has the ids and aliases function 0, which it joins (§A4),\n"
            "while function 1 stays alone" if kind == "fn0" else
            "function 0 has the ids and aliases function 1, a real function here,\n"
            "which joins it (§A4), while function 2 stays alone"))
    # quirk_use_pcie_bridge_dma_alias
    sc = Scenario()
    for v, d, fam in BRIDGE_ROWS:
        rp, mf = sc.root_port(True)
        b1, b2 = "%02x" % sc.bus(), "%02x" % sc.bus()
        br, pd = b1 + ":00.0", b2 + ":01.0"
        sc.add([dev(rp, "root-port", mf=mf, acs=FULL), dev(br, "pci-bridge", rp, ids=(v, d)),
                dev(pd, "pci-device", br)], [[rp], [br, pd]], [(pd, b2 + ":00.0")])
    rp, mf = sc.root_port(True)
    b1, b2, b3 = "%02x" % sc.bus(), "%02x" % sc.bus(), "%02x" % sc.bus()
    sc.add([dev(rp, "root-port", mf=mf, acs=FULL), dev(b1 + ":00.0", "pci-bridge", rp),
            dev(b2 + ":00.0", "pci-bridge", b1 + ":00.0", ids=(0x1b21, 0x1080)),
            dev(b3 + ":02.0", "pci-device", b2 + ":00.0")],
           [[rp], [b1 + ":00.0", b2 + ":00.0", b3 + ":02.0"]], [(b3 + ":02.0", b1 + ":00.0")])
    rb = "%02x" % sc.bus()
    sc.add([dev("00:1e.0", "pci-bridge", ids=(0x8086, 0x244e)),
            dev(rb + ":01.0", "pci-device", "00:1e.0")],
           [["00:1e.0", rb + ":01.0"]], [(rb + ":01.0", "00:1e.0")])
    sc.write("bridge-alias", """Kernel: DECLARE_PCI_FIXUP_HEADER(vendor, device, quirk_use_pcie_bridge_dma_alias)
for %s.
A PCIe-to-PCI bridge that hides its PCI Express capability looks like a
conventional bridge, but tags requests from below as (secondary bus, 00.0)
(PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS, spec §A2).  Each row's bridge below an ACS
root port is flagged: the conventional device behind it DMAs as
secondary:00.0 (the requester_id expectations; without the flag it would be
the bridge's own RID).  The fixup refuses a bridge on a root bus (00:1e.0,
8086:244e: DMA from behind it carries 00:1e.0).  A bridge with the ids below
a plain conventional bridge is not flagged either, and its devices' DMA
leaves as the upper bridge's RID.  Groups: each top bridge with everything
behind it (§A2), the same in both modes.""" % ", ".join(
        "%04x:%04x (%s)" % r for r in BRIDGE_ROWS))
    # quirk_mic_x200_dma_alias, quirk_pex_vca_alias, quirk_plx_ntb_dma_alias, fixed
    sc = Scenario()
    for d in MIC_ROWS:
        rp, mf = sc.root_port(True)
        b = "%02x" % sc.bus()
        sc.add([dev(rp, "root-port", mf=mf, acs=FULL),
                dev(b + ":00.0", "endpoint", rp, ids=(INTEL, d)),
                dev(b + ":10.0", "endpoint", rp), dev(b + ":11.0", "endpoint", rp),
                dev(b + ":12.0", "endpoint", rp, mf=True, acs=FULL),
                dev(b + ":12.3", "endpoint", rp, mf=True, acs=FULL),
                dev(b + ":13.0", "endpoint", rp)],
               [[rp], [b + ":00.0", b + ":10.0", b + ":11.0", b + ":12.3"], [b + ":12.0"],
                [b + ":13.0"]])
    sc.write("alias-mic-x200", """Kernel: DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_INTEL, 0x2260 / 0x2264,
quirk_mic_x200_dma_alias).
The MIC x200 NTB forwards with the RIDs its EEPROM's RIT-LUT programs:
devfns 10.0, 11.0 and 12.3 of its bus.  Each row's device at 00.0 aliases
exactly those three: the functions there join its group (§A4), while 12.0
(same slot as 12.3, full ACS) and 13.0 stay alone.  Strict: every function
is isolated (single-function endpoints, or multifunction with ACS).""")
    sc = Scenario()
    for d in VCA_ROWS:
        rp, mf = sc.root_port(True)
        b = "%02x" % sc.bus()
        sc.add([dev(rp, "root-port", mf=mf, acs=FULL),
                dev(b + ":00.0", "endpoint", rp, ids=(INTEL, d)),
                dev(b + ":05.0", "endpoint", rp),
                dev(b + ":06.0", "endpoint", rp, mf=True, acs=FULL),
                dev(b + ":06.4", "endpoint", rp, mf=True, acs=FULL),
                dev(b + ":06.5", "endpoint", rp, mf=True, acs=FULL)],
               [[rp], [b + ":00.0", b + ":05.0", b + ":06.0", b + ":06.4"], [b + ":06.5"]])
    sc.write("alias-vca", """Kernel: DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_INTEL, %s, quirk_pex_vca_alias).
The Visual Compute Accelerator aliases functions 0-4 of all 32 slots of its
bus (the other side's slot is unknown; up to five functions).  Each row's
device pulls in 05.0, 06.0 and 06.4 (§A4); 06.5, function 5, stays alone
(full ACS).  Strict: every function isolated, the same.""" % " / ".join(hx(d) for d in VCA_ROWS))
    sc = Scenario()
    for d in PLX_ROWS:
        rp, mf = sc.root_port(True)
        b = "%02x" % sc.bus()
        sc.add([dev(rp, "root-port", mf=mf, acs=FULL),
                dev(b + ":00.0", "endpoint", rp, ids=(0x10b5, d)),
                dev(b + ":07.0", "endpoint", rp, mf=True, acs=FULL),
                dev(b + ":07.7", "endpoint", rp, mf=True, acs=FULL)],
               [[rp], [b + ":00.0", b + ":07.0", b + ":07.7"]])
    rp, mf = sc.root_port(True)
    b = "%02x" % sc.bus()
    sc.add([dev(rp, "root-port", mf=mf, acs=FULL), dev(b + ":00.0", "endpoint", rp),
            dev(b + ":01.0", "endpoint", rp)], [[rp], [b + ":00.0"], [b + ":01.0"]])
    sc.write("alias-plx-ntb", """Kernel: DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_PLX, 0x87b0 / 0x87b1,
quirk_plx_ntb_dma_alias).
The PLX NTB forwards responses under proxy ids that may be any of the 256
devfns of its bus, so all are aliased: each row's device pulls in 07.0 and
07.7 (function 7, beyond the VCA quirk's five), full ACS or not (§A4).  A
bus without an NTB keeps its two endpoints apart.  Strict: the same.""")
    sc = Scenario()
    rp, mf = sc.root_port(True)
    b = "%02x" % sc.bus()
    sc.add([dev(rp, "root-port", mf=mf, acs=FULL),
            dev(b + ":00.0", "endpoint", rp, ids=(0x9005, 0x0285)),
            dev(b + ":01.0", "endpoint", rp), dev(b + ":02.0", "endpoint", rp)],
           [[rp], [b + ":00.0", b + ":01.0"], [b + ":02.0"]])
    sc.write("alias-fixed-adaptec", """Kernel: fixed_dma_alias_tbl[] / quirk_fixed_dma_alias (Adaptec 3405, 3805).
The controller's DMA engine is a private device at 01.0 of its bus, so
9005:0285 at 00.0 also DMAs as 01.0: the function there joins its group
(§A4) and 02.0 stays alone.  The kernel also matches the subsystem ids
9005:02bb / 9005:02bc, which a topology cannot state; the simulator matches
vendor/device alone (an extra alias never splits a group).  Strict: the
same.""")


if __name__ == "__main__":
    main()
