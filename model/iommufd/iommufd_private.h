/* SPDX-License-Identifier: MIT */
/*
 * iommufd internals shared by the files of model/iommufd/, with the
 * kernel's names so each reads beside drivers/iommu/iommufd/:
 *   main.c         /dev/iommu, contexts, the object table, the ioctl
 *                  table and its size rules, DESTROY, OPTION (RLIMIT_MODE)
 *   io_pagetable.c struct io_pagetable: areas over iopt_pages, reserved
 *                  and allowed ranges, alignment, automatic IOVAs, map,
 *                  copy and unmap
 *   ioas.c         the IOAS object and its ioctls
 */
#ifndef MODEL_IOMMUFD_PRIVATE_H
#define MODEL_IOMMUFD_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "sim/ids.h"
#include "model/iommufd/iommufd.h"

struct sim_world;
struct sim_proc;
struct sim_mm;

/* offsetofend(), as the kernel sizes its command structures */
#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY,             /* lookups only */
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_FAULT,
};
const char *iommufd_object_type_name(enum iommufd_object_type t);

/* Accounting of pinned pages (enum iopt_pages_account_mode). */
enum iopt_account_mode {
	IOPT_PAGES_ACCOUNT_NONE,     /* CAP_IPC_LOCK */
	IOPT_PAGES_ACCOUNT_USER,     /* the user's locked_vm (the default) */
	IOPT_PAGES_ACCOUNT_MM,       /* the mm's locked_vm (RLIMIT_MODE 1, VFIO's way) */
};

struct iommufd_state {
	struct sim_world *w;
	uint64_t next_ctx;           /* contexts numbered in open order, for traces */
};

struct iommufd_object;
struct iommufd_ctx {
	struct iommufd_state *st;
	struct sim_world *w;
	uint64_t serial;
	struct sim_ids objects;      /* id -> struct iommufd_object *, from 1 */
	enum iopt_account_mode account_mode;
	struct iommufd_ioas *vfio_ioas;   /* the VFIO compatibility IOAS */
};

/*
 * Every object: allocated (an id taken, invisible), then finalized
 * (iommufd_object_finalize: lookups find it) or aborted (the id is freed).
 * @users counts the references: 1 for the table itself, plus one per
 * holder (a HWPT on its IOAS, a device on its HWPT ...).  DESTROY removes
 * it only when the table's is the last (EBUSY otherwise).
 */
struct iommufd_object {
	struct iommufd_ctx *ictx;
	enum iommufd_object_type type;
	uint32_t id;
	unsigned users;
	bool finalized;
	void (*destroy)(struct iommufd_object *obj);
};

/* ---- main.c ---- */
/* _iommufd_object_alloc: the lowest free id; NULL on -ENOMEM
 * ("iommufd_object_alloc") or a full table. */
int iommufd_object_alloc(struct iommufd_ctx *ictx, struct iommufd_object *obj,
			 enum iommufd_object_type type,
			 void (*destroy)(struct iommufd_object *));
void iommufd_object_finalize(struct iommufd_object *obj);
/* iommufd_object_abort: never finalized; the id is released, then
 * @obj->destroy. */
void iommufd_object_abort(struct iommufd_object *obj);
/* iommufd_get_object: a finalized object of @type (ANY: any) with a user
 * reference taken, or NULL (-ENOENT). */
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, uint32_t id,
					  enum iommufd_object_type type);
void iommufd_put_object(struct iommufd_object *obj);

/* One ioctl call as the handlers see it (struct iommufd_ucmd). */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	struct sim_proc *p;
	unsigned long ubuffer;
	uint32_t user_size;
	void *cmd;                   /* the kernel's copy, its full size */
};
/* iommufd_ucmd_respond: copy the answer back, min(user_size, @len) bytes
 * (-EFAULT). */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t len);

/* ---- io_pagetable.c ---- */
/* A user range as the kernel pins it (struct iopt_pages): shared by every
 * area a COPY made from it, refcounted. */
struct iopt_pages {
	unsigned refs;                /* areas and slices using it */
	uint64_t uptr;               /* page-aligned start */
	uint64_t npages;
	bool writable;
	struct sim_mm *mm;           /* source_mm, a reference (mmgrab) */
	int pid;                     /* source_task (its RLIMIT_MEMLOCK) */
	uint32_t uid;                /* source_user */
	enum iopt_account_mode account_mode;
};

/* One mapping: [iova, last] over pages [start_byte, start_byte + len). */
struct iopt_area {
	uint64_t iova, last;         /* inclusive */
	struct iopt_pages *pages;
	uint64_t start_byte;         /* offset of iova's byte into the pages' range */
	unsigned prot;               /* IOMMU_READ | IOMMU_WRITE */
};

struct iopt_range {              /* reserved and allowed ranges, inclusive */
	uint64_t start, last;
	const void *owner;           /* reserved: who reserved it */
};

struct io_pagetable {
	struct sim_world *w;
	GArray *areas;               /* struct iopt_area, sorted by iova */
	GArray *reserved;            /* struct iopt_range, sorted by start */
	GArray *allowed;             /* struct iopt_range, sorted; empty = all */
	uint64_t iova_alignment;     /* 1 without domains */
	bool disable_large_pages;    /* OPTION HUGE_PAGES 0 */
};

void iopt_init_table(struct io_pagetable *iopt, struct sim_world *w);
/* Unmaps everything first. */
void iopt_destroy_table(struct io_pagetable *iopt);

#define IOPT_ALLOC_IOVA 1u
/* iopt_map_user_pages: 0 (and *iova when IOPT_ALLOC_IOVA), -EINVAL,
 * -EOVERFLOW, -EEXIST, -ENOSPC, -EPERM, -ENOMEM. */
int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			struct sim_proc *p, uint64_t *iova, uint64_t uptr,
			uint64_t length, unsigned prot, unsigned flags);
/* One slice of pages a map installs (struct iopt_pages_list). */
struct iopt_pages_elm {
	struct iopt_pages *pages;    /* a reference */
	uint64_t start_byte, length;
};
/* iopt_get_pages (COPY's source): the areas covering [iova, iova + length)
 * contiguously, each slice with a reference on its pages, into @list
 * (struct iopt_pages_elm).  -EINVAL (length 0), -EOVERFLOW, -ENOENT (a
 * hole), -ENOMEM. */
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   GArray *list);
/* iopt_map_pages: the slices at *iova one after another (or at an
 * automatic IOVA for IOPT_ALLOC_IOVA); their references move into the
 * areas on success.  iopt_free_pages_list drops what is left. */
int iopt_map_pages(struct io_pagetable *iopt, GArray *list, uint64_t length,
		   uint64_t *iova, unsigned prot, unsigned flags);
void iopt_free_pages_list(GArray *list);
/* iopt_unmap_iova: whole areas inside [iova, iova + length); *unmapped
 * bytes; -ENOENT (nothing, or an area sticking out: those before it stay
 * unmapped), -EINVAL, -EOVERFLOW.  iopt_unmap_all: everything, 0 when
 * empty. */
int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		    uint64_t *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped);
/* iopt_set_allow_iova: @ranges (sorted, checked by the caller) replace the
 * list; -EADDRINUSE when one meets a reserved range (the old list stays). */
int iopt_set_allow_iova(struct io_pagetable *iopt, GArray *ranges);
/* iopt_reserve_iova: -EADDRINUSE over an area or an allowed range. */
int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start, uint64_t last,
		      const void *owner);
void iopt_remove_reserved_iova(struct io_pagetable *iopt, const void *owner);
/* The holes of the reserved ranges (IOVA_RANGES), into @out (struct
 * iopt_range). */
void iopt_usable_ranges(const struct io_pagetable *iopt, GArray *out);
/* OPTION HUGE_PAGES: 0 or -EADDRINUSE (an area is not page aligned). */
int iopt_disable_large_pages(struct io_pagetable *iopt);
void iopt_enable_large_pages(struct io_pagetable *iopt);

/* iopt_cut_iova: split the areas holding each of @iovas so that the IOVA
 * ends an area (VFIO TYPE1's partial unmap); -EINVAL off the alignment. */
int iopt_cut_iova(struct io_pagetable *iopt, const uint64_t *iovas, unsigned n);

/* ---- vfio_compat.c ---- */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, struct sim_proc *p, unsigned int cmd,
			unsigned long arg);

/* ---- ioas.c ---- */
struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
};
struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx);
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_ioas_option(struct iommufd_ucmd *ucmd);

#endif
