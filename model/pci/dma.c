/* SPDX-License-Identifier: MIT */
/*
 * Device-initiated DMA: the PCI side of spec §E step 1.  A function's
 * request leaves the device with the requester id the alias walk says the
 * IOMMU sees (a function behind a PCIe-to-PCI bridge is seen as the bridge's
 * secondary:00.0), and goes to whatever handler the IOMMU registered.  This
 * layer knows nothing of IOMMUs: without a handler the request reaches host
 * memory untranslated.
 */
#include <errno.h>
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

int pci_dev_dma(struct sim_world *w, struct pci_dev *d, struct sim_dma *op)
{
	struct pci_root *root = pci_root_get(w);
	uint16_t rid;
	int ret;

	if (!root || !d || !op || (op->len && !op->buf))
		return -EINVAL;
	op->fault_addr = 0;
	op->fault_reason = SIM_FAULT_NONE;
	op->fault_stage = 0;
	op->fault_phase = SIM_FAULT_PHASE_FINAL;
	op->fault_stage_addr = 0;
	rid = pci_dma_requester_id(d);
	if (root->has_dma && !d->no_iommu)   /* no IOMMU: untranslated */
		ret = root->dma.dma(root->dma.ctx, PCI_SBDF_DOMAIN(d->sbdf), rid, op);
	else if (op->write)
		ret = sim_mem_write(w, op->addr, op->buf, op->len);
	else
		ret = sim_mem_read(w, op->addr, op->buf, op->len);
	trace_dma(w, d, rid, op->pasid_valid, op->pasid, op->addr, op->len, op->write, ret);
	return ret;
}

int sim_dev_dma(struct sim_world *w, const char *bdf, struct sim_dma *op)
{
	uint32_t sbdf;
	struct pci_dev *d;

	if (!w || !bdf || !op || (op->len && !op->buf) || pci_sbdf_parse(bdf, &sbdf))
		return -EINVAL;
	d = pci_dev_find(w, sbdf);
	if (!d)
		return -ENODEV;
	return pci_dev_dma(w, d, op);
}
