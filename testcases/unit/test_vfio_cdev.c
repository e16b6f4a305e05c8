/* SPDX-License-Identifier: MIT */
/*
 * The VFIO device cdev (model/vfio/cdev.c) where its logic is intricate:
 * vfio_device_ida's lowest-free index and when it is released (the last
 * reference, not the unbind), the sysfs read side that shows vfio-dev/vfioN
 * and its `dev` attribute, the group block counted exactly (every failed
 * BIND undoes vfio_device_block_group), an unbind waiting for a bound cdev
 * file, and the group path on an iommufd sharing the device with its state.
 * Each names the kernel function it pins.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <check.h>
#include <glib.h>

#include "vfio_fixture.h"
#include "unit_common.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "iommusim/iommusim.h"
#include "iommusim/uapi/iommufd.h"
#include "iommusim/uapi/vfio_cdev.h"

#define SYSFS_A "/sys/bus/pci/devices/" DEV_A "/vfio-dev"

/* open(2) that may fail */
static int try_open(const char *path)
{
	return (int)sim_sys_open(W, PID, path, O_RDWR);
}

static long bind_fd(int cdev, int ictx, uint32_t *devid)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = ictx };
	long ret = io(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b, sizeof(b));

	if (devid)
		*devid = ret ? 0 : b.out_devid;
	return ret;
}

static long destroy(int ictx, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return io(ictx, IOMMU_DESTROY, &d, sizeof(d));
}

static long get_info(int fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	return io(fd, VFIO_DEVICE_GET_INFO, &info, sizeof(info));
}

/* vfio_init_device (ida_alloc_max: lowest free from 0, in probe order)
 * and the class device's sysfs: a directory per device, `dev` with the
 * cdev's number (vfio_init_device_cdev: MKDEV(major, index)). */
START_TEST(test_index_and_sysfs)
{
	char buf[64];

	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "vfio0");
	ck_assert_int_eq(sim_sysfs_list(W, "/sys/bus/pci/devices/" DEV_B "/vfio-dev", buf,
					sizeof(buf)), 5);
	ck_assert_str_eq(buf, "vfio1");
	ck_assert_int_eq(sim_sysfs_list(W, "/sys/bus/pci/devices/" DEV_C "/vfio-dev", buf,
					sizeof(buf)), 5);
	ck_assert_str_eq(buf, "vfio2");
	ck_assert_int_eq(sim_sysfs_read(W, SYSFS_A "/vfio0/dev", buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "237:0\n");
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A "/vfio0", buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "dev");
	/* the error answers */
	ck_assert_int_eq(sim_sysfs_read(W, SYSFS_A "/vfio0", buf, sizeof(buf)), -EISDIR);
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A "/vfio0/dev", buf, sizeof(buf)), -ENOTDIR);
	ck_assert_int_eq(sim_sysfs_read(W, SYSFS_A "/vfio9/dev", buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A "x", buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(sim_sysfs_read(W, SYSFS_A "/vfio0/dev", buf, 6), -ENOSPC);
	ck_assert_int_eq(sim_sysfs_read(NULL, SYSFS_A, buf, sizeof(buf)), -EINVAL);
	/* unbinding takes the class device away; the index is free again
	 * and the next device bound takes it, not a new one */
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "none"), 0);
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A, buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(try_open("/dev/vfio/devices/vfio0"), -ENOENT);
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "vfio-pci"), 0);
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "vfio0");
	inv();
}
END_TEST

/* vfio_device_release frees the index only at the last reference: an
 * unbind waiting for an open cdev file (vfio_unregister_group_dev) has
 * the node gone at once (vfio_device_del) but the index still taken, so a
 * device bound meanwhile takes the next one. */
START_TEST(test_index_held_by_open_file)
{
	int cdev = open_path("/dev/vfio/devices/vfio0"), ictx = open_path("/dev/iommu");
	uint32_t devid;
	char buf[64];

	ck_assert_int_ge(cdev, 0);
	ck_assert_int_eq(bind_fd(cdev, ictx, &devid), 0);
	ck_assert_uint_eq(devid, 1);
	/* the unbind waits for the file (1: pending) */
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "none"), 1);
	ck_assert_int_eq(try_open("/dev/vfio/devices/vfio0"), -ENOENT);
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A, buf, sizeof(buf)), -ENOENT);
	/* the bound file still works until it is closed */
	ck_assert_int_eq(get_info(cdev), 0);
	ck_assert_int_eq(destroy(ictx, devid), -EBUSY);
	ck_assert_int_eq(sim_sys_close(W, PID, cdev), 0);
	/* the close completed the unbind and unbound the device */
	ck_assert_int_eq(destroy(ictx, devid), -ENOENT);
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A, buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(sim_pci_bind(W, DEV_A, "vfio-pci"), 0);
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "vfio0");
	ck_assert_int_eq(sim_sys_close(W, PID, ictx), 0);
	inv();
}
END_TEST

/* vfio_device_block_group / vfio_device_unblock_group: each refusal after
 * the block (already bound, EBADF, EBADFD, vfio_df_open's EINVAL, the
 * ownership claim) undoes it, so the group node opens once no cdev is
 * bound; a failure before it (flags) never took it. */
START_TEST(test_block_counted_exactly)
{
	int ictx = open_path("/dev/iommu"), other = open_path("/dev/iommu");
	int c1 = open_path("/dev/vfio/devices/vfio2"), c2 = open_path("/dev/vfio/devices/vfio2");
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .flags = 1, .iommufd = ictx };
	int g;

	ck_assert_int_ge(c1, 0);
	ck_assert_int_ge(c2, 0);
	/* 06:0d.1 has e1000: the claim fails after the block */
	ck_assert_int_eq(bind_fd(c1, ictx, NULL), -EPERM);
	ck_assert_int_eq(io(c1, VFIO_DEVICE_BIND_IOMMUFD, &b, sizeof(b)), -EINVAL);
	ck_assert_int_eq(bind_fd(c1, 999, NULL), -EBADF);
	ck_assert_int_eq(bind_fd(c1, c2, NULL), -EBADFD);
	g = open_group(DEV_C);
	ck_assert_int_ge(g, 0);
	ck_assert_int_eq(sim_sys_close(W, PID, g), 0);
	ck_assert_int_eq(sim_pci_bind(W, "0000:06:0d.1", "none"), 0);
	ck_assert_int_eq(bind_fd(c1, ictx, NULL), 0);
	ck_assert_int_eq(bind_fd(c1, ictx, NULL), -EINVAL);     /* access_granted */
	ck_assert_int_eq(bind_fd(c2, other, NULL), -EINVAL);    /* vfio_df_open */
	ck_assert_int_eq(bind_fd(c2, ictx, NULL), -EINVAL);
	{
		char path[32];

		snprintf(path, sizeof(path), "/dev/vfio/%u", gid(DEV_C));
		ck_assert_int_eq(try_open(path), -EBUSY);
	}
	inv();
	ck_assert_int_eq(sim_sys_close(W, PID, c1), 0);
	/* c2 is open but unbound: the group is free */
	g = open_group(DEV_C);
	ck_assert_int_ge(g, 0);
	ck_assert_int_eq(bind_fd(c2, ictx, NULL), -EBUSY);
	ck_assert_int_eq(sim_sys_close(W, PID, g), 0);
	ck_assert_int_eq(bind_fd(c2, ictx, NULL), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, c2), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, ictx), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, other), 0);
	inv();
}
END_TEST

/* A group on an iommufd (vfio_df_group_open): the first GET_DEVICE_FD
 * binds and attaches (the compat IOAS), later ones share the binding.
 * UNSET_CONTAINER lets the iommufd go with them open, but the bound device
 * still owns the group for the context: a container cannot take it
 * (iommu_group_claim_dma_owner: EPERM) until the last device fd closes. */
START_TEST(test_group_iommufd_then_container)
{
	int ictx = open_path("/dev/iommu"), g = open_group(DEV_A), cfd, d1, d2;
	struct vfio_group_status st = { .argsz = sizeof(st) };

	ck_assert_int_eq(set_container(g, ictx), 0);
	ck_assert_int_eq(io(g, VFIO_GROUP_GET_STATUS, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	d1 = (int)device_fd(g, DEV_A);
	d2 = (int)device_fd(g, DEV_A);
	ck_assert_int_ge(d1, 0);
	ck_assert_int_ge(d2, 0);
	/* compat IOAS 1, device 2, automatic HWPT 3 */
	ck_assert_int_eq(destroy(ictx, 2), -EBUSY);
	ck_assert_int_eq(destroy(ictx, 3), -EBUSY);
	ck_assert_int_eq(ioc(g, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	cfd = open_path("/dev/vfio/vfio");
	ck_assert_int_eq(set_container(g, cfd), -EPERM);
	inv();
	ck_assert_int_eq(sim_sys_close(W, PID, d1), 0);
	ck_assert_int_eq(destroy(ictx, 2), -EBUSY);
	ck_assert_int_eq(sim_sys_close(W, PID, d2), 0);
	ck_assert_int_eq(destroy(ictx, 3), -ENOENT);
	ck_assert_int_eq(destroy(ictx, 2), -ENOENT);
	ck_assert_int_eq(set_container(g, cfd), 0);
	inv();
	ck_assert_int_eq(ioc(g, VFIO_GROUP_UNSET_CONTAINER, 0), 0);
	ck_assert_int_eq(destroy(ictx, 1), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, g), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, cfd), 0);
	ck_assert_int_eq(sim_sys_close(W, PID, ictx), 0);
	inv();
}
END_TEST

/* 6.2 has iommufd and the class device, but no VFIO_DEVICE_CDEV: no `dev`
 * attribute, no node (osys_vfio_cdev's -ENODEV on such kernels). */
START_TEST(test_no_cdev_on_6_2)
{
	char buf[64];

	teardown();
	boot_from("name: k62\nprofile: {kernel: \"6.2\"}\ntopology:\n"
		  "  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		  "  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\","
		  " driver: vfio-pci}\n", "k62");
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "vfio0");
	ck_assert_int_eq(sim_sysfs_list(W, SYSFS_A "/vfio0", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(sim_sysfs_read(W, SYSFS_A "/vfio0/dev", buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(try_open("/dev/vfio/devices/vfio0"), -ENOENT);
}
END_TEST

static Suite *vfio_cdev_suite(void)
{
	Suite *s = suite_create("vfio_cdev");
	TCase *tc = tcase_create("cdev");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_index_and_sysfs);
	tcase_add_test(tc, test_index_held_by_open_file);
	tcase_add_test(tc, test_block_counted_exactly);
	tcase_add_test(tc, test_group_iommufd_then_container);
	tcase_add_test(tc, test_no_cdev_on_6_2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(vfio_cdev_suite());
}
