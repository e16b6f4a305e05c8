/* SPDX-License-Identifier: MIT */
/*
 * model/pci/quirks.c: the quirk table (spec §A "Quirks are data tables")
 * applied by (vendor, device) when a topology is built, audited row by row
 * against the kernel's drivers/pci/quirks.c: pci_dev_acs_enabled[] with each
 * function's condition (pci_dev_specific_acs_enabled), the DMA-alias fixups,
 * PCIE_BRIDGE_ALIAS; rows by kernel release; explicit keys overriding or
 * extending them; the groups that result in both modes; the pci_quirk trace
 * point.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/group.h"

#include "pci_fixture.h"

static struct sim_world *build(const struct pci_dev_spec *s, size_t n)
{
	struct sim_world *w = sim_world_create(1);
	struct pci_build_error err = { 0 };
	int ret = pci_topology_create(w, s, n, &err);

	ck_assert_msg(ret == 0, "create: %d: entry %zu: %s", ret, err.index, err.msg);
	return w;
}

static struct pci_dev *dev(struct sim_world *w, const char *bdf)
{
	struct pci_dev *d = pci_dev_find(w, B(bdf));

	ck_assert_msg(d, "no %s", bdf);
	return d;
}

/* Aliases of @bdf as "01.0 02.0" (devfns on its bus, ascending). */
static const char *aliases(struct sim_world *w, const char *bdf)
{
	static char buf[2048];
	struct pci_dev *d = dev(w, bdf);
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned devfn = 0; devfn < 256; devfn++)
		if (pci_dev_has_alias(d, (uint8_t)devfn))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%02x.%u",
						len ? " " : "", PCI_SLOT(devfn), PCI_FUNC(devfn));
	return buf;
}

/* Groups in id order, "00:01.0 | 01:00.0 01:00.1", domain 0000 omitted. */
static char *groups(const struct pci_dev_spec *s, size_t n, enum iommu_group_mode mode)
{
	struct sim_world *w = build(s, n);
	GString *out = g_string_new(NULL);

	ck_assert_int_eq(iommu_core_create(w, mode), 0);
	for (unsigned id = 0; id < iommu_group_count(w); id++) {
		struct iommu_group *g = iommu_group_by_id(w, id);

		g_string_append(out, id ? " | " : "");
		for (size_t i = 0; i < g->ndevices; i++)
			g_string_append_printf(out, "%s%s", i ? " " : "", g->devices[i]->name + 5);
	}
	sim_world_destroy(w);
	return g_string_free(out, FALSE);
}

static void expect_groups(const struct pci_dev_spec *s, size_t n, const char *legacy,
			  const char *strict)
{
	char *l = groups(s, n, IOMMU_GROUP_LEGACY), *st = groups(s, n, IOMMU_GROUP_STRICT);

	ck_assert_str_eq(l, legacy);
	ck_assert_str_eq(st, strict);
	g_free(l);
	g_free(st);
}

/* ---- the table ----------------------------------------------------------- */

static bool row_matches_ids(const struct pci_quirk *q, uint16_t v, uint16_t d)
{
	return q->vendor == v && (q->device == PCI_QUIRK_ANY_ID || q->device == d);
}

START_TEST(test_table_sane)
{
	size_t n = pci_quirk_count(), acs = 0;

	ck_assert_uint_gt(n, 150);
	ck_assert_ptr_null(pci_quirk_at(n));
	ck_assert_ptr_null(pci_quirk_kind_name(PCI_QUIRK_BRIDGE_ALIAS + 1));
	ck_assert_str_eq(pci_quirk_kind_name(PCI_QUIRK_DMA_ALIAS_FN1), "dma_alias_fn1");
	for (size_t i = 0; i < n; i++) {
		const struct pci_quirk *q = pci_quirk_at(i);

		ck_assert_msg(q->vendor != 0xffff && q->vendor != 0x1af4,
			      "entry %zu: vendor %04x", i, q->vendor);
		ck_assert_ptr_nonnull(q->family);
		ck_assert_ptr_nonnull(q->kfunc);
		ck_assert_ptr_nonnull(pci_quirk_kind_name(q->kind));
		ck_assert(!strchr(q->family, ' '));   /* a trace value has no spaces */
		ck_assert((q->kind == PCI_QUIRK_ACS) == (q->acs != PCI_QUIRK_ACS_FN_NONE));
		ck_assert((q->kind == PCI_QUIRK_DMA_ALIAS_FIXED) == (q->ndevfns > 0));
		ck_assert_msg(q->kind != PCI_QUIRK_ACS || i == acs, "ACS rows come first");
		acs += q->kind == PCI_QUIRK_ACS;
		/* every row is unique */
		for (size_t j = 0; j < i; j++) {
			const struct pci_quirk *o = pci_quirk_at(j);

			ck_assert_msg(!(o->vendor == q->vendor && o->device == q->device &&
					o->kind == q->kind && o->acs == q->acs),
				      "rows %zu and %zu", j, i);
		}
	}
	/* pci_dev_acs_enabled[] has 130 rows in mainline */
	ck_assert_uint_eq(acs, 130);
	/* the defaults (0x1af4 / 0x1000 + type) match no row */
	for (int t = 0; t < PCI_TYPE_NR; t++)
		for (size_t i = 0; i < n; i++)
			ck_assert(!row_matches_ids(pci_quirk_at(i), 0x1af4, (uint16_t)(0x1000 + t)));
}
END_TEST

/* The rows the audit against drivers/pci/quirks.c found wrong or missing:
 * each id must be in the table with its kernel function, and the wrong
 * ones (a PLX NTB typo, HiSilicon root ports the kernel has no row for,
 * Ampere ids past e00c) must not. */
START_TEST(test_table_audit)
{
	static const struct { uint16_t v, d; const char *kfunc; } have[] = {
		{ 0x10b5, 0x87b1, "quirk_plx_ntb_dma_alias" },
		{ 0x1b4b, 0x9125, "quirk_dma_func1_alias" },
		{ 0x197b, 0x2392, "quirk_dma_func1_alias" },         /* JMicron JMB388 */
		{ 0x6766, 0x3d40, "quirk_dma_func0_alias" },         /* Glenfly */
		{ 0x6766, 0x3d41, "quirk_dma_func0_alias" },
		{ 0x8086, 0x244e, "quirk_use_pcie_bridge_dma_alias" }, /* Intel 82801 */
		{ 0x8086, 0x2260, "quirk_mic_x200_dma_alias" },
		{ 0x8086, 0x2264, "quirk_mic_x200_dma_alias" },
		{ 0x8086, 0x295a, "quirk_pex_vca_alias" },
		{ 0x8086, 0x15b7, "pci_quirk_mf_endpoint_acs" },     /* I219 */
		{ 0x14e4, 0x1763, "pci_quirk_mf_endpoint_acs" },
		{ 0x14e4, 0xd714, "pci_quirk_brcm_acs" },
		{ 0x17cb, 0x0115, "pci_quirk_qcom_rp_acs" },
		{ 0x0014, 0x7a69, "pci_quirk_loongson_acs" },
		{ 0x1c36, 0x0031, "pci_quirk_al_acs" },
		{ 0x8088, 0x0101, "pci_quirk_wangxun_nic_acs" },
	};
	static const struct { uint16_t v, d; } lack[] = {
		{ 0x10b5, 0x87a1 }, { 0x19e5, 0xa120 }, { 0x1def, 0xe00d }, { 0x1def, 0xe00f },
	};

	for (size_t i = 0; i < N(have); i++) {
		bool found = false;

		for (size_t j = 0; j < pci_quirk_count(); j++) {
			const struct pci_quirk *q = pci_quirk_at(j);

			found |= row_matches_ids(q, have[i].v, have[i].d) &&
				 !strcmp(q->kfunc, have[i].kfunc);
		}
		ck_assert_msg(found, "%04x:%04x %s", have[i].v, have[i].d, have[i].kfunc);
	}
	for (size_t i = 0; i < N(lack); i++)
		for (size_t j = 0; j < pci_quirk_count(); j++)
			ck_assert_msg(!row_matches_ids(pci_quirk_at(j), lack[i].v, lack[i].d) ||
				      pci_quirk_at(j)->device == PCI_QUIRK_ANY_ID,
				      "%04x:%04x", lack[i].v, lack[i].d);
}
END_TEST

/* ---- ACS quirks (§A1.1) ---------------------------------------------------- */

/* The verdict the table gives a function of @type, as built on kernel @k: on
 * the root bus, or for a downstream port below a root port and an upstream
 * port (the rules).  @acs: with an ACS capability (cap REQ, ctrl @ctrl). */
static int verdict_full(enum sim_kernel k, uint16_t vendor, uint16_t device,
			enum pci_type type, bool mf, bool acs, uint16_t ctrl)
{
	bool dsp = type == PCI_TYPE_DOWNSTREAM_PORT;
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT),
		DEV("01:00.0", UPSTREAM_PORT, PARENT("00:01.0")),
		{ .sbdf = B(dsp ? "02:00.0" : "00:02.0"), .type = type, .acs_quirk = -1,
		  .has_parent = dsp, .parent = B("01:00.0"), .multifunction = mf,
		  .has_acs = acs, .acs_cap = acs ? PCI_ACS_REQ : 0, .has_acs_ctrl = acs,
		  .acs_ctrl = ctrl, .vendor = vendor, .device = device },
	};
	struct sim_world *w = sim_world_create(1);
	struct pci_build_error err = { 0 };
	int v;

	sim_world_set_kernel(w, k);
	ck_assert_msg(pci_topology_create(w, s, N(s), &err) == 0, "%04x:%04x %s: %s", vendor,
		      device, pci_type_name(type), err.msg);
	v = pci_dev_find(w, s[2].sbdf)->acs_quirk;
	sim_world_destroy(w);
	return v;
}

static int verdict(uint16_t vendor, uint16_t device, enum pci_type type)
{
	return verdict_full(SIM_KERNEL_MAINLINE, vendor, device, type, true, false, 0);
}

/* Each row's function with its condition (pci_dev_specific_acs_enabled and
 * the pci_quirk_*_acs functions of drivers/pci/quirks.c): 1 isolated, 0 the
 * quirk says "not isolated", -1 no quirk applies. */
START_TEST(test_acs_families)
{
	static const struct { uint16_t v, d; enum pci_type t; int want; } cases[] = {
		/* pci_quirk_intel_pch_acs: root ports of the id list */
		{ 0x8086, 0x1c10, PCI_TYPE_ROOT_PORT, 1 },       /* Cougar Point */
		{ 0x8086, 0x1c10, PCI_TYPE_ENDPOINT, -1 },
		{ 0x8086, 0x1c10, PCI_TYPE_DOWNSTREAM_PORT, -1 },
		{ 0x8086, 0x1d12, PCI_TYPE_ROOT_PORT, 1 },       /* Patsburg: even */
		{ 0x8086, 0x1d13, PCI_TYPE_ROOT_PORT, -1 },      /* ... not odd */
		{ 0x8086, 0x8d1e, PCI_TYPE_ROOT_PORT, 1 },       /* Wellsburg ends at 8d1e */
		{ 0x8086, 0x8d1f, PCI_TYPE_ROOT_PORT, -1 },
		{ 0x8086, 0x9c1b, PCI_TYPE_ROOT_PORT, 1 },
		{ 0x8086, 0x9c1c, PCI_TYPE_ROOT_PORT, -1 },
		/* pci_quirk_intel_spt_pch_acs: no ACS capability, no verdict */
		{ 0x8086, 0xa114, PCI_TYPE_ROOT_PORT, -1 },
		{ 0x8086, 0x9d14, PCI_TYPE_ROOT_PORT, -1 },
		/* pci_quirk_mf_endpoint_acs: any function of the ids */
		{ 0x8086, 0x1521, PCI_TYPE_ENDPOINT, 1 },        /* I350 */
		{ 0x8086, 0x1521, PCI_TYPE_PCI_DEVICE, 1 },
		{ 0x8086, 0x15b8, PCI_TYPE_ENDPOINT, 1 },        /* I219 */
		{ 0x1924, 0x0a03, PCI_TYPE_ENDPOINT, 1 },        /* Solarflare */
		{ 0x14e4, 0x16d7, PCI_TYPE_ENDPOINT, 1 },        /* Broadcom */
		{ 0x19a2, 0x0710, PCI_TYPE_ENDPOINT, 1 },        /* Emulex */
		{ 0x1d17, 0x9083, PCI_TYPE_ENDPOINT, 1 },        /* Zhaoxin mf */
		/* pci_quirk_amd_sb_acs: no simulated platform has an AMD IOMMU */
		{ 0x1002, 0x4385, PCI_TYPE_PCI_DEVICE, -1 },
		{ 0x1022, 0x780f, PCI_TYPE_PCI_BRIDGE, -1 },
		/* pci_quirk_cavium_acs: ThunderX root ports; then Cavium mf rows */
		{ 0x177d, 0xa01d, PCI_TYPE_ROOT_PORT, 1 },
		{ 0x177d, 0xa01d, PCI_TYPE_DOWNSTREAM_PORT, -1 },
		{ 0x177d, 0xaf84, PCI_TYPE_ROOT_PORT, 1 },
		{ 0x177d, 0xb884, PCI_TYPE_ROOT_PORT, 1 },
		{ 0x177d, 0xa800, PCI_TYPE_ROOT_PORT, -1 },
		{ 0x177d, 0xa026, PCI_TYPE_ENDPOINT, 1 },
		/* qcom, nxp, xgene, brcm: any function of the ids */
		{ 0x17cb, 0x0401, PCI_TYPE_ROOT_PORT, 1 },
		{ 0x17cb, 0x0401, PCI_TYPE_ENDPOINT, 1 },
		{ 0x1dbf, 0x0401, PCI_TYPE_ROOT_PORT, 1 },       /* HXT */
		{ 0x1957, 0x8db9, PCI_TYPE_ROOT_PORT, 1 },       /* NXP */
		{ 0x1957, 0x8d84, PCI_TYPE_ROOT_PORT, -1 },
		{ 0x10e8, 0xe004, PCI_TYPE_DOWNSTREAM_PORT, 1 }, /* X-Gene */
		{ 0x1def, 0xe00c, PCI_TYPE_ROOT_PORT, 1 },       /* Ampere */
		{ 0x1def, 0xe00d, PCI_TYPE_ROOT_PORT, -1 },
		{ 0x14e4, 0xd714, PCI_TYPE_ROOT_PORT, 1 },       /* iProc PAXB */
		{ 0x0014, 0x3c09, PCI_TYPE_ROOT_PORT, 1 },       /* Loongson */
		/* pci_quirk_al_acs: root ports only */
		{ 0x1c36, 0x0031, PCI_TYPE_ROOT_PORT, 1 },
		{ 0x1c36, 0x0031, PCI_TYPE_ENDPOINT, -1 },
		/* pci_quirk_zhaoxin_pcie_ports_acs: ports outside the list are
		 * "not isolated" (its `return false`), other types not its own */
		{ 0x1d17, 0x0721, PCI_TYPE_DOWNSTREAM_PORT, 1 },
		{ 0x1d17, 0x0752, PCI_TYPE_ROOT_PORT, 1 },
		{ 0x1d17, 0x0722, PCI_TYPE_ROOT_PORT, 0 },
		{ 0x1d17, 0x0710, PCI_TYPE_ENDPOINT, -1 },
		/* pci_quirk_wangxun_nic_acs: every other Wangxun id says no */
		{ 0x8088, 0x0105, PCI_TYPE_ENDPOINT, 1 },
		{ 0x8088, 0x2001, PCI_TYPE_ENDPOINT, 1 },
		{ 0x8088, 0x5140, PCI_TYPE_ENDPOINT, 1 },
		{ 0x8088, 0x1000, PCI_TYPE_ENDPOINT, 0 },
		/* HiSilicon has no row */
		{ 0x19e5, 0xa120, PCI_TYPE_ROOT_PORT, -1 },
		{ 0x1b4b, 0x9123, PCI_TYPE_ENDPOINT, -1 },       /* alias quirk only */
		/* pci_quirk_rciep_acs: any Intel RCiEP, only RCiEPs */
		{ 0x8086, 0x10d3, PCI_TYPE_RC_ENDPOINT, 1 },
		{ 0x8086, 0x0000, PCI_TYPE_RC_ENDPOINT, 1 },
		{ 0x8086, 0x10d3, PCI_TYPE_ENDPOINT, -1 },
		{ 0x10ee, 0x10d3, PCI_TYPE_RC_ENDPOINT, -1 },
	};

	for (size_t i = 0; i < N(cases); i++)
		ck_assert_msg(verdict(cases[i].v, cases[i].d, cases[i].t) == cases[i].want,
			      "%04x:%04x %s: %d", cases[i].v, cases[i].d, pci_type_name(cases[i].t),
			      verdict(cases[i].v, cases[i].d, cases[i].t));
}
END_TEST

/* pci_quirk_intel_spt_pch_acs reads the ACS capability at its real offsets:
 * the standard test, and no verdict without a capability. */
START_TEST(test_acs_spt_needs_cap)
{
	enum sim_kernel k = SIM_KERNEL_MAINLINE;

	ck_assert_int_eq(verdict_full(k, 0x8086, 0xa2e7, PCI_TYPE_ROOT_PORT, false, false, 0), -1);
	ck_assert_int_eq(verdict_full(k, 0x8086, 0xa2e7, PCI_TYPE_ROOT_PORT, false, true,
				      PCI_ACS_REQ), 1);
	ck_assert_int_eq(verdict_full(k, 0x8086, 0xa2e7, PCI_TYPE_ROOT_PORT, false, true,
				      PCI_ACS_SV | PCI_ACS_CR | PCI_ACS_UF), 0);
	/* a PCH-list root port needs no capability (pci_quirk_intel_pch_acs) */
	ck_assert_int_eq(verdict_full(k, 0x8086, 0x8c10, PCI_TYPE_ROOT_PORT, false, false, 0), 1);
}
END_TEST

/* pci_quirk_amd_sb_acs: multifunction, on the root bus, and an AMD IOMMU
 * (ACPI IVRS).  The simulated platforms have none; with one, the verdict. */
START_TEST(test_acs_amd_sb_conditions)
{
	struct pci_dev_spec s[] = {
		DEV("00:14.0", PCI_DEVICE, MF, ID(0x1002, 0x4385)),
		DEV("00:14.1", PCI_DEVICE, MF, ID(0x1002, 0x439c)),
		DEV("00:15.0", PCI_DEVICE, ID(0x1002, 0x4383)),          /* single function */
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), MF, ID(0x1022, 0x7809)),
		DEV("01:00.1", ENDPOINT, PARENT("00:01.0"), MF, ID(0x1022, 0x7809)),
	};
	struct sim_world *w = build(s, N(s));
	const struct pci_quirk *row;

	ck_assert_int_eq(pci_quirk_acs_verdict(w, dev(w, "00:14.0"), true, &row), 1);
	ck_assert_str_eq(row->kfunc, "pci_quirk_amd_sb_acs");
	ck_assert_int_eq(pci_quirk_acs_verdict(w, dev(w, "00:14.1"), true, NULL), 1);
	ck_assert_int_eq(pci_quirk_acs_verdict(w, dev(w, "00:14.0"), false, &row), -1);
	ck_assert_ptr_null(row);
	ck_assert_int_eq(pci_quirk_acs_verdict(w, dev(w, "00:15.0"), true, NULL), -1);
	ck_assert_int_eq(pci_quirk_acs_verdict(w, dev(w, "01:00.0"), true, NULL), -1);
	/* what the build recorded: no verdict (no IVRS) */
	ck_assert_int_eq(dev(w, "00:14.0")->acs_quirk, -1);
	sim_world_destroy(w);
	/* so the southbridge functions share a group, as the kernel's would */
	expect_groups(s, N(s), "00:01.0 | 00:14.0 00:14.1 | 00:15.0 | 01:00.0 01:00.1",
		      "00:01.0 | 00:14.0 00:14.1 | 00:15.0 | 01:00.0 01:00.1");
}
END_TEST

/* Rows by release (docs/kernel-versions.md): Loongson root ports only in
 * mainline; Wangxun FF5xxx, Broadcom BCM5760X and Qualcomm SA8775P rows not
 * in v6.2 (merged later, backported to 6.1.y and 6.12.y). */
START_TEST(test_acs_by_kernel)
{
	static const struct { uint16_t v, d; enum pci_type t; int mainline, k61, k62, k612; } c[] = {
		{ 0x0014, 0x7a09, PCI_TYPE_ROOT_PORT, 1, -1, -1, -1 },   /* pci_quirk_loongson_acs */
		{ 0x8088, 0x5025, PCI_TYPE_ENDPOINT, 1, 1, 0, 1 },       /* pci_quirk_wangxun_nic_acs */
		{ 0x8088, 0x1001, PCI_TYPE_ENDPOINT, 1, 1, 1, 1 },
		{ 0x14e4, 0x1760, PCI_TYPE_ENDPOINT, 1, 1, -1, 1 },      /* pci_quirk_mf_endpoint_acs */
		{ 0x17cb, 0x0115, PCI_TYPE_ROOT_PORT, 1, 1, -1, 1 },     /* pci_quirk_qcom_rp_acs */
		{ 0x8086, 0x1c10, PCI_TYPE_ROOT_PORT, 1, 1, 1, 1 },
	};

	for (size_t i = 0; i < N(c); i++) {
		ck_assert_int_eq(verdict_full(SIM_KERNEL_MAINLINE, c[i].v, c[i].d, c[i].t, true,
					      false, 0), c[i].mainline);
		ck_assert_int_eq(verdict_full(SIM_KERNEL_6_1, c[i].v, c[i].d, c[i].t, true,
					      false, 0), c[i].k61);
		ck_assert_int_eq(verdict_full(SIM_KERNEL_6_2, c[i].v, c[i].d, c[i].t, true,
					      false, 0), c[i].k62);
		ck_assert_int_eq(verdict_full(SIM_KERNEL_6_12, c[i].v, c[i].d, c[i].t, true,
					      false, 0), c[i].k612);
	}
}
END_TEST

/* pci_dev_specific_acs_enabled: the first row that answers wins.  A Zhaoxin
 * multifunction id answers before the Zhaoxin port row; a Zhaoxin port not
 * in the list is "not isolated" even with a full ACS capability. */
START_TEST(test_acs_first_row_wins)
{
	enum sim_kernel k = SIM_KERNEL_MAINLINE;

	ck_assert_int_eq(verdict_full(k, 0x1d17, 0x3038, PCI_TYPE_ROOT_PORT, false, false, 0), 1);
	ck_assert_int_eq(verdict_full(k, 0x1d17, 0x0800, PCI_TYPE_ROOT_PORT, false, true,
				      PCI_ACS_REQ), 0);
	/* an Intel RCiEP with a PCH root port's id is an RCiEP first */
	ck_assert_int_eq(verdict_full(k, 0x8086, 0x1c10, PCI_TYPE_RC_ENDPOINT, true, false, 0), 1);
}
END_TEST

/* Worked example 6b with real ids: the table isolates PCH root ports. */
START_TEST(test_acs_pch_groups)
{
	struct pci_dev_spec s[] = {
		DEV("00:1c.0", ROOT_PORT, MF, ID(0x8086, 0x1c10)),
		DEV("00:1c.4", ROOT_PORT, MF, ID(0x8086, 0x1c18)),
		DEV("01:00.0", ENDPOINT, PARENT("00:1c.0")),
		DEV("02:00.0", ENDPOINT, PARENT("00:1c.4")),
	};

	expect_groups(s, N(s), "00:1c.0 | 00:1c.4 | 01:00.0 | 02:00.0",
		      "00:1c.0 | 00:1c.4 | 01:00.0 | 02:00.0");
	/* unknown device ids: the ports are not isolated, one group */
	s[0].device = s[1].device = 0x1234;
	expect_groups(s, N(s), "00:1c.0 00:1c.4 01:00.0 02:00.0",
		      "00:1c.0 00:1c.4 01:00.0 02:00.0");
}
END_TEST

/* An explicit acs_quirk wins over the table, both ways. */
START_TEST(test_acs_explicit_overrides)
{
	struct pci_dev_spec s[] = {
		DEV("00:1c.0", ROOT_PORT, MF, ID(0x8086, 0x1c10), .acs_quirk = 0),
		DEV("00:1c.4", ROOT_PORT, MF, ID(0x8086, 0x1c18)),
		DEV("00:1d.0", ROOT_PORT, MF, ID(0x8086, 0x1234), .acs_quirk = 1),
		DEV("00:1d.4", ROOT_PORT, MF, ID(0x8086, 0x1234), .acs_quirk = 1),
	};
	struct sim_world *w = build(s, N(s));

	ck_assert_int_eq(dev(w, "00:1c.0")->acs_quirk, 0);
	ck_assert_int_eq(dev(w, "00:1c.4")->acs_quirk, 1);
	ck_assert_int_eq(dev(w, "00:1d.0")->acs_quirk, 1);
	sim_world_destroy(w);
	/* 1c.0 is not isolated, 1c.4 is: §A5 joins only non-isolated siblings */
	expect_groups(s, N(s), "00:1c.0 | 00:1c.4 | 00:1d.0 | 00:1d.4",
		      "00:1c.0 00:1c.4 | 00:1d.0 | 00:1d.4");
}
END_TEST

/* Intel I350 functions without ACS: isolated by the table, one group each. */
START_TEST(test_acs_mf_endpoint_groups)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), MF, ID(0x8086, 0x1521)),
		DEV("01:00.1", ENDPOINT, PARENT("00:01.0"), MF, ID(0x8086, 0x1521)),
	};

	expect_groups(s, N(s), "00:01.0 | 01:00.0 | 01:00.1", "00:01.0 | 01:00.0 | 01:00.1");
	s[1].device = s[2].device = 0x1533;            /* I210: not in the table */
	expect_groups(s, N(s), "00:01.0 | 01:00.0 01:00.1", "00:01.0 | 01:00.0 01:00.1");
}
END_TEST

/* pci_quirk_rciep_acs: two functions of an Intel multifunction RCiEP on the
 * root bus (an e1000e pair on q35, as the real-kernel oracle boots it) get a
 * group each; the same device below a root port is an ordinary endpoint and
 * its functions share one. */
START_TEST(test_acs_intel_rciep_groups)
{
	struct pci_dev_spec s[] = {
		DEV("00:06.0", RC_ENDPOINT, MF, ID(0x8086, 0x10d3)),
		DEV("00:06.1", RC_ENDPOINT, MF, ID(0x8086, 0x10d3)),
	};
	struct pci_dev_spec below[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), MF, ID(0x8086, 0x10d3)),
		DEV("01:00.1", ENDPOINT, PARENT("00:01.0"), MF, ID(0x8086, 0x10d3)),
	};

	expect_groups(s, N(s), "00:06.0 | 00:06.1", "00:06.0 | 00:06.1");
	expect_groups(below, N(below), "00:01.0 | 01:00.0 01:00.1", "00:01.0 | 01:00.0 01:00.1");
	s[0].vendor = s[1].vendor = 0x10ee;            /* not Intel: one group */
	expect_groups(s, N(s), "00:06.0 00:06.1", "00:06.0 00:06.1");
}
END_TEST

/* ---- DMA-alias quirks -------------------------------------------------------- */

/* Ricoh: functions 1..3 alias function 0; function 0 aliases nothing. */
START_TEST(test_alias_ricoh)
{
	struct pci_dev_spec s[] = {
		DEV("00:06.0", ROOT_PORT, ACS),
		DEV("06:00.0", ENDPOINT, PARENT("00:06.0"), MF, ACS, ID(0x1180, 0xe832)),
		DEV("06:00.1", ENDPOINT, PARENT("00:06.0"), MF, ACS, ID(0x1180, 0xe832)),
		DEV("06:00.2", ENDPOINT, PARENT("00:06.0"), MF, ACS, ID(0x1180, 0xe476)),
		DEV("06:00.3", ENDPOINT, PARENT("00:06.0"), MF, ACS, ID(0x1180, 0xe832)),
	};
	struct sim_world *w = build(s, N(s));

	ck_assert_str_eq(aliases(w, "06:00.0"), "");
	ck_assert_str_eq(aliases(w, "06:00.1"), "00.0");
	ck_assert_str_eq(aliases(w, "06:00.2"), "00.0");
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "06:00.3")), 0x0603);
	sim_world_destroy(w);
	expect_groups(s, N(s), "00:06.0 | 06:00.0 06:00.1 06:00.2 06:00.3",
		      "00:06.0 | 06:00.0 06:00.1 06:00.2 06:00.3");
}
END_TEST

/* Marvell SATA: vendor/device alone give the phantom 05:00.1; an explicit
 * dma_alias adds to it; function 1 of a Marvell itself gets nothing. */
START_TEST(test_alias_marvell)
{
	struct pci_dev_spec s[] = {
		DEV("00:05.0", ROOT_PORT, ACS),
		DEV("05:00.0", ENDPOINT, PARENT("00:05.0"), ID(0x1b4b, 0x9123)),
		DEV("00:07.0", ROOT_PORT, ACS),
		DEV("07:00.0", ENDPOINT, PARENT("00:07.0"), ID(0x1b4b, 0x9230),
		    .dma_alias = { 1ull << PCI_DEVFN(0, 4) }),
		DEV("00:08.0", ROOT_PORT, ACS),
		DEV("08:00.1", ENDPOINT, PARENT("00:08.0"), ID(0x1b4b, 0x9172)),
	};
	struct sim_world *w = build(s, N(s));

	ck_assert_str_eq(aliases(w, "05:00.0"), "00.1");
	ck_assert_str_eq(aliases(w, "07:00.0"), "00.1 00.4");
	ck_assert_str_eq(aliases(w, "08:00.1"), "");
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "05:00.0")), 0x0500);
	sim_world_destroy(w);
	expect_groups(s, N(s), "00:05.0 | 00:07.0 | 00:08.0 | 05:00.0 | 07:00.0 | 08:00.1",
		      "00:05.0 | 00:07.0 | 00:08.0 | 05:00.0 | 07:00.0 | 08:00.1");
}
END_TEST

/* A Marvell function 0 next to a real function 1 on its bus: §A4 joins them. */
START_TEST(test_alias_marvell_real_fn1)
{
	struct pci_dev_spec s[] = {
		DEV("00:05.0", ROOT_PORT, ACS),
		DEV("05:00.0", ENDPOINT, PARENT("00:05.0"), MF, ACS, ID(0x1b4b, 0x9128)),
		DEV("05:00.1", ENDPOINT, PARENT("00:05.0"), MF, ACS, ID(0x1b4b, 0x9128)),
		DEV("05:00.2", ENDPOINT, PARENT("00:05.0"), MF, ACS, ID(0x1af4, 0x1234)),
	};

	expect_groups(s, N(s), "00:05.0 | 05:00.0 05:00.1 | 05:00.2",
		      "00:05.0 | 05:00.0 05:00.1 | 05:00.2");
}
END_TEST

/* Adaptec: a fixed alias 01.0 on its bus; PLX NTB: every other devfn. */
START_TEST(test_alias_fixed_and_all)
{
	struct pci_dev_spec s[] = {
		DEV("00:03.0", ROOT_PORT, ACS),
		DEV("03:00.0", ENDPOINT, PARENT("00:03.0"), ID(0x9005, 0x0285)),
		DEV("03:01.0", ENDPOINT, PARENT("00:03.0")),
		DEV("00:04.0", ROOT_PORT, ACS),
		DEV("04:00.0", ENDPOINT, PARENT("00:04.0"), ID(0x10b5, 0x87b0)),
	};
	struct sim_world *w = build(s, N(s));
	struct pci_dev *ntb = dev(w, "04:00.0");

	ck_assert_str_eq(aliases(w, "03:00.0"), "01.0");
	ck_assert(!pci_dev_has_alias(ntb, 0x00));       /* its own RID is not an alias */
	for (unsigned devfn = 1; devfn < 256; devfn++)
		ck_assert(pci_dev_has_alias(ntb, (uint8_t)devfn));
	sim_world_destroy(w);
	/* 03:01.0 is the RID 03:00.0 also uses: §A4 puts them together */
	expect_groups(s, N(s), "00:03.0 | 00:04.0 | 03:00.0 03:01.0 | 04:00.0",
		      "00:03.0 | 00:04.0 | 03:00.0 03:01.0 | 04:00.0");
}
END_TEST

/* The rows the old table lacked, each aliasing exactly what the kernel's
 * fixup adds: quirk_dma_func0_alias (Glenfly), quirk_dma_func1_alias
 * (Marvell 88SE9125, JMicron JMB388), quirk_mic_x200_dma_alias (10.0, 11.0,
 * 12.3), quirk_pex_vca_alias (functions 0-4 of every slot),
 * quirk_plx_ntb_dma_alias (87b1, every devfn). */
START_TEST(test_alias_kernel_rows)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.1", ENDPOINT, PARENT("00:01.0"), MF, ACS, ID(0x6766, 0x3d41)),
		DEV("00:02.0", ROOT_PORT, ACS),
		DEV("02:00.0", ENDPOINT, PARENT("00:02.0"), ID(0x1b4b, 0x9125)),
		DEV("00:03.0", ROOT_PORT, ACS),
		DEV("03:00.2", ENDPOINT, PARENT("00:03.0"), MF, ACS, ID(0x197b, 0x2392)),
		DEV("00:04.0", ROOT_PORT, ACS),
		DEV("04:00.0", ENDPOINT, PARENT("00:04.0"), ID(0x8086, 0x2264)),
		DEV("00:05.0", ROOT_PORT, ACS),
		DEV("05:00.0", ENDPOINT, PARENT("00:05.0"), ID(0x8086, 0x2958)),
		DEV("00:06.0", ROOT_PORT, ACS),
		DEV("06:00.0", ENDPOINT, PARENT("00:06.0"), ID(0x10b5, 0x87b1)),
		DEV("00:07.0", ROOT_PORT, ACS),
		DEV("07:00.0", ENDPOINT, PARENT("00:07.0"), ID(0x10b5, 0x87a1)),  /* no such row */
	};
	struct sim_world *w = build(s, N(s));
	GString *vca = g_string_new(NULL);

	ck_assert_str_eq(aliases(w, "01:00.1"), "00.0");
	ck_assert_str_eq(aliases(w, "02:00.0"), "00.1");
	ck_assert_str_eq(aliases(w, "03:00.2"), "00.1");
	ck_assert_str_eq(aliases(w, "04:00.0"), "10.0 11.0 12.3");
	for (unsigned slot = 0; slot < 32; slot++)
		for (unsigned fn = 0; fn < 5; fn++)
			if (slot || fn)
				g_string_append_printf(vca, "%s%02x.%u", vca->len ? " " : "", slot, fn);
	ck_assert_str_eq(aliases(w, "05:00.0"), vca->str);
	for (unsigned devfn = 1; devfn < 256; devfn++)
		ck_assert(pci_dev_has_alias(dev(w, "06:00.0"), (uint8_t)devfn));
	ck_assert_str_eq(aliases(w, "07:00.0"), "");
	g_string_free(vca, TRUE);
	sim_world_destroy(w);
}
END_TEST

/* The alias lands on the function the kernel names and no other: a Marvell
 * at 05:00.0 with real functions 05:00.1 and 05:00.2 joins .1 only; a
 * Glenfly function 2 joins function 0, not function 1. */
START_TEST(test_alias_target_function)
{
	struct pci_dev_spec s[] = {
		DEV("00:05.0", ROOT_PORT, ACS),
		DEV("05:00.0", ENDPOINT, PARENT("00:05.0"), MF, ACS, ID(0x1b4b, 0x9230)),
		DEV("05:00.1", ENDPOINT, PARENT("00:05.0"), MF, ACS),
		DEV("05:00.2", ENDPOINT, PARENT("00:05.0"), MF, ACS),
		DEV("00:06.0", ROOT_PORT, ACS),
		DEV("06:00.0", ENDPOINT, PARENT("00:06.0"), MF, ACS),
		DEV("06:00.1", ENDPOINT, PARENT("00:06.0"), MF, ACS),
		DEV("06:00.2", ENDPOINT, PARENT("00:06.0"), MF, ACS, ID(0x6766, 0x3d40)),
	};

	expect_groups(s, N(s),
		      "00:05.0 | 00:06.0 | 05:00.0 05:00.1 | 05:00.2 | 06:00.0 06:00.2 | 06:00.1",
		      "00:05.0 | 00:06.0 | 05:00.0 05:00.1 | 05:00.2 | 06:00.0 06:00.2 | 06:00.1");
}
END_TEST

/* ---- PCIE_BRIDGE_ALIAS -------------------------------------------------------- */

START_TEST(test_bridge_alias)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", PCI_BRIDGE, PARENT("00:01.0"), ID(0x1b21, 0x1080)),   /* ASMedia */
		DEV("02:03.0", PCI_DEVICE, PARENT("01:00.0")),
		DEV("00:02.0", ROOT_PORT, ACS),
		DEV("03:00.0", PCI_BRIDGE, PARENT("00:02.0")),                       /* no quirk */
		DEV("04:05.0", PCI_DEVICE, PARENT("03:00.0")),
		DEV("00:03.0", ROOT_PORT, ACS),
		DEV("05:00.0", PCI_BRIDGE, PARENT("00:03.0"), ID(0x10e3, 0x8113)),   /* Tundra */
		DEV("06:00.0", PCI_BRIDGE, PARENT("05:00.0"), ID(0x10e3, 0x8113)),   /* below a
										      * conventional bridge */
		DEV("07:01.0", PCI_DEVICE, PARENT("06:00.0")),
		DEV("00:1e.0", PCI_BRIDGE, ID(0x1b21, 0x1080)),                      /* root bus */
		DEV("00:1d.0", ROOT_PORT, ACS),
		DEV("08:00.0", PCI_BRIDGE, PARENT("00:1d.0"), ID(0x8086, 0x244e)),   /* 82801 */
		DEV("09:02.0", PCI_DEVICE, PARENT("08:00.0")),
	};
	struct sim_world *w = build(s, N(s));

	ck_assert(dev(w, "01:00.0")->bridge_alias);
	ck_assert(!dev(w, "03:00.0")->bridge_alias);
	ck_assert(dev(w, "05:00.0")->bridge_alias);
	ck_assert(!dev(w, "06:00.0")->bridge_alias);
	ck_assert(!dev(w, "00:1e.0")->bridge_alias);
	ck_assert(dev(w, "08:00.0")->bridge_alias);
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "09:02.0")), 0x0900);
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "02:03.0")), 0x0200);
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "04:05.0")), 0x0300);
	/* 06:00.0 tags as itself (06:00.0), then 05:00.0 as 06:00.0 too */
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "07:01.0")), 0x0600);
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "01:00.0")), 0x0100);
	sim_world_destroy(w);
}
END_TEST

/* The type condition: a pcie-to-pci-bridge with those ids needs no flag. */
START_TEST(test_bridge_alias_type)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", PCIE_TO_PCI_BRIDGE, PARENT("00:01.0"), ID(0x1b21, 0x1080)),
		DEV("02:03.0", PCI_DEVICE, PARENT("01:00.0")),
	};
	struct sim_world *w = build(s, N(s));

	ck_assert(!dev(w, "01:00.0")->bridge_alias);
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "02:03.0")), 0x0200);
	sim_world_destroy(w);
}
END_TEST

/* ---- trace ------------------------------------------------------------------- */

/* The trace event @text in @buf, as a whole value (a space or the end of
 * the line follows it). */
static const char *event(const char *buf, const char *text)
{
	for (const char *p = strstr(buf, text); p; p = strstr(p + 1, text)) {
		char next = p[strlen(text)];

		if (next == '\n' || next == ' ')
			return p;
	}
	return NULL;
}

START_TEST(test_trace)
{
	struct pci_dev_spec s[] = {
		DEV("00:1c.0", ROOT_PORT, MF, ID(0x8086, 0x1c10)),
		DEV("00:1c.4", ROOT_PORT, MF, ID(0x8086, 0x1c18), .acs_quirk = 0),
		DEV("01:00.0", PCI_BRIDGE, PARENT("00:1c.0"), ID(0x1b21, 0x1080)),
		DEV("02:00.0", PCI_DEVICE, PARENT("01:00.0"), MF, ID(0x1180, 0xe832)),
		DEV("02:00.1", PCI_DEVICE, PARENT("01:00.0"), MF, ID(0x1180, 0xe832)),
		DEV("00:02.0", ROOT_PORT, ACS, ID(0x1d17, 0x0800)),
	};
	struct sim_world *w = sim_world_create(1);
	char *buf = NULL;
	const char *add, *quirk;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	sim_trace_set_output(w, out, SIM_TRACE_TEXT);
	ck_assert_int_eq(sim_trace_enable(w, "pci_dev_add,pci_quirk"), 0);
	ck_assert_int_eq(pci_topology_create(w, s, N(s), NULL), 0);
	sim_trace_set_output(w, NULL, SIM_TRACE_OFF);
	fclose(out);
	quirk = event(buf, "pci_quirk: dev=0000:00:1c.0 quirk=acs_isolated:intel-pch");
	add = strstr(buf, "pci_dev_add: dev=0000:00:1c.4");
	ck_assert_msg(quirk && add && quirk < add, "%s", buf);   /* right after its device */
	ck_assert_msg(!strstr(buf, "dev=0000:00:1c.4 quirk"), "explicit key: %s", buf);
	ck_assert_msg(event(buf, "pci_quirk: dev=0000:01:00.0 quirk=pcie_bridge_alias:asmedia"),
		      "%s", buf);
	ck_assert_msg(event(buf, "pci_quirk: dev=0000:02:00.1 quirk=dma_alias_fn0:ricoh"),
		      "%s", buf);
	ck_assert_msg(!strstr(buf, "dev=0000:02:00.0 quirk"), "function 0: %s", buf);
	ck_assert_msg(event(buf, "pci_quirk: dev=0000:00:02.0 quirk=acs_not_isolated:zhaoxin"),
		      "%s", buf);
	free(buf);
	sim_world_destroy(w);
}
END_TEST

static Suite *quirks_suite(void)
{
	Suite *s = suite_create("quirks");
	TCase *acs = tcase_create("acs"), *alias = tcase_create("alias");
	TCase *misc = tcase_create("table");

	tcase_add_test(misc, test_table_sane);
	tcase_add_test(misc, test_table_audit);
	tcase_add_test(misc, test_trace);
	tcase_add_test(acs, test_acs_families);
	tcase_add_test(acs, test_acs_spt_needs_cap);
	tcase_add_test(acs, test_acs_amd_sb_conditions);
	tcase_add_test(acs, test_acs_by_kernel);
	tcase_add_test(acs, test_acs_first_row_wins);
	tcase_add_test(acs, test_acs_pch_groups);
	tcase_add_test(acs, test_acs_explicit_overrides);
	tcase_add_test(acs, test_acs_intel_rciep_groups);
	tcase_add_test(acs, test_acs_mf_endpoint_groups);
	tcase_add_test(alias, test_alias_ricoh);
	tcase_add_test(alias, test_alias_marvell);
	tcase_add_test(alias, test_alias_marvell_real_fn1);
	tcase_add_test(alias, test_alias_fixed_and_all);
	tcase_add_test(alias, test_alias_kernel_rows);
	tcase_add_test(alias, test_alias_target_function);
	tcase_add_test(alias, test_bridge_alias);
	tcase_add_test(alias, test_bridge_alias_type);
	suite_add_tcase(s, misc);
	suite_add_tcase(s, acs);
	suite_add_tcase(s, alias);
	return s;
}

int main(void)
{
	return unit_run(quirks_suite());
}
