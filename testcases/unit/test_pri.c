/* SPDX-License-Identifier: MIT */
/*
 * Page requests (spec §F): the hardware's side (model/iommu/hw_pri.c: the
 * function's PRI state, the page request queue, overflow, responses) and
 * the kernel's (model/iommu/io_pgfault.c: partial groups, the handler by
 * device and PASID, auto Invalid, stop markers, partials dropped on
 * overflow), and §H22 for a response no group waits for.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/cpu_pgtable.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/invariants.h"
#include "model/iommu/io_pgfault.h"
#include "model/iommu/sva.h"

#include "pci_fixture.h"

#define PRQ 4                  /* a small queue, to fill */

static struct sim_world *w;
static struct pci_dev *A;
static uint16_t rid;

static void setup(void)
{
	struct pci_dev_spec topo[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), .ats = true, .pri = true,
		    .pasid_width = 8),
	};
	struct iommu_hw_config hw = {
		.kind = IOMMU_HW_VTD, .iotlb_entries = IOMMU_HW_DEFAULT_IOTLB,
		.atc_entries = IOMMU_HW_DEFAULT_ATC, .fault_queue_len = IOMMU_HW_DEFAULT_FAULTQ,
		.pasid_bits = 10, .prq_entries = PRQ, .check = true,
	};
	struct iommu_profile prof = { .address_width = 48, .paging_stage = 1 };
	struct pci_build_error err = { 0 };

	w = sim_world_create(5);
	ck_assert_msg(pci_topology_create(w, topo, N(topo), &err) == 0, "%s", err.msg);
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_LEGACY), 0);
	ck_assert_int_eq(iommu_hw_create(w, &hw), 0);
	ck_assert_int_eq(iommu_domains_init(w, &prof), 0);
	sim_world_set_mmu(w, SIM_MMU_X86_64_4L);
	A = pci_dev_find(w, B("01:00.0"));
	rid = (uint16_t)A->sbdf;
}

static void teardown(void)
{
	sim_world_destroy(w);
}

static struct iommu_page_req req(uint16_t prgi, bool last, uint64_t addr)
{
	return (struct iommu_page_req){ .rid = rid, .pasid_valid = true, .pasid = 1,
					.addr = addr, .read = true, .prgi = prgi, .last = last };
}

static unsigned outstanding(void)
{
	struct iommu_pri_state s;

	ck_assert_int_eq(iommu_hw_pri_state(w, 0, rid, &s), 0);
	return s.outstanding;
}

/* The function's side: nothing before pci_enable_pri, the PRGI's bits,
 * the allocation, one last request per waiting group. */
START_TEST(test_function_rules)
{
	struct iommu_page_req r = req(3, true, 0x1000);

	ck_assert_int_eq(iommu_hw_page_request(w, &r), -EPERM);
	ck_assert_int_eq(iommu_hw_pri_enable(w, 0, rid, 0), -EINVAL);
	iommu_hw_set_prq_handler(w, NULL, NULL);       /* nothing drains the queue */
	ck_assert_int_eq(iommu_hw_pri_enable(w, 0, rid, 2), 0);
	r.prgi = 512;
	ck_assert_int_eq(iommu_hw_page_request(w, &r), -EINVAL);
	r.prgi = 3;
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), -EBUSY);   /* group 3 waits */
	r.prgi = 4;
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	r.prgi = 5;
	ck_assert_int_eq(iommu_hw_page_request(w, &r), -EBUSY);   /* allocation 2 */
	ck_assert_uint_eq(outstanding(), 2);
	/* Response Failure: the function disables PRI; enabling clears it */
	ck_assert_int_eq(iommu_hw_page_response(w, 0, rid, true, 1, 3, 0x7), -EINVAL);
	ck_assert_int_eq(iommu_hw_page_response(w, 0, rid, true, 1, 3,
						IOMMU_PAGE_RESP_FAILURE), 0);
	{
		struct iommu_pri_state s;

		ck_assert_int_eq(iommu_hw_pri_state(w, 0, rid, &s), 0);
		ck_assert(s.failed && !s.enabled);
	}
	ck_assert_int_eq(iommu_hw_page_request(w, &r), -EPERM);
	/* enabling again clears Response Failure (group 4 is forgotten) */
	ck_assert_int_eq(iommu_hw_pri_enable(w, 0, rid, 2), 0);
	ck_assert_uint_eq(outstanding(), 0);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	ck_assert_int_eq(iommu_hw_pri_enable(w, 0, rid, 4), 0);   /* enabled: no change */
	ck_assert_uint_eq(outstanding(), 1);
	iommu_hw_pri_disable(w, 0, rid);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), -EPERM);
}
END_TEST

/* The queue: arrival order, overflow (dropped, a last request answered
 * Success by the IOMMU, the bit set until cleared). */
START_TEST(test_queue_overflow)
{
	struct iommu_page_req r, out;
	struct iommu_pri_stats st;

	iommu_hw_set_prq_handler(w, NULL, NULL);
	ck_assert_int_eq(iommu_hw_pri_enable(w, 0, rid, 32), 0);
	for (uint16_t i = 0; i < PRQ; i++) {
		r = req(i, true, 0x1000 * (i + 1));
		ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	}
	ck_assert(!iommu_hw_prq_overflow(w, false));
	r = req(9, true, 0x9000);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), -ENOSPC);
	ck_assert(iommu_hw_prq_overflow(w, false));
	ck_assert_uint_eq(outstanding(), PRQ);            /* group 9 was answered */
	iommu_hw_pri_stats(w, &st);
	ck_assert_uint_eq(st.auto_responses, 1);
	ck_assert_uint_eq(st.overflows, 1);
	ck_assert_uint_eq(st.queued, PRQ);
	for (uint16_t i = 0; i < PRQ; i++) {
		ck_assert_int_eq(iommu_hw_prq_pop(w, &out), 0);
		ck_assert_uint_eq(out.prgi, i);
	}
	ck_assert_int_eq(iommu_hw_prq_pop(w, &out), -ENOENT);
	ck_assert(iommu_hw_prq_overflow(w, true));
	ck_assert(!iommu_hw_prq_overflow(w, false));
}
END_TEST

/* The kernel: a group is assembled at its last page; no domain answers
 * Invalid at once; stop markers are discarded; a response nothing waits
 * for is §H22. */
START_TEST(test_kernel_groups)
{
	struct iommu_page_req r;
	struct iopf_stats st;
	GString *out = g_string_new(NULL);

	ck_assert_int_eq(iommu_hw_pri_enable(w, 0, rid, 32), 0);
	r = req(7, false, 0x1000);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	r = req(7, false, 0x2000);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	iommu_iopf_stats(w, &st);
	ck_assert_uint_eq(st.groups, 0);                 /* partial: waiting */
	r = req(7, true, 0x3000);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	iommu_iopf_stats(w, &st);
	ck_assert_uint_eq(st.groups, 1);
	ck_assert_uint_eq(st.auto_invalid, 1);           /* PASID 1 has no domain */
	ck_assert_uint_eq(outstanding(), 0);
	r = (struct iommu_page_req){ .rid = rid, .prgi = 8, .last = true, .stop = true };
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	iommu_iopf_stats(w, &st);
	ck_assert_uint_eq(st.stop_markers, 1);
	ck_assert_uint_eq(st.groups, 1);
	ck_assert_int_eq(iommu_check_invariants(w, out), 0);
	/* a second answer to group 7 */
	ck_assert_int_eq(iommu_hw_page_response(w, 0, rid, true, 1, 7, IOMMU_PAGE_RESP_SUCCESS),
			 0);
	ck_assert_int_eq(iommu_check_invariants(w, out), 1);
	ck_assert_str_eq(out->str, "§H22: a page response (code 0) to 01:00.0 prgi 7 pasid 1, "
			 "which has no such group waiting\n");
	g_string_free(out, TRUE);
}
END_TEST

/* Overflow drops the partial requests the kernel holds. */
START_TEST(test_overflow_discards_partials)
{
	struct iommu_page_req r;
	struct iopf_stats st;

	ck_assert_int_eq(iommu_hw_pri_enable(w, 0, rid, 32), 0);
	r = req(1, false, 0x1000);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);   /* drained into partials */
	iommu_hw_set_prq_handler(w, NULL, NULL);
	for (uint16_t i = 0; i < PRQ; i++) {
		r = req(10 + i, true, 0x1000);
		ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	}
	r = req(1, true, 0x2000);           /* the group's last: lost, answered Success */
	ck_assert_int_eq(iommu_hw_page_request(w, &r), -ENOSPC);
	iommu_iopf_init(w);                 /* the kernel's handler again, its state kept */
	r = (struct iommu_page_req){ .rid = rid, .prgi = 20, .last = true, .stop = true };
	ck_assert_int_eq(iommu_hw_page_request(w, &r), -ENOSPC);   /* still full: runs */
	iommu_iopf_stats(w, &st);
	ck_assert_uint_eq(st.groups, PRQ);               /* the queued groups, answered */
	ck_assert_uint_eq(st.partial_discarded, 1);      /* group 1's first page */
	ck_assert(!iommu_hw_prq_overflow(w, false));
	ck_assert_uint_eq(outstanding(), 0);
}
END_TEST

/* The SVA handler: a bound process's page made on demand, and every
 * reason it answers Invalid. */
START_TEST(test_sva_handler)
{
	struct sim_cred c = { .uid = 1000, .gid = 1000 };
	struct sim_proc *p = sim_proc_find(w, sim_proc_create(w, 1, "app", &c, 0));
	struct iommu_sva *h;
	struct iopf_stats st;
	struct iommu_page_req r;
	uint64_t va, ro;
	int err;

	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, 0x2000, SIM_PROT_READ | SIM_PROT_WRITE,
				     SIM_MAP_PRIVATE | SIM_MAP_ANONYMOUS, NULL, 0, "a", &va), 0);
	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, 0x1000, SIM_PROT_READ,
				     SIM_MAP_PRIVATE | SIM_MAP_ANONYMOUS, NULL, 0, "ro", &ro), 0);
	ck_assert_int_eq(iommu_sva_enable(A), 0);            /* enables PRI too */
	h = iommu_sva_bind_device(A, p->mm, &err);
	ck_assert_ptr_nonnull(h);
	r = req(1, true, va);
	r.write = true;
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	ck_assert(sim_mm_lookup(p->mm, va, NULL, NULL));     /* made by the handler */
	iommu_iopf_stats(w, &st);
	ck_assert_uint_eq(st.handled, 1);
	/* a group: the first page that fails ends it (the second is never
	 * made) */
	r = req(2, false, ro);
	r.write = true;
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	r = req(2, true, va + 0x1000);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	ck_assert(!sim_mm_lookup(p->mm, va + 0x1000, NULL, NULL));
	/* no VMA; no PASID */
	r = req(3, true, 0x7f0000000000ull);
	ck_assert_int_eq(iommu_hw_page_request(w, &r), 0);
	ck_assert_uint_eq(outstanding(), 0);
	iommu_sva_unbind_device(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pri");
	TCase *tc = tcase_create("pri");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_function_rules);
	tcase_add_test(tc, test_queue_overflow);
	tcase_add_test(tc, test_kernel_groups);
	tcase_add_test(tc, test_overflow_discards_partials);
	tcase_add_test(tc, test_sva_handler);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
