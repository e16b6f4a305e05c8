/* SPDX-License-Identifier: MIT */
/*
 * I/O page tables: real radix tables living in frames of simulated host
 * memory, behind a table-driven format description, so a walk reads the
 * same bytes the kernel side wrote and counts every memory reference.
 *
 * A format (struct io_pgtable_fmt) is data: the translation granules it
 * supports, and for each the level counts and leaf sizes; how wide the root
 * may be (RISC-V x4 G-stage roots, ARM stage-2 concatenated start tables);
 * the descriptor encoding as bit masks (struct io_pgtable_desc); the stage;
 * and the rule for unmapping part of a large leaf.  One engine (pgtable.c)
 * serves every format; the instances live in pgtable_formats.c and
 * docs/pgtable-formats.md teaches them, one table per format:
 *
 *   vtd-ss        VT-d second stage, 4K granule, 3/4/5 levels, 4K/2M/1G
 *   vtd-fs        VT-d first stage (x86-64 PTEs), 4/5 levels, 4K/2M/1G
 *   arm-s1        ARM LPAE stage 1, 4K (4K/2M/1G), 16K (16K/32M),
 *                 64K (64K/512M) granules, 25..48-bit input
 *   arm-s2        ARM LPAE stage 2, same granules, concatenated start tables
 *   riscv-sv39/sv48/sv57        RISC-V stage 1, every level may be a leaf
 *   riscv-sv39x4/sv48x4/sv57x4  RISC-V G-stage: a 16 KiB root, 2 more bits
 *
 * Levels count up from the leaves: level 1 holds the granule-sized leaves,
 * the root is level pt->levels.  Every level resolves granule_shift - 3 bits
 * except the root, which resolves top_bits (fewer for an ARM input size that
 * is not a whole number of levels, more for a concatenated or x4 root).  A
 * table of more than 4 KiB is a run of consecutive frames
 * (sim_mem_frames_alloc_contig), aligned to its size.
 *
 * Partial unmap of a large leaf (io_pgtable_unmap), per format:
 *  - vtd-*  IO_PGTABLE_UNMAP_WHOLE_LEAF: a leaf the range touches is removed
 *           whole and its whole size reported (intel_iommu_unmap rounds the
 *           size up to the large page found at iova: "cope with horrid API
 *           which requires us to unmap more than the size argument").
 *  - arm-*  IO_PGTABLE_UNMAP_STOP_AT_CUT: a block is never split; unmap
 *           removes the leaves before the first one the range cuts and stops
 *           there (io-pgtable-arm since Linux 6.14 warns "Unmap of a partial
 *           large IOPTE is not allowed" and returns 0 for that chunk, and
 *           __iommu_unmap stops at a chunk that unmapped nothing; before 6.14
 *           arm_lpae_split_blk_unmap split the block).
 *  - riscv-* IO_PGTABLE_UNMAP_ALIGNED_START: riscv_iommu_unmap_pages stops
 *           at a leaf that starts before the address it is at ("partial
 *           unmap is not allowed, fail"), so a range starting inside a leaf
 *           unmaps nothing; a leaf starting inside the range is removed whole
 *           and its whole size counted, even past the range's end.
 * Unmap never splits, so it never allocates and never fails with -ENOMEM.
 * Holes inside the range are skipped by every format (the drivers differ
 * there; type1 never unmaps a hole nor part of a leaf it mapped).
 */
#ifndef MODEL_IOMMU_PGTABLE_H
#define MODEL_IOMMU_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_world;

#define IOMMU_READ  0x1u
#define IOMMU_WRITE 0x2u

#define SZ_4K   0x1000ull
#define SZ_16K  0x4000ull
#define SZ_64K  0x10000ull
#define SZ_2M   0x200000ull
#define SZ_32M  0x2000000ull
#define SZ_512M 0x20000000ull
#define SZ_1G   0x40000000ull
#define SZ_512G 0x8000000000ull
#define SZ_256T 0x1000000000000ull

enum io_pgtable_stage {
	IO_PGTABLE_STAGE1 = 1,        /* VA -> PA (or GVA -> GPA) */
	IO_PGTABLE_STAGE2 = 2,        /* IPA/GPA -> PA */
};

/* What the type bits of a present descriptor at level 1 must say. */
enum io_pgtable_last {
	IO_PGTABLE_LAST_ANY,          /* ignored (x86: PAT, VT-d: ignored bit 7) */
	IO_PGTABLE_LAST_TABLE_TYPE,   /* ARM: 0b11 is a page, 0b01 is invalid */
	IO_PGTABLE_LAST_LEAF_TYPE,    /* RISC-V: R=W=X=0 at the last level faults */
};

enum io_pgtable_unmap_rule {
	IO_PGTABLE_UNMAP_WHOLE_LEAF,
	IO_PGTABLE_UNMAP_STOP_AT_CUT,
	IO_PGTABLE_UNMAP_ALIGNED_START,
};

/*
 * A descriptor encoding, as masks.  Present iff any @valid bit is set.
 * Above level 1, a present descriptor is a table iff (pte & type_mask) ==
 * table_type, else a leaf; at level 1 @last says which type is a leaf.
 * The output address sits in @oa_mask, its bit 12 at descriptor bit
 * @oa_lsb (12, or 10 for RISC-V's PPN).  Permissions: prot_bits[p] is ORed
 * into a leaf mapped with prot p (1 R, 2 W, 3 RW); a leaf grants read iff
 * (pte & r_mask) == r_val, write iff (pte & w_mask) == w_val.  A format that
 * cannot say write-only (x86 PTEs, ARM AP, RISC-V, where W without R is
 * reserved) encodes W as RW, as the Linux drivers do.  Table descriptors
 * grant everything; the walk takes the leaf's permissions (the hierarchical
 * table bits of x86 and ARM APTable are not modelled).
 */
struct io_pgtable_desc {
	uint64_t valid;
	uint64_t type_mask, table_type;
	enum io_pgtable_last last;
	uint64_t table_bits;          /* in every table descriptor */
	uint64_t page_bits;           /* in every leaf at level 1 */
	uint64_t block_bits;          /* in every leaf above level 1 */
	uint64_t prot_bits[4];
	uint64_t r_mask, r_val, w_mask, w_val;
	uint64_t oa_mask;
	unsigned oa_lsb;
	/*
	 * Hardware dirty state (docs/dirty-tracking.md), 0 masks for a format
	 * that records none: a leaf is dirty when (pte & dirty_mask) ==
	 * dirty_val, and the kernel's read-and-clear makes it clean_val
	 * (VT-d's second-stage D bit 9 and RISC-V's D bit 7 are set by the
	 * walker and cleared by software; ARM stage 1 is dirty when DBM is
	 * set and AP[2] clear, cleaned by setting AP[2]).  @dbm: ARM's DBM
	 * bit, ORed into every writable leaf of a table with
	 * IO_PGTABLE_QUIRK_ARM_HD; a walker with hardware dirty management
	 * takes a DBM leaf as writable even while AP[2] says read-only
	 * ("writable-clean") and clears AP[2] on the first write.
	 * @write_needs_dirty: a write through a clean leaf faults unless the
	 * walker may set the dirty state (RISC-V: a store to a PTE with D
	 * clear, without DC.tc.GADE / SADE).
	 */
	uint64_t dirty_mask, dirty_val, clean_val, dbm;
	bool write_needs_dirty;
};

/* One translation granule of a format. */
struct io_pgtable_geom {
	unsigned granule_shift;       /* 12, 14, 16 */
	unsigned min_levels, max_levels;
	uint64_t pgsize_bitmap;       /* leaf sizes with this granule */
};

#define IO_PGTABLE_MAX_GEOMS 3

struct io_pgtable_fmt {
	const char *name;
	enum io_pgtable_stage stage;
	/* the default granule (geoms[0]); domain.c and hw.c read these */
	unsigned granule_shift;
	unsigned bits_per_level;
	unsigned min_levels, max_levels;
	uint64_t pgsize_bitmap;
	struct io_pgtable_geom geoms[IO_PGTABLE_MAX_GEOMS];
	unsigned ngeoms;
	/* input sizes: 0 means whole levels only (x86, RISC-V); ARM takes
	 * any size in [min_ias, max_ias] and narrows the root */
	unsigned min_ias, max_ias;
	unsigned root_extra_bits;     /* RISC-V x4: 2 (a 16 KiB root) */
	/* ARM stage 2: when a start at level 0 (four levels) would resolve
	 * at most this many bits, start one level lower with 2^bits
	 * concatenated tables (the kernel's ARM_LPAE_S2_MAX_CONCAT_PAGES, 16) */
	unsigned concat_max_bits;
	struct io_pgtable_desc desc;
	enum io_pgtable_unmap_rule unmap_rule;
};

extern const struct io_pgtable_fmt io_pgtable_vtd_ss, io_pgtable_vtd_fs;
extern const struct io_pgtable_fmt io_pgtable_arm_s1, io_pgtable_arm_s2;
extern const struct io_pgtable_fmt io_pgtable_riscv_sv39, io_pgtable_riscv_sv48,
	io_pgtable_riscv_sv57, io_pgtable_riscv_sv39x4, io_pgtable_riscv_sv48x4,
	io_pgtable_riscv_sv57x4;
/* By name ("vtd-ss", "arm-s2", "riscv-sv48x4" ...), or NULL. */
const struct io_pgtable_fmt *io_pgtable_fmt_find(const char *name);
/* Every format, for tests and listings: the @i-th, or NULL past the end. */
const struct io_pgtable_fmt *io_pgtable_fmt_nth(unsigned i);
/* The granule of @fmt with @granule_shift, or NULL. */
const struct io_pgtable_geom *io_pgtable_fmt_geom(const struct io_pgtable_fmt *fmt,
						  unsigned granule_shift);

/* Descriptors of a format (@level 1 is the last level). */
uint64_t io_pgtable_pte_table(const struct io_pgtable_fmt *f, uint64_t next_hpa);
uint64_t io_pgtable_pte_leaf(const struct io_pgtable_fmt *f, uint64_t hpa, unsigned level,
			     unsigned prot);
static inline bool io_pgtable_pte_present(const struct io_pgtable_fmt *f, uint64_t pte)
{
	return (pte & f->desc.valid) != 0;
}
static inline bool io_pgtable_pte_is_leaf(const struct io_pgtable_fmt *f, uint64_t pte,
					  unsigned level)
{
	return level == 1 || (pte & f->desc.type_mask) != f->desc.table_type;
}
/* A present descriptor at level 1 that the hardware would take as a leaf.
 * (These three are every walk's, per level: inline.) */
static inline bool io_pgtable_pte_last_ok(const struct io_pgtable_fmt *f, uint64_t pte)
{
	bool table_typed = (pte & f->desc.type_mask) == f->desc.table_type;

	switch (f->desc.last) {
	case IO_PGTABLE_LAST_TABLE_TYPE:
		return table_typed;
	case IO_PGTABLE_LAST_LEAF_TYPE:
		return !table_typed;
	default:
		return true;
	}
}
/* The leaf's dirty state (io_pgtable_desc): dirty, and the same leaf made
 * clean or dirty.  A leaf of a format without dirty state is never dirty. */
static inline bool io_pgtable_pte_dirty(const struct io_pgtable_fmt *f, uint64_t pte)
{
	return f->desc.dirty_mask && (pte & f->desc.dirty_mask) == f->desc.dirty_val;
}
static inline uint64_t io_pgtable_pte_mkclean(const struct io_pgtable_fmt *f, uint64_t pte)
{
	return (pte & ~f->desc.dirty_mask) | f->desc.clean_val;
}
static inline uint64_t io_pgtable_pte_mkdirty(const struct io_pgtable_fmt *f, uint64_t pte)
{
	return (pte & ~f->desc.dirty_mask) | f->desc.dirty_val;
}
/* May the hardware record a write in this leaf: it grants write, or (ARM)
 * it carries DBM. */
static inline bool io_pgtable_pte_trackable(const struct io_pgtable_fmt *f, uint64_t pte)
{
	const struct io_pgtable_desc *d = &f->desc;

	if (!d->dirty_mask)
		return false;
	return d->dbm ? (pte & d->dbm) != 0 : (pte & d->w_mask) == d->w_val;
}
static inline uint64_t io_pgtable_pte_addr(const struct io_pgtable_fmt *f, uint64_t pte)
{
	return ((pte & f->desc.oa_mask) >> f->desc.oa_lsb) << 12;
}
static inline unsigned io_pgtable_pte_prot(const struct io_pgtable_fmt *f, uint64_t pte)
{
	const struct io_pgtable_desc *d = &f->desc;

	return ((pte & d->r_mask) == d->r_val ? IOMMU_READ : 0) |
	       ((pte & d->w_mask) == d->w_val ? IOMMU_WRITE : 0);
}
/* What a leaf mapped with @prot grants: @prot, or RW for a write-only
 * request on a format that cannot say write-only. */
unsigned io_pgtable_fmt_prot(const struct io_pgtable_fmt *f, unsigned prot);

/*
 * Where a table's frames live.  NULL (the default): frames of host memory
 * from the world's allocator, and table addresses are HPAs.  A guest's
 * stage-1 table (nested translation) lives in guest memory: its addresses
 * are GPAs, its frames come from a guest pool (@alloc: zeroed, aligned to
 * their size) and reach host memory through @to_hpa, one 4 KiB page at a
 * time, so the pool need not be host-contiguous.
 */
struct io_pgtable_mem {
	int (*alloc)(void *ctx, unsigned frames, uint64_t *addr);   /* 0, -ENOMEM */
	void (*free)(void *ctx, uint64_t addr, unsigned frames);
	uint64_t (*to_hpa)(void *ctx, uint64_t addr);     /* of an allocated page */
	void *ctx;
};

struct io_pgtable {
	struct sim_world *w;
	const struct io_pgtable_mem *mem;   /* NULL: host frames */
	const struct io_pgtable_fmt *fmt;
	unsigned levels;
	uint64_t root;               /* HPA of the top table */
	/* 0 = the format's default: granule_shift, and a root of
	 * bits_per_level + root_extra_bits index bits (a table built with
	 * .fmt, .levels and .root alone, as hw.c does, walks correctly) */
	unsigned granule_shift;
	unsigned top_bits;
	uint64_t table_pages;        /* frames this table uses, root included */
	uint64_t mapped_bytes;
	/* every table this engine allocated (GHashTable: address -> level),
	 * the only tables map, unmap, lookup and destroy follow a descriptor
	 * to; NULL for a view built from fmt, levels and root */
	void *owned;
	uint64_t corrupt;            /* corrupt descriptors met (see pgtable.c) */
	unsigned quirks;             /* IO_PGTABLE_QUIRK_* */
};
/* io-pgtable-arm's IO_PGTABLE_QUIRK_ARM_HD: the table is walked with
 * hardware dirty management (a dirty-tracking SMMUv3 stage-1 domain), so
 * arm_lpae_prot_to_pte writes DBM into every writable leaf; set it before
 * the first map. */
#define IO_PGTABLE_QUIRK_ARM_HD  (1u << 0)

/* A present descriptor the engine cannot use: a table address it does not
 * own at that level, or a leaf the hardware would not take.  @op is what
 * met it (map, busy, unmap, free); it is then treated as not present. */
#define TP_io_pgtable_corrupt "fmt=%s table=0x%llx level=%u index=%u pte=0x%llx op=%s"

/* How to build a table: a granule (0: the default) and either an input
 * size in bits (ias) or, when ias is 0, a level count. */
struct io_pgtable_cfg {
	unsigned granule_shift;
	unsigned ias;
	unsigned levels;
};

/* Input address bits of a table. */
unsigned io_pgtable_ias(const struct io_pgtable *pt);
/* The leaf sizes of this table (its granule's). */
uint64_t io_pgtable_pgsizes(const struct io_pgtable *pt);
/* Frames of the root table (more than 1 for wide roots and granules). */
unsigned io_pgtable_root_frames(const struct io_pgtable *pt);

/* An empty table of @levels full-width levels in the default granule: the
 * root alone (one frame; four for an x4 root).  0, -EINVAL (levels),
 * -ENOMEM. */
int io_pgtable_init(struct io_pgtable *pt, struct sim_world *w,
		    const struct io_pgtable_fmt *fmt, unsigned levels);
/* An empty table of any geometry the format allows.  0, -EINVAL (granule,
 * input size or levels the format does not have), -ENOMEM. */
int io_pgtable_init_cfg(struct io_pgtable *pt, struct sim_world *w,
			const struct io_pgtable_fmt *fmt, const struct io_pgtable_cfg *cfg);
/* The same, with the frames from @mem (a guest table; NULL: host frames). */
int io_pgtable_init_mem(struct io_pgtable *pt, struct sim_world *w,
			const struct io_pgtable_fmt *fmt, const struct io_pgtable_cfg *cfg,
			const struct io_pgtable_mem *mem);
/* Free every table frame it allocated (not the pages mapped), reachable
 * from the root or not: corrupt descriptors are never followed. */
void io_pgtable_destroy(struct io_pgtable *pt);

/*
 * Map [iova, iova + size) to [hpa, ...) with @prot, using the largest leaves
 * that alignment and the format allow.  All or nothing: -EEXIST when any page
 * is already mapped (nothing changes), -EINVAL for misalignment (to the
 * granule), a size of 0, an empty @prot or a range beyond the input or
 * output size, -ENOMEM (table frames; nothing changes).
 */
int io_pgtable_map(struct io_pgtable *pt, uint64_t iova, uint64_t hpa,
		   uint64_t size, unsigned prot);

/*
 * Unmap what lies in [iova, iova + size), with the format's rule for a leaf
 * the range cuts (above).  Returns the bytes of the leaves removed (0 when
 * nothing was mapped or the rule refused); empty tables are freed.
 * -EINVAL for misalignment or a wrapping range.
 */
int64_t io_pgtable_unmap(struct io_pgtable *pt, uint64_t iova, uint64_t size);

#define IO_PGTABLE_MAX_LEVELS 5

struct io_pgtable_walk {
	uint64_t out;                /* output address of @iova */
	unsigned prot;
	uint64_t leaf_size;
	unsigned refs;               /* descriptor reads the walk made */
	unsigned level;              /* where the walk ended (leaf or fault) */
	uint64_t pte;                /* the last descriptor read */
	unsigned index;              /* ... its index in tables[level] */
	/* tables[l]: the address of the level-l table the walk read (in the
	 * table's address space), for paging-structure caches and explain */
	uint64_t tables[IO_PGTABLE_MAX_LEVELS + 1];
};
/* Walk @iova: 0 with @out filled, or -ENOENT (not mapped, or a descriptor
 * the hardware would fault on; refs still set).  On a table built by
 * io_pgtable_init*, only tables it owns are read (a descriptor pointing
 * elsewhere reads as not present); on a view, whatever the bytes say. */
int io_pgtable_lookup(const struct io_pgtable *pt, uint64_t iova,
		      struct io_pgtable_walk *out);

/* One descriptor read of a walk. */
struct io_pgtable_ref {
	unsigned level, index;
	uint64_t table;              /* the table's address (HPA, or GPA) */
	uint64_t addr;               /* of the descriptor: table + 8 * index */
};

/*
 * A hardware walker's view: how descriptors are read (a nested walk
 * translates each stage-1 table address through stage 2 first), and where
 * to start (below a table a paging-structure cache remembered).
 */
struct io_pgtable_walker {
	/* 0 with *pte, or a negative errno that ends the walk (returned) */
	int (*read)(void *ctx, const struct io_pgtable_ref *ref, uint64_t *pte);
	void *ctx;
	unsigned start_level;        /* 0: the root */
	uint64_t start_table;        /* the level-start_level table */
	bool in_range;               /* the caller checked @iova against the input size */
};
/* Walk @iova reading through @wk: 0, -ENOENT, or the reader's error. */
int io_pgtable_walk(const struct io_pgtable *pt, uint64_t iova,
		    const struct io_pgtable_walker *wk, struct io_pgtable_walk *out);
/* The input address bits a level-@level entry spans (the leaf size shift). */
unsigned io_pgtable_level_shift(const struct io_pgtable *pt, unsigned level);

/*
 * The kernel's read_and_clear_dirty over a table this engine built
 * (intel_iommu_read_and_clear_dirty, arm_lpae_read_and_clear_dirty): every
 * present leaf in [iova, iova + size) that is dirty is reported whole to
 * @record (its own aligned range: a 2 MiB leaf reports 2 MiB, wherever in
 * it the range starts) and made clean unless @no_clear (the caller flushes
 * the IOTLB for what was cleared).  @record may be NULL (clear only, as
 * iommufd does before it turns tracking on).  Returns the number of leaves
 * reported, or -EINVAL (no table, a format without dirty state, an empty
 * or wrapping range).
 */
int io_pgtable_read_and_clear_dirty(struct io_pgtable *pt, uint64_t iova, uint64_t size,
				    bool no_clear,
				    void (*record)(void *ctx, uint64_t iova, uint64_t len),
				    void *ctx);

/*
 * Naive baseline: map page by page (granule-sized leaves only), no
 * coalescing.  Kept compiled in as an oracle and a benchmark baseline
 * (profile option).
 */
int io_pgtable_map_naive(struct io_pgtable *pt, uint64_t iova, uint64_t hpa,
			 uint64_t size, unsigned prot);

#endif
