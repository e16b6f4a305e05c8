/* SPDX-License-Identifier: MIT */
/*
 * The io_pagetable (model/iommufd/io_pagetable.c) against a naive model:
 * random FIXED maps, COPYs, cuts and unmaps over a small IOVA window, each
 * answer and the resulting layout compared with a per-unit occupancy
 * array that knows nothing of sorted ranges (spec §G4); then the automatic
 * IOVA rule's edges (iopt_alloc_iova: never 0, alignment from the length
 * and the VA, overflow, ENOSPC, the allowed list) and the reserved/allowed
 * interplay (iopt_reserve_iova, iopt_set_allow_iova: EADDRINUSE both ways).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommu/pgtable.h"
#include "model/iommufd/iommufd_private.h"
#include "unit_common.h"

#define UNIT   0x100ull            /* the naive model's granule */
#define NUNITS 512u                /* the window: [0, 0x20000) */

struct naive {
	int owner[NUNITS];           /* area number covering the unit, 0 = none */
	uint64_t first[NUNITS + 1];  /* area n's first unit, last unit */
	uint64_t last[NUNITS + 1];
	int next;
};

static int naive_map(struct naive *n, uint64_t iova, uint64_t len)
{
	uint64_t u0 = iova / UNIT, u1 = (iova + len) / UNIT;

	for (uint64_t u = u0; u < u1; u++)
		if (n->owner[u])
			return -EEXIST;
	n->next++;
	for (uint64_t u = u0; u < u1; u++)
		n->owner[u] = n->next;
	n->first[n->next] = u0;
	n->last[n->next] = u1 - 1;
	return 0;
}

/* Whole areas inside [u0, u1), lowest first, stopping at one sticking out. */
static int naive_unmap(struct naive *n, uint64_t iova, uint64_t len, uint64_t *bytes)
{
	uint64_t u0 = iova / UNIT, u1 = (iova + len) / UNIT;
	int rc = -ENOENT;

	*bytes = 0;
	for (uint64_t u = u0; u < u1; u++) {
		int a = n->owner[u];

		if (!a)
			continue;
		if (n->first[a] < u0 || n->last[a] >= u1)
			return *bytes ? -ENOENT : rc;
		for (uint64_t v = n->first[a]; v <= n->last[a]; v++)
			n->owner[v] = 0;
		*bytes += (n->last[a] - n->first[a] + 1) * UNIT;
		u = n->last[a];
	}
	return *bytes ? 0 : rc;
}

/* A cut at @iova: the area holding it ends there. */
static void naive_cut(struct naive *n, uint64_t iova)
{
	uint64_t u = iova / UNIT;
	int a = n->owner[u];

	if (!a || n->last[a] == u)
		return;
	n->next++;
	for (uint64_t v = u + 1; v <= n->last[a]; v++)
		n->owner[v] = n->next;
	n->first[n->next] = u + 1;
	n->last[n->next] = n->last[a];
	n->last[a] = u;
}

/* The model's layout unit by unit, its areas matched with the naive
 * ones by first unit.  Plain comparisons (no Check call per unit: each
 * costs a write to Check's pipe). */
static bool same_layout(const struct io_pagetable *iopt, const struct naive *n)
{
	bool seen[NUNITS] = { false };

	for (unsigned i = 0; i < iopt->areas->len; i++) {
		const struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i);
		uint64_t u0 = a->iova / UNIT, u1 = a->last / UNIT;
		int na;

		if (u1 >= NUNITS || !(na = n->owner[u0]) || n->first[na] != u0 ||
		    n->last[na] != u1)
			return false;
		if (i && g_array_index(iopt->areas, struct iopt_area, i - 1).last >= a->iova)
			return false;
		for (uint64_t u = u0; u <= u1; u++)
			seen[u] = true;
	}
	for (unsigned u = 0; u < NUNITS; u++)
		if (seen[u] != (n->owner[u] != 0))
			return false;
	return true;
}

static struct sim_world *world;
static struct sim_proc *proc;
static struct iommufd_ctx ictx;

static void setup(void)
{
	world = sim_world_create(1);
	proc = sim_proc_find(world, 1);
	memset(&ictx, 0, sizeof(ictx));
	ictx.w = world;
	ictx.account_mode = IOPT_PAGES_ACCOUNT_USER;
}

static void teardown(void)
{
	sim_world_destroy(world);
}

START_TEST(test_random_against_naive)
{
	for (unsigned seed = 1; seed <= 40; seed++) {
		GRand *r = g_rand_new_with_seed(seed);
		struct io_pagetable a, b;
		struct naive na = { 0 }, nb = { 0 };

		iopt_init_table(&a, world);
		iopt_init_table(&b, world);
		for (unsigned op = 0; op < 300; op++) {
			unsigned kind = g_rand_int_range(r, 0, 10);
			uint64_t iova = g_rand_int_range(r, 0, NUNITS) * UNIT;
			uint64_t len = g_rand_int_range(r, 1, 24) * UNIT;
			uint64_t got, bytes_got, bytes_want;
			int rc, nrc;

			if (iova + len > NUNITS * UNIT)
				len = NUNITS * UNIT - iova;
			if (kind < 4) {                 /* a FIXED map */
				got = iova;
				rc = iopt_map_user_pages(&ictx, &a, proc, &got, 0x10000000 + iova, len,
							 IOMMU_READ | IOMMU_WRITE, 0);
				nrc = naive_map(&na, iova, len);
				ck_assert_int_eq(rc, nrc);
			} else if (kind < 6) {          /* COPY a → b */
				GArray *list = g_array_new(FALSE, FALSE, sizeof(struct iopt_pages_elm));
				uint64_t u0 = iova / UNIT, u1 = (iova + len) / UNIT;
				bool covered = true;

				/* the naive rule: every unit of the source mapped */
				for (uint64_t u = u0; u < u1; u++)
					covered &= na.owner[u] != 0;
				rc = iopt_get_pages(&a, iova, len, list);
				ck_assert_int_eq(rc, covered ? 0 : -ENOENT);
				if (!rc) {
					uint64_t dst = (NUNITS - 1 - u1 + u0) * UNIT / 2;
					uint64_t before = (uint64_t)nb.next;

					dst -= dst % UNIT;
					got = dst;
					rc = iopt_map_pages(&b, list, len, &got, IOMMU_READ, 0);
					/* one destination area per source area spanned */
					nrc = 0;
					for (uint64_t u = dst / UNIT; u < dst / UNIT + (u1 - u0); u++)
						if (nb.owner[u])
							nrc = -EEXIST;
					ck_assert_int_eq(rc, nrc);
					if (!rc) {
						uint64_t u = u0;

						while (u < u1) {
							int sa = na.owner[u];
							uint64_t end = na.last[sa] + 1 < u1 ? na.last[sa] + 1 : u1;

							naive_map(&nb, dst + (u - u0) * UNIT, (end - u) * UNIT);
							u = end;
						}
						ck_assert_uint_gt((uint64_t)nb.next, before);
					}
				}
				iopt_free_pages_list(list);
				g_array_free(list, TRUE);
			} else if (kind < 7) {          /* a cut (VFIO TYPE1) */
				uint64_t cut = iova + UNIT - 1;

				ck_assert_int_eq(iopt_cut_iova(&a, &cut, 1), 0);
				naive_cut(&na, cut);
			} else {                        /* an unmap */
				struct io_pagetable *t = kind < 9 ? &a : &b;
				struct naive *n = kind < 9 ? &na : &nb;

				rc = iopt_unmap_iova(t, iova, len, &bytes_got);
				nrc = naive_unmap(n, iova, len, &bytes_want);
				ck_assert_int_eq(rc, nrc);
				/* the non-atomic failure: what went is counted either way */
				ck_assert_uint_eq(bytes_got, bytes_want);
			}
			if (!same_layout(&a, &na) || !same_layout(&b, &nb))
				ck_abort_msg("seed %u op %u (kind %u): layouts differ", seed, op, kind);
		}
		iopt_destroy_table(&a);
		iopt_destroy_table(&b);
		g_rand_free(r);
	}
}
END_TEST

START_TEST(test_auto_iova_edges)
{
	struct io_pagetable t;
	uint64_t iova;

	iopt_init_table(&t, world);
	/* never 0: the first one-page IOVA is PAGE_SIZE */
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10000000, 0x1000,
					     IOMMU_READ, IOPT_ALLOC_IOVA), 0);
	ck_assert_uint_eq(iova, 0x1000);
	/* 3 pages round up to a 16 KiB alignment (the VA allows it) */
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10010000, 0x3000,
					     IOMMU_READ, IOPT_ALLOC_IOVA), 0);
	ck_assert_uint_eq(iova, 0x4000);
	/* the VA's own alignment caps it: VA 0x...1000 aligns to 4 KiB only */
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10021000, 0x4000,
					     IOMMU_READ, IOPT_ALLOC_IOVA), 0);
	ck_assert_uint_eq(iova, 0x7000);   /* [0x2000, 0x3fff] is too small: after 0x6fff */
	/* and the VA's page offset is kept */
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10030080, 0x80,
					     IOMMU_READ, IOPT_ALLOC_IOVA), 0);
	ck_assert_uint_eq(iova & 0xfff, 0x80);
	/* a length of 2^63 or more cannot be rounded up: EOVERFLOW */
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0, 1ull << 63,
					     IOMMU_READ, IOPT_ALLOC_IOVA), -EOVERFLOW);
	/* 2^62 bytes aligned to 2^62: the first free quarter is the second */
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0, 1ull << 62,
					     IOMMU_READ, IOPT_ALLOC_IOVA), 0);
	ck_assert_uint_eq(iova, 1ull << 62);
	/* 2^63 - 4K aligned to 2^63 ends exactly at the span's top,
	 * ULONG_MAX - PAGE_SIZE */
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0, (1ull << 63) - 0x1000,
					     IOMMU_READ, IOPT_ALLOC_IOVA), 0);
	ck_assert_uint_eq(iova, 1ull << 63);
	/* and nothing of that alignment is left: ENOSPC */
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0, 1ull << 62,
					     IOMMU_READ, IOPT_ALLOC_IOVA), -ENOSPC);
	iopt_destroy_table(&t);

	/* the allowed list steers it, and a too small allowed range is ENOSPC */
	iopt_init_table(&t, world);
	{
		GArray *l = g_array_new(FALSE, FALSE, sizeof(struct iopt_range));
		struct iopt_range x = { 0x0, 0x2fff, NULL };

		g_array_append_val(l, x);
		ck_assert_int_eq(iopt_set_allow_iova(&t, l), 0);
		/* [0, 0x2fff] less page 0 is [0x1000, 0x2fff]: two pages, but
		 * not two aligned to 8 KiB - ENOSPC ... */
		ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10000000, 0x2000,
						     IOMMU_READ, IOPT_ALLOC_IOVA), -ENOSPC);
		/* ... while from a VA aligned to 4 KiB only they fit at 0x1000 */
		ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10001000, 0x2000,
						     IOMMU_READ, IOPT_ALLOC_IOVA), 0);
		ck_assert_uint_eq(iova, 0x1000);
		g_array_free(l, TRUE);
	}
	iopt_destroy_table(&t);
}
END_TEST

START_TEST(test_reserved_and_allowed)
{
	struct io_pagetable t;
	GArray *l = g_array_new(FALSE, FALSE, sizeof(struct iopt_range));
	struct iopt_range x = { 0x10000, 0x1ffff, NULL };
	uint64_t iova = 0x40000;
	GArray *r = g_array_new(FALSE, FALSE, sizeof(struct iopt_range));
	int owner;

	iopt_init_table(&t, world);
	ck_assert_int_eq(iopt_reserve_iova(&t, 0x18000, 0x18fff, &owner), 0);
	/* an allowed range over a reserved one: EADDRINUSE, the list unchanged */
	g_array_append_val(l, x);
	ck_assert_int_eq(iopt_set_allow_iova(&t, l), -EADDRINUSE);
	ck_assert_uint_eq(t.allowed->len, 0);
	/* FIXED over a reserved range: EINVAL */
	iova = 0x18000;
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10000000, 0x1000,
					     IOMMU_READ, 0), -EINVAL);
	/* reserving over a mapping: EADDRINUSE */
	iova = 0x40000;
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10000000, 0x1000,
					     IOMMU_READ, 0), 0);
	ck_assert_int_eq(iopt_reserve_iova(&t, 0x40000, 0x40000, &owner), -EADDRINUSE);
	/* the usable ranges are the holes of the reserved ones */
	iopt_usable_ranges(&t, r);
	ck_assert_uint_eq(r->len, 2);
	ck_assert_uint_eq(g_array_index(r, struct iopt_range, 0).last, 0x17fff);
	ck_assert_uint_eq(g_array_index(r, struct iopt_range, 1).start, 0x19000);
	ck_assert_uint_eq(g_array_index(r, struct iopt_range, 1).last, UINT64_MAX);
	/* reserving inside an allowed range: EADDRINUSE */
	iopt_remove_reserved_iova(&t, &owner);
	ck_assert_int_eq(iopt_set_allow_iova(&t, l), 0);
	ck_assert_int_eq(iopt_reserve_iova(&t, 0x1f000, 0x20fff, &owner), -EADDRINUSE);
	/* the top of the space: a reservation ending at 2^64-1 leaves no tail */
	ck_assert_int_eq(iopt_reserve_iova(&t, 0xfffffffffffff000ull, UINT64_MAX, &owner), 0);
	g_array_set_size(r, 0);
	iopt_usable_ranges(&t, r);
	ck_assert_uint_eq(g_array_index(r, struct iopt_range, r->len - 1).last,
			  0xffffffffffffefffull);
	g_array_free(r, TRUE);
	g_array_free(l, TRUE);
	iopt_destroy_table(&t);
}
END_TEST

START_TEST(test_large_pages_option_alignment)
{
	struct io_pagetable t;
	uint64_t iova = 0x10080;

	iopt_init_table(&t, world);
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10000080, 0x100,
					     IOMMU_READ, 0), 0);
	/* a sub-page mapping exists: large pages cannot be turned off */
	ck_assert_int_eq(iopt_disable_large_pages(&t), -EADDRINUSE);
	ck_assert_uint_eq(t.iova_alignment, 1);
	ck_assert_int_eq(iopt_unmap_all(&t, &iova), 0);
	ck_assert_int_eq(iopt_disable_large_pages(&t), 0);
	ck_assert_uint_eq(t.iova_alignment, 0x1000);
	iova = 0x10080;
	ck_assert_int_eq(iopt_map_user_pages(&ictx, &t, proc, &iova, 0x10000080, 0x1000,
					     IOMMU_READ, 0), -EINVAL);
	iopt_enable_large_pages(&t);
	ck_assert_uint_eq(t.iova_alignment, 1);
	iopt_destroy_table(&t);
}
END_TEST

static Suite *iopt_suite(void)
{
	Suite *s = suite_create("iopt");
	TCase *tc = tcase_create("iopt");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_random_against_naive);
	tcase_add_test(tc, test_auto_iova_edges);
	tcase_add_test(tc, test_reserved_and_allowed);
	tcase_add_test(tc, test_large_pages_option_alignment);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(iopt_suite());
}
