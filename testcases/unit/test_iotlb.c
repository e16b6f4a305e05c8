/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/iotlb: the tagged translation cache, every test run against
 * both implementations (the loop index is the naive flag).  Hits and
 * misses on the whole key (full 32-bit tags, PASIDs), the whole payload
 * coming back, probes smallest size first, replacement on the same key (no
 * duplicate, not an eviction, the newest in FIFO order), FIFO eviction of
 * the oldest live entry, capacity 0, the exact counts of every
 * invalidation and what survives it, the fallback of a range too large to
 * probe to its (tag, pasid), many invalidations of one tag or pair, early
 * stop of the iterator, and a random differential run of hash against
 * naive compared after every operation.
 */
#include <glib.h>

#include "unit_common.h"
#include "sim/rng.h"
#include "model/iommu/pgtable.h"
#include "model/iommu/iotlb.h"

#define SIZES (SZ_4K | SZ_2M | SZ_1G)
#define NONE IOTLB_PASID_NONE
#define SZ_1T (1024 * SZ_1G)

static struct iotlb *t, *t2;
static uint64_t fills;

static void teardown(void)
{
	iotlb_free(t);
	iotlb_free(t2);
	t = t2 = NULL;
	fills = 0;
}

/* An entry with a payload unique to each fill, so a hit is checked whole
 * and a replacement is told from the entry it replaced. */
static struct iommu_cache_entry ent(uint32_t tag, uint32_t pasid, uint64_t iova, uint64_t size)
{
	fills++;
	return (struct iommu_cache_entry){ .tag = tag, .pasid = pasid, .iova = iova,
		.size = size, .hpa = (fills << 32) + iova % SZ_1G, .aux = fills * 3,
		.prot = 1 + (unsigned)(fills % 3), .kind = (unsigned)(fills % 5), .seq = fills };
}

static bool entry_eq(const struct iommu_cache_entry *a, const struct iommu_cache_entry *b)
{
	return a->tag == b->tag && a->pasid == b->pasid && a->iova == b->iova &&
	       a->size == b->size && a->hpa == b->hpa && a->aux == b->aux &&
	       a->prot == b->prot && a->kind == b->kind && a->seq == b->seq;
}

/* Insert into t; returns the entry inserted. */
static struct iommu_cache_entry add(uint32_t tag, uint32_t pasid, uint64_t iova, uint64_t size,
				    unsigned evicted)
{
	struct iommu_cache_entry e = ent(tag, pasid, iova, size);

	ck_assert_uint_eq(iotlb_insert(t, &e), evicted);
	return e;
}

static void expect_hit(uint32_t tag, uint32_t pasid, uint64_t iova,
		       const struct iommu_cache_entry *want)
{
	struct iommu_cache_entry got;

	ck_assert_msg(iotlb_lookup(t, tag, pasid, iova, &got), "tag 0x%x pasid 0x%x iova 0x%llx: "
		      "miss", tag, pasid, (unsigned long long)iova);
	ck_assert_msg(entry_eq(&got, want), "tag 0x%x pasid 0x%x iova 0x%llx: hit entry "
		      "0x%llx+0x%llx seq %llu, want 0x%llx+0x%llx seq %llu", tag, pasid,
		      (unsigned long long)iova, (unsigned long long)got.iova,
		      (unsigned long long)got.size, (unsigned long long)got.seq,
		      (unsigned long long)want->iova, (unsigned long long)want->size,
		      (unsigned long long)want->seq);
}

static void expect_miss(uint32_t tag, uint32_t pasid, uint64_t iova)
{
	struct iommu_cache_entry got;

	ck_assert_msg(!iotlb_lookup(t, tag, pasid, iova, &got), "tag 0x%x pasid 0x%x iova 0x%llx: "
		      "hit", tag, pasid, (unsigned long long)iova);
}

static int collect_fn(const struct iommu_cache_entry *e, void *ctx)
{
	g_array_append_val((GArray *)ctx, *e);
	return 0;
}

/* The live entries of @c, oldest first. */
static GArray *entries(struct iotlb *c)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct iommu_cache_entry));

	ck_assert_int_eq(iotlb_for_each(c, collect_fn, a), 0);
	return a;
}

/* The live entries of t are exactly @want, in that order. */
static void expect_entries(const struct iommu_cache_entry *want, unsigned n)
{
	GArray *a = entries(t);

	ck_assert_uint_eq(a->len, n);
	ck_assert_uint_eq(iotlb_live(t), n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(entry_eq(&g_array_index(a, struct iommu_cache_entry, i), &want[i]),
			      "entry %u differs", i);
	g_array_free(a, TRUE);
}

struct visit {
	unsigned n, stop_at;
	int ret;
	uint64_t iova[8];
};

static int visit_fn(const struct iommu_cache_entry *e, void *ctx)
{
	struct visit *v = ctx;

	v->iova[v->n++] = e->iova;
	return v->n == v->stop_at ? v->ret : 0;
}

/* ---- lookups ------------------------------------------------------------------ */

START_TEST(test_hit_miss)
{
	struct iommu_cache_entry a, b, c, d, e;

	t = iotlb_new(16, _i, SIZES);
	ck_assert_uint_eq(iotlb_capacity(t), 16);
	expect_miss(1, NONE, 0x1000);
	a = add(1, NONE, 0x1000, SZ_4K, 0);
	b = add(1, 5, 0x1000, SZ_4K, 0);
	c = add(0x10001, NONE, 0x1000, SZ_4K, 0);      /* not 1: tags are 32-bit */
	d = add(0xffffffffu, 0, 0x40200000, SZ_2M, 0);
	e = add(0, NONE, 0x80000000ull, SZ_1G, 0);
	ck_assert_uint_eq(iotlb_live(t), 5);

	expect_hit(1, NONE, 0x1000, &a);
	expect_hit(1, NONE, 0x1fff, &a);
	expect_hit(1, 5, 0x1abc, &b);
	expect_hit(0x10001, NONE, 0x1008, &c);
	expect_hit(0xffffffffu, 0, 0x40200000, &d);
	expect_hit(0xffffffffu, 0, 0x403fffff, &d);
	expect_hit(0, NONE, 0xbfffffffull, &e);
	expect_miss(1, NONE, 0x2000);
	expect_miss(1, NONE, 0x0fff);
	expect_miss(1, 6, 0x1000);                       /* another PASID */
	expect_miss(1, 0, 0x1000);
	expect_miss(2, NONE, 0x1000);                    /* another tag */
	expect_miss(0x20001, NONE, 0x1000);
	expect_miss(0xffffffffu, NONE, 0x40200000);
	expect_miss(0xffffffffu, 0, 0x40400000);
	expect_miss(0, NONE, 0xc0000000ull);
	expect_miss(0, 0, 0x80000000ull);
	ck_assert_uint_eq(iotlb_live(t), 5);
}
END_TEST

START_TEST(test_probe_smallest_first)
{
	struct iommu_cache_entry g, m, k;

	t = iotlb_new(16, _i, SIZES);
	/* the largest first, so insertion order cannot explain the result */
	g = add(3, 9, 0, SZ_1G, 0);
	m = add(3, 9, 0, SZ_2M, 0);
	k = add(3, 9, 0x5000, SZ_4K, 0);
	expect_hit(3, 9, 0x5008, &k);
	expect_hit(3, 9, 0x6000, &m);
	expect_hit(3, 9, 0x1fffff, &m);
	expect_hit(3, 9, 0x200000, &g);
	expect_hit(3, 9, 0x3fffffff, &g);
	/* a page inside the 2M (and so the 1G) but not the 4K: both large
	 * ones go; a new 1G then answers around the 4K, which still wins */
	ck_assert_uint_eq(iotlb_inv_range(t, 3, 9, 0x100000, SZ_4K), 2);     /* 2M and 1G */
	g = add(3, 9, 0, SZ_1G, 0);
	expect_hit(3, 9, 0x6000, &g);
	expect_hit(3, 9, 0x5000, &k);
}
END_TEST

START_TEST(test_insert_rejects_unreachable)
{
	struct iommu_cache_entry e;

	t = iotlb_new(4, _i, SIZES);
	e = ent(1, NONE, 0x1800, SZ_4K);                 /* unaligned */
	ck_assert_uint_eq(iotlb_insert(t, &e), 0);
	e = ent(1, NONE, 0x10000, SZ_64K);               /* not a candidate size */
	ck_assert_uint_eq(iotlb_insert(t, &e), 0);
	e = ent(1, NONE, 0x3000, 0x3000);                /* not a power of two */
	ck_assert_uint_eq(iotlb_insert(t, &e), 0);
	e = ent(1, NONE, 0, 0);
	ck_assert_uint_eq(iotlb_insert(t, &e), 0);
	ck_assert_uint_eq(iotlb_live(t), 0);
	expect_miss(1, NONE, 0x1800);
	expect_miss(1, NONE, 0x10000);
}
END_TEST

/* ---- insert: replacement and eviction ------------------------------------------- */

START_TEST(test_replace_same_key)
{
	struct iommu_cache_entry a, b, a2, c, a3, want[3];

	t = iotlb_new(3, _i, SIZES);
	a = add(1, NONE, 0x1000, SZ_4K, 0);
	b = add(1, NONE, 0x2000, SZ_4K, 0);
	a2 = add(1, NONE, 0x1000, SZ_4K, 0);             /* replaces a */
	ck_assert(a2.hpa != a.hpa);
	expect_hit(1, NONE, 0x1000, &a2);
	want[0] = b;
	want[1] = a2;                                    /* the replacement is the newest */
	expect_entries(want, 2);

	/* full: replacing is not an eviction */
	c = add(1, NONE, 0x3000, SZ_4K, 0);
	a3 = add(1, NONE, 0x1000, SZ_4K, 0);
	want[0] = b;
	want[1] = c;
	want[2] = a3;
	expect_entries(want, 3);
	/* same iova, another size, pasid or tag: another key */
	ck_assert_uint_eq(iotlb_inv_all(t), 3);
	a = add(1, NONE, 0, SZ_2M, 0);
	b = add(1, NONE, 0, SZ_4K, 0);
	c = add(1, 2, 0, SZ_4K, 0);
	want[0] = a;
	want[1] = b;
	want[2] = c;
	expect_entries(want, 3);

	/* replacing an invalidated entry: the key is free again */
	ck_assert_uint_eq(iotlb_inv_pasid(t, 1, 2), 1);
	c = add(1, 2, 0, SZ_4K, 0);
	want[2] = c;
	expect_entries(want, 3);
	expect_hit(1, 2, 0, &c);
}
END_TEST

START_TEST(test_fifo_eviction)
{
	struct iommu_cache_entry e[7], want[4];

	t = iotlb_new(4, _i, SIZES);
	for (unsigned i = 0; i < 6; i++)
		e[i] = add(1, NONE, i * SZ_4K, SZ_4K, i >= 4);
	expect_miss(1, NONE, 0);
	expect_miss(1, NONE, SZ_4K);
	for (unsigned i = 2; i < 6; i++)
		expect_hit(1, NONE, i * SZ_4K, &e[i]);
	expect_entries(&e[2], 4);

	/* a hit does not refresh an entry: FIFO, not LRU */
	expect_hit(1, NONE, 2 * SZ_4K, &e[2]);
	e[6] = add(1, NONE, 6 * SZ_4K, SZ_4K, 1);
	expect_miss(1, NONE, 2 * SZ_4K);
	expect_entries(&e[3], 4);

	/* dead entries are not counted: the next eviction takes the oldest
	 * live one, past the dead ones before it */
	ck_assert_uint_eq(iotlb_inv_range(t, 1, NONE, 3 * SZ_4K, 2 * SZ_4K), 2);   /* e3, e4 */
	want[0] = e[6];
	want[1] = add(2, NONE, 0, SZ_4K, 0);
	want[2] = add(2, NONE, SZ_4K, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_live(t), 4);
	want[3] = add(2, NONE, 2 * SZ_4K, SZ_4K, 1);    /* evicts e5 */
	expect_miss(1, NONE, 5 * SZ_4K);
	expect_entries(want, 4);
}
END_TEST

START_TEST(test_capacity_zero)
{
	struct iommu_cache_entry e = ent(1, NONE, 0x1000, SZ_4K);
	struct visit v = { 0 };

	t = iotlb_new(0, _i, SIZES);
	ck_assert_uint_eq(iotlb_capacity(t), 0);
	ck_assert_uint_eq(iotlb_insert(t, &e), 0);
	ck_assert_uint_eq(iotlb_insert(t, &e), 0);
	expect_miss(1, NONE, 0x1000);
	ck_assert_uint_eq(iotlb_live(t), 0);
	ck_assert_uint_eq(iotlb_inv_tag(t, 1), 0);
	ck_assert_uint_eq(iotlb_inv_pasid(t, 1, NONE), 0);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, NONE, 0, SZ_1T), 0);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, NONE, 0x1000, SZ_4K), 0);
	ck_assert_uint_eq(iotlb_inv_all(t), 0);
	ck_assert_int_eq(iotlb_for_each(t, visit_fn, &v), 0);
	ck_assert_uint_eq(v.n, 0);
}
END_TEST

/* ---- invalidation ------------------------------------------------------------------ */

START_TEST(test_inv_tag)
{
	struct iommu_cache_entry a, b, c, want[2];

	t = iotlb_new(32, _i, SIZES);
	a = add(1, NONE, 0, SZ_4K, 0);
	add(2, NONE, 0, SZ_4K, 0);
	add(2, 4, SZ_2M, SZ_2M, 0);
	add(2, 0, SZ_1G, SZ_1G, 0);
	b = add(3, 4, 0, SZ_4K, 0);
	add(2, NONE, SZ_4K, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_tag(t, 2), 4);        /* every PASID of the tag */
	ck_assert_uint_eq(iotlb_inv_tag(t, 2), 0);
	ck_assert_uint_eq(iotlb_inv_tag(t, 0x10002), 0);  /* never seen */
	ck_assert_uint_eq(iotlb_inv_pasid(t, 2, 4), 0);
	ck_assert_uint_eq(iotlb_inv_range(t, 2, NONE, 0, SZ_2M), 0);
	expect_miss(2, NONE, 0);
	expect_miss(2, 4, SZ_2M);
	expect_miss(2, 0, SZ_1G);
	want[0] = a;
	want[1] = b;
	expect_entries(want, 2);

	/* the tag fills again, and its new entries count */
	c = add(2, 4, 0, SZ_4K, 0);
	expect_hit(2, 4, 0, &c);
	add(2, 5, 0, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_tag(t, 2), 2);
	ck_assert_uint_eq(iotlb_live(t), 2);

	ck_assert_uint_eq(iotlb_inv_all(t), 2);
	ck_assert_uint_eq(iotlb_inv_all(t), 0);
	ck_assert_uint_eq(iotlb_inv_tag(t, 1), 0);
	expect_miss(1, NONE, 0);
	expect_entries(NULL, 0);
	a = add(1, NONE, 0, SZ_4K, 0);
	expect_hit(1, NONE, 0, &a);
	ck_assert_uint_eq(iotlb_inv_tag(t, 1), 1);
}
END_TEST

START_TEST(test_inv_pasid)
{
	struct iommu_cache_entry keep[3];

	t = iotlb_new(32, _i, SIZES);
	keep[0] = add(1, NONE, 0, SZ_4K, 0);
	add(1, 5, 0, SZ_4K, 0);
	keep[1] = add(1, 6, 0, SZ_4K, 0);
	add(1, 5, SZ_2M, SZ_2M, 0);
	keep[2] = add(2, 5, 0, SZ_4K, 0);
	add(1, 5, SZ_1G, SZ_1G, 0);
	ck_assert_uint_eq(iotlb_inv_pasid(t, 1, 5), 3);
	ck_assert_uint_eq(iotlb_inv_pasid(t, 1, 5), 0);
	ck_assert_uint_eq(iotlb_inv_pasid(t, 1, 7), 0);   /* never seen */
	ck_assert_uint_eq(iotlb_inv_pasid(t, 9, 5), 0);
	expect_miss(1, 5, 0);
	expect_entries(keep, 3);
	ck_assert_uint_eq(iotlb_inv_tag(t, 1), 2);        /* the pair's entries are gone */

	/*
	 * A pair emptied by its tag's invalidation counts nothing of what it
	 * held, only what came after it.
	 */
	add(1, 6, 0, SZ_4K, 0);
	add(1, 6, SZ_4K, SZ_4K, 0);
	add(1, 5, 0, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_tag(t, 1), 3);
	add(1, 6, 0, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_pasid(t, 1, 6), 1);
	ck_assert_uint_eq(iotlb_inv_pasid(t, 1, 5), 0);
	ck_assert_uint_eq(iotlb_live(t), 1);
	/* and the tag's count follows its pairs' invalidations */
	add(1, 6, 0, SZ_4K, 0);
	add(1, 5, 0, SZ_4K, 0);
	add(1, NONE, 0, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_pasid(t, 1, NONE), 1);
	ck_assert_uint_eq(iotlb_inv_tag(t, 1), 2);
	ck_assert_uint_eq(iotlb_live(t), 1);
	expect_entries(&keep[2], 1);
}
END_TEST

START_TEST(test_inv_range)
{
	struct iommu_cache_entry k4, m2b, k1, o6, o2, top, want[5];

	t = iotlb_new(64, _i, SIZES);
	add(1, 5, 0x203000, SZ_4K, 0);
	add(1, 5, 0x204000, SZ_4K, 0);
	k4 = add(1, 5, 0x205000, SZ_4K, 0);
	add(1, 5, 0x200000, SZ_2M, 0);
	add(1, 5, 0, SZ_1G, 0);
	m2b = add(1, 5, 0x400000, SZ_2M, 0);
	k1 = add(1, 5, 0x1000, SZ_4K, 0);
	o6 = add(1, 6, 0x203000, SZ_4K, 0);
	o2 = add(2, 5, 0x203000, SZ_4K, 0);

	/* [0x203800, 0x2047ff]: two 4K pages, the 2M and the 1G around them */
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0x203800, SZ_4K), 4);
	expect_miss(1, 5, 0x203000);
	expect_miss(1, 5, 0x204000);
	expect_hit(1, 5, 0x205000, &k4);
	expect_hit(1, 5, 0x400000, &m2b);
	expect_hit(1, 5, 0x1000, &k1);
	expect_miss(1, 5, 0x300000);
	expect_hit(1, 6, 0x203000, &o6);               /* another PASID */
	expect_hit(2, 5, 0x203000, &o2);               /* another tag */
	want[0] = k4;
	want[1] = m2b;
	want[2] = k1;
	want[3] = o6;
	want[4] = o2;
	expect_entries(want, 5);

	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0x205000, 0), 0);     /* empty */
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0x204000, SZ_4K), 0); /* touches nothing */
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0x205fff, 2), 1);     /* a byte of it */
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0x5ff000, 0x2000), 1);/* the 2M's last page */
	ck_assert_uint_eq(iotlb_inv_range(t, 7, 5, 0, SZ_1G), 0);        /* never seen */
	ck_assert_uint_eq(iotlb_live(t), 3);

	/* a range running past the top of the address space ends there */
	top = add(1, 5, 0xfffffffffffff000ull, SZ_4K, 0);
	expect_hit(1, 5, 0xffffffffffffffffull, &top);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0xffffffffffffe000ull, 0x10000), 1);
	expect_miss(1, 5, 0xfffffffffffff000ull);
	ck_assert_uint_eq(iotlb_live(t), 3);
}
END_TEST

/*
 * Capacity 8 (16 slots): a range needing more than 16 probes (pages of
 * each candidate size) drops the whole (tag, pasid), entries outside the
 * range included, and returns that pair's live count.
 */
START_TEST(test_inv_range_fallback)
{
	struct iommu_cache_entry keep[3], far;

	t = iotlb_new(8, _i, SIZES);
	add(1, 5, 0x3000, SZ_4K, 0);
	add(1, 5, SZ_1G, SZ_2M, 0);
	add(1, 5, 2 * SZ_1T, SZ_4K, 0);                 /* outside the range */
	keep[0] = add(1, 6, 0x3000, SZ_4K, 0);
	keep[1] = add(1, 6, 0, SZ_1G, 0);
	keep[2] = add(2, 5, 0x3000, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0, SZ_1T), 3);
	expect_miss(1, 5, 2 * SZ_1T);
	expect_entries(keep, 3);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0, SZ_1T), 0);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 9, 0, SZ_1T), 0);      /* never seen */
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0, UINT64_MAX), 0);

	/* the boundary: 14 4K pages + one 2M + one 1G = 16 probes are done ... */
	add(1, 5, 0x3000, SZ_4K, 0);
	far = add(1, 5, 0x80000000ull, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0, 14 * SZ_4K), 1);
	expect_hit(1, 5, 0x80000000ull, &far);
	/* ... 17 are not: the pair goes, the far entry with it */
	add(1, 5, 0x3000, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, 0, 15 * SZ_4K), 2);
	expect_miss(1, 5, 0x80000000ull);
	expect_entries(keep, 3);

	/* a fallback leaves the tag's count exact */
	add(1, 5, 0x3000, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, 5, SZ_1T, SZ_1T), 1);
	ck_assert_uint_eq(iotlb_inv_tag(t, 1), 2);
	expect_entries(&keep[2], 1);
}
END_TEST

/*
 * One tag invalidated 100000 times (and one pair as often), entries filled
 * in between: generations keep killing exactly the new entries, the
 * bystanders stay, and the live count never grows.
 */
START_TEST(test_many_invalidations)
{
	struct iommu_cache_entry b1, b2;

	t = iotlb_new(16, _i, SIZES);
	b1 = add(8, NONE, 0, SZ_4K, 0);
	b2 = add(7, 3, SZ_2M, SZ_2M, 0);
	for (unsigned i = 0; i < 100000; i++) {
		unsigned k = 1 + i % 3;

		for (unsigned j = 0; j < k; j++)
			add(7, j == 2 ? 5 : NONE, (uint64_t)(i % 4) * SZ_1G + j * SZ_4K, SZ_4K, 0);
		ck_assert_uint_eq(iotlb_live(t), 2 + k);
		if (i & 1) {
			ck_assert_uint_eq(iotlb_inv_pasid(t, 7, NONE), k < 3 ? k : 2);
			ck_assert_uint_eq(iotlb_inv_pasid(t, 7, 5), k == 3);
		} else {
			ck_assert_uint_eq(iotlb_inv_tag(t, 7), k + 1);
			b2 = add(7, 3, SZ_2M, SZ_2M, 0);
		}
		ck_assert_uint_eq(iotlb_live(t), 2);
		expect_miss(7, NONE, (uint64_t)(i % 4) * SZ_1G);
	}
	expect_hit(8, NONE, 0, &b1);
	expect_hit(7, 3, SZ_2M, &b2);
	ck_assert_uint_eq(iotlb_inv_tag(t, 7), 1);
	ck_assert_uint_eq(iotlb_inv_tag(t, 8), 1);
	ck_assert_uint_eq(iotlb_live(t), 0);
}
END_TEST

/*
 * 200000 (tag, pasid) pairs through a 16-entry cache, full 32-bit values:
 * each one's state comes and goes (the hash keeps a bounded number of
 * them), and the cache stays exact throughout.
 */
START_TEST(test_many_pairs)
{
	struct iommu_cache_entry last[16];

	t = iotlb_new(16, _i, SIZES);
	for (uint32_t i = 0; i < 200000; i++) {
		uint32_t tag = i * 2654435761u, pasid = i % 3 ? i : NONE;

		last[i % 16] = add(tag, pasid, (uint64_t)(i % 64) * SZ_4K, SZ_4K, i >= 16);
		if (i % 97 == 0) {
			/* forget it again, by one of the three ways */
			if (i % 3 == 0)
				ck_assert_uint_eq(iotlb_inv_tag(t, tag), 1);
			else if (i % 3 == 1)
				ck_assert_uint_eq(iotlb_inv_pasid(t, tag, pasid), 1);
			else
				ck_assert_uint_eq(iotlb_inv_range(t, tag, pasid, 0, SZ_1G), 1);
			ck_assert_uint_eq(iotlb_live(t), MIN(i, 15));
			/* an older one fills the gap */
			last[i % 16] = add(tag ^ 1, pasid, 0, SZ_4K, 0);
		}
		if (i % 1000 == 999) {
			ck_assert_uint_eq(iotlb_live(t), 16);
			for (unsigned j = 0; j < 16; j++)
				expect_hit(last[j].tag, last[j].pasid, last[j].iova, &last[j]);
		}
	}
}
END_TEST

/* ---- the iterator -------------------------------------------------------------- */

START_TEST(test_for_each_stop)
{
	struct visit v = { .stop_at = 3, .ret = 42 };

	t = iotlb_new(8, _i, SIZES);
	for (unsigned i = 0; i < 6; i++)
		add(1, NONE, (5 - i) * SZ_4K, SZ_4K, 0);
	ck_assert_uint_eq(iotlb_inv_range(t, 1, NONE, 4 * SZ_4K, SZ_4K), 1);  /* the 2nd */
	ck_assert_int_eq(iotlb_for_each(t, visit_fn, &v), 42);
	ck_assert_uint_eq(v.n, 3);
	ck_assert(v.iova[0] == 5 * SZ_4K && v.iova[1] == 3 * SZ_4K && v.iova[2] == 2 * SZ_4K);
	v = (struct visit){ .stop_at = 1, .ret = -7 };
	ck_assert_int_eq(iotlb_for_each(t, visit_fn, &v), -7);
	ck_assert_uint_eq(v.n, 1);
	v = (struct visit){ .stop_at = 0 };
	ck_assert_int_eq(iotlb_for_each(t, visit_fn, &v), 0);
	ck_assert_uint_eq(v.n, 5);
}
END_TEST

/* ---- hash against naive ------------------------------------------------------------ */

static void expect_same(struct iotlb *h, struct iotlb *n, unsigned op)
{
	GArray *eh = entries(h), *en = entries(n);

	ck_assert_msg(iotlb_live(h) == iotlb_live(n), "op %u: live %llu vs %llu", op,
		      (unsigned long long)iotlb_live(h), (unsigned long long)iotlb_live(n));
	ck_assert_msg(eh->len == en->len && eh->len == iotlb_live(h), "op %u: %u vs %u entries",
		      op, eh->len, en->len);
	for (guint i = 0; i < eh->len; i++)
		ck_assert_msg(entry_eq(&g_array_index(eh, struct iommu_cache_entry, i),
				       &g_array_index(en, struct iommu_cache_entry, i)),
			      "op %u: entry %u differs", op, i);
	g_array_free(eh, TRUE);
	g_array_free(en, TRUE);
}

/* A range size: mostly a few pages (about the probe limit of small
 * capacities), sometimes 2M multiples, a terabyte or all of the space. */
static uint64_t rand_range_size(struct sim_rng *r)
{
	switch (sim_rng_below(r, 8)) {
	case 0:
		return sim_rng_below(r, 4) * SZ_2M + sim_rng_below(r, 2) * SZ_4K;
	case 1:
		return sim_rng_below(r, 2) ? SZ_1T : UINT64_MAX;
	case 2:
		return 1 + sim_rng_below(r, SZ_4K);
	default:
		return (1 + sim_rng_below(r, 40)) * SZ_4K;
	}
}

START_TEST(test_differential)
{
	static const unsigned caps[] = { 16, 1, 5, 32 };
	static const uint32_t tags[] = { 1, 2, 0x10001, 0xffffffffu };
	static const uint32_t pasids[] = { NONE, 0, 7 };
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	unsigned cap = caps[_i / 2], evictions = 0, dropped = 0, hits = 0;
	struct sim_rng r;

	t = iotlb_new(cap, false, SIZES);
	t2 = iotlb_new(cap, true, SIZES);
	sim_rng_seed(&r, 20250 + (uint64_t)_i);
	for (unsigned op = 0; op < 20000; op++) {
		unsigned what = (unsigned)sim_rng_below(&r, 100);
		uint32_t tag = tags[sim_rng_below(&r, G_N_ELEMENTS(tags))];
		uint32_t pasid = pasids[sim_rng_below(&r, G_N_ELEMENTS(pasids))];
		uint64_t iova = sim_rng_below(&r, 4) * SZ_1G + sim_rng_below(&r, 4) * SZ_2M +
				sim_rng_below(&r, 8) * SZ_4K + sim_rng_below(&r, SZ_4K);
		struct iommu_cache_entry e, gh, gn;
		unsigned a, b;

		/* odd runs: one tag (but for tag invalidations), more pair traffic */
		if ((_i & 1) && what < 96)
			tag = 1;
		if (what < 50) {
			uint64_t size = sizes[sim_rng_below(&r, G_N_ELEMENTS(sizes))];

			e = ent(tag, pasid, iova & ~(size - 1), size);
			a = iotlb_insert(t, &e);
			b = iotlb_insert(t2, &e);
			evictions += a;
		} else if (what < 75) {
			bool fh = iotlb_lookup(t, tag, pasid, iova, &gh);
			bool fn = iotlb_lookup(t2, tag, pasid, iova, &gn);

			ck_assert_msg(fh == fn, "op %u: lookup %d vs %d", op, fh, fn);
			ck_assert_msg(!fh || entry_eq(&gh, &gn), "op %u: lookups differ", op);
			hits += fh;
			a = b = 0;
		} else if (what < 92) {
			uint64_t size = rand_range_size(&r);

			a = iotlb_inv_range(t, tag, pasid, iova, size);
			b = iotlb_inv_range(t2, tag, pasid, iova, size);
		} else if (what < 96) {
			a = iotlb_inv_pasid(t, tag, pasid);
			b = iotlb_inv_pasid(t2, tag, pasid);
		} else if (what < 99) {
			a = iotlb_inv_tag(t, tag);
			b = iotlb_inv_tag(t2, tag);
		} else {
			a = iotlb_inv_all(t);
			b = iotlb_inv_all(t2);
		}
		ck_assert_msg(a == b, "op %u (kind %u): hash returned %u, naive %u", op, what, a,
			      b);
		if (what >= 75)
			dropped += a;
		expect_same(t, t2, op);
	}
	/* the run went where it should: evictions, hits, invalidations */
	ck_assert_uint_gt(evictions, 0);
	ck_assert_uint_gt(hits, 20);
	ck_assert_uint_gt(dropped, 100);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("iotlb");
	TCase *tc = tcase_create("iotlb");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_hit_miss, 0, 2);
	tcase_add_loop_test(tc, test_probe_smallest_first, 0, 2);
	tcase_add_loop_test(tc, test_insert_rejects_unreachable, 0, 2);
	tcase_add_loop_test(tc, test_replace_same_key, 0, 2);
	tcase_add_loop_test(tc, test_fifo_eviction, 0, 2);
	tcase_add_loop_test(tc, test_capacity_zero, 0, 2);
	tcase_add_loop_test(tc, test_inv_tag, 0, 2);
	tcase_add_loop_test(tc, test_inv_pasid, 0, 2);
	tcase_add_loop_test(tc, test_inv_range, 0, 2);
	tcase_add_loop_test(tc, test_inv_range_fallback, 0, 2);
	tcase_add_loop_test(tc, test_many_invalidations, 0, 2);
	tcase_add_loop_test(tc, test_many_pairs, 0, 2);
	tcase_add_loop_test(tc, test_for_each_stop, 0, 2);
	tcase_add_loop_test(tc, test_differential, 0, 8);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
