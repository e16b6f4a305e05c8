/* SPDX-License-Identifier: MIT */
/*
 * Private to model/pci: the state a world keeps in slot SIM_SUBSYS_PCI.
 * Shared by pci.c (names, lookups, alias walk), topology.c (building and
 * validation) and driver.c (registry and binding).  Nothing outside
 * model/pci includes this.
 */
#ifndef MODEL_PCI_INTERNAL_H
#define MODEL_PCI_INTERNAL_H

#include <glib.h>

#include "sim/world.h"
#include "model/pci/pci.h"

/* A registered driver: a copy of the caller's struct with an owned name. */
struct pci_drv_entry {
	struct pci_driver drv;
	char *name;
	GArray *dynids;               /* struct pci_dynid: new_id's, in order */
};

/* An id added through a driver's new_id file (pci_add_dynid). */
struct pci_dynid {
	uint16_t vendor, device;
};

/* Per-function bookkeeping the public struct pci_dev has no room for. */
struct pci_dev_state {
	size_t spec_index;            /* which spec the function came from */
	char *initial_driver;         /* spec driver or the type's default */
	struct pci_drv_entry *bound;  /* registered driver bound, or NULL */
	bool bound_managed;           /* managed_dma as seen at bind time */
	char *driver_override;        /* sysfs driver_override, NULL = none */
	bool unbinding;               /* an unbind waits for the driver's users */
};

struct pci_root {
	struct sim_world *w;
	GPtrArray *devs;              /* struct pci_dev *, probe order (owned) */
	struct pci_dev_state *state;  /* [probe_index] */
	GPtrArray *buses;             /* every struct pci_bus (owned) */
	GPtrArray *root_buses;        /* by (domain, number) */
	GHashTable *by_sbdf;          /* sbdf -> struct pci_dev *; lookups only */
	GHashTable *drivers;          /* name -> struct pci_drv_entry; lookups only */
	struct pci_bus_hooks hooks;
	bool has_hooks;
	bool initial_bound;           /* pci_bind_initial_drivers ran */
	struct pci_dma_handler dma;   /* dma.c: where device DMA goes */
	bool has_dma;
};

static inline struct pci_root *pci_root_get(struct sim_world *w)
{
	return w ? sim_world_subsys(w, SIM_SUBSYS_PCI) : NULL;
}

/* quirks.c: apply every matching table entry to @d, tracing each
 * (pci_quirk).  Needs the buses linked (a condition looks upstream). */
void pci_dev_apply_quirks(struct sim_world *w, struct pci_dev *d);

/* pci.c: set every function's dma_rid (pci_dma_requester_id) from the
 * alias walk.  Run once the buses are linked and every quirk has applied:
 * a bridge's bridge_alias changes the answer for everything below it. */
void pci_dma_rids_init(struct pci_root *root);

/* config.c: the configuration space of @d, from its model's layout (and
 * the firmware's state) or synthesized from the topology; the function
 * must be on its bus. */
void pci_config_build(struct pci_dev *d);

/* driver.c: the registry every topology starts with (pci-stub, pcieport). */
void pci_drivers_init(struct pci_root *root);
/* Own /sys/bus/pci/ (sim/sysfs.h): driver_override, bind, unbind, new_id. */
int pci_sysfs_init(struct sim_world *w);
void pci_drivers_fini(struct pci_root *root);

#endif
