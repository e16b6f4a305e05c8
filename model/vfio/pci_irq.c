/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci interrupts: GET_IRQ_INFO and SET_IRQS (INTx, MSI, MSI-X, ERR,
 * REQ), validated exactly as vfio_set_irqs_validate_and_prepare does and
 * dispatched as vfio_pci_set_irqs_ioctl does.  The state is recorded, not
 * delivered: which index is enabled, each vector's eventfd, INTx masking.
 * An "eventfd" may be any open fd of the caller (the simulator has no
 * eventfds); a closed one is EBADF, -1 clears.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

struct irq_req {
	struct sim_proc *p;
	unsigned index, start, count;
	uint32_t flags;
	const uint8_t *data;
};

static void trig_free(struct vfio_pci_device *vdev, unsigned index)
{
	g_free(vdev->triggers[index]);
	vdev->triggers[index] = NULL;
	vdev->ntriggers[index] = 0;
}

static void trig_alloc(struct vfio_pci_device *vdev, unsigned index, unsigned n)
{
	trig_free(vdev, index);
	vdev->triggers[index] = g_new(int32_t, n ? n : 1);
	for (unsigned i = 0; i < n; i++)
		vdev->triggers[index][i] = -1;
	vdev->ntriggers[index] = n;
}

/* Disable INTx/MSI/MSI-X and drop every trigger (last close, unbind). */
void vfio_pci_irqs_disable(struct vfio_pci_device *vdev)
{
	for (unsigned i = 0; i < VFIO_PCI_NUM_IRQS; i++)
		trig_free(vdev, i);
	vdev->irq_type = -1;
	vdev->intx_masked = false;
}

/* eventfd_ctx_fdget: a closed fd -> EBADF. */
static int check_fd(struct sim_proc *p, int32_t fd)
{
	return fd >= 0 && !sim_fd_get(p, fd) ? -EBADF : 0;
}

static int32_t fd_at(const struct irq_req *r, unsigned i)
{
	int32_t fd;

	memcpy(&fd, r->data + 4 * i, sizeof(fd));
	return fd;
}

/* ---- INTx -------------------------------------------------------------------- */

static int intx_mask(struct vfio_pci_device *vdev, const struct irq_req *r, bool mask)
{
	if (vdev->irq_type != VFIO_PCI_INTX_IRQ_INDEX || r->start != 0 || r->count != 1)
		return -EINVAL;
	if (r->flags & VFIO_IRQ_SET_DATA_NONE)
		vdev->intx_masked = mask;
	else if (r->flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (r->data[0])
			vdev->intx_masked = mask;
	} else if (mask) {
		return -ENOTTY;       /* masking through an eventfd: not in the kernel */
	} else {
		return check_fd(r->p, fd_at(r, 0));   /* the unmask eventfd (virqfd) */
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
			trig_alloc(vdev, VFIO_PCI_INTX_IRQ_INDEX, 1);
			vdev->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
			vdev->intx_masked = false;
		}
		vdev->triggers[VFIO_PCI_INTX_IRQ_INDEX][0] = fd_at(r, 0);
		return 0;
	}
	return is_intx ? 0 : -EINVAL;   /* NONE/BOOL: a loopback trigger */
}

/* ---- MSI / MSI-X -------------------------------------------------------------- */

static int msi_set_block(struct vfio_pci_device *vdev, const struct irq_req *r)
{
	unsigned j;
	int ret = 0;

	for (j = r->start; j < r->start + r->count; j++) {
		int32_t fd = fd_at(r, j - r->start);

		ret = j >= vdev->ntriggers[r->index] && fd >= 0 ? -EINVAL : check_fd(r->p, fd);
		if (ret)
			break;
		if (j < vdev->ntriggers[r->index])
			vdev->triggers[r->index][j] = fd;
	}
	if (!ret)
		return 0;
	while (j-- > r->start)           /* unwind the block */
		if (j < vdev->ntriggers[r->index])
			vdev->triggers[r->index][j] = -1;
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
		/* MSI allocates start + count vectors; MSI-X grows on demand */
		trig_alloc(vdev, r->index, r->index == VFIO_PCI_MSIX_IRQ_INDEX ?
			   vfio_pci_irq_count(vdev, r->index) : r->start + r->count);
		vdev->irq_type = (int)r->index;
		ret = msi_set_block(vdev, r);
		if (ret)
			vfio_pci_irqs_disable(vdev);
		return ret;
	}
	return on ? 0 : -EINVAL;
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
		if (!r->count)
			trig_free(vdev, r->index);
		return 0;
	}
	if (!r->count)
		return -EINVAL;
	if (r->flags & VFIO_IRQ_SET_DATA_BOOL)
		return 0;
	fd = fd_at(r, 0);
	if (fd == -1)
		trig_free(vdev, r->index);
	if (fd < 0)
		return 0;
	ret = check_fd(r->p, fd);
	if (ret)
		return ret;
	if (!slot)
		trig_alloc(vdev, r->index, 1);
	vdev->triggers[r->index][0] = fd;
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
	else
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
