/* SPDX-License-Identifier: MIT */
/*
 * Drivers: the per-world registry, binding and unbinding (spec §B).
 *
 * A registered driver runs its probe/remove; any other name is a kernel
 * driver that uses the DMA API (managed_dma false, nothing to run).  Around
 * every bind the DMA owner's hooks run first (dma_configure may veto a
 * kernel driver with -EBUSY when userspace owns the group), and unbinding
 * gives the ownership back after remove, as the kernel's really_probe() and
 * device_remove() do.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci_internal.h"

static void drv_entry_free(gpointer p)
{
	struct pci_drv_entry *e = p;

	g_free(e->name);
	g_free(e);
}

static struct pci_drv_entry *drv_add(struct pci_root *root, const struct pci_driver *drv)
{
	struct pci_drv_entry *e = g_new0(struct pci_drv_entry, 1);

	e->drv = *drv;
	e->name = g_strdup(drv->name);
	e->drv.name = e->name;
	g_hash_table_insert(root->drivers, e->name, e);
	return e;
}

/* pci-stub and pcieport do no DMA on their devices: driver_managed_dma. */
void pci_drivers_init(struct pci_root *root)
{
	root->drivers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, drv_entry_free);
	drv_add(root, &(struct pci_driver){ .name = "pci-stub", .managed_dma = true });
	drv_add(root, &(struct pci_driver){ .name = "pcieport", .managed_dma = true });
}

void pci_drivers_fini(struct pci_root *root)
{
	if (root->drivers)
		g_hash_table_destroy(root->drivers);
	root->drivers = NULL;
}

static bool is_none(const char *name)
{
	return !name || !strcmp(name, "none");
}

int pci_register_driver(struct sim_world *w, const struct pci_driver *drv)
{
	struct pci_root *root = pci_root_get(w);

	if (!root)
		return -ENODEV;
	if (!drv || !drv->name || !*drv->name || is_none(drv->name))
		return -EINVAL;
	if (g_hash_table_contains(root->drivers, drv->name))
		return -EEXIST;
	drv_add(root, drv);
	return 0;
}

/* Like driver_unregister(): every function bound to it is unbound first. */
void pci_unregister_driver(struct sim_world *w, const char *name)
{
	struct pci_root *root = pci_root_get(w);
	struct pci_drv_entry *e;

	if (!root || !name || !(e = g_hash_table_lookup(root->drivers, name)))
		return;
	for (guint i = 0; i < root->devs->len; i++)
		if (root->state[i].bound == e)
			pci_unbind_driver(w, g_ptr_array_index(root->devs, i));
	g_hash_table_remove(root->drivers, name);
}

bool pci_driver_is_managed(struct sim_world *w, const char *name)
{
	struct pci_root *root = pci_root_get(w);
	struct pci_drv_entry *e;

	if (is_none(name))
		return true;
	e = root ? g_hash_table_lookup(root->drivers, name) : NULL;
	return e && e->drv.managed_dma;
}

void pci_set_bus_hooks(struct sim_world *w, const struct pci_bus_hooks *hooks)
{
	struct pci_root *root = pci_root_get(w);

	if (!root)
		return;
	root->has_hooks = hooks != NULL;
	root->hooks = hooks ? *hooks : (struct pci_bus_hooks){ 0 };
}

static int dma_configure(struct pci_root *root, struct pci_dev *d, bool managed)
{
	if (!root->has_hooks || !root->hooks.dma_configure)
		return 0;
	return root->hooks.dma_configure(root->hooks.ctx, d, managed);
}

static void dma_cleanup(struct pci_root *root, struct pci_dev *d, bool managed)
{
	if (root->has_hooks && root->hooks.dma_cleanup)
		root->hooks.dma_cleanup(root->hooks.ctx, d, managed);
}

/* Is @d one of @root's functions (not a stale or foreign pointer)? */
static bool dev_owned(struct pci_root *root, struct pci_dev *d)
{
	return d && d->probe_index < root->devs->len &&
	       g_ptr_array_index(root->devs, d->probe_index) == d;
}

static int do_bind(struct pci_root *root, struct pci_dev *d, const char *name)
{
	struct pci_dev_state *st = &root->state[d->probe_index];
	struct pci_drv_entry *e = g_hash_table_lookup(root->drivers, name);
	bool managed = e && e->drv.managed_dma;
	int ret;

	if (sim_should_fail(root->w, "pci_bind"))
		return -ENOMEM;
	ret = dma_configure(root, d, managed);
	if (ret)
		return ret;
	if (e && e->drv.probe) {
		ret = e->drv.probe(e->drv.ctx, d);
		if (ret) {
			dma_cleanup(root, d, managed);
			return ret;
		}
	}
	d->driver = g_strdup(name);
	st->bound = e;
	st->bound_managed = managed;
	return 0;
}

int pci_bind_driver(struct sim_world *w, struct pci_dev *d, const char *driver)
{
	struct pci_root *root = pci_root_get(w);
	int ret;

	if (!root || !dev_owned(root, d))
		return -ENODEV;
	if (is_none(driver))
		return pci_unbind_driver(w, d);
	if (!*driver)
		return -EINVAL;
	/* the driver core refuses any bind while a driver is attached, even
	 * the same one (__driver_probe_device: -EBUSY) */
	if (d->driver)
		return -EBUSY;
	ret = do_bind(root, d, driver);
	if (ret)
		SIM_TRACE(w, pci_bind_fail, d->name, driver, ret);
	else
		SIM_TRACE(w, pci_bind, d->name, driver);
	return ret;
}

int pci_unbind_driver(struct sim_world *w, struct pci_dev *d)
{
	struct pci_root *root = pci_root_get(w);
	struct pci_dev_state *st;

	if (!root || !dev_owned(root, d))
		return -ENODEV;
	if (!d->driver)
		return 0;
	st = &root->state[d->probe_index];
	if (st->bound && st->bound->drv.remove)
		st->bound->drv.remove(st->bound->drv.ctx, d);
	dma_cleanup(root, d, st->bound_managed);
	SIM_TRACE(w, pci_unbind, d->name, d->driver);
	g_free(d->driver);
	d->driver = NULL;
	st->bound = NULL;
	st->bound_managed = false;
	return 0;
}

/*
 * Boot: bind each function's spec driver (or its type's default) in probe
 * order, once.  A refusal names the spec entry and its driver key.
 */
int pci_bind_initial_drivers(struct sim_world *w, struct pci_build_error *err)
{
	struct pci_root *root = pci_root_get(w);

	if (!root)
		return -ENODEV;
	if (root->initial_bound)
		return 0;
	root->initial_bound = true;
	for (guint i = 0; i < root->devs->len; i++) {
		struct pci_dev *d = g_ptr_array_index(root->devs, i);
		const char *drv = root->state[i].initial_driver;
		int ret;

		if (is_none(drv))
			continue;
		ret = pci_bind_driver(w, d, drv);
		if (!ret)
			continue;
		if (err) {
			err->index = root->state[i].spec_index;
			err->key = PCI_KEY_DRIVER;
			snprintf(err->msg, sizeof(err->msg), "cannot bind %s to driver %s: %s",
				 d->name, drv, g_strerror(-ret));
		}
		return ret;
	}
	return 0;
}

/* Public API (<iommusim/iommusim.h>): bind by address; "none"/NULL unbinds. */
int sim_pci_bind(struct sim_world *w, const char *bdf, const char *driver)
{
	struct pci_dev *d;
	int ret = pci_dev_lookup(w, bdf, &d);

	return ret ? ret : pci_bind_driver(w, d, driver);
}
