/* SPDX-License-Identifier: MIT */
/*
 * model/pci: names and addresses, topology validation (every rule),
 * enumeration order, the DMA alias walk (spec §A2), driver binding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_common.h"
#include "sim/fault.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"

#include "pci_fixture.h"

static struct sim_world *build(const struct pci_dev_spec *s, size_t n)
{
	struct sim_world *w = sim_world_create(1);
	struct pci_build_error err = { 0 };
	int ret = pci_topology_create(w, s, n, &err);

	ck_assert_msg(ret == 0, "create: %d: entry %zu: %s", ret, err.index, err.msg);
	return w;
}

/* Build must fail with -EINVAL at (@index, @key) with @text in the message. */
static void expect_error(const struct pci_dev_spec *s, size_t n, size_t index,
			 enum pci_spec_key key, const char *text)
{
	struct sim_world *w = sim_world_create(1);
	struct pci_build_error err = { 0 };

	ck_assert_int_eq(pci_topology_create(w, s, n, &err), -EINVAL);
	ck_assert_msg(err.index == index, "index %zu, want %zu (%s)", err.index, index, err.msg);
	ck_assert_msg(err.key == key, "key %d, want %d (%s)", err.key, key, err.msg);
	ck_assert_msg(strstr(err.msg, text), "'%s' not in '%s'", text, err.msg);
	ck_assert_uint_eq(pci_dev_count(w), 0);
	sim_world_destroy(w);
}

/* ---- names and addresses ------------------------------------------------- */

START_TEST(test_type_names)
{
	for (int t = 0; t < PCI_TYPE_NR; t++)
		ck_assert_int_eq(pci_type_from_name(pci_type_name(t)), t);
	ck_assert_str_eq(pci_type_name(PCI_TYPE_PCIE_TO_PCI_BRIDGE), "pcie-to-pci-bridge");
	ck_assert_ptr_null(pci_type_name(PCI_TYPE_NR));
	ck_assert_int_eq(pci_type_from_name("root-prot"), -1);
	ck_assert_int_eq(pci_type_from_name(NULL), -1);
	ck_assert(pci_type_is_bridge(PCI_TYPE_PCI_BRIDGE));
	ck_assert(pci_type_is_bridge(PCI_TYPE_DOWNSTREAM_PORT));
	ck_assert(!pci_type_is_bridge(PCI_TYPE_RC_ENDPOINT));
	ck_assert(pci_type_is_pcie(PCI_TYPE_PCIE_TO_PCI_BRIDGE));
	ck_assert(!pci_type_is_pcie(PCI_TYPE_PCI_BRIDGE));
	ck_assert(!pci_type_is_pcie(PCI_TYPE_PCI_DEVICE));
}
END_TEST

START_TEST(test_acs_names)
{
	ck_assert_uint_eq(pci_acs_bit_from_name("SV"), PCI_ACS_SV);
	ck_assert_uint_eq(pci_acs_bit_from_name("DT"), PCI_ACS_DT);
	ck_assert_uint_eq(pci_acs_bit_from_name("sv"), 0);
	ck_assert_uint_eq(pci_acs_bit_from_name("UR"), 0);
	ck_assert_str_eq(pci_acs_bit_name(PCI_ACS_EC), "EC");
	ck_assert_ptr_null(pci_acs_bit_name(PCI_ACS_SV | PCI_ACS_RR));
	ck_assert_uint_eq(PCI_ACS_REQ, 0x1d);
}
END_TEST

START_TEST(test_sbdf_parse)
{
	static const struct { const char *s; int ret; uint32_t v; } cases[] = {
		{ "0000:00:1c.4", 0, 0x00e4 },
		{ "00:1c.4", 0, 0x00e4 },
		{ "ABCD:Ff:1F.7", 0, 0xabcdffff },
		{ "1:2:3.4", 0, 0x1021c },
		{ "0000:00:20.0", -EINVAL, 0 },   /* device > 0x1f */
		{ "0000:00:1f.8", -EINVAL, 0 },
		{ "10000:00:00.0", -EINVAL, 0 },
		{ "0000:100:00.0", -EINVAL, 0 },
		{ "00:1c", -EINVAL, 0 },
		{ "00:1c.4 ", -EINVAL, 0 },
		{ " 00:1c.4", -EINVAL, 0 },
		{ "1c.4", -EINVAL, 0 },            /* a bus is required */
		{ "0:0:0:0.0", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "zz", -EINVAL, 0 },
		{ "00:-1.0", -EINVAL, 0 },
	};

	for (size_t i = 0; i < N(cases); i++) {
		uint32_t v = 0xdeadbeef;
		int ret = pci_sbdf_parse(cases[i].s, &v);

		ck_assert_msg(ret == cases[i].ret, "'%s': %d", cases[i].s, ret);
		if (!ret)
			ck_assert_msg(v == cases[i].v, "'%s': %#x", cases[i].s, v);
	}
	ck_assert_int_eq(pci_sbdf_parse(NULL, &(uint32_t){ 0 }), -EINVAL);
}
END_TEST

START_TEST(test_sbdf_format_and_devfn)
{
	char b[PCI_SBDF_STRLEN];
	uint8_t devfn, bus;

	ck_assert_str_eq(pci_sbdf_format(PCI_SBDF(0xabcd, 6, PCI_DEVFN(0x0d, 1)), b),
			 "abcd:06:0d.1");
	ck_assert_int_eq(pci_devfn_parse("00.1", 5, &devfn, &bus), 0);
	ck_assert_uint_eq(devfn, 1);
	ck_assert_uint_eq(bus, 5);
	ck_assert_int_eq(pci_devfn_parse("01:1f.7", 5, &devfn, &bus), 0);
	ck_assert_uint_eq(devfn, 0xff);
	ck_assert_uint_eq(bus, 1);
	ck_assert_int_eq(pci_devfn_parse("20.0", 5, &devfn, &bus), -EINVAL);
	ck_assert_int_eq(pci_devfn_parse("0000:01:00.0", 5, &devfn, &bus), -EINVAL);
	ck_assert_int_eq(pci_devfn_parse("1.", 5, &devfn, &bus), -EINVAL);
}
END_TEST

/* ---- validation: every rule ---------------------------------------------- */

START_TEST(test_err_duplicate)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT), DEV("00:02.0", ROOT_PORT), DEV("00:01.0", RC_ENDPOINT),
	};

	expect_error(s, N(s), 2, PCI_KEY_BDF, "duplicate bdf 0000:00:01.0 (first at entry 0)");
}
END_TEST

START_TEST(test_err_parent_missing)
{
	struct pci_dev_spec s[] = { DEV("01:00.0", ENDPOINT, PARENT("00:1c.0")) };

	expect_error(s, N(s), 0, PCI_KEY_PARENT, "parent 0000:00:1c.0 is not in the topology");
}
END_TEST

START_TEST(test_err_parent_not_bridge)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT), DEV("01:00.0", ENDPOINT, PARENT("00:01.0")),
		DEV("02:00.0", ENDPOINT, PARENT("01:00.0")),
	};

	expect_error(s, N(s), 2, PCI_KEY_PARENT,
		     "parent 0000:01:00.0 is an endpoint, not a bridge or port");
}
END_TEST

START_TEST(test_err_cycle)
{
	struct pci_dev_spec s[] = {
		DEV("01:00.0", PCI_BRIDGE, PARENT("02:00.0")),
		DEV("02:00.0", PCI_BRIDGE, PARENT("01:00.0")),
	};
	struct pci_dev_spec self[] = { DEV("01:00.0", PCI_BRIDGE, PARENT("01:00.0")) };
	/* a chain hanging off a cycle: reported on the cycle itself */
	struct pci_dev_spec tail[] = {
		DEV("05:00.0", ENDPOINT, PARENT("03:00.0")),
		DEV("03:00.0", PCI_BRIDGE, PARENT("04:00.0")),
		DEV("04:00.0", PCI_BRIDGE, PARENT("03:00.0")),
	};

	expect_error(s, N(s), 0, PCI_KEY_PARENT, "cycle through parent 0000:02:00.0");
	expect_error(self, N(self), 0, PCI_KEY_PARENT, "cycle through parent 0000:01:00.0");
	expect_error(tail, N(tail), 1, PCI_KEY_PARENT, "cycle through parent 0000:04:00.0");
}
END_TEST

START_TEST(test_err_switch_ports)
{
	struct pci_dev_spec dsp[] = {
		DEV("00:1c.0", ROOT_PORT), DEV("01:00.0", DOWNSTREAM_PORT, PARENT("00:1c.0")),
	};
	struct pci_dev_spec dsp_root[] = { DEV("00:01.0", DOWNSTREAM_PORT) };
	struct pci_dev_spec usp[] = {
		DEV("00:01.0", PCIE_TO_PCI_BRIDGE), DEV("01:00.0", UPSTREAM_PORT, PARENT("00:01.0")),
	};
	struct pci_dev_spec usp_root[] = { DEV("00:01.0", UPSTREAM_PORT) };

	expect_error(dsp, N(dsp), 1, PCI_KEY_PARENT, "downstream-port must sit below an "
		     "upstream-port (parent 0000:00:1c.0 is a root-port)");
	expect_error(dsp_root, 1, 0, PCI_KEY_TYPE, "(it has no parent)");
	expect_error(usp, N(usp), 1, PCI_KEY_PARENT, "upstream-port must sit below a "
		     "root-port or downstream-port (parent 0000:00:01.0 is a pcie-to-pci-bridge)");
	expect_error(usp_root, 1, 0, PCI_KEY_TYPE, "upstream-port must sit below");
}
END_TEST

START_TEST(test_err_two_buses)
{
	struct pci_dev_spec s[] = {
		DEV("00:1c.0", ROOT_PORT, ACS), DEV("01:00.0", ENDPOINT, PARENT("00:1c.0")),
		DEV("02:00.0", ENDPOINT, PARENT("00:1c.0")),
	};

	expect_error(s, N(s), 2, PCI_KEY_PARENT, "children of bridge 0000:00:1c.0 are on "
		     "buses 01 and 02: a bridge has one secondary bus");
}
END_TEST

START_TEST(test_err_bus_owned)
{
	struct pci_dev_spec two_bridges[] = {
		DEV("00:1b.0", ROOT_PORT), DEV("00:1c.0", ROOT_PORT),
		DEV("01:00.0", ENDPOINT, PARENT("00:1b.0")),
		DEV("01:00.1", ENDPOINT, PARENT("00:1c.0")),
	};
	/* the scenario corpus's bridges-share-bus: a root-level device first */
	struct pci_dev_spec root_first[] = {
		DEV("00:01.0", ROOT_PORT), DEV("00:02.0", ROOT_PORT), DEV("01:00.0", ENDPOINT),
		DEV("01:00.1", ENDPOINT, PARENT("00:02.0")),
	};
	struct pci_dev_spec root_last[] = {
		DEV("00:02.0", ROOT_PORT), DEV("01:00.1", ENDPOINT, PARENT("00:02.0")),
		DEV("01:00.0", ENDPOINT),
	};

	expect_error(two_bridges, N(two_bridges), 3, PCI_KEY_PARENT,
		     "bus 01 is already the secondary bus of 0000:00:1b.0");
	expect_error(root_first, N(root_first), 3, PCI_KEY_PARENT,
		     "bus 01 is already a root bus (0000:01:00.0 has no parent)");
	expect_error(root_last, N(root_last), 2, PCI_KEY_BDF,
		     "0000:01:00.0 has no parent, but bus 01 is the secondary bus of 0000:00:02.0");
}
END_TEST

START_TEST(test_err_own_bus_and_domain)
{
	struct pci_dev_spec own[] = {
		DEV("00:1c.0", ROOT_PORT), DEV("00:02.0", ENDPOINT, PARENT("00:1c.0")),
	};
	struct pci_dev_spec dom[] = {
		DEV("0000:00:1c.0", ROOT_PORT), DEV("0001:01:00.0", ENDPOINT, PARENT("00:1c.0")),
	};

	expect_error(own, N(own), 1, PCI_KEY_PARENT,
		     "a child of 0000:00:1c.0 cannot be on the bridge's own bus 00");
	expect_error(dom, N(dom), 1, PCI_KEY_BDF, "in the bridge's domain 0000");
}
END_TEST

START_TEST(test_err_type_and_pasid)
{
	struct pci_dev_spec type[] = { DEV("00:01.0", ROOT_PORT), DEV("00:02.0", NR) };
	struct pci_dev_spec pasid[] = { DEV("00:02.0", RC_ENDPOINT, .pasid_width = 21) };
	struct pci_dev_spec ok[] = { DEV("00:02.0", RC_ENDPOINT, .pasid_width = 20) };
	struct sim_world *w;

	expect_error(type, N(type), 1, PCI_KEY_TYPE, "unknown device type");
	expect_error(pasid, N(pasid), 0, PCI_KEY_CAPS, "PASID width 21");
	w = build(ok, 1);
	ck_assert_uint_eq(pci_dev_at(w, 0)->pasid_width, 20);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_err_twice_and_empty)
{
	struct pci_dev_spec s[] = { DEV("00:02.0", RC_ENDPOINT) };
	struct sim_world *w = build(s, 1);

	ck_assert_int_eq(pci_topology_create(w, s, 1, NULL), -EEXIST);
	sim_world_destroy(w);
	w = build(NULL, 0);
	ck_assert_uint_eq(pci_dev_count(w), 0);
	ck_assert_uint_eq(pci_root_bus_count(w), 0);
	sim_world_destroy(w);
	/* a NULL error report is allowed */
	w = sim_world_create(1);
	ck_assert_int_eq(pci_topology_create(w, (struct pci_dev_spec[]){
		DEV("01:00.0", ENDPOINT, PARENT("00:1c.0")) }, 1, NULL), -EINVAL);
	sim_world_destroy(w);
}
END_TEST

/* ---- enumeration and structure ------------------------------------------- */

static void expect_order(struct sim_world *w, const char *const *want, size_t n)
{
	ck_assert_uint_eq(pci_dev_count(w), n);
	for (size_t i = 0; i < n; i++) {
		struct pci_dev *d = pci_dev_at(w, i);

		ck_assert_msg(d->sbdf == B(want[i]), "probe %zu is %s, want %s", i, d->name, want[i]);
		ck_assert_uint_eq(d->probe_index, i);
		ck_assert_ptr_eq(pci_dev_find(w, d->sbdf), d);
	}
	ck_assert_ptr_null(pci_dev_at(w, n));
}

START_TEST(test_enumeration_order)
{
	/* specs deliberately out of order, two domains, two root buses */
	struct pci_dev_spec s[] = {
		DEV("0001:00:00.0", RC_ENDPOINT),
		DEV("04:00.0", ENDPOINT, PARENT("02:01.0")),
		DEV("03:00.0", ENDPOINT, PARENT("02:00.0")),
		DEV("02:01.0", DOWNSTREAM_PORT, PARENT("01:00.0"), ACS),
		DEV("02:00.0", DOWNSTREAM_PORT, PARENT("01:00.0"), ACS),
		DEV("01:00.0", UPSTREAM_PORT, PARENT("00:1c.0")),
		DEV("80:00.0", RC_ENDPOINT),
		DEV("00:1c.0", ROOT_PORT, ACS),
		DEV("00:02.0", RC_ENDPOINT),
		DEV("05:00.0", ENDPOINT, PARENT("00:1d.0")),
		DEV("00:1d.0", ROOT_PORT),
	};
	static const char *const want[] = {
		"00:02.0", "00:1c.0", "00:1d.0", "01:00.0", "02:00.0", "02:01.0",
		"03:00.0", "04:00.0", "05:00.0", "80:00.0", "0001:00:00.0",
	};
	struct sim_world *w = build(s, N(s));
	struct pci_bus *bus;

	expect_order(w, want, N(want));
	ck_assert_uint_eq(pci_root_bus_count(w), 3);
	ck_assert_uint_eq(pci_root_bus_at(w, 0)->number, 0);
	ck_assert_uint_eq(pci_root_bus_at(w, 1)->number, 0x80);
	ck_assert_uint_eq(pci_root_bus_at(w, 2)->domain, 1);
	ck_assert_ptr_null(pci_root_bus_at(w, 3));
	bus = pci_root_bus_at(w, 0);
	ck_assert_ptr_null(bus->self);
	ck_assert_ptr_null(bus->parent);
	ck_assert_uint_eq(bus->ndevices, 3);
	ck_assert_uint_eq(bus->nchildren, 2);
	ck_assert_ptr_eq(bus->children[0]->self, pci_dev_find(w, B("00:1c.0")));
	bus = pci_dev_find(w, B("01:00.0"))->subordinate;
	ck_assert_uint_eq(bus->number, 2);
	ck_assert_ptr_eq(bus->parent->self, pci_dev_find(w, B("00:1c.0")));
	ck_assert_ptr_eq(pci_bus_find_dev(bus, PCI_DEVFN(1, 0)), pci_dev_find(w, B("02:01.0")));
	ck_assert_ptr_null(pci_bus_find_dev(bus, PCI_DEVFN(2, 0)));
	ck_assert_ptr_null(pci_dev_find(w, B("00:03.0")));
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_defaults)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, .has_acs = true, .acs_cap = PCI_ACS_ALL),
		DEV("00:02.0", ROOT_PORT, .has_acs = true, .acs_cap = PCI_ACS_REQ,
		    .has_acs_ctrl = true, .acs_ctrl = PCI_ACS_SV),
		DEV("00:03.0", RC_ENDPOINT, .vendor = 0x10ee, .device = 0x1234),
		DEV("00:04.0", PCI_BRIDGE),
	};
	struct sim_world *w = build(s, N(s));
	struct pci_dev *rp = pci_dev_at(w, 0), *ep = pci_dev_at(w, 2), *br = pci_dev_at(w, 3);

	ck_assert_uint_eq(rp->acs_ctrl, PCI_ACS_REQ);     /* boot enables cap & REQ */
	ck_assert_uint_eq(pci_dev_at(w, 1)->acs_ctrl, PCI_ACS_SV);
	ck_assert_uint_eq(rp->vendor, 0x1af4);
	ck_assert_uint_eq(rp->device, 0x1000 + PCI_TYPE_ROOT_PORT);
	ck_assert_uint_eq(br->device, 0x1000 + PCI_TYPE_PCI_BRIDGE);
	ck_assert_uint_eq(ep->vendor, 0x10ee);      /* not Intel: no RCiEP quirk */
	ck_assert_uint_eq(ep->device, 0x1234);
	ck_assert_str_eq(ep->name, "0000:00:03.0");
	ck_assert_int_eq(ep->acs_quirk, -1);
	/* a bridge with nothing below still has a secondary bus */
	ck_assert(pci_dev_is_bridge(rp));
	ck_assert(pci_dev_is_bridge(br));
	ck_assert(!pci_dev_is_bridge(ep));
	ck_assert_uint_eq(rp->subordinate->number, 1);
	ck_assert_uint_eq(pci_dev_at(w, 1)->subordinate->number, 2);
	ck_assert_uint_eq(br->subordinate->number, 3);
	ck_assert_uint_eq(rp->subordinate->ndevices, 0);
	/* nothing bound before pci_bind_initial_drivers */
	ck_assert_ptr_null(rp->driver);
	ck_assert_int_eq(pci_bind_initial_drivers(w, NULL), 0);
	ck_assert_str_eq(rp->driver, "pcieport");
	ck_assert_str_eq(br->driver, "pcieport");
	ck_assert_ptr_null(ep->driver);
	ck_assert_int_eq(pci_bind_initial_drivers(w, NULL), 0);   /* once */
	sim_world_destroy(w);
}
END_TEST

/* ---- DMA aliases (spec §A2) ------------------------------------------------ */

struct visits {
	char buf[512];
};

static int record(struct pci_dev *v, uint16_t rid, void *ctx)
{
	struct visits *vs = ctx;
	size_t len = strlen(vs->buf);

	snprintf(vs->buf + len, sizeof(vs->buf) - len, "%s%s@%02x:%02x.%x", len ? " " : "",
		 v->name + 5, rid >> 8, PCI_SLOT(rid & 0xff), PCI_FUNC(rid & 0xff));
	return 0;
}

static const char *walk(struct sim_world *w, const char *bdf)
{
	static struct visits vs;

	vs.buf[0] = '\0';
	ck_assert_int_eq(pci_for_each_dma_alias(pci_dev_find(w, B(bdf)), record, &vs), 0);
	return vs.buf;
}

static int stop_at_second(struct pci_dev *v, uint16_t rid, void *ctx)
{
	return ++*(int *)ctx == 2 ? 42 : 0;
}

START_TEST(test_alias_walk)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", PCIE_TO_PCI_BRIDGE, PARENT("00:01.0")),
		DEV("02:01.0", PCI_BRIDGE, PARENT("01:00.0")),
		DEV("03:04.0", PCI_DEVICE, PARENT("02:01.0"), .dma_alias = { 1ull << 33 | 1ull << 2 }),
		DEV("00:1e.0", PCIE_TO_PCI_BRIDGE),
		DEV("06:0d.1", PCI_DEVICE, PARENT("00:1e.0"), .multifunction = true),
		DEV("00:02.0", ROOT_PORT, ACS),
		DEV("05:00.0", ENDPOINT, PARENT("00:02.0"), .dma_alias = { 1ull << 1 }),
	};
	struct sim_world *w = build(s, N(s));
	int calls = 0;

	/* own, aliases ascending, then PCIe-to-PCI (secondary:00.0) and
	 * conventional (own RID) bridges; ports skipped */
	ck_assert_str_eq(walk(w, "03:04.0"), "03:04.0@03:04.0 03:04.0@03:00.2 "
			 "03:04.0@03:04.1 02:01.0@02:01.0 01:00.0@02:00.0");
	ck_assert_uint_eq(pci_dma_requester_id(pci_dev_find(w, B("03:04.0"))), 0x0200);
	ck_assert_str_eq(walk(w, "06:0d.1"), "06:0d.1@06:0d.1 00:1e.0@06:00.0");
	ck_assert_uint_eq(pci_dma_requester_id(pci_dev_find(w, B("06:0d.1"))), 0x0600);
	/* Marvell: an alias to a function that does not exist; no bridge */
	ck_assert_str_eq(walk(w, "05:00.0"), "05:00.0@05:00.0 05:00.0@05:00.1");
	ck_assert_uint_eq(pci_dma_requester_id(pci_dev_find(w, B("05:00.0"))), 0x0500);
	ck_assert_uint_eq(pci_dma_requester_id(pci_dev_find(w, B("01:00.0"))), 0x0100);
	ck_assert_str_eq(walk(w, "00:01.0"), "00:01.0@00:01.0");
	/* a non-zero return stops the walk and is returned */
	ck_assert_int_eq(pci_for_each_dma_alias(pci_dev_find(w, B("03:04.0")),
						stop_at_second, &calls), 42);
	ck_assert_int_eq(calls, 2);
	sim_world_destroy(w);
}
END_TEST

/* ---- drivers --------------------------------------------------------------- */

struct drv_log {
	int probes, removes, configures, cleanups;
	int probe_ret, configure_ret;
	bool last_managed;
};

static int fake_probe(void *ctx, struct pci_dev *d)
{
	struct drv_log *l = ctx;

	l->probes++;
	return l->probe_ret;
}

static void fake_remove(void *ctx, struct pci_dev *d)
{
	((struct drv_log *)ctx)->removes++;
}

static int hook_configure(void *ctx, struct pci_dev *d, bool managed)
{
	struct drv_log *l = ctx;

	l->configures++;
	l->last_managed = managed;
	return l->configure_ret;
}

static void hook_cleanup(void *ctx, struct pci_dev *d, bool managed)
{
	struct drv_log *l = ctx;

	l->cleanups++;
	l->last_managed = managed;
}

static struct sim_world *two_devs(void)
{
	struct pci_dev_spec s[] = {
		DEV("00:02.0", RC_ENDPOINT), DEV("00:03.0", RC_ENDPOINT, .driver = "e1000"),
	};

	return build(s, N(s));
}

START_TEST(test_registry)
{
	struct sim_world *w = two_devs();
	struct pci_driver drv = { .name = "vfio-pci", .managed_dma = true };

	ck_assert(pci_driver_is_managed(w, "pci-stub"));
	ck_assert(pci_driver_is_managed(w, "pcieport"));
	ck_assert(pci_driver_is_managed(w, "none"));
	ck_assert(pci_driver_is_managed(w, NULL));
	ck_assert(!pci_driver_is_managed(w, "vfio-pci"));
	ck_assert(!pci_driver_is_managed(w, "e1000"));
	ck_assert_int_eq(pci_register_driver(w, &drv), 0);
	ck_assert(pci_driver_is_managed(w, "vfio-pci"));
	ck_assert_int_eq(pci_register_driver(w, &drv), -EEXIST);
	ck_assert_int_eq(pci_register_driver(w, &(struct pci_driver){ .name = "pci-stub" }),
			 -EEXIST);
	ck_assert_int_eq(pci_register_driver(w, &(struct pci_driver){ .name = "" }), -EINVAL);
	ck_assert_int_eq(pci_register_driver(w, &(struct pci_driver){ .name = "none" }), -EINVAL);
	pci_unregister_driver(w, "vfio-pci");
	pci_unregister_driver(w, "never-registered");
	ck_assert(!pci_driver_is_managed(w, "vfio-pci"));
	sim_world_destroy(w);
	/* no topology: nothing to register with */
	w = sim_world_create(1);
	ck_assert_int_eq(pci_register_driver(w, &drv), -ENODEV);
	ck_assert_int_eq(sim_pci_bind(w, "00:02.0", "e1000"), -ENODEV);
	ck_assert_uint_eq(pci_dev_count(w), 0);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_bind_unbind)
{
	struct sim_world *w = two_devs();
	struct pci_dev *a = pci_dev_at(w, 0), *b = pci_dev_at(w, 1);
	struct drv_log log = { 0 };
	struct pci_bus_hooks hooks = { hook_configure, hook_cleanup, &log };

	pci_set_bus_hooks(w, &hooks);
	ck_assert_int_eq(pci_bind_initial_drivers(w, NULL), 0);
	ck_assert_str_eq(b->driver, "e1000");
	ck_assert_int_eq(log.configures, 1);
	ck_assert(!log.last_managed);
	ck_assert_int_eq(pci_bind_driver(w, b, "e1000"), -EBUSY);     /* even the same one */
	ck_assert_int_eq(pci_bind_driver(w, b, "nvme"), -EBUSY);
	ck_assert_int_eq(pci_bind_driver(w, a, ""), -EINVAL);
	ck_assert_int_eq(log.configures, 1);
	ck_assert_int_eq(pci_bind_driver(w, a, "pci-stub"), 0);
	ck_assert(log.last_managed);
	ck_assert_int_eq(pci_bind_driver(w, a, "none"), 0);            /* unbinds */
	ck_assert_ptr_null(a->driver);
	ck_assert_int_eq(log.cleanups, 1);
	ck_assert_int_eq(pci_unbind_driver(w, a), 0);                  /* already unbound */
	ck_assert_int_eq(log.cleanups, 1);
	ck_assert_int_eq(pci_bind_driver(w, b, NULL), 0);
	ck_assert_ptr_null(b->driver);
	ck_assert_int_eq(log.cleanups, 2);
	ck_assert(!log.last_managed);
	/* a veto: nothing bound, nothing to clean up */
	log.configure_ret = -EBUSY;
	ck_assert_int_eq(pci_bind_driver(w, b, "e1000"), -EBUSY);
	ck_assert_ptr_null(b->driver);
	ck_assert_int_eq(log.cleanups, 2);
	log.configure_ret = 0;
	/* hooks removed: binding still works */
	pci_set_bus_hooks(w, NULL);
	ck_assert_int_eq(pci_bind_driver(w, b, "e1000"), 0);
	ck_assert_int_eq(pci_unbind_driver(w, b), 0);
	ck_assert_int_eq(log.configures, 3);
	ck_assert_int_eq(pci_bind_driver(w, NULL, "e1000"), -ENODEV);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_probe_failure_and_remove)
{
	struct sim_world *w = two_devs();
	struct pci_dev *a = pci_dev_at(w, 0);
	struct drv_log log = { .probe_ret = -EINVAL }, hl = { 0 };
	struct pci_driver drv = { .name = "fake", .managed_dma = true, .probe = fake_probe,
				   .remove = fake_remove, .ctx = &log };
	struct pci_bus_hooks hooks = { hook_configure, hook_cleanup, &hl };

	pci_set_bus_hooks(w, &hooks);
	ck_assert_int_eq(pci_register_driver(w, &drv), 0);
	ck_assert_int_eq(pci_bind_driver(w, a, "fake"), -EINVAL);
	ck_assert_int_eq(log.probes, 1);
	ck_assert_int_eq(hl.configures, 1);
	ck_assert_int_eq(hl.cleanups, 1);                 /* the configure is undone */
	ck_assert_ptr_null(a->driver);
	log.probe_ret = 0;
	ck_assert_int_eq(pci_bind_driver(w, a, "fake"), 0);
	ck_assert_str_eq(a->driver, "fake");
	/* unregistering a driver unbinds its devices: remove, then cleanup */
	pci_unregister_driver(w, "fake");
	ck_assert_int_eq(log.removes, 1);
	ck_assert_int_eq(hl.cleanups, 2);
	ck_assert(hl.last_managed);
	ck_assert_ptr_null(a->driver);
	sim_world_destroy(w);
}
END_TEST

/* A device bound to a name as a kernel driver keeps that meaning even if a
 * managed driver of the same name is registered later. */
START_TEST(test_bound_before_register)
{
	struct sim_world *w = two_devs();
	struct pci_dev *b = pci_dev_at(w, 1);
	struct drv_log log = { 0 }, hl = { 0 };
	struct pci_driver drv = { .name = "e1000", .managed_dma = true, .probe = fake_probe,
				   .remove = fake_remove, .ctx = &log };
	struct pci_bus_hooks hooks = { hook_configure, hook_cleanup, &hl };

	pci_set_bus_hooks(w, &hooks);
	ck_assert_int_eq(pci_bind_initial_drivers(w, NULL), 0);
	ck_assert_int_eq(pci_register_driver(w, &drv), 0);
	pci_unregister_driver(w, "e1000");
	ck_assert_str_eq(b->driver, "e1000");            /* not bound through it */
	ck_assert_int_eq(pci_unbind_driver(w, b), 0);
	ck_assert_int_eq(log.removes, 0);
	ck_assert(!hl.last_managed);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_initial_driver_refused)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT),
		DEV("00:02.0", RC_ENDPOINT, .driver = "fake"),
		DEV("00:03.0", RC_ENDPOINT, .driver = "e1000"),
	};
	struct sim_world *w = build(s, N(s));
	struct drv_log log = { .probe_ret = -EINVAL };
	struct pci_driver drv = { .name = "fake", .managed_dma = true, .probe = fake_probe,
				   .remove = fake_remove, .ctx = &log };
	struct pci_build_error err = { 0 };

	ck_assert_int_eq(pci_register_driver(w, &drv), 0);
	ck_assert_int_eq(pci_bind_initial_drivers(w, &err), -EINVAL);
	ck_assert_uint_eq(err.index, 1);
	ck_assert_int_eq(err.key, PCI_KEY_DRIVER);
	ck_assert_msg(strstr(err.msg, "0000:00:02.0") && strstr(err.msg, "fake"), "%s", err.msg);
	ck_assert_str_eq(pci_dev_at(w, 0)->driver, "pcieport");
	ck_assert_ptr_null(pci_dev_at(w, 2)->driver);    /* stopped at the refusal */
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_sim_pci_bind)
{
	struct sim_world *w = two_devs();

	ck_assert_int_eq(sim_pci_bind(w, "0000:00:02.0", "pci-stub"), 0);
	ck_assert_str_eq(pci_dev_at(w, 0)->driver, "pci-stub");
	ck_assert_int_eq(sim_pci_bind(w, "00:02.0", "e1000"), -EBUSY);
	ck_assert_int_eq(sim_pci_bind(w, "0000:07:00.0", "pci-stub"), -ENODEV);
	ck_assert_int_eq(sim_pci_bind(w, "zz", "pci-stub"), -EINVAL);
	ck_assert_int_eq(sim_pci_bind(w, NULL, "pci-stub"), -EINVAL);
	ck_assert_int_eq(sim_pci_bind(w, "00:02.0", "none"), 0);
	ck_assert_ptr_null(pci_dev_at(w, 0)->driver);
	ck_assert_int_eq(sim_pci_bind(w, "00:02.0", "e1000"), 0);
	ck_assert_int_eq(sim_pci_bind(w, "00:02.0", NULL), 0);
	ck_assert_ptr_null(pci_dev_at(w, 0)->driver);
	ck_assert_int_eq(sim_pci_bind(NULL, "00:02.0", NULL), -EINVAL);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_traces)
{
	struct pci_dev_spec s[] = {
		DEV("00:1e.0", PCIE_TO_PCI_BRIDGE), DEV("06:0d.0", PCI_DEVICE, PARENT("00:1e.0")),
	};
	struct sim_world *w = sim_world_create(1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct drv_log hl = { .configure_ret = -EBUSY };
	struct pci_bus_hooks hooks = { hook_configure, hook_cleanup, &hl };

	sim_trace_set_output(w, out, SIM_TRACE_TEXT);
	ck_assert_int_eq(sim_trace_enable(w, "pci_*"), 0);
	ck_assert_int_eq(pci_topology_create(w, s, N(s), NULL), 0);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.0", "e1000"), 0);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.0", "none"), 0);
	pci_set_bus_hooks(w, &hooks);
	ck_assert_int_eq(sim_pci_bind(w, "06:0d.0", "e1000"), -EBUSY);
	sim_trace_set_output(w, NULL, SIM_TRACE_OFF);
	fclose(out);
	ck_assert_msg(strstr(buf, "pci_dev_add: dev=0000:00:1e.0 type=pcie-to-pci-bridge parent=none"), "%s", buf);
	ck_assert_msg(strstr(buf, "pci_dev_add: dev=0000:06:0d.0 type=pci-device parent=0000:00:1e.0"), "%s", buf);
	ck_assert_msg(strstr(buf, "pci_bind: dev=0000:06:0d.0 driver=e1000"), "%s", buf);
	ck_assert_msg(strstr(buf, "pci_unbind: dev=0000:06:0d.0 driver=e1000"), "%s", buf);
	ck_assert_msg(strstr(buf, "pci_bind_fail: dev=0000:06:0d.0 driver=e1000 err=-16"), "%s", buf);
	ck_assert_msg(strstr(buf, "00:1e.0") < strstr(buf, "06:0d.0"), "probe order");
	free(buf);
	sim_world_destroy(w);
}
END_TEST

/* ---- fault injection -------------------------------------------------------- */

START_TEST(test_fault_dev_alloc)
{
	struct pci_dev_spec s[] = {
		DEV("00:01.0", ROOT_PORT), DEV("01:00.0", ENDPOINT, PARENT("00:01.0")),
		DEV("00:02.0", RC_ENDPOINT),
	};
	unsigned long nth;

	for (nth = 1;; nth++) {
		struct sim_world *w = sim_world_create(1);
		int ret;

		sim_fault_fail_nth(w, "pci_dev_alloc", nth);
		ret = pci_topology_create(w, s, N(s), NULL);
		if (!sim_fault_injected(w)) {
			ck_assert_int_eq(ret, 0);
			ck_assert_uint_eq(pci_dev_count(w), 3);
			sim_world_destroy(w);
			break;
		}
		ck_assert_int_eq(ret, -ENOMEM);
		ck_assert_uint_eq(pci_dev_count(w), 0);
		sim_world_destroy(w);
	}
	ck_assert_uint_eq(nth, 4);
}
END_TEST

START_TEST(test_fault_bind)
{
	struct sim_world *w = two_devs();
	struct drv_log hl = { 0 };
	struct pci_bus_hooks hooks = { hook_configure, hook_cleanup, &hl };

	pci_set_bus_hooks(w, &hooks);
	sim_fault_fail_nth(w, "pci_bind", 1);
	ck_assert_int_eq(sim_pci_bind(w, "00:02.0", "pci-stub"), -ENOMEM);
	ck_assert_ptr_null(pci_dev_at(w, 0)->driver);
	ck_assert_int_eq(hl.configures, 0);
	ck_assert_int_eq(sim_pci_bind(w, "00:02.0", "pci-stub"), 0);
	sim_world_destroy(w);
}
END_TEST

static Suite *pci_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *names = tcase_create("names"), *valid = tcase_create("validation");
	TCase *topo = tcase_create("topology"), *drv = tcase_create("drivers");

	tcase_add_test(names, test_type_names);
	tcase_add_test(names, test_acs_names);
	tcase_add_test(names, test_sbdf_parse);
	tcase_add_test(names, test_sbdf_format_and_devfn);
	tcase_add_test(valid, test_err_duplicate);
	tcase_add_test(valid, test_err_parent_missing);
	tcase_add_test(valid, test_err_parent_not_bridge);
	tcase_add_test(valid, test_err_cycle);
	tcase_add_test(valid, test_err_switch_ports);
	tcase_add_test(valid, test_err_two_buses);
	tcase_add_test(valid, test_err_bus_owned);
	tcase_add_test(valid, test_err_own_bus_and_domain);
	tcase_add_test(valid, test_err_type_and_pasid);
	tcase_add_test(valid, test_err_twice_and_empty);
	tcase_add_test(topo, test_enumeration_order);
	tcase_add_test(topo, test_defaults);
	tcase_add_test(topo, test_alias_walk);
	tcase_add_test(topo, test_fault_dev_alloc);
	tcase_add_test(drv, test_registry);
	tcase_add_test(drv, test_bind_unbind);
	tcase_add_test(drv, test_probe_failure_and_remove);
	tcase_add_test(drv, test_bound_before_register);
	tcase_add_test(drv, test_initial_driver_refused);
	tcase_add_test(drv, test_sim_pci_bind);
	tcase_add_test(drv, test_traces);
	tcase_add_test(drv, test_fault_bind);
	suite_add_tcase(s, names);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, topo);
	suite_add_tcase(s, drv);
	return s;
}

int main(void)
{
	return unit_run(pci_suite());
}
