/* SPDX-License-Identifier: MIT */
/*
 * The vIOMMU and vDEVICE objects and SMMUv3's nesting through them
 * (model/iommufd/viommu.c), below what the scenarios show
 * (testcases/scenarios/iommufd-nesting/viommu-*.yaml, vste-checks.yaml,
 * smmuv3-guest-cd-table.yaml): arm_vsmmu_cache_invalidate's batches of 63
 * commands and a sync, counted at the hardware's command queue, and what a
 * failing conversion does to them; the references each object holds; and
 * §H28, provoked.
 */
#include <errno.h>
#include <string.h>
#include <check.h>
#include <glib.h>

#include "vfio_fixture.h"
#include "iommufd_fixture.h"
#include "unit_common.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/hw.h"
#include "model/iommufd/iommufd.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"

static const char *const WORLD =
	"name: viommu-unit\n"
	"profile:\n"
	"  iommu: {format: arm-smmuv3}\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:01.0\", driver: vfio-pci}\n";

static int fd;
static uint32_t dev_id, s2, viommu, vdev;
static struct iommufd_device *idev;

/* The context, the device bound, a NEST_PARENT HWPT, a vIOMMU over it and
 * the device's vDEVICE (virtual StreamID 0x10). */
static void setup_viommu(void)
{
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	struct iommu_viommu_alloc v = { .size = sizeof(v), .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	struct iommu_vdevice_alloc d = { .size = sizeof(d), .virt_id = 0x10 };

	boot_from(WORLD, "<viommu>");
	as(1);
	fd = open_path("/dev/iommu");
	ck_assert_int_eq(iommufd_device_bind(ifd_ctx(fd), ifd_pdev("0000:01:00.0"), false, &idev,
					     &dev_id), 0);
	h.dev_id = dev_id;
	h.pt_id = ifd_ioas_alloc(fd);
	ck_assert_int_eq(io(fd, IOMMU_HWPT_ALLOC, &h, sizeof(h)), 0);
	s2 = h.out_hwpt_id;
	v.dev_id = dev_id;
	v.hwpt_id = s2;
	ck_assert_int_eq(io(fd, IOMMU_VIOMMU_ALLOC, &v, sizeof(v)), 0);
	viommu = v.out_viommu_id;
	d.viommu_id = viommu;
	d.dev_id = dev_id;
	ck_assert_int_eq(io(fd, IOMMU_VDEVICE_ALLOC, &d, sizeof(d)), 0);
	vdev = d.out_vdevice_id;
}

static void teardown_viommu(void)
{
	if (idev)
		iommufd_device_unbind(idev);
	idev = NULL;
	ck_assert_int_eq(sim_sys_close(W, PID, fd), 0);
	teardown();
}

static uint64_t inv_cmds(void)
{
	struct iommu_hw_stats st;

	iommu_hw_stats(W, &st);
	return st.inv_cmds;
}

/* HWPT_INVALIDATE of @n guest commands at BUF, all TLBI_NH_ALL but the
 * one at @bad (a CFGI_CD of a vSID no vDEVICE has; n: none); *done gets
 * entry_num as written back. */
static long forward(uint32_t n, uint32_t bad, uint32_t *done)
{
	struct iommu_hwpt_invalidate c = {
		.size = sizeof(c), .hwpt_id = viommu, .data_uptr = BUF, .entry_len = 16,
		.entry_num = n, .data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 };
	struct sim_proc *p = sim_proc_find(W, PID);
	long ret;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t cmd[2] = { i == bad ? 0x9900000005ull : 0x10, 0 };

		ck_assert_int_eq(sim_copy_to_user(p, BUF + 16ull * i, cmd, sizeof(cmd)), 0);
	}
	ret = io(fd, IOMMU_HWPT_INVALIDATE, &c, sizeof(c));
	*done = c.entry_num;
	return ret;
}

/* arm_vsmmu_cache_invalidate: a batch goes to the command queue every 63
 * commands and at the end, each with a CMD_SYNC */
START_TEST(test_batches)
{
	uint64_t before = inv_cmds();
	uint32_t done;

	ck_assert_int_eq(forward(100, 100, &done), 0);
	ck_assert_uint_eq(done, 100);
	ck_assert_uint_eq(inv_cmds() - before, 63 + 1 + 37 + 1);
	before = inv_cmds();
	ck_assert_int_eq(forward(63, 63, &done), 0);
	ck_assert_uint_eq(inv_cmds() - before, 63 + 1);
}
END_TEST

/* A command that does not convert ends the call: the batch it is in is
 * never issued, yet entry_num counts every command converted before it. */
START_TEST(test_failure_drops_the_batch)
{
	uint64_t before = inv_cmds();
	uint32_t done;

	ck_assert_int_eq(forward(100, 69, &done), -EIO);
	ck_assert_uint_eq(done, 69);
	ck_assert_uint_eq(inv_cmds() - before, 63 + 1);        /* 63..68 lost */
	before = inv_cmds();
	ck_assert_int_eq(forward(10, 0, &done), -EIO);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(inv_cmds() - before, 0);
	/* no entries: EINVAL (iommu_copy_struct_from_full_user_array) */
	ck_assert_int_eq(forward(0, 0, &done), -EINVAL);
}
END_TEST

/* kcalloc of the 16-byte commands: past KMALLOC_MAX_SIZE (4 MiB) ENOMEM,
 * entry_num written back untouched; at it, allocated - and the 1 MiB
 * buffer runs out: EFAULT, entry_num 0 */
START_TEST(test_kcalloc_limit)
{
	struct iommu_hwpt_invalidate c = {
		.size = sizeof(c), .hwpt_id = viommu, .data_uptr = BUF, .entry_len = 16,
		.entry_num = (4u << 20) / 16 + 1,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 };

	ck_assert_int_eq(io(fd, IOMMU_HWPT_INVALIDATE, &c, sizeof(c)), -ENOMEM);
	/* the driver returns before it counts: entry_num as given */
	ck_assert_uint_eq(c.entry_num, (4u << 20) / 16 + 1);
	c.entry_num = (4u << 20) / 16;
	ck_assert_int_eq(io(fd, IOMMU_HWPT_INVALIDATE, &c, sizeof(c)), -EFAULT);
	ck_assert_uint_eq(c.entry_num, 0);
}
END_TEST

/* The references: the vIOMMU holds its HWPT, the vDEVICE its vIOMMU, the
 * device names its vDEVICE; an unbind takes the vDEVICE with it. */
START_TEST(test_references)
{
	struct iommufd_ctx *ictx = ifd_ctx(fd);
	struct iommufd_viommu *v = sim_ids_find(&ictx->objects, viommu);
	struct iommufd_vdevice *d = sim_ids_find(&ictx->objects, vdev);

	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_eq(d->viommu, v);
	ck_assert_ptr_eq(idev->vdev, d);
	ck_assert_uint_eq(v->vmid, v->hwpt->domain->did);
	ck_assert_uint_eq(v->obj.users, 2);                     /* table + vDEVICE */
	ck_assert_int_eq(ifd_destroy(fd, s2), -EBUSY);
	iommufd_device_unbind(idev);
	idev = NULL;
	/* the vDEVICE is gone, its id a tombstone: no lookup finds it, no
	 * new object takes it (iommufd_object_tombstone_user) */
	ck_assert_int_eq(((struct iommufd_object *)sim_ids_find(&ictx->objects, vdev))->type,
			 IOMMUFD_OBJ_NONE);
	ck_assert_int_eq(ifd_destroy(fd, vdev), -ENOENT);
	ck_assert_uint_ne(ifd_ioas_alloc(fd), vdev);
	ck_assert_uint_eq(v->obj.users, 1);
	ck_assert_int_eq(ifd_destroy(fd, viommu), 0);
	ck_assert_int_eq(ifd_destroy(fd, s2), 0);
}
END_TEST

/* §H28 sees a vIOMMU whose VMID is not its stage 2's and a vDEVICE its
 * device does not name. */
START_TEST(test_h28)
{
	struct iommufd_ctx *ictx = ifd_ctx(fd);
	struct iommufd_viommu *v = sim_ids_find(&ictx->objects, viommu);
	GString *out = g_string_new(NULL);

	ck_assert_int_eq(iommufd_check_invariants(W, out), 0);
	v->vmid++;
	ck_assert_int_eq(iommufd_check_invariants(W, out), 1);
	ck_assert_ptr_nonnull(strstr(out->str, "§H28: vIOMMU"));
	v->vmid--;
	g_string_truncate(out, 0);
	idev->vdev = NULL;
	ck_assert_int_eq(iommufd_check_invariants(W, out), 1);
	ck_assert_ptr_nonnull(strstr(out->str, "files vDEVICE"));
	idev->vdev = sim_ids_find(&ictx->objects, vdev);
	g_string_free(out, TRUE);
}
END_TEST

static Suite *viommu_suite(void)
{
	Suite *s = suite_create("iommufd_viommu");
	TCase *tc = tcase_create("viommu");

	tcase_add_checked_fixture(tc, setup_viommu, teardown_viommu);
	tcase_add_test(tc, test_batches);
	tcase_add_test(tc, test_failure_drops_the_batch);
	tcase_add_test(tc, test_kcalloc_limit);
	tcase_add_test(tc, test_references);
	tcase_add_test(tc, test_h28);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(viommu_suite());
}
