/* SPDX-License-Identifier: MIT */
/* Runner internals shared by the step kinds and expectations. */
#ifndef TOOLS_SCENARIO_RUNNER_H
#define TOOLS_SCENARIO_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "tools/scenario/scenario.h"

struct rhandle {
	int kind;                  /* HANDLE_FD or HANDLE_BUF (steps_internal.h) */
	int pid;
	int fd;                    /* HANDLE_FD */
	uint64_t va, len;          /* HANDLE_BUF: a buffer in the process */
};

struct runner {
	struct scenario *s;
	struct sim_world *w;
	const struct run_options *opt;
	GHashTable *handles;       /* name -> struct rhandle */
	unsigned checks;           /* checks evaluated */
	unsigned failures;         /* checks that failed */
	GString *step_failures;    /* failure lines of the current step */
	int last_pid;              /* the process a step acted as (handles) */
	GHashTable *vars;          /* saved results: name -> uint64_t */
	GHashTable *scratch;       /* pid -> ioctl scratch buffer (runner.c) */
	unsigned invariant_runs;   /* invariant sweeps done */
	GHashTable *reported;      /* invariant violations already printed */
	void *nested;              /* guest tables, PASID attachments (steps_nested.c) */
	void *sva;                 /* SVA bonds the steps made (steps_sva.c) */
	void *explain;             /* explain.c, during the step explained */
	bool state_checks;         /* §H19 after failing calls, §H18 once all is closed */
};

/* Record one evaluated check; on failure add an indented report line. */
bool runner_check(struct runner *r, bool ok, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Faults in failure lines.  A DMA's: "a permission fault at 0x1000 (stage 2,
 * final access, stage address 0x1000)": the reason, the input address, the
 * stage, the phase and the address at that stage (spec §E.4).  An outcome's
 * (`expect: {fault: ...}`): "a not-present fault" with the details it names.
 */
struct sim_dma;
void runner_dma_fault_str(GString *out, const struct sim_dma *op);
void runner_fault_expected_str(GString *out, const struct scn_outcome *o);

/* pid of a scenario process by name ("init" = 1); -1 when unknown. */
int runner_pid(struct runner *r, const char *name);

/* Evaluate state expectations against the world (expect.c). */
void scn_expect_eval(struct runner *r, const struct scn_expect *e);

/* The step kinds (steps.c). */
const struct step_kind *step_kind_find(const char *name);
/* The kinds in table order: the @i-th, or NULL past the last. */
const struct step_kind *step_kind_at(size_t i);

/* explain.c: print the translations of one step (run_options.explain) */
void scenario_explain_begin(struct runner *r, const struct scn_step *st, const char *desc);
void scenario_explain_end(struct runner *r);

#endif
