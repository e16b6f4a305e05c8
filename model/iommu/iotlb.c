/* SPDX-License-Identifier: MIT */
/*
 * The tagged translation cache behind the IOTLB (and, later, the paging-
 * structure caches and device TLBs): a hash implementation and a naive
 * linear one with the same observable behaviour (see iotlb.h).
 *
 * Hash implementation invariants:
 *  - every used slot points at the state of its (tag, pasid) pair, which
 *    points at the state of its tag; a used slot is live iff both of its
 *    generation snapshots still match, so bumping either generation kills
 *    every entry under it at once.  Dead slots stay linked (hash chain and
 *    FIFO list) until a lookup, an eviction or a sweep reclaims them;
 *  - a state is referred to by used slots, live or dead (a pair state) or
 *    by pair states (a tag state), and is only freed once nothing refers
 *    to it, so no slot can hold a generation of a freed state and a new
 *    state may start at 0 again.  A pair state nothing refers to is idle:
 *    it is kept, because the usual next event is a refill of the same pair
 *    (a lookup reclaims the last dead slot of a pair, the walk that follows
 *    inserts into it again), until more pair states are idle than there are
 *    slots; then every idle state goes in one pass (amortised O(1) each).
 *    So the state maps never hold more than twice as many pairs as there
 *    are slots, however many tags and PASIDs come and go;
 *  - generations are 64-bit and never wrap in practice (one bump per
 *    invalidation), so no invalidation ever has to find old slots;
 *  - a pair's live count is only meaningful while the pair has seen its
 *    tag's current generation: a tag invalidation zeroes the tag's count
 *    and leaves the pairs to notice (pair_sync()), keeping it O(1);
 *  - live entries <= capacity; slots = 2 * capacity, so when no slot is
 *    free more than half of them are dead and one sweep reclaims them all
 *    (amortised O(1) per invalidated entry);
 *  - at most one used slot per key: an insert first releases the slot with
 *    the same key, live or dead;
 *  - the FIFO list holds every used slot in insertion order, so its first
 *    live slot is the oldest live entry, the one the naive array evicts.
 * No allocation on the lookup path; insert allocates only for a (tag, pasid)
 * pair (or tag) without a state.
 */
#include <string.h>
#include <glib.h>

#include "model/iommu/iotlb.h"

/*
 * Slot indices are int32_t; capping the capacity keeps 2 * capacity slots
 * indexable.  Far beyond any real cache (a few thousand entries).
 */
#define IOTLB_MAX_CAPACITY (1u << 29)

struct tag_state {
	uint32_t tag;              /* the key (g_int_hash) */
	unsigned live;             /* live entries of the tag */
	unsigned pairs;            /* pair states referring to this one */
	uint64_t gen;
};

struct pair_state {
	uint64_t key;              /* tag << 32 | pasid (g_int64_hash) */
	struct tag_state *ts;
	uint64_t gen;
	uint64_t tag_gen;          /* ts->gen for which @live is valid */
	unsigned live;             /* live entries of the pair */
	unsigned slots;            /* used slots referring to this one (+ an insert's hold) */
};

struct tlb_slot {
	uint64_t iova, hpa, aux, seq;
	uint64_t tgen, pgen;       /* snapshots of the tag's and the pair's generation */
	struct pair_state *ps;
	uint32_t tag, pasid;       /* copies of ps's key: probes compare without a chase */
	unsigned prot, kind;
	int32_t hnext;             /* hash chain */
	int32_t prev, next;        /* FIFO list; the free list uses next */
	uint8_t shift;
	bool used;
};

struct iotlb {
	bool naive;
	bool ready;                /* storage made (the first insert) */
	unsigned cap;
	uint64_t sizes;            /* the size bitmap */
	unsigned nshift;
	uint8_t shifts[64];        /* candidate sizes, ascending */
	uint64_t live;
	/* hash */
	struct tlb_slot *slots;
	uint32_t nslots;
	int32_t *buckets;
	uint32_t bmask;
	int32_t head, tail, free;
	GHashTable *tags;          /* tag -> struct tag_state */
	GHashTable *pairs;         /* (tag, pasid) -> struct pair_state */
	uint32_t idle;             /* pair states no slot refers to */
	/* the last states found: a cache serves one domain for long stretches,
	 * and a map lookup costs as much as the rest of an insert */
	struct pair_state *memo_ps;
	struct tag_state *memo_ts;
	/* naive */
	struct iommu_cache_entry *arr;
	unsigned n;
};

struct iotlb *iotlb_new(unsigned capacity, bool naive, uint64_t size_bitmap)
{
	struct iotlb *t = g_new0(struct iotlb, 1);

	t->naive = naive;
	t->cap = MIN(capacity, IOTLB_MAX_CAPACITY);
	t->sizes = size_bitmap;
	for (unsigned s = 0; s < 64; s++)
		if (size_bitmap & (1ull << s))
			t->shifts[t->nshift++] = (uint8_t)s;
	t->head = t->tail = t->free = -1;
	return t;
}

/*
 * The entries' storage, made at the first insert: most caches of a
 * short-lived world (a scenario's, each ATS device's) never hold one, and
 * a 512-entry IOTLB's slots are 80 KiB to zero.  Until then every lookup
 * misses and every invalidation drops nothing, as for an empty cache.
 */
static void storage(struct iotlb *t)
{
	uint32_t nb = 1;

	t->ready = true;
	if (t->naive) {
		t->arr = g_new0(struct iommu_cache_entry, t->cap);
		return;
	}
	t->nslots = 2 * t->cap;
	t->slots = g_new0(struct tlb_slot, t->nslots);
	for (uint32_t i = t->nslots; i-- > 0;) {
		t->slots[i].next = t->free;
		t->free = (int32_t)i;
	}
	while (nb < t->nslots)
		nb <<= 1;
	t->buckets = g_new(int32_t, nb);
	memset(t->buckets, 0xff, nb * sizeof(int32_t));
	t->bmask = nb - 1;
	/* the keys live inside the values: freeing the value is enough */
	t->tags = g_hash_table_new_full(g_int_hash, g_int_equal, NULL, g_free);
	t->pairs = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
}

void iotlb_free(struct iotlb *t)
{
	if (!t)
		return;
	if (t->pairs)
		g_hash_table_destroy(t->pairs);
	if (t->tags)
		g_hash_table_destroy(t->tags);
	g_free(t->slots);
	g_free(t->buckets);
	g_free(t->arr);
	g_free(t);
}

uint64_t iotlb_live(const struct iotlb *t)
{
	return t->live;
}

unsigned iotlb_capacity(const struct iotlb *t)
{
	return t->cap;
}

/* ---- rules shared by both implementations ------------------------------------ */

static inline bool overlaps(uint64_t a, uint64_t a_last, uint64_t b, uint64_t b_last)
{
	return a <= b_last && b <= a_last;
}

/*
 * Whether a range invalidation of [iova, last] needs more per-page probes
 * (one per page per candidate size) than the hash has slots.  Such a range
 * costs more to probe than to forget the whole (tag, pasid), so it does the
 * latter; the naive cache applies the same rule (with the slot count the
 * hash would have) so both drop the same entries.
 */
static bool range_huge(const struct iotlb *t, uint64_t iova, uint64_t last)
{
	uint64_t limit = 2ull * t->cap, n = 0;

	for (unsigned k = 0; k < t->nshift; k++) {
		/* pages - 1; kept below the limit so the sum cannot wrap */
		uint64_t d = (last >> t->shifts[k]) - (iova >> t->shifts[k]);

		if (d >= limit)
			return true;
		n += d + 1;
		if (n > limit)
			return true;
	}
	return false;
}

/* ---- hash implementation: states ---------------------------------------------- */

static inline uint64_t pair_key(uint32_t tag, uint32_t pasid)
{
	return (uint64_t)tag << 32 | pasid;
}

/*
 * A tag invalidation only zeroes the tag's live count; a pair still
 * counting entries of an older tag generation has none left.
 */
static inline void pair_sync(struct pair_state *ps)
{
	if (ps->tag_gen != ps->ts->gen) {
		ps->live = 0;
		ps->tag_gen = ps->ts->gen;
	}
}

static struct pair_state *pair_find(struct iotlb *t, uint32_t tag, uint32_t pasid)
{
	uint64_t key = pair_key(tag, pasid);
	struct pair_state *ps = t->memo_ps;

	if (ps && ps->key == key)
		return ps;
	ps = g_hash_table_lookup(t->pairs, &key);
	if (ps)
		t->memo_ps = ps;
	return ps;
}

static struct tag_state *tag_find(struct iotlb *t, uint32_t tag)
{
	struct tag_state *ts = t->memo_ts;

	if (ts && ts->tag == tag)
		return ts;
	ts = g_hash_table_lookup(t->tags, &tag);
	if (ts)
		t->memo_ts = ts;
	return ts;
}

/* The state of (tag, pasid), created if needed, with one more reference. */
static struct pair_state *pair_hold(struct iotlb *t, uint32_t tag, uint32_t pasid)
{
	struct pair_state *ps = pair_find(t, tag, pasid);
	struct tag_state *ts;

	if (ps && !ps->slots)
		t->idle--;
	if (!ps) {
		ts = tag_find(t, tag);
		if (!ts) {
			ts = g_new0(struct tag_state, 1);
			ts->tag = tag;
			g_hash_table_insert(t->tags, &ts->tag, ts);
		}
		ts->pairs++;
		ps = g_new0(struct pair_state, 1);
		ps->key = pair_key(tag, pasid);
		ps->ts = ts;
		ps->tag_gen = ts->gen;
		g_hash_table_insert(t->pairs, &ps->key, ps);
		t->memo_ps = ps;
	}
	ps->slots++;
	return ps;
}

/* Free every idle pair state, and the tag states left without pairs. */
static void purge_idle(struct iotlb *t)
{
	GHashTableIter it;
	gpointer val;

	/* the order of the visits does not matter: only idle states go */
	g_hash_table_iter_init(&it, t->pairs);
	while (g_hash_table_iter_next(&it, NULL, &val)) {
		struct pair_state *ps = val;

		if (!ps->slots) {
			ps->ts->pairs--;
			g_hash_table_iter_remove(&it);
		}
	}
	g_hash_table_iter_init(&it, t->tags);
	while (g_hash_table_iter_next(&it, NULL, &val))
		if (!((struct tag_state *)val)->pairs)
			g_hash_table_iter_remove(&it);
	t->idle = 0;
	t->memo_ps = NULL;
	t->memo_ts = NULL;
}

/* Drop a reference; the last one makes the pair idle (see the top). */
static void pair_put(struct iotlb *t, struct pair_state *ps)
{
	if (--ps->slots)
		return;
	if (++t->idle > t->nslots)
		purge_idle(t);
}

/* ---- hash implementation: slots ------------------------------------------------ */

static inline uint32_t key_hash(uint32_t tag, uint32_t pasid, uint64_t iova, uint8_t shift)
{
	uint64_t k = (iova >> shift) + ((uint64_t)shift << 58) +
		     pair_key(tag, pasid) * 0x9e3779b97f4a7c15ull;

	/* murmur3's 64-bit finaliser: every input bit reaches the low bits */
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return (uint32_t)k;
}

static inline bool slot_live(const struct tlb_slot *s)
{
	return s->pgen == s->ps->gen && s->tgen == s->ps->ts->gen;
}

static int32_t hash_find(const struct iotlb *t, uint32_t tag, uint32_t pasid, uint64_t iova,
			 uint8_t shift)
{
	int32_t i = t->buckets[key_hash(tag, pasid, iova, shift) & t->bmask];

	while (i >= 0) {
		const struct tlb_slot *s = &t->slots[i];

		if (s->iova == iova && s->tag == tag && s->pasid == pasid && s->shift == shift)
			return i;
		i = s->hnext;
	}
	return -1;
}

/* Unlink and free a slot, without touching the live counts. */
static void slot_release(struct iotlb *t, int32_t i)
{
	struct tlb_slot *s = &t->slots[i];
	int32_t *pp = &t->buckets[key_hash(s->tag, s->pasid, s->iova, s->shift) & t->bmask];

	while (*pp != i)
		pp = &t->slots[*pp].hnext;
	*pp = s->hnext;
	if (s->prev >= 0)
		t->slots[s->prev].next = s->next;
	else
		t->head = s->next;
	if (s->next >= 0)
		t->slots[s->next].prev = s->prev;
	else
		t->tail = s->prev;
	pair_put(t, s->ps);
	s->ps = NULL;
	s->used = false;
	s->next = t->free;
	t->free = i;
}

/* Free a slot; returns whether it was live (and then uncounts it). */
static bool slot_drop(struct iotlb *t, int32_t i)
{
	struct tlb_slot *s = &t->slots[i];
	bool live = slot_live(s);

	if (live) {
		pair_sync(s->ps);
		s->ps->live--;
		s->ps->ts->live--;
		t->live--;
	}
	slot_release(t, i);
	return live;
}

/* Reclaim every dead slot: only when no slot is free (see the top). */
static void sweep_dead(struct iotlb *t)
{
	int32_t i = t->head, next;

	for (; i >= 0; i = next) {
		next = t->slots[i].next;
		if (!slot_live(&t->slots[i]))
			slot_release(t, i);
	}
}

static void slot_to_entry(const struct tlb_slot *s, struct iommu_cache_entry *e)
{
	*e = (struct iommu_cache_entry){ .tag = s->tag, .pasid = s->pasid, .iova = s->iova,
		.size = 1ull << s->shift, .hpa = s->hpa, .aux = s->aux, .prot = s->prot,
		.kind = s->kind, .seq = s->seq };
}

static bool hash_lookup(struct iotlb *t, uint32_t tag, uint32_t pasid, uint64_t iova,
			struct iommu_cache_entry *out)
{
	for (unsigned k = 0; k < t->nshift; k++) {
		uint8_t shift = t->shifts[k];
		int32_t i = hash_find(t, tag, pasid, iova & ~((1ull << shift) - 1), shift);

		if (i < 0)
			continue;
		if (!slot_live(&t->slots[i])) {
			slot_release(t, i);
			continue;
		}
		slot_to_entry(&t->slots[i], out);
		return true;
	}
	return false;
}

static unsigned hash_insert(struct iotlb *t, const struct iommu_cache_entry *e)
{
	uint8_t shift = (uint8_t)__builtin_ctzll(e->size);
	/*
	 * Held before anything is released: a replaced slot may be the
	 * pair's last reference, and freeing the state only to allocate it
	 * again is the common case of a refill after an invalidation.
	 */
	struct pair_state *ps = pair_hold(t, e->tag, e->pasid);
	int32_t i = hash_find(t, e->tag, e->pasid, e->iova, shift);
	unsigned evicted = 0;
	struct tlb_slot *s;
	uint32_t b;

	if (i >= 0)
		slot_drop(t, i);                /* a replacement, not an eviction */
	if (t->live == t->cap) {
		while (!slot_drop(t, t->head))  /* dead heads are reclaimed on the way */
			;
		evicted = 1;
	}
	if (t->free < 0)
		sweep_dead(t);
	pair_sync(ps);
	i = t->free;
	s = &t->slots[i];
	t->free = s->next;
	*s = (struct tlb_slot){ .iova = e->iova, .hpa = e->hpa, .aux = e->aux, .seq = e->seq,
		.tgen = ps->ts->gen, .pgen = ps->gen, .ps = ps, .tag = e->tag,
		.pasid = e->pasid, .prot = e->prot, .kind = e->kind, .prev = t->tail,
		.next = -1, .shift = shift, .used = true };
	b = key_hash(e->tag, e->pasid, e->iova, shift) & t->bmask;
	s->hnext = t->buckets[b];
	t->buckets[b] = i;
	if (t->tail >= 0)
		t->slots[t->tail].next = i;
	else
		t->head = i;
	t->tail = i;
	ps->live++;
	ps->ts->live++;
	t->live++;
	return evicted;
}

/* Tag invalidation: O(1), by retiring the tag's generation. */
static unsigned hash_inv_tag(struct iotlb *t, uint32_t tag)
{
	struct tag_state *ts = tag_find(t, tag);
	unsigned dropped;

	if (!ts || !ts->live)
		return 0;
	dropped = ts->live;
	t->live -= dropped;
	ts->live = 0;
	ts->gen++;
	return dropped;
}

/* (tag, pasid) invalidation: O(1), by retiring the pair's generation. */
static unsigned hash_inv_pasid(struct iotlb *t, uint32_t tag, uint32_t pasid)
{
	struct pair_state *ps = pair_find(t, tag, pasid);
	unsigned dropped;

	if (!ps)
		return 0;
	pair_sync(ps);
	if (!ps->live)
		return 0;
	dropped = ps->live;
	t->live -= dropped;
	ps->ts->live -= dropped;
	ps->live = 0;
	ps->gen++;
	return dropped;
}

/* Range invalidation: one probe per page per candidate size (see range_huge()). */
static unsigned hash_inv_range(struct iotlb *t, uint32_t tag, uint32_t pasid, uint64_t iova,
			       uint64_t last)
{
	unsigned dropped = 0;

	if (range_huge(t, iova, last))
		return hash_inv_pasid(t, tag, pasid);
	if (!pair_find(t, tag, pasid))
		return 0;                       /* nothing cached for the pair at all */
	for (unsigned k = 0; k < t->nshift; k++) {
		uint8_t shift = t->shifts[k];
		uint64_t first = iova >> shift, n = (last >> shift) - first + 1;

		/* counted rather than compared with last >> shift, which may be
		 * UINT64_MAX */
		for (uint64_t p = 0; p < n; p++) {
			int32_t i = hash_find(t, tag, pasid, (first + p) << shift, shift);

			if (i >= 0)
				dropped += slot_drop(t, i);
		}
	}
	return dropped;
}

/*
 * Everything: every tag with an entry has a state, so retiring each tag's
 * generation kills every slot.  O(tags), which is at most the slot count
 * and in practice a handful; the slots themselves are left to be reclaimed
 * lazily like after any other invalidation.
 */
static unsigned hash_inv_all(struct iotlb *t)
{
	unsigned dropped = (unsigned)t->live;
	GHashTableIter it;
	gpointer val;

	/* the order of the visit does not matter: each tag is treated alike */
	g_hash_table_iter_init(&it, t->tags);
	while (g_hash_table_iter_next(&it, NULL, &val)) {
		struct tag_state *ts = val;

		if (ts->live) {
			ts->live = 0;
			ts->gen++;
		}
	}
	t->live = 0;
	return dropped;
}

static int hash_for_each(struct iotlb *t, int (*fn)(const struct iommu_cache_entry *e, void *ctx),
			 void *ctx)
{
	struct iommu_cache_entry e;
	int ret;

	for (int32_t i = t->head; i >= 0; i = t->slots[i].next) {
		if (!slot_live(&t->slots[i]))
			continue;
		slot_to_entry(&t->slots[i], &e);
		if ((ret = fn(&e, ctx)))
			return ret;
	}
	return 0;
}

/* ---- naive implementation --------------------------------------------------- */

static bool naive_lookup(struct iotlb *t, uint32_t tag, uint32_t pasid, uint64_t iova,
			 struct iommu_cache_entry *out)
{
	for (unsigned k = 0; k < t->nshift; k++) {
		uint64_t size = 1ull << t->shifts[k], base = iova & ~(size - 1);

		for (unsigned j = 0; j < t->n; j++) {
			const struct iommu_cache_entry *e = &t->arr[j];

			if (e->tag == tag && e->pasid == pasid && e->size == size &&
			    e->iova == base) {
				*out = *e;
				return true;
			}
		}
	}
	return false;
}

static void naive_remove(struct iotlb *t, unsigned j)
{
	memmove(&t->arr[j], &t->arr[j + 1], (t->n - j - 1) * sizeof(t->arr[0]));
	t->n--;
}

static unsigned naive_insert(struct iotlb *t, const struct iommu_cache_entry *e)
{
	unsigned evicted = 0;

	for (unsigned j = 0; j < t->n; j++) {
		const struct iommu_cache_entry *o = &t->arr[j];

		if (o->tag == e->tag && o->pasid == e->pasid && o->size == e->size &&
		    o->iova == e->iova) {
			naive_remove(t, j);
			break;                  /* keys are unique */
		}
	}
	if (t->n == t->cap) {
		naive_remove(t, 0);
		evicted = 1;
	}
	t->arr[t->n++] = *e;
	return evicted;
}

enum naive_scope { NAIVE_TAG, NAIVE_PAIR, NAIVE_RANGE };

/* Drop the entries of @tag (and @pasid, and overlapping [iova, last]). */
static unsigned naive_inv(struct iotlb *t, enum naive_scope scope, uint32_t tag, uint32_t pasid,
			  uint64_t iova, uint64_t last)
{
	unsigned kept = 0, dropped = 0;

	for (unsigned j = 0; j < t->n; j++) {
		const struct iommu_cache_entry *e = &t->arr[j];
		bool hit = e->tag == tag;

		if (scope >= NAIVE_PAIR)
			hit = hit && e->pasid == pasid;
		if (scope == NAIVE_RANGE)
			hit = hit && overlaps(e->iova, e->iova + e->size - 1, iova, last);
		if (hit)
			dropped++;
		else
			t->arr[kept++] = *e;
	}
	t->n = kept;
	t->live = kept;
	return dropped;
}

/* ---- the interface ------------------------------------------------------------ */

bool iotlb_lookup(struct iotlb *t, uint32_t tag, uint32_t pasid, uint64_t iova,
		  struct iommu_cache_entry *out)
{
	if (!t->ready)
		return false;
	return t->naive ? naive_lookup(t, tag, pasid, iova, out)
			: hash_lookup(t, tag, pasid, iova, out);
}

unsigned iotlb_insert(struct iotlb *t, const struct iommu_cache_entry *e)
{
	unsigned evicted;

	/*
	 * An entry no probe could find (a size that is not a candidate, an
	 * unaligned iova) is not cached: a cache may always decline, and
	 * holding it would only make it unreachable by lookups and range
	 * invalidations.
	 */
	if (!t->cap || !e->size || (e->size & (e->size - 1)) || !(e->size & t->sizes) ||
	    (e->iova & (e->size - 1)))
		return 0;
	if (!t->ready)
		storage(t);
	if (!t->naive)
		return hash_insert(t, e);
	evicted = naive_insert(t, e);
	t->live = t->n;
	return evicted;
}

unsigned iotlb_inv_tag(struct iotlb *t, uint32_t tag)
{
	if (!t->ready)
		return 0;
	return t->naive ? naive_inv(t, NAIVE_TAG, tag, 0, 0, 0) : hash_inv_tag(t, tag);
}

unsigned iotlb_inv_pasid(struct iotlb *t, uint32_t tag, uint32_t pasid)
{
	if (!t->ready)
		return 0;
	return t->naive ? naive_inv(t, NAIVE_PAIR, tag, pasid, 0, 0)
			: hash_inv_pasid(t, tag, pasid);
}

unsigned iotlb_inv_range(struct iotlb *t, uint32_t tag, uint32_t pasid, uint64_t iova,
			 uint64_t size)
{
	uint64_t last = iova + size - 1;

	if (!t->ready || !size)
		return 0;
	if (last < iova)
		last = UINT64_MAX;              /* a range past the top ends there */
	if (!t->naive)
		return hash_inv_range(t, tag, pasid, iova, last);
	if (range_huge(t, iova, last))
		return naive_inv(t, NAIVE_PAIR, tag, pasid, 0, 0);
	return naive_inv(t, NAIVE_RANGE, tag, pasid, iova, last);
}

unsigned iotlb_inv_all(struct iotlb *t)
{
	unsigned dropped = (unsigned)t->live;

	if (!t->ready)
		return 0;
	if (!t->naive)
		return hash_inv_all(t);
	t->n = 0;
	t->live = 0;
	return dropped;
}

int iotlb_for_each(struct iotlb *t, int (*fn)(const struct iommu_cache_entry *e, void *ctx),
		   void *ctx)
{
	int ret;

	if (!t->ready)
		return 0;
	if (!t->naive)
		return hash_for_each(t, fn, ctx);
	for (unsigned j = 0; j < t->n; j++)
		if ((ret = fn(&t->arr[j], ctx)))
			return ret;
	return 0;
}
