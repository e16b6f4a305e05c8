/* SPDX-License-Identifier: MIT */
/*
 * Shared virtual addressing steps (mainline, model/iommu/sva.h): a kernel
 * driver of the device - an accelerator such as idxd or a uacce device -
 * binds a process's address space, and the device DMAs to its virtual
 * addresses with the PASID the bind returns.
 *
 *   - sva_bind: "0000:01:00.0"   # the driver enables SVA and binds app's mm:
 *     process: app               #   the result is the mm's PASID
 *     save: pasid                #   ($pasid for a dma step's pasid:)
 *   - dma: "0000:01:00.0"
 *     op: write
 *     pasid: $pasid
 *     addr: buf+0x10             # a virtual address of app's
 *     len: 8
 *     pattern: 0x5a
 *   - sva_unbind: "0000:01:00.0" # one reference of the (device, process) bond
 *     process: app               #   (ENOENT when there is none)
 *
 * The device must be bound to a kernel driver that does DMA (`driver: idxd`,
 * say; ENODEV otherwise: no driver to make the call).  A bond is named by
 * its device and process; binding the pair again takes
 * another reference on the same bond (the kernel's handle), each unbind puts
 * one, and the bond outlives the process (the driver unbinds when it is
 * done with it; the PASID stays reserved until then).  Bonds left at the end
 * of the run are unbound then, in the order they were made.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "iommusim/iommusim.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/sva.h"
#include "tools/scenario/steps_internal.h"
#include "tools/scenario/steps_sva.h"

struct bond {
	uint32_t sbdf;
	char *proc;
	struct iommu_sva *h;
	unsigned refs;            /* binds not yet unbound */
};

static GPtrArray *bonds(struct runner *r)
{
	if (!r->sva)
		r->sva = g_ptr_array_new();
	return r->sva;
}

static struct bond *bond_find(struct runner *r, uint32_t sbdf, const char *proc)
{
	GPtrArray *b = bonds(r);

	for (guint i = 0; i < b->len; i++) {
		struct bond *x = g_ptr_array_index(b, i);

		if (x->sbdf == sbdf && !strcmp(x->proc, proc))
			return x;
	}
	return NULL;
}

static void bond_drop(struct runner *r, struct bond *x)
{
	g_ptr_array_remove(bonds(r), x);
	g_free(x->proc);
	g_free(x);
}

void runner_sva_cleanup(struct runner *r)
{
	GPtrArray *b = r->sva;

	while (b && b->len) {     /* the oldest is last */
		struct bond *x = g_ptr_array_index(b, b->len - 1);

		while (x->refs--)
			iommu_sva_unbind_device(x->h);
		bond_drop(r, x);
	}
	if (b)
		g_ptr_array_free(b, TRUE);
	r->sva = NULL;
}

/* `save: NAME`: a word the step saves its value under, kept (or NULL). */
static int parse_save_name(struct ldr *l, const struct ynode *map, const char **save)
{
	const struct ynode *v = ynode_map_get(map, "save");

	*save = NULL;
	if (!v)
		return 0;
	if (ldr_str(l, v, save, "save"))
		return -1;
	*save = ldr_keep(l, *save);
	return 0;
}

static void save_value(struct runner *r, const char *name, uint64_t value)
{
	uint64_t *v = g_new(uint64_t, 1);

	*v = value;
	g_hash_table_replace(r->vars, g_strdup(name), v);
}

const char *const keys_sva_bind[] = { "process", "save", NULL };
const char *const keys_sva_unbind[] = { "process", NULL };

struct sva_args {
	uint32_t sbdf;
	const char *proc, *save;
};

int parse_sva(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct sva_args *a = g_new0(struct sva_args, 1);
	const struct ynode *v;

	st->args = a;
	if (ldr_sbdf(l, ynode_map_get(map, st->kind->name), &a->sbdf, "device"))
		return -1;
	if (!(v = ldr_get(l, map, "process", "an SVA step")) ||
	    ldr_process(l, v, &a->proc, "process"))
		return -1;
	return parse_save_name(l, map, &a->save);
}

long run_sva_bind(struct runner *r, struct scn_step *st)
{
	struct sva_args *a = st->args;
	struct pci_dev *dev = pci_dev_find(r->w, a->sbdf);
	struct sim_proc *p = sim_proc_find(r->w, runner_pid(r, a->proc));
	struct iommu_sva *h;
	struct bond *x;
	int err;

	if (!dev)
		return -ENODEV;
	/* the binding is its kernel driver's: a device with none that does
	 * DMA (unbound, vfio-pci's, pci-stub's) has no one to bind */
	if (!dev->driver || !strcmp(dev->driver, "vfio-pci") ||
	    pci_driver_is_managed(r->w, dev->driver))
		return -ENODEV;
	if (!p)
		return -ESRCH;
	/* the driver: iommu_dev_enable_feature(SVA), then the bind with the
	 * process's mm (which it holds a user of while binding) */
	if ((err = iommu_sva_enable(dev)))
		return err;
	if (!sim_mm_get_user(p->mm))
		return -ESRCH;
	h = iommu_sva_bind_device(dev, p->mm, &err);
	sim_mm_exit(p->mm);
	if (!h)
		return err;
	x = bond_find(r, a->sbdf, a->proc);
	if (x && x->h != h) {
		/* the process's bond of another address space (an exec): a new
		 * name-less entry keeps the old one's references */
		x = NULL;
	}
	if (!x) {
		x = g_new0(struct bond, 1);
		x->sbdf = a->sbdf;
		x->proc = g_strdup(a->proc);
		x->h = h;
		g_ptr_array_insert(bonds(r), 0, x);     /* found first from now on */
	}
	x->refs++;
	if (a->save)
		save_value(r, a->save, iommu_sva_get_pasid(h));
	return (long)iommu_sva_get_pasid(h);
}

long run_sva_unbind(struct runner *r, struct scn_step *st)
{
	struct sva_args *a = st->args;
	struct bond *x = bond_find(r, a->sbdf, a->proc);

	(void)st;
	if (!x)
		return -ENOENT;       /* the driver holds no such bond */
	iommu_sva_unbind_device(x->h);
	if (!--x->refs)
		bond_drop(r, x);
	return 0;
}

void describe_sva(const struct scn_step *st, GString *out)
{
	const struct sva_args *a = st->args;
	char b[PCI_SBDF_STRLEN];

	g_string_append_printf(out, "%s %s process %s", st->kind->name,
			       pci_sbdf_format(a->sbdf, b), a->proc);
}

/* ---- fault_read / fault_respond: an iommufd fault queue's fd ------------------------
 *
 *   - fault_read: faults          # read(2) of the queue's fd: whole groups,
 *     save: cookie                #   one 40-byte record a page; the result is
 *     len: 2560                   #   the bytes read (len: 64 records by default;
 *                                 #   not a multiple of 40 is ESPIPE); `save:` the
 *                                 #   first record's cookie
 *   - fault_respond: faults       # write(2) of one response
 *     cookie: $cookie
 *     code: success               # or invalid (or a number, to see EINVAL)
 */

const char *const keys_fault_read[] = { "len", "save", "by", NULL };
const char *const keys_fault_respond[] = { "cookie", "code", "by", NULL };

struct fault_args {
	const char *fd, *save, *by;
	uint64_t len;
	struct sval cookie;
	uint32_t code;
};

int parse_fault_fd(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	static const char *const codes[] = { "success", "invalid", NULL };
	struct fault_args *a = g_new0(struct fault_args, 1);
	const struct ynode *v;
	int idx;

	st->args = a;
	a->len = 64 * 40;             /* 64 records of struct iommu_hwpt_pgfault */
	if (ldr_handle_ref(l, ynode_map_get(map, st->kind->name), HANDLE_FD, &a->fd))
		return -1;
	if (ynode_map_get(map, "by") && ldr_step_by(l, map, &a->by))
		return -1;
	if (!strcmp(st->kind->name, "fault_read")) {
		if (ynode_map_get(map, "len") &&
		    ldr_get_u64(l, map, "len", "len", &a->len, 1u << 20, true))
			return -1;
		return parse_save_name(l, map, &a->save);
	}
	if (!(v = ldr_get(l, map, "cookie", "a fault_respond step")) ||
	    ldr_sval(l, v, &a->cookie, "cookie"))
		return -1;
	if (!(v = ldr_get(l, map, "code", "a fault_respond step")))
		return -1;
	if (v->kind == YN_SCALAR && g_ascii_isdigit(v->str[0])) {
		uint64_t num;

		if (ldr_u64(l, v, &num, UINT32_MAX, false, "code"))
			return -1;
		a->code = (uint32_t)num;
	} else if (ldr_enum(l, v, codes, &idx, "response code")) {
		return -1;
	} else {
		a->code = (uint32_t)idx;   /* IOMMUFD_PAGE_RESP_SUCCESS 0, INVALID 1 */
	}
	return 0;
}

long run_fault_fd(struct runner *r, struct scn_step *st)
{
	struct fault_args *a = st->args;
	struct rhandle *h = g_hash_table_lookup(r->handles, a->fd);
	int pid;
	long ret;

	if (!h) {
		runner_check(r, false, st->pos.line, "handle '%s' is not open", a->fd);
		return RUN_CHECKED;
	}
	pid = a->by ? runner_pid(r, a->by) : h->pid;
	r->last_pid = pid;
	if (!strcmp(st->kind->name, "fault_read")) {
		uint8_t *buf = g_malloc0(a->len ? a->len : 1);

		ret = sim_sys_read_k(r->w, pid, h->fd, buf, a->len);
		/* struct iommu_hwpt_pgfault's cookie: its last u32 of 40 bytes */
		if (ret >= 40 && a->save) {
			uint32_t c;

			memcpy(&c, buf + 36, sizeof(c));
			save_value(r, a->save, c);
		}
		g_free(buf);
		return ret;
	} else {
		uint64_t cookie;
		uint32_t resp[2];

		if (runner_sval(r, &a->cookie, &cookie))
			return RUN_CHECKED;
		resp[0] = (uint32_t)cookie;
		resp[1] = a->code;
		return sim_sys_write_k(r->w, pid, h->fd, resp, sizeof(resp));
	}
}

void describe_fault_fd(const struct scn_step *st, GString *out)
{
	const struct fault_args *a = st->args;

	g_string_append_printf(out, "%s %s", st->kind->name, a->fd);
	if (!strcmp(st->kind->name, "fault_respond"))
		g_string_append_printf(out, " code=%u", a->code);
}
