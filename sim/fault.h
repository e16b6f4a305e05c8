/* SPDX-License-Identifier: MIT */
/*
 * Fault injection.  Every allocation and every step that can fail asks
 * sim_should_fail(w, "site") first and takes its error path when it answers
 * true.  Sites are short stable names ("proc_alloc", "file_alloc",
 * "iommu_group_alloc", ...).
 *
 * Modes (one at a time):
 *  - fail-nth: the Nth call (1-based) to a site matching a glob fails, once
 *    (the kernel's /proc/self/fail-nth).  A sweep runs a scenario with
 *    nth = 1, 2, ... until the scenario completes without the fault firing.
 *  - probability: each matching call fails with probability p/1000, drawn
 *    from the world's RNG (deterministic for a seed).
 * Every call to sim_should_fail is counted per site, whether or not it fails.
 */
#ifndef SIM_FAULT_H
#define SIM_FAULT_H

#include <stdbool.h>

struct sim_world;

bool sim_should_fail(struct sim_world *w, const char *site);

/* Arm fail-nth for sites matching @glob ("*" for all); nth 0 disarms. */
void sim_fault_fail_nth(struct sim_world *w, const char *glob, unsigned long nth);
/* Arm probabilistic failure, @permille in [0, 1000]; 0 disarms. */
void sim_fault_probability(struct sim_world *w, const char *glob, unsigned permille);

/* Matching calls seen since the last arm (fail-nth counts these). */
unsigned long sim_fault_calls(const struct sim_world *w);
/* Failures injected since the world was created. */
unsigned long sim_fault_injected(const struct sim_world *w);
/* Calls to one site since the world was created (0 for an unknown site). */
unsigned long sim_fault_site_calls(const struct sim_world *w, const char *site);

#endif
