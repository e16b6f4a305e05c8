/* SPDX-License-Identifier: MIT */
/*
 * Device-initiated DMA: the PCI side of spec §E step 1.  A function's
 * request leaves the device with the requester id the alias walk says the
 * IOMMU sees (a function behind a PCIe-to-PCI bridge is seen as the bridge's
 * secondary:00.0), and goes to whatever handler the IOMMU registered.  This
 * layer knows nothing of IOMMUs: without a handler the request reaches host
 * memory untranslated.  The public entry points: sim_dev_dma names the
 * function by its BDF on every call; sim_dev_lookup's handle lets a caller
 * issuing many DMAs parse and look it up once (sim_dev_dma_h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "sim/mem.h"
#include "sim/trace.h"
#include "model/pci/pci_internal.h"
#include "iommusim/iommusim.h"

void pci_set_dma_handler(struct sim_world *w, const struct pci_dma_handler *h)
{
	struct pci_root *root = pci_root_get(w);

	if (!root)
		return;
	root->has_dma = h && h->dma;
	root->dma = root->has_dma ? *h : (struct pci_dma_handler){ 0 };
}

static void trace_dma(struct sim_world *w, struct pci_dev *d, uint16_t rid, bool pasid_valid,
		      uint32_t pasid, uint64_t addr, size_t len, bool write, int ret)
{
	if (!sim_trace_enabled(w, "pci_dma"))
		return;
	SIM_TRACE(w, pci_dma, d->name, rid >> 8, PCI_SLOT(rid & 0xff), PCI_FUNC(rid & 0xff),
		  pasid_valid ? (int)pasid : -1, (unsigned long long)addr, len, write ? "write" : "read", ret);
}

/* The DMA itself, its arguments checked: nothing here formats or allocates
 * (trace_dma only when the event is on), so a DMA costs the IOMMU's
 * translation and the copy. */
static int dev_dma(struct sim_world *w, struct pci_root *root, struct pci_dev *d,
		   struct sim_dma *op)
{
	uint16_t rid = pci_dma_requester_id(d);
	int ret;

	op->fault_addr = 0;
	op->fault_reason = SIM_FAULT_NONE;
	op->fault_stage = 0;
	op->fault_phase = SIM_FAULT_PHASE_FINAL;
	op->fault_stage_addr = 0;
	if (root->has_dma && !d->no_iommu)   /* no IOMMU: untranslated */
		ret = root->dma.dma(root->dma.ctx, PCI_SBDF_DOMAIN(d->sbdf), rid, op);
	else if (op->write)
		ret = sim_mem_write(w, op->addr, op->buf, op->len);
	else
		ret = sim_mem_read(w, op->addr, op->buf, op->len);
	trace_dma(w, d, rid, op->pasid_valid, op->pasid, op->addr, op->len, op->write, ret);
	return ret;
}

static bool op_ok(const struct sim_dma *op)
{
	return op && (!op->len || op->buf);
}

int pci_dev_dma(struct sim_world *w, struct pci_dev *d, struct sim_dma *op)
{
	struct pci_root *root = pci_root_get(w);

	if (!root || !d || !op_ok(op))
		return -EINVAL;
	return dev_dma(w, root, d, op);
}

/*
 * The public handle (<iommusim/iommusim.h>) is the function itself: struct
 * sim_dev is never defined, a handle only converted back here.  Functions
 * live as long as their world (pci_root_free), so a handle does too.
 */
static struct sim_dev *dev_handle(struct pci_dev *d)
{
	return (struct sim_dev *)d;
}

static struct pci_dev *handle_dev(struct sim_dev *dev)
{
	return (struct pci_dev *)dev;
}

struct sim_dev *sim_dev_lookup(struct sim_world *w, const char *bdf)
{
	struct pci_dev *d;

	return pci_dev_lookup(w, bdf, &d) ? NULL : dev_handle(d);
}

int sim_dev_dma_h(struct sim_world *w, struct sim_dev *dev, struct sim_dma *op)
{
	struct pci_root *root = pci_root_get(w);
	struct pci_dev *d = handle_dev(dev);

	if (!root || !d || !op_ok(op))
		return -EINVAL;
	/* a handle of another world would DMA with its requester id through
	 * this world's IOMMU: refuse it (the function at its probe index is
	 * not it) */
	if (d->probe_index >= root->devs->len || g_ptr_array_index(root->devs, d->probe_index) != d)
		return -EINVAL;
	return dev_dma(w, root, d, op);
}

int sim_dev_dma(struct sim_world *w, const char *bdf, struct sim_dma *op)
{
	struct pci_dev *d;
	int ret;

	/* a bad @op is -EINVAL before the lookup can say -ENODEV */
	if (!op_ok(op))
		return -EINVAL;
	ret = pci_dev_lookup(w, bdf, &d);
	return ret ? ret : sim_dev_dma_h(w, dev_handle(d), op);
}
