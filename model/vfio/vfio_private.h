/* SPDX-License-Identifier: MIT */
/*
 * VFIO internals shared by the files of model/vfio/:
 *   vfio.c       the subsystem, the vfio-pci driver, group nodes and opens
 *   container.c  /dev/vfio/vfio files: GET_API_VERSION, CHECK_EXTENSION,
 *                SET_IOMMU, the container <-> group glue (spec §B)
 *   group.c      /dev/vfio/N ioctls: GET_STATUS, SET/UNSET_CONTAINER,
 *                GET_DEVICE_FD (spec §B)
 *   type1.c      the type1 backend: domains, attach/detach, replay (§C)
 *   type1_dma.c  MAP_DMA / UNMAP_DMA, pinning and accounting (§C)
 *   type1_info.c GET_INFO, its capability chain, IOVA ranges (§C)
 *   pci_dev.c    device fds: GET_INFO, regions, RESET, the hot-reset ioctls
 *   pci_irq.c    device fds: GET_IRQ_INFO, SET_IRQS
 *   pci_config.c the config space a vfio-pci device shows its user, over
 *                the function's own (model/pci/config.c)
 *   cdev.c       the VFIO device cdev (/dev/vfio/devices/vfioN, its sysfs
 *                vfio-dev/vfioN) of vfio-pci and mediated devices,
 *                BIND_IOMMUFD, ATTACH/DETACH_IOMMUFD_PT, and a device
 *                file's iommufd side: the physical and the emulated ops
 *                (drivers/vfio/device_cdev.c, iommufd.c)
 *   mdev.c       mediated devices: the mdev core's sysfs, the sim_mdev
 *                parent driver, emulated-IOMMU groups and their device
 *                fds, vfio_pin_pages / vfio_unpin_pages / vfio_dma_rw
 *                over a container's backend or an iommufd access
 *   invariants.c vfio_check_invariants (spec §H)
 *
 * Kernel names are kept (vfio_group_set_container, vfio_dma_do_map,
 * vfio_iommu_replay ...) so this code reads beside drivers/vfio/.
 */
#ifndef MODEL_VFIO_PRIVATE_H
#define MODEL_VFIO_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>
#include <linux/vfio.h>

#include "sim/ids.h"
#include "sim/mm.h"
#include "model/pci/pci.h"
#include "model/vfio/vfio.h"

struct sim_world;
struct sim_proc;
struct sim_file;
struct sim_mm;
struct iommu_group;
struct iommu_domain;
struct vfio_container;
struct vfio_group;
struct vfio_iommu;
struct vfio_state;
struct mdev_state;
struct iommufd_ctx;
struct iommufd_device;

/* offsetofend(), as the kernel's ioctl handlers size their structs. */
#define vfio_offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/*
 * The start of every argsz-led ioctl: copy the first @minsz bytes of the
 * user's struct (-EFAULT) and refuse an argsz below @minsz (-EINVAL), as the
 * kernel's handlers do.  Every such struct starts with a u32 argsz.
 */
static inline long vfio_copy_argsz_in(struct sim_proc *p, unsigned long arg, void *st,
				      size_t minsz)
{
	uint32_t argsz;

	if (sim_copy_from_user(p, st, arg, minsz))
		return -EFAULT;
	memcpy(&argsz, st, sizeof(argsz));
	return argsz < minsz ? -EINVAL : 0;
}

#define VFIO_DEFAULT_DMA_ENTRY_LIMIT 65535u   /* type1's dma_entry_limit */

/*
 * An IOMMU backend of the container, as the kernel's vfio_iommu_driver_ops:
 * type1 (type1.c) and vfio-noiommu (noiommu.c).  The container asks them in
 * the kernel's list order, the last registered first (list_add).
 */
struct vfio_iommu_driver_ops {
	const char *name;
	/* SET_IOMMU's open with its argument: 0 and *data (which may be NULL
	 * for a backend without state), or -errno */
	int (*open)(struct vfio_state *v, struct sim_proc *p, unsigned long type, void **data);
	void (*release)(void *data);
	/* CHECK_EXTENSION; @data NULL when the container has no backend yet */
	long (*check_extension)(struct vfio_state *v, void *data, unsigned long arg);
	/* every other container ioctl, once this backend is set */
	long (*ioctl)(void *data, struct sim_proc *p, unsigned int cmd, unsigned long arg);
	int (*attach_group)(void *data, struct vfio_group *g);
	void (*detach_group)(void *data, struct vfio_group *g);
	/* The kernel-internal side, for devices of emulated-IOMMU groups
	 * (mdev.c); NULL in a backend without it (vfio_pin_pages: ENOTTY).
	 * A device registers at its first open and unregisters at its last
	 * close (vfio_device_container_register); type1 calls the
	 * registered ones' dma_unmap before it unmaps pages they pinned. */
	void (*register_device)(void *data, struct mdev_state *m);
	void (*unregister_device)(void *data, struct mdev_state *m);
	/* @npage pages from @iova, each READ (and WRITE with @prot's bit):
	 * *hpas filled; @npage or -errno */
	int (*pin_pages)(void *data, struct iommu_group *ig, uint64_t iova, int npage,
			 unsigned prot, uint64_t *hpas);
	void (*unpin_pages)(void *data, uint64_t iova, int npage);
	/* copy to or from the user memory behind [iova, iova + len) */
	int (*dma_rw)(void *data, uint64_t iova, void *buf, size_t len, bool write);
};

#define VFIO_MAX_IOMMU_DRIVERS 4

struct vfio_state {
	struct sim_world *w;
	/* registered backends, in registration order (asked newest first) */
	const struct vfio_iommu_driver_ops *iommu_drivers[VFIO_MAX_IOMMU_DRIVERS];
	unsigned nr_iommu_drivers;
	GHashTable *groups;          /* iommu group id -> struct vfio_group */
	GHashTable *noiommu_groups;  /* struct pci_dev * -> its fake iommu_group */
	GHashTable *devices;         /* struct pci_dev * -> struct vfio_pci_device */
	GPtrArray *mdevs;            /* struct mdev_state *, in creation order */
	struct sim_ids containers;   /* id -> struct vfio_container */
	/* vfio_device_ida: the N of every vfio device's vfio-dev/vfioN (and
	 * of /dev/vfio/devices/vfioN), lowest free from 0 */
	struct sim_ids device_ida;
	struct vfio_params params;   /* module parameters (vfio.h) */
	/* the 2020 proposal's per-VM PASID sets (type1_nesting.c), and the
	 * last id given to one */
	GPtrArray *vmms;
	unsigned vmm_seq;
};

struct vfio_group {
	struct vfio_state *vfio;
	struct iommu_group *iommu_group;
	unsigned nr_vfio_devices;    /* members bound to vfio-pci */
	bool opened;                 /* single opener (spec §B) */
	struct sim_file *file;       /* the open group file, if any */
	struct vfio_container *container;
	bool noiommu;                /* VFIO_NO_IOMMU: a fake group (noiommu.c) */
	/* VFIO_EMULATED_IOMMU: a mediated device's group of its own, which no
	 * IOMMU translates and nobody claims DMA ownership of (mdev.c); @mdev
	 * is its device, NULL once removed */
	bool emulated;
	struct mdev_state *mdev;
	/* its last vfio-pci member was unregistered while the file stayed
	 * open (the kernel's group->iommu_group == NULL): no longer in
	 * vfio_state.groups, freed when the file is released */
	bool gone;
	unsigned container_users;    /* 1 + device fds while a container is set */
	unsigned device_fds;         /* device files open through this group */
	unsigned iommufd_fds;        /* those of them opened through an iommufd */
	/* SET_CONTAINER given an iommufd (group->iommufd): its context, a
	 * reference, until UNSET_CONTAINER or the file's release */
	struct iommufd_ctx *iommufd;
	/* cdev files of members bound to an iommufd (vfio_device_block_group):
	 * while non-zero the group node cannot be opened (EBUSY) */
	unsigned cdev_device_open_cnt;
};

/* vfio_group_has_iommu: a container or an iommufd is set. */
static inline bool vfio_group_has_iommu(const struct vfio_group *g)
{
	return g->container || g->iommufd;
}

/* group->type == VFIO_IOMMU: a group the IOMMU core formed and VFIO
 * claims DMA ownership of (not noiommu, not emulated). */
static inline bool vfio_group_is_iommu(const struct vfio_group *g)
{
	return !g->noiommu && !g->emulated;
}

struct vfio_container {
	struct vfio_state *vfio;
	unsigned id;
	unsigned kref;               /* spec §B: its fd + attached groups */
	bool file_open;
	GList *groups;               /* struct vfio_group *, newest first */
	bool noiommu;                /* its groups are noiommu ones (they never mix) */
	/* the backend SET_IOMMU chose, NULL = none, and its data */
	const struct vfio_iommu_driver_ops *driver;
	void *driver_data;
	struct vfio_iommu *iommu;    /* driver_data when the driver is type1, else NULL */
};

/* One vfio-pci device: emulated config state and BAR storage. */
struct vfio_pci_device {
	struct vfio_state *vfio;
	struct pci_dev *pdev;
	unsigned refs;               /* 1 while bound + open device files */
	bool removed;                /* unbound from vfio-pci */
	unsigned open_count;
	GPtrArray *svm_bonds;        /* the 2017 proposal's tasks bound (device_svm.c) */
	/* config space (pci_config.c): the emulated copy, which capability
	 * each byte belongs to (vfio's pci_config_map; 0xff none) */
	uint8_t vconfig[PCI_CFG_SPACE_EXP_SIZE];
	uint8_t map[PCI_CFG_SPACE_EXP_SIZE];
	uint16_t cfg_size;           /* 256 (conventional) or 4096 (PCIe) */
	uint8_t msi_cap, msix_cap, pcie_cap;   /* the device's, 0 = none */
	bool bardirty;               /* the virtual BARs need the sizing rule */
	bool extended_caps;          /* the device has an extended list */
	uint8_t msi_qmax;            /* log2 of the MSI vectors last enabled */
	uint8_t msix_bar;            /* the BAR with the MSI-X table, 0xff none */
	uint32_t msix_offset, msix_size;
	uint8_t power_state;         /* VFIO_PCI_D0 .. VFIO_PCI_D3HOT */
	bool virq_disabled;          /* the user's INTx-disable bit */
	/* the function's config space as the first open saved it
	 * (vdev->pci_saved_state), restored at the last close */
	uint8_t saved_config[PCI_CFG_SPACE_EXP_SIZE];
	GHashTable *bar_pages[PCI_NUM_BARS];   /* page index -> 4 KiB storage */
	/* interrupts */
	int irq_type;                /* VFIO_PCI_*_IRQ_INDEX, or -1 = none */
	bool intx_masked;
	int32_t *triggers[VFIO_PCI_NUM_IRQS];  /* eventfd per vector, -1 = none */
	/* the eventfd file behind each trigger (a reference), NULL for none */
	struct sim_file **trigger_files[VFIO_PCI_NUM_IRQS];
	unsigned ntriggers[VFIO_PCI_NUM_IRQS];
	struct sim_file *intx_unmask_file;   /* the INTx unmask virqfd's eventfd */
	GPtrArray *ioeventfds;       /* struct vfio_pci_ioeventfd *, newest first */
	/* VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY*: pm_runtime_engaged and the
	 * wakeup eventfd (a reference) */
	bool pm_runtime_engaged;
	struct sim_file *pm_wake_file;
	bool reset_works;            /* vdev->reset_works, set at the first open */
	unsigned resets;             /* VFIO_DEVICE_RESET calls that reset */
	unsigned hot_resets;         /* bus resets this function went through */
	/* the vfio_device side (cdev.c): its vfio_device_ida index (vfioN),
	 * whether /dev/vfio/devices/vfioN is there, the files open on it of
	 * either path (registration references: an unbind waits for them) */
	int index;
	bool cdev_node;
	unsigned files;
	/* bound to an iommufd (either path): the device object and its id;
	 * attached to an IOAS or HWPT; bound through a cdev (cdev_opened) */
	struct iommufd_device *idev;
	uint32_t devid;
	bool iommufd_attached;
	bool cdev_opened;
	/* the PASIDs attached through the cdev (6.15, vdev->pasids),
	 * uint32_t in attach order */
	GArray *pasids;
};

/*
 * One open device file (struct vfio_device_file): a group's
 * (VFIO_GROUP_GET_DEVICE_FD, @group set, access granted at once) or a
 * cdev's (@group NULL, access granted by BIND_IOMMUFD); of a vfio-pci
 * device (@vdev) or a mediated one (@mdev).
 */
struct vfio_device_file {
	struct vfio_pci_device *vdev;
	struct vfio_group *group;    /* NULL: a cdev file */
	bool access_granted;
	bool uses_container;         /* counted in the group's container_users */
	/* the context: a cdev's bound one (a reference) or the group's
	 * iommufd at GET_DEVICE_FD (none) */
	struct iommufd_ctx *iommufd;
	/* a mediated device's file (mdev.c), either path: @vdev is NULL */
	struct mdev_state *mdev;
};

/* Power states (pci_power_t). */
#define VFIO_PCI_D0    0
#define VFIO_PCI_D3HOT 3

/* ---- vfio.c ---- */
struct vfio_state *vfio_get(struct sim_world *w);
struct vfio_group *vfio_group_find(struct vfio_state *v, unsigned group_id);
/* One past the highest group id VFIO has (fake groups lie above the IOMMU
 * core's), for walks in id order. */
unsigned vfio_group_id_end(struct vfio_state *v);
/* A group object for @ig (found or made, -ENOMEM) and its first member:
 * the node appears (vfio_group_find_or_alloc, vfio_create_group). */
struct vfio_group *vfio_group_get_or_create(struct vfio_state *v, struct iommu_group *ig,
					    bool noiommu);
int vfio_group_add_device(struct vfio_state *v, struct vfio_group *g);
/* Its last member left (vfio_device_remove_group): node gone, container
 * revoked, an open file left holding a gone group. */
void vfio_group_remove(struct vfio_group *g);
/* Forget @g when neither a vfio-pci member nor an open file needs it. */
void vfio_group_maybe_free(struct vfio_group *g);
/* A device file of @pdev was closed: when it was the last one and an unbind
 * waits for it, the unbind completes (vfio_unregister_group_dev's wait). */
void vfio_device_last_close(struct vfio_state *v, struct pci_dev *pdev);

/* The vfio_group a vfio-pci device is filed under, NULL when none. */
struct vfio_group *vfio_group_of_device(struct vfio_state *v, struct pci_dev *d);

/* ---- cdev.c ---- */
/* The kernel has the device cdev: iommufd (SIM_SUBSYS_IOMMUFD) and v6.6
 * (CONFIG_VFIO_DEVICE_CDEV). */
bool vfio_cdev_supported(struct sim_world *w);
/* vfio_init_device / __vfio_register_dev: the index, sysfs vfio-dev/vfioN
 * (with its `dev` attribute) and the node, for a vfio-pci device; undone
 * by vfio_device_cdev_del (the node and sysfs, at unregister) and
 * vfio_device_index_free (the index, at the last put). */
int vfio_device_cdev_add(struct vfio_pci_device *vdev);
void vfio_device_cdev_del(struct vfio_pci_device *vdev);
void vfio_device_index_free(struct vfio_pci_device *vdev);
/* vfio_device_fops_unl_ioctl's cdev part: BIND_IOMMUFD (any fd), then
 * ATTACH/DETACH_IOMMUFD_PT (bound cdev fds).  Returns 1 when @cmd is not
 * one of them (the caller goes on), else the answer. */
long vfio_df_cdev_ioctl(struct vfio_device_file *df, struct sim_proc *p, unsigned int cmd,
			unsigned long arg);
/* vfio_df_unbind_iommufd: a cdev file's release. */
void vfio_df_unbind_iommufd(struct vfio_device_file *df);
/* vfio_iommufd_compat_attach_ioas: a group-path first open on an
 * iommufd attaches the device to the context's compat IOAS. */
int vfio_iommufd_compat_attach_ioas(struct vfio_pci_device *vdev, struct iommufd_ctx *ictx);
/* vfio_iommufd_physical_unbind: detached (if attached) and unbound. */
void vfio_iommufd_physical_unbind(struct vfio_pci_device *vdev);
/*
 * The emulated ops (vfio_iommufd_emulated_*), a mediated device's side of
 * iommufd: bind creates an access object (iommufd_access_create with
 * needs_pin_pages and an unmap op calling the driver's dma_unmap) whose
 * id is the device id; attach attaches it to an IOAS or, attached,
 * replaces; detach; unbind destroys it.  -errno from iommufd.
 */
int vfio_iommufd_emulated_bind(struct mdev_state *m, struct iommufd_ctx *ictx);
void vfio_iommufd_emulated_unbind(struct mdev_state *m);
int vfio_iommufd_emulated_attach_ioas(struct mdev_state *m, uint32_t *pt_id);
void vfio_iommufd_emulated_detach_ioas(struct mdev_state *m);
/* vfio_iommufd_compat_attach_ioas for a mediated device. */
int vfio_iommufd_emulated_compat_attach(struct mdev_state *m, struct iommufd_ctx *ictx);
/* An mdev's vfio_device side: its vfio_device_ida index, the class device
 * /sys/bus/mdev/devices/UUID/vfio-dev/vfioN and, with the cdev, the node
 * /dev/vfio/devices/vfioN (vfio_init_device, vfio_device_add); the node
 * and class device go at removal (vfio_device_cdev_del's twin), the index
 * at the last file's close (vfio_device_release). */
int vfio_mdev_cdev_add(struct mdev_state *m);
void vfio_mdev_cdev_del(struct mdev_state *m);
void vfio_mdev_index_free(struct mdev_state *m);

/* ---- container.c ---- */
/* Creates /dev/vfio/vfio and registers type1 (the kernel's module init). */
int vfio_container_node_add(struct sim_world *w, struct vfio_state *v);
/* vfio_register_iommu_driver: 0, or -EINVAL for a duplicate or a full list */
int vfio_register_iommu_driver(struct vfio_state *v, const struct vfio_iommu_driver_ops *ops);
/* The container behind @f, or NULL when @f is not a container file. */
struct vfio_container *vfio_container_from_file(struct sim_file *f);
/* SET_CONTAINER's container side, as @p (its CAP_SYS_RAWIO for noiommu) */
int vfio_container_attach_group(struct vfio_container *c, struct vfio_group *g,
				struct sim_proc *p);
void vfio_container_detach_group(struct vfio_group *g);

/* ---- group.c ---- */
long vfio_group_ioctl(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
		      unsigned long arg);

/* ---- mdev.c ---- */
/* A mediated device of the sim_mdev parent (mdev.c). */
struct mdev_state {
	struct vfio_state *vfio;
	char uuid[37];               /* dev_name: lower case */
	struct iommu_group *ig;      /* its emulated group (VFIO_EMULATED_IOMMU) */
	struct vfio_group *group;
	unsigned open_count;         /* device files */
	bool removing;               /* remove written while open: waits for the last close */
	/* the backend it registered with at its first open */
	const struct vfio_iommu_driver_ops *reg_ops;
	void *reg_data;
	GArray *pins;                /* struct mdev_pin: every page it holds pinned */
	uint64_t pin_calls;          /* vfio_pin_pages calls made, numbering them */
	/* the vfio_device side (cdev.c): its vfio_device_ida index (vfioN),
	 * whether /dev/vfio/devices/vfioN is there, the files open on it of
	 * either path (registration references: a removal waits for them) */
	int index;
	bool cdev_node;
	unsigned files;
	/* bound to an iommufd (vfio_iommufd_emulated_bind, either path): the
	 * access object, whose id is the device id (it holds its context);
	 * attached to IOAS @ioas_id; bound through a cdev */
	struct iommufd_access *access;
	uint32_t devid, ioas_id;
	bool iommufd_attached;
	bool cdev_opened;
};

/* One page a mediated device's driver holds pinned: on iommufd it was
 * pinned as part of vfio_pin_pages call @call of @call_npage pages from
 * @call_iova, and only that whole range can be unpinned
 * (iommufd_access_unpin_pages finds pins by their exact range). */
struct mdev_pin {
	uint64_t iova, hpa;
	bool write;                  /* pinned with IOMMU_WRITE */
	uint64_t call, call_iova;
	int call_npage;
};

/* Own /sys/class/mdev_bus/ and /sys/bus/mdev/ (vfio_create). */
int vfio_mdev_init(struct vfio_state *v);
void vfio_mdev_destroy(struct vfio_state *v);
/* GET_DEVICE_FD on an emulated group: @name must be the device's UUID. */
long vfio_mdev_get_device_fd(struct vfio_group *g, struct sim_proc *p, const char *name);
/* vfio_device_ops.dma_unmap: type1 or iommufd will unmap [iova, iova +
 * size): the driver unpins what it pinned there (sim_mdev does, as a
 * driver must; on iommufd each pin call it touches, whole). */
void vfio_mdev_dma_unmap(struct mdev_state *m, uint64_t iova, uint64_t size);
/* A mediated device's file ops (either path) and its vfio_df_open /
 * vfio_df_close: the first open binds to @df->iommufd (emulated bind) or
 * registers with the container's backend, the last unpins all, then
 * unbinds or unregisters; the cdev path opens once only (-EINVAL). */
extern const struct sim_file_ops vfio_mdev_fops;
int vfio_mdev_df_open(struct vfio_device_file *df);
void vfio_mdev_df_close(struct vfio_device_file *df);
/* The mdev @p is, when vfio_device_ida's entry @p is one (else NULL). */
struct mdev_state *vfio_mdev_of(struct vfio_state *v, const void *p);
/* The lowest id above the IOMMU core's groups no fake group (noiommu or
 * emulated) has: iommu_group_alloc's ida. */
unsigned vfio_fake_group_id_alloc(struct vfio_state *v);
/* A fresh group with no PCI member, @id its id (iommu_group_alloc). */
struct iommu_group *vfio_fake_group_new(unsigned id);

/* ---- noiommu.c ---- */
/* The vfio-noiommu backend (registered before type1, as the kernel's
 * vfio_container_init does). */
extern const struct vfio_iommu_driver_ops vfio_noiommu_ops;
bool vfio_noiommu_enabled(const struct vfio_state *v);
/* vfio_noiommu_group_alloc: a group "vfio-noiommu" of @d alone, its id the
 * lowest free above the IOMMU core's; freed by vfio_noiommu_group_free. */
struct iommu_group *vfio_noiommu_group_alloc(struct vfio_state *v, struct pci_dev *d);
struct iommu_group *vfio_noiommu_group_of(struct vfio_state *v, struct pci_dev *d);
void vfio_noiommu_group_remove_device(struct vfio_state *v, struct pci_dev *d);
void vfio_noiommu_group_free(struct iommu_group *ig);

/* ---- type1.c ---- */
extern const struct vfio_iommu_driver_ops vfio_iommu_type1_ops;
void vfio_iommu_type1_release(struct vfio_iommu *iommu);

/* ---- pci_dev.c ---- */
int vfio_pci_device_add(struct vfio_state *v, struct pci_dev *pdev);
void vfio_pci_device_remove(struct vfio_state *v, struct pci_dev *pdev);
void vfio_pci_device_put(struct vfio_pci_device *vdev);
/* GET_DEVICE_FD: a new device file for @name in @g; fd or -errno. */
long vfio_group_get_device_fd(struct vfio_group *g, struct sim_proc *p,
			      const char *name);
/* A device file's ops (pci_dev.c), for cdev.c's open. */
extern const struct sim_file_ops vfio_device_fops;
/* vfio_df_open / vfio_df_close: one more or one fewer user of the device;
 * the first binds it to @df->iommufd when there is one (iommufd_device_bind)
 * and enables it, the last disables and unbinds it.  The cdev path opens
 * once only (-EINVAL). */
int vfio_df_open(struct vfio_device_file *df);
void vfio_df_close(struct vfio_device_file *df);
/* vfio_df_group_close: a group path's device file goes (the device closed,
 * the group's counts of device fds and container or iommufd users down);
 * the caller then drops the group file the fd held. */
void vfio_df_group_close(struct sim_world *w, struct vfio_device_file *df, const char *name);

/* pci_try_reset_function: a reset when one works (the config space saved
 * and restored around it); 0, or -EINVAL when the function has none. */
int vfio_pci_try_reset_function(struct vfio_pci_device *vdev);
/* Ioeventfds registered on @vdev (VFIO_DEVICE_IOEVENTFD). */
unsigned vfio_pci_ioeventfd_count(const struct vfio_pci_device *vdev);
/* vfio_pci_set_power_state: D0 .. D3hot in PMCSR; BARs do not decode in
 * D3hot. */
void vfio_pci_set_power_state(struct vfio_pci_device *vdev, unsigned state);

/* ---- pci_irq.c ---- */
int vfio_pci_irqs_ioctl(struct vfio_pci_device *vdev, struct sim_proc *p,
			unsigned int cmd, unsigned long arg);
void vfio_pci_irqs_disable(struct vfio_pci_device *vdev);
/* The MSI-X table's mask bits as the kernel programmed them, after a reset
 * cleared them (pci_restore_msi_state). */
void vfio_pci_msix_restore(struct vfio_pci_device *vdev);
/* vfio_pci_core_request: an unbind asks the user to release the device
 * (@count-th time): the REQ eventfd is signalled if one is set; true then. */
bool vfio_pci_core_request(struct vfio_pci_device *vdev, unsigned count);
/* Take / stop taking the interrupts of @vdev's function (its device
 * model's INTx and MSI, devmodel.h): bind and unbind of vfio-pci. */
void vfio_pci_irqs_attach(struct vfio_pci_device *vdev);
void vfio_pci_irqs_detach(struct vfio_pci_device *vdev);
/* vfio_pci_intx_mask / vfio_pci_intx_unmask: the config space's virtual
 * INTx-disable bit (an unmask does nothing while the bit is set). */
void vfio_pci_intx_mask(struct vfio_pci_device *vdev);
void vfio_pci_intx_unmask(struct vfio_pci_device *vdev);

/* ---- pci_config.c ---- */
void vfio_config_init(struct vfio_pci_device *vdev);
long vfio_config_rw(struct vfio_pci_device *vdev, void *buf, size_t n,
		    uint64_t pos, bool write);
bool vfio_config_memory_enabled(const struct vfio_pci_device *vdev);
unsigned vfio_pci_irq_count(const struct vfio_pci_device *vdev, unsigned index);

/* ---- capability chains (type1_info.c) ---- */
struct vfio_info_cap {
	GByteArray *buf;
	bool unaligned;              /* 6.1: sizes not rounded up to 8 */
};
/* Append a zeroed capability of @size bytes (rounded up to 8 since v6.6's
 * "vfio: align capability structures", a881b496941f; exactly @size with
 * @unaligned, as 6.1 did); returns its offset in the chain buffer. */
long vfio_info_cap_add(struct vfio_info_cap *caps, size_t size, uint16_t id,
		       uint16_t version);
/* Make the chain's next offsets relative to the start of the info struct. */
void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset);

/* ---- type1 state for invariants.c ---- */
/* A page vfio_pin_pages pinned (the kernel's struct vfio_pfn). */
struct vfio_pfn {
	uint64_t iova, hpa;
	unsigned ref_count;          /* pins of this iova not yet unpinned */
};

struct vfio_dma {
	uint64_t iova, size, vaddr;
	unsigned prot;               /* IOMMU_READ | IOMMU_WRITE */
	bool vaddr_invalid;
	bool lock_cap;               /* CAP_IPC_LOCK at map time */
	struct sim_mm *mm;           /* the mapping task's mm (charged) */
	int pid;                     /* that task (its RLIMIT_MEMLOCK) */
	/* pinned whole and mapped into the domains: there were domains at
	 * map time or a replay put it there (dma->iommu_mapped) */
	bool iommu_mapped;
	uint64_t *pages;             /* hpa of each page pinned for the domains */
	uint64_t npages;             /* pages pinned for the domains */
	GTree *pfn_list;             /* &vpfn->iova -> struct vfio_pfn; NULL = empty */
	/* dirty bits, one per smallest IOMMU page, while tracking is on */
	uint64_t *bitmap;
};

struct vfio_domain {
	struct iommu_domain *domain;
	GPtrArray *groups;           /* struct iommu_group * */
	bool enforce_cache_coherency;   /* asked of the driver at its first attach */
};

struct vfio_iommu {
	struct vfio_state *vfio;
	bool v2;
	bool nesting;                /* VFIO_TYPE1_NESTING_IOMMU */
	bool dirty_page_tracking;    /* DIRTY_PAGES START .. STOP */
	GPtrArray *domains;          /* struct vfio_domain *, newest first */
	GTree *dma_list;             /* &dma->iova -> struct vfio_dma */
	unsigned dma_avail;
	unsigned dma_entry_limit;
	unsigned vaddr_invalid_count;
	uint64_t pgsize_bitmap;
	GArray *iova_list;           /* struct vfio_iova_range; empty = any */
	GPtrArray *emulated_groups;  /* struct iommu_group *, newest first */
	/* IOMMU-backed groups that declared pinned-page dirty scope by
	 * pinning (vfio_pin_pages); the others are num_non_pinned_groups */
	GPtrArray *pinned_groups;
	unsigned num_non_pinned_groups;
	GPtrArray *device_list;      /* struct mdev_state * registered (dma_unmap) */
	GPtrArray *mm_list;          /* the 2018 proposal's bound mms (type1_sva.c) */
	/* the 2020 proposal's (type1_nesting.c): the VM's PASIDs, the
	 * guest binds the container holds */
	struct vfio_vmm *vmm;
	GPtrArray *gbinds;
};

/* device_svm.c: seed 003's VFIO_DEVICE_BIND_TASK / UNBIND_TASK on the device
 * fd (vfio.sva_abi: bind-task-2017; ENOTTY otherwise), and the unbind of
 * every bond at the device's last close. */
long vfio_device_svm_ioctl(struct vfio_pci_device *vdev, struct sim_proc *p, unsigned int cmd,
			   unsigned long arg);
void vfio_device_svm_release(struct vfio_pci_device *vdev);

/* type1_sva.c: seed 000's VFIO_IOMMU_BIND / UNBIND (vfio.sva_abi:
 * bind-process-2018; ENOTTY otherwise), the replay of its bonds onto a
 * group just attached (0 or the bind's error, nothing left bound), their
 * removal at a group's detach, and the list's end with the last domain. */
long vfio_iommu_type1_sva_ioctl(struct vfio_iommu *iommu, struct sim_proc *p, unsigned int cmd,
				unsigned long arg);
int vfio_iommu_type1_sva_replay(struct vfio_iommu *iommu, struct iommu_group *ig);
void vfio_iommu_type1_sva_detach(struct vfio_iommu *iommu, struct iommu_group *ig);
void vfio_iommu_type1_sva_free_all(struct vfio_iommu *iommu);

/* type1_nesting.c: seed 002's VFIO_IOMMU_PASID_REQUEST, VFIO_IOMMU_BIND
 * (BIND/UNBIND_GUEST_PGTBL) and VFIO_IOMMU_CACHE_INVALIDATE (vfio.nesting_abi:
 * guest-pgtbl-2020; ENOTTY otherwise); the opener's PASID set taken at open
 * (vfio_vmm_attach); the singleton scope's check before an attach (0 or
 * -EINVAL); the container's binds replayed onto a group just attached to
 * @d (0 or the bind's error, nothing left bound), removed at its detach,
 * and all of them at the last domain's (@release: the container's end, the
 * PASID set's reference too). */
long vfio_iommu_type1_nesting_ioctl(struct vfio_iommu *iommu, struct sim_proc *p,
				    unsigned int cmd, unsigned long arg);
void vfio_vmm_attach(struct vfio_iommu *iommu, struct sim_proc *p);
int vfio_iommu_type1_nesting_attach_check(struct vfio_iommu *iommu);
int vfio_iommu_type1_nesting_replay(struct vfio_iommu *iommu, struct vfio_domain *d,
				    struct iommu_group *ig);
void vfio_iommu_type1_nesting_detach(struct vfio_iommu *iommu, struct vfio_domain *d,
				     struct iommu_group *ig);
void vfio_iommu_type1_nesting_free_all(struct vfio_iommu *iommu, bool release);
/* For the invariants and describe: the binds the container holds, bind
 * @i's host PASID, guest root and groups; the VM's PASID set's id (0:
 * none) and how many PASIDs it holds. */
unsigned vfio_iommu_type1_nesting_binds(const struct vfio_iommu *iommu);
void vfio_iommu_type1_nesting_bind_info(const struct vfio_iommu *iommu, unsigned i,
					uint64_t *hpasid, uint64_t *gpgd, GPtrArray **groups);
unsigned vfio_iommu_type1_vmm_id(const struct vfio_iommu *iommu, unsigned *npasids);

/* Pages a mapping has pinned through vfio_pin_pages. */
static inline unsigned vfio_dma_nvpfn(const struct vfio_dma *dma)
{
	return dma->pfn_list ? (unsigned)g_tree_nnodes(dma->pfn_list) : 0;
}
/* The references vfio_pin_pages calls hold on them. */
uint64_t vfio_dma_vpfn_refs(const struct vfio_dma *dma);

/* Used by type1*.c. */
struct vfio_dma *vfio_find_dma(struct vfio_iommu *iommu, uint64_t start, uint64_t size);
struct vfio_dma *vfio_find_dma_first(struct vfio_iommu *iommu, uint64_t start,
				     uint64_t size);
struct vfio_dma *vfio_dma_next(struct vfio_iommu *iommu, struct vfio_dma *dma);
void vfio_remove_dma(struct vfio_iommu *iommu, struct vfio_dma *dma);
int vfio_iommu_map_run(struct vfio_iommu *iommu, struct vfio_domain *only,
		       uint64_t iova, uint64_t hpa, uint64_t size, unsigned prot);
long vfio_iommu_type1_map_dma(struct vfio_iommu *iommu, struct sim_proc *p,
			      unsigned long arg);
long vfio_iommu_type1_unmap_dma(struct vfio_iommu *iommu, struct sim_proc *p,
				unsigned long arg);
long vfio_iommu_type1_dirty_pages(struct vfio_iommu *iommu, struct sim_proc *p,
				  unsigned long arg);
struct vfio_pfn *vfio_find_vpfn(struct vfio_dma *dma, uint64_t iova);
uint64_t vfio_unmap_unpin(struct vfio_iommu *iommu, struct vfio_dma *dma, uint64_t mapped,
			  bool do_accounting);
int vfio_pin_dma_all(struct vfio_iommu *iommu, struct sim_proc *p, struct vfio_dma *dma);
int vfio_dma_bitmap_alloc(struct vfio_iommu *iommu, struct vfio_dma *dma, uint64_t size);
void vfio_iommu_populate_bitmap_full(struct vfio_iommu *iommu);
int vfio_iommu_type1_pin_pages(struct vfio_iommu *iommu, struct iommu_group *ig,
			       uint64_t user_iova, int npage, unsigned prot, uint64_t *hpas);
void vfio_iommu_type1_unpin_pages(struct vfio_iommu *iommu, uint64_t user_iova, int npage);
int vfio_iommu_type1_dma_rw(struct vfio_iommu *iommu, uint64_t iova, void *buf, size_t count,
			    bool write);
long vfio_iommu_type1_get_info(struct vfio_iommu *iommu, struct sim_proc *p,
			       unsigned long arg);
uint64_t vfio_pgsize(const struct vfio_iommu *iommu);
bool vfio_iommu_iova_dma_valid(struct vfio_iommu *iommu, uint64_t start, uint64_t last);
/* The IOVA ranges with @extra attached too (NULL = as now): apertures of
 * all domains (@extra_domain too) minus every group's reserved regions.
 * -EINVAL when nothing is left. */
int vfio_iommu_compute_iovas(struct vfio_iommu *iommu, struct iommu_domain *extra_domain,
			     struct iommu_group *extra_group, struct iommu_group *skip_group,
			     GArray **out);

#endif
