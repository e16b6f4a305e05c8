/* SPDX-License-Identifier: MIT */
/*
 * The `ioctl` step: a command by name, its argument built from a YAML map
 * exactly as a C program would lay it out (tools/scenario/abi.c), passed
 * through the syscall layer in the process's own memory, then the outputs
 * checked and saved.
 *
 *   - ioctl: VFIO_IOMMU_MAP_DMA
 *     on: container                 # a descriptor handle
 *     arg: {vaddr: buf, iova: 0, size: 1M, flags: [READ, WRITE]}
 *     expect: {out: {argsz: 32}}    # or ok / {errno: E} / {ret: N}
 *     save: {mapped: size}          # later values may say $mapped
 *
 * The first field (VFIO's argsz, iommufd's size) defaults to the struct's
 * size; `ptr: N` passes a raw pointer instead of the argument (for EFAULT
 * cases).  A field takes a number or a $saved value, and by its kind also:
 * a flags field a flag name or a list of them, an address field a buffer
 * ("buf", "buf+4K"), an enum field a constant by name (full or by its
 * ending: IOMMU_OPTION_OP_GET, OP_GET or GET), a descriptor field a
 * descriptor handle (its fd) or a number such as -1:
 *
 *   - ioctl: VFIO_DEVICE_BIND_IOMMUFD
 *     on: cdev
 *     arg: {iommufd: iommu}         # the handle `open: /dev/iommu, as: iommu` bound
 *     save: {devid: out_devid}
 *   - ioctl: IOMMU_OPTION
 *     on: iommu
 *     arg: {option_id: HUGE_PAGES, op: GET, object_id: $ioas}
 *     expect: {out: {val64: 1}}
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "tools/scenario/abi.h"
#include "tools/scenario/steps_internal.h"

const char *const keys_ioctl[] = { "on", "by", "arg", "ptr", "save", "as", NULL };

struct fval {                    /* one struct field to write or to check */
	const struct abi_field *f;
	bool is_flags;               /* flags by name: @flags, else @v */
	uint32_t flags;
	struct sval v;
};

struct ioctl_args {
	const struct abi_ioctl *io;
	const char *on, *by;
	struct fval *set;            /* arg fields */
	size_t nset;
	struct fval *want;           /* expect.out fields */
	size_t nwant;
	struct sval *data;           /* trailing data[] elements */
	size_t ndata;
	struct sval value;           /* ABI_ARG_VALUE */
	const char *str;             /* ABI_ARG_STRING, ABI_ARG_FD_PTR (handle) */
	bool has_ptr;
	uint64_t ptr;
	const char **save_var, **save_field;
	size_t nsave;
};

void free_ioctl(void *p)
{
	struct ioctl_args *a = p;

	if (!a)
		return;
	g_free(a->set);
	g_free(a->want);
	g_free(a->data);
	g_free(a->save_var);
	g_free(a->save_field);
	g_free(a);
}

/* ---- parsing -------------------------------------------------------------- */

static const struct abi_field *field_of(struct ldr *l, const struct abi_struct *st,
					const struct ynode *k)
{
	const struct abi_field *f = abi_field_find(st, k->str);
	const char *names[64];

	if (f)
		return f;
	abi_field_names(st, names, G_N_ELEMENTS(names));
	if (ldr_suggest(k->str, names))
		ldr_error(l, k, "struct %s has no field '%s'; did you mean '%s'?", st->name,
			  k->str, ldr_suggest(k->str, names));
	else
		ldr_error(l, k, "struct %s has no field '%s'", st->name, k->str);
	return NULL;
}

/* A scalar that is a name (a flag, a constant, a handle), not a number or
 * a $saved value. */
static bool is_word(const struct ynode *n)
{
	return n->kind == YN_SCALAR && n->str[0] != '$' && !g_ascii_isdigit(n->str[0]) &&
	       !(n->str[0] == '-' && g_ascii_isdigit(n->str[1]));
}

static int parse_flags(struct ldr *l, const struct ynode *n, const struct abi_flag *flags,
		       uint32_t *out)
{
	uint64_t num;

	*out = 0;
	if (n->kind == YN_SCALAR && g_ascii_isdigit(n->str[0])) {
		if (ldr_u64(l, n, &num, UINT32_MAX, false, "flags"))
			return -1;
		*out = (uint32_t)num;
		return 0;
	}
	if (n->kind == YN_SCALAR)
		return (*out = abi_flag_find(flags, n->str)) ? 0 :
			ldr_error(l, n, "unknown flag '%s'%s", n->str,
				  flags[0].name ? "" : " (this struct defines no flags: 0)");
	if (ldr_need(l, n, YN_SEQ, "flags"))
		return -1;
	for (size_t i = 0; i < n->nitems; i++) {
		uint32_t bit;
		if (ldr_need(l, n->items[i], YN_SCALAR, "a flag"))
			return -1;
		bit = abi_flag_find(flags, n->items[i]->str);
		if (!bit) {
			GString *m = g_string_new(NULL);
			g_string_printf(m, "unknown flag '%s' (", n->items[i]->str);
			g_string_append(m, flags[0].name ? "flags here:" :
					"this struct defines no flags: 0");
			for (size_t j = 0; flags[j].name; j++)
				g_string_append_printf(m, " %s", flags[j].name);
			g_string_append(m, ")");
			ldr_error(l, n->items[i], "%s", m->str);
			g_string_free(m, TRUE);
			return -1;
		}
		*out |= bit;
	}
	return 0;
}

/* An ABI_ENUM value by name: full, or an ending only one constant has. */
static int parse_enum(struct ldr *l, const struct ynode *n, const struct abi_field *f,
		      struct sval *out)
{
	const struct abi_const *c = abi_enum_find(f->values, n->str);
	const char *names[32], *shorts[32], *near;
	size_t nn = 0, plen = 0;
	GString *m;

	if (c) {
		*out = (struct sval){ .kind = SVAL_NUM, .num = c->value, .line = n->line };
		return 0;
	}
	for (size_t i = 0; f->values && f->values[i].name && nn + 1 < G_N_ELEMENTS(names); i++)
		names[nn++] = f->values[i].name;
	names[nn] = NULL;
	/* the names' common prefix up to a '_' ("IOMMU_OPTION_OP_"): a short
	 * name is matched against what follows it */
	if (nn > 1) {
		plen = strlen(names[0]);
		for (size_t i = 1; i < nn; i++)
			while (plen && strncmp(names[0], names[i], plen))
				plen--;
		while (plen && names[0][plen - 1] != '_')
			plen--;
	}
	for (size_t i = 0; i < nn; i++)
		shorts[i] = names[i] + plen;
	shorts[nn] = NULL;
	if (!(near = ldr_suggest(n->str, names)) && plen &&
	    (near = ldr_suggest(n->str, shorts)))
		near -= plen;        /* shorts[i] points into names[i] */
	m = g_string_new(NULL);
	g_string_printf(m, "unknown %s '%s'", f->name, n->str);
	if (near) {
		g_string_append_printf(m, "; did you mean '%s'?", near);
	} else {
		g_string_append(m, " (expected a number or one of:");
		for (size_t i = 0; i < nn; i++)
			g_string_append_printf(m, " %s", names[i]);
		g_string_append(m, ")");
	}
	ldr_error(l, n, "%s", m->str);
	g_string_free(m, TRUE);
	return -1;
}

/* One field's value, read as its kind says (abi.h). */
static int parse_value(struct ldr *l, const struct ynode *k, const struct ynode *v,
		       struct fval *fv)
{
	const struct abi_field *f = fv->f;

	if (f->kind == ABI_FLAGS && (v->kind == YN_SEQ || is_word(v))) {
		fv->is_flags = true;
		return parse_flags(l, v, f->flags, &fv->flags);
	}
	if (f->kind == ABI_ENUM && is_word(v))
		return parse_enum(l, v, f, &fv->v);
	if (f->kind == ABI_FD && is_word(v)) {
		/* a descriptor handle; its fd is known when the step runs */
		fv->v = (struct sval){ .kind = SVAL_FD, .line = v->line };
		return ldr_handle_ref(l, v, HANDLE_FD, &fv->v.name);
	}
	return ldr_sval(l, v, &fv->v, k->str);
}

static int parse_fields(struct ldr *l, const struct abi_struct *st, const struct ynode *map,
			struct fval **out, size_t *nout, struct ioctl_args *a)
{
	if (ldr_need(l, map, YN_MAP, "arg"))
		return -1;
	*out = g_new0(struct fval, ynode_map_len(map) + 1);
	for (size_t i = 0; i < ynode_map_len(map); i++) {
		const struct ynode *k = ynode_map_key(map, i), *v = ynode_map_val(map, i);
		struct fval *fv = &(*out)[*nout];

		if (a && st->data_off && !strcmp(k->str, "data")) {
			if (ldr_need(l, v, YN_SEQ, "data"))
				return -1;
			a->data = g_new0(struct sval, v->nitems + 1);
			for (size_t j = 0; j < v->nitems; j++, a->ndata++)
				if (ldr_sval(l, v->items[j], &a->data[j], "a data element"))
					return -1;
			continue;
		}
		if (!(fv->f = field_of(l, st, k)) || parse_value(l, k, v, fv))
			return -1;
		(*nout)++;
	}
	return 0;
}

static int parse_arg(struct ldr *l, const struct ynode *map, struct ioctl_args *a)
{
	const struct ynode *v = ynode_map_get(map, "arg");
	const struct abi_ioctl *io = a->io;

	if (!v) {
		if (io->arg == ABI_ARG_VALUE || io->arg == ABI_ARG_FD_PTR || io->arg == ABI_ARG_STRING)
			return ldr_error(l, map, "%s needs an 'arg'", io->name);
		return 0;
	}
	switch (io->arg) {
	case ABI_ARG_NONE:
		return ldr_error(l, v, "%s takes no argument", io->name);
	case ABI_ARG_VALUE: {
		const struct abi_const *c = v->kind == YN_SCALAR ?
			abi_const_find(io->values, v->str) : NULL;
		if (c) {
			a->value = (struct sval){ .kind = SVAL_NUM, .num = c->value };
			return 0;
		}
		return ldr_sval(l, v, &a->value, "arg");
	}
	case ABI_ARG_FD_PTR:
		return ldr_handle_ref(l, v, HANDLE_FD, &a->str);
	case ABI_ARG_STRING:
		if (ldr_str(l, v, &a->str, "arg"))
			return -1;
		a->str = ldr_keep(l, a->str);
		return 0;
	case ABI_ARG_STRUCT:
		return parse_fields(l, io->st, v, &a->set, &a->nset, a);
	}
	return 0;
}

static int parse_save(struct ldr *l, const struct ynode *map, struct ioctl_args *a)
{
	const struct ynode *v = ynode_map_get(map, "save");

	if (!v)
		return 0;
	if (a->io->arg != ABI_ARG_STRUCT && !a->io->returns_fd)
		return ldr_error(l, v, "%s has no output fields to save", a->io->name);
	if (ldr_need(l, v, YN_MAP, "save"))
		return -1;
	a->save_var = g_new0(const char *, ynode_map_len(v) + 1);
	a->save_field = g_new0(const char *, ynode_map_len(v) + 1);
	for (size_t i = 0; i < ynode_map_len(v); i++) {
		const struct ynode *k = ynode_map_key(v, i), *f = ynode_map_val(v, i);

		if (ldr_need(l, f, YN_SCALAR, "a field name") ||
		    (strcmp(f->str, "ret") && (!a->io->st || !field_of(l, a->io->st, f))))
			return l->err ? -1 : ldr_error(l, f, "only 'ret' can be saved here");
		a->save_var[i] = ldr_keep(l, k->str);
		a->save_field[i] = ldr_keep(l, f->str);
		a->nsave++;
	}
	return 0;
}

int parse_ioctl(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct ioctl_args *a = g_new0(struct ioctl_args, 1);
	const struct ynode *v = ynode_map_get(map, "ioctl"), *e, *out;
	const char *names[128];

	st->args = a;
	if (ldr_need(l, v, YN_SCALAR, "ioctl"))
		return -1;
	abi_ioctl_names(names, G_N_ELEMENTS(names));
	if (!(a->io = abi_ioctl_find_in(v->str, l->s->profile.nesting_abi ?
					   ABI_PROFILE_NESTING_2020 : 0)))
		return ldr_enum(l, v, names, &(int){ 0 }, "ioctl");
	if (!(e = ldr_get(l, map, "on", "an ioctl step")) || ldr_handle_ref(l, e, HANDLE_FD, &a->on))
		return -1;
	if (ynode_map_get(map, "by") && ldr_step_by(l, map, &a->by))
		return -1;
	if ((e = ynode_map_get(map, "ptr"))) {
		if (ldr_u64(l, e, &a->ptr, UINT64_MAX, false, "ptr"))
			return -1;
		a->has_ptr = true;
	}
	if (ynode_map_get(map, "as") && !a->io->returns_fd && !abi_fd_field(a->io))
		return ldr_error(l, ynode_map_get(map, "as"), "%s returns no descriptor to "
				 "name with 'as'", a->io->name);
	if (parse_arg(l, map, a) || parse_save(l, map, a))
		return -1;
	e = ynode_map_get(map, "expect");
	out = e && e->kind == YN_MAP ? ynode_map_get(e, "out") : NULL;
	if (out && a->io->arg != ABI_ARG_STRUCT)
		return ldr_error(l, out, "%s has no output fields", a->io->name);
	return out ? parse_fields(l, a->io->st, out, &a->want, &a->nwant, NULL) : 0;
}

/* ---- running ---------------------------------------------------------------- */

/* Fields are __u8, __u16, __u32, __u64 (host order, as a C program writes
 * them) or small byte arrays such as __u8 __reserved[3] (little-endian). */
static void put_field(uint8_t *buf, const struct abi_field *f, uint64_t v)
{
	uint8_t *p = buf + f->off;
	uint16_t x16 = (uint16_t)v;
	uint32_t x32 = (uint32_t)v;

	switch (f->size) {
	case 1: *p = (uint8_t)v; break;
	case 2: memcpy(p, &x16, 2); break;
	case 4: memcpy(p, &x32, 4); break;
	case 8: memcpy(p, &v, 8); break;
	default:
		for (unsigned i = 0; i < f->size && i < 8; i++)
			p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint64_t get_field(const uint8_t *buf, const struct abi_field *f)
{
	const uint8_t *p = buf + f->off;
	uint16_t x16;
	uint32_t x32;
	uint64_t v = 0;

	switch (f->size) {
	case 1: return *p;
	case 2: memcpy(&x16, p, 2); return x16;
	case 4: memcpy(&x32, p, 4); return x32;
	case 8: memcpy(&v, p, 8); return v;
	default:
		for (unsigned i = 0; i < f->size && i < 8; i++)
			v |= (uint64_t)p[i] << (8 * i);
		return v;
	}
}

/* @v as the field holds it: -1 in an __s32 reads back as 0xffffffff. */
static uint64_t field_width(const struct abi_field *f, uint64_t v)
{
	return f->size >= 8 ? v : v & ((1ull << (8 * f->size)) - 1);
}

/* Lay out the struct argument; returns its length or -1 (a failed check). */
static long build_struct(struct runner *r, const struct ioctl_args *a, uint8_t *buf,
			 size_t cap)
{
	const struct abi_struct *st = a->io->st;
	size_t len = st->size;
	bool argsz_given = false;    /* the first field: VFIO's argsz, iommufd's size */
	uint32_t flags = 0;

	memset(buf, 0, cap);
	for (size_t i = 0; i < a->nset; i++) {
		const struct fval *fv = &a->set[i];
		uint64_t v = fv->flags;

		if (!fv->is_flags && runner_sval(r, &fv->v, &v))
			return -1;
		put_field(buf, fv->f, v);
		argsz_given |= fv->f == &st->fields[0];
		if (!strcmp(fv->f->name, "flags"))
			flags = (uint32_t)v;
	}
	if (st->data_off && a->ndata) {
		/* vfio_irq_set: u8 elements for DATA_BOOL, s32 for DATA_EVENTFD */
		size_t esz = (flags & 0x2) ? 1 : 4;
		for (size_t i = 0; i < a->ndata && st->data_off + (i + 1) * esz <= cap; i++) {
			uint64_t v;
			if (runner_sval(r, &a->data[i], &v))
				return -1;
			memcpy(buf + st->data_off + i * esz, &v, esz);
		}
		len = st->data_off + a->ndata * esz;
	}
	if (!argsz_given)
		put_field(buf, &st->fields[0], len);   /* argsz or size leads every struct */
	return (long)len;
}

static bool check_outputs(struct runner *r, const struct scn_step *st,
			  const struct ioctl_args *a, const uint8_t *buf)
{
	bool ok = true;

	for (size_t i = 0; i < a->nwant; i++) {
		const struct fval *fv = &a->want[i];
		uint64_t have = get_field(buf, fv->f), want = fv->flags;

		if (!fv->is_flags && runner_sval(r, &fv->v, &want))
			return false;
		want = field_width(fv->f, want);
		ok &= runner_check(r, have == want, st->pos.line, "%s.%s = 0x%llx, expected 0x%llx",
				   a->io->st->name, fv->f->name, (unsigned long long)have,
				   (unsigned long long)want);
	}
	return ok;
}

static void save_outputs(struct runner *r, const struct ioctl_args *a, const uint8_t *buf,
			 long ret)
{
	for (size_t i = 0; i < a->nsave; i++) {
		uint64_t *v = g_new(uint64_t, 1);
		*v = !strcmp(a->save_field[i], "ret") ? (uint64_t)ret :
			get_field(buf, abi_field_find(a->io->st, a->save_field[i]));
		g_hash_table_replace(r->vars, g_strdup(a->save_var[i]), v);
	}
}

/* Write the argument into the process's scratch memory; *arg = what to pass. */
static int stage_arg(struct runner *r, const struct ioctl_args *a, struct sim_proc *p,
		     uint8_t *buf, size_t cap, long *len, unsigned long *arg)
{
	uint64_t va = 0, v;
	int32_t fd;

	*len = 0;
	if (a->io->arg == ABI_ARG_VALUE)
		return runner_sval(r, &a->value, &v) ? -1 : (*arg = v, 0);
	if (a->io->arg == ABI_ARG_NONE)
		return *arg = 0, 0;
	if (runner_scratch(r, p->pid, &va))
		return -1;
	*arg = va;
	if (a->io->arg == ABI_ARG_FD_PTR) {
		struct rhandle *h = g_hash_table_lookup(r->handles, a->str);
		fd = h ? h->fd : -1;
		return sim_copy_to_user(p, va, &fd, sizeof(fd));
	}
	if (a->io->arg == ABI_ARG_STRING)
		return sim_copy_to_user(p, va, a->str, strlen(a->str) + 1);
	*len = build_struct(r, a, buf, cap);
	return *len < 0 ? -1 : sim_copy_to_user(p, va, buf, (size_t)*len);
}

long run_ioctl(struct runner *r, struct scn_step *st)
{
	struct ioctl_args *a = st->args;
	struct rhandle *h = g_hash_table_lookup(r->handles, a->on);
	uint8_t buf[4096];
	struct sim_proc *p;
	unsigned long arg;
	long len, ret;

	if (!h) {
		runner_check(r, false, st->pos.line, "handle '%s' is not open", a->on);
		return RUN_CHECKED;
	}
	r->last_pid = a->by ? runner_pid(r, a->by) : h->pid;
	p = sim_proc_find(r->w, r->last_pid);
	if (!p || stage_arg(r, a, p, buf, sizeof(buf), &len, &arg)) {
		runner_check(r, false, st->pos.line, "cannot stage the argument of %s",
			     a->io->name);
		return RUN_CHECKED;
	}
	if (a->has_ptr)
		arg = a->ptr;
	ret = sim_sys_ioctl_ul(r->w, r->last_pid, h->fd, a->io->cmd, arg);
	if (a->io->arg == ABI_ARG_STRUCT && !a->has_ptr)
		sim_copy_from_user(p, buf, arg, a->io->st->size);
	if (ret >= 0) {
		check_outputs(r, st, a, buf);
		save_outputs(r, a, buf, ret);
		/* a descriptor in an output field: what `as:` binds */
		if (st->as && abi_fd_field(a->io) && !a->has_ptr)
			ret = (long)get_field(buf, abi_field_find(a->io->st, abi_fd_field(a->io)));
	}
	return ret;
}

void describe_ioctl(const struct scn_step *st, GString *out)
{
	const struct ioctl_args *a = st->args;

	g_string_append_printf(out, "ioctl %s on %s", a->io->name, a->on);
	if (st->as)
		g_string_append_printf(out, " as %s", st->as);
}

/* ---- put: a structure an ioctl points at, written into a buffer -----------
 *
 *   - put: inv                       # a buffer handle
 *     struct: iommu_hwpt_vtd_s1_invalidate
 *     offset: 24                     # default 0
 *     fields: {addr: 0x40000000, npages: 1, flags: LEAF}
 *
 * The structure's bytes (every field not given is 0) are written at the
 * offset, in the buffer's process; fields take what an ioctl's do.
 */
const char *const keys_put[] = { "struct", "offset", "fields", NULL };

struct put_args {
	const char *buf;
	const struct abi_struct *st;
	uint64_t offset;
	struct fval *set;
	size_t nset;
};

void free_put(void *p)
{
	struct put_args *a = p;

	if (a)
		g_free(a->set);
	g_free(a);
}

int parse_put(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct put_args *a = g_new0(struct put_args, 1);
	const struct ynode *v;
	const char *names[16];

	st->args = a;
	if (ldr_handle_ref(l, ynode_map_get(map, "put"), HANDLE_BUF, &a->buf))
		return -1;
	if (!(v = ldr_get(l, map, "struct", "a put step")) || ldr_need(l, v, YN_SCALAR, "struct"))
		return -1;
	if (!(a->st = abi_data_find(v->str))) {
		abi_data_names(names, G_N_ELEMENTS(names));
		return ldr_enum(l, v, names, &(int){ 0 }, "struct");
	}
	if ((v = ynode_map_get(map, "offset")) &&
	    ldr_u64(l, v, &a->offset, 1ull << 40, false, "offset"))
		return -1;
	if ((v = ynode_map_get(map, "fields")) &&
	    parse_fields(l, a->st, v, &a->set, &a->nset, NULL))
		return -1;
	return 0;
}

long run_put(struct runner *r, struct scn_step *st)
{
	struct put_args *a = st->args;
	struct rhandle *h = g_hash_table_lookup(r->handles, a->buf);
	uint8_t buf[256];
	struct sim_proc *p;

	if (a->st->size > sizeof(buf)) {
		runner_check(r, false, st->pos.line, "%s is larger than a put writes", a->st->name);
		return RUN_CHECKED;
	}
	if (!h || a->offset + a->st->size > h->len) {
		runner_check(r, false, st->pos.line, "%s does not hold %zu bytes at 0x%llx", a->buf,
			     a->st->size, (unsigned long long)a->offset);
		return RUN_CHECKED;
	}
	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < a->nset; i++) {
		const struct fval *fv = &a->set[i];
		uint64_t v = fv->flags;

		if (!fv->is_flags && runner_sval(r, &fv->v, &v))
			return RUN_CHECKED;
		put_field(buf, fv->f, v);
	}
	p = sim_proc_find(r->w, h->pid);
	if (!p)
		return -ESRCH;
	return sim_copy_to_user(p, h->va + a->offset, buf, a->st->size);
}

void describe_put(const struct scn_step *st, GString *out)
{
	const struct put_args *a = st->args;

	g_string_append_printf(out, "put %s+0x%llx %s", a->buf, (unsigned long long)a->offset,
			       a->st->name);
}

/* ---- pread / pwrite of a device region ------------------------------------
 *
 *   - pread: device           # a vfio-pci device fd
 *     region: config          # config, bar0..bar5, rom, vga (index << 40)
 *     offset: 0               # within the region
 *     len: 4                  # 1, 2, 4 or 8 bytes, little-endian
 *     value: 0x00021102       # the value that must be read (optional)
 *     save: ids               # keep it as $ids
 *   - pwrite: device
 *     region: bar0
 *     offset: 0x10
 *     len: 4
 *     value: 0xdeadbeef
 */
const char *const keys_rw[] = { "region", "offset", "len", "value", "save", NULL };

static const char *const region_names[] = {
	"bar0", "bar1", "bar2", "bar3", "bar4", "bar5", "rom", "config", "vga", NULL,
};

struct rw_args {
	const char *on, *save;
	int region;
	uint64_t offset, len;
	bool has_value;
	struct sval value;
};

int parse_rw(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct rw_args *a = g_new0(struct rw_args, 1);
	const struct ynode *v;

	st->args = a;
	if (ldr_handle_ref(l, ynode_map_get(map, st->kind->name), HANDLE_FD, &a->on))
		return -1;
	if (!(v = ldr_get(l, map, "region", "this step")) ||
	    ldr_enum(l, v, region_names, &a->region, "region"))
		return -1;
	if ((v = ynode_map_get(map, "offset")) &&
	    ldr_u64(l, v, &a->offset, (1ull << 40) - 1, true, "offset"))
		return -1;
	if (!(v = ldr_get(l, map, "len", "this step")) || ldr_u64(l, v, &a->len, 8, false, "len"))
		return -1;
	if (a->len != 1 && a->len != 2 && a->len != 4 && a->len != 8)
		return ldr_error(l, v, "len is 1, 2, 4 or 8 bytes");
	if ((v = ynode_map_get(map, "value"))) {
		if (ldr_sval(l, v, &a->value, "value"))
			return -1;
		a->has_value = true;
	} else if (!strcmp(st->kind->name, "pwrite")) {
		return ldr_error(l, map, "a pwrite step needs the 'value' to write");
	}
	if ((v = ynode_map_get(map, "save"))) {
		if (strcmp(st->kind->name, "pread"))
			return ldr_error(l, v, "only a pread has a value to save");
		if (ldr_str(l, v, &a->save, "save"))
			return -1;
		a->save = ldr_keep(l, a->save);
	}
	return 0;
}

long run_rw(struct runner *r, struct scn_step *st)
{
	struct rw_args *a = st->args;
	struct rhandle *h = g_hash_table_lookup(r->handles, a->on);
	uint64_t off = ((uint64_t)a->region << 40) + a->offset, v = 0, want = 0;
	bool rd = !strcmp(st->kind->name, "pread");
	long ret;

	if (!h) {
		runner_check(r, false, st->pos.line, "handle '%s' is not open", a->on);
		return RUN_CHECKED;
	}
	if (a->has_value && runner_sval(r, &a->value, &want))
		return RUN_CHECKED;
	r->last_pid = h->pid;
	if (!rd)
		v = want;
	ret = rd ? sim_sys_pread_k(r->w, h->pid, h->fd, &v, a->len, off)
		 : sim_sys_pwrite_k(r->w, h->pid, h->fd, &v, a->len, off);
	if (rd && ret == (long)a->len) {
		if (a->has_value)
			runner_check(r, v == want, st->pos.line, "read 0x%llx, expected 0x%llx",
				     (unsigned long long)v, (unsigned long long)want);
		if (a->save) {
			uint64_t *keep = g_new(uint64_t, 1);
			*keep = v;
			g_hash_table_replace(r->vars, g_strdup(a->save), keep);
		}
	}
	return ret;
}

void describe_rw(const struct scn_step *st, GString *out)
{
	const struct rw_args *a = st->args;

	g_string_append_printf(out, "%s %s %s+0x%llx len=%llu", st->kind->name, a->on,
			       region_names[a->region], (unsigned long long)a->offset,
			       (unsigned long long)a->len);
}
