/* SPDX-License-Identifier: MIT */
/* The sysfs store table (sim/sysfs.h) and the public sim_sysfs_write. */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/sysfs.h"
#include "sim/world_internal.h"
#include "iommusim/iommusim.h"

int sim_sysfs_register(struct sim_world *w, const char *prefix, sim_sysfs_store_fn fn,
		       void *ctx)
{
	unsigned i;

	for (i = 0; i < w->nsysfs; i++)
		if (!strcmp(w->sysfs[i].prefix, prefix))
			return -EEXIST;
	if (w->nsysfs == SIM_SYSFS_MAX_PREFIXES)
		return -ENOSPC;
	w->sysfs[w->nsysfs].prefix = prefix;
	w->sysfs[w->nsysfs].fn = fn;
	w->sysfs[w->nsysfs].ctx = ctx;
	w->nsysfs++;
	return 0;
}

void sim_sysfs_unregister(struct sim_world *w, const char *prefix)
{
	for (unsigned i = 0; i < w->nsysfs; i++)
		if (!strcmp(w->sysfs[i].prefix, prefix)) {
			memmove(&w->sysfs[i], &w->sysfs[i + 1],
				(w->nsysfs - i - 1) * sizeof(w->sysfs[0]));
			w->nsysfs--;
			return;
		}
}

int sim_sysfs_write(struct sim_world *w, const char *path, const char *value)
{
	if (!w || !path || !value)
		return -EINVAL;
	for (unsigned i = 0; i < w->nsysfs; i++)
		if (g_str_has_prefix(path, w->sysfs[i].prefix))
			return w->sysfs[i].fn(w, w->sysfs[i].ctx,
					      path + strlen(w->sysfs[i].prefix), value);
	return -ENOENT;
}

/* ---- the read side ---- */

static gint path_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	(void)unused;
	return strcmp(a, b);
}

static int attr_put(struct sim_world *w, const char *path, const char *value)
{
	if (sim_should_fail(w, "sysfs_attr_alloc"))
		return -ENOMEM;
	if (!w->sysfs_attrs)
		w->sysfs_attrs = g_tree_new_full(path_cmp, NULL, g_free, g_free);
	g_tree_replace(w->sysfs_attrs, g_strdup(path), value ? g_strdup(value) : NULL);
	return 0;
}

int sim_sysfs_attr_add(struct sim_world *w, const char *path, const char *value)
{
	return attr_put(w, path, value ? value : "");
}

int sim_sysfs_dir_add(struct sim_world *w, const char *path)
{
	return attr_put(w, path, NULL);
}

struct below {
	const char *dir;
	size_t len;
	GPtrArray *hits;             /* keys at or below dir */
};

static gboolean collect_below(gpointer key, gpointer value, gpointer data)
{
	struct below *b = data;
	const char *k = key;

	(void)value;
	if (strncmp(k, b->dir, b->len))
		return strcmp(k, b->dir) > 0;   /* past the range: stop */
	if (k[b->len] == 0 || k[b->len] == '/')
		g_ptr_array_add(b->hits, key);
	return FALSE;
}

static GPtrArray *entries_below(struct sim_world *w, const char *dir)
{
	struct below b = { dir, strlen(dir), g_ptr_array_new() };

	if (w->sysfs_attrs)
		g_tree_foreach(w->sysfs_attrs, collect_below, &b);
	return b.hits;
}

void sim_sysfs_remove(struct sim_world *w, const char *path)
{
	GPtrArray *hits = entries_below(w, path);

	for (unsigned i = hits->len; i-- > 0;)
		g_tree_remove(w->sysfs_attrs, g_ptr_array_index(hits, i));
	g_ptr_array_free(hits, TRUE);
}

void sim_sysfs_attrs_destroy(struct sim_world *w)
{
	if (w->sysfs_attrs)
		g_tree_destroy(w->sysfs_attrs);
	w->sysfs_attrs = NULL;
}

static long copy_out(const char *s, char *buf, size_t n)
{
	size_t len = strlen(s);

	if (len + 1 > n)
		return -ENOSPC;
	memcpy(buf, s, len + 1);
	return (long)len;
}

long sim_sysfs_read(struct sim_world *w, const char *path, char *buf, size_t n)
{
	GPtrArray *hits;
	gpointer key, value;
	long ret;

	if (!w || !path || !buf)
		return -EINVAL;
	if (w->sysfs_attrs && g_tree_lookup_extended(w->sysfs_attrs, path, &key, &value))
		return value ? copy_out(value, buf, n) : -EISDIR;
	hits = entries_below(w, path);
	ret = hits->len ? -EISDIR : -ENOENT;
	g_ptr_array_free(hits, TRUE);
	return ret;
}

long sim_sysfs_list(struct sim_world *w, const char *path, char *buf, size_t n)
{
	GPtrArray *hits;
	GString *out;
	gpointer key, value;
	size_t len;
	long ret;

	if (!w || !path || !buf)
		return -EINVAL;
	if (w->sysfs_attrs && g_tree_lookup_extended(w->sysfs_attrs, path, &key, &value) && value)
		return -ENOTDIR;
	hits = entries_below(w, path);
	if (!hits->len) {
		g_ptr_array_free(hits, TRUE);
		return -ENOENT;
	}
	out = g_string_new(NULL);
	len = strlen(path);
	for (unsigned i = 0; i < hits->len; i++) {
		const char *k = g_ptr_array_index(hits, i), *name, *end;
		size_t nlen;

		if (!k[len])
			continue;               /* the directory itself */
		name = k + len + 1;
		end = strchr(name, '/');
		nlen = end ? (size_t)(end - name) : strlen(name);
		/* sorted keys: a name repeats only right after itself */
		if (out->len) {
			const char *last = strrchr(out->str, ' ');

			last = last ? last + 1 : out->str;
			if (strlen(last) == nlen && !strncmp(last, name, nlen))
				continue;
			g_string_append_c(out, ' ');
		}
		g_string_append_len(out, name, (gssize)nlen);
	}
	g_ptr_array_free(hits, TRUE);
	ret = copy_out(out->str, buf, n);
	g_string_free(out, TRUE);
	return ret;
}
