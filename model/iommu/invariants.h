/* SPDX-License-Identifier: MIT */
/*
 * IOMMU-level invariants of spec §H, checked against what the hardware
 * tables and caches hold (not the kernel's bookkeeping alone):
 *   §H2  every RID and alias of a group's devices selects the group's domain;
 *   §H3  groups partition the devices and are reproducible from the topology;
 *   §H4  strict mode: P2P-reachable devices share a group;
 *   §H7  a user-owned group is not on its kernel default domain;
 *   §H8, §H9  every cached translation (IOTLB, paging-structure cache,
 *        PASID cache, device TLBs) matches what the tables in memory say
 *        now, and every stale answer a cache gave is reported
 *        (model/iommu/hw_check.c): each names the missing invalidation;
 *   §H26 every PASID entry past PASID 0 of a device (read back from memory)
 *        is the one of the domain the kernel attached at that PASID.
 * Each RID is checked once, however many functions alias to it.
 * testcases/unit/test_invariants.c provokes each line this file prints and
 * the cache scan's main ones; test_hw_nested.c and the golden reports of
 * testcases/scenarios/nested/bug-*.yaml the rest of hw_check.c's.
 */
#ifndef MODEL_IOMMU_INVARIANTS_H
#define MODEL_IOMMU_INVARIANTS_H

#include <glib.h>

struct sim_world;

/* Append one line per violation to @out; return how many. */
int iommu_check_invariants(struct sim_world *w, GString *out);

#endif
