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

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "sim/world_internal.h"
#include "iommusim/iommusim.h"

#define MM_LIMIT 0x7ff000000000ull     /* top of the user address space */
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

/* The HPA of the page at @va (inside @v), 0 when it has no frame. */
static uint64_t vma_hpa(const struct sim_vma *v, uint64_t va)
{
	uint64_t idx = (va - v->start) >> SIM_PAGE_SHIFT;
	const uint64_t *chunk = v->chunks ? v->chunks[idx >> SIM_MM_CHUNK_SHIFT] : NULL;

	return chunk ? chunk[idx & CHUNK_MASK] : 0;
}

/* Where the HPA of the page at @va (inside @v) is kept, made if missing. */
static uint64_t *vma_slot(struct sim_vma *v, uint64_t va)
{
	uint64_t idx = (va - v->start) >> SIM_PAGE_SHIFT, c = idx >> SIM_MM_CHUNK_SHIFT;

	if (!v->chunks)
		v->chunks = g_new0(uint64_t *, vma_nchunks(v));
	if (!v->chunks[c])
		v->chunks[c] = g_new0(uint64_t, SIM_MM_CHUNK_PAGES);
	return &v->chunks[c][idx & CHUNK_MASK];
}

/* Give back the mm's reference on every frame of @v, lowest address first
 * (pins hold their own: a pinned frame lives on). */
static void vma_drop_pages(struct sim_world *w, struct sim_vma *v)
{
	if (!v->chunks)
		return;
	for (uint64_t c = 0; c < vma_nchunks(v); c++) {
		if (!v->chunks[c])
			continue;
		for (unsigned i = 0; i < SIM_MM_CHUNK_PAGES; i++)
			if (v->chunks[c][i])
				sim_mem_frame_put(w, v->chunks[c][i]);
		g_free(v->chunks[c]);
	}
	g_free(v->chunks);
	v->chunks = NULL;
}

static void vma_free(struct sim_world *w, struct sim_vma *v)
{
	vma_drop_pages(w, v);
	g_free(v->name);
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

/*
 * First touch of the page at @va in @v: its frame, or in a huge-page VMA
 * every frame of the huge page holding it.  0 with the page's HPA in *hpa,
 * or -ENOMEM (nothing made).
 */
static int vma_fault(struct sim_mm *mm, struct sim_vma *v, uint64_t va, uint64_t *hpa)
{
	uint64_t size, first, base;
	int ret;

	if (!v->huge_shift) {
		ret = sim_mem_frame_alloc(mm->w, SIM_FRAME_USER, hpa);
		if (!ret)
			*vma_slot(v, va) = *hpa;
		return ret;
	}
	size = 1ull << v->huge_shift;
	first = v->start + ((va - v->start) & ~(size - 1));
	ret = huge_frames(mm->w, v->huge_shift, &base);
	if (ret)
		return ret;
	for (uint64_t off = 0; off < size; off += SIM_PAGE_SIZE)
		*vma_slot(v, first + off) = base + off;
	*hpa = base + ((va - first) & SIM_PAGE_MASK);
	return 0;
}

/* ---- the mm ------------------------------------------------------------------- */

void sim_mm_exit(struct sim_mm *mm)
{
	if (!mm)
		return;
	mm->users--;
	sim_mm_put(mm);
}

void sim_mm_put(struct sim_mm *mm)
{
	if (!mm || --mm->refcount)
		return;
	for (size_t i = 0; i < mm->nvmas; i++)
		vma_free(mm->w, &mm->vmas[i]);
	g_free(mm->vmas);
	g_free(mm);
}

/* The child's copy of every touched page of @old into @v (the same VMA in
 * the child), in address order; a huge page is copied into a huge page. */
static int vma_copy_pages(struct sim_mm *mm, struct sim_vma *v, const struct sim_vma *old)
{
	uint64_t step = v->huge_shift ? 1ull << v->huge_shift : SIM_PAGE_SIZE;
	uint8_t *page = g_malloc(SIM_PAGE_SIZE);
	int ret = 0;

	for (uint64_t off = 0; off < v->len && !ret; off += step) {
		uint64_t hpa;

		if (!vma_hpa(old, old->start + off))
			continue;
		ret = vma_fault(mm, v, v->start + off, &hpa);
		/* through reads and writes: a page never written stays without
		 * storage in both */
		for (uint64_t o = 0; !ret && o < step; o += SIM_PAGE_SIZE) {
			uint64_t from = vma_hpa(old, old->start + off + o);

			sim_mem_read(mm->w, from, page, SIM_PAGE_SIZE);
			ret = sim_mem_write(mm->w, hpa + o, page, SIM_PAGE_SIZE);
		}
	}
	g_free(page);
	return ret;
}

struct sim_mm *sim_mm_dup(struct sim_mm *old)
{
	struct sim_mm *mm = sim_mm_new(old->w, old->native);

	mm->next_va = old->next_va;
	mm->dumpable = old->dumpable;
	mm->vmas = g_new0(struct sim_vma, old->nvmas ? old->nvmas : 1);
	for (size_t i = 0; i < old->nvmas; i++) {
		struct sim_vma *v = &mm->vmas[i];

		*v = old->vmas[i];
		v->name = g_strdup(old->vmas[i].name);
		v->chunks = NULL;
		mm->nvmas = i + 1;
		if (vma_copy_pages(mm, v, &old->vmas[i])) {
			sim_mm_put(mm);
			return NULL;
		}
	}
	return mm;
}

/* ---- VMAs --------------------------------------------------------------------- */

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
	start = (mm->next_va + align - 1) & ~(align - 1);
	if (start > MM_LIMIT || size > MM_LIMIT - start || sim_should_fail(mm->w, "mm_vma_alloc"))
		return -ENOMEM;
	mm->vmas = g_renew(struct sim_vma, mm->vmas, mm->nvmas + 1);
	v = &mm->vmas[mm->nvmas++];      /* next_va only grows: stays sorted */
	memset(v, 0, sizeof(*v));
	v->start = start;
	v->len = size;
	v->prot = prot;
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
	size_t lo = 0, hi = mm->nvmas;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct sim_vma *v = &mm->vmas[mid];
		if (va < v->start)
			hi = mid;
		else if (va - v->start >= v->len)
			lo = mid + 1;
		else
			return v;
	}
	return NULL;
}

/* The VMA holding @va, to change its pages. */
static struct sim_vma *vma_at(struct sim_mm *mm, uint64_t va)
{
	return (struct sim_vma *)sim_mm_find_vma(mm, va);
}

int sim_mm_unmap(struct sim_mm *mm, uint64_t va)
{
	struct sim_vma *v = vma_at(mm, va);
	size_t i;

	if (!v || v->start != va)
		return -EINVAL;
	vma_free(mm->w, v);
	i = (size_t)(v - mm->vmas);
	memmove(&mm->vmas[i], &mm->vmas[i + 1], (mm->nvmas - i - 1) * sizeof(*mm->vmas));
	mm->nvmas--;
	return 0;
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
		uint64_t step, first;

		if (!v) {           /* outside every VMA: a page each */
			n++;
			if (page == last)
				break;
			page += SIM_PAGE_SIZE;
			continue;
		}
		step = v->huge_shift ? 1ull << v->huge_shift : SIM_PAGE_SIZE;
		first = v->start + ((page - v->start) & ~(step - 1));
		if (!vma_hpa(v, first))
			n += step >> SIM_PAGE_SHIFT;
		if (last - first < step)
			break;
		page = first + step;
	}
	return n;
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
	const struct sim_vma *v = NULL;
	uint8_t *out = dst;

	if (mm->native)
		return native_rw(dst, uva, n, false);
	if (!range_ok(mm, uva, n, SIM_PROT_READ))
		return -EFAULT;
	while (n) {
		size_t off = uva & (SIM_PAGE_SIZE - 1), chunk = MIN(n, SIM_PAGE_SIZE - off);
		uint64_t hpa;

		if (!v || uva - v->start >= v->len)
			v = sim_mm_find_vma(mm, uva);
		hpa = vma_hpa(v, uva);
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
		if (!hpa) {
			int ret = vma_fault(mm, v, uva, &hpa);

			if (ret)
				return ret;
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
 * page by page gives.  The count made (0: none, allocate singly).
 */
static uint64_t pin_batch(struct sim_mm *mm, struct sim_vma *v, uint64_t va, uint64_t max,
			  uint64_t fresh, uint64_t *hpas, int *err)
{
	uint64_t m = 0, room = batch_room(mm->w);

	max = MIN(max, room);
	while (m < max && !vma_hpa(v, va + m * SIM_PAGE_SIZE) &&
	       !sim_mem_present(mm->w, fresh + (m + 1) * SIM_PAGE_SIZE))
		m++;
	if (!m)
		return 0;
	*err = sim_mem_frames_alloc_n(mm->w, SIM_FRAME_USER, m, hpas);
	if (*err)
		return 0;
	for (uint64_t i = 0; i < m; i++)
		*vma_slot(v, va + i * SIM_PAGE_SIZE) = hpas[i];
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
			uint64_t hpa = vma_hpa(v, page);

			if (batched) {
				batched--;
				fresh = hpa;
			} else if (hpa) {
				fresh = 0;
			} else {
				if (fresh && !v->huge_shift &&
				    (batched = pin_batch(mm, v, page, left, fresh, hpas + done, err)))
					batched--;
				else if (!*err)
					*err = vma_fault(mm, v, page, &hpa);
				if (*err)
					return done;
				hpa = vma_hpa(v, page);
				fresh = v->huge_shift ? 0 : hpa;
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
