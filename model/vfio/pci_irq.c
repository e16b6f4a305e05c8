/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci interrupts: GET_IRQ_INFO and SET_IRQS (INTx, MSI, MSI-X, ERR,
 * REQ), validated exactly as vfio_set_irqs_validate_and_prepare does and
 * dispatched as vfio_pci_set_irqs_ioctl does: which index is enabled, each
 * vector's eventfd, INTx masking.
 *
 * Delivery: a function with a device model (model/pci/devmodel.h) raises
 * INTx and sends MSIs, and this file signals the trigger as vfio-pci's
 * handlers do.  INTx (vfio_intx_handler, an exclusive line with DisINTx):
 * when the line rises while INTx is enabled with a trigger and not masked,
 * it is masked and the eventfd signalled once; it stays masked (automask)
 * until VFIO_IRQ_SET_ACTION_UNMASK, which signals again, staying masked,
 * when the line is still up (pci_check_and_unmask_intx finds the interrupt
 * pending), and unmasks otherwise.  A line already up when INTx is enabled
 * is not delivered (Linux 6.1 and 6.12 on QEMU: the next rise is).  MSI
 * (vfio_msihandler): each message signals its vector's eventfd.  MSI-X: the
 * host kernel owns the table; an entry is unmasked while its vector has an
 * eventfd (request_irq) and masked otherwise (free_irq), so a message to a
 * vector without one waits as a pending bit in the function's PBA until
 * the vector gets one.  The loopback triggers (DATA_NONE / DATA_BOOL)
 * signal too.
 *
 * A trigger is an eventfd (sim/eventfd.h), taken as eventfd_ctx_fdget
 * takes it: a closed fd is -EBADF, an open fd that is no eventfd -EINVAL,
 * -1 clears; the trigger holds a reference to the eventfd, so closing the
 * fd does not end it.  The INTx unmask eventfd is a virqfd
 * (vfio_virqfd_enable: -EBUSY while one is set): a write to it unmasks,
 * its count consumed.
 *
 * MSI and MSI-X enable are the device's: SET_IRQS sets and clears them in
 * the function's config space (pci_alloc_irq_vectors), where a device
 * model looks before it sends a message and where vfio-pci's config
 * region shows MSI-X's.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/eventfd.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/devmodel.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

/* A trigger signalled (next to the others in vfio.h's list in spirit). */
#define TP_vfio_pci_irq_signal "dev=%s index=%u vector=%u"

struct irq_req {
	struct sim_proc *p;
	unsigned index, start, count;
	uint32_t flags;
	const uint8_t *data;
};

/* Point trigger @i of @index at the caller's @fd (-1: none), holding the
 * file when it is an eventfd and letting go of the previous one. */
static void trig_set(struct vfio_pci_device *vdev, struct sim_proc *p, unsigned index,
		     unsigned i, int32_t fd)
{
	struct sim_file **slot = &vdev->trigger_files[index][i];
	struct sim_file *f = fd >= 0 && p ? sim_fd_get(p, fd) : NULL;

	if (*slot)
		sim_file_put(*slot);
	*slot = sim_file_is_eventfd(f) ? sim_file_get(f) : NULL;
	vdev->triggers[index][i] = *slot ? fd : -1;
	/* vfio_msi_set_vector_signal: request_irq unmasks the entry in the
	 * MSI-X table (a message pending in the PBA is delivered now), free_irq
	 * masks it */
	if (index == VFIO_PCI_MSIX_IRQ_INDEX)
		pci_devmodel_msix_mask(vdev->pdev, i, !*slot);
}

static void trig_free(struct vfio_pci_device *vdev, unsigned index)
{
	for (unsigned i = 0; i < vdev->ntriggers[index]; i++)
		if (vdev->trigger_files[index][i])
			sim_file_put(vdev->trigger_files[index][i]);
	g_free(vdev->triggers[index]);
	g_free(vdev->trigger_files[index]);
	vdev->triggers[index] = NULL;
	vdev->trigger_files[index] = NULL;
	vdev->ntriggers[index] = 0;
}

static void trig_alloc(struct vfio_pci_device *vdev, unsigned index, unsigned n)
{
	trig_free(vdev, index);
	vdev->triggers[index] = g_new(int32_t, n ? n : 1);
	vdev->trigger_files[index] = g_new0(struct sim_file *, n ? n : 1);
	for (unsigned i = 0; i < n; i++)
		vdev->triggers[index][i] = -1;
	vdev->ntriggers[index] = n;
}

/* eventfd_signal on trigger @i of @index, if it is an eventfd. */
static void trig_signal(struct vfio_pci_device *vdev, unsigned index, unsigned i)
{
	if (i < vdev->ntriggers[index] && vdev->trigger_files[index][i]) {
		SIM_TRACE(vdev->vfio->w, vfio_pci_irq_signal, vdev->pdev->name, index, i);
		sim_eventfd_signal(vdev->trigger_files[index][i], 1);
	}
}

/* vfio_pci_core_request: relay the unbind's request to the user through
 * the REQ eventfd; with none set the kernel notes that the unbind blocks
 * until the user lets go ("No device request channel registered"). */
bool vfio_pci_core_request(struct vfio_pci_device *vdev, unsigned count)
{
	bool relay = vdev->ntriggers[VFIO_PCI_REQ_IRQ_INDEX] &&
		     vdev->trigger_files[VFIO_PCI_REQ_IRQ_INDEX][0];

	SIM_TRACE(vdev->vfio->w, vfio_pci_request, vdev->pdev->name, count,
		  relay ? "eventfd" : "none");   /* none: blocked until released by user */
	if (relay)
		trig_signal(vdev, VFIO_PCI_REQ_IRQ_INDEX, 0);
	return relay;
}

static void intx_unmask_wakeup(struct sim_file *f, void *ctx);

/* pci_restore_msi_state after a reset: each MSI-X entry's mask bit as the
 * kernel had programmed it (unmasked where a vector has an eventfd). */
void vfio_pci_msix_restore(struct vfio_pci_device *vdev)
{
	const unsigned x = VFIO_PCI_MSIX_IRQ_INDEX;
	bool on = vdev->irq_type == (int)x;

	for (unsigned i = 0; i < vdev->pdev->msix_vectors; i++)
		pci_devmodel_msix_mask(vdev->pdev, i, !(on && i < vdev->ntriggers[x] &&
							 vdev->trigger_files[x][i]));
}

/* Stop watching the INTx unmask eventfd (vfio_virqfd_disable). */
static void unmask_virqfd_disable(struct vfio_pci_device *vdev)
{
	if (!vdev->intx_unmask_file)
		return;
	sim_eventfd_unwatch(vdev->intx_unmask_file, intx_unmask_wakeup, vdev);
	sim_file_put(vdev->intx_unmask_file);
	vdev->intx_unmask_file = NULL;
}

/* Disable INTx/MSI/MSI-X and drop every trigger (last close, unbind). */
void vfio_pci_irqs_disable(struct vfio_pci_device *vdev)
{
	unmask_virqfd_disable(vdev);
	for (unsigned i = 0; i < VFIO_PCI_NUM_IRQS; i++)
		trig_free(vdev, i);
	for (unsigned i = 0; i < vdev->pdev->msix_vectors; i++)
		pci_devmodel_msix_mask(vdev->pdev, i, true);   /* pci_free_irq_vectors */
	vdev->irq_type = -1;
	vdev->intx_masked = false;
	pci_config_msi_enable(vdev->pdev, false, 0);
	pci_config_msix_enable(vdev->pdev, false);
}

/* ---- delivery: the device model's interrupts --------------------------------- */

static bool intx_has_handler(const struct vfio_pci_device *vdev)
{
	return vdev->irq_type == VFIO_PCI_INTX_IRQ_INDEX &&
	       vdev->ntriggers[VFIO_PCI_INTX_IRQ_INDEX] &&
	       vdev->triggers[VFIO_PCI_INTX_IRQ_INDEX][0] >= 0;
}

/* vfio_intx_handler: a rising line on an unmasked INTx masks it and
 * signals the trigger; a falling line is nothing to the kernel. */
static void sink_intx(void *ctx, struct pci_dev *d, bool level)
{
	struct vfio_pci_device *vdev = ctx;

	if (!level || !intx_has_handler(vdev) || vdev->intx_masked)
		return;
	vdev->intx_masked = true;
	trig_signal(vdev, VFIO_PCI_INTX_IRQ_INDEX, 0);
}

/* vfio_msihandler: the vector's eventfd. */
static void sink_msi(void *ctx, struct pci_dev *d, unsigned vector)
{
	struct vfio_pci_device *vdev = ctx;

	if (vdev->irq_type == VFIO_PCI_MSI_IRQ_INDEX)
		trig_signal(vdev, VFIO_PCI_MSI_IRQ_INDEX, vector);
}

/* An MSI-X message reaches a vector only while its entry is unmasked,
 * which is while vfio-pci has an eventfd on it (trig_set). */
static void sink_msix(void *ctx, struct pci_dev *d, unsigned vector)
{
	struct vfio_pci_device *vdev = ctx;

	if (vdev->irq_type == VFIO_PCI_MSIX_IRQ_INDEX)
		trig_signal(vdev, VFIO_PCI_MSIX_IRQ_INDEX, vector);
}

void vfio_pci_irqs_attach(struct vfio_pci_device *vdev)
{
	struct pci_irq_sink sink = { .intx = sink_intx, .msi = sink_msi, .msix = sink_msix,
				     .ctx = vdev };

	pci_devmodel_set_sink(vdev->pdev, &sink);
}

void vfio_pci_irqs_detach(struct vfio_pci_device *vdev)
{
	pci_devmodel_set_sink(vdev->pdev, NULL);
}

/* eventfd_ctx_fdget for @fd >= 0: a closed fd -> EBADF, a file that is no
 * eventfd -> EINVAL (eventfd_ctx_fileget). */
static int check_fd(struct sim_proc *p, int32_t fd)
{
	struct sim_file *f;

	if (fd < 0)
		return 0;
	f = sim_fd_get(p, fd);
	if (!f)
		return -EBADF;
	return sim_file_is_eventfd(f) ? 0 : -EINVAL;
}

static int32_t fd_at(const struct irq_req *r, unsigned i)
{
	int32_t fd;

	memcpy(&fd, r->data + 4 * i, sizeof(fd));
	return fd;
}

/* ---- INTx -------------------------------------------------------------------- */

/* vfio_send_intx_eventfd */
static void intx_send(struct vfio_pci_device *vdev)
{
	if (vdev->irq_type == VFIO_PCI_INTX_IRQ_INDEX)
		trig_signal(vdev, VFIO_PCI_INTX_IRQ_INDEX, 0);
}

/* __vfio_pci_intx_mask / __vfio_pci_intx_unmask: unmasking a line that is
 * still up re-sends the interrupt and stays masked; nothing unmasks while
 * the user's INTx-disable bit is set in the config space. */
static void intx_set_masked(struct vfio_pci_device *vdev, bool mask)
{
	const struct pci_dev *d = vdev->pdev;
	bool pending = pci_dev_has_irq_state(d) && d->model_state->intx_level;

	if (vdev->irq_type != VFIO_PCI_INTX_IRQ_INDEX)
		return;
	if (mask) {
		vdev->intx_masked = true;
	} else if (vdev->intx_masked && !vdev->virq_disabled) {
		vdev->intx_masked = pending;
		if (pending)
			intx_send(vdev);
	}
}

void vfio_pci_intx_mask(struct vfio_pci_device *vdev)
{
	intx_set_masked(vdev, true);
}

void vfio_pci_intx_unmask(struct vfio_pci_device *vdev)
{
	intx_set_masked(vdev, false);
}

/* virqfd_wakeup on the unmask eventfd: the count is consumed, then
 * vfio_pci_intx_unmask_handler (and vfio_send_intx_eventfd when the line
 * is still up). */
static void intx_unmask_wakeup(struct sim_file *f, void *ctx)
{
	struct vfio_pci_device *vdev = ctx;

	sim_eventfd_take(f);
	intx_set_masked(vdev, false);
}

/* vfio_virqfd_enable for the unmask eventfd: -EBADF, -EINVAL (no
 * eventfd), -EBUSY while one is set; an eventfd already signalled unmasks
 * at once (without consuming its count). */
static int unmask_virqfd_enable(struct vfio_pci_device *vdev, struct sim_proc *p, int32_t fd)
{
	struct sim_file *f;
	int ret = check_fd(p, fd);

	if (ret)
		return ret;
	if (vdev->intx_unmask_file)
		return -EBUSY;
	f = sim_fd_get(p, fd);
	vdev->intx_unmask_file = sim_file_get(f);
	sim_eventfd_watch(f, intx_unmask_wakeup, vdev);
	if (sim_eventfd_count(f))
		intx_set_masked(vdev, false);
	return 0;
}

static int intx_mask(struct vfio_pci_device *vdev, const struct irq_req *r, bool mask)
{
	if (vdev->irq_type != VFIO_PCI_INTX_IRQ_INDEX || r->start != 0 || r->count != 1)
		return -EINVAL;
	if (r->flags & VFIO_IRQ_SET_DATA_NONE)
		intx_set_masked(vdev, mask);
	else if (r->flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (r->data[0])
			intx_set_masked(vdev, mask);
	} else if (mask) {
		return -ENOTTY;       /* masking through an eventfd: not in the kernel */
	} else if (fd_at(r, 0) >= 0) {
		return unmask_virqfd_enable(vdev, r->p, fd_at(r, 0));
	} else {
		unmask_virqfd_disable(vdev);
	}
	return 0;
}

static int intx_trigger(struct vfio_pci_device *vdev, const struct irq_req *r)
{
	bool is_intx = vdev->irq_type == VFIO_PCI_INTX_IRQ_INDEX;
	int ret;

	if (is_intx && !r->count && (r->flags & VFIO_IRQ_SET_DATA_NONE)) {
		vfio_pci_irqs_disable(vdev);
		return 0;
	}
	if (!(is_intx || vdev->irq_type < 0) || r->start != 0 || r->count != 1)
		return -EINVAL;
	if (r->flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		ret = check_fd(r->p, fd_at(r, 0));
		if (ret)
			return ret;
		if (!is_intx) {
			/* vfio_intx_enable: masked from the start while the
			 * user's INTx-disable bit is set */
			trig_alloc(vdev, VFIO_PCI_INTX_IRQ_INDEX, 1);
			vdev->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
			vdev->intx_masked = vdev->virq_disabled;
		}
		trig_set(vdev, r->p, VFIO_PCI_INTX_IRQ_INDEX, 0, fd_at(r, 0));
		return 0;
	}
	if (!is_intx)
		return -EINVAL;
	/* NONE/BOOL: a loopback trigger */
	if ((r->flags & VFIO_IRQ_SET_DATA_NONE) || r->data[0])
		intx_send(vdev);
	return 0;
}

/* ---- MSI / MSI-X -------------------------------------------------------------- */

/*
 * Linux 6.1 sizes MSI and MSI-X alike at enable (num_ctx = start + count)
 * and refuses any block beyond; since the dynamic MSI-X series (v6.5,
 * "vfio/pci: Support dynamic MSI-X"), an MSI-X vector is allocated when it
 * is first given an eventfd (vfio_msi_alloc_irq), up to the table's size,
 * and GET_IRQ_INFO drops NORESIZE for MSI-X (vfio_pci_ioctl_get_irq_info).
 * docs/kernel-versions.md.
 */
static bool msix_resizable(const struct vfio_pci_device *vdev, unsigned index)
{
	/* has_dyn_msix = pci_msix_can_alloc_dyn(): no MSI-X capability, no
	 * dynamic MSI-X (edu: its MSI-X index keeps NORESIZE with count 0) */
	return index == VFIO_PCI_MSIX_IRQ_INDEX &&
	       vfio_pci_irq_count(vdev, VFIO_PCI_MSIX_IRQ_INDEX) > 0 &&
	       !sim_kernel_before(vdev->vfio->w, 6, 5);
}

/* before dynamic MSI-X (v6.5): 6.1 and 6.2 */
static bool before_dyn_msix(const struct vfio_pci_device *vdev)
{
	return sim_kernel_before(vdev->vfio->w, 6, 5);
}

static int msi_set_block(struct vfio_pci_device *vdev, const struct irq_req *r)
{
	unsigned j;
	int ret = 0;

	/* 6.1's vfio_msi_set_block: the whole block within num_ctx, first */
	if (before_dyn_msix(vdev) && (r->start >= vdev->ntriggers[r->index] ||
				 r->start + r->count > vdev->ntriggers[r->index]))
		return -EINVAL;

	/* vfio_msi_set_vector_signal: a vector's old eventfd goes first, then
	 * the new one is taken; a failure unwinds the block up to and
	 * including the vector that failed */
	for (j = r->start; j < r->start + r->count; j++) {
		int32_t fd = fd_at(r, j - r->start);

		if (j < vdev->ntriggers[r->index])
			trig_set(vdev, r->p, r->index, j, -1);
		ret = j >= vdev->ntriggers[r->index] && fd >= 0 ? -EINVAL : check_fd(r->p, fd);
		if (ret)
			break;
		if (j < vdev->ntriggers[r->index])
			trig_set(vdev, r->p, r->index, j, fd);
	}
	if (!ret)
		return 0;
	for (unsigned k = r->start; k < j && k < vdev->ntriggers[r->index]; k++)
		trig_set(vdev, r->p, r->index, k, -1);
	return ret;
}

static int msi_trigger(struct vfio_pci_device *vdev, const struct irq_req *r)
{
	bool on = vdev->irq_type == (int)r->index;
	int ret;

	if (on && !r->count && (r->flags & VFIO_IRQ_SET_DATA_NONE)) {
		vfio_pci_irqs_disable(vdev);
		return 0;
	}
	if (!(on || vdev->irq_type < 0))
		return -EINVAL;
	if (r->flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		if (on)
			return msi_set_block(vdev, r);
		/* MSI (and 6.1's MSI-X) allocates start + count vectors;
		 * resizable MSI-X grows on demand up to the table */
		trig_alloc(vdev, r->index, msix_resizable(vdev, r->index) ?
			   vfio_pci_irq_count(vdev, r->index) : r->start + r->count);
		vdev->irq_type = (int)r->index;
		/* vfio_msi_enable: pci_alloc_irq_vectors sets the capability's
		 * enable bit (MSI: with the vectors asked for, the virtual
		 * queue size msi_qmax = their log2, rounded up) */
		if (r->index == VFIO_PCI_MSI_IRQ_INDEX) {
			unsigned nvec = r->start + r->count, q = 0;

			while ((1u << q) < nvec)
				q++;
			vdev->msi_qmax = (uint8_t)q;
			pci_config_msi_enable(vdev->pdev, true, nvec);
		} else {
			pci_config_msix_enable(vdev->pdev, true);
		}
		ret = msi_set_block(vdev, r);
		if (ret)
			vfio_pci_irqs_disable(vdev);
		return ret;
	}
	/* NONE/BOOL: loopback, each vector with a trigger.  6.1 refuses a
	 * range past num_ctx; later kernels skip vectors without a context. */
	if (!on || (before_dyn_msix(vdev) && r->start + r->count > vdev->ntriggers[r->index]))
		return -EINVAL;
	for (unsigned j = r->start; j < r->start + r->count; j++)
		if (j < vdev->ntriggers[r->index] &&
		    ((r->flags & VFIO_IRQ_SET_DATA_NONE) || r->data[j - r->start]))
			trig_signal(vdev, r->index, j);
	return 0;
}

/* ---- ERR / REQ: one optional eventfd each -------------------------------------- */

static int ctx_trigger_single(struct vfio_pci_device *vdev, const struct irq_req *r)
{
	int32_t *slot = vdev->ntriggers[r->index] ? &vdev->triggers[r->index][0] : NULL;
	int32_t fd;
	int ret;

	if (r->flags & VFIO_IRQ_SET_DATA_NONE) {
		if (!slot)
			return -EINVAL;
		if (r->count)
			trig_signal(vdev, r->index, 0);   /* loopback */
		else
			trig_free(vdev, r->index);
		return 0;
	}
	if (!r->count)
		return -EINVAL;
	if (r->flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (slot && r->data[0])
			trig_signal(vdev, r->index, 0);
		return 0;
	}
	fd = fd_at(r, 0);
	if (fd == -1) {
		trig_free(vdev, r->index);
		return 0;
	}
	/* an fd below -1: 6.1's vfio_pci_set_ctx_trigger_single ignored it;
	 * by 6.12 the EVENTFD branch no longer ends in "return 0" and such an
	 * fd falls through to EINVAL (seen on 6.12 by the oracle).  The change
	 * came after 6.2, with the 2024 eventfd/INTx locking rework (v6.9 is
	 * the simulator's line; only "after 6.2, by 6.12" is confirmed). */
	if (fd < 0)
		return sim_kernel_before(vdev->vfio->w, 6, 9) ? 0 : -EINVAL;
	ret = check_fd(r->p, fd);
	if (ret)
		return ret;
	if (!slot)
		trig_alloc(vdev, r->index, 1);
	trig_set(vdev, r->p, r->index, 0, fd);
	return 0;
}

static int set_irqs_dispatch(struct vfio_pci_device *vdev, const struct irq_req *r)
{
	uint32_t action = r->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;

	switch (r->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			return intx_mask(vdev, r, true);
		if (action == VFIO_IRQ_SET_ACTION_UNMASK)
			return intx_mask(vdev, r, false);
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return intx_trigger(vdev, r);
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return msi_trigger(vdev, r);
		break;                /* MSI masking is not exported: ENOTTY */
	case VFIO_PCI_ERR_IRQ_INDEX:
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
		    vfio_pci_irq_count(vdev, r->index))
			return ctx_trigger_single(vdev, r);
		break;
	}
	return -ENOTTY;
}

/* vfio_set_irqs_validate_and_prepare: 0 with *data_size, or -EINVAL. */
static int set_irqs_validate(const struct vfio_irq_set *hdr, unsigned num_irqs,
			     size_t *data_size)
{
	size_t minsz = vfio_offsetofend(struct vfio_irq_set, count), size;

	if (hdr->argsz < minsz || hdr->index >= VFIO_PCI_NUM_IRQS ||
	    hdr->count >= UINT32_MAX - hdr->start ||
	    (hdr->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return -EINVAL;
	*data_size = 0;
	if (hdr->start >= num_irqs || hdr->start + hdr->count > num_irqs)
		return -EINVAL;
	switch (hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		size = 0;
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = sizeof(uint8_t);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = sizeof(int32_t);
		break;
	default:
		return -EINVAL;
	}
	if (size && hdr->argsz - minsz < (uint64_t)hdr->count * size)
		return -EINVAL;
	*data_size = hdr->count * size;
	return 0;
}

static long set_irqs(struct vfio_pci_device *vdev, struct sim_proc *p, unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_irq_set, count), data_size = 0;
	struct vfio_irq_set hdr;
	struct irq_req r = { .p = p };
	uint8_t *data = NULL;
	long ret;

	if (sim_copy_from_user(p, &hdr, arg, minsz))
		return -EFAULT;
	ret = set_irqs_validate(&hdr, vfio_pci_irq_count(vdev, hdr.index), &data_size);
	if (ret)
		goto out;
	if (data_size) {
		data = g_malloc(data_size);
		if (sim_copy_from_user(p, data, arg + minsz, data_size)) {
			ret = -EFAULT;
			goto out;
		}
	}
	r.index = hdr.index;
	r.start = hdr.start;
	r.count = hdr.count;
	r.flags = hdr.flags;
	r.data = data;
	ret = set_irqs_dispatch(vdev, &r);
out:
	SIM_TRACE(p->w, vfio_pci_set_irqs, vdev->pdev->name, hdr.index, hdr.start, hdr.count,
		  hdr.flags, (int)ret);
	g_free(data);
	return ret;
}

static long get_irq_info(struct vfio_pci_device *vdev, struct sim_proc *p, unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (sim_copy_from_user(p, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	/* ERR exists on PCI Express functions only */
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX && !pci_type_is_pcie(vdev->pdev->type))
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = vfio_pci_irq_count(vdev, info.index);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (!msix_resizable(vdev, info.index))
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return sim_copy_to_user(p, arg, &info, minsz) ? -EFAULT : 0;
}

int vfio_pci_irqs_ioctl(struct vfio_pci_device *vdev, struct sim_proc *p,
			unsigned int cmd, unsigned long arg)
{
	if (cmd == VFIO_DEVICE_GET_IRQ_INFO)
		return (int)get_irq_info(vdev, p, arg);
	return (int)set_irqs(vdev, p, arg);
}
