/* SPDX-License-Identifier: MIT */
/*
 * QEMU 7.2's e1000e (hw/net/e1000e.c): Intel's 82574L Gigabit Ethernet
 * controller, 8086:10d3, as the oracle's guests see it (docs/devices.md):
 * its identity, BARs, interrupts and the layout of its configuration
 * space.  The facts are QEMU's, confirmed by reading the function's config
 * space in a guest under Linux 6.1 and 6.12; the code is ours.  The NIC
 * itself (registers, queues, DMA) is not modelled yet: its BARs are
 * vfio-pci's storage.
 *
 *   class 0x020000 (Ethernet), revision 0, subsystem 8086:0000
 *   BAR 0  128 KiB mem32   the registers (flash at BAR 1, not modelled)
 *   BAR 1  128 KiB mem32
 *   BAR 2  32 B    I/O     the I/O window to the registers
 *   BAR 3  16 KiB  mem32   MSI-X: the table at 0, the PBA at 0x2000
 *   INTx pin A, one MSI vector, five MSI-X vectors
 *
 *   0x34        capability pointer 0xc8
 *   0xc8  PM    version 2 (PCI PM 1.1), DSI; PMCSR: power state, PME
 *               enable and data select writable, PME status write-1-clear;
 *               No_Soft_Reset clear, so a D3hot -> D0 cycle is a reset
 *               the kernel may use (pci_pm_reset)
 *   0xd0  MSI   64-bit, 1 vector, no per-vector masking
 *   0xe0  PCIe  version 1, endpoint (integrated endpoint on a root bus);
 *               Role-Based Error Reporting; no FLR; a x1 2.5 GT/s link
 *   0xa0  MSI-X 5 vectors, table BIR 3 offset 0, PBA BIR 3 offset 0x2000;
 *               the end of the list
 *   0x100 AER   version 2, claiming 0x48 bytes; next 0x140
 *   0x140 DSN   version 1: the serial is made of the MAC address,
 *               52:54:00:12:34:56 for the first NIC QEMU creates, ..:57
 *               for the second (qemu_macaddr_default_if_unset), with
 *               ff:ff in the middle (e1000e_gen_dsn)
 *
 * Everything from 0x40 that no capability claims is writable storage, as
 * in every QEMU device.
 */
#include <glib.h>

#include "model/pci/devmodel.h"
#include "model/pci/pci.h"

#define E1000E_PM    0xc8
#define E1000E_MSI   0xd0
#define E1000E_EXP   0xe0
#define E1000E_MSIX  0xa0
#define E1000E_AER   0x100
#define E1000E_DSN   0x140

#define E1000E_MSIX_BAR 3
#define E1000E_PBA      0x2000

/* The NICs QEMU gives a default MAC address, in the order it creates them. */
static bool is_qemu_nic(const struct pci_dev *d)
{
	return d->vendor == 0x8086 && (d->device == 0x10d3 || d->device == 0x100e);
}

/*
 * Count in @n the QEMU NICs before @d in the order QEMU creates them: the
 * order of `iommusim qemu-args` (each bus by device and function, a
 * bridge's bus right after the bridge), which is the order of the -device
 * options.  True when @d was reached.
 */
static bool nics_before(const struct pci_bus *bus, const struct pci_dev *d, unsigned *n)
{
	for (size_t i = 0; i < bus->ndevices; i++) {
		const struct pci_dev *x = bus->devices[i];

		if (x == d)
			return true;
		if (is_qemu_nic(x))
			(*n)++;
		if (x->subordinate && nics_before(x->subordinate, d, n))
			return true;
	}
	return false;
}

static unsigned mac_index(const struct pci_dev *d)
{
	const struct pci_bus *root = d->bus;
	unsigned n = 0;

	while (root->self)
		root = root->self->bus;
	nics_before(root, d, &n);
	return n;
}

/* e1000e_gen_dsn of the default MAC address 52:54:00:12:34:(0x56 + n). */
static uint64_t e1000e_dsn(unsigned n)
{
	static const uint8_t oui[5] = { 0x52, 0x54, 0x00, 0x12, 0x34 };
	uint8_t last = (uint8_t)(0x56 + n);

	return (uint64_t)last | (uint64_t)oui[4] << 8 | (uint64_t)oui[3] << 16 |
	       0xffull << 24 | 0xffull << 32 | (uint64_t)oui[2] << 40 |
	       (uint64_t)oui[1] << 48 | (uint64_t)oui[0] << 56;
}

/* e1000e_pci_realize's capabilities, in the order it adds them. */
static void e1000e_config(struct pci_dev *d)
{
	pci_config_add_pm(d, E1000E_PM, 0x0022, 0x0003 | 0x0100 | 0x1e00);
	pci_config_add_msi(d, E1000E_MSI, true, false);
	pci_config_add_exp(d, E1000E_EXP, 1);
	pci_config_add_msix(d, E1000E_MSIX, E1000E_MSIX_BAR, 0, E1000E_MSIX_BAR, E1000E_PBA);
	pci_config_add_aer(d, E1000E_AER, 0x48);
	pci_config_add_dsn(d, E1000E_DSN, e1000e_dsn(mac_index(d)));
}

const struct pci_devmodel pci_devmodel_e1000e = {
	.name = "e1000e",
	.vendor = 0x8086,               /* PCI_VENDOR_ID_INTEL */
	.device = 0x10d3,               /* 82574L */
	.revision = 0,
	.class_code = 0x020000,         /* PCI_CLASS_NETWORK_ETHERNET */
	.subsystem_vendor = 0x8086,
	.subsystem_id = 0,
	.types = PCI_DEVMODEL_TYPE(PCI_TYPE_ENDPOINT) | PCI_DEVMODEL_TYPE(PCI_TYPE_RC_ENDPOINT),
	.bars = {
		[0] = { .size = 128u << 10, .type = PCI_BAR_MEM32 },
		[1] = { .size = 128u << 10, .type = PCI_BAR_MEM32 },
		[2] = { .size = 32, .type = PCI_BAR_IO },
		[3] = { .size = 16u << 10, .type = PCI_BAR_MEM32 },
	},
	.intx = true,
	.msi_vectors = 1,
	.msix_vectors = 5,
	.resets = PCI_DEVMODEL_RESET_PM,
	.config = e1000e_config,
};
