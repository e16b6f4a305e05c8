/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU hardware model (hw.h; spec §E first stage, §C wrong-direction
 * DMA, §H8/§H9 through iommu_hw_iotlb_for_each).
 *
 * Only bytes in simulated memory decide a translation: the root table
 * address per segment (the Root Table Address register), the root and
 * context entries, the page table.  There is no context cache: every
 * translation re-reads the root entry and the context entry (one reference
 * each, a 128-bit entry fetch), then probes the IOTLB with the context's
 * domain id, and walks the page table on a miss.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/hw.h"
#include "model/iommu/iotlb.h"

/* Entry encoding (hw.h). */
#define ENT_SIZE         16u
#define ENT_PRESENT      0x1ull
#define CTX_TYPE_SHIFT   2
#define CTX_TYPE_MASK    0x3ull
#define ENT_ADDR_MASK    (~0xfffull)
#define CTX_AW_MASK      0x7ull
#define CTX_DID_SHIFT    8
#define CTX_DID_MASK     0xffffull

struct iommu_hw {
	struct sim_world *w;
	struct iommu_hw_config cfg;
	GHashTable *roots;             /* segment -> root table HPA */
	struct iotlb *tlb;
	struct iommu_fault_rec *fq;    /* ring of cfg.fault_queue_len */
	size_t fq_head, fq_count;
	uint64_t fault_seq;
	struct iommu_hw_stats st;
};

static struct iommu_hw *hw_get(struct sim_world *w)
{
	return w ? sim_world_subsys(w, SIM_SUBSYS_IOMMU_HW) : NULL;
}

const char *iommu_fault_reason_name(enum iommu_fault_reason r)
{
	static const char *const names[] = {
		[IOMMU_FAULT_NONE] = "none", [IOMMU_FAULT_NO_CONTEXT] = "no-context",
		[IOMMU_FAULT_NOT_PRESENT] = "not-present",
		[IOMMU_FAULT_PERMISSION] = "permission", [IOMMU_FAULT_ADDR_SIZE] = "addr-size",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

static const char *ctx_type_name(enum iommu_ctx_type t)
{
	switch (t) {
	case IOMMU_CTX_TRANSLATE: return "translate";
	case IOMMU_CTX_PASSTHROUGH: return "passthrough";
	case IOMMU_CTX_BLOCKED: return "blocked";
	}
	return "invalid";
}

/* ---- setup and teardown ---------------------------------------------------- */

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

			if (lo & ENT_PRESENT)
				sim_mem_frame_put(hw->w, lo & ENT_ADDR_MASK);
		}
		sim_mem_frame_put(hw->w, root);
	}
	g_hash_table_destroy(hw->roots);
	iotlb_free(hw->tlb);
	g_free(hw->fq);
	g_free(hw);
}

static int hw_pci_dma(void *ctx, uint16_t segment, uint16_t rid, bool pasid_valid,
		      uint32_t pasid, uint64_t addr, void *buf, size_t len, bool write,
		      uint64_t *fault_addr, int *fault_reason)
{
	struct iommu_hw *hw = ctx;
	struct iommu_fault_rec rec;
	int ret = iommu_hw_dma(hw->w, segment, rid, pasid_valid, pasid, addr, buf, len,
			       write, &rec);

	if (ret == -EFAULT) {
		*fault_addr = rec.addr;
		*fault_reason = (int)rec.reason;
	}
	return ret;
}

int iommu_hw_create(struct sim_world *w, const struct iommu_hw_config *cfg)
{
	static const struct iommu_hw_config defaults = {
		.iotlb_entries = IOMMU_HW_DEFAULT_IOTLB,
		.fault_queue_len = IOMMU_HW_DEFAULT_FAULTQ,
	};
	struct iommu_hw *hw;
	struct pci_dma_handler h;

	if (hw_get(w))
		return -EEXIST;
	if (sim_should_fail(w, "iommu_hw_alloc"))
		return -ENOMEM;
	hw = g_new0(struct iommu_hw, 1);
	hw->w = w;
	hw->cfg = cfg ? *cfg : defaults;
	hw->roots = g_hash_table_new(g_direct_hash, g_direct_equal);
	hw->tlb = iotlb_new(hw->cfg.iotlb_entries, hw->cfg.naive_iotlb,
			    io_pgtable_vtd_ss.pgsize_bitmap);
	hw->fq = g_new0(struct iommu_fault_rec, hw->cfg.fault_queue_len ? hw->cfg.fault_queue_len : 1);
	sim_world_set_subsys(w, SIM_SUBSYS_IOMMU_HW, hw, hw_destroy);
	h = (struct pci_dma_handler){ .dma = hw_pci_dma, .ctx = hw };
	pci_set_dma_handler(w, &h);
	return 0;
}

/* ---- root and context tables -------------------------------------------------- */

static uint64_t root_of(struct iommu_hw *hw, uint16_t segment)
{
	return (uint64_t)GPOINTER_TO_SIZE(g_hash_table_lookup(hw->roots,
							      GUINT_TO_POINTER(segment)));
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

/* Read the context entry of (@segment, @rid); false when there is none
 * (or it is malformed).  Counts one reference per entry fetched. */
static bool ctx_fetch(struct iommu_hw *hw, uint16_t segment, uint16_t rid,
		      struct iommu_context *c, unsigned *refs)
{
	uint64_t root = root_of(hw, segment), lo, hi, type;

	if (!root)
		return false;
	lo = sim_mem_read64(hw->w, root + (rid >> 8) * ENT_SIZE);
	(*refs)++;
	if (!(lo & ENT_PRESENT))
		return false;
	root = (lo & ENT_ADDR_MASK) + (rid & 0xff) * ENT_SIZE;
	lo = sim_mem_read64(hw->w, root);
	hi = sim_mem_read64(hw->w, root + 8);
	(*refs)++;
	type = (lo >> CTX_TYPE_SHIFT) & CTX_TYPE_MASK;
	if (!(lo & ENT_PRESENT) || type == 1)
		return false;
	c->type = (enum iommu_ctx_type)type;
	c->did = (uint16_t)((hi >> CTX_DID_SHIFT) & CTX_DID_MASK);
	c->pgtable_root = lo & ENT_ADDR_MASK;
	c->levels = (hi & CTX_AW_MASK) ? (unsigned)(hi & CTX_AW_MASK) + 2 : 0;
	if (c->type == IOMMU_CTX_TRANSLATE && (c->levels < 3 || c->levels > 5))
		return false;
	return true;
}

static void trace_ctx(struct iommu_hw *hw, uint16_t segment, uint16_t rid,
		      const struct iommu_context *c)
{
	SIM_TRACE(hw->w, iommu_hw_ctx, segment, rid >> 8, (rid >> 3) & 0x1f, rid & 7,
		  c ? ctx_type_name(c->type) : "none", c ? c->did : 0,
		  (unsigned long long)(c ? c->pgtable_root : 0), c ? c->levels : 0);
}

int iommu_hw_set_context(struct sim_world *w, uint16_t segment, uint16_t rid,
			 const struct iommu_context *ctx)
{
	struct iommu_hw *hw = hw_get(w);
	uint64_t ent, lo, hi;
	int ret;

	if (!hw || !ctx)
		return -EINVAL;
	if (ctx->type != IOMMU_CTX_TRANSLATE && ctx->type != IOMMU_CTX_PASSTHROUGH &&
	    ctx->type != IOMMU_CTX_BLOCKED)
		return -EINVAL;
	if (ctx->type == IOMMU_CTX_TRANSLATE &&
	    (ctx->levels < 3 || ctx->levels > 5 || !ctx->pgtable_root ||
	     (ctx->pgtable_root & ~ENT_ADDR_MASK)))
		return -EINVAL;
	ret = ctx_entry_alloc(hw, segment, rid, &ent);
	if (ret)
		return ret;
	lo = ENT_PRESENT | ((uint64_t)ctx->type << CTX_TYPE_SHIFT);
	hi = (uint64_t)ctx->did << CTX_DID_SHIFT;
	if (ctx->type == IOMMU_CTX_TRANSLATE) {
		lo |= ctx->pgtable_root;
		hi |= ctx->levels - 2;
	}
	/* the high half first: the entry becomes present whole */
	sim_mem_write64(w, ent + 8, hi);
	sim_mem_write64(w, ent, lo);
	trace_ctx(hw, segment, rid, ctx);
	return 0;
}

int iommu_hw_clear_context(struct sim_world *w, uint16_t segment, uint16_t rid)
{
	struct iommu_hw *hw = hw_get(w);
	uint64_t root, lo, ent;

	if (!hw)
		return -EINVAL;
	root = root_of(hw, segment);
	lo = root ? sim_mem_read64(w, root + (rid >> 8) * ENT_SIZE) : 0;
	if (lo & ENT_PRESENT) {
		ent = (lo & ENT_ADDR_MASK) + (rid & 0xff) * ENT_SIZE;
		sim_mem_write64(w, ent, 0);     /* not present first */
		sim_mem_write64(w, ent + 8, 0);
	}
	trace_ctx(hw, segment, rid, NULL);
	return 0;
}

int iommu_hw_get_context(struct sim_world *w, uint16_t segment, uint16_t rid,
			 struct iommu_context *ctx)
{
	struct iommu_hw *hw = hw_get(w);
	struct iommu_context c = { 0 };
	unsigned refs = 0;

	if (!hw || !ctx_fetch(hw, segment, rid, &c, &refs))
		return -ENOENT;
	*ctx = c;
	return 0;
}

/* ---- IOTLB invalidation ----------------------------------------------------------- */

static void trace_inv(struct iommu_hw *hw, const char *scope, uint16_t did, uint64_t iova,
		      uint64_t size, unsigned dropped)
{
	hw->st.iotlb_invalidations++;
	SIM_TRACE(hw->w, iommu_hw_inv, scope, did, (unsigned long long)iova,
		  (unsigned long long)size, dropped);
}

void iommu_hw_inv_domain(struct sim_world *w, uint16_t did)
{
	struct iommu_hw *hw = hw_get(w);

	if (hw)
		trace_inv(hw, "domain", did, 0, 0, iotlb_inv_domain(hw->tlb, did));
}

void iommu_hw_inv_range(struct sim_world *w, uint16_t did, uint64_t iova, uint64_t size)
{
	struct iommu_hw *hw = hw_get(w);

	if (hw)
		trace_inv(hw, "range", did, iova, size, iotlb_inv_range(hw->tlb, did, iova, size));
}

void iommu_hw_inv_all(struct sim_world *w)
{
	struct iommu_hw *hw = hw_get(w);

	if (hw)
		trace_inv(hw, "all", 0, 0, 0, iotlb_inv_all(hw->tlb));
}

/* ---- faults -------------------------------------------------------------------------- */

static void fault_report(struct iommu_hw *hw, struct iommu_fault_rec *rec)
{
	char pasid[16] = "none";
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
	if (rec->pasid_valid)
		snprintf(pasid, sizeof(pasid), "%u", rec->pasid);
	SIM_TRACE(hw->w, iommu_hw_fault, rec->segment, rec->rid >> 8, (rec->rid >> 3) & 0x1f,
		  rec->rid & 7, pasid, (unsigned long long)rec->addr,
		  rec->write ? "write" : "read", iommu_fault_reason_name(rec->reason));
}

size_t iommu_hw_fault_count(struct sim_world *w)
{
	struct iommu_hw *hw = hw_get(w);

	return hw ? hw->fq_count : 0;
}

const struct iommu_fault_rec *iommu_hw_fault_at(struct sim_world *w, size_t i)
{
	struct iommu_hw *hw = hw_get(w);

	if (!hw || i >= hw->fq_count)
		return NULL;
	return &hw->fq[(hw->fq_head + i) % hw->cfg.fault_queue_len];
}

void iommu_hw_fault_clear(struct sim_world *w)
{
	struct iommu_hw *hw = hw_get(w);

	if (hw)
		hw->fq_head = hw->fq_count = 0;
}

/* ---- translation ---------------------------------------------------------------------- */

/* The IOTLB, then on a miss the page-table walk (filling the IOTLB). */
static enum iommu_fault_reason xlate_paging(struct iommu_hw *hw, const struct iommu_context *c,
					    uint64_t addr, struct iommu_xlate *out)
{
	struct io_pgtable pt = { .w = hw->w, .fmt = &io_pgtable_vtd_ss,
				 .levels = c->levels, .root = c->pgtable_root };
	struct iommu_iotlb_entry e;
	struct io_pgtable_walk wk;

	if (addr >> io_pgtable_ias(&pt))
		return IOMMU_FAULT_ADDR_SIZE;
	if (iotlb_lookup(hw->tlb, c->did, addr, &e)) {
		hw->st.iotlb_hits++;
		out->iotlb_hit = true;
	} else {
		hw->st.iotlb_misses++;
		hw->st.walks++;
		int ret = io_pgtable_lookup(&pt, addr, &wk);

		out->pt_refs = wk.refs;
		if (ret)
			return IOMMU_FAULT_NOT_PRESENT;
		e = (struct iommu_iotlb_entry){ .did = c->did, .size = wk.leaf_size,
			.iova = addr & ~(wk.leaf_size - 1), .prot = wk.prot,
			.hpa = wk.out - (addr & (wk.leaf_size - 1)) };
		hw->st.iotlb_evictions += iotlb_insert(hw->tlb, &e);
	}
	out->hpa = e.hpa + (addr - e.iova);
	out->prot = e.prot;
	out->page_size = e.size;
	return IOMMU_FAULT_NONE;
}

static enum iommu_fault_reason xlate(struct iommu_hw *hw, uint16_t segment, uint16_t rid,
				     bool pasid_valid, uint64_t addr, bool write,
				     struct iommu_xlate *out)
{
	struct iommu_context c;
	enum iommu_fault_reason r;

	/* no PASID tables yet: a PASID-tagged request has no context */
	if (!ctx_fetch(hw, segment, rid, &c, &out->ctx_refs) || pasid_valid)
		return IOMMU_FAULT_NO_CONTEXT;
	if (c.type == IOMMU_CTX_BLOCKED)
		return IOMMU_FAULT_NOT_PRESENT;
	if (c.type == IOMMU_CTX_PASSTHROUGH) {
		out->hpa = addr;
		out->prot = IOMMU_READ | IOMMU_WRITE;
		out->page_size = SZ_4K;
		return IOMMU_FAULT_NONE;
	}
	r = xlate_paging(hw, &c, addr, out);
	if (r)
		return r;
	/* spec §C: a wrong-direction DMA is a permission fault */
	if (!(out->prot & (write ? IOMMU_WRITE : IOMMU_READ)))
		return IOMMU_FAULT_PERMISSION;
	return IOMMU_FAULT_NONE;
}

static int hw_translate(struct iommu_hw *hw, uint16_t segment, uint16_t rid, bool pasid_valid,
			uint32_t pasid, uint64_t addr, bool write, struct iommu_xlate *out,
			struct iommu_fault_rec *rec)
{
	memset(out, 0, sizeof(*out));
	hw->st.translations++;
	out->fault = xlate(hw, segment, rid, pasid_valid, addr, write, out);
	hw->st.ctx_refs += out->ctx_refs;
	hw->st.pt_refs += out->pt_refs;
	if (!out->fault)
		return 0;
	*rec = (struct iommu_fault_rec){ .segment = segment, .rid = rid,
		.pasid_valid = pasid_valid, .pasid = pasid_valid ? pasid : 0, .addr = addr,
		.write = write, .reason = out->fault };
	fault_report(hw, rec);
	return -EFAULT;
}

int iommu_hw_translate(struct sim_world *w, uint16_t segment, uint16_t rid,
		       bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
		       struct iommu_xlate *out)
{
	struct iommu_hw *hw = hw_get(w);
	struct iommu_fault_rec rec;

	if (!hw || !out)
		return -EINVAL;
	return hw_translate(hw, segment, rid, pasid_valid, pasid, addr, write, out, &rec);
}

/* ---- the DMA engine ------------------------------------------------------------------- */

int iommu_hw_dma(struct sim_world *w, uint16_t segment, uint16_t rid,
		 bool pasid_valid, uint32_t pasid, uint64_t addr, void *buf,
		 size_t len, bool write, struct iommu_fault_rec *fault)
{
	struct iommu_hw *hw = hw_get(w);
	struct iommu_fault_rec rec;
	struct iommu_xlate x;
	uint8_t *p = buf;
	int ret;

	if (!hw || (len && !buf))
		return -EINVAL;
	while (len) {
		/* one translation per input page */
		size_t n = SZ_4K - (addr & (SZ_4K - 1));

		if (n > len)
			n = len;
		if (hw_translate(hw, segment, rid, pasid_valid, pasid, addr, write, &x, &rec)) {
			if (fault)
				*fault = rec;
			return -EFAULT;
		}
		ret = write ? sim_mem_write(w, x.hpa, p, n) : sim_mem_read(w, x.hpa, p, n);
		if (ret)
			return ret;
		p += n;
		addr += n;
		len -= n;
	}
	return 0;
}

/* ---- statistics and inspection ---------------------------------------------------------- */

void iommu_hw_stats(struct sim_world *w, struct iommu_hw_stats *out)
{
	struct iommu_hw *hw = hw_get(w);

	memset(out, 0, sizeof(*out));
	if (!hw)
		return;
	*out = hw->st;
	out->iotlb_entries = iotlb_live(hw->tlb);
}

int iommu_hw_iotlb_for_each(struct sim_world *w,
			    int (*fn)(const struct iommu_iotlb_entry *e, void *ctx),
			    void *ctx)
{
	struct iommu_hw *hw = hw_get(w);

	return hw ? iotlb_for_each(hw->tlb, fn, ctx) : 0;
}
