/* SPDX-License-Identifier: MIT */
/*
 * User address spaces, uaccess and pinning.
 *
 * Scenario processes: VMAs at deterministic addresses, pages backed by host
 * frames allocated on first touch (reads of an untouched page see zeros
 * without allocating).  Each VMA keeps the HPAs of its pages in chunks of
 * 512 (2 MiB of VA), made when a page of theirs is first touched, so that a
 * page's frame is two loads away and a big buffer costs 8 bytes a page, not
 * a hash entry and an allocation.  Everything that walks pages does so in
 * address order (teardown, fork, unmap), so HPAs and the frame trace depend
 * only on what the process did.  A huge-page VMA (hugetlbfs) makes a whole
 * huge page on its first touch, from frames at consecutive HPAs aligned to
 * the huge page's size, as the kernel's huge page is physically contiguous.
 *
 * Native processes: the program's own memory, reached through
 * process_vm_readv/writev on itself so that a bad pointer returns EFAULT
 * from the kernel instead of faulting the program.
 *
 * Pinning a range is what pinning each page in turn is, done at once: the
 * same frames in the same order, the same errors at the same page, the same
 * questions to the fault sites.  Two things make it cheap:
 *   - a run of untouched pages gets its frames from one
 *     sim_mem_frames_alloc_n call when that is provably what single
 *     allocations would have given (pin_batch below);
 *   - a native range is validated by process_vm_readv/writev calls that
 *     probe one byte in each of up to 1024 pages, not two calls per page,
 *     and a long one by one read of /proc/self/maps (pin_run_native);
 *   - a native range's frames come in batches (sim_mem_frames_native_run:
 *     one fault-site question a batch, where single pins ask one a page),
 *     the same frames in the same order, none made past a run's break.
 * A THP-backed native process (SIM_PROC_NATIVE_THP) gets a huge page of
 * 512 aligned frames for each 2 MiB block wholly in one of its anonymous
 * mappings, made by the first pin of any page of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <glib.h>

#include "sim/cpu_pgtable.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "sim/world_internal.h"
#include "iommusim/iommusim.h"

#define CHUNK_BYTES ((uint64_t)SIM_MM_CHUNK_PAGES << SIM_PAGE_SHIFT)
#define CHUNK_MASK ((uint64_t)SIM_MM_CHUNK_PAGES - 1)
#define THP_SIZE (1ull << SIM_MM_HUGE_2M)      /* a transparent huge page */

struct sim_mm *sim_mm_new(struct sim_world *w, bool native)
{
	struct sim_mm *mm = g_new0(struct sim_mm, 1);

	mm->w = w;
	mm->refcount = 1;
	mm->users = 1;
	mm->native = native;
	mm->next_va = SIM_MM_BASE;
	mm->dumpable = SIM_DUMP_USER;
	return mm;
}

bool sim_mm_get_user(struct sim_mm *mm)
{
	if (!mm || !mm->users)
		return false;
	mm->users++;
	mm->refcount++;
	return true;
}

struct sim_mm *sim_mm_get(struct sim_mm *mm)
{
	mm->refcount++;
	return mm;
}

/* ---- a VMA's pages ---------------------------------------------------------- */

static uint64_t vma_nchunks(const struct sim_vma *v)
{
	return (v->len + CHUNK_BYTES - 1) / CHUNK_BYTES;
}

/* The slot of the page at @va (inside @v): HPA | SIM_SLOT_*, 0 when none. */
static uint64_t vma_slotval(const struct sim_vma *v, uint64_t va)
{
	uint64_t idx = (va - v->start) >> SIM_PAGE_SHIFT;
	const uint64_t *chunk = v->chunks ? v->chunks[idx >> SIM_MM_CHUNK_SHIFT] : NULL;

	return chunk ? chunk[idx & CHUNK_MASK] : 0;
}

/* The HPA of the page at @va (inside @v), 0 when it has no frame. */
static uint64_t vma_hpa(const struct sim_vma *v, uint64_t va)
{
	return vma_slotval(v, va) & SIM_PAGE_MASK;
}

/* Where the slot of the page at @va (inside @v) is kept, made if missing. */
static uint64_t *vma_slot(struct sim_vma *v, uint64_t va)
{
	uint64_t idx = (va - v->start) >> SIM_PAGE_SHIFT, c = idx >> SIM_MM_CHUNK_SHIFT;

	if (!v->chunks)
		v->chunks = g_new0(uint64_t *, vma_nchunks(v));
	if (!v->chunks[c])
		v->chunks[c] = g_new0(uint64_t, SIM_MM_CHUNK_PAGES);
	return &v->chunks[c][idx & CHUNK_MASK];
}

/* May the page in @slot of @v be written through its PTE now? */
static bool slot_writable(const struct sim_vma *v, uint64_t slot)
{
	return slot && (v->prot & SIM_PROT_WRITE) && !(slot & SIM_SLOT_COW);
}

/* The size of @v's pages. */
static uint64_t vma_step(const struct sim_vma *v)
{
	return v->huge_shift ? 1ull << v->huge_shift : SIM_PAGE_SIZE;
}

/*
 * Write the CPU's PTE of the page at @va (its huge page's leaf in a
 * huge-page VMA) from its slot, when the mm has a page table.  A table
 * the allocator cannot extend leaves the page unmapped in it: the CPU and
 * a walker fault on it, and the next fault tries again.
 */
static void pte_sync(struct sim_mm *mm, const struct sim_vma *v, uint64_t va)
{
	uint64_t step = vma_step(v), first = v->start + ((va - v->start) & ~(step - 1));
	uint64_t slot = vma_slotval(v, first);

	if (!mm->pgd)
		return;
	if (!slot || !(v->prot & SIM_PROT_READ))
		sim_cpt_clear(mm->pgd, first, v->huge_shift ? v->huge_shift : SIM_PAGE_SHIFT);
	else
		sim_cpt_set(mm->pgd, first, slot & SIM_PAGE_MASK,
			    v->huge_shift ? v->huge_shift : SIM_PAGE_SHIFT, slot_writable(v, slot));
}

/* Every PTE of [start, end) inside @v, from its slots. */
static void pte_sync_range(struct sim_mm *mm, const struct sim_vma *v, uint64_t start,
			   uint64_t end)
{
	if (!mm->pgd || !v->chunks)
		return;
	for (uint64_t va = start; va < end; va += vma_step(v))
		if (vma_slotval(v, va))
			pte_sync(mm, v, va);
}

/* Tell the notifiers that translations of [start, end) go or change. */
static void mm_invalidate(struct sim_mm *mm, uint64_t start, uint64_t end)
{
	for (struct sim_mmu_notifier *mn = mm->notifiers; mn; mn = mn->next)
		if (mn->ops->invalidate)
			mn->ops->invalidate(mn, mm, start, end);
}

/* Give back the mm's reference on every frame of [start, end) of @v,
 * lowest address first, clearing the slots and PTEs (pins hold their own:
 * a pinned frame lives on). */
static void vma_drop_range(struct sim_mm *mm, struct sim_vma *v, uint64_t start, uint64_t end)
{
	if (!v->chunks)
		return;
	for (uint64_t va = start; va < end; va += SIM_PAGE_SIZE) {
		uint64_t idx = (va - v->start) >> SIM_PAGE_SHIFT;
		uint64_t *chunk = v->chunks[idx >> SIM_MM_CHUNK_SHIFT], slot;

		if (!chunk) {   /* on to the next chunk */
			va = v->start + (((idx >> SIM_MM_CHUNK_SHIFT) + 1) << (SIM_MM_CHUNK_SHIFT +
								     SIM_PAGE_SHIFT)) - SIM_PAGE_SIZE;
			continue;
		}
		slot = chunk[idx & CHUNK_MASK];
		if (!slot)
			continue;
		chunk[idx & CHUNK_MASK] = 0;
		if (mm->pgd && !((va - v->start) & (vma_step(v) - 1)))
			sim_cpt_clear(mm->pgd, va, v->huge_shift ? v->huge_shift : SIM_PAGE_SHIFT);
		sim_mem_frame_put(mm->w, slot & SIM_PAGE_MASK);
	}
}

static void vma_free_chunks(struct sim_vma *v)
{
	for (uint64_t c = 0; v->chunks && c < vma_nchunks(v); c++)
		g_free(v->chunks[c]);
	g_free(v->chunks);
	v->chunks = NULL;
}

static void mobj_put(struct sim_mobj *o);

static void vma_free(struct sim_mm *mm, struct sim_vma *v)
{
	vma_drop_range(mm, v, v->start, v->start + v->len);
	vma_free_chunks(v);
	mobj_put(v->obj);
	g_free(v->name);
}

/* ---- memory objects: files and shared anonymous memory ---------------------------- */

#define FILE_MAX (1ull << 40)

static struct sim_mobj *mobj_new(struct sim_world *w, const char *name, uint64_t size, bool file)
{
	struct sim_mobj *o = g_new0(struct sim_mobj, 1);

	o->w = w;
	o->refcount = 1;
	o->name = g_strdup(name);
	o->file = file;
	o->size = size;
	o->pages = g_new0(uint64_t, size >> SIM_PAGE_SHIFT);
	return o;
}

static void mobj_put(struct sim_mobj *o)
{
	if (!o || --o->refcount)
		return;
	for (uint64_t i = 0; i < o->size >> SIM_PAGE_SHIFT; i++)
		if (o->pages[i])
			sim_mem_frame_put(o->w, o->pages[i]);
	g_free(o->pages);
	g_free(o->name);
	g_free(o);
}

/* The object's page @idx, read in (a zeroed frame) when missing: 0 with
 * *hpa, -EIO past its end (SIGBUS), -ENOMEM. */
static int mobj_page(struct sim_mobj *o, uint64_t idx, uint64_t *hpa)
{
	int ret;

	if (idx >= o->size >> SIM_PAGE_SHIFT)
		return -EIO;
	if (!o->pages[idx] && (ret = sim_mem_frame_alloc(o->w, SIM_FRAME_USER, &o->pages[idx])))
		return ret;
	*hpa = o->pages[idx];
	return 0;
}

static int name_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	(void)unused;
	return strcmp(a, b);
}

/* By name, strcmp order: the world's end frees them in that order. */
static GTree *files_table(struct sim_world *w, bool make)
{
	if (!w->mm_files && make)
		w->mm_files = g_tree_new_full(name_cmp, NULL, NULL, (GDestroyNotify)mobj_put);
	return w->mm_files;
}

int sim_mm_file_create(struct sim_world *w, const char *name, uint64_t size)
{
	struct sim_mobj *o;

	if (!name || !*name || !size || size >= FILE_MAX)
		return -EINVAL;
	if (sim_mm_file_find(w, name))
		return -EEXIST;
	o = mobj_new(w, name, (size + SIM_PAGE_SIZE - 1) & SIM_PAGE_MASK, true);
	g_tree_insert(files_table(w, true), o->name, o);
	return 0;
}

struct sim_mobj *sim_mm_file_find(struct sim_world *w, const char *name)
{
	GTree *t = files_table(w, false);

	return t && name ? g_tree_lookup(t, name) : NULL;
}

int sim_mm_file_rw(struct sim_mobj *f, uint64_t off, void *buf, uint64_t len, bool write)
{
	uint8_t *b = buf;

	if (off > f->size || len > f->size - off)
		return -EINVAL;
	while (len) {
		uint64_t idx = off >> SIM_PAGE_SHIFT, in = off & ~SIM_PAGE_MASK;
		uint64_t n = MIN(len, SIM_PAGE_SIZE - in), hpa;
		int ret;

		if (write) {
			if ((ret = mobj_page(f, idx, &hpa)))
				return ret;
			sim_mem_write(f->w, hpa + in, b, n);
		} else if (f->pages[idx]) {
			sim_mem_read(f->w, f->pages[idx] + in, b, n);
		} else {
			memset(b, 0, n);
		}
		b += n;
		off += n;
		len -= n;
	}
	return 0;
}

void sim_mm_files_destroy(struct sim_world *w)
{
	if (w->mm_files)
		g_tree_destroy(w->mm_files);
	w->mm_files = NULL;
}

/* ---- huge pages ------------------------------------------------------------- */

/*
 * A 1 GiB page from sim_mem_frames_alloc_contig, whose runs stop at 4096
 * frames (16 MiB): 64 runs, each aligned to its size and taken from the bump
 * pointer, so consecutive runs are consecutive frames, the first at a 1 GiB
 * boundary.  The runs the allocator hands out below that boundary are
 * padding, given back at once except for the last frame of each, held
 * until the page is whole: it keeps the bump pointer above the padding, so
 * the next run does not land on it again.  What was given back is free for
 * single frames, as the memory below a gigantic page is on Linux.
 */
#define GIGA_RUN 4096u
#define GIGA_RUN_BYTES ((uint64_t)GIGA_RUN << SIM_PAGE_SHIFT)
#define GIGA_RUNS ((1u << (SIM_MM_HUGE_1G - SIM_PAGE_SHIFT)) / GIGA_RUN)

static void giga_pad(struct sim_world *w, GArray *held, uint64_t first, unsigned runs)
{
	for (unsigned r = 0; r < runs; r++) {
		uint64_t run = first + r * GIGA_RUN_BYTES;
		uint64_t last = run + GIGA_RUN_BYTES - SIM_PAGE_SIZE;

		for (uint64_t hpa = run; hpa < last; hpa += SIM_PAGE_SIZE)
			sim_mem_frame_put(w, hpa);
		g_array_append_val(held, last);
	}
}

static int giga_frames(struct sim_world *w, uint64_t *base)
{
	GArray *held = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	uint64_t start = 0, hpa;
	unsigned have = 0;
	int ret = 0;

	while (have < GIGA_RUNS) {
		ret = sim_mem_frames_alloc_contig(w, SIM_FRAME_USER, GIGA_RUN, &hpa);
		if (ret)
			break;
		if (have && hpa == start + have * GIGA_RUN_BYTES) {
			have++;
			continue;
		}
		/* a DMA's first touch sat in the way, or not at a boundary yet:
		 * what was gathered is padding */
		giga_pad(w, held, start, have);
		have = 0;
		if (!(hpa & ((1ull << SIM_MM_HUGE_1G) - 1))) {
			start = hpa;
			have = 1;
		} else {
			giga_pad(w, held, hpa, 1);
		}
	}
	if (ret)   /* highest first: the bump pointer comes down again */
		for (uint64_t hpa2 = start + have * GIGA_RUN_BYTES; hpa2 > start; )
			sim_mem_frame_put(w, hpa2 -= SIM_PAGE_SIZE);
	for (guint i = held->len; i--; )
		sim_mem_frame_put(w, g_array_index(held, uint64_t, i));
	g_array_free(held, TRUE);
	*base = start;
	return ret;
}

/* The frames of one huge page of 1 << @shift bytes: consecutive, the first
 * (*base) aligned to the size.  0 or -ENOMEM, all or none. */
static int huge_frames(struct sim_world *w, unsigned shift, uint64_t *base)
{
	if (shift == SIM_MM_HUGE_2M)
		return sim_mem_frames_alloc_contig(w, SIM_FRAME_USER,
						   1u << (SIM_MM_HUGE_2M - SIM_PAGE_SHIFT), base);
	return giga_frames(w, base);
}


/* ---- faults ------------------------------------------------------------------ */

/*
 * First touch of the page at @va in @v, anonymous memory: its frame, or in
 * a huge-page VMA every frame of the huge page holding it, mapped with the
 * VMA's protection (do_anonymous_page maps a new page writable whenever the
 * VMA is).  0 with the page's HPA in *hpa, or -ENOMEM (nothing made).
 */
static int anon_fault(struct sim_mm *mm, struct sim_vma *v, uint64_t va, uint64_t *hpa)
{
	uint64_t size, first, base;
	int ret;

	if (!v->huge_shift) {
		ret = sim_mem_frame_alloc(mm->w, SIM_FRAME_USER, hpa);
		if (ret)
			return ret;
		*vma_slot(v, va) = *hpa;
	} else {
		size = 1ull << v->huge_shift;
		first = v->start + ((va - v->start) & ~(size - 1));
		ret = huge_frames(mm->w, v->huge_shift, &base);
		if (ret)
			return ret;
		for (uint64_t off = 0; off < size; off += SIM_PAGE_SIZE)
			*vma_slot(v, first + off) = base + off;
		*hpa = base + ((va - first) & SIM_PAGE_MASK);
	}
	mm->faults++;
	pte_sync(mm, v, va);
	return 0;
}

/* A new frame of the mm's own holding a copy of the page at @from. */
static int copy_page(struct sim_world *w, uint64_t from, uint64_t *to)
{
	uint8_t page[SIM_PAGE_SIZE];
	int ret = sim_mem_frame_alloc(w, SIM_FRAME_USER, to);

	if (ret)
		return ret;
	sim_mem_read(w, from, page, sizeof(page));
	sim_mem_write(w, *to, page, sizeof(page));
	return 0;
}

/*
 * A write to the copy-on-write page at @va (do_wp_page): an anonymous page
 * no one else holds any more is taken over as it is (wp_page_reuse); any
 * other gets a copy (wp_page_copy), the notifiers told before the PTE
 * moves to it, the old page's reference given back after.
 */
static int wp_fault(struct sim_mm *mm, struct sim_vma *v, uint64_t va, uint64_t *hpa)
{
	uint64_t *slot = vma_slot(v, va), old = *slot & SIM_PAGE_MASK, page;
	int ret;

	if (!(*slot & SIM_SLOT_FILE) && sim_mem_frame_refs(mm->w, old, NULL) == 1) {
		*slot = old;
		pte_sync(mm, v, va);
		*hpa = old;
		return 0;
	}
	if ((ret = copy_page(mm->w, old, &page)))
		return ret;
	mm_invalidate(mm, va & SIM_PAGE_MASK, (va & SIM_PAGE_MASK) + SIM_PAGE_SIZE);
	*slot = page;
	pte_sync(mm, v, va);
	sim_mem_frame_put(mm->w, old);
	mm->faults++;
	*hpa = page;
	return 0;
}

/* handle_mm_fault on @v, the access already allowed by its protection. */
static int vma_fault(struct sim_mm *mm, struct sim_vma *v, uint64_t va, bool write, uint64_t *hpa)
{
	uint64_t slot = vma_slotval(v, va), page, idx;
	int ret;

	if (slot) {
		*hpa = slot & SIM_PAGE_MASK;
		if (write && (slot & SIM_SLOT_COW))
			return wp_fault(mm, v, va, hpa);
		/* a PTE an earlier table allocation could not write: again */
		if (mm->pgd && !sim_cpt_walk(mm->pgd, va, NULL, NULL))
			pte_sync(mm, v, va);
		return 0;
	}
	if (!v->obj)
		return anon_fault(mm, v, va, hpa);
	idx = v->pgoff + ((va - v->start) >> SIM_PAGE_SHIFT);
	if ((ret = mobj_page(v->obj, idx, &page)))
		return ret;
	if ((v->flags & SIM_MAP_SHARED) || !write) {   /* the page cache's page itself */
		sim_mem_frame_get(mm->w, page);
		slot = page | SIM_SLOT_FILE | ((v->flags & SIM_MAP_SHARED) ? 0 : SIM_SLOT_COW);
	} else {                                       /* a private copy at once */
		if ((ret = copy_page(mm->w, page, &slot)))
			return ret;
	}
	*vma_slot(v, va) = slot;
	mm->faults++;
	pte_sync(mm, v, va);
	*hpa = slot & SIM_PAGE_MASK;
	return 0;
}

/* The VMA holding @va, to change its pages. */
static struct sim_vma *vma_at(struct sim_mm *mm, uint64_t va)
{
	return (struct sim_vma *)sim_mm_find_vma(mm, va);
}

int sim_mm_fault(struct sim_mm *mm, uint64_t va, bool write, uint64_t *hpa)
{
	struct sim_vma *v = mm->native ? NULL : vma_at(mm, va);
	uint64_t got;

	if (!v || !(v->prot & (write ? SIM_PROT_WRITE : SIM_PROT_READ)))
		return -EFAULT;
	return vma_fault(mm, v, va, write, hpa ? hpa : &got);
}

int sim_mm_touch(struct sim_mm *mm, uint64_t va, uint64_t len, bool write)
{
	uint64_t page = va & SIM_PAGE_MASK, end = va + len;

	if (end < va)
		return -EFAULT;
	for (; page < end; page += SIM_PAGE_SIZE) {
		int ret = sim_mm_fault(mm, page, write, NULL);

		if (ret)
			return ret;
	}
	return 0;
}

bool sim_mm_lookup(const struct sim_mm *mm, uint64_t va, uint64_t *hpa, bool *writable)
{
	const struct sim_vma *v = sim_mm_find_vma(mm, va);
	uint64_t slot = v && (v->prot & SIM_PROT_READ) ? vma_slotval(v, va) : 0;

	if (hpa)
		*hpa = slot & SIM_PAGE_MASK;
	if (writable)
		*writable = v && slot_writable(v, slot);
	return slot != 0;
}

uint64_t sim_mm_rss(const struct sim_mm *mm)
{
	uint64_t n = 0;

	for (size_t i = 0; i < mm->nvmas; i++) {
		const struct sim_vma *v = &mm->vmas[i];

		for (uint64_t c = 0; v->chunks && c < vma_nchunks(v); c++)
			for (unsigned k = 0; v->chunks[c] && k < SIM_MM_CHUNK_PAGES; k++)
				n += v->chunks[c][k] != 0;
	}
	return n;
}

/* ---- notifiers and the page table ------------------------------------------------ */

void sim_mmu_notifier_register(struct sim_mm *mm, struct sim_mmu_notifier *mn)
{
	struct sim_mmu_notifier **pos = &mm->notifiers;

	while (*pos)
		pos = &(*pos)->next;
	mn->next = NULL;
	*pos = mn;
}

void sim_mmu_notifier_unregister(struct sim_mm *mm, struct sim_mmu_notifier *mn)
{
	for (struct sim_mmu_notifier **pos = &mm->notifiers; *pos; pos = &(*pos)->next)
		if (*pos == mn) {
			*pos = mn->next;
			mn->next = NULL;
			return;
		}
}

int sim_mm_pgd(struct sim_mm *mm, uint64_t *root)
{
	if (mm->native || !mm->users)
		return -EINVAL;
	if (!mm->pgd) {
		mm->pgd = sim_cpt_new(mm->w, sim_world_mmu(mm->w));
		if (!mm->pgd)
			return -ENOMEM;
		for (size_t i = 0; i < mm->nvmas; i++)
			pte_sync_range(mm, &mm->vmas[i], mm->vmas[i].start,
				       mm->vmas[i].start + mm->vmas[i].len);
	}
	*root = sim_cpt_root(mm->pgd);
	return 0;
}

/* ---- the mm ------------------------------------------------------------------- */

/* exit_mmap: the notifiers' release (after which they are gone), then every
 * VMA and the page table. */
static void mm_teardown(struct sim_mm *mm)
{
	struct sim_mmu_notifier *mn;

	/* one at a time off the head: a release may unregister others (a
	 * bond's release frees a domain whose notifier is further on) */
	while ((mn = mm->notifiers)) {
		mm->notifiers = mn->next;
		mn->next = NULL;
		if (mn->ops->release)
			mn->ops->release(mn, mm);
	}
	for (size_t i = 0; i < mm->nvmas; i++)
		vma_free(mm, &mm->vmas[i]);
	g_free(mm->vmas);
	mm->vmas = NULL;
	mm->nvmas = 0;
	sim_cpt_free(mm->pgd);
	mm->pgd = NULL;
}

void sim_mm_exit(struct sim_mm *mm)
{
	if (!mm)
		return;
	if (!--mm->users)
		mm_teardown(mm);
	sim_mm_put(mm);
}

void sim_mm_put(struct sim_mm *mm)
{
	if (!mm || --mm->refcount)
		return;
	mm_teardown(mm);
	if (mm->iommu_mm_drop)
		mm->iommu_mm_drop(mm);
	g_free(mm);
}

/* The child's copy of every page of the huge-page VMA @old into @v (the
 * same VMA in the child), in address order, into huge pages. */
static int vma_copy_huge(struct sim_mm *mm, struct sim_vma *v, const struct sim_vma *old)
{
	uint64_t step = vma_step(v);
	uint8_t *page = g_malloc(SIM_PAGE_SIZE);
	int ret = 0;

	for (uint64_t off = 0; off < v->len && !ret; off += step) {
		uint64_t hpa;

		if (!vma_hpa(old, old->start + off))
			continue;
		ret = anon_fault(mm, v, v->start + off, &hpa);
		if (!ret)
			mm->faults--;     /* fork's copy, not a fault */
		for (uint64_t o = 0; !ret && o < step; o += SIM_PAGE_SIZE) {
			uint64_t from = vma_hpa(old, old->start + off + o);

			sim_mem_read(mm->w, from, page, SIM_PAGE_SIZE);
			ret = sim_mem_write(mm->w, hpa + o, page, SIM_PAGE_SIZE);
		}
	}
	g_free(page);
	return ret;
}

/* Is the page in @slot anonymous memory this mm alone maps but something
 * else holds (page_maybe_dma_pinned)?  fork copies those at once. */
static bool slot_maybe_pinned(struct sim_world *w, uint64_t slot)
{
	return !(slot & (SIM_SLOT_FILE | SIM_SLOT_COW)) &&
	       sim_mem_frame_refs(w, slot & SIM_PAGE_MASK, NULL) > 1;
}

/* Pass one of fork over private VMA @old: copy what must be copied now
 * into the child's @v (huge pages, maybe-pinned pages). */
static int dup_copy(struct sim_mm *mm, struct sim_vma *v, const struct sim_vma *old)
{
	if (old->huge_shift)
		return vma_copy_huge(mm, v, old);
	for (uint64_t va = old->start; old->chunks && va < old->start + old->len;
	     va += SIM_PAGE_SIZE) {
		uint64_t slot = vma_slotval(old, va), page;
		int ret;

		if (!slot || !slot_maybe_pinned(mm->w, slot))
			continue;
		if ((ret = copy_page(mm->w, slot & SIM_PAGE_MASK, &page)))
			return ret;
		*vma_slot(v, va) = page;
		pte_sync(mm, v, va);
	}
	return 0;
}

/* Pass two (nothing fails): share the rest copy-on-write, write-protecting
 * the parent's pages, its notifiers told first. */
static void dup_share(struct sim_mm *old_mm, struct sim_vma *old, struct sim_mm *mm,
		      struct sim_vma *v)
{
	bool told = false;

	for (uint64_t va = old->start; old->chunks && va < old->start + old->len;
	     va += SIM_PAGE_SIZE) {
		uint64_t *slot, s = vma_slotval(old, va);

		if (!s || (s & SIM_SLOT_FILE) || vma_slotval(v, va))
			continue;     /* a file page refaults in the child */
		if (!told && slot_writable(old, s)) {
			mm_invalidate(old_mm, old->start, old->start + old->len);
			told = true;
		}
		slot = vma_slot(old, va);
		*slot |= SIM_SLOT_COW;
		pte_sync(old_mm, old, va);
		sim_mem_frame_get(mm->w, s & SIM_PAGE_MASK);
		*vma_slot(v, va) = *slot;
	}
}

struct sim_mm *sim_mm_dup(struct sim_mm *old)
{
	struct sim_mm *mm;

	if (sim_should_fail(old->w, "mm_dup"))
		return NULL;
	mm = sim_mm_new(old->w, old->native);
	mm->next_va = old->next_va;
	mm->dumpable = old->dumpable;
	mm->vmas = g_new0(struct sim_vma, old->nvmas ? old->nvmas : 1);
	for (size_t i = 0; i < old->nvmas; i++) {
		struct sim_vma *v = &mm->vmas[i];

		*v = old->vmas[i];
		v->name = g_strdup(old->vmas[i].name);
		v->chunks = NULL;
		if (v->obj)
			v->obj->refcount++;
		mm->nvmas = i + 1;
		if (!(v->flags & SIM_MAP_SHARED) && dup_copy(mm, v, &old->vmas[i])) {
			sim_mm_put(mm);
			return NULL;
		}
	}
	for (size_t i = 0; i < old->nvmas; i++)
		if (!(old->vmas[i].flags & SIM_MAP_SHARED) && !old->vmas[i].huge_shift)
			dup_share(old, &old->vmas[i], mm, &mm->vmas[i]);
	return mm;
}

/* ---- VMAs --------------------------------------------------------------------- */

#define MAX_MAP_COUNT 65530     /* sysctl vm.max_map_count's default */

/* The index of the first VMA ending above @va. */
static size_t vma_index(const struct sim_mm *mm, uint64_t va)
{
	size_t lo = 0, hi = mm->nvmas;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (mm->vmas[mid].start + mm->vmas[mid].len <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool range_free(const struct sim_mm *mm, uint64_t start, uint64_t len)
{
	size_t i = vma_index(mm, start);

	return i == mm->nvmas || mm->vmas[i].start >= start + len;
}

/* The next deterministic address for @len bytes aligned to @align: from
 * next_va up, past any VMA in the way; 0 when none is left. */
static uint64_t free_area(const struct sim_mm *mm, uint64_t len, uint64_t align)
{
	uint64_t start = (mm->next_va + align - 1) & ~(align - 1);

	for (;;) {
		size_t i;

		if (start > SIM_MM_TASK_SIZE || len > SIM_MM_TASK_SIZE - start)
			return 0;
		i = vma_index(mm, start);
		if (i == mm->nvmas || mm->vmas[i].start >= start + len)
			return start;
		start = mm->vmas[i].start + mm->vmas[i].len + SIM_MM_GAP;
		start = (start + align - 1) & ~(align - 1);
	}
}

/* A zeroed VMA at index @i, starting at @start. */
static struct sim_vma *vma_insert_at(struct sim_mm *mm, size_t i, uint64_t start)
{
	mm->vmas = g_renew(struct sim_vma, mm->vmas, mm->nvmas + 1);
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvmas - i) * sizeof(*mm->vmas));
	mm->nvmas++;
	memset(&mm->vmas[i], 0, sizeof(mm->vmas[i]));
	mm->vmas[i].start = start;
	return &mm->vmas[i];
}

/* A zeroed VMA at @start (in a free range), in order. */
static struct sim_vma *vma_insert(struct sim_mm *mm, uint64_t start)
{
	return vma_insert_at(mm, vma_index(mm, start), start);
}

int sim_mm_map_huge(struct sim_mm *mm, uint64_t len, unsigned prot, const char *name,
		    unsigned huge_shift, uint64_t *va)
{
	uint64_t align = huge_shift ? 1ull << huge_shift : SIM_PAGE_SIZE;
	uint64_t size = (len + SIM_PAGE_SIZE - 1) & SIM_PAGE_MASK, start;
	struct sim_vma *v;

	if (mm->native || len == 0 || size < len || (prot & ~(SIM_PROT_READ | SIM_PROT_WRITE)))
		return -EINVAL;
	if (huge_shift && ((huge_shift != SIM_MM_HUGE_2M && huge_shift != SIM_MM_HUGE_1G) ||
			   (len & (align - 1))))
		return -EINVAL;
	start = free_area(mm, size, align);
	if (!start || mm->nvmas >= MAX_MAP_COUNT || sim_should_fail(mm->w, "mm_vma_alloc"))
		return -ENOMEM;
	v = vma_insert(mm, start);
	v->len = size;
	v->prot = prot;
	v->flags = SIM_MAP_PRIVATE | SIM_MAP_ANONYMOUS;
	v->huge_shift = huge_shift;
	v->name = g_strdup(name ? name : "anon");
	*va = v->start;
	mm->next_va = start + size + SIM_MM_GAP;
	return 0;
}

int sim_mm_map(struct sim_mm *mm, uint64_t len, unsigned prot, const char *name,
	       uint64_t *va)
{
	return sim_mm_map_huge(mm, len, prot, name, 0, va);
}

const struct sim_vma *sim_mm_find_vma(const struct sim_mm *mm, uint64_t va)
{
	size_t i = vma_index(mm, va);

	return i < mm->nvmas && mm->vmas[i].start <= va ? &mm->vmas[i] : NULL;
}

uint64_t sim_mm_untouched(const struct sim_mm *mm, uint64_t va, uint64_t len)
{
	uint64_t n = 0, page, last;

	if (mm->native || !len || va + len - 1 < va)
		return 0;
	page = va & SIM_PAGE_MASK;
	last = (va + len - 1) & SIM_PAGE_MASK;
	while (page <= last) {
		const struct sim_vma *v = sim_mm_find_vma(mm, page);
		uint64_t step, first, slot;

		if (!v) {           /* outside every VMA: a page each */
			n++;
			if (page == last)
				break;
			page += SIM_PAGE_SIZE;
			continue;
		}
		step = vma_step(v);
		first = v->start + ((page - v->start) & ~(step - 1));
		slot = vma_slotval(v, first);
		/* no page yet, or one a write would copy (wp_fault: all but
		 * an anonymous page no one else holds) */
		if (!slot)
			n += step >> SIM_PAGE_SHIFT;
		else if ((slot & SIM_SLOT_COW) &&
			 ((slot & SIM_SLOT_FILE) ||
			  sim_mem_frame_refs(mm->w, slot & SIM_PAGE_MASK, NULL) > 1))
			n++;
		if (last - first < step)
			break;
		page = first + step;
	}
	return n;
}

/* May @v be cut at @at (a hugetlb VMA only at its huge-page boundary)? */
static bool vma_may_split(const struct sim_vma *v, uint64_t at)
{
	return at <= v->start || at >= v->start + v->len || !(at & (vma_step(v) - 1));
}

/* Cut the VMA at index @i in two at @at (inside it): its pages from @at
 * move to the new one, at index i + 1. */
static void vma_split(struct sim_mm *mm, size_t i, uint64_t at)
{
	struct sim_vma *v, *t;

	vma_insert_at(mm, i + 1, at);
	v = &mm->vmas[i];
	t = &mm->vmas[i + 1];
	*t = *v;
	t->start = at;
	t->len = v->start + v->len - at;
	t->name = g_strdup(v->name);
	t->pgoff = v->pgoff + ((at - v->start) >> SIM_PAGE_SHIFT);
	t->chunks = NULL;
	if (t->obj)
		t->obj->refcount++;
	for (uint64_t va = at; v->chunks && va < at + t->len; va += SIM_PAGE_SIZE) {
		uint64_t s = vma_slotval(v, va);

		if (s)
			*vma_slot(t, va) = s;
	}
	v->len = at - v->start;
	if (v->chunks) {   /* the head keeps only its own chunks */
		uint64_t **old = v->chunks, n = (t->start + t->len - v->start + CHUNK_BYTES - 1) /
						CHUNK_BYTES;

		v->chunks = g_new0(uint64_t *, vma_nchunks(v));
		for (uint64_t c = 0; c < n; c++) {
			if (c < vma_nchunks(v) && old[c]) {
				v->chunks[c] = old[c];
				/* slots past the cut now belong to the tail */
				for (unsigned k = 0; k < SIM_MM_CHUNK_PAGES; k++)
					if (v->start + (((c << SIM_MM_CHUNK_SHIFT) + k) << SIM_PAGE_SHIFT) >= at)
						v->chunks[c][k] = 0;
			} else {
				g_free(old[c]);
			}
		}
		g_free(old);
	}
}

/* Split VMAs so that @at is a boundary; false if one may not be cut there. */
static bool split_at(struct sim_mm *mm, uint64_t at, bool doit)
{
	size_t i = vma_index(mm, at);
	struct sim_vma *v = i < mm->nvmas ? &mm->vmas[i] : NULL;

	if (!v || v->start >= at)
		return true;
	if (!vma_may_split(v, at))
		return false;
	if (doit)
		vma_split(mm, i, at);
	return true;
}

/* Remove [start, end) (boundaries already split): notifiers first. */
static void unmap_range(struct sim_mm *mm, uint64_t start, uint64_t end)
{
	size_t i = vma_index(mm, start), j = i;

	while (j < mm->nvmas && mm->vmas[j].start < end)
		j++;
	if (j == i)
		return;
	mm_invalidate(mm, start, end);
	for (size_t k = i; k < j; k++)
		vma_free(mm, &mm->vmas[k]);
	memmove(&mm->vmas[i], &mm->vmas[j], (mm->nvmas - j) * sizeof(*mm->vmas));
	mm->nvmas -= j - i;
}

int sim_mm_munmap(struct sim_mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t end;

	if ((addr & ~SIM_PAGE_MASK) || addr > SIM_MM_TASK_SIZE || len > SIM_MM_TASK_SIZE - addr)
		return -EINVAL;
	end = addr + ((len + SIM_PAGE_SIZE - 1) & SIM_PAGE_MASK);
	if (end == addr)
		return -EINVAL;
	if (!split_at(mm, addr, false) || !split_at(mm, end, false))
		return -EINVAL;
	split_at(mm, addr, true);
	split_at(mm, end, true);
	unmap_range(mm, addr, end);
	return 0;
}

int sim_mm_unmap(struct sim_mm *mm, uint64_t va)
{
	const struct sim_vma *v = sim_mm_find_vma(mm, va);

	if (!v || v->start != va)
		return -EINVAL;
	unmap_range(mm, v->start, v->start + v->len);
	return 0;
}

int sim_mm_mmap(struct sim_mm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags,
		struct sim_mobj *file, uint64_t off, const char *name, uint64_t *va)
{
	uint64_t size = (len + SIM_PAGE_SIZE - 1) & SIM_PAGE_MASK, pgoff = off >> SIM_PAGE_SHIFT;
	unsigned type = flags & 0x0f;     /* MAP_TYPE */
	struct sim_vma *v;
	uint64_t start;

	if (mm->native || (off & ~SIM_PAGE_MASK))
		return -EINVAL;
	if (!(flags & SIM_MAP_ANONYMOUS) && !file)
		return -EBADF;
	if (flags & SIM_MAP_ANONYMOUS)
		file = NULL;
	if (!len)
		return -EINVAL;
	if (!size)
		return -ENOMEM;
	if (pgoff + (size >> SIM_PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (!file)
		pgoff = 0;
	if (mm->nvmas >= MAX_MAP_COUNT || size > SIM_MM_TASK_SIZE)
		return -ENOMEM;
	if (flags & SIM_MAP_FIXED) {
		if (addr > SIM_MM_TASK_SIZE - size)
			return -ENOMEM;
		if (addr & ~SIM_PAGE_MASK)
			return -EINVAL;
		start = addr;
	} else if (addr && !(addr & ~SIM_PAGE_MASK) && addr <= SIM_MM_TASK_SIZE - size &&
		   range_free(mm, addr, size)) {
		start = addr;
	} else if (!(start = free_area(mm, size, SIM_PAGE_SIZE))) {
		return -ENOMEM;
	}
	/* file_mmap_ok: the last byte within MAX_LFS_FILESIZE */
	if (file && (size > INT64_MAX || pgoff > (INT64_MAX - size) >> SIM_PAGE_SHIFT))
		return -EOVERFLOW;
	if (type != SIM_MAP_SHARED && type != SIM_MAP_PRIVATE)
		return -EINVAL;
	if ((flags & SIM_MAP_FIXED) && (!split_at(mm, start, false) ||
					!split_at(mm, start + size, false)))
		return -EINVAL;
	if (sim_should_fail(mm->w, "mm_vma_alloc"))
		return -ENOMEM;
	if (flags & SIM_MAP_FIXED) {       /* what was there goes */
		split_at(mm, start, true);
		split_at(mm, start + size, true);
		unmap_range(mm, start, start + size);
	} else {
		mm->next_va = start + size + SIM_MM_GAP;
	}
	v = vma_insert(mm, start);
	v->len = size;
	v->prot = prot & (SIM_PROT_READ | SIM_PROT_WRITE);
	v->flags = type | (file ? 0 : SIM_MAP_ANONYMOUS);
	v->name = g_strdup(name ? name : file ? file->name : "anon");
	v->pgoff = pgoff;
	if (file) {
		v->obj = file;
		file->refcount++;
	} else if (type == SIM_MAP_SHARED) {   /* shmem_zero_setup */
		v->obj = mobj_new(mm->w, "dev/zero", size, false);
	}
	*va = start;
	return 0;
}

int sim_mm_mprotect(struct sim_mm *mm, uint64_t addr, uint64_t len, unsigned prot)
{
	uint64_t end, at;
	size_t i;

	if (addr & ~SIM_PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	end = addr + ((len + SIM_PAGE_SIZE - 1) & SIM_PAGE_MASK);
	if (end <= addr)
		return -ENOMEM;
	if (prot & ~0xfu)     /* PROT_READ | WRITE | EXEC | SEM: arch_validate_prot */
		return -EINVAL;
	prot &= SIM_PROT_READ | SIM_PROT_WRITE;
	for (at = addr; at < end;) {
		struct sim_vma *v;
		unsigned lost;

		i = vma_index(mm, at);
		if (i == mm->nvmas || mm->vmas[i].start > at)
			return -ENOMEM;     /* a hole: what came before keeps its change */
		if (!split_at(mm, at, false) || !split_at(mm, end, false))
			return -EINVAL;
		split_at(mm, at, true);
		split_at(mm, end, true);
		i = vma_index(mm, at);
		v = &mm->vmas[i];
		lost = v->prot & ~prot;
		if (lost && v->chunks)
			mm_invalidate(mm, v->start, v->start + v->len);
		v->prot = prot;
		pte_sync_range(mm, v, v->start, v->start + v->len);
		at = v->start + v->len;
	}
	return 0;
}

/* Is [va, va+n) inside VMAs that allow @prot? */
static bool range_ok(const struct sim_mm *mm, uint64_t va, size_t n, unsigned prot)
{
	uint64_t end = va + n;

	if (end < va)
		return false;
	while (va < end) {
		const struct sim_vma *v = sim_mm_find_vma(mm, va);
		if (!v || (v->prot & prot) != prot)
			return false;
		va = v->start + v->len;
	}
	return true;
}

/* ---- uaccess -------------------------------------------------------------------- */

static int native_rw(void *local, uint64_t uva, size_t n, bool write)
{
	struct iovec l = { .iov_base = local, .iov_len = n };
	struct iovec r = { .iov_base = (void *)(uintptr_t)uva, .iov_len = n };
	ssize_t done;

	if (!n)
		return 0;
	done = write ? process_vm_writev(getpid(), &l, 1, &r, 1, 0)
		     : process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	return done == (ssize_t)n ? 0 : -EFAULT;
}

int sim_copy_from_user(struct sim_proc *p, void *dst, uint64_t uva, size_t n)
{
	return sim_mm_copy_from(p->mm, dst, uva, n);
}

int sim_mm_copy_from(struct sim_mm *mm, void *dst, uint64_t uva, size_t n)
{
	struct sim_vma *v = NULL;
	uint8_t *out = dst;

	if (mm->native)
		return native_rw(dst, uva, n, false);
	if (!range_ok(mm, uva, n, SIM_PROT_READ))
		return -EFAULT;
	while (n) {
		size_t off = uva & (SIM_PAGE_SIZE - 1), chunk = MIN(n, SIM_PAGE_SIZE - off);
		uint64_t hpa;

		if (!v || uva - v->start >= v->len)
			v = vma_at(mm, uva);
		hpa = vma_hpa(v, uva);
		/* a file's page is read in; an anonymous page never touched
		 * reads as zeros without being made (Linux would map its zero
		 * page; nothing here walks that) */
		if (!hpa && v->obj) {
			int ret = vma_fault(mm, v, uva, false, &hpa);

			if (ret)
				return ret == -ENOMEM ? ret : -EFAULT;
		}
		if (hpa)
			sim_mem_read(mm->w, hpa + off, out, chunk);
		else
			memset(out, 0, chunk);
		out += chunk;
		uva += chunk;
		n -= chunk;
	}
	return 0;
}

int sim_copy_to_user(struct sim_proc *p, uint64_t uva, const void *src, size_t n)
{
	return sim_mm_copy_to(p->mm, uva, src, n);
}

int sim_mm_copy_to(struct sim_mm *mm, uint64_t uva, const void *src, size_t n)
{
	struct sim_vma *v = NULL;
	const uint8_t *in = src;

	if (mm->native)
		return native_rw((void *)src, uva, n, true);
	if (!range_ok(mm, uva, n, SIM_PROT_WRITE))
		return -EFAULT;
	while (n) {
		size_t off = uva & (SIM_PAGE_SIZE - 1), chunk = MIN(n, SIM_PAGE_SIZE - off);
		uint64_t hpa;

		if (!v || uva - v->start >= v->len)
			v = vma_at(mm, uva);
		hpa = vma_hpa(v, uva);
		if (!hpa || (vma_slotval(v, uva) & SIM_SLOT_COW)) {
			int ret = vma_fault(mm, v, uva, true, &hpa);

			if (ret)
				return ret == -ENOMEM ? ret : -EFAULT;
		}
		sim_mem_write(mm->w, hpa + off, in, chunk);
		in += chunk;
		uva += chunk;
		n -= chunk;
	}
	return 0;
}

/* ---- pinning ------------------------------------------------------------------------ */

/*
 * May a run of first touches take its frames from one
 * sim_mem_frames_alloc_n call, as many frames as the memory budget can
 * still give?  That call asks the same fault-site question per frame as
 * single allocations, but gives everything back when one fails, where
 * single allocations keep the frames made before: so not while the
 * allocator's fault site may fail (fail-nth, random faults); and never past
 * the budget, whose refusal must come at the same page.
 */
static uint64_t batch_room(struct sim_world *w)
{
	struct sim_mem_stats st;
	uint64_t resident;

	if (w->fault.glob && g_pattern_match_simple(w->fault.glob, "mem_frame_alloc"))
		return 0;
	sim_mem_stats(w, &st);
	if (!st.budget)
		return UINT64_MAX;
	resident = sim_mem_resident(w);
	return resident < st.budget ? (st.budget - resident) >> SIM_PAGE_SHIFT : 0;
}

/*
 * The untouched pages from @va in @v (at most @max) whose frames are, for
 * certain, the PFNs right after @fresh: the allocator hands out the lowest
 * free PFN, @fresh was that when this call allocated it (nothing was freed
 * since), so every PFN up to it is taken and single allocations get the
 * PFNs after it for as long as they are free.  Those frames come in one
 * call into @hpas; each is the frame after its predecessor, so pinning them
 * needs no map in between, and the order of allocations is what pinning
 * page by page gives.  The count made (0: none, allocate singly).  Never
 * with a CPU page table: page by page, a fault may take a table frame
 * between two pages' frames.
 */
static uint64_t pin_batch(struct sim_mm *mm, struct sim_vma *v, uint64_t va, uint64_t max,
			  uint64_t fresh, uint64_t *hpas, int *err)
{
	uint64_t m = 0, room = mm->pgd ? 0 : batch_room(mm->w);

	max = MIN(max, room);
	while (m < max && !vma_hpa(v, va + m * SIM_PAGE_SIZE) &&
	       !sim_mem_present(mm->w, fresh + (m + 1) * SIM_PAGE_SIZE))
		m++;
	if (!m)
		return 0;
	*err = sim_mem_frames_alloc_n(mm->w, SIM_FRAME_USER, m, hpas);
	if (*err)
		return 0;
	for (uint64_t i = 0; i < m; i++) {
		*vma_slot(v, va + i * SIM_PAGE_SIZE) = hpas[i];
		pte_sync(mm, v, va + i * SIM_PAGE_SIZE);
	}
	mm->faults += m;
	return m;
}

/* sim_mm_pin_run on a scenario process's mm. */
static uint64_t pin_run_user(struct sim_mm *mm, uint64_t uva, uint64_t n, bool write,
			     uint64_t prev, uint64_t *hpas, int *err)
{
	unsigned prot = SIM_PROT_READ | (write ? SIM_PROT_WRITE : 0);
	uint64_t page = uva & SIM_PAGE_MASK, done = 0;
	uint64_t fresh = 0;     /* the frame this call made for the page before, or 0 */
	uint64_t batched = 0;   /* pages ahead whose frames pin_batch made */

	while (done < n) {
		struct sim_vma *v = vma_at(mm, page);
		uint64_t left;

		if (!v || (v->prot & prot) != prot) {
			*err = -EFAULT;
			break;
		}
		left = MIN(n - done, (v->start + v->len - page) >> SIM_PAGE_SHIFT);
		for (; left; left--, page += SIM_PAGE_SIZE) {
			uint64_t slot = vma_slotval(v, page), hpa = slot & SIM_PAGE_MASK;

			if (batched) {
				batched--;
				fresh = hpa;
			} else if (hpa && !((slot & SIM_SLOT_COW) &&
					    (write || !(slot & SIM_SLOT_FILE)))) {
				fresh = 0;
			} else {
				/* untouched: made; copy-on-write: a write pin breaks it,
				 * and a pin of an anonymous page shared since fork
				 * unshares it (gup_must_unshare), so the pinned page is
				 * this mm's alone */
				bool anon = !v->huge_shift && !v->obj;

				if (!hpa && fresh && anon &&
				    (batched = pin_batch(mm, v, page, left, fresh, hpas + done, err)))
					batched--;
				else if (!*err)
					*err = vma_fault(mm, v, page, write || hpa, &hpa);
				if (*err == -EIO)
					*err = -EFAULT;   /* SIGBUS: GUP's EFAULT */
				if (*err)
					return done;
				fresh = anon && !slot ? vma_hpa(v, page) : 0;
				hpa = vma_hpa(v, page);
			}
			sim_mem_frame_get(mm->w, hpa);
			mm->pinned++;
			hpas[done++] = hpa;
			if (prev && hpa != prev + SIM_PAGE_SIZE)
				return done;
			prev = hpa;
		}
	}
	return done;
}

/*
 * How many of the @n pages from @uva (one byte at uva, uva + 4 KiB, ...)
 * can be pinned: readable, and writable when @write.  Each call of
 * process_vm_readv/writev probes up to PROBE_MAX pages, one byte each
 * (written back as read, as a single page's probe does); the kernel moves
 * iovec elements in order and stops at the first it cannot, so the bytes
 * moved count the good pages before the first bad one.
 */
#define PROBE_MAX 1024u          /* UIO_MAXIOV */

static uint64_t native_probe(uint64_t uva, uint64_t n, bool write)
{
	struct iovec remote[PROBE_MAX], local;
	uint8_t bytes[PROBE_MAX];
	ssize_t got;

	n = MIN(n, (uint64_t)PROBE_MAX);
	for (uint64_t i = 0; i < n; i++) {
		remote[i].iov_base = (void *)(uintptr_t)(uva + i * SIM_PAGE_SIZE);
		remote[i].iov_len = 1;
	}
	local.iov_base = bytes;
	local.iov_len = n;
	got = process_vm_readv(getpid(), &local, 1, remote, n, 0);
	if (got > 0 && write) {
		local.iov_len = (size_t)got;
		got = process_vm_writev(getpid(), &local, 1, remote, (unsigned long)got, 0);
	}
	return got > 0 ? (uint64_t)got : 0;
}

/* A mapping whose pages the kernel always lets process_vm_readv/writev
 * have when its protection allows: anonymous memory (no file, the heap,
 * the stack, a named anonymous mapping).  A file's pages may be past its
 * end (SIGBUS, EFAULT) and special mappings ([vvar], device memory) cannot
 * be pinned at all: those are left to the probe. */
static bool maps_plain(const char *path)
{
	return !*path || !strcmp(path, "[heap]") || !strcmp(path, "[stack]") ||
	       g_str_has_prefix(path, "[anon:");
}

/*
 * The pages from @uva (at most @n) that /proc/self/maps shows in plain
 * anonymous mappings allowing the access, one after the other: pages the
 * probe would pass, told by one read of the mappings instead of a probe
 * that costs the kernel a page walk and a copy per page (about 1.4 us a
 * page read, as much again written).  It never says a page is bad: the
 * first page it does not vouch for is probed.  0 when unreadable.
 */
/* One mapping of /proc/self/maps, the line at *@cur (which moves to the
 * next): its range, whether it allows @write (and reading), and whether it
 * is plain anonymous memory (maps_plain).  False at the end or on a line
 * that does not parse. */
struct maps_ent {
	unsigned long long start, end;
	bool allowed, plain;
};

static bool maps_next(char **cur, bool write, struct maps_ent *m)
{
	char *line = *cur, *next, perms[5];
	int path = 0;

	if (!*line)
		return false;
	next = strchr(line, '\n');
	*cur = next ? (*next = '\0', next + 1) : line + strlen(line);
	if (sscanf(line, "%llx-%llx %4s %*s %*s %*s %n", &m->start, &m->end, perms, &path) < 3 ||
	    !path)
		return false;
	m->allowed = perms[0] == 'r' && (!write || perms[1] == 'w');
	m->plain = maps_plain(line + path);
	return true;
}

static uint64_t native_maps_ok(uint64_t uva, uint64_t n, bool write)
{
	uint64_t page = uva & SIM_PAGE_MASK, done = 0;
	gchar *text = NULL, *cur;
	struct maps_ent m;

	if (!g_file_get_contents("/proc/self/maps", &text, NULL, NULL))
		return 0;
	for (cur = text; done < n && maps_next(&cur, write, &m);) {
		if (m.end <= page)
			continue;
		if (m.start > page || !m.allowed || !m.plain)
			break;
		done += MIN(n - done, (m.end - page) >> SIM_PAGE_SHIFT);
		page = m.end;
	}
	g_free(text);
	return done;
}

/*
 * Is @mm the memory of a native process whose memory is THP-backed
 * (SIM_PROC_NATIVE_THP)?  A forked child has its parent's flags.
 */
struct thp_find {
	const struct sim_mm *mm;
	bool thp;
};

static int thp_visit(struct sim_proc *p, void *ctx)
{
	struct thp_find *t = ctx;

	if (p->mm != t->mm)
		return 0;
	t->thp = (p->flags & SIM_PROC_NATIVE_THP) != 0;
	return 1;
}

static bool native_thp(struct sim_mm *mm)
{
	struct thp_find t = { .mm = mm };

	sim_proc_for_each(mm->w, thp_visit, &t);
	return t.thp;
}

/*
 * Where a THP-backed program's pages from @uva may be huge pages: the
 * mapping of /proc/self/maps holding @uva's page, when it is plain
 * anonymous memory allowing the access (maps_plain), gives the window
 * [*lo, *hi) of the 2 MiB-aligned blocks lying wholly inside it (the
 * kernel makes a huge page only where one VMA covers the whole block).
 * Returns the pages from @uva (at most @n) that mapping vouches for, as
 * native_maps_ok does; 0 (and no window) when it vouches for none.
 */
static uint64_t native_thp_window(uint64_t uva, uint64_t n, bool write, uint64_t *lo,
				  uint64_t *hi)
{
	uint64_t page = uva & SIM_PAGE_MASK, done = 0;
	gchar *text = NULL, *cur;
	struct maps_ent m;

	*lo = *hi = 0;
	if (!g_file_get_contents("/proc/self/maps", &text, NULL, NULL))
		return 0;
	for (cur = text; maps_next(&cur, write, &m);) {
		if (m.end <= page)
			continue;
		if (m.start <= page && m.allowed && m.plain) {
			done = MIN(n, (m.end - page) >> SIM_PAGE_SHIFT);
			*lo = (m.start + THP_SIZE - 1) & ~(THP_SIZE - 1);
			*hi = m.end & ~(THP_SIZE - 1);
		}
		break;
	}
	g_free(text);
	return done;
}

/*
 * sim_mm_pin_run on a native process's mm: the program's pages, their
 * frames from sim_mem_frames_native_run, a batch per stretch of validated
 * pages, stopping where a run breaks (no frame is made past the break).
 * The pages are validated ahead of their frames, a few at first and twice
 * as many each time, so a run that stops early has not probed much past
 * its end; a run that goes on past 63 pages reads the mappings once for
 * the rest (native_maps_ok).  A THP-backed process's range that needs new
 * frames reads the mappings first (native_thp_window): its pages there are
 * vouched for, and the blocks wholly in their mapping are huge pages.
 */
static uint64_t pin_run_native(struct sim_mm *mm, uint64_t uva, uint64_t n, bool write,
			       uint64_t prev, uint64_t *hpas, int *err)
{
	uint64_t base = uva & SIM_PAGE_MASK, done = 0, good = 0, probe = 1;
	uint64_t thp_lo = 0, thp_hi = 0;
	bool maps = false;

	*err = 0;
	if (n && native_thp(mm) &&
	    sim_mem_native_backed(mm->w, (void *)(uintptr_t)base, n) < n)
		good = native_thp_window(uva, n, write, &thp_lo, &thp_hi);
	while (done < n) {
		uint64_t va = base + done * SIM_PAGE_SIZE, want, k, pred;

		if (done == good) {
			uint64_t ok = 0;

			if (!maps && probe > 32) {
				maps = true;
				ok = native_maps_ok(va, n - done, write);
			}
			if (!ok) {
				ok = native_probe(va, MIN(n - done, probe), write);
				probe = MIN(probe * 2, (uint64_t)PROBE_MAX);
			}
			if (!ok) {
				*err = -EFAULT;
				break;
			}
			good += ok;
		}
		want = good - done;
		k = sim_mem_frames_native_run(mm->w, (void *)(uintptr_t)va, want,
					      (void *)(uintptr_t)thp_lo, (void *)(uintptr_t)thp_hi,
					      prev, hpas + done, err);
		mm->pinned += k;
		done += k;
		if (*err || !k)
			break;
		/* the batch ended at a break (its last page does not follow) */
		pred = k > 1 ? hpas[done - 2] : prev;
		if (k < want || (pred && hpas[done - 1] != pred + SIM_PAGE_SIZE))
			break;
		prev = hpas[done - 1];
	}
	return done;
}

uint64_t sim_mm_pin_run(struct sim_mm *mm, uint64_t uva, uint64_t n, bool write, uint64_t prev,
			uint64_t *hpas, int *err)
{
	*err = 0;
	if (mm->native)
		return pin_run_native(mm, uva, n, write, prev, hpas, err);
	return pin_run_user(mm, uva, n, write, prev, hpas, err);
}

int sim_mm_pin_range(struct sim_mm *mm, uint64_t uva, uint64_t n, bool write, uint64_t *hpas)
{
	uint64_t done = 0;
	int err = 0;

	while (done < n && !err)
		done += sim_mm_pin_run(mm, uva + done * SIM_PAGE_SIZE, n - done, write, 0,
				       hpas + done, &err);
	if (err)   /* in pinning order, as a caller of single pins unwinds */
		for (uint64_t i = 0; i < done; i++)
			sim_mm_unpin_page(mm, hpas[i]);
	return err;
}

int sim_mm_pin_page(struct sim_proc *p, uint64_t uva, bool write, uint64_t *hpa)
{
	return sim_mm_pin(p->mm, uva, write, hpa);
}

int sim_mm_pin(struct sim_mm *mm, uint64_t uva, bool write, uint64_t *hpa)
{
	int err;

	sim_mm_pin_run(mm, uva, 1, write, 0, hpa, &err);
	return err;
}

void sim_mm_unpin_page(struct sim_mm *mm, uint64_t hpa)
{
	mm->pinned--;
	sim_mem_frame_put(mm->w, hpa & SIM_PAGE_MASK);
}
