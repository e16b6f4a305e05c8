/* SPDX-License-Identifier: MIT */
/*
 * Seed 000's proposal (2018), profile vfio.sva_abi: bind-process-2018:
 * VFIO_IOMMU_BIND / VFIO_IOMMU_UNBIND with mode VFIO_IOMMU_BIND_PROCESS on
 * a type1 container binds a process address space to every device of every
 * group in the container (vfio_iommu_type1_bind_process).  Written from the
 * patch's description of each step; the SVA core under it is mainline's
 * (model/iommu/sva.h), whose one PASID per mm is the proposal's too.
 *
 *  - The container keeps a list of bound address spaces (vfio_mm); a
 *    process bound again gets its PASID back.
 *  - Each group is bound through the SVA core, its devices' SVA enabled
 *    once (vfio_iommu_sva_init); a failure unbinds what the call bound.
 *  - A group attached later is bound to every listed mm that is still
 *    alive (vfio_iommu_replay_bind); a failure fails the attach.
 *  - A group's detach removes its bonds (vfio_iommu_sva_shutdown); when
 *    the last domain goes, the list is emptied (vfio_iommu_free_all_mm).
 *  - The mm-exit handler (vfio_iommu_mm_exit) only forgets the mm: the
 *    entry, with its stale PASID, stays until the group or container goes.
 *    As in the 2018 SVA core, the exit also removes the mm's bonds, so
 *    its PASID goes back to the space, free for another process: which is
 *    why UNBIND finds the entry by the mm the pid resolves to, never by
 *    PASID (the patch's comment).
 *  - The bond is the device's: a child forked with the container and
 *    device fds inherits R/W access to every bound address space; exec
 *    closes the device fd (O_CLOEXEC).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/trace.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/sva.h"
#include "model/vfio/vfio_private.h"
#include "iommusim/uapi/vfio_sva.h"

/* One bound address space of the container (struct vfio_mm). */
struct vfio_mm {
	struct sim_mm *mm;           /* NULL once it exited (vfio_iommu_mm_exit) */
	uint32_t pasid;              /* IOMMU_PASID_INVALID before the first bind */
	GPtrArray *bonds;            /* struct vfio_bond *: the SVA core's, per device */
	struct sim_mmu_notifier mn;  /* the mm-exit handler */
	struct vfio_iommu *iommu;
};

struct vfio_bond {
	struct iommu_group *group;
	struct iommu_sva *h;
};

static struct vfio_mm *mn_vfio_mm(struct sim_mmu_notifier *mn)
{
	return (struct vfio_mm *)((char *)mn - offsetof(struct vfio_mm, mn));
}

static void unbind_bond(struct vfio_bond *b)
{
	iommu_sva_unbind_device(b->h);
	g_free(b);
}

/* The group's bonds of @vm go (vfio_iommu_unbind_group). */
static void unbind_group(struct vfio_mm *vm, struct iommu_group *ig)
{
	for (guint i = 0; i < vm->bonds->len;) {
		struct vfio_bond *b = g_ptr_array_index(vm->bonds, i);

		if (b->group == ig) {
			g_ptr_array_remove_index(vm->bonds, i);
			unbind_bond(b);
		} else {
			i++;
		}
	}
}

static void unbind_all(struct vfio_mm *vm)
{
	while (vm->bonds->len)
		unbind_bond(g_ptr_array_steal_index(vm->bonds, vm->bonds->len - 1));
}

/* vfio_iommu_mm_exit, with the 2018 SVA core's unbind of the exiting mm's
 * bonds (its PASID is free after that). */
static void vm_exit(struct sim_mmu_notifier *mn, struct sim_mm *mm)
{
	struct vfio_mm *vm = mn_vfio_mm(mn);

	(void)mm;
	unbind_all(vm);
	vm->mm = NULL;
	SIM_TRACE(vm->iommu->vfio->w, vfio_sva_mm_exit, vm->pasid);
}

static const struct sim_mmu_notifier_ops vm_ops = { .release = vm_exit };

static void vfio_mm_free(struct vfio_mm *vm)
{
	unbind_all(vm);
	if (vm->mm)
		sim_mmu_notifier_unregister(vm->mm, &vm->mn);
	g_ptr_array_free(vm->bonds, TRUE);
	g_free(vm);
}

/* vfio_iommu_bind_group: SVA on the group's devices (once), then the
 * group's bind; its PASID must be the one @vm has (WARN_ON: EFAULT). */
static int bind_group(struct iommu_group *ig, struct vfio_mm *vm)
{
	struct iommu_sva *h;
	struct vfio_bond *b;
	int ret;

	for (size_t i = 0; i < ig->ndevices; i++)
		if ((ret = iommu_sva_enable(ig->devices[i])))
			return ret;
	/* the 2018 core's iommu_sva_bind_group binds a group of one device */
	if (ig->ndevices != 1)
		return -EINVAL;
	h = iommu_sva_bind_device(ig->devices[0], vm->mm, &ret);
	if (!h)
		return ret;
	if (vm->pasid != IOMMU_PASID_INVALID && iommu_sva_get_pasid(h) != vm->pasid) {
		iommu_sva_unbind_device(h);
		return -EFAULT;
	}
	vm->pasid = iommu_sva_get_pasid(h);
	b = g_new0(struct vfio_bond, 1);
	b->group = ig;
	b->h = h;
	g_ptr_array_add(vm->bonds, b);
	return 0;
}

/* vfio_iommu_get_mm_by_vpid, or the caller's own mm (get_task_mm): a user
 * reference on it, or an error (ESRCH, EACCES, EINVAL). */
static int resolve_mm(struct vfio_iommu *iommu, struct sim_proc *p,
		      const struct vfio_iommu_type1_bind_process *params, struct sim_mm **mm)
{
	struct sim_proc *task;
	int ret;

	if (params->flags & VFIO_IOMMU_BIND_PID) {
		task = sim_proc_find(iommu->vfio->w, params->pid);
		if (!task || task->exited)
			return -ESRCH;
		sim_task_get(task, "vfio_iommu_get_mm_by_vpid");
		ret = sim_mm_access(p, task, mm);
		sim_task_put(task, "vfio_iommu_get_mm_by_vpid");
		if (ret)
			return ret;
		return *mm ? 0 : -ESRCH;
	}
	*mm = p && p->mm && sim_mm_get_user(p->mm) ? p->mm : NULL;
	return *mm ? 0 : -EINVAL;
}

static struct vfio_mm *find_vm(struct vfio_iommu *iommu, struct sim_mm *mm)
{
	for (guint i = 0; iommu->mm_list && i < iommu->mm_list->len; i++) {
		struct vfio_mm *vm = g_ptr_array_index(iommu->mm_list, i);

		if (vm->mm == mm)
			return vm;
	}
	return NULL;
}

/* The argument's header and process data: the ioctl's checks in order. */
static int read_args(struct sim_proc *p, unsigned long arg,
		     struct vfio_iommu_type1_bind_process *params)
{
	struct vfio_iommu_type1_bind bind;
	size_t minsz = offsetof(struct vfio_iommu_type1_bind, mode) + sizeof(bind.mode);

	if (sim_copy_from_user(p, &bind, arg, minsz))
		return -EFAULT;
	if (bind.argsz < minsz)
		return -EINVAL;
	if (bind.mode != VFIO_IOMMU_BIND_PROCESS)
		return -EINVAL;
	if (bind.argsz < sizeof(bind) + sizeof(*params))
		return -EINVAL;
	if (sim_copy_from_user(p, params, arg + sizeof(bind), sizeof(*params)))
		return -EFAULT;
	if (params->flags & ~VFIO_IOMMU_BIND_PID)
		return -EINVAL;
	return 0;
}

static long bind_process(struct vfio_iommu *iommu, struct sim_proc *p, unsigned long arg)
{
	struct vfio_iommu_type1_bind_process params;
	unsigned long out = arg + sizeof(struct vfio_iommu_type1_bind);
	struct sim_mm *mm;
	struct vfio_mm *vm;
	long ret;

	if ((ret = read_args(p, arg, &params)) || (ret = resolve_mm(iommu, p, &params, &mm)))
		return ret;
	if (!iommu->domains->len) {            /* !IS_IOMMU_CAP_DOMAIN_IN_CONTAINER */
		ret = -EINVAL;
		goto out;
	}
	if ((vm = find_vm(iommu, mm))) {        /* bound already: its PASID */
		params.pasid = vm->pasid;
		ret = sim_copy_to_user(p, out, &params, sizeof(params)) ? -EFAULT : 0;
		goto out;
	}
	if (sim_should_fail(iommu->vfio->w, "vfio_mm_alloc")) {
		ret = -ENOMEM;
		goto out;
	}
	vm = g_new0(struct vfio_mm, 1);
	vm->mm = mm;
	vm->pasid = IOMMU_PASID_INVALID;
	vm->bonds = g_ptr_array_new();
	vm->iommu = iommu;
	for (guint i = 0; i < iommu->domains->len && !ret; i++) {
		struct vfio_domain *d = g_ptr_array_index(iommu->domains, i);

		for (guint j = 0; j < d->groups->len && !ret; j++)
			ret = bind_group(g_ptr_array_index(d->groups, j), vm);
	}
	if (ret) {                              /* undo every bind that succeeded */
		vfio_mm_free(vm);
		goto out;
	}
	vm->mn.ops = &vm_ops;
	sim_mmu_notifier_register(mm, &vm->mn);
	if (!iommu->mm_list)
		iommu->mm_list = g_ptr_array_new();
	g_ptr_array_insert(iommu->mm_list, 0, vm);    /* list_add */
	params.pasid = vm->pasid;
	if (sim_copy_to_user(p, out, &params, sizeof(params))) {
		g_ptr_array_remove_index(iommu->mm_list, 0);
		vfio_mm_free(vm);
		ret = -EFAULT;
	}
out:
	SIM_TRACE(iommu->vfio->w, vfio_sva_bind, params.flags & VFIO_IOMMU_BIND_PID ? params.pid : 0,
		  ret ? IOMMU_PASID_INVALID : params.pasid, (int)ret);
	sim_mm_exit(mm);                        /* mmput */
	return ret;
}

static long unbind_process(struct vfio_iommu *iommu, struct sim_proc *p, unsigned long arg)
{
	struct vfio_iommu_type1_bind_process params;
	struct sim_mm *mm;
	struct vfio_mm *vm;
	long ret;

	if ((ret = read_args(p, arg, &params)) || (ret = resolve_mm(iommu, p, &params, &mm)))
		return ret;
	/* never by PASID: the process may have died and its PASID gone to
	 * another; the mm the pid resolves to now is the one to unbind */
	ret = -ESRCH;
	if ((vm = find_vm(iommu, mm))) {
		g_ptr_array_remove(iommu->mm_list, vm);
		vfio_mm_free(vm);
		ret = 0;
	}
	SIM_TRACE(iommu->vfio->w, vfio_sva_unbind, params.flags & VFIO_IOMMU_BIND_PID ?
		  params.pid : 0, (int)ret);
	sim_mm_exit(mm);
	return ret;
}

long vfio_iommu_type1_sva_ioctl(struct vfio_iommu *iommu, struct sim_proc *p, unsigned int cmd,
				unsigned long arg)
{
	if (iommu->vfio->params.sva_abi != VFIO_SVA_BIND_PROCESS_2018)
		return -ENOTTY;
	return cmd == VFIO_IOMMU_BIND ? bind_process(iommu, p, arg) : unbind_process(iommu, p, arg);
}

int vfio_iommu_type1_sva_replay(struct vfio_iommu *iommu, struct iommu_group *ig)
{
	GPtrArray *l = iommu->mm_list;
	int ret = 0;

	for (guint i = 0; l && i < l->len && !ret; i++) {
		struct vfio_mm *vm = g_ptr_array_index(l, i);

		/* vfio_mm_get: skip an mm that exited */
		if (!vm->mm || !sim_mm_get_user(vm->mm))
			continue;
		ret = bind_group(ig, vm);
		sim_mm_exit(vm->mm);
	}
	if (ret)                                /* what this replay bound goes */
		for (guint i = 0; l && i < l->len; i++)
			unbind_group(g_ptr_array_index(l, i), ig);
	return ret;
}

void vfio_iommu_type1_sva_detach(struct vfio_iommu *iommu, struct iommu_group *ig)
{
	for (guint i = 0; iommu->mm_list && i < iommu->mm_list->len; i++)
		unbind_group(g_ptr_array_index(iommu->mm_list, i), ig);
}

void vfio_iommu_type1_sva_free_all(struct vfio_iommu *iommu)
{
	while (iommu->mm_list && iommu->mm_list->len)
		vfio_mm_free(g_ptr_array_steal_index(iommu->mm_list, 0));
	if (iommu->mm_list)
		g_ptr_array_free(iommu->mm_list, TRUE);
	iommu->mm_list = NULL;
}
