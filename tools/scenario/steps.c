/* SPDX-License-Identifier: MIT */
/*
 * Scenario step kinds.  A step is a mapping with exactly one action key (the
 * kind: `bind`, `open`, ...) whose value is the step's main argument, plus
 * the kind's own keys and the common ones: `name` (a label for the report),
 * `expect` (the outcome: ok, {errno: E}, {ret: N}; default ok) and, for steps
 * that return a descriptor, `as` (a handle name later steps refer to).
 * A mapping whose only action is `expect` checks the world's state instead.
 *
 * Adding a kind is one table entry and its functions: parse (load time, all
 * references checked), run (a userspace client of the syscall layer or a
 * sysfs-like admin action) and describe (one report line).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/devnode.h"
#include "sim/eventfd.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "tools/scenario/loader.h"
#include "tools/scenario/runner.h"
#include "tools/scenario/fuzz_gen.h"
#include "tools/scenario/steps_internal.h"
#include "tools/scenario/steps_vm.h"
#include "tools/scenario/steps_sva.h"

static int parse_by(struct ldr *l, const struct ynode *map, const char **by);

/* ---- bind / unbind: the sysfs driver bind and unbind files ------------- */

struct bind_args {
	uint32_t sbdf;
	const char *driver;     /* NULL for unbind */
};

static int parse_bind_common(struct ldr *l, const struct ynode *map,
			     struct scn_step *st, bool bind)
{
	struct bind_args *a = g_new0(struct bind_args, 1);
	const struct ynode *v = ynode_map_get(map, st->kind->name);

	st->args = a;
	if (ldr_sbdf(l, v, &a->sbdf, bind ? "bind" : "unbind"))
		return -1;
	if (bind) {
		if (!(v = ldr_get(l, map, "driver", "a bind step")) ||
		    ldr_str(l, v, &a->driver, "driver"))
			return -1;
		ldr_check_driver(l, v, a->driver);
		a->driver = ldr_keep(l, a->driver);
	}
	for (size_t i = 0; i < l->s->ntopology; i++)
		if (l->s->topology[i].sbdf == a->sbdf)
			return 0;
	if (l->topology_incomplete)
		return 0;     /* the topology's own error says enough */
	v = ynode_map_get(map, st->kind->name);
	return ldr_error(l, v, "device %s is not in the topology", v->str);
}

static int parse_bind(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	return parse_bind_common(l, map, st, true);
}

/* An unbind that is expected to succeed must complete: a pending one (=> 1)
 * fails `expect: ok` and needs `expect: pending`. */
static int parse_unbind(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	if (!st->has_outcome) {
		st->outcome = (struct scn_outcome){ .kind = SCN_OUT_RET, .ret = 0, .pos = st->pos };
		st->has_outcome = true;
	} else if (st->outcome.kind == SCN_OUT_OK) {
		st->outcome.kind = SCN_OUT_RET;
		st->outcome.ret = 0;
	}
	return parse_bind_common(l, map, st, false);
}

static long run_bind(struct runner *r, struct scn_step *st)
{
	struct bind_args *a = st->args;
	struct pci_dev *d = pci_dev_find(r->w, a->sbdf);

	/* the sysfs bind file (bind_store: a driver that does not match is
	 * ENODEV) and unbind (PCI_UNBIND_PENDING while vfio-pci waits) */
	return a->driver ? pci_bind_store(r->w, d, a->driver)
			 : pci_unbind_driver(r->w, d);
}

/* ---- sysfs_write: any sysfs file, as echo VALUE > PATH -------------------- */

struct sysfs_args {
	const char *path, *value;
};

static int parse_sysfs_write(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct sysfs_args *a = g_new0(struct sysfs_args, 1);
	const struct ynode *v = ynode_map_get(map, "sysfs_write");

	st->args = a;
	if (ldr_str(l, v, &a->path, "sysfs_write"))
		return -1;
	if (!g_str_has_prefix(a->path, "/sys/"))
		return ldr_error(l, v, "sysfs_write '%s': a sysfs path starts with /sys/", a->path);
	a->path = ldr_keep(l, a->path);
	if (!(v = ldr_get(l, map, "value", "a sysfs_write step")) ||
	    ldr_str(l, v, &a->value, "value"))
		return -1;
	a->value = ldr_keep(l, a->value);
	return 0;
}

static long run_sysfs_write(struct runner *r, struct scn_step *st)
{
	const struct sysfs_args *a = st->args;

	return sim_sysfs_write(r->w, a->path, a->value);
}

static void describe_sysfs_write(const struct scn_step *st, GString *out)
{
	const struct sysfs_args *a = st->args;
	char *value = g_strescape(a->value, NULL);

	g_string_append_printf(out, "sysfs_write %s value=\"%s\"", a->path, value);
	g_free(value);
}

/* ---- driver_override / new_id: the other sysfs files of binding --------- */

struct override_args {
	uint32_t sbdf;
	const char *driver;     /* "" clears */
};

static int parse_driver_override(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct override_args *a = g_new0(struct override_args, 1);
	const struct ynode *v = ynode_map_get(map, "driver_override");

	st->args = a;
	if (ldr_sbdf(l, v, &a->sbdf, "driver_override"))
		return -1;
	if (!(v = ldr_get(l, map, "driver", "a driver_override step")) ||
	    ldr_str(l, v, &a->driver, "driver"))
		return -1;
	ldr_check_driver(l, v, a->driver);
	a->driver = ldr_keep(l, a->driver);
	for (size_t i = 0; i < l->s->ntopology; i++)
		if (l->s->topology[i].sbdf == a->sbdf)
			return 0;
	v = ynode_map_get(map, "driver_override");
	return ldr_error(l, v, "device %s is not in the topology", v->str);
}

static long run_driver_override(struct runner *r, struct scn_step *st)
{
	struct override_args *a = st->args;

	return pci_driver_override_store(r->w, pci_dev_find(r->w, a->sbdf), a->driver);
}

static void describe_driver_override(const struct scn_step *st, GString *out)
{
	const struct override_args *a = st->args;
	char b[PCI_SBDF_STRLEN];

	g_string_append_printf(out, "driver_override %s driver=%s", pci_sbdf_format(a->sbdf, b),
			       *a->driver ? a->driver : "(clear)");
}

struct new_id_args {
	const char *driver;
	uint16_t vendor, device;
};

static int parse_new_id(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct new_id_args *a = g_new0(struct new_id_args, 1);
	const struct ynode *v = ynode_map_get(map, "new_id");
	uint64_t num;

	st->args = a;
	if (ldr_str(l, v, &a->driver, "new_id (the driver)"))
		return -1;
	a->driver = ldr_keep(l, a->driver);
	if (ldr_get_u64(l, map, "vendor", "a new_id step", &num, 0xffff, false))
		return -1;
	a->vendor = (uint16_t)num;
	if (ldr_get_u64(l, map, "device", "a new_id step", &num, 0xffff, false))
		return -1;
	a->device = (uint16_t)num;
	return 0;
}

static long run_new_id(struct runner *r, struct scn_step *st)
{
	struct new_id_args *a = st->args;

	return pci_new_id_store(r->w, a->driver, a->vendor, a->device);
}

static void describe_new_id(const struct scn_step *st, GString *out)
{
	const struct new_id_args *a = st->args;

	g_string_append_printf(out, "new_id %s %04x:%04x", a->driver, a->vendor, a->device);
}

static void describe_bind(const struct scn_step *st, GString *out)
{
	const struct bind_args *a = st->args;
	char b[PCI_SBDF_STRLEN];

	g_string_append_printf(out, "%s %s", st->kind->name, pci_sbdf_format(a->sbdf, b));
	if (a->driver)
		g_string_append_printf(out, " driver=%s", a->driver);
}

/* ---- open / close ------------------------------------------------------- */

struct open_args {
	const char *path;
	const char *by;         /* process name */
	int oflags;
};

static const char *const oflag_names[] = {
	"O_RDONLY", "O_WRONLY", "O_RDWR", "O_CLOEXEC", "O_NONBLOCK", NULL,
};
static const int oflag_values[] = { O_RDONLY, O_WRONLY, O_RDWR, O_CLOEXEC, O_NONBLOCK };

static int parse_oflags(struct ldr *l, const struct ynode *n, int *out)
{
	int idx;

	*out = 0;
	if (n->kind == YN_SCALAR) {
		if (ldr_enum(l, n, oflag_names, &idx, "open flag"))
			return -1;
		*out = oflag_values[idx];
		return 0;
	}
	if (ldr_need(l, n, YN_SEQ, "flags"))
		return -1;
	for (size_t i = 0; i < n->nitems; i++) {
		if (ldr_enum(l, n->items[i], oflag_names, &idx, "open flag"))
			return -1;
		*out |= oflag_values[idx];
	}
	return 0;
}

int ldr_handle_bind(struct ldr *l, const struct ynode *n, int kind, const char **out)
{
	if (ldr_str(l, n, out, "handle name"))
		return -1;
	if (!g_regex_match_simple("^[A-Za-z_][A-Za-z0-9_]*$", *out, 0, 0))
		return ldr_error(l, n, "handle name '%s' must be a word", *out);
	g_hash_table_replace(l->handles, g_strdup(*out), GINT_TO_POINTER(kind));
	*out = ldr_keep(l, *out);
	return 0;
}

/* What a handle kind is, and the step key that binds one. */
static const char *handle_what(int kind)
{
	return kind == HANDLE_FD ? "file descriptor" : kind == HANDLE_GPT ? "guest table" :
	       kind == HANDLE_PROC ? "process" : "buffer";
}

static const char *handle_binder(int kind)
{
	return kind == HANDLE_FD ? "as:" : kind == HANDLE_GPT ? "guest_table:" :
	       kind == HANDLE_PROC ? "fork's child:" : "alloc:";
}

int ldr_handle_ref(struct ldr *l, const struct ynode *n, int kind, const char **out)
{
	gpointer k;

	if (ldr_str(l, n, out, "handle"))
		return -1;
	k = g_hash_table_lookup(l->handles, *out);
	if (!k)
		return ldr_error(l, n, "handle '%s' is not bound by an earlier step's '%s'",
				 *out, handle_binder(kind));
	if (GPOINTER_TO_INT(k) != kind)
		return ldr_error(l, n, "handle '%s' is a %s, not a %s", *out,
				 handle_what(GPOINTER_TO_INT(k)), handle_what(kind));
	*out = ldr_keep(l, *out);
	return 0;
}

int ldr_step_by(struct ldr *l, const struct ynode *map, const char **by)
{
	if (parse_by(l, map, by))
		return -1;
	*by = ldr_keep(l, *by);
	return 0;
}

static int process_ref(struct ldr *l, const struct ynode *v, const char *name);

int ldr_process(struct ldr *l, const struct ynode *v, const char **name, const char *what)
{
	if (ldr_str(l, v, name, what) || process_ref(l, v, *name))
		return -1;
	*name = ldr_keep(l, *name);
	return 0;
}

static int parse_by(struct ldr *l, const struct ynode *map, const char **by)
{
	const struct ynode *v = ynode_map_get(map, "by");

	*by = "init";
	if (!v)
		return 0;
	if (ldr_str(l, v, by, "by"))
		return -1;
	return process_ref(l, v, *by);
}

/* @name must be init, a process under 'processes' or one an earlier fork
 * step made. */
static int process_ref(struct ldr *l, const struct ynode *v, const char *name)
{
	if (!strcmp(name, "init") ||
	    GPOINTER_TO_INT(g_hash_table_lookup(l->handles, name)) == HANDLE_PROC)
		return 0;
	for (size_t i = 0; i < l->s->nprocs; i++)
		if (l->s->procs[i].name && !strcmp(l->s->procs[i].name, name))
			return 0;
	return ldr_error(l, v, "process '%s' is not defined under 'processes' "
			 "nor made by an earlier fork step", name);
}

/* ---- processes made and ended by steps ---------------------------------- */

struct fork_args {
	const char *parent, *child;
};

/* fork: PARENT (a process name or init), child: NAME (a new word) */
static int parse_fork(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct fork_args *a = g_new0(struct fork_args, 1);
	const struct ynode *v = ynode_map_get(map, "fork");
	const struct ynode *n;

	st->args = a;
	if (ldr_str(l, v, &a->parent, "fork (the parent process)") ||
	    process_ref(l, v, a->parent))
		return -1;
	a->parent = ldr_keep(l, a->parent);
	if (!(n = ldr_get(l, map, "child", "a fork step")))
		return -1;
	if (ldr_str(l, n, &a->child, "child"))
		return -1;
	if (!strcmp(a->child, "init"))
		return ldr_error(l, n, "a forked process cannot be called init");
	for (size_t i = 0; i < l->s->nprocs; i++)
		if (l->s->procs[i].name && !strcmp(l->s->procs[i].name, a->child))
			return ldr_error(l, n, "process '%s' is defined under 'processes' already",
					 a->child);
	return ldr_handle_bind(l, n, HANDLE_PROC, &a->child);
}

static long run_fork(struct runner *r, struct scn_step *st)
{
	struct fork_args *a = st->args;
	int parent = runner_pid(r, a->parent);
	int child;
	struct rhandle *h;

	r->last_pid = parent;
	child = sim_proc_fork(r->w, parent);
	if (child < 0)
		return child;
	h = g_new0(struct rhandle, 1);
	h->kind = HANDLE_PROC;
	h->pid = child;
	g_hash_table_replace(r->handles, g_strdup(a->child), h);
	return child;
}

static void describe_fork(const struct scn_step *st, GString *out)
{
	const struct fork_args *a = st->args;

	g_string_append_printf(out, "fork %s as %s", a->parent, a->child);
}

/* exit: PROCESS - every descriptor closed, the address space released */
static int parse_exit(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct fork_args *a = g_new0(struct fork_args, 1);
	const struct ynode *v = ynode_map_get(map, "exit");

	st->args = a;
	if (ldr_str(l, v, &a->child, "exit (a process)"))
		return -1;
	if (!strcmp(a->child, "init"))
		return ldr_error(l, v, "init does not exit in a scenario");
	if (process_ref(l, v, a->child))
		return -1;
	a->child = ldr_keep(l, a->child);
	return 0;
}

/*
 *   - exec: PROC       # execve(2): the descriptors opened O_CLOEXEC close
 *
 * The process keeps its address space: iommusim's processes have one mm
 * for their life (what a pin holds on to stays as it is).
 */
static int parse_exec(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct fork_args *a = g_new0(struct fork_args, 1);
	const struct ynode *v = ynode_map_get(map, "exec");

	st->args = a;
	if (ldr_str(l, v, &a->child, "exec (a process)") || process_ref(l, v, a->child))
		return -1;
	a->child = ldr_keep(l, a->child);
	return 0;
}

static long run_exec(struct runner *r, struct scn_step *st)
{
	struct fork_args *a = st->args;
	int pid = runner_pid(r, a->child);
	struct sim_proc *p;
	GHashTableIter it;
	gpointer k, v;
	long ret;

	r->last_pid = pid;
	if (pid < 0)
		return -ESRCH;
	ret = sim_proc_exec(r->w, pid);
	/* the handles of the descriptors that closed are not open any more (a
	 * later open may take the same number) */
	p = sim_proc_find(r->w, pid);
	g_hash_table_iter_init(&it, r->handles);
	while (p && g_hash_table_iter_next(&it, &k, &v)) {
		const struct rhandle *h = v;

		if (h->kind == HANDLE_FD && h->pid == pid && !sim_fd_get(p, h->fd))
			g_hash_table_iter_remove(&it);
	}
	return ret;
}

static void describe_exec(const struct scn_step *st, GString *out)
{
	g_string_append_printf(out, "exec %s", ((const struct fork_args *)st->args)->child);
}

static long run_exit(struct runner *r, struct scn_step *st)
{
	struct fork_args *a = st->args;
	int pid = runner_pid(r, a->child);

	r->last_pid = pid;
	return pid < 0 ? -ESRCH : sim_proc_exit(r->w, pid);
}

static void describe_exit(const struct scn_step *st, GString *out)
{
	g_string_append_printf(out, "exit %s", ((const struct fork_args *)st->args)->child);
}

static int parse_open(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct open_args *a = g_new0(struct open_args, 1);
	const struct ynode *v = ynode_map_get(map, "open");

	st->args = a;
	a->oflags = O_RDWR;
	if (ldr_devpath(l, v, &a->path, "open"))
		return -1;
	if (parse_by(l, map, &a->by))
		return -1;
	a->by = ldr_keep(l, a->by);
	if ((v = ynode_map_get(map, "flags")) && parse_oflags(l, v, &a->oflags))
		return -1;
	return 0;
}

/* A path's "{BDF}" is that function's group number now (ldr_devpath). */
static bool run_path(struct runner *r, const struct scn_step *st, const char *path,
		     GString *out)
{
	int ret = scn_path_resolve(r->w, path, out);

	/* a check only where there is something to resolve and it fails */
	return ret == 0 || runner_check(r, false, st->pos.line, "%s: the device %s", path,
					ret == -ENODEV ? "does not exist" : "has no IOMMU group");
}

static long run_open(struct runner *r, struct scn_step *st)
{
	struct open_args *a = st->args;
	GString *path = g_string_new(NULL);
	long ret = RUN_CHECKED;

	r->last_pid = runner_pid(r, a->by);
	if (run_path(r, st, a->path, path))
		ret = sim_sys_open(r->w, r->last_pid, path->str, a->oflags);
	g_string_free(path, TRUE);
	return ret;
}

static void describe_open(const struct scn_step *st, GString *out)
{
	const struct open_args *a = st->args;

	g_string_append_printf(out, "open %s by %s", a->path, a->by);
	if (st->as)
		g_string_append_printf(out, " as %s", st->as);
}

struct close_args {
	const char *handle;
	const char *by;              /* dup: the process, when not the handle's */
};

static int parse_close(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct close_args *a = g_new0(struct close_args, 1);
	const struct ynode *v = ynode_map_get(map, "close");

	st->args = a;
	if (ldr_str(l, v, &a->handle, "close"))
		return -1;
	return ldr_handle_ref(l, v, HANDLE_FD, &a->handle);
}

static long run_close(struct runner *r, struct scn_step *st)
{
	struct close_args *a = st->args;
	struct rhandle *h = g_hash_table_lookup(r->handles, a->handle);
	long ret;

	if (!h) {
		runner_check(r, false, st->pos.line, "handle '%s' is not open "
			     "(the step that binds it failed or it was closed)", a->handle);
		return RUN_CHECKED;
	}
	ret = sim_sys_close(r->w, h->pid, h->fd);
	if (ret == 0)
		g_hash_table_remove(r->handles, a->handle);
	return ret;
}

static void describe_close(const struct scn_step *st, GString *out)
{
	g_string_append_printf(out, "close %s", ((const struct close_args *)st->args)->handle);
}

/* ---- dup: another descriptor of the same open file ----------------------- */

/*
 *   - dup: container           # dup(2) in the process that holds the handle
 *     as: container2           # (or `by:` another that shares the fd)
 */
static int parse_dup(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct close_args *a = g_new0(struct close_args, 1);
	const struct ynode *v = ynode_map_get(map, "dup");
	const char *by = NULL;

	st->args = a;
	if (ldr_handle_ref(l, v, HANDLE_FD, &a->handle))
		return -1;
	if (ynode_map_get(map, "by")) {
		if (parse_by(l, map, &by))
			return -1;
		a->by = ldr_keep(l, by);
	}
	return 0;
}

static long run_dup(struct runner *r, struct scn_step *st)
{
	struct close_args *a = st->args;
	struct rhandle *h = g_hash_table_lookup(r->handles, a->handle);

	if (!h) {
		runner_check(r, false, st->pos.line, "handle '%s' is not open "
			     "(the step that binds it failed or it was closed)", a->handle);
		return RUN_CHECKED;
	}
	r->last_pid = a->by ? runner_pid(r, a->by) : h->pid;
	return sim_sys_dup(r->w, r->last_pid, h->fd);
}

static void describe_dup(const struct scn_step *st, GString *out)
{
	const struct close_args *a = st->args;

	g_string_append_printf(out, "dup %s", a->handle);
	if (a->by)
		g_string_append_printf(out, " by %s", a->by);
}

/* ---- eventfd: a counter file, for interrupt triggers --------------------- */

struct eventfd_args {
	uint32_t initval;
	int flags;
	const char *by;         /* process name */
};

static const char *const efd_flag_names[] = {
	"EFD_NONBLOCK", "EFD_CLOEXEC", "EFD_SEMAPHORE", NULL,
};
static const int efd_flag_values[] = { SIM_EFD_NONBLOCK, SIM_EFD_CLOEXEC, SIM_EFD_SEMAPHORE };

/* eventfd: INITVAL, flags: a name or a list of them, by:, as: */
static int parse_eventfd(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct eventfd_args *a = g_new0(struct eventfd_args, 1);
	const struct ynode *v = ynode_map_get(map, "eventfd");
	uint64_t num;
	int idx;

	st->args = a;
	if (ldr_u64(l, v, &num, UINT32_MAX, false, "eventfd (the counter's initial value)"))
		return -1;
	a->initval = (uint32_t)num;
	if (parse_by(l, map, &a->by))
		return -1;
	a->by = ldr_keep(l, a->by);
	if (!(v = ynode_map_get(map, "flags")))
		return 0;
	if (v->kind == YN_SCALAR) {
		if (ldr_enum(l, v, efd_flag_names, &idx, "eventfd flag"))
			return -1;
		a->flags = efd_flag_values[idx];
		return 0;
	}
	if (ldr_need(l, v, YN_SEQ, "flags"))
		return -1;
	for (size_t i = 0; i < v->nitems; i++) {
		if (ldr_enum(l, v->items[i], efd_flag_names, &idx, "eventfd flag"))
			return -1;
		a->flags |= efd_flag_values[idx];
	}
	return 0;
}

static long run_eventfd(struct runner *r, struct scn_step *st)
{
	struct eventfd_args *a = st->args;

	r->last_pid = runner_pid(r, a->by);
	return sim_sys_eventfd(r->w, r->last_pid, a->initval, a->flags);
}

static void describe_eventfd(const struct scn_step *st, GString *out)
{
	const struct eventfd_args *a = st->args;

	g_string_append_printf(out, "eventfd %u by %s", a->initval, a->by);
	if (st->as)
		g_string_append_printf(out, " as %s", st->as);
}

/* ---- chown / chmod of device nodes (as root) ---------------------------- */

struct attr_args {
	const char *path;
	uint32_t uid, gid, mode;
};

static int parse_chown(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct attr_args *a = g_new0(struct attr_args, 1);
	const struct ynode *v = ynode_map_get(map, "chown");
	uint64_t num;

	st->args = a;
	if (ldr_devpath(l, v, &a->path, "chown"))
		return -1;
	if (ldr_get_u64(l, map, "uid", "a chown step", &num, UINT32_MAX - 1, false))
		return -1;
	a->uid = a->gid = (uint32_t)num;
	if ((v = ynode_map_get(map, "gid"))) {
		if (ldr_u64(l, v, &num, UINT32_MAX - 1, false, "gid"))
			return -1;
		a->gid = (uint32_t)num;
	}
	return 0;
}

static int parse_chmod(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct attr_args *a = g_new0(struct attr_args, 1);
	const struct ynode *v = ynode_map_get(map, "chmod");
	uint64_t num;

	st->args = a;
	if (ldr_devpath(l, v, &a->path, "chmod"))
		return -1;
	if (ldr_get_u64(l, map, "mode", "a chmod step", &num, 07777, false))
		return -1;
	a->mode = (uint32_t)num;
	return 0;
}

static long run_chown(struct runner *r, struct scn_step *st)
{
	struct attr_args *a = st->args;
	GString *path = g_string_new(NULL);
	long ret = RUN_CHECKED;

	if (run_path(r, st, a->path, path))
		ret = sim_devnode_chown(r->w, path->str, a->uid, a->gid);
	g_string_free(path, TRUE);
	return ret;
}

static long run_chmod(struct runner *r, struct scn_step *st)
{
	struct attr_args *a = st->args;
	GString *path = g_string_new(NULL);
	long ret = RUN_CHECKED;

	if (run_path(r, st, a->path, path))
		ret = sim_devnode_chmod(r->w, path->str, a->mode);
	g_string_free(path, TRUE);
	return ret;
}

static void describe_chown(const struct scn_step *st, GString *out)
{
	const struct attr_args *a = st->args;

	g_string_append_printf(out, "chown %s %u:%u", a->path, a->uid, a->gid);
}

static void describe_chmod(const struct scn_step *st, GString *out)
{
	const struct attr_args *a = st->args;

	g_string_append_printf(out, "chmod %s 0%o", a->path, a->mode);
}

/* ---- expect: state checks ----------------------------------------------- */

static int parse_expect_step(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	return ldr_parse_expect(l, ynode_map_get(map, "expect"), &st->state);
}

static long run_expect(struct runner *r, struct scn_step *st)
{
	scn_expect_eval(r, st->state);
	return RUN_CHECKED;
}

static void describe_expect(const struct scn_step *st, GString *out)
{
	g_string_append(out, "expect");
}

/* ---- the table ---------------------------------------------------------- */

static const char *const keys_bind[] = { "driver", NULL };
static const char *const keys_new_id[] = { "vendor", "device", NULL };
static const char *const keys_none[] = { NULL };
static const char *const keys_open[] = { "by", "flags", "as", NULL };
static const char *const keys_eventfd[] = { "by", "flags", "as", NULL };
static const char *const keys_dup[] = { "by", "as", NULL };
static const char *const keys_chown[] = { "uid", "gid", NULL };
static const char *const keys_chmod[] = { "mode", NULL };
static const char *const keys_fork[] = { "child", NULL };
static const char *const keys_sysfs_write[] = { "value", NULL };

static const struct step_kind step_kinds[] = {
	{ "bind", keys_bind, parse_bind, run_bind, describe_bind, g_free, gen_bind, 2 },
	{ "unbind", keys_none, parse_unbind, run_bind, describe_bind, g_free, gen_unbind, 2 },
	{ "driver_override", keys_bind, parse_driver_override, run_driver_override,
	  describe_driver_override, g_free, gen_driver_override, 1 },
	{ "new_id", keys_new_id, parse_new_id, run_new_id, describe_new_id, g_free, NULL, 0 },
	{ "sysfs_write", keys_sysfs_write, parse_sysfs_write, run_sysfs_write,
	  describe_sysfs_write, g_free, NULL, 0 },
	{ "open", keys_open, parse_open, run_open, describe_open, g_free, gen_open, 6 },
	{ "close", keys_none, parse_close, run_close, describe_close, g_free, gen_close, 3 },
	{ "dup", keys_dup, parse_dup, run_dup, describe_dup, g_free, gen_dup, 2 },
	{ "eventfd", keys_eventfd, parse_eventfd, run_eventfd, describe_eventfd, g_free, NULL, 0 },
	{ "chown", keys_chown, parse_chown, run_chown, describe_chown, g_free, NULL, 0 },
	{ "chmod", keys_chmod, parse_chmod, run_chmod, describe_chmod, g_free, NULL, 0 },
	{ "fork", keys_fork, parse_fork, run_fork, describe_fork, g_free, gen_fork, 1 },
	{ "exit", keys_none, parse_exit, run_exit, describe_exit, g_free, gen_exit, 1 },
	{ "exec", keys_none, parse_exec, run_exec, describe_exec, g_free, gen_exec, 1 },
	{ "ioctl", keys_ioctl, parse_ioctl, run_ioctl, describe_ioctl, free_ioctl, gen_ioctl, 40 },
	{ "pread", keys_rw, parse_rw, run_rw, describe_rw, g_free, gen_rw, 2 },
	{ "pwrite", keys_rw, parse_rw, run_rw, describe_rw, g_free, NULL, 0 },
	{ "alloc", keys_alloc, parse_alloc, run_alloc, describe_alloc, g_free, NULL, 0 },
	{ "fill", keys_fill, parse_fill, run_fill, describe_fill, free_fill, gen_fill, 3 },
	{ "put", keys_put, parse_put, run_put, describe_put, free_put, NULL, 0 },
	{ "check", keys_fill, parse_fill, run_check, describe_fill, free_fill, NULL, 0 },
	{ "dma", keys_dma, parse_dma, run_dma, describe_dma, free_dma, gen_dma, 16 },
	{ "rlimit", keys_rlimit, parse_rlimit, run_rlimit, describe_rlimit, g_free, gen_rlimit, 1 },
	{ "create_file", keys_file, parse_file, run_file, describe_file, g_free, NULL, 0 },
	{ "mmap", keys_mmap, parse_mmap, run_mmap, describe_mmap, g_free, gen_mmap, 1 },
	{ "munmap", keys_munmap, parse_vm, run_vm, describe_vm, g_free, gen_vm, 1 },
	{ "mprotect", keys_mprotect, parse_vm, run_vm, describe_vm, g_free, gen_vm, 1 },
	{ "touch", keys_touch, parse_vm, run_vm, describe_vm, g_free, gen_vm, 1 },
	{ "irq", keys_irq, parse_irq, run_irq, describe_irq, g_free, NULL, 0 },
	{ "mdev_pin", keys_mdev_pin, parse_mdev, run_mdev, describe_mdev, free_mdev, gen_mdev, 2 },
	{ "mdev_unpin", keys_mdev_unpin, parse_mdev, run_mdev, describe_mdev, free_mdev, NULL, 0 },
	{ "mdev_dma", keys_mdev_dma, parse_mdev, run_mdev, describe_mdev, free_mdev, NULL, 0 },
	{ "eventfd_read", keys_eventfd_read, parse_eventfd_rw, run_eventfd_rw,
	  describe_eventfd_rw, g_free, NULL, 0 },
	{ "eventfd_write", keys_eventfd_write, parse_eventfd_rw, run_eventfd_rw,
	  describe_eventfd_rw, g_free, NULL, 0 },
	{ "guest_table", keys_guest_table, parse_guest_table, run_guest_table,
	  describe_guest_table, g_free, gen_guest_table, 1 },
	{ "guest_map", keys_guest_map, parse_guest_map, run_guest_map, describe_guest_map, g_free,
	  NULL, 0 },
	{ "guest_unmap", keys_guest_unmap, parse_guest_map, run_guest_map, describe_guest_map,
	  g_free, NULL, 0 },
	{ "sva_bind", keys_sva_bind, parse_sva, run_sva_bind, describe_sva, g_free, gen_sva, 2 },
	{ "sva_unbind", keys_sva_unbind, parse_sva, run_sva_unbind, describe_sva, g_free, gen_sva, 1 },
	/* written by the fuzzer's cdev recipe (a fault queue's steps), not drawn alone */
	{ "fault_read", keys_fault_read, parse_fault_fd, run_fault_fd, describe_fault_fd, g_free,
	  NULL, 0 },
	{ "fault_respond", keys_fault_respond, parse_fault_fd, run_fault_fd, describe_fault_fd,
	  g_free, NULL, 0 },
	{ "pasid_attach", keys_pasid, parse_pasid, run_pasid, describe_pasid, g_free, NULL, 0 },
	{ "pasid_replace", keys_pasid, parse_pasid, run_pasid, describe_pasid, g_free, NULL, 0 },
	{ "pasid_detach", keys_pasid_detach, parse_pasid, run_pasid, describe_pasid, g_free, NULL, 0 },
	{ "guest_invalidate", keys_guest_inv, parse_pasid, run_pasid, describe_pasid, g_free, NULL, 0 },
	{ "expect", keys_none, parse_expect_step, run_expect, describe_expect, NULL, NULL, 0 },
};

/* The kinds' names, for "did you mean": read off the table once. */
static const char *const *step_kind_names(void)
{
	static const char *names[G_N_ELEMENTS(step_kinds) + 1];

	if (!names[0])
		for (size_t i = 0; i < G_N_ELEMENTS(step_kinds); i++)
			names[i] = step_kinds[i].name;
	return names;
}

const struct step_kind *step_kind_at(size_t i)
{
	return i < G_N_ELEMENTS(step_kinds) ? &step_kinds[i] : NULL;
}

const struct step_kind *step_kind_find(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(step_kinds); i++)
		if (!strcmp(step_kinds[i].name, name))
			return &step_kinds[i];
	return NULL;
}

/* ---- parsing one step --------------------------------------------------- */

/*
 * expect: {fault: KIND [, stage: 0|1|2] [, phase: final|s1-fetch]
 *          [, stage_addr: ADDR]} - what the fault record says (spec §E.4).
 */
static int parse_fault(struct ldr *l, const struct ynode *v, const struct ynode *kind,
		       const char *const *faults, struct scn_outcome *o)
{
	static const char *const phases[] = { "final", "s1-fetch", NULL };
	const struct ynode *n;
	uint64_t num;

	if (ynode_map_get(v, "errno") || ynode_map_get(v, "ret") || ynode_map_get(v, "out"))
		return ldr_error(l, v, "a fault is expected alone: {fault: KIND} with "
				 "'stage', 'phase' or 'stage_addr', no 'errno', 'ret' or 'out'");
	o->kind = SCN_OUT_FAULT;
	if (ldr_enum(l, kind, faults, &o->err, "fault kind"))
		return -1;
	if ((n = ynode_map_get(v, "stage"))) {
		if (ldr_u64(l, n, &num, 2, false, "stage"))
			return -1;
		o->fault_stage = (int)num;
	}
	if ((n = ynode_map_get(v, "phase")) && ldr_enum(l, n, phases, &o->fault_phase, "phase"))
		return -1;
	if ((n = ynode_map_get(v, "stage_addr"))) {
		if (ldr_u64(l, n, &o->stage_addr, UINT64_MAX, true, "stage_addr"))
			return -1;
		o->has_stage_addr = true;
	}
	return 0;
}

static int parse_outcome(struct ldr *l, const struct ynode *v, struct scn_outcome *o)
{
	static const char *const keys[] = { "errno", "ret", "out", "fault", "stage", "phase",
					    "stage_addr", NULL };
	static const char *const faults[] = { "none", "no-context", "not-present",
					      "permission", "address-size", "no-pasid",
					      "page-request-invalid", "page-request-failure",
					      "page-request-pending", NULL };
	const struct ynode *e, *r;
	uint64_t num;

	o->pos = (struct scn_pos){ v->line, v->col };
	o->fault_stage = o->fault_phase = -1;
	if (v->kind == YN_SCALAR) {
		/* pending: an unbind that waits for vfio-pci's user (=> 1) */
		if (!strcmp(v->str, "pending")) {
			o->kind = SCN_OUT_RET;
			o->ret = PCI_UNBIND_PENDING;
			return 0;
		}
		if (strcmp(v->str, "ok"))
			return ldr_error(l, v, "expect must be 'ok', 'pending', {errno: NAME}, "
					 "{ret: N}, {out: {...}} or {fault: KIND}, not '%s'", v->str);
		o->kind = SCN_OUT_OK;
		return 0;
	}
	if (ldr_need(l, v, YN_MAP, "expect") || ldr_check_keys(l, v, keys, "expect"))
		return -1;
	if ((e = ynode_map_get(v, "fault")))
		return parse_fault(l, v, e, faults, o);
	for (const char *const *k = &keys[4]; *k; k++)
		if ((e = ynode_map_get(v, *k)))
			return ldr_error(l, e, "'%s' describes a fault: it needs 'fault: KIND'", *k);
	e = ynode_map_get(v, "errno");
	r = ynode_map_get(v, "ret");
	if (e && r)
		return ldr_error(l, v, "expect needs exactly one of 'errno' and 'ret'");
	if (e && ynode_map_get(v, "out"))
		return ldr_error(l, v, "a call that fails has no outputs to expect");
	if (!e && !r) {
		if (!ynode_map_get(v, "out"))
			return ldr_error(l, v, "expect needs 'errno', 'ret' or 'out'");
		o->kind = SCN_OUT_OK;   /* outputs imply success; ioctl checks them */
		return 0;
	}
	if (e) {
		o->kind = SCN_OUT_ERRNO;
		return ldr_errno(l, e, &o->err);
	}
	o->kind = SCN_OUT_RET;
	if (ldr_u64(l, r, &num, LONG_MAX, false, "ret"))
		return -1;
	o->ret = (long)num;
	return 0;
}

static const struct step_kind *find_kind_key(struct ldr *l, const struct ynode *map)
{
	const struct step_kind *kind = NULL, *k;
	const struct ynode *first = NULL;

	for (size_t i = 0; i < ynode_map_len(map); i++) {
		const struct ynode *key = ynode_map_key(map, i);

		if (!strcmp(key->str, "expect") || !(k = step_kind_find(key->str)))
			continue;
		if (kind) {
			ldr_error(l, key, "a step has one action, but this one has '%s' "
				  "and '%s'", first->str, key->str);
			return NULL;
		}
		kind = k;
		first = key;
	}
	if (!kind && ynode_map_get(map, "expect"))
		return step_kind_find("expect");
	if (!kind) {
		const struct ynode *key = ynode_map_len(map) ? ynode_map_key(map, 0) : map;
		const char *near = key == map ? NULL : ldr_suggest(key->str, step_kind_names());

		if (near)
			ldr_error(l, key, "unknown step '%s'; did you mean '%s'?", key->str, near);
		else
			ldr_error(l, key, "a step needs an action: one of bind, unbind, "
				  "driver_override, new_id, open, close, eventfd, chown, chmod, ioctl, pread, pwrite, "
				  "alloc, fill, "
				  "check, dma, rlimit, guest_table, guest_map, guest_unmap, "
				  "pasid_attach, pasid_replace, pasid_detach, guest_invalidate, "
				  "expect");
	}
	return kind;
}

static int check_step_keys(struct ldr *l, const struct ynode *map,
			   const struct step_kind *kind)
{
	const char *allowed[16];
	size_t n = 0;

	allowed[n++] = kind->name;
	allowed[n++] = "name";
	if (strcmp(kind->name, "expect"))
		allowed[n++] = "expect";
	for (size_t i = 0; kind->keys[i] && n < G_N_ELEMENTS(allowed) - 1; i++)
		allowed[n++] = kind->keys[i];
	allowed[n] = NULL;
	return ldr_check_keys(l, map, allowed, "this step");
}

static int parse_step(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	const struct ynode *v;
	char what[64];

	if (ldr_need(l, map, YN_MAP, "a step"))
		return -1;
	st->pos = (struct scn_pos){ map->line, map->col };
	if (!(st->kind = find_kind_key(l, map)))
		return -1;
	g_snprintf(what, sizeof(what), "step '%s'", st->kind->name);
	if (check_step_keys(l, map, st->kind))
		return -1;
	if ((v = ynode_map_get(map, "name"))) {
		const char *label;
		if (ldr_str(l, v, &label, "name"))
			return -1;
		st->label = g_strdup(label);
	}
	if (strcmp(st->kind->name, "expect") && (v = ynode_map_get(map, "expect"))) {
		if (parse_outcome(l, v, &st->outcome))
			return -1;
		st->has_outcome = true;
	}
	if (st->kind->parse(l, map, st))
		return -1;
	if ((v = ynode_map_get(map, "as"))) {
		const char *as;
		if (ldr_handle_bind(l, v, HANDLE_FD, &as))
			return -1;
		st->as = g_strdup(as);
	}
	return 0;
}

/*
 * A step with an error still binds the handles it names, so the steps that
 * use them do not report "not bound" too: `as:` a descriptor, `alloc:` a
 * buffer, `guest_table:` a guest table.
 */
static void bind_failed_handles(struct ldr *l, const struct ynode *map)
{
	static const struct { const char *key; int kind; } binders[] = {
		{ "as", HANDLE_FD }, { "alloc", HANDLE_BUF }, { "guest_table", HANDLE_GPT },
	};

	if (map->kind != YN_MAP)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(binders); i++) {
		const struct ynode *v = ynode_map_get(map, binders[i].key);

		if (v && v->kind == YN_SCALAR && !g_hash_table_contains(l->handles, v->str) &&
		    g_regex_match_simple("^[A-Za-z_][A-Za-z0-9_]*$", v->str, 0, 0))
			g_hash_table_insert(l->handles, g_strdup(v->str),
					    GINT_TO_POINTER(binders[i].kind));
	}
}

int ldr_parse_steps(struct ldr *l, const struct ynode *seq)
{
	struct scenario *s = l->s;

	if (ldr_need(l, seq, YN_SEQ, "steps"))
		return -1;
	s->steps = g_new0(struct scn_step, seq->nitems ? seq->nitems : 1);
	for (size_t i = 0; i < seq->nitems; i++) {
		s->nsteps++;
		s->steps[i].index = (unsigned)i + 1;
		if (parse_step(l, seq->items[i], &s->steps[i]))
			bind_failed_handles(l, seq->items[i]);
		/* each step is a unit: the next one is parsed whatever this one said */
		if (ldr_recover(l))
			return -1;
	}
	return 0;
}

void scn_step_clear(struct scn_step *st)
{
	if (st->kind && st->kind->free_args)
		st->kind->free_args(st->args);
	scn_expect_free(st->state);
	g_free(st->label);
	g_free(st->as);
}
