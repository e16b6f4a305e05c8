/* SPDX-License-Identifier: MIT */
/*
 * Device quirks as data (spec §A, "Quirks are data tables").
 *
 * Real hardware gets some things wrong in ways only its vendor/device id
 * reveals, and the kernel carries tables keyed by those ids.  Three kinds
 * matter for IOMMU groups:
 *
 *  - ACS quirks: functions that isolate without an ACS capability, or with
 *    one the core cannot read.  Their verdict wins in isolated() (§A1.1).
 *    Every kernel ACS quirk vouches for isolation once its preconditions hold
 *    (AMD southbridge: an AMD IOMMU is present; Intel PCH: the chipset
 *    register write that turns peer-to-peer off succeeded); the simulator
 *    takes the preconditions as met.
 *  - DMA-alias quirks: functions that issue DMA under another requester id
 *    on their bus: function 0 (Ricoh), function 1 (Marvell SATA), a fixed
 *    devfn (Adaptec), every devfn (PLX NTB proxy ids).
 *  - PCIE_BRIDGE_ALIAS: PCIe-to-PCI bridges that hide their PCI Express
 *    capability, so they look conventional but tag forwarded requests like a
 *    PCIe-to-PCI bridge, as (secondary bus, 00.0) (§A2).
 *
 * The ids are facts about hardware collected from public device lists and
 * the kernel's quirk tables; the code is ours.  Entries whose ids could not
 * be confirmed say so.  Not modelled: Switchtec NTB aliases (read from the
 * device's registers at run time) and subsystem-id matching (the topology has
 * no subsystem ids, so the Adaptec entry matches on vendor/device alone).
 */
#include <stdio.h>

#include "sim/trace.h"
#include "model/pci/pci_internal.h"

#define ACS(v, lo, hi, when, fam) { v, lo, hi, PCI_QUIRK_ACS_ISOLATED, PCI_QUIRK_WHEN_##when, 0, fam }
#define ACS1(v, d, when, fam) ACS(v, d, d, when, fam)
#define MF(v, d, fam) ACS(v, d, d, ANY, fam)
#define ALIAS(v, d, kind, devfn, fam) { v, d, d, PCI_QUIRK_##kind, PCI_QUIRK_WHEN_ANY, devfn, fam }
#define BRALIAS(v, d, fam) \
	{ v, d, d, PCI_QUIRK_BRIDGE_ALIAS, PCI_QUIRK_WHEN_CONV_BRIDGE_BELOW_PCIE, 0, fam }

static const struct pci_quirk quirk_table[] = {
	/* ---- ACS: Intel PCH root ports (no ACS cap; P2P off in the chipset) */
	ACS(0x8086, 0x3b42, 0x3b51, ROOT_PORT, "intel-pch"),   /* Ibex Peak (5 series) */
	ACS(0x8086, 0x1c10, 0x1c1f, ROOT_PORT, "intel-pch"),   /* Cougar Point (6) */
	ACS(0x8086, 0x1e10, 0x1e1f, ROOT_PORT, "intel-pch"),   /* Panther Point (7) */
	ACS(0x8086, 0x8c10, 0x8c1f, ROOT_PORT, "intel-pch"),   /* Lynx Point-H (8) */
	ACS(0x8086, 0x9c10, 0x9c1b, ROOT_PORT, "intel-pch"),   /* Lynx Point-LP */
	ACS(0x8086, 0x9c90, 0x9c9b, ROOT_PORT, "intel-pch"),   /* Wildcat Point-LP */
	ACS(0x8086, 0x8d10, 0x8d1e, ROOT_PORT, "intel-pch"),   /* Wellsburg (X99) */
	/* Patsburg (X79) and 9 series: even ids only */
	ACS1(0x8086, 0x1d10, ROOT_PORT, "intel-pch"), ACS1(0x8086, 0x1d12, ROOT_PORT, "intel-pch"),
	ACS1(0x8086, 0x1d14, ROOT_PORT, "intel-pch"), ACS1(0x8086, 0x1d16, ROOT_PORT, "intel-pch"),
	ACS1(0x8086, 0x1d18, ROOT_PORT, "intel-pch"), ACS1(0x8086, 0x1d1a, ROOT_PORT, "intel-pch"),
	ACS1(0x8086, 0x1d1c, ROOT_PORT, "intel-pch"), ACS1(0x8086, 0x1d1e, ROOT_PORT, "intel-pch"),
	ACS1(0x8086, 0x8c90, ROOT_PORT, "intel-pch"), ACS1(0x8086, 0x8c92, ROOT_PORT, "intel-pch"),
	ACS1(0x8086, 0x8c94, ROOT_PORT, "intel-pch"), ACS1(0x8086, 0x8c96, ROOT_PORT, "intel-pch"),
	ACS1(0x8086, 0x8c98, ROOT_PORT, "intel-pch"), ACS1(0x8086, 0x8c9a, ROOT_PORT, "intel-pch"),
	ACS1(0x8086, 0x8c9c, ROOT_PORT, "intel-pch"), ACS1(0x8086, 0x8c9e, ROOT_PORT, "intel-pch"),
	/* Sunrise Point-H and Union Point: an ACS cap with a non-standard layout */
	ACS(0x8086, 0xa110, 0xa11f, ROOT_PORT, "intel-spt-pch"),
	ACS(0x8086, 0xa167, 0xa16a, ROOT_PORT, "intel-spt-pch"),
	ACS(0x8086, 0xa290, 0xa29f, ROOT_PORT, "intel-spt-pch"),
	ACS(0x8086, 0xa2e7, 0xa2ee, ROOT_PORT, "intel-spt-pch"),

	/* ---- ACS: AMD/ATI southbridge functions (SB600..SB900, Hudson) */
	ACS1(0x1002, 0x4383, ANY, "amd-sb"), ACS1(0x1002, 0x4384, ANY, "amd-sb"),
	ACS1(0x1002, 0x4385, ANY, "amd-sb"), ACS1(0x1002, 0x4399, ANY, "amd-sb"),
	ACS1(0x1002, 0x439c, ANY, "amd-sb"), ACS1(0x1002, 0x439d, ANY, "amd-sb"),
	ACS1(0x1022, 0x7809, ANY, "amd-sb"), ACS1(0x1022, 0x780f, ANY, "amd-sb"),

	/* ---- ACS: vendors' root ports without (usable) ACS */
	ACS(0x177d, 0xa000, 0xa7ff, ROOT_PORT, "cavium-thunderx"),  /* ThunderX1 */
	ACS1(0x177d, 0xaf84, ROOT_PORT, "cavium-thunderx"),         /* ThunderX2 */
	ACS1(0x177d, 0xb884, ROOT_PORT, "cavium-thunderx"),         /* ThunderX3 */
	ACS1(0x17cb, 0x0400, ROOT_PORT, "qcom-qdf2xxx"),
	ACS1(0x17cb, 0x0401, ROOT_PORT, "qcom-qdf2xxx"),
	ACS1(0x1dbf, 0x0401, ROOT_PORT, "hxt-sd4800"),
	/* NXP LX2xx0/LX2xx2: A, C, E, N variants x three controller types */
	ACS(0x1957, 0x8d80, 0x8d83, ROOT_PORT, "nxp-lx2"),
	ACS(0x1957, 0x8d88, 0x8d8b, ROOT_PORT, "nxp-lx2"),
	ACS(0x1957, 0x8d90, 0x8d93, ROOT_PORT, "nxp-lx2"),
	ACS(0x1957, 0x8d98, 0x8d9b, ROOT_PORT, "nxp-lx2"),
	ACS(0x1957, 0x8da0, 0x8da1, ROOT_PORT, "nxp-lx2"),
	ACS(0x1957, 0x8da8, 0x8da9, ROOT_PORT, "nxp-lx2"),
	ACS(0x1957, 0x8db0, 0x8db1, ROOT_PORT, "nxp-lx2"),
	ACS(0x1957, 0x8db8, 0x8db9, ROOT_PORT, "nxp-lx2"),
	/* APM X-Gene and Ampere eMAG/Altra root complexes */
	ACS1(0x10e8, 0xe004, ANY, "apm-xgene"),
	ACS(0x1def, 0xe005, 0xe00f, ANY, "ampere"),
	/* Zhaoxin root and downstream ports that predate their ACS cap */
	ACS(0x1d17, 0x0710, 0x071e, PORT, "zhaoxin"),
	ACS1(0x1d17, 0x0721, PORT, "zhaoxin"),
	ACS(0x1d17, 0x0723, 0x0752, PORT, "zhaoxin"),
	/* HiSilicon: UNVERIFIED.  The spec names the family but no device id
	 * could be confirmed, so this covers every HiSilicon root port. */
	ACS(0x19e5, 0x0000, 0xffff, ROOT_PORT, "hisilicon"),

	/* ---- ACS: every Intel root-complex integrated endpoint.  VT-d lets
	 * RCiEPs peer-to-peer only on translated addresses (VT-d spec r3.1,
	 * 3.16), so the kernel's pci_quirk_rciep_acs (commit 3247bd10a450,
	 * "PCI: Add ACS quirk for Intel Root Complex Integrated Endpoints")
	 * vouches for SV RR CR UF on any Intel device of type RC_END.  The
	 * real-kernel oracle found it: two functions of a multifunction e1000e
	 * on q35's root bus get a group each. */
	ACS(0x8086, 0x0000, 0xffff, RC_ENDPOINT, "intel-rciep"),

	/* ---- ACS: multifunction devices without P2P between functions */
	MF(0x8086, 0x10a7, "intel-nic"), MF(0x8086, 0x10a9, "intel-nic"),  /* 82575 */
	MF(0x8086, 0x10d6, "intel-nic"),
	MF(0x8086, 0x10c9, "intel-nic"), MF(0x8086, 0x10e6, "intel-nic"),  /* 82576 */
	MF(0x8086, 0x10e7, "intel-nic"), MF(0x8086, 0x10e8, "intel-nic"),
	MF(0x8086, 0x150a, "intel-nic"), MF(0x8086, 0x150d, "intel-nic"),
	MF(0x8086, 0x1518, "intel-nic"), MF(0x8086, 0x1526, "intel-nic"),
	MF(0x8086, 0x1509, "intel-nic"), MF(0x8086, 0x150e, "intel-nic"),  /* 82580 */
	MF(0x8086, 0x150f, "intel-nic"), MF(0x8086, 0x1510, "intel-nic"),
	MF(0x8086, 0x1511, "intel-nic"), MF(0x8086, 0x1516, "intel-nic"),
	MF(0x8086, 0x1527, "intel-nic"),
	MF(0x8086, 0x1521, "intel-nic"), MF(0x8086, 0x1522, "intel-nic"),  /* I350 */
	MF(0x8086, 0x1523, "intel-nic"), MF(0x8086, 0x1524, "intel-nic"),
	MF(0x8086, 0x105e, "intel-nic"), MF(0x8086, 0x105f, "intel-nic"),  /* 82571 */
	MF(0x8086, 0x1060, "intel-nic"), MF(0x8086, 0x10d9, "intel-nic"),
	MF(0x8086, 0x10c6, "intel-nic"), MF(0x8086, 0x10db, "intel-nic"),  /* 82598/82599 */
	MF(0x8086, 0x10dd, "intel-nic"), MF(0x8086, 0x10e1, "intel-nic"),
	MF(0x8086, 0x10f1, "intel-nic"), MF(0x8086, 0x10f7, "intel-nic"),
	MF(0x8086, 0x10f8, "intel-nic"), MF(0x8086, 0x10f9, "intel-nic"),
	MF(0x8086, 0x10fa, "intel-nic"), MF(0x8086, 0x10fb, "intel-nic"),
	MF(0x8086, 0x10fc, "intel-nic"), MF(0x8086, 0x1507, "intel-nic"),
	MF(0x8086, 0x1514, "intel-nic"), MF(0x8086, 0x151c, "intel-nic"),
	MF(0x8086, 0x1529, "intel-nic"), MF(0x8086, 0x152a, "intel-nic"),
	MF(0x8086, 0x154d, "intel-nic"), MF(0x8086, 0x154f, "intel-nic"),
	MF(0x8086, 0x1551, "intel-nic"), MF(0x8086, 0x1558, "intel-nic"),
	MF(0x1924, 0x0903, "solarflare"), MF(0x1924, 0x0923, "solarflare"),
	MF(0x1924, 0x0a03, "solarflare"),
	MF(0x19a2, 0x0710, "emulex"), MF(0x10df, 0x0720, "emulex"),   /* BE3-R, Skyhawk-R */
	MF(0x177d, 0xa026, "cavium-mf"), MF(0x177d, 0xa059, "cavium-mf"),
	MF(0x177d, 0xa060, "cavium-mf"),
	MF(0x14e4, 0x16d7, "broadcom-mf"), MF(0x14e4, 0x1750, "broadcom-mf"),
	MF(0x14e4, 0x1751, "broadcom-mf"), MF(0x14e4, 0x1752, "broadcom-mf"),
	MF(0x1d17, 0x3038, "zhaoxin-mf"), MF(0x1d17, 0x3104, "zhaoxin-mf"),
	MF(0x1d17, 0x9083, "zhaoxin-mf"),

	/* ---- DMA aliases */
	ALIAS(0x1180, 0xe832, DMA_ALIAS_FN0, 0, "ricoh"),          /* R5C832 */
	ALIAS(0x1180, 0xe476, DMA_ALIAS_FN0, 0, "ricoh"),          /* R5U476 */
	ALIAS(0x1b4b, 0x9120, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9123, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9128, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9130, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9170, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9172, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x917a, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9182, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9183, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x91a0, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9215, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9220, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9230, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1b4b, 0x9235, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1103, 0x0642, DMA_ALIAS_FN1, 0, "marvell-sata"),   /* HighPoint (TTI) */
	ALIAS(0x1103, 0x0645, DMA_ALIAS_FN1, 0, "marvell-sata"),
	ALIAS(0x1c28, 0x0122, DMA_ALIAS_FN1, 0, "marvell-sata"),   /* Lite-On/Plextor M6e */
	/* Adaptec 3405/3805 (kernel: subsystem 9005:02bb/02bc) DMA as 01.0 too */
	ALIAS(0x9005, 0x0285, DMA_ALIAS_DEVFN, PCI_DEVFN(1, 0), "adaptec"),
	/* PLX NTB: proxy ids may be any devfn of the bus */
	ALIAS(0x10b5, 0x87b0, DMA_ALIAS_ALL, 0, "plx-ntb"),
	ALIAS(0x10b5, 0x87a1, DMA_ALIAS_ALL, 0, "plx-ntb"),

	/* ---- PCIE_BRIDGE_ALIAS: PCIe-to-PCI bridges without a PCIe cap */
	BRALIAS(0x1b21, 0x1080, "asmedia"),     /* ASM1083/1085 */
	BRALIAS(0x10e3, 0x8113, "tundra"),      /* Tsi381 */
	BRALIAS(0x1283, 0x8892, "ite"),         /* IT8892 */
	BRALIAS(0x1283, 0x8893, "ite"),         /* IT8893 */
};

static const char *const kind_names[] = {
	[PCI_QUIRK_ACS_ISOLATED] = "acs_isolated",
	[PCI_QUIRK_DMA_ALIAS_FN0] = "dma_alias_fn0",
	[PCI_QUIRK_DMA_ALIAS_FN1] = "dma_alias_fn1",
	[PCI_QUIRK_DMA_ALIAS_DEVFN] = "dma_alias_devfn",
	[PCI_QUIRK_DMA_ALIAS_ALL] = "dma_alias_all",
	[PCI_QUIRK_BRIDGE_ALIAS] = "pcie_bridge_alias",
};

size_t pci_quirk_count(void)
{
	return G_N_ELEMENTS(quirk_table);
}

const struct pci_quirk *pci_quirk_at(size_t i)
{
	return i < G_N_ELEMENTS(quirk_table) ? &quirk_table[i] : NULL;
}

const char *pci_quirk_kind_name(enum pci_quirk_kind k)
{
	return (unsigned)k < G_N_ELEMENTS(kind_names) ? kind_names[k] : NULL;
}

/* The kernel's condition for PCIE_BRIDGE_ALIAS: a conventional bridge, not
 * on a root bus, whose upstream bridge is PCI Express but not itself a
 * PCIe-to-PCI bridge (the hidden PCIe link is right above it). */
static bool conv_bridge_below_pcie(const struct pci_dev *d)
{
	const struct pci_dev *up = d->bus->self;

	return d->type == PCI_TYPE_PCI_BRIDGE && up && pci_type_is_pcie(up->type) &&
	       up->type != PCI_TYPE_PCIE_TO_PCI_BRIDGE;
}

bool pci_quirk_matches(const struct pci_quirk *q, const struct pci_dev *d)
{
	if (d->vendor != q->vendor || d->device < q->dev_lo || d->device > q->dev_hi)
		return false;
	switch (q->when) {
	case PCI_QUIRK_WHEN_ANY:
		return true;
	case PCI_QUIRK_WHEN_ROOT_PORT:
		return d->type == PCI_TYPE_ROOT_PORT;
	case PCI_QUIRK_WHEN_PORT:
		return d->type == PCI_TYPE_ROOT_PORT || d->type == PCI_TYPE_DOWNSTREAM_PORT;
	case PCI_QUIRK_WHEN_RC_ENDPOINT:
		return d->type == PCI_TYPE_RC_ENDPOINT;
	case PCI_QUIRK_WHEN_CONV_BRIDGE_BELOW_PCIE:
		return conv_bridge_below_pcie(d);
	}
	return false;
}

static void add_alias(struct pci_dev *d, uint8_t devfn)
{
	if (devfn != d->devfn)         /* the own RID is always visited */
		d->dma_alias[devfn >> 6] |= 1ull << (devfn & 63);
}

/* Apply one matching entry; false when it does not change @d. */
static bool quirk_apply(const struct pci_quirk *q, struct pci_dev *d)
{
	uint8_t slot = PCI_SLOT(d->devfn);

	switch (q->kind) {
	case PCI_QUIRK_ACS_ISOLATED:
		if (d->acs_quirk >= 0)     /* an explicit acs_quirk, or an earlier entry */
			return false;
		d->acs_quirk = 1;
		return true;
	case PCI_QUIRK_DMA_ALIAS_FN0:
	case PCI_QUIRK_DMA_ALIAS_FN1: {
		uint8_t fn = q->kind == PCI_QUIRK_DMA_ALIAS_FN0 ? 0 : 1;

		if (PCI_FUNC(d->devfn) == fn)
			return false;
		add_alias(d, (uint8_t)PCI_DEVFN(slot, fn));
		return true;
	}
	case PCI_QUIRK_DMA_ALIAS_DEVFN:
		if (q->devfn == d->devfn)
			return false;
		add_alias(d, q->devfn);
		return true;
	case PCI_QUIRK_DMA_ALIAS_ALL:
		for (unsigned devfn = 0; devfn < 256; devfn++)
			add_alias(d, (uint8_t)devfn);
		return true;
	case PCI_QUIRK_BRIDGE_ALIAS:
		d->bridge_alias = true;
		return true;
	}
	return false;
}

void pci_dev_apply_quirks(struct sim_world *w, struct pci_dev *d)
{
	char what[64];

	for (size_t i = 0; i < G_N_ELEMENTS(quirk_table); i++) {
		const struct pci_quirk *q = &quirk_table[i];

		if (!pci_quirk_matches(q, d) || !quirk_apply(q, d))
			continue;
		snprintf(what, sizeof(what), "%s:%s", kind_names[q->kind], q->family);
		SIM_TRACE(w, pci_quirk, d->name, what);
	}
}
