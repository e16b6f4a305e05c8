/* SPDX-License-Identifier: MIT */
/*
 * Access objects (drivers/iommu/iommufd/device.c, "iommufd_access"; the
 * pins in pages.c): the in-kernel users of an IOAS that have no IOMMU of
 * their own — an emulated device (VFIO mdev) and the test uAPI's access.
 * They pin pages by IOVA (sharing the pins areas in domains hold), read
 * and write through the IOAS, and are told to unpin when the user unmaps
 * what they pinned: an unmap over an area with access pins calls each
 * access's unmap op and retries (iopt_unmap_iova_range), and gives up with
 * EDEADLOCK when a driver never lets go.
 */
#include <errno.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommu/pgtable.h"
#include "model/iommufd/iommufd_private.h"

#define PAGE_SIZE SIM_PAGE_SIZE

/* ---- the access's life ---- */

static int change_ioas(struct iommufd_access *access, struct iommufd_ioas *ioas);

/* iommufd_access_destroy_object: off its IOAS (the driver told to unpin
 * everything), then the context let go */
static void access_destroy(struct iommufd_object *obj)
{
	struct iommufd_access *access = (struct iommufd_access *)obj;
	struct iommufd_ctx *ictx = obj->ictx;

	if (access->ioas)
		change_ioas(access, NULL);
	g_free(access);
	iommufd_ctx_put(ictx);
}

int iommufd_access_create(struct iommufd_ctx *ictx, const struct iommufd_access_ops *ops,
			  void *data, struct iommufd_access **out, uint32_t *id)
{
	struct iommufd_access *access;
	int rc;

	if (sim_should_fail(ictx->w, "iommufd_access_alloc"))
		return -ENOMEM;
	access = g_new0(struct iommufd_access, 1);
	rc = iommufd_object_alloc(ictx, &access->obj, IOMMUFD_OBJ_ACCESS, access_destroy);
	if (rc) {
		g_free(access);
		return rc;
	}
	access->ops = ops;
	access->data = data;
	access->iova_alignment = ops->needs_pin_pages ? PAGE_SIZE : 1;
	/* the driver is a user until iommufd_access_destroy; the access holds
	 * the context */
	access->obj.users++;
	iommufd_ctx_get(ictx);
	iommufd_object_finalize(&access->obj);
	*out = access;
	*id = access->obj.id;
	return 0;
}

void iommufd_access_destroy(struct iommufd_access *access)
{
	access->obj.users--;
	iommufd_object_destroy_user(&access->obj);
}

/* iommufd_access_change_ioas: onto @ioas (NULL: detach).  No new pins
 * while it moves; the driver is told to unpin everything from the old IOAS
 * (unmap of 0..ULONG_MAX) before the access leaves it. */
static int change_ioas(struct iommufd_access *access, struct iommufd_ioas *ioas)
{
	struct iommufd_ioas *cur = access->ioas;
	int rc;

	if (cur != access->ioas_unpin)
		return -EBUSY;
	if (cur == ioas)
		return 0;
	access->ioas = NULL;
	if (ioas) {
		rc = iopt_add_access(&ioas->iopt, access);
		if (rc) {
			access->ioas = cur;
			return rc;
		}
		ioas->obj.users++;
	}
	if (cur) {
		if (access->ops->unmap)
			access->ops->unmap(access->data, 0, UINT64_MAX);
		iopt_remove_access(&cur->iopt, access);
		cur->obj.users--;
	}
	access->ioas = ioas;
	access->ioas_unpin = ioas;
	return 0;
}

static int change_ioas_id(struct iommufd_access *access, uint32_t ioas_id)
{
	struct iommufd_object *obj = iommufd_get_object(access->obj.ictx, ioas_id,
							IOMMUFD_OBJ_IOAS);
	int rc;

	if (!obj)
		return -ENOENT;
	rc = change_ioas(access, (struct iommufd_ioas *)obj);
	iommufd_put_object(obj);
	return rc;
}

int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id)
{
	if (access->ioas)
		return -EINVAL;
	return change_ioas_id(access, ioas_id);
}

int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id)
{
	if (!access->ioas)
		return -ENOENT;
	return change_ioas_id(access, ioas_id);
}

void iommufd_access_detach(struct iommufd_access *access)
{
	change_ioas(access, NULL);
}

void iommufd_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova, uint64_t length)
{
	/* the list may change under a driver's unmap: walk a snapshot */
	GPtrArray *snap = g_ptr_array_new();

	for (unsigned i = 0; i < iopt->accesses->len; i++) {
		struct iommufd_access *a = g_ptr_array_index(iopt->accesses, i);

		a->obj.users++;    /* iommufd_lock_obj */
		g_ptr_array_add(snap, a);
	}
	for (unsigned i = 0; i < snap->len; i++) {
		struct iommufd_access *a = g_ptr_array_index(snap, i);

		if (a->ops->unmap)
			a->ops->unmap(a->data, iova, length);
		iommufd_put_object(&a->obj);
	}
	g_ptr_array_free(snap, TRUE);
}

/* ---- pins (iopt_area_add_access / iopt_area_remove_access) ---- */

static struct iopt_access_pin *find_pin(struct iopt_pages *pages, uint64_t first,
					uint64_t last, unsigned *idx)
{
	for (unsigned i = 0; pages->access_pins && i < pages->access_pins->len; i++) {
		struct iopt_access_pin *ap = &g_array_index(pages->access_pins,
							    struct iopt_access_pin, i);

		if (ap->first == first && ap->last == last) {
			if (idx)
				*idx = i;
			return ap;
		}
	}
	return NULL;
}

static int area_add_access(struct iopt_area *a, uint64_t first, uint64_t last, uint64_t *hpas)
{
	struct iopt_pages *pages = a->pages;
	struct iopt_access_pin *ap = find_pin(pages, first, last, NULL);
	int rc;

	if (ap) {
		ap->users++;
	} else {
		if (sim_should_fail(pages->mm->w, "iopt_pages_access_alloc"))
			return -ENOMEM;
		rc = iopt_pages_pin(pages, first, last);
		if (rc)
			return rc;
		if (!pages->access_pins)
			pages->access_pins = g_array_new(FALSE, FALSE, sizeof(struct iopt_access_pin));
		g_array_append_val(pages->access_pins,
				   ((struct iopt_access_pin){ .first = first, .last = last,
							      .users = 1 }));
	}
	for (uint64_t i = first; hpas && i <= last; i++)
		hpas[i - first] = iopt_pages_hpa(pages, i);
	a->num_accesses++;
	return 0;
}

static void area_remove_access(struct iopt_area *a, uint64_t first, uint64_t last)
{
	struct iopt_pages *pages = a->pages;
	unsigned idx;
	struct iopt_access_pin *ap = find_pin(pages, first, last, &idx);

	if (!ap || !a->num_accesses)
		return;   /* unpinning what was never pinned: the kernel WARNs */
	a->num_accesses--;
	if (--ap->users)
		return;
	g_array_remove_index(pages->access_pins, idx);
	iopt_pages_unpin(pages, first, last);
}

static uint64_t area_index(const struct iopt_area *a, uint64_t iova)
{
	return (a->start_byte + (iova - a->iova)) / PAGE_SIZE;
}

/*
 * iopt_for_each_contig_area: the areas covering [iova, last] one after
 * another; @fn on each piece; -ENOENT when they do not reach @last.
 */
typedef int (*contig_fn)(struct iopt_area *a, uint64_t from, uint64_t to, void *ctx);

static int for_each_contig(struct io_pagetable *iopt, uint64_t iova, uint64_t last,
			   contig_fn fn, void *ctx)
{
	uint64_t cur = iova;
	struct iopt_area *a;

	while ((a = iopt_area_at(iopt, cur))) {
		uint64_t to = a->last < last ? a->last : last;
		int rc = fn(a, cur, to, ctx);

		if (rc)
			return rc;
		if (to == last)
			return 0;
		cur = to + 1;
	}
	return -ENOENT;
}

struct pin_ctx {
	uint64_t last;               /* the request's last IOVA */
	uint64_t *hpas;
	unsigned flags;
	uint64_t done_to;            /* last IOVA pinned, for the unwind */
	bool any;
};

static bool area_prot_ok(const struct iopt_area *a, unsigned flags)
{
	return (flags & IOMMUFD_ACCESS_RW_WRITE) ? (a->prot & IOMMU_WRITE) : (a->prot & IOMMU_READ);
}

static int pin_piece(struct iopt_area *a, uint64_t from, uint64_t to, void *ctx)
{
	struct pin_ctx *pc = ctx;
	uint64_t first = area_index(a, from), last = area_index(a, to);
	int rc;

	/* iopt_area_contig_is_aligned: every piece page aligned */
	if (a->prevent_access || ((a->start_byte + (from - a->iova)) % PAGE_SIZE) ||
	    (to != pc->last &&
	     (a->start_byte + (a->last - a->iova)) % PAGE_SIZE != PAGE_SIZE - 1))
		return -EINVAL;
	if (!area_prot_ok(a, pc->flags))
		return -EPERM;
	rc = area_add_access(a, first, last, pc->hpas);
	if (rc)
		return rc;
	pc->hpas += last - first + 1;
	pc->done_to = to;
	pc->any = true;
	return 0;
}

static int unpin_piece(struct iopt_area *a, uint64_t from, uint64_t to, void *ctx)
{
	(void)ctx;
	area_remove_access(a, area_index(a, from), area_index(a, to));
	return 0;
}

int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova, uint64_t length,
			     uint64_t *hpas, unsigned flags)
{
	struct pin_ctx pc = { .hpas = hpas, .flags = flags };
	uint64_t last;
	int rc;

	if (access->iova_alignment != PAGE_SIZE || !access->ops->unmap)
		return -EINVAL;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	pc.last = last;
	if (!access->ioas)
		return -ENOENT;
	rc = for_each_contig(&access->ioas->iopt, iova, last, pin_piece, &pc);
	if (rc && pc.any)
		for_each_contig(&access->ioas->iopt, iova, pc.done_to, unpin_piece, NULL);
	return rc;
}

void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova, uint64_t length)
{
	uint64_t last;

	if (!length || __builtin_add_overflow(iova, length - 1, &last) || !access->ioas_unpin)
		return;
	for_each_contig(&access->ioas_unpin->iopt, iova, last, unpin_piece, NULL);
}

/* ---- rw (iopt_pages_rw_access) ---- */

struct rw_ctx {
	uint8_t *data;
	unsigned flags;
};

static int rw_piece(struct iopt_area *a, uint64_t from, uint64_t to, void *ctx)
{
	struct rw_ctx *rc = ctx;
	struct iopt_pages *pages = a->pages;
	uint64_t byte = a->start_byte + (from - a->iova), n = to - from + 1;
	bool write = rc->flags & IOMMUFD_ACCESS_RW_WRITE;

	if (a->prevent_access)
		return -EINVAL;
	if (!area_prot_ok(a, rc->flags))
		return -EPERM;
	if (write && !pages->writable)
		return -EPERM;
	while (n) {
		uint64_t idx = byte / PAGE_SIZE, off = byte % PAGE_SIZE;
		uint64_t chunk = PAGE_SIZE - off < n ? PAGE_SIZE - off : n;
		uint64_t hpa = iopt_pages_hpa(pages, idx);
		int err;

		/* a pinned page through its frame, another through the mm */
		if (hpa)
			err = write ? sim_mem_write(pages->mm->w, hpa + off, rc->data, chunk)
				    : sim_mem_read(pages->mm->w, hpa + off, rc->data, chunk);
		else if (!sim_mm_alive(pages->mm))
			err = -EFAULT;
		else
			err = write ? sim_mm_copy_to(pages->mm, pages->uptr + byte, rc->data, chunk)
				    : sim_mm_copy_from(pages->mm, rc->data, pages->uptr + byte, chunk);
		if (err)
			return -EFAULT;
		rc->data += chunk;
		byte += chunk;
		n -= chunk;
	}
	return 0;
}

int iommufd_access_rw(struct iommufd_access *access, uint64_t iova, void *data, size_t len,
		      unsigned flags)
{
	struct rw_ctx rc = { .data = data, .flags = flags };
	uint64_t last;

	if (!len)
		return -EINVAL;
	if (__builtin_add_overflow(iova, len - 1, &last))
		return -EOVERFLOW;
	if (!access->ioas)
		return -ENOENT;
	return for_each_contig(&access->ioas->iopt, iova, last, rw_piece, &rc);
}
