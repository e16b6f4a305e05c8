/* SPDX-License-Identifier: MIT */
/*
 * struct sim_world: the root of everything in one simulated machine.
 *
 * There is no global state anywhere in iommusim.  Every subsystem hangs its
 * state off a world through a fixed slot (enum sim_subsys), so two worlds in
 * one process (a differential test, a fuzzer's shrinker) never interfere.
 * sim/ knows nothing of the layers above it: a slot holds an opaque pointer
 * and the destructor the owning layer registered with it.
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_world;
struct sim_proc;

/* Slots in teardown order reversed: VFIO is torn down first, PCI last. */
enum sim_subsys {
	SIM_SUBSYS_PCI,
	SIM_SUBSYS_IOMMU_HW,        /* the IOMMU hardware model */
	SIM_SUBSYS_IOMMU,           /* the kernel's IOMMU core */
	SIM_SUBSYS_IOMMUFD,         /* /dev/iommu and its contexts */
	SIM_SUBSYS_VFIO,
	SIM_SUBSYS_NR,
};

/*
 * Create an empty world: clock at 0, RNG seeded with @seed, no processes but
 * pid 1 ("init", uid 0, every capability), no device nodes, tracing off.
 * Returns NULL only when memory is exhausted.
 */
struct sim_world *sim_world_create(uint64_t seed);

/*
 * Tear down: every process exits (closing its fds), then the subsystem slots
 * are destroyed from the highest to the lowest, then sim/ state.
 */
void sim_world_destroy(struct sim_world *w);

/* Install the state of a layer; the world calls @destroy(@data) on teardown. */
void sim_world_set_subsys(struct sim_world *w, enum sim_subsys slot, void *data,
			  void (*destroy)(void *data));
void *sim_world_subsys(struct sim_world *w, enum sim_subsys slot);

uint64_t sim_world_seed(const struct sim_world *w);

/*
 * The version of the emulated kernel (profile key `kernel:`).  Where Linux
 * releases differ, each model asks the world which one it is, and every such
 * difference is one entry of docs/kernel-versions.md.  MAINLINE is the
 * default; the others are the releases the real-kernel oracle boots.
 */
enum sim_kernel {
	SIM_KERNEL_MAINLINE,
	SIM_KERNEL_6_1,             /* Debian bookworm */
	SIM_KERNEL_6_12,            /* Debian bookworm-backports */
	SIM_KERNEL_6_2,             /* v6.2, the iommufd merge (seed 004) */
	SIM_KERNEL_NR,
};
enum sim_kernel sim_world_kernel(const struct sim_world *w);
void sim_world_set_kernel(struct sim_world *w, enum sim_kernel k);
/*
 * True when the world's kernel is a release older than @major.@minor: a
 * behaviour that changed in v6.5 reads `sim_kernel_before(w, 6, 5)`, so each
 * release falls on its side of every change by its number alone.  Mainline
 * is newer than every release.
 */
bool sim_kernel_before(const struct sim_world *w, unsigned major, unsigned minor);
/*
 * A model whose failing call changes state anyway, as the kernel's (or a
 * proposal's) code does, says so (docs/kernel-semantics.md §H19's partial
 * cases); the runner takes the note (true once, then cleared) before it
 * holds the call to "errors change nothing".
 */
void sim_world_note_partial_failure(struct sim_world *w);
bool sim_world_take_partial_failure(struct sim_world *w);
/* "mainline", "6.1", "6.2", "6.12"; and back (-1 if unknown). */
const char *sim_kernel_name(enum sim_kernel k);
int sim_kernel_from_name(const char *name);

/* ---- virtual clock (nanoseconds since the world was created) ---------- */
uint64_t sim_now(const struct sim_world *w);
void sim_clock_advance(struct sim_world *w, uint64_t ns);

/* Cost of one syscall entry on the virtual clock. */
#define SIM_SYSCALL_NS 1000u

/*
 * The process in whose context the world currently runs: syscall entry sets
 * it, and trace lines carry its pid and name.  0 / NULL outside a syscall.
 */
int sim_current_pid(const struct sim_world *w);
void sim_set_current(struct sim_world *w, int pid);

#endif
