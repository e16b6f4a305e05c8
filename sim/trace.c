/* SPDX-License-Identifier: MIT */
/*
 * Trace output: glob-enabled events with the virtual timestamp and the
 * current process, as ftrace-style text, JSON lines or one Chrome
 * trace-event document.
 *
 * A trace point's format is its schema (sim/trace.h): it is parsed once
 * into fields made of literal pieces and conversions, each conversion's
 * value is fetched from the va_list by its declared type, and every output
 * is written from those values.  Nothing is ever formatted and then read
 * back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <glib.h>

#include "sim/proc.h"
#include "sim/world_internal.h"

/* ---- formats: parsing ----------------------------------------------------- */

enum conv_kind {
	CONV_INT,       /* d i */
	CONV_UINT,      /* u x X o */
	CONV_CHAR,      /* c */
	CONV_STR,       /* s */
};

enum conv_len { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_J, LEN_Z, LEN_T };

struct conv {
	enum conv_kind kind;
	enum conv_len len;
	char spec[24];          /* re-written for intmax_t: "%02jx", "%-8s" */
};

/* A field's value: literal text and conversions, in order. */
struct piece {
	char *lit;              /* NULL: conversion number @conv */
	unsigned conv;
};

enum field_type { FIELD_INT, FIELD_UINT, FIELD_STRING };

struct field {
	char *sep;              /* the spaces before the field, verbatim */
	char *key;              /* NULL: a bare word (JSON "msg") */
	struct piece *pieces;
	size_t npieces;
	enum field_type type;
	unsigned number;        /* the conversion of a FIELD_INT/UINT field */
};

struct format {
	struct field *fields;
	size_t nfields;
	char *tail;             /* trailing spaces */
	struct conv *convs;
	size_t nconvs;
	char *error;            /* why the format cannot be used; NULL = fine */
};

/* One conversion's value. */
union value {
	intmax_t i;
	uintmax_t u;
	const char *s;
};

static void format_free(gpointer p)
{
	struct format *f = p;

	for (size_t i = 0; i < f->nfields; i++) {
		for (size_t j = 0; j < f->fields[i].npieces; j++)
			g_free(f->fields[i].pieces[j].lit);
		g_free(f->fields[i].pieces);
		g_free(f->fields[i].sep);
		g_free(f->fields[i].key);
	}
	g_free(f->fields);
	g_free(f->tail);
	g_free(f->convs);
	g_free(f->error);
	g_free(f);
}

/*
 * One conversion at @p (just past the '%'): flags, width, precision,
 * length, conversion character.  Returns the character after it, or NULL
 * with @err set for what this module does not take ('*' widths, %n, %p,
 * floating point, wide strings).
 */
static const char *parse_conv(const char *p, struct conv *c, char **err)
{
	const char *start = p - 1;
	GString *spec = g_string_new("%");
	char ch;

	c->len = LEN_NONE;
	while (*p && strchr("-+ #0", *p))
		g_string_append_c(spec, *p++);
	while (g_ascii_isdigit(*p))
		g_string_append_c(spec, *p++);
	if (*p == '.') {
		g_string_append_c(spec, *p++);
		while (g_ascii_isdigit(*p))
			g_string_append_c(spec, *p++);
	}
	switch (*p) {
	case 'h': c->len = p[1] == 'h' ? LEN_HH : LEN_H; break;
	case 'l': c->len = p[1] == 'l' ? LEN_LL : LEN_L; break;
	case 'j': c->len = LEN_J; break;
	case 'z': c->len = LEN_Z; break;
	case 't': c->len = LEN_T; break;
	default: break;
	}
	p += c->len == LEN_NONE ? 0 : c->len == LEN_HH || c->len == LEN_LL ? 2 : 1;
	ch = *p;
	switch (ch) {
	case 'd': case 'i': c->kind = CONV_INT; break;
	case 'u': case 'x': case 'X': case 'o': c->kind = CONV_UINT; break;
	case 'c': c->kind = CONV_CHAR; break;
	case 's': c->kind = CONV_STR; break;
	default: ch = 0; break;
	}
	if (!ch || spec->len > sizeof(c->spec) - 3 ||
	    ((c->kind == CONV_CHAR || c->kind == CONV_STR) && c->len != LEN_NONE)) {
		*err = g_strdup_printf("unsupported conversion '%.*s'",
				       (int)(p - start + (*p != 0)), start);
		g_string_free(spec, TRUE);
		return NULL;
	}
	if (c->kind == CONV_INT || c->kind == CONV_UINT)
		g_string_append_c(spec, 'j');
	g_string_append_c(spec, ch);
	g_strlcpy(c->spec, spec->str, sizeof(c->spec));
	g_string_free(spec, TRUE);
	return p + 1;
}

static void add_piece(GArray *pieces, GString *lit, int conv)
{
	struct piece pc = { .lit = NULL, .conv = 0 };

	if (conv < 0) {
		if (!lit->len)
			return;
		pc.lit = g_strdup(lit->str);
		g_string_truncate(lit, 0);
	} else {
		pc.conv = (unsigned)conv;
	}
	g_array_append_val(pieces, pc);
}

/* What a field's pieces make it: a number only when it is one integer
 * conversion, after nothing or its radix prefix ("0x" for x, "0" for o). */
static void classify(struct field *fl, const struct conv *convs)
{
	const struct piece *pc = fl->pieces;
	const struct conv *c;
	const char *prefix = NULL;
	size_t n = fl->npieces;

	fl->type = FIELD_STRING;
	if (n == 2 && pc[0].lit && !pc[1].lit) {
		prefix = pc[0].lit;
		pc++;
	} else if (n != 1 || pc[0].lit) {
		return;
	}
	c = &convs[pc->conv];
	if (c->kind != CONV_INT && c->kind != CONV_UINT)
		return;
	if (prefix) {
		char conv = c->spec[strlen(c->spec) - 1];
		if (!((conv == 'x' && !strcmp(prefix, "0x")) || (conv == 'X' && !strcmp(prefix, "0X")) ||
		      (conv == 'o' && !strcmp(prefix, "0"))))
			return;
	}
	fl->type = c->kind == CONV_INT ? FIELD_INT : FIELD_UINT;
	fl->number = pc->conv;
}

static struct format *format_parse(const char *fmt)
{
	struct format *f = g_new0(struct format, 1);
	GArray *fields = g_array_new(FALSE, TRUE, sizeof(struct field));
	GArray *convs = g_array_new(FALSE, TRUE, sizeof(struct conv));
	GString *sep = g_string_new(NULL), *lit = g_string_new(NULL);
	const char *p = fmt;

	while (!f->error && *p) {
		struct field fl = { 0 };
		GArray *pieces = g_array_new(FALSE, TRUE, sizeof(struct piece));
		const char *eq = NULL;

		g_string_truncate(sep, 0);
		while (*p == ' ')
			g_string_append_c(sep, *p++);
		if (!*p) {
			g_array_free(pieces, TRUE);
			break;
		}
		/* a key is the text before the token's first '=', if it has no '%' */
		for (const char *q = p; *q && *q != ' ' && *q != '%'; q++)
			if (*q == '=') {
				eq = q;
				break;
			}
		if (eq && eq > p) {
			fl.key = g_strndup(p, (gsize)(eq - p));
			p = eq + 1;
		}
		while (!f->error && *p && *p != ' ') {
			if (*p == '%' && p[1] == '%') {
				g_string_append_c(lit, '%');
				p += 2;
			} else if (*p == '%') {
				struct conv c;
				add_piece(pieces, lit, -1);
				p = parse_conv(p + 1, &c, &f->error);
				if (!p)
					break;
				g_array_append_val(convs, c);
				add_piece(pieces, lit, (int)convs->len - 1);
			} else {
				g_string_append_c(lit, *p++);
			}
		}
		add_piece(pieces, lit, -1);
		fl.sep = g_strdup(sep->str);
		g_string_truncate(sep, 0);
		fl.npieces = pieces->len;
		fl.pieces = (struct piece *)(void *)g_array_free(pieces, FALSE);
		g_array_append_val(fields, fl);
	}
	f->tail = g_strdup(f->error ? "" : sep->str);
	f->nfields = fields->len;
	f->fields = (struct field *)(void *)g_array_free(fields, FALSE);
	f->nconvs = convs->len;
	f->convs = (struct conv *)(void *)g_array_free(convs, FALSE);
	for (size_t i = 0; i < f->nfields; i++)
		classify(&f->fields[i], f->convs);
	g_string_free(sep, TRUE);
	g_string_free(lit, TRUE);
	return f;
}

static const char *const field_type_names[] = {
	[FIELD_INT] = "int", [FIELD_UINT] = "uint", [FIELD_STRING] = "string",
};

int sim_trace_schema(const char *fmt, GString *out)
{
	struct format *f = format_parse(fmt);
	int ret = 0;

	for (size_t i = 0; !f->error && i < f->nfields; i++) {
		const struct field *fl = &f->fields[i];
		if (!fl->key) {
			f->error = g_strdup("a field without 'key='");
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(f->fields[j].key, fl->key))
				f->error = g_strdup_printf("key '%s' twice", fl->key);
		if (!f->error)
			g_string_append_printf(out, "%s%s:%s", i ? " " : "", fl->key,
					       field_type_names[fl->type]);
	}
	if (f->error) {
		g_string_assign(out, f->error);
		ret = -EINVAL;
	}
	format_free(f);
	return ret;
}

/* ---- values ------------------------------------------------------------------ */

/* Take every conversion's value from @ap, by its declared type. */
static void fetch_values(const struct format *f, union value *v, va_list ap)
{
	for (size_t i = 0; i < f->nconvs; i++) {
		const struct conv *c = &f->convs[i];

		switch (c->kind) {
		case CONV_STR:
			v[i].s = va_arg(ap, const char *);
			if (!v[i].s)
				v[i].s = "(null)";
			break;
		case CONV_CHAR:
			v[i].i = (unsigned char)va_arg(ap, int);
			break;
		case CONV_INT:
			switch (c->len) {
			case LEN_HH: v[i].i = (signed char)va_arg(ap, int); break;
			case LEN_H: v[i].i = (short)va_arg(ap, int); break;
			case LEN_L: v[i].i = va_arg(ap, long); break;
			case LEN_LL: v[i].i = va_arg(ap, long long); break;
			case LEN_J: v[i].i = va_arg(ap, intmax_t); break;
			case LEN_Z: v[i].i = va_arg(ap, ssize_t); break;
			case LEN_T: v[i].i = va_arg(ap, ptrdiff_t); break;
			default: v[i].i = va_arg(ap, int); break;
			}
			break;
		case CONV_UINT:
			switch (c->len) {
			case LEN_HH: v[i].u = (unsigned char)va_arg(ap, unsigned); break;
			case LEN_H: v[i].u = (unsigned short)va_arg(ap, unsigned); break;
			case LEN_L: v[i].u = va_arg(ap, unsigned long); break;
			case LEN_LL: v[i].u = va_arg(ap, unsigned long long); break;
			case LEN_J: v[i].u = va_arg(ap, uintmax_t); break;
			case LEN_Z: v[i].u = va_arg(ap, size_t); break;
			case LEN_T: v[i].u = (uintmax_t)va_arg(ap, ptrdiff_t); break;
			default: v[i].u = va_arg(ap, unsigned); break;
			}
			break;
		}
	}
}

/*
 * One conversion as printf would print it.  The spec was built by
 * parse_conv() from the declared format, whose arguments the compiler
 * checked; only the length became 'j' to match the widened value.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void append_conv(GString *out, const struct conv *c, const union value *v)
{
	switch (c->kind) {
	case CONV_STR: g_string_append_printf(out, c->spec, v->s); break;
	case CONV_CHAR: g_string_append_printf(out, c->spec, (int)v->i); break;
	case CONV_INT: g_string_append_printf(out, c->spec, v->i); break;
	case CONV_UINT: g_string_append_printf(out, c->spec, v->u); break;
	}
}
#pragma GCC diagnostic pop

static void field_text(GString *out, const struct format *f, const struct field *fl,
		       const union value *v)
{
	for (size_t i = 0; i < fl->npieces; i++) {
		if (fl->pieces[i].lit)
			g_string_append(out, fl->pieces[i].lit);
		else
			append_conv(out, &f->convs[fl->pieces[i].conv], &v[fl->pieces[i].conv]);
	}
}

static bool needs_quotes(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f)
			return true;
	}
	return false;
}

/* A text value: as printed, or quoted with C escapes when it could be read
 * as more than one value (a space, '=', a quote, a control character). */
static void append_text_value(GString *out, const char *s)
{
	if (!needs_quotes(s)) {
		g_string_append(out, s);
		return;
	}
	g_string_append_c(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\t': g_string_append(out, "\\t"); break;
		case '\r': g_string_append(out, "\\r"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				g_string_append_printf(out, "\\x%02x", c);
			else
				g_string_append_c(out, (char)c);
		}
	}
	g_string_append_c(out, '"');
}

static void fields_text(GString *out, const struct format *f, const union value *v)
{
	GString *val = g_string_new(NULL);

	for (size_t i = 0; i < f->nfields; i++) {
		const struct field *fl = &f->fields[i];

		g_string_append(out, fl->sep);
		if (fl->key)
			g_string_append_printf(out, "%s=", fl->key);
		g_string_truncate(val, 0);
		field_text(val, f, fl, v);
		append_text_value(out, val->str);
	}
	g_string_append(out, f->tail);
	g_string_free(val, TRUE);
}

void sim_json_string(GString *out, const char *s)
{
	const char *end = s + strlen(s);

	g_string_append_c(out, '"');
	while (*s) {
		unsigned char c = (unsigned char)*s;
		gunichar u;

		if (c < 0x80) {
			if (c == '"' || c == '\\')
				g_string_append_printf(out, "\\%c", c);
			else if (c < 0x20 || c == 0x7f)
				g_string_append_printf(out, "\\u%04x", c);
			else
				g_string_append_c(out, (char)c);
			s++;
			continue;
		}
		u = g_utf8_get_char_validated(s, end - s);
		if (u == (gunichar)-1 || u == (gunichar)-2) {
			g_string_append(out, "\\ufffd");
			s++;
		} else {
			const char *next = g_utf8_next_char(s);
			g_string_append_len(out, s, next - s);
			s = next;
		}
	}
	g_string_append_c(out, '"');
}

/* {"k":v,...}: numbers from the integer values, strings from the text. */
static void fields_json(GString *out, const struct format *f, const union value *v)
{
	GString *val = g_string_new(NULL), *msg = g_string_new(NULL);
	bool first = true;

	g_string_append_c(out, '{');
	for (size_t i = 0; i < f->nfields; i++) {
		const struct field *fl = &f->fields[i];

		g_string_truncate(val, 0);
		field_text(val, f, fl, v);
		if (!fl->key) {
			if (val->len)
				g_string_append_printf(msg, "%s%s", msg->len ? " " : "", val->str);
			continue;
		}
		if (!first)
			g_string_append_c(out, ',');
		first = false;
		sim_json_string(out, fl->key);
		g_string_append_c(out, ':');
		if (fl->type == FIELD_INT)
			g_string_append_printf(out, "%jd", v[fl->number].i);
		else if (fl->type == FIELD_UINT)
			g_string_append_printf(out, "%ju", v[fl->number].u);
		else
			sim_json_string(out, val->str);
	}
	if (msg->len) {
		g_string_append(out, first ? "\"msg\":" : ",\"msg\":");
		sim_json_string(out, msg->str);
	}
	g_string_append_c(out, '}');
	g_string_free(val, TRUE);
	g_string_free(msg, TRUE);
}

/* ---- per-world state ----------------------------------------------------------- */

struct sim_trace_priv {
	GHashTable *formats;    /* format text -> struct format */
	/* the Chrome document being written */
	FILE *chrome;           /* NULL: none */
	bool chrome_any;        /* an event was written (commas) */
	bool slice_open;
	uint64_t last_ns;       /* when a trace point last fired, enabled or not */
	GHashTable *names;      /* pid -> the comm its metadata last named */
};

void sim_trace_init(struct sim_world *w)
{
	w->trace.cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	w->trace.patterns = g_strsplit(SIM_TRACE_DEFAULT_EVENTS, ",", -1);
	w->trace.priv = g_new0(struct sim_trace_priv, 1);
	w->trace.priv->formats = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						       format_free);
	w->trace.priv->names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
						     g_free);
}

static void chrome_finish(struct sim_world *w);

void sim_trace_fini(struct sim_world *w)
{
	chrome_finish(w);
	g_hash_table_destroy(w->trace.cache);
	g_strfreev(w->trace.patterns);
	g_hash_table_destroy(w->trace.priv->formats);
	g_hash_table_destroy(w->trace.priv->names);
	g_free(w->trace.priv);
}

void sim_trace_set_output(struct sim_world *w, FILE *out, enum sim_trace_fmt fmt)
{
	if (out != w->trace.out || fmt != w->trace.fmt)
		chrome_finish(w);
	w->trace.out = out;
	w->trace.fmt = fmt;
}

int sim_trace_enable(struct sim_world *w, const char *patterns)
{
	char **list;

	if (!patterns || !*patterns)    /* "" is one empty element */
		return -EINVAL;
	list = g_strsplit(patterns, ",", -1);
	for (char **p = list; *p; p++) {
		g_strstrip(*p);
		if (!**p || !strcmp(*p, "-")) {
			g_strfreev(list);
			return -EINVAL;
		}
	}
	g_strfreev(w->trace.patterns);
	w->trace.patterns = list;
	g_hash_table_remove_all(w->trace.cache);
	return 0;
}

/* Patterns apply left to right; the last one that matches decides. */
static bool matches(char **patterns, const char *event)
{
	bool on = false;

	for (char **p = patterns; *p; p++) {
		bool neg = **p == '-';
		if (g_pattern_match_simple(neg ? *p + 1 : *p, event))
			on = !neg;
	}
	return on;
}

bool sim_trace_enabled(struct sim_world *w, const char *event)
{
	gpointer v;

	if (!w->trace.out || w->trace.fmt == SIM_TRACE_OFF)
		return false;
	v = g_hash_table_lookup(w->trace.cache, event);
	if (!v) {
		v = GINT_TO_POINTER(1 + matches(w->trace.patterns, event));
		g_hash_table_insert(w->trace.cache, g_strdup(event), v);
	}
	return GPOINTER_TO_INT(v) == 2;
}

unsigned long sim_trace_count(const struct sim_world *w)
{
	return w->trace.count;
}

static struct format *format_get(struct sim_world *w, const char *fmt)
{
	struct format *f = g_hash_table_lookup(w->trace.priv->formats, fmt);

	if (!f) {
		f = format_parse(fmt);
		g_hash_table_insert(w->trace.priv->formats, g_strdup(fmt), f);
	}
	return f;
}

/* ---- Chrome trace-event document --------------------------------------------- */

/*
 * Events that open a slice on the kernel's track (pid 0, tid 0) lasting
 * until the next one or the end of the trace, named "[N] NAME" from two of
 * their fields; everything else is an instant.
 */
static const struct {
	const char *event, *index_field, *name_field;
} slice_events[] = {
	{ "scenario_step", "n", "kind" },
};

/* Microseconds with the nanoseconds as three decimals. */
static void chrome_ts(GString *out, uint64_t ns)
{
	g_string_append_printf(out, "\"ts\":%llu.%03llu", (unsigned long long)(ns / 1000),
			       (unsigned long long)(ns % 1000));
}

static void chrome_record(struct sim_world *w, GString *rec)
{
	struct sim_trace_priv *t = w->trace.priv;

	if (!t->chrome) {
		t->chrome = w->trace.out;
		fputs("{\"traceEvents\":[\n", t->chrome);
	}
	if (t->chrome_any)
		fputs(",\n", t->chrome);
	t->chrome_any = true;
	fputs(rec->str, t->chrome);
}

static void chrome_slice_end(struct sim_world *w, uint64_t ns)
{
	GString *rec = g_string_new("{\"ph\":\"E\",");

	chrome_ts(rec, ns);
	g_string_append(rec, ",\"pid\":0,\"tid\":0}");
	chrome_record(w, rec);
	g_string_free(rec, TRUE);
	w->trace.priv->slice_open = false;
}

static void chrome_finish(struct sim_world *w)
{
	struct sim_trace_priv *t = w->trace.priv;

	if (!t->chrome) {
		/* asked for, nothing traced: still one (empty) document */
		if (w->trace.fmt != SIM_TRACE_CHROME || !w->trace.out)
			return;
		t->chrome = w->trace.out;
		fputs("{\"traceEvents\":[", t->chrome);
	}
	if (t->slice_open)
		chrome_slice_end(w, t->last_ns);
	fputs("\n],\"displayTimeUnit\":\"ns\"}\n", t->chrome);
	t->chrome = NULL;
	t->chrome_any = false;
	g_hash_table_remove_all(t->names);
}

/* process_name and thread_name metadata when a pid first shows up under a
 * name (pids are reused, names with them). */
static void chrome_name(struct sim_world *w, int pid, const char *comm)
{
	const char *known = g_hash_table_lookup(w->trace.priv->names, GINT_TO_POINTER(pid));
	static const char *const kinds[] = { "process_name", "thread_name" };

	if (known && !strcmp(known, comm))
		return;
	g_hash_table_insert(w->trace.priv->names, GINT_TO_POINTER(pid), g_strdup(comm));
	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
		GString *rec = g_string_new(NULL);

		g_string_printf(rec, "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
				"\"args\":{\"name\":", kinds[i], pid, pid);
		sim_json_string(rec, comm);
		g_string_append(rec, "}}");
		chrome_record(w, rec);
		g_string_free(rec, TRUE);
	}
}

/* The text of the field named @key, or NULL. */
static char *field_named(const struct format *f, const union value *v, const char *key)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (f->fields[i].key && !strcmp(f->fields[i].key, key)) {
			GString *s = g_string_new(NULL);
			field_text(s, f, &f->fields[i], v);
			return g_string_free(s, FALSE);
		}
	return NULL;
}

/* @prev_ns: when a trace point fired before this one (a step ends there) */
static void emit_chrome(struct sim_world *w, const char *event, const char *cat, int pid,
			const char *comm, const struct format *f, const union value *v,
			uint64_t prev_ns)
{
	struct sim_trace_priv *t = w->trace.priv;
	GString *rec = g_string_new("{\"name\":");
	size_t slice = G_N_ELEMENTS(slice_events);

	for (size_t i = 0; i < G_N_ELEMENTS(slice_events); i++)
		if (!strcmp(event, slice_events[i].event))
			slice = i;
	if (slice < G_N_ELEMENTS(slice_events)) {
		char *idx = field_named(f, v, slice_events[slice].index_field);
		char *name = field_named(f, v, slice_events[slice].name_field);
		char *title = g_strdup_printf("[%s] %s", idx ? idx : "?", name ? name : event);

		if (t->slice_open)
			chrome_slice_end(w, prev_ns);
		chrome_name(w, 0, "kernel");
		sim_json_string(rec, title);
		g_string_append(rec, ",\"cat\":");
		sim_json_string(rec, cat);
		g_string_append(rec, ",\"ph\":\"B\",");
		pid = 0;
		t->slice_open = true;
		g_free(idx);
		g_free(name);
		g_free(title);
	} else {
		chrome_name(w, pid, comm);
		sim_json_string(rec, event);
		g_string_append(rec, ",\"cat\":");
		sim_json_string(rec, cat);
		g_string_append(rec, ",\"ph\":\"i\",\"s\":\"t\",");
	}
	chrome_ts(rec, w->now_ns);
	g_string_append_printf(rec, ",\"pid\":%d,\"tid\":%d,\"args\":", pid, pid);
	fields_json(rec, f, v);
	g_string_append_c(rec, '}');
	chrome_record(w, rec);
	g_string_free(rec, TRUE);
}

/* ---- emitting -------------------------------------------------------------------- */

/*
 * The context of a line is the current process.  The id table is read
 * directly rather than through sim_proc_find: a process that is exiting is
 * still the context while its files are released (proc.c), and its lines
 * carry its name, as exit_files() work does in the kernel.
 */
static void emit(struct sim_world *w, const char *event, const struct format *f,
		 const union value *v, uint64_t prev_ns)
{
	int pid = w->current_pid;
	struct sim_proc *p = pid > 0 ? sim_ids_find(&w->pids, (uint32_t)pid) : NULL;
	const char *us = strchr(event, '_');
	char *cat = us ? g_strndup(event, (gsize)(us - event)) : g_strdup(event);
	char comm[16];
	GString *line = g_string_new(NULL);
	uint64_t ns = w->now_ns;

	if (!p)
		pid = 0;
	g_strlcpy(comm, p ? p->name : "kernel", sizeof(comm));
	switch (w->trace.fmt) {
	case SIM_TRACE_TEXT:
		g_string_printf(line, "%16s-%-5d [000] %5llu.%06llu: %s: ", comm, pid,
				(unsigned long long)(ns / 1000000000ull),
				(unsigned long long)(ns % 1000000000ull / 1000), event);
		fields_text(line, f, v);
		g_string_append_c(line, '\n');
		break;
	case SIM_TRACE_JSON:
		g_string_printf(line, "{\"ts\":%llu,\"pid\":%d,\"comm\":",
				(unsigned long long)ns, pid);
		sim_json_string(line, comm);
		g_string_append(line, ",\"event\":");
		sim_json_string(line, event);
		g_string_append(line, ",\"cat\":");
		sim_json_string(line, cat);
		g_string_append(line, ",\"fields\":");
		fields_json(line, f, v);
		g_string_append(line, "}\n");
		break;
	case SIM_TRACE_CHROME:
		emit_chrome(w, event, cat, pid, comm, f, v, prev_ns);
		break;
	case SIM_TRACE_OFF:
		break;
	}
	fputs(line->str, w->trace.out);
	g_string_free(line, TRUE);
	g_free(cat);
}

/* A format this module cannot read: the event says so instead of guessing
 * at its arguments. */
static const char bad_format_fmt[] = "trace_error=%s";

void sim_trace(struct sim_world *w, const char *event, const char *fmt, ...)
{
	struct format *f;
	union value *v;
	va_list ap;
	uint64_t prev_ns = w->trace.priv->last_ns;

	w->trace.count++;
	w->trace.priv->last_ns = w->now_ns;
	if (!sim_trace_enabled(w, event))
		return;
	f = format_get(w, fmt);
	if (f->error) {
		struct format *bad = format_get(w, bad_format_fmt);
		union value msg = { .s = f->error };

		emit(w, event, bad, &msg, prev_ns);
		return;
	}
	v = g_new0(union value, f->nconvs + 1);
	va_start(ap, fmt);
	fetch_values(f, v, ap);
	va_end(ap);
	emit(w, event, f, v, prev_ns);
	g_free(v);
}
