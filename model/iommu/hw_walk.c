/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU hardware model, part two (hw.h; spec §E.1-§E.5, §F ATS):
 * translation and the DMA engine.
 *
 * A translation reads the root and context entries (no context cache),
 * then the PASID entry (or the PASID cache), then asks the IOTLB; on a miss
 * it walks.  A stage-1 or stage-2-only walk reads descriptors from host
 * memory.  A nested walk reads each stage-1 descriptor at a GPA: the table
 * address goes through a stage-2 walk first, so with every cache off a walk
 * of g stage-1 and h stage-2 levels makes g(h + 1) + h = (g+1)(h+1) - 1
 * descriptor reads: 24 for 4+4, 35 for 5+5 (docs/dma-path.md).  The
 * paging-structure cache remembers non-leaf descriptors of either stage and
 * lets a walk start below them; stage-2 translations made for stage-1
 * fetches are not kept in the IOTLB, only in the PSC.  The IOTLB keeps the
 * final answer: for a nested walk one combined entry, GVA -> HPA, its span
 * the smaller of the two leaves, its permission S1 ∩ S2 (§E.4).
 *
 * Dirty tracking (docs/dirty-tracking.md): when the context enables it
 * for a stage, a write the translation allows marks that stage's leaf
 * dirty in memory; the IOTLB entry remembers whether the leaf was still
 * clean (IOMMU_TLB_WCLEAN), and only then does a later write walk again.
 */
#include <errno.h>
#include <string.h>

#include "sim/mem.h"
#include "model/iommu/hw_internal.h"

#define NEED(write) ((write) ? IOMMU_WRITE : IOMMU_READ)

/* One translation in progress. */
struct wctx {
	struct iommu_hw *hw;
	const struct iommu_context *c;
	struct iommu_xlate *x;
	bool fresh;                  /* checker: no caches, nothing counted */
	uint32_t ptag;               /* the stage-1 cache tag (the PASID) */
	struct io_pgtable s1, s2;
	uint64_t s1_last, s2_last;   /* each stage's last input address */
	uint64_t memo_gpa, memo_hpa; /* the stage-1 table a PSC hit gave */
	uint64_t s1_hpa[IO_PGTABLE_MAX_LEVELS + 1];   /* stage-1 tables read */
	uint64_t input;              /* what the current stage resolves */
	bool s1_fetch;               /* stage 2 for a stage-1 table */
	/* the fault, when one happens */
	enum iommu_fault_reason reason;
	unsigned fstage;
	enum iommu_fault_phase phase;
	uint64_t faddr;
	/* the last walks (fresh translations hand them to the checker) */
	struct io_pgtable_walk s1w, s2w;
	/* dirty tracking: the access writes, and per stage (1, 2) the tracked
	 * leaf of the final walk that is still clean (the descriptor and
	 * where it lives in host memory) */
	bool write;
	struct { bool clean; uint64_t hpa, pte; const struct io_pgtable_fmt *fmt; } mark[3];
};

/* The result of a walk through both stages. */
struct wres {
	uint64_t hpa, size, gpa;
	unsigned prot, s1p, s2p;
	bool wclean;                 /* a tracked leaf stays clean: IOMMU_TLB_WCLEAN */
};

static int fault(struct wctx *wc, enum iommu_fault_reason r, unsigned stage,
		 enum iommu_fault_phase phase, uint64_t addr)
{
	wc->reason = r;
	wc->fstage = stage;
	wc->phase = phase;
	wc->faddr = addr;
	return -EFAULT;
}

static bool use_caches(const struct wctx *wc)
{
	return !wc->fresh;
}

static G_GNUC_NO_INLINE void desc_event_emit(struct wctx *wc, unsigned stage,
					     const struct io_pgtable *pt,
					     const struct io_pgtable_ref *ref, uint64_t table_hpa,
					     uint64_t value)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	struct iommu_walk_event e;

	e = (struct iommu_walk_event){
		.ev = IOMMU_EV_DESC, .stage = stage, .s1_fetch = wc->s1_fetch,
		.input = wc->input, .level = ref->level, .index = ref->index,
		.table_hpa = table_hpa, .table_gpa = stage == 1 &&
			wc->c->type == IOMMU_CTX_NESTED ? ref->table : 0,
		.addr = table_hpa + (uint64_t)ref->index * sizeof(uint64_t), .value = value,
	};
	if (io_pgtable_pte_present(f, value) && io_pgtable_pte_is_leaf(f, value, ref->level)) {
		e.leaf = true;
		e.prot = io_pgtable_pte_prot(f, value);
		e.size = 1ull << io_pgtable_level_shift(pt, ref->level);
		e.out = io_pgtable_pte_addr(f, value);
	} else if (io_pgtable_pte_present(f, value)) {
		e.out = io_pgtable_pte_addr(f, value);
	}
	hw_emit(wc->hw, &e);
}

/* A descriptor read, for an observer; nobody listens: build nothing. */
static inline void desc_event(struct wctx *wc, unsigned stage, const struct io_pgtable *pt,
			      const struct io_pgtable_ref *ref, uint64_t table_hpa, uint64_t value)
{
	if (!wc->fresh && hw_observed(wc->hw))
		desc_event_emit(wc, stage, pt, ref, table_hpa, value);
}

/* ---- paging-structure caches ---------------------------------------------------------------- */

/* Where to start a walk of @stage for @in: a cached table, or the root. */
static void psc_start(struct wctx *wc, unsigned stage, uint64_t in,
		      struct io_pgtable_walker *wr)
{
	struct iommu_hw *hw = wc->hw;
	uint32_t ptag = stage == 1 ? wc->ptag : IOMMU_PASID_NONE;
	struct iommu_cache_entry e;

	if (!use_caches(wc) || !iotlb_capacity(hw->psc))
		return;
	if (!iotlb_lookup(hw->psc, wc->c->did, ptag, in, &e) || (e.kind >> 4) != stage) {
		hw->st.psc_misses++;
		return;
	}
	hw->st.psc_hits++;
	wc->x->psc_hits++;
	wr->start_level = e.kind & 0xf;
	wr->start_table = e.aux;
	if (stage == 1) {
		wc->memo_gpa = e.aux;
		wc->memo_hpa = e.hpa;
	}
	if (!hw->quiet) {
		struct iommu_walk_event ev = { .ev = IOMMU_EV_PSC_HIT, .stage = stage,
			.input = in, .level = e.kind & 0xf, .table_hpa = e.hpa,
			.table_gpa = stage == 1 && wc->c->type == IOMMU_CTX_NESTED ? e.aux : 0,
			.size = e.size };

		hw_emit(hw, &ev);
		if (hw->cfg.check)
			hw_check_psc_hit(hw, wc->c, stage, &e);
	}
}

/* Remember the tables a walk went through below where it started. */
static void psc_fill(struct wctx *wc, unsigned stage, const struct io_pgtable *pt,
		     const struct io_pgtable_walker *wr, uint64_t in,
		     const struct io_pgtable_walk *wk)
{
	struct iommu_hw *hw = wc->hw;
	unsigned top = wr->start_level ? wr->start_level : pt->levels;

	if (!use_caches(wc) || !iotlb_capacity(hw->psc))
		return;
	for (unsigned l = top; l > wk->level && l >= 2; l--) {
		uint64_t span = 1ull << io_pgtable_level_shift(pt, l);
		struct iommu_cache_entry e = {
			.tag = wc->c->did, .pasid = stage == 1 ? wc->ptag : IOMMU_PASID_NONE,
			.iova = in & ~(span - 1), .size = span, .aux = wk->tables[l - 1],
			.hpa = stage == 1 && wc->c->type == IOMMU_CTX_NESTED ? wc->s1_hpa[l - 1]
									     : wk->tables[l - 1],
			.kind = (l - 1) | stage << 4, .seq = hw->clock,
		};

		if (!e.aux)
			continue;
		iotlb_insert(hw->psc, &e);
	}
}

/* ---- hardware dirty tracking (docs/dirty-tracking.md) ------------------------------------ */

/*
 * The leaf a final walk of @stage ended at (@wk, its descriptor at HPA
 * @leaf_hpa): what a walker with or without dirty management makes of it.
 * Tracked (the context's SSADE / CD.HD / tc.GADE-SADE): an ARM DBM leaf is
 * writable even while AP[2] says read-only, and a clean trackable leaf is
 * remembered so the walk can mark it once the whole access is known to be
 * allowed.  Not tracked: RISC-V refuses a write through a leaf with D
 * clear (the spec's rule without A/D updates).
 */
static void leaf_track(struct wctx *wc, unsigned stage, const struct io_pgtable *pt,
		       struct io_pgtable_walk *wk, uint64_t leaf_hpa)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	bool track = wc->c->dirty & (stage == 1 ? IOMMU_CTX_DIRTY_S1 : IOMMU_CTX_DIRTY_S2);

	wc->mark[stage].clean = false;
	if (!f->desc.dirty_mask)
		return;
	if (!track) {
		if (f->desc.write_needs_dirty && !io_pgtable_pte_dirty(f, wk->pte))
			wk->prot &= ~IOMMU_WRITE;
		return;
	}
	if (!io_pgtable_pte_trackable(f, wk->pte))
		return;
	wk->prot |= IOMMU_WRITE;
	if (io_pgtable_pte_dirty(f, wk->pte))
		return;
	wc->mark[stage].clean = true;
	wc->mark[stage].hpa = leaf_hpa;
	wc->mark[stage].pte = wk->pte;
	wc->mark[stage].fmt = f;
}

/* After a walk that translated with @r->prot: a write the translation
 * allows marks each clean tracked leaf dirty (one atomic update of the
 * descriptor, as the D bit or AP[2] is written by the walker); otherwise
 * the entry is filled as write-clean.  Fresh (checker) walks and refills
 * (quiet) never write memory. */
static void dirty_finish(struct wctx *wc, struct wres *r)
{
	r->wclean = false;
	for (unsigned st = 1; st <= 2; st++) {
		if (!wc->mark[st].clean)
			continue;
		if (wc->write && (r->prot & IOMMU_WRITE) && !wc->fresh && !wc->hw->quiet)
			sim_mem_write64(wc->hw->w, wc->mark[st].hpa,
					io_pgtable_pte_mkdirty(wc->mark[st].fmt, wc->mark[st].pte));
		else
			r->wclean = true;
	}
}

/* ---- the stages --------------------------------------------------------------------------- */

static int read_s2(void *ctx, const struct io_pgtable_ref *ref, uint64_t *pte)
{
	struct wctx *wc = ctx;

	*pte = sim_mem_read64(wc->hw->w, ref->addr);
	desc_event(wc, 2, &wc->s2, ref, ref->table, *pte);
	return 0;
}

static uint64_t ia_last(const struct io_pgtable *pt)
{
	unsigned ias = io_pgtable_ias(pt);

	return ias >= 64 ? UINT64_MAX : (1ull << ias) - 1;
}

/* Stage 2 of @gpa: 0 and the leaf, or -EFAULT with the fault in @wc. */
static int s2_walk(struct wctx *wc, uint64_t gpa, bool fetch, struct io_pgtable_walk *wk)
{
	struct io_pgtable_walker wr = { .read = read_s2, .ctx = wc, .in_range = true };
	enum iommu_fault_phase ph = fetch ? IOMMU_PHASE_S1_FETCH : IOMMU_PHASE_FINAL;
	uint64_t in_save = wc->input;
	bool f_save = wc->s1_fetch;
	int ret;

	if (gpa > wc->s2_last)
		return fault(wc, IOMMU_FAULT_ADDR_SIZE, 2, ph, gpa);
	wc->input = gpa;
	wc->s1_fetch = fetch;
	psc_start(wc, 2, gpa, &wr);
	ret = io_pgtable_walk(&wc->s2, gpa, &wr, wk);
	if (!wc->fresh) {
		wc->x->s2_refs += wk->refs;
		wc->x->pt_refs += wk->refs;
	}
	psc_fill(wc, 2, &wc->s2, &wr, gpa, wk);
	wc->input = in_save;
	wc->s1_fetch = f_save;
	if (!ret && !fetch)
		leaf_track(wc, 2, &wc->s2, wk, wk->tables[wk->level] +
			   (uint64_t)wk->index * sizeof(uint64_t));
	wc->s2w = *wk;
	if (ret)
		return fault(wc, IOMMU_FAULT_NOT_PRESENT, 2, ph, gpa);
	if (fetch && !(wk->prot & IOMMU_READ))
		return fault(wc, IOMMU_FAULT_PERMISSION, 2, ph, gpa);
	return 0;
}

static int read_s1(void *ctx, const struct io_pgtable_ref *ref, uint64_t *pte)
{
	struct wctx *wc = ctx;
	uint64_t thpa = ref->table;

	if (wc->c->type == IOMMU_CTX_NESTED) {
		/* §E.2: the table address is a GPA; stage 2 finds it */
		if (ref->table == wc->memo_gpa && wc->memo_hpa) {
			thpa = wc->memo_hpa;
		} else {
			struct io_pgtable_walk wk;
			int ret = s2_walk(wc, ref->table & ~(SZ_4K - 1), true, &wk);

			if (ret)
				return ret;
			thpa = wk.out + (ref->table & (SZ_4K - 1));
		}
	}
	wc->s1_hpa[ref->level] = thpa;
	/* a stage-1 table may live in a guest's RAM (nested) or, later, a
	 * process's: writes there now count as table writes */
	sim_mem_mark_walked(wc->hw->w, thpa);
	*pte = sim_mem_read64(wc->hw->w, thpa + (uint64_t)ref->index * sizeof(uint64_t));
	desc_event(wc, 1, &wc->s1, ref, thpa, *pte);
	return 0;
}

static int s1_walk(struct wctx *wc, uint64_t va, struct io_pgtable_walk *wk)
{
	struct io_pgtable_walker wr = { .read = read_s1, .ctx = wc, .in_range = true };
	int ret;

	if (va > wc->s1_last)
		return fault(wc, IOMMU_FAULT_ADDR_SIZE, 1, IOMMU_PHASE_FINAL, va);
	wc->input = va;
	wc->memo_gpa = wc->memo_hpa = 0;
	psc_start(wc, 1, va, &wr);
	ret = io_pgtable_walk(&wc->s1, va, &wr, wk);
	if (!wc->fresh) {
		wc->x->s1_refs += wk->refs;
		wc->x->pt_refs += wk->refs;
	}
	psc_fill(wc, 1, &wc->s1, &wr, va, wk);
	if (!ret)
		leaf_track(wc, 1, &wc->s1, wk, wc->s1_hpa[wk->level] +
			   (uint64_t)wk->index * sizeof(uint64_t));
	wc->s1w = *wk;
	if (ret == -EFAULT)
		return ret;     /* a stage-2 fault on a descriptor fetch */
	if (ret)
		return fault(wc, IOMMU_FAULT_NOT_PRESENT, 1, IOMMU_PHASE_FINAL, va);
	return 0;
}

static void setup_tables(struct wctx *wc)
{
	struct iommu_hw *hw = wc->hw;
	const struct iommu_context *c = wc->c;

	memset(&wc->s1, 0, sizeof(wc->s1));
	memset(&wc->s2, 0, sizeof(wc->s2));
	if (c->type == IOMMU_CTX_S1 || c->type == IOMMU_CTX_NESTED) {
		wc->s1.w = hw->w;
		wc->s1.fmt = c->s1_levels <= IO_PGTABLE_MAX_LEVELS ? hw->fmt[0][c->s1_levels] : NULL;
		wc->s1.levels = c->s1_levels;
		wc->s1.root = c->s1_root;
		wc->s1_last = wc->s1.fmt ? ia_last(&wc->s1) : 0;
	}
	if (c->type == IOMMU_CTX_TRANSLATE || c->type == IOMMU_CTX_NESTED) {
		wc->s2.w = hw->w;
		wc->s2.fmt = c->s2_levels <= IO_PGTABLE_MAX_LEVELS ? hw->fmt[1][c->s2_levels] : NULL;
		wc->s2.levels = c->s2_levels;
		wc->s2.root = c->s2_root;
		wc->s2_last = wc->s2.fmt ? ia_last(&wc->s2) : 0;
	}
}

/* Walk @addr through the context's stages (no IOTLB): 0 or -EFAULT. */
static int walk_ctx(struct wctx *wc, uint64_t addr, struct wres *r)
{
	const struct iommu_context *c = wc->c;
	struct io_pgtable_walk w1, w2;
	int ret;

	setup_tables(wc);
	memset(r, 0, sizeof(*r));
	wc->mark[1].clean = wc->mark[2].clean = false;
	switch (c->type) {
	case IOMMU_CTX_TRANSLATE:
		ret = s2_walk(wc, addr, false, &w2);
		if (ret)
			return ret;
		*r = (struct wres){ .hpa = w2.out, .size = w2.leaf_size, .gpa = addr,
				    .prot = w2.prot, .s1p = IOMMU_READ | IOMMU_WRITE,
				    .s2p = w2.prot };
		dirty_finish(wc, r);
		return 0;
	case IOMMU_CTX_S1:
		ret = s1_walk(wc, addr, &w1);
		if (ret)
			return ret;
		*r = (struct wres){ .hpa = w1.out, .size = w1.leaf_size, .gpa = w1.out,
				    .prot = w1.prot, .s1p = w1.prot,
				    .s2p = IOMMU_READ | IOMMU_WRITE };
		dirty_finish(wc, r);
		return 0;
	case IOMMU_CTX_NESTED:
		ret = s1_walk(wc, addr, &w1);
		if (ret)
			return ret;
		ret = s2_walk(wc, w1.out, false, &w2);
		if (ret)
			return ret;
		r->gpa = w1.out;
		r->hpa = w2.out;
		r->size = w1.leaf_size < w2.leaf_size ? w1.leaf_size : w2.leaf_size;
		r->s1p = w1.prot;
		r->s2p = w2.prot;
		r->prot = w1.prot & w2.prot;     /* §E.4 */
		dirty_finish(wc, r);
		return 0;
	default:
		return fault(wc, IOMMU_FAULT_NOT_PRESENT, 0, IOMMU_PHASE_FINAL, addr);
	}
}

int hw_fresh_xlate(struct iommu_hw *hw, const struct iommu_context *c, uint64_t addr,
		   struct fresh *out)
{
	struct wctx wc = { .hw = hw, .c = c, .fresh = true };
	struct wres r;
	bool quiet = hw->quiet;
	int ret;

	memset(out, 0, sizeof(*out));
	if (c->type == IOMMU_CTX_PASSTHROUGH) {
		*out = (struct fresh){ .hpa = addr, .size = SZ_4K, .gpa = addr,
				       .prot = IOMMU_READ | IOMMU_WRITE };
		return 0;
	}
	hw->quiet = true;
	ret = walk_ctx(&wc, addr, &r);
	hw->quiet = quiet;
	out->s1 = wc.s1w;
	out->s2 = wc.s2w;
	out->s1_ok = c->type == IOMMU_CTX_S1 || c->type == IOMMU_CTX_NESTED ?
		     wc.s1w.leaf_size != 0 : false;
	out->s2_ok = ret == 0 && c->type != IOMMU_CTX_S1;
	out->s1_fetch_fault = ret && wc.phase == IOMMU_PHASE_S1_FETCH;
	if (ret)
		return -ENOENT;
	*out = (struct fresh){ .hpa = r.hpa, .size = r.size, .gpa = r.gpa, .prot = r.prot,
			       .s1_prot = r.s1p, .s2_prot = r.s2p, .s1 = wc.s1w, .s2 = wc.s2w,
			       .s1_ok = out->s1_ok, .s2_ok = out->s2_ok, .wclean = r.wclean };
	return 0;
}

/* ---- one translation ----------------------------------------------------------------------- */

static bool pc_lookup(struct iommu_hw *hw, uint16_t seg, uint16_t rid, uint32_t pasid,
		      struct pc_ent **out)
{
	uint64_t key = loc_key(seg, rid, pasid);
	struct pc_ent *pe;
	guint gen;

	if (!hw->cfg.pasid_cache_entries)
		return false;
	pe = g_hash_table_lookup(hw->pcache, &key);
	if (!pe)
		return false;
	gen = GPOINTER_TO_UINT(g_hash_table_lookup(hw->pc_gen,
						   GUINT_TO_POINTER(dev_key(seg, rid))));
	if (pe->gen != gen) {
		/* dropped by a device-wide invalidation: reclaim */
		g_queue_delete_link(&hw->pc_fifo, pe->link);
		g_hash_table_remove(hw->pcache, &key);
		hw_caches_changed(hw);
		return false;
	}
	*out = pe;
	return true;
}

static void pc_insert(struct iommu_hw *hw, uint16_t seg, uint16_t rid, uint32_t pasid,
		      const struct iommu_context *c)
{
	struct pc_ent *pe;

	if (!hw->cfg.pasid_cache_entries)
		return;
	hw_caches_changed(hw);
	if (g_queue_get_length(&hw->pc_fifo) >= hw->cfg.pasid_cache_entries) {
		struct pc_ent *old = g_queue_pop_head(&hw->pc_fifo);

		g_hash_table_remove(hw->pcache, &old->key);
	}
	pe = g_new0(struct pc_ent, 1);
	pe->key = loc_key(seg, rid, pasid);
	pe->ctx = *c;
	pe->seq = hw->clock;
	pe->gen = GPOINTER_TO_UINT(g_hash_table_lookup(hw->pc_gen,
						       GUINT_TO_POINTER(dev_key(seg, rid))));
	g_queue_push_tail(&hw->pc_fifo, pe);
	pe->link = g_queue_peek_tail_link(&hw->pc_fifo);
	g_hash_table_insert(hw->pcache, &pe->key, pe);
}

/* The context cache: decoded device entries by (segment, requester id). */
static bool cc_lookup(struct iommu_hw *hw, uint16_t seg, uint16_t rid, struct hw_devctx *dc)
{
	struct cc_ent *ce;

	if (!hw->cfg.ctx_cache_entries)
		return false;
	ce = g_hash_table_lookup(hw->ccache, GUINT_TO_POINTER(dev_key(seg, rid)));
	if (!ce) {
		hw->st.ctx_cache_misses++;
		return false;
	}
	hw->st.ctx_cache_hits++;
	*dc = ce->dc;
	HW_EMIT(hw, .ev = IOMMU_EV_CTX_CACHE_HIT, .segment = seg, .rid = rid);
	if (hw->cfg.check && !hw->quiet)
		hw_check_cc_hit(hw, ce);
	return true;
}

static void cc_insert(struct iommu_hw *hw, uint16_t seg, uint16_t rid, const struct hw_devctx *dc)
{
	struct cc_ent *ce;

	if (!hw->cfg.ctx_cache_entries)
		return;
	hw_caches_changed(hw);
	if (g_queue_get_length(&hw->cc_fifo) >= hw->cfg.ctx_cache_entries) {
		struct cc_ent *old = g_queue_pop_head(&hw->cc_fifo);

		g_hash_table_remove(hw->ccache, GUINT_TO_POINTER(old->key));
	}
	ce = g_new0(struct cc_ent, 1);
	ce->key = dev_key(seg, rid);
	ce->dc = *dc;
	ce->seq = hw->clock;
	g_queue_push_tail(&hw->cc_fifo, ce);
	ce->link = g_queue_peek_tail_link(&hw->cc_fifo);
	g_hash_table_insert(hw->ccache, GUINT_TO_POINTER(ce->key), ce);
}

/* The context a request selects: 0, or the fault reason with @why.  The
 * device entry (context cache, else memory), then for a PASID, or for an
 * untagged request the device entry sends to its table, the PASID-level
 * entry (PASID cache, else memory).  A blocked device or PASID stops the
 * request here on every kind. */
static enum iommu_fault_reason select_ctx(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
					  bool pasid_valid, uint32_t pasid,
					  struct iommu_context *c, struct iommu_xlate *x,
					  enum hw_ctx_fail *why)
{
	enum iommu_fault_reason none = pasid_valid ? IOMMU_FAULT_NO_PASID
						   : IOMMU_FAULT_NO_CONTEXT;
	struct hw_devctx dc;
	struct pc_ent *pe;
	uint32_t p;

	*why = HW_CTX_OK;
	if (cc_lookup(hw, seg, rid, &dc)) {
		x->ctx_cache_hit = true;
	} else {
		memset(&dc, 0, sizeof(dc));
		if (!hw->ops->fetch_dev(hw, seg, rid, &dc, &x->ctx_refs, why))
			return IOMMU_FAULT_NO_CONTEXT;
		cc_insert(hw, seg, rid, &dc);
	}
	if (!pasid_valid && dc.rid_direct) {
		*c = dc.rid;
		if (c->type == IOMMU_CTX_BLOCKED) {
			*why = HW_CTX_BLOCKED;
			return IOMMU_FAULT_NO_CONTEXT;
		}
		return IOMMU_FAULT_NONE;
	}
	p = pasid_valid ? pasid : dc.rid_pasid;
	if (pasid_valid && (!dc.pasid_ok || p >> dc.pasid_limit_bits)) {
		*why = HW_CTX_PASID_WIDTH;
		return IOMMU_FAULT_NO_PASID;
	}
	if (pc_lookup(hw, seg, rid, p, &pe)) {
		hw->st.pasid_cache_hits++;
		x->pasid_cache_hit = true;
		*c = pe->ctx;
		HW_EMIT(hw, .ev = IOMMU_EV_PASID_CACHE_HIT, .ctx = &pe->ctx);
		if (hw->cfg.check && !hw->quiet)
			hw_check_pc_hit(hw, pe);
		return IOMMU_FAULT_NONE;
	}
	if (hw->cfg.pasid_cache_entries)
		hw->st.pasid_cache_misses++;
	if (!hw->ops->fetch_pasid(hw, &dc, p, c, &x->pasid_refs, why))
		return none;
	if (c->type == IOMMU_CTX_BLOCKED) {
		*why = HW_CTX_BLOCKED;
		return none;
	}
	/* a tagged PASID 0 beside an untagged stream the device entry
	 * decides (SMMUv3 S1DSS): not the entry the checker reads at 0 */
	if (p || !dc.rid_direct)
		pc_insert(hw, seg, rid, p, c);
	return IOMMU_FAULT_NONE;
}

/* The fault of @x: reason, stage, phase, stage address and the kind's code
 * (@c the entry the request selected, NULL with @why when none). */
static void set_fault(struct iommu_hw *hw, struct iommu_xlate *x, enum iommu_fault_reason r,
		      unsigned stage, enum iommu_fault_phase ph, uint64_t addr,
		      const struct iommu_context *c, enum hw_ctx_fail why)
{
	x->fault.reason = r;
	x->fault.stage = stage;
	x->fault.phase = ph;
	x->fault.stage_addr = addr;
	x->fault.code = hw_fault_code(hw, &x->fault, c, why);
}

static enum iommu_fault_reason xlate(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
				     bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
				     bool ats, struct iommu_xlate *x, struct hw_front *front)
{
	uint64_t stale = hw->st.stale_served;
	struct iommu_context c;
	struct wctx wc;              /* set up on a miss only: a hit walks nothing */
	struct iommu_cache_entry e;
	enum iommu_fault_reason r;
	enum hw_ctx_fail why;
	unsigned need = NEED(write), stage;
	uint32_t ptag;
	struct wres res;

	memset(x, 0, sizeof(*x));
	x->fault = (struct iommu_fault_rec){ .segment = seg, .rid = rid,
		.pasid_valid = pasid_valid, .pasid = pasid_valid ? pasid : 0, .addr = addr,
		.write = write, .ats = ats };
	hw->clock++;
	r = select_ctx(hw, seg, rid, pasid_valid, pasid, &c, x, &why);
	if (r) {
		set_fault(hw, x, r, 0, IOMMU_PHASE_FINAL, addr, NULL, why);
		return r;
	}
	if (c.type == IOMMU_CTX_PASSTHROUGH) {
		x->hpa = addr;
		x->prot = IOMMU_READ | IOMMU_WRITE;
		x->page_size = SZ_4K;
		return IOMMU_FAULT_NONE;
	}
	ptag = c.type == IOMMU_CTX_TRANSLATE ? IOMMU_PASID_NONE : (pasid_valid ? pasid : 0);
	/* a write through a translation cached write-clean walks again, to
	 * mark the leaf (IOMMU_TLB_WCLEAN) */
	if (iotlb_lookup(hw->tlb, c.did, ptag, addr, &e) &&
	    !(write && (e.kind & IOMMU_TLB_WCLEAN))) {
		hw->st.iotlb_hits++;
		x->iotlb_hit = true;
		x->write_clean = (e.kind & IOMMU_TLB_WCLEAN) != 0;
		HW_EMIT(hw, .ev = IOMMU_EV_IOTLB_HIT, .input = addr, .out = e.hpa, .size = e.size,
			.prot = e.prot);
		if (hw->cfg.check && !hw->quiet)
			hw_check_iotlb_hit(hw, &c, &e);
		/* a hit nothing stale served, its device and PASID entries
		 * not put in their caches by this request (each hit, or its
		 * cache is off or was not asked): the same request answers
		 * the same until something moves (hw_front) */
		if (front && !ats && (x->ctx_cache_hit || !hw->cfg.ctx_cache_entries) &&
		    (x->pasid_cache_hit || !hw->cfg.pasid_cache_entries || !x->pasid_refs) &&
		    stale == hw->st.stale_served) {
			*front = (struct hw_front){
				.gen = hw->front_gen, .mem_gen = *hw->table_gen,
				.page = addr >> 12,
				.who = hw_front_who(seg, rid, pasid_valid ? pasid : IOMMU_PASID_NONE),
				.hpa = e.hpa + ((addr & ~(uint64_t)(SZ_4K - 1)) - e.iova),
				.page_size = e.size, .prot = e.prot,
				.ctx_refs = (uint8_t)x->ctx_refs, .pasid_refs = (uint8_t)x->pasid_refs,
				.pasid_cache_hit = x->pasid_cache_hit,
				.ctx_cache_hit = x->ctx_cache_hit,
				.wclean = x->write_clean,
			};
		}
		res = (struct wres){ .hpa = e.hpa + (addr - e.iova), .size = e.size,
				     .gpa = e.aux + (addr - e.iova), .prot = e.prot,
				     .s1p = (e.kind >> 4) & 3, .s2p = (e.kind >> 6) & 3 };
	} else {
		if (iotlb_capacity(hw->tlb)) {
			hw->st.iotlb_misses++;
			HW_EMIT(hw, .ev = IOMMU_EV_IOTLB_MISS, .input = addr);
		}
		/* the scalars; the tables and walks are set by walk_ctx */
		wc.hw = hw;
		wc.c = &c;
		wc.x = x;
		wc.fresh = false;
		wc.ptag = ptag;
		wc.memo_gpa = wc.memo_hpa = 0;
		wc.input = 0;
		wc.s1_fetch = false;
		wc.reason = IOMMU_FAULT_NONE;
		wc.fstage = 0;
		wc.phase = IOMMU_PHASE_FINAL;
		wc.faddr = 0;
		wc.write = write;
		memset(wc.s1_hpa, 0, sizeof(wc.s1_hpa));
		memset(&wc.s1w, 0, sizeof(wc.s1w));
		memset(&wc.s2w, 0, sizeof(wc.s2w));
		if (walk_ctx(&wc, addr, &res)) {
			if (x->pt_refs)
				hw->st.walks++;
			set_fault(hw, x, wc.reason, wc.fstage, wc.phase, wc.faddr, &c,
				  HW_CTX_OK);
			return wc.reason;
		}
		hw->st.walks++;
		e = (struct iommu_cache_entry){
			.tag = c.did, .pasid = ptag, .size = res.size,
			.iova = addr & ~(res.size - 1), .hpa = res.hpa - (addr & (res.size - 1)),
			.aux = res.gpa - (addr & (res.size - 1)), .prot = res.prot,
			.kind = (c.type == IOMMU_CTX_NESTED ? IOMMU_TLB_COMBINED :
				 c.type == IOMMU_CTX_S1 ? IOMMU_TLB_S1 : IOMMU_TLB_S2) |
				res.s1p << 4 | res.s2p << 6 | (res.wclean ? IOMMU_TLB_WCLEAN : 0),
			.seq = hw->clock,
		};
		hw->st.iotlb_evictions += iotlb_insert(hw->tlb, &e);
		hw_caches_changed(hw);
		x->write_clean = res.wclean;
	}
	x->hpa = res.hpa;
	x->prot = res.prot;
	x->page_size = res.size;
	if (res.prot & need)
		return IOMMU_FAULT_NONE;
	/* §C: a wrong-direction access is a permission fault; §E.5 says at
	 * which stage */
	stage = c.type == IOMMU_CTX_TRANSLATE ? 2 : c.type == IOMMU_CTX_S1 ? 1 :
		(res.s1p & need) ? 2 : 1;
	set_fault(hw, x, IOMMU_FAULT_PERMISSION, stage, IOMMU_PHASE_FINAL,
		  stage == 2 ? res.gpa : addr, &c, HW_CTX_OK);
	return IOMMU_FAULT_PERMISSION;
}

enum iommu_fault_reason hw_xlate(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
				 bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
				 bool ats, struct iommu_xlate *x)
{
	return xlate(hw, seg, rid, pasid_valid, pasid, addr, write, ats, x, NULL);
}

static int translate_slow(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
			  bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
			  struct iommu_xlate *x, struct hw_front *slot);

/* The front entry of a request, when it is good for this access (hw_front). */
static inline __attribute__((always_inline)) struct hw_front *
front_get(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
				  bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
				  struct hw_front **slot)
{
	uint64_t who = hw_front_who(seg, rid, pasid_valid ? pasid : IOMMU_PASID_NONE);
	struct hw_front *f;

	/* made on the first translation: a world that never translates (most
	 * fuzz runs' worlds do a few) pays nothing for it */
	if (__builtin_expect(!hw->front, 0))
		hw->front = g_new0(struct hw_front, HW_FRONT_SLOTS);
	f = &hw->front[hw_front_slot(who, addr >> 12)];
	*slot = hw->obs || hw->quiet || hw->cfg.no_front ? NULL : f;
	if (!*slot || f->gen != hw->front_gen || f->page != addr >> 12 || f->who != who ||
	    !(f->prot & NEED(write)) || (write && f->wclean) || f->mem_gen != *hw->table_gen)
		return NULL;
	return f;
}

/* What the slow path's hit does to the hardware's counters, again. */
static inline void front_count(struct iommu_hw *hw, const struct hw_front *f)
{
	hw->clock++;
	hw->st.translations++;
	hw->st.iotlb_hits++;
	hw->st.pasid_cache_hits += f->pasid_cache_hit;
	hw->st.ctx_cache_hits += f->ctx_cache_hit;
	hw->st.ctx_refs += f->ctx_refs;
	hw->st.pasid_refs += f->pasid_refs;
}

/* ... and what it tells the caller (xlate, translate_untranslated). */
static void front_replay(struct iommu_hw *hw, const struct hw_front *f, uint16_t seg,
			 uint16_t rid, bool pasid_valid, uint32_t pasid, uint64_t addr,
			 bool write, struct iommu_xlate *x)
{
	/* field by field: a compound literal is built aside and copied */
	memset(x, 0, sizeof(*x));
	x->hpa = f->hpa + (addr & (SZ_4K - 1));
	x->prot = f->prot;
	x->page_size = f->page_size;
	x->iotlb_hit = true;
	x->pasid_cache_hit = f->pasid_cache_hit;
	x->ctx_cache_hit = f->ctx_cache_hit;
	x->ctx_refs = f->ctx_refs;
	x->pasid_refs = f->pasid_refs;
	x->write_clean = f->wclean;
	x->fault.segment = seg;
	x->fault.rid = rid;
	x->fault.pasid_valid = pasid_valid;
	x->fault.pasid = pasid_valid ? pasid : 0;
	x->fault.addr = addr;
	x->fault.write = write;
	front_count(hw, f);
}

static int translate_untranslated(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
				  bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
				  struct iommu_xlate *x)
{
	struct hw_front *slot, *f = front_get(hw, seg, rid, pasid_valid, pasid, addr, write,
					      &slot);

	if (f) {
		front_replay(hw, f, seg, rid, pasid_valid, pasid, addr, write, x);
		return 0;
	}
	return translate_slow(hw, seg, rid, pasid_valid, pasid, addr, write, x, slot);
}

static int translate_slow(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
			  bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
			  struct iommu_xlate *x, struct hw_front *slot)
{
	enum iommu_fault_reason r;

	hw->st.translations++;
	hw->ref_no = 0;
	HW_EMIT(hw, .ev = IOMMU_EV_BEGIN, .segment = seg, .rid = rid, .pasid_valid = pasid_valid,
		.pasid = pasid, .write = write, .input = addr);
	r = xlate(hw, seg, rid, pasid_valid, pasid, addr, write, false, x, slot);
	hw->st.ctx_refs += x->ctx_refs;
	hw->st.pasid_refs += x->pasid_refs;
	hw->st.pt_refs += x->pt_refs;
	if (!r) {
		HW_EMIT(hw, .ev = IOMMU_EV_DONE, .out = x->hpa, .size = x->page_size,
			.prot = x->prot);
		return 0;
	}
	hw_fault_report(hw, &x->fault);
	HW_EMIT(hw, .ev = IOMMU_EV_FAULT, .fault = &x->fault);
	return -EFAULT;
}

int iommu_hw_translate(struct sim_world *w, uint16_t segment, uint16_t rid,
		       bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
		       struct iommu_xlate *out)
{
	struct iommu_hw *hw = iommu_hw_get(w);

	if (!hw || !out)
		return -EINVAL;
	return translate_untranslated(hw, segment, rid, pasid_valid, pasid, addr, write, out);
}

/* ---- ATS: the device TLB ------------------------------------------------------------------- */

/*
 * The device's view of one page: its TLB, or a translation request to the
 * IOMMU (§F: the answer is cached; "no access" is not a fault record).
 * 0 with the HPA, or -EFAULT with @x->fault set (ats = true).
 */
static int ats_page(struct iommu_hw *hw, struct iotlb *atc, uint16_t seg, uint16_t rid,
		    bool pasid_valid, uint32_t pasid, uint64_t addr, bool write,
		    struct iommu_xlate *x, uint64_t *hpa)
{
	uint32_t ptag = pasid_valid ? pasid : IOMMU_PASID_NONE;
	struct iommu_cache_entry e;
	struct iommu_walk_event ev = { .ev = IOMMU_EV_ATC_HIT, .segment = seg, .rid = rid,
				       .pasid_valid = pasid_valid, .pasid = pasid,
				       .write = write, .input = addr };

	hw->ref_no = 0;
	if (iotlb_lookup(atc, rid, ptag, addr, &e) && (e.prot & NEED(write))) {
		hw->st.atc_hits++;
		memset(x, 0, sizeof(*x));
		x->atc_hit = true;
		ev.out = e.hpa;
		ev.size = e.size;
		ev.prot = e.prot;
		hw_emit(hw, &ev);
		if (hw->cfg.check && !hw->quiet)
			hw_check_atc_hit(hw, seg, rid, &e);
	} else {
		enum iommu_fault_reason r;

		hw->st.atc_misses++;
		hw->st.ats_requests++;
		ev.ev = IOMMU_EV_ATC_MISS;
		hw_emit(hw, &ev);
		r = hw_xlate(hw, seg, rid, pasid_valid, pasid, addr, write, true, x);
		/* a translation request reads memory as an untranslated
		 * request does (its walk is counted in walks already) */
		hw->st.ctx_refs += x->ctx_refs;
		hw->st.pasid_refs += x->pasid_refs;
		hw->st.pt_refs += x->pt_refs;
		if (r) {
			struct iommu_walk_event f = { .ev = IOMMU_EV_FAULT, .fault = &x->fault };

			hw_emit(hw, &f);
			return -EFAULT;
		}
		/* a read of a tracked, clean page is answered without write (as
		 * to a request with No-Write): the device asks again before it
		 * writes, and that request marks the page */
		e = (struct iommu_cache_entry){ .tag = rid, .pasid = ptag, .size = x->page_size,
			.iova = addr & ~(x->page_size - 1), .aux = seg,
			.hpa = x->hpa - (addr & (x->page_size - 1)),
			.prot = !write && x->write_clean ? x->prot & ~IOMMU_WRITE : x->prot,
			.seq = hw->clock };
		iotlb_insert(atc, &e);
		x->atc_hit = false;
	}
	hw->st.translated_requests++;
	*hpa = e.hpa + (addr - e.iova);
	return 0;
}

void hw_refill(struct iommu_hw *hw, enum iommu_cache_id which, const struct iommu_cache_entry *e)
{
	struct iommu_xlate x;
	bool quiet = hw->quiet;

	hw->quiet = true;
	if (which == IOMMU_CACHE_ATC) {
		struct iotlb *atc = g_hash_table_lookup(hw->atcs,
			GUINT_TO_POINTER(dev_key((uint16_t)e->aux, (uint16_t)e->tag)));
		bool pv = e->pasid != IOMMU_PASID_NONE;
		uint64_t hpa;

		if (atc)
			ats_page(hw, atc, (uint16_t)e->aux, (uint16_t)e->tag, pv, pv ? e->pasid : 0,
				 e->iova, !(e->prot & IOMMU_READ), &x, &hpa);
	} else {
		GArray *a = g_hash_table_lookup(hw->did_locs, GUINT_TO_POINTER(e->tag));

		/* the first requester still using that domain id asks again */
		for (guint i = 0; a && i < a->len; i++) {
			uint64_t loc = g_array_index(a, uint64_t, i);
			uint32_t p = (uint32_t)loc;

			if (e->pasid != IOMMU_PASID_NONE && e->pasid != p)
				continue;
			hw_xlate(hw, (uint16_t)(loc >> 48), (uint16_t)(loc >> 32),
				 e->pasid != IOMMU_PASID_NONE, p, e->iova, !(e->prot & IOMMU_READ),
				 true, &x);
			break;
		}
	}
	hw->quiet = quiet;
}

/* ---- the DMA engine ------------------------------------------------------------------------- */

/* The bytes of a DMA's contiguous run so far: one copy for all of them. */
struct dma_run {
	uint64_t hpa;
	uint8_t *buf;
	size_t len;
};

static int run_flush(struct sim_world *w, struct dma_run *r, bool write)
{
	int ret = 0;

	if (r->len)
		ret = write ? sim_mem_write(w, r->hpa, r->buf, r->len)
			    : sim_mem_read(w, r->hpa, r->buf, r->len);
	r->len = 0;
	return ret;
}

/*
 * Each page is translated, and its bytes move, in order.  Bytes of pages
 * whose translations continue one another move in one copy, but only
 * across translations that read nothing (front hits): a translation that
 * walks might read what an earlier page of the same DMA just wrote (a
 * device scribbling on a table), so everything before it is copied first,
 * and a write into a table frame is copied at once.
 */
int iommu_hw_dma(struct sim_world *w, uint16_t segment, uint16_t rid,
		 bool pasid_valid, uint32_t pasid, uint64_t addr, void *buf,
		 size_t len, bool write, struct iommu_fault_rec *fault)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct dma_run run = { 0 };
	struct iommu_xlate x;
	struct iotlb *atc;
	uint8_t *p = buf;
	int ret;

	if (!hw || (len && !buf))
		return -EINVAL;
	atc = hw_atc_of(hw, segment, rid);
	while (len) {
		/* one translation per input page */
		size_t n = SZ_4K - (addr & (SZ_4K - 1));
		struct hw_front *slot = NULL, *f = NULL;
		uint64_t hpa;

		if (n > len)
			n = len;
		if (!atc)
			f = front_get(hw, segment, rid, pasid_valid, pasid, addr, write, &slot);
		if (f) {
			front_count(hw, f);     /* the DMA needs the address only */
			hpa = f->hpa + (addr & (SZ_4K - 1));
		} else {
			if ((ret = run_flush(w, &run, write)))
				return ret;
			if (atc) {
				ret = ats_page(hw, atc, segment, rid, pasid_valid, pasid, addr, write,
					       &x, &hpa);
				/* no access: with PRI the function asks for the page,
				 * and on Success asks for its translation again (twice
				 * at most: a page that keeps failing ends the DMA) */
				for (int tries = 0; ret && tries < 2 && x.fault.ats &&
				     (x.fault.reason == IOMMU_FAULT_NOT_PRESENT ||
				      x.fault.reason == IOMMU_FAULT_PERMISSION); tries++) {
					enum iommu_fault_reason why;
					int pr = hw_pri_fault(hw, segment, rid, pasid_valid, pasid,
							      addr, write, &why);

					if (pr > 0)
						break;
					if (pr < 0) {
						x.fault.reason = why;
						break;
					}
					ret = ats_page(hw, atc, segment, rid, pasid_valid, pasid, addr,
						       write, &x, &hpa);
				}
			} else
				ret = translate_slow(hw, segment, rid, pasid_valid, pasid, addr,
						     write, &x, slot);
			if (ret) {
				if (fault)
					*fault = x.fault;
				return -EFAULT;
			}
			if (!atc)
				hpa = x.hpa;
		}
		if (run.len && run.hpa + run.len != hpa && (ret = run_flush(w, &run, write)))
			return ret;
		if (!run.len) {
			run.hpa = hpa;
			run.buf = p;
		}
		run.len += n;
		/* a write into a table lands before the next translation */
		if (write && sim_mem_table_frame(w, hpa) && (ret = run_flush(w, &run, write)))
			return ret;
		p += n;
		addr += n;
		len -= n;
	}
	return run_flush(w, &run, write);
}
