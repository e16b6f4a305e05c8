/* SPDX-License-Identifier: MIT */
/*
 * The device-model seam (devmodel.h): the table of models, a function's
 * model state, register access, reset, and the calls a model makes: DMA
 * through model/pci/dma.c, INTx and MSI through the interrupt sink.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/trace.h"
#include "model/pci/devmodel.h"
#include "model/pci/pci_internal.h"
#include "iommusim/iommusim.h"

#define DMA_PAGE 4096u

static const struct pci_devmodel *const models[] = {
	&pci_devmodel_edu,
	&pci_devmodel_e1000e,
};

size_t pci_devmodel_count(void)
{
	return G_N_ELEMENTS(models);
}

const struct pci_devmodel *pci_devmodel_at(size_t i)
{
	return i < G_N_ELEMENTS(models) ? models[i] : NULL;
}

const struct pci_devmodel *pci_devmodel_find(uint16_t vendor, uint16_t device)
{
	for (size_t i = 0; i < G_N_ELEMENTS(models); i++)
		if (models[i]->vendor == vendor && models[i]->device == device)
			return models[i];
	return NULL;
}

/* ---- lifetime --------------------------------------------------------------- */

int pci_devmodel_attach(struct sim_world *w, struct pci_dev *d, const struct pci_devmodel *m)
{
	struct pci_devmodel_state *st;
	size_t words = ((size_t)d->msix_vectors + 63) / 64;

	pci_devmodel_detach(d);              /* a state it had goes first */
	if (m && sim_should_fail(w, "pci_devmodel_alloc"))
		return -ENOMEM;
	st = g_new0(struct pci_devmodel_state, 1);
	st->w = w;
	if (words) {
		st->msix_masked = g_new0(uint64_t, words);
		st->msix_pending = g_new0(uint64_t, words);
	}
	d->model = m;
	d->model_state = st;
	pci_devmodel_msix_reset(d);
	if (m && m->create) {
		st->priv = m->create(d);
		if (!st->priv) {
			pci_devmodel_detach(d);
			return -ENOMEM;
		}
	}
	return 0;
}

void pci_devmodel_detach(struct pci_dev *d)
{
	if (!d || !d->model_state)
		return;
	if (d->model && d->model->destroy && d->model_state->priv)
		d->model->destroy(d->model_state->priv);
	g_free(d->model_state->msix_masked);
	g_free(d->model_state->msix_pending);
	g_free(d->model_state);
	d->model_state = NULL;
	d->model = NULL;
}

/* ---- the owner's side ------------------------------------------------------------ */

bool pci_devmodel_bar_has_regs(const struct pci_dev *d, unsigned bar)
{
	return pci_dev_has_model(d) && bar < PCI_NUM_BARS && d->bars[bar].size &&
	       d->model->bar_ops[bar].read && d->model->bar_ops[bar].write;
}

static bool access_ok(const struct pci_dev *d, unsigned bar, uint64_t off, unsigned size)
{
	return pci_devmodel_bar_has_regs(d, bar) &&
	       (size == 1 || size == 2 || size == 4 || size == 8) && !(off % size) &&
	       off < d->bars[bar].size && size <= d->bars[bar].size - off;
}

uint64_t pci_devmodel_bar_read(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size)
{
	uint64_t v;

	/* a broken access never reaches the device: it reads as all ones */
	if (!access_ok(d, bar, off, size))
		return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
	v = d->model->bar_ops[bar].read(d, off, size);
	return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

void pci_devmodel_bar_write(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size,
			    uint64_t val)
{
	if (!access_ok(d, bar, off, size))
		return;
	if (size < 8)
		val &= (1ull << (8 * size)) - 1;
	d->model->bar_ops[bar].write(d, off, size, val);
}

/* The PCI side of a reset, for every function: the line low, MSI and
 * MSI-X off, every MSI-X entry masked and nothing pending (the
 * specification's reset values); then a model's own reset. */
void pci_devmodel_reset(struct pci_dev *d)
{
	struct pci_devmodel_state *st;

	if (!pci_dev_has_irq_state(d))
		return;
	st = d->model_state;
	st->resets++;
	SIM_TRACE(st->w, pci_devmodel_reset, d->name, d->model ? d->model->name : "none");
	pci_devmodel_set_intx(d, false);
	pci_config_msi_enable(d, false, 0);
	pci_config_msix_enable(d, false);
	pci_devmodel_msix_reset(d);
	if (d->model && d->model->reset)
		d->model->reset(d);
}

void pci_devmodel_set_sink(struct pci_dev *d, const struct pci_irq_sink *sink)
{
	struct pci_devmodel_state *st;

	if (!pci_dev_has_irq_state(d))
		return;
	st = d->model_state;
	st->has_sink = sink != NULL;
	st->sink = sink ? *sink : (struct pci_irq_sink){ 0 };
}

void pci_devmodel_set_msi_enabled(struct pci_dev *d, bool enabled)
{
	if (d && d->msi_vectors)
		pci_config_msi_enable(d, enabled, d->msi_vectors);
	else if (d)
		pci_config_msi_enable(d, false, 0);
}

/* ---- the model's side ------------------------------------------------------------- */

unsigned pci_devmodel_dma(struct pci_dev *d, uint64_t addr, void *buf, size_t len, bool write)
{
	struct pci_devmodel_state *st;
	uint8_t *b = buf;
	unsigned refused = 0;
	size_t done = 0;

	if (!pci_dev_has_model(d) || (len && !buf))
		return 0;
	st = d->model_state;
	/* Bus Master Enable clear: the request never leaves the function */
	if (!(pci_config_read(d, 0x04, 2) & 0x0004)) {
		st->dma_blocked++;
		SIM_TRACE(st->w, pci_devmodel_dma_blocked, d->name, (unsigned long long)addr, len);
		if (!write && len)
			memset(b, 0, len);
		return (unsigned)((addr % DMA_PAGE + len + DMA_PAGE - 1) / DMA_PAGE);
	}
	while (done < len) {
		uint64_t a = addr + done;
		size_t chunk = MIN(len - done, DMA_PAGE - (size_t)(a % DMA_PAGE));
		struct sim_dma op = { .addr = a, .write = write, .buf = b + done, .len = chunk };

		if (pci_dev_dma(st->w, d, &op)) {
			refused++;
			if (!write)
				memset(b + done, 0, chunk);
		}
		done += chunk;
	}
	return refused;
}

void pci_devmodel_set_intx(struct pci_dev *d, bool level)
{
	struct pci_devmodel_state *st;

	if (!pci_dev_has_irq_state(d) || !d->intx)
		return;
	st = d->model_state;
	if (st->intx_level == level)
		return;
	st->intx_level = level;
	if (level)
		st->intx_asserts++;
	SIM_TRACE(st->w, pci_devmodel_intx, d->name, level);
	if (st->has_sink && st->sink.intx)
		st->sink.intx(st->sink.ctx, d, level);
}

bool pci_devmodel_msi_enabled(const struct pci_dev *d)
{
	return pci_dev_has_irq_state(d) && d->msi_vectors && pci_config_msi_enabled(d);
}

/* 2^MME: the vectors the kernel enabled in the MSI capability. */
static unsigned msi_enabled_vectors(const struct pci_dev *d)
{
	unsigned pos = pci_config_find_cap(d, 0x05);

	return pos ? 1u << ((pci_config_read(d, pos + 2, 2) >> 4) & 7) : 0;
}

void pci_devmodel_msi(struct pci_dev *d, unsigned vector)
{
	struct pci_devmodel_state *st;

	if (!pci_devmodel_msi_enabled(d) || vector >= d->msi_vectors)
		return;
	st = d->model_state;
	st->msis++;
	SIM_TRACE(st->w, pci_devmodel_msi, d->name, vector);
	if (st->has_sink && st->sink.msi)
		st->sink.msi(st->sink.ctx, d, vector);
}

void pci_devmodel_error(struct pci_dev *d, const char *kind, const char *fmt, ...)
{
	struct pci_devmodel_state *st;
	char msg[128];
	va_list ap;

	if (!pci_dev_has_model(d))
		return;
	st = d->model_state;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->errors++;
	snprintf(st->last_error, sizeof(st->last_error), "%s: %s", kind, msg);
	SIM_TRACE(st->w, pci_devmodel_error, d->name, d->model->name, kind);
}

unsigned pci_devmodel_errors(const struct pci_dev *d)
{
	return pci_dev_has_model(d) ? d->model_state->errors : 0;
}

const char *pci_devmodel_last_error(const struct pci_dev *d)
{
	return pci_dev_has_model(d) ? d->model_state->last_error : "";
}

/* ---- MSI-X: the table's mask bits and the PBA ---------------------------------------- */

static bool bit_get(const uint64_t *map, unsigned i)
{
	return map && (map[i / 64] >> (i % 64)) & 1;
}

static void bit_put(uint64_t *map, unsigned i, bool on)
{
	if (!map)
		return;
	if (on)
		map[i / 64] |= 1ull << (i % 64);
	else
		map[i / 64] &= ~(1ull << (i % 64));
}

void pci_devmodel_msix_reset(struct pci_dev *d)
{
	struct pci_devmodel_state *st = d ? d->model_state : NULL;

	if (!st)
		return;
	for (unsigned i = 0; i < d->msix_vectors; i++) {
		bit_put(st->msix_masked, i, true);
		bit_put(st->msix_pending, i, false);
	}
}

bool pci_devmodel_msix_pending(const struct pci_dev *d, unsigned vector)
{
	return pci_dev_has_irq_state(d) && vector < d->msix_vectors &&
	       bit_get(d->model_state->msix_pending, vector);
}

bool pci_devmodel_msix_masked(const struct pci_dev *d, unsigned vector)
{
	return !pci_dev_has_irq_state(d) || vector >= d->msix_vectors ||
	       bit_get(d->model_state->msix_masked, vector);
}

/* The message itself, to whoever owns the interrupts. */
static void msix_send(struct pci_dev *d, unsigned vector)
{
	struct pci_devmodel_state *st = d->model_state;

	st->msis++;
	SIM_TRACE(st->w, pci_devmodel_msix, d->name, vector, 0);
	if (st->has_sink && st->sink.msix)
		st->sink.msix(st->sink.ctx, d, vector);
}

/* MSI-X Function Mask in the capability's control word. */
static bool msix_function_masked(const struct pci_dev *d)
{
	unsigned pos = pci_config_find_cap(d, 0x11);

	return pos && (pci_config_read(d, pos + 2, 2) & 0x4000);
}

int pci_devmodel_msix(struct pci_dev *d, unsigned vector)
{
	struct pci_devmodel_state *st;

	if (!pci_dev_has_irq_state(d) || vector >= d->msix_vectors)
		return -EINVAL;
	st = d->model_state;
	if (!pci_config_msix_enabled(d))
		return PCI_IRQ_DISABLED;
	if (bit_get(st->msix_masked, vector) || msix_function_masked(d)) {
		bit_put(st->msix_pending, vector, true);
		SIM_TRACE(st->w, pci_devmodel_msix, d->name, vector, 1);
		return PCI_IRQ_PENDING;
	}
	msix_send(d, vector);
	return PCI_IRQ_SENT;
}

void pci_devmodel_msix_mask(struct pci_dev *d, unsigned vector, bool masked)
{
	struct pci_devmodel_state *st;

	if (!pci_dev_has_irq_state(d) || vector >= d->msix_vectors)
		return;
	st = d->model_state;
	bit_put(st->msix_masked, vector, masked);
	if (!masked && bit_get(st->msix_pending, vector) && pci_config_msix_enabled(d) &&
	    !msix_function_masked(d)) {
		bit_put(st->msix_pending, vector, false);
		msix_send(d, vector);
	}
}

/* ---- a test raising an interrupt (sim_dev_irq) ------------------------------------------ */

_Static_assert(PCI_IRQ_SENT == SIM_IRQ_SENT && PCI_IRQ_PENDING == SIM_IRQ_PENDING &&
	       PCI_IRQ_DISABLED == SIM_IRQ_DISABLED && PCI_IRQ_UNCHANGED == SIM_IRQ_UNCHANGED,
	       "the public results are the seam's");

int sim_dev_irq(struct sim_world *w, const char *bdf, unsigned index, unsigned vector)
{
	struct pci_dev *d;
	int ret = pci_dev_lookup(w, bdf, &d);

	return ret ? ret : pci_devmodel_raise(d, index, vector);
}

int pci_devmodel_raise(struct pci_dev *d, unsigned index, unsigned vector)
{
	struct pci_devmodel_state *st;

	if (!pci_dev_has_irq_state(d))
		return -EINVAL;
	st = d->model_state;
	switch (index) {
	case 0:
		if (!d->intx || vector > 1)
			return -EINVAL;
		if (st->intx_level == (vector == 1))
			return PCI_IRQ_UNCHANGED;
		pci_devmodel_set_intx(d, vector == 1);
		return PCI_IRQ_SENT;
	case 1:
		if (vector >= d->msi_vectors)
			return -EINVAL;
		/* a vector beyond those the kernel enabled (Multiple Message
		 * Enable) is not one the function may send */
		if (!pci_devmodel_msi_enabled(d) || vector >= msi_enabled_vectors(d))
			return PCI_IRQ_DISABLED;
		pci_devmodel_msi(d, vector);
		return PCI_IRQ_SENT;
	case 2:
		return pci_devmodel_msix(d, vector);
	default:
		return -EINVAL;
	}
}
