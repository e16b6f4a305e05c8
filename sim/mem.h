/* SPDX-License-Identifier: MIT */
/*
 * Host-physical memory: a sparse space of 4 KiB frames.
 *
 * A frame is backed either by simulator storage (page tables, kernel data,
 * RAM a DMA touched first) or by a user page pinned for DMA: a scenario
 * process's page (storage owned here) or a native program's real page
 * (storage owned by that program; the frame only points at it, and every
 * access goes through process_vm_readv/writev, so a page the program
 * unmapped is never dereferenced: the frame outlives it with storage of
 * its own, as a pinned page outlives munmap on Linux).  A device DMA that
 * lands in a frame changes exactly the bytes the owner sees.  A native
 * page's frame is found by its address, through a table per 2 MiB block of
 * the program's address space; a block of transparent-huge-page memory may
 * be one folio of 512 frames aligned in PFN space (sim_mem_frames_native_n).
 *
 * A world may have a memory budget: the most simulator storage its frames
 * may hold (every frame but a native program's live page).  An allocation
 * past it fails with -ENOMEM, as on a machine with that much RAM.
 *
 * Frames are allocated lowest-free from SIM_MEM_BASE, so HPAs depend only on
 * the order of allocations.  They are found through a directory indexed by
 * page frame number, in constant time.  A frame's storage is made when it is
 * first written (or its pointer is asked for): until then it reads as zeros,
 * so a big buffer pinned for DMA costs no memory a device never writes.
 */
#ifndef SIM_MEM_H
#define SIM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_world;

#define SIM_PAGE_SHIFT 12
#define SIM_PAGE_SIZE (1ull << SIM_PAGE_SHIFT)
#define SIM_PAGE_MASK (~(SIM_PAGE_SIZE - 1))
/* The first frame handed out: the low MiB stays empty, as on a PC. */
#define SIM_MEM_BASE 0x100000ull

enum sim_frame_kind {
	SIM_FRAME_PGTABLE,    /* an I/O page-table page */
	SIM_FRAME_KERNEL,     /* other kernel data (context tables ...) */
	SIM_FRAME_RAM,        /* memory first touched by a DMA */
	SIM_FRAME_USER,       /* a scenario process's page */
	SIM_FRAME_NATIVE,     /* a native program's real page (not owned) */
	SIM_FRAME_CPU_PGTABLE,/* a process's CPU page table (sim/cpu_pgtable.h) */
	SIM_FRAME_NR_KINDS,
};

struct sim_mem_stats {
	uint64_t frames[SIM_FRAME_NR_KINDS];   /* live frames by kind */
	uint64_t frames_total;
	uint64_t bytes;                        /* frames_total * SIM_PAGE_SIZE */
	uint64_t allocs, frees;                /* since the world began */
	uint64_t native_orphans;               /* native frames whose page is gone */
	uint64_t budget;                       /* bytes; 0: no limit */
	uint64_t budget_refusals;              /* allocations the budget refused */
};

/*
 * A zeroed frame of @kind (not SIM_FRAME_NATIVE).  0 with *hpa set, or
 * -ENOMEM (fault site "mem_frame_alloc").
 */
int sim_mem_frame_alloc(struct sim_world *w, enum sim_frame_kind kind, uint64_t *hpa);

/*
 * @n zeroed frames of @kind (not SIM_FRAME_NATIVE) into @hpas: exactly the
 * frames, in the same order, with the same trace events, statistics, budget
 * refusals and fault-site questions (one per frame) as @n calls of
 * sim_mem_frame_alloc, but cheaper (a big first-touch buffer).  All or
 * nothing: when frame k cannot be had, the k already made are put back the
 * way their caller would, last first (traced as frees), and the call returns
 * -ENOMEM with nothing of it allocated.  0, -EINVAL (@kind) or -ENOMEM
 * (fault site "mem_frame_alloc", the budget); @n 0 allocates nothing.
 */
int sim_mem_frames_alloc_n(struct sim_world *w, enum sim_frame_kind kind, uint64_t n,
			   uint64_t *hpas);

/*
 * @n zeroed frames of @kind at consecutive HPAs, the first aligned to
 * @n pages (@n a power of two, 1..4096), for tables that span several frames
 * (a 16 KiB or 64 KiB translation granule, concatenated stage-2 start
 * tables).  They come from the bump pointer, above every frame handed out
 * so far; PFNs skipped to align are left for single-frame allocations.
 * Each frame is an ordinary frame with one reference: free each with
 * sim_mem_frame_put (highest first returns them to the bump pointer).
 * 0 with *hpa (the first) set, -EINVAL (@n, @kind) or -ENOMEM (fault site
 * "mem_frame_alloc", asked once for the whole run).
 */
int sim_mem_frames_alloc_contig(struct sim_world *w, enum sim_frame_kind kind, unsigned n,
				uint64_t *hpa);

/*
 * A frame over a native program's page @page (page-aligned).  The same page
 * always maps to the same frame while that frame lives; every call takes one
 * reference, dropped by sim_mem_frame_put.  A new frame is the lowest free
 * one.  0, -EINVAL (@page) or -ENOMEM (fault site "mem_frame_alloc", asked
 * only when the page has no frame yet).
 */
int sim_mem_frame_native(struct sim_world *w, void *page, uint64_t *hpa);

/*
 * Native frames in a batch: for the @n pages from @base (page-aligned),
 * into @hpas, what @n calls of sim_mem_frame_native give, but one question
 * to the fault site "mem_frame_alloc" for the whole call (asked when some
 * page has no frame yet), and no per-page lookup insert.  A page that has
 * a frame gets one reference more on it; the others get new frames with
 * one reference each, the lowest free PFNs in page order (so a fresh range
 * is one contiguous run of frames, as n single calls would give).  All or
 * nothing: 0, -EINVAL (@base, a range that wraps, @hpas NULL) or -ENOMEM
 * with no reference taken; @n 0 does nothing.
 *
 * With @thp the memory is transparent-huge-page backed: each 2 MiB-aligned
 * block lying wholly in the range whose pages have no frame yet becomes a
 * folio, the 512 frames of one run aligned to 2 MiB in PFN space (taken
 * above every frame handed out, as sim_mem_frames_alloc_contig takes them;
 * the PFNs skipped to align stay free for single frames), so that a range
 * pinned at an IOVA congruent to it modulo 2 MiB maps with 2 MiB leaves.
 * A block partly in the range, or with some frames already, gets 4 KiB
 * frames.  A folio's frames hold one reference of the folio's own besides
 * the callers': it lives while any of its pages is referenced, and goes
 * whole (sim_frame_free of each frame, highest first) with the last
 * sim_mem_frame_put; a put on a folio frame of no caller's reference is
 * ignored.  Every frame, 4 KiB or folio, is one sim_frame_alloc event,
 * in PFN order.
 */
int sim_mem_frames_native_n(struct sim_world *w, void *base, uint64_t n, bool thp,
			    uint64_t *hpas);

/*
 * The same for a pinning loop that maps physically contiguous runs as it
 * goes (sim_mm_pin_run on a native mm): it stops after the first page whose
 * frame is not the one after its predecessor's (for the first page, after
 * @prev; @prev 0: no predecessor), so no frame is made past a break.  Folios
 * are made for blocks lying wholly in [@thp_lo, @thp_hi) (NULL, NULL: none),
 * which may reach past the pages asked for: the caller vouches that the
 * whole block is the program's memory; the folio holds the pages it did not
 * ask for until they are asked for or the folio goes.  The fault site is
 * asked once, when the first page without a frame is reached; when it fails
 * the pages before it stay referenced.  Returns the pages given frames; *err
 * is 0, -EINVAL (the range; nothing done) or -ENOMEM (the page after them).
 */
uint64_t sim_mem_frames_native_run(struct sim_world *w, void *base, uint64_t n, void *thp_lo,
				   void *thp_hi, uint64_t prev, uint64_t *hpas, int *err);

/* How many of the @n native pages from @base have a frame, counted from the
 * first up to the first that has none (0 for a bad range).  Takes nothing. */
uint64_t sim_mem_native_backed(struct sim_world *w, void *base, uint64_t n);

/* References: a frame is freed (storage released, HPA reusable) at zero.
 * sim_mem_frame_alloc returns a frame with one reference. */
void sim_mem_frame_get(struct sim_world *w, uint64_t hpa);
void sim_mem_frame_put(struct sim_world *w, uint64_t hpa);
/* The references on the frame holding @hpa (0: no frame), as
 * page_ref_count reads a page's (the selftest's MD_CHECK_REFS counts pins
 * with it); *folio (unless NULL) says it is a native huge page's, whose
 * references are the folio's (a compound page). */
unsigned sim_mem_frame_refs(struct sim_world *w, uint64_t hpa, bool *folio);

/* The storage of the frame holding @hpa, or NULL when none is allocated
 * or it is a native program's live page (reach that with sim_mem_read and
 * sim_mem_write only). */
void *sim_mem_frame_ptr(struct sim_world *w, uint64_t hpa);
/* A native frame whose page was found gone, living on in its own storage. */
bool sim_mem_frame_orphaned(struct sim_world *w, uint64_t hpa);
bool sim_mem_present(struct sim_world *w, uint64_t hpa);
enum sim_frame_kind sim_mem_frame_kind(struct sim_world *w, uint64_t hpa);

/*
 * Physical reads and writes, possibly crossing frames.  Reading memory that
 * has no frame gives zeros; writing it allocates SIM_FRAME_RAM frames on
 * first use.  0 or -ENOMEM.
 */
int sim_mem_read(struct sim_world *w, uint64_t hpa, void *buf, size_t len);
int sim_mem_write(struct sim_world *w, uint64_t hpa, const void *buf, size_t len);
/* Aligned 64-bit accesses for table walkers (absent frame reads 0). */
uint64_t sim_mem_read64(struct sim_world *w, uint64_t hpa);
void sim_mem_write64(struct sim_world *w, uint64_t hpa, uint64_t val);

/*
 * The table generation: moves on with every write that may have changed a
 * table some walker reads, so a memo of what a walk found stays good while
 * it does not move (the IOMMU model's front cache and its checker).  A
 * write counts when it lands in a page-table, CPU page-table or kernel frame, or in a frame
 * a walker read a descriptor from (a guest's own stage-1 tables live in
 * its RAM: sim_mem_mark_walked).  Code that writes tables through
 * sim_mem_frame_ptr says so with sim_mem_table_touched.
 */
uint64_t sim_mem_table_gen(struct sim_world *w);
/* Where it is kept, for a hot path to read without a call; good for the
 * world's life. */
const uint64_t *sim_mem_table_gen_ptr(struct sim_world *w);
void sim_mem_table_touched(struct sim_world *w);
void sim_mem_mark_walked(struct sim_world *w, uint64_t hpa);
/* Would a write at @hpa move the table generation? */
bool sim_mem_table_frame(struct sim_world *w, uint64_t hpa);

void sim_mem_stats(struct sim_world *w, struct sim_mem_stats *out);

/* The memory budget in bytes (rounded down to frames; 0: no limit).
 * Frames already held stay; later allocations past it are -ENOMEM. */
void sim_mem_set_budget(struct sim_world *w, uint64_t bytes);
/* Bytes of simulator storage the frames hold now (what the budget counts). */
uint64_t sim_mem_resident(struct sim_world *w);

#define TP_sim_frame_alloc "hpa=0x%llx kind=%s"
#define TP_sim_frame_free  "hpa=0x%llx kind=%s"
#define TP_sim_frame_orphan "hpa=0x%llx"
#define TP_sim_mem_budget  "frames=%llu resident=0x%llx budget=0x%llx"

#endif
