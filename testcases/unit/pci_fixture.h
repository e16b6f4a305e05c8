/* SPDX-License-Identifier: MIT */
/*
 * Topology builders shared by the PCI, quirk and group unit tests:
 *   DEV("00:01.0", ROOT_PORT, PARENT("..."), ACS, MF, ID(0x8086, 0x1234))
 * describes one `struct pci_dev_spec` the way a scenario's topology entry
 * would.
 */
#ifndef TESTCASES_UNIT_PCI_FIXTURE_H
#define TESTCASES_UNIT_PCI_FIXTURE_H

#include <check.h>
#include <stdint.h>

#include "model/pci/pci.h"

#pragma GCC diagnostic ignored "-Woverride-init"   /* DEV(..., .acs_quirk = 1) */

/* A BDF string as a packed SBDF; a bad literal fails the test. */
static inline uint32_t B(const char *s)
{
	uint32_t v = 0;

	ck_assert_msg(pci_sbdf_parse(s, &v) == 0, "bad test bdf %s", s);
	return v;
}

#define DEV(bdf, t, ...) { .sbdf = B(bdf), .type = PCI_TYPE_##t, .acs_quirk = -1, __VA_ARGS__ }
#define PARENT(p) .has_parent = true, .parent = B(p)
#define ACS .has_acs = true, .acs_cap = PCI_ACS_REQ
#define MF .multifunction = true
#define ID(v, d) .vendor = (v), .device = (d)
#define N(a) (sizeof(a) / sizeof((a)[0]))

#endif
