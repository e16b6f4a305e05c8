/* SPDX-License-Identifier: MIT */
/*
 * vfio_container: the container's own ioctls (GET_API_VERSION,
 * CHECK_EXTENSION, SET_IOMMU) in every state: empty, with a group, with a
 * type1 or type1v2 backend, deprivileged again; every extension number
 * 0..20 in each; backend ioctls before a backend; unknown ioctls after.
 *
 *     vfio_container_sim --world vfio.yaml -- BDF     vfio_container_guest -- BDF
 *
 * BDF: a function alone in its group, bound to vfio-pci here.
 */
#include <sys/ioctl.h>

#include "vfio_common.h"

#define NR_EXT 21   /* extension numbers 0..20 */

static void extensions(int c, const char *state)
{
	for (unsigned long e = 0; e < NR_EXT; e++)
		vret(osys_ioctl(c, VFIO_CHECK_EXTENSION, (void *)e),
		     "vfio.container.check_extension.%s.%lu", state, e);
}

/* Backend ioctls sent to a container without one. */
static void no_backend(int c, const char *state)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };

	vret(osys_ioctl(c, VFIO_IOMMU_GET_INFO, &info), "vfio.container.%s.get_info", state);
	vret(osys_ioctl(c, VFIO_IOMMU_MAP_DMA, &map), "vfio.container.%s.map_dma", state);
	vret(osys_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &unmap), "vfio.container.%s.unmap_dma", state);
	vret(osys_ioctl(c, VC_IO(50), NULL), "vfio.container.%s.unknown", state);
	vret(osys_ioctl(c, _IO('x', 1), NULL), "vfio.container.%s.foreign", state);
}

static const unsigned long bad_types[] = {
	0, VFIO_SPAPR_TCE_IOMMU, VFIO_DMA_CC_IOMMU, VFIO_EEH, VFIO_SPAPR_TCE_v2_IOMMU,
	VFIO_NOIOMMU_IOMMU, VFIO_UNMAP_ALL, VFIO_UPDATE_VADDR, 11, 20, 0x100000001ul,
	~0ul,
};

int main(int argc, char **argv)
{
	int i = osys_init(argc, argv), c, c2, g;
	const char *bdf;
	long ret;

	if (argc - i < 1) {
		fprintf(stderr, "usage: vfio_container -- BDF\n");
		return 2;
	}
	bdf = argv[i];
	vc_bind("container", bdf);

	/* an empty container */
	c = vc_open_container();
	vret(osys_ioctl(c, VFIO_GET_API_VERSION, NULL), "vfio.container.api_version");
	vret(osys_ioctl(c, VFIO_GET_API_VERSION, (void *)0x1234ul),
	     "vfio.container.api_version.arg");
	extensions(c, "empty");
	vret(osys_ioctl(c, VFIO_CHECK_EXTENSION, (void *)0x100000001ul),
	     "vfio.container.check_extension.empty.high");
	vret(osys_ioctl(c, VFIO_CHECK_EXTENSION, (void *)~0ul),
	     "vfio.container.check_extension.empty.all_ones");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.container.set_iommu.no_group");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)0ul), "vfio.container.set_iommu.no_group.bad_type");
	no_backend(c, "empty");

	/* a second container opens too: one per open */
	c2 = osys_open(VC_CONTAINER, O_RDWR);
	vck(vfd(c2), "vfio.container.open.second");
	vret(osys_close(c2), "vfio.container.close.second");

	/* with a group, no backend */
	g = vc_open_group(bdf);
	vret(osys_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), "vfio.container.set_container");
	extensions(c, "group");
	no_backend(c, "group");
	for (size_t k = 0; k < sizeof(bad_types) / sizeof(bad_types[0]); k++)
		vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)bad_types[k]),
		     "vfio.container.set_iommu.bad_type.%zu", k);
	vret(osys_ioctl(c, VFIO_GET_API_VERSION, NULL), "vfio.container.api_version.group");

	/* type1 */
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU), "vfio.container.set_iommu.type1");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU),
	     "vfio.container.set_iommu.type1.twice");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.container.set_iommu.type1.then_v2");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)0ul), "vfio.container.set_iommu.type1.then_bad");
	extensions(c, "type1");
	vret(osys_ioctl(c, VC_IO(50), NULL), "vfio.container.type1.unknown");
	vret(osys_ioctl(c, _IO('x', 1), NULL), "vfio.container.type1.foreign");
	vret(osys_ioctl(c, VFIO_GET_API_VERSION, NULL), "vfio.container.api_version.type1");
	/* group-file and device-file ioctls on a container */
	vret(osys_ioctl(c, VFIO_GROUP_GET_STATUS, NULL), "vfio.container.type1.group_ioctl");
	vret(osys_ioctl(c, VFIO_DEVICE_GET_INFO, NULL), "vfio.container.type1.device_ioctl");

	/* the last group leaves: the container is deprivileged */
	vret(osys_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), "vfio.container.unset_container");
	vret(osys_ioctl(c, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.container.check_extension.deprivileged.v2");
	vret(osys_ioctl(c, VFIO_CHECK_EXTENSION, (void *)VFIO_UPDATE_VADDR),
	     "vfio.container.check_extension.deprivileged.update_vaddr");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.container.set_iommu.deprivileged");
	no_backend(c, "deprivileged");

	/* type1v2 in the same container, once the group is back */
	vret(osys_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), "vfio.container.set_container.again");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.container.set_iommu.type1v2");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.container.set_iommu.type1v2.twice");
	extensions(c, "type1v2");
	vret(osys_ioctl(c, VFIO_CHECK_EXTENSION, (void *)~0ul),
	     "vfio.container.check_extension.type1v2.all_ones");

	/* closing the container first: the group keeps it (spec §B) */
	vret(osys_close(c), "vfio.container.close.with_group");
	ret = osys_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL);
	vret(ret, "vfio.container.unset_container.after_close");
	vret(osys_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL),
	     "vfio.container.unset_container.after_close.twice");

	/* the nesting type (type1 with v2 semantics plus nesting) */
	c = vc_open_container();
	vret(osys_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), "vfio.container.set_container.nesting");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_NESTING_IOMMU),
	     "vfio.container.set_iommu.nesting");
	vret(osys_ioctl(c, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.container.check_extension.after_nesting.v2");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.container.set_iommu.after_nesting");
	vret(osys_close(g), "vfio.container.close.group");
	vret(osys_close(c), "vfio.container.close.last");
	printf("checks %u\n", ocheck_count());
	return 0;
}
