/* SPDX-License-Identifier: MIT */
/*
 * vfio_group: the group file (spec §B): single opener, GET_STATUS with its
 * argsz, SET_CONTAINER and UNSET_CONTAINER errors and order, GET_DEVICE_FD
 * names and states, two groups in one container, closing in every order.
 *
 *     vfio_group_sim --world vfio.yaml -- A B     vfio_group_guest -- A B
 *
 * A and B: functions alone in two different groups, bound to vfio-pci here.
 */
#include "vfio_common.h"

static void status(int g, uint32_t argsz, const char *name)
{
	struct vfio_group_status st = { .argsz = argsz, .flags = 0xdead0000 };
	long ret = osys_ioctl(g, VFIO_GROUP_GET_STATUS, &st);

	vret(ret, "vfio.group.get_status.%s", name);
	vck(vhex(st.flags), "vfio.group.get_status.%s.flags", name);
	vck(vdec(st.argsz), "vfio.group.get_status.%s.argsz", name);
}

static void device_info_ok(int d, const char *name)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	vret(osys_ioctl(d, VFIO_DEVICE_GET_INFO, &info), "vfio.group.%s.device_get_info", name);
}

/* GET_DEVICE_FD with names that are not quite the device's. */
/* GET_DEVICE_FD as a check; a device fd it opens is closed again. */
static void try_name(int g, const char *name, const char *check)
{
	long ret = osys_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)name);

	vck(vfd(ret), "%s", check);
	if (ret >= 0)
		osys_close((int)ret);
}

static void bad_names(int g, const char *a, const char *b)
{
	char name[128];

	try_name(g, "", "vfio.group.get_device_fd.empty");
	try_name(g, "0000:ff:1f.7", "vfio.group.get_device_fd.no_such_device");
	try_name(g, b, "vfio.group.get_device_fd.other_group");
	try_name(g, a + 5, "vfio.group.get_device_fd.no_domain");
	snprintf(name, sizeof(name), "%.*s", (int)strlen(a) - 1, a);
	try_name(g, name, "vfio.group.get_device_fd.prefix");
	snprintf(name, sizeof(name), "%sx", a);
	try_name(g, name, "vfio.group.get_device_fd.suffix");
	snprintf(name, sizeof(name), "%s ", a);
	try_name(g, name, "vfio.group.get_device_fd.trailing_space");
	snprintf(name, sizeof(name), "%s opt=1", a);
	try_name(g, name, "vfio.group.get_device_fd.unknown_option");
	snprintf(name, sizeof(name), "%s vf_token=00000000-0000-0000-0000-000000000000", a);
	try_name(g, name, "vfio.group.get_device_fd.vf_token");
	snprintf(name, sizeof(name), "%s  ", a);
	try_name(g, name, "vfio.group.get_device_fd.two_spaces");
	snprintf(name, sizeof(name), "%s\tx", a);
	try_name(g, name, "vfio.group.get_device_fd.tab");
	snprintf(name, sizeof(name), "%s vf_token=0000", a);
	try_name(g, name, "vfio.group.get_device_fd.vf_token_short");
	try_name(g, NULL, "vfio.group.get_device_fd.null");
}

/*
 * Binding through sysfs (bind_store, driver_override_store, unbind_store,
 * new_id_store): vfio-pci has no id table, so it binds a device only once
 * its driver_override names vfio-pci (or a new_id matches it).
 */
static void sysfs_binding(const char *bdf)
{
	char ovr[128];
	const char *bind = "/sys/bus/pci/drivers/vfio-pci/bind";
	const char *unbind = "/sys/bus/pci/drivers/vfio-pci/unbind";

	snprintf(ovr, sizeof(ovr), "/sys/bus/pci/devices/%s/driver_override", bdf);
	vret(osys_bind(bdf, "none"), "vfio.sysfs.start_unbound");
	vret(osys_sysfs_write(bind, bdf), "vfio.sysfs.bind.no_override");
	vret(osys_sysfs_write(bind, "0000:0f:1f.7"), "vfio.sysfs.bind.no_device");
	vret(osys_sysfs_write(unbind, bdf), "vfio.sysfs.unbind.not_bound");
	vret(osys_sysfs_write(ovr, "vfio-pci\n"), "vfio.sysfs.override");
	vret(osys_sysfs_write(bind, bdf), "vfio.sysfs.bind");
	vret(osys_sysfs_write(bind, bdf), "vfio.sysfs.bind.again");
	vret(osys_sysfs_write(unbind, bdf), "vfio.sysfs.unbind");
	vret(osys_sysfs_write(unbind, bdf), "vfio.sysfs.unbind.again");
	vret(osys_sysfs_write(ovr, "\n"), "vfio.sysfs.override.clear");
	vret(osys_sysfs_write(bind, bdf), "vfio.sysfs.bind.cleared");
}

/* new_id: the dynamic id makes vfio-pci probe every unbound device it
 * matches; the same id again is EEXIST (new_id_store). */
static void sysfs_new_id(const char *bdf)
{
	const char *new_id = "/sys/bus/pci/drivers/vfio-pci/new_id";
	char path[64];
	int fd;

	vret(osys_bind(bdf, "none"), "vfio.sysfs.new_id.unbound");
	vret(osys_sysfs_write(new_id, "8086 10d3"), "vfio.sysfs.new_id");
	/* probed and bound: its group node is back */
	fd = osys_open(vc_group_path(bdf, path, sizeof(path)), O_RDWR);
	vck(fd >= 0 ? "bound" : "not bound", "vfio.sysfs.new_id.probed");
	if (fd >= 0)
		osys_close(fd);
	vret(osys_sysfs_write(new_id, "8086 10d3"), "vfio.sysfs.new_id.again");
	vret(osys_sysfs_write(new_id, "zz"), "vfio.sysfs.new_id.garbage");
}

int main(int argc, char **argv)
{
	int i = osys_init(argc, argv), ga, ga2, gb, c, c2, fd, da, da2, db;
	const char *a, *b;
	char path[64];
	long ret;

	if (argc - i < 2) {
		fprintf(stderr, "usage: vfio_group -- A B\n");
		return 2;
	}
	a = argv[i];
	b = argv[i + 1];
	sysfs_binding(a);
	vc_bind("group.a", a);
	vc_bind("group.b", b);
	vck(osys_iommu_group(a) != osys_iommu_group(b) ? "different" : "same",
	    "vfio.group.numbers");

	/* opening */
	vret(osys_open("/dev/vfio/4095", O_RDWR), "vfio.group.open.no_such_group");
	ga = vc_open_group(a);
	ga2 = osys_open(vc_group_path(a, path, sizeof(path)), O_RDWR);
	vck(vfd(ga2), "vfio.group.open.twice");
	vret(osys_close(ga), "vfio.group.close");
	ga = osys_open(path, O_RDWR);
	vck(vfd(ga), "vfio.group.open.after_close");
	gb = vc_open_group(b);

	/* GET_STATUS and its argsz */
	status(ga, 0, "argsz0");
	status(ga, 7, "argsz7");
	status(ga, 8, "argsz8");
	status(ga, 64, "argsz64");
	vret(osys_ioctl(ga, VFIO_GROUP_GET_STATUS, NULL), "vfio.group.get_status.null");

	/* wrong-kind ioctls on a group file */
	vret(osys_ioctl(ga, VFIO_GET_API_VERSION, NULL), "vfio.group.container_ioctl");
	vret(osys_ioctl(ga, VFIO_DEVICE_GET_INFO, NULL), "vfio.group.device_ioctl");
	vret(osys_ioctl(ga, VC_IO(50), NULL), "vfio.group.unknown");

	/* no container yet */
	vret(osys_ioctl(ga, VFIO_GROUP_UNSET_CONTAINER, NULL), "vfio.group.unset_container.none");
	vck(vfd(osys_ioctl(ga, VFIO_GROUP_GET_DEVICE_FD, (void *)a)),
	    "vfio.group.get_device_fd.no_container");
	vck(vfd(osys_ioctl(ga, VFIO_GROUP_GET_DEVICE_FD, (void *)"0000:ff:1f.7")),
	    "vfio.group.get_device_fd.no_container.bad_name");

	/* SET_CONTAINER with what is not a container */
	fd = -1;
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, &fd), "vfio.group.set_container.minus_one");
	fd = 1000;
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, &fd), "vfio.group.set_container.closed_fd");
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, &gb), "vfio.group.set_container.group_fd");
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, &ga), "vfio.group.set_container.itself");
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, NULL), "vfio.group.set_container.null");
	status(ga, 8, "after_bad_set");

	/* a container without a backend */
	c = vc_open_container();
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, &c), "vfio.group.set_container");
	status(ga, 8, "container_set");
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, &c), "vfio.group.set_container.twice");
	c2 = vc_open_container();
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, &c2), "vfio.group.set_container.other");
	vck(vfd(osys_ioctl(ga, VFIO_GROUP_GET_DEVICE_FD, (void *)a)),
	    "vfio.group.get_device_fd.no_backend");
	vret(osys_ioctl(ga, VFIO_GROUP_UNSET_CONTAINER, NULL), "vfio.group.unset_container.no_backend");
	status(ga, 8, "unset");
	vret(osys_ioctl(ga, VFIO_GROUP_UNSET_CONTAINER, NULL), "vfio.group.unset_container.twice");

	/* with type1v2: device fds */
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, &c), "vfio.group.set_container.back");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), "vfio.group.set_iommu");
	status(ga, 8, "backend");
	bad_names(ga, a, b);
	ret = osys_ioctl(ga, VFIO_GROUP_GET_DEVICE_FD, (void *)a);
	vck(vfd(ret), "vfio.group.get_device_fd");
	da = (int)ret;
	ret = osys_ioctl(ga, VFIO_GROUP_GET_DEVICE_FD, (void *)a);
	vck(vfd(ret), "vfio.group.get_device_fd.twice");
	da2 = (int)ret;
	device_info_ok(da, "first");
	device_info_ok(da2, "second");
	vret(osys_ioctl(ga, VFIO_GROUP_UNSET_CONTAINER, NULL), "vfio.group.unset_container.device_open");
	vret(osys_close(da2), "vfio.group.close.device_second");
	vret(osys_ioctl(ga, VFIO_GROUP_UNSET_CONTAINER, NULL),
	     "vfio.group.unset_container.one_device_open");

	/* B joins the container that already has a backend */
	vret(osys_ioctl(gb, VFIO_GROUP_SET_CONTAINER, &c), "vfio.group.b.set_container");
	status(gb, 8, "b.joined");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), "vfio.group.b.set_iommu");
	ret = osys_ioctl(gb, VFIO_GROUP_GET_DEVICE_FD, (void *)b);
	vck(vfd(ret), "vfio.group.b.get_device_fd");
	db = (int)ret;
	vck(vfd(osys_ioctl(gb, VFIO_GROUP_GET_DEVICE_FD, (void *)a)),
	    "vfio.group.b.get_device_fd.of_a");
	vret(osys_ioctl(gb, VFIO_GROUP_SET_CONTAINER, &c2), "vfio.group.b.set_container.other");

	/* A leaves: the container keeps its backend for B */
	vret(osys_close(da), "vfio.group.close.device");
	vret(osys_ioctl(ga, VFIO_GROUP_UNSET_CONTAINER, NULL), "vfio.group.unset_container.a");
	vret(osys_ioctl(c, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.group.b.check_extension");
	vret(osys_ioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU),
	     "vfio.group.b.set_iommu.again");
	/* A rejoins and gets a device through the existing backend */
	vret(osys_ioctl(ga, VFIO_GROUP_SET_CONTAINER, &c), "vfio.group.a.rejoin");
	ret = osys_ioctl(ga, VFIO_GROUP_GET_DEVICE_FD, (void *)a);
	vck(vfd(ret), "vfio.group.a.rejoin.get_device_fd");
	da = (int)ret;

	/* close the container fd first: the groups keep it alive */
	vret(osys_close(c), "vfio.group.close.container");
	device_info_ok(db, "container_closed");
	status(gb, 8, "container_closed");
	/* the group fd goes while a device fd is open: the device holds it */
	vret(osys_close(gb), "vfio.group.close.group_b");
	device_info_ok(db, "group_closed");
	ret = osys_open(vc_group_path(b, path, sizeof(path)), O_RDWR);
	vck(vfd(ret), "vfio.group.open.while_device_open");
	if (ret >= 0)
		osys_close((int)ret);
	vret(osys_close(db), "vfio.group.close.device_b");
	ret = osys_open(path, O_RDWR);
	vck(vfd(ret), "vfio.group.open.after_device_close");
	gb = (int)ret;
	if (gb >= 0)
		status(gb, 8, "b.reopened");

	/* A: close the group while its device is open, then the device */
	vret(osys_close(ga), "vfio.group.close.group_a");
	device_info_ok(da, "a.group_closed");
	vret(osys_close(da), "vfio.group.close.device_a");
	ga = osys_open(vc_group_path(a, path, sizeof(path)), O_RDWR);
	vck(vfd(ga), "vfio.group.open.a.final");
	status(ga, 8, "a.final");

	/* c2 never got a group */
	vret(osys_ioctl(c2, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), "vfio.group.c2.set_iommu");
	vret(osys_close(c2), "vfio.group.close.c2");
	if (ga >= 0)
		osys_close(ga);
	if (gb >= 0)
		osys_close(gb);
	sysfs_new_id(a);
	printf("checks %u\n", ocheck_count());
	return 0;
}
