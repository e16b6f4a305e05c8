/* SPDX-License-Identifier: MIT */
/*
 * Scenario runner: builds the world a scenario describes and plays its
 * steps as a userspace client of the syscall layer, checking each step's
 * outcome and every state expectation, with a per-step report.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/cpu_pgtable.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/hw.h"
#include "model/iommu/invariants.h"
#include "model/iommufd/iommufd.h"
#include "model/vfio/vfio.h"
#include <iommusim/iommusim.h>
#include "tools/scenario/loader.h"
#include "tools/scenario/runner.h"
#include "tools/scenario/steps_internal.h"
#include "tools/scenario/steps_sva.h"

/* ---- building the world ------------------------------------------------- */

static int create_processes(struct scenario *s, struct sim_world *w, char **err)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		struct scn_process *p = &s->procs[i];
		struct sim_cred cred = { .uid = p->uid, .gid = p->gid, .caps = p->caps };
		int ppid = 1;
		int pid;

		for (size_t j = 0; p->parent && j < i; j++)
			if (!strcmp(s->procs[j].name, p->parent))
				ppid = s->procs[j].pid;
		pid = sim_proc_create(w, ppid, p->name, &cred, 0);
		if (pid < 0) {
			*err = g_strdup_printf("%s:%u:%u: error: cannot create process '%s': %s",
					       s->file, p->pos.line, p->pos.col, p->name,
					       g_strerror(-pid));
			return pid;
		}
		p->pid = pid;
		sim_proc_find(w, pid)->rlimit_memlock = p->rlimit_memlock;
		if (!p->dumpable)
			sim_proc_find(w, pid)->mm->dumpable = SIM_DUMP_DISABLE;
	}
	return 0;
}

/*
 * The machine comes up the way a kernel boots: enumerate PCI, let the IOMMU
 * core form groups, load VFIO, then bind each function's driver in probe
 * order.  A topology error fills @berr (index and key) for the loader.
 */
static void setup_trace(struct sim_world *w, const struct run_options *opt)
{
	if (!opt || !opt->trace)
		return;
	sim_trace_set_output(w, opt->trace, opt->trace_fmt == RUN_TRACE_JSON ? SIM_TRACE_JSON :
			     opt->trace_fmt == RUN_TRACE_CHROME ? SIM_TRACE_CHROME : SIM_TRACE_TEXT);
	sim_trace_enable(w, opt->trace_events ? opt->trace_events : SIM_TRACE_DEFAULT_EVENTS);
}

struct sim_world *scenario_world_boot(struct scenario *s, const struct run_options *opt,
				      struct pci_build_error *berr, char **err)
{
	struct sim_world *w = sim_world_create(opt ? opt->seed : 0);
	const char *stage = "topology";
	int ret;

	if (!w) {
		*err = g_strdup_printf("%s: out of memory", s->file);
		return NULL;
	}
	sim_world_set_kernel(w, (enum sim_kernel)s->profile.kernel);
	sim_mem_set_budget(w, s->profile.memory_budget);
	setup_trace(w, opt);   /* the boot is traced too */
	if (opt && opt->fail_nth && !opt->fail_after_boot)
		sim_fault_fail_nth(w, opt->fail_sites ? opt->fail_sites : "*", opt->fail_nth);
	memset(berr, 0, sizeof(*berr));
	berr->index = SIZE_MAX;
	ret = pci_topology_create(w, s->topology, s->ntopology, berr);
	if (!ret) {
		stage = "iommu core";
		ret = iommu_core_create(w, s->profile.group_mode);
	}
	if (!ret) {
		struct iommu_hw_config hw = {
			.kind = (enum iommu_hw_kind)s->profile.hw_kind,
			.iotlb_entries = s->profile.iotlb_entries,
			.naive_iotlb = s->profile.naive_iotlb,
			.psc_entries = s->profile.psc_entries,
			.ctx_cache_entries = s->profile.ctx_cache_entries,
			.pasid_cache_entries = s->profile.pasid_cache_entries,
			.smmu_linear_strtab = s->profile.smmu_linear_strtab,
			.riscv_ddt_levels = s->profile.riscv_ddt_levels,
			.atc_entries = s->profile.atc_entries,
			.fault_queue_len = IOMMU_HW_DEFAULT_FAULTQ,
			.pasid_bits = s->profile.pasid_bits,
			.busy_dma = s->profile.busy_dma,
			.snoop_control = s->profile.snoop_control,
			.no_irq_remapping = s->profile.no_irq_remapping,
			.no_coherent_walk = s->profile.no_coherent_walk,
			.no_dirty_tracking = s->profile.no_dirty_tracking,
			.no_nesting = s->profile.no_nesting,
			.check = s->profile.invariants && !(opt && opt->no_invariants),
			.no_front = opt && opt->no_front_cache,
		};
		stage = "iommu hardware";
		ret = iommu_hw_create(w, &hw);
		/* the CPUs walk what the IOMMU walks for SVA, unless told */
		sim_world_set_mmu(w, s->profile.cpu_mmu ? s->profile.cpu_mmu - 1 :
				  hw.kind == IOMMU_HW_SMMUV3 ? SIM_MMU_ARM64_4K :
				  hw.kind == IOMMU_HW_RISCV ? SIM_MMU_RISCV_SV48 : SIM_MMU_X86_64_4L);
	}
	if (!ret) {
		struct iommu_profile prof = {
			.address_width = s->profile.address_width,
			.default_identity = s->profile.default_identity,
			.naive_map = s->profile.naive_map,
			.paging_stage = s->profile.paging_stage,
			.no_ats = s->profile.no_ats,
			.bugs = s->profile.bugs,
		};
		stage = "iommu domains";
		ret = iommu_domains_init(w, &prof);
	}
	if (!ret) {
		stage = "iommufd";
		ret = iommufd_create(w, !s->profile.no_iommufd, s->profile.vfio_container_iommufd);
	}
	if (!ret && s->profile.iommufd_test) {
		stage = "iommufd test";
		ret = iommufd_test_enable(w);
	}
	if (!ret) {
		stage = "vfio";
		ret = vfio_create(w);
	}
	if (!ret) {
		struct vfio_params *vp = vfio_params(w);

		vp->dma_entry_limit = s->profile.dma_entry_limit;
		vp->allow_unsafe_interrupts = s->profile.allow_unsafe_interrupts;
		vp->noiommu = s->profile.noiommu;
		vp->mdev_instances = s->profile.mdev_instances;
		vp->sva_abi = s->profile.sva_abi;
		vp->rfc_task_leak = s->profile.rfc_task_leak;
		vp->nesting_abi = s->profile.nesting_abi;
		vp->nesting_bind_scope = s->profile.nesting_bind_scope;
		vp->pasid_quota = s->profile.pasid_quota;
		vp->rfc_pasid_efault = s->profile.rfc_pasid_efault;
	}
	if (!ret) {
		stage = "drivers";
		ret = pci_bind_initial_drivers(w, berr);
	}
	if (ret) {
		if (berr->index != SIZE_MAX && berr->msg[0])
			*err = g_strdup_printf("%s: error: %s", s->file, berr->msg);
		else
			*err = g_strdup_printf("%s: error: building the world (%s): %s",
					       s->file, stage, g_strerror(-ret));
		sim_world_destroy(w);
		return NULL;
	}
	return w;
}

int scenario_world_finish(struct scenario *s, struct sim_world *w,
			  const struct run_options *opt, char **err)
{
	if (create_processes(s, w, err))
		return -1;
	/* random failures hit the steps, never the boot (fail-nth walks both,
	 * or with fail_after_boot only the steps);
	 * --fail-random overrides the profile's fault_inject */
	if (opt && opt->fail_nth && opt->fail_after_boot)
		sim_fault_fail_nth(w, opt->fail_sites ? opt->fail_sites : "*", opt->fail_nth);
	else if (opt && opt->fail_permille && !opt->fail_nth)
		sim_fault_probability(w, opt->fail_sites ? opt->fail_sites : "*", opt->fail_permille);
	else if (s->profile.fault_permille && !(opt && opt->fail_nth))
		sim_fault_probability(w, s->profile.fault_sites ? s->profile.fault_sites : "*",
				      s->profile.fault_permille);
	return 0;
}

struct sim_world *scenario_world_build(struct scenario *s, const struct run_options *opt,
				       struct pci_build_error *berr, char **err)
{
	struct sim_world *w = scenario_world_boot(s, opt, berr, err);

	if (w && scenario_world_finish(s, w, opt, err)) {
		sim_world_destroy(w);
		return NULL;
	}
	return w;
}

struct sim_world *scenario_build_world(struct scenario *s, uint64_t seed, char **err)
{
	struct run_options opt = { .seed = seed };
	struct pci_build_error berr;

	return scenario_world_build(s, &opt, &berr, err);
}

/* ---- checks ------------------------------------------------------------- */

bool runner_check(struct runner *r, bool ok, unsigned line, const char *fmt, ...)
{
	va_list ap;

	r->checks++;
	if (ok)
		return true;
	r->failures++;
	g_string_append_printf(r->step_failures, "      line %u: ", line);
	va_start(ap, fmt);
	g_string_append_vprintf(r->step_failures, fmt, ap);
	va_end(ap);
	g_string_append_c(r->step_failures, '\n');
	return false;
}

/* 64 KiB of the process's memory for ioctl arguments, mapped on first use. */
/* A process's ioctl scratch buffer, in the address space it had then (an
 * exec gives it a new one, where a new buffer is made). */
struct scratch {
	struct sim_mm *mm;         /* a reference: never a freed mm's address */
	uint64_t va;
};

static void scratch_free(gpointer p)
{
	struct scratch *sc = p;

	sim_mm_put(sc->mm);
	g_free(sc);
}

int runner_scratch(struct runner *r, int pid, uint64_t *va)
{
	struct scratch *found = g_hash_table_lookup(r->scratch, GINT_TO_POINTER(pid));
	struct sim_proc *p = sim_proc_find(r->w, pid);
	int ret;

	if (found && p && found->mm == p->mm) {
		*va = found->va;
		return 0;
	}
	if (!p)
		return -ESRCH;
	ret = sim_mm_map(p->mm, 64 * 1024, SIM_PROT_READ | SIM_PROT_WRITE, "ioctl-args", va);
	if (ret)
		return ret;
	found = g_new(struct scratch, 1);
	found->mm = sim_mm_get(p->mm);
	found->va = *va;
	g_hash_table_replace(r->scratch, GINT_TO_POINTER(pid), found);
	return 0;
}

int runner_pid(struct runner *r, const char *name)
{
	const struct rhandle *h;

	if (!strcmp(name, "init"))
		return 1;
	for (size_t i = 0; i < r->s->nprocs; i++)
		if (!strcmp(r->s->procs[i].name, name))
			return r->s->procs[i].pid;
	h = g_hash_table_lookup(r->handles, name);   /* a fork step's child */
	return h && h->kind == HANDLE_PROC ? h->pid : -1;
}

static void format_result(GString *out, long ret)
{
	const char *name = ret < 0 ? errno_name((int)-ret) : NULL;

	if (ret >= 0)
		g_string_append_printf(out, "%ld", ret);
	else if (name)
		g_string_append_printf(out, "-%s", name);
	else
		g_string_append_printf(out, "-%ld", -ret);
}

/* SIM_FAULT_* as the `fault:` key spells them */
static const char *const fault_kinds[] = {
	"none", "no-context", "not-present", "permission", "address-size", "no-pasid",
	"page-request-invalid", "page-request-failure", "page-request-pending",
};
static const char *const fault_phases[] = { "final access", "stage-1 descriptor fetch" };

static const char *fault_kind(int reason)
{
	return reason >= 0 && reason < (int)G_N_ELEMENTS(fault_kinds) ? fault_kinds[reason]
								      : "unknown";
}

void runner_dma_fault_str(GString *out, const struct sim_dma *op)
{
	g_string_append_printf(out, "a %s fault at 0x%llx (stage %u, %s, stage address 0x%llx)",
			       fault_kind(op->fault_reason), (unsigned long long)op->fault_addr,
			       op->fault_stage, fault_phases[op->fault_phase & 1],
			       (unsigned long long)op->fault_stage_addr);
}

void runner_fault_expected_str(GString *out, const struct scn_outcome *o)
{
	const char *sep = " (";

	g_string_append_printf(out, "a %s fault", fault_kind(o->err));
	if (o->fault_stage >= 0) {
		g_string_append_printf(out, "%sstage %d", sep, o->fault_stage);
		sep = ", ";
	}
	if (o->fault_phase >= 0) {
		g_string_append_printf(out, "%s%s", sep, fault_phases[o->fault_phase & 1]);
		sep = ", ";
	}
	if (o->has_stage_addr) {
		g_string_append_printf(out, "%sstage address 0x%llx", sep,
				       (unsigned long long)o->stage_addr);
		sep = ", ";
	}
	if (strcmp(sep, " ("))
		g_string_append(out, ")");
}

/* Compare a step's result with its expected outcome (default: success). */
static void check_outcome(struct runner *r, const struct scn_step *st, long ret)
{
	struct scn_outcome o = st->has_outcome ? st->outcome
			       : (struct scn_outcome){ .kind = SCN_OUT_OK, .pos = st->pos };
	GString *got = g_string_new(NULL);

	format_result(got, ret);
	switch (o.kind) {
	case SCN_OUT_OK:
		runner_check(r, ret >= 0, o.pos.line, "expected success, got %s", got->str);
		break;
	case SCN_OUT_ERRNO:
		runner_check(r, ret == -o.err, o.pos.line, "expected errno %s, got %s",
			     errno_name(o.err) ? errno_name(o.err) : "?", got->str);
		break;
	case SCN_OUT_RET:
		runner_check(r, ret == o.ret, o.pos.line, "expected %ld, got %s",
			     o.ret, got->str);
		break;
	case SCN_OUT_FAULT:   /* only dma steps expect faults (they check themselves) */
		runner_check(r, false, o.pos.line, "a %s step cannot fault", st->kind->name);
		break;
	}
	g_string_free(got, TRUE);
}

static void bind_handle(struct runner *r, const struct scn_step *st, long ret)
{
	struct rhandle *h;

	if (!st->as || ret < 0)
		return;
	h = g_new0(struct rhandle, 1);
	h->kind = HANDLE_FD;
	h->pid = r->last_pid;
	h->fd = (int)ret;
	g_hash_table_replace(r->handles, g_strdup(st->as), h);
}

/* New violations printed one per line per step; the rest are summed up. */
#define INVARIANT_LINES_MAX 8

/*
 * spec §H after every step (unless --no-invariants / profile off): each new
 * violation is a failed check naming the invariant.  A broken cache stays
 * broken until something invalidates it, so the same violation is found
 * again after every later step: those are not printed again but summed up
 * in one failed check, and past INVARIANT_LINES_MAX new ones a step's
 * report gives the count of the rest (a skipped flush of 256 pages is one
 * bug, not a screenful).
 */
static void check_invariants(struct runner *r, unsigned line)
{
	unsigned fresh = 0, persisting = 0;
	GString *v;
	char **lines;

	if (!r->s->profile.invariants || r->opt->no_invariants)
		return;
	v = g_string_new(NULL);
	iommu_check_invariants(r->w, v);
	vfio_check_invariants(r->w, v);
	iommufd_check_invariants(r->w, v);
	lines = g_strsplit(v->str, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (!**l)
			continue;
		if (g_hash_table_contains(r->reported, *l)) {
			persisting++;
			continue;
		}
		g_hash_table_add(r->reported, g_strdup(*l));
		if (++fresh <= INVARIANT_LINES_MAX)
			runner_check(r, false, line, "invariant %s", *l);
	}
	if (fresh > INVARIANT_LINES_MAX)
		runner_check(r, false, line, "invariant: and %u more new violation(s) like these",
			     fresh - INVARIANT_LINES_MAX);
	if (persisting)
		runner_check(r, false, line, "invariant: %u violation(s) reported at an earlier "
			     "step persist", persisting);
	g_strfreev(lines);
	g_string_free(v, TRUE);
	r->invariant_runs++;
}

/*
 * The kernel state a failing call must leave as it was (spec §H19): VFIO's
 * and iommufd's objects, mappings, pins and charges as text, and the
 * kernel's own memory (page-table and kernel-data frames).
 */
static void describe_state(struct runner *r, GString *out)
{
	struct sim_mem_stats ms;

	vfio_describe(r->w, out);
	iommufd_describe(r->w, out);
	sim_mem_stats(r->w, &ms);
	g_string_append_printf(out, "frames pgtable=%llu kernel=%llu\n",
			       (unsigned long long)ms.frames[SIM_FRAME_PGTABLE],
			       (unsigned long long)ms.frames[SIM_FRAME_KERNEL]);
}

/* The first line where @a and @b differ, as "'A' became 'B'". */
static void first_difference(const char *a, const char *b, GString *out)
{
	size_t la, lb;

	while (*a || *b) {
		la = strcspn(a, "\n");
		lb = strcspn(b, "\n");
		if (la != lb || memcmp(a, b, la)) {
			g_string_append_printf(out, "'%.*s' became '%.*s'", (int)la, a, (int)lb, b);
			return;
		}
		a += la + (a[la] ? 1 : 0);
		b += lb + (b[lb] ? 1 : 0);
	}
}

/* Steps that report a result of their own (dma, fill, check, expect)
 * cannot fail with an errno; the rest are calls §H19 covers. */
static bool step_is_call(const struct scn_step *st)
{
	return st->kind->run != run_dma && st->kind->run != run_fill &&
	       st->kind->run != run_check && strcmp(st->kind->name, "expect");
}

static int count_fds(struct sim_proc *p, void *ctx)
{
	*(int *)ctx += sim_fd_count(p);
	return 0;
}

static int mm_charges(struct sim_proc *p, void *ctx)
{
	GString *out = ctx;

	if (p->mm && (p->mm->locked_vm || p->mm->pinned_vm))
		g_string_append_printf(out, "process %d's mm still has locked_vm %llu and "
				       "pinned_vm %llu pages", p->pid,
				       (unsigned long long)p->mm->locked_vm,
				       (unsigned long long)p->mm->pinned_vm);
	return out->len != 0;
}

/*
 * What must be gone once no process holds a descriptor (§H10, §H18): every
 * VFIO container and iommufd context, every group's user state (opened,
 * container, users, device fds), every charge (an uid's locked_vm, an mm's
 * locked_vm and pinned_vm), every task reference (get_task_struct), and
 * every group back on its default domain.
 * The first thing left, or an empty string.
 */
static void closed_leftovers(struct runner *r, GString *out)
{
	vfio_leftovers(r->w, out);
	iommufd_leftovers(r->w, out);
	if (out->len) {              /* the first one says enough */
		g_string_truncate(out, strcspn(out->str, "\n"));
		return;
	}
	sim_proc_for_each(r->w, mm_charges, out);
	if (!out->len) {
		char *leaks = sim_task_leaks(r->w);   /* the 2017 RFC's leak (§D) */
		if (leaks)
			g_string_append_len(out, leaks, (gssize)strcspn(leaks, "\n"));
		g_free(leaks);
	}
	for (size_t id = 0; !out->len && id < iommu_group_count(r->w); id++) {
		struct iommu_group *g = iommu_group_by_id(r->w, (unsigned)id);

		if (g->default_domain && g->domain != g->default_domain)
			g_string_append_printf(out, "group %u is not on its default domain", g->id);
	}
}

/* §H10 and §H18 at the end of a run whose processes closed everything. */
static void check_closed(struct runner *r)
{
	GString *left;
	int fds = 0;

	if (!r->state_checks)
		return;
	sim_proc_for_each(r->w, count_fds, &fds);
	if (fds)
		return;
	left = g_string_new(NULL);
	closed_leftovers(r, left);
	if (left->len)
		runner_check(r, false, r->s->nsteps ? r->s->steps[r->s->nsteps - 1].pos.line : 0,
			     "invariant §H18 every descriptor is closed, but %s", left->str);
	g_string_free(left, TRUE);
}

/*
 * The kernel's failing calls that change state anyway (docs/kernel-semantics.md
 * §H19): IOMMU_IOAS_UNMAP removes the whole areas it meets before it finds
 * the one the range cuts and answers ENOENT (iopt_unmap_iova_range is not
 * atomic), and so does VFIO_IOMMU_UNMAP_DMA on an iommufd-served container
 * (iommufd_vfio_unmap_dma calls it; type1 never answers ENOENT there).
 * The others say so themselves when they do it (sim_world_note_partial_failure):
 * the 2020 proposal's VFIO_IOMMU_BIND whose unwind took an earlier bind of
 * the PASID with it, VFIO_DEVICE_ATTACH_IOMMUFD_PT detaching the RID when
 * it cannot copy pt_id back.
 */
static const struct { const char *desc; int err; } partial_failures[] = {
	{ "ioctl IOMMU_IOAS_UNMAP ", ENOENT },
	{ "ioctl VFIO_IOMMU_UNMAP_DMA ", ENOENT },
};

static bool partial_failure(struct runner *r, const char *desc, long ret)
{
	/* taken whatever the table says: the note is the step's alone */
	bool noted = sim_world_take_partial_failure(r->w);

	for (size_t i = 0; i < G_N_ELEMENTS(partial_failures); i++)
		if (g_str_has_prefix(desc, partial_failures[i].desc) &&
		    ret == -partial_failures[i].err)
			return true;
	return noted;
}

static void run_step(struct runner *r, struct scn_step *st)
{
	unsigned failures_before = r->failures;
	GString *desc = g_string_new(NULL);
	GString *before = NULL;
	long ret;

	g_string_truncate(r->step_failures, 0);
	sim_clock_advance(r->w, 1000000);   /* steps start 1 ms apart */
	st->kind->describe(st, desc);
	SIM_TRACE(r->w, scenario_step, st->index, st->kind->name, st->pos.line);
	r->last_pid = 0;
	if (r->opt->explain && st->index == r->opt->explain_step)
		scenario_explain_begin(r, st, desc->str);
	if (r->state_checks && step_is_call(st)) {
		before = g_string_new(NULL);
		describe_state(r, before);
	}
	sim_world_take_partial_failure(r->w);
	ret = st->kind->run(r, st);
	scenario_explain_end(r);
	if (ret != RUN_CHECKED) {
		check_outcome(r, st, ret);
		bind_handle(r, st, ret);
	}
	if (before && ret < 0 && ret != RUN_CHECKED && !partial_failure(r, desc->str, ret)) {
		GString *after = g_string_new(NULL);

		describe_state(r, after);
		if (strcmp(before->str, after->str)) {
			GString *d = g_string_new(NULL), *res = g_string_new(NULL);

			format_result(res, ret);
			first_difference(before->str, after->str, d);
			runner_check(r, false, st->pos.line, "invariant §H19 a failing %s (%s) "
				     "changed the state: %s", st->kind->name, res->str, d->str);
			g_string_free(res, TRUE);
			g_string_free(d, TRUE);
		}
		g_string_free(after, TRUE);
	}
	if (before)
		g_string_free(before, TRUE);
	check_invariants(r, st->pos.line);
	if (r->opt->report) {
		FILE *f = r->opt->report;

		fprintf(f, "  [%u] %s%s%s", st->index, desc->str,
			st->label ? " -- " : "", st->label ? st->label : "");
		if (ret != RUN_CHECKED) {
			GString *res = g_string_new(NULL);
			format_result(res, ret);
			fprintf(f, " => %s", res->str);
			g_string_free(res, TRUE);
		}
		fprintf(f, ": %s\n%s", r->failures == failures_before ? "ok" : "FAIL",
			r->step_failures->str);
	}
	g_string_free(desc, TRUE);
}

/* ---- printing groups ---------------------------------------------------- */

void scenario_print_groups(struct sim_world *w, FILE *out, bool json)
{
	size_t n = iommu_group_count(w);
	const char *mode = iommu_group_mode_name(iommu_core_mode(w));

	if (json)
		fprintf(out, "{\"mode\":\"%s\",\"groups\":[", mode);
	else
		fprintf(out, "groups (%s mode): %zu\n", mode, n);
	for (size_t id = 0; id < n; id++) {
		struct iommu_group *g = iommu_group_by_id(w, (unsigned)id);

		if (json)
			fprintf(out, "%s{\"id\":%u,\"devices\":[", id ? "," : "", g->id);
		else
			fprintf(out, "  group %u:", g->id);
		for (size_t i = 0; i < g->ndevices; i++) {
			const struct pci_dev *d = g->devices[i];
			if (json)
				fprintf(out, "%s\"%s\"", i ? "," : "", d->name);
			else
				fprintf(out, " %s(%s%s%s)", d->name, pci_type_name(d->type),
					d->driver ? ", " : "", d->driver ? d->driver : "");
		}
		if (json)
			fputs("]}", out);
		else
			fprintf(out, "  [%s]\n", iommu_group_viable(g) ? "viable" : "not viable");
	}
	if (json)
		fputs("]}\n", out);
}

/* ---- running ------------------------------------------------------------ */

/*
 * The loader built this scenario's world to check its topology and answer
 * the steps' questions (read-only), then added its processes: the world a
 * run with no option of its own would build again, byte for byte.  It is
 * taken as it is when the run asks for nothing it lacks: seed 0, no trace
 * (the boot would be traced), no fault injection, the invariants and the
 * front cache as the profile has them.  Many files in one process (`run A
 * B C ...`) then build each world once.
 */
static bool boot_reusable(const struct scenario *s, const struct run_options *opt)
{
	return s->boot && !opt->seed && !opt->trace && (!opt->fail_nth || opt->fail_after_boot) &&
	       !opt->fail_permille &&
	       !opt->no_invariants && !opt->no_front_cache;
}

int scenario_run(struct scenario *s, const struct run_options *opt)
{
	struct runner r = { .s = s, .opt = opt };
	struct pci_build_error berr;
	char *err = NULL;
	FILE *rep = opt->report;

	if (rep)
		fprintf(rep, "scenario: %s (%s)\n", s->name, s->file);
	if (opt->fault_fired)
		*opt->fault_fired = opt->fail_nth != 0;   /* until shown otherwise */
	if (boot_reusable(s, opt)) {
		r.w = s->boot;
		s->boot = NULL;
		/* the loader finished this world without the run's injection */
		if (opt->fail_nth)
			sim_fault_fail_nth(r.w, opt->fail_sites ? opt->fail_sites : "*",
					   opt->fail_nth);
	} else {
		r.w = scenario_world_build(s, opt, &berr, &err);
	}
	if (!r.w) {
		fprintf(opt->errors ? opt->errors : stderr, "%s\n", err);
		g_free(err);
		return 2;
	}
	r.handles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	r.vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	r.reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	r.scratch = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, scratch_free);
	r.step_failures = g_string_new(NULL);
	if (rep) {
		if (opt->print_groups)
			scenario_print_groups(r.w, rep, false);
		if (s->nsteps)
			fprintf(rep, "steps:\n");
	}
	r.state_checks = s->profile.invariants && !opt->no_invariants;
	for (size_t i = 0; i < s->nsteps; i++)
		run_step(&r, &s->steps[i]);
	g_string_truncate(r.step_failures, 0);
	{
		unsigned before = r.failures;

		check_closed(&r);
		if (rep && r.failures != before)
			fprintf(rep, "  [end] everything closed: FAIL\n%s", r.step_failures->str);
	}
	if (s->expect) {
		unsigned before = r.failures;
		g_string_truncate(r.step_failures, 0);
		scn_expect_eval(&r, s->expect);
		if (rep)
			fprintf(rep, "  [end] expect (line %u): %s\n%s", s->expect->pos.line,
				r.failures == before ? "ok" : "FAIL", r.step_failures->str);
	}
	if (opt->fault_fired)
		*opt->fault_fired = sim_fault_injected(r.w) != 0;
	if (rep && opt->fail_nth)
		fprintf(rep, "fault injection: call %lu of '%s' %s\n", opt->fail_nth,
			opt->fail_sites ? opt->fail_sites : "*",
			sim_fault_injected(r.w) ? "failed" : "was not reached");
	if (rep && !opt->fail_nth && (opt->fail_permille || s->profile.fault_permille)) {
		const char *sites = opt->fail_permille ? opt->fail_sites : s->profile.fault_sites;

		fprintf(rep, "fault injection: %lu of %lu calls to '%s' failed (chance %u in 1000, "
			"seed %llu)\n", sim_fault_injected(r.w), sim_fault_calls(r.w),
			sites ? sites : "*",
			opt->fail_permille ? opt->fail_permille : s->profile.fault_permille,
			(unsigned long long)opt->seed);
	}
	if (rep)
		fprintf(rep, "%s %s: %u checks, %u failed\n",
			r.failures ? "FAIL" : "PASS", s->name, r.checks, r.failures);
	runner_sva_cleanup(&r);
	runner_nested_cleanup(&r);
	g_hash_table_destroy(r.handles);
	g_hash_table_destroy(r.vars);
	g_hash_table_destroy(r.reported);
	g_hash_table_destroy(r.scratch);
	g_string_free(r.step_failures, TRUE);
	sim_world_destroy(r.w);
	return r.failures ? 1 : 0;
}
