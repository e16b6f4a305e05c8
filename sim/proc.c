/* SPDX-License-Identifier: MIT */
/* Processes: credentials, limits, fd tables, fork/exec/exit. */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mm.h"
#include "sim/file.h"
#include "sim/proc.h"
#include "sim/world_internal.h"
#include "iommusim/iommusim.h"

#define SIM_PID_MAX 32767

static const struct { int cap; const char *name; } cap_names[] = {
	{ SIM_CAP_CHOWN, "CAP_CHOWN" },
	{ SIM_CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE" },
	{ SIM_CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
	{ SIM_CAP_FOWNER, "CAP_FOWNER" },
	{ SIM_CAP_KILL, "CAP_KILL" },
	{ SIM_CAP_SETGID, "CAP_SETGID" },
	{ SIM_CAP_SETUID, "CAP_SETUID" },
	{ SIM_CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	{ SIM_CAP_IPC_LOCK, "CAP_IPC_LOCK" },
	{ SIM_CAP_SYS_RAWIO, "CAP_SYS_RAWIO" },
	{ SIM_CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
	{ SIM_CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	{ SIM_CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE" },
};

int sim_cap_from_name(const char *name)
{
	if (!name)
		return -1;
	if (!g_ascii_strncasecmp(name, "CAP_", 4))
		name += 4;
	for (size_t i = 0; i < G_N_ELEMENTS(cap_names); i++)
		if (!g_ascii_strcasecmp(name, cap_names[i].name + 4))
			return cap_names[i].cap;
	return -1;
}

const char *sim_cap_name(int cap)
{
	for (size_t i = 0; i < G_N_ELEMENTS(cap_names); i++)
		if (cap_names[i].cap == cap)
			return cap_names[i].name;
	return NULL;
}

bool sim_proc_capable(const struct sim_proc *p, enum sim_cap cap)
{
	return (p->cred.caps & SIM_CAP_BIT(cap)) != 0;
}

struct sim_proc *sim_proc_find(struct sim_world *w, int pid)
{
	struct sim_proc *p;

	if (pid <= 0)
		return NULL;
	p = sim_ids_find(&w->pids, (uint32_t)pid);
	return p && !p->exited ? p : NULL;
}

static struct sim_proc *proc_alloc(struct sim_world *w, int ppid, const char *name,
				   const struct sim_cred *cred, unsigned flags, int *err)
{
	struct sim_proc *p;
	int64_t pid;

	if (ppid && !sim_proc_find(w, ppid)) {
		*err = -ESRCH;
		return NULL;
	}
	if (sim_should_fail(w, "proc_alloc")) {
		*err = -ENOMEM;
		return NULL;
	}
	p = g_new0(struct sim_proc, 1);
	pid = sim_ids_alloc(NULL, &w->pids, p, 1, SIM_PID_MAX);
	if (pid < 0) {
		g_free(p);
		*err = pid == -ENOSPC ? -EAGAIN : (int)pid;
		return NULL;
	}
	p->w = w;
	p->pid = (int)pid;
	p->ppid = ppid;
	p->name = g_strndup(name ? name : "proc", 15);
	p->cred = *cred;
	p->flags = flags;
	p->rlimit_memlock = 8ull << 20;
	p->mm = sim_mm_new(w, (flags & SIM_PROC_FLAG_NATIVE) != 0);
	return p;
}

int sim_proc_create(struct sim_world *w, int ppid, const char *name,
		    const struct sim_cred *cred, unsigned flags)
{
	int err = 0;
	struct sim_proc *p = proc_alloc(w, ppid, name, cred, flags, &err);

	if (!p)
		return err;
	SIM_TRACE(w, sim_proc_spawn, p->pid, ppid, cred->uid, cred->gid, p->name);
	return p->pid;
}

static void task_free(struct sim_proc *p)
{
	g_free(p->refs);
	g_free(p->name);
	g_free(p);
}

/* Undo proc_alloc for a process that was never published; or the end of
 * one that exited: a task still referenced stays as a zombie. */
static void proc_discard(struct sim_world *w, struct sim_proc *p)
{
	sim_mm_exit(p->mm);
	p->mm = NULL;
	sim_ids_remove(&w->pids, (uint32_t)p->pid);
	if (p->usage) {
		p->exited = true;
		if (!w->zombies)
			w->zombies = g_ptr_array_new();
		g_ptr_array_add(w->zombies, p);
		return;
	}
	task_free(p);
}

struct sim_proc *sim_task_get(struct sim_proc *p, const char *holder)
{
	unsigned i;

	if (!p)
		return NULL;
	for (i = 0; i < p->nrefs && strcmp(p->refs[i].holder, holder); i++)
		;
	if (i == p->nrefs) {
		p->refs = g_renew(struct sim_task_ref, p->refs, p->nrefs + 1);
		p->refs[p->nrefs++] = (struct sim_task_ref){ .holder = holder };
	}
	p->refs[i].n++;
	p->usage++;
	return p;
}

void sim_task_put(struct sim_proc *p, const char *holder)
{
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->nrefs && (p->refs[i].n == 0 || strcmp(p->refs[i].holder, holder)); i++)
		;
	g_assert(i < p->nrefs);   /* a put without its get is a model bug */
	p->refs[i].n--;
	if (--p->usage || !p->exited)
		return;
	if (p->w->zombies)
		g_ptr_array_remove(p->w->zombies, p);
	task_free(p);
}

static int task_leaks(struct sim_proc *p, void *ctx)
{
	GString *out = ctx;

	for (unsigned i = 0; i < p->nrefs; i++)
		if (p->refs[i].n)
			g_string_append_printf(out, "%stask '%s' (pid %d): %u reference%s taken by "
					       "%s never put", out->len ? "\n" : "", p->name,
					       p->pid, p->refs[i].n, p->refs[i].n == 1 ? "" : "s",
					       p->refs[i].holder);
	return 0;
}

char *sim_task_leaks(struct sim_world *w)
{
	GString *out = g_string_new(NULL);

	sim_proc_for_each(w, task_leaks, out);
	for (unsigned i = 0; w->zombies && i < w->zombies->len; i++)
		task_leaks(g_ptr_array_index(w->zombies, i), out);
	return g_string_free(out, out->len == 0);
}

int sim_proc_fork(struct sim_world *w, int pid)
{
	struct sim_proc *parent, *child;
	int err = 0;

	if (!w)
		return -EINVAL;
	if (!(parent = sim_proc_find(w, pid)))
		return -ESRCH;
	child = proc_alloc(w, pid, parent->name, &parent->cred, parent->flags, &err);
	if (!child)
		return err;
	child->rlimit_memlock = parent->rlimit_memlock;
	sim_mm_put(child->mm);
	child->mm = sim_mm_dup(parent->mm);
	if (!child->mm) {
		/* never announced: no sim_proc_exit line, nothing to close */
		proc_discard(w, child);
		return -ENOMEM;
	}
	if (parent->nfds) {
		child->fds = g_new0(struct sim_fd_entry, parent->nfds);
		child->nfds = parent->nfds;
		for (int fd = 0; fd < parent->nfds; fd++) {
			child->fds[fd] = parent->fds[fd];
			if (child->fds[fd].file)
				sim_file_get(child->fds[fd].file);
		}
	}
	SIM_TRACE(w, sim_proc_spawn, child->pid, pid, child->cred.uid, child->cred.gid,
		  child->name);
	return child->pid;
}

int sim_proc_exec(struct sim_world *w, int pid)
{
	struct sim_proc *p = sim_proc_find(w, pid);

	struct sim_mm *old;

	if (!p)
		return -ESRCH;
	/* exec_mmap: a fresh address space; the old one loses this user
	 * (torn down, its notifiers released, if it was the last) */
	old = p->mm;
	p->mm = sim_mm_new(w, old->native);
	sim_mm_exit(old);
	for (int fd = 0; fd < p->nfds; fd++)
		if (p->fds[fd].file && p->fds[fd].cloexec)
			sim_fd_close(p, fd);
	return 0;
}

static void proc_free(struct sim_world *w, struct sim_proc *p)
{
	int saved = w->current_pid;

	/* releases run in the dying process's context, like exit_files() */
	w->current_pid = p->pid;
	p->exited = true;
	for (int fd = 0; fd < p->nfds; fd++)
		if (p->fds[fd].file) {
			struct sim_file *f = p->fds[fd].file;
			p->fds[fd].file = NULL;
			sim_file_put(f);
		}
	w->current_pid = saved == p->pid ? 0 : saved;
	SIM_TRACE(w, sim_proc_exit, p->pid);
	g_free(p->fds);
	p->fds = NULL;
	p->nfds = 0;
	proc_discard(w, p);
}

int sim_proc_exit(struct sim_world *w, int pid)
{
	struct sim_proc *p;

	if (!w)
		return -EINVAL;
	if (!(p = sim_proc_find(w, pid)))
		return -ESRCH;
	proc_free(w, p);
	return 0;
}

void sim_procs_destroy_all(struct sim_world *w)
{
	uint32_t end = sim_ids_end(&w->pids);

	for (uint32_t pid = 1; pid < end; pid++) {
		struct sim_proc *p = sim_ids_find(&w->pids, pid);
		if (p)
			proc_free(w, p);
	}
	for (unsigned i = 0; w->zombies && i < w->zombies->len; i++)
		task_free(g_ptr_array_index(w->zombies, i));
	if (w->zombies)
		g_ptr_array_free(w->zombies, TRUE);
	w->zombies = NULL;
}

int sim_proc_set_thp(struct sim_world *w, int pid, int on)
{
	struct sim_proc *p;

	if (!w)
		return -EINVAL;
	if (!(p = sim_proc_find(w, pid)))
		return -ESRCH;
	if (!(p->flags & SIM_PROC_FLAG_NATIVE))
		return -EINVAL;
	if (on)
		p->flags |= SIM_PROC_NATIVE_THP;
	else
		p->flags &= ~(unsigned)SIM_PROC_NATIVE_THP;
	return 0;
}

int sim_proc_for_each(struct sim_world *w,
		      int (*fn)(struct sim_proc *p, void *ctx), void *ctx)
{
	uint32_t end = sim_ids_end(&w->pids);

	for (uint32_t pid = 1; pid < end; pid++) {
		struct sim_proc *p = sim_proc_find(w, (int)pid);
		int ret = p ? fn(p, ctx) : 0;
		if (ret)
			return ret;
	}
	return 0;
}

int sim_ptrace_may_access(const struct sim_proc *caller, const struct sim_proc *task)
{
	bool ok;

	if (!caller || !task)
		return -EPERM;
	if (caller == task)
		return 0;
	ok = (caller->cred.uid == task->cred.uid && caller->cred.gid == task->cred.gid) ||
	     sim_proc_capable(caller, SIM_CAP_SYS_PTRACE);
	if (!ok)
		return -EPERM;
	if (task->mm && task->mm->dumpable != SIM_DUMP_USER &&
	    !sim_proc_capable(caller, SIM_CAP_SYS_PTRACE))
		return -EPERM;
	return 0;
}

int sim_mm_access(const struct sim_proc *caller, struct sim_proc *task, struct sim_mm **out)
{
	struct sim_mm *mm = task && !task->exited ? task->mm : NULL;

	*out = NULL;
	if (!mm || !sim_mm_get_user(mm))
		return 0;
	if ((!caller || mm != caller->mm) && sim_ptrace_may_access(caller, task)) {
		sim_mm_exit(mm);
		return -EACCES;
	}
	*out = mm;
	return 0;
}

/* ---- fd table ----------------------------------------------------------- */

int sim_fd_install(struct sim_proc *p, struct sim_file *file, bool cloexec)
{
	int fd;

	if (sim_should_fail(p->w, "fd_alloc"))
		return -ENOMEM;
	for (fd = SIM_FD_FIRST; fd < p->nfds && p->fds[fd].file; fd++)
		;
	if (fd >= SIM_FD_MAX)
		return -EMFILE;
	if (fd >= p->nfds) {
		int n = MAX(p->nfds * 2, 16);
		n = MIN(n, SIM_FD_MAX);
		p->fds = g_renew(struct sim_fd_entry, p->fds, n);
		memset(p->fds + p->nfds, 0, sizeof(*p->fds) * (size_t)(n - p->nfds));
		p->nfds = n;
	}
	p->fds[fd].file = sim_file_get(file);
	p->fds[fd].cloexec = cloexec;
	return fd;
}

struct sim_file *sim_fd_get(struct sim_proc *p, int fd)
{
	if (fd < 0 || fd >= p->nfds)
		return NULL;
	return p->fds[fd].file;
}

int sim_fd_close(struct sim_proc *p, int fd)
{
	struct sim_file *f = sim_fd_get(p, fd);

	if (!f)
		return -EBADF;
	p->fds[fd].file = NULL;
	p->fds[fd].cloexec = false;
	sim_file_put(f);
	return 0;
}

int sim_fd_count(const struct sim_proc *p)
{
	int n = 0;

	for (int fd = 0; fd < p->nfds; fd++)
		n += p->fds[fd].file != NULL;
	return n;
}
