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

/* Unmap [iova, iova + mapped) from every domain, unpin and uncharge every
 * pinned page. */
static void vfio_unmap_unpin(struct vfio_iommu *iommu, struct vfio_dma *dma, uint64_t mapped)
{
	for (guint i = 0; mapped && i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		iommu_unmap(d->domain, dma->iova, mapped);
	}
	for (uint64_t i = 0; i < dma->npages; i++)
		sim_mm_unpin_page(dma->mm, dma->pages[i]);
	dma->mm->locked_vm -= dma->npages;
	dma->npages = 0;
}

static void vfio_dma_free(struct vfio_dma *dma)
{
	sim_mm_put(dma->mm);
	g_free(dma->pages);
	g_free(dma);
}

void vfio_remove_dma(struct vfio_iommu *iommu, struct vfio_dma *dma)
{
	SIM_TRACE(iommu->vfio->w, vfio_dma_remove, (unsigned long long)dma->iova,
		  (unsigned long long)dma->size, (unsigned long long)dma->npages);
	vfio_unmap_unpin(iommu, dma, dma->size);
	g_tree_remove(iommu->dma_list, &dma->iova);
	if (dma->vaddr_invalid)
		iommu->vaddr_invalid_count--;
	vfio_dma_free(dma);
	iommu->dma_avail++;
}

/* Pin one page and charge it (spec §C: bad vaddr -> EFAULT, then
 * RLIMIT_MEMLOCK -> ENOMEM unless CAP_IPC_LOCK was held at map time). */
static int vfio_pin_one(struct sim_proc *p, struct vfio_dma *dma, uint64_t vaddr,
			uint64_t limit, uint64_t *hpa)
{
	struct sim_mm *mm = dma->mm;
	int ret = sim_mm_pin_page(p, vaddr, (dma->prot & IOMMU_WRITE) != 0, hpa);

	if (ret)
		return ret;
	if (!dma->lock_cap && mm->locked_vm + 1 > limit) {
		sim_mm_unpin_page(mm, *hpa);
		return -ENOMEM;
	}
	mm->locked_vm++;
	return 0;
}

/* Pin every page of the user buffer and map physically contiguous runs
 * into every domain; all or nothing. */
static int vfio_pin_map_dma(struct vfio_iommu *iommu, struct sim_proc *p,
			    struct vfio_dma *dma, uint64_t size)
{
	uint64_t npages = size / SIM_PAGE_SIZE, run = 0, mapped = 0, cap = 0, i;
	uint64_t limit = p->rlimit_memlock == SIM_RLIM_INFINITY ? UINT64_MAX
			 : p->rlimit_memlock >> SIM_PAGE_SHIFT;
	int ret = 0;

	if (sim_should_fail(iommu->vfio->w, "vfio_dma_pages_alloc"))
		return -ENOMEM;
	for (i = 0; i < npages && !ret; i++) {
		if (i == cap) {   /* grow as we pin: a bad vaddr fails early */
			cap = MIN(npages, MAX(cap * 2, 512));
			dma->pages = g_renew(uint64_t, dma->pages, cap);
		}
		ret = vfio_pin_one(p, dma, dma->vaddr + i * SIM_PAGE_SIZE, limit, &dma->pages[i]);
		if (ret)
			break;
		dma->npages++;
		if (i > run && dma->pages[i] != dma->pages[i - 1] + SIM_PAGE_SIZE) {
			ret = vfio_iommu_map_run(iommu, NULL, dma->iova + run * SIM_PAGE_SIZE,
						 dma->pages[run], (i - run) * SIM_PAGE_SIZE,
						 dma->prot);
			mapped = ret ? mapped : i * SIM_PAGE_SIZE;
			run = i;
		}
	}
	if (!ret && npages) {
		ret = vfio_iommu_map_run(iommu, NULL, dma->iova + run * SIM_PAGE_SIZE,
					 dma->pages[run], (npages - run) * SIM_PAGE_SIZE, dma->prot);
		mapped = ret ? mapped : size;
	}
	if (ret)
		vfio_unmap_unpin(iommu, dma, mapped);
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
	ret = vfio_pin_map_dma(iommu, p, dma, map->size);
	if (ret) {
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

/*
 * update_user_bitmap: OR @dma's dirty bits into the user's bitmap at @uva,
 * whose bit 0 is @base_iova.  Every page of a mapping is dirty: its groups
 * are IOMMU-backed and cannot report dirtiness (num_non_pinned_groups),
 * and the mapping is in their domains.  As the kernel does, the words from
 * the mapping's first bit to its last are written whole: the first keeps
 * the user's bits ORed in, bits beyond the mapping in the last are cleared.
 */
static int update_user_bitmap(struct sim_proc *p, uint64_t uva, struct vfio_dma *dma,
			      uint64_t base_iova, uint64_t pgsize)
{
	unsigned pgshift = ffs64(pgsize);
	uint64_t nbits = dma->size >> pgshift;
	uint64_t bit_offset = (dma->iova - base_iova) >> pgshift;
	uint64_t copy_offset = bit_offset / 64, shift = bit_offset % 64;
	uint64_t nwords = (nbits + shift + 63) / 64, leftover;
	uint64_t *words = g_new0(uint64_t, nwords);
	int ret = 0;

	for (uint64_t b = shift; b < shift + nbits; b++)
		words[b / 64] |= 1ull << (b % 64);
	if (shift) {
		if (sim_copy_from_user(p, &leftover, uva + copy_offset * 8, sizeof(leftover))) {
			ret = -EFAULT;
			goto out;
		}
		words[0] |= leftover;
	}
	if (sim_copy_to_user(p, uva + copy_offset * 8, words, nwords * 8))
		ret = -EFAULT;
out:
	g_free(words);
	return ret;
}

/* vfio_iova_dirty_bitmap: the range must not cut a mapping (EINVAL); every
 * mapping inside it reports its pages. */
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
		ret = update_user_bitmap(p, uva, dma, iova, pgsize);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * vfio_iommu_type1_dirty_pages, in the kernel's order: a v1 container ->
 * EACCES; a bad pointer -> EFAULT; argsz < minsz or an unknown flag ->
 * EINVAL; not exactly one flag -> EINVAL.  START and STOP always succeed
 * (tracking needs no hardware support: type1 counts every pinned page as
 * dirty).  GET_BITMAP: the range struct missing -> EINVAL; iova + size
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
		iommu->dirty_page_tracking = true;
		return 0;
	}
	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		iommu->dirty_page_tracking = false;
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
static int vfio_dma_unmap_walk(struct vfio_iommu *iommu, struct sim_proc *p,
			       uint64_t iova, uint64_t last, bool invalidate_vaddr,
			       const struct vfio_bitmap *bitmap, uint64_t *unmapped)
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
		if (bitmap) {
			int ret = update_user_bitmap(p, (uint64_t)(uintptr_t)bitmap->data, dma,
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
	struct vfio_dma *dma;
	int ret = -EINVAL;

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
	/* spec §C v2: a range that cuts a mapping -> EINVAL */
	if (iommu->v2 && !unmap_all) {
		dma = vfio_find_dma(iommu, iova, 1);
		if (dma && dma->iova != iova)
			goto out;
		dma = vfio_find_dma(iommu, iova + size - 1, 0);
		if (dma && dma->iova + dma->size != iova + size)
			goto out;
	}
	ret = vfio_dma_unmap_walk(iommu, p, iova, unmap_all ? UINT64_MAX : iova + size - 1,
				  unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR, bitmap, &unmapped);
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
