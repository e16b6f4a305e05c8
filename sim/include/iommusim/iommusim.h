/* SPDX-License-Identifier: MIT */
/*
 * iommusim public API: drive a simulated IOMMU + VFIO machine from C.
 *
 * A world is loaded from the same YAML as a scenario (its steps are checked
 * but not run).  Processes are spawned in it, and the syscall entry points
 * return what the kernel's would: a value >= 0, or -errno.  A world is
 * single-threaded; two worlds in one program are independent.  Every
 * function given a NULL world returns -EINVAL (a constructor: NULL, with
 * *err) and touches nothing.
 *
 * pkg-config: iommusim.   Link: -liommusim.
 */
#ifndef IOMMUSIM_IOMMUSIM_H
#define IOMMUSIM_IOMMUSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_world;

/* NULL and *err ("FILE:LINE:COL: error: ...", one line per error in the
 * file, free() it) on error. */
struct sim_world *sim_world_new_from_file(const char *path, char **err);
struct sim_world *sim_world_new_from_string(const char *yaml, char **err);
void sim_world_free(struct sim_world *w);

/* What a world built from a file may change of the file's profile. */
struct sim_world_opts {
	const char *kernel;     /* "mainline", "6.1", "6.2", "6.12"; NULL: the file's */
	int iommufd;            /* 1: /dev/iommu (CONFIG_IOMMUFD), -1: none, 0: the file's */
	int iommufd_test;       /* 1: IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST), -1: none, 0: the file's */
};
/* As sim_world_new_from_file, with @opts (NULL: none); an unknown kernel
 * name is an error in *err. */
struct sim_world *sim_world_new_from_file_opts(const char *path,
					       const struct sim_world_opts *opts,
					       char **err);

/* User pointers are the calling program's real pointers. */
#define SIM_PROC_NATIVE 0x1

/* A process, child of init: uid 0 has every capability, others none.
 * Returns its pid (> 0) or -errno. */
int  sim_proc_spawn(struct sim_world *w, uint32_t uid, uint32_t gid, unsigned flags);
/*
 * A native process whose memory is backed by transparent huge pages, as
 * with THP "always": each 2 MiB-aligned block lying wholly in one anonymous
 * mapping of the program (per /proc/self/maps, with the access a pin asks
 * for) is one huge page of the emulated kernel from the first pin of any
 * page of it: 512 host-physical frames aligned to 2 MiB, held while any of
 * them is pinned.  So VFIO_IOMMU_MAP_DMA of such memory at an IOVA
 * congruent to its address modulo 2 MiB maps with 2 MiB leaves.  What the
 * real kernel backs the program's memory with does not matter.
 * sim_proc_spawn takes it with SIM_PROC_NATIVE (-EINVAL alone);
 * sim_proc_set_thp turns it on or off later.
 */
#define SIM_PROC_NATIVE_THP 0x2
/* Make native process @pid's memory THP-backed (@on non-zero) or not, for
 * the pages it pins from now on; a fork inherits it.  0 or -errno (-EINVAL
 * no world or not a native process, -ESRCH no such process). */
int  sim_proc_set_thp(struct sim_world *w, int pid, int on);
/* fork(2) of process @pid: a child with its credentials and limits, new
 * references to its open files, and a copy of its address space (a native
 * process's child uses the same program memory).  The child's pid or
 * -errno (-EINVAL no world, -ESRCH no such process). */
int  sim_proc_fork(struct sim_world *w, int pid);
/* exit(2) of @pid: every descriptor closed, its address space released.
 * 0 or -errno (-EINVAL no world, -ESRCH no such process). */
int  sim_proc_exit(struct sim_world *w, int pid);

long sim_sys_open(struct sim_world *w, int pid, const char *path, int oflags);
long sim_sys_close(struct sim_world *w, int pid, int fd);
long sim_sys_ioctl(struct sim_world *w, int pid, int fd, unsigned long cmd, void *arg);
long sim_sys_pread(struct sim_world *w, int pid, int fd, void *buf, size_t n, uint64_t off);
long sim_sys_pwrite(struct sim_world *w, int pid, int fd, const void *buf, size_t n,
		    uint64_t off);

/*
 * A write to a sysfs file, as echo VALUE > PATH does.  The PCI bus's:
 * /sys/bus/pci/devices/BDF/driver_override, /sys/bus/pci/drivers/DRV/bind,
 * .../unbind (the value a BDF) and .../new_id ("VVVV DDDD", hex), where one
 * trailing newline in @value is dropped; 0 or the kernel's -errno: -ENOENT
 * no such file, -ENODEV the driver does not match the device (bind) or does
 * not drive it (unbind) or no such device, -EBUSY already bound, -EEXIST
 * the driver already matches that new id, -EINVAL a malformed value.
 * The mediated-device core's (with vfio.mdev_instances set): a UUID to
 * /sys/class/mdev_bus/sim_mdev/mdev_supported_types/sim_mdev-dma/create
 * (-EINVAL malformed, -EEXIST in use, -EUSERS no instance left) and a
 * non-zero number to /sys/bus/mdev/devices/UUID/remove (-EAGAIN while a
 * removal waits for the device file's last close).
 */
int  sim_sysfs_write(struct sim_world *w, const char *path, const char *value);

/*
 * Reading sysfs, as cat and ls do, for the files models publish: VFIO's
 * /sys/bus/pci/devices/BDF/vfio-dev/vfioN/ (every vfio-pci device, since
 * 6.1) and its `dev` attribute ("MAJOR:MINOR\n", only where the kernel
 * has the device cdev: iommufd and 6.6 or later).  sim_sysfs_read: a
 * file's contents, NUL-terminated in @buf; the length, -ENOENT no such
 * file, -EISDIR a directory.  sim_sysfs_list: a directory's entries,
 * sorted, separated by one space; the length, -ENOENT, -ENOTDIR a file.
 * Both -ENOSPC when @n is too small, -EINVAL for a NULL argument.
 */
long sim_sysfs_read(struct sim_world *w, const char *path, char *buf, size_t n);
long sim_sysfs_list(struct sim_world *w, const char *path, char *buf, size_t n);

/* Bind @driver to the function at @bdf ("none" or NULL unbinds), as an
 * administrator does through sysfs: driver_override set to @driver, then
 * bind (an error puts the old override back); unbinding clears it.  0 or
 * -errno (-ENODEV no such function or the driver does not match, -EINVAL
 * bad BDF or refused by the driver, -EBUSY already bound / group owned by
 * userspace); 1 when vfio-pci's unbind waits for an open device fd (the
 * last close completes it). */
int  sim_pci_bind(struct sim_world *w, const char *bdf, const char *driver);

/* The IOMMU group number of the function at @bdf (the N of /dev/vfio/N and
 * /sys/kernel/iommu_groups/N): >= 0, -ENODEV no such function, -EINVAL bad
 * BDF, -ENOENT no group. */
int  sim_pci_iommu_group(struct sim_world *w, const char *bdf);

/* Every PCI function, "0000:00:00.0 0000:00:03.0 ..." in SBDF order (as a
 * listing of /sys/bus/pci/devices sorts), NUL-terminated in @buf.  The
 * length, -ENOSPC when @n is too small, -EINVAL for a NULL world/buffer. */
long sim_pci_functions(struct sim_world *w, char *buf, size_t n);

/* Why a DMA faulted (struct sim_dma.fault_reason). */
#define SIM_FAULT_NONE        0
#define SIM_FAULT_NO_CONTEXT  1   /* no context entry for the requester id */
#define SIM_FAULT_NOT_PRESENT 2   /* no mapping, or a blocked context */
#define SIM_FAULT_PERMISSION  3   /* mapped, but not for this direction */
#define SIM_FAULT_ADDR_SIZE   4   /* beyond the context's address width */
#define SIM_FAULT_NO_PASID    5   /* a PASID with no entry, or beyond the width */
/* an ATS + PRI function's page request was answered Invalid Request, or
 * Response Failure (it disabled PRI), or not yet (it waits) */
#define SIM_FAULT_PRI_INVALID 6
#define SIM_FAULT_PRI_FAILURE 7
#define SIM_FAULT_PRI_PENDING 8

/* Which access of a nested translation faulted (struct sim_dma.fault_phase). */
#define SIM_FAULT_PHASE_FINAL    0   /* the access itself */
#define SIM_FAULT_PHASE_S1_FETCH 1   /* a stage-1 descriptor fetch, through stage 2 */

struct sim_dma {            /* one device-initiated DMA */
	uint64_t addr;          /* IOVA (or process VA with a PASID) */
	uint32_t pasid;
	bool     pasid_valid;
	bool     write;         /* device writes to memory */
	void    *buf;           /* device-side data: source of a write, destination of a read */
	size_t   len;
	uint64_t fault_addr;    /* filled when the DMA faults: the input address */
	int      fault_reason;  /* SIM_FAULT_* */
	unsigned fault_stage;   /* 0 context / PASID entry, 1 or 2 (spec §E.4) */
	int      fault_phase;   /* SIM_FAULT_PHASE_* */
	uint64_t fault_stage_addr;  /* the faulting address at that stage:
				     * IOVA for stage 1, GPA for stage 2 */
};

/* The function at @bdf issues @op, translated page by page by the IOMMU;
 * it stops at the first faulting page (bytes before it were transferred).
 * 0, or -EFAULT when it faulted (fault_addr, fault_reason set); -ENODEV no
 * such function; -EINVAL bad BDF, NULL @op, or NULL buf with len > 0. */
int  sim_dev_dma(struct sim_world *w, const char *bdf, struct sim_dma *op);

/*
 * A handle on the function at @bdf, for a caller that issues many DMAs:
 * sim_dev_dma_h is sim_dev_dma without parsing and looking up the BDF each
 * time.  NULL for a NULL world, a bad BDF or no such function.  The handle
 * stays valid as long as the world (functions are never removed); nothing
 * frees it.
 */
struct sim_dev;
struct sim_dev *sim_dev_lookup(struct sim_world *w, const char *bdf);
/* sim_dev_dma through @dev, with its results: 0, -EFAULT with the fault_*
 * fields set, -EINVAL for a NULL world, a NULL @dev or a handle of another
 * world, NULL @op, or NULL buf with len > 0. */
int  sim_dev_dma_h(struct sim_world *w, struct sim_dev *dev, struct sim_dma *op);

/*
 * A mediated device's DMA, as its parent driver (sim_mdev) performs it:
 *   sim_mdev_pin    vfio_pin_pages of @npage pages from @iova, for reading
 *                   and with SIM_MDEV_WRITE writing too: @npage or -errno
 *                   (-EINVAL device not open / no mapping / 0 pages,
 *                   -E2BIG more than 512, -EPERM the mapping lacks the
 *                   access, -EACCES a type1 v1 container, -EBUSY a vaddr
 *                   invalidated, -ENODEV the mapping's task is gone,
 *                   -ENOMEM RLIMIT_MEMLOCK, -EFAULT the page is not there)
 *   sim_mdev_unpin  vfio_unpin_pages of pages it pinned (-EINVAL if not)
 *   sim_mdev_dma    @len bytes at @iova to (SIM_MDEV_WRITE) or from @buf:
 *                   with SIM_MDEV_PINNED through the pages it pinned (kmap,
 *                   -EINVAL for one it did not, -EPERM writing one pinned
 *                   for reading), else vfio_dma_rw through the mappings
 *                   (-EINVAL no mapping, -EPERM access, -EFAULT)
 * While type1 tracks dirty pages, pinned pages and vfio_dma_rw writes are
 * what its bitmap reports.  A device bound to iommufd goes through its
 * access object instead, with iommufd's errnos (-ENOENT not attached or a
 * hole, -EPERM the area's access, no 512-page limit; an unpin must be
 * exactly one earlier pin's range: docs/iommufd.md, "Emulated devices
 * (mdev) on iommufd").  -ENODEV no such device, -EINVAL NULL world.
 */
/* The IOMMU group of the mediated device @uuid (its /dev/vfio/N), or
 * -ENODEV (none such), -EINVAL (NULL). */
int  sim_mdev_iommu_group(struct sim_world *w, const char *uuid);
#define SIM_MDEV_WRITE  0x1
#define SIM_MDEV_PINNED 0x2
int  sim_mdev_pin(struct sim_world *w, const char *uuid, uint64_t iova, int npage,
		  unsigned flags);
int  sim_mdev_unpin(struct sim_world *w, const char *uuid, uint64_t iova, int npage);
int  sim_mdev_dma(struct sim_world *w, const char *uuid, uint64_t iova, void *buf, size_t len,
		  unsigned flags);

/* Interrupt indexes of sim_dev_irq (vfio-pci's VFIO_PCI_*_IRQ_INDEX). */
#define SIM_IRQ_INTX 0
#define SIM_IRQ_MSI  1
#define SIM_IRQ_MSIX 2
/* What the function did (sim_dev_irq's non-negative results). */
#define SIM_IRQ_SENT      0   /* the line changed, or the message went out */
#define SIM_IRQ_PENDING   1   /* an MSI-X entry masked: its PBA bit is set, and
			       * the message goes out when the entry is unmasked */
#define SIM_IRQ_DISABLED  2   /* MSI / MSI-X not enabled in the capability (or
			       * the vector beyond those enabled, or MSI-X
			       * function-masked): nothing sent */
#define SIM_IRQ_UNCHANGED 3   /* INTx already at that level */

/*
 * The function at @bdf interrupts, as the device itself would: @index
 * SIM_IRQ_INTX drives the INTx line to level @vector (1 asserts, 0
 * deasserts; a level, so it stays until lowered), SIM_IRQ_MSI / _MSIX
 * send vector @vector.  Whoever owns the function sees it as on real
 * hardware: vfio-pci signals the eventfd SET_IRQS gave the vector
 * (INTx automasked until UNMASK; a masked MSI-X entry pending until its
 * vector gets an eventfd).  SIM_IRQ_* (>= 0), or -EINVAL (NULL world, bad
 * BDF, unknown index, no INTx pin, a vector beyond the capability's),
 * -ENODEV (no such function).
 */
int  sim_dev_irq(struct sim_world *w, const char *bdf, unsigned index, unsigned vector);

/*
 * eventfd(2) in @pid: a counter file with @initval; @flags EFD_NONBLOCK,
 * EFD_CLOEXEC, EFD_SEMAPHORE (Linux's values).  Returns the fd or -errno
 * (-EINVAL unknown flags, -EMFILE, -ENOMEM, -ESRCH).  Read it with
 * sim_sys_read (8 bytes: the counter, which resets; -EAGAIN when it is 0,
 * -EINVAL for a shorter buffer); vfio-pci signals it as an interrupt
 * trigger (VFIO_DEVICE_SET_IRQS).  pread/pwrite on it are -ESPIPE.
 */
long sim_sys_eventfd(struct sim_world *w, int pid, unsigned int initval, int flags);
/* read(2) / write(2): like sim_sys_pread/pwrite at offset 0 (files keep no
 * position: these are for files without one, eventfds). */
long sim_sys_read(struct sim_world *w, int pid, int fd, void *buf, size_t n);
long sim_sys_write(struct sim_world *w, int pid, int fd, const void *buf, size_t n);

/*
 * Drain the IOMMU's fault queue: every fault record since the last drain,
 * oldest first, one "\n"-terminated line each, into @buf (NUL-terminated):
 *
 *     write 00:03.0 0x300000 reason=0x05
 *     read 00:03.0 0x400000 pasid=0x1 reason=0x86
 *
 * the access, the requester id (bus:dev.fn, after "SSSS:" on a segment
 * other than 0), the fault address, " pasid=0x..." for a PASID-tagged
 * request, and the reason as the hardware records it: on VT-d the Fault
 * Reason code of the specification and the page address, as intel-iommu's
 * fault handler prints them ("[DMA Write NO_PASID] Request device
 * [00:03.0] fault addr 0x300000 [fault reason 0x05]"); on the other kinds
 * the full address and the model's reason (SIM_FAULT_*'s names:
 * "not-present", "permission", "addr-size", "no-context", "no-pasid").
 * The queue keeps the newest records (256).  Returns the length (0: no
 * fault), -EINVAL for a NULL world or buffer (or a world without an IOMMU),
 * -ENOSPC when @n is too small, 0 included (then nothing is drained).
 */
long sim_iommu_fault_drain(struct sim_world *w, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
