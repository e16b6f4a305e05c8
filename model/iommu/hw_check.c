/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU hardware model, part three: the stale-translation checker
 * (hw.h; spec §H8, §H9, §E.6).
 *
 * A cache may only answer what the tables in memory say now.  The checker
 * walks afresh (no caches, nothing counted, no events) and compares:
 *  - each answer a cache gives, when it gives it (config.check): IOTLB and
 *    device-TLB hits, paging-structure-cache hits, PASID-cache hits;
 *  - every live entry of every cache, after each scenario step
 *    (iommu_hw_check_caches), finding the PASID entry behind an IOTLB entry
 *    through an oracle of where each domain id was written.
 * A difference names the invalidation that should have followed the table
 * change: the IOTLB range or domain flush, the flush of combined stage-1+2
 * entries when a stage-2 parent changed, the device-TLB invalidation, the
 * paging-structure (non-leaf) invalidation, the PASID-cache invalidation.
 * An entry filled after the last invalidation of its domain means the
 * invalidation ran before the table write (a device refilled it in
 * between; see config.busy_dma).
 *
 * A cached translation is compared by address and permission, and by the
 * dirty state it caches (IOMMU_TLB_WCLEAN, docs/dirty-tracking.md) one way:
 * an entry filled write-clean over a leaf written since is fine (its next
 * write walks again), but an entry that lets writes through unmarked over
 * a leaf software has cleaned is stale dirty state - the IOTLB flush after
 * read_and_clear_dirty is missing, and the next write goes unrecorded.
 * The dirty enables of a context (SSADE, CD.HD, tc.GADE/SADE) are part of
 * the PASID-cache and context-cache entries compared below.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/world.h"
#include "model/iommu/hw_internal.h"

static const char *prot_str(unsigned p)
{
	static const char *const s[] = { "none", "r", "w", "rw" };

	return s[p & 3];
}

/* A cache tag: a domain id, or a guest CD's VMID and ASID (IOMMU_GUEST_TAG) */
static const char *tag_str(uint32_t tag, char *buf, size_t n)
{
	if (tag > 0xffff)
		snprintf(buf, n, "vmid %u asid %u", IOMMU_GUEST_TAG_VMID(tag), tag & 0xffff);
	else
		snprintf(buf, n, "did %u", tag);
	return buf;
}

static void pasid_str(uint32_t p, char *buf, size_t n)
{
	if (p == IOMMU_PASID_NONE)
		snprintf(buf, n, "none");
	else
		snprintf(buf, n, "%u", p);
}

/*
 * Does @e (a final translation) still hold against a fresh walk?  Every
 * part of its span must still go where the entry says, with at least the
 * entry's permission: one fresh walk per leaf the tables have now across
 * the span (one for an entry whose leaf is unchanged), so a change to any
 * part of a large entry is seen, its tail or its middle, and so is a
 * change of permission alone or a smaller range mapped.  @f gets the first
 * part's walk (the diagnosis names what the tables say at the entry's
 * start, or at the first part that differs).
 */
static bool entry_holds(struct iommu_hw *hw, const struct iommu_context *c,
			const struct iommu_cache_entry *e, struct fresh *f)
{
	uint64_t end = e->iova + e->size, a = e->iova;
	struct fresh g, *cur = f;

	while (a < end) {
		uint64_t leaf_end;

		if (hw_fresh_xlate(hw, c, a, cur) || cur->hpa != e->hpa + (a - e->iova) ||
		    (e->prot & ~cur->prot)) {
			if (cur != f)
				*f = *cur;
			return false;
		}
		leaf_end = (a & ~(cur->size - 1)) + cur->size;
		if (leaf_end <= a)           /* the top of the address space */
			break;
		a = leaf_end;
		cur = &g;
	}
	return true;
}

static const char *tables_now(const struct fresh *f, bool ok, char *buf, size_t n)
{
	if (!ok)
		snprintf(buf, n, "not mapped");
	else
		snprintf(buf, n, "0x%llx %s", (unsigned long long)f->hpa, prot_str(f->prot));
	return buf;
}

/* Does a combined entry's stage-1 half still hold (same GPA, permission
 * within)?  Then a difference is stage 2's. */
static bool s1_unchanged(const struct iommu_cache_entry *e, const struct fresh *f)
{
	uint64_t m;

	if (!f->s1_ok)
		return false;
	m = f->s1.leaf_size - 1;
	return f->s1.out - (e->iova & m) == e->aux - (e->iova & m) &&
	       !(((e->kind >> 4) & 3) & ~f->s1.prot);
}

/* Which invalidation an IOTLB entry missed. */
static void iotlb_diagnose(struct iommu_hw *hw, const struct iommu_context *c,
			   const struct iommu_cache_entry *e, const struct fresh *f, bool ok,
			   const char *when, GString *out)
{
	uint64_t *inv = g_hash_table_lookup(hw->last_inv, GUINT_TO_POINTER(e->tag));
	char p[16], now[64], tg[32];
	const char *why;

	pasid_str(e->pasid, p, sizeof(p));
	tables_now(f, ok, now, sizeof(now));
	/* stage 1 still says the same, or can no longer be read because stage 2
	 * lost a table page: either way stage 2 changed under the entry */
	if ((e->kind & 3) == IOMMU_TLB_COMBINED && c && (s1_unchanged(e, f) || f->s1_fetch_fault))
		why = "missing flush of combined stage-1+2 entries after their stage-2 parent "
		      "changed (every nested domain over the parent, domain-wide, §E.6)";
	else if (inv && e->seq > *inv)
		why = "filled after the last IOTLB invalidation of its domain: the "
		      "invalidation ran before the table write";
	else if ((e->kind & 3) == IOMMU_TLB_COMBINED)
		why = "missing IOTLB invalidation after the stage-1 change (the guest's "
		      "HWPT invalidate)";
	else
		why = "missing IOTLB invalidation after the table change";
	g_string_append_printf(out, "§H8 stale IOTLB entry%s: %s pasid %s iova 0x%llx "
			       "size 0x%llx -> 0x%llx %s, the tables now say %s: %s",
			       when, tag_str(e->tag, tg, sizeof(tg)), p, (unsigned long long)e->iova,
			       (unsigned long long)e->size, (unsigned long long)e->hpa,
			       prot_str(e->prot), now, why);
}

void hw_check_iotlb_hit(struct iommu_hw *hw, const struct iommu_context *c,
			const struct iommu_cache_entry *e)
{
	struct fresh f;
	GString *s;

	if (entry_holds(hw, c, e, &f))
		return;
	s = g_string_new(NULL);
	iotlb_diagnose(hw, c, e, &f, f.size != 0, " served", s);
	hw_violation(hw, "%s", s->str);
	g_string_free(s, TRUE);
}

/* Does a PSC entry still name the table a fresh walk reads at its level? */
static bool psc_holds(struct iommu_hw *hw, const struct iommu_context *c, unsigned stage,
		      const struct iommu_cache_entry *e)
{
	unsigned level = e->kind & 0xf;
	struct fresh f;

	if (stage == 2) {
		struct iommu_context s2 = { .type = IOMMU_CTX_TRANSLATE, .did = c->did,
					    .s2_root = c->s2_root, .s2_levels = c->s2_levels };

		hw_fresh_xlate(hw, &s2, e->iova, &f);
		return f.s2.tables[level] == e->aux;
	}
	hw_fresh_xlate(hw, c, e->iova, &f);
	return f.s1.tables[level] == e->aux;
}

/*
 * A nested stage-1 entry also remembers where stage 2 put the table: its
 * HPA (0 when that fetch had failed: nothing remembered).  That is a
 * stage-2 translation of the table's GPA like any other, and the guest
 * cannot change it: when stage 2 no longer maps the GPA there, the kernel
 * missed the flush of the nested domains over the parent (§E.6).
 */
static bool psc_s2_holds(struct iommu_hw *hw, const struct iommu_context *c, unsigned stage,
			 const struct iommu_cache_entry *e)
{
	struct iommu_context s2 = { .type = IOMMU_CTX_TRANSLATE, .did = c->did,
				    .s2_root = c->s2_root, .s2_levels = c->s2_levels };
	struct fresh f;

	if (stage != 1 || c->type != IOMMU_CTX_NESTED || !e->hpa)
		return true;
	return !hw_fresh_xlate(hw, &s2, e->aux & ~(SZ_4K - 1), &f) &&
	       f.hpa == (e->hpa & ~(SZ_4K - 1)) && (f.prot & IOMMU_READ);
}

static void psc_report(struct iommu_hw *hw, const struct iommu_cache_entry *e,
		       const char *when, bool s2_moved, GString *out)
{
	char p[16], tg[32];

	pasid_str(e->pasid, p, sizeof(p));
	if (s2_moved) {
		g_string_append_printf(out, "§H8 stale paging-structure-cache entry%s: %s "
				       "pasid %s stage 1 level-%u table for 0x%llx (span 0x%llx) "
				       "at gpa 0x%llx, hpa 0x%llx, which stage 2 no longer maps "
				       "there: missing flush of the nested domains' "
				       "paging-structure and combined entries after their stage-2 "
				       "parent changed (domain-wide, §E.6)", when,
				       tag_str(e->tag, tg, sizeof(tg)), p,
				       e->kind & 0xf, (unsigned long long)e->iova,
				       (unsigned long long)e->size, (unsigned long long)e->aux,
				       (unsigned long long)e->hpa);
		return;
	}
	g_string_append_printf(out, "§H9 stale paging-structure-cache entry%s: %s pasid %s "
			       "stage %u level-%u table for 0x%llx (span 0x%llx) at 0x%llx, which "
			       "the tables no longer reach: missing non-leaf (paging-structure) "
			       "invalidation after a table was freed", when,
			       tag_str(e->tag, tg, sizeof(tg)), p,
			       e->kind >> 4, e->kind & 0xf, (unsigned long long)e->iova,
			       (unsigned long long)e->size, (unsigned long long)e->aux);
	(void)hw;
}

void hw_check_psc_hit(struct iommu_hw *hw, const struct iommu_context *c, unsigned stage,
		      const struct iommu_cache_entry *e)
{
	bool moved = !psc_s2_holds(hw, c, stage, e);
	GString *s;

	if (!moved && psc_holds(hw, c, stage, e))
		return;
	s = g_string_new(NULL);
	psc_report(hw, e, " served", moved, s);
	hw_violation(hw, "%s", s->str);
	g_string_free(s, TRUE);
}

static void atc_diagnose(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
			 const struct iommu_cache_entry *e, const char *when, GString *out)
{
	uint32_t p = e->pasid == IOMMU_PASID_NONE ? 0 : e->pasid;
	struct iommu_context c;
	struct fresh f = { 0 };
	char ps[16], now[64];
	bool ok = false;

	if (!hw_pasid_read(hw, loc_key(seg, rid, p), &c) && entry_holds(hw, &c, e, &f))
		return;
	ok = f.size != 0;
	pasid_str(e->pasid, ps, sizeof(ps));
	g_string_append_printf(out, "§H8 stale device-TLB entry%s: %04x:%02x:%02x.%u pasid %s "
			       "iova 0x%llx size 0x%llx -> 0x%llx %s, the tables now say %s: "
			       "missing device-TLB (ATS) invalidation; translated requests "
			       "bypass the IOMMU", when, seg, rid >> 8, (rid >> 3) & 0x1f,
			       rid & 7, ps, (unsigned long long)e->iova,
			       (unsigned long long)e->size, (unsigned long long)e->hpa,
			       prot_str(e->prot), tables_now(&f, ok, now, sizeof(now)));
}

void hw_check_atc_hit(struct iommu_hw *hw, uint16_t seg, uint16_t rid,
		      const struct iommu_cache_entry *e)
{
	GString *s = g_string_new(NULL);

	atc_diagnose(hw, seg, rid, e, " served", s);
	if (s->len)
		hw_violation(hw, "%s", s->str);
	g_string_free(s, TRUE);
}

static bool ctx_equal(const struct iommu_context *a, const struct iommu_context *b)
{
	return a->type == b->type && a->did == b->did && a->s1_root == b->s1_root &&
	       a->vste == b->vste && a->vste0 == b->vste0 && a->vste1 == b->vste1 &&
	       a->s1_levels == b->s1_levels && a->s2_root == b->s2_root &&
	       a->s2_levels == b->s2_levels && a->s2_did == b->s2_did && a->dirty == b->dirty;
}

static bool devctx_equal(const struct hw_devctx *a, const struct hw_devctx *b)
{
	return a->ats == b->ats && a->pasid_ok == b->pasid_ok &&
	       a->pasid_limit_bits == b->pasid_limit_bits && a->rid_direct == b->rid_direct &&
	       (!a->rid_direct || ctx_equal(&a->rid, &b->rid)) &&
	       (a->rid_direct || a->rid_pasid == b->rid_pasid) && a->s2_valid == b->s2_valid &&
	       a->s2_root == b->s2_root && a->s2_levels == b->s2_levels &&
	       a->s2_did == b->s2_did && a->table == b->table && a->table_fmt == b->table_fmt &&
	       a->table_ipa == b->table_ipa &&
	       a->dirty == b->dirty;
}

/* What a decoded device entry says, in a few words. */
static void devctx_str(const struct hw_devctx *d, char *buf, size_t n)
{
	int k;

	if (d->rid_direct)
		k = snprintf(buf, n, "untagged %s did %u", iommu_ctx_type_name(d->rid.type),
			     d->rid.did);
	else
		k = snprintf(buf, n, "untagged via entry %u", d->rid_pasid);
	if (k > 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, ", %s%s", d->pasid_ok ? "PASIDs" : "no PASIDs",
			 d->ats ? ", ATS" : "");
}

/* A context-cache entry against the device entry memory holds now. */
static void cc_diagnose(struct iommu_hw *hw, const struct cc_ent *ce, const char *when,
			GString *out)
{
	uint16_t seg = (uint16_t)(ce->key >> 16), rid = (uint16_t)ce->key;
	struct hw_devctx now;
	int r = hw_dev_read(hw, seg, rid, &now);
	char was[64], is[64];

	if (!r && devctx_equal(&now, &ce->dc))
		return;
	devctx_str(&ce->dc, was, sizeof(was));
	if (r)
		snprintf(is, sizeof(is), "not valid");
	else
		devctx_str(&now, is, sizeof(is));
	g_string_append_printf(out, "§H8 stale context-cache entry%s: %04x:%02x:%02x.%u: the "
			       "cached %s says %s, memory now %s: missing context-cache "
			       "invalidation (%s) after the %s changed", when, seg, rid >> 8,
			       (rid >> 3) & 0x1f, rid & 7, hw->ops->dev_entry, was, is,
			       iommu_inv_cmd_name(hw->cfg.kind, IOMMU_INV_CTX_CACHE),
			       hw->ops->dev_entry);
}

void hw_check_cc_hit(struct iommu_hw *hw, const struct cc_ent *ce)
{
	GString *s = g_string_new(NULL);

	cc_diagnose(hw, ce, " served", s);
	if (s->len)
		hw_violation(hw, "%s", s->str);
	g_string_free(s, TRUE);
}

static void pc_diagnose(struct iommu_hw *hw, const struct pc_ent *pe, const char *when,
			GString *out)
{
	struct iommu_context now;
	uint16_t seg = (uint16_t)(pe->key >> 48), rid = (uint16_t)(pe->key >> 32);
	int r = hw_pasid_read(hw, pe->key, &now);

	char held[48];

	if (!r && ctx_equal(&now, &pe->ctx))
		return;
	if (r)
		snprintf(held, sizeof(held), "no entry");
	else
		snprintf(held, sizeof(held), "%s did %u", iommu_ctx_type_name(now.type), now.did);
	g_string_append_printf(out, "§H8 stale PASID-cache entry%s: %04x:%02x:%02x.%u pasid %u "
			       "caches type %s did %u, memory now holds %s: missing PASID-cache "
			       "invalidation (%s%s) after the %s changed", when, seg, rid >> 8,
			       (rid >> 3) & 0x1f, rid & 7, (uint32_t)pe->key,
			       iommu_ctx_type_name(pe->ctx.type), pe->ctx.did, held,
			       iommu_inv_cmd_name(hw->cfg.kind, IOMMU_INV_PASID_CACHE),
			       pe->ctx.did > 0xffff ? ", the guest's through its vIOMMU" : "",
			       hw->ops->pasid_entry);
}

void hw_check_pc_hit(struct iommu_hw *hw, const struct pc_ent *pe)
{
	GString *s = g_string_new(NULL);

	pc_diagnose(hw, pe, " served", s);
	if (s->len)
		hw_violation(hw, "%s", s->str);
	g_string_free(s, TRUE);
}

/* ---- the scan ---------------------------------------------------------------------------- */

/* The oracle's locations for a cache tag: a domain id's own, or for a
 * guest's tag those of its VMID's guest CD tables (IOMMU_GUEST_TAG(vmid, 0)). */
static GArray *oracle_locs(struct iommu_hw *hw, uint32_t did)
{
	uint32_t key = did > 0xffff ? IOMMU_GUEST_TAG(IOMMU_GUEST_TAG_VMID(did), 0) : did;

	return g_hash_table_lookup(hw->did_locs, GUINT_TO_POINTER(key));
}

/* The PASID entry that selects a cache entry's (did, pasid tag), from the
 * oracle of where domain ids were written: 0 or -ENOENT.  A guest's tag
 * (IOMMU_GUEST_TAG: its CD table is its own, the driver never wrote the
 * ASID) is looked for behind every device entry the driver gave that
 * VMID's guest CD table (the oracle's IOMMU_GUEST_TAG(vmid, 0)). */
static int ctx_of(struct iommu_hw *hw, uint32_t did, uint32_t ptag, struct iommu_context *c)
{
	bool guest = did > 0xffff;
	GArray *a = oracle_locs(hw, did);

	for (guint i = 0; a && i < a->len; i++) {
		uint64_t loc = g_array_index(a, uint64_t, i);

		if (guest && ptag != IOMMU_PASID_NONE)
			loc = (loc & ~0xffffffffull) | ptag;
		else if (ptag != IOMMU_PASID_NONE && (uint32_t)loc != ptag)
			continue;
		if (!hw_pasid_read(hw, loc, c) && c->did == did &&
		    (ptag == IOMMU_PASID_NONE) == (c->type == IOMMU_CTX_TRANSLATE))
			return 0;
	}
	return -ENOENT;
}

struct scan {
	struct iommu_hw *hw;
	GString *out;
	int bad;
	uint16_t seg;
};

static int scan_iotlb(const struct iommu_cache_entry *e, void *arg)
{
	struct scan *s = arg;
	struct iommu_context c;
	struct fresh f = { 0 };
	char p[16], tg[32];

	if (ctx_of(s->hw, e->tag, e->pasid, &c)) {
		/* a guest's tag whose CD the guest took away: the guest's TLBI
		 * is its own to send (the host flushes the VMID when it detaches
		 * the guest's STE); only a stale answer served counts */
		if (e->tag > 0xffff)
			return 0;
		pasid_str(e->pasid, p, sizeof(p));
		g_string_append_printf(s->out, "§H8 stale IOTLB entry: %s pasid %s iova 0x%llx "
				       "size 0x%llx -> 0x%llx, but no PASID entry selects that "
				       "domain any more: missing IOTLB invalidation when it was "
				       "detached\n", tag_str(e->tag, tg, sizeof(tg)), p, (unsigned long long)e->iova,
				       (unsigned long long)e->size, (unsigned long long)e->hpa);
		s->bad++;
		return 0;
	}
	if (entry_holds(s->hw, &c, e, &f)) {
		if (!(e->prot & IOMMU_WRITE) || (e->kind & IOMMU_TLB_WCLEAN) || !f.wclean)
			return 0;
		pasid_str(e->pasid, p, sizeof(p));
		g_string_append_printf(s->out, "§H9 stale dirty state: IOTLB entry %s pasid %s "
				       "iova 0x%llx size 0x%llx caches its leaf dirty, but the "
				       "leaf is clean now: missing IOTLB flush after the dirty "
				       "bits were read and cleared (a write through it goes "
				       "unrecorded)\n", tag_str(e->tag, tg, sizeof(tg)), p, (unsigned long long)e->iova,
				       (unsigned long long)e->size);
		s->bad++;
		return 0;
	}
	/* a guest's stage-1 edit waits for the guest's own invalidation: only
	 * a stale answer actually served counts (hw_check_iotlb_hit); a stale
	 * stage 2 under it is the kernel's and counts now */
	if ((e->kind & 3) == IOMMU_TLB_COMBINED && !s1_unchanged(e, &f))
		return 0;
	iotlb_diagnose(s->hw, &c, e, &f, f.size != 0, "", s->out);
	g_string_append_c(s->out, '\n');
	s->bad++;
	return 0;
}

/* A context of @did with a stage 2 (its stage-2 PSC entries are untagged);
 * for a guest's tag, the stage 2 of a device entry the driver gave that
 * VMID's guest CD table - whatever the guest's CDs say, the stage 2 is the
 * kernel's. */
static int ctx_s2_of(struct iommu_hw *hw, uint32_t did, struct iommu_context *c)
{
	bool guest = did > 0xffff;
	GArray *a = oracle_locs(hw, did);

	for (guint i = 0; a && i < a->len; i++) {
		uint64_t loc = g_array_index(a, uint64_t, i);
		struct hw_devctx dc;

		if (guest) {
			if (hw_dev_read(hw, (uint16_t)(loc >> 48), (uint16_t)(loc >> 32), &dc) ||
			    !dc.s2_valid || dc.s2_did != IOMMU_GUEST_TAG_VMID(did))
				continue;
			*c = (struct iommu_context){ .type = IOMMU_CTX_NESTED, .did = did,
						     .s2_root = dc.s2_root, .s2_levels = dc.s2_levels,
						     .s2_did = dc.s2_did };
			return 0;
		}
		if (!hw_pasid_read(hw, loc, c) && c->did == did &&
		    (c->type == IOMMU_CTX_TRANSLATE || c->type == IOMMU_CTX_NESTED))
			return 0;
	}
	return -ENOENT;
}

static int scan_psc(const struct iommu_cache_entry *e, void *arg)
{
	struct scan *s = arg;
	struct iommu_context c;
	unsigned stage = e->kind >> 4;
	bool found = stage == 1 ? !ctx_of(s->hw, e->tag, e->pasid, &c)
				: !ctx_s2_of(s->hw, e->tag, &c);
	bool moved = found && !psc_s2_holds(s->hw, &c, stage, e);

	if (found && !moved && psc_holds(s->hw, &c, stage, e))
		return 0;
	/* a guest's stage-1 table under a CD the guest took away: its own */
	if (!found && stage == 1 && e->tag > 0xffff)
		return 0;
	/* a guest's stage-1 table: checked when served only (but where
	 * stage 2 put it is the kernel's business, checked now) */
	if (found && !moved && stage == 1 && c.type == IOMMU_CTX_NESTED)
		return 0;
	psc_report(s->hw, e, "", moved, s->out);
	g_string_append_c(s->out, '\n');
	s->bad++;
	return 0;
}

static int scan_atc(const struct iommu_cache_entry *e, void *arg)
{
	struct scan *s = arg;
	size_t len = s->out->len;
	struct iommu_context c;

	s->seg = (uint16_t)e->aux;   /* device-TLB entries carry their segment */
	/* translations through a guest's stage 1 (a PASID's, or the RID's
	 * when iommufd attached the RID to a nested HWPT): checked when
	 * served only */
	if (!hw_pasid_read(s->hw, loc_key(s->seg, (uint16_t)e->tag,
					  e->pasid == IOMMU_PASID_NONE ? 0 : e->pasid), &c) &&
	    c.type == IOMMU_CTX_NESTED)
		return 0;

	atc_diagnose(s->hw, s->seg, (uint16_t)e->tag, e, "", s->out);
	if (s->out->len != len) {
		g_string_append_c(s->out, '\n');
		s->bad++;
	}
	return 0;
}

int iommu_hw_check_caches(struct sim_world *w, GString *out)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct scan s = { .hw = hw, .out = out };

	if (!hw)
		return 0;
	iotlb_for_each(hw->tlb, scan_iotlb, &s);
	iotlb_for_each(hw->psc, scan_psc, &s);
	iommu_hw_cache_for_each(w, IOMMU_CACHE_ATC, scan_atc, &s);
	for (GList *q = hw->pc_fifo.head; q; q = q->next) {
		const struct pc_ent *pe = q->data;
		size_t len = out->len;
		guint gen = GPOINTER_TO_UINT(g_hash_table_lookup(hw->pc_gen,
			GUINT_TO_POINTER(dev_key((uint16_t)(pe->key >> 48), (uint16_t)(pe->key >> 32)))));

		if (pe->gen != gen)
			continue;       /* dropped by a device-wide invalidation */
		/* a CD of a guest's own table: the guest's edit waits for the
		 * guest's CFGI_CD; only a stale one served counts
		 * (hw_check_pc_hit) */
		if (pe->ctx.did > 0xffff)
			continue;

		pc_diagnose(hw, pe, "", out);
		if (out->len != len) {
			g_string_append_c(out, '\n');
			s.bad++;
		}
	}
	for (GList *q = hw->cc_fifo.head; q; q = q->next) {
		size_t len = out->len;

		cc_diagnose(hw, q->data, "", out);
		if (out->len != len) {
			g_string_append_c(out, '\n');
			s.bad++;
		}
	}
	if (hw->devtlb_unwaited) {
		g_string_append_printf(out, "§E.6 %u device-TLB invalidation(s) never waited for: "
				       "IOTLB, then ATC, then a wait descriptor before the "
				       "operation returns\n", hw->devtlb_unwaited);
		s.bad++;
	}
	return s.bad;
}
