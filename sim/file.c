/* SPDX-License-Identifier: MIT */
/* Refcounted open files. */
#include <glib.h>

#include "sim/fault.h"
#include "sim/file.h"
#include "sim/world_internal.h"

struct sim_file *sim_file_new(struct sim_world *w, const struct sim_file_ops *ops,
			      void *private_data, int oflags, const char *path)
{
	struct sim_file *f;

	if (sim_should_fail(w, "file_alloc"))
		return NULL;
	f = g_new0(struct sim_file, 1);
	f->w = w;
	f->ops = ops;
	f->private_data = private_data;
	f->refcount = 1;
	f->oflags = oflags;
	f->path = g_strdup(path ? path : (ops && ops->name ? ops->name : "anon"));
	f->serial = ++w->file_serial;
	w->files_live++;
	return f;
}

struct sim_file *sim_file_get(struct sim_file *f)
{
	f->refcount++;
	return f;
}

void sim_file_put(struct sim_file *f)
{
	if (!f || --f->refcount)
		return;
	if (f->ops && f->ops->release)
		f->ops->release(f);
	f->w->files_live--;
	g_free(f->path);
	g_free(f);
}

unsigned long sim_file_live(const struct sim_world *w)
{
	return w->files_live;
}
