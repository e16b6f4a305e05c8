/* SPDX-License-Identifier: MIT */
/*
 * edu_dma: QEMU's educational device (1234:11e8) driven from userspace
 * through vfio-pci, and the DMA it does through the IOMMU (docs/devices.md).
 *
 *     edu_dma_sim --world edu.yaml [--kernel 6.1|6.12] -- BDF
 *     edu_dma_guest -- BDF
 *
 * The steps, each a check line:
 *   setup     bind to vfio-pci, container + group, type1 v2, the device fd,
 *             GET_INFO, BAR0's region info, the IRQ indexes' info
 *   registers identification, liveness, access sizes (1, 2, 4, 8 bytes:
 *             vfio-pci splits what the release cannot do in one access),
 *             factorial (5! = 120, the 32-bit wrap, 34! = 0), status and the
 *             interrupt status raise/acknowledge bits
 *   DMA       RAM -> device -> RAM through an IOVA mapped READ and one
 *             mapped WRITE (transfers of at most 2048 bytes: a transfer
 *             that ends at the buffer's end aborts QEMU 7.2), the 28-bit
 *             address clamp, device writes the IOMMU refuses (READ-only
 *             IOVA, unmapped IOVA, an IOVA just unmapped, one with no
 *             page table below it), a device read it refuses (zeros
 *             arrive), and a device read from an IOVA mapped WRITE only
 *             (6.1's and 6.12's intel-iommu map it readable too; mainline
 *             since 6.16 does not); after each, the fault records the
 *             IOMMU made (osys_dma_faults: VT-d's fault reason, the page
 *             address, the requester id), none for a DMA that worked
 *   reset     edu on the root bus has no reset method: no RESET flag
 *   IRQs      INTx through an eventfd (automasked after it fires, unmask
 *             with and without the line still up), MSI (each raise, the
 *             factorial's and the DMA's completion interrupts), loopback
 *             triggers
 *
 * The device finishes a DMA 100 ms after the command on QEMU (a timer) and
 * the factorial in a thread; on the simulator both are done at the register
 * write.  Every wait is a bounded poll, so the same lines come out of both.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vfio.h>

#include "osys.h"

#define BAR0 ((uint64_t)VFIO_PCI_BAR0_REGION_INDEX << 40)
#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

/* edu's registers (QEMU hw/misc/edu.c, docs/specs/edu.rst) */
#define EDU_ID       0x00
#define EDU_LIVE     0x04
#define EDU_FACT     0x08
#define EDU_STATUS   0x20
#define EDU_IRQ_STAT 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK  0x64
#define EDU_DMA_SRC  0x80
#define EDU_DMA_DST  0x88
#define EDU_DMA_CNT  0x90
#define EDU_DMA_CMD  0x98
#define EDU_BUF      0x40000ull
#define CMD_RUN      0x1
#define CMD_TO_RAM   0x2
#define CMD_IRQ      0x4

#define EFD_NONBLOCK_FLAG O_NONBLOCK   /* EFD_NONBLOCK is O_NONBLOCK */

#define PAGE 4096u
#define IOVA_SRC   0x100000ull   /* mapped READ: the device reads it */
#define IOVA_DST   0x200000ull   /* mapped WRITE: the device writes it */
#define IOVA_RO    0x300000ull   /* READ only: device writes are refused */
#define IOVA_NONE  0x400000ull   /* never mapped */
#define IOVA_GONE  0x500000ull   /* mapped WRITE, then unmapped */
#define IOVA_WO    0x600000ull   /* WRITE only: may the device read it? */
#define IOVA_FAR   0x8000000ull  /* no table below it: the walk stops at level 2 */

static int dev = -1;

static void die(const char *what, long ret)
{
	printf("fatal %s %s\n", what, oret(ret));
	exit(1);
}

static const char *hex(unsigned long long v)
{
	static char buf[8][24];
	static unsigned slot;
	char *b = buf[slot++ % 8];

	snprintf(b, sizeof(buf[0]), "0x%llx", v);
	return b;
}

/* ---- BAR0 and config space --------------------------------------------------- */

static uint64_t rd(uint64_t off, unsigned size)
{
	uint64_t v = 0;
	long ret = osys_pread(dev, &v, size, BAR0 + off);

	if (ret != (long)size)
		die("bar0 read", ret);
	return v;
}

static void wr(uint64_t off, unsigned size, uint64_t v)
{
	long ret = osys_pwrite(dev, &v, size, BAR0 + off);

	if (ret != (long)size)
		die("bar0 write", ret);
}

static uint32_t rd32(uint64_t off)
{
	return (uint32_t)rd(off, 4);
}

static void wr32(uint64_t off, uint32_t v)
{
	wr(off, 4, v);
}

static uint32_t cfg_read(unsigned off, unsigned size)
{
	uint32_t v = 0;
	long ret = osys_pread(dev, &v, size, CFG + off);

	if (ret != (long)size)
		die("config read", ret);
	return v;
}

/* Wait (bounded) until the register's @bits are clear; its last value. */
static uint32_t poll_clear(uint64_t off, uint32_t bits)
{
	uint32_t v = rd32(off);

	for (int i = 0; i < 300 && (v & bits); i++) {
		osys_sleep_ms(10);
		v = rd32(off);
	}
	return v;
}

/* ---- eventfds ------------------------------------------------------------------ */

/* What an interrupt left in @efd: wait a little for the first signal, then
 * collect what follows (a real interrupt arrives asynchronously).  The
 * counter, or the read's errno (-EAGAIN: nothing). */
static const char *efd_take(int efd)
{
	uint64_t v = 0, total = 0;
	long ret = -1;

	for (int i = 0; i < 40; i++) {
		ret = osys_read(efd, &v, sizeof(v));
		if (ret == sizeof(v))
			break;
		osys_sleep_ms(5);
	}
	if (ret != sizeof(v))
		return oret(ret);
	total = v;
	osys_sleep_ms(20);
	if (osys_read(efd, &v, sizeof(v)) == sizeof(v))
		total += v;
	return hex(total);
}

static long set_irqs(unsigned index, unsigned start, unsigned count, uint32_t flags,
		     const int32_t *fds)
{
	struct { struct vfio_irq_set s; int32_t fd[4]; } x;

	memset(&x, 0, sizeof(x));
	x.s.argsz = sizeof(x.s) + (fds ? count * sizeof(int32_t) : 0);
	x.s.flags = flags;
	x.s.index = index;
	x.s.start = start;
	x.s.count = count;
	if (fds)
		memcpy(x.fd, fds, count * sizeof(int32_t));
	return osys_ioctl(dev, VFIO_DEVICE_SET_IRQS, &x);
}

/* ---- setup ------------------------------------------------------------------- */

static int container = -1;

static int setup(const char *bdf)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX };
	char path[64];
	int group, g;
	long ret;

	ret = osys_bind(bdf, "vfio-pci");
	ocheck("edu.bind", "%s", oret(ret));
	if (ret)
		die("bind", ret);
	g = osys_iommu_group(bdf);
	if (g < 0)
		die("iommu_group", g);
	snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	container = osys_open("/dev/vfio/vfio", O_RDWR);
	group = osys_open(path, O_RDWR);
	if (container < 0 || group < 0)
		die("open", container < 0 ? container : group);
	ocheck("edu.container.type1v2", "%s",
	       oret(osys_ioctl(container, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU)));
	ocheck("edu.group.set_container", "%s",
	       oret(osys_ioctl(group, VFIO_GROUP_SET_CONTAINER, &container)));
	ret = osys_ioctl(container, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU);
	ocheck("edu.container.set_iommu", "%s", oret(ret));
	if (ret)
		die("SET_IOMMU", ret);
	ret = osys_ioctl(group, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf);
	if (ret < 0)
		die("GET_DEVICE_FD", ret);
	dev = (int)ret;

	ocheck("edu.info", "%s", oret(osys_ioctl(dev, VFIO_DEVICE_GET_INFO, &di)));
	ocheck("edu.info.flags", "%s", hex(di.flags));
	ocheck("edu.info.num_regions", "%u", di.num_regions);
	ocheck("edu.info.num_irqs", "%u", di.num_irqs);
	ocheck("edu.bar0.info", "%s", oret(osys_ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri)));
	ocheck("edu.bar0.size", "%s", hex(ri.size));
	ocheck("edu.bar0.flags", "%s", hex(ri.flags));
	ocheck("edu.bar0.offset", "%s", hex(ri.offset));
	for (unsigned i = 1; i < 6; i++) {
		struct vfio_region_info r = { .argsz = sizeof(r), .index = i };
		char name[32];

		snprintf(name, sizeof(name), "edu.bar%u.size", i);
		ret = osys_ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r);
		ocheck(name, "%s", ret ? oret(ret) : hex(r.size));
	}
	for (unsigned i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };
		char name[32];

		snprintf(name, sizeof(name), "edu.irq%u.info", i);
		ret = osys_ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii);
		if (ret)
			ocheck(name, "%s", oret(ret));
		else
			ocheck(name, "flags=%s,count=%u", hex(ii.flags), ii.count);
	}
	ocheck("edu.cfg.id", "%s", hex(cfg_read(0x00, 4)));
	ocheck("edu.cfg.pin", "%u", cfg_read(0x3d, 1));
	/* memory decode and bus mastering on, as a driver would */
	{
		uint16_t cmd = (uint16_t)(cfg_read(0x04, 2) | 0x6);

		ret = osys_pwrite(dev, &cmd, 2, CFG + 0x04);
		ocheck("edu.cfg.command.write", "%s", oret(ret));
	}
	return group;
}

/* ---- registers ------------------------------------------------------------------ */

static void registers(void)
{
	uint8_t b = 0x55;
	uint32_t v;

	ocheck("edu.ident", "%s", hex(rd32(EDU_ID)));
	ocheck("edu.live.initial", "%s", hex(rd32(EDU_LIVE)));
	wr32(EDU_LIVE, 0x12345678);
	ocheck("edu.live", "%s", hex(rd32(EDU_LIVE)));
	wr32(EDU_LIVE, 0);
	ocheck("edu.live.zero", "%s", hex(rd32(EDU_LIVE)));
	wr32(EDU_LIVE, 0x12345678);

	/* access sizes: 4 bytes below 0x80, 4 or 8 from 0x80 */
	ocheck("edu.access.read1", "%s", hex(rd(EDU_ID, 1)));
	ocheck("edu.access.read1.at3", "%s", hex(rd(EDU_ID + 3, 1)));
	ocheck("edu.access.read2", "%s", hex(rd(EDU_ID, 2)));
	ocheck("edu.access.read8", "%s", hex(rd(EDU_ID, 8)));
	ocheck("edu.access.read4.unknown", "%s", hex(rd32(0x10)));
	ocheck("edu.access.read4.end", "%s", hex(rd32(0xffffc)));
	ocheck("edu.access.write1", "%s", oret(osys_pwrite(dev, &b, 1, BAR0 + EDU_LIVE)));
	ocheck("edu.access.write1.live", "%s", hex(rd32(EDU_LIVE)));
	wr(EDU_LIVE, 2, 0x1111);
	ocheck("edu.access.write2.live", "%s", hex(rd32(EDU_LIVE)));
	wr(EDU_LIVE - 4, 8, 0x0000000100000002ull);  /* 8 bytes at 0x00 */
	ocheck("edu.access.write8low.live", "%s", hex(rd32(EDU_LIVE)));
	/* a 3-byte read: vfio-pci splits it into 2 + 1 */
	ocheck("edu.access.read3", "%s", hex(rd(EDU_ID, 3)));
	wr(EDU_DMA_SRC, 8, 0x1122334455667788ull);
	ocheck("edu.access.src.read8", "%s", hex(rd(EDU_DMA_SRC, 8)));
	ocheck("edu.access.src.read4", "%s", hex(rd(EDU_DMA_SRC, 4)));
	ocheck("edu.access.src.read4.high", "%s", hex(rd(EDU_DMA_SRC + 4, 4)));
	wr32(EDU_DMA_SRC, 0xabcd0000);
	ocheck("edu.access.src.write4", "%s", hex(rd(EDU_DMA_SRC, 8)));
	wr(EDU_DMA_CNT, 2, 0x77);
	ocheck("edu.access.cnt.write2", "%s", hex(rd32(EDU_DMA_CNT)));
	ocheck("edu.access.cmd.read2", "%s", hex(rd(EDU_DMA_CMD, 2)));

	/* factorial: a write starts it, bit 0 of status says computing */
	wr32(EDU_FACT, 5);
	v = poll_clear(EDU_STATUS, 0x1);
	ocheck("edu.fact.status", "%s", hex(v));
	ocheck("edu.fact.5", "%u", rd32(EDU_FACT));
	wr32(EDU_FACT, 12);
	poll_clear(EDU_STATUS, 0x1);
	ocheck("edu.fact.12", "%u", rd32(EDU_FACT));
	wr32(EDU_FACT, 13);
	poll_clear(EDU_STATUS, 0x1);
	ocheck("edu.fact.13", "%u", rd32(EDU_FACT));      /* 13! mod 2^32 */
	wr32(EDU_FACT, 33);
	poll_clear(EDU_STATUS, 0x1);
	ocheck("edu.fact.33", "%s", hex(rd32(EDU_FACT)));
	wr32(EDU_FACT, 34);
	poll_clear(EDU_STATUS, 0x1);
	ocheck("edu.fact.34", "%s", hex(rd32(EDU_FACT)));
	wr32(EDU_FACT, 0);
	poll_clear(EDU_STATUS, 0x1);
	ocheck("edu.fact.0", "%u", rd32(EDU_FACT));

	/* status: bit 7 read-write, bit 0 read-only */
	wr32(EDU_STATUS, 0x80);
	ocheck("edu.status.irqfact", "%s", hex(rd32(EDU_STATUS)));
	wr32(EDU_STATUS, 0x01);
	ocheck("edu.status.ro", "%s", hex(rd32(EDU_STATUS)));
	wr32(EDU_STATUS, 0xffffff7f);
	ocheck("edu.status.others", "%s", hex(rd32(EDU_STATUS)));

	/* interrupt status: raise ORs in, acknowledge clears */
	ocheck("edu.irq.status.initial", "%s", hex(rd32(EDU_IRQ_STAT)));
	wr32(EDU_IRQ_RAISE, 0x5);
	ocheck("edu.irq.status.raise", "%s", hex(rd32(EDU_IRQ_STAT)));
	wr32(EDU_IRQ_RAISE, 0x100);
	ocheck("edu.irq.status.raise2", "%s", hex(rd32(EDU_IRQ_STAT)));
	wr32(EDU_IRQ_ACK, 0x1);
	ocheck("edu.irq.status.ack", "%s", hex(rd32(EDU_IRQ_STAT)));
	wr32(EDU_IRQ_ACK, 0xffffffff);
	ocheck("edu.irq.status.ackall", "%s", hex(rd32(EDU_IRQ_STAT)));
	ocheck("edu.irq.raise.read", "%s", hex(rd32(EDU_IRQ_RAISE)));
}

/* ---- DMA ------------------------------------------------------------------------ */

/*
 * The faults the IOMMU recorded since the last look, as one check value:
 * the lines of osys_dma_faults joined by ";", or "none".  On the guest the
 * fault interrupt's handler prints them to the kernel log; a short wait
 * lets it run.
 */
static const char *faults(void)
{
	static char buf[1024];
	long ret;

	/*
	 * The IOMMU's fault interrupt runs after the DMA's doorbell returns;
	 * its kmsg line may take a moment.  Look after 30 ms, then keep looking
	 * for half a second before saying none (the simulator reports at once:
	 * its sleep is a no-op, so only a guest pays for the wait).
	 */
	osys_sleep_ms(30);
	ret = osys_dma_faults(buf, sizeof(buf));
	for (int i = 0; !ret && i < 20; i++) {
		osys_sleep_ms(25);
		ret = osys_dma_faults(buf, sizeof(buf));
	}
	if (ret < 0)
		return oret(ret);
	if (!ret)
		return "none";
	buf[--ret] = 0;         /* the last newline */
	for (char *p = buf; (p = strchr(p, '\n'));)
		*p = ';';
	return buf;
}

/* The same with a buffer too small for a line: -ENOSPC, nothing taken. */
static const char *faults_short(void)
{
	char buf[8];

	osys_sleep_ms(30);
	return oret(osys_dma_faults(buf, sizeof(buf)));
}

/*
 * intel-iommu's fault handler (dmar_fault) rate-limits its lines, 10 per
 * 5 s (DEFAULT_RATELIMIT_BURST, _INTERVAL), and one fault takes three: the
 * status line, the record, and the look at the next record that ends its
 * loop.  A fourth fault within 5 s of the first would be cleared unprinted.
 * Called before each DMA the IOMMU refuses: after every third, a new window.
 */
static unsigned window_faults;

static void fault_window(void)
{
	if (window_faults == 3) {
		osys_sleep_ms(5100);
		window_faults = 0;
	}
	window_faults++;
}

static long map(void *va, uint64_t iova, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .vaddr = (uintptr_t)va, .iova = iova,
		.size = PAGE,
	};

	return osys_ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
}

static long unmap(uint64_t iova)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = PAGE };
	long ret = osys_ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);

	return ret ? ret : (long)u.size;
}

/* One DMA: program source, destination, count, then the command; wait. */
static uint32_t dma(uint64_t src, uint64_t dst, uint32_t cnt, uint32_t cmd)
{
	wr(EDU_DMA_SRC, 8, src);
	wr(EDU_DMA_DST, 8, dst);
	wr(EDU_DMA_CNT, 8, cnt);
	wr32(EDU_DMA_CMD, cmd | CMD_RUN);
	return poll_clear(EDU_DMA_CMD, CMD_RUN);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

static int same(const uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(i * 7 + seed))
			return 0;
	return 1;
}

static int all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* What a buffer holds: the pattern @seed, all @old, all zero, or other. */
static const char *what(const uint8_t *p, size_t n, unsigned seed, uint8_t old)
{
	if (same(p, n, seed))
		return "pattern";
	if (all(p, n, old))
		return "unchanged";
	if (all(p, n, 0))
		return "zero";
	return "other";
}

static void dmas(void)
{
	uint8_t *src = osys_alloc(PAGE), *dst = osys_alloc(PAGE), *ro = osys_alloc(PAGE);
	uint8_t *gone = osys_alloc(PAGE), *wo = osys_alloc(PAGE);

	if (!src || !dst || !ro || !gone || !wo)
		die("alloc", -12);
	/* every page is written before it is mapped: a READ-only map of a page
	 * the process never touched pins the shared zero page on 6.1 (its
	 * reliable R/O long-term pinning came with 6.2), and the device would
	 * read zeros whatever the process writes there afterwards */
	fill(src, PAGE, 3);
	memset(dst, 0, PAGE);
	memset(ro, 0xaa, PAGE);
	memset(gone, 0xbb, PAGE);
	memset(wo, 0, PAGE);
	ocheck("edu.dma.map.src", "%s", oret(map(src, IOVA_SRC, VFIO_DMA_MAP_FLAG_READ)));
	ocheck("edu.dma.map.dst", "%s", oret(map(dst, IOVA_DST, VFIO_DMA_MAP_FLAG_WRITE)));
	ocheck("edu.dma.map.ro", "%s", oret(map(ro, IOVA_RO, VFIO_DMA_MAP_FLAG_READ)));
	ocheck("edu.dma.map.gone", "%s", oret(map(gone, IOVA_GONE, VFIO_DMA_MAP_FLAG_WRITE)));
	ocheck("edu.dma.map.wo", "%s", oret(map(wo, IOVA_WO, VFIO_DMA_MAP_FLAG_WRITE)));
	ocheck("edu.dma.faults.before", "%s", faults());

	/* RAM -> device -> RAM */
	ocheck("edu.dma.in.cmd", "%s", hex(dma(IOVA_SRC, EDU_BUF, 2048, 0)));
	ocheck("edu.dma.in.src", "%s", hex(rd(EDU_DMA_SRC, 4)));
	ocheck("edu.dma.in.cnt", "%s", hex(rd32(EDU_DMA_CNT)));
	ocheck("edu.dma.out.cmd", "%s", hex(dma(EDU_BUF, IOVA_DST, 2048, CMD_TO_RAM)));
	ocheck("edu.dma.out.cmdreg", "%s", hex(rd32(EDU_DMA_CMD)));
	ocheck("edu.dma.roundtrip.data", "%s", what(dst, 2048, 3, 0));
	ocheck("edu.dma.roundtrip.beyond", "%s", all(dst + 2048, PAGE - 2048, 0) ? "zero" : "other");
	ocheck("edu.dma.roundtrip.faults", "%s", faults());

	/* odd offsets and lengths: device offset 0x800, 2047 bytes (ends one
	 * byte before the buffer's end), to RAM offset 0x10 */
	memset(dst, 0, PAGE);
	fill(src, PAGE, 9);
	dma(IOVA_SRC, EDU_BUF + 0x800, 2047, 0);
	dma(EDU_BUF + 0x800, IOVA_DST + 0x10, 2047, CMD_TO_RAM);
	ocheck("edu.dma.offset.data", "%s", what(dst + 0x10, 2047, 9, 0));
	ocheck("edu.dma.offset.before", "%s", all(dst, 0x10, 0) ? "zero" : "other");
	ocheck("edu.dma.offset.after", "%s", all(dst + 0x10 + 2047, PAGE - 0x10 - 2047, 0) ?
	       "zero" : "other");
	ocheck("edu.dma.offset.faults", "%s", faults());

	/* the 28-bit DMA mask: bit 28 of the address is dropped */
	memset(dst, 0, PAGE);
	fill(src, PAGE, 21);
	dma((1ull << 28) | IOVA_SRC, EDU_BUF, 512, 0);
	dma(EDU_BUF, (1ull << 28) | IOVA_DST, 512, CMD_TO_RAM);
	ocheck("edu.dma.clamp.data", "%s", what(dst, 512, 21, 0));
	ocheck("edu.dma.clamp.faults", "%s", faults());

	/* device writes the IOMMU refuses leave memory as it was */
	memset(ro, 0xaa, PAGE);
	fault_window();
	ocheck("edu.dma.blocked.readonly.cmd", "%s", hex(dma(EDU_BUF, IOVA_RO, 512, CMD_TO_RAM)));
	ocheck("edu.dma.blocked.readonly.data", "%s", what(ro, PAGE, 21, 0xaa));
	ocheck("edu.dma.blocked.readonly.faults.short", "%s", faults_short());
	ocheck("edu.dma.blocked.readonly.faults", "%s", faults());
	fault_window();
	ocheck("edu.dma.blocked.unmapped.cmd", "%s",
	       hex(dma(EDU_BUF, IOVA_NONE, 512, CMD_TO_RAM)));
	ocheck("edu.dma.blocked.unmapped.faults", "%s", faults());
	memset(gone, 0xbb, PAGE);
	dma(EDU_BUF, IOVA_GONE, 512, CMD_TO_RAM);
	ocheck("edu.dma.gone.before", "%s", what(gone, 512, 21, 0xbb));
	ocheck("edu.dma.gone.before.faults", "%s", faults());
	memset(gone, 0xbb, PAGE);
	ocheck("edu.dma.gone.unmap", "%s", hex((unsigned long long)unmap(IOVA_GONE)));
	fault_window();
	ocheck("edu.dma.blocked.gone.cmd", "%s", hex(dma(EDU_BUF, IOVA_GONE, 512, CMD_TO_RAM)));
	ocheck("edu.dma.blocked.gone.data", "%s", what(gone, PAGE, 21, 0xbb));
	ocheck("edu.dma.blocked.gone.faults", "%s", faults());
	/* where no table is: the walk finds no level-1 table (its level-2
	 * entry has neither R nor W) */
	fault_window();
	ocheck("edu.dma.blocked.notable.cmd", "%s", hex(dma(EDU_BUF, IOVA_FAR, 512, CMD_TO_RAM)));
	ocheck("edu.dma.blocked.notable.faults", "%s", faults());

	/* a device read of a WRITE-only IOVA: the buffer first holds pattern
	 * 21 (above); after the read it holds what the read brought */
	fill(wo, PAGE, 40);
	ocheck("edu.dma.wo_read.cmd", "%s", hex(dma(IOVA_WO, EDU_BUF, 512, 0)));
	memset(dst, 0xcc, PAGE);
	dma(EDU_BUF, IOVA_DST, 512, CMD_TO_RAM);
	ocheck("edu.dma.wo_read.data", "%s",
	       same(dst, 512, 21) ? "unchanged" : what(dst, 512, 40, 0xcc));
	ocheck("edu.dma.wo_read.faults", "%s", faults());
	/* a device read of a READ-only IOVA works, a write to WRITE-only too */
	fill(ro, PAGE, 50);
	dma(IOVA_RO, EDU_BUF, 256, 0);
	dma(EDU_BUF, IOVA_WO, 256, CMD_TO_RAM);
	ocheck("edu.dma.ro_read_wo_write.data", "%s", what(wo, 256, 50, 0));
	ocheck("edu.dma.ro_read_wo_write.faults", "%s", faults());
	/* a device read of an unmapped IOVA */
	fault_window();
	dma(IOVA_NONE, EDU_BUF, 256, 0);
	ocheck("edu.dma.unmapped_read.faults", "%s", faults());
	memset(dst, 0xcc, PAGE);
	dma(EDU_BUF, IOVA_DST, 256, CMD_TO_RAM);
	ocheck("edu.dma.unmapped_read.data", "%s",
	       same(dst, 256, 50) ? "unchanged" : what(dst, 256, 50, 0xcc));

	/* DMA registers keep their values; the command register reads back
	 * without the run bit */
	ocheck("edu.dma.regs.src", "%s", hex(rd(EDU_DMA_SRC, 4)));
	ocheck("edu.dma.regs.dst", "%s", hex(rd(EDU_DMA_DST, 4)));
	ocheck("edu.dma.regs.cnt", "%s", hex(rd(EDU_DMA_CNT, 4)));
	/* a command without the run bit is ignored */
	wr32(EDU_DMA_CMD, CMD_TO_RAM | CMD_IRQ);
	ocheck("edu.dma.regs.cmd.norun", "%s", hex(rd32(EDU_DMA_CMD)));

	ocheck("edu.dma.unmap.src", "%s", hex((unsigned long long)unmap(IOVA_SRC)));
	ocheck("edu.dma.unmap.dst", "%s", hex((unsigned long long)unmap(IOVA_DST)));
	ocheck("edu.dma.unmap.ro", "%s", hex((unsigned long long)unmap(IOVA_RO)));
	ocheck("edu.dma.unmap.wo", "%s", hex((unsigned long long)unmap(IOVA_WO)));
}

/* ---- interrupts ----------------------------------------------------------------- */

static void irqs(void)
{
	uint8_t *src = osys_alloc(PAGE);
	int32_t efd = osys_eventfd(0, EFD_NONBLOCK_FLAG), mfd;
	uint64_t v;

	if (efd < 0 || !src)
		die("eventfd", efd);
	ocheck("edu.efd.empty", "%s", oret(osys_read(efd, &v, sizeof(v))));
	ocheck("edu.efd.short", "%s", oret(osys_read(efd, &v, 4)));
	ocheck("edu.efd.pread", "%s", oret(osys_pread(efd, &v, sizeof(v), 0)));

	/* INTx: fires once, then stays masked until unmasked */
	ocheck("edu.irq.intx.set", "%s", oret(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, &efd)));
	wr32(EDU_IRQ_RAISE, 0x1);
	ocheck("edu.irq.intx.count", "%s", efd_take(efd));
	wr32(EDU_IRQ_RAISE, 0x2);
	ocheck("edu.irq.intx.masked", "%s", efd_take(efd));
	ocheck("edu.irq.intx.status", "%s", hex(rd32(EDU_IRQ_STAT)));
	wr32(EDU_IRQ_ACK, 0x3);
	ocheck("edu.irq.intx.unmask", "%s", oret(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL)));
	ocheck("edu.irq.intx.unmask.idle", "%s", efd_take(efd));
	wr32(EDU_IRQ_RAISE, 0x4);
	ocheck("edu.irq.intx.again", "%s", efd_take(efd));
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL);
	ocheck("edu.irq.intx.unmask.pending", "%s", efd_take(efd));
	wr32(EDU_IRQ_ACK, 0x4);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL);
	ocheck("edu.irq.intx.unmask.acked", "%s", efd_take(efd));
	/* masked through the ioctl: a raise is held back until unmask */
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, NULL);
	wr32(EDU_IRQ_RAISE, 0x8);
	ocheck("edu.irq.intx.user_masked", "%s", efd_take(efd));
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL);
	ocheck("edu.irq.intx.user_unmasked", "%s", efd_take(efd));
	wr32(EDU_IRQ_ACK, 0x8);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL);
	/* the loopback trigger */
	ocheck("edu.irq.intx.loopback", "%s", oret(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, NULL)));
	ocheck("edu.irq.intx.loopback.count", "%s", efd_take(efd));
	ocheck("edu.irq.intx.disable", "%s", oret(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 0,
		VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, NULL)));
	wr32(EDU_IRQ_RAISE, 0x1);
	ocheck("edu.irq.intx.off", "%s", efd_take(efd));
	wr32(EDU_IRQ_ACK, 0x1);

	/* MSI: a message for every raise */
	mfd = osys_eventfd(0, EFD_NONBLOCK_FLAG);
	if (mfd < 0)
		die("eventfd", mfd);
	ocheck("edu.irq.msi.set", "%s", oret(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
		VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, &mfd)));
	ocheck("edu.irq.msi.none", "%s", efd_take(mfd));
	wr32(EDU_IRQ_RAISE, 0x1);
	ocheck("edu.irq.msi.count", "%s", efd_take(mfd));
	wr32(EDU_IRQ_RAISE, 0x2);
	ocheck("edu.irq.msi.count2", "%s", efd_take(mfd));
	ocheck("edu.irq.msi.status", "%s", hex(rd32(EDU_IRQ_STAT)));
	wr32(EDU_IRQ_ACK, 0x3);
	ocheck("edu.irq.msi.ack", "%s", efd_take(mfd));
	ocheck("edu.irq.msi.intx", "%s", efd_take(efd));

	/* the factorial's interrupt (status bit 7) */
	wr32(EDU_STATUS, 0x80);
	wr32(EDU_FACT, 4);
	poll_clear(EDU_STATUS, 0x1);
	ocheck("edu.irq.fact.value", "%u", rd32(EDU_FACT));
	ocheck("edu.irq.fact.count", "%s", efd_take(mfd));
	ocheck("edu.irq.fact.status", "%s", hex(rd32(EDU_IRQ_STAT)));
	wr32(EDU_IRQ_ACK, 0x1);
	wr32(EDU_STATUS, 0);

	/* the DMA's completion interrupt (command bit 2): 0x100 */
	fill(src, PAGE, 60);
	ocheck("edu.irq.dma.map", "%s", oret(map(src, IOVA_SRC, VFIO_DMA_MAP_FLAG_READ)));
	ocheck("edu.irq.dma.cmd", "%s", hex(dma(IOVA_SRC, EDU_BUF, 64, CMD_IRQ)));
	ocheck("edu.irq.dma.count", "%s", efd_take(mfd));
	ocheck("edu.irq.dma.status", "%s", hex(rd32(EDU_IRQ_STAT)));
	wr32(EDU_IRQ_ACK, 0x100);
	/* a faulting DMA still completes and interrupts */
	fault_window();
	ocheck("edu.irq.dma.fault.cmd", "%s", hex(dma(EDU_BUF, IOVA_NONE, 64,
						       CMD_TO_RAM | CMD_IRQ)));
	ocheck("edu.irq.dma.fault.count", "%s", efd_take(mfd));
	ocheck("edu.irq.dma.fault.faults", "%s", faults());
	wr32(EDU_IRQ_ACK, 0x100);
	unmap(IOVA_SRC);

	/* the loopback trigger, then off */
	ocheck("edu.irq.msi.loopback", "%s", oret(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
		VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, NULL)));
	ocheck("edu.irq.msi.loopback.count", "%s", efd_take(mfd));
	ocheck("edu.irq.msi.disable", "%s", oret(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, 0, 0,
		VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, NULL)));
	wr32(EDU_IRQ_RAISE, 0x1);
	ocheck("edu.irq.msi.off", "%s", efd_take(mfd));
	wr32(EDU_IRQ_ACK, 0x1);

	/* INTx again after MSI: the line follows the status register */
	ocheck("edu.irq.intx2.set", "%s", oret(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, &efd)));
	wr32(EDU_IRQ_RAISE, 0x10);
	ocheck("edu.irq.intx2.count", "%s", efd_take(efd));
	wr32(EDU_IRQ_ACK, 0x10);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 0,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, NULL);
	/* raised with no trigger, then enabled: the line is already up */
	wr32(EDU_IRQ_RAISE, 0x20);
	ocheck("edu.irq.intx2.enable_pending", "%s", oret(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, &efd)));
	ocheck("edu.irq.intx2.pending_at_enable", "%s", efd_take(efd));
	osys_sleep_ms(300);
	ocheck("edu.irq.intx2.pending_later", "%s", efd_take(efd));
	ocheck("edu.irq.intx2.pending_unmask", "%s", oret(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL)));
	ocheck("edu.irq.intx2.pending_unmask.count", "%s", efd_take(efd));
	wr32(EDU_IRQ_RAISE, 0x40);
	ocheck("edu.irq.intx2.pending_raise", "%s", efd_take(efd));
	wr32(EDU_IRQ_ACK, 0x60);
	ocheck("edu.irq.intx2.ack_status", "%s", hex(rd32(EDU_IRQ_STAT)));
	wr32(EDU_IRQ_RAISE, 0x80);
	ocheck("edu.irq.intx2.next_edge", "%s", efd_take(efd));
	wr32(EDU_IRQ_ACK, 0x80);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, NULL);
	set_irqs(VFIO_PCI_INTX_IRQ_INDEX, 0, 0,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, NULL);

	osys_close(mfd);
	osys_close(efd);
}

int main(int argc, char **argv)
{
	int i = osys_init(argc, argv), group;

	if (i >= argc) {
		fprintf(stderr, "usage: edu_dma -- BDF\n");
		return 2;
	}
	group = setup(argv[i]);
	registers();
	dmas();
	irqs();
	ocheck("edu.reset", "%s", oret(osys_ioctl(dev, VFIO_DEVICE_RESET, NULL)));
	ocheck("edu.live.end", "%s", hex(rd32(EDU_LIVE)));
	osys_close(dev);
	osys_close(group);
	osys_close(container);
	return 0;
}
