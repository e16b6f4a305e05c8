/* SPDX-License-Identifier: MIT */
/*
 * The CPU's page tables (cpu_pgtable.h).  Every format here has 4 KiB
 * tables of 512 eight-byte descriptors, each level resolving 9 bits of the
 * address above the 12-bit page offset; they differ in their depth and in
 * what the bits of a descriptor mean, which struct mmu_enc says.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/cpu_pgtable.h"
#include "sim/mem.h"
#include "sim/world_internal.h"

#define BIT(n) (1ull << (n))
#define ENTRIES 512u

struct mmu_enc {
	const char *name;
	unsigned levels;
	uint64_t table;          /* a table descriptor, the address aside */
	uint64_t page, block;    /* a leaf at the last level / above it */
	uint64_t ro, rw;         /* what a read-only / writable leaf adds */
	uint64_t valid;          /* present iff any of these bits is set */
	uint64_t type_mask, table_type;   /* above the last level: a table iff */
	unsigned oa_shift;       /* the descriptor holds (pa >> 12) << oa_shift */
	uint64_t oa_mask;        /* where the address sits */
	uint64_t w_mask, w_val;  /* a leaf allows writes iff (pte & w_mask) == w_val */
};

/* x86-64: P RW US PWT PCD A D PS(leaf above level 1) ... NX(63); address 12..51 */
#define X86_P  BIT(0)
#define X86_RW BIT(1)
#define X86_US BIT(2)
#define X86_A  BIT(5)
#define X86_D  BIT(6)
#define X86_PS BIT(7)
#define X86_NX BIT(63)
#define X86_OA (((1ull << 52) - 1) & ~0xfffull)

/* arm64 VMSAv8-64, 4K granule: bits[1:0] 0b11 table/page, 0b01 block;
 * AttrIndx (MAIR 0: normal memory in Linux) 0, AP[1] (EL0) bit 6, AP[2]
 * (read-only) bit 7, SH inner 0b11 at 8, AF 10, nG 11, PXN 53, UXN 54 */
#define ARM_VALID BIT(0)
#define ARM_TYPE  BIT(1)
#define ARM_AP1   BIT(6)
#define ARM_AP2   BIT(7)
#define ARM_SH_IS (3ull << 8)
#define ARM_AF    BIT(10)
#define ARM_NG    BIT(11)
#define ARM_PXN   BIT(53)
#define ARM_UXN   BIT(54)
#define ARM_LEAF  (ARM_VALID | ARM_AP1 | ARM_SH_IS | ARM_AF | ARM_NG | ARM_PXN | ARM_UXN)
#define ARM_OA    (((1ull << 48) - 1) & ~0xfffull)

/* RISC-V Sv39/48/57: V R W X U G A D, PPN at bit 10; a table has V only */
#define RV_V BIT(0)
#define RV_R BIT(1)
#define RV_W BIT(2)
#define RV_X BIT(3)
#define RV_U BIT(4)
#define RV_A BIT(6)
#define RV_D BIT(7)
#define RV_OA (((1ull << 54) - 1) & ~0x3ffull)

#define X86_ENC(n, lv) { .name = n, .levels = lv, \
	.table = X86_P | X86_RW | X86_US | X86_A, \
	.page = X86_P | X86_US | X86_A | X86_NX, .block = X86_P | X86_US | X86_A | X86_NX | X86_PS, \
	.ro = 0, .rw = X86_RW | X86_D, .valid = X86_P, .type_mask = X86_PS, .table_type = 0, \
	.oa_shift = 12, .oa_mask = X86_OA, .w_mask = X86_RW, .w_val = X86_RW }
#define RV_ENC(n, lv) { .name = n, .levels = lv, .table = RV_V, \
	.page = RV_V | RV_R | RV_U | RV_A, .block = RV_V | RV_R | RV_U | RV_A, \
	.ro = 0, .rw = RV_W | RV_D, .valid = RV_V, \
	.type_mask = RV_R | RV_W | RV_X, .table_type = 0, \
	.oa_shift = 10, .oa_mask = RV_OA, .w_mask = RV_W, .w_val = RV_W }

static const struct mmu_enc encs[SIM_MMU_NR] = {
	[SIM_MMU_X86_64_4L] = X86_ENC("x86-64-4level", 4),
	[SIM_MMU_X86_64_5L] = X86_ENC("x86-64-5level", 5),
	[SIM_MMU_ARM64_4K] = { .name = "arm64-4k", .levels = 4,
		.table = ARM_VALID | ARM_TYPE,
		.page = ARM_LEAF | ARM_TYPE, .block = ARM_LEAF,
		.ro = ARM_AP2, .rw = 0, .valid = ARM_VALID,
		.type_mask = ARM_TYPE, .table_type = ARM_TYPE,
		.oa_shift = 12, .oa_mask = ARM_OA, .w_mask = ARM_AP2, .w_val = 0 },
	[SIM_MMU_RISCV_SV39] = RV_ENC("sv39", 3),
	[SIM_MMU_RISCV_SV48] = RV_ENC("sv48", 4),
	[SIM_MMU_RISCV_SV57] = RV_ENC("sv57", 5),
};

struct sim_cpu_pgtable {
	struct sim_world *w;
	enum sim_mmu_fmt fmt;
	const struct mmu_enc *e;
	uint64_t root;
	uint64_t tables;
};

const char *sim_mmu_name(enum sim_mmu_fmt fmt)
{
	return fmt < SIM_MMU_NR ? encs[fmt].name : "?";
}

int sim_mmu_from_name(const char *name)
{
	for (int i = 0; name && i < SIM_MMU_NR; i++)
		if (!strcmp(encs[i].name, name))
			return i;
	return -1;
}

unsigned sim_mmu_levels(enum sim_mmu_fmt fmt)
{
	return fmt < SIM_MMU_NR ? encs[fmt].levels : 0;
}

uint64_t sim_mmu_va_limit(enum sim_mmu_fmt fmt)
{
	return 1ull << (12 + 9 * sim_mmu_levels(fmt));
}

enum sim_mmu_fmt sim_world_mmu(const struct sim_world *w)
{
	return w->mmu;
}

void sim_world_set_mmu(struct sim_world *w, enum sim_mmu_fmt fmt)
{
	if (fmt < SIM_MMU_NR)
		w->mmu = fmt;
}

/* ---- descriptors ---------------------------------------------------------------- */

static uint64_t enc_addr(const struct mmu_enc *e, uint64_t pa)
{
	return ((pa >> 12) << e->oa_shift) & e->oa_mask;
}

static uint64_t dec_addr(const struct mmu_enc *e, uint64_t pte)
{
	return ((pte & e->oa_mask) >> e->oa_shift) << 12;
}

/* Is the present descriptor @pte at @level (1: the last) a table? */
static bool is_table(const struct mmu_enc *e, uint64_t pte, unsigned level)
{
	return level > 1 && (pte & e->type_mask) == e->table_type;
}

static unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static uint64_t slot_addr(uint64_t table, uint64_t va, unsigned level)
{
	return table + ((va >> level_shift(level)) & (ENTRIES - 1)) * 8;
}

/* ---- the table ---------------------------------------------------------------------- */

struct sim_cpu_pgtable *sim_cpt_new(struct sim_world *w, enum sim_mmu_fmt fmt)
{
	struct sim_cpu_pgtable *pt;
	uint64_t root;

	if (fmt >= SIM_MMU_NR || sim_mem_frame_alloc(w, SIM_FRAME_CPU_PGTABLE, &root))
		return NULL;
	pt = g_new0(struct sim_cpu_pgtable, 1);
	pt->w = w;
	pt->fmt = fmt;
	pt->e = &encs[fmt];
	pt->root = root;
	pt->tables = 1;
	return pt;
}

/* The table at @table (level @level) and every table below it, deepest
 * first, in address order. */
static void free_table(struct sim_cpu_pgtable *pt, uint64_t table, unsigned level)
{
	for (unsigned i = 0; level > 1 && i < ENTRIES; i++) {
		uint64_t pte = sim_mem_read64(pt->w, table + i * 8);

		if ((pte & pt->e->valid) && is_table(pt->e, pte, level))
			free_table(pt, dec_addr(pt->e, pte), level - 1);
	}
	sim_mem_frame_put(pt->w, table);
	pt->tables--;
}

void sim_cpt_free(struct sim_cpu_pgtable *pt)
{
	if (!pt)
		return;
	free_table(pt, pt->root, pt->e->levels);
	g_free(pt);
}

uint64_t sim_cpt_root(const struct sim_cpu_pgtable *pt)
{
	return pt->root;
}

enum sim_mmu_fmt sim_cpt_fmt(const struct sim_cpu_pgtable *pt)
{
	return pt->fmt;
}

uint64_t sim_cpt_tables(const struct sim_cpu_pgtable *pt)
{
	return pt->tables;
}

static unsigned leaf_level(unsigned page_shift)
{
	return page_shift == 12 ? 1 : page_shift == 21 ? 2 : page_shift == 30 ? 3 : 0;
}

int sim_cpt_set(struct sim_cpu_pgtable *pt, uint64_t va, uint64_t hpa, unsigned page_shift,
		bool writable)
{
	const struct mmu_enc *e = pt->e;
	unsigned want = leaf_level(page_shift);
	uint64_t table = pt->root, mask = (1ull << page_shift) - 1, made[5];
	unsigned nmade = 0;

	if (!want || (va & mask) || (hpa & mask))
		return -EINVAL;
	if (va >= sim_mmu_va_limit(pt->fmt))
		return -ERANGE;
	for (unsigned level = e->levels; level > want; level--) {
		uint64_t at = slot_addr(table, va, level), pte = sim_mem_read64(pt->w, at), next;

		if ((pte & e->valid) && is_table(e, pte, level)) {
			table = dec_addr(e, pte);
			continue;
		}
		/* no table yet, or a large leaf in the way: a new table */
		if (sim_mem_frame_alloc(pt->w, SIM_FRAME_CPU_PGTABLE, &next)) {
			while (nmade)   /* nothing changed: the new tables go */
				sim_mem_frame_put(pt->w, made[--nmade]);
			return -ENOMEM;
		}
		made[nmade++] = next;
		table = next;
	}
	/* link the new tables top down, then write the leaf */
	table = pt->root;
	for (unsigned level = e->levels, k = 0; level > want; level--) {
		uint64_t at = slot_addr(table, va, level), pte = sim_mem_read64(pt->w, at);

		if (!((pte & e->valid) && is_table(e, pte, level))) {
			sim_mem_write64(pt->w, at, e->table | enc_addr(e, made[k]));
			pt->tables++;
			pte = e->table | enc_addr(e, made[k++]);
		}
		table = dec_addr(e, pte);
	}
	{
		uint64_t at = slot_addr(table, va, want), old = sim_mem_read64(pt->w, at);

		if ((old & e->valid) && is_table(e, old, want))
			free_table(pt, dec_addr(e, old), want - 1);
		sim_mem_write64(pt->w, at, (want == 1 ? e->page : e->block) |
				(writable ? e->rw : e->ro) | enc_addr(e, hpa));
	}
	return 0;
}

void sim_cpt_clear(struct sim_cpu_pgtable *pt, uint64_t va, unsigned page_shift)
{
	const struct mmu_enc *e = pt->e;
	unsigned want = leaf_level(page_shift);
	uint64_t table = pt->root;

	if (!want || va >= sim_mmu_va_limit(pt->fmt))
		return;
	for (unsigned level = e->levels;; level--) {
		uint64_t at = slot_addr(table, va, level), pte = sim_mem_read64(pt->w, at);

		if (!(pte & e->valid))
			return;
		if (level == want) {
			if (!is_table(e, pte, level))
				sim_mem_write64(pt->w, at, 0);
			return;
		}
		if (!is_table(e, pte, level))
			return;       /* a larger leaf: not this size's */
		table = dec_addr(e, pte);
	}
}

bool sim_cpt_walk(const struct sim_cpu_pgtable *pt, uint64_t va, uint64_t *hpa, bool *writable)
{
	const struct mmu_enc *e = pt->e;
	uint64_t table = pt->root;

	if (va >= sim_mmu_va_limit(pt->fmt))
		return false;
	for (unsigned level = e->levels; level; level--) {
		uint64_t pte = sim_mem_read64(pt->w, slot_addr(table, va, level));

		if (!(pte & e->valid))
			return false;
		if (is_table(e, pte, level)) {
			table = dec_addr(e, pte);
			continue;
		}
		if (hpa)
			*hpa = dec_addr(e, pte) + (va & ((1ull << level_shift(level)) - 1));
		if (writable)
			*writable = (pte & e->w_mask) == e->w_val;
		return true;
	}
	return false;
}
