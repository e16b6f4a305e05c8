/* SPDX-License-Identifier: MIT */
/*
 * /dev/iommu (drivers/iommu/iommufd/main.c): the misc device, one context
 * per open, the object table every object kind shares (ids lowest free
 * from 1, invisible until finalized), DESTROY, OPTION's RLIMIT_MODE, and
 * the ioctl table with its dispatch rules (spec §G1, docs/oracle.md
 * "Dispatch"): nr outside the table → the VFIO compatibility ioctls; the
 * size word read; the exact command; the minimum size; the bytes past what
 * the kernel knows must be zero (E2BIG).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "sim/devnode.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"
#include "iommusim/uapi/iommufd_test.h"

const char *iommufd_object_type_name(enum iommufd_object_type t)
{
	static const char *const names[] = {
		[IOMMUFD_OBJ_NONE] = "none", [IOMMUFD_OBJ_ANY] = "any",
		[IOMMUFD_OBJ_DEVICE] = "device", [IOMMUFD_OBJ_HWPT_PAGING] = "hwpt_paging",
		[IOMMUFD_OBJ_HWPT_NESTED] = "hwpt_nested", [IOMMUFD_OBJ_IOAS] = "ioas",
		[IOMMUFD_OBJ_ACCESS] = "access", [IOMMUFD_OBJ_FAULT] = "fault",
		[IOMMUFD_OBJ_SELFTEST] = "selftest", [IOMMUFD_OBJ_VIOMMU] = "viommu",
		[IOMMUFD_OBJ_VDEVICE] = "vdevice",
	};
	return (unsigned)t < G_N_ELEMENTS(names) ? names[t] : "?";
}

/* ---- objects ---- */

int iommufd_object_alloc(struct iommufd_ctx *ictx, struct iommufd_object *obj,
			 enum iommufd_object_type type,
			 void (*destroy)(struct iommufd_object *))
{
	/* xa_alloc with XA_FLAGS_ALLOC1 over 31 bits */
	int64_t id = sim_ids_alloc(ictx->w, &ictx->objects, obj, 1, INT32_MAX);

	if (id < 0)
		return id == -ENOSPC ? -ENOSPC : -ENOMEM;
	obj->ictx = ictx;
	obj->type = type;
	obj->id = (uint32_t)id;
	obj->users = 1;
	obj->finalized = false;
	obj->destroy = destroy;
	return 0;
}

void iommufd_object_finalize(struct iommufd_object *obj)
{
	obj->finalized = true;
	SIM_TRACE(obj->ictx->w, iommufd_obj, (unsigned long long)obj->ictx->serial, obj->id,
		  iommufd_object_type_name(obj->type), "alloc");
}

void iommufd_object_abort(struct iommufd_object *obj)
{
	sim_ids_remove(&obj->ictx->objects, obj->id);
	obj->destroy(obj);
}

struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, uint32_t id,
					  enum iommufd_object_type type)
{
	struct iommufd_object *obj = sim_ids_find(&ictx->objects, id);

	if (!obj || !obj->finalized || (type != IOMMUFD_OBJ_ANY && obj->type != type))
		return NULL;
	obj->users++;
	return obj;
}

void iommufd_put_object(struct iommufd_object *obj)
{
	obj->users--;
}

void iommufd_object_destroy_user(struct iommufd_object *obj)
{
	struct iommufd_ctx *ictx = obj->ictx;

	if (obj->type != IOMMUFD_OBJ_NONE)   /* a tombstone is no object */
		SIM_TRACE(ictx->w, iommufd_obj, (unsigned long long)ictx->serial, obj->id,
			  iommufd_object_type_name(obj->type), "destroy");
	sim_ids_remove(&ictx->objects, obj->id);
	obj->destroy(obj);
}

static void tombstone_free(struct iommufd_object *obj)
{
	g_free(obj);
}

void iommufd_object_tombstone_user(struct iommufd_object *obj)
{
	struct iommufd_ctx *ictx = obj->ictx;
	struct iommufd_object *t = g_new0(struct iommufd_object, 1);
	uint32_t id = obj->id;

	iommufd_object_destroy_user(obj);
	/* xa_store of XA_ZERO_ENTRY: taken for allocation, found by no
	 * lookup (never finalized), freed with the context */
	*t = (struct iommufd_object){ .ictx = ictx, .type = IOMMUFD_OBJ_NONE, .id = id,
				      .users = 1, .destroy = tombstone_free };
	sim_ids_alloc(NULL, &ictx->objects, t, id, id);
}

unsigned iommufd_ctx_objects(const struct iommufd_ctx *ictx)
{
	unsigned n = 0;

	for (uint32_t id = 1; id < sim_ids_end(&ictx->objects); id++) {
		const struct iommufd_object *obj = sim_ids_find(&ictx->objects, id);

		n += obj && obj->finalized;
	}
	return n;
}

void iommufd_ctx_get(struct iommufd_ctx *ictx)
{
	sim_file_get(ictx->file);
}

void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
	sim_file_put(ictx->file);
}

void iommufd_for_each_pages(struct iommufd_state *st,
			    void (*fn)(struct iopt_pages *pages, void *ctx), void *ctx)
{
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (unsigned c = 0; c < st->ctxs->len; c++) {
		struct iommufd_ctx *ictx = g_ptr_array_index(st->ctxs, c);

		for (uint32_t id = 1; id < sim_ids_end(&ictx->objects); id++) {
			struct iommufd_object *obj = sim_ids_find(&ictx->objects, id);
			GArray *areas;

			if (!obj || obj->type != IOMMUFD_OBJ_IOAS)
				continue;
			areas = ((struct iommufd_ioas *)obj)->iopt.areas;
			for (unsigned i = 0; areas && i < areas->len; i++) {
				struct iopt_pages *pg = g_array_index(areas, struct iopt_area, i).pages;

				if (g_hash_table_add(seen, pg))
					fn(pg, ctx);
			}
		}
	}
	g_hash_table_destroy(seen);
}

struct mm_account {
	const struct sim_mm *mm;
	uint64_t charged, pinned;
};

static void account_pages(struct iopt_pages *pg, void *ctx)
{
	struct mm_account *a = ctx;

	if (pg->mm != a->mm)
		return;
	a->pinned += pg->npinned;
	if (pg->account_mode == IOPT_PAGES_ACCOUNT_MM)
		a->charged += pg->last_npinned;
}

void iommufd_mm_account(struct sim_world *w, const struct sim_mm *mm, uint64_t *charged,
			uint64_t *pinned)
{
	struct iommufd_state *st = sim_world_subsys(w, SIM_SUBSYS_IOMMUFD);
	struct mm_account a = { .mm = mm };

	if (st)
		iommufd_for_each_pages(st, account_pages, &a);
	*charged = a.charged;
	*pinned = a.pinned;
}

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t len)
{
	size_t n = len < ucmd->user_size ? len : ucmd->user_size;

	return sim_copy_to_user(ucmd->p, ucmd->ubuffer, ucmd->cmd, n) ? -EFAULT : 0;
}

/* iommufd_destroy → iommufd_object_remove: unknown, unfinalized or 0 is
 * ENOENT; anything else holding it (users > 1) EBUSY. */
static int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;
	struct iommufd_object *obj = sim_ids_find(&ucmd->ictx->objects, cmd->id);

	if (!obj || !obj->finalized)
		return -ENOENT;
	if (obj->users != 1)
		return -EBUSY;
	iommufd_object_destroy_user(obj);
	return 0;
}

/* iommufd_option_rlimit_mode: context-wide, object 0; SET needs
 * CAP_SYS_RESOURCE and an empty context (EBUSY before the value). */
static int option_rlimit_mode(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;

	if (cmd->object_id)
		return -EOPNOTSUPP;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ictx->account_mode == IOPT_PAGES_ACCOUNT_MM;
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (!sim_proc_capable(ucmd->p, SIM_CAP_SYS_RESOURCE))
		return -EPERM;
	if (ictx->objects.count)
		return -EBUSY;
	if (cmd->val64 == 0)
		ictx->account_mode = IOPT_PAGES_ACCOUNT_USER;
	else if (cmd->val64 == 1)
		ictx->account_mode = IOPT_PAGES_ACCOUNT_MM;
	else
		return -EINVAL;
	return 0;
}

/* iommufd_option: only val64 goes back to the user */
static int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = option_rlimit_mode(ucmd);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option(ucmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	if (sim_copy_to_user(ucmd->p, ucmd->ubuffer + offsetof(struct iommu_option, val64),
			     &cmd->val64, sizeof(cmd->val64)))
		return -EFAULT;
	return 0;
}

/* ---- the ioctl table ---- */

int iommufd_copy_struct_from_user(struct sim_proc *p, void *dst, size_t ksize, uint64_t src,
				  size_t usize)
{
	/* a shorter struct is zero-extended; a longer one must be zero past
	 * the kernel's size (check_zeroed_user first) */
	if (usize > ksize) {
		uint8_t chunk[64];
		uint64_t off = ksize;

		while (off < usize) {
			size_t n = usize - off < sizeof(chunk) ? usize - off : sizeof(chunk);

			if (sim_copy_from_user(p, chunk, src + off, n))
				return -EFAULT;
			for (size_t i = 0; i < n; i++)
				if (chunk[i])
					return -E2BIG;
			off += n;
		}
	}
	memset(dst, 0, ksize);
	if (sim_copy_from_user(p, dst, src, usize < ksize ? usize : ksize))
		return -EFAULT;
	return 0;
}

struct iommufd_ioctl_op {
	unsigned int ioctl_num;
	uint32_t size, min_size;
	int (*execute)(struct iommufd_ucmd *ucmd);
	unsigned since;              /* 6.<since>: a gap before (0: every kernel here) */
};

#define IOCTL_OP(num, fn, type, last) \
	[_IOC_NR(num) - IOMMUFD_CMD_BASE] = { num, sizeof(type), offsetofend(type, last), fn, 0 }
#define IOCTL_OP_SINCE(num, fn, type, last, minor) \
	[_IOC_NR(num) - IOMMUFD_CMD_BASE] = { num, sizeof(type), offsetofend(type, last), fn, minor }

static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOCTL_OP(IOMMU_DESTROY, iommufd_destroy, struct iommu_destroy, id),
	IOCTL_OP(IOMMU_IOAS_ALLOC, iommufd_ioas_alloc_ioctl, struct iommu_ioas_alloc, out_ioas_id),
	IOCTL_OP(IOMMU_IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas, struct iommu_ioas_allow_iovas,
		 allowed_iovas),
	IOCTL_OP(IOMMU_IOAS_COPY, iommufd_ioas_copy, struct iommu_ioas_copy, src_iova),
	IOCTL_OP(IOMMU_IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges, struct iommu_ioas_iova_ranges,
		 out_iova_alignment),
	IOCTL_OP(IOMMU_IOAS_MAP, iommufd_ioas_map, struct iommu_ioas_map, iova),
	IOCTL_OP(IOMMU_IOAS_UNMAP, iommufd_ioas_unmap, struct iommu_ioas_unmap, length),
	IOCTL_OP(IOMMU_OPTION, iommufd_option, struct iommu_option, val64),
	IOCTL_OP(IOMMU_VFIO_IOAS, iommufd_vfio_ioas, struct iommu_vfio_ioas, __reserved),
	IOCTL_OP(IOMMU_HWPT_ALLOC, iommufd_hwpt_alloc, struct iommu_hwpt_alloc, __reserved),
	IOCTL_OP(IOMMU_GET_HW_INFO, iommufd_get_hw_info, struct iommu_hw_info, __reserved),
	IOCTL_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, iommufd_hwpt_set_dirty_tracking,
		 struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOCTL_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, iommufd_hwpt_get_dirty_bitmap,
		 struct iommu_hwpt_get_dirty_bitmap, data),
	IOCTL_OP(IOMMU_HWPT_INVALIDATE, iommufd_hwpt_invalidate, struct iommu_hwpt_invalidate,
		 __reserved),
	IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, iommufd_fault_alloc, struct iommu_fault_alloc,
		 out_fault_fd),
	/* IOAS_MAP_FILE (0x8f) is not modelled: a gap here (ENOTTY) */
	IOCTL_OP_SINCE(IOMMU_VIOMMU_ALLOC, iommufd_viommu_alloc_ioctl, struct iommu_viommu_alloc,
		       out_viommu_id, 13),
	IOCTL_OP_SINCE(IOMMU_VDEVICE_ALLOC, iommufd_vdevice_alloc_ioctl,
		       struct iommu_vdevice_alloc, virt_id, 13),
	/* CONFIG_IOMMUFD_TEST (selftest.c): reached only when table_last_nr
	 * says so */
	IOCTL_OP(IOMMU_TEST_CMD, iommufd_test, struct iommu_test_cmd, last),
};

/* The table's end: v6.2 stops at VFIO_IOAS (the later rows answer ENOTTY
 * there, through the VFIO compat dispatch); 6.12 reaches FAULT_QUEUE_ALLOC
 * (0x8e), mainline VDEVICE_ALLOC (0x91: the rows after it, IOAS_CHANGE_PROCESS,
 * VEVENTQ_ALLOC and HW_QUEUE_ALLOC, are not modelled and answer ENOTTY
 * through the compat dispatch, as they would as gaps), and IOMMU_TEST_CMD
 * (0xa0) with the test uAPI. */
static unsigned table_last_nr(const struct sim_world *w)
{
	/* with CONFIG_IOMMUFD_TEST (profile iommufd_test) the table's last
	 * row is IOMMU_TEST_CMD, 0xa0; the rows between are gaps (ENOTTY) */
	if (iommufd_test_enabled(w))
		return _IOC_NR(IOMMU_TEST_CMD);
	if (!sim_kernel_before(w, 6, 2) && sim_kernel_before(w, 6, 3))
		return IOMMUFD_CMD_VFIO_IOAS;
	if (sim_kernel_before(w, 6, 13))
		return IOMMUFD_CMD_FAULT_QUEUE_ALLOC;
	return IOMMUFD_CMD_VDEVICE_ALLOC;
}

#define UCMD_BUFFER 256   /* the largest command structure, rounded up */

static long iommufd_fops_ioctl(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
			       unsigned long arg)
{
	struct iommufd_ctx *ictx = f->private_data;
	unsigned nr = _IOC_NR(cmd);
	const struct iommufd_ioctl_op *op;
	struct iommufd_ucmd ucmd = { .ictx = ictx, .p = p, .ubuffer = arg };
	uint8_t buf[UCMD_BUFFER] = { 0 };
	long ret;

	if (nr < IOMMUFD_CMD_BASE || nr > table_last_nr(ictx->w))
		return iommufd_vfio_ioctl(ictx, p, cmd, arg);
	if (sim_copy_from_user(p, &ucmd.user_size, arg, sizeof(ucmd.user_size)))
		return -EFAULT;
	op = nr - IOMMUFD_CMD_BASE < G_N_ELEMENTS(iommufd_ioctl_ops) ?
		&iommufd_ioctl_ops[nr - IOMMUFD_CMD_BASE] : NULL;
	/* a row a kernel has not got is a gap there (6.12 with the test uAPI
	 * reaches 0xa0 past the vIOMMU rows) */
	if (!op || !op->ioctl_num || op->ioctl_num != cmd ||
	    (op->since && sim_kernel_before(ictx->w, 6, op->since)))
		return -ENOTTY;   /* -ENOIOCTLCMD, as the VFS reports it */
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ret = iommufd_copy_struct_from_user(p, buf, op->size, arg, ucmd.user_size);
	if (ret)
		return ret;
	ucmd.cmd = buf;
	ret = op->execute(&ucmd);
	return ret;
}

/* ---- the file ---- */

static void iommufd_fops_release(struct sim_file *f)
{
	struct iommufd_ctx *ictx = f->private_data;
	bool progress = true;

	/* destroy what nothing else holds, until nothing is left */
	while (ictx->objects.count && progress) {
		progress = false;
		for (uint32_t id = 1; id < sim_ids_end(&ictx->objects); id++) {
			struct iommufd_object *obj = sim_ids_find(&ictx->objects, id);

			if (obj && obj->users == 1) {
				iommufd_object_destroy_user(obj);
				progress = true;
			}
		}
	}
	sim_ids_destroy(&ictx->objects);
	g_ptr_array_free(ictx->groups, TRUE);
	g_ptr_array_remove(ictx->st->ctxs, ictx);
	g_free(ictx);
}

static long iommufd_fops_rw(struct sim_file *f, struct sim_proc *p, void *buf, size_t n,
			    uint64_t off)
{
	(void)f; (void)p; (void)buf; (void)n; (void)off;
	return -EINVAL;   /* no read/write fops: vfs_read/vfs_write */
}

static long iommufd_fops_write(struct sim_file *f, struct sim_proc *p, const void *buf,
			       size_t n, uint64_t off)
{
	(void)f; (void)p; (void)buf; (void)n; (void)off;
	return -EINVAL;
}

static const struct sim_file_ops iommufd_fops = {
	.name = "iommufd",
	.ioctl = iommufd_fops_ioctl,
	.read = iommufd_fops_rw,
	.write = iommufd_fops_write,
	.release = iommufd_fops_release,
};

struct iommufd_ctx *iommufd_ctx_from_file(struct sim_file *f)
{
	return f && f->ops == &iommufd_fops ? f->private_data : NULL;
}

/* iommufd_fops_open */
static int iommufd_fops_open(struct sim_devnode *node, struct sim_proc *p, int oflags,
			     struct sim_file **out)
{
	struct iommufd_state *st = node->priv;
	struct iommufd_ctx *ictx;

	(void)p;
	if (sim_should_fail(st->w, "iommufd_ctx_alloc"))
		return -ENOMEM;
	ictx = g_new0(struct iommufd_ctx, 1);
	ictx->st = st;
	ictx->w = st->w;
	ictx->serial = ++st->next_ctx;
	ictx->account_mode = IOPT_PAGES_ACCOUNT_USER;
	sim_ids_init(&ictx->objects);
	ictx->groups = g_ptr_array_new();
	*out = sim_file_new(st->w, &iommufd_fops, ictx, oflags, node->path);
	if (!*out) {
		sim_ids_destroy(&ictx->objects);
		g_ptr_array_free(ictx->groups, TRUE);
		g_free(ictx);
		return -ENOMEM;
	}
	ictx->file = *out;
	g_ptr_array_add(st->ctxs, ictx);
	SIM_TRACE(st->w, iommufd_open, (unsigned long long)ictx->serial);
	return 0;
}

static const struct sim_devnode_ops iommufd_node_ops = { .open = iommufd_fops_open };

static void iommufd_state_destroy(void *data)
{
	struct iommufd_state *st = data;

	g_array_free(st->users, TRUE);
	g_ptr_array_free(st->ctxs, TRUE);
	g_free(st);
}

bool iommufd_vfio_container(struct sim_world *w)
{
	struct iommufd_state *st = sim_world_subsys(w, SIM_SUBSYS_IOMMUFD);

	return st && st->vfio_container;
}

/* /dev/vfio/vfio opened from iommufd's misc device "vfio" */
static int iommufd_vfio_fops_open(struct sim_devnode *node, struct sim_proc *p, int oflags,
				  struct sim_file **out)
{
	int ret = iommufd_fops_open(node, p, oflags, out);

	/* VFIO's accounting: the mm's locked_vm */
	if (!ret)
		((struct iommufd_ctx *)(*out)->private_data)->account_mode = IOPT_PAGES_ACCOUNT_MM;
	return ret;
}

static const struct sim_devnode_ops iommufd_vfio_node_ops = { .open = iommufd_vfio_fops_open };

int iommufd_create(struct sim_world *w, bool enabled, bool vfio_container)
{
	struct iommufd_state *st;
	int ret;

	/* iommufd was merged in v6.2 */
	if (!enabled || sim_kernel_before(w, 6, 2))
		return vfio_container ? -EINVAL : 0;
	st = g_new0(struct iommufd_state, 1);
	st->w = w;
	st->users = g_array_new(FALSE, FALSE, sizeof(struct iommufd_user));
	st->ctxs = g_ptr_array_new();
	sim_world_set_subsys(w, SIM_SUBSYS_IOMMUFD, st, iommufd_state_destroy);
	ret = sim_devnode_add(w, IOMMUFD_PATH, 0, 0, 0660, &iommufd_node_ops, st);
	if (!ret && vfio_container) {
		/* vfio_misc_dev: "vfio/vfio", S_IRUGO | S_IWUGO */
		st->vfio_container = true;
		ret = sim_devnode_add(w, "/dev/vfio/vfio", 0, 0, 0666, &iommufd_vfio_node_ops, st);
	}
	return ret;
}
