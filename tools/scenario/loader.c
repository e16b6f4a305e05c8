/* SPDX-License-Identifier: MIT */
/*
 * Scenario loader: YAML text -> struct scenario, every key and reference
 * checked, every error reported as FILE:LINE:COL with the offending key or
 * value and, for a misspelt word, the nearest valid one.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/world.h"
#include "sim/proc.h"
#include "tools/scenario/loader.h"

/* ---- errors and warnings ---------------------------------------------- */

int ldr_error(struct ldr *l, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (l->err)
		return -1;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	l->err = g_strdup_printf("%s:%u:%u: error: %s", l->file,
				 n ? n->line : 1, n ? n->col : 1, msg);
	g_free(msg);
	return -1;
}

void ldr_warn(struct ldr *l, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(l->s->warnings,
			g_strdup_printf("%s:%u:%u: warning: %s", l->file,
					n->line, n->col, msg));
	g_free(msg);
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = g_new(size_t, lb + 1);
	size_t result;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1]);
			size_t best = MIN(row[j] + 1, row[j - 1] + 1);
			row[j] = MIN(best, diag + cost);
			diag = up;
		}
	}
	result = row[lb];
	g_free(row);
	return result;
}

const char *ldr_suggest(const char *word, const char *const *candidates)
{
	size_t limit = MAX((size_t)2, strlen(word) / 3);
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	if (strlen(word) > 64)
		return NULL;
	for (size_t i = 0; candidates[i]; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

static void append_suggestion(GString *msg, const char *word,
			      const char *const *candidates)
{
	const char *near = ldr_suggest(word, candidates);

	if (near) {
		g_string_append_printf(msg, "; did you mean '%s'?", near);
		return;
	}
	g_string_append(msg, " (expected one of:");
	for (size_t i = 0; candidates[i]; i++)
		g_string_append_printf(msg, " %s", candidates[i]);
	g_string_append(msg, ")");
}

int ldr_check_keys(struct ldr *l, const struct ynode *map,
		   const char *const *allowed, const char *what)
{
	for (size_t i = 0; i < ynode_map_len(map); i++) {
		const struct ynode *k = ynode_map_key(map, i);
		bool ok = false;

		for (size_t j = 0; allowed[j] && !ok; j++)
			ok = !strcmp(k->str, allowed[j]);
		if (!ok) {
			GString *msg = g_string_new(NULL);
			int ret;

			g_string_printf(msg, "unknown key '%s' in %s", k->str, what);
			append_suggestion(msg, k->str, allowed);
			ret = ldr_error(l, k, "%s", msg->str);
			g_string_free(msg, TRUE);
			return ret;
		}
	}
	return 0;
}

int ldr_need(struct ldr *l, const struct ynode *n, enum ynode_kind kind,
	     const char *what)
{
	if (n->kind == kind)
		return 0;
	return ldr_error(l, n, "%s must be %s, not %s", what,
			 ynode_kind_name(kind), ynode_kind_name(n->kind));
}

const struct ynode *ldr_get(struct ldr *l, const struct ynode *map,
			    const char *key, const char *what)
{
	const struct ynode *v = ynode_map_get(map, key);

	if (!v)
		ldr_error(l, map, "%s needs the key '%s'", what, key);
	return v;
}

/* ---- typed scalars ------------------------------------------------------ */

int ldr_str(struct ldr *l, const struct ynode *n, const char **out, const char *what)
{
	if (ldr_need(l, n, YN_SCALAR, what))
		return -1;
	*out = n->str;
	return 0;
}

int ldr_bool(struct ldr *l, const struct ynode *n, bool *out, const char *what)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "on", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "off", NULL };

	if (ldr_need(l, n, YN_SCALAR, what))
		return -1;
	for (size_t i = 0; yes[i]; i++)
		if (!strcmp(n->str, yes[i]))
			return *out = true, 0;
	for (size_t i = 0; no[i]; i++)
		if (!strcmp(n->str, no[i]))
			return *out = false, 0;
	return ldr_error(l, n, "%s must be true or false, not '%s'", what, n->str);
}

int ldr_u64(struct ldr *l, const struct ynode *n, uint64_t *out, uint64_t max,
	    bool sizes, const char *what)
{
	const char *s;
	char *end;
	unsigned long long v;
	int base = 10;
	unsigned shift = 0;

	if (ldr_str(l, n, &s, what))
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	if (!g_ascii_isxdigit(*s))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return ldr_error(l, n, "%s '%s' is too large", what, n->str);
	if (sizes && *end) {
		switch (g_ascii_toupper(*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: goto bad;
		}
		end++;
		if (*end == 'i' || *end == 'B')
			end += *end == 'i' ? 1 : 0;
		if (*end == 'B')
			end++;
	}
	if (*end)
		goto bad;
	if (shift && v > (UINT64_MAX >> shift))
		return ldr_error(l, n, "%s '%s' is too large", what, n->str);
	v <<= shift;
	if (v > max)
		return ldr_error(l, n, "%s '%s' is out of range (at most %llu)",
				 what, n->str, (unsigned long long)max);
	*out = v;
	return 0;
bad:
	return ldr_error(l, n, "%s must be a number%s, not '%s'", what,
			 sizes ? " (with an optional K/M/G/T suffix)" : "", n->str);
}

int ldr_sbdf(struct ldr *l, const struct ynode *n, uint32_t *out, const char *what)
{
	const char *s;

	if (ldr_str(l, n, &s, what))
		return -1;
	if (pci_sbdf_parse(s, out))
		return ldr_error(l, n, "%s '%s' is not a PCI address "
				 "([domain:]bus:device.function, in hex)", what, s);
	if (n->plain)
		ldr_warn(l, n, "unquoted BDF %s: YAML 1.1 reads it as a base-60 "
			 "number; write \"%s\"", s, s);
	return 0;
}

int ldr_errno(struct ldr *l, const struct ynode *n, int *out)
{
	const char *s;
	char *end;
	long v;

	if (ldr_str(l, n, &s, "errno"))
		return -1;
	if (g_ascii_isdigit(s[0])) {
		v = strtol(s, &end, 10);
		if (*end || v <= 0 || v > 4095)
			return ldr_error(l, n, "errno %s is out of range 1..4095", s);
		*out = (int)v;
		return 0;
	}
	*out = errno_from_name(s);
	if (*out <= 0)
		return ldr_error(l, n, "unknown errno name '%s'", s);
	return 0;
}

int ldr_enum(struct ldr *l, const struct ynode *n, const char *const *choices,
	     int *out, const char *what)
{
	const char *s;
	GString *msg;
	int ret;

	if (ldr_str(l, n, &s, what))
		return -1;
	for (int i = 0; choices[i]; i++)
		if (!strcmp(s, choices[i]))
			return *out = i, 0;
	msg = g_string_new(NULL);
	g_string_printf(msg, "unknown %s '%s'", what, s);
	append_suggestion(msg, s, choices);
	ret = ldr_error(l, n, "%s", msg->str);
	g_string_free(msg, TRUE);
	return ret;
}

const char *ldr_keep(struct ldr *l, const char *str)
{
	char *copy = g_strdup(str);

	g_ptr_array_add(l->s->strings, copy);
	return copy;
}
