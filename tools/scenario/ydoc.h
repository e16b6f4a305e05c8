/* SPDX-License-Identifier: MIT */
/*
 * A small YAML document model built from libyaml's event stream, with the
 * position of every node, for the scenario loader.
 *
 * Built from events rather than libyaml's document API so that hostile input
 * stays bounded: nesting deeper than YDOC_MAX_DEPTH, more than YDOC_MAX_NODES
 * nodes, aliases (the "billion laughs" expansion), duplicate mapping keys,
 * non-scalar keys and multi-document streams are all rejected with the
 * position of the offending node.
 */
#ifndef TOOLS_SCENARIO_YDOC_H
#define TOOLS_SCENARIO_YDOC_H

#include <stdbool.h>
#include <stddef.h>

#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_NODES 200000
#define YDOC_MAX_BYTES (16u << 20)

enum ynode_kind { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
	enum ynode_kind kind;
	unsigned line, col;       /* 1-based */
	char *str;                /* scalar value */
	bool plain;               /* scalar written without quotes */
	struct ynode **items;     /* seq: elements; map: key, value, key, value ... */
	size_t nitems;            /* seq: elements; map: 2 * pairs */
	size_t cap;
};

struct ydoc {
	struct ynode *root;       /* NULL for an empty document */
	struct ynode **all;       /* every node, for freeing */
	size_t nall, capall;
};

/*
 * Parse @len bytes of @text.  On error returns NULL and sets *line, *col and
 * *msg (malloc'ed, caller frees).
 */
struct ydoc *ydoc_parse(const char *text, size_t len, unsigned *line,
			unsigned *col, char **msg);
void ydoc_free(struct ydoc *d);

static inline size_t ynode_map_len(const struct ynode *n) { return n->nitems / 2; }
static inline struct ynode *ynode_map_key(const struct ynode *n, size_t i) { return n->items[2 * i]; }
static inline struct ynode *ynode_map_val(const struct ynode *n, size_t i) { return n->items[2 * i + 1]; }
/* The value for @key in map @n, or NULL. */
struct ynode *ynode_map_get(const struct ynode *n, const char *key);
const char *ynode_kind_name(enum ynode_kind k);

#endif
