/* SPDX-License-Identifier: MIT */
/*
 * Loader internals shared by the files of tools/scenario/: error reporting
 * with positions, key checking with "did you mean", and typed readers for
 * scalars.  Every reader returns 0 or -1 and keeps its error as
 * "FILE:LINE:COL: error: MESSAGE".
 *
 * Errors are collected per unit: within one unit (a topology entry, a
 * process, a step, a profile section) the first error wins and the rest are
 * consequences, so they are dropped; between units the loader recovers
 * (ldr_recover) and goes on, so `iommusim check` reports every independent
 * error of a file, in file order, one line each.
 */
#ifndef TOOLS_SCENARIO_LOADER_H
#define TOOLS_SCENARIO_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "tools/scenario/scenario.h"

struct ldr {
	const char *file;
	struct scenario *s;
	char *err;                 /* the current unit's first error */
	unsigned err_line, err_col;
	GPtrArray *errors;         /* the errors of the units before it */
	/* handle name -> GINT_TO_POINTER(step index that binds it) */
	GHashTable *handles;
	/* the topology booted in a scratch world (NULL when it has errors):
	 * which functions exist and have an IOMMU group, for the steps */
	struct sim_world *world;
	bool topology_incomplete;  /* an entry's bdf did not parse */
};

/* At most this many errors are reported; then the loader stops. */
#define LDR_MAX_ERRORS 50

/* End of a unit: keep its error (if any) and clear it for the next.  True
 * when the loader has collected LDR_MAX_ERRORS and should stop. */
bool ldr_recover(struct ldr *l);
/* Every error, one per line, or NULL when there was none (g_free). */
char *ldr_take_errors(struct ldr *l);

int ldr_error(struct ldr *l, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ldr_warn(struct ldr *l, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The candidate closest to @word (edit distance <= max(2, len/3)), or NULL. */
const char *ldr_suggest(const char *word, const char *const *candidates);

/* Every key of @map must be in @allowed (NULL-terminated); @what names the
 * mapping in the message ("topology entry", "step 'open'"). */
int ldr_check_keys(struct ldr *l, const struct ynode *map,
		   const char *const *allowed, const char *what);
int ldr_need(struct ldr *l, const struct ynode *n, enum ynode_kind kind,
	     const char *what);
/* A required key of @map. */
const struct ynode *ldr_get(struct ldr *l, const struct ynode *map,
			    const char *key, const char *what);

int ldr_str(struct ldr *l, const struct ynode *n, const char **out, const char *what);
int ldr_bool(struct ldr *l, const struct ynode *n, bool *out, const char *what);
/* Integers: decimal, 0x hex, 0o/0 octal; with @sizes, K/M/G/T suffixes. */
int ldr_u64(struct ldr *l, const struct ynode *n, uint64_t *out, uint64_t max,
	    bool sizes, const char *what);
/* A required integer key of @map (ldr_get, then ldr_u64 named by @key). */
int ldr_get_u64(struct ldr *l, const struct ynode *map, const char *key, const char *what,
		uint64_t *out, uint64_t max, bool sizes);
/* A BDF; warns when it is an unquoted scalar (YAML 1.1 reads 01:00.1 as a
 * base-60 number). */
int ldr_sbdf(struct ldr *l, const struct ynode *n, uint32_t *out, const char *what);
/* A driver name that is not one the simulator registers, yet within a
 * typing error of one ("vfio_pci"), binds as an ordinary kernel DMA driver:
 * warn with the name meant. */
void ldr_check_driver(struct ldr *l, const struct ynode *n, const char *driver);
/*
 * A device-node path, in which "{BDF}" stands for the IOMMU group number of
 * that function ("/dev/vfio/{0000:01:00.0}"): at most one, checked against
 * the topology (the function must exist and have a group).  The path is
 * resolved when the step runs (scn_path_resolve), so --mode changes it.
 */
int ldr_devpath(struct ldr *l, const struct ynode *n, const char **out, const char *what);
/* Resolve @path in @w into @buf: 0, -ENODEV (no such function) or -ENOENT
 * (it has no group); a path without "{...}" is copied as is. */
int scn_path_resolve(struct sim_world *w, const char *path, GString *buf);

/* "EBUSY" (or a number) -> positive errno. */
int ldr_errno(struct ldr *l, const struct ynode *n, int *out);
/* One word of @choices (NULL-terminated) -> its index. */
int ldr_enum(struct ldr *l, const struct ynode *n, const char *const *choices,
	     int *out, const char *what);

/* Keep a string alive as long as the scenario. */
const char *ldr_keep(struct ldr *l, const char *str);

/* steps.c / expect.c */
int ldr_parse_steps(struct ldr *l, const struct ynode *seq);
int ldr_parse_expect(struct ldr *l, const struct ynode *map, struct scn_expect **out);
void scn_step_clear(struct scn_step *st);
void scn_expect_free(struct scn_expect *e);

/* errno names (errnames.c) */
const char *errno_name(int err);       /* "EBUSY", or NULL */
int errno_from_name(const char *name); /* positive errno or 0 */

#endif
