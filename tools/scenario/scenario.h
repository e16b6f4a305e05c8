/* SPDX-License-Identifier: MIT */
/*
 * Scenario files: the loaded form of a YAML scenario, and the runner that
 * plays it against a world.  docs/scenario-format.md documents every key.
 *
 * A scenario is loaded completely (and every reference in it checked) before
 * anything runs, so `iommusim check` and `iommusim run` reject the same files
 * with the same FILE:LINE:COL messages.
 */
#ifndef TOOLS_SCENARIO_H
#define TOOLS_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "tools/scenario/ydoc.h"

struct sim_world;
struct scenario;
struct scn_step;
struct runner;

/* Where a value came from, for messages. */
struct scn_pos {
	unsigned line, col;
};

/* The kernel profile: options that select behaviour (ARCHITECTURE §3). */
/* The memory a scenario may make resident unless its profile says (1 GiB). */
#define SCN_MEMORY_BUDGET_DEFAULT (1ull << 30)

struct scn_profile {
	enum iommu_group_mode group_mode;
	unsigned kernel;               /* kernel: enum sim_kernel (mainline) */
	unsigned cpu_mmu;              /* cpu_mmu: 1 + enum sim_mmu_fmt; 0: the IOMMU kind's */
	bool no_iommufd;               /* iommufd: false (CONFIG_IOMMUFD=n) */
	bool vfio_container_iommufd;   /* vfio_container: iommufd */
	bool iommufd_test;             /* iommufd_test: true (CONFIG_IOMMUFD_TEST) */
	unsigned address_width;        /* iommu.address_width: 39 or 48 (default 48) */
	bool default_identity;         /* iommu.default_domain: identity (else dma) */
	unsigned iotlb_entries;        /* iommu.iotlb_entries (default 512; 0 = none) */
	bool naive_iotlb;              /* iommu.naive_iotlb */
	bool naive_map;                /* iommu.naive_map */
	unsigned hw_kind;              /* iommu.format: enum iommu_hw_kind (vtd) */
	unsigned psc_entries;          /* iommu.psc_entries (0 = none) */
	unsigned ctx_cache_entries;    /* iommu.ctx_cache_entries (0 = none) */
	unsigned pasid_cache_entries;  /* iommu.pasid_cache_entries (0 = none) */
	bool smmu_linear_strtab;       /* iommu.smmu_stream_table: linear */
	unsigned riscv_ddt_levels;     /* iommu.riscv_ddt_levels (0: 3) */
	unsigned atc_entries;          /* iommu.atc_entries (default 64) */
	unsigned pasid_bits;           /* iommu.pasid_bits (default 20) */
	unsigned paging_stage;         /* iommu.paging_stage: 1 or 2 (default 2) */
	bool no_ats;                   /* iommu.ats: false */
	bool busy_dma;                 /* iommu.busy_dma */
	bool snoop_control;            /* iommu.snoop_control */
	bool no_irq_remapping;         /* iommu.interrupt_remapping: false */
	bool no_coherent_walk;         /* iommu.coherent_walk: false */
	bool no_dirty_tracking;        /* iommu.dirty_tracking: false */
	bool no_nesting;               /* iommu.nesting: false */
	bool allow_unsafe_interrupts;  /* vfio.allow_unsafe_interrupts */
	unsigned bugs;                 /* iommu.bugs: IOMMU_BUG_* */
	unsigned dma_entry_limit;      /* vfio.dma_entry_limit (default 65535) */
	bool noiommu;                  /* vfio.enable_unsafe_noiommu_mode */
	unsigned mdev_instances;       /* vfio.mdev_instances: the sim_mdev parent */
	unsigned sva_abi;              /* vfio.sva_abi: enum vfio_sva_abi */
	bool rfc_task_leak;            /* vfio.rfc_task_leak */
	unsigned nesting_abi;          /* vfio.nesting_abi: enum vfio_nesting_abi */
	unsigned nesting_bind_scope;   /* vfio.nesting_bind_scope: enum vfio_nesting_scope */
	unsigned pasid_quota;          /* vfio.pasid_quota */
	bool rfc_pasid_efault;         /* vfio.rfc_pasid_efault */
	bool invariants;               /* check spec §H after every step (default on) */
	unsigned fault_permille;       /* fault_inject.probability, in 1/1000 (0: off) */
	const char *fault_sites;       /* fault_inject.sites (NULL: "*") */
	uint64_t memory_budget;        /* memory_budget: bytes of simulated memory the
					* run may make resident (default 1 GiB; 0 = unlimited) */
};

struct scn_process {
	char *name;
	struct scn_pos pos;
	char *parent;              /* NULL = init */
	uint32_t uid, gid;
	uint64_t caps;
	uint64_t rlimit_memlock;
	bool dumpable;             /* false: its mm is SIM_DUMP_DISABLE */
	int pid;                   /* at run time */
};

/* The outcome a step expects: `expect: ok`, `{errno: EBUSY}`, `{ret: 3}`. */
enum scn_outcome_kind { SCN_OUT_OK, SCN_OUT_ERRNO, SCN_OUT_RET, SCN_OUT_FAULT };
struct scn_outcome {
	enum scn_outcome_kind kind;
	int err;                   /* positive errno; SIM_FAULT_* for a fault */
	long ret;
	/* a fault's details, each optional: {fault: K, stage: 2, phase: s1-fetch,
	 * stage_addr: 0x1000} (spec §E.4); -1 / false = not expected */
	int fault_stage;
	int fault_phase;           /* SIM_FAULT_PHASE_* */
	bool has_stage_addr;
	uint64_t stage_addr;
	struct scn_pos pos;
};

/* ---- state expectations (the `expect:` step and the top-level key) ---- */

struct scn_dev_bool { uint32_t sbdf; bool val; struct scn_pos pos; };
struct scn_dev_pair { uint32_t a, b; struct scn_pos pos; };
struct scn_dev_str { uint32_t sbdf; char *str; struct scn_pos pos; };
struct scn_dev_rid { uint32_t sbdf; uint32_t rid_sbdf; struct scn_pos pos; };
struct scn_node_expect {
	char *path;
	bool present;
	bool has_uid, has_gid, has_mode;
	uint32_t uid, gid, mode;
	struct scn_pos pos;
};

/* rss: {PROC: PAGES}: the pages a process's address space maps. */
struct scn_proc_count {
	char *proc;
	uint64_t n;
	struct scn_pos pos;
};

/* A partition: groups[i] is an array of SBDFs (sorted). */
struct scn_partition {
	GArray **groups;           /* GArray of uint32_t */
	size_t ngroups;
	struct scn_pos pos;
};

struct scn_expect {
	struct scn_pos pos;
	struct scn_partition *groups[2];  /* by mode; [legacy] also holds the mode-free form */
	bool groups_any_mode;             /* one partition for both modes */
	int group_count;                  /* -1 = unchecked */
	struct scn_pos group_count_pos;
	GArray *viable;                   /* struct scn_dev_bool */
	GArray *same_group;               /* struct scn_dev_pair */
	GArray *different_group;          /* struct scn_dev_pair */
	GArray *driver;                   /* struct scn_dev_str (str NULL = unbound) */
	GArray *requester_id;             /* struct scn_dev_rid */
	GArray *nodes;                    /* struct scn_node_expect */
	GArray *rss;                      /* struct scn_proc_count */
};

/* ---- steps -------------------------------------------------------------- */

struct ldr;
struct fuzz_gen;

struct step_kind {
	const char *name;
	/* keys this kind accepts beside its own name and the common ones */
	const char *const *keys;
	/* parse the step map into st->args; errors through ldr_error() */
	int (*parse)(struct ldr *l, const struct ynode *map, struct scn_step *st);
	/* run it; return the syscall-style result (>= 0 or -errno), or
	 * RUN_CHECKED for steps that report their own checks */
	long (*run)(struct runner *r, struct scn_step *st);
	/* one line describing the step for the report */
	void (*describe)(const struct scn_step *st, GString *out);
	void (*free_args)(void *args);
	/* the fuzzer's generator of a random step of this kind
	 * (tools/scenario/fuzz_gen.c) and its weight in a case's mix; NULL:
	 * the fuzzer does not write this kind */
	void (*gen)(struct fuzz_gen *g, GString *out);
	unsigned weight;
};
#define RUN_CHECKED (-100000L)

struct scn_step {
	const struct step_kind *kind;
	unsigned index;            /* 1-based */
	struct scn_pos pos;
	char *label;               /* `name:` */
	bool has_outcome;
	struct scn_outcome outcome;
	char *as;                  /* handle name bound to a returned fd */
	void *args;
	struct scn_expect *state;  /* the expect step's expectations */
};

struct scenario {
	char *file;                /* for messages */
	char *name;
	char *description;
	struct scn_profile profile;
	struct pci_dev_spec *topology;     /* validated at load time */
	size_t ntopology;
	struct scn_process *procs;
	size_t nprocs;
	struct scn_step *steps;
	size_t nsteps;
	struct scn_expect *expect; /* top-level, checked after the last step */
	struct sim_world *boot;    /* the loader's world, for a run that needs no
				    * other (scenario_run); NULL once taken */
	GPtrArray *warnings;       /* "FILE:LINE:COL: warning: ..." strings */
	GPtrArray *strings;        /* owned strings referenced from specs */
};

/* Load and validate; NULL with *err = "FILE:LINE:COL: error: ...", one line
 * per independent error, in file order (g_free). */
struct scenario *scenario_load_file(const char *path, char **err);
struct scenario *scenario_load_string(const char *text, size_t len,
				      const char *name, char **err);
void scenario_free(struct scenario *s);

/* Override the profile's group mode (CLI --mode). */
void scenario_set_mode(struct scenario *s, enum iommu_group_mode mode);
/* Emulate another kernel release (--kernel): the profile's kernel. */
void scenario_set_kernel(struct scenario *s, enum sim_kernel k);
/* The profile's `iommufd:` (CONFIG_IOMMUFD). */
void scenario_set_iommufd(struct scenario *s, bool on);
/* vfio_container: iommufd (true) or legacy. */
void scenario_set_vfio_container(struct scenario *s, bool iommufd);
/* The profile's `iommufd_test:` (CONFIG_IOMMUFD_TEST). */
void scenario_set_iommufd_test(struct scenario *s, bool on);
/* Run on another IOMMU (iommusim run --format): the profile's iommu.format. */
void scenario_set_format(struct scenario *s, enum iommu_hw_kind kind);

/*
 * Build the world a scenario describes: topology, IOMMU core, VFIO, the
 * processes.  NULL with *err on failure (a topology error names the key).
 */
struct sim_world *scenario_build_world(struct scenario *s, uint64_t seed, char **err);
struct run_options;
/* The same with the run's seed and trace (@opt may be NULL), reporting a
 * topology or driver-binding error through @berr. */
struct sim_world *scenario_world_build(struct scenario *s, const struct run_options *opt,
				       struct pci_build_error *berr, char **err);
/* Its two halves: the machine up to the drivers' binding, then the
 * processes and the profile's random fault injection (0 or -1 with *err;
 * the world is the caller's either way). */
struct sim_world *scenario_world_boot(struct scenario *s, const struct run_options *opt,
				      struct pci_build_error *berr, char **err);
int scenario_world_finish(struct scenario *s, struct sim_world *w,
			  const struct run_options *opt, char **err);

struct run_options {
	uint64_t seed;
	FILE *report;              /* per-step report; NULL = silent */
	FILE *errors;              /* where a world that cannot boot is reported; NULL = stderr */
	FILE *trace;               /* trace output; NULL = off */
	enum { RUN_TRACE_TEXT, RUN_TRACE_JSON, RUN_TRACE_CHROME } trace_fmt;
	const char *trace_events;  /* globs; NULL = SIM_TRACE_DEFAULT_EVENTS */
	bool print_groups;         /* print the group table before the steps */
	bool no_invariants;        /* skip the spec §H checks after each step */
	bool no_front_cache;       /* the IOMMU model's front cache off (iommu_hw_config.no_front) */
	unsigned long fail_nth;    /* fault injection: fail the Nth call ... */
	const char *fail_sites;    /* ... to a site matching this glob (NULL = "*") */
	bool fail_after_boot;      /* ... counting from the first step, not the boot */
	unsigned fail_permille;    /* or: each such call fails with this chance in 1000,
				    * drawn from the world's RNG (--fail-random) */
	bool *fault_fired;         /* out, optional: did the injected fault fire? */
	FILE *explain;             /* explain step explain_step here; NULL = off */
	unsigned explain_step;     /* 1-based */
};

/*
 * Run: 0 all expectations held, 1 one failed, 2 the world could not be built.
 * With opt->fail_nth, the report ends with a line saying whether the fault
 * fired ("fault injection: site S, call N" or "... not reached").
 */
int scenario_run(struct scenario *s, const struct run_options *opt);

/* scenario trace points */
#define TP_scenario_step "n=%u kind=%s line=%u"

/* Print the groups of a world: text table or the one-line JSON contract. */
void scenario_print_groups(struct sim_world *w, FILE *out, bool json);

#endif
