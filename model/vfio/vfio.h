/* SPDX-License-Identifier: MIT */
/*
 * VFIO (spec §B, §C): the vfio-pci driver, the /dev/vfio/vfio container node,
 * one /dev/vfio/N group node per IOMMU group that has a member bound to
 * vfio-pci, device fds, and the type1 IOMMU backend.  This layer sits on
 * model/iommu (groups, ownership, domains) and model/pci (driver binding);
 * it is installed in slot SIM_SUBSYS_VFIO.  The ABI is <linux/vfio.h>.
 */
#ifndef MODEL_VFIO_H
#define MODEL_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

struct sim_world;
struct iommu_group;

#define VFIO_CONTAINER_PATH "/dev/vfio/vfio"

/*
 * Register vfio-pci with the PCI layer and create /dev/vfio/vfio (root:root
 * 0666, as udev sets it up).  Needs the IOMMU core.  0 or -errno.
 */
int vfio_create(struct sim_world *w);

/* The group node path of @g ("/dev/vfio/26") into @buf. */
const char *vfio_group_node_path(const struct iommu_group *g, char *buf, size_t len);

/*
 * The module parameters of vfio and vfio_iommu_type1 the model reads
 * (profile keys vfio.*), changed in place through vfio_params() after
 * vfio_create (which sets the kernel's defaults):
 */
/* The 2020 series' per-VM PASID quota (VFIO_DEFAULT_PASID_QUOTA). */
#define VFIO_DEFAULT_PASID_QUOTA 1000u

struct vfio_params {
	/* type1's dma_entry_limit (65535): read when a container's backend
	 * is set, as the kernel reads it at open */
	unsigned dma_entry_limit;
	/* a group joins an existing compatible domain (same ops and
	 * coherency) without replay (spec §C), default on.  Off models groups
	 * behind IOMMU units whose domains are incompatible: every group gets
	 * a new domain and all existing mappings are replayed into it */
	bool share_domains;
	/* type1's allow_unsafe_interrupts (off): attach a group whose MSIs
	 * the IOMMU does not isolate (no interrupt remapping) */
	bool allow_unsafe_interrupts;
	/* vfio's enable_unsafe_noiommu_mode (off): vfio-pci takes devices no
	 * IOMMU translates, in groups of their own ("vfio-noiommu",
	 * /dev/vfio/noiommu-N) with the vfio-noiommu backend (noiommu.c);
	 * set it before drivers bind */
	bool noiommu;
	/* the sim_mdev parent's available_instances (0: its module is not
	 * loaded, no /sys/class/mdev_bus/sim_mdev): mediated devices whose
	 * groups no IOMMU backs, created by writing a UUID to its type's
	 * create file (mdev.c) */
	unsigned mdev_instances;
	/* the SVA uAPI proposal VFIO offers (docs/sva.md): none (mainline:
	 * SVA is for kernel drivers), seed 003's VFIO_DEVICE_BIND_TASK on the
	 * device fd (2017), or seed 000's VFIO_IOMMU_BIND with BIND_PROCESS on
	 * a type1 container (2018) */
	enum vfio_sva_abi { VFIO_SVA_NONE, VFIO_SVA_BIND_TASK_2017,
			    VFIO_SVA_BIND_PROCESS_2018 } sva_abi;
	/* the 2017 RFC as posted: BIND_TASK's mm_access failure returns
	 * without put_task_struct (the reference leak its review found) */
	bool rfc_task_leak;
	/* the guest page-table bind proposal VFIO offers (docs/nesting.md):
	 * none (mainline: nesting is iommufd's), or seed 002's
	 * VFIO_IOMMU_PASID_REQUEST / BIND_GUEST_PGTBL / CACHE_INVALIDATE on a
	 * VFIO_TYPE1_NESTING_IOMMU container (2020) */
	enum vfio_nesting_abi { VFIO_NESTING_NONE, VFIO_NESTING_GUEST_PGTBL_2020 } nesting_abi;
	/* where a 2020 bind goes: every device of the container, replayed
	 * onto groups attached later (as posted), or a container of one
	 * group (the resolution) */
	enum vfio_nesting_scope { VFIO_NESTING_SCOPE_CONTAINER,
				  VFIO_NESTING_SCOPE_SINGLETON } nesting_bind_scope;
	/* PASIDs one VM may hold (the series' VFIO_DEFAULT_PASID_QUOTA, 1000) */
	unsigned pasid_quota;
	/* the v1 series as posted: every failed PASID allocation, and a
	 * request on a container without a domain, answers EFAULT */
	bool rfc_pasid_efault;
};
/* The world's parameters, or NULL before vfio_create. */
struct vfio_params *vfio_params(struct sim_world *w);

/*
 * Check spec §H5, 6, 7, 10, 11, 12, 13, 14, 15 against VFIO's bookkeeping
 * and what the domains' page tables and the hardware context entries say.
 * Appends one line per violation, naming the invariant ("§H11: ...");
 * returns the number of violations.
 */
int vfio_check_invariants(struct sim_world *w, GString *violations);

/*
 * A deterministic text description of VFIO's state (containers, groups,
 * domains, mappings, accounting) for tests that prove an error changed
 * nothing (spec §H19) and for debugging.
 */
void vfio_describe(struct sim_world *w, GString *out);
/* What must be gone once no process holds a descriptor (spec §H18): each
 * container, and each group still opened, in a container, with users or
 * device fds, one line each. */
void vfio_leftovers(struct sim_world *w, GString *out);

/* The major of the vfio-dev char region (vfio_cdev_init's
 * alloc_chrdev_region): dynamic in the kernel, this number is the
 * simulator's.  The minor is the device's index. */
#define VFIO_DEVICE_CDEV_MAJOR 237u

/* vfio trace points */
/* vfio_init_device + __vfio_register_dev: vfio-dev/vfioN, and its node
 * with the device cdev */
#define TP_vfio_device_add     "dev=%s index=%d cdev=%d"
#define TP_vfio_cdev_open      "path=%s ret=%d"
#define TP_vfio_cdev_bind      "dev=%s devid=%u ret=%d"
#define TP_vfio_cdev_unbind    "dev=%s devid=%u"
#define TP_vfio_cdev_attach    "dev=%s pt_id=%u out=%u replace=%d ret=%d"
#define TP_vfio_cdev_detach    "dev=%s attached=%d"
#define TP_vfio_mdev_create    "uuid=%s group=%u ret=%d"
#define TP_vfio_mdev_remove    "uuid=%s group=%u pending=%d"
#define TP_vfio_pin_pages      "dev=%s iova=0x%llx npage=%d prot=%u ret=%d"
#define TP_vfio_unpin_pages    "dev=%s iova=0x%llx npage=%d"
#define TP_vfio_dma_rw         "dev=%s iova=0x%llx len=0x%llx write=%d ret=%d"
#define TP_vfio_dma_unmap_notify "dev=%s iova=0x%llx size=0x%llx unpinned=%u"
#define TP_vfio_dma_unmap_stuck "iova=0x%llx pinned=%u"
#define TP_vfio_group_node_add "group=%u path=%s"
#define TP_vfio_group_node_del "group=%u path=%s"
#define TP_vfio_group_open     "group=%u ret=%d"
#define TP_vfio_group_release  "group=%u"
#define TP_vfio_group_gone     "group=%u"
/* vfio_group_find_or_alloc: "Adding kernel taint for vfio-noiommu group on
 * device"; vfio_device_open_file: "vfio-noiommu device opened by user" */
#define TP_vfio_noiommu_taint  "dev=%s group=%u"
#define TP_vfio_noiommu_device_open "dev=%s pid=%d"
#define TP_vfio_pci_request    "dev=%s count=%u outcome=%s"
#define TP_vfio_container_open "id=%u"
#define TP_vfio_container_release "id=%u"
#define TP_vfio_pci_probe      "dev=%s group=%u ret=%d"
#define TP_vfio_pci_remove     "dev=%s group=%u"
#define TP_vfio_set_iommu      "container=%u type=%lu ret=%d"
#define TP_vfio_group_set_container   "group=%u container=%u ret=%d"
#define TP_vfio_group_unset_container "group=%u container=%u"
#define TP_vfio_container_deprivilege "container=%u"
#define TP_vfio_device_open    "dev=%s group=%u ret=%ld"
#define TP_vfio_device_release "dev=%s group=%u"
#define TP_vfio_type1_attach   "group=%u did=%u new_domain=%d ret=%d"
#define TP_vfio_sva_bind       "pid=%d pasid=%u ret=%d"
#define TP_vfio_sva_unbind     "pid=%d ret=%d"
#define TP_vfio_sva_mm_exit    "pasid=%u"
#define TP_vfio_svm_bind       "dev=%s pid=%d pasid=%u ret=%d"
#define TP_vfio_svm_unbind     "dev=%s pasid=%u ret=%d"
#define TP_vfio_gpasid_bind    "op=%u hpasid=%llu gpgd=0x%llx ret=%d"
#define TP_vfio_pasid_alloc    "min=%u max=%u pasid=%d ret=%d"
#define TP_vfio_pasid_free     "pasid=%u ret=%d"
#define TP_vfio_type1_unsafe_interrupts "group=%u"
#define TP_vfio_type1_detach   "group=%u did=%u domain_freed=%d"
#define TP_vfio_type1_replay   "did=%u mappings=%u ret=%d"
#define TP_vfio_dma_map        "iova=0x%llx size=0x%llx vaddr=0x%llx prot=%u ret=%d"
#define TP_vfio_dma_unmap      "iova=0x%llx size=0x%llx flags=0x%x unmapped=0x%llx ret=%d"
#define TP_vfio_dma_remove     "iova=0x%llx size=0x%llx pages=%llu"
#define TP_vfio_pci_reset      "dev=%s"
#define TP_vfio_pci_set_irqs   "dev=%s index=%u start=%u count=%u flags=0x%x ret=%d"

#endif
