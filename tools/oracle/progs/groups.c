/* SPDX-License-Identifier: MIT */
/*
 * groups: the IOMMU group of every function named on the command line, one
 * check line each ("check group.0000:00:03.0 1"), so the runner can compare
 * the partition a real kernel forms with iommusim's (docs/oracle.md).
 *
 *     groups_sim --world FILE -- BDF...      groups_guest -- BDF...
 */
#include <stdio.h>

#include "osys.h"

int main(int argc, char **argv)
{
	char name[64];

	for (int i = osys_init(argc, argv); i < argc; i++) {
		snprintf(name, sizeof(name), "group.%s", argv[i]);
		ocheck(name, "%s", oret(osys_iommu_group(argv[i])));
	}
	return 0;
}
