/* SPDX-License-Identifier: MIT */
/*
 * The io_pagetable (drivers/iommu/iommufd/io_pagetable.c): the IOVA space
 * of an IOAS.  Areas map IOVA ranges onto slices of iopt_pages (user
 * ranges; a COPY shares them); reserved ranges (device reserved regions,
 * the domains' apertures, the test uAPI's ADD_RESERVED) and the allowed
 * list constrain where areas may go; iova_alignment comes from what is
 * attached.  Every range is inclusive ("last"), so nothing here overflows
 * at the top of the 64-bit space (spec §G4).
 *
 * The ranges live in sorted arrays: the IOAS of a VMM holds tens of
 * areas, and a lookup is a binary search.
 */
#include <errno.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/pgtable.h"
#include "model/iommufd/iommufd_private.h"

#define PAGE_SIZE SIM_PAGE_SIZE

static inline bool add_overflows(uint64_t a, uint64_t b, uint64_t *res)
{
	return __builtin_add_overflow(a, b, res);
}

void iopt_init_table(struct io_pagetable *iopt, struct sim_world *w)
{
	memset(iopt, 0, sizeof(*iopt));
	iopt->w = w;
	iopt->areas = g_array_new(FALSE, FALSE, sizeof(struct iopt_area));
	iopt->reserved = g_array_new(FALSE, FALSE, sizeof(struct iopt_range));
	iopt->allowed = g_array_new(FALSE, FALSE, sizeof(struct iopt_range));
	iopt->domains = g_ptr_array_new();
	iopt->accesses = g_ptr_array_new();
	/* software tables take the whole IOVA space, unaligned */
	iopt->iova_alignment = 1;
}

static void iopt_put_pages(struct iopt_pages *pages)
{
	if (--pages->refs)
		return;
	iopt_pages_destroy_pins(pages);
	if (pages->access_pins)
		g_array_free(pages->access_pins, TRUE);
	sim_mm_put(pages->mm);
	g_free(pages);
}

void iopt_destroy_table(struct io_pagetable *iopt)
{
	uint64_t unmapped;

	if (!iopt->areas)
		return;
	iopt_unmap_all(iopt, &unmapped);
	g_array_free(iopt->areas, TRUE);
	g_array_free(iopt->reserved, TRUE);
	g_array_free(iopt->allowed, TRUE);
	g_ptr_array_free(iopt->domains, TRUE);
	g_ptr_array_free(iopt->accesses, TRUE);
	iopt->areas = iopt->reserved = iopt->allowed = NULL;
	iopt->domains = iopt->accesses = NULL;
}

/* ---- sorted inclusive ranges ---- */

/* The index of the first area whose last >= @start (binary search). */
static unsigned area_lower(const struct io_pagetable *iopt, uint64_t start)
{
	unsigned lo = 0, hi = iopt->areas->len;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (g_array_index(iopt->areas, struct iopt_area, mid).last < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* iopt_area_iter_first: the lowest area meeting [start, last], or NULL. */
static struct iopt_area *area_first(const struct io_pagetable *iopt, uint64_t start,
				    uint64_t last, unsigned *idx)
{
	unsigned i = area_lower(iopt, start);
	struct iopt_area *a;

	if (i == iopt->areas->len)
		return NULL;
	a = &g_array_index(iopt->areas, struct iopt_area, i);
	if (a->iova > last)
		return NULL;
	if (idx)
		*idx = i;
	return a;
}

static const struct iopt_range *range_first(const GArray *r, uint64_t start, uint64_t last)
{
	for (unsigned i = 0; i < r->len; i++) {
		const struct iopt_range *x = &g_array_index(r, struct iopt_range, i);

		if (x->start > last)
			break;
		if (x->last >= start)
			return x;
	}
	return NULL;
}

static void range_insert(GArray *r, struct iopt_range x)
{
	unsigned i = 0;

	while (i < r->len && g_array_index(r, struct iopt_range, i).start <= x.start)
		i++;
	g_array_insert_val(r, i, x);
}

/* ---- iopt_pages ---- */

/* iopt_alloc_pages: length 0 or beyond SIZE_MAX - PAGE_SIZE EINVAL, a
 * wrapping user range EOVERFLOW. */
static int iopt_alloc_pages(struct sim_proc *p, uint64_t uptr, uint64_t length,
			    bool writable, struct iopt_pages **out)
{
	struct iopt_pages *pages;
	uint64_t end;

	if (length > UINT64_MAX - PAGE_SIZE || !length)
		return -EINVAL;
	if (add_overflows(uptr, length, &end))
		return -EOVERFLOW;
	if (sim_should_fail(p->w, "iopt_alloc_pages"))
		return -ENOMEM;
	pages = g_new0(struct iopt_pages, 1);
	pages->refs = 1;
	pages->uptr = uptr & ~(PAGE_SIZE - 1);
	pages->npages = (length + (uptr - pages->uptr) + PAGE_SIZE - 1) / PAGE_SIZE;
	pages->writable = writable;
	pages->mm = sim_mm_get(p->mm);
	pages->pid = p->pid;
	pages->uid = p->cred.uid;
	pages->rlimit_memlock = p->rlimit_memlock;
	iopt_pages_init_pins(pages);
	pages->account_mode = sim_proc_capable(p, SIM_CAP_IPC_LOCK) ? IOPT_PAGES_ACCOUNT_NONE
								   : IOPT_PAGES_ACCOUNT_USER;
	*out = pages;
	return 0;
}

/* ---- IOVA allocation ---- */

static uint64_t roundup_pow2(uint64_t x)
{
	return x <= 1 ? 1 : 1ull << (64 - __builtin_clzll(x - 1));
}

static uint64_t align_up(uint64_t x, uint64_t a, bool *wrapped)
{
	uint64_t r = (x + a - 1) & ~(a - 1);

	*wrapped = r < x;
	return r;
}

/* A hole [start, last] of the allowed span: the first aligned IOVA with
 * @page_offset in it that fits @length, or false. */
static bool fit(uint64_t start, uint64_t last, uint64_t length, uint64_t align,
		uint64_t page_offset, uint64_t *out)
{
	bool wrapped;

	if (last - start < length - 1)
		return false;
	start = align_up(start, align, &wrapped) | page_offset;
	if (wrapped || start > last || last - start < length - 1)
		return false;
	*out = start;
	return true;
}

/* The holes of reserved ∪ areas within [start, last], lowest first. */
static bool alloc_in_span(const struct io_pagetable *iopt, uint64_t start, uint64_t last,
			  uint64_t length, uint64_t align, uint64_t page_offset,
			  uint64_t *out)
{
	unsigned ai = area_lower(iopt, start), ri = 0;
	uint64_t cur = start;

	while (ri < iopt->reserved->len &&
	       g_array_index(iopt->reserved, struct iopt_range, ri).last < start)
		ri++;
	for (;;) {
		/* the next used range at or after cur: the lower of the next
		 * reserved range and the next area */
		const struct iopt_range *r = ri < iopt->reserved->len ?
			&g_array_index(iopt->reserved, struct iopt_range, ri) : NULL;
		const struct iopt_area *a = ai < iopt->areas->len ?
			&g_array_index(iopt->areas, struct iopt_area, ai) : NULL;
		uint64_t ustart, ulast;

		if (r && (!a || r->start <= a->iova)) {
			ustart = r->start;
			ulast = r->last;
			ri++;
		} else if (a) {
			ustart = a->iova;
			ulast = a->last;
			ai++;
		} else {
			return fit(cur, last, length, align, page_offset, out);
		}
		if (ustart > last)
			return fit(cur, last, length, align, page_offset, out);
		if (ustart > cur && fit(cur, ustart - 1, length, align, page_offset, out))
			return true;
		if (ulast >= last)
			return false;
		if (ulast + 1 > cur)
			cur = ulast + 1;
	}
}

/* iopt_alloc_iova: never IOVA 0 (the span starts at PAGE_SIZE), inside the
 * allowed list, aligned to min(roundup_pow_of_two(length), the VA's own
 * alignment) and keeping the VA's offset in its page. */
static int iopt_alloc_iova(const struct io_pagetable *iopt, uint64_t *iova, uint64_t uptr,
			   uint64_t length)
{
	uint64_t page_offset = uptr % PAGE_SIZE, align;
	const uint64_t lo = PAGE_SIZE, hi = UINT64_MAX - PAGE_SIZE;

	if (!length || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	align = roundup_pow2(length);
	if (uptr && (1ull << __builtin_ctzll(uptr)) < align)
		align = 1ull << __builtin_ctzll(uptr);
	if (align < iopt->iova_alignment)
		return -EINVAL;

	if (!iopt->allowed->len)
		return alloc_in_span(iopt, lo, hi, length, align, page_offset, iova) ? 0 : -ENOSPC;
	for (unsigned i = 0; i < iopt->allowed->len; i++) {
		const struct iopt_range *x = &g_array_index(iopt->allowed, struct iopt_range, i);
		uint64_t s = x->start < lo ? lo : x->start, l = x->last > hi ? hi : x->last;
		uint64_t first;

		if (s > l || !fit(s, l, length, align, page_offset, &first))
			continue;
		if (alloc_in_span(iopt, first, l, length, align, page_offset, iova))
			return 0;
	}
	return -ENOSPC;
}

/* iopt_check_iova: a FIXED_IOVA range. */
static int iopt_check_iova(const struct io_pagetable *iopt, uint64_t iova, uint64_t length)
{
	uint64_t last;

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (add_overflows(iova, length - 1, &last))
		return -EOVERFLOW;
	if (range_first(iopt->reserved, iova, last))
		return -EINVAL;
	if (area_first(iopt, iova, last, NULL))
		return -EEXIST;
	return 0;
}

/* ---- areas in domains (iopt_area_fill_domains, iopt_area_unfill_domains) ---- */

static uint64_t area_first_index(const struct iopt_area *a)
{
	return a->start_byte / PAGE_SIZE;
}

static uint64_t area_last_index(const struct iopt_area *a)
{
	return (a->start_byte + (a->last - a->iova)) / PAGE_SIZE;
}

/*
 * Map the pinned pages under @a into @d: physically contiguous runs in one
 * iommu_map each (the largest leaves they allow), or page by page when
 * large pages are off (batch_iommu_map_small).  On failure what was mapped
 * of @a in @d is unmapped again.
 */
static int area_map_domain(const struct io_pagetable *iopt, const struct iopt_area *a,
			   struct iommu_domain *d)
{
	uint64_t iova = a->iova, off = a->start_byte, done = 0;
	uint64_t len = a->last - a->iova + 1;
	int rc = 0;

	while (done < len) {
		uint64_t first = off / PAGE_SIZE, hpa, run;
		uint64_t pages_left = (off % PAGE_SIZE + (len - done) + PAGE_SIZE - 1) / PAGE_SIZE;
		/* a physically contiguous run, or one page without large pages */
		uint64_t n = iopt_pages_contig(a->pages, first,
					       iopt->disable_large_pages ? 1 : pages_left, &hpa);

		if (!n) {
			rc = -EFAULT;   /* not pinned: cannot happen while filled */
			break;
		}
		hpa += off % PAGE_SIZE;
		run = n * PAGE_SIZE - off % PAGE_SIZE;
		if (run > len - done)
			run = len - done;
		rc = iommu_map(d, iova, hpa, run, a->prot);
		if (rc)
			break;
		iova += run;
		off += run;
		done += run;
	}
	if (rc && done)
		iommu_unmap(d, a->iova, done);
	return rc;
}

/* Pin what @a covers and map it into every domain of the table: all or
 * nothing. */
static int area_fill_domains(const struct io_pagetable *iopt, const struct iopt_area *a)
{
	unsigned k;
	int rc;

	if (!iopt->domains->len)
		return 0;
	rc = iopt_pages_pin(a->pages, area_first_index(a), area_last_index(a));
	if (rc)
		return rc;
	for (k = 0; k < iopt->domains->len; k++) {
		rc = area_map_domain(iopt, a, g_ptr_array_index(iopt->domains, k));
		if (rc)
			break;
	}
	if (!rc)
		return 0;
	while (k-- > 0)
		iommu_unmap(g_ptr_array_index(iopt->domains, k), a->iova, a->last - a->iova + 1);
	iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
	return rc;
}

/* Unmap @a from every domain (each unmap flushes the IOTLB before it
 * returns), then unpin what only it held. */
static void area_unfill_domains(const struct io_pagetable *iopt, const struct iopt_area *a)
{
	if (!iopt->domains->len)
		return;
	for (unsigned k = 0; k < iopt->domains->len; k++)
		iommu_unmap(g_ptr_array_index(iopt->domains, k), a->iova, a->last - a->iova + 1);
	iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
}

/* ---- map ---- */

static int insert_areas(struct io_pagetable *iopt, GArray *list, uint64_t iova,
			unsigned prot, struct iopt_area *out)
{
	for (unsigned i = 0; i < list->len; i++) {
		const struct iopt_pages_elm *e = &g_array_index(list, struct iopt_pages_elm, i);
		struct iopt_area *a = &out[i];

		/* iopt_insert_area */
		if ((prot & IOMMU_WRITE) && !e->pages->writable)
			return -EPERM;
		if ((e->start_byte % PAGE_SIZE) & (iopt->iova_alignment - 1))
			return -EINVAL;
		a->iova = iova;
		if (add_overflows(iova, e->length - 1, &a->last))
			return -EOVERFLOW;
		a->pages = e->pages;
		a->start_byte = e->start_byte;
		a->prot = prot;
		iova += e->length;
	}
	return 0;
}

int iopt_map_pages(struct io_pagetable *iopt, GArray *list, uint64_t length,
		   uint64_t *iova, unsigned prot, unsigned flags)
{
	struct iopt_area *areas;
	int rc;

	/* iopt_alloc_area_pages */
	for (unsigned i = 0; i < list->len; i++)
		if (sim_should_fail(iopt->w, "iopt_area_alloc"))
			return -ENOMEM;
	if ((length & (iopt->iova_alignment - 1)) || !length)
		return -EINVAL;
	if (flags & IOPT_ALLOC_IOVA) {
		const struct iopt_pages_elm *e = &g_array_index(list, struct iopt_pages_elm, 0);

		rc = iopt_alloc_iova(iopt, iova, e->pages->uptr + e->start_byte, length);
	} else {
		rc = iopt_check_iova(iopt, *iova, length);
	}
	if (rc)
		return rc;
	areas = g_new0(struct iopt_area, list->len);
	rc = insert_areas(iopt, list, *iova, prot, areas);
	if (!rc) {
		unsigned at = area_lower(iopt, *iova);

		unsigned filled;

		/* iopt_fill_domains_pages: with domains the pages are pinned
		 * and mapped now */
		for (filled = 0; filled < list->len; filled++) {
			rc = area_fill_domains(iopt, &areas[filled]);
			if (rc)
				break;
		}
		if (rc) {
			while (filled-- > 0)
				area_unfill_domains(iopt, &areas[filled]);
		} else {
			/* the references move from the list into the areas */
			g_array_insert_vals(iopt->areas, at, areas, list->len);
			for (unsigned i = 0; i < list->len; i++)
				g_array_index(list, struct iopt_pages_elm, i).pages = NULL;
		}
	}
	g_free(areas);
	return rc;
}

void iopt_free_pages_list(GArray *list)
{
	for (unsigned i = 0; i < list->len; i++) {
		struct iopt_pages_elm *e = &g_array_index(list, struct iopt_pages_elm, i);

		if (e->pages)
			iopt_put_pages(e->pages);
		e->pages = NULL;
	}
	g_array_set_size(list, 0);
}

int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			struct sim_proc *p, uint64_t *iova, uint64_t uptr,
			uint64_t length, unsigned prot, unsigned flags)
{
	struct iopt_pages_elm e = { 0 };
	GArray *list;
	int rc;

	rc = iopt_alloc_pages(p, uptr, length, prot & IOMMU_WRITE, &e.pages);
	if (rc)
		return rc;
	if (ictx->account_mode == IOPT_PAGES_ACCOUNT_MM &&
	    e.pages->account_mode == IOPT_PAGES_ACCOUNT_USER)
		e.pages->account_mode = IOPT_PAGES_ACCOUNT_MM;
	e.start_byte = uptr - e.pages->uptr;
	e.length = length;
	list = g_array_new(FALSE, FALSE, sizeof(e));
	g_array_append_val(list, e);
	rc = iopt_map_pages(iopt, list, length, iova, prot, flags);
	iopt_free_pages_list(list);
	g_array_free(list, TRUE);
	return rc;
}

/* ---- copy ---- */

int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length, GArray *list)
{
	uint64_t last_iova, cur = iova;
	unsigned i;

	if (!length)
		return -EINVAL;
	if (add_overflows(iova, length - 1, &last_iova))
		return -EOVERFLOW;
	/* iopt_for_each_contig_area: areas that follow each other from iova */
	if (!area_first(iopt, iova, iova, &i))
		return -ENOENT;
	for (; i < iopt->areas->len; i++) {
		struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i);
		uint64_t last = a->last < last_iova ? a->last : last_iova;
		struct iopt_pages_elm e;

		if (a->iova != cur && cur != iova)
			break;
		if (sim_should_fail(iopt->w, "iopt_pages_list_alloc")) {
			iopt_free_pages_list(list);
			return -ENOMEM;
		}
		e.pages = a->pages;
		e.pages->refs++;
		e.start_byte = a->start_byte + (cur - a->iova);
		e.length = last - cur + 1;
		g_array_append_val(list, e);
		if (a->last >= last_iova)
			return 0;
		cur = a->last + 1;
	}
	iopt_free_pages_list(list);
	return -ENOENT;
}

/* ---- unmap ---- */

static int iopt_unmap_iova_range(struct io_pagetable *iopt, uint64_t start, uint64_t last,
				 uint64_t *unmapped)
{
	uint64_t bytes = 0;
	struct iopt_area *a;
	unsigned i, tries = 0;
	uint64_t busy = UINT64_MAX;   /* the area the notices are for */
	int rc = -ENOENT;

	/* lowest first, each whole area removed as it is reached: an area
	 * sticking out stops the walk, and those before it stay unmapped */
	while ((a = area_first(iopt, start, last, &i))) {
		struct iopt_pages *pages = a->pages;
		uint64_t first = a->iova, alast = a->last;

		if (first < start || alast > last)
			goto out;
		if (a->num_accesses) {
			/* the accesses are told to unpin, and the area looked
			 * up again; an area whose pins stay after a hundred
			 * and one notices is EDEADLOCK (the count is per area) */
			if (first != busy) {
				busy = first;
				tries = 0;
			}
			a->prevent_access = true;
			iommufd_access_notify_unmap(iopt, first, alast - first + 1);
			if (++tries > 100) {
				rc = -EDEADLOCK;
				goto out;
			}
			continue;
		}
		area_unfill_domains(iopt, a);
		g_array_remove_index(iopt->areas, i);
		iopt_put_pages(pages);
		bytes += alast - first + 1;
		if (alast == last)
			break;
	}
	if (bytes)
		rc = 0;
out:
	if (unmapped)
		*unmapped = bytes;
	return rc;
}

int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		    uint64_t *unmapped)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (add_overflows(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_iova_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped)
{
	int rc = iopt_unmap_iova_range(iopt, 0, UINT64_MAX, unmapped);

	/* an empty IOAS: unmapping everything succeeds */
	return rc == -ENOENT ? 0 : rc;
}

/* ---- reserved and allowed ---- */

int iopt_set_allow_iova(struct io_pagetable *iopt, GArray *ranges)
{
	for (unsigned i = 0; i < ranges->len; i++) {
		const struct iopt_range *x = &g_array_index(ranges, struct iopt_range, i);

		if (range_first(iopt->reserved, x->start, x->last))
			return -EADDRINUSE;
	}
	g_array_set_size(iopt->allowed, 0);
	for (unsigned i = 0; i < ranges->len; i++)
		range_insert(iopt->allowed, g_array_index(ranges, struct iopt_range, i));
	return 0;
}

int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start, uint64_t last,
		      const void *owner)
{
	if (area_first(iopt, start, last, NULL) || range_first(iopt->allowed, start, last))
		return -EADDRINUSE;
	if (sim_should_fail(iopt->w, "iopt_reserved_alloc"))
		return -ENOMEM;
	range_insert(iopt->reserved, (struct iopt_range){ start, last, owner });
	return 0;
}

void iopt_remove_reserved_iova(struct io_pagetable *iopt, const void *owner)
{
	for (unsigned i = iopt->reserved->len; i-- > 0;)
		if (g_array_index(iopt->reserved, struct iopt_range, i).owner == owner)
			g_array_remove_index(iopt->reserved, i);
}

void iopt_usable_ranges(const struct io_pagetable *iopt, GArray *out)
{
	uint64_t cur = 0;
	bool done = false;

	/* the reserved ranges may overlap (several owners): walk their union */
	for (unsigned i = 0; i < iopt->reserved->len && !done; i++) {
		const struct iopt_range *x = &g_array_index(iopt->reserved, struct iopt_range, i);

		if (x->start > cur)
			g_array_append_val(out, ((struct iopt_range){ cur, x->start - 1, NULL }));
		if (x->last == UINT64_MAX)
			done = true;
		else if (x->last + 1 > cur)
			cur = x->last + 1;
	}
	if (!done)
		g_array_append_val(out, ((struct iopt_range){ cur, UINT64_MAX, NULL }));
}

/* ---- alignment ---- */

/* iopt_check_iova_alignment: every area must sit on the new alignment. */
static int iopt_check_iova_alignment(const struct io_pagetable *iopt, uint64_t align)
{
	for (unsigned i = 0; i < iopt->areas->len; i++) {
		const struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i);

		if ((a->iova & (align - 1)) || ((a->last - a->iova + 1) & (align - 1)) ||
		    ((a->start_byte % PAGE_SIZE) & (align - 1)))
			return -EADDRINUSE;
	}
	return 0;
}

/* iopt_calculate_iova_alignment: the largest of what the attached domains
 * and accesses need (none yet here) and PAGE_SIZE without large pages. */
static int iopt_calculate_iova_alignment(struct io_pagetable *iopt)
{
	uint64_t align = 1;

	if (iopt->disable_large_pages && align < PAGE_SIZE)
		align = PAGE_SIZE;
	for (unsigned k = 0; k < iopt->domains->len; k++) {
		const struct iommu_domain *d = g_ptr_array_index(iopt->domains, k);
		uint64_t min = 1ull << __builtin_ctzll(d->pgsize_bitmap);

		if (min > align)
			align = min;
	}
	for (unsigned k = 0; k < iopt->accesses->len; k++) {
		const struct iommufd_access *ac = g_ptr_array_index(iopt->accesses, k);

		if (ac->iova_alignment > align)
			align = ac->iova_alignment;
	}
	if (align > iopt->iova_alignment) {
		int rc = iopt_check_iova_alignment(iopt, align);

		if (rc)
			return rc;
	}
	iopt->iova_alignment = align;
	return 0;
}

int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc;

	if (iopt->disable_large_pages)
		return 0;
	/* not once domains have mappings: they may hold large leaves */
	if (iopt->domains->len && iopt->areas->len)
		return -EINVAL;
	iopt->disable_large_pages = true;
	rc = iopt_calculate_iova_alignment(iopt);
	if (rc)
		iopt->disable_large_pages = false;
	return rc;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	iopt->disable_large_pages = false;
	iopt_calculate_iova_alignment(iopt);
}

/* iopt_area_split: [iova, iova + 1) becomes the boundary between two
 * areas sharing the pages. */
static int iopt_area_split(struct io_pagetable *iopt, unsigned i, uint64_t iova)
{
	struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i), hi;

	if (iova == a->iova || iova == a->last)
		return 0;
	if (a->prevent_access)
		return -EBUSY;
	/* accesses are not tracked finely enough to split */
	if (a->num_accesses)
		return -EINVAL;
	if (((iova + 1) & (iopt->iova_alignment - 1)) ||
	    ((a->start_byte + (iova + 1 - a->iova)) & (iopt->iova_alignment - 1)))
		return -EINVAL;
	/* not when the domains may hold a large leaf across the cut */
	if (iopt->domains->len && !iopt->disable_large_pages)
		return -EINVAL;
	if (sim_should_fail(iopt->w, "iopt_area_alloc"))
		return -ENOMEM;
	hi = *a;
	hi.iova = iova + 1;
	hi.start_byte = a->start_byte + (hi.iova - a->iova);
	a->last = iova;
	a->pages->refs++;
	g_array_insert_val(iopt->areas, i + 1, hi);
	return 0;
}

int iopt_cut_iova(struct io_pagetable *iopt, const uint64_t *iovas, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned i;
		int rc;

		if (!area_first(iopt, iovas[k], iovas[k], &i))
			continue;
		rc = iopt_area_split(iopt, i, iovas[k]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- domains ---- */

int iopt_table_add_domain(struct io_pagetable *iopt, struct iommu_domain *d)
{
	uint64_t align = 1ull << __builtin_ctzll(d->pgsize_bitmap);
	unsigned i;
	int rc;

	for (i = 0; i < iopt->domains->len; i++)
		if (g_ptr_array_index(iopt->domains, i) == d)
			return -EEXIST;
	/* the pages are PAGE_SIZE units: a domain must take PAGE_SIZE */
	if (align < iopt->iova_alignment)
		align = iopt->iova_alignment;
	if (align > PAGE_SIZE)
		return -EINVAL;
	if (align != iopt->iova_alignment) {
		rc = iopt_check_iova_alignment(iopt, align);
		if (rc)
			return rc;
	}
	/* no area may lie outside the aperture */
	if (d->aperture_start) {
		rc = iopt_reserve_iova(iopt, 0, d->aperture_start - 1, d);
		if (rc)
			goto out_reserved;
	}
	if (d->aperture_end != UINT64_MAX) {
		rc = iopt_reserve_iova(iopt, d->aperture_end + 1, UINT64_MAX, d);
		if (rc)
			goto out_reserved;
	}
	if (sim_should_fail(iopt->w, "iopt_domains_reserve")) {
		rc = -ENOMEM;
		goto out_reserved;
	}
	/* iopt_fill_domain: the first domain pins, the others reuse the pins */
	for (i = 0; i < iopt->areas->len; i++) {
		struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i);

		if (!iopt->domains->len) {
			rc = iopt_pages_pin(a->pages, area_first_index(a), area_last_index(a));
			if (rc)
				goto out_unfill;
		}
		rc = area_map_domain(iopt, a, d);
		if (rc) {
			if (!iopt->domains->len)
				iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
			goto out_unfill;
		}
	}
	iopt->iova_alignment = align;
	g_ptr_array_add(iopt->domains, d);
	return 0;

out_unfill:
	while (i-- > 0) {
		struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, i);

		iommu_unmap(d, a->iova, a->last - a->iova + 1);
		if (!iopt->domains->len)
			iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
	}
out_reserved:
	iopt_remove_reserved_iova(iopt, d);
	return rc;
}

void iopt_table_remove_domain(struct io_pagetable *iopt, struct iommu_domain *d)
{
	unsigned i, last;

	for (i = 0; i < iopt->domains->len; i++)
		if (g_ptr_array_index(iopt->domains, i) == d)
			break;
	if (i == iopt->domains->len)
		return;
	/* keep the array dense: the last domain moves into the hole */
	last = iopt->domains->len - 1;
	iopt->domains->pdata[i] = iopt->domains->pdata[last];
	g_ptr_array_set_size(iopt->domains, last);
	/* iopt_unfill_domain: the last domain out unpins */
	for (unsigned k = 0; k < iopt->areas->len; k++) {
		struct iopt_area *a = &g_array_index(iopt->areas, struct iopt_area, k);

		iommu_unmap(d, a->iova, a->last - a->iova + 1);
		if (!iopt->domains->len)
			iopt_pages_unpin(a->pages, area_first_index(a), area_last_index(a));
	}
	iopt_remove_reserved_iova(iopt, d);
	iopt_calculate_iova_alignment(iopt);
}

int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt, struct iommu_group *g,
					const void *owner)
{
	struct iommu_resv_region r[8];
	size_t n;
	int rc;

	if (sim_should_fail(iopt->w, "iopt_enforce_resv"))
		return -EINVAL;
	n = iommu_get_resv_regions(iommu_group_world(g), g, r, G_N_ELEMENTS(r));
	for (size_t i = 0; i < n && i < G_N_ELEMENTS(r); i++) {
		rc = iopt_reserve_iova(iopt, r[i].start, r[i].end, owner);
		if (rc) {
			iopt_remove_reserved_iova(iopt, owner);
			return rc;
		}
	}
	return 0;
}

/* ---- accesses ---- */

struct iopt_area *iopt_area_at(struct io_pagetable *iopt, uint64_t iova)
{
	struct iopt_area *a = area_first(iopt, iova, iova, NULL);

	return a && a->iova <= iova ? a : NULL;
}

int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access)
{
	int rc;

	if (sim_should_fail(iopt->w, "iopt_access_list_alloc"))
		return -ENOMEM;
	g_ptr_array_add(iopt->accesses, access);
	rc = iopt_calculate_iova_alignment(iopt);
	if (rc)
		g_ptr_array_remove(iopt->accesses, access);
	return rc;
}

void iopt_remove_access(struct io_pagetable *iopt, struct iommufd_access *access)
{
	g_ptr_array_remove(iopt->accesses, access);
	iopt_calculate_iova_alignment(iopt);
}
