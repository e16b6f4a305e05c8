/* SPDX-License-Identifier: MIT */
/*
 * The page-table formats, as data: geometry and descriptor bits from the
 * architecture manuals (here Intel VT-d 3.x ch. 9, second-stage entries).
 * Only the bits this simulator writes or reads are named.
 */
#include <stddef.h>
#include <string.h>

#include "model/iommu/pgtable.h"

#define BIT(n) (1ull << (n))
/* bits lo..hi inclusive */
#define BITS(lo, hi) (((~0ull) >> (63 - (hi))) & ~(BIT(lo) - 1))

/* ---- descriptors, for every format ------------------------------------------ */

uint64_t io_pgtable_pte_table(const struct io_pgtable_fmt *f, uint64_t next_hpa)
{
	const struct io_pgtable_desc *d = &f->desc;

	return (((next_hpa >> 12) << d->oa_lsb) & d->oa_mask) | d->table_bits;
}

uint64_t io_pgtable_pte_leaf(const struct io_pgtable_fmt *f, uint64_t hpa, unsigned level,
			     unsigned prot)
{
	const struct io_pgtable_desc *d = &f->desc;

	return (((hpa >> 12) << d->oa_lsb) & d->oa_mask) |
	       (level == 1 ? d->page_bits : d->block_bits) | d->prot_bits[prot & 3];
}

bool io_pgtable_pte_last_ok(const struct io_pgtable_fmt *f, uint64_t pte)
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

uint64_t io_pgtable_pte_addr(const struct io_pgtable_fmt *f, uint64_t pte)
{
	return ((pte & f->desc.oa_mask) >> f->desc.oa_lsb) << 12;
}

unsigned io_pgtable_pte_prot(const struct io_pgtable_fmt *f, uint64_t pte)
{
	const struct io_pgtable_desc *d = &f->desc;

	return ((pte & d->r_mask) == d->r_val ? IOMMU_READ : 0) |
	       ((pte & d->w_mask) == d->w_val ? IOMMU_WRITE : 0);
}

/* ---- Intel VT-d ---------------------------------------------------------------- */

/* Second-stage entries: R bit 0, W bit 1, PS bit 7 (a leaf above level 1),
 * address bits 12..51; an entry with neither R nor W is not present. */
#define VTD_SS_R  BIT(0)
#define VTD_SS_W  BIT(1)
#define VTD_PS    BIT(7)
#define VTD_OA    BITS(12, 51)

#define GEOM_4K(lo, hi, sizes) { .granule_shift = 12, .min_levels = (lo), .max_levels = (hi), \
				 .pgsize_bitmap = (sizes) }

const struct io_pgtable_fmt io_pgtable_vtd_ss = {
	.name = "vtd-ss",
	.stage = IO_PGTABLE_STAGE2,
	.granule_shift = 12, .bits_per_level = 9, .min_levels = 3, .max_levels = 5,
	.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
	.geoms = { GEOM_4K(3, 5, SZ_4K | SZ_2M | SZ_1G) }, .ngeoms = 1,
	.desc = {
		.valid = VTD_SS_R | VTD_SS_W,
		.type_mask = VTD_PS, .table_type = 0, .last = IO_PGTABLE_LAST_ANY,
		/* non-leaf entries grant everything; the leaf decides */
		.table_bits = VTD_SS_R | VTD_SS_W,
		.page_bits = 0, .block_bits = VTD_PS,
		.prot_bits = { 0, VTD_SS_R, VTD_SS_W, VTD_SS_R | VTD_SS_W },
		.r_mask = VTD_SS_R, .r_val = VTD_SS_R, .w_mask = VTD_SS_W, .w_val = VTD_SS_W,
		.oa_mask = VTD_OA, .oa_lsb = 12,
	},
	.unmap_rule = IO_PGTABLE_UNMAP_WHOLE_LEAF,
};

/* ---- lookup ------------------------------------------------------------------------- */

static const struct io_pgtable_fmt *const formats[] = { &io_pgtable_vtd_ss };

const struct io_pgtable_fmt *io_pgtable_fmt_nth(unsigned i)
{
	return i < sizeof(formats) / sizeof(formats[0]) ? formats[i] : NULL;
}

const struct io_pgtable_fmt *io_pgtable_fmt_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

const struct io_pgtable_geom *io_pgtable_fmt_geom(const struct io_pgtable_fmt *fmt,
						  unsigned granule_shift)
{
	for (unsigned i = 0; fmt && i < fmt->ngeoms; i++)
		if (fmt->geoms[i].granule_shift == granule_shift)
			return &fmt->geoms[i];
	return NULL;
}
