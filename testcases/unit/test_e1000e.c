/* SPDX-License-Identifier: MIT */
/*
 * QEMU's e1000e as a device model (model/pci/e1000e.c) and the
 * configuration spaces the PCI layer builds (model/pci/config.c: a
 * model's layout and the firmware's state, or the synthesized one), then
 * what vfio-pci makes of them (model/vfio/pci_config.c,
 * vfio_config_init / vfio_config_do_rw and the permission bits), the
 * MSIX_MAPPABLE region capability and the MSI-X table hole of BAR reads
 * (vfio_pci_ioctl_get_region_info, vfio_pci_core_do_io_rw), the hot-reset
 * ioctls (vfio_pci_ioctl_get_pci_hot_reset_info,
 * vfio_pci_ioctl_pci_hot_reset, vfio_pci_dev_set_hot_reset) and
 * eventfd-only triggers (eventfd_ctx_fdget).  The expected values of the
 * config space are what a guest under Linux 6.1 and 6.12 read from QEMU
 * 7.2's e1000e through vfio-pci (docs/devices.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <linux/vfio.h>

#include "unit_common.h"
#include "vfio_fixture.h"
#include "sim/eventfd.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/iommu/group.h"
#include "model/pci/devmodel.h"
#include "model/pci/pci.h"
#include "model/pci/pci_internal.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"
#include "tools/scenario/scenario.h"
#include "iommusim/iommusim.h"

#define NIC "0000:01:00.0"          /* e1000e below a root port */
#define NIC_RC "0000:00:05.0"       /* e1000e on the root bus: an integrated endpoint */
#define E1000 "0000:00:03.0"        /* QEMU's e1000: no model, but a NIC QEMU numbers */
#define SYN_A "0000:02:00.0"        /* synthesized, each in its own group (ACS) */
#define SYN_B "0000:02:00.1"
#define PAIR_A "0000:03:00.0"       /* synthesized, one group (no ACS) */
#define PAIR_B "0000:03:00.1"

#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define BAR(i) ((uint64_t)(i) << 40)

static const char *const TOPOLOGY =
	"topology:\n"
	"  - {bdf: \"0000:00:00.0\", type: pci-device, vendor: 0x8086, device: 0x29c0}\n"
	"  - {bdf: \"0000:00:03.0\", type: pci-device, vendor: 0x8086, device: 0x100e}\n"
	"  - {bdf: \"0000:00:04.0\", type: root-port, acs: [SV, TB, RR, CR, UF, DT]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:04.0\",\n"
	"     vendor: 0x8086, device: 0x10d3, driver: vfio-pci}\n"
	"  - {bdf: \"0000:00:05.0\", type: rc-endpoint, vendor: 0x8086, device: 0x10d3,\n"
	"     driver: vfio-pci}\n"
	"  - {bdf: \"0000:00:06.0\", type: root-port, acs: [SV, TB, RR, CR, UF, DT]}\n"
	"  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:00:06.0\",\n"
	"     multifunction: true, acs: [SV, RR, CR, UF], driver: vfio-pci,\n"
	"     bars: {0: {size: 16K}},\n"
	"     irqs: {intx: true, msi: 4, msix: 8}}\n"
	"  - {bdf: \"0000:02:00.1\", type: endpoint, parent: \"0000:00:06.0\",\n"
	"     multifunction: true, acs: [SV, RR, CR, UF], driver: vfio-pci}\n"
	"  - {bdf: \"0000:00:07.0\", type: root-port, acs: [SV, TB, RR, CR, UF, DT]}\n"
	"  - {bdf: \"0000:03:00.0\", type: endpoint, parent: \"0000:00:07.0\",\n"
	"     multifunction: true, driver: vfio-pci,\n"
	"     bars: {0: {size: 8K, type: mem64, prefetchable: true}}}\n"
	"  - {bdf: \"0000:03:00.1\", type: endpoint, parent: \"0000:00:07.0\",\n"
	"     multifunction: true, driver: vfio-pci}\n"
	"  - {bdf: \"0000:00:1e.0\", type: pcie-to-pci-bridge}\n"
	"  - {bdf: \"0000:06:02.0\", type: pci-device, parent: \"0000:00:1e.0\",\n"
	"     vendor: 0x1234, device: 0x11e8, driver: vfio-pci}\n"
	"  - {bdf: \"0000:06:03.0\", type: pci-bridge, parent: \"0000:00:1e.0\"}\n"
	"  - {bdf: \"0000:07:01.0\", type: pci-device, parent: \"0000:06:03.0\"}\n"
	"  - {bdf: \"0000:00:19.0\", type: pci-device, vendor: 0x1234, device: 0x11e8}\n"
	"  - {bdf: \"0000:00:02.0\", type: pci-device, vendor: 0x1234, device: 0x11e8}\n";

static void boot_kernel(const char *kernel)
{
	char *text = g_strconcat("name: e1000e-unit\nprofile:\n  kernel: \"", kernel,
				 "\"\n  iommu: {address_width: 39}\n", TOPOLOGY, NULL);

	boot_from(text, "<e1000e>");
	g_free(text);
	as(1);
}

static void e_setup(void)
{
	boot_kernel("mainline");
}

static struct pci_dev *dev(const char *bdf)
{
	uint32_t sbdf;

	ck_assert_int_eq(pci_sbdf_parse(bdf, &sbdf), 0);
	return pci_dev_find(W, sbdf);
}

static struct vfio_pci_device *vdev_of(const char *bdf)
{
	struct vfio_state *v = sim_world_subsys(W, SIM_SUBSYS_VFIO);

	return g_hash_table_lookup(v->devices, dev(bdf));
}

static int CFD, GFD;

/* Container, group and type1 v2 for @bdf; the device fd. */
static int open_dev(const char *bdf)
{
	long dfd;

	usage(bdf, VFIO_TYPE1v2_IOMMU, &CFD, &GFD);
	dfd = device_fd(GFD, bdf);
	ck_assert_int_ge(dfd, 0);
	return (int)dfd;
}

static uint32_t cfg(int dfd, unsigned off, unsigned n)
{
	uint32_t v = 0;

	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, n, CFG + off), n);
	return v;
}

static void cfgw(int dfd, unsigned off, uint32_t v, unsigned n)
{
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, n, CFG + off), n);
}

static int32_t new_eventfd(void)
{
	long fd = sim_sys_eventfd(W, PID, 0, SIM_EFD_NONBLOCK);

	ck_assert_int_ge(fd, 0);
	return (int32_t)fd;
}

static uint64_t take(int efd)
{
	uint64_t v = 0;
	long ret = sim_sys_read_k(W, PID, efd, &v, sizeof(v));

	ck_assert_msg(ret == 8 || ret == -EAGAIN, "read %ld", ret);
	return ret == 8 ? v : 0;
}

/* ---- the model and the device's own config space ------------------------------------ */

START_TEST(test_model_table)
{
	const struct pci_devmodel *m = pci_devmodel_find(0x8086, 0x10d3);

	ck_assert_ptr_eq(m, &pci_devmodel_e1000e);
	ck_assert_uint_eq(m->class_code, 0x020000);
	ck_assert_uint_eq(m->revision, 0);
	ck_assert_uint_eq(m->subsystem_vendor, 0x8086);
	ck_assert_uint_eq(m->subsystem_id, 0);
	ck_assert_uint_eq(m->types, PCI_DEVMODEL_TYPE(PCI_TYPE_ENDPOINT) |
			  PCI_DEVMODEL_TYPE(PCI_TYPE_RC_ENDPOINT));
	ck_assert_uint_eq(m->bars[3].size, 16u << 10);
	ck_assert_uint_eq(m->msix_vectors, 5);
	ck_assert_uint_eq(m->resets, PCI_DEVMODEL_RESET_PM);
	ck_assert_ptr_null(pci_devmodel_find(0x8086, 0x100e));      /* e1000: none */
}
END_TEST

/* e1000e_pci_realize's layout, with the state SeaBIOS leaves behind
 * (pci_bios_init_device): every dword a guest reads from the function. */
START_TEST(test_device_layout)
{
	static const struct { unsigned off; uint32_t ep, rc; } want[] = {
		{ 0x000, 0x10d38086, 0x10d38086 }, { 0x004, 0x00100103, 0x00100103 },
		{ 0x008, 0x02000000, 0x02000000 }, { 0x018, 0x00000001, 0x00000001 },
		{ 0x02c, 0x00008086, 0x00008086 },
		{ 0x034, 0x000000c8, 0x000000c8 }, { 0x03c, 0x0000010a, 0x0000010a },
		{ 0x0a0, 0x00040011, 0x00040011 }, { 0x0a4, 0x00000003, 0x00000003 },
		{ 0x0a8, 0x00002003, 0x00002003 }, { 0x0c8, 0x0022d001, 0x0022d001 },
		{ 0x0d0, 0x0080e005, 0x0080e005 }, { 0x0e0, 0x0001a010, 0x0091a010 },
		{ 0x0e4, 0x00008000, 0x00008000 }, { 0x0ec, 0x00000411, 0x00000411 },
		{ 0x0f0, 0x00110000, 0x00110000 }, { 0x100, 0x14020001, 0x14020001 },
		{ 0x10c, 0x00462030, 0x00462030 }, { 0x114, 0x0000e000, 0x0000e000 },
		{ 0x118, 0x000000a0, 0x000000a0 }, { 0x140, 0x00010003, 0x00010003 },
		/* the DSN: 52:54:00:12:34:57 and :58, the e1000 took :56 */
		{ 0x144, 0xff123457, 0xff123458 }, { 0x148, 0x525400ff, 0x525400ff },
	};
	struct pci_dev *ep = dev(NIC), *rc = dev(NIC_RC);

	ck_assert_ptr_eq(ep->model, &pci_devmodel_e1000e);
	ck_assert_uint_eq(ep->config.size, 4096);
	for (unsigned off = 0; off < 4096; off += 4) {
		uint32_t e = 0, r = 0;

		for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
			if (want[i].off == off) {
				e = want[i].ep;
				r = want[i].rc;
			}
		ck_assert_msg(pci_config_read(ep, off, 4) == e,
			      "endpoint 0x%03x: 0x%08x, want 0x%08x", off,
			      pci_config_read(ep, off, 4), e);
		ck_assert_msg(pci_config_read(rc, off, 4) == r, "rc 0x%03x: 0x%08x, want 0x%08x",
			      off, pci_config_read(rc, off, 4), r);
	}
	ck_assert_uint_eq(pci_config_find_cap(ep, 0x01), 0xc8);
	ck_assert_uint_eq(pci_config_find_cap(ep, 0x05), 0xd0);
	ck_assert_uint_eq(pci_config_find_cap(ep, 0x10), 0xe0);
	ck_assert_uint_eq(pci_config_find_cap(ep, 0x11), 0xa0);
	ck_assert_uint_eq(pci_config_find_cap(ep, 0x09), 0);
	ck_assert_uint_eq(pci_config_find_ext_cap(ep, 0x0001), 0x100);
	ck_assert_uint_eq(pci_config_find_ext_cap(ep, 0x0003), 0x140);
	ck_assert_uint_eq(pci_config_find_ext_cap(ep, 0x000d), 0);
	ck_assert_uint_eq(pci_config_find_ext_cap(dev(SYN_A), 0x0001), 0);   /* no list */
	ck_assert_uint_eq(pci_config_find_ext_cap(dev(E1000), 0x0001), 0);  /* 256 bytes */
	ck_assert_uint_eq(pci_config_find_cap(NULL, 0x01), 0);
	ck_assert_uint_eq(pci_config_find_ext_cap(NULL, 0x01), 0);
}
END_TEST

/* What a configuration write changes on QEMU's e1000e (pci_init_wmask,
 * the capabilities' masks), and the accesses nothing answers. */
START_TEST(test_device_write_masks)
{
	struct pci_dev *d = dev(NIC);

	pci_config_write(d, 0x04, 2, 0xffff);
	ck_assert_uint_eq(pci_config_read(d, 0x04, 2), 0x0507);
	pci_config_write(d, 0x04, 2, 0x0103);
	pci_config_write(d, 0x0c, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0x0c, 4), 0xff);    /* cache line only */
	pci_config_write(d, 0x00, 4, 0);
	ck_assert_uint_eq(pci_config_read(d, 0x00, 4), 0x10d38086);
	pci_config_write(d, 0x10, 4, 0xffffffff);                 /* the sizing protocol */
	ck_assert_uint_eq(pci_config_read(d, 0x10, 4), 0xfffe0000);
	pci_config_write(d, 0x18, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0x18, 4), 0xffffffe1);
	/* PMCSR: state, PME enable, data select; PME status write-1-to-clear */
	pci_config_write(d, 0xcc, 2, 0xffff);
	ck_assert_uint_eq(pci_config_read(d, 0xcc, 2), 0x1f03);
	d->config.data[0xcd] |= 0x80;
	pci_config_write(d, 0xcc, 2, 0x8000);
	ck_assert_uint_eq(pci_config_read(d, 0xcc, 2), 0);
	/* MSI: enable and Multiple Message Enable, address and data */
	pci_config_write(d, 0xd2, 2, 0xffff);
	ck_assert_uint_eq(pci_config_read(d, 0xd2, 2), 0x00f1);
	pci_config_write(d, 0xd4, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0xd4, 4), 0xfffffffc);
	/* MSI-X: enable and function mask only */
	pci_config_write(d, 0xa0, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0xa0, 4), 0xc0040011);
	ck_assert(pci_config_msix_enabled(d));
	/* the PCI Express capability is read-only */
	pci_config_write(d, 0xe8, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0xe8, 4), 0);
	/* AER: status write-1-to-clear, severity and masks as QEMU's */
	d->config.data[0x104] = 0x30;
	pci_config_write(d, 0x104, 4, 0x10);
	ck_assert_uint_eq(pci_config_read(d, 0x104, 4), 0x20);
	pci_config_write(d, 0x108, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0x108, 4), 0);
	pci_config_write(d, 0x10c, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0x10c, 4), 0x03fff030);
	pci_config_write(d, 0x118, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0x118, 4), 0x1e0);
	pci_config_write(d, 0x144, 4, 0);                         /* the DSN is read-only */
	ck_assert_uint_eq(pci_config_read(d, 0x144, 4), 0xff123457);
	/* what no capability claims is storage, in the extended space too */
	pci_config_write(d, 0x40, 4, 0x12345678);
	ck_assert_uint_eq(pci_config_read(d, 0x40, 4), 0x12345678);
	pci_config_write(d, 0xde, 2, 0xbeef);
	ck_assert_uint_eq(pci_config_read(d, 0xde, 2), 0xbeef);
	pci_config_write(d, 0x14c, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0x14c, 4), 0xffffffff);
	/* beyond the space, or a size that is no access: all ones, dropped */
	ck_assert_uint_eq(pci_config_read(d, 4096, 1), 0xff);
	ck_assert_uint_eq(pci_config_read(d, 4094, 4), 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0, 3), 0xffffff);
	ck_assert_uint_eq(pci_config_read(dev(E1000), 256, 2), 0xffff);
	pci_config_write(d, 4095, 2, 0);
	pci_config_write(d, 0x40, 3, 0);
	ck_assert_uint_eq(pci_config_read(d, 0x40, 4), 0x12345678);
	ck_assert_uint_eq(pci_config_read(NULL, 0, 4), 0xffffffff);
	pci_config_write(NULL, 0, 4, 0);
}
END_TEST

/* The enable bits the kernel's MSI code programs. */
START_TEST(test_msi_enable_bits)
{
	struct pci_dev *s = dev(SYN_A), *e = dev(E1000), *n = dev(NIC);

	pci_config_msi_enable(s, true, 3);
	ck_assert(pci_config_msi_enabled(s));
	ck_assert_uint_eq(pci_config_read(s, 0x42, 2), 0x00a5);    /* MME 2: four */
	pci_config_msi_enable(s, false, 0);
	ck_assert_uint_eq(pci_config_read(s, 0x42, 2), 0x0084);
	pci_config_msix_enable(s, true);
	ck_assert(pci_config_msix_enabled(s));
	pci_config_msix_enable(s, false);
	ck_assert(!pci_config_msix_enabled(s));
	/* without the capability: nothing */
	pci_config_msi_enable(e, true, 1);
	pci_config_msix_enable(e, true);
	ck_assert(!pci_config_msi_enabled(e));
	ck_assert(!pci_config_msix_enabled(e));
	/* the seam's view: a model function with MSI vectors */
	pci_devmodel_set_msi_enabled(n, true);
	ck_assert(pci_devmodel_msi_enabled(n));
	ck_assert_uint_eq(pci_config_read(n, 0xd2, 2), 0x0081);
	pci_devmodel_reset(n);                                     /* the device side */
	ck_assert(!pci_devmodel_msi_enabled(n));
	pci_config_msix_enable(n, true);
	pci_devmodel_reset(n);
	ck_assert(!pci_config_msix_enabled(n));
}
END_TEST

/* A function without a model: the layout vfio-pci showed before models. */
START_TEST(test_synthesized_layout)
{
	struct pci_dev *s = dev(SYN_A), *b = dev(SYN_B), *e = dev(E1000);

	ck_assert_uint_eq(pci_config_read(s, 0x00, 4), (uint32_t)s->device << 16 | s->vendor);
	ck_assert_uint_eq(pci_config_read(s, 0x04, 4), 0x00100000);    /* no firmware */
	ck_assert_uint_eq(pci_config_read(s, 0x08, 4), 0xff000000);
	ck_assert_uint_eq(pci_config_read(s, 0x0c, 4), 0x00800000);    /* multifunction */
	ck_assert_uint_eq(pci_config_read(s, 0x2c, 4), pci_config_read(s, 0x00, 4));
	ck_assert_uint_eq(pci_config_read(s, 0x34, 1), 0x40);
	ck_assert_uint_eq(pci_config_read(s, 0x3c, 4), 0x00000100);
	ck_assert_uint_eq(pci_config_read(s, 0x40, 4), 0x00845805);    /* MSI, 4 vectors */
	ck_assert_uint_eq(pci_config_read(s, 0x58, 4), 0x00076411);    /* MSI-X, 8 */
	ck_assert_uint_eq(pci_config_read(s, 0x5c, 4), 0);             /* table: BAR 0 */
	ck_assert_uint_eq(pci_config_read(s, 0x60, 4), 0x80);          /* PBA after it */
	ck_assert_uint_eq(pci_config_read(s, 0x64, 4), 0x00020010);    /* PCIe v2 */
	ck_assert_uint_eq(pci_config_read(s, 0x100, 4), 0);
	/* the specification's endpoint command bits; nothing else writable */
	pci_config_write(s, 0x04, 2, 0xffff);
	ck_assert_uint_eq(pci_config_read(s, 0x04, 2), 0x0547);
	pci_config_write(s, 0x80, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(s, 0x80, 4), 0);
	/* no MSI, no MSI-X: only the PCI Express capability */
	ck_assert_uint_eq(pci_config_read(b, 0x34, 1), 0x40);
	ck_assert_uint_eq(pci_config_read(b, 0x40, 4), 0x00020010);
	/* conventional, no interrupts: only the reset it gets by default, an
	 * Advanced Features capability with Transactions Pending and FLR
	 * (pci_af_flr), Initiate FLR the only writable bit */
	ck_assert_uint_eq(e->config.size, 256);
	ck_assert_uint_eq(pci_config_read(e, 0x04, 4), 0x00100000);
	ck_assert_uint_eq(pci_config_read(e, 0x34, 1), 0x40);
	ck_assert_uint_eq(pci_config_read(e, 0x40, 4), 0x03060013);
	pci_config_write(e, 0x44, 2, 0xffff);
	ck_assert_uint_eq(pci_config_read(e, 0x44, 2), 0x0001);
	/* a PCI Express function's default reset is the FLR bit of DEVCAP */
	ck_assert_uint_eq(pci_config_read(s, 0x68, 4), 0x10000000);
}
END_TEST

/* SeaBIOS's interrupt line (q35's mch_pci_slot_get_irq) and command bits:
 * the models only; a synthesized function has no firmware state. */
START_TEST(test_firmware_state)
{
	/* slot 2 on the root bus, pin A: PIRQ C, IRQ 11 (a guest reads 11 for
	 * edu in slot 3: PIRQ D) */
	ck_assert_uint_eq(pci_config_read(dev("0000:00:02.0"), 0x3c, 1), 11);
	ck_assert_uint_eq(pci_config_read(dev("0000:00:19.0"), 0x3c, 1), 10);  /* slot 25: LNKA */
	ck_assert_uint_eq(pci_config_read(dev(NIC_RC), 0x3c, 1), 10);      /* slot 5: PIRQ B */
	ck_assert_uint_eq(pci_config_read(dev(NIC), 0x3c, 1), 10);         /* below slot 4: A */
	/* below the bridge at slot 30: device 2 on the way, no slot term: C */
	ck_assert_uint_eq(pci_config_read(dev("0000:06:02.0"), 0x3c, 1), 11);
	/* edu has no I/O BAR, yet SeaBIOS sets I/O decode with SERR# */
	ck_assert_uint_eq(pci_config_read(dev("0000:06:02.0"), 0x04, 2), 0x0103);
	ck_assert_uint_eq(pci_config_read(dev(SYN_A), 0x3c, 1), 0);
	ck_assert_uint_eq(pci_config_read(dev(E1000), 0x04, 2), 0);
}
END_TEST

START_TEST(test_edu_layout)
{
	struct pci_dev *d = dev("0000:00:19.0");

	ck_assert_uint_eq(d->config.size, 256);
	ck_assert_uint_eq(pci_config_read(d, 0x04, 4), 0x00100103);
	ck_assert_uint_eq(pci_config_read(d, 0x08, 4), 0x00ff0010);
	ck_assert_uint_eq(pci_config_read(d, 0x2c, 4), 0x11001af4);
	ck_assert_uint_eq(pci_config_read(d, 0x34, 1), 0x40);
	ck_assert_uint_eq(pci_config_read(d, 0x40, 4), 0x00800005);
	ck_assert_uint_eq(pci_config_read(d, 0x10, 4), 0);             /* no address */
}
END_TEST

START_TEST(test_topology_types)
{
	struct pci_dev_spec sp = {
		.sbdf = PCI_SBDF(0, 0, PCI_DEVFN(5, 0)), .type = PCI_TYPE_RC_ENDPOINT,
		.acs_quirk = -1, .vendor = 0x8086, .device = 0x10d3,
	};
	struct pci_build_error err = { 0 };

	ck_assert_int_eq(build_one(&sp, &err), 0);
	sp.type = PCI_TYPE_LEGACY_ENDPOINT;
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_int_eq(err.key, PCI_KEY_TYPE);
	ck_assert_msg(strstr(err.msg, "0000:00:05.0 is e1000e (8086:10d3), an endpoint or "
			     "rc-endpoint, not a legacy-endpoint"), "%s", err.msg);
	sp.type = PCI_TYPE_RC_ENDPOINT;
	sp.msi_vectors = 2;
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "intx true, msi 1, msix 5"), "%s", err.msg);
}
END_TEST

/* ---- vfio-pci's view ----------------------------------------------------------------- */

/* Every dword a guest reads through vfio-pci's config region of QEMU's
 * e1000e at 01:00.0, but the BAR addresses SeaBIOS assigns (the simulator
 * assigns none: only the flag bits are there). */
START_TEST(test_vfio_view)
{
	static const struct { unsigned off; uint32_t v; } want[] = {
		{ 0x000, 0x10d38086 }, { 0x004, 0x00100103 }, { 0x008, 0x02000000 },
		{ 0x018, 0x00000001 }, { 0x02c, 0x00008086 }, { 0x034, 0x000000c8 },
		{ 0x03c, 0x0000010a }, { 0x0a0, 0x00040011 }, { 0x0a4, 0x00000003 },
		{ 0x0a8, 0x00002003 }, { 0x0c8, 0x0022d001 }, { 0x0d0, 0x0080e005 },
		{ 0x0e0, 0x0001a010 }, { 0x0e4, 0x00008000 }, { 0x0ec, 0x00000411 },
		{ 0x0f0, 0x00110000 }, { 0x100, 0x14020001 }, { 0x10c, 0x00462030 },
		{ 0x114, 0x0000e000 }, { 0x118, 0x000000a0 }, { 0x140, 0x00010003 },
		{ 0x144, 0xff123457 }, { 0x148, 0x525400ff },
	};
	int dfd = open_dev(NIC);

	for (unsigned off = 0; off < 4096; off += 4) {
		uint32_t w = 0;

		for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
			if (want[i].off == off)
				w = want[i].v;
		ck_assert_msg(cfg(dfd, off, 4) == w, "0x%03x: 0x%08x, want 0x%08x", off,
			      cfg(dfd, off, 4), w);
	}
	/* odd sizes and offsets are chopped as vfio_config_do_rw chops them */
	ck_assert_uint_eq(cfg(dfd, 0x01, 1), 0x80);
	ck_assert_uint_eq(cfg(dfd, 0x01, 2), 0xd380);
	ck_assert_uint_eq(cfg(dfd, 0x01, 3), 0x10d380);
	ck_assert_uint_eq(cfg(dfd, 0x01, 4), 0x0310d380);
	ck_assert_uint_eq(cfg(dfd, 0xd1, 2), 0x80e0);
	ck_assert_uint_eq(cfg(dfd, 0x102, 2), 0x1402);
	ck_assert_uint_eq(sim_sys_pread_k(W, PID, dfd, (uint8_t[8]){ 0 }, 8, CFG + 4092), -EFAULT);
	/* the sizing protocol on the virtual BARs */
	cfgw(dfd, 0x10, 0xffffffff, 4);
	ck_assert_uint_eq(cfg(dfd, 0x10, 4), 0xfffe0000);
	cfgw(dfd, 0x1c, 0xffffffff, 4);
	ck_assert_uint_eq(cfg(dfd, 0x1c, 4), 0xffffc000);
	cfgw(dfd, 0x20, 0xffffffff, 4);
	ck_assert_uint_eq(cfg(dfd, 0x20, 4), 0);
	cfgw(dfd, 0x30, 0xffffffff, 4);
	ck_assert_uint_eq(cfg(dfd, 0x30, 4), 0);
	ck_assert_uint_eq(pci_config_read(dev(NIC), 0x10, 4), 0);    /* the device's untouched */
}
END_TEST

/* A write of all ones, of zeros, and the old value back, at each dword,
 * through vfio-pci: what a guest reads after each (the permission bits of
 * vfio_pci_init_perm_bits over QEMU's write masks). */
START_TEST(test_vfio_writes)
{
	static const struct { unsigned off; uint32_t ones, zero, back; } want[] = {
		{ 0x004, 0x00100507, 0x00100000, 0x00100103 }, { 0x00c, 0xff, 0, 0 },
		{ 0x03c, 0x1ff, 0x100, 0x10a }, { 0x040, ~0u, 0, 0 }, { 0x044, ~0u, 0, 0 },
		{ 0x080, ~0u, 0, 0 }, { 0x0a0, 0x40011, 0x40011, 0x40011 },
		{ 0x0a4, 3, 3, 3 }, { 0x0a8, 0x2003, 0x2003, 0x2003 },
		{ 0x0c8, 0x22d001, 0x22d001, 0x22d001 }, { 0x0cc, 0x1e00, 0, 0 },
		{ 0x0d0, 0x8ee005, 0xe005, 0x80e005 }, { 0x0d4, ~0u, 0, 0 },
		{ 0x0d8, ~0u, 0, 0 }, { 0x0dc, ~0u, 0, 0 },
		{ 0x0e0, 0x1a010, 0x1a010, 0x1a010 }, { 0x0e4, 0x8000, 0x8000, 0x8000 },
		{ 0x0e8, 0x70e0, 0, 0 }, { 0x0ec, 0x411, 0x411, 0x411 },
		{ 0x0f0, 0x110000, 0x110000, 0x110000 }, { 0x0f4, ~0u, 0, 0 },
		{ 0x0f8, ~0u, 0, 0 }, { 0x100, 0x14020001, 0x14020001, 0x14020001 },
		{ 0x104, 0, 0, 0 }, { 0x108, 0, 0, 0 }, { 0x10c, 0x3fff030, 0, 0x462030 },
		{ 0x110, 0, 0, 0 }, { 0x114, 0xf1c1, 0, 0xe000 }, { 0x118, 0x1e0, 0xa0, 0xa0 },
		{ 0x11c, 0, 0, 0 }, { 0x120, 0, 0, 0 }, { 0x12c, 0, 0, 0 }, { 0x130, 0, 0, 0 },
		{ 0x134, 0, 0, 0 }, { 0x138, 0, 0, 0 }, { 0x140, 0x10003, 0x10003, 0x10003 },
		{ 0x144, 0xff123457, 0xff123457, 0xff123457 },
		{ 0x148, 0x525400ff, 0x525400ff, 0x525400ff }, { 0x14c, ~0u, 0, 0 },
		{ 0x150, ~0u, 0, 0 }, { 0xffc, ~0u, 0, 0 },
	};
	static const uint8_t msi_bytes[4] = { 0x05, 0xe0, 0x8e, 0x00 };
	int dfd = open_dev(NIC);

	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		unsigned o = want[i].off;
		uint32_t orig = cfg(dfd, o, 4);

		/* all ones but the power state: D3hot is test_vfio_power_state's */
		cfgw(dfd, o, o == 0xcc ? 0xfffffffc : 0xffffffff, 4);
		ck_assert_msg(cfg(dfd, o, 4) == want[i].ones, "0x%03x ones: 0x%x", o,
			      cfg(dfd, o, 4));
		cfgw(dfd, o, 0, 4);
		ck_assert_msg(cfg(dfd, o, 4) == want[i].zero, "0x%03x zero: 0x%x", o,
			      cfg(dfd, o, 4));
		cfgw(dfd, o, orig, 4);
		ck_assert_msg(cfg(dfd, o, 4) == want[i].back, "0x%03x back: 0x%x", o,
			      cfg(dfd, o, 4));
	}
	for (unsigned o = 0xd0; o < 0xd4; o++) {
		uint32_t orig = cfg(dfd, o, 1);

		cfgw(dfd, o, 0xff, 1);
		ck_assert_uint_eq(cfg(dfd, o, 1), msi_bytes[o - 0xd0]);
		cfgw(dfd, o, orig, 1);
	}
	/* the interrupt line is vconfig's, the device keeps the firmware's */
	cfgw(dfd, 0x3c, 0x55, 1);
	ck_assert_uint_eq(cfg(dfd, 0x3c, 1), 0x55);
	ck_assert_uint_eq(pci_config_read(dev(NIC), 0x3c, 1), 0x0a);
	/* a command write reaches the device (INTx-disable stays virtual) */
	cfgw(dfd, 0x04, 0x0406, 2);
	ck_assert_uint_eq(pci_config_read(dev(NIC), 0x04, 2), 0x0006);
	ck_assert_uint_eq(cfg(dfd, 0x04, 2), 0x0406);
}
END_TEST

/* vfio_msi_config_write: enable is the ioctl's, MME at most what was
 * enabled; the device sees the result; vfio_pci_get_irq_count reads the
 * device's Multiple Message Capable. */
START_TEST(test_vfio_msi_flags)
{
	int dfd = open_dev(SYN_A);
	struct pci_dev *d = dev(SYN_A);
	struct { struct vfio_irq_set s; int32_t fd[4]; } x = {
		.s = { .argsz = sizeof(x), .flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		       VFIO_IRQ_SET_DATA_EVENTFD, .index = VFIO_PCI_MSI_IRQ_INDEX, .count = 3 },
	};
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSI_IRQ_INDEX };

	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), 0);
	ck_assert_uint_eq(ii.count, 4);
	/* the whole low byte is the user's: enable dropped, MME clipped to
	 * what is enabled (none yet); the device takes enable and MME only */
	cfgw(dfd, 0x42, 0xff, 1);
	ck_assert_uint_eq(cfg(dfd, 0x42, 2), 0x008e);
	ck_assert_uint_eq(pci_config_read(d, 0x42, 2), 0x0084);
	cfgw(dfd, 0x42, 0x71, 1);                  /* even the 64-bit bit, in vconfig */
	ck_assert_uint_eq(cfg(dfd, 0x42, 2), 0x0000);
	ck_assert_uint_eq(pci_config_read(d, 0x42, 2), 0x0084);
	x.fd[0] = x.fd[1] = x.fd[2] = new_eventfd();
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_SET_IRQS, &x, sizeof(x)), 0);
	ck_assert_uint_eq(vdev_of(SYN_A)->msi_qmax, 2);
	ck_assert_uint_eq(pci_config_read(d, 0x42, 2), 0x00a5);   /* the kernel's: 4 */
	ck_assert_uint_eq(cfg(dfd, 0x42, 2), 0x0000);               /* the user's copy */
	cfgw(dfd, 0x42, 0xff, 1);                  /* MSI on: enable stays, MME 4 */
	ck_assert_uint_eq(cfg(dfd, 0x42, 2), 0x00af);
	ck_assert_uint_eq(pci_config_read(d, 0x42, 2), 0x00a5);
	ii.index = VFIO_PCI_MSIX_IRQ_INDEX;
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), 0);
	ck_assert_uint_eq(ii.count, 8);
}
END_TEST

/* vfio_pm_config_write: PMCSR's power state moves the function; its BARs
 * do not decode in D3hot; D1 and D2 only where the device has them. */
START_TEST(test_vfio_power_state)
{
	int dfd = open_dev(NIC);
	uint32_t v = 0;

	cfgw(dfd, 0xcc, 0x3, 2);
	ck_assert_uint_eq(vdev_of(NIC)->power_state, VFIO_PCI_D3HOT);
	ck_assert_uint_eq(pci_config_read(dev(NIC), 0xcc, 2) & 3, 3);
	ck_assert_uint_eq(cfg(dfd, 0xcc, 2), 0x0003);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, BAR(0)), -EIO);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, BAR(2)), 4);    /* I/O */
	cfgw(dfd, 0xcc, 0x1, 2);                   /* D1, D2: not supported */
	ck_assert_uint_eq(vdev_of(NIC)->power_state, VFIO_PCI_D3HOT);
	cfgw(dfd, 0xcc, 0x2, 2);
	ck_assert_uint_eq(vdev_of(NIC)->power_state, VFIO_PCI_D3HOT);
	cfgw(dfd, 0xcc, 0x0, 2);
	ck_assert_uint_eq(vdev_of(NIC)->power_state, VFIO_PCI_D0);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, BAR(0)), 4);
	cfgw(dfd, 0xcc, 0x3, 1);
	ck_assert_int_eq(ioc(dfd, VFIO_DEVICE_RESET, 0), 0);       /* in D0 first */
	ck_assert_uint_eq(vdev_of(NIC)->power_state, VFIO_PCI_D0);
	cfgw(dfd, 0xcc, 0x3, 2);
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);            /* the last close: D0 */
	ck_assert_uint_eq(pci_config_read(dev(NIC), 0xcc, 2) & 3, 0);
	/* a function with D1: the state is taken */
	dfd = open_dev(NIC_RC);
	dev(NIC_RC)->config.data[0xc9 + 2] |= 0x02;                /* PMC D1 support */
	cfgw(dfd, 0xcc, 0x1, 2);
	ck_assert_uint_eq(vdev_of(NIC_RC)->power_state, 1);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, BAR(0)), 4);
	/* a function without PM: nothing to set */
	vfio_pci_set_power_state(vdev_of(SYN_A), VFIO_PCI_D3HOT);
	ck_assert_uint_eq(vdev_of(SYN_A)->power_state, VFIO_PCI_D0);
}
END_TEST

/* vfio_exp_config_write: FLR resets a function that has FLR; a new MRRS
 * goes to the device, no lower than its MPS and not above 4096. */
START_TEST(test_vfio_exp_devctl)
{
	struct pci_dev *d = dev(NIC);
	int dfd;

	d->config.data[0xe4 + 3] |= 0x10;           /* DEVCAP: FLR */
	d->config.wmask[0xe9] = 0x70;               /* READRQ writable */
	d->config.data[0xe8] = 0x20;                /* MPS 256 */
	dfd = open_dev(NIC);
	ck_assert_uint_eq(d->model_state->resets, 1);               /* at the open */
	cfgw(dfd, 0xe8, 0x8000, 2);                 /* FLR */
	ck_assert_uint_eq(d->model_state->resets, 2);
	ck_assert_uint_eq(cfg(dfd, 0xe8, 2) & 0x8000, 0);
	cfgw(dfd, 0xe8, 0x5000, 2);                 /* MRRS 4096 */
	ck_assert_uint_eq(pci_config_read(d, 0xe8, 2), 0x5020);
	ck_assert_uint_eq(cfg(dfd, 0xe8, 2), 0x5000);               /* MPS virtual: 0 */
	cfgw(dfd, 0xe8, 0x0000, 2);                 /* MRRS 128, under the MPS */
	ck_assert_uint_eq(pci_config_read(d, 0xe8, 2), 0x1020);
	cfgw(dfd, 0xe8, 0x7000, 2);                 /* 16384: refused */
	ck_assert_uint_eq(pci_config_read(d, 0xe8, 2), 0x1020);
	cfgw(dfd, 0xe8, 0x7020, 2);                 /* the same MRRS: nothing */
	ck_assert_uint_eq(pci_config_read(d, 0xe8, 2), 0x1020);
	/* without FLR in DEVCAP the bit only reads back as 0 */
	d->config.data[0xe4 + 3] &= ~0x10;
	cfgw(dfd, 0xe8, 0x8000, 2);
	ck_assert_uint_eq(d->model_state->resets, 2);
	ck_assert_uint_eq(cfg(dfd, 0xe8, 2) & 0x8000, 0);
}
END_TEST

/* vfio_cap_init / vfio_ecap_init: a capability the kernel has no length
 * for is taken out of the list the user walks; a hidden first extended
 * capability stays as an anchor with only its next pointer; PME bits are
 * cleared in vconfig; no capability left clears CAP_LIST. */
START_TEST(test_vfio_hidden_caps)
{
	struct pci_dev *d = dev(NIC), *s = dev(SYN_B);
	int dfd;

	d->config.data[0xd0] = 0x0a;                /* MSI becomes a debug port */
	d->config.data[0xca + 1] |= 0xf8;           /* PME_Support */
	d->config.data[0xcc + 1] |= 0x81;           /* PME_Status, PME_En */
	d->config.data[0x140] = 0x2d;               /* DSN becomes an unknown id */
	dfd = open_dev(NIC);
	ck_assert_uint_eq(cfg(dfd, 0xc9, 1), 0xe0); /* PM -> PCIe, skipping 0xd0 */
	ck_assert_uint_eq(cfg(dfd, 0xd0, 4), d->config.data[0xd0] | 0xe000u | 0x800000u);
	ck_assert_uint_eq(cfg(dfd, 0xc8, 4), 0x0022e001);
	ck_assert_uint_eq(cfg(dfd, 0xcc, 2) & 0x8100, 0);
	ck_assert_uint_eq(cfg(dfd, 0x100, 4), 0x00020001);          /* AER is the last */
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	d->config.data[0x140] = 0x03;               /* the DSN back, the first one unknown */
	d->config.data[0x100] = 0x2d;
	d->config.data[0x101] = 0;
	dfd = (int)device_fd(GFD, NIC);
	ck_assert_uint_eq(cfg(dfd, 0x100, 4), 0x14000000);          /* the anchor */
	ck_assert_uint_eq(cfg(dfd, 0x102, 2), 0x1400);
	ck_assert_uint_eq(cfg(dfd, 0x140, 4), 0x00010003);
	ck_assert_uint_eq(cfg(dfd, 0x144, 4), 0xff123457);
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	/* an id beyond the extended list's: the anchor reads from vconfig */
	d->config.data[0x101] = 0x01;               /* id 0x12d */
	dfd = (int)device_fd(GFD, NIC);
	ck_assert_uint_eq(cfg(dfd, 0x100, 4), 0x14000000);
	ck_assert_uint_eq(cfg(dfd, 0x104, 4), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	/* every extended capability hidden: none at 0x100 */
	d->config.data[0x140] = 0x2d;
	dfd = (int)device_fd(GFD, NIC);
	ck_assert_uint_eq(cfg(dfd, 0x100, 4), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	/* an unknown, then nothing: the only capability hidden */
	s->config.data[0x40] = 0x0f;
	dfd = open_dev(SYN_B);
	{
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSI_IRQ_INDEX };

		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), 0);
		ck_assert_uint_eq(ii.count, 0);
		ii.index = VFIO_PCI_MSIX_IRQ_INDEX;
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), 0);
		ck_assert_uint_eq(ii.count, 0);
	}
	ck_assert_uint_eq(cfg(dfd, 0x34, 1), 0);
	ck_assert_uint_eq(cfg(dfd, 0x06, 2) & 0x10, 0);
	ck_assert_uint_eq(pci_config_read(s, 0x06, 2) & 0x10, 0x10);
}
END_TEST

/* A vendor-specific capability (length from its own byte, writes go to
 * the device) and one the kernel knows with default, read-only
 * permissions (MSI-X). */
START_TEST(test_vfio_vendor_cap)
{
	struct pci_dev *s = dev(SYN_B);
	int dfd;

	memcpy(s->config.data + 0x40, (uint8_t[]){ 0x09, 0x00, 0x08, 0x11, 0x22, 0x33 }, 6);
	memset(s->config.wmask + 0x43, 0xff, 5);
	dfd = open_dev(SYN_B);
	ck_assert_uint_eq(cfg(dfd, 0x40, 4), 0x11080009);
	cfgw(dfd, 0x44, 0xaabbccdd, 4);
	ck_assert_uint_eq(pci_config_read(s, 0x44, 4), 0xaabbccdd);
	ck_assert_uint_eq(cfg(dfd, 0x44, 4), 0xaabbccdd);
	cfgw(dfd, 0x40, 0, 1);                      /* the id is not writable */
	ck_assert_uint_eq(cfg(dfd, 0x40, 1), 0x09);
}
END_TEST

/* vfio_basic_config_write: the virtual INTx-disable bit masks INTx, and
 * nothing unmasks it while it is set (vfio_pci_intx_unmask_handler). */
START_TEST(test_vfio_intx_disable)
{
	int dfd = open_dev(NIC);
	int32_t efd = new_eventfd();
	struct pci_dev *d = dev(NIC);
	struct { struct vfio_irq_set s; int32_t fd; } x = {
		.s = { .argsz = sizeof(x), .flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		       VFIO_IRQ_SET_DATA_EVENTFD, .index = VFIO_PCI_INTX_IRQ_INDEX, .count = 1 },
		.fd = efd,
	};
	struct vfio_irq_set unmask = {
		.argsz = sizeof(unmask),
		.flags = VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_NONE,
		.index = VFIO_PCI_INTX_IRQ_INDEX, .count = 1,
	};

	struct vfio_irq_set off = {
		.argsz = sizeof(off), .flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE,
		.index = VFIO_PCI_INTX_IRQ_INDEX,
	};

	cfgw(dfd, 0x04, 0x0403, 2);                 /* before INTx is on: nothing to mask */
	ck_assert(vdev_of(NIC)->virq_disabled);
	cfgw(dfd, 0x04, 0x0003, 2);
	ck_assert(!vdev_of(NIC)->virq_disabled);
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_SET_IRQS, &x, sizeof(x)), 0);
	cfgw(dfd, 0x05, 0x04, 1);                   /* the high byte alone */
	ck_assert(vdev_of(NIC)->intx_masked);
	pci_devmodel_set_intx(d, true);
	ck_assert_uint_eq(take(efd), 0);            /* masked: not delivered */
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_SET_IRQS, &unmask, sizeof(unmask)), 0);
	ck_assert(vdev_of(NIC)->intx_masked);       /* still: INTx-disable is set */
	ck_assert_uint_eq(take(efd), 0);
	cfgw(dfd, 0x04, 0x0003, 2);                 /* pending: re-sent, stays masked */
	ck_assert_uint_eq(take(efd), 1);
	ck_assert(vdev_of(NIC)->intx_masked);
	pci_devmodel_set_intx(d, false);
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_SET_IRQS, &unmask, sizeof(unmask)), 0);
	ck_assert(!vdev_of(NIC)->intx_masked);
	/* INTx enabled while the bit is set starts masked (vfio_intx_enable) */
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_SET_IRQS, &off, sizeof(off)), 0);
	cfgw(dfd, 0x04, 0x0403, 2);
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_SET_IRQS, &x, sizeof(x)), 0);
	ck_assert(vdev_of(NIC)->intx_masked);
}
END_TEST

/* vfio_pci_ioctl_get_region_info: BAR 3 holds the MSI-X table, so it has
 * the MSIX_MAPPABLE capability (id 3, version 1), 8 bytes after the 32 of
 * the info on both kernels; too small an argsz gets 40 and no chain. */
START_TEST(test_region_caps)
{
	for (int k = 0; k < 2; k++) {
		struct { struct vfio_region_info ri; uint8_t caps[64]; } x;
		struct vfio_info_cap_header h;
		int dfd;

		if (k) {
			teardown();
			boot_kernel("6.1");
		}
		dfd = open_dev(NIC);
		memset(&x, 0, sizeof(x));
		x.ri.argsz = sizeof(x.ri);
		x.ri.index = 3;
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &x, sizeof(x)), 0);
		ck_assert_uint_eq(x.ri.flags, 0xf);
		ck_assert_uint_eq(x.ri.argsz, 40);
		ck_assert_uint_eq(x.ri.cap_offset, 0);
		ck_assert_uint_eq(x.ri.size, 16u << 10);
		x.ri.argsz = 40;
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &x, sizeof(x)), 0);
		ck_assert_uint_eq(x.ri.argsz, 40);
		ck_assert_uint_eq(x.ri.cap_offset, 32);
		memcpy(&h, x.caps, sizeof(h));
		ck_assert_uint_eq(h.id, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE);
		ck_assert_uint_eq(h.version, 1);
		ck_assert_uint_eq(h.next, 0);
		x.ri.argsz = sizeof(x);
		x.ri.index = 0;                         /* not the MSI-X BAR */
		x.ri.cap_offset = 7;
		ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &x, sizeof(x)), 0);
		ck_assert_uint_eq(x.ri.flags, 0x7);
		ck_assert_uint_eq(x.ri.argsz, sizeof(x));
		ck_assert_uint_eq(x.ri.cap_offset, 7);  /* left as it came */
		ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	}
}
END_TEST

START_TEST(test_region_caps_failures)
{
	int dfd = open_dev(NIC);
	struct vfio_region_info ri = { .argsz = 40, .index = 3 };
	uint64_t page = ualloc(PID, 4096), at = page + 4096 - sizeof(ri);

	sim_fault_fail_nth(W, "vfio_region_caps_alloc", 1);
	ck_assert_int_eq(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri)), -ENOMEM);
	/* room claimed for the chain that is not there: EFAULT */
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), at, &ri, sizeof(ri)), 0);
	ck_assert_int_eq(sim_sys_ioctl_ul(W, PID, dfd, VFIO_DEVICE_GET_REGION_INFO, at), -EFAULT);
	/* a too small argsz needs no room */
	ri.argsz = 32;
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), at, &ri, sizeof(ri)), 0);
	ck_assert_int_eq(sim_sys_ioctl_ul(W, PID, dfd, VFIO_DEVICE_GET_REGION_INFO, at), 0);
}
END_TEST

/* vfio_pci_core_do_io_rw around the MSI-X table: all ones and dropped
 * writes inside [table, table + 16 * vectors), the BAR's own bytes around
 * it, and a read of the table alone needs no memory decode. */
START_TEST(test_msix_table_hole)
{
	int dfd = open_dev(NIC), sfd;
	uint8_t b[0x60];
	uint32_t v = 0x12345678;

	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, BAR(3) + 0x10), 4);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, BAR(3) + 0x50), 4);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, b, sizeof(b), BAR(3)), sizeof(b));
	for (unsigned i = 0; i < 0x50; i++)
		ck_assert_uint_eq(b[i], 0xff);
	ck_assert_uint_eq(b[0x50], 0x78);
	ck_assert_uint_eq(b[0x53], 0x12);
	cfgw(dfd, 0x04, 0, 2);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, BAR(3)), 4);
	ck_assert_uint_eq(v, 0xffffffff);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, BAR(3) + 0x2000), -EIO);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, b, 0x58, BAR(3)), -EIO);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, dfd, &v, 4, BAR(1)), -EIO);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, dfd, &v, 4, BAR(2)), 4);   /* I/O */
	/* a synthesized function: the table at 0 of BAR 0, eight vectors */
	sfd = open_dev(SYN_A);
	v = 0xabcdef01;
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, sfd, &v, 4, BAR(0) + 0x7c), 4);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, sfd, &v, 4, BAR(0) + 0x80), 4);
	ck_assert_int_eq(sim_sys_pread_k(W, PID, sfd, b, 8, BAR(0) + 0x7c), 8);
	ck_assert_uint_eq(b[3], 0xff);
	/* the PBA right after the table is the function's (pending bits,
	 * none set; a write is dropped), not storage */
	ck_assert_uint_eq(b[4], 0x00);
}
END_TEST

/* The lengths vfio_cap_len / vfio_ext_cap_len (and the fixed tables) give
 * each capability the kernel knows: its bytes in the config map. */
START_TEST(test_vfio_cap_lengths)
{
	static const struct { bool ext; uint16_t id; unsigned len; } caps[] = {
		{ false, 0x02, 12 }, { false, 0x03, 8 }, { false, 0x13, 6 }, { false, 0x11, 12 },
		{ false, 0x09, 12 }, { false, 0x0a, 0 },
		{ true, 0x04, 16 }, { true, 0x0d, 8 }, { true, 0x0e, 8 }, { true, 0x0f, 8 },
		{ true, 0x10, 64 }, { true, 0x12, 48 }, { true, 0x13, 16 }, { true, 0x18, 8 },
		{ true, 0x0b, 32 }, { true, 0x1b, 0 },
	};
	struct pci_dev *d = dev(NIC);
	int dfd = open_dev(NIC);

	for (size_t i = 0; i < G_N_ELEMENTS(caps); i++) {
		unsigned at = caps[i].ext ? 0x140 : 0xd0;
		struct vfio_pci_device *v;

		ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
		if (caps[i].ext) {
			d->config.data[0x140] = (uint8_t)caps[i].id;
			d->config.data[0x146] = 0x00;          /* VSEC length: 0x020 */
			d->config.data[0x147] = 0x02;
		} else {
			d->config.data[0xd0] = (uint8_t)caps[i].id;
			d->config.data[0xd2] = 0x0c;           /* vendor length */
		}
		dfd = (int)device_fd(GFD, NIC);
		v = vdev_of(NIC);
		if (!caps[i].len) {
			ck_assert_uint_eq(v->map[at], 0xff);
			continue;
		}
		ck_assert_msg(v->map[at + caps[i].len - 1] == caps[i].id &&
			      v->map[at + caps[i].len] == 0xff, "cap 0x%x: map[+%u] 0x%x",
			      caps[i].id, caps[i].len, v->map[at + caps[i].len - 1]);
	}
	/* a power budgeting capability: the data select goes to the device */
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	d->config.data[0x140] = 0x04;
	d->config.wmask[0x144] = 0xff;
	dfd = (int)device_fd(GFD, NIC);
	cfgw(dfd, 0x144, 0x3c, 1);
	ck_assert_uint_eq(pci_config_read(d, 0x144, 1), 0x3c);
	cfgw(dfd, 0x140, 0, 4);
	ck_assert_uint_eq(cfg(dfd, 0x140, 2), 0x0004);
	/* a vendor-specific one: writes go to the device */
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	d->config.data[0x140] = 0x0b;
	d->config.wmask[0x148] = 0xff;
	dfd = (int)device_fd(GFD, NIC);
	cfgw(dfd, 0x148, 0x5a, 1);
	ck_assert_uint_eq(cfg(dfd, 0x148, 1), 0x5a);
	cfgw(dfd, 0x140, 0, 1);
	ck_assert_uint_eq(cfg(dfd, 0x140, 1), 0x0b);
	/* MSI-X's next pointer, alone, from vconfig */
	ck_assert_uint_eq(cfg(dfd, 0xa1, 1), 0x00);
	ck_assert_uint_eq(cfg(dfd, 0xa2, 2), 0x0004);
}
END_TEST

/* The type field of a synthesized PCI Express capability, per kind. */
START_TEST(test_synthesized_exp_types)
{
	static const struct { const char *bdf; uint16_t flags; } want[] = {
		{ "0000:00:01.0", 0x0042 }, { "0000:01:00.0", 0x0052 }, { "0000:02:00.0", 0x0062 },
		{ "0000:03:00.0", 0x0012 }, { "0000:00:02.0", 0x0072 }, { "0000:00:03.0", 0x0092 },
	};
	struct pci_dev_spec sp[6] = {
		{ .sbdf = PCI_SBDF(0, 0, PCI_DEVFN(1, 0)), .type = PCI_TYPE_ROOT_PORT,
		  .acs_quirk = -1 },
		{ .sbdf = PCI_SBDF(0, 1, 0), .type = PCI_TYPE_UPSTREAM_PORT, .acs_quirk = -1,
		  .has_parent = true, .parent = PCI_SBDF(0, 0, PCI_DEVFN(1, 0)) },
		{ .sbdf = PCI_SBDF(0, 2, 0), .type = PCI_TYPE_DOWNSTREAM_PORT, .acs_quirk = -1,
		  .has_parent = true, .parent = PCI_SBDF(0, 1, 0) },
		{ .sbdf = PCI_SBDF(0, 3, 0), .type = PCI_TYPE_LEGACY_ENDPOINT, .acs_quirk = -1,
		  .has_parent = true, .parent = PCI_SBDF(0, 2, 0) },
		{ .sbdf = PCI_SBDF(0, 0, PCI_DEVFN(2, 0)), .type = PCI_TYPE_PCIE_TO_PCI_BRIDGE,
		  .acs_quirk = -1 },
		{ .sbdf = PCI_SBDF(0, 0, PCI_DEVFN(3, 0)), .type = PCI_TYPE_RC_ENDPOINT,
		  .acs_quirk = -1 },
	};
	struct sim_world *w = sim_world_create(1);
	struct pci_build_error err = { 0 };

	ck_assert_int_eq(pci_topology_create(w, sp, G_N_ELEMENTS(sp), &err), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		uint32_t sbdf;
		struct pci_dev *d;

		ck_assert_int_eq(pci_sbdf_parse(want[i].bdf, &sbdf), 0);
		d = pci_dev_find(w, sbdf);
		ck_assert_uint_eq(pci_config_read(d, pci_config_find_cap(d, 0x10) + 2, 2),
				  want[i].flags);
	}
	sim_world_destroy(w);
}
END_TEST

/* The builders a config hook uses, where no model needs them yet: MSI
 * with per-vector masking; a 64-bit BAR's upper half. */
START_TEST(test_builders)
{
	struct pci_dev *d = dev(SYN_B), *p = dev(PAIR_A);

	d->msi_vectors = 2;
	pci_config_add_msi(d, 0x80, false, true);
	ck_assert_uint_eq(pci_config_read(d, 0x80, 4), 0x01020005);   /* 32-bit, mask, 2 */
	ck_assert_uint_eq(pci_config_read(d, 0x41, 1), 0x80);          /* linked */
	pci_config_write(d, 0x88, 4, 0xffffffff);                      /* data, then mask */
	ck_assert_uint_eq(pci_config_read(d, 0x88, 4), 0x0000ffff);
	pci_config_write(d, 0x8c, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0x8c, 4), 0x3);
	d->msi_vectors = 32;
	pci_config_add_msi(d, 0xa0, true, true);
	pci_config_write(d, 0xb0, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0xb0, 4), 0xffffffff);
	ck_assert_uint_eq(pci_config_read(d, 0xa2, 2), 0x018a);
	/* BAR 0 of 8 KiB, 64-bit prefetchable */
	ck_assert_uint_eq(pci_config_read(p, 0x10, 4), 0xc);
	pci_config_write(p, 0x10, 4, 0xffffffff);
	pci_config_write(p, 0x14, 4, 0xffffffff);
	ck_assert_uint_eq(pci_config_read(p, 0x10, 4), 0xffffe00c);
	ck_assert_uint_eq(pci_config_read(p, 0x14, 4), 0xffffffff);
}
END_TEST

/* Building again: a model without a config hook is its header; a model
 * function without INTx gets no interrupt line from the firmware. */
START_TEST(test_build_paths)
{
	struct pci_devmodel bare = pci_devmodel_edu;
	struct pci_dev *d = dev("0000:00:19.0");

	bare.config = NULL;
	d->model = &bare;
	d->intx = false;
	pci_config_build(d);
	ck_assert_uint_eq(pci_config_read(d, 0x34, 1), 0);
	ck_assert_uint_eq(pci_config_read(d, 0x3c, 2), 0);
	ck_assert_uint_eq(pci_config_read(d, 0x04, 2), 0x0103);
	d->model = &pci_devmodel_edu;
	d->intx = true;
}
END_TEST

/* ---- hot reset ----------------------------------------------------------------------- */

struct hri {
	struct vfio_pci_hot_reset_info h;
	struct vfio_pci_dependent_device dev[4];
};

static long hot_reset_info(int dfd, uint32_t argsz, struct hri *x)
{
	memset(x, 0xa5, sizeof(*x));
	x->h.argsz = argsz;
	return io(dfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, x, sizeof(*x));
}

/* vfio_pci_ioctl_get_pci_hot_reset_info: the argsz protocol, -ENOSPC with
 * the count, each function the bus reset reaches with its group; none on
 * a root bus. */
START_TEST(test_hot_reset_info)
{
	int dfd = open_dev(NIC), sfd;
	struct hri x;
	uint64_t page = ualloc(PID, 4096), at;

	ck_assert_int_eq(ioc(dfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 0), -EFAULT);
	ck_assert_int_eq(hot_reset_info(dfd, 11, &x), -EINVAL);
	ck_assert_uint_eq(x.h.flags, 0xa5a5a5a5);
	ck_assert_int_eq(hot_reset_info(dfd, 12, &x), -ENOSPC);
	ck_assert_uint_eq(x.h.count, 1);
	ck_assert_uint_eq(x.h.flags, 0);
	ck_assert_uint_eq(x.h.argsz, 12);
	ck_assert_uint_eq(x.dev[0].group_id, 0xa5a5a5a5);
	ck_assert_int_eq(hot_reset_info(dfd, 19, &x), -ENOSPC);
	ck_assert_int_eq(hot_reset_info(dfd, 20, &x), 0);
	ck_assert_uint_eq(x.h.count, 1);
	ck_assert_uint_eq(x.h.flags, 0);
	ck_assert_uint_eq(x.dev[0].group_id, gid(NIC));
	ck_assert_uint_eq(x.dev[0].segment, 0);
	ck_assert_uint_eq(x.dev[0].bus, 1);
	ck_assert_uint_eq(x.dev[0].devfn, 0);
	ck_assert_uint_eq(x.dev[1].group_id, 0xa5a5a5a5);
	/* two functions on bus 2, each its own group, in bus order */
	sfd = open_dev(SYN_A);
	ck_assert_uint_ne(gid(SYN_A), gid(SYN_B));
	ck_assert_int_eq(hot_reset_info(sfd, 20, &x), -ENOSPC);
	ck_assert_uint_eq(x.h.count, 2);
	ck_assert_int_eq(hot_reset_info(sfd, 28, &x), 0);
	ck_assert_uint_eq(x.h.count, 2);
	ck_assert_uint_eq(x.dev[0].group_id, gid(SYN_A));
	ck_assert_uint_eq(x.dev[0].devfn, 0x00);
	ck_assert_uint_eq(x.dev[1].group_id, gid(SYN_B));
	ck_assert_uint_eq(x.dev[1].bus, 2);
	ck_assert_uint_eq(x.dev[1].devfn, 0x01);
	/* the root bus: no bus reset */
	ck_assert_int_eq(hot_reset_info(open_dev(NIC_RC), 64, &x), -ENODEV);
	ck_assert_uint_eq(x.h.flags, 0xa5a5a5a5);
	/* the devices do not fit where argsz says they do: EFAULT */
	at = page + 4096 - sizeof(x.h);
	x.h.argsz = 20;
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), at, &x.h, sizeof(x.h)), 0);
	ck_assert_int_eq(sim_sys_ioctl_ul(W, PID, dfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, at),
			 -EFAULT);
	/* allocation, and a function without a group (vfio_pci_fill_devs) */
	sim_fault_fail_nth(W, "vfio_hot_reset_info_alloc", 1);
	ck_assert_int_eq(hot_reset_info(dfd, 20, &x), -ENOMEM);
	{
		struct iommu_group *g = dev(SYN_B)->group;

		dev(SYN_B)->group = NULL;
		x.h.argsz = 28;
		ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), ARG, &x, sizeof(x)), 0);
		ck_assert_int_eq(sim_sys_ioctl_ul(W, PID, sfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
						  ARG), -EPERM);
		dev(SYN_B)->group = g;
	}
}
END_TEST

static long hot_reset(int dfd, uint32_t argsz, uint32_t flags, uint32_t count,
		      const int32_t *fds, unsigned n)
{
	struct { struct vfio_pci_hot_reset h; int32_t fd[4]; } x;

	memset(&x, 0, sizeof(x));
	x.h.argsz = argsz ? argsz : (uint32_t)(sizeof(x.h) + 4 * n);
	x.h.flags = flags;
	x.h.count = count;
	if (n)
		memcpy(x.fd, fds, 4 * n);
	return io(dfd, VFIO_DEVICE_PCI_HOT_RESET, &x, sizeof(x));
}

/* vfio_pci_ioctl_pci_hot_reset / vfio_pci_dev_set_hot_reset through
 * group-opened devices. */
START_TEST(test_hot_reset)
{
	int dfd = open_dev(NIC), gnic = GFD, cnic = CFD, sfd, ga, gb, pfd, rfd;
	int32_t f[3];
	uint64_t page = ualloc(PID, 4096), at;
	unsigned resets = dev(NIC)->model_state->resets;

	ck_assert_int_eq(ioc(dfd, VFIO_DEVICE_PCI_HOT_RESET, 0), -EFAULT);
	f[0] = gnic;
	ck_assert_int_eq(hot_reset(dfd, 11, 0, 1, f, 1), -EINVAL);
	ck_assert_int_eq(hot_reset(dfd, 0, 1, 1, f, 1), -EINVAL);
	ck_assert_int_eq(hot_reset(dfd, 0, 0, 0, f, 0), -EINVAL);
	ck_assert_int_eq(hot_reset(dfd, 0, 0, 2, f, 2), -EINVAL);   /* one function */
	f[0] = 999;
	ck_assert_int_eq(hot_reset(dfd, 0, 0, 1, f, 1), -EBADF);
	f[0] = cnic;
	ck_assert_int_eq(hot_reset(dfd, 0, 0, 1, f, 1), -EINVAL);   /* no group */
	/* the group fds are read whatever argsz says */
	f[0] = gnic;
	ck_assert_int_eq(hot_reset(dfd, 12, 0, 1, f, 1), 0);
	ck_assert_uint_eq(vdev_of(NIC)->hot_resets, 1);
	ck_assert_uint_eq(dev(NIC)->model_state->resets, resets + 1);
	ck_assert_uint_eq(cfg(dfd, 0x04, 2), 0x0103);               /* config restored */
	at = page + 4096 - 12;
	{
		struct vfio_pci_hot_reset h = { .argsz = 16, .count = 1 };

		ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), at, &h, 12), 0);
		ck_assert_int_eq(sim_sys_ioctl_ul(W, PID, dfd, VFIO_DEVICE_PCI_HOT_RESET, at),
				 -EFAULT);
	}
	sim_fault_fail_nth(W, "vfio_hot_reset_alloc", 1);
	ck_assert_int_eq(hot_reset(dfd, 0, 0, 1, f, 1), -ENOMEM);
	/* bus 2: both groups needed */
	sfd = open_dev(SYN_A);
	ga = GFD;
	gb = open_group(SYN_B);
	f[0] = ga;
	ck_assert_int_eq(hot_reset(sfd, 0, 0, 1, f, 1), -EINVAL);
	f[1] = gnic;
	ck_assert_int_eq(hot_reset(sfd, 0, 0, 2, f, 2), -EINVAL);
	f[1] = gb;
	ck_assert_int_eq(hot_reset(sfd, 0, 0, 3, f, 3), -EINVAL);   /* more than functions */
	ck_assert_int_eq(hot_reset(sfd, 0, 0, 2, f, 2), 0);
	ck_assert_uint_eq(vdev_of(SYN_A)->hot_resets, 1);
	ck_assert_uint_eq(vdev_of(SYN_B)->hot_resets, 1);
	/* bus 3: one group holds both */
	pfd = open_dev(PAIR_A);
	f[0] = GFD;
	ck_assert_int_eq(hot_reset(pfd, 0, 0, 1, f, 1), 0);
	ck_assert_uint_eq(vdev_of(PAIR_B)->hot_resets, 1);
	/* the root bus: none */
	rfd = open_dev(NIC_RC);
	f[0] = GFD;
	ck_assert_int_eq(hot_reset(rfd, 0, 0, 1, f, 1), -ENODEV);
	ck_assert_int_eq(hot_reset(rfd, 0, 0, 0, f, 0), -EINVAL);   /* 6.12: count first */
	/* a bus with a bridge on it: the functions below count, and the
	 * bridge (never vfio-pci's) is not in the device set */
	{
		struct hri x;
		int efd = open_dev("0000:06:02.0");

		ck_assert_int_eq(hot_reset_info(efd, 64, &x), 0);
		ck_assert_uint_eq(x.h.count, 3);
		ck_assert_uint_eq(x.dev[1].devfn, PCI_DEVFN(3, 0));
		ck_assert_uint_eq(x.dev[2].bus, 7);
		f[0] = GFD;
		ck_assert_int_eq(hot_reset(efd, 0, 0, 1, f, 1), -EINVAL);
	}
	/* a function of the bus not bound to vfio-pci: not in the device set */
	ck_assert_int_eq(sim_pci_bind(W, SYN_B, "none"), 0);
	f[0] = ga;
	f[1] = gb;
	ck_assert_int_eq(hot_reset(sfd, 0, 0, 2, f, 2), -EINVAL);
	ck_assert_uint_eq(vdev_of(SYN_A)->hot_resets, 1);
}
END_TEST

/* 6.1 looks at the bus before the count: count 0 on the root bus is
 * -ENODEV there (vfio_pci_ioctl_pci_hot_reset), -EINVAL on 6.12. */
START_TEST(test_hot_reset_6_1)
{
	int32_t f[1];
	int dfd;

	teardown();
	boot_kernel("6.1");
	dfd = open_dev(NIC_RC);
	f[0] = GFD;
	ck_assert_int_eq(hot_reset(dfd, 0, 0, 0, f, 0), -ENODEV);
	ck_assert_int_eq(hot_reset(dfd, 0, 0, 1, f, 1), -ENODEV);
	dfd = open_dev(NIC);
	f[0] = GFD;
	ck_assert_int_eq(hot_reset(dfd, 0, 0, 0, f, 0), -EINVAL);
	ck_assert_int_eq(hot_reset(dfd, 0, 0, 1, f, 1), 0);
}
END_TEST

/* ---- interrupts: eventfds only ------------------------------------------------------- */

static long set_irqs(int dfd, uint32_t flags, uint32_t index, uint32_t start, uint32_t count,
		     const int32_t *fds, unsigned n)
{
	struct { struct vfio_irq_set s; int32_t fd[8]; } x;

	memset(&x, 0, sizeof(x));
	x.s.argsz = (uint32_t)(sizeof(x.s) + 4 * n);
	x.s.flags = flags;
	x.s.index = index;
	x.s.start = start;
	x.s.count = count;
	if (n)
		memcpy(x.fd, fds, 4 * n);
	return io(dfd, VFIO_DEVICE_SET_IRQS, &x, sizeof(x));
}

#define TRIG_FD (VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD)
#define TRIG_NONE (VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE)

/* vfio_msi_set_block / vfio_msi_set_vector_signal: a vector's old eventfd
 * goes before the new one is taken, and a refused block is unwound up to
 * the vector that failed: none of them signals.  MSI-X enable is the
 * device's and reads through; MSI's flags byte is vconfig's. */
START_TEST(test_msi_block_unwind)
{
	int dfd = open_dev(NIC);
	int32_t e = new_eventfd(), f[2] = { e, e };

	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, f, 2), 0);
	ck_assert_uint_eq(cfg(dfd, 0xa2, 2), 0x8004);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, NULL, 0), 0);
	ck_assert_uint_eq(take(e), 2);
	f[1] = CFD;
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, f, 2), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, NULL, 0), 0);
	ck_assert_uint_eq(take(e), 0);
	f[0] = 998;
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, VFIO_PCI_MSIX_IRQ_INDEX, 1, 1, f, 1), -EBADF);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL, 0), 0);
	ck_assert_uint_eq(cfg(dfd, 0xa2, 2), 0x0004);
	ck_assert(!pci_config_msix_enabled(dev(NIC)));
	f[0] = e;
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, f, 1), 0);
	ck_assert(pci_devmodel_msi_enabled(dev(NIC)));
	ck_assert_uint_eq(cfg(dfd, 0xd2, 2), 0x0080);
	/* ERR: a refused replacement keeps the trigger */
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, f, 1), 0);
	f[0] = CFD;
	ck_assert_int_eq(set_irqs(dfd, TRIG_FD, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, f, 1), -EINVAL);
	ck_assert_int_eq(set_irqs(dfd, TRIG_NONE, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, NULL, 0), 0);
	ck_assert_uint_eq(take(e), 1);
}
END_TEST

/* ---- the last close ------------------------------------------------------------------- */

/* vfio_pci_core_disable: the state saved at the first open is back
 * (pci_restore_state: the header and the capabilities), bytes no
 * capability claims keep what was written; the next open starts from it. */
START_TEST(test_close_restores)
{
	struct pci_dev *d = dev(NIC);
	int dfd;

	pci_config_write(d, 0x04, 2, 0x0503);       /* INTx-disable: cleared at the open */
	dfd = open_dev(NIC);
	ck_assert_uint_eq(pci_config_read(d, 0x04, 2), 0x0103);

	cfgw(dfd, 0x04, 0x0004, 2);                 /* decode off, bus master on */
	cfgw(dfd, 0x40, 0x11223344, 4);
	cfgw(dfd, 0x3c, 0x77, 1);
	cfgw(dfd, 0x10c, 0, 4);                     /* AER severity */
	ck_assert_uint_eq(pci_config_read(d, 0x04, 2), 0x0004);
	ck_assert_int_eq(sim_sys_close(W, PID, dfd), 0);
	/* saved before INTx-disable was cleared: it is back */
	ck_assert_uint_eq(pci_config_read(d, 0x04, 2), 0x0503);
	ck_assert_uint_eq(pci_config_read(d, 0x10c, 4), 0x00462030);
	ck_assert_uint_eq(pci_config_read(d, 0x40, 4), 0x11223344);
	dfd = (int)device_fd(GFD, NIC);
	ck_assert_uint_eq(cfg(dfd, 0x3c, 1), 0x0a);
	ck_assert_uint_eq(cfg(dfd, 0x04, 2), 0x0103);
	ck_assert_uint_eq(cfg(dfd, 0x40, 4), 0x11223344);
}
END_TEST

static Suite *e1000e_suite(void)
{
	Suite *s = suite_create("e1000e");
	TCase *model = tcase_create("model"), *view = tcase_create("vfio_config");
	TCase *reg = tcase_create("regions"), *hot = tcase_create("hot_reset");
	TCase *irq = tcase_create("irqs");

	tcase_add_test(model, test_model_table);
	tcase_add_test(model, test_topology_types);
	suite_add_tcase(s, model);
	tcase_add_checked_fixture(view, e_setup, teardown);
	tcase_add_test(view, test_device_layout);
	tcase_add_test(view, test_device_write_masks);
	tcase_add_test(view, test_msi_enable_bits);
	tcase_add_test(view, test_synthesized_layout);
	tcase_add_test(view, test_firmware_state);
	tcase_add_test(view, test_edu_layout);
	tcase_add_test(view, test_vfio_view);
	tcase_add_test(view, test_vfio_writes);
	tcase_add_test(view, test_vfio_msi_flags);
	tcase_add_test(view, test_vfio_power_state);
	tcase_add_test(view, test_vfio_exp_devctl);
	tcase_add_test(view, test_vfio_hidden_caps);
	tcase_add_test(view, test_vfio_vendor_cap);
	tcase_add_test(view, test_vfio_intx_disable);
	tcase_add_test(view, test_close_restores);
	tcase_add_test(view, test_vfio_cap_lengths);
	tcase_add_test(view, test_synthesized_exp_types);
	tcase_add_test(view, test_builders);
	tcase_add_test(view, test_build_paths);
	suite_add_tcase(s, view);
	tcase_add_checked_fixture(reg, e_setup, teardown);
	tcase_add_test(reg, test_region_caps);
	tcase_add_test(reg, test_region_caps_failures);
	tcase_add_test(reg, test_msix_table_hole);
	suite_add_tcase(s, reg);
	tcase_add_checked_fixture(hot, e_setup, teardown);
	tcase_add_test(hot, test_hot_reset_info);
	tcase_add_test(hot, test_hot_reset);
	tcase_add_test(hot, test_hot_reset_6_1);
	suite_add_tcase(s, hot);
	tcase_add_checked_fixture(irq, e_setup, teardown);
	tcase_add_test(irq, test_msi_block_unwind);
	suite_add_tcase(s, irq);
	return s;
}

int main(void)
{
	return unit_run(e1000e_suite());
}
