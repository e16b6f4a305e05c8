/* SPDX-License-Identifier: MIT */
/*
 * IOMMU domains, the kernel side (spec §B attach rules, §C map/unmap):
 * what the kernel's IOMMU core does with the hardware model.
 *
 *  - A domain is blocked, identity (passthrough) or paging; a paging domain
 *    owns an I/O page table (model/iommu/pgtable.h) and a domain id (DID,
 *    lowest free from 1) that tags its IOTLB entries.
 *  - Attaching a domain to a group programs, for every member, the context
 *    entry of its requester id and of every alias the DMA alias walk yields
 *    (spec §A2), so RID 05:00.1 of a Marvell alias translates in the same
 *    domain (spec §A example 8).  All or nothing.
 *  - Every group has a default domain while the kernel owns it; claiming it
 *    for userspace (iommu_group_claim_dma_owner) moves it to the blocking
 *    domain until a user domain is attached; release returns it to the
 *    default domain.
 *  - iommu_map uses the largest leaves alignment allows; iommu_unmap
 *    invalidates the IOTLB for the range before it returns.
 *  - The aperture comes from the profile's address width (39 or 48 bits)
 *    and every group reports the x86 MSI window 0xfee00000-0xfeefffff as a
 *    reserved region.
 */
#ifndef MODEL_IOMMU_DOMAIN_H
#define MODEL_IOMMU_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/iommu/pgtable.h"

struct sim_world;
struct iommu_group;

enum iommu_domain_type {
	IOMMU_DOMAIN_BLOCKED,
	IOMMU_DOMAIN_IDENTITY,
	IOMMU_DOMAIN_PAGING,
};

struct iommu_domain {
	struct sim_world *w;
	enum iommu_domain_type type;
	uint16_t did;                /* paging domains only; 0 otherwise */
	struct io_pgtable pt;        /* paging domains only */
	uint64_t aperture_start, aperture_end;   /* inclusive */
	uint64_t pgsize_bitmap;
	unsigned attached;           /* groups attached */
	bool naive_map;              /* per-page map loop (oracle, baseline) */
};

/* Profile options of the IOMMU the kernel drives. */
struct iommu_profile {
	unsigned address_width;      /* 39 or 48 */
	bool default_identity;       /* kernel-owned groups: identity (iommu=pt),
				      * else an empty DMA paging domain */
	bool naive_map;              /* per-page map loop */
};

/*
 * Set up domains on top of the group core (iommu_core_create) and the
 * hardware (iommu_hw_create): every group gets its default domain attached.
 * 0 or -ENOMEM.
 */
int iommu_domains_init(struct sim_world *w, const struct iommu_profile *prof);

/* A new domain, or NULL (-ENOMEM: fault site "iommu_domain_alloc"). */
struct iommu_domain *iommu_domain_alloc(struct sim_world *w, enum iommu_domain_type type);
/* Free a domain no group is attached to. */
void iommu_domain_free(struct iommu_domain *d);

/*
 * Attach @d to every device of @g (all RIDs and aliases); the group's
 * previous domain's IOTLB entries are invalidated.  0, -EBUSY (@g is not on
 * its default or blocking domain: detach first), -ENOMEM (all restored).
 */
int iommu_attach_group(struct iommu_domain *d, struct iommu_group *g);
/* Back to the blocking domain (user-owned group) or the default domain. */
void iommu_detach_group(struct iommu_domain *d, struct iommu_group *g);

struct iommu_domain *iommu_group_domain(struct iommu_group *g);
/* The paging domain with id @did, or NULL. */
struct iommu_domain *iommu_domain_by_did(struct sim_world *w, uint16_t did);
struct iommu_domain *iommu_group_default_domain(struct iommu_group *g);

/* Map / unmap in a paging domain (spec §C).  iommu_map: 0, -EINVAL,
 * -EEXIST, -ENOMEM (nothing mapped).  iommu_unmap returns the bytes
 * unmapped after the IOTLB invalidation has completed. */
int iommu_map(struct iommu_domain *d, uint64_t iova, uint64_t hpa, uint64_t size,
	      unsigned prot);
uint64_t iommu_unmap(struct iommu_domain *d, uint64_t iova, uint64_t size);
/* What the domain's page table says of @iova: 0 or -ENOENT. */
int iommu_iova_to_phys(struct iommu_domain *d, uint64_t iova, uint64_t *hpa,
		       unsigned *prot);

/* Used by the group core around ownership changes: move @g to the blocking
 * domain (0, or -EBUSY when it is not on its default domain) and back.
 * Without domains (iommu_domains_init not run) both do nothing. */
int iommu_group_block(struct iommu_group *g);
void iommu_group_unblock(struct iommu_group *g);

/* The domain layer's state hangs off the group core (core.c). */
void *iommu_core_domains(struct sim_world *w);
int iommu_core_set_domains(struct sim_world *w, void *domains, void (*destroy)(void *));

struct iommu_resv_region {
	uint64_t start, end;         /* inclusive */
	const char *type;            /* "msi" */
};
/* The reserved regions of @g's devices (the x86 MSI window). */
size_t iommu_get_resv_regions(struct iommu_group *g, struct iommu_resv_region *out,
			      size_t max);

/* iommu domain trace points */
#define TP_iommu_domain_alloc  "did=%u type=%s"
#define TP_iommu_domain_free   "did=%u type=%s"
#define TP_iommu_attach        "group=%u did=%u type=%s ret=%d"
#define TP_iommu_map           "did=%u iova=0x%llx hpa=0x%llx size=0x%llx prot=%s ret=%d"
#define TP_iommu_unmap         "did=%u iova=0x%llx size=0x%llx unmapped=0x%llx"

#endif
