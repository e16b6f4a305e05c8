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
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "none"), 0);
	inv();
	ck_assert_int_eq(ioc((int)dfd, VFIO_DEVICE_RESET, 0), -ENODEV);
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(vfio_pci_suite());
}
