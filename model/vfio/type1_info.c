/* SPDX-License-Identifier: MIT */
/*
 * type1 GET_INFO and IOVA ranges (spec §C).
 *
 * GET_INFO: flags PGSIZES|CAPS, iova_pgsizes, then a capability chain in the
 * kernel's order: MIGRATION, DMA_AVAIL, IOVA_RANGE (omitted while the list
 * is empty, i.e. unrestricted).  A buffer too small for the chain gets
 * argsz set to the size needed, cap_offset 0, and returns 0.
 *
 * IOVA ranges: the intersection of the domains' apertures minus every
 * group's (non-relaxable) reserved regions, such as the x86 MSI window.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/vfio/vfio_private.h"
#include "iommusim/uapi/vfio_nesting.h"

/* The kernel's DIRTY_BITMAP_SIZE_MAX: INT_MAX pages, one bit each. */
#define DIRTY_BITMAP_SIZE_MAX (((uint64_t)0x7fffffff + 63) / 64 * 8)

/* ---- capability chains ---------------------------------------------------- */

long vfio_info_cap_add(struct vfio_info_cap *caps, size_t size, uint16_t id,
		       uint16_t version)
{
	struct vfio_info_cap_header hdr = { .id = id, .version = version };
	size_t off, tail;

	if (!caps->buf)
		caps->buf = g_byte_array_new();
	if (!caps->unaligned)
		size = (size + 7) & ~(size_t)7;   /* the next one stays aligned */
	off = caps->buf->len;
	g_byte_array_set_size(caps->buf, (guint)(off + size));
	memset(caps->buf->data + off, 0, size);
	memcpy(caps->buf->data + off, &hdr, sizeof(hdr));
	/* link it at the end of the chain (the first one links to itself: 0) */
	for (tail = 0;;) {
		struct vfio_info_cap_header *t = (void *)(caps->buf->data + tail);

		if (!t->next || tail == off) {
			t->next = (uint32_t)off;
			break;
		}
		tail = t->next;
	}
	return (long)off;
}

void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset)
{
	struct vfio_info_cap_header *t;
	size_t pos = 0;

	for (;;) {
		t = (void *)(caps->buf->data + pos);
		if (!t->next)
			break;
		pos = t->next;
		t->next += (uint32_t)offset;
	}
}

/* ---- IOVA ranges ------------------------------------------------------------ */

/* Cut [start, end] out of every range in @list. */
static void iova_exclude(GArray *list, uint64_t start, uint64_t end)
{
	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(struct vfio_iova_range),
					list->len + 1);

	for (guint i = 0; i < list->len; i++) {
		struct vfio_iova_range r = g_array_index(list, struct vfio_iova_range, i);
		struct vfio_iova_range lo = { r.start, start - 1 }, hi = { end + 1, r.end };

		if (end < r.start || start > r.end) {
			g_array_append_val(out, r);
			continue;
		}
		if (start > r.start)
			g_array_append_val(out, lo);
		if (end < r.end)
			g_array_append_val(out, hi);
	}
	g_array_set_size(list, 0);
	g_array_append_vals(list, out->data, out->len);
	g_array_free(out, TRUE);
}

static void exclude_group(struct vfio_iommu *iommu, GArray *list, struct iommu_group *ig)
{
	struct iommu_resv_region resv[16];
	size_t n = iommu_get_resv_regions(iommu->vfio->w, ig, resv, G_N_ELEMENTS(resv));

	for (size_t i = 0; i < n && i < G_N_ELEMENTS(resv); i++)
		iova_exclude(list, resv[i].start, resv[i].end);
}

int vfio_iommu_compute_iovas(struct vfio_iommu *iommu, struct iommu_domain *extra_domain,
			     struct iommu_group *extra_group, struct iommu_group *skip_group,
			     GArray **out)
{
	GArray *list = g_array_new(FALSE, FALSE, sizeof(struct vfio_iova_range));
	struct vfio_iova_range all = { 0, UINT64_MAX };

	if (!iommu->domains->len && !extra_domain) {
		*out = list;          /* no domain: unrestricted */
		return 0;
	}
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		all.start = MAX(all.start, d->domain->aperture_start);
		all.end = MIN(all.end, d->domain->aperture_end);
	}
	if (extra_domain) {
		all.start = MAX(all.start, extra_domain->aperture_start);
		all.end = MIN(all.end, extra_domain->aperture_end);
	}
	if (all.start <= all.end)
		g_array_append_val(list, all);
	for (guint i = 0; i < iommu->domains->len; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		for (guint j = 0; j < d->groups->len; j++)
			if (g_ptr_array_index(d->groups, j) != skip_group)
				exclude_group(iommu, list, g_ptr_array_index(d->groups, j));
	}
	if (extra_group)
		exclude_group(iommu, list, extra_group);
	if (!list->len) {
		g_array_free(list, TRUE);
		return -EINVAL;       /* spec §C: an attach leaving no range */
	}
	*out = list;
	return 0;
}

bool vfio_iommu_iova_dma_valid(struct vfio_iommu *iommu, uint64_t start, uint64_t last)
{
	if (!iommu->iova_list->len)
		return true;          /* spec §C: empty = unrestricted */
	for (guint i = 0; i < iommu->iova_list->len; i++) {
		struct vfio_iova_range *r = &g_array_index(iommu->iova_list,
							   struct vfio_iova_range, i);
		if (r->start <= start && last <= r->end)
			return true;
	}
	return false;
}

/* ---- GET_INFO -------------------------------------------------------------- */

/* The 2020 series' VFIO_IOMMU_TYPE1_INFO_CAP_NESTING on a nesting
 * container (vfio_iommu_info_add_nesting_cap): PASID requests, and the
 * stage-1 formats its domains take (VT-d's PASID-entry format; 0 with no
 * domain, or on an IOMMU of another kind).  Added after DMA_AVAIL. */
static int nesting_cap(struct vfio_iommu *iommu, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_nesting cap = { 0 };
	const struct iommu_hw_config *hc = iommu_hw_config(iommu->vfio->w);
	long off;

	if (iommu->vfio->params.nesting_abi != VFIO_NESTING_GUEST_PGTBL_2020 || !iommu->nesting)
		return 0;
	off = vfio_info_cap_add(caps, sizeof(cap), VFIO_IOMMU_TYPE1_INFO_CAP_NESTING, 1);
	cap.header = *(struct vfio_info_cap_header *)(caps->buf->data + off);
	cap.nesting_capabilities = VFIO_IOMMU_PASID_REQS;
	if (iommu->domains->len && hc && hc->kind == IOMMU_HW_VTD)
		cap.stage1_formats = 1u << IOMMU_PASID_FORMAT_INTEL_VTD;
	memcpy(caps->buf->data + off, &cap, sizeof(cap));
	return 0;
}

static int build_caps(struct vfio_iommu *iommu, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_migration mig = { 0 };
	struct vfio_iommu_type1_info_dma_avail avail = { 0 };
	size_t nr = iommu->iova_list->len;
	long off;

	if (sim_should_fail(iommu->vfio->w, "vfio_info_caps_alloc"))
		return -ENOMEM;
	caps->unaligned = sim_kernel_before(iommu->vfio->w, 6, 6);
	off = vfio_info_cap_add(caps, sizeof(mig), VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1);
	mig.header = *(struct vfio_info_cap_header *)(caps->buf->data + off);
	mig.flags = 0;
	mig.pgsize_bitmap = vfio_pgsize(iommu);
	mig.max_dirty_bitmap_size = DIRTY_BITMAP_SIZE_MAX;
	memcpy(caps->buf->data + off, &mig, sizeof(mig));
	off = vfio_info_cap_add(caps, sizeof(avail), VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1);
	avail.header = *(struct vfio_info_cap_header *)(caps->buf->data + off);
	avail.avail = iommu->dma_avail;
	memcpy(caps->buf->data + off, &avail, sizeof(avail));
	if (nesting_cap(iommu, caps))
		return 0;
	if (!nr)
		return 0;             /* no list: no IOVA_RANGE capability */
	off = vfio_info_cap_add(caps, sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
				nr * sizeof(struct vfio_iova_range),
				VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	{
		/* byte copies: in 6.1's unaligned chain the capability may
		 * start at a 4-byte boundary only */
		uint32_t nr32 = (uint32_t)nr;

		memcpy(caps->buf->data + off +
		       offsetof(struct vfio_iommu_type1_info_cap_iova_range, nr_iovas),
		       &nr32, sizeof(nr32));
		memcpy(caps->buf->data + off +
		       offsetof(struct vfio_iommu_type1_info_cap_iova_range, iova_ranges),
		       iommu->iova_list->data, nr * sizeof(struct vfio_iova_range));
	}
	return 0;
}

/* spec §C GET_INFO with its argsz protocol. */
long vfio_iommu_type1_get_info(struct vfio_iommu *iommu, struct sim_proc *p,
			       unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info;
	struct vfio_info_cap caps = { 0 };
	int ret;

	memset(&info, 0, sizeof(info));
	if ((ret = vfio_copy_argsz_in(p, arg, &info, minsz)))
		return ret;
	minsz = MIN((size_t)info.argsz, sizeof(info));
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = iommu->pgsize_bitmap;
	ret = build_caps(iommu, &caps);
	if (ret)
		goto out;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (info.argsz < sizeof(info) + caps.buf->len) {
		info.argsz = (uint32_t)(sizeof(info) + caps.buf->len);
	} else {
		vfio_info_cap_shift(&caps, sizeof(info));
		ret = sim_copy_to_user(p, arg + sizeof(info), caps.buf->data, caps.buf->len);
		if (ret)
			goto out;
		info.cap_offset = sizeof(info);
	}
	ret = sim_copy_to_user(p, arg, &info, minsz);
out:
	if (caps.buf)
		g_byte_array_free(caps.buf, TRUE);
	return ret;
}
