/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci device fds: GET_INFO, GET_REGION_INFO, pread/pwrite of regions,
 * GET_IRQ_INFO, SET_IRQS, RESET (spec §B GET_DEVICE_FD for how they are
 * made).  Regions sit at index << 40 in the file, as vfio-pci lays them out;
 * a BAR with a device model's registers (model/pci/devmodel.h) goes to its
 * handlers, split as vfio_pci_core_do_io_rw splits it; other BARs are
 * backed by sparse per-device storage; config space is synthesized
 * (pci_config.c).
 *
 * Reset: a function without a model resets (as an FLR would).  One with a
 * model resets when pci_reset_function would find a method: the model's
 * FLR or PM reset, or a secondary bus reset when it is alone on a bus
 * below a bridge (pci_parent_bus_reset); else GET_INFO has no RESET flag
 * and VFIO_DEVICE_RESET is -EINVAL (vdev->reset_works).  As
 * vfio_pci_core_enable and vfio_pci_core_disable do, the first open and
 * the last close reset a function that can be reset, and the config space
 * saved at the first open is the function's again after the last close.
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

#include "sim/fault.h"
#include "sim/file.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/group.h"
#include "model/pci/devmodel.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"

#define VFIO_PCI_OFFSET_SHIFT 40
#define VFIO_PCI_OFFSET_MASK ((1ull << VFIO_PCI_OFFSET_SHIFT) - 1)
#define BAR_PAGE 4096u

/* A bus reset through VFIO_DEVICE_PCI_HOT_RESET (beside vfio.h's list). */
#define TP_vfio_pci_hot_reset "dev=%s functions=%u"

struct vfio_device_file {
	struct vfio_pci_device *vdev;
	struct vfio_group *group;
};

/* ---- the device object ---------------------------------------------------- */

int vfio_pci_device_add(struct vfio_state *v, struct pci_dev *pdev)
{
	struct vfio_pci_device *vdev;

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
	g_hash_table_insert(v->devices, pdev, vdev);
	vfio_pci_irqs_attach(vdev);
	return 0;
}

void vfio_pci_device_put(struct vfio_pci_device *vdev)
{
	if (--vdev->refs)
		return;
	if (!vdev->removed)
		vfio_pci_irqs_detach(vdev);     /* the subsystem goes away */
	vfio_pci_irqs_disable(vdev);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		g_hash_table_destroy(vdev->bar_pages[i]);
	g_free(vdev);
}

void vfio_pci_device_remove(struct vfio_state *v, struct pci_dev *pdev)
{
	struct vfio_pci_device *vdev = g_hash_table_lookup(v->devices, pdev);

	if (!vdev)
		return;
	vdev->removed = true;
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

/* One access of @size bytes at @off: a register of the device model, or
 * storage; the value little-endian in @b. */
static void bar_access(struct vfio_pci_device *vdev, unsigned bar, uint8_t *b, unsigned size,
		       uint64_t off, bool write)
{
	uint64_t v = 0;

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

static long device_rw(struct sim_file *f, void *buf, size_t n, uint64_t off, bool write)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_pci_device *vdev = df->vdev;
	uint64_t index = off >> VFIO_PCI_OFFSET_SHIFT, pos = off & VFIO_PCI_OFFSET_MASK;

	if (vdev->removed)
		return -ENODEV;
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
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

/* vdev->reset_works: can pci_reset_function reset the function? */
static bool reset_works(const struct vfio_pci_device *vdev)
{
	const struct pci_dev *d = vdev->pdev;

	if (!d->model)
		return true;
	if (d->model->resets)
		return true;
	/* pci_parent_bus_reset: alone on a bus below a bridge */
	return d->bus->self && d->bus->ndevices == 1 && !d->subordinate;
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
}

int vfio_pci_try_reset_function(struct vfio_pci_device *vdev)
{
	if (!reset_works(vdev))
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

static long device_ioctl(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
			 unsigned long arg)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_pci_device *vdev = df->vdev;

	if (vdev->removed)
		return -ENODEV;
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return device_get_info(vdev, p, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return device_get_region_info(vdev, p, arg);
	case VFIO_DEVICE_RESET:
		/* a function-level reset; config state is saved and restored */
		if (!reset_works(vdev))
			return -EINVAL;
		vdev->resets++;
		SIM_TRACE(p->w, vfio_pci_reset, vdev->pdev->name);
		vfio_pci_set_power_state(vdev, VFIO_PCI_D0);
		return vfio_pci_try_reset_function(vdev);
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return device_hot_reset_info(vdev, p, arg);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return device_hot_reset(vdev, p, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
	case VFIO_DEVICE_SET_IRQS:
		return vfio_pci_irqs_ioctl(vdev, p, cmd, arg);
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
	vfio_pci_try_reset_function(vdev);
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

	vfio_pci_set_power_state(vdev, VFIO_PCI_D0);
	clear_master(d);
	vfio_pci_irqs_disable(vdev);
	vdev->virq_disabled = false;
	pci_config_write(d, 0x04, 2, CMD_INTX_DIS);
	vfio_pci_try_reset_function(vdev);
	restore_state(vdev, vdev->saved_config);
	clear_master(d);
}

static void device_release(struct sim_file *f)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_group *g = df->group;
	struct sim_file *gfile = g->file;

	SIM_TRACE(f->w, vfio_device_release, df->vdev->pdev->name, g->iommu_group->id);
	if (!--df->vdev->open_count && !df->vdev->removed)
		core_disable(df->vdev);
	else if (!df->vdev->open_count)
		vfio_pci_irqs_disable(df->vdev);
	vfio_pci_device_put(df->vdev);
	g->device_fds--;
	if (g->container)
		g->container_users--;
	g_free(df);
	sim_file_put(gfile);     /* the group file this fd held */
}

static const struct sim_file_ops device_fops = {
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

	if (!vdev)
		ret = -ENODEV;
	else if (!g->container || !g->container->iommu)
		ret = -EINVAL;
	else if (sim_should_fail(p->w, "vfio_device_open"))
		ret = -ENOMEM;
	else
		ret = 0;
	if (ret)
		goto out;
	df = g_new0(struct vfio_device_file, 1);
	f = sim_file_new(p->w, &device_fops, df, O_RDWR | O_CLOEXEC, name);
	if (!f) {
		g_free(df);
		ret = -ENOMEM;
		goto out;
	}
	df->vdev = vdev;
	df->group = g;
	vdev->refs++;
	if (!vdev->open_count++)
		core_enable(vdev);
	sim_file_get(g->file);
	g->device_fds++;
	g->container_users++;
	ret = sim_fd_install(p, f, true);
	sim_file_put(f);                    /* on failure this releases it */
out:
	SIM_TRACE(p->w, vfio_device_open, name, g->iommu_group->id, ret);
	return ret;
}
