/* SPDX-License-Identifier: MIT */
/*
 * Pictures of a booted world's PCI topology and IOMMU groups, for
 * `iommusim groups FILE --tree | --dot` (docs/groups.md):
 *
 *  - a text tree in the manner of `lspci -tv`: each root bus, the functions
 *    on it by devfn, each bridge's secondary bus below it; every function
 *    with its type, the ACS it has enabled, its driver and its group;
 *  - a Graphviz digraph: the same tree as edges, each group a cluster
 *    coloured by viability (green viable, red not), ports showing their ACS.
 *
 * Both are deterministic: buses and functions in bus-number and devfn
 * order, groups by id; nothing depends on a pointer or a hash table.
 */
#ifndef TOOLS_SCENARIO_GROUPS_RENDER_H
#define TOOLS_SCENARIO_GROUPS_RENDER_H

#include <stdio.h>

struct sim_world;

void groups_render_tree(struct sim_world *w, FILE *out);
void groups_render_dot(struct sim_world *w, FILE *out);

#endif
