/* SPDX-License-Identifier: MIT */
/*
 * The IOAS object and its ioctls (drivers/iommu/iommufd/ioas.c), each
 * handler checking in the kernel's order (spec §G4; docs/oracle.md,
 * "IOAS_MAP" ... "OPTION").
 */
#include <errno.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/pgtable.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"

static void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = (struct iommufd_ioas *)obj;

	if (ioas->obj.ictx->vfio_ioas == ioas)
		ioas->obj.ictx->vfio_ioas = NULL;
	iopt_destroy_table(&ioas->iopt);
	g_ptr_array_free(ioas->hwpt_list, TRUE);
	g_free(ioas);
}

struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;

	if (sim_should_fail(ictx->w, "iommufd_ioas_alloc"))
		return NULL;
	ioas = g_new0(struct iommufd_ioas, 1);
	if (iommufd_object_alloc(ictx, &ioas->obj, IOMMUFD_OBJ_IOAS, iommufd_ioas_destroy)) {
		g_free(ioas);
		return NULL;
	}
	iopt_init_table(&ioas->iopt, ictx->w);
	ioas->hwpt_list = g_ptr_array_new();
	return ioas;
}

static struct iommufd_ioas *get_ioas(struct iommufd_ctx *ictx, uint32_t id)
{
	return (struct iommufd_ioas *)iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS);
}

/* iommufd_ioas_alloc_ioctl */
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	ioas = iommufd_ioas_alloc(ucmd->ictx);
	if (!ioas)
		return -ENOMEM;
	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort(&ioas->obj);
		return rc;
	}
	iommufd_object_finalize(&ioas->obj);
	return 0;
}

/* iommufd_ioas_iova_ranges: the holes of the reserved ranges; too few
 * slots is EMSGSIZE with the answer written all the same. */
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	uint32_t max_iovas = cmd->num_iovas;
	GArray *ranges;
	int rc = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	ranges = g_array_new(FALSE, FALSE, sizeof(struct iopt_range));
	iopt_usable_ranges(&ioas->iopt, ranges);
	cmd->num_iovas = 0;
	for (unsigned i = 0; i < ranges->len; i++) {
		const struct iopt_range *r = &g_array_index(ranges, struct iopt_range, i);
		struct iommu_iova_range elm = { .start = r->start, .last = r->last };

		if (cmd->num_iovas < max_iovas &&
		    sim_copy_to_user(ucmd->p, cmd->allowed_iovas + cmd->num_iovas * sizeof(elm),
				     &elm, sizeof(elm))) {
			rc = -EFAULT;
			goto out;
		}
		cmd->num_iovas++;
	}
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && cmd->num_iovas > max_iovas)
		rc = -EMSGSIZE;
out:
	g_array_free(ranges, TRUE);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* iommufd_ioas_load_iovas: each range read (EFAULT), start < last, none
 * overlapping another (EINVAL); sorted into @out. */
static int load_iovas(struct sim_proc *p, uint64_t uptr, uint32_t num, GArray *out)
{
	for (uint32_t i = 0; i < num; i++) {
		struct iommu_iova_range r;
		unsigned at = 0;

		if (sim_copy_from_user(p, &r, uptr + (uint64_t)i * sizeof(r), sizeof(r)))
			return -EFAULT;
		if (r.start >= r.last)
			return -EINVAL;
		for (unsigned j = 0; j < out->len; j++) {
			const struct iopt_range *x = &g_array_index(out, struct iopt_range, j);

			if (x->start <= r.last && r.start <= x->last)
				return -EINVAL;
			if (x->start < r.start)
				at = j + 1;
		}
		if (sim_should_fail(p->w, "iommufd_allowed_alloc"))
			return -ENOMEM;
		g_array_insert_val(out, at, ((struct iopt_range){ r.start, r.last, NULL }));
	}
	return 0;
}

/* iommufd_ioas_allow_iovas */
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	GArray *list;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	list = g_array_new(FALSE, FALSE, sizeof(struct iopt_range));
	rc = load_iovas(ucmd->p, cmd->allowed_iovas, cmd->num_iovas, list);
	if (!rc)
		rc = iopt_set_allow_iova(&ioas->iopt, list);
	g_array_free(list, TRUE);
	iommufd_put_object(&ioas->obj);
	return rc;
}

#define MAP_FLAGS (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | \
		   IOMMU_IOAS_MAP_READABLE)

static unsigned conv_prot(uint32_t flags)
{
	/* IOMMU_CACHE too in the kernel: every simulated DMA is coherent */
	return (flags & IOMMU_IOAS_MAP_WRITEABLE ? IOMMU_WRITE : 0) |
	       (flags & IOMMU_IOAS_MAP_READABLE ? IOMMU_READ : 0);
}

/* iommufd_ioas_map */
int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	unsigned flags = 0;
	uint64_t iova = cmd->iova;
	int rc;

	if ((cmd->flags & ~MAP_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	ioas = get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;
	rc = iopt_map_user_pages(ucmd->ictx, &ioas->iopt, ucmd->p, &iova, cmd->user_va,
				 cmd->length, conv_prot(cmd->flags), flags);
	SIM_TRACE(ucmd->ictx->w, iommufd_map, ioas->obj.id, (unsigned long long)iova,
		  (unsigned long long)cmd->length, (unsigned long long)cmd->user_va, rc);
	if (!rc) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* iommufd_ioas_copy */
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct iommufd_ioas *src, *dst;
	unsigned flags = 0;
	uint64_t iova = cmd->dst_iova;
	GArray *list;
	int rc;

	/* CONFIG_IOMMUFD_TEST: the selftest's syzkaller bit (1 << 16) is taken
	 * out here, before the flags are checked (selftest.c) */
	iommufd_test_syz_conv_iova_id(ucmd, cmd->src_ioas_id, &cmd->src_iova, &cmd->flags);
	if (cmd->flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length >= UINT64_MAX || cmd->src_iova >= UINT64_MAX ||
	    cmd->dst_iova >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;
	src = get_ioas(ucmd->ictx, cmd->src_ioas_id);
	if (!src)
		return -ENOENT;
	list = g_array_new(FALSE, FALSE, sizeof(struct iopt_pages_elm));
	rc = iopt_get_pages(&src->iopt, cmd->src_iova, cmd->length, list);
	iommufd_put_object(&src->obj);
	if (rc)
		goto out;
	dst = get_ioas(ucmd->ictx, cmd->dst_ioas_id);
	if (!dst) {
		rc = -ENOENT;
		goto out;
	}
	rc = iopt_map_pages(&dst->iopt, list, cmd->length, &iova, conv_prot(cmd->flags), flags);
	iommufd_put_object(&dst->obj);
	if (!rc) {
		cmd->dst_iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
out:
	iopt_free_pages_list(list);
	g_array_free(list, TRUE);
	return rc;
}

/* iommufd_ioas_unmap: (0, U64_MAX) is everything; otherwise whole areas
 * only, the walk not undone when it fails half way. */
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	uint64_t unmapped = 0;
	int rc;

	ioas = get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX) {
		rc = -EOVERFLOW;
	} else {
		rc = iopt_unmap_iova(&ioas->iopt, cmd->iova, cmd->length, &unmapped);
	}
	SIM_TRACE(ucmd->ictx->w, iommufd_unmap, ioas->obj.id, (unsigned long long)cmd->iova,
		  (unsigned long long)cmd->length, (unsigned long long)unmapped, rc);
	if (!rc) {
		cmd->length = unmapped;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* iommufd_ioas_option: HUGE_PAGES of one IOAS, looked up before the op */
int iommufd_ioas_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = get_ioas(ucmd->ictx, cmd->object_id);
	if (!ioas)
		return -ENOENT;
	if (cmd->op == IOMMU_OPTION_OP_SET) {
		if (cmd->val64 == 0)
			rc = iopt_disable_large_pages(&ioas->iopt);
		else if (cmd->val64 == 1)
			iopt_enable_large_pages(&ioas->iopt);
		else
			rc = -EINVAL;
	} else if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = !ioas->iopt.disable_large_pages;
	} else {
		rc = -EOPNOTSUPP;
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}
