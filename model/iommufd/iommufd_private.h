/* SPDX-License-Identifier: MIT */
/*
 * iommufd internals shared by the files of model/iommufd/, with the
 * kernel's names so each reads beside drivers/iommu/iommufd/:
 *   main.c         /dev/iommu, contexts, the object table, the ioctl
 *                  table and its size rules, DESTROY, OPTION (RLIMIT_MODE)
 *   io_pagetable.c struct io_pagetable: areas over iopt_pages, reserved
 *                  and allowed ranges, alignment, automatic IOVAs, map,
 *                  copy and unmap
 *   ioas.c         the IOAS object and its ioctls
 *   viommu.c       the vIOMMU and vDEVICE objects, and SMMUv3's nesting
 *                  through them (the driver's arm-smmu-v3-iommufd.c)
 */
#ifndef MODEL_IOMMUFD_PRIVATE_H
#define MODEL_IOMMUFD_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "sim/ids.h"
#include "model/iommufd/iommufd.h"
#include "iommusim/uapi/iommufd.h"

struct sim_world;
struct sim_proc;
struct sim_mm;

/* offsetofend(), as the kernel sizes its command structures */
#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY,             /* lookups only */
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_FAULT,
	IOMMUFD_OBJ_SELFTEST,        /* the test uAPI's mock device (selftest.c) */
	IOMMUFD_OBJ_VIOMMU,          /* viommu.c (since 6.13) */
	IOMMUFD_OBJ_VDEVICE,
};
const char *iommufd_object_type_name(enum iommufd_object_type t);

/* Accounting of pinned pages (enum iopt_pages_account_mode). */
enum iopt_account_mode {
	IOPT_PAGES_ACCOUNT_NONE,     /* CAP_IPC_LOCK */
	IOPT_PAGES_ACCOUNT_USER,     /* the user's locked_vm (the default) */
	IOPT_PAGES_ACCOUNT_MM,       /* the mm's locked_vm (RLIMIT_MODE 1, VFIO's way) */
};

/* A user's locked_vm as iommufd charges it (struct user_struct). */
struct iommufd_user {
	uint32_t uid;
	uint64_t locked_vm;          /* pages */
};

struct iommufd_state {
	struct sim_world *w;
	uint64_t next_ctx;           /* contexts numbered in open order, for traces */
	GArray *users;               /* struct iommufd_user, in first-charge order */
	GPtrArray *ctxs;             /* open contexts, in open order */
	bool vfio_container;         /* /dev/vfio/vfio is ours */
	/* CONFIG_IOMMUFD_TEST (selftest.c, profile `iommufd_test`) */
	bool test;                   /* IOMMU_TEST_CMD is in the table */
	unsigned test_mock_devs;     /* mock devices made: iommufd_mock1, 2 ... */
	uint32_t test_memory_limit;  /* SET_TEMP_MEMORY_LIMIT's value */
};

struct iommufd_object;
struct iommufd_group;
struct io_pagetable;
struct iopt_area;
struct iommufd_ctx {
	struct iommufd_state *st;
	struct sim_world *w;
	uint64_t serial;
	struct sim_ids objects;      /* id -> struct iommufd_object *, from 1 */
	enum iopt_account_mode account_mode;
	struct iommufd_ioas *vfio_ioas;   /* the VFIO compatibility IOAS */
	struct sim_file *file;       /* /dev/iommu's file: iommufd_ctx_get holds it */
	GPtrArray *groups;           /* struct iommufd_group *, by first bind */
	bool no_iommu_mode;          /* a VFIO no-IOMMU group was set on it */
};

/*
 * Every object: allocated (an id taken, invisible), then finalized
 * (iommufd_object_finalize: lookups find it) or aborted (the id is freed).
 * @users counts the references: 1 for the table itself, plus one per
 * holder (a HWPT on its IOAS, a device on its HWPT ...).  DESTROY removes
 * it only when the table's is the last (EBUSY otherwise).
 */
struct iommufd_object {
	struct iommufd_ctx *ictx;
	enum iommufd_object_type type;
	uint32_t id;
	unsigned users;
	bool finalized;
	void (*destroy)(struct iommufd_object *obj);
};

/* ---- access.c ---- */
/* One range of pages an access pinned (iopt_pages_access): pins of the
 * same index range of the same pages are counted, not repeated. */
struct iopt_access_pin {
	struct iopt_pages *pages;
	uint64_t first, last;        /* page indexes */
	unsigned users;
};
struct iommufd_access {
	struct iommufd_object obj;
	const struct iommufd_access_ops *ops;
	void *data;
	struct iommufd_ioas *ioas;   /* attached, a reference */
	struct iommufd_ioas *ioas_unpin;   /* where its pins are */
	uint64_t iova_alignment;     /* PAGE_SIZE when it pins pages */
};
/* iommufd_access_notify_unmap: every access of @iopt is told to unpin
 * inside [iova, iova + length). */
void iommufd_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova, uint64_t length);
/* iopt_add_access / iopt_remove_access: the alignment recalculated
 * (EADDRINUSE when an area is off the new one). */
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access);
void iopt_remove_access(struct io_pagetable *iopt, struct iommufd_access *access);
/* The area of @iopt holding @iova, or NULL, and the first area index at
 * or after it (iopt_area_contig iteration). */
struct iopt_area *iopt_area_at(struct io_pagetable *iopt, uint64_t iova);

/* ---- main.c ---- */
/* _iommufd_object_alloc: the lowest free id; NULL on -ENOMEM
 * ("iommufd_object_alloc") or a full table. */
int iommufd_object_alloc(struct iommufd_ctx *ictx, struct iommufd_object *obj,
			 enum iommufd_object_type type,
			 void (*destroy)(struct iommufd_object *));
void iommufd_object_finalize(struct iommufd_object *obj);
/* iommufd_object_abort: never finalized; the id is released, then
 * @obj->destroy. */
void iommufd_object_abort(struct iommufd_object *obj);
/* iommufd_get_object: a finalized object of @type (ANY: any) with a user
 * reference taken, or NULL (-ENOENT). */
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, uint32_t id,
					  enum iommufd_object_type type);
void iommufd_put_object(struct iommufd_object *obj);

/* One ioctl call as the handlers see it (struct iommufd_ucmd). */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	struct sim_proc *p;
	unsigned long ubuffer;
	uint32_t user_size;
	void *cmd;                   /* the kernel's copy, its full size */
};
/* iommufd_ucmd_respond: copy the answer back, min(user_size, @len) bytes
 * (-EFAULT). */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t len);

/* ---- io_pagetable.c ---- */
/* A user range as the kernel pins it (struct iopt_pages): shared by every
 * area a COPY made from it, refcounted. */
struct iopt_pages {
	unsigned refs;                /* areas and slices using it */
	uint64_t uptr;               /* page-aligned start */
	uint64_t npages;
	bool writable;
	struct sim_mm *mm;           /* source_mm, a reference (mmgrab) */
	int pid;                     /* source_task (its RLIMIT_MEMLOCK) */
	uint32_t uid;                /* source_user */
	uint64_t rlimit_memlock;     /* the task's limit when it mapped (bytes) */
	enum iopt_account_mode account_mode;
	/* pages.c: the pins, per index */
	GTree *pins;
	uint64_t npinned;            /* indexes pinned */
	uint64_t last_npinned;       /* what the account was charged for */
	GArray *access_pins;         /* struct iopt_access_pin (access.c) */
};

/* ---- pages.c ---- */
void iopt_pages_init_pins(struct iopt_pages *pages);
void iopt_pages_destroy_pins(struct iopt_pages *pages);
/* One more user on each index of [first, last], pinning those that had
 * none and charging the account: all or nothing.  0, -EFAULT (a page not
 * mapped with the access needed, or the source mm gone), -ENOMEM (the
 * account's limit, RLIMIT_MEMLOCK). */
int iopt_pages_pin(struct iopt_pages *pages, uint64_t first, uint64_t last);
/* One user less on each index; those left without one are unpinned and
 * the account credited. */
void iopt_pages_unpin(struct iopt_pages *pages, uint64_t first, uint64_t last);
/* The frame of pinned index @index, 0 when it is not pinned. */
uint64_t iopt_pages_hpa(struct iopt_pages *pages, uint64_t index);
/* How many pinned indexes from @index on (at most @max) have frames that
 * follow each other; *hpa the first's (0 when @index is not pinned). */
uint64_t iopt_pages_contig(struct iopt_pages *pages, uint64_t index, uint64_t max,
			   uint64_t *hpa);
/* Its users (0: not pinned). */
unsigned iopt_pages_users(struct iopt_pages *pages, uint64_t index);

/* One mapping: [iova, last] over pages [start_byte, start_byte + len). */
struct iopt_area {
	uint64_t iova, last;         /* inclusive */
	struct iopt_pages *pages;
	uint64_t start_byte;         /* offset of iova's byte into the pages' range */
	unsigned prot;               /* IOMMU_READ | IOMMU_WRITE */
	unsigned num_accesses;       /* access pins inside it (access.c) */
	bool prevent_access;         /* being unmapped: no new access pins */
};

struct iopt_range {              /* reserved and allowed ranges, inclusive */
	uint64_t start, last;
	const void *owner;           /* reserved: who reserved it */
};

struct io_pagetable {
	struct sim_world *w;
	GArray *areas;               /* struct iopt_area, sorted by iova */
	GArray *reserved;            /* struct iopt_range, sorted by start */
	GArray *allowed;             /* struct iopt_range, sorted; empty = all */
	uint64_t iova_alignment;     /* 1 without domains */
	bool disable_large_pages;    /* OPTION HUGE_PAGES 0 */
	/* the domains every area is filled into (iopt->domains, kept dense
	 * as the kernel keeps its xarray: a removal moves the last into the
	 * hole) */
	GPtrArray *domains;          /* struct iommu_domain * */
	GPtrArray *accesses;         /* struct iommufd_access *, attached here */
};

void iopt_init_table(struct io_pagetable *iopt, struct sim_world *w);
/* Unmaps everything first. */
void iopt_destroy_table(struct io_pagetable *iopt);

#define IOPT_ALLOC_IOVA 1u
/* iopt_map_user_pages: 0 (and *iova when IOPT_ALLOC_IOVA), -EINVAL,
 * -EOVERFLOW, -EEXIST, -ENOSPC, -EPERM, -ENOMEM. */
int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			struct sim_proc *p, uint64_t *iova, uint64_t uptr,
			uint64_t length, unsigned prot, unsigned flags);
/* One slice of pages a map installs (struct iopt_pages_list). */
struct iopt_pages_elm {
	struct iopt_pages *pages;    /* a reference */
	uint64_t start_byte, length;
};
/* iopt_get_pages (COPY's source): the areas covering [iova, iova + length)
 * contiguously, each slice with a reference on its pages, into @list
 * (struct iopt_pages_elm).  -EINVAL (length 0), -EOVERFLOW, -ENOENT (a
 * hole), -ENOMEM. */
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   GArray *list);
/* iopt_map_pages: the slices at *iova one after another (or at an
 * automatic IOVA for IOPT_ALLOC_IOVA); their references move into the
 * areas on success.  iopt_free_pages_list drops what is left. */
int iopt_map_pages(struct io_pagetable *iopt, GArray *list, uint64_t length,
		   uint64_t *iova, unsigned prot, unsigned flags);
void iopt_free_pages_list(GArray *list);
/* iopt_unmap_iova: whole areas inside [iova, iova + length); *unmapped
 * bytes; -ENOENT (nothing, or an area sticking out: those before it stay
 * unmapped), -EINVAL, -EOVERFLOW.  iopt_unmap_all: everything, 0 when
 * empty. */
int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		    uint64_t *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped);
/* iopt_set_allow_iova: @ranges (sorted, checked by the caller) replace the
 * list; -EADDRINUSE when one meets a reserved range (the old list stays). */
int iopt_set_allow_iova(struct io_pagetable *iopt, GArray *ranges);
/* iopt_reserve_iova: -EADDRINUSE over an area or an allowed range. */
int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start, uint64_t last,
		      const void *owner);
void iopt_remove_reserved_iova(struct io_pagetable *iopt, const void *owner);
/* The holes of the reserved ranges (IOVA_RANGES), into @out (struct
 * iopt_range). */
void iopt_usable_ranges(const struct io_pagetable *iopt, GArray *out);
/* OPTION HUGE_PAGES: 0 or -EADDRINUSE (an area is not page aligned). */
int iopt_disable_large_pages(struct io_pagetable *iopt);
void iopt_enable_large_pages(struct io_pagetable *iopt);

/* iopt_table_add_domain: the domain's smallest page becomes the
 * alignment (EINVAL above PAGE_SIZE; EADDRINUSE when an area is off it),
 * the IOVA outside its aperture is reserved (EADDRINUSE over an area or an
 * allowed range), and every area is filled into it (pinned when it is the
 * first domain: EFAULT, ENOMEM).  All or nothing. */
struct iommu_domain;
struct iommu_group;
int iopt_table_add_domain(struct io_pagetable *iopt, struct iommu_domain *d);
void iopt_table_remove_domain(struct io_pagetable *iopt, struct iommu_domain *d);
/* iopt_table_enforce_dev_resv_regions: the reserved regions of @g's
 * devices (iommu_get_resv_regions) become reserved ranges owned by @owner:
 * 0, -EADDRINUSE (over an area or an allowed range; none is kept), -EINVAL
 * (fault site "iopt_enforce_resv", as the kernel's iommufd_should_fail). */
int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt, struct iommu_group *g,
					const void *owner);

/* iopt_cut_iova: split the areas holding each of @iovas so that the IOVA
 * ends an area (VFIO TYPE1's partial unmap); -EINVAL off the alignment. */
int iopt_cut_iova(struct io_pagetable *iopt, const uint64_t *iovas, unsigned n);

/* ---- vfio_compat.c ---- */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, struct sim_proc *p, unsigned int cmd,
			unsigned long arg);

/* ---- ioas.c ---- */
struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
	GPtrArray *hwpt_list;        /* its paging HWPTs, in creation order */
};
struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx);
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_ioas_option(struct iommufd_ucmd *ucmd);


/* ---- hw_pagetable.c ---- */
struct iommu_domain;
struct pci_dev;
/*
 * A hardware page table (struct iommufd_hw_pagetable with its paging and
 * nested forms): an iommu_domain of the simulated IOMMU.  A paging one
 * belongs to an IOAS (holding it) whose areas fill its domain; "auto" ones
 * are made by attaching a device to an IOAS and die with their last device.
 */
struct iommufd_hw_pagetable {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	struct iommufd_ioas *ioas;   /* paging: a reference */
	bool auto_domain;
	bool nest_parent;
	bool enforce_cache_coherency;
	bool in_ioas;                /* on ioas->hwpt_list, its domain in the iopt */
	struct iommufd_object *fault;   /* its fault queue (FAULT_ID_VALID), a reference */
	/* IOMMU_HWPT_ALLOC_PASID (6.15): it may go on a (device, PASID) */
	bool pasid_compat;
	/* nested (IOMMUFD_OBJ_HWPT_NESTED): the NEST_PARENT paging HWPT it
	 * sits on, a reference; VT-d's stage-1 data as the driver keeps it
	 * (its addr_width and flags are checked at each attach) */
	struct iommufd_hw_pagetable *parent;
	struct iommu_hwpt_vtd_s1 vtd;
	/* nested over a vIOMMU (viommu.c): the vIOMMU, a reference (the
	 * parent is its HWPT, no reference of its own) */
	struct iommufd_viommu *viommu;
};
/* The driver's checks of a nested HWPT at attach of @idev's group
 * (intel_pasid_setup_nested; arm_smmu_attach_prepare_vmaster): 0, -EINVAL,
 * -ENOENT; 0 for a paging HWPT. */
struct iommufd_device;
int iommufd_hwpt_nested_attach_check(const struct iommufd_hw_pagetable *hwpt,
				     const struct iommufd_device *idev);
/* iommufd_hwpt_paging_alloc: flags as HWPT_ALLOC's; @immediate_attach
 * attaches @idev before the domain joins the IOAS (the auto path). */
struct iommufd_device;
int iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			      struct iommufd_device *idev, uint32_t flags, bool immediate_attach,
			      struct iommufd_hw_pagetable **out);
/* Drop a holder's reference; an auto HWPT nothing else holds is destroyed
 * (iommufd_hw_pagetable_put). */
void iommufd_hw_pagetable_put(struct iommufd_hw_pagetable *hwpt);
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd);

/* ---- fault.c ---- */
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd);
/* The queue's fd is open (it holds the object). */
bool iommufd_fault_file_open(const struct iommufd_object *obj);
/* fault.c: a HWPT's page request group for the queue (the HWPT's domain's
 * handler, IOPF_DEFERRED); a device's groups answered INVALID at its
 * detach or move (iommufd_auto_response_faults); §H23 over one queue. */
struct iopf_group;
struct iommufd_device;
void iommufd_fault_deliver(struct iommufd_object *obj, struct iommufd_device *idev,
			   struct iopf_group *g);
void iommufd_fault_auto_response(struct iommufd_object *obj, struct iommufd_device *idev,
				 uint32_t pasid);
int iommufd_fault_check(const struct iommufd_object *obj, GString *out);
/* device.c: the HWPT's domain hands its I/O page faults to its queue */
void iommufd_hwpt_take_faults(struct iommufd_hw_pagetable *hwpt);
/* device.c: is @idev attached at @pasid (IOMMU_NO_PASID: its RID) to a
 * HWPT that delivers to the queue @fault? */
bool iommufd_device_on_fault(const struct iommufd_device *idev, uint32_t pasid,
			     const struct iommufd_object *fault);

/* ---- device.c ---- */
/* One iommu_group as a context sees it (struct iommufd_group): which HWPT
 * its devices are attached to; the first device attached attaches the
 * group. */
struct iommufd_group {
	struct iommufd_ctx *ictx;
	struct iommu_group *group;
	struct iommufd_hw_pagetable *hwpt;
	GPtrArray *devices;          /* attached iommufd_devices, in attach order */
	/* (device, PASID) attachments (6.15), struct iommufd_pasid_attach *
	 * in PASID order: the group's igroup->pasid_attach xarray */
	GPtrArray *pasid_attach;
	unsigned refs;               /* bound devices */
	bool mock;                   /* a selftest mock device's group (selftest.c) */
};
/* The HWPT at one PASID of a group and its devices attached there. */
struct iommufd_pasid_attach {
	uint32_t pasid;
	struct iommufd_hw_pagetable *hwpt;
	GPtrArray *devices;
};
/* The HWPT @idev is attached to at @pasid (IOMMU_NO_PASID: the RID), or
 * NULL. */
struct iommufd_hw_pagetable *iommufd_device_hwpt_at(const struct iommufd_device *idev,
						    uint32_t pasid);
struct iommufd_mock_dev;
struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_group *igroup;
	struct pci_dev *dev;         /* NULL for a mock device */
	struct iommufd_mock_dev *mock;   /* the selftest's mock device, or NULL */
	bool enforce_cache_coherency;
	struct iommufd_vdevice *vdev;    /* its vDEVICE (viommu.c), or NULL */
};
int iommufd_hw_pagetable_attach(struct iommufd_hw_pagetable *hwpt, struct iommufd_device *idev);
struct iommufd_hw_pagetable *iommufd_hw_pagetable_detach(struct iommufd_device *idev);
struct iommufd_device *iommufd_get_device(struct iommufd_ucmd *ucmd, uint32_t id);
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);
/* main.c: @fn on every iopt_pages an area of any IOAS of any context
 * uses, each once, in context, id and IOVA order */
void iommufd_for_each_pages(struct iommufd_state *st,
			    void (*fn)(struct iopt_pages *pages, void *ctx), void *ctx);
/* main.c: remove an object from the table and destroy it (a kernel-side
 * holder letting go of its last reference, iommufd_object_destroy_user) */
void iommufd_object_destroy_user(struct iommufd_object *obj);
/* iommufd_object_tombstone_user: destroyed, its id kept taken (no lookup
 * finds it) until the context is released */
void iommufd_object_tombstone_user(struct iommufd_object *obj);
/* iommufd_device_bind for the selftest's mock device on the mock bus: its
 * own group @g (owned by selftest.c), no MSI or coherency question (the
 * mock IOMMU is coherent), no context reference (the selftest object in
 * the context holds the device).  The mock IOMMU has no hardware: the
 * group's domain is only recorded (group->domain), it reports no reserved
 * regions, and its domains and the simulated IOMMU's never meet (EINVAL). */
int iommufd_device_bind_mock(struct iommufd_ctx *ictx, struct iommufd_mock_dev *mock,
			     struct iommu_group *g, struct iommufd_device **out, uint32_t *id);

/* ---- viommu.c (since 6.13) ---- */
/* A vIOMMU: the guest's view of the physical IOMMU over a NEST_PARENT
 * HWPT (struct iommufd_viommu; SMMUv3's struct arm_vsmmu). */
struct iommufd_viommu {
	struct iommufd_object obj;
	uint32_t type;               /* enum iommu_viommu_type */
	struct iommufd_hw_pagetable *hwpt;   /* the nest parent, a reference */
	uint16_t vmid;               /* arm_vsmmu: the parent's VMID */
	GTree *vdevs;                /* virt_id (uint64_t *) -> struct iommufd_vdevice * */
};
/* A device as one vIOMMU's guest knows it (struct iommufd_vdevice). */
struct iommufd_vdevice {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;   /* a reference */
	struct iommufd_device *idev;
	uint64_t virt_id;
};
int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd);
/* iommufd_device_pre_destroy: the device's vDEVICE goes first */
void iommufd_vdevice_remove(struct iommufd_vdevice *vdev);
/* iommufd_viommu_alloc_hwpt_nested: HWPT_ALLOC with pt_id a vIOMMU */
int iommufd_viommu_alloc_hwpt_nested(struct iommufd_ucmd *ucmd, struct iommufd_viommu *viommu,
				     const struct iommufd_device *idev,
				     struct iommufd_hw_pagetable **out);
/* The vIOMMU's nested HWPT may go on @idev's group: every device of it has
 * a vDEVICE there when the guest's STE translates (0, -ENOENT). */
int iommufd_viommu_attach_check(const struct iommufd_hw_pagetable *hwpt,
				const struct iommufd_device *idev);
/* HWPT_INVALIDATE on a vIOMMU (arm_vsmmu_cache_invalidate): *done the
 * entries reported back. */
int iommufd_viommu_invalidate(struct iommufd_ucmd *ucmd, struct iommufd_viommu *viommu,
			      uint32_t *done);
/* copy_struct_from_user: @usize bytes at @src into @ksize bytes at @dst,
 * zero-extended; bytes past @ksize must be zero (E2BIG); EFAULT. */
int iommufd_copy_struct_from_user(struct sim_proc *p, void *dst, size_t ksize, uint64_t src,
				  size_t usize);

/* ---- selftest.c (CONFIG_IOMMUFD_TEST) ---- */
/* IOMMU_TEST_CMD (iommufd_test) */
int iommufd_test(struct iommufd_ucmd *ucmd);
/* The table reaches IOMMU_TEST_CMD: the profile's iommufd_test. */
bool iommufd_test_enabled(const struct sim_world *w);
/* iommufd_test_syz_conv_iova_id: with the test uAPI, MOCK_FLAGS_ACCESS_SYZ
 * in *flags is taken out and *iova read as (nth area, offset) of IOAS
 * @ioas_id (IOAS_COPY's source); nothing otherwise. */
void iommufd_test_syz_conv_iova_id(struct iommufd_ucmd *ucmd, uint32_t ioas_id,
				   unsigned long long *iova /* __u64 */, uint32_t *flags);
/* The mock IOMMU's driver half (mock_ops): a paging domain for
 * HWPT_ALLOC's @flags (0, -EOPNOTSUPP, -ENOMEM), whether a domain is one of
 * its own, and GET_HW_INFO's data (struct iommu_test_hw_info). */
int iommufd_mock_domain_alloc(struct iommufd_mock_dev *mock, uint32_t flags,
			      struct iommu_domain **out);
bool iommufd_mock_domain(const struct iommu_domain *d);
void iommufd_mock_hw_info(const struct iommufd_mock_dev *mdev, uint32_t *type, void *data,
			  size_t *len, uint64_t *caps, uint8_t *max_pasid_log2);

#endif
