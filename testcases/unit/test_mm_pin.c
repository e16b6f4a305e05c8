/* SPDX-License-Identifier: MIT */
/*
 * Range pinning (sim_mm_pin_range, sim_mm_pin_run) and huge-page-backed
 * buffers (sim_mm_map_huge, alloc's `hugepages:`).
 *
 * A range pin must be exactly what pinning page by page was: the twin-world
 * tests build two worlds with the same history (frames freed into holes,
 * pages touched before), pin one page by page and the other at once, and
 * compare everything either can show: the result, the HPAs, the frame
 * allocator's trace (every frame made and freed, in order), its counters,
 * the fault-site questions and the pin counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "tools/scenario/scenario.h"
#include <linux/vfio.h>
#include "unit_common.h"

#define PG SIM_PAGE_SIZE
#define HUGE_2M (2ull << 20)
#define NPAGES 96u

static struct sim_proc *spawn(struct sim_world *w, unsigned flags)
{
	struct sim_cred c = { .uid = 1000, .gid = 1000 };

	return sim_proc_find(w, sim_proc_create(w, 1, "p", &c, flags));
}

/* One world of a twin pair, its frame trace captured. */
struct twin {
	struct sim_world *w;
	struct sim_proc *p;
	uint64_t va;            /* NPAGES pages, read-write (scenario process) */
	char *trace;
	size_t trace_len;
	FILE *out;
	int ret;
	uint64_t hpas[NPAGES * 4];      /* room for the native tests' 300 pages */
};

/*
 * The same history in every twin: kernel frames with every third one
 * freed again (holes the lowest-free allocator fills first, so runs
 * break), pages 5, 6 and 40 of the buffer touched before, then the
 * buffer's VMA, and 16 frames of free room after it.
 */
static void twin_init(struct twin *t, unsigned flags)
{
	uint64_t k[30];

	memset(t, 0, sizeof(*t));
	t->w = sim_world_create(1);
	t->p = spawn(t->w, flags);
	for (unsigned i = 0; i < 30; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(t->w, SIM_FRAME_KERNEL, &k[i]), 0);
	for (unsigned i = 0; i < 30; i += 3)
		sim_mem_frame_put(t->w, k[i]);
	if (!(flags & SIM_PROC_FLAG_NATIVE)) {
		ck_assert_int_eq(sim_mm_map(t->p->mm, NPAGES * PG, SIM_PROT_READ | SIM_PROT_WRITE,
					    "buf", &t->va), 0);
		ck_assert_int_eq(sim_copy_to_user(t->p, t->va + 40 * PG, "x", 1), 0);
		ck_assert_int_eq(sim_copy_to_user(t->p, t->va + 5 * PG, "y", 1), 0);
		ck_assert_int_eq(sim_copy_to_user(t->p, t->va + 6 * PG, "z", 1), 0);
	}
	t->out = open_memstream(&t->trace, &t->trace_len);
	sim_trace_set_output(t->w, t->out, SIM_TRACE_TEXT);
	ck_assert_int_eq(sim_trace_enable(t->w, "sim_frame_*,sim_fault_inject,sim_mem_budget"), 0);
}

/* What n calls of sim_mm_pin did before ranges: stop at the first error,
 * unpin what was pinned, in order. */
static int pin_each(struct sim_mm *mm, uint64_t uva, uint64_t n, bool write, uint64_t *hpas)
{
	for (uint64_t i = 0; i < n; i++) {
		int ret = sim_mm_pin(mm, uva + i * PG, write, &hpas[i]);

		if (ret) {
			for (uint64_t j = 0; j < i; j++)
				sim_mm_unpin_page(mm, hpas[j]);
			return ret;
		}
	}
	return 0;
}

/*
 * Pinning that maps as it goes (type1): each physically contiguous run is
 * mapped when the page after it is found not to follow it, before any
 * later page is pinned; a map allocates page-table frames.  Page by page
 * (@runs false) or with sim_mm_pin_run; a frame of SIM_FRAME_PGTABLE per
 * run stands for the map's tables.
 */
static int pin_and_map(struct twin *t, uint64_t n, bool runs)
{
	uint64_t i = 0, run = 0, table;
	int err = 0;

	while (i < n && !err) {
		if (runs) {
			i += sim_mm_pin_run(t->p->mm, t->va + i * PG, n - i, true,
					    i ? t->hpas[i - 1] : 0, t->hpas + i, &err);
		} else {
			err = sim_mm_pin(t->p->mm, t->va + i * PG, true, &t->hpas[i]);
			i += !err;
		}
		if (!err && i - 1 > run && t->hpas[i - 1] != t->hpas[i - 2] + PG) {
			ck_assert_int_eq(sim_mem_frame_alloc(t->w, SIM_FRAME_PGTABLE, &table), 0);
			run = i - 1;
		}
	}
	return err;
}

/* Everything two twins can show is the same. */
static void twin_compare(struct twin *a, struct twin *b, uint64_t n)
{
	struct sim_mem_stats sa, sb;

	fflush(a->out);
	fflush(b->out);
	ck_assert_int_eq(a->ret, b->ret);
	if (!a->ret)
		for (uint64_t i = 0; i < n; i++)
			ck_assert_uint_eq(a->hpas[i], b->hpas[i]);
	ck_assert_str_eq(a->trace, b->trace);
	sim_mem_stats(a->w, &sa);
	sim_mem_stats(b->w, &sb);
	ck_assert_uint_eq(sa.frames_total, sb.frames_total);
	ck_assert_uint_eq(sa.allocs, sb.allocs);
	ck_assert_uint_eq(sa.frees, sb.frees);
	ck_assert_uint_eq(sa.budget_refusals, sb.budget_refusals);
	ck_assert_uint_eq(sim_trace_count(a->w), sim_trace_count(b->w));
	/* a native range asks the allocator's fault site once per batch of
	 * frames (sim_mem_frames_native_run), not once per frame */
	if (a->p->mm->native)
		ck_assert_uint_le(sim_fault_site_calls(b->w, "mem_frame_alloc"),
				  sim_fault_site_calls(a->w, "mem_frame_alloc"));
	else
		ck_assert_uint_eq(sim_fault_site_calls(a->w, "mem_frame_alloc"),
				  sim_fault_site_calls(b->w, "mem_frame_alloc"));
	ck_assert_uint_eq(sim_fault_injected(a->w), sim_fault_injected(b->w));
	ck_assert_uint_eq(a->p->mm->pinned, b->p->mm->pinned);
	if (a->p->mm->native)
		return;
	ck_assert_uint_eq(sim_mm_untouched(a->p->mm, a->va, NPAGES * PG),
			  sim_mm_untouched(b->p->mm, b->va, NPAGES * PG));
}

static void twin_fini(struct twin *t)
{
	sim_world_destroy(t->w);
	fclose(t->out);
	free(t->trace);
}

/* Pin [page @first, + n) of the buffer in both twins, one page by page. */
static void twin_pin(struct twin *a, struct twin *b, uint64_t first, uint64_t n, bool write)
{
	a->ret = pin_each(a->p->mm, a->va + first * PG, n, write, a->hpas);
	b->ret = sim_mm_pin_range(b->p->mm, b->va + first * PG, n, write, b->hpas);
	twin_compare(a, b, n);
}

START_TEST(test_range_equals_pages)
{
	struct twin a, b;

	/* the whole buffer: holes, touched pages, untouched runs */
	twin_init(&a, 0);
	twin_init(&b, 0);
	twin_pin(&a, &b, 0, NPAGES, true);
	ck_assert_int_eq(b.ret, 0);
	ck_assert_uint_eq(b.p->mm->pinned, NPAGES);
	ck_assert_uint_eq(sim_mm_untouched(b.p->mm, b.va, NPAGES * PG), 0);
	/* pinned again: the same frames, one more reference each */
	twin_pin(&a, &b, 0, NPAGES, false);
	ck_assert_uint_eq(b.p->mm->pinned, 2 * NPAGES);
	/* an unaligned start pins the pages holding uva, uva + 4K, ... */
	twin_pin(&a, &b, 0, 3, true);
	a.ret = pin_each(a.p->mm, a.va + 100, 3, true, a.hpas);
	b.ret = sim_mm_pin_range(b.p->mm, b.va + 100, 3, true, b.hpas);
	twin_compare(&a, &b, 3);
	/* the frames outlive the VMA while pinned */
	ck_assert_int_eq(sim_mm_unmap(b.p->mm, b.va), 0);
	ck_assert(sim_mem_present(b.w, b.hpas[0]));
	twin_fini(&a);
	twin_fini(&b);

	/* none: 0 pages pin nothing, whatever the address */
	twin_init(&b, 0);
	ck_assert_int_eq(sim_mm_pin_range(b.p->mm, 0, 0, true, b.hpas), 0);
	ck_assert_uint_eq(b.p->mm->pinned, 0);
	twin_fini(&b);
}
END_TEST

/* A caller that maps each run before pinning on: the tables it makes in
 * between land where they did, so every later frame does too. */
START_TEST(test_runs_interleave_with_maps)
{
	struct twin a, b;

	twin_init(&a, 0);
	twin_init(&b, 0);
	a.ret = pin_and_map(&a, NPAGES, false);
	b.ret = pin_and_map(&b, NPAGES, true);
	twin_compare(&a, &b, NPAGES);
	ck_assert_int_eq(b.ret, 0);
	twin_fini(&a);
	twin_fini(&b);
}
END_TEST

/* The first page that cannot be pinned decides; what was pinned before it
 * is unpinned, and the pages it first touched stay touched, as before. */
START_TEST(test_range_errors_at_the_page)
{
	struct twin a, b;
	uint64_t ro;

	/* past the end of the VMA, into the gap */
	twin_init(&a, 0);
	twin_init(&b, 0);
	twin_pin(&a, &b, NPAGES - 10, 20, true);
	ck_assert_int_eq(b.ret, -EFAULT);
	ck_assert_uint_eq(b.p->mm->pinned, 0);
	/* the 10 pages before the gap were touched (8 of them first) */
	ck_assert_uint_eq(sim_mm_untouched(b.p->mm, b.va + (NPAGES - 10) * PG, 10 * PG), 0);
	/* a read-only VMA: writable pins fail at its first page */
	ck_assert_int_eq(sim_mm_map(a.p->mm, 4 * PG, SIM_PROT_READ, "ro", &ro), 0);
	ck_assert_int_eq(sim_mm_map(b.p->mm, 4 * PG, SIM_PROT_READ, "ro", &ro), 0);
	a.ret = pin_each(a.p->mm, ro, 4, true, a.hpas);
	b.ret = sim_mm_pin_range(b.p->mm, ro, 4, true, b.hpas);
	twin_compare(&a, &b, 4);
	ck_assert_int_eq(b.ret, -EFAULT);
	a.ret = pin_each(a.p->mm, ro, 4, false, a.hpas);
	b.ret = sim_mm_pin_range(b.p->mm, ro, 4, false, b.hpas);
	twin_compare(&a, &b, 4);
	ck_assert_int_eq(b.ret, 0);
	/* wrapping past the top of the address space */
	a.ret = pin_each(a.p->mm, UINT64_MAX & SIM_PAGE_MASK, 2, false, a.hpas);
	b.ret = sim_mm_pin_range(b.p->mm, UINT64_MAX & SIM_PAGE_MASK, 2, false, b.hpas);
	twin_compare(&a, &b, 2);
	ck_assert_int_eq(b.ret, -EFAULT);
	twin_fini(&a);
	twin_fini(&b);
}
END_TEST

/* Every fail-nth of the frame allocator, and random faults: the same
 * failure at the same frame, the same frames left behind. */
START_TEST(test_range_under_faults)
{
	for (unsigned long nth = 1; nth < 100; nth++) {
		struct twin a, b;

		twin_init(&a, 0);
		twin_init(&b, 0);
		sim_fault_fail_nth(a.w, "mem_frame_alloc", nth);
		sim_fault_fail_nth(b.w, "mem_frame_alloc", nth);
		twin_pin(&a, &b, 0, NPAGES, true);
		if (nth < 90)      /* 93 first touches: each may fail */
			ck_assert_int_eq(b.ret, -ENOMEM);
		twin_fini(&a);
		twin_fini(&b);
	}
	/* random faults: the twins' worlds have the same seed, so the same draws */
	for (unsigned permille = 50; permille < 1000; permille += 150) {
		struct twin a, b;

		twin_init(&a, 0);
		twin_init(&b, 0);
		sim_fault_probability(a.w, "mem_frame_alloc", permille);
		sim_fault_probability(b.w, "mem_frame_alloc", permille);
		twin_pin(&a, &b, 0, NPAGES, true);
		twin_pin(&a, &b, 0, NPAGES, true);
		ck_assert_uint_gt(sim_fault_injected(b.w), 0);
		twin_fini(&a);
		twin_fini(&b);
	}
}
END_TEST

/* The memory budget refuses the same frame: batching stops short of it. */
START_TEST(test_range_budget_boundary)
{
	for (unsigned room = 0; room < 70; room += 7) {
		struct twin a, b;

		twin_init(&a, 0);
		twin_init(&b, 0);
		sim_mem_set_budget(a.w, sim_mem_resident(a.w) + room * PG);
		sim_mem_set_budget(b.w, sim_mem_resident(b.w) + room * PG);
		twin_pin(&a, &b, 0, NPAGES, true);
		ck_assert_int_eq(b.ret, -ENOMEM);
		twin_fini(&a);
		twin_fini(&b);
	}
}
END_TEST

/* sim_mm_pin_run stops after the first page that breaks the run, so a
 * caller maps each run before a later page gets a frame. */
START_TEST(test_pin_run_stops_at_a_break)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, 0);
	uint64_t va, hpas[8], hpa;
	int err;

	ck_assert_int_eq(sim_mm_map(p->mm, 8 * PG, SIM_PROT_READ | SIM_PROT_WRITE, "b", &va), 0);
	ck_assert_int_eq(sim_copy_to_user(p, va + 3 * PG, "t", 1), 0);   /* page 3 first */
	/* pages 0..2 follow each other, page 3's frame is below them */
	ck_assert_uint_eq(sim_mm_pin_run(p->mm, va, 8, true, 0, hpas, &err), 4);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(hpas[1], hpas[0] + PG);
	ck_assert_uint_eq(hpas[2], hpas[1] + PG);
	ck_assert_uint_lt(hpas[3], hpas[0]);
	/* a first page that does not follow @prev ends the run at once */
	ck_assert_uint_eq(sim_mm_pin_run(p->mm, va + 4 * PG, 4, true, hpas[0], hpas + 4, &err), 1);
	ck_assert_int_eq(err, 0);
	/* one that does goes on */
	hpa = hpas[4];
	ck_assert_uint_eq(sim_mm_pin_run(p->mm, va + 5 * PG, 3, true, hpa, hpas + 5, &err), 3);
	ck_assert_uint_eq(hpas[7], hpa + 3 * PG);
	/* an error after some pages: they stay pinned, the error is the next page's */
	ck_assert_uint_eq(sim_mm_pin_run(p->mm, va + 6 * PG, 4, false, 0, hpas, &err), 2);
	ck_assert_int_eq(err, -EFAULT);
	ck_assert_uint_eq(p->mm->pinned, 10);
	ck_assert_uint_eq(sim_mm_pin_run(p->mm, va, 0, false, 0, hpas, &err), 0);
	ck_assert_int_eq(err, 0);
	sim_world_destroy(w);
}
END_TEST

/* A native process's range: validated in a few calls, the same EFAULT at
 * the same page as probing each page, in anonymous memory (vouched for by
 * /proc/self/maps on a long run) and in a file (always probed). */
START_TEST(test_native_range)
{
	const uint64_t n = 300;
	uint8_t *mem = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	char path[] = "/tmp/iommusim-pin-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *file;
	struct twin a, b;
	static const struct { uint64_t first, n; bool write; int ret; } cases[] = {
		{ 0, 240, true, 0 },           /* all good */
		{ 0, 300, true, -EFAULT },     /* page 250 is read-only */
		{ 0, 300, false, -EFAULT },    /* page 280 is PROT_NONE */
		{ 0, 280, false, 0 },
		{ 251, 29, true, 0 },
		{ 245, 10, true, -EFAULT },    /* short: probed only */
	};

	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_int_ge(fd, 0);
	memset(mem, 0x11, n * PG);
	ck_assert_int_eq(mprotect(mem + 250 * PG, PG, PROT_READ), 0);
	ck_assert_int_eq(mprotect(mem + 280 * PG, PG, PROT_NONE), 0);
	for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
		twin_init(&a, SIM_PROC_FLAG_NATIVE);
		twin_init(&b, SIM_PROC_FLAG_NATIVE);
		a.va = b.va = (uintptr_t)mem;
		twin_pin(&a, &b, cases[c].first, cases[c].n, cases[c].write);
		ck_assert_int_eq(b.ret, cases[c].ret);
		if (!b.ret)
			ck_assert_uint_eq(b.p->mm->pinned, cases[c].n);
		else
			ck_assert_uint_eq(b.p->mm->pinned, 0);
		twin_fini(&a);
		twin_fini(&b);
	}
	/* mapping as it goes: the same frames and tables */
	twin_init(&a, SIM_PROC_FLAG_NATIVE);
	twin_init(&b, SIM_PROC_FLAG_NATIVE);
	a.va = b.va = (uintptr_t)mem;
	a.ret = pin_and_map(&a, 240, false);
	b.ret = pin_and_map(&b, 240, true);
	twin_compare(&a, &b, 240);
	ck_assert_int_eq(b.ret, 0);
	twin_fini(&a);
	twin_fini(&b);
	/* the run's own view, in a world without holes (so the frames follow
	 * each other): 250 pages pinned, then the read-only one */
	memset(&b, 0, sizeof(b));
	b.w = sim_world_create(1);
	b.p = spawn(b.w, SIM_PROC_FLAG_NATIVE);
	b.out = open_memstream(&b.trace, &b.trace_len);
	{
		int err;

		ck_assert_uint_eq(sim_mm_pin_run(b.p->mm, (uintptr_t)mem, n, true, 0, b.hpas, &err),
				  250);
		ck_assert_int_eq(err, -EFAULT);
		/* a device write lands in the program's page */
		ck_assert_int_eq(sim_mem_write(b.w, b.hpas[200] + 7, "D", 1), 0);
		ck_assert_int_eq(mem[200 * PG + 7], 'D');
	}
	twin_fini(&b);
	/* a file of 100 pages mapped over 200: the pages past its end cannot
	 * be had (SIGBUS, so EFAULT), though the mapping is readable; a run
	 * that long reads the mappings, which must not vouch for a file */
	ck_assert_int_eq(ftruncate(fd, 100 * PG), 0);
	file = mmap(NULL, 200 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(file, MAP_FAILED);
	twin_init(&a, SIM_PROC_FLAG_NATIVE);
	twin_init(&b, SIM_PROC_FLAG_NATIVE);
	a.va = b.va = (uintptr_t)file;
	twin_pin(&a, &b, 0, 200, false);
	ck_assert_int_eq(b.ret, -EFAULT);
	twin_pin(&a, &b, 0, 100, true);
	ck_assert_int_eq(b.ret, 0);
	twin_fini(&a);
	twin_fini(&b);
	munmap(file, 200 * PG);
	close(fd);
	unlink(path);
	munmap(mem, n * PG);
}
END_TEST

START_TEST(test_huge_map)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, 0), *n = spawn(w, SIM_PROC_FLAG_NATIVE);
	uint64_t va, va2, va3;

	ck_assert_int_eq(sim_mm_map(p->mm, PG, SIM_PROT_READ, "small", &va), 0);
	/* not a whole number of huge pages, an unknown size */
	ck_assert_int_eq(sim_mm_map_huge(p->mm, HUGE_2M + PG, SIM_PROT_READ, "x",
					 SIM_MM_HUGE_2M, &va2), -EINVAL);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, HUGE_2M, SIM_PROT_READ, "x", 16, &va2),
			 -EINVAL);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, 1ull << 30, SIM_PROT_READ, "x", SIM_MM_HUGE_1G,
					 &va3), 0);
	ck_assert_int_eq(sim_mm_map_huge(n->mm, HUGE_2M, SIM_PROT_READ, "x", SIM_MM_HUGE_2M,
					 &va2), -EINVAL);
	/* aligned to the huge page, after the 4 KiB buffer and its gap */
	ck_assert_int_eq(sim_mm_map_huge(p->mm, 2 * HUGE_2M, SIM_PROT_READ, "h",
					 SIM_MM_HUGE_2M, &va2), 0);
	ck_assert_uint_eq(va2 & (HUGE_2M - 1), 0);
	ck_assert_uint_eq(va3 & ((1ull << 30) - 1), 0);
	ck_assert_uint_gt(va2, va3);
	ck_assert_uint_eq(sim_mm_find_vma(p->mm, va2)->huge_shift, SIM_MM_HUGE_2M);
	sim_fault_fail_nth(w, "mm_vma_alloc", 1);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, HUGE_2M, SIM_PROT_READ, "f", SIM_MM_HUGE_2M,
					 &va2), -ENOMEM);
	sim_world_destroy(w);
}
END_TEST

/* The first touch of a huge page makes all of it, aligned and contiguous;
 * pinning its range gives frames that follow each other, huge page after
 * huge page. */
START_TEST(test_huge_first_touch)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, 0);
	struct sim_mem_stats st;
	uint64_t va, k, *hpas = g_new(uint64_t, 1024);
	char c = 0;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &k), 0);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, 4 * HUGE_2M, SIM_PROT_READ | SIM_PROT_WRITE,
					 "h", SIM_MM_HUGE_2M, &va), 0);
	ck_assert_uint_eq(sim_mm_untouched(p->mm, va + 5, 1), 512);
	ck_assert_uint_eq(sim_mm_untouched(p->mm, va, 4 * HUGE_2M), 2048);
	/* a read of an untouched huge page makes nothing */
	ck_assert_int_eq(sim_copy_from_user(p, &c, va + 3 * HUGE_2M, 1), 0);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_USER], 0);
	/* one byte written: 512 frames */
	ck_assert_int_eq(sim_copy_to_user(p, va + HUGE_2M + 100, "h", 1), 0);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_USER], 512);
	ck_assert_uint_eq(sim_mm_untouched(p->mm, va, 4 * HUGE_2M), 1536);
	ck_assert_uint_eq(sim_mm_untouched(p->mm, va + HUGE_2M, HUGE_2M), 0);
	/* pinning the first two huge pages: 1024 frames in order */
	ck_assert_int_eq(sim_mm_pin_range(p->mm, va, 1024, true, hpas), 0);
	ck_assert_uint_eq(hpas[0] & (HUGE_2M - 1), 0);
	for (unsigned i = 0; i < 1024; i++)
		ck_assert_uint_eq(hpas[i], hpas[i & ~511u] + (i & 511) * PG);
	/* the second huge page was made first, the first one right after it */
	ck_assert_uint_eq(hpas[512] & (HUGE_2M - 1), 0);
	ck_assert_uint_eq(hpas[0], hpas[512] + HUGE_2M);
	/* the byte written is in the second huge page's frame */
	ck_assert_int_eq(sim_mem_read(w, hpas[512] + 100, &c, 1), 0);
	ck_assert_int_eq(c, 'h');
	/* above the kernel frame, at the first 2 MiB boundary after it */
	ck_assert_uint_eq(hpas[512], (k + HUGE_2M) & ~(HUGE_2M - 1));
	for (unsigned i = 0; i < 1024; i++)
		sim_mm_unpin_page(p->mm, hpas[i]);
	/* unmapped: every frame goes */
	ck_assert_int_eq(sim_mm_unmap(p->mm, va), 0);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_USER], 0);
	g_free(hpas);
	sim_world_destroy(w);
}
END_TEST

/* A huge page is all or nothing: the budget or an allocator fault leaves
 * no frame of it, and the touch fails with ENOMEM. */
START_TEST(test_huge_all_or_nothing)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, 0);
	struct sim_mem_stats st;
	uint64_t va, hpa;

	ck_assert_int_eq(sim_mm_map_huge(p->mm, HUGE_2M, SIM_PROT_READ | SIM_PROT_WRITE, "h",
					 SIM_MM_HUGE_2M, &va), 0);
	sim_mem_set_budget(w, 511 * PG);
	ck_assert_int_eq(sim_copy_to_user(p, va, "x", 1), -ENOMEM);
	ck_assert_int_eq(sim_mm_pin(p->mm, va + PG, true, &hpa), -ENOMEM);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 0);
	ck_assert_uint_eq(st.budget_refusals, 2);
	sim_mem_set_budget(w, 0);
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_mm_pin(p->mm, va, true, &hpa), -ENOMEM);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 0);
	ck_assert_uint_eq(p->mm->pinned, 0);
	ck_assert_int_eq(sim_mm_pin(p->mm, va, true, &hpa), 0);
	ck_assert_uint_eq(hpa & (HUGE_2M - 1), 0);
	sim_mm_unpin_page(p->mm, hpa);
	sim_world_destroy(w);
}
END_TEST

/* 1 GiB pages: 262144 frames at a 1 GiB boundary; what lies below the
 * boundary is left free for single frames, and a failure leaves nothing. */
START_TEST(test_huge_gigantic)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, 0);
	struct sim_mem_stats st;
	uint64_t va, hpa, hpa2, k;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &k), 0);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, 2ull << 30, SIM_PROT_READ | SIM_PROT_WRITE, "g",
					 SIM_MM_HUGE_1G, &va), 0);
	/* the allocator's fault site, asked once per 16 MiB run: fail the 70th */
	sim_fault_fail_nth(w, "mem_frame_alloc", 70);
	ck_assert_int_eq(sim_mm_pin(p->mm, va + PG, true, &hpa), -ENOMEM);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 1);
	sim_fault_fail_nth(w, "mem_frame_alloc", 0);
	ck_assert_int_eq(sim_mm_pin(p->mm, va + PG, true, &hpa), 0);
	ck_assert_uint_eq(hpa, (1ull << 30) + PG);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_USER], 262144);
	/* the next huge page follows at the next boundary */
	ck_assert_int_eq(sim_mm_pin(p->mm, va + (1ull << 30), true, &hpa2), 0);
	ck_assert_uint_eq(hpa2, 2ull << 30);
	/* below the first: free, for single frames, lowest first */
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &k), 0);
	ck_assert_uint_lt(k, 1ull << 30);
	/* a budget too small for one is refused whole */
	sim_mm_unpin_page(p->mm, hpa);
	sim_mm_unpin_page(p->mm, hpa2);
	ck_assert_int_eq(sim_mm_unmap(p->mm, va), 0);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, 1ull << 30, SIM_PROT_READ | SIM_PROT_WRITE, "g2",
					 SIM_MM_HUGE_1G, &va), 0);
	sim_mem_set_budget(w, 512ull << 20);
	ck_assert_int_eq(sim_copy_to_user(p, va, "x", 1), -ENOMEM);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_USER], 0);
	sim_world_destroy(w);
}
END_TEST

/* fork copies a huge page into a huge page of the child's, and the bytes. */
START_TEST(test_huge_fork)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, 0), *c;
	uint64_t va, a, hpa;
	char v = 0;

	ck_assert_int_eq(sim_mm_map(p->mm, 2 * PG, SIM_PROT_READ | SIM_PROT_WRITE, "small", &a), 0);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, 2 * HUGE_2M, SIM_PROT_READ | SIM_PROT_WRITE, "h",
					 SIM_MM_HUGE_2M, &va), 0);
	ck_assert_int_eq(sim_copy_to_user(p, va + HUGE_2M + 9, "P", 1), 0);
	ck_assert_int_eq(sim_copy_to_user(p, a + PG, "S", 1), 0);
	c = sim_proc_find(w, sim_proc_fork(w, p->pid));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(sim_mm_untouched(c->mm, va, 2 * HUGE_2M), 512);
	ck_assert_int_eq(sim_copy_from_user(c, &v, va + HUGE_2M + 9, 1), 0);
	ck_assert_int_eq(v, 'P');
	ck_assert_int_eq(sim_copy_from_user(c, &v, a + PG, 1), 0);
	ck_assert_int_eq(v, 'S');
	ck_assert_int_eq(sim_mm_pin(c->mm, va + HUGE_2M, false, &hpa), 0);
	ck_assert_uint_eq(hpa & (HUGE_2M - 1), 0);
	sim_mm_unpin_page(c->mm, hpa);
	/* a child whose huge page cannot be had is not made (the small
	 * page is shared copy-on-write: the huge page is fork's only copy) */
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_proc_fork(w, p->pid), -ENOMEM);
	sim_world_destroy(w);
}
END_TEST

/* alloc's hugepages key: the buffer it makes, and its load errors. */
static char *load_error(const char *steps)
{
	char *yaml = g_strdup_printf("name: t\n"
				     "topology: [{bdf: \"0000:00:01.0\", type: root-port}]\n"
				     "steps:\n%s", steps);
	char *err = NULL;
	struct scenario *s = scenario_load_string(yaml, strlen(yaml), "h.yaml", &err);

	if (s)
		scenario_free(s);
	g_free(yaml);
	return err;
}

START_TEST(test_alloc_hugepages_key)
{
	char *err;

	ck_assert_ptr_null(load_error("  - alloc: b\n    size: 4M\n    hugepages: 2M\n"));
	ck_assert_ptr_null(load_error("  - alloc: b\n    size: 1G\n    hugepages: 1G\n"));
	ck_assert_ptr_null(load_error("  - alloc: b\n    size: 12K\n    hugepages: none\n"));
	err = load_error("  - alloc: b\n    size: 3M\n    hugepages: 2M\n");
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, "h.yaml:5:11: error: size 0x300000 is not a whole number of 2M "
			 "huge pages");
	g_free(err);
	err = load_error("  - alloc: b\n    size: 2M\n    hugepages: 1G\n");
	ck_assert_ptr_nonnull(err);
	ck_assert(strstr(err, "h.yaml:5:11: error: size 0x200000 is not a whole number of 1G"));
	g_free(err);
	err = load_error("  - alloc: b\n    size: 2M\n    hugepages: 4K\n");
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(g_str_has_prefix(err, "h.yaml:6:16: error: unknown huge page size '4K'"),
		      "%s", err);
	g_free(err);
}
END_TEST

/* ---- THP-backed native processes (SIM_PROC_NATIVE_THP) -------------------- */

/* @len bytes of anonymous memory at a 2 MiB boundary, alone in its mapping
 * (the slack around it given back), written. */
static uint8_t *map_blocks(uint64_t len)
{
	uint8_t *m = mmap(NULL, len + HUGE_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *a;

	ck_assert_ptr_ne(m, MAP_FAILED);
	a = (uint8_t *)(((uintptr_t)m + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (a + len < m + len + HUGE_2M)
		munmap(a + len, (size_t)(m + len + HUGE_2M - (a + len)));
	memset(a, 0x44, len);
	return a;
}

static struct sim_proc *spawn_thp(struct sim_world *w)
{
	struct sim_proc *p = spawn(w, SIM_PROC_FLAG_NATIVE);

	ck_assert_int_eq(sim_proc_set_thp(w, p->pid, 1), 0);
	return p;
}

/* Pinning in pieces as type1 does (runs of at most @step pages, each
 * starting where the last stopped): the frames, @n of them. */
static void pin_in_steps(struct sim_mm *mm, uint64_t va, uint64_t n, uint64_t step,
			 uint64_t *hpas)
{
	uint64_t i = 0;
	int err = 0;

	while (i < n) {
		uint64_t k = sim_mm_pin_run(mm, va + i * PG, MIN(step, n - i), true,
					    i ? hpas[i - 1] : 0, hpas + i, &err);

		ck_assert_int_eq(err, 0);
		ck_assert_uint_gt(k, 0);
		i += k;
	}
}

START_TEST(test_native_thp_flag)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *s = spawn(w, 0), *n = spawn(w, SIM_PROC_FLAG_NATIVE), *c;

	ck_assert_int_eq(sim_proc_set_thp(NULL, n->pid, 1), -EINVAL);
	ck_assert_int_eq(sim_proc_set_thp(w, 999, 1), -ESRCH);
	ck_assert_int_eq(sim_proc_set_thp(w, -1, 1), -ESRCH);
	ck_assert_int_eq(sim_proc_set_thp(w, s->pid, 1), -EINVAL);   /* not native */
	ck_assert_uint_eq(s->flags, 0);
	ck_assert_int_eq(sim_proc_set_thp(w, n->pid, 1), 0);
	ck_assert_uint_eq(n->flags, SIM_PROC_NATIVE | SIM_PROC_NATIVE_THP);
	/* a fork has it too */
	c = sim_proc_find(w, sim_proc_fork(w, n->pid));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->flags, n->flags);
	ck_assert_int_eq(sim_proc_set_thp(w, n->pid, 0), 0);
	ck_assert_uint_eq(n->flags, SIM_PROC_NATIVE);
	/* sim_proc_spawn takes it with SIM_PROC_NATIVE, never alone */
	ck_assert_int_eq(sim_proc_spawn(w, 0, 0, SIM_PROC_NATIVE_THP), -EINVAL);
	ck_assert_int_eq(sim_proc_spawn(w, 0, 0, 0x4), -EINVAL);
	c = sim_proc_find(w, sim_proc_spawn(w, 0, 0, SIM_PROC_NATIVE | SIM_PROC_NATIVE_THP));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->flags, SIM_PROC_NATIVE | SIM_PROC_NATIVE_THP);
	sim_world_destroy(w);
}
END_TEST

/* A THP process's buffer: every 2 MiB block wholly in its mapping is one
 * huge page, made by the first pin of any page of it, whatever pieces the
 * pins come in; the frames follow each other block after block, so one
 * run covers them. */
START_TEST(test_native_thp_pins)
{
	static const uint64_t steps[] = { 1, 300, 512, 1000, 4096 };
	uint8_t *mem = map_blocks(4 * HUGE_2M);
	uint64_t *hpas = g_new(uint64_t, 2048), n = 2048 - 3;

	for (size_t s = 0; s < G_N_ELEMENTS(steps); s++) {
		struct sim_world *w = sim_world_create(1);
		struct sim_proc *p = spawn_thp(w);
		struct sim_mem_stats st;
		uint64_t k;

		ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &k), 0);
		/* from page 3: block 0 is a huge page all the same */
		pin_in_steps(p->mm, (uintptr_t)mem + 3 * PG, n, steps[s], hpas);
		ck_assert_uint_eq(hpas[0], HUGE_2M + 3 * PG);
		for (uint64_t i = 0; i < n; i++)
			ck_assert_uint_eq(hpas[i], hpas[0] + i * PG);
		ck_assert_uint_eq(p->mm->pinned, n);
		sim_mem_stats(w, &st);
		ck_assert_uint_eq(st.frames[SIM_FRAME_NATIVE], 2048);
		/* unpinned: every frame goes, folio by folio */
		for (uint64_t i = 0; i < n; i++)
			sim_mm_unpin_page(p->mm, hpas[i]);
		sim_mem_stats(w, &st);
		ck_assert_uint_eq(st.frames_total, 1);
		sim_world_destroy(w);
	}
	g_free(hpas);
	munmap(mem, 4 * HUGE_2M);
}
END_TEST

/* Where the mapping does not hold the whole block, 4 KiB frames: the
 * edges of a buffer not aligned to 2 MiB, a process without the flag, a
 * read-only mapping pinned for writing (EFAULT, as always). */
START_TEST(test_native_thp_edges)
{
	uint8_t *mem = map_blocks(4 * HUGE_2M), *ro;
	uint64_t *hpas = g_new(uint64_t, 2048);
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn_thp(w), *plain = spawn(w, SIM_PROC_FLAG_NATIVE);
	struct sim_mem_stats st;
	int err;

	/* the mapping starts 1 MiB into block 0 and ends 1 MiB into block 3 */
	ck_assert_int_eq(munmap(mem, HUGE_2M / 2), 0);
	ck_assert_int_eq(munmap(mem + 3 * HUGE_2M + HUGE_2M / 2, HUGE_2M / 2), 0);
	ck_assert_int_eq(sim_mm_pin_range(p->mm, (uintptr_t)mem + HUGE_2M / 2, 1536, true, hpas),
			 0);
	/* blocks 1 and 2 are huge pages, the half blocks are not */
	ck_assert_uint_eq(hpas[256] & (HUGE_2M - 1), 0);
	for (unsigned i = 0; i < 1024; i++)
		ck_assert_uint_eq(hpas[256 + i], hpas[256] + i * PG);
	for (unsigned i = 0; i < 256; i++) {
		ck_assert_uint_lt(hpas[i], hpas[256]);
		ck_assert_uint_ge(hpas[1280 + i], hpas[256] + 2 * HUGE_2M);
	}
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_NATIVE], 1536);
	for (unsigned i = 0; i < 1536; i++)
		sim_mm_unpin_page(p->mm, hpas[i]);
	/* without the flag: 4 KiB frames, the lowest free */
	ck_assert_int_eq(sim_mm_pin_range(plain->mm, (uintptr_t)mem + HUGE_2M, 512, true, hpas),
			 0);
	ck_assert_uint_eq(hpas[0], SIM_MEM_BASE);
	for (unsigned i = 0; i < 512; i++)
		sim_mm_unpin_page(plain->mm, hpas[i]);
	/* read-only: a writable pin fails at its first page, a read pin is a
	 * huge page */
	ro = mem + HUGE_2M;
	ck_assert_int_eq(mprotect(ro, HUGE_2M, PROT_READ), 0);
	ck_assert_uint_eq(sim_mm_pin_run(p->mm, (uintptr_t)ro, 512, true, 0, hpas, &err), 0);
	ck_assert_int_eq(err, -EFAULT);
	ck_assert_int_eq(sim_mm_pin_range(p->mm, (uintptr_t)ro + 5 * PG, 4, false, hpas), 0);
	ck_assert_uint_eq(hpas[0] & (HUGE_2M - 1), 5 * PG);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_NATIVE], 512);
	/* and the pages around the pinned ones are the folio's */
	ck_assert_int_eq(sim_mm_pin(p->mm, (uintptr_t)ro, false, &hpas[4]), 0);
	ck_assert_uint_eq(hpas[4], hpas[0] - 5 * PG);
	/* the fault site is asked once for the whole huge page */
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_mm_pin_range(p->mm, (uintptr_t)mem + 2 * HUGE_2M, 512, true, hpas),
			 -ENOMEM);
	ck_assert_int_eq(sim_mm_pin_range(p->mm, (uintptr_t)mem + 2 * HUGE_2M, 512, true, hpas),
			 0);
	ck_assert_uint_eq(sim_fault_calls(w), 2);
	ck_assert_uint_eq(hpas[0] & (HUGE_2M - 1), 0);
	g_free(hpas);
	sim_world_destroy(w);
	munmap(mem + HUGE_2M / 2, 3 * HUGE_2M);
}
END_TEST

/* type1 maps a THP process's buffer with 2 MiB leaves (4 MiB at a 2 MiB
 * aligned IOVA: two), and a plain native one's with 4 KiB leaves; UNMAP
 * gives every frame back. */
static const char *const TYPE1_WORLD =
	"name: thp\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", driver: vfio-pci}\n";

static void type1_map_leaves(bool thp, uint64_t *leaves)
{
	char *err = NULL, path[32];
	struct scenario *s = scenario_load_string(TYPE1_WORLD, strlen(TYPE1_WORLD), "<thp>", &err);
	struct sim_world *w = s ? scenario_build_world(s, 1, &err) : NULL;
	uint8_t *mem = map_blocks(2 * HUGE_2M);
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)mem, .iova = 0x40000000ull, .size = 2 * HUGE_2M,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = map.iova, .size = map.size,
	};
	struct sim_mem_stats st;
	struct iommu_domain *d;
	int pid, cfd, gfd, group;

	ck_assert_msg(w, "%s", err ? err : "no world");
	scenario_free(s);
	pid = sim_proc_spawn(w, 0, 0, SIM_PROC_NATIVE);
	ck_assert_int_gt(pid, 0);
	if (thp)
		ck_assert_int_eq(sim_proc_set_thp(w, pid, 1), 0);
	cfd = (int)sim_sys_open(w, pid, "/dev/vfio/vfio", O_RDWR);
	group = sim_pci_iommu_group(w, "0000:01:00.0");
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	gfd = (int)sim_sys_open(w, pid, path, O_RDWR);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_ge(gfd, 0);
	ck_assert_int_eq(sim_sys_ioctl(w, pid, gfd, VFIO_GROUP_SET_CONTAINER, &cfd), 0);
	ck_assert_int_eq(sim_sys_ioctl_ul(w, pid, cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_int_eq(sim_sys_ioctl(w, pid, cfd, VFIO_IOMMU_MAP_DMA, &map), 0);
	d = iommu_group_domain(iommu_group_by_id(w, (unsigned)group));
	ck_assert_ptr_nonnull(d);
	memset(leaves, 0, 2 * sizeof(*leaves));
	for (uint64_t iova = map.iova; iova < map.iova + map.size; ) {
		struct io_pgtable_walk wk;

		ck_assert_int_eq(io_pgtable_lookup(&d->pt, iova, &wk), 0);
		leaves[wk.leaf_size == SZ_2M]++;
		iova = (iova & ~(wk.leaf_size - 1)) + wk.leaf_size;
	}
	/* what the IOVA translates to is the program's page */
	{
		struct io_pgtable_walk wk;
		char c = 0;

		mem[HUGE_2M + 3 * PG + 5] = 'T';
		ck_assert_int_eq(io_pgtable_lookup(&d->pt, map.iova + HUGE_2M + 3 * PG + 5, &wk), 0);
		ck_assert_int_eq(sim_mem_read(w, wk.out, &c, 1), 0);
		ck_assert_int_eq(c, 'T');
	}
	ck_assert_int_eq(sim_sys_ioctl(w, pid, cfd, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	ck_assert_uint_eq(unmap.size, map.size);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_NATIVE], 0);
	sim_world_destroy(w);
	munmap(mem, 2 * HUGE_2M);
}

START_TEST(test_native_thp_type1)
{
	uint64_t leaves[2];

	type1_map_leaves(true, leaves);
	ck_assert_uint_eq(leaves[1], 2);
	ck_assert_uint_eq(leaves[0], 0);
	type1_map_leaves(false, leaves);
	ck_assert_uint_eq(leaves[1], 0);
	ck_assert_uint_eq(leaves[0], 1024);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mm_pin");
	TCase *tc = tcase_create("pin");
	TCase *huge = tcase_create("huge");

	tcase_add_test(tc, test_range_equals_pages);
	tcase_add_test(tc, test_runs_interleave_with_maps);
	tcase_add_test(tc, test_range_errors_at_the_page);
	tcase_add_test(tc, test_range_under_faults);
	tcase_add_test(tc, test_range_budget_boundary);
	tcase_add_test(tc, test_pin_run_stops_at_a_break);
	tcase_add_test(tc, test_native_range);
	tcase_add_test(huge, test_huge_map);
	tcase_add_test(huge, test_huge_first_touch);
	tcase_add_test(huge, test_huge_all_or_nothing);
	tcase_add_test(huge, test_huge_gigantic);
	tcase_add_test(huge, test_huge_fork);
	tcase_add_test(huge, test_alloc_hugepages_key);
	tcase_add_test(huge, test_native_thp_flag);
	tcase_add_test(huge, test_native_thp_pins);
	tcase_add_test(huge, test_native_thp_edges);
	tcase_add_test(huge, test_native_thp_type1);
	tcase_set_timeout(huge, 60);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, huge);
	return unit_run(s);
}
