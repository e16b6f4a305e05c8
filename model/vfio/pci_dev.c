/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci device fds: GET_INFO, GET_REGION_INFO, pread/pwrite of regions,
 * GET_IRQ_INFO, SET_IRQS, RESET, IOEVENTFD, DEVICE_FEATURE (spec §B
 * GET_DEVICE_FD for how they are made).  Regions sit at index << 40 in
 * the file, as vfio-pci lays them out; a BAR with a device model's
 * registers (model/pci/devmodel.h) goes to its handlers, split as
 * vfio_pci_core_do_io_rw splits it; other BARs are backed by sparse
 * per-device storage, but the MSI-X PBA is the function's pending bits;
 * config space is synthesized (pci_config.c).  A zero-length access is 0
 * before anything is looked at (vfio_pci_core_read).
 *
 * Reset: a function resets when pci_reset_function finds a method in its
 * config space (pcie_reset_flr, pci_af_flr, pci_pm_reset) or it is alone
 * on a bus below a bridge (pci_parent_bus_reset); else GET_INFO has no
 * RESET flag and VFIO_DEVICE_RESET is -EINVAL (vdev->reset_works, set by
 * the first open).  As vfio_pci_core_enable and vfio_pci_core_disable do,
 * the first open and the last close reset a function that can be reset,
 * and the config space saved at the first open is the function's again
 * after the last close.
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO names the functions a bus reset of
 * the function's bus would reset; VFIO_DEVICE_PCI_HOT_RESET does it when
 * the caller owns every one of them through the groups it passes.
 *
 * The BAR holding the MSI-X table carries the MSIX_MAPPABLE region
 * capability, and the table itself is not reachable through read and
 * write (reads are all ones, writes dropped), as vfio_pci_bar_rw leaves it
 * to the kernel's MSI-X code.
 *
 * Each device fd holds the group file and counts in container_users
 * (spec §H15); the device itself is refcounted so that an unbind while a
 * file is open (the kernel would wait for it) leaves a file whose ioctls
 * fail with -ENODEV.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib.h>

#include "sim/eventfd.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/group.h"
#include "model/iommufd/iommufd.h"
#include "model/pci/devmodel.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"
#include "iommusim/uapi/vfio_sva.h"

#define VFIO_PCI_OFFSET_SHIFT 40
#define VFIO_PCI_OFFSET_MASK ((1ull << VFIO_PCI_OFFSET_SHIFT) - 1)
#define BAR_PAGE 4096u

/* A bus reset through VFIO_DEVICE_PCI_HOT_RESET (beside vfio.h's list). */
#define TP_vfio_pci_hot_reset "dev=%s functions=%u"
/* An ioeventfd's write, when its eventfd is signalled. */
#define TP_vfio_pci_ioeventfd "dev=%s bar=%u pos=0x%llx size=%u data=0x%llx done=%d"

/* VFIO_PCI_IOEVENTFD_MAX (vfio_pci_priv.h) */
#define VFIO_PCI_IOEVENTFD_MAX 1000

/* The DEVICE_FEATURE numbers Debian's 6.1 headers may lack. */
#ifndef VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP 4
#endif
#ifndef VFIO_DEVICE_FEATURE_LOW_POWER_EXIT
#define VFIO_DEVICE_FEATURE_LOW_POWER_EXIT 5
#endif
#define FEATURE_DMA_LOGGING_START  6
#define FEATURE_DMA_LOGGING_STOP   7
#define FEATURE_DMA_LOGGING_REPORT 8
#define FEATURE_MIG_DATA_SIZE      9

/* One ioeventfd (struct vfio_pci_ioeventfd): a write of @count bytes of
 * @data at @pos of BAR @bar each time the eventfd is signalled. */
struct vfio_pci_ioeventfd {
	struct vfio_pci_device *vdev;
	struct sim_file *file;       /* the eventfd (a reference) */
	uint64_t pos, data;
	unsigned bar, count;
	bool test_mem;
	uint64_t writes;             /* done, for tests */
};

/* ---- the device object ---------------------------------------------------- */

int vfio_pci_device_add(struct vfio_state *v, struct pci_dev *pdev)
{
	struct vfio_pci_device *vdev;
	int ret;

	if (sim_should_fail(v->w, "vfio_pci_device_alloc"))
		return -ENOMEM;
	vdev = g_new0(struct vfio_pci_device, 1);
	vdev->vfio = v;
	vdev->pdev = pdev;
	vdev->refs = 1;
	vdev->irq_type = -1;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		vdev->bar_pages[i] = g_hash_table_new_full(g_direct_hash, g_direct_equal,
							   NULL, g_free);
	vfio_config_init(vdev);
	vdev->index = -1;
	ret = vfio_device_cdev_add(vdev);
	if (ret) {
		for (unsigned i = 0; i < PCI_NUM_BARS; i++)
			g_hash_table_destroy(vdev->bar_pages[i]);
		g_free(vdev);
		return ret;
	}
	g_hash_table_insert(v->devices, pdev, vdev);
	vfio_pci_irqs_attach(vdev);
	return 0;
}

static void ioeventfds_free(struct vfio_pci_device *vdev);
static void pm_runtime_exit(struct vfio_pci_device *vdev);

void vfio_pci_device_put(struct vfio_pci_device *vdev)
{
	if (--vdev->refs)
		return;
	if (!vdev->removed)
		vfio_pci_irqs_detach(vdev);     /* the subsystem goes away */
	vfio_pci_irqs_disable(vdev);
	ioeventfds_free(vdev);
	pm_runtime_exit(vdev);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		g_hash_table_destroy(vdev->bar_pages[i]);
	vfio_device_index_free(vdev);     /* vfio_device_release: ida_free */
	g_free(vdev);
}

void vfio_pci_device_remove(struct vfio_state *v, struct pci_dev *pdev)
{
	struct vfio_pci_device *vdev = g_hash_table_lookup(v->devices, pdev);

	if (!vdev)
		return;
	vdev->removed = true;
	vfio_device_cdev_del(vdev);
	vfio_pci_irqs_detach(vdev);
	g_hash_table_remove(v->devices, pdev);   /* drops the bound reference */
}

/* ---- regions ---------------------------------------------------------------- */

/* pci_resource_len: the BAR's size; the upper half of a 64-bit BAR is 0. */
static uint64_t bar_len(const struct vfio_pci_device *vdev, unsigned i)
{
	return vdev->pdev->bars[i].size;
}

/* BAR storage of a function without registers: @n bytes at @off. */
static void bar_store_rw(struct vfio_pci_device *vdev, unsigned bar, uint8_t *b, size_t n,
			 uint64_t pos, bool write)
{
	size_t done = 0;

	while (done < n) {
		uint64_t off = pos + done, pg = off / BAR_PAGE;
		size_t in = off % BAR_PAGE, chunk = MIN(n - done, BAR_PAGE - in);
		uint8_t *page = g_hash_table_lookup(vdev->bar_pages[bar], GSIZE_TO_POINTER(pg));

		if (write && !page) {
			page = g_malloc0(BAR_PAGE);
			g_hash_table_insert(vdev->bar_pages[bar], GSIZE_TO_POINTER(pg), page);
		}
		if (write)
			memcpy(page + in, b + done, chunk);
		else if (page)
			memcpy(b + done, page + in, chunk);
		else
			memset(b + done, 0, chunk);
		done += chunk;
	}
}

/* Where the function's MSI-X Pending Bit Array is: BAR and byte range
 * (one bit per table entry, in whole qwords).  False without MSI-X. */
static bool pba_range(const struct vfio_pci_device *vdev, unsigned *bar, uint64_t *start,
		      uint64_t *end)
{
	const struct pci_dev *d = vdev->pdev;
	unsigned pos = pci_config_find_cap(d, 0x11);
	uint32_t pba;

	if (!pos || !d->msix_vectors)
		return false;
	pba = pci_config_read(d, pos + 8, 4);
	*bar = pba & 7;
	*start = pba & ~7u;
	*end = *start + ((d->msix_vectors + 63u) / 64u) * 8u;
	return true;
}

/* The PBA as the function holds it: its pending bits, read-only. */
static bool pba_access(struct vfio_pci_device *vdev, unsigned bar, uint8_t *b, unsigned size,
		       uint64_t off, bool write)
{
	uint64_t start, end;
	unsigned pbar;

	if (!pba_range(vdev, &pbar, &start, &end) || pbar != bar || off + size <= start ||
	    off >= end)
		return false;
	for (unsigned i = 0; i < size && !write; i++) {
		uint64_t byte = off + i;
		uint8_t v = 0;

		for (unsigned k = 0; byte >= start && byte < end && k < 8; k++) {
			unsigned vec = (unsigned)((byte - start) * 8 + k);

			if (pci_devmodel_msix_pending(vdev->pdev, vec))
				v |= (uint8_t)(1u << k);
		}
		b[i] = v;
	}
	return true;
}

/* One access of @size bytes at @off: a register of the device model, the
 * PBA, or storage; the value little-endian in @b. */
static void bar_access(struct vfio_pci_device *vdev, unsigned bar, uint8_t *b, unsigned size,
		       uint64_t off, bool write)
{
	uint64_t v = 0;

	if (pba_access(vdev, bar, b, size, off, write))
		return;
	if (!pci_devmodel_bar_has_regs(vdev->pdev, bar)) {
		bar_store_rw(vdev, bar, b, size, off, write);
		return;
	}
	if (write) {
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)b[i] << (8 * i);
		pci_devmodel_bar_write(vdev->pdev, bar, off, size, v);
	} else {
		v = pci_devmodel_bar_read(vdev->pdev, bar, off, size);
		for (unsigned i = 0; i < size; i++)
			b[i] = (uint8_t)(v >> (8 * i));
	}
}

/*
 * vfio_pci_core_do_io_rw: the largest naturally aligned access that fits
 * before the MSI-X table [@x_start, @x_end), 8, 4, 2 or 1 bytes; inside
 * the table reads are all ones and writes dropped.  A memory BAR with
 * decode off (or the function in D3hot) is -EIO at the first access that
 * reaches the device, so a read of the table alone still succeeds.
 * 8-byte accesses need ioread64/iowrite64 in vfio-pci: 6.1 has none and
 * splits them in two 4-byte ones; Debian's 6.12 (6.12.95, which carries
 * the mainline change) and mainline do them.
 */
static long bar_io_rw(struct vfio_pci_device *vdev, unsigned bar, uint8_t *b, size_t n,
		      uint64_t pos, bool write, uint64_t x_start, uint64_t x_end)
{
	bool qword = !sim_kernel_before(vdev->vfio->w, 6, 11);
	bool test_mem = vdev->pdev->bars[bar].type != PCI_BAR_IO;
	size_t done = 0;

	while (done < n) {
		uint64_t off = pos + done, fillable;
		unsigned size;

		if (off < x_start)
			fillable = MIN((uint64_t)(n - done), x_start - off);
		else if (off >= x_end)
			fillable = n - done;
		else
			fillable = 0;
		if (!fillable) {
			size_t filled = (size_t)MIN((uint64_t)(n - done), x_end - off);

			if (!write)
				memset(b + done, 0xff, filled);
			done += filled;
			continue;
		}
		if (test_mem && !vfio_config_memory_enabled(vdev))
			return -EIO;
		size = qword && fillable >= 8 && !(off % 8) ? 8 :
		       fillable >= 4 && !(off % 4) ? 4 : fillable >= 2 && !(off % 2) ? 2 : 1;
		bar_access(vdev, bar, b + done, size, off, write);
		done += size;
	}
	return (long)n;
}

/* vfio_pci_bar_rw */
static long bar_rw(struct vfio_pci_device *vdev, unsigned bar, void *buf, size_t n,
		   uint64_t pos, bool write)
{
	uint64_t end = bar_len(vdev, bar), x_start = 0, x_end = 0;

	if (!end || pos >= end)
		return -EINVAL;
	n = (size_t)MIN((uint64_t)n, end - pos);
	if (bar == vdev->msix_bar) {
		x_start = vdev->msix_offset;
		x_end = vdev->msix_offset + vdev->msix_size;
	}
	return bar_io_rw(vdev, bar, buf, n, pos, write, x_start, x_end);
}

static void pm_runtime_resume(struct vfio_pci_device *vdev);

/* vfio_pci_core_read / _write: a zero count is 0 before anything is
 * looked at (not even the region index); then vfio_pci_rw, which checks
 * the index and resumes a runtime-suspended device. */
static long device_rw(struct sim_file *f, void *buf, size_t n, uint64_t off, bool write)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_pci_device *vdev = df->vdev;
	uint64_t index = off >> VFIO_PCI_OFFSET_SHIFT, pos = off & VFIO_PCI_OFFSET_MASK;

	/* vfio_device_fops_read / _write: a cdev file not bound yet */
	if (!df->access_granted)
		return -EINVAL;
	if (vdev->removed)
		return -ENODEV;
	if (!n)
		return 0;
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	pm_runtime_resume(vdev);
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return vfio_config_rw(vdev, buf, n, pos, write);
	case VFIO_PCI_ROM_REGION_INDEX:
	case VFIO_PCI_VGA_REGION_INDEX:
		return -EINVAL;       /* no option ROM, no VGA in this model */
	default:
		return bar_rw(vdev, (unsigned)index, buf, n, pos, write);
	}
}

static long device_read(struct sim_file *f, struct sim_proc *p, void *buf, size_t n,
			uint64_t off)
{
	return device_rw(f, buf, n, off, false);
}

static long device_write(struct sim_file *f, struct sim_proc *p, const void *buf,
			 size_t n, uint64_t off)
{
	return device_rw(f, (void *)buf, n, off, true);
}

/* ---- GET_INFO, GET_REGION_INFO, RESET ------------------------------------------ */

/* pci_reset_fn_methods, probed in the kernel's order, from the function's
 * config space; none: pci_probe_reset_function's -ENOTTY. */
enum reset_method { RESET_NONE, RESET_FLR, RESET_AF_FLR, RESET_PM, RESET_BUS };

static enum reset_method probe_reset(const struct pci_dev *d)
{
	unsigned exp = pci_config_find_cap(d, 0x10), af = pci_config_find_cap(d, 0x13);
	unsigned pm = pci_config_find_cap(d, 0x01);

	/* pcie_reset_flr: FLR in DEVCAP */
	if (exp && (pci_config_read(d, exp + 4, 4) & 0x10000000))
		return RESET_FLR;
	/* pci_af_flr: the AF capability with Transactions Pending and FLR */
	if (af && (pci_config_read(d, af + 3, 1) & 0x03) == 0x03)
		return RESET_AF_FLR;
	/* pci_pm_reset: a PM capability whose PMCSR has No_Soft_Reset clear */
	if (pm && !(pci_config_read(d, pm + 4, 2) & 0x0008))
		return RESET_PM;
	/* pci_reset_bus_function -> pci_parent_bus_reset: not on a root bus,
	 * not a bridge, alone on its bus */
	if (d->bus->self && !d->subordinate && d->bus->ndevices == 1)
		return RESET_BUS;
	return RESET_NONE;
}

/* vdev->reset_works, as vfio_pci_core_enable found it (before the first
 * open: what pci_probe_reset_function would say). */
static bool reset_works(const struct vfio_pci_device *vdev)
{
	return vdev->open_count ? vdev->reset_works : probe_reset(vdev->pdev) != RESET_NONE;
}

/* pci_restore_state: the header and the registers of every capability
 * the config map knows come back from @saved; bytes no capability claims
 * are the device's own (storage, in a QEMU device), which the kernel
 * neither saves nor restores. */
static void restore_state(struct vfio_pci_device *vdev, const uint8_t *saved)
{
	struct pci_config *c = &vdev->pdev->config;

	for (unsigned i = 0; i < c->size; i++)
		if (vdev->map[i] != 0xff)
			c->data[i] = saved[i];
}

/* A reset with the config state saved before and restored after
 * (pci_dev_save_and_disable, pci_dev_restore): the device side of a reset
 * turns MSI off, the restored state turns it back on. */
static void reset_one(struct vfio_pci_device *vdev)
{
	uint8_t saved[PCI_CFG_SPACE_EXP_SIZE];

	memcpy(saved, vdev->pdev->config.data, vdev->pdev->config.size);
	pci_devmodel_reset(vdev->pdev);
	restore_state(vdev, saved);
	vfio_pci_msix_restore(vdev);
}

/* pci_try_reset_function: the first method that applies; a PM reset needs
 * the function in D0 (pci_pm_reset: -EINVAL otherwise). */
int vfio_pci_try_reset_function(struct vfio_pci_device *vdev)
{
	enum reset_method m = probe_reset(vdev->pdev);

	if (m == RESET_NONE)
		return -ENOTTY;
	if (m == RESET_PM && vdev->power_state != VFIO_PCI_D0)
		return -EINVAL;
	reset_one(vdev);
	return 0;
}

void vfio_pci_set_power_state(struct vfio_pci_device *vdev, unsigned state)
{
	unsigned pm = pci_config_find_cap(vdev->pdev, 0x01);

	if (!pm)
		return;
	pci_config_write(vdev->pdev, pm + 4, 2,
			 (pci_config_read(vdev->pdev, pm + 4, 2) & ~0x3u) | state);
	vdev->power_state = (uint8_t)state;
}

static long device_get_info(struct vfio_pci_device *vdev, struct sim_proc *p,
			    unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;
	long ret;

	memset(&info, 0, sizeof(info));
	if ((ret = vfio_copy_argsz_in(p, arg, &info, minsz)))
		return ret;
	minsz = MIN((size_t)info.argsz, sizeof(info));
	info.flags = VFIO_DEVICE_FLAGS_PCI | (reset_works(vdev) ? VFIO_DEVICE_FLAGS_RESET : 0);
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	info.cap_offset = 0;
	return sim_copy_to_user(p, arg, &info, minsz) ? -EFAULT : 0;
}

/* The region's fields, and its capabilities in @caps: MSIX_MAPPABLE on the
 * BAR that holds the MSI-X table (msix_mmappable_cap). */
static long region_fill(struct vfio_pci_device *vdev, struct vfio_region_info *info,
			struct vfio_info_cap *caps)
{
	info->offset = (uint64_t)info->index << VFIO_PCI_OFFSET_SHIFT;
	info->flags = 0;
	info->size = 0;
	switch (info->index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info->size = vdev->cfg_size;
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		return 0;
	case VFIO_PCI_ROM_REGION_INDEX:
		return 0;             /* no ROM: size 0, no flags */
	case VFIO_PCI_VGA_REGION_INDEX:
		return -EINVAL;       /* not a VGA device */
	default:
		if (info->index >= VFIO_PCI_NUM_REGIONS)
			return -EINVAL;
		info->size = bar_len(vdev, info->index);
		if (!info->size)
			return 0;
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		if (vdev->pdev->bars[info->index].type == PCI_BAR_IO)
			return 0;
		info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
		if (info->index != vdev->msix_bar)
			return 0;
		if (sim_should_fail(vdev->vfio->w, "vfio_region_caps_alloc"))
			return -ENOMEM;
		caps->unaligned = sim_kernel_before(vdev->vfio->w, 6, 6);
		vfio_info_cap_add(caps, sizeof(struct vfio_info_cap_header),
				  VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1);
		return 0;
	}
}

/* vfio_pci_ioctl_get_region_info, with the capability chain's argsz
 * protocol: too small an argsz gets the size needed and no chain. */
static long device_get_region_info(struct vfio_pci_device *vdev, struct sim_proc *p,
				   unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { 0 };
	struct vfio_region_info info;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &info, minsz)))
		return ret;
	ret = region_fill(vdev, &info, &caps);
	if (ret)
		goto out;
	if (caps.buf && caps.buf->len) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.buf->len) {
			info.argsz = (uint32_t)(sizeof(info) + caps.buf->len);
			info.cap_offset = 0;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (sim_copy_to_user(p, arg + sizeof(info), caps.buf->data,
					     caps.buf->len)) {
				ret = -EFAULT;
				goto out;
			}
			info.cap_offset = sizeof(info);
		}
	}
	ret = sim_copy_to_user(p, arg, &info, minsz) ? -EFAULT : 0;
out:
	if (caps.buf)
		g_byte_array_free(caps.buf, TRUE);
	return ret;
}

/* ---- hot reset --------------------------------------------------------------------- */

/*
 * pci_probe_reset_slot / pci_probe_reset_bus: a function below a bridge
 * can be reset with its bus (a PCI Express port's slot holds the same
 * functions as its bus); one on a root bus cannot.
 */
static bool bus_resettable(const struct pci_dev *d)
{
	return d->bus->self != NULL;
}

/* pci_walk_bus: every function on @bus and below it, each bridge's bus
 * right after the bridge; stops at the first non-zero return. */
static int walk_bus(struct pci_bus *bus, int (*fn)(struct pci_dev *, void *), void *data)
{
	for (size_t i = 0; i < bus->ndevices; i++) {
		struct pci_dev *d = bus->devices[i];
		int ret = fn(d, data);

		if (ret)
			return ret;
		if (d->subordinate && (ret = walk_bus(d->subordinate, fn, data)))
			return ret;
	}
	return 0;
}

static int count_devs(struct pci_dev *d, void *data)
{
	(*(unsigned *)data)++;
	return 0;
}

struct fill_info {
	struct vfio_pci_dependent_device *devices;
	unsigned count;
};

/* vfio_pci_fill_devs: segment, bus, devfn and the IOMMU group of each;
 * a function without a group cannot be reset by a user (-EPERM).  (The
 * kernel's -EAGAIN for a topology that changed since the count cannot
 * happen here: nothing runs in between.) */
static int fill_devs(struct pci_dev *d, void *data)
{
	struct fill_info *fill = data;
	struct vfio_pci_dependent_device *dev;

	if (!d->group)
		return -EPERM;
	dev = &fill->devices[fill->count++];
	dev->group_id = d->group->id;
	dev->segment = PCI_SBDF_DOMAIN(d->sbdf);
	dev->bus = d->bus->number;
	dev->devfn = d->devfn;
	return 0;
}

/* vfio_pci_ioctl_get_pci_hot_reset_info (6.1 and 6.12 alike through a
 * group-opened device: group ids, no DEV_ID flags). */
static long device_hot_reset_info(struct vfio_pci_device *vdev, struct sim_proc *p,
				  unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_pci_hot_reset_info, count);
	struct vfio_pci_hot_reset_info hdr;
	struct fill_info fill = { 0 };
	unsigned count = 0;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &hdr, minsz)))
		return ret;
	hdr.flags = 0;
	if (!bus_resettable(vdev->pdev))
		return -ENODEV;
	walk_bus(vdev->pdev->bus, count_devs, &count);
	if (count > (hdr.argsz - sizeof(hdr)) / sizeof(*fill.devices)) {
		hdr.count = count;
		ret = -ENOSPC;
		goto header;
	}
	if (sim_should_fail(p->w, "vfio_hot_reset_info_alloc"))
		return -ENOMEM;
	fill.devices = g_new0(struct vfio_pci_dependent_device, count);
	ret = walk_bus(vdev->pdev->bus, fill_devs, &fill);
	if (ret)
		goto out;
	if (sim_copy_to_user(p, arg + sizeof(hdr), fill.devices,
			     fill.count * sizeof(*fill.devices))) {
		ret = -EFAULT;
		goto out;
	}
	hdr.count = fill.count;
header:
	if (sim_copy_to_user(p, arg, &hdr, minsz))
		ret = -EFAULT;
out:
	g_free(fill.devices);
	return ret;
}

/* The group behind @f, or NULL when @f is not a group file
 * (vfio_file_is_group). */
static struct vfio_group *vfio_group_from_file(struct sim_file *f)
{
	return f && f->ops && f->ops->ioctl == vfio_group_ioctl ? f->private_data : NULL;
}

struct hot_reset_check {
	struct vfio_state *vfio;
	struct sim_file **groups;
	unsigned ngroups;
};

/* Does one of the caller's group files hold @d? (vfio_dev_in_groups) */
static bool in_groups(const struct hot_reset_check *c, const struct pci_dev *d)
{
	for (unsigned i = 0; i < c->ngroups; i++) {
		struct vfio_group *g = vfio_group_from_file(c->groups[i]);

		if (g && g->iommu_group == d->group)
			return true;
	}
	return false;
}

/*
 * vfio_pci_dev_set_resettable and the ownership test of
 * vfio_pci_dev_set_hot_reset: every function the bus reset reaches must
 * be in the bus's device set, bound to vfio-pci (a function on a bus
 * further down is in another set, but the bridge above it, which vfio-pci
 * never binds, fails first), and every member of the set must be in one
 * of the caller's groups.
 */
static int check_resettable(struct pci_dev *d, void *data)
{
	const struct hot_reset_check *c = data;

	if (!g_hash_table_lookup(c->vfio->devices, d))
		return -EINVAL;
	return in_groups(c, d) ? 0 : -EINVAL;
}

static int reset_dev(struct pci_dev *d, void *data)
{
	struct vfio_state *v = data;
	struct vfio_pci_device *vdev = g_hash_table_lookup(v->devices, d);

	reset_one(vdev);
	vdev->hot_resets++;
	return 0;
}

/*
 * vfio_pci_ioctl_pci_hot_reset through a group-opened device.  6.12 wants
 * a non-empty group list before it looks at the bus (a zero count is for
 * cdev-opened devices); 6.1 looks at the bus first, so a function on a
 * root bus with count 0 is -ENODEV there and -EINVAL on 6.12.
 */
static long device_hot_reset(struct vfio_pci_device *vdev, struct sim_proc *p,
			     unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_pci_hot_reset, count);
	struct hot_reset_check c = { .vfio = vdev->vfio };
	struct vfio_pci_hot_reset hdr;
	bool v61 = sim_kernel_before(p->w, 6, 5);   /* before the cdev series */
	unsigned count = 0, i;
	int32_t *fds = NULL;
	long ret;

	if (sim_copy_from_user(p, &hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz || hdr.flags)
		return -EINVAL;
	if (!v61 && !hdr.count)
		return -EINVAL;
	if (!bus_resettable(vdev->pdev))
		return -ENODEV;
	walk_bus(vdev->pdev->bus, count_devs, &count);
	if (!hdr.count || hdr.count > count)
		return -EINVAL;
	if (sim_should_fail(p->w, "vfio_hot_reset_alloc"))
		return -ENOMEM;
	fds = g_new0(int32_t, hdr.count);
	c.groups = g_new0(struct sim_file *, hdr.count);
	if (sim_copy_from_user(p, fds, arg + minsz, hdr.count * sizeof(*fds))) {
		ret = -EFAULT;
		goto out;
	}
	for (ret = 0, i = 0; i < hdr.count && !ret; i++) {
		struct sim_file *f = sim_fd_get(p, fds[i]);

		if (!f)
			ret = -EBADF;
		else if (!vfio_group_from_file(f))
			ret = -EINVAL;          /* vfio_file_is_group */
		else
			c.groups[c.ngroups++] = sim_file_get(f);
	}
	if (!ret)
		ret = walk_bus(vdev->pdev->bus, check_resettable, &c);
	if (!ret) {
		walk_bus(vdev->pdev->bus, reset_dev, vdev->vfio);
		SIM_TRACE(p->w, vfio_pci_hot_reset, vdev->pdev->name, count);
	}
out:
	for (i = 0; i < c.ngroups; i++)
		sim_file_put(c.groups[i]);
	g_free(c.groups);
	g_free(fds);
	return ret;
}

/* ---- IOEVENTFD ------------------------------------------------------------------------ */

/* vfio_pci_ioeventfd_handler / _thread, woken by the eventfd (virqfd: the
 * count consumed first): the write, unless it targets memory while memory
 * decode is off or the function is in D3hot. */
static void ioeventfd_do_write(struct vfio_pci_ioeventfd *ioe)
{
	struct vfio_pci_device *vdev = ioe->vdev;
	bool done = !ioe->test_mem || vfio_config_memory_enabled(vdev);
	uint8_t b[8];

	if (done) {
		for (unsigned i = 0; i < ioe->count; i++)
			b[i] = (uint8_t)(ioe->data >> (8 * i));
		bar_access(vdev, ioe->bar, b, ioe->count, ioe->pos, true);
		ioe->writes++;
	}
	SIM_TRACE(vdev->vfio->w, vfio_pci_ioeventfd, vdev->pdev->name, ioe->bar,
		  (unsigned long long)ioe->pos, ioe->count, (unsigned long long)ioe->data, done);
}

static void ioeventfd_wakeup(struct sim_file *f, void *ctx)
{
	sim_eventfd_take(f);
	ioeventfd_do_write(ctx);
}

static void ioeventfd_free(struct vfio_pci_ioeventfd *ioe)
{
	sim_eventfd_unwatch(ioe->file, ioeventfd_wakeup, ioe);
	sim_file_put(ioe->file);
	g_free(ioe);
}

/* vfio_pci_core_disable: every ioeventfd goes at the last close. */
static void ioeventfds_free(struct vfio_pci_device *vdev)
{
	if (!vdev->ioeventfds)
		return;
	for (guint i = 0; i < vdev->ioeventfds->len; i++)
		ioeventfd_free(g_ptr_array_index(vdev->ioeventfds, i));
	g_ptr_array_free(vdev->ioeventfds, TRUE);
	vdev->ioeventfds = NULL;
}

/* vfio_pci_ioeventfd, in the kernel's order. */
static long ioeventfd_set(struct vfio_pci_device *vdev, struct sim_proc *p, uint64_t offset,
			  uint64_t data, unsigned count, int32_t fd)
{
	uint64_t pos = offset & VFIO_PCI_OFFSET_MASK, index = offset >> VFIO_PCI_OFFSET_SHIFT;
	struct vfio_pci_ioeventfd *ioe;
	struct sim_file *f;
	unsigned bar = (unsigned)index;

	if (index > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;                 /* only BARs */
	if (pos + count > bar_len(vdev, bar))
		return -EINVAL;
	/* no way around the MSI-X table */
	if (bar == vdev->msix_bar && !(pos + count <= vdev->msix_offset ||
				       pos >= (uint64_t)vdev->msix_offset + vdev->msix_size))
		return -EINVAL;
	/* the kernel's "#ifndef iowrite64" refusal of 8 bytes does not apply
	 * on x86-64, which has iowrite64: 6.1 and 6.12 take 8-byte
	 * ioeventfds (vfio.device*.ioeventfd.size8), though 6.1's
	 * read/write path splits 8-byte accesses */
	for (guint i = 0; vdev->ioeventfds && i < vdev->ioeventfds->len; i++) {
		ioe = g_ptr_array_index(vdev->ioeventfds, i);
		if (ioe->pos != pos || ioe->bar != bar || ioe->data != data ||
		    ioe->count != count)
			continue;
		if (fd != -1)
			return -EEXIST;
		g_ptr_array_remove_index(vdev->ioeventfds, i);
		ioeventfd_free(ioe);
		return 0;
	}
	if (fd < 0)
		return -ENODEV;                 /* nothing to remove */
	if (vdev->ioeventfds && vdev->ioeventfds->len >= VFIO_PCI_IOEVENTFD_MAX)
		return -ENOSPC;
	if (sim_should_fail(p->w, "vfio_ioeventfd_alloc"))
		return -ENOMEM;
	/* vfio_virqfd_enable: fdget, eventfd_ctx_fileget */
	f = sim_fd_get(p, fd);
	if (!f)
		return -EBADF;
	if (!sim_file_is_eventfd(f))
		return -EINVAL;
	ioe = g_new0(struct vfio_pci_ioeventfd, 1);
	ioe->vdev = vdev;
	ioe->file = sim_file_get(f);
	ioe->pos = pos;
	ioe->data = data;
	ioe->bar = bar;
	ioe->count = count;
	ioe->test_mem = vdev->pdev->bars[bar].type != PCI_BAR_IO;
	if (!vdev->ioeventfds)
		vdev->ioeventfds = g_ptr_array_new();
	g_ptr_array_insert(vdev->ioeventfds, 0, ioe);       /* list_add */
	sim_eventfd_watch(f, ioeventfd_wakeup, ioe);
	/* an event already pending when it was registered (not consumed) */
	if (sim_eventfd_count(f))
		ioeventfd_do_write(ioe);
	return 0;
}

/* vfio_pci_ioctl_ioeventfd: argsz, flags (one size bit and nothing else),
 * fd >= -1. */
static long device_ioeventfd(struct vfio_pci_device *vdev, struct sim_proc *p,
			     unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_device_ioeventfd, fd);
	struct vfio_device_ioeventfd ioe;
	unsigned count;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &ioe, minsz)))
		return ret;
	if (ioe.flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK)
		return -EINVAL;
	count = ioe.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
	if (__builtin_popcount(count) != 1 || ioe.fd < -1)
		return -EINVAL;
	return ioeventfd_set(vdev, p, ioe.offset, ioe.data, count, ioe.fd);
}

unsigned vfio_pci_ioeventfd_count(const struct vfio_pci_device *vdev)
{
	return vdev->ioeventfds ? vdev->ioeventfds->len : 0;
}

/* ---- DEVICE_FEATURE --------------------------------------------------------------------- */

/* vfio_check_feature: 1 to do it, 0 for a PROBE that succeeds, -EINVAL. */
static int check_feature(uint32_t flags, size_t argsz, uint32_t supported, size_t minsz)
{
	if ((flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) & ~supported)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)))
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}

/* __vfio_pci_runtime_pm_exit: low power off, the wakeup eventfd dropped. */
static void pm_runtime_exit(struct vfio_pci_device *vdev)
{
	vdev->pm_runtime_engaged = false;
	if (vdev->pm_wake_file)
		sim_file_put(vdev->pm_wake_file);
	vdev->pm_wake_file = NULL;
}

/*
 * vfio_pci_runtime_pm_entry: -EINVAL when low power is already engaged.
 * With the usage count it held dropped, the function runtime-suspends once
 * the ioctl returns (the real kernel does it shortly after; the simulator
 * at once).
 */
static int pm_runtime_entry(struct vfio_pci_device *vdev, struct sim_file *wake)
{
	if (vdev->pm_runtime_engaged)
		return -EINVAL;
	vdev->pm_runtime_engaged = true;
	vdev->pm_wake_file = wake ? sim_file_get(wake) : NULL;
	return 0;
}

/*
 * The device suspended in low power is resumed by the next ioctl on its fd
 * (vfio_device_fops_unl_ioctl's vfio_device_pm_runtime_get) or region
 * access (vfio_pci_rw): vfio_pci_core_runtime_resume signals the wakeup
 * eventfd, if one was given, and leaves low power; without one the device
 * suspends again after the access, still engaged.
 */
static void pm_runtime_resume(struct vfio_pci_device *vdev)
{
	if (!vdev->pm_runtime_engaged || !vdev->pm_wake_file)
		return;
	sim_eventfd_signal(vdev->pm_wake_file, 1);
	pm_runtime_exit(vdev);
}

/* vfio_pci_core_ioctl_feature: the features vfio-pci itself has. */
static long pci_core_feature(struct vfio_pci_device *vdev, struct sim_proc *p, uint32_t flags,
			     unsigned long data, size_t argsz)
{
	struct vfio_device_low_power_entry_with_wakeup entry;
	struct sim_file *f;
	int ret;

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:             /* vfio_pci_core_pm_entry */
		ret = check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);
		return ret != 1 ? ret : pm_runtime_entry(vdev, NULL);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP: /* ..._pm_entry_with_wakeup */
		ret = check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, sizeof(entry));
		if (ret != 1)
			return ret;
		if (sim_copy_from_user(p, &entry, data, sizeof(entry)))
			return -EFAULT;
		if (entry.wakeup_eventfd < 0)
			return -EINVAL;
		f = sim_fd_get(p, entry.wakeup_eventfd);    /* eventfd_ctx_fdget */
		if (!f)
			return -EBADF;
		if (!sim_file_is_eventfd(f))
			return -EINVAL;
		return pm_runtime_entry(vdev, f);
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:              /* vfio_pci_core_pm_exit */
		ret = check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);
		if (ret != 1)
			return ret;
		pm_runtime_exit(vdev);
		return 0;
	case VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
		/* vfio_pci_core_feature_token: only a PF with SR-IOV has a VF
		 * token, and no simulated function has SR-IOV */
		return -ENOTTY;
	default:
		return -ENOTTY;
	}
}

/*
 * vfio_ioctl_device_feature (drivers/vfio/vfio_main.c): argsz, no unknown
 * flag, GET and SET together only with PROBE; the migration and DMA
 * logging features are the core's and need a variant driver's mig_ops /
 * log_ops, which plain vfio-pci has not (-ENOTTY); the rest is vfio-pci's.
 */
static long device_feature(struct vfio_pci_device *vdev, struct sim_proc *p, unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_device_feature, flags);
	struct vfio_device_feature feature;
	uint32_t known = VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &feature, minsz)))
		return ret;
	if (feature.flags & ~known)
		return -EINVAL;
	if (!(feature.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_SET) && (feature.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;
	switch (feature.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
	case FEATURE_MIG_DATA_SIZE:
		return -ENOTTY;                 /* !device->mig_ops */
	case FEATURE_DMA_LOGGING_START:
	case FEATURE_DMA_LOGGING_STOP:
	case FEATURE_DMA_LOGGING_REPORT:
		return -ENOTTY;                 /* !device->log_ops */
	default:
		return pci_core_feature(vdev, p, feature.flags, arg + minsz,
					feature.argsz - minsz);
	}
}

static long device_ioctl(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
			 unsigned long arg)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_pci_device *vdev = df->vdev;
	long ret;

	if (vdev->removed)
		return -ENODEV;
	/* vfio_device_fops_unl_ioctl: BIND_IOMMUFD first, then nothing
	 * until bound, then the cdev-only ioctls (cdev.c) */
	ret = vfio_df_cdev_ioctl(df, p, cmd, arg);
	if (ret != 1)
		return ret;
	pm_runtime_resume(vdev);
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return device_get_info(vdev, p, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return device_get_region_info(vdev, p, arg);
	case VFIO_DEVICE_RESET:
		/* vfio_pci_ioctl_reset: -EINVAL unless the first open's reset
		 * worked; D0, then pci_try_reset_function with the config state
		 * saved and restored */
		if (!reset_works(vdev))
			return -EINVAL;
		vdev->resets++;
		SIM_TRACE(p->w, vfio_pci_reset, vdev->pdev->name);
		vfio_pci_set_power_state(vdev, VFIO_PCI_D0);
		return vfio_pci_try_reset_function(vdev);
	case VFIO_DEVICE_IOEVENTFD:
		return device_ioeventfd(vdev, p, arg);
	case VFIO_DEVICE_FEATURE:
		return device_feature(vdev, p, arg);
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return device_hot_reset_info(vdev, p, arg);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return device_hot_reset(vdev, p, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
	case VFIO_DEVICE_SET_IRQS:
		return vfio_pci_irqs_ioctl(vdev, p, cmd, arg);
	case VFIO_DEVICE_BIND_TASK:
	case VFIO_DEVICE_UNBIND_TASK:
		return vfio_device_svm_ioctl(vdev, p, cmd, arg);
	default:
		return -ENOTTY;
	}
}

/* ---- opening and closing device files ------------------------------------------ */

#define CMD_IO       0x0001
#define CMD_MEMORY   0x0002
#define CMD_MASTER   0x0004
#define CMD_INTX_DIS 0x0400

static void clear_master(struct pci_dev *d)
{
	pci_config_write(d, 0x04, 2, pci_config_read(d, 0x04, 2) & ~CMD_MASTER);
}

/*
 * vfio_pci_core_enable, the first open: bus mastering off, the decode
 * bits pci_enable_device sets (I/O when an I/O BAR exists, memory when a
 * memory BAR does; the firmware may have set them already), a reset when
 * one works, the config space saved, INTx-disable cleared, then the
 * emulated config space (vfio_config_init).
 */
static void core_enable(struct vfio_pci_device *vdev)
{
	struct pci_dev *d = vdev->pdev;
	uint16_t cmd;

	clear_master(d);
	cmd = (uint16_t)pci_config_read(d, 0x04, 2);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (d->bars[i].size)
			cmd |= d->bars[i].type == PCI_BAR_IO ? CMD_IO : CMD_MEMORY;
	pci_config_write(d, 0x04, 2, cmd);
	vdev->power_state = VFIO_PCI_D0;
	vdev->reset_works = !vfio_pci_try_reset_function(vdev);
	memcpy(vdev->saved_config, d->config.data, sizeof(vdev->saved_config));
	cmd = (uint16_t)pci_config_read(d, 0x04, 2);
	if (cmd & CMD_INTX_DIS)
		pci_config_write(d, 0x04, 2, cmd & ~CMD_INTX_DIS);
	vdev->power_state = VFIO_PCI_D0;
	vdev->virq_disabled = false;
	vfio_config_init(vdev);
}

/*
 * vfio_pci_core_disable, the last close: D0, bus mastering off,
 * interrupts off, a reset when one works and the state saved at the
 * first open restored, then pci_disable_device (bus mastering off again).
 */
static void core_disable(struct vfio_pci_device *vdev)
{
	struct pci_dev *d = vdev->pdev;

	pm_runtime_exit(vdev);
	vfio_pci_set_power_state(vdev, VFIO_PCI_D0);
	clear_master(d);
	vfio_pci_irqs_disable(vdev);
	ioeventfds_free(vdev);
	vdev->virq_disabled = false;
	pci_config_write(d, 0x04, 2, CMD_INTX_DIS);
	if (vdev->reset_works)
		vfio_pci_try_reset_function(vdev);
	restore_state(vdev, vdev->saved_config);
	clear_master(d);
}

/*
 * vfio_df_open (vfio_main.c): the group path may open a device many times,
 * the cdev path once (EINVAL).  The first open binds the device to the
 * file's iommufd (vfio_df_iommufd_bind: iommufd_device_bind with VFIO's
 * allow_unsafe_interrupts) and enables it (vfio_pci_core_enable).
 */
int vfio_df_open(struct vfio_device_file *df)
{
	struct vfio_pci_device *vdev = df->vdev;
	struct vfio_state *v;
	int ret;

	if (df->mdev)
		return vfio_mdev_df_open(df);     /* the emulated device's */
	v = vdev->vfio;
	if (vdev->open_count && !df->group)
		return -EINVAL;
	/* a no-IOMMU device binds to nothing (vfio_df_iommufd_bind), and not
	 * at all once the context has a compat IOAS: the user expected
	 * translation */
	if (!vdev->open_count && df->iommufd && df->group && df->group->noiommu) {
		uint32_t ioas_id;

		if (!iommufd_vfio_compat_ioas_get_id(df->iommufd, &ioas_id))
			return -EPERM;
	} else if (!vdev->open_count && df->iommufd) {
		ret = iommufd_device_bind(df->iommufd, vdev->pdev,
					  v->params.allow_unsafe_interrupts, &vdev->idev,
					  &vdev->devid);
		if (ret) {
			vdev->idev = NULL;
			return ret;
		}
	}
	if (!vdev->open_count++)
		core_enable(vdev);
	return 0;
}

/* vfio_df_close: the last user disables the device (vfio_pci_core_disable,
 * or only its interrupts once it was removed), then unbinds it from
 * iommufd (vfio_df_device_last_close). */
void vfio_df_close(struct vfio_device_file *df)
{
	struct vfio_pci_device *vdev = df->vdev;

	if (df->mdev) {
		vfio_mdev_df_close(df);
		return;
	}
	if (--vdev->open_count)
		return;
	vfio_device_svm_release(vdev);     /* the 2017 proposal's bonds */
	if (!vdev->removed)
		core_disable(vdev);
	else
		vfio_pci_irqs_disable(vdev);
	if (vdev->idev)
		vfio_iommufd_physical_unbind(vdev);
}

void vfio_df_group_close(struct sim_world *w, struct vfio_device_file *df, const char *name)
{
	struct vfio_group *g = df->group;

	SIM_TRACE(w, vfio_device_release, name, g->iommu_group->id);
	vfio_df_close(df);
	g->device_fds--;
	if (df->uses_container && g->container)
		g->container_users--;
	if (!df->uses_container)
		g->iommufd_fds--;
}

/* vfio_device_fops_release: a group file's device closes
 * (vfio_df_group_close), a cdev's unbinds (vfio_df_unbind_iommufd); then
 * the registration reference goes. */
static void device_release(struct sim_file *f)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_group *g = df->group;
	struct vfio_pci_device *vdev = df->vdev;
	struct vfio_state *v = vdev->vfio;
	struct pci_dev *pdev = vdev->pdev;

	if (g) {
		struct sim_file *gfile = g->file;

		vfio_df_group_close(f->w, df, pdev->name);
		vdev->files--;
		vfio_pci_device_put(vdev);
		g_free(df);
		sim_file_put(gfile);     /* the group file this fd held */
	} else {
		vfio_df_unbind_iommufd(df);
		vdev->files--;
		vfio_pci_device_put(vdev);
		g_free(df);
	}
	vfio_device_last_close(v, pdev);   /* a pending unbind may finish */
}

const struct sim_file_ops vfio_device_fops = {
	.name = "vfio-device",
	.ioctl = device_ioctl,
	.read = device_read,
	.write = device_write,
	.release = device_release,
};

static struct vfio_pci_device *device_by_name(struct vfio_group *g, const char *name)
{
	struct iommu_group *ig = g->iommu_group;

	for (size_t i = 0; i < ig->ndevices; i++)
		if (!strcmp(ig->devices[i]->name, name))
			return g_hash_table_lookup(g->vfio->devices, ig->devices[i]);
	return NULL;
}

/*
 * spec §B GET_DEVICE_FD, in the kernel's order: an unknown name (or one not
 * bound to vfio-pci) -> ENODEV; no container or no backend -> EINVAL; then
 * an O_CLOEXEC fd.  Repeat opens are allowed.
 */
long vfio_group_get_device_fd(struct vfio_group *g, struct sim_proc *p, const char *name)
{
	struct vfio_pci_device *vdev = device_by_name(g, name);
	struct vfio_device_file *df;
	struct sim_file *f;
	long ret;

	/* vfio_df_group_open: no container nor iommufd, or a container
	 * without a backend (vfio_group_use_container) -> EINVAL */
	if (!vdev)
		ret = -ENODEV;
	else if (!vfio_group_has_iommu(g) || (g->container && !g->container->driver))
		ret = -EINVAL;
	else if (sim_should_fail(p->w, "vfio_device_open"))
		ret = -ENOMEM;
	else
		ret = 0;
	if (ret)
		goto out;
	df = g_new0(struct vfio_device_file, 1);
	df->vdev = vdev;
	df->group = g;
	df->iommufd = g->container ? NULL : g->iommufd;
	ret = vfio_df_open(df);
	/* the first open on an iommufd attaches the compat IOAS */
	if (!ret && df->iommufd && vdev->open_count == 1 && !g->noiommu) {
		ret = vfio_iommufd_compat_attach_ioas(vdev, df->iommufd);
		if (ret)
			vfio_df_close(df);
	}
	if (ret) {
		g_free(df);
		goto out;
	}
	df->access_granted = true;
	f = sim_file_new(p->w, &vfio_device_fops, df, O_RDWR | O_CLOEXEC, name);
	if (!f) {
		vfio_df_close(df);
		g_free(df);
		ret = -ENOMEM;
		goto out;
	}
	vdev->refs++;
	vdev->files++;
	sim_file_get(g->file);
	g->device_fds++;
	if (g->container) {
		df->uses_container = true;
		g->container_users++;
	} else {
		g->iommufd_fds++;
	}
	ret = sim_fd_install(p, f, true);
	sim_file_put(f);                    /* on failure this releases it */
out:
	SIM_TRACE(p->w, vfio_device_open, name, g->iommu_group->id, ret);
	return ret;
}
