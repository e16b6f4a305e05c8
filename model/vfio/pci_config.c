/* SPDX-License-Identifier: MIT */
/*
 * The config space a vfio-pci device shows its user, synthesized from the
 * topology (vfio-pci's vconfig): vendor/device ids, command/status, header
 * type with the multifunction bit, the BARs as sized by the topology (the
 * standard sizing protocol: write all-ones, read back the size mask), the
 * interrupt pin, and a capability list with MSI, MSI-X and PCI Express when
 * present.  Writes reach only the emulated writable bits.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "model/pci/pci.h"
#include "model/vfio/vfio_private.h"

#define CFG_COMMAND     0x04
#define CFG_STATUS      0x06
#define CFG_CLASS       0x09
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0        0x10
#define CFG_SUBSYS_VID  0x2c
#define CFG_CAP_PTR     0x34
#define CFG_INT_LINE    0x3c
#define CFG_INT_PIN     0x3d
#define CMD_IO          0x0001
#define CMD_MEMORY      0x0002
#define CMD_WMASK       0x0547   /* IO MEM MASTER PARITY SERR INTX_DISABLE */
#define STATUS_CAP_LIST 0x0010
#define CAP_ID_MSI      0x05
#define CAP_ID_EXP      0x10
#define CAP_ID_MSIX     0x11
#define MSI_LEN         0x18     /* 64-bit address, no per-vector masking */
#define MSIX_LEN        0x0c
#define EXP_LEN         0x3c

static void put16(uint8_t *c, unsigned off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, unsigned off, uint32_t v)
{
	put16(c, off, (uint16_t)v);
	put16(c, off + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *c, unsigned off)
{
	return (uint16_t)(c[off] | c[off + 1] << 8);
}

static uint32_t get32(const uint8_t *c, unsigned off)
{
	return get16(c, off) | (uint32_t)get16(c, off + 2) << 16;
}

/* The flag bits of BAR register @i (0 for an unimplemented one or the
 * upper half of a 64-bit BAR). */
static uint32_t bar_flags(const struct pci_dev *d, unsigned i)
{
	const struct pci_bar *b = &d->bars[i];

	if (!b->size)
		return 0;
	if (b->type == PCI_BAR_IO)
		return 0x1;
	return (b->type == PCI_BAR_MEM64 ? 0x4 : 0) | (b->prefetchable ? 0x8 : 0);
}

/* Apply the BAR sizing rule to every BAR register after a write. */
static void bars_fixup(struct vfio_pci_device *vdev)
{
	const struct pci_dev *d = vdev->pdev;

	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		unsigned off = CFG_BAR0 + 4 * i;
		uint32_t reg = get32(vdev->vconfig, off);
		const struct pci_bar *b = &d->bars[i];

		if (b->size) {
			uint32_t low = b->type == PCI_BAR_IO ? 0x3 : 0xf;
			reg = (reg & ~(uint32_t)(b->size - 1) & ~low) | bar_flags(d, i);
		} else if (i && d->bars[i - 1].size && d->bars[i - 1].type == PCI_BAR_MEM64) {
			reg &= ~(uint32_t)((d->bars[i - 1].size - 1) >> 32);
		} else {
			reg = 0;
		}
		put32(vdev->vconfig, off, reg);
	}
}

static unsigned add_cap(struct vfio_pci_device *vdev, unsigned *prev, unsigned pos,
			uint8_t id, unsigned len)
{
	vdev->vconfig[*prev] = (uint8_t)pos;
	vdev->vconfig[pos] = id;
	*prev = pos + 1;
	return pos + ((len + 3) & ~3u);
}

static void caps_init(struct vfio_pci_device *vdev)
{
	const struct pci_dev *d = vdev->pdev;
	uint8_t *c = vdev->vconfig;
	unsigned prev = CFG_CAP_PTR, pos = 0x40;

	if (d->msi_vectors) {
		vdev->msi_cap = (uint8_t)pos;
		pos = add_cap(vdev, &prev, pos, CAP_ID_MSI, MSI_LEN);
		/* 64-bit capable, Multiple Message Capable = log2(vectors) */
		put16(c, vdev->msi_cap + 2, (uint16_t)(0x80 | (g_bit_nth_lsf(d->msi_vectors, -1) << 1)));
		put16(vdev->wmask, vdev->msi_cap + 2, 0x0071);   /* enable, MME */
		memset(vdev->wmask + vdev->msi_cap + 4, 0xff, 10);  /* address, data */
	}
	if (d->msix_vectors) {
		vdev->msix_cap = (uint8_t)pos;
		pos = add_cap(vdev, &prev, pos, CAP_ID_MSIX, MSIX_LEN);
		put16(c, vdev->msix_cap + 2, (uint16_t)(d->msix_vectors - 1));
		put16(vdev->wmask, vdev->msix_cap + 2, 0xc000);  /* enable, function mask */
		/* table at offset 0 of BAR 0, PBA right after it */
		put32(c, vdev->msix_cap + 4, 0);
		put32(c, vdev->msix_cap + 8, ((uint32_t)d->msix_vectors * 16 + 7) & ~7u);
	}
	if (pci_type_is_pcie(d->type)) {
		vdev->pcie_cap = (uint8_t)pos;
		pos = add_cap(vdev, &prev, pos, CAP_ID_EXP, EXP_LEN);
		put16(c, vdev->pcie_cap + 2, 0x0002 | (d->type == PCI_TYPE_RC_ENDPOINT ? 0x90 :
				      d->type == PCI_TYPE_LEGACY_ENDPOINT ? 0x10 : 0x00));
	}
	if (vdev->msi_cap || vdev->msix_cap || vdev->pcie_cap)
		put16(c, CFG_STATUS, STATUS_CAP_LIST);
}

/*
 * The decode bits pci_enable_device() sets before vfio_config_init reads
 * the function (vfio_pci_core_enable): I/O space when an I/O BAR exists,
 * memory space when a memory BAR does.  Bus mastering stays off.
 */
static uint16_t command_enabled(const struct pci_dev *d)
{
	uint16_t cmd = 0;

	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		if (!d->bars[i].size)
			continue;
		cmd |= d->bars[i].type == PCI_BAR_IO ? CMD_IO : CMD_MEMORY;
	}
	return cmd;
}

/* Config space as the first open finds it (vfio_config_init). */
void vfio_config_init(struct vfio_pci_device *vdev)
{
	const struct pci_dev *d = vdev->pdev;
	uint8_t *c = vdev->vconfig;

	memset(vdev->vconfig, 0, sizeof(vdev->vconfig));
	memset(vdev->wmask, 0, sizeof(vdev->wmask));
	vdev->cfg_size = pci_type_is_pcie(d->type) ? 4096 : 256;
	vdev->msi_cap = vdev->msix_cap = vdev->pcie_cap = 0;
	put16(c, 0x00, d->vendor);
	put16(c, 0x02, d->device);
	c[CFG_CLASS + 2] = 0xff;              /* class: unassigned */
	c[CFG_HEADER_TYPE] = d->multifunction ? 0x80 : 0x00;
	put16(c, CFG_SUBSYS_VID, d->vendor);
	put16(c, CFG_SUBSYS_VID + 2, d->device);
	c[CFG_INT_PIN] = d->intx ? 1 : 0;
	put16(c, CFG_COMMAND, command_enabled(d));
	put16(vdev->wmask, CFG_COMMAND, CMD_WMASK);
	memset(vdev->wmask + CFG_BAR0, 0xff, 4 * PCI_NUM_BARS);
	vdev->wmask[CFG_INT_LINE] = 0xff;
	caps_init(vdev);
	bars_fixup(vdev);
}

bool vfio_config_memory_enabled(const struct vfio_pci_device *vdev)
{
	return get16(vdev->vconfig, CFG_COMMAND) & CMD_MEMORY;
}

/* vfio_pci_config_rw: a range outside config space -> EFAULT. */
long vfio_config_rw(struct vfio_pci_device *vdev, void *buf, size_t n, uint64_t pos,
		    bool write)
{
	uint8_t *b = buf;

	if (pos >= vdev->cfg_size || n > vdev->cfg_size - pos)
		return -EFAULT;
	if (!write) {
		memcpy(buf, vdev->vconfig + pos, n);
		return (long)n;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t m = vdev->wmask[pos + i];

		vdev->vconfig[pos + i] = (uint8_t)((vdev->vconfig[pos + i] & ~m) | (b[i] & m));
	}
	if (pos < CFG_BAR0 + 4 * PCI_NUM_BARS && pos + n > CFG_BAR0)
		bars_fixup(vdev);
	return (long)n;
}

/* vfio_pci_get_irq_count, read from the emulated config space. */
unsigned vfio_pci_irq_count(const struct vfio_pci_device *vdev, unsigned index)
{
	const uint8_t *c = vdev->vconfig;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return c[CFG_INT_PIN] ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		return vdev->msi_cap ? 1u << ((get16(c, vdev->msi_cap + 2) & 0x0e) >> 1) : 0;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return vdev->msix_cap ? (get16(c, vdev->msix_cap + 2) & 0x07ff) + 1u : 0;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pci_type_is_pcie(vdev->pdev->type) ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}
