/* SPDX-License-Identifier: MIT */
/*
 * Trace points, in the style of QEMU's trace-events and ftrace.
 *
 * Every subsystem declares its trace points in one list (model/pci/trace.h,
 * model/iommu/trace.h, ...), one line each:
 *
 *     #define TP_pci_bind "dev=%s driver=%s"
 *
 * and fires them with SIM_TRACE(w, pci_bind, bdf, drv).  The event name's
 * prefix up to the first '_' is its category ("pci", "iommu", "vfio", "sim").
 * The format is a list of key=value fields separated by single spaces; a value
 * must not contain a space.  Values that are decimal integers are emitted as
 * JSON numbers, everything else as JSON strings.
 *
 * Output, one event a line:
 *   text:  "            qemu-2     [000]     0.002001: vfio_group_open: group=26"
 *          (comm right-aligned to 16, '-', pid left-aligned to 5, CPU, virtual
 *           seconds with 6 decimals, event, fields)
 *   json:  {"ts":2001000,"pid":2,"comm":"qemu","event":"vfio_group_open",
 *           "cat":"vfio","fields":{"group":26}}
 * Outside a syscall the context is pid 0, comm "kernel".
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>

struct sim_world;

enum sim_trace_fmt {
	SIM_TRACE_OFF,
	SIM_TRACE_TEXT,
	SIM_TRACE_JSON,
};

/* Append @s to @out as a JSON string literal (quotes, backslashes and
 * control characters escaped): JSON traces and the CLI's JSON output. */
void sim_json_string(GString *out, const char *s);

/* Where and how events go; @out is not closed by the world. */
void sim_trace_set_output(struct sim_world *w, FILE *out, enum sim_trace_fmt fmt);

/*
 * Enable events whose names match any glob in @patterns, a comma-separated
 * list ('*' and '?' wildcards; a leading '-' disables what it matches, applied
 * left to right).  Replaces the previous pattern set.  Returns 0, or -EINVAL
 * for an empty pattern element.
 */
int sim_trace_enable(struct sim_world *w, const char *patterns);

/* True when @event is enabled and an output is set (cached per name). */
bool sim_trace_enabled(struct sim_world *w, const char *event);

/* Emit one event; a no-op when it is not enabled. */
void sim_trace(struct sim_world *w, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Events emitted so far (enabled or not) — for tests and statistics. */
unsigned long sim_trace_count(const struct sim_world *w);

#define SIM_TRACE(w, name, ...) sim_trace((w), #name, TP_##name, __VA_ARGS__)

/* sim/'s own trace points */
#define TP_sim_proc_spawn   "pid=%d ppid=%d uid=%u gid=%u name=%s"
#define TP_sim_proc_exit    "pid=%d"
#define TP_sim_open         "pid=%d path=%s fd=%ld"
#define TP_sim_close        "pid=%d fd=%d ret=%ld"
#define TP_sim_ioctl        "pid=%d fd=%d cmd=0x%lx ret=%ld"
#define TP_sim_fault_inject "site=%s nth=%lu"
#define TP_sim_devnode_add  "path=%s uid=%u gid=%u mode=0%o"
#define TP_sim_devnode_del  "path=%s"
#define TP_sim_devnode_attr "path=%s uid=%u gid=%u mode=0%o"

#endif
