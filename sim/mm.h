/* SPDX-License-Identifier: MIT */
/*
 * User address spaces and uaccess.
 *
 * Each process has an mm.  A scenario process's memory is a set of VMAs at
 * deterministic virtual addresses (SIM_MM_BASE upward, in allocation order)
 * whose pages are frames of host memory allocated on first touch.  A VMA
 * may be backed by huge pages (hugetlbfs): its first touch of a huge page
 * makes all of it, from an aligned run of contiguous frames.  A native
 * process (SIM_PROC_NATIVE) uses the calling program's real pointers: the mm
 * has no VMAs, and every access is validated through the kernel
 * (process_vm_readv/writev on the program itself), so a bad pointer is
 * -EFAULT, never a crash.
 *
 * copy_from_user / copy_to_user are the only way the emulated kernel reads
 * or writes user memory.
 */
#ifndef SIM_MM_H
#define SIM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_world;
struct sim_proc;

#define SIM_MM_BASE 0x10000000ull       /* first VA handed to a scenario buffer */
#define SIM_MM_GAP  0x100000ull         /* unmapped guard between buffers */

#define SIM_PROT_READ  0x1
#define SIM_PROT_WRITE 0x2

/* Huge-page sizes of sim_mm_map_huge, as page shifts. */
#define SIM_MM_HUGE_2M 21
#define SIM_MM_HUGE_1G 30

/* The HPAs of a VMA's pages, per 2 MiB of it (0: no frame yet). */
#define SIM_MM_CHUNK_SHIFT 9
#define SIM_MM_CHUNK_PAGES (1u << SIM_MM_CHUNK_SHIFT)

struct sim_vma {
	uint64_t start, len;    /* page-aligned (huge-page aligned when huge) */
	unsigned prot;
	unsigned huge_shift;    /* 0: 4 KiB pages, else SIM_MM_HUGE_* */
	char *name;
	uint64_t **chunks;      /* len / 2 MiB (rounded up) chunks or NULL, made on first touch */
};

struct sim_mm {
	struct sim_world *w;
	unsigned refcount;         /* mmgrab: the struct lives */
	unsigned users;            /* processes using it (mm_users): 0 once exited */
	bool native;
	uint64_t next_va;
	struct sim_vma *vmas;   /* sorted by start */
	size_t nvmas;
	uint64_t locked_vm;     /* pages charged as locked (RLIMIT_MEMLOCK) */
	uint64_t pinned;        /* pin references held on this mm's pages */
	uint64_t pinned_vm;     /* pages iommufd charged as pinned (mm->pinned_vm) */
	unsigned dumpable;      /* get_dumpable(mm): SIM_DUMP_*; fork copies it */
};

/* mm->flags' dump mode (SUID_DUMP_* of <linux/sched/coredump.h>): only a
 * SIM_DUMP_USER mm may be ptrace-attached without CAP_SYS_PTRACE. */
#define SIM_DUMP_DISABLE 0
#define SIM_DUMP_USER    1
#define SIM_DUMP_ROOT    2

/* Created with the process; freed when the last reference goes. */
struct sim_mm *sim_mm_new(struct sim_world *w, bool native);
/* fork: a new mm with the same VMAs and a copy of every touched page
 * (no copy-on-write: the copy is immediate).  NULL on -ENOMEM. */
struct sim_mm *sim_mm_dup(struct sim_mm *mm);
struct sim_mm *sim_mm_get(struct sim_mm *mm);
void sim_mm_put(struct sim_mm *mm);
/* Its process is gone (exit_mm), or an mmget is dropped (mmput): one user
 * fewer, then one reference put.  Holders of other references keep the
 * struct and its pinned pages. */
void sim_mm_exit(struct sim_mm *mm);
/* mmget_not_zero: a new user (and reference) of an mm still in use, paired
 * with sim_mm_exit; false, taking nothing, once every user has gone. */
bool sim_mm_get_user(struct sim_mm *mm);
/* mmget_not_zero: is a process still using @mm? */
static inline bool sim_mm_alive(const struct sim_mm *mm)
{
	return mm->users > 0;
}

/*
 * Map an anonymous buffer of @len bytes (rounded up to pages) at the next
 * deterministic address.  0 with *va, -EINVAL (len 0, native mm), -ENOMEM
 * (address space exhausted or fault site "mm_vma_alloc").
 */
int sim_mm_map(struct sim_mm *mm, uint64_t len, unsigned prot, const char *name,
	       uint64_t *va);
/*
 * The same backed by huge pages of 1 << @huge_shift bytes (SIM_MM_HUGE_2M,
 * SIM_MM_HUGE_1G; 0 is sim_mm_map), as a hugetlbfs mapping: the address is
 * aligned to the huge page and @len must be a multiple of it (-EINVAL).  The
 * first touch of any byte of a huge page (a write, a pin) makes the whole of
 * it: frames at consecutive HPAs aligned to its size, all or none (-ENOMEM
 * from the allocator or the memory budget; reads of an untouched page see
 * zeros and make nothing, as for 4 KiB pages).
 */
int sim_mm_map_huge(struct sim_mm *mm, uint64_t len, unsigned prot, const char *name,
		    unsigned huge_shift, uint64_t *va);
/* Unmap the VMA starting at @va: 0 or -EINVAL.  Pinned pages stay alive
 * (held by their pins) until unpinned, as on Linux. */
int sim_mm_unmap(struct sim_mm *mm, uint64_t va);
const struct sim_vma *sim_mm_find_vma(const struct sim_mm *mm, uint64_t va);

/* The frames writing all of [va, va + len) would make: its pages with no
 * frame yet, every frame of an untouched huge page it reaches (0 for a
 * native mm, whose memory is the program's). */
uint64_t sim_mm_untouched(const struct sim_mm *mm, uint64_t va, uint64_t len);

/* 0 or -EFAULT (unmapped, wrong protection, or a bad native pointer). */
int sim_copy_from_user(struct sim_proc *p, void *dst, uint64_t uva, size_t n);
int sim_copy_to_user(struct sim_proc *p, uint64_t uva, const void *src, size_t n);
/* The same on an mm a kernel thread borrowed (kthread_use_mm). */
int sim_mm_copy_from(struct sim_mm *mm, void *dst, uint64_t uva, size_t n);
int sim_mm_copy_to(struct sim_mm *mm, uint64_t uva, const void *src, size_t n);

/*
 * Pin the page holding @uva for DMA (@write: the device may write it):
 * the page's frame gets one more reference and *hpa is its address.
 * -EFAULT when the page is not mapped with that access.  The caller
 * accounts locked memory (type1 does, spec §C).
 */
int sim_mm_pin_page(struct sim_proc *p, uint64_t uva, bool write, uint64_t *hpa);
/* The same on any mm (get_user_pages_remote), e.g. a mapping's. */
int sim_mm_pin(struct sim_mm *mm, uint64_t uva, bool write, uint64_t *hpa);
void sim_mm_unpin_page(struct sim_mm *mm, uint64_t hpa);

/*
 * Pin the @n pages holding uva, uva + 4 KiB, ..., into @hpas: exactly what
 * @n calls of sim_mm_pin in that order do (the same frames and errors; a
 * scenario process's the same fault-site questions, a native one's one per
 * batch of new frames, sim_mem_frames_native_run), at once.  A scenario process's range is checked
 * against its VMAs once and a run of untouched pages gets its frames in one
 * allocation; a native one is validated by process_vm_readv/writev calls
 * of up to 1024 pages each, not two per page, and a long one by a read of
 * /proc/self/maps (anonymous memory the access is allowed to needs no
 * probe; anything else is probed, so the first page the kernel would
 * refuse still decides, with -EFAULT).  All or nothing: when page k cannot
 * be pinned the k before it are unpinned again and its error returned.
 * 0, -EFAULT or -ENOMEM.
 */
int sim_mm_pin_range(struct sim_mm *mm, uint64_t uva, uint64_t n, bool write, uint64_t *hpas);

/*
 * The step a pinning loop that maps as it goes is made of (type1's
 * vfio_pin_pages_remote): pin as sim_mm_pin_range does, but stop after the
 * first page whose frame is not the one after its predecessor's (for the
 * first page, @prev's; @prev 0: no predecessor), so that the caller maps a
 * physically contiguous run before any later page gets a frame, exactly as
 * pinning page by page and mapping at each break does.  Returns the pages
 * pinned (they stay pinned); *err is 0, or the error of the page after
 * them, when that page stopped the call.
 */
uint64_t sim_mm_pin_run(struct sim_mm *mm, uint64_t uva, uint64_t n, bool write, uint64_t prev,
			uint64_t *hpas, int *err);

#endif
