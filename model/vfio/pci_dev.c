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
 * the last close reset a function that can be reset.
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

/*
 * vfio_pci_core_do_io_rw: the largest naturally aligned access that fits,
 * 8, 4, 2 or 1 bytes, each a register access of the device model; values
 * little-endian in @b.  8-byte accesses need ioread64/iowrite64 in
 * vfio-pci: 6.1 has none and splits them in two 4-byte ones; Debian's
 * 6.12 (6.12.95, which carries the mainline change) and mainline do them.
 */
static long bar_regs_rw(struct vfio_pci_device *vdev, unsigned bar, uint8_t *b, size_t n,
			uint64_t pos, bool write)
{
	bool qword = sim_world_kernel(vdev->vfio->w) != SIM_KERNEL_6_1;
	size_t done = 0;

	while (done < n) {
		uint64_t off = pos + done, v = 0;
		size_t left = n - done;
		unsigned size = qword && left >= 8 && !(off % 8) ? 8 :
				left >= 4 && !(off % 4) ? 4 : left >= 2 && !(off % 2) ? 2 : 1;

		if (write) {
			for (unsigned i = 0; i < size; i++)
				v |= (uint64_t)b[done + i] << (8 * i);
			pci_devmodel_bar_write(vdev->pdev, bar, off, size, v);
		} else {
			v = pci_devmodel_bar_read(vdev->pdev, bar, off, size);
			for (unsigned i = 0; i < size; i++)
				b[done + i] = (uint8_t)(v >> (8 * i));
		}
		done += size;
	}
	return (long)n;
}

static long bar_rw(struct vfio_pci_device *vdev, unsigned bar, void *buf, size_t n,
		   uint64_t pos, bool write)
{
	uint64_t end = bar_len(vdev, bar);
	uint8_t *b = buf;
	size_t done = 0;

	if (!end || pos >= end)
		return -EINVAL;
	/* memory decode off in the command register -> EIO, as vfio-pci */
	if (vdev->pdev->bars[bar].type != PCI_BAR_IO && !vfio_config_memory_enabled(vdev))
		return -EIO;
	n = (size_t)MIN((uint64_t)n, end - pos);
	if (pci_devmodel_bar_has_regs(vdev->pdev, bar))
		return bar_regs_rw(vdev, bar, b, n, pos, write);
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
	return (long)n;
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

/* pci_try_reset_function: the device model resets (nothing without one);
 * the config state saved before it is restored after it, so an enabled
 * MSI capability stays enabled (pci_dev_save_and_disable, pci_dev_restore). */
static void function_reset(struct vfio_pci_device *vdev)
{
	bool msi = pci_devmodel_msi_enabled(vdev->pdev);

	if (!reset_works(vdev))
		return;
	pci_devmodel_reset(vdev->pdev);
	pci_devmodel_set_msi_enabled(vdev->pdev, msi);
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

static long region_fill(struct vfio_pci_device *vdev, struct vfio_region_info *info)
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
		if (vdev->pdev->bars[info->index].type != PCI_BAR_IO)
			info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
		return 0;
	}
}

static long device_get_region_info(struct vfio_pci_device *vdev, struct sim_proc *p,
				   unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;
	long ret;

	if ((ret = vfio_copy_argsz_in(p, arg, &info, minsz)))
		return ret;
	ret = region_fill(vdev, &info);
	if (ret)
		return ret;
	return sim_copy_to_user(p, arg, &info, minsz) ? -EFAULT : 0;
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
		function_reset(vdev);
		return 0;
	case VFIO_DEVICE_GET_IRQ_INFO:
	case VFIO_DEVICE_SET_IRQS:
		return vfio_pci_irqs_ioctl(vdev, p, cmd, arg);
	default:
		return -ENOTTY;
	}
}

/* ---- opening and closing device files ------------------------------------------ */

static void device_release(struct sim_file *f)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_group *g = df->group;
	struct sim_file *gfile = g->file;

	SIM_TRACE(f->w, vfio_device_release, df->vdev->pdev->name, g->iommu_group->id);
	if (!--df->vdev->open_count) {
		/* vfio_pci_core_disable: interrupts off, then a reset */
		vfio_pci_irqs_disable(df->vdev);
		if (!df->vdev->removed)
			function_reset(df->vdev);
	}
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
	if (!vdev->open_count++) {
		/* the first open (vfio_pci_core_enable): reset, fresh config */
		function_reset(vdev);
		vfio_config_init(vdev);
	}
	sim_file_get(g->file);
	g->device_fds++;
	g->container_users++;
	ret = sim_fd_install(p, f, true);
	sim_file_put(f);                    /* on failure this releases it */
out:
	SIM_TRACE(p->w, vfio_device_open, name, g->iommu_group->id, ret);
	return ret;
}
