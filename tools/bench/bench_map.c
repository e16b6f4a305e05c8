/* SPDX-License-Identifier: MIT */
/*
 * bench_map: the first VFIO_IOMMU_MAP_DMA of a big buffer, and its
 * VFIO_IOMMU_UNMAP_DMA, through the library as a program drives it (type1
 * v2, one vfio-pci device, the world a scenario file describes).  Per case:
 *
 *   scenario 4K     a scenario process's buffer, never touched: every page
 *                   gets its frame as it is pinned
 *   scenario 2M     the same backed by 2 MiB huge pages (alloc's
 *                   `hugepages: 2M`)
 *   scenario 1G     by 1 GiB huge pages
 *   native          a native process (SIM_PROC_NATIVE) mapping memory it
 *                   mmap'ed and wrote (so the kernel's own page faults are
 *                   not what is measured)
 *   native THP      the same with its memory THP-backed for the simulator
 *                   (sim_proc_set_thp), the buffer 2 MiB-aligned: 2 MiB
 *                   leaves (the real kernel's backing stays 4 KiB pages,
 *                   MADV_NOHUGEPAGE, so only the simulator differs)
 *
 * each beside the per-page baseline: the same pages pinned one
 * sim_mm_pin call at a time and mapped run by run into the same domain,
 * which is what type1 did before it pinned ranges (for a native process,
 * two process_vm_readv/writev calls per page).  Prints ms (median of a
 * few runs, a fresh world each) and the leaves the page table got, by
 * size.  Figures only, never pass or fail.
 *
 * Usage: bench_map [size_mib [runs [case]]]   (default 1024 MiB, 3 runs;
 *        case: 4K, 2M, 1G, native or native-thp for that buffer alone,
 *        its MAP_DMA only: what a profiler wants to see)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/vfio.h>

#include "iommusim/iommusim.h"
#include "tools/bench/bench_common.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "tools/scenario/scenario.h"

#define IOVA    0x40000000ull        /* 1 GiB-aligned: the largest leaves fit */
#define MAX_RUNS 15

/* One device alone in its group, a process allowed to lock anything, and
 * room in the memory budget for a 1 GiB buffer beside its page tables. */
static const char *const WORLD_YAML =
	"name: bench-map\n"
	"profile: {memory_budget: 8G}\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", driver: vfio-pci}\n"
	"processes:\n"
	"  - {name: qemu, uid: 0, rlimit_memlock: unlimited}\n";

enum kind { K_4K, K_2M, K_1G, K_NATIVE, K_NATIVE_THP, NKINDS };

static const char *const kind_names[NKINDS] = {
	[K_4K] = "scenario 4K", [K_2M] = "scenario 2M", [K_1G] = "scenario 1G",
	[K_NATIVE] = "native", [K_NATIVE_THP] = "native THP",
};

/* The case argument that picks each. */
static const char *const case_names[NKINDS] = {
	[K_4K] = "4K", [K_2M] = "2M", [K_1G] = "1G", [K_NATIVE] = "native",
	[K_NATIVE_THP] = "native-thp",
};

struct bench {
	struct sim_world *w;
	int pid, cfd, gfd;
	uint64_t arg;                /* a user page for ioctl arguments (scenario) */
	uint64_t va;                 /* the buffer */
	uint8_t *native;             /* its memory (native): the mapping */
	uint64_t native_len;
	uint64_t size;
	struct iommu_domain *d;
};

struct figures {
	double map_ms, unmap_ms;
	uint64_t leaves[3];          /* 4K, 2M, 1G */
};

static void die(const char *what, long ret)
{
	fprintf(stderr, "bench_map: %s: %ld\n", what, ret);
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* An ioctl whose argument struct lives in the caller's memory: a native
 * process's is ours; a scenario process's is copied to its argument page
 * and back. */
static long ioctl_arg(struct bench *b, int fd, unsigned long cmd, void *st, size_t len)
{
	long ret;

	if (!b->arg)
		return sim_sys_ioctl(b->w, b->pid, fd, cmd, st);
	if (sim_copy_to_user(sim_proc_find(b->w, b->pid), b->arg, st, len))
		die("copy_to_user", -EFAULT);
	ret = sim_sys_ioctl_ul(b->w, b->pid, fd, cmd, b->arg);
	sim_copy_from_user(sim_proc_find(b->w, b->pid), st, b->arg, len);
	return ret;
}

/* A fresh world with the container set up and the buffer in place. */
static void bench_init(struct bench *b, enum kind k, uint64_t size)
{
	static const unsigned huge[NKINDS] = { [K_2M] = SIM_MM_HUGE_2M, [K_1G] = SIM_MM_HUGE_1G };
	char *err = NULL, path[32];
	int group;
	struct scenario *s = scenario_load_string(WORLD_YAML, strlen(WORLD_YAML), "<bench>", &err);
	struct sim_proc *p;
	long ret;

	memset(b, 0, sizeof(*b));
	b->size = size;
	if (!s || !(b->w = scenario_build_world(s, 1, &err)))
		die(err ? err : "world", -EINVAL);
	scenario_free(s);
	if (k == K_NATIVE || k == K_NATIVE_THP) {
		/* room to start the buffer at a 2 MiB boundary (the same for
		 * both, so that they differ only in the simulator's backing) */
		uint64_t align = 2ull << 20;

		b->pid = sim_proc_spawn(b->w, 0, 0, SIM_PROC_NATIVE);
		if (b->pid < 0)
			die("spawn", b->pid);
		if (k == K_NATIVE_THP && (ret = sim_proc_set_thp(b->w, b->pid, 1)))
			die("set_thp", ret);
		b->native_len = size + align;
		b->native = mmap(NULL, b->native_len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b->native == MAP_FAILED)
			die("mmap", -errno);
		madvise(b->native, b->native_len, MADV_NOHUGEPAGE);
		b->va = ((uint64_t)(uintptr_t)b->native + align - 1) & ~(align - 1);
		memset((void *)(uintptr_t)b->va, 0x5a, size);
	} else {
		b->pid = 2;                  /* qemu */
		p = sim_proc_find(b->w, b->pid);
		if (!p)
			die("no process qemu", -ESRCH);
		if ((ret = sim_mm_map(p->mm, SIM_PAGE_SIZE, SIM_PROT_READ | SIM_PROT_WRITE,
				      "arg", &b->arg)) ||
		    (ret = sim_mm_map_huge(p->mm, size, SIM_PROT_READ | SIM_PROT_WRITE, "buf",
					   huge[k], &b->va)))
			die("alloc", ret);
	}
	if ((b->cfd = (int)sim_sys_open(b->w, b->pid, "/dev/vfio/vfio", O_RDWR)) < 0)
		die("open container", b->cfd);
	group = sim_pci_iommu_group(b->w, "0000:01:00.0");
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	if ((b->gfd = (int)sim_sys_open(b->w, b->pid, path, O_RDWR)) < 0)
		die("open group", b->gfd);
	if ((ret = ioctl_arg(b, b->gfd, VFIO_GROUP_SET_CONTAINER, &b->cfd, sizeof(b->cfd))))
		die("SET_CONTAINER", ret);
	if ((ret = sim_sys_ioctl_ul(b->w, b->pid, b->cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)))
		die("SET_IOMMU", ret);
	b->d = iommu_group_domain(iommu_group_by_id(b->w, (unsigned)group));
	if (!b->d)
		die("no domain", -ENODEV);
}

static void bench_fini(struct bench *b)
{
	sim_world_destroy(b->w);
	if (b->native)
		munmap(b->native, b->native_len);
}

/* The leaves over [IOVA, IOVA + size), by size. */
static void count_leaves(struct bench *b, uint64_t *leaves)
{
	for (uint64_t iova = IOVA; iova < IOVA + b->size; ) {
		struct io_pgtable_walk wk;

		if (io_pgtable_lookup(&b->d->pt, iova, &wk))
			die("hole in the mapping", (long)(iova - IOVA));
		leaves[wk.leaf_size == SZ_1G ? 2 : wk.leaf_size == SZ_2M ? 1 : 0]++;
		iova = (iova & ~(wk.leaf_size - 1)) + wk.leaf_size;
	}
}

/* VFIO_IOMMU_MAP_DMA and VFIO_IOMMU_UNMAP_DMA of the whole buffer. */
static void run_ioctl(struct bench *b, struct figures *f)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = b->va, .iova = IOVA, .size = b->size,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = IOVA, .size = b->size,
	};
	double t0 = now_ms();
	long ret = ioctl_arg(b, b->cfd, VFIO_IOMMU_MAP_DMA, &map, sizeof(map));

	f->map_ms = now_ms() - t0;
	if (ret)
		die("MAP_DMA", ret);
	count_leaves(b, f->leaves);
	t0 = now_ms();
	ret = ioctl_arg(b, b->cfd, VFIO_IOMMU_UNMAP_DMA, &unmap, sizeof(unmap));
	f->unmap_ms = now_ms() - t0;
	if (ret || unmap.size != b->size)
		die("UNMAP_DMA", ret);
}

/* The per-page baseline: a sim_mm_pin per page, each physically
 * contiguous run mapped as it ends, then everything unmapped and unpinned
 * page by page (what type1 did before it pinned ranges). */
static void run_per_page(struct bench *b, struct figures *f)
{
	struct sim_mm *mm = sim_proc_find(b->w, b->pid)->mm;
	uint64_t n = b->size / SIM_PAGE_SIZE, run = 0;
	uint64_t *hpas = malloc(n * sizeof(*hpas));
	double t0 = now_ms();
	long ret;

	for (uint64_t i = 0; i < n; i++) {
		if ((ret = sim_mm_pin(mm, b->va + i * SIM_PAGE_SIZE, true, &hpas[i])))
			die("pin", ret);
		if (i > run && hpas[i] != hpas[i - 1] + SIM_PAGE_SIZE) {
			if ((ret = iommu_map(b->d, IOVA + run * SIM_PAGE_SIZE, hpas[run],
					     (i - run) * SIM_PAGE_SIZE, IOMMU_READ | IOMMU_WRITE)))
				die("map", ret);
			run = i;
		}
	}
	if ((ret = iommu_map(b->d, IOVA + run * SIM_PAGE_SIZE, hpas[run],
			     (n - run) * SIM_PAGE_SIZE, IOMMU_READ | IOMMU_WRITE)))
		die("map", ret);
	f->map_ms = now_ms() - t0;
	count_leaves(b, f->leaves);
	t0 = now_ms();
	iommu_unmap(b->d, IOVA, b->size);
	for (uint64_t i = 0; i < n; i++)
		sim_mm_unpin_page(mm, hpas[i]);
	f->unmap_ms = now_ms() - t0;
	free(hpas);
}

static void measure(enum kind k, bool per_page, uint64_t size, unsigned runs)
{
	double map[MAX_RUNS], unmap[MAX_RUNS];
	struct figures f;

	for (unsigned r = 0; r < runs; r++) {
		struct bench b;

		memset(&f, 0, sizeof(f));
		bench_init(&b, k, size);
		(per_page ? run_per_page : run_ioctl)(&b, &f);
		map[r] = f.map_ms;
		unmap[r] = f.unmap_ms;
		bench_fini(&b);
	}
	qsort(map, runs, sizeof(double), bench_cmp_double);
	qsort(unmap, runs, sizeof(double), bench_cmp_double);
	printf("  %-12s %-16s %9.2f ms %9.2f ms   %8llu %6llu %4llu\n", kind_names[k],
	       per_page ? "per-page pins" : "MAP_DMA", map[runs / 2], unmap[runs / 2],
	       (unsigned long long)f.leaves[0], (unsigned long long)f.leaves[1],
	       (unsigned long long)f.leaves[2]);
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 1024;
	unsigned runs = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 3;
	const char *only = argc > 3 ? argv[3] : NULL;

	if (!mib || mib > 4096 || !runs || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bench_map [size_mib (1..4096) [runs (1..%d)]]\n",
			MAX_RUNS);
		return 2;
	}
	printf("bench_map: first map of a %llu MiB buffer at IOVA 0x%llx (type1 v2, vtd), "
	       "median of %u\n", (unsigned long long)mib, (unsigned long long)IOVA, runs);
	printf("  %-12s %-16s %12s %12s   %8s %6s %4s\n", "buffer", "path", "map", "unmap",
	       "4K", "2M", "1G");
	for (enum kind k = 0; k < NKINDS; k++) {
		/* 2M / 1G: the buffer's size in whole huge pages only */
		if ((k == K_2M && mib % 2) || (k == K_1G && mib % 1024))
			continue;
		if (only && strcmp(only, case_names[k]))
			continue;
		measure(k, false, mib << 20, runs);
		if (!only)
			measure(k, true, mib << 20, runs);
	}
	return 0;
}
