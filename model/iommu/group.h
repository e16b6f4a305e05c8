/* SPDX-License-Identifier: MIT */
/*
 * IOMMU groups (spec §A) and DMA ownership (spec §B).
 *
 * Groups are formed once, when the IOMMU core probes the topology in
 * enumeration order.  Two modes:
 *  - legacy: the kernel's pci_device_group() algorithm (§A1-§A6);
 *  - strict: the legacy groups, then merged so that any two functions that
 *    can reach each other without their requests passing the IOMMU share a
 *    group (ACS read as egress-only; see docs/groups.md for the rule).
 * Group ids are allocated lowest-free from 0 in probe order.
 *
 * Ownership mirrors the kernel's: owner_cnt counts kernel DMA-API drivers
 * bound in the group (and, once VFIO claims it, the claims of the user
 * owner); owner is NULL while the kernel owns the group.
 */
#ifndef MODEL_IOMMU_GROUP_H
#define MODEL_IOMMU_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_world;
struct pci_dev;

enum iommu_group_mode {
	IOMMU_GROUP_LEGACY,
	IOMMU_GROUP_STRICT,
};
const char *iommu_group_mode_name(enum iommu_group_mode m);
int iommu_group_mode_from_name(const char *name);   /* -1 if unknown */

struct iommu_group {
	unsigned id;
	struct pci_dev **devices;     /* members, sorted by SBDF */
	size_t ndevices;
	unsigned owner_cnt;           /* kernel DMA drivers, or user claims */
	const void *owner;            /* NULL: kernel-owned (DMA API) */
	struct iommu_domain *domain;  /* attached now (model/iommu/domain.h) */
	struct iommu_domain *default_domain;
};

/*
 * Form the groups of every function in the world's topology and install the
 * IOMMU core (slot SIM_SUBSYS_IOMMU), registering the PCI bus hooks.
 * Must run before any driver is bound.  0 or -ENOMEM ("iommu_group_alloc").
 */
int iommu_core_create(struct sim_world *w, enum iommu_group_mode mode);

enum iommu_group_mode iommu_core_mode(struct sim_world *w);
size_t iommu_group_count(struct sim_world *w);
/* Group by id (ids are dense 0..count-1 after formation), or NULL. */
struct iommu_group *iommu_group_by_id(struct sim_world *w, unsigned id);
struct iommu_group *iommu_group_of(struct pci_dev *d);

/*
 * Viability (spec §B, modern rule): every member is unbound, bound to
 * vfio-pci, or bound to a driver_managed_dma driver (pci-stub, pcieport).
 * Equivalently, no kernel DMA driver is bound: owner_cnt == 0 while the
 * group is kernel-owned.
 */
bool iommu_group_viable(struct iommu_group *g);

/* The world a group belongs to. */
struct sim_world *iommu_group_world(struct iommu_group *g);

/*
 * User DMA ownership (the kernel's iommu_group_claim_dma_owner): -EPERM when a
 * kernel DMA driver is bound (owner_cnt != 0 and no owner) or when another
 * owner holds it (spec §G5); the same owner claiming again bumps owner_cnt.
 * The first claim moves the group to the blocking domain (-EBUSY when it is
 * not on its default domain, spec §B); the last release moves it back.
 */
int iommu_group_claim_dma_owner(struct iommu_group *g, const void *owner);
void iommu_group_release_dma_owner(struct iommu_group *g, const void *owner);

/*
 * Compute groups for the world's topology in @mode without installing them:
 * labels[probe_index] = group id, IOMMU_NO_GROUP for a function behind no
 * IOMMU (pci_dev.no_iommu).  For `iommusim groups --mode` and tests.
 * 0 or -ENOMEM.
 */
#define IOMMU_NO_GROUP 0xffffffffu
int iommu_compute_groups(struct sim_world *w, enum iommu_group_mode mode,
			 unsigned *labels);

/* Strict-mode reachability (spec §H4): can a request from @a reach @b (or
 * @b reach @a) without passing the IOMMU? */
bool iommu_p2p_reachable(struct sim_world *w, struct pci_dev *a, struct pci_dev *b);

/* iommu trace points */
#define TP_iommu_group_add   "group=%u dev=%s"
#define TP_iommu_group_claim "group=%u owner_cnt=%u ret=%d"
#define TP_iommu_group_release "group=%u owner_cnt=%u"

#endif
