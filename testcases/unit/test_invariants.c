/* SPDX-License-Identifier: MIT */
/*
 * The invariant checkers must both stay quiet on a consistent machine and
 * catch each violation they claim (docs/kernel-semantics.md §H).  Every
 * branch that reports is provoked here by changing state behind the
 * kernel's back, and the test asserts the checker's whole output - the
 * exact text of every line and how many - so that a checker that stops
 * firing, fires twice or fires something else fails.
 *
 * "iommu" (model/iommu/invariants.c, plus the scan of hw_check.c):
 *   §H2 a RID without a context entry / selecting another domain; §H3 a
 *   device outside its computed group (also with no group at all); §H4
 *   P2P-reachable functions split in strict mode; §H7 a user-owned group
 *   on its default domain; §H8 a stale IOTLB entry, and one whose domain
 *   no context selects any more; §H26 a PASID entry where the kernel
 *   attached nothing, and one selecting another domain than the kernel's.
 * "vfio" (model/vfio/invariants.c), on the shared VFIO fixture
 *   (vfio_fixture.c): §H5 owner, §H6 device fds, §H7 blocking, §H10
 *   pinning and accounting, §H11 dma_avail, §H12 page tables, overlap and
 *   ranges, §H13 alignment, §H14 mappings without domain or group, §H15
 *   container_users and kref.
 * Each case restores the state and expects silence again, so a test also
 * proves the checker forgets a violation once it is gone.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <glib.h>

#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/invariants.h"
#include "model/iommu/pgtable.h"
#include "model/pci/pci.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"
#include "sim/sysfs.h"
#include "iommusim/iommusim.h"
#include "iommusim/uapi/iommufd.h"
#include "iommusim/uapi/vfio_cdev.h"
#include "tools/scenario/scenario.h"
#include "unit_common.h"
#include "vfio_fixture.h"

/* ---- the IOMMU-level checker ---------------------------------------------------------- */

static const char topo[] =
	"name: inv\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\"}\n"
	"  - {bdf: \"0000:00:1e.0\", type: pcie-to-pci-bridge}\n"
	"  - {bdf: \"0000:06:0d.0\", type: pci-device, parent: \"0000:00:1e.0\", "
	"multifunction: true}\n"
	"  - {bdf: \"0000:06:0d.1\", type: pci-device, parent: \"0000:00:1e.0\", "
	"multifunction: true}\n";

static struct sim_world *boot_inv(const char *mode_line)
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

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The IOMMU checker's whole output must be @want (one line per violation,
 * "" for none), and its count the number of lines. */
static void iommu_expect(struct sim_world *w, const char *want)
{
	GString *out = g_string_new(NULL);
	int n = iommu_check_invariants(w, out);

	ck_assert_str_eq(out->str, want);
	ck_assert_int_eq(n, count_lines(want));
	g_string_free(out, TRUE);
}

START_TEST(test_quiet_when_consistent)
{
	struct sim_world *w = boot_inv("profile: {group_mode: strict}\n");

	iommu_expect(w, "");
	sim_world_destroy(w);
}
END_TEST

/* §H2 (iommu_group_for_each_dev / __iommu_attach_group program every RID
 * and alias of a group): a context entry changed behind the kernel's back. */
START_TEST(test_context_behind_the_kernels_back)
{
	struct sim_world *w = boot_inv("");
	struct iommu_context ctx = { .type = IOMMU_CTX_PASSTHROUGH }, saved;

	/* the alias 06:00.0 of the bridge's group now bypasses translation */
	ck_assert_int_eq(iommu_hw_get_context(w, 0, PCI_RID(6, 0), &saved), 0);
	ck_assert_int_eq(iommu_hw_set_context(w, 0, PCI_RID(6, 0), &ctx), 0);
	/* both functions behind the bridge alias to 06:00.0: one line */
	iommu_expect(w, "§H2: group 1: RID 06:00.0 selects passthrough did 0, not the "
		     "group's domain (s2 did 2)\n");
	ck_assert_int_eq(iommu_hw_clear_context(w, 0, PCI_RID(6, 0)), 0);
	iommu_expect(w, "§H2: group 1: RID 06:00.0 has no context entry\n");
	ck_assert_int_eq(iommu_hw_set_context(w, 0, PCI_RID(6, 0), &saved), 0);
	iommu_expect(w, "");
	sim_world_destroy(w);
}
END_TEST

/* §H3 (iommu_group_get_for_dev: the topology alone decides the group). */
START_TEST(test_device_out_of_its_group)
{
	struct sim_world *w = boot_inv("");
	struct pci_dev *ep = pci_dev_find(w, PCI_SBDF(0, 1, 0));
	struct iommu_group *saved = ep->group;

	ep->group = iommu_group_by_id(w, 0);
	iommu_expect(w, "§H3: 0000:01:00.0 is in group 0, the topology gives group 2\n");
	ep->group = NULL;
	iommu_expect(w, "§H3: 0000:01:00.0 is in group -1, the topology gives group 2\n");
	ep->group = saved;
	iommu_expect(w, "");
	sim_world_destroy(w);
}
END_TEST

/*
 * §H4, strict mode (pci_device_group: functions that can reach each other
 * without the IOMMU seeing it, no ACS path between them, share a group):
 * the two functions behind the conventional bridge reach each other (no
 * ACS on a non-root bus; the bridge above them is not a peer: their
 * traffic to it goes upstream).  §H4 is computed from the topology
 * pair by pair (iommu_p2p_reachable), independently of the strict merges
 * that also compute the groups §H3 compares with: split them and both
 * fire.  With no group at all the report says -1 (the checker used to
 * dereference the missing group).
 */
START_TEST(test_strict_reachable_split)
{
	struct sim_world *w = boot_inv("profile: {group_mode: strict}\n");
	struct pci_dev *f1 = pci_dev_find(w, PCI_SBDF(0, 6, PCI_DEVFN(0x0d, 1)));
	struct iommu_group *saved = f1->group;

	ck_assert_ptr_nonnull(f1);
	f1->group = iommu_group_by_id(w, 0);
	iommu_expect(w, "§H3: 0000:06:0d.1 is in group 0, the topology gives group 1\n"
		     "§H4: 0000:06:0d.0 and 0000:06:0d.1 reach each other but are in groups 1 and 0\n");
	f1->group = NULL;
	iommu_expect(w, "§H3: 0000:06:0d.1 is in group -1, the topology gives group 1\n"
		     "§H4: 0000:06:0d.0 and 0000:06:0d.1 reach each other but are in groups 1 and -1\n");
	f1->group = saved;
	iommu_expect(w, "");
	sim_world_destroy(w);
}
END_TEST

/* §H7 (iommu_group_claim_dma_owner attaches the blocking domain): a bug
 * that forgets to block leaves the group on its default domain, and its
 * RIDs (still blocked in the tables) no longer match the group's domain. */
START_TEST(test_user_owned_on_default_domain)
{
	struct sim_world *w = boot_inv("");
	struct iommu_group *g = iommu_group_by_id(w, 2);
	struct iommu_domain *blocked;
	static int owner;

	ck_assert_int_eq(iommu_group_claim_dma_owner(g, &owner), 0);
	iommu_expect(w, "");                  /* claimed: on the blocking domain */
	blocked = g->domain;
	g->domain = g->default_domain;
	/* blocked on VT-d: the RID's PASID entry torn down */
	iommu_expect(w, "§H2: group 2: RID 01:00.0 has no context entry\n"
		     "§H7: group 2 is user-owned but still on its kernel default domain\n");
	g->domain = blocked;
	iommu_expect(w, "");
	sim_world_destroy(w);
}
END_TEST

/* §H8 (iommu_unmap -> iotlb_sync): a table change without invalidation. */
START_TEST(test_stale_iotlb_entry)
{
	struct sim_world *w = boot_inv("");
	struct iommu_group *g = iommu_group_by_id(w, 2);
	struct iommu_domain *d = g->default_domain;
	struct iommu_xlate x;
	uint64_t hpa;
	char *want;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &hpa), 0);
	ck_assert_int_eq(iommu_map(d, 0x1000, hpa, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, PCI_RID(1, 0), false, 0, 0x1000, true, &x), 0);
	iommu_expect(w, "");                  /* cached and still backed */
	/* the classic bug: change the table without invalidating the IOTLB */
	ck_assert_int_eq(io_pgtable_unmap(&d->pt, 0x1000, SZ_4K), (int64_t)SZ_4K);
	want = g_strdup_printf("§H8 stale IOTLB entry: did %u pasid none iova 0x1000 size 0x1000 "
			       "-> 0x%llx rw, the tables now say not mapped: missing IOTLB "
			       "invalidation after the table change\n", d->did,
			       (unsigned long long)hpa);
	iommu_expect(w, want);
	g_free(want);
	iommu_hw_inv_range(w, d->did, 0x1000, SZ_4K);
	iommu_expect(w, "");
	sim_world_destroy(w);
}
END_TEST

/* §H8, detach (intel-iommu's domain_context_clear_one clears the context
 * entry, then flushes the context cache and the old domain id's IOTLB,
 * DMA_TLB_DSI_FLUSH): an IOTLB entry outliving every context entry that
 * names its domain. */
START_TEST(test_iotlb_entry_of_a_detached_domain)
{
	struct sim_world *w = boot_inv("");
	struct iommu_group *g = iommu_group_by_id(w, 2);
	struct iommu_domain *d = g->default_domain;
	struct iommu_context saved;
	struct iommu_xlate x;
	uint64_t hpa;
	char *want;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &hpa), 0);
	ck_assert_int_eq(iommu_map(d, 0x1000, hpa, SZ_4K, IOMMU_READ), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, PCI_RID(1, 0), false, 0, 0x1000, false, &x), 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, PCI_RID(1, 0), &saved), 0);
	ck_assert_int_eq(iommu_hw_clear_context(w, 0, PCI_RID(1, 0)), 0);
	want = g_strdup_printf("§H2: group 2: RID 01:00.0 has no context entry\n"
			       "§H8 stale IOTLB entry: did %u pasid none iova 0x1000 size 0x1000 -> "
			       "0x%llx, but no PASID entry selects that domain any more: missing "
			       "IOTLB invalidation when it was detached\n"
			       "§H8 stale PASID-cache entry: 0000:01:00.0 pasid 0 caches type s2 "
			       "did %u, memory now holds no entry: missing PASID-cache invalidation "
			       "(pc_inv_dsc) after the PASID entry changed\n", d->did,
			       (unsigned long long)hpa, d->did);
	iommu_expect(w, want);
	g_free(want);
	ck_assert_int_eq(iommu_hw_set_context(w, 0, PCI_RID(1, 0), &saved), 0);
	iommu_expect(w, "");
	sim_world_destroy(w);
}
END_TEST

/*
 * §H9 (intel_iommu's unmap of a range that freed page-table pages flushes
 * with the non-leaf hint cleared, domain_flush_pasid_iotlb / qi_flush_piotlb
 * ih = 0): a leaf-only invalidation leaves paging-structure-cache entries
 * pointing at the freed tables.  Unmapping the only page below the root's
 * first entry frees the level-3, -2 and -1 tables the walk cached.
 */
START_TEST(test_stale_paging_structure_cache)
{
	struct sim_world *w = boot_inv("profile: {iommu: {psc_entries: 16}}\n");
	struct iommu_domain *d = iommu_group_by_id(w, 2)->default_domain;
	struct iommu_inv_cmd leaf = { .type = IOMMU_INV_IOTLB_RANGE, .did = d->did,
				      .pasid = IOMMU_PASID_NONE, .iova = SZ_1G, .size = SZ_4K,
				      .leaf = true };
	struct io_pgtable_walk wk;
	struct iommu_xlate x;
	uint64_t hpa;
	GString *want = g_string_new(NULL);

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &hpa), 0);
	ck_assert_int_eq(iommu_map(d, SZ_1G, hpa, SZ_4K, IOMMU_READ), 0);
	ck_assert_int_eq(io_pgtable_lookup(&d->pt, SZ_1G, &wk), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, PCI_RID(1, 0), false, 0, SZ_1G, false, &x), 0);
	iommu_expect(w, "");
	ck_assert_int_eq(io_pgtable_unmap(&d->pt, SZ_1G, SZ_4K), (int64_t)SZ_4K);
	ck_assert_uint_eq(iommu_hw_invalidate(w, &leaf, 1), 1);
	/* the walk filled them top down: the cache reports them in that order */
	for (unsigned level = 3; level >= 1; level--)
		g_string_append_printf(want, "§H9 stale paging-structure-cache entry: did %u pasid "
				       "none stage 2 level-%u table for 0x%llx (span 0x%llx) at "
				       "0x%llx, which the tables no longer reach: missing non-leaf "
				       "(paging-structure) invalidation after a table was freed\n",
				       d->did, level, level == 3 ? 0ull : (unsigned long long)SZ_1G,
				       level == 3 ? 0x8000000000ull : level == 2 ? 0x40000000ull
				       : 0x200000ull, (unsigned long long)wk.tables[level]);
	iommu_expect(w, want->str);
	g_string_free(want, TRUE);
	leaf.leaf = false;
	iommu_hw_invalidate(w, &leaf, 1);
	iommu_expect(w, "");
	sim_world_destroy(w);
}
END_TEST

/*
 * §H8, PASID cache (intel_pasid_tear_down_entry and friends end with
 * pasid_cache_invalidation_with_pasid): a PASID entry rewritten without
 * flushing the cached copy.  RID 09:00.0 is no device's: the hardware alone.
 */
START_TEST(test_stale_pasid_cache_entry)
{
	struct sim_world *w = boot_inv("profile: {iommu: {pasid_cache_entries: 8}}\n");
	struct iommu_dev_ctx dc = { .pasid_bits = 8 };
	struct iommu_context s1 = { .type = IOMMU_CTX_S1, .did = 40, .s1_levels = 4 }, s1b;
	struct iommu_inv_cmd pc = { .type = IOMMU_INV_PASID_CACHE, .segment = 0,
				    .rid = PCI_RID(9, 0), .pasid = 1 };
	struct io_pgtable ta = { 0 }, tb = { 0 };
	struct iommu_xlate x;
	uint64_t hpa;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &hpa), 0);
	ck_assert_int_eq(io_pgtable_init(&ta, w, &io_pgtable_vtd_fs, 4), 0);
	ck_assert_int_eq(io_pgtable_init(&tb, w, &io_pgtable_vtd_fs, 4), 0);
	ck_assert_int_eq(io_pgtable_map(&ta, 0x5000, hpa, SZ_4K, IOMMU_READ), 0);
	ck_assert_int_eq(iommu_hw_set_device(w, 0, PCI_RID(9, 0), &dc), 0);
	s1.s1_root = ta.root;
	ck_assert_int_eq(iommu_hw_set_pasid(w, 0, PCI_RID(9, 0), 1, &s1), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, PCI_RID(9, 0), true, 1, 0x5000, false, &x), 0);
	s1b = s1;
	s1b.did = 41;
	s1b.s1_root = tb.root;
	ck_assert_int_eq(iommu_hw_set_pasid(w, 0, PCI_RID(9, 0), 1, &s1b), 0);
	iommu_hw_inv_domain(w, 40);
	iommu_expect(w, "§H8 stale PASID-cache entry: 0000:09:00.0 pasid 1 caches type s1 did 40, "
		     "memory now holds s1 did 41: missing PASID-cache invalidation (pc_inv_dsc) after the PASID entry "
		     "changed\n");
	ck_assert_uint_eq(iommu_hw_invalidate(w, &pc, 1), 1);
	iommu_expect(w, "");
	ck_assert_int_eq(iommu_hw_clear_pasid(w, 0, PCI_RID(9, 0), 1), 0);
	io_pgtable_destroy(&ta);
	io_pgtable_destroy(&tb);
	sim_world_destroy(w);
}
END_TEST

/*
 * §H26 (iommu_attach_device_pasid / __iommu_remove_group_pasid: a device's
 * PASID entries are the kernel's to write): an entry written at a PASID the
 * kernel attached nothing to, then one replacing the entry of the domain
 * the kernel attached.  (test_domain.c: the same left behind by the
 * pasid-free-while-bound bug, and naming a freed domain.)
 */
START_TEST(test_pasid_entry_behind_the_kernels_back)
{
	static const char text[] =
		"name: inv-pasid\n"
		"topology:\n"
		"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", "
		"caps: {pasid: 8}}\n";
	char *err = NULL, *want;
	struct scenario *s = scenario_load_string(text, strlen(text), "inv-pasid", &err);
	struct sim_world *w;
	struct pci_dev *dev;
	struct iommu_domain *d, *e;
	struct iommu_context ctx = { .type = IOMMU_CTX_S1 }, saved;

	ck_assert_msg(s, "%s", err);
	w = scenario_build_world(s, 1, &err);
	ck_assert_msg(w, "%s", err);
	scenario_free(s);
	dev = pci_dev_find(w, PCI_RID(1, 0));
	d = iommu_domain_alloc_paging(w, 1, false);
	e = iommu_domain_alloc_paging(w, 1, false);
	ck_assert(dev && d && e);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev, 1), 0);
	iommu_expect(w, "");
	ctx.did = e->did;
	ctx.s1_root = e->pt.root;
	ctx.s1_levels = e->pt.levels;
	ck_assert_int_eq(iommu_hw_set_pasid(w, 0, PCI_RID(1, 0), 2, &ctx), 0);
	want = g_strdup_printf("§H26: 0000:01:00.0 pasid 2: the PASID entry selects s1 did %u, "
			       "but the kernel has no domain attached there\n", e->did);
	iommu_expect(w, want);
	g_free(want);
	ck_assert_int_eq(iommu_hw_clear_pasid(w, 0, PCI_RID(1, 0), 2), 0);
	iommu_expect(w, "");
	ck_assert_int_eq(iommu_hw_get_pasid(w, 0, PCI_RID(1, 0), 1, &saved), 0);
	ck_assert_int_eq(iommu_hw_set_pasid(w, 0, PCI_RID(1, 0), 1, &ctx), 0);
	want = g_strdup_printf("§H26: 0000:01:00.0 pasid 1: the PASID entry selects s1 did %u, "
			       "not the domain attached there (s1 did %u)\n", e->did, d->did);
	iommu_expect(w, want);
	g_free(want);
	ck_assert_int_eq(iommu_hw_set_pasid(w, 0, PCI_RID(1, 0), 1, &saved), 0);
	iommu_expect(w, "");
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev, 1), 0);
	iommu_expect(w, "");
	iommu_domain_free(d);
	iommu_domain_free(e);
	sim_world_destroy(w);
}
END_TEST

/* ---- the VFIO checker ------------------------------------------------------------------ */

/* vfio_check_invariants' whole output must be @want, its count the lines. */
static void vfio_expect(const char *want)
{
	GString *out = g_string_new(NULL);
	int n = vfio_check_invariants(W, out);

	ck_assert_str_eq(out->str, want);
	ck_assert_int_eq(n, count_lines(want));
	g_string_free(out, TRUE);
}

/* The same with printf-style arguments. */
static void G_GNUC_PRINTF(1, 2) vfio_expectf(const char *fmt, ...)
{
	va_list ap;
	char *want;

	va_start(ap, fmt);
	want = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	vfio_expect(want);
	g_free(want);
}

static struct vfio_group *vgroup(const char *bdf)
{
	struct vfio_group *g = vfio_group_find(vfio_get(W), gid(bdf));

	ck_assert_ptr_nonnull(g);
	return g;
}

static struct pci_dev *pdev(const char *bdf)
{
	uint32_t sbdf;

	ck_assert_int_eq(pci_sbdf_parse(bdf, &sbdf), 0);
	return pci_dev_find(W, sbdf);
}

/* The one mapping of @c at @iova. */
static struct vfio_dma *dma_at(struct vfio_container *c, uint64_t iova)
{
	struct vfio_dma *dma = vfio_find_dma(c->iommu, iova, 1);

	ck_assert_ptr_nonnull(dma);
	return dma;
}

/* Container and group A with a type1v2 backend and 16 KiB at 0x10000. */
static struct vfio_container *mapped(int *cfd, int *gfd)
{
	usage(DEV_A, VFIO_TYPE1v2_IOMMU, cfd, gfd);
	ck_assert_int_eq(map(*cfd, BUF, 0x10000, 0x4000, RW), 0);
	vfio_expect("");
	return vgroup(DEV_A)->container;
}

START_TEST(test_vfio_quiet_when_consistent)
{
	int cfd, gfd;

	mapped(&cfd, &gfd);
	ck_assert_int_ge(device_fd(gfd, DEV_A), 0);
	vfio_expect("");
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, cfd), 0);
	vfio_expect("");
}
END_TEST

/* §H15 (vfio_group_set_container: container_users = 1; each device open
 * through the group adds one; the container kref holds its fd and groups). */
START_TEST(test_vfio_h15_counts)
{
	struct vfio_group *g;
	struct vfio_container *c;
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	g = vgroup(DEV_A);
	g->container_users++;
	vfio_expectf("§H15: group %u container_users 2 != 1\n", gid(DEV_A));
	g->container_users--;
	c->kref++;
	vfio_expectf("§H15: container %u kref 3 != fd 1 + groups 1\n", c->id);
	c->kref--;
	vfio_expect("");
}
END_TEST

/* §H15: the container's group list and the group's container pointer
 * agree.  A group pointing at a second (empty) container is also not owned
 * by it (§H5) and is not blocked as a group without a user domain (§H7). */
START_TEST(test_vfio_h15_group_attached_elsewhere)
{
	struct vfio_container *c, *other = NULL;
	struct vfio_group *g;
	int cfd, gfd, cfd2;
	unsigned id = gid(DEV_A);

	c = mapped(&cfd, &gfd);
	g = vgroup(DEV_A);
	cfd2 = open_path("/dev/vfio/vfio");
	for (uint32_t i = 0; i < sim_ids_end(&vfio_get(W)->containers); i++) {
		struct vfio_container *x = sim_ids_find(&vfio_get(W)->containers, i);
		if (x && x != c)
			other = x;
	}
	ck_assert_ptr_nonnull(other);
	g->container = other;
	vfio_expectf("§H15: container %u lists a group attached elsewhere\n"
		     "§H5: group %u has container %u but is not owned by it\n"
		     "§H7: user-owned group %u with no user domain is not on the blocking domain\n"
		     "§H7: 0000:01:00.0 (rid 0100) of user-owned group %u with no user domain is "
		     "not blocked in the context table\n", c->id, id, other->id, id, id);
	g->container = c;
	vfio_expect("");
	ck_assert_int_eq(sim_sys_close(W, PID, cfd2), 0);
}
END_TEST

/* §H5 (iommu_group_claim_dma_owner with the container as owner). */
START_TEST(test_vfio_h5_owner)
{
	struct iommu_group *ig, *igb;
	struct vfio_container *c;
	const void *owner;
	static int stranger;
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	ig = vgroup(DEV_A)->iommu_group;
	owner = ig->owner;
	ig->owner = &stranger;
	vfio_expectf("§H5: group %u has container %u but is not owned by it\n", ig->id, c->id);
	ig->owner = owner;
	ig->owner_cnt = 0;
	vfio_expectf("§H5: group %u has container %u but is not owned by it\n", ig->id, c->id);
	ig->owner_cnt = 1;
	vfio_expect("");
	/* group B has no container, but the container owns it */
	igb = vgroup(DEV_B)->iommu_group;
	igb->owner = c;
	igb->owner_cnt = 1;
	vfio_expectf("§H5: group %u is owned by a container it is not attached to\n", igb->id);
	igb->owner = NULL;
	igb->owner_cnt = 0;
	vfio_expect("");
}
END_TEST

/* §H5 (iommu_device_use_default_domain refuses a kernel DMA driver in a
 * user-owned group): a driver bound behind the kernel's back. */
START_TEST(test_vfio_h5_kernel_driver)
{
	static char e1000[] = "e1000";
	struct pci_dev *d;
	char *drv;
	int cfd, gfd;

	mapped(&cfd, &gfd);
	d = pdev(DEV_A);
	drv = d->driver;
	d->driver = e1000;
	vfio_expectf("§H5: user-owned group %u has 0000:01:00.0 bound to kernel driver e1000\n",
		     gid(DEV_A));
	d->driver = drv;
	vfio_expect("");
}
END_TEST

/* §H6 (vfio_group_get_device_fd needs a container with a backend, and a
 * viable group: vfio_group_has_iommu / the ownership claim). */
START_TEST(test_vfio_h6_device_fds)
{
	struct vfio_group *g, *gc;
	int cfd, gfd;

	usage(DEV_A, 0, &cfd, &gfd);        /* a container, no backend */
	g = vgroup(DEV_A);
	g->device_fds++;
	g->container_users++;
	vfio_expectf("§H6: group %u has 1 device fds but no backend\n", gid(DEV_A));
	g->device_fds--;
	g->container_users--;
	vfio_expect("");
	/* group C (06:0d.1 is on e1000: not viable) has no container at all */
	gc = vgroup(DEV_C);
	gc->device_fds = 1;
	vfio_expectf("§H6: group %u has 1 device fds but no backend\n"
		     "§H6: group %u has 1 device fds but is not viable\n", gid(DEV_C), gid(DEV_C));
	gc->device_fds = 0;
	vfio_expect("");
}
END_TEST

/* §H7 without a backend: the group sits on the blocking domain
 * (iommu_group_claim_dma_owner) and its RIDs are blocked in the tables. */
START_TEST(test_vfio_h7_no_user_domain)
{
	struct iommu_context pass = { .type = IOMMU_CTX_PASSTHROUGH }, saved;
	struct iommu_group *ig;
	struct iommu_domain *blocked;
	int cfd, gfd;

	usage(DEV_A, 0, &cfd, &gfd);
	ig = vgroup(DEV_A)->iommu_group;
	blocked = ig->domain;
	ig->domain = ig->default_domain;
	vfio_expectf("§H7: user-owned group %u with no user domain is not on the blocking "
		     "domain\n", ig->id);
	ig->domain = blocked;
	vfio_expect("");
	/* blocked on VT-d: no entry for the RID (the PASID entry torn down) */
	ck_assert_int_eq(iommu_hw_get_context(W, 0, PCI_RID(1, 0), &saved), -ENOENT);
	ck_assert_int_eq(iommu_hw_set_context(W, 0, PCI_RID(1, 0), &pass), 0);
	vfio_expectf("§H7: 0000:01:00.0 (rid 0100) of user-owned group %u with no user domain "
		     "is not blocked in the context table\n", ig->id);
	ck_assert_int_eq(iommu_hw_clear_context(W, 0, PCI_RID(1, 0)), 0);
	vfio_expect("");
}
END_TEST

/* §H7 with a backend (vfio_iommu_type1_attach_group: every group of the
 * container is in one of its domains, attached, its RIDs translating
 * through that domain's id). */
START_TEST(test_vfio_h7_type1_domain)
{
	struct iommu_context pass = { .type = IOMMU_CTX_PASSTHROUGH }, saved;
	struct iommu_group *ig;
	struct iommu_domain *d;
	struct vfio_container *c;
	struct vfio_domain *vd;
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	ig = vgroup(DEV_A)->iommu_group;
	d = ig->domain;
	vd = g_ptr_array_index(c->iommu->domains, 0);
	/* attached elsewhere */
	ig->domain = ig->default_domain;
	vfio_expectf("§H7: group %u is not attached to its type1 domain\n", ig->id);
	ig->domain = d;
	/* the context table says otherwise */
	ck_assert_int_eq(iommu_hw_get_context(W, 0, PCI_RID(1, 0), &saved), 0);
	ck_assert_int_eq(iommu_hw_set_context(W, 0, PCI_RID(1, 0), &pass), 0);
	vfio_expectf("§H7: 0000:01:00.0 (rid 0100) of group %u does not translate through its "
		     "container's domain %u\n", ig->id, d->did);
	ck_assert_int_eq(iommu_hw_clear_context(W, 0, PCI_RID(1, 0)), 0);
	vfio_expectf("§H7: 0000:01:00.0 (rid 0100) of group %u does not translate through its "
		     "container's domain %u\n", ig->id, d->did);
	ck_assert_int_eq(iommu_hw_set_context(W, 0, PCI_RID(1, 0), &saved), 0);
	vfio_expect("");
	/* in no domain of its container: also not blocked, nowhere */
	ck_assert(g_ptr_array_remove(vd->groups, ig));
	vfio_expectf("§H7: group %u is in a container with a backend but in no domain\n"
		     "§H7: user-owned group %u with no user domain is not on the blocking domain\n"
		     "§H7: 0000:01:00.0 (rid 0100) of user-owned group %u with no user domain is "
		     "not blocked in the context table\n", ig->id, ig->id, ig->id);
	g_ptr_array_add(vd->groups, ig);
	vfio_expect("");
}
END_TEST

/* §H12 pages (vfio_iommu_map: each pinned page at its IOVA in every domain,
 * with the mapping's permission). */
START_TEST(test_vfio_h12_page_tables)
{
	struct vfio_container *c;
	struct vfio_dma *dma;
	struct iommu_domain *d;
	uint64_t other;
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	dma = dma_at(c, 0x10000);
	d = gdomain(DEV_A);
	ck_assert_uint_eq(iommu_unmap(d, 0x11000, 0x1000), 0x1000);
	vfio_expectf("§H12: iova 0x11000 of mapping 0x10000+0x4000 is not mapped in domain %u\n",
		     d->did);
	/* read-only where the user asked read-write */
	ck_assert_int_eq(iommu_map(d, 0x11000, dma->pages[1], 0x1000, IOMMU_READ), 0);
	vfio_expectf("§H12: iova 0x11000 in domain %u -> 0x%llx prot 1, pinned 0x%llx prot 3\n",
		     d->did, (unsigned long long)dma->pages[1],
		     (unsigned long long)dma->pages[1]);
	ck_assert_uint_eq(iommu_unmap(d, 0x11000, 0x1000), 0x1000);
	/* another frame than the one pinned */
	ck_assert_int_eq(sim_mem_frame_alloc(W, SIM_FRAME_RAM, &other), 0);
	ck_assert_int_eq(iommu_map(d, 0x11000, other, 0x1000, IOMMU_READ | IOMMU_WRITE), 0);
	vfio_expectf("§H12: iova 0x11000 in domain %u -> 0x%llx prot 3, pinned 0x%llx prot 3\n",
		     d->did, (unsigned long long)other, (unsigned long long)dma->pages[1]);
	ck_assert_uint_eq(iommu_unmap(d, 0x11000, 0x1000), 0x1000);
	ck_assert_int_eq(iommu_map(d, 0x11000, dma->pages[1], 0x1000, IOMMU_READ | IOMMU_WRITE), 0);
	vfio_expect("");
}
END_TEST

/*
 * §H12 overlap (vfio_find_dma refuses a MAP_DMA over a live mapping,
 * EEXIST): two mappings of the same user pages, the second's IOVA moved
 * down into the first's range behind type1's back.  Where they overlap
 * they map the same pages, so only the overlap is wrong - once the
 * second's last two pages, no longer under the first, are put where the
 * moved mapping now says.
 */
START_TEST(test_vfio_h12_overlap)
{
	struct vfio_container *c;
	struct vfio_dma *b;
	struct iommu_domain *d;
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	d = gdomain(DEV_A);
	ck_assert_int_eq(map(cfd, BUF + 0x2000, 0x20000, 0x4000, RW), 0);
	b = dma_at(c, 0x20000);
	ck_assert_uint_eq(iommu_unmap(d, 0x20000, 0x4000), 0x4000);
	ck_assert_int_eq(iommu_map(d, 0x14000, b->pages[2], 0x1000, IOMMU_READ | IOMMU_WRITE), 0);
	ck_assert_int_eq(iommu_map(d, 0x15000, b->pages[3], 0x1000, IOMMU_READ | IOMMU_WRITE), 0);
	b->iova = 0x12000;            /* the tree's order is unchanged */
	vfio_expect("§H12: mappings 0x10000 and 0x12000 overlap\n");
	b->iova = 0x20000;
	ck_assert_uint_eq(iommu_unmap(d, 0x14000, 0x2000), 0x2000);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(iommu_map(d, 0x20000 + i * 0x1000, b->pages[i], 0x1000,
					   IOMMU_READ | IOMMU_WRITE), 0);
	vfio_expect("");
}
END_TEST

/* §H12 ranges (vfio_iommu_iova_dma_valid: inside the IOVA ranges, clear of
 * every reserved region). */
START_TEST(test_vfio_h12_outside_ranges)
{
	struct vfio_container *c;
	struct vfio_dma *dma;
	struct iommu_domain *d;
	struct vfio_iova_range *r;
	GArray *saved;
	uint64_t start;
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	ck_assert_uint_ge(c->iommu->iova_list->len, 1);
	r = &g_array_index(c->iommu->iova_list, struct vfio_iova_range, 0);
	start = r->start;
	r->start = 0x100000;          /* the ranges shrink under the mapping */
	vfio_expect("§H12: mapping 0x10000+0x4000 is outside the iova ranges\n");
	r->start = start;
	vfio_expect("");
	/* no ranges (any IOVA), but the mapping lies on the MSI window */
	ck_assert_int_eq(map(cfd, BUF + 0x8000, 0x30000, 0x1000, RW), 0);
	dma = dma_at(c, 0x30000);
	d = gdomain(DEV_A);
	ck_assert_int_eq(iommu_map(d, MSI_LO, dma->pages[0], 0x1000, IOMMU_READ | IOMMU_WRITE), 0);
	saved = c->iommu->iova_list;
	c->iommu->iova_list = g_array_new(FALSE, FALSE, sizeof(struct vfio_iova_range));
	dma->iova = MSI_LO;
	vfio_expect("§H12: mapping 0xfee00000+0x1000 is outside the iova ranges\n");
	dma->iova = 0x30000;
	g_array_free(c->iommu->iova_list, TRUE);
	c->iommu->iova_list = saved;
	ck_assert_uint_eq(iommu_unmap(d, MSI_LO, 0x1000), 0x1000);
	vfio_expect("");
}
END_TEST

/* §H13 (vfio_dma_do_map: iova, size and vaddr aligned to the smallest
 * page size, else EINVAL). */
START_TEST(test_vfio_h13_alignment)
{
	struct vfio_container *c;
	struct vfio_dma *dma;
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	dma = dma_at(c, 0x10000);
	dma->vaddr |= 0x800;
	vfio_expectf("§H13: mapping 0x10000+0x4000 (vaddr 0x%llx) not aligned to 0x1000\n",
		     (unsigned long long)dma->vaddr);
	dma->vaddr &= ~0x800ull;
	vfio_expect("");
}
END_TEST

/* §H10 (vfio_pin_pages_remote pins every page of a mapping and
 * vfio_lock_acct charges them to the mapping task's locked_vm). */
START_TEST(test_vfio_h10_pinning)
{
	struct vfio_container *c;
	struct vfio_dma *dma;
	struct sim_mm *mm = sim_proc_find(W, PID)->mm;
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	dma = dma_at(c, 0x10000);
	/* a page short: the mapping is not charged at all, so the mm is off */
	dma->npages--;
	vfio_expect("§H10: mapping 0x10000 has 3 pages pinned, 4 expected\n"
		    "§H10: an mm has locked_vm/pinned 4/4/0/0 pages, type1 mappings charge/pin the last two\n");
	dma->npages++;
	mm->locked_vm++;
	vfio_expect("§H10: an mm has locked_vm/pinned 5/4/4/4 pages, type1 mappings charge/pin the last two\n");
	mm->locked_vm--;
	mm->pinned += 2;
	vfio_expect("§H10: an mm has locked_vm/pinned 4/6/4/4 pages, type1 mappings charge/pin the last two\n");
	mm->pinned -= 2;
	vfio_expect("");
}
END_TEST

/* §H10 after the last close (vfio_iommu_type1_release unpins and
 * uncharges everything): every mm is back at zero; two of them off are
 * reported in sorted order, not the hash table's. */
START_TEST(test_vfio_h10_back_to_start)
{
	struct sim_mm *mm1, *mm2;
	int cfd, gfd;

	mapped(&cfd, &gfd);
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, cfd), 0);
	vfio_expect("");
	mm1 = sim_proc_find(W, PID)->mm;
	mm2 = sim_proc_find(W, pid_of("alice"))->mm;
	mm1->locked_vm = 2;
	mm2->locked_vm = 1;
	vfio_expect("§H10: an mm has locked_vm/pinned 1/0/0/0 pages, type1 mappings charge/pin the last two\n"
		    "§H10: an mm has locked_vm/pinned 2/0/0/0 pages, type1 mappings charge/pin the last two\n");
	mm1->locked_vm = 0;
	mm2->locked_vm = 0;
	vfio_expect("");
}
END_TEST

/* §H11 (vfio_dma_do_map: dma_avail-- per mapping, ENOSPC at zero;
 * vfio_remove_dma gives it back). */
START_TEST(test_vfio_h11_dma_avail)
{
	struct vfio_container *c;
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	c->iommu->dma_avail--;
	vfio_expectf("§H11: container %u: dma_avail %u + 1 live mappings != limit %u\n", c->id,
		     c->iommu->dma_avail, c->iommu->dma_entry_limit);
	c->iommu->dma_avail++;
	vfio_expect("");
}
END_TEST

/* §H14 (vfio_iommu_type1_detach_group: the last domain gone, every mapping
 * is unmapped and unpinned; the last group gone, the container drops its
 * backend, __vfio_group_unset_container). */
/*
 * A mediated device bound to iommufd through its cdev (check_mdev): an
 * iommufd pin split (the driver holds part of one vfio_pin_pages call,
 * which iommufd_access_unpin_pages could never give back), pins with no
 * attached access, both an access and a container backend, a backend
 * while not open, the group node open or the device opened twice while
 * cdev-bound, a cdev binding with no access.
 */
#define INV_UUID "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
START_TEST(test_vfio_mdev_on_iommufd)
{
	static const char *const world =
		"name: mdev-inv\n"
		"profile:\n  vfio: {mdev_instances: 1}\n"
		"topology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n";
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = 2 };
	struct iommu_ioas_alloc al = { .size = sizeof(al) };
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = 2, .length = 0x4000, .iova = 0x10000,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};
	struct mdev_state *md;
	struct mdev_pin saved;
	struct iommufd_access *access;
	int ictx, cdev;

	teardown();
	boot_from(world, "<mdev-inv>");
	as(PID);
	ck_assert_int_eq(sim_sysfs_write(W, "/sys/class/mdev_bus/sim_mdev/mdev_supported_types/"
					 "sim_mdev-dma/create", INV_UUID), 0);
	ictx = open_path("/dev/iommu");
	cdev = open_path("/dev/vfio/devices/vfio0");
	b.iommufd = ictx;
	ck_assert_int_eq(io(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b, sizeof(b)), 0);
	ck_assert_int_eq(io(ictx, IOMMU_IOAS_ALLOC, &al, sizeof(al)), 0);
	m.user_va = BUF;
	ck_assert_int_eq(io(ictx, IOMMU_IOAS_MAP, &m, sizeof(m)), 0);
	ck_assert_int_eq(io(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a, sizeof(a)), 0);
	ck_assert_int_eq(sim_mdev_pin(W, INV_UUID, 0x10000, 2, 0), 2);
	vfio_expect("");
	md = g_ptr_array_index(vfio_get(W)->mdevs, 0);

	saved = g_array_index(md->pins, struct mdev_pin, 1);
	g_array_remove_index(md->pins, 1);
	vfio_expect("§H10: mdev " INV_UUID " holds 1 of the 2 pages of its iommufd pin at 0x10000\n");
	g_array_append_val(md->pins, saved);
	vfio_expect("");

	md->iommufd_attached = false;
	vfio_expect("§H10: mdev " INV_UUID " holds 2 pinned pages with no container backend or "
		    "attached access\n");
	md->iommufd_attached = true;

	md->reg_ops = &vfio_iommu_type1_ops;
	vfio_expect("§H6: mdev " INV_UUID " is bound to iommufd and registered with a container\n");
	md->reg_ops = NULL;

	md->open_count = 0;
	vfio_expect("§H6: mdev " INV_UUID " keeps a backend but is not open\n");
	md->open_count = 2;
	vfio_expect("§H16: mdev " INV_UUID " is open 2 times on the cdev path\n");
	md->open_count = 1;

	md->group->opened = true;
	vfio_expectf("§H16: group %u is open with 1 member(s) bound through the cdev\n"
		     "§H16: mdev " INV_UUID " is bound through its cdev but group %u is open\n",
		     md->ig->id, md->ig->id);
	md->group->opened = false;

	access = md->access;
	md->access = NULL;
	vfio_expect("§H6: mdev " INV_UUID " is bound through its cdev but holds no iommufd access\n"
		    "§H10: mdev " INV_UUID " holds 2 pinned pages with no container backend or "
		    "attached access\n");
	md->access = access;
	vfio_expect("");
	ck_assert_int_eq(sim_sys_close(W, PID, cdev), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, ictx), 0);
	vfio_expect("");
}
END_TEST

START_TEST(test_vfio_h14_mappings_need_a_domain)
{
	struct vfio_container *c;
	struct vfio_domain *vd;
	GList *groups;
	unsigned id = gid(DEV_A);
	int cfd, gfd;

	c = mapped(&cfd, &gfd);
	vd = g_ptr_array_steal_index(c->iommu->domains, 0);
	vfio_expectf("§H14: container %u has 1 mappings and no IOMMU domain\n"
		     "§H10: mapping 0x10000 has 4 pages pinned, 0 expected\n"
		     "§H7: group %u is in a container with a backend but in no domain\n"
		     "§H7: user-owned group %u with no user domain is not on the blocking domain\n"
		     "§H7: 0000:01:00.0 (rid 0100) of user-owned group %u with no user domain is "
		     "not blocked in the context table\n"
		     "§H10: an mm has locked_vm/pinned 4/4/0/0 pages, type1 mappings charge/pin "
		     "the last two\n", c->id, id, id, id);
	g_ptr_array_add(c->iommu->domains, vd);
	vfio_expect("");
	groups = c->groups;
	c->groups = NULL;
	c->kref--;
	vfio_expectf("§H14: container %u has no group but keeps its backend\n", c->id);
	c->groups = groups;
	c->kref++;
	vfio_expect("");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("invariants");
	TCase *tc = tcase_create("iommu"), *tv = tcase_create("vfio");

	tcase_add_test(tc, test_quiet_when_consistent);
	tcase_add_test(tc, test_context_behind_the_kernels_back);
	tcase_add_test(tc, test_device_out_of_its_group);
	tcase_add_test(tc, test_strict_reachable_split);
	tcase_add_test(tc, test_user_owned_on_default_domain);
	tcase_add_test(tc, test_stale_iotlb_entry);
	tcase_add_test(tc, test_iotlb_entry_of_a_detached_domain);
	tcase_add_test(tc, test_stale_paging_structure_cache);
	tcase_add_test(tc, test_stale_pasid_cache_entry);
	tcase_add_test(tc, test_pasid_entry_behind_the_kernels_back);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tv, setup, teardown);
	tcase_add_test(tv, test_vfio_quiet_when_consistent);
	tcase_add_test(tv, test_vfio_h15_counts);
	tcase_add_test(tv, test_vfio_h15_group_attached_elsewhere);
	tcase_add_test(tv, test_vfio_h5_owner);
	tcase_add_test(tv, test_vfio_h5_kernel_driver);
	tcase_add_test(tv, test_vfio_h6_device_fds);
	tcase_add_test(tv, test_vfio_h7_no_user_domain);
	tcase_add_test(tv, test_vfio_h7_type1_domain);
	tcase_add_test(tv, test_vfio_h12_page_tables);
	tcase_add_test(tv, test_vfio_h12_overlap);
	tcase_add_test(tv, test_vfio_h12_outside_ranges);
	tcase_add_test(tv, test_vfio_h13_alignment);
	tcase_add_test(tv, test_vfio_h10_pinning);
	tcase_add_test(tv, test_vfio_h10_back_to_start);
	tcase_add_test(tv, test_vfio_h11_dma_avail);
	tcase_add_test(tv, test_vfio_h14_mappings_need_a_domain);
	tcase_add_test(tv, test_vfio_mdev_on_iommufd);
	suite_add_tcase(s, tv);
	return unit_run(s);
}
