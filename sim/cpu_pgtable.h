/* SPDX-License-Identifier: MIT */
/*
 * The CPU's page tables: a process's translations as the CPU's MMU reads
 * them, radix tables in frames of simulated memory, in the architecture's
 * own descriptor format.  They are what an IOMMU walks for shared virtual
 * addressing (an SVA domain's first stage is the process's page table), so
 * each format here is one an IOMMU kind reads as its first stage:
 *
 *   x86-64 4-level / 5-level   VT-d first stage (vtd-fs): P RW US A D PS, NX
 *   arm64 4K granule, 48-bit   SMMUv3 stage 1 (arm-s1): AP[2:1] AF nG, UXN PXN
 *   riscv Sv39 / Sv48 / Sv57   RISC-V IOMMU first stage: V R W U A D
 *
 * This is the CPU side, written from the architectures' manuals: the IOMMU
 * model (model/iommu) decodes the same bytes with its own format tables,
 * so the two agree only if both are right.  User pages are mapped
 * user-accessible, not executable, accessed; a writable page dirty as
 * well (the CPU wrote it or may without a fault).  Tables stay until the
 * page table goes (as Linux keeps them until free_pgtables).
 */
#ifndef SIM_CPU_PGTABLE_H
#define SIM_CPU_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

struct sim_world;

enum sim_mmu_fmt {
	SIM_MMU_X86_64_4L,          /* the default */
	SIM_MMU_X86_64_5L,
	SIM_MMU_ARM64_4K,
	SIM_MMU_RISCV_SV39,
	SIM_MMU_RISCV_SV48,
	SIM_MMU_RISCV_SV57,
	SIM_MMU_NR,
};

/* "x86-64-4level", "x86-64-5level", "arm64-4k", "sv39", "sv48", "sv57". */
const char *sim_mmu_name(enum sim_mmu_fmt fmt);
int sim_mmu_from_name(const char *name);      /* -1: unknown */
unsigned sim_mmu_levels(enum sim_mmu_fmt fmt);
/* The first VA the format cannot translate (1 << its input bits). */
uint64_t sim_mmu_va_limit(enum sim_mmu_fmt fmt);

/* The MMU of the world's CPUs: the format new page tables take. */
enum sim_mmu_fmt sim_world_mmu(const struct sim_world *w);
void sim_world_set_mmu(struct sim_world *w, enum sim_mmu_fmt fmt);

struct sim_cpu_pgtable;

/* A page table with an empty root; its tables are SIM_FRAME_CPU_PGTABLE
 * frames (a write to one moves the table generation, as a write to an
 * IOMMU table does).  NULL on -ENOMEM. */
struct sim_cpu_pgtable *sim_cpt_new(struct sim_world *w, enum sim_mmu_fmt fmt);
/* Every table frame given back, deepest first (NULL: nothing). */
void sim_cpt_free(struct sim_cpu_pgtable *pt);
uint64_t sim_cpt_root(const struct sim_cpu_pgtable *pt);
enum sim_mmu_fmt sim_cpt_fmt(const struct sim_cpu_pgtable *pt);
/* Table frames held, the root's included. */
uint64_t sim_cpt_tables(const struct sim_cpu_pgtable *pt);

/*
 * Map the page of 1 << @page_shift bytes (12, 21, 30) at @va to @hpa, or
 * change what it maps (a table below a new large leaf goes).  0, -EINVAL
 * (@page_shift, @va or @hpa not aligned to it), -ERANGE (@va past the
 * format's reach), -ENOMEM (a table frame; nothing changed).
 */
int sim_cpt_set(struct sim_cpu_pgtable *pt, uint64_t va, uint64_t hpa, unsigned page_shift,
		bool writable);
/* Clear the leaf of that size at @va (a no-op where there is none). */
void sim_cpt_clear(struct sim_cpu_pgtable *pt, uint64_t va, unsigned page_shift);
/* The CPU's walk: the leaf for @va, its page's HPA for @va's byte and
 * whether it allows writes.  False when not present. */
bool sim_cpt_walk(const struct sim_cpu_pgtable *pt, uint64_t va, uint64_t *hpa,
		  bool *writable);

#endif
