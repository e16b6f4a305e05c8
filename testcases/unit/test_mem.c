/* SPDX-License-Identifier: MIT */
/* sim/mem and sim/mm: frames, physical access, address spaces, uaccess, pins. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
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
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_proc_fork(w, p->pid), -ENOMEM);
	sim_world_destroy(w);
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
	tcase_add_test(tc, test_mm_map_and_uaccess);
	tcase_add_test(tc, test_mm_pin);
	tcase_add_test(tc, test_native_uaccess);
	tcase_add_test(tc, test_fork_copies_memory);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
