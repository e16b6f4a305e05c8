/* SPDX-License-Identifier: MIT */
/*
 * Simulated processes: pid, parent, credentials (uid, gid, capability set),
 * resource limits and a file-descriptor table.  pids are allocated lowest
 * free from 1; pid 1 is "init" (root) and exists from world creation.
 */
#ifndef SIM_PROC_H
#define SIM_PROC_H

#include <stdbool.h>
#include <stdint.h>

struct sim_world;
struct sim_file;
struct sim_mm;

/* Capability numbers as in <linux/capability.h>. */
enum sim_cap {
	SIM_CAP_CHOWN = 0,
	SIM_CAP_DAC_OVERRIDE = 1,
	SIM_CAP_DAC_READ_SEARCH = 2,
	SIM_CAP_FOWNER = 3,
	SIM_CAP_KILL = 5,
	SIM_CAP_SETGID = 6,
	SIM_CAP_SETUID = 7,
	SIM_CAP_NET_ADMIN = 12,
	SIM_CAP_IPC_LOCK = 14,
	SIM_CAP_SYS_RAWIO = 17,
	SIM_CAP_SYS_PTRACE = 19,
	SIM_CAP_SYS_ADMIN = 21,
	SIM_CAP_SYS_RESOURCE = 24,
	SIM_CAP_LAST = 40,
};
#define SIM_CAP_BIT(c) (1ull << (c))
#define SIM_CAPS_ALL ((1ull << (SIM_CAP_LAST + 1)) - 1)

/* "CAP_IPC_LOCK" (or "IPC_LOCK", any case) -> number; -1 if unknown. */
int sim_cap_from_name(const char *name);
/* Canonical name ("CAP_IPC_LOCK"), or NULL for a number without one. */
const char *sim_cap_name(int cap);

struct sim_cred {
	uint32_t uid, gid;
	uint64_t caps;      /* effective capability set, SIM_CAP_BIT()s */
};

/* Per-process descriptor limit (RLIMIT_NOFILE). */
#define SIM_FD_MAX 1024
/* The first descriptor handed out: 0-2 stand for inherited stdio. */
#define SIM_FD_FIRST 3

#define SIM_RLIM_INFINITY UINT64_MAX

/* Process flags (the public SIM_PROC_NATIVE has the same value). */
#define SIM_PROC_FLAG_NATIVE 0x1

struct sim_fd_entry {
	struct sim_file *file;  /* NULL = free slot */
	bool cloexec;
};

/* Who holds references on a task (sim_task_get), for the leak report. */
struct sim_task_ref {
	const char *holder;         /* a static string: the call that took it */
	unsigned n;
};

struct sim_proc {
	struct sim_world *w;
	int pid;
	int ppid;
	char *name;                 /* comm, at most 15 characters shown */
	struct sim_cred cred;
	uint64_t rlimit_memlock;    /* bytes; SIM_RLIM_INFINITY = unlimited */
	unsigned flags;             /* SIM_PROC_NATIVE, ... (public header) */
	struct sim_mm *mm;          /* address space (sim/mm.h) */
	struct sim_fd_entry *fds;   /* fds[0..nfds-1] */
	int nfds;                   /* allocated length of fds */
	bool exited;
	unsigned usage;             /* get_task_struct references beyond its life */
	struct sim_task_ref *refs;  /* their holders, in first-taken order */
	unsigned nrefs;
};

/*
 * Create a process, child of @ppid (0 = no parent), named @name.  Returns the
 * new pid (> 0), -ESRCH for a missing parent, -ENOMEM on fault injection
 * (site "proc_alloc"), -EAGAIN when the pid space (32768) is full.
 */
int sim_proc_create(struct sim_world *w, int ppid, const char *name,
		    const struct sim_cred *cred, unsigned flags);

/* The live process with @pid, or NULL. */
struct sim_proc *sim_proc_find(struct sim_world *w, int pid);

/*
 * Fork: a child with the same credentials, limits and name, whose fd table
 * holds new references to the parent's files.  Returns the child's pid or
 * -errno.
 */
int sim_proc_fork(struct sim_world *w, int pid);

/* exec: a new, empty address space (the old one loses a user), then every
 * O_CLOEXEC descriptor closed. */
int sim_proc_exec(struct sim_world *w, int pid);

/* Exit: close every descriptor, free the pid.  Returns 0 or -ESRCH. */
int sim_proc_exit(struct sim_world *w, int pid);

/* Visit live processes in pid order; stop early when @fn returns non-zero. */
int sim_proc_for_each(struct sim_world *w,
		      int (*fn)(struct sim_proc *p, void *ctx), void *ctx);

bool sim_proc_capable(const struct sim_proc *p, enum sim_cap cap);

/*
 * ptrace_may_access(@task, PTRACE_MODE_ATTACH_REALCREDS) asked by @caller
 * (__ptrace_may_access, kernel/ptrace.c), in its order:
 *  1. the same process may always look at itself;
 *  2. the caller's real uid and gid must equal the task's (a process here
 *     has one uid and one gid, its real, effective and saved ids alike),
 *     else CAP_SYS_PTRACE is needed;
 *  3. past that, a task whose mm is not SIM_DUMP_USER (made non-dumpable)
 *     still needs CAP_SYS_PTRACE.
 * No LSM is modelled (security_ptrace_access_check allows; Yama's
 * ptrace_scope is not consulted).  0 or -EPERM.
 */
int sim_ptrace_may_access(const struct sim_proc *caller, const struct sim_proc *task);

/*
 * mm_access(@task, PTRACE_MODE_ATTACH_REALCREDS) from @caller
 * (kernel/fork.c): the task's mm with a new user (mmget; put it with
 * sim_mm_exit), or NULL in *out when the task has no mm left (it exited:
 * the caller decides the errno; the 2017 and 2018 proposals answer ESRCH).
 * -EACCES when the mm is not the caller's own and ptrace access is
 * refused.  0 or -EACCES.
 */
int sim_mm_access(const struct sim_proc *caller, struct sim_proc *task, struct sim_mm **out);

/*
 * get_task_struct / put_task_struct: a reference on the task itself, apart
 * from its life.  A task that exits while referenced loses its mm, its
 * descriptors and its pid (which the next process may get), and stays as
 * a zombie struct, no longer found by pid, until the last put.  @holder (a
 * static string) names the call that took the reference, for the leak
 * report; a put names the same holder.
 */
struct sim_proc *sim_task_get(struct sim_proc *p, const char *holder);
void sim_task_put(struct sim_proc *p, const char *holder);
/*
 * Task references still held, live tasks and zombies alike, one line each:
 * "task 'NAME' (pid N): K reference(s) taken by HOLDER never put" (g_free
 * it), or NULL when there are none.
 */
char *sim_task_leaks(struct sim_world *w);

/* ---- fd table ---------------------------------------------------------- */

/*
 * Install @file at the lowest free descriptor >= SIM_FD_FIRST, taking a new
 * reference on success.  Returns the fd, -EMFILE when the table is full,
 * -ENOMEM on fault injection ("fd_alloc").
 */
int sim_fd_install(struct sim_proc *p, struct sim_file *file, bool cloexec);
/* The file at @fd without taking a reference, or NULL. */
struct sim_file *sim_fd_get(struct sim_proc *p, int fd);
/* Remove @fd and drop its reference.  0 or -EBADF. */
int sim_fd_close(struct sim_proc *p, int fd);
/* Descriptors in use. */
int sim_fd_count(const struct sim_proc *p);

#endif
