/* SPDX-License-Identifier: MIT */
/*
 * The device-model seam (model/pci/devmodel.h) and its first model, QEMU's
 * edu (model/pci/edu.c), driven as a user would drive it through vfio-pci:
 * every register, the access sizes (and how each kernel release splits
 * them), the factorial, interrupt status, DMA in both directions through
 * the IOMMU and every way it is refused (unmapped, read-only, just
 * unmapped, the 28-bit clamp, the out-of-bounds transfer QEMU 7.2 aborts
 * on), INTx and MSI signalling eventfds, reset; the eventfd itself; the
 * read bit 6.1 and 6.12 put into WRITE-only VT-d second-level entries.
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
#include "model/iommu/domain.h"
#include "model/iommu/hw.h"
#include "model/pci/devmodel.h"
#include "model/pci/pci.h"
#include "model/vfio/vfio.h"
#include "tools/scenario/scenario.h"
#include "iommusim/iommusim.h"

#define EDU "0000:00:03.0"          /* on the root bus: no reset method */
#define EDU_BR "0000:06:01.0"       /* alone below a PCIe-to-PCI bridge: bus reset */
#define PLAIN "0000:00:04.0"        /* no model */

#define BAR0 ((uint64_t)VFIO_PCI_BAR0_REGION_INDEX << 40)
#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

#define R_ID 0x00
#define R_LIVE 0x04
#define R_FACT 0x08
#define R_STATUS 0x20
#define R_IRQ 0x24
#define R_RAISE 0x60
#define R_ACK 0x64
#define R_SRC 0x80
#define R_DST 0x88
#define R_CNT 0x90
#define R_CMD 0x98
#define BUFA 0x40000ull

#define IOVA_R  0x100000ull
#define IOVA_W  0x200000ull

static const char *const WORLD_TOPOLOGY =
	"topology:\n"
	"  - {bdf: \"0000:00:03.0\", type: pci-device, vendor: 0x1234, device: 0x11e8,\n"
	"     driver: vfio-pci}\n"
	"  - {bdf: \"0000:00:04.0\", type: pci-device, driver: vfio-pci,\n"
	"     bars: {0: {size: 4K}}}\n"
	"  - {bdf: \"0000:00:1e.0\", type: pcie-to-pci-bridge}\n"
	"  - {bdf: \"0000:06:01.0\", type: pci-device, parent: \"0000:00:1e.0\",\n"
	"     vendor: 0x1234, device: 0x11e8, driver: vfio-pci}\n";

static void boot_kernel(const char *kernel, const char *iommu_extra)
{
	char *text = g_strconcat("name: edu-unit\nprofile:\n  kernel: \"", kernel,
				 "\"\n  iommu: {address_width: 39", iommu_extra, "}\n",
				 WORLD_TOPOLOGY, NULL);

	boot_from(text, "<edu>");
	g_free(text);
	as(1);
}

static void edu_setup(void)
{
	boot_kernel("mainline", "");
}

static struct pci_dev *dev(const char *bdf)
{
	uint32_t sbdf;

	ck_assert_int_eq(pci_sbdf_parse(bdf, &sbdf), 0);
	return pci_dev_find(W, sbdf);
}

/* ---- the device fd and its registers ----------------------------------------------- */

static int CFD, GFD, DFD;

/* Memory decode and bus mastering on (a fresh open has them off). */
static void enable_mem(void)
{
	uint16_t cmd = 0x6;

	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, DFD, &cmd, 2, CFG + 4), 2);
}

/* Container, group, type1 v2, the device fd, memory decode on. */
static void open_edu(const char *bdf)
{
	usage(bdf, VFIO_TYPE1v2_IOMMU, &CFD, &GFD);
	DFD = (int)device_fd(GFD, bdf);
	ck_assert_int_ge(DFD, 0);
	enable_mem();
}

static uint64_t rd(uint64_t off, unsigned size)
{
	uint64_t v = 0;

	ck_assert_int_eq(sim_sys_pread_k(W, PID, DFD, &v, size, BAR0 + off), size);
	return v;
}

static void wr(uint64_t off, unsigned size, uint64_t v)
{
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, DFD, &v, size, BAR0 + off), size);
}

static uint32_t rd32(uint64_t off)
{
	return (uint32_t)rd(off, 4);
}

static void wr32(uint64_t off, uint32_t v)
{
	wr(off, 4, v);
}

static uint32_t dma(uint64_t src, uint64_t dst, uint64_t cnt, uint32_t cmd)
{
	wr(R_SRC, 8, src);
	wr(R_DST, 8, dst);
	wr(R_CNT, 8, cnt);
	wr32(R_CMD, cmd | 1);
	return rd32(R_CMD);
}

/* User memory of the caller. */
static void put_user(uint64_t uva, const void *p, size_t n)
{
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), uva, p, n), 0);
}

static void get_user(void *p, uint64_t uva, size_t n)
{
	ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), p, uva, n), 0);
}

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* ---- the seam ---------------------------------------------------------------------- */

START_TEST(test_model_table)
{
	ck_assert_ptr_eq(pci_devmodel_find(0x1234, 0x11e8), &pci_devmodel_edu);
	ck_assert_ptr_null(pci_devmodel_find(0x1234, 0x11e9));
	ck_assert_uint_ge(pci_devmodel_count(), 1);
	ck_assert_ptr_eq(pci_devmodel_at(0), &pci_devmodel_edu);
	ck_assert_ptr_null(pci_devmodel_at(pci_devmodel_count()));
	ck_assert_uint_eq(pci_devmodel_edu.revision, 0x10);
	ck_assert_uint_eq(pci_devmodel_edu.class_code, 0x00ff00);
}
END_TEST

START_TEST(test_topology_defaults)
{
	struct pci_dev *e = dev(EDU), *p = dev(PLAIN);

	ck_assert_ptr_eq(e->model, &pci_devmodel_edu);
	ck_assert(pci_dev_has_model(e));
	ck_assert_uint_eq(e->bars[0].size, 1u << 20);
	ck_assert_int_eq(e->bars[0].type, PCI_BAR_MEM32);
	ck_assert_uint_eq(e->bars[1].size, 0);
	ck_assert(e->intx);
	ck_assert_uint_eq(e->msi_vectors, 1);
	ck_assert_uint_eq(e->msix_vectors, 0);
	ck_assert(pci_devmodel_bar_has_regs(e, 0));
	ck_assert(!pci_devmodel_bar_has_regs(e, 1));
	ck_assert(!pci_devmodel_bar_has_regs(e, PCI_NUM_BARS));
	/* a function without a model: every call is a no-op */
	ck_assert(!pci_dev_has_model(p));
	ck_assert(!pci_devmodel_bar_has_regs(p, 0));
	ck_assert_uint_eq(pci_devmodel_dma(p, 0, NULL, 0, false), 0);
	pci_devmodel_set_intx(p, true);
	pci_devmodel_msi(p, 0);
	pci_devmodel_reset(p);
	pci_devmodel_set_sink(p, NULL);
	pci_devmodel_set_msi_enabled(p, true);
	ck_assert(!pci_devmodel_msi_enabled(p));
	pci_devmodel_error(p, "x", "y");
	ck_assert_uint_eq(pci_devmodel_errors(p), 0);
	ck_assert_str_eq(pci_devmodel_last_error(p), "");
	ck_assert(!pci_dev_has_model(NULL));
	pci_devmodel_detach(NULL);
}
END_TEST

START_TEST(test_topology_contradictions)
{
	struct pci_dev_spec base = {
		.sbdf = PCI_SBDF(0, 0, PCI_DEVFN(3, 0)), .type = PCI_TYPE_PCI_DEVICE,
		.acs_quirk = -1, .vendor = 0x1234, .device = 0x11e8,
	}, sp;
	struct pci_build_error err = { 0 };

	ck_assert_int_eq(build_one(&base, &err), 0);
	sp = base;
	sp.type = PCI_TYPE_ENDPOINT;
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_int_eq(err.key, PCI_KEY_TYPE);
	ck_assert_msg(strstr(err.msg, "is edu (1234:11e8), a pci-device, not an endpoint"),
		      "%s", err.msg);
	sp = base;
	sp.bars[0] = (struct pci_bar){ .size = 4096, .type = PCI_BAR_MEM32 };
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_int_eq(err.key, PCI_KEY_BARS);
	ck_assert_msg(strstr(err.msg, "BAR 0 of 0000:00:03.0 is 4 KiB mem32, but edu "
			     "(1234:11e8) has 1 MiB mem32 there"), "%s", err.msg);
	sp.bars[0] = (struct pci_bar){ .size = 1u << 20, .type = PCI_BAR_MEM64 };
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_int_eq(err.key, PCI_KEY_BARS);
	sp.bars[0] = (struct pci_bar){ .size = 1u << 20, .type = PCI_BAR_MEM32 };
	sp.bars[2] = (struct pci_bar){ .size = 32, .type = PCI_BAR_IO, .prefetchable = true };
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "BAR 2 of 0000:00:03.0 is 32 B io prefetchable, but "
			     "edu (1234:11e8) has none there"), "%s", err.msg);
	sp.bars[2] = (struct pci_bar){ 0 };
	ck_assert_int_eq(build_one(&sp, &err), 0);          /* exactly the model's */
	sp.bars[0].prefetchable = true;
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "is 1 MiB mem32 prefetchable, but"), "%s", err.msg);
	sp = base;
	sp.msi_vectors = 4;
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	ck_assert_int_eq(err.key, PCI_KEY_IRQS);
	ck_assert_msg(strstr(err.msg, "intx true, msi 1, msix 0"), "%s", err.msg);
	sp = base;
	sp.msix_vectors = 2;
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	sp = base;
	sp.has_intx = true;
	sp.intx = false;
	ck_assert_int_eq(build_one(&sp, &err), -EINVAL);
	sp.intx = true;
	sp.msi_vectors = 1;
	ck_assert_int_eq(build_one(&sp, &err), 0);
}
END_TEST

START_TEST(test_topology_loader_error)
{
	static const char text[] =
		"name: bad\n"
		"topology:\n"
		"  - bdf: \"0000:00:03.0\"\n"
		"    type: pci-device\n"
		"    vendor: 0x1234\n"
		"    device: 0x11e8\n"
		"    bars:\n"
		"      0: {size: 4K}\n";
	char *err = NULL;
	struct scenario *s = scenario_load_string(text, strlen(text), "<bad>", &err);

	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "<bad>:3:5: error: BAR 0 of 0000:00:03.0 is 4 KiB mem32"),
		      "%s", err);
	g_free(err);
}
END_TEST

START_TEST(test_topology_alloc_fails)
{
	struct pci_dev_spec sp = {
		.sbdf = PCI_SBDF(0, 0, PCI_DEVFN(3, 0)), .type = PCI_TYPE_PCI_DEVICE,
		.acs_quirk = -1, .vendor = 0x1234, .device = 0x11e8,
	};
	struct sim_world *w = sim_world_create(1);
	struct pci_build_error err = { 0 };

	sim_fault_fail_nth(w, "pci_devmodel_alloc", 1);
	ck_assert_int_eq(pci_topology_create(w, &sp, 1, &err), -ENOMEM);
	ck_assert_uint_eq(pci_dev_count(w), 0);
	ck_assert_int_eq(pci_topology_create(w, &sp, 1, &err), 0);
	ck_assert_ptr_nonnull(pci_dev_at(w, 0)->model_state);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_seam_bad_access)
{
	struct pci_dev *e = dev(EDU);

	/* misaligned, beyond the BAR, no registers: all ones, nothing written */
	ck_assert_uint_eq(pci_devmodel_bar_read(e, 0, 2, 4), 0xffffffffu);
	ck_assert_uint_eq(pci_devmodel_bar_read(e, 0, 1u << 20, 4), 0xffffffffu);
	ck_assert_uint_eq(pci_devmodel_bar_read(e, 0, 0, 3), 0xffffffu);
	ck_assert_uint_eq(pci_devmodel_bar_read(e, 1, 0, 8), UINT64_MAX);
	ck_assert_uint_eq(pci_devmodel_bar_read(e, 0, 0, 1), 0);     /* edu: refused */
	pci_devmodel_bar_write(e, 0, R_LIVE + 2, 4, 1);
	pci_devmodel_bar_write(e, 7, 0, 4, 1);
	ck_assert_uint_eq(pci_devmodel_bar_read(e, 0, R_LIVE, 4), 0);
	pci_devmodel_bar_write(e, 0, R_LIVE, 4, 0xff00ff00);
	ck_assert_uint_eq(pci_devmodel_bar_read(e, 0, R_LIVE, 4), 0x00ff00ff);
	ck_assert_uint_eq(pci_devmodel_bar_read(e, 0, R_LIVE, 2), 0);
	ck_assert_uint_eq(pci_devmodel_dma(e, 0, NULL, 4, false), 0);  /* no buffer */
}
END_TEST

static void *create_fails(struct pci_dev *d)
{
	return NULL;
}

static unsigned destroyed;

static void *create_ok(struct pci_dev *d)
{
	return g_new0(int, 1);
}

static void destroy_count(void *priv)
{
	destroyed++;
	g_free(priv);
}

/* The seam's own paths, with models made up for the test. */
START_TEST(test_seam_paths)
{
	struct pci_devmodel fails = { .name = "fails", .create = create_fails };
	struct pci_devmodel ok = { .name = "ok", .create = create_ok, .destroy = destroy_count };
	struct pci_devmodel flr = pci_devmodel_edu;
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct pci_dev *p = dev(PLAIN), *e = dev(EDU);
	uint64_t msis;

	ck_assert_int_eq(pci_devmodel_attach(W, p, &fails), -ENOMEM);
	ck_assert_ptr_null(p->model);
	ck_assert_ptr_null(p->model_state);
	ck_assert_int_eq(pci_devmodel_attach(W, p, &ok), 0);
	ck_assert(pci_dev_has_model(p));
	ck_assert(!pci_devmodel_bar_has_regs(p, 0));        /* no handlers */
	pci_devmodel_reset(p);                               /* no reset handler */
	ck_assert_uint_eq(p->model_state->resets, 1);
	pci_devmodel_detach(p);
	ck_assert_uint_eq(destroyed, 1);
	ck_assert_ptr_null(p->model);
	/* MSI: only a vector the function has, only with a capability */
	pci_devmodel_set_msi_enabled(e, true);
	msis = e->model_state->msis;
	pci_devmodel_msi(e, 1);
	ck_assert_uint_eq(e->model_state->msis, msis);
	e->msi_vectors = 0;
	pci_devmodel_set_msi_enabled(e, true);
	ck_assert(!pci_devmodel_msi_enabled(e));
	e->msi_vectors = 1;
	/* no INTx pin: the line never moves */
	e->intx = false;
	pci_devmodel_set_intx(e, true);
	ck_assert(!e->model_state->intx_level);
	e->intx = true;
	/* a function whose config space offers an FLR resets anywhere (edu
	 * has none; here an Advanced Features capability with TP and FLR
	 * makes pci_af_flr apply) */
	flr.resets = PCI_DEVMODEL_RESET_AF;
	e->model = &flr;
	pci_config_add_cap(e, 0x13, 0x60, 6)[3] = 0x03;
	open_edu(EDU);
	ck_assert_uint_eq(e->model_state->resets, 1);        /* at the first open */
	ck_assert_int_eq(io(DFD, VFIO_DEVICE_GET_INFO, &di, sizeof(di)), 0);
	ck_assert_uint_eq(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	ck_assert_int_eq(ioc(DFD, VFIO_DEVICE_RESET, 0), 0);
	ck_assert_uint_eq(e->model_state->resets, 2);
	ck_assert_int_eq(sim_sys_close(W, PID, DFD), 0);
	ck_assert_uint_eq(e->model_state->resets, 3);
	e->model = &pci_devmodel_edu;
}
END_TEST

/* ---- registers --------------------------------------------------------------------- */

START_TEST(test_registers)
{
	uint8_t b = 0x55;

	open_edu(EDU);
	ck_assert_uint_eq(rd32(R_ID), 0x010000ed);
	ck_assert_uint_eq(rd32(R_LIVE), 0);
	wr32(R_LIVE, 0x12345678);
	ck_assert_uint_eq(rd32(R_LIVE), 0xedcba987);
	wr32(R_ID, 0);                                       /* read-only */
	ck_assert_uint_eq(rd32(R_ID), 0x010000ed);
	/* sizes: 4 below 0x80; 1 and 2 never reach the device */
	ck_assert_uint_eq(rd(R_ID, 1), 0);
	ck_assert_uint_eq(rd(R_ID + 1, 1), 0);
	ck_assert_uint_eq(rd(R_ID, 2), 0);
	ck_assert_uint_eq(rd(R_ID, 3), 0);                   /* 2 + 1 */
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, DFD, &b, 1, BAR0 + R_LIVE), 1);
	wr(R_LIVE, 2, 0x1111);
	ck_assert_uint_eq(rd32(R_LIVE), 0xedcba987);
	/* mainline does 8-byte accesses: below 0x80 they read all ones */
	ck_assert_uint_eq(rd(R_ID, 8), UINT64_MAX);
	wr(R_ID, 8, 0x0000000100000002ull);
	ck_assert_uint_eq(rd32(R_LIVE), 0xedcba987);
	ck_assert_uint_eq(rd32(0x10), 0xffffffff);           /* no register */
	ck_assert_uint_eq(rd32(0xffffc), 0xffffffff);
	ck_assert_uint_eq(rd32(R_RAISE), 0xffffffff);        /* write-only */
	/* 64-bit registers from 0x80: 4 or 8 bytes, the high half is no register */
	wr(R_SRC, 8, 0x1122334455667788ull);
	ck_assert_uint_eq(rd(R_SRC, 8), 0x1122334455667788ull);
	ck_assert_uint_eq(rd32(R_SRC), 0x55667788);
	ck_assert_uint_eq(rd32(R_SRC + 4), 0xffffffff);
	wr32(R_SRC + 4, 0x99);
	wr32(R_SRC, 0xabcd0000);
	ck_assert_uint_eq(rd(R_SRC, 8), 0xabcd0000);         /* zero-extended */
	wr(R_CNT, 2, 0x77);
	ck_assert_uint_eq(rd(R_CNT, 8), 0);
	ck_assert_uint_eq(rd(R_CMD, 2), 0);
	ck_assert_uint_eq(rd(0x100, 8), UINT64_MAX);
	/* beyond the BAR: EINVAL; a read across the end is cut */
	ck_assert_int_eq(sim_sys_pread_k(W, PID, DFD, &b, 1, BAR0 + (1u << 20)), -EINVAL);
	{
		uint64_t v = 0;

		ck_assert_int_eq(sim_sys_pread_k(W, PID, DFD, &v, 8, BAR0 + (1u << 20) - 4), 4);
		ck_assert_uint_eq(v, 0xffffffff);
	}
}
END_TEST

START_TEST(test_access_split_6_1)
{
	teardown();
	boot_kernel("6.1", "");
	open_edu(EDU);
	wr32(R_LIVE, 0x12345678);
	/* 6.1's vfio-pci has no 8-byte path: two 4-byte accesses */
	ck_assert_uint_eq(rd(R_ID, 8), 0xedcba987010000edull);
	wr(R_ID, 8, 0x0000000100000002ull);
	ck_assert_uint_eq(rd32(R_LIVE), 0xfffffffe);
	wr(R_SRC, 8, 0x1122334455667788ull);
	ck_assert_uint_eq(rd(R_SRC, 8), 0xffffffff55667788ull);
	ck_assert_uint_eq(rd(R_SRC + 4, 4), 0xffffffff);
	teardown();
	boot_kernel("6.12", "");
	open_edu(EDU);
	wr(R_SRC, 8, 0x1122334455667788ull);
	ck_assert_uint_eq(rd(R_SRC, 8), 0x1122334455667788ull);
}
END_TEST

START_TEST(test_factorial_and_status)
{
	static const struct { uint32_t n, fact; } f[] = {
		{ 0, 1 }, { 1, 1 }, { 5, 120 }, { 12, 479001600 }, { 13, 1932053504 },
		{ 33, 0x80000000u }, { 34, 0 }, { 0xffffffffu, 0 },
	};

	open_edu(EDU);
	for (size_t i = 0; i < G_N_ELEMENTS(f); i++) {
		wr32(R_FACT, f[i].n);
		ck_assert_uint_eq(rd32(R_STATUS) & 1, 0);    /* done at once */
		ck_assert_uint_eq(rd32(R_FACT), f[i].fact);
	}
	wr32(R_STATUS, 0x80);
	ck_assert_uint_eq(rd32(R_STATUS), 0x80);
	wr32(R_STATUS, 0xffffff7f);                          /* bit 0 read-only */
	ck_assert_uint_eq(rd32(R_STATUS), 0);
	/* the factorial's interrupt */
	wr32(R_STATUS, 0x80);
	wr32(R_FACT, 3);
	ck_assert_uint_eq(rd32(R_FACT), 6);
	ck_assert_uint_eq(rd32(R_IRQ), 1);
	wr32(R_ACK, 1);
	/* raise ORs in, acknowledge clears */
	ck_assert_uint_eq(rd32(R_IRQ), 0);
	wr32(R_RAISE, 0x5);
	wr32(R_RAISE, 0x100);
	ck_assert_uint_eq(rd32(R_IRQ), 0x105);
	wr32(R_ACK, 0x1);
	ck_assert_uint_eq(rd32(R_IRQ), 0x104);
	wr32(R_ACK, 0xffffffff);
	ck_assert_uint_eq(rd32(R_IRQ), 0);
	wr32(R_RAISE, 0);
	ck_assert(!dev(EDU)->model_state->intx_level);
}
END_TEST

/* ---- DMA --------------------------------------------------------------------------- */

/* Bus Master Enable clear (PCI_COMMAND): the device's DMA is not issued.
 * QEMU disables a function's bus-master address space while the bit is
 * clear (pci_update_mappings' bus_master_enable_region), so edu's engine
 * reads zeros and its writes go nowhere; the IOMMU sees no request and
 * records no fault.  vfio_pci_core_enable clears the bit (pci_clear_master)
 * and the user sets it, as a driver's pci_set_master would. */
START_TEST(test_dma_needs_bus_master)
{
	uint8_t in[512], out[512], zero[512] = { 0 };
	uint64_t src = BUF, dst = BUF + 0x1000;
	uint16_t mem_only = 0x2;

	open_edu(EDU);
	pattern(in, sizeof(in), 5);
	put_user(src, in, sizeof(in));
	put_user(dst, zero, sizeof(zero));
	ck_assert_int_eq(map(CFD, src, IOVA_R, 4096, RD), 0);
	ck_assert_int_eq(map(CFD, dst, IOVA_W, 4096, WR), 0);
	dma(IOVA_R, BUFA, sizeof(in), 0);                      /* fills BUFA */
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, DFD, &mem_only, 2, CFG + 4), 2);
	dma(BUFA, IOVA_W, sizeof(in), 2);                      /* not issued */
	get_user(out, dst, sizeof(out));
	ck_assert_mem_eq(out, zero, sizeof(out));
	ck_assert_uint_eq(dev(EDU)->model_state->dma_blocked, 1);
	ck_assert_uint_eq(iommu_hw_fault_count(W), 0);
	dma(IOVA_R, BUFA, sizeof(in), 0);                      /* reads zeros */
	enable_mem();
	dma(BUFA, IOVA_W, sizeof(in), 2);
	get_user(out, dst, sizeof(out));
	ck_assert_mem_eq(out, zero, sizeof(out));
	dma(IOVA_R, BUFA, sizeof(in), 0);
	dma(BUFA, IOVA_W, sizeof(in), 2);
	get_user(out, dst, sizeof(out));
	ck_assert_mem_eq(out, in, sizeof(out));
	ck_assert_uint_eq(dev(EDU)->model_state->dma_blocked, 2);
}
END_TEST

START_TEST(test_dma_roundtrip)
{
	uint8_t in[4096], out[4096], zero[4096] = { 0 };
	uint64_t src = BUF, dst = BUF + 0x1000;

	open_edu(EDU);
	pattern(in, sizeof(in), 3);
	put_user(src, in, sizeof(in));
	ck_assert_int_eq(map(CFD, src, IOVA_R, 4096, RD), 0);
	ck_assert_int_eq(map(CFD, dst, IOVA_W, 4096, WR), 0);
	ck_assert_uint_eq(dma(IOVA_R, BUFA, 2048, 0), 0);        /* run bit clear */
	ck_assert_uint_eq(dma(BUFA, IOVA_W, 2048, 2), 2);
	get_user(out, dst, sizeof(out));
	ck_assert_mem_eq(out, in, 2048);
	ck_assert_mem_eq(out + 2048, zero, 2048);
	/* the last byte the 7.2 check allows: 4095 bytes from the start */
	pattern(in, sizeof(in), 11);
	put_user(src, in, sizeof(in));
	dma(IOVA_R, BUFA, 4095, 0);
	dma(BUFA + 1, IOVA_W + 1, 4094, 2);
	get_user(out, dst, sizeof(out));
	ck_assert_mem_eq(out + 1, in + 1, 4094);
	ck_assert_uint_eq(pci_devmodel_errors(dev(EDU)), 0);
	/* the 28-bit mask: bits above 27 of the bus address are dropped */
	pattern(in, sizeof(in), 21);
	put_user(src, in, sizeof(in));
	dma((1ull << 28) | IOVA_R, BUFA, 512, 0);
	dma(BUFA, (7ull << 28) | IOVA_W, 512, 2);
	get_user(out, dst, 512);
	ck_assert_mem_eq(out, in, 512);
	ck_assert_uint_eq(iommu_hw_fault_count(W), 0);
	/* registers after: the command without the run bit */
	ck_assert_uint_eq(rd(R_DST, 8), (7ull << 28) | IOVA_W);
	ck_assert_uint_eq(rd32(R_CMD), 2);
	wr32(R_CMD, 0x6);                                    /* no run bit: ignored */
	ck_assert_uint_eq(rd32(R_CMD), 2);
	ck_assert_uint_eq(rd32(R_IRQ), 0);
}
END_TEST

START_TEST(test_dma_refused)
{
	uint8_t in[4096], out[4096], old[4096];
	uint64_t src = BUF, ro = BUF + 0x1000, gone = BUF + 0x2000, half = BUF + 0x4000;
	const struct iommu_fault_rec *f;

	open_edu(EDU);
	pattern(in, sizeof(in), 5);
	put_user(src, in, sizeof(in));
	memset(old, 0xaa, sizeof(old));
	put_user(ro, old, sizeof(old));
	put_user(gone, old, sizeof(old));
	ck_assert_int_eq(map(CFD, src, IOVA_R, 4096, RD), 0);
	ck_assert_int_eq(map(CFD, ro, 0x300000, 4096, RD), 0);
	ck_assert_int_eq(map(CFD, gone, 0x500000, 4096, WR), 0);
	put_user(half + 0x1000, old, sizeof(old));
	dma(IOVA_R, BUFA, 1024, 0);
	/* a write to a READ-only IOVA: refused, a permission fault, memory as it was */
	ck_assert_uint_eq(dma(BUFA, 0x300000, 1024, 2), 2);
	get_user(out, ro, sizeof(out));
	ck_assert_mem_eq(out, old, sizeof(out));
	ck_assert_uint_eq(iommu_hw_fault_count(W), 1);
	f = iommu_hw_fault_at(W, 0);
	ck_assert_int_eq(f->reason, IOMMU_FAULT_PERMISSION);
	ck_assert(f->write);
	ck_assert_uint_eq(f->addr, 0x300000);
	ck_assert_uint_eq(f->rid, 0x0018);                   /* 00:03.0 */
	/* unmapped: not present */
	dma(BUFA, 0x400000, 64, 2);
	ck_assert_int_eq(iommu_hw_fault_at(W, 1)->reason, IOMMU_FAULT_NOT_PRESENT);
	/* mapped, written, unmapped: refused */
	dma(BUFA, 0x500000, 64, 2);
	get_user(out, gone, 64);
	ck_assert_mem_eq(out, in, 64);
	put_user(gone, old, sizeof(old));
	ck_assert_int_eq(unmap(CFD, 0x500000, 4096, 0, NULL), 0);
	dma(BUFA, 0x500000, 64, 2);
	get_user(out, gone, sizeof(out));
	ck_assert_mem_eq(out, old, sizeof(out));
	/* a read the IOMMU refuses delivers zeros to the device */
	dma(0x400000, BUFA, 256, 0);
	ck_assert_int_eq(map(CFD, half + 0x1000, 0x701000, 4096, WR), 0);
	dma(BUFA, 0x701000, 256, 2);
	get_user(out, half + 0x1000, 256);
	memset(old, 0, 256);
	ck_assert_mem_eq(out, old, 256);
	/* a transfer across a refused page: the page after it still lands */
	dma(IOVA_R, BUFA, 2048, 0);
	iommu_hw_fault_clear(W);
	dma(BUFA, 0x700c00, 2048, 2);                        /* 0x700000 unmapped */
	get_user(out, half + 0x1000, 1024);
	ck_assert_mem_eq(out, in + 1024, 1024);
	ck_assert_uint_eq(iommu_hw_fault_count(W), 1);
	ck_assert_uint_eq(iommu_hw_fault_at(W, 0)->addr, 0x700c00);
}
END_TEST

START_TEST(test_dma_out_of_bounds)
{
	static const struct { uint64_t dev, cnt; bool to_ram; } bad[] = {
		{ BUFA, 4096, false },          /* ends at the end: QEMU 7.2 aborts */
		{ BUFA, 4096, true },
		{ BUFA, 0, false },             /* empty */
		{ BUFA - 1, 16, false },        /* starts before */
		{ BUFA + 4096, 1, true },       /* starts after */
		{ BUFA + 16, UINT64_MAX - 8, false },  /* wraps */
		{ 0, 16, true },
	};
	uint8_t in[4096], out[64], old[64];
	struct pci_dev *e = dev(EDU);

	open_edu(EDU);
	pattern(in, sizeof(in), 7);
	put_user(BUF, in, sizeof(in));
	memset(old, 0x5c, sizeof(old));
	put_user(BUF + 0x1000, old, sizeof(old));
	ck_assert_int_eq(map(CFD, BUF, IOVA_R, 4096, RD), 0);
	ck_assert_int_eq(map(CFD, BUF + 0x1000, IOVA_W, 4096, WR), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint64_t s = bad[i].to_ram ? bad[i].dev : IOVA_R;
		uint64_t d = bad[i].to_ram ? IOVA_W : bad[i].dev;

		/* the run bit clears, nothing moves, no interrupt, an error */
		ck_assert_uint_eq(dma(s, d, bad[i].cnt, (bad[i].to_ram ? 2 : 0) | 4),
				  (bad[i].to_ram ? 2u : 0u) | 4u);
		ck_assert_uint_eq(pci_devmodel_errors(e), i + 1);
		ck_assert_msg(!strncmp(pci_devmodel_last_error(e), "dma-out-of-bounds: ", 19),
			      "%s", pci_devmodel_last_error(e));
		ck_assert_uint_eq(rd32(R_IRQ), 0);
	}
	ck_assert_msg(strstr(pci_devmodel_last_error(e), "QEMU 7.2 aborts"), "%s",
		      pci_devmodel_last_error(e));
	get_user(out, BUF + 0x1000, sizeof(out));
	ck_assert_mem_eq(out, old, sizeof(out));
	ck_assert_uint_eq(iommu_hw_fault_count(W), 0);
	/* the device carries on */
	dma(IOVA_R, BUFA, 64, 0);
	dma(BUFA, IOVA_W, 64, 2);
	get_user(out, BUF + 0x1000, sizeof(out));
	ck_assert_mem_eq(out, in, sizeof(out));
}
END_TEST

/* The requester id a DMA carries is the one after aliasing: behind the
 * PCIe-to-PCI bridge, 06:01.0 is seen as 06:00.0. */
START_TEST(test_dma_requester_id)
{
	open_edu(EDU_BR);
	dma(BUFA, 0x400000, 16, 2);
	ck_assert_uint_eq(iommu_hw_fault_count(W), 1);
	ck_assert_uint_eq(iommu_hw_fault_at(W, 0)->rid, 0x0600);
}
END_TEST

/* ---- the read bit of 6.1 and 6.12 -------------------------------------------------- */

/* A device read from an IOVA mapped WRITE only: what reaches the device. */
static bool wo_readable(void)
{
	uint8_t in[256], out[256];

	open_edu(EDU);
	pattern(in, sizeof(in), 40);
	put_user(BUF, in, sizeof(in));
	ck_assert_int_eq(map(CFD, BUF, 0x600000, 4096, WR), 0);
	ck_assert_int_eq(map(CFD, BUF + 0x1000, IOVA_W, 4096, WR), 0);
	dma(0x600000, BUFA, sizeof(in), 0);
	dma(BUFA, IOVA_W, sizeof(in), 2);
	get_user(out, BUF + 0x1000, sizeof(out));
	inv();                                  /* §H12 holds with the read bit */
	return !memcmp(out, in, sizeof(in));
}

START_TEST(test_read_bit_mainline)
{
	ck_assert(!wo_readable());
	ck_assert_uint_eq(iommu_hw_fault_count(W), 1);
	ck_assert_int_eq(iommu_hw_fault_at(W, 0)->reason, IOMMU_FAULT_PERMISSION);
	ck_assert_uint_eq(iommu_domain_pte_prot(gdomain(EDU), IOMMU_WRITE), IOMMU_WRITE);
}
END_TEST

START_TEST(test_read_bit_6_1)
{
	struct iommu_domain *d;
	unsigned prot = 0;
	uint64_t hpa;

	teardown();
	boot_kernel("6.1", "");
	ck_assert(wo_readable());
	ck_assert_uint_eq(iommu_hw_fault_count(W), 0);
	d = gdomain(EDU);
	ck_assert_ptr_eq(d->pt.fmt, &io_pgtable_vtd_ss);
	/* the table holds R|W for the WRITE-only mapping; READ stays READ */
	ck_assert_int_eq(iommu_iova_to_phys(d, 0x600000, &hpa, &prot), 0);
	ck_assert_uint_eq(prot & (IOMMU_READ | IOMMU_WRITE), IOMMU_READ | IOMMU_WRITE);
	ck_assert_uint_eq(iommu_domain_pte_prot(d, IOMMU_WRITE), IOMMU_READ | IOMMU_WRITE);
	ck_assert_uint_eq(iommu_domain_pte_prot(d, IOMMU_READ), IOMMU_READ);
	ck_assert_uint_eq(iommu_domain_pte_prot(d, 0), 0);
	ck_assert_uint_eq(iommu_domain_pte_prot(NULL, IOMMU_WRITE), 0);
}
END_TEST

START_TEST(test_read_bit_6_12)
{
	teardown();
	boot_kernel("6.12", "");
	ck_assert(wo_readable());
	teardown();
	boot_kernel("6.1", ", naive_map: true");            /* the per-page map too */
	ck_assert(wo_readable());
}
END_TEST

/* Only intel-iommu does it: an SMMUv3 stage 2 under 6.1 stays WRITE-only,
 * and VT-d's first-level format has no write-only to begin with. */
START_TEST(test_read_bit_other_formats)
{
	teardown();
	boot_kernel("6.1", ", format: arm-smmuv3");
	ck_assert(!wo_readable());
	ck_assert_uint_eq(iommu_domain_pte_prot(gdomain(EDU), IOMMU_WRITE), IOMMU_WRITE);
	teardown();
	boot_kernel("mainline", ", paging_stage: 1");
	ck_assert(wo_readable());
	ck_assert_ptr_eq(gdomain(EDU)->pt.fmt, &io_pgtable_vtd_fs);
}
END_TEST

/* ---- interrupts -------------------------------------------------------------------- */

static long set_irqs(unsigned index, unsigned start, unsigned count, uint32_t flags,
		     const int32_t *fds)
{
	struct { struct vfio_irq_set s; int32_t fd[4]; } x;

	memset(&x, 0, sizeof(x));
	x.s.argsz = sizeof(x.s) + (fds ? count * sizeof(int32_t) : count);
	x.s.flags = flags;
	x.s.index = index;
	x.s.start = start;
	x.s.count = count;
	if (fds)
		memcpy(x.fd, fds, count * sizeof(int32_t));
	else if (flags & VFIO_IRQ_SET_DATA_BOOL)
		memset(x.fd, 1, count);
	return io(DFD, VFIO_DEVICE_SET_IRQS, &x, sizeof(x));
}

#define TRIG VFIO_IRQ_SET_ACTION_TRIGGER
#define EVFD VFIO_IRQ_SET_DATA_EVENTFD
#define NONE VFIO_IRQ_SET_DATA_NONE
#define BOOL VFIO_IRQ_SET_DATA_BOOL
#define UNMASK VFIO_IRQ_SET_ACTION_UNMASK

/* The eventfd's counter, read (0 when it is empty). */
static uint64_t take(int efd)
{
	uint64_t v = 0;
	long ret = sim_sys_read_k(W, PID, efd, &v, sizeof(v));

	ck_assert_msg(ret == 8 || ret == -EAGAIN, "read %ld", ret);
	return ret == 8 ? v : 0;
}

static int new_eventfd(void)
{
	long fd = sim_sys_eventfd(W, PID, 0, SIM_EFD_NONBLOCK);

	ck_assert_int_ge(fd, 0);
	return (int)fd;
}

/* edu has no MSI-X: vfio_pci_ioctl_get_irq_info keeps NORESIZE on the MSI-X
 * index on every kernel (has_dyn_msix needs an MSI-X capability), where a
 * device with MSI-X loses it after 6.1.  The oracle's edu.irq2.info. */
START_TEST(test_irq_info_no_msix)
{
	static const char *const kernels[] = { "6.1", "6.12", "mainline" };

	for (size_t k = 0; k < G_N_ELEMENTS(kernels); k++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX };

		teardown();
		boot_kernel(kernels[k], "");
		open_edu("0000:00:03.0");
		ck_assert_int_eq(io(DFD, VFIO_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii)), 0);
		ck_assert_uint_eq(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
		ck_assert_uint_eq(ii.count, 0);
	}
}
END_TEST

START_TEST(test_intx)
{
	struct pci_dev *e = dev(EDU);
	int32_t efd;

	open_edu(EDU);
	efd = new_eventfd();
	/* no trigger: the line goes up and down, nobody is told */
	wr32(R_RAISE, 1);
	ck_assert(e->model_state->intx_level);
	ck_assert_uint_eq(e->model_state->intx_asserts, 1);
	wr32(R_ACK, 1);
	ck_assert(!e->model_state->intx_level);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | TRIG, &efd), 0);
	wr32(R_RAISE, 1);
	ck_assert_uint_eq(take(efd), 1);
	wr32(R_RAISE, 2);                                    /* automasked */
	ck_assert_uint_eq(take(efd), 0);
	wr32(R_ACK, 3);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				  NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL), 0);
	ck_assert_uint_eq(take(efd), 0);                     /* nothing pending */
	wr32(R_RAISE, 4);
	ck_assert_uint_eq(take(efd), 1);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				  BOOL | VFIO_IRQ_SET_ACTION_UNMASK, NULL), 0);
	ck_assert_uint_eq(take(efd), 1);                     /* still up: again */
	wr32(R_ACK, 4);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL);
	ck_assert_uint_eq(take(efd), 0);
	/* masked by the user: held back until unmask */
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				  BOOL | VFIO_IRQ_SET_ACTION_MASK, NULL), 0);
	wr32(R_RAISE, 8);
	ck_assert_uint_eq(take(efd), 0);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL);
	ck_assert_uint_eq(take(efd), 1);
	wr32(R_ACK, 8);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL);
	/* loopback */
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NONE | TRIG, NULL), 0);
	ck_assert_uint_eq(take(efd), 1);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, BOOL | TRIG, NULL), 0);
	ck_assert_uint_eq(take(efd), 1);
	/* the trigger cleared with -1: INTx stays, nothing is signalled */
	{
		int32_t none = -1;

		ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | TRIG, &none), 0);
		wr32(R_RAISE, 1);
		ck_assert_uint_eq(take(efd), 0);
		wr32(R_ACK, 1);
	}
	/* a line already up at enable is not delivered; the next rise is */
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NONE | TRIG, NULL), 0);
	wr32(R_RAISE, 0x20);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | TRIG, &efd), 0);
	ck_assert_uint_eq(take(efd), 0);
	wr32(R_RAISE, 0x40);
	ck_assert_uint_eq(take(efd), 0);
	wr32(R_ACK, 0x60);
	wr32(R_RAISE, 0x80);
	ck_assert_uint_eq(take(efd), 1);
	wr32(R_ACK, 0x80);
}
END_TEST

START_TEST(test_msi)
{
	struct pci_dev *e = dev(EDU);
	int32_t mfd, ifd, fds[2];
	uint8_t in[64];

	open_edu(EDU);
	mfd = new_eventfd();
	ifd = new_eventfd();
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | TRIG, &ifd), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, EVFD | TRIG, &mfd), -EINVAL);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NONE | TRIG, NULL);
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, EVFD | TRIG, &mfd), 0);
	ck_assert(pci_devmodel_msi_enabled(e));
	/* every raise is a message; INTx stays down */
	wr32(R_RAISE, 1);
	wr32(R_RAISE, 2);
	ck_assert_uint_eq(take(mfd), 2);
	ck_assert_uint_eq(e->model_state->msis, 2);
	ck_assert(!e->model_state->intx_level);
	ck_assert_uint_eq(take(ifd), 0);
	wr32(R_ACK, 3);
	ck_assert_uint_eq(take(mfd), 0);
	/* factorial and DMA completion */
	wr32(R_STATUS, 0x80);
	wr32(R_FACT, 4);
	ck_assert_uint_eq(take(mfd), 1);
	wr32(R_ACK, 1);
	wr32(R_STATUS, 0);
	pattern(in, sizeof(in), 1);
	put_user(BUF, in, sizeof(in));
	ck_assert_int_eq(map(CFD, BUF, IOVA_R, 4096, RD), 0);
	ck_assert_uint_eq(dma(IOVA_R, BUFA, 64, 4), 4);
	ck_assert_uint_eq(rd32(R_IRQ), 0x100);
	ck_assert_uint_eq(take(mfd), 1);
	dma(BUFA, 0x400000, 64, 6);                          /* refused, still done */
	ck_assert_uint_eq(take(mfd), 1);
	wr32(R_ACK, 0x100);
	/* loopback */
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, NONE | TRIG, NULL), 0);
	ck_assert_uint_eq(take(mfd), 1);
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, BOOL | TRIG, NULL), 0);
	ck_assert_uint_eq(take(mfd), 1);
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 2, NONE | TRIG, NULL), -EINVAL);
	/* a vector without an eventfd: nothing */
	fds[0] = -1;
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, EVFD | TRIG, fds), 0);
	wr32(R_RAISE, 1);
	ck_assert_uint_eq(take(mfd), 0);
	wr32(R_ACK, 1);
	/* off: back to INTx, which nobody takes */
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 0, NONE | TRIG, NULL), 0);
	ck_assert(!pci_devmodel_msi_enabled(e));
	wr32(R_RAISE, 1);
	ck_assert(e->model_state->intx_level);
	ck_assert_uint_eq(take(mfd), 0);
	wr32(R_ACK, 1);
}
END_TEST

/* A trigger is an eventfd (eventfd_ctx_fdget): another open fd is EINVAL,
 * a closed one EBADF, and a refused replacement leaves the old trigger
 * (vfio_pci_set_intx_trigger takes the new eventfd before anything else,
 * on 6.1.0-57 and 6.12 alike); the trigger holds its eventfd. */
START_TEST(test_trigger_files)
{
	unsigned long live;
	int32_t efd, other, closed = 900;
	uint64_t v;

	open_edu(EDU);
	other = CFD;
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | TRIG, &other), -EINVAL);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NONE | TRIG, NULL), -EINVAL);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | TRIG, &closed), -EBADF);
	efd = new_eventfd();
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | TRIG, &efd), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | TRIG, &other), -EINVAL);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | TRIG, &closed), -EBADF);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NONE | TRIG, NULL), 0);
	ck_assert_uint_eq(take(efd), 1);                     /* still the trigger */
	/* the INTx unmask eventfd is taken the same way (vfio_virqfd_enable) */
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | UNMASK, &other), -EINVAL);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | UNMASK, &closed), -EBADF);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1, EVFD | UNMASK, &efd), 0);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NONE | TRIG, NULL);
	ck_assert_int_eq(sim_sys_close(W, PID, efd), 0);
	/* close the eventfd while it is the trigger: the file lives on */
	efd = new_eventfd();
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, EVFD | TRIG, &efd), 0);
	live = sim_file_live(W);
	ck_assert_int_eq(sim_sys_close(W, PID, efd), 0);
	ck_assert_uint_eq(sim_file_live(W), live);
	wr32(R_RAISE, 1);
	wr32(R_ACK, 1);
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 0, NONE | TRIG, NULL), 0);
	ck_assert_uint_eq(sim_file_live(W), live - 1);
	/* ERR (conventional PCI: none) and REQ loopback */
	efd = new_eventfd();
	ck_assert_int_eq(set_irqs(VFIO_PCI_REQ_IRQ_INDEX, 0, 1, EVFD | TRIG, &efd), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_REQ_IRQ_INDEX, 0, 1, NONE | TRIG, NULL), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_REQ_IRQ_INDEX, 0, 1, BOOL | TRIG, NULL), 0);
	ck_assert_int_eq(sim_sys_read_k(W, PID, efd, &v, 8), 8);
	ck_assert_uint_eq(v, 2);
	ck_assert_int_eq(set_irqs(VFIO_PCI_REQ_IRQ_INDEX, 0, 0, NONE | TRIG, NULL), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_REQ_IRQ_INDEX, 0, 1, BOOL | TRIG, NULL), 0);
	ck_assert_int_eq(sim_sys_read_k(W, PID, efd, &v, 8), -EAGAIN);
	/* the last close drops every trigger */
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, EVFD | TRIG, &efd), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, efd), 0);
	live = sim_file_live(W);
	ck_assert_int_eq(sim_sys_close(W, PID, DFD), 0);
	ck_assert_uint_eq(sim_file_live(W), live - 2);        /* device file, eventfd */
}
END_TEST

/* After vfio-pci lets go of the function, its interrupts go nowhere. */
START_TEST(test_unbind_sink)
{
	struct pci_dev *e = dev(EDU);
	int32_t efd;

	open_edu(EDU);
	efd = new_eventfd();
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, EVFD | TRIG, &efd), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, DFD), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, GFD), 0);
	ck_assert_int_eq(sim_pci_bind(W, EDU, "none"), 0);
	ck_assert(!e->model_state->has_sink);
	pci_devmodel_bar_write(e, 0, R_RAISE, 4, 1);
	ck_assert(e->model_state->intx_level);
	ck_assert_uint_eq(take(efd), 0);
	ck_assert_int_eq(sim_pci_bind(W, EDU, "vfio-pci"), 0);
	ck_assert(e->model_state->has_sink);
}
END_TEST

/* ---- reset ------------------------------------------------------------------------- */

START_TEST(test_reset)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct pci_dev *e = dev(EDU), *b = dev(EDU_BR);
	int32_t efd;

	/* on the root bus: no FLR, no PM, no bus reset */
	open_edu(EDU);
	ck_assert_int_eq(io(DFD, VFIO_DEVICE_GET_INFO, &di, sizeof(di)), 0);
	ck_assert_uint_eq(di.flags, VFIO_DEVICE_FLAGS_PCI);
	ck_assert_int_eq(ioc(DFD, VFIO_DEVICE_RESET, 0), -EINVAL);
	ck_assert_uint_eq(e->model_state->resets, 0);
	wr32(R_LIVE, 1);
	ck_assert_int_eq(sim_sys_close(W, PID, DFD), 0);
	DFD = (int)device_fd(GFD, EDU);
	enable_mem();
	ck_assert_uint_eq(rd32(R_LIVE), 0xfffffffe);          /* survives */
	ck_assert_int_eq(sim_sys_close(W, PID, DFD), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, GFD), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, CFD), 0);

	/* alone below a bridge: a secondary bus reset, at open, ioctl, close */
	open_edu(EDU_BR);
	ck_assert_uint_eq(b->model_state->resets, 1);
	ck_assert_int_eq(io(DFD, VFIO_DEVICE_GET_INFO, &di, sizeof(di)), 0);
	ck_assert_uint_eq(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	wr32(R_LIVE, 1);
	wr32(R_RAISE, 1);
	ck_assert(b->model_state->intx_level);
	ck_assert_int_eq(ioc(DFD, VFIO_DEVICE_RESET, 0), 0);
	ck_assert_uint_eq(b->model_state->resets, 2);
	ck_assert(!b->model_state->intx_level);               /* the line drops */
	ck_assert_uint_eq(rd32(R_LIVE), 0xfffffffe);          /* edu keeps its registers */
	ck_assert_uint_eq(rd32(R_IRQ), 1);
	/* the reset turns MSI off in the device; the kernel restores the
	 * saved config state after it (pci_restore_state), MSI included */
	efd = new_eventfd();
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1, EVFD | TRIG, &efd), 0);
	ck_assert(pci_devmodel_msi_enabled(b));
	ck_assert_int_eq(ioc(DFD, VFIO_DEVICE_RESET, 0), 0);
	ck_assert_uint_eq(b->model_state->resets, 3);
	ck_assert(pci_devmodel_msi_enabled(b));
	wr32(R_RAISE, 2);
	ck_assert_uint_eq(take(efd), 1);
	ck_assert(!b->model_state->intx_level);
	/* the last close: interrupts off, then a reset */
	ck_assert_int_eq(sim_sys_close(W, PID, DFD), 0);
	ck_assert_uint_eq(b->model_state->resets, 4);
	ck_assert(!pci_devmodel_msi_enabled(b));
	pci_devmodel_bar_write(b, 0, R_RAISE, 4, 4);
	ck_assert(b->model_state->intx_level);
	pci_devmodel_reset(b);
	ck_assert(!b->model_state->intx_level);
	ck_assert_uint_eq(pci_devmodel_bar_read(b, 0, R_IRQ, 4), 7);
}
END_TEST

/* ---- eventfd ----------------------------------------------------------------------- */

START_TEST(test_eventfd)
{
	struct sim_proc *p = sim_proc_find(W, PID);
	uint64_t v = 0, big;
	long fd, sfd;
	uint32_t small = 0;

	ck_assert_int_eq(sim_sys_eventfd(NULL, PID, 0, 0), -EINVAL);
	ck_assert_int_eq(sim_sys_eventfd(W, 99, 0, 0), -ESRCH);
	ck_assert_int_eq(sim_sys_eventfd(W, PID, 0, 0x10), -EINVAL);
	fd = sim_sys_eventfd(W, PID, 7, SIM_EFD_CLOEXEC);
	ck_assert_int_ge(fd, 3);
	ck_assert(p->fds[fd].cloexec);
	ck_assert(sim_file_is_eventfd(sim_fd_get(p, (int)fd)));
	ck_assert_uint_eq(sim_eventfd_count(sim_fd_get(p, (int)fd)), 7);
	ck_assert_int_eq(sim_sys_read_k(W, PID, (int)fd, &small, 4), -EINVAL);
	ck_assert_int_eq(sim_sys_read_k(W, PID, (int)fd, &v, 8), 8);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(sim_sys_read_k(W, PID, (int)fd, &v, 8), -EAGAIN);  /* would block */
	v = 5;
	ck_assert_int_eq(sim_sys_write_k(W, PID, (int)fd, &v, 8), 8);
	ck_assert_int_eq(sim_sys_write_k(W, PID, (int)fd, &small, 4), -EINVAL);
	big = UINT64_MAX;
	ck_assert_int_eq(sim_sys_write_k(W, PID, (int)fd, &big, 8), -EINVAL);
	big = UINT64_MAX - 5;                                /* would reach ULLONG_MAX */
	ck_assert_int_eq(sim_sys_write_k(W, PID, (int)fd, &big, 8), -EAGAIN);
	big = UINT64_MAX - 6;
	ck_assert_int_eq(sim_sys_write_k(W, PID, (int)fd, &big, 8), 8);
	/* signals stop at ULLONG_MAX */
	ck_assert_uint_eq(sim_eventfd_signal(sim_fd_get(p, (int)fd), 5), 1);
	ck_assert_uint_eq(sim_eventfd_count(sim_fd_get(p, (int)fd)), UINT64_MAX);
	ck_assert_int_eq(sim_sys_read_k(W, PID, (int)fd, &v, 16), 8);
	ck_assert_uint_eq(v, UINT64_MAX);
	/* no position */
	ck_assert_int_eq(sim_sys_pread_k(W, PID, (int)fd, &v, 8, 0), -ESPIPE);
	ck_assert_int_eq(sim_sys_pwrite_k(W, PID, (int)fd, &v, 8, 0), -ESPIPE);
	ck_assert_int_eq(sim_sys_read_k(W, PID, (int)fd, NULL, 8), -EFAULT);
	ck_assert_int_eq(sim_sys_read_k(W, 99, (int)fd, &v, 8), -ESRCH);
	ck_assert_int_eq(sim_sys_write_k(W, PID, (int)fd, NULL, 8), -EFAULT);
	ck_assert_int_eq(sim_sys_write_k(W, 99, (int)fd, &v, 8), -ESRCH);
	ck_assert_int_eq(sim_sys_read_k(W, PID, 999, &v, 8), -EBADF);
	ck_assert_int_eq(sim_sys_ioctl_ul(W, PID, (int)fd, 1, 0), -ENOTTY);
	/* a semaphore reads 1 at a time */
	sfd = sim_sys_eventfd(W, PID, 2, SIM_EFD_SEMAPHORE | SIM_EFD_NONBLOCK);
	ck_assert_int_eq(sim_sys_read_k(W, PID, (int)sfd, &v, 8), 8);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(sim_sys_read_k(W, PID, (int)sfd, &v, 8), 8);
	ck_assert_int_eq(sim_sys_read_k(W, PID, (int)sfd, &v, 8), -EAGAIN);
	/* other files */
	ck_assert(!sim_file_is_eventfd(NULL));
	ck_assert_uint_eq(sim_eventfd_signal(NULL, 1), 0);
	ck_assert_uint_eq(sim_eventfd_count(NULL), 0);
	/* the public API: user buffers */
	v = 3;
	put_user(ARG, &v, 8);
	ck_assert_int_eq(sim_sys_write(W, PID, (int)sfd, (void *)(uintptr_t)ARG, 8), 8);
	ck_assert_int_eq(sim_sys_read(W, PID, (int)sfd, (void *)(uintptr_t)(ARG + 8), 8), 8);
	get_user(&v, ARG + 8, 8);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(sim_sys_read(W, PID, (int)sfd, (void *)8, 8), -EFAULT);
	ck_assert_int_eq(sim_sys_write(W, PID, (int)sfd, (void *)8, 8), -EFAULT);
	ck_assert_int_eq(sim_sys_read(W, 99, (int)sfd, NULL, 8), -ESRCH);
	ck_assert_int_eq(sim_sys_write(W, 99, (int)sfd, NULL, 8), -ESRCH);
	ck_assert_int_eq(sim_sys_read(NULL, PID, (int)sfd, NULL, 8), -EINVAL);  /* no world */
}
END_TEST

START_TEST(test_eventfd_failures)
{
	long fd;
	int n = 0;

	sim_fault_fail_nth(W, "eventfd_alloc", 1);
	ck_assert_int_eq(sim_sys_eventfd(W, PID, 0, 0), -ENOMEM);
	sim_fault_fail_nth(W, "file_alloc", 1);
	ck_assert_int_eq(sim_sys_eventfd(W, PID, 0, 0), -ENOMEM);
	/* a full fd table */
	while ((fd = sim_sys_eventfd(W, PID, 0, 0)) >= 0)
		n++;
	ck_assert_int_eq(fd, -EMFILE);
	ck_assert_int_gt(n, 1000);
}
END_TEST

static Suite *edu_suite(void)
{
	Suite *s = suite_create("edu");
	TCase *seam = tcase_create("seam"), *regs = tcase_create("registers");
	TCase *dmas = tcase_create("dma"), *irqs = tcase_create("irqs");
	TCase *efd = tcase_create("eventfd");

	tcase_add_test(seam, test_model_table);
	tcase_add_test(seam, test_topology_contradictions);
	tcase_add_test(seam, test_topology_loader_error);
	tcase_add_test(seam, test_topology_alloc_fails);
	suite_add_tcase(s, seam);
	tcase_add_checked_fixture(regs, edu_setup, teardown);
	tcase_add_test(regs, test_topology_defaults);
	tcase_add_test(regs, test_seam_bad_access);
	tcase_add_test(regs, test_seam_paths);
	tcase_add_test(regs, test_registers);
	tcase_add_test(regs, test_access_split_6_1);
	tcase_add_test(regs, test_factorial_and_status);
	tcase_add_test(regs, test_reset);
	suite_add_tcase(s, regs);
	tcase_add_checked_fixture(dmas, edu_setup, teardown);
	tcase_add_test(dmas, test_dma_roundtrip);
	tcase_add_test(dmas, test_dma_needs_bus_master);
	tcase_add_test(dmas, test_dma_refused);
	tcase_add_test(dmas, test_dma_out_of_bounds);
	tcase_add_test(dmas, test_dma_requester_id);
	tcase_add_test(dmas, test_read_bit_mainline);
	tcase_add_test(dmas, test_read_bit_6_1);
	tcase_add_test(dmas, test_read_bit_6_12);
	tcase_add_test(dmas, test_read_bit_other_formats);
	suite_add_tcase(s, dmas);
	tcase_add_checked_fixture(irqs, edu_setup, teardown);
	tcase_add_test(irqs, test_intx);
	tcase_add_test(irqs, test_msi);
	tcase_add_test(irqs, test_trigger_files);
	tcase_add_test(irqs, test_unbind_sink);
	tcase_add_test(irqs, test_irq_info_no_msix);
	suite_add_tcase(s, irqs);
	tcase_add_checked_fixture(efd, edu_setup, teardown);
	tcase_add_test(efd, test_eventfd);
	tcase_add_test(efd, test_eventfd_failures);
	suite_add_tcase(s, efd);
	return s;
}

int main(void)
{
	return unit_run(edu_suite());
}
