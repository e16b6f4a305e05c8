/* SPDX-License-Identifier: MIT */
/*
 * bench_dma: what the PCI side adds to a device DMA.  A 4-byte read of a
 * mapped page (an IOTLB hit after the first) issued three ways, each
 * measured in the same run:
 *
 *   sim_dev_dma     by name: the BDF parsed and looked up on every DMA
 *   sim_dev_dma_h   through a handle from sim_dev_lookup
 *   translation     iommu_hw_translate of the same address alone, the
 *                   IOMMU's share, so "DMA over translation" is the PCI
 *                   layer's (requester id, fault fields, trace check) plus
 *                   the 4-byte copy into host memory
 *
 * for a function behind a PCIe-to-PCI bridge (06:0d.0, seen as 06:00.0)
 * and one on the root bus (00:03.0), with the stale-translation checker off
 * (the model's default) and on (what a scenario or library world runs).
 * Prints ns per operation (median of a few timed runs) and, when valgrind
 * is installed, instructions per operation counted by callgrind over a
 * small repetition count (the loop alone: --toggle-collect).  Figures only,
 * never pass or fail.
 *
 * Usage: bench_dma [scale]   (scale multiplies the timed repetitions)
 *        bench_dma --count PATH DEV CHECK REPS   (one loop, for callgrind)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/bench/bench_common.h"
#include "sim/mem.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/hw.h"
#include "model/iommu/pgtable.h"

#define IOVA      0x100000ull        /* the mapped page every DMA reads */
#define DMA_OFF   0x40               /* the 4 bytes within it */
#define SAMPLES   11                 /* timed runs per figure, median taken */
#define REPS      100000u            /* DMAs per timed run (times scale) */
#define CG_REPS   2000u              /* DMAs counted under callgrind */

static const struct bench_dev {
	const char *bdf;
	const char *where;
	uint16_t rid;                  /* the requester id the IOMMU sees */
} devs[] = {
	{ "0000:06:0d.0", "behind a PCIe-to-PCI bridge", PCI_RID(6, 0) },
	{ "0000:00:03.0", "on the root bus", PCI_RID(0, PCI_DEVFN(3, 0)) },
};
#define NDEVS (sizeof(devs) / sizeof(devs[0]))

enum path { PATH_XLATE, PATH_NAME, PATH_HANDLE, NPATHS };

static const char *const path_names[NPATHS] = {
	[PATH_XLATE] = "iommu_hw_translate alone",
	[PATH_NAME] = "sim_dev_dma (by name)",
	[PATH_HANDLE] = "sim_dev_dma_h (handle)",
};

/* The function callgrind counts for each path (--toggle-collect). */
static const char *const path_loops[NPATHS] = {
	[PATH_XLATE] = "loop_xlate", [PATH_NAME] = "loop_by_name",
	[PATH_HANDLE] = "loop_by_handle",
};

struct bench {
	struct sim_world *w;
	struct io_pgtable pt;
	uint64_t frame;
	uint32_t sink;                 /* the bytes read, so no loop is dead */
};

static void die(const char *what, long ret)
{
	fprintf(stderr, "bench_dma: %s: %ld\n", what, ret);
	exit(1);
}

/*
 * A topology with both kinds of device, the IOMMU (default configuration,
 * the checker as asked), one 4 KiB page mapped at IOVA for domain 1 and
 * each device's requester id pointing at it.
 */
static void bench_init(struct bench *b, bool check)
{
	static const struct pci_dev_spec specs[] = {
		{ .sbdf = PCI_SBDF(0, 0, PCI_DEVFN(3, 0)), .type = PCI_TYPE_RC_ENDPOINT,
		  .acs_quirk = -1 },
		{ .sbdf = PCI_SBDF(0, 0, PCI_DEVFN(0x1e, 0)), .type = PCI_TYPE_PCIE_TO_PCI_BRIDGE,
		  .acs_quirk = -1 },
		{ .sbdf = PCI_SBDF(0, 6, PCI_DEVFN(0xd, 0)), .type = PCI_TYPE_PCI_DEVICE,
		  .acs_quirk = -1, .has_parent = true, .parent = PCI_SBDF(0, 0, PCI_DEVFN(0x1e, 0)) },
	};
	struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE, .did = 1, .s2_levels = 4 };
	struct iommu_hw_config cfg;
	struct pci_build_error err = { 0 };
	long ret;

	memset(b, 0, sizeof(*b));
	b->w = sim_world_create(1);
	if ((ret = pci_topology_create(b->w, specs, sizeof(specs) / sizeof(specs[0]), &err)))
		die(err.msg, ret);
	iommu_hw_config_default(&cfg);
	cfg.check = check;
	if ((ret = iommu_hw_create(b->w, &cfg)))
		die("iommu", ret);
	if ((ret = io_pgtable_init(&b->pt, b->w, &io_pgtable_vtd_ss, 4)))
		die("page table", ret);
	if ((ret = sim_mem_frame_alloc(b->w, SIM_FRAME_USER, &b->frame)))
		die("frame", ret);
	if ((ret = io_pgtable_map(&b->pt, IOVA, b->frame, SZ_4K, IOMMU_READ | IOMMU_WRITE)))
		die("map", ret);
	if ((ret = sim_mem_write(b->w, b->frame + DMA_OFF, "dma!", 4)))
		die("fill", ret);
	c.s2_root = b->pt.root;
	for (size_t i = 0; i < NDEVS; i++) {
		uint32_t sbdf;

		if (pci_sbdf_parse(devs[i].bdf, &sbdf) ||
		    pci_dma_requester_id(pci_dev_find(b->w, sbdf)) != devs[i].rid)
			die("requester id of the bench device", (long)i);
		if ((ret = iommu_hw_set_context(b->w, 0, devs[i].rid, &c)))
			die("context", ret);
	}
}

static void bench_fini(struct bench *b)
{
	io_pgtable_destroy(&b->pt);
	sim_mem_frame_put(b->w, b->frame);
	sim_world_destroy(b->w);
}

/*
 * The three loops, not inlined so callgrind can count exactly one of them
 * and nothing of the set-up (--toggle-collect=NAME).  Each checks every
 * result: a faulting DMA would measure another path.
 */
static __attribute__((noinline, noclone)) void
loop_xlate(struct bench *b, const struct bench_dev *d, unsigned reps)
{
	struct iommu_xlate x;

	for (unsigned i = 0; i < reps; i++) {
		if (iommu_hw_translate(b->w, 0, d->rid, false, 0, IOVA + DMA_OFF, false, &x))
			die("translate", (long)i);
		b->sink += (uint32_t)x.hpa;
	}
}

static __attribute__((noinline, noclone)) void
loop_by_name(struct bench *b, const struct bench_dev *d, unsigned reps)
{
	uint32_t v = 0;
	struct sim_dma op = { .addr = IOVA + DMA_OFF, .buf = &v, .len = 4 };
	int ret;

	for (unsigned i = 0; i < reps; i++) {
		if ((ret = sim_dev_dma(b->w, d->bdf, &op)))
			die("sim_dev_dma", ret);
		b->sink += v;
	}
}

static __attribute__((noinline, noclone)) void
loop_by_handle(struct bench *b, const struct bench_dev *d, unsigned reps)
{
	uint32_t v = 0;
	struct sim_dma op = { .addr = IOVA + DMA_OFF, .buf = &v, .len = 4 };
	struct sim_dev *dev = sim_dev_lookup(b->w, d->bdf);
	int ret;

	if (!dev)
		die("sim_dev_lookup", -ENODEV);
	for (unsigned i = 0; i < reps; i++) {
		if ((ret = sim_dev_dma_h(b->w, dev, &op)))
			die("sim_dev_dma_h", ret);
		b->sink += v;
	}
}

static void run_loop(struct bench *b, enum path p, const struct bench_dev *d, unsigned reps)
{
	switch (p) {
	case PATH_XLATE:
		loop_xlate(b, d, reps);
		break;
	case PATH_NAME:
		loop_by_name(b, d, reps);
		break;
	case PATH_HANDLE:
		loop_by_handle(b, d, reps);
		break;
	case NPATHS:
		break;
	}
}

/*
 * ns per operation of each path: the median of SAMPLES timed runs after a
 * warming one (which also fills the IOTLB: every timed DMA is a hit).  The
 * paths take turns within each sample, so a burst of load elsewhere on the
 * machine lands on all of them alike and the differences stay meaningful.
 */
static void time_paths(struct bench *b, const struct bench_dev *d, unsigned reps,
		       double ns[NPATHS])
{
	double v[NPATHS][SAMPLES];

	for (int p = 0; p < NPATHS; p++)
		run_loop(b, (enum path)p, d, 1000);
	for (unsigned s = 0; s < SAMPLES; s++)
		for (int p = 0; p < NPATHS; p++) {
			double t0 = bench_now_ns();

			run_loop(b, (enum path)p, d, reps);
			v[p][s] = (bench_now_ns() - t0) / reps;
		}
	for (int p = 0; p < NPATHS; p++) {
		qsort(v[p], SAMPLES, sizeof(v[p][0]), bench_cmp_double);
		ns[p] = v[p][SAMPLES / 2];
	}
}

/* ---- instruction counts: this program again, under callgrind ------------------------ */

/* Instructions per operation of one loop, or -1 when callgrind failed. */
static double count_path(const char *self, const char *dir, enum path p, size_t dev, bool check)
{
	char out[512], cmd[2048];
	double total;

	snprintf(out, sizeof(out), "%s/cg.out", dir);
	snprintf(cmd, sizeof(cmd), "valgrind --tool=callgrind --callgrind-out-file=%s "
		 "--toggle-collect='%s*' --collect-atstart=no '%s' --count %d %zu %d %u "
		 ">/dev/null 2>&1", out, path_loops[p], self, (int)p, dev, (int)check, CG_REPS);
	if (system(cmd) != 0)
		return -1;
	total = bench_callgrind_total(out);
	unlink(out);
	return total < 0 ? -1 : total / CG_REPS;
}

/*
 * --count PATH DEV CHECK REPS: the world, one warming DMA (called here, not
 * through a loop, so callgrind does not count its IOTLB miss), the loop.
 */
static int count_main(char **argv)
{
	enum path p = (enum path)atoi(argv[0]);
	size_t dev = (size_t)atoi(argv[1]);
	uint32_t v;
	struct sim_dma op = { .addr = IOVA + DMA_OFF, .buf = &v, .len = 4 };
	struct bench b;

	if ((unsigned)p >= NPATHS || dev >= NDEVS)
		return 2;
	bench_init(&b, atoi(argv[2]) != 0);
	if (sim_dev_dma(b.w, devs[dev].bdf, &op))
		die("warming DMA", -EFAULT);
	run_loop(&b, p, &devs[dev], (unsigned)strtoul(argv[3], NULL, 0));
	bench_fini(&b);
	return 0;
}

/* ---- the report -------------------------------------------------------------------- */

static void print_row(const char *what, double ns, double ins, double base_ns, double base_ins,
		      bool over)
{
	char ibuf[32] = "-";

	if (ins >= 0)
		snprintf(ibuf, sizeof(ibuf), "%.0f", ins);
	printf("    %-28s %9.1f ns %10s instr", what, ns, ibuf);
	if (over) {
		printf("   over translation: %+7.1f ns", ns - base_ns);
		if (ins >= 0 && base_ins >= 0)
			printf(" %+6.0f instr", ins - base_ins);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned scale = 1;
	char self[1024], dir[] = "/tmp/bench_dma.XXXXXX";
	bool counting;
	ssize_t n;

	if (argc == 6 && !strcmp(argv[1], "--count"))
		return count_main(argv + 2);
	if (argc > 1 && !(scale = (unsigned)strtoul(argv[1], NULL, 0)))
		scale = 1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	counting = n > 0 && bench_have_valgrind() && mkdtemp(dir);
	if (n > 0)
		self[n] = 0;
	printf("device DMA entry: 4-byte read of a mapped page (IOTLB hit), vtd, 4-level "
	       "stage-2 table; ns/op median of %u runs of %u, instr/op by callgrind over %u%s\n",
	       SAMPLES, REPS * scale, CG_REPS, counting ? "" : " (valgrind not found: -)");
	for (int check = 0; check < 2; check++) {
		struct bench b;

		printf("\n  stale-translation checker %s\n", check ? "on (scenario and library "
		       "worlds)" : "off (iommu_hw_config_default)");
		bench_init(&b, check);
		for (size_t i = 0; i < NDEVS; i++) {
			double ns[NPATHS], ins[NPATHS];

			printf("  %s %s (requester id %02x:%02x.%u)\n", devs[i].bdf + 5,
			       devs[i].where, devs[i].rid >> 8, PCI_SLOT(devs[i].rid & 0xff),
			       PCI_FUNC(devs[i].rid & 0xff));
			time_paths(&b, &devs[i], REPS * scale, ns);
			for (int p = 0; p < NPATHS; p++) {
				ins[p] = counting ? count_path(self, dir, (enum path)p, i, check) : -1;
				print_row(path_names[p], ns[p], ins[p], ns[PATH_XLATE],
					  ins[PATH_XLATE], p != PATH_XLATE);
			}
		}
		bench_fini(&b);
	}
	if (counting)
		rmdir(dir);
	return 0;
}
