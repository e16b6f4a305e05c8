/* SPDX-License-Identifier: MIT */
/*
 * Host-physical memory in a dense frame directory.
 *
 * Frames are handed out lowest-free from SIM_MEM_BASE (a min-heap of freed
 * PFNs in front of a bump pointer), so HPAs are reproducible from the order
 * of allocations alone, and the PFNs in use are dense: a table indexed by
 * PFN finds a frame in two loads where a hash costs a hash, a probe and a
 * key compare, and walkers read descriptors through it on every reference.
 * The directory is a top array of pointers to leaves of LEAF_FRAMES frame
 * slots, a leaf made when the first frame of its 2 MiB of HPA space is.  The
 * top array grows to the highest leaf in use below DENSE_LEAVES (HPAs under
 * 1 TiB: every frame the allocator hands out, and any RAM a DMA touches
 * there).  Leaves above it, which only a DMA's first touch at a wild address
 * makes, live in a tree by leaf index, so such an address costs one leaf,
 * never a top array spanning it.  Leaves stay until the world goes: one per
 * 2 MiB of HPA space that ever held a frame.
 *
 * A frame's storage is made by its first write (or sim_mem_frame_ptr); until
 * then it reads as zeros.  A 1 GiB first-touch buffer pinned for DMA is
 * 262144 frames the device may never write, and making and zeroing their
 * storage up front was most of the cost of allocating them (and 1 GiB of
 * resident memory).
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

#define LEAF_SHIFT 9
#define LEAF_FRAMES (1u << LEAF_SHIFT)          /* 2 MiB of HPA space per leaf */
#define LEAF_MASK ((uint64_t)LEAF_FRAMES - 1)
#define DENSE_LEAVES (1ull << 19)               /* the top array: HPAs below 1 TiB */
#define TOP_MIN 64                              /* the first top array: 128 MiB */

/* One PFN's slot: 16 bytes, so a leaf is 8 KiB. */
struct sim_frame {
	uint8_t *data;          /* storage (owned unless a live native frame); NULL: zeros */
	uint32_t refs;          /* 0: no frame at this PFN */
	uint8_t kind;           /* enum sim_frame_kind */
	bool orphan;            /* a native frame whose page is gone: @data owned */
	bool walked;            /* a walker read a descriptor here (sim_mem_mark_walked) */
	bool folio;             /* one of a native huge page's (its leaf counts the pins) */
};
G_STATIC_ASSERT(sizeof(struct sim_frame) == 16);

/* A write here may change what a walker, or a cache's checker, would read:
 * the frame holds tables (sim_mem_table_gen). */
static inline bool frame_sensitive(const struct sim_frame *f)
{
	return f->kind == SIM_FRAME_PGTABLE || f->kind == SIM_FRAME_KERNEL ||
	       f->kind == SIM_FRAME_CPU_PGTABLE || f->walked;
}

struct sim_leaf {
	struct sim_frame f[LEAF_FRAMES];
	uint64_t index;         /* pfn >> LEAF_SHIFT: the far tree's key */
	/* A native huge page (folio; its frames say so): all 512 frames are
	 * one 2 MiB block of a program's memory, each holding one reference of
	 * the folio's own; folio_pins counts the others, and the folio goes
	 * when they do. */
	uint32_t folio_pins;
};

/*
 * The native-page lookup: the frames over one 2 MiB-aligned block of a
 * program's address space, by page (a THP folio's block is one of these,
 * its frames one leaf).  Made when a page of the block first gets a frame,
 * freed when its last frame goes.  Filling it for a batch of pages is a
 * store per page, where a hash of pages was an insert per page.
 */
#define NATIVE_BLOCK_SHIFT (SIM_PAGE_SHIFT + LEAF_SHIFT)
#define NATIVE_BLOCK_SIZE (1ull << NATIVE_BLOCK_SHIFT)

struct native_block {
	uint64_t pfn[LEAF_FRAMES];      /* 0: the page has no frame */
	uint32_t live;                  /* pages that have one */
};

struct sim_mem {
	struct sim_leaf **top;  /* leaf index -> leaf or NULL, below top_len */
	uint64_t top_len;
	GTree *far;             /* leaf index (at or above DENSE_LEAVES) -> leaf */
	GHashTable *native;     /* VA >> NATIVE_BLOCK_SHIFT -> struct native_block */
	struct native_block *nb;        /* the block last looked up (runs of pages ask */
	uint64_t nb_key;                /* for the same one 512 times), or NULL */
	GArray *free_pfns;      /* min-heap of freed PFNs below next_pfn */
	uint64_t next_pfn;
	uint64_t budget_frames;   /* 0: no limit */
	uint64_t table_gen;       /* writes that may have changed a table */
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
	[SIM_FRAME_NATIVE] = "native", [SIM_FRAME_CPU_PGTABLE] = "cpu-pgtable",
};

static gint leaf_index_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	(void)unused;
	return x < y ? -1 : x > y;
}

/* Out of line, so that the accessors' fast paths stay small. */
static G_GNUC_NO_INLINE struct sim_mem *mem_new(struct sim_world *w)
{
	w->mem = g_new0(struct sim_mem, 1);
	w->mem->far = g_tree_new_full(leaf_index_cmp, NULL, NULL, g_free);
	w->mem->native = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	w->mem->free_pfns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	w->mem->next_pfn = SIM_MEM_BASE >> SIM_PAGE_SHIFT;
	return w->mem;
}

static inline struct sim_mem *mem_of(struct sim_world *w)
{
	return G_LIKELY(w->mem) ? w->mem : mem_new(w);
}

/* ---- the directory ------------------------------------------------------------ */

/* The leaf past the top array: in the far tree, or none (below DENSE_LEAVES
 * the top array simply has not grown that far yet). */
static G_GNUC_NO_INLINE struct sim_leaf *far_leaf(const struct sim_mem *m, uint64_t index)
{
	if (index < DENSE_LEAVES)
		return NULL;
	return g_tree_lookup(m->far, &index);
}

static inline struct sim_leaf *leaf_of(const struct sim_mem *m, uint64_t index)
{
	if (G_LIKELY(index < m->top_len))
		return m->top[index];
	return far_leaf(m, index);
}

/* The frame at @pfn, or NULL: what every access and query starts with. */
static inline struct sim_frame *frame_at(const struct sim_mem *m, uint64_t pfn)
{
	struct sim_leaf *l = leaf_of(m, pfn >> LEAF_SHIFT);
	struct sim_frame *f;

	if (!l)
		return NULL;
	f = &l->f[pfn & LEAF_MASK];
	return f->refs ? f : NULL;
}

static inline struct sim_frame *frame_of(const struct sim_mem *m, uint64_t hpa)
{
	return frame_at(m, hpa >> SIM_PAGE_SHIFT);
}

/* The leaf for @index, made (and the top array grown to reach it) when
 * missing. */
static struct sim_leaf *leaf_get(struct sim_mem *m, uint64_t index)
{
	struct sim_leaf *l = leaf_of(m, index);

	if (l)
		return l;
	l = g_new0(struct sim_leaf, 1);
	l->index = index;
	if (index >= DENSE_LEAVES) {
		g_tree_insert(m->far, &l->index, l);
		return l;
	}
	if (index >= m->top_len) {
		/* doubling keeps growth amortised O(1) as the bump pointer climbs */
		uint64_t len = MAX(m->top_len * 2, (uint64_t)TOP_MIN);

		len = MIN(MAX(len, index + 1), DENSE_LEAVES);
		m->top = g_renew(struct sim_leaf *, m->top, len);
		memset(m->top + m->top_len, 0, (len - m->top_len) * sizeof(*m->top));
		m->top_len = len;
	}
	m->top[index] = l;
	return l;
}

/* The slot for @pfn, its leaf made when missing. */
static struct sim_frame *slot_get(struct sim_mem *m, uint64_t pfn)
{
	return &leaf_get(m, pfn >> LEAF_SHIFT)->f[pfn & LEAF_MASK];
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

/* The lowest free PFN, taken: freed ones first, then the bump pointer,
 * stepping over PFNs a DMA claimed directly (sim_mem_write's first touch). */
static uint64_t pfn_take(struct sim_mem *m)
{
	uint64_t pfn;

	do
		pfn = m->free_pfns->len ? heap_pop(m->free_pfns) : m->next_pfn++;
	while (frame_at(m, pfn));
	return pfn;
}

/*
 * pfn_take for a loop that takes many: the free slot of the lowest free
 * PFN (*pfn), its leaf made when missing.  *leaf is the leaf of the
 * caller's last frame, so that from the bump pointer (the common case: a
 * run of fresh PFNs) one directory lookup serves 512 frames.
 */
static G_GNUC_NO_INLINE struct sim_frame *slot_take_slow(struct sim_mem *m,
							  struct sim_leaf **leaf, uint64_t *pfn)
{
	struct sim_frame *f;

	do {
		*pfn = m->free_pfns->len ? heap_pop(m->free_pfns) : m->next_pfn++;
		if (!*leaf || (*leaf)->index != *pfn >> LEAF_SHIFT)
			*leaf = leaf_get(m, *pfn >> LEAF_SHIFT);
		f = &(*leaf)->f[*pfn & LEAF_MASK];
	} while (f->refs);
	return f;
}

/* Its common case without a call: no freed PFN, the bump pointer's next
 * in the leaf of the last. */
static inline struct sim_frame *slot_take(struct sim_mem *m, struct sim_leaf **leaf,
					  uint64_t *pfn)
{
	if (G_LIKELY(!m->free_pfns->len && *leaf && (*leaf)->index == m->next_pfn >> LEAF_SHIFT)) {
		struct sim_frame *f = &(*leaf)->f[m->next_pfn & LEAF_MASK];

		if (G_LIKELY(!f->refs)) {
			*pfn = m->next_pfn++;
			return f;
		}
	}
	return slot_take_slow(m, leaf, pfn);
}

/* A frame of @kind with one reference in the free slot @f, not yet
 * accounted (frames_account). */
static inline void frame_init(struct sim_frame *f, enum sim_frame_kind kind, uint8_t *data)
{
	f->data = data;
	f->refs = 1;
	f->kind = (uint8_t)kind;
	f->orphan = false;
	f->walked = false;
	f->folio = false;
}

/* @n new frames of @kind in the statistics. */
static inline void frames_account(struct sim_mem *m, enum sim_frame_kind kind, uint64_t n)
{
	m->st.frames[kind] += n;
	m->st.frames_total += n;
	m->st.bytes += n * SIM_PAGE_SIZE;
	m->st.allocs += n;
}

/* A frame of @kind with one reference in the free slot @f, accounted. */
static void frame_fill(struct sim_mem *m, struct sim_frame *f, enum sim_frame_kind kind,
		       uint8_t *data)
{
	frame_init(f, kind, data);
	frames_account(m, kind, 1);
}

/* A new frame of @kind at @pfn, accounted and traced; its HPA. */
static uint64_t frame_place(struct sim_world *w, struct sim_mem *m, uint64_t pfn,
			    enum sim_frame_kind kind, uint8_t *data)
{
	uint64_t hpa = pfn << SIM_PAGE_SHIFT;

	frame_fill(m, slot_get(m, pfn), kind, data);
	SIM_TRACE(w, sim_frame_alloc, (unsigned long long)hpa, kind_names[kind]);
	return hpa;
}

static bool kind_allocatable(enum sim_frame_kind kind)
{
	return kind < SIM_FRAME_NR_KINDS && kind != SIM_FRAME_NATIVE;
}

int sim_mem_frame_alloc(struct sim_world *w, enum sim_frame_kind kind, uint64_t *hpa)
{
	struct sim_mem *m = mem_of(w);

	if (!kind_allocatable(kind))
		return -EINVAL;
	if (sim_should_fail(w, "mem_frame_alloc") || budget_take(w, m, 1))
		return -ENOMEM;
	*hpa = frame_place(w, m, pfn_take(m), kind, NULL);
	return 0;
}

int sim_mem_frames_alloc_n(struct sim_world *w, enum sim_frame_kind kind, uint64_t n,
			   uint64_t *hpas)
{
	struct sim_mem *m = mem_of(w);
	struct sim_leaf *leaf = NULL;
	uint64_t i;

	if (!kind_allocatable(kind))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		uint64_t pfn;

		/* the questions sim_mem_frame_alloc asks, per frame and in its
		 * order, so fault sweeps and budget refusals see no difference */
		if (sim_should_fail(w, "mem_frame_alloc") || budget_take(w, m, 1))
			goto unwind;
		frame_fill(m, slot_take(m, &leaf, &pfn), kind, NULL);
		hpas[i] = pfn << SIM_PAGE_SHIFT;
		SIM_TRACE(w, sim_frame_alloc, (unsigned long long)hpas[i], kind_names[kind]);
	}
	return 0;
unwind:
	/* as the caller of n single allocations would give them back: the
	 * last first, so the bump pointer comes down again */
	while (i--)
		sim_mem_frame_put(w, hpas[i]);
	return -ENOMEM;
}

/* The first PFN at or above @from, aligned to @n, of a run of @n PFNs no
 * frame holds (a DMA's first touch may have claimed PFNs up there). */
static uint64_t contig_run(struct sim_mem *m, uint64_t from, unsigned n)
{
	uint64_t start = (from + n - 1) & ~(uint64_t)(n - 1);

	for (unsigned i = 0; i < n; i++) {
		uint64_t pfn = start + i;

		if (frame_at(m, pfn)) {
			start = (pfn + n) & ~(uint64_t)(n - 1);
			i = (unsigned)-1;       /* start over at the next aligned run */
		}
	}
	return start;
}

/* @n PFNs from an aligned run of them above every frame handed out: the
 * first.  The PFNs skipped to align stay free, for single frames. */
static uint64_t contig_take(struct sim_mem *m, unsigned n)
{
	uint64_t start = contig_run(m, m->next_pfn, n);

	for (uint64_t pfn = m->next_pfn; pfn < start; pfn++)
		if (!frame_at(m, pfn))
			heap_push(m->free_pfns, pfn);
	m->next_pfn = start + n;
	return start;
}

int sim_mem_frames_alloc_contig(struct sim_world *w, enum sim_frame_kind kind, unsigned n,
				uint64_t *hpa)
{
	struct sim_mem *m = mem_of(w);
	uint64_t start;

	if (!kind_allocatable(kind) || !n || n > 4096 || (n & (n - 1)))
		return -EINVAL;
	if (sim_should_fail(w, "mem_frame_alloc") || budget_take(w, m, n))
		return -ENOMEM;
	start = contig_take(m, n);
	for (unsigned i = 0; i < n; i++)
		frame_place(w, m, start + i, kind, NULL);
	*hpa = start << SIM_PAGE_SHIFT;
	return 0;
}

/* ---- native frames ----------------------------------------------------------- */

/* The lookup's block @key (a VA >> NATIVE_BLOCK_SHIFT), made when @make;
 * NULL when it has none. */
static G_GNUC_NO_INLINE struct native_block *native_block_slow(struct sim_mem *m, uint64_t key,
								bool make)
{
	struct native_block *b = g_hash_table_lookup(m->native, GSIZE_TO_POINTER(key));

	if (!b && make) {
		b = g_new0(struct native_block, 1);
		g_hash_table_insert(m->native, GSIZE_TO_POINTER(key), b);
	}
	if (b) {
		m->nb = b;
		m->nb_key = key;
	}
	return b;
}

/* The same; the block of the last lookup without a call. */
static inline struct native_block *native_block(struct sim_mem *m, uint64_t key, bool make)
{
	if (G_LIKELY(m->nb && m->nb_key == key))
		return m->nb;
	return native_block_slow(m, key, make);
}

/* The PFN of the frame over the native page at @va, 0 when it has none. */
static uint64_t native_pfn(struct sim_mem *m, uintptr_t va)
{
	struct native_block *b = native_block(m, va >> NATIVE_BLOCK_SHIFT, false);

	return b ? b->pfn[(va >> SIM_PAGE_SHIFT) & LEAF_MASK] : 0;
}

/* The native page @page no longer has its frame (it went, or its page did). */
static void native_unlink(struct sim_mem *m, const uint8_t *page)
{
	uintptr_t va = (uintptr_t)page;
	uint64_t key = va >> NATIVE_BLOCK_SHIFT;
	struct native_block *b = native_block(m, key, false);
	uint64_t *slot = b ? &b->pfn[(va >> SIM_PAGE_SHIFT) & LEAF_MASK] : NULL;

	if (!slot || !*slot)
		return;
	*slot = 0;
	if (--b->live)
		return;
	if (m->nb == b)
		m->nb = NULL;
	g_hash_table_remove(m->native, GSIZE_TO_POINTER(key));
}

/* One more reference on the frame @f at @pfn (a folio counts its pins). */
static inline void frame_ref(struct sim_mem *m, uint64_t pfn, struct sim_frame *f)
{
	f->refs++;
	if (G_UNLIKELY(f->folio))
		leaf_of(m, pfn >> LEAF_SHIFT)->folio_pins++;
}

/*
 * The sim_frame_alloc events of a batch.  When the event is not traced
 * (the default: it is off unless asked for) a call per frame would only
 * count it; the batch counts them at once instead (one sim_trace call,
 * which also stamps the time, and the rest added to the count), so
 * sim_trace_count sees what n calls would have made it.
 */
struct alloc_events {
	bool on;
	uint64_t untraced;
};

static inline void alloc_event(struct sim_world *w, struct alloc_events *ev, uint64_t pfn)
{
	if (ev->on)
		SIM_TRACE(w, sim_frame_alloc, (unsigned long long)(pfn << SIM_PAGE_SHIFT),
			  kind_names[SIM_FRAME_NATIVE]);
	else
		ev->untraced++;
}

static void alloc_events_flush(struct sim_world *w, struct alloc_events *ev)
{
	if (!ev->untraced)
		return;
	SIM_TRACE(w, sim_frame_alloc, 0ull, kind_names[SIM_FRAME_NATIVE]);
	w->trace.count += ev->untraced - 1;
	ev->untraced = 0;
}

/*
 * A native huge page over the 2 MiB block at @va, whose pages have no
 * frame (@b, their lookup block, is empty): the 512 frames of one leaf,
 * aligned, taken above every frame handed out as sim_mem_frames_alloc_contig
 * takes them, each with the folio's own reference.  Its leaf.
 */
static struct sim_leaf *folio_make(struct sim_world *w, struct sim_mem *m, uintptr_t va,
				   struct native_block *b, struct alloc_events *ev)
{
	uint64_t start = contig_take(m, LEAF_FRAMES);
	struct sim_leaf *l = leaf_get(m, start >> LEAF_SHIFT);

	l->folio_pins = 0;
	frames_account(m, SIM_FRAME_NATIVE, LEAF_FRAMES);
	for (unsigned i = 0; i < LEAF_FRAMES; i++) {
		frame_init(&l->f[i], SIM_FRAME_NATIVE,
			   (uint8_t *)(va + ((uintptr_t)i << SIM_PAGE_SHIFT)));
		l->f[i].folio = true;
		b->pfn[i] = start + i;
		alloc_event(w, ev, start + i);
	}
	b->live = LEAF_FRAMES;
	return l;
}

/* Do the pages from @base make a range sim_mem_frames_native_* take? */
static bool native_range_ok(const void *base, uint64_t n, const uint64_t *hpas)
{
	uintptr_t va = (uintptr_t)base;

	if (!va || (va & (SIM_PAGE_SIZE - 1)) || (n && !hpas))
		return false;
	return !n || n - 1 <= (UINTPTR_MAX - va) >> SIM_PAGE_SHIFT;
}

/*
 * The frames of the @n native pages from @base into @hpas (see
 * sim_mem_frames_native_run): a page's frame gets one reference more, a
 * page without one gets a new frame, from a folio when its block lies in
 * [@thp_lo, @thp_hi) and has no frame yet.  The fault site is asked once,
 * when the first new frame is needed, unless @asked.  With @stop, the call
 * ends after the first page whose frame does not follow @prev (0: none)
 * or its predecessor's.  The pages done; *err 0 or -ENOMEM (the page after
 * them needed a frame).
 */
static uint64_t native_frames(struct sim_world *w, uintptr_t base, uint64_t n,
			      uintptr_t thp_lo, uintptr_t thp_hi, bool stop, uint64_t prev,
			      bool asked, uint64_t *hpas, int *err)
{
	struct sim_mem *m = mem_of(w);
	struct alloc_events ev = { .on = sim_trace_enabled(w, "sim_frame_alloc") };
	struct sim_leaf *leaf = NULL;       /* slot_take's */
	uint64_t i, made = 0;               /* 4 KiB frames, accounted at the end */

	*err = 0;
	for (i = 0; i < n; i++) {
		uintptr_t va = base + (uintptr_t)(i << SIM_PAGE_SHIFT);
		uint64_t key = va >> NATIVE_BLOCK_SHIFT, hpa;
		unsigned idx = (unsigned)(va >> SIM_PAGE_SHIFT) & LEAF_MASK;
		struct native_block *b = native_block(m, key, false);
		uint64_t pfn = b ? b->pfn[idx] : 0;

		if (pfn) {
			frame_ref(m, pfn, &leaf_of(m, pfn >> LEAF_SHIFT)->f[pfn & LEAF_MASK]);
		} else {
			uintptr_t block = va & ~(uintptr_t)(NATIVE_BLOCK_SIZE - 1);

			if (!asked) {
				asked = true;
				if (sim_should_fail(w, "mem_frame_alloc")) {
					*err = -ENOMEM;
					break;
				}
			}
			if (!b)
				b = native_block(m, key, true);
			if (!b->live && block >= thp_lo && thp_hi >= NATIVE_BLOCK_SIZE &&
			    block <= thp_hi - NATIVE_BLOCK_SIZE) {
				struct sim_leaf *l = folio_make(w, m, block, b, &ev);

				pfn = b->pfn[idx];
				frame_ref(m, pfn, &l->f[idx]);
			} else {
				frame_init(slot_take(m, &leaf, &pfn), SIM_FRAME_NATIVE,
					   (uint8_t *)va);
				made++;
				b->pfn[idx] = pfn;
				b->live++;
				alloc_event(w, &ev, pfn);
			}
		}
		hpas[i] = hpa = pfn << SIM_PAGE_SHIFT;
		if (stop && (i || prev) && hpa != prev + SIM_PAGE_SIZE) {
			i++;
			break;
		}
		prev = hpa;
	}
	frames_account(m, SIM_FRAME_NATIVE, made);
	alloc_events_flush(w, &ev);
	return i;
}

int sim_mem_frame_native(struct sim_world *w, void *page, uint64_t *hpa)
{
	int err;

	if (!hpa || !native_range_ok(page, 1, hpa))
		return -EINVAL;
	native_frames(w, (uintptr_t)page, 1, 0, 0, false, 0, false, hpa, &err);
	return err;
}

int sim_mem_frames_native_n(struct sim_world *w, void *base, uint64_t n, bool thp,
			    uint64_t *hpas)
{
	uintptr_t va = (uintptr_t)base;
	int err;

	if (!native_range_ok(base, n, hpas))
		return -EINVAL;
	/* all or nothing: the one question first, when any page needs a frame */
	if (sim_mem_native_backed(w, base, n) < n && sim_should_fail(w, "mem_frame_alloc"))
		return -ENOMEM;
	native_frames(w, va, n, thp ? va : 0, thp ? va + (uintptr_t)(n << SIM_PAGE_SHIFT) : 0,
		      false, 0, true, hpas, &err);
	return err;
}

uint64_t sim_mem_frames_native_run(struct sim_world *w, void *base, uint64_t n, void *thp_lo,
				   void *thp_hi, uint64_t prev, uint64_t *hpas, int *err)
{
	if (!native_range_ok(base, n, hpas)) {
		*err = -EINVAL;
		return 0;
	}
	return native_frames(w, (uintptr_t)base, n, (uintptr_t)thp_lo, (uintptr_t)thp_hi, true,
			     prev, false, hpas, err);
}

uint64_t sim_mem_native_backed(struct sim_world *w, void *base, uint64_t n)
{
	struct sim_mem *m = mem_of(w);
	uint64_t i;

	if (!native_range_ok(base, n, &n))
		return 0;
	for (i = 0; i < n; i++)
		if (!native_pfn(m, (uintptr_t)base + (uintptr_t)(i << SIM_PAGE_SHIFT)))
			break;
	return i;
}

void sim_mem_frame_get(struct sim_world *w, uint64_t hpa)
{
	struct sim_mem *m = mem_of(w);
	uint64_t pfn = hpa >> SIM_PAGE_SHIFT;
	struct sim_frame *f = frame_at(m, pfn);

	g_return_if_fail(f);
	frame_ref(m, pfn, f);
}

/* The frame @f at @pfn lost its last reference: storage released, the slot
 * empty again, the PFN free (back to the bump pointer when it is the
 * highest handed out). */
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
	if (frame_sensitive(f))
		m->table_gen++;      /* a table's frame goes: what it said is gone */
	if (frame_owned(f))
		g_free(f->data);
	else
		native_unlink(m, f->data);
	memset(f, 0, sizeof(*f));
	if (pfn == m->next_pfn - 1)
		m->next_pfn--;
	else
		heap_push(m->free_pfns, pfn);
}

/* A folio whose last pin went: its frames, highest first (so that a folio
 * at the top gives the bump pointer all of its PFNs back). */
static void folio_release(struct sim_world *w, struct sim_mem *m, struct sim_leaf *l)
{
	for (unsigned i = LEAF_FRAMES; i--; )
		if (l->f[i].refs)
			frame_release(w, m, (l->index << LEAF_SHIFT) + i, &l->f[i]);
}

void sim_mem_frame_put(struct sim_world *w, uint64_t hpa)
{
	struct sim_mem *m = mem_of(w);
	uint64_t pfn = hpa >> SIM_PAGE_SHIFT;
	struct sim_frame *f = frame_at(m, pfn);

	if (!f)
		return;
	if (G_UNLIKELY(f->folio)) {
		struct sim_leaf *l = leaf_of(m, pfn >> LEAF_SHIFT);

		/* the folio's own reference is not a caller's to drop */
		if (f->refs == 1)
			return;
		f->refs--;
		if (!--l->folio_pins)
			folio_release(w, m, l);
		return;
	}
	if (!--f->refs)
		frame_release(w, m, pfn, f);
}

/* The storage of the owned frame @f, made (zeros) when it has none yet. */
static uint8_t *frame_storage(struct sim_frame *f)
{
	if (!f->data)
		f->data = g_malloc0(SIM_PAGE_SIZE);
	return f->data;
}

void *sim_mem_frame_ptr(struct sim_world *w, uint64_t hpa)
{
	struct sim_frame *f = frame_of(mem_of(w), hpa);

	return f && frame_owned(f) ? frame_storage(f) : NULL;
}

bool sim_mem_frame_orphaned(struct sim_world *w, uint64_t hpa)
{
	struct sim_frame *f = frame_of(mem_of(w), hpa);

	return f && f->orphan;
}

unsigned sim_mem_frame_refs(struct sim_world *w, uint64_t hpa, bool *folio)
{
	struct sim_frame *f = frame_of(mem_of(w), hpa);

	if (folio)
		*folio = f && f->folio;
	return f ? f->refs : 0;
}

bool sim_mem_present(struct sim_world *w, uint64_t hpa)
{
	return frame_of(mem_of(w), hpa) != NULL;
}

enum sim_frame_kind sim_mem_frame_kind(struct sim_world *w, uint64_t hpa)
{
	struct sim_frame *f = frame_of(mem_of(w), hpa);

	return f ? (enum sim_frame_kind)f->kind : SIM_FRAME_NR_KINDS;
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
	native_unlink(m, f->data);
	f->data = data;
	f->orphan = true;
	m->st.native_orphans++;
	SIM_TRACE(w, sim_frame_orphan, (unsigned long long)(pfn << SIM_PAGE_SHIFT));
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
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
	if (!write) {
		if (f->data)
			memcpy(buf, f->data + off, n);
		else
			memset(buf, 0, n);
		return;
	}
	if (frame_sensitive(f))
		m->table_gen++;
	/* zeros written over storage not made yet change nothing */
	if (f->data || !all_zero(buf, n))
		memcpy(frame_storage(f) + off, buf, n);
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
		uint64_t pfn = hpa >> SIM_PAGE_SHIFT;
		struct sim_frame *f = frame_at(m, pfn);

		if (!f) {
			/* RAM first touched by this write: a frame at exactly
			 * this address, outside the allocator's order (and, as
			 * always, untraced) */
			if (sim_should_fail(w, "mem_frame_alloc") || budget_take(w, m, 1))
				return -ENOMEM;
			f = slot_get(m, pfn);
			frame_fill(m, f, SIM_FRAME_RAM, NULL);
		}
		frame_copy(w, m, pfn, f, off, (void *)in, n, true);
		in += n;
		hpa += n;
		len -= n;
	}
	return 0;
}

/* sim_mem_read64 of anything but a frame of simulator storage in the top
 * array: no memory yet, a far leaf, a live native frame. */
static G_GNUC_NO_INLINE uint64_t read64_slow(struct sim_world *w, uint64_t hpa)
{
	struct sim_mem *m = mem_of(w);
	struct sim_frame *f = frame_of(m, hpa);
	uint64_t v = 0;

	if (f)
		frame_copy(w, m, hpa >> SIM_PAGE_SHIFT, f, hpa & (SIM_PAGE_SIZE - 8), &v,
			   sizeof(v), false);
	return v;
}

/* Every descriptor a walker fetches comes through here, so the common case
 * is spelled out: two loads to the slot, one to the storage, no calls (the
 * rest is a tail call). */
uint64_t sim_mem_read64(struct sim_world *w, uint64_t hpa)
{
	const struct sim_mem *m = w->mem;
	uint64_t pfn = hpa >> SIM_PAGE_SHIFT;
	const struct sim_leaf *l;
	const struct sim_frame *f;
	uint64_t v;

	if (G_UNLIKELY(!m || pfn >> LEAF_SHIFT >= m->top_len))
		return read64_slow(w, hpa);
	l = m->top[pfn >> LEAF_SHIFT];
	if (!l)
		return 0;
	f = &l->f[pfn & LEAF_MASK];
	if (!f->refs)
		return 0;
	if (G_UNLIKELY(!frame_owned(f)))
		return read64_slow(w, hpa);
	if (!f->data)
		return 0;
	memcpy(&v, f->data + (hpa & (SIM_PAGE_SIZE - 8)), sizeof(v));
	return v;
}

/* sim_mem_write64 of anything but a frame in the top array with storage:
 * storage to make, a DMA's first touch, a far leaf, a native frame. */
static G_GNUC_NO_INLINE void write64_slow(struct sim_world *w, uint64_t hpa, uint64_t val)
{
	struct sim_mem *m = mem_of(w);
	struct sim_frame *f = frame_of(m, hpa);

	if (f)
		frame_copy(w, m, hpa >> SIM_PAGE_SHIFT, f, hpa & (SIM_PAGE_SIZE - 8), &val,
			   sizeof(val), true);
	else
		sim_mem_write(w, hpa & ~7ull, &val, sizeof(val));
}

/* A table update: as sim_mem_read64, the common case without a call. */
void sim_mem_write64(struct sim_world *w, uint64_t hpa, uint64_t val)
{
	struct sim_mem *m = w->mem;
	uint64_t pfn = hpa >> SIM_PAGE_SHIFT;
	const struct sim_leaf *l;
	const struct sim_frame *f;

	if (G_LIKELY(m && pfn >> LEAF_SHIFT < m->top_len && (l = m->top[pfn >> LEAF_SHIFT]))) {
		f = &l->f[pfn & LEAF_MASK];
		if (f->refs && frame_owned(f) && f->data) {
			if (frame_sensitive(f))
				m->table_gen++;
			memcpy(f->data + (hpa & (SIM_PAGE_SIZE - 8)), &val, sizeof(val));
			return;
		}
	}
	write64_slow(w, hpa, val);
}

uint64_t sim_mem_table_gen(struct sim_world *w)
{
	return w->mem ? w->mem->table_gen : 0;
}

const uint64_t *sim_mem_table_gen_ptr(struct sim_world *w)
{
	return &mem_of(w)->table_gen;
}

void sim_mem_table_touched(struct sim_world *w)
{
	mem_of(w)->table_gen++;
}

bool sim_mem_table_frame(struct sim_world *w, uint64_t hpa)
{
	const struct sim_frame *f = w->mem ? frame_of(w->mem, hpa) : NULL;

	return f && frame_sensitive(f);
}

void sim_mem_mark_walked(struct sim_world *w, uint64_t hpa)
{
	struct sim_frame *f = w->mem ? frame_of(w->mem, hpa) : NULL;

	if (f)
		f->walked = true;
}

void sim_mem_stats(struct sim_world *w, struct sim_mem_stats *out)
{
	*out = mem_of(w)->st;
}

/* Storage of every live frame of @l (a native frame's page is the
 * program's). */
static void leaf_free_storage(struct sim_leaf *l)
{
	for (unsigned i = 0; i < LEAF_FRAMES; i++)
		if (l->f[i].refs && frame_owned(&l->f[i]))
			g_free(l->f[i].data);
}

static gboolean far_free_storage(gpointer key, gpointer val, gpointer unused)
{
	(void)key;
	(void)unused;
	leaf_free_storage(val);
	return FALSE;
}

/* World teardown: whatever is left (RAM touched by DMA, leaked frames), in
 * PFN order. */
void sim_mem_destroy(struct sim_world *w)
{
	struct sim_mem *m = w->mem;

	if (!m)
		return;
	for (uint64_t i = 0; i < m->top_len; i++)
		if (m->top[i]) {
			leaf_free_storage(m->top[i]);
			g_free(m->top[i]);
		}
	g_free(m->top);
	g_tree_foreach(m->far, far_free_storage, NULL);
	g_tree_destroy(m->far);           /* and its leaves */
	g_hash_table_destroy(m->native);
	g_array_free(m->free_pfns, TRUE);
	g_free(m);
	w->mem = NULL;
}
