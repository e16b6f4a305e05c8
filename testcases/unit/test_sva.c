/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/sva: mainline SVA (iommu-sva.c, spec §D).
 *  - iommu_sva_bind_device's order of checks and errors (ENODEV, EINVAL
 *    for a multi-device group, EOVERFLOW, ENOSPC, EBUSY), each leaving the
 *    attach table as it was; the driver's enable-feature checks per kind.
 *  - One PASID per mm, the same on every device, kept until the mm is
 *    freed; rebinding a pair takes a reference on the same bond.
 *  - The SVA domain's stage 1 is the mm's CPU page table: a DMA lands in
 *    the process's page; the mm's notifier flushes on munmap (and the
 *    injected skip-mm-invalidate leaves a stale entry the checker names);
 *    the mm's exit blocks the PASID, which stays reserved while bonds do.
 *  - §H20, §H21, §H25 each provoked behind the kernel's back.
 *  - A fail-nth sweep of the bind.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/cpu_pgtable.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/invariants.h"
#include "model/iommu/sva.h"

#include "pci_fixture.h"

#define PG SIM_PAGE_SIZE
#define RWP (SIM_PROT_READ | SIM_PROT_WRITE)

static struct sim_world *w;
/* A ATS + 8-bit PASID; B 20-bit PASID, no ATS; C no PASID; D ATS + a
 * 1-bit PASID (PASID 1 only); E, F two functions of one group (no ACS) */
static struct pci_dev *A, *Bd, *C, *D, *E;

static void boot(enum iommu_hw_kind kind, unsigned bugs)
{
	struct pci_dev_spec topo[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), .ats = true, .pasid_width = 8),
		DEV("00:02.0", ROOT_PORT, ACS),
		DEV("02:00.0", ENDPOINT, PARENT("00:02.0"), .pasid_width = 20),
		DEV("00:03.0", ROOT_PORT, ACS),
		DEV("03:00.0", ENDPOINT, PARENT("00:03.0")),
		DEV("00:04.0", ROOT_PORT, ACS),
		DEV("04:00.0", ENDPOINT, PARENT("00:04.0"), .ats = true, .pasid_width = 1),
		DEV("00:05.0", ROOT_PORT, ACS),
		DEV("05:00.0", ENDPOINT, PARENT("00:05.0"), MF, .ats = true, .pasid_width = 8),
		DEV("05:00.1", ENDPOINT, PARENT("00:05.0"), MF, .ats = true, .pasid_width = 8),
	};
	struct iommu_hw_config hw = {
		.kind = kind,
		.iotlb_entries = IOMMU_HW_DEFAULT_IOTLB,
		.atc_entries = IOMMU_HW_DEFAULT_ATC,
		.fault_queue_len = IOMMU_HW_DEFAULT_FAULTQ,
		.pasid_bits = 10,
		.check = true,
	};
	struct iommu_profile prof = { .address_width = 48, .paging_stage = 1, .bugs = bugs };
	struct pci_build_error err = { 0 };

	w = sim_world_create(3);
	ck_assert_msg(pci_topology_create(w, topo, N(topo), &err) == 0, "%s", err.msg);
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_LEGACY), 0);
	ck_assert_int_eq(iommu_hw_create(w, &hw), 0);
	ck_assert_int_eq(iommu_domains_init(w, &prof), 0);
	sim_world_set_mmu(w, kind == IOMMU_HW_SMMUV3 ? SIM_MMU_ARM64_4K : SIM_MMU_X86_64_4L);
	A = pci_dev_find(w, B("01:00.0"));
	Bd = pci_dev_find(w, B("02:00.0"));
	C = pci_dev_find(w, B("03:00.0"));
	D = pci_dev_find(w, B("04:00.0"));
	E = pci_dev_find(w, B("05:00.0"));
	ck_assert(A && Bd && C && D && E);
	ck_assert_uint_eq(E->group->ndevices, 2);
}

static void setup(void)
{
	boot(IOMMU_HW_VTD, 0);
}

static void teardown(void)
{
	sim_world_destroy(w);
	w = NULL;
}

static struct sim_proc *spawn(const char *name)
{
	struct sim_cred c = { .uid = 1000, .gid = 1000 };

	return sim_proc_find(w, sim_proc_create(w, 1, name, &c, 0));
}

static int dma(struct pci_dev *dev, uint32_t pasid, uint64_t va, bool write, void *buf,
	       size_t len)
{
	struct sim_dma op = { .addr = va, .pasid = pasid, .pasid_valid = true, .write = write,
			      .buf = buf, .len = len };
	char bdf[PCI_SBDF_STRLEN];

	return sim_dev_dma(w, pci_sbdf_format(dev->sbdf, bdf), &op);
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

/* The bond, its PASID, rebinding, two devices sharing the PASID, the DMA
 * through the process's own page table, and the PASID's life. */
START_TEST(test_bind_and_pasid_life)
{
	struct sim_proc *p = spawn("app");
	struct sim_mm *mm = p->mm;
	struct iommu_sva *h, *h2, *hb;
	struct iommu_context ctx;
	uint64_t va, root;
	char data[8] = "devwrote", back[8];
	int err;

	ck_assert_int_eq(sim_mm_mmap(mm, 0, 2 * PG, RWP, SIM_MAP_PRIVATE | SIM_MAP_ANONYMOUS,
				     NULL, 0, "buf", &va), 0);
	ck_assert_int_eq(sim_mm_touch(mm, va, PG, true), 0);
	ck_assert_int_eq(iommu_sva_enable(A), 0);
	h = iommu_sva_bind_device(A, mm, &err);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(iommu_sva_get_pasid(h), 1);
	ck_assert_uint_eq(iommu_mm_pasid(mm), 1);
	ck_assert_int_eq(h->domain->type, IOMMU_DOMAIN_SVA);
	/* the PASID entry's stage 1 is the CPU's page table */
	ck_assert_int_eq(sim_mm_pgd(mm, &root), 0);
	ck_assert_int_eq(iommu_hw_get_pasid(w, 0, (uint16_t)A->sbdf, 1, &ctx), 0);
	ck_assert_int_eq(ctx.type, IOMMU_CTX_S1);
	ck_assert_uint_eq(ctx.s1_root, root);
	ck_assert_int_eq(dma(A, 1, va + 8, true, data, 8), 0);
	ck_assert_int_eq(sim_mm_copy_from(mm, back, va + 8, 8), 0);
	ck_assert_int_eq(memcmp(back, data, 8), 0);
	/* an untouched page has no PTE: the walk faults */
	ck_assert_int_eq(dma(A, 1, va + PG, false, back, 8), -EFAULT);
	/* the same pair again: the same bond, one more reference */
	h2 = iommu_sva_bind_device(A, mm, &err);
	ck_assert_ptr_eq(h2, h);
	ck_assert_uint_eq(h->users, 2);
	/* another device: the same PASID and the same domain */
	hb = iommu_sva_bind_device(Bd, mm, &err);
	ck_assert_ptr_nonnull(hb);
	ck_assert_uint_eq(iommu_sva_get_pasid(hb), 1);
	ck_assert_ptr_eq(hb->domain, h->domain);
	ck_assert_uint_eq(h->domain->sva_users, 2);
	ck_assert_int_eq(violations(), 0);
	iommu_sva_unbind_device(hb);
	iommu_sva_unbind_device(h);
	ck_assert_ptr_eq(iommu_device_pasid_domain(A, 1), h->domain);   /* one left */
	iommu_sva_unbind_device(h);
	ck_assert_ptr_null(iommu_device_pasid_domain(A, 1));
	/* the PASID is the mm's until the mm is freed */
	ck_assert_uint_eq(iommu_mm_pasid(mm), 1);
	ck_assert_ptr_nonnull(iommu_global_pasid_owner(w, 1));
	sim_proc_exit(w, p->pid);
	ck_assert_ptr_null(iommu_global_pasid_owner(w, 1));
	ck_assert_int_eq(violations(), 0);
}
END_TEST

/* iommu_sva_bind_device's errors in order, each leaving nothing attached. */
START_TEST(test_bind_errors)
{
	struct sim_proc *p = spawn("p"), *q = spawn("q"), *r = spawn("r");
	struct iommu_domain *paging;
	struct iommu_sva *h;
	uint32_t pasid;
	int err, owner;

	/* a group of two devices: before the PASID is allocated */
	ck_assert_ptr_null(iommu_sva_bind_device(E, p->mm, &err));
	ck_assert_int_eq(err, -EINVAL);
	ck_assert_uint_eq(iommu_mm_pasid(p->mm), IOMMU_PASID_INVALID);
	/* no PASID capability: a new mm finds no PASID (max_pasids 0) */
	ck_assert_ptr_null(iommu_sva_bind_device(C, p->mm, &err));
	ck_assert_int_eq(err, -ENOSPC);
	ck_assert_uint_eq(iommu_mm_pasid(p->mm), IOMMU_PASID_INVALID);
	/* p gets PASID 1 on A; q gets 2; q's 2 does not fit D's one bit */
	h = iommu_sva_bind_device(A, p->mm, &err);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(iommu_sva_bind_device(A, q->mm, &err));
	ck_assert_uint_eq(iommu_mm_pasid(q->mm), 2);
	ck_assert_ptr_null(iommu_sva_bind_device(D, q->mm, &err));
	ck_assert_int_eq(err, -EOVERFLOW);
	ck_assert_ptr_null(iommu_device_pasid_domain(D, 2));
	/* and an mm with a PASID on a device without one */
	ck_assert_ptr_null(iommu_sva_bind_device(C, p->mm, &err));
	ck_assert_int_eq(err, -EOVERFLOW);
	/* r's first bind on D: its only PASID, 1, is p's */
	ck_assert_ptr_null(iommu_sva_bind_device(D, r->mm, &err));
	ck_assert_int_eq(err, -ENOSPC);
	/* the PASID holds another domain on that device: EBUSY */
	paging = iommu_domain_alloc_paging(w, 1, false);
	ck_assert_int_eq(iommu_alloc_global_pasid(Bd, &owner, &pasid), 0);
	ck_assert_uint_eq(pasid, 3);
	iommu_free_global_pasid(w, pasid);
	ck_assert_ptr_nonnull(iommu_sva_bind_device(A, r->mm, &err));   /* r: PASID 3 */
	ck_assert_uint_eq(iommu_mm_pasid(r->mm), 3);
	ck_assert_int_eq(iommu_attach_device_pasid(paging, Bd, 3), 0);
	ck_assert_ptr_null(iommu_sva_bind_device(Bd, r->mm, &err));
	ck_assert_int_eq(err, -EBUSY);
	ck_assert_ptr_eq(iommu_device_pasid_domain(Bd, 3), paging);
	ck_assert_int_eq(iommu_detach_device_pasid(paging, Bd, 3), 0);
	iommu_domain_free(paging);
	/* behind no IOMMU group */
	ck_assert_ptr_null(iommu_sva_bind_device(NULL, p->mm, &err));
	ck_assert_int_eq(err, -ENODEV);
	ck_assert_int_eq(violations(), 0);
}
END_TEST

/* The driver's enable-feature check, per kind; a CPU format the IOMMU
 * does not walk; RISC-V's driver without SVA. */
START_TEST(test_enable_per_kind)
{
	struct sim_proc *p;
	struct iommu_domain *d;
	int err;

	ck_assert_int_eq(iommu_sva_enable(A), 0);
	ck_assert_int_eq(iommu_sva_enable(Bd), -EINVAL);   /* no ATS */
	ck_assert_int_eq(iommu_sva_enable(C), -EINVAL);    /* no PASID */
	p = spawn("p");
	sim_world_set_mmu(w, SIM_MMU_ARM64_4K);            /* not an x86-64 table */
	ck_assert_int_eq(iommu_domain_alloc_sva(A, p->mm, &d), -EINVAL);
	ck_assert_ptr_null(p->mm->pgd);
	sim_world_set_mmu(w, SIM_MMU_X86_64_5L);           /* VT-d walks 5 levels too */
	ck_assert_int_eq(iommu_domain_alloc_sva(A, p->mm, &d), 0);
	ck_assert_uint_eq(d->pt.levels, 5);
	iommu_domain_free(d);
	teardown();
	boot(IOMMU_HW_SMMUV3, 0);
	ck_assert_int_eq(iommu_sva_enable(Bd), 0);         /* SMMUv3 needs no ATS */
	ck_assert_int_eq(iommu_sva_enable(C), -EINVAL);
	p = spawn("p");
	ck_assert_ptr_nonnull(iommu_sva_bind_device(Bd, p->mm, &err));
	teardown();
	boot(IOMMU_HW_RISCV, 0);
	p = spawn("p");
	ck_assert_int_eq(iommu_sva_enable(A), -ENODEV);
	ck_assert_int_eq(iommu_domain_alloc_sva(A, p->mm, &d), -EOPNOTSUPP);
}
END_TEST

/* The mm's exit blocks the PASID and keeps it; the last unbind frees it. */
START_TEST(test_exit_blocks_pasid)
{
	struct sim_proc *p = spawn("p"), *q;
	struct iommu_context ctx;
	struct iommu_sva *h;
	uint64_t va;
	char b[8];
	int err;

	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, PG, RWP, SIM_MAP_PRIVATE | SIM_MAP_ANONYMOUS,
				     NULL, 0, "buf", &va), 0);
	ck_assert_int_eq(sim_mm_touch(p->mm, va, PG, true), 0);
	h = iommu_sva_bind_device(A, p->mm, &err);
	ck_assert_int_eq(dma(A, 1, va, false, b, 8), 0);
	sim_proc_exit(w, p->pid);
	/* VT-d blocks by leaving the PASID entry not present */
	ck_assert(iommu_hw_get_pasid(w, 0, (uint16_t)A->sbdf, 1, &ctx) == -ENOENT ||
		  ctx.type == IOMMU_CTX_BLOCKED);
	ck_assert_int_eq(dma(A, 1, va, false, b, 8), -EFAULT);
	ck_assert_ptr_nonnull(iommu_global_pasid_owner(w, 1));   /* still reserved */
	ck_assert_int_eq(violations(), 0);
	q = spawn("q");
	ck_assert_ptr_nonnull(iommu_sva_bind_device(Bd, q->mm, &err));
	ck_assert_uint_eq(iommu_mm_pasid(q->mm), 2);
	iommu_sva_unbind_device(h);                /* the domain goes, the mm, the PASID */
	ck_assert_ptr_null(iommu_global_pasid_owner(w, 1));
	ck_assert_int_eq(violations(), 0);
}
END_TEST

/* munmap reaches the IOTLB and the device TLB through the notifier; the
 * injected bug leaves a stale entry the checker names. */
START_TEST(test_notifier_flush)
{
	for (int bug = 0; bug < 2; bug++) {
		struct sim_proc *p;
		struct iommu_sva *h;
		uint64_t va;
		char b[8];
		int err;

		if (bug) {
			teardown();
			boot(IOMMU_HW_VTD, IOMMU_BUG_SKIP_MM_INVALIDATE);
		}
		p = spawn("p");
		ck_assert_int_eq(sim_mm_mmap(p->mm, 0, PG, RWP, SIM_MAP_PRIVATE | SIM_MAP_ANONYMOUS,
					     NULL, 0, "buf", &va), 0);
		ck_assert_int_eq(sim_mm_touch(p->mm, va, PG, true), 0);
		h = iommu_sva_bind_device(A, p->mm, &err);
		ck_assert_ptr_nonnull(h);
		ck_assert_int_eq(dma(A, 1, va, false, b, 8), 0);      /* warms both TLBs */
		ck_assert_int_eq(sim_mm_munmap(p->mm, va, PG), 0);
		ck_assert_int_eq(violations() > 0, bug);
		iommu_sva_unbind_device(h);
	}
}
END_TEST

/* Each of §H20, §H21 and §H25 provoked behind the kernel's back. */
START_TEST(test_invariants_catch)
{
	struct sim_proc *p = spawn("p");
	struct iommu_context s1;
	struct iommu_sva *h;
	GString *out = g_string_new(NULL);
	int err;

	h = iommu_sva_bind_device(A, p->mm, &err);
	ck_assert_int_eq(iommu_hw_get_pasid(w, 0, (uint16_t)A->sbdf, 1, &s1), 0);
	/* §H20: the global space forgets the PASID while the mm holds it */
	iommu_free_global_pasid(w, 1);
	ck_assert_int_eq(iommu_check_invariants(w, out), 1);
	ck_assert(strstr(out->str, "§H20: 0000:01:00.0 pasid 1: an SVA domain whose mm's PASID "
			 "is 1, and the global PASID space gives it to someone else"));
	ck_assert_int_eq(iommu_alloc_global_pasid(A, p->mm->iommu_mm, &(uint32_t){ 0 }), 0);
	/* §H21: after the exit, the entry put back as it was before */
	sim_proc_exit(w, p->pid);
	ck_assert_int_eq(iommu_hw_program_pasid(w, 0, (uint16_t)A->sbdf, 1, &s1, &(unsigned){ 0 }),
			 0);
	g_string_truncate(out, 0);
	ck_assert_int_ge(iommu_check_invariants(w, out), 1);
	ck_assert(strstr(out->str, "§H21: 0000:01:00.0 pasid 1: the mm has exited, yet the PASID "
			 "entry still translates (s1 did "));
	iommu_sva_unbind_device(h);
	/* §H25: a bond on a multi-device group, made behind the check */
	p = spawn("q");
	E->group->ndevices = 1;
	h = iommu_sva_bind_device(E, p->mm, &err);
	ck_assert_ptr_nonnull(h);
	E->group->ndevices = 2;
	g_string_truncate(out, 0);
	ck_assert_int_eq(iommu_check_invariants(w, out), 1);
	ck_assert(strstr(out->str, "§H25: 0000:05:00.0 pasid 1: an SVA bond on group "));
	E->group->ndevices = 1;
	iommu_sva_unbind_device(h);
	E->group->ndevices = 2;
	g_string_free(out, TRUE);
}
END_TEST

/* Every fault-site failure of a first bind: nothing attached, no domain
 * left, the frames as they were (the CPU page table aside: Linux has it
 * always); the PASID, once allocated, is the mm's. */
START_TEST(test_fail_nth_bind)
{
	for (unsigned long nth = 1;; nth++) {
		struct sim_proc *p = spawn("p");
		struct sim_mem_stats st0, st1;
		unsigned long inj = sim_fault_injected(w);
		struct iommu_sva *h;
		int err;

		sim_mem_stats(w, &st0);
		sim_fault_fail_nth(w, "*", nth);
		h = iommu_sva_bind_device(A, p->mm, &err);
		sim_fault_fail_nth(w, NULL, 0);
		if (sim_fault_injected(w) == inj) {
			ck_assert_ptr_nonnull(h);
			ck_assert_uint_ge(nth, 3);
			iommu_sva_unbind_device(h);
			sim_proc_exit(w, p->pid);
			break;
		}
		ck_assert_ptr_null(h);
		ck_assert_int_eq(err, -ENOMEM);
		ck_assert_ptr_null(iommu_device_pasid_domain(A, 1));
		sim_mem_stats(w, &st1);
		ck_assert_uint_eq(st1.frames[SIM_FRAME_PGTABLE], st0.frames[SIM_FRAME_PGTABLE]);
		ck_assert_uint_eq(st1.frames[SIM_FRAME_KERNEL], st0.frames[SIM_FRAME_KERNEL]);
		ck_assert_int_eq(violations(), 0);
		sim_proc_exit(w, p->pid);
		ck_assert_ptr_null(iommu_global_pasid_owner(w, 1));   /* freed with the mm */
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sva");
	TCase *tc = tcase_create("sva");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bind_and_pasid_life);
	tcase_add_test(tc, test_bind_errors);
	tcase_add_test(tc, test_enable_per_kind);
	tcase_add_test(tc, test_exit_blocks_pasid);
	tcase_add_test(tc, test_notifier_flush);
	tcase_add_test(tc, test_invariants_catch);
	tcase_add_test(tc, test_fail_nth_bind);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
