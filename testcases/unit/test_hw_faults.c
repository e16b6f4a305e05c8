/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/hw_fault.c: the fault code each IOMMU kind writes into its
 * fault records, and the public drain of the fault queue.
 *
 * VT-d's codes are its specification's Fault Reason encodings (hw.h).
 * Legacy mode's, for an untagged request through a second-stage-only entry
 * or one that failed before an entry was chosen: 0x01 no root entry, 0x02
 * no context entry (or a blocked one, or no translation entry behind it),
 * 0x03 a malformed entry, 0x04 beyond the address width, 0x05 a write and
 * 0x06 a read that an entry on the walk refuses, a missing leaf and a
 * missing table at any level alike (second-stage entries have no present
 * bit: without R and W an entry is absent).  These are what QEMU's VT-d
 * reports to Linux on the oracle (tools/oracle/progs/edu_dma.c).  Scalable
 * mode's for PASID-tagged requests and first-stage entries (nested ones are
 * in test_hw_nested.c).  The other kinds have no codes yet.  The abstract
 * reason, stage and phase stay what they were.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/mem.h"
#include "sim/world.h"
#include "model/iommu/hw.h"
#include "model/pci/pci.h"
#include "iommusim/iommusim.h"

#define RW (IOMMU_READ | IOMMU_WRITE)
#define RID(bus, slot, fn) PCI_RID(bus, PCI_DEVFN(slot, fn))
#define DEV RID(1, 0, 0)            /* the RID path's device */
#define PDEV RID(1, 1, 0)           /* a device with 8-bit PASIDs */

static struct sim_world *w;
static struct io_pgtable pt;        /* 3 levels, 39 bits, as QEMU's VT-d */

static struct sim_world *kind_world(enum iommu_hw_kind kind, unsigned faultq)
{
	struct sim_world *nw = sim_world_create(11);
	struct iommu_hw_config cfg;

	iommu_hw_config_default(&cfg);
	cfg.kind = kind;
	cfg.fault_queue_len = faultq;
	/* the tests edit entries in memory behind the kernel's back: no
	 * context or PASID cache to keep the old ones */
	cfg.ctx_cache_entries = cfg.pasid_cache_entries = 0;
	ck_assert_int_eq(iommu_hw_create(nw, &cfg), 0);
	return nw;
}

static void ctx_s2(uint16_t seg, uint16_t rid, const struct io_pgtable *t)
{
	struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE, .did = 1, .s2_root = t->root,
				   .s2_levels = t->levels };

	ck_assert_int_eq(iommu_hw_set_context(w, seg, rid, &c), 0);
}

/* The VT-d world: the table's root is the first frame, the root table the
 * next (the context is programmed before the table gets its lower levels). */
static void setup(void)
{
	w = kind_world(IOMMU_HW_VTD, 16);
	ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 3), 0);
	ck_assert_uint_eq(pt.root, SIM_MEM_BASE);
	ctx_s2(0, DEV, &pt);
	ck_assert_int_eq(io_pgtable_map(&pt, 0x1000, 0xa000, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, 0x2000, 0xb000, SZ_4K, IOMMU_READ), 0);
	ck_assert_int_eq(io_pgtable_map(&pt, 0x3000, 0xc000, SZ_4K, IOMMU_WRITE), 0);
}

static void teardown(void)
{
	io_pgtable_destroy(&pt);
	sim_world_destroy(w);
	w = NULL;
}

/* The scalable-mode context entry of @rid on segment 0, from the root
 * table in memory (hw_ctx_vtd.c: the root entry's lower or upper half, 32
 * bytes per entry). */
static uint64_t ctx_entry(uint16_t rid)
{
	uint64_t root = SIM_MEM_BASE + SIM_PAGE_SIZE;
	uint64_t re = sim_mem_read64(w, root + (rid >> 8) * 16 + ((rid & 0x80) ? 8 : 0));

	ck_assert_uint_eq(re & 1, 1);
	return (re & ~0xfffull) + (rid & 0x7f) * 32;
}

/* PASID entry @pasid of @rid (its table must exist). */
static uint64_t pasid_entry(uint16_t rid, uint32_t pasid)
{
	uint64_t pdir = sim_mem_read64(w, ctx_entry(rid)) & ~0xfffull;
	uint64_t de = sim_mem_read64(w, pdir + (pasid / 64) * 8);

	ck_assert_uint_eq(de & 1, 1);
	return (de & ~0xfffull) + (pasid % 64) * 64;
}

/* The fault of one translation: its record's code, after checking that the
 * queue got the same record and what the abstract reason is. */
static unsigned code_of(uint16_t seg, uint16_t rid, bool pv, uint32_t pasid, uint64_t addr,
			bool write, enum iommu_fault_reason reason)
{
	struct iommu_xlate x;
	size_t n = iommu_hw_fault_count(w);
	const struct iommu_fault_rec *f;

	ck_assert_int_eq(iommu_hw_translate(w, seg, rid, pv, pasid, addr, write, &x), -EFAULT);
	ck_assert_int_eq(x.fault.reason, reason);
	ck_assert_uint_eq(iommu_hw_fault_count(w), n + 1);
	f = iommu_hw_fault_at(w, n);
	ck_assert(f->code == x.fault.code && f->addr == addr && f->write == write);
	return x.fault.code;
}

static unsigned code(uint16_t rid, uint64_t addr, bool write, enum iommu_fault_reason reason)
{
	return code_of(0, rid, false, 0, addr, write, reason);
}

static unsigned pcode(uint32_t pasid, uint64_t addr, bool write, enum iommu_fault_reason reason)
{
	return code_of(0, PDEV, true, pasid, addr, write, reason);
}

/* ---- legacy mode: what the oracle's QEMU and Linux say ------------------------------ */

START_TEST(test_vtd_second_stage_codes)
{
	struct iommu_xlate x;

	/* the direction an entry refuses */
	ck_assert_uint_eq(code(DEV, 0x2010, true, IOMMU_FAULT_PERMISSION), IOMMU_VTD_FR_WRITE);
	ck_assert_uint_eq(code(DEV, 0x3020, false, IOMMU_FAULT_PERMISSION), IOMMU_VTD_FR_READ);
	/* from an IOTLB hit too */
	ck_assert_int_eq(iommu_hw_translate(w, 0, DEV, false, 0, 0x2000, false, &x), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, DEV, false, 0, 0x2000, true, &x), -EFAULT);
	ck_assert(x.iotlb_hit && x.fault.code == IOMMU_VTD_FR_WRITE);

	/* not present: the leaf, a level-1 table, a level-2 table; the same
	 * codes as a refused direction */
	ck_assert_uint_eq(code(DEV, 0x4000, true, IOMMU_FAULT_NOT_PRESENT), IOMMU_VTD_FR_WRITE);
	ck_assert_uint_eq(code(DEV, 0x4000, false, IOMMU_FAULT_NOT_PRESENT), IOMMU_VTD_FR_READ);
	ck_assert_uint_eq(code(DEV, 0x8000000, true, IOMMU_FAULT_NOT_PRESENT), IOMMU_VTD_FR_WRITE);
	ck_assert_uint_eq(code(DEV, 0x8000000, false, IOMMU_FAULT_NOT_PRESENT), IOMMU_VTD_FR_READ);
	ck_assert_uint_eq(code(DEV, 0x40000000, true, IOMMU_FAULT_NOT_PRESENT), IOMMU_VTD_FR_WRITE);
	ck_assert_uint_eq(code(DEV, 0x40000000, false, IOMMU_FAULT_NOT_PRESENT), IOMMU_VTD_FR_READ);

	/* beyond the 39-bit width, either way */
	ck_assert_uint_eq(code(DEV, 1ull << 39, false, IOMMU_FAULT_ADDR_SIZE),
			  IOMMU_VTD_FR_ADDR_BEYOND_AW);
	ck_assert_uint_eq(code(DEV, ~0ull, true, IOMMU_FAULT_ADDR_SIZE),
			  IOMMU_VTD_FR_ADDR_BEYOND_AW);

	/* what translates leaves no record and no code */
	ck_assert_int_eq(iommu_hw_translate(w, 0, DEV, false, 0, 0x1000, true, &x), 0);
	ck_assert_uint_eq(x.fault.code, 0);
	ck_assert_uint_eq(iommu_hw_fault_count(w), 11);
}
END_TEST

START_TEST(test_vtd_context_codes)
{
	struct iommu_context c = { .type = IOMMU_CTX_BLOCKED };
	struct iommu_dev_ctx dc = { .pasid_bits = 8 };
	uint64_t ce = ctx_entry(DEV), pe = pasid_entry(DEV, 0), q0 = sim_mem_read64(w, pe);
	struct iommu_xlate x;

	/* a bus without a context table, a segment without a root table */
	ck_assert_uint_eq(code(RID(7, 0, 0), 0x1000, false, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_ROOT_NOT_PRESENT);
	ck_assert_uint_eq(code_of(3, DEV, false, 0, 0x1000, true, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_ROOT_NOT_PRESENT);
	/* the bus has a table, the device no entry */
	ck_assert_uint_eq(code(RID(1, 2, 0), 0x1000, true, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_CTX_NOT_PRESENT);
	/* a context entry without the RID's translation: an empty PASID
	 * directory, then a table without entry 0 */
	ck_assert_int_eq(iommu_hw_set_device(w, 0, PDEV, &dc), 0);
	ck_assert_uint_eq(code(PDEV, 0x1000, true, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_CTX_NOT_PRESENT);
	c.type = IOMMU_CTX_PASSTHROUGH;
	ck_assert_int_eq(iommu_hw_set_pasid(w, 0, PDEV, 5, &c), 0);
	ck_assert_uint_eq(code(PDEV, 0x1000, false, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_CTX_NOT_PRESENT);
	/* blocked: the entry torn down (intel_pasid_tear_down_entry), what
	 * Linux's blocking domain leaves; in legacy mode a cleared context */
	c.type = IOMMU_CTX_BLOCKED;
	ck_assert_int_eq(iommu_hw_set_context(w, 0, PDEV, &c), 0);
	ck_assert_uint_eq(code(PDEV, 0x1000, true, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_CTX_NOT_PRESENT);

	/* malformed: reserved context bits, a RID_PASID beyond the
	 * directory, a reserved PGTT */
	sim_mem_write64(w, ce, sim_mem_read64(w, ce) | 1 << 5);
	ck_assert_uint_eq(code(DEV, 0x1000, false, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_CTX_INVALID);
	sim_mem_write64(w, ce, sim_mem_read64(w, ce) & ~(1ull << 5));
	sim_mem_write64(w, ce + 8, 1u << 13);
	ck_assert_uint_eq(code(DEV, 0x1000, false, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_CTX_INVALID);
	sim_mem_write64(w, ce + 8, 0);
	sim_mem_write64(w, pe, (q0 & ~0x1c0ull) | 7 << 6);
	iommu_hw_inv_all(w);
	ck_assert_uint_eq(code(DEV, 0x1000, false, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_CTX_INVALID);
	/* the bytes put back, it translates again */
	sim_mem_write64(w, pe, q0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, DEV, false, 0, 0x1000, false, &x), 0);
	/* passthrough never faults */
	c.type = IOMMU_CTX_PASSTHROUGH;
	ck_assert_int_eq(iommu_hw_set_context(w, 0, PDEV, &c), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, PDEV, false, 0, ~0ull, true, &x), 0);
}
END_TEST

/* ---- scalable mode: PASIDs and first-stage tables ----------------------------------- */

START_TEST(test_vtd_pasid_codes)
{
	struct iommu_dev_ctx dc = { .pasid_bits = 8 };
	struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE, .did = 2, .s2_root = pt.root,
				   .s2_levels = 3 };

	/* before the device has a context entry, and on a bus without a table */
	ck_assert_uint_eq(pcode(1, 0x1000, false, IOMMU_FAULT_NO_CONTEXT),
			  IOMMU_VTD_FR_SM_CTX_NOT_PRESENT);
	ck_assert_uint_eq(code_of(0, RID(9, 0, 0), true, 1, 0x1000, false,
				  IOMMU_FAULT_NO_CONTEXT), IOMMU_VTD_FR_SM_ROOT_NOT_PRESENT);

	ck_assert_int_eq(iommu_hw_set_device(w, 0, PDEV, &dc), 0);
	ck_assert_int_eq(iommu_hw_set_pasid(w, 0, PDEV, 1, &c), 0);
	/* the PASID: beyond the directory (PDTS 0: 2^13 PASIDs, more than
	 * the device's 8 bits: the hardware knows only the directory's size),
	 * no directory entry, no table entry */
	ck_assert_uint_eq(pcode(1u << 13, 0x1000, false, IOMMU_FAULT_NO_PASID),
			  IOMMU_VTD_FR_SM_PASID_TOO_LARGE);
	ck_assert_uint_eq(pcode(256, 0x1000, false, IOMMU_FAULT_NO_PASID),
			  IOMMU_VTD_FR_SM_PDIR_NOT_PRESENT);
	ck_assert_uint_eq(pcode(130, 0x1000, false, IOMMU_FAULT_NO_PASID),
			  IOMMU_VTD_FR_SM_PDIR_NOT_PRESENT);
	ck_assert_uint_eq(pcode(7, 0x1000, true, IOMMU_FAULT_NO_PASID),
			  IOMMU_VTD_FR_SM_PASID_NOT_PRESENT);
	/* a malformed entry, a blocked one */
	sim_mem_write64(w, pasid_entry(PDEV, 9), 1 | 7 << 2);
	ck_assert_uint_eq(pcode(9, 0x1000, true, IOMMU_FAULT_NO_PASID),
			  IOMMU_VTD_FR_SM_PASID_INVALID);
	c.type = IOMMU_CTX_BLOCKED;
	ck_assert_int_eq(iommu_hw_set_pasid(w, 0, PDEV, 4, &c), 0);
	ck_assert_uint_eq(pcode(4, 0x1000, true, IOMMU_FAULT_NO_PASID),
			  IOMMU_VTD_FR_SM_PASID_NOT_PRESENT);

	/* the second stage through a PASID: scalable mode's codes */
	ck_assert_uint_eq(pcode(1, 0x2000, true, IOMMU_FAULT_PERMISSION), IOMMU_VTD_FR_SM_WRITE);
	ck_assert_uint_eq(pcode(1, 0x3000, false, IOMMU_FAULT_PERMISSION), IOMMU_VTD_FR_SM_READ);
	ck_assert_uint_eq(pcode(1, 0x8000000, true, IOMMU_FAULT_NOT_PRESENT),
			  IOMMU_VTD_FR_SM_WRITE);
	ck_assert_uint_eq(pcode(1, 0x4000, false, IOMMU_FAULT_NOT_PRESENT), IOMMU_VTD_FR_SM_READ);
	ck_assert_uint_eq(pcode(1, 1ull << 39, false, IOMMU_FAULT_ADDR_SIZE),
			  IOMMU_VTD_FR_SM_ADDR_BEYOND);
}
END_TEST

START_TEST(test_vtd_first_stage_codes)
{
	struct io_pgtable fs;
	struct iommu_context c = { .type = IOMMU_CTX_S1, .did = 3, .s1_levels = 4 };
	struct iommu_xlate x;

	ck_assert_int_eq(io_pgtable_init(&fs, w, &io_pgtable_vtd_fs, 4), 0);
	ck_assert_int_eq(io_pgtable_map(&fs, 0x5000, 0xd000, SZ_4K, IOMMU_READ), 0);
	c.s1_root = fs.root;
	ck_assert_int_eq(iommu_hw_set_context(w, 0, RID(2, 0, 0), &c), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, RID(2, 0, 0), false, 0, 0x5000, false, &x), 0);
	ck_assert_uint_eq(code(RID(2, 0, 0), 0x5000, true, IOMMU_FAULT_PERMISSION),
			  IOMMU_VTD_FR_SM_WRITE);
	ck_assert_uint_eq(code(RID(2, 0, 0), 0x6000, false, IOMMU_FAULT_NOT_PRESENT),
			  IOMMU_VTD_FR_SM_FS_NOT_PRESENT);
	ck_assert_uint_eq(code(RID(2, 0, 0), 0x80000000000ull, true, IOMMU_FAULT_NOT_PRESENT),
			  IOMMU_VTD_FR_SM_FS_NOT_PRESENT);
	ck_assert_uint_eq(code(RID(2, 0, 0), 1ull << 48, false, IOMMU_FAULT_ADDR_SIZE),
			  IOMMU_VTD_FR_SM_NOT_CANONICAL);
	/* the stage stays what it was: the code adds, it replaces nothing */
	ck_assert_uint_eq(iommu_hw_fault_at(w, 2)->stage, 1);
	ck_assert_str_eq(iommu_fault_reason_name(iommu_hw_fault_at(w, 2)->reason), "not-present");
	io_pgtable_destroy(&fs);
}
END_TEST

/* ---- the other kinds ------------------------------------------------------------------ */

START_TEST(test_other_kinds_no_code)
{
	static const enum iommu_hw_kind kinds[] = { IOMMU_HW_SMMUV3, IOMMU_HW_RISCV };
	static const struct io_pgtable_fmt *const fmts[] = { &io_pgtable_arm_s2,
							     &io_pgtable_riscv_sv39x4 };
	char buf[256];

	for (unsigned k = 0; k < G_N_ELEMENTS(kinds); k++) {
		struct io_pgtable t;

		teardown();
		w = kind_world(kinds[k], 16);
		ck_assert_int_eq(io_pgtable_init(&t, w, fmts[k], 3), 0);
		ck_assert_int_eq(io_pgtable_map(&t, 0x2000, 0xb000, SZ_4K, IOMMU_READ), 0);
		ctx_s2(0, DEV, &t);
		ck_assert_uint_eq(code(DEV, 0x2abc, true, IOMMU_FAULT_PERMISSION), 0);
		ck_assert_uint_eq(code(DEV, 0x4010, false, IOMMU_FAULT_NOT_PRESENT), 0);
		ck_assert_uint_eq(code(RID(5, 0, 0), 0x10, false, IOMMU_FAULT_NO_CONTEXT), 0);
		/* the drain names the model's reason, the address in full */
		ck_assert_int_eq(sim_iommu_fault_drain(w, buf, sizeof(buf)), (long)strlen(buf));
		ck_assert_str_eq(buf, "write 01:00.0 0x2abc reason=permission\n"
				      "read 01:00.0 0x4010 reason=not-present\n"
				      "read 05:00.0 0x10 reason=no-context\n");
		io_pgtable_destroy(&t);
		ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 3), 0);
	}
}
END_TEST

/* ---- the public drain ----------------------------------------------------------------- */

START_TEST(test_drain)
{
	static const char want[] = "write 01:00.0 0x2000 reason=0x05\n"
				   "read 01:00.0 0x8000000 reason=0x06\n"
				   "read 01:01.0 0x1000 pasid=0x7 reason=0x41\n"
				   "write 0002:03:04.5 0x0 reason=0x01\n";
	struct iommu_xlate x;
	char buf[256], small[sizeof(want) - 2];
	long len = (long)strlen(want);

	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(sim_iommu_fault_drain(w, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	iommu_hw_translate(w, 0, DEV, false, 0, 0x2abc, true, &x);
	iommu_hw_translate(w, 0, DEV, false, 0, 0x8000123, false, &x);
	iommu_hw_translate(w, 0, PDEV, true, 7, 0x1fff, false, &x);
	iommu_hw_translate(w, 2, RID(3, 4, 5), false, 0, 0xfff, true, &x);

	/* too small, by a byte of the text or by the NUL: nothing is consumed */
	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(sim_iommu_fault_drain(w, small, sizeof(small)), -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(sim_iommu_fault_drain(w, buf, (size_t)len), -ENOSPC);
	ck_assert_uint_eq(iommu_hw_fault_count(w), 4);
	/* exactly enough: every record, oldest first, then none */
	ck_assert_int_eq(sim_iommu_fault_drain(w, buf, (size_t)len + 1), len);
	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(iommu_hw_fault_count(w), 0);
	ck_assert_int_eq(sim_iommu_fault_drain(w, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	/* a fault after the drain is the next drain's */
	iommu_hw_translate(w, 0, DEV, false, 0, 0x2000, true, &x);
	ck_assert_int_eq(sim_iommu_fault_drain(w, buf, sizeof(buf)), 33);

	ck_assert_int_eq(sim_iommu_fault_drain(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(sim_iommu_fault_drain(w, NULL, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(sim_iommu_fault_drain(w, buf, 0), -ENOSPC);
}
END_TEST

START_TEST(test_drain_without_queue_or_iommu)
{
	struct sim_world *bare = sim_world_create(1);
	struct iommu_xlate x;
	char buf[64];

	/* a hardware keeping no records: nothing to drain */
	teardown();
	w = kind_world(IOMMU_HW_VTD, 0);
	ck_assert_int_eq(io_pgtable_init(&pt, w, &io_pgtable_vtd_ss, 3), 0);
	ck_assert_int_eq(iommu_hw_translate(w, 0, DEV, false, 0, 0, true, &x), -EFAULT);
	ck_assert_uint_eq(x.fault.code, IOMMU_VTD_FR_ROOT_NOT_PRESENT);
	ck_assert_int_eq(sim_iommu_fault_drain(w, buf, sizeof(buf)), 0);
	/* a world without IOMMU hardware */
	ck_assert_int_eq(sim_iommu_fault_drain(bare, buf, sizeof(buf)), -EINVAL);
	sim_world_destroy(bare);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hw_faults");
	TCase *tc = tcase_create("hw_faults");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vtd_second_stage_codes);
	tcase_add_test(tc, test_vtd_context_codes);
	tcase_add_test(tc, test_vtd_pasid_codes);
	tcase_add_test(tc, test_vtd_first_stage_codes);
	tcase_add_test(tc, test_other_kinds_no_code);
	tcase_add_test(tc, test_drain);
	tcase_add_test(tc, test_drain_without_queue_or_iommu);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
