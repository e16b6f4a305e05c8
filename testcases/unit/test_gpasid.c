/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/gpasid: the 2020 guest PASID bind, IOMMU side (seed 002,
 * docs/nesting.md).  Each branch of the v5.8 kernel's functions, in order:
 *  - iommu_domain_alloc_nesting per kind and per kernel (the NESTING
 *    type's domain: DOMAIN_ATTR_NESTING in 2020, iommu_enable_nesting
 *    later);
 *  - iommu_sva_bind_gpasid (intel_svm_bind_gpasid, intel_pasid_setup_nested,
 *    intel_pasid_setup_bind_data): every errno, then the nested PASID entry
 *    the hardware reads back, EBUSY for a second bind;
 *  - iommu_sva_unbind_gpasid (intel_svm_unbind_gpasid): ENOENT, EINVAL for
 *    no bind and for another device, then the entry gone;
 *  - iommu_cache_invalidate (intel_iommu_sva_invalidate): version, a
 *    parent not nesting, ERANGE, the silent success of a pair outside the
 *    table, and the flush itself (the PASID's IOTLB entries gone);
 *  - other kinds: ENODEV;
 *  - a fail-nth sweep of the bind: nothing left behind.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/cpu_pgtable.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"
#include "iommusim/uapi/vfio_nesting.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/gpasid.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/invariants.h"

#include "pci_fixture.h"

#define PG SIM_PAGE_SIZE

static struct sim_world *w;
/* A and C: 20-bit PASIDs (C with ATS); B: an 8-bit PASID */
static struct pci_dev *A, *Bd, *C;
static struct iommu_domain *parent;
static int owner_token;

static void boot(enum iommu_hw_kind kind, bool no_nesting)
{
	struct pci_dev_spec topo[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), .pasid_width = 20),
		DEV("00:02.0", ROOT_PORT, ACS),
		DEV("02:00.0", ENDPOINT, PARENT("00:02.0"), .pasid_width = 8),
		DEV("00:03.0", ROOT_PORT, ACS),
		DEV("03:00.0", ENDPOINT, PARENT("00:03.0"), .ats = true, .pasid_width = 20),
	};
	struct iommu_hw_config hw;
	struct iommu_profile prof = { .address_width = 48 };
	struct pci_build_error err = { 0 };

	iommu_hw_config_default(&hw);
	hw.kind = kind;
	hw.pasid_bits = 20;
	hw.no_nesting = no_nesting;
	hw.check = true;
	w = sim_world_create(3);
	ck_assert_msg(pci_topology_create(w, topo, N(topo), &err) == 0, "%s", err.msg);
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_LEGACY), 0);
	ck_assert_int_eq(iommu_hw_create(w, &hw), 0);
	ck_assert_int_eq(iommu_domains_init(w, &prof), 0);
	A = pci_dev_find(w, B("01:00.0"));
	Bd = pci_dev_find(w, B("02:00.0"));
	C = pci_dev_find(w, B("03:00.0"));
	ck_assert(A && Bd && C);
}

/* The NESTING container's domain on every group, guest RAM [0, 2M) mapped
 * (the parent's max_addr), host PASIDs 1..3 allocated. */
static void nest_all(void)
{
	uint32_t pasid;

	ck_assert_int_eq(iommu_domain_alloc_nesting(w, true, &parent), 0);
	ck_assert_int_eq(iommu_group_claim_dma_owner(A->group, &owner_token), 0);
	ck_assert_int_eq(iommu_group_claim_dma_owner(Bd->group, &owner_token), 0);
	ck_assert_int_eq(iommu_group_claim_dma_owner(C->group, &owner_token), 0);
	ck_assert_int_eq(iommu_attach_group(parent, A->group), 0);
	ck_assert_int_eq(iommu_attach_group(parent, Bd->group), 0);
	ck_assert_int_eq(iommu_attach_group(parent, C->group), 0);
	ck_assert_int_eq(iommu_map(parent, 0, SIM_MEM_BASE, 2 * 1024 * 1024,
				   IOMMU_READ | IOMMU_WRITE), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(iommu_alloc_global_pasid_range(w, 1, 100, &owner_token, &pasid), 0);
		ck_assert_uint_eq(pasid, (uint32_t)i + 1);
	}
}

static void setup(void)
{
	boot(IOMMU_HW_VTD, false);
	nest_all();
}

/* The test's own domain goes as its owner would free it: the groups
 * detached first, its nested domains with it. */
static void teardown(void)
{
	if (parent) {
		struct pci_dev *devs[] = { A, Bd, C };

		for (size_t i = 0; i < N(devs); i++)
			iommu_detach_group(parent, devs[i]->group);
		iommu_domain_free(parent);
	}
	sim_world_destroy(w);
	w = NULL;
	parent = NULL;
}

static int violations(void)
{
	GString *out = g_string_new(NULL);
	int n = iommu_check_invariants(w, out);

	if (n)
		fprintf(stderr, "%s", out->str);
	g_string_free(out, TRUE);
	return n;
}

static struct iommu_gpasid_bind_data good(uint64_t hpasid)
{
	struct iommu_gpasid_bind_data d;

	memset(&d, 0, sizeof(d));
	d.version = IOMMU_UAPI_VERSION;
	d.format = IOMMU_PASID_FORMAT_INTEL_VTD;
	d.gpgd = 0x1f0000;
	d.hpasid = hpasid;
	d.addr_width = 48;
	return d;
}

static struct iommu_context entry(struct pci_dev *dev, uint32_t pasid)
{
	struct iommu_context c;

	memset(&c, 0, sizeof(c));
	if (iommu_hw_get_pasid(w, PCI_SBDF_DOMAIN(dev->sbdf), (uint16_t)(dev->sbdf & 0xffff),
			       pasid, &c))
		c.type = IOMMU_CTX_BLOCKED;
	return c;
}

/* The nesting domain per kind: 2020's VT-d needs ECAP.NEST (ENODEV), the
 * later VT-d drivers have no enable_nesting op (EINVAL); SMMUv3 a stage-2
 * domain either way; RISC-V EINVAL. */
START_TEST(test_alloc_nesting)
{
	struct iommu_domain *d;

	ck_assert_int_eq(iommu_domain_alloc_nesting(w, false, &d), -EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(iommu_domain_alloc_nesting(w, true, &d), 0);
	ck_assert(d->type == IOMMU_DOMAIN_PAGING && d->stage == 2 && d->nest_parent);
	iommu_domain_free(d);
	teardown();
	boot(IOMMU_HW_VTD, true);
	ck_assert_int_eq(iommu_domain_alloc_nesting(w, true, &d), -ENODEV);
	teardown();
	boot(IOMMU_HW_SMMUV3, false);
	ck_assert_int_eq(iommu_domain_alloc_nesting(w, false, &d), 0);
	ck_assert(d->stage == 2 && d->nest_parent);
	iommu_domain_free(d);
	teardown();
	boot(IOMMU_HW_RISCV, false);
	ck_assert_int_eq(iommu_domain_alloc_nesting(w, true, &d), -EINVAL);
}
END_TEST

/* intel_svm_bind_gpasid and intel_pasid_setup_nested, check by check. */
START_TEST(test_bind_checks)
{
	struct iommu_gpasid_bind_data d;
	struct iommu_domain *plain;
	struct iommu_context c;

	d = good(1);
	d.version = 2;
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	d = good(1);
	d.format = 2;
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	d = good(1);
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, Bd, &d), -EINVAL);   /* 8-bit PASID */
	d = good(0);
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	d = good(1u << 20);
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	d = good(50);                                                      /* never allocated */
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -ENOENT);
	d = good(1);
	d.addr_width = 39;
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	d.addr_width = 57;                                                 /* a 4-level CPU */
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	d = good(1);
	d.gpgd = 0x10000000;                                               /* above max_addr */
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	d = good(1);
	d.vendor.vtd.flags = IOMMU_SVA_VTD_GPASID_SRE;
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	d.vendor.vtd.flags = IOMMU_SVA_VTD_GPASID_EAFE;
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	d.vendor.vtd.flags = IOMMU_SVA_VTD_GPASID_PWT;
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EINVAL);
	/* a parent that is not nesting: a stage-1 paging domain */
	plain = iommu_domain_alloc_paging(w, 1, false);
	d = good(1);
	ck_assert_int_eq(iommu_sva_bind_gpasid(plain, A, &d), -EINVAL);
	iommu_domain_free(plain);
	/* nothing of that stayed */
	ck_assert_ptr_null(iommu_device_pasid_domain(A, 1));
	ck_assert_int_eq(iommu_pasid_gpasid_binds(w, 1), 0);
	/* the bind: a nested entry, stage 1 at the GPA over the parent */
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), 0);
	c = entry(A, 1);
	ck_assert_int_eq(c.type, IOMMU_CTX_NESTED);
	ck_assert_uint_eq(c.s1_root, 0x1f0000);
	ck_assert_uint_eq(c.s2_root, parent->pt.root);
	ck_assert_ptr_nonnull(iommu_gpasid_domain(A, 1));
	ck_assert_int_eq(iommu_pasid_gpasid_binds(w, 1), 1);
	/* again on the same device: EBUSY; on another: its own entry */
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -EBUSY);
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, C, &d), 0);
	ck_assert_int_eq(iommu_pasid_gpasid_binds(w, 1), 2);
	ck_assert_int_eq(violations(), 0);
}
END_TEST

/* 57 bits with a 5-level CPU and five guest levels */
START_TEST(test_bind_la57)
{
	struct iommu_gpasid_bind_data d = good(2);

	sim_world_set_mmu(w, SIM_MMU_X86_64_5L);
	d.addr_width = 57;
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), 0);
	ck_assert_uint_eq(iommu_gpasid_domain(A, 2)->s1_levels, 5);
}
END_TEST

/* intel_svm_unbind_gpasid */
START_TEST(test_unbind)
{
	struct iommu_gpasid_bind_data d = good(1);

	ck_assert_int_eq(iommu_sva_unbind_gpasid(parent, A, 50), -ENOENT);
	ck_assert_int_eq(iommu_sva_unbind_gpasid(parent, A, 1), -EINVAL);   /* no svm */
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), 0);
	ck_assert_int_eq(iommu_sva_unbind_gpasid(parent, C, 1), -EINVAL);   /* not on C */
	ck_assert_int_eq(iommu_sva_unbind_gpasid(parent, A, 1), 0);
	ck_assert_int_eq(entry(A, 1).type, IOMMU_CTX_BLOCKED);
	ck_assert_ptr_null(iommu_device_pasid_domain(A, 1));
	ck_assert_int_eq(iommu_sva_unbind_gpasid(parent, A, 1), -EINVAL);
	/* the driver's teardown (a detach freeing the PASID table) */
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), 0);
	iommu_gpasid_teardown(A, 1);
	ck_assert_ptr_null(iommu_device_pasid_domain(A, 1));
	ck_assert_int_eq(violations(), 0);
}
END_TEST

static int count_tagged(const struct iommu_cache_entry *e, void *arg)
{
	unsigned *n = arg;

	*n += e->pasid == 1;
	return 0;
}

static unsigned iotlb_pasid1(void)
{
	unsigned n = 0;

	iommu_hw_iotlb_for_each(w, count_tagged, &n);
	return n;
}

/* A guest table at GPA 0x1f0000 (HPA SIM_MEM_BASE + 0x1f0000 under the
 * parent's identity-offset mapping) mapping GVA 0x40000000 -> GPA 0x10000. */
static void guest_table(void)
{
	const uint64_t base = SIM_MEM_BASE;
	uint64_t e;

	e = 0x1f1000 | 0x27;
	sim_mem_write(w, base + 0x1f0000 + 8 * ((0x40000000ull >> 39) & 511), &e, 8);
	e = 0x1f2000 | 0x27;
	sim_mem_write(w, base + 0x1f1000 + 8 * ((0x40000000ull >> 30) & 511), &e, 8);
	e = 0x1f3000 | 0x27;
	sim_mem_write(w, base + 0x1f2000 + 8 * ((0x40000000ull >> 21) & 511), &e, 8);
	e = 0x10000 | 0x67;
	sim_mem_write(w, base + 0x1f3000, &e, 8);
}

/* intel_iommu_sva_invalidate */
START_TEST(test_cache_invalidate)
{
	struct iommu_gpasid_bind_data d = good(1);
	struct iommu_cache_invalidate_info inv;
	struct iommu_domain *plain;
	struct iommu_xlate x;

	guest_table();
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, (uint16_t)(A->sbdf & 0xffff), true, 1,
					    0x40000000, false, &x), 0);
	ck_assert_uint_gt(iotlb_pasid1(), 0);
	memset(&inv, 0, sizeof(inv));
	inv.version = 2;
	ck_assert_int_eq(iommu_cache_invalidate(parent, A, &inv), -EINVAL);
	inv.version = IOMMU_UAPI_VERSION;
	plain = iommu_domain_alloc_paging(w, 1, false);
	ck_assert_int_eq(iommu_cache_invalidate(plain, A, &inv), -EINVAL);
	iommu_domain_free(plain);
	/* a pair outside the table (IOTLB at domain granularity): 0, and
	 * nothing flushed */
	inv.cache = IOMMU_CACHE_INV_TYPE_IOTLB;
	inv.granularity = IOMMU_INV_GRANU_DOMAIN;
	ck_assert_int_eq(iommu_cache_invalidate(parent, A, &inv), 0);
	ck_assert_uint_gt(iotlb_pasid1(), 0);
	/* an address not aligned to its range: ERANGE */
	inv.granularity = IOMMU_INV_GRANU_ADDR;
	inv.addr_info.flags = IOMMU_INV_ADDR_FLAGS_PASID;
	inv.addr_info.pasid = 1;
	inv.addr_info.addr = 0x40001000;
	inv.addr_info.granule_size = PG;
	inv.addr_info.nb_granules = 2;
	ck_assert_int_eq(iommu_cache_invalidate(parent, A, &inv), -ERANGE);
	/* the page: gone */
	inv.addr_info.addr = 0x40000000;
	inv.addr_info.nb_granules = 1;
	ck_assert_int_eq(iommu_cache_invalidate(parent, A, &inv), 0);
	ck_assert_uint_eq(iotlb_pasid1(), 0);
	/* PASID granularity, the whole PASID */
	ck_assert_int_eq(iommu_hw_translate(w, 0, (uint16_t)(A->sbdf & 0xffff), true, 1,
					    0x40000000, false, &x), 0);
	memset(&inv.addr_info, 0, sizeof(inv.addr_info));
	inv.granularity = IOMMU_INV_GRANU_PASID;
	inv.pasid_info.flags = IOMMU_INV_PASID_FLAGS_PASID;
	inv.pasid_info.pasid = 1;
	ck_assert_int_eq(iommu_cache_invalidate(parent, A, &inv), 0);
	ck_assert_uint_eq(iotlb_pasid1(), 0);
	ck_assert_int_eq(violations(), 0);
}
END_TEST

/* SMMUv3 and RISC-V drivers of 2020 had no gpasid ops: ENODEV. */
START_TEST(test_other_kinds_enodev)
{
	struct iommu_gpasid_bind_data d = good(1);
	struct iommu_cache_invalidate_info inv = { .version = IOMMU_UAPI_VERSION };

	teardown();
	boot(IOMMU_HW_SMMUV3, false);
	nest_all();
	ck_assert_int_eq(iommu_sva_bind_gpasid(parent, A, &d), -ENODEV);
	ck_assert_int_eq(iommu_sva_unbind_gpasid(parent, A, 1), -ENODEV);
	ck_assert_int_eq(iommu_cache_invalidate(parent, A, &inv), -ENODEV);
}
END_TEST

START_TEST(test_fail_nth_bind)
{
	struct iommu_gpasid_bind_data d = good(1);

	for (unsigned long nth = 1;; nth++) {
		struct sim_mem_stats st0, st1;
		unsigned long inj = sim_fault_injected(w);
		int ret;

		sim_mem_stats(w, &st0);
		sim_fault_fail_nth(w, "*", nth);
		ret = iommu_sva_bind_gpasid(parent, A, &d);
		sim_fault_fail_nth(w, NULL, 0);
		if (sim_fault_injected(w) == inj) {
			ck_assert_int_eq(ret, 0);
			ck_assert_uint_ge(nth, 2);
			break;
		}
		ck_assert_int_eq(ret, -ENOMEM);
		ck_assert_ptr_null(iommu_device_pasid_domain(A, 1));
		sim_mem_stats(w, &st1);
		ck_assert_uint_eq(st1.frames[SIM_FRAME_PGTABLE], st0.frames[SIM_FRAME_PGTABLE]);
		ck_assert_uint_eq(st1.frames[SIM_FRAME_KERNEL], st0.frames[SIM_FRAME_KERNEL]);
		ck_assert_int_eq(violations(), 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gpasid");
	TCase *tc = tcase_create("gpasid");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alloc_nesting);
	tcase_add_test(tc, test_bind_checks);
	tcase_add_test(tc, test_bind_la57);
	tcase_add_test(tc, test_unbind);
	tcase_add_test(tc, test_cache_invalidate);
	tcase_add_test(tc, test_other_kinds_enodev);
	tcase_add_test(tc, test_fail_nth_bind);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
