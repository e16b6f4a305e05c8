/* SPDX-License-Identifier: MIT */
/*
 * User address spaces and uaccess.
 *
 * Each process has an mm.  A scenario process's memory is a set of VMAs at
 * deterministic virtual addresses (SIM_MM_BASE upward, in allocation order)
 * whose pages are frames of host memory allocated on first touch.  A native
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

struct sim_vma {
	uint64_t start, len;    /* page-aligned */
	unsigned prot;
	char *name;
};

struct sim_mm {
	struct sim_world *w;
	unsigned refcount;         /* mmgrab: the struct lives */
	unsigned users;            /* processes using it (mm_users): 0 once exited */
	bool native;
	uint64_t next_va;
	struct sim_vma *vmas;   /* sorted by start */
	size_t nvmas;
	void *pages;            /* GHashTable: vpn -> hpa (frames of SIM_FRAME_USER) */
	uint64_t locked_vm;     /* pages charged as locked (RLIMIT_MEMLOCK) */
	uint64_t pinned;        /* pin references held on this mm's pages */
};

/* Created with the process; freed when the last reference goes. */
struct sim_mm *sim_mm_new(struct sim_world *w, bool native);
/* fork: a new mm with the same VMAs and a copy of every touched page
 * (no copy-on-write: the copy is immediate).  NULL on -ENOMEM. */
struct sim_mm *sim_mm_dup(struct sim_mm *mm);
struct sim_mm *sim_mm_get(struct sim_mm *mm);
void sim_mm_put(struct sim_mm *mm);
/* Its process is gone (exit_mm): no more users, then one reference put.
 * Holders of other references keep the struct and its pinned pages. */
void sim_mm_exit(struct sim_mm *mm);
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
/* Unmap the VMA starting at @va: 0 or -EINVAL.  Pinned pages stay alive
 * (held by their pins) until unpinned, as on Linux. */
int sim_mm_unmap(struct sim_mm *mm, uint64_t va);
const struct sim_vma *sim_mm_find_vma(const struct sim_mm *mm, uint64_t va);

/* The pages of [va, va + len) with no frame yet: what writing all of it
 * would make resident (0 for a native mm, whose memory is the program's). */
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

#endif
