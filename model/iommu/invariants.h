/* SPDX-License-Identifier: MIT */
/*
 * IOMMU-level invariants of spec §H, checked against what the hardware
 * tables and caches hold (not the kernel's bookkeeping alone):
 *   §H2  every RID and alias of a group's devices selects the group's domain;
 *   §H3  groups partition the devices and are reproducible from the topology;
 *   §H4  strict mode: P2P-reachable devices share a group;
 *   §H7  a user-owned group with no user domain is blocked;
 *   §H9  every IOTLB entry matches a live page-table entry (address and
 *        permissions): an entry without one is a missing invalidation.
 */
#ifndef MODEL_IOMMU_INVARIANTS_H
#define MODEL_IOMMU_INVARIANTS_H

#include <glib.h>

struct sim_world;

/* Append one line per violation to @out; return how many. */
int iommu_check_invariants(struct sim_world *w, GString *out);

#endif
