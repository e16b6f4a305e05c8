/* SPDX-License-Identifier: MIT */
/*
 * Fault queues (drivers/iommu/iommufd/fault.c, since 6.11): a FAULT object
 * and an anonymous fd ("[iommufd-pgfault]") through which a VMM reads the
 * I/O page faults of the HWPTs made with it (struct iommu_hwpt_pgfault,
 * whole groups) and writes its responses (struct iommu_hwpt_page_response,
 * by cookie).  The fd is a stream (pread/pwrite ESPIPE), holds the object
 * (DESTROY is EBUSY while it is open) and the context.
 *
 * A HWPT made with the queue takes the I/O page faults of the devices
 * attached to it (iommufd_fault_iopf_handler: the whole group, answered
 * later); read hands out whole groups, each given its cookie then (the
 * lowest free from 1), one record per page; write answers a group by
 * cookie (SUCCESS or INVALID).  Whatever is left unanswered is answered
 * INVALID when the object is destroyed, and a device's groups when it is
 * detached or moved (iommufd_fault_auto_response).  §H23: a cookie answers
 * one group once, and none is left for a detached device.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/file.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/io_pgfault.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"

/* A group the queue holds: the core's, the device it came from, its
 * cookie once read. */
struct fault_group {
	struct iopf_group *g;
	struct iommufd_device *idev;
	uint32_t cookie;
};

struct iommufd_fault {
	struct iommufd_object obj;
	GQueue deliver;              /* struct fault_group *, not yet read */
	GPtrArray *response;         /* struct fault_group *, read, by cookie */
	struct sim_file *file;
};

static void answer(struct fault_group *fg, uint8_t code)
{
	iopf_group_response(fg->g, code);
	iopf_group_free(fg->g);
	g_free(fg);
}

/* iommufd_fault_destroy: every group not answered gets INVALID */
static void fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault = (struct iommufd_fault *)obj;
	struct fault_group *fg;

	while ((fg = g_queue_pop_head(&fault->deliver)))
		answer(fg, IOMMU_PAGE_RESP_INVALID);
	for (guint i = 0; i < fault->response->len; i++)
		answer(g_ptr_array_index(fault->response, i), IOMMU_PAGE_RESP_INVALID);
	g_ptr_array_free(fault->response, TRUE);
	g_free(fault);
}

void iommufd_fault_deliver(struct iommufd_object *obj, struct iommufd_device *idev,
			   struct iopf_group *g)
{
	struct iommufd_fault *fault = (struct iommufd_fault *)obj;
	struct fault_group *fg = g_new0(struct fault_group, 1);

	fg->g = g;
	fg->idev = idev;
	g_queue_push_tail(&fault->deliver, fg);
}

/* The attachment a group came in through: its PASID, or the RID's. */
static uint32_t group_pasid(const struct fault_group *fg)
{
	return fg->g->pasid_valid ? fg->g->pasid : IOMMU_NO_PASID;
}

void iommufd_fault_auto_response(struct iommufd_object *obj, struct iommufd_device *idev,
				 uint32_t pasid)
{
	struct iommufd_fault *fault = (struct iommufd_fault *)obj;

	for (GList *l = fault->deliver.head; l;) {
		GList *next = l->next;
		struct fault_group *fg = l->data;

		if (fg->idev == idev && group_pasid(fg) == pasid) {
			g_queue_delete_link(&fault->deliver, l);
			answer(fg, IOMMU_PAGE_RESP_INVALID);
		}
		l = next;
	}
	for (guint i = 0; i < fault->response->len;) {
		struct fault_group *fg = g_ptr_array_index(fault->response, i);

		if (fg->idev == idev && group_pasid(fg) == pasid) {
			g_ptr_array_remove_index(fault->response, i);
			answer(fg, IOMMU_PAGE_RESP_INVALID);
		} else {
			i++;
		}
	}
}

int iommufd_fault_check(const struct iommufd_object *obj, GString *out)
{
	const struct iommufd_fault *fault = (const struct iommufd_fault *)obj;
	int bad = 0;

	for (guint i = 0; i < fault->response->len; i++) {
		const struct fault_group *fg = g_ptr_array_index(fault->response, i);
		const struct fault_group *next = i + 1 < fault->response->len ?
			g_ptr_array_index(fault->response, i + 1) : NULL;

		if (!fg->cookie || (next && next->cookie <= fg->cookie)) {
			g_string_append_printf(out, "§H23: fault queue %u: cookie %u is not one "
					       "group's own\n", obj->id, fg->cookie);
			bad++;
		}
		if (!iommufd_device_on_fault(fg->idev, group_pasid(fg), obj)) {
			g_string_append_printf(out, "§H23: fault queue %u: cookie %u is left for "
					       "device %u, no longer attached to a HWPT of the queue\n",
					       obj->id, fg->cookie, fg->idev->obj.id);
			bad++;
		}
	}
	for (const GList *l = fault->deliver.head; l; l = l->next) {
		const struct fault_group *fg = l->data;

		if (!iommufd_device_on_fault(fg->idev, group_pasid(fg), obj)) {
			g_string_append_printf(out, "§H23: fault queue %u: an unread group is left "
					       "for device %u, no longer attached to a HWPT of the "
					       "queue\n", obj->id, fg->idev->obj.id);
			bad++;
		}
	}
	return bad;
}

/* The lowest cookie from 1 no read group has (xa_alloc, XA_FLAGS_ALLOC1),
 * and where it goes in the sorted list. */
static uint32_t cookie_alloc(struct iommufd_fault *fault, guint *at)
{
	uint32_t c = 1;
	guint i;

	for (i = 0; i < fault->response->len; i++, c++)
		if (((struct fault_group *)g_ptr_array_index(fault->response, i))->cookie != c)
			break;
	*at = i;
	return c;
}

/* iommufd_fault_fops_read: whole groups only, while they fit, each given
 * its cookie; none when empty (no wait) */
static long fault_read(struct sim_file *f, struct sim_proc *p, void *buf, size_t n,
		       uint64_t off)
{
	struct iommufd_fault *fault = f->private_data;
	size_t done = 0;

	(void)p;
	if (off || n % sizeof(struct iommu_hwpt_pgfault))
		return -ESPIPE;
	while (!g_queue_is_empty(&fault->deliver)) {
		struct fault_group *fg = g_queue_peek_head(&fault->deliver);
		size_t need = fg->g->reqs->len * sizeof(struct iommu_hwpt_pgfault);
		guint at;

		if (done >= n || need > n - done)
			break;
		g_queue_pop_head(&fault->deliver);
		fg->cookie = cookie_alloc(fault, &at);
		g_ptr_array_insert(fault->response, (gint)at, fg);
		for (guint i = 0; i < fg->g->reqs->len; i++) {
			const struct iommu_page_req *r =
				&g_array_index(fg->g->reqs, struct iommu_page_req, i);
			struct iommu_hwpt_pgfault rec = {
				.flags = (r->pasid_valid ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0) |
					 (r->last ? IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0),
				.dev_id = fg->idev->obj.id,
				.pasid = r->pasid_valid ? r->pasid : 0,
				.grpid = r->prgi,
				.perm = (r->read ? IOMMU_PGFAULT_PERM_READ : 0) |
					(r->write ? IOMMU_PGFAULT_PERM_WRITE : 0),
				.addr = r->addr,
				.cookie = fg->cookie,
			};

			memcpy((uint8_t *)buf + done, &rec, sizeof(rec));
			done += sizeof(rec);
		}
	}
	return (long)done;
}

/* iommufd_fault_fops_write: responses by cookie, SUCCESS or INVALID only;
 * a bad code or an unknown cookie stops with EINVAL (what was answered
 * before it stays answered) */
static long fault_write(struct sim_file *f, struct sim_proc *p, const void *buf, size_t n,
			uint64_t off)
{
	struct iommufd_fault *fault = f->private_data;
	size_t done = 0;
	long rc = 0;

	(void)p;
	if (off || n % sizeof(struct iommu_hwpt_page_response))
		return -ESPIPE;
	while (done < n) {
		struct iommu_hwpt_page_response r;
		struct fault_group *fg = NULL;
		guint i;

		memcpy(&r, (const uint8_t *)buf + done, sizeof(r));
		if (r.code != IOMMUFD_PAGE_RESP_SUCCESS && r.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		for (i = 0; i < fault->response->len && !fg; i++)
			if (((struct fault_group *)g_ptr_array_index(fault->response, i))->cookie ==
			    r.cookie)
				fg = g_ptr_array_index(fault->response, i);
		if (!fg) {
			rc = -EINVAL;
			break;
		}
		g_ptr_array_remove(fault->response, fg);
		answer(fg, (uint8_t)r.code);
		done += sizeof(r);
	}
	return done ? (long)done : rc;
}

/* iommufd_fault_fops_release: the fd's hold on the object and context */
static void fault_release(struct sim_file *f)
{
	struct iommufd_fault *fault = f->private_data;
	struct iommufd_ctx *ictx = fault->obj.ictx;

	fault->file = NULL;
	fault->obj.users--;
	iommufd_ctx_put(ictx);
}

static const struct sim_file_ops fault_fops = {
	.name = "[iommufd-pgfault]",
	.read = fault_read,
	.write = fault_write,
	.release = fault_release,
	.stream = true,
};

bool iommufd_fault_file_open(const struct iommufd_object *obj)
{
	return ((const struct iommufd_fault *)obj)->file != NULL;
}

/* iommufd_fault_alloc (IOMMU_FAULT_QUEUE_ALLOC) */
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct iommufd_fault *fault;
	int rc, fd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (sim_should_fail(ucmd->ictx->w, "iommufd_fault_alloc"))
		return -ENOMEM;
	fault = g_new0(struct iommufd_fault, 1);
	rc = iommufd_object_alloc(ucmd->ictx, &fault->obj, IOMMUFD_OBJ_FAULT, fault_destroy);
	if (rc) {
		g_free(fault);
		return rc;
	}
	g_queue_init(&fault->deliver);
	fault->response = g_ptr_array_new();
	fault->file = sim_file_new(ucmd->ictx->w, &fault_fops, fault, O_RDWR, "[iommufd-pgfault]");
	if (!fault->file) {
		iommufd_object_abort(&fault->obj);
		return -ENOMEM;
	}
	fault->obj.users++;
	iommufd_ctx_get(ucmd->ictx);
	fd = sim_fd_install(ucmd->p, fault->file, true);
	if (fd < 0) {
		rc = fd;
		goto out_fput;
	}
	cmd->out_fault_id = fault->obj.id;
	cmd->out_fault_fd = (uint32_t)fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		sim_fd_close(ucmd->p, fd);
		goto out_fput;
	}
	sim_file_put(fault->file);    /* the descriptor holds it now */
	iommufd_object_finalize(&fault->obj);
	return 0;

out_fput:
	sim_file_put(fault->file);
	iommufd_object_abort(&fault->obj);
	return rc;
}
