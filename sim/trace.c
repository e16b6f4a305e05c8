/* SPDX-License-Identifier: MIT */
/*
 * Trace output: glob-enabled events, ftrace-style text or JSON lines, with
 * the virtual timestamp and the current process.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <glib.h>

#include "sim/proc.h"
#include "sim/world_internal.h"

void sim_trace_init(struct sim_world *w)
{
	w->trace.cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	w->trace.patterns = g_strsplit("*", ",", -1);
}

void sim_trace_fini(struct sim_world *w)
{
	g_hash_table_destroy(w->trace.cache);
	g_strfreev(w->trace.patterns);
}

void sim_trace_set_output(struct sim_world *w, FILE *out, enum sim_trace_fmt fmt)
{
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

static bool is_json_number(const char *s)
{
	const char *p = s + (*s == '-');

	if (!*p || (*p == '0' && p[1]))
		return false;
	for (; *p; p++)
		if (!g_ascii_isdigit(*p))
			return false;
	return true;
}

void sim_json_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c < 0x20)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_c(out, (char)c);
	}
	g_string_append_c(out, '"');
}

/* "k=v k2=v2 word" -> {"k":v,"k2":v2,"msg":"word"} */
static void json_fields(GString *out, const char *fields)
{
	char **tok = g_strsplit(fields, " ", -1);
	GString *msg = g_string_new(NULL);
	bool first = true;

	g_string_append_c(out, '{');
	for (char **t = tok; *t; t++) {
		char *eq = strchr(*t, '=');
		if (!**t)
			continue;
		if (!eq || eq == *t) {
			g_string_append_printf(msg, "%s%s", msg->len ? " " : "", *t);
			continue;
		}
		*eq = '\0';
		if (!first)
			g_string_append_c(out, ',');
		first = false;
		sim_json_string(out, *t);
		g_string_append_c(out, ':');
		if (is_json_number(eq + 1))
			g_string_append(out, eq + 1);
		else
			sim_json_string(out, eq + 1);
	}
	if (msg->len) {
		g_string_append(out, first ? "" : ",");
		sim_json_string(out, "msg");
		g_string_append_c(out, ':');
		sim_json_string(out, msg->str);
	}
	g_string_append_c(out, '}');
	g_string_free(msg, TRUE);
	g_strfreev(tok);
}

/*
 * The context of a line is the current process.  The id table is read
 * directly rather than through sim_proc_find: a process that is exiting is
 * still the context while its files are released (proc.c), and its lines
 * carry its name, as exit_files() work does in the kernel.
 */
static void emit(struct sim_world *w, const char *event, const char *fields)
{
	int pid = w->current_pid;
	struct sim_proc *p = pid > 0 ? sim_ids_find(&w->pids, (uint32_t)pid) : NULL;
	char comm[16];
	GString *line = g_string_new(NULL);
	uint64_t ns = w->now_ns;

	if (!p)
		pid = 0;
	g_strlcpy(comm, p ? p->name : "kernel", sizeof(comm));
	if (w->trace.fmt == SIM_TRACE_TEXT) {
		g_string_printf(line, "%16s-%-5d [000] %5llu.%06llu: %s: %s\n", comm,
				pid, (unsigned long long)(ns / 1000000000ull),
				(unsigned long long)(ns % 1000000000ull / 1000), event, fields);
	} else {
		const char *us = strchr(event, '_');
		char *cat = us ? g_strndup(event, (gsize)(us - event)) : g_strdup(event);

		g_string_printf(line, "{\"ts\":%llu,\"pid\":%d,\"comm\":",
				(unsigned long long)ns, pid);
		sim_json_string(line, comm);
		g_string_append(line, ",\"event\":");
		sim_json_string(line, event);
		g_string_append(line, ",\"cat\":");
		sim_json_string(line, cat);
		g_string_append(line, ",\"fields\":");
		json_fields(line, fields);
		g_string_append(line, "}\n");
		g_free(cat);
	}
	fputs(line->str, w->trace.out);
	g_string_free(line, TRUE);
}

void sim_trace(struct sim_world *w, const char *event, const char *fmt, ...)
{
	va_list ap;
	char *fields;

	w->trace.count++;
	if (!sim_trace_enabled(w, event))
		return;
	va_start(ap, fmt);
	fields = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	emit(w, event, fields);
	g_free(fields);
}
