/* SPDX-License-Identifier: MIT */
/*
 * The scenario `ioctl` step's ABI table (tools/scenario/abi.c) for the
 * VFIO device cdev and iommufd: every command by name with its number, the
 * fields at the offsets and sizes of <iommusim/uapi/iommufd.h> and
 * <iommusim/uapi/vfio_cdev.h>, the flag and constant names, the enum and
 * descriptor field kinds, and the loader's wording for them.
 */
#include <stddef.h>
#include <string.h>
#include <glib.h>

#include "iommusim/uapi/iommufd.h"
#include "iommusim/uapi/iommufd_test.h"
#include "iommusim/uapi/vfio_cdev.h"
#include "tools/scenario/abi.h"
#include "tools/scenario/scenario.h"
#include "unit_common.h"

static const char *const new_ioctls[] = {
	"IOMMU_DESTROY", "IOMMU_IOAS_ALLOC", "IOMMU_IOAS_IOVA_RANGES",
	"IOMMU_IOAS_ALLOW_IOVAS", "IOMMU_IOAS_MAP", "IOMMU_IOAS_COPY", "IOMMU_IOAS_UNMAP",
	"IOMMU_OPTION", "IOMMU_VFIO_IOAS", "IOMMU_HWPT_ALLOC", "IOMMU_GET_HW_INFO",
	"IOMMU_HWPT_SET_DIRTY_TRACKING", "IOMMU_HWPT_GET_DIRTY_BITMAP",
	"IOMMU_HWPT_INVALIDATE", "IOMMU_FAULT_QUEUE_ALLOC", "IOMMU_TEST_CMD",
	"VFIO_DEVICE_BIND_IOMMUFD", "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
	"VFIO_DEVICE_DETACH_IOMMUFD_PT",
};

static const struct abi_field *field(const char *ioctl, const char *name)
{
	const struct abi_ioctl *io = abi_ioctl_find(ioctl);
	const struct abi_field *f;

	ck_assert_msg(io && io->st, "%s has no struct", ioctl);
	f = abi_field_find(io->st, name);
	ck_assert_msg(f, "%s has no field %s", ioctl, name);
	return f;
}

#define ASSERT_FIELD(ioctl, type, member, kind_) do {                                 \
	const struct abi_field *f_ = field(ioctl, #member);                          \
	ck_assert_uint_eq(f_->off, offsetof(struct type, member));                   \
	ck_assert_uint_eq(f_->size, sizeof(((struct type *)0)->member));             \
	ck_assert_int_eq(f_->kind, kind_);                                           \
} while (0)

START_TEST(test_every_command_found)
{
	const char *names[128];
	size_t n = 0;

	abi_ioctl_names(names, G_N_ELEMENTS(names));
	while (names[n])
		n++;
	ck_assert_uint_lt(n + 1, G_N_ELEMENTS(names));   /* none cut off */
	for (size_t i = 0; i < G_N_ELEMENTS(new_ioctls); i++) {
		const struct abi_ioctl *io = abi_ioctl_find(new_ioctls[i]);
		bool listed = false;

		ck_assert_msg(io, "%s not found", new_ioctls[i]);
		ck_assert_int_eq(io->arg, ABI_ARG_STRUCT);
		ck_assert_ptr_nonnull(io->st);
		ck_assert_uint_gt(io->st->nfields, 1);
		for (size_t j = 0; j < n; j++)
			listed |= !strcmp(names[j], new_ioctls[i]);
		ck_assert_msg(listed, "%s not among the suggestions", new_ioctls[i]);
		/* the first field is the size the step defaults: argsz or size */
		ck_assert_uint_eq(io->st->fields[0].off, 0);
		ck_assert_uint_eq(io->st->fields[0].size, 4);
		ck_assert(!strcmp(io->st->fields[0].name, "size") ||
			  !strcmp(io->st->fields[0].name, "argsz"));
	}
	ck_assert_ptr_null(abi_ioctl_find("IOMMU_IOAS_MAPP"));
}
END_TEST

START_TEST(test_command_numbers)
{
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_DESTROY")->cmd, 0x3b80);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_IOAS_ALLOC")->cmd, 0x3b81);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_IOAS_ALLOW_IOVAS")->cmd, 0x3b82);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_IOAS_COPY")->cmd, 0x3b83);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_IOAS_IOVA_RANGES")->cmd, 0x3b84);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_IOAS_MAP")->cmd, 0x3b85);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_IOAS_UNMAP")->cmd, 0x3b86);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_OPTION")->cmd, 0x3b87);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_VFIO_IOAS")->cmd, 0x3b88);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_HWPT_ALLOC")->cmd, 0x3b89);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_GET_HW_INFO")->cmd, 0x3b8a);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_HWPT_SET_DIRTY_TRACKING")->cmd, 0x3b8b);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_HWPT_GET_DIRTY_BITMAP")->cmd, 0x3b8c);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_HWPT_INVALIDATE")->cmd, 0x3b8d);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_FAULT_QUEUE_ALLOC")->cmd, 0x3b8e);
	ck_assert_uint_eq(abi_ioctl_find("VFIO_DEVICE_BIND_IOMMUFD")->cmd, 0x3b76);
	ck_assert_uint_eq(abi_ioctl_find("VFIO_DEVICE_ATTACH_IOMMUFD_PT")->cmd, 0x3b77);
	ck_assert_uint_eq(abi_ioctl_find("VFIO_DEVICE_DETACH_IOMMUFD_PT")->cmd, 0x3b78);
}
END_TEST

START_TEST(test_layouts)
{
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_DESTROY")->st->size, 8);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_IOAS_MAP")->st->size, 40);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_OPTION")->st->size, 24);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_HWPT_ALLOC")->st->size, 48);
	ck_assert_uint_eq(abi_ioctl_find("IOMMU_GET_HW_INFO")->st->size, 40);
	ck_assert_uint_eq(abi_ioctl_find("VFIO_DEVICE_BIND_IOMMUFD")->st->size, 16);
	/* 6.15's layouts, with the pasid */
	ck_assert_uint_eq(abi_ioctl_find("VFIO_DEVICE_ATTACH_IOMMUFD_PT")->st->size, 16);
	ck_assert_uint_eq(abi_ioctl_find("VFIO_DEVICE_DETACH_IOMMUFD_PT")->st->size, 12);

	ASSERT_FIELD("IOMMU_IOAS_MAP", iommu_ioas_map, size, ABI_U32);
	ASSERT_FIELD("IOMMU_IOAS_MAP", iommu_ioas_map, flags, ABI_FLAGS);
	ASSERT_FIELD("IOMMU_IOAS_MAP", iommu_ioas_map, __reserved, ABI_U32);
	ASSERT_FIELD("IOMMU_IOAS_MAP", iommu_ioas_map, user_va, ABI_ADDR);
	ASSERT_FIELD("IOMMU_IOAS_MAP", iommu_ioas_map, length, ABI_SIZE);
	ASSERT_FIELD("IOMMU_IOAS_MAP", iommu_ioas_map, iova, ABI_SIZE);
	ASSERT_FIELD("IOMMU_IOAS_COPY", iommu_ioas_copy, src_iova, ABI_SIZE);
	ASSERT_FIELD("IOMMU_IOAS_IOVA_RANGES", iommu_ioas_iova_ranges, allowed_iovas, ABI_ADDR);
	ASSERT_FIELD("IOMMU_IOAS_IOVA_RANGES", iommu_ioas_iova_ranges, out_iova_alignment,
		     ABI_SIZE);
	ASSERT_FIELD("IOMMU_OPTION", iommu_option, option_id, ABI_ENUM);
	ASSERT_FIELD("IOMMU_OPTION", iommu_option, op, ABI_ENUM);          /* __u16 at 8 */
	ASSERT_FIELD("IOMMU_OPTION", iommu_option, __reserved, ABI_U32);   /* __u16 at 10 */
	ASSERT_FIELD("IOMMU_OPTION", iommu_option, val64, ABI_U64);
	ASSERT_FIELD("IOMMU_VFIO_IOAS", iommu_vfio_ioas, op, ABI_ENUM);
	ASSERT_FIELD("IOMMU_HWPT_ALLOC", iommu_hwpt_alloc, data_type, ABI_ENUM);
	ASSERT_FIELD("IOMMU_HWPT_ALLOC", iommu_hwpt_alloc, data_uptr, ABI_ADDR);
	ASSERT_FIELD("IOMMU_HWPT_ALLOC", iommu_hwpt_alloc, fault_id, ABI_U32);
	ASSERT_FIELD("IOMMU_HWPT_ALLOC", iommu_hwpt_alloc, __reserved2, ABI_U32);
	ASSERT_FIELD("IOMMU_GET_HW_INFO", iommu_hw_info, out_max_pasid_log2, ABI_U32);
	ASSERT_FIELD("IOMMU_GET_HW_INFO", iommu_hw_info, __reserved, ABI_U32);  /* __u8[3] */
	ASSERT_FIELD("IOMMU_GET_HW_INFO", iommu_hw_info, out_capabilities, ABI_FLAGS);
	ASSERT_FIELD("IOMMU_HWPT_GET_DIRTY_BITMAP", iommu_hwpt_get_dirty_bitmap, data, ABI_ADDR);
	ASSERT_FIELD("IOMMU_HWPT_INVALIDATE", iommu_hwpt_invalidate, data_type, ABI_ENUM);
	ASSERT_FIELD("IOMMU_FAULT_QUEUE_ALLOC", iommu_fault_alloc, out_fault_fd, ABI_FD);
	ASSERT_FIELD("VFIO_DEVICE_BIND_IOMMUFD", vfio_device_bind_iommufd, iommufd, ABI_FD);
	ASSERT_FIELD("VFIO_DEVICE_BIND_IOMMUFD", vfio_device_bind_iommufd, out_devid, ABI_U32);
	ASSERT_FIELD("VFIO_DEVICE_ATTACH_IOMMUFD_PT", vfio_device_attach_iommufd_pt, pt_id,
		     ABI_U32);

	/* the numbers themselves, not only agreement with the header */
	ck_assert_uint_eq(field("IOMMU_OPTION", "op")->off, 8);
	ck_assert_uint_eq(field("IOMMU_OPTION", "op")->size, 2);
	ck_assert_uint_eq(field("IOMMU_GET_HW_INFO", "__reserved")->off, 29);
	ck_assert_uint_eq(field("IOMMU_GET_HW_INFO", "__reserved")->size, 3);
	ck_assert_uint_eq(field("IOMMU_GET_HW_INFO", "out_capabilities")->off, 32);
	ck_assert_uint_eq(field("IOMMU_HWPT_ALLOC", "fault_id")->off, 40);
	ck_assert_uint_eq(field("VFIO_DEVICE_BIND_IOMMUFD", "iommufd")->off, 8);
}
END_TEST

START_TEST(test_flag_and_constant_names)
{
	const struct abi_field *f = field("IOMMU_IOAS_MAP", "flags");
	const struct abi_const *ops = field("IOMMU_OPTION", "op")->values;

	ck_assert_uint_eq(abi_flag_find(f->flags, "FIXED_IOVA"), IOMMU_IOAS_MAP_FIXED_IOVA);
	ck_assert_uint_eq(abi_flag_find(f->flags, "IOMMU_IOAS_MAP_WRITEABLE"),
			  IOMMU_IOAS_MAP_WRITEABLE);
	ck_assert_uint_eq(abi_flag_find(field("IOMMU_IOAS_COPY", "flags")->flags, "READABLE"),
			  IOMMU_IOAS_MAP_READABLE);
	f = field("IOMMU_HWPT_ALLOC", "flags");
	ck_assert_uint_eq(abi_flag_find(f->flags, "NEST_PARENT"), IOMMU_HWPT_ALLOC_NEST_PARENT);
	ck_assert_uint_eq(abi_flag_find(f->flags, "DIRTY_TRACKING"),
			  IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	ck_assert_uint_eq(abi_flag_find(f->flags, "IOMMU_HWPT_FAULT_ID_VALID"),
			  IOMMU_HWPT_FAULT_ID_VALID);
	ck_assert_uint_eq(abi_flag_find(field("IOMMU_HWPT_GET_DIRTY_BITMAP", "flags")->flags,
					"NO_CLEAR"), IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	ck_assert_uint_eq(abi_flag_find(field("IOMMU_HWPT_SET_DIRTY_TRACKING", "flags")->flags,
					"ENABLE"), IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	ck_assert_uint_eq(abi_flag_find(field("IOMMU_IOAS_ALLOC", "flags")->flags, "X"), 0);

	/* enum constants: full name, or an ending only one has */
	ck_assert_uint_eq(abi_enum_find(ops, "IOMMU_OPTION_OP_GET")->value, IOMMU_OPTION_OP_GET);
	ck_assert_uint_eq(abi_enum_find(ops, "OP_GET")->value, IOMMU_OPTION_OP_GET);
	ck_assert_uint_eq(abi_enum_find(ops, "SET")->value, IOMMU_OPTION_OP_SET);
	ck_assert_ptr_null(abi_enum_find(ops, "ET"));         /* not after a '_' */
	ck_assert_ptr_null(abi_enum_find(ops, "OP"));
	ck_assert_uint_eq(abi_enum_find(field("IOMMU_OPTION", "option_id")->values,
					"HUGE_PAGES")->value, IOMMU_OPTION_HUGE_PAGES);
	ck_assert_uint_eq(abi_enum_find(field("IOMMU_OPTION", "option_id")->values,
					"IOMMU_OPTION_RLIMIT_MODE")->value,
			  IOMMU_OPTION_RLIMIT_MODE);
	ck_assert_uint_eq(abi_enum_find(field("IOMMU_VFIO_IOAS", "op")->values,
					"CLEAR")->value, IOMMU_VFIO_IOAS_CLEAR);
	ck_assert_uint_eq(abi_enum_find(field("IOMMU_HWPT_ALLOC", "data_type")->values,
					"VTD_S1")->value, IOMMU_HWPT_DATA_VTD_S1);
	ck_assert_uint_eq(abi_enum_find(field("IOMMU_GET_HW_INFO", "out_data_type")->values,
					"INTEL_VTD")->value, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	ck_assert_uint_eq(abi_enum_find(field("IOMMU_GET_HW_INFO", "out_data_type")->values,
					"NONE")->value, IOMMU_HW_INFO_TYPE_NONE);
}
END_TEST

/* IOMMU_TEST_CMD (<iommusim/uapi/iommufd_test.h>): one struct, the union's
 * arms as arm.field at the kernel's offsets, the ops by name, the fd that
 * CREATE_ACCESS hands back in a field */
START_TEST(test_test_cmd)
{
	const struct abi_ioctl *io = abi_ioctl_find("IOMMU_TEST_CMD");
	const struct abi_const *ops = field("IOMMU_TEST_CMD", "op")->values;

	ck_assert_uint_eq(io->cmd, 0x3ba0);
	ck_assert_uint_eq(io->st->size, 72);
	ck_assert_uint_eq(field("IOMMU_TEST_CMD", "last")->off, 64);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, op, ABI_ENUM);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, id, ABI_FD);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, add_reserved.length, ABI_SIZE);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, mock_domain.out_hwpt_id, ABI_U32);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, mock_domain_flags.dev_flags, ABI_FLAGS);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, check_map.uptr, ABI_ADDR);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, check_refs.refs, ABI_U32);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, create_access.out_access_fd, ABI_FD);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, access_pages.out_access_pages_id, ABI_U32);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, access_rw.flags, ABI_FLAGS);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, dirty.out_nr_dirty, ABI_U64);
	ASSERT_FIELD("IOMMU_TEST_CMD", iommu_test_cmd, trigger_iopf.addr, ABI_SIZE);
	ck_assert_uint_eq(field("IOMMU_TEST_CMD", "access_rw.flags")->off, 40);
	ck_assert_uint_eq(field("IOMMU_TEST_CMD", "mock_domain_flags.dev_flags")->off, 28);
	ck_assert_str_eq(abi_fd_field(io), "create_access.out_access_fd");
	/* a fault queue's fd comes back in out_fault_fd: `as:` names it */
	ck_assert_str_eq(abi_fd_field(abi_ioctl_find("IOMMU_FAULT_QUEUE_ALLOC")), "out_fault_fd");
	ck_assert_ptr_null(abi_fd_field(abi_ioctl_find("IOMMU_IOAS_ALLOC")));

	ck_assert_uint_eq(abi_enum_find(ops, "ADD_RESERVED")->value, IOMMU_TEST_OP_ADD_RESERVED);
	ck_assert_uint_eq(abi_enum_find(ops, "MD_CHECK_MAP")->value, IOMMU_TEST_OP_MD_CHECK_MAP);
	ck_assert_uint_eq(abi_enum_find(ops, "OP_ACCESS_PAGES")->value,
			  IOMMU_TEST_OP_ACCESS_PAGES);
	ck_assert_ptr_null(abi_enum_find(ops, "ACCESS_PAGES"));   /* DESTROY_ACCESS_PAGES too */
	ck_assert_uint_eq(abi_enum_find(ops, "PASID_CHECK_HWPT")->value, 21);
	ck_assert_uint_eq(abi_flag_find(field("IOMMU_TEST_CMD", "mock_domain_flags.dev_flags")
					->flags, "HUGE_IOVA"), MOCK_FLAGS_DEVICE_HUGE_IOVA);
	ck_assert_uint_eq(abi_flag_find(field("IOMMU_TEST_CMD", "create_access.flags")->flags,
					"MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES"),
			  MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	ck_assert_uint_eq(abi_flag_find(field("IOMMU_TEST_CMD", "access_pages.flags")->flags,
					"SYZ"), 1u << 16);
	ck_assert_uint_eq(abi_flag_find(field("IOMMU_TEST_CMD", "access_rw.flags")->flags,
					"SLOW_PATH"), MOCK_ACCESS_RW_SLOW_PATH);
	ck_assert_uint_eq(abi_enum_find(field("IOMMU_GET_HW_INFO", "out_data_type")->values,
					"SELFTEST")->value, IOMMU_HW_INFO_TYPE_SELFTEST);
}
END_TEST

/* ---- the loader reads the new kinds ---- */

#define HEAD "name: t\ntopology:\n  - {bdf: \"0000:00:01.0\", type: root-port}\n" \
	     "steps:\n  - {open: /dev/vfio/vfio, as: c}\n  - {alloc: buf, size: 4K}\n"

static void expect_ok(const char *steps)
{
	char *text = g_strconcat(HEAD, steps, NULL), *err = NULL;
	struct scenario *s = scenario_load_string(text, strlen(text), "t.yaml", &err);

	ck_assert_msg(s, "refused: %s\n%s", err, text);
	scenario_free(s);
	g_free(text);
}

static void expect_error(const char *steps, const char *want)
{
	char *text = g_strconcat(HEAD, steps, NULL), *err = NULL;
	struct scenario *s = scenario_load_string(text, strlen(text), "t.yaml", &err);

	ck_assert_msg(!s, "loaded: %s", text);
	ck_assert_msg(err && strstr(err, want), "error '%s' lacks '%s'", err, want);
	g_free(err);
	g_free(text);
}

START_TEST(test_loader_kinds)
{
	expect_ok("  - {ioctl: IOMMU_IOAS_MAP, on: c, arg: {ioas_id: 1, user_va: buf+0,"
		  " length: 4K, flags: [FIXED_IOVA, READABLE, WRITEABLE]}}\n");
	expect_ok("  - {ioctl: IOMMU_OPTION, on: c, arg: {option_id: HUGE_PAGES, op: GET},"
		  " expect: {out: {val64: 1, op: IOMMU_OPTION_OP_GET}}}\n");
	expect_ok("  - {ioctl: IOMMU_VFIO_IOAS, on: c, arg: {op: 2, size: 12}}\n");
	expect_ok("  - {ioctl: VFIO_DEVICE_BIND_IOMMUFD, on: c, arg: {iommufd: c},"
		  " save: {devid: out_devid}}\n");
	expect_ok("  - {ioctl: VFIO_DEVICE_BIND_IOMMUFD, on: c, arg: {iommufd: -1}}\n");
	expect_ok("  - {ioctl: IOMMU_GET_HW_INFO, on: c, arg: {data_uptr: buf, data_len: 24},"
		  " expect: {out: {out_data_type: INTEL_VTD, out_capabilities: [DIRTY_TRACKING]}}}\n");

	/* the test uAPI: an object id or an access's handle; `as:` its new fd */
	expect_ok("  - {ioctl: IOMMU_TEST_CMD, on: c, arg: {op: CREATE_ACCESS, id: 1,"
		  " create_access.flags: NEEDS_PIN_PAGES}, as: acc}\n"
		  "  - {ioctl: IOMMU_TEST_CMD, on: c, arg: {op: OP_ACCESS_PAGES, id: acc,"
		  " access_pages.iova: 4K, access_pages.length: 4K, access_pages.uptr: buf},"
		  " expect: {out: {access_pages.out_access_pages_id: 0}}}\n"
		  "  - {close: acc}\n");
	expect_error("  - {ioctl: IOMMU_TEST_CMD, on: c, arg: {op: ACCESS_PAGES}}\n",
		     "unknown op 'ACCESS_PAGES'");
	expect_error("  - {ioctl: IOMMU_TEST_CMD, on: c, arg: {check_map.uptrr: buf}}\n",
		     "has no field 'check_map.uptrr'; did you mean 'check_map.uptr'?");
	expect_error("  - {ioctl: IOMMU_IOAS_ALLOC, on: c, arg: {}, as: x}\n",
		     "IOMMU_IOAS_ALLOC returns no descriptor to name with 'as'");

	expect_error("  - {ioctl: IOMMU_IOAS_MAPP, on: c}\n",
		     "did you mean 'IOMMU_IOAS_MAP'?");
	expect_error("  - {ioctl: IOMMU_OPTION, on: c, arg: {op: GTE}}\n",
		     "unknown op 'GTE'; did you mean 'IOMMU_OPTION_OP_GET'?");
	expect_error("  - {ioctl: IOMMU_OPTION, on: c, arg: {option_id: XYZ}}\n",
		     "unknown option_id 'XYZ' (expected a number or one of: "
		     "IOMMU_OPTION_RLIMIT_MODE IOMMU_OPTION_HUGE_PAGES)");
	expect_error("  - {ioctl: VFIO_DEVICE_BIND_IOMMUFD, on: c, arg: {iommufd: buf}}\n",
		     "handle 'buf' is a buffer, not a file descriptor");
	expect_error("  - {ioctl: VFIO_DEVICE_BIND_IOMMUFD, on: c, arg: {iommufd: ictx}}\n",
		     "handle 'ictx' is not bound");
	expect_error("  - {ioctl: IOMMU_IOAS_MAP, on: c, arg: {flags: [FIXED_IOV]}}\n",
		     "unknown flag 'FIXED_IOV' (flags here: FIXED_IOVA WRITEABLE READABLE)");
	expect_error("  - {ioctl: IOMMU_IOAS_ALLOC, on: c, arg: {flags: [X]}}\n",
		     "this struct defines no flags: 0");
	expect_error("  - {ioctl: IOMMU_IOAS_MAP, on: c, arg: {user_vaa: buf}}\n",
		     "struct iommu_ioas_map has no field 'user_vaa'; did you mean 'user_va'?");
}
END_TEST

static Suite *abi_iommufd_suite(void)
{
	Suite *s = suite_create("abi_iommufd");
	TCase *table = tcase_create("table"), *ldr = tcase_create("loader");

	tcase_add_test(table, test_every_command_found);
	tcase_add_test(table, test_command_numbers);
	tcase_add_test(table, test_layouts);
	tcase_add_test(table, test_flag_and_constant_names);
	tcase_add_test(table, test_test_cmd);
	tcase_add_test(ldr, test_loader_kinds);
	suite_add_tcase(s, table);
	suite_add_tcase(s, ldr);
	return s;
}

int main(void)
{
	return unit_run(abi_iommufd_suite());
}
