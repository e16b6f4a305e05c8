/* SPDX-License-Identifier: MIT */
/*
 * Address-space steps: what a process does to its own memory with mmap(2),
 * munmap(2), mprotect(2) and plain loads and stores, and the simulated
 * files it may map (sim/mm.h has the rules each follows).
 *
 *   - create_file: data      # a file of 8 KiB whose bytes are 0x11
 *     size: 8K
 *     pattern: 0x11
 *   - mmap: m                # binds buffer handle m to the mapping
 *     size: 16K
 *     share: shared          # or private (the default)
 *     file: data             # the default is anonymous memory
 *     offset: 4K             # into the file
 *     prot: [read, write]    # the default
 *     addr: buf+0x2000       # a hint; with `fixed: true` exactly there
 *   - munmap: m+4K           # an address: a buffer handle (+ offset) or a number
 *     len: 4K                # default: the rest of the buffer (a page at a number)
 *   - mprotect: m
 *     len: 8K
 *     prot: [read]           # [] is PROT_NONE
 *   - touch: m+0x10          # the CPU loads or stores every page of the range
 *     len: 4K                #   (default: one byte): pages appear; a fault the VMA forbids is EFAULT
 *     op: write              #   (SIGSEGV), one past a file's end EIO (SIGBUS)
 *
 * Each returns what the call returns (0 or -errno), `by:` the process
 * acting (a buffer handle's own process by default).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "tools/scenario/steps_internal.h"
#include "tools/scenario/steps_vm.h"

/* ---- shared parsing ------------------------------------------------------------ */

static void describe_prot(GString *out, unsigned prot)
{
	g_string_append_printf(out, " prot=%s%s%s", prot & SIM_PROT_READ ? "r" : "",
			       prot & SIM_PROT_WRITE ? "w" : "", prot ? "" : "none");
}

/* An address step's target and the process it acts in. */
struct vm_target {
	struct sval addr;
	const char *by;
	bool has_by, has_len;
	uint64_t len;
};

static int parse_target(struct ldr *l, const struct ynode *map, const char *kind,
			struct vm_target *t)
{
	if (ldr_sval(l, ynode_map_get(map, kind), &t->addr, "address"))
		return -1;
	if (t->addr.kind == SVAL_FD)
		return ldr_error(l, ynode_map_get(map, kind), "%s takes an address, not a "
				 "descriptor", kind);
	t->has_by = ynode_map_get(map, "by") != NULL;
	if (ldr_step_by(l, map, &t->by))
		return -1;
	if (ynode_map_get(map, "len")) {
		t->has_len = true;
		if (ldr_get_u64(l, map, "len", "len", &t->len, UINT64_MAX, true))
			return -1;
	}
	return 0;
}

/*
 * The process, address and length of a target at run time: a buffer's own
 * process unless `by:` says otherwise; the length defaults to @dflt, or
 * with @dflt 0 to the rest of the buffer (a page when the address is a
 * number).  0 or RUN_CHECKED.
 */
static long resolve_target(struct runner *r, const struct scn_step *st,
			   const struct vm_target *t, uint64_t dflt, struct sim_proc **p,
			   uint64_t *va, uint64_t *len)
{
	const struct rhandle *h = t->addr.kind == SVAL_BUF ?
		g_hash_table_lookup(r->handles, t->addr.name) : NULL;
	int pid = h && !t->has_by ? h->pid : runner_pid(r, t->by);

	if (runner_sval(r, &t->addr, va))
		return RUN_CHECKED;
	*len = t->has_len ? t->len : dflt ? dflt : h ? h->len - MIN(t->addr.num, h->len) :
	       SIM_PAGE_SIZE;
	*p = sim_proc_find(r->w, pid);
	if (!*p) {
		runner_check(r, false, st->pos.line, "process %d does not exist", pid);
		return RUN_CHECKED;
	}
	r->last_pid = pid;
	return 0;
}

static void describe_target(GString *out, const char *kind, const struct vm_target *t)
{
	g_string_append_printf(out, "%s ", kind);
	if (t->addr.kind == SVAL_NUM)
		g_string_append_printf(out, "0x%llx", (unsigned long long)t->addr.num);
	else if (t->addr.kind == SVAL_VAR)
		g_string_append_printf(out, "$%s", t->addr.name);
	else if (t->addr.num)
		g_string_append_printf(out, "%s+0x%llx", t->addr.name,
				       (unsigned long long)t->addr.num);
	else
		g_string_append(out, t->addr.name);
	if (t->has_len)
		g_string_append_printf(out, " len=0x%llx", (unsigned long long)t->len);
	if (t->has_by)
		g_string_append_printf(out, " by %s", t->by);
}

/* ---- file ------------------------------------------------------------------------ */

const char *const keys_file[] = { "size", "pattern", NULL };

struct file_args {
	const char *name;
	uint64_t size;
	int pattern;          /* -1: zeros */
};

int parse_file(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct file_args *a = g_new0(struct file_args, 1);
	const struct ynode *v;
	uint64_t pat;

	st->args = a;
	a->pattern = -1;
	if (ldr_str(l, ynode_map_get(map, "create_file"), &a->name, "file name"))
		return -1;
	a->name = ldr_keep(l, a->name);
	if (ldr_get_u64(l, map, "size", "a create_file step", &a->size, (1ull << 40) - 1, true))
		return -1;
	if (!a->size)
		return ldr_error(l, ynode_map_get(map, "size"), "a file needs a size");
	if ((v = ynode_map_get(map, "pattern"))) {
		if (ldr_u64(l, v, &pat, 0xff, false, "pattern"))
			return -1;
		a->pattern = (int)pat;
	}
	return 0;
}

long run_file(struct runner *r, struct scn_step *st)
{
	struct file_args *a = st->args;
	struct sim_mobj *f;
	uint8_t page[SIM_PAGE_SIZE];
	int ret = sim_mm_file_create(r->w, a->name, a->size);

	if (ret || a->pattern < 0)
		return ret;
	f = sim_mm_file_find(r->w, a->name);
	memset(page, a->pattern, sizeof(page));
	for (uint64_t off = 0; off < a->size && !ret; off += sizeof(page))
		ret = sim_mm_file_rw(f, off, page, MIN(sizeof(page), a->size - off), true);
	return ret;
}

void describe_file(const struct scn_step *st, GString *out)
{
	const struct file_args *a = st->args;

	g_string_append_printf(out, "create_file %s size=0x%llx", a->name, (unsigned long long)a->size);
	if (a->pattern >= 0)
		g_string_append_printf(out, " pattern=0x%02x", a->pattern);
}

/* ---- mmap ------------------------------------------------------------------------ */

const char *const keys_mmap[] = { "size", "share", "file", "offset", "prot", "addr", "fixed",
				  "by", NULL };

struct mmap_args {
	const char *name, *by, *file;
	uint64_t size, offset;
	unsigned prot, flags;
	bool has_addr;
	struct sval addr;
};

int parse_mmap(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	static const char *const shares[] = { "private", "shared", NULL };
	struct mmap_args *a = g_new0(struct mmap_args, 1);
	const struct ynode *v;
	bool fixed = false;
	int idx = 0;

	st->args = a;
	if (ldr_get_u64(l, map, "size", "an mmap step", &a->size, UINT64_MAX, true) ||
	    ldr_step_by(l, map, &a->by) ||
	    ldr_prot(l, map, &a->prot, SIM_PROT_READ | SIM_PROT_WRITE))
		return -1;
	if ((v = ynode_map_get(map, "share")) && ldr_enum(l, v, shares, &idx, "sharing"))
		return -1;
	a->flags = idx ? SIM_MAP_SHARED : SIM_MAP_PRIVATE;
	if ((v = ynode_map_get(map, "file"))) {
		if (ldr_str(l, v, &a->file, "file name"))
			return -1;
		a->file = ldr_keep(l, a->file);
	} else {
		a->flags |= SIM_MAP_ANONYMOUS;
	}
	if (ynode_map_get(map, "offset") &&
	    ldr_get_u64(l, map, "offset", "offset", &a->offset, UINT64_MAX, true))
		return -1;
	if ((v = ynode_map_get(map, "addr"))) {
		if (ldr_sval(l, v, &a->addr, "address"))
			return -1;
		a->has_addr = true;
	}
	if ((v = ynode_map_get(map, "fixed")) && ldr_bool(l, v, &fixed, "fixed"))
		return -1;
	if (fixed && !a->has_addr)
		return ldr_error(l, v, "a fixed mapping needs its 'addr'");
	if (fixed)
		a->flags |= SIM_MAP_FIXED;
	return ldr_handle_bind(l, ynode_map_get(map, "mmap"), HANDLE_BUF, &a->name);
}

long run_mmap(struct runner *r, struct scn_step *st)
{
	struct mmap_args *a = st->args;
	int pid = runner_pid(r, a->by);
	struct sim_proc *p = sim_proc_find(r->w, pid);
	struct sim_mobj *f = a->file ? sim_mm_file_find(r->w, a->file) : NULL;
	uint64_t addr = 0, va;
	int ret;

	if (!p)
		return -ESRCH;
	if (a->has_addr && runner_sval(r, &a->addr, &addr))
		return RUN_CHECKED;
	r->last_pid = pid;
	/* a file that does not exist is a descriptor open(2) did not give */
	ret = sim_mm_mmap(p->mm, addr, a->size, a->prot, a->flags, f, a->offset, a->name, &va);
	if (ret)
		return ret;
	runner_bind_buffer(r, a->name, pid, va, a->size);
	return 0;
}

void describe_mmap(const struct scn_step *st, GString *out)
{
	const struct mmap_args *a = st->args;

	g_string_append_printf(out, "mmap %s size=0x%llx %s", a->name,
			       (unsigned long long)a->size,
			       (a->flags & SIM_MAP_SHARED) ? "shared" : "private");
	if (a->file)
		g_string_append_printf(out, " file=%s offset=0x%llx", a->file,
				       (unsigned long long)a->offset);
	describe_prot(out, a->prot);
	if (a->has_addr)
		g_string_append(out, (a->flags & SIM_MAP_FIXED) ? " fixed" : " hinted");
	g_string_append_printf(out, " by %s", a->by);
}

/* ---- munmap, mprotect, touch --------------------------------------------------------- */

const char *const keys_munmap[] = { "len", "by", NULL };
const char *const keys_mprotect[] = { "len", "prot", "by", NULL };
const char *const keys_touch[] = { "len", "op", "by", NULL };

struct vm_args {
	struct vm_target t;
	unsigned prot;        /* mprotect */
	bool write;           /* touch */
};

int parse_vm(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	static const char *const ops[] = { "read", "write", NULL };
	struct vm_args *a = g_new0(struct vm_args, 1);
	const char *kind = st->kind->name;
	const struct ynode *v;
	int idx = 1;

	st->args = a;
	if (parse_target(l, map, kind, &a->t))
		return -1;
	if (!strcmp(kind, "mprotect")) {
		if (!ynode_map_get(map, "prot"))
			return ldr_error(l, map, "an mprotect step needs 'prot'");
		return ldr_prot(l, map, &a->prot, 0);
	}
	if (!strcmp(kind, "touch") && (v = ynode_map_get(map, "op")) &&
	    ldr_enum(l, v, ops, &idx, "access"))
		return -1;
	a->write = idx == 1;
	return 0;
}

long run_vm(struct runner *r, struct scn_step *st)
{
	struct vm_args *a = st->args;
	const char *kind = st->kind->name;
	struct sim_proc *p;
	uint64_t va, len;
	long ret;

	/* a touch is one access unless given a length */
	if ((ret = resolve_target(r, st, &a->t, !strcmp(kind, "touch"), &p, &va, &len)))
		return ret;
	if (!strcmp(kind, "munmap"))
		return sim_mm_munmap(p->mm, va, len);
	if (!strcmp(kind, "mprotect"))
		return sim_mm_mprotect(p->mm, va, len, a->prot);
	return sim_mm_touch(p->mm, va, len, a->write);
}

void describe_vm(const struct scn_step *st, GString *out)
{
	const struct vm_args *a = st->args;

	describe_target(out, st->kind->name, &a->t);
	if (!strcmp(st->kind->name, "mprotect"))
		describe_prot(out, a->prot);
	else if (!strcmp(st->kind->name, "touch"))
		g_string_append(out, a->write ? " write" : " read");
}
