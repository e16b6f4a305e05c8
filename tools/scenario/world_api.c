/* SPDX-License-Identifier: MIT */
/*
 * The public constructors of <iommusim/iommusim.h>: a world from the same
 * YAML as a scenario (its steps are parsed and checked, but not run).
 */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/world.h"
#include "tools/scenario/scenario.h"
#include "iommusim/iommusim.h"

/* Hand an error to the caller in malloc'ed memory (free() it, not g_free). */
static void give_error(char **err, char *gmsg)
{
	if (err)
		*err = strdup(gmsg ? gmsg : "unknown error");
	g_free(gmsg);
}

static struct sim_world *world_from(struct scenario *s, char **err)
{
	char *gerr = NULL;
	struct sim_world *w = scenario_build_world(s, 0, &gerr);

	scenario_free(s);
	if (!w)
		give_error(err, gerr);
	return w;
}

struct sim_world *sim_world_new_from_file(const char *path, char **err)
{
	return sim_world_new_from_file_opts(path, NULL, err);
}

struct sim_world *sim_world_new_from_file_opts(const char *path,
					       const struct sim_world_opts *opts,
					       char **err)
{
	char *gerr = NULL;
	struct scenario *s;
	int k = -1;

	if (err)
		*err = NULL;
	if (!path) {
		give_error(err, g_strdup("sim_world_new_from_file: path is NULL"));
		return NULL;
	}
	if (opts && opts->kernel && (k = sim_kernel_from_name(opts->kernel)) < 0) {
		give_error(err, g_strdup_printf("unknown kernel \"%s\" (mainline, 6.1, 6.2, 6.12)",
						opts->kernel));
		return NULL;
	}
	s = scenario_load_file(path, &gerr);
	if (!s) {
		give_error(err, gerr);
		return NULL;
	}
	if (k >= 0)
		scenario_set_kernel(s, (enum sim_kernel)k);
	if (opts && opts->iommufd)
		scenario_set_iommufd(s, opts->iommufd > 0);
	if (opts && opts->iommufd_test)
		scenario_set_iommufd_test(s, opts->iommufd_test > 0);
	return world_from(s, err);
}

struct sim_world *sim_world_new_from_string(const char *yaml, char **err)
{
	char *gerr = NULL;
	struct scenario *s;

	if (err)
		*err = NULL;
	if (!yaml) {
		give_error(err, g_strdup("sim_world_new_from_string: yaml is NULL"));
		return NULL;
	}
	s = scenario_load_string(yaml, strlen(yaml), "<string>", &gerr);
	if (!s) {
		give_error(err, gerr);
		return NULL;
	}
	return world_from(s, err);
}

void sim_world_free(struct sim_world *w)
{
	if (w)
		sim_world_destroy(w);
}
