/* SPDX-License-Identifier: MIT */
/*
 * The test uAPI (drivers/iommu/iommufd/selftest.c, CONFIG_IOMMUFD_TEST;
 * the profile's `iommufd_test: true`, docs/iommufd.md "The test uAPI"):
 * IOMMU_TEST_CMD, the one command tools/testing/selftests/iommu drives
 * iommufd with, and the mock IOMMU behind it.
 *
 *   - The mock IOMMU sits on a bus of its own (iommufd_mock): MOCK_DOMAIN
 *     makes a mock device there with a group of its own
 *     (generic_device_group), binds it to the context like a VFIO driver
 *     would (iommufd_device_bind_mock) and attaches it to an IOAS through
 *     an automatic HWPT, or to a HWPT.  The device never does DMA: what the
 *     mock gives a test is a domain it can look into.
 *   - A mock domain is a paging domain of another driver (struct
 *     iommu_domain's ops, model/iommu/domain.h): aperture
 *     [MOCK_APERTURE_START, MOCK_APERTURE_LAST], pages of
 *     MOCK_IO_PAGE_SIZE = PAGE_SIZE / 2 (and 1 MiB ones for a
 *     MOCK_FLAGS_DEVICE_HUGE_IOVA device), so an IOAS it joins gets a
 *     sub-page alignment.  The kernel's mock keeps an xarray from IOVA /
 *     2 KiB to the value pfn | MOCK_PFN_* flags; here the same values live
 *     in a real table in simulated memory (page-table frames of sim/mem.h):
 *     a radix of six levels of 512 slots over the 53-bit index, whose
 *     leaves hold the value with MOCK_ENTRY_PRESENT for xarray's
 *     "non-NULL".  MD_CHECK_MAP reads it back.
 *   - An access (CREATE_ACCESS) is an iommufd_access (access.c) behind an
 *     anonymous fd, "[iommufd_test_staccess]": its ACCESS_PAGES pins are
 *     items with ids from 0, dropped by DESTROY_ACCESS_PAGES, by an unmap
 *     over them (iommufd_test_access_unmap, the access's unmap op) and by
 *     closing the fd, which destroys the access.
 *
 * Each op checks in the kernel's order with the kernel's errno.  The ops
 * of 6.12 are all here; of those, DIRTY can only find a domain that does
 * not track (the mock's dirty tracking is not modelled: its devices say
 * they cannot, as MOCK_FLAGS_DEVICE_NO_DIRTY ones do), MD_CHECK_IOTLB no
 * nested HWPT (nested HWPTs are not modelled) and TRIGGER_IOPF no fault
 * queue to deliver to.  Of the later ones DEV_CHECK_CACHE and
 * TRIGGER_VEVENT are here; the PASID ops (6.15) are not (EOPNOTSUPP).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/file.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/pgtable.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"
#include "iommusim/uapi/iommufd_test.h"

#define PAGE_SIZE SIM_PAGE_SIZE
#define MOCK_IO_PAGE_SHIFT (SIM_PAGE_SHIFT - 1)
#define MOCK_IO_PAGE_SIZE (1ull << MOCK_IO_PAGE_SHIFT)
#define MOCK_HUGE_PAGE_SIZE (512 * MOCK_IO_PAGE_SIZE)

/* The value of a slot, as the kernel's mock stores it in its xarray: the
 * physical address in MOCK_IO_PAGE_SIZE units, flags above. */
#define MOCK_PFN_MASK (UINT64_MAX / MOCK_IO_PAGE_SIZE)
#define MOCK_PFN_START_IOVA (MOCK_PFN_MASK + 1)   /* the first of a map_pages call */
#define MOCK_PFN_LAST_IOVA MOCK_PFN_START_IOVA    /* and its last: the same bit */
#define MOCK_PFN_HUGE_IOVA (MOCK_PFN_START_IOVA << 2)   /* mapped as a 1 MiB page */
/* the slot holds a value (xa_load is not NULL); no kernel value has it */
#define MOCK_ENTRY_PRESENT (1ull << 63)

#define MOCK_LEVELS 6                  /* 6 x 9 index bits cover IOVA >> 11 */
#define MOCK_SLOT_BITS 9
#define MOCK_SLOTS (1u << MOCK_SLOT_BITS)

/* kvcalloc / kvzalloc above INT_MAX bytes fail */
#define KV_MAX ((uint64_t)INT_MAX)
/* ACCESS_PAGES and ACCESS_RW refuse more (the syzkaller guard) */
#define TEST_ACCESS_MAX (16ull * 1024 * 1024)

static struct iommufd_state *state_of(const struct sim_world *w)
{
	/* sim_world_subsys does not change the world */
	return sim_world_subsys((struct sim_world *)w, SIM_SUBSYS_IOMMUFD);
}

int iommufd_test_enable(struct sim_world *w)
{
	struct iommufd_state *st = state_of(w);

	/* 6.2's test uAPI (MOCK_DOMAIN without its device ids, fewer ops) is
	 * not modelled; 6.1 has no iommufd at all */
	if (!st || sim_kernel_before(w, 6, 3))
		return 0;
	st->test = true;
	st->test_memory_limit = 65536;     /* iommufd_test_memory_limit */
	return 0;
}

bool iommufd_test_enabled(const struct sim_world *w)
{
	struct iommufd_state *st = state_of(w);

	return st && st->test;
}

/* ---- the mock device (struct mock_dev) ---- */

struct iommufd_mock_dev {
	struct sim_world *w;
	uint32_t flags;                /* MOCK_FLAGS_DEVICE_* */
	struct iommu_group group;      /* its own (generic_device_group) */
};

/* mock_dev_create: EINVAL for a flag this kernel's mock lacks */
static int mock_dev_create(struct sim_world *w, uint32_t dev_flags, struct iommufd_mock_dev **out)
{
	struct iommufd_state *st = state_of(w);
	uint32_t valid = MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA;
	struct iommufd_mock_dev *mdev;

	if (!sim_kernel_before(w, 6, 15))
		valid |= MOCK_FLAGS_DEVICE_PASID;
	if (dev_flags & ~valid)
		return -EINVAL;
	if (sim_should_fail(w, "mock_dev_alloc"))
		return -ENOMEM;
	mdev = g_new0(struct iommufd_mock_dev, 1);
	mdev->w = w;
	mdev->flags = dev_flags;
	/* iommufd_mock<n>; its group numbered after the PCI groups (nothing
	 * shows it but an invariant's report) */
	mdev->group.id = (unsigned)iommu_group_count(w) + st->test_mock_devs++;
	*out = mdev;
	return 0;
}

static void mock_dev_destroy(struct iommufd_mock_dev *mdev)
{
	g_free(mdev);
}

/* ---- the mock domain (struct mock_iommu_domain) ---- */

struct mock_domain {
	struct iommu_domain domain;    /* first */
	uint64_t root;                 /* the top table's frame */
};

static const struct iommu_domain_ops mock_domain_ops;

static struct mock_domain *to_mock(struct iommu_domain *d)
{
	return (struct mock_domain *)d;
}

bool iommufd_mock_domain(const struct iommu_domain *d)
{
	return d && d->ops == &mock_domain_ops;
}

static uint64_t slot_of(uint64_t table, uint64_t index, unsigned level)
{
	return table + ((index >> (MOCK_SLOT_BITS * level)) & (MOCK_SLOTS - 1)) * 8;
}

/*
 * The leaf slot of @index (IOVA / MOCK_IO_PAGE_SIZE) in *slot: made on the
 * way when @make (0 or -ENOMEM); when not, 0 with *slot 0 if a table on
 * the way is missing, and *level the level it is missing at.
 */
static int mock_slot(struct mock_domain *m, uint64_t index, bool make, uint64_t *slot,
		     unsigned *level)
{
	struct sim_world *w = m->domain.w;
	uint64_t table = m->root;

	for (unsigned l = MOCK_LEVELS - 1; l > 0; l--) {
		uint64_t at = slot_of(table, index, l), e = sim_mem_read64(w, at);

		if (!(e & MOCK_ENTRY_PRESENT)) {
			uint64_t frame;

			if (!make) {
				*slot = 0;
				if (level)
					*level = l;
				return 0;
			}
			if (sim_mem_frame_alloc(w, SIM_FRAME_PGTABLE, &frame))
				return -ENOMEM;
			e = frame | MOCK_ENTRY_PRESENT;
			sim_mem_write64(w, at, e);
		}
		table = e & ~MOCK_ENTRY_PRESENT;
	}
	*slot = slot_of(table, index, 0);
	return 0;
}

static uint64_t mock_load(struct mock_domain *m, uint64_t iova)
{
	uint64_t slot;

	mock_slot(m, iova >> MOCK_IO_PAGE_SHIFT, false, &slot, NULL);
	return slot ? sim_mem_read64(m->domain.w, slot) : 0;
}

/* xa_erase of every index of [iova, iova + len), skipping missing tables */
static void mock_erase(struct mock_domain *m, uint64_t iova, uint64_t len)
{
	uint64_t index = iova >> MOCK_IO_PAGE_SHIFT;
	uint64_t last = (iova + len - 1) >> MOCK_IO_PAGE_SHIFT;

	while (index <= last) {
		uint64_t slot, next;
		unsigned level = 0;

		mock_slot(m, index, false, &slot, &level);
		if (slot) {
			sim_mem_write64(m->domain.w, slot, 0);
			next = index + 1;
		} else {
			next = (index | ((1ull << (MOCK_SLOT_BITS * level)) - 1)) + 1;
		}
		if (next <= index)
			break;      /* the top of the index space */
		index = next;
	}
}

/*
 * iommu_pgsize: the largest page size of @bitmap that @iova and @paddr are
 * both aligned to and @size holds, and how many of them (*count) before a
 * boundary where a larger one could start.
 */
static uint64_t mock_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr, uint64_t size,
			    uint64_t *count)
{
	uint64_t addr_merge = iova | paddr, pgsizes, pgsize, next;
	unsigned idx;

	/* GENMASK(__fls(size), 0): no page larger than the size */
	pgsizes = bitmap & ((2ull << (63 - __builtin_clzll(size))) - 1);
	if (addr_merge)
		pgsizes &= (2ull << __builtin_ctzll(addr_merge)) - 1;
	idx = 63 - __builtin_clzll(pgsizes);
	pgsize = 1ull << idx;
	pgsizes = bitmap & ~((2ull << idx) - 1);
	if (pgsizes) {
		next = 1ull << __builtin_ctzll(pgsizes);
		/* a larger page can start later only if both addresses can
		 * reach its alignment together */
		if (!((iova ^ paddr) & (next - 1))) {
			uint64_t offset = next - (addr_merge & (next - 1));

			if (offset + next <= size)
				size = offset;
		}
	}
	*count = size >> idx;
	return pgsize;
}

/* mock_domain_map_pages: @count pages of @pgsize, one slot per 2 KiB; the
 * call's first and last slots marked, a large page's all marked HUGE */
static int mock_map_pages(struct mock_domain *m, uint64_t iova, uint64_t paddr, uint64_t pgsize,
			  uint64_t count)
{
	struct sim_world *w = m->domain.w;
	uint64_t n = pgsize / MOCK_IO_PAGE_SIZE * count, start = iova;

	/* the mock's own failure point (iommufd_should_fail): ENOENT */
	if (sim_should_fail(w, "mock_domain_map"))
		return -ENOENT;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t slot, v = (paddr >> MOCK_IO_PAGE_SHIFT);

		if (i == 0 || i == n - 1)
			v |= i == 0 ? MOCK_PFN_START_IOVA : MOCK_PFN_LAST_IOVA;
		if (pgsize != MOCK_IO_PAGE_SIZE)
			v |= MOCK_PFN_HUGE_IOVA;
		if (mock_slot(m, iova >> MOCK_IO_PAGE_SHIFT, true, &slot, NULL)) {
			if (iova > start)
				mock_erase(m, start, iova - start);
			return -ENOMEM;
		}
		sim_mem_write64(w, slot, v | MOCK_ENTRY_PRESENT);
		iova += MOCK_IO_PAGE_SIZE;
		paddr += MOCK_IO_PAGE_SIZE;
	}
	return 0;
}

/* iommu_map → __iommu_map → mock_domain_map_pages: iova, paddr and size
 * aligned to the smallest page (EINVAL), then the largest pages each
 * stretch allows; a failure takes back what the call mapped. */
static int mock_map(struct iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t size,
		    unsigned prot)
{
	struct mock_domain *m = to_mock(d);
	uint64_t min = 1ull << __builtin_ctzll(d->pgsize_bitmap), orig = iova;
	int rc = 0;

	(void)prot;     /* the mock has no permission bits: it maps everything RW */
	if ((iova | hpa | size) & (min - 1))
		return -EINVAL;
	while (size) {
		uint64_t count, pgsize = mock_pgsize(d->pgsize_bitmap, iova, hpa, size, &count);

		rc = mock_map_pages(m, iova, hpa, pgsize, count);
		if (rc)
			break;
		iova += pgsize * count;
		hpa += pgsize * count;
		size -= pgsize * count;
	}
	if (rc && iova > orig)
		mock_erase(m, orig, iova - orig);
	return rc;
}

/* __iommu_unmap → mock_domain_unmap_pages: every slot of the range erased,
 * present or not, and the whole size reported; an unaligned range unmaps
 * nothing (0) */
static uint64_t mock_unmap(struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	uint64_t min = 1ull << __builtin_ctzll(d->pgsize_bitmap);

	if (!size || ((iova | size) & (min - 1)))
		return 0;
	mock_erase(to_mock(d), iova, size);
	return size;
}

/* mock_domain_iova_to_phys; the kernel's WARNs on an unmapped or unaligned
 * IOVA, here the one is -ENOENT and the other keeps its offset */
static int mock_iova_to_phys(struct iommu_domain *d, uint64_t iova, uint64_t *hpa,
			     unsigned *prot)
{
	uint64_t v = mock_load(to_mock(d), iova);

	if (!(v & MOCK_ENTRY_PRESENT))
		return -ENOENT;
	*hpa = ((v & MOCK_PFN_MASK) << MOCK_IO_PAGE_SHIFT) + iova % MOCK_IO_PAGE_SIZE;
	*prot = IOMMU_READ | IOMMU_WRITE;
	return 0;
}

static void free_table(struct sim_world *w, uint64_t table, unsigned level)
{
	for (unsigned i = 0; level && i < MOCK_SLOTS; i++) {
		uint64_t e = sim_mem_read64(w, table + i * 8);

		if (e & MOCK_ENTRY_PRESENT)
			free_table(w, e & ~MOCK_ENTRY_PRESENT, level - 1);
	}
	sim_mem_frame_put(w, table);
}

/* mock_domain_free */
static void mock_free(struct iommu_domain *d)
{
	free_table(d->w, to_mock(d)->root, MOCK_LEVELS - 1);
	g_free(to_mock(d));
}

static const struct iommu_domain_ops mock_domain_ops = {
	.map = mock_map,
	.unmap = mock_unmap,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_free,
};

/*
 * mock_domain_alloc_user (the paging case) and mock_domain_alloc_paging:
 * NEST_PARENT and DIRTY_TRACKING only, and no dirty tracking on a
 * NO_DIRTY device (EOPNOTSUPP; the core has already refused
 * DIRTY_TRACKING, the mock saying it cannot track).
 */
int iommufd_mock_domain_alloc(struct iommufd_mock_dev *mdev, uint32_t flags,
			      struct iommu_domain **out)
{
	struct sim_world *w = mdev->w;
	struct mock_domain *m;

	/* mock_domain_alloc_paging_flags: ALLOC_PASID too (6.15, which the
	 * core lets through only from then) */
	if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
		      IOMMU_HWPT_ALLOC_PASID))
		return -EOPNOTSUPP;
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && (mdev->flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EOPNOTSUPP;
	if (sim_should_fail(w, "mock_domain_alloc"))
		return -ENOMEM;
	m = g_new0(struct mock_domain, 1);
	if (sim_mem_frame_alloc(w, SIM_FRAME_PGTABLE, &m->root)) {
		g_free(m);
		return -ENOMEM;
	}
	m->domain.w = w;
	m->domain.type = IOMMU_DOMAIN_PAGING;     /* IOMMU_DOMAIN_UNMANAGED */
	m->domain.aperture_start = MOCK_APERTURE_START;
	m->domain.aperture_end = MOCK_APERTURE_LAST;
	m->domain.pgsize_bitmap = MOCK_IO_PAGE_SIZE;
	if (mdev->flags & MOCK_FLAGS_DEVICE_HUGE_IOVA)
		m->domain.pgsize_bitmap |= MOCK_HUGE_PAGE_SIZE;
	m->domain.ops = &mock_domain_ops;
	*out = &m->domain;
	return 0;
}

/* mock_domain_hw_info, and what iommufd_get_hw_info adds: no
 * capabilities (mock_domain_capable's dirty tracking is not modelled) and
 * a MOCK_FLAGS_DEVICE_PASID device's PASID width (its "pasid-num-bits"
 * property and the mock IOMMU's max_pasids, both MOCK_PASID_WIDTH) */
void iommufd_mock_hw_info(const struct iommufd_mock_dev *mdev, uint32_t *type, void *data,
			  size_t *len, uint64_t *caps, uint8_t *max_pasid_log2)
{
	struct iommu_test_hw_info info = { .test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL };

	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	memcpy(data, &info, *len < sizeof(info) ? *len : sizeof(info));
	*len = sizeof(info);
	*caps = 0;
	*max_pasid_log2 = mdev->flags & MOCK_FLAGS_DEVICE_PASID ? MOCK_PASID_WIDTH : 0;
}

/* ---- user pages (get_user_pages_fast of one page, read) ---- */

/*
 * The frame of @p's page at @uva, how many pins it has (page_ref_count /
 * GUP_PIN_COUNTING_BIAS) and whether it is a huge page's (PageCompound).
 * A scenario process's page that was never touched is the zero page:
 * frame 0, no pins.  A native process's page is pinned for the look
 * (sim_mm_pin) and let go.  -EFAULT when nothing readable is there.
 */
static int gup_page(struct sim_proc *p, uint64_t uva, uint64_t *hpa, unsigned *pins,
		    bool *compound)
{
	struct sim_mm *mm = p->mm;
	uint64_t page = uva & SIM_PAGE_MASK;
	bool folio;
	int rc;

	*pins = 0;
	*compound = false;
	if (!mm->native) {
		const struct sim_vma *v = sim_mm_find_vma(mm, page);
		uint64_t idx;

		if (!v || !(v->prot & SIM_PROT_READ))
			return -EFAULT;
		idx = (page - v->start) >> SIM_PAGE_SHIFT;
		*hpa = v->chunks && v->chunks[idx >> SIM_MM_CHUNK_SHIFT] ?
			v->chunks[idx >> SIM_MM_CHUNK_SHIFT][idx & (SIM_MM_CHUNK_PAGES - 1)] : 0;
		*compound = v->huge_shift != 0;
		if (*hpa) {
			unsigned refs = sim_mem_frame_refs(p->w, *hpa, &folio);

			*pins = refs ? refs - 1 : 0;     /* the mm's own reference */
		}
		return 0;
	}
	rc = sim_mm_pin(mm, page, false, hpa);
	if (rc)
		return rc;
	*pins = sim_mem_frame_refs(p->w, *hpa, &folio) - 1;   /* less our look's */
	*compound = folio;
	sim_mm_unpin_page(mm, *hpa);
	return 0;
}

/* ---- ADD_RESERVED ---- */

static struct iommufd_ioas *get_ioas(struct iommufd_ctx *ictx, uint32_t id)
{
	return (struct iommufd_ioas *)iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS);
}

/* iommufd_test_add_reserved: an empty or wrapping range first (EINVAL,
 * EOVERFLOW), then the IOAS (ENOENT); iopt_reserve_iova says EADDRINUSE
 * over a mapping or an allowed range.  The reservation has no owner: it
 * stays for the IOAS's life. */
static int test_add_reserved(struct iommufd_ucmd *ucmd, uint32_t id, uint64_t start,
			     uint64_t length)
{
	struct iommufd_ioas *ioas;
	uint64_t last;
	int rc;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	ioas = get_ioas(ucmd->ictx, id);
	if (!ioas)
		return -ENOENT;
	rc = iopt_reserve_iova(&ioas->iopt, start, last, NULL);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* ---- MOCK_DOMAIN, MOCK_DOMAIN_FLAGS, MOCK_DOMAIN_REPLACE ---- */

/* struct selftest_obj (TYPE_IDEV): the mock device and its binding */
struct selftest_obj {
	struct iommufd_object obj;
	struct iommufd_device *idev;
	struct iommufd_mock_dev *mdev;
};

/* iommufd_selftest_destroy: detach, unbind, the device goes */
static void selftest_obj_destroy(struct iommufd_object *obj)
{
	struct selftest_obj *sobj = (struct selftest_obj *)obj;

	if (sobj->idev) {
		iommufd_device_detach(sobj->idev);
		iommufd_device_unbind(sobj->idev);
	}
	if (sobj->mdev)
		mock_dev_destroy(sobj->mdev);
	g_free(sobj);
}

/*
 * iommufd_test_mock_domain: the selftest object (its id first), the mock
 * device (EINVAL for an unknown dev_flags bit), bound (the device id next)
 * and attached to cmd->id like any device (an IOAS gets an automatic HWPT,
 * the id after): ENOENT, EINVAL (a HWPT of the simulated IOMMU), ENOMEM.
 * DESTROY of out_stdev_id takes it all down again.
 */
static int test_mock_domain(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct selftest_obj *sobj;
	uint32_t pt_id = cmd->id, idev_id, dev_flags = 0;
	int rc;

	if (sim_should_fail(ictx->w, "iommufd_selftest_alloc"))
		return -ENOMEM;
	sobj = g_new0(struct selftest_obj, 1);
	rc = iommufd_object_alloc(ictx, &sobj->obj, IOMMUFD_OBJ_SELFTEST, selftest_obj_destroy);
	if (rc) {
		g_free(sobj);
		return rc;
	}
	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		dev_flags = cmd->mock_domain_flags.dev_flags;
	rc = mock_dev_create(ictx->w, dev_flags, &sobj->mdev);
	if (rc)
		goto out_sobj;
	rc = iommufd_device_bind_mock(ictx, sobj->mdev, &sobj->mdev->group, &sobj->idev, &idev_id);
	if (rc)
		goto out_mdev;
	rc = iommufd_device_attach(sobj->idev, &pt_id);
	if (rc)
		goto out_unbind;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_idev_id = idev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_detach;
	iommufd_object_finalize(&sobj->obj);
	return 0;

out_detach:
	iommufd_device_detach(sobj->idev);
out_unbind:
	iommufd_device_unbind(sobj->idev);
	sobj->idev = NULL;
out_mdev:
	mock_dev_destroy(sobj->mdev);
	sobj->mdev = NULL;
out_sobj:
	iommufd_object_abort(&sobj->obj);
	return rc;
}

/* iommufd_test_get_selftest_obj: ENOENT for anything but a selftest device */
static struct selftest_obj *get_selftest_obj(struct iommufd_ctx *ictx, uint32_t id)
{
	return (struct selftest_obj *)iommufd_get_object(ictx, id, IOMMUFD_OBJ_SELFTEST);
}

/* iommufd_test_mock_domain_replace: iommufd_device_replace of the mock
 * device; pt_id comes back as the HWPT it is now on */
static int test_mock_domain_replace(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct selftest_obj *sobj = get_selftest_obj(ucmd->ictx, cmd->id);
	uint32_t pt_id = cmd->mock_domain_replace.pt_id;
	int rc;

	if (!sobj)
		return -ENOENT;
	rc = iommufd_device_replace(sobj->idev, &pt_id);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&sobj->obj);
	return rc;
}

/* ---- MD_CHECK_MAP, MD_CHECK_REFS ---- */

/* get_md_pagetable: a paging HWPT (ENOENT) of the mock IOMMU (EINVAL) */
static struct iommufd_hw_pagetable *get_md_pagetable(struct iommufd_ctx *ictx, uint32_t id,
						     int *rc)
{
	struct iommufd_hw_pagetable *hwpt = (struct iommufd_hw_pagetable *)
		iommufd_get_object(ictx, id, IOMMUFD_OBJ_HWPT_PAGING);

	*rc = -ENOENT;
	if (hwpt && !iommufd_mock_domain(hwpt->domain)) {
		iommufd_put_object(&hwpt->obj);
		*rc = -EINVAL;
		hwpt = NULL;
	}
	return hwpt;
}

/*
 * iommufd_test_md_check_pa: every MOCK_IO_PAGE_SIZE of [iova, iova +
 * length) of the mock HWPT maps the byte of uptr's page it should, as the
 * mock's table says.  Alignment of all three and a wrapping uptr first
 * (EINVAL), the HWPT (ENOENT, EINVAL), then each step: the user page
 * (EFAULT), the slot (EINVAL for none or another address).
 */
static int test_md_check_map(struct iommufd_ucmd *ucmd, uint32_t id, uint64_t iova,
			     uint64_t length, uint64_t uptr)
{
	struct iommufd_hw_pagetable *hwpt;
	uint64_t end;
	int rc;

	if (iova % MOCK_IO_PAGE_SIZE || length % MOCK_IO_PAGE_SIZE || uptr % MOCK_IO_PAGE_SIZE ||
	    __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	hwpt = get_md_pagetable(ucmd->ictx, id, &rc);
	if (!hwpt)
		return rc;
	rc = 0;
	for (; length && !rc; length -= MOCK_IO_PAGE_SIZE) {
		uint64_t hpa, v;
		unsigned pins;
		bool compound;

		rc = gup_page(ucmd->p, uptr, &hpa, &pins, &compound);
		if (rc)
			break;
		v = mock_load(to_mock(hwpt->domain), iova);
		if (!(v & MOCK_ENTRY_PRESENT) ||
		    (v & MOCK_PFN_MASK) << MOCK_IO_PAGE_SHIFT != hpa + uptr % PAGE_SIZE)
			rc = -EINVAL;
		iova += MOCK_IO_PAGE_SIZE;
		uptr += MOCK_IO_PAGE_SIZE;
	}
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/*
 * iommufd_test_md_check_refs: each page of [uptr, uptr + length) is pinned
 * @refs times (a huge page is not looked at).  Alignment and wrap first
 * (EINVAL), then per page: not mapped (EFAULT), another count (EIO).
 */
static int test_md_check_refs(struct iommufd_ucmd *ucmd, uint64_t uptr, uint64_t length,
			      uint32_t refs)
{
	uint64_t end;

	if (length % PAGE_SIZE || uptr % PAGE_SIZE || __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	for (; length; length -= PAGE_SIZE) {
		uint64_t hpa;
		unsigned pins;
		bool compound;
		int rc = gup_page(ucmd->p, uptr, &hpa, &pins, &compound);

		if (rc)
			return rc;
		if (!compound && pins != refs)
			return -EIO;
		uptr += PAGE_SIZE;
	}
	return 0;
}

/* iommufd_test_md_check_iotlb: a nested HWPT (ENOENT) of the mock
 * (EINVAL).  Nested HWPTs are not modelled: none is ever found. */
static int test_md_check_iotlb(struct iommufd_ucmd *ucmd, uint32_t id)
{
	struct iommufd_object *obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_HWPT_NESTED);

	if (!obj)
		return -ENOENT;
	iommufd_put_object(obj);
	return -EINVAL;
}

/* ---- the test access (struct selftest_access) ---- */

struct test_access_item {
	uint64_t iova, length;
	uint32_t id;
};

struct test_access {
	struct iommufd_access *access;     /* NULL until CREATE_ACCESS is done */
	struct iommufd_ctx *ictx;          /* held with the access */
	GArray *items;                     /* struct test_access_item, oldest first */
	uint32_t next_id;
};

static const struct sim_file_ops test_access_fops;

/* iommufd_access_get: the fd must be a test access's (EBADFD) */
static struct test_access *test_access_get(struct sim_proc *p, uint32_t fd)
{
	struct sim_file *f = sim_fd_get(p, (int)fd);

	return f && f->ops == &test_access_fops ? f->private_data : NULL;
}

/* iommufd_test_access_unmap, the access's unmap op: every item meeting
 * [iova, iova + length - 1] is unpinned and forgotten */
static void test_access_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct test_access *ta = data;
	uint64_t last = iova + length - 1;

	for (unsigned i = 0; i < ta->items->len;) {
		struct test_access_item it = g_array_index(ta->items, struct test_access_item, i);

		if (iova > it.iova + it.length - 1 || last < it.iova) {
			i++;
			continue;
		}
		g_array_remove_index(ta->items, i);
		iommufd_access_unpin_pages(ta->access, it.iova, it.length);
	}
}

static const struct iommufd_access_ops test_access_ops_pin = {
	.needs_pin_pages = true,
	.unmap = test_access_unmap,
};

static const struct iommufd_access_ops test_access_ops = {
	.unmap = test_access_unmap,
};

/* iommufd_test_staccess_release: closing the fd unpins everything and
 * destroys the access */
static void test_access_release(struct sim_file *f)
{
	struct test_access *ta = f->private_data;

	if (ta->access) {
		test_access_unmap(ta, 0, UINT64_MAX);
		iommufd_access_destroy(ta->access);
		iommufd_ctx_put(ta->ictx);
	}
	g_array_free(ta->items, TRUE);
	g_free(ta);
}

/* an anonymous inode with only a release */
static const struct sim_file_ops test_access_fops = {
	.name = "[iommufd_test_staccess]",
	.release = test_access_release,
	.stream = true,
};

/*
 * iommufd_test_create_access: flags (EOPNOTSUPP), the file (ENOMEM), an fd
 * (ENOMEM, whatever get_unused_fd_flags said), the access (ENOMEM), attached
 * to IOAS cmd->id (iommufd_access_attach: ENOENT, EADDRINUSE, ENOMEM); the
 * fd goes back in out_access_fd, close-on-exec.
 */
static int test_create_access(struct iommufd_ucmd *ucmd, uint32_t ioas_id, uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct sim_world *w = ucmd->ictx->w;
	struct iommufd_access *access;
	struct test_access *ta;
	struct sim_file *file;
	uint32_t id;
	int fd, rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	if (sim_should_fail(w, "iommufd_test_access_alloc"))
		return -ENOMEM;
	ta = g_new0(struct test_access, 1);
	ta->items = g_array_new(FALSE, FALSE, sizeof(struct test_access_item));
	file = sim_file_new(w, &test_access_fops, ta, O_RDWR, "[iommufd_test_staccess]");
	if (!file) {
		g_array_free(ta->items, TRUE);
		g_free(ta);
		return -ENOMEM;
	}
	/* get_unused_fd_flags(O_CLOEXEC), taken now, given back on failure */
	fd = sim_fd_install(ucmd->p, file, true);
	if (fd < 0) {
		rc = -ENOMEM;
		goto out_fput;
	}
	rc = iommufd_access_create(ucmd->ictx, (flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) ?
				   &test_access_ops_pin : &test_access_ops, ta, &access, &id);
	if (rc)
		goto out_put_fd;
	rc = iommufd_access_attach(access, ioas_id);
	if (rc)
		goto out_destroy;
	cmd->create_access.out_access_fd = (uint32_t)fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_destroy;
	ta->access = access;
	ta->ictx = ucmd->ictx;
	iommufd_ctx_get(ta->ictx);
	sim_file_put(file);     /* the descriptor holds it now */
	return 0;

out_destroy:
	iommufd_access_destroy(access);
out_put_fd:
	sim_fd_close(ucmd->p, fd);
out_fput:
	sim_file_put(file);
	return rc;
}

/* iommufd_test_access_replace_ioas: iommufd_access_replace */
static int test_access_replace_ioas(struct iommufd_ucmd *ucmd, uint32_t fd, uint32_t ioas_id)
{
	struct test_access *ta = test_access_get(ucmd->p, fd);

	if (!ta)
		return -EBADFD;
	return iommufd_access_replace(ta->access, ioas_id);
}

/* The area list as the syzkaller mode reads an IOVA: its low 32 bits pick
 * the nth area, its high 32 bits the offset into it; 0 when there are not
 * that many (iommufd_test_syz_conv_iova) */
static uint64_t syz_conv_iova(const struct io_pagetable *iopt, uint64_t iova)
{
	uint32_t nth = (uint32_t)iova, offset = (uint32_t)(iova >> 32);

	if (nth < iopt->areas->len)
		return g_array_index(iopt->areas, struct iopt_area, nth).iova + offset;
	return 0;
}

static uint64_t access_syz_conv(struct test_access *ta, uint64_t iova)
{
	return ta->access->ioas ? syz_conv_iova(&ta->access->ioas->iopt, iova) : 0;
}

void iommufd_test_syz_conv_iova_id(struct iommufd_ucmd *ucmd, uint32_t ioas_id,
				   unsigned long long *iova, uint32_t *flags)
{
	struct iommufd_ioas *ioas;

	if (!iommufd_test_enabled(ucmd->ictx->w) || !(*flags & MOCK_FLAGS_ACCESS_SYZ))
		return;
	*flags &= ~(uint32_t)MOCK_FLAGS_ACCESS_SYZ;
	ioas = get_ioas(ucmd->ictx, ioas_id);
	if (!ioas)
		return;
	*iova = syz_conv_iova(&ioas->iopt, *iova);
	iommufd_put_object(&ioas->obj);
}

/* iommufd_test_check_pages: each pinned page is the one at uptr now
 * (the page itself: EFAULT; another page: EBADE) */
static int check_pages(struct sim_proc *p, uint64_t uptr, const uint64_t *hpas, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++, uptr += PAGE_SIZE) {
		uint64_t hpa;
		unsigned pins;
		bool compound;
		int rc = gup_page(p, uptr, &hpa, &pins, &compound);

		if (rc)
			return rc;
		if (hpa != hpas[i])
			return -EBADE;
	}
	return 0;
}

/*
 * iommufd_test_access_pages: more than 16 MiB (ENOMEM), flags
 * (EOPNOTSUPP), the access (EBADFD), one without pin pages (EOPNOTSUPP),
 * the page array (ENOMEM); iommufd_access_pin_pages' errors; with a uptr
 * the pinned pages must be the ones at it; the item's id (from 0) goes
 * back in out_access_pages_id.
 */
static int test_access_pages(struct iommufd_ucmd *ucmd, uint32_t fd, uint64_t iova,
			     uint64_t length, uint64_t uptr, uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct sim_world *w = ucmd->ictx->w;
	struct test_access_item item;
	struct test_access *ta;
	uint64_t npages, *hpas;
	int rc;

	if (length > TEST_ACCESS_MAX)
		return -ENOMEM;
	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	if (!(ta = test_access_get(ucmd->p, fd)))
		return -EBADFD;
	if (ta->access->ops != &test_access_ops_pin)
		return -EOPNOTSUPP;
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = access_syz_conv(ta, cmd->access_pages.iova);
	/* kvcalloc of the pages between ALIGN_DOWN(iova) and ALIGN(iova + length) */
	npages = (((iova + length + PAGE_SIZE - 1) & SIM_PAGE_MASK) - (iova & SIM_PAGE_MASK)) /
		 PAGE_SIZE;
	if (npages > KV_MAX / sizeof(uint64_t) || sim_should_fail(w, "iommufd_test_pages_alloc"))
		return -ENOMEM;
	hpas = g_new0(uint64_t, npages ? npages : 1);
	rc = iommufd_access_pin_pages(ta->access, iova, length, hpas,
				      flags & MOCK_FLAGS_ACCESS_WRITE ? IOMMUFD_ACCESS_RW_WRITE : 0);
	if (rc)
		goto out_free;
	if (uptr) {
		rc = check_pages(ucmd->p, uptr - (iova & (PAGE_SIZE - 1)), hpas, npages);
		if (rc)
			goto out_unaccess;
	}
	if (sim_should_fail(w, "iommufd_test_item_alloc")) {
		rc = -ENOMEM;
		goto out_unaccess;
	}
	item = (struct test_access_item){ .iova = iova, .length = length, .id = ta->next_id++ };
	g_array_append_val(ta->items, item);
	cmd->access_pages.out_access_pages_id = item.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		g_array_remove_index(ta->items, ta->items->len - 1);
		goto out_unaccess;
	}
	goto out_free;

out_unaccess:
	iommufd_access_unpin_pages(ta->access, iova, length);
out_free:
	g_free(hpas);
	return rc;
}

/*
 * iommufd_test_access_rw: more than 16 MiB (ENOMEM), flags (EOPNOTSUPP),
 * the access (EBADFD), the bounce buffer (ENOMEM); a write reads uptr
 * first (EFAULT); iommufd_access_rw's errors; a read writes uptr last
 * (EFAULT).  MOCK_ACCESS_RW_SLOW_PATH makes the kernel go through the
 * pages instead of the mm; both ways move the same bytes, and the
 * simulator's iommufd_access_rw has one.
 */
static int test_access_rw(struct iommufd_ucmd *ucmd, uint32_t fd, uint64_t iova,
			  uint64_t length, uint64_t uptr, uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct test_access *ta;
	uint8_t *tmp;
	int rc = 0;

	if (length > TEST_ACCESS_MAX)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	if (!(ta = test_access_get(ucmd->p, fd)))
		return -EBADFD;
	if (sim_should_fail(ucmd->ictx->w, "iommufd_test_rw_alloc"))
		return -ENOMEM;
	tmp = g_malloc0(length ? length : 1);
	if ((flags & MOCK_ACCESS_RW_WRITE) && sim_copy_from_user(ucmd->p, tmp, uptr, length))
		rc = -EFAULT;
	if (!rc && (flags & MOCK_FLAGS_ACCESS_SYZ))
		iova = access_syz_conv(ta, cmd->access_rw.iova);
	if (!rc)
		rc = iommufd_access_rw(ta->access, iova, tmp, length,
				       flags & MOCK_ACCESS_RW_WRITE ? IOMMUFD_ACCESS_RW_WRITE : 0);
	if (!rc && !(flags & MOCK_ACCESS_RW_WRITE) && sim_copy_to_user(ucmd->p, uptr, tmp, length))
		rc = -EFAULT;
	g_free(tmp);
	return rc;
}

/* iommufd_test_access_item_destroy: the item by id (ENOENT) */
static int test_access_item_destroy(struct iommufd_ucmd *ucmd, uint32_t fd, uint32_t item_id)
{
	struct test_access *ta = test_access_get(ucmd->p, fd);

	if (!ta)
		return -EBADFD;
	for (unsigned i = 0; i < ta->items->len; i++) {
		struct test_access_item it = g_array_index(ta->items, struct test_access_item, i);

		if (it.id == item_id) {
			g_array_remove_index(ta->items, i);
			iommufd_access_unpin_pages(ta->access, it.iova, it.length);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- DIRTY, TRIGGER_IOPF, DEV_CHECK_CACHE, TRIGGER_VEVENT ---- */

/* iommufd_test_dirty: the arguments (EINVAL), the mock HWPT (ENOENT,
 * EINVAL), then tracking must be on (EINVAL).  No mock domain tracks
 * here (dirty tracking of the mock is not modelled), so that is the end. */
static int test_dirty(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct iommufd_hw_pagetable *hwpt;
	uint64_t ps = cmd->dirty.page_size;
	int rc;

	if (!ps || !cmd->dirty.length || cmd->dirty.iova % ps || cmd->dirty.length % ps ||
	    !cmd->dirty.uptr)
		return -EINVAL;
	hwpt = get_md_pagetable(ucmd->ictx, cmd->id, &rc);
	if (!hwpt)
		return rc;
	iommufd_put_object(&hwpt->obj);
	return -EINVAL;     /* !(mock->flags & MOCK_DIRTY_TRACK) */
}

/* iommufd_test_trigger_iopf: the device (ENOENT); the page request is
 * reported (iommu_report_device_fault returns nothing) and, with no
 * domain here taking I/O page faults, answered by the core */
static int test_trigger_iopf(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct iommufd_device *idev = iommufd_get_device(ucmd, cmd->trigger_iopf.dev_id);

	if (!idev)
		return -ENOENT;
	iommufd_put_object(&idev->obj);
	return 0;
}

/* iommufd_test_dev_check_cache (6.13): the device (ENOENT), the entry
 * (EINVAL past MOCK_DEV_CACHE_ID_MAX or another value).  Only a vIOMMU
 * invalidation changes the mock's cache, and vIOMMUs are not modelled:
 * every entry is IOMMU_TEST_DEV_CACHE_DEFAULT.  (The kernel reads any
 * device as a mock one; a PCI device here has no cache: EINVAL.) */
static int test_dev_check_cache(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct iommufd_device *idev = iommufd_get_device(ucmd, cmd->id);
	int rc = 0;

	if (!idev)
		return -ENOENT;
	if (!idev->mock || cmd->check_dev_cache.id > MOCK_DEV_CACHE_ID_MAX ||
	    cmd->check_dev_cache.cache != IOMMU_TEST_DEV_CACHE_DEFAULT)
		rc = -EINVAL;
	iommufd_put_object(&idev->obj);
	return rc;
}

/* iommufd_test_trigger_vevent (6.14): the device (ENOENT), then its vIOMMU
 * (ENOENT without one: vIOMMUs are not modelled) */
static int test_trigger_vevent(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct iommufd_device *idev = iommufd_get_device(ucmd, cmd->trigger_vevent.dev_id);

	if (!idev)
		return -ENOENT;
	iommufd_put_object(&idev->obj);
	return -ENOENT;
}

/* ---- the command ---- */

/*
 * iommufd_test.  SET_TEMP_MEMORY_LIMIT: in the kernel the value is the
 * size of the temporary memory pages.c pins through (TEMP_MEMORY_LIMIT:
 * the pfn batches of pfn_reader and the page lists of a fill), so a small
 * one makes every pin and map go through many small batches and tests
 * their seams.  Here pinning has no batches (pages.c pins each run of a
 * chunk at once): the value is checked (at least the 12 bytes of one
 * batch element), kept, and changes nothing.
 */
int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct sim_world *w = ucmd->ictx->w;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return test_add_reserved(ucmd, cmd->id, cmd->add_reserved.start,
					 cmd->add_reserved.length);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return test_md_check_map(ucmd, cmd->id, cmd->check_map.iova, cmd->check_map.length,
					 cmd->check_map.uptr);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return test_md_check_refs(ucmd, cmd->check_refs.uptr, cmd->check_refs.length,
					  cmd->check_refs.refs);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return test_md_check_iotlb(ucmd, cmd->id);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return test_create_access(ucmd, cmd->id, cmd->create_access.flags);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return test_access_replace_ioas(ucmd, cmd->id, cmd->access_replace_ioas.ioas_id);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return test_access_pages(ucmd, cmd->id, cmd->access_pages.iova,
					 cmd->access_pages.length, cmd->access_pages.uptr,
					 cmd->access_pages.flags);
	case IOMMU_TEST_OP_ACCESS_RW:
		return test_access_rw(ucmd, cmd->id, cmd->access_rw.iova, cmd->access_rw.length,
				      cmd->access_rw.uptr, cmd->access_rw.flags);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return test_access_item_destroy(ucmd, cmd->id,
						cmd->destroy_access_pages.access_pages_id);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* _batch_init needs room for one element: a pfn and a count */
		if (cmd->memory_limit.limit < sizeof(uint64_t) + sizeof(uint32_t))
			return -EINVAL;
		state_of(w)->test_memory_limit = cmd->memory_limit.limit;
		return 0;
	case IOMMU_TEST_OP_DIRTY:
		return test_dirty(ucmd, cmd);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return test_trigger_iopf(ucmd, cmd);
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		if (sim_kernel_before(w, 6, 13))
			break;
		return test_dev_check_cache(ucmd, cmd);
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		if (sim_kernel_before(w, 6, 14))
			break;
		return test_trigger_vevent(ucmd, cmd);
	default:
		/* and the PASID ops of 6.15, not modelled */
		break;
	}
	return -EOPNOTSUPP;
}
