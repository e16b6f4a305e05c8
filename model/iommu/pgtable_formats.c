/* SPDX-License-Identifier: MIT */
/*
 * The page-table formats, as data: geometry and descriptor bits from the
 * architecture manuals (Intel VT-d 3.x ch. 9 and the SDM's IA-32e paging
 * entries; Arm ARM VMSAv8-64 descriptors, LPAE stage 1 and stage 2; the
 * RISC-V privileged spec's Sv39/48/57 and hypervisor G-stage x4 modes, as
 * the RISC-V IOMMU spec uses them).  docs/pgtable-formats.md has one table
 * per format.  Only the bits this simulator writes or reads are named.
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

unsigned io_pgtable_fmt_prot(const struct io_pgtable_fmt *f, unsigned prot)
{
	/* a level-1 leaf as the map writes it, less the output address */
	return io_pgtable_pte_prot(f, f->desc.page_bits |
				      f->desc.prot_bits[prot & (IOMMU_READ | IOMMU_WRITE)]);
}

/* ---- Intel VT-d ---------------------------------------------------------------- */

/* Second-stage entries: R bit 0, W bit 1, PS bit 7 (a leaf above level 1),
 * address bits 12..51; an entry with neither R nor W is not present. */
#define VTD_SS_R  BIT(0)
#define VTD_SS_W  BIT(1)
#define VTD_PS    BIT(7)
#define VTD_SS_D  BIT(9)         /* DMA_SL_PTE_DIRTY: set by a walk with PASID-entry SSADE */
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
		/* dma_sl_pte_test_and_clear_dirty */
		.dirty_mask = VTD_SS_D, .dirty_val = VTD_SS_D, .clean_val = 0,
	},
	.unmap_rule = IO_PGTABLE_UNMAP_WHOLE_LEAF,
};

/* First-stage entries are x86-64 (IA-32e) paging entries: P bit 0, R/W
 * bit 1, U/S bit 2, A bit 5, D bit 6, PS bit 7, XD bit 63, address bits
 * 12..51.  Present means readable: write-only is not expressible. */
#define X86_P   BIT(0)
#define X86_RW  BIT(1)
#define X86_US  BIT(2)
#define X86_A   BIT(5)
#define X86_D   BIT(6)
#define X86_XD  BIT(63)

const struct io_pgtable_fmt io_pgtable_vtd_fs = {
	.name = "vtd-fs",
	.stage = IO_PGTABLE_STAGE1,
	.granule_shift = 12, .bits_per_level = 9, .min_levels = 4, .max_levels = 5,
	.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
	.geoms = { GEOM_4K(4, 5, SZ_4K | SZ_2M | SZ_1G) }, .ngeoms = 1,
	.desc = {
		.valid = X86_P,
		.type_mask = VTD_PS, .table_type = 0, .last = IO_PGTABLE_LAST_ANY,
		.table_bits = X86_P | X86_RW | X86_US | X86_A,
		/* user pages (a DMA is an unprivileged access), no execute */
		.page_bits = X86_P | X86_US | X86_A | X86_XD,
		.block_bits = X86_P | X86_US | X86_A | X86_XD | VTD_PS,
		.prot_bits = { 0, 0, X86_RW | X86_D, X86_RW | X86_D },
		.r_mask = 0, .r_val = 0, .w_mask = X86_RW, .w_val = X86_RW,
		.oa_mask = VTD_OA, .oa_lsb = 12,
	},
	.unmap_rule = IO_PGTABLE_UNMAP_WHOLE_LEAF,
};

/* ---- ARM LPAE (VMSAv8-64 long descriptors) -------------------------------------- */

/* bits[1:0]: 0b11 table (or page at the last level), 0b01 block; output
 * address bits 12..47 (48-bit OA; aligned to the granule or the block). */
#define ARM_VALID     BIT(0)
#define ARM_TYPE      BIT(1)
#define ARM_ATTRIDX1  BIT(2)          /* stage 1: MAIR index 1 (normal memory) */
#define ARM_SH_IS     (3ull << 8)
#define ARM_AF        BIT(10)
#define ARM_NG        BIT(11)         /* stage 1: tagged by ASID */
#define ARM_AP_UNPRIV BIT(6)          /* stage 1 AP[1]: EL0 access */
#define ARM_AP_RDONLY BIT(7)          /* stage 1 AP[2]: read-only */
#define ARM_S2_MEMATTR_WB (0xfull << 2)
#define ARM_S2AP_R    BIT(6)          /* stage 2 S2AP[0] */
#define ARM_S2AP_W    BIT(7)          /* stage 2 S2AP[1] */
#define ARM_DBM       BIT(51)         /* ARM_LPAE_PTE_DBM: dirty bit modifier */
#define ARM_OA        BITS(12, 47)

#define ARM_GEOMS \
	{ { .granule_shift = 12, .min_levels = 2, .max_levels = 4, \
	    .pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G }, \
	  { .granule_shift = 14, .min_levels = 2, .max_levels = 4, \
	    .pgsize_bitmap = SZ_16K | SZ_32M }, \
	  { .granule_shift = 16, .min_levels = 2, .max_levels = 3, \
	    .pgsize_bitmap = SZ_64K | SZ_512M } }

#define ARM_S1_LEAF (ARM_VALID | ARM_ATTRIDX1 | ARM_SH_IS | ARM_AF | ARM_NG)
#define ARM_S2_LEAF (ARM_VALID | ARM_S2_MEMATTR_WB | ARM_SH_IS | ARM_AF)

const struct io_pgtable_fmt io_pgtable_arm_s1 = {
	.name = "arm-s1",
	.stage = IO_PGTABLE_STAGE1,
	.granule_shift = 12, .bits_per_level = 9, .min_levels = 2, .max_levels = 4,
	.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
	.geoms = ARM_GEOMS, .ngeoms = 3,
	.min_ias = 25, .max_ias = 48,
	.desc = {
		.valid = ARM_VALID,
		.type_mask = ARM_TYPE, .table_type = ARM_TYPE, .last = IO_PGTABLE_LAST_TABLE_TYPE,
		.table_bits = ARM_VALID | ARM_TYPE,
		.page_bits = ARM_S1_LEAF | ARM_TYPE, .block_bits = ARM_S1_LEAF,
		/* AP[2:1]: 0b01 read/write, 0b11 read-only, both at EL0 */
		.prot_bits = { 0, ARM_AP_UNPRIV | ARM_AP_RDONLY, ARM_AP_UNPRIV, ARM_AP_UNPRIV },
		.r_mask = 0, .r_val = 0, .w_mask = ARM_AP_RDONLY, .w_val = 0,
		.oa_mask = ARM_OA, .oa_lsb = 12,
		/* io-pgtable-arm: iopte_hw_dirty is DBM set and AP[2] clear;
		 * arm_lpae_read_and_clear_dirty sets AP[2] again */
		.dirty_mask = ARM_DBM | ARM_AP_RDONLY, .dirty_val = ARM_DBM,
		.clean_val = ARM_DBM | ARM_AP_RDONLY, .dbm = ARM_DBM,
	},
	.unmap_rule = IO_PGTABLE_UNMAP_STOP_AT_CUT,
};

const struct io_pgtable_fmt io_pgtable_arm_s2 = {
	.name = "arm-s2",
	.stage = IO_PGTABLE_STAGE2,
	.granule_shift = 12, .bits_per_level = 9, .min_levels = 2, .max_levels = 4,
	.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
	.geoms = ARM_GEOMS, .ngeoms = 3,
	.min_ias = 25, .max_ias = 48,
	.concat_max_bits = 4,           /* up to 16 concatenated start tables */
	.desc = {
		.valid = ARM_VALID,
		.type_mask = ARM_TYPE, .table_type = ARM_TYPE, .last = IO_PGTABLE_LAST_TABLE_TYPE,
		.table_bits = ARM_VALID | ARM_TYPE,
		.page_bits = ARM_S2_LEAF | ARM_TYPE, .block_bits = ARM_S2_LEAF,
		/* S2AP[1:0]: bit 0 read, bit 1 write; write-only exists */
		.prot_bits = { 0, ARM_S2AP_R, ARM_S2AP_W, ARM_S2AP_R | ARM_S2AP_W },
		.r_mask = ARM_S2AP_R, .r_val = ARM_S2AP_R, .w_mask = ARM_S2AP_W, .w_val = ARM_S2AP_W,
		.oa_mask = ARM_OA, .oa_lsb = 12,
	},
	.unmap_rule = IO_PGTABLE_UNMAP_STOP_AT_CUT,
};

/* ---- RISC-V Sv39/48/57 and the x4 G-stage modes ------------------------------------ */

/* V bit 0, R 1, W 2, X 3, U 4, G 5, A 6, D 7, PPN bits 10..53 (a 56-bit
 * physical address).  R=W=X=0 is a pointer to the next table; any of them
 * makes a leaf, at any level; W without R is reserved. */
#define RV_V  BIT(0)
#define RV_R  BIT(1)
#define RV_W  BIT(2)
#define RV_X  BIT(3)
#define RV_U  BIT(4)
#define RV_A  BIT(6)
#define RV_D  BIT(7)
#define RV_PPN BITS(10, 53)

#define RV_DESC { \
	.valid = RV_V, \
	.type_mask = RV_R | RV_W | RV_X, .table_type = 0, .last = IO_PGTABLE_LAST_LEAF_TYPE, \
	.table_bits = RV_V, \
	/* U: device accesses are user accesses (and G-stage leaves need U) */ \
	.page_bits = RV_V | RV_U | RV_A, .block_bits = RV_V | RV_U | RV_A, \
	.prot_bits = { 0, RV_R, RV_R | RV_W | RV_D, RV_R | RV_W | RV_D }, \
	.r_mask = RV_R, .r_val = RV_R, .w_mask = RV_W, .w_val = RV_W, \
	.oa_mask = RV_PPN, .oa_lsb = 10, \
	/* D: set by the IOMMU with GADE / SADE, else a store to a clean \
	 * leaf faults (the kernel maps writable leaves with D set) */ \
	.dirty_mask = RV_D, .dirty_val = RV_D, .clean_val = 0, \
	.write_needs_dirty = true, \
}

#define RV_FMT(nm, st, lv, sizes, extra) { \
	.name = (nm), .stage = (st), \
	.granule_shift = 12, .bits_per_level = 9, .min_levels = (lv), .max_levels = (lv), \
	.pgsize_bitmap = (sizes), \
	.geoms = { GEOM_4K(lv, lv, sizes) }, .ngeoms = 1, \
	.root_extra_bits = (extra), \
	.desc = RV_DESC, \
	.unmap_rule = IO_PGTABLE_UNMAP_ALIGNED_START, \
}

#define RV_SV39_SIZES (SZ_4K | SZ_2M | SZ_1G)
#define RV_SV48_SIZES (RV_SV39_SIZES | SZ_512G)
#define RV_SV57_SIZES (RV_SV48_SIZES | SZ_256T)

const struct io_pgtable_fmt io_pgtable_riscv_sv39 =
	RV_FMT("riscv-sv39", IO_PGTABLE_STAGE1, 3, RV_SV39_SIZES, 0);
const struct io_pgtable_fmt io_pgtable_riscv_sv48 =
	RV_FMT("riscv-sv48", IO_PGTABLE_STAGE1, 4, RV_SV48_SIZES, 0);
const struct io_pgtable_fmt io_pgtable_riscv_sv57 =
	RV_FMT("riscv-sv57", IO_PGTABLE_STAGE1, 5, RV_SV57_SIZES, 0);
/* G-stage: the root is 16 KiB (four pages, 2048 entries), two more bits */
const struct io_pgtable_fmt io_pgtable_riscv_sv39x4 =
	RV_FMT("riscv-sv39x4", IO_PGTABLE_STAGE2, 3, RV_SV39_SIZES, 2);
const struct io_pgtable_fmt io_pgtable_riscv_sv48x4 =
	RV_FMT("riscv-sv48x4", IO_PGTABLE_STAGE2, 4, RV_SV48_SIZES, 2);
const struct io_pgtable_fmt io_pgtable_riscv_sv57x4 =
	RV_FMT("riscv-sv57x4", IO_PGTABLE_STAGE2, 5, RV_SV57_SIZES, 2);

/* ---- lookup ------------------------------------------------------------------------- */

static const struct io_pgtable_fmt *const formats[] = {
	&io_pgtable_vtd_ss, &io_pgtable_vtd_fs,
	&io_pgtable_arm_s1, &io_pgtable_arm_s2,
	&io_pgtable_riscv_sv39, &io_pgtable_riscv_sv48, &io_pgtable_riscv_sv57,
	&io_pgtable_riscv_sv39x4, &io_pgtable_riscv_sv48x4, &io_pgtable_riscv_sv57x4,
};

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
