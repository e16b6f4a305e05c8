/* SPDX-License-Identifier: MIT */
/*
 * type1 MAP_DMA and UNMAP_DMA (spec §C): pinning, accounting, v1/v2 unmap
 * rules, UPDATE_VADDR.
 *
 * Accounting: every pinned page is charged to the mapping task's mm
 * (locked_vm, in pages) and checked against its RLIMIT_MEMLOCK unless the
 * task had CAP_IPC_LOCK when it mapped; the same page mapped twice is
 * charged twice.  A mapping keeps a reference to that mm, so unpinning and
 * uncharging work after the task has exited.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

/* The page vfio_pin_pages pinned at @iova, or NULL (vfio_find_vpfn). */
struct vfio_pfn *vfio_find_vpfn(struct vfio_dma *dma, uint64_t iova)
{
	return dma->pfn_list ? g_tree_lookup(dma->pfn_list, &iova) : NULL;
}

/*
 * vfio_unmap_unpin: unmap [iova, iova + mapped) from every domain and unpin
 * the pages pinned for them.  With @do_accounting they are uncharged too,
 * except those vfio_pin_pages still holds (charged once, whoever pinned
 * first: vfio_unpin_pages_remote's "locked").  Returns the pages that are
 * no longer pinned at all (what the caller uncharges without accounting).
 */
uint64_t vfio_unmap_unpin(struct vfio_iommu *iommu, struct vfio_dma *dma, uint64_t mapped,
			  bool do_accounting)
{
	uint64_t locked = 0;

	for (guint i = 0; mapped && i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		iommu_unmap(d->domain, dma->iova, mapped);
	}
	for (uint64_t i = 0; i < dma->npages; i++) {
		sim_mm_unpin_page(dma->mm, dma->pages[i]);
		if (vfio_find_vpfn(dma, dma->iova + i * SIM_PAGE_SIZE))
			locked++;
	}
	if (do_accounting)
		dma->mm->locked_vm -= dma->npages - locked;
	locked = dma->npages - locked;
	dma->npages = 0;
	dma->iommu_mapped = false;
	return locked;
}

static void vfio_dma_free(struct vfio_dma *dma)
{
	sim_mm_put(dma->mm);
	if (dma->pfn_list)
		g_tree_destroy(dma->pfn_list);
	g_free(dma->bitmap);
	g_free(dma->pages);
	g_free(dma);
}

static gboolean add_refs(gpointer key, gpointer val, gpointer sum)
{
	(void)key;
	*(uint64_t *)sum += ((const struct vfio_pfn *)val)->ref_count;
	return FALSE;
}

uint64_t vfio_dma_vpfn_refs(const struct vfio_dma *dma)
{
	uint64_t sum = 0;

	if (dma->pfn_list)
		g_tree_foreach(dma->pfn_list, add_refs, &sum);
	return sum;
}

/* Put one pin of vfio_pin_pages; the last unpins the page and, with
 * @do_accounting (no IOMMU domain charges it), uncharges it. */
static void vfio_put_vpfn(struct vfio_dma *dma, struct vfio_pfn *vpfn, bool do_accounting)
{
	if (--vpfn->ref_count)
		return;
	sim_mm_unpin_page(dma->mm, vpfn->hpa);
	if (do_accounting)
		dma->mm->locked_vm--;
	g_tree_remove(dma->pfn_list, &vpfn->iova);
}

void vfio_remove_dma(struct vfio_iommu *iommu, struct vfio_dma *dma)
{
	SIM_TRACE(iommu->vfio->w, vfio_dma_remove, (unsigned long long)dma->iova,
		  (unsigned long long)dma->size, (unsigned long long)dma->npages);
	vfio_unmap_unpin(iommu, dma, dma->size, true);
	/* the kernel WARNs: every device unpinned before (vfio_notify_dma_unmap,
	 * or its close); what is left is released, charged or not */
	while (vfio_dma_nvpfn(dma)) {
		struct vfio_pfn *vpfn = g_tree_node_value(g_tree_node_first(dma->pfn_list));

		vpfn->ref_count = 1;
		vfio_put_vpfn(dma, vpfn, true);
	}
	g_tree_remove(iommu->dma_list, &dma->iova);
	if (dma->vaddr_invalid)
		iommu->vaddr_invalid_count--;
	vfio_dma_free(dma);
	iommu->dma_avail++;
}

/* RLIMIT_MEMLOCK of @p in pages (UINT64_MAX: unlimited). */
static uint64_t memlock_pages(const struct sim_proc *p)
{
	return p->rlimit_memlock == SIM_RLIM_INFINITY ? UINT64_MAX
	       : p->rlimit_memlock >> SIM_PAGE_SHIFT;
}

/*
 * How many pages from page @i of @dma (at most @n) may be pinned before one
 * would fail its charge: a page vfio_pin_pages pinned is charged already
 * (its vpfn) and costs nothing, and the page whose charge fails is pinned
 * first and given back (vfio_lock_acct comes after the pin), so it is
 * counted too.  At least 1.
 */
static uint64_t vfio_pin_room(struct vfio_dma *dma, uint64_t i, uint64_t n, uint64_t limit)
{
	uint64_t locked = dma->mm->locked_vm, avail, m;

	if (dma->lock_cap || limit == UINT64_MAX)
		return n;
	avail = limit > locked ? limit - locked : 0;
	if (!vfio_dma_nvpfn(dma))
		return MAX(MIN(n, avail), 1);
	for (m = 0; m < n; m++) {
		if (vfio_find_vpfn(dma, dma->iova + (i + m) * SIM_PAGE_SIZE))
			continue;
		if (!avail)
			break;
		avail--;
	}
	return MAX(m, 1);
}

/*
 * vfio_pin_pages_remote: pin a physically contiguous run from page @i of
 * the user buffer of @dma (at most @n pages; see sim_mm_pin_run) as @p, into
 * dma->pages, and charge each page (spec §C: bad vaddr -> EFAULT, then
 * RLIMIT_MEMLOCK -> ENOMEM unless CAP_IPC_LOCK was held at map time).  The
 * run never reaches past the page whose charge fails, so pinning and
 * charging happen for exactly the pages, in the order, that pinning and
 * charging page by page did.  Returns the pages pinned and charged (counted
 * in dma->npages); *err is the error that stopped it, or 0.
 */
static uint64_t vfio_pin_pages_remote(struct sim_proc *p, struct vfio_dma *dma, uint64_t i,
				      uint64_t n, uint64_t limit, int *err)
{
	struct sim_mm *mm = dma->mm;
	uint64_t k, j;

	n = vfio_pin_room(dma, i, n, limit);
	k = sim_mm_pin_run(p->mm, dma->vaddr + i * SIM_PAGE_SIZE, n,
			   (dma->prot & IOMMU_WRITE) != 0, i ? dma->pages[i - 1] : 0,
			   dma->pages + i, err);
	for (j = i; j < i + k; j++) {
		if (dma->pfn_list && vfio_find_vpfn(dma, dma->iova + j * SIM_PAGE_SIZE))
			continue;
		if (!dma->lock_cap && mm->locked_vm + 1 > limit) {
			for (uint64_t u = j; u < i + k; u++)
				sim_mm_unpin_page(mm, dma->pages[u]);
			*err = -ENOMEM;
			break;
		}
		mm->locked_vm++;
	}
	dma->npages += j - i;
	return j - i;
}

/*
 * Pin every page of the user buffer and map physically contiguous runs
 * into every domain; all or nothing.  A run is mapped as soon as the page
 * after it is pinned and found not to follow it, before any later page is
 * pinned: what the page tables and later frames get is what pinning page
 * by page gave.
 */
static int vfio_pin_map_dma(struct vfio_iommu *iommu, struct sim_proc *p,
			    struct vfio_dma *dma, uint64_t size)
{
	uint64_t npages = size / SIM_PAGE_SIZE, run = 0, mapped = 0, cap = 0, i = 0;
	uint64_t limit = memlock_pages(p);
	int ret = 0;

	if (sim_should_fail(iommu->vfio->w, "vfio_dma_pages_alloc"))
		return -ENOMEM;
	while (i < npages && !ret) {
		if (i == cap) {   /* grow as we pin: a bad vaddr fails early */
			cap = MIN(npages, MAX(cap * 2, 512));
			dma->pages = g_renew(uint64_t, dma->pages, cap);
		}
		i += vfio_pin_pages_remote(p, dma, i, cap - i, limit, &ret);
		/* a run stops at (and includes) the first page that breaks it */
		if (!ret && i - 1 > run && dma->pages[i - 1] != dma->pages[i - 2] + SIM_PAGE_SIZE) {
			ret = vfio_iommu_map_run(iommu, NULL, dma->iova + run * SIM_PAGE_SIZE,
						 dma->pages[run], (i - 1 - run) * SIM_PAGE_SIZE,
						 dma->prot);
			mapped = ret ? mapped : (i - 1) * SIM_PAGE_SIZE;
			run = i - 1;
		}
	}
	if (!ret && npages) {
		ret = vfio_iommu_map_run(iommu, NULL, dma->iova + run * SIM_PAGE_SIZE,
					 dma->pages[run], (npages - run) * SIM_PAGE_SIZE, dma->prot);
		mapped = ret ? mapped : size;
	}
	if (ret && (iommu_bugs(iommu->vfio->w) & IOMMU_BUG_LEAK_PIN_ON_ERROR)) {
		/* the injected bug: the error path takes what it mapped out
		 * of the domains and drops the vfio_dma, but never unpins nor
		 * uncharges the pages pinned for it (vfio_remove_dma's
		 * vfio_unmap_unpin, or vfio_pin_pages_remote's unpin_out) */
		for (guint d = 0; mapped && d < iommu->domains->len; d++)
			iommu_unmap(((struct vfio_domain *)g_ptr_array_index(iommu->domains, d))
					    ->domain, dma->iova, mapped);
		dma->npages = 0;
	} else if (ret) {
		vfio_unmap_unpin(iommu, dma, mapped, true);
	} else {
		dma->iommu_mapped = true;
	}
	return ret;
}

/* Pin every page of @dma for a new domain, as @p (the attaching process:
 * the kernel's replay pins current->mm's pages and checks its
 * RLIMIT_MEMLOCK); all or nothing. */
int vfio_pin_dma_all(struct vfio_iommu *iommu, struct sim_proc *p, struct vfio_dma *dma)
{
	uint64_t npages = dma->size / SIM_PAGE_SIZE, i = 0;
	uint64_t limit;
	int ret = 0;

	if (!p)
		return -ENODEV;          /* "This code path is only user initiated" */
	limit = memlock_pages(p);
	dma->pages = g_renew(uint64_t, dma->pages, npages ? npages : 1);
	while (i < npages && !ret)
		i += vfio_pin_pages_remote(p, dma, i, npages - i, limit, &ret);
	if (ret)
		vfio_unmap_unpin(iommu, dma, 0, true);
	return ret;
}

/* spec §C MAP_DMA, the checks after argsz/flags in their order. */
static int vfio_dma_map_check(struct vfio_iommu *iommu, struct vfio_iommu_type1_dma_map *map)
{
	bool set_vaddr = map->flags & VFIO_DMA_MAP_FLAG_VADDR;
	unsigned prot = (map->flags & VFIO_DMA_MAP_FLAG_READ ? IOMMU_READ : 0) |
			(map->flags & VFIO_DMA_MAP_FLAG_WRITE ? IOMMU_WRITE : 0);
	uint64_t pgmask = vfio_pgsize(iommu) - 1;
	struct vfio_dma *dma;

	if ((prot && set_vaddr) || (!prot && !set_vaddr))
		return -EINVAL;
	if (!map->size || ((map->size | map->iova | map->vaddr) & pgmask))
		return -EINVAL;
	if (map->iova + map->size - 1 < map->iova || map->vaddr + map->size - 1 < map->vaddr)
		return -EINVAL;          /* wraps */
	dma = vfio_find_dma(iommu, map->iova, map->size);
	if (set_vaddr) {
		if (!dma)
			return -ENOENT;
		if (!dma->vaddr_invalid || dma->iova != map->iova || dma->size != map->size)
			return -EINVAL;
		dma->vaddr = map->vaddr;   /* UPDATE_VADDR: restored */
		dma->vaddr_invalid = false;
		iommu->vaddr_invalid_count--;
		return 1;
	}
	if (dma)
		return -EEXIST;
	if (!iommu->dma_avail)
		return -ENOSPC;
	if (!vfio_iommu_iova_dma_valid(iommu, map->iova, map->iova + map->size - 1))
		return -EINVAL;
	return 0;
}

static int vfio_dma_do_map(struct vfio_iommu *iommu, struct sim_proc *p,
			   struct vfio_iommu_type1_dma_map *map)
{
	struct vfio_dma *dma;
	int ret = vfio_dma_map_check(iommu, map);

	if (ret)
		return ret < 0 ? ret : 0;
	if (sim_should_fail(iommu->vfio->w, "vfio_dma_alloc"))
		return -ENOMEM;
	dma = g_new0(struct vfio_dma, 1);
	dma->iova = map->iova;
	dma->vaddr = map->vaddr;
	dma->prot = (map->flags & VFIO_DMA_MAP_FLAG_READ ? IOMMU_READ : 0) |
		    (map->flags & VFIO_DMA_MAP_FLAG_WRITE ? IOMMU_WRITE : 0);
	dma->lock_cap = sim_proc_capable(p, SIM_CAP_IPC_LOCK);   /* sampled now */
	dma->mm = sim_mm_get(p->mm);
	dma->pid = p->pid;
	/* "Don't pin and map if container doesn't contain IOMMU capable
	 * domain": with emulated groups only, pages are pinned one by one
	 * through vfio_pin_pages */
	if (iommu->domains->len)
		ret = vfio_pin_map_dma(iommu, p, dma, map->size);
	if (!ret && iommu->dirty_page_tracking)
		ret = vfio_dma_bitmap_alloc(iommu, dma, map->size);
	if (ret) {
		if (dma->iommu_mapped)
			vfio_unmap_unpin(iommu, dma, map->size, true);
		vfio_dma_free(dma);
		return ret;
	}
	dma->size = map->size;
	g_tree_insert(iommu->dma_list, &dma->iova, dma);
	iommu->dma_avail--;
	return 0;
}

long vfio_iommu_type1_map_dma(struct vfio_iommu *iommu, struct sim_proc *p, unsigned long arg)
{
	uint32_t mask = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			VFIO_DMA_MAP_FLAG_VADDR;
	size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	int ret;

	if (sim_copy_from_user(p, &map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || (map.flags & ~mask))
		return -EINVAL;        /* spec §C: bad argsz or flags */
	ret = vfio_dma_do_map(iommu, p, &map);
	SIM_TRACE(p->w, vfio_dma_map, (unsigned long long)map.iova,
		  (unsigned long long)map.size, (unsigned long long)map.vaddr, map.flags, ret);
	return ret;
}

/* ---- dirty page tracking (VFIO_IOMMU_DIRTY_PAGES, migration v1) -------- */

/* The kernel's DIRTY_BITMAP_PAGES_MAX and DIRTY_BITMAP_SIZE_MAX. */
#define DIRTY_BITMAP_PAGES_MAX ((uint64_t)0x7fffffff)
#define DIRTY_BITMAP_SIZE_MAX ((DIRTY_BITMAP_PAGES_MAX + 63) / 64 * 8)
/* access_ok() on x86-64: the range ends below TASK_SIZE_MAX. */
#define TASK_SIZE_MAX 0x7ffffffff000ull

static unsigned ffs64(uint64_t v)
{
	return v ? (unsigned)__builtin_ctzll(v) : 0;
}

/* verify_bitmap_size: -EINVAL unless @bitmap_size bytes hold @npages bits
 * and stay within DIRTY_BITMAP_SIZE_MAX. */
static int verify_bitmap_size(uint64_t npages, uint64_t bitmap_size)
{
	if (!npages || !bitmap_size || bitmap_size > DIRTY_BITMAP_SIZE_MAX ||
	    bitmap_size < (npages + 63) / 64 * 8)
		return -EINVAL;
	return 0;
}

static bool access_ok(uint64_t uva, uint64_t size)
{
	return uva + size >= uva && uva + size <= TASK_SIZE_MAX;
}

/* Bits in @dma's bitmap: one per smallest IOMMU page. */
static uint64_t dma_nbits(struct vfio_iommu *iommu, const struct vfio_dma *dma, uint64_t size)
{
	return size >> ffs64(vfio_pgsize(iommu));
}

static void bitmap_set_range(uint64_t *bm, uint64_t start, uint64_t n)
{
	for (uint64_t b = start; b < start + n; b++)
		bm[b / 64] |= 1ull << (b % 64);
}

/* vfio_dma_populate_bitmap: every page vfio_pin_pages holds is dirty (the
 * device may write it at any time while pinned). */
static gboolean populate_one(gpointer key, gpointer val, gpointer ctx)
{
	struct vfio_dma *dma = ((void **)ctx)[0];
	unsigned pgshift = *(unsigned *)((void **)ctx)[1];
	const struct vfio_pfn *vpfn = val;

	(void)key;
	bitmap_set_range(dma->bitmap, (vpfn->iova - dma->iova) >> pgshift, 1);
	return FALSE;
}

static void vfio_dma_populate_bitmap(struct vfio_iommu *iommu, struct vfio_dma *dma)
{
	unsigned pgshift = ffs64(vfio_pgsize(iommu));
	void *ctx[2] = { dma, &pgshift };

	if (dma->pfn_list)
		g_tree_foreach(dma->pfn_list, populate_one, ctx);
}

/* vfio_dma_bitmap_alloc: a zeroed bitmap for @size bytes (ENOMEM). */
int vfio_dma_bitmap_alloc(struct vfio_iommu *iommu, struct vfio_dma *dma, uint64_t size)
{
	if (sim_should_fail(iommu->vfio->w, "vfio_dma_bitmap_alloc"))
		return -ENOMEM;
	/* one spare word, as the kernel allocates for its in-place shift */
	dma->bitmap = g_new0(uint64_t, (dma_nbits(iommu, dma, size) + 63) / 64 + 1);
	return 0;
}

static void vfio_dma_bitmap_free_all(struct vfio_iommu *iommu)
{
	for (struct vfio_dma *dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma;
	     dma = vfio_dma_next(iommu, dma)) {
		g_free(dma->bitmap);
		dma->bitmap = NULL;
	}
}

/* vfio_dma_bitmap_alloc_all: tracking starts with what is pinned now. */
static int vfio_dma_bitmap_alloc_all(struct vfio_iommu *iommu)
{
	for (struct vfio_dma *dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma;
	     dma = vfio_dma_next(iommu, dma)) {
		if (vfio_dma_bitmap_alloc(iommu, dma, dma->size)) {
			vfio_dma_bitmap_free_all(iommu);
			return -ENOMEM;
		}
		vfio_dma_populate_bitmap(iommu, dma);
	}
	return 0;
}

/* vfio_iommu_populate_bitmap_full: a group that could dirty any page left
 * or promoted itself; until now every page may have been written. */
void vfio_iommu_populate_bitmap_full(struct vfio_iommu *iommu)
{
	for (struct vfio_dma *dma = vfio_find_dma_first(iommu, 0, UINT64_MAX); dma;
	     dma = vfio_dma_next(iommu, dma))
		bitmap_set_range(dma->bitmap, 0, dma_nbits(iommu, dma, dma->size));
}

/* The dirty bits of [dma->iova + offset, + len) after a write landed. */
static void vfio_dma_mark_dirty(struct vfio_iommu *iommu, struct vfio_dma *dma, uint64_t offset,
				uint64_t len)
{
	unsigned pgshift = ffs64(vfio_pgsize(iommu));

	if (!iommu->dirty_page_tracking || !len)
		return;
	bitmap_set_range(dma->bitmap, offset >> pgshift,
			 ((offset + len - 1) >> pgshift) - (offset >> pgshift) + 1);
}

/*
 * update_user_bitmap: @dma's dirty bits into the user's bitmap at @uva,
 * whose bit 0 is @base_iova.  While a group that cannot report what it
 * writes is in the container (an IOMMU-backed one that never pinned:
 * num_non_pinned_groups) every page of a mapping in the domains is dirty;
 * otherwise the bits are the pages pinned through vfio_pin_pages and
 * written through vfio_dma_rw since the last read.  As the kernel does,
 * the words from the mapping's first bit to its last are written whole:
 * the first keeps the user's bits ORed in (the whole word, as bitmap_or
 * does).
 */
static int update_user_bitmap(struct vfio_iommu *iommu, struct sim_proc *p, uint64_t uva,
			      struct vfio_dma *dma, uint64_t base_iova, uint64_t pgsize)
{
	unsigned pgshift = ffs64(pgsize);
	uint64_t nbits = dma->size >> pgshift;
	uint64_t bit_offset = (dma->iova - base_iova) >> pgshift;
	uint64_t copy_offset = bit_offset / 64, shift = bit_offset % 64;
	uint64_t nwords = (nbits + shift + 63) / 64, leftover;
	uint64_t *words = g_new0(uint64_t, nwords);
	int ret = 0;

	if (iommu->num_non_pinned_groups && dma->iommu_mapped)
		bitmap_set_range(dma->bitmap, 0, nbits);
	for (uint64_t b = 0; b < nbits; b++)
		if (dma->bitmap[b / 64] & (1ull << (b % 64)))
			words[(b + shift) / 64] |= 1ull << ((b + shift) % 64);
	if (shift) {
		if (sim_copy_from_user(p, &leftover, uva + copy_offset * 8, sizeof(leftover))) {
			ret = -EFAULT;
			goto out;
		}
		words[0] |= leftover;    /* bitmap_or over whole words */
	}
	if (sim_copy_to_user(p, uva + copy_offset * 8, words, nwords * 8))
		ret = -EFAULT;
out:
	g_free(words);
	return ret;
}

/* vfio_iova_dirty_bitmap: the range must not cut a mapping (EINVAL); every
 * mapping inside it reports its pages, and its bitmap starts again from
 * the pages still pinned. */
static int vfio_iova_dirty_bitmap(struct vfio_iommu *iommu, struct sim_proc *p, uint64_t uva,
				  uint64_t iova, uint64_t size, uint64_t pgsize)
{
	struct vfio_dma *dma = vfio_find_dma(iommu, iova, 1);
	int ret;

	if (dma && dma->iova != iova)
		return -EINVAL;
	dma = vfio_find_dma(iommu, iova + size - 1, 0);
	if (dma && dma->iova + dma->size != iova + size)
		return -EINVAL;
	for (dma = vfio_find_dma_first(iommu, iova, size); dma && dma->iova <= iova + size - 1;
	     dma = vfio_dma_next(iommu, dma)) {
		if (dma->iova < iova)
			continue;
		ret = update_user_bitmap(iommu, p, uva, dma, iova, pgsize);
		if (ret)
			return ret;
		memset(dma->bitmap, 0, (dma_nbits(iommu, dma, dma->size) + 63) / 64 * 8);
		vfio_dma_populate_bitmap(iommu, dma);
	}
	return 0;
}

/*
 * vfio_iommu_type1_dirty_pages, in the kernel's order: a v1 container ->
 * EACCES; a bad pointer -> EFAULT; argsz < minsz or an unknown flag ->
 * EINVAL; not exactly one flag -> EINVAL.  START allocates every mapping's
 * bitmap, seeded with the pages pinned now (ENOMEM), once; STOP frees them
 * (tracking needs no hardware support: pinned and written pages are what
 * type1 knows).  GET_BITMAP: the range struct missing -> EINVAL; iova + size
 * wrapping, a bitmap outside user space or too small -> EINVAL; a bitmap
 * page size other than the IOMMU's smallest, a misaligned or empty range,
 * tracking off -> EINVAL; then the bitmap.
 */
long vfio_iommu_type1_dirty_pages(struct vfio_iommu *iommu, struct sim_proc *p,
				  unsigned long arg)
{
	uint32_t mask = VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	struct vfio_iommu_type1_dirty_bitmap dirty;
	struct vfio_iommu_type1_dirty_bitmap_get range;
	uint64_t pgsize = vfio_pgsize(iommu);

	if (!iommu->v2)
		return -EACCES;
	if (sim_copy_from_user(p, &dirty, arg, minsz))
		return -EFAULT;
	if (dirty.argsz < minsz || (dirty.flags & ~mask))
		return -EINVAL;
	if (!dirty.flags || (dirty.flags & (dirty.flags - 1)))
		return -EINVAL;          /* only one flag at a time */
	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
		int ret = 0;

		if (!iommu->dirty_page_tracking && !(ret = vfio_dma_bitmap_alloc_all(iommu)))
			iommu->dirty_page_tracking = true;
		return ret;
	}
	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		if (iommu->dirty_page_tracking) {
			iommu->dirty_page_tracking = false;
			vfio_dma_bitmap_free_all(iommu);
		}
		return 0;
	}
	if (dirty.argsz - minsz < sizeof(range))
		return -EINVAL;
	if (sim_copy_from_user(p, &range, arg + minsz, sizeof(range)))
		return -EFAULT;
	if (range.iova + range.size < range.iova)
		return -EINVAL;
	if (!access_ok((uint64_t)(uintptr_t)range.bitmap.data, range.bitmap.size))
		return -EINVAL;
	if (verify_bitmap_size(range.size >> ffs64(range.bitmap.pgsize), range.bitmap.size))
		return -EINVAL;
	if (range.bitmap.pgsize != pgsize || (range.iova & (pgsize - 1)) || !range.size ||
	    (range.size & (pgsize - 1)) || !iommu->dirty_page_tracking)
		return -EINVAL;
	return vfio_iova_dirty_bitmap(iommu, p, (uint64_t)(uintptr_t)range.bitmap.data,
				      range.iova, range.size, pgsize);
}

/* UNMAP with VADDR hit an already invalidated mapping: revalidate the ones
 * this call invalidated (from @first up to @stop) and fail. */
static void vfio_vaddr_revert(struct vfio_iommu *iommu, struct vfio_dma *first,
			      struct vfio_dma *stop)
{
	for (struct vfio_dma *d = first; d && d != stop; d = vfio_dma_next(iommu, d)) {
		d->vaddr_invalid = false;
		iommu->vaddr_invalid_count--;
	}
}

/*
 * The walk of spec §C UNMAP_DMA over [iova, last]: v1 stops at a mapping
 * that starts before the request (0 bytes); VADDR invalidates instead of
 * unmapping.  Whoever holds the container fd may unmap: a mapping made by
 * another mm (a forked child, an fd passed over a socket) is removed like
 * any other, and unpinned and uncharged from the mm that made it.  The
 * "dma->task->mm != current->mm" stop of older kernels is gone from both
 * releases the oracle boots (vfio.dma.v2.unmap.fork.*, 6.1 and 6.12).
 */
#define VFIO_UNMAP_AGAIN 1        /* devices were told to unpin: walk again */
#define VFIO_UNMAP_RETRIES 10      /* the kernel's BUG_ON(++retries > 10) */

/* vfio_notify_dma_unmap: every registered device (an emulated-IOMMU one
 * with dma_unmap) is told the mapping goes, and must unpin in it. */
static void vfio_notify_dma_unmap(struct vfio_iommu *iommu, struct vfio_dma *dma)
{
	for (guint i = 0; i < iommu->device_list->len; i++)
		vfio_mdev_dma_unmap(g_ptr_array_index(iommu->device_list, i), dma->iova,
				    dma->size);
}

static int vfio_dma_unmap_walk(struct vfio_iommu *iommu, struct sim_proc *p,
			       uint64_t iova, uint64_t last, bool invalidate_vaddr,
			       const struct vfio_bitmap *bitmap, uint64_t *unmapped,
			       struct vfio_dma **dma_last, unsigned *retries)
{
	struct vfio_dma *first = vfio_find_dma_first(iommu, iova, last - iova + 1 ?: UINT64_MAX);
	struct vfio_dma *dma = first, *next;

	for (; dma && dma->iova <= last; dma = next) {
		next = vfio_dma_next(iommu, dma);
		if (!iommu->v2 && iova > dma->iova)
			break;
		if (invalidate_vaddr) {
			if (dma->vaddr_invalid) {
				vfio_vaddr_revert(iommu, first, dma);
				*unmapped = 0;
				return -EINVAL;
			}
			dma->vaddr_invalid = true;
			iommu->vaddr_invalid_count++;
			*unmapped += dma->size;
			continue;
		}
		/* pages pinned through vfio_pin_pages: their devices let go
		 * first, then everything is looked at again */
		if (vfio_dma_nvpfn(dma)) {
			if (*dma_last == dma && ++*retries > VFIO_UNMAP_RETRIES) {
				/* a driver that never unpins: the kernel BUGs here */
				SIM_TRACE(iommu->vfio->w, vfio_dma_unmap_stuck,
					  (unsigned long long)dma->iova, vfio_dma_nvpfn(dma));
				return -EBUSY;
			}
			if (*dma_last != dma) {
				*dma_last = dma;
				*retries = 0;
			}
			vfio_notify_dma_unmap(iommu, dma);
			return VFIO_UNMAP_AGAIN;
		}
		if (bitmap) {
			int ret = update_user_bitmap(iommu, p, (uint64_t)(uintptr_t)bitmap->data, dma,
						     iova, bitmap->pgsize);

			if (ret)
				return ret;
		}
		*unmapped += dma->size;
		vfio_remove_dma(iommu, dma);
	}
	return 0;
}

static int vfio_dma_do_unmap(struct vfio_iommu *iommu, struct sim_proc *p,
			     struct vfio_iommu_type1_dma_unmap *unmap,
			     const struct vfio_bitmap *bitmap)
{
	bool unmap_all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	uint64_t pgmask = vfio_pgsize(iommu) - 1, iova = unmap->iova, size = unmap->size;
	uint64_t unmapped = 0;
	struct vfio_dma *dma, *dma_last = NULL;
	unsigned retries = 0;
	int ret = -EBUSY;

	/* "Cannot update vaddr if mdev is present" */
	if ((unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR) && iommu->emulated_groups->len)
		goto out;
	ret = -EINVAL;
	if (iova & pgmask)
		goto out;
	if (unmap_all) {
		if (iova || size)
			goto out;      /* spec §C: ALL needs iova = size = 0 */
		size = UINT64_MAX;
	} else if (!size || (size & pgmask) || iova + size - 1 < iova) {
		goto out;
	}
	/* with the bitmap: tracking on, at the smallest page size */
	if (bitmap && (!iommu->dirty_page_tracking || bitmap->pgsize != pgmask + 1))
		goto out;
again:
	/* spec §C v2: a range that cuts a mapping -> EINVAL */
	ret = -EINVAL;
	if (iommu->v2 && !unmap_all) {
		dma = vfio_find_dma(iommu, iova, 1);
		if (dma && dma->iova != iova)
			goto out;
		dma = vfio_find_dma(iommu, iova + size - 1, 0);
		if (dma && dma->iova + dma->size != iova + size)
			goto out;
	}
	ret = vfio_dma_unmap_walk(iommu, p, iova, unmap_all ? UINT64_MAX : iova + size - 1,
				  unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR, bitmap, &unmapped,
				  &dma_last, &retries);
	if (ret == VFIO_UNMAP_AGAIN)
		goto again;
out:
	unmap->size = unmapped;
	return ret;
}

long vfio_iommu_type1_unmap_dma(struct vfio_iommu *iommu, struct sim_proc *p,
				unsigned long arg)
{
	uint32_t mask = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_VADDR |
			VFIO_DMA_UNMAP_FLAG_ALL;
	size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_bitmap bitmap;
	uint64_t req_iova, req_size;
	int ret;

	if (sim_copy_from_user(p, &unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || (unmap.flags & ~mask))
		return -EINVAL;
	if ((unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
	    (unmap.flags & (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)))
		return -EINVAL;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		if (unmap.argsz < minsz + sizeof(bitmap))
			return -EINVAL;
		if (sim_copy_from_user(p, &bitmap, arg + minsz, sizeof(bitmap)))
			return -EFAULT;
		if (!access_ok((uint64_t)(uintptr_t)bitmap.data, bitmap.size))
			return -EINVAL;
		if (verify_bitmap_size(unmap.size >> ffs64(bitmap.pgsize), bitmap.size))
			return -EINVAL;
	}
	req_iova = unmap.iova;
	req_size = unmap.size;
	ret = vfio_dma_do_unmap(iommu, p, &unmap,
				unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP ? &bitmap : NULL);
	SIM_TRACE(p->w, vfio_dma_unmap, (unsigned long long)req_iova,
		  (unsigned long long)req_size, unmap.flags, (unsigned long long)unmap.size, ret);
	if (ret)
		return ret;
	return sim_copy_to_user(p, arg, &unmap, minsz) ? -EFAULT : 0;
}

/* ---- the kernel-internal side: vfio_pin_pages, vfio_dma_rw (mdev.c) ---- */

/* The task that made @dma, if its mm still has users (mmget_not_zero). */
static struct sim_proc *dma_task(struct vfio_iommu *iommu, struct vfio_dma *dma)
{
	struct sim_proc *t = sim_proc_find(iommu->vfio->w, dma->pid);

	return sim_mm_alive(dma->mm) && t && t->mm == dma->mm ? t : NULL;
}

/*
 * vfio_pin_page_external: pin the page at @vaddr in the mapping task's mm
 * (ENODEV once it has exited; EFAULT when the page cannot be had with the
 * mapping's protection) and, when no IOMMU domain has it charged already,
 * charge it against that task's RLIMIT_MEMLOCK (ENOMEM).
 */
static int vfio_pin_page_external(struct vfio_iommu *iommu, struct vfio_dma *dma,
				  uint64_t vaddr, bool do_accounting, uint64_t *hpa)
{
	struct sim_proc *t = dma_task(iommu, dma);
	int ret;

	if (!t)
		return -ENODEV;
	ret = sim_mm_pin(dma->mm, vaddr, (dma->prot & IOMMU_WRITE) != 0, hpa);
	if (ret || !do_accounting)
		return ret;
	if (!dma->lock_cap && t->rlimit_memlock != SIM_RLIM_INFINITY &&
	    dma->mm->locked_vm + 1 > t->rlimit_memlock >> SIM_PAGE_SHIFT) {
		sim_mm_unpin_page(dma->mm, *hpa);
		return -ENOMEM;
	}
	dma->mm->locked_vm++;
	return 0;
}

static gint u64_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	(void)unused;
	return x < y ? -1 : x > y;
}

/* Undo the first @n pages of a vfio_iommu_type1_pin_pages call. */
static void vfio_unpin_external_n(struct vfio_iommu *iommu, uint64_t iova, int n,
				  bool do_accounting)
{
	for (int j = 0; j < n; j++) {
		uint64_t at = iova + (uint64_t)j * SIM_PAGE_SIZE;
		struct vfio_dma *dma = vfio_find_dma(iommu, at, SIM_PAGE_SIZE);
		struct vfio_pfn *vpfn = dma ? vfio_find_vpfn(dma, at) : NULL;

		if (vpfn)
			vfio_put_vpfn(dma, vpfn, do_accounting);
	}
}

/* The group's type1 record declares pinned-page dirty scope. */
static void vfio_promote_pinned_scope(struct vfio_iommu *iommu, struct iommu_group *ig)
{
	if (g_ptr_array_find(iommu->emulated_groups, ig, NULL) ||
	    g_ptr_array_find(iommu->pinned_groups, ig, NULL))
		return;
	g_ptr_array_add(iommu->pinned_groups, ig);
	iommu->num_non_pinned_groups--;
}

/*
 * vfio_iommu_type1_pin_pages, in the kernel's order: a v1 container ->
 * EACCES; a vaddr invalidated (UPDATE_VADDR) -> EBUSY; no device that can
 * be told to unpin -> EINVAL; then per page: no mapping -> EINVAL, the
 * mapping lacks @prot -> EPERM, pinned before -> one more reference, else
 * pinned (and, with no IOMMU domain, charged) and marked dirty while
 * tracking.  A failure unpins this call's pages.  Returns @npage.
 */
int vfio_iommu_type1_pin_pages(struct vfio_iommu *iommu, struct iommu_group *ig,
			       uint64_t user_iova, int npage, unsigned prot, uint64_t *hpas)
{
	bool do_accounting = !iommu->domains->len;
	int i, ret = 0;

	if (!iommu->v2)
		return -EACCES;
	if (iommu->vaddr_invalid_count)
		return -EBUSY;           /* WARN_ONCE "not allowed with VFIO_UPDATE_VADDR" */
	if (!iommu->device_list->len)
		return -EINVAL;
	for (i = 0; i < npage; i++) {
		uint64_t iova = user_iova + (uint64_t)i * SIM_PAGE_SIZE;
		struct vfio_dma *dma = vfio_find_dma(iommu, iova, SIM_PAGE_SIZE);
		struct vfio_pfn *vpfn;
		uint64_t hpa;

		if (!dma) {
			ret = -EINVAL;
			break;
		}
		if ((dma->prot & prot) != prot) {
			ret = -EPERM;
			break;
		}
		if ((vpfn = vfio_find_vpfn(dma, iova))) {
			vpfn->ref_count++;
			hpas[i] = vpfn->hpa;
			continue;
		}
		ret = vfio_pin_page_external(iommu, dma, dma->vaddr + (iova - dma->iova),
					     do_accounting, &hpa);
		if (ret)
			break;
		if (!dma->pfn_list)
			dma->pfn_list = g_tree_new_full(u64_cmp, NULL, NULL, g_free);
		vpfn = g_new0(struct vfio_pfn, 1);
		vpfn->iova = iova;
		vpfn->hpa = hpa;
		vpfn->ref_count = 1;
		g_tree_insert(dma->pfn_list, &vpfn->iova, vpfn);
		hpas[i] = hpa;
		vfio_dma_mark_dirty(iommu, dma, iova - dma->iova, SIM_PAGE_SIZE);
	}
	if (ret) {
		vfio_unpin_external_n(iommu, user_iova, i, do_accounting);
		return ret;
	}
	vfio_promote_pinned_scope(iommu, ig);
	return npage;
}

/* vfio_iommu_type1_unpin_pages: one reference of each page; stops at the
 * first iova without a mapping (the kernel WARNs). */
void vfio_iommu_type1_unpin_pages(struct vfio_iommu *iommu, uint64_t user_iova, int npage)
{
	bool do_accounting = !iommu->domains->len;

	if (!iommu->v2)
		return;
	for (int i = 0; i < npage; i++) {
		uint64_t iova = user_iova + (uint64_t)i * SIM_PAGE_SIZE;
		struct vfio_dma *dma = vfio_find_dma(iommu, iova, SIM_PAGE_SIZE);
		struct vfio_pfn *vpfn;

		if (!dma)
			break;
		if ((vpfn = vfio_find_vpfn(dma, iova)))
			vfio_put_vpfn(dma, vpfn, do_accounting);
	}
}

/*
 * vfio_iommu_type1_dma_rw: copy through the mappings as a kernel thread
 * borrowing each mapping task's mm (kthread_use_mm), chunk by chunk: a
 * vaddr invalidated -> EBUSY; no mapping at an iova -> EINVAL; a write to a
 * mapping without WRITE, or any access to one without READ -> EPERM; its
 * task gone -> EPERM; the user page not there -> EFAULT.  A write marks
 * its pages dirty while tracking.  Chunks done before a failure stay done.
 */
int vfio_iommu_type1_dma_rw(struct vfio_iommu *iommu, uint64_t iova, void *buf, size_t count,
			    bool write)
{
	uint8_t *data = buf;

	if (iommu->vaddr_invalid_count)
		return -EBUSY;           /* WARN_ONCE "not allowed with VFIO_UPDATE_VADDR" */
	while (count > 0) {
		struct vfio_dma *dma = vfio_find_dma(iommu, iova, 1);
		uint64_t offset, n;
		int ret;

		if (!dma)
			return -EINVAL;
		if ((write && !(dma->prot & IOMMU_WRITE)) || !(dma->prot & IOMMU_READ))
			return -EPERM;
		if (!sim_mm_alive(dma->mm))
			return -EPERM;
		offset = iova - dma->iova;
		n = MIN((uint64_t)count, dma->size - offset);
		ret = write ? sim_mm_copy_to(dma->mm, dma->vaddr + offset, data, n)
			    : sim_mm_copy_from(dma->mm, data, dma->vaddr + offset, n);
		if (ret)
			return -EFAULT;
		if (write)
			vfio_dma_mark_dirty(iommu, dma, offset, n);
		count -= n;
		data += n;
		iova += n;
	}
	return 0;
}
