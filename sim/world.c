/* SPDX-License-Identifier: MIT */
/*
 * The world: creation, teardown, subsystem slots, the virtual clock and the
 * current-process context.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/proc.h"
#include "sim/mm.h"
#include "sim/world_internal.h"

struct sim_world *sim_world_create(uint64_t seed)
{
	struct sim_world *w = g_new0(struct sim_world, 1);
	struct sim_cred root = { .uid = 0, .gid = 0, .caps = SIM_CAPS_ALL };

	w->seed = seed;
	sim_rng_seed(&w->rng, seed);
	sim_ids_init(&w->pids);
	sim_trace_init(w);
	sim_fault_init(w);
	sim_devnodes_init(w);
	/* pid 1: init, root with every capability (the id table starts at 1) */
	if (sim_proc_create(w, 0, "init", &root, 0) != 1) {
		sim_world_destroy(w);
		return NULL;
	}
	return w;
}

void sim_world_destroy(struct sim_world *w)
{
	if (!w)
		return;
	/* userspace goes first: closing fds drops the last file references */
	sim_procs_destroy_all(w);
	for (int i = SIM_SUBSYS_NR - 1; i >= 0; i--) {
		if (w->subsys[i].destroy)
			w->subsys[i].destroy(w->subsys[i].data);
		w->subsys[i].data = NULL;
		w->subsys[i].destroy = NULL;
	}
	sim_devnodes_destroy(w);
	sim_sysfs_attrs_destroy(w);
	sim_mm_files_destroy(w);    /* mappings that held them went with their mms */
	sim_mem_destroy(w);
	sim_ids_destroy(&w->pids);
	sim_fault_fini(w);
	sim_trace_fini(w);
	g_free(w);
}

void sim_world_set_subsys(struct sim_world *w, enum sim_subsys slot, void *data,
			  void (*destroy)(void *data))
{
	g_return_if_fail(slot < SIM_SUBSYS_NR);
	w->subsys[slot].data = data;
	w->subsys[slot].destroy = destroy;
}

void *sim_world_subsys(struct sim_world *w, enum sim_subsys slot)
{
	return slot < SIM_SUBSYS_NR ? w->subsys[slot].data : NULL;
}

uint64_t sim_world_seed(const struct sim_world *w)
{
	return w->seed;
}

static const char *const kernel_names[SIM_KERNEL_NR] = {
	[SIM_KERNEL_MAINLINE] = "mainline", [SIM_KERNEL_6_1] = "6.1",
	[SIM_KERNEL_6_12] = "6.12", [SIM_KERNEL_6_2] = "6.2",
};

/* major << 8 | minor; mainline above every release */
static const unsigned kernel_versions[SIM_KERNEL_NR] = {
	[SIM_KERNEL_MAINLINE] = ~0u, [SIM_KERNEL_6_1] = 0x0601,
	[SIM_KERNEL_6_12] = 0x060c, [SIM_KERNEL_6_2] = 0x0602,
};

bool sim_kernel_before(const struct sim_world *w, unsigned major, unsigned minor)
{
	return kernel_versions[w->kernel] < (major << 8 | minor);
}

void sim_world_note_partial_failure(struct sim_world *w)
{
	w->partial_failure = true;
}

bool sim_world_take_partial_failure(struct sim_world *w)
{
	bool was = w->partial_failure;

	w->partial_failure = false;
	return was;
}

enum sim_kernel sim_world_kernel(const struct sim_world *w)
{
	return w->kernel;
}

void sim_world_set_kernel(struct sim_world *w, enum sim_kernel k)
{
	if ((unsigned)k < SIM_KERNEL_NR)
		w->kernel = k;
}

const char *sim_kernel_name(enum sim_kernel k)
{
	return (unsigned)k < SIM_KERNEL_NR ? kernel_names[k] : "?";
}

int sim_kernel_from_name(const char *name)
{
	for (int k = 0; name && k < SIM_KERNEL_NR; k++)
		if (!strcmp(name, kernel_names[k]))
			return k;
	return -1;
}

uint64_t sim_now(const struct sim_world *w)
{
	return w->now_ns;
}

void sim_clock_advance(struct sim_world *w, uint64_t ns)
{
	w->now_ns += ns;
}

int sim_current_pid(const struct sim_world *w)
{
	return w->current_pid;
}

void sim_set_current(struct sim_world *w, int pid)
{
	w->current_pid = pid;
}

struct sim_rng *sim_world_rng(struct sim_world *w)
{
	return &w->rng;
}
