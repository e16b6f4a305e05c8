/* SPDX-License-Identifier: MIT */
/*
 * sim/ processes, files, device nodes, syscalls and the public wrappers:
 * what test_sim.c does not pin down — fork/exec details, fd-table growth and
 * ordering, the unwinding of every injected failure, syscall context and
 * clock, and the trace lines the syscall layer writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/devnode.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"
#include "unit_common.h"

/* ---- a test device -------------------------------------------------------- */

/* Each file's private_data is its number in the release log. */
static GString *release_log;

static void log_release(struct sim_file *f)
{
	if (release_log)
		g_string_append_printf(release_log, "%d;", GPOINTER_TO_INT(f->private_data));
}

static int seen_pid;     /* current pid inside the last operation */

/* cmd 1: return arg; cmd 2: close the fd given in arg (the caller's own fd). */
static long t_ioctl(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
		    unsigned long arg)
{
	seen_pid = sim_current_pid(f->w);
	if (cmd == 2)
		return sim_fd_close(p, (int)arg);
	return (long)arg;
}

static long t_read(struct sim_file *f, struct sim_proc *p, void *buf, size_t n,
		   uint64_t off)
{
	seen_pid = sim_current_pid(f->w);
	memset(buf, 'x', n);
	return (long)(n + off);
}

static long t_write(struct sim_file *f, struct sim_proc *p, const void *buf,
		    size_t n, uint64_t off)
{
	return (long)n;
}

static const struct sim_file_ops t_fops = {
	.name = "t", .ioctl = t_ioctl, .read = t_read, .write = t_write,
	.release = log_release,
};

static int t_open(struct sim_devnode *n, struct sim_proc *p, int oflags,
		  struct sim_file **out)
{
	*out = sim_file_new(p->w, &t_fops, n->priv, oflags, n->path);
	return *out ? 0 : -ENOMEM;
}

static const struct sim_devnode_ops t_ops = { .open = t_open };

static struct sim_file *tfile(struct sim_world *w, int tag)
{
	return sim_file_new(w, &t_fops, GINT_TO_POINTER(tag), O_RDWR, NULL);
}

static int spawn_as(struct sim_world *w, const char *name, uint32_t uid, uint32_t gid,
		    uint64_t caps)
{
	struct sim_cred c = { .uid = uid, .gid = gid, .caps = caps };

	return sim_proc_create(w, 1, name, &c, 0);
}

static void setup(void)
{
	release_log = g_string_new(NULL);
	seen_pid = -1;
}

static void teardown(void)
{
	g_string_free(release_log, TRUE);
	release_log = NULL;
}

/* ---- processes -------------------------------------------------------------- */

START_TEST(test_create_names)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_cred c = { .uid = 3, .gid = 4, .caps = SIM_CAP_BIT(SIM_CAP_CHOWN) };
	struct sim_proc *p;
	int pid;

	pid = sim_proc_create(w, 0, NULL, &c, 0);     /* no parent, default name */
	p = sim_proc_find(w, pid);
	ck_assert_str_eq(p->name, "proc");
	ck_assert_int_eq(p->ppid, 0);
	ck_assert_uint_eq(p->cred.gid, 4);
	ck_assert_uint_eq(p->rlimit_memlock, 8u << 20);
	ck_assert_int_eq(sim_fd_count(p), 0);
	pid = sim_proc_create(w, pid, "0123456789abcdefXYZ", &c, 0);
	ck_assert_str_eq(sim_proc_find(w, pid)->name, "0123456789abcde");
	ck_assert_int_eq(sim_proc_find(w, pid)->ppid, 2);
	ck_assert_ptr_null(sim_proc_find(w, -4));
	ck_assert_ptr_null(sim_proc_find(w, 40000));
	for (int cap = 0; cap <= SIM_CAP_LAST; cap++) {
		const char *name = sim_cap_name(cap);
		if (name)
			ck_assert_int_eq(sim_cap_from_name(name), cap);
	}
	ck_assert_int_eq(sim_cap_from_name("Cap_Dac_Override"), SIM_CAP_DAC_OVERRIDE);
	ck_assert_int_eq(sim_cap_from_name("CAP_"), -1);
	ck_assert_int_eq(sim_cap_from_name(""), -1);
	ck_assert_ptr_null(sim_cap_name(-1));
	sim_world_destroy(w);
}
END_TEST

static int count_all(struct sim_proc *p, void *ctx)
{
	g_string_append_printf(ctx, "%d;", p->pid);
	return 0;
}

START_TEST(test_for_each_skips_holes)
{
	struct sim_world *w = sim_world_create(1);
	GString *s = g_string_new(NULL);

	for (int i = 0; i < 4; i++)
		spawn_as(w, "p", 1, 1, 0);
	sim_proc_exit(w, 3);
	ck_assert_int_eq(sim_proc_for_each(w, count_all, s), 0);
	ck_assert_str_eq(s->str, "1;2;4;5;");
	g_string_free(s, TRUE);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_fork_copies)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "parent", 7, 8, SIM_CAP_BIT(SIM_CAP_IPC_LOCK)), child;
	struct sim_proc *p = sim_proc_find(w, pid), *c;
	struct sim_file *a = tfile(w, 1), *b = tfile(w, 2);

	p->rlimit_memlock = 12345;
	ck_assert_int_eq(sim_fd_install(p, a, true), 3);
	ck_assert_int_eq(sim_fd_install(p, b, false), 4);
	ck_assert_int_eq(sim_fd_install(p, a, false), 5);
	sim_fd_close(p, 4);
	child = sim_proc_fork(w, pid);
	c = sim_proc_find(w, child);
	ck_assert_int_eq(c->ppid, pid);
	ck_assert_str_eq(c->name, "parent");
	ck_assert_uint_eq(c->cred.uid, 7);
	ck_assert_uint_eq(c->cred.gid, 8);
	ck_assert_uint_eq(c->cred.caps, SIM_CAP_BIT(SIM_CAP_IPC_LOCK));
	ck_assert_uint_eq(c->rlimit_memlock, 12345);
	ck_assert_ptr_eq(sim_fd_get(c, 3), a);
	ck_assert_ptr_null(sim_fd_get(c, 4));         /* the hole is kept */
	ck_assert_ptr_eq(sim_fd_get(c, 5), a);
	ck_assert(c->fds[3].cloexec);
	ck_assert(!c->fds[5].cloexec);
	ck_assert_uint_eq(a->refcount, 5);            /* ours + 2 parent + 2 child */
	/* the child's table is its own */
	ck_assert_int_eq(sim_fd_close(c, 5), 0);
	ck_assert_ptr_eq(sim_fd_get(p, 5), a);
	/* exec only touches the process it is called on */
	ck_assert_int_eq(sim_proc_exec(w, child), 0);
	ck_assert_ptr_null(sim_fd_get(c, 3));
	ck_assert_ptr_eq(sim_fd_get(p, 3), a);
	ck_assert_int_eq(sim_proc_exec(w, child), 0); /* idempotent */
	sim_file_put(a);
	sim_file_put(b);
	ck_assert_str_eq(release_log->str, "2;");
	sim_world_destroy(w);
	ck_assert_str_eq(release_log->str, "2;1;");
}
END_TEST

/* __ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS), kernel/ptrace.c, in its
 * order: self, then matching real ids or CAP_SYS_PTRACE, then dumpability
 * (which CAP_SYS_PTRACE overrides too). */
START_TEST(test_ptrace_may_access)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *alice = sim_proc_find(w, spawn_as(w, "alice", 1000, 1000, 0));
	struct sim_proc *alice2 = sim_proc_find(w, spawn_as(w, "alice2", 1000, 1000, 0));
	struct sim_proc *bob = sim_proc_find(w, spawn_as(w, "bob", 1001, 1000, 0));
	struct sim_proc *grp = sim_proc_find(w, spawn_as(w, "grp", 1000, 1001, 0));
	struct sim_proc *tracer = sim_proc_find(w, spawn_as(w, "tracer", 1001, 1001,
							    SIM_CAP_BIT(SIM_CAP_SYS_PTRACE)));
	struct sim_proc *init = sim_proc_find(w, 1);

	ck_assert_int_eq(sim_ptrace_may_access(alice, alice), 0);
	ck_assert_int_eq(sim_ptrace_may_access(alice, alice2), 0);     /* same ids */
	ck_assert_int_eq(sim_ptrace_may_access(bob, alice), -EPERM);   /* uid differs */
	ck_assert_int_eq(sim_ptrace_may_access(grp, alice), -EPERM);   /* gid differs */
	ck_assert_int_eq(sim_ptrace_may_access(tracer, alice), 0);     /* CAP_SYS_PTRACE */
	ck_assert_int_eq(sim_ptrace_may_access(init, alice), 0);       /* root has it */
	ck_assert_int_eq(sim_ptrace_may_access(alice, init), -EPERM);
	ck_assert_int_eq(sim_ptrace_may_access(NULL, alice), -EPERM);
	/* prctl(PR_SET_DUMPABLE, 0): the ids match, the mm still refuses */
	alice2->mm->dumpable = SIM_DUMP_DISABLE;
	ck_assert_int_eq(sim_ptrace_may_access(alice, alice2), -EPERM);
	ck_assert_int_eq(sim_ptrace_may_access(alice2, alice2), 0);    /* itself: fine */
	ck_assert_int_eq(sim_ptrace_may_access(tracer, alice2), 0);
	alice2->mm->dumpable = SIM_DUMP_ROOT;                           /* suid_dumpable=2 */
	ck_assert_int_eq(sim_ptrace_may_access(alice, alice2), -EPERM);
	/* fork copies mm->flags, so the child of a non-dumpable mm is one too */
	{
		struct sim_proc *c = sim_proc_find(w, sim_proc_fork(w, alice2->pid));
		ck_assert_uint_eq(c->mm->dumpable, SIM_DUMP_ROOT);
		ck_assert_int_eq(sim_ptrace_may_access(alice, c), -EPERM);
	}
	sim_world_destroy(w);
}
END_TEST

/* mm_access (kernel/fork.c): the task's mm with an mm_users reference, NULL
 * once it has none, EACCES when ptrace refuses and the mm is not ours. */
START_TEST(test_mm_access)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *alice = sim_proc_find(w, spawn_as(w, "alice", 1000, 1000, 0));
	int bob_pid = spawn_as(w, "bob", 1001, 1001, 0);
	struct sim_proc *bob = sim_proc_find(w, bob_pid);
	struct sim_mm *mm = (struct sim_mm *)1, *bob_mm = bob->mm;

	ck_assert_int_eq(sim_mm_access(alice, alice, &mm), 0);
	ck_assert_ptr_eq(mm, alice->mm);
	ck_assert_uint_eq(mm->users, 2);
	sim_mm_exit(mm);
	ck_assert_uint_eq(alice->mm->users, 1);
	ck_assert_int_eq(sim_mm_access(alice, bob, &mm), -EACCES);
	ck_assert_ptr_null(mm);
	ck_assert_uint_eq(bob_mm->users, 1);                 /* the mmget undone */
	ck_assert_uint_eq(bob_mm->refcount, 1);
	ck_assert_int_eq(sim_mm_access(sim_proc_find(w, 1), bob, &mm), 0);
	ck_assert_ptr_eq(mm, bob_mm);
	/* bob exits while we hold a user: the mm stays in use, ours to put */
	ck_assert_int_eq(sim_proc_exit(w, bob_pid), 0);
	ck_assert_uint_eq(mm->users, 1);
	ck_assert(sim_mm_alive(mm));
	sim_mm_get(mm);                                      /* keep the struct to look */
	sim_mm_exit(mm);
	ck_assert(!sim_mm_alive(mm));
	ck_assert(!sim_mm_get_user(mm));                     /* mmget_not_zero fails */
	ck_assert_uint_eq(mm->refcount, 1);
	sim_mm_put(mm);
	ck_assert_int_eq(sim_mm_access(alice, NULL, &mm), 0);   /* no task, no mm */
	ck_assert_ptr_null(mm);
	ck_assert(!sim_mm_get_user(NULL));
	sim_world_destroy(w);
}
END_TEST

/* get_task_struct / put_task_struct: a task outlives its exit while
 * referenced, its pid goes back to the allocator, and the leak report names
 * the holder of every reference never put (the 2017 RFC's BIND_TASK error
 * path, seed 003). */
START_TEST(test_task_refs_and_leaks)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "victim", 1000, 1000, 0), again;
	struct sim_proc *p = sim_proc_find(w, pid);
	char *leaks;

	ck_assert_ptr_null(sim_task_leaks(w));
	ck_assert_ptr_eq(sim_task_get(p, "VFIO_DEVICE_BIND_TASK"), p);
	sim_task_get(p, "VFIO_DEVICE_BIND_TASK");
	sim_task_get(p, "iommu_bind_task");
	ck_assert_uint_eq(p->usage, 3);
	sim_task_put(p, "iommu_bind_task");
	leaks = sim_task_leaks(w);
	ck_assert_str_eq(leaks, "task 'victim' (pid 2): 2 references taken by "
			 "VFIO_DEVICE_BIND_TASK never put");
	g_free(leaks);
	/* it exits: no longer found, its mm gone, its pid free for the next */
	ck_assert_int_eq(sim_proc_exit(w, pid), 0);
	ck_assert_ptr_null(sim_proc_find(w, pid));
	ck_assert(p->exited);
	ck_assert_ptr_null(p->mm);
	again = spawn_as(w, "newcomer", 1000, 1000, 0);
	ck_assert_int_eq(again, pid);
	sim_task_put(p, "VFIO_DEVICE_BIND_TASK");
	leaks = sim_task_leaks(w);
	ck_assert_str_eq(leaks, "task 'victim' (pid 2): 1 reference taken by "
			 "VFIO_DEVICE_BIND_TASK never put");
	g_free(leaks);
	ck_assert_ptr_null(sim_task_get(NULL, "x"));
	sim_task_put(NULL, "x");
	sim_task_put(p, "VFIO_DEVICE_BIND_TASK");     /* the last: the zombie goes */
	ck_assert_ptr_null(sim_task_leaks(w));
	/* a zombie still referenced at world teardown is freed with it */
	sim_task_get(sim_proc_find(w, again), "leaked");
	ck_assert_int_eq(sim_proc_exit(w, again), 0);
	leaks = sim_task_leaks(w);
	ck_assert_str_eq(leaks, "task 'newcomer' (pid 2): 1 reference taken by leaked never put");
	g_free(leaks);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_fork_of_fdless_and_faults)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "p", 1, 1, 0), child;
	struct sim_file *f = tfile(w, 1);

	child = sim_proc_fork(w, pid);
	ck_assert_int_eq(child, 3);
	ck_assert_int_eq(sim_proc_find(w, child)->nfds, 0);
	sim_proc_exit(w, child);
	ck_assert_int_eq(sim_fd_install(sim_proc_find(w, pid), f, false), 3);
	/* fail-nth sweep over fork: each failure leaves the world as it was */
	for (unsigned long nth = 1;; nth++) {
		unsigned long injected = sim_fault_injected(w);

		sim_fault_fail_nth(w, "*", nth);
		child = sim_proc_fork(w, pid);
		sim_fault_fail_nth(w, NULL, 0);
		if (sim_fault_injected(w) == injected) {
			ck_assert_int_eq(child, 3);
			break;
		}
		ck_assert_int_eq(child, -ENOMEM);
		ck_assert_ptr_null(sim_proc_find(w, 3));
		ck_assert_uint_eq(f->refcount, 2);
		ck_assert_int_eq(spawn_as(w, "probe", 1, 1, 0), 3);  /* pid 3 was freed */
		sim_proc_exit(w, 3);
	}
	ck_assert_uint_eq(f->refcount, 3);
	sim_file_put(f);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_exit_closes_in_order)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "p", 1, 1, 0);
	struct sim_proc *p = sim_proc_find(w, pid);

	for (int tag = 1; tag <= 40; tag++) {   /* past the first table growth */
		struct sim_file *f = tfile(w, tag);
		ck_assert_int_eq(sim_fd_install(p, f, false), tag + 2);
		sim_file_put(f);
	}
	ck_assert_int_ge(p->nfds, 43);
	ck_assert_int_eq(sim_fd_count(p), 40);
	sim_fd_close(p, 10);
	sim_fd_close(p, 5);
	{
		struct sim_file *f = tfile(w, 99);
		ck_assert_int_eq(sim_fd_install(p, f, false), 5);   /* lowest free */
		sim_file_put(f);
	}
	g_string_truncate(release_log, 0);
	ck_assert_int_eq(sim_proc_exit(w, pid), 0);
	ck_assert(g_str_has_prefix(release_log->str, "1;2;99;4;5;6;7;9;10;"));
	ck_assert(g_str_has_suffix(release_log->str, ";39;40;"));
	ck_assert_uint_eq(sim_file_live(w), 0);
	ck_assert_int_eq(sim_proc_exit(w, pid), -ESRCH);
	ck_assert_int_eq(sim_proc_exit(w, 0), -ESRCH);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_fd_table_faults)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p = sim_proc_find(w, spawn_as(w, "p", 1, 1, 0));
	struct sim_file *f = tfile(w, 1);

	sim_fault_fail_nth(w, "fd_alloc", 1);
	ck_assert_int_eq(sim_fd_install(p, f, false), -ENOMEM);
	ck_assert_uint_eq(f->refcount, 1);          /* no reference taken */
	ck_assert_int_eq(sim_fd_count(p), 0);
	ck_assert_int_eq(sim_fd_install(p, f, false), 3);
	ck_assert_int_eq(sim_fd_close(p, -1), -EBADF);
	ck_assert_int_eq(sim_fd_close(p, 0), -EBADF);       /* stdio stand-ins */
	ck_assert_int_eq(sim_fd_close(p, SIM_FD_MAX), -EBADF);
	sim_file_put(f);
	/* proc_alloc failure: the pid is not consumed */
	sim_fault_fail_nth(w, "proc_alloc", 1);
	ck_assert_int_eq(spawn_as(w, "q", 1, 1, 0), -ENOMEM);
	ck_assert_int_eq(spawn_as(w, "q", 1, 1, 0), 3);
	sim_world_destroy(w);
}
END_TEST

/* ---- files ------------------------------------------------------------------ */

START_TEST(test_file_refs_and_serials)
{
	struct sim_world *w = sim_world_create(1), *w2 = sim_world_create(1);
	struct sim_file *a = tfile(w, 1), *b, *c, *d;

	b = sim_file_new(w, NULL, NULL, O_RDONLY, NULL);   /* no ops at all */
	c = sim_file_new(w, &(struct sim_file_ops){ .name = NULL }, NULL, 0, NULL);
	d = tfile(w2, 4);
	ck_assert_str_eq(a->path, "t");
	ck_assert_str_eq(b->path, "anon");
	ck_assert_str_eq(c->path, "anon");
	ck_assert_uint_eq(a->serial, 1);
	ck_assert_uint_eq(b->serial, 2);
	ck_assert_uint_eq(c->serial, 3);
	ck_assert_uint_eq(d->serial, 1);                   /* per world */
	ck_assert_uint_eq(sim_file_live(w), 3);
	ck_assert_uint_eq(sim_file_live(w2), 1);
	ck_assert_ptr_eq(sim_file_get(a), a);
	sim_file_put(a);
	ck_assert_str_eq(release_log->str, "");
	sim_file_put(a);
	sim_file_put(b);
	sim_file_put(c);
	ck_assert_str_eq(release_log->str, "1;");
	ck_assert_uint_eq(sim_file_live(w), 0);
	/* file_alloc failure: nothing counted, serial not consumed */
	sim_fault_fail_nth(w, "file_alloc", 1);
	ck_assert_ptr_null(tfile(w, 5));
	ck_assert_uint_eq(sim_file_live(w), 0);
	a = tfile(w, 6);
	ck_assert_uint_eq(a->serial, 4);
	sim_file_put(a);
	sim_file_put(d);
	sim_world_destroy(w);
	sim_world_destroy(w2);
}
END_TEST

/* ---- device nodes ------------------------------------------------------------- */

static int stop_at_second(struct sim_devnode *n, void *ctx)
{
	return ++*(int *)ctx == 2 ? -42 : 0;
}

START_TEST(test_devnode_details)
{
	struct sim_world *w = sim_world_create(1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int visited = 0;
	struct sim_devnode *n;

	sim_trace_set_output(w, out, SIM_TRACE_TEXT);
	ck_assert_int_eq(sim_trace_enable(w, "sim_devnode_*"), 0);
	ck_assert_int_eq(sim_devnode_add(w, "/b", 1, 2, 0100640, &t_ops, NULL), 0);
	n = sim_devnode_lookup(w, "/b");
	ck_assert_uint_eq(n->mode, 0640);              /* file type bits dropped */
	ck_assert_ptr_eq(n->ops, &t_ops);
	ck_assert_int_eq(sim_devnode_add(w, "/a", 0, 0, 0600, &t_ops, NULL), 0);
	ck_assert_int_eq(sim_devnode_add(w, "", 0, 0, 0600, &t_ops, NULL), -EINVAL);
	ck_assert_int_eq(sim_devnode_chown(w, "/b", 5, 6), 0);
	ck_assert_int_eq(sim_devnode_chmod(w, "/b", 0104604), 0);
	ck_assert_uint_eq(n->mode, 04604);
	ck_assert_int_eq(sim_devnode_remove(w, "/b"), 0);
	ck_assert_int_eq(sim_devnode_remove(w, NULL), -ENOENT);
	ck_assert_ptr_null(sim_devnode_lookup(w, NULL));
	ck_assert_ptr_null(sim_devnode_lookup(w, "/b"));
	fflush(out);
	ck_assert_str_eq(buf,
		"          kernel-0     [000]     0.000000: sim_devnode_add: path=/b uid=1 gid=2 mode=0640\n"
		"          kernel-0     [000]     0.000000: sim_devnode_add: path=/a uid=0 gid=0 mode=0600\n"
		"          kernel-0     [000]     0.000000: sim_devnode_attr: path=/b uid=5 gid=6 mode=0640\n"
		"          kernel-0     [000]     0.000000: sim_devnode_attr: path=/b uid=5 gid=6 mode=04604\n"
		"          kernel-0     [000]     0.000000: sim_devnode_del: path=/b\n");
	sim_devnode_add(w, "/c", 0, 0, 0600, &t_ops, NULL);
	sim_devnode_add(w, "/d", 0, 0, 0600, &t_ops, NULL);
	ck_assert_int_eq(sim_devnode_for_each(w, stop_at_second, &visited), -42);
	ck_assert_int_eq(visited, 2);
	sim_world_destroy(w);
	fclose(out);
	free(buf);
}
END_TEST

START_TEST(test_devnode_permission_matrix)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *owner, *member, *other, *dac;
	struct sim_devnode *n;

	sim_devnode_add(w, "/n", 100, 200, 0, &t_ops, NULL);
	n = sim_devnode_lookup(w, "/n");
	owner = sim_proc_find(w, spawn_as(w, "o", 100, 999, 0));
	member = sim_proc_find(w, spawn_as(w, "m", 101, 200, 0));
	other = sim_proc_find(w, spawn_as(w, "x", 102, 201, 0));
	/* a non-root process with CAP_DAC_OVERRIDE passes any mode */
	dac = sim_proc_find(w, spawn_as(w, "d", 103, 203, SIM_CAP_BIT(SIM_CAP_DAC_OVERRIDE)));
	ck_assert_int_eq(sim_devnode_permission(n, dac, O_RDWR), 0);
	/* root without the capability is an ordinary "other" */
	ck_assert_int_eq(sim_devnode_permission(n, sim_proc_find(w, spawn_as(w, "r", 0, 0, 0)),
						O_RDONLY), -EACCES);
	for (uint32_t bits = 0; bits < 8; bits++) {
		bool r = bits & 4, wr = bits & 2;

		/* the class bits are @bits; the other classes get everything */
		sim_devnode_chmod(w, "/n", (bits << 6) | 077);
		ck_assert_int_eq(sim_devnode_permission(n, owner, O_RDONLY), r ? 0 : -EACCES);
		ck_assert_int_eq(sim_devnode_permission(n, owner, O_WRONLY), wr ? 0 : -EACCES);
		ck_assert_int_eq(sim_devnode_permission(n, owner, O_RDWR), r && wr ? 0 : -EACCES);
		sim_devnode_chmod(w, "/n", (bits << 3) | 0707);
		ck_assert_int_eq(sim_devnode_permission(n, member, O_RDONLY), r ? 0 : -EACCES);
		ck_assert_int_eq(sim_devnode_permission(n, member, O_WRONLY), wr ? 0 : -EACCES);
		ck_assert_int_eq(sim_devnode_permission(n, member, O_RDWR | O_CLOEXEC),
				 r && wr ? 0 : -EACCES);
		sim_devnode_chmod(w, "/n", bits | 0770);
		ck_assert_int_eq(sim_devnode_permission(n, other, O_RDONLY), r ? 0 : -EACCES);
		ck_assert_int_eq(sim_devnode_permission(n, other, O_RDWR), r && wr ? 0 : -EACCES);
		ck_assert_int_eq(sim_devnode_permission(n, dac, O_RDWR), 0);
	}
	sim_world_destroy(w);
}
END_TEST

/* ---- syscalls --------------------------------------------------------------- */

START_TEST(test_sys_context_and_clock)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "u", 1, 1, 0);
	char buf[4];
	long fd;

	sim_devnode_add(w, "/t", 0, 0, 0666, &t_ops, GINT_TO_POINTER(1));
	sim_set_current(w, 1);                       /* a caller already in context */
	fd = sim_sys_open(w, pid, "/t", O_RDWR);
	ck_assert_uint_eq(sim_now(w), SIM_SYSCALL_NS);
	ck_assert_int_eq(sim_sys_ioctl_ul(w, pid, (int)fd, 1, 5), 5);
	ck_assert_int_eq(seen_pid, pid);
	ck_assert_int_eq(sim_sys_pread_k(w, pid, (int)fd, buf, sizeof(buf), 3), 7);
	ck_assert_int_eq(seen_pid, pid);
	ck_assert_int_eq(sim_current_pid(w), 1);     /* restored, not zeroed */
	ck_assert_uint_eq(sim_now(w), 3 * SIM_SYSCALL_NS);
	/* failing entries still cost a syscall and leave the context alone */
	ck_assert_int_eq(sim_sys_close(w, 999, 3), -ESRCH);
	ck_assert_int_eq(sim_sys_open(w, pid, "/none", O_RDONLY), -ENOENT);
	ck_assert_uint_eq(sim_now(w), 5 * SIM_SYSCALL_NS);
	ck_assert_int_eq(sim_current_pid(w), 1);
	sim_set_current(w, 0);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_sys_open_flags)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "u", 1, 1, 0);
	struct sim_proc *p = sim_proc_find(w, pid);
	long fd;

	sim_devnode_add(w, "/t", 0, 0, 0666, &t_ops, GINT_TO_POINTER(1));
	sim_devnode_add(w, "/ro", 0, 0, 0444, &t_ops, GINT_TO_POINTER(2));
	fd = sim_sys_open(w, pid, "/t", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(fd, 3);
	ck_assert(p->fds[3].cloexec);
	ck_assert_int_eq(sim_fd_get(p, 3)->oflags, O_RDONLY | O_CLOEXEC);
	ck_assert_str_eq(sim_fd_get(p, 3)->path, "/t");
	ck_assert_int_eq(sim_sys_open(w, pid, "/t", O_WRONLY | O_NONBLOCK), 4);
	ck_assert(!p->fds[4].cloexec);
	/* flags are checked before the node is looked up, as build_open_flags() */
	ck_assert_int_eq(sim_sys_open(w, pid, "/none", O_RDWR | O_CREAT), -EINVAL);
	ck_assert_int_eq(sim_sys_open(w, pid, "/none", O_ACCMODE), -EINVAL);
	ck_assert_int_eq(sim_sys_open(w, pid, "/t", -1), -EINVAL);
	ck_assert_int_eq(sim_sys_open(w, pid, "/ro", O_RDONLY), 5);
	ck_assert_int_eq(sim_sys_open(w, pid, "/ro", O_WRONLY), -EACCES);
	ck_assert_int_eq(sim_sys_open(w, pid, "/ro", O_RDWR), -EACCES);
	/* exec drops the O_CLOEXEC descriptor only */
	ck_assert_int_eq(sim_proc_exec(w, pid), 0);
	ck_assert_int_eq(sim_fd_count(p), 2);
	ck_assert_str_eq(release_log->str, "1;");
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_sys_open_unwinds)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "u", 1, 1, 0);
	struct sim_proc *p = sim_proc_find(w, pid);
	struct sim_file *filler = tfile(w, 9);

	sim_devnode_add(w, "/t", 0, 0, 0666, &t_ops, GINT_TO_POINTER(1));
	/* the node's ->open fails (file_alloc): nothing installed */
	sim_fault_fail_nth(w, "file_alloc", 1);
	ck_assert_int_eq(sim_sys_open(w, pid, "/t", O_RDWR), -ENOMEM);
	ck_assert_int_eq(sim_fd_count(p), 0);
	/* the fd table is full: the new file is released again */
	for (int fd = SIM_FD_FIRST; fd < SIM_FD_MAX; fd++)
		sim_fd_install(p, filler, false);
	ck_assert_int_eq(sim_sys_open(w, pid, "/t", O_RDWR), -EMFILE);
	ck_assert_str_eq(release_log->str, "1;");
	ck_assert_uint_eq(sim_file_live(w), 1);
	ck_assert_int_eq(sim_sys_dup(w, pid, 3), -EMFILE);
	sim_fd_close(p, 700);
	ck_assert_int_eq(sim_sys_open(w, pid, "/t", O_RDWR), 700);
	sim_file_put(filler);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_sys_ioctl_closes_own_fd)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "u", 1, 1, 0);
	long fd;

	sim_devnode_add(w, "/t", 0, 0, 0666, &t_ops, GINT_TO_POINTER(1));
	fd = sim_sys_open(w, pid, "/t", O_RDWR);
	/* the syscall holds the file across the op: release after it returns */
	ck_assert_int_eq(sim_sys_ioctl_ul(w, pid, (int)fd, 2, (unsigned long)fd), 0);
	ck_assert_str_eq(release_log->str, "1;");
	ck_assert_int_eq(sim_sys_ioctl_ul(w, pid, (int)fd, 1, 0), -EBADF);
	ck_assert_uint_eq(sim_file_live(w), 0);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_sys_no_ops_file)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "u", 1, 1, 0);
	struct sim_file *f = sim_file_new(w, NULL, NULL, O_RDWR, "/anon");
	char b;

	ck_assert_int_eq(sim_fd_install(sim_proc_find(w, pid), f, false), 3);
	sim_file_put(f);
	ck_assert_int_eq(sim_sys_ioctl_ul(w, pid, 3, 1, 0), -ENOTTY);
	ck_assert_int_eq(sim_sys_pread_k(w, pid, 3, &b, 1, 0), -EINVAL);
	ck_assert_int_eq(sim_sys_pwrite_k(w, pid, 3, &b, 1, 0), -EINVAL);
	ck_assert_int_eq(sim_sys_close(w, pid, 3), 0);
	ck_assert_uint_eq(sim_file_live(w), 0);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_sys_dup)
{
	struct sim_world *w = sim_world_create(1);
	int pid = spawn_as(w, "u", 1, 1, 0);
	struct sim_proc *p = sim_proc_find(w, pid);
	long fd;

	sim_devnode_add(w, "/t", 0, 0, 0666, &t_ops, GINT_TO_POINTER(1));
	fd = sim_sys_open(w, pid, "/t", O_RDWR | O_CLOEXEC);
	ck_assert_int_eq(sim_sys_dup(w, pid, (int)fd), 4);
	ck_assert(!p->fds[4].cloexec);                /* dup clears FD_CLOEXEC */
	ck_assert_ptr_eq(sim_fd_get(p, 4), sim_fd_get(p, 3));
	ck_assert_int_eq(sim_sys_close(w, pid, 3), 0);
	ck_assert_str_eq(release_log->str, "");
	ck_assert_int_eq(sim_sys_dup(w, pid, 4), 3);  /* lowest free */
	sim_fault_fail_nth(w, "fd_alloc", 1);
	ck_assert_int_eq(sim_sys_dup(w, pid, 4), -ENOMEM);
	ck_assert_int_eq(sim_fd_count(p), 2);
	ck_assert_int_eq(sim_sys_dup(w, pid, -1), -EBADF);
	sim_world_destroy(w);
	ck_assert_str_eq(release_log->str, "1;");
}
END_TEST

START_TEST(test_sys_trace_lines)
{
	struct sim_world *w = sim_world_create(1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int pid = spawn_as(w, "qemu", 1, 1, 0);

	sim_devnode_add(w, "/t", 0, 0, 0666, &t_ops, GINT_TO_POINTER(1));
	sim_trace_set_output(w, out, SIM_TRACE_TEXT);
	ck_assert_int_eq(sim_trace_enable(w, "sim_*"), 0);
	sim_sys_open(w, pid, "/t", O_RDWR);
	sim_sys_open(w, 99, NULL, O_RDWR);
	sim_sys_ioctl_ul(w, pid, 3, 0x3b71, 0);
	sim_sys_close(w, pid, 3);
	sim_sys_close(w, pid, 3);
	fflush(out);
	ck_assert_str_eq(buf,
		"            qemu-2     [000]     0.000001: sim_open: pid=2 path=/t fd=3\n"
		"          kernel-0     [000]     0.000002: sim_open: pid=99 path=(null) fd=-3\n"
		"            qemu-2     [000]     0.000003: sim_ioctl: pid=2 fd=3 cmd=0x3b71 ret=0\n"
		"            qemu-2     [000]     0.000004: sim_close: pid=2 fd=3 ret=0\n"
		"            qemu-2     [000]     0.000005: sim_close: pid=2 fd=3 ret=-9\n");
	sim_world_destroy(w);
	fclose(out);
	free(buf);
}
END_TEST

/* ---- public API --------------------------------------------------------------- */

START_TEST(test_public_wrappers)
{
	struct sim_world *w = sim_world_create(1);
	int pid = sim_proc_spawn(w, 1000, 100, SIM_PROC_NATIVE);
	struct sim_proc *p = sim_proc_find(w, pid);
	char buf[3] = { 0 };
	int local = 7;
	long fd;

	ck_assert_int_eq(p->ppid, 1);
	ck_assert_str_eq(p->name, "proc");
	ck_assert_uint_eq(p->cred.gid, 100);
	ck_assert_uint_eq(p->flags, SIM_PROC_NATIVE);
	sim_devnode_add(w, "/t", 0, 0, 0666, &t_ops, GINT_TO_POINTER(1));
	fd = sim_sys_open(w, pid, "/t", O_RDWR);
	/* the pointer travels as the ioctl's unsigned long */
	ck_assert_int_eq(sim_sys_ioctl(w, pid, (int)fd, 1, &local), (long)(uintptr_t)&local);
	ck_assert_int_eq(sim_sys_pread(w, pid, (int)fd, buf, 2, 0), 2);
	ck_assert_str_eq(buf, "xx");
	ck_assert_int_eq(sim_sys_pwrite(w, pid, (int)fd, buf, 2, 0), 2);
	/* user buffers cross with copy_to/from_user: a bad one is EFAULT */
	ck_assert_int_eq(sim_sys_pread(w, pid, (int)fd, (void *)8, 2, 0), -EFAULT);
	ck_assert_int_eq(sim_sys_pwrite(w, pid, (int)fd, (void *)8, 2, 0), -EFAULT);
	ck_assert_int_eq(sim_sys_pread(w, 4242, (int)fd, buf, 2, 0), -ESRCH);
	ck_assert_int_eq(sim_sys_pwrite(w, 4242, (int)fd, buf, 2, 0), -ESRCH);
	ck_assert_int_eq(sim_sys_close(w, pid, (int)fd), 0);
	/* proc_alloc failure through the public entry */
	sim_fault_fail_nth(w, "proc_alloc", 1);
	ck_assert_int_eq(sim_proc_spawn(w, 0, 0, 0), -ENOMEM);
	/* a spawn after init exited has no parent */
	sim_proc_exit(w, 1);
	ck_assert_int_eq(sim_proc_spawn(w, 0, 0, 0), -ESRCH);
	sim_world_destroy(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sim_proc");
	TCase *tc = tcase_create("proc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_names);
	tcase_add_test(tc, test_for_each_skips_holes);
	tcase_add_test(tc, test_fork_copies);
	tcase_add_test(tc, test_fork_of_fdless_and_faults);
	tcase_add_test(tc, test_ptrace_may_access);
	tcase_add_test(tc, test_mm_access);
	tcase_add_test(tc, test_task_refs_and_leaks);
	tcase_add_test(tc, test_exit_closes_in_order);
	tcase_add_test(tc, test_fd_table_faults);
	tcase_add_test(tc, test_file_refs_and_serials);
	tcase_add_test(tc, test_devnode_details);
	tcase_add_test(tc, test_devnode_permission_matrix);
	tcase_add_test(tc, test_sys_context_and_clock);
	tcase_add_test(tc, test_sys_open_flags);
	tcase_add_test(tc, test_sys_open_unwinds);
	tcase_add_test(tc, test_sys_ioctl_closes_own_fd);
	tcase_add_test(tc, test_sys_no_ops_file);
	tcase_add_test(tc, test_sys_dup);
	tcase_add_test(tc, test_sys_trace_lines);
	tcase_add_test(tc, test_public_wrappers);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
