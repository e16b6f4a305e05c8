/* SPDX-License-Identifier: MIT */
/*
 * groups: every PCI function of the machine (one check line, so a function
 * QEMU added or left out shows), then the IOMMU group of every function
 * named on the command line, one check line each ("check
 * group.0000:00:03.0 1"), so the runner can compare the groups a real
 * kernel forms with iommusim's, numbers included (docs/oracle.md).
 *
 *     groups_sim --world FILE -- BDF...      groups_guest -- BDF...
 */
#include <stdio.h>

#include "osys.h"

int main(int argc, char **argv)
{
	char name[64], all[8192];
	long n;
	int i = osys_init(argc, argv);

	/* the machine has exactly the scenario's functions (QEMU adds none) */
	n = osys_pci_functions(all, sizeof(all));
	ocheck("pci.functions", "%s", n < 0 ? oret(n) : all);
	for (; i < argc; i++) {
		snprintf(name, sizeof(name), "group.%s", argv[i]);
		ocheck(name, "%s", oret(osys_iommu_group(argv[i])));
	}
	return 0;
}
