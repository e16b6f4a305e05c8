/* SPDX-License-Identifier: MIT */
/*
 * VFIO (spec §B): the vfio-pci driver, the /dev/vfio/vfio container node and
 * one /dev/vfio/N group node per IOMMU group that has a member bound to
 * vfio-pci.  This layer sits on model/iommu (groups, ownership) and
 * model/pci (driver binding); it is installed in slot SIM_SUBSYS_VFIO.
 */
#ifndef MODEL_VFIO_H
#define MODEL_VFIO_H

#include <stdbool.h>

struct sim_world;
struct iommu_group;

#define VFIO_CONTAINER_PATH "/dev/vfio/vfio"

/*
 * Register vfio-pci with the PCI layer and create /dev/vfio/vfio (root:root
 * 0666, as udev sets it up).  Needs the IOMMU core.  0 or -errno.
 */
int vfio_create(struct sim_world *w);

/* The group node path of @g ("/dev/vfio/26") into @buf. */
const char *vfio_group_node_path(const struct iommu_group *g, char *buf, size_t len);

/* vfio trace points */
#define TP_vfio_group_node_add "group=%u path=%s"
#define TP_vfio_group_node_del "group=%u path=%s"
#define TP_vfio_group_open     "group=%u ret=%d"
#define TP_vfio_group_release  "group=%u"
#define TP_vfio_container_open "id=%u"
#define TP_vfio_container_release "id=%u"
#define TP_vfio_pci_probe      "dev=%s group=%u ret=%d"
#define TP_vfio_pci_remove     "dev=%s group=%u"

#endif
