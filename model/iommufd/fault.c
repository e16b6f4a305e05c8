/* SPDX-License-Identifier: MIT */
/*
 * Fault queues (drivers/iommu/iommufd/fault.c, since 6.11): a FAULT object
 * and an anonymous fd ("[iommufd-pgfault]") through which a VMM reads the
 * I/O page faults of the HWPTs made with it (struct iommu_hwpt_pgfault,
 * whole groups) and writes its responses (struct iommu_hwpt_page_response,
 * by cookie).  The fd is a stream (pread/pwrite ESPIPE), holds the object
 * (DESTROY is EBUSY while it is open) and the context.
 *
 * What fills the queue — a device's page request routed to a HWPT's
 * handler — is the I/O page fault layer (the SVA/PRI and nesting work);
 * here the queue, the file protocol and the object's lifetime are built.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/file.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"

struct iommufd_fault {
	struct iommufd_object obj;
	GQueue deliver;              /* struct iommu_hwpt_pgfault *, not yet read */
	GArray *response;            /* cookies read and not yet answered */
	struct sim_file *file;
};

static void fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault = (struct iommufd_fault *)obj;

	g_queue_clear_full(&fault->deliver, g_free);
	g_array_free(fault->response, TRUE);
	g_free(fault);
}

/* iommufd_fault_fops_read: whole records only, none when empty (no wait) */
static long fault_read(struct sim_file *f, struct sim_proc *p, void *buf, size_t n,
		       uint64_t off)
{
	struct iommufd_fault *fault = f->private_data;
	size_t done = 0;

	(void)p;
	if (off || n % sizeof(struct iommu_hwpt_pgfault))
		return -ESPIPE;
	while (done + sizeof(struct iommu_hwpt_pgfault) <= n && !g_queue_is_empty(&fault->deliver)) {
		struct iommu_hwpt_pgfault *rec = g_queue_pop_head(&fault->deliver);

		memcpy((uint8_t *)buf + done, rec, sizeof(*rec));
		g_array_append_val(fault->response, rec->cookie);
		done += sizeof(*rec);
		g_free(rec);
	}
	return (long)done;
}

/* iommufd_fault_fops_write: responses by cookie; an unknown cookie stops
 * with EINVAL (what was answered before it stays answered) */
static long fault_write(struct sim_file *f, struct sim_proc *p, const void *buf, size_t n,
			uint64_t off)
{
	struct iommufd_fault *fault = f->private_data;
	size_t done = 0;

	(void)p;
	if (off || n % sizeof(struct iommu_hwpt_page_response))
		return -ESPIPE;
	while (done < n) {
		struct iommu_hwpt_page_response r;
		unsigned i;

		memcpy(&r, (const uint8_t *)buf + done, sizeof(r));
		for (i = 0; i < fault->response->len; i++)
			if (g_array_index(fault->response, uint32_t, i) == r.cookie)
				break;
		if (i == fault->response->len)
			return done ? (long)done : -EINVAL;
		g_array_remove_index(fault->response, i);
		done += sizeof(r);
	}
	return (long)done;
}

/* iommufd_fault_fops_release: the fd's hold on the object and context */
static void fault_release(struct sim_file *f)
{
	struct iommufd_fault *fault = f->private_data;
	struct iommufd_ctx *ictx = fault->obj.ictx;

	fault->file = NULL;
	g_array_set_size(fault->response, 0);   /* answered INVALID automatically */
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
	fault->response = g_array_new(FALSE, FALSE, sizeof(uint32_t));
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
