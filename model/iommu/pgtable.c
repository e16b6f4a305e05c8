/* SPDX-License-Identifier: MIT */
/*
 * The I/O page-table engine: radix tables in frames of simulated memory,
 * driven by a struct io_pgtable_fmt (geometry, descriptor encoding, leaf
 * sizes, the partial-unmap rule).  The formats are data, in
 * pgtable_formats.c.
 *
 * Levels count up from the leaves: level 1 holds granule-sized leaves, the
 * root is level pt->levels.  Invariants kept between calls:
 *  - no table other than the root is empty (unmap frees emptied tables,
 *    a failed map frees what it built);
 *  - table_pages counts the frames of the root and of every table reachable
 *    from it (a 16K table is 4 frames, a concatenated root several);
 *  - mapped_bytes is the sum of the leaves' sizes;
 *  - every leaf is naturally aligned, at a level whose size the granule
 *    allows.
 * map/unmap work on table frames through their storage pointers (one frame
 * lookup per 4 KiB of table visited, struct tcur); lookup reads descriptor
 * by descriptor through sim_mem_read64, as a hardware walker would, counts
 * each read and allocates nothing.
 *
 * Table memory is memory: a device with an identity domain, or a guest
 * writing its own stage-1 pool, can write anything over it.  So the engine
 * never trusts a table address it reads back.  It records every table it
 * allocated (pt->owned: address -> level) and follows a table descriptor
 * only to a table it owns at the level below; anything else present that
 * it cannot use (a table address it does not own, a leaf at a level the
 * granule has no such leaf, a last-level descriptor the hardware would
 * not take) is a corrupt descriptor: reported (trace io_pgtable_corrupt,
 * pt->corrupt) and treated as not present by map, unmap, the busy check,
 * lookup and teardown.  Teardown frees what it owns, reachable or not.
 * Leaves cannot be checked (any output address is one), so a garbage leaf
 * in an owned table is a mapping, as it would be to the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/mem.h"
#include "sim/trace.h"
#include "model/iommu/pgtable.h"

/* ---- geometry ------------------------------------------------------------ */

static inline unsigned g_shift(const struct io_pgtable *pt)
{
	return pt->granule_shift ? pt->granule_shift : pt->fmt->granule_shift;
}

/* Index bits of every level below the root: a table fills one granule. */
static inline unsigned lvl_bits(const struct io_pgtable *pt)
{
	return g_shift(pt) - 3;
}

static inline unsigned top_bits(const struct io_pgtable *pt)
{
	return pt->top_bits ? pt->top_bits : lvl_bits(pt) + pt->fmt->root_extra_bits;
}

static inline unsigned idx_bits(const struct io_pgtable *pt, unsigned level)
{
	return level == pt->levels ? top_bits(pt) : lvl_bits(pt);
}

static inline unsigned lvl_shift(const struct io_pgtable *pt, unsigned level)
{
	return g_shift(pt) + (level - 1) * lvl_bits(pt);
}

static inline uint64_t lvl_size(const struct io_pgtable *pt, unsigned level)
{
	return 1ull << lvl_shift(pt, level);
}

static inline unsigned lvl_index(const struct io_pgtable *pt, unsigned level, uint64_t iova)
{
	return (unsigned)(iova >> lvl_shift(pt, level)) & ((1u << idx_bits(pt, level)) - 1);
}

static inline unsigned nents(const struct io_pgtable *pt, unsigned level)
{
	return 1u << idx_bits(pt, level);
}

/* Frames of a table of @level: its entries, at least one frame. */
static inline unsigned table_frames(const struct io_pgtable *pt, unsigned level)
{
	unsigned bytes_shift = idx_bits(pt, level) + 3;

	return bytes_shift <= SIM_PAGE_SHIFT ? 1 : 1u << (bytes_shift - SIM_PAGE_SHIFT);
}

uint64_t io_pgtable_pgsizes(const struct io_pgtable *pt)
{
	const struct io_pgtable_geom *g;

	if (g_shift(pt) == pt->fmt->granule_shift)
		return pt->fmt->pgsize_bitmap;
	g = io_pgtable_fmt_geom(pt->fmt, g_shift(pt));
	return g ? g->pgsize_bitmap : 0;
}

static inline bool leaf_ok(const struct io_pgtable *pt, unsigned level)
{
	return lvl_shift(pt, level) < 64 && (io_pgtable_pgsizes(pt) & lvl_size(pt, level));
}

unsigned io_pgtable_ias(const struct io_pgtable *pt)
{
	return g_shift(pt) + (pt->levels - 1) * lvl_bits(pt) + top_bits(pt);
}

unsigned io_pgtable_root_frames(const struct io_pgtable *pt)
{
	return table_frames(pt, pt->levels);
}

/* The last input address of the table (inclusive, so 64-bit inputs fit). */
static inline uint64_t ia_last(const struct io_pgtable *pt)
{
	unsigned ias = io_pgtable_ias(pt);

	return ias >= 64 ? UINT64_MAX : (1ull << ias) - 1;
}

/* The last address of the entry of @level holding @a, clipped to @last. */
static inline uint64_t entry_end(const struct io_pgtable *pt, unsigned level,
				 uint64_t a, uint64_t last)
{
	uint64_t end = a | (lvl_size(pt, level) - 1);

	return end < last ? end : last;
}

/* ---- table storage --------------------------------------------------------- */

/*
 * A cursor on one table: its entries through the storage of the frame last
 * touched, so a table of several frames costs one frame lookup per frame
 * visited.  Frame storage never moves while the frame lives.
 */
struct tcur {
	uint64_t base;               /* HPA of the table */
	uint64_t win;                /* HPA of the frame @p is the storage of */
	uint64_t *p;
};

static inline void tcur_init(struct tcur *c, uint64_t base)
{
	c->base = base;
	c->win = 0;
	c->p = NULL;
}

/* The entry, or NULL when the table's page has no storage (a guest page
 * its owner gave up): callers treat that as a table they cannot touch. */
static inline uint64_t *ent(const struct io_pgtable *pt, struct tcur *c, unsigned i)
{
	uint64_t a = c->base + (uint64_t)i * sizeof(uint64_t);

	if (!c->p || (a & SIM_PAGE_MASK) != c->win) {
		c->win = a & SIM_PAGE_MASK;
		c->p = sim_mem_frame_ptr(pt->w, pt->mem ? pt->mem->to_hpa(pt->mem->ctx, c->win)
						       : c->win);
		if (!c->p)
			return NULL;
	}
	return c->p + ((a & ~SIM_PAGE_MASK) / sizeof(uint64_t));
}

/* ---- what a descriptor is ------------------------------------------------ */

static inline bool owned_is(const struct io_pgtable *pt, uint64_t addr, unsigned level)
{
	gpointer v;

	return pt->owned &&
	       g_hash_table_lookup_extended(pt->owned, GSIZE_TO_POINTER(addr), NULL, &v) &&
	       GPOINTER_TO_UINT(v) == level;
}

enum ent_kind { ENT_NONE, ENT_LEAF, ENT_TABLE, ENT_CORRUPT };

/* What the descriptor @pte of a level-@level table is to the engine; for a
 * table, *child is its address.  See the top of the file. */
static enum ent_kind classify(const struct io_pgtable *pt, unsigned level, uint64_t pte,
			      uint64_t *child)
{
	const struct io_pgtable_fmt *f = pt->fmt;

	if (!io_pgtable_pte_present(f, pte))
		return ENT_NONE;
	if (io_pgtable_pte_is_leaf(f, pte, level)) {
		bool ok = level == 1 ? io_pgtable_pte_last_ok(f, pte) : leaf_ok(pt, level);

		return ok ? ENT_LEAF : ENT_CORRUPT;
	}
	*child = io_pgtable_pte_addr(f, pte);
	return owned_is(pt, *child, level - 1) ? ENT_TABLE : ENT_CORRUPT;
}

/* A corrupt descriptor met by @op: counted and traced, never followed. */
static void report_corrupt(struct io_pgtable *pt, uint64_t table, unsigned level,
			   unsigned index, uint64_t pte, const char *op)
{
	pt->corrupt++;
	SIM_TRACE(pt->w, io_pgtable_corrupt, pt->fmt->name, (unsigned long long)table, level,
		  index, (unsigned long long)pte, op);
}

/* The leaf map writes: the format's encoding of @prot, and with
 * IO_PGTABLE_QUIRK_ARM_HD the DBM bit in a writable one
 * (arm_lpae_prot_to_pte: writable-dirty from the start). */
static inline uint64_t leaf_pte(const struct io_pgtable *pt, uint64_t out, unsigned level,
				unsigned prot)
{
	uint64_t pte = io_pgtable_pte_leaf(pt->fmt, out, level, prot);

	if ((pt->quirks & IO_PGTABLE_QUIRK_ARM_HD) && (prot & IOMMU_WRITE))
		pte |= pt->fmt->desc.dbm;
	return pte;
}

/* ---- table frames ------------------------------------------------------- */

/* A zeroed table for @level: one frame, or a run of frames aligned to its
 * size (sim_mem_frames_alloc_contig). */
static int table_alloc(struct io_pgtable *pt, unsigned level, uint64_t *hpa)
{
	unsigned n = table_frames(pt, level);
	int ret = pt->mem ? pt->mem->alloc(pt->mem->ctx, n, hpa)
		: n == 1 ? sim_mem_frame_alloc(pt->w, SIM_FRAME_PGTABLE, hpa)
			 : sim_mem_frames_alloc_contig(pt->w, SIM_FRAME_PGTABLE, n, hpa);

	if (!ret) {
		pt->table_pages += n;
		g_hash_table_insert(pt->owned, GSIZE_TO_POINTER(*hpa), GUINT_TO_POINTER(level));
	}
	return ret;
}

/* Highest frame first, so a run at the top returns to the bump pointer. */
static void table_free(struct io_pgtable *pt, uint64_t hpa, unsigned level)
{
	unsigned n = table_frames(pt, level);

	if (pt->mem)
		pt->mem->free(pt->mem->ctx, hpa, n);
	else
		for (unsigned i = n; i--;)
			sim_mem_frame_put(pt->w, hpa + i * SIM_PAGE_SIZE);
	pt->table_pages -= n;
	g_hash_table_remove(pt->owned, GSIZE_TO_POINTER(hpa));
}

/* No leaf and no table below: corrupt descriptors do not count (they go
 * with the table), nor does a table whose storage is gone. */
static bool table_empty(const struct io_pgtable *pt, uint64_t hpa, unsigned level)
{
	struct tcur c;
	uint64_t child, *e;

	tcur_init(&c, hpa);
	for (unsigned i = 0; i < nents(pt, level); i++) {
		enum ent_kind k;

		if (!(e = ent(pt, &c, i)))
			return true;
		k = classify(pt, level, *e, &child);
		if (k == ENT_LEAF || k == ENT_TABLE)
			return false;
	}
	return true;
}

/* Free the table at @hpa (of @level) and every table it owns below it. */
static void free_subtree(struct io_pgtable *pt, uint64_t hpa, unsigned level)
{
	struct tcur c;
	uint64_t child, *e;

	tcur_init(&c, hpa);
	for (unsigned i = 0; level > 1 && i < nents(pt, level); i++) {
		if (!(e = ent(pt, &c, i)))
			break;
		switch (classify(pt, level, *e, &child)) {
		case ENT_TABLE:
			free_subtree(pt, child, level - 1);
			break;
		case ENT_CORRUPT:
			report_corrupt(pt, hpa, level, i, *e, "free");
			break;
		default:
			break;
		}
	}
	table_free(pt, hpa, level);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Tables still owned after the walk from the root (a corrupt descriptor
 * hid them): freed in address order, so teardown stays deterministic. */
static void free_unreachable(struct io_pgtable *pt)
{
	guint n = g_hash_table_size(pt->owned);
	uint64_t *addrs;
	GHashTableIter it;
	gpointer k, v;
	guint i = 0;

	if (!n)
		return;
	addrs = g_new(uint64_t, n);
	g_hash_table_iter_init(&it, pt->owned);
	while (g_hash_table_iter_next(&it, &k, &v))
		addrs[i++] = (uint64_t)GPOINTER_TO_SIZE(k);
	qsort(addrs, n, sizeof(*addrs), cmp_u64);
	for (i = n; i--;)
		table_free(pt, addrs[i], GPOINTER_TO_UINT(g_hash_table_lookup(
						 pt->owned, GSIZE_TO_POINTER(addrs[i]))));
	g_free(addrs);
}

/* Levels and root width of @cfg, or -EINVAL. */
static int geometry(const struct io_pgtable_fmt *f, const struct io_pgtable_cfg *cfg,
		    unsigned *gs, unsigned *levels, unsigned *tb)
{
	unsigned g = cfg->granule_shift ? cfg->granule_shift : f->granule_shift;
	const struct io_pgtable_geom *geo = io_pgtable_fmt_geom(f, g);
	unsigned b = g - 3, base, ias = cfg->ias;

	if (!geo)
		return -EINVAL;
	base = g + f->root_extra_bits;
	if (!ias) {
		*levels = cfg->levels;
		ias = base + cfg->levels * b;
	} else if (f->max_ias && ias >= f->min_ias && ias <= f->max_ias && ias > base) {
		*levels = (ias - base + b - 1) / b;
	} else if (!f->max_ias && ias > base && (ias - base) % b == 0) {
		*levels = (ias - base) / b;
	} else {
		return -EINVAL;
	}
	if (f->max_ias && ias > f->max_ias)
		return -EINVAL;
	*gs = g;
	*tb = ias - g - (*levels - 1) * b;
	/* ARM stage 2: a level-0 start table of at most 2^concat_max_bits
	 * entries becomes that many concatenated tables one level down */
	if (f->concat_max_bits && *levels == 4 && *tb <= f->concat_max_bits) {
		*levels = 3;
		*tb += b;
	}
	return *levels >= geo->min_levels && *levels <= geo->max_levels ? 0 : -EINVAL;
}

int io_pgtable_init_cfg(struct io_pgtable *pt, struct sim_world *w,
			const struct io_pgtable_fmt *fmt, const struct io_pgtable_cfg *cfg)
{
	return io_pgtable_init_mem(pt, w, fmt, cfg, NULL);
}

int io_pgtable_init_mem(struct io_pgtable *pt, struct sim_world *w,
			const struct io_pgtable_fmt *fmt, const struct io_pgtable_cfg *cfg,
			const struct io_pgtable_mem *mem)
{
	unsigned gs, levels, tb;
	int ret;

	memset(pt, 0, sizeof(*pt));
	if (!fmt || !cfg || geometry(fmt, cfg, &gs, &levels, &tb))
		return -EINVAL;
	pt->owned = g_hash_table_new(g_direct_hash, g_direct_equal);
	pt->w = w;
	pt->mem = mem;
	pt->fmt = fmt;
	pt->levels = levels;
	/* the defaults stay 0, so a table rebuilt from (fmt, levels, root)
	 * alone walks the same */
	pt->granule_shift = gs == fmt->granule_shift ? 0 : gs;
	pt->top_bits = tb == gs - 3 + fmt->root_extra_bits ? 0 : tb;
	ret = table_alloc(pt, levels, &pt->root);
	if (ret) {
		g_hash_table_destroy(pt->owned);
		memset(pt, 0, sizeof(*pt));
	}
	return ret;
}

int io_pgtable_init(struct io_pgtable *pt, struct sim_world *w,
		    const struct io_pgtable_fmt *fmt, unsigned levels)
{
	struct io_pgtable_cfg cfg = { .levels = levels };

	return io_pgtable_init_cfg(pt, w, fmt, &cfg);
}

void io_pgtable_destroy(struct io_pgtable *pt)
{
	if (!pt->owned) {
		/* a view (fmt, levels, root) owns nothing to free */
		pt->root = 0;
		return;
	}
	if (pt->w)
		sim_mem_table_touched(pt->w);   /* its frames go back: tables change */
	if (pt->root && owned_is(pt, pt->root, pt->levels))
		free_subtree(pt, pt->root, pt->levels);
	free_unreachable(pt);
	g_hash_table_destroy(pt->owned);
	pt->owned = NULL;
	pt->root = 0;
	pt->mapped_bytes = 0;
}

/* ---- checking and building ---------------------------------------------- */

/* Is any page of [lo, last] mapped below the table @hpa of @level?  A
 * corrupt descriptor maps nothing. */
static bool range_busy(struct io_pgtable *pt, uint64_t hpa, unsigned level,
		       uint64_t lo, uint64_t last)
{
	struct tcur c;

	tcur_init(&c, hpa);
	for (uint64_t a = lo;;) {
		uint64_t end = entry_end(pt, level, a, last), child;
		unsigned i = lvl_index(pt, level, a);
		uint64_t *e = ent(pt, &c, i);

		switch (e ? classify(pt, level, *e, &child) : ENT_NONE) {
		case ENT_LEAF:
			return true;
		case ENT_TABLE:
			if (range_busy(pt, child, level - 1, a, end))
				return true;
			break;
		case ENT_CORRUPT:
			report_corrupt(pt, hpa, level, i, *e, "busy");
			break;
		case ENT_NONE:
			break;
		}
		if (end == last)
			return false;
		a = end + 1;
	}
}

/*
 * Map [lo, last] -> hpa below the table @thpa of @level, each piece with the
 * largest leaf its alignment allows.  The range is known to be free.  A
 * corrupt descriptor in the way is not present: it is replaced.  -EFAULT
 * when a table's storage is gone.
 */
static int map_range(struct io_pgtable *pt, uint64_t thpa, unsigned level,
		     uint64_t lo, uint64_t last, uint64_t hpa, unsigned prot)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t sz = lvl_size(pt, level);
	struct tcur c;

	tcur_init(&c, thpa);
	for (uint64_t a = lo;;) {
		uint64_t end = entry_end(pt, level, a, last), out = hpa + (a - lo), child = 0;
		unsigned i = lvl_index(pt, level, a);
		uint64_t *e = ent(pt, &c, i);
		enum ent_kind k;
		int ret;

		if (!e)
			return -EFAULT;
		k = classify(pt, level, *e, &child);
		if (k == ENT_CORRUPT) {
			report_corrupt(pt, thpa, level, i, *e, "map");
			k = ENT_NONE;
		}
		if (k == ENT_NONE && leaf_ok(pt, level) && !(a & (sz - 1)) &&
		    end - a == sz - 1 && !(out & (sz - 1))) {
			*e = leaf_pte(pt, out, level, prot);
		} else if (k == ENT_LEAF) {
			return -EEXIST;    /* cannot happen: range_busy ran */
		} else {
			if (k == ENT_NONE) {
				ret = table_alloc(pt, level - 1, &child);
				if (ret)
					return ret;
				*e = io_pgtable_pte_table(f, child);
			}
			ret = map_range(pt, child, level - 1, a, end, out, prot);
			if (ret)
				return ret;
		}
		if (end == last)
			return 0;
		a = end + 1;
	}
}

/*
 * Remove the leaves inside [lo, last] below the table @thpa of @level and
 * free the tables this empties.  Every leaf met lies wholly inside the range
 * (unmap widened or narrowed the range to leaf edges first; a failed map's
 * range held nothing else).  Corrupt descriptors are left alone (there is
 * nothing there to unmap).  Returns the bytes removed.
 */
static uint64_t unmap_range(struct io_pgtable *pt, uint64_t thpa, unsigned level,
			    uint64_t lo, uint64_t last)
{
	uint64_t sz = lvl_size(pt, level), n = 0;
	struct tcur c;

	tcur_init(&c, thpa);
	for (uint64_t a = lo;;) {
		uint64_t end = entry_end(pt, level, a, last), child;
		unsigned i = lvl_index(pt, level, a);
		uint64_t *e = ent(pt, &c, i);
		bool whole = !(a & (sz - 1)) && end - a == sz - 1;

		switch (e ? classify(pt, level, *e, &child) : ENT_NONE) {
		case ENT_LEAF:
			if (whole) {
				*e = 0;
				n += sz;
			}
			break;
		case ENT_TABLE:
			n += unmap_range(pt, child, level - 1, a, end);
			/* the table may have moved out of the way of a
			 * descriptor written meanwhile: look again */
			if ((whole || table_empty(pt, child, level - 1)) &&
			    classify(pt, level, *e, &child) == ENT_TABLE) {
				*e = 0;
				table_free(pt, child, level - 1);
			}
			break;
		case ENT_CORRUPT:
			report_corrupt(pt, thpa, level, i, *e, "unmap");
			break;
		case ENT_NONE:
			break;
		}
		if (end == last)
			return n;
		a = end + 1;
	}
}

/* Common argument checks of map and naive map. */
static int map_args_ok(const struct io_pgtable *pt, uint64_t iova, uint64_t hpa,
		       uint64_t size, unsigned prot)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t gmask = (1ull << g_shift(pt)) - 1, last_out;

	if (!pt->root || !pt->owned || !size || ((iova | hpa | size) & gmask))
		return 0;
	if (!prot || (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return 0;
	if (iova + size - 1 < iova || iova + size - 1 > ia_last(pt))
		return 0;
	/* the output must fit the descriptor's address field */
	last_out = hpa + size - (gmask + 1);
	if (last_out < hpa ||
	    io_pgtable_pte_addr(f, io_pgtable_pte_leaf(f, last_out, 1, prot)) != last_out)
		return 0;
	return 1;
}

int io_pgtable_map(struct io_pgtable *pt, uint64_t iova, uint64_t hpa,
		   uint64_t size, unsigned prot)
{
	uint64_t last = iova + size - 1;
	int ret;

	if (pt->w)
		sim_mem_table_touched(pt->w);   /* descriptors change through frame pointers */

	if (!map_args_ok(pt, iova, hpa, size, prot))
		return -EINVAL;
	if (range_busy(pt, pt->root, pt->levels, iova, last))
		return -EEXIST;
	ret = map_range(pt, pt->root, pt->levels, iova, last, hpa, prot);
	if (ret) {
		/* all or nothing: the range was empty, so this removes
		 * exactly what we built (leaves and tables) */
		unmap_range(pt, pt->root, pt->levels, iova, last);
		return ret;
	}
	pt->mapped_bytes += size;
	return 0;
}

/* Naive baseline: every granule page walked from the root and mapped alone
 * (a corrupt descriptor on the way is not present: replaced). */
static int map_one_page(struct io_pgtable *pt, uint64_t iova, uint64_t hpa, unsigned prot)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t thpa = pt->root, *e, child = 0;
	struct tcur c;

	for (unsigned level = pt->levels; level > 1; level--) {
		unsigned i = lvl_index(pt, level, iova);
		enum ent_kind k;

		tcur_init(&c, thpa);
		if (!(e = ent(pt, &c, i)))
			return -EFAULT;
		k = classify(pt, level, *e, &child);
		if (k == ENT_CORRUPT) {
			report_corrupt(pt, thpa, level, i, *e, "map");
			k = ENT_NONE;
		}
		if (k == ENT_NONE) {
			int ret = table_alloc(pt, level - 1, &child);

			if (ret)
				return ret;
			*e = io_pgtable_pte_table(f, child);
		} else if (k == ENT_LEAF) {
			return -EEXIST;
		}
		thpa = child;
	}
	tcur_init(&c, thpa);
	if (!(e = ent(pt, &c, lvl_index(pt, 1, iova))))
		return -EFAULT;
	*e = leaf_pte(pt, hpa, 1, prot);
	return 0;
}

int io_pgtable_map_naive(struct io_pgtable *pt, uint64_t iova, uint64_t hpa,
			 uint64_t size, unsigned prot)
{
	uint64_t pg = 1ull << g_shift(pt);
	struct io_pgtable_walk wk;
	int ret = 0;

	if (pt->w)
		sim_mem_table_touched(pt->w);   /* descriptors change through frame pointers */

	if (!map_args_ok(pt, iova, hpa, size, prot))
		return -EINVAL;
	for (uint64_t off = 0; off < size; off += pg)
		if (io_pgtable_lookup(pt, iova + off, &wk) == 0)
			return -EEXIST;
	for (uint64_t off = 0; off < size && !ret; off += pg)
		ret = map_one_page(pt, iova + off, hpa + off, prot);
	if (ret) {
		unmap_range(pt, pt->root, pt->levels, iova, iova + size - 1);
		return ret;
	}
	pt->mapped_bytes += size;
	return 0;
}

/* ---- unmap: the format's rule at the edges ------------------------------- */

/*
 * Move the edges of [*lo, *last] to leaf edges by the format's rule (see
 * pgtable.h).  False when the rule unmaps nothing.
 */
static bool unmap_edges(const struct io_pgtable *pt, uint64_t *lo, uint64_t *last)
{
	enum io_pgtable_unmap_rule rule = pt->fmt->unmap_rule;
	struct io_pgtable_walk wk;
	uint64_t mask;

	/* a leaf holding *lo that starts before it */
	if (!io_pgtable_lookup(pt, *lo, &wk) && (*lo & (wk.leaf_size - 1))) {
		if (rule != IO_PGTABLE_UNMAP_WHOLE_LEAF)
			return false;
		*lo &= ~(wk.leaf_size - 1);
	}
	/* a leaf holding *last that ends after it */
	if (*last == ia_last(pt) || io_pgtable_lookup(pt, *last, &wk) ||
	    !((*last + 1) & (wk.leaf_size - 1)))
		return true;
	mask = wk.leaf_size - 1;
	if (rule != IO_PGTABLE_UNMAP_STOP_AT_CUT) {
		*last |= mask;
		return true;
	}
	/* ARM: the leaves before the cut go, the cut leaf stays */
	if ((*last & ~mask) <= *lo)
		return false;
	*last = (*last & ~mask) - 1;
	return true;
}

int64_t io_pgtable_unmap(struct io_pgtable *pt, uint64_t iova, uint64_t size)
{
	uint64_t gmask = (1ull << g_shift(pt)) - 1, last = iova + size - 1, n;

	if (pt->w)
		sim_mem_table_touched(pt->w);   /* descriptors change through frame pointers */

	if (!pt->root || !pt->owned || ((iova | size) & gmask) || (size && last < iova))
		return -EINVAL;
	if (!size || iova > ia_last(pt))
		return 0;
	if (last > ia_last(pt))
		last = ia_last(pt);
	if (!unmap_edges(pt, &iova, &last))
		return 0;
	n = unmap_range(pt, pt->root, pt->levels, iova, last);
	/* a garbage leaf in an owned table unmaps like a real one: never
	 * let it take the count below zero */
	pt->mapped_bytes -= n < pt->mapped_bytes ? n : pt->mapped_bytes;
	return (int64_t)n;
}

/* ---- the walk ------------------------------------------------------------ */

unsigned io_pgtable_level_shift(const struct io_pgtable *pt, unsigned level)
{
	return lvl_shift(pt, level);
}

/*
 * A descriptor of host memory, or of a guest table through its pages.  The
 * engine's own lookup (the kernel's iova_to_phys) reads only tables it owns:
 * a descriptor pointing anywhere else was reported by whoever met it and
 * reads here as not present.  A view (no owned set: what hw.c builds from
 * fmt, levels and root) reads wherever the descriptors say, as hardware.
 */
static int read_direct(void *ctx, const struct io_pgtable_ref *ref, uint64_t *pte)
{
	const struct io_pgtable *pt = ctx;
	uint64_t a = ref->addr;

	if (pt->owned && !owned_is(pt, ref->table, ref->level)) {
		*pte = 0;
		return 0;
	}
	if (pt->mem)
		a = pt->mem->to_hpa(pt->mem->ctx, a & SIM_PAGE_MASK) + (a & ~SIM_PAGE_MASK);
	*pte = sim_mem_read64(pt->w, a);
	return 0;
}

int io_pgtable_walk(const struct io_pgtable *pt, uint64_t iova,
		    const struct io_pgtable_walker *wk, struct io_pgtable_walk *out)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	unsigned level = wk->start_level ? wk->start_level : pt->levels;
	uint64_t table = wk->start_level ? wk->start_table : pt->root;
	/* the geometry once per walk, in locals: the read callback may write
	 * memory, so fields of *pt would be loaded again at every level */
	const unsigned top = pt->levels, gs = g_shift(pt), bits = lvl_bits(pt);
	const unsigned tbits = top_bits(pt);

	memset(out, 0, sizeof(*out));
	if (!table || (!wk->in_range && iova > ia_last(pt)) || level > top)
		return -ENOENT;
	for (; level >= 1; level--) {
		const unsigned shift = gs + (level - 1) * bits;
		struct io_pgtable_ref ref = {
			.level = level, .table = table,
			.index = (unsigned)(iova >> shift) &
				 ((1u << (level == top ? tbits : bits)) - 1),
		};
		uint64_t pte;
		int ret;

		ref.addr = table + (uint64_t)ref.index * sizeof(uint64_t);
		out->level = level;
		out->index = ref.index;
		out->tables[level] = table;
		ret = wk->read(wk->ctx, &ref, &pte);
		if (ret)
			return ret;
		out->refs++;
		out->pte = pte;
		if (!io_pgtable_pte_present(f, pte))
			return -ENOENT;
		if (io_pgtable_pte_is_leaf(f, pte, level)) {
			/* a leaf the hardware would not take: a fault */
			if (level == 1 ? !io_pgtable_pte_last_ok(f, pte) : !leaf_ok(pt, level))
				return -ENOENT;
			out->leaf_size = 1ull << shift;
			out->out = io_pgtable_pte_addr(f, pte) + (iova & (out->leaf_size - 1));
			out->prot = io_pgtable_pte_prot(f, pte);
			return 0;
		}
		table = io_pgtable_pte_addr(f, pte);
	}
	return -ENOENT;
}

int io_pgtable_lookup(const struct io_pgtable *pt, uint64_t iova,
		      struct io_pgtable_walk *out)
{
	struct io_pgtable_walker wk = { .read = read_direct, .ctx = (void *)pt };
	int ret = io_pgtable_walk(pt, iova, &wk, out);

	/* the kernel's view of an ARM DBM leaf: mapped writable, whatever
	 * AP[2] says of its dirty state now */
	if (!ret && pt->fmt->desc.dbm && (out->pte & pt->fmt->desc.dbm))
		out->prot |= IOMMU_WRITE;
	return ret;
}

/* ---- dirty state --------------------------------------------------------- */

struct dirty_walk {
	struct io_pgtable *pt;
	bool no_clear;
	void (*record)(void *ctx, uint64_t iova, uint64_t len);
	void *ctx;
	int leaves;
};

/* The leaves in [lo, last] below the table @thpa of @level, in address
 * order: each dirty one reported whole, and cleaned unless no_clear. */
static void dirty_range(struct dirty_walk *dw, uint64_t thpa, unsigned level, uint64_t lo,
			uint64_t last)
{
	struct io_pgtable *pt = dw->pt;
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t sz = lvl_size(pt, level);
	struct tcur c;

	tcur_init(&c, thpa);
	for (uint64_t a = lo;;) {
		uint64_t end = entry_end(pt, level, a, last), child;
		unsigned i = lvl_index(pt, level, a);
		uint64_t *e = ent(pt, &c, i);

		switch (e ? classify(pt, level, *e, &child) : ENT_NONE) {
		case ENT_LEAF:
			if (io_pgtable_pte_dirty(f, *e)) {
				dw->leaves++;
				if (dw->record)
					dw->record(dw->ctx, a & ~(sz - 1), sz);
				if (!dw->no_clear)
					*e = io_pgtable_pte_mkclean(f, *e);
			}
			break;
		case ENT_TABLE:
			dirty_range(dw, child, level - 1, a, end);
			break;
		case ENT_CORRUPT:
			report_corrupt(pt, thpa, level, i, *e, "dirty");
			break;
		case ENT_NONE:
			break;
		}
		if (end == last)
			return;
		a = end + 1;
	}
}

int io_pgtable_read_and_clear_dirty(struct io_pgtable *pt, uint64_t iova, uint64_t size,
				    bool no_clear,
				    void (*record)(void *ctx, uint64_t iova, uint64_t len),
				    void *ctx)
{
	struct dirty_walk dw = { .pt = pt, .no_clear = no_clear, .record = record, .ctx = ctx };
	uint64_t last = iova + size - 1;

	if (!pt || !pt->root || !pt->owned || !pt->fmt->desc.dirty_mask || !size || last < iova)
		return -EINVAL;
	if (iova > ia_last(pt))
		return 0;
	if (last > ia_last(pt))
		last = ia_last(pt);
	if (!no_clear && pt->w)
		sim_mem_table_touched(pt->w);   /* descriptors change through frame pointers */
	dirty_range(&dw, pt->root, pt->levels, iova, last);
	return dw.leaves;
}
