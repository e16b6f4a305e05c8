/* SPDX-License-Identifier: MIT */
/*
 * Trace points, in the style of QEMU's trace-events and ftrace.
 *
 * Every subsystem declares its trace points in one list (model/pci/pci.h,
 * model/iommu/domain.h, ...), one line each:
 *
 *     #define TP_pci_bind "dev=%s driver=%s"
 *
 * and fires them with SIM_TRACE(w, pci_bind, bdf, drv).  The event name's
 * prefix up to the first '_' is its category ("pci", "iommu", "vfio", "sim").
 *
 * The declaration is the schema: a list of key=VALUE fields separated by
 * spaces, where VALUE is printf text whose conversions give the field its
 * type.  A field that is one integer conversion (%d %u %x %o with any
 * flags, width and length, optionally after the radix prefix "0x" or "0")
 * is a number: "int" when the conversion is signed, "uint" when not.  Any
 * other field (one %s, or text around or between conversions such as
 * rid=%02x:%02x.%u) is a string.  The format is parsed once per world and
 * cached; each event's values are taken from the va_list and written from
 * those typed values, never by re-parsing printed text.  docs/traces.md
 * lists every event with its fields (testcases/test_trace_schema.py keeps
 * that table equal to these declarations).  A value that would be ambiguous
 * in text (a space, '=', '"', '\\' or a control character) is printed
 * quoted with C escapes, so no value can forge a key.  A field that may be
 * absent has one type anyway: pasid is an int, -1 when the request carries
 * no PASID.
 *
 * Output, one event a line:
 *   text:   "            qemu-2     [000]     0.002001: vfio_group_open: group=26"
 *           (comm right-aligned to 16, '-', pid left-aligned to 5, CPU, virtual
 *            seconds with 6 decimals, event, fields)
 *   json:   {"ts":2001000,"pid":2,"comm":"qemu","event":"vfio_group_open",
 *            "cat":"vfio","fields":{"group":26}}
 *   chrome: one Chrome trace-event JSON object ({"traceEvents":[...]}), for
 *           ui.perfetto.dev or chrome://tracing: scenario_step events open
 *           slices (ph B/E on pid 0), every other event is an instant (ph i)
 *           on its process's track, ts in microseconds of virtual time.  The
 *           object is closed when the output changes or the world is
 *           destroyed, so one output holds one world.
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
	SIM_TRACE_CHROME,
};

/* The events a world traces until sim_trace_enable() says otherwise: all
 * but the frame allocator's, which would be most of the lines. */
#define SIM_TRACE_DEFAULT_EVENTS "*,-sim_frame_alloc,-sim_frame_free"

/* Append @s to @out as a JSON string literal (quotes, backslashes and
 * control characters escaped, invalid UTF-8 as U+FFFD): JSON traces and the
 * CLI's JSON output. */
void sim_json_string(GString *out, const char *s);

/*
 * The schema of a trace-point format, one "key:TYPE" per field separated by
 * spaces (TYPE int, uint or string), into @out.  Returns 0, or -EINVAL with
 * the reason in @out when the format is not a list of key=VALUE fields with
 * distinct keys and conversions among d i u x X o c s (and %%).
 */
int sim_trace_schema(const char *fmt, GString *out);

/* Where and how events go; @out is not closed by the world.  A Chrome
 * document being written to the previous output is finished first. */
void sim_trace_set_output(struct sim_world *w, FILE *out, enum sim_trace_fmt fmt);

/*
 * Enable events whose names match any glob in @patterns, a comma-separated
 * list ('*' and '?' wildcards; a leading '-' disables what it matches, applied
 * left to right).  Replaces the previous pattern set (initially
 * SIM_TRACE_DEFAULT_EVENTS).  Returns 0, or -EINVAL for an empty pattern
 * element.
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
