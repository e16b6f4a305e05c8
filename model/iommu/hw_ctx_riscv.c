/* SPDX-License-Identifier: MIT */
/*
 * The RISC-V IOMMU's device-context structures (hw_ctx.h), with the
 * layouts of the RISC-V IOMMU Architecture Specification 1.0 (chapter
 * "Data Structures") as Linux's riscv driver names them
 * (drivers/iommu/riscv/iommu-bits.h; the writes follow iommu.c):
 *
 *   ddtp            one IOMMU per PCI segment; hw_seg_root is ddtp.PPN,
 *                   cfg.riscv_ddt_levels its iommu_mode (1LVL, 2LVL,
 *                   3LVL; 0: 3LVL)
 *   DDT non-leaf    8 bytes: bit 0 V, bits 10..53 PPN, the rest reserved
 *                   (RISCV_IOMMU_DDTE_V, RISCV_IOMMU_DDTE_PPN)
 *   device context  base format, 32 bytes, 128 per 4 KiB leaf table
 *                   (capabilities.MSI_FLAT is clear: MSI translation is not
 *                   modelled, so the extended 64-byte format never occurs):
 *                   tc, iohgatp, ta, fsc (struct riscv_iommu_dc, first
 *                   four words).  device_id bits: DDI[0] = 6..0, DDI[1] =
 *                   15..7, DDI[2] = 23..16 (riscv_iommu_get_dc)
 *     tc            V 0, EN_ATS 1, EN_PRI 2, T2GPA 3, DTF 4, PDTV 5, PRPR 6,
 *                   GADE 7, SADE 8, DPE 9, SBE 10, SXL 11 (RISCV_IOMMU_DC_TC_*)
 *     iohgatp       PPN 0..43, GSCID 44..59, MODE 60..63: Bare 0, Sv39x4 8,
 *                   Sv48x4 9, Sv57x4 10 (RISCV_IOMMU_DC_IOHGATP_*); the
 *                   root is 16 KiB and 16 KiB aligned
 *     ta            PSCID 12..31 (RISCV_IOMMU_DC_TA_PSCID)
 *     fsc           PDTV 0: iosatp, PPN 0..43, MODE 60..63: Bare 0, Sv39 8,
 *                   Sv48 9, Sv57 10; PDTV 1: pdtp, PPN 0..43, MODE: Bare 0,
 *                   PD8 1, PD17 2, PD20 3 (RISCV_IOMMU_DC_FSC_*)
 *   PDT non-leaf    as a DDT non-leaf entry.  process_id bits: PDI[0] =
 *                   7..0, PDI[1] = 16..8, PDI[2] = 19..17
 *   process context 16 bytes, 256 per leaf table: ta (V 0, ENS 1, SUM 2,
 *                   PSCID 12..31), fsc = iosatp (struct riscv_iommu_pc,
 *                   RISCV_IOMMU_PC_TA_*, RISCV_IOMMU_PC_FSC_*)
 *
 * Linux's riscv driver writes only the device context, with first-stage
 * paging, identity and blocking domains (riscv_iommu_iodir_update): it has
 * no second stage and no PASIDs yet, so iohgatp, DPE and the whole process
 * directory follow the specification alone.
 *
 * One iohgatp serves the device (hw_ctx.h): with tagged PASIDs the device
 * context holds the PDT (PDTV 1) and the stage 2 they share; the untagged
 * stream takes process context 0 (DPE 1) when it has a first stage, and
 * the device context's stage 2 alone (DPE 0, first stage Bare) when it
 * has not.  A first stage under a non-Bare iohgatp is a guest's table: that
 * is nesting.  The specification has the PDT pointers under a non-Bare
 * iohgatp be guest PPNs too; here the kernel owns the PDT and keeps it in
 * host frames, which the hardware half reads as such.
 */
#include <errno.h>
#include <string.h>

#include "model/iommu/hw_ctx.h"
#include "model/iommu/hw_internal.h"
#include "sim/mem.h"

/* non-leaf DDT and PDT entries (RISCV_IOMMU_DDTE_V, RISCV_IOMMU_PPN_FIELD) */
#define RV_V             0x1ull
#define RV_DIR_PPN       0x003ffffffffffc00ull   /* bits 53..10 */
#define RV_DIR_RSVD      0xffc00000000003feull   /* bits 63..54, 9..1 */
/* iohgatp, iosatp, pdtp (RISCV_IOMMU_ATP_PPN_FIELD, _ATP_MODE_FIELD) */
#define RV_ATP_PPN       0x00000fffffffffffull   /* bits 43..0 */
#define RV_ATP_RSVD      0x0ffff00000000000ull   /* iosatp / pdtp 59..44 */
#define RV_ATP_MODE(a)   ((unsigned)((a) >> 60))
#define RV_GSCID_SHIFT   44                      /* RISCV_IOMMU_DC_IOHGATP_GSCID */
#define RV_MODE_SV39     8u                      /* and Sv39x4; Sv48 9, Sv57 10 */
#define RV_GSTAGE_ROOT   (16 * 1024ull)          /* Sv*x4 root: 16 KiB, aligned */
/* device context: tc, iohgatp, ta, fsc */
#define RV_DC_SIZE       32u
#define RV_DC_WORDS      4u
enum { RV_TC, RV_IOHGATP, RV_TA, RV_FSC };
#define RV_TC_EN_ATS     (1ull << 1)
#define RV_TC_EN_PRI     (1ull << 2)
#define RV_TC_PDTV       (1ull << 5)
#define RV_TC_PRPR       (1ull << 6)
#define RV_TC_DPE        (1ull << 9)
/* GADE 7, SADE 8: the IOMMU updates A and D of G-stage / first-stage
 * leaves (capabilities.AMO_HWAD, the model's dirty tracking); every
 * process context of the device shares them */
#define RV_TC_GADE       (1ull << 7)
#define RV_TC_SADE       (1ull << 8)
/* reserved bits 63..32 and 23..12 (31..24 are custom: ignored), and the
 * controls of capabilities this IOMMU lacks, reserved then too: T2GPA 3
 * (capabilities.T2GPA), SBE 10 (END: only little-endian), SXL 11
 * (fctl.GXL fixed at 0: no Sv32); GADE and SADE without AMO_HWAD */
#define RV_TC_BAD        (0xffffffff00fff000ull | 1ull << 3 | 1ull << 10 | 1ull << 11)
#define RV_PSCID_SHIFT   12                      /* RISCV_IOMMU_DC_TA_PSCID, _PC_TA_PSCID */
#define RV_PSCID         0x00000000fffff000ull
/* process context: ta, fsc */
#define RV_PC_SIZE       16u
#define RV_PC_WORDS      2u
#define RV_PC_TA_RSVD    0xffffffff00000ff8ull   /* 63..32, 11..3 (V, ENS, SUM below) */

/* A radix directory: depth 0 is the root; the table at depth d is indexed
 * by the id's field (levels - 1 - d), field 0 indexing the leaf table. */
struct rv_radix {
	uint8_t shift[3], bits[3];
};
/* DDI[0..2] of a base-format device context (riscv_iommu_get_dc) */
static const struct rv_radix rv_ddt = { { 0, 7, 16 }, { 7, 9, 8 } };
/* PDI[0..2] (spec, "process_id partitioning for PDT radix-tree traversal") */
static const struct rv_radix rv_pdt = { { 0, 8, 17 }, { 8, 9, 3 } };

static inline unsigned rv_index(const struct rv_radix *r, unsigned field, uint32_t id)
{
	return (id >> r->shift[field]) & ((1u << r->bits[field]) - 1);
}

/* The id bits a directory of @levels levels covers. */
static inline unsigned rv_width(const struct rv_radix *r, unsigned levels)
{
	return r->shift[levels - 1] + r->bits[levels - 1];
}

static inline unsigned rv_ddt_levels(const struct iommu_hw *hw)
{
	return hw->cfg.riscv_ddt_levels ? hw->cfg.riscv_ddt_levels : 3;
}

/* PPN[53:10] <-> an address (phys_to_ppn / ppn_to_phys in iommu.c) */
static inline uint64_t rv_dir_entry(uint64_t table)
{
	return ((table >> 2) & RV_DIR_PPN) | RV_V;
}

static inline uint64_t rv_dir_table(uint64_t e)
{
	return (e & RV_DIR_PPN) << 2;
}

static inline uint64_t rv_atp(unsigned mode, uint64_t addr)
{
	return (uint64_t)mode << 60 | ((addr >> 12) & RV_ATP_PPN);
}

static inline uint64_t rv_atp_addr(uint64_t atp)
{
	return (atp & RV_ATP_PPN) << 12;
}

/* ---- contexts in the kind's fields ---------------------------------------------------- */

static bool rv_has_s1(const struct iommu_context *c)
{
	return c && (c->type == IOMMU_CTX_S1 || c->type == IOMMU_CTX_NESTED);
}

static bool rv_has_s2(const struct iommu_context *c)
{
	return c && (c->type == IOMMU_CTX_TRANSLATE || c->type == IOMMU_CTX_NESTED);
}

/* The GSCID of @c's stage 2: a stage-2 domain's own id, a nested one's
 * parent's (the VMID-like tag RISC-V keeps apart from the PSCID). */
static uint16_t rv_gscid(const struct iommu_context *c)
{
	return c->type == IOMMU_CTX_NESTED ? c->s2_did : c->did;
}

static bool rv_same_s2(const struct iommu_context *a, const struct iommu_context *b)
{
	return a->s2_root == b->s2_root && a->s2_levels == b->s2_levels &&
	       rv_gscid(a) == rv_gscid(b);
}

/* Sv39x4/48x4/57x4 by levels, GSCID, PPN */
static uint64_t rv_iohgatp(const struct iommu_context *c)
{
	return rv_atp(RV_MODE_SV39 + c->s2_levels - 3, c->s2_root) |
	       (uint64_t)rv_gscid(c) << RV_GSCID_SHIFT;
}

/* Sv39/48/57 by levels, PPN (a GPA when nested) */
static uint64_t rv_iosatp(const struct iommu_context *c)
{
	return rv_atp(RV_MODE_SV39 + c->s1_levels - 3, c->s1_root);
}

/* An untagged stream the device context decides alone: no first stage. */
static bool rv_rid_direct(const struct iommu_context *rid)
{
	return rid && (rid->type == IOMMU_CTX_PASSTHROUGH || rid->type == IOMMU_CTX_TRANSLATE);
}

/* PD8, PD17, PD20 (pdtp.MODE 1, 2, 3 = the PDT's levels) by the device's
 * PASID width */
static unsigned rv_pdt_levels(unsigned pasid_bits)
{
	return pasid_bits <= 8 ? 1 : pasid_bits <= 17 ? 2 : 3;
}

/* ---- driver half ------------------------------------------------------------------------ */

/* What the tagged PASIDs but @skip ask of the device's one iohgatp. */
struct rv_needs {
	bool bare;                   /* an S1 or pass-through PASID: Bare */
	const struct iommu_context *s2;   /* a nested PASID: its stage 2 */
};

static void rv_tagged_needs(const struct hw_dev_view *v, uint32_t skip, struct rv_needs *n)
{
	GHashTableIter it;
	gpointer k, val;

	memset(n, 0, sizeof(*n));
	if (!v->tagged)
		return;
	g_hash_table_iter_init(&it, v->tagged);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		const struct iommu_context *c = val;

		if (GPOINTER_TO_UINT(k) == skip)
			continue;
		if (c->type == IOMMU_CTX_S1 || c->type == IOMMU_CTX_PASSTHROUGH)
			n->bare = true;
		else if (c->type == IOMMU_CTX_NESTED && !n->s2)
			n->s2 = c;       /* admit keeps them all over one */
	}
}

/* A PPN field holds 44 bits; a G-stage root is 16 KiB aligned (spec
 * DC_MISCONFIG; the domain code allocates x4 roots so). */
static bool rv_ctx_fits(const struct iommu_context *c)
{
	if (rv_has_s1(c) && c->s1_root >> 56)
		return false;
	return !rv_has_s2(c) || (!(c->s2_root >> 56) && !(c->s2_root & (RV_GSTAGE_ROOT - 1)));
}

/* A new RID context @c beside the tagged PASIDs' needs @n. */
static int rv_admit_rid(const struct iommu_context *c, const struct rv_needs *n)
{
	if (c->type == IOMMU_CTX_BLOCKED)
		return 0;                /* DPE 1, process context 0 not valid */
	if (n->s2)                       /* their iohgatp: ours must be it */
		return rv_has_s2(c) && rv_same_s2(c, n->s2) ? 0 : -EBUSY;
	return n->bare && rv_has_s2(c) ? -EBUSY : 0;
}

/* A new tagged context @c beside the RID's @rid and the other PASIDs' @n. */
static int rv_admit_tagged(const struct iommu_context *c, const struct iommu_context *rid,
			   const struct rv_needs *n)
{
	switch (c->type) {
	case IOMMU_CTX_BLOCKED:
		return 0;                /* process context not valid */
	case IOMMU_CTX_TRANSLATE:
		return -EINVAL;          /* a process context has no stage 2 */
	case IOMMU_CTX_S1:
	case IOMMU_CTX_PASSTHROUGH:      /* need iohgatp Bare */
		return n->s2 || rv_has_s2(rid) ? -EINVAL : 0;
	case IOMMU_CTX_NESTED:
		if (n->bare || (n->s2 && !rv_same_s2(n->s2, c)))
			return -EINVAL;
		if (rid && rid->type != IOMMU_CTX_BLOCKED && !(rv_has_s2(rid) && rv_same_s2(rid, c)))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/* Does @o (another context of the device) ask the same of the device-wide
 * GADE / SADE as @c, for the stages both have? */
static bool rv_same_dirty(const struct iommu_context *c, const struct iommu_context *o)
{
	unsigned both = (rv_has_s1(c) && rv_has_s1(o) ? IOMMU_CTX_DIRTY_S1 : 0) |
			(rv_has_s2(c) && rv_has_s2(o) ? IOMMU_CTX_DIRTY_S2 : 0);

	return !o || ((c->dirty ^ o->dirty) & both) == 0;
}

/* Every other context of @v agrees with @c on the device's A/D enables. */
static bool rv_dirty_fits(const struct hw_dev_view *v, uint32_t pasid,
			  const struct iommu_context *c)
{
	GHashTableIter it;
	gpointer k, val;

	if (pasid && !rv_same_dirty(c, hw_view_ctx(v, 0)))
		return false;
	if (!v->tagged)
		return true;
	g_hash_table_iter_init(&it, v->tagged);
	while (g_hash_table_iter_next(&it, &k, &val))
		if (GPOINTER_TO_UINT(k) != pasid && !rv_same_dirty(c, val))
			return false;
	return true;
}

static int rv_admit(struct iommu_hw *hw, const struct hw_dev_view *v, uint32_t pasid,
		    const struct iommu_context *c)
{
	struct rv_needs n;

	(void)hw;
	if (!c)
		return 0;                /* clearing: always */
	if (!rv_ctx_fits(c))
		return -EINVAL;
	if (!rv_dirty_fits(v, pasid, c))
		return pasid ? -EINVAL : -EBUSY;
	rv_tagged_needs(v, pasid, &n);
	return pasid ? rv_admit_tagged(c, hw_view_ctx(v, 0), &n) : rv_admit_rid(c, &n);
}

/* Fresh table frames taken before anything is written. */
#define RV_POOL_MAX 8u                   /* DDT: 3; PDT: root + 2 paths of 2 */
struct rv_pool {
	uint64_t f[RV_POOL_MAX];
	unsigned n, next;
};

static void rv_pool_drain(struct iommu_hw *hw, struct rv_pool *p)
{
	while (p->n > p->next)
		hw_table_free(hw, p->f[--p->n], 1);
}

static int rv_pool_fill(struct iommu_hw *hw, struct rv_pool *p, unsigned n)
{
	p->n = p->next = 0;
	g_assert(n <= RV_POOL_MAX);
	while (p->n < n) {
		if (hw_table_alloc(hw, 1, &p->f[p->n])) {
			rv_pool_drain(hw, p);
			return -ENOMEM;
		}
		p->n++;
	}
	return 0;
}

static uint64_t rv_pool_take(struct rv_pool *p)
{
	g_assert(p->next < p->n);        /* counted by rv_missing */
	return p->f[p->next++];
}

/* How many tables the path of @id lacks in the @levels-deep directory at
 * @table (0: none yet), the root not counted, nor tables at depths below
 * @from (shared with a path counted already). */
static unsigned rv_missing(struct iommu_hw *hw, const struct rv_radix *r, uint64_t table,
			   unsigned levels, uint32_t id, unsigned from)
{
	unsigned d = 1;                  /* the first depth whose table is missing */

	for (; table && d < levels; d++) {
		uint64_t e = sim_mem_read64(hw->w, table + 8ull * rv_index(r, levels - d, id));

		if (!(e & RV_V))
			break;
		table = rv_dir_table(e);
	}
	if (d < from)
		d = from;
	return d < levels ? levels - d : 0;
}

/* The depths below which the paths of @a and @b share their tables. */
static unsigned rv_shared(const struct rv_radix *r, unsigned levels, uint32_t a, uint32_t b)
{
	unsigned d = 0;

	while (d + 1 < levels && rv_index(r, levels - 1 - d, a) == rv_index(r, levels - 1 - d, b))
		d++;
	return d + 1;
}

/* The leaf table on the path of @id, linking zeroed tables from @pool
 * where the path lacks one, as riscv_iommu_get_dc does (all their entries
 * read not valid, so linking them first is safe); @pool NULL: 0 then.
 * Sets *linked when it wrote a link. */
static uint64_t rv_descend(struct iommu_hw *hw, const struct rv_radix *r, uint64_t table,
			   unsigned levels, uint32_t id, struct rv_pool *pool, bool *linked)
{
	for (unsigned f = levels - 1; f > 0; f--) {
		uint64_t a = table + 8ull * rv_index(r, f, id), e = sim_mem_read64(hw->w, a);

		if (!(e & RV_V)) {
			if (!pool)
				return 0;
			e = rv_dir_entry(rv_pool_take(pool));
			sim_mem_write64(hw->w, a, e);
			*linked = true;
		}
		table = rv_dir_table(e);
	}
	return table;
}

/* Write the @n words of an entry at @a whose first word holds V (tc.V,
 * ta.V): V clear first, V last; nothing when memory holds them already.
 * Returns whether anything changed. */
static bool rv_put(struct iommu_hw *hw, uint64_t a, const uint64_t *q, unsigned n)
{
	bool same = true;

	for (unsigned i = 0; i < n && same; i++)
		same = sim_mem_read64(hw->w, a + 8ull * i) == q[i];
	if (same)
		return false;
	sim_mem_write64(hw->w, a, q[0] & ~RV_V);
	for (unsigned i = 1; i < n; i++)
		sim_mem_write64(hw->w, a + 8ull * i, q[i]);
	if (q[0] & RV_V)
		sim_mem_write64(hw->w, a, q[0]);
	return true;
}

/* tc.GADE / SADE from what the device's contexts ask (rv_dirty_fits keeps
 * them in agreement). */
static uint64_t rv_dc_ade(const struct hw_dev_view *v)
{
	const struct iommu_context *rid = hw_view_ctx(v, 0);
	unsigned d = rid ? rid->dirty : 0;
	GHashTableIter it;
	gpointer k, val;

	if (v->tagged) {
		g_hash_table_iter_init(&it, v->tagged);
		while (g_hash_table_iter_next(&it, &k, &val))
			d |= ((const struct iommu_context *)val)->dirty;
	}
	return (d & IOMMU_CTX_DIRTY_S1 ? RV_TC_SADE : 0) | (d & IOMMU_CTX_DIRTY_S2 ? RV_TC_GADE : 0);
}

/* The device context @v asks for, fsc.pdtp's PPN aside (the caller's). */
static void rv_dc_want(const struct hw_dev_view *v, uint64_t q[RV_DC_WORDS])
{
	const struct iommu_context *rid = hw_view_ctx(v, 0), *s2;
	uint64_t ats = v->ats ? RV_TC_EN_ATS : 0;

	memset(q, 0, RV_DC_WORDS * sizeof(q[0]));
	if (v->ntagged) {
		s2 = rv_has_s2(rid) ? rid : hw_view_nested(v);
		q[RV_TC] = RV_V | RV_TC_PDTV | ats | (rv_rid_direct(rid) ? 0 : RV_TC_DPE) |
			   rv_dc_ade(v);
		if (s2)
			q[RV_IOHGATP] = rv_iohgatp(s2);
		return;                  /* ta.PSCID is ignored with PDTV 1 */
	}
	/* riscv_iommu_attach_blocking_domain: "Make device context invalid" */
	if (!rid || rid->type == IOMMU_CTX_BLOCKED)
		return;
	q[RV_TC] = RV_V | ats | rv_dc_ade(v);
	if (rv_has_s2(rid))
		q[RV_IOHGATP] = rv_iohgatp(rid);
	if (rv_has_s1(rid)) {            /* riscv_iommu_attach_paging_domain */
		q[RV_TA] = (uint64_t)rid->did << RV_PSCID_SHIFT;
		q[RV_FSC] = rv_iosatp(rid);
	}
}

/* The process context at @pasid (0: the untagged stream's, with DPE 1). */
static void rv_pc_want(const struct hw_dev_view *v, uint32_t pasid, uint64_t q[RV_PC_WORDS])
{
	const struct iommu_context *c = hw_view_ctx(v, pasid);

	q[0] = q[1] = 0;
	if (!c || c->type == IOMMU_CTX_BLOCKED || (!pasid && rv_rid_direct(c)))
		return;
	q[0] = RV_V;                     /* ENS, SUM 0: no supervisor requests */
	if (rv_has_s1(c)) {
		q[0] |= (uint64_t)c->did << RV_PSCID_SHIFT;
		q[1] = rv_iosatp(c);
	}
}

/* Free the PDT tables below (and with) @table at field @f. */
static void rv_pdt_free(struct iommu_hw *hw, uint64_t table, unsigned f)
{
	for (unsigned i = 0; f && i < 1u << rv_pdt.bits[f]; i++) {
		uint64_t e = sim_mem_read64(hw->w, table + 8ull * i);

		if (e & RV_V)
			rv_pdt_free(hw, rv_dir_table(e), f - 1);
	}
	hw_table_free(hw, table, 1);
}

/* The PDT a device context at @a holds: its root and levels, 0 when none. */
static uint64_t rv_dc_pdt(struct iommu_hw *hw, uint64_t a, unsigned *levels)
{
	uint64_t tc = sim_mem_read64(hw->w, a), fsc = sim_mem_read64(hw->w, a + 8ull * RV_FSC);

	*levels = RV_ATP_MODE(fsc);
	if ((tc & (RV_V | RV_TC_PDTV)) != (RV_V | RV_TC_PDTV) || !*levels || *levels > 3)
		return 0;
	return rv_atp_addr(fsc);
}

/* Write the process context @q at @pasid of the PDT @pdt. */
static void rv_pc_put(struct iommu_hw *hw, uint64_t pdt, unsigned levels, uint32_t pasid,
		      const uint64_t q[RV_PC_WORDS], struct rv_pool *pool, unsigned *wrote)
{
	bool linked = false;
	uint64_t t = rv_descend(hw, &rv_pdt, pdt, levels, pasid, (q[0] & RV_V) ? pool : NULL,
				&linked);

	if (linked)
		*wrote |= HW_WROTE_PASID;
	if (t && rv_put(hw, t + RV_PC_SIZE * (uint64_t)rv_index(&rv_pdt, 0, pasid), q,
			RV_PC_WORDS))
		*wrote |= HW_WROTE_PASID;
}

static int rv_write(struct iommu_hw *hw, const struct hw_dev_view *v, uint32_t pasid,
		    unsigned *wrote)
{
	unsigned levels = rv_ddt_levels(hw), pl = 0, need;
	uint32_t p = pasid == HW_PASID_DEVICE ? 0 : pasid;
	uint64_t root = hw_seg_root(hw, v->seg), dc[RV_DC_WORDS], pc0[RV_PC_WORDS],
		 pcp[RV_PC_WORDS], a = 0, old = 0, pdt;
	bool linked = false;
	struct rv_pool pool;
	int ret;

	/* riscv_iommu_probe_device: no device context for the id (a 1LVL
	 * DDT holds 128) and the device has no IOMMU */
	if (v->rid >> rv_width(&rv_ddt, levels))
		return -ENODEV;
	if (root)
		a = rv_descend(hw, &rv_ddt, root, levels, v->rid, NULL, &linked);
	if (a)
		old = rv_dc_pdt(hw, a + RV_DC_SIZE * (v->rid & 0x7fu), &pl);
	rv_dc_want(v, dc);
	rv_pc_want(v, 0, pc0);
	rv_pc_want(v, p, pcp);
	/* every frame first: nothing is written when one is missing.  The
	 * PDT keeps its levels while it lives (hw.c changes the width only
	 * of a device with nothing programmed: no PDT then). */
	need = root ? rv_missing(hw, &rv_ddt, root, levels, v->rid, 0) : levels;
	pdt = old;
	if (v->ntagged) {
		if (!pdt)
			pl = rv_pdt_levels(v->pasid_bits);
		need += !pdt;
		if (pc0[0] & RV_V)
			need += rv_missing(hw, &rv_pdt, pdt, pl, 0, 0);
		if (p && (pcp[0] & RV_V))
			need += rv_missing(hw, &rv_pdt, pdt, pl, p,
					   (pc0[0] & RV_V) ? rv_shared(&rv_pdt, pl, 0, p) : 0);
	}
	ret = rv_pool_fill(hw, &pool, need);
	if (ret)
		return ret;
	if (!root) {
		root = rv_pool_take(&pool);
		hw_seg_root_set(hw, v->seg, root);
	}
	a = rv_descend(hw, &rv_ddt, root, levels, v->rid, &pool, &linked) +
	    RV_DC_SIZE * (v->rid & 0x7fu);
	if (linked)
		*wrote |= HW_WROTE_DEVICE;
	if (v->ntagged) {                /* the PCs before the DC that reaches them */
		if (!pdt)
			pdt = rv_pool_take(&pool);
		rv_pc_put(hw, pdt, pl, 0, pc0, &pool, wrote);
		if (p)
			rv_pc_put(hw, pdt, pl, p, pcp, &pool, wrote);
		dc[RV_FSC] = rv_atp(pl, pdt);
	}
	g_assert(pool.next == pool.n);
	if (rv_put(hw, a, dc, RV_DC_WORDS))
		*wrote |= HW_WROTE_DEVICE;
	if (old && !v->ntagged) {        /* PDTV back to 0: unreachable now */
		rv_pdt_free(hw, old, pl - 1);
		*wrote |= HW_WROTE_PASID;
	}
	return 0;
}

static void rv_clear_device(struct iommu_hw *hw, const struct hw_dev_view *v, unsigned *wrote)
{
	static const uint64_t zero[RV_DC_WORDS];
	unsigned levels = rv_ddt_levels(hw), pl;
	uint64_t root = hw_seg_root(hw, v->seg), a = 0, pdt;
	bool linked = false;

	if (root && !(v->rid >> rv_width(&rv_ddt, levels)))
		a = rv_descend(hw, &rv_ddt, root, levels, v->rid, NULL, &linked);
	if (!a)
		return;
	a += RV_DC_SIZE * (v->rid & 0x7fu);
	pdt = rv_dc_pdt(hw, a, &pl);
	if (rv_put(hw, a, zero, RV_DC_WORDS))
		*wrote |= HW_WROTE_DEVICE;
	if (pdt) {
		rv_pdt_free(hw, pdt, pl - 1);
		*wrote |= HW_WROTE_PASID;
	}
	/* the DDT levels stay, as Linux keeps them for the IOMMU's life */
}

/* ---- hardware half ---------------------------------------------------------------------- */

/* The first-stage (iosatp) and G-stage (iohgatp) modes this IOMMU walks:
 * Bare, and the Sv*(x4) its formats have (capabilities.Sv39 ... Sv57x4). */
static bool rv_mode_ok(const struct iommu_hw *hw, unsigned stage, unsigned mode)
{
	return !mode || (mode >= RV_MODE_SV39 && mode <= RV_MODE_SV39 + 2 &&
			 hw_fmt_ok(hw, stage, mode - RV_MODE_SV39 + 3));
}

/* The process_id bits pdtp.MODE covers (Bare: any the IOMMU takes) */
static const unsigned rv_pd_bits[4] = { IOMMU_HW_MAX_PASID_BITS, 8, 17, 20 };

/* pdtp.MODE: Bare, or PD8/PD17/PD20 when the IOMMU's PASID width has it
 * (capabilities.PD8, PD17, PD20): wider than the mode below */
static bool rv_pdtp_ok(const struct iommu_hw *hw, unsigned mode)
{
	return !mode || (mode <= 3 && hw->cfg.pasid_bits > (mode > 1 ? rv_pd_bits[mode - 1] : 0));
}

/* The context a first stage @fsc (with @ta's PSCID) and the device's
 * iohgatp in @dc select: the steps of "Process to translate an IOVA". */
static void rv_ctx(const struct hw_devctx *dc, uint64_t fsc, uint64_t ta,
		   struct iommu_context *c)
{
	unsigned m = RV_ATP_MODE(fsc);

	memset(c, 0, sizeof(*c));
	if (m) {                         /* PSCID: used only with a first stage */
		c->s1_root = rv_atp_addr(fsc);
		c->s1_levels = m - RV_MODE_SV39 + 3;
		c->did = (uint16_t)((ta & RV_PSCID) >> RV_PSCID_SHIFT);
	}
	if (dc->s2_valid) {
		c->s2_root = dc->s2_root;
		c->s2_levels = dc->s2_levels;
		if (m)
			c->s2_did = dc->s2_did;
		else
			c->did = dc->s2_did;
	}
	if (m)
		c->type = dc->s2_valid ? IOMMU_CTX_NESTED : IOMMU_CTX_S1;
	else
		c->type = dc->s2_valid ? IOMMU_CTX_TRANSLATE : IOMMU_CTX_PASSTHROUGH;
	/* the device's A/D update enables, for the stages this one walks */
	c->dirty = dc->dirty & ((m ? IOMMU_CTX_DIRTY_S1 : 0) |
				(dc->s2_valid ? IOMMU_CTX_DIRTY_S2 : 0));
}

/* Decode a valid device context; false when misconfigured (cause 259,
 * "Device-context configuration checks", in the specification's order). */
static bool rv_dc_decode(const struct iommu_hw *hw, const uint64_t q[RV_DC_WORDS],
			 struct hw_devctx *dc)
{
	uint64_t tc = q[RV_TC], gatp = q[RV_IOHGATP], fsc = q[RV_FSC];
	unsigned gm = RV_ATP_MODE(gatp), fm = RV_ATP_MODE(fsc);
	bool pdtv = (tc & RV_TC_PDTV) != 0;

	/* reserved bits; ta beyond PSCID is RCID/MCID, reserved without QOSID */
	if ((tc & RV_TC_BAD) || (q[RV_TA] & ~RV_PSCID) || (fsc & RV_ATP_RSVD))
		return false;
	if ((tc & (RV_TC_GADE | RV_TC_SADE)) && hw->cfg.no_dirty_tracking)
		return false;            /* no AMO_HWAD: reserved */
	if (((tc & RV_TC_EN_PRI) && !(tc & RV_TC_EN_ATS)) ||
	    ((tc & RV_TC_PRPR) && !(tc & RV_TC_EN_PRI)))
		return false;
	if (pdtv ? !rv_pdtp_ok(hw, fm) : !rv_mode_ok(hw, 1, fm))
		return false;
	if (!pdtv && (tc & RV_TC_DPE))
		return false;
	if (!rv_mode_ok(hw, 2, gm) || (gm && (gatp & 3)))   /* root 16 KiB aligned */
		return false;
	memset(dc, 0, sizeof(*dc));
	dc->ats = (tc & RV_TC_EN_ATS) != 0;
	dc->dirty = (tc & RV_TC_SADE ? IOMMU_CTX_DIRTY_S1 : 0) |
		    (tc & RV_TC_GADE ? IOMMU_CTX_DIRTY_S2 : 0);
	if (gm) {
		dc->s2_valid = true;
		dc->s2_root = rv_atp_addr(gatp);
		dc->s2_levels = gm - RV_MODE_SV39 + 3;
		dc->s2_did = (uint16_t)(gatp >> RV_GSCID_SHIFT);
	}
	if (!pdtv) {                     /* requests with a process_id: cause 260 */
		dc->rid_direct = true;
		rv_ctx(dc, fsc, q[RV_TA], &dc->rid);
		return true;
	}
	dc->pasid_ok = true;
	dc->pasid_limit_bits = rv_pd_bits[fm];
	dc->table = fm ? rv_atp_addr(fsc) : 0;
	dc->table_fmt = fm;              /* the PDT's levels; 0: pdtp Bare */
	if (!(tc & RV_TC_DPE)) {         /* no process_id, no default: first stage Bare */
		dc->rid_direct = true;
		rv_ctx(dc, 0, 0, &dc->rid);
	}
	return true;                     /* DPE 1: process_id 0 (rid_pasid) */
}

static bool rv_fetch_dev(struct iommu_hw *hw, uint16_t seg, uint16_t rid, struct hw_devctx *dc,
			 unsigned *refs, enum hw_ctx_fail *why)
{
	unsigned levels = rv_ddt_levels(hw), x;
	uint64_t t = hw_seg_root(hw, seg), a, e, q[RV_DC_WORDS];

	/* no DDT for the segment; a device_id wider than the mode (cause 260) */
	if (!t || rid >> rv_width(&rv_ddt, levels))
		return hw_ctx_fail_with(why, HW_CTX_NO_ROOT);
	for (unsigned f = levels - 1; f > 0; f--) {
		x = rv_index(&rv_ddt, f, rid);
		a = t + 8ull * x;
		e = sim_mem_read64(hw->w, a);
		(*refs)++;
		hw_ctx_emit(hw, IOMMU_EV_ROOT, f, x, a, e, NULL);
		if (!(e & RV_V))                 /* DDT entry not valid (258) */
			return hw_ctx_fail_with(why, HW_CTX_NO_ROOT);
		if (e & RV_DIR_RSVD)             /* DDT entry misconfigured (259) */
			return hw_ctx_fail_with(why, HW_CTX_BAD_CONTEXT);
		t = rv_dir_table(e);
	}
	x = rid & 0x7fu;
	a = t + RV_DC_SIZE * (uint64_t)x;
	for (unsigned i = 0; i < RV_DC_WORDS; i++)
		q[i] = sim_mem_read64(hw->w, a + 8ull * i);
	(*refs)++;
	hw_ctx_emit(hw, IOMMU_EV_CONTEXT, 0, x, a, q[RV_TC], NULL);
	if (!(q[RV_TC] & RV_V))
		return hw_ctx_fail_with(why, HW_CTX_NO_CONTEXT);
	return rv_dc_decode(hw, q, dc) ? true : hw_ctx_fail_with(why, HW_CTX_BAD_CONTEXT);
}

/* Decode a valid process context; false when misconfigured (cause 267). */
static bool rv_pc_decode(const struct iommu_hw *hw, const struct hw_devctx *dc,
			 const uint64_t *q, struct iommu_context *c)
{
	if ((q[0] & RV_PC_TA_RSVD) || (q[1] & RV_ATP_RSVD) || !rv_mode_ok(hw, 1, RV_ATP_MODE(q[1])))
		return false;
	rv_ctx(dc, q[1], q[0], c);       /* ENS, SUM: no supervisor requests here */
	return true;
}

static bool rv_fetch_pasid(struct iommu_hw *hw, const struct hw_devctx *dc, uint32_t pasid,
			   struct iommu_context *c, unsigned *refs, enum hw_ctx_fail *why)
{
	unsigned levels = dc->table_fmt, x;
	uint64_t t = dc->table, a, e;

	if (!levels) {                   /* pdtp Bare: first stage Bare, no PDT */
		rv_ctx(dc, 0, 0, c);
		return true;
	}
	for (unsigned f = levels - 1; f > 0; f--) {
		x = rv_index(&rv_pdt, f, pasid);
		a = t + 8ull * x;
		e = sim_mem_read64(hw->w, a);
		(*refs)++;
		hw_ctx_emit(hw, IOMMU_EV_PASID_DIR, f, x, a, e, NULL);
		if (!(e & RV_V))                 /* PDT entry not valid (266) */
			return hw_ctx_fail_with(why, HW_CTX_NO_PDIR);
		if (e & RV_DIR_RSVD)             /* PDT entry misconfigured (267) */
			return hw_ctx_fail_with(why, HW_CTX_BAD_PASID);
		t = rv_dir_table(e);
	}
	x = rv_index(&rv_pdt, 0, pasid);
	a = t + RV_PC_SIZE * (uint64_t)x;
	return hw_pasid_leaf(hw, dc, a, RV_PC_WORDS, RV_V, x, rv_pc_decode, c, refs, why);
}

const struct hw_ctx_ops hw_ctx_riscv_ops = {
	.name = "riscv",
	.dev_entry = "device context",
	.pasid_entry = "process context",
	.admit = rv_admit,
	.write = rv_write,
	.clear_device = rv_clear_device,
	.fetch_dev = rv_fetch_dev,
	.fetch_pasid = rv_fetch_pasid,
};
