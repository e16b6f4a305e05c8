/* SPDX-License-Identifier: MIT */
/*
 * Device quirks as data (spec §A, "Quirks are data tables").
 *
 * Real hardware gets some things wrong in ways only its vendor/device id
 * reveals, and the kernel keeps tables keyed by those ids in
 * drivers/pci/quirks.c.  This file holds the rows that matter for IOMMU
 * groups, row by row in the kernel's order, audited against mainline (and
 * the 6.1.y and 6.12.y stable trees for the releases the profile selects):
 *
 *  - pci_dev_acs_enabled[]: each row names a function that decides whether
 *    a function isolates although its ACS capability is missing or
 *    unreadable.  The function sees the device (type, multifunction, bus,
 *    ACS capability) and answers isolated, not isolated, or "not mine"; the
 *    first row that answers wins (pci_dev_specific_acs_enabled), and its
 *    verdict beats the standard rules (§A1.1).  A verdict is asked with the
 *    IOMMU core's REQ_ACS_FLAGS (SV RR CR UF).
 *  - the DMA-alias header fixups: functions that DMA under other requester
 *    ids of their bus (function 0, function 1, fixed devfns, every slot's
 *    functions 0-4, all 256 devfns), and PCIe-to-PCI bridges hiding their
 *    PCI Express capability (PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS).
 *
 * Conditions the model cannot see are stated, never dropped:
 *  - pci_quirk_amd_sb_acs needs an AMD IOMMU (the ACPI IVRS table).  None of
 *    the simulated IOMMUs (iommu.format: VT-d, SMMUv3, RISC-V) is one, so on
 *    the simulated platform the AMD southbridge rows never answer, as the
 *    kernel's would not; `acs_quirk: true` on a function states an AMD
 *    platform's verdict.
 *  - pci_quirk_intel_pch_acs vouches only after pci_quirk_enable_intel_pch_acs
 *    turned peer decodes off through the LPC's RCBA at boot.  That write
 *    succeeds on real PCHs (firmware enables RCBA), so it is taken as done;
 *    `acs_quirk: false` states a PCH where it failed.
 *  - quirk_fixed_dma_alias also matches the subsystem ids (Adaptec 3405 and
 *    3805: 9005:02bb, 9005:02bc).  A topology states no subsystem ids, so
 *    the row matches on vendor/device alone: an extra alias can only make a
 *    group larger, never smaller, than the kernel's.
 * Not modelled: Switchtec NTB aliases (quirk_switchtec_ntb_dma_alias reads
 * the proxy ids from the device's NTB registers at run time; a topology
 * states them with dma_alias), and PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT on
 * Broadcom Vulcan/ThunderX2 bridges 14e4:9000, 9084 (an alias walk that
 * stops below such a bridge).
 *
 * The ids are facts from the kernel's tables; the code is ours.
 */
#include <stdio.h>

#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci_internal.h"

#define ANY PCI_QUIRK_ANY_ID
#define NOT_IN(k) (1u << (k))
/* rows merged after v6.2 and backported to the 6.1.y and 6.12.y stable trees */
#define AFTER_6_2 NOT_IN(SIM_KERNEL_6_2)
/* rows only mainline has (not in the 6.12.y stable tree) */
#define MAINLINE_ONLY (NOT_IN(SIM_KERNEL_6_1) | NOT_IN(SIM_KERNEL_6_2) | NOT_IN(SIM_KERNEL_6_12))

#define ACSQ(v, d, fn, kf, fam, abs) \
	{ .vendor = v, .device = d, .kind = PCI_QUIRK_ACS, .acs = PCI_QUIRK_ACS_FN_##fn, \
	  .kfunc = kf, .family = fam, .absent = abs }
#define AMD_SB(v, d)  ACSQ(v, d, AMD_SB, "pci_quirk_amd_sb_acs", "amd-sb", 0)
#define MF(v, d, fam) ACSQ(v, d, MF_ENDPOINT, "pci_quirk_mf_endpoint_acs", fam, 0)
#define MF_NEW(v, d, fam, abs) ACSQ(v, d, MF_ENDPOINT, "pci_quirk_mf_endpoint_acs", fam, abs)
#define XGENE(v, d, fam) ACSQ(v, d, XGENE, "pci_quirk_xgene_acs", fam, 0)
#define NXP(d)        ACSQ(0x1957, d, NXP_RP, "pci_quirk_nxp_rp_acs", "nxp-lx2", 0)
#define LOONGSON(d)   ACSQ(0x0014, d, LOONGSON, "pci_quirk_loongson_acs", "loongson", MAINLINE_ONLY)
#define ALIAS(v, d, k, kf, fam) \
	{ .vendor = v, .device = d, .kind = PCI_QUIRK_##k, .kfunc = kf, .family = fam }
#define FN0(v, d, fam) ALIAS(v, d, DMA_ALIAS_FN0, "quirk_dma_func0_alias", fam)
#define FN1(v, d, fam) ALIAS(v, d, DMA_ALIAS_FN1, "quirk_dma_func1_alias", fam)
#define VCA(d)         ALIAS(0x8086, d, DMA_ALIAS_VCA, "quirk_pex_vca_alias", "intel-vca")
#define BRALIAS(v, d, fam) \
	ALIAS(v, d, BRIDGE_ALIAS, "quirk_use_pcie_bridge_dma_alias", fam)
#define MIC(d) \
	{ .vendor = 0x8086, .device = d, .kind = PCI_QUIRK_DMA_ALIAS_FIXED, .ndevfns = 3, \
	  .devfns = { PCI_DEVFN(0x10, 0), PCI_DEVFN(0x11, 0), PCI_DEVFN(0x12, 3) }, \
	  .kfunc = "quirk_mic_x200_dma_alias", .family = "intel-mic-x200" }

static const struct pci_quirk quirk_table[] = {
	/* ---- pci_dev_acs_enabled[], in the kernel's order ---- */
	AMD_SB(0x1002, 0x4385), AMD_SB(0x1002, 0x439c), AMD_SB(0x1002, 0x4383),
	AMD_SB(0x1002, 0x439d), AMD_SB(0x1002, 0x4384), AMD_SB(0x1002, 0x4399),
	AMD_SB(0x1022, 0x780f), AMD_SB(0x1022, 0x7809),
	MF(0x1924, 0x0903, "solarflare"), MF(0x1924, 0x0923, "solarflare"),
	MF(0x1924, 0x0a03, "solarflare"),
	MF(0x8086, 0x10c6, "intel-nic"), MF(0x8086, 0x10db, "intel-nic"),
	MF(0x8086, 0x10dd, "intel-nic"), MF(0x8086, 0x10e1, "intel-nic"),
	MF(0x8086, 0x10f1, "intel-nic"), MF(0x8086, 0x10f7, "intel-nic"),
	MF(0x8086, 0x10f8, "intel-nic"), MF(0x8086, 0x10f9, "intel-nic"),
	MF(0x8086, 0x10fa, "intel-nic"), MF(0x8086, 0x10fb, "intel-nic"),
	MF(0x8086, 0x10fc, "intel-nic"), MF(0x8086, 0x1507, "intel-nic"),
	MF(0x8086, 0x1514, "intel-nic"), MF(0x8086, 0x151c, "intel-nic"),
	MF(0x8086, 0x1529, "intel-nic"), MF(0x8086, 0x152a, "intel-nic"),
	MF(0x8086, 0x154d, "intel-nic"), MF(0x8086, 0x154f, "intel-nic"),
	MF(0x8086, 0x1551, "intel-nic"), MF(0x8086, 0x1558, "intel-nic"),
	/* 82580 */
	MF(0x8086, 0x1509, "intel-nic"), MF(0x8086, 0x150e, "intel-nic"),
	MF(0x8086, 0x150f, "intel-nic"), MF(0x8086, 0x1510, "intel-nic"),
	MF(0x8086, 0x1511, "intel-nic"), MF(0x8086, 0x1516, "intel-nic"),
	MF(0x8086, 0x1527, "intel-nic"),
	/* 82576 */
	MF(0x8086, 0x10c9, "intel-nic"), MF(0x8086, 0x10e6, "intel-nic"),
	MF(0x8086, 0x10e7, "intel-nic"), MF(0x8086, 0x10e8, "intel-nic"),
	MF(0x8086, 0x150a, "intel-nic"), MF(0x8086, 0x150d, "intel-nic"),
	MF(0x8086, 0x1518, "intel-nic"), MF(0x8086, 0x1526, "intel-nic"),
	/* 82575 */
	MF(0x8086, 0x10a7, "intel-nic"), MF(0x8086, 0x10a9, "intel-nic"),
	MF(0x8086, 0x10d6, "intel-nic"),
	/* I350 */
	MF(0x8086, 0x1521, "intel-nic"), MF(0x8086, 0x1522, "intel-nic"),
	MF(0x8086, 0x1523, "intel-nic"), MF(0x8086, 0x1524, "intel-nic"),
	/* 82571 (the quad-port parts sit behind a switch without ACS: omitted) */
	MF(0x8086, 0x105e, "intel-nic"), MF(0x8086, 0x105f, "intel-nic"),
	MF(0x8086, 0x1060, "intel-nic"), MF(0x8086, 0x10d9, "intel-nic"),
	/* I219 */
	MF(0x8086, 0x15b7, "intel-nic"), MF(0x8086, 0x15b8, "intel-nic"),
	/* every Intel RCiEP: VT-d lets RCiEPs reach peers only through
	 * translated addresses (VT-d spec r3.1, 3.16); the real-kernel oracle
	 * confirmed it on q35 (quirks/intel-rciep-multifunction.yaml) */
	ACSQ(0x8086, ANY, RCIEP, "pci_quirk_rciep_acs", "intel-rciep", 0),
	/* QCOM QDF2xxx root ports, SA8775P root port, HXT SD4800 */
	ACSQ(0x17cb, 0x0400, QCOM_RP, "pci_quirk_qcom_rp_acs", "qcom", 0),
	ACSQ(0x17cb, 0x0401, QCOM_RP, "pci_quirk_qcom_rp_acs", "qcom", 0),
	ACSQ(0x17cb, 0x0115, QCOM_RP, "pci_quirk_qcom_rp_acs", "qcom", AFTER_6_2),
	ACSQ(0x1dbf, 0x0401, QCOM_RP, "pci_quirk_qcom_rp_acs", "hxt", 0),
	/* Intel PCH root ports */
	ACSQ(0x8086, ANY, INTEL_PCH, "pci_quirk_intel_pch_acs", "intel-pch", 0),
	ACSQ(0x8086, ANY, INTEL_SPT_PCH, "pci_quirk_intel_spt_pch_acs", "intel-spt-pch", 0),
	MF(0x19a2, 0x0710, "emulex"),      /* BE3-R */
	MF(0x10df, 0x0720, "emulex"),      /* Skyhawk-R */
	/* Cavium ThunderX root ports, then Cavium multifunction devices */
	ACSQ(0x177d, ANY, CAVIUM, "pci_quirk_cavium_acs", "cavium", 0),
	MF(0x177d, 0xa026, "cavium-mf"), MF(0x177d, 0xa059, "cavium-mf"),
	MF(0x177d, 0xa060, "cavium-mf"),
	/* APM X-Gene; Ampere Computing */
	XGENE(0x10e8, 0xe004, "apm-xgene"),
	XGENE(0x1def, 0xe005, "ampere"), XGENE(0x1def, 0xe006, "ampere"),
	XGENE(0x1def, 0xe007, "ampere"), XGENE(0x1def, 0xe008, "ampere"),
	XGENE(0x1def, 0xe009, "ampere"), XGENE(0x1def, 0xe00a, "ampere"),
	XGENE(0x1def, 0xe00b, "ampere"), XGENE(0x1def, 0xe00c, "ampere"),
	/* Broadcom multifunction devices; iProc PAXB root ports */
	MF(0x14e4, 0x16d7, "broadcom-mf"), MF(0x14e4, 0x1750, "broadcom-mf"),
	MF(0x14e4, 0x1751, "broadcom-mf"), MF(0x14e4, 0x1752, "broadcom-mf"),
	MF_NEW(0x14e4, 0x1760, "broadcom-mf", AFTER_6_2),
	MF_NEW(0x14e4, 0x1761, "broadcom-mf", AFTER_6_2),
	MF_NEW(0x14e4, 0x1762, "broadcom-mf", AFTER_6_2),
	MF_NEW(0x14e4, 0x1763, "broadcom-mf", AFTER_6_2),
	ACSQ(0x14e4, 0xd714, BRCM, "pci_quirk_brcm_acs", "broadcom-paxb", 0),
	/* Loongson root ports */
	LOONGSON(0x3c09), LOONGSON(0x3c19), LOONGSON(0x3c29),
	LOONGSON(0x7a09), LOONGSON(0x7a19), LOONGSON(0x7a29), LOONGSON(0x7a39),
	LOONGSON(0x7a49), LOONGSON(0x7a59), LOONGSON(0x7a69),
	/* Amazon Annapurna Labs root ports */
	ACSQ(0x1c36, 0x0031, AL, "pci_quirk_al_acs", "annapurna", 0),
	/* Zhaoxin multifunction devices */
	MF(0x1d17, 0x3038, "zhaoxin-mf"), MF(0x1d17, 0x3104, "zhaoxin-mf"),
	MF(0x1d17, 0x9083, "zhaoxin-mf"),
	/* NXP LX2xx0/LX2xx2 root ports (A, C, E, N variants), kernel order */
	NXP(0x8d81), NXP(0x8da1), NXP(0x8d83), NXP(0x8d80), NXP(0x8da0), NXP(0x8d82),
	NXP(0x8d90), NXP(0x8db0), NXP(0x8d92), NXP(0x8d91), NXP(0x8db1), NXP(0x8d93),
	NXP(0x8d89), NXP(0x8da9), NXP(0x8d8b), NXP(0x8d88), NXP(0x8da8), NXP(0x8d8a),
	NXP(0x8d98), NXP(0x8db8), NXP(0x8d9a), NXP(0x8d99), NXP(0x8db9), NXP(0x8d9b),
	/* Zhaoxin root and downstream ports; Wangxun NICs */
	ACSQ(0x1d17, ANY, ZHAOXIN_PORTS, "pci_quirk_zhaoxin_pcie_ports_acs", "zhaoxin", 0),
	ACSQ(0x8088, ANY, WANGXUN, "pci_quirk_wangxun_nic_acs", "wangxun", 0),

	/* ---- DMA-alias header fixups ---- */
	FN0(0x1180, 0xe832, "ricoh"), FN0(0x1180, 0xe476, "ricoh"),
	FN0(0x6766, 0x3d40, "glenfly"), FN0(0x6766, 0x3d41, "glenfly"),
	FN1(0x1b4b, 0x9120, "marvell"), FN1(0x1b4b, 0x9123, "marvell"),
	FN1(0x1b4b, 0x9125, "marvell"), FN1(0x1b4b, 0x9128, "marvell"),
	FN1(0x1b4b, 0x9130, "marvell"), FN1(0x1b4b, 0x9170, "marvell"),
	FN1(0x1b4b, 0x9172, "marvell"), FN1(0x1b4b, 0x917a, "marvell"),
	FN1(0x1b4b, 0x9182, "marvell"), FN1(0x1b4b, 0x9183, "marvell"),
	FN1(0x1b4b, 0x91a0, "marvell"), FN1(0x1b4b, 0x9215, "marvell"),
	FN1(0x1b4b, 0x9220, "marvell"), FN1(0x1b4b, 0x9230, "marvell"),
	FN1(0x1b4b, 0x9235, "marvell"),
	FN1(0x1103, 0x0642, "highpoint"), FN1(0x1103, 0x0645, "highpoint"),
	FN1(0x197b, 0x2392, "jmicron"),     /* JMB388 ESD */
	FN1(0x1c28, 0x0122, "plextor"),     /* Lite-On Plextor M6e (88SS9183) */
	/* Adaptec 3405/3805 (kernel: subsystem 9005:02bb, 9005:02bc): DMA as 01.0 */
	{ .vendor = 0x9005, .device = 0x0285, .kind = PCI_QUIRK_DMA_ALIAS_FIXED,
	  .ndevfns = 1, .devfns = { PCI_DEVFN(1, 0) },
	  .kfunc = "quirk_fixed_dma_alias", .family = "adaptec" },
	BRALIAS(0x1b21, 0x1080, "asmedia"),   /* ASM1083/1085 */
	BRALIAS(0x10e3, 0x8113, "tundra"),    /* Tsi381 */
	BRALIAS(0x1283, 0x8892, "ite"),       /* IT8892 */
	BRALIAS(0x1283, 0x8893, "ite"),       /* IT8893 */
	BRALIAS(0x8086, 0x244e, "intel-82801"),
	MIC(0x2260), MIC(0x2264),
	VCA(0x2954), VCA(0x2955), VCA(0x2956), VCA(0x2958), VCA(0x2959), VCA(0x295a),
	ALIAS(0x10b5, 0x87b0, DMA_ALIAS_ALL, "quirk_plx_ntb_dma_alias", "plx-ntb"),
	ALIAS(0x10b5, 0x87b1, DMA_ALIAS_ALL, "quirk_plx_ntb_dma_alias", "plx-ntb"),
};

static const char *const kind_names[] = {
	[PCI_QUIRK_ACS] = "acs",
	[PCI_QUIRK_DMA_ALIAS_FN0] = "dma_alias_fn0",
	[PCI_QUIRK_DMA_ALIAS_FN1] = "dma_alias_fn1",
	[PCI_QUIRK_DMA_ALIAS_FIXED] = "dma_alias_fixed",
	[PCI_QUIRK_DMA_ALIAS_VCA] = "dma_alias_vca",
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

static bool row_present(const struct sim_world *w, const struct pci_quirk *q)
{
	return !(q->absent & NOT_IN(sim_world_kernel(w)));
}

static bool row_ids_match(const struct pci_quirk *q, const struct pci_dev *d)
{
	return q->vendor == d->vendor && (q->device == ANY || q->device == d->device);
}

/* ---- the ACS functions (each asked for REQ = SV RR CR UF) ---------------- */

enum { NOT_MINE = -1, NOT_ISOLATED = 0, ISOLATED = 1 };

static bool is_pcie(const struct pci_dev *d)
{
	return pci_type_is_pcie(d->type);
}

static bool is_root_port(const struct pci_dev *d)
{
	return d->type == PCI_TYPE_ROOT_PORT;
}

/* pci_quirk_intel_pch_acs_ids[] (Red Hat bugzilla 1037684) */
static bool intel_pch_id(uint16_t id)
{
	static const uint16_t even[] = {
		0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e, /* Patsburg */
		0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e, /* 9 series */
	};

	if ((id >= 0x3b42 && id <= 0x3b51) ||     /* Ibex Peak */
	    (id >= 0x1c10 && id <= 0x1c1f) ||     /* Cougar Point */
	    (id >= 0x1e10 && id <= 0x1e1f) ||     /* Panther Point */
	    (id >= 0x8c10 && id <= 0x8c1f) ||     /* Lynx Point-H */
	    (id >= 0x9c10 && id <= 0x9c1b) ||     /* Lynx Point-LP */
	    (id >= 0x9c90 && id <= 0x9c9b) ||     /* Wildcat Point */
	    (id >= 0x8d10 && id <= 0x8d1e))       /* Wellsburg (X99) */
		return true;
	for (size_t i = 0; i < G_N_ELEMENTS(even); i++)
		if (even[i] == id)
			return true;
	return false;
}

/* pci_quirk_intel_spt_pch_acs_match's ids */
static bool intel_spt_id(uint16_t id)
{
	return (id >= 0xa110 && id <= 0xa11f) || (id >= 0xa167 && id <= 0xa16a) || /* SPT */
	       (id >= 0xa290 && id <= 0xa29f) || (id >= 0xa2e7 && id <= 0xa2ee) || /* UPT */
	       (id >= 0x9d10 && id <= 0x9d1b);    /* 7th and 8th generation mobile */
}

static bool cavium_id(uint16_t id)
{
	return (id >= 0xa000 && id <= 0xa7ff) ||  /* ThunderX1 */
	       id == 0xaf84 || id == 0xb884;      /* ThunderX2, ThunderX3 */
}

static bool zhaoxin_port_id(uint16_t id)
{
	return (id >= 0x0710 && id <= 0x071e) || id == 0x0721 ||
	       (id >= 0x0723 && id <= 0x0752);
}

/* the FF5xxx (AML) ids merged in v6.13 and backported to 6.1.y and 6.12.y */
static bool wangxun_id(const struct sim_world *w, uint16_t id)
{
	if ((id >= 0x0100 && id <= 0x010f) || id == 0x1001 || id == 0x2001)
		return true;        /* SFxxx (em), RP1000/RP2000 (sp) */
	if (id == 0x5010 || id == 0x5025 || id == 0x5040 ||
	    id == 0x5110 || id == 0x5125 || id == 0x5140)
		return sim_world_kernel(w) != SIM_KERNEL_6_2;
	return false;
}

static int acs_fn(const struct sim_world *w, const struct pci_quirk *q,
		  const struct pci_dev *d, bool acpi_ivrs)
{
	uint16_t need;

	switch (q->acs) {
	case PCI_QUIRK_ACS_FN_AMD_SB:
		/* southbridge functions: multifunction, on the root bus, with an
		 * AMD IOMMU; they claim RR and CR, all of REQ that applies */
		if (!d->multifunction || d->bus->self || !acpi_ivrs)
			return NOT_MINE;
		return ISOLATED;
	case PCI_QUIRK_ACS_FN_MF_ENDPOINT:
	case PCI_QUIRK_ACS_FN_QCOM_RP:
	case PCI_QUIRK_ACS_FN_XGENE:
	case PCI_QUIRK_ACS_FN_BRCM:
	case PCI_QUIRK_ACS_FN_LOONGSON:
	case PCI_QUIRK_ACS_FN_NXP_RP:
		return ISOLATED;    /* no condition beyond the ids */
	case PCI_QUIRK_ACS_FN_RCIEP:
		return d->type == PCI_TYPE_RC_ENDPOINT ? ISOLATED : NOT_MINE;
	case PCI_QUIRK_ACS_FN_INTEL_PCH:
		/* the enable quirk's RCBA write is taken as done (see the top) */
		return is_pcie(d) && is_root_port(d) && intel_pch_id(d->device)
		       ? ISOLATED : NOT_MINE;
	case PCI_QUIRK_ACS_FN_INTEL_SPT_PCH:
		/* the standard test on the capability, read at its real
		 * (dword) offsets; without a capability the port is not mine */
		if (!is_pcie(d) || !is_root_port(d) || !intel_spt_id(d->device) || !d->has_acs)
			return NOT_MINE;
		need = PCI_ACS_REQ & (d->acs_cap | PCI_ACS_EC);
		return (d->acs_ctrl & need) == need ? ISOLATED : NOT_ISOLATED;
	case PCI_QUIRK_ACS_FN_CAVIUM:
		return is_pcie(d) && is_root_port(d) && cavium_id(d->device)
		       ? ISOLATED : NOT_MINE;
	case PCI_QUIRK_ACS_FN_AL:
		/* pci_pcie_type of a conventional function reads as an endpoint */
		return is_root_port(d) ? ISOLATED : NOT_MINE;
	case PCI_QUIRK_ACS_FN_ZHAOXIN_PORTS:
		if (!is_pcie(d) || (d->type != PCI_TYPE_ROOT_PORT &&
				    d->type != PCI_TYPE_DOWNSTREAM_PORT))
			return NOT_MINE;
		/* ports outside the list are "not isolated", ACS cap or not */
		return zhaoxin_port_id(d->device) ? ISOLATED : NOT_ISOLATED;
	case PCI_QUIRK_ACS_FN_WANGXUN:
		/* every other Wangxun function is "not isolated" */
		return wangxun_id(w, d->device) ? ISOLATED : NOT_ISOLATED;
	case PCI_QUIRK_ACS_FN_NONE:
		break;
	}
	return NOT_MINE;
}

int pci_quirk_acs_verdict(const struct sim_world *w, const struct pci_dev *d,
			  bool acpi_ivrs, const struct pci_quirk **row)
{
	if (row)
		*row = NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(quirk_table); i++) {
		const struct pci_quirk *q = &quirk_table[i];
		int v;

		if (q->kind != PCI_QUIRK_ACS || !row_ids_match(q, d) || !row_present(w, q))
			continue;
		v = acs_fn(w, q, d, acpi_ivrs);
		if (v >= 0) {
			if (row)
				*row = q;
			return v;
		}
	}
	return NOT_MINE;
}

/* ---- DMA aliases ----------------------------------------------------------- */

/* pci_add_dma_alias: one devfn of the bus (the own devfn is always visited,
 * so it is not recorded) */
static void add_alias(struct pci_dev *d, uint8_t devfn)
{
	if (devfn != d->devfn)
		d->dma_alias[devfn >> 6] |= 1ull << (devfn & 63);
}

/* quirk_use_pcie_bridge_dma_alias: a conventional bridge, not on a root bus,
 * whose upstream bridge is PCI Express but not a PCIe-to-PCI bridge: the
 * hidden PCIe link is right above it. */
static bool conv_bridge_below_pcie(const struct pci_dev *d)
{
	const struct pci_dev *up = d->bus->self;

	return d->type == PCI_TYPE_PCI_BRIDGE && up && pci_type_is_pcie(up->type) &&
	       up->type != PCI_TYPE_PCIE_TO_PCI_BRIDGE;
}

/* Apply one alias row; false when it does not change @d. */
static bool alias_apply(const struct pci_quirk *q, struct pci_dev *d)
{
	uint8_t slot = PCI_SLOT(d->devfn);

	switch (q->kind) {
	case PCI_QUIRK_DMA_ALIAS_FN0:
		if (PCI_FUNC(d->devfn) == 0)
			return false;
		add_alias(d, (uint8_t)PCI_DEVFN(slot, 0));
		return true;
	case PCI_QUIRK_DMA_ALIAS_FN1:
		if (PCI_FUNC(d->devfn) == 1)
			return false;
		add_alias(d, (uint8_t)PCI_DEVFN(slot, 1));
		return true;
	case PCI_QUIRK_DMA_ALIAS_FIXED:
		for (unsigned i = 0; i < q->ndevfns; i++)
			add_alias(d, q->devfns[i]);
		return true;
	case PCI_QUIRK_DMA_ALIAS_VCA:
		for (unsigned s = 0; s < 32; s++)
			for (unsigned fn = 0; fn < 5; fn++)
				add_alias(d, (uint8_t)PCI_DEVFN(s, fn));
		return true;
	case PCI_QUIRK_DMA_ALIAS_ALL:
		for (unsigned devfn = 0; devfn < 256; devfn++)
			add_alias(d, (uint8_t)devfn);
		return true;
	case PCI_QUIRK_BRIDGE_ALIAS:
		if (!conv_bridge_below_pcie(d))
			return false;
		d->bridge_alias = true;
		return true;
	case PCI_QUIRK_ACS:
		break;
	}
	return false;
}

void pci_dev_apply_quirks(struct sim_world *w, struct pci_dev *d)
{
	const struct pci_quirk *row;
	char what[64];

	/* no simulated IOMMU is AMD's: no IVRS table (see the top) */
	if (d->acs_quirk < 0) {
		int v = pci_quirk_acs_verdict(w, d, false, &row);

		if (v >= 0) {
			d->acs_quirk = v;
			snprintf(what, sizeof(what), "%s:%s", v ? "acs_isolated" : "acs_not_isolated",
				 row->family);
			SIM_TRACE(w, pci_quirk, d->name, what);
		}
	}
	for (size_t i = 0; i < G_N_ELEMENTS(quirk_table); i++) {
		const struct pci_quirk *q = &quirk_table[i];

		if (q->kind == PCI_QUIRK_ACS || !row_ids_match(q, d) || !row_present(w, q) ||
		    !alias_apply(q, d))
			continue;
		snprintf(what, sizeof(what), "%s:%s", kind_names[q->kind], q->family);
		SIM_TRACE(w, pci_quirk, d->name, what);
	}
}
