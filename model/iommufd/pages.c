/* SPDX-License-Identifier: MIT */
/*
 * Pinned pages of an iopt_pages (drivers/iommu/iommufd/pages.c): a page
 * index of a user range is pinned once, however many users it has — the
 * areas filled into the IOAS's domains that cover it (a COPY's areas share
 * the pins of the source's) and the accesses that pinned it — and unpinned
 * when the last goes.  npinned counts the pinned indexes; what it gains or
 * loses is charged to the pages' account (do_update_pinned): the user's
 * locked_vm (IOPT_PAGES_ACCOUNT_USER, against the mapping task's
 * RLIMIT_MEMLOCK), the mm's locked_vm (ACCOUNT_MM, VFIO's way), or nothing
 * (CAP_IPC_LOCK); the mm's pinned_vm counts them in every mode.
 *
 * The pins are kept per 512 indexes (a chunk made on first use), so a map
 * of 1 GiB costs what its pages cost, and a range nobody filled none.
 */
#include <errno.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommufd/iommufd_private.h"

#define CHUNK_SHIFT 9
#define CHUNK_PAGES (1u << CHUNK_SHIFT)

struct iopt_pin_chunk {
	uint64_t hpa[CHUNK_PAGES];     /* the frame of each pinned index */
	uint32_t users[CHUNK_PAGES];   /* 0: not pinned */
};

static gint chunk_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	(void)data;
	return x < y ? -1 : x > y;
}

void iopt_pages_init_pins(struct iopt_pages *pages)
{
	pages->pins = g_tree_new_full(chunk_cmp, NULL, g_free, g_free);
}

void iopt_pages_destroy_pins(struct iopt_pages *pages)
{
	if (pages->pins)
		g_tree_destroy(pages->pins);
	pages->pins = NULL;
}

static struct iopt_pin_chunk *chunk_of(struct iopt_pages *pages, uint64_t index, bool make)
{
	uint64_t key = index >> CHUNK_SHIFT;
	struct iopt_pin_chunk *c = g_tree_lookup(pages->pins, &key);

	if (!c && make) {
		uint64_t *k = g_new(uint64_t, 1);

		*k = key;
		c = g_new0(struct iopt_pin_chunk, 1);
		g_tree_insert(pages->pins, k, c);
	}
	return c;
}

uint64_t iopt_pages_hpa(struct iopt_pages *pages, uint64_t index)
{
	struct iopt_pin_chunk *c = chunk_of(pages, index, false);

	return c && c->users[index & (CHUNK_PAGES - 1)] ? c->hpa[index & (CHUNK_PAGES - 1)] : 0;
}

unsigned iopt_pages_users(struct iopt_pages *pages, uint64_t index)
{
	struct iopt_pin_chunk *c = chunk_of(pages, index, false);

	return c ? c->users[index & (CHUNK_PAGES - 1)] : 0;
}

/* ---- accounting (do_update_pinned) ---- */

static uint64_t *user_locked_vm(struct iommufd_state *st, uint32_t uid)
{
	for (unsigned i = 0; i < st->users->len; i++) {
		struct iommufd_user *u = &g_array_index(st->users, struct iommufd_user, i);

		if (u->uid == uid)
			return &u->locked_vm;
	}
	g_array_append_val(st->users, ((struct iommufd_user){ .uid = uid }));
	return &g_array_index(st->users, struct iommufd_user, st->users->len - 1).locked_vm;
}

/* task_rlimit(source_task, RLIMIT_MEMLOCK) in pages: the mapping task's
 * limit now, or what it was when it mapped once it has exited (the kernel
 * holds the task, whose limits stay as they were). */
static uint64_t source_memlock(struct iopt_pages *pages)
{
	struct sim_proc *t = sim_proc_find(pages->mm->w, pages->pid);
	uint64_t lim = t ? t->rlimit_memlock : pages->rlimit_memlock;

	return lim == SIM_RLIM_INFINITY ? UINT64_MAX : lim >> SIM_PAGE_SHIFT;
}

static int do_update_pinned(struct iopt_pages *pages, uint64_t npages, bool inc)
{
	struct iommufd_state *st = sim_world_subsys(pages->mm->w, SIM_SUBSYS_IOMMUFD);
	uint64_t *locked = NULL;

	switch (pages->account_mode) {
	case IOPT_PAGES_ACCOUNT_NONE:
		break;
	case IOPT_PAGES_ACCOUNT_USER:    /* incr_user_locked_vm */
		locked = user_locked_vm(st, pages->uid);
		break;
	case IOPT_PAGES_ACCOUNT_MM:      /* update_mm_locked_vm: __account_locked_vm */
		locked = &pages->mm->locked_vm;
		break;
	}
	if (locked) {
		if (inc) {
			uint64_t limit = source_memlock(pages);

			if (*locked + npages > limit || *locked + npages < *locked)
				return -ENOMEM;
			*locked += npages;
		} else {
			*locked -= npages <= *locked ? npages : *locked;
		}
	}
	pages->last_npinned = pages->npinned;
	if (inc)
		pages->mm->pinned_vm += npages;
	else
		pages->mm->pinned_vm -= npages;
	return 0;
}

/* ---- pin / unpin ---- */

/* Drop one user of each index in [first, last]; an index left without one
 * is unpinned.  The count is not charged back here (iopt_pages_unpin).
 * One chunk at a time. */
static void put_users(struct iopt_pages *pages, uint64_t first, uint64_t last)
{
	uint64_t i = first;

	for (;;) {
		struct iopt_pin_chunk *c = chunk_of(pages, i, false);
		uint64_t end = (i | (CHUNK_PAGES - 1)) < last ? (i | (CHUNK_PAGES - 1)) : last;

		for (uint64_t j = i; c && j <= end; j++) {
			unsigned k = j & (CHUNK_PAGES - 1);

			if (c->users[k] && --c->users[k] == 0) {
				sim_mm_unpin_page(pages->mm, c->hpa[k]);
				c->hpa[k] = 0;
				pages->npinned--;
			}
		}
		if (end == last)
			break;
		i = end + 1;
	}
}

uint64_t iopt_pages_contig(struct iopt_pages *pages, uint64_t index, uint64_t max,
			   uint64_t *hpa)
{
	uint64_t n = 0, want = 0;

	*hpa = 0;
	while (n < max) {
		struct iopt_pin_chunk *c = chunk_of(pages, index + n, false);
		unsigned k = (index + n) & (CHUNK_PAGES - 1);

		if (!c)
			break;
		for (; k < CHUNK_PAGES && n < max; k++, n++) {
			if (!c->users[k] || (n && c->hpa[k] != want))
				return n;
			if (!n)
				*hpa = c->hpa[k];
			want = c->hpa[k] + SIM_PAGE_SIZE;
		}
	}
	return n;
}

static void update_unpinned(struct iopt_pages *pages)
{
	if (pages->npinned < pages->last_npinned)
		do_update_pinned(pages, pages->last_npinned - pages->npinned, false);
}

void iopt_pages_unpin(struct iopt_pages *pages, uint64_t first, uint64_t last)
{
	put_users(pages, first, last);
	update_unpinned(pages);
}

/*
 * Pin a run [first, first + n) of indexes nobody holds yet, in one call of
 * the pinning path: the source mm must still have users when it is not
 * the caller's (mmget_not_zero: EFAULT), and the pages must be mapped with
 * the access the pages need (pin_user_pages: EFAULT).
 */
static int pin_run(struct iopt_pages *pages, uint64_t first, uint64_t n, uint64_t *hpas)
{
	if (!sim_mm_alive(pages->mm))
		return -EFAULT;
	if (sim_should_fail(pages->mm->w, "iopt_pages_pin"))
		return -EFAULT;
	return sim_mm_pin_range(pages->mm, pages->uptr + first * SIM_PAGE_SIZE, n,
				pages->writable, hpas);
}

int iopt_pages_pin(struct iopt_pages *pages, uint64_t first, uint64_t last)
{
	uint64_t i = first, *hpas = NULL, cap = 0;
	int rc = 0;

	while (i <= last) {
		struct iopt_pin_chunk *c = chunk_of(pages, i, true);
		unsigned k = i & (CHUNK_PAGES - 1);
		uint64_t n = 0, end;

		end = (i | (CHUNK_PAGES - 1)) < last ? (i | (CHUNK_PAGES - 1)) : last;
		if (c->users[k]) {
			/* a run of indexes pinned already: one more user each */
			while (i + n <= end && c->users[k + n])
				c->users[k + n++]++;
			if (i + n - 1 == last)
				break;
			i += n;
			continue;
		}
		/* a run of unpinned indexes inside this chunk */
		while (i + n <= end && !c->users[k + n])
			n++;
		if (n > cap) {
			cap = n;
			hpas = g_renew(uint64_t, hpas, cap);
		}
		rc = pin_run(pages, i, n, hpas);
		if (rc) {
			if (i > first)
				put_users(pages, first, i - 1);
			break;
		}
		for (uint64_t j = 0; j < n; j++) {
			c->hpa[k + j] = hpas[j];
			c->users[k + j] = 1;
		}
		pages->npinned += n;
		if (i + n - 1 == last)
			break;
		i += n;
	}
	g_free(hpas);
	if (!rc && pages->npinned > pages->last_npinned) {
		/* pfn_reader_user_update_pinned: charged after the pin */
		if (sim_should_fail(pages->mm->w, "iopt_pages_account"))
			rc = -ENOMEM;
		else
			rc = do_update_pinned(pages, pages->npinned - pages->last_npinned, true);
		if (rc)
			put_users(pages, first, last);
	}
	if (rc)
		update_unpinned(pages);
	return rc;
}
