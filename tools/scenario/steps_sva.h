/* SPDX-License-Identifier: MIT */
/* The SVA step kinds (steps_sva.c) for the table in steps.c. */
#ifndef TOOLS_SCENARIO_STEPS_SVA_H
#define TOOLS_SCENARIO_STEPS_SVA_H

#include "tools/scenario/loader.h"
#include "tools/scenario/runner.h"

int parse_sva(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_sva_bind(struct runner *r, struct scn_step *st);
long run_sva_unbind(struct runner *r, struct scn_step *st);
void describe_sva(const struct scn_step *st, GString *out);
extern const char *const keys_sva_bind[], *const keys_sva_unbind[];
/* fault_read / fault_respond: an iommufd fault queue's fd */
int parse_fault_fd(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_fault_fd(struct runner *r, struct scn_step *st);
void describe_fault_fd(const struct scn_step *st, GString *out);
extern const char *const keys_fault_read[], *const keys_fault_respond[];
/* Unbind every bond the steps left, in the order they were made. */
void runner_sva_cleanup(struct runner *r);

#endif
