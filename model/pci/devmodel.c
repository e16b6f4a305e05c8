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

	if (sim_should_fail(w, "pci_devmodel_alloc"))
		return -ENOMEM;
	st = g_new0(struct pci_devmodel_state, 1);
	st->w = w;
	d->model = m;
	d->model_state = st;
	if (m->create) {
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
	if (d->model->destroy && d->model_state->priv)
		d->model->destroy(d->model_state->priv);
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

void pci_devmodel_reset(struct pci_dev *d)
{
	struct pci_devmodel_state *st;

	if (!pci_dev_has_model(d))
		return;
	st = d->model_state;
	st->resets++;
	SIM_TRACE(st->w, pci_devmodel_reset, d->name, d->model->name);
	pci_devmodel_set_intx(d, false);
	pci_config_msi_enable(d, false, 0);
	pci_config_msix_enable(d, false);
	if (d->model->reset)
		d->model->reset(d);
}

void pci_devmodel_set_sink(struct pci_dev *d, const struct pci_irq_sink *sink)
{
	struct pci_devmodel_state *st;

	if (!pci_dev_has_model(d))
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

	if (!pci_dev_has_model(d) || !d->intx)
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
	return pci_dev_has_model(d) && d->msi_vectors && pci_config_msi_enabled(d);
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
