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
static long set_iommu(struct iommufd_ctx *ictx, unsigned long type)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

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
		case VFIO_DMA_CC_IOMMU:
			/* no HWPT of the model refuses coherency yet */
			return ictx->vfio_ioas ? 1 : -ENODEV;
		default:
			return 0;
		}
	case VFIO_SET_IOMMU:
		return set_iommu(ictx, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(ictx, p, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(ictx, p, arg);
	case VFIO_IOMMU_GET_INFO:
		/* the info and its IOVA-range capability come with the compat
		 * container backend; without an IOAS it is ENODEV already */
		return ictx->vfio_ioas ? -ENOTTY : -ENODEV;
	default:
		return -ENOTTY;
	}
}
