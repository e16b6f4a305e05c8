/* SPDX-License-Identifier: MIT */
/* The address-space step kinds (steps_vm.c) for the table in steps.c. */
#ifndef TOOLS_SCENARIO_STEPS_VM_H
#define TOOLS_SCENARIO_STEPS_VM_H

#include "tools/scenario/loader.h"
#include "tools/scenario/runner.h"

int parse_file(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_file(struct runner *r, struct scn_step *st);
void describe_file(const struct scn_step *st, GString *out);
extern const char *const keys_file[];

int parse_mmap(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_mmap(struct runner *r, struct scn_step *st);
void describe_mmap(const struct scn_step *st, GString *out);
extern const char *const keys_mmap[];

/* munmap, mprotect and touch: an address, a length, and their own keys */
int parse_vm(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_vm(struct runner *r, struct scn_step *st);
void describe_vm(const struct scn_step *st, GString *out);
extern const char *const keys_munmap[], *const keys_mprotect[], *const keys_touch[];

#endif
