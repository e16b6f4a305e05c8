/* SPDX-License-Identifier: MIT */
/*
 * The VFIO container ioctls on an iommufd (drivers/iommu/iommufd/
 * vfio_compat.c): the compatibility IOAS (IOMMU_VFIO_IOAS), and
 * GET_API_VERSION, CHECK_EXTENSION, SET_IOMMU, MAP_DMA and UNMAP_DMA over
 * it, with iommufd's documented differences from type1 (spec §G6): MAP
 * with no access flag is accepted, VADDR is EINVAL, unmapping an empty
 * range or part of a mapping is ENOENT.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <linux/vfio.h>

#include "sim/proc.h"
#include "sim/mm.h"
#include "model/iommu/pgtable.h"
#include "sim/mem.h"
#include "model/iommu/domain.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"

/* The start of both VFIO map ioctls: the first @minsz bytes (EFAULT), an
 * argsz that covers them, and no flag outside @flags (EINVAL). */
static int copy_argsz_in(struct sim_proc *p, unsigned long arg, void *st, size_t minsz,
			 uint32_t flags)
{
	uint32_t hdr[2];   /* argsz, flags: both structs begin so */

	if (sim_copy_from_user(p, st, arg, minsz))
		return -EFAULT;
	memcpy(hdr, st, sizeof(hdr));
	return hdr[0] < minsz || (hdr[1] & ~flags) ? -EINVAL : 0;
}

/* iommufd_vfio_ioas */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		if (!ictx->vfio_ioas)
			return -ENODEV;
		cmd->ioas_id = ictx->vfio_ioas->obj.id;
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = (struct iommufd_ioas *)iommufd_get_object(ictx, cmd->ioas_id,
								 IOMMUFD_OBJ_IOAS);
		if (!ioas)
			return -ENOENT;
		ictx->vfio_ioas = ioas;
		iommufd_put_object(&ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		ictx->vfio_ioas = NULL;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* get_compat_ioas: a reference on the compat IOAS, NULL (ENODEV) without one */
static struct iommufd_ioas *get_compat_ioas(struct iommufd_ctx *ictx)
{
	if (!ictx->vfio_ioas)
		return NULL;
	return (struct iommufd_ioas *)iommufd_get_object(ictx, ictx->vfio_ioas->obj.id,
							 IOMMUFD_OBJ_IOAS);
}

/* iommufd_vfio_set_iommu: TYPE1 (v1) cannot have large pages, since v1
 * lets a mapping be cut */
static long set_iommu(struct iommufd_ctx *ictx, struct sim_proc *p, unsigned long type)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	/* the no-IOMMU emulation (CONFIG_VFIO_NOIOMMU, built in as Debian
	 * builds it): allowed with CAP_SYS_RAWIO, and nothing to set up */
	if (type == VFIO_NOIOMMU_IOMMU)
		return sim_proc_capable(p, SIM_CAP_SYS_RAWIO) ? 0 : -EPERM;
	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_disable_large_pages(&ioas->iopt);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* iommufd_vfio_map_dma */
static long map_dma(struct iommufd_ctx *ictx, struct sim_proc *p, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct iommufd_ioas *ioas;
	unsigned prot = 0;
	uint64_t iova;
	int rc;

	rc = copy_argsz_in(p, arg, &map, minsz, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if (rc)
		return rc;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	iova = map.iova;
	rc = iopt_map_user_pages(ictx, &ioas->iopt, p, &iova, map.vaddr, map.size, prot, 0);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* iommufd_vfio_unmap_dma: under TYPE1 (large pages off) the range's ends
 * are cut first, so v1's partial unmaps work */
static long unmap_dma(struct iommufd_ctx *ictx, struct sim_proc *p, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	struct iommufd_ioas *ioas;
	uint64_t unmapped = 0;
	int rc;

	rc = copy_argsz_in(p, arg, &unmap, minsz, VFIO_DMA_UNMAP_FLAG_ALL);
	if (rc)
		return rc;
	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		rc = unmap.iova || unmap.size ? -EINVAL : iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		rc = 0;
		if (ioas->iopt.disable_large_pages) {
			uint64_t cuts[2] = { unmap.iova + unmap.size - 1, unmap.iova - 1 };

			rc = iopt_cut_iova(&ioas->iopt, cuts, unmap.iova ? 2 : 1);
		}
		if (!rc)
			rc = iopt_unmap_iova(&ioas->iopt, unmap.iova, unmap.size, &unmapped);
	}
	iommufd_put_object(&ioas->obj);
	if (rc)
		return rc;
	unmap.size = unmapped;
	return sim_copy_to_user(p, arg, &unmap, minsz) ? -EFAULT : 0;
}

/* iommufd_vfio_cc_iommu: 1 when every HWPT of the compat IOAS enforces
 * cache coherency */
static long cc_iommu(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = get_compat_ioas(ictx);
	long rc = 1;

	if (!ioas)
		return -ENODEV;
	for (unsigned i = 0; i < ioas->hwpt_list->len; i++)
		if (!((struct iommufd_hw_pagetable *)g_ptr_array_index(ioas->hwpt_list, i))
			     ->enforce_cache_coherency)
			rc = 0;
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* iommufd_get_pagesizes: what every domain of the IOAS maps, PAGE_SIZE
 * at least (vfio_update_pgsize_bitmap's rule), and the IOAS's alignment */
static uint64_t compat_pagesizes(const struct iommufd_ioas *ioas)
{
	uint64_t bitmap = UINT64_MAX;

	for (unsigned i = 0; i < ioas->iopt.domains->len; i++)
		bitmap &= ((struct iommu_domain *)g_ptr_array_index(ioas->iopt.domains, i))
				  ->pgsize_bitmap;
	if (bitmap & (SIM_PAGE_SIZE - 1)) {
		bitmap &= ~(uint64_t)(SIM_PAGE_SIZE - 1);
		bitmap |= SIM_PAGE_SIZE;
	}
	return bitmap > ioas->iopt.iova_alignment ? bitmap : ioas->iopt.iova_alignment;
}

/* iommufd_fill_cap_dma_avail: iommufd's limit is the memory cgroup's, not
 * a count; it says U32_MAX (s390's QEMU reads the value and needs more
 * than VFIO's 65535) */
static long cap_dma_avail(struct sim_proc *p, uint64_t at, uint64_t avail)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, .version = 1 },
		.avail = UINT32_MAX,
	};

	if (avail >= sizeof(cap) && sim_copy_to_user(p, at, &cap, sizeof(cap)))
		return -EFAULT;
	return sizeof(cap);
}

/* iommufd_fill_cap_iova: the holes of the reserved ranges, each written
 * only when the whole capability up to it fits */
static long cap_iova(struct iommufd_ioas *ioas, struct sim_proc *p, uint64_t at, uint64_t avail)
{
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1 },
	};
	GArray *holes = g_array_new(FALSE, FALSE, sizeof(struct iopt_range));
	long rc;

	iopt_usable_ranges(&ioas->iopt, holes);
	for (unsigned i = 0; i < holes->len; i++) {
		const struct iopt_range *r = &g_array_index(holes, struct iopt_range, i);
		struct vfio_iova_range range = { .start = r->start, .end = r->last };
		uint64_t need = sizeof(cap) + (cap.nr_iovas + 1) * sizeof(range);

		if (avail >= need &&
		    sim_copy_to_user(p, at + sizeof(cap) + cap.nr_iovas * sizeof(range), &range,
				     sizeof(range))) {
			g_array_free(holes, TRUE);
			return -EFAULT;
		}
		cap.nr_iovas++;
	}
	g_array_free(holes, TRUE);
	rc = (long)(sizeof(cap) + cap.nr_iovas * sizeof(struct vfio_iova_range));
	if (avail >= (uint64_t)rc && sim_copy_to_user(p, at, &cap, sizeof(cap)))
		return -EFAULT;
	return rc;
}

/*
 * iommufd_vfio_iommu_get_info: PGSIZES and CAPS, the capabilities DMA_AVAIL
 * then IOVA_RANGE (no MIGRATION: iommufd does no dirty tracking for the
 * container, §G6), each written where it fits, chained by next, argsz
 * answering what all of them need; cap_offset only when they all fit.
 */
static long get_info(struct iommufd_ctx *ictx, struct sim_proc *p, unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info = { 0 };
	struct iommufd_ioas *ioas;
	uint64_t total = sizeof(info), last_cap = 0;
	long rc = 0;

	if (sim_copy_from_user(p, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = compat_pagesizes(ioas);
	info.cap_offset = 0;
	for (int i = 0; i < 2; i++) {
		uint64_t avail = info.argsz > total ? info.argsz - total : 0;
		uint64_t at = avail ? arg + total : 0;
		long size = i == 0 ? cap_dma_avail(p, at, avail) : cap_iova(ioas, p, at, avail);

		if (size < 0) {
			rc = size;
			goto out;
		}
		size = (size + 7) & ~7l;
		if (last_cap && info.argsz >= total) {
			uint32_t next = (uint32_t)total;

			if (sim_copy_to_user(p, last_cap + offsetof(struct vfio_info_cap_header, next),
					     &next, sizeof(next))) {
				rc = -EFAULT;
				goto out;
			}
		}
		last_cap = arg + total;
		total += (uint64_t)size;
	}
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = (uint32_t)total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (sim_copy_to_user(p, arg, &info, minsz))
		rc = -EFAULT;
out:
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* iommufd_vfio_ioctl: ENOIOCTLCMD (ENOTTY) for the rest (DIRTY_PAGES ...) */
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, struct sim_proc *p, unsigned int cmd,
			unsigned long arg)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		switch (arg) {
		case VFIO_TYPE1_IOMMU:
		case VFIO_TYPE1v2_IOMMU:
		case VFIO_UNMAP_ALL:
			return 1;
		case VFIO_NOIOMMU_IOMMU:
			return 1;   /* IS_ENABLED(CONFIG_VFIO_NOIOMMU) */
		case VFIO_DMA_CC_IOMMU:
			return cc_iommu(ictx);
		default:
			return 0;
		}
	case VFIO_SET_IOMMU:
		return set_iommu(ictx, p, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(ictx, p, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(ictx, p, arg);
	case VFIO_IOMMU_GET_INFO:
		return get_info(ictx, p, arg);
	default:
		return -ENOTTY;
	}
}

/* ---- the VFIO group path ---- */

int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, uint32_t *id)
{
	struct iommufd_ioas *ioas = get_compat_ioas(ictx);

	if (!ioas)
		return -ENODEV;
	*id = ioas->obj.id;
	iommufd_put_object(&ioas->obj);
	return 0;
}

/* iommufd_vfio_compat_ioas_create: an IOAS is allocated first and given
 * back when one exists already (the id is not kept); the new one counts as
 * a user's object (DESTROY may remove it; release does). */
int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = iommufd_ioas_alloc(ictx);

	if (!ioas)
		return -ENOMEM;
	if (ictx->vfio_ioas) {
		iommufd_object_abort(&ioas->obj);
		return 0;
	}
	/* VFIO will not have one context do both IOMMU and no-IOMMU work */
	if (ictx->no_iommu_mode) {
		iommufd_object_abort(&ioas->obj);
		return -EINVAL;
	}
	ictx->vfio_ioas = ioas;
	iommufd_object_finalize(&ioas->obj);
	return 0;
}

/* iommufd_vfio_compat_set_no_iommu: a no-IOMMU group set on the context,
 * which must not have a compat IOAS (EINVAL) */
int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx)
{
	if (ictx->vfio_ioas)
		return -EINVAL;
	ictx->no_iommu_mode = true;
	return 0;
}
