/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer's generators (tools/scenario/fuzz_gen.c, docs/fuzzing.md): a
 * source of choices (a seeded RNG, or bytes a coverage-guided fuzzer
 * mutates), a random machine (topology and profile) and random steps.  A
 * step kind that can be generated has a `gen` function in the scenario
 * runner's own table of step kinds (steps.c), so a new capability adds its
 * operations next to its parser.
 */
#ifndef TOOLS_SCENARIO_FUZZ_GEN_H
#define TOOLS_SCENARIO_FUZZ_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/*
 * Choices.  With @rand every draw comes from it and, when @rec is set, is
 * recorded as the bytes that replay it; without, draws read @data (little
 * endian, 1, 2 or 4 bytes by the range, taken modulo it; zeros once the
 * bytes run out), so any bytes decode to some well-formed case and a
 * recorded case decodes to itself.
 */
struct fz {
	GRand *rand;
	const uint8_t *data;
	size_t size, pos;
	GByteArray *rec;
};

/* A number in [0, n) (0 when n <= 1). */
uint32_t fz_below(struct fz *z, uint32_t n);
/* True with chance num/den. */
bool fz_chance(struct fz *z, uint32_t num, uint32_t den);
/* One of @v[0..n-1]. */
uint64_t fz_pick(struct fz *z, const uint64_t *v, unsigned n);

#define FZ_MAX_DEVS   8
#define FZ_MAX_GROUPS 8
#define FZ_MAX_MAPS   64
#define FZ_MAX_X      4      /* x0..x3 drawn (x4..x7 once those are bound):
				* extra opens and dups */
#define FZ_MAX_PROCS  3      /* p1..p3: forked children */

struct fz_dev {
	char bdf[16];            /* "0000:01:00.0" */
	int group;               /* its IOMMU group, -1 for none */
	int gidx;                /* index of its group among the VFIO groups (handle gN), or -1 */
	bool vfio;               /* bound to vfio-pci at boot */
	bool ats, pri;
	unsigned pasid_bits;
};

/*
 * A case being generated: the machine it runs on and what its steps have
 * done so far (the handles bound, the ranges mapped), so that later steps
 * use them more often than chance would.
 */
struct fuzz_gen {
	struct fz *z;
	const char *ops;         /* the step kinds to write, "ioctl,dma" (NULL: all) */
	const char *variant_iommu, *variant_profile;   /* --variant's (no knob twice) */
	const char *format;      /* the IOMMU */
	bool legacy;             /* the type1 container, else iommufd serves /dev/vfio/vfio */
	struct fz_dev dev[FZ_MAX_DEVS];
	unsigned ndev;
	int group[FZ_MAX_GROUPS];   /* the groups with a vfio-pci device: handles g0.. */
	unsigned ngroup;
	unsigned ncdev;          /* devices bound to vfio-pci: /dev/vfio/devices/vfio0.. */
	/* handles bound by the steps so far (bit i: name i) */
	uint32_t dfd;            /* dI: a device fd of dev[I] */
	uint32_t cfd;            /* cI: the cdev /dev/vfio/devices/vfioI */
	uint32_t xfd;            /* xI: another open of a shared node */
	uint32_t xcontainer;     /* xI is a /dev/vfio/vfio (else /dev/iommu) */
	unsigned nproc;          /* p1..p{nproc} forked */
	uint64_t iova[FZ_MAX_MAPS], size[FZ_MAX_MAPS];
	unsigned nmaps;
	uint64_t unmapped_iova, unmapped_size;   /* the last unmap's range */
	unsigned nvars;          /* $v1..$v{nvars}: ids saved by recipes' steps */
	char vars[16][8];
	unsigned recipes;        /* recipes written: their buffers' and tables' names */
	GPtrArray *queue;        /* a recipe's further steps (struct fz_queued *) */
	char knobs[64];          /* iommu profile entries drawn for the machine */
	char knob_lines[128];    /* profile lines drawn for it (a mediated device, a proposal) */
	bool mdev;               /* vfio.mdev_instances: 1, its UUID MDEV_UUID */
	bool mdev_ready;         /* the mdev recipe is queued */
	bool sva2018;            /* vfio.sva_abi: bind-process-2018 */
	bool sva2017;            /* vfio.sva_abi: bind-task-2017 */
	bool nesting2020;        /* vfio.nesting_abi: guest-pgtbl-2020, singleton scope */
	/* what the step being generated binds: a descriptor handle or a process */
	char binds[8];
	bool binds_proc;
};

struct fz_queued {
	char *text;
	char binds[8];
	bool proc;
};

/* The machine of a case: its profile and topology blocks. */
void fuzz_gen_machine(struct fuzz_gen *g, GString *profile, GString *topology,
		      const char *iommu_keys, const char *extra_profile);
/* A case's profile block: the IOMMU @format, the container backend, the
 * naive caches or not, the user's iommu entries and profile lines. */
char *fuzz_profile_text(const char *format, bool legacy, bool naive, const char *knobs,
			const char *knob_lines, const char *iommu_keys, const char *extra_profile);
/* Free what the generation of a case left (the queue). */
void fuzz_gen_done(struct fuzz_gen *g);
/* Queue the steps of a recipe ("cdev", "cdev-dirty", "cdev-nested",
 * "nested": what each does is at its function in fuzz_gen.c); false when
 * the machine has no device for it. */
bool fuzz_gen_recipe(struct fuzz_gen *g, const char *name);
/* Does a recipe have steps still to hand out? */
bool fuzz_gen_pending(const struct fuzz_gen *g);
/* Does @ops ("ioctl,dma", NULL: every kind) let the fuzzer write @kind? */
bool fuzz_gen_kind_wanted(const char *ops, const char *kind);
/* The steps every case starts with (the shared nodes open, a buffer). */
void fuzz_gen_prefix(const struct fuzz_gen *g, GString *out);
/* One random step of a kind from the step table, weighted. */
void fuzz_gen_step(struct fuzz_gen *g, GString *out);

/* The generators of the step kinds (steps.c's table). */
void gen_open(struct fuzz_gen *g, GString *out);
void gen_close(struct fuzz_gen *g, GString *out);
void gen_dup(struct fuzz_gen *g, GString *out);
void gen_ioctl(struct fuzz_gen *g, GString *out);
void gen_dma(struct fuzz_gen *g, GString *out);
void gen_fill(struct fuzz_gen *g, GString *out);
void gen_fork(struct fuzz_gen *g, GString *out);
void gen_exit(struct fuzz_gen *g, GString *out);
void gen_exec(struct fuzz_gen *g, GString *out);
void gen_rlimit(struct fuzz_gen *g, GString *out);
void gen_bind(struct fuzz_gen *g, GString *out);
void gen_unbind(struct fuzz_gen *g, GString *out);
void gen_driver_override(struct fuzz_gen *g, GString *out);
void gen_rw(struct fuzz_gen *g, GString *out);
void gen_guest_table(struct fuzz_gen *g, GString *out);
void gen_mdev(struct fuzz_gen *g, GString *out);
void gen_mmap(struct fuzz_gen *g, GString *out);
/* munmap, mprotect or touch of part of buf */
void gen_vm(struct fuzz_gen *g, GString *out);
/* sva_bind / sva_unbind / a PASID DMA to buf (mainline SVA) */
void gen_sva(struct fuzz_gen *g, GString *out);

#endif
