/* SPDX-License-Identifier: MIT */
/*
 * `iommusim qemu-args`: a scenario's topology as QEMU 7.2 command-line
 * arguments (machine q35, root bus pcie.0), so the real-kernel oracle can
 * build the same machine in QEMU and compare the IOMMU groups the guest
 * reports with iommusim's.  docs/qemu-args.md has the mapping and every
 * refusal with its reason.
 *
 * Only the topology is emitted: the runner supplies -machine, -nodefaults,
 * the kernel and -device intel-iommu (before these arguments).  Devices come
 * in the firmware's order (depth first, by devfn; each bridge followed by
 * the devices below it), so the Nth bridge printed gets secondary bus N, and
 * every id is derived from the function's BDF (rp_00_1c_0).
 */
#ifndef TOOLS_SCENARIO_QEMU_ARGS_H
#define TOOLS_SCENARIO_QEMU_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

struct scenario;

/*
 * Build the arguments for @s, which was loaded from the YAML @text (@len
 * bytes; parsed again for the position of each topology key).  Returns 0
 * with *argv a GPtrArray of strings ("-device", "e1000e,id=..." ...; free
 * with g_ptr_array_unref), or -1 with *err = "FILE:LINE:COL: error:
 * qemu-args: ..." (g_free) at the entry or key QEMU cannot build.
 */
int qemu_args_build(const struct scenario *s, const char *text, size_t len,
		    GPtrArray **argv, char **err);

/* The same, reading the text from s->file; a file that cannot be read is
 * an error at FILE:1:1. */
int qemu_args_build_file(const struct scenario *s, GPtrArray **argv, char **err);

/*
 * Format @argv: one line per option with its value ("-device VALUE\n"), each
 * word shell-quoted when it needs it; or with @json one line holding a JSON
 * array of the strings.  Returns a string to g_free.
 */
char *qemu_args_format(const GPtrArray *argv, bool json);

#endif
