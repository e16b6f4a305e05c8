/* SPDX-License-Identifier: MIT */
/*
 * I/O page faults, the kernel's side (drivers/iommu/io-pgfault.c, spec §F):
 * what the page request interrupt does with the IOMMU's queue.
 *
 *  - A request that is not the last of its group waits in the device's
 *    partial list; the last one assembles the group (every partial with
 *    its PRGI) and looks up the domain of (device, PASID), or of the RID
 *    for a request without one.
 *  - No domain, or one without a fault handler: the group is answered
 *    Invalid Request at once.  Otherwise the domain's handler answers it,
 *    now (an SVA domain: handle_mm_fault for each page) or later (a user
 *    queue: IOPF_DEFERRED, answered with iopf_group_response).
 *  - Stop markers are discarded; a queue overflow discards the partial
 *    requests (their groups' last requests were answered by the IOMMU).
 */
#ifndef MODEL_IOMMU_IO_PGFAULT_H
#define MODEL_IOMMU_IO_PGFAULT_H

#include <stdint.h>
#include <glib.h>

#include "model/iommu/hw.h"

struct sim_world;
struct pci_dev;
struct iommu_domain;

/* A page request group, its pages in arrival order (the last one last). */
struct iopf_group {
	struct sim_world *w;
	struct pci_dev *dev;
	uint16_t segment, rid;
	bool pasid_valid;
	uint32_t pasid;
	uint16_t prgi;
	GArray *reqs;                /* struct iommu_page_req */
	bool answered;
};

/* A handler's answer for a group it keeps (and answers later). */
#define IOPF_DEFERRED (-1)

/* Register the page request handler with the hardware (iommu_domains_init
 * does it; again, with the state kept, after something replaced it); the
 * state is freed with the domains'. */
void iommu_iopf_init(struct sim_world *w);
void iommu_iopf_fini(struct sim_world *w);

/* The answer to a group a handler deferred (iopf_group_response): -EINVAL
 * when it was answered already; the group is freed either way. */
int iopf_group_response(struct iopf_group *g, uint8_t code);
void iopf_group_free(struct iopf_group *g);

/* The SVA domain's handler (iommu_sva_iopf_handler): every page of the
 * group through iommu_sva_handle_mm, the first that fails answering the
 * group Invalid Request. */
int iommu_sva_iopf_handler(struct iommu_domain *d, struct iopf_group *g);

/*
 * iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_IOPF), which iommufd asks
 * before attaching a device to a HWPT with a fault queue: VT-d
 * (intel_iommu_enable_iopf) needs ATS enabled and a PRI capability
 * (-ENODEV), SMMUv3 a PRI-capable master (-EINVAL), RISC-V has none
 * (-ENODEV); then PRI is enabled (pci_enable_pri).  0 or the error.
 */
int iommu_iopf_enable(struct pci_dev *dev);

struct iopf_stats {
	uint64_t groups, auto_invalid, handled, deferred, stop_markers, partial_discarded;
};
void iommu_iopf_stats(struct sim_world *w, struct iopf_stats *out);

#define TP_iommu_iopf "dev=%s pasid=%d prgi=%u pages=%u handler=%s code=%d"

#endif
