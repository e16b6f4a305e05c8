/* SPDX-License-Identifier: MIT */
/*
 * model/iommu groups: every worked example of spec §A in both modes, the
 * isolation rule (§A1), alias searches (§A4/§A5), strict merging and its
 * pairwise reachability (§H4), viability and DMA ownership (§B), faults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/fault.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/group.h"

#include "pci_fixture.h"

static const enum iommu_group_mode modes[] = { IOMMU_GROUP_LEGACY, IOMMU_GROUP_STRICT };

/* Boot like the runner: topology, IOMMU core, then the boot drivers. */
static struct sim_world *boot(const struct pci_dev_spec *s, size_t n,
			      enum iommu_group_mode mode)
{
	struct sim_world *w = sim_world_create(1);
	struct pci_build_error err = { 0 };
	int ret = pci_topology_create(w, s, n, &err);

	ck_assert_msg(ret == 0, "create: %d: entry %zu: %s", ret, err.index, err.msg);
	ck_assert_int_eq(iommu_core_create(w, mode), 0);
	ret = pci_bind_initial_drivers(w, &err);
	ck_assert_msg(ret == 0, "drivers: %d: %s", ret, err.msg);
	return w;
}

static struct pci_dev *dev(struct sim_world *w, const char *bdf)
{
	struct pci_dev *d = pci_dev_find(w, B(bdf));

	ck_assert_msg(d, "no %s", bdf);
	return d;
}

/* "00:01.0 | 01:00.0 01:00.1": groups in id order, domain 0000 omitted. */
static char *partition(struct sim_world *w)
{
	GString *s = g_string_new(NULL);

	for (unsigned id = 0; id < iommu_group_count(w); id++) {
		struct iommu_group *g = iommu_group_by_id(w, id);

		ck_assert_ptr_nonnull(g);
		ck_assert_uint_eq(g->id, id);
		g_string_append(s, id ? " | " : "");
		for (size_t i = 0; i < g->ndevices; i++) {
			const char *name = g->devices[i]->name;

			g_string_append_printf(s, "%s%s", i ? " " : "",
					       strncmp(name, "0000:", 5) ? name : name + 5);
		}
	}
	return g_string_free(s, FALSE);
}

/* Structure every formation must have (spec §H3, §H4). */
static void check_consistent(struct sim_world *w, enum iommu_group_mode mode)
{
	size_t n = pci_dev_count(w), seen = 0;
	unsigned *labels = g_new0(unsigned, n + 1);

	ck_assert_int_eq(iommu_compute_groups(w, mode, labels), 0);
	for (size_t i = 0; i < n; i++)        /* behind no IOMMU: no group */
		if (pci_dev_at(w, i)->no_iommu) {
			ck_assert_uint_eq(labels[i], IOMMU_NO_GROUP);
			ck_assert_ptr_null(iommu_group_of(pci_dev_at(w, i)));
			seen++;
		}
	ck_assert_ptr_null(iommu_group_by_id(w, (unsigned)iommu_group_count(w)));
	for (unsigned id = 0; id < iommu_group_count(w); id++) {
		struct iommu_group *g = iommu_group_by_id(w, id);

		ck_assert_uint_gt(g->ndevices, 0);
		seen += g->ndevices;
		for (size_t i = 0; i < g->ndevices; i++) {
			ck_assert_ptr_eq(iommu_group_of(g->devices[i]), g);
			ck_assert_uint_eq(labels[g->devices[i]->probe_index], id);
			if (i)
				ck_assert_uint_lt(g->devices[i - 1]->sbdf, g->devices[i]->sbdf);
		}
	}
	ck_assert_uint_eq(seen, n);
	/* ids in order of each group's first member in probe order */
	for (size_t i = 0, next = 0; i < n; i++) {
		if (labels[i] == IOMMU_NO_GROUP)
			continue;
		ck_assert_uint_le(labels[i], next);
		if (labels[i] == next)
			next++;
	}
	for (size_t i = 0; mode == IOMMU_GROUP_STRICT && i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (!pci_dev_at(w, i)->no_iommu && !pci_dev_at(w, j)->no_iommu &&
			    iommu_p2p_reachable(w, pci_dev_at(w, i), pci_dev_at(w, j)))
				ck_assert_msg(labels[i] == labels[j], "%s reaches %s across groups",
					      pci_dev_at(w, i)->name, pci_dev_at(w, j)->name);
	g_free(labels);
}

/* Boot in both modes and compare the partitions. */
static void expect_groups(const struct pci_dev_spec *s, size_t n, const char *legacy,
			  const char *strict)
{
	for (size_t m = 0; m < N(modes); m++) {
		struct sim_world *w = boot(s, n, modes[m]);
		char *got = partition(w);
		const char *want = modes[m] == IOMMU_GROUP_STRICT ? strict : legacy;

		ck_assert_msg(!strcmp(got, want), "%s: got [%s], want [%s]",
			      iommu_group_mode_name(modes[m]), got, want);
		ck_assert_int_eq(iommu_core_mode(w), modes[m]);
		check_consistent(w, modes[m]);
		g_free(got);
		sim_world_destroy(w);
	}
}

/* ---- spec §A worked examples -------------------------------------------- */

START_TEST(test_ex1_rp_acs)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS), DEV("01:00.0", ENDPOINT, PARENT("00:01.0")),
	};

	expect_groups(s, N(s), "00:01.0 | 01:00.0", "00:01.0 | 01:00.0");
}
END_TEST

START_TEST(test_ex2_rp_no_acs)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), MF),
		DEV("01:00.1", ENDPOINT, PARENT("00:01.0"), MF),
	};

	expect_groups(s, N(s), "00:01.0 01:00.0 01:00.1", "00:01.0 01:00.0 01:00.1");
}
END_TEST

START_TEST(test_ex3_mixed_functions)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("02:00.0", ENDPOINT, PARENT("00:01.0"), MF, ACS),
		DEV("02:00.1", ENDPOINT, PARENT("00:01.0"), MF),
		DEV("02:00.2", ENDPOINT, PARENT("00:01.0"), MF),
	};

	expect_groups(s, N(s), "00:01.0 | 02:00.0 | 02:00.1 02:00.2",
		      "00:01.0 | 02:00.0 02:00.1 02:00.2");
}
END_TEST

/* RP -> USP -> two DSPs -> an endpoint each, with ACS where asked. */
static void switch_specs(struct pci_dev_spec s[6], bool rp_acs, bool dsp_acs)
{
	struct pci_dev_spec t[6] = {
		DEV("00:01.0", ROOT_PORT, .has_acs = rp_acs, .acs_cap = PCI_ACS_REQ),
		DEV("01:00.0", UPSTREAM_PORT, PARENT("00:01.0")),
		DEV("02:00.0", DOWNSTREAM_PORT, PARENT("01:00.0"), .has_acs = dsp_acs,
		    .acs_cap = PCI_ACS_REQ),
		DEV("02:01.0", DOWNSTREAM_PORT, PARENT("01:00.0"), .has_acs = dsp_acs,
		    .acs_cap = PCI_ACS_REQ),
		DEV("03:00.0", ENDPOINT, PARENT("02:00.0")),
		DEV("04:00.0", ENDPOINT, PARENT("02:01.0")),
	};

	memcpy(s, t, sizeof(t));
}

START_TEST(test_ex4_switch_acs)
{
	struct pci_dev_spec s[6];
	const char *six = "00:01.0 | 01:00.0 | 02:00.0 | 02:01.0 | 03:00.0 | 04:00.0";

	switch_specs(s, true, true);
	expect_groups(s, 6, six, six);
}
END_TEST

START_TEST(test_ex5_dsp_no_acs)
{
	struct pci_dev_spec s[6];

	switch_specs(s, true, false);
	expect_groups(s, 6, "00:01.0 | 01:00.0 | 02:00.0 03:00.0 | 02:01.0 04:00.0",
		      "00:01.0 | 01:00.0 | 02:00.0 02:01.0 03:00.0 04:00.0");
}
END_TEST

START_TEST(test_ex6_rp_no_acs)
{
	struct pci_dev_spec s[6];
	const char *one = "00:01.0 01:00.0 02:00.0 02:01.0 03:00.0 04:00.0";

	switch_specs(s, false, true);
	expect_groups(s, 6, one, one);
}
END_TEST

START_TEST(test_ex6_pch_root_ports)
{
	struct pci_dev_spec s[] = {
		DEV("00:1c.0", ROOT_PORT, MF), DEV("00:1c.4", ROOT_PORT, MF),
		DEV("01:00.0", ENDPOINT, PARENT("00:1c.0")),
		DEV("02:00.0", ENDPOINT, PARENT("00:1c.4")),
	};
	const char *one = "00:1c.0 00:1c.4 01:00.0 02:00.0";
	const char *quirked = "00:1c.0 | 00:1c.4 | 01:00.0 | 02:00.0";

	expect_groups(s, N(s), one, one);
	s[0].acs_quirk = s[1].acs_quirk = 1;      /* the Intel PCH quirk */
	expect_groups(s, N(s), quirked, quirked);
}
END_TEST

START_TEST(test_ex7_pcie_to_pci_bridge)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", PCIE_TO_PCI_BRIDGE, PARENT("00:01.0")),
		DEV("02:01.0", PCI_DEVICE, PARENT("01:00.0")),
		DEV("02:02.0", PCI_DEVICE, PARENT("01:00.0"), MF),
		DEV("02:02.1", PCI_DEVICE, PARENT("01:00.0"), MF),
	};
	const char *want = "00:01.0 | 01:00.0 02:01.0 02:02.0 02:02.1";
	struct sim_world *w;

	expect_groups(s, N(s), want, want);
	w = boot(s, N(s), IOMMU_GROUP_LEGACY);
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "02:01.0")), PCI_RID(2, 0));
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "02:02.1")), PCI_RID(2, 0));
	ck_assert_uint_eq(pci_dma_requester_id(dev(w, "01:00.0")), PCI_RID(1, 0));
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_ex8_marvell_ricoh)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("05:00.0", ENDPOINT, PARENT("00:01.0"), .dma_alias = { 1ull << 1 }),
		DEV("00:02.0", ROOT_PORT, ACS),
		DEV("06:00.0", ENDPOINT, PARENT("00:02.0"), MF, ACS),
		DEV("06:00.1", ENDPOINT, PARENT("00:02.0"), MF, ACS, .dma_alias = { 1 }),
		DEV("06:00.2", ENDPOINT, PARENT("00:02.0"), MF, ACS, .dma_alias = { 1 }),
		DEV("06:00.3", ENDPOINT, PARENT("00:02.0"), MF, ACS, .dma_alias = { 1 }),
	};
	const char *want = "00:01.0 | 00:02.0 | 05:00.0 | 06:00.0 06:00.1 06:00.2 06:00.3";

	expect_groups(s, N(s), want, want);
	for (size_t i = 3; i < N(s); i++)      /* and without ACS */
		s[i].has_acs = false;
	expect_groups(s, N(s), want, want);
}
END_TEST

START_TEST(test_seed_dmi_bridge)
{
	struct pci_dev_spec s[] = {
		DEV("00:1e.0", PCIE_TO_PCI_BRIDGE),
		DEV("06:0d.0", PCI_DEVICE, PARENT("00:1e.0"), MF),
		DEV("06:0d.1", PCI_DEVICE, PARENT("00:1e.0"), MF),
	};
	const char *want = "00:1e.0 06:0d.0 06:0d.1";

	expect_groups(s, N(s), want, want);
}
END_TEST

static const struct pci_dev_spec *quickstart(size_t *n)
{
	static struct pci_dev_spec s[6];
	struct pci_dev_spec t[6] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), MF, .driver = "nouveau"),
		DEV("01:00.1", ENDPOINT, PARENT("00:01.0"), MF, .driver = "snd_hda_intel"),
		DEV("00:1e.0", PCIE_TO_PCI_BRIDGE),
		DEV("06:0d.0", PCI_DEVICE, PARENT("00:1e.0"), MF),
		DEV("06:0d.1", PCI_DEVICE, PARENT("00:1e.0"), MF, .driver = "e1000"),
	};

	memcpy(s, t, sizeof(t));
	*n = N(s);
	return s;
}

/* The scenario corpus's quickstart: ids follow probe order, not spec order. */
START_TEST(test_quickstart_ids)
{
	size_t n;
	const struct pci_dev_spec *s = quickstart(&n);
	const char *want = "00:01.0 | 00:1e.0 06:0d.0 06:0d.1 | 01:00.0 01:00.1";

	expect_groups(s, n, want, want);
}
END_TEST

/*
 * A function no IOMMU covers is never probed by an IOMMU driver
 * (iommu_probe_device -> no ops for it), so it has no group at all -
 * iommu_group_get() is NULL, what vfio_group_find_or_alloc keys noiommu
 * mode on.  The other functions keep their groups, numbered lowest-free
 * in probe order without it (iommu_group_alloc's ida).
 */
START_TEST(test_no_iommu_function_has_no_group)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("00:02.0", ROOT_PORT, ACS),
		DEV("00:03.0", ROOT_PORT),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), .no_iommu = true),
		DEV("02:00.0", ENDPOINT, PARENT("00:02.0")),
		DEV("03:00.0", ENDPOINT, PARENT("00:03.0"), MF),
		DEV("03:00.1", ENDPOINT, PARENT("00:03.0"), MF, .no_iommu = true),
	};

	expect_groups(s, N(s), "00:01.0 | 00:02.0 | 00:03.0 03:00.0 | 02:00.0",
		      "00:01.0 | 00:02.0 | 00:03.0 03:00.0 | 02:00.0");
	for (size_t m = 0; m < N(modes); m++) {
		struct sim_world *w = boot(s, N(s), modes[m]);

		ck_assert_ptr_null(iommu_group_of(dev(w, "01:00.0")));
		ck_assert_ptr_null(iommu_group_of(dev(w, "03:00.1")));
		ck_assert_int_eq(sim_pci_iommu_group(w, "01:00.0"), -ENOENT);
		ck_assert_int_eq(sim_pci_iommu_group(w, "02:00.0"), 3);
		/* no group, no ownership: a DMA driver binds and counts nowhere */
		ck_assert_int_eq(pci_bind_driver(w, dev(w, "01:00.0"), "e1000"), 0);
		ck_assert(iommu_group_viable(iommu_group_of(dev(w, "02:00.0"))));
		sim_world_destroy(w);
	}
}
END_TEST

START_TEST(test_ids_follow_probe_order)
{
	struct pci_dev_spec s[] = {
		DEV("0001:00:01.0", RC_ENDPOINT),
		DEV("03:00.0", ENDPOINT, PARENT("00:03.0")),
		DEV("00:03.0", ROOT_PORT, ACS),
		DEV("00:02.0", RC_ENDPOINT),
		DEV("00:01.0", RC_ENDPOINT),
	};
	const char *want = "00:01.0 | 00:02.0 | 00:03.0 | 03:00.0 | 0001:00:01.0";

	expect_groups(s, N(s), want, want);
}
END_TEST

/* ---- spec §A1 isolation details ------------------------------------------- */

START_TEST(test_acs_flags)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS), DEV("01:00.0", ENDPOINT, PARENT("00:01.0")),
	};
	const char *apart = "00:01.0 | 01:00.0", *together = "00:01.0 01:00.0";

	/* a capability advertising nothing: every requested bit hard-wired on */
	s[0].acs_cap = 0;
	expect_groups(s, N(s), apart, apart);
	/* RR not in the cap: not needed in ctrl */
	s[0].acs_cap = PCI_ACS_SV | PCI_ACS_CR | PCI_ACS_UF;
	expect_groups(s, N(s), apart, apart);
	/* advertised but not enabled */
	s[0].acs_cap = PCI_ACS_REQ;
	s[0].has_acs_ctrl = true;
	s[0].acs_ctrl = PCI_ACS_SV | PCI_ACS_CR | PCI_ACS_UF;
	expect_groups(s, N(s), together, together);
	/* EC and other bits do not matter */
	s[0].acs_cap = PCI_ACS_ALL;
	s[0].acs_ctrl = PCI_ACS_REQ;
	expect_groups(s, N(s), apart, apart);
	/* a quirk's verdict wins over the capability */
	s[0].acs_quirk = 0;
	expect_groups(s, N(s), together, together);
	s[0].has_acs = false;
	s[0].acs_quirk = 1;
	expect_groups(s, N(s), apart, apart);
}
END_TEST

/* A4 follows alias chains through functions without groups. */
START_TEST(test_alias_chain)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0")),
		DEV("01:01.0", ENDPOINT, PARENT("00:01.0"), .dma_alias = { 1ull << PCI_DEVFN(2, 0) }),
		DEV("01:02.0", ENDPOINT, PARENT("00:01.0"), .dma_alias = { 1ull << PCI_DEVFN(0, 0) }),
		DEV("01:03.0", ENDPOINT, PARENT("00:01.0")),
	};
	const char *want = "00:01.0 | 01:00.0 01:01.0 01:02.0 | 01:03.0";

	expect_groups(s, N(s), want, want);
}
END_TEST

/* The spec's "single-function devices on the root bus are always alone". */
START_TEST(test_root_bus_singletons)
{
	struct pci_dev_spec s[] = {
		DEV("00:00.0", RC_ENDPOINT), DEV("00:02.0", RC_ENDPOINT),
		DEV("00:03.0", PCI_DEVICE), DEV("00:04.0", LEGACY_ENDPOINT),
	};
	const char *want = "00:00.0 | 00:02.0 | 00:03.0 | 00:04.0";

	expect_groups(s, N(s), want, want);
}
END_TEST

/* ---- strict ---------------------------------------------------------------- */

/* S2: a root-bus slot with an isolated and a non-isolated function. */
START_TEST(test_strict_root_slot)
{
	struct pci_dev_spec s[] = {
		DEV("00:03.0", RC_ENDPOINT, MF, ACS), DEV("00:03.1", RC_ENDPOINT, MF),
		DEV("00:1c.0", ROOT_PORT, MF, ACS), DEV("00:1c.4", ROOT_PORT, MF),
		DEV("01:00.0", ENDPOINT, PARENT("00:1c.0")),
		DEV("02:00.0", ENDPOINT, PARENT("00:1c.4")),
		DEV("00:1d.0", ROOT_PORT), DEV("03:00.0", ENDPOINT, PARENT("00:1d.0")),
	};

	expect_groups(s, N(s),
		      "00:03.0 | 00:03.1 | 00:1c.0 | 00:1c.4 02:00.0 | 00:1d.0 03:00.0 | 01:00.0",
		      "00:03.0 00:03.1 | 00:1c.0 00:1c.4 01:00.0 02:00.0 | 00:1d.0 03:00.0");
}
END_TEST

/* S1 takes whole subtrees: a switch below a DSP without ACS joins its peers. */
START_TEST(test_strict_subtrees)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", UPSTREAM_PORT, PARENT("00:01.0")),
		DEV("02:00.0", DOWNSTREAM_PORT, PARENT("01:00.0")),
		DEV("02:01.0", DOWNSTREAM_PORT, PARENT("01:00.0"), ACS),
		DEV("03:00.0", UPSTREAM_PORT, PARENT("02:00.0")),
		DEV("04:00.0", DOWNSTREAM_PORT, PARENT("03:00.0"), ACS),
		DEV("05:00.0", ENDPOINT, PARENT("04:00.0")),
		DEV("06:00.0", ENDPOINT, PARENT("02:01.0")),
	};

	expect_groups(s, N(s),
		      "00:01.0 | 01:00.0 | 02:00.0 03:00.0 04:00.0 05:00.0 | 02:01.0 | 06:00.0",
		      "00:01.0 | 01:00.0 | 02:00.0 02:01.0 03:00.0 04:00.0 05:00.0 06:00.0");
}
END_TEST

START_TEST(test_p2p_reachable)
{
	struct pci_dev_spec s[6];
	struct sim_world *w;

	switch_specs(s, true, false);
	w = boot(s, 6, IOMMU_GROUP_STRICT);
	ck_assert(iommu_p2p_reachable(w, dev(w, "03:00.0"), dev(w, "04:00.0")));
	ck_assert(iommu_p2p_reachable(w, dev(w, "04:00.0"), dev(w, "03:00.0")));
	ck_assert(iommu_p2p_reachable(w, dev(w, "02:00.0"), dev(w, "04:00.0")));
	ck_assert(iommu_p2p_reachable(w, dev(w, "03:00.0"), dev(w, "03:00.0")));
	ck_assert(!iommu_p2p_reachable(w, dev(w, "03:00.0"), dev(w, "02:00.0")));  /* above it */
	ck_assert(!iommu_p2p_reachable(w, dev(w, "01:00.0"), dev(w, "03:00.0")));
	ck_assert(!iommu_p2p_reachable(w, NULL, dev(w, "03:00.0")));
	sim_world_destroy(w);
	switch_specs(s, true, true);
	w = boot(s, 6, IOMMU_GROUP_LEGACY);
	ck_assert(!iommu_p2p_reachable(w, dev(w, "03:00.0"), dev(w, "04:00.0")));
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_p2p_root_bus)
{
	struct pci_dev_spec s[] = {
		DEV("00:1c.0", ROOT_PORT, MF, ACS), DEV("00:1c.4", ROOT_PORT, MF),
		DEV("00:1d.0", ROOT_PORT), DEV("0001:00:1c.0", ROOT_PORT, MF),
		DEV("01:00.0", ENDPOINT, PARENT("00:1c.0")),
		DEV("02:00.0", ENDPOINT, PARENT("00:1d.0")),
	};
	struct sim_world *w = boot(s, N(s), IOMMU_GROUP_STRICT);

	ck_assert(iommu_p2p_reachable(w, dev(w, "01:00.0"), dev(w, "00:1c.4")));
	ck_assert(!iommu_p2p_reachable(w, dev(w, "01:00.0"), dev(w, "02:00.0")));
	ck_assert(!iommu_p2p_reachable(w, dev(w, "00:1c.0"), dev(w, "0001:00:1c.0")));
	sim_world_destroy(w);
}
END_TEST

/* ---- viability and ownership (spec §B) ------------------------------------ */

START_TEST(test_viability)
{
	size_t n;
	const struct pci_dev_spec *s = quickstart(&n);
	struct sim_world *w = boot(s, n, IOMMU_GROUP_LEGACY);
	struct iommu_group *g = iommu_group_of(dev(w, "06:0d.0"));
	struct pci_driver vfio = { .name = "vfio-pci", .managed_dma = true };

	ck_assert_str_eq(dev(w, "00:1e.0")->driver, "pcieport");
	ck_assert_uint_eq(g->owner_cnt, 1);                   /* e1000 on 06:0d.1 */
	ck_assert(!iommu_group_viable(g));
	ck_assert(!iommu_group_viable(iommu_group_of(dev(w, "01:00.0"))));
	ck_assert_uint_eq(iommu_group_of(dev(w, "01:00.0"))->owner_cnt, 2);
	ck_assert(iommu_group_viable(iommu_group_of(dev(w, "00:01.0"))));
	ck_assert_int_eq(pci_register_driver(w, &vfio), 0);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.0", "vfio-pci"), 0);
	ck_assert(!iommu_group_viable(g));
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "none"), 0);
	ck_assert_uint_eq(g->owner_cnt, 0);
	ck_assert(iommu_group_viable(g));                     /* unbound */
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "pci-stub"), 0);
	ck_assert(iommu_group_viable(g));
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "none"), 0);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "vfio-pci"), 0);
	ck_assert(iommu_group_viable(g));
	ck_assert_int_eq(sim_pci_bind(w, "00:1e.0", "none"), 0);
	ck_assert_int_eq(sim_pci_bind(w, "00:1e.0", "nvme"), 0);
	ck_assert(!iommu_group_viable(g));
	ck_assert(!iommu_group_viable(NULL));
	sim_world_destroy(w);
}
END_TEST

/* Drivers bound before the core exists are counted when it forms groups. */
START_TEST(test_owner_cnt_from_earlier_bindings)
{
	size_t n;
	const struct pci_dev_spec *s = quickstart(&n);
	struct sim_world *w = sim_world_create(1);

	ck_assert_int_eq(pci_topology_create(w, s, n, NULL), 0);
	ck_assert_int_eq(pci_bind_initial_drivers(w, NULL), 0);
	ck_assert_ptr_null(iommu_group_of(dev(w, "06:0d.0")));
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_LEGACY), 0);
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_LEGACY), -EEXIST);
	ck_assert_uint_eq(iommu_group_of(dev(w, "06:0d.0"))->owner_cnt, 1);
	ck_assert_uint_eq(iommu_group_of(dev(w, "01:00.1"))->owner_cnt, 2);
	ck_assert_uint_eq(iommu_group_of(dev(w, "00:01.0"))->owner_cnt, 0);
	/* the hooks are live now */
	ck_assert_int_eq(sim_pci_bind(w, "01:00.0", "none"), 0);
	ck_assert_uint_eq(iommu_group_of(dev(w, "01:00.1"))->owner_cnt, 1);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_claim_and_veto)
{
	size_t n;
	const struct pci_dev_spec *s = quickstart(&n);
	struct sim_world *w = boot(s, n, IOMMU_GROUP_LEGACY);
	struct iommu_group *g = iommu_group_of(dev(w, "06:0d.0"));
	int a, b;

	ck_assert_int_eq(iommu_group_claim_dma_owner(g, &a), -EPERM);   /* e1000 */
	ck_assert_ptr_null(g->owner);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "pci-stub"), -EBUSY);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "none"), 0);
	ck_assert_int_eq(iommu_group_claim_dma_owner(g, NULL), -EINVAL);
	ck_assert_int_eq(iommu_group_claim_dma_owner(g, &a), 0);
	ck_assert_int_eq(iommu_group_claim_dma_owner(g, &a), 0);
	ck_assert_uint_eq(g->owner_cnt, 2);
	ck_assert_int_eq(iommu_group_claim_dma_owner(g, &b), -EPERM);
	ck_assert(iommu_group_viable(g));
	/* spec §B modern rule: a kernel DMA driver cannot bind into it */
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "e1000"), -EBUSY);
	ck_assert_ptr_null(dev(w, "06:0d.1")->driver);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "pci-stub"), 0);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "none"), 0);
	ck_assert_uint_eq(g->owner_cnt, 2);
	iommu_group_release_dma_owner(g, &b);                 /* not the owner */
	ck_assert_uint_eq(g->owner_cnt, 2);
	iommu_group_release_dma_owner(g, &a);
	ck_assert_ptr_eq(g->owner, &a);
	iommu_group_release_dma_owner(g, &a);
	ck_assert_ptr_null(g->owner);
	ck_assert_uint_eq(g->owner_cnt, 0);
	iommu_group_release_dma_owner(g, &a);                 /* unbalanced: ignored */
	ck_assert_uint_eq(g->owner_cnt, 0);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.1", "e1000"), 0);
	ck_assert_uint_eq(g->owner_cnt, 1);
	ck_assert(!iommu_group_viable(g));
	sim_world_destroy(w);
}
END_TEST

/* ---- core API ------------------------------------------------------------- */

START_TEST(test_mode_names_and_empty)
{
	struct sim_world *w = sim_world_create(1);
	unsigned label = 77;

	ck_assert_str_eq(iommu_group_mode_name(IOMMU_GROUP_LEGACY), "legacy");
	ck_assert_str_eq(iommu_group_mode_name(IOMMU_GROUP_STRICT), "strict");
	ck_assert_ptr_null(iommu_group_mode_name((enum iommu_group_mode)2));
	ck_assert_int_eq(iommu_group_mode_from_name("strict"), IOMMU_GROUP_STRICT);
	ck_assert_int_eq(iommu_group_mode_from_name("strcit"), -1);
	ck_assert_int_eq(iommu_group_mode_from_name(NULL), -1);
	/* no core, no topology */
	ck_assert_uint_eq(iommu_group_count(w), 0);
	ck_assert_ptr_null(iommu_group_by_id(w, 0));
	ck_assert_int_eq(iommu_core_mode(w), IOMMU_GROUP_LEGACY);
	ck_assert_ptr_null(iommu_group_of(NULL));
	ck_assert_int_eq(iommu_compute_groups(w, IOMMU_GROUP_STRICT, &label), 0);
	ck_assert_uint_eq(label, 77);
	ck_assert_int_eq(iommu_core_create(w, (enum iommu_group_mode)5), -EINVAL);
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_STRICT), 0);
	ck_assert_uint_eq(iommu_group_count(w), 0);
	ck_assert_int_eq(iommu_core_mode(w), IOMMU_GROUP_STRICT);
	sim_world_destroy(w);
}
END_TEST

/* Computing without installing: labels for either mode, no side effects. */
START_TEST(test_compute_only)
{
	struct pci_dev_spec s[6];
	struct sim_world *w = sim_world_create(1);
	unsigned labels[6];
	static const unsigned legacy[6] = { 0, 1, 2, 3, 2, 3 }, strict[6] = { 0, 1, 2, 2, 2, 2 };

	switch_specs(s, true, false);
	ck_assert_int_eq(pci_topology_create(w, s, 6, NULL), 0);
	ck_assert_int_eq(iommu_compute_groups(w, IOMMU_GROUP_LEGACY, labels), 0);
	ck_assert_mem_eq(labels, legacy, sizeof(labels));
	ck_assert_int_eq(iommu_compute_groups(w, IOMMU_GROUP_STRICT, labels), 0);
	ck_assert_mem_eq(labels, strict, sizeof(labels));
	ck_assert_uint_eq(iommu_group_count(w), 0);
	ck_assert_ptr_null(pci_dev_at(w, 0)->group);
	sim_world_destroy(w);
}
END_TEST


/* ---- random topologies: §H3 and §H4 hold, strict only coarsens legacy ----- */

struct gen {
	uint64_t state;                 /* xorshift64*, seeded per test */
	struct pci_dev_spec s[200];
	size_t n;
	unsigned next_bus;
};

static unsigned rnd(struct gen *g, unsigned n)
{
	g->state ^= g->state >> 12;
	g->state ^= g->state << 25;
	g->state ^= g->state >> 27;
	return (unsigned)((g->state * 2685821657736338717ull) >> 33) % n;
}

static struct pci_dev_spec *gen_add(struct gen *g, unsigned bus, unsigned slot, unsigned fn,
				    enum pci_type t, const struct pci_dev_spec *parent)
{
	struct pci_dev_spec *sp = &g->s[g->n++];

	memset(sp, 0, sizeof(*sp));
	sp->sbdf = PCI_SBDF(0, bus, PCI_DEVFN(slot, fn));
	sp->type = t;
	sp->acs_quirk = rnd(g, 12) ? -1 : (int)rnd(g, 2);
	sp->has_parent = parent != NULL;
	sp->parent = parent ? parent->sbdf : 0;
	if ((sp->has_acs = rnd(g, 3) != 0)) {
		sp->acs_cap = rnd(g, 4) ? PCI_ACS_REQ : (uint16_t)rnd(g, 0x80);
		if ((sp->has_acs_ctrl = !rnd(g, 4)))
			sp->acs_ctrl = (uint16_t)rnd(g, 0x80);
	}
	if (!rnd(g, 8))
		sp->dma_alias[0] = 1ull << rnd(g, 64);
	return sp;
}

static enum pci_type gen_child_type(struct gen *g, enum pci_type parent)
{
	static const enum pci_type below_port[] = {
		PCI_TYPE_ENDPOINT, PCI_TYPE_ENDPOINT, PCI_TYPE_LEGACY_ENDPOINT,
		PCI_TYPE_UPSTREAM_PORT, PCI_TYPE_PCIE_TO_PCI_BRIDGE,
	};
	static const enum pci_type conventional[] = {
		PCI_TYPE_PCI_DEVICE, PCI_TYPE_PCI_DEVICE, PCI_TYPE_PCI_BRIDGE,
	};
	static const enum pci_type root[] = {
		PCI_TYPE_ROOT_PORT, PCI_TYPE_ROOT_PORT, PCI_TYPE_RC_ENDPOINT,
		PCI_TYPE_PCIE_TO_PCI_BRIDGE,
	};

	switch (parent) {
	case PCI_TYPE_ROOT_PORT:
	case PCI_TYPE_DOWNSTREAM_PORT:
		return below_port[rnd(g, N(below_port))];
	case PCI_TYPE_UPSTREAM_PORT:
		return PCI_TYPE_DOWNSTREAM_PORT;
	case PCI_TYPE_PCIE_TO_PCI_BRIDGE:
	case PCI_TYPE_PCI_BRIDGE:
		return conventional[rnd(g, N(conventional))];
	default:
		return root[rnd(g, N(root))];
	}
}

/* Fill bus @bus below @parent (NULL: a root bus), recursing into bridges. */
static void gen_bus(struct gen *g, unsigned bus, const struct pci_dev_spec *parent, int depth)
{
	unsigned nslots = 1 + rnd(g, 3);
	size_t first = g->n;

	for (unsigned k = 0; k < nslots && g->n + 8 < N(g->s); k++) {
		enum pci_type t = gen_child_type(g, parent ? parent->type : PCI_TYPE_NR);
		unsigned nfn = pci_type_is_bridge(t) && t != PCI_TYPE_ROOT_PORT ? 1 : 1 + rnd(g, 3);
		unsigned slot = k * 3 + rnd(g, 3);

		for (unsigned fn = 0; fn < nfn; fn++) {
			struct pci_dev_spec *sp = gen_add(g, bus, slot, fn * 2 + rnd(g, 2), t, parent);

			sp->multifunction = nfn > 1;
		}
	}
	for (size_t i = first, end = g->n; i < end; i++) {
		if (!pci_type_is_bridge(g->s[i].type) || depth > 4 || g->next_bus > 250)
			continue;
		gen_bus(g, g->next_bus++, &g->s[i], depth + 1);
	}
}


/* Does every legacy group sit inside one strict group? */
static void check_refines(const unsigned *legacy, const unsigned *strict, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (legacy[i] == legacy[j])
				ck_assert_uint_eq(strict[i], strict[j]);
}

START_TEST(test_random_topologies)
{
	for (unsigned seed = 1; seed <= 300; seed++) {
		struct gen g = { .state = 0x9e3779b97f4a7c15ull * seed, .next_bus = 1 };
		unsigned legacy[N(g.s)], strict[N(g.s)], again[N(g.s)];

		gen_bus(&g, 0, NULL, 0);
		for (size_t m = 0; m < N(modes); m++) {
			struct sim_world *w = boot(g.s, g.n, modes[m]);

			check_consistent(w, modes[m]);
			ck_assert_int_eq(iommu_compute_groups(w, IOMMU_GROUP_LEGACY, legacy), 0);
			ck_assert_int_eq(iommu_compute_groups(w, IOMMU_GROUP_STRICT, strict), 0);
			ck_assert_int_eq(iommu_compute_groups(w, IOMMU_GROUP_STRICT, again), 0);
			ck_assert_mem_eq(strict, again, g.n * sizeof(unsigned));
			check_refines(legacy, strict, g.n);
			sim_world_destroy(w);
		}
	}
}
END_TEST

/* ---- fault injection -------------------------------------------------------- */

/* Every failing site during boot unwinds cleanly (ASan checks for leaks). */
static void fault_sweep(const char *glob)
{
	size_t n;
	const struct pci_dev_spec *s = quickstart(&n);
	unsigned long nth, fired = 0;

	for (nth = 1; nth < 1000; nth++) {
		struct sim_world *w = sim_world_create(1);
		int ret;

		sim_fault_fail_nth(w, glob, nth);
		ret = pci_topology_create(w, s, n, NULL);
		if (!ret)
			ret = iommu_core_create(w, IOMMU_GROUP_STRICT);
		if (!ret)
			ret = pci_bind_initial_drivers(w, NULL);
		if (!sim_fault_injected(w)) {
			ck_assert_int_eq(ret, 0);
			ck_assert_uint_eq(iommu_group_count(w), 3);
			sim_world_destroy(w);
			break;
		}
		fired++;
		ck_assert_int_eq(ret, -ENOMEM);
		sim_world_destroy(w);
	}
	ck_assert_uint_gt(fired, 0);
	ck_assert_uint_lt(nth, 1000);
}

START_TEST(test_fault_group_alloc)
{
	fault_sweep("iommu_group_alloc");
}
END_TEST

START_TEST(test_fault_boot_all_sites)
{
	fault_sweep("*");
}
END_TEST

/* A failed core creation leaves the topology usable and group-less. */
START_TEST(test_fault_group_alloc_state)
{
	size_t n;
	const struct pci_dev_spec *s = quickstart(&n);
	struct sim_world *w = sim_world_create(1);

	ck_assert_int_eq(pci_topology_create(w, s, n, NULL), 0);
	sim_fault_fail_nth(w, "iommu_group_alloc", 2);
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_LEGACY), -ENOMEM);
	ck_assert_uint_eq(iommu_group_count(w), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_null(pci_dev_at(w, i)->group);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.0", "e1000"), 0);   /* no hooks */
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_LEGACY), 0);
	ck_assert_uint_eq(iommu_group_of(dev(w, "06:0d.0"))->owner_cnt, 1);
	sim_world_destroy(w);
}
END_TEST

static Suite *groups_suite(void)
{
	Suite *s = suite_create("groups");
	TCase *ex = tcase_create("examples"), *rules = tcase_create("rules");
	TCase *own = tcase_create("ownership"), *core = tcase_create("core");

	tcase_add_test(ex, test_ex1_rp_acs);
	tcase_add_test(ex, test_ex2_rp_no_acs);
	tcase_add_test(ex, test_ex3_mixed_functions);
	tcase_add_test(ex, test_ex4_switch_acs);
	tcase_add_test(ex, test_ex5_dsp_no_acs);
	tcase_add_test(ex, test_ex6_rp_no_acs);
	tcase_add_test(ex, test_ex6_pch_root_ports);
	tcase_add_test(ex, test_ex7_pcie_to_pci_bridge);
	tcase_add_test(ex, test_ex8_marvell_ricoh);
	tcase_add_test(ex, test_seed_dmi_bridge);
	tcase_add_test(ex, test_quickstart_ids);
	tcase_add_test(rules, test_ids_follow_probe_order);
	tcase_add_test(rules, test_no_iommu_function_has_no_group);
	tcase_add_test(rules, test_acs_flags);
	tcase_add_test(rules, test_alias_chain);
	tcase_add_test(rules, test_root_bus_singletons);
	tcase_add_test(rules, test_strict_root_slot);
	tcase_add_test(rules, test_strict_subtrees);
	tcase_add_test(rules, test_p2p_reachable);
	tcase_add_test(rules, test_p2p_root_bus);
	tcase_add_test(rules, test_random_topologies);
	tcase_add_test(own, test_viability);
	tcase_add_test(own, test_owner_cnt_from_earlier_bindings);
	tcase_add_test(own, test_claim_and_veto);
	tcase_add_test(core, test_mode_names_and_empty);
	tcase_add_test(core, test_compute_only);
	tcase_add_test(core, test_fault_group_alloc);
	tcase_add_test(core, test_fault_boot_all_sites);
	tcase_add_test(core, test_fault_group_alloc_state);
	suite_add_tcase(s, ex);
	suite_add_tcase(s, rules);
	suite_add_tcase(s, own);
	suite_add_tcase(s, core);
	return s;
}

int main(void)
{
	return unit_run(groups_suite());
}
