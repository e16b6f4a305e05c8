/* SPDX-License-Identifier: MIT */
/*
 * sim/mm beyond buffers: mmap / munmap / mprotect with their splits and
 * errors (do_mmap, do_vmi_munmap, do_mprotect_pkey), demand faults,
 * copy-on-write after fork, files and shared memory, exec and exit, mmu
 * notifiers, and the CPU page table (sim/cpu_pgtable) checked against the
 * IOMMU's own first-stage format tables (model/iommu/pgtable).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "sim/cpu_pgtable.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommu/pgtable.h"
#include "unit_common.h"

#define PG SIM_PAGE_SIZE
#define RW (SIM_PROT_READ | SIM_PROT_WRITE)
#define PRIV_ANON (SIM_MAP_PRIVATE | SIM_MAP_ANONYMOUS)

static struct sim_proc *spawn(struct sim_world *w)
{
	struct sim_cred c = { .uid = 1000, .gid = 1000 };

	return sim_proc_find(w, sim_proc_create(w, 1, "p", &c, 0));
}

static uint64_t frames(struct sim_world *w)
{
	struct sim_mem_stats st;

	sim_mem_stats(w, &st);
	return st.frames_total;
}

/* A notifier that writes down what it hears. */
struct rec {
	struct sim_mmu_notifier mn;
	GString *log;
};

static void rec_inv(struct sim_mmu_notifier *mn, struct sim_mm *mm, uint64_t s, uint64_t e)
{
	struct rec *r = (struct rec *)mn;

	(void)mm;
	g_string_append_printf(r->log, "inv %llx-%llx;", (unsigned long long)s,
			       (unsigned long long)e);
}

static void rec_rel(struct sim_mmu_notifier *mn, struct sim_mm *mm)
{
	struct rec *r = (struct rec *)mn;

	g_string_append_printf(r->log, "release(%zu vmas);", mm->nvmas);
}

static const struct sim_mmu_notifier_ops rec_ops = { rec_inv, rec_rel };

static void rec_init(struct rec *r)
{
	r->mn.ops = &rec_ops;
	r->log = g_string_new(NULL);
}

static bool rec_take(struct rec *r, const char *want)
{
	bool ok = !strcmp(r->log->str, want);

	if (!ok)
		fprintf(stderr, "notifier log '%s', wanted '%s'\n", r->log->str, want);
	g_string_truncate(r->log, 0);
	return ok;
}

/* do_mmap's checks in its order, and where mappings go. */
START_TEST(test_mmap_errors_and_placement)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w);
	struct sim_mm *mm = p->mm;
	uint64_t va, b, f;

	/* sys_mmap: an offset off a page */
	ck_assert_int_eq(sim_mm_mmap(mm, 0, PG, RW, PRIV_ANON, NULL, 12, "x", &va), -EINVAL);
	/* ksys_mmap_pgoff: no file for a file mapping */
	ck_assert_int_eq(sim_mm_mmap(mm, 0, PG, RW, SIM_MAP_PRIVATE, NULL, 0, "x", &va), -EBADF);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, 0, RW, PRIV_ANON, NULL, 0, "x", &va), -EINVAL);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, UINT64_MAX, RW, PRIV_ANON, NULL, 0, "x", &va),
			 -ENOMEM);    /* PAGE_ALIGN wraps to 0 */
	ck_assert_int_eq(sim_mm_file_create(w, "f", 4 * PG), 0);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, 2 * PG, RW, SIM_MAP_PRIVATE, sim_mm_file_find(w, "f"),
				     UINT64_MAX & SIM_PAGE_MASK, "x", &va), -EOVERFLOW);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, 1ull << 48, RW, PRIV_ANON, NULL, 0, "x", &va),
			 -ENOMEM);    /* longer than TASK_SIZE */
	ck_assert_int_eq(sim_mm_mmap(mm, SIM_MM_TASK_SIZE, PG, RW, PRIV_ANON | SIM_MAP_FIXED,
				     NULL, 0, "x", &va), -ENOMEM);
	ck_assert_int_eq(sim_mm_mmap(mm, 0x40000001, PG, RW, PRIV_ANON | SIM_MAP_FIXED,
				     NULL, 0, "x", &va), -EINVAL);
	/* neither or both of MAP_SHARED / MAP_PRIVATE */
	ck_assert_int_eq(sim_mm_mmap(mm, 0, PG, RW, SIM_MAP_ANONYMOUS, NULL, 0, "x", &va), -EINVAL);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, PG, RW, 0x0f | SIM_MAP_ANONYMOUS, NULL, 0, "x", &va),
			 -EINVAL);
	ck_assert_uint_eq(mm->nvmas, 0);
	sim_fault_fail_nth(w, "mm_vma_alloc", 1);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, PG, RW, PRIV_ANON, NULL, 0, "x", &va), -ENOMEM);
	ck_assert_uint_eq(mm->nvmas, 0);

	/* deterministic placement, a hint taken when free, a fixed address */
	ck_assert_int_eq(sim_mm_mmap(mm, 0, 3 * PG, RW, PRIV_ANON, NULL, 0, "a", &va), 0);
	ck_assert_uint_eq(va, SIM_MM_BASE);
	ck_assert_int_eq(sim_mm_mmap(mm, SIM_MM_BASE + PG, PG, RW, PRIV_ANON, NULL, 0, "h", &b), 0);
	ck_assert_uint_eq(b, SIM_MM_BASE + 3 * PG + SIM_MM_GAP);   /* the hint was taken */
	ck_assert_int_eq(sim_mm_mmap(mm, 0x50000000, PG, RW, PRIV_ANON, NULL, 0, "h2", &f), 0);
	ck_assert_uint_eq(f, 0x50000000);
	/* MAP_FIXED over the middle of "a": its pages there go, "a" is split */
	ck_assert_int_eq(sim_copy_to_user(p, SIM_MM_BASE + PG, "A", 1), 0);
	ck_assert_int_eq(sim_mm_mmap(mm, SIM_MM_BASE + PG, PG, SIM_PROT_READ,
				     PRIV_ANON | SIM_MAP_FIXED, NULL, 0, "fixed", &va), 0);
	ck_assert_uint_eq(va, SIM_MM_BASE + PG);
	ck_assert_uint_eq(mm->nvmas, 5);
	ck_assert_str_eq(sim_mm_find_vma(mm, SIM_MM_BASE + PG)->name, "fixed");
	ck_assert_str_eq(sim_mm_find_vma(mm, SIM_MM_BASE + 2 * PG)->name, "a");
	{
		char c = 1;

		ck_assert_int_eq(sim_copy_from_user(p, &c, SIM_MM_BASE + PG, 1), 0);
		ck_assert_int_eq(c, 0);     /* a fresh page */
	}
	sim_world_destroy(w);
}
END_TEST

/* munmap splits, skips holes and refuses to cut a huge page. */
START_TEST(test_munmap_split)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w);
	struct sim_mm *mm = p->mm;
	uint64_t va, h, before;
	struct rec r;

	rec_init(&r);
	sim_mmu_notifier_register(mm, &r.mn);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, 8 * PG, RW, PRIV_ANON, NULL, 0, "a", &va), 0);
	ck_assert_int_eq(sim_mm_touch(mm, va, 8 * PG, true), 0);
	before = frames(w);
	ck_assert_int_eq(sim_mm_munmap(mm, va + 1, PG), -EINVAL);
	ck_assert_int_eq(sim_mm_munmap(mm, va, 0), -EINVAL);
	ck_assert_int_eq(sim_mm_munmap(mm, SIM_MM_TASK_SIZE, 2 * PG), -EINVAL);
	ck_assert_int_eq(sim_mm_munmap(mm, va + 2 * PG, 3 * PG - 100), 0);   /* rounds up */
	ck_assert(rec_take(&r, "inv 10002000-10005000;"));
	ck_assert_uint_eq(frames(w), before - 3);
	ck_assert_uint_eq(mm->nvmas, 2);
	ck_assert_ptr_null(sim_mm_find_vma(mm, va + 4 * PG));
	ck_assert_uint_eq(sim_mm_find_vma(mm, va + 6 * PG)->start, va + 5 * PG);
	/* the tail kept its pages and their contents */
	ck_assert(sim_mm_lookup(mm, va + 7 * PG, NULL, NULL));
	ck_assert(!sim_mm_lookup(mm, va + 3 * PG, NULL, NULL));
	/* a range over holes and nothing: fine, no notifier call without a VMA */
	ck_assert_int_eq(sim_mm_munmap(mm, 0x60000000, 16 * PG), 0);
	ck_assert(rec_take(&r, ""));
	/* hugetlb: a cut off the huge-page boundary is refused, nothing done */
	ck_assert_int_eq(sim_mm_map_huge(mm, 2 << 21, RW, "h", SIM_MM_HUGE_2M, &h), 0);
	ck_assert_int_eq(sim_mm_munmap(mm, h + PG, PG), -EINVAL);
	ck_assert_int_eq(sim_mm_munmap(mm, h, 1 << 21), 0);
	ck_assert_uint_eq(sim_mm_find_vma(mm, h + (1 << 21))->start, h + (1 << 21));
	ck_assert(rec_take(&r, "inv 10200000-10400000;"));
	sim_mmu_notifier_unregister(mm, &r.mn);
	g_string_free(r.log, TRUE);
	sim_world_destroy(w);
}
END_TEST

/* mprotect: splits, the hole rule (what came before keeps its change), and
 * the notifier told only when an access goes. */
START_TEST(test_mprotect)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w);
	struct sim_mm *mm = p->mm;
	uint64_t va, b, hpa;
	bool wr;
	struct rec r;

	rec_init(&r);
	sim_mmu_notifier_register(mm, &r.mn);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, 4 * PG, RW, PRIV_ANON, NULL, 0, "a", &va), 0);
	ck_assert_int_eq(sim_mm_touch(mm, va, 4 * PG, true), 0);
	ck_assert_int_eq(sim_mm_mprotect(mm, va + 1, PG, SIM_PROT_READ), -EINVAL);
	ck_assert_int_eq(sim_mm_mprotect(mm, va, 0, SIM_PROT_READ), 0);
	ck_assert_int_eq(sim_mm_mprotect(mm, va, UINT64_MAX - PG, SIM_PROT_READ), -ENOMEM);
	ck_assert_int_eq(sim_mm_mprotect(mm, va, PG, 0x10), -EINVAL);
	ck_assert_int_eq(sim_mm_mprotect(mm, va - PG, PG, SIM_PROT_READ), -ENOMEM);
	ck_assert(rec_take(&r, ""));
	ck_assert_int_eq(sim_mm_mprotect(mm, va + PG, PG, SIM_PROT_READ), 0);
	ck_assert(rec_take(&r, "inv 10001000-10002000;"));
	ck_assert_uint_eq(mm->nvmas, 3);
	ck_assert(sim_mm_lookup(mm, va + PG, &hpa, &wr) && !wr);
	ck_assert_int_eq(sim_copy_to_user(p, va + PG, "x", 1), -EFAULT);
	ck_assert_int_eq(sim_mm_fault(mm, va + PG, true, NULL), -EFAULT);
	ck_assert_int_eq(sim_mm_fault(mm, va + PG, false, NULL), 0);
	/* back to read/write: no access goes, no notifier call */
	ck_assert_int_eq(sim_mm_mprotect(mm, va + PG, PG, RW), 0);
	ck_assert(rec_take(&r, ""));
	ck_assert(sim_mm_lookup(mm, va + PG, NULL, &wr) && wr);
	/* a hole: the VMAs before it keep their new protection */
	ck_assert_int_eq(sim_mm_mmap(mm, va + 6 * PG, PG, RW, PRIV_ANON | SIM_MAP_FIXED, NULL, 0,
				     "b", &b), 0);
	ck_assert_int_eq(sim_mm_mprotect(mm, va, 7 * PG, 0), -ENOMEM);
	ck_assert_uint_eq(sim_mm_find_vma(mm, va + 3 * PG)->prot, 0);
	ck_assert_uint_eq(sim_mm_find_vma(mm, b)->prot, RW);
	ck_assert(!sim_mm_lookup(mm, va, NULL, NULL));     /* PROT_NONE: no translation */
	sim_mmu_notifier_unregister(mm, &r.mn);
	g_string_free(r.log, TRUE);
	sim_world_destroy(w);
}
END_TEST

/* Demand faults: a page exists once touched; access rules per VMA. */
START_TEST(test_demand_faults)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w);
	struct sim_mm *mm = p->mm;
	uint64_t va, ro, hpa, before = frames(w);
	bool wr;

	ck_assert_int_eq(sim_mm_mmap(mm, 0, 4 * PG, RW, PRIV_ANON, NULL, 0, "a", &va), 0);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, PG, SIM_PROT_READ, PRIV_ANON, NULL, 0, "ro", &ro), 0);
	ck_assert_uint_eq(frames(w), before);
	ck_assert(!sim_mm_lookup(mm, va, NULL, NULL));
	ck_assert_int_eq(sim_mm_fault(mm, va + 5, false, &hpa), 0);
	ck_assert(sim_mm_lookup(mm, va, &hpa, &wr) && wr);   /* a new page is mapped writable */
	ck_assert_uint_eq(frames(w), before + 1);
	ck_assert_uint_eq(mm->faults, 1);
	ck_assert_int_eq(sim_mm_fault(mm, va, true, NULL), 0);
	ck_assert_uint_eq(mm->faults, 1);                   /* present: nothing to do */
	ck_assert_int_eq(sim_mm_fault(mm, ro, true, NULL), -EFAULT);
	ck_assert_int_eq(sim_mm_fault(mm, ro, false, NULL), 0);
	ck_assert_int_eq(sim_mm_fault(mm, va + 4 * PG, false, NULL), -EFAULT);   /* the gap */
	ck_assert_int_eq(sim_mm_touch(mm, va + PG, 2 * PG + 1, true), 0);
	ck_assert_uint_eq(frames(w), before + 5);
	ck_assert_int_eq(sim_mm_touch(mm, va + 3 * PG, 2 * PG, false), -EFAULT);
	ck_assert_uint_eq(frames(w), before + 5);      /* the fourth page was there */
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_mm_mmap(mm, 0, PG, RW, PRIV_ANON, NULL, 0, "n", &va), 0);
	ck_assert_int_eq(sim_mm_fault(mm, va, true, NULL), -ENOMEM);
	ck_assert(!sim_mm_lookup(mm, va, NULL, NULL));
	sim_world_destroy(w);
}
END_TEST

/* fork shares private pages copy-on-write; the first write copies, and the
 * last holder takes its page over without a copy. */
START_TEST(test_cow_after_fork)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w), *c;
	uint64_t va, ph, ch, before;
	bool wr;
	char v;
	struct rec r;

	rec_init(&r);
	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, 2 * PG, RW, PRIV_ANON, NULL, 0, "a", &va), 0);
	ck_assert_int_eq(sim_copy_to_user(p, va, "P", 1), 0);
	ck_assert_int_eq(sim_copy_to_user(p, va + PG, "Q", 1), 0);
	sim_mmu_notifier_register(p->mm, &r.mn);
	before = frames(w);
	c = sim_proc_find(w, sim_proc_fork(w, p->pid));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(frames(w), before);           /* nothing copied */
	ck_assert(rec_take(&r, "inv 10000000-10002000;"));   /* the parent write-protected */
	ck_assert(sim_mm_lookup(p->mm, va, &ph, &wr) && !wr);
	ck_assert(sim_mm_lookup(c->mm, va, &ch, &wr) && !wr);
	ck_assert_uint_eq(ph, ch);
	/* the parent writes: a copy, the notifier told */
	ck_assert_int_eq(sim_copy_to_user(p, va, "p", 1), 0);
	ck_assert(rec_take(&r, "inv 10000000-10001000;"));
	ck_assert_uint_eq(frames(w), before + 1);
	ck_assert(sim_mm_lookup(p->mm, va, &ph, &wr) && wr);
	ck_assert_uint_ne(ph, ch);
	ck_assert_int_eq(sim_copy_from_user(c, &v, va, 1), 0);
	ck_assert_int_eq(v, 'P');
	/* the child now holds the old page alone: its write reuses it */
	ck_assert_int_eq(sim_copy_to_user(c, va, "c", 1), 0);
	ck_assert(sim_mm_lookup(c->mm, va, &ph, &wr) && wr);
	ck_assert_uint_eq(ph, ch);
	ck_assert_uint_eq(frames(w), before + 1);
	/* a pin of a page shared since fork unshares it, even for reading */
	ck_assert_int_eq(sim_mm_pin(c->mm, va + PG, false, &ch), 0);
	ck_assert(sim_mm_lookup(p->mm, va + PG, &ph, NULL));
	ck_assert_uint_ne(ph, ch);
	ck_assert_uint_eq(frames(w), before + 2);
	sim_mm_unpin_page(c->mm, ch);
	/* a pinned page is copied at fork: the child never shares it */
	ck_assert_int_eq(sim_mm_pin(c->mm, va + PG, true, &ch), 0);
	{
		struct sim_proc *g = sim_proc_find(w, sim_proc_fork(w, c->pid));
		uint64_t gh;

		ck_assert(sim_mm_lookup(g->mm, va + PG, &gh, &wr) && wr);
		ck_assert_uint_ne(gh, ch);
		ck_assert(sim_mm_lookup(c->mm, va + PG, &gh, &wr) && wr && gh == ch);
		ck_assert_int_eq(sim_copy_from_user(g, &v, va + PG, 1), 0);
		ck_assert_int_eq(v, 'Q');
	}
	sim_mm_unpin_page(c->mm, ch);
	sim_mmu_notifier_unregister(p->mm, &r.mn);
	g_string_free(r.log, TRUE);
	sim_world_destroy(w);
}
END_TEST

/* Files: shared mappings see one page cache; private ones copy on write;
 * a page past the end is SIGBUS; shared anonymous memory survives fork. */
START_TEST(test_files_and_shared_memory)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w), *c;
	struct sim_mobj *f;
	uint64_t sh, pr, an, a, b;
	char buf[4];

	ck_assert_int_eq(sim_mm_file_create(w, "data", 2 * PG - 5), 0);
	ck_assert_int_eq(sim_mm_file_create(w, "data", PG), -EEXIST);
	ck_assert_int_eq(sim_mm_file_create(w, "", PG), -EINVAL);
	ck_assert_int_eq(sim_mm_file_create(w, "z", 0), -EINVAL);
	f = sim_mm_file_find(w, "data");
	ck_assert_uint_eq(f->size, 2 * PG);
	ck_assert_int_eq(sim_mm_file_rw(f, PG, "file", 4, true), 0);
	ck_assert_int_eq(sim_mm_file_rw(f, 2 * PG - 1, buf, 2, false), -EINVAL);
	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, 3 * PG, RW, SIM_MAP_SHARED, f, 0, NULL, &sh), 0);
	ck_assert_str_eq(sim_mm_find_vma(p->mm, sh)->name, "data");
	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, PG, RW, SIM_MAP_PRIVATE, f, PG, NULL, &pr), 0);
	ck_assert_int_eq(sim_copy_from_user(p, buf, sh + PG, 4), 0);
	ck_assert_int_eq(memcmp(buf, "file", 4), 0);
	ck_assert_int_eq(sim_copy_from_user(p, buf, pr, 4), 0);
	ck_assert_int_eq(memcmp(buf, "file", 4), 0);
	ck_assert(sim_mm_lookup(p->mm, pr, &a, NULL));
	ck_assert(sim_mm_lookup(p->mm, sh + PG, &b, NULL));
	ck_assert_uint_eq(a, b);                 /* the page cache's page, read-only */
	ck_assert_int_eq(sim_copy_to_user(p, pr, "priv", 4), 0);
	ck_assert(sim_mm_lookup(p->mm, pr, &a, NULL));
	ck_assert_uint_ne(a, b);                 /* a private copy */
	ck_assert_int_eq(sim_copy_to_user(p, sh + PG, "SHAR", 4), 0);
	ck_assert_int_eq(sim_mm_file_rw(f, PG, buf, 4, false), 0);
	ck_assert_int_eq(memcmp(buf, "SHAR", 4), 0);       /* written through to the file */
	ck_assert_int_eq(sim_copy_from_user(p, buf, pr, 4), 0);
	ck_assert_int_eq(memcmp(buf, "priv", 4), 0);
	/* past the end of the file: SIGBUS for a fault, EFAULT for uaccess
	 * and for a pin (GUP) */
	ck_assert_int_eq(sim_mm_fault(p->mm, sh + 2 * PG, false, NULL), -EIO);
	ck_assert_int_eq(sim_copy_from_user(p, buf, sh + 2 * PG, 1), -EFAULT);
	{
		uint64_t hpa;

		ck_assert_int_eq(sim_mm_pin(p->mm, sh + 2 * PG, false, &hpa), -EFAULT);
	}
	/* shared anonymous memory: one object, seen by the forked child */
	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, PG, RW, SIM_MAP_SHARED | SIM_MAP_ANONYMOUS, NULL,
				     0, "shm", &an), 0);
	ck_assert_int_eq(sim_copy_to_user(p, an, "one", 4), 0);
	c = sim_proc_find(w, sim_proc_fork(w, p->pid));
	ck_assert_int_eq(sim_copy_to_user(c, an, "two", 4), 0);
	ck_assert_int_eq(sim_copy_from_user(p, buf, an, 4), 0);
	ck_assert_str_eq(buf, "two");
	ck_assert_int_eq(sim_copy_from_user(c, buf, sh + PG, 4), 0);
	ck_assert_int_eq(memcmp(buf, "SHAR", 4), 0);
	ck_assert_int_eq(sim_copy_from_user(c, buf, pr, 4), 0);
	ck_assert_int_eq(memcmp(buf, "priv", 4), 0);
	/* the file outlives every mapping; the world frees it */
	sim_proc_exit(w, c->pid);
	sim_proc_exit(w, p->pid);
	ck_assert_int_eq(sim_mm_file_rw(f, PG, buf, 4, false), 0);
	ck_assert_int_eq(memcmp(buf, "SHAR", 4), 0);
	sim_world_destroy(w);
}
END_TEST

/* exit releases the notifiers before the pages go; exec gives a new mm. */
START_TEST(test_exit_exec_release)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w);
	struct sim_mm *old;
	uint64_t va, before = frames(w);
	struct rec r;

	rec_init(&r);
	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, 2 * PG, RW, PRIV_ANON, NULL, 0, "a", &va), 0);
	ck_assert_int_eq(sim_mm_touch(p->mm, va, 2 * PG, true), 0);
	sim_mmu_notifier_register(p->mm, &r.mn);
	old = sim_mm_get(p->mm);
	ck_assert_int_eq(sim_proc_exec(w, p->pid), 0);
	ck_assert(rec_take(&r, "release(1 vmas);"));
	ck_assert_ptr_ne(p->mm, old);
	ck_assert_uint_eq(p->mm->nvmas, 0);
	ck_assert_uint_eq(old->nvmas, 0);          /* torn down; the struct lives */
	ck_assert(!sim_mm_alive(old));
	ck_assert_uint_eq(frames(w), before);
	ck_assert_int_eq(sim_copy_to_user(p, va, "x", 1), -EFAULT);
	sim_mmu_notifier_unregister(old, &r.mn);   /* after release: a no-op */
	sim_mm_put(old);
	g_string_free(r.log, TRUE);
	sim_world_destroy(w);
}
END_TEST

/* Each CPU format's table, made from the pages present and kept in step,
 * read by the IOMMU's own first-stage format tables: the same address and
 * the same write permission for every page. */
static void check_iommu_view(struct sim_world *w, struct sim_mm *mm, uint64_t root,
			     const struct io_pgtable_fmt *fmt, unsigned levels, uint64_t va,
			     uint64_t n)
{
	struct io_pgtable view = { .w = w, .fmt = fmt, .levels = levels, .root = root };

	for (uint64_t i = 0; i < n; i++) {
		struct io_pgtable_walk out;
		uint64_t hpa, cpu;
		bool wr, cwr;
		bool have = sim_mm_lookup(mm, va + i * PG, &hpa, &wr);
		int ret = io_pgtable_lookup(&view, va + i * PG + 8, &out);

		ck_assert(sim_cpt_walk(mm->pgd, va + i * PG + 8, &cpu, &cwr) == have);
		if (!have) {
			ck_assert_int_eq(ret, -ENOENT);
			continue;
		}
		ck_assert_int_eq(ret, 0);
		ck_assert_uint_eq(out.out, hpa + 8);
		ck_assert_uint_eq(cpu, hpa + 8);
		ck_assert(cwr == wr);
		ck_assert(!!(out.prot & IOMMU_WRITE) == wr);
		ck_assert(out.prot & IOMMU_READ);
	}
}

static const struct {
	enum sim_mmu_fmt mmu;
	const struct io_pgtable_fmt *fmt;
	unsigned levels;
} views[] = {
	{ SIM_MMU_X86_64_4L, &io_pgtable_vtd_fs, 4 },
	{ SIM_MMU_X86_64_5L, &io_pgtable_vtd_fs, 5 },
	{ SIM_MMU_ARM64_4K, &io_pgtable_arm_s1, 4 },
	{ SIM_MMU_RISCV_SV39, &io_pgtable_riscv_sv39, 3 },
	{ SIM_MMU_RISCV_SV48, &io_pgtable_riscv_sv48, 4 },
	{ SIM_MMU_RISCV_SV57, &io_pgtable_riscv_sv57, 5 },
};

START_TEST(test_cpu_pgtable_formats)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p, *c;
	uint64_t va, h, root, tables;

	sim_world_set_mmu(w, views[_i].mmu);
	p = spawn(w);
	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, 8 * PG, RW, PRIV_ANON, NULL, 0, "a", &va), 0);
	ck_assert_int_eq(sim_mm_map_huge(p->mm, 2 << 21, RW, "h", SIM_MM_HUGE_2M, &h), 0);
	ck_assert_int_eq(sim_mm_touch(p->mm, va, 3 * PG, true), 0);
	ck_assert_int_eq(sim_mm_touch(p->mm, h + 5 * PG, 1, true), 0);
	ck_assert_int_eq(sim_mm_pgd(p->mm, &root), 0);        /* made from what is there */
	ck_assert_uint_eq(sim_cpt_fmt(p->mm->pgd), views[_i].mmu);
	check_iommu_view(w, p->mm, root, views[_i].fmt, views[_i].levels, va, 8);
	check_iommu_view(w, p->mm, root, views[_i].fmt, views[_i].levels, h, 1024);
	/* kept in step: faults, mprotect, munmap, fork's write-protect, COW */
	ck_assert_int_eq(sim_mm_touch(p->mm, va + 5 * PG, 2 * PG, false), 0);
	ck_assert_int_eq(sim_mm_mprotect(p->mm, va + PG, PG, SIM_PROT_READ), 0);
	ck_assert_int_eq(sim_mm_munmap(p->mm, va + 2 * PG, PG), 0);
	check_iommu_view(w, p->mm, root, views[_i].fmt, views[_i].levels, va, 8);
	c = sim_proc_find(w, sim_proc_fork(w, p->pid));
	check_iommu_view(w, p->mm, root, views[_i].fmt, views[_i].levels, va, 8);
	ck_assert_int_eq(sim_copy_to_user(p, va, "w", 1), 0);
	check_iommu_view(w, p->mm, root, views[_i].fmt, views[_i].levels, va, 8);
	ck_assert_ptr_null(c->mm->pgd);            /* the child's is made when asked for */
	tables = sim_cpt_tables(p->mm->pgd);
	ck_assert_uint_ge(tables, views[_i].levels);
	ck_assert_int_eq(sim_mm_pgd(p->mm, &h), 0);
	ck_assert_uint_eq(h, root);                /* one table per mm */
	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, PG, RW, PRIV_ANON, NULL, 0, "x", &va), 0);
	sim_fault_fail_nth(w, "mem_frame_alloc", 1);
	ck_assert_int_eq(sim_mm_fault(p->mm, va, true, NULL), -ENOMEM);
	/* the page made, its PTE's new table refused: the next fault writes it */
	ck_assert_int_eq(sim_mm_mmap(p->mm, 1ull << 40, PG, RW, PRIV_ANON, NULL, 0, "far", &va),
			 0);
	sim_fault_fail_nth(w, "mem_frame_alloc", 2);
	ck_assert_int_eq(sim_mm_fault(p->mm, va, true, NULL), 0);
	ck_assert(!sim_cpt_walk(p->mm->pgd, va, NULL, NULL));
	ck_assert_int_eq(sim_mm_fault(p->mm, va, false, NULL), 0);
	ck_assert(sim_cpt_walk(p->mm->pgd, va, NULL, NULL) == (va < sim_mmu_va_limit(views[_i].mmu)));
	sim_world_destroy(w);
}
END_TEST

/* The table's own rules: alignment, reach, a large leaf replacing tables. */
START_TEST(test_cpu_pgtable_rules)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_cpu_pgtable *pt = sim_cpt_new(w, SIM_MMU_RISCV_SV39);
	uint64_t hpa, before;
	bool wr;

	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(sim_mmu_name(SIM_MMU_RISCV_SV39), "sv39");
	ck_assert_int_eq(sim_mmu_from_name("arm64-4k"), SIM_MMU_ARM64_4K);
	ck_assert_int_eq(sim_mmu_from_name("pdp11"), -1);
	ck_assert_int_eq(sim_cpt_set(pt, 0x1001, 0x200000, 12, true), -EINVAL);
	ck_assert_int_eq(sim_cpt_set(pt, 0x1000, 0x200000, 13, true), -EINVAL);
	ck_assert_int_eq(sim_cpt_set(pt, 0x200000, 0x201000, 21, true), -EINVAL);
	ck_assert_int_eq(sim_cpt_set(pt, 1ull << 39, 0x200000, 12, true), -ERANGE);
	ck_assert_int_eq(sim_cpt_set(pt, 0x201000, 0x300000, 12, false), 0);
	ck_assert_uint_eq(sim_cpt_tables(pt), 3);
	ck_assert(sim_cpt_walk(pt, 0x201234, &hpa, &wr) && hpa == 0x300234 && !wr);
	before = frames(w);
	sim_fault_fail_nth(w, "mem_frame_alloc", 2);   /* the second new table */
	ck_assert_int_eq(sim_cpt_set(pt, 1ull << 31, 0x400000, 12, true), -ENOMEM);
	ck_assert_uint_eq(frames(w), before);
	ck_assert(!sim_cpt_walk(pt, 1ull << 31, NULL, NULL));
	/* a 2 MiB leaf where a table was: the table goes */
	ck_assert_int_eq(sim_cpt_set(pt, 0x200000, 0x600000, 21, true), 0);
	ck_assert_uint_eq(sim_cpt_tables(pt), 2);
	ck_assert(sim_cpt_walk(pt, 0x201234, &hpa, &wr) && hpa == 0x601234 && wr);
	sim_cpt_clear(pt, 0x200000, 12);          /* not a leaf of that size: nothing */
	ck_assert(sim_cpt_walk(pt, 0x200000, NULL, NULL));
	sim_cpt_clear(pt, 0x200000, 21);
	ck_assert(!sim_cpt_walk(pt, 0x200000, NULL, NULL));
	sim_cpt_free(pt);
	ck_assert_uint_eq(frames(w), before - 3);   /* the root and two tables */
	sim_world_destroy(w);
}
END_TEST

/* Every fault-site failure of fork, mmap FIXED and a COW break leaves the
 * world as it was: the same frames, the same VMAs, the same bytes. */
START_TEST(test_fail_nth_sweeps)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = spawn(w);
	uint64_t va, hpa, root;
	unsigned long nth;

	ck_assert_int_eq(sim_mm_mmap(p->mm, 0, 4 * PG, RW, PRIV_ANON, NULL, 0, "a", &va), 0);
	ck_assert_int_eq(sim_mm_touch(p->mm, va, 4 * PG, true), 0);
	ck_assert_int_eq(sim_mm_pin(p->mm, va, true, &hpa), 0);
	ck_assert_int_eq(sim_mm_pgd(p->mm, &root), 0);
	for (nth = 1;; nth++) {
		uint64_t f0 = frames(w), inj = sim_fault_injected(w);
		size_t n0 = p->mm->nvmas;
		int child;

		sim_fault_fail_nth(w, "*", nth);
		child = sim_proc_fork(w, p->pid);
		sim_fault_fail_nth(w, NULL, 0);
		if (sim_fault_injected(w) == inj) {
			ck_assert_int_gt(child, 0);
			sim_proc_exit(w, child);
			break;
		}
		ck_assert_int_eq(child, -ENOMEM);
		ck_assert_uint_eq(frames(w), f0);
		ck_assert_uint_eq(p->mm->nvmas, n0);
	}
	ck_assert_uint_ge(nth, 3);     /* mm_dup, the pinned page's copy, and on */
	for (nth = 1;; nth++) {
		uint64_t f0 = frames(w), inj = sim_fault_injected(w), got;
		int ret;

		sim_fault_fail_nth(w, "*", nth);
		ret = sim_mm_mmap(p->mm, va + PG, PG, RW, PRIV_ANON | SIM_MAP_FIXED, NULL, 0, "f",
				  &got);
		sim_fault_fail_nth(w, NULL, 0);
		if (sim_fault_injected(w) == inj) {
			ck_assert_int_eq(ret, 0);
			break;
		}
		ck_assert_int_eq(ret, -ENOMEM);
		ck_assert_uint_eq(frames(w), f0);
		ck_assert(sim_mm_lookup(p->mm, va + PG, NULL, NULL));
	}
	sim_mm_unpin_page(p->mm, hpa);
	sim_world_destroy(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sim_mm");
	TCase *tc = tcase_create("mm");

	tcase_add_test(tc, test_mmap_errors_and_placement);
	tcase_add_test(tc, test_munmap_split);
	tcase_add_test(tc, test_mprotect);
	tcase_add_test(tc, test_demand_faults);
	tcase_add_test(tc, test_cow_after_fork);
	tcase_add_test(tc, test_files_and_shared_memory);
	tcase_add_test(tc, test_exit_exec_release);
	tcase_add_loop_test(tc, test_cpu_pgtable_formats, 0, G_N_ELEMENTS(views));
	tcase_add_test(tc, test_cpu_pgtable_rules);
	tcase_add_test(tc, test_fail_nth_sweeps);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
