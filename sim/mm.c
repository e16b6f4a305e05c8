/* SPDX-License-Identifier: MIT */
/*
 * User address spaces, uaccess and pinning.
 *
 * Scenario processes: VMAs at deterministic addresses, pages backed by host
 * frames allocated on first touch (reads of an untouched page see zeros
 * without allocating).  Native processes: the program's own memory, reached
 * through process_vm_readv/writev on itself so that a bad pointer returns
 * EFAULT from the kernel instead of faulting the program.
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

#define MM_LIMIT 0x7ff000000000ull     /* top of the user address space */

struct sim_mm *sim_mm_new(struct sim_world *w, bool native)
{
	struct sim_mm *mm = g_new0(struct sim_mm, 1);

	mm->w = w;
	mm->refcount = 1;
	mm->users = 1;
	mm->native = native;
	mm->next_va = SIM_MM_BASE;
	mm->pages = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	return mm;
}

struct sim_mm *sim_mm_get(struct sim_mm *mm)
{
	mm->refcount++;
	return mm;
}

static void drop_page(gpointer key, gpointer val, gpointer mm)
{
	sim_mem_frame_put(((struct sim_mm *)mm)->w, (uint64_t)GPOINTER_TO_SIZE(val));
}

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
	g_hash_table_foreach(mm->pages, drop_page, mm);
	g_hash_table_destroy(mm->pages);
	for (size_t i = 0; i < mm->nvmas; i++)
		g_free(mm->vmas[i].name);
	g_free(mm->vmas);
	g_free(mm);
}

struct sim_mm *sim_mm_dup(struct sim_mm *old)
{
	struct sim_mm *mm = sim_mm_new(old->w, old->native);
	GHashTableIter it;
	gpointer key, val;

	mm->next_va = old->next_va;
	mm->nvmas = old->nvmas;
	mm->vmas = g_new(struct sim_vma, old->nvmas ? old->nvmas : 1);
	for (size_t i = 0; i < old->nvmas; i++) {
		mm->vmas[i] = old->vmas[i];
		mm->vmas[i].name = g_strdup(old->vmas[i].name);
	}
	g_hash_table_iter_init(&it, old->pages);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		uint64_t hpa, *vpn = g_new(uint64_t, 1);

		if (sim_mem_frame_alloc(mm->w, SIM_FRAME_USER, &hpa)) {
			g_free(vpn);
			sim_mm_put(mm);
			return NULL;
		}
		memcpy(sim_mem_frame_ptr(mm->w, hpa),
		       sim_mem_frame_ptr(mm->w, (uint64_t)GPOINTER_TO_SIZE(val)), SIM_PAGE_SIZE);
		*vpn = *(uint64_t *)key;
		g_hash_table_insert(mm->pages, vpn, GSIZE_TO_POINTER(hpa));
	}
	return mm;
}

/* ---- VMAs --------------------------------------------------------------------- */

int sim_mm_map(struct sim_mm *mm, uint64_t len, unsigned prot, const char *name,
	       uint64_t *va)
{
	uint64_t size = (len + SIM_PAGE_SIZE - 1) & SIM_PAGE_MASK;
	struct sim_vma *v;

	if (mm->native || len == 0 || size < len || (prot & ~(SIM_PROT_READ | SIM_PROT_WRITE)))
		return -EINVAL;
	if (size > MM_LIMIT - mm->next_va || sim_should_fail(mm->w, "mm_vma_alloc"))
		return -ENOMEM;
	mm->vmas = g_renew(struct sim_vma, mm->vmas, mm->nvmas + 1);
	v = &mm->vmas[mm->nvmas++];      /* next_va only grows: stays sorted */
	v->start = mm->next_va;
	v->len = size;
	v->prot = prot;
	v->name = g_strdup(name ? name : "anon");
	*va = v->start;
	mm->next_va += size + SIM_MM_GAP;
	return 0;
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

int sim_mm_unmap(struct sim_mm *mm, uint64_t va)
{
	const struct sim_vma *v = sim_mm_find_vma(mm, va);
	size_t i;

	if (!v || v->start != va)
		return -EINVAL;
	for (uint64_t a = v->start; a < v->start + v->len; a += SIM_PAGE_SIZE) {
		uint64_t vpn = a >> SIM_PAGE_SHIFT;
		gpointer hpa;
		if (g_hash_table_lookup_extended(mm->pages, &vpn, NULL, &hpa)) {
			g_hash_table_remove(mm->pages, &vpn);
			/* pins keep their own references: the frame lives on */
			sim_mem_frame_put(mm->w, (uint64_t)GPOINTER_TO_SIZE(hpa));
		}
	}
	i = (size_t)(v - mm->vmas);
	g_free(mm->vmas[i].name);
	memmove(&mm->vmas[i], &mm->vmas[i + 1], (mm->nvmas - i - 1) * sizeof(*mm->vmas));
	mm->nvmas--;
	return 0;
}

/* The frame behind the page at @va, allocating it on first touch when
 * @create.  0 (and *hpa 0 when absent and not created) or -errno. */
static int page_frame(struct sim_mm *mm, uint64_t va, bool create, uint64_t *hpa)
{
	uint64_t vpn = va >> SIM_PAGE_SHIFT, *key;
	gpointer found;
	int ret;

	if (g_hash_table_lookup_extended(mm->pages, &vpn, NULL, &found)) {
		*hpa = (uint64_t)GPOINTER_TO_SIZE(found);
		return 0;
	}
	*hpa = 0;
	if (!create)
		return 0;
	ret = sim_mem_frame_alloc(mm->w, SIM_FRAME_USER, hpa);
	if (ret)
		return ret;
	key = g_new(uint64_t, 1);
	*key = vpn;
	g_hash_table_insert(mm->pages, key, GSIZE_TO_POINTER(*hpa));
	return 0;
}

uint64_t sim_mm_untouched(const struct sim_mm *mm, uint64_t va, uint64_t len)
{
	uint64_t n = 0, first = va >> SIM_PAGE_SHIFT, last;

	if (mm->native || !len || va + len - 1 < va)
		return 0;
	last = (va + len - 1) >> SIM_PAGE_SHIFT;
	for (uint64_t vpn = first; vpn <= last; vpn++)
		n += !g_hash_table_contains(mm->pages, &vpn);
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
	uint8_t *out = dst;

	if (mm->native)
		return native_rw(dst, uva, n, false);
	if (!range_ok(mm, uva, n, SIM_PROT_READ))
		return -EFAULT;
	while (n) {
		size_t off = uva & (SIM_PAGE_SIZE - 1), chunk = MIN(n, SIM_PAGE_SIZE - off);
		uint64_t hpa;

		page_frame(mm, uva, false, &hpa);
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
	const uint8_t *in = src;

	if (mm->native)
		return native_rw((void *)src, uva, n, true);
	if (!range_ok(mm, uva, n, SIM_PROT_WRITE))
		return -EFAULT;
	while (n) {
		size_t off = uva & (SIM_PAGE_SIZE - 1), chunk = MIN(n, SIM_PAGE_SIZE - off);
		uint64_t hpa;
		int ret = page_frame(mm, uva, true, &hpa);

		if (ret)
			return ret;
		sim_mem_write(mm->w, hpa + off, in, chunk);
		in += chunk;
		uva += chunk;
		n -= chunk;
	}
	return 0;
}

/* ---- pinning ------------------------------------------------------------------------ */

static int pin_native(struct sim_mm *mm, uint64_t uva, bool write, uint64_t *hpa)
{
	uint64_t page = uva & SIM_PAGE_MASK;
	uint8_t byte;

	/* the page must be readable, and writable when the device may write:
	 * probe by reading a byte and writing the same byte back */
	if (native_rw(&byte, uva, 1, false) || (write && native_rw(&byte, uva, 1, true)))
		return -EFAULT;
	return sim_mem_frame_native(mm->w, (void *)(uintptr_t)page, hpa);
}

int sim_mm_pin_page(struct sim_proc *p, uint64_t uva, bool write, uint64_t *hpa)
{
	return sim_mm_pin(p->mm, uva, write, hpa);
}

int sim_mm_pin(struct sim_mm *mm, uint64_t uva, bool write, uint64_t *hpa)
{
	int ret;

	if (mm->native)
		ret = pin_native(mm, uva, write, hpa);
	else if (!range_ok(mm, uva & SIM_PAGE_MASK, SIM_PAGE_SIZE,
			   SIM_PROT_READ | (write ? SIM_PROT_WRITE : 0)))
		ret = -EFAULT;
	else if (!(ret = page_frame(mm, uva, true, hpa)))
		sim_mem_frame_get(mm->w, *hpa);
	if (!ret)
		mm->pinned++;
	return ret;
}

void sim_mm_unpin_page(struct sim_mm *mm, uint64_t hpa)
{
	mm->pinned--;
	sim_mem_frame_put(mm->w, hpa & SIM_PAGE_MASK);
}
