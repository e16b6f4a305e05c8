/* SPDX-License-Identifier: MIT */
/*
 * Device models: what a PCI function does when software touches its BARs,
 * and what it does on its own (DMA, interrupts).  docs/devices.md.
 *
 * Without a model a function's BARs are inert storage (vfio-pci's sparse
 * pages).  A model is a table, found by (vendor, device) as the quirk
 * table is:
 *
 *   - what the function looks like: revision, class code, subsystem ids,
 *     the kinds of function it can be, BARs, INTx pin, MSI/MSI-X vectors,
 *     which function-level resets it supports.  A topology entry that does
 *     not state BARs or irqs gets the model's; one that states something
 *     else is refused (pci_topology_create names the entry and key);
 *   - its configuration space: the seam writes the header (identity, BAR
 *     flags, interrupt pin, QEMU's default write masks) and the model's
 *     config hook adds its capabilities at their offsets with the builders
 *     below; then the function gets the state SeaBIOS leaves it in
 *     (config.c);
 *   - register handlers per BAR: read and write of 1, 2, 4 or 8 bytes at a
 *     naturally aligned offset inside the BAR (whoever owns the BAR —
 *     vfio-pci for a user — splits an access into such pieces first);
 *   - create / destroy of the model's own state, and reset (a
 *     function-level reset: FLR, PM or secondary bus reset).
 *
 * A model calls back into the machine through the functions below, never
 * around them:
 *
 *   - DMA goes through pci_devmodel_dma(): model/pci/dma.c puts the
 *     requester id after aliasing on it and the IOMMU hardware alone
 *     decides each page's fate.  Nothing a kernel layer keeps is consulted.
 *   - INTx is a level: pci_devmodel_set_intx() raises or lowers the line;
 *     MSI is a message: pci_devmodel_msi() sends vector N if the enable bit
 *     of the function's MSI capability is set in its configuration space
 *     (pci_devmodel_msi_enabled()).  Whoever owns
 *     the interrupts (vfio-pci) installs a sink that sees both.
 *   - pci_devmodel_error() records a device error: something the real
 *     device (or its emulator) would not survive or would report, which a
 *     test can see and the simulator survives.
 *
 * Time: a model does its work at the register write that starts it.  What
 * takes time on real hardware (or runs in a QEMU timer or thread) is done
 * before the write returns, so a program polling a busy bit sees it clear
 * at its first read and every run is deterministic.
 *
 * Layering: this is the PCI hardware layer.  A model knows nothing of the
 * IOMMU or VFIO; the lifetime of a model's state is the function's.
 */
#ifndef MODEL_PCI_DEVMODEL_H
#define MODEL_PCI_DEVMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/pci/pci.h"

struct sim_world;

/* Function-level resets a device supports (pci_reset_function's methods);
 * the same bits as a topology entry's `caps: {resets: [...]}`
 * (PCI_RESET_* in pci.h). */
#define PCI_DEVMODEL_RESET_FLR PCI_RESET_FLR  /* FLR in the PCIe DEVCAP */
#define PCI_DEVMODEL_RESET_PM  PCI_RESET_PM   /* D3hot -> D0 with No_Soft_Reset clear */
#define PCI_DEVMODEL_RESET_AF  PCI_RESET_AF   /* the Advanced Features capability's FLR */

/* One BAR's registers.  @off is inside the BAR and a multiple of @size,
 * @size is 1, 2, 4 or 8; a read returns the value in the low @size bytes. */
struct pci_devmodel_bar_ops {
	uint64_t (*read)(struct pci_dev *d, uint64_t off, unsigned size);
	void (*write)(struct pci_dev *d, uint64_t off, unsigned size, uint64_t val);
};

/* A bit of struct pci_devmodel.types. */
#define PCI_DEVMODEL_TYPE(t) (1u << (t))

struct pci_devmodel {
	const char *name;               /* "edu" */
	uint16_t vendor, device;
	uint8_t revision;
	uint32_t class_code;            /* base << 16 | sub-class << 8 | prog-if */
	uint16_t subsystem_vendor, subsystem_id;
	/* the kinds of function it can be (PCI_DEVMODEL_TYPE bits): QEMU's
	 * e1000e is an endpoint below a port and an integrated endpoint on a
	 * root bus */
	uint32_t types;
	struct pci_bar bars[PCI_NUM_BARS];
	bool intx;                      /* an INTx pin (A) */
	uint16_t msi_vectors, msix_vectors;
	unsigned resets;                /* PCI_DEVMODEL_RESET_* */
	struct pci_devmodel_bar_ops bar_ops[PCI_NUM_BARS];
	/* Its capabilities, added to the configuration space the seam began
	 * (the builders below), once the function is on its bus.  NULL: a
	 * header and nothing else. */
	void (*config)(struct pci_dev *d);
	/* The model's state at power-on, or NULL (the caller reports -ENOMEM). */
	void *(*create)(struct pci_dev *d);
	void (*destroy)(void *priv);
	/* A function-level reset (the PCI side: INTx low, MSI off, is done by
	 * pci_devmodel_reset before this is called).  NULL: nothing to reset. */
	void (*reset)(struct pci_dev *d);
};

/* Where a function's interrupts go (vfio-pci installs one per device). */
struct pci_irq_sink {
	/* The INTx line changed to @level. */
	void (*intx)(void *ctx, struct pci_dev *d, bool level);
	/* An MSI message for @vector. */
	void (*msi)(void *ctx, struct pci_dev *d, unsigned vector);
	/* An MSI-X message for table entry @vector (unmasked when sent). */
	void (*msix)(void *ctx, struct pci_dev *d, unsigned vector);
	void *ctx;
};

/* The PCI side of every function (struct pci_dev.model_state): its
 * interrupt lines and messages, and, with a model, the model's state. */
struct pci_devmodel_state {
	struct sim_world *w;
	void *priv;                     /* the model's own state */
	bool intx_level;                /* the line as the device drives it */
	bool has_sink;
	struct pci_irq_sink sink;
	/* MSI-X: each table entry's Vector Control mask bit (as the host
	 * kernel's MSI-X code programs it; all masked at reset) and the
	 * Pending Bit Array, one bit per entry */
	uint64_t *msix_masked, *msix_pending;
	/* counters (tests, traces) */
	uint64_t intx_asserts;          /* rising edges of the line */
	uint64_t msis;                  /* messages sent (MSI and MSI-X) */
	uint64_t dma_blocked;           /* DMAs not issued: bus mastering off */
	uint64_t resets;
	unsigned errors;                /* device errors recorded */
	char last_error[160];
};

/* ---- the table ------------------------------------------------------------ */

/* The model for (@vendor, @device), or NULL. */
const struct pci_devmodel *pci_devmodel_find(uint16_t vendor, uint16_t device);
size_t pci_devmodel_count(void);
const struct pci_devmodel *pci_devmodel_at(size_t i);

/* The models (one file each). */
extern const struct pci_devmodel pci_devmodel_edu;
extern const struct pci_devmodel pci_devmodel_e1000e;

/* ---- used by topology.c ---------------------------------------------------- */

/* Give @d its PCI-side state and, with @m, its model's state at power-on:
 * 0, or -ENOMEM (fault site "pci_devmodel_alloc" for a model, or the
 * model's create failing).  @m NULL: a function without behaviour, whose
 * interrupts a test raises (pci_devmodel_raise). */
int pci_devmodel_attach(struct sim_world *w, struct pci_dev *d, const struct pci_devmodel *m);
/* Free it (the function goes away). */
void pci_devmodel_detach(struct pci_dev *d);

/* ---- used by whoever owns the function (vfio-pci) -------------------------- */

static inline bool pci_dev_has_model(const struct pci_dev *d)
{
	return d && d->model && d->model_state;
}
/* Does BAR @bar of @d have registers (a model's handlers)? */
bool pci_devmodel_bar_has_regs(const struct pci_dev *d, unsigned bar);
/* One register access; @off is inside the BAR and aligned to @size. */
uint64_t pci_devmodel_bar_read(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size);
void pci_devmodel_bar_write(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size,
			    uint64_t val);
/* A function-level reset: the line goes low, MSI and MSI-X are disabled in
 * the configuration space, then the model's reset.  Nothing for a
 * function without a model. */
void pci_devmodel_reset(struct pci_dev *d);
/* Does @d have the PCI-side state (every function of a topology)? */
static inline bool pci_dev_has_irq_state(const struct pci_dev *d)
{
	return d && d->model_state;
}
/* Install (a copy of) @sink, or remove it with NULL.  The line's current
 * level is not replayed to a new sink: it sees the next change. */
void pci_devmodel_set_sink(struct pci_dev *d, const struct pci_irq_sink *sink);
/* The MSI capability's enable bit, as the kernel programs it (a function
 * with MSI vectors and the capability; pci_config_msi_enable). */
void pci_devmodel_set_msi_enabled(struct pci_dev *d, bool enabled);
/* The host kernel's MSI-X code writes entry @vector's mask bit
 * (pci_msix_mask / pci_msix_unmask).  Unmasking an entry whose pending bit
 * is set sends its message and clears the bit, as the PCI specification
 * has the function do.  Nothing beyond the table. */
void pci_devmodel_msix_mask(struct pci_dev *d, unsigned vector, bool masked);
/* Mask every entry and clear the PBA (msix_mask_all at enable; reset). */
void pci_devmodel_msix_reset(struct pci_dev *d);
bool pci_devmodel_msix_pending(const struct pci_dev *d, unsigned vector);
bool pci_devmodel_msix_masked(const struct pci_dev *d, unsigned vector);

/*
 * A test makes the function interrupt (sim_dev_irq, the `irq` step): what
 * the device does, in its own terms.  @index: 0 INTx (@vector is the level
 * the line goes to: 1 asserted, 0 deasserted), 1 MSI, 2 MSI-X (@vector is
 * the vector or table entry).  Returns PCI_IRQ_SENT, PCI_IRQ_PENDING (an
 * MSI-X entry masked: its PBA bit is set), PCI_IRQ_DISABLED (MSI or MSI-X
 * not enabled in the capability, or the function masked: nothing is
 * sent), PCI_IRQ_UNCHANGED (the line already at that level), or -EINVAL
 * (no such interrupt: no INTx pin, a vector beyond the capability's, an
 * unknown index).
 */
#define PCI_IRQ_SENT      0
#define PCI_IRQ_PENDING   1
#define PCI_IRQ_DISABLED  2
#define PCI_IRQ_UNCHANGED 3
int pci_devmodel_raise(struct pci_dev *d, unsigned index, unsigned vector);

/* ---- used by the models ------------------------------------------------------ */

/*
 * DMA by @d: @len bytes at bus address @addr, to (@write) or from memory,
 * through the IOMMU.  With Bus Master Enable clear in the function's
 * command register nothing is issued: the IOMMU sees nothing, a read
 * brings zeros (QEMU's disabled bus-master address space), every page
 * counts as refused and dma_blocked grows.  The transfer is issued page by page (4 KiB of the bus
 * address), as QEMU's DMA helpers translate it: a page the IOMMU refuses
 * is skipped by a write, and a read of it delivers zeros (QEMU's
 * unassigned-memory read); the pages after it are still transferred.
 * Returns the number of pages refused (0: all transferred).
 */
unsigned pci_devmodel_dma(struct pci_dev *d, uint64_t addr, void *buf, size_t len,
			  bool write);
/* Drive the INTx line (a no-op when the level does not change). */
void pci_devmodel_set_intx(struct pci_dev *d, bool level);
bool pci_devmodel_msi_enabled(const struct pci_dev *d);
/* Send MSI vector @vector (the caller checked pci_devmodel_msi_enabled). */
void pci_devmodel_msi(struct pci_dev *d, unsigned vector);
/* Send MSI-X table entry @vector: masked (the entry's bit or the function
 * mask), it only sets the pending bit.  Returns PCI_IRQ_*. */
int pci_devmodel_msix(struct pci_dev *d, unsigned vector);
/* Record a device error: counted, kept as the last one ("KIND: message"),
 * traced with @kind (one word: "dma-out-of-bounds"). */
void pci_devmodel_error(struct pci_dev *d, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Errors recorded on @d (0 without a model), and the last one ("" none). */
unsigned pci_devmodel_errors(const struct pci_dev *d);
const char *pci_devmodel_last_error(const struct pci_dev *d);

/* ---- building a configuration space (config.c), for the config hooks ------- */

/*
 * Each builder puts one capability at @off (dword aligned, inside the
 * space), links it at the end of its list and makes its bytes read-only
 * except the fields the device lets a driver write, which are QEMU 7.2's
 * write masks for them.
 */
/* Any capability: @size bytes, id and link only.  Returns its bytes. */
uint8_t *pci_config_add_cap(struct pci_dev *d, uint8_t id, unsigned off, unsigned size);
/* Any extended capability (PCI Express functions, @off >= 0x100). */
uint8_t *pci_config_add_ext_cap(struct pci_dev *d, uint16_t id, uint8_t version, unsigned off,
				unsigned size);
/* Power management: @pmc (version, D1/D2, PME support, DSI...), the bits of
 * PMCSR a write may change; PME_Status is write-1-to-clear. */
void pci_config_add_pm(struct pci_dev *d, unsigned off, uint16_t pmc, uint16_t csr_wmask);
/* MSI with the function's msi_vectors: 64-bit addresses or not, per-vector
 * masking or not (QEMU's msi_init). */
void pci_config_add_msi(struct pci_dev *d, unsigned off, bool is64, bool maskbit);
/* MSI-X with the function's msix_vectors: the table at @table_off of BAR
 * @table_bar, the PBA at @pba_off of BAR @pba_bar (msix_init). */
void pci_config_add_msix(struct pci_dev *d, unsigned off, unsigned table_bar, uint32_t table_off,
			 unsigned pba_bar, uint32_t pba_off);
/* PCI Express, version 1 (20 bytes, filled as QEMU's pcie_cap_v1_fill: a
 * x1 2.5 GT/s link) or 2 (60 bytes, only the flags); the device/port type
 * is the function's. */
void pci_config_add_exp(struct pci_dev *d, unsigned off, unsigned version);
/* Advanced Error Reporting, version 2, claiming @size bytes (pcie_aer_init). */
void pci_config_add_aer(struct pci_dev *d, unsigned off, unsigned size);
/* Device Serial Number. */
void pci_config_add_dsn(struct pci_dev *d, unsigned off, uint64_t serial);

/* trace points */
#define TP_pci_devmodel_attach "dev=%s model=%s"
#define TP_pci_devmodel_reset  "dev=%s model=%s"
#define TP_pci_devmodel_intx   "dev=%s level=%d"
#define TP_pci_devmodel_msi    "dev=%s vector=%u"
#define TP_pci_devmodel_msix   "dev=%s vector=%u pending=%d"
#define TP_pci_devmodel_dma_blocked "dev=%s addr=0x%llx len=%zu"
#define TP_pci_devmodel_error  "dev=%s model=%s error=%s"

#endif
