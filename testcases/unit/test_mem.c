/* SPDX-License-Identifier: MIT */
/* sim/mem and sim/mm: frames, physical access, address spaces, uaccess, pins. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "unit_common.h"

static struct sim_proc *spawn(struct sim_world *w, unsigned flags)
{
	struct sim_cred c = { .uid = 1000, .gid = 1000 };

	return sim_proc_find(w, sim_proc_create(w, 1, "p", &c, flags));
}

START_TEST(test_frames_lowest_free)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_mem_stats st;
	uint64_t a, b, c, d;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_PGTABLE, &a), 0);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &b), 0);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &c), 0);
	ck_assert_uint_eq(a, SIM_MEM_BASE);
	ck_assert_uint_eq(b, SIM_MEM_BASE + SIM_PAGE_SIZE);
	ck_assert_uint_eq(c, SIM_MEM_BASE + 2 * SIM_PAGE_SIZE);
	ck_assert_int_eq(sim_mem_frame_kind(w, b), SIM_FRAME_KERNEL);
	ck_assert(sim_mem_present(w, b + 17));
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 3);
	ck_assert_uint_eq(st.frames[SIM_FRAME_PGTABLE], 1);
	ck_assert_uint_eq(st.bytes, 3 * SIM_PAGE_SIZE);
	sim_mem_frame_put(w, a);
	sim_mem_frame_get(w, b);
	sim_mem_frame_put(w, b);                   /* still one reference */
	ck_assert(sim_mem_present(w, b));
	ck_assert(!sim_mem_present(w, a));
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &d), 0);
	ck_assert_uint_eq(d, a);                  /* lowest free reused */
	sim_mem_frame_put(w, c);                  /* the top frame: bump back */
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &c), 0);
	ck_assert_uint_eq(c, SIM_MEM_BASE + 2 * SIM_PAGE_SIZE);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_NATIVE, &d), -EINVAL);
	ck_assert_ptr_null(sim_mem_frame_ptr(w, 0x5000));
	ck_assert_int_eq(sim_mem_frame_kind(w, 0x5000), SIM_FRAME_NR_KINDS);
	sim_mem_frame_put(w, 0x5000);             /* absent: ignored */
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &d), -ENOMEM);
	sim_world_destroy(w);                     /* frees what is left */
}
END_TEST

/* Runs of frames for multi-frame tables: consecutive, aligned, around
 * claimed PFNs; the alignment gap is reused by single frames. */
START_TEST(test_frames_contig)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_mem_stats st;
	uint64_t a, b, c, d, e;
	char byte = 1;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &a), 0);       /* pfn 0x100 */
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 4, &b), 0);
	ck_assert_uint_eq(b, SIM_MEM_BASE + 4 * SIM_PAGE_SIZE);                   /* 0x104 */
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(sim_mem_frame_kind(w, b + i * SIM_PAGE_SIZE), SIM_FRAME_PGTABLE);
		ck_assert_uint_eq(sim_mem_read64(w, b + i * SIM_PAGE_SIZE + 8), 0);
	}
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_PGTABLE], 4);
	ck_assert_uint_eq(st.frames_total, 5);
	/* the gap (0x101..0x103) goes to single frames, lowest first */
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &c), 0);
	ck_assert_uint_eq(c, SIM_MEM_BASE + SIM_PAGE_SIZE);
	/* a DMA's first touch claimed a PFN in the next aligned run: skipped */
	ck_assert_int_eq(sim_mem_write(w, SIM_MEM_BASE + 0x13000, &byte, 1), 0);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 16, &d), 0);
	ck_assert_uint_eq(d, SIM_MEM_BASE + 0x20000);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_KERNEL, 1, &e), 0);
	ck_assert_uint_eq(e, SIM_MEM_BASE + 0x30000);
	sim_mem_frame_put(w, e);
	/* freed highest first, the run goes back to the bump pointer */
	for (unsigned i = 16; i--;)
		sim_mem_frame_put(w, d + i * SIM_PAGE_SIZE);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 16, &e), 0);
	ck_assert_uint_eq(e, d);
	for (unsigned i = 0; i < 16; i++)
		sim_mem_frame_put(w, e + i * SIM_PAGE_SIZE);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 3, &e), -EINVAL);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 0, &e), -EINVAL);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_NATIVE, 2, &e), -EINVAL);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_PGTABLE], 4);
	/* one fault-site question for the whole run; nothing allocated */
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 8, &e), -ENOMEM);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_PGTABLE], 4);
	ck_assert_uint_eq(sim_fault_site_calls(w, "mem_frame_alloc"), 8);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_physical_access)
{
	struct sim_world *w = sim_world_create(1);
	char buf[6000], back[6000];
	uint64_t hpa, far = 0x40000000ull - 100;

	memset(buf, 0x5a, sizeof(buf));
	ck_assert_int_eq(sim_mem_read(w, far, back, sizeof(back)), 0);   /* zeros */
	ck_assert_int_eq(back[0] | back[5999], 0);
	ck_assert_int_eq(sim_mem_write(w, far, buf, sizeof(buf)), 0);    /* first touch */
	ck_assert_int_eq(sim_mem_read(w, far, back, sizeof(back)), 0);
	ck_assert_int_eq(memcmp(buf, back, sizeof(buf)), 0);
	ck_assert_int_eq(sim_mem_frame_kind(w, far), SIM_FRAME_RAM);
	ck_assert(sim_mem_present(w, far + 5999));
	/* the allocator steps around PFNs claimed by first-touch writes */
	ck_assert_int_eq(sim_mem_write(w, SIM_MEM_BASE, buf, 1), 0);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &hpa), 0);
	ck_assert_uint_eq(hpa, SIM_MEM_BASE + SIM_PAGE_SIZE);
	sim_mem_write64(w, hpa + 8, 0x1122334455667788ull);
	ck_assert_uint_eq(sim_mem_read64(w, hpa + 8), 0x1122334455667788ull);
	ck_assert_uint_eq(sim_mem_read64(w, 0x7770000), 0);
	sim_mem_write64(w, 0x7770000, 7);
	ck_assert_uint_eq(sim_mem_read64(w, 0x7770000), 7);
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_mem_write(w, 0x9990000, buf, 1), -ENOMEM);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_native_frames)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *page = mmap(NULL, SIM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t a, b;

	ck_assert_int_eq(sim_mem_frame_native(w, page, &a), 0);
	ck_assert_int_eq(sim_mem_frame_native(w, page, &b), 0);
	ck_assert_uint_eq(a, b);                  /* one frame per page */
	ck_assert_int_eq(sim_mem_frame_native(w, page + 1, &b), -EINVAL);
	ck_assert_int_eq(sim_mem_write(w, a + 10, "hi", 2), 0);
	ck_assert_int_eq(memcmp(page + 10, "hi", 2), 0);   /* the real bytes */
	sim_mem_frame_put(w, a);
	ck_assert(sim_mem_present(w, a));
	sim_mem_frame_put(w, a);
	ck_assert(!sim_mem_present(w, a));
	sim_world_destroy(w);
	munmap(page, SIM_PAGE_SIZE);
}
END_TEST

/*
 * A pinned page outlives munmap (on Linux a GUP pin holds the page after
 * the VMA goes: unpin_user_page frees it).  The first access that finds
 * the program's page gone orphans the frame: storage of its own, what the
 * page held when it can still be read (here: a read-only remap keeps the
 * bytes), DMA landing there, the program's new mapping at that address
 * another page; the frame is freed with its last reference.
 */
START_TEST(test_native_frame_outlives_munmap)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *page = mmap(NULL, 2 * SIM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), got[4];
	struct sim_mem_stats st;
	uint64_t a, b, c;

	ck_assert_ptr_ne(page, MAP_FAILED);
	ck_assert_int_eq(sim_mem_frame_native(w, page, &a), 0);
	ck_assert_int_eq(sim_mem_frame_native(w, page + SIM_PAGE_SIZE, &b), 0);
	memcpy(page + SIM_PAGE_SIZE, "kept", 4);
	ck_assert_uint_eq(sim_mem_resident(w), 0);        /* the program's memory */
	ck_assert_ptr_null(sim_mem_frame_ptr(w, a));      /* never a raw pointer */

	/* page 0 unmapped: a DMA write lands in the frame, and reads back */
	ck_assert_int_eq(munmap(page, SIM_PAGE_SIZE), 0);
	ck_assert_int_eq(sim_mem_write(w, a + 8, "dma!", 4), 0);
	ck_assert(sim_mem_frame_orphaned(w, a));
	ck_assert_int_eq(sim_mem_read(w, a + 8, got, 4), 0);
	ck_assert_int_eq(memcmp(got, "dma!", 4), 0);
	ck_assert_uint_eq(sim_mem_read64(w, a + 16), 0);
	/* page 1 made read-only: a write orphans it with what it held */
	ck_assert_int_eq(mprotect(page + SIM_PAGE_SIZE, SIM_PAGE_SIZE, PROT_READ), 0);
	ck_assert_int_eq(sim_mem_write(w, b + 4, "!", 1), 0);
	ck_assert(sim_mem_frame_orphaned(w, b));
	ck_assert_int_eq(sim_mem_read(w, b, got, 4), 0);
	ck_assert_int_eq(memcmp(got, "kept", 4), 0);
	ck_assert_int_eq(page[SIM_PAGE_SIZE + 4], 0);      /* the program never sees it */
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.native_orphans, 2);
	ck_assert_uint_eq(sim_mem_resident(w), 2 * SIM_PAGE_SIZE);

	/* a new mapping at page 0's address is a new frame */
	ck_assert_ptr_eq(mmap(page, SIM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), page);
	ck_assert_int_eq(sim_mem_frame_native(w, page, &c), 0);
	ck_assert_uint_ne(c, a);
	ck_assert_int_eq(sim_mem_write(w, c, "new", 3), 0);
	ck_assert_int_eq(memcmp(page, "new", 3), 0);
	ck_assert(!sim_mem_frame_orphaned(w, c));

	/* the last references free them */
	sim_mem_frame_put(w, a);
	sim_mem_frame_put(w, b);
	sim_mem_frame_put(w, c);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 0);
	ck_assert_uint_eq(st.native_orphans, 0);
	ck_assert_uint_eq(sim_mem_resident(w), 0);
	sim_world_destroy(w);
	munmap(page, 2 * SIM_PAGE_SIZE);
}
END_TEST

/*
 * The memory budget: frames of simulator storage beyond it are -ENOMEM,
 * counted and traced, for every way a frame is made (single, contiguous,
 * a DMA's first touch); freeing makes room again.
 */
START_TEST(test_memory_budget)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_mem_stats st;
	uint64_t f[4], run;

	sim_mem_set_budget(w, 4 * SIM_PAGE_SIZE + 100);    /* rounds down: 4 frames */
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &f[i]), 0);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 2, &run), -ENOMEM);
	ck_assert_int_eq(sim_mem_write(w, 0x40000000, "x", 1), 0);      /* the 4th */
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &f[3]), -ENOMEM);
	ck_assert_int_eq(sim_mem_write(w, 0x50000000, "x", 1), -ENOMEM);
	ck_assert(!sim_mem_present(w, 0x50000000));
	ck_assert_int_eq(sim_mem_write(w, 0x40000010, "y", 1), 0);      /* resident */
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.budget, 4 * SIM_PAGE_SIZE);
	ck_assert_uint_eq(st.budget_refusals, 3);
	ck_assert_uint_eq(sim_mem_resident(w), 4 * SIM_PAGE_SIZE);
	sim_mem_frame_put(w, f[0]);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &f[3]), 0);
	sim_mem_set_budget(w, 0);                          /* no limit */
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 2, &run), 0);
	sim_world_destroy(w);
}
END_TEST

/* ---- the frame directory ----------------------------------------------------------- */

#define PFN_HPA(pfn) ((uint64_t)(pfn) << SIM_PAGE_SHIFT)

/* A kind per frame number, so a lookup landing on the wrong slot shows. */
static enum sim_frame_kind kind_nr(unsigned i)
{
	static const enum sim_frame_kind k[] = { SIM_FRAME_PGTABLE, SIM_FRAME_KERNEL,
						 SIM_FRAME_RAM, SIM_FRAME_USER };

	return k[i % 4];
}

/* Frames on both sides of several 512-frame leaves: each found with its own
 * kind and bytes, through every accessor. */
START_TEST(test_directory_leaf_boundaries)
{
	enum { N = 1100 };                 /* PFNs 0x100..0x54b: leaves 0, 1 and 2 */
	struct sim_world *w = sim_world_create(1);
	static uint64_t hpa[N];
	struct sim_mem_stats st;

	for (unsigned i = 0; i < N; i++) {
		ck_assert_int_eq(sim_mem_frame_alloc(w, kind_nr(i), &hpa[i]), 0);
		ck_assert_uint_eq(hpa[i], SIM_MEM_BASE + i * SIM_PAGE_SIZE);
		sim_mem_write64(w, hpa[i] + (i % 512) * 8, 0x1000000ull * i + 1);
	}
	for (unsigned i = 0; i < N; i++) {
		uint64_t *p = sim_mem_frame_ptr(w, hpa[i]);
		uint64_t got;

		ck_assert_int_eq(sim_mem_frame_kind(w, hpa[i] + 4095), kind_nr(i));
		ck_assert_uint_eq(sim_mem_read64(w, hpa[i] + (i % 512) * 8), 0x1000000ull * i + 1);
		ck_assert_uint_eq(sim_mem_read64(w, hpa[i] + ((i + 1) % 512) * 8), 0);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(p[i % 512], 0x1000000ull * i + 1);
		ck_assert_int_eq(sim_mem_read(w, hpa[i] + (i % 512) * 8, &got, 8), 0);
		ck_assert_uint_eq(got, 0x1000000ull * i + 1);
	}
	/* a read crossing from the last frame of leaf 0 into leaf 1 */
	ck_assert_uint_eq(hpa[0x1ff - 0x100] + SIM_PAGE_SIZE, PFN_HPA(0x200));
	sim_mem_write(w, PFN_HPA(0x200) - 4, "abcdefgh", 8);
	{
		char got[8];

		ck_assert_int_eq(sim_mem_read(w, PFN_HPA(0x200) - 4, got, 8), 0);
		ck_assert_int_eq(memcmp(got, "abcdefgh", 8), 0);
	}
	ck_assert(!sim_mem_present(w, SIM_MEM_BASE + N * SIM_PAGE_SIZE));
	ck_assert(!sim_mem_present(w, SIM_MEM_BASE - 1));
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, N);
	ck_assert_uint_eq(st.frames[SIM_FRAME_USER], N / 4);
	sim_world_destroy(w);
}
END_TEST

/*
 * A DMA's first touch may claim any HPA: the top of the dense range, the
 * first PFN past it, the highest PFN there is.  Each is its own frame, with
 * holes around it; freed and claimed again, the allocator steps over it.
 */
START_TEST(test_directory_high_pfns)
{
	static const uint64_t far[] = {
		(1ull << 40) - SIM_PAGE_SIZE,        /* the last frame of the top array */
		1ull << 40,                          /* the first one past it */
		(1ull << 40) + 512 * SIM_PAGE_SIZE,  /* the next leaf */
		1ull << 51,
		0xfffffffffffff000ull,               /* the highest PFN */
	};
	enum { NFAR = sizeof(far) / sizeof(far[0]) };
	struct sim_world *w = sim_world_create(1);
	struct sim_mem_stats st;
	uint64_t a, b;
	char got[16];

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &a), 0);
	for (unsigned i = 0; i < NFAR; i++) {
		ck_assert(!sim_mem_present(w, far[i]));
		sim_mem_write64(w, far[i] + 8, 0xf00 + i);
	}
	for (unsigned i = 0; i < NFAR; i++) {
		ck_assert(sim_mem_present(w, far[i]));
		ck_assert_int_eq(sim_mem_frame_kind(w, far[i]), SIM_FRAME_RAM);
		ck_assert_uint_eq(sim_mem_read64(w, far[i] + 8), 0xf00 + i);
		ck_assert_uint_eq(sim_mem_read64(w, far[i] + 16), 0);
		ck_assert_ptr_nonnull(sim_mem_frame_ptr(w, far[i]));
		ck_assert(!sim_mem_present(w, far[i] - SIM_PAGE_SIZE) ||
			  far[i] - SIM_PAGE_SIZE == far[0]);
		if (i != NFAR - 1)
			ck_assert(!sim_mem_present(w, far[i] + SIM_PAGE_SIZE) ||
				  far[i] + SIM_PAGE_SIZE == far[1]);
	}
	ck_assert(!sim_mem_present(w, (1ull << 40) + 2 * SIM_PAGE_SIZE));  /* a far leaf's hole */
	ck_assert(!sim_mem_present(w, 1ull << 45));                        /* no leaf at all */
	ck_assert_uint_eq(sim_mem_read64(w, 1ull << 45), 0);
	ck_assert_int_eq(sim_mem_frame_kind(w, 1ull << 45), SIM_FRAME_NR_KINDS);
	/* one write across the dense range's end: two frames, both sides kept */
	ck_assert_int_eq(sim_mem_write(w, (1ull << 40) - 8, "0123456789abcdef", 16), 0);
	ck_assert_int_eq(sim_mem_read(w, (1ull << 40) - 8, got, 16), 0);
	ck_assert_int_eq(memcmp(got, "0123456789abcdef", 16), 0);
	ck_assert_uint_eq(sim_mem_read64(w, far[1] + 8), 0xf01);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 1 + NFAR);
	ck_assert_uint_eq(st.frames[SIM_FRAME_RAM], NFAR);
	/* the highest frame freed: gone, its slot empty; a new touch claims it
	 * again, and the allocator, offered that PFN first, steps over it */
	sim_mem_frame_put(w, far[NFAR - 1]);
	ck_assert(!sim_mem_present(w, far[NFAR - 1]));
	ck_assert_uint_eq(sim_mem_read64(w, far[NFAR - 1] + 8), 0);
	sim_mem_write64(w, far[NFAR - 1] + 8, 5);
	ck_assert_uint_eq(sim_mem_read64(w, far[NFAR - 1] + 8), 5);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &b), 0);
	ck_assert_uint_eq(b, a + SIM_PAGE_SIZE);
	sim_world_destroy(w);                  /* far leaves and all */
}
END_TEST

/* Freed PFNs in several leaves come back lowest first, before the bump
 * pointer, for single frames and for alloc_n alike. */
START_TEST(test_free_reuse_lowest_first)
{
	static const unsigned freed[] = { 700, 3, 513, 0x1ff - 0x100, 40 };
	enum { N = 1024, NF = sizeof(freed) / sizeof(freed[0]) };
	struct sim_world *w = sim_world_create(1);
	static uint64_t hpa[N];
	uint64_t got[NF + 2], one;

	for (unsigned i = 0; i < N; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &hpa[i]), 0);
	for (unsigned i = 0; i < NF; i++) {
		sim_mem_frame_put(w, hpa[freed[i]]);
		ck_assert(!sim_mem_present(w, hpa[freed[i]]));
	}
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &one), 0);
	ck_assert_uint_eq(one, hpa[3]);
	ck_assert_int_eq(sim_mem_frames_alloc_n(w, SIM_FRAME_KERNEL, NF + 1, got), 0);
	ck_assert_uint_eq(got[0], hpa[40]);
	ck_assert_uint_eq(got[1], hpa[0x1ff - 0x100]);
	ck_assert_uint_eq(got[2], hpa[513]);
	ck_assert_uint_eq(got[3], hpa[700]);
	ck_assert_uint_eq(got[4], SIM_MEM_BASE + N * SIM_PAGE_SIZE);     /* then the bump */
	ck_assert_uint_eq(got[5], SIM_MEM_BASE + (N + 1) * SIM_PAGE_SIZE);
	ck_assert_int_eq(sim_mem_frame_kind(w, hpa[700]), SIM_FRAME_KERNEL);
	/* the top frames freed highest first: the bump pointer comes back */
	sim_mem_frame_put(w, got[5]);
	sim_mem_frame_put(w, got[4]);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_RAM, &one), 0);
	ck_assert_uint_eq(one, got[4]);
	sim_world_destroy(w);
}
END_TEST

/* Absent frames where the directory has no leaf, a leaf has an empty slot,
 * the top array ends, and a freed frame was: absent to every accessor, and
 * a write there is a DMA's first touch. */
START_TEST(test_directory_holes)
{
	struct sim_world *w = sim_world_create(1);
	uint64_t a, b, holes[5];
	uint8_t buf[SIM_PAGE_SIZE];

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &a), 0);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &b), 0);
	sim_mem_write64(w, PFN_HPA(0x5000), 1);          /* a leaf far above, top grown */
	sim_mem_frame_put(w, a);                          /* a slot emptied */
	holes[0] = a;                                     /* freed */
	holes[1] = b + SIM_PAGE_SIZE;                     /* a slot never used, leaf 0 */
	holes[2] = PFN_HPA(0x2000);                       /* no leaf, inside the top array */
	holes[3] = PFN_HPA(0x5001);                       /* beside the far touch */
	holes[4] = 1ull << 39;                            /* past the top array's end */
	for (unsigned i = 0; i < 5; i++) {
		uint64_t h = holes[i];

		ck_assert_msg(!sim_mem_present(w, h), "hole %u present", i);
		ck_assert_uint_eq(sim_mem_read64(w, h + 8), 0);
		ck_assert_ptr_null(sim_mem_frame_ptr(w, h));
		ck_assert_int_eq(sim_mem_frame_kind(w, h), SIM_FRAME_NR_KINDS);
		ck_assert(!sim_mem_frame_orphaned(w, h));
		memset(buf, 0xee, sizeof(buf));
		ck_assert_int_eq(sim_mem_read(w, h, buf, sizeof(buf)), 0);
		ck_assert_uint_eq(buf[0] | buf[SIM_PAGE_SIZE - 1], 0);
		sim_mem_frame_put(w, h);                  /* absent: ignored */
	}
	ck_assert(sim_mem_present(w, b));
	ck_assert(sim_mem_present(w, PFN_HPA(0x5000)));
	/* a write into each hole makes a RAM frame at exactly that address */
	for (unsigned i = 0; i < 5; i++) {
		sim_mem_write64(w, holes[i] + 16, 0x77 + i);
		ck_assert_int_eq(sim_mem_frame_kind(w, holes[i]), SIM_FRAME_RAM);
		ck_assert_uint_eq(sim_mem_read64(w, holes[i] + 16), 0x77 + i);
	}
	sim_world_destroy(w);
}
END_TEST

/* A frame's storage is made by its first write: before it, the frame reads
 * as zeros and zeros written change nothing; its pointer is zeroed storage
 * the accessors then see. */
START_TEST(test_storage_on_first_write)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t buf[SIM_PAGE_SIZE], zero[SIM_PAGE_SIZE] = { 0 };
	uint64_t a, b;
	uint8_t *p;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &a), 0);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &b), 0);
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(sim_mem_read(w, a, buf, sizeof(buf)), 0);
	ck_assert_int_eq(memcmp(buf, zero, sizeof(buf)), 0);
	sim_mem_write64(w, a + 64, 0);
	ck_assert_int_eq(sim_mem_write(w, a, zero, 100), 0);
	ck_assert_uint_eq(sim_mem_read64(w, a + 64), 0);
	sim_mem_write64(w, a + 64, 0xabcd);
	ck_assert_uint_eq(sim_mem_read64(w, a + 64), 0xabcd);
	sim_mem_write64(w, a + 64, 0);                    /* zeros over real storage */
	ck_assert_uint_eq(sim_mem_read64(w, a + 64), 0);
	sim_mem_write64(w, a + 64, 0xabcd);
	ck_assert_int_eq(sim_mem_write(w, a + 60, zero, 12), 0);
	ck_assert_uint_eq(sim_mem_read64(w, a + 64), 0);
	p = sim_mem_frame_ptr(w, b);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(memcmp(p, zero, SIM_PAGE_SIZE), 0);
	ck_assert_ptr_eq(sim_mem_frame_ptr(w, b), p);     /* made once */
	p[4095] = 0x5a;
	ck_assert_int_eq(sim_mem_read(w, b + 4095, buf, 1), 0);
	ck_assert_int_eq(buf[0], 0x5a);
	ck_assert_uint_eq(sim_mem_resident(w), 2 * SIM_PAGE_SIZE);   /* frames, as before */
	sim_world_destroy(w);
}
END_TEST

/* ---- sim_mem_frames_alloc_n against n single allocations ------------------------- */

/* A world tracing every event into memory. */
struct tworld {
	struct sim_world *w;
	FILE *f;
	char *buf;
	size_t len;
};

static void tworld_open(struct tworld *t)
{
	t->w = sim_world_create(7);
	ck_assert_int_eq(sim_trace_enable(t->w, "*"), 0);
	t->f = open_memstream(&t->buf, &t->len);
	ck_assert_ptr_nonnull(t->f);
	sim_trace_set_output(t->w, t->f, SIM_TRACE_TEXT);
}

/* The trace so far (g_free it); tracing stops. */
static char *tworld_trace(struct tworld *t)
{
	sim_trace_set_output(t->w, NULL, SIM_TRACE_OFF);
	fclose(t->f);
	return t->buf;
}

/* What sim_mem_frames_alloc_n promises to equal: n single allocations, the
 * ones got put back last first when one fails. */
static int alloc_singles(struct sim_world *w, enum sim_frame_kind kind, uint64_t n,
			 uint64_t *hpas)
{
	for (uint64_t i = 0; i < n; i++) {
		int ret = sim_mem_frame_alloc(w, kind, &hpas[i]);

		if (ret) {
			while (i--)
				sim_mem_frame_put(w, hpas[i]);
			return ret;
		}
	}
	return 0;
}

/*
 * A history that leaves every case the allocator has: freed PFNs in the
 * heap across leaves, an alignment gap from a contiguous run, a freed PFN a
 * DMA then claimed (in the heap, but taken), PFNs above the bump pointer a
 * DMA claimed (in the run alloc_n takes, in two leaves).
 */
static void shape(struct sim_world *w)
{
	uint64_t h[40], run;

	for (unsigned i = 0; i < 40; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &h[i]), 0);
	sim_mem_frame_put(w, h[5]);
	sim_mem_frame_put(w, h[16]);
	sim_mem_frame_put(w, h[1]);
	sim_mem_frame_put(w, h[32]);
	ck_assert_int_eq(sim_mem_write(w, h[32] + 3, "d", 1), 0);         /* taken again */
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 16, &run), 0);
	ck_assert_uint_eq(run, PFN_HPA(0x130));                          /* gap 0x128..0x12f */
	ck_assert_int_eq(sim_mem_write(w, PFN_HPA(0x145), "d", 1), 0);
	ck_assert_int_eq(sim_mem_write(w, PFN_HPA(0x1ff), "d", 1), 0);
	ck_assert_int_eq(sim_mem_write(w, PFN_HPA(0x200), "d", 1), 0);
	ck_assert_int_eq(sim_mem_write(w, PFN_HPA(0x3a0), "d", 1), 0);
}

/* Two shaped worlds; @use_n says which allocates with alloc_n.  Returns
 * both results; the traces and statistics are compared by the caller. */
struct pair {
	struct tworld t[2];           /* [0] alloc_n, [1] singles */
	uint64_t *hpas[2];
	int ret[2];
};

static void pair_open(struct pair *p, uint64_t max)
{
	for (unsigned i = 0; i < 2; i++) {
		tworld_open(&p->t[i]);
		shape(p->t[i].w);
		p->hpas[i] = g_new0(uint64_t, max ? max : 1);
	}
}

static void pair_alloc(struct pair *p, enum sim_frame_kind kind, uint64_t n)
{
	p->ret[0] = sim_mem_frames_alloc_n(p->t[0].w, kind, n, p->hpas[0]);
	p->ret[1] = alloc_singles(p->t[1].w, kind, n, p->hpas[1]);
	ck_assert_int_eq(p->ret[0], p->ret[1]);
	if (!p->ret[0])
		ck_assert_int_eq(memcmp(p->hpas[0], p->hpas[1], n * sizeof(uint64_t)), 0);
}

static size_t first_diff(const char *a, const char *b)
{
	size_t k = 0;

	while (a[k] && a[k] == b[k])
		k++;
	return k;
}

/* Everything either world can show must be the same: statistics, fault
 * counters, what the next allocations get, the whole trace.  Closes both. */
static void pair_close_equal(struct pair *p)
{
	struct sim_mem_stats st[2];
	uint64_t next[2][3];
	char *tr[2];

	for (unsigned i = 0; i < 2; i++) {
		struct sim_world *w = p->t[i].w;

		sim_mem_stats(w, &st[i]);
		ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 4, &next[i][0]),
				 0);
		ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &next[i][1]), 0);
		ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &next[i][2]), 0);
		tr[i] = tworld_trace(&p->t[i]);
	}
	ck_assert_int_eq(memcmp(&st[0], &st[1], sizeof(st[0])), 0);
	ck_assert_int_eq(memcmp(next[0], next[1], sizeof(next[0])), 0);
	ck_assert_uint_eq(sim_fault_site_calls(p->t[0].w, "mem_frame_alloc"),
			  sim_fault_site_calls(p->t[1].w, "mem_frame_alloc"));
	ck_assert_uint_eq(sim_fault_calls(p->t[0].w), sim_fault_calls(p->t[1].w));
	ck_assert_uint_eq(sim_fault_injected(p->t[0].w), sim_fault_injected(p->t[1].w));
	ck_assert_uint_eq(strlen(tr[0]), strlen(tr[1]));
	ck_assert_msg(!strcmp(tr[0], tr[1]), "traces differ at byte %zu: ...%.80s",
		      first_diff(tr[0], tr[1]), tr[0] + first_diff(tr[0], tr[1]));
	for (unsigned i = 0; i < 2; i++) {
		free(tr[i]);
		g_free(p->hpas[i]);
		sim_world_destroy(p->t[i].w);
	}
}

/* 1500 frames over the shaped history (heap, gap, claimed PFNs, four
 * leaves): the same HPAs in the same order, the same trace (each frame's
 * sim_frame_alloc event), statistics and what comes next. */
START_TEST(test_alloc_n_equals_singles)
{
	enum { N = 1500 };
	struct pair p;
	struct sim_mem_stats st;

	pair_open(&p, N);
	pair_alloc(&p, SIM_FRAME_USER, N);
	ck_assert_int_eq(p.ret[0], 0);
	ck_assert_uint_eq(p.hpas[0][0], PFN_HPA(0x101));                 /* the heap first */
	ck_assert_uint_eq(p.hpas[0][3], PFN_HPA(0x128));                 /* 0x120 claimed */
	ck_assert_uint_eq(p.hpas[0][10], PFN_HPA(0x12f));
	ck_assert_uint_eq(p.hpas[0][11], PFN_HPA(0x140));                /* then the bump */
	ck_assert_uint_eq(p.hpas[0][16], PFN_HPA(0x146));                /* 0x145 claimed */
	for (unsigned i = 0; i < N; i++)
		ck_assert_int_eq(sim_mem_frame_kind(p.t[0].w, p.hpas[0][i]), SIM_FRAME_USER);
	sim_mem_stats(p.t[0].w, &st);
	ck_assert_uint_eq(st.frames[SIM_FRAME_USER], N);
	ck_assert_uint_eq(sim_fault_site_calls(p.t[0].w, "mem_frame_alloc"),
			  40 + 1 + 1 + 4 + N);                            /* one per frame */
	pair_close_equal(&p);

	/* and in a fresh world, straight from the bump pointer */
	{
		struct sim_world *w = sim_world_create(1);
		uint64_t h[3];

		ck_assert_int_eq(sim_mem_frames_alloc_n(w, SIM_FRAME_KERNEL, 3, h), 0);
		ck_assert_uint_eq(h[0], SIM_MEM_BASE);
		ck_assert_uint_eq(h[2], SIM_MEM_BASE + 2 * SIM_PAGE_SIZE);
		ck_assert_int_eq(sim_mem_frames_alloc_n(w, SIM_FRAME_KERNEL, 0, NULL), 0);
		ck_assert_int_eq(sim_mem_frames_alloc_n(w, SIM_FRAME_NATIVE, 1, h), -EINVAL);
		ck_assert_int_eq(sim_mem_frames_alloc_n(w, SIM_FRAME_NR_KINDS, 1, h), -EINVAL);
		ck_assert_uint_eq(sim_fault_site_calls(w, "mem_frame_alloc"), 3);
		sim_world_destroy(w);
	}
}
END_TEST

/* The budget: all or nothing.  A run the budget cannot hold is refused at
 * the frame past it, as singles would be, and what was made is given back;
 * a run that fits exactly is made. */
START_TEST(test_alloc_n_budget)
{
	struct pair p;
	struct sim_mem_stats before, after;
	uint64_t first, again[5];

	pair_open(&p, 8);
	for (unsigned i = 0; i < 2; i++)
		sim_mem_set_budget(p.t[i].w, sim_mem_resident(p.t[i].w) + 5 * SIM_PAGE_SIZE);
	sim_mem_stats(p.t[0].w, &before);
	pair_alloc(&p, SIM_FRAME_USER, 8);
	ck_assert_int_eq(p.ret[0], -ENOMEM);
	sim_mem_stats(p.t[0].w, &after);
	ck_assert_uint_eq(after.frames_total, before.frames_total);   /* nothing stays */
	ck_assert_uint_eq(after.frames[SIM_FRAME_USER], 0);
	ck_assert_uint_eq(sim_mem_resident(p.t[0].w), before.frames_total * SIM_PAGE_SIZE);
	ck_assert_uint_eq(after.budget_refusals, 1);
	ck_assert_uint_eq(after.allocs - before.allocs, 5);          /* made, then given back */
	ck_assert_uint_eq(after.frees - before.frees, 5);
	first = p.hpas[0][0];
	ck_assert_uint_eq(first, PFN_HPA(0x101));
	/* exactly what fits: the same frames the refused call had */
	ck_assert_int_eq(sim_mem_frames_alloc_n(p.t[0].w, SIM_FRAME_USER, 5, again), 0);
	ck_assert_int_eq(alloc_singles(p.t[1].w, SIM_FRAME_USER, 5, p.hpas[1]), 0);
	ck_assert_int_eq(memcmp(again, p.hpas[1], sizeof(again)), 0);
	ck_assert_uint_eq(again[0], first);
	ck_assert_int_eq(sim_mem_frames_alloc_n(p.t[0].w, SIM_FRAME_USER, 1, again), -ENOMEM);
	ck_assert_int_eq(alloc_singles(p.t[1].w, SIM_FRAME_USER, 1, p.hpas[1]), -ENOMEM);
	for (unsigned i = 0; i < 2; i++)
		sim_mem_set_budget(p.t[i].w, 0);
	pair_close_equal(&p);
}
END_TEST

/* An injected failure at frame k, for every k of a run across a leaf
 * boundary: k questions asked (no more), the same trace (the injection,
 * the frees), nothing left allocated, and the retry gets the frames an
 * undisturbed world gets. */
START_TEST(test_alloc_n_fault_at_k)
{
	enum { N = 24 };
	struct sim_world *clean = sim_world_create(7);
	uint64_t want[N];

	shape(clean);
	ck_assert_int_eq(sim_mem_frames_alloc_n(clean, SIM_FRAME_RAM, N, want), 0);
	sim_world_destroy(clean);
	for (unsigned k = 1; k <= N; k++) {
		struct pair p;
		struct sim_mem_stats before, after;
		unsigned long calls;

		pair_open(&p, N);
		sim_mem_stats(p.t[0].w, &before);
		calls = sim_fault_site_calls(p.t[0].w, "mem_frame_alloc");
		for (unsigned i = 0; i < 2; i++)
			sim_fault_fail_nth(p.t[i].w, "mem_frame_alloc", k);
		pair_alloc(&p, SIM_FRAME_RAM, N);
		ck_assert_int_eq(p.ret[0], -ENOMEM);
		ck_assert_uint_eq(sim_fault_site_calls(p.t[0].w, "mem_frame_alloc") - calls, k);
		sim_mem_stats(p.t[0].w, &after);
		ck_assert_uint_eq(after.frames_total, before.frames_total);
		ck_assert_uint_eq(after.frees - before.frees, k - 1);
		for (unsigned i = 0; i < 2; i++)
			sim_fault_fail_nth(p.t[i].w, NULL, 0);
		pair_alloc(&p, SIM_FRAME_RAM, N);
		ck_assert_int_eq(p.ret[0], 0);
		ck_assert_int_eq(memcmp(p.hpas[0], want, sizeof(want)), 0);
		pair_close_equal(&p);
	}
}
END_TEST

/* Probabilistic injection draws from the world's RNG once per question:
 * alloc_n draws as singles do, so seeded runs agree. */
START_TEST(test_alloc_n_random_faults)
{
	struct pair p;
	unsigned failed = 0;

	pair_open(&p, 300);
	for (unsigned i = 0; i < 2; i++)
		sim_fault_probability(p.t[i].w, "mem_frame_alloc", 4);
	for (unsigned r = 0; r < 30; r++) {
		pair_alloc(&p, r % 2 ? SIM_FRAME_USER : SIM_FRAME_PGTABLE, 10 * r);
		failed += p.ret[0] != 0;
	}
	ck_assert_uint_gt(failed, 0);
	ck_assert_uint_lt(failed, 30);
	for (unsigned i = 0; i < 2; i++)
		sim_fault_fail_nth(p.t[i].w, NULL, 0);
	pair_close_equal(&p);
}
END_TEST

/* Teardown with frames live everywhere: dense and far leaves, storage made
 * and not, a run, a live native frame (the program's page is left alone)
 * and an orphaned one. */
START_TEST(test_destroy_with_frames_live)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *page = mmap(NULL, 2 * SIM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t h[600], run, nat, orph;
	struct sim_mem_stats st;

	ck_assert_ptr_ne(page, MAP_FAILED);
	memcpy(page, "mine", 4);
	ck_assert_int_eq(sim_mem_frames_alloc_n(w, SIM_FRAME_USER, 600, h), 0);
	for (unsigned i = 0; i < 600; i += 3)
		sim_mem_write64(w, h[i], i + 1);
	ck_assert_int_eq(sim_mem_frames_alloc_contig(w, SIM_FRAME_PGTABLE, 64, &run), 0);
	ck_assert_int_eq(sim_mem_frame_native(w, page, &nat), 0);
	ck_assert_int_eq(sim_mem_frame_native(w, page + SIM_PAGE_SIZE, &orph), 0);
	ck_assert_int_eq(munmap(page + SIM_PAGE_SIZE, SIM_PAGE_SIZE), 0);
	ck_assert_int_eq(sim_mem_write(w, orph, "x", 1), 0);
	ck_assert(sim_mem_frame_orphaned(w, orph));
	sim_mem_write64(w, 1ull << 44, 9);
	sim_mem_write64(w, 0xfffffffffffff000ull, 9);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 600 + 64 + 2 + 2);
	sim_world_destroy(w);
	ck_assert_int_eq(memcmp(page, "mine", 4), 0);   /* the program's page, untouched */
	ck_assert_int_eq(munmap(page, SIM_PAGE_SIZE), 0);
}
END_TEST

START_TEST(test_mm_map_and_uaccess)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, 0);
	uint64_t a, b, ro;
	char buf[10000], back[10000];
	struct sim_mem_stats st;

	ck_assert_int_eq(sim_mm_map(p->mm, 8192, SIM_PROT_READ | SIM_PROT_WRITE, "a", &a), 0);
	ck_assert_uint_eq(a, SIM_MM_BASE);
	ck_assert_int_eq(sim_mm_map(p->mm, 1, SIM_PROT_READ | SIM_PROT_WRITE, "b", &b), 0);
	ck_assert_uint_eq(b, SIM_MM_BASE + 8192 + SIM_MM_GAP);
	ck_assert_int_eq(sim_mm_map(p->mm, 4096, SIM_PROT_READ, "ro", &ro), 0);
	ck_assert_int_eq(sim_mm_map(p->mm, 0, SIM_PROT_READ, "z", &ro), -EINVAL);
	ck_assert_int_eq(sim_mm_map(p->mm, 4096, 0x8, "z", &ro), -EINVAL);
	ck_assert_int_eq(sim_mm_map(p->mm, UINT64_MAX, SIM_PROT_READ, "z", &ro), -EINVAL);
	ck_assert_int_eq(sim_mm_map(p->mm, 1ull << 50, SIM_PROT_READ, "z", &ro), -ENOMEM);
	ck_assert_str_eq(sim_mm_find_vma(p->mm, a + 5000)->name, "a");
	ck_assert_ptr_null(sim_mm_find_vma(p->mm, a + 8192));

	/* untouched pages read as zeros without allocating */
	sim_mem_stats(w, &st);
	ck_assert_int_eq(sim_copy_from_user(p, back, a, 8192), 0);
	ck_assert_int_eq(back[0] | back[8191], 0);
	ck_assert_uint_eq(st.frames_total, (sim_mem_stats(w, &st), st.frames_total));
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(sim_copy_to_user(p, a + 100, buf, 8000), 0);
	ck_assert_int_eq(sim_copy_from_user(p, back, a + 100, 8000), 0);
	ck_assert_int_eq(memcmp(buf, back, 8000), 0);
	/* crossing the end of the VMA, the gap, read-only, wrapping */
	ck_assert_int_eq(sim_copy_to_user(p, a + 100, buf, 8100), -EFAULT);
	ck_assert_int_eq(sim_copy_from_user(p, back, a + 8192, 1), -EFAULT);
	ck_assert_int_eq(sim_copy_to_user(p, ro, buf, 1), -EFAULT);
	ck_assert_int_eq(sim_copy_from_user(p, back, ro, 1), 0);
	ck_assert_int_eq(sim_copy_from_user(p, back, UINT64_MAX - 2, 8), -EFAULT);
	ck_assert_int_eq(sim_copy_from_user(p, back, 0, 1), -EFAULT);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_mm_pin)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, 0);
	uint64_t a, ro, hpa, hpa2;
	char c = 0;

	sim_mm_map(p->mm, 8192, SIM_PROT_READ | SIM_PROT_WRITE, "a", &a);
	sim_mm_map(p->mm, 4096, SIM_PROT_READ, "ro", &ro);
	ck_assert_int_eq(sim_mm_pin_page(p, a + 4097, true, &hpa), 0);
	ck_assert_int_eq(sim_mm_pin_page(p, a + 4096, true, &hpa2), 0);
	ck_assert_uint_eq(hpa, hpa2);
	ck_assert_uint_eq(p->mm->pinned, 2);
	ck_assert_int_eq(sim_mm_pin_page(p, ro, true, &hpa2), -EFAULT);
	ck_assert_int_eq(sim_mm_pin_page(p, ro, false, &hpa2), 0);
	ck_assert_int_eq(sim_mm_pin_page(p, a + 8192, false, &hpa2), -EFAULT);
	/* a device write into the pinned frame is what the process reads */
	sim_mem_write(w, hpa + 1, "Z", 1);
	ck_assert_int_eq(sim_copy_from_user(p, &c, a + 4097, 1), 0);
	ck_assert_int_eq(c, 'Z');
	/* unmapping the VMA keeps the pinned frame alive until unpinned */
	ck_assert_int_eq(sim_mm_unmap(p->mm, a), 0);
	ck_assert_int_eq(sim_mm_unmap(p->mm, a), -EINVAL);
	ck_assert(sim_mem_present(w, hpa));
	sim_mm_unpin_page(p->mm, hpa);
	ck_assert(sim_mem_present(w, hpa));
	sim_mm_unpin_page(p->mm, hpa);
	ck_assert(!sim_mem_present(w, hpa));
	sim_mm_unpin_page(p->mm, hpa2);
	ck_assert_uint_eq(p->mm->pinned, 0);
	sim_fault_fail_nth(w, "mm_vma_alloc", 1);
	ck_assert_int_eq(sim_mm_map(p->mm, 1, SIM_PROT_READ, "f", &a), -ENOMEM);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_native_uaccess)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, SIM_PROC_FLAG_NATIVE);
	uint8_t *page = mmap(NULL, 2 * SIM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ro = page + SIM_PAGE_SIZE;
	char local[4] = "abc";
	uint64_t hpa, va;

	mprotect(ro, SIM_PAGE_SIZE, PROT_READ);
	ck_assert_int_eq(sim_copy_to_user(p, (uintptr_t)page, local, 4), 0);
	ck_assert_str_eq((char *)page, "abc");
	ck_assert_int_eq(sim_copy_from_user(p, local, (uintptr_t)page + 1, 3), 0);
	ck_assert_str_eq(local, "bc");
	ck_assert_int_eq(sim_copy_from_user(p, local, 8, 1), -EFAULT);       /* NULL page */
	ck_assert_int_eq(sim_copy_to_user(p, (uintptr_t)ro, local, 1), -EFAULT);
	ck_assert_int_eq(sim_mm_map(p->mm, 10, SIM_PROT_READ, "x", &va), -EINVAL);
	ck_assert_int_eq(sim_mm_pin_page(p, (uintptr_t)ro, true, &hpa), -EFAULT);
	ck_assert_int_eq(sim_mm_pin_page(p, 16, false, &hpa), -EFAULT);
	ck_assert_int_eq(sim_mm_pin_page(p, (uintptr_t)page + 5, true, &hpa), 0);
	sim_mem_write(w, hpa + 5, "D", 1);       /* a device write ... */
	ck_assert_int_eq(page[5], 'D');          /* ... lands in the real page */
	sim_mm_unpin_page(p->mm, hpa);
	sim_world_destroy(w);
	munmap(page, 2 * SIM_PAGE_SIZE);
}
END_TEST

START_TEST(test_fork_copies_memory)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w, 0), *c;
	uint64_t a;
	char v = 0;

	sim_mm_map(p->mm, 4096, SIM_PROT_READ | SIM_PROT_WRITE, "a", &a);
	sim_copy_to_user(p, a, "P", 1);
	c = sim_proc_find(w, sim_proc_fork(w, p->pid));
	ck_assert_ptr_nonnull(c);
	sim_copy_to_user(p, a, "Q", 1);
	ck_assert_int_eq(sim_copy_from_user(c, &v, a, 1), 0);
	ck_assert_int_eq(v, 'P');                /* the child has its own copy */
	/* dup_mm's own allocation failing: no child */
	sim_fault_fail_nth(w, "mm_dup", 1);
	ck_assert_int_eq(sim_proc_fork(w, p->pid), -ENOMEM);
	/* a page that may be pinned is copied at fork: its frame failing
	 * fails the fork, and leaves the parent's page writable in place */
	{
		uint64_t hpa, now;
		bool wr;

		ck_assert_int_eq(sim_mm_pin(p->mm, a, true, &hpa), 0);
		sim_fault_fail_nth(w, "mem_frame_alloc", 1);
		ck_assert_int_eq(sim_proc_fork(w, p->pid), -ENOMEM);
		ck_assert(sim_mm_lookup(p->mm, a, &now, &wr));
		ck_assert_uint_eq(now, hpa);
		ck_assert(wr);
		sim_mm_unpin_page(p->mm, hpa);
	}
	sim_world_destroy(w);
}
END_TEST

/* ---- native frames in batches (sim_mem_frames_native_n / _run) ---------- */

#define PG SIM_PAGE_SIZE
#define BLOCK (2ull << 20)

/* @len bytes of anonymous memory at a 2 MiB boundary, written (the mapping
 * is 2 MiB longer, so that whole blocks lie in it): unmap with unmap_blocks. */
static uint8_t *map_blocks(uint64_t len)
{
	uint8_t *m = mmap(NULL, len + BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	uint8_t *a;

	ck_assert_ptr_ne(m, MAP_FAILED);
	a = (uint8_t *)(((uintptr_t)m + BLOCK - 1) & ~(uintptr_t)(BLOCK - 1));
	/* give back the slack, so only the aligned range stays mapped */
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (a + len < m + len + BLOCK)
		munmap(a + len, (size_t)(m + len + BLOCK - (a + len)));
	memset(a, 0x33, len);
	return a;
}

static uint64_t native_frames_live(struct sim_world *w)
{
	struct sim_mem_stats st;

	sim_mem_stats(w, &st);
	return st.frames[SIM_FRAME_NATIVE];
}

/* Pages that have a frame reuse it (one reference more); the others get
 * the lowest free frames in page order; one fault-site question. */
START_TEST(test_native_n_reuse)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *mem = map_blocks(8 * PG);
	uint64_t h[8], x2, x5, y, calls;

	ck_assert_int_eq(sim_mem_frame_native(w, mem + 2 * PG, &x2), 0);
	ck_assert_int_eq(sim_mem_frame_native(w, mem + 5 * PG, &x5), 0);
	calls = sim_fault_site_calls(w, "mem_frame_alloc");
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 8, false, h), 0);
	ck_assert_uint_eq(sim_fault_site_calls(w, "mem_frame_alloc"), calls + 1);
	ck_assert_uint_eq(h[2], x2);
	ck_assert_uint_eq(h[5], x5);
	ck_assert_uint_eq(h[0], x5 + PG);          /* lowest free, in page order */
	ck_assert_uint_eq(h[1], x5 + 2 * PG);
	ck_assert_uint_eq(h[3], x5 + 3 * PG);
	ck_assert_uint_eq(h[7], x5 + 6 * PG);
	ck_assert_uint_eq(native_frames_live(w), 8);
	/* later single calls find the same frames */
	for (unsigned i = 0; i < 8; i++) {
		ck_assert_int_eq(sim_mem_frame_native(w, mem + i * PG, &y), 0);
		ck_assert_uint_eq(y, h[i]);
		ck_assert_int_eq(sim_mem_frame_kind(w, y), SIM_FRAME_NATIVE);
	}
	/* all backed: no question at all, so an armed fault cannot fail it */
	ck_assert_uint_eq(sim_mem_native_backed(w, mem, 8), 8);
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 8, false, h), 0);
	ck_assert_uint_eq(sim_fault_injected(w), 0);
	sim_fault_fail_nth(w, "mem_frame_alloc", 0);
	/* page 0 holds 3 references, page 2 four */
	for (unsigned r = 0; r < 3; r++) {
		ck_assert(sim_mem_present(w, h[0]));
		sim_mem_frame_put(w, h[0]);
	}
	ck_assert(!sim_mem_present(w, h[0]));
	ck_assert_uint_eq(sim_mem_native_backed(w, mem, 8), 0);
	ck_assert_uint_eq(sim_mem_native_backed(w, mem + PG, 7), 7);
	for (unsigned r = 0; r < 3; r++)
		sim_mem_frame_put(w, h[2]);
	ck_assert(sim_mem_present(w, h[2]));
	sim_mem_frame_put(w, h[2]);
	ck_assert(!sim_mem_present(w, h[2]));
	/* a page whose frame went gets a new one: the lowest free, h[0]'s */
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 1, false, &y), 0);
	ck_assert_uint_eq(y, x2 < h[0] ? x2 : h[0]);
	sim_world_destroy(w);
	munmap(mem, 8 * PG);
}
END_TEST

/* One question per call, all or nothing: a failure takes no reference
 * and makes no frame; a fail-nth past it lets the call through. */
START_TEST(test_native_n_fault_once)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *mem = map_blocks(BLOCK);
	struct sim_mem_stats st;
	uint64_t *h = g_new(uint64_t, 512), x3;

	ck_assert_int_eq(sim_mem_frame_native(w, mem + 3 * PG, &x3), 0);
	for (int thp = 0; thp < 2; thp++) {
		sim_fault_fail_nth(w, "mem_frame_alloc", 1);
		ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 8, thp, h), -ENOMEM);
		ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 512, thp, h), 0);
		sim_mem_stats(w, &st);
		ck_assert_uint_eq(st.frames_total, 512);     /* x3 and 511 more: no folio */
		for (unsigned i = 0; i < 512; i++)
			if (i != 3)
				sim_mem_frame_put(w, h[i]);
		sim_mem_frame_put(w, x3);                    /* the batch's reference */
		sim_mem_stats(w, &st);
		ck_assert_uint_eq(st.frames_total, 1);
		ck_assert_uint_eq(sim_mem_native_backed(w, mem + 3 * PG, 1), 1);
		ck_assert_uint_eq(sim_mem_native_backed(w, mem, 8), 0);
	}
	ck_assert_uint_eq(sim_fault_injected(w), 2);
	/* nothing backed: the failure leaves nothing at all */
	sim_mem_frame_put(w, x3);
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 512, true, h), -ENOMEM);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 0);
	ck_assert_uint_eq(sim_mem_native_backed(w, mem, 512), 0);
	/* one question for a folio of 512 frames */
	ck_assert_uint_eq(sim_fault_calls(w), 1);
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 512, true, h), 0);
	ck_assert_uint_eq(sim_fault_calls(w), 2);
	ck_assert_uint_eq(native_frames_live(w), 512);
	g_free(h);
	sim_world_destroy(w);
	munmap(mem, BLOCK);
}
END_TEST

/* Bad input is refused, never followed. */
START_TEST(test_native_n_bad_input)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *mem = map_blocks(PG);
	uint64_t h[2];
	int err = 0;

	ck_assert_int_eq(sim_mem_frames_native_n(w, NULL, 1, false, h), -EINVAL);
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem + 1, 1, false, h), -EINVAL);
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 1, false, NULL), -EINVAL);
	ck_assert_int_eq(sim_mem_frames_native_n(w, (void *)(UINTPTR_MAX & SIM_PAGE_MASK), 2,
						 false, h), -EINVAL);
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, UINT64_MAX, true, h), -EINVAL);
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 0, true, NULL), 0);
	ck_assert_uint_eq(sim_mem_frames_native_run(w, mem + 5, 1, NULL, NULL, 0, h, &err), 0);
	ck_assert_int_eq(err, -EINVAL);
	ck_assert_uint_eq(sim_mem_frames_native_run(w, mem, 0, NULL, NULL, 0, h, &err), 0);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(sim_mem_native_backed(w, NULL, 4), 0);
	ck_assert_uint_eq(sim_mem_native_backed(w, mem + 1, 4), 0);
	ck_assert_int_eq(sim_mem_frame_native(w, NULL, h), -EINVAL);
	ck_assert_int_eq(sim_mem_frame_native(w, mem, NULL), -EINVAL);
	/* a window that wraps or lies below the range makes no folio */
	ck_assert_uint_eq(sim_mem_frames_native_run(w, mem, 1, (void *)(uintptr_t)BLOCK,
						    (void *)(uintptr_t)(BLOCK / 2), 0, h, &err), 1);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(native_frames_live(w), 1);
	ck_assert_uint_eq(sim_fault_site_calls(w, "mem_frame_alloc"), 1);
	sim_world_destroy(w);
	munmap(mem, PG);
}
END_TEST

/* The batch against single calls, over a history with holes: the same
 * frames, the same trace (one sim_frame_alloc per frame), the same count
 * of trace points with tracing off; only the fault questions differ. */
START_TEST(test_native_n_equals_singles)
{
	enum { N = 700 };
	uint8_t *mem = map_blocks(2 * BLOCK);
	uint64_t *h[2] = { g_new(uint64_t, N), g_new(uint64_t, N) };
	char *text[2];
	size_t len[2];
	unsigned long count[2];

	for (int traced = 0; traced < 2; traced++) {
		for (int batch = 0; batch < 2; batch++) {
			struct sim_world *w = sim_world_create(1);
			FILE *out = open_memstream(&text[batch], &len[batch]);
			uint64_t k[20];

			if (traced) {
				sim_trace_set_output(w, out, SIM_TRACE_TEXT);
				ck_assert_int_eq(sim_trace_enable(w, "sim_frame_*"), 0);
			}
			for (unsigned i = 0; i < 20; i++)
				ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &k[i]), 0);
			for (unsigned i = 0; i < 20; i += 4)
				sim_mem_frame_put(w, k[i]);
			ck_assert_int_eq(sim_mem_frame_native(w, mem + 9 * PG, &k[0]), 0);
			if (batch) {
				ck_assert_int_eq(sim_mem_frames_native_n(w, mem, N, false, h[1]), 0);
				ck_assert_uint_eq(sim_fault_site_calls(w, "mem_frame_alloc"), 22);
			} else {
				for (unsigned i = 0; i < N; i++)
					ck_assert_int_eq(sim_mem_frame_native(w, mem + i * PG,
									      &h[0][i]), 0);
			}
			for (unsigned i = 0; i < N; i++)
				sim_mem_frame_put(w, h[batch][i]);
			count[batch] = sim_trace_count(w);
			sim_world_destroy(w);
			fclose(out);
		}
		ck_assert_str_eq(text[0], text[1]);
		if (traced)
			ck_assert_uint_gt(len[0], 0);
		ck_assert_uint_eq(count[0], count[1]);
		for (unsigned i = 0; i < N; i++)
			ck_assert_uint_eq(h[0][i], h[1][i]);
		/* the holes first */
		ck_assert_uint_eq(h[1][0], SIM_MEM_BASE + 4 * PG);
		free(text[0]);
		free(text[1]);
	}
	g_free(h[0]);
	g_free(h[1]);
	munmap(mem, 2 * BLOCK);
}
END_TEST

static unsigned count_lines(const char *text, const char *word)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, word)); p++)
		n++;
	return n;
}

/* THP: a 2 MiB block wholly in the range is a folio, 512 frames aligned
 * to 2 MiB; consecutive folios follow each other; the PFNs skipped to
 * align stay free; a folio lives while any of its pages is referenced. */
START_TEST(test_native_thp_folio)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *mem = map_blocks(2 * BLOCK);
	uint64_t *h = g_new(uint64_t, 1024), k, y;
	struct sim_mem_stats st;
	char *text;
	size_t len;
	FILE *out = open_memstream(&text, &len);

	sim_trace_set_output(w, out, SIM_TRACE_TEXT);
	ck_assert_int_eq(sim_trace_enable(w, "sim_frame_alloc"), 0);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &k), 0);
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 1024, true, h), 0);
	ck_assert_uint_eq(sim_fault_site_calls(w, "mem_frame_alloc"), 2);
	ck_assert_uint_eq(h[0], (k + BLOCK) & ~(BLOCK - 1));
	for (unsigned i = 0; i < 1024; i++)
		ck_assert_uint_eq(h[i], h[0] + i * PG);
	ck_assert_uint_eq(native_frames_live(w), 1024);
	fflush(out);
	ck_assert_uint_eq(count_lines(text, "sim_frame_alloc"), 1 + 1024);
	/* below the first folio: free, lowest first */
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &y), 0);
	ck_assert_uint_eq(y, k + PG);
	sim_mem_frame_put(w, y);
	/* single calls find the folio's frames; a page's references are its own */
	ck_assert_int_eq(sim_mem_frame_native(w, mem + 700 * PG, &y), 0);
	ck_assert_uint_eq(y, h[700]);
	sim_mem_frame_put(w, y);
	sim_mem_frame_put(w, y);
	ck_assert(sim_mem_present(w, y));          /* the folio holds it */
	/* a put past the callers' references is not the folio's last */
	sim_mem_frame_put(w, y);
	ck_assert(sim_mem_present(w, y));
	/* the first folio goes with its last page's reference, whole */
	for (unsigned i = 0; i < 511; i++)
		sim_mem_frame_put(w, h[i]);
	ck_assert(sim_mem_present(w, h[0]));
	sim_mem_frame_put(w, h[511]);
	for (unsigned i = 0; i < 512; i++)
		ck_assert(!sim_mem_present(w, h[i]));
	ck_assert_uint_eq(native_frames_live(w), 512);
	ck_assert_uint_eq(sim_mem_native_backed(w, mem, 1024), 0);
	ck_assert_uint_eq(sim_mem_native_backed(w, mem + BLOCK, 512), 512);
	/* the second (h[700] was dropped already): the bump pointer comes back */
	for (unsigned i = 512; i < 1024; i++)
		if (i != 700)
			sim_mem_frame_put(w, h[i]);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 1);
	ck_assert_uint_eq(sim_mem_native_backed(w, mem + BLOCK, 512), 0);
	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &y), 0);
	ck_assert_uint_eq(y, k + PG);
	g_free(h);
	sim_world_destroy(w);
	fclose(out);
	free(text);
	munmap(mem, 2 * BLOCK);
}
END_TEST

/* Only whole blocks, and only empty ones, are folios. */
START_TEST(test_native_thp_partial)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *mem = map_blocks(4 * BLOCK);
	uint64_t *h = g_new(uint64_t, 2048), x, base;

	/* half of block 0, block 1, half of block 2 */
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem + 256 * PG, 1024, true, h), 0);
	ck_assert_uint_eq(h[256] & (BLOCK - 1), 0);
	for (unsigned i = 0; i < 512; i++)
		ck_assert_uint_eq(h[256 + i], h[256] + i * PG);
	for (unsigned i = 0; i < 256; i++) {
		ck_assert_uint_lt(h[i], h[256]);
		ck_assert(h[768 + i] < h[256] || h[768 + i] >= h[256] + BLOCK);
	}
	ck_assert_uint_eq(native_frames_live(w), 1024);
	/* block 3 has one frame already: 4 KiB frames for the rest */
	ck_assert_int_eq(sim_mem_frame_native(w, mem + (3 * 512 + 9) * PG, &x), 0);
	ck_assert_int_eq(sim_mem_frames_native_n(w, mem + 3 * BLOCK, 512, true, h), 0);
	ck_assert_uint_eq(h[9], x);
	ck_assert_uint_eq(native_frames_live(w), 1024 + 512);
	base = h[0];
	ck_assert_uint_ne(base & (BLOCK - 1), 0);
	g_free(h);
	sim_world_destroy(w);
	munmap(mem, 4 * BLOCK);
}
END_TEST

/* The run variant: a window reaching past the pages asked for makes the
 * whole block; the run stops after a break, having made nothing past it;
 * a fault after reused pages keeps them. */
START_TEST(test_native_run)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *mem = map_blocks(2 * BLOCK);
	uint64_t h[16], k[8], y, before;
	struct sim_mem_stats st;
	int err;

	ck_assert_uint_eq(sim_mem_frames_native_run(w, mem + 100 * PG, 10, mem, mem + 2 * BLOCK,
						    0, h, &err), 10);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(h[0] & (BLOCK - 1), 100 * PG);
	ck_assert_uint_eq(native_frames_live(w), 512);     /* block 0 only */
	ck_assert_uint_eq(sim_mem_native_backed(w, mem, 600), 512);
	ck_assert_int_eq(sim_mem_frame_native(w, mem, &y), 0);
	ck_assert_uint_eq(y, h[0] - 100 * PG);
	sim_mem_frame_put(w, y);
	/* a first page not following @prev ends the run at once */
	ck_assert_uint_eq(sim_mem_frames_native_run(w, mem + 200 * PG, 5, NULL, NULL, PG, h,
						    &err), 1);
	/* a fault at the first page without a frame: the pages before it stay */
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_uint_eq(sim_mem_frames_native_run(w, mem + 505 * PG, 10, NULL, NULL, 0, h,
						    &err), 7);
	ck_assert_int_eq(err, -ENOMEM);
	ck_assert_uint_eq(sim_fault_injected(w), 1);
	ck_assert_uint_eq(h[6], h[0] + 6 * PG);
	ck_assert_uint_eq(native_frames_live(w), 512);
	sim_fault_fail_nth(w, "mem_frame_alloc", 0);
	for (unsigned i = 0; i < 7; i++)
		sim_mem_frame_put(w, h[i]);
	/* holes below the bump pointer: fresh pages stop at the first break */
	for (unsigned i = 0; i < 8; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_KERNEL, &k[i]), 0);
	sim_mem_frame_put(w, k[2]);
	sim_mem_frame_put(w, k[3]);
	sim_mem_frame_put(w, k[6]);
	sim_mem_stats(w, &st);
	before = st.frames_total;
	ck_assert_uint_eq(sim_mem_frames_native_run(w, mem + BLOCK, 16, NULL, NULL, 0, h, &err),
			  3);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(h[0], k[2]);
	ck_assert_uint_eq(h[1], k[3]);
	ck_assert_uint_eq(h[2], k[6]);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, before + 3);
	for (unsigned i = 0; i < 3; i++) {
		sim_mem_frame_put(w, h[i]);
		ck_assert(!sim_mem_present(w, h[i]));
	}
	sim_world_destroy(w);
	munmap(mem, 2 * BLOCK);
}
END_TEST

/* A folio's page that the program unmaps: its frame is orphaned as any
 * native frame is, and goes with the folio. */
START_TEST(test_native_thp_orphan)
{
	struct sim_world *w = sim_world_create(1);
	uint8_t *mem = map_blocks(BLOCK);
	uint64_t *h = g_new(uint64_t, 512);
	struct sim_mem_stats st;
	char got[4];

	ck_assert_int_eq(sim_mem_frames_native_n(w, mem, 512, true, h), 0);
	ck_assert_int_eq(munmap(mem + 7 * PG, PG), 0);
	ck_assert_int_eq(sim_mem_write(w, h[7] + 4, "dma", 3), 0);
	ck_assert(sim_mem_frame_orphaned(w, h[7]));
	ck_assert_int_eq(sim_mem_read(w, h[7] + 4, got, 3), 0);
	ck_assert_int_eq(memcmp(got, "dma", 3), 0);
	ck_assert_int_eq(sim_mem_write(w, h[8], "ok", 2), 0);
	ck_assert_int_eq(memcmp(mem + 8 * PG, "ok", 2), 0);
	ck_assert_uint_eq(sim_mem_native_backed(w, mem, 512), 7);
	for (unsigned i = 0; i < 512; i++)
		sim_mem_frame_put(w, h[i]);
	sim_mem_stats(w, &st);
	ck_assert_uint_eq(st.frames_total, 0);
	ck_assert_uint_eq(st.native_orphans, 0);
	g_free(h);
	sim_world_destroy(w);
	munmap(mem, BLOCK);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("mem");

	tcase_add_test(tc, test_frames_lowest_free);
	tcase_add_test(tc, test_frames_contig);
	tcase_add_test(tc, test_physical_access);
	tcase_add_test(tc, test_native_frames);
	tcase_add_test(tc, test_native_frame_outlives_munmap);
	tcase_add_test(tc, test_memory_budget);
	tcase_add_test(tc, test_directory_leaf_boundaries);
	tcase_add_test(tc, test_directory_high_pfns);
	tcase_add_test(tc, test_free_reuse_lowest_first);
	tcase_add_test(tc, test_directory_holes);
	tcase_add_test(tc, test_storage_on_first_write);
	tcase_add_test(tc, test_alloc_n_equals_singles);
	tcase_add_test(tc, test_alloc_n_budget);
	tcase_add_test(tc, test_alloc_n_fault_at_k);
	tcase_add_test(tc, test_alloc_n_random_faults);
	tcase_add_test(tc, test_destroy_with_frames_live);
	tcase_add_test(tc, test_mm_map_and_uaccess);
	tcase_add_test(tc, test_mm_pin);
	tcase_add_test(tc, test_native_uaccess);
	tcase_add_test(tc, test_fork_copies_memory);
	tcase_add_test(tc, test_native_n_reuse);
	tcase_add_test(tc, test_native_n_fault_once);
	tcase_add_test(tc, test_native_n_bad_input);
	tcase_add_test(tc, test_native_n_equals_singles);
	tcase_add_test(tc, test_native_thp_folio);
	tcase_add_test(tc, test_native_thp_partial);
	tcase_add_test(tc, test_native_run);
	tcase_add_test(tc, test_native_thp_orphan);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
