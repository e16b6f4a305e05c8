/* SPDX-License-Identifier: MIT */
/*
 * Memory steps: buffers in a process (`alloc`), their bytes (`fill`,
 * `check`), device DMA (`dma`) and the locked-memory limit (`rlimit`), plus
 * the values steps write (numbers, handles, buffers, saved results).
 *
 *   - alloc: buf            # a 1 MiB buffer at a deterministic address
 *     size: 1M
 *     by: qemu
 *   - fill: buf             # pattern byte (or random: the world's RNG), or data: "text"
 *     pattern: 0xab
 *   - dma: "0000:06:0d.0"   # the device writes 4 KiB at IOVA 0
 *     op: write
 *     addr: 0
 *     len: 4K
 *     pattern: 0x5a
 *     expect: ok            # or {fault: not-present | permission | ...}
 *   - check: buf            # the bytes the device wrote
 *     len: 4K
 *     pattern: 0x5a
 *   - rlimit: qemu
 *     memlock: 64K
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/rng.h"
#include "iommusim/iommusim.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "tools/scenario/steps_internal.h"

/* ---- values --------------------------------------------------------------- */

int ldr_sval(struct ldr *l, const struct ynode *n, struct sval *out, const char *what)
{
	gpointer kind;
	char *plus;

	memset(out, 0, sizeof(*out));
	out->line = n->line;
	if (ldr_need(l, n, YN_SCALAR, what))
		return -1;
	if (n->str[0] == '$') {
		out->kind = SVAL_VAR;
		out->name = ldr_keep(l, n->str + 1);
		return 0;
	}
	if (n->str[0] == '-' && g_ascii_isdigit(n->str[1])) {   /* e.g. -1 for "no fd" */
		out->kind = SVAL_NUM;
		out->num = (uint64_t)strtoll(n->str, NULL, 10);
		return 0;
	}
	if (g_ascii_isdigit(n->str[0]))
		return ldr_u64(l, n, &out->num, UINT64_MAX, true, what);
	plus = strchr(n->str, '+');
	out->name = ldr_keep(l, n->str);
	if (plus) {   /* "buf+4096" */
		struct ynode off = *n;
		((char *)out->name)[plus - n->str] = '\0';
		off.str = plus + 1;
		if (ldr_u64(l, &off, &out->num, UINT64_MAX, true, "offset"))
			return -1;
	}
	kind = g_hash_table_lookup(l->handles, out->name);
	if (!kind)
		return ldr_error(l, n, "'%s' is neither a number, a $saved value nor a handle "
				 "bound by an earlier step", n->str);
	out->kind = GPOINTER_TO_INT(kind) == HANDLE_FD ? SVAL_FD : SVAL_BUF;
	if (plus && out->kind == SVAL_FD)
		return ldr_error(l, n, "an offset applies to a buffer, not to a descriptor");
	return 0;
}

int runner_sval(struct runner *r, const struct sval *v, uint64_t *out)
{
	struct rhandle *h;
	uint64_t *var;

	switch (v->kind) {
	case SVAL_NUM:
		*out = v->num;
		return 0;
	case SVAL_VAR:
		var = g_hash_table_lookup(r->vars, v->name);
		if (var)
			return *out = *var, 0;
		runner_check(r, false, v->line, "$%s was not saved by an earlier step", v->name);
		return -1;
	case SVAL_FD:
	case SVAL_BUF:
		h = g_hash_table_lookup(r->handles, v->name);
		if (h)
			return *out = v->kind == SVAL_FD ? (uint64_t)(int64_t)h->fd : h->va + v->num, 0;
		runner_check(r, false, v->line, "handle '%s' is not open", v->name);
		return -1;
	}
	return -1;
}

/* ---- alloc -------------------------------------------------------------------- */

const char *const keys_alloc[] = { "size", "by", "prot", "hugepages", NULL };

struct alloc_args {
	const char *name, *by;
	uint64_t size;
	unsigned prot;
	unsigned huge_shift;      /* hugepages: 0, SIM_MM_HUGE_2M or SIM_MM_HUGE_1G */
};

/* hugepages: none | 2M | 1G, as a hugetlbfs mount's page size. */
static const char *const huge_names[] = { "none", "2M", "1G", NULL };
static const unsigned huge_shifts[] = { 0, SIM_MM_HUGE_2M, SIM_MM_HUGE_1G };

int ldr_prot(struct ldr *l, const struct ynode *map, unsigned *prot, unsigned dflt)
{
	static const char *const prots[] = { "read", "write", NULL };
	const struct ynode *v = ynode_map_get(map, "prot");
	int idx;

	*prot = dflt;
	if (!v)
		return 0;
	if (ldr_need(l, v, YN_SEQ, "prot"))
		return -1;
	*prot = 0;
	for (size_t i = 0; i < v->nitems; i++) {
		if (ldr_enum(l, v->items[i], prots, &idx, "protection"))
			return -1;
		*prot |= idx ? SIM_PROT_WRITE : SIM_PROT_READ;
	}
	return 0;
}

int parse_alloc(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct alloc_args *a = g_new0(struct alloc_args, 1);
	const struct ynode *v, *size;
	int idx;

	st->args = a;
	if (!(size = v = ldr_get(l, map, "size", "an alloc step")) ||
	    ldr_u64(l, v, &a->size, 1ull << 40, true, "size"))
		return -1;
	if (!a->size)
		return ldr_error(l, v, "an empty buffer cannot be allocated");
	if ((v = ynode_map_get(map, "hugepages"))) {
		if (ldr_enum(l, v, huge_names, &idx, "huge page size"))
			return -1;
		a->huge_shift = huge_shifts[idx];
		if (a->size & ((1ull << a->huge_shift) - 1))
			return ldr_error(l, size, "size 0x%llx is not a whole number of %s huge "
					 "pages", (unsigned long long)a->size, huge_names[idx]);
	}
	if (ldr_step_by(l, map, &a->by) ||
	    ldr_prot(l, map, &a->prot, SIM_PROT_READ | SIM_PROT_WRITE))
		return -1;
	return ldr_handle_bind(l, ynode_map_get(map, "alloc"), HANDLE_BUF, &a->name);
}

long run_alloc(struct runner *r, struct scn_step *st)
{
	struct alloc_args *a = st->args;
	int pid = runner_pid(r, a->by);
	struct sim_proc *p = sim_proc_find(r->w, pid);
	uint64_t va;
	int ret;

	if (!p)
		return -ESRCH;
	ret = sim_mm_map_huge(p->mm, a->size, a->prot, a->name, a->huge_shift, &va);
	if (ret)
		return ret;
	runner_bind_buffer(r, a->name, pid, va, a->size);
	return 0;
}

void runner_bind_buffer(struct runner *r, const char *name, int pid, uint64_t va, uint64_t len)
{
	struct rhandle *h = g_new0(struct rhandle, 1);

	h->kind = HANDLE_BUF;
	h->pid = pid;
	h->va = va;
	h->len = len;
	g_hash_table_replace(r->handles, g_strdup(name), h);
}

const char *alloc_step_buffer(const struct scn_step *st)
{
	const struct alloc_args *a = st->args;

	return st->kind && st->kind->run == run_alloc && a ? a->name : NULL;
}

void describe_alloc(const struct scn_step *st, GString *out)
{
	const struct alloc_args *a = st->args;

	g_string_append_printf(out, "alloc %s size=0x%llx by %s", a->name,
			       (unsigned long long)a->size, a->by);
	for (unsigned i = 1; a->huge_shift && huge_names[i]; i++)
		if (huge_shifts[i] == a->huge_shift)
			g_string_append_printf(out, " hugepages=%s", huge_names[i]);
}

/* ---- fill / check ---------------------------------------------------------------- */

const char *const keys_fill[] = { "offset", "len", "pattern", "data", "by", NULL };

struct bytes_args {
	const char *buf;
	const char *by;           /* fill / check: the process reading or writing it
				   * (a forked child, say); NULL: the buffer's own */
	uint64_t offset, len;
	bool has_len;
	int pattern;              /* -1: data, BYTES_RANDOM: the world's RNG */
	char *data;
	size_t ndata;
};

#define BYTES_RANDOM (-2)

/* Shared by fill, check and dma: pattern: BYTE | random | data: "text". */
static int parse_bytes(struct ldr *l, const struct ynode *map, struct bytes_args *a,
		       bool required)
{
	const struct ynode *p = ynode_map_get(map, "pattern"), *d = ynode_map_get(map, "data");
	uint64_t v;

	a->pattern = -1;
	if (p && d)
		return ldr_error(l, map, "give either 'pattern' or 'data', not both");
	if (!p && !d)
		return required ? ldr_error(l, map, "this step needs 'pattern' or 'data'") : 0;
	if (p && p->kind == YN_SCALAR && !strcmp(p->str, "random")) {
		a->pattern = BYTES_RANDOM;
		return 0;
	}
	if (p) {
		if (ldr_u64(l, p, &v, 0xff, false, "pattern"))
			return -1;
		a->pattern = (int)v;
		return 0;
	}
	if (ldr_need(l, d, YN_SCALAR, "data"))
		return -1;
	a->data = g_strdup(d->str);
	a->ndata = strlen(d->str);
	if (!a->ndata)
		return ldr_error(l, d, "data is empty");
	return 0;
}

void free_fill(void *p)
{
	struct bytes_args *a = p;

	if (a)
		g_free(a->data);
	g_free(a);
}

/* A size for messages: "8G", "64K", or the bytes in hex. */
static const char *size_str(uint64_t n, char buf[32])
{
	static const char units[] = "KMGT";
	int u = -1;

	while (n && !(n & 1023) && u < 3) {
		n >>= 10;
		u++;
	}
	if (u < 0)
		g_snprintf(buf, 32, "0x%llx bytes", (unsigned long long)n);
	else
		g_snprintf(buf, 32, "%llu%c", (unsigned long long)n, units[u]);
	return buf;
}

/* The size of the buffer @buf names at step @upto (its latest alloc), or 0. */
static uint64_t buffer_size_at(const struct scenario *s, const char *buf, size_t upto)
{
	for (size_t i = upto; i--;) {
		const char *b = alloc_step_buffer(&s->steps[i]);

		if (b && !strcmp(b, buf))
			return ((const struct alloc_args *)s->steps[i].args)->size;
	}
	return 0;
}

/*
 * A fill that alone would make more memory resident than the whole budget
 * can never run: refused at load time, at its length (or at the step, for
 * a pattern filling the rest of the buffer).
 */
static int fill_within_budget(struct ldr *l, const struct ynode *map, const struct scn_step *st,
			      const struct bytes_args *a)
{
	uint64_t budget = l->s->profile.memory_budget, size, len;
	char b1[32], b2[32];

	if (!budget || strcmp(st->kind->name, "fill"))
		return 0;
	size = buffer_size_at(l->s, a->buf, l->s->nsteps - 1);
	len = a->has_len ? a->len : a->pattern != -1 ? size - MIN(a->offset, size) : a->ndata;
	if (len <= budget)
		return 0;
	return ldr_error(l, a->has_len ? ynode_map_get(map, "len") : map,
			 "this fill writes %s, more than the memory budget of %s "
			 "(profile memory_budget)", size_str(len, b1), size_str(budget, b2));
}

int parse_fill(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct bytes_args *a = g_new0(struct bytes_args, 1);
	const struct ynode *v;

	st->args = a;
	if (ldr_handle_ref(l, ynode_map_get(map, st->kind->name), HANDLE_BUF, &a->buf))
		return -1;
	if (ynode_map_get(map, "by") && ldr_step_by(l, map, &a->by))
		return -1;
	if ((v = ynode_map_get(map, "offset")) &&
	    ldr_u64(l, v, &a->offset, 1ull << 40, true, "offset"))
		return -1;
	if ((v = ynode_map_get(map, "len"))) {
		if (ldr_u64(l, v, &a->len, 1ull << 40, true, "len"))
			return -1;
		a->has_len = true;
	}
	if (parse_bytes(l, map, a, true))
		return -1;
	if (a->pattern == BYTES_RANDOM && strcmp(st->kind->name, "fill"))
		return ldr_error(l, ynode_map_get(map, "pattern"), "pattern: random draws new "
				 "bytes: only a fill or a dma write can use it");
	return fill_within_budget(l, map, st, a);
}

/* The bytes a fill writes / a check expects from offset @from on: @len of
 * pattern or data (random bytes are drawn in order, chunk after chunk). */
static void bytes_at(struct sim_world *w, const struct bytes_args *a, uint64_t from,
		     uint8_t *b, uint64_t len)
{
	if (a->pattern == BYTES_RANDOM)
		sim_rng_fill(w, b, len);
	else if (a->pattern >= 0)
		memset(b, a->pattern, len);
	else
		for (uint64_t i = 0; i < len; i++)
			b[i] = (uint8_t)a->data[(from + i) % a->ndata];
}

/* The bytes a fill writes / a check expects: @len of pattern or data. */
static uint8_t *expected_bytes(struct sim_world *w, const struct bytes_args *a, uint64_t len)
{
	uint8_t *b = g_malloc(len ? len : 1);

	bytes_at(w, a, 0, b, len);
	return b;
}

/* fill and check move at most this much through the simulator's own heap
 * at a time, whatever the buffer's size */
#define BYTES_CHUNK (1u << 20)

static int resolve_range(struct runner *r, const struct scn_step *st,
			 const struct bytes_args *a, struct rhandle **h, uint64_t *len)
{
	*h = g_hash_table_lookup(r->handles, a->buf);
	if (!*h) {
		runner_check(r, false, st->pos.line, "buffer '%s' was not allocated", a->buf);
		return -1;
	}
	*len = a->has_len ? a->len : a->pattern != -1 ? (*h)->len - MIN(a->offset, (*h)->len)
			 : a->ndata;
	if (a->offset > (*h)->len || *len > (*h)->len - a->offset) {
		runner_check(r, false, st->pos.line, "range 0x%llx+0x%llx is outside buffer "
			     "'%s' (0x%llx bytes)", (unsigned long long)a->offset,
			     (unsigned long long)*len, a->buf, (unsigned long long)(*h)->len);
		return -1;
	}
	return 0;
}

/*
 * The memory budget at run time: the pages this fill would touch first,
 * on top of what is resident, must fit, or nothing is written and the
 * step fails: -ENOMEM when it expects that, else a failed check naming
 * the step's position and the budget (RUN_CHECKED).  0 when it fits.
 */
static long fill_fits(struct runner *r, const struct scn_step *st, struct sim_proc *p,
		      uint64_t va, uint64_t len)
{
	uint64_t budget = r->s->profile.memory_budget, more, now;
	char b1[32], b2[32], b3[32];

	if (!budget)
		return 0;
	more = sim_mm_untouched(p->mm, va, len) * SIM_PAGE_SIZE;
	now = sim_mem_resident(r->w);
	if (now + more <= budget)
		return 0;
	if (st->has_outcome && st->outcome.kind == SCN_OUT_ERRNO && st->outcome.err == ENOMEM)
		return -ENOMEM;
	runner_check(r, false, st->pos.line,
		     "%s:%u:%u: this fill would make %s more memory resident, on top of %s: "
		     "over the memory budget of %s (profile memory_budget); nothing was "
		     "written", r->s->file, st->pos.line, st->pos.col, size_str(more, b1),
		     size_str(now, b2), size_str(budget, b3));
	return RUN_CHECKED;
}

long run_fill(struct runner *r, struct scn_step *st)
{
	struct bytes_args *a = st->args;
	struct sim_proc *p;
	struct rhandle *h;
	uint64_t len, chunk;
	uint8_t *b;
	long ret = 0;

	if (resolve_range(r, st, a, &h, &len))
		return RUN_CHECKED;
	p = sim_proc_find(r->w, a->by ? runner_pid(r, a->by) : h->pid);
	if (!p)
		return -ESRCH;
	if ((ret = fill_fits(r, st, p, h->va + a->offset, len)))
		return ret;
	chunk = MIN(len, BYTES_CHUNK);
	b = g_malloc(chunk ? chunk : 1);
	for (uint64_t done = 0; done < len && !ret; done += chunk) {
		uint64_t n = MIN(len - done, chunk);

		bytes_at(r->w, a, done, b, n);
		ret = sim_copy_to_user(p, h->va + a->offset + done, b, n);
	}
	g_free(b);
	return ret;
}

long run_check(struct runner *r, struct scn_step *st)
{
	struct bytes_args *a = st->args;
	struct rhandle *h;
	struct sim_proc *p;
	uint64_t len, i, chunk;
	uint8_t *want, *have;

	if (resolve_range(r, st, a, &h, &len))
		return RUN_CHECKED;
	p = sim_proc_find(r->w, a->by ? runner_pid(r, a->by) : h->pid);
	if (!p)
		return -ESRCH;
	/* chunk by chunk: a check of a huge buffer holds 2 MiB, not twice it */
	chunk = MIN(len, BYTES_CHUNK);
	want = g_malloc(chunk ? chunk : 1);
	have = g_malloc(chunk ? chunk : 1);
	for (uint64_t done = 0;; done += chunk) {
		uint64_t n = MIN(len - done, chunk), j;

		if (sim_copy_from_user(p, have, h->va + a->offset + done, n)) {
			runner_check(r, false, st->pos.line, "buffer '%s' is not readable", a->buf);
			break;
		}
		bytes_at(r->w, a, done, want, n);
		for (j = 0; j < n && want[j] == have[j]; j++)
			;
		i = done + j;
		if (j < n || done + n == len) {
			runner_check(r, i == len, st->pos.line,
				     "%s+0x%llx: byte 0x%02x, expected 0x%02x", a->buf,
				     (unsigned long long)(a->offset + i), j < n ? have[j] : 0,
				     j < n ? want[j] : 0);
			break;
		}
	}
	g_free(want);
	g_free(have);
	return RUN_CHECKED;
}

void describe_fill(const struct scn_step *st, GString *out)
{
	const struct bytes_args *a = st->args;

	g_string_append_printf(out, "%s %s+0x%llx", st->kind->name, a->buf,
			       (unsigned long long)a->offset);
	if (a->pattern == BYTES_RANDOM)
		g_string_append(out, " pattern=random");
	else if (a->pattern >= 0)
		g_string_append_printf(out, " pattern=0x%02x", a->pattern);
	else
		g_string_append_printf(out, " data=\"%s\"", a->data);
	if (a->by)
		g_string_append_printf(out, " by %s", a->by);
}

/* ---- dma ------------------------------------------------------------------------------ */

const char *const keys_dma[] = { "op", "addr", "len", "pasid", "pattern", "data", NULL };

struct dma_args {
	uint32_t sbdf;
	bool write;
	struct sval addr;
	uint64_t len;
	bool pasid_valid;
	uint32_t pasid;
	struct sval pasid_sv;      /* pasid: $saved (kind SVAL_VAR), resolved at run */
	struct bytes_args bytes;   /* write: the source; read: what must arrive */
};

/*
 * What dma and mdev_dma share: `op: read|write`, `addr:`, `len:` (1 byte to
 * 1 GiB, within the memory budget: the device's side of the transfer is
 * memory too), and `pattern:`/`data:` (a write's source, a read's
 * expectation; random only for a write).  @what names the step.
 */
static int parse_transfer(struct ldr *l, const struct ynode *map, const char *what,
			  bool *write, struct sval *addr, uint64_t *len, struct bytes_args *bytes)
{
	static const char *const ops[] = { "read", "write", NULL };
	const struct ynode *v;
	int op;

	if (!(v = ldr_get(l, map, "op", what)) || ldr_enum(l, v, ops, &op, "dma op"))
		return -1;
	*write = op == 1;
	if (!(v = ldr_get(l, map, "addr", what)) || ldr_sval(l, v, addr, "addr") ||
	    !(v = ldr_get(l, map, "len", what)) || ldr_u64(l, v, len, 1ull << 30, true, "len"))
		return -1;
	if (!*len)
		return ldr_error(l, v, "a DMA moves at least one byte");
	if (l->s->profile.memory_budget && *len > l->s->profile.memory_budget) {
		char b1[32], b2[32];

		return ldr_error(l, v, "this DMA moves %s, more than the memory budget of %s "
				 "(profile memory_budget)", size_str(*len, b1),
				 size_str(l->s->profile.memory_budget, b2));
	}
	if (parse_bytes(l, map, bytes, *write))
		return -1;
	if (bytes->pattern == BYTES_RANDOM && !*write)
		return ldr_error(l, ynode_map_get(map, "pattern"), "pattern: random draws new "
				 "bytes: only a fill or a dma write can use it");
	return 0;
}

int parse_dma(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct dma_args *a = g_new0(struct dma_args, 1);
	const struct ynode *v = ynode_map_get(map, "dma");
	uint64_t num;

	st->args = a;
	if (ldr_sbdf(l, v, &a->sbdf, "dma"))
		return -1;
	for (size_t i = 0; i < l->s->ntopology && a->sbdf != l->s->topology[i].sbdf; i++)
		if (i + 1 == l->s->ntopology)
			return ldr_error(l, v, "device %s is not in the topology", v->str);
	if ((v = ynode_map_get(map, "pasid"))) {
		/* a number, or the $saved result of an sva_bind */
		num = 0;
		if (v->kind == YN_SCALAR && v->str[0] == '$') {
			if (ldr_sval(l, v, &a->pasid_sv, "pasid"))
				return -1;
		} else if (ldr_u64(l, v, &num, (1u << 20) - 1, false, "pasid")) {
			return -1;
		}
		a->pasid_valid = true;
		a->pasid = (uint32_t)num;
	}
	return parse_transfer(l, map, "a dma step", &a->write, &a->addr, &a->len, &a->bytes);
}

void free_dma(void *p)
{
	struct dma_args *a = p;

	if (a)
		g_free(a->bytes.data);
	g_free(a);
}

/*
 * spec §H1 for a DMA that succeeded: every page it touched is mapped, with
 * that permission, in the domain attached to the device's group now (or to
 * its PASID), on a pinned user page.  For a nested domain that is §H24 too:
 * the kernel's own walk - the guest's stage 1, each table read through
 * stage 2, then stage 2 - must allow the access (S1 ∩ S2).  The hardware
 * decided from the tables and its caches; this checks they said what the
 * kernel's state says they should.
 */
static void check_h1(struct runner *r, const struct scn_step *st, const struct dma_args *a,
		     uint64_t addr)
{
	struct pci_dev *dev = pci_dev_find(r->w, a->sbdf);
	struct iommu_domain *d = NULL;
	unsigned need = a->write ? IOMMU_WRITE : IOMMU_READ, prot;
	uint64_t page, hpa, end = addr + a->len - 1;
	enum sim_frame_kind kind;
	const char *inv;

	if (!dev || !r->s->profile.invariants || r->opt->no_invariants)
		return;
	if (a->pasid_valid)
		d = iommu_device_pasid_domain(dev, a->pasid);
	else if (dev->group)
		d = dev->group->domain;
	/* a guest's STE on the RID: its PASIDs are the guest's CD table's */
	if (a->pasid_valid && !d && dev->group && dev->group->domain &&
	    dev->group->domain->guest_ste)
		d = dev->group->domain;
	if (!d && !a->pasid_valid)
		return;
	if (!runner_check(r, d != NULL, st->pos.line, "invariant §H1: a PASID %u DMA from %s "
			  "landed, but no domain is attached to that PASID", a->pasid, dev->name))
		return;
	if (d->type == IOMMU_DOMAIN_IDENTITY)
		return;
	if (!runner_check(r, d->type == IOMMU_DOMAIN_PAGING || d->type == IOMMU_DOMAIN_NESTED ||
			  d->type == IOMMU_DOMAIN_SVA,
			  st->pos.line, "invariant §H1: a DMA from %s got through a blocked domain",
			  dev->name))
		return;
	/* SVA: nothing is pinned; the page must be the one the process maps
	 * at that address now, with that access, and the process alive */
	for (page = addr & SIM_PAGE_MASK; d->type == IOMMU_DOMAIN_SVA && page <= end &&
	     page >= (addr & SIM_PAGE_MASK); page += SIM_PAGE_SIZE) {
		uint64_t mine = 0;
		bool wr = false;
		bool ok = sim_mm_alive(d->mm) && !iommu_iova_to_phys(d, page, &hpa, &prot) &&
			  sim_mm_lookup(d->mm, page, &mine, &wr) && mine == (hpa & SIM_PAGE_MASK) &&
			  (wr || !a->write);

		if (!runner_check(r, ok, st->pos.line, "invariant §H1: SVA DMA page 0x%llx of %s "
				  "is not the process's page at that address with that access",
				  (unsigned long long)page, dev->name))
			return;
	}
	if (d->type == IOMMU_DOMAIN_SVA)
		return;
	inv = d->type == IOMMU_DOMAIN_NESTED ? "§H24" : "§H1";
	for (page = addr & SIM_PAGE_MASK; page <= end && page >= (addr & SIM_PAGE_MASK);
	     page += SIM_PAGE_SIZE) {
		bool mapped = !(d->guest_ste ? iommu_nested_ste_to_phys(d, a->pasid_valid ? a->pasid
								       : IOMMU_PASID_NONE,
								       page, &hpa, &prot)
					     : iommu_iova_to_phys(d, page, &hpa, &prot)) &&
			      (prot & need);

		kind = mapped ? sim_mem_frame_kind(r->w, hpa) : SIM_FRAME_NR_KINDS;
		if (!runner_check(r, mapped && (kind == SIM_FRAME_USER || kind == SIM_FRAME_NATIVE),
				  st->pos.line, "invariant %s: DMA page 0x%llx of %s is %s", inv,
				  (unsigned long long)page, dev->name,
				  !mapped ? "not mapped for this access in the domain attached now"
				  : "not a pinned user page"))
			return;
	}
}

/* The fault the step expects, and the record's stage, phase and address at
 * that stage when the step names them (spec §E.4); a mismatch says both
 * faults in full (runner_dma_fault_str). */
static void check_fault(struct runner *r, const struct scn_outcome *o, int ret,
			const struct sim_dma *op)
{
	bool kind = ret == -EFAULT && op->fault_reason == o->err;
	bool same = kind &&
		    (o->fault_stage < 0 || op->fault_stage == (unsigned)o->fault_stage) &&
		    (o->fault_phase < 0 || op->fault_phase == o->fault_phase) &&
		    (!o->has_stage_addr || op->fault_stage_addr == o->stage_addr);
	GString *want = g_string_new(NULL), *got = g_string_new(NULL);

	/* each detail named is a check of its own once the kind matches */
	if (kind)
		r->checks += (o->fault_stage >= 0) + (o->fault_phase >= 0) + o->has_stage_addr;

	runner_fault_expected_str(want, o);
	if (ret == -EFAULT)
		runner_dma_fault_str(got, op);
	else if (ret)
		g_string_append_printf(got, "-%s", errno_name(-ret) ? errno_name(-ret) : "?");
	else
		g_string_append(got, "success");
	runner_check(r, same, o->pos.line, "expected %s, got %s", want->str, got->str);
	g_string_free(want, TRUE);
	g_string_free(got, TRUE);
}

/* A DMA expected to land: a failure line names the fault that happened. */
static bool dma_landed(struct runner *r, const struct scn_step *st,
		       const struct scn_outcome *o, int ret, const struct sim_dma *op)
{
	GString *got = g_string_new(NULL);
	bool ok;

	if (ret == -EFAULT)
		runner_dma_fault_str(got, op);
	else
		g_string_append_printf(got, "-%s", errno_name(-ret) ? errno_name(-ret) : "?");
	ok = runner_check(r, ret == 0, o->pos.line ? o->pos.line : st->pos.line,
			  "expected the DMA to land, got %s", got->str);
	g_string_free(got, TRUE);
	return ok;
}

long run_dma(struct runner *r, struct scn_step *st)
{
	struct dma_args *a = st->args;
	struct scn_outcome o = st->has_outcome ? st->outcome : (struct scn_outcome){ .kind = SCN_OUT_OK };
	char bdf[PCI_SBDF_STRLEN];
	struct sim_dma op = { 0 };
	uint8_t *buf, *want = NULL;
	int ret;

	if (runner_sval(r, &a->addr, &op.addr))
		return RUN_CHECKED;
	if (a->pasid_sv.kind == SVAL_VAR) {
		uint64_t v;

		if (runner_sval(r, &a->pasid_sv, &v))
			return RUN_CHECKED;
		a->pasid = (uint32_t)v;
	}
	buf = a->write ? expected_bytes(r->w, &a->bytes, a->len) : g_malloc0(a->len);
	op.pasid = a->pasid;
	op.pasid_valid = a->pasid_valid;
	op.write = a->write;
	op.buf = buf;
	op.len = a->len;
	ret = sim_dev_dma(r->w, pci_sbdf_format(a->sbdf, bdf), &op);
	if (o.kind == SCN_OUT_FAULT)
		check_fault(r, &o, ret, &op);
	else if (dma_landed(r, st, &o, ret, &op) &&
		 (check_h1(r, st, a, op.addr), true) &&
		 !a->write && (a->bytes.pattern >= 0 || a->bytes.data)) {
		want = expected_bytes(r->w, &a->bytes, a->len);
		runner_check(r, !memcmp(want, buf, a->len), st->pos.line,
			     "the device read other bytes than expected");
	}
	g_free(want);
	g_free(buf);
	return RUN_CHECKED;
}

void describe_dma(const struct scn_step *st, GString *out)
{
	const struct dma_args *a = st->args;
	char bdf[PCI_SBDF_STRLEN];

	g_string_append_printf(out, "dma %s %s len=0x%llx", pci_sbdf_format(a->sbdf, bdf),
			       a->write ? "write" : "read", (unsigned long long)a->len);
	if (a->addr.kind == SVAL_NUM)
		g_string_append_printf(out, " addr=0x%llx", (unsigned long long)a->addr.num);
	if (a->pasid_valid && a->pasid_sv.kind == SVAL_VAR)
		g_string_append_printf(out, " pasid=$%s", a->pasid_sv.name);
	else if (a->pasid_valid)
		g_string_append_printf(out, " pasid=%u", a->pasid);
}

/* ---- rlimit ------------------------------------------------------------------------------ */

const char *const keys_rlimit[] = { "memlock", NULL };

struct rlimit_args {
	const char *proc;
	uint64_t memlock;
};

int parse_rlimit(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct rlimit_args *a = g_new0(struct rlimit_args, 1);
	const struct ynode *v = ynode_map_get(map, "rlimit"), *m;

	st->args = a;
	if (ldr_str(l, v, &a->proc, "rlimit"))
		return -1;
	if (strcmp(a->proc, "init")) {
		size_t i;
		for (i = 0; i < l->s->nprocs && strcmp(l->s->procs[i].name, a->proc); i++)
			;
		if (i == l->s->nprocs)
			return ldr_error(l, v, "process '%s' is not defined under 'processes'",
					 a->proc);
	}
	a->proc = ldr_keep(l, a->proc);
	if (!(m = ldr_get(l, map, "memlock", "an rlimit step")))
		return -1;
	if (m->kind == YN_SCALAR && !strcmp(m->str, "unlimited"))
		a->memlock = UINT64_MAX;
	else if (ldr_u64(l, m, &a->memlock, UINT64_MAX, true, "memlock"))
		return -1;
	return 0;
}

long run_rlimit(struct runner *r, struct scn_step *st)
{
	struct rlimit_args *a = st->args;
	struct sim_proc *p = sim_proc_find(r->w, runner_pid(r, a->proc));

	if (!p)
		return -ESRCH;
	p->rlimit_memlock = a->memlock;
	return 0;
}

void describe_rlimit(const struct scn_step *st, GString *out)
{
	const struct rlimit_args *a = st->args;

	if (a->memlock == UINT64_MAX)
		g_string_append_printf(out, "rlimit %s memlock=unlimited", a->proc);
	else
		g_string_append_printf(out, "rlimit %s memlock=0x%llx", a->proc,
				       (unsigned long long)a->memlock);
}

/* ---- mdev_pin / mdev_unpin / mdev_dma: a mediated device's DMA --------------------- */

const char *const keys_mdev_pin[] = { "iova", "npage", "write", NULL };
const char *const keys_mdev_unpin[] = { "iova", "npage", NULL };
const char *const keys_mdev_dma[] = { "op", "addr", "len", "via", "pattern", "data", NULL };

struct mdev_args {
	const char *uuid;
	struct sval iova;
	uint64_t npage, len;
	bool write, pinned;
	struct bytes_args bytes;   /* mdev_dma: write's source, read's expectation */
};

/* A UUID as the mdev core writes it (8-4-4-4-12 hex digits). */
int ldr_uuid(struct ldr *l, const struct ynode *n, const char **out, const char *what)
{
	if (ldr_str(l, n, out, what))
		return -1;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (!(*out)[i] || (dash ? (*out)[i] != '-' : !g_ascii_isxdigit((*out)[i])))
			return ldr_error(l, n, "%s '%s' is not a UUID "
					 "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex)", what, *out);
	}
	if ((*out)[36])
		return ldr_error(l, n, "%s '%s' is not a UUID: 36 characters expected", what,
				 *out);
	*out = ldr_keep(l, *out);
	return 0;
}

int parse_mdev(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	static const char *const vias[] = { "rw", "pinned", NULL };
	struct mdev_args *a = g_new0(struct mdev_args, 1);
	const char *kind = st->kind->name;
	bool dma = !strcmp(kind, "mdev_dma");
	const struct ynode *v = ynode_map_get(map, kind);
	int e;

	st->args = a;
	if (ldr_uuid(l, v, &a->uuid, kind))
		return -1;
	if (!dma) {
		a->npage = 1;
		if (!(v = ldr_get(l, map, "iova", "an mdev pin step")) ||
		    ldr_sval(l, v, &a->iova, "iova"))
			return -1;
		if ((v = ynode_map_get(map, "npage")) &&
		    ldr_u64(l, v, &a->npage, 512, false, "npage (1..512, VFIO_PIN_PAGES_MAX_ENTRIES)"))
			return -1;
		if (!a->npage)
			return ldr_error(l, v, "npage 0 pins nothing (vfio_pin_pages: EINVAL)");
		if ((v = ynode_map_get(map, "write")) && ldr_bool(l, v, &a->write, "write"))
			return -1;
		return 0;
	}
	if ((v = ynode_map_get(map, "via"))) {
		if (ldr_enum(l, v, vias, &e, "via"))
			return -1;
		a->pinned = e == 1;
	}
	return parse_transfer(l, map, "an mdev_dma step", &a->write, &a->iova, &a->len,
			      &a->bytes);
}

void free_mdev(void *p)
{
	struct mdev_args *a = p;

	if (a)
		g_free(a->bytes.data);
	g_free(a);
}

long run_mdev(struct runner *r, struct scn_step *st)
{
	struct mdev_args *a = st->args;
	const char *kind = st->kind->name;
	uint8_t *buf, *want;
	uint64_t iova;
	long ret;

	if (runner_sval(r, &a->iova, &iova))
		return RUN_CHECKED;
	if (!strcmp(kind, "mdev_pin"))
		return sim_mdev_pin(r->w, a->uuid, iova, (int)a->npage, a->write ? SIM_MDEV_WRITE : 0);
	if (!strcmp(kind, "mdev_unpin"))
		return sim_mdev_unpin(r->w, a->uuid, iova, (int)a->npage);
	buf = a->write ? expected_bytes(r->w, &a->bytes, a->len) : g_malloc0(a->len);
	ret = sim_mdev_dma(r->w, a->uuid, iova, buf, a->len,
			   (a->write ? SIM_MDEV_WRITE : 0) | (a->pinned ? SIM_MDEV_PINNED : 0));
	if (!ret && !a->write && (a->bytes.pattern >= 0 || a->bytes.data)) {
		want = expected_bytes(r->w, &a->bytes, a->len);
		runner_check(r, !memcmp(want, buf, a->len), st->pos.line,
			     "the device read other bytes than expected");
		g_free(want);
	}
	g_free(buf);
	return ret;
}

void describe_mdev(const struct scn_step *st, GString *out)
{
	const struct mdev_args *a = st->args;

	g_string_append_printf(out, "%s %s", st->kind->name, a->uuid);
	if (!strcmp(st->kind->name, "mdev_dma"))
		g_string_append_printf(out, " %s via %s len=0x%llx", a->write ? "write" : "read",
				       a->pinned ? "pinned" : "rw", (unsigned long long)a->len);
	else
		g_string_append_printf(out, " npage=%llu%s", (unsigned long long)a->npage,
				       !strcmp(st->kind->name, "mdev_pin") && a->write ? " write" : "");
	if (a->iova.kind == SVAL_NUM)
		g_string_append_printf(out, " iova=0x%llx", (unsigned long long)a->iova.num);
}
