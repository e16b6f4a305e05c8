/* SPDX-License-Identifier: MIT */
/*
 * bench_nesting: what a guest's stage-1 table costs the VMM through
 * iommufd's uAPI (docs/nesting.md), each beside a baseline measured in the
 * same run, on VT-d:
 *
 *   invalidation per entry   IOMMU_HWPT_INVALIDATE of a 64-entry array of
 *                            one-page requests, per entry, beside a
 *                            one-entry call (the fixed cost the array
 *                            amortizes) and beside IOMMU_OPTION GET (the
 *                            ioctl path's floor)
 *   invalidation per PASID   one one-page request on a nested HWPT
 *                            attached at 64 PASIDs of the device, per
 *                            PASID, beside the same HWPT on its RID alone
 *   fault round trip         a device's DMA to a guest page not yet mapped:
 *                            ATS no access, page request, the nested
 *                            HWPT's fault queue, the VMM's read(2), the
 *                            guest's PTE, the response write(2), the retry
 *                            that lands; beside the same through a paging
 *                            HWPT (the VMM maps the IOVA instead)
 *   2020 CACHE_INVALIDATE    the 2020 proposal's one-page invalidation
 *                            through a type1 nesting container, for scale
 *   SMMUv3 vIOMMU commands   IOMMU_HWPT_INVALIDATE on a vIOMMU (its own
 *                            SMMUv3 world, the device's vDEVICE): one
 *                            guest CMD_TLBI_NH_VA per call, and 64 - one
 *                            batch of 63 and one of 1, each with its sync -
 *                            per command; and 64 CMD_CFGI_CD of the vSID
 *                            (each a StreamID lookup and a PASID-cache
 *                            command) per command
 *
 * Prints ns per operation (the median of the runs) and the ratios.
 * Figures only, never pass or fail.
 *
 * Usage: bench_nesting [runs [reps]]   (default 7 runs, 2000 calls each)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vfio.h>

#include "iommusim/iommusim.h"
#include "iommusim/uapi/iommufd.h"
#include "iommusim/uapi/vfio_cdev.h"
#include "iommusim/uapi/vfio_nesting.h"
#include "tools/bench/bench_common.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "tools/scenario/scenario.h"

#define MAX_RUNS 31
#define PG       4096ull
#define GVA      0x40000000ull
#define NPASID   64
#define NENT     64
/* guest RAM: the tables at GPA 0x1000.., the data pages from 1 MiB */
#define GMEM     (4ull << 20)
#define DATA_GPA 0x100000ull

static const char *const WORLD_YAML =
	"name: bench-nesting\n"
	"profile: {memory_budget: 1G}\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", "
	"caps: {ats: true, pri: true, pasid: 20}, driver: vfio-pci}\n"
	"processes:\n"
	"  - {name: qemu, uid: 0, rlimit_memlock: unlimited}\n";

struct bench {
	struct sim_world *w;
	struct sim_proc *p;
	struct sim_dev *dev;
	int pid, ifd, cfd;
	uint64_t arg, gmem, req;     /* user buffers: ioctl argument, guest RAM, requests */
	uint32_t devid, ioas, s2, s1, s1_pasid, fq, fq_hwpt;
	int fault_fd;
	uint64_t sink;
};

static void die(const char *what, long ret)
{
	fprintf(stderr, "bench_nesting: %s: %ld\n", what, ret);
	exit(1);
}

static long io(struct bench *b, int fd, unsigned long cmd, void *st, size_t len)
{
	long ret;

	if (sim_copy_to_user(b->p, b->arg, st, len))
		die("copy_to_user", -EFAULT);
	ret = sim_sys_ioctl_ul(b->w, b->pid, fd, cmd, b->arg);
	sim_copy_from_user(b->p, st, b->arg, len);
	return ret;
}

/* A guest PTE (x86-64 first-stage format: P, RW, US, A, D) at table GPA
 * @table, index @i, pointing at @gpa. */
static void pte(struct bench *b, uint64_t table, unsigned i, uint64_t gpa, bool leaf)
{
	uint64_t v = gpa | (leaf ? 0x67u : 0x27u);

	if (sim_copy_to_user(b->p, b->gmem + table + 8ull * i, &v, sizeof(v)))
		die("pte", -EFAULT);
}

/* The guest's table: PML4 at 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT
 * 0x4000, which maps GVA + i pages to DATA_GPA + i pages for i < @pages. */
static uint64_t guest_table(struct bench *b, unsigned pages)
{
	pte(b, 0x1000, (unsigned)(GVA >> 39) & 511, 0x2000, false);
	pte(b, 0x2000, (unsigned)(GVA >> 30) & 511, 0x3000, false);
	pte(b, 0x3000, (unsigned)(GVA >> 21) & 511, 0x4000, false);
	for (unsigned i = 0; i < pages; i++)
		pte(b, 0x4000, i, DATA_GPA + i * PG, true);
	return 0x1000;
}

static uint32_t hwpt_alloc(struct bench *b, uint32_t pt, uint32_t flags, bool nested,
			   uint32_t fault_id)
{
	struct iommu_hwpt_vtd_s1 vtd = { .pgtbl_addr = 0x1000, .addr_width = 48 };
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = b->devid,
				      .pt_id = pt, .fault_id = fault_id };
	long ret;

	if (nested) {
		if (sim_copy_to_user(b->p, b->req, &vtd, sizeof(vtd)))
			die("vtd", -EFAULT);
		a.data_type = IOMMU_HWPT_DATA_VTD_S1;
		a.data_len = sizeof(vtd);
		a.data_uptr = b->req;
	}
	if ((ret = io(b, b->ifd, IOMMU_HWPT_ALLOC, &a, sizeof(a))))
		die("HWPT_ALLOC", ret);
	return a.out_hwpt_id;
}

static void attach(struct bench *b, uint32_t pt, bool at_pasid, uint32_t pasid)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = pt,
						    .flags = at_pasid ? VFIO_DEVICE_ATTACH_PASID : 0,
						    .pasid = pasid };
	long ret = io(b, b->cfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at, sizeof(at));

	if (ret)
		die("ATTACH", ret);
}

static int last_reason;

static int dma(struct bench *b, uint64_t addr, bool pasid_valid, uint32_t pasid)
{
	uint64_t v = 0;
	struct sim_dma op = { .addr = addr, .pasid = pasid, .pasid_valid = pasid_valid,
			      .buf = &v, .len = 8 };
	int ret = sim_dev_dma_h(b->w, b->dev, &op);

	b->sink += v;
	last_reason = op.fault_reason;
	return ret;
}

/* @b's world from @yaml, the VMM (pid 2) its caller with an argument page */
static void world_of(struct bench *b, const char *yaml)
{
	char *err = NULL;
	struct scenario *s = scenario_load_string(yaml, strlen(yaml), "<bench>", &err);
	long ret;

	memset(b, 0, sizeof(*b));
	if (!s || !(b->w = scenario_build_world(s, 1, &err)))
		die(err ? err : "world", -EINVAL);
	scenario_free(s);
	b->pid = 2;
	b->p = sim_proc_find(b->w, b->pid);
	if ((ret = sim_mm_map(b->p->mm, PG, SIM_PROT_READ | SIM_PROT_WRITE, "arg", &b->arg)))
		die("alloc", ret);
}

static void setup(struct bench *b)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_ioas_map m = { .size = sizeof(m) };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	long ret;

	world_of(b, WORLD_YAML);
	b->dev = sim_dev_lookup(b->w, "0000:01:00.0");
	if ((ret = sim_mm_map(b->p->mm, GMEM, SIM_PROT_READ | SIM_PROT_WRITE, "gmem", &b->gmem)) ||
	    (ret = sim_mm_map(b->p->mm, 16 * PG, SIM_PROT_READ | SIM_PROT_WRITE, "req", &b->req)))
		die("alloc", ret);
	for (uint64_t off = 0; off < GMEM; off += PG)   /* every frame, before timing */
		sim_copy_to_user(b->p, b->gmem + off, &(uint64_t){ 0 }, 8);
	if ((b->ifd = (int)sim_sys_open(b->w, b->pid, "/dev/iommu", O_RDWR)) < 0 ||
	    (b->cfd = (int)sim_sys_open(b->w, b->pid, "/dev/vfio/devices/vfio0", O_RDWR)) < 0)
		die("open", -ENOENT);
	bind.iommufd = b->ifd;
	if ((ret = io(b, b->cfd, VFIO_DEVICE_BIND_IOMMUFD, &bind, sizeof(bind))))
		die("BIND", ret);
	b->devid = bind.out_devid;
	if ((ret = io(b, b->ifd, IOMMU_IOAS_ALLOC, &ia, sizeof(ia))))
		die("IOAS_ALLOC", ret);
	b->ioas = ia.out_ioas_id;
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = b->ioas;
	m.user_va = b->gmem;
	m.length = GMEM;
	m.iova = 0;
	if ((ret = io(b, b->ifd, IOMMU_IOAS_MAP, &m, sizeof(m))))
		die("IOAS_MAP", ret);
	guest_table(b, NENT);
	b->s2 = hwpt_alloc(b, b->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
			   false, 0);
	/* every HWPT takes PASIDs: a RID's HWPT must, while PASIDs are attached */
	b->s1 = hwpt_alloc(b, b->s2, IOMMU_HWPT_ALLOC_PASID, true, 0);
	b->s1_pasid = hwpt_alloc(b, b->s2, IOMMU_HWPT_ALLOC_PASID, true, 0);
	if ((ret = io(b, b->ifd, IOMMU_FAULT_QUEUE_ALLOC, &fa, sizeof(fa))))
		die("FAULT_QUEUE_ALLOC", ret);
	b->fq = fa.out_fault_id;
	b->fault_fd = (int)fa.out_fault_fd;
}

/* One HWPT_INVALIDATE of @n one-page requests from GVA on @hwpt. */
static long invalidate(struct bench *b, uint32_t hwpt, unsigned n)
{
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = hwpt,
					   .data_uptr = b->req,
					   .data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					   .entry_len = sizeof(struct iommu_hwpt_vtd_s1_invalidate),
					   .entry_num = n };

	return io(b, b->ifd, IOMMU_HWPT_INVALIDATE, &c, sizeof(c));
}

/* @n one-page requests from GVA at req, and "everything" after them */
static void put_requests(struct bench *b, unsigned n)
{
	struct iommu_hwpt_vtd_s1_invalidate all = { .addr = 0, .npages = UINT64_MAX };

	for (unsigned i = 0; i < n; i++) {
		struct iommu_hwpt_vtd_s1_invalidate r = { .addr = GVA + i * PG, .npages = 1 };

		sim_copy_to_user(b->p, b->req + i * sizeof(r), &r, sizeof(r));
	}
	sim_copy_to_user(b->p, b->req + n * sizeof(all), &all, sizeof(all));
}

static void invalidate_all(struct bench *b, uint32_t hwpt)
{
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = hwpt,
					   .data_uptr = b->req + NENT * 24ull,
					   .data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					   .entry_len = 24, .entry_num = 1 };

	if (io(b, b->ifd, IOMMU_HWPT_INVALIDATE, &c, sizeof(c)))
		die("HWPT_INVALIDATE everything", -EINVAL);
}

static double time_calls(struct bench *b, uint32_t hwpt, unsigned n, unsigned reps)
{
	double t0 = bench_now_ns();

	for (unsigned i = 0; i < reps; i++)
		if (invalidate(b, hwpt, n))
			die("HWPT_INVALIDATE", -EINVAL);
	return (bench_now_ns() - t0) / reps;
}

static double time_option(struct bench *b, unsigned reps)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_RLIMIT_MODE,
				  .op = IOMMU_OPTION_OP_GET };
	double t0 = bench_now_ns();

	for (unsigned i = 0; i < reps; i++)
		io(b, b->ifd, IOMMU_OPTION, &o, sizeof(o));
	return (bench_now_ns() - t0) / reps;
}

/* A fault served: the DMA (pending), the read, the fix (@nested: the
 * guest's PTE; else the VMM's IOAS_MAP), the response, the retry. */
static void round_trip(struct bench *b, bool nested, unsigned page)
{
	uint8_t rec[40];
	struct iommu_hwpt_page_response resp = { .code = IOMMUFD_PAGE_RESP_SUCCESS };
	uint64_t addr = nested ? GVA + page * PG : 0x10000000 + page * PG;   /* past guest RAM */

	long n;

	dma(b, addr, false, 0);
	if ((n = sim_sys_read_k(b->w, b->pid, b->fault_fd, rec, sizeof(rec))) != sizeof(rec)) {
		fprintf(stderr, "dma at 0x%llx: reason %d\n", (unsigned long long)addr, last_reason);
		die("fault read", n);
	}
	memcpy(&resp.cookie, rec + 36, sizeof(resp.cookie));
	if (nested) {
		pte(b, 0x4000, page, DATA_GPA + (page % 256) * PG, true);
	} else {
		struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = b->ioas,
					    .user_va = b->gmem + DATA_GPA, .length = PG,
					    .iova = addr };

		m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			  IOMMU_IOAS_MAP_WRITEABLE;
		if (io(b, b->ifd, IOMMU_IOAS_MAP, &m, sizeof(m)))
			die("IOAS_MAP", -EINVAL);
	}
	if (sim_sys_write_k(b->w, b->pid, b->fault_fd, &resp, sizeof(resp)) != sizeof(resp))
		die("fault write", -EIO);
	if (dma(b, addr, false, 0))
		die("retry", -EIO);
}

/* The 2020 proposal's container, one group, one bind: its invalidation. */
static double time_2020(unsigned reps)
{
	static const char *const yaml =
		"name: bench-nesting-2020\n"
		"profile: {vfio: {nesting_abi: guest-pgtbl-2020, nesting_bind_scope: singleton}}\n"
		"topology:\n"
		"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", "
		"caps: {ats: true, pasid: 20}, driver: vfio-pci}\n"
		"processes:\n"
		"  - {name: qemu, uid: 0, rlimit_memlock: unlimited}\n";
	char path[32];
	struct bench b;
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_pasid_request pr = { .argsz = sizeof(pr) };
	/* the bind header and its data, flat (the header ends in data[]) */
	struct { uint32_t argsz, flags; struct iommu_gpasid_bind_data d; } bind;
	struct vfio_iommu_type1_cache_invalidate inv = { .argsz = sizeof(inv) };
	double t0;
	int gfd;
	long ret;

	world_of(&b, yaml);
	if ((ret = sim_mm_map(b.p->mm, GMEM, SIM_PROT_READ | SIM_PROT_WRITE, "gmem", &b.gmem)))
		die("alloc", ret);
	if ((b.cfd = (int)sim_sys_open(b.w, b.pid, "/dev/vfio/vfio", O_RDWR)) < 0)
		die("open container", b.cfd);
	snprintf(path, sizeof(path), "/dev/vfio/%d", sim_pci_iommu_group(b.w, "0000:01:00.0"));
	if ((gfd = (int)sim_sys_open(b.w, b.pid, path, O_RDWR)) < 0)
		die("open group", gfd);
	if ((ret = io(&b, gfd, VFIO_GROUP_SET_CONTAINER, &b.cfd, sizeof(b.cfd))) ||
	    (ret = sim_sys_ioctl_ul(b.w, b.pid, b.cfd, VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU)))
		die("container", ret);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = b.gmem;
	map.size = GMEM;
	if ((ret = io(&b, b.cfd, VFIO_IOMMU_MAP_DMA, &map, sizeof(map))))
		die("MAP_DMA", ret);
	guest_table(&b, NENT);
	pr.flags = VFIO_IOMMU_PASID_ALLOC;
	pr.alloc_pasid.min = 1;
	pr.alloc_pasid.max = 100;
	if ((ret = io(&b, b.cfd, VFIO_IOMMU_PASID_REQUEST, &pr, sizeof(pr))))
		die("PASID_REQUEST", ret);
	memset(&bind, 0, sizeof(bind));
	bind.argsz = sizeof(bind);
	bind.flags = VFIO_IOMMU_BIND_GUEST_PGTBL;
	bind.d.version = 1;
	bind.d.format = IOMMU_PASID_FORMAT_INTEL_VTD;
	bind.d.gpgd = 0x1000;
	bind.d.hpasid = pr.alloc_pasid.result;
	bind.d.addr_width = 48;
	if ((ret = io(&b, b.cfd, VFIO_IOMMU_BIND_2020, &bind, sizeof(bind))))
		die("BIND", ret);
	inv.cache_info.version = 1;
	inv.cache_info.cache = IOMMU_CACHE_INV_TYPE_IOTLB;
	inv.cache_info.granularity = IOMMU_INV_GRANU_ADDR;
	inv.cache_info.addr_info.flags = IOMMU_INV_ADDR_FLAGS_PASID;
	inv.cache_info.addr_info.pasid = pr.alloc_pasid.result;
	inv.cache_info.addr_info.addr = GVA;
	inv.cache_info.addr_info.granule_size = PG;
	inv.cache_info.addr_info.nb_granules = 1;
	t0 = bench_now_ns();
	for (unsigned i = 0; i < reps; i++)
		if ((ret = io(&b, b.cfd, VFIO_IOMMU_CACHE_INVALIDATE, &inv, sizeof(inv))))
			die("CACHE_INVALIDATE", ret);
	t0 = (bench_now_ns() - t0) / reps;
	sim_world_destroy(b.w);
	return t0;
}

/* IOMMU_HWPT_INVALIDATE of @n guest commands at @uptr on the vIOMMU */
static void viommu_inv(struct bench *b, uint32_t viommu, uint64_t uptr, unsigned n)
{
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .hwpt_id = viommu,
					   .data_uptr = uptr,
					   .data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
					   .entry_len = 16, .entry_num = n };
	long ret = io(b, b->ifd, IOMMU_HWPT_INVALIDATE, &c, sizeof(c));

	if (ret)
		die("HWPT_INVALIDATE on the vIOMMU", ret);
}

/* SMMUv3's vIOMMU: a NEST_PARENT HWPT, the vIOMMU, the device's vDEVICE
 * (vSID 0x10); out[0] ns per one-command call, out[1] ns per TLBI of a
 * 64-command call, out[2] ns per CFGI_CD of one */
static void time_viommu(unsigned reps, double out[3])
{
	static const char *const yaml =
		"name: bench-nesting-smmuv3\n"
		"profile: {iommu: {format: arm-smmuv3}}\n"
		"topology:\n"
		"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", "
		"driver: vfio-pci}\n"
		"processes:\n"
		"  - {name: qemu, uid: 0, rlimit_memlock: unlimited}\n";
	struct bench b;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .virt_id = 0x10 };
	unsigned n = reps / 8 ? reps / 8 : 1;
	double t0;
	long ret;

	world_of(&b, yaml);
	if ((ret = sim_mm_map(b.p->mm, 4 * PG, SIM_PROT_READ | SIM_PROT_WRITE, "req", &b.req)))
		die("alloc", ret);
	if ((b.ifd = (int)sim_sys_open(b.w, b.pid, "/dev/iommu", O_RDWR)) < 0 ||
	    (b.cfd = (int)sim_sys_open(b.w, b.pid, "/dev/vfio/devices/vfio0", O_RDWR)) < 0)
		die("open", -ENOENT);
	bind.iommufd = b.ifd;
	if ((ret = io(&b, b.cfd, VFIO_DEVICE_BIND_IOMMUFD, &bind, sizeof(bind))) ||
	    (ret = io(&b, b.ifd, IOMMU_IOAS_ALLOC, &ia, sizeof(ia))))
		die("BIND / IOAS_ALLOC", ret);
	b.devid = bind.out_devid;
	va.dev_id = vd.dev_id = b.devid;
	va.hwpt_id = hwpt_alloc(&b, ia.out_ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT, false, 0);
	if ((ret = io(&b, b.ifd, IOMMU_VIOMMU_ALLOC, &va, sizeof(va))))
		die("VIOMMU_ALLOC", ret);
	vd.viommu_id = va.out_viommu_id;
	if ((ret = io(&b, b.ifd, IOMMU_VDEVICE_ALLOC, &vd, sizeof(vd))))
		die("VDEVICE_ALLOC", ret);
	/* 64 CMD_TLBI_NH_VA (ASID 7, a page each), then 64 CMD_CFGI_CD of vSID 0x10 */
	for (unsigned i = 0; i < NENT; i++) {
		uint64_t tlbi[2] = { 0x12 | 7ull << 48, GVA + i * PG };
		uint64_t cfgi[2] = { 0x5 | 0x10ull << 32 | (uint64_t)(i % 4) << 12, 1 };

		sim_copy_to_user(b.p, b.req + 16ull * i, tlbi, sizeof(tlbi));
		sim_copy_to_user(b.p, b.req + 16ull * (NENT + i), cfgi, sizeof(cfgi));
	}
	t0 = bench_now_ns();
	for (unsigned i = 0; i < reps; i++)
		viommu_inv(&b, va.out_viommu_id, b.req, 1);
	out[0] = (bench_now_ns() - t0) / reps;
	t0 = bench_now_ns();
	for (unsigned i = 0; i < n; i++)
		viommu_inv(&b, va.out_viommu_id, b.req, NENT);
	out[1] = (bench_now_ns() - t0) / n / NENT;
	t0 = bench_now_ns();
	for (unsigned i = 0; i < n; i++)
		viommu_inv(&b, va.out_viommu_id, b.req + 16ull * NENT, NENT);
	out[2] = (bench_now_ns() - t0) / n / NENT;
	sim_world_destroy(b.w);
}

int main(int argc, char **argv)
{
	unsigned runs = argc > 1 ? (unsigned)atoi(argv[1]) : 7;
	unsigned reps = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
	double one[MAX_RUNS], many[MAX_RUNS], floor_[MAX_RUNS], rid[MAX_RUNS], pasids[MAX_RUNS];
	double rt_nested[MAX_RUNS], rt_paging[MAX_RUNS], v2020[MAX_RUNS];
	double vi_one[MAX_RUNS], vi_tlbi[MAX_RUNS], vi_cfgi[MAX_RUNS];
	struct bench b;
	unsigned page = 0;

	if (runs < 1 || runs > MAX_RUNS || !reps)
		die("usage: bench_nesting [runs (1..31) [reps]]", -EINVAL);
	setup(&b);
	put_requests(&b, NENT);
	/* per entry and per call: the nested HWPT on the device's RID */
	attach(&b, b.s1, false, 0);
	for (unsigned r = 0; r < runs; r++) {
		one[r] = time_calls(&b, b.s1, 1, reps);
		many[r] = time_calls(&b, b.s1, NENT, reps / 8 ? reps / 8 : 1) / NENT;
		floor_[r] = time_option(&b, reps);
		rid[r] = one[r];
	}
	/* per PASID: the PASID-capable nested HWPT at 64 PASIDs */
	for (uint32_t p = 1; p <= NPASID; p++)
		attach(&b, b.s1_pasid, true, p);
	for (unsigned r = 0; r < runs; r++)
		pasids[r] = time_calls(&b, b.s1_pasid, 1, reps / 8 ? reps / 8 : 1);
	/* fault round trips: a nested HWPT with the queue on the RID ... */
	{
		uint32_t s1f = hwpt_alloc(&b, b.s2, IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
					  true, b.fq);
		uint32_t pf = hwpt_alloc(&b, b.ioas, IOMMU_HWPT_FAULT_ID_VALID |
					 IOMMU_HWPT_ALLOC_PASID, false, b.fq);
		unsigned n = reps / 10 ? reps / 10 : 1;

		for (unsigned r = 0; r < runs; r++) {
			double t0;

			/* the guest table's last 256 PTEs start empty each run,
			 * and the guest says so */
			attach(&b, s1f, false, 0);
			sim_copy_to_user(b.p, b.gmem + 0x4000 + 8 * 256, &(uint8_t[2048]){ 0 }, 2048);
			invalidate_all(&b, s1f);
			t0 = bench_now_ns();
			for (unsigned i = 0; i < n && i < 256; i++)
				round_trip(&b, true, 256 + i);
			rt_nested[r] = (bench_now_ns() - t0) / (n < 256 ? n : 256);
			/* ... and a paging HWPT with the queue: the VMM maps */
			attach(&b, pf, false, 0);
			t0 = bench_now_ns();
			for (unsigned i = 0; i < n && i < 256; i++)
				round_trip(&b, false, page++);
			rt_paging[r] = (bench_now_ns() - t0) / (n < 256 ? n : 256);
		}
	}
	for (unsigned r = 0; r < runs; r++) {
		double v[3];

		v2020[r] = time_2020(reps);
		time_viommu(reps, v);
		vi_one[r] = v[0];
		vi_tlbi[r] = v[1];
		vi_cfgi[r] = v[2];
	}
	printf("bench_nesting: %u runs, %u calls each (median), VT-d, guest table of %u pages\n",
	       runs, reps, NENT);
	printf("  HWPT_INVALIDATE, 1 entry        %9.1f ns/call\n", bench_median(one, runs));
	printf("  HWPT_INVALIDATE, %u entries     %9.1f ns/entry  (%.2fx the one-entry call)\n",
	       NENT, bench_median(many, runs), bench_median(many, runs) / bench_median(one, runs));
	printf("  IOMMU_OPTION GET (the floor)    %9.1f ns/call\n", bench_median(floor_, runs));
	printf("  1 entry on %u PASIDs            %9.1f ns/call, %.1f ns/PASID  (RID alone %.1f)\n",
	       NPASID, bench_median(pasids, runs), bench_median(pasids, runs) / NPASID,
	       bench_median(rid, runs));
	printf("  fault round trip, nested HWPT   %9.1f ns\n", bench_median(rt_nested, runs));
	printf("  fault round trip, paging HWPT   %9.1f ns  (nested %.2fx)\n",
	       bench_median(rt_paging, runs),
	       bench_median(rt_nested, runs) / bench_median(rt_paging, runs));
	printf("  2020 CACHE_INVALIDATE, 1 page   %9.1f ns/call\n", bench_median(v2020, runs));
	printf("  SMMUv3 vIOMMU, 1 TLBI_NH_VA     %9.1f ns/call\n", bench_median(vi_one, runs));
	printf("  SMMUv3 vIOMMU, %u TLBI_NH_VA    %9.1f ns/command  (%.2fx the one-command call)\n",
	       NENT, bench_median(vi_tlbi, runs), bench_median(vi_tlbi, runs) / bench_median(vi_one, runs));
	printf("  SMMUv3 vIOMMU, %u CFGI_CD       %9.1f ns/command\n", NENT,
	       bench_median(vi_cfgi, runs));
	sim_world_destroy(b.w);
	return b.sink == 42 ? 1 : 0;
}
