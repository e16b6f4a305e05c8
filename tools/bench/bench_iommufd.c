/* SPDX-License-Identifier: MIT */
/*
 * bench_iommufd: iommufd's IOAS_MAP and IOAS_UNMAP beside VFIO type1's
 * MAP_DMA and UNMAP_DMA of the same buffer in the same world (two devices
 * in two groups: 01:00.0 in a type1 container, 02:00.0 bound to an iommufd
 * context and attached to an IOAS, each through a real VT-d domain), for a
 * 4 KiB and a 1 GiB buffer (1 GiB huge pages, so both build 1 GiB leaves);
 * IOAS_COPY of the 1 GiB mapping into a second IOAS with its own domain
 * (the pins are shared: the copy maps, it does not pin) and into one with
 * no domain (the copy only makes areas); and object churn: IOAS_ALLOC +
 * DESTROY and HWPT_ALLOC + DESTROY per second.
 *
 * The buffer is touched once before anything is timed, so no path pays
 * for the frames.  Prints ms (median of the runs, each map/unmap pair on
 * the same world) and the ratios iommufd / type1.  Figures only, never pass
 * or fail.
 *
 * Usage: bench_iommufd [runs [churn]]   (default 5 runs, 20000 objects)
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
#include "tools/bench/bench_common.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommufd/iommufd.h"
#include "tools/scenario/scenario.h"

#define IOVA     0x40000000ull
#define COPY_AT  0x80000000ull
#define GIB      (1ull << 30)
#define MAX_RUNS 31

static const char *const WORLD_YAML =
	"name: bench-iommufd\n"
	"profile: {memory_budget: 8G}\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", driver: vfio-pci}\n"
	"  - {bdf: \"0000:00:02.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:00:02.0\"}\n"
	"  - {bdf: \"0000:00:03.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:03:00.0\", type: endpoint, parent: \"0000:00:03.0\"}\n"
	"processes:\n"
	"  - {name: qemu, uid: 0, rlimit_memlock: unlimited}\n";

struct bench {
	struct sim_world *w;
	int pid, cfd, ifd;
	uint64_t arg, buf4k, buf1g;
	uint32_t ioas, ioas2, ioas3;
	struct iommufd_device *dev_b, *dev_c;
	uint32_t dev_b_id, dev_c_id;
};

static void die(const char *what, long ret)
{
	fprintf(stderr, "bench_iommufd: %s: %ld\n", what, ret);
	exit(1);
}

static double now_ms(void)
{
	return bench_now_ns() / 1e6;
}

static long io(struct bench *b, int fd, unsigned long cmd, void *st, size_t len)
{
	struct sim_proc *p = sim_proc_find(b->w, b->pid);
	long ret;

	if (sim_copy_to_user(p, b->arg, st, len))
		die("copy_to_user", -EFAULT);
	ret = sim_sys_ioctl_ul(b->w, b->pid, fd, cmd, b->arg);
	sim_copy_from_user(p, st, b->arg, len);
	return ret;
}

static struct pci_dev *dev(struct bench *b, const char *bdf)
{
	uint32_t sbdf;

	if (pci_sbdf_parse(bdf, &sbdf))
		die("bdf", -EINVAL);
	return pci_dev_find(b->w, sbdf);
}

static uint32_t ioas_alloc(struct bench *b)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	long ret = io(b, b->ifd, IOMMU_IOAS_ALLOC, &a, sizeof(a));

	if (ret)
		die("IOAS_ALLOC", ret);
	return a.out_ioas_id;
}

static void attach(struct bench *b, const char *bdf, uint32_t ioas, struct iommufd_device **d,
		   uint32_t *id)
{
	struct iommufd_ctx *ictx = iommufd_ctx_from_file(sim_fd_get(sim_proc_find(b->w, b->pid),
								    b->ifd));
	uint32_t pt = ioas;
	long ret;

	if ((ret = iommufd_device_bind(ictx, dev(b, bdf), false, d, id)))
		die("bind", ret);
	if ((ret = iommufd_device_attach(*d, &pt)))
		die("attach", ret);
}

static void bench_init(struct bench *b)
{
	char *err = NULL, path[32];
	struct scenario *s = scenario_load_string(WORLD_YAML, strlen(WORLD_YAML), "<bench>", &err);
	struct sim_proc *p;
	uint8_t zero[4096] = { 0 };
	int gfd;
	long ret;

	memset(b, 0, sizeof(*b));
	if (!s || !(b->w = scenario_build_world(s, 1, &err)))
		die(err ? err : "world", -EINVAL);
	scenario_free(s);
	b->pid = 2;
	p = sim_proc_find(b->w, b->pid);
	if ((ret = sim_mm_map(p->mm, SIM_PAGE_SIZE, SIM_PROT_READ | SIM_PROT_WRITE, "arg",
			      &b->arg)) ||
	    (ret = sim_mm_map(p->mm, SIM_PAGE_SIZE, SIM_PROT_READ | SIM_PROT_WRITE, "buf4k",
			      &b->buf4k)) ||
	    (ret = sim_mm_map_huge(p->mm, GIB, SIM_PROT_READ | SIM_PROT_WRITE, "buf1g",
				   SIM_MM_HUGE_1G, &b->buf1g)))
		die("alloc", ret);
	/* every frame made before anything is timed */
	sim_copy_to_user(p, b->buf4k, zero, sizeof(zero));
	sim_copy_to_user(p, b->buf1g, zero, sizeof(zero));
	/* type1: 01:00.0 */
	if ((b->cfd = (int)sim_sys_open(b->w, b->pid, "/dev/vfio/vfio", O_RDWR)) < 0)
		die("open container", b->cfd);
	snprintf(path, sizeof(path), "/dev/vfio/%d", sim_pci_iommu_group(b->w, "0000:01:00.0"));
	if ((gfd = (int)sim_sys_open(b->w, b->pid, path, O_RDWR)) < 0)
		die("open group", gfd);
	if ((ret = io(b, gfd, VFIO_GROUP_SET_CONTAINER, &b->cfd, sizeof(b->cfd))))
		die("SET_CONTAINER", ret);
	if ((ret = sim_sys_ioctl_ul(b->w, b->pid, b->cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)))
		die("SET_IOMMU", ret);
	/* iommufd: 02:00.0 on IOAS 1, 03:00.0 on IOAS 2, IOAS 3 without */
	if ((b->ifd = (int)sim_sys_open(b->w, b->pid, "/dev/iommu", O_RDWR)) < 0)
		die("open /dev/iommu", b->ifd);
	b->ioas = ioas_alloc(b);
	b->ioas2 = ioas_alloc(b);
	b->ioas3 = ioas_alloc(b);
	attach(b, "0000:02:00.0", b->ioas, &b->dev_b, &b->dev_b_id);
	attach(b, "0000:03:00.0", b->ioas2, &b->dev_c, &b->dev_c_id);
}

static double time_type1(struct bench *b, uint64_t va, uint64_t size, double *unmap_ms)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = va, .iova = IOVA, .size = size,
	};
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = IOVA, .size = size };
	double t0 = now_ms(), t;
	long ret = io(b, b->cfd, VFIO_IOMMU_MAP_DMA, &m, sizeof(m));

	t = now_ms() - t0;
	if (ret)
		die("MAP_DMA", ret);
	t0 = now_ms();
	if ((ret = io(b, b->cfd, VFIO_IOMMU_UNMAP_DMA, &u, sizeof(u))) || u.size != size)
		die("UNMAP_DMA", ret);
	*unmap_ms = now_ms() - t0;
	return t;
}

static long ioas_map(struct bench *b, uint32_t ioas, uint64_t va, uint64_t iova, uint64_t size)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = va, .length = size, .iova = iova,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};

	return io(b, b->ifd, IOMMU_IOAS_MAP, &m, sizeof(m));
}

static long ioas_unmap(struct bench *b, uint32_t ioas, uint64_t iova, uint64_t size)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = size };

	return io(b, b->ifd, IOMMU_IOAS_UNMAP, &u, sizeof(u));
}

static double time_iommufd(struct bench *b, uint64_t va, uint64_t size, double *unmap_ms)
{
	double t0 = now_ms(), t;
	long ret = ioas_map(b, b->ioas, va, IOVA, size);

	t = now_ms() - t0;
	if (ret)
		die("IOAS_MAP", ret);
	t0 = now_ms();
	if ((ret = ioas_unmap(b, b->ioas, IOVA, size)))
		die("IOAS_UNMAP", ret);
	*unmap_ms = now_ms() - t0;
	return t;
}

/* IOAS_COPY of IOVA..+size of IOAS 1 into @dst at COPY_AT, then its unmap. */
static double time_copy(struct bench *b, uint32_t dst, uint64_t size)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .dst_ioas_id = dst, .src_ioas_id = b->ioas, .length = size,
		.src_iova = IOVA, .dst_iova = COPY_AT,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};
	double t0 = now_ms(), t;
	long ret = io(b, b->ifd, IOMMU_IOAS_COPY, &c, sizeof(c));

	t = now_ms() - t0;
	if (ret)
		die("IOAS_COPY", ret);
	if ((ret = ioas_unmap(b, dst, COPY_AT, size)))
		die("unmap copy", ret);
	return t;
}

static double churn_ioas(struct bench *b, unsigned n)
{
	double t0 = now_ms();

	for (unsigned i = 0; i < n; i++) {
		struct iommu_destroy d = { .size = sizeof(d), .id = ioas_alloc(b) };
		long ret = io(b, b->ifd, IOMMU_DESTROY, &d, sizeof(d));

		if (ret)
			die("DESTROY", ret);
	}
	return (now_ms() - t0) / 1e3;
}

static double churn_hwpt(struct bench *b, unsigned n)
{
	double t0 = now_ms();

	for (unsigned i = 0; i < n; i++) {
		struct iommu_hwpt_alloc h = { .size = sizeof(h), .dev_id = b->dev_b_id,
					      .pt_id = b->ioas3 };
		struct iommu_destroy d = { .size = sizeof(d) };
		long ret = io(b, b->ifd, IOMMU_HWPT_ALLOC, &h, sizeof(h));

		if (ret)
			die("HWPT_ALLOC", ret);
		d.id = h.out_hwpt_id;
		if ((ret = io(b, b->ifd, IOMMU_DESTROY, &d, sizeof(d))))
			die("DESTROY", ret);
	}
	return (now_ms() - t0) / 1e3;
}

int main(int argc, char **argv)
{
	unsigned runs = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
	unsigned churn = argc > 2 ? (unsigned)atoi(argv[2]) : 20000;
	double t1m[2][MAX_RUNS], t1u[2][MAX_RUNS], fdm[2][MAX_RUNS], fdu[2][MAX_RUNS];
	double cp_dom[MAX_RUNS], cp_none[MAX_RUNS], first_map[MAX_RUNS];
	struct bench b;
	double ioas_s, hwpt_s;

	if (runs < 1 || runs > MAX_RUNS || churn < 1) {
		fprintf(stderr, "usage: bench_iommufd [runs (1..%d) [churn]]\n", MAX_RUNS);
		return 2;
	}
	bench_init(&b);
	for (unsigned r = 0; r < runs; r++) {
		uint64_t va[2] = { b.buf4k, b.buf1g }, size[2] = { SIM_PAGE_SIZE, GIB };

		for (int k = 0; k < 2; k++) {
			t1m[k][r] = time_type1(&b, va[k], size[k], &t1u[k][r]);
			fdm[k][r] = time_iommufd(&b, va[k], size[k], &fdu[k][r]);
		}
		/* the source mapping stays for the copies */
		{
			double t0 = now_ms();
			long ret = ioas_map(&b, b.ioas, b.buf1g, IOVA, GIB);

			first_map[r] = now_ms() - t0;
			if (ret)
				die("IOAS_MAP 1G", ret);
		}
		cp_dom[r] = time_copy(&b, b.ioas2, GIB);
		cp_none[r] = time_copy(&b, b.ioas3, GIB);
		if (ioas_unmap(&b, b.ioas, IOVA, GIB))
			die("unmap source", -1);
	}
	ioas_s = churn_ioas(&b, churn);
	hwpt_s = churn_hwpt(&b, churn);
	printf("bench_iommufd: %u runs, medians; VT-d second stage, one device per path\n", runs);
	printf("  %-28s %12s %12s\n", "", "map", "unmap");
	for (int k = 0; k < 2; k++) {
		double a = bench_median(t1m[k], runs), au = bench_median(t1u[k], runs);
		double c = bench_median(fdm[k], runs), cu = bench_median(fdu[k], runs);
		const char *what = k ? "1 GiB (1G pages)" : "4 KiB";

		printf("  type1 MAP_DMA %-14s %9.3f ms %9.3f ms\n", what, a, au);
		printf("  iommufd IOAS_MAP %-11s %9.3f ms %9.3f ms   (x%.2f, x%.2f of type1)\n", what,
		       c, cu, a > 0 ? c / a : 0, au > 0 ? cu / au : 0);
	}
	{
		double m = bench_median(first_map, runs), cd = bench_median(cp_dom, runs);
		double cn = bench_median(cp_none, runs);

		printf("  IOAS_COPY 1 GiB to an IOAS with a domain %9.3f ms   (x%.2f of its IOAS_MAP, "
		       "pins shared)\n", cd, m > 0 ? cd / m : 0);
		printf("  IOAS_COPY 1 GiB to an IOAS without one   %9.3f ms   (x%.4f of its IOAS_MAP)\n",
		       cn, m > 0 ? cn / m : 0);
	}
	printf("  IOAS_ALLOC + DESTROY   %10.0f /s\n", churn / ioas_s);
	printf("  HWPT_ALLOC + DESTROY   %10.0f /s   (a real domain each, on an empty IOAS)\n",
	       churn / hwpt_s);
	iommufd_device_detach(b.dev_b);
	iommufd_device_unbind(b.dev_b);
	iommufd_device_detach(b.dev_c);
	iommufd_device_unbind(b.dev_c);
	sim_world_destroy(b.w);
	return 0;
}
