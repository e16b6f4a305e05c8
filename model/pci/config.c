/* SPDX-License-Identifier: MIT */
/*
 * A function's configuration space as the device holds it (pci.h's struct
 * pci_config): the bytes, what a write may change (wmask) and what a write
 * of 1 clears (w1cmask), the way QEMU keeps a PCIDevice's.
 *
 * Built with the topology (pci_config_build):
 *   - a function with a device model gets the model's layout: the header
 *     with the model's identity and QEMU's default write masks, then the
 *     capabilities its config hook adds with the builders below; then the
 *     state SeaBIOS leaves it in (pci_config_firmware);
 *   - a function without one is synthesized from the topology, as before
 *     there were models: class 0xff0000 (unassigned), revision 0, its own
 *     vendor:device as subsystem ids, MSI, MSI-X (table and PBA in BAR 0)
 *     and a version 2 PCI Express capability from 0x40, nothing writable
 *     beyond the header and those capabilities' control fields, no
 *     firmware state (command 0 until a kernel enables the function).
 *
 * The register layouts are the PCI and PCI Express specifications'; the
 * write masks of a model's capabilities are what QEMU 7.2 gives its
 * devices (pci_init_wmask, msi_init, msix_init, pcie_cap_v1_fill,
 * pcie_aer_init), as read back from a running guest (docs/devices.md).
 */
#include <string.h>
#include <glib.h>

#include "model/pci/devmodel.h"
#include "model/pci/pci_internal.h"

#define CFG_VENDOR      0x00
#define CFG_COMMAND     0x04
#define CFG_STATUS      0x06
#define CFG_REVISION    0x08
#define CFG_CLASS       0x09
#define CFG_CACHE_LINE  0x0c
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0        0x10
#define CFG_SUBSYS      0x2c
#define CFG_CAP_PTR     0x34
#define CFG_INT_LINE    0x3c
#define CFG_INT_PIN     0x3d
#define CFG_HEADER_SIZE 0x40

#define CMD_IO          0x0001
#define CMD_MEMORY      0x0002
#define CMD_MASTER      0x0004
#define CMD_PARITY      0x0040
#define CMD_SERR        0x0100
#define CMD_INTX_DIS    0x0400
#define STATUS_CAP_LIST 0x0010

#define CAP_PM          0x01
#define CAP_MSI         0x05
#define CAP_EXP         0x10
#define CAP_MSIX        0x11
#define CAP_AF          0x13
#define EXP_DEVCAP_FLR  0x10000000
#define AF_CAP_TP       0x01
#define AF_CAP_FLR      0x02
#define ECAP_ERR        0x0001
#define ECAP_DSN        0x0003

#define MSI_FLAGS_ENABLE 0x0001
#define MSI_FLAGS_QSIZE  0x0070
#define MSI_FLAGS_64BIT  0x0080
#define MSI_FLAGS_MASK   0x0100
#define MSIX_FLAGS_ENABLE  0x8000
#define MSIX_FLAGS_MASKALL 0x4000

/* ---- byte helpers ------------------------------------------------------------ */

static void put(uint8_t *b, unsigned off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get(const uint8_t *b, unsigned off, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)b[off + i] << (8 * i);
	return v;
}

/* ---- access ------------------------------------------------------------------ */

static bool in_space(const struct pci_dev *d, unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off < d->config.size &&
	       size <= d->config.size - off;
}

uint32_t pci_config_read(const struct pci_dev *d, unsigned off, unsigned size)
{
	if (!d || !in_space(d, off, size))
		return size >= 4 ? UINT32_MAX : (1u << (8 * size)) - 1;
	return get(d->config.data, off, size);
}

void pci_config_write(struct pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
	struct pci_config *c;

	if (!d || !in_space(d, off, size))
		return;
	c = &d->config;
	for (unsigned i = 0; i < size; i++) {
		uint8_t v = (uint8_t)(val >> (8 * i)), w = c->wmask[off + i];
		uint8_t w1c = c->w1cmask[off + i];

		c->data[off + i] = (uint8_t)(((c->data[off + i] & ~w) | (v & w)) & ~(v & w1c));
	}
}

unsigned pci_config_find_cap(const struct pci_dev *d, uint8_t id)
{
	unsigned pos, ttl = 48;

	if (!d || !(get(d->config.data, CFG_STATUS, 2) & STATUS_CAP_LIST))
		return 0;
	for (pos = d->config.data[CFG_CAP_PTR]; pos >= CFG_HEADER_SIZE && ttl--;
	     pos = d->config.data[pos + 1]) {
		pos &= ~3u;
		if (d->config.data[pos] == id)
			return pos;
	}
	return 0;
}

unsigned pci_config_find_ext_cap(const struct pci_dev *d, uint16_t id)
{
	unsigned pos = PCI_CFG_SPACE_SIZE, ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;

	if (!d || d->config.size <= PCI_CFG_SPACE_SIZE)
		return 0;
	while (ttl-- && pos >= PCI_CFG_SPACE_SIZE) {
		uint32_t h = get(d->config.data, pos, 4);

		if (!h)
			return 0;
		if ((h & 0xffff) == id)
			return pos;
		pos = (h >> 20) & 0xffc;
	}
	return 0;
}

static unsigned log2_up(unsigned n)
{
	unsigned l = 0;

	while ((1u << l) < n)
		l++;
	return l;
}

void pci_config_msi_enable(struct pci_dev *d, bool on, unsigned nvec)
{
	unsigned pos = pci_config_find_cap(d, CAP_MSI);
	uint16_t f;

	if (!pos)
		return;
	f = (uint16_t)get(d->config.data, pos + 2, 2) & ~(MSI_FLAGS_ENABLE | MSI_FLAGS_QSIZE);
	if (on)
		f |= MSI_FLAGS_ENABLE | (uint16_t)(log2_up(nvec ? nvec : 1) << 4);
	put(d->config.data, pos + 2, 2, f);
}

void pci_config_msix_enable(struct pci_dev *d, bool on)
{
	unsigned pos = pci_config_find_cap(d, CAP_MSIX);
	uint16_t f;

	if (!pos)
		return;
	f = (uint16_t)get(d->config.data, pos + 2, 2) & ~(MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
	put(d->config.data, pos + 2, 2, on ? f | MSIX_FLAGS_ENABLE : f);
}

bool pci_config_msi_enabled(const struct pci_dev *d)
{
	unsigned pos = pci_config_find_cap(d, CAP_MSI);

	return pos && (get(d->config.data, pos + 2, 2) & MSI_FLAGS_ENABLE);
}

bool pci_config_msix_enabled(const struct pci_dev *d)
{
	unsigned pos = pci_config_find_cap(d, CAP_MSIX);

	return pos && (get(d->config.data, pos + 2, 2) & MSIX_FLAGS_ENABLE);
}

/* ---- building ------------------------------------------------------------------ */

/* The flag bits of BAR register @i, and the bits a write may change. */
static void bar_init(struct pci_dev *d, unsigned i)
{
	const struct pci_bar *b = &d->bars[i];
	unsigned off = CFG_BAR0 + 4 * i;
	uint32_t flags, mask;

	if (!b->size)
		return;
	if (b->type == PCI_BAR_IO) {
		flags = 0x1;
		mask = ~(uint32_t)(b->size - 1) & ~0x3u;
	} else {
		flags = (b->type == PCI_BAR_MEM64 ? 0x4 : 0) | (b->prefetchable ? 0x8 : 0);
		mask = ~(uint32_t)(b->size - 1) & ~0xfu;
	}
	put(d->config.data, off, 4, flags);
	put(d->config.wmask, off, 4, mask);
	if (b->type == PCI_BAR_MEM64 && i + 1 < PCI_NUM_BARS)
		put(d->config.wmask, off + 4, 4, (uint32_t)~((b->size - 1) >> 32));
}

/*
 * The header: identity, the BARs' flag bits, the interrupt pin, and what a
 * write may change there.  @cmd_wmask: QEMU's pci_init_wmask for a model
 * (IO, MEM, MASTER, SERR, INTX_DISABLE), the specification's endpoint bits
 * (also PARITY) for a synthesized function.  @dev_specific: QEMU makes the
 * whole device-specific space writable storage until a capability claims
 * part of it; a synthesized function has none.
 */
static void header_init(struct pci_dev *d, uint8_t revision, uint32_t class_code,
			uint16_t ss_vendor, uint16_t ss_id, uint16_t cmd_wmask, bool dev_specific)
{
	struct pci_config *c = &d->config;

	memset(c, 0, sizeof(*c));
	c->size = pci_type_is_pcie(d->type) ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE;
	put(c->data, CFG_VENDOR, 2, d->vendor);
	put(c->data, CFG_VENDOR + 2, 2, d->device);
	c->data[CFG_REVISION] = revision;
	put(c->data, CFG_CLASS, 3, class_code);
	c->data[CFG_HEADER_TYPE] = d->multifunction ? 0x80 : 0x00;
	put(c->data, CFG_SUBSYS, 2, ss_vendor);
	put(c->data, CFG_SUBSYS + 2, 2, ss_id);
	c->data[CFG_INT_PIN] = d->intx ? 1 : 0;
	put(c->wmask, CFG_COMMAND, 2, cmd_wmask);
	c->wmask[CFG_CACHE_LINE] = 0xff;
	c->wmask[CFG_INT_LINE] = 0xff;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		bar_init(d, i);
	if (dev_specific)
		memset(c->wmask + CFG_HEADER_SIZE, 0xff, c->size - CFG_HEADER_SIZE);
}

/* Claim @size bytes at @off: read-only, not write-1-to-clear. */
static void claim(struct pci_dev *d, unsigned off, unsigned size)
{
	memset(d->config.wmask + off, 0, size);
	memset(d->config.w1cmask + off, 0, size);
}

uint8_t *pci_config_add_cap(struct pci_dev *d, uint8_t id, unsigned off, unsigned size)
{
	struct pci_config *c = &d->config;
	unsigned prev = CFG_CAP_PTR, ttl = 48;

	g_assert(off >= CFG_HEADER_SIZE && !(off & 3) && off + size <= PCI_CFG_SPACE_SIZE);
	while (c->data[prev] && ttl--)
		prev = c->data[prev] + 1u;
	c->data[prev] = (uint8_t)off;
	claim(d, off, size);
	c->data[off] = id;
	c->data[off + 1] = 0;
	put(c->data, CFG_STATUS, 2, get(c->data, CFG_STATUS, 2) | STATUS_CAP_LIST);
	return c->data + off;
}

uint8_t *pci_config_add_ext_cap(struct pci_dev *d, uint16_t id, uint8_t version, unsigned off,
				unsigned size)
{
	struct pci_config *c = &d->config;
	unsigned pos = PCI_CFG_SPACE_SIZE, ttl = 64;

	g_assert(c->size == PCI_CFG_SPACE_EXP_SIZE && off >= PCI_CFG_SPACE_SIZE &&
		 !(off & 3) && off + size <= c->size);
	if (off != PCI_CFG_SPACE_SIZE) {
		uint32_t h;

		while (ttl-- && (h = get(c->data, pos, 4)) >> 20)
			pos = (h >> 20) & 0xffc;
		put(c->data, pos, 4, get(c->data, pos, 4) | (uint32_t)off << 20);
	}
	claim(d, off, size);
	put(c->data, off, 4, id | (uint32_t)(version & 0xf) << 16);
	return c->data + off;
}

void pci_config_add_pm(struct pci_dev *d, unsigned off, uint16_t pmc, uint16_t csr_wmask)
{
	pci_config_add_cap(d, CAP_PM, off, 8);
	put(d->config.data, off + 2, 2, pmc);
	put(d->config.wmask, off + 4, 2, csr_wmask);
	put(d->config.w1cmask, off + 4, 2, 0x8000);      /* PME_Status */
}

void pci_config_add_msi(struct pci_dev *d, unsigned off, bool is64, bool maskbit)
{
	unsigned size = 10 + (is64 ? 4 : 0) + (maskbit ? 10 : 0);
	unsigned data = off + (is64 ? 12 : 8);
	uint16_t flags = (uint16_t)(log2_up(d->msi_vectors ? d->msi_vectors : 1) << 1);

	pci_config_add_cap(d, CAP_MSI, off, size);
	flags |= (is64 ? MSI_FLAGS_64BIT : 0) | (maskbit ? MSI_FLAGS_MASK : 0);
	put(d->config.data, off + 2, 2, flags);
	put(d->config.wmask, off + 2, 2, MSI_FLAGS_ENABLE | MSI_FLAGS_QSIZE);
	put(d->config.wmask, off + 4, 4, 0xfffffffc);
	if (is64)
		put(d->config.wmask, off + 8, 4, 0xffffffff);
	put(d->config.wmask, data, 2, 0xffff);
	if (maskbit)
		put(d->config.wmask, data + 4, 4, d->msi_vectors >= 32 ? 0xffffffff :
		    (1u << d->msi_vectors) - 1);
}

void pci_config_add_msix(struct pci_dev *d, unsigned off, unsigned table_bar, uint32_t table_off,
			 unsigned pba_bar, uint32_t pba_off)
{
	pci_config_add_cap(d, CAP_MSIX, off, 12);
	put(d->config.data, off + 2, 2, (uint16_t)(d->msix_vectors - 1) & 0x07ff);
	put(d->config.wmask, off + 2, 2, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
	put(d->config.data, off + 4, 4, table_off | (table_bar & 7));
	put(d->config.data, off + 8, 4, pba_off | (pba_bar & 7));
}

/* The device/port type field of the PCI Express capability. */
static uint16_t exp_type(enum pci_type t)
{
	switch (t) {
	case PCI_TYPE_LEGACY_ENDPOINT:
		return 0x1;
	case PCI_TYPE_ROOT_PORT:
		return 0x4;
	case PCI_TYPE_UPSTREAM_PORT:
		return 0x5;
	case PCI_TYPE_DOWNSTREAM_PORT:
		return 0x6;
	case PCI_TYPE_PCIE_TO_PCI_BRIDGE:
		return 0x7;
	case PCI_TYPE_RC_ENDPOINT:
		return 0x9;
	default:
		return 0x0;
	}
}

void pci_config_add_exp(struct pci_dev *d, unsigned off, unsigned version)
{
	pci_config_add_cap(d, CAP_EXP, off, version == 1 ? 0x14 : 0x3c);
	put(d->config.data, off + 2, 2, (uint16_t)((version & 0xf) | exp_type(d->type) << 4));
	if (version != 1)
		return;
	/* QEMU's pcie_cap_v1_fill: Role-Based Error Reporting; a x1 link at
	 * 2.5 GT/s with L0s support, trained at x1 2.5 GT/s */
	put(d->config.data, off + 0x04, 4, 0x00008000);
	put(d->config.data, off + 0x0c, 4, 0x00000411);
	put(d->config.data, off + 0x12, 2, 0x0011);
}

void pci_config_add_aer(struct pci_dev *d, unsigned off, unsigned size)
{
	struct pci_config *c = &d->config;

	pci_config_add_ext_cap(d, ECAP_ERR, 2, off, size);
	/* QEMU's pcie_aer_init: the errors it supports, default severities
	 * and correctable mask, ECRC generation and checking capable */
	put(c->w1cmask, off + 0x04, 4, 0x03fff030);      /* uncorrectable status */
	put(c->data, off + 0x0c, 4, 0x00462030);         /* uncorrectable severity */
	put(c->wmask, off + 0x0c, 4, 0x03fff030);
	put(c->w1cmask, off + 0x10, 4, 0x0000f1c1);      /* correctable status */
	put(c->data, off + 0x14, 4, 0x0000e000);         /* correctable mask */
	put(c->wmask, off + 0x14, 4, 0x0000f1c1);
	put(c->data, off + 0x18, 4, 0x000000a0);         /* capabilities and control */
	put(c->wmask, off + 0x18, 4, 0x00000140);
}

void pci_config_add_dsn(struct pci_dev *d, unsigned off, uint64_t serial)
{
	pci_config_add_ext_cap(d, ECAP_DSN, 1, off, 12);
	put(d->config.data, off + 4, 4, (uint32_t)serial);
	put(d->config.data, off + 8, 4, (uint32_t)(serial >> 32));
}

/* Advanced Features (PCI_CAP_ID_AF, 6 bytes): length, AF_CAP with
 * Transactions Pending and FLR, AF_CTRL's Initiate FLR bit writable. */
static void add_af(struct pci_dev *d, unsigned off)
{
	pci_config_add_cap(d, CAP_AF, off, 6);
	d->config.data[off + 2] = 6;
	d->config.data[off + 3] = AF_CAP_TP | AF_CAP_FLR;
	d->config.wmask[off + 4] = 0x01;
}

/*
 * The layout of a function without a model, as vfio-pci showed it before
 * there were models: MSI (64-bit, no per-vector masking), MSI-X (table at
 * 0 of BAR 0, PBA after it) and a version 2 PCI Express capability, packed
 * from 0x40 in that order; then the reset methods the topology gives it
 * (caps.resets; default an FLR): FLR as a DEVCAP bit of the PCI Express
 * capability, PM as a power management capability (version 3, No_Soft_Reset
 * clear), AF as an Advanced Features capability.
 */
static void synthesize(struct pci_dev *d)
{
	unsigned pos = CFG_HEADER_SIZE;

	header_init(d, 0, 0xff0000, d->vendor, d->device,
		    CMD_IO | CMD_MEMORY | CMD_MASTER | CMD_PARITY | CMD_SERR | CMD_INTX_DIS, false);
	if (d->msi_vectors) {
		pci_config_add_msi(d, pos, true, false);
		pos += 0x18;
	}
	if (d->msix_vectors) {
		pci_config_add_msix(d, pos, 0, 0, 0, ((uint32_t)d->msix_vectors * 16 + 7) & ~7u);
		pos += 0x0c;
	}
	if (pci_type_is_pcie(d->type)) {
		pci_config_add_exp(d, pos, 2);
		if (d->resets & PCI_RESET_FLR)
			put(d->config.data, pos + 4, 4, get(d->config.data, pos + 4, 4) |
			    EXP_DEVCAP_FLR);
		pos += 0x3c;
	}
	if (d->resets & PCI_RESET_PM) {
		/* PMC version 3 (PCI PM 1.2); PMCSR: the power state writable */
		pci_config_add_pm(d, pos, 0x0003, 0x0003);
		pos += 8;
	}
	if (d->resets & PCI_RESET_AF)
		add_af(d, pos);
}

/*
 * SeaBIOS's pci_bios_init_device, the state QEMU's firmware leaves every
 * function in before the kernel boots: the interrupt line routed as q35's
 * mch_pci_slot_get_irq does (the pin rotated by the slot on the root bus
 * and the device number of each function on the way down; PIRQ A-D are
 * IRQ 10, 10, 11, 11), then I/O, memory and SERR# enabled in the command
 * register, as far as the device lets them be written.  (Its BAR
 * addresses are not modelled: the simulator assigns none.)
 */
static void firmware(struct pci_dev *d)
{
	static const uint8_t pirq_irq[4] = { 10, 10, 11, 11 };
	unsigned pin = d->config.data[CFG_INT_PIN], addend = 0;
	const struct pci_dev *top = d;

	if (pin) {
		unsigned slot;

		while (top->bus->self) {
			addend += PCI_SLOT(top->devfn);
			top = top->bus->self;
		}
		slot = PCI_SLOT(top->devfn);
		if (slot <= 24)
			addend += slot;
		pci_config_write(d, CFG_INT_LINE, 1, pirq_irq[(pin - 1 + addend) & 3]);
	}
	pci_config_write(d, CFG_COMMAND, 2, pci_config_read(d, CFG_COMMAND, 2) |
			 CMD_IO | CMD_MEMORY | CMD_SERR);
}

void pci_config_build(struct pci_dev *d)
{
	const struct pci_devmodel *m = d->model;

	if (!m) {
		synthesize(d);
		return;
	}
	header_init(d, m->revision, m->class_code, m->subsystem_vendor, m->subsystem_id,
		    CMD_IO | CMD_MEMORY | CMD_MASTER | CMD_SERR | CMD_INTX_DIS, true);
	if (m->config)
		m->config(d);
	firmware(d);
}
