/* SPDX-License-Identifier: MIT */
/*
 * The ioctl ABI as data, for the scenario `ioctl` step: each command's
 * number (VFIO from the system's <linux/vfio.h>, the VFIO device cdev and
 * iommufd from iommusim's <iommusim/uapi/vfio_cdev.h> and
 * <iommusim/uapi/iommufd.h>), how its argument is passed, and for struct
 * arguments the fields with their offsets, sizes and flag or constant names.
 * A scenario names commands, fields, flags and constants; this table turns
 * them into the exact bytes a C program would pass.
 */
#ifndef TOOLS_SCENARIO_ABI_H
#define TOOLS_SCENARIO_ABI_H

#include <stddef.h>
#include <stdint.h>

/*
 * How a field's YAML value is read.  The field's width is its own (1, 2, 4
 * or 8 bytes, or a small byte array such as __u8 __reserved[3], written
 * little-endian); every kind also takes a number or a $saved value.
 */
enum abi_field_kind {
	ABI_U32,         /* an unsigned integer of the field's width (u8, u16, u32) */
	ABI_U64,
	ABI_FLAGS,       /* a bit set, by name: FLAG or [FLAG, ...] from @flags */
	ABI_ADDR,        /* u64 user address: a buffer handle, "buf+4096", or a number */
	ABI_SIZE,        /* u64 with K/M/G suffixes */
	ABI_ENUM,        /* one value by name from @values (abi_enum_find), or a number */
	ABI_FD,          /* a descriptor: a descriptor handle's name (its fd), or a
			  * number such as -1 */
};

struct abi_flag {
	const char *name;        /* short: "READ" for VFIO_DMA_MAP_FLAG_READ */
	uint32_t bit;
};

struct abi_field {
	const char *name;
	uint16_t off, size;
	enum abi_field_kind kind;
	const struct abi_flag *flags;   /* ABI_FLAGS: NULL-name-terminated */
	const struct abi_const *values; /* ABI_ENUM: NULL-name-terminated */
};

struct abi_struct {
	const char *name;
	size_t size;                 /* sizeof, the default of the first field
				      * (VFIO's argsz, iommufd's size) */
	const struct abi_field *fields;
	size_t nfields;
	/* trailing data[] (vfio_irq_set): element size picked by flags */
	uint16_t data_off;           /* 0 = none */
};

enum abi_arg {
	ABI_ARG_NONE,                /* no argument (0 is passed) */
	ABI_ARG_VALUE,               /* an integer or a constant name */
	ABI_ARG_FD_PTR,              /* pointer to an int holding a handle's fd */
	ABI_ARG_STRING,              /* pointer to a NUL-terminated string */
	ABI_ARG_STRUCT,              /* pointer to a struct */
};

struct abi_const {
	const char *name;
	uint64_t value;
};

struct abi_ioctl {
	const char *name;
	unsigned long cmd;
	enum abi_arg arg;
	const struct abi_struct *st;     /* ABI_ARG_STRUCT */
	const struct abi_const *values;  /* ABI_ARG_VALUE: named constants */
	int returns_fd;                  /* the result is a new descriptor */
	/* a proposal's command whose name or number another uses too: the
	 * profile that has it (ABI_PROFILE_*), 0 for every other */
	unsigned profile;
};
#define ABI_PROFILE_NESTING_2020 1u   /* vfio.nesting_abi: guest-pgtbl-2020 */

const struct abi_ioctl *abi_ioctl_find(const char *name);
/* A structure an ioctl's pointer field points at (iommu_hwpt_vtd_s1,
 * iommu_hwpt_vtd_s1_invalidate), for the `put` step; NULL if unknown. */
const struct abi_struct *abi_data_find(const char *name);
void abi_data_names(const char **out, size_t max);
/* The command @name as a world of @profile (ABI_PROFILE_*, 0: none) has
 * it: its own entry first, else the one every profile has. */
const struct abi_ioctl *abi_ioctl_find_in(const char *name, unsigned profile);
/* The output field a command's new descriptor comes back in, or NULL
 * (IOMMU_TEST_CMD's CREATE_ACCESS: create_access.out_access_fd,
 * IOMMU_FAULT_QUEUE_ALLOC's out_fault_fd): `as:`
 * binds it, and it is then the step's result. */
const char *abi_fd_field(const struct abi_ioctl *io);
/* The command names into @out (NULL-terminated), for suggestions. */
void abi_ioctl_names(const char **out, size_t max);
const struct abi_field *abi_field_find(const struct abi_struct *st, const char *name);
/* NULL-terminated list of a struct's field names. */
void abi_field_names(const struct abi_struct *st, const char **out, size_t max);
/* A flag by short or full name; 0 when unknown. */
uint32_t abi_flag_find(const struct abi_flag *flags, const char *name);
const struct abi_const *abi_const_find(const struct abi_const *values, const char *name);
/* An ABI_ENUM value by its full name ("IOMMU_OPTION_OP_SET") or by an
 * ending after a '_' that only one value has ("OP_SET", "SET"); NULL when
 * unknown or ambiguous. */
const struct abi_const *abi_enum_find(const struct abi_const *values, const char *name);

#endif
