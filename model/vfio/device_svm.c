/* SPDX-License-Identifier: MIT */
/*
 * Seed 003's proposal (the 2017 RFC), profile vfio.sva_abi: bind-task-2017:
 * VFIO_DEVICE_BIND_TASK / VFIO_DEVICE_UNBIND_TASK on a vfio-pci device fd
 * bind a task's address space to that one device (vfio_svm_ioctl).
 *
 *  - minsz is offsetofend(struct vfio_device_svm, pid): the change the
 *    review pointed at (userspace built against the previous patch, whose
 *    minsz ended at @pasid, now fails with EINVAL), then argsz < minsz is
 *    EINVAL.
 *  - BIND_TASK: flags other than VFIO_SVM_PID are EINVAL (the previous
 *    patch never validated them); with VFIO_SVM_PID the task is found by
 *    pid (ESRCH), referenced (get_task_struct), and checked with mm_access
 *    (PTRACE_MODE_ATTACH_REALCREDS: its error, or ESRCH without an mm);
 *    else the caller.  The bind itself (iommu_bind_task), then
 *    put_task_struct.  As posted, the mm_access failure returns without
 *    put_task_struct (vfio.rfc_task_leak: true) - the leak Tomasz's review
 *    found and Jean-Philippe confirmed; the run's end names it.
 *  - The PASID is unique to the device: the lowest the device has free
 *    (its own space, not a global one); the task bound again on the same
 *    device gets its PASID back.  The SVA core of the time bound groups of
 *    one device (EINVAL otherwise).
 *  - UNBIND_TASK removes the bond with that PASID (the seed shows no code
 *    for it: here EINVAL when the device has none); the last close of the
 *    device removes every bond; the task's exit blocks its PASID, whose
 *    bond stays until then ("must be removed ... before exiting").
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

#define HOLDER "vfio_svm_ioctl"

struct svm_bond {
	uint32_t pasid;
	struct iommu_domain *domain;  /* the task's mm as stage 1, at (device, pasid) */
};

static struct svm_bond *bond_of_pasid(struct vfio_pci_device *vdev, uint32_t pasid)
{
	for (guint i = 0; vdev->svm_bonds && i < vdev->svm_bonds->len; i++) {
		struct svm_bond *b = g_ptr_array_index(vdev->svm_bonds, i);

		if (b->pasid == pasid)
			return b;
	}
	return NULL;
}

static void bond_free(struct vfio_pci_device *vdev, struct svm_bond *b)
{
	iommu_detach_device_pasid(b->domain, vdev->pdev, b->pasid);
	iommu_domain_free(b->domain);
	g_ptr_array_remove(vdev->svm_bonds, b);
	g_free(b);
}

/* iommu_bind_task of the 2017 series, on this model's SVA domains. */
static int bind_task(struct vfio_pci_device *vdev, struct sim_proc *task, uint32_t *pasid)
{
	struct pci_dev *dev = vdev->pdev;
	unsigned bits = iommu_device_pasid_bits(dev);
	struct iommu_domain *d;
	struct svm_bond *b;
	struct sim_mm *mm;
	uint32_t id;
	int ret;

	if (!dev->group || dev->group->ndevices != 1)
		return -EINVAL;
	if ((ret = iommu_sva_enable(dev)))
		return ret;
	if (!(mm = task->mm) || !sim_mm_get_user(mm))      /* get_task_mm */
		return -EINVAL;
	for (guint i = 0; vdev->svm_bonds && i < vdev->svm_bonds->len; i++) {
		b = g_ptr_array_index(vdev->svm_bonds, i);
		if (b->domain->mm == mm && !b->domain->mm_released) {
			*pasid = b->pasid;                /* bound already */
			sim_mm_exit(mm);
			return 0;
		}
	}
	/* the device's lowest free PASID */
	for (id = 1; bits && id < (1u << bits) && bond_of_pasid(vdev, id); id++)
		;
	ret = -ENOSPC;
	if (!bits || id >= (1u << bits))
		goto out;
	if ((ret = iommu_domain_alloc_sva(dev, mm, &d)))
		goto out;
	d->sva_device_pasid = true;
	if ((ret = iommu_attach_device_pasid(d, dev, id))) {
		iommu_domain_free(d);
		goto out;
	}
	b = g_new0(struct svm_bond, 1);
	b->pasid = id;
	b->domain = d;
	if (!vdev->svm_bonds)
		vdev->svm_bonds = g_ptr_array_new();
	g_ptr_array_add(vdev->svm_bonds, b);
	*pasid = id;
out:
	sim_mm_exit(mm);
	return ret;
}

static long do_bind(struct vfio_pci_device *vdev, struct sim_proc *p, unsigned long arg,
		    struct vfio_device_svm *svm)
{
	struct sim_world *w = vdev->vfio->w;
	struct sim_proc *task;
	struct sim_mm *mm;
	int ret;

	if (svm->flags & ~VFIO_SVM_PID)
		return -EINVAL;
	if (svm->flags & VFIO_SVM_PID) {
		task = sim_proc_find(w, (int)svm->pid);
		if (!task || task->exited)
			return -ESRCH;
		sim_task_get(task, HOLDER);
		ret = sim_mm_access(p, task, &mm);
		if (ret || !mm) {
			/* as posted, this return forgot put_task_struct */
			if (!vdev->vfio->params.rfc_task_leak)
				sim_task_put(task, HOLDER);
			return ret ? ret : -ESRCH;
		}
		sim_mm_exit(mm);                     /* mmput */
	} else {
		task = sim_task_get(p, HOLDER);      /* get_task_struct(current) */
	}
	ret = bind_task(vdev, task, &svm->pasid);
	sim_task_put(task, HOLDER);
	if (ret)
		return ret;
	if (sim_copy_to_user(p, arg, svm, sizeof(*svm)))
		return -EFAULT;
	return 0;
}

long vfio_device_svm_ioctl(struct vfio_pci_device *vdev, struct sim_proc *p, unsigned int cmd,
			   unsigned long arg)
{
	size_t minsz = offsetof(struct vfio_device_svm, pid) + sizeof(uint32_t);
	struct vfio_device_svm svm;
	struct svm_bond *b;
	long ret;

	if (vdev->vfio->params.sva_abi != VFIO_SVA_BIND_TASK_2017)
		return -ENOTTY;
	if (sim_copy_from_user(p, &svm, arg, minsz))
		return -EFAULT;
	if (svm.argsz < minsz)
		return -EINVAL;
	if (cmd == VFIO_DEVICE_BIND_TASK) {
		ret = do_bind(vdev, p, arg, &svm);
		SIM_TRACE(vdev->vfio->w, vfio_svm_bind, vdev->pdev->name,
			  svm.flags & VFIO_SVM_PID ? (int)svm.pid : 0,
			  ret ? IOMMU_PASID_INVALID : svm.pasid, (int)ret);
		return ret;
	}
	b = bond_of_pasid(vdev, svm.pasid);
	SIM_TRACE(vdev->vfio->w, vfio_svm_unbind, vdev->pdev->name, svm.pasid, b ? 0 : -EINVAL);
	if (!b)
		return -EINVAL;
	bond_free(vdev, b);
	return 0;
}

void vfio_device_svm_release(struct vfio_pci_device *vdev)
{
	while (vdev->svm_bonds && vdev->svm_bonds->len)
		bond_free(vdev, g_ptr_array_index(vdev->svm_bonds, 0));
	if (vdev->svm_bonds)
		g_ptr_array_free(vdev->svm_bonds, TRUE);
	vdev->svm_bonds = NULL;
}
