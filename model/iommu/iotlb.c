/* SPDX-License-Identifier: MIT */
/*
 * The IOTLB of the hardware model: a hash implementation and a naive linear
 * one with the same observable behaviour (see iotlb.h).
 *
 * Hash implementation invariants:
 *  - a used slot is live iff its generation equals its domain's current
 *    generation; dead slots stay linked (hash chain and FIFO list) until a
 *    lookup, an eviction or a sweep reclaims them;
 *  - live entries <= capacity; slots = 2 * capacity, so when no slot is
 *    free more than half of them are dead and one sweep reclaims them all
 *    (amortised O(1) per invalidated entry);
 *  - the FIFO list holds every used slot in insertion order, so its first
 *    live slot is the oldest live entry, the one the naive array evicts.
 * No allocation on the lookup path; insert allocates only the first time a
 * domain-id page (256 ids) is used.
 */
#include <string.h>
#include <glib.h>

#include "model/iommu/iotlb.h"

struct tlb_slot {
	uint64_t iova, hpa;
	uint32_t gen;
	uint16_t did;
	uint8_t shift, prot;
	int32_t hnext;           /* hash chain */
	int32_t prev, next;      /* FIFO list; the free list uses next */
	bool used;
};

struct dom_state {
	uint32_t gen;            /* current generation of the domain id */
	uint32_t live;           /* live entries of the domain id */
};

struct iotlb {
	bool naive;
	unsigned cap;
	unsigned nshift;
	uint8_t shifts[64];      /* candidate leaf sizes, ascending */
	uint64_t live;
	/* hash */
	struct tlb_slot *slots;
	uint32_t nslots;
	int32_t *buckets;
	uint32_t bmask;
	int32_t head, tail, free;
	struct dom_state *dom[256];   /* by did >> 8, allocated on first use */
	/* naive */
	struct iommu_iotlb_entry *arr;
	unsigned n;
};

struct iotlb *iotlb_new(unsigned capacity, bool naive, uint64_t pgsize_bitmap)
{
	struct iotlb *t = g_new0(struct iotlb, 1);
	uint32_t nb = 1;

	t->naive = naive;
	t->cap = capacity;
	for (unsigned s = 0; s < 64; s++)
		if (pgsize_bitmap & (1ull << s))
			t->shifts[t->nshift++] = (uint8_t)s;
	t->head = t->tail = t->free = -1;
	if (!capacity)
		return t;
	if (naive) {
		t->arr = g_new0(struct iommu_iotlb_entry, capacity);
		return t;
	}
	t->nslots = 2 * capacity;
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
	return t;
}

void iotlb_free(struct iotlb *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < 256; i++)
		g_free(t->dom[i]);
	g_free(t->slots);
	g_free(t->buckets);
	g_free(t->arr);
	g_free(t);
}

uint64_t iotlb_live(const struct iotlb *t)
{
	return t->live;
}

/* ---- hash implementation -------------------------------------------------- */

static inline uint32_t key_hash(uint16_t did, uint64_t iova, uint8_t shift)
{
	uint64_t k = (iova >> 12) ^ ((uint64_t)did << 47) ^ ((uint64_t)shift << 58);

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k;
}

static struct dom_state *dom_get(struct iotlb *t, uint16_t did, bool create)
{
	struct dom_state **page = &t->dom[did >> 8];

	if (!*page && create)
		*page = g_new0(struct dom_state, 256);
	return *page ? &(*page)[did & 0xff] : NULL;
}

static inline bool slot_live(struct iotlb *t, const struct tlb_slot *s)
{
	return s->gen == dom_get(t, s->did, false)->gen;
}

static int32_t hash_find(const struct iotlb *t, uint16_t did, uint64_t iova, uint8_t shift)
{
	int32_t i = t->buckets[key_hash(did, iova, shift) & t->bmask];

	while (i >= 0) {
		const struct tlb_slot *s = &t->slots[i];

		if (s->iova == iova && s->did == did && s->shift == shift)
			return i;
		i = s->hnext;
	}
	return -1;
}

/* Unlink and free a slot, without touching the live counts. */
static void slot_release(struct iotlb *t, int32_t i)
{
	struct tlb_slot *s = &t->slots[i];
	int32_t *pp = &t->buckets[key_hash(s->did, s->iova, s->shift) & t->bmask];

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
	s->used = false;
	s->next = t->free;
	t->free = i;
}

/* Free a slot; returns whether it was live (and then uncounts it). */
static bool slot_drop(struct iotlb *t, int32_t i)
{
	struct tlb_slot *s = &t->slots[i];
	bool live = slot_live(t, s);

	if (live) {
		dom_get(t, s->did, false)->live--;
		t->live--;
	}
	slot_release(t, i);
	return live;
}

static void sweep_dead(struct iotlb *t)
{
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i].used && !slot_live(t, &t->slots[i]))
			slot_release(t, (int32_t)i);
}

static bool hash_lookup(struct iotlb *t, uint16_t did, uint64_t iova,
			struct iommu_iotlb_entry *out)
{
	for (unsigned k = 0; k < t->nshift; k++) {
		uint8_t shift = t->shifts[k];
		int32_t i = hash_find(t, did, iova & ~((1ull << shift) - 1), shift);
		const struct tlb_slot *s;

		if (i < 0)
			continue;
		s = &t->slots[i];
		if (!slot_live(t, s)) {
			slot_release(t, i);
			continue;
		}
		*out = (struct iommu_iotlb_entry){ .did = did, .iova = s->iova,
			.size = 1ull << shift, .hpa = s->hpa, .prot = s->prot };
		return true;
	}
	return false;
}

static unsigned hash_insert(struct iotlb *t, const struct iommu_iotlb_entry *e)
{
	uint8_t shift = (uint8_t)__builtin_ctzll(e->size);
	struct dom_state *d = dom_get(t, e->did, true);
	int32_t i = hash_find(t, e->did, e->iova, shift);
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
	i = t->free;
	s = &t->slots[i];
	t->free = s->next;
	*s = (struct tlb_slot){ .iova = e->iova, .hpa = e->hpa, .gen = d->gen, .did = e->did,
		.shift = shift, .prot = (uint8_t)e->prot, .prev = t->tail, .next = -1,
		.used = true };
	b = key_hash(e->did, e->iova, shift) & t->bmask;
	s->hnext = t->buckets[b];
	t->buckets[b] = i;
	if (t->tail >= 0)
		t->slots[t->tail].next = i;
	else
		t->head = i;
	t->tail = i;
	d->live++;
	t->live++;
	return evicted;
}

/* Domain invalidation: O(1), by retiring the domain's generation. */
static unsigned hash_inv_domain(struct iotlb *t, uint16_t did)
{
	struct dom_state *d = dom_get(t, did, false);
	unsigned dropped;

	if (!d || !d->live)
		return 0;
	dropped = d->live;
	t->live -= dropped;
	d->live = 0;
	if (++d->gen == 0) {
		/* wrapped: release every slot of the id, so no old
		 * generation can come back to life */
		for (uint32_t i = 0; i < t->nslots; i++)
			if (t->slots[i].used && t->slots[i].did == did)
				slot_release(t, (int32_t)i);
	}
	return dropped;
}

static inline bool overlaps(uint64_t a, uint64_t a_last, uint64_t b, uint64_t b_last)
{
	return a <= b_last && b <= a_last;
}

/* Probes a per-page invalidation of [iova, last] needs, capped at @limit. */
static uint64_t range_probes(const struct iotlb *t, uint64_t iova, uint64_t last, uint64_t limit)
{
	uint64_t n = 0;

	for (unsigned k = 0; k < t->nshift && n <= limit; k++)
		n += (last >> t->shifts[k]) - (iova >> t->shifts[k]) + 1;
	return n;
}

/*
 * Range invalidation: one probe per page (per candidate size) of the range;
 * a range with more probes than slots scans the slots instead, which drops
 * exactly the same entries.
 */
static unsigned hash_inv_range(struct iotlb *t, uint16_t did, uint64_t iova, uint64_t last)
{
	unsigned dropped = 0;

	if (range_probes(t, iova, last, t->nslots) > t->nslots) {
		for (uint32_t i = 0; i < t->nslots; i++) {
			const struct tlb_slot *s = &t->slots[i];

			if (s->used && s->did == did &&
			    overlaps(s->iova, s->iova + (1ull << s->shift) - 1, iova, last))
				dropped += slot_drop(t, (int32_t)i);
		}
		return dropped;
	}
	for (unsigned k = 0; k < t->nshift; k++) {
		uint8_t shift = t->shifts[k];

		for (uint64_t p = iova >> shift; p <= last >> shift; p++) {
			int32_t i = hash_find(t, did, p << shift, shift);

			if (i >= 0)
				dropped += slot_drop(t, i);
		}
	}
	return dropped;
}

static unsigned hash_inv_all(struct iotlb *t)
{
	unsigned dropped = (unsigned)t->live;

	while (t->head >= 0)
		slot_release(t, t->head);
	for (unsigned i = 0; i < 256; i++) {
		g_free(t->dom[i]);
		t->dom[i] = NULL;
	}
	t->live = 0;
	return dropped;
}

/* ---- naive implementation --------------------------------------------------- */

static bool naive_lookup(struct iotlb *t, uint16_t did, uint64_t iova,
			 struct iommu_iotlb_entry *out)
{
	for (unsigned k = 0; k < t->nshift; k++) {
		uint64_t size = 1ull << t->shifts[k], base = iova & ~(size - 1);

		for (unsigned j = 0; j < t->n; j++) {
			const struct iommu_iotlb_entry *e = &t->arr[j];

			if (e->did == did && e->size == size && e->iova == base) {
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

static unsigned naive_insert(struct iotlb *t, const struct iommu_iotlb_entry *e)
{
	unsigned evicted = 0;

	for (unsigned j = 0; j < t->n; j++)
		if (t->arr[j].did == e->did && t->arr[j].size == e->size && t->arr[j].iova == e->iova)
			naive_remove(t, j--);
	if (t->n == t->cap) {
		naive_remove(t, 0);
		evicted = 1;
	}
	t->arr[t->n++] = *e;
	return evicted;
}

/* Drop entries of @did overlapping [iova, last] (all of @did if !range). */
static unsigned naive_inv(struct iotlb *t, uint16_t did, bool range, uint64_t iova, uint64_t last)
{
	unsigned kept = 0, dropped = 0;

	for (unsigned j = 0; j < t->n; j++) {
		const struct iommu_iotlb_entry *e = &t->arr[j];

		if (e->did == did && (!range || overlaps(e->iova, e->iova + e->size - 1, iova, last)))
			dropped++;
		else
			t->arr[kept++] = *e;
	}
	t->n = kept;
	return dropped;
}

/* ---- the interface ------------------------------------------------------------ */

bool iotlb_lookup(struct iotlb *t, uint16_t did, uint64_t iova,
		  struct iommu_iotlb_entry *out)
{
	if (!t->cap)
		return false;
	return t->naive ? naive_lookup(t, did, iova, out) : hash_lookup(t, did, iova, out);
}

unsigned iotlb_insert(struct iotlb *t, const struct iommu_iotlb_entry *e)
{
	unsigned evicted;

	if (!t->cap)
		return 0;
	if (!t->naive)
		return hash_insert(t, e);
	evicted = naive_insert(t, e);
	t->live = t->n;
	return evicted;
}

unsigned iotlb_inv_domain(struct iotlb *t, uint16_t did)
{
	unsigned dropped;

	if (!t->cap)
		return 0;
	if (!t->naive)
		return hash_inv_domain(t, did);
	dropped = naive_inv(t, did, false, 0, 0);
	t->live = t->n;
	return dropped;
}

unsigned iotlb_inv_range(struct iotlb *t, uint16_t did, uint64_t iova, uint64_t size)
{
	uint64_t last = iova + size - 1;
	unsigned dropped;

	if (!t->cap || !size)
		return 0;
	if (last < iova)
		last = UINT64_MAX;
	if (!t->naive)
		return hash_inv_range(t, did, iova, last);
	dropped = naive_inv(t, did, true, iova, last);
	t->live = t->n;
	return dropped;
}

unsigned iotlb_inv_all(struct iotlb *t)
{
	unsigned dropped = (unsigned)t->live;

	if (!t->naive)
		return t->cap ? hash_inv_all(t) : 0;
	t->n = 0;
	t->live = 0;
	return dropped;
}

int iotlb_for_each(struct iotlb *t, int (*fn)(const struct iommu_iotlb_entry *e, void *ctx),
		   void *ctx)
{
	struct iommu_iotlb_entry e;
	int ret;

	for (unsigned j = 0; t->naive && j < t->n; j++)
		if ((ret = fn(&t->arr[j], ctx)))
			return ret;
	for (int32_t i = t->naive ? -1 : t->head; i >= 0; i = t->slots[i].next) {
		const struct tlb_slot *s = &t->slots[i];

		if (!slot_live(t, s))
			continue;
		e = (struct iommu_iotlb_entry){ .did = s->did, .iova = s->iova,
			.size = 1ull << s->shift, .hpa = s->hpa, .prot = s->prot };
		if ((ret = fn(&e, ctx)))
			return ret;
	}
	return 0;
}
