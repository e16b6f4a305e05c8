/* SPDX-License-Identifier: MIT */
/*
 * The I/O page-table engine: radix tables in frames of simulated memory,
 * driven by a struct io_pgtable_fmt (descriptor encoding, leaf sizes), and
 * the VT-d second-stage format.
 *
 * Levels count up from the leaves: level 1 holds 4 KiB leaves, the root is
 * level pt->levels.  Invariants kept between calls:
 *  - no table other than the root is empty (unmap frees emptied tables,
 *    a failed map frees what it built);
 *  - table_pages counts the root and every table reachable from it;
 *  - mapped_bytes is the sum of the leaves' sizes.
 * map/unmap work on table frames through their storage pointer (one frame
 * lookup per table visited); lookup reads descriptor by descriptor through
 * sim_mem_read64, as a hardware walker would, and counts each read.
 */
#include <errno.h>
#include <string.h>

#include "sim/mem.h"
#include "model/iommu/pgtable.h"

/* ---- the VT-d second-stage format --------------------------------------- */

#define VTD_SS_R         0x1ull
#define VTD_SS_W         0x2ull
#define VTD_SS_PS        (1ull << 7)
#define VTD_SS_ADDR_MASK 0x000ffffffffff000ull    /* bits 12..51 */

static uint64_t vtd_ss_mk_table(uint64_t next_hpa)
{
	/* non-leaf entries grant everything; the leaf decides */
	return (next_hpa & VTD_SS_ADDR_MASK) | VTD_SS_R | VTD_SS_W;
}

static uint64_t vtd_ss_mk_leaf(uint64_t hpa, unsigned level, unsigned prot)
{
	uint64_t pte = hpa & VTD_SS_ADDR_MASK;

	if (prot & IOMMU_READ)
		pte |= VTD_SS_R;
	if (prot & IOMMU_WRITE)
		pte |= VTD_SS_W;
	if (level > 1)
		pte |= VTD_SS_PS;
	return pte;
}

static bool vtd_ss_present(uint64_t pte)
{
	return (pte & (VTD_SS_R | VTD_SS_W)) != 0;
}

static bool vtd_ss_is_leaf(uint64_t pte, unsigned level)
{
	return level == 1 || (pte & VTD_SS_PS);
}

static uint64_t vtd_ss_out_addr(uint64_t pte)
{
	return pte & VTD_SS_ADDR_MASK;
}

static unsigned vtd_ss_prot(uint64_t pte)
{
	return ((pte & VTD_SS_R) ? IOMMU_READ : 0) | ((pte & VTD_SS_W) ? IOMMU_WRITE : 0);
}

const struct io_pgtable_fmt io_pgtable_vtd_ss = {
	.name = "vtd-ss",
	.granule_shift = 12,
	.bits_per_level = 9,
	.min_levels = 3,
	.max_levels = 5,
	.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
	.mk_table = vtd_ss_mk_table,
	.mk_leaf = vtd_ss_mk_leaf,
	.present = vtd_ss_present,
	.is_leaf = vtd_ss_is_leaf,
	.out_addr = vtd_ss_out_addr,
	.prot = vtd_ss_prot,
};

static const struct io_pgtable_fmt *const formats[] = { &io_pgtable_vtd_ss };

const struct io_pgtable_fmt *io_pgtable_fmt_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

/* ---- geometry ------------------------------------------------------------ */

static inline unsigned lvl_shift(const struct io_pgtable *pt, unsigned level)
{
	return pt->fmt->granule_shift + (level - 1) * pt->fmt->bits_per_level;
}

static inline uint64_t lvl_size(const struct io_pgtable *pt, unsigned level)
{
	return 1ull << lvl_shift(pt, level);
}

static inline unsigned lvl_index(const struct io_pgtable *pt, unsigned level, uint64_t iova)
{
	return (unsigned)(iova >> lvl_shift(pt, level)) & ((1u << pt->fmt->bits_per_level) - 1);
}

static inline bool leaf_ok(const struct io_pgtable *pt, unsigned level)
{
	return lvl_shift(pt, level) < 64 && (pt->fmt->pgsize_bitmap & lvl_size(pt, level));
}

static inline unsigned nents(const struct io_pgtable *pt)
{
	return 1u << pt->fmt->bits_per_level;
}

unsigned io_pgtable_ias(const struct io_pgtable *pt)
{
	return pt->fmt->granule_shift + pt->levels * pt->fmt->bits_per_level;
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

static inline uint64_t *tbl(const struct io_pgtable *pt, uint64_t hpa)
{
	return sim_mem_frame_ptr(pt->w, hpa);
}

/* ---- table frames ------------------------------------------------------- */

static int table_alloc(struct io_pgtable *pt, uint64_t *hpa)
{
	int ret = sim_mem_frame_alloc(pt->w, SIM_FRAME_PGTABLE, hpa);

	if (!ret)
		pt->table_pages++;
	return ret;
}

static void table_free(struct io_pgtable *pt, uint64_t hpa)
{
	sim_mem_frame_put(pt->w, hpa);
	pt->table_pages--;
}

static bool table_empty(const struct io_pgtable *pt, uint64_t hpa)
{
	const uint64_t *t = tbl(pt, hpa);

	for (unsigned i = 0; i < nents(pt); i++)
		if (pt->fmt->present(t[i]))
			return false;
	return true;
}

/* Free the table at @hpa (of @level) and every table below it. */
static void free_subtree(struct io_pgtable *pt, uint64_t hpa, unsigned level)
{
	const uint64_t *t = tbl(pt, hpa);

	for (unsigned i = 0; level > 1 && i < nents(pt); i++)
		if (pt->fmt->present(t[i]) && !pt->fmt->is_leaf(t[i], level))
			free_subtree(pt, pt->fmt->out_addr(t[i]), level - 1);
	table_free(pt, hpa);
}

int io_pgtable_init(struct io_pgtable *pt, struct sim_world *w,
		    const struct io_pgtable_fmt *fmt, unsigned levels)
{
	int ret;

	memset(pt, 0, sizeof(*pt));
	if (!fmt || levels < fmt->min_levels || levels > fmt->max_levels)
		return -EINVAL;
	pt->w = w;
	pt->fmt = fmt;
	pt->levels = levels;
	ret = table_alloc(pt, &pt->root);
	if (ret)
		memset(pt, 0, sizeof(*pt));
	return ret;
}

void io_pgtable_destroy(struct io_pgtable *pt)
{
	if (!pt->root)
		return;
	free_subtree(pt, pt->root, pt->levels);
	pt->root = 0;
	pt->mapped_bytes = 0;
}

/* ---- checking and building ---------------------------------------------- */

/* Is any page of [lo, last] mapped below the table @hpa of @level? */
static bool range_busy(const struct io_pgtable *pt, uint64_t hpa, unsigned level,
		       uint64_t lo, uint64_t last)
{
	const uint64_t *t = tbl(pt, hpa);

	for (uint64_t a = lo;;) {
		uint64_t end = entry_end(pt, level, a, last);
		uint64_t pte = t[lvl_index(pt, level, a)];

		if (pt->fmt->present(pte)) {
			if (pt->fmt->is_leaf(pte, level))
				return true;
			if (range_busy(pt, pt->fmt->out_addr(pte), level - 1, a, end))
				return true;
		}
		if (end == last)
			return false;
		a = end + 1;
	}
}

/*
 * Map [lo, last] -> hpa below the table @thpa of @level, each piece with the
 * largest leaf its alignment allows.  The range is known to be free.
 */
static int map_range(struct io_pgtable *pt, uint64_t thpa, unsigned level,
		     uint64_t lo, uint64_t last, uint64_t hpa, unsigned prot)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t *t = tbl(pt, thpa), sz = lvl_size(pt, level);

	for (uint64_t a = lo;;) {
		uint64_t end = entry_end(pt, level, a, last), out = hpa + (a - lo);
		unsigned i = lvl_index(pt, level, a);
		uint64_t child;
		int ret;

		if (!f->present(t[i]) && leaf_ok(pt, level) && !(a & (sz - 1)) &&
		    end - a == sz - 1 && !(out & (sz - 1))) {
			t[i] = f->mk_leaf(out, level, prot);
		} else if (f->present(t[i]) && f->is_leaf(t[i], level)) {
			return -EEXIST;    /* cannot happen: range_busy ran */
		} else {
			if (!f->present(t[i])) {
				ret = table_alloc(pt, &child);
				if (ret)
					return ret;
				t[i] = f->mk_table(child);
			}
			ret = map_range(pt, f->out_addr(t[i]), level - 1, a, end, out, prot);
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
 * (unmap splits the edges first; a failed map's range held nothing else).
 * Returns the bytes removed.
 */
static uint64_t unmap_range(struct io_pgtable *pt, uint64_t thpa, unsigned level,
			    uint64_t lo, uint64_t last)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t *t = tbl(pt, thpa), sz = lvl_size(pt, level), n = 0;

	for (uint64_t a = lo;;) {
		uint64_t end = entry_end(pt, level, a, last);
		unsigned i = lvl_index(pt, level, a);
		bool whole = !(a & (sz - 1)) && end - a == sz - 1;

		if (f->present(t[i]) && f->is_leaf(t[i], level)) {
			if (whole) {
				t[i] = 0;
				n += sz;
			}
		} else if (f->present(t[i])) {
			uint64_t child = f->out_addr(t[i]);

			n += unmap_range(pt, child, level - 1, a, end);
			if (whole || table_empty(pt, child)) {
				t[i] = 0;
				table_free(pt, child);
			}
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
	uint64_t gmask = (1ull << f->granule_shift) - 1, last_out;

	if (!pt->root || !size || ((iova | hpa | size) & gmask))
		return 0;
	if (!prot || (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return 0;
	if (iova + size - 1 < iova || iova + size - 1 > ia_last(pt))
		return 0;
	/* the output must fit the descriptor's address field */
	last_out = hpa + size - (gmask + 1);
	if (last_out < hpa || f->out_addr(f->mk_leaf(last_out, 1, prot)) != last_out)
		return 0;
	return 1;
}

int io_pgtable_map(struct io_pgtable *pt, uint64_t iova, uint64_t hpa,
		   uint64_t size, unsigned prot)
{
	uint64_t last = iova + size - 1;
	int ret;

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

/* Naive baseline: every 4 KiB page walked from the root and mapped alone. */
static int map_one_page(struct io_pgtable *pt, uint64_t iova, uint64_t hpa, unsigned prot)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t thpa = pt->root;

	for (unsigned level = pt->levels; level > 1; level--) {
		uint64_t *t = tbl(pt, thpa);
		unsigned i = lvl_index(pt, level, iova);

		if (!f->present(t[i])) {
			uint64_t child;
			int ret = table_alloc(pt, &child);

			if (ret)
				return ret;
			t[i] = f->mk_table(child);
		} else if (f->is_leaf(t[i], level)) {
			return -EEXIST;
		}
		thpa = f->out_addr(t[i]);
	}
	tbl(pt, thpa)[lvl_index(pt, 1, iova)] = f->mk_leaf(hpa, 1, prot);
	return 0;
}

int io_pgtable_map_naive(struct io_pgtable *pt, uint64_t iova, uint64_t hpa,
			 uint64_t size, unsigned prot)
{
	uint64_t pg = 1ull << pt->fmt->granule_shift;
	struct io_pgtable_walk wk;
	int ret = 0;

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

/* ---- unmap: splitting the edges ----------------------------------------- */

/* What a split changed, to undo it. */
struct split_undo {
	uint64_t slot;           /* HPA of the descriptor replaced; 0 = none */
	uint64_t old;            /* the leaf it held */
	uint64_t top;            /* the new table put there */
	unsigned top_level;
};

/*
 * Fill a new table of @level with leaves covering what the leaf @pte of
 * @level + 1 mapped.
 */
static int split_table(struct io_pgtable *pt, uint64_t pte, unsigned level, uint64_t *out)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t base = f->out_addr(pte), sz = lvl_size(pt, level), *t;
	unsigned prot = f->prot(pte);
	int ret;

	if (!leaf_ok(pt, level))
		return -EINVAL;
	ret = table_alloc(pt, out);
	if (ret)
		return ret;
	t = tbl(pt, *out);
	for (unsigned i = 0; i < nents(pt); i++)
		t[i] = f->mk_leaf(base + i * sz, level, prot);
	return 0;
}

/*
 * Make @e a leaf boundary: if a leaf straddles it, replace that leaf by a
 * chain of tables of smaller leaves mapping the same pages with the same
 * permissions.  The chain is built aside and linked last, so a failure
 * changes nothing.
 */
static int split_at(struct io_pgtable *pt, uint64_t e, struct split_undo *u)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t thpa = pt->root, pte, top = 0, *slot = NULL;
	unsigned level = pt->levels, i;
	int ret;

	memset(u, 0, sizeof(*u));
	for (;; level--) {
		i = lvl_index(pt, level, e);
		pte = tbl(pt, thpa)[i];
		if (!f->present(pte) || (f->is_leaf(pte, level) && !(e & (lvl_size(pt, level) - 1))))
			return 0;
		if (f->is_leaf(pte, level))
			break;
		thpa = f->out_addr(pte);
	}
	u->slot = thpa + i * sizeof(uint64_t);
	u->old = pte;
	u->top_level = level - 1;
	/* each round splits the leaf holding @e one level down, until @e
	 * falls on a leaf boundary (at the latest at level 1) */
	for (unsigned l = level - 1;; l--) {
		uint64_t nt;

		ret = split_table(pt, pte, l, &nt);
		if (ret) {
			if (top)
				free_subtree(pt, top, level - 1);
			u->slot = 0;
			return ret;
		}
		if (slot)
			*slot = f->mk_table(nt);
		else
			top = nt;
		if (!(e & (lvl_size(pt, l) - 1)))
			break;
		slot = &tbl(pt, nt)[lvl_index(pt, l, e)];
		pte = *slot;
	}
	u->top = top;
	tbl(pt, thpa)[i] = f->mk_table(top);
	return 0;
}

static void split_undo(struct io_pgtable *pt, const struct split_undo *u)
{
	uint64_t *t;

	if (!u->slot)
		return;
	t = tbl(pt, u->slot & ~(SIM_PAGE_SIZE - 1));
	t[(u->slot & (SIM_PAGE_SIZE - 1)) / sizeof(uint64_t)] = u->old;
	free_subtree(pt, u->top, u->top_level);
}

int64_t io_pgtable_unmap(struct io_pgtable *pt, uint64_t iova, uint64_t size)
{
	uint64_t gmask = (1ull << pt->fmt->granule_shift) - 1, last = iova + size - 1, n;
	struct split_undo lo, hi;
	int ret;

	if (!pt->root || ((iova | size) & gmask) || (size && last < iova))
		return -EINVAL;
	if (!size || iova > ia_last(pt))
		return 0;
	if (last > ia_last(pt))
		last = ia_last(pt);
	ret = split_at(pt, iova, &lo);
	if (ret)
		return ret;
	if (last != ia_last(pt)) {
		ret = split_at(pt, last + 1, &hi);
		if (ret) {
			split_undo(pt, &lo);
			return ret;
		}
	}
	n = unmap_range(pt, pt->root, pt->levels, iova, last);
	pt->mapped_bytes -= n;
	return (int64_t)n;
}

/* ---- the walk ------------------------------------------------------------ */

int io_pgtable_lookup(const struct io_pgtable *pt, uint64_t iova,
		      struct io_pgtable_walk *out)
{
	const struct io_pgtable_fmt *f = pt->fmt;
	uint64_t thpa = pt->root;

	memset(out, 0, sizeof(*out));
	if (!thpa || iova > ia_last(pt))
		return -ENOENT;
	for (unsigned level = pt->levels; level >= 1; level--) {
		uint64_t pte = sim_mem_read64(pt->w, thpa + lvl_index(pt, level, iova) * sizeof(uint64_t));

		out->refs++;
		if (!f->present(pte))
			return -ENOENT;
		if (f->is_leaf(pte, level)) {
			out->leaf_size = lvl_size(pt, level);
			out->out = f->out_addr(pte) + (iova & (out->leaf_size - 1));
			out->prot = f->prot(pte);
			return 0;
		}
		thpa = f->out_addr(pte);
	}
	return -ENOENT;
}
