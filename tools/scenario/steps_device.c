/* SPDX-License-Identifier: MIT */
/*
 * Device step kinds: a function interrupting, and a process reading and
 * writing the eventfds interrupts and ioeventfds use.
 *
 *   - irq: "0000:01:00.0"   # the device raises MSI-X vector 3
 *     index: msix           # intx | msi | msix
 *     vector: 3             # (intx: level: 1 asserts, 0 deasserts; default 1)
 *     result: pending       # sent (default) | pending | disabled | unchanged
 *   - eventfd_read: efd     # read(2) of 8 bytes: the counter, reset
 *     expect: {ret: 1}      # or {errno: EAGAIN} when nothing was signalled
 *   - eventfd_write: efd    # write(2) of an 8-byte value (default 1): what
 *     value: 1              # user space does to fire an ioeventfd
 *
 * `irq` is the device's side (sim_dev_irq): what vfio-pci then does with it
 * (automasking, the eventfd SET_IRQS gave the vector, a masked MSI-X
 * entry's pending bit) is the emulated kernel's, seen through the
 * eventfd.  `result` is what the function did, checked by the step.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/syscall.h"
#include "iommusim/iommusim.h"
#include "model/pci/pci.h"
#include "tools/scenario/steps_internal.h"

/* ---- irq -------------------------------------------------------------------------------- */

const char *const keys_irq[] = { "index", "vector", "level", "result", NULL };

static const char *const irq_index_names[] = { "intx", "msi", "msix", NULL };
static const char *const irq_result_names[] = { "sent", "pending", "disabled", "unchanged",
						 NULL };

struct irq_args {
	uint32_t sbdf;
	unsigned index, vector, result;
};

int parse_irq(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct irq_args *a = g_new0(struct irq_args, 1);
	const struct ynode *v = ynode_map_get(map, "irq"), *n;
	uint64_t num;
	int idx;
	size_t i;

	st->args = a;
	if (ldr_sbdf(l, v, &a->sbdf, "irq"))
		return -1;
	for (i = 0; i < l->s->ntopology && l->s->topology[i].sbdf != a->sbdf; i++)
		;
	if (i == l->s->ntopology)
		return ldr_error(l, v, "device %s is not in the topology", v->str);
	if (!(n = ldr_get(l, map, "index", "an irq step")) ||
	    ldr_enum(l, n, irq_index_names, &idx, "irq index"))
		return -1;
	a->index = (unsigned)idx;
	if (a->index == SIM_IRQ_INTX) {
		if ((n = ynode_map_get(map, "vector")))
			return ldr_error(l, n, "INTx has no vectors: give its level "
					 "(level: 1 asserts the line, 0 deasserts it)");
		a->vector = 1;
		if ((n = ynode_map_get(map, "level"))) {
			if (ldr_u64(l, n, &num, 1, false, "level (1 asserted, 0 deasserted)"))
				return -1;
			a->vector = (unsigned)num;
		}
	} else {
		if ((n = ynode_map_get(map, "level")))
			return ldr_error(l, n, "level is INTx's; an %s interrupt is a message: "
					 "give its vector", irq_index_names[a->index]);
		if (!(n = ldr_get(l, map, "vector", "an msi or msix irq step")) ||
		    ldr_u64(l, n, &num, 2047, false, "vector (0..2047)"))
			return -1;
		a->vector = (unsigned)num;
	}
	a->result = SIM_IRQ_SENT;
	if ((n = ynode_map_get(map, "result"))) {
		if (ldr_enum(l, n, irq_result_names, &idx, "irq result"))
			return -1;
		a->result = (unsigned)idx;
	}
	return 0;
}

long run_irq(struct runner *r, struct scn_step *st)
{
	const struct irq_args *a = st->args;
	char bdf[PCI_SBDF_STRLEN];
	int ret = sim_dev_irq(r->w, pci_sbdf_format(a->sbdf, bdf), a->index, a->vector);

	if (ret < 0)
		return ret;             /* the step's expect judges an errno */
	runner_check(r, (unsigned)ret == a->result, st->pos.line,
		     "the device's %s %s %u was %s, not %s", bdf, irq_index_names[a->index],
		     a->vector, irq_result_names[ret], irq_result_names[a->result]);
	return RUN_CHECKED;
}

void describe_irq(const struct scn_step *st, GString *out)
{
	const struct irq_args *a = st->args;
	char bdf[PCI_SBDF_STRLEN];

	pci_sbdf_format(a->sbdf, bdf);
	if (a->index == SIM_IRQ_INTX)
		g_string_append_printf(out, "irq %s intx level %u", bdf, a->vector);
	else
		g_string_append_printf(out, "irq %s %s vector %u", bdf,
				       irq_index_names[a->index], a->vector);
	if (a->result != SIM_IRQ_SENT)
		g_string_append_printf(out, " (%s)", irq_result_names[a->result]);
}

/* ---- eventfd_read / eventfd_write -------------------------------------------------------- */

const char *const keys_eventfd_read[] = { NULL };
const char *const keys_eventfd_write[] = { "value", NULL };

struct efd_args {
	const char *handle;
	uint64_t value;
	bool write;
};

int parse_eventfd_rw(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct efd_args *a = g_new0(struct efd_args, 1);
	const struct ynode *v, *n;

	st->args = a;
	a->write = !strcmp(st->kind->name, "eventfd_write");
	v = ynode_map_get(map, st->kind->name);
	if (ldr_str(l, v, &a->handle, st->kind->name) ||
	    ldr_handle_ref(l, v, HANDLE_FD, &a->handle))
		return -1;
	a->value = 1;
	if (a->write && (n = ynode_map_get(map, "value")) &&
	    ldr_u64(l, n, &a->value, UINT64_MAX, false, "value"))
		return -1;
	return 0;
}

/* read(2) returns 8 with the counter in the buffer; the step's result is
 * the counter, so `expect: {ret: N}` checks how many signals arrived. */
long run_eventfd_rw(struct runner *r, struct scn_step *st)
{
	const struct efd_args *a = st->args;
	struct rhandle *h = g_hash_table_lookup(r->handles, a->handle);
	uint64_t v = a->value;
	long ret;

	if (!h) {
		runner_check(r, false, st->pos.line, "handle '%s' is not open "
			     "(the step that binds it failed or it was closed)", a->handle);
		return RUN_CHECKED;
	}
	r->last_pid = h->pid;
	if (a->write)
		return sim_sys_write_k(r->w, h->pid, h->fd, &v, sizeof(v));
	ret = sim_sys_read_k(r->w, h->pid, h->fd, &v, sizeof(v));
	if (ret < 0)
		return ret;
	return v > (uint64_t)G_MAXLONG ? G_MAXLONG : (long)v;
}

void describe_eventfd_rw(const struct scn_step *st, GString *out)
{
	const struct efd_args *a = st->args;

	if (a->write)
		g_string_append_printf(out, "eventfd_write %s %llu", a->handle,
				       (unsigned long long)a->value);
	else
		g_string_append_printf(out, "eventfd_read %s", a->handle);
}
