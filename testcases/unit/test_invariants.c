/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU-level invariant checker (model/iommu/invariants.c) must both
 * stay quiet on a consistent machine and catch each violation it claims to:
 * a context entry changed behind the kernel's back (§H2), a device moved
 * out of its computed group (§H3), a user-owned group on its kernel default
 * domain (§H7), and a stale IOTLB entry left by an unmap without
 * invalidation (§H9).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/mem.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/invariants.h"
#include "model/pci/pci.h"
#include "tools/scenario/scenario.h"
#include "unit_common.h"

static const char topo[] =
	"name: inv\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\"}\n"
	"  - {bdf: \"0000:00:1e.0\", type: pcie-to-pci-bridge}\n"
	"  - {bdf: \"0000:06:0d.0\", type: pci-device, parent: \"0000:00:1e.0\"}\n";

static struct sim_world *boot(const char *mode_line)
{
	char *err = NULL, *text = g_strconcat(topo, mode_line, NULL);
	struct scenario *s = scenario_load_string(text, strlen(text), "inv", &err);
	struct sim_world *w;

	ck_assert_msg(s, "%s", err);
	w = scenario_build_world(s, 1, &err);
	ck_assert_msg(w, "%s", err);
	scenario_free(s);
	g_free(text);
	return w;
}

static int check(struct sim_world *w, const char *want)
{
	GString *out = g_string_new(NULL);
	int n = iommu_check_invariants(w, out);

	if (want)
		ck_assert_msg(strstr(out->str, want), "'%s' not in:\n%s", want, out->str);
	else
		ck_assert_msg(n == 0, "unexpected violations:\n%s", out->str);
	g_string_free(out, TRUE);
	return n;
}

START_TEST(test_quiet_when_consistent)
{
	struct sim_world *w = boot("profile: {group_mode: strict}\n");

	check(w, NULL);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_context_behind_the_kernels_back)
{
	struct sim_world *w = boot("");
	struct iommu_context ctx = { .type = IOMMU_CTX_PASSTHROUGH };

	/* the alias 06:00.0 of the bridge's group now bypasses translation */
	ck_assert_int_eq(iommu_hw_set_context(w, 0, PCI_RID(6, 0), &ctx), 0);
	ck_assert_int_ge(check(w, "§H2: group 1: RID 06:00.0 selects passthrough"), 1);
	ck_assert_int_eq(iommu_hw_clear_context(w, 0, PCI_RID(6, 0)), 0);
	check(w, "§H2: group 1: RID 06:00.0 has no context entry");
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_device_out_of_its_group)
{
	struct sim_world *w = boot("");
	struct pci_dev *ep = pci_dev_find(w, PCI_SBDF(0, 1, 0));
	struct iommu_group *saved = ep->group;

	ep->group = iommu_group_by_id(w, 0);
	check(w, "§H3: 0000:01:00.0 is in group 0, the topology gives group 2");
	ep->group = saved;
	check(w, NULL);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_user_owned_on_default_domain)
{
	struct sim_world *w = boot("");
	struct iommu_group *g = iommu_group_by_id(w, 2);
	static int owner;

	ck_assert_int_eq(iommu_group_claim_dma_owner(g, &owner), 0);
	check(w, NULL);                       /* claimed: on the blocking domain */
	g->domain = g->default_domain;        /* a bug that forgets to block */
	check(w, "§H7: group 2 is user-owned but still on its kernel default domain");
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_stale_iotlb_entry)
{
	struct sim_world *w = boot("");
	struct iommu_group *g = iommu_group_by_id(w, 2);
	struct iommu_domain *d = g->default_domain;
	struct iommu_xlate x;
	uint64_t hpa;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &hpa), 0);
	ck_assert_int_eq(iommu_map(d, 0x1000, hpa, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, PCI_RID(1, 0), false, 0, 0x1000, true, &x), 0);
	check(w, NULL);                       /* cached and still backed */
	/* the classic bug: change the table without invalidating the IOTLB */
	ck_assert_int_eq(io_pgtable_unmap(&d->pt, 0x1000, SZ_4K), (int64_t)SZ_4K);
	check(w, "§H8 stale IOTLB entry: did");
	check(w, "missing IOTLB invalidation after the table change");
	iommu_hw_inv_range(w, d->did, 0x1000, SZ_4K);
	check(w, NULL);
	sim_world_destroy(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("invariants");
	TCase *tc = tcase_create("iommu");

	tcase_add_test(tc, test_quiet_when_consistent);
	tcase_add_test(tc, test_context_behind_the_kernels_back);
	tcase_add_test(tc, test_device_out_of_its_group);
	tcase_add_test(tc, test_user_owned_on_default_domain);
	tcase_add_test(tc, test_stale_iotlb_entry);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
