/* SPDX-License-Identifier: MIT */
/*
 * model/vfio: the vfio-pci device fd (spec §B) - GET_INFO, regions, config
 * space and BARs through pread/pwrite, IRQ info and SET_IRQS, reset, and
 * unbinding vfio-pci under an open group. Helpers: vfio_fixture.h.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <linux/vfio.h>

#include "unit_common.h"
#include "vfio_fixture.h"
#include "sim/eventfd.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"
#include "iommusim/iommusim.h"

/* ---- the vfio-pci device fd -------------------------------------------------------------- */

static int open_dev_a(void)
{
	int cfd, gfd;
	long dfd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	dfd = device_fd(gfd, DEV_A);
	ck_assert_int_ge(dfd, 0);
	return (int)dfd;
}

#define REGION(i) ((uint64_t)(i) << 40)

START_TEST(test_device_info_regions)
{
	int dfd = open_dev_a();
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	static const struct { unsigned idx; uint64_t size; uint32_t flags; } want[] = {
		/* BAR 0 holds the synthesized MSI-X table: CAPS */
		{ VFIO_PCI_BAR0_REGION_INDEX, 128 << 10, 0xf }, { 1, 0, 0 }, { 2, 32, 3 },
		{ 3, 16 << 10, 7 }, { 4, 0, 0 }, { 5, 0, 0 }, { VFIO_PCI_ROM_REGION_INDEX, 0, 0 },
		{ VFIO_PCI_CONFIG_REGION_INDEX, 4096, 3 },
	};

	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_INFO, &di, sizeof(di)), 0);
	ck_assert_uint_eq(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	ck_assert_uint_eq(di.num_regions, VFIO_PCI_NUM_REGIONS);
	ck_assert_uint_eq(di.num_irqs, VFIO_PCI_NUM_IRQS);
	di.argsz = 8;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_INFO, &di, sizeof(di)), -EINVAL);
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		ri.index = want[i].idx;
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), 0);
		ck_assert_uint_eq(ri.size, want[i].size);
		ck_assert_uint_eq(ri.flags, want[i].flags);
		ck_assert_uint_eq(ri.offset, REGION(want[i].idx));
	}
	ri.index = VFIO_PCI_VGA_REGION_INDEX;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), -EINVAL);
	ri.index = 9;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), -EINVAL);
	ri.argsz = 8;
	ri.index = 0;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), -EINVAL);
	ck_assert_int_eq(ioc(dfd, VFIO_DEVICE_RESET, 0), 0);
	ck_assert_int_eq(ioc(dfd, 0x7777, 0), -ENOTTY);
}
END_TEST

static uint32_t cfg32(int dfd, unsigned off)
{
	uint32_t v = 0;

	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off), 4);
	return v;
}

static void cfg_write32(int dfd, unsigned off, uint32_t v)
{
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + off), 4);
}

START_TEST(test_device_config_and_bars)
{
	int dfd = open_dev_a();
	uint8_t buf[64] = { 0 }, pos;
	uint32_t v = 0x12345678;

	ck_assert_uint_eq(cfg32(dfd, 0), 0x10fb8086);
	ck_assert_uint_eq(cfg32(dfd, 0x0c) >> 16 & 0xff, 0);        /* single function */
	ck_assert_uint_eq(cfg32(dfd, 0x3c) >> 8 & 0xff, 1);         /* INTx pin A */
	/* BAR sizing: write all-ones, read back the size mask and type bits */
	cfg_write32(dfd, 0x10, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x10), 0xfffe0000);
	cfg_write32(dfd, 0x18, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x18), 0xffffffe1);
	cfg_write32(dfd, 0x1c, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x1c), 0xffffc00c);
	cfg_write32(dfd, 0x20, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x20), 0xffffffff);            /* upper half */
	cfg_write32(dfd, 0x14, 0xffffffff);
	ck_assert_uint_eq(cfg32(dfd, 0x14), 0);                     /* none */
	cfg_write32(dfd, 0x00, 0);                                  /* read-only */
	ck_assert_uint_eq(cfg32(dfd, 0), 0x10fb8086);
	/* the capability list: MSI, MSI-X, PCI Express */
	ck_assert(cfg32(dfd, 0x04) >> 16 & 0x10);
	pos = (uint8_t)cfg32(dfd, 0x34);
	ck_assert_uint_eq(cfg32(dfd, pos) & 0xff, 0x05);
	ck_assert_uint_eq(cfg32(dfd, pos) >> 16 & 0x0e, 2 << 1);   /* 4 vectors */
	pos = (uint8_t)(cfg32(dfd, pos) >> 8);
	ck_assert_uint_eq(cfg32(dfd, pos) & 0xff, 0x11);
	ck_assert_uint_eq(cfg32(dfd, pos) >> 16 & 0x7ff, 4);       /* 5 vectors */
	pos = (uint8_t)(cfg32(dfd, pos) >> 8);
	ck_assert_uint_eq(cfg32(dfd, pos) & 0xff, 0x10);
	ck_assert_uint_eq(cfg32(dfd, pos) >> 8 & 0xff, 0);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 8, REGION(7) + 4092), -EFAULT);
	/* the first open finds memory and I/O decode on (pci_enable_device
	 * in vfio_pci_core_enable): COMMAND = IO|MEM */
	ck_assert_uint_eq(cfg32(dfd, 0x04) & 0xffff, 0x3);
	/* BAR storage: memory decode must be on (vfio-pci's EIO rule) */
	cfg_write32(dfd, 0x04, 0x0);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, REGION(0) + 0x100), -EIO);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, REGION(2)), 4);   /* I/O */
	cfg_write32(dfd, 0x04, 0x2);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, REGION(0) + 0x1ffe), 4);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 8, REGION(0) + 0x1ffc), 8);
	ck_assert_uint_eq(buf[2], 0x78);
	ck_assert_uint_eq(buf[5], 0x12);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 64, REGION(0) + (128 << 10) - 8), 8);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 4, REGION(0) + (128 << 10)), -EINVAL);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 4, REGION(1)), -EINVAL);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 4, REGION(6)), -EINVAL);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, buf, 4, REGION(12)), -EINVAL);
}
END_TEST

static long set_irqs(int dfd, uint32_t flags, unsigned index, unsigned start, unsigned count,
		     const void *data, size_t dlen)
{
	struct { struct vfio_irq_set s; uint8_t d[64]; } a = {
		.s = { .argsz = (uint32_t)(sizeof(a.s) + dlen), .flags = flags, .index = index,
		       .start = start, .count = count },
	};

	if (dlen)
		memcpy(a.d, data, dlen);
	return io(dfd, VFIO_DEVICE_SET_IRQS, &a, sizeof(a));
}

#define TRIG_FD (VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD)
#define TRIG_NONE (VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE)

static int32_t new_eventfd(void)
{
	long fd = sim_sys_eventfd(W, PID, 0, SIM_EFD_NONBLOCK);

	ck_assert_int_ge(fd, 0);
	return (int32_t)fd;
}

START_TEST(test_device_irqs)
{
	int dfd = open_dev_a();
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	static const struct { unsigned idx, count; uint32_t flags; } want[] = {
		/* MSI-X is resizable (no NORESIZE) since dynamic MSI-X */
		{ 0, 1, 0x7 }, { 1, 4, 0x9 }, { 2, 5, 0x1 }, { 3, 1, 0x9 }, { 4, 1, 0x9 },
	};
	int32_t e = new_eventfd(), fds[5] = { e, e, -1, e, e }, badfd = 77, notefd = dfd;
	uint8_t one = 1;

	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		ii.index = want[i].idx;
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), 0);
		ck_assert_uint_eq(ii.count, want[i].count);
		ck_assert_uint_eq(ii.flags, want[i].flags);
	}
	ii.index = 5;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), -EINVAL);
	/* validation: unknown flags, bad index, beyond the vectors, data size */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD | 0x40, 1, 0, 1, fds, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 5, 0, 1, fds, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 2, 3, fds, 12), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 4, 0, fds, 0), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_TRIGGER | 3, 1, 0, 1, fds, 4), -EINVAL);
	{
		struct vfio_irq_set s = { .argsz = sizeof(s) + 4, .flags = TRIG_FD, .index = 1, .count = 2 };
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_SET_IRQS, &s, sizeof(s)), -EINVAL);
	}
	/* actions an index does not have -> ENOTTY */
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_NONE, 1, 0, 1,
				  NULL, 0), -ENOTTY);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD | VFIO_IRQ_SET_ACTION_MASK, 0, 0, 1, fds, 4), -ENOTTY);
	/* MSI: enable 2 vectors, a bad fd unwinds, INTx is then refused */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 0, 2, fds, 8), 0);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 0, 1, &badfd, 4), -EBADF);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 0, 1, &notefd, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 3, 1, fds, 4), -EINVAL);  /* not allocated */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 0, 0, 1, fds, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 2, 0, 1, fds, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 1, 0, 2, NULL, 0), 0);      /* loopback */
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 1, 0, 0, NULL, 0), 0);      /* disable */
	/* MSI-X all five, then off; INTx with masking */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 2, 0, 5, fds, 20), 0);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 2, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_NONE, 0, 0, 1,
				  NULL, 0), -EINVAL);                          /* INTx off */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 0, 0, 1, fds, 4), 0);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_BOOL, 0, 0, 1,
				  &one, 1), 0);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_EVENTFD, 0, 0,
				  1, &badfd, 4), -EBADF);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_EVENTFD, 0, 0,
				  1, &notefd, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_EVENTFD, 0, 0, 1,
				  fds, 4), -ENOTTY);
	/* ERR and REQ: one optional eventfd each */
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 3, 0, 0, NULL, 0), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 3, 0, 1, fds, 4), 0);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 3, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 3, 0, 1, &notefd, 4), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 4, 0, 1, &badfd, 4), -EBADF);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 4, 0, 1, fds + 2, 4), 0);
}
END_TEST

/* Where 6.1 and 6.12 differ in interrupts (docs/kernel-versions.md), each
 * seen on both by the real-kernel oracle (vfio_device.c):
 *  - vfio_pci_ioctl_get_irq_info: MSI-X NORESIZE on 6.1 only;
 *  - vfio_msi_set_block: 6.1 refuses an MSI-X vector past those enabled,
 *    6.12 allocates it (vfio_msi_alloc_irq, dynamic MSI-X);
 *  - vfio_pci_set_msi_trigger loopback past num_ctx: EINVAL on 6.1, the
 *    missing vectors skipped on 6.12;
 *  - vfio_pci_set_ctx_trigger_single with fd -2: ignored on 6.1, EINVAL on
 *    6.12. */
START_TEST(test_device_irqs_by_kernel)
{
	static const struct { enum sim_kernel k; uint32_t msix_flags; int grow, loop, err2; } v[] = {
		{ SIM_KERNEL_6_1, 0x9, -EINVAL, -EINVAL, 0 },
		{ SIM_KERNEL_6_2, 0x9, -EINVAL, -EINVAL, 0 },   /* before v6.5 */
		{ SIM_KERNEL_6_12, 0x1, 0, 0, -EINVAL },
		{ SIM_KERNEL_MAINLINE, 0x1, 0, 0, -EINVAL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		int dfd;
		int32_t fds[2], minus2 = -2;
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = 2 };

		sim_world_set_kernel(W, v[i].k);
		dfd = open_dev_a();
		fds[0] = fds[1] = new_eventfd();
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), 0);
		ck_assert_uint_eq(ii.flags, v[i].msix_flags);
		/* MSI-X with one vector, then vector 3 */
		ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 2, 0, 1, fds, 4), 0);
		ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 2, 3, 1, fds, 4), v[i].grow);
		/* MSI with two vectors: loopback over four */
		ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 2, 0, 0, NULL, 0), 0);
		ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 0, 2, fds, 8), 0);
		ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 1, 0, 4, NULL, 0), v[i].loop);
		ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 3, 0, 1, &minus2, 4), v[i].err2);
		ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
		teardown();
		setup();
	}
}
END_TEST


/* ---- helpers for the tests below ---- */

static void put_u64(uint64_t v)
{
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), ARG, &v, sizeof(v)), 0);
}

static uint64_t efd_count(int32_t efd)
{
	return sim_eventfd_count(sim_fd_get(sim_proc_find(W, PID), efd));
}

/* The ioeventfds vfio-pci holds for @bdf (vfio_pci_ioeventfd_count). */
static unsigned vfio_ioeventfds_of(struct sim_world *w, const char *bdf)
{
	struct pci_dev *d;
	struct vfio_pci_device *vdev;

	ck_assert_int_eq(pci_dev_lookup(w, bdf, &d), 0);
	vdev = g_hash_table_lookup(vfio_get(w)->devices, d);
	ck_assert_ptr_nonnull(vdev);
	return vfio_pci_ioeventfd_count(vdev);
}

/* ---- IOEVENTFD (vfio_pci_ioctl_ioeventfd, vfio_pci_ioeventfd) ------------------------ */

static long ioeventfd(int dfd, uint32_t argsz, uint32_t flags, uint64_t offset, uint64_t data,
		      int32_t fd)
{
	struct vfio_device_ioeventfd e = { .argsz = argsz, .flags = flags, .offset = offset,
					   .data = data, .fd = fd };

	return io(dfd, VFIO_DEVICE_IOEVENTFD, &e, sizeof(e));
}

static uint32_t bar32(int dfd, unsigned bar, uint64_t off)
{
	uint32_t v = 0;

	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, REGION(bar) + off), 4);
	return v;
}

static void efd_write(int32_t efd, uint64_t v)
{
	put_u64(v);
	ck_assert_int_eq(sim_sys_write(W, PID, efd, (void *)(uintptr_t)ARG, 8), 8);
}

/* The validation order of vfio_pci_ioctl_ioeventfd then vfio_pci_ioeventfd
 * (argsz, flags, one size bit, fd >= -1; a BAR, inside it, clear of the
 * MSI-X table; a duplicate is EEXIST, removing what is not there ENODEV,
 * VFIO_PCI_IOEVENTFD_MAX, the eventfd as vfio_virqfd_enable takes it),
 * then the write each signal makes (virqfd_wakeup consumes the count;
 * vfio_pci_ioeventfd_handler skips it with memory decode off). */
START_TEST(test_ioeventfd)
{
	int dfd = open_dev_a();
	int32_t efd = new_eventfd(), other = new_eventfd();
	uint32_t sz = sizeof(struct vfio_device_ioeventfd), F32 = VFIO_DEVICE_IOEVENTFD_32;
	long ret = 0;

	ck_assert_int_eq(ioeventfd(dfd, 27, F32, 0x100, 1, efd), -EINVAL);   /* < offsetofend(fd) */
	ck_assert_int_eq(ioeventfd(dfd, sz, F32 | 0x10, 0x100, 1, efd), -EINVAL);
	ck_assert_int_eq(ioeventfd(dfd, sz, 0, 0x100, 1, efd), -EINVAL);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32 | VFIO_DEVICE_IOEVENTFD_8, 0x100, 1, efd),
			 -EINVAL);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x100, 1, -2), -EINVAL);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, REGION(VFIO_PCI_ROM_REGION_INDEX), 1, efd),
			 -EINVAL);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, REGION(1), 1, efd), -EINVAL);      /* no BAR 1 */
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, (128 << 10) - 2, 1, efd), -EINVAL);
	/* the MSI-X table: BAR 0, 5 entries of 16 bytes from 0 */
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x4c, 1, efd), -EINVAL);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x100, 1, -1), -ENODEV);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x100, 1, 77), -EBADF);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x100, 1, dfd), -EINVAL);
	ck_assert_uint_eq(vfio_ioeventfds_of(W, DEV_A), 0);
	/* a 4-byte write of 0xc0ffee at BAR 0 + 0x100 per signal */
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x100, 0xc0ffee, efd), 0);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x100, 0xc0ffee, other), -EEXIST);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x100, 0xbeef, other), 0);   /* other data */
	ck_assert_uint_eq(bar32(dfd, 0, 0x100), 0);
	efd_write(efd, 1);
	ck_assert_uint_eq(bar32(dfd, 0, 0x100), 0xc0ffee);
	ck_assert_uint_eq(sim_eventfd_count(sim_fd_get(sim_proc_find(W, PID), efd)), 0);
	efd_write(other, 1);
	ck_assert_uint_eq(bar32(dfd, 0, 0x100), 0xbeef);
	/* memory decode off: vfio_pci_ioeventfd_handler drops the write */
	cfg_write32(dfd, 0x04, 0x0);
	efd_write(efd, 1);
	cfg_write32(dfd, 0x04, 0x2);
	ck_assert_uint_eq(bar32(dfd, 0, 0x100), 0xbeef);
	/* fd -1 with the same (offset, data, size) removes it */
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x100, 0xc0ffee, -1), 0);
	efd_write(efd, 1);
	ck_assert_uint_eq(bar32(dfd, 0, 0x100), 0xbeef);
	/* an I/O BAR needs no memory decode; 2 bytes; 8 bytes on mainline */
	ck_assert_int_eq(ioeventfd(dfd, sz, VFIO_DEVICE_IOEVENTFD_16, REGION(2) + 4, 0x1234,
				   efd), 0);
	ck_assert_int_eq(ioeventfd(dfd, sz, VFIO_DEVICE_IOEVENTFD_64, REGION(3), 1, efd), 0);
	cfg_write32(dfd, 0x04, 0x0);
	efd_write(efd, 1);
	ck_assert_uint_eq(bar32(dfd, 2, 4), 0x1234);
	cfg_write32(dfd, 0x04, 0x2);
	ck_assert_uint_eq(vfio_ioeventfds_of(W, DEV_A), 3);
	/* VFIO_PCI_IOEVENTFD_MAX: 1000 per device */
	for (unsigned i = 3; i < 1000 && !ret; i++)
		ret = ioeventfd(dfd, sz, F32, 0x200, i, efd);
	ck_assert_int_eq(ret, 0);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x200, 5000, efd), -ENOSPC);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x200, 3, -1), 0);
	ck_assert_int_eq(ioeventfd(dfd, sz, F32, 0x200, 5000, efd), 0);
	/* the last close ends them all (vfio_pci_core_disable) */
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	ck_assert_uint_eq(vfio_ioeventfds_of(W, DEV_A), 0);
	efd_write(efd, 1);
}
END_TEST

/* An eventfd signalled before it is registered writes at once
 * (vfio_virqfd_enable's vfs_poll check), without consuming the count;
 * 8-byte ioeventfds on 6.1 too (x86-64 has iowrite64, so
 * vfio_pci_ioeventfd's "#ifndef iowrite64" refusal is not compiled in,
 * though 6.1's read/write path splits 8-byte accesses). */
START_TEST(test_ioeventfd_by_kernel)
{
	int dfd = open_dev_a();
	int32_t efd = new_eventfd();
	uint32_t sz = sizeof(struct vfio_device_ioeventfd);

	efd_write(efd, 2);
	ck_assert_int_eq(ioeventfd(dfd, sz, VFIO_DEVICE_IOEVENTFD_32, 0x300, 0x55aa, efd), 0);
	ck_assert_uint_eq(bar32(dfd, 0, 0x300), 0x55aa);
	ck_assert_uint_eq(sim_eventfd_count(sim_fd_get(sim_proc_find(W, PID), efd)), 2);
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	teardown();
	setup();
	sim_world_set_kernel(W, SIM_KERNEL_6_1);
	dfd = open_dev_a();
	efd = new_eventfd();
	ck_assert_int_eq(ioeventfd(dfd, sz, VFIO_DEVICE_IOEVENTFD_64, REGION(3), 1, efd), 0);
	ck_assert_int_eq(ioeventfd(dfd, sz, VFIO_DEVICE_IOEVENTFD_32, REGION(3), 1, efd), 0);
}
END_TEST

/* ---- DEVICE_FEATURE (vfio_ioctl_device_feature, vfio_pci_core_ioctl_feature) ------------ */

static long feature(int dfd, uint32_t argsz, uint32_t flags, const void *data, size_t dlen)
{
	struct { struct vfio_device_feature f; uint8_t d[16]; } a = {
		.f = { .argsz = argsz, .flags = flags },
	};

	if (dlen)
		memcpy(a.d, data, dlen);
	return io(dfd, VFIO_DEVICE_FEATURE, &a, sizeof(a));
}

START_TEST(test_device_feature)
{
	int dfd = open_dev_a();
	uint32_t h = sizeof(struct vfio_device_feature);
	uint32_t GET = VFIO_DEVICE_FEATURE_GET, SET = VFIO_DEVICE_FEATURE_SET;
	uint32_t PROBE = VFIO_DEVICE_FEATURE_PROBE, ENTRY = VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	int32_t efd = new_eventfd(), bad = 77, minus1 = -1;

	/* vfio_ioctl_device_feature: argsz, unknown flags, GET with SET */
	ck_assert_int_eq(feature(dfd, h - 1, SET | ENTRY, NULL, 0), -EINVAL);
	ck_assert_int_eq(feature(dfd, h, SET | ENTRY | (1u << 19), NULL, 0), -EINVAL);
	ck_assert_int_eq(feature(dfd, h, GET | SET | ENTRY, NULL, 0), -EINVAL);
	/* the core's features need a variant driver: -ENOTTY on vfio-pci */
	for (uint32_t f = 1; f <= 2; f++)                    /* MIGRATION, MIG_DEVICE_STATE */
		ck_assert_int_eq(feature(dfd, h, PROBE | GET, NULL, 0 * f), -ENOTTY);
	for (uint32_t f = 6; f <= 9; f++)                    /* DMA_LOGGING_*, MIG_DATA_SIZE */
		ck_assert_int_eq(feature(dfd, h, PROBE | SET | f, NULL, 0), -ENOTTY);
	/* vfio_pci_core_ioctl_feature: no VF token without SR-IOV, unknown ones */
	ck_assert_int_eq(feature(dfd, h + 16, PROBE | SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
				 NULL, 0), -ENOTTY);
	ck_assert_int_eq(feature(dfd, h, PROBE | GET | 0x1234, NULL, 0), -ENOTTY);
	/* vfio_check_feature on LOW_POWER_ENTRY: SET only, PROBE, GET or SET */
	ck_assert_int_eq(feature(dfd, h, PROBE | GET | ENTRY, NULL, 0), -EINVAL);
	ck_assert_int_eq(feature(dfd, h, PROBE | GET | SET | ENTRY, NULL, 0), -EINVAL);
	ck_assert_int_eq(feature(dfd, h, PROBE | SET | ENTRY, NULL, 0), 0);
	ck_assert_int_eq(feature(dfd, h, PROBE | ENTRY, NULL, 0), 0);
	ck_assert_int_eq(feature(dfd, h, ENTRY, NULL, 0), -EINVAL);
	/* vfio_pci_runtime_pm_entry: once; LOW_POWER_EXIT always succeeds */
	ck_assert_int_eq(feature(dfd, h, SET | ENTRY, NULL, 0), 0);
	ck_assert_int_eq(feature(dfd, h, SET | ENTRY, NULL, 0), -EINVAL);
	ck_assert_int_eq(feature(dfd, h, SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0), 0);
	ck_assert_int_eq(feature(dfd, h, SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0), 0);
	/* vfio_pci_core_pm_entry_with_wakeup: the 8-byte struct, an eventfd */
	ck_assert_int_eq(feature(dfd, h + 4, SET | 4, &efd, 4), -EINVAL);
	ck_assert_int_eq(feature(dfd, h + 8, SET | 4, &minus1, 4), -EINVAL);
	ck_assert_int_eq(feature(dfd, h + 8, SET | 4, &bad, 4), -EBADF);
	ck_assert_int_eq(feature(dfd, h + 8, SET | 4, &dfd, 4), -EINVAL);
	ck_assert_int_eq(feature(dfd, h + 8, SET | 4, &efd, 4), 0);
	/* suspended, the device is resumed by the next access
	 * (vfio_pci_core_runtime_resume): the wakeup eventfd is signalled and
	 * low power left, so this entry succeeds - a region read as an ioctl
	 * (vfio_pci_rw, vfio_device_fops_unl_ioctl) */
	ck_assert_uint_eq(efd_count(efd), 0);
	ck_assert_int_eq(feature(dfd, h, SET | ENTRY, NULL, 0), 0);
	ck_assert_uint_eq(efd_count(efd), 1);
	ck_assert_int_eq(feature(dfd, h, SET | ENTRY, NULL, 0), -EINVAL);   /* no eventfd */
	ck_assert_int_eq(feature(dfd, h, SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0), 0);
	ck_assert_int_eq(feature(dfd, h + 8, SET | 4, &efd, 4), 0);
	(void)cfg32(dfd, 0);
	ck_assert_uint_eq(efd_count(efd), 2);
	ck_assert_int_eq(feature(dfd, h, SET | ENTRY, NULL, 0), 0);
}
END_TEST

/* ---- reset methods (pci_reset_fn_methods, vfio_pci_core_enable's reset_works) ---------- */

static const char RESETS[] =
	"name: resets\n"
	"topology:\n"
	"  - {bdf: \"0000:00:03.0\", type: pci-device, driver: vfio-pci, caps: {resets: []}}\n"
	"  - {bdf: \"0000:00:04.0\", type: pci-device, driver: vfio-pci, caps: {resets: [pm]}}\n"
	"  - {bdf: \"0000:00:05.0\", type: rc-endpoint, driver: vfio-pci, caps: {resets: [flr]}}\n"
	"  - {bdf: \"0000:00:06.0\", type: pci-device, driver: vfio-pci, caps: {resets: [af-flr]}}\n"
	"  - {bdf: \"0000:00:1c.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:1c.0\", driver: vfio-pci,\n"
	"     caps: {resets: []}}\n"
	"  - {bdf: \"0000:00:1d.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:00:1d.0\", driver: vfio-pci,\n"
	"     multifunction: true, caps: {resets: []}}\n"
	"  - {bdf: \"0000:02:00.1\", type: endpoint, parent: \"0000:00:1d.0\", driver: vfio-pci,\n"
	"     multifunction: true, caps: {resets: []}}\n";

START_TEST(test_reset_methods)
{
	static const struct { const char *bdf; bool works; } want[] = {
		{ "0000:00:03.0", false },   /* nothing, on the root bus */
		{ "0000:00:04.0", true },    /* pci_pm_reset: No_Soft_Reset clear */
		{ "0000:00:05.0", true },    /* pcie_reset_flr: DEVCAP FLR */
		{ "0000:00:06.0", true },    /* pci_af_flr */
		{ "0000:01:00.0", true },    /* pci_parent_bus_reset: alone below a port */
		{ "0000:02:00.0", false },   /* not alone on its bus */
	};

	teardown();
	boot_from(RESETS, "resets");
	as(1);
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		struct vfio_device_info di = { .argsz = sizeof(di) };
		int cfd, gfd;
		long dfd;

		usage(want[i].bdf, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
		dfd = device_fd(gfd, want[i].bdf);
		ck_assert_int_ge(dfd, 0);
		ck_assert_int_eq(io((int)dfd, VFIO_DEVICE_GET_INFO, &di, sizeof(di)), 0);
		ck_assert_uint_eq(di.flags, VFIO_DEVICE_FLAGS_PCI |
				  (want[i].works ? VFIO_DEVICE_FLAGS_RESET : 0));
		/* vfio_pci_ioctl_reset: -EINVAL when !reset_works */
		ck_assert_int_eq(ioc((int)dfd, VFIO_DEVICE_RESET, 0), want[i].works ? 0 : -EINVAL);
		ck_assert_int_eq(sim_sys_close(W, PID, (int)dfd), 0);
		ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
		ck_assert_int_eq(sim_sys_close(W, PID, cfd), 0);
	}
}
END_TEST

/* caps.resets against the device: an FLR in DEVCAP needs PCI Express, a
 * bridge takes none, and a model's methods are its own. */
START_TEST(test_reset_topology_errors)
{
	struct pci_dev_spec sp = {
		.sbdf = PCI_SBDF(0, 0, PCI_DEVFN(3, 0)), .type = PCI_TYPE_PCI_DEVICE,
		.acs_quirk = -1, .has_resets = true, .resets = PCI_RESET_FLR,
	};
	struct pci_build_error err;

	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_int_eq(err.key, PCI_KEY_CAPS);
	ck_assert_ptr_nonnull(strstr(err.msg, "af-flr"));
	sp.resets = PCI_RESET_AF | PCI_RESET_PM;
	ck_assert_int_eq(build_one(&sp, &err), 0);
	sp.type = PCI_TYPE_PCI_BRIDGE;
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	sp.type = PCI_TYPE_PCI_DEVICE;
	sp.vendor = 0x1234;                       /* edu: no reset method */
	sp.device = 0x11e8;
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "whose resets are none"));
	sp.resets = 0;
	ck_assert_int_eq(build_one(&sp, &err), 0);
}
END_TEST

/* ---- interrupts delivered (sim_dev_irq) --------------------------------------------------- */

/* MSI-X: an entry is unmasked while vfio-pci has an eventfd on its vector
 * (vfio_msi_set_vector_signal: request_irq / free_irq); a message to a
 * masked entry sets its PBA bit, which the BAR shows, and goes out when
 * the vector gets an eventfd.  MSI: each vector the kernel enabled. */
START_TEST(test_irq_delivery_msi)
{
	int dfd = open_dev_a();
	int32_t a = new_eventfd(), b = new_eventfd(), fds[3];

	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSIX, 0), SIM_IRQ_DISABLED);
	fds[0] = a;
	fds[1] = b;
	fds[2] = -1;
	ck_assert_uint_eq(cfg32(dfd, 0x58) >> 16 & 0x8000, 0);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 2, 0, 3, fds, 12), 0);
	/* the interrupt state read back: MSI-X enable in the capability
	 * (pci_alloc_irq_vectors), shown through the config region */
	ck_assert_uint_eq(cfg32(dfd, 0x58) >> 16 & 0xc000, 0x8000);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSIX, 1), SIM_IRQ_SENT);
	ck_assert_uint_eq(efd_count(b), 1);
	ck_assert_uint_eq(efd_count(a), 0);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSIX, 2), SIM_IRQ_PENDING);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSIX, 4), SIM_IRQ_PENDING);
	/* the PBA after the table (BAR 0 + 0x50): bits 2 and 4 */
	ck_assert_uint_eq(bar32(dfd, 0, 0x50), 0x14);
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 2, 2, 1, &a, 4), 0);
	ck_assert_uint_eq(efd_count(a), 1);
	ck_assert_uint_eq(bar32(dfd, 0, 0x50), 0x10);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSIX, 5), -EINVAL);
	/* a reset clears the PBA and masks the table; pci_restore_msi_state
	 * puts the kernel's mask bits back, so vector 1 still delivers and
	 * vector 3 (no eventfd) stays masked */
	ck_assert_int_eq(ioc(dfd, VFIO_DEVICE_RESET, 0), 0);
	ck_assert_uint_eq(bar32(dfd, 0, 0x50), 0);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSIX, 1), SIM_IRQ_SENT);
	ck_assert_uint_eq(efd_count(b), 2);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSIX, 3), SIM_IRQ_PENDING);
	/* MSI-X off: nothing is sent */
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, 2, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSIX, 1), SIM_IRQ_DISABLED);
	ck_assert_uint_eq(efd_count(b), 2);
	ck_assert_uint_eq(cfg32(dfd, 0x58) >> 16 & 0x8000, 0);
	/* MSI with 2 of its 4 vectors: vector 3 is not enabled (MME) */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 1, 0, 2, fds, 8), 0);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSI, 1), SIM_IRQ_SENT);
	ck_assert_uint_eq(efd_count(b), 3);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSI, 3), SIM_IRQ_DISABLED);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_MSI, 4), -EINVAL);
	/* the public call's own errors */
	ck_assert_int_eq(sim_dev_irq(W, "0000:09:00.0", SIM_IRQ_MSI, 0), -ENODEV);
	ck_assert_int_eq(sim_dev_irq(W, "zz", SIM_IRQ_MSI, 0), -EINVAL);
	ck_assert_int_eq(sim_dev_irq(NULL, DEV_A, SIM_IRQ_MSI, 0), -EINVAL);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, 3, 0), -EINVAL);
}
END_TEST

/* INTx: vfio_intx_handler masks on assert (AUTOMASKED) and signals once;
 * a line still up at UNMASK signals again (vfio_pci_intx_unmask_handler
 * finds it pending); the unmask eventfd (vfio_virqfd_enable: -EBUSY when
 * one is set) unmasks when written. */
START_TEST(test_irq_delivery_intx)
{
	int dfd = open_dev_a();
	int32_t t = new_eventfd(), u = new_eventfd(), u2 = new_eventfd(), m1 = -1;
	uint8_t one = 1;

	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, 0, 0, 1, &t, 4), 0);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_INTX, 1), SIM_IRQ_SENT);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_INTX, 1), SIM_IRQ_UNCHANGED);
	ck_assert_uint_eq(efd_count(t), 1);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_INTX, 0), SIM_IRQ_SENT);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_INTX, 1), SIM_IRQ_SENT);
	ck_assert_uint_eq(efd_count(t), 1);                   /* still masked */
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_BOOL, 0, 0,
				  1, &one, 1), 0);
	ck_assert_uint_eq(efd_count(t), 2);                   /* pending: again */
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_INTX, 0), SIM_IRQ_SENT);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_EVENTFD, 0, 0,
				  1, &u, 4), 0);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_EVENTFD, 0, 0,
				  1, &u2, 4), -EBUSY);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_INTX, 1), SIM_IRQ_SENT);
	ck_assert_uint_eq(efd_count(t), 2);                   /* masked since the resend */
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_INTX, 0), SIM_IRQ_SENT);
	efd_write(u, 1);                                       /* line low: unmasked, silent */
	ck_assert_uint_eq(efd_count(t), 2);
	ck_assert_int_eq(sim_dev_irq(W, DEV_A, SIM_IRQ_INTX, 1), SIM_IRQ_SENT);
	ck_assert_uint_eq(efd_count(t), 3);
	efd_write(u, 1);                                       /* the unmask eventfd */
	ck_assert_uint_eq(efd_count(u), 0);                   /* consumed */
	ck_assert_uint_eq(efd_count(t), 4);                   /* still up: again */
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_EVENTFD, 0, 0,
				  1, &m1, 4), 0);
	ck_assert_int_eq(set_irqs(dfd, VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_EVENTFD, 0, 0,
				  1, &u2, 4), 0);
	ck_assert_int_eq(sim_dev_irq(W, "0000:02:00.0", SIM_IRQ_INTX, 2), -EINVAL);
}
END_TEST

/* Zero-length read and write: vfio_pci_core_read / _write return 0 before
 * vfio_pci_rw looks at anything - a bad region index, a BAR's end, an
 * absent BAR, memory decode off (seen on 6.1 and 6.12: vfio.device*.rw0.*). */
START_TEST(test_zero_length_rw)
{
	int dfd = open_dev_a();
	uint8_t b = 0x5a;

	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &b, 0, REGION(7)), 0);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &b, 0, REGION(7) + 4), 0);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &b, 0, REGION(0) + 0x100), 0);
	cfg_write32(dfd, 0x04, 0x0);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &b, 0, REGION(0) + 0x100), 0);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &b, 0, REGION(0) + (128 << 10)), 0);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &b, 0, REGION(1)), 0);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &b, 0, REGION(12)), 0);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &b, 1, REGION(12)), -EINVAL);
	ck_assert_uint_eq(b, 0x5a);
	cfg_write32(dfd, 0x04, 0x2);
	ck_assert_uint_eq(bar32(dfd, 0, 0x100), 0);
}
END_TEST

/* A conventional PCI function: 256 bytes of config space, no ERR irq. */
START_TEST(test_device_conventional)
{
	int cfd, gfd;
	long dfd;
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_ERR_IRQ_INDEX };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX };

	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "none"), 0);
	usage(DEV_C, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	dfd = device_fd(gfd, DEV_C);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(io((int)dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), 0);
	ck_assert_uint_eq(ri.size, 256);
	ck_assert_int_eq(io((int)dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), -EINVAL);
	ck_assert_uint_eq(cfg32((int)dfd, 0x0c) >> 16 & 0xff, 0x80);   /* multifunction */
}
END_TEST

/* Unbinding vfio-pci revokes the group (the kernel's vfio_device_remove_group):
 * without device fds the container is detached at once; with one open (the
 * kernel would wait) its ioctls fail with ENODEV and the close cleans up. */
START_TEST(test_unbind_while_open)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int cfd, gfd, cfd2;
	long dfd;

	usage(DEV_A, VFIO_TYPE1v2_IOMMU, &cfd, &gfd);
	ck_assert_int_eq(map(cfd, BUF, 0, 0x2000, RW), 0);
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "none"), 0);
	inv();
	ck_assert_uint_eq(locked(PID), 0);
	ck_assert_int_eq(io(gfd, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), -ENODEV);
	ck_assert_int_eq(set_container(gfd, cfd), -ENODEV);
	ck_assert_int_eq(device_fd(gfd, DEV_A), -ENODEV);
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	inv();
	/* bound again: a device fd open across the unbind */
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "vfio-pci"), 0);
	cfd2 = open_path("/dev/vfio/vfio");
	gfd = open_group(DEV_A);
	ck_assert_int_eq(set_container(gfd, cfd2), 0);
	ck_assert_int_eq(ioc(cfd2, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_int_eq(map(cfd2, BUF, 0, 0x1000, RW), 0);
	dfd = device_fd(gfd, DEV_A);
	ck_assert_int_ge(dfd, 0);
	/* vfio_unregister_group_dev waits for the open device fd: the unbind
	 * pends (PCI_UNBIND_PENDING), the device left the group's list, the
	 * fd still works; its last close completes the unbind */
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "none"), 1);
	inv();
	ck_assert_int_eq(device_fd(gfd, DEV_A), -ENODEV);
	ck_assert_int_ne(ioc((int)dfd, VFIO_DEVICE_RESET, 0), -ENODEV);
	ck_assert_int_eq(sim_sys_close(W, PID, gfd), 0);
	ck_assert_uint_eq(locked(PID), 1);
	ck_assert_int_eq(sim_sys_close(W, PID, (int)dfd), 0);
	inv();
	ck_assert_uint_eq(locked(PID), 0);
}
END_TEST
static Suite *vfio_pci_suite(void)
{
	Suite *s = suite_create("vfio_pci");
	TCase *tc = tcase_create("legacy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_device_info_regions);
	tcase_add_test(tc, test_device_config_and_bars);
	tcase_add_test(tc, test_device_irqs);
	tcase_add_test(tc, test_device_irqs_by_kernel);
	tcase_add_test(tc, test_device_conventional);
	tcase_add_test(tc, test_unbind_while_open);
	tcase_add_test(tc, test_ioeventfd);
	tcase_add_test(tc, test_ioeventfd_by_kernel);
	tcase_add_test(tc, test_device_feature);
	tcase_add_test(tc, test_reset_methods);
	tcase_add_test(tc, test_reset_topology_errors);
	tcase_add_test(tc, test_irq_delivery_msi);
	tcase_add_test(tc, test_irq_delivery_intx);
	tcase_add_test(tc, test_zero_length_rw);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(vfio_pci_suite());
}
