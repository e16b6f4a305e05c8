/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <glib.h>

#include "tools/scenario/ydoc.h"

struct builder {
	struct ydoc *doc;
	struct ynode *stack[YDOC_MAX_DEPTH + 1];
	unsigned depth;
	unsigned docs;
	unsigned line, col;
	char *msg;
};

const char *ynode_kind_name(enum ynode_kind k)
{
	switch (k) {
	case YN_SCALAR: return "a scalar";
	case YN_SEQ: return "a list";
	case YN_MAP: return "a mapping";
	}
	return "?";
}

static int fail(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	if (b->msg)
		return -1;
	b->line = m->line + 1;
	b->col = m->column + 1;
	va_start(ap, fmt);
	b->msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return -1;
}

static struct ynode *node_new(struct builder *b, enum ynode_kind kind,
			      const yaml_mark_t *m)
{
	struct ydoc *d = b->doc;
	struct ynode *n;

	if (d->nall >= YDOC_MAX_NODES) {
		fail(b, m, "document has more than %d nodes", YDOC_MAX_NODES);
		return NULL;
	}
	n = g_new0(struct ynode, 1);
	n->kind = kind;
	n->line = m->line + 1;
	n->col = m->column + 1;
	if (d->nall == d->capall) {
		d->capall = d->capall ? 2 * d->capall : 64;
		d->all = g_renew(struct ynode *, d->all, d->capall);
	}
	d->all[d->nall++] = n;
	return n;
}

static void node_push_item(struct ynode *parent, struct ynode *child)
{
	if (parent->nitems == parent->cap) {
		parent->cap = parent->cap ? 2 * parent->cap : 8;
		parent->items = g_renew(struct ynode *, parent->items, parent->cap);
	}
	parent->items[parent->nitems++] = child;
}

/* Attach a finished node to the open collection (or make it the root). */
static int attach(struct builder *b, struct ynode *n, const yaml_mark_t *m)
{
	struct ynode *top;

	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	top = b->stack[b->depth - 1];
	if (top->kind == YN_MAP && top->nitems % 2 == 0) {
		/* n is a key */
		if (n->kind != YN_SCALAR)
			return fail(b, m, "mapping keys must be plain words, not %s",
				    ynode_kind_name(n->kind));
		if (ynode_map_get(top, n->str))
			return fail(b, m, "duplicate key '%s'", n->str);
	}
	node_push_item(top, n);
	return 0;
}

static int on_event(struct builder *b, yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct ynode *n;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1)
			return fail(b, m, "only one YAML document per file");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail(b, m, "YAML aliases (*%s) are not supported",
			    (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		n = node_new(b, YN_SCALAR, m);
		if (!n)
			return -1;
		n->str = g_strndup((const char *)ev->data.scalar.value,
				   ev->data.scalar.length);
		if (strlen(n->str) != ev->data.scalar.length)
			return fail(b, m, "NUL byte inside a scalar");
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return attach(b, n, m);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth >= YDOC_MAX_DEPTH)
			return fail(b, m, "nesting deeper than %d levels", YDOC_MAX_DEPTH);
		n = node_new(b, ev->type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP, m);
		if (!n || attach(b, n, m))
			return -1;
		b->stack[b->depth++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return 0;
	default:
		return 0;
	}
}

struct ydoc *ydoc_parse(const char *text, size_t len, unsigned *line,
			unsigned *col, char **msg)
{
	struct builder b = { .doc = g_new0(struct ydoc, 1) };
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;

	if (len > YDOC_MAX_BYTES) {
		*line = 1;
		*col = 1;
		*msg = g_strdup_printf("file larger than %u bytes", YDOC_MAX_BYTES);
		ydoc_free(b.doc);
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		*line = 1;
		*col = 1;
		*msg = g_strdup("file contains a NUL byte (not a text file?)");
		ydoc_free(b.doc);
		return NULL;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_mark_t mk = parser.problem_mark;
			fail(&b, &mk, "YAML syntax: %s%s%s",
			     parser.problem ? parser.problem : "malformed input",
			     parser.context ? " " : "",
			     parser.context ? parser.context : "");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		if (on_event(&b, &ev))
			done = true;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (b.msg) {
		*line = b.line;
		*col = b.col;
		*msg = b.msg;
		ydoc_free(b.doc);
		return NULL;
	}
	return b.doc;
}

void ydoc_free(struct ydoc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nall; i++) {
		g_free(d->all[i]->str);
		g_free(d->all[i]->items);
		g_free(d->all[i]);
	}
	g_free(d->all);
	g_free(d);
}

struct ynode *ynode_map_get(const struct ynode *n, const char *key)
{
	if (!n || n->kind != YN_MAP)
		return NULL;
	/* keys are scalars (attach() enforces it); pairs are complete */
	for (size_t i = 0; i + 1 < n->nitems; i += 2)
		if (!strcmp(n->items[i]->str, key))
			return n->items[i + 1];
	return NULL;
}
