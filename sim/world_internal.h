/* SPDX-License-Identifier: MIT */
/* The inside of struct sim_world, shared by the files of sim/ only. */
#ifndef SIM_WORLD_INTERNAL_H
#define SIM_WORLD_INTERNAL_H

#include <stdio.h>
#include <glib.h>

#include "sim/world.h"
#include "sim/rng.h"
#include "sim/ids.h"
#include "sim/trace.h"
#include "sim/sysfs.h"

struct sim_trace_state {
	FILE *out;
	enum sim_trace_fmt fmt;
	char **patterns;            /* NULL-terminated; "-glob" disables */
	GHashTable *cache;          /* event name -> GINT_TO_POINTER(1 + enabled) */
	unsigned long count;
	struct sim_trace_priv *priv; /* trace.c's: parsed formats, Chrome state */
};

struct sim_fault_state {
	char *glob;                 /* NULL = disarmed */
	unsigned long nth;          /* fail-nth; 0 = off */
	unsigned permille;          /* probability; 0 = off */
	unsigned long calls;        /* matching calls since arming */
	unsigned long injected;
	GHashTable *site_calls;     /* site -> unsigned long * */
};

struct sim_mem;

struct sim_world {
	uint64_t seed;
	enum sim_kernel kernel;     /* the emulated kernel's version */
	struct sim_mem *mem;        /* host-physical memory (mem.c) */
	uint64_t now_ns;
	struct sim_rng rng;
	int current_pid;
	struct sim_trace_state trace;
	struct sim_fault_state fault;
	struct sim_ids pids;        /* pid -> struct sim_proc */
	GPtrArray *zombies;         /* exited tasks still referenced (proc.c) */
	GTree *devnodes;            /* path -> struct sim_devnode, strcmp order */
	unsigned long files_live;
	unsigned mmu;               /* enum sim_mmu_fmt of the CPUs (cpu_pgtable.c) */
	bool partial_failure;       /* a failing call changed state, as its kernel does */
	GTree *mm_files;            /* name -> struct sim_mobj: simulated files (mm.c) */
	uint64_t file_serial;
	struct {
		void *data;
		void (*destroy)(void *data);
	} subsys[SIM_SUBSYS_NR];
	struct {                    /* sysfs.c: who owns which files */
		const char *prefix;
		sim_sysfs_store_fn fn;
		void *ctx;
	} sysfs[SIM_SYSFS_MAX_PREFIXES];
	unsigned nsysfs;
	/* sysfs.c: what can be read (path -> value; NULL for a directory),
	 * strcmp order, made at the first entry */
	GTree *sysfs_attrs;
};

/* mem.c */
void sim_mem_destroy(struct sim_world *w);
/* proc.c */
void sim_procs_destroy_all(struct sim_world *w);
/* sysfs.c */
void sim_sysfs_attrs_destroy(struct sim_world *w);
/* devnode.c */
void sim_devnodes_init(struct sim_world *w);
void sim_devnodes_destroy(struct sim_world *w);
/* trace.c / fault.c */
void sim_trace_init(struct sim_world *w);
void sim_trace_fini(struct sim_world *w);
void sim_fault_init(struct sim_world *w);
void sim_fault_fini(struct sim_world *w);

#endif
