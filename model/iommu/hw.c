/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU hardware model, part one (hw.h; spec §E.1 select, §E.6
 * invalidation): set-up, the root / context / PASID tables in simulated
 * memory, the invalidation queue, the fault queue.  Translation is in
 * hw_walk.c, the stale-translation checker in hw_check.c.
 *
 * The kernel side writes the tables through iommu_hw_set_device and
 * iommu_hw_set_pasid, which write bytes in frames exactly as the encoding
 * in hw.h says; translation reads the bytes back.  Entries become present
 * whole: the present bit is written last and cleared first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/hw_internal.h"

struct iommu_hw *iommu_hw_get(struct sim_world *w)
{
	return w ? sim_world_subsys(w, SIM_SUBSYS_IOMMU_HW) : NULL;
}

/* ---- kinds ------------------------------------------------------------------------ */

static const char *const kind_names[] = {
	[IOMMU_HW_VTD] = "vtd", [IOMMU_HW_SMMUV3] = "arm-smmuv3", [IOMMU_HW_RISCV] = "riscv",
};

const char *iommu_hw_kind_name(enum iommu_hw_kind k)
{
	return (unsigned)k < G_N_ELEMENTS(kind_names) ? kind_names[k] : "unknown";
}

int iommu_hw_kind_parse(const char *name, enum iommu_hw_kind *out)
{
	for (unsigned i = 0; name && i < G_N_ELEMENTS(kind_names); i++)
		if (!strcmp(name, kind_names[i])) {
			*out = (enum iommu_hw_kind)i;
			return 0;
		}
	return -EINVAL;
}

const struct io_pgtable_fmt *iommu_hw_fmt(enum iommu_hw_kind k, enum io_pgtable_stage stage,
					  unsigned levels)
{
	static const struct io_pgtable_fmt *const riscv[2][3] = {
		{ &io_pgtable_riscv_sv39, &io_pgtable_riscv_sv48, &io_pgtable_riscv_sv57 },
		{ &io_pgtable_riscv_sv39x4, &io_pgtable_riscv_sv48x4, &io_pgtable_riscv_sv57x4 },
	};
	const struct io_pgtable_fmt *f = NULL;
	bool s2 = stage == IO_PGTABLE_STAGE2;

	switch (k) {
	case IOMMU_HW_VTD:
		f = s2 ? &io_pgtable_vtd_ss : &io_pgtable_vtd_fs;
		break;
	case IOMMU_HW_SMMUV3:
		f = s2 ? &io_pgtable_arm_s2 : &io_pgtable_arm_s1;
		break;
	case IOMMU_HW_RISCV:
		return levels >= 3 && levels <= 5 ? riscv[s2][levels - 3] : NULL;
	}
	/* the kind's tables use the 4 KiB granule */
	return f && levels >= f->min_levels && levels <= f->max_levels ? f : NULL;
}

const char *iommu_ctx_type_name(enum iommu_ctx_type t)
{
	switch (t) {
	case IOMMU_CTX_TRANSLATE: return "s2";
	case IOMMU_CTX_PASSTHROUGH: return "passthrough";
	case IOMMU_CTX_BLOCKED: return "blocked";
	case IOMMU_CTX_S1: return "s1";
	case IOMMU_CTX_NESTED: return "nested";
	}
	return "invalid";
}

const char *iommu_fault_reason_name(enum iommu_fault_reason r)
{
	static const char *const names[] = {
		[IOMMU_FAULT_NONE] = "none", [IOMMU_FAULT_NO_CONTEXT] = "no-context",
		[IOMMU_FAULT_NOT_PRESENT] = "not-present",
		[IOMMU_FAULT_PERMISSION] = "permission", [IOMMU_FAULT_ADDR_SIZE] = "addr-size",
		[IOMMU_FAULT_NO_PASID] = "no-pasid",
	};

	return (unsigned)r < G_N_ELEMENTS(names) ? names[r] : "unknown";
}

const char *iommu_inv_type_name(enum iommu_inv_type t)
{
	static const char *const names[] = {
		[IOMMU_INV_IOTLB_ALL] = "iotlb-all", [IOMMU_INV_IOTLB_DOMAIN] = "iotlb-domain",
		[IOMMU_INV_IOTLB_PASID] = "iotlb-pasid", [IOMMU_INV_IOTLB_RANGE] = "iotlb-range",
		[IOMMU_INV_PASID_CACHE] = "pasid-cache", [IOMMU_INV_DEVTLB] = "devtlb",
		[IOMMU_INV_WAIT] = "wait",
	};

	return (unsigned)t < G_N_ELEMENTS(names) ? names[t] : "unknown";
}

/* ---- set-up and teardown -------------------------------------------------------------- */

void iommu_hw_config_default(struct iommu_hw_config *cfg)
{
	*cfg = (struct iommu_hw_config){
		.kind = IOMMU_HW_VTD,
		.iotlb_entries = IOMMU_HW_DEFAULT_IOTLB,
		.atc_entries = IOMMU_HW_DEFAULT_ATC,
		.fault_queue_len = IOMMU_HW_DEFAULT_FAULTQ,
		.pasid_bits = IOMMU_HW_MAX_PASID_BITS,
	};
}

/* Free a PASID directory of @bits and the tables under it. */
static void pdir_free(struct sim_world *w, uint64_t pdir, unsigned bits)
{
	unsigned n = bits > 6 ? 1u << (bits - 6) : 1;

	for (unsigned i = 0; i < n; i++) {
		uint64_t de = sim_mem_read64(w, pdir + (uint64_t)i * PDIR_ENT_SIZE);

		if (de & ENT_PRESENT)
			sim_mem_frame_put(w, de & ENT_ADDR_MASK);
	}
	for (unsigned i = (n * PDIR_ENT_SIZE + SIM_PAGE_SIZE - 1) / SIM_PAGE_SIZE; i--;)
		sim_mem_frame_put(w, pdir + (uint64_t)i * SIM_PAGE_SIZE);
}

static void hw_destroy(void *data)
{
	struct iommu_hw *hw = data;
	GHashTableIter it;
	gpointer key, val;

	pci_set_dma_handler(hw->w, NULL);
	g_hash_table_iter_init(&it, hw->roots);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		uint64_t root = (uint64_t)GPOINTER_TO_SIZE(val);

		/* order does not matter here: only frees */
		for (unsigned bus = 0; bus < 256; bus++) {
			uint64_t lo = sim_mem_read64(hw->w, root + bus * ENT_SIZE);

			if (!(lo & ENT_PRESENT))
				continue;
			for (unsigned df = 0; df < 256; df++) {
				uint64_t ce = (lo & ENT_ADDR_MASK) + df * ENT_SIZE;
				uint64_t clo = sim_mem_read64(hw->w, ce);

				if (clo & ENT_PRESENT)
					pdir_free(hw->w, clo & ENT_ADDR_MASK,
						  sim_mem_read64(hw->w, ce + 8) & CTX_PASID_BITS);
			}
			sim_mem_frame_put(hw->w, lo & ENT_ADDR_MASK);
		}
		sim_mem_frame_put(hw->w, root);
	}
	g_hash_table_destroy(hw->roots);
	iotlb_free(hw->tlb);
	iotlb_free(hw->psc);
	g_hash_table_destroy(hw->atcs);
	g_hash_table_destroy(hw->pcache);
	g_queue_clear(&hw->pc_fifo);
	g_hash_table_destroy(hw->pc_gen);
	g_hash_table_destroy(hw->did_locs);
	g_hash_table_destroy(hw->last_inv);
	g_string_free(hw->violations, TRUE);
	g_free(hw->fq);
	g_free(hw->front);
	g_free(hw);
}

static int hw_pci_dma(void *ctx, uint16_t segment, uint16_t rid, struct sim_dma *op)
{
	struct iommu_hw *hw = ctx;
	struct iommu_fault_rec rec;
	int ret = iommu_hw_dma(hw->w, segment, rid, op->pasid_valid, op->pasid, op->addr,
			       op->buf, op->len, op->write, &rec);

	if (ret == -EFAULT) {
		op->fault_addr = rec.addr;
		op->fault_reason = (int)rec.reason;
		op->fault_stage = rec.stage;
		op->fault_phase = rec.phase == IOMMU_PHASE_S1_FETCH ? SIM_FAULT_PHASE_S1_FETCH
								    : SIM_FAULT_PHASE_FINAL;
		op->fault_stage_addr = rec.stage_addr;
	}
	return ret;
}

static void free_iotlb(gpointer p)
{
	iotlb_free(p);
}

static void free_garray(gpointer p)
{
	g_array_free(p, TRUE);
}

/* Sizes a device TLB or the IOTLB may cache: 4K, 2M, 1G leaves, and the
 * combined spans of nested walks (never larger). */
#define XLATE_SIZES (SZ_4K | SZ_2M | SZ_1G)
/* Paging-structure entries span a level: 2M .. 256T with 4 KiB granules. */
#define PSC_SIZES   (SZ_2M | SZ_1G | SZ_512G | SZ_256T)

int iommu_hw_create(struct sim_world *w, const struct iommu_hw_config *cfg)
{
	struct iommu_hw_config def;
	struct iommu_hw *hw;
	struct pci_dma_handler h;

	if (iommu_hw_get(w))
		return -EEXIST;
	if (!cfg) {
		iommu_hw_config_default(&def);
		cfg = &def;
	}
	if ((unsigned)cfg->kind > IOMMU_HW_RISCV || cfg->pasid_bits > IOMMU_HW_MAX_PASID_BITS)
		return -EINVAL;
	if (sim_should_fail(w, "iommu_hw_alloc"))
		return -ENOMEM;
	hw = g_new0(struct iommu_hw, 1);
	hw->w = w;
	hw->cfg = *cfg;
	hw->roots = g_hash_table_new(g_direct_hash, g_direct_equal);
	hw->tlb = iotlb_new(cfg->iotlb_entries, cfg->naive_iotlb, XLATE_SIZES);
	hw->psc = iotlb_new(cfg->psc_entries, cfg->naive_iotlb, PSC_SIZES);
	hw->atcs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_iotlb);
	hw->pcache = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	for (unsigned l = 0; l <= IO_PGTABLE_MAX_LEVELS; l++) {
		hw->fmt[0][l] = iommu_hw_fmt(cfg->kind, IO_PGTABLE_STAGE1, l);
		hw->fmt[1][l] = iommu_hw_fmt(cfg->kind, IO_PGTABLE_STAGE2, l);
	}
	hw->front = g_new0(struct hw_front, HW_FRONT_SLOTS);
	hw->front_gen = 1;
	hw->table_gen = sim_mem_table_gen_ptr(w);
	g_queue_init(&hw->pc_fifo);
	hw->pc_gen = g_hash_table_new(g_direct_hash, g_direct_equal);
	hw->did_locs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_garray);
	hw->last_inv = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	hw->violations = g_string_new(NULL);
	hw->fq = g_new0(struct iommu_fault_rec, cfg->fault_queue_len ? cfg->fault_queue_len : 1);
	sim_world_set_subsys(w, SIM_SUBSYS_IOMMU_HW, hw, hw_destroy);
	h = (struct pci_dma_handler){ .dma = hw_pci_dma, .ctx = hw };
	pci_set_dma_handler(w, &h);
	return 0;
}

const struct iommu_hw_config *iommu_hw_config(struct sim_world *w)
{
	struct iommu_hw *hw = iommu_hw_get(w);

	return hw ? &hw->cfg : NULL;
}

/* ---- root and context tables ----------------------------------------------------------- */

static uint64_t root_of(struct iommu_hw *hw, uint16_t segment)
{
	/* nearly every request is on the segment before it: ask the table
	 * once (the memo is dropped when a root is added) */
	if (!hw->root_memo_ok || hw->root_memo_seg != segment) {
		hw->root_memo = (uint64_t)GPOINTER_TO_SIZE(g_hash_table_lookup(hw->roots,
							GUINT_TO_POINTER(segment)));
		hw->root_memo_seg = segment;
		hw->root_memo_ok = true;
	}
	return hw->root_memo;
}

/* The HPA of the context entry of (@segment, @rid), allocating the root and
 * context tables on first use.  0 or -ENOMEM. */
static int ctx_entry_alloc(struct iommu_hw *hw, uint16_t segment, uint16_t rid, uint64_t *ent)
{
	uint64_t root = root_of(hw, segment), rent, lo, ctxt;
	int ret;

	if (!root) {
		ret = sim_mem_frame_alloc(hw->w, SIM_FRAME_KERNEL, &root);
		if (ret)
			return ret;
		g_hash_table_insert(hw->roots, GUINT_TO_POINTER(segment), GSIZE_TO_POINTER(root));
		hw->root_memo_ok = false;
	}
	rent = root + (rid >> 8) * ENT_SIZE;
	lo = sim_mem_read64(hw->w, rent);
	if (!(lo & ENT_PRESENT)) {
		ret = sim_mem_frame_alloc(hw->w, SIM_FRAME_KERNEL, &ctxt);
		if (ret)
			return ret;
		sim_mem_write64(hw->w, rent + 8, 0);
		sim_mem_write64(hw->w, rent, ctxt | ENT_PRESENT);
		lo = ctxt | ENT_PRESENT;
	}
	*ent = (lo & ENT_ADDR_MASK) + (rid & 0xff) * ENT_SIZE;
	return 0;
}

/* The context entry's address, or 0 when there is no context table. */
static uint64_t ctx_entry_at(struct iommu_hw *hw, uint16_t segment, uint16_t rid)
{
	uint64_t root = root_of(hw, segment), lo;

	if (!root)
		return 0;
	lo = sim_mem_read64(hw->w, root + (rid >> 8) * ENT_SIZE);
	return lo & ENT_PRESENT ? (lo & ENT_ADDR_MASK) + (rid & 0xff) * ENT_SIZE : 0;
}

static void emit_read(struct iommu_hw *hw, enum iommu_walk_ev ev, uint64_t addr, uint64_t val)
{
	HW_EMIT(hw, .ev = ev, .addr = addr, .value = val);
}

static bool ctx_fail(enum hw_ctx_fail *why, enum hw_ctx_fail what)
{
	if (why)
		*why = what;
	return false;
}

bool hw_ctx_fetch(struct iommu_hw *hw, uint16_t seg, uint16_t rid, uint64_t *pdir,
		  unsigned *pasid_bits, bool *ats, unsigned *refs, enum hw_ctx_fail *why)
{
	uint64_t root = root_of(hw, seg), lo, hi, a;

	if (!root)
		return ctx_fail(why, HW_CTX_NO_ROOT);
	a = root + (rid >> 8) * ENT_SIZE;
	lo = sim_mem_read64(hw->w, a);
	(*refs)++;
	emit_read(hw, IOMMU_EV_ROOT, a, lo);
	if (!(lo & ENT_PRESENT))
		return ctx_fail(why, HW_CTX_NO_ROOT);
	a = (lo & ENT_ADDR_MASK) + (rid & 0xff) * ENT_SIZE;
	lo = sim_mem_read64(hw->w, a);
	hi = sim_mem_read64(hw->w, a + 8);
	(*refs)++;
	emit_read(hw, IOMMU_EV_CONTEXT, a, lo);
	if (!(lo & ENT_PRESENT))
		return ctx_fail(why, HW_CTX_NO_CONTEXT);
	if ((hi & CTX_PASID_BITS) > IOMMU_HW_MAX_PASID_BITS)
		return ctx_fail(why, HW_CTX_BAD_CONTEXT);
	*pdir = lo & ENT_ADDR_MASK;
	*pasid_bits = (unsigned)(hi & CTX_PASID_BITS);
	*ats = (lo & CTX_ATS) != 0;
	return true;
}

static bool pe_decode(struct iommu_hw *hw, uint64_t q0, uint64_t q1, uint64_t q2,
		      struct iommu_context *c)
{
	uint64_t t = (q0 >> PE_TYPE_SHIFT) & PE_TYPE_MASK;

	if (!(q0 & ENT_PRESENT) || t < 1 || t > IOMMU_CTX_NESTED + 1)
		return false;
	memset(c, 0, sizeof(*c));
	c->type = (enum iommu_ctx_type)(t - 1);
	c->did = (uint16_t)(q1 & PE_DID_MASK);
	c->s2_root = q0 & ENT_ADDR_MASK;
	c->s2_levels = (unsigned)((q1 >> PE_S2L_SHIFT) & PE_LVL_MASK);
	c->s1_root = q2 & ENT_ADDR_MASK;
	c->s1_levels = (unsigned)((q1 >> PE_S1L_SHIFT) & PE_LVL_MASK);
	/* a translating entry whose tables the kind cannot walk is malformed */
	if ((c->type == IOMMU_CTX_TRANSLATE || c->type == IOMMU_CTX_NESTED) &&
	    (!c->s2_root || !iommu_hw_fmt(hw->cfg.kind, IO_PGTABLE_STAGE2, c->s2_levels)))
		return false;
	if ((c->type == IOMMU_CTX_S1 || c->type == IOMMU_CTX_NESTED) &&
	    !iommu_hw_fmt(hw->cfg.kind, IO_PGTABLE_STAGE1, c->s1_levels))
		return false;
	return true;
}

bool hw_pasid_fetch(struct iommu_hw *hw, uint64_t pdir, unsigned pasid_bits, uint32_t pasid,
		    struct iommu_context *c, unsigned *refs, uint64_t *dir_hpa,
		    uint64_t *dir_val, uint64_t *ent_hpa, uint64_t *ent_val)
{
	uint64_t de, pe, q0, q1, q2;

	if (pasid >> pasid_bits)
		return false;
	*dir_hpa = de = pdir + (uint64_t)(pasid / PASIDS_PER_TABLE) * PDIR_ENT_SIZE;
	*dir_val = sim_mem_read64(hw->w, de);
	(*refs)++;
	if (!(*dir_val & ENT_PRESENT))
		return false;
	*ent_hpa = pe = (*dir_val & ENT_ADDR_MASK) + (uint64_t)(pasid % PASIDS_PER_TABLE) * PE_SIZE;
	q0 = sim_mem_read64(hw->w, pe);
	q1 = sim_mem_read64(hw->w, pe + 8);
	q2 = sim_mem_read64(hw->w, pe + 16);
	*ent_val = q0;
	(*refs)++;
	return pe_decode(hw, q0, q1, q2, c);
}

int hw_pasid_read(struct iommu_hw *hw, uint64_t loc, struct iommu_context *c)
{
	uint16_t seg = (uint16_t)(loc >> 48), rid = (uint16_t)(loc >> 32);
	uint64_t pdir, a, b, x, y;
	unsigned bits, refs = 0;
	bool ats, quiet = hw->quiet;
	bool ok;

	hw->quiet = true;   /* no events */
	ok = hw_ctx_fetch(hw, seg, rid, &pdir, &bits, &ats, &refs, NULL) &&
	     hw_pasid_fetch(hw, pdir, bits, (uint32_t)loc, c, &refs, &a, &b, &x, &y);
	hw->quiet = quiet;
	return ok ? 0 : -ENOENT;
}

static void trace_dev(struct iommu_hw *hw, uint16_t seg, uint16_t rid, unsigned bits, bool ats)
{
	SIM_TRACE(hw->w, iommu_hw_dev, seg, rid >> 8, (rid >> 3) & 0x1f, rid & 7, bits, ats);
}

/* A zeroed PASID directory for @bits: 0 or -ENOMEM. */
static int pdir_alloc(struct iommu_hw *hw, unsigned bits, uint64_t *pdir)
{
	unsigned n = bits > 6 ? 1u << (bits - 6) : 1;
	unsigned frames = (n * PDIR_ENT_SIZE + SIM_PAGE_SIZE - 1) / SIM_PAGE_SIZE;

	return frames == 1 ? sim_mem_frame_alloc(hw->w, SIM_FRAME_KERNEL, pdir)
			   : sim_mem_frames_alloc_contig(hw->w, SIM_FRAME_KERNEL, frames, pdir);
}

static bool pdir_empty(struct iommu_hw *hw, uint64_t pdir, unsigned bits)
{
	unsigned n = bits > 6 ? 1u << (bits - 6) : 1;

	for (unsigned i = 0; i < n; i++)
		if (sim_mem_read64(hw->w, pdir + (uint64_t)i * PDIR_ENT_SIZE) & ENT_PRESENT)
			return false;
	return true;
}

/* The device's ATS control: a device TLB exists while ATS is enabled. */
static void ats_set(struct iommu_hw *hw, uint16_t seg, uint16_t rid, bool on)
{
	gpointer k = GUINT_TO_POINTER(dev_key(seg, rid));

	hw->atc_memo_ok = false;         /* hw_atc_of asks again */
	if (!on)
		g_hash_table_remove(hw->atcs, k);
	else if (!g_hash_table_lookup(hw->atcs, k))
		g_hash_table_insert(hw->atcs, k, iotlb_new(hw->cfg.atc_entries, hw->cfg.naive_iotlb,
							   XLATE_SIZES));
}

int iommu_hw_set_device(struct sim_world *w, uint16_t segment, uint16_t rid,
			const struct iommu_dev_ctx *dc)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	uint64_t ent, lo, hi, pdir;
	unsigned old;
	int ret;

	if (!hw || !dc || dc->pasid_bits > hw->cfg.pasid_bits)
		return -EINVAL;
	ret = ctx_entry_alloc(hw, segment, rid, &ent);
	if (ret)
		return ret;
	lo = sim_mem_read64(w, ent);
	hi = sim_mem_read64(w, ent + 8);
	old = (unsigned)(hi & CTX_PASID_BITS);
	if (lo & ENT_PRESENT) {
		pdir = lo & ENT_ADDR_MASK;
		if (old != dc->pasid_bits) {
			if (!pdir_empty(hw, pdir, old))
				return -EBUSY;
			/* no entries: replace the directory */
			sim_mem_write64(w, ent, 0);
			pdir_free(w, pdir, old);
			lo = 0;
		}
	}
	if (!(lo & ENT_PRESENT)) {
		ret = pdir_alloc(hw, dc->pasid_bits, &pdir);
		if (ret)
			return ret;
		sim_mem_write64(w, ent + 8, dc->pasid_bits);
	}
	sim_mem_write64(w, ent, pdir | ENT_PRESENT | (dc->ats ? CTX_ATS : 0));
	ats_set(hw, segment, rid, dc->ats);
	trace_dev(hw, segment, rid, dc->pasid_bits, dc->ats);
	return 0;
}

/* ---- the did oracle (for the checker) ----------------------------------------------------- */

static void oracle_drop(struct iommu_hw *hw, uint16_t did, uint64_t loc)
{
	GArray *a = g_hash_table_lookup(hw->did_locs, GUINT_TO_POINTER(did));

	for (guint i = 0; a && i < a->len; i++)
		if (g_array_index(a, uint64_t, i) == loc) {
			g_array_remove_index(a, i);
			break;
		}
}

static void oracle_add(struct iommu_hw *hw, uint16_t did, uint64_t loc)
{
	GArray *a = g_hash_table_lookup(hw->did_locs, GUINT_TO_POINTER(did));

	if (!a) {
		a = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		g_hash_table_insert(hw->did_locs, GUINT_TO_POINTER(did), a);
	}
	g_array_append_val(a, loc);
}

/* ---- PASID entries ------------------------------------------------------------------------ */

static void trace_pe(struct iommu_hw *hw, uint16_t seg, uint16_t rid, uint32_t pasid,
		     const struct iommu_context *c)
{
	SIM_TRACE(hw->w, iommu_hw_ctx, seg, rid >> 8, (rid >> 3) & 0x1f, rid & 7, pasid,
		  c ? iommu_ctx_type_name(c->type) : "none", c ? c->did : 0,
		  (unsigned long long)(c ? c->s1_root : 0), c ? c->s1_levels : 0,
		  (unsigned long long)(c ? c->s2_root : 0), c ? c->s2_levels : 0);
}

static bool ctx_valid(struct iommu_hw *hw, const struct iommu_context *c)
{
	bool s1 = c->type == IOMMU_CTX_S1 || c->type == IOMMU_CTX_NESTED;
	bool s2 = c->type == IOMMU_CTX_TRANSLATE || c->type == IOMMU_CTX_NESTED;

	if ((unsigned)c->type > IOMMU_CTX_NESTED)
		return false;
	if (s1 && (!iommu_hw_fmt(hw->cfg.kind, IO_PGTABLE_STAGE1, c->s1_levels) ||
		   (c->s1_root & ~ENT_ADDR_MASK) || (c->type == IOMMU_CTX_S1 && !c->s1_root)))
		return false;
	if (s2 && (!iommu_hw_fmt(hw->cfg.kind, IO_PGTABLE_STAGE2, c->s2_levels) ||
		   !c->s2_root || (c->s2_root & ~ENT_ADDR_MASK)))
		return false;
	return true;
}

/* The PASID entry of (seg, rid, pasid), allocating its PASID table; the
 * context entry is created (width 0) when missing.  0, -EINVAL, -ENOMEM. */
static int pe_entry_alloc(struct iommu_hw *hw, uint16_t seg, uint16_t rid, uint32_t pasid,
			  uint64_t *pe)
{
	uint64_t ent = ctx_entry_at(hw, seg, rid), lo, hi, de, tbl;
	int ret;

	lo = ent ? sim_mem_read64(hw->w, ent) : 0;
	if (!(lo & ENT_PRESENT)) {
		struct iommu_dev_ctx dc = { 0 };

		if (pasid)
			return -EINVAL;
		ret = iommu_hw_set_device(hw->w, seg, rid, &dc);
		if (ret)
			return ret;
		ent = ctx_entry_at(hw, seg, rid);
		lo = sim_mem_read64(hw->w, ent);
	}
	hi = sim_mem_read64(hw->w, ent + 8);
	if (pasid >> (hi & CTX_PASID_BITS))
		return -EINVAL;
	de = (lo & ENT_ADDR_MASK) + (uint64_t)(pasid / PASIDS_PER_TABLE) * PDIR_ENT_SIZE;
	if (!(sim_mem_read64(hw->w, de) & ENT_PRESENT)) {
		ret = sim_mem_frame_alloc(hw->w, SIM_FRAME_KERNEL, &tbl);
		if (ret)
			return ret;
		sim_mem_write64(hw->w, de, tbl | ENT_PRESENT);
	}
	*pe = (sim_mem_read64(hw->w, de) & ENT_ADDR_MASK) +
	      (uint64_t)(pasid % PASIDS_PER_TABLE) * PE_SIZE;
	return 0;
}

int iommu_hw_set_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid,
		       const struct iommu_context *ctx)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct iommu_context old;
	uint64_t pe, q0, q1;
	int ret;

	if (!hw || !ctx || !ctx_valid(hw, ctx))
		return -EINVAL;
	ret = pe_entry_alloc(hw, segment, rid, pasid, &pe);
	if (ret)
		return ret;
	if (!hw_pasid_read(hw, loc_key(segment, rid, pasid), &old))
		oracle_drop(hw, old.did, loc_key(segment, rid, pasid));
	q0 = ENT_PRESENT | ((uint64_t)ctx->type + 1) << PE_TYPE_SHIFT;
	q1 = ctx->did;
	if (ctx->type == IOMMU_CTX_TRANSLATE || ctx->type == IOMMU_CTX_NESTED) {
		q0 |= ctx->s2_root;
		q1 |= (uint64_t)ctx->s2_levels << PE_S2L_SHIFT;
	}
	if (ctx->type == IOMMU_CTX_S1 || ctx->type == IOMMU_CTX_NESTED)
		q1 |= (uint64_t)ctx->s1_levels << PE_S1L_SHIFT;
	/* not present while it changes, the present bit last */
	sim_mem_write64(w, pe, 0);
	sim_mem_write64(w, pe + 8, q1);
	sim_mem_write64(w, pe + 16, ctx->type == IOMMU_CTX_S1 || ctx->type == IOMMU_CTX_NESTED
				    ? ctx->s1_root : 0);
	sim_mem_write64(w, pe, q0);
	if (ctx->type != IOMMU_CTX_PASSTHROUGH && ctx->type != IOMMU_CTX_BLOCKED)
		oracle_add(hw, ctx->did, loc_key(segment, rid, pasid));
	trace_pe(hw, segment, rid, pasid, ctx);
	return 0;
}

int iommu_hw_clear_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	uint64_t ent, lo, hi, de, dv;
	struct iommu_context old;

	if (!hw)
		return -EINVAL;
	ent = ctx_entry_at(hw, segment, rid);
	lo = ent ? sim_mem_read64(w, ent) : 0;
	hi = ent ? sim_mem_read64(w, ent + 8) : 0;
	if (!(lo & ENT_PRESENT) || (pasid >> (hi & CTX_PASID_BITS)))
		return 0;
	if (!hw_pasid_read(hw, loc_key(segment, rid, pasid), &old))
		oracle_drop(hw, old.did, loc_key(segment, rid, pasid));
	de = (lo & ENT_ADDR_MASK) + (uint64_t)(pasid / PASIDS_PER_TABLE) * PDIR_ENT_SIZE;
	dv = sim_mem_read64(w, de);
	if (dv & ENT_PRESENT) {
		uint64_t pe = (dv & ENT_ADDR_MASK) + (uint64_t)(pasid % PASIDS_PER_TABLE) * PE_SIZE;

		sim_mem_write64(w, pe, 0);      /* not present first */
		sim_mem_write64(w, pe + 8, 0);
		sim_mem_write64(w, pe + 16, 0);
	}
	trace_pe(hw, segment, rid, pasid, NULL);
	return 0;
}

int iommu_hw_clear_device(struct sim_world *w, uint16_t segment, uint16_t rid)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	uint64_t ent, lo, hi;

	if (!hw)
		return -EINVAL;
	ent = ctx_entry_at(hw, segment, rid);
	lo = ent ? sim_mem_read64(w, ent) : 0;
	if (!(lo & ENT_PRESENT))
		return 0;
	hi = sim_mem_read64(w, ent + 8);
	/* forget the domain ids of the present PASID entries */
	for (uint32_t d = 0; d < (((hi & CTX_PASID_BITS) > 6) ? 1u << ((hi & CTX_PASID_BITS) - 6) : 1);
	     d++) {
		if (!(sim_mem_read64(w, (lo & ENT_ADDR_MASK) + d * PDIR_ENT_SIZE) & ENT_PRESENT))
			continue;
		for (uint32_t p = d * PASIDS_PER_TABLE; p < (d + 1) * PASIDS_PER_TABLE; p++) {
			struct iommu_context old;

			if (!hw_pasid_read(hw, loc_key(segment, rid, p), &old))
				oracle_drop(hw, old.did, loc_key(segment, rid, p));
		}
	}
	sim_mem_write64(w, ent, 0);
	sim_mem_write64(w, ent + 8, 0);
	pdir_free(w, lo & ENT_ADDR_MASK, (unsigned)(hi & CTX_PASID_BITS));
	ats_set(hw, segment, rid, false);
	trace_dev(hw, segment, rid, 0, false);
	return 0;
}

int iommu_hw_get_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid,
		       struct iommu_context *ctx)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct iommu_context c;

	if (!hw || hw_pasid_read(hw, loc_key(segment, rid, pasid), &c))
		return -ENOENT;
	*ctx = c;
	return 0;
}

int iommu_hw_set_context(struct sim_world *w, uint16_t segment, uint16_t rid,
			 const struct iommu_context *ctx)
{
	return iommu_hw_set_pasid(w, segment, rid, 0, ctx);
}

int iommu_hw_clear_context(struct sim_world *w, uint16_t segment, uint16_t rid)
{
	return iommu_hw_clear_pasid(w, segment, rid, 0);
}

int iommu_hw_get_context(struct sim_world *w, uint16_t segment, uint16_t rid,
			 struct iommu_context *ctx)
{
	return iommu_hw_get_pasid(w, segment, rid, 0, ctx);
}

/* ---- the invalidation queue ---------------------------------------------------------------- */

struct gather {
	GArray *a;
	uint32_t tag, pasid;
	uint64_t lo, last;
	bool whole_tag, whole_pair;
};

static int gather_fn(const struct iommu_cache_entry *e, void *ctx)
{
	struct gather *g = ctx;

	if (e->tag != g->tag && !(g->whole_tag && g->tag == UINT32_MAX))
		return 0;
	if (!g->whole_tag && e->pasid != g->pasid)
		return 0;
	if (!g->whole_tag && !g->whole_pair &&
	    (e->iova + e->size - 1 < g->lo || e->iova > g->last))
		return 0;
	g_array_append_val(g->a, *e);
	return 0;
}

/* busy_dma: the entries a command is about to drop, to be asked for again
 * once it has.  A scan of the cache, the devices' behaviour, not the
 * invalidation's cost. */
static GArray *gather(struct iotlb *t, const struct iommu_inv_cmd *c, uint32_t tag)
{
	struct gather g = { .a = g_array_new(FALSE, FALSE, sizeof(struct iommu_cache_entry)),
			    .tag = tag, .pasid = c->pasid, .lo = c->iova,
			    .last = c->size ? c->iova + c->size - 1 : UINT64_MAX };

	if (g.last < g.lo)
		g.last = UINT64_MAX;
	switch (c->type) {
	case IOMMU_INV_IOTLB_ALL:
		g.tag = UINT32_MAX;
		g.whole_tag = true;
		break;
	case IOMMU_INV_IOTLB_DOMAIN:
		g.whole_tag = true;
		break;
	case IOMMU_INV_IOTLB_PASID:
		g.whole_pair = true;
		break;
	case IOMMU_INV_DEVTLB:
		g.whole_tag = c->pasid == IOMMU_PASID_NONE && !c->size;
		g.whole_pair = !c->size;
		break;
	default:
		break;
	}
	iotlb_for_each(t, gather_fn, &g);
	return g.a;
}

static void refill_all(struct iommu_hw *hw, enum iommu_cache_id which, GArray *a)
{
	for (guint i = 0; a && i < a->len; i++)
		hw_refill(hw, which, &g_array_index(a, struct iommu_cache_entry, i));
	if (a)
		g_array_free(a, TRUE);
}

static void note_inv(struct iommu_hw *hw, uint16_t did)
{
	uint64_t *v = g_hash_table_lookup(hw->last_inv, GUINT_TO_POINTER(did));

	if (!v) {
		v = g_new(uint64_t, 1);
		g_hash_table_insert(hw->last_inv, GUINT_TO_POINTER(did), v);
	}
	*v = hw->clock;
}

static unsigned pc_inv(struct iommu_hw *hw, uint16_t seg, uint16_t rid, uint32_t pasid)
{
	uint64_t key = loc_key(seg, rid, pasid);
	struct pc_ent *pe;
	gpointer k = GUINT_TO_POINTER(dev_key(seg, rid));
	guint gen = GPOINTER_TO_UINT(g_hash_table_lookup(hw->pc_gen, k));
	unsigned live = 0;

	if (pasid == IOMMU_PASID_NONE) {
		/* every PASID of the device: its generation moves on; the
		 * entries it kills are counted (a scan of the small cache) */
		for (GList *q = hw->pc_fifo.head; q; q = q->next) {
			const struct pc_ent *e = q->data;

			live += (e->key >> 32) == dev_key(seg, rid) && e->gen == gen;
		}
		g_hash_table_insert(hw->pc_gen, k, GUINT_TO_POINTER(gen + 1));
		return live;
	}
	pe = g_hash_table_lookup(hw->pcache, &key);
	if (!pe)
		return 0;
	/* an entry a device-wide invalidation already killed is reclaimed,
	 * not dropped again */
	live = pe->gen == gen;
	g_queue_delete_link(&hw->pc_fifo, pe->link);
	g_hash_table_remove(hw->pcache, &key);
	return live;
}

static unsigned inv_one(struct iommu_hw *hw, const struct iommu_inv_cmd *c)
{
	struct iotlb *atc;
	GArray *tlb_gone = NULL, *atc_gone = NULL;
	uint32_t ptag = c->pasid;
	unsigned n = 0;

	hw->clock++;
	hw->st.inv_cmds++;
	switch (c->type) {
	case IOMMU_INV_IOTLB_ALL:
		if (hw->cfg.busy_dma)
			tlb_gone = gather(hw->tlb, c, 0);
		n = iotlb_inv_all(hw->tlb) + iotlb_inv_all(hw->psc);
		break;
	case IOMMU_INV_IOTLB_DOMAIN:
		if (hw->cfg.busy_dma)
			tlb_gone = gather(hw->tlb, c, c->did);
		n = iotlb_inv_tag(hw->tlb, c->did) + iotlb_inv_tag(hw->psc, c->did);
		note_inv(hw, c->did);
		break;
	case IOMMU_INV_IOTLB_PASID:
		if (hw->cfg.busy_dma)
			tlb_gone = gather(hw->tlb, c, c->did);
		n = iotlb_inv_pasid(hw->tlb, c->did, ptag) + iotlb_inv_pasid(hw->psc, c->did, ptag);
		note_inv(hw, c->did);
		break;
	case IOMMU_INV_IOTLB_RANGE:
		if (hw->cfg.busy_dma)
			tlb_gone = gather(hw->tlb, c, c->did);
		n = iotlb_inv_range(hw->tlb, c->did, ptag, c->iova, c->size);
		if (!c->leaf)
			n += iotlb_inv_range(hw->psc, c->did, ptag, c->iova, c->size);
		note_inv(hw, c->did);
		break;
	case IOMMU_INV_PASID_CACHE:
		n = pc_inv(hw, c->segment, c->rid, c->pasid);
		break;
	case IOMMU_INV_DEVTLB:
		hw->devtlb_unwaited++;
		atc = g_hash_table_lookup(hw->atcs, GUINT_TO_POINTER(dev_key(c->segment, c->rid)));
		if (!atc)
			break;
		if (hw->cfg.busy_dma)
			atc_gone = gather(atc, c, c->rid);
		if (c->pasid == IOMMU_PASID_NONE && !c->size)
			n = iotlb_inv_tag(atc, c->rid);
		else if (!c->size)
			n = iotlb_inv_pasid(atc, c->rid, ptag);
		else
			n = iotlb_inv_range(atc, c->rid, ptag, c->iova, c->size);
		break;
	case IOMMU_INV_WAIT:
		hw->devtlb_unwaited = 0;
		hw->st.inv_waits++;
		break;
	}
	if (c->type != IOMMU_INV_WAIT && c->type != IOMMU_INV_PASID_CACHE)
		hw->st.iotlb_invalidations++;
	if (sim_trace_enabled(hw->w, "iommu_hw_inv")) {
		int p = c->pasid == IOMMU_PASID_NONE ? -1 : (int)c->pasid;

		SIM_TRACE(hw->w, iommu_hw_inv, iommu_inv_type_name(c->type), c->did, p,
			  c->rid >> 8, (c->rid >> 3) & 0x1f, c->rid & 7,
			  (unsigned long long)c->iova, (unsigned long long)c->size, n);
	}
	/* the devices keep going (busy_dma): what was dropped is asked again */
	refill_all(hw, IOMMU_CACHE_IOTLB, tlb_gone);
	/* device-TLB entries: the tag is the rid, the segment rides in aux */
	refill_all(hw, IOMMU_CACHE_ATC, atc_gone);
	return n;
}

unsigned iommu_hw_invalidate(struct sim_world *w, const struct iommu_inv_cmd *cmds, size_t n)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	unsigned dropped = 0;

	for (size_t i = 0; hw && i < n; i++)
		dropped += inv_one(hw, &cmds[i]);
	if (hw && n)
		hw_caches_changed(hw);
	return dropped;
}

void iommu_hw_inv_domain(struct sim_world *w, uint16_t did)
{
	struct iommu_inv_cmd c = { .type = IOMMU_INV_IOTLB_DOMAIN, .did = did,
				   .pasid = IOMMU_PASID_NONE };

	iommu_hw_invalidate(w, &c, 1);
}

void iommu_hw_inv_range(struct sim_world *w, uint16_t did, uint64_t iova, uint64_t size)
{
	struct iommu_inv_cmd c = { .type = IOMMU_INV_IOTLB_RANGE, .did = did,
				   .pasid = IOMMU_PASID_NONE, .iova = iova, .size = size };

	iommu_hw_invalidate(w, &c, 1);
}

void iommu_hw_inv_all(struct sim_world *w)
{
	struct iommu_inv_cmd c = { .type = IOMMU_INV_IOTLB_ALL, .pasid = IOMMU_PASID_NONE };

	iommu_hw_invalidate(w, &c, 1);
}

/* ---- faults, events, violations ------------------------------------------------------------ */

void hw_fault_report(struct iommu_hw *hw, struct iommu_fault_rec *rec)
{
	int pasid;
	size_t cap = hw->cfg.fault_queue_len;

	rec->seq = ++hw->fault_seq;
	hw->st.faults++;
	if (cap) {
		/* a full queue drops its oldest record */
		if (hw->fq_count == cap) {
			hw->fq_head = (hw->fq_head + 1) % cap;
			hw->fq_count--;
		}
		hw->fq[(hw->fq_head + hw->fq_count++) % cap] = *rec;
	}
	if (!sim_trace_enabled(hw->w, "iommu_hw_fault"))
		return;
	pasid = rec->pasid_valid ? (int)rec->pasid : -1;
	SIM_TRACE(hw->w, iommu_hw_fault, rec->segment, rec->rid >> 8, (rec->rid >> 3) & 0x1f,
		  rec->rid & 7, pasid, (unsigned long long)rec->addr,
		  rec->write ? "write" : "read", iommu_fault_reason_name(rec->reason), rec->stage,
		  rec->phase == IOMMU_PHASE_S1_FETCH ? "s1-fetch" : "final",
		  (unsigned long long)rec->stage_addr);
}

size_t iommu_hw_fault_count(struct sim_world *w)
{
	struct iommu_hw *hw = iommu_hw_get(w);

	return hw ? hw->fq_count : 0;
}

const struct iommu_fault_rec *iommu_hw_fault_at(struct sim_world *w, size_t i)
{
	struct iommu_hw *hw = iommu_hw_get(w);

	if (!hw || i >= hw->fq_count)
		return NULL;
	return &hw->fq[(hw->fq_head + i) % hw->cfg.fault_queue_len];
}

void iommu_hw_fault_clear(struct sim_world *w)
{
	struct iommu_hw *hw = iommu_hw_get(w);

	if (hw)
		hw->fq_head = hw->fq_count = 0;
}

void hw_emit(struct iommu_hw *hw, struct iommu_walk_event *e)
{
	if (!hw->obs || hw->quiet)
		return;
	if (e->ev == IOMMU_EV_ROOT || e->ev == IOMMU_EV_CONTEXT || e->ev == IOMMU_EV_PASID_DIR ||
	    e->ev == IOMMU_EV_PASID_ENTRY || e->ev == IOMMU_EV_DESC)
		e->ref = ++hw->ref_no;
	hw->obs(hw->obs_ctx, e);
}

void iommu_hw_set_observer(struct sim_world *w, iommu_walk_observer fn, void *ctx)
{
	struct iommu_hw *hw = iommu_hw_get(w);

	if (hw) {
		hw->obs = fn;
		hw->obs_ctx = ctx;
	}
}

void hw_violation(struct iommu_hw *hw, const char *fmt, ...)
{
	va_list ap;

	hw->nviolations++;
	hw->st.stale_served++;
	va_start(ap, fmt);
	g_string_append_vprintf(hw->violations, fmt, ap);
	va_end(ap);
	g_string_append_c(hw->violations, '\n');
}

int iommu_hw_take_violations(struct sim_world *w, GString *out)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	int n;

	if (!hw)
		return 0;
	n = hw->nviolations;
	if (out)
		g_string_append(out, hw->violations->str);
	g_string_truncate(hw->violations, 0);
	hw->nviolations = 0;
	return n;
}

/* ---- statistics and inspection ---------------------------------------------------------------- */

void iommu_hw_stats(struct sim_world *w, struct iommu_hw_stats *out)
{
	struct iommu_hw *hw = iommu_hw_get(w);

	memset(out, 0, sizeof(*out));
	if (!hw)
		return;
	*out = hw->st;
	out->iotlb_entries = iotlb_live(hw->tlb);
}

static gint cmp_u32(gconstpointer a, gconstpointer b)
{
	guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);

	return x < y ? -1 : x > y;
}

int iommu_hw_cache_for_each(struct sim_world *w, enum iommu_cache_id which,
			    int (*fn)(const struct iommu_cache_entry *e, void *ctx), void *ctx)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	GList *keys, *l;
	int ret = 0;

	if (!hw)
		return 0;
	if (which == IOMMU_CACHE_IOTLB)
		return iotlb_for_each(hw->tlb, fn, ctx);
	if (which == IOMMU_CACHE_PSC)
		return iotlb_for_each(hw->psc, fn, ctx);
	/* device TLBs in requester-id order (deterministic) */
	keys = g_list_sort(g_hash_table_get_keys(hw->atcs), cmp_u32);
	for (l = keys; l && !ret; l = l->next)
		ret = iotlb_for_each(g_hash_table_lookup(hw->atcs, l->data), fn, ctx);
	g_list_free(keys);
	return ret;
}

int iommu_hw_iotlb_for_each(struct sim_world *w,
			    int (*fn)(const struct iommu_cache_entry *e, void *ctx), void *ctx)
{
	return iommu_hw_cache_for_each(w, IOMMU_CACHE_IOTLB, fn, ctx);
}
