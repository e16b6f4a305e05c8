/* SPDX-License-Identifier: MIT */
/*
 * iommufd: the /dev/iommu uAPI and the VFIO device cdev as Linux 6.12
 * answers them (docs/oracle.md, "iommufd on the real kernel"): the ioctl
 * dispatch rules, IOAS alloc/destroy and id reuse, IOVA ranges, allowed
 * IOVAs, map/copy/unmap, options, the VFIO compatibility IOAS, fault
 * queues; then, with vfio-pci functions, the device cdev: bind, hardware
 * info, HWPT alloc, attach/replace/detach, busy objects, the dirty
 * tracking and invalidation ioctls on a HWPT, and the exclusion between
 * the group node and the cdev, including a group bound through iommufd.
 *
 *     iommufd_sim --world vfio.yaml -- BDF [BDF2]     iommufd_guest -- BDF [BDF2]
 *
 * BDF, BDF2: functions alone in their groups, bound to vfio-pci here
 * (corpus/vfio.yaml: 0000:00:05.0 and 0000:01:00.0).
 *
 * Without /dev/iommu (Debian's kernels, the simulator today) every check
 * that needs it prints the open's error, -ENOENT; those that need a device
 * cdev print -ENODEV (osys_vfio_cdev).  Every value is the kernel's answer
 * or a number it chose that does not depend on the boot: object ids (each
 * context numbers from 1, lowest free first), IOVAs the kernel picks for
 * one-page mappings, the VT-d registers QEMU reports.  Beside each group
 * of checks is the kernel function (drivers/iommu/iommufd/, drivers/vfio/)
 * whose code the values were read from, in the 6.12.117 source.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include "osys.h"
#include "../../../sim/include/iommusim/uapi/iommufd.h"
#include "../../../sim/include/iommusim/uapi/vfio_cdev.h"

#define PG		0x1000ull
#define ALL_ONES	0xffffffffffffffffull
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED_RW	(IOMMU_IOAS_MAP_FIXED_IOVA | RW)
#define BAD_FLAG	(1u << 3)	/* no MAP/COPY/HWPT flag; not the selftest's 1 << 16 */
#define NO_ID		99u		/* an object id no context here reaches */
#define UNMAPPED_VA	0x10000ull	/* below every mapping of the program */

/*
 * The selftest command (CONFIG_IOMMUFD_TEST, drivers/iommu/iommufd/
 * iommufd_test.h): not user API.  Only the header and the ADD_RESERVED
 * arm of its union are used; the union is 48 bytes and `last' (the end of
 * the minimum size) sits at 64.
 */
#define TEST_CMD		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)
#define TEST_OP_ADD_RESERVED	1

struct test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		__u8 space[48];
	};
	__u32 last;
};
_Static_assert(sizeof(struct test_cmd) == 72, "iommu_test_cmd size");
_Static_assert(__builtin_offsetof(struct test_cmd, last) == 64, "iommu_test_cmd.last");

/* ---- check lines ---- */

#define ck ocheck_named

#define ckret(ret, ...) ck(oret(ret), __VA_ARGS__)

static char *slot(void)
{
	static char buf[16][40];
	static unsigned n;

	return buf[n++ % 16];
}

static const char *hex(unsigned long long v)
{
	char *b = slot();

	snprintf(b, 40, "0x%llx", v);
	return b;
}

static const char *dec(unsigned long long v)
{
	char *b = slot();

	snprintf(b, 40, "%llu", v);
	return b;
}

/* An output of a call: the call's error when it failed. */
static const char *hexv(long ret, unsigned long long v)
{
	return ret < 0 ? oret(ret) : hex(v);
}

static const char *decv(long ret, unsigned long long v)
{
	return ret < 0 ? oret(ret) : dec(v);
}

static const char *fdv(long ret)
{
	return ret >= 0 ? "fd" : oret(ret);
}

static const char *yesno(long ret, int cond)
{
	return ret < 0 ? oret(ret) : cond ? "yes" : "no";
}

/*
 * An ioctl on an fd that may not exist: a negative @fd is the error of
 * its open (no /dev/iommu, no cdev), and is the call's answer.
 */
static long ioc(int fd, unsigned long cmd, void *arg)
{
	return fd < 0 ? fd : osys_ioctl(fd, cmd, arg);
}

/* The same with a second fd the call needs (an iommufd for a cdev). */
static long ioc2(int need, int fd, unsigned long cmd, void *arg)
{
	return need < 0 ? need : ioc(fd, cmd, arg);
}

static int xclose(int fd)
{
	return fd < 0 ? fd : osys_close(fd);
}

/* ---- iommufd calls ---- */

static long ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	long ret = ioc(fd, IOMMU_IOAS_ALLOC, &a);

	*id = ret ? 0 : a.out_ioas_id;
	return ret;
}

static long destroy(int fd, __u32 id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioc(fd, IOMMU_DESTROY, &d);
}

static long map(int fd, __u32 ioas, __u32 flags, __u64 va, __u64 len, __u64 *iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.user_va = va, .length = len, .iova = *iova,
	};
	long ret = ioc(fd, IOMMU_IOAS_MAP, &m);

	if (!ret)
		*iova = m.iova;
	return ret;
}

static long map_at(int fd, __u32 ioas, void *va, __u64 len, __u64 iova)
{
	return map(fd, ioas, FIXED_RW, (__u64)(uintptr_t)va, len, &iova);
}

static long unmap(int fd, __u32 ioas, __u64 iova, __u64 len, __u64 *done)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
	};
	long ret = ioc(fd, IOMMU_IOAS_UNMAP, &u);

	if (done)
		*done = ret ? 0 : u.length;
	return ret;
}

static long copy(int fd, __u32 dst, __u32 src, __u32 flags, __u64 src_iova,
		 __u64 len, __u64 *dst_iova)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
		.src_ioas_id = src, .length = len, .dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	long ret = ioc(fd, IOMMU_IOAS_COPY, &c);

	if (!ret)
		*dst_iova = c.dst_iova;
	return ret;
}

static long option(int fd, __u32 opt, __u16 op, __u32 obj, __u64 *val)
{
	struct iommu_option o = {
		.size = sizeof(o), .option_id = opt, .op = op, .object_id = obj,
		.val64 = *val,
	};
	long ret = ioc(fd, IOMMU_OPTION, &o);

	if (!ret)
		*val = o.val64;
	return ret;
}

static long vfio_ioas(int fd, __u16 op, __u32 *id)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = op, .ioas_id = *id };
	long ret = ioc(fd, IOMMU_VFIO_IOAS, &v);

	if (!ret)
		*id = v.ioas_id;
	return ret;
}

/*
 * The IOVA ranges of @ioas as "start-last,start-last", or the error; its
 * alignment as a check too (iommufd_ioas_iova_ranges).
 */
static void ranges(int fd, __u32 ioas, const char *name)
{
	struct iommu_iova_range r[8];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = 8,
		.allowed_iovas = (__u64)(uintptr_t)r,
	};
	long ret = ioc(fd, IOMMU_IOAS_IOVA_RANGES, &q);
	char out[400];
	size_t len = 0;

	out[0] = 0;
	for (__u32 i = 0; !ret && i < q.num_iovas && i < 8; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s0x%llx-0x%llx",
					i ? "," : "", (unsigned long long)r[i].start,
					(unsigned long long)r[i].last);
	ck(ret ? oret(ret) : out, "iommufd.%s.iova_ranges", name);
	ck(hexv(ret, q.out_iova_alignment), "iommufd.%s.iova_alignment", name);
}

/* ---- /dev/iommu itself (iommufd_fops_open; no read/write fops) ---- */

static int dev_file(void)
{
	int fd = osys_open("/dev/iommu", O_RDWR), ro;
	__u64 word = 0;
	__u32 id;

	ck(fdv(fd), "iommufd.dev.open");
	/* vfs_read/vfs_write: no f_op->read/write, so no FMODE_CAN_READ/WRITE */
	ckret(fd < 0 ? fd : osys_read(fd, &word, sizeof(word)), "iommufd.dev.read");
	ckret(fd < 0 ? fd : osys_pwrite(fd, &word, sizeof(word), 0), "iommufd.dev.pwrite");
	/* the mode of the open does not matter to the ioctls */
	ro = osys_open("/dev/iommu", O_RDONLY);
	ck(fdv(ro), "iommufd.dev.open.rdonly");
	ckret(ro < 0 ? ro : osys_pwrite(ro, &word, sizeof(word), 0),
	      "iommufd.dev.rdonly.pwrite");
	ckret(ioas_alloc(ro, &id), "iommufd.dev.rdonly.ioas_alloc");
	ck(decv(ro < 0 ? ro : 0, id), "iommufd.dev.rdonly.ioas_alloc.id");
	ckret(xclose(ro), "iommufd.dev.rdonly.close");
	return fd;
}

/* ---- dispatch: iommufd_fops_ioctl and its ioctl table (main.c) ---- */

static void dispatch(int fd)
{
	static const __u32 small[] = { 0, 4, 8, 11 };
	unsigned char *two = osys_alloc(2 * PG);
	struct iommu_ioas_alloc *a = (void *)two;
	__u8 zero[64] = { 0 };
	long ret;

	/*
	 * A number outside 0x80..(the table's end) goes to iommufd_vfio_ioctl,
	 * which answers the VFIO container ioctls and ENOIOCTLCMD (ENOTTY) to
	 * the rest.  Inside, the size word is read first (EFAULT), then the
	 * whole command must equal the table's (ENOTTY: another type or
	 * direction with the same number).
	 */
	ckret(ioc(fd, _IO(IOMMUFD_TYPE, 0x7f), zero), "iommufd.ioctl.nr.below_base");
	ckret(ioc(fd, _IO(IOMMUFD_TYPE, 0x8f), zero), "iommufd.ioctl.nr.after_fault_alloc");
	ckret(ioc(fd, _IO(IOMMUFD_TYPE, 0xa1), zero), "iommufd.ioctl.nr.after_table");
	ckret(ioc(fd, _IO(IOMMUFD_TYPE, 0xff), zero), "iommufd.ioctl.nr.ff");
	ckret(ioc(fd, _IO('x', IOMMUFD_CMD_IOAS_ALLOC), zero), "iommufd.ioctl.foreign_type");
	ckret(ioc(fd, _IO('x', IOMMUFD_CMD_IOAS_ALLOC), NULL), "iommufd.ioctl.foreign_type.null");
	ckret(ioc(fd, _IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC, struct iommu_ioas_alloc), zero),
	      "iommufd.ioctl.dir_bits");
	ckret(ioc(fd, IOMMU_IOAS_ALLOC, NULL), "iommufd.ioctl.null");
	ckret(ioc(fd, IOMMU_DESTROY, (void *)8ul), "iommufd.ioctl.bad_pointer");

	if (!two) {
		printf("fatal alloc\n");
		exit(1);
	}
	/*
	 * Sizes on IOAS_ALLOC (12 bytes, minimum offsetofend(out_ioas_id)):
	 * below the minimum EINVAL before anything; above the structure
	 * copy_struct_from_user wants zeros (E2BIG), however far
	 * (check_zeroed_user reads to the end: EFAULT past the memory).
	 */
	for (size_t k = 0; k < sizeof(small) / sizeof(small[0]); k++) {
		memset(two, 0, PG);
		a->size = small[k];
		ckret(ioc(fd, IOMMU_IOAS_ALLOC, a), "iommufd.ioctl.size.%u", small[k]);
	}
	memset(two, 0, PG);
	a->size = 12;
	ret = ioc(fd, IOMMU_IOAS_ALLOC, a);
	ckret(ret, "iommufd.ioctl.size.12");
	ck(decv(ret, a->out_ioas_id), "iommufd.ioas.alloc.first.id");
	memset(two, 0, PG);
	a->size = 16;
	ret = ioc(fd, IOMMU_IOAS_ALLOC, a);
	ckret(ret, "iommufd.ioctl.size.16.zero_tail");
	ck(decv(ret, a->out_ioas_id), "iommufd.ioas.alloc.second.id");
	memset(two, 0, PG);
	a->size = PG;
	ret = ioc(fd, IOMMU_IOAS_ALLOC, a);
	ckret(ret, "iommufd.ioctl.size.4096.zero_tail");
	ck(decv(ret, a->out_ioas_id), "iommufd.ioas.alloc.third.id");
	memset(two, 0, PG);
	a->size = 16;
	two[13] = 1;
	ckret(ioc(fd, IOMMU_IOAS_ALLOC, a), "iommufd.ioctl.size.16.nonzero_tail");
	memset(two, 0, PG);
	a->size = PG;
	two[PG - 1] = 0x80;
	ckret(ioc(fd, IOMMU_IOAS_ALLOC, a), "iommufd.ioctl.size.4096.nonzero_last_byte");
	/* the order: size, then the tail, then the command's own fields */
	memset(two, 0, PG);
	a->size = 8;
	a->flags = 1;
	ckret(ioc(fd, IOMMU_IOAS_ALLOC, a), "iommufd.ioctl.size.8.bad_flags");
	memset(two, 0, PG);
	a->size = 16;
	a->flags = 1;
	two[12] = 1;
	ckret(ioc(fd, IOMMU_IOAS_ALLOC, a), "iommufd.ioctl.size.16.nonzero_tail.bad_flags");
	/* iommufd_ioas_alloc_ioctl: no flags are defined */
	memset(two, 0, PG);
	a->size = 12;
	a->flags = 1;
	ckret(ioc(fd, IOMMU_IOAS_ALLOC, a), "iommufd.ioas.alloc.flags");
	/* a size that runs off the end of the memory */
	osys_free(two + PG, PG);
	memset(two, 0, PG);
	a->size = 2 * PG;
	ckret(ioc(fd, IOMMU_IOAS_ALLOC, a), "iommufd.ioctl.size.past_memory");
	osys_free(two, PG);
}

/* ---- DESTROY and ids: iommufd_destroy, iommufd_object_remove,
 *      _iommufd_object_alloc (xa_alloc, XA_FLAGS_ALLOC1) ---- */

static void ids(int fd)
{
	struct iommu_destroy d = { .size = 4, .id = 1 };
	__u32 id;
	long ret;
	int fd2;

	ckret(ioc(fd, IOMMU_DESTROY, &d), "iommufd.destroy.size.4");
	ckret(destroy(fd, 2), "iommufd.destroy.2");
	ckret(destroy(fd, 2), "iommufd.destroy.2.twice");
	ckret(destroy(fd, 0), "iommufd.destroy.0");
	ckret(destroy(fd, NO_ID), "iommufd.destroy.unknown");
	ckret(destroy(fd, 0xffffffffu), "iommufd.destroy.all_ones");
	ret = ioas_alloc(fd, &id);
	ck(decv(ret, id), "iommufd.ioas.alloc.reuse.id");
	ckret(destroy(fd, 1), "iommufd.destroy.1");
	ckret(destroy(fd, 3), "iommufd.destroy.3");
	ret = ioas_alloc(fd, &id);
	ck(decv(ret, id), "iommufd.ioas.alloc.reuse_lowest.id");
	ret = ioas_alloc(fd, &id);
	ck(decv(ret, id), "iommufd.ioas.alloc.next.id");
	/* ids are per context */
	fd2 = osys_open("/dev/iommu", O_RDWR);
	ret = ioas_alloc(fd2, &id);
	ck(decv(ret, id), "iommufd.ioas.alloc.other_ctx.id");
	ckret(destroy(fd2, 2), "iommufd.destroy.other_ctx.id2");
	ckret(xclose(fd2), "iommufd.dev.close.other_ctx");
	/* leave ids 1 and 2 (3 goes) */
	ckret(destroy(fd, 3), "iommufd.destroy.3.again");
}

/* ---- IOAS_IOVA_RANGES: iommufd_ioas_iova_ranges (ioas.c) ---- */

static void iova_ranges(int fd)
{
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges q;
	long ret;

	memset(&q, 0, sizeof(q));
	q.size = 24;
	q.ioas_id = 1;
	ckret(ioc(fd, IOMMU_IOAS_IOVA_RANGES, &q), "iommufd.ioas.iova_ranges.size.24");
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.ioas_id = 1;
	q.__reserved = 1;
	ckret(ioc(fd, IOMMU_IOAS_IOVA_RANGES, &q), "iommufd.ioas.iova_ranges.reserved");
	q.__reserved = 0;
	q.ioas_id = NO_ID;
	ckret(ioc(fd, IOMMU_IOAS_IOVA_RANGES, &q), "iommufd.ioas.iova_ranges.unknown_id");
	/* a fresh IOAS: one range, all of it; num_iovas 0 is EMSGSIZE with the count */
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.ioas_id = 1;
	q.out_iova_alignment = 0x5555;
	ret = ioc(fd, IOMMU_IOAS_IOVA_RANGES, &q);
	ckret(ret, "iommufd.ioas.iova_ranges.num0");
	ck(decv(ret == -EMSGSIZE ? 0 : ret, q.num_iovas),
	   "iommufd.ioas.iova_ranges.num0.num_iovas");
	ck(hexv(ret == -EMSGSIZE ? 0 : ret, q.out_iova_alignment),
	   "iommufd.ioas.iova_ranges.num0.alignment");
	memset(r, 0, sizeof(r));
	q.num_iovas = 1;
	q.allowed_iovas = (__u64)(uintptr_t)r;
	ret = ioc(fd, IOMMU_IOAS_IOVA_RANGES, &q);
	ckret(ret, "iommufd.ioas.iova_ranges.num1");
	ck(decv(ret, q.num_iovas), "iommufd.ioas.iova_ranges.num1.num_iovas");
	ck(hexv(ret, r[0].start), "iommufd.ioas.iova_ranges.num1.start");
	ck(hexv(ret, r[0].last), "iommufd.ioas.iova_ranges.num1.last");
	q.num_iovas = 4;
	ret = ioc(fd, IOMMU_IOAS_IOVA_RANGES, &q);
	ck(decv(ret, q.num_iovas), "iommufd.ioas.iova_ranges.num4.num_iovas");
	q.num_iovas = 1;
	q.allowed_iovas = 0;
	ckret(ioc(fd, IOMMU_IOAS_IOVA_RANGES, &q), "iommufd.ioas.iova_ranges.null_array");
	q.num_iovas = 0;
	ckret(ioc(fd, IOMMU_IOAS_IOVA_RANGES, &q), "iommufd.ioas.iova_ranges.null_array.num0");
}

/* ---- IOAS_ALLOW_IOVAS: iommufd_ioas_allow_iovas, iommufd_ioas_load_iovas,
 *      iopt_set_allow_iova; auto IOVA inside them: iopt_alloc_iova ---- */

static void allow_iovas(int fd, unsigned char *buf)
{
	struct iommu_iova_range r[2];
	struct iommu_ioas_allow_iovas q;
	__u64 iova, done;
	long ret;

	memset(&q, 0, sizeof(q));
	q.size = 16;
	q.ioas_id = 2;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.ioas.allow_iovas.size.16");
	q.size = sizeof(q);
	q.__reserved = 1;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.ioas.allow_iovas.reserved");
	q.__reserved = 0;
	q.ioas_id = NO_ID;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.ioas.allow_iovas.unknown_id");
	q.ioas_id = 2;
	q.num_iovas = 1;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.ioas.allow_iovas.null_array");
	q.allowed_iovas = (__u64)(uintptr_t)r;
	r[0].start = 0x100000;
	r[0].last = 0x100000;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.ioas.allow_iovas.start_eq_last");
	r[0].last = 0xfffff;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.ioas.allow_iovas.start_gt_last");
	r[0].last = 0x1fffff;
	r[1].start = 0x1ff000;
	r[1].last = 0x2fffff;
	q.num_iovas = 2;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.ioas.allow_iovas.overlapping");
	q.num_iovas = 1;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.ioas.allow_iovas.one");
	/* allowed ranges do not narrow the reported ranges */
	ranges(fd, 2, "ioas.allow_iovas.after");
	/* automatic IOVAs come from the allowed ranges only */
	iova = 0;
	ret = map(fd, 2, RW, (__u64)(uintptr_t)buf, PG, &iova);
	ckret(ret, "iommufd.ioas.allow_iovas.auto_map");
	ck(hexv(ret, iova), "iommufd.ioas.allow_iovas.auto_map.iova");
	iova = 0;
	ckret(map(fd, 2, RW, (__u64)(uintptr_t)buf, 0x100000, &iova),
	      "iommufd.ioas.allow_iovas.auto_map.no_room");
	ckret(map_at(fd, 2, buf, PG, 0x400000), "iommufd.ioas.allow_iovas.fixed_outside");
	/* num_iovas 0: no allowed list again */
	q.num_iovas = 0;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.ioas.allow_iovas.none");
	iova = 0;
	ret = map(fd, 2, RW, (__u64)(uintptr_t)buf, PG, &iova);
	ck(hexv(ret, iova), "iommufd.ioas.allow_iovas.none.auto_map.iova");
	ret = unmap(fd, 2, 0, ALL_ONES, &done);
	ck(hexv(ret, done), "iommufd.ioas.allow_iovas.unmap_all.length");
}

/* ---- IOAS_MAP: iommufd_ioas_map, iopt_map_user_pages, iopt_alloc_pages
 *      (pages.c), iopt_alloc_area_pages, iopt_check_iova, iopt_alloc_iova,
 *      iopt_insert_area (io_pagetable.c).  No domain yet: the IOAS's
 *      alignment is 1 and nothing is pinned. ---- */

static void map_rules(int fd, unsigned char *buf)
{
	__u64 va = (__u64)(uintptr_t)buf, iova;
	struct iommu_ioas_map m;
	long ret;

	memset(&m, 0, sizeof(m));
	m.size = 32;
	m.flags = FIXED_RW;
	m.ioas_id = 1;
	m.user_va = va;
	m.length = PG;
	m.iova = 0x100000;
	ckret(ioc(fd, IOMMU_IOAS_MAP, &m), "iommufd.ioas.map.size.32");
	m.size = sizeof(m);
	m.flags = FIXED_RW | BAD_FLAG;
	ckret(ioc(fd, IOMMU_IOAS_MAP, &m), "iommufd.ioas.map.bad_flag");
	m.flags = FIXED_RW;
	m.__reserved = 1;
	ckret(ioc(fd, IOMMU_IOAS_MAP, &m), "iommufd.ioas.map.reserved");
	m.__reserved = 0;

	iova = ALL_ONES;
	ckret(map(fd, 1, FIXED_RW, va, PG, &iova), "iommufd.ioas.map.iova_all_ones");
	iova = 0x100000;
	ckret(map(fd, 1, FIXED_RW, va, ALL_ONES, &iova), "iommufd.ioas.map.length_all_ones");
	iova = 0x100000;
	ckret(map(fd, 1, IOMMU_IOAS_MAP_FIXED_IOVA, va, PG, &iova), "iommufd.ioas.map.no_access");
	iova = 0x100000;
	ckret(map(fd, NO_ID, FIXED_RW, va, PG, &iova), "iommufd.ioas.map.unknown_id");
	/* the order: flags, overflow, access, id */
	iova = ALL_ONES;
	ckret(map(fd, NO_ID, FIXED_RW | BAD_FLAG, va, PG, &iova),
	      "iommufd.ioas.map.order.bad_flag_before_overflow");
	iova = ALL_ONES;
	ckret(map(fd, NO_ID, IOMMU_IOAS_MAP_FIXED_IOVA, va, PG, &iova),
	      "iommufd.ioas.map.order.overflow_before_access");
	iova = 0x100000;
	ckret(map(fd, NO_ID, IOMMU_IOAS_MAP_FIXED_IOVA, va, PG, &iova),
	      "iommufd.ioas.map.order.access_before_id");
	/* iopt_alloc_pages: length, then user_va + length */
	iova = 0x100000;
	ckret(map(fd, 1, FIXED_RW, va, 0, &iova), "iommufd.ioas.map.length0");
	iova = 0x100000;
	ckret(map(fd, 1, FIXED_RW, va, 0xfffffffffffff001ull, &iova),
	      "iommufd.ioas.map.length_huge");
	iova = 0x100000;
	ckret(map(fd, 1, FIXED_RW, 0xfffffffffffff000ull, 2 * PG, &iova),
	      "iommufd.ioas.map.user_va_wraps");
	/* iopt_check_iova: iova + length wraps */
	iova = 0xfffffffffffff000ull;
	ckret(map(fd, 1, FIXED_RW, va, 2 * PG, &iova), "iommufd.ioas.map.iova_wraps");
	/* the very last page is an IOVA like another */
	ckret(map_at(fd, 1, buf, PG, 0xfffffffffffff000ull), "iommufd.ioas.map.top_page");
	ret = unmap(fd, 1, 0xfffffffffffff000ull, PG, &iova);
	ckret(ret, "iommufd.ioas.unmap.top_page");

	/* fixed mappings and overlaps */
	ckret(map_at(fd, 1, buf, 2 * PG, 0x100000), "iommufd.ioas.map.fixed");
	ckret(map_at(fd, 1, buf, 2 * PG, 0x100000), "iommufd.ioas.map.fixed.same");
	ckret(map_at(fd, 1, buf, 2 * PG, 0x101000), "iommufd.ioas.map.fixed.overlap");
	ckret(map_at(fd, 1, buf, 2 * PG, 0xff000), "iommufd.ioas.map.fixed.overlap_start");
	ckret(map_at(fd, 1, buf, PG, 0x102000), "iommufd.ioas.map.fixed.adjacent");
	/* without a domain nothing needs alignment, and nothing is pinned */
	ckret(map_at(fd, 1, buf, PG, 0x200001), "iommufd.ioas.map.misaligned_iova");
	ckret(map_at(fd, 1, buf + 0x10, 0x100, 0x300010), "iommufd.ioas.map.misaligned_va");
	ckret(map_at(fd, 1, buf, PG + 1, 0x400000), "iommufd.ioas.map.odd_length");
	iova = 0x500000;
	ckret(map(fd, 1, FIXED_RW, UNMAPPED_VA, PG, &iova), "iommufd.ioas.map.unmapped_va");
	iova = 0x600000;
	ckret(map(fd, 1, FIXED_RW, 0xffff888000000000ull, PG, &iova), "iommufd.ioas.map.kernel_va");

	/* automatic IOVAs: lowest hole from PAGE_SIZE, aligned as the VA allows */
	iova = 0;
	ret = map(fd, 1, RW, va, PG, &iova);
	ckret(ret, "iommufd.ioas.map.auto");
	ck(hexv(ret, iova), "iommufd.ioas.map.auto.iova");
	iova = 0;
	ret = map(fd, 1, RW, va, PG, &iova);
	ck(hexv(ret, iova), "iommufd.ioas.map.auto.second.iova");
	iova = 0;
	ret = map(fd, 1, RW, va + 0x100, 0x100, &iova);
	ck(hexv(ret, iova), "iommufd.ioas.map.auto.subpage.iova");
	iova = 0;
	ret = map(fd, 1, RW, va, 2 * PG, &iova);
	ck(yesno(ret, iova && !(iova & (PG - 1))), "iommufd.ioas.map.auto.two_pages.aligned");
	ck(hexv(ret, iova), "iommufd.ioas.map.auto.two_pages.iova");
	iova = 0;
	ret = map(fd, 1, IOMMU_IOAS_MAP_READABLE, va, PG, &iova);
	ckret(ret, "iommufd.ioas.map.auto.readonly");
	ck(hexv(ret, iova), "iommufd.ioas.map.auto.readonly.iova");
	iova = 0;
	ret = map(fd, 1, IOMMU_IOAS_MAP_WRITEABLE, va, PG, &iova);
	ckret(ret, "iommufd.ioas.map.auto.writeonly");
	ck(hexv(ret, iova), "iommufd.ioas.map.auto.writeonly.iova");
	/* FIXED_IOVA clear: the iova given in is ignored */
	iova = 0x900000;
	ret = map(fd, 1, RW, va, PG, &iova);
	ck(hexv(ret, iova), "iommufd.ioas.map.auto.iova_in_ignored");
	iova = 0;
	ckret(map(fd, 1, RW, va, 0, &iova), "iommufd.ioas.map.auto.length0");
}

/* ---- IOAS_UNMAP: iommufd_ioas_unmap, iopt_unmap_iova,
 *      iopt_unmap_iova_range, iopt_unmap_all ---- */

static void unmap_rules(int fd)
{
	struct iommu_ioas_unmap u;
	__u64 done;
	long ret;

	memset(&u, 0, sizeof(u));
	u.size = 16;
	u.ioas_id = 1;
	u.iova = 0x100000;
	u.length = 2 * PG;
	ckret(ioc(fd, IOMMU_IOAS_UNMAP, &u), "iommufd.ioas.unmap.size.16");
	ckret(unmap(fd, NO_ID, 0x100000, 2 * PG, NULL), "iommufd.ioas.unmap.unknown_id");
	ckret(unmap(fd, 1, ALL_ONES, 1, NULL), "iommufd.ioas.unmap.iova_all_ones");
	ckret(unmap(fd, 1, 1, ALL_ONES, NULL), "iommufd.ioas.unmap.length_all_ones");
	ckret(unmap(fd, 1, 0xfffffffffffff000ull, 2 * PG, NULL), "iommufd.ioas.unmap.wraps");
	ckret(unmap(fd, 1, 0x100000, 0, NULL), "iommufd.ioas.unmap.length0");
	/* a range must hold whole mappings */
	ckret(unmap(fd, 1, 0x100000, PG, NULL), "iommufd.ioas.unmap.head_of_mapping");
	ckret(unmap(fd, 1, 0x100800, 0x100, NULL), "iommufd.ioas.unmap.inside_mapping");
	ckret(unmap(fd, 1, 0x101000, 2 * PG, NULL), "iommufd.ioas.unmap.tail_and_next");
	ckret(unmap(fd, 1, 0x800000, PG, NULL), "iommufd.ioas.unmap.nothing_there");
	/* 0xff000..0x103fff holds 0x100000+2 pages and 0x102000+1 page */
	ret = unmap(fd, 1, 0xff000, 5 * PG, &done);
	ckret(ret, "iommufd.ioas.unmap.superset");
	ck(hexv(ret, done), "iommufd.ioas.unmap.superset.length");
	ckret(unmap(fd, 1, 0x100000, 2 * PG, NULL), "iommufd.ioas.unmap.superset.gone");
	/*
	 * Whole mappings before one the range cuts are unmapped before the
	 * ENOENT: 0x1000, 0x2000, 0x3100 (+0x100) go, 0x4000 (+2 pages) stays.
	 */
	ckret(unmap(fd, 1, 0x1000, 0x3180, NULL), "iommufd.ioas.unmap.cut_last");
	ckret(unmap(fd, 1, 0x1000, PG, NULL), "iommufd.ioas.unmap.cut_last.first_gone");
	ret = unmap(fd, 1, 0x4000, 2 * PG, &done);
	ckret(ret, "iommufd.ioas.unmap.cut_last.cut_one_stays");
	ck(hexv(ret, done), "iommufd.ioas.unmap.cut_last.cut_one_stays.length");
	ret = unmap(fd, 1, 0x200001, PG, &done);
	ck(hexv(ret, done), "iommufd.ioas.unmap.misaligned.length");
	/* iova 0 and length all ones: everything (0x300010, 0x400000, 0x500000,
	 * 0x600000, and the auto ones at 0x6000, 0x7000, 0x8000) */
	ret = unmap(fd, 1, 0, ALL_ONES, &done);
	ckret(ret, "iommufd.ioas.unmap.all");
	ck(hexv(ret, done), "iommufd.ioas.unmap.all.length");
	ret = unmap(fd, 1, 0, ALL_ONES, &done);
	ckret(ret, "iommufd.ioas.unmap.all.empty");
	ck(hexv(ret, done), "iommufd.ioas.unmap.all.empty.length");
	ckret(unmap(fd, 1, 0, ALL_ONES - 1, NULL), "iommufd.ioas.unmap.all_but_last_byte.empty");
}

/* ---- IOAS_COPY: iommufd_ioas_copy, iopt_get_pages, iopt_map_pages ---- */

static void copy_rules(int fd, unsigned char *buf)
{
	struct iommu_ioas_copy c;
	__u64 iova, done;
	long ret;

	ckret(map_at(fd, 1, buf, 4 * PG, 0x100000), "iommufd.ioas.copy.setup.a");
	ckret(map_at(fd, 1, buf + 4 * PG, PG, 0x104000), "iommufd.ioas.copy.setup.b");
	ckret(map_at(fd, 1, buf, PG, 0x200000), "iommufd.ioas.copy.setup.c");
	iova = 0x700000;
	ckret(map(fd, 1, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		  (__u64)(uintptr_t)buf, PG, &iova), "iommufd.ioas.copy.setup.readonly");

	memset(&c, 0, sizeof(c));
	c.size = 32;
	c.flags = FIXED_RW;
	c.dst_ioas_id = 2;
	c.src_ioas_id = 1;
	c.length = PG;
	c.dst_iova = 0x100000;
	c.src_iova = 0x100000;
	ckret(ioc(fd, IOMMU_IOAS_COPY, &c), "iommufd.ioas.copy.size.32");
	iova = 0x100000;
	ckret(copy(fd, 2, 1, FIXED_RW | BAD_FLAG, 0x100000, PG, &iova),
	      "iommufd.ioas.copy.bad_flag");
	iova = 0x100000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x100000, ALL_ONES, &iova),
	      "iommufd.ioas.copy.length_all_ones");
	iova = 0x100000;
	ckret(copy(fd, 2, 1, FIXED_RW, ALL_ONES, PG, &iova), "iommufd.ioas.copy.src_all_ones");
	iova = ALL_ONES;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x100000, PG, &iova), "iommufd.ioas.copy.dst_all_ones");
	iova = 0x100000;
	ckret(copy(fd, 2, 1, IOMMU_IOAS_MAP_FIXED_IOVA, 0x100000, PG, &iova),
	      "iommufd.ioas.copy.no_access");
	iova = 0x100000;
	ckret(copy(fd, 2, NO_ID, FIXED_RW, 0x100000, PG, &iova), "iommufd.ioas.copy.unknown_src");
	iova = 0x100000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x100000, 0, &iova), "iommufd.ioas.copy.length0");
	iova = 0x100000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0xfffffffffffff000ull, 2 * PG, &iova),
	      "iommufd.ioas.copy.src_wraps");
	iova = 0x100000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x800000, PG, &iova), "iommufd.ioas.copy.src_unmapped");
	iova = 0x100000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x100000, 0x101000, &iova), "iommufd.ioas.copy.src_hole");
	iova = 0x100000;
	ckret(copy(fd, NO_ID, 1, FIXED_RW, 0x100000, PG, &iova), "iommufd.ioas.copy.unknown_dst");
	/* the source may be part of a mapping, or run over adjacent ones */
	iova = 0x100000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x100000, 4 * PG, &iova), "iommufd.ioas.copy.exact");
	iova = 0x100000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x100000, 4 * PG, &iova), "iommufd.ioas.copy.exact.again");
	iova = 0x200000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x101000, PG, &iova), "iommufd.ioas.copy.part");
	iova = 0x300000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x103000, 2 * PG, &iova), "iommufd.ioas.copy.two_mappings");
	iova = 0;
	ret = copy(fd, 2, 1, RW, 0x100000, PG, &iova);
	ckret(ret, "iommufd.ioas.copy.auto");
	ck(hexv(ret, iova), "iommufd.ioas.copy.auto.iova");
	iova = 0x600000;
	ckret(copy(fd, 1, 1, FIXED_RW, 0x200000, PG, &iova), "iommufd.ioas.copy.same_ioas");
	iova = 0;
	ret = copy(fd, 2, 1, IOMMU_IOAS_MAP_READABLE, 0x700000, PG, &iova);
	ck(hexv(ret, iova), "iommufd.ioas.copy.readonly.iova");
	iova = 0x710000;
	ckret(copy(fd, 2, 1, FIXED_RW, 0x700000, PG, &iova),
	      "iommufd.ioas.copy.readonly_to_writeable");
	/* a copy unmaps as a mapping of its own */
	ckret(unmap(fd, 2, 0x200000, PG, NULL), "iommufd.ioas.copy.unmap_part");
	ret = unmap(fd, 2, 0, ALL_ONES, &done);
	ck(hexv(ret, done), "iommufd.ioas.copy.dst.unmap_all.length");
	ret = unmap(fd, 1, 0, ALL_ONES, &done);
	ck(hexv(ret, done), "iommufd.ioas.copy.src.unmap_all.length");
}

/* ---- OPTION: iommufd_option (main.c), iommufd_option_rlimit_mode,
 *      iommufd_ioas_option, iommufd_ioas_option_huge_pages (ioas.c),
 *      iopt_disable_large_pages, iopt_calculate_iova_alignment ---- */

static void options(int fd, unsigned char *buf)
{
	struct iommu_option o;
	__u64 v;
	long ret;
	int fd3;

	memset(&o, 0, sizeof(o));
	o.size = 16;
	o.op = IOMMU_OPTION_OP_GET;
	ckret(ioc(fd, IOMMU_OPTION, &o), "iommufd.option.size.16");
	o.size = sizeof(o);
	o.__reserved = 1;
	ckret(ioc(fd, IOMMU_OPTION, &o), "iommufd.option.reserved");
	v = 0;
	ckret(option(fd, 2, IOMMU_OPTION_OP_GET, 0, &v), "iommufd.option.unknown");

	v = 7;
	ret = option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v);
	ckret(ret, "iommufd.option.rlimit_mode.get");
	ck(decv(ret, v), "iommufd.option.rlimit_mode.get.val");
	ckret(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 1, &v),
	      "iommufd.option.rlimit_mode.object");
	ckret(option(fd, IOMMU_OPTION_RLIMIT_MODE, 2, 0, &v), "iommufd.option.rlimit_mode.bad_op");
	/* SET needs an empty context: EBUSY is checked before the value */
	v = 1;
	ckret(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v),
	      "iommufd.option.rlimit_mode.set.busy");
	v = 2;
	ckret(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v),
	      "iommufd.option.rlimit_mode.set.busy.bad_value");
	fd3 = osys_open("/dev/iommu", O_RDWR);
	v = 2;
	ckret(option(fd3, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v),
	      "iommufd.option.rlimit_mode.set.bad_value");
	v = 1;
	ckret(option(fd3, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v),
	      "iommufd.option.rlimit_mode.set.1");
	v = 0;
	ret = option(fd3, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v);
	ck(decv(ret, v), "iommufd.option.rlimit_mode.set.1.get");
	v = 0;
	ckret(option(fd3, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v),
	      "iommufd.option.rlimit_mode.set.0");
	ckret(xclose(fd3), "iommufd.option.rlimit_mode.close");

	/* HUGE_PAGES: the IOAS is looked up before the op is read */
	v = 7;
	ckret(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0, &v),
	      "iommufd.option.huge_pages.object0");
	ckret(option(fd, IOMMU_OPTION_HUGE_PAGES, 2, NO_ID, &v),
	      "iommufd.option.huge_pages.unknown_id.bad_op");
	v = 7;
	ret = option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 1, &v);
	ckret(ret, "iommufd.option.huge_pages.get");
	ck(decv(ret, v), "iommufd.option.huge_pages.get.val");
	ckret(option(fd, IOMMU_OPTION_HUGE_PAGES, 2, 1, &v), "iommufd.option.huge_pages.bad_op");
	v = 2;
	ckret(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, &v),
	      "iommufd.option.huge_pages.set.bad_value");
	/* off: every mapping must be page aligned (iova_alignment PAGE_SIZE) */
	v = 0;
	ckret(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, &v),
	      "iommufd.option.huge_pages.set.0");
	v = 7;
	ret = option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 1, &v);
	ck(decv(ret, v), "iommufd.option.huge_pages.set.0.get");
	ranges(fd, 1, "option.huge_pages.off");
	ckret(map_at(fd, 1, buf, PG, 0x200001), "iommufd.option.huge_pages.off.misaligned_iova");
	ckret(map_at(fd, 1, buf, PG + 1, 0x200000), "iommufd.option.huge_pages.off.odd_length");
	ckret(map_at(fd, 1, buf + 0x10, PG, 0x200000),
	      "iommufd.option.huge_pages.off.misaligned_va");
	v = 1;
	ckret(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, &v),
	      "iommufd.option.huge_pages.set.1");
	ranges(fd, 1, "option.huge_pages.on");
	/* a misaligned mapping keeps it from going off */
	ckret(map_at(fd, 1, buf, PG, 0x200001), "iommufd.option.huge_pages.on.misaligned_iova");
	v = 0;
	ckret(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 1, &v),
	      "iommufd.option.huge_pages.set.0.misaligned_mapping");
	v = 7;
	ret = option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 1, &v);
	ck(decv(ret, v), "iommufd.option.huge_pages.set.0.misaligned_mapping.get");
	ckret(unmap(fd, 1, 0, ALL_ONES, NULL), "iommufd.option.huge_pages.unmap_all");
}

/* ---- IOMMU_VFIO_IOAS: iommufd_vfio_ioas, get_compat_ioas; the VFIO
 *      container ioctls on /dev/iommu: iommufd_vfio_ioctl (vfio_compat.c) ---- */

static void compat(int fd, unsigned char *buf)
{
	struct vfio_iommu_type1_dma_map dm = { .argsz = sizeof(dm) };
	struct vfio_iommu_type1_dma_unmap du = { .argsz = sizeof(du) };
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct iommu_vfio_ioas q;
	__u32 id;
	__u64 v, done;
	long ret;

	memset(&q, 0, sizeof(q));
	q.size = 8;
	ckret(ioc(fd, IOMMU_VFIO_IOAS, &q), "iommufd.vfio_ioas.size.8");
	q.size = sizeof(q);
	q.__reserved = 1;
	ckret(ioc(fd, IOMMU_VFIO_IOAS, &q), "iommufd.vfio_ioas.reserved");
	id = 0;
	ckret(vfio_ioas(fd, 3, &id), "iommufd.vfio_ioas.bad_op");
	id = 0;
	ckret(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), "iommufd.vfio_ioas.get.none");
	id = NO_ID;
	ckret(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), "iommufd.vfio_ioas.set.unknown_id");

	/* the VFIO container ioctls with no compat IOAS */
	ckret(ioc(fd, VFIO_GET_API_VERSION, NULL), "iommufd.vfio_compat.api_version");
	ckret(ioc(fd, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU),
	      "iommufd.vfio_compat.check_extension.type1v2");
	ckret(ioc(fd, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_TYPE1_IOMMU),
	      "iommufd.vfio_compat.check_extension.type1");
	ckret(ioc(fd, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_UNMAP_ALL),
	      "iommufd.vfio_compat.check_extension.unmap_all");
	ckret(ioc(fd, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_UPDATE_VADDR),
	      "iommufd.vfio_compat.check_extension.update_vaddr");
	ckret(ioc(fd, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_DMA_CC_IOMMU),
	      "iommufd.vfio_compat.check_extension.dma_cc.none");
	ckret(ioc(fd, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU),
	      "iommufd.vfio_compat.set_iommu.none");
	ckret(ioc(fd, VFIO_SET_IOMMU, (void *)0ul), "iommufd.vfio_compat.set_iommu.bad_type");
	ckret(ioc(fd, VFIO_IOMMU_GET_INFO, &info), "iommufd.vfio_compat.get_info.none");
	ckret(ioc(fd, VFIO_IOMMU_DIRTY_PAGES, NULL), "iommufd.vfio_compat.dirty_pages");

	id = 2;
	ckret(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), "iommufd.vfio_ioas.set");
	id = 0;
	ret = vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id);
	ckret(ret, "iommufd.vfio_ioas.get");
	ck(decv(ret, id), "iommufd.vfio_ioas.get.id");
	ckret(ioc(fd, VFIO_CHECK_EXTENSION, (void *)(unsigned long)VFIO_DMA_CC_IOMMU),
	      "iommufd.vfio_compat.check_extension.dma_cc");
	ckret(ioc(fd, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU),
	      "iommufd.vfio_compat.set_iommu.type1v2");
	/* type1 is emulated by turning large pages off in the IOAS */
	ckret(ioc(fd, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1_IOMMU),
	      "iommufd.vfio_compat.set_iommu.type1");
	v = 7;
	ret = option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 2, &v);
	ck(decv(ret, v), "iommufd.vfio_compat.set_iommu.type1.huge_pages");
	v = 1;
	ckret(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 2, &v),
	      "iommufd.vfio_compat.huge_pages.back_on");
	/* a MAP_DMA is a mapping of the compat IOAS */
	dm.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	dm.vaddr = (__u64)(uintptr_t)buf;
	dm.iova = 0x100000;
	dm.size = PG;
	ckret(ioc(fd, VFIO_IOMMU_MAP_DMA, &dm), "iommufd.vfio_compat.map_dma");
	ckret(map_at(fd, 2, buf, PG, 0x100000), "iommufd.vfio_compat.map_dma.then_ioas_map");
	ret = unmap(fd, 2, 0x100000, PG, &done);
	ck(hexv(ret, done), "iommufd.vfio_compat.map_dma.ioas_unmap.length");
	ckret(ioc(fd, VFIO_IOMMU_MAP_DMA, &dm), "iommufd.vfio_compat.map_dma.again");
	du.iova = 0x100000;
	du.size = PG;
	ret = ioc(fd, VFIO_IOMMU_UNMAP_DMA, &du);
	ckret(ret, "iommufd.vfio_compat.unmap_dma");
	ck(hexv(ret, du.size), "iommufd.vfio_compat.unmap_dma.size");

	ckret(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, &id), "iommufd.vfio_ioas.clear");
	ckret(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), "iommufd.vfio_ioas.clear.get");
	/* destroying the compat IOAS unsets it (iommufd_object_remove) */
	ckret(ioas_alloc(fd, &id), "iommufd.vfio_ioas.scratch.alloc");
	ck(decv(fd < 0 ? fd : 0, id), "iommufd.vfio_ioas.scratch.id");
	ckret(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), "iommufd.vfio_ioas.scratch.set");
	ckret(destroy(fd, id), "iommufd.vfio_ioas.scratch.destroy");
	ckret(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), "iommufd.vfio_ioas.scratch.destroyed.get");
}

/* ---- FAULT_QUEUE_ALLOC: iommufd_fault_alloc, iommufd_fault_fops_read,
 *      iommufd_fault_fops_release (fault.c) ---- */

static void faults(int fd)
{
	struct iommu_fault_alloc f = { .size = 12 };
	struct iommu_hwpt_pgfault pf[2];
	long ret;
	int qfd;

	ckret(ioc(fd, IOMMU_FAULT_QUEUE_ALLOC, &f), "iommufd.fault.alloc.size.12");
	f.size = sizeof(f);
	f.flags = 1;
	ckret(ioc(fd, IOMMU_FAULT_QUEUE_ALLOC, &f), "iommufd.fault.alloc.flags");
	f.flags = 0;
	ret = ioc(fd, IOMMU_FAULT_QUEUE_ALLOC, &f);
	ckret(ret, "iommufd.fault.alloc");
	ck(decv(ret, f.out_fault_id), "iommufd.fault.alloc.id");
	qfd = ret ? (int)(ret < 0 ? ret : -EINVAL) : (int)f.out_fault_fd;
	/* an empty queue reads 0 bytes, at once; reads are whole records */
	ckret(qfd < 0 ? qfd : osys_read(qfd, pf, sizeof(pf[0])), "iommufd.fault.read.empty");
	ckret(qfd < 0 ? qfd : osys_read(qfd, pf, 10), "iommufd.fault.read.partial_record");
	ckret(qfd < 0 ? qfd : osys_read(qfd, pf, 0), "iommufd.fault.read.0");
	/* nonseekable_open: no positioned I/O */
	ckret(qfd < 0 ? qfd : osys_pwrite(qfd, pf, 8, 0), "iommufd.fault.pwrite");
	/* the open fd holds the object */
	ckret(destroy(fd, f.out_fault_id), "iommufd.fault.destroy.open");
	ckret(xclose(qfd), "iommufd.fault.close");
	ckret(destroy(fd, f.out_fault_id), "iommufd.fault.destroy.closed");
}

/* ---- the selftest command (CONFIG_IOMMUFD_TEST): iommufd_test,
 *      iommufd_test_add_reserved (selftest.c); ENOTTY without it ---- */

static void selftest(int fd, unsigned char *buf)
{
	struct test_cmd t;
	struct iommu_iova_range r = { .start = 0x100000, .last = 0x2fffff };
	struct iommu_ioas_allow_iovas q = {
		.size = sizeof(q), .ioas_id = 2, .num_iovas = 1,
		.allowed_iovas = (__u64)(uintptr_t)&r,
	};
	__u64 iova;
	long ret;

	memset(&t, 0, sizeof(t));
	t.size = 64;
	ckret(ioc(fd, TEST_CMD, &t), "iommufd.selftest.size.64");
	t.size = sizeof(t);
	ckret(ioc(fd, TEST_CMD, &t), "iommufd.selftest.op0");
	t.op = TEST_OP_ADD_RESERVED;
	t.id = 2;
	ckret(ioc(fd, TEST_CMD, &t), "iommufd.selftest.add_reserved.length0");
	t.id = NO_ID;
	t.add_reserved.start = 0x100000;
	t.add_reserved.length = 0x100000;
	ckret(ioc(fd, TEST_CMD, &t), "iommufd.selftest.add_reserved.unknown_id");
	t.id = 2;
	ckret(ioc(fd, TEST_CMD, &t), "iommufd.selftest.add_reserved");
	ranges(fd, 2, "selftest.add_reserved");
	ckret(map_at(fd, 2, buf, PG, 0x180000), "iommufd.selftest.add_reserved.map_inside");
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.selftest.add_reserved.allow_over");
	iova = 0;
	ret = map(fd, 2, RW, (__u64)(uintptr_t)buf, PG, &iova);
	ck(hexv(ret, iova), "iommufd.selftest.add_reserved.auto_map.iova");
	/* a reservation over a mapping */
	t.add_reserved.start = iova;
	t.add_reserved.length = PG;
	ckret(ret ? ret : ioc(fd, TEST_CMD, &t), "iommufd.selftest.add_reserved.over_mapping");
	ckret(unmap(fd, 2, 0, ALL_ONES, NULL), "iommufd.selftest.unmap_all");
}

/* ---- the device cdev (drivers/vfio/device_cdev.c, vfio_main.c) ---- */

struct dev {
	const char *bdf;
	char path[96];
	int cdev;		/* the cdev's fd, or the error */
	__u32 devid;
};

/* Bind @bdf to vfio-pci and open its cdev; both are checks. */
static void dev_open(struct dev *d, const char *tag)
{
	long ret = osys_bind(d->bdf, "vfio-pci");
	const char *base;

	ckret(ret, "iommufd.%s.vfio_pci_bind", tag);
	if (!ret)
		ret = osys_vfio_cdev(d->bdf, d->path, sizeof(d->path));
	base = strrchr(d->path, '/');
	ck(ret ? oret(ret) : base && !strncmp(base, "/vfio", 5) ? "vfioN" : d->path,
	   "iommufd.%s.node", tag);
	d->cdev = ret ? (int)ret : osys_open(d->path, O_RDWR);
	ck(fdv(d->cdev), "iommufd.%s.open", tag);
}

static long dev_bind(struct dev *d, int ictx)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = ictx };
	long ret = ioc2(ictx, d->cdev, VFIO_DEVICE_BIND_IOMMUFD, &b);

	d->devid = ret ? 0 : b.out_devid;
	return ret;
}

static long attach(int cdev, __u32 *pt)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = *pt };
	long ret = ioc(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	if (!ret)
		*pt = a.pt_id;
	return ret;
}

static long detach(int cdev)
{
	struct vfio_device_detach_iommufd_pt a = { .argsz = sizeof(a) };

	return ioc(cdev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &a);
}

static long hwpt_alloc(int fd, __u32 flags, __u32 dev, __u32 pt, __u32 *out)
{
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = flags, .dev_id = dev, .pt_id = pt,
	};
	long ret = ioc(fd, IOMMU_HWPT_ALLOC, &h);

	*out = ret ? 0 : h.out_hwpt_id;
	return ret;
}

static int group_open(const char *bdf)
{
	int g = osys_iommu_group(bdf);
	char path[64];

	if (g < 0)
		return g;
	snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	return osys_open(path, O_RDWR);
}

/* Before BIND_IOMMUFD: vfio_device_fops_unl_ioctl, vfio_device_fops_read;
 * then BIND_IOMMUFD's checks: vfio_df_ioctl_bind_iommufd, iommufd_ctx_from_fd,
 * vfio_device_block_group (group.c), vfio_df_open */
static void cdev_bind(struct dev *d, int ictx)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_device_bind_iommufd b;
	__u32 pt = 1;
	__u8 cfg[4];
	long ret;
	int g, c2;

	ckret(ioc(d->cdev, VFIO_DEVICE_GET_INFO, &info), "iommufd.cdev.unbound.get_info");
	ckret(attach(d->cdev, &pt), "iommufd.cdev.unbound.attach");
	ckret(detach(d->cdev), "iommufd.cdev.unbound.detach");
	ckret(d->cdev < 0 ? d->cdev : osys_pread(d->cdev, cfg, sizeof(cfg),
						 (__u64)VFIO_PCI_CONFIG_REGION_INDEX << 40),
	      "iommufd.cdev.unbound.pread");
	/* an open cdev does not block the group node; a bound one does */
	g = group_open(d->bdf);
	ck(fdv(g), "iommufd.cdev.unbound.group_open");
	ckret(ioc2(g, d->cdev, VFIO_DEVICE_BIND_IOMMUFD, &(struct vfio_device_bind_iommufd){
		.argsz = 16, .iommufd = ictx }), "iommufd.cdev.bind.group_open");
	xclose(g);

	ckret(ioc(d->cdev, VFIO_DEVICE_BIND_IOMMUFD, NULL), "iommufd.cdev.bind.null");
	memset(&b, 0, sizeof(b));
	b.argsz = 12;
	b.iommufd = ictx;
	ckret(ioc2(ictx, d->cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), "iommufd.cdev.bind.argsz.12");
	b.argsz = sizeof(b);
	b.flags = 1;
	ckret(ioc2(ictx, d->cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), "iommufd.cdev.bind.flags");
	b.flags = 0;
	b.iommufd = -1;
	ckret(ioc(d->cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), "iommufd.cdev.bind.fd_minus1");
	b.iommufd = 1000;
	ckret(ioc(d->cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), "iommufd.cdev.bind.fd_closed");
	b.iommufd = d->cdev;
	ckret(ioc(d->cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), "iommufd.cdev.bind.fd_not_iommufd");

	ret = dev_bind(d, ictx);
	ckret(ret, "iommufd.cdev.bind");
	ck(decv(ret, d->devid), "iommufd.cdev.bind.devid");
	ckret(ioc2(ictx, d->cdev, VFIO_DEVICE_BIND_IOMMUFD, &(struct vfio_device_bind_iommufd){
		.argsz = 16, .iommufd = ictx }), "iommufd.cdev.bind.twice");
	/* one bind per device: a second cdev fd cannot bind it (open_count) */
	c2 = d->cdev < 0 ? d->cdev : osys_open(d->path, O_RDWR);
	ck(fdv(c2), "iommufd.cdev.second_open");
	ckret(ioc2(ictx, c2, VFIO_DEVICE_BIND_IOMMUFD, &(struct vfio_device_bind_iommufd){
		.argsz = 16, .iommufd = ictx }), "iommufd.cdev.second_open.bind");
	ckret(ioc(c2, VFIO_DEVICE_GET_INFO, &info), "iommufd.cdev.second_open.get_info");
	xclose(c2);
	g = group_open(d->bdf);
	ck(fdv(g), "iommufd.cdev.bound.group_open");
	xclose(g);

	ret = ioc(d->cdev, VFIO_DEVICE_GET_INFO, &info);
	ckret(ret, "iommufd.cdev.bound.get_info");
	ck(hexv(ret, info.flags), "iommufd.cdev.bound.get_info.flags");
	ck(decv(ret, info.num_regions), "iommufd.cdev.bound.get_info.num_regions");
	ck(decv(ret, info.num_irqs), "iommufd.cdev.bound.get_info.num_irqs");
	ret = d->cdev < 0 ? d->cdev : osys_pread(d->cdev, cfg, sizeof(cfg),
						 (__u64)VFIO_PCI_CONFIG_REGION_INDEX << 40);
	ckret(ret, "iommufd.cdev.bound.pread");
	ck(hexv(ret < 0 ? ret : 0, cfg[0] | cfg[1] << 8 | cfg[2] << 16 | (__u32)cfg[3] << 24),
	   "iommufd.cdev.bound.pread.id");
	/* the driver holds the device object (iommufd_device_bind) */
	ckret(ioc2(d->cdev, ictx, IOMMU_DESTROY, &(struct iommu_destroy){
		.size = 8, .id = d->devid }), "iommufd.cdev.bound.destroy_device");
}

/* GET_HW_INFO: iommufd_get_hw_info (device.c), intel_iommu_hw_info
 * (drivers/iommu/intel/iommu.c) */
static void hw_info(int fd, struct dev *d, __u32 ioas)
{
	struct iommu_hw_info h;
	struct iommu_hw_info_vtd vtd;
	unsigned char big[64];
	long ret;

	memset(&h, 0, sizeof(h));
	h.size = 24;
	h.dev_id = d->devid;
	ckret(ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h), "iommufd.hw_info.size.24");
	h.size = sizeof(h);
	h.flags = 1;
	ckret(ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h), "iommufd.hw_info.flags");
	h.flags = 0;
	h.__reserved[0] = 1;
	ckret(ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h), "iommufd.hw_info.reserved");
	h.__reserved[0] = 0;
	h.dev_id = NO_ID;
	ckret(ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h), "iommufd.hw_info.unknown_id");
	h.dev_id = ioas;
	ckret(ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h), "iommufd.hw_info.ioas_id");

	memset(&vtd, 0xa5, sizeof(vtd));
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = d->devid;
	h.data_len = sizeof(vtd);
	h.data_uptr = (__u64)(uintptr_t)&vtd;
	h.out_capabilities = 0x5555;
	h.out_max_pasid_log2 = 0x55;
	ret = ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h);
	ckret(ret, "iommufd.hw_info");
	ck(decv(ret, h.out_data_type), "iommufd.hw_info.type");
	ck(decv(ret, h.data_len), "iommufd.hw_info.data_len");
	ck(hexv(ret, h.out_capabilities), "iommufd.hw_info.capabilities");
	ck(decv(ret, h.out_max_pasid_log2), "iommufd.hw_info.max_pasid_log2");
	ck(hexv(ret, vtd.flags), "iommufd.hw_info.vtd.flags");
	ck(hexv(ret, vtd.__reserved), "iommufd.hw_info.vtd.reserved");
	ck(hexv(ret, vtd.cap_reg), "iommufd.hw_info.vtd.cap_reg");
	ck(hexv(ret, vtd.ecap_reg), "iommufd.hw_info.vtd.ecap_reg");
	/* data_len 0 asks the length */
	h.data_len = 0;
	h.data_uptr = 0;
	ret = ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h);
	ck(decv(ret, h.data_len), "iommufd.hw_info.len0.data_len");
	/* a longer buffer: the rest is zeroed */
	memset(big, 0xa5, sizeof(big));
	h.data_len = sizeof(big);
	h.data_uptr = (__u64)(uintptr_t)big;
	ret = ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h);
	ck(decv(ret, h.data_len), "iommufd.hw_info.len64.data_len");
	ck(yesno(ret, big[sizeof(vtd)] == 0 && big[sizeof(big) - 1] == 0),
	   "iommufd.hw_info.len64.tail_zeroed");
	/* a shorter one: only that much is written */
	memset(big, 0xa5, sizeof(big));
	h.data_len = 8;
	ret = ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h);
	ck(decv(ret, h.data_len), "iommufd.hw_info.len8.data_len");
	ck(yesno(ret, big[8] == 0xa5 && big[0] == 1), "iommufd.hw_info.len8.rest_untouched");
	/* the 6.6 size (no out_capabilities): accepted, and it is not written */
	memset(&h, 0, sizeof(h));
	h.size = 32;
	h.dev_id = d->devid;
	h.out_capabilities = 0x5555;
	ret = ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h);
	ckret(ret, "iommufd.hw_info.size.32");
	ck(hexv(ret, h.out_capabilities), "iommufd.hw_info.size.32.capabilities");
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = d->devid;
	h.data_len = sizeof(vtd);
	ckret(ioc2(d->cdev, fd, IOMMU_GET_HW_INFO, &h), "iommufd.hw_info.null_buffer");
}

/* HWPT_ALLOC: iommufd_hwpt_alloc, iommufd_hwpt_paging_alloc,
 * iommufd_hwpt_nested_alloc (hw_pagetable.c), intel_iommu_domain_alloc_user */
static __u32 hwpts(int fd, struct dev *d, __u32 ioas)
{
	struct iommu_hwpt_vtd_s1 s1;
	struct iommu_hwpt_alloc h;
	__u32 hw;
	long ret;

	memset(&h, 0, sizeof(h));
	h.size = 20;
	h.dev_id = d->devid;
	h.pt_id = ioas;
	ckret(ioc2(d->cdev, fd, IOMMU_HWPT_ALLOC, &h), "iommufd.hwpt.alloc.size.20");
	/* the 6.6 size */
	h.size = 24;
	ret = ioc2(d->cdev, fd, IOMMU_HWPT_ALLOC, &h);
	ckret(ret, "iommufd.hwpt.alloc.size.24");
	ck(decv(ret, h.out_hwpt_id), "iommufd.hwpt.alloc.size.24.id");
	ckret(ret ? ret : destroy(fd, h.out_hwpt_id), "iommufd.hwpt.alloc.size.24.destroy");
	h.size = sizeof(h);
	h.__reserved = 1;
	ckret(ioc2(d->cdev, fd, IOMMU_HWPT_ALLOC, &h), "iommufd.hwpt.alloc.reserved");
	h.__reserved = 0;
	h.data_len = 8;
	ckret(ioc2(d->cdev, fd, IOMMU_HWPT_ALLOC, &h), "iommufd.hwpt.alloc.data_none_with_len");
	h.data_len = 0;
	h.data_type = IOMMU_HWPT_DATA_VTD_S1;
	ckret(ioc2(d->cdev, fd, IOMMU_HWPT_ALLOC, &h), "iommufd.hwpt.alloc.data_vtd_no_len");
	h.data_type = IOMMU_HWPT_DATA_NONE;
	/* a bad device is ENOENT, a bad page table EINVAL */
	ckret(ioc2(d->cdev, fd, IOMMU_HWPT_ALLOC, &(struct iommu_hwpt_alloc){
		.size = 48, .dev_id = NO_ID, .pt_id = ioas }), "iommufd.hwpt.alloc.unknown_dev");
	ckret(ioc2(d->cdev, fd, IOMMU_HWPT_ALLOC, &(struct iommu_hwpt_alloc){
		.size = 48, .dev_id = ioas, .pt_id = ioas }), "iommufd.hwpt.alloc.dev_is_ioas");
	ckret(hwpt_alloc(fd, 0, d->devid, NO_ID, &hw), "iommufd.hwpt.alloc.unknown_pt");
	ckret(hwpt_alloc(fd, 0, d->devid, d->devid, &hw), "iommufd.hwpt.alloc.pt_is_device");
	ckret(hwpt_alloc(fd, BAD_FLAG, d->devid, ioas, &hw), "iommufd.hwpt.alloc.bad_flag");
	/* QEMU's VT-d in legacy mode: no nesting, no dirty tracking */
	ckret(hwpt_alloc(fd, IOMMU_HWPT_ALLOC_NEST_PARENT, d->devid, ioas, &hw),
	      "iommufd.hwpt.alloc.nest_parent");
	ckret(hwpt_alloc(fd, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, d->devid, ioas, &hw),
	      "iommufd.hwpt.alloc.dirty_tracking");
	/* a paging table takes no fault queue in 6.12 */
	ckret(hwpt_alloc(fd, IOMMU_HWPT_FAULT_ID_VALID, d->devid, ioas, &hw),
	      "iommufd.hwpt.alloc.fault_id");
	memset(&s1, 0, sizeof(s1));
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = d->devid;
	h.pt_id = ioas;
	h.data_type = IOMMU_HWPT_DATA_VTD_S1;
	h.data_len = sizeof(s1);
	h.data_uptr = (__u64)(uintptr_t)&s1;
	ckret(ioc2(d->cdev, fd, IOMMU_HWPT_ALLOC, &h), "iommufd.hwpt.alloc.paging_with_data");

	ret = hwpt_alloc(fd, 0, d->devid, ioas, &hw);
	ckret(ret, "iommufd.hwpt.alloc");
	ck(decv(ret, hw), "iommufd.hwpt.alloc.id");
	/* nested on a table that is no NEST_PARENT */
	h.pt_id = hw;
	ckret(ret ? ret : ioc(fd, IOMMU_HWPT_ALLOC, &h), "iommufd.hwpt.alloc.nested.not_parent");
	h.data_type = IOMMU_HWPT_DATA_NONE;
	h.data_len = 0;
	h.data_uptr = 0;
	ckret(ret ? ret : ioc(fd, IOMMU_HWPT_ALLOC, &h), "iommufd.hwpt.alloc.nested.no_data");
	/* a domain in the IOAS: its aperture is reserved, pages must align */
	ranges(fd, ioas, "hwpt.alloc.ioas");
	return ret ? 0 : hw;
}

/* SET_DIRTY_TRACKING, GET_DIRTY_BITMAP: iommufd_hwpt_set_dirty_tracking,
 * iommufd_hwpt_get_dirty_bitmap (hw_pagetable.c), iopt_set_dirty_tracking,
 * iopt_read_and_clear_dirty_data, iommufd_check_iova_range (io_pagetable.c);
 * HWPT_INVALIDATE: iommufd_hwpt_invalidate */
static void hwpt_ops(int fd, int dep, __u32 hw, __u32 ioas)
{
	struct iommu_hwpt_set_dirty_tracking s;
	struct iommu_hwpt_get_dirty_bitmap g;
	struct iommu_hwpt_invalidate inv;
	__u64 bitmap[4] = { 0 };
	long ret;

	memset(&s, 0, sizeof(s));
	s.size = 12;
	s.hwpt_id = hw;
	ckret(ioc2(dep, fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), "iommufd.dirty.set.size.12");
	s.size = sizeof(s);
	s.flags = 2;
	ckret(ioc2(dep, fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), "iommufd.dirty.set.bad_flag");
	s.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	s.hwpt_id = NO_ID;
	ckret(ioc2(dep, fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), "iommufd.dirty.set.unknown_id");
	s.hwpt_id = ioas;
	ckret(ioc2(dep, fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), "iommufd.dirty.set.ioas_id");
	s.hwpt_id = hw;
	ckret(ioc2(dep, fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), "iommufd.dirty.set.enable");
	s.flags = 0;
	ckret(ioc2(dep, fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), "iommufd.dirty.set.disable");

	memset(&g, 0, sizeof(g));
	g.size = 40;
	g.hwpt_id = hw;
	ckret(ioc2(dep, fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), "iommufd.dirty.bitmap.size.40");
	g.size = sizeof(g);
	g.flags = 2;
	ckret(ioc2(dep, fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), "iommufd.dirty.bitmap.bad_flag");
	g.flags = 0;
	g.__reserved = 1;
	ckret(ioc2(dep, fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), "iommufd.dirty.bitmap.reserved");
	g.__reserved = 0;
	g.hwpt_id = NO_ID;
	ckret(ioc2(dep, fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), "iommufd.dirty.bitmap.unknown_id");
	g.hwpt_id = hw;
	ckret(ioc2(dep, fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), "iommufd.dirty.bitmap.length0");
	g.iova = 0x800;
	g.length = PG;
	g.page_size = PG;
	g.data = (__u64)(uintptr_t)bitmap;
	ckret(ioc2(dep, fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), "iommufd.dirty.bitmap.misaligned");
	g.iova = 0;
	g.page_size = 0;
	ckret(ioc2(dep, fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), "iommufd.dirty.bitmap.page_size0");
	g.page_size = PG;
	ckret(ioc2(dep, fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), "iommufd.dirty.bitmap");

	memset(&inv, 0, sizeof(inv));
	inv.size = 28;
	inv.hwpt_id = hw;
	ckret(ioc2(dep, fd, IOMMU_HWPT_INVALIDATE, &inv), "iommufd.invalidate.size.28");
	inv.size = sizeof(inv);
	inv.__reserved = 1;
	inv.entry_num = 3;
	ret = ioc2(dep, fd, IOMMU_HWPT_INVALIDATE, &inv);
	ckret(ret, "iommufd.invalidate.reserved");
	ck(dec(inv.entry_num), "iommufd.invalidate.reserved.entry_num");
	inv.__reserved = 0;
	inv.entry_num = 1;
	inv.entry_len = sizeof(struct iommu_hwpt_vtd_s1_invalidate);
	ret = ioc2(dep, fd, IOMMU_HWPT_INVALIDATE, &inv);
	ckret(ret, "iommufd.invalidate.null_data");
	ck(dec(inv.entry_num), "iommufd.invalidate.null_data.entry_num");
	inv.entry_num = 1;
	inv.data_uptr = (__u64)(uintptr_t)bitmap;
	inv.entry_len = 0;
	ckret(ioc2(dep, fd, IOMMU_HWPT_INVALIDATE, &inv), "iommufd.invalidate.entry_len0");
	inv.entry_num = 1;
	inv.entry_len = 2 * PG;
	ckret(ioc2(dep, fd, IOMMU_HWPT_INVALIDATE, &inv), "iommufd.invalidate.entry_len_big");
	inv.entry_num = 0;
	inv.entry_len = 0;
	ckret(ioc2(dep, fd, IOMMU_HWPT_INVALIDATE, &inv), "iommufd.invalidate.paging_hwpt");
	inv.hwpt_id = NO_ID;
	ckret(ioc2(dep, fd, IOMMU_HWPT_INVALIDATE, &inv), "iommufd.invalidate.unknown_id");
}

/*
 * ATTACH/DETACH: vfio_df_ioctl_attach_pt, vfio_df_ioctl_detach_pt
 * (device_cdev.c), vfio_iommufd_physical_attach_ioas (vfio/iommufd.c),
 * iommufd_device_change_pt, iommufd_device_auto_get_domain,
 * iommufd_hw_pagetable_attach, iommufd_device_do_replace,
 * iommufd_device_attach_reserved_iova (device.c), iopt_table_add_domain,
 * iopt_table_enforce_dev_resv_regions (io_pagetable.c),
 * intel_iommu_get_resv_regions (the MSI window 0xfee00000..0xfeefffff)
 */
static void attach_rules(int fd, struct dev *d, __u32 ioas, __u32 hw, unsigned char *buf)
{
	struct vfio_device_attach_iommufd_pt a;
	struct iommu_iova_range r = { .start = 0xfe000000, .last = 0xfeffffff };
	struct iommu_ioas_allow_iovas q = {
		.size = sizeof(q), .num_iovas = 1, .allowed_iovas = (__u64)(uintptr_t)&r,
	};
	__u32 pt, auto_hw, m;
	__u64 iova, v;
	long ret;

	ckret(ioc2(fd, d->cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, NULL), "iommufd.attach.null");
	memset(&a, 0, sizeof(a));
	a.argsz = 8;
	a.pt_id = ioas;
	ckret(ioc2(fd, d->cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), "iommufd.attach.argsz.8");
	a.argsz = sizeof(a);
	a.flags = 1;
	ckret(ioc2(fd, d->cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), "iommufd.attach.flags");
	pt = NO_ID;
	ckret(fd < 0 ? fd : attach(d->cdev, &pt), "iommufd.attach.unknown_id");
	pt = d->devid;
	ckret(fd < 0 ? fd : attach(d->cdev, &pt), "iommufd.attach.device_id");

	/* an IOAS whose contents a domain cannot take */
	ret = ioas_alloc(fd, &m);
	ck(decv(ret, m), "iommufd.attach.bad_ioas.id");
	ckret(map_at(fd, m, buf, PG, 0x200001), "iommufd.attach.bad_ioas.misaligned.map");
	pt = m;
	ret = fd < 0 ? fd : attach(d->cdev, &pt);
	ckret(ret, "iommufd.attach.bad_ioas.misaligned");
	ck(decv(fd < 0 ? fd : 0, pt), "iommufd.attach.bad_ioas.misaligned.pt_id");
	unmap(fd, m, 0, ALL_ONES, NULL);
	ckret(map_at(fd, m, buf, PG, 0xfee00000), "iommufd.attach.bad_ioas.msi.map");
	pt = m;
	ckret(fd < 0 ? fd : attach(d->cdev, &pt), "iommufd.attach.bad_ioas.msi");
	unmap(fd, m, 0, ALL_ONES, NULL);
	ckret(map_at(fd, m, buf, PG, 0x8000000000ull),
	      "iommufd.attach.bad_ioas.above_aperture.map");
	pt = m;
	ckret(fd < 0 ? fd : attach(d->cdev, &pt), "iommufd.attach.bad_ioas.above_aperture");
	unmap(fd, m, 0, ALL_ONES, NULL);
	q.ioas_id = m;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.attach.bad_ioas.allow_msi");
	pt = m;
	ckret(fd < 0 ? fd : attach(d->cdev, &pt), "iommufd.attach.bad_ioas.allowed_msi");
	ckret(destroy(fd, m), "iommufd.attach.bad_ioas.destroy");

	/* to an IOAS: the kernel makes a paging HWPT (even with one in the IOAS) */
	pt = ioas;
	ret = fd < 0 ? fd : attach(d->cdev, &pt);
	ckret(ret, "iommufd.attach.ioas");
	ck(yesno(ret, pt != ioas && pt != hw), "iommufd.attach.ioas.new_hwpt");
	ck(decv(ret, pt), "iommufd.attach.ioas.pt_id");
	auto_hw = ret ? 0 : pt;
	ranges(fd, ioas, "attach.ioas");
	pt = ioas;
	ret = fd < 0 ? fd : attach(d->cdev, &pt);
	ckret(ret, "iommufd.attach.ioas.again");
	ck(yesno(ret, pt == auto_hw), "iommufd.attach.ioas.again.same_hwpt");
	/* busy objects: iommufd_object_remove refuses users beyond its own */
	ckret(destroy(fd, auto_hw), "iommufd.destroy.busy.auto_hwpt");
	ckret(destroy(fd, ioas), "iommufd.destroy.busy.ioas");
	ckret(destroy(fd, d->devid), "iommufd.destroy.busy.device");

	/* mapping with a domain: aligned, outside the reserved, pinned now */
	ckret(map_at(fd, ioas, buf, PG, 0x200001), "iommufd.attach.map.misaligned_iova");
	ckret(map_at(fd, ioas, buf, PG + 1, 0x200000), "iommufd.attach.map.odd_length");
	ckret(map_at(fd, ioas, buf + 0x10, PG, 0x200000), "iommufd.attach.map.misaligned_va");
	ckret(map_at(fd, ioas, buf, PG, 0xfee00000), "iommufd.attach.map.msi");
	ckret(map_at(fd, ioas, buf, PG, 0x8000000000ull), "iommufd.attach.map.above_aperture");
	ckret(map_at(fd, ioas, buf, PG, 0x7ffffff000ull), "iommufd.attach.map.last_page");
	iova = 0x300000;
	ckret(map(fd, ioas, FIXED_RW, UNMAPPED_VA, PG, &iova), "iommufd.attach.map.unmapped_va");
	iova = 0x300000;
	ckret(map(fd, ioas, FIXED_RW, 0xffff888000000000ull, PG, &iova),
	      "iommufd.attach.map.kernel_va");
	ckret(map_at(fd, ioas, buf, 2 * PG, 0x100000), "iommufd.attach.map.fixed");
	iova = 0;
	ret = map(fd, ioas, RW, (__u64)(uintptr_t)buf, PG, &iova);
	ck(hexv(ret, iova), "iommufd.attach.map.auto.iova");
	iova = 0;
	ret = map(fd, ioas, RW, (__u64)(uintptr_t)buf + 0x100, 0x100, &iova);
	ckret(ret, "iommufd.attach.map.auto.subpage");
	v = 0;
	ckret(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas, &v),
	      "iommufd.attach.huge_pages.set.0");
	q.ioas_id = ioas;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.attach.allow_iovas.msi");
	r.start = 0x100000;
	r.last = 0x1fffff;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.attach.allow_iovas.low");
	q.num_iovas = 0;
	ckret(ioc(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), "iommufd.attach.allow_iovas.none");

	/* replace with the HWPT made by hand: the automatic one goes */
	pt = hw;
	ret = fd < 0 ? fd : attach(d->cdev, &pt);
	ckret(ret, "iommufd.attach.hwpt");
	ck(yesno(ret, pt == hw), "iommufd.attach.hwpt.pt_id_kept");
	ckret(destroy(fd, auto_hw), "iommufd.attach.hwpt.auto_hwpt_gone");
	ckret(destroy(fd, hw), "iommufd.destroy.busy.hwpt");

	/* DETACH: argsz and flags, then always 0 */
	ckret(ioc2(fd, d->cdev, VFIO_DEVICE_DETACH_IOMMUFD_PT,
		   &(struct vfio_device_detach_iommufd_pt){ .argsz = 4 }),
	      "iommufd.detach.argsz.4");
	ckret(ioc2(fd, d->cdev, VFIO_DEVICE_DETACH_IOMMUFD_PT,
		   &(struct vfio_device_detach_iommufd_pt){ .argsz = 8, .flags = 1 }),
	      "iommufd.detach.flags");
	ckret(fd < 0 ? fd : detach(d->cdev), "iommufd.detach");
	ckret(fd < 0 ? fd : detach(d->cdev), "iommufd.detach.twice");
	ranges(fd, ioas, "detach.hwpt_left");
	ckret(destroy(fd, hw), "iommufd.detach.destroy_hwpt");
	ranges(fd, ioas, "detach.no_domain");

	/* attached when the cdev closes: closing unbinds and detaches */
	pt = ioas;
	ret = fd < 0 ? fd : attach(d->cdev, &pt);
	ckret(ret, "iommufd.attach.ioas.before_close");
	ck(decv(ret, pt), "iommufd.attach.ioas.before_close.pt_id");
	auto_hw = ret ? 0 : pt;
	ckret(xclose(d->cdev), "iommufd.cdev.close");
	d->cdev = -EBADF;
	ckret(destroy(fd, auto_hw), "iommufd.cdev.close.auto_hwpt_gone");
	ckret(destroy(fd, d->devid), "iommufd.cdev.close.device_gone");
	ranges(fd, ioas, "cdev.close");
	ckret(unmap(fd, ioas, 0, ALL_ONES, &v), "iommufd.cdev.close.unmap_all");
}

/* Two devices, two groups, one IOAS: one automatic HWPT (iommufd_device_auto_get_domain) */
static void two_devices(int fd, struct dev *d0, struct dev *d1, __u32 ioas)
{
	struct iommu_hw_info_vtd v0, v1;
	struct iommu_hw_info h = { .size = sizeof(h), .data_len = sizeof(v0) };
	__u32 p0 = ioas, p1 = ioas;
	long r0, r1;

	r0 = fd < 0 ? fd : attach(d0->cdev, &p0);
	ckret(r0, "iommufd.dev2.attach.first");
	r1 = fd < 0 ? fd : attach(d1->cdev, &p1);
	ckret(r1, "iommufd.dev2.attach.second");
	ck(yesno(r0 ? r0 : r1, p0 == p1), "iommufd.dev2.attach.same_hwpt");
	ranges(fd, ioas, "dev2.attach");
	h.dev_id = d0->devid;
	h.data_uptr = (__u64)(uintptr_t)&v0;
	r0 = ioc2(d0->cdev, fd, IOMMU_GET_HW_INFO, &h);
	h.dev_id = d1->devid;
	h.data_uptr = (__u64)(uintptr_t)&v1;
	r1 = ioc2(d1->cdev, fd, IOMMU_GET_HW_INFO, &h);
	ck(yesno(r0 ? r0 : r1, !memcmp(&v0, &v1, sizeof(v0))), "iommufd.dev2.hw_info.same");
	ckret(fd < 0 ? fd : detach(d0->cdev), "iommufd.dev2.detach.first");
	ckret(destroy(fd, p0), "iommufd.dev2.detach.first.hwpt_busy");
	ckret(fd < 0 ? fd : detach(d1->cdev), "iommufd.dev2.detach.second");
	ckret(destroy(fd, p0), "iommufd.dev2.detach.second.hwpt_gone");
}

/*
 * A group bound to an iommufd instead of a container:
 * vfio_group_ioctl_set_container (group.c), iommufd_vfio_compat_ioas_create,
 * vfio_df_group_open, vfio_iommufd_compat_attach_ioas (vfio/iommufd.c)
 */
static void group_path(struct dev *d, unsigned char *buf)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_iommu_type1_dma_map dm = { .argsz = sizeof(dm) };
	int ictx = osys_open("/dev/iommu", O_RDWR), g, dev, c;
	__u32 id = 0, pt = 1;
	__u64 done;
	long ret;

	ck(fdv(ictx), "iommufd.group.ictx.open");
	g = group_open(d->bdf);
	ck(fdv(g), "iommufd.group.open");
	ckret(ioc2(ictx, g, VFIO_GROUP_SET_CONTAINER, &ictx), "iommufd.group.set_container");
	ret = vfio_ioas(ictx, IOMMU_VFIO_IOAS_GET, &id);
	ckret(ret, "iommufd.group.compat_ioas");
	ck(decv(ret, id), "iommufd.group.compat_ioas.id");
	ret = ioc2(ictx, g, VFIO_GROUP_GET_STATUS, &st);
	ck(hexv(ret, st.flags), "iommufd.group.status.flags");
	ckret(ioc(ictx, VFIO_SET_IOMMU, (void *)(unsigned long)VFIO_TYPE1v2_IOMMU),
	      "iommufd.group.set_iommu");
	dev = ictx < 0 ? ictx : g < 0 ? g :
	      (int)osys_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)d->bdf);
	ck(fdv(dev), "iommufd.group.device_fd");
	/* the device is bound (id 2) and attached to the compat IOAS (HWPT 3) */
	ckret(destroy(ictx, 2), "iommufd.group.destroy.device");
	ckret(destroy(ictx, 3), "iommufd.group.destroy.hwpt");
	ranges(ictx, id, "group.compat_ioas");
	/* a group-path device fd takes no cdev ioctls */
	ckret(ioc2(ictx, dev, VFIO_DEVICE_BIND_IOMMUFD, &(struct vfio_device_bind_iommufd){
		.argsz = 16, .iommufd = ictx }), "iommufd.group.device_fd.bind");
	ckret(ioc2(ictx, dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		   &(struct vfio_device_attach_iommufd_pt){ .argsz = 12, .pt_id = pt }),
	      "iommufd.group.device_fd.attach");
	/* nor may the cdev bind while the group is open */
	c = ictx < 0 ? ictx : osys_vfio_cdev(d->bdf, d->path, sizeof(d->path));
	c = c < 0 ? c : osys_open(d->path, O_RDWR);
	ck(fdv(c), "iommufd.group.cdev.open");
	ckret(ioc2(ictx, c, VFIO_DEVICE_BIND_IOMMUFD, &(struct vfio_device_bind_iommufd){
		.argsz = 16, .iommufd = ictx }), "iommufd.group.cdev.bind");
	xclose(c);
	/* the container ioctls reach the compat IOAS */
	dm.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	dm.vaddr = (__u64)(uintptr_t)buf;
	dm.iova = 0x100000;
	dm.size = PG;
	ckret(ioc(ictx, VFIO_IOMMU_MAP_DMA, &dm), "iommufd.group.map_dma");
	ret = unmap(ictx, id, 0x100000, PG, &done);
	ck(hexv(ret, done), "iommufd.group.map_dma.ioas_unmap.length");
	ckret(xclose(dev), "iommufd.group.device_fd.close");
	ckret(destroy(ictx, 3), "iommufd.group.device_fd.close.hwpt_gone");
	ckret(destroy(ictx, 2), "iommufd.group.device_fd.close.device_gone");
	ckret(xclose(g), "iommufd.group.close");
	ckret(destroy(ictx, id), "iommufd.group.close.compat_ioas_destroy");
	xclose(ictx);
}

int main(int argc, char **argv)
{
	int i = osys_init(argc, argv), fd, dctx;
	struct dev d0 = { .cdev = -ENODEV }, d1 = { .cdev = -ENODEV };
	unsigned char *buf;
	__u32 ioas, hw;
	long ret;

	if (argc - i < 1) {
		fprintf(stderr, "usage: iommufd -- BDF [BDF2]\n");
		return 2;
	}
	d0.bdf = argv[i];
	d1.bdf = argc - i > 1 ? argv[i + 1] : NULL;
	buf = osys_alloc(64 * PG);
	if (!buf) {
		printf("fatal alloc\n");
		return 1;
	}
	memset(buf, 0x5a, 64 * PG);

	fd = dev_file();
	dispatch(fd);
	ids(fd);
	iova_ranges(fd);
	allow_iovas(fd, buf);
	map_rules(fd, buf);
	unmap_rules(fd);
	copy_rules(fd, buf);
	options(fd, buf);
	compat(fd, buf);
	faults(fd);
	selftest(fd, buf);
	xclose(fd);

	/* devices, in a context of their own (ids from 1 again) */
	dctx = osys_open("/dev/iommu", O_RDWR);
	ck(fdv(dctx), "iommufd.cdev.ictx.open");
	dev_open(&d0, "cdev");
	cdev_bind(&d0, dctx);
	ret = ioas_alloc(dctx, &ioas);
	ck(decv(ret, ioas), "iommufd.cdev.ioas.id");
	hw_info(dctx, &d0, ioas);
	hw = hwpts(dctx, &d0, ioas);
	hwpt_ops(dctx, d0.cdev, hw, ioas);
	attach_rules(dctx, &d0, ioas, hw, buf);
	if (d1.bdf) {
		/* the first device again, on a new cdev fd */
		d0.cdev = d0.path[0] ? osys_open(d0.path, O_RDWR) : -ENODEV;
		ret = dev_bind(&d0, dctx);
		ck(decv(ret, d0.devid), "iommufd.dev2.first.devid");
		dev_open(&d1, "dev2");
		ret = dev_bind(&d1, dctx);
		ckret(ret, "iommufd.dev2.bind");
		ck(decv(ret, d1.devid), "iommufd.dev2.bind.devid");
		two_devices(dctx, &d0, &d1, ioas);
		xclose(d1.cdev);
		xclose(d0.cdev);
		d0.cdev = -EBADF;
	}
	group_path(&d0, buf);
	ckret(destroy(dctx, ioas), "iommufd.cdev.ioas.destroy");
	xclose(dctx);
	osys_free(buf, 64 * PG);
	return 0;
}
