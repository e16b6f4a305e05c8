/* SPDX-License-Identifier: MIT */
/*
 * sim/ core: RNG, ids, clock, trace, fault injection, processes, files,
 * device nodes and syscalls — every error path the headers document.
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
#include "sim/ids.h"
#include "sim/proc.h"
#include "sim/rng.h"
#include "sim/syscall.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"
#include "unit_common.h"

/* ---- a test device: counts releases, echoes reads/writes --------------- */

static int releases;

static void tdev_release(struct sim_file *f)
{
	releases++;
}

static long tdev_ioctl(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
		       unsigned long arg)
{
	return cmd == 1 ? (long)arg : -ENOTTY;
}

static long tdev_read(struct sim_file *f, struct sim_proc *p, void *buf, size_t n,
		      uint64_t off)
{
	memset(buf, 'r', n);
	return (long)n;
}

static long tdev_write(struct sim_file *f, struct sim_proc *p, const void *buf,
		       size_t n, uint64_t off)
{
	return (long)(n + off);
}

static const struct sim_file_ops tdev_fops = {
	.name = "tdev", .ioctl = tdev_ioctl, .read = tdev_read,
	.write = tdev_write, .release = tdev_release,
};
static const struct sim_file_ops bare_fops = { .name = "bare" };

static int tdev_open(struct sim_devnode *n, struct sim_proc *p, int oflags,
		     struct sim_file **out)
{
	*out = sim_file_new(p->w, n->priv ? &bare_fops : &tdev_fops, NULL, oflags, n->path);
	return *out ? 0 : -ENOMEM;
}

static int fail_open(struct sim_devnode *n, struct sim_proc *p, int oflags,
		     struct sim_file **out)
{
	return -ENODEV;
}

static const struct sim_devnode_ops tdev_ops = { .open = tdev_open };
static const struct sim_devnode_ops fail_ops = { .open = fail_open };

static int spawn(struct sim_world *w, uint32_t uid, uint64_t caps)
{
	struct sim_cred c = { .uid = uid, .gid = uid, .caps = caps };

	return sim_proc_create(w, 1, "user", &c, 0);
}

/* ---- RNG ---------------------------------------------------------------- */

START_TEST(test_rng_known_answers)
{
	struct sim_rng r;

	/* splitmix64's published first output for seed 0 */
	sim_rng_seed(&r, 0);
	ck_assert_uint_eq(r.s[0], 0xe220a8397b1dcdafull);
	/* xoshiro256** over that state, from an independent reference */
	ck_assert_uint_eq(sim_rng_next(&r), 0x99ec5f36cb75f2b4ull);
	ck_assert_uint_eq(sim_rng_next(&r), 0xbf6e1f784956452aull);
	ck_assert_uint_eq(sim_rng_next(&r), 0x1a5f849d4933e6e0ull);
	sim_rng_seed(&r, 42);
	ck_assert_uint_eq(sim_rng_next(&r), 0x15780b2e0c2ec716ull);
}
END_TEST

START_TEST(test_rng_below)
{
	struct sim_rng r;
	unsigned hist[7] = { 0 };

	sim_rng_seed(&r, 7);
	ck_assert_uint_eq(sim_rng_below(&r, 0), 0);
	ck_assert_uint_eq(sim_rng_below(&r, 1), 0);
	for (int i = 0; i < 7000; i++) {
		uint64_t v = sim_rng_below(&r, 7);
		ck_assert_uint_lt(v, 7);
		hist[v]++;
	}
	for (int i = 0; i < 7; i++)   /* roughly uniform */
		ck_assert_uint_gt(hist[i], 800);
	ck_assert_uint_lt(sim_rng_below(&r, UINT64_MAX), UINT64_MAX);
}
END_TEST

/* ---- ids ---------------------------------------------------------------- */

START_TEST(test_ids_lowest_free)
{
	struct sim_ids ids;
	int a, b, c;

	sim_ids_init(&ids);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &a, 0, 10), 0);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &b, 0, 10), 1);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &c, 0, 10), 2);
	ck_assert_ptr_eq(sim_ids_remove(&ids, 1), &b);
	ck_assert_ptr_null(sim_ids_remove(&ids, 1));
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &b, 0, 10), 1);   /* reused */
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &b, 5, 10), 5);   /* min */
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &b, 0, 10), 3);   /* hole below min */
	ck_assert_ptr_eq(sim_ids_find(&ids, 5), &b);
	ck_assert_ptr_null(sim_ids_find(&ids, 500));
	ck_assert_uint_eq(sim_ids_end(&ids), 6);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, NULL, 0, 10), -EINVAL);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &a, 4, 3), -EINVAL);
	ck_assert_int_eq(sim_ids_alloc(NULL, &ids, &a, 5, 5), -ENOSPC);
	for (int i = 0; i < 100; i++)   /* growth */
		ck_assert_int_ge(sim_ids_alloc(NULL, &ids, &a, 0, 1000), 0);
	ck_assert_uint_eq(ids.count, 105);
	sim_ids_destroy(&ids);
}
END_TEST

START_TEST(test_ids_fault)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_ids ids;
	int a;

	sim_ids_init(&ids);
	sim_fault_fail_nth(w, "ids_alloc", 1);
	ck_assert_int_eq(sim_ids_alloc(w, &ids, &a, 0, 10), -ENOMEM);
	ck_assert_int_eq(sim_ids_alloc(w, &ids, &a, 0, 10), 0);
	sim_ids_destroy(&ids);
	sim_world_destroy(w);
}
END_TEST

/* ---- world, clock, slots ------------------------------------------------- */

static int destroyed_order[SIM_SUBSYS_NR], ndestroyed;

static void slot_destroy(void *data)
{
	destroyed_order[ndestroyed++] = *(int *)data;
}

START_TEST(test_world_slots_and_clock)
{
	struct sim_world *w = sim_world_create(99);
	static int ids[SIM_SUBSYS_NR] = { SIM_SUBSYS_PCI, SIM_SUBSYS_IOMMU_HW,
					  SIM_SUBSYS_IOMMU, SIM_SUBSYS_IOMMUFD, SIM_SUBSYS_VFIO };

	ck_assert_uint_eq(sim_world_seed(w), 99);
	ck_assert_uint_eq(sim_now(w), 0);
	sim_clock_advance(w, 1500);
	ck_assert_uint_eq(sim_now(w), 1500);
	ck_assert_ptr_nonnull(sim_world_rng(w));
	for (int i = 0; i < SIM_SUBSYS_NR; i++)
		sim_world_set_subsys(w, i, &ids[i], slot_destroy);
	ck_assert_ptr_eq(sim_world_subsys(w, SIM_SUBSYS_IOMMU), &ids[2]);
	ck_assert_ptr_null(sim_world_subsys(w, SIM_SUBSYS_NR));
	ndestroyed = 0;
	sim_world_destroy(w);
	ck_assert_int_eq(ndestroyed, SIM_SUBSYS_NR);   /* from the top layer down */
	ck_assert_int_eq(destroyed_order[0], SIM_SUBSYS_VFIO);
	ck_assert_int_eq(destroyed_order[SIM_SUBSYS_NR - 1], SIM_SUBSYS_PCI);
	sim_world_destroy(NULL);
}
END_TEST

/* ---- trace --------------------------------------------------------------- */

static char *capture(void (*fn)(struct sim_world *), enum sim_trace_fmt fmt,
		     const char *patterns)
{
	struct sim_world *w = sim_world_create(1);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sim_trace_set_output(w, f, fmt);
	if (patterns)
		ck_assert_int_eq(sim_trace_enable(w, patterns), 0);
	fn(w);
	sim_world_destroy(w);
	fclose(f);
	return buf;
}

static void emit_some(struct sim_world *w)
{
	int pid = spawn(w, 1000, 0);

	sim_clock_advance(w, 2001000);
	sim_set_current(w, pid);
	sim_trace(w, "vfio_group_open", "group=%d path=%s ret=%d", 26, "/dev/vfio/26", -16);
	sim_set_current(w, 0);
	sim_trace(w, "pci_bind", "dev=%s drv=%s q=%s", "0000:00:01.0", "a\"b", "x y");
	sim_trace(w, "iommu_x", "n=%s z=%s", "007", "0");
}

START_TEST(test_trace_text)
{
	char *out = capture(emit_some, SIM_TRACE_TEXT, "vfio_*,pci_*");

	ck_assert_ptr_nonnull(strstr(out,
		"            user-2     [000]     0.002001: vfio_group_open: "
		"group=26 path=/dev/vfio/26 ret=-16\n"));
	ck_assert_ptr_nonnull(strstr(out, "          kernel-0     [000]     0.002001: pci_bind: "));
	ck_assert_ptr_null(strstr(out, "iommu_x"));
	ck_assert_ptr_null(strstr(out, "sim_proc_spawn"));
	free(out);
}
END_TEST

START_TEST(test_trace_json)
{
	char *out = capture(emit_some, SIM_TRACE_JSON, "*,-sim_*");

	ck_assert_ptr_nonnull(strstr(out,
		"{\"ts\":2001000,\"pid\":2,\"comm\":\"user\",\"event\":\"vfio_group_open\","
		"\"cat\":\"vfio\",\"fields\":{\"group\":26,\"path\":\"/dev/vfio/26\",\"ret\":-16}}\n"));
	/* escaping; a %s value is one string, spaces and all (types are declared) */
	ck_assert_ptr_nonnull(strstr(out, "\"drv\":\"a\\\"b\",\"q\":\"x y\"}"));
	ck_assert_ptr_nonnull(strstr(out, "\"n\":\"007\",\"z\":\"0\""));
	ck_assert_ptr_null(strstr(out, "sim_proc"));
	free(out);
}
END_TEST

START_TEST(test_trace_enable_rules)
{
	struct sim_world *w = sim_world_create(1);
	FILE *f = fopen("/dev/null", "w");

	ck_assert(!sim_trace_enabled(w, "pci_bind"));   /* no output yet */
	sim_trace_set_output(w, f, SIM_TRACE_TEXT);
	ck_assert(sim_trace_enabled(w, "pci_bind"));    /* default "*" */
	ck_assert_int_eq(sim_trace_enable(w, "pci_*,-pci_unbind"), 0);
	ck_assert(sim_trace_enabled(w, "pci_bind"));
	ck_assert(!sim_trace_enabled(w, "pci_unbind"));
	ck_assert(!sim_trace_enabled(w, "vfio_x"));
	ck_assert_int_eq(sim_trace_enable(w, "pci_?ind"), 0);
	ck_assert(sim_trace_enabled(w, "pci_bind"));
	ck_assert(!sim_trace_enabled(w, "pci_unbind"));
	ck_assert_int_eq(sim_trace_enable(w, "a,,b"), -EINVAL);
	ck_assert_int_eq(sim_trace_enable(w, "-"), -EINVAL);
	ck_assert_int_eq(sim_trace_enable(w, NULL), -EINVAL);
	ck_assert(sim_trace_enabled(w, "pci_bind"));    /* unchanged by errors */
	sim_trace_set_output(w, f, SIM_TRACE_OFF);
	ck_assert(!sim_trace_enabled(w, "pci_bind"));
	sim_trace(w, "pci_bind", "x=%d", 1);
	ck_assert_uint_ge(sim_trace_count(w), 1);
	sim_world_destroy(w);
	fclose(f);
}
END_TEST

/* ---- fault injection ----------------------------------------------------- */

START_TEST(test_fault_nth)
{
	struct sim_world *w = sim_world_create(1);

	ck_assert(!sim_should_fail(w, "a"));
	sim_fault_fail_nth(w, "a*", 3);
	ck_assert(!sim_should_fail(w, "a1"));
	ck_assert(!sim_should_fail(w, "b"));      /* does not match: not counted */
	ck_assert(!sim_should_fail(w, "a2"));
	ck_assert(sim_should_fail(w, "a3"));
	ck_assert(!sim_should_fail(w, "a4"));     /* once */
	ck_assert_uint_eq(sim_fault_calls(w), 4);
	ck_assert_uint_eq(sim_fault_injected(w), 1);
	ck_assert_uint_eq(sim_fault_site_calls(w, "a"), 1);
	ck_assert_uint_eq(sim_fault_site_calls(w, "b"), 1);
	ck_assert_uint_eq(sim_fault_site_calls(w, "nope"), 0);
	sim_fault_fail_nth(w, NULL, 0);            /* disarm */
	ck_assert(!sim_should_fail(w, "a3"));
	sim_fault_fail_nth(w, NULL, 1);            /* NULL glob = all */
	ck_assert(sim_should_fail(w, "zzz"));
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_fault_probability)
{
	struct sim_world *a = sim_world_create(5), *b = sim_world_create(5);
	unsigned fails = 0;

	sim_fault_probability(a, "*", 250);
	sim_fault_probability(b, "*", 250);
	for (int i = 0; i < 4000; i++) {
		bool fa = sim_should_fail(a, "s"), fb = sim_should_fail(b, "s");
		ck_assert(fa == fb);               /* deterministic per seed */
		fails += fa;
	}
	ck_assert_uint_gt(fails, 800);
	ck_assert_uint_lt(fails, 1200);
	sim_fault_probability(a, "*", 5000);       /* clamped to always */
	ck_assert(sim_should_fail(a, "s"));
	sim_world_destroy(a);
	sim_world_destroy(b);
}
END_TEST

/* ---- processes ----------------------------------------------------------- */

START_TEST(test_proc_lifecycle)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *init = sim_proc_find(w, 1);
	int a, b;

	ck_assert_ptr_nonnull(init);
	ck_assert_str_eq(init->name, "init");
	ck_assert(sim_proc_capable(init, SIM_CAP_SYS_ADMIN));
	a = spawn(w, 1000, SIM_CAP_BIT(SIM_CAP_IPC_LOCK));
	b = spawn(w, 1001, 0);
	ck_assert_int_eq(a, 2);
	ck_assert_int_eq(b, 3);
	ck_assert(sim_proc_capable(sim_proc_find(w, a), SIM_CAP_IPC_LOCK));
	ck_assert(!sim_proc_capable(sim_proc_find(w, a), SIM_CAP_SYS_ADMIN));
	ck_assert_int_eq(sim_proc_exit(w, a), 0);
	ck_assert_int_eq(sim_proc_exit(w, a), -ESRCH);
	ck_assert_ptr_null(sim_proc_find(w, a));
	ck_assert_ptr_null(sim_proc_find(w, 0));
	ck_assert_int_eq(spawn(w, 5, 0), 2);           /* lowest free pid */
	ck_assert_int_eq(sim_proc_create(w, 77, "x", &init->cred, 0), -ESRCH);
	sim_fault_fail_nth(w, "proc_alloc", 1);
	ck_assert_int_eq(spawn(w, 5, 0), -ENOMEM);
	ck_assert_int_eq(sim_proc_fork(w, 77), -ESRCH);
	ck_assert_int_eq(sim_proc_exec(w, 77), -ESRCH);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_proc_pid_space)
{
	struct sim_world *w = sim_world_create(1);
	int last = 0;

	for (int i = 2; i <= 32767; i++)
		last = spawn(w, 1, 0);
	ck_assert_int_eq(last, 32767);
	ck_assert_int_eq(spawn(w, 1, 0), -EAGAIN);
	sim_world_destroy(w);
}
END_TEST

static int count_procs(struct sim_proc *p, void *ctx)
{
	(*(int *)ctx)++;
	return p->pid == 3 ? 7 : 0;
}

START_TEST(test_proc_names_and_iter)
{
	struct sim_world *w = sim_world_create(1);
	int n = 0;

	ck_assert_int_eq(sim_cap_from_name("CAP_IPC_LOCK"), SIM_CAP_IPC_LOCK);
	ck_assert_int_eq(sim_cap_from_name("ipc_lock"), SIM_CAP_IPC_LOCK);
	ck_assert_int_eq(sim_cap_from_name("cap_sys_admin"), SIM_CAP_SYS_ADMIN);
	ck_assert_int_eq(sim_cap_from_name("CAP_NOPE"), -1);
	ck_assert_int_eq(sim_cap_from_name(NULL), -1);
	ck_assert_str_eq(sim_cap_name(SIM_CAP_SYS_RAWIO), "CAP_SYS_RAWIO");
	ck_assert_ptr_null(sim_cap_name(39));
	spawn(w, 1, 0);
	spawn(w, 1, 0);
	spawn(w, 1, 0);
	ck_assert_int_eq(sim_proc_for_each(w, count_procs, &n), 7);
	ck_assert_int_eq(n, 3);   /* stopped at pid 3 */
	sim_world_destroy(w);
}
END_TEST

/* ---- files, fd tables, fork and exec ------------------------------------ */

START_TEST(test_files_and_fds)
{
	struct sim_world *w = sim_world_create(1);
	struct sim_proc *p;
	struct sim_file *f;
	int pid = spawn(w, 0, 0), child;

	p = sim_proc_find(w, pid);
	releases = 0;
	f = sim_file_new(w, &tdev_fops, NULL, O_RDWR, NULL);
	ck_assert_str_eq(f->path, "tdev");
	ck_assert_uint_eq(sim_file_live(w), 1);
	ck_assert_int_eq(sim_fd_install(p, f, false), 3);
	ck_assert_int_eq(sim_fd_install(p, f, true), 4);
	sim_file_put(f);                              /* the table holds two refs */
	ck_assert_uint_eq(f->refcount, 2);
	ck_assert_ptr_eq(sim_fd_get(p, 4), f);
	ck_assert_ptr_null(sim_fd_get(p, -1));
	ck_assert_ptr_null(sim_fd_get(p, 9999));
	child = sim_proc_fork(w, pid);
	ck_assert_int_gt(child, pid);
	ck_assert_uint_eq(f->refcount, 4);
	ck_assert_int_eq(sim_fd_count(sim_proc_find(w, child)), 2);
	ck_assert_int_eq(sim_proc_exec(w, child), 0);  /* fd 4 is O_CLOEXEC */
	ck_assert_int_eq(sim_fd_count(sim_proc_find(w, child)), 1);
	ck_assert_int_eq(sim_proc_exit(w, child), 0);
	ck_assert_uint_eq(f->refcount, 2);
	ck_assert_int_eq(sim_fd_close(p, 3), 0);
	ck_assert_int_eq(sim_fd_close(p, 3), -EBADF);
	ck_assert_int_eq(releases, 0);
	ck_assert_int_eq(sim_fd_close(p, 4), 0);
	ck_assert_int_eq(releases, 1);
	ck_assert_uint_eq(sim_file_live(w), 0);
	sim_file_put(NULL);

	/* descriptor table limits and injected failures */
	f = sim_file_new(w, &bare_fops, NULL, O_RDWR, "/x");
	for (int fd = SIM_FD_FIRST; fd < SIM_FD_MAX; fd++)
		ck_assert_int_eq(sim_fd_install(p, f, false), fd);
	ck_assert_int_eq(sim_fd_install(p, f, false), -EMFILE);
	sim_fault_fail_nth(w, "fd_alloc", 1);
	ck_assert_int_eq(sim_fd_install(p, f, false), -ENOMEM);
	sim_fault_fail_nth(w, "file_alloc", 1);
	ck_assert_ptr_null(sim_file_new(w, &bare_fops, NULL, 0, NULL));
	sim_file_put(f);
	sim_world_destroy(w);                         /* closes the 1021 fds */
}
END_TEST

/* ---- device nodes -------------------------------------------------------- */

static int collect_paths(struct sim_devnode *n, void *ctx)
{
	g_string_append_printf(ctx, "%s;", n->path);
	return 0;
}

START_TEST(test_devnodes)
{
	struct sim_world *w = sim_world_create(1);
	GString *paths = g_string_new(NULL);
	struct sim_proc *user, *grp, *other, *root;

	ck_assert_int_eq(sim_devnode_add(w, "/dev/vfio/vfio", 0, 0, 0666, &tdev_ops, NULL), 0);
	ck_assert_int_eq(sim_devnode_add(w, "/dev/vfio/10", 0, 0, 0600, &tdev_ops, NULL), 0);
	ck_assert_int_eq(sim_devnode_add(w, "/dev/vfio/2", 0, 0, 0600, &tdev_ops, NULL), 0);
	ck_assert_int_eq(sim_devnode_add(w, "/dev/vfio/2", 0, 0, 0600, &tdev_ops, NULL), -EEXIST);
	ck_assert_int_eq(sim_devnode_add(w, "dev/x", 0, 0, 0600, &tdev_ops, NULL), -EINVAL);
	ck_assert_int_eq(sim_devnode_add(w, NULL, 0, 0, 0600, &tdev_ops, NULL), -EINVAL);
	sim_fault_fail_nth(w, "devnode_alloc", 1);
	ck_assert_int_eq(sim_devnode_add(w, "/dev/y", 0, 0, 0600, &tdev_ops, NULL), -ENOMEM);
	ck_assert_ptr_null(sim_devnode_lookup(w, "/dev/y"));
	sim_devnode_for_each(w, collect_paths, paths);
	ck_assert_str_eq(paths->str, "/dev/vfio/10;/dev/vfio/2;/dev/vfio/vfio;");

	user = sim_proc_find(w, spawn(w, 1000, 0));
	grp = sim_proc_find(w, spawn(w, 1001, 0));
	grp->cred.gid = 50;
	other = sim_proc_find(w, spawn(w, 1002, 0));
	root = sim_proc_find(w, 1);
	{
		struct sim_devnode *n = sim_devnode_lookup(w, "/dev/vfio/2");
		ck_assert_int_eq(sim_devnode_permission(n, user, O_RDWR), -EACCES);
		ck_assert_int_eq(sim_devnode_permission(n, root, O_RDWR), 0);
		ck_assert_int_eq(sim_devnode_chown(w, "/dev/vfio/2", 1000, 50), 0);
		ck_assert_int_eq(sim_devnode_permission(n, user, O_RDWR), 0);
		ck_assert_int_eq(sim_devnode_permission(n, grp, O_RDONLY), -EACCES);
		ck_assert_int_eq(sim_devnode_chmod(w, "/dev/vfio/2", 0640), 0);
		ck_assert_int_eq(sim_devnode_permission(n, grp, O_RDONLY), 0);
		ck_assert_int_eq(sim_devnode_permission(n, grp, O_WRONLY), -EACCES);
		ck_assert_int_eq(sim_devnode_permission(n, other, O_RDONLY), -EACCES);
		ck_assert_int_eq(sim_devnode_chmod(w, "/dev/vfio/2", 0204), 0);
		/* the owner class decides, even when "other" would allow more */
		ck_assert_int_eq(sim_devnode_permission(n, user, O_RDONLY), -EACCES);
		ck_assert_int_eq(sim_devnode_permission(n, other, O_RDONLY), 0);
	}
	ck_assert_int_eq(sim_devnode_chown(w, "/nope", 1, 1), -ENOENT);
	ck_assert_int_eq(sim_devnode_chmod(w, "/nope", 0), -ENOENT);
	ck_assert_int_eq(sim_devnode_remove(w, "/dev/vfio/2"), 0);
	ck_assert_int_eq(sim_devnode_remove(w, "/dev/vfio/2"), -ENOENT);
	g_string_free(paths, TRUE);
	sim_world_destroy(w);
}
END_TEST

/* ---- syscalls ------------------------------------------------------------ */

START_TEST(test_syscalls)
{
	struct sim_world *w = sim_world_create(1);
	char buf[8];
	int user;
	long fd, ro, wo;

	sim_devnode_add(w, "/dev/t", 0, 0, 0666, &tdev_ops, NULL);
	sim_devnode_add(w, "/dev/bare", 0, 0, 0666, &tdev_ops, (void *)1);
	sim_devnode_add(w, "/dev/fail", 0, 0, 0666, &fail_ops, NULL);
	sim_devnode_add(w, "/dev/noops", 0, 0, 0666, NULL, NULL);
	sim_devnode_add(w, "/dev/root", 0, 0, 0600, &tdev_ops, NULL);
	user = spawn(w, 1000, 0);

	ck_assert_int_eq(sim_sys_open(w, 99, "/dev/t", O_RDWR), -ESRCH);
	ck_assert_int_eq(sim_sys_open(w, user, NULL, O_RDWR), -EFAULT);
	ck_assert_int_eq(sim_sys_open(w, user, "/dev/none", O_RDWR), -ENOENT);
	ck_assert_int_eq(sim_sys_open(w, user, "/dev/root", O_RDWR), -EACCES);
	ck_assert_int_eq(sim_sys_open(w, user, "/dev/t", O_RDWR | O_TRUNC), -EINVAL);
	ck_assert_int_eq(sim_sys_open(w, user, "/dev/t", O_ACCMODE), -EINVAL);
	ck_assert_int_eq(sim_sys_open(w, user, "/dev/fail", O_RDWR), -ENODEV);
	ck_assert_int_eq(sim_sys_open(w, user, "/dev/noops", O_RDWR), -ENXIO);
	ck_assert_uint_eq(sim_file_live(w), 0);      /* failed opens leak nothing */

	fd = sim_sys_open(w, user, "/dev/t", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	ck_assert_int_eq(fd, 3);
	ck_assert_int_eq(sim_sys_ioctl_ul(w, user, (int)fd, 1, 42), 42);
	ck_assert_int_eq(sim_sys_ioctl(w, user, (int)fd, 2, NULL), -ENOTTY);
	ck_assert_int_eq(sim_sys_ioctl(w, user, 77, 1, NULL), -EBADF);
	ck_assert_int_eq(sim_sys_ioctl(w, 99, (int)fd, 1, NULL), -ESRCH);
	ck_assert_int_eq(sim_sys_pread_k(w, user, (int)fd, buf, 4, 0), 4);
	ck_assert_int_eq(buf[0], 'r');
	ck_assert_int_eq(sim_sys_pwrite_k(w, user, (int)fd, buf, 4, 10), 14);
	ck_assert_int_eq(sim_sys_pread_k(w, user, (int)fd, NULL, 4, 0), -EFAULT);
	ck_assert_int_eq(sim_sys_pwrite_k(w, user, (int)fd, NULL, 4, 0), -EFAULT);
	ck_assert_int_eq(sim_sys_pread_k(w, 99, (int)fd, buf, 4, 0), -ESRCH);
	ck_assert_int_eq(sim_sys_pwrite_k(w, 99, (int)fd, NULL, 4, 0), -ESRCH);
	ck_assert_int_eq(sim_sys_pread_k(w, user, 55, buf, 4, 0), -EBADF);

	ro = sim_sys_open(w, user, "/dev/t", O_RDONLY);
	wo = sim_sys_open(w, user, "/dev/t", O_WRONLY);
	ck_assert_int_eq(sim_sys_pwrite_k(w, user, (int)ro, buf, 1, 0), -EBADF);
	ck_assert_int_eq(sim_sys_pread_k(w, user, (int)wo, buf, 1, 0), -EBADF);
	fd = sim_sys_open(w, user, "/dev/bare", O_RDWR);
	ck_assert_int_eq(sim_sys_pread_k(w, user, (int)fd, buf, 1, 0), -EINVAL);
	ck_assert_int_eq(sim_sys_pwrite_k(w, user, (int)fd, buf, 1, 0), -EINVAL);
	ck_assert_int_eq(sim_sys_ioctl(w, user, (int)fd, 1, NULL), -ENOTTY);
	ck_assert_int_eq(sim_sys_dup(w, user, (int)fd), 7);
	ck_assert_int_eq(sim_sys_dup(w, user, 99), -EBADF);
	ck_assert_int_eq(sim_sys_dup(w, 99, 3), -ESRCH);
	ck_assert_int_eq(sim_sys_close(w, user, 7), 0);
	ck_assert_int_eq(sim_sys_close(w, user, 7), -EBADF);
	ck_assert_int_eq(sim_sys_close(w, 99, 3), -ESRCH);
	ck_assert_int_eq(sim_current_pid(w), 0);     /* context restored */
	ck_assert_uint_ge(sim_now(w), 30 * SIM_SYSCALL_NS);

	/* an injected failure in the fd table leaves no file behind */
	sim_fault_fail_nth(w, "fd_alloc", 1);
	ck_assert_int_eq(sim_sys_open(w, user, "/dev/t", O_RDWR), -ENOMEM);
	ck_assert_uint_eq(sim_file_live(w), 4);
	sim_world_destroy(w);
}
END_TEST

START_TEST(test_public_spawn)
{
	struct sim_world *w = sim_world_create(1);
	int pid;

	ck_assert_int_eq(sim_proc_spawn(NULL, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(sim_proc_spawn(w, 0, 0, 0x80), -EINVAL);
	pid = sim_proc_spawn(w, 0, 0, SIM_PROC_NATIVE);
	ck_assert_int_eq(pid, 2);
	ck_assert(sim_proc_capable(sim_proc_find(w, pid), SIM_CAP_DAC_OVERRIDE));
	ck_assert_uint_eq(sim_proc_find(w, pid)->flags, SIM_PROC_NATIVE);
	pid = sim_proc_spawn(w, 1000, 1000, 0);
	ck_assert_uint_eq(sim_proc_find(w, pid)->cred.caps, 0);
	sim_world_destroy(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rng_known_answers);
	tcase_add_test(tc, test_rng_below);
	tcase_add_test(tc, test_ids_lowest_free);
	tcase_add_test(tc, test_ids_fault);
	tcase_add_test(tc, test_world_slots_and_clock);
	tcase_add_test(tc, test_trace_text);
	tcase_add_test(tc, test_trace_json);
	tcase_add_test(tc, test_trace_enable_rules);
	tcase_add_test(tc, test_fault_nth);
	tcase_add_test(tc, test_fault_probability);
	tcase_add_test(tc, test_proc_lifecycle);
	tcase_add_test(tc, test_proc_pid_space);
	tcase_add_test(tc, test_proc_names_and_iter);
	tcase_add_test(tc, test_files_and_fds);
	tcase_add_test(tc, test_devnodes);
	tcase_add_test(tc, test_syscalls);
	tcase_add_test(tc, test_public_spawn);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
