/* SPDX-License-Identifier: MIT */
/*
 * vfio_device: a vfio-pci device fd: GET_INFO, GET_REGION_INFO for every
 * index with argsz variants, GET_IRQ_INFO for every index, SET_IRQS
 * validation and the INTx/MSI/MSI-X/ERR/REQ state machine (with fd -1 as
 * the "eventfd"), config space through the config region as vfio-pci
 * virtualizes it, BAR and region reads, RESET; IOEVENTFD, DEVICE_FEATURE,
 * zero-length reads and writes, the MSI-X table and PBA inside BAR 3, and
 * the INTx unmask eventfd.
 *
 *     vfio_device_sim --world vfio.yaml -- BDF...     vfio_device_guest -- BDF...
 *
 * Each BDF: an e1000e alone in its group (checks are named by its index).
 */
#include "vfio_common.h"

#define CFG_OFF ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

static unsigned dn;   /* which device: check names carry it */

#define dret(ret, fmt, ...) vret(ret, "vfio.device%u." fmt, dn, ##__VA_ARGS__)
#define dck(val, fmt, ...) vck(val, "vfio.device%u." fmt, dn, ##__VA_ARGS__)

static void get_info(int d)
{
	static const uint32_t sizes[] = { 0, 15, 16, 20, 64 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct { struct vfio_device_info info; uint8_t pad[48]; } x;
		long ret;

		memset(&x, 0xa5, sizeof(x));
		x.info.argsz = sizes[k];
		ret = osys_ioctl(d, VFIO_DEVICE_GET_INFO, &x);
		dret(ret, "get_info.argsz%u", sizes[k]);
		if (ret)
			continue;
		dck(vhex(x.info.flags), "get_info.argsz%u.flags", sizes[k]);
		dck(vdec(x.info.num_regions), "get_info.argsz%u.num_regions", sizes[k]);
		dck(vdec(x.info.num_irqs), "get_info.argsz%u.num_irqs", sizes[k]);
		dck(vdec(x.info.argsz), "get_info.argsz%u.argsz", sizes[k]);
		if (sizes[k] >= 20)
			dck(vhex(x.info.cap_offset), "get_info.argsz%u.cap_offset", sizes[k]);
	}
	vret(osys_ioctl(d, VFIO_DEVICE_GET_INFO, NULL), "vfio.device%u.get_info.null", dn);
}

static void region_info(int d)
{
	for (uint32_t idx = 0; idx <= VFIO_PCI_NUM_REGIONS + 1; idx++) {
		struct { struct vfio_region_info ri; uint8_t caps[64]; } x;
		long ret;

		memset(&x, 0, sizeof(x));
		x.ri.argsz = sizeof(x.ri);
		x.ri.index = idx;
		ret = osys_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &x);
		dret(ret, "region%u", idx);
		if (ret)
			continue;
		dck(vhex(x.ri.flags), "region%u.flags", idx);
		dck(vhex(x.ri.size), "region%u.size", idx);
		dck(vhex(x.ri.offset), "region%u.offset", idx);
		dck(vdec(x.ri.argsz), "region%u.argsz", idx);
		dck(vdec(x.ri.cap_offset), "region%u.cap_offset", idx);
		/* with room for capabilities */
		memset(&x, 0, sizeof(x));
		x.ri.argsz = sizeof(x);
		x.ri.index = idx;
		ret = osys_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &x);
		dret(ret, "region%u.big", idx);
		dck(vdec(x.ri.argsz), "region%u.big.argsz", idx);
		dck(vdec(x.ri.cap_offset), "region%u.big.cap_offset", idx);
		if (x.ri.cap_offset >= sizeof(x.ri) && x.ri.cap_offset + 8 <= sizeof(x)) {
			struct vfio_info_cap_header *h = (void *)((uint8_t *)&x + x.ri.cap_offset);

			dck(vdec(h->id), "region%u.big.cap.id", idx);
			dck(vdec(h->version), "region%u.big.cap.version", idx);
			dck(vdec(h->next), "region%u.big.cap.next", idx);
		}
	}
	/* argsz and index garbage */
	{
		struct vfio_region_info ri = { .argsz = 15, .index = VFIO_PCI_CONFIG_REGION_INDEX };

		dret(osys_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), "region.argsz15");
		ri.argsz = 31;
		dret(osys_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), "region.argsz31");
		ri.argsz = 32;
		dret(osys_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), "region.argsz32");
		ri.argsz = 32;
		ri.index = 0xffffffff;
		dret(osys_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), "region.index_all_ones");
		ri.index = 0x80000000;
		dret(osys_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), "region.index_high");
	}
	/* BAR 3 (the MSI-X BAR of an e1000e) with room for exactly the header */
	{
		struct { struct vfio_region_info ri; uint8_t caps[8]; } x = {
			.ri = { .argsz = sizeof(x), .index = 3 },
		};
		long ret = osys_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &x);

		dret(ret, "region3.exact");
		dck(vdec(x.ri.argsz), "region3.exact.argsz");
		dck(vdec(x.ri.cap_offset), "region3.exact.cap_offset");
	}
}

static void irq_info(int d)
{
	for (uint32_t idx = 0; idx <= VFIO_PCI_NUM_IRQS + 1; idx++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = idx };
		long ret = osys_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &ii);

		dret(ret, "irq%u", idx);
		if (ret)
			continue;
		dck(vhex(ii.flags), "irq%u.flags", idx);
		dck(vdec(ii.count), "irq%u.count", idx);
	}
	{
		struct vfio_irq_info ii = { .argsz = 15, .index = 0 };

		dret(osys_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &ii), "irq.argsz15");
		ii.argsz = 16;
		dret(osys_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &ii), "irq.argsz16");
		ii.argsz = 64;
		dret(osys_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &ii), "irq.argsz64");
		dck(vdec(ii.argsz), "irq.argsz64.argsz");
		ii.index = 0xffffffff;
		dret(osys_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &ii), "irq.index_all_ones");
	}
}

/* One SET_IRQS with up to 8 int32 data words (or bytes for BOOL). */
static long set_irqs(int d, uint32_t argsz, uint32_t flags, uint32_t index, uint32_t start,
		     uint32_t count, const int32_t *fds, unsigned nfds)
{
	struct { struct vfio_irq_set s; int32_t data[8]; } x;

	memset(&x, 0, sizeof(x));
	x.s.argsz = argsz ? argsz : (uint32_t)(sizeof(x.s) + 4 * nfds);
	x.s.flags = flags;
	x.s.index = index;
	x.s.start = start;
	x.s.count = count;
	if (nfds)
		memcpy(x.data, fds, 4 * nfds);
	return osys_ioctl(d, VFIO_DEVICE_SET_IRQS, &x);
}

#define TRIG VFIO_IRQ_SET_ACTION_TRIGGER
#define NONE VFIO_IRQ_SET_DATA_NONE
#define BOOL VFIO_IRQ_SET_DATA_BOOL
#define EFD VFIO_IRQ_SET_DATA_EVENTFD

static void irqs(int d, int other_fd)
{
	const int32_t m1[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	const int32_t m2[1] = { -2 };
	const int32_t bad[1] = { 1000 };
	const int32_t wrong[1] = { other_fd };
	const int32_t one = 1;
	uint32_t minsz = sizeof(struct vfio_irq_set);
	const uint32_t intx = VFIO_PCI_INTX_IRQ_INDEX, msi = VFIO_PCI_MSI_IRQ_INDEX;
	const uint32_t msix = VFIO_PCI_MSIX_IRQ_INDEX, err = VFIO_PCI_ERR_IRQ_INDEX;
	const uint32_t req = VFIO_PCI_REQ_IRQ_INDEX;

	/* validation (vfio_set_irqs_validate_and_prepare) */
	dret(set_irqs(d, minsz - 1, TRIG | NONE, intx, 0, 1, NULL, 0), "set_irqs.argsz_small");
	dret(set_irqs(d, 0, TRIG | NONE, 5, 0, 1, NULL, 0), "set_irqs.index5");
	dret(set_irqs(d, 0, TRIG | NONE, 0xffffffff, 0, 1, NULL, 0), "set_irqs.index_all_ones");
	dret(set_irqs(d, 0, TRIG | NONE | (1u << 6), intx, 0, 1, NULL, 0), "set_irqs.unknown_flag");
	dret(set_irqs(d, 0, TRIG | NONE | BOOL, intx, 0, 1, &one, 1), "set_irqs.two_data_types");
	dret(set_irqs(d, 0, TRIG | VFIO_IRQ_SET_ACTION_MASK | NONE, intx, 0, 1, NULL, 0),
	     "set_irqs.two_actions");
	dret(set_irqs(d, 0, NONE, intx, 0, 1, NULL, 0), "set_irqs.no_action");
	dret(set_irqs(d, 0, TRIG, intx, 0, 1, NULL, 0), "set_irqs.no_data_type");
	dret(set_irqs(d, 0, TRIG | NONE, intx, 0, 2, NULL, 0), "set_irqs.intx.count2");
	dret(set_irqs(d, 0, TRIG | NONE, intx, 1, 0, NULL, 0), "set_irqs.intx.start1");
	dret(set_irqs(d, 0, TRIG | NONE, intx, 0, 0xffffffff, NULL, 0), "set_irqs.count_all_ones");
	dret(set_irqs(d, 0, TRIG | NONE, intx, 0xffffffff, 1, NULL, 0), "set_irqs.start_all_ones");
	dret(set_irqs(d, 0, TRIG | NONE, msix, 4, 2, NULL, 0), "set_irqs.msix.beyond");
	dret(set_irqs(d, 0, TRIG | NONE, msix, 5, 0, NULL, 0), "set_irqs.msix.start_at_end");
	dret(set_irqs(d, 0, TRIG | NONE, msi, 0, 2, NULL, 0), "set_irqs.msi.count2");
	dret(set_irqs(d, minsz, TRIG | EFD, intx, 0, 1, NULL, 0), "set_irqs.eventfd_no_data");
	dret(set_irqs(d, minsz + 3, TRIG | EFD, intx, 0, 1, NULL, 0), "set_irqs.eventfd_short_data");
	dret(set_irqs(d, minsz, TRIG | BOOL, intx, 0, 1, NULL, 0), "set_irqs.bool_no_data");
	dret(set_irqs(d, minsz + 1, TRIG | BOOL, intx, 0, 1, &one, 1), "set_irqs.bool_exact");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_MASK | NONE, msi, 0, 1, NULL, 0), "set_irqs.msi.mask");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_UNMASK | NONE, msix, 0, 1, NULL, 0),
	     "set_irqs.msix.unmask");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_MASK | NONE, err, 0, 1, NULL, 0), "set_irqs.err.mask");

	/* INTx: nothing enabled yet */
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_MASK | NONE, intx, 0, 1, NULL, 0),
	     "set_irqs.intx.mask.off");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_UNMASK | NONE, intx, 0, 1, NULL, 0),
	     "set_irqs.intx.unmask.off");
	dret(set_irqs(d, 0, TRIG | NONE, intx, 0, 1, NULL, 0), "set_irqs.intx.trigger_none.off");
	dret(set_irqs(d, 0, TRIG | NONE, intx, 0, 0, NULL, 0), "set_irqs.intx.disable.off");
	dret(set_irqs(d, 0, TRIG | EFD, intx, 0, 1, bad, 1), "set_irqs.intx.bad_fd");
	dret(set_irqs(d, 0, TRIG | EFD, intx, 0, 1, wrong, 1), "set_irqs.intx.not_eventfd");
	dret(set_irqs(d, 0, TRIG | EFD, intx, 0, 1, m1, 1), "set_irqs.intx.enable");
	/* INTx on */
	dret(set_irqs(d, 0, TRIG | EFD, intx, 0, 1, m1, 1), "set_irqs.intx.enable.again");
	dret(set_irqs(d, 0, TRIG | NONE, intx, 0, 1, NULL, 0), "set_irqs.intx.trigger_none");
	dret(set_irqs(d, 0, TRIG | BOOL, intx, 0, 1, &one, 1), "set_irqs.intx.trigger_bool");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_MASK | NONE, intx, 0, 1, NULL, 0),
	     "set_irqs.intx.mask");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_MASK | BOOL, intx, 0, 1, &one, 1),
	     "set_irqs.intx.mask_bool");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_MASK | EFD, intx, 0, 1, m1, 1),
	     "set_irqs.intx.mask_eventfd");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_UNMASK | NONE, intx, 0, 1, NULL, 0),
	     "set_irqs.intx.unmask");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_UNMASK | EFD, intx, 0, 1, m1, 1),
	     "set_irqs.intx.unmask_eventfd_none");
	dret(set_irqs(d, 0, VFIO_IRQ_SET_ACTION_MASK | NONE, intx, 0, 0, NULL, 0),
	     "set_irqs.intx.mask.count0");
	dret(set_irqs(d, 0, TRIG | EFD, msi, 0, 1, m1, 1), "set_irqs.msi.while_intx");
	dret(set_irqs(d, 0, TRIG | EFD, msix, 0, 1, m1, 1), "set_irqs.msix.while_intx");
	dret(set_irqs(d, 0, TRIG | NONE, msi, 0, 0, NULL, 0), "set_irqs.msi.disable.while_intx");
	dret(set_irqs(d, 0, TRIG | NONE, intx, 0, 0, NULL, 0), "set_irqs.intx.disable");
	dret(set_irqs(d, 0, TRIG | NONE, intx, 0, 0, NULL, 0), "set_irqs.intx.disable.twice");

	/* MSI */
	dret(set_irqs(d, 0, TRIG | NONE, msi, 0, 1, NULL, 0), "set_irqs.msi.trigger_none.off");
	dret(set_irqs(d, 0, TRIG | EFD, msi, 0, 1, bad, 1), "set_irqs.msi.bad_fd");
	dret(set_irqs(d, 0, TRIG | EFD, msi, 0, 1, m1, 1), "set_irqs.msi.enable");
	dret(set_irqs(d, 0, TRIG | EFD, msi, 0, 1, m1, 1), "set_irqs.msi.enable.again");
	dret(set_irqs(d, 0, TRIG | NONE, msi, 0, 1, NULL, 0), "set_irqs.msi.trigger_none");
	dret(set_irqs(d, 0, TRIG | EFD, intx, 0, 1, m1, 1), "set_irqs.intx.while_msi");
	dret(set_irqs(d, 0, TRIG | EFD, msix, 0, 1, m1, 1), "set_irqs.msix.while_msi");
	dret(set_irqs(d, 0, TRIG | NONE, msi, 0, 0, NULL, 0), "set_irqs.msi.disable");

	/* MSI-X */
	dret(set_irqs(d, 0, TRIG | EFD, msix, 0, 5, m1, 5), "set_irqs.msix.enable5");
	dret(set_irqs(d, 0, TRIG | EFD, msix, 2, 3, m1, 3), "set_irqs.msix.subset");
	dret(set_irqs(d, 0, TRIG | EFD, msix, 4, 1, m2, 1), "set_irqs.msix.minus_two");
	dret(set_irqs(d, 0, TRIG | EFD, msix, 0, 1, bad, 1), "set_irqs.msix.bad_fd");
	dret(set_irqs(d, 0, TRIG | BOOL, msix, 0, 1, &one, 1), "set_irqs.msix.trigger_bool");
	dret(set_irqs(d, 0, TRIG | NONE, msix, 0, 0, NULL, 0), "set_irqs.msix.disable");
	dret(set_irqs(d, 0, TRIG | EFD, msix, 0, 1, m1, 1), "set_irqs.msix.enable1");
	dret(set_irqs(d, 0, TRIG | EFD, msix, 3, 1, m1, 1), "set_irqs.msix.grow");
	dret(set_irqs(d, 0, TRIG | NONE, msix, 0, 0, NULL, 0), "set_irqs.msix.disable.again");

	/* ERR and REQ: one optional trigger each */
	dret(set_irqs(d, 0, TRIG | NONE, err, 0, 0, NULL, 0), "set_irqs.err.none_count0");
	dret(set_irqs(d, 0, TRIG | NONE, err, 0, 1, NULL, 0), "set_irqs.err.none_count1");
	dret(set_irqs(d, 0, TRIG | BOOL, err, 0, 1, &one, 1), "set_irqs.err.bool");
	dret(set_irqs(d, 0, TRIG | EFD, err, 0, 1, m1, 1), "set_irqs.err.minus_one");
	dret(set_irqs(d, 0, TRIG | EFD, err, 0, 1, m2, 1), "set_irqs.err.minus_two");
	dret(set_irqs(d, 0, TRIG | EFD, err, 0, 1, bad, 1), "set_irqs.err.bad_fd");
	dret(set_irqs(d, 0, TRIG | EFD, err, 0, 1, wrong, 1), "set_irqs.err.not_eventfd");
	dret(set_irqs(d, 0, TRIG | EFD, err, 0, 0, NULL, 0), "set_irqs.err.eventfd_count0");
	dret(set_irqs(d, 0, TRIG | EFD, req, 0, 1, m1, 1), "set_irqs.req.minus_one");
	dret(set_irqs(d, 0, TRIG | NONE, req, 0, 1, NULL, 0), "set_irqs.req.none_count1");
	dret(set_irqs(d, 0, TRIG | EFD, req, 0, 2, m1, 2), "set_irqs.req.count2");
}

static long cfg_read(int d, uint64_t off, void *buf, size_t n)
{
	return osys_pread(d, buf, n, CFG_OFF + off);
}

static uint32_t cfg32(int d, uint64_t off, unsigned n)
{
	uint32_t v = 0;
	long ret = cfg_read(d, off, &v, n);

	return ret == (long)n ? v : 0xeeeeeeee;
}

static void config(int d)
{
	uint8_t buf[4096];
	uint32_t v, orig;
	unsigned pos, seen = 0, ttl;

	dck(vhex(cfg32(d, 0x00, 2)), "config.vendor");
	dck(vhex(cfg32(d, 0x02, 2)), "config.device");
	dck(vhex(cfg32(d, 0x00, 4)), "config.id32");
	dck(vhex(cfg32(d, 0x01, 1)), "config.byte1");
	dck(vhex(cfg32(d, 0x01, 2)), "config.odd16");
	dck(vhex(cfg32(d, 0x01, 3)), "config.odd24");
	dck(vhex(cfg32(d, 0x01, 4)), "config.odd32");
	dck(vhex(cfg32(d, 0x04, 2)), "config.command");
	dck(vhex(cfg32(d, 0x04, 2) & 0x0407), "config.command.virt");
	dck(vhex(cfg32(d, 0x06, 2)), "config.status");
	dck(vhex(cfg32(d, 0x08, 1)), "config.revision");
	dck(vhex(cfg32(d, 0x08, 4) >> 8), "config.class");
	dck(vhex(cfg32(d, 0x0e, 1)), "config.header_type");
	dck(vhex(cfg32(d, 0x2c, 4)), "config.subsystem");
	dck(vhex(cfg32(d, 0x3d, 1)), "config.interrupt_pin");
	dck(vhex(cfg32(d, 0x34, 1)), "config.cap_ptr");
	dck(vhex(cfg32(d, 0x30, 4)), "config.rom_bar");

	/* BARs: flag bits, then the sizing protocol, then the value back */
	for (unsigned b = 0; b < 6; b++) {
		uint32_t ones = 0xffffffff, sized;
		uint64_t off = 0x10 + 4 * b;

		orig = cfg32(d, off, 4);
		dck(vhex(orig & (orig & 1 ? 0x3 : 0xf)), "config.bar%u.flags", b);
		dret(osys_pwrite(d, &ones, 4, CFG_OFF + off), "config.bar%u.write", b);
		sized = cfg32(d, off, 4);
		dck(vhex(sized), "config.bar%u.sized", b);
		osys_pwrite(d, &orig, 4, CFG_OFF + off);
		dck(cfg32(d, off, 4) == orig ? "restored" : "changed", "config.bar%u.restore", b);
	}
	{
		uint32_t ones = 0xffffffff;

		dret(osys_pwrite(d, &ones, 4, CFG_OFF + 0x30), "config.rom_bar.write");
		dck(vhex(cfg32(d, 0x30, 4)), "config.rom_bar.sized");
	}

	/* read-only and virtualized fields */
	v = 0x1234;
	dret(osys_pwrite(d, &v, 2, CFG_OFF + 0x00), "config.vendor.write");
	dck(vhex(cfg32(d, 0x00, 2)), "config.vendor.after_write");
	v = 0x55;
	orig = cfg32(d, 0x3c, 1);
	dret(osys_pwrite(d, &v, 1, CFG_OFF + 0x3c), "config.interrupt_line.write");
	dck(vhex(cfg32(d, 0x3c, 1)), "config.interrupt_line.after_write");
	osys_pwrite(d, &orig, 1, CFG_OFF + 0x3c);

	/* capabilities: walk the list, note what is there */
	ttl = 48;
	for (pos = cfg32(d, 0x34, 1) & ~3u; pos >= 0x40 && ttl--; pos = cfg32(d, pos + 1, 1) & ~3u) {
		uint32_t id = cfg32(d, pos, 1), flags = cfg32(d, pos + 2, 2);

		if (id == 0x05 && !(seen & 1)) {
			seen |= 1;
			dck(vhex(flags & 0x01ff), "config.cap.msi.flags");
		} else if (id == 0x11 && !(seen & 2)) {
			seen |= 2;
			dck(vdec((flags & 0x7ff) + 1), "config.cap.msix.table_size");
			dck(vdec(cfg32(d, pos + 4, 4) & 7), "config.cap.msix.table_bir");
			dck(vdec(cfg32(d, pos + 8, 4) & 7), "config.cap.msix.pba_bir");
		} else if (id == 0x10 && !(seen & 4)) {
			seen |= 4;
			dck(vdec((flags >> 4) & 0xf), "config.cap.exp.type");
			dck(vdec(flags & 0xf), "config.cap.exp.version");
		} else if (id == 0x01 && !(seen & 8)) {
			seen |= 8;
			dck("present", "config.cap.pm");
		}
	}
	dck(vhex(seen & 7), "config.caps_seen");

	/* reads at the edges of config space */
	dret(cfg_read(d, 0, buf, 256), "config.read256");
	dret(cfg_read(d, 0, buf, 4096), "config.read4096");
	dret(cfg_read(d, 0x100, buf, 4), "config.read_ext");
	dck(vhex(cfg32(d, 0x100, 4) & 0xffff), "config.ext_cap_id");
	dret(cfg_read(d, 4092, buf, 4), "config.read_last4");
	dret(cfg_read(d, 4093, buf, 4), "config.read_past_end");
	dret(cfg_read(d, 4096, buf, 1), "config.read_at_end");
	dret(cfg_read(d, 0, buf, 0), "config.read0");
	dret(cfg_read(d, 1ull << 39, buf, 4), "config.read_far");
}

static void regions_rw(int d)
{
	uint8_t buf[64];

	dret(osys_pread(d, buf, 4, 0), "bar0.read");
	dret(osys_pread(d, buf, 4, 0x1fffc), "bar0.read_last");
	dret(osys_pread(d, buf, 8, 0x1fffc), "bar0.read_straddle");
	dret(osys_pread(d, buf, 4, 0x20000), "bar0.read_end");
	dret(osys_pread(d, buf, 4, 2ull << 40), "bar2.read");
	dret(osys_pread(d, buf, 4, 4ull << 40), "bar4.read");
	dret(osys_pread(d, buf, 4, 5ull << 40), "bar5.read");
	dret(osys_pread(d, buf, 4, 6ull << 40), "rom.read");
	dret(osys_pread(d, buf, 4, 8ull << 40), "vga.read");
	dret(osys_pread(d, buf, 4, 9ull << 40), "region9.read");
	dret(osys_pread(d, buf, 4, 200ull << 40), "region200.read");
}

static void misc(int d)
{
	dret(osys_ioctl(d, VFIO_DEVICE_RESET, NULL), "reset");
	dck(vhex(cfg32(d, 0x00, 4)), "reset.id32");
	dret(osys_ioctl(d, VFIO_GET_API_VERSION, NULL), "container_ioctl");
	dret(osys_ioctl(d, VFIO_GROUP_GET_STATUS, NULL), "group_ioctl");
	dret(osys_ioctl(d, VC_IO(50), NULL), "unknown");
	/* VFIO_IOMMU_GET_INFO's number is the device's GET_PCI_HOT_RESET_INFO */
	dret(osys_ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, NULL), "hot_reset_info.null");
}

/*
 * vfio_pci_ioctl_get_pci_hot_reset_info: argsz below the header (12) is
 * EINVAL; a header with no room for the devices a bus reset would affect
 * is ENOSPC with count written back; with room, each device's group, bus
 * and devfn.  A function on the root bus has no bus reset (ENODEV).
 */
static void hot_reset_info(int d)
{
	struct {
		struct vfio_pci_hot_reset_info h;
		struct vfio_pci_dependent_device dev[4];
	} x;
	static const uint32_t sizes[] = { 0, 8, 11, 12, 16, 19, 20, sizeof(x) };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		long ret;

		memset(&x, 0xa5, sizeof(x));
		x.h.argsz = sizes[i];
		ret = osys_ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &x);
		dret(ret, "hot_reset_info.argsz%u", sizes[i]);
		if (ret != 0 && ret != -ENOSPC)
			continue;
		dck(vhex(x.h.flags), "hot_reset_info.argsz%u.flags", sizes[i]);
		dck(vdec(x.h.count), "hot_reset_info.argsz%u.count", sizes[i]);
		for (unsigned j = 0; ret == 0 && j < x.h.count && j < 4; j++) {
			char v[48];

			snprintf(v, sizeof(v), "group=%u %04x:%02x:%02x.%x", x.dev[j].group_id,
				 x.dev[j].segment, x.dev[j].bus, x.dev[j].devfn >> 3,
				 x.dev[j].devfn & 7);
			dck(v, "hot_reset_info.argsz%u.dev%u", sizes[i], j);
		}
	}
}

/*
 * vfio_pci_ioctl_ioeventfd and vfio_pci_ioeventfd: argsz, flags (exactly
 * one size bit), fd >= -1, only BARs, inside the BAR, clear of the MSI-X
 * table (BAR 3, 0x0-0x4f on e1000e), 8 bytes only with iowrite64, EEXIST
 * for a duplicate, ENODEV to remove what is not there, EBADF / EINVAL for
 * the eventfd (vfio_virqfd_enable), VFIO_PCI_IOEVENTFD_MAX (1000); then the
 * write a signal makes, seen in e1000e's IOADDR register (BAR 2 offset 0,
 * which reads back what was written) when the eventfd is already signalled
 * at registration, with memory decode off too (an I/O BAR is not tested
 * for it).
 */
static long ioeventfd(int d, uint32_t argsz, uint32_t flags, uint64_t offset, uint64_t data,
		      int32_t fd)
{
	struct vfio_device_ioeventfd e;

	memset(&e, 0, sizeof(e));
	e.argsz = argsz;
	e.flags = flags;
	e.offset = offset;
	e.data = data;
	e.fd = fd;
	return osys_ioctl(d, VFIO_DEVICE_IOEVENTFD, &e);
}

static void ioeventfds(int d)
{
	uint32_t sz = sizeof(struct vfio_device_ioeventfd), F4 = VFIO_DEVICE_IOEVENTFD_32;
	uint64_t bar1 = 1ull << 40, bar2 = 2ull << 40, bar3 = 3ull << 40, cnt = 0;
	int efd = osys_eventfd(0, 04000), efd2 = osys_eventfd(0, 04000), sig;
	uint32_t v = 0;
	unsigned ok = 0;
	uint16_t cmd;

	dret(efd < 0 ? efd : 0, "ioeventfd.eventfd");
	dret(ioeventfd(d, 27, F4, bar1, 1, efd), "ioeventfd.argsz27");
	dret(ioeventfd(d, sz, 0, bar1, 1, efd), "ioeventfd.size0");
	dret(ioeventfd(d, sz, 3, bar1, 1, efd), "ioeventfd.size3");
	dret(ioeventfd(d, sz, F4 | 0x10, bar1, 1, efd), "ioeventfd.flag0x10");
	dret(ioeventfd(d, sz, F4, bar1, 1, -2), "ioeventfd.fd_minus2");
	dret(ioeventfd(d, sz, F4, 6ull << 40, 1, efd), "ioeventfd.rom");
	dret(ioeventfd(d, sz, F4, 7ull << 40, 1, efd), "ioeventfd.config");
	dret(ioeventfd(d, sz, F4, 4ull << 40, 1, efd), "ioeventfd.bar4");
	dret(ioeventfd(d, sz, F4, bar1 + 0x1fffe, 1, efd), "ioeventfd.past_end");
	dret(ioeventfd(d, sz, F4, bar1 + 0x1fffc, 1, efd), "ioeventfd.last");
	dret(ioeventfd(d, sz, F4, bar1 + 0x1fffc, 1, -1), "ioeventfd.last.remove");
	dret(ioeventfd(d, sz, F4, bar3 + 0x4c, 1, efd), "ioeventfd.msix_table");
	dret(ioeventfd(d, sz, F4, bar3 + 0x50, 1, efd), "ioeventfd.after_table");
	dret(ioeventfd(d, sz, F4, bar3 + 0x50, 1, -1), "ioeventfd.after_table.remove");
	dret(ioeventfd(d, sz, F4, bar1, 1, -1), "ioeventfd.remove_none");
	dret(ioeventfd(d, sz, F4, bar1, 1, 999), "ioeventfd.badfd");
	dret(ioeventfd(d, sz, F4, bar1, 1, d), "ioeventfd.not_eventfd");
	dret(ioeventfd(d, sz, VFIO_DEVICE_IOEVENTFD_64, bar1, 1, efd), "ioeventfd.size8");
	dret(ioeventfd(d, sz, VFIO_DEVICE_IOEVENTFD_64, bar1, 1, -1), "ioeventfd.size8.remove");
	dret(ioeventfd(d, sz, VFIO_DEVICE_IOEVENTFD_8, bar1 + 3, 7, efd), "ioeventfd.size1");
	dret(ioeventfd(d, sz, VFIO_DEVICE_IOEVENTFD_8, bar1 + 3, 7, efd2), "ioeventfd.dup");
	dret(ioeventfd(d, sz, VFIO_DEVICE_IOEVENTFD_8, bar1 + 3, 8, efd2), "ioeventfd.other_data");
	/* the write: an eventfd already signalled when it is registered writes
	 * at once (vfio_virqfd_enable's vfs_poll) and keeps its count */
	dret(osys_pwrite(d, &v, 4, bar2), "ioeventfd.ioaddr.clear");
	dret(osys_pread(d, &v, 4, bar2), "ioeventfd.ioaddr.before");
	dck(vhex(v), "ioeventfd.ioaddr.before.value");
	sig = osys_eventfd(1, 04000);
	dret(ioeventfd(d, sz, F4, bar2, 0x10, sig), "ioeventfd.ioaddr");
	osys_sleep_ms(20);
	dret(osys_pread(d, &v, 4, bar2), "ioeventfd.ioaddr.after");
	dck(vhex(v), "ioeventfd.ioaddr.after.value");
	dret(osys_read(sig, &cnt, 8), "ioeventfd.ioaddr.count");
	dck(vdec((long long)cnt), "ioeventfd.ioaddr.count.value");
	dret(ioeventfd(d, sz, F4, bar2, 0x10, -1), "ioeventfd.ioaddr.remove");
	osys_close(sig);
	/* memory decode off: an I/O BAR's ioeventfd still writes */
	v = 0;
	dret(osys_pwrite(d, &v, 4, bar2), "ioeventfd.ioaddr.clear2");
	cfg_read(d, 4, &cmd, 2);
	cmd = (uint16_t)(cmd & ~2u);
	osys_pwrite(d, &cmd, 2, CFG_OFF + 4);
	sig = osys_eventfd(1, 04000);
	dret(ioeventfd(d, sz, F4, bar2, 0x20, sig), "ioeventfd.ioaddr2");
	osys_sleep_ms(20);
	cmd |= 2;
	osys_pwrite(d, &cmd, 2, CFG_OFF + 4);
	dret(osys_pread(d, &v, 4, bar2), "ioeventfd.ioaddr2.after");
	dck(vhex(v), "ioeventfd.ioaddr2.after.value");
	dret(ioeventfd(d, sz, F4, bar2, 0x20, -1), "ioeventfd.ioaddr2.remove");
	osys_close(sig);
	/* VFIO_PCI_IOEVENTFD_MAX: two are set (size1, other_data), the loop adds 998 */
	for (unsigned i = 0; i < 1000; i++)
		if (!ioeventfd(d, sz, F4, bar1 + 0x100, i, efd))
			ok++;
	dck(vdec(ok), "ioeventfd.fill.ok");
	dret(ioeventfd(d, sz, F4, bar1 + 0x100, 5000, efd), "ioeventfd.full");
	osys_close(efd);
	osys_close(efd2);
}

/*
 * vfio_ioctl_device_feature (argsz, unknown flags, GET with SET without
 * PROBE), the core's migration and DMA-logging features (ENOTTY: plain
 * vfio-pci has no mig_ops / log_ops), vfio_pci_core_ioctl_feature (VF
 * token only on an SR-IOV PF, low power entry / entry with wakeup / exit,
 * vfio_check_feature's SET-only rule, entry twice EINVAL).
 */
static long feature(int d, uint32_t argsz, uint32_t flags, const void *data, size_t n)
{
	struct { struct vfio_device_feature f; uint8_t d[24]; } x;

	memset(&x, 0, sizeof(x));
	x.f.argsz = argsz;
	x.f.flags = flags;
	if (n)
		memcpy(x.d, data, n);
	return osys_ioctl(d, VFIO_DEVICE_FEATURE, &x);
}

static void features(int d)
{
	uint32_t h = sizeof(struct vfio_device_feature);
	uint32_t G = VFIO_DEVICE_FEATURE_GET, S = VFIO_DEVICE_FEATURE_SET;
	uint32_t P = VFIO_DEVICE_FEATURE_PROBE;
	int32_t efd = osys_eventfd(0, 04000), bad = 999, m1 = -1, dev = d;
	uint64_t cnt = 0;

	dret(feature(d, h - 1, S | 3, NULL, 0), "feature.argsz7");
	dret(feature(d, h, S | 3 | (1u << 19), NULL, 0), "feature.flag19");
	dret(feature(d, h, G | S | 3, NULL, 0), "feature.get_set");
	for (uint32_t f = 0; f <= 12; f++) {
		dret(feature(d, h + 24, P | G | f, NULL, 0), "feature%u.probe_get", f);
		dret(feature(d, h + 24, P | S | f, NULL, 0), "feature%u.probe_set", f);
		dret(feature(d, h + 24, P | G | S | f, NULL, 0), "feature%u.probe_get_set", f);
	}
	dret(feature(d, h, P | 3, NULL, 0), "feature.low_power.probe");
	dret(feature(d, h, 3, NULL, 0), "feature.low_power.no_op");
	dret(feature(d, h, G | 3, NULL, 0), "feature.low_power.get");
	dret(feature(d, h, S | 3, NULL, 0), "feature.low_power.entry");
	osys_sleep_ms(200);                   /* let it runtime-suspend */
	dret(feature(d, h, S | 3, NULL, 0), "feature.low_power.entry_again");
	dret(feature(d, h, S | 5, NULL, 0), "feature.low_power.exit");
	dret(feature(d, h, S | 5, NULL, 0), "feature.low_power.exit_again");
	dret(feature(d, h + 4, S | 4, &efd, 4), "feature.wakeup.argsz12");
	dret(feature(d, h + 8, S | 4, &m1, 4), "feature.wakeup.fd_minus1");
	dret(feature(d, h + 8, S | 4, &bad, 4), "feature.wakeup.badfd");
	dret(feature(d, h + 8, S | 4, &dev, 4), "feature.wakeup.not_eventfd");
	/* suspended in low power, the next access resumes the device
	 * (vfio_pci_core_runtime_resume): the wakeup eventfd is signalled and
	 * low power left, by a region read (vfio_pci_rw) as by an ioctl */
	dret(feature(d, h + 8, S | 4, &efd, 4), "feature.wakeup.entry");
	osys_sleep_ms(200);
	dret(osys_pread(d, &cnt, 4, CFG_OFF), "feature.wakeup.rw");
	dret(osys_read(efd, &cnt, 8), "feature.wakeup.rw.signalled");
	dck(vdec((long long)cnt), "feature.wakeup.rw.signalled.count");
	dret(feature(d, h + 8, S | 4, &efd, 4), "feature.wakeup.entry2");
	osys_sleep_ms(200);
	dret(feature(d, h, S | 3, NULL, 0), "feature.wakeup.entry_again");
	dret(osys_read(efd, &cnt, 8), "feature.wakeup.ioctl.signalled");
	dret(feature(d, h, S | 5, NULL, 0), "feature.wakeup.exit");
	dret(osys_read(efd, &cnt, 8), "feature.wakeup.after_exit");
	osys_close(efd);
}

/*
 * Zero-length reads and writes (vfio_pci_rw: the index and the BAR's end
 * are checked, then nothing is accessed); the MSI-X table through BAR 3
 * (vfio_pci_bar_rw leaves [0, 0x50) to the kernel: all ones, writes
 * dropped, readable with memory decode off) and the PBA at 0x2000 (the
 * device's, no pending bits; a write is dropped).
 */
static void data_path(int d)
{
	uint64_t bar0 = 0, bar3 = 3ull << 40;
	uint8_t buf[0x50];
	uint32_t v = 0x12345678;
	uint16_t cmd;

	dret(osys_pread(d, buf, 0, bar0 + 0x10), "rw0.bar0.read");
	dret(osys_pwrite(d, buf, 0, bar0 + 0x10), "rw0.bar0.write");
	dret(osys_pread(d, buf, 0, bar0 + 0x20000), "rw0.bar0.end");
	dret(osys_pread(d, buf, 0, 4ull << 40), "rw0.bar4");
	dret(osys_pread(d, buf, 0, 6ull << 40), "rw0.rom");
	dret(osys_pwrite(d, buf, 0, CFG_OFF + 0x40), "rw0.config.write");
	dret(osys_pread(d, buf, 0, 9ull << 40), "rw0.region9");
	memset(buf, 0, sizeof(buf));
	dret(osys_pread(d, buf, sizeof(buf), bar3), "msix.table.read");
	dck(vhex(buf[0] | buf[0x27] << 8 | (uint32_t)buf[0x4f] << 16), "msix.table.bytes");
	dret(osys_pwrite(d, &v, 4, bar3 + 0x10), "msix.table.write");
	v = 0;
	dret(osys_pread(d, &v, 4, bar3 + 0x10), "msix.table.reread");
	dck(vhex(v), "msix.table.reread.value");
	dret(osys_pread(d, &v, 4, bar3 + 0x4e), "msix.table.straddle");
	v = 0xffffffff;
	dret(osys_pread(d, &v, 4, bar3 + 0x2000), "msix.pba.read");
	dck(vhex(v), "msix.pba.value");
	v = 0x1f;
	dret(osys_pwrite(d, &v, 4, bar3 + 0x2000), "msix.pba.write");
	dret(osys_pread(d, &v, 4, bar3 + 0x2000), "msix.pba.reread");
	dck(vhex(v), "msix.pba.reread.value");
	cfg_read(d, 4, &cmd, 2);
	cmd = (uint16_t)(cmd & ~2u);
	osys_pwrite(d, &cmd, 2, CFG_OFF + 4);
	dret(osys_pread(d, &v, 4, bar3 + 0x20), "msix.table.decode_off");
	dret(osys_pread(d, &v, 4, bar3 + 0x2000), "msix.pba.decode_off");
	dret(osys_pread(d, buf, 0, bar3 + 0x2000), "rw0.bar3.decode_off");
	cmd |= 2;
	osys_pwrite(d, &cmd, 2, CFG_OFF + 4);
}

/* The INTx unmask eventfd (vfio_pci_set_intx_unmask -> vfio_virqfd_enable):
 * EBADF, EINVAL, EBUSY while one is set, -1 clears it. */
static void unmask_virqfd(int d)
{
	int32_t t = osys_eventfd(0, 04000), u = osys_eventfd(0, 04000), u2 = osys_eventfd(0, 04000);
	int32_t m1 = -1, bad = 999;
	uint32_t UNMASK_FD = VFIO_IRQ_SET_ACTION_UNMASK | EFD;

	dret(set_irqs(d, 0, TRIG | EFD, 0, 0, 1, &t, 1), "unmaskfd.intx_on");
	dret(set_irqs(d, 0, UNMASK_FD, 0, 0, 1, &bad, 1),
	     "unmaskfd.badfd");
	dret(set_irqs(d, 0, UNMASK_FD, 0, 0, 1, &u, 1), "unmaskfd.set");
	dret(set_irqs(d, 0, UNMASK_FD, 0, 0, 1, &u2, 1),
	     "unmaskfd.set_again");
	dret(set_irqs(d, 0, UNMASK_FD, 0, 0, 1, &m1, 1),
	     "unmaskfd.clear");
	dret(set_irqs(d, 0, UNMASK_FD, 0, 0, 1, &u2, 1),
	     "unmaskfd.set2");
	dret(set_irqs(d, 0, TRIG | NONE, 0, 0, 0, NULL, 0), "unmaskfd.intx_off");
	osys_close(t);
	osys_close(u);
	osys_close(u2);
}

int main(int argc, char **argv)
{
	int i = osys_init(argc, argv);

	if (argc - i < 1) {
		fprintf(stderr, "usage: vfio_device -- BDF...\n");
		return 2;
	}
	for (; i < argc; i++, dn++) {
		const char *bdf = argv[i];
		int c, g, d;
		char tag[32];

		snprintf(tag, sizeof(tag), "device%u", dn);
		vc_bind(tag, bdf);
		c = vc_setup(bdf, VFIO_TYPE1v2_IOMMU, &g);
		d = vc_device(g, bdf);
		get_info(d);
		region_info(d);
		irq_info(d);
		irqs(d, c);
		config(d);
		regions_rw(d);
		misc(d);
		hot_reset_info(d);
		ioeventfds(d);
		features(d);
		data_path(d);
		unmask_virqfd(d);
		osys_close(d);
		osys_close(g);
		osys_close(c);
	}
	printf("checks %u\n", ocheck_count());
	return 0;
}
