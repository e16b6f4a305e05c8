/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/hw with two stages (spec §E, §F ATS, §H8/§H9).
 *
 * Every test builds a small virtual machine by hand, the way a VMM and a
 * guest would:
 *
 *   guest RAM   GUEST_PAGES pages at GPA_BASE.  Each page is a host frame
 *               of its own, and the frames are handed out in reverse order
 *               (GPA page 0 sits in the highest frame), so an answer that
 *               skipped stage 2, or assumed it linear, comes out wrong.
 *   stage 2     the host's table (HPA frames): every guest page, 4 KiB
 *               leaves, read-write, as a NEST_PARENT HWPT would map the
 *               VMM's buffer.
 *   stage 1     the guest's table, living *in* guest RAM: its frames come
 *               from the first GUEST_POOL guest pages (io_pgtable_mem), so
 *               its root and every table pointer are GPAs.  The remaining
 *               pages are data pages, DATA(i).
 *
 * With 4 KiB leaves in both stages a nested walk with every cache off
 * reads each of the g stage-1 descriptors after an h-level stage-2 walk of
 * its table's GPA, and then walks the final GPA: g(h + 1) + h =
 * (g + 1)(h + 1) - 1 descriptor reads (§E.2).  The tests count them for
 * every level pair each IOMMU kind's formats allow, then turn the caches on
 * one by one and check what each saves, what each invalidation command
 * drops, and what the stale-translation checker says when an invalidation
 * is missing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/mem.h"
#include "sim/world.h"
#include "model/iommu/hw.h"
#include "model/pci/pci.h"

#define RW (IOMMU_READ | IOMMU_WRITE)

#define GPA_BASE    0x10000000ull      /* inside even a 2-level ARM stage 2 (1 GiB) */
#define GUEST_PAGES 32u
#define GUEST_POOL  16u                /* pages 0..15: the guest's table pool */
#define GPA(i)      (GPA_BASE + (uint64_t)(i) * SZ_4K)
#define DATA(i)     GPA(GUEST_POOL + (i))

/* A guest virtual address with non-zero indices at the two lowest levels,
 * below 1 GiB so that a 2-level ARM stage 1 (30 bits) reaches it too. */
#define GVA         0x345000ull
#define RID_A       PCI_RID(3, PCI_DEVFN(2, 0))     /* 03:02.0 */
#define RID_B       PCI_RID(4, PCI_DEVFN(0, 0))     /* 04:00.0 */
#define PASID       5u
#define DID         20u

static const enum iommu_hw_kind kinds[] = { IOMMU_HW_VTD, IOMMU_HW_SMMUV3, IOMMU_HW_RISCV };

/*
 * What a cold lookup of a PASID of a device with 8 PASID bits reads in each
 * kind's own structures (docs/context-structures.md), context and PASID
 * caches off:
 *   VT-d       root entry, context entry | PASID directory, PASID entry
 *   SMMUv3     stream table L1, STE      | CD (a linear CD table of 256)
 *   RISC-V     DDT levels 3 and 2, DC    | PC (PD8: one level of 256)
 * dev: device-level reads (ctx_refs), of them @dir above the device entry
 * (IOMMU_EV_ROOT events); pasid: PASID-level reads, of them @pdir
 * directory levels (IOMMU_EV_PASID_DIR).
 */
static const struct { unsigned dev, dir, pasid, pdir; } reads[] = {
	[IOMMU_HW_VTD] = { 2, 1, 2, 1 },
	[IOMMU_HW_SMMUV3] = { 2, 1, 1, 0 },
	[IOMMU_HW_RISCV] = { 3, 2, 1, 0 },
};

/* ---- the virtual machine ----------------------------------------------------------- */

struct nest {
	struct sim_world *w;
	enum iommu_hw_kind kind;
	unsigned g, h;                  /* stage-1 and stage-2 levels */
	struct io_pgtable s2;           /* host table, HPAs */
	struct io_pgtable s1;           /* guest table, GPAs */
	struct io_pgtable_mem mem;
	uint64_t ram[GUEST_PAGES];      /* the host frame behind guest page i */
	bool used[GUEST_POOL];          /* pool pages holding a stage-1 table */
};

/* The guest's page allocator for its stage-1 tables: the first free run of
 * @frames pool pages, aligned to its size, zeroed as a fresh table must be. */
static int guest_alloc(void *ctx, unsigned frames, uint64_t *addr)
{
	static const uint8_t zero[SIM_PAGE_SIZE];
	struct nest *n = ctx;

	for (unsigned i = 0; i + frames <= GUEST_POOL; i += frames) {
		unsigned j;

		for (j = 0; j < frames && !n->used[i + j]; j++)
			;
		if (j < frames)
			continue;
		for (j = 0; j < frames; j++) {
			n->used[i + j] = true;
			ck_assert_int_eq(sim_mem_write(n->w, n->ram[i + j], zero, sizeof(zero)), 0);
		}
		*addr = GPA(i);
		return 0;
	}
	return -ENOMEM;
}

static void guest_free(void *ctx, uint64_t addr, unsigned frames)
{
	struct nest *n = ctx;

	for (unsigned j = 0; j < frames; j++)
		n->used[(addr - GPA_BASE) / SZ_4K + j] = false;
}

/* The guest writes its tables through its own mapping of its RAM: in the
 * simulator, straight to the backing frame (the IOMMU never goes this way,
 * it asks stage 2). */
static uint64_t guest_to_hpa(void *ctx, uint64_t addr)
{
	struct nest *n = ctx;
	uint64_t i = (addr - GPA_BASE) / SZ_4K;

	ck_assert_uint_lt(i, GUEST_PAGES);
	return n->ram[i];
}

/* A world with the IOMMU of @kind configured as @cfg (its kind replaced),
 * guest RAM mapped by a @h-level stage 2, an empty @g-level guest stage 1. */
static struct nest *nest_new(enum iommu_hw_kind kind, unsigned g, unsigned h,
			     const struct iommu_hw_config *cfg)
{
	struct nest *n = g_new0(struct nest, 1);
	struct iommu_hw_config c = *cfg;
	struct io_pgtable_cfg pc = { .levels = g };
	uint64_t f[GUEST_PAGES];

	n->kind = c.kind = kind;
	n->g = g;
	n->h = h;
	n->w = sim_world_create(7);
	ck_assert_int_eq(iommu_hw_create(n->w, &c), 0);
	/* guest RAM first: its HPAs are then the same on every kind */
	for (unsigned i = 0; i < GUEST_PAGES; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(n->w, SIM_FRAME_USER, &f[i]), 0);
	for (unsigned i = 0; i < GUEST_PAGES; i++)
		n->ram[i] = f[GUEST_PAGES - 1 - i];
	ck_assert_int_eq(io_pgtable_init(&n->s2, n->w, iommu_hw_fmt(kind, IO_PGTABLE_STAGE2, h),
					 h), 0);
	for (unsigned i = 0; i < GUEST_PAGES; i++)
		ck_assert_int_eq(io_pgtable_map(&n->s2, GPA(i), n->ram[i], SZ_4K, RW), 0);
	n->mem = (struct io_pgtable_mem){ .alloc = guest_alloc, .free = guest_free,
					  .to_hpa = guest_to_hpa, .ctx = n };
	ck_assert_int_eq(io_pgtable_init_mem(&n->s1, n->w,
					     iommu_hw_fmt(kind, IO_PGTABLE_STAGE1, g), &pc,
					     &n->mem), 0);
	/* the guest's root is a GPA, the first pool page */
	ck_assert_uint_eq(n->s1.root, GPA_BASE);
	return n;
}

static void nest_free(struct nest *n)
{
	io_pgtable_destroy(&n->s1);
	io_pgtable_destroy(&n->s2);
	for (unsigned i = 0; i < GUEST_PAGES; i++)
		sim_mem_frame_put(n->w, n->ram[i]);
	sim_world_destroy(n->w);
	g_free(n);
}

/* Caches all off: every translation walks from the root (test 1). */
static const struct iommu_hw_config cold_cfg = {
	.fault_queue_len = 16, .pasid_bits = IOMMU_HW_MAX_PASID_BITS,
};

/* The usual caches; @check asks the checker to watch every cache answer. */
static struct iommu_hw_config warm_cfg(unsigned psc, unsigned pc, bool check)
{
	return (struct iommu_hw_config){ .iotlb_entries = 64, .psc_entries = psc,
					 .pasid_cache_entries = pc, .atc_entries = 16,
					 .fault_queue_len = 16,
					 .pasid_bits = IOMMU_HW_MAX_PASID_BITS, .check = check };
}

static struct iommu_context nested_ctx(const struct nest *n, uint16_t did)
{
	return (struct iommu_context){ .type = IOMMU_CTX_NESTED, .did = did,
				       .s1_root = n->s1.root, .s1_levels = n->g,
				       .s2_root = n->s2.root, .s2_levels = n->h };
}

/* Program (@rid, 8-bit PASIDs, @ats) and its PASID @pasid as nested in @did. */
static void attach_nested(struct nest *n, uint16_t rid, uint32_t pasid, uint16_t did, bool ats)
{
	struct iommu_dev_ctx dc = { .pasid_bits = 8, .ats = ats };
	struct iommu_context c = nested_ctx(n, did);

	ck_assert_int_eq(iommu_hw_set_device(n->w, 0, rid, &dc), 0);
	ck_assert_int_eq(iommu_hw_set_pasid(n->w, 0, rid, pasid, &c), 0);
}

static void gmap(struct nest *n, uint64_t gva, uint64_t gpa, unsigned prot)
{
	ck_assert_int_eq(io_pgtable_map(&n->s1, gva, gpa, SZ_4K, prot), 0);
}

/* The VMM changes the stage-2 permission of guest page @gpa. */
static void s2_reprot(struct nest *n, uint64_t gpa, unsigned prot)
{
	uint64_t i = (gpa - GPA_BASE) / SZ_4K;

	ck_assert_int_eq(io_pgtable_unmap(&n->s2, gpa, SZ_4K), (int64_t)SZ_4K);
	ck_assert_int_eq(io_pgtable_map(&n->s2, gpa, n->ram[i], SZ_4K, prot), 0);
}

/* The GPA of the guest's level-@level table on the way to @gva. */
static uint64_t s1_table(struct nest *n, uint64_t gva, unsigned level)
{
	struct io_pgtable_walk wk;

	ck_assert_int_eq(io_pgtable_lookup(&n->s1, gva, &wk), 0);
	ck_assert_uint_ne(wk.tables[level], 0);
	return wk.tables[level];
}

static int xlp(struct nest *n, uint16_t rid, uint32_t pasid, uint64_t addr, bool write,
	       struct iommu_xlate *x)
{
	return iommu_hw_translate(n->w, 0, rid, true, pasid, addr, write, x);
}

static struct iommu_hw_stats hw_stats(struct sim_world *w)
{
	struct iommu_hw_stats st;

	iommu_hw_stats(w, &st);
	return st;
}

static int inv1(struct sim_world *w, struct iommu_inv_cmd c)
{
	return (int)iommu_hw_invalidate(w, &c, 1);
}

/* The checker's report on every live cache entry, and its problem count. */
static int check(struct sim_world *w, GString *out)
{
	g_string_truncate(out, 0);
	return iommu_hw_check_caches(w, out);
}

static int take(struct sim_world *w, GString *out)
{
	g_string_truncate(out, 0);
	return iommu_hw_take_violations(w, out);
}

/* A cache's live entries, oldest first (device TLBs by requester id). */
static int collect(const struct iommu_cache_entry *e, void *ctx)
{
	g_array_append_val((GArray *)ctx, *e);
	return 0;
}

static GArray *cache_entries(struct sim_world *w, enum iommu_cache_id which)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct iommu_cache_entry));

	ck_assert_int_eq(iommu_hw_cache_for_each(w, which, collect, a), 0);
	return a;
}

static unsigned cache_count(struct sim_world *w, enum iommu_cache_id which)
{
	GArray *a = cache_entries(w, which);
	unsigned n = a->len;

	g_array_free(a, TRUE);
	return n;
}

#define assert_has(s, needle) \
	ck_assert_msg(strstr((s)->str, (needle)) != NULL, "'%s' not in '%s'", (needle), (s)->str)

/* Walk events by kind: what a translation read, in order. */
struct evcount {
	unsigned root, context, pdir, pentry;
	unsigned s1, s2_fetch, s2_final;    /* DESC events */
	unsigned psc_hits, last_ref;
	bool fetch_before_each_s1;          /* every S1 read followed a stage-2 walk */
	unsigned s2_run;                    /* stage-2 fetch reads since the last S1 read */
	unsigned h;
};

static void count_ev(void *ctx, const struct iommu_walk_event *e)
{
	struct evcount *c = ctx;

	if (e->ref)
		c->last_ref = e->ref;
	switch (e->ev) {
	case IOMMU_EV_ROOT: c->root++; break;
	case IOMMU_EV_CONTEXT: c->context++; break;
	case IOMMU_EV_PASID_DIR: c->pdir++; break;
	case IOMMU_EV_PASID_ENTRY: c->pentry++; break;
	case IOMMU_EV_PSC_HIT: c->psc_hits++; break;
	case IOMMU_EV_DESC:
		if (e->stage == 1) {
			c->s1++;
			/* §E.2: exactly one h-level stage-2 walk before each */
			if (c->s2_run != c->h)
				c->fetch_before_each_s1 = false;
			c->s2_run = 0;
		} else if (e->s1_fetch) {
			c->s2_fetch++;
			c->s2_run++;
		} else {
			c->s2_final++;
		}
		break;
	default:
		break;
	}
}

/* ---- 1. cold nested walks ------------------------------------------------------------ */

/*
 * §E.2: every stage-1 descriptor fetch is a stage-2-translated read.  With
 * no IOTLB, no paging-structure cache and no PASID cache, a nested walk of
 * g stage-1 over h stage-2 levels reads (g + 1)(h + 1) - 1 descriptors:
 * g stage-1 reads, g * h stage-2 reads for the tables, h for the final GPA.
 * The root/context pair and the PASID directory/entry pair are counted
 * apart (2 + 2).  Every level pair each kind has is run.
 */
START_TEST(test_nested_cold_walk_refs)
{
	/* the pairs each kind must have: vtd-fs 4/5 over vtd-ss 3/4/5, ARM
	 * 2..4 over 2..4, RISC-V Sv39/48/57 over Sv39x4/48x4/57x4 */
	static const unsigned pairs[] = { [IOMMU_HW_VTD] = 6, [IOMMU_HW_SMMUV3] = 9,
					  [IOMMU_HW_RISCV] = 9 };
	unsigned seen_24 = 0, seen_35 = 0, seen_19 = 0;

	ck_assert_ptr_null(iommu_hw_fmt(IOMMU_HW_VTD, IO_PGTABLE_STAGE1, 3));
	ck_assert_ptr_null(iommu_hw_fmt(IOMMU_HW_SMMUV3, IO_PGTABLE_STAGE1, 5));
	ck_assert_ptr_null(iommu_hw_fmt(IOMMU_HW_SMMUV3, IO_PGTABLE_STAGE2, 5));
	ck_assert_ptr_null(iommu_hw_fmt(IOMMU_HW_RISCV, IO_PGTABLE_STAGE2, 2));
	for (unsigned k = 0; k < G_N_ELEMENTS(kinds); k++) {
		unsigned ran = 0;

		for (unsigned g = 2; g <= 5; g++) {
			for (unsigned h = 2; h <= 5; h++) {
				const unsigned want = (g + 1) * (h + 1) - 1;
				struct evcount ev = { .fetch_before_each_s1 = true, .h = h };
				struct iommu_hw_stats st;
				struct iommu_xlate x;
				struct nest *n;

				if (!iommu_hw_fmt(kinds[k], IO_PGTABLE_STAGE1, g) ||
				    !iommu_hw_fmt(kinds[k], IO_PGTABLE_STAGE2, h))
					continue;
				ran++;
				n = nest_new(kinds[k], g, h, &cold_cfg);
				gmap(n, GVA, DATA(0), RW);
				attach_nested(n, RID_A, PASID, DID, false);
				iommu_hw_set_observer(n->w, count_ev, &ev);
				for (int rep = 0; rep < 2; rep++) {
					ck_assert_int_eq(xlp(n, RID_A, PASID, GVA + 0x123, rep, &x), 0);
					ck_assert_msg(x.pt_refs == want,
						      "%s %u+%u: %u refs, want %u",
						      iommu_hw_kind_name(kinds[k]), g, h, x.pt_refs,
						      want);
					ck_assert_uint_eq(x.s1_refs, g);
					ck_assert_uint_eq(x.s2_refs, h * (g + 1));
					ck_assert_uint_eq(x.ctx_refs, reads[kinds[k]].dev);
					ck_assert_uint_eq(x.pasid_refs, reads[kinds[k]].pasid);
					ck_assert(!x.iotlb_hit && !x.pasid_cache_hit && !x.psc_hits);
					ck_assert_uint_eq(x.hpa, n->ram[GUEST_POOL] + 0x123);
					ck_assert_uint_eq(x.prot, RW);
					ck_assert_uint_eq(x.page_size, SZ_4K);
				}
				/* the events tell the same story, reference by reference */
				ck_assert(ev.root == 2 * reads[kinds[k]].dir && ev.context == 2 &&
					  ev.pdir == 2 * reads[kinds[k]].pdir && ev.pentry == 2 &&
					  ev.psc_hits == 0);
				ck_assert_uint_eq(ev.s1, 2 * g);
				ck_assert_uint_eq(ev.s2_fetch, 2 * g * h);
				ck_assert_uint_eq(ev.s2_final, 2 * h);
				ck_assert(ev.fetch_before_each_s1);
				ck_assert_uint_eq(ev.last_ref, reads[kinds[k]].dev +
							       reads[kinds[k]].pasid + want);
				st = hw_stats(n->w);
				ck_assert(st.translations == 2 && st.walks == 2 &&
					  st.pt_refs == 2 * want &&
					  st.ctx_refs == 2 * reads[kinds[k]].dev &&
					  st.pasid_refs == 2 * reads[kinds[k]].pasid &&
					  st.iotlb_entries == 0 &&
					  st.psc_hits == 0 && st.pasid_cache_hits == 0);
				seen_24 += g == 4 && h == 4;
				seen_35 += g == 5 && h == 5;
				seen_19 += g == 4 && h == 3;
				iommu_hw_set_observer(n->w, NULL, NULL);
				nest_free(n);
			}
		}
		ck_assert_msg(ran == pairs[kinds[k]], "%s: %u level pairs",
			      iommu_hw_kind_name(kinds[k]), ran);
	}
	/* 4+4 (24) and 4 over 3 (19) on all three kinds, 5+5 (35) on vtd and riscv */
	ck_assert(seen_24 == 3 && seen_19 == 3 && seen_35 == 2);
}
END_TEST

/* ---- 2. S1 ∩ S2 and fault records -------------------------------------------------- */

static void assert_fault(const struct iommu_fault_rec *f, uint64_t addr, bool write,
			 enum iommu_fault_reason reason, unsigned stage,
			 enum iommu_fault_phase phase, uint64_t stage_addr)
{
	ck_assert_uint_eq(f->segment, 0);
	ck_assert_uint_eq(f->rid, RID_A);
	ck_assert(f->pasid_valid);
	ck_assert_uint_eq(f->pasid, PASID);
	ck_assert_uint_eq(f->addr, addr);
	ck_assert(f->write == write);
	ck_assert_int_eq(f->reason, reason);
	ck_assert_uint_eq(f->stage, stage);
	ck_assert_int_eq(f->phase, phase);
	ck_assert_uint_eq(f->stage_addr, stage_addr);
	ck_assert(!f->ats);
}

/*
 * §E.4 effective permission = S1 ∩ S2; §E.5 the fault record names the
 * stage, the reason, the phase (the access itself, or a stage-1 descriptor
 * fetch that stage 2 refused) and the stage's own address: the IOVA for
 * stage 1, the GPA for stage 2.
 */
START_TEST(test_nested_permission_and_fault_records)
{
	const uint64_t ro2 = GVA, ro1 = GVA + SZ_4K;   /* S2 read-only, S1 read-only */
	struct iommu_fault_rec rec;
	struct iommu_xlate x;
	struct nest *n;
	uint64_t l1;
	uint8_t buf[8] = "written", back[8];

	for (unsigned k = 0; k < G_N_ELEMENTS(kinds); k++) {
		struct iommu_hw_config cfg = warm_cfg(0, 0, false);

		n = nest_new(kinds[k], 4, 4, &cfg);
		gmap(n, ro2, DATA(0), RW);
		gmap(n, ro1, DATA(1), IOMMU_READ);
		s2_reprot(n, DATA(0), IOMMU_READ);
		attach_nested(n, RID_A, PASID, DID, false);

		/* RW under RO stage 2: reads pass, writes fault in stage 2 at the GPA */
		ck_assert_int_eq(xlp(n, RID_A, PASID, ro2 + 0x10, false, &x), 0);
		ck_assert(x.prot == IOMMU_READ && x.hpa == n->ram[GUEST_POOL] + 0x10);
		ck_assert_int_eq(xlp(n, RID_A, PASID, ro2 + 0x18, true, &x), -EFAULT);
		ck_assert(x.iotlb_hit);     /* the combined entry keeps both stages' rights */
		assert_fault(&x.fault, ro2 + 0x18, true, IOMMU_FAULT_PERMISSION, 2,
			     IOMMU_PHASE_FINAL, DATA(0) + 0x18);
		iommu_hw_inv_all(n->w);
		ck_assert_int_eq(xlp(n, RID_A, PASID, ro2 + 0x20, true, &x), -EFAULT);
		ck_assert(!x.iotlb_hit && x.pt_refs == 24);     /* and from a walk */
		assert_fault(&x.fault, ro2 + 0x20, true, IOMMU_FAULT_PERMISSION, 2,
			     IOMMU_PHASE_FINAL, DATA(0) + 0x20);

		/* RO stage 1 over RW stage 2: the fault is stage 1's, at the IOVA */
		ck_assert_int_eq(xlp(n, RID_A, PASID, ro1 + 0x30, true, &x), -EFAULT);
		assert_fault(&x.fault, ro1 + 0x30, true, IOMMU_FAULT_PERMISSION, 1,
			     IOMMU_PHASE_FINAL, ro1 + 0x30);
		ck_assert_uint_eq(x.prot, IOMMU_READ);

		/* a DMA stops at the fault, nothing lands, the record says why */
		memset(back, 0, sizeof(back));
		ck_assert_int_eq(sim_mem_write(n->w, n->ram[GUEST_POOL], back, sizeof(back)), 0);
		ck_assert_int_eq(iommu_hw_dma(n->w, 0, RID_A, true, PASID, ro2, buf, sizeof(buf),
					      true, &rec), -EFAULT);
		assert_fault(&rec, ro2, true, IOMMU_FAULT_PERMISSION, 2, IOMMU_PHASE_FINAL,
			     DATA(0));
		ck_assert_int_eq(sim_mem_read(n->w, n->ram[GUEST_POOL], back, sizeof(back)), 0);
		ck_assert_uint_eq(back[0], 0);

		/* the guest's level-1 table page is not mapped by stage 2: the
		 * fourth stage-1 fetch faults in stage 2, phase "S1 fetch", at
		 * the table's GPA, after 3 * (4 + 1) + 4 reads */
		l1 = s1_table(n, ro2, 1);
		ck_assert_int_eq(io_pgtable_unmap(&n->s2, l1, SZ_4K), (int64_t)SZ_4K);
		iommu_hw_inv_all(n->w);
		ck_assert_int_eq(xlp(n, RID_A, PASID, ro2 + 8, false, &x), -EFAULT);
		assert_fault(&x.fault, ro2 + 8, false, IOMMU_FAULT_NOT_PRESENT, 2,
			     IOMMU_PHASE_S1_FETCH, l1);
		ck_assert(x.s1_refs == 3 && x.s2_refs == 16 && x.pt_refs == 19);

		/* the queue holds the same records, in order */
		ck_assert_uint_eq(iommu_hw_fault_count(n->w), 5);
		assert_fault(iommu_hw_fault_at(n->w, 0), ro2 + 0x18, true,
			     IOMMU_FAULT_PERMISSION, 2, IOMMU_PHASE_FINAL, DATA(0) + 0x18);
		assert_fault(iommu_hw_fault_at(n->w, 2), ro1 + 0x30, true,
			     IOMMU_FAULT_PERMISSION, 1, IOMMU_PHASE_FINAL, ro1 + 0x30);
		assert_fault(iommu_hw_fault_at(n->w, 4), ro2 + 8, false,
			     IOMMU_FAULT_NOT_PRESENT, 2, IOMMU_PHASE_S1_FETCH, l1);
		ck_assert_uint_eq(iommu_hw_fault_at(n->w, 4)->seq, 5);

		/* VT-d second-stage entries can say write-only: a table page the
		 * IOMMU may not read is a stage-2 permission fault on the fetch */
		if (kinds[k] == IOMMU_HW_VTD) {
			struct io_pgtable_walk wk;

			ck_assert_int_eq(io_pgtable_map(&n->s2, l1, n->ram[(l1 - GPA_BASE) / SZ_4K],
							SZ_4K, IOMMU_WRITE), 0);
			ck_assert_int_eq(io_pgtable_lookup(&n->s2, l1, &wk), 0);
			ck_assert_uint_eq(wk.prot, IOMMU_WRITE);
			iommu_hw_inv_all(n->w);
			ck_assert_int_eq(xlp(n, RID_A, PASID, ro2, false, &x), -EFAULT);
			assert_fault(&x.fault, ro2, false, IOMMU_FAULT_PERMISSION, 2,
				     IOMMU_PHASE_S1_FETCH, l1);
		}
		nest_free(n);
	}
}
END_TEST

/*
 * VT-d's fault reasons for two stages (hw.h, hw_fault.c): a PASID-tagged
 * nested translation exists only in scalable mode, so its records carry
 * scalable mode's codes: the first stage's own (0x71 absent, 0x80 beyond its
 * width), the second stage's refusal of the final access (0x85 write, 0x86
 * read, an absent entry alike), a first-stage output beyond the second
 * stage (0x74), and the second stage refusing a first-stage table fetch:
 * the root table (0x75), a lower one (0x76), beyond its width (0x74).
 */
static unsigned nested_code(struct nest *n, uint64_t gva, bool write,
			    enum iommu_fault_reason reason, unsigned stage,
			    enum iommu_fault_phase phase)
{
	struct iommu_xlate x;

	iommu_hw_inv_all(n->w);
	ck_assert_int_eq(xlp(n, RID_A, PASID, gva, write, &x), -EFAULT);
	ck_assert(x.fault.reason == reason && x.fault.stage == stage && x.fault.phase == phase);
	return x.fault.code;
}

START_TEST(test_vtd_nested_fault_codes)
{
	struct iommu_hw_config cfg = warm_cfg(0, 0, false);
	struct nest *n = nest_new(IOMMU_HW_VTD, 4, 4, &cfg);
	uint64_t root_hpa = n->ram[0], e;

	gmap(n, GVA, DATA(0), RW);
	s2_reprot(n, DATA(0), IOMMU_READ);
	gmap(n, GVA + SZ_4K, DATA(1), IOMMU_READ);
	gmap(n, GVA + 3 * SZ_4K, GPA(GUEST_PAGES), RW);     /* a GPA stage 2 lacks */
	gmap(n, GVA + 4 * SZ_4K, 1ull << 48, RW);           /* beyond its 48 bits */
	attach_nested(n, RID_A, PASID, DID, false);

	ck_assert_uint_eq(nested_code(n, GVA, true, IOMMU_FAULT_PERMISSION, 2,
				      IOMMU_PHASE_FINAL), IOMMU_VTD_FR_SM_WRITE);
	ck_assert_uint_eq(nested_code(n, GVA + SZ_4K, true, IOMMU_FAULT_PERMISSION, 1,
				      IOMMU_PHASE_FINAL), IOMMU_VTD_FR_SM_WRITE);
	ck_assert_uint_eq(nested_code(n, GVA + 2 * SZ_4K, false, IOMMU_FAULT_NOT_PRESENT, 1,
				      IOMMU_PHASE_FINAL), IOMMU_VTD_FR_SM_FS_NOT_PRESENT);
	ck_assert_uint_eq(nested_code(n, GVA + 3 * SZ_4K, false, IOMMU_FAULT_NOT_PRESENT, 2,
				      IOMMU_PHASE_FINAL), IOMMU_VTD_FR_SM_READ);
	ck_assert_uint_eq(nested_code(n, GVA + 4 * SZ_4K, true, IOMMU_FAULT_ADDR_SIZE, 2,
				      IOMMU_PHASE_FINAL), IOMMU_VTD_FR_SM_FS_ADDR_BEYOND);
	ck_assert_uint_eq(nested_code(n, 1ull << 48, false, IOMMU_FAULT_ADDR_SIZE, 1,
				      IOMMU_PHASE_FINAL), IOMMU_VTD_FR_SM_NOT_CANONICAL);

	/* the second stage loses a lower first-stage table, then the root */
	ck_assert_int_eq(io_pgtable_unmap(&n->s2, s1_table(n, GVA, 1), SZ_4K), (int64_t)SZ_4K);
	ck_assert_uint_eq(nested_code(n, GVA, false, IOMMU_FAULT_NOT_PRESENT, 2,
				      IOMMU_PHASE_S1_FETCH), IOMMU_VTD_FR_SM_FS_TABLE_NO_READ);
	ck_assert_int_eq(io_pgtable_unmap(&n->s2, GPA_BASE, SZ_4K), (int64_t)SZ_4K);
	ck_assert_uint_eq(nested_code(n, GVA, false, IOMMU_FAULT_NOT_PRESENT, 2,
				      IOMMU_PHASE_S1_FETCH), IOMMU_VTD_FR_SM_FS_ROOT_NO_READ);
	ck_assert_int_eq(io_pgtable_map(&n->s2, GPA_BASE, root_hpa, SZ_4K, RW), 0);

	/* the guest points its root entry past stage 2's width */
	e = sim_mem_read64(n->w, root_hpa);
	ck_assert_uint_eq(e & 1, 1);
	sim_mem_write64(n->w, root_hpa, (e & 0xfffull) | 1ull << 48);
	ck_assert_uint_eq(nested_code(n, GVA, false, IOMMU_FAULT_ADDR_SIZE, 2,
				      IOMMU_PHASE_S1_FETCH), IOMMU_VTD_FR_SM_FS_ADDR_BEYOND);
	sim_mem_write64(n->w, root_hpa, e);
	nest_free(n);
}
END_TEST

/*
 * §E.4 and the IOTLB: a combined entry spans the smaller of the two
 * leaves, since only there is GVA -> HPA linear.  A 2 MiB guest leaf over
 * 4 KiB stage-2 pages (guest RAM is scattered in host memory) gives 4 KiB
 * entries; a 4 KiB guest leaf over a 2 MiB stage-2 block too; 2 MiB over
 * 2 MiB gives a 2 MiB entry that serves the whole block.
 */
START_TEST(test_nested_combined_span)
{
	const uint64_t big = 0x40000000ull, gpa_blk = 0x20000000ull;
	GArray *tlb;

	for (unsigned k = 0; k < G_N_ELEMENTS(kinds); k++) {
		struct iommu_hw_config cfg = warm_cfg(0, 0, true);
		struct nest *n = nest_new(kinds[k], 4, 4, &cfg);
		const struct iommu_cache_entry *e;
		struct iommu_xlate x;
		GString *s = g_string_new(NULL);
		uint64_t blk;

		/* a host-contiguous, 2 MiB-aligned run for the stage-2 block */
		ck_assert_int_eq(sim_mem_frames_alloc_contig(n->w, SIM_FRAME_USER, 512, &blk), 0);
		ck_assert_int_eq(io_pgtable_map(&n->s2, gpa_blk, blk, SZ_2M, RW), 0);
		ck_assert_int_eq(io_pgtable_map(&n->s1, big, GPA_BASE, SZ_2M, RW), 0);
		gmap(n, big + SZ_2M, gpa_blk + 5 * SZ_4K, RW);
		ck_assert_int_eq(io_pgtable_map(&n->s1, big + 2 * SZ_2M, gpa_blk, SZ_2M, RW), 0);
		attach_nested(n, RID_A, PASID, DID, false);

		/* 2M over 4K: 3 stage-1 levels, 4 KiB entries */
		ck_assert_int_eq(xlp(n, RID_A, PASID, big + 16 * SZ_4K + 0x10, false, &x), 0);
		ck_assert(x.hpa == n->ram[16] + 0x10 && x.page_size == SZ_4K && x.s1_refs == 3);
		ck_assert_int_eq(xlp(n, RID_A, PASID, big + 17 * SZ_4K + 0x10, false, &x), 0);
		ck_assert(!x.iotlb_hit && x.hpa == n->ram[17] + 0x10);
		/* 4K over a 2M block: 4 KiB, the block's fifth page; the final
		 * stage-2 walk stops at the level-2 block (4 fetches of 4, then 3) */
		ck_assert_int_eq(xlp(n, RID_A, PASID, big + SZ_2M + 8, false, &x), 0);
		ck_assert(x.page_size == SZ_4K && x.hpa == blk + 5 * SZ_4K + 8);
		ck_assert_uint_eq(x.s2_refs, 4 * 4 + 3);
		/* 2M over 2M: one entry for the whole block */
		ck_assert_int_eq(xlp(n, RID_A, PASID, big + 2 * SZ_2M, false, &x), 0);
		ck_assert(x.page_size == SZ_2M && x.hpa == blk);
		ck_assert_int_eq(xlp(n, RID_A, PASID, big + 2 * SZ_2M + 300 * SZ_4K + 4, true, &x), 0);
		ck_assert(x.iotlb_hit && x.hpa == blk + 300 * SZ_4K + 4 && x.prot == RW);

		tlb = cache_entries(n->w, IOMMU_CACHE_IOTLB);
		ck_assert_uint_eq(tlb->len, 4);
		e = &g_array_index(tlb, struct iommu_cache_entry, 0);
		ck_assert(e->tag == DID && e->pasid == PASID && e->iova == big + 16 * SZ_4K &&
			  e->size == SZ_4K && e->hpa == n->ram[16] && e->aux == DATA(0) &&
			  (e->kind & 3) == IOMMU_TLB_COMBINED && ((e->kind >> 4) & 3) == RW &&
			  ((e->kind >> 6) & 3) == RW);
		e = &g_array_index(tlb, struct iommu_cache_entry, 3);
		ck_assert(e->iova == big + 2 * SZ_2M && e->size == SZ_2M && e->hpa == blk &&
			  e->aux == gpa_blk);
		g_array_free(tlb, TRUE);
		ck_assert_int_eq(check(n->w, s), 0);
		ck_assert_int_eq(take(n->w, s), 0);
		ck_assert_int_eq(io_pgtable_unmap(&n->s2, gpa_blk, SZ_2M), (int64_t)SZ_2M);
		for (unsigned i = 512; i--;)
			sim_mem_frame_put(n->w, blk + i * SZ_4K);
		g_string_free(s, TRUE);
		nest_free(n);
	}
}
END_TEST

/* ---- 3. one stage, and PASID selection --------------------------------------------- */

/*
 * §E.1: the PASID entry selects stage 1 only (root an HPA), stage 2 only,
 * or both.  A PASID with no entry, or beyond the device's PASID width, is
 * a "no PASID" fault at stage 0, after exactly the reads that found out.
 */
START_TEST(test_single_stage_and_pasid_selection)
{
	for (unsigned k = 0; k < G_N_ELEMENTS(kinds); k++) {
		struct iommu_hw_config cfg = warm_cfg(0, 0, false);
		struct iommu_dev_ctx dc = { .pasid_bits = 8 };
		struct iommu_context c;
		struct io_pgtable s1h;
		struct iommu_xlate x;
		struct nest *n;

		cfg.pasid_bits = 10;
		n = nest_new(kinds[k], 4, 4, &cfg);
		ck_assert_int_eq(iommu_hw_set_device(n->w, 0, RID_A, &dc), 0);

		/* stage 1 only: a host table, HPA root, 4 reads, none of stage 2 */
		ck_assert_int_eq(io_pgtable_init(&s1h, n->w,
						 iommu_hw_fmt(kinds[k], IO_PGTABLE_STAGE1, 4), 4), 0);
		ck_assert_int_eq(io_pgtable_map(&s1h, GVA, n->ram[3], SZ_4K, IOMMU_READ), 0);
		c = (struct iommu_context){ .type = IOMMU_CTX_S1, .did = 2, .s1_root = s1h.root,
					    .s1_levels = 4 };
		ck_assert_int_eq(iommu_hw_set_pasid(n->w, 0, RID_A, 1, &c), 0);
		ck_assert_int_eq(xlp(n, RID_A, 1, GVA + 0x44, false, &x), 0);
		ck_assert(x.hpa == n->ram[3] + 0x44 && x.prot == IOMMU_READ);
		ck_assert(x.pt_refs == 4 && x.s1_refs == 4 && x.s2_refs == 0);
		ck_assert_int_eq(xlp(n, RID_A, 1, GVA, true, &x), -EFAULT);
		ck_assert(x.fault.reason == IOMMU_FAULT_PERMISSION && x.fault.stage == 1 &&
			  x.fault.stage_addr == GVA);

		/* stage 2 only, the RID path (VT-d's PASID entry 0): h reads.
		 * SMMUv3 and RISC-V have one stage 2 per device (the STE's S2
		 * fields, the DC's iohgatp), under every CD / process context:
		 * a stage-2-only RID cannot sit beside a PASID with its own
		 * host stage 1 (-EBUSY, arm_smmu_attach_dev's "SSIDs in use"),
		 * so that PASID goes first */
		c = (struct iommu_context){ .type = IOMMU_CTX_TRANSLATE, .did = 3,
					    .s2_root = n->s2.root, .s2_levels = 4 };
		if (kinds[k] != IOMMU_HW_VTD) {
			ck_assert_int_eq(iommu_hw_set_context(n->w, 0, RID_A, &c), -EBUSY);
			ck_assert_int_eq(iommu_hw_clear_pasid(n->w, 0, RID_A, 1), 0);
		}
		ck_assert_int_eq(iommu_hw_set_context(n->w, 0, RID_A, &c), 0);
		ck_assert_int_eq(iommu_hw_translate(n->w, 0, RID_A, false, 0, DATA(2) + 8, true,
						    &x), 0);
		ck_assert(x.hpa == n->ram[GUEST_POOL + 2] + 8 && x.prot == RW);
		ck_assert(x.pt_refs == 4 && x.s2_refs == 4 && x.s1_refs == 0 && !x.iotlb_hit);
		if (kinds[k] == IOMMU_HW_VTD) {
			/* stage-2-only entries are not PASID-tagged: the same
			 * domain through a PASID hits the entry the RID path
			 * filled */
			ck_assert_int_eq(iommu_hw_set_pasid(n->w, 0, RID_A, 2, &c), 0);
			ck_assert_int_eq(xlp(n, RID_A, 2, DATA(2), false, &x), 0);
			ck_assert(x.iotlb_hit && x.pt_refs == 0);
		} else {
			/* no stage-2-only CD or process context: a PASID there
			 * is a guest's stage 1 over the device's stage 2 */
			struct iommu_context nc = nested_ctx(n, 4);

			ck_assert_int_eq(iommu_hw_set_pasid(n->w, 0, RID_A, 2, &c), -EINVAL);
			nc.s2_did = 3;
			ck_assert_int_eq(iommu_hw_set_pasid(n->w, 0, RID_A, 2, &nc), 0);
		}
		/* a stage-2-only miss faults in stage 2 at its input, the GPA */
		ck_assert_int_eq(iommu_hw_translate(n->w, 0, RID_A, false, 0, GPA(GUEST_PAGES),
						    false, &x), -EFAULT);
		ck_assert(x.fault.reason == IOMMU_FAULT_NOT_PRESENT && x.fault.stage == 2 &&
			  x.fault.stage_addr == GPA(GUEST_PAGES) && x.pt_refs == 4);

		/* PASID 7: the table of PASIDs 0..63 exists, its entry does not */
		ck_assert_int_eq(xlp(n, RID_A, 7, GVA, false, &x), -EFAULT);
		ck_assert(x.fault.reason == IOMMU_FAULT_NO_PASID && x.fault.stage == 0 &&
			  x.fault.pasid_valid && x.fault.pasid == 7 && x.fault.rid == RID_A);
		ck_assert(x.ctx_refs == reads[kinds[k]].dev &&
			  x.pasid_refs == reads[kinds[k]].pasid && x.pt_refs == 0);
		/* PASID 130: VT-d's directory entry is empty, one read less;
		 * the others read the empty entry itself */
		ck_assert_int_eq(xlp(n, RID_A, 130, GVA, false, &x), -EFAULT);
		ck_assert(x.fault.reason == IOMMU_FAULT_NO_PASID && x.pasid_refs == 1);
		/* PASID 256: beyond the device's 8 bits.  SMMUv3 (S1CDMax) and
		 * RISC-V (PD8) size the table to them: no PASID read at all;
		 * VT-d's smallest directory (PDTS 0) covers 2^13 PASIDs, so it
		 * reads the empty directory entry */
		ck_assert_int_eq(xlp(n, RID_A, 256, GVA, false, &x), -EFAULT);
		ck_assert(x.fault.reason == IOMMU_FAULT_NO_PASID && x.fault.pasid == 256 &&
			  x.ctx_refs == reads[kinds[k]].dev &&
			  x.pasid_refs == (kinds[k] == IOMMU_HW_VTD ? 1u : 0u));
		ck_assert_int_eq(iommu_hw_set_pasid(n->w, 0, RID_A, 256, &c), -EINVAL);
		/* a device may not be wider than the IOMMU (10 bits here) */
		dc.pasid_bits = 11;
		ck_assert_int_eq(iommu_hw_set_device(n->w, 0, RID_B, &dc), -EINVAL);
		/* beyond a stage's input size: an address-size fault of that
		 * stage, before any descriptor is read (stage 1: VT-d's host
		 * table at PASID 1, the others' guest table at PASID 2) */
		ck_assert_int_eq(iommu_hw_translate(n->w, 0, RID_A, false, 0,
						    1ull << io_pgtable_ias(&n->s2), false, &x),
				 -EFAULT);
		ck_assert(x.fault.reason == IOMMU_FAULT_ADDR_SIZE && x.fault.stage == 2 &&
			  x.fault.stage_addr == 1ull << io_pgtable_ias(&n->s2) && x.pt_refs == 0);
		ck_assert_int_eq(xlp(n, RID_A, kinds[k] == IOMMU_HW_VTD ? 1 : 2,
				     1ull << io_pgtable_ias(&s1h), false, &x), -EFAULT);
		ck_assert(x.fault.reason == IOMMU_FAULT_ADDR_SIZE && x.fault.stage == 1 &&
			  x.pt_refs == 0);
		/* a blocked PASID: its entry made not valid on every kind (the
		 * drivers clear it), a no-PASID fault at stage 0 */
		c = (struct iommu_context){ .type = IOMMU_CTX_BLOCKED, .did = 4 };
		ck_assert_int_eq(iommu_hw_set_pasid(n->w, 0, RID_A, 9, &c), 0);
		ck_assert_int_eq(xlp(n, RID_A, 9, GVA, false, &x), -EFAULT);
		ck_assert(x.fault.reason == IOMMU_FAULT_NO_PASID && x.fault.stage == 0);
		/* untagged DMA once the RID's context is gone: no context */
		ck_assert_int_eq(iommu_hw_clear_context(n->w, 0, RID_A), 0);
		ck_assert_int_eq(iommu_hw_translate(n->w, 0, RID_A, false, 0, 0, false, &x),
				 -EFAULT);
		ck_assert(x.fault.reason == IOMMU_FAULT_NO_CONTEXT && !x.fault.pasid_valid);
		/* every fault above was queued, in order: the stage-1 permission
		 * fault, the stage-2 hole, PASIDs 7, 130 and 256, the two
		 * address-size faults, the blocked PASID, the missing context */
		ck_assert_uint_eq(iommu_hw_fault_count(n->w), 9);
		ck_assert_int_eq(iommu_hw_fault_at(n->w, 3)->reason, IOMMU_FAULT_NO_PASID);
		ck_assert_uint_eq(iommu_hw_fault_at(n->w, 3)->pasid, 130);

		io_pgtable_destroy(&s1h);
		nest_free(n);
	}
}
END_TEST

/* ---- 4. the paging-structure cache ------------------------------------------------- */

/*
 * The PSC keeps non-leaf descriptors of both stages (stage-2 entries
 * untagged, stage-1 entries tagged with the PASID) and a walk starts below
 * the lowest cached table.  Guest tables and data share one 2 MiB region
 * of GPA space, so once stage 2's level-1 table for it is cached every
 * stage-2 walk is one read.  4+4 on each kind:
 *   cold               S1 miss; the root's GPA walked (4) and the root
 *                      read (1); 3 more tables, 1 + 1 each; the final GPA
 *                      1: 4 + 1 + 3 * 2 + 1 = 12
 *   IOTLB-only inval   S1 starts at its level-1 table, whose HPA the PSC
 *   (RANGE, leaf)      kept: 1 + final 1 = 2
 *   RANGE, non-leaf    the stage-1 entries go, the untagged stage-2 ones
 *                      stay: 4 * (1 + 1) + 1 = 9
 *   DOMAIN             everything of the domain: 12 again
 */
START_TEST(test_paging_structure_cache)
{
	for (unsigned k = 0; k < G_N_ELEMENTS(kinds); k++) {
		struct iommu_hw_config cfg = warm_cfg(64, 0, true);
		struct iommu_inv_cmd leaf = { .type = IOMMU_INV_IOTLB_RANGE, .did = DID,
					      .pasid = PASID, .iova = GVA, .size = SZ_4K,
					      .leaf = true };
		struct iommu_inv_cmd nonleaf = leaf;
		struct iommu_hw_stats st0, st;
		struct iommu_xlate x;
		struct nest *n;
		GString *s = g_string_new(NULL);

		nonleaf.leaf = false;
		n = nest_new(kinds[k], 4, 4, &cfg);
		gmap(n, GVA, DATA(0), RW);
		gmap(n, GVA + SZ_1G, DATA(1), RW);   /* shares the root and level-3 tables */
		attach_nested(n, RID_A, PASID, DID, false);

		ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, false, &x), 0);
		ck_assert(x.pt_refs == 12 && x.s1_refs == 4 && x.s2_refs == 8 && x.psc_hits == 4);
		st = hw_stats(n->w);
		ck_assert(st.psc_hits == 4 && st.psc_misses == 2);

		/* an IOTLB hit reads nothing */
		ck_assert_int_eq(xlp(n, RID_A, PASID, GVA + 8, false, &x), 0);
		ck_assert(x.iotlb_hit && x.pt_refs == 0 && x.psc_hits == 0);

		/* IOTLB-only invalidation: 12 -> 2 */
		ck_assert_int_eq(inv1(n->w, leaf), 1);
		st0 = hw_stats(n->w);
		ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, false, &x), 0);
		ck_assert(!x.iotlb_hit && x.hpa == n->ram[GUEST_POOL]);
		ck_assert(x.pt_refs == 2 && x.s1_refs == 1 && x.s2_refs == 1 && x.psc_hits == 2);
		st = hw_stats(n->w);
		ck_assert(st.psc_hits - st0.psc_hits == 2 && st.psc_misses == st0.psc_misses);
		ck_assert_uint_eq(st.pt_refs - st0.pt_refs, 2);

		/* another 1 GiB region: the 512 GiB entry starts stage 1 at the
		 * shared level-3 table (1 read, its HPA cached); two new tables
		 * fetched (2 each); the final GPA (1) */
		ck_assert_int_eq(xlp(n, RID_A, PASID, GVA + SZ_1G, false, &x), 0);
		ck_assert(x.hpa == n->ram[GUEST_POOL + 1] && x.pt_refs == 6 && x.s1_refs == 3 &&
			  x.psc_hits == 4);

		/* non-leaf range: the combined entry and the 3 stage-1 entries
		 * covering GVA go; stage 2's stay */
		ck_assert_int_eq(inv1(n->w, nonleaf), 4);
		ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, false, &x), 0);
		ck_assert(x.pt_refs == 9 && x.s1_refs == 4 && x.s2_refs == 5 && x.psc_hits == 5);

		/* domain: 2 IOTLB entries, stage 1's 3 + 2 (the second region's
		 * level-2 and level-1 tables) and stage 2's 3 */
		ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_DOMAIN,
							      .did = DID,
							      .pasid = IOMMU_PASID_NONE }),
				 2 + 5 + 3);
		ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, false, &x), 0);
		ck_assert(x.pt_refs == 12 && x.psc_hits == 4);
		/* a well-behaved sequence: nothing stale anywhere */
		ck_assert_int_eq(check(n->w, s), 0);
		ck_assert_int_eq(take(n->w, s), 0);
		g_string_free(s, TRUE);
		nest_free(n);
	}
}
END_TEST

/* ---- 5. the PASID cache ------------------------------------------------------------- */

/* A stage-1-only domain @did over a host table mapping GVA to @hpa. */
static void set_s1(struct sim_world *w, struct io_pgtable *pt, uint16_t rid, uint32_t pasid,
		   uint16_t did, uint64_t hpa)
{
	struct iommu_context c = { .type = IOMMU_CTX_S1, .did = did, .s1_levels = 4 };

	if (!pt->root) {
		ck_assert_int_eq(io_pgtable_init(pt, w, &io_pgtable_vtd_fs, 4), 0);
		ck_assert_int_eq(io_pgtable_map(pt, GVA, hpa, SZ_4K, RW), 0);
	}
	c.s1_root = pt->root;
	ck_assert_int_eq(iommu_hw_set_pasid(w, 0, rid, pasid, &c), 0);
}

/*
 * §E.6: a PASID-entry edit needs a PASID-cache invalidation.  Until it
 * comes the cached entry keeps selecting the old domain, and the checker
 * (§H8) says which invalidation is missing; after it the new one is read.
 */
START_TEST(test_pasid_cache)
{
	struct iommu_hw_config cfg = warm_cfg(0, 8, true);
	struct iommu_dev_ctx dc = { .pasid_bits = 8 };
	struct io_pgtable ta = { 0 }, tb = { 0 }, tc = { 0 };
	struct iommu_hw_stats st;
	struct iommu_xlate x;
	struct nest *n = nest_new(IOMMU_HW_VTD, 4, 4, &cfg);
	const uint64_t old = n->ram[20], new = n->ram[21];
	GString *s = g_string_new(NULL);

	ck_assert_int_eq(iommu_hw_set_device(n->w, 0, RID_A, &dc), 0);
	ck_assert_int_eq(iommu_hw_set_device(n->w, 0, RID_B, &dc), 0);
	set_s1(n->w, &ta, RID_A, 1, 10, old);
	set_s1(n->w, &tc, RID_A, 2, 12, old);
	set_s1(n->w, &tc, RID_B, 1, 12, old);

	ck_assert_int_eq(xlp(n, RID_A, 1, GVA, false, &x), 0);
	ck_assert(!x.pasid_cache_hit && x.pasid_refs == 2 && x.ctx_refs == 2);
	ck_assert_int_eq(xlp(n, RID_A, 1, GVA, false, &x), 0);
	ck_assert(x.pasid_cache_hit && x.pasid_refs == 0 && x.ctx_refs == 2 && x.hpa == old);
	st = hw_stats(n->w);
	ck_assert(st.pasid_cache_hits == 1 && st.pasid_cache_misses == 1);

	/* the kernel rewrites PASID 1 (domain 10 -> 11) and flushes the old
	 * domain's IOTLB, but forgets the PASID cache */
	set_s1(n->w, &tb, RID_A, 1, 11, new);
	iommu_hw_inv_domain(n->w, 10);
	ck_assert_int_eq(check(n->w, s), 1);
	assert_has(s, "§H8 stale PASID-cache entry: 0000:03:02.0 pasid 1 caches type s1 did 10, "
		      "memory now holds s1 did 11: missing PASID-cache invalidation (pc_inv_dsc) after "
		      "the PASID entry changed");
	/* served: the old domain's table, the old page */
	ck_assert_int_eq(xlp(n, RID_A, 1, GVA, false, &x), 0);
	ck_assert(x.pasid_cache_hit && x.hpa == old);
	ck_assert_int_eq(take(n->w, s), 1);
	assert_has(s, "§H8 stale PASID-cache entry served: 0000:03:02.0 pasid 1 caches type s1 "
		      "did 10");
	/* ... and the walk it made refilled domain 10, which nothing selects */
	ck_assert_int_eq(check(n->w, s), 2);
	assert_has(s, "no PASID entry selects that domain any more");

	/* the invalidation: exactly one entry, this PASID's */
	ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE,
						      .segment = 0, .rid = RID_A, .pasid = 1 }),
			 1);
	iommu_hw_inv_domain(n->w, 10);
	ck_assert_int_eq(check(n->w, s), 0);
	ck_assert_int_eq(xlp(n, RID_A, 1, GVA, false, &x), 0);
	ck_assert(!x.pasid_cache_hit && x.pasid_refs == 2 && x.hpa == new);
	ck_assert_int_eq(xlp(n, RID_A, 2, GVA, false, &x), 0);
	ck_assert(!x.pasid_cache_hit);                  /* first use of PASID 2 */
	ck_assert_int_eq(xlp(n, RID_B, 1, GVA, false, &x), 0);
	ck_assert(!x.pasid_cache_hit);

	/* every PASID of 03:02.0 at once (two entries); 04:00.0's stays */
	ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE,
						      .rid = RID_A,
						      .pasid = IOMMU_PASID_NONE }), 2);
	ck_assert_int_eq(xlp(n, RID_A, 1, GVA, false, &x), 0);
	ck_assert(!x.pasid_cache_hit);
	ck_assert_int_eq(xlp(n, RID_A, 2, GVA, false, &x), 0);
	ck_assert(!x.pasid_cache_hit);
	ck_assert_int_eq(xlp(n, RID_B, 1, GVA, false, &x), 0);
	ck_assert(x.pasid_cache_hit);
	ck_assert_int_eq(take(n->w, s), 0);
	ck_assert_int_eq(check(n->w, s), 0);

	io_pgtable_destroy(&ta);
	io_pgtable_destroy(&tb);
	io_pgtable_destroy(&tc);
	g_string_free(s, TRUE);
	nest_free(n);
}
END_TEST

/*
 * §E.6: the context cache keeps each kind's decoded device entry (VT-d's
 * context entry, SMMUv3's STE, RISC-V's device context), so a translation
 * that hits reads no context memory; a device-entry edit needs a
 * context-cache invalidation (cc_inv_dsc, CMD_CFGI_STE, IODIR.INVAL_DDT),
 * and until it comes the checker names the stale entry, served or not.
 */
START_TEST(test_context_cache)
{
	for (unsigned k = 0; k < G_N_ELEMENTS(kinds); k++) {
		struct iommu_hw_config cfg = warm_cfg(0, 8, true);
		struct iommu_dev_ctx dc = { .pasid_bits = 8 };
		struct io_pgtable ta = { 0 };
		struct iommu_hw_stats st;
		struct iommu_xlate x;
		struct nest *n;
		GString *s = g_string_new(NULL);
		unsigned wrote;
		uint64_t page;

		cfg.ctx_cache_entries = 4;
		n = nest_new(kinds[k], 4, 4, &cfg);
		page = n->ram[20];
		ck_assert_int_eq(iommu_hw_program_device(n->w, 0, RID_A, &dc, &wrote), 0);
		ck_assert(wrote & IOMMU_WROTE_DEVICE);
		/* the kind's own stage-1 format (set_s1 would build it) */
		ck_assert_int_eq(io_pgtable_init(&ta, n->w,
						 iommu_hw_fmt(kinds[k], IO_PGTABLE_STAGE1, 4), 4), 0);
		ck_assert_int_eq(io_pgtable_map(&ta, GVA, page, SZ_4K, RW), 0);
		set_s1(n->w, &ta, RID_A, 1, 10, page);

		/* cold: the device and PASID entries read; warm: both caches hit */
		ck_assert_int_eq(xlp(n, RID_A, 1, GVA, false, &x), 0);
		ck_assert(!x.ctx_cache_hit && x.ctx_refs == reads[kinds[k]].dev &&
			  !x.pasid_cache_hit && x.pasid_refs == reads[kinds[k]].pasid);
		ck_assert_int_eq(xlp(n, RID_A, 1, GVA + 8, false, &x), 0);
		ck_assert_msg(x.ctx_cache_hit && x.ctx_refs == 0 && x.pasid_cache_hit &&
			      x.pasid_refs == 0 && x.iotlb_hit && x.hpa == page + 8,
			      "%s: ctx hit %d refs %u, pasid hit %d refs %u, iotlb %d",
			      iommu_hw_kind_name(kinds[k]), x.ctx_cache_hit, x.ctx_refs,
			      x.pasid_cache_hit, x.pasid_refs, x.iotlb_hit);
		st = hw_stats(n->w);
		ck_assert(st.ctx_cache_hits == 1 && st.ctx_cache_misses == 1);

		/* the kernel turns ATS on: the device entry changes, and with
		 * no invalidation the cached one is stale */
		dc.ats = true;
		ck_assert_int_eq(iommu_hw_program_device(n->w, 0, RID_A, &dc, &wrote), 0);
		ck_assert_msg(wrote == IOMMU_WROTE_DEVICE, "%s: wrote %u",
			      iommu_hw_kind_name(kinds[k]), wrote);
		ck_assert_int_eq(check(n->w, s), 1);
		assert_has(s, "§H8 stale context-cache entry: 0000:03:02.0: the cached ");
		assert_has(s, iommu_inv_cmd_name(kinds[k], IOMMU_INV_CTX_CACHE));
		ck_assert_int_eq(take(n->w, s), 0);
		ck_assert_int_eq(xlp(n, RID_A, 1, GVA, false, &x), 0);
		ck_assert(x.ctx_cache_hit);
		ck_assert_int_eq(take(n->w, s), 1);
		assert_has(s, "§H8 stale context-cache entry served: 0000:03:02.0");

		/* the invalidation drops exactly that entry; the next request
		 * reads the device entry again */
		ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_CTX_CACHE,
							      .segment = 0, .rid = RID_A }), 1);
		ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_CTX_CACHE,
							      .segment = 0, .rid = RID_A }), 0);
		ck_assert_int_eq(check(n->w, s), 0);
		ck_assert_int_eq(xlp(n, RID_A, 1, GVA, false, &x), 0);
		ck_assert(!x.ctx_cache_hit && x.ctx_refs == reads[kinds[k]].dev && x.pasid_cache_hit);

		/* programming what is already there writes nothing */
		ck_assert_int_eq(iommu_hw_program_device(n->w, 0, RID_A, &dc, &wrote), 0);
		ck_assert_uint_eq(wrote, 0);
		io_pgtable_destroy(&ta);
		g_string_free(s, TRUE);
		nest_free(n);
	}
}
END_TEST

/* ---- 6. ATS -------------------------------------------------------------------------- */

/* What the IOMMU itself did: untouched by a translated request. */
static void assert_iommu_idle(const struct iommu_hw_stats *a, const struct iommu_hw_stats *b)
{
	ck_assert(a->translations == b->translations && a->walks == b->walks &&
		  a->ctx_refs == b->ctx_refs && a->pasid_refs == b->pasid_refs &&
		  a->pt_refs == b->pt_refs && a->iotlb_hits == b->iotlb_hits &&
		  a->iotlb_misses == b->iotlb_misses && a->ats_requests == b->ats_requests &&
		  a->faults == b->faults);
}

/*
 * §F ATS: a device with ATS asks the IOMMU for a translation once, caches
 * the answer in its device TLB and then sends translated requests, which
 * bypass the IOMMU.  A device-TLB invalidation removes the entry; a "no
 * access" answer is not a fault record.
 */
START_TEST(test_ats_device_tlb)
{
	struct iommu_hw_config cfg = warm_cfg(0, 0, false);
	struct iommu_hw_stats a, b;
	struct iommu_fault_rec rec;
	const struct iommu_cache_entry *e;
	struct nest *n = nest_new(IOMMU_HW_VTD, 4, 4, &cfg);
	char buf[16] = "through the ATC", back[16] = { 0 };
	GArray *atc;

	gmap(n, GVA, DATA(0), RW);
	gmap(n, GVA + SZ_4K, DATA(1), IOMMU_READ);
	attach_nested(n, RID_A, PASID, DID, true);

	/* the first page: a translation request, then a translated write */
	a = hw_stats(n->w);
	ck_assert_int_eq(iommu_hw_dma(n->w, 0, RID_A, true, PASID, GVA + 0x100, buf, sizeof(buf),
				      true, NULL), 0);
	b = hw_stats(n->w);
	ck_assert(b.ats_requests - a.ats_requests == 1 && b.atc_misses - a.atc_misses == 1 &&
		  b.translated_requests - a.translated_requests == 1 && b.atc_hits == a.atc_hits);
	ck_assert(b.walks - a.walks == 1 && b.iotlb_misses - a.iotlb_misses == 1);
	/* the request is a cold nested 4+4 walk: its memory references count
	 * like an untranslated request's, though it is not one */
	ck_assert(b.pt_refs - a.pt_refs == 24 &&
		  b.ctx_refs - a.ctx_refs == reads[n->kind].dev &&
		  b.pasid_refs - a.pasid_refs == reads[n->kind].pasid &&
		  b.translations == a.translations);
	ck_assert_int_eq(sim_mem_read(n->w, n->ram[GUEST_POOL] + 0x100, back, sizeof(back)), 0);
	ck_assert(memcmp(back, buf, sizeof(buf)) == 0);
	atc = cache_entries(n->w, IOMMU_CACHE_ATC);
	ck_assert_uint_eq(atc->len, 1);
	e = &g_array_index(atc, struct iommu_cache_entry, 0);
	ck_assert(e->tag == RID_A && e->pasid == PASID && e->iova == GVA && e->size == SZ_4K &&
		  e->hpa == n->ram[GUEST_POOL] && e->prot == RW && e->aux == 0);
	g_array_free(atc, TRUE);

	/* translated requests: the IOMMU sees nothing, even with its own
	 * caches emptied */
	iommu_hw_inv_all(n->w);
	a = hw_stats(n->w);
	memset(back, 0, sizeof(back));
	ck_assert_int_eq(iommu_hw_dma(n->w, 0, RID_A, true, PASID, GVA + 0x100, back,
				      sizeof(back), false, NULL), 0);
	ck_assert(memcmp(back, buf, sizeof(buf)) == 0);
	b = hw_stats(n->w);
	assert_iommu_idle(&a, &b);
	ck_assert(b.atc_hits - a.atc_hits == 1 && b.translated_requests - a.translated_requests == 1);
	ck_assert_uint_eq(b.iotlb_entries, 0);

	/* another PASID's entries are not this one's */
	ck_assert_int_eq(iommu_hw_dma(n->w, 0, RID_A, true, PASID + 1, GVA, back, 1, false, &rec),
			 -EFAULT);
	ck_assert(rec.ats && rec.reason == IOMMU_FAULT_NO_PASID);

	/* the device-TLB invalidation (and its wait) drops it */
	ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB,
						      .rid = RID_A, .pasid = PASID }), 1);
	ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_WAIT }), 0);
	ck_assert_uint_eq(cache_count(n->w, IOMMU_CACHE_ATC), 0);
	a = hw_stats(n->w);
	ck_assert_int_eq(iommu_hw_dma(n->w, 0, RID_A, true, PASID, GVA, back, 1, false, NULL), 0);
	b = hw_stats(n->w);
	ck_assert(b.ats_requests - a.ats_requests == 1 && b.atc_hits == a.atc_hits);

	/* "no access": the DMA ends, nothing is queued, no fault counted */
	a = hw_stats(n->w);
	ck_assert_int_eq(iommu_hw_dma(n->w, 0, RID_A, true, PASID, GVA + 2 * SZ_4K, back, 1, false,
				      &rec), -EFAULT);
	ck_assert(rec.ats && rec.reason == IOMMU_FAULT_NOT_PRESENT && rec.stage == 1 &&
		  rec.stage_addr == GVA + 2 * SZ_4K);
	/* a cached read-only answer does not allow a write: a new request,
	 * refused */
	ck_assert_int_eq(iommu_hw_dma(n->w, 0, RID_A, true, PASID, GVA + SZ_4K, back, 1, false,
				      NULL), 0);
	ck_assert_int_eq(iommu_hw_dma(n->w, 0, RID_A, true, PASID, GVA + SZ_4K, buf, 1, true,
				      &rec), -EFAULT);
	ck_assert(rec.ats && rec.reason == IOMMU_FAULT_PERMISSION && rec.stage == 1);
	b = hw_stats(n->w);
	/* no ATS answer in this test left a record, PASID 6's included */
	ck_assert(b.faults == a.faults && iommu_hw_fault_count(n->w) == 0);
	ck_assert_uint_eq(b.ats_requests - a.ats_requests, 3);
	nest_free(n);
}
END_TEST

/* ---- 7. each invalidation command -------------------------------------------------- */

/*
 * The cast of test 7, on one vtd IOMMU with every cache:
 *   slot 0,1  03:02.0 RID path   stage 2 only, did 1   IOTLB (1, none)
 *   slot 2,3  03:02.0 PASID 1    stage 1 only, did 2   IOTLB (2, 1)
 *   slot 4,5  03:02.0 PASID 2    stage 1 only, did 2   IOTLB (2, 2)
 *   slot 6,7  04:00.0 RID path   stage 2 only, did 3   IOTLB (3, none)
 * two pages each (0x1000, 0x2000).  Every 4-level walk leaves 3 PSC
 * entries per (did, tag): 12 in all.
 */
struct slot {
	uint16_t rid;
	bool pv;
	uint32_t pasid;
	uint64_t iova;
};

static const struct slot slots[] = {
	{ RID_A, false, 0, 0x1000 }, { RID_A, false, 0, 0x2000 },
	{ RID_A, true, 1, 0x1000 },  { RID_A, true, 1, 0x2000 },
	{ RID_A, true, 2, 0x1000 },  { RID_A, true, 2, 0x2000 },
	{ RID_B, false, 0, 0x1000 }, { RID_B, false, 0, 0x2000 },
};
#define NSLOTS G_N_ELEMENTS(slots)
#define ALL_SLOTS ((1u << NSLOTS) - 1)

struct inv_world {
	struct sim_world *w;
	struct io_pgtable s2a, s2b, s1;
	uint64_t f[4];
};

static void inv_world_init(struct inv_world *v)
{
	struct iommu_hw_config cfg = warm_cfg(64, 16, true);
	struct iommu_dev_ctx dc = { .pasid_bits = 8 };
	struct iommu_context c;

	v->w = sim_world_create(11);
	ck_assert_int_eq(iommu_hw_create(v->w, &cfg), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(v->w, SIM_FRAME_USER, &v->f[i]), 0);
	ck_assert_int_eq(io_pgtable_init(&v->s2a, v->w, &io_pgtable_vtd_ss, 4), 0);
	ck_assert_int_eq(io_pgtable_init(&v->s2b, v->w, &io_pgtable_vtd_ss, 4), 0);
	ck_assert_int_eq(io_pgtable_init(&v->s1, v->w, &io_pgtable_vtd_fs, 4), 0);
	ck_assert_int_eq(io_pgtable_map(&v->s2a, 0x1000, v->f[0], 2 * SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&v->s2b, 0x1000, v->f[2], 2 * SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&v->s1, 0x1000, v->f[1], SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_map(&v->s1, 0x2000, v->f[3], SZ_4K, RW), 0);
	ck_assert_int_eq(iommu_hw_set_device(v->w, 0, RID_A, &dc), 0);
	c = (struct iommu_context){ .type = IOMMU_CTX_TRANSLATE, .did = 1, .s2_root = v->s2a.root,
				    .s2_levels = 4 };
	ck_assert_int_eq(iommu_hw_set_context(v->w, 0, RID_A, &c), 0);
	c = (struct iommu_context){ .type = IOMMU_CTX_S1, .did = 2, .s1_root = v->s1.root,
				    .s1_levels = 4 };
	ck_assert_int_eq(iommu_hw_set_pasid(v->w, 0, RID_A, 1, &c), 0);
	ck_assert_int_eq(iommu_hw_set_pasid(v->w, 0, RID_A, 2, &c), 0);
	c = (struct iommu_context){ .type = IOMMU_CTX_TRANSLATE, .did = 3, .s2_root = v->s2b.root,
				    .s2_levels = 4 };
	ck_assert_int_eq(iommu_hw_set_context(v->w, 0, RID_B, &c), 0);
}

static void inv_world_fini(struct inv_world *v)
{
	io_pgtable_destroy(&v->s2a);
	io_pgtable_destroy(&v->s2b);
	io_pgtable_destroy(&v->s1);
	for (int i = 0; i < 4; i++)
		sim_mem_frame_put(v->w, v->f[i]);
	sim_world_destroy(v->w);
}

/* Translate every slot; bit i of the result: slot i hit the IOTLB (of
 * *pc: the PASID cache; of *psc: a miss that started below the root). */
static unsigned probe(struct inv_world *v, unsigned *pc, unsigned *psc)
{
	unsigned hits = 0, p = 0, q = 0;

	for (unsigned i = 0; i < NSLOTS; i++) {
		struct iommu_xlate x;

		ck_assert_int_eq(iommu_hw_translate(v->w, 0, slots[i].rid, slots[i].pv,
						    slots[i].pasid, slots[i].iova, true, &x), 0);
		hits |= (unsigned)x.iotlb_hit << i;
		p |= (unsigned)x.pasid_cache_hit << i;
		q |= (unsigned)(x.psc_hits != 0) << i;
		/* a walk below a cached table reads 1 descriptor, else 4 */
		if (!x.iotlb_hit)
			ck_assert_uint_eq(x.pt_refs, x.psc_hits ? 1 : 4);
	}
	if (pc)
		*pc = p;
	if (psc)
		*psc = q;
	return hits;
}

/* PSC entries of (@tag, @pasid). */
static unsigned psc_of(struct sim_world *w, uint32_t tag, uint32_t pasid)
{
	GArray *a = cache_entries(w, IOMMU_CACHE_PSC);
	unsigned n = 0;

	for (guint i = 0; i < a->len; i++) {
		const struct iommu_cache_entry *e = &g_array_index(a, struct iommu_cache_entry, i);

		n += e->tag == tag && e->pasid == pasid;
	}
	g_array_free(a, TRUE);
	return n;
}

/* Run @cmd on a warm world: the count it reports, the slots still hitting
 * the IOTLB, the slots whose walk used the PSC. */
static void inv_case(struct inv_world *v, struct iommu_inv_cmd cmd, int dropped,
		     unsigned iotlb_hits, unsigned psc_used)
{
	unsigned psc, hits;

	probe(v, NULL, NULL);
	ck_assert_uint_eq(probe(v, NULL, NULL), ALL_SLOTS);        /* all warm */
	ck_assert_uint_eq(cache_count(v->w, IOMMU_CACHE_PSC), 12);
	ck_assert_int_eq(inv1(v->w, cmd), dropped);
	hits = probe(v, NULL, &psc);
	ck_assert_msg(hits == iotlb_hits, "%s: hits 0x%x, want 0x%x",
		      iommu_inv_type_name(cmd.type), hits, iotlb_hits);
	ck_assert_msg(psc == psc_used, "%s: psc 0x%x, want 0x%x", iommu_inv_type_name(cmd.type),
		      psc, psc_used);
}

/*
 * §E.6: each invalidation drops what it names and nothing else.  The
 * counts returned are exact (IOTLB + PSC entries); survivors are seen as
 * IOTLB hits, and a dropped IOTLB entry whose PSC entries survived walks
 * one level instead of four.
 */
START_TEST(test_invalidation_commands)
{
	const struct iommu_inv_cmd all = { .type = IOMMU_INV_IOTLB_ALL,
					   .pasid = IOMMU_PASID_NONE };
	struct inv_world v;
	struct sim_world *w;
	unsigned pc;
	GString *s = g_string_new(NULL);

	inv_world_init(&v);
	w = v.w;
	/* everything: 8 IOTLB + 12 PSC; the second page of each pair then
	 * finds the PSC its first page refilled */
	inv_case(&v, all, 8 + 12, 0, 0xaa);
	/* domain 2, both PASIDs: 4 IOTLB + 6 PSC */
	inv_case(&v, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_DOMAIN, .did = 2,
					     .pasid = IOMMU_PASID_NONE },
		 4 + 6, ALL_SLOTS & ~0x3cu, 0x28);
	/* (domain 2, PASID 1) only */
	inv_case(&v, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_PASID, .did = 2, .pasid = 1 },
		 2 + 3, ALL_SLOTS & ~0x0cu, 0x08);
	/* (domain 1, untagged): the RID path's stage-2 entries */
	inv_case(&v, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_PASID, .did = 1,
					     .pasid = IOMMU_PASID_NONE },
		 2 + 3, ALL_SLOTS & ~0x03u, 0x02);
	/* a range of one page, leaves only: that page's entry; the PSC stays */
	inv_case(&v, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE, .did = 2, .pasid = 2,
					     .iova = 0x2000, .size = SZ_4K, .leaf = true },
		 1, ALL_SLOTS & ~0x20u, 0x20);
	/* the same range, non-leaf: the 3 PSC entries covering it go too */
	inv_case(&v, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE, .did = 2, .pasid = 2,
					     .iova = 0x2000, .size = SZ_4K },
		 1 + 3, ALL_SLOTS & ~0x20u, 0);
	/* an untagged range of domain 3, leaves only */
	inv_case(&v, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE, .did = 3,
					     .pasid = IOMMU_PASID_NONE, .iova = 0x1000,
					     .size = 2 * SZ_4K, .leaf = true },
		 2, ALL_SLOTS & ~0xc0u, 0xc0);
	/* a range beyond the first 512 GiB: no entry covers it, nothing */
	inv_case(&v, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE, .did = 3,
					     .pasid = IOMMU_PASID_NONE, .iova = 1ull << 40,
					     .size = SZ_4K },
		 0, ALL_SLOTS, 0);
	/* a non-leaf range at 1 GiB holds no leaf, but the root's pointer to
	 * the level-3 table spans 512 GiB and covers it: that one entry goes */
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE, .did = 3,
						   .pasid = IOMMU_PASID_NONE, .iova = SZ_1G,
						   .size = SZ_4K }), 1);
	ck_assert_uint_eq(psc_of(w, 1, IOMMU_PASID_NONE), 3);
	ck_assert_uint_eq(psc_of(w, 2, 1), 3);
	ck_assert_uint_eq(psc_of(w, 2, 2), 3);
	ck_assert_uint_eq(psc_of(w, 3, IOMMU_PASID_NONE), 2);
	ck_assert_uint_eq(probe(&v, NULL, NULL), ALL_SLOTS);

	/* the PASID cache: one entry, then a whole device; no IOTLB entry
	 * moves.  The 8 slots use 4 PASID entries (A/0, A/1, A/2, B/0), all
	 * cached since the first probe: no IOTLB command touched them */
	ck_assert_uint_eq(probe(&v, &pc, NULL), ALL_SLOTS);
	ck_assert_uint_eq(pc, ALL_SLOTS);
	ck_assert_uint_eq(hw_stats(w).pasid_cache_misses, 4);
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE, .rid = RID_A,
						   .pasid = 1 }), 1);
	ck_assert_uint_eq(probe(&v, &pc, NULL), ALL_SLOTS);
	ck_assert_uint_eq(pc, ALL_SLOTS & ~0x04u);
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE, .rid = RID_B,
						   .pasid = 3 }), 0);   /* never cached */
	/* the whole device: A's three live entries */
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE, .rid = RID_A,
						   .pasid = IOMMU_PASID_NONE }), 3);
	/* PASID 2's entry went with it: nothing left to drop */
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE, .rid = RID_A,
						   .pasid = 2 }), 0);
	ck_assert_uint_eq(probe(&v, &pc, NULL), ALL_SLOTS);
	ck_assert_uint_eq(pc, 0xc0u | 0x2au);         /* B, and A's second users */
	/* IOTLB commands leave the PASID cache alone */
	inv1(w, all);
	probe(&v, &pc, NULL);
	ck_assert_uint_eq(pc, ALL_SLOTS);

	/* WAIT drops nothing */
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_WAIT }), 0);
	ck_assert_uint_eq(probe(&v, NULL, NULL), ALL_SLOTS);
	ck_assert_uint_eq(hw_stats(w).inv_waits, 1);
	ck_assert_int_eq(check(w, s), 0);
	g_string_free(s, TRUE);
	inv_world_fini(&v);
}
END_TEST

/* The device-TLB commands: per device, per PASID tag, per range. */
struct atc_key {
	uint16_t rid;
	uint32_t pasid;
	uint64_t iova;
};

static bool atc_has(struct sim_world *w, struct atc_key k)
{
	GArray *a = cache_entries(w, IOMMU_CACHE_ATC);
	bool found = false;

	for (guint i = 0; i < a->len; i++) {
		const struct iommu_cache_entry *e = &g_array_index(a, struct iommu_cache_entry, i);

		found |= e->tag == k.rid && e->pasid == k.pasid && e->iova == k.iova;
	}
	g_array_free(a, TRUE);
	return found;
}

/* Fill the ATCs: A untagged 0x1000, 0x2000; A PASID 1 0x1000; B untagged 0x1000. */
static void atc_fill(struct inv_world *v)
{
	uint8_t b;

	ck_assert_int_eq(iommu_hw_dma(v->w, 0, RID_A, false, 0, 0x1000, &b, 1, false, NULL), 0);
	ck_assert_int_eq(iommu_hw_dma(v->w, 0, RID_A, false, 0, 0x2000, &b, 1, false, NULL), 0);
	ck_assert_int_eq(iommu_hw_dma(v->w, 0, RID_A, true, 1, 0x1000, &b, 1, false, NULL), 0);
	ck_assert_int_eq(iommu_hw_dma(v->w, 0, RID_B, false, 0, 0x1000, &b, 1, false, NULL), 0);
	ck_assert_uint_eq(cache_count(v->w, IOMMU_CACHE_ATC), 4);
}

/*
 * §F ATS / §E.6: a device-TLB invalidation names a device, a PASID tag (or
 * none: the untagged entries; none and no range: the whole device TLB) and
 * a range.  It touches no IOTLB entry, and no other device's TLB.  It
 * completes at the next WAIT.
 */
START_TEST(test_devtlb_invalidation)
{
	const struct atc_key a1 = { RID_A, IOMMU_PASID_NONE, 0x1000 },
		a2 = { RID_A, IOMMU_PASID_NONE, 0x2000 }, ap = { RID_A, 1, 0x1000 },
		b1 = { RID_B, IOMMU_PASID_NONE, 0x1000 };
	struct iommu_dev_ctx dc = { .pasid_bits = 8, .ats = true };
	struct iommu_dev_ctx dcb = { .pasid_bits = 0, .ats = true };
	struct inv_world v;
	struct sim_world *w;
	uint64_t iotlb;
	GString *s = g_string_new(NULL);

	inv_world_init(&v);
	w = v.w;
	ck_assert_int_eq(iommu_hw_set_device(w, 0, RID_A, &dc), 0);   /* ATS on */
	ck_assert_int_eq(iommu_hw_set_device(w, 0, RID_B, &dcb), 0);
	atc_fill(&v);
	iotlb = hw_stats(w).iotlb_entries;
	ck_assert_uint_eq(iotlb, 4);

	/* one page of A's untagged entries */
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB, .rid = RID_A,
						   .pasid = IOMMU_PASID_NONE, .iova = 0x2000,
						   .size = SZ_4K }), 1);
	ck_assert(atc_has(w, a1) && !atc_has(w, a2) && atc_has(w, ap) && atc_has(w, b1));
	ck_assert_uint_eq(hw_stats(w).iotlb_entries, iotlb);
	/* never waited for: the checker says so, and only that */
	ck_assert_int_eq(check(w, s), 1);
	assert_has(s, "§E.6 1 device-TLB invalidation(s) never waited for");
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_WAIT }), 0);
	ck_assert_int_eq(check(w, s), 0);

	/* A's PASID 1, whole tag */
	atc_fill(&v);
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB, .rid = RID_A,
						   .pasid = 1 }), 1);
	ck_assert(atc_has(w, a1) && atc_has(w, a2) && !atc_has(w, ap) && atc_has(w, b1));
	/* all of A, tagged or not; B keeps its entry */
	atc_fill(&v);
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB, .rid = RID_A,
						   .pasid = IOMMU_PASID_NONE }), 3);
	ck_assert(!atc_has(w, a1) && !atc_has(w, a2) && !atc_has(w, ap) && atc_has(w, b1));
	ck_assert_uint_eq(hw_stats(w).iotlb_entries, iotlb);
	/* a device without ATS has no device TLB: nothing to drop */
	ck_assert_int_eq(inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB, .rid = 0x0700,
						   .pasid = IOMMU_PASID_NONE }), 0);
	ck_assert_int_eq(check(w, s), 1);     /* three DEVTLBs since the WAIT */
	assert_has(s, "§E.6 3 device-TLB invalidation(s) never waited for");
	inv1(w, (struct iommu_inv_cmd){ .type = IOMMU_INV_WAIT });
	ck_assert_int_eq(check(w, s), 0);
	g_string_free(s, TRUE);
	inv_world_fini(&v);
}
END_TEST

/* ---- 8. the stale-translation checker ------------------------------------------------ */

/* A vtd world with the checker, one stage-2-only device (RID_A, did 1). */
struct chk {
	struct sim_world *w;
	struct io_pgtable pt;
	uint64_t f[2];
	GString *s;
};

static void chk_init(struct chk *c, unsigned psc, bool ats)
{
	struct iommu_hw_config cfg = warm_cfg(psc, 0, true);
	struct iommu_dev_ctx dc = { .ats = ats };
	struct iommu_context ctx = { .type = IOMMU_CTX_TRANSLATE, .did = 1, .s2_levels = 4 };

	c->w = sim_world_create(13);
	c->s = g_string_new(NULL);
	ck_assert_int_eq(iommu_hw_create(c->w, &cfg), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(c->w, SIM_FRAME_USER, &c->f[i]), 0);
	ck_assert_int_eq(io_pgtable_init(&c->pt, c->w, &io_pgtable_vtd_ss, 4), 0);
	ctx.s2_root = c->pt.root;
	ck_assert_int_eq(iommu_hw_set_device(c->w, 0, RID_A, &dc), 0);
	ck_assert_int_eq(iommu_hw_set_context(c->w, 0, RID_A, &ctx), 0);
}

static void chk_fini(struct chk *c)
{
	io_pgtable_destroy(&c->pt);
	for (int i = 0; i < 2; i++)
		sim_mem_frame_put(c->w, c->f[i]);
	sim_world_destroy(c->w);
	g_string_free(c->s, TRUE);
}

static int rid_xl(struct sim_world *w, uint64_t addr, struct iommu_xlate *x)
{
	return iommu_hw_translate(w, 0, RID_A, false, 0, addr, false, x);
}

/*
 * §H8: an unmap the IOTLB was not told of.  The scan reports it with the
 * invalidation that is missing; an answer served from it is a violation
 * of its own.  An invalidation *before* the table write is caught too: a
 * device refilled the entry in between.
 */
START_TEST(test_check_unmap_without_iotlb_inval)
{
	struct iommu_xlate x;
	struct chk c;
	char want[256];

	chk_init(&c, 0, false);
	ck_assert_int_eq(io_pgtable_map(&c.pt, 0x10000, c.f[0], SZ_4K, RW), 0);
	ck_assert_int_eq(rid_xl(c.w, 0x10000, &x), 0);
	ck_assert_int_eq(check(c.w, c.s), 0);
	ck_assert_int_eq(io_pgtable_unmap(&c.pt, 0x10000, SZ_4K), (int64_t)SZ_4K);
	ck_assert_int_eq(check(c.w, c.s), 1);
	snprintf(want, sizeof(want), "§H8 stale IOTLB entry: did 1 pasid none iova 0x10000 size "
		 "0x1000 -> 0x%llx rw, the tables now say not mapped: missing IOTLB "
		 "invalidation after the table change\n", (unsigned long long)c.f[0]);
	ck_assert_str_eq(c.s->str, want);
	/* served: the page is still reachable, and that is recorded */
	ck_assert_int_eq(rid_xl(c.w, 0x10008, &x), 0);
	ck_assert(x.iotlb_hit && x.hpa == c.f[0] + 8);
	ck_assert_int_eq(take(c.w, c.s), 1);
	assert_has(c.s, "§H8 stale IOTLB entry served: did 1 pasid none iova 0x10000");
	assert_has(c.s, "missing IOTLB invalidation after the table change");
	ck_assert_uint_eq(hw_stats(c.w).stale_served, 1);
	ck_assert_int_eq(take(c.w, c.s), 0);        /* taken once */
	iommu_hw_inv_range(c.w, 1, 0x10000, SZ_4K);
	ck_assert_int_eq(check(c.w, c.s), 0);
	ck_assert_int_eq(rid_xl(c.w, 0x10000, &x), -EFAULT);

	/* the wrong order: invalidate, a device refills, then unmap */
	ck_assert_int_eq(io_pgtable_map(&c.pt, 0x20000, c.f[1], SZ_4K, RW), 0);
	iommu_hw_inv_range(c.w, 1, 0x20000, SZ_4K);
	ck_assert_int_eq(rid_xl(c.w, 0x20000, &x), 0);
	ck_assert_int_eq(io_pgtable_unmap(&c.pt, 0x20000, SZ_4K), (int64_t)SZ_4K);
	ck_assert_int_eq(check(c.w, c.s), 1);
	assert_has(c.s, "iova 0x20000 size 0x1000");
	assert_has(c.s, "filled after the last IOTLB invalidation of its domain: the "
			"invalidation ran before the table write");
	chk_fini(&c);
}
END_TEST

/*
 * §H8, every kind of staleness a cached translation can have, each caught
 * by the scan and when served (hw_check.c entry_holds compares every part
 * of an entry's span, its output and its permission):
 *  - permission only: read-write cached, read-only now (the same page);
 *  - a part of a large entry: a 2 MiB entry whose middle 4 KiB now goes
 *    elsewhere;
 *  - the tail: whose last 4 KiB is gone;
 *  - size: the tables map a smaller range than the entry covers.
 * A split that maps every 4 KiB to the same place is no staleness: the
 * entry still answers what the tables say.
 */
/* A 2 MiB leaf at @iova over 512 contiguous frames (*big), cached in the
 * IOTLB by one translation, then unmapped behind its back: no invalidation. */
static void cached_2m_then_unmapped(struct chk *c, uint64_t iova, uint64_t *big)
{
	struct iommu_xlate x;

	chk_init(c, 0, false);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(c->w, SIM_FRAME_USER, 512, big), 0);
	ck_assert_int_eq(io_pgtable_map(&c->pt, iova, *big, SZ_2M, RW), 0);
	ck_assert_int_eq(rid_xl(c->w, iova + 8, &x), 0);
	ck_assert_uint_eq(x.page_size, SZ_2M);
	ck_assert_int_eq(io_pgtable_unmap(&c->pt, iova, SZ_2M), (int64_t)SZ_2M);
}

START_TEST(test_check_every_staleness_kind)
{
	static const struct { const char *what; uint64_t change_at; bool same_out, ro, gone; } t[] = {
		{ "permission", 0, true, true, false },
		{ "middle of a large entry", 0x100000, false, false, false },
		{ "tail of a large entry", 0x1ff000, false, false, true },
		{ "size", 0x100000, true, false, true },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		struct iommu_xlate x;
		struct chk c;
		uint64_t big, iova = 0x40000000ull;

		cached_2m_then_unmapped(&c, iova, &big);
		if (t[i].change_at == 0) {
			ck_assert_int_eq(io_pgtable_map(&c.pt, iova, big, SZ_2M,
							t[i].ro ? IOMMU_READ : RW), 0);
		} else {
			ck_assert_int_eq(io_pgtable_map(&c.pt, iova, big, t[i].change_at, RW), 0);
			if (!t[i].gone)
				ck_assert_int_eq(io_pgtable_map(&c.pt, iova + t[i].change_at,
								c.f[0], SZ_4K, RW), 0);
			if (!t[i].gone && t[i].change_at + SZ_4K < SZ_2M)
				ck_assert_int_eq(io_pgtable_map(&c.pt, iova + t[i].change_at + SZ_4K,
								big + t[i].change_at + SZ_4K,
								SZ_2M - t[i].change_at - SZ_4K, RW),
						 0);
		}
		ck_assert_msg(check(c.w, c.s) == 1, "%s: %s", t[i].what, c.s->str);
		assert_has(c.s, "§H8 stale IOTLB entry: did 1 pasid none iova 0x40000000 size 0x200000");
		ck_assert_int_eq(rid_xl(c.w, iova + 8, &x), 0);    /* served */
		ck_assert_msg(take(c.w, c.s) == 1, "%s served", t[i].what);
		chk_fini(&c);
	}

	/* a split into 4 KiB leaves to the same frames answers the same */
	{
		struct iommu_xlate x;
		struct chk c;
		uint64_t big, iova = 0x40000000ull;

		cached_2m_then_unmapped(&c, iova, &big);
		for (uint64_t off = 0; off < SZ_2M; off += SZ_4K)
			ck_assert_int_eq(io_pgtable_map(&c.pt, iova + off, big + off, SZ_4K, RW), 0);
		ck_assert_int_eq(check(c.w, c.s), 0);
		ck_assert_int_eq(rid_xl(c.w, iova + 0x123456, &x), 0);
		ck_assert_int_eq(take(c.w, c.s), 0);
		chk_fini(&c);
	}
}
END_TEST

/*
 * §H8 / §F: with ATS the device's own TLB must be invalidated too, and the
 * invalidation waited for.  A stale device-TLB entry is worse than a stale
 * IOTLB entry: translated requests never meet the IOMMU.
 */
START_TEST(test_check_unmap_without_devtlb_inval)
{
	struct iommu_fault_rec rec;
	struct chk c;
	char want[320];
	uint8_t b = 0x5a, got = 0;

	chk_init(&c, 0, true);
	ck_assert_int_eq(io_pgtable_map(&c.pt, 0x10000, c.f[0], SZ_4K, RW), 0);
	ck_assert_int_eq(iommu_hw_dma(c.w, 0, RID_A, false, 0, 0x10000, &b, 1, true, NULL), 0);
	ck_assert_int_eq(io_pgtable_unmap(&c.pt, 0x10000, SZ_4K), (int64_t)SZ_4K);
	iommu_hw_inv_range(c.w, 1, 0x10000, SZ_4K);      /* the IOTLB, not the ATC */
	ck_assert_int_eq(check(c.w, c.s), 1);
	snprintf(want, sizeof(want), "§H8 stale device-TLB entry: 0000:03:02.0 pasid none iova "
		 "0x10000 size 0x1000 -> 0x%llx rw, the tables now say not mapped: missing "
		 "device-TLB (ATS) invalidation; translated requests bypass the IOMMU\n",
		 (unsigned long long)c.f[0]);
	ck_assert_str_eq(c.s->str, want);
	/* the device still reaches the page */
	ck_assert_int_eq(iommu_hw_dma(c.w, 0, RID_A, false, 0, 0x10000, &got, 1, false, NULL), 0);
	ck_assert_uint_eq(got, 0x5a);
	ck_assert_int_eq(take(c.w, c.s), 1);
	assert_has(c.s, "§H8 stale device-TLB entry served: 0000:03:02.0 pasid none iova 0x10000");
	/* invalidated but not waited for */
	inv1(c.w, (struct iommu_inv_cmd){ .type = IOMMU_INV_DEVTLB, .rid = RID_A,
					  .pasid = IOMMU_PASID_NONE, .iova = 0x10000,
					  .size = SZ_4K });
	ck_assert_int_eq(check(c.w, c.s), 1);
	ck_assert_str_eq(c.s->str, "§E.6 1 device-TLB invalidation(s) never waited for: IOTLB, "
				   "then ATC, then a wait descriptor before the operation "
				   "returns\n");
	inv1(c.w, (struct iommu_inv_cmd){ .type = IOMMU_INV_WAIT });
	ck_assert_int_eq(check(c.w, c.s), 0);
	ck_assert_int_eq(iommu_hw_dma(c.w, 0, RID_A, false, 0, 0x10000, &got, 1, false, &rec),
			 -EFAULT);
	ck_assert(rec.ats && rec.reason == IOMMU_FAULT_NOT_PRESENT);
	chk_fini(&c);
}
END_TEST

/*
 * §H9: unmapping the last page under a table frees the table; a
 * paging-structure cache still pointing at it needs a non-leaf
 * invalidation.  A leaf-only range leaves the three entries (the level-3,
 * -2 and -1 tables) behind.
 */
START_TEST(test_check_stale_psc)
{
	struct iommu_inv_cmd cmd = { .type = IOMMU_INV_IOTLB_RANGE, .did = 1,
				     .pasid = IOMMU_PASID_NONE, .iova = SZ_1G, .size = SZ_4K,
				     .leaf = true };
	struct io_pgtable_walk wk;
	struct iommu_xlate x;
	struct chk c;
	char want[320];

	chk_init(&c, 16, false);
	ck_assert_int_eq(io_pgtable_map(&c.pt, SZ_1G, c.f[0], SZ_4K, RW), 0);
	ck_assert_int_eq(io_pgtable_lookup(&c.pt, SZ_1G, &wk), 0);
	ck_assert_int_eq(rid_xl(c.w, SZ_1G, &x), 0);
	ck_assert_uint_eq(cache_count(c.w, IOMMU_CACHE_PSC), 3);
	ck_assert_int_eq(io_pgtable_unmap(&c.pt, SZ_1G, SZ_4K), (int64_t)SZ_4K);
	ck_assert_uint_eq(c.pt.table_pages, 1);           /* only the root is left */
	ck_assert_int_eq(inv1(c.w, cmd), 1);
	ck_assert_int_eq(check(c.w, c.s), 3);
	snprintf(want, sizeof(want), "§H9 stale paging-structure-cache entry: did 1 pasid none "
		 "stage 2 level-1 table for 0x40000000 (span 0x200000) at 0x%llx, which the "
		 "tables no longer reach: missing non-leaf (paging-structure) invalidation "
		 "after a table was freed", (unsigned long long)wk.tables[1]);
	assert_has(c.s, want);
	assert_has(c.s, "stage 2 level-3 table for 0x0 (span 0x8000000000)");
	/* served: the walk starts in the freed table */
	ck_assert_int_eq(rid_xl(c.w, SZ_1G, &x), -EFAULT);
	ck_assert(x.psc_hits == 1 && x.pt_refs == 1);
	ck_assert_int_eq(take(c.w, c.s), 1);
	assert_has(c.s, "§H9 stale paging-structure-cache entry served: did 1 pasid none stage 2 "
			"level-1 table");
	/* the non-leaf invalidation the kernel owed */
	cmd.leaf = false;
	ck_assert_int_eq(inv1(c.w, cmd), 3);
	ck_assert_int_eq(check(c.w, c.s), 0);
	ck_assert_int_eq(rid_xl(c.w, SZ_1G, &x), -EFAULT);
	ck_assert(x.psc_hits == 0 && x.pt_refs == 1);      /* the root's slot is empty */

	/* the same on a stage-1-only PASID (did 2, PASID entries of stage 1
	 * are tagged with the PASID): the guest-less stage 1 is the kernel's */
	{
		struct iommu_dev_ctx dc = { .pasid_bits = 4 };
		struct iommu_context s1c = { .type = IOMMU_CTX_S1, .did = 2, .s1_levels = 4 };
		struct io_pgtable s1;

		ck_assert_int_eq(iommu_hw_clear_device(c.w, 0, RID_A), 0);
		ck_assert_int_eq(iommu_hw_set_device(c.w, 0, RID_A, &dc), 0);
		ck_assert_int_eq(io_pgtable_init(&s1, c.w, &io_pgtable_vtd_fs, 4), 0);
		ck_assert_int_eq(io_pgtable_map(&s1, SZ_1G, c.f[1], SZ_4K, RW), 0);
		ck_assert_int_eq(io_pgtable_lookup(&s1, SZ_1G, &wk), 0);
		s1c.s1_root = s1.root;
		ck_assert_int_eq(iommu_hw_set_pasid(c.w, 0, RID_A, 1, &s1c), 0);
		ck_assert_int_eq(iommu_hw_translate(c.w, 0, RID_A, true, 1, SZ_1G, false, &x), 0);
		ck_assert_int_eq(io_pgtable_unmap(&s1, SZ_1G, SZ_4K), (int64_t)SZ_4K);
		ck_assert_int_eq(inv1(c.w, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE,
							     .did = 2, .pasid = 1, .iova = SZ_1G,
							     .size = SZ_4K, .leaf = true }), 1);
		ck_assert_int_eq(check(c.w, c.s), 3);
		snprintf(want, sizeof(want), "§H9 stale paging-structure-cache entry: did 2 pasid 1 "
			 "stage 1 level-1 table for 0x40000000 (span 0x200000) at 0x%llx",
			 (unsigned long long)wk.tables[1]);
		assert_has(c.s, want);
		ck_assert_int_eq(inv1(c.w, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_PASID,
							     .did = 2, .pasid = 1 }), 3);
		ck_assert_int_eq(check(c.w, c.s), 0);
		io_pgtable_destroy(&s1);
	}
	chk_fini(&c);
}
END_TEST

/*
 * §E.6: a stage-2 change must flush the combined stage-1+2 entries of
 * every nested domain over it, domain-wide (the kernel cannot know which
 * guest VAs map the GPA).  A GPA range flush of the untagged entries is not
 * enough: the checker names the missing combined flush.
 */
START_TEST(test_check_stale_combined_after_s2_change)
{
	struct iommu_hw_config cfg = warm_cfg(16, 0, true);
	struct iommu_xlate x;
	struct nest *n = nest_new(IOMMU_HW_VTD, 4, 4, &cfg);
	GString *s = g_string_new(NULL);
	char want[320];

	gmap(n, GVA, DATA(0), RW);
	attach_nested(n, RID_A, PASID, DID, false);
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, true, &x), 0);
	ck_assert_int_eq(check(n->w, s), 0);
	/* the VMM unmaps the guest page; the kernel flushes the GPA only */
	ck_assert_int_eq(io_pgtable_unmap(&n->s2, DATA(0), SZ_4K), (int64_t)SZ_4K);
	ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE,
						      .did = DID, .pasid = IOMMU_PASID_NONE,
						      .iova = DATA(0), .size = SZ_4K }), 3);
	/* (that dropped stage 2's three PSC entries over the GPA, nothing else) */
	ck_assert_int_eq(check(n->w, s), 1);
	snprintf(want, sizeof(want), "§H8 stale IOTLB entry: did %u pasid %u iova 0x%llx size "
		 "0x1000 -> 0x%llx rw, the tables now say not mapped: missing flush of combined "
		 "stage-1+2 entries after their stage-2 parent changed", DID, PASID,
		 (unsigned long long)GVA, (unsigned long long)n->ram[GUEST_POOL]);
	assert_has(s, want);
	/* the guest's DMA still lands in the page the VMM took back */
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, true, &x), 0);
	ck_assert(x.iotlb_hit && x.hpa == n->ram[GUEST_POOL]);
	ck_assert_int_eq(take(n->w, s), 1);
	assert_has(s, "stale IOTLB entry served");
	assert_has(s, "missing flush of combined stage-1+2 entries");
	/* domain-wide, as §E.6 says */
	iommu_hw_inv_domain(n->w, DID);
	ck_assert_int_eq(check(n->w, s), 0);
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA + 4, true, &x), -EFAULT);
	ck_assert(x.fault.reason == IOMMU_FAULT_NOT_PRESENT && x.fault.stage == 2 &&
		  x.fault.phase == IOMMU_PHASE_FINAL && x.fault.stage_addr == DATA(0) + 4);
	g_string_free(s, TRUE);
	nest_free(n);
}
END_TEST

/*
 * The same missing flush, when what the VMM took away is a page holding one
 * of the guest's tables: a fresh walk now fails in the stage-1 fetch phase,
 * so the stage-1 half cannot be compared - and it is still stage 2 that
 * changed, not the guest.  The report must blame the skipped nested flush,
 * not the guest's invalidation.
 */
START_TEST(test_check_combined_after_s2_lost_s1_table)
{
	struct iommu_hw_config cfg = warm_cfg(0, 0, true);
	struct iommu_xlate x;
	struct nest *n = nest_new(IOMMU_HW_VTD, 4, 4, &cfg);
	GString *s = g_string_new(NULL);
	uint64_t l1;

	gmap(n, GVA, DATA(0), RW);
	attach_nested(n, RID_A, PASID, DID, false);
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, true, &x), 0);
	l1 = s1_table(n, GVA, 1);
	/* the VMM unmaps the guest's level-1 table page and flushes only the
	 * parent's GPA range */
	ck_assert_int_eq(io_pgtable_unmap(&n->s2, l1, SZ_4K), (int64_t)SZ_4K);
	inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE, .did = DID,
					   .pasid = IOMMU_PASID_NONE, .iova = l1, .size = SZ_4K });
	/* the combined entry still answers; when served it is blamed on stage 2 */
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, true, &x), 0);
	ck_assert(x.iotlb_hit);
	ck_assert_int_eq(take(n->w, s), 1);
	assert_has(s, "stale IOTLB entry served");
	assert_has(s, "missing flush of combined stage-1+2 entries after their stage-2 parent "
		      "changed");
	ck_assert_ptr_null(strstr(s->str, "HWPT invalidate"));
	/* after the domain-wide flush the walk faults fetching the table */
	iommu_hw_inv_domain(n->w, DID);
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, true, &x), -EFAULT);
	ck_assert(x.fault.stage == 2 && x.fault.phase == IOMMU_PHASE_S1_FETCH &&
		  x.fault.stage_addr == l1);
	g_string_free(s, TRUE);
	nest_free(n);
}
END_TEST

/*
 * §H8 / §E.6 through the paging-structure cache: a nested walk remembers,
 * with a guest table's GPA, the HPA stage 2 gave it.  When the VMM moves
 * that guest page (copy, remap, reuse the old frame) and the kernel flushes
 * only the parent's GPA range instead of every nested domain over it, the
 * next walk starting from that entry reads the old frame: the removed GPA
 * still translates through a nested cache entry.  The entry's GPA is still
 * right (the guest changed nothing), so only its stage-2 half tells: the
 * checker must compare both, in the scan and when the entry is served.
 */
START_TEST(test_check_s1_table_moved_by_s2)
{
	struct iommu_hw_config cfg = warm_cfg(16, 0, true);
	struct iommu_xlate x;
	struct nest *n = nest_new(IOMMU_HW_VTD, 4, 4, &cfg);
	const uint64_t gva2 = GVA + SZ_4K;
	uint64_t l1, old, nf;
	uint8_t page[SIM_PAGE_SIZE];
	GString *s = g_string_new(NULL);
	char want[320];

	gmap(n, GVA, DATA(0), RW);
	gmap(n, gva2, DATA(1), RW);      /* same level-1 table, not used yet */
	attach_nested(n, RID_A, PASID, DID, false);
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, true, &x), 0);
	l1 = s1_table(n, GVA, 1);
	old = n->ram[(l1 - GPA_BASE) / SZ_4K];
	ck_assert_int_eq(check(n->w, s), 0);

	/* the VMM moves the page: copy, remap the GPA, reuse the old frame
	 * for something else (here: a table that sends gva2 elsewhere) */
	ck_assert_int_eq(sim_mem_frame_alloc(n->w, SIM_FRAME_USER, &nf), 0);
	ck_assert_int_eq(sim_mem_read(n->w, old, page, sizeof(page)), 0);
	ck_assert_int_eq(sim_mem_write(n->w, nf, page, sizeof(page)), 0);
	ck_assert_int_eq(io_pgtable_unmap(&n->s2, l1, SZ_4K), (int64_t)SZ_4K);
	ck_assert_int_eq(io_pgtable_map(&n->s2, l1, nf, SZ_4K, RW), 0);
	n->ram[(l1 - GPA_BASE) / SZ_4K] = nf;
	sim_mem_write64(n->w, old + ((gva2 >> 12) & 511) * 8,
			io_pgtable_pte_leaf(n->s1.fmt, DATA(5), 1, RW));
	/* the kernel flushes the parent's GPA range only */
	ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_RANGE,
						      .did = DID, .pasid = IOMMU_PASID_NONE,
						      .iova = l1, .size = SZ_4K }), 3);
	/* the guest's view is unchanged: a fresh walk still gives DATA(1) */
	ck_assert_int_eq(check(n->w, s), 1);
	snprintf(want, sizeof(want), "stale paging-structure-cache entry: did %u pasid %u stage 1 "
		 "level-1 table for 0x200000 (span 0x200000) at gpa 0x%llx, hpa 0x%llx, which "
		 "stage 2 no longer maps there", DID, PASID, (unsigned long long)l1,
		 (unsigned long long)old);
	assert_has(s, want);
	assert_has(s, "missing flush of the nested domains' paging-structure and combined "
		      "entries after their stage-2 parent changed");
	/* served: the walk starts in the old frame, and the DMA goes to a
	 * guest page the guest never mapped there */
	ck_assert_int_eq(xlp(n, RID_A, PASID, gva2, true, &x), 0);
	/* (stage 2's entries over the region went with the range: the final
	 * GPA walks from the root) */
	ck_assert(!x.iotlb_hit && x.psc_hits == 1 && x.s1_refs == 1 && x.s2_refs == 4);
	ck_assert_uint_eq(x.hpa, n->ram[GUEST_POOL + 5]);
	ck_assert_int_eq(take(n->w, s), 1);
	assert_has(s, "stale paging-structure-cache entry served: did 20 pasid 5 stage 1 "
		      "level-1 table");
	/* the flush §E.6 asks for: domain-wide */
	iommu_hw_inv_domain(n->w, DID);
	ck_assert_int_eq(check(n->w, s), 0);
	ck_assert_int_eq(xlp(n, RID_A, PASID, gva2, true, &x), 0);
	ck_assert_uint_eq(x.hpa, n->ram[GUEST_POOL + 1]);
	ck_assert_int_eq(take(n->w, s), 0);
	sim_mem_frame_put(n->w, old);
	g_string_free(s, TRUE);
	nest_free(n);
}
END_TEST

/*
 * A guest's own stage-1 edit waits for the guest's invalidation
 * (HWPT_INVALIDATE): the scan does not blame the kernel for it, but an
 * answer served before it is a violation naming the guest's flush.
 */
START_TEST(test_check_guest_s1_edit)
{
	struct iommu_hw_config cfg = warm_cfg(0, 0, true);
	struct iommu_xlate x;
	struct nest *n = nest_new(IOMMU_HW_RISCV, 4, 4, &cfg);
	GString *s = g_string_new(NULL);

	gmap(n, GVA, DATA(0), RW);
	attach_nested(n, RID_A, PASID, DID, false);
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, false, &x), 0);
	ck_assert_int_eq(io_pgtable_unmap(&n->s1, GVA, SZ_4K), (int64_t)SZ_4K);
	ck_assert_int_eq(check(n->w, s), 0);
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, false, &x), 0);
	ck_assert(x.iotlb_hit);
	ck_assert_int_eq(take(n->w, s), 1);
	assert_has(s, "§H8 stale IOTLB entry served: did 20 pasid 5 iova 0x345000 size 0x1000");
	assert_has(s, "missing IOTLB invalidation after the stage-1 change (the guest's HWPT "
		      "invalidate)");
	/* the guest's invalidation of its PASID */
	ck_assert_int_eq(inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_IOTLB_PASID,
						      .did = DID, .pasid = PASID }), 1);
	ck_assert_int_eq(xlp(n, RID_A, PASID, GVA, false, &x), -EFAULT);
	ck_assert(x.fault.stage == 1 && x.fault.reason == IOMMU_FAULT_NOT_PRESENT);
	ck_assert_int_eq(take(n->w, s), 0);
	g_string_free(s, TRUE);
	nest_free(n);
}
END_TEST

/* ---- 9. the same machine on every kind ----------------------------------------------- */

struct outcome {
	int ret;
	uint64_t hpa;
	unsigned prot, pt_refs;
	enum iommu_fault_reason reason;
	unsigned stage;
	enum iommu_fault_phase phase;
	uint64_t stage_addr;
	uint8_t data[8];
};

/*
 * §E: the same guest (same GVAs, GPAs, permissions, table layout) over the
 * same host memory must see the same DMA outcome on vtd, arm-smmuv3 and
 * riscv, though the descriptors differ bit by bit.  Guest RAM is allocated
 * first in each world, so the HPAs agree too.
 */
static void run_machine(enum iommu_hw_kind kind, struct outcome *out, unsigned nout)
{
	struct iommu_hw_config cfg = warm_cfg(16, 4, true);
	struct nest *n = nest_new(kind, 4, 4, &cfg);
	GString *s = g_string_new(NULL);
	/* a RW page; an S1 read-only page; an S2 read-only page; a hole; a
	 * page whose level-1 table stage 2 does not map */
	const uint64_t va[] = { GVA, GVA + SZ_4K, GVA + 2 * SZ_4K, GVA + 3 * SZ_4K,
				GVA + SZ_1G };
	unsigned i = 0;

	gmap(n, va[0], DATA(0), RW);
	gmap(n, va[1], DATA(1), IOMMU_READ);
	gmap(n, va[2], DATA(2), RW);
	gmap(n, va[4], DATA(4), RW);
	s2_reprot(n, DATA(2), IOMMU_READ);
	ck_assert_int_eq(io_pgtable_unmap(&n->s2, s1_table(n, va[4], 1), SZ_4K), (int64_t)SZ_4K);
	attach_nested(n, RID_A, PASID, DID, false);
	ck_assert_uint_eq(n->ram[0], SIM_MEM_BASE + (GUEST_PAGES - 1) * SZ_4K);

	for (unsigned v = 0; v < G_N_ELEMENTS(va); v++) {
		for (int wr = 1; wr >= 0; wr--) {
			struct iommu_fault_rec rec = { 0 };
			struct iommu_xlate x;
			struct outcome *o = &out[i++];
			uint8_t buf[8];

			ck_assert_uint_le(i, nout);
			memset(o, 0, sizeof(*o));
			memset(buf, wr ? 0x40 + (int)v : 0, sizeof(buf));
			o->ret = iommu_hw_dma(n->w, 0, RID_A, true, PASID, va[v] + 0x80, buf,
					      sizeof(buf), wr, &rec);
			if (o->ret) {
				o->reason = rec.reason;
				o->stage = rec.stage;
				o->phase = rec.phase;
				o->stage_addr = rec.stage_addr;
			} else if (!wr) {
				memcpy(o->data, buf, sizeof(buf));
			}
			/* and what a translation says, cold */
			iommu_hw_inv_all(n->w);
			inv1(n->w, (struct iommu_inv_cmd){ .type = IOMMU_INV_PASID_CACHE,
							   .rid = RID_A, .pasid = PASID });
			xlp(n, RID_A, PASID, va[v] + 0x80, wr, &x);
			o->hpa = x.hpa;
			o->prot = x.prot;
			o->pt_refs = x.pt_refs;
		}
	}
	ck_assert_uint_eq(i, nout);
	ck_assert_int_eq(take(n->w, s), 0);
	ck_assert_int_eq(check(n->w, s), 0);
	g_string_free(s, TRUE);
	nest_free(n);
}

static bool same_outcome(const struct outcome *a, const struct outcome *b)
{
	return a->ret == b->ret && a->hpa == b->hpa && a->prot == b->prot &&
	       a->pt_refs == b->pt_refs && a->reason == b->reason && a->stage == b->stage &&
	       a->phase == b->phase && a->stage_addr == b->stage_addr &&
	       !memcmp(a->data, b->data, sizeof(a->data));
}

START_TEST(test_cross_kind_same_outcome)
{
	struct outcome o[3][10];
	const uint64_t top = SIM_MEM_BASE + (GUEST_PAGES - 1) * SZ_4K;

	for (unsigned k = 0; k < G_N_ELEMENTS(kinds); k++)
		run_machine(kinds[k], o[k], 10);
	/* the expected outcome, spelled out once (vtd) */
	/* RW page: write, then read back what was written */
	ck_assert(o[0][0].ret == 0 && o[0][1].ret == 0 && o[0][1].data[0] == 0x40);
	ck_assert(o[0][1].hpa == top - GUEST_POOL * SZ_4K + 0x80 && o[0][1].prot == RW);
	/* cold, but with the PSC on: the root GPA's stage-2 walk (4) fills
	 * it, every later stage-2 walk is 1 read (test 4): 4 + 1 + 3 * 2 + 1 */
	ck_assert_uint_eq(o[0][1].pt_refs, 12);
	/* S1 read-only: the write faults in stage 1, the read passes */
	ck_assert(o[0][2].ret == -EFAULT && o[0][2].reason == IOMMU_FAULT_PERMISSION &&
		  o[0][2].stage == 1 && o[0][2].stage_addr == GVA + SZ_4K + 0x80);
	ck_assert(o[0][3].ret == 0 && o[0][3].prot == IOMMU_READ && o[0][3].data[0] == 0);
	/* S2 read-only: stage 2, at the GPA */
	ck_assert(o[0][4].ret == -EFAULT && o[0][4].reason == IOMMU_FAULT_PERMISSION &&
		  o[0][4].stage == 2 && o[0][4].stage_addr == DATA(2) + 0x80);
	ck_assert(o[0][5].ret == 0 && o[0][5].prot == IOMMU_READ);
	/* the hole: stage 1, not present, after 4 fetches: 4 + 1 + 3 * 2 */
	ck_assert(o[0][6].ret == -EFAULT && o[0][6].reason == IOMMU_FAULT_NOT_PRESENT &&
		  o[0][6].stage == 1 && o[0][6].stage_addr == GVA + 3 * SZ_4K + 0x80 &&
		  o[0][6].pt_refs == 11);
	ck_assert(o[0][7].ret == -EFAULT && o[0][7].stage == 1);
	/* the unmapped table: stage 2 on the fourth stage-1 fetch, at the
	 * table's GPA (pool page 5: GVA's tables took pages 0..3, the second
	 * region's level-2 and level-1 tables pages 4 and 5) */
	ck_assert(o[0][8].ret == -EFAULT && o[0][8].reason == IOMMU_FAULT_NOT_PRESENT &&
		  o[0][8].stage == 2 && o[0][8].phase == IOMMU_PHASE_S1_FETCH &&
		  o[0][8].stage_addr == GPA(5) && o[0][8].pt_refs == 4 + 1 + 2 * 2 + 1);
	ck_assert(o[0][9].ret == -EFAULT && o[0][9].phase == IOMMU_PHASE_S1_FETCH);
	for (unsigned k = 1; k < G_N_ELEMENTS(kinds); k++)
		for (unsigned i = 0; i < 10; i++)
			ck_assert_msg(same_outcome(&o[0][i], &o[k][i]),
				      "%s differs from vtd at outcome %u",
				      iommu_hw_kind_name(kinds[k]), i);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hw_nested");
	TCase *tc = tcase_create("hw_nested");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_nested_cold_walk_refs);
	tcase_add_test(tc, test_nested_permission_and_fault_records);
	tcase_add_test(tc, test_vtd_nested_fault_codes);
	tcase_add_test(tc, test_nested_combined_span);
	tcase_add_test(tc, test_single_stage_and_pasid_selection);
	tcase_add_test(tc, test_paging_structure_cache);
	tcase_add_test(tc, test_pasid_cache);
	tcase_add_test(tc, test_context_cache);
	tcase_add_test(tc, test_ats_device_tlb);
	tcase_add_test(tc, test_invalidation_commands);
	tcase_add_test(tc, test_devtlb_invalidation);
	tcase_add_test(tc, test_check_unmap_without_iotlb_inval);
	tcase_add_test(tc, test_check_every_staleness_kind);
	tcase_add_test(tc, test_check_unmap_without_devtlb_inval);
	tcase_add_test(tc, test_check_stale_psc);
	tcase_add_test(tc, test_check_stale_combined_after_s2_change);
	tcase_add_test(tc, test_check_combined_after_s2_lost_s1_table);
	tcase_add_test(tc, test_check_s1_table_moved_by_s2);
	tcase_add_test(tc, test_check_guest_s1_edit);
	tcase_add_test(tc, test_cross_kind_same_outcome);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
