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
 *
 * Matching (pci_match_device): a function's driver_override names the one
 * driver that may bind it; vfio-pci (override_only) matches nothing else
 * but its new_id entries; every other driver is taken to list the function
 * in its id table.  The sysfs files (driver_override, bind, new_id) are
 * pci_driver_override_store, pci_bind_store and pci_new_id_store; the boot
 * binding and sim_pci_bind go through driver_override as an administrator
 * does.  A remove that waits for the driver's users leaves the unbind
 * pending until the driver completes it (pci_unbind_complete).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/sysfs.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci_internal.h"

static void drv_entry_free(gpointer p)
{
	struct pci_drv_entry *e = p;

	g_free(e->name);
	g_array_free(e->dynids, TRUE);
	g_free(e);
}

static struct pci_drv_entry *drv_add(struct pci_root *root, const struct pci_driver *drv)
{
	struct pci_drv_entry *e = g_new0(struct pci_drv_entry, 1);

	e->drv = *drv;
	e->name = g_strdup(drv->name);
	e->drv.name = e->name;
	e->dynids = g_array_new(FALSE, FALSE, sizeof(struct pci_dynid));
	g_hash_table_insert(root->drivers, e->name, e);
	return e;
}

/*
 * pci-stub and pcieport do no DMA on their devices: driver_managed_dma.
 * pci-stub has no id table of its own (stub_driver's id_table is NULL):
 * it matches a device through driver_override, or through the dynamic ids
 * its ids= module option or new_id adds, like vfio-pci.
 */
void pci_drivers_init(struct pci_root *root)
{
	root->drivers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, drv_entry_free);
	drv_add(root, &(struct pci_driver){ .name = "pci-stub", .managed_dma = true,
					   .override_only = true });
	drv_add(root, &(struct pci_driver){ .name = "pcieport", .managed_dma = true });
}

void pci_drivers_fini(struct pci_root *root)
{
	for (size_t i = 0; root->state && i < root->devs->len; i++) {
		g_free(root->state[i].driver_override);
		root->state[i].driver_override = NULL;
	}
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

static int unbind(struct pci_root *root, struct pci_dev *d, bool force);

/* Like driver_unregister(): every function bound to it is unbound first,
 * without waiting for a driver's users (module removal waits; a world being
 * torn down does not). */
void pci_unregister_driver(struct sim_world *w, const char *name)
{
	struct pci_root *root = pci_root_get(w);
	struct pci_drv_entry *e;

	if (!root || !name || !(e = g_hash_table_lookup(root->drivers, name)))
		return;
	for (guint i = 0; i < root->devs->len; i++)
		if (root->state[i].bound == e)
			unbind(root, g_ptr_array_index(root->devs, i), true);
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

/* device_release_driver's second half: remove (done), ownership back. */
static void unbind_finish(struct pci_root *root, struct pci_dev *d)
{
	struct pci_dev_state *st = &root->state[d->probe_index];

	if (st->bound && st->bound->drv.remove)
		st->bound->drv.remove(st->bound->drv.ctx, d);
	dma_cleanup(root, d, st->bound_managed);
	SIM_TRACE(root->w, pci_unbind, d->name, d->driver);
	g_free(d->driver);
	d->driver = NULL;
	st->bound = NULL;
	st->bound_managed = false;
	st->unbinding = false;
}

static int unbind(struct pci_root *root, struct pci_dev *d, bool force)
{
	struct pci_dev_state *st = &root->state[d->probe_index];
	const struct pci_driver *drv = st->bound ? &st->bound->drv : NULL;

	if (!d->driver)
		return 0;
	if (st->unbinding && !force)
		return -EBUSY;
	if (!st->unbinding && !force && drv && drv->remove_begin &&
	    drv->remove_begin(drv->ctx, d)) {
		st->unbinding = true;
		SIM_TRACE(root->w, pci_unbind_pending, d->name, d->driver);
		return PCI_UNBIND_PENDING;
	}
	unbind_finish(root, d);
	return 0;
}

int pci_unbind_driver(struct sim_world *w, struct pci_dev *d)
{
	struct pci_root *root = pci_root_get(w);

	if (!root || !dev_owned(root, d))
		return -ENODEV;
	return unbind(root, d, false);
}

void pci_unbind_complete(struct sim_world *w, struct pci_dev *d)
{
	struct pci_root *root = pci_root_get(w);

	if (root && dev_owned(root, d) && root->state[d->probe_index].unbinding)
		unbind_finish(root, d);
}

bool pci_unbind_pending(struct sim_world *w, struct pci_dev *d)
{
	struct pci_root *root = pci_root_get(w);

	return root && dev_owned(root, d) && root->state[d->probe_index].unbinding;
}

/* ---- matching and the sysfs files ---------------------------------------- */

/* The kernel's driver_override: at most PAGE_SIZE - 2 bytes kept. */
#define DRIVER_OVERRIDE_MAX 4094

static bool dynid_match(const struct pci_drv_entry *e, uint16_t vendor, uint16_t device)
{
	for (guint i = 0; i < e->dynids->len; i++) {
		const struct pci_dynid *id = &g_array_index(e->dynids, struct pci_dynid, i);

		if (id->vendor == vendor && id->device == device)
			return true;
	}
	return false;
}

/*
 * pci_match_device: an override naming another driver never matches; the
 * dynamic ids first; then the static table, which for an override_only
 * driver matches only with the override set; any override matches its
 * driver.  @override is NULL for the dummy device new_id_store checks.
 */
static bool driver_matches(struct pci_root *root, const char *name, const char *override,
			   uint16_t vendor, uint16_t device)
{
	struct pci_drv_entry *e = g_hash_table_lookup(root->drivers, name);

	if (override && strcmp(override, name))
		return false;
	if (e && dynid_match(e, vendor, device))
		return true;
	if (e && e->drv.override_only)
		return override != NULL;
	return true;
}

static bool dev_matches(struct pci_root *root, struct pci_dev *d, const char *name)
{
	return driver_matches(root, name, root->state[d->probe_index].driver_override,
			      d->vendor, d->device);
}

int pci_driver_override_store(struct sim_world *w, struct pci_dev *d, const char *driver)
{
	struct pci_root *root = pci_root_get(w);
	struct pci_dev_state *st;
	size_t len;

	if (!root || !dev_owned(root, d))
		return -ENODEV;
	len = driver ? strlen(driver) : 0;
	if (len > DRIVER_OVERRIDE_MAX)
		return -EINVAL;
	if (driver && strchr(driver, '\n'))
		len = (size_t)(strchr(driver, '\n') - driver);
	st = &root->state[d->probe_index];
	g_free(st->driver_override);
	st->driver_override = len ? g_strndup(driver, len) : NULL;
	SIM_TRACE(w, pci_driver_override, d->name,
		  st->driver_override ? st->driver_override : "(null)");
	return 0;
}

const char *pci_driver_override(struct sim_world *w, struct pci_dev *d)
{
	struct pci_root *root = pci_root_get(w);

	return root && dev_owned(root, d) ? root->state[d->probe_index].driver_override : NULL;
}

/* bind_store: the match first (-ENODEV), then device_driver_attach. */
int pci_bind_store(struct sim_world *w, struct pci_dev *d, const char *driver)
{
	struct pci_root *root = pci_root_get(w);

	if (!root || !dev_owned(root, d) || !driver || !*driver)
		return -ENODEV;
	if (!dev_matches(root, d, driver)) {
		SIM_TRACE(w, pci_bind_fail, d->name, driver, -ENODEV);
		return -ENODEV;
	}
	return pci_bind_driver(w, d, driver);
}

/* new_id_store with "VENDOR DEVICE": the dummy device's match (-EEXIST),
 * pci_add_dynid, then driver_attach over the unbound functions. */
int pci_new_id_store(struct sim_world *w, const char *driver, uint16_t vendor,
		     uint16_t device)
{
	struct pci_root *root = pci_root_get(w);
	struct pci_drv_entry *e;
	struct pci_dynid id = { vendor, device };

	if (!root)
		return -ENODEV;
	if (!driver || !(e = g_hash_table_lookup(root->drivers, driver)))
		return -ENOENT;
	if (driver_matches(root, driver, NULL, vendor, device))
		return -EEXIST;
	if (sim_should_fail(w, "pci_add_dynid"))
		return -ENOMEM;
	g_array_append_val(e->dynids, id);
	SIM_TRACE(w, pci_new_id, driver, vendor, device);
	for (guint i = 0; i < root->devs->len; i++) {
		struct pci_dev *d = g_ptr_array_index(root->devs, i);

		if (!d->driver && d->vendor == vendor && d->device == device &&
		    dev_matches(root, d, driver))
			pci_bind_driver(w, d, driver);   /* __driver_attach ignores errors */
	}
	return 0;
}

/*
 * A topology's `driver:` is what the machine boots with: a driver that
 * binds only through driver_override (vfio-pci) gets the override first, as
 * an administrator's udev rule or driverctl would write it; the others
 * match through their id tables.
 */
static int boot_bind(struct pci_root *root, struct pci_dev *d, const char *drv)
{
	struct pci_drv_entry *e = g_hash_table_lookup(root->drivers, drv);
	int ret;

	if (e && e->drv.override_only) {
		ret = pci_driver_override_store(root->w, d, drv);
		if (ret)
			return ret;
	}
	return pci_bind_store(root->w, d, drv);
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
		ret = boot_bind(root, d, drv);
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
/* Public API (<iommusim/iommusim.h>): as the oracle's guest binds
 * (tools/oracle/lib/osys_guest.c): driver_override, then bind; "none"/NULL
 * unbinds and clears the override. */
int sim_pci_bind(struct sim_world *w, const char *bdf, const char *driver)
{
	struct pci_dev *d;
	char *old;
	int ret = pci_dev_lookup(w, bdf, &d);

	if (ret)
		return ret;
	if (is_none(driver)) {
		ret = pci_unbind_driver(w, d);
		if (ret >= 0)
			pci_driver_override_store(w, d, NULL);
		return ret;
	}
	if (!*driver)
		return -EINVAL;
	old = g_strdup(pci_driver_override(w, d));
	ret = pci_driver_override_store(w, d, driver);
	if (!ret)
		ret = pci_bind_store(w, d, driver);
	if (ret)
		pci_driver_override_store(w, d, old);
	g_free(old);
	return ret;
}

/* A sysfs value as the kernel's store functions read it: one trailing
 * newline dropped. */
static char *sysfs_value(const char *value)
{
	size_t n = strlen(value);

	return g_strndup(value, n && value[n - 1] == '\n' ? n - 1 : n);
}

/*
 * The PCI bus's sysfs files an administrator writes to bind drivers
 * (sim/sysfs.h; @rest follows "/sys/bus/pci/"):
 *   devices/BDF/driver_override   driver_override_store
 *   drivers/DRV/bind    BDF       bind_store
 *   drivers/DRV/unbind  BDF       unbind_store
 *   drivers/DRV/new_id  "VVVV DDDD" new_id_store
 */
static int pci_sysfs_store(struct sim_world *w, void *ctx, const char *rest, const char *value)
{
	char *val = sysfs_value(value), **parts = g_strsplit(rest, "/", -1);
	struct pci_dev *d = NULL;
	int ret = -ENOENT;

	(void)ctx;
	if (g_strv_length(parts) == 3 && !strcmp(parts[0], "devices")) {
		if (!strcmp(parts[2], "driver_override") && !pci_dev_lookup(w, parts[1], &d))
			ret = pci_driver_override_store(w, d, val);
	} else if (g_strv_length(parts) == 3 && !strcmp(parts[0], "drivers") && *parts[1]) {
		if (!strcmp(parts[2], "bind")) {
			/* bus_find_device_by_name, driver_match_device, attach */
			ret = pci_dev_lookup(w, val, &d) ? -ENODEV : pci_bind_store(w, d, parts[1]);
		} else if (!strcmp(parts[2], "unbind")) {
			/* only a device bound to this driver */
			if (pci_dev_lookup(w, val, &d) || !d->driver || strcmp(d->driver, parts[1]))
				ret = -ENODEV;
			else
				ret = pci_unbind_driver(w, d) < 0 ? -ENODEV : 0;
		} else if (!strcmp(parts[2], "new_id")) {
			unsigned vendor, device;
			char extra;

			ret = sscanf(val, "%x %x%c", &vendor, &device, &extra) != 2 ||
			      vendor > 0xffff || device > 0xffff ? -EINVAL :
			      pci_new_id_store(w, parts[1], (uint16_t)vendor, (uint16_t)device);
		}
	}
	g_strfreev(parts);
	g_free(val);
	return ret;
}

int pci_sysfs_init(struct sim_world *w)
{
	return sim_sysfs_register(w, "/sys/bus/pci/", pci_sysfs_store, NULL);
}
