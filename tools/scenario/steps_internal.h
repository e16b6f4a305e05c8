/* SPDX-License-Identifier: MIT */
/*
 * Shared by the step-kind files (steps.c, steps_ioctl.c, steps_mem.c):
 * handle kinds, values that name handles or saved results, and the
 * functions each kind provides for the table in steps.c.
 */
#ifndef TOOLS_SCENARIO_STEPS_INTERNAL_H
#define TOOLS_SCENARIO_STEPS_INTERNAL_H

#include <stdint.h>

#include "tools/scenario/loader.h"
#include "tools/scenario/runner.h"

/* Kinds of handle names (loader side: l->handles values). */
#define HANDLE_FD  1
#define HANDLE_BUF 2
#define HANDLE_GPT 3   /* a guest stage-1 table (steps_nested.c) */
#define HANDLE_PROC 4  /* a process a fork step made (steps.c) */

/* The handle @n names must be bound earlier to a handle of @kind. */
int ldr_handle_ref(struct ldr *l, const struct ynode *n, int kind, const char **out);
/* Bind @name (a word) as a handle of @kind from this step on. */
int ldr_handle_bind(struct ldr *l, const struct ynode *n, int kind, const char **out);
/* The process a step acts as: `by:` (checked), default init. */
int ldr_step_by(struct ldr *l, const struct ynode *map, const char **by);
/* A process named at @v: init, one under 'processes' or an earlier fork's
 * child (checked), kept. */
int ldr_process(struct ldr *l, const struct ynode *v, const char **name, const char *what);

/*
 * A value written into an ioctl argument or used as an address:
 * a number (with K/M/G suffixes), a saved result ("$name"), a descriptor
 * handle (its fd), or a buffer handle plus an offset ("buf", "buf+4096").
 */
enum sval_kind { SVAL_NUM, SVAL_VAR, SVAL_FD, SVAL_BUF };
struct sval {
	enum sval_kind kind;
	uint64_t num;               /* SVAL_NUM value; SVAL_BUF offset */
	const char *name;           /* kept by the loader */
	unsigned line;
};
int ldr_sval(struct ldr *l, const struct ynode *n, struct sval *out, const char *what);
/* Resolve at run time: 0, or a failed check (and -1) naming what is wrong. */
int runner_sval(struct runner *r, const struct sval *v, uint64_t *out);

/* prot: [read, write] as a list ([] is PROT_NONE), @dflt without the key. */
int ldr_prot(struct ldr *l, const struct ynode *map, unsigned *prot, unsigned dflt);

/* Bind buffer handle @name to [va, va + len) of process @pid (alloc, mmap). */
void runner_bind_buffer(struct runner *r, const char *name, int pid, uint64_t va, uint64_t len);

/* A user-memory scratch area of a process for ioctl arguments. */
int runner_scratch(struct runner *r, int pid, uint64_t *va);

/* step kinds in steps_ioctl.c / steps_mem.c */
int parse_ioctl(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_ioctl(struct runner *r, struct scn_step *st);
void describe_ioctl(const struct scn_step *st, GString *out);
void free_ioctl(void *args);
extern const char *const keys_ioctl[];

int parse_put(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_put(struct runner *r, struct scn_step *st);
void describe_put(const struct scn_step *st, GString *out);
void free_put(void *args);
extern const char *const keys_put[];

int parse_rw(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_rw(struct runner *r, struct scn_step *st);
void describe_rw(const struct scn_step *st, GString *out);
extern const char *const keys_rw[];

int parse_alloc(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_alloc(struct runner *r, struct scn_step *st);
void describe_alloc(const struct scn_step *st, GString *out);
extern const char *const keys_alloc[];
/* The buffer an alloc step binds, or NULL for another step. */
const char *alloc_step_buffer(const struct scn_step *st);

int parse_fill(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_fill(struct runner *r, struct scn_step *st);
long run_check(struct runner *r, struct scn_step *st);
void describe_fill(const struct scn_step *st, GString *out);
void free_fill(void *args);
extern const char *const keys_fill[];

int parse_dma(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_dma(struct runner *r, struct scn_step *st);
void describe_dma(const struct scn_step *st, GString *out);
void free_dma(void *args);
extern const char *const keys_dma[];

int parse_rlimit(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_rlimit(struct runner *r, struct scn_step *st);
void describe_rlimit(const struct scn_step *st, GString *out);
extern const char *const keys_rlimit[];

int parse_mdev(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_mdev(struct runner *r, struct scn_step *st);
void describe_mdev(const struct scn_step *st, GString *out);
void free_mdev(void *args);
extern const char *const keys_mdev_pin[], *const keys_mdev_unpin[], *const keys_mdev_dma[];
/* A UUID (mdev names), kept. */
int ldr_uuid(struct ldr *l, const struct ynode *n, const char **out, const char *what);

/* steps_nested.c */
int parse_guest_table(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_guest_table(struct runner *r, struct scn_step *st);
void describe_guest_table(const struct scn_step *st, GString *out);
extern const char *const keys_guest_table[];
int parse_guest_map(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_guest_map(struct runner *r, struct scn_step *st);
void describe_guest_map(const struct scn_step *st, GString *out);
extern const char *const keys_guest_map[], *const keys_guest_unmap[];
int parse_pasid(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_pasid(struct runner *r, struct scn_step *st);
void describe_pasid(const struct scn_step *st, GString *out);
extern const char *const keys_pasid[], *const keys_pasid_detach[], *const keys_guest_inv[];
void runner_nested_cleanup(struct runner *r);

/* steps_device.c */
int parse_irq(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_irq(struct runner *r, struct scn_step *st);
void describe_irq(const struct scn_step *st, GString *out);
extern const char *const keys_irq[];
int parse_eventfd_rw(struct ldr *l, const struct ynode *map, struct scn_step *st);
long run_eventfd_rw(struct runner *r, struct scn_step *st);
void describe_eventfd_rw(const struct scn_step *st, GString *out);
extern const char *const keys_eventfd_read[], *const keys_eventfd_write[];

#endif
