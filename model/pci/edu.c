/* SPDX-License-Identifier: MIT */
/*
 * QEMU's educational device, "edu" (1234:11e8, revision 0x10, class 0x00ff),
 * as QEMU 7.2 implements it (hw/misc/edu.c; docs/specs/edu.rst): a 1 MiB
 * 32-bit memory BAR of registers, INTx pin A and one MSI vector, a
 * factorial unit and a DMA engine with a 4 KiB buffer at device address
 * 0x40000.  The register facts are QEMU's; the code is ours.
 *
 *   0x00 RO  identification 0x010000ed (major 1, minor 0)
 *   0x04 RW  liveness: reads the bitwise inverse of the last value written
 *   0x08 RW  factorial: a write starts n! (32-bit, wrapping); a read gives
 *            the result (while computing: the operand)
 *   0x20 RW  status: bit 0 computing (read-only), bit 7 raise interrupt
 *            0x001 when a factorial finishes
 *   0x24 RO  interrupt status
 *   0x60 WO  raise: ORs the value into the interrupt status
 *   0x64 WO  acknowledge: clears the value's bits from it
 *   0x80 RW  DMA source, 0x88 destination, 0x90 count (64-bit registers)
 *   0x98 RW  DMA command: bit 0 start/running, bit 1 direction (0: RAM to
 *            the device, 1: device to RAM), bit 2 raise interrupt 0x100 at
 *            the end
 *
 * Accesses: 4 bytes below 0x80, 4 or 8 from 0x80 on.  An 8-byte access
 * below 0x80, or one at an offset with no register, reads as all ones and
 * writes nothing.  A 1- or 2-byte access never reaches the device (QEMU's
 * edu region accepts 4 and 8 only): it reads 0, QEMU's value for an access
 * its memory core refuses, and a write is dropped.  A 4-byte write of a
 * 64-bit register sets it to that 32-bit value; a 4-byte access at +4 (the
 * high half) is an offset with no register.  While a DMA runs, writes to
 * the DMA registers are ignored.
 *
 * Interrupts: with MSI enabled every raise sends vector 0 (also while the
 * status was already non-zero); otherwise the INTx line is up while the
 * status is non-zero.  The status has to be acknowledged either way.
 *
 * Differences from QEMU, all deliberate (docs/devices.md):
 *  - time: QEMU runs the factorial in a thread and the DMA from a timer
 *    100 ms after the command; here both finish inside the register write
 *    that starts them, so the computing and running bits are already clear
 *    at the next read, deterministically.  A factorial of 34 or more is 0
 *    (34! has 32 factors of 2), without QEMU's loop of up to 2^32 steps.
 *  - QEMU 7.2 checks a transfer against the buffer with `end < 0x41000`
 *    where `end <= 0x41000` is meant (and refuses a count of 0): a transfer
 *    ending at the buffer's last byte, or empty, or outside the buffer,
 *    makes it call hw_error() and abort the whole emulator.  This model
 *    applies the same rule but survives it: the transfer is not done, the
 *    run bit clears, no interrupt is raised, and a device error is
 *    recorded (pci_devmodel_error, "dma-out-of-bounds") for a test to see.
 *    An emulator artefact: nothing real would do it.
 *  - reset: QEMU's edu has no reset handler, so a function reset leaves its
 *    registers and buffer alone; only the PCI side (INTx low, MSI off)
 *    changes.  This model does the same.
 *
 * The bus address of a DMA is clamped to the device's 28-bit DMA mask
 * (QEMU's edu_clamp_addr: bits above 27 are dropped) before it goes to the
 * IOMMU; the device buffer side is never clamped.
 */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "model/pci/devmodel.h"

#define EDU_ID_VALUE   0x010000edu

#define REG_ID         0x00
#define REG_LIVE       0x04
#define REG_FACT       0x08
#define REG_STATUS     0x20
#define REG_IRQ_STATUS 0x24
#define REG_IRQ_RAISE  0x60
#define REG_IRQ_ACK    0x64
#define REG_DMA_SRC    0x80
#define REG_DMA_DST    0x88
#define REG_DMA_CNT    0x90
#define REG_DMA_CMD    0x98

#define STATUS_COMPUTING 0x01u
#define STATUS_IRQFACT   0x80u

#define IRQ_FACT 0x001u
#define IRQ_DMA  0x100u

#define DMA_RUN     0x1u
#define DMA_TO_RAM  0x2u
#define DMA_IRQ     0x4u

#define DMA_START 0x40000ull
#define DMA_SIZE  4096u
#define DMA_MASK  ((1ull << 28) - 1)

struct edu {
	uint32_t live;          /* what 0x04 reads: ~ the last write */
	uint32_t fact;
	uint32_t status;
	uint32_t irq_status;
	uint64_t dma_src, dma_dst, dma_cnt, dma_cmd;
	uint8_t buf[DMA_SIZE];
};

static struct edu *edu_of(struct pci_dev *d)
{
	return d->model_state->priv;
}

/* ---- interrupts ------------------------------------------------------------- */

static void edu_raise(struct pci_dev *d, uint32_t val)
{
	struct edu *e = edu_of(d);

	e->irq_status |= val;
	if (!e->irq_status)
		return;
	if (pci_devmodel_msi_enabled(d))
		pci_devmodel_msi(d, 0);
	else
		pci_devmodel_set_intx(d, true);
}

static void edu_lower(struct pci_dev *d, uint32_t val)
{
	struct edu *e = edu_of(d);

	e->irq_status &= ~val;
	if (!e->irq_status && !pci_devmodel_msi_enabled(d))
		pci_devmodel_set_intx(d, false);
}

/* ---- the factorial unit ------------------------------------------------------------ */

static uint32_t factorial(uint32_t n)
{
	uint32_t r = 1;

	if (n >= 34)
		return 0;
	while (n > 0)
		r *= n--;
	return r;
}

static void edu_fact_start(struct pci_dev *d, uint32_t val)
{
	struct edu *e = edu_of(d);

	if (e->status & STATUS_COMPUTING)
		return;
	/* QEMU: the operand, the computing bit, then a thread; here at once */
	e->status |= STATUS_COMPUTING;
	e->fact = factorial(val);
	e->status &= ~STATUS_COMPUTING;
	if (e->status & STATUS_IRQFACT)
		edu_raise(d, IRQ_FACT);
}

/* ---- the DMA engine ------------------------------------------------------------------ */

/* QEMU 7.2's edu_check_range: start <= addr < end, cnt > 0 (no wrap), and
 * addr + cnt < end, one byte short of the buffer's end. */
static bool dma_range_ok(uint64_t addr, uint64_t cnt)
{
	uint64_t end = DMA_START + DMA_SIZE, last = addr + cnt;

	return addr >= DMA_START && addr < end && last > addr && last >= DMA_START &&
	       last < end;
}

static void edu_dma_run(struct pci_dev *d)
{
	struct edu *e = edu_of(d);
	bool to_ram = e->dma_cmd & DMA_TO_RAM;
	uint64_t dev_addr = to_ram ? e->dma_src : e->dma_dst;
	uint64_t bus_addr = (to_ram ? e->dma_dst : e->dma_src) & DMA_MASK;

	if (!dma_range_ok(dev_addr, e->dma_cnt)) {
		/* QEMU 7.2 aborts here (hw_error); the model survives it */
		pci_devmodel_error(d, "dma-out-of-bounds", "DMA range 0x%llx+0x%llx is outside "
				   "the buffer 0x%llx-0x%llx (QEMU 7.2 aborts)",
				   (unsigned long long)dev_addr, (unsigned long long)e->dma_cnt,
				   (unsigned long long)DMA_START,
				   (unsigned long long)(DMA_START + DMA_SIZE - 1));
		e->dma_cmd &= ~(uint64_t)DMA_RUN;
		return;
	}
	pci_devmodel_dma(d, bus_addr, e->buf + (dev_addr - DMA_START), (size_t)e->dma_cnt,
			 to_ram);
	e->dma_cmd &= ~(uint64_t)DMA_RUN;
	if (e->dma_cmd & DMA_IRQ)
		edu_raise(d, IRQ_DMA);
}

/* ---- registers ----------------------------------------------------------------------- */

/* The sizes QEMU's edu region takes at @off (4, or 4 and 8 from 0x80). */
static bool size_ok(uint64_t off, unsigned size)
{
	return size == 4 || (size == 8 && off >= 0x80);
}

static uint64_t edu_read(struct pci_dev *d, uint64_t off, unsigned size)
{
	struct edu *e = edu_of(d);

	if (size < 4)
		return 0;               /* refused by QEMU's memory core */
	if (!size_ok(off, size))
		return UINT64_MAX;
	switch (off) {
	case REG_ID:
		return EDU_ID_VALUE;
	case REG_LIVE:
		return e->live;
	case REG_FACT:
		return e->fact;
	case REG_STATUS:
		return e->status;
	case REG_IRQ_STATUS:
		return e->irq_status;
	case REG_DMA_SRC:
		return e->dma_src;
	case REG_DMA_DST:
		return e->dma_dst;
	case REG_DMA_CNT:
		return e->dma_cnt;
	case REG_DMA_CMD:
		return e->dma_cmd;
	default:
		return UINT64_MAX;      /* no register: all ones */
	}
}

/* A DMA register write: ignored while a transfer runs. */
static void dma_reg_write(struct edu *e, uint64_t *reg, uint64_t val)
{
	if (!(e->dma_cmd & DMA_RUN))
		*reg = val;
}

static void edu_write(struct pci_dev *d, uint64_t off, unsigned size, uint64_t val)
{
	struct edu *e = edu_of(d);

	if (size < 4 || !size_ok(off, size))
		return;
	switch (off) {
	case REG_LIVE:
		e->live = ~(uint32_t)val;
		break;
	case REG_FACT:
		edu_fact_start(d, (uint32_t)val);
		break;
	case REG_STATUS:
		if (val & STATUS_IRQFACT)
			e->status |= STATUS_IRQFACT;
		else
			e->status &= ~STATUS_IRQFACT;
		break;
	case REG_IRQ_RAISE:
		edu_raise(d, (uint32_t)val);
		break;
	case REG_IRQ_ACK:
		edu_lower(d, (uint32_t)val);
		break;
	case REG_DMA_SRC:
		dma_reg_write(e, &e->dma_src, val);
		break;
	case REG_DMA_DST:
		dma_reg_write(e, &e->dma_dst, val);
		break;
	case REG_DMA_CNT:
		dma_reg_write(e, &e->dma_cnt, val);
		break;
	case REG_DMA_CMD:
		if (!(val & DMA_RUN) || (e->dma_cmd & DMA_RUN))
			break;
		e->dma_cmd = val;
		edu_dma_run(d);         /* QEMU: a timer 100 ms later */
		break;
	default:
		break;                  /* read-only or no register */
	}
}

/* QEMU's edu_pci_realize: one MSI vector, 64-bit, no per-vector masking,
 * at the first free offset (msi_init with offset 0: 0x40). */
static void edu_config(struct pci_dev *d)
{
	pci_config_add_msi(d, 0x40, true, false);
}

static void *edu_create(struct pci_dev *d)
{
	return g_new0(struct edu, 1);   /* power-on: every register 0 */
}

static void edu_destroy(void *priv)
{
	g_free(priv);
}

const struct pci_devmodel pci_devmodel_edu = {
	.name = "edu",
	.vendor = 0x1234,               /* PCI_VENDOR_ID_QEMU */
	.device = 0x11e8,
	.revision = 0x10,
	.class_code = 0x00ff00,         /* PCI_CLASS_OTHERS: base 0x00, sub-class 0xff */
	/* QEMU's default subsystem ids (pci_set_default_subsystem_id) */
	.subsystem_vendor = 0x1af4,
	.subsystem_id = 0x1100,
	.types = PCI_DEVMODEL_TYPE(PCI_TYPE_PCI_DEVICE),    /* a conventional PCI device */
	.bars = { [0] = { .size = 1u << 20, .type = PCI_BAR_MEM32 } },
	.intx = true,
	.msi_vectors = 1,
	.resets = 0,                    /* no FLR, no PM capability */
	.bar_ops = { [0] = { .read = edu_read, .write = edu_write } },
	.config = edu_config,
	.create = edu_create,
	.destroy = edu_destroy,
	.reset = NULL,                  /* QEMU's edu has none: registers survive */
};
