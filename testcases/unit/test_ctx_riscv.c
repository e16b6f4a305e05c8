/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/hw_ctx_riscv.c: the RISC-V IOMMU's device directory table,
 * device contexts, process directory table and process contexts as bytes
 * in simulated memory.  Each case programs through the public API, reads
 * the raw words back with sim_mem_read64 (walking the tables with the
 * test's own copy of the layouts), translates through them with the
 * context and PASID caches off, and counts the references: a 1/2/3-level
 * DDT costs 1/2/3 device-level reads, PD8/PD17/PD20 1/2/3 PASID-level
 * reads.  Then every admit error, corrupted entries the hardware refuses,
 * a device beyond a 1-level DDT, exact "wrote" reports and -ENOMEM with
 * nothing written.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/world.h"
#include "model/iommu/hw.h"
#include "model/iommu/hw_ctx.h"
#include "model/iommu/hw_internal.h"

#define RW (IOMMU_READ | IOMMU_WRITE)

/* the layouts, independently of the code under test (RISC-V IOMMU 1.0) */
#define V          1ull
#define TC_EN_ATS  (1ull << 1)
#define TC_PDTV    (1ull << 5)
#define TC_DPE     (1ull << 9)
#define MODE(m)    ((uint64_t)(m) << 60)
#define PPN(a)     ((a) >> 12)
#define GSCID(g)   ((uint64_t)(g) << 44)
#define PSCID(p)   ((uint64_t)(p) << 12)
#define SV39       8u
#define SV48X4     9u
enum { TC, IOHGATP, TA, FSC };

#define IOVA       0x5000ull           /* stage-1 input */
#define GPA_X      0x40000000ull       /* stage 1's output, stage 2's input */
#define LOW        (32ull << 20)       /* stage 2 maps [0, LOW) onto itself */
#define RID        0x0312u             /* 03:02.2: DDI[1] 6, DDI[0] 0x12 */

static struct sim_world *w;
static struct io_pgtable s1, s2, s2b;  /* Sv39; Sv48x4 (16 KiB roots) */
static uint64_t data;                  /* where GPA_X lands */

static struct iommu_hw_config cfg_of(unsigned ddt_levels)
{
	/* every cache off: each translation reads the tables */
	return (struct iommu_hw_config){ .kind = IOMMU_HW_RISCV, .fault_queue_len = 16,
					 .pasid_bits = IOMMU_HW_MAX_PASID_BITS,
					 .riscv_ddt_levels = ddt_levels };
}

static void world(unsigned ddt_levels)
{
	struct iommu_hw_config cfg = cfg_of(ddt_levels);

	w = sim_world_create(11);
	ck_assert_int_eq(iommu_hw_create(w, &cfg), 0);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &data), 0);
	ck_assert_int_eq(io_pgtable_init(&s1, w, &io_pgtable_riscv_sv39, 3), 0);
	ck_assert_int_eq(io_pgtable_init(&s2, w, &io_pgtable_riscv_sv48x4, 4), 0);
	ck_assert_int_eq(io_pgtable_init(&s2b, w, &io_pgtable_riscv_sv48x4, 4), 0);
	ck_assert_uint_eq(s2.root & 0x3fff, 0);
	/* stage 1 lives in host frames below LOW: as a guest table its GPAs
	 * are its HPAs through the identity part of stage 2 */
	ck_assert_int_eq(io_pgtable_map(&s1, IOVA, GPA_X, SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&s2, 0, 0, LOW, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&s2, GPA_X, data, SZ_4K, RW), 0);
}

static void setup(void)
{
	world(0);
}

static void teardown(void)
{
	io_pgtable_destroy(&s1);
	io_pgtable_destroy(&s2);
	io_pgtable_destroy(&s2b);
	sim_mem_frame_put(w, data);
	sim_world_destroy(w);
	w = NULL;
}

static struct iommu_context ctx_s1(uint16_t did)
{
	return (struct iommu_context){ .type = IOMMU_CTX_S1, .did = did, .s1_root = s1.root,
				       .s1_levels = 3 };
}

static struct iommu_context ctx_s2(uint16_t did, const struct io_pgtable *t)
{
	return (struct iommu_context){ .type = IOMMU_CTX_TRANSLATE, .did = did,
				       .s2_root = t->root, .s2_levels = 4 };
}

static struct iommu_context ctx_nested(uint16_t did, uint16_t parent, const struct io_pgtable *t)
{
	return (struct iommu_context){ .type = IOMMU_CTX_NESTED, .did = did,
				       .s1_root = s1.root, .s1_levels = 3,
				       .s2_root = t->root, .s2_levels = 4, .s2_did = parent };
}

static const struct iommu_context ctx_pt = { .type = IOMMU_CTX_PASSTHROUGH };
static const struct iommu_context ctx_blocked = { .type = IOMMU_CTX_BLOCKED };

static void device(uint16_t rid, unsigned pasid_bits, bool ats)
{
	struct iommu_dev_ctx dc = { .pasid_bits = pasid_bits, .ats = ats };

	ck_assert_int_eq(iommu_hw_set_device(w, 0, rid, &dc), 0);
}

static int prog(uint16_t rid, uint32_t pasid, const struct iommu_context *c, unsigned *wrote)
{
	return iommu_hw_program_pasid(w, 0, rid, pasid, c, wrote);
}

static void set(uint16_t rid, uint32_t pasid, struct iommu_context c)
{
	ck_assert_int_eq(prog(rid, pasid, &c, NULL), 0);
}

/* ---- reading the tables the test's own way ---------------------------------------------- */

static unsigned ddt_levels(void)
{
	unsigned l = iommu_hw_config(w)->riscv_ddt_levels;

	return l ? l : 3;
}

/* A non-leaf entry's table (PPN in bits 53..10). */
static uint64_t nl_table(uint64_t e)
{
	ck_assert_msg(e & V, "non-leaf entry 0x%llx not valid", (unsigned long long)e);
	return ((e >> 10) & ((1ull << 44) - 1)) << 12;
}

/* The device context of @rid: DDI[2] = 23..16, DDI[1] = 15..7, DDI[0] = 6..0. */
static uint64_t dc_addr(uint16_t rid)
{
	static const unsigned shift[3] = { 0, 7, 16 }, mask[3] = { 0x7f, 0x1ff, 0xff };
	uint64_t t = hw_seg_root(iommu_hw_get(w), 0);

	ck_assert_uint_ne(t, 0);
	for (unsigned f = ddt_levels() - 1; f > 0; f--)
		t = nl_table(sim_mem_read64(w, t + 8 * ((rid >> shift[f]) & mask[f])));
	return t + 32 * (rid & 0x7f);
}

static uint64_t dcw(uint16_t rid, unsigned word)
{
	return sim_mem_read64(w, dc_addr(rid) + 8 * word);
}

/* The process context at @pasid of @rid's PDT: PDI[2] = 19..17, PDI[1] =
 * 16..8, PDI[0] = 7..0; pdtp.MODE PD8 1, PD17 2, PD20 3 = the levels. */
static uint64_t pc_addr(uint16_t rid, uint32_t pasid)
{
	static const unsigned shift[3] = { 0, 8, 17 }, mask[3] = { 0xff, 0x1ff, 0x7 };
	uint64_t fsc = dcw(rid, FSC), t = (fsc & ((1ull << 44) - 1)) << 12;
	unsigned levels = (unsigned)(fsc >> 60);

	ck_assert(dcw(rid, TC) & TC_PDTV);
	ck_assert(levels >= 1 && levels <= 3);
	for (unsigned f = levels - 1; f > 0; f--)
		t = nl_table(sim_mem_read64(w, t + 8 * ((pasid >> shift[f]) & mask[f])));
	return t + 16 * (pasid & 0xff);
}

static uint64_t pcw(uint16_t rid, uint32_t pasid, unsigned word)
{
	return sim_mem_read64(w, pc_addr(rid, pasid) + 8 * word);
}

/* ---- translating ---------------------------------------------------------------------- */

static int xl(uint16_t rid, bool pv, uint32_t pasid, uint64_t addr, struct iommu_xlate *x)
{
	return iommu_hw_translate(w, 0, rid, pv, pasid, addr, false, x);
}

/* Translate @addr and expect @hpa with @ctx device-level and @pas
 * PASID-level reads. */
static void xl_ok(uint16_t rid, bool pv, uint32_t pasid, uint64_t addr, uint64_t hpa,
		  unsigned ctx, unsigned pas)
{
	struct iommu_xlate x;

	ck_assert_int_eq(xl(rid, pv, pasid, addr, &x), 0);
	ck_assert_uint_eq(x.hpa, hpa);
	ck_assert_uint_eq(x.ctx_refs, ctx);
	ck_assert_uint_eq(x.pasid_refs, pas);
}

static enum iommu_fault_reason xl_fault(uint16_t rid, bool pv, uint32_t pasid)
{
	struct iommu_xlate x;

	ck_assert_int_eq(xl(rid, pv, pasid, IOVA, &x), -EFAULT);
	return x.fault.reason;
}

/* Where the hardware half stops for (@rid, @pasid; NONE: the device entry). */
static enum hw_ctx_fail why_of(uint16_t rid, uint32_t pasid)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	enum hw_ctx_fail why = HW_CTX_OK;
	struct iommu_context c;
	struct hw_devctx dc;
	unsigned refs = 0;

	memset(&dc, 0, sizeof(dc));
	if (!hw->ops->fetch_dev(hw, 0, rid, &dc, &refs, &why))
		return why;
	if (pasid == IOMMU_PASID_NONE)
		return HW_CTX_OK;
	return hw->ops->fetch_pasid(hw, &dc, pasid, &c, &refs, &why) ? HW_CTX_OK : why;
}

/* What memory holds at @pasid equals what was programmed. */
static void reads_back(uint16_t rid, uint32_t pasid, struct iommu_context want)
{
	struct iommu_context c;

	ck_assert_int_eq(iommu_hw_get_pasid(w, 0, rid, pasid, &c), 0);
	ck_assert_int_eq(c.type, want.type);
	ck_assert_uint_eq(c.did, want.did);
	ck_assert_uint_eq(c.s1_root, want.s1_root);
	ck_assert_uint_eq(c.s1_levels, want.s1_levels);
	ck_assert_uint_eq(c.s2_root, want.s2_root);
	ck_assert_uint_eq(c.s2_levels, want.s2_levels);
	ck_assert_uint_eq(c.s2_did, want.s2_did);
}

/* Walk events of the structures (level, index), in order. */
struct evlog {
	unsigned n;
	struct { enum iommu_walk_ev ev; unsigned level, index; } e[16];
};

static void log_ev(void *ctx, const struct iommu_walk_event *e)
{
	struct evlog *l = ctx;

	if (e->ev != IOMMU_EV_ROOT && e->ev != IOMMU_EV_CONTEXT && e->ev != IOMMU_EV_PASID_DIR &&
	    e->ev != IOMMU_EV_PASID_ENTRY)
		return;
	ck_assert_uint_lt(l->n, 16);
	l->e[l->n].ev = e->ev;
	l->e[l->n].level = e->level;
	l->e[l->n].index = e->index;
	l->n++;
}

static void ev_is(const struct evlog *l, unsigned i, enum iommu_walk_ev ev, unsigned level,
		  unsigned index)
{
	ck_assert_uint_lt(i, l->n);
	ck_assert_int_eq(l->e[i].ev, ev);
	ck_assert_uint_eq(l->e[i].level, level);
	ck_assert_uint_eq(l->e[i].index, index);
}

/* ---- the device directory ------------------------------------------------------------- */

/* 1LVL, 2LVL, 3LVL: one, two, three device-level reads; the entries where
 * DDI[i] says, and the stage-1 device context of riscv_iommu_iodir_update. */
START_TEST(test_ddt_levels)
{
	const uint16_t rid = _i == 1 ? 0x0052 : RID;
	uint64_t root;
	struct evlog log = { 0 };

	world((unsigned)_i);
	device(rid, 0, false);
	set(rid, 0, ctx_s1(7));
	root = hw_seg_root(iommu_hw_get(w), 0);
	ck_assert(sim_mem_frame_kind(w, root) == SIM_FRAME_KERNEL);
	if (_i == 3) {                   /* DDI[2] 0, then DDI[1] */
		ck_assert(sim_mem_read64(w, root) & V);
		ck_assert_uint_eq(sim_mem_read64(w, root) & ~((1ull << 54) - 1), 0);
		ck_assert(sim_mem_read64(w, nl_table(sim_mem_read64(w, root)) + 8 * (RID >> 7)) &
			  V);
	} else if (_i == 2) {
		ck_assert(sim_mem_read64(w, root + 8 * (RID >> 7)) & V);
		ck_assert_uint_eq(sim_mem_read64(w, root), 0);
	} else {
		ck_assert_uint_eq(dc_addr(rid), root + 32 * 0x52);
	}
	ck_assert_uint_eq(dcw(rid, TC), V);
	ck_assert_uint_eq(dcw(rid, IOHGATP), 0);
	ck_assert_uint_eq(dcw(rid, TA), PSCID(7));
	ck_assert_uint_eq(dcw(rid, FSC), MODE(SV39) | PPN(s1.root));
	iommu_hw_set_observer(w, log_ev, &log);
	xl_ok(rid, false, 0, IOVA | 0x123, GPA_X | 0x123, (unsigned)_i, 0);
	iommu_hw_set_observer(w, NULL, NULL);
	ck_assert_uint_eq(log.n, (unsigned)_i);
	for (unsigned f = (unsigned)_i - 1, k = 0; f > 0; f--, k++)
		ev_is(&log, k, IOMMU_EV_ROOT, f, f == 2 ? 0 : RID >> 7);
	ev_is(&log, log.n - 1, IOMMU_EV_CONTEXT, 0, rid & 0x7f);
	reads_back(rid, 0, ctx_s1(7));
	teardown();
}
END_TEST

/* A 1LVL DDT holds device ids 0..127: riscv_iommu_probe_device fails
 * (-ENODEV) beyond, and the hardware stops such a request at the DDT. */
START_TEST(test_ddt_1lvl_beyond)
{
	struct iommu_dev_ctx dc = { 0 };
	struct iommu_context c;
	struct iommu_xlate x;

	world(1);
	c = ctx_s1(3);
	ck_assert_int_eq(iommu_hw_set_device(w, 0, 0x80, &dc), -ENODEV);
	ck_assert_int_eq(iommu_hw_set_context(w, 0, 0x0100, &c), -ENODEV);
	set(0x7f, 0, ctx_s1(3));
	xl_ok(0x7f, false, 0, IOVA, GPA_X, 1, 0);
	ck_assert_int_eq(xl(0x0100, false, 0, IOVA, &x), -EFAULT);
	ck_assert_int_eq(x.fault.reason, IOMMU_FAULT_NO_CONTEXT);
	ck_assert_uint_eq(x.ctx_refs, 0);
	ck_assert_int_eq(why_of(0x0100, IOMMU_PASID_NONE), HW_CTX_NO_ROOT);
	/* the same id under 2LVL is fine */
	teardown();
	world(2);
	set(0x0100, 0, ctx_s1(3));
	xl_ok(0x0100, false, 0, IOVA, GPA_X, 2, 0);
	teardown();
}
END_TEST

/* ---- device contexts without a PDT ----------------------------------------------------- */

START_TEST(test_dc_passthrough_blocked)
{
	device(RID, 0, true);
	/* probe: the DDT levels exist, the device context is not valid yet */
	ck_assert_uint_eq(dcw(RID, TC), 0);
	ck_assert_int_eq(xl_fault(RID, false, 0), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_int_eq(why_of(RID, IOMMU_PASID_NONE), HW_CTX_NO_CONTEXT);
	/* identity: V, EN_ATS, fsc and iohgatp Bare */
	set(RID, 0, ctx_pt);
	ck_assert_uint_eq(dcw(RID, TC), V | TC_EN_ATS);
	ck_assert(!dcw(RID, IOHGATP) && !dcw(RID, TA) && !dcw(RID, FSC));
	xl_ok(RID, false, 0, 0x1234000, 0x1234000, 3, 0);
	reads_back(RID, 0, ctx_pt);
	/* blocking: "Make device context invalid" */
	set(RID, 0, ctx_blocked);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(dcw(RID, i), 0);
	ck_assert_int_eq(xl_fault(RID, false, 0), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_int_eq(why_of(RID, IOMMU_PASID_NONE), HW_CTX_NO_CONTEXT);
	/* a request with a PASID while PDTV is 0: transaction disallowed */
	set(RID, 0, ctx_pt);
	ck_assert_int_eq(xl_fault(RID, true, 1), IOMMU_FAULT_NO_PASID);
}
END_TEST

START_TEST(test_dc_translate_nested)
{
	device(RID, 0, false);
	/* stage 2 only: iohgatp Sv48x4, GSCID = the domain id, fsc Bare */
	set(RID, 0, ctx_s2(9, &s2));
	ck_assert_uint_eq(dcw(RID, TC), V);
	ck_assert_uint_eq(dcw(RID, IOHGATP), MODE(SV48X4) | GSCID(9) | PPN(s2.root));
	ck_assert(!dcw(RID, TA) && !dcw(RID, FSC));
	xl_ok(RID, false, 0, GPA_X | 0x40, data | 0x40, 3, 0);
	reads_back(RID, 0, ctx_s2(9, &s2));
	/* nested: iosatp a guest table (GPA), PSCID the stage-1 domain's id,
	 * GSCID the parent's */
	set(RID, 0, ctx_nested(12, 9, &s2));
	ck_assert_uint_eq(dcw(RID, IOHGATP), MODE(SV48X4) | GSCID(9) | PPN(s2.root));
	ck_assert_uint_eq(dcw(RID, TA), PSCID(12));
	ck_assert_uint_eq(dcw(RID, FSC), MODE(SV39) | PPN(s1.root));
	xl_ok(RID, false, 0, IOVA | 0x8, data | 0x8, 3, 0);
	reads_back(RID, 0, ctx_nested(12, 9, &s2));
}
END_TEST

/* ---- the process directory ------------------------------------------------------------- */

/* PD8, PD17, PD20 by the device's PASID width: 1, 2, 3 PASID-level reads. */
START_TEST(test_pdt_formats)
{
	static const unsigned bits[] = { 8, 17, 20 };
	/* a PASID with a non-zero index in every field the format has */
	static const uint32_t pasids[] = { 0x05, 0x0305, 0x20305 };
	const uint32_t p = pasids[_i];
	struct evlog log = { 0 };
	unsigned wrote;
	struct iommu_context c = ctx_s1(21);

	device(RID, bits[_i], false);
	ck_assert_int_eq(prog(RID, p, &c, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	/* the RID has nothing: DPE 1, process context 0 not valid */
	ck_assert_uint_eq(dcw(RID, TC), V | TC_PDTV | TC_DPE);
	ck_assert_uint_eq(dcw(RID, IOHGATP), 0);
	ck_assert_uint_eq(dcw(RID, TA), 0);
	ck_assert_uint_eq(dcw(RID, FSC) >> 60, (unsigned)_i + 1);
	ck_assert_uint_eq(pcw(RID, p, 0), V | PSCID(21));
	ck_assert_uint_eq(pcw(RID, p, 1), MODE(SV39) | PPN(s1.root));
	iommu_hw_set_observer(w, log_ev, &log);
	xl_ok(RID, true, p, IOVA, GPA_X, 3, (unsigned)_i + 1);
	iommu_hw_set_observer(w, NULL, NULL);
	ck_assert_uint_eq(log.n, 3 + _i + 1);
	if (_i == 2)
		ev_is(&log, 3, IOMMU_EV_PASID_DIR, 2, 1);
	if (_i >= 1)
		ev_is(&log, 3 + _i - 1, IOMMU_EV_PASID_DIR, 1, 3);
	ev_is(&log, log.n - 1, IOMMU_EV_PASID_ENTRY, 0, 5);
	reads_back(RID, p, ctx_s1(21));
	/* untagged: process context 0 is not valid; beyond the width: 260 */
	ck_assert_int_eq(xl_fault(RID, false, 0), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_int_eq(why_of(RID, 0), _i ? HW_CTX_NO_PDIR : HW_CTX_NO_PASID);
	if (_i < 2) {
		struct iommu_xlate x;

		ck_assert_int_eq(xl(RID, true, 1u << bits[_i], IOVA, &x), -EFAULT);
		ck_assert_int_eq(x.fault.reason, IOMMU_FAULT_NO_PASID);
	}
	if (_i) {                        /* another leaf table: a directory entry not valid */
		ck_assert_int_eq(xl_fault(RID, true, p ^ 0x100), IOMMU_FAULT_NO_PASID);
		ck_assert_int_eq(why_of(RID, p ^ 0x100), HW_CTX_NO_PDIR);
	}
	/* the last tagged PASID goes: PDTV 0, the device context not valid */
	ck_assert_int_eq(prog(RID, p, NULL, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	ck_assert_uint_eq(dcw(RID, TC), 0);
	ck_assert_int_eq(xl_fault(RID, true, p), IOMMU_FAULT_NO_CONTEXT);
}
END_TEST

/* The untagged stream beside tagged PASIDs: DPE and process context 0. */
START_TEST(test_pdt_untagged)
{
	device(RID, 8, false);
	/* S1 RID: DPE 1, process context 0 holds it */
	set(RID, 0, ctx_s1(4));
	set(RID, 9, ctx_s1(5));
	ck_assert_uint_eq(dcw(RID, TC), V | TC_PDTV | TC_DPE);
	ck_assert_uint_eq(pcw(RID, 0, 0), V | PSCID(4));
	ck_assert_uint_eq(pcw(RID, 0, 1), MODE(SV39) | PPN(s1.root));
	xl_ok(RID, false, 0, IOVA, GPA_X, 3, 1);
	xl_ok(RID, true, 9, IOVA, GPA_X, 3, 1);
	reads_back(RID, 0, ctx_s1(4));
	/* identity RID: DPE 0 (first stage Bare, iohgatp Bare), PC 0 cleared */
	set(RID, 0, ctx_pt);
	ck_assert_uint_eq(dcw(RID, TC), V | TC_PDTV);
	ck_assert_uint_eq(pcw(RID, 0, 0), 0);
	xl_ok(RID, false, 0, 0x777000, 0x777000, 3, 0);
	/* a tagged pass-through PASID: a valid PC, fsc Bare, iohgatp Bare */
	set(RID, 10, ctx_pt);
	ck_assert_uint_eq(pcw(RID, 10, 0), V);
	ck_assert_uint_eq(pcw(RID, 10, 1), 0);
	xl_ok(RID, true, 10, 0x888000, 0x888000, 3, 1);
	reads_back(RID, 10, ctx_pt);
	/* blocked RID: DPE 1, PC 0 not valid */
	set(RID, 0, ctx_blocked);
	ck_assert_uint_eq(dcw(RID, TC), V | TC_PDTV | TC_DPE);
	ck_assert_uint_eq(pcw(RID, 0, 0), 0);
	ck_assert_int_eq(xl_fault(RID, false, 0), IOMMU_FAULT_NO_CONTEXT);
	xl_ok(RID, true, 9, IOVA, GPA_X, 3, 1);
	/* a tagged PASID blocked: its PC not valid */
	set(RID, 9, ctx_blocked);
	ck_assert_uint_eq(pcw(RID, 9, 0), 0);
	ck_assert_int_eq(why_of(RID, 9), HW_CTX_NO_PASID);
}
END_TEST

/* Tagged nested PASIDs share the device's iohgatp with a stage-2 RID. */
START_TEST(test_pdt_nested)
{
	device(RID, 17, false);
	set(RID, 0, ctx_s2(9, &s2));
	set(RID, 0x123, ctx_nested(30, 9, &s2));
	set(RID, 0x124, ctx_nested(31, 9, &s2));
	/* DPE 0: untagged requests take iohgatp alone */
	ck_assert_uint_eq(dcw(RID, TC), V | TC_PDTV);
	ck_assert_uint_eq(dcw(RID, IOHGATP), MODE(SV48X4) | GSCID(9) | PPN(s2.root));
	ck_assert_uint_eq(dcw(RID, FSC) >> 60, 2);
	ck_assert_uint_eq(pcw(RID, 0x123, 0), V | PSCID(30));
	ck_assert_uint_eq(pcw(RID, 0x124, 1), MODE(SV39) | PPN(s1.root));
	xl_ok(RID, false, 0, GPA_X, data, 3, 0);
	xl_ok(RID, true, 0x123, IOVA | 0x10, data | 0x10, 3, 2);
	reads_back(RID, 0, ctx_s2(9, &s2));
	reads_back(RID, 0x124, ctx_nested(31, 9, &s2));
	/* the RID nested over the same parent: DPE 1, PC 0 its first stage */
	set(RID, 0, ctx_nested(32, 9, &s2));
	ck_assert_uint_eq(dcw(RID, TC), V | TC_PDTV | TC_DPE);
	ck_assert_uint_eq(pcw(RID, 0, 0), V | PSCID(32));
	xl_ok(RID, false, 0, IOVA, data, 3, 2);
	reads_back(RID, 0, ctx_nested(32, 9, &s2));
	/* the RID goes: the nested PASIDs keep the iohgatp */
	ck_assert_int_eq(prog(RID, 0, NULL, NULL), 0);
	ck_assert_uint_eq(dcw(RID, IOHGATP), MODE(SV48X4) | GSCID(9) | PPN(s2.root));
	ck_assert_int_eq(xl_fault(RID, false, 0), IOMMU_FAULT_NO_CONTEXT);
	xl_ok(RID, true, 0x124, IOVA, data, 3, 2);
}
END_TEST

/* ---- what cannot be encoded -------------------------------------------------------------- */

/* Every refusal, and memory untouched by each. */
START_TEST(test_admit_errors)
{
	struct iommu_context c;
	uint64_t snap[4];
	unsigned wrote = 77;

#define SNAP() do { for (unsigned i_ = 0; i_ < 4; i_++) snap[i_] = dcw(RID, i_); } while (0)
#define SAME() do { for (unsigned i_ = 0; i_ < 4; i_++) \
		ck_assert_uint_eq(dcw(RID, i_), snap[i_]); } while (0)
#define REFUSE(pasid, ctx, err) do { c = (ctx); SNAP(); \
		ck_assert_int_eq(prog(RID, (pasid), &c, &wrote), (err)); \
		ck_assert_uint_eq(wrote, 0); SAME(); } while (0)

	device(RID, 8, false);
	/* a process context has no stage 2 of its own */
	REFUSE(1, ctx_s2(9, &s2), -EINVAL);
	/* a G-stage root not 16 KiB aligned */
	c = ctx_s2(9, &s2);
	c.s2_root += SZ_4K;
	REFUSE(0, c, -EINVAL);
	/* a stage-2 RID: tagged stage-1 and pass-through PASIDs need Bare */
	set(RID, 0, ctx_s2(9, &s2));
	REFUSE(1, ctx_s1(5), -EINVAL);
	REFUSE(1, ctx_pt, -EINVAL);
	/* a nested PASID over another stage 2, or another parent id */
	REFUSE(1, ctx_nested(5, 9, &s2b), -EINVAL);
	REFUSE(1, ctx_nested(5, 8, &s2), -EINVAL);
	set(RID, 1, ctx_nested(5, 9, &s2));
	REFUSE(2, ctx_s1(6), -EINVAL);
	REFUSE(2, ctx_nested(6, 9, &s2b), -EINVAL);
	/* RID changes that break the nested PASID */
	REFUSE(0, ctx_s1(4), -EBUSY);
	REFUSE(0, ctx_pt, -EBUSY);
	REFUSE(0, ctx_s2(8, &s2), -EBUSY);
	REFUSE(0, ctx_s2(9, &s2b), -EBUSY);
	REFUSE(0, ctx_nested(4, 9, &s2b), -EBUSY);
	/* ... and those that keep it */
	set(RID, 0, ctx_nested(4, 9, &s2));
	set(RID, 0, ctx_blocked);
	ck_assert_int_eq(prog(RID, 0, NULL, NULL), 0);
	/* no RID: a nested PASID alone sets iohgatp; S1 and identity RIDs
	 * cannot join it */
	REFUSE(0, ctx_s1(4), -EBUSY);
	/* tagged S1 only: a stage-2 RID would need iohgatp */
	ck_assert_int_eq(prog(RID, 1, NULL, NULL), 0);
	set(RID, 3, ctx_s1(6));
	REFUSE(0, ctx_s2(9, &s2), -EBUSY);
	REFUSE(0, ctx_nested(4, 9, &s2), -EBUSY);
	REFUSE(4, ctx_nested(7, 9, &s2), -EINVAL);
	set(RID, 0, ctx_pt);
	/* an S1 RID beside a nested PASID */
	ck_assert_int_eq(prog(RID, 3, NULL, NULL), 0);
	set(RID, 0, ctx_s1(4));
	REFUSE(5, ctx_nested(7, 9, &s2), -EINVAL);
	/* clearing is always admitted */
	ck_assert_int_eq(prog(RID, 0, NULL, NULL), 0);
	ck_assert_int_eq(prog(RID, 6, NULL, NULL), 0);
#undef REFUSE
#undef SAME
#undef SNAP
}
END_TEST

/* ---- what the hardware refuses ----------------------------------------------------------- */

START_TEST(test_bad_context)
{
	uint64_t a, g;

	device(RID, 17, false);
	set(RID, 0, ctx_s2(9, &s2));
	a = dc_addr(RID);
	g = sim_mem_read64(w, a + 8 * IOHGATP);
	/* iohgatp.MODE 5: reserved */
	sim_mem_write64(w, a + 8 * IOHGATP, (g & ~MODE(0xf)) | MODE(5));
	ck_assert_int_eq(xl_fault(RID, false, 0), IOMMU_FAULT_NO_CONTEXT);
	ck_assert_int_eq(why_of(RID, IOMMU_PASID_NONE), HW_CTX_BAD_CONTEXT);
	ck_assert_int_ne(iommu_hw_get_context(w, 0, RID, &(struct iommu_context){ 0 }), 0);
	/* a G-stage root not 16 KiB aligned */
	sim_mem_write64(w, a + 8 * IOHGATP, g + 1);
	ck_assert_int_eq(why_of(RID, IOMMU_PASID_NONE), HW_CTX_BAD_CONTEXT);
	/* DPE without PDTV */
	sim_mem_write64(w, a + 8 * IOHGATP, g);
	sim_mem_write64(w, a, V | TC_DPE);
	ck_assert_int_eq(why_of(RID, IOMMU_PASID_NONE), HW_CTX_BAD_CONTEXT);
	/* a reserved tc bit */
	sim_mem_write64(w, a, V | (1ull << 40));
	ck_assert_int_eq(why_of(RID, IOMMU_PASID_NONE), HW_CTX_BAD_CONTEXT);
	sim_mem_write64(w, a, V);
	xl_ok(RID, false, 0, GPA_X, data, 3, 0);
	/* a reserved bit in a non-leaf DDT entry */
	{
		uint64_t root = hw_seg_root(iommu_hw_get(w), 0), e = sim_mem_read64(w, root);

		sim_mem_write64(w, root, e | (1ull << 60));
		ck_assert_int_eq(why_of(RID, IOMMU_PASID_NONE), HW_CTX_BAD_CONTEXT);
		sim_mem_write64(w, root, e & ~V);
		ck_assert_int_eq(why_of(RID, IOMMU_PASID_NONE), HW_CTX_NO_ROOT);
		sim_mem_write64(w, root, e);
	}
	/* a process context with a reserved iosatp mode */
	set(RID, 0, ctx_pt);
	set(RID, 0x105, ctx_s1(5));
	a = pc_addr(RID, 0x105);
	sim_mem_write64(w, a + 8, MODE(11) | PPN(s1.root));
	ck_assert_int_eq(xl_fault(RID, true, 0x105), IOMMU_FAULT_NO_PASID);
	ck_assert_int_eq(why_of(RID, 0x105), HW_CTX_BAD_PASID);
	sim_mem_write64(w, a + 8, MODE(SV39) | PPN(s1.root));
	xl_ok(RID, true, 0x105, IOVA, GPA_X, 3, 2);
}
END_TEST

/* ---- what a write reports, and -ENOMEM ----------------------------------------------------- */

START_TEST(test_wrote_exact)
{
	struct iommu_context c = ctx_s1(4);
	struct iommu_dev_ctx dc = { .pasid_bits = 8, .ats = false };
	unsigned wrote;

	/* probe: the DDT levels are linked */
	ck_assert_int_eq(iommu_hw_program_device(w, 0, RID, &dc, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
	ck_assert_int_eq(iommu_hw_program_device(w, 0, RID, &dc, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	ck_assert_int_eq(prog(RID, 0, &c, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
	ck_assert_int_eq(prog(RID, 0, &c, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	/* ATS alone: the device context */
	dc.ats = true;
	ck_assert_int_eq(iommu_hw_program_device(w, 0, RID, &dc, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE);
	ck_assert(dcw(RID, TC) & TC_EN_ATS);
	/* a second tagged PASID: its process context only */
	ck_assert_int_eq(prog(RID, 1, &c, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
	ck_assert_int_eq(prog(RID, 2, &c, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_PASID);
	ck_assert_int_eq(prog(RID, 2, &c, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	/* clearing one never written */
	ck_assert_int_eq(prog(RID, 3, NULL, &wrote), 0);
	ck_assert_uint_eq(wrote, 0);
	/* the untagged stream's context moves between DC and PC 0 */
	ck_assert_int_eq(prog(RID, 0, &ctx_pt, &wrote), 0);
	ck_assert_uint_eq(wrote, HW_WROTE_DEVICE | HW_WROTE_PASID);
}
END_TEST

/* Allocation comes first: with a frame missing nothing is written and
 * nothing kept; the paths to PC 0 and the PASID share what they can. */
START_TEST(test_enomem)
{
	struct sim_mem_stats before, after;
	struct iommu_context c = ctx_s1(4);
	uint64_t snap[4];

	device(RID, 20, false);
	set(RID, 0, ctx_s1(3));
	for (unsigned i = 0; i < 4; i++)
		snap[i] = dcw(RID, i);
	sim_mem_stats(w, &before);
	/* PD20: root, then for PC 0 and PASID 0x20305 two tables each */
	for (unsigned nth = 1; nth <= 5; nth++) {
		sim_fault_fail_nth(w, "mem_frame_alloc", nth);
		ck_assert_int_eq(prog(RID, 0x20305, &c, NULL), -ENOMEM);
		sim_fault_fail_nth(w, "mem_frame_alloc", 0);
		sim_mem_stats(w, &after);
		ck_assert_uint_eq(after.frames_total, before.frames_total);
		for (unsigned i = 0; i < 4; i++)
			ck_assert_uint_eq(dcw(RID, i), snap[i]);
	}
	sim_fault_fail_nth(w, "mem_frame_alloc", 6);
	ck_assert_int_eq(prog(RID, 0x20305, &c, NULL), 0);
	sim_fault_fail_nth(w, "mem_frame_alloc", 0);
	sim_mem_stats(w, &after);
	ck_assert_uint_eq(after.frames_total, before.frames_total + 5);
	xl_ok(RID, false, 0, IOVA, GPA_X, 3, 3);
	xl_ok(RID, true, 0x20305, IOVA, GPA_X, 3, 3);
	/* a PASID sharing PC 0's leaf table takes nothing new */
	set(RID, 7, ctx_s1(8));
	sim_mem_stats(w, &before);
	ck_assert_uint_eq(before.frames_total, after.frames_total);
	/* the device goes: its PDT with it */
	ck_assert_int_eq(iommu_hw_clear_device(w, 0, RID), 0);
	sim_mem_stats(w, &after);
	ck_assert_uint_eq(after.frames_total, before.frames_total - 5);
	ck_assert_uint_eq(dcw(RID, TC), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctx_riscv");
	TCase *t = tcase_create("ddt");

	tcase_add_loop_test(t, test_ddt_levels, 1, 4);
	tcase_add_test(t, test_ddt_1lvl_beyond);
	suite_add_tcase(s, t);
	t = tcase_create("dc");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_dc_passthrough_blocked);
	tcase_add_test(t, test_dc_translate_nested);
	suite_add_tcase(s, t);
	t = tcase_create("pdt");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_loop_test(t, test_pdt_formats, 0, 3);
	tcase_add_test(t, test_pdt_untagged);
	tcase_add_test(t, test_pdt_nested);
	suite_add_tcase(s, t);
	t = tcase_create("errors");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_admit_errors);
	tcase_add_test(t, test_bad_context);
	tcase_add_test(t, test_wrote_exact);
	tcase_add_test(t, test_enomem);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
