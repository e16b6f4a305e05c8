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
#include <iommusim/iommusim.h>
#include "tools/scenario/loader.h"

/* ---- errors and warnings ---------------------------------------------- */

/* A message quotes the file's own text, which may span lines (a block
 * scalar): one diagnostic is one line, so control characters are shown as
 * C escapes. */
static char *one_line(char *msg)
{
	GString *out;

	if (!strpbrk(msg, "\n\r\t\v\f"))
		return msg;
	out = g_string_sized_new(strlen(msg) + 8);
	for (const char *c = msg; *c; c++) {
		switch (*c) {
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		case '\v': g_string_append(out, "\\v"); break;
		case '\f': g_string_append(out, "\\f"); break;
		default: g_string_append_c(out, *c);
		}
	}
	g_free(msg);
	return g_string_free(out, FALSE);
}

int ldr_error(struct ldr *l, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (l->err)
		return -1;
	va_start(ap, fmt);
	msg = one_line(g_strdup_vprintf(fmt, ap));
	va_end(ap);
	l->err_line = n ? n->line : 1;
	l->err_col = n ? n->col : 1;
	l->err = g_strdup_printf("%s:%u:%u: error: %s", l->file, l->err_line,
				 l->err_col, msg);
	g_free(msg);
	return -1;
}

/* Errors are kept with their position, to be reported in file order. */
struct ldr_err {
	unsigned line, col, seq;
	char *msg;
};

static void ldr_err_free(gpointer p)
{
	struct ldr_err *e = p;

	g_free(e->msg);
	g_free(e);
}

static gint ldr_err_cmp(gconstpointer a, gconstpointer b)
{
	const struct ldr_err *x = *(struct ldr_err *const *)a, *y = *(struct ldr_err *const *)b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

bool ldr_recover(struct ldr *l)
{
	if (l->err) {
		struct ldr_err *e = g_new0(struct ldr_err, 1);

		if (!l->errors)
			l->errors = g_ptr_array_new_with_free_func(ldr_err_free);
		e->line = l->err_line;
		e->col = l->err_col;
		e->seq = l->errors->len;
		e->msg = l->err;
		g_ptr_array_add(l->errors, e);
		l->err = NULL;
	}
	return l->errors && l->errors->len >= LDR_MAX_ERRORS;
}

char *ldr_take_errors(struct ldr *l)
{
	GString *all;
	bool full;

	full = ldr_recover(l);
	if (!l->errors || !l->errors->len)
		return NULL;
	all = g_string_new(NULL);
	g_ptr_array_sort(l->errors, ldr_err_cmp);
	/* units that recover key by key can pass the cap: report the first */
	for (guint i = 0; i < MIN(l->errors->len, LDR_MAX_ERRORS); i++)
		g_string_append_printf(all, "%s%s", i ? "\n" : "",
				       ((struct ldr_err *)g_ptr_array_index(l->errors, i))->msg);
	if (full)
		g_string_append_printf(all, "\n%s:%u:%u: error: %u errors: stopping here",
				       l->file, l->err_line, l->err_col, l->errors->len);
	g_ptr_array_free(l->errors, TRUE);
	l->errors = NULL;
	return g_string_free(all, FALSE);
}

void ldr_warn(struct ldr *l, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = one_line(g_strdup_vprintf(fmt, ap));
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
	bool fresh = !l->err;
	int ret = 0;

	/* every unknown key is its own error: one does not explain another */
	for (size_t i = 0; i < ynode_map_len(map); i++) {
		const struct ynode *k = ynode_map_key(map, i);
		bool ok = false;

		for (size_t j = 0; allowed[j] && !ok; j++)
			ok = !strcmp(k->str, allowed[j]);
		if (!ok) {
			GString *msg;

			if (ret && !fresh)
				break;      /* an earlier error of this unit stands */
			if (ret)
				ldr_recover(l);
			msg = g_string_new(NULL);
			g_string_printf(msg, "unknown key '%s' in %s", k->str, what);
			append_suggestion(msg, k->str, allowed);
			ret = ldr_error(l, k, "%s", msg->str);
			g_string_free(msg, TRUE);
		}
	}
	return ret;
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

int ldr_get_u64(struct ldr *l, const struct ynode *map, const char *key, const char *what,
		uint64_t *out, uint64_t max, bool sizes)
{
	const struct ynode *v = ldr_get(l, map, key, what);

	return v ? ldr_u64(l, v, out, max, sizes, key) : -1;
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

/* The drivers the simulator registers (model/pci/driver.c: pci-stub and
 * pcieport; model/vfio/vfio.c: vfio-pci), as sysfs names them.  Any other
 * name binds as a kernel driver that does DMA. */
static const char *const known_drivers[] = { "vfio-pci", "pci-stub", "pcieport", NULL };

void ldr_check_driver(struct ldr *l, const struct ynode *n, const char *driver)
{
	const char *near;

	for (size_t i = 0; known_drivers[i]; i++)
		if (!strcmp(driver, known_drivers[i]))
			return;
	if (!strcmp(driver, "none"))
		return;
	near = ldr_suggest(driver, known_drivers);
	if (near)
		ldr_warn(l, n, "driver '%s' is not one the simulator registers, so it "
			 "binds as a kernel DMA driver; did you mean %s?", driver, near);
}

/* 36 characters 8-4-4-4-12 of hex digits (what follows is not looked at). */
static bool is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

/* The "{BDF}" of @path: its offset and length, 0 when there is none, -1 when
 * the braces are unbalanced or repeated. */
static int path_brace(const char *path, size_t *at, size_t *len)
{
	const char *open = strchr(path, '{'), *close = strchr(path, '}');

	if (!open && !close)
		return 0;
	if (!open || !close || close < open || strchr(open + 1, '{') ||
	    strchr(close + 1, '}'))
		return -1;
	*at = (size_t)(open - path);
	*len = (size_t)(close - open) + 1;
	return 1;
}

int ldr_devpath(struct ldr *l, const struct ynode *n, const char **out, const char *what)
{
	size_t at, len;
	uint32_t sbdf;
	char *bdf;
	int has, group;
	bool found = false;

	if (ldr_str(l, n, out, what))
		return -1;
	has = path_brace(*out, &at, &len);
	if (has < 0)
		return ldr_error(l, n, "%s '%s': write one {BDF} (or {UUID} of a mediated "
				 "device) for its group number, as in /dev/vfio/{0000:01:00.0}",
				 what, *out);
	if (has && len == 38 && is_uuid(*out + at + 1)) {
		/* a mediated device's group: it exists once a step creates it */
	} else if (has) {
		bdf = g_strndup(*out + at + 1, len - 2);
		if (pci_sbdf_parse(bdf, &sbdf)) {
			ldr_error(l, n, "%s '%s': '{%s}' is not a PCI address "
				  "([domain:]bus:device.function, in hex)", what, *out, bdf);
			g_free(bdf);
			return -1;
		}
		for (size_t i = 0; i < l->s->ntopology && !found; i++)
			found = l->s->topology[i].sbdf == sbdf;
		if (!found && !l->topology_incomplete) {
			ldr_error(l, n, "%s '%s': device %s is not in the topology", what,
				  *out, bdf);
			g_free(bdf);
			return -1;
		}
		group = found && l->world ? sim_pci_iommu_group(l->world, bdf) : 0;
		if (group < 0) {
			ldr_error(l, n, "%s '%s': device %s has no IOMMU group, so no "
				  "/dev/vfio node", what, *out, bdf);
			g_free(bdf);
			return -1;
		}
		g_free(bdf);
	}
	*out = ldr_keep(l, *out);
	return 0;
}

int scn_path_resolve(struct sim_world *w, const char *path, GString *buf)
{
	size_t at, len;
	char *bdf;
	int group;

	g_string_assign(buf, path);
	if (path_brace(path, &at, &len) <= 0)
		return 0;
	bdf = g_strndup(path + at + 1, len - 2);
	group = len == 38 && is_uuid(bdf) ? sim_mdev_iommu_group(w, bdf)
					    : sim_pci_iommu_group(w, bdf);
	g_free(bdf);
	if (group < 0)
		return group == -EINVAL ? -ENODEV : group;
	g_string_truncate(buf, at);
	g_string_append_printf(buf, "%d%s", group, path + at + len);
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
