/* SPDX-License-Identifier: MIT */
/*
 * iommufd (spec §G, docs/iommufd.md): /dev/iommu and its objects, the
 * kernel's drivers/iommu/iommufd/ as a model.  Each open of /dev/iommu is a
 * context (struct iommufd_ctx) with one id table shared by every object
 * kind.  This header is what other layers (VFIO, the scenario runner) use.
 */
#ifndef MODEL_IOMMUFD_H
#define MODEL_IOMMUFD_H

#include <stdbool.h>

struct sim_world;
struct sim_file;
struct iommufd_ctx;

#define IOMMUFD_PATH "/dev/iommu"

/* The subsystem: /dev/iommu (0660 root:root, the misc device's mode) when
 * the emulated kernel has iommufd (v6.2 and later, and @enabled: the
 * profile's `iommufd:` key, CONFIG_IOMMUFD).  0 or -ENOMEM. */
int iommufd_create(struct sim_world *w, bool enabled);

/* The context behind an open /dev/iommu file, or NULL for another file
 * (iommufd_ctx_from_file). */
struct iommufd_ctx *iommufd_ctx_from_file(struct sim_file *f);

/* Objects alive in @ictx (finalized ones), for invariants and tests. */
unsigned iommufd_ctx_objects(const struct iommufd_ctx *ictx);

/* iommufd trace points */
#define TP_iommufd_open     "ctx=%llu"
#define TP_iommufd_ioctl    "ctx=%llu cmd=%s ret=%d"
#define TP_iommufd_obj      "ctx=%llu id=%u type=%s op=%s"
#define TP_iommufd_map      "ioas=%u iova=0x%llx len=0x%llx uva=0x%llx ret=%d"
#define TP_iommufd_unmap    "ioas=%u iova=0x%llx len=0x%llx unmapped=0x%llx ret=%d"

#endif
