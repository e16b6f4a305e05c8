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
#include "model/iommu/hw_ctx.h"
#include "model/iommu/hw_internal.h"

static void view_free(gpointer p);
static void tables_free_all(struct iommu_hw *hw);
static const struct hw_ctx_ops *ops_of(enum iommu_hw_kind k);

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
		[IOMMU_FAULT_PRI_INVALID] = "page-request-invalid",
		[IOMMU_FAULT_PRI_FAILURE] = "page-request-failure",
		[IOMMU_FAULT_PRI_PENDING] = "page-request-pending",
	};

	return (unsigned)r < G_N_ELEMENTS(names) ? names[r] : "unknown";
}

const char *iommu_inv_type_name(enum iommu_inv_type t)
{
	static const char *const names[] = {
		[IOMMU_INV_IOTLB_ALL] = "iotlb-all", [IOMMU_INV_IOTLB_DOMAIN] = "iotlb-domain",
		[IOMMU_INV_IOTLB_PASID] = "iotlb-pasid", [IOMMU_INV_IOTLB_RANGE] = "iotlb-range",
		[IOMMU_INV_PASID_CACHE] = "pasid-cache", [IOMMU_INV_DEVTLB] = "devtlb",
		[IOMMU_INV_WAIT] = "wait", [IOMMU_INV_CTX_CACHE] = "ctx-cache",
		[IOMMU_INV_IOTLB_VM] = "iotlb-vm",
	};

	return (unsigned)t < G_N_ELEMENTS(names) ? names[t] : "unknown";
}

const char *iommu_inv_cmd_name(enum iommu_hw_kind k, enum iommu_inv_type t)
{
	/* the invalidation descriptors (VT-d 6.5.2), the SMMUv3 command
	 * queue's commands, the RISC-V IOMMU command queue's */
	static const char *const names[3][IOMMU_INV_IOTLB_VM + 1] = {
		[IOMMU_HW_VTD] = {
			[IOMMU_INV_IOTLB_ALL] = "iotlb_inv_dsc (global)",
			[IOMMU_INV_IOTLB_DOMAIN] = "iotlb_inv_dsc (domain)",
			[IOMMU_INV_IOTLB_PASID] = "p_iotlb_inv_dsc (PASID)",
			[IOMMU_INV_IOTLB_RANGE] = "iotlb_inv_dsc (page)",
			[IOMMU_INV_PASID_CACHE] = "pc_inv_dsc",
			[IOMMU_INV_DEVTLB] = "dev_tlb_inv_dsc",
			[IOMMU_INV_WAIT] = "inv_wait_dsc",
			[IOMMU_INV_CTX_CACHE] = "cc_inv_dsc (device)",
			[IOMMU_INV_IOTLB_VM] = "iotlb_inv_dsc (global)",
		},
		[IOMMU_HW_SMMUV3] = {
			[IOMMU_INV_IOTLB_ALL] = "CMD_TLBI_NSNH_ALL",
			[IOMMU_INV_IOTLB_DOMAIN] = "CMD_TLBI_NH_ASID / S12_VMALL",
			[IOMMU_INV_IOTLB_PASID] = "CMD_TLBI_NH_ASID",
			[IOMMU_INV_IOTLB_RANGE] = "CMD_TLBI_NH_VA / S2_IPA",
			[IOMMU_INV_PASID_CACHE] = "CMD_CFGI_CD",
			[IOMMU_INV_DEVTLB] = "CMD_ATC_INV",
			[IOMMU_INV_WAIT] = "CMD_SYNC",
			[IOMMU_INV_CTX_CACHE] = "CMD_CFGI_STE",
			[IOMMU_INV_IOTLB_VM] = "CMD_TLBI_NH_ALL / S12_VMALL (VMID)",
		},
		[IOMMU_HW_RISCV] = {
			[IOMMU_INV_IOTLB_ALL] = "IOTINVAL.GVMA (all)",
			[IOMMU_INV_IOTLB_DOMAIN] = "IOTINVAL.VMA / GVMA (GSCID, PSCID)",
			[IOMMU_INV_IOTLB_PASID] = "IOTINVAL.VMA (PSCID)",
			[IOMMU_INV_IOTLB_RANGE] = "IOTINVAL.VMA / GVMA (address)",
			[IOMMU_INV_PASID_CACHE] = "IODIR.INVAL_PDT",
			[IOMMU_INV_DEVTLB] = "ATS.INVAL",
			[IOMMU_INV_WAIT] = "IOFENCE.C",
			[IOMMU_INV_CTX_CACHE] = "IODIR.INVAL_DDT",
			[IOMMU_INV_IOTLB_VM] = "IOTINVAL.GVMA (GSCID)",
		},
	};

	if ((unsigned)k > IOMMU_HW_RISCV || (unsigned)t > IOMMU_INV_IOTLB_VM)
		return "unknown";
	return names[k][t];
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
		.ctx_cache_entries = IOMMU_HW_DEFAULT_CTX_CACHE,
		.pasid_cache_entries = IOMMU_HW_DEFAULT_PASID_CACHE,
	};
}

static void hw_destroy(void *data)
{
	struct iommu_hw *hw = data;

	pci_set_dma_handler(hw->w, NULL);
	tables_free_all(hw);       /* every context table, without walking them */
	g_hash_table_destroy(hw->tables);
	g_hash_table_destroy(hw->roots);
	iotlb_free(hw->tlb);
	iotlb_free(hw->psc);
	g_hash_table_destroy(hw->atcs);
	hw_pri_free(hw);
	g_hash_table_destroy(hw->pcache);
	g_queue_clear(&hw->pc_fifo);
	g_hash_table_destroy(hw->ccache);
	g_queue_clear(&hw->cc_fifo);
	g_hash_table_destroy(hw->views);
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
	if ((unsigned)cfg->kind > IOMMU_HW_RISCV || cfg->pasid_bits > IOMMU_HW_MAX_PASID_BITS ||
	    cfg->riscv_ddt_levels > 3)
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
	hw->ccache = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	g_queue_init(&hw->cc_fifo);
	hw->views = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, view_free);
	hw->tables = g_hash_table_new(g_direct_hash, g_direct_equal);
	hw->ops = ops_of(cfg->kind);
	for (unsigned l = 0; l <= IO_PGTABLE_MAX_LEVELS; l++) {
		hw->fmt[0][l] = iommu_hw_fmt(cfg->kind, IO_PGTABLE_STAGE1, l);
		hw->fmt[1][l] = iommu_hw_fmt(cfg->kind, IO_PGTABLE_STAGE2, l);
	}
	hw->front = NULL;      /* on the first translation (front_get) */
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

/* ---- what the kinds' backends share ----------------------------------------------------- */

uint64_t hw_seg_root(struct iommu_hw *hw, uint16_t segment)
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

void hw_seg_root_set(struct iommu_hw *hw, uint16_t seg, uint64_t root)
{
	g_hash_table_insert(hw->roots, GUINT_TO_POINTER(seg), GSIZE_TO_POINTER(root));
	hw->root_memo_ok = false;
}

/* Hash keys that are numbers (dev_key, HPAs), ascending. */
static gint cmp_ptr(gconstpointer a, gconstpointer b)
{
	gsize x = GPOINTER_TO_SIZE(a), y = GPOINTER_TO_SIZE(b);

	return x < y ? -1 : x > y;
}

/*
 * The context tables the backends own, by first HPA -> frames.  Like a
 * kernel driver, which keeps its tables' addresses in its own structures,
 * the model frees only what it allocated: a pointer read back from memory
 * that a device scribbled over (an identity-mapped DMA can reach kernel
 * frames) names no table of ours and frees nothing.
 */
int hw_table_alloc(struct iommu_hw *hw, unsigned n, uint64_t *hpa)
{
	int ret = n == 1 ? sim_mem_frame_alloc(hw->w, SIM_FRAME_KERNEL, hpa)
			 : sim_mem_frames_alloc_contig(hw->w, SIM_FRAME_KERNEL, n, hpa);

	if (!ret)
		g_hash_table_insert(hw->tables, GSIZE_TO_POINTER(*hpa), GUINT_TO_POINTER(n));
	return ret;
}

static void table_put(struct iommu_hw *hw, uint64_t hpa, unsigned n)
{
	/* highest first: a contiguous run goes back to the bump pointer */
	for (unsigned i = n; i--;)
		sim_mem_frame_put(hw->w, hpa + (uint64_t)i * SIM_PAGE_SIZE);
}

void hw_table_free(struct iommu_hw *hw, uint64_t hpa, unsigned n)
{
	gpointer v;

	if (!g_hash_table_lookup_extended(hw->tables, GSIZE_TO_POINTER(hpa), NULL, &v) ||
	    GPOINTER_TO_UINT(v) != n)
		return;              /* not a table of ours (or not its size) */
	g_hash_table_remove(hw->tables, GSIZE_TO_POINTER(hpa));
	table_put(hw, hpa, n);
}

/* Teardown: whatever the backend's walk did not reach (garbage in its
 * entries) is freed all the same, in address order. */
static void tables_free_all(struct iommu_hw *hw)
{
	GList *keys = g_list_sort(g_hash_table_get_keys(hw->tables), cmp_ptr);

	for (GList *k = keys; k; k = k->next)
		table_put(hw, (uint64_t)GPOINTER_TO_SIZE(k->data),
			  GPOINTER_TO_UINT(g_hash_table_lookup(hw->tables, k->data)));
	g_list_free(keys);
	g_hash_table_remove_all(hw->tables);
}

void hw_ctx_emit(struct iommu_hw *hw, enum iommu_walk_ev ev, unsigned level, unsigned index,
		 uint64_t addr, uint64_t value, const struct iommu_context *c)
{
	HW_EMIT(hw, .ev = ev, .level = level, .index = index, .addr = addr, .value = value,
		.ctx = c);
}

bool hw_pasid_leaf(struct iommu_hw *hw, const struct hw_devctx *dc, uint64_t a, unsigned n,
		   uint64_t valid, unsigned index, hw_pasid_decode_fn decode,
		   struct iommu_context *c, unsigned *refs, enum hw_ctx_fail *why)
{
	uint64_t q[8];
	bool ok;

	for (unsigned i = 0; i < n && i < 8; i++)
		q[i] = sim_mem_read64(hw->w, a + 8ull * i);
	(*refs)++;
	ok = (q[0] & valid) && decode(hw, dc, q, c);
	hw_ctx_emit(hw, IOMMU_EV_PASID_ENTRY, 0, index, a, q[0], ok ? c : NULL);
	if (!(q[0] & valid))
		return hw_ctx_fail_with(why, HW_CTX_NO_PASID);
	return ok ? true : hw_ctx_fail_with(why, HW_CTX_BAD_PASID);
}

bool hw_ctx_fail_with(enum hw_ctx_fail *why, enum hw_ctx_fail what)
{
	if (why)
		*why = what;
	return false;
}

bool hw_fmt_ok(const struct iommu_hw *hw, unsigned stage, unsigned levels)
{
	return (stage == 1 || stage == 2) && levels <= IO_PGTABLE_MAX_LEVELS &&
	       hw->fmt[stage - 1][levels] != NULL;
}

static const struct hw_ctx_ops *ops_of(enum iommu_hw_kind k)
{
	switch (k) {
	case IOMMU_HW_SMMUV3: return &hw_ctx_smmuv3_ops;
	case IOMMU_HW_RISCV: return &hw_ctx_riscv_ops;
	case IOMMU_HW_VTD: break;
	}
	return &hw_ctx_vtd_ops;
}

/* ---- the driver's view of each device ------------------------------------------------------- */

static void view_free(gpointer p)
{
	struct hw_dev_view *v = p;

	if (v->tagged)
		g_hash_table_destroy(v->tagged);
	g_free(v);
}

static struct hw_dev_view *view_of(struct iommu_hw *hw, uint16_t seg, uint16_t rid, bool create)
{
	gpointer k = GUINT_TO_POINTER(dev_key(seg, rid));
	struct hw_dev_view *v = g_hash_table_lookup(hw->views, k);

	if (!v && create) {
		v = g_new0(struct hw_dev_view, 1);
		v->seg = seg;
		v->rid = rid;
		g_hash_table_insert(hw->views, k, v);
	}
	return v;
}

const struct iommu_context *hw_view_ctx(const struct hw_dev_view *v, uint32_t pasid)
{
	if (!pasid)
		return v->has_rid ? &v->rid_ctx : NULL;
	return v->tagged ? g_hash_table_lookup(v->tagged, GUINT_TO_POINTER(pasid)) : NULL;
}

const struct iommu_context *hw_view_nested(const struct hw_dev_view *v)
{
	GHashTableIter it;
	gpointer k, val;
	const struct iommu_context *best = NULL;
	guint best_p = 0;

	if (!v->tagged)
		return NULL;
	/* the lowest such PASID: the answer must not depend on hash order */
	g_hash_table_iter_init(&it, v->tagged);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		const struct iommu_context *c = val;

		if (c->type == IOMMU_CTX_NESTED && (!best || GPOINTER_TO_UINT(k) < best_p)) {
			best = c;
			best_p = GPOINTER_TO_UINT(k);
		}
	}
	return best;
}

/* Put @c (NULL: none) at @pasid of @v. */
static void view_set(struct hw_dev_view *v, uint32_t pasid, const struct iommu_context *c)
{
	if (!pasid) {
		v->has_rid = c != NULL;
		if (c)
			v->rid_ctx = *c;
		else
			memset(&v->rid_ctx, 0, sizeof(v->rid_ctx));
		return;
	}
	if (c) {
		if (!v->tagged)
			v->tagged = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
		if (!g_hash_table_lookup(v->tagged, GUINT_TO_POINTER(pasid)))
			v->ntagged++;
		g_hash_table_insert(v->tagged, GUINT_TO_POINTER(pasid), g_memdup2(c, sizeof(*c)));
	} else if (v->tagged && g_hash_table_remove(v->tagged, GUINT_TO_POINTER(pasid))) {
		v->ntagged--;
	}
}

/* ---- reading the structures back (the hardware, no caches) ------------------------------ */

/* The device entry of (@seg, @rid) from memory, quietly: 0 or -ENOENT. */
int hw_dev_read(struct iommu_hw *hw, uint16_t seg, uint16_t rid, struct hw_devctx *dc)
{
	bool quiet = hw->quiet, ok;
	unsigned refs = 0;

	memset(dc, 0, sizeof(*dc));
	hw->quiet = true;
	ok = hw->ops->fetch_dev(hw, seg, rid, dc, &refs, NULL);
	hw->quiet = quiet;
	return ok ? 0 : -ENOENT;
}

int hw_pasid_read(struct iommu_hw *hw, uint64_t loc, struct iommu_context *c)
{
	uint16_t seg = (uint16_t)(loc >> 48), rid = (uint16_t)(loc >> 32);
	uint32_t pasid = (uint32_t)loc;
	struct hw_devctx dc;
	unsigned refs = 0;
	bool quiet = hw->quiet, ok;

	if (hw_dev_read(hw, seg, rid, &dc))
		return -ENOENT;
	memset(c, 0, sizeof(*c));
	if (!pasid && dc.rid_direct) {
		*c = dc.rid;
		return 0;
	}
	if (!pasid)
		pasid = dc.rid_pasid;
	else if (!dc.pasid_ok || pasid >> dc.pasid_limit_bits)
		return -ENOENT;
	hw->quiet = true;
	ok = hw->ops->fetch_pasid(hw, &dc, pasid, c, &refs, NULL);
	hw->quiet = quiet;
	return ok ? 0 : -ENOENT;
}

/* ---- devices ---------------------------------------------------------------------------- */

static void trace_dev(struct iommu_hw *hw, uint16_t seg, uint16_t rid, unsigned bits, bool ats)
{
	SIM_TRACE(hw->w, iommu_hw_dev, seg, rid >> 8, (rid >> 3) & 0x1f, rid & 7, bits, ats);
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

bool iommu_hw_device_ats(struct sim_world *w, uint16_t segment, uint16_t rid)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct hw_dev_view *v = hw ? view_of(hw, segment, rid, false) : NULL;

	return v && v->programmed && v->ats;
}

int iommu_hw_program_device(struct sim_world *w, uint16_t segment, uint16_t rid,
			    const struct iommu_dev_ctx *dc, unsigned *wrote)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct hw_dev_view *v, old;
	unsigned wr = 0;
	int ret;

	if (wrote)
		*wrote = 0;
	if (!hw || !dc || dc->pasid_bits > hw->cfg.pasid_bits)
		return -EINVAL;
	v = view_of(hw, segment, rid, true);
	/* the table's size is the device's width: no other size while
	 * anything is programmed in it */
	if (v->programmed && v->pasid_bits != dc->pasid_bits && (v->has_rid || v->ntagged))
		return -EBUSY;
	old = *v;
	v->programmed = true;
	v->pasid_bits = dc->pasid_bits;
	v->ats = dc->ats;
	ret = hw->ops->write(hw, v, HW_PASID_DEVICE, &wr);
	if (ret) {
		v->programmed = old.programmed;
		v->pasid_bits = old.pasid_bits;
		v->ats = old.ats;
		return ret;
	}
	if (wrote)
		*wrote = wr;
	ats_set(hw, segment, rid, dc->ats);
	trace_dev(hw, segment, rid, dc->pasid_bits, dc->ats);
	return 0;
}

int iommu_hw_set_device(struct sim_world *w, uint16_t segment, uint16_t rid,
			const struct iommu_dev_ctx *dc)
{
	return iommu_hw_program_device(w, segment, rid, dc, NULL);
}

/* ---- the did oracle (for the checker) ----------------------------------------------------- */

static void oracle_drop(struct iommu_hw *hw, uint32_t did, uint64_t loc)
{
	GArray *a = g_hash_table_lookup(hw->did_locs, GUINT_TO_POINTER(did));

	for (guint i = 0; a && i < a->len; i++)
		if (g_array_index(a, uint64_t, i) == loc) {
			g_array_remove_index(a, i);
			break;
		}
}

static void oracle_add(struct iommu_hw *hw, uint32_t did, uint64_t loc)
{
	GArray *a = g_hash_table_lookup(hw->did_locs, GUINT_TO_POINTER(did));

	if (!a) {
		a = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		g_hash_table_insert(hw->did_locs, GUINT_TO_POINTER(did), a);
	}
	g_array_append_val(a, loc);
}

static bool oracle_tracks(const struct iommu_context *c)
{
	return c && c->type != IOMMU_CTX_PASSTHROUGH && c->type != IOMMU_CTX_BLOCKED;
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
	/* a guest's STE: SMMUv3's, nested, its stage 1 the guest's to check */
	if (c->vste && (c->type != IOMMU_CTX_NESTED || hw->cfg.kind != IOMMU_HW_SMMUV3))
		return false;
	if (s1 && !c->vste && (!hw_fmt_ok(hw, 1, c->s1_levels) || (c->s1_root & 0xfff) ||
		   (c->type == IOMMU_CTX_S1 && !c->s1_root)))
		return false;
	if (s2 && (!hw_fmt_ok(hw, 2, c->s2_levels) || !c->s2_root || (c->s2_root & 0xfff)))
		return false;
	/* dirty tracking of a stage the context has, on an IOMMU that can */
	if ((c->dirty & ~(IOMMU_CTX_DIRTY_S1 | IOMMU_CTX_DIRTY_S2)) ||
	    (c->dirty && hw->cfg.no_dirty_tracking) ||
	    ((c->dirty & IOMMU_CTX_DIRTY_S1) && !s1) || ((c->dirty & IOMMU_CTX_DIRTY_S2) && !s2))
		return false;
	return true;
}

/* Only the fields @c's type uses: what the hardware reads back. */
static void ctx_normalise(const struct iommu_context *c, struct iommu_context *out)
{
	memset(out, 0, sizeof(*out));
	out->type = c->type;
	if (c->type == IOMMU_CTX_PASSTHROUGH || c->type == IOMMU_CTX_BLOCKED)
		return;
	out->did = c->did;
	if (c->type == IOMMU_CTX_S1 || c->type == IOMMU_CTX_NESTED) {
		out->s1_root = c->s1_root;
		out->s1_levels = c->s1_levels;
	}
	if (c->type == IOMMU_CTX_TRANSLATE || c->type == IOMMU_CTX_NESTED) {
		out->s2_root = c->s2_root;
		out->s2_levels = c->s2_levels;
	}
	if (c->type == IOMMU_CTX_NESTED) {
		out->s2_did = c->s2_did;
		if (c->vste) {
			out->vste = true;
			out->vste0 = c->vste0;
			out->vste1 = c->vste1;
			out->s1_root = 0;
			out->s1_levels = 0;
		}
	}
	out->dirty = c->dirty;
}

int iommu_hw_program_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid,
			   const struct iommu_context *ctx, unsigned *wrote)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	const struct iommu_context *cur;
	struct iommu_context nc, oc;
	struct hw_dev_view *v;
	bool had;
	unsigned wr = 0;
	uint64_t loc = loc_key(segment, rid, pasid);
	int ret;

	if (wrote)
		*wrote = 0;
	if (!hw || (ctx && !ctx_valid(hw, ctx)))
		return -EINVAL;
	v = view_of(hw, segment, rid, ctx != NULL);
	if (!v || (!ctx && (!v->programmed || pasid >> v->pasid_bits)))
		return 0;                    /* nothing there to clear */
	if (!v->programmed) {
		struct iommu_dev_ctx dc = { 0 };

		/* a device entry of width 0 first, as for iommu_hw_set_device */
		if (pasid)
			return -EINVAL;
		ret = iommu_hw_program_device(w, segment, rid, &dc, &wr);
		if (ret)
			return ret;
	}
	if (pasid >> v->pasid_bits)
		return -EINVAL;
	if (ctx)
		ctx_normalise(ctx, &nc);
	ret = hw->ops->admit(hw, v, pasid, ctx ? &nc : NULL);
	if (ret)
		return ret;
	cur = hw_view_ctx(v, pasid);
	had = cur != NULL;
	if (had)
		oc = *cur;
	view_set(v, pasid, ctx ? &nc : NULL);
	ret = hw->ops->write(hw, v, pasid, &wr);
	if (ret) {
		view_set(v, pasid, had ? &oc : NULL);
		return ret;
	}
	if (had && oracle_tracks(&oc)) {
		oracle_drop(hw, oc.did, loc);
		if (oc.vste)         /* S1DSS bypass: the parent's untagged stage 2 */
			oracle_drop(hw, oc.s2_did, loc);
	}
	if (ctx && oracle_tracks(&nc)) {
		oracle_add(hw, nc.did, loc);
		if (nc.vste)
			oracle_add(hw, nc.s2_did, loc);
	}
	if (wrote)
		*wrote = wr;
	trace_pe(hw, segment, rid, pasid, ctx);
	return 0;
}

int iommu_hw_set_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid,
		       const struct iommu_context *ctx)
{
	return ctx ? iommu_hw_program_pasid(w, segment, rid, pasid, ctx, NULL) : -EINVAL;
}

int iommu_hw_clear_pasid(struct sim_world *w, uint16_t segment, uint16_t rid, uint32_t pasid)
{
	return iommu_hw_get(w) ? iommu_hw_program_pasid(w, segment, rid, pasid, NULL, NULL)
			       : -EINVAL;
}

int iommu_hw_clear_device(struct sim_world *w, uint16_t segment, uint16_t rid)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct hw_dev_view *v;
	unsigned wr = 0;

	if (!hw)
		return -EINVAL;
	v = view_of(hw, segment, rid, false);
	if (!v)
		return 0;
	/* forget the domain ids of its entries */
	if (v->has_rid && oracle_tracks(&v->rid_ctx)) {
		oracle_drop(hw, v->rid_ctx.did, loc_key(segment, rid, 0));
		if (v->rid_ctx.vste)
			oracle_drop(hw, v->rid_ctx.s2_did, loc_key(segment, rid, 0));
	}
	if (v->tagged) {
		GHashTableIter it;
		gpointer k, val;

		g_hash_table_iter_init(&it, v->tagged);
		while (g_hash_table_iter_next(&it, &k, &val))
			if (oracle_tracks(val))
				oracle_drop(hw, ((struct iommu_context *)val)->did,
					    loc_key(segment, rid, GPOINTER_TO_UINT(k)));
	}
	if (v->programmed)
		hw->ops->clear_device(hw, v, &wr);
	g_hash_table_remove(hw->views, GUINT_TO_POINTER(dev_key(segment, rid)));
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

static gint loc_cmp(gconstpointer a, gconstpointer b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int iommu_hw_for_each_pasid(struct sim_world *w,
			    int (*fn)(uint16_t segment, uint16_t rid, uint32_t pasid, void *arg),
			    void *arg)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	GArray *locs;
	GHashTableIter it, pit;
	gpointer k, val;
	int ret = 0;

	if (!hw)
		return 0;
	locs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	g_hash_table_iter_init(&it, hw->views);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		const struct hw_dev_view *v = val;

		if (!v->tagged)
			continue;
		g_hash_table_iter_init(&pit, v->tagged);
		while (g_hash_table_iter_next(&pit, &k, NULL)) {
			uint64_t loc = loc_key(v->seg, v->rid, GPOINTER_TO_UINT(k));

			g_array_append_val(locs, loc);
		}
	}
	/* hash order is not deterministic */
	g_array_sort(locs, loc_cmp);
	for (guint i = 0; !ret && i < locs->len; i++) {
		uint64_t loc = g_array_index(locs, uint64_t, i);

		ret = fn((uint16_t)(loc >> 48), (uint16_t)(loc >> 32), (uint32_t)loc, arg);
	}
	g_array_free(locs, TRUE);
	return ret;
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

static void note_inv(struct iommu_hw *hw, uint32_t did)
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

/* Drop the context-cache entry of (@seg, @rid): 1 when there was one. */
static unsigned cc_inv(struct iommu_hw *hw, uint16_t seg, uint16_t rid)
{
	gpointer k = GUINT_TO_POINTER(dev_key(seg, rid));
	struct cc_ent *ce = g_hash_table_lookup(hw->ccache, k);

	if (!ce)
		return 0;
	g_queue_delete_link(&hw->cc_fifo, ce->link);
	g_hash_table_remove(hw->ccache, k);
	return 1;
}

struct vm_tags {
	uint16_t vmid;
	GArray *tags;                /* uint32_t */
};

static int collect_vm_tag(const struct iommu_cache_entry *e, void *ctx)
{
	struct vm_tags *v = ctx;

	if (e->tag > 0xffff && IOMMU_GUEST_TAG_VMID(e->tag) == v->vmid)
		g_array_append_val(v->tags, e->tag);
	return 0;
}

static gint cmp_u32(gconstpointer a, gconstpointer b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * IOMMU_INV_IOTLB_VM: every entry a guest's CDs under VMID @vmid put in the
 * IOTLB and the paging-structure cache (TLBI_NH_ALL, S12_VMALL's stage-1
 * part).  The caches are keyed by tag, and a VMID's tags are whatever
 * ASIDs its guests chose: a scan finds them (a guest's full flush or its
 * STE's detach, not a hot path), then each tag's generation moves on.
 */
static unsigned inv_vm(struct iommu_hw *hw, uint16_t vmid, GArray **gone)
{
	struct vm_tags v = { .vmid = vmid, .tags = g_array_new(FALSE, FALSE, sizeof(uint32_t)) };
	unsigned n = 0;

	iotlb_for_each(hw->tlb, collect_vm_tag, &v);
	iotlb_for_each(hw->psc, collect_vm_tag, &v);
	g_array_sort(v.tags, cmp_u32);
	for (guint i = 0; i < v.tags->len; i++) {
		uint32_t tag = g_array_index(v.tags, uint32_t, i);
		struct iommu_inv_cmd one = { .type = IOMMU_INV_IOTLB_DOMAIN, .did = tag,
					     .pasid = IOMMU_PASID_NONE };

		if (i && tag == g_array_index(v.tags, uint32_t, i - 1))
			continue;
		if (hw->cfg.busy_dma) {
			GArray *a = gather(hw->tlb, &one, tag);

			if (!*gone)
				*gone = a;
			else {
				g_array_append_vals(*gone, a->data, a->len);
				g_array_free(a, TRUE);
			}
		}
		n += iotlb_inv_tag(hw->tlb, tag) + iotlb_inv_tag(hw->psc, tag);
		note_inv(hw, tag);
	}
	g_array_free(v.tags, TRUE);
	return n;
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
	case IOMMU_INV_IOTLB_VM:
		n = inv_vm(hw, (uint16_t)c->did, &tlb_gone);
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
	case IOMMU_INV_CTX_CACHE:
		n = cc_inv(hw, c->segment, c->rid);
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
	if (c->type != IOMMU_INV_WAIT && c->type != IOMMU_INV_PASID_CACHE &&
	    c->type != IOMMU_INV_CTX_CACHE)
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

void iommu_hw_inv_domain(struct sim_world *w, uint32_t did)
{
	struct iommu_inv_cmd c = { .type = IOMMU_INV_IOTLB_DOMAIN, .did = did,
				   .pasid = IOMMU_PASID_NONE };

	iommu_hw_invalidate(w, &c, 1);
}

void iommu_hw_inv_range(struct sim_world *w, uint32_t did, uint64_t iova, uint64_t size)
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
	/* page responses no group was waiting for (§H22) */
	{
		GString *pri = g_string_new(NULL);

		n += hw_pri_take_violations(hw, pri);
		if (out)
			g_string_append(out, pri->str);
		g_string_free(pri, TRUE);
	}
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
	keys = g_list_sort(g_hash_table_get_keys(hw->atcs), cmp_ptr);
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
