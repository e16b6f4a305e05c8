/* SPDX-License-Identifier: MIT */
/*
 * Sparse host-physical memory.  Frames live in a hash keyed by page frame
 * number; free PFNs are reused lowest first (a min-heap of freed PFNs in
 * front of a bump pointer), so HPAs are reproducible from the order of
 * allocations alone.
 *
 * A native program's page is never touched through its pointer: every
 * access goes through process_vm_readv/writev on our own pid, which the
 * kernel answers with EFAULT when the page is gone (munmap) instead of
 * faulting the program.  On Linux a pinned page outlives the mapping it
 * was pinned from; so does the frame here: the first access that finds
 * the page gone "orphans" the frame, which gets simulator storage (what
 * the page still held, when it can be read, else zeros) and keeps it
 * until its last reference goes.  DMA keeps landing there; the program no
 * longer sees it.  (A new mapping made at the same address before any
 * access noticed cannot be told apart: the access goes to it.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/trace.h"
#include "sim/world_internal.h"

struct sim_frame {
	enum sim_frame_kind kind;
	unsigned refs;
	bool orphan;            /* a native frame whose page is gone: @data owned */
	uint8_t *data;          /* owned unless a live native frame */
};

struct sim_mem {
	GHashTable *frames;     /* pfn -> struct sim_frame */
	GHashTable *native;     /* host page pointer -> pfn (as pointers) */
	GArray *free_pfns;      /* min-heap of freed PFNs below next_pfn */
	uint64_t next_pfn;
	uint64_t budget_frames;   /* 0: no limit */
	struct sim_mem_stats st;
};

static inline bool frame_owned(const struct sim_frame *f)
{
	return f->kind != SIM_FRAME_NATIVE || f->orphan;
}

/* Frames backed by simulator storage: what the budget counts. */
static inline uint64_t resident_frames(const struct sim_mem *m)
{
	return m->st.frames_total - m->st.frames[SIM_FRAME_NATIVE] + m->st.native_orphans;
}

static const char *const kind_names[] = {
	[SIM_FRAME_PGTABLE] = "pgtable", [SIM_FRAME_KERNEL] = "kernel",
	[SIM_FRAME_RAM] = "ram", [SIM_FRAME_USER] = "user",
	[SIM_FRAME_NATIVE] = "native",
};

static struct sim_mem *mem_of(struct sim_world *w)
{
	if (!w->mem) {
		w->mem = g_new0(struct sim_mem, 1);
		w->mem->frames = g_hash_table_new(g_int64_hash, g_int64_equal);
		w->mem->native = g_hash_table_new(g_direct_hash, g_direct_equal);
		w->mem->free_pfns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		w->mem->next_pfn = SIM_MEM_BASE >> SIM_PAGE_SHIFT;
	}
	return w->mem;
}

/* May @n more frames of simulator storage be made?  Else -ENOMEM, counted
 * and traced: the world's memory budget is spent. */
static int budget_take(struct sim_world *w, struct sim_mem *m, uint64_t n)
{
	if (!m->budget_frames || resident_frames(m) + n <= m->budget_frames)
		return 0;
	m->st.budget_refusals++;
	SIM_TRACE(w, sim_mem_budget, (unsigned long long)n,
		  (unsigned long long)(resident_frames(m) << SIM_PAGE_SHIFT),
		  (unsigned long long)(m->budget_frames << SIM_PAGE_SHIFT));
	return -ENOMEM;
}

void sim_mem_set_budget(struct sim_world *w, uint64_t bytes)
{
	struct sim_mem *m = mem_of(w);

	m->budget_frames = bytes >> SIM_PAGE_SHIFT;
	if (bytes && !m->budget_frames)
		m->budget_frames = 1;
	m->st.budget = m->budget_frames << SIM_PAGE_SHIFT;
}

uint64_t sim_mem_resident(struct sim_world *w)
{
	return resident_frames(mem_of(w)) << SIM_PAGE_SHIFT;
}

/* ---- the free-PFN min-heap ---------------------------------------------- */

static void heap_push(GArray *h, uint64_t v)
{
	size_t i = h->len;

	g_array_append_val(h, v);
	while (i) {
		size_t parent = (i - 1) / 2;
		uint64_t *a = &g_array_index(h, uint64_t, parent), *b = &g_array_index(h, uint64_t, i);
		if (*a <= *b)
			break;
		uint64_t t = *a; *a = *b; *b = t;
		i = parent;
	}
}

static uint64_t heap_pop(GArray *h)
{
	uint64_t top = g_array_index(h, uint64_t, 0);
	size_t i = 0, n = h->len - 1;

	g_array_index(h, uint64_t, 0) = g_array_index(h, uint64_t, n);
	g_array_set_size(h, n);
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && g_array_index(h, uint64_t, l) < g_array_index(h, uint64_t, m))
			m = l;
		if (r < n && g_array_index(h, uint64_t, r) < g_array_index(h, uint64_t, m))
			m = r;
		if (m == i)
			break;
		uint64_t t = g_array_index(h, uint64_t, i);
		g_array_index(h, uint64_t, i) = g_array_index(h, uint64_t, m);
		g_array_index(h, uint64_t, m) = t;
		i = m;
	}
	return top;
}

/* ---- frames --------------------------------------------------------------- */

static struct sim_frame *frame_of(struct sim_mem *m, uint64_t hpa)
{
	uint64_t pfn = hpa >> SIM_PAGE_SHIFT;

	return g_hash_table_lookup(m->frames, &pfn);
}

/* Account and trace the frame @f, now at @pfn. */
static void frame_insert_at(struct sim_world *w, struct sim_mem *m, uint64_t pfn,
			    struct sim_frame *f)
{
	uint64_t *key = g_new(uint64_t, 1);

	*key = pfn;
	g_hash_table_insert(m->frames, key, f);
	m->st.frames[f->kind]++;
	m->st.frames_total++;
	m->st.bytes += SIM_PAGE_SIZE;
	m->st.allocs++;
	SIM_TRACE(w, sim_frame_alloc, (unsigned long long)(pfn << SIM_PAGE_SHIFT),
		  kind_names[f->kind]);
}

static uint64_t frame_insert(struct sim_world *w, struct sim_mem *m,
			     struct sim_frame *f)
{
	uint64_t pfn;

	/* skip PFNs a DMA claimed directly (sim_mem_write's first touch) */
	do
		pfn = m->free_pfns->len ? heap_pop(m->free_pfns) : m->next_pfn++;
	while (g_hash_table_contains(m->frames, &pfn));
	frame_insert_at(w, m, pfn, f);
	return pfn << SIM_PAGE_SHIFT;
}

static struct sim_frame *frame_new(enum sim_frame_kind kind)
{
	struct sim_frame *f = g_new0(struct sim_frame, 1);

	f->kind = kind;
	f->refs = 1;
	f->data = g_malloc0(SIM_PAGE_SIZE);
	return f;
}

int sim_mem_frame_alloc(struct sim_world *w, enum sim_frame_kind kind, uint64_t *hpa)
{
	struct sim_mem *m = mem_of(w);
	struct sim_frame *f;

	if (kind >= SIM_FRAME_NR_KINDS || kind == SIM_FRAME_NATIVE)
		return -EINVAL;
	if (sim_should_fail(w, "mem_frame_alloc") || budget_take(w, m, 1))
		return -ENOMEM;
	f = frame_new(kind);
	*hpa = frame_insert(w, m, f);
	return 0;
}

/* The first PFN at or above @from, aligned to @n, of a run of @n PFNs no
 * frame holds (a DMA's first touch may have claimed PFNs up there). */
static uint64_t contig_run(struct sim_mem *m, uint64_t from, unsigned n)
{
	uint64_t start = (from + n - 1) & ~(uint64_t)(n - 1);

	for (unsigned i = 0; i < n; i++) {
		uint64_t pfn = start + i;

		if (g_hash_table_contains(m->frames, &pfn)) {
			start = (pfn + n) & ~(uint64_t)(n - 1);
			i = (unsigned)-1;       /* start over at the next aligned run */
		}
	}
	return start;
}

int sim_mem_frames_alloc_contig(struct sim_world *w, enum sim_frame_kind kind, unsigned n,
				uint64_t *hpa)
{
	struct sim_mem *m = mem_of(w);
	uint64_t start;

	if (kind >= SIM_FRAME_NR_KINDS || kind == SIM_FRAME_NATIVE || !n || n > 4096 ||
	    (n & (n - 1)))
		return -EINVAL;
	if (sim_should_fail(w, "mem_frame_alloc") || budget_take(w, m, n))
		return -ENOMEM;
	start = contig_run(m, m->next_pfn, n);
	/* the PFNs skipped to align stay free, for single frames */
	for (uint64_t pfn = m->next_pfn; pfn < start; pfn++)
		if (!g_hash_table_contains(m->frames, &pfn))
			heap_push(m->free_pfns, pfn);
	m->next_pfn = start + n;
	for (unsigned i = 0; i < n; i++)
		frame_insert_at(w, m, start + i, frame_new(kind));
	*hpa = start << SIM_PAGE_SHIFT;
	return 0;
}

int sim_mem_frame_native(struct sim_world *w, void *page, uint64_t *hpa)
{
	struct sim_mem *m = mem_of(w);
	gpointer found;
	struct sim_frame *f;

	if (!page || ((uintptr_t)page & (SIM_PAGE_SIZE - 1)))
		return -EINVAL;
	if (g_hash_table_lookup_extended(m->native, page, NULL, &found)) {
		*hpa = (uint64_t)GPOINTER_TO_SIZE(found) << SIM_PAGE_SHIFT;
		frame_of(m, *hpa)->refs++;
		return 0;
	}
	if (sim_should_fail(w, "mem_frame_alloc"))
		return -ENOMEM;
	f = g_new0(struct sim_frame, 1);
	f->kind = SIM_FRAME_NATIVE;
	f->refs = 1;
	f->data = page;
	*hpa = frame_insert(w, m, f);
	g_hash_table_insert(m->native, page, GSIZE_TO_POINTER(*hpa >> SIM_PAGE_SHIFT));
	return 0;
}

void sim_mem_frame_get(struct sim_world *w, uint64_t hpa)
{
	struct sim_frame *f = frame_of(mem_of(w), hpa);

	g_return_if_fail(f);
	f->refs++;
}

static void frame_release(struct sim_world *w, struct sim_mem *m, uint64_t pfn,
			  struct sim_frame *f)
{
	SIM_TRACE(w, sim_frame_free, (unsigned long long)(pfn << SIM_PAGE_SHIFT),
		  kind_names[f->kind]);
	m->st.frames[f->kind]--;
	m->st.frames_total--;
	m->st.bytes -= SIM_PAGE_SIZE;
	m->st.frees++;
	if (f->orphan)
		m->st.native_orphans--;
	if (frame_owned(f))
		g_free(f->data);
	else
		g_hash_table_remove(m->native, f->data);
	g_free(f);
}

void sim_mem_frame_put(struct sim_world *w, uint64_t hpa)
{
	struct sim_mem *m = mem_of(w);
	uint64_t pfn = hpa >> SIM_PAGE_SHIFT;
	gpointer key, val;
	struct sim_frame *f;

	if (!g_hash_table_lookup_extended(m->frames, &pfn, &key, &val))
		return;
	f = val;
	if (--f->refs)
		return;
	g_hash_table_remove(m->frames, &pfn);
	g_free(key);
	frame_release(w, m, pfn, f);
	if (pfn == m->next_pfn - 1)
		m->next_pfn--;
	else
		heap_push(m->free_pfns, pfn);
}

void *sim_mem_frame_ptr(struct sim_world *w, uint64_t hpa)
{
	struct sim_frame *f = frame_of(mem_of(w), hpa);

	return f && frame_owned(f) ? f->data : NULL;
}

bool sim_mem_frame_orphaned(struct sim_world *w, uint64_t hpa)
{
	struct sim_frame *f = frame_of(mem_of(w), hpa);

	return f && f->orphan;
}

bool sim_mem_present(struct sim_world *w, uint64_t hpa)
{
	return frame_of(mem_of(w), hpa) != NULL;
}

enum sim_frame_kind sim_mem_frame_kind(struct sim_world *w, uint64_t hpa)
{
	struct sim_frame *f = frame_of(mem_of(w), hpa);

	return f ? f->kind : SIM_FRAME_NR_KINDS;
}

/* ---- physical access -------------------------------------------------------- */

/* Copy to or from a native program's page, through the kernel. */
static bool native_copy(uint8_t *page, size_t off, void *buf, size_t n, bool write)
{
	struct iovec l = { .iov_base = buf, .iov_len = n };
	struct iovec r = { .iov_base = page + off, .iov_len = n };
	ssize_t done = write ? process_vm_writev(getpid(), &l, 1, &r, 1, 0)
			     : process_vm_readv(getpid(), &l, 1, &r, 1, 0);

	return done == (ssize_t)n;
}

/* The page behind the native frame @f is gone (or no longer writable): the
 * frame keeps what the page still holds, in storage of its own. */
static void orphan(struct sim_world *w, struct sim_mem *m, uint64_t pfn, struct sim_frame *f)
{
	uint8_t *data = g_malloc0(SIM_PAGE_SIZE);

	if (!native_copy(f->data, 0, data, SIM_PAGE_SIZE, false))
		memset(data, 0, SIM_PAGE_SIZE);
	g_hash_table_remove(m->native, f->data);
	f->data = data;
	f->orphan = true;
	m->st.native_orphans++;
	SIM_TRACE(w, sim_frame_orphan, (unsigned long long)(pfn << SIM_PAGE_SHIFT));
}

/* @n bytes at @off of the frame @f at @pfn, in or out. */
static void frame_copy(struct sim_world *w, struct sim_mem *m, uint64_t pfn,
		       struct sim_frame *f, size_t off, void *buf, size_t n, bool write)
{
	if (!frame_owned(f)) {
		if (native_copy(f->data, off, buf, n, write))
			return;
		orphan(w, m, pfn, f);
	}
	if (write)
		memcpy(f->data + off, buf, n);
	else
		memcpy(buf, f->data + off, n);
}

int sim_mem_read(struct sim_world *w, uint64_t hpa, void *buf, size_t len)
{
	struct sim_mem *m = mem_of(w);
	uint8_t *out = buf;

	while (len) {
		size_t off = hpa & (SIM_PAGE_SIZE - 1);
		size_t n = MIN(len, SIM_PAGE_SIZE - off);
		struct sim_frame *f = frame_of(m, hpa);

		if (f)
			frame_copy(w, m, hpa >> SIM_PAGE_SHIFT, f, off, out, n, false);
		else
			memset(out, 0, n);
		out += n;
		hpa += n;
		len -= n;
	}
	return 0;
}

int sim_mem_write(struct sim_world *w, uint64_t hpa, const void *buf, size_t len)
{
	struct sim_mem *m = mem_of(w);
	const uint8_t *in = buf;

	while (len) {
		size_t off = hpa & (SIM_PAGE_SIZE - 1);
		size_t n = MIN(len, SIM_PAGE_SIZE - off);
		struct sim_frame *f = frame_of(m, hpa);

		if (!f) {
			/* RAM first touched by this write: a frame at exactly
			 * this address, outside the allocator's order */
			uint64_t pfn = hpa >> SIM_PAGE_SHIFT, *key;
			if (sim_should_fail(w, "mem_frame_alloc") || budget_take(w, m, 1))
				return -ENOMEM;
			f = g_new0(struct sim_frame, 1);
			f->kind = SIM_FRAME_RAM;
			f->refs = 1;
			f->data = g_malloc0(SIM_PAGE_SIZE);
			key = g_new(uint64_t, 1);
			*key = pfn;
			g_hash_table_insert(m->frames, key, f);
			m->st.frames[SIM_FRAME_RAM]++;
			m->st.frames_total++;
			m->st.bytes += SIM_PAGE_SIZE;
			m->st.allocs++;
		}
		frame_copy(w, m, hpa >> SIM_PAGE_SHIFT, f, off, (void *)in, n, true);
		in += n;
		hpa += n;
		len -= n;
	}
	return 0;
}

uint64_t sim_mem_read64(struct sim_world *w, uint64_t hpa)
{
	struct sim_mem *m = mem_of(w);
	struct sim_frame *f = frame_of(m, hpa);
	uint64_t v = 0;

	if (f)
		frame_copy(w, m, hpa >> SIM_PAGE_SHIFT, f, hpa & (SIM_PAGE_SIZE - 8), &v,
			   sizeof(v), false);
	return v;
}

void sim_mem_write64(struct sim_world *w, uint64_t hpa, uint64_t val)
{
	struct sim_mem *m = mem_of(w);
	struct sim_frame *f = frame_of(m, hpa);

	if (f)
		frame_copy(w, m, hpa >> SIM_PAGE_SHIFT, f, hpa & (SIM_PAGE_SIZE - 8), &val,
			   sizeof(val), true);
	else
		sim_mem_write(w, hpa & ~7ull, &val, sizeof(val));
}

void sim_mem_stats(struct sim_world *w, struct sim_mem_stats *out)
{
	*out = mem_of(w)->st;
}

/* World teardown: whatever is left (RAM touched by DMA, leaked frames). */
void sim_mem_destroy(struct sim_world *w)
{
	struct sim_mem *m = w->mem;
	GHashTableIter it;
	gpointer key, val;

	if (!m)
		return;
	g_hash_table_iter_init(&it, m->frames);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		struct sim_frame *f = val;
		if (frame_owned(f))
			g_free(f->data);
		g_free(f);
		g_free(key);
	}
	g_hash_table_destroy(m->frames);
	g_hash_table_destroy(m->native);
	g_array_free(m->free_pfns, TRUE);
	g_free(m);
	w->mem = NULL;
}
