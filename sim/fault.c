/* SPDX-License-Identifier: MIT */
/* Fault injection: fail-nth and probabilistic, per-site call counts. */
#include <glib.h>

#include "sim/fault.h"
#include "sim/world_internal.h"

void sim_fault_init(struct sim_world *w)
{
	/* site name (copied) -> unsigned long counter, bumped in place */
	w->fault.site_calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void sim_fault_fini(struct sim_world *w)
{
	g_hash_table_destroy(w->fault.site_calls);
	g_free(w->fault.glob);
}

static void arm(struct sim_world *w, const char *glob, unsigned long nth,
		unsigned permille)
{
	g_free(w->fault.glob);
	w->fault.glob = (nth || permille) ? g_strdup(glob ? glob : "*") : NULL;
	w->fault.nth = nth;
	w->fault.permille = permille > 1000 ? 1000 : permille;
	w->fault.calls = 0;
}

void sim_fault_fail_nth(struct sim_world *w, const char *glob, unsigned long nth)
{
	arm(w, glob, nth, 0);
}

void sim_fault_probability(struct sim_world *w, const char *glob, unsigned permille)
{
	arm(w, glob, 0, permille);
}

static void count_site(struct sim_world *w, const char *site)
{
	unsigned long *n = g_hash_table_lookup(w->fault.site_calls, site);

	if (!n) {
		n = g_new0(unsigned long, 1);
		g_hash_table_insert(w->fault.site_calls, g_strdup(site), n);
	}
	(*n)++;
}

bool sim_should_fail(struct sim_world *w, const char *site)
{
	bool fail = false;

	count_site(w, site);
	if (!w->fault.glob || !g_pattern_match_simple(w->fault.glob, site))
		return false;
	w->fault.calls++;
	if (w->fault.nth)
		fail = w->fault.calls == w->fault.nth;
	else if (w->fault.permille)
		fail = sim_rng_below(&w->rng, 1000) < w->fault.permille;
	if (fail) {
		w->fault.injected++;
		SIM_TRACE(w, sim_fault_inject, site, w->fault.calls);
	}
	return fail;
}

unsigned long sim_fault_calls(const struct sim_world *w)
{
	return w->fault.calls;
}

unsigned long sim_fault_injected(const struct sim_world *w)
{
	return w->fault.injected;
}

unsigned long sim_fault_site_calls(const struct sim_world *w, const char *site)
{
	const unsigned long *n = g_hash_table_lookup(w->fault.site_calls, site);

	return n ? *n : 0;
}
