/* SPDX-License-Identifier: MIT */
/*
 * I/O page tables: real radix tables living in frames of simulated host
 * memory, behind a table-driven format description, so a walk reads the
 * same bytes the kernel side wrote and counts every memory reference.
 *
 * This issue provides one format, x86 VT-d second stage ("vtd-ss"): 4 KiB
 * granule, 9 index bits per level, 3, 4 or 5 levels (39-, 48-, 57-bit input),
 * leaves of 4 KiB, 2 MiB and 1 GiB, read and write permission bits.  Later
 * formats (stage 1, ARM LPAE, RISC-V) are further instances of struct
 * io_pgtable_fmt.
 *
 * Descriptor encoding (vtd-ss): bit 0 R, bit 1 W, bit 7 PS (a leaf above
 * level 1), bits 12..51 the next-table or output address; an entry with
 * neither R nor W set is not present.
 */
#ifndef MODEL_IOMMU_PGTABLE_H
#define MODEL_IOMMU_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_world;

#define IOMMU_READ  0x1u
#define IOMMU_WRITE 0x2u

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

struct io_pgtable_fmt {
	const char *name;
	unsigned granule_shift;       /* 12 */
	unsigned bits_per_level;      /* 9 */
	unsigned min_levels, max_levels;
	uint64_t pgsize_bitmap;       /* leaf sizes: SZ_4K | SZ_2M | SZ_1G */
	/* descriptor encoding; @level is 1 for the last level */
	uint64_t (*mk_table)(uint64_t next_hpa);
	uint64_t (*mk_leaf)(uint64_t hpa, unsigned level, unsigned prot);
	bool (*present)(uint64_t pte);
	bool (*is_leaf)(uint64_t pte, unsigned level);
	uint64_t (*out_addr)(uint64_t pte);
	unsigned (*prot)(uint64_t pte);
};

extern const struct io_pgtable_fmt io_pgtable_vtd_ss;
/* By name ("vtd-ss"), or NULL. */
const struct io_pgtable_fmt *io_pgtable_fmt_find(const char *name);

struct io_pgtable {
	struct sim_world *w;
	const struct io_pgtable_fmt *fmt;
	unsigned levels;
	uint64_t root;               /* HPA of the top table */
	uint64_t table_pages;        /* frames this table uses, root included */
	uint64_t mapped_bytes;
};

/* Input address bits of a table: granule_shift + levels * bits_per_level. */
unsigned io_pgtable_ias(const struct io_pgtable *pt);

/* An empty table (one root frame).  0, -EINVAL (levels), -ENOMEM. */
int io_pgtable_init(struct io_pgtable *pt, struct sim_world *w,
		    const struct io_pgtable_fmt *fmt, unsigned levels);
/* Free every table frame (not the pages mapped). */
void io_pgtable_destroy(struct io_pgtable *pt);

/*
 * Map [iova, iova + size) to [hpa, ...) with @prot, using the largest leaves
 * that alignment and the format allow.  All or nothing: -EEXIST when any page
 * is already mapped (nothing changes), -EINVAL for misalignment, a size of 0,
 * an empty @prot or a range beyond the input size, -ENOMEM (table frames).
 */
int io_pgtable_map(struct io_pgtable *pt, uint64_t iova, uint64_t hpa,
		   uint64_t size, unsigned prot);

/*
 * Unmap what lies in [iova, iova + size).  A leaf that straddles an edge of
 * the range is split first: the remainder stays mapped with the same
 * permissions.  (Linux's VT-d driver instead removes the whole large page
 * and reports the larger size; type1 never unmaps part of a leaf it mapped,
 * so no VFIO path differs.  Per-format rules are issue 4's.)  Returns the
 * bytes unmapped (0 when nothing was mapped); empty tables are freed.
 * -ENOMEM if a split needs a frame it cannot get (nothing changes).
 */
int64_t io_pgtable_unmap(struct io_pgtable *pt, uint64_t iova, uint64_t size);

struct io_pgtable_walk {
	uint64_t out;                /* output address of @iova */
	unsigned prot;
	uint64_t leaf_size;
	unsigned refs;               /* descriptor reads the walk made */
};
/* Walk @iova: 0 with @out filled, or -ENOENT (not mapped; refs still set). */
int io_pgtable_lookup(const struct io_pgtable *pt, uint64_t iova,
		      struct io_pgtable_walk *out);

/*
 * Naive baseline: map page by page (4 KiB leaves only), no coalescing.  Kept
 * compiled in as an oracle and a benchmark baseline (profile option).
 */
int io_pgtable_map_naive(struct io_pgtable *pt, uint64_t iova, uint64_t hpa,
			 uint64_t size, unsigned prot);

#endif
