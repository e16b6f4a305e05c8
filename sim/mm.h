/* SPDX-License-Identifier: MIT */
/*
 * User address spaces, page faults and uaccess.
 *
 * Each process has an mm.  A scenario process's memory is a set of VMAs,
 * made by mmap (anonymous or a named simulated file, shared or private) at
 * deterministic virtual addresses (SIM_MM_BASE upward, in allocation order,
 * or where MAP_FIXED puts them), split by munmap and mprotect.  A page
 * exists once something touches it: a CPU access (uaccess writes, the
 * `touch` step, sim_mm_fault), a pin for DMA, or a device fault the kernel
 * serves (handle_mm_fault).  A private page shared after fork is
 * copy-on-write; a file's pages live in its page cache, mapped directly by
 * a shared mapping and copied on the first write through a private one.  A
 * VMA may be backed by huge pages (hugetlbfs): its first touch of a huge page
 * makes all of it, from an aligned run of contiguous frames.
 *
 * The CPU's page table (cpu_pgtable.h) is made the first time something
 * needs its root, an SVA bind handing it to an IOMMU (sim_mm_pgd), and from
 * then on every change to a page is written to it.  Every change that takes
 * a translation away or changes it (munmap, mprotect removing access, a
 * copy-on-write break, fork write-protecting the parent) first calls the
 * mm's notifiers (mmu_notifier invalidate), and the last user's exit calls
 * their release before the pages go.
 *
 * A native process (SIM_PROC_NATIVE) uses the calling program's real
 * pointers: the mm has no VMAs, and every access is validated through the
 * kernel (process_vm_readv/writev on the program itself), so a bad pointer
 * is -EFAULT, never a crash.
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
struct sim_mm;
struct sim_cpu_pgtable;

#define SIM_MM_BASE 0x10000000ull       /* first VA handed to a scenario buffer */
#define SIM_MM_GAP  0x100000ull         /* unmapped guard between buffers */
#define SIM_MM_TASK_SIZE 0x7ffffffff000ull   /* TASK_SIZE of a 4-level x86-64 process */

#define SIM_PROT_READ  0x1
#define SIM_PROT_WRITE 0x2

/* mmap flags (the values of <linux/mman.h>). */
#define SIM_MAP_SHARED    0x01
#define SIM_MAP_PRIVATE   0x02
#define SIM_MAP_FIXED     0x10
#define SIM_MAP_ANONYMOUS 0x20

/* Huge-page sizes of sim_mm_map_huge, as page shifts. */
#define SIM_MM_HUGE_2M 21
#define SIM_MM_HUGE_1G 30

/* The pages of a VMA, per 2 MiB of it (0: no page yet). */
#define SIM_MM_CHUNK_SHIFT 9
#define SIM_MM_CHUNK_PAGES (1u << SIM_MM_CHUNK_SHIFT)

/*
 * A page's slot: its frame's HPA, and in the low bits what the mm may do
 * with it.  SIM_SLOT_COW: a write must first copy it (a private page shared
 * since fork, or a file's page seen through a private mapping);
 * SIM_SLOT_FILE: the frame is the page cache's (or a shared anonymous
 * region's), not the mm's own.
 */
#define SIM_SLOT_COW  0x1ull
#define SIM_SLOT_FILE 0x2ull

/*
 * Memory behind a shared or file mapping: a named file's page cache (lives
 * with the world) or a MAP_SHARED | MAP_ANONYMOUS region (lives while it
 * is mapped).  Each present page holds one frame reference of its own.
 */
struct sim_mobj {
	struct sim_world *w;
	unsigned refcount;
	char *name;
	bool file;
	uint64_t size;          /* bytes, whole pages */
	uint64_t *pages;        /* size / 4 KiB HPAs (0: not read in yet) */
};

struct sim_vma {
	uint64_t start, len;    /* page-aligned (huge-page aligned when huge) */
	unsigned prot;
	unsigned flags;         /* SIM_MAP_SHARED or SIM_MAP_PRIVATE, | SIM_MAP_ANONYMOUS */
	unsigned huge_shift;    /* 0: 4 KiB pages, else SIM_MM_HUGE_* */
	char *name;
	struct sim_mobj *obj;   /* a file's or a shared region's memory, or NULL */
	uint64_t pgoff;         /* the page of @obj at @start */
	uint64_t **chunks;      /* len / 2 MiB (rounded up) slot chunks or NULL, made on first touch */
};

/*
 * An mmu notifier (mmu_interval/mmu_notifier of Linux, one callback each):
 * @invalidate runs before a translation of [start, end) goes away or
 * changes, while the old page still lives; @release when the last user
 * exits, before the pages go (the IOMMU stops walking the table then).
 * Registered notifiers are called in registration order.
 */
struct sim_mmu_notifier;
struct sim_mmu_notifier_ops {
	void (*invalidate)(struct sim_mmu_notifier *mn, struct sim_mm *mm, uint64_t start,
			   uint64_t end);
	void (*release)(struct sim_mmu_notifier *mn, struct sim_mm *mm);
};
struct sim_mmu_notifier {
	const struct sim_mmu_notifier_ops *ops;
	struct sim_mmu_notifier *next;
};

struct sim_mm {
	struct sim_world *w;
	unsigned refcount;         /* mmgrab: the struct lives */
	unsigned users;            /* processes using it (mm_users): 0 once exited */
	bool native;
	uint64_t next_va;
	struct sim_vma *vmas;   /* sorted by start, never overlapping */
	size_t nvmas;
	uint64_t locked_vm;     /* pages charged as locked (RLIMIT_MEMLOCK) */
	uint64_t pinned;        /* pin references held on this mm's pages */
	uint64_t pinned_vm;     /* pages iommufd charged as pinned (mm->pinned_vm) */
	unsigned dumpable;      /* get_dumpable(mm): SIM_DUMP_*; fork copies it */
	struct sim_cpu_pgtable *pgd;        /* the CPU page table, once asked for */
	struct sim_mmu_notifier *notifiers;
	uint64_t faults;        /* pages made or copied by faults (min+maj flt) */
	/* mm->iommu_mm: the IOMMU core's per-mm data (its SVA PASID), and
	 * what frees it when the struct goes (mm_pasid_drop in __mmdrop) */
	void *iommu_mm;
	void (*iommu_mm_drop)(struct sim_mm *mm);
};

/* mm->flags' dump mode (SUID_DUMP_* of <linux/sched/coredump.h>): only a
 * SIM_DUMP_USER mm may be ptrace-attached without CAP_SYS_PTRACE. */
#define SIM_DUMP_DISABLE 0
#define SIM_DUMP_USER    1
#define SIM_DUMP_ROOT    2

/* Created with the process; freed when the last reference goes. */
struct sim_mm *sim_mm_new(struct sim_world *w, bool native);
/*
 * fork (dup_mmap): a new mm with the same VMAs.  A private page is shared
 * copy-on-write, both sides write-protected (the parent's notifiers told
 * first), except a page that may be pinned for DMA (a reference beyond the
 * mm's own), which the child gets a copy of at once, as Linux copies a
 * maybe-pinned anonymous page at fork; huge pages are copied at once too.
 * A shared mapping's pages are the same object's: the child faults them in.
 * NULL on -ENOMEM (fault site "mm_dup", or a copy's frame); the parent is
 * unchanged then.
 */
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
/* Unmap the VMA starting at @va, whole: 0 or -EINVAL.  Pinned pages stay
 * alive (held by their pins) until unpinned, as on Linux. */
int sim_mm_unmap(struct sim_mm *mm, uint64_t va);
const struct sim_vma *sim_mm_find_vma(const struct sim_mm *mm, uint64_t va);

/*
 * mmap (do_mmap): @len bytes at @addr (0: the next deterministic address;
 * a hint that is taken when the range is free; with SIM_MAP_FIXED exactly
 * there, unmapping what was), of @file's pages from byte @off (@file NULL
 * and ignored with SIM_MAP_ANONYMOUS), with @prot's read and write bits
 * (others are ignored, as do_mmap ignores what it does not know).  Errors
 * in the kernel's order (sys_mmap, ksys_mmap_pgoff, do_mmap,
 * get_unmapped_area, file_mmap_ok): -EINVAL (a native mm, @off not
 * page-aligned), -EBADF (a file mapping without a file), -EINVAL (length 0),
 * -ENOMEM (the length rounds up past the end of the address space),
 * -EOVERFLOW (the page offset wraps), -ENOMEM (vm.max_map_count VMAs, a
 * length over SIM_MM_TASK_SIZE, a fixed range past it), -EINVAL (a fixed
 * address not page-aligned), -ENOMEM (no room), -EOVERFLOW (a file range
 * past MAX_LFS_FILESIZE), -EINVAL (not exactly one of SIM_MAP_SHARED and
 * SIM_MAP_PRIVATE; MAP_FIXED cutting a huge-page VMA off its boundary),
 * -ENOMEM (fault site "mm_vma_alloc").  0 with *va.
 */
int sim_mm_mmap(struct sim_mm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags,
		struct sim_mobj *file, uint64_t off, const char *name, uint64_t *va);
/*
 * munmap (do_vmi_munmap): -EINVAL for an address not page-aligned, length 0
 * or a range past SIM_MM_TASK_SIZE, or one that would split a huge-page
 * VMA off its huge-page boundary; holes are fine.  VMAs the range cuts are
 * split; the notifiers hear of [addr, addr + len) before any page goes.
 */
int sim_mm_munmap(struct sim_mm *mm, uint64_t addr, uint64_t len);
/*
 * mprotect (do_mprotect_pkey): -EINVAL (@addr not page-aligned, an unknown
 * protection bit, a huge-page VMA cut off its boundary), 0 for length 0,
 * -ENOMEM (the length wraps; no VMA at @addr; a hole: the VMAs before it
 * keep their new protection, as on Linux).  A change that takes an access
 * away tells the notifiers first.
 */
int sim_mm_mprotect(struct sim_mm *mm, uint64_t addr, uint64_t len, unsigned prot);

/*
 * A page fault on @va (the VMA check of do_user_addr_fault, then
 * handle_mm_fault): the page is made (anonymous: a zeroed frame mapped with
 * the VMA's protection; shared or file: the object's page; private file,
 * read: the page cache's page, read-only), or, for a write to a
 * copy-on-write page, copied (reused when no one else holds it).  0 with
 * *hpa (may be NULL) the page's frame now, -EFAULT (no VMA, or the VMA
 * forbids the access: SIGSEGV), -EIO (a file page past the end of its file:
 * SIGBUS) or -ENOMEM.
 */
int sim_mm_fault(struct sim_mm *mm, uint64_t va, bool write, uint64_t *hpa);
/* What a CPU touching every page of [va, va + len) does: sim_mm_fault on
 * each, in order, stopping at the first error (pages before it stay). */
int sim_mm_touch(struct sim_mm *mm, uint64_t va, uint64_t len, bool write);
/* The frame behind the page at @va and whether it may be written without a
 * fault now (the PTE's view): false when no page is present. */
bool sim_mm_lookup(const struct sim_mm *mm, uint64_t va, uint64_t *hpa, bool *writable);

/* The pages the mm maps (its resident set: the frames behind its slots,
 * every page of a present huge page). */
uint64_t sim_mm_rss(const struct sim_mm *mm);

/* Notifiers: registered at the head of the list's tail (called in
 * registration order), unregistered by pointer (a no-op when absent). */
void sim_mmu_notifier_register(struct sim_mm *mm, struct sim_mmu_notifier *mn);
void sim_mmu_notifier_unregister(struct sim_mm *mm, struct sim_mmu_notifier *mn);

/*
 * The CPU page table's root, made now (from the pages the mm already has)
 * when it does not exist yet, in the world's MMU format (sim_world_set_mmu).
 * 0 with *root, -EINVAL (native mm: its table is the host's), -ENOMEM.
 */
int sim_mm_pgd(struct sim_mm *mm, uint64_t *root);

/*
 * Simulated files: a named file's page cache, kept by the world.  Create
 * with a size (whole pages): 0, -EEXIST, -EINVAL (empty name, size 0 or not
 * below 1 TiB).  Find by name (NULL: none).  Read and write its bytes as
 * read(2)/write(2) at an offset would (pages made as written; reads of a
 * hole see zeros), -EINVAL past its end.
 */
int sim_mm_file_create(struct sim_world *w, const char *name, uint64_t size);
struct sim_mobj *sim_mm_file_find(struct sim_world *w, const char *name);
int sim_mm_file_rw(struct sim_mobj *f, uint64_t off, void *buf, uint64_t len, bool write);
/* The world's files, freed at its end (sim/world.c). */
void sim_mm_files_destroy(struct sim_world *w);

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
