/* SPDX-License-Identifier: MIT */
/*
 * vIOMMU and vDEVICE objects (drivers/iommu/iommufd/viommu.c, since 6.13)
 * and SMMUv3's nesting through them (the driver's arm-smmu-v3-iommufd.c):
 *
 *   IOMMU_VIOMMU_ALLOC   a vIOMMU over a NEST_PARENT paging HWPT: the
 *                        guest's SMMU, whose VMID is the parent's
 *   IOMMU_VDEVICE_ALLOC  a device as the guest names it: its virtual
 *                        StreamID, unique per vIOMMU, one per device
 *   IOMMU_HWPT_ALLOC     with pt_id a vIOMMU: a nested HWPT holding the
 *                        guest's STE (IOMMU_HWPT_DATA_ARM_SMMUV3), which
 *                        the driver validates (arm_smmu_validate_vste: EIO
 *                        for any bit or Config it does not take)
 *   IOMMU_HWPT_INVALIDATE on a vIOMMU: the guest's own SMMU commands, the
 *                        VMID forced to the vIOMMU's and each virtual
 *                        StreamID replaced by the physical one
 *
 * The guest owns its CD table: attached, the nested HWPT programs a nested
 * STE whose S1ContextPtr is the guest's IPA, and the hardware reads the CDs
 * through the parent's stage 2 (hw_ctx_smmuv3.c), so a guest can reach no
 * memory its stage 2 does not map.  The other kinds have no vIOMMU here
 * (no get_viommu_size op): EOPNOTSUPP.  docs/nesting.md "SMMUv3".
 */
#include <errno.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/world.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/pci/pci.h"
#include "model/iommufd/iommufd_private.h"
#include "iommusim/uapi/iommufd.h"

/* arm-smmu-v3.h: the STE fields a guest may set (STRTAB_STE_0/1_NESTING_ALLOWED) */
#define STE_0_V                 1ull
#define STE_0_CFG_SHIFT         1
#define STE_0_CFG_MASK          (7ull << STE_0_CFG_SHIFT)
#define STE_CFG_ABORT           0u
#define STE_CFG_BYPASS          4u
#define STE_CFG_S1_TRANS        5u
#define STE_0_NESTING_ALLOWED   0xf80fffffffffffffull
#define STE_1_NESTING_ALLOWED   0x380000ffull
#define STE_1_EATS_SHIFT        28
#define STE_1_EATS_MASK         (3ull << STE_1_EATS_SHIFT)
#define EATS_ABT                0u
#define EATS_TRANS              1u

/* the command queue (CMDQ_0_OP and the fields the conversion touches) */
#define CMDQ_0_OP               0xffull
#define CMDQ_OP_CFGI_CD         0x05u
#define CMDQ_OP_CFGI_CD_ALL     0x06u
#define CMDQ_OP_TLBI_NH_ALL     0x10u
#define CMDQ_OP_TLBI_NH_ASID    0x11u
#define CMDQ_OP_TLBI_NH_VA      0x12u
#define CMDQ_OP_TLBI_NH_VAA     0x13u
#define CMDQ_OP_TLBI_NSNH_ALL   0x30u
#define CMDQ_OP_ATC_INV         0x40u
#define CMDQ_TLBI_0_VMID_SHIFT  32
#define CMDQ_TLBI_0_VMID        (0xffffull << CMDQ_TLBI_0_VMID_SHIFT)
#define CMDQ_TLBI_0_ASID_SHIFT  48
#define CMDQ_TLBI_1_VA_MASK     (~0xfffull)
#define CMDQ_CFGI_0_SID_SHIFT   32
#define CMDQ_CFGI_0_SID         (0xffffffffull << CMDQ_CFGI_0_SID_SHIFT)
#define CMDQ_0_SSID_SHIFT       12               /* CFGI_0_SSID, ATC_0_SSID: 31:12 */
#define CMDQ_0_SSID_MASK        0xfffffu
#define CMDQ_ATC_0_SSV          (1ull << 11)
#define CMDQ_ATC_1_SIZE_MASK    0x3full
#define CMDQ_ATC_1_ADDR_MASK    (~0xfffull)
#define ATC_INV_SIZE_ALL        52u
/* arm_smmu_cmdq_issue_cmdlist takes batches of CMDQ_BATCH_ENTRIES - 1
 * (BITS_PER_LONG) and a CMD_SYNC */
#define CMDQ_BATCH_ENTRIES      64u
/* KMALLOC_MAX_SIZE: kcalloc of more fails */
#define KMALLOC_MAX_SIZE        (4ull << 20)

static gint vid_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	(void)unused;
	return x < y ? -1 : x > y;
}

/* ---- vIOMMU ---- */

static void viommu_destroy(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu = (struct iommufd_viommu *)obj;

	/* iommufd_viommu_destroy: the parent's reference; no vDEVICE is left
	 * (each holds the vIOMMU) */
	if (viommu->hwpt)
		viommu->hwpt->obj.users--;
	g_tree_destroy(viommu->vdevs);
	g_free(viommu);
}

/* arm_smmu_get_viommu_size: the SMMU must have nesting (IDR0.S1P and S2P:
 * FEAT_NESTING); the model's SMMU is coherent with S2FWB, so the
 * canwbs / S2FWB condition holds; only the ARM_SMMUV3 type (no impl ops:
 * no Tegra241 CMDQV). */
static bool viommu_supported(struct sim_world *w, const struct iommufd_device *idev,
			     uint32_t type)
{
	const struct iommu_hw_config *hc = iommu_hw_config(w);

	return !idev->mock && hc && hc->kind == IOMMU_HW_SMMUV3 && !hc->no_nesting &&
	       type == IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
}

/*
 * iommufd_viommu_alloc_ioctl: flags, or the DEFAULT type, EOPNOTSUPP; the
 * device (ENOENT); a driver without a vIOMMU of that type EOPNOTSUPP; the
 * HWPT a paging one (ENOENT) and a NEST_PARENT (EINVAL); then
 * arm_vsmmu_init: a parent of another SMMU (the selftest's mock domain)
 * EINVAL, and the VMID is the parent's.
 */
int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	if (!viommu_supported(ucmd->ictx->w, idev, cmd->type)) {
		rc = -EOPNOTSUPP;
		goto out_put_idev;
	}
	hwpt = (struct iommufd_hw_pagetable *)iommufd_get_object(ucmd->ictx, cmd->hwpt_id,
								 IOMMUFD_OBJ_HWPT_PAGING);
	if (!hwpt) {
		rc = -ENOENT;
		goto out_put_idev;
	}
	if (!hwpt->nest_parent) {
		rc = -EINVAL;
		goto out_put_hwpt;
	}
	if (sim_should_fail(ucmd->ictx->w, "iommufd_viommu_alloc")) {
		rc = -ENOMEM;
		goto out_put_hwpt;
	}
	viommu = g_new0(struct iommufd_viommu, 1);
	viommu->vdevs = g_tree_new_full(vid_cmp, NULL, g_free, NULL);
	rc = iommufd_object_alloc(ucmd->ictx, &viommu->obj, IOMMUFD_OBJ_VIOMMU, viommu_destroy);
	if (rc) {
		g_tree_destroy(viommu->vdevs);
		g_free(viommu);
		goto out_put_hwpt;
	}
	viommu->type = cmd->type;
	viommu->hwpt = hwpt;
	hwpt->obj.users++;
	/* arm_vsmmu_init: s2_parent->smmu != smmu */
	if (iommufd_mock_domain(hwpt->domain)) {
		rc = -EINVAL;
		iommufd_object_abort(&viommu->obj);
		goto out_put_hwpt;
	}
	viommu->vmid = hwpt->domain->did;
	cmd->out_viommu_id = viommu->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		iommufd_object_abort(&viommu->obj);
	else
		iommufd_object_finalize(&viommu->obj);
out_put_hwpt:
	iommufd_put_object(&hwpt->obj);
out_put_idev:
	iommufd_put_object(&idev->obj);
	return rc;
}

/* ---- vDEVICE ---- */

static void vdevice_destroy(struct iommufd_object *obj)
{
	struct iommufd_vdevice *vdev = (struct iommufd_vdevice *)obj;

	/* iommufd_vdevice_abort: out of the vIOMMU's table (only if it is the
	 * one filed there: a virt_id taken by another fails the insert) */
	if (g_tree_lookup(vdev->viommu->vdevs, &vdev->virt_id) == vdev)
		g_tree_remove(vdev->viommu->vdevs, &vdev->virt_id);
	vdev->viommu->obj.users--;
	vdev->idev->vdev = NULL;
	g_free(vdev);
}

/*
 * iommufd_vdevice_alloc_ioctl: the vIOMMU (ENOENT), the device (ENOENT), of
 * another IOMMU instance (EINVAL: the selftest's mock device); a device
 * with a vDEVICE already EEXIST, a virt_id the vIOMMU has EEXIST.
 * (virt_id > ULONG_MAX cannot happen on a 64-bit kernel.)
 */
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	struct iommufd_viommu *viommu;
	struct iommufd_vdevice *vdev;
	struct iommufd_device *idev;
	uint64_t *key;
	int rc;

	viommu = (struct iommufd_viommu *)iommufd_get_object(ucmd->ictx, cmd->viommu_id,
							     IOMMUFD_OBJ_VIOMMU);
	if (!viommu)
		return -ENOENT;
	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (!idev) {
		rc = -ENOENT;
		goto out_put_viommu;
	}
	if (idev->mock) {
		rc = -EINVAL;
		goto out_put_idev;
	}
	if (idev->vdev) {
		rc = -EEXIST;
		goto out_put_idev;
	}
	if (sim_should_fail(ucmd->ictx->w, "iommufd_vdevice_alloc")) {
		rc = -ENOMEM;
		goto out_put_idev;
	}
	vdev = g_new0(struct iommufd_vdevice, 1);
	rc = iommufd_object_alloc(ucmd->ictx, &vdev->obj, IOMMUFD_OBJ_VDEVICE, vdevice_destroy);
	if (rc) {
		g_free(vdev);
		goto out_put_idev;
	}
	vdev->virt_id = cmd->virt_id;
	vdev->viommu = viommu;
	viommu->obj.users++;
	vdev->idev = idev;
	idev->vdev = vdev;
	/* xa_cmpxchg: the virtual ID is the vIOMMU's one device */
	if (g_tree_lookup(viommu->vdevs, &vdev->virt_id)) {
		rc = -EEXIST;
		iommufd_object_abort(&vdev->obj);
		goto out_put_idev;
	}
	key = g_new(uint64_t, 1);
	*key = vdev->virt_id;
	g_tree_insert(viommu->vdevs, key, vdev);
	cmd->out_vdevice_id = vdev->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		iommufd_object_abort(&vdev->obj);
	else
		iommufd_object_finalize(&vdev->obj);
out_put_idev:
	iommufd_put_object(&idev->obj);
out_put_viommu:
	iommufd_put_object(&viommu->obj);
	return rc;
}

/* iommufd_device_remove_vdev: the vDEVICE is destroyed but its id stays
 * taken until the context goes (iommufd_object_tombstone_user): the VMM
 * may still name it, and must not reach a new object by it */
void iommufd_vdevice_remove(struct iommufd_vdevice *vdev)
{
	if (vdev->obj.finalized)
		iommufd_object_tombstone_user(&vdev->obj);
}

/* ---- nested HWPTs over a vIOMMU ---- */

static void hwpt_viommu_destroy(struct iommufd_object *obj)
{
	struct iommufd_hw_pagetable *hwpt = (struct iommufd_hw_pagetable *)obj;

	if (hwpt->domain)
		iommu_domain_free(hwpt->domain);
	if (hwpt->fault)
		hwpt->fault->users--;
	hwpt->viommu->obj.users--;
	g_free(hwpt);
}

/* arm_smmu_validate_vste: V 0 is an abort STE, all zero; otherwise a bit
 * outside the nesting-allowed fields, a Config other than abort, bypass or
 * stage-1 translate, or an EATS other than 0 or full ATS is EIO.  EATS is
 * taken out (the attach sets it); *ats for a translating STE with EATS. */
static int validate_vste(uint64_t ste[2], bool *ats)
{
	unsigned cfg, eats;

	*ats = false;
	if (!(ste[0] & STE_0_V)) {
		ste[0] = ste[1] = 0;
		return 0;
	}
	if ((ste[0] & ~STE_0_NESTING_ALLOWED) || (ste[1] & ~STE_1_NESTING_ALLOWED))
		return -EIO;
	cfg = (unsigned)((ste[0] & STE_0_CFG_MASK) >> STE_0_CFG_SHIFT);
	if (cfg != STE_CFG_ABORT && cfg != STE_CFG_BYPASS && cfg != STE_CFG_S1_TRANS)
		return -EIO;
	eats = (unsigned)((ste[1] & STE_1_EATS_MASK) >> STE_1_EATS_SHIFT);
	ste[1] &= ~STE_1_EATS_MASK;
	if (eats != EATS_ABT && eats != EATS_TRANS)
		return -EIO;
	*ats = cfg == STE_CFG_S1_TRANS && eats == EATS_TRANS;
	return 0;
}

/* arm_vsmmu_alloc_domain_nested: any flag EOPNOTSUPP; the data
 * (iommu_copy_struct_from_user: another type, shorter than ste or longer
 * than the kernel's structure EINVAL - __iommu_copy_struct_from_user's
 * data_len < src_data->len -, unreadable EFAULT); the vSTE. */
static int vsmmu_alloc_domain_nested(struct iommufd_ucmd *ucmd, struct iommufd_viommu *viommu,
				     uint32_t flags, struct iommu_domain **out)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommu_hwpt_arm_smmuv3 arg;
	uint64_t ste[2];
	bool ats;
	int rc;

	if (flags)
		return -EOPNOTSUPP;
	if (cmd->data_type != IOMMU_HWPT_DATA_ARM_SMMUV3 ||
	    cmd->data_len < offsetofend(struct iommu_hwpt_arm_smmuv3, ste) ||
	    cmd->data_len > sizeof(arg))
		return -EINVAL;
	rc = iommufd_copy_struct_from_user(ucmd->p, &arg, sizeof(arg), cmd->data_uptr,
					   cmd->data_len);
	if (rc)
		return rc;
	/* le64 words: this host is little-endian */
	ste[0] = arg.ste[0];
	ste[1] = arg.ste[1];
	rc = validate_vste(ste, &ats);
	if (rc)
		return rc;
	return iommu_domain_alloc_nested_ste(viommu->hwpt->domain, ste, ats, out);
}

/*
 * iommufd_hwpt_alloc's vIOMMU branch: a device of another IOMMU instance
 * (the selftest's mock) EINVAL; then iommufd_viommu_alloc_hwpt_nested:
 * flags beyond FAULT_ID_VALID and ALLOC_PASID, or no data, EOPNOTSUPP; the
 * HWPT holds the vIOMMU, its parent the vIOMMU's HWPT; the driver sees the
 * flags but FAULT_ID_VALID.
 */
int iommufd_viommu_alloc_hwpt_nested(struct iommufd_ucmd *ucmd, struct iommufd_viommu *viommu,
				     const struct iommufd_device *idev,
				     struct iommufd_hw_pagetable **out)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommufd_hw_pagetable *hwpt;
	int rc;

	if (idev->mock)
		return -EINVAL;
	if ((cmd->flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) ||
	    !cmd->data_len)
		return -EOPNOTSUPP;
	if (sim_should_fail(ucmd->ictx->w, "iommufd_hwpt_alloc"))
		return -ENOMEM;
	hwpt = g_new0(struct iommufd_hw_pagetable, 1);
	rc = iommufd_object_alloc(ucmd->ictx, &hwpt->obj, IOMMUFD_OBJ_HWPT_NESTED,
				  hwpt_viommu_destroy);
	if (rc) {
		g_free(hwpt);
		return rc;
	}
	hwpt->viommu = viommu;
	viommu->obj.users++;
	hwpt->parent = viommu->hwpt;
	hwpt->pasid_compat = cmd->flags & IOMMU_HWPT_ALLOC_PASID;
	rc = vsmmu_alloc_domain_nested(ucmd, viommu, cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID,
				       &hwpt->domain);
	if (rc) {
		hwpt->domain = NULL;
		iommufd_object_abort(&hwpt->obj);
		return rc;
	}
	*out = hwpt;
	return 0;
}

/* iommufd_viommu_get_vdev_id: the vIOMMU's vDEVICE of @dev, or NULL */
struct find_dev {
	const struct pci_dev *dev;
	const struct iommufd_vdevice *found;
};

static gboolean find_dev_fn(gpointer key, gpointer value, gpointer data)
{
	const struct iommufd_vdevice *vdev = value;
	struct find_dev *f = data;

	(void)key;
	if (vdev->idev->dev != f->dev)
		return FALSE;
	f->found = vdev;
	return TRUE;
}

static const struct iommufd_vdevice *vdev_of(const struct iommufd_viommu *viommu,
					     const struct pci_dev *dev)
{
	struct find_dev f = { .dev = dev };

	g_tree_foreach(viommu->vdevs, find_dev_fn, &f);
	return f.found;
}

/* arm_smmu_attach_prepare_vmaster, for each device of the group the attach
 * reaches (every device's attach_dev): a translating STE needs the
 * device's vDEVICE on this vIOMMU (ENOENT); abort and bypass do not (the
 * guest's GBPA). */
int iommufd_viommu_attach_check(const struct iommufd_hw_pagetable *hwpt,
				const struct iommufd_device *idev)
{
	struct iommu_group *g = idev->igroup->group;

	if (!hwpt->viommu || iommu_domain_ste_cfg(hwpt->domain) != STE_CFG_S1_TRANS)
		return 0;
	for (size_t i = 0; i < g->ndevices; i++)
		if (!vdev_of(hwpt->viommu, g->devices[i]))
			return -ENOENT;
	return 0;
}

/* ---- the guest's commands (arm_vsmmu_cache_invalidate) ---- */

/* A command as the hardware queue takes it, and the device a StreamID
 * command names (the segment rides along: the SID is the RID). */
struct vsmmu_cmd {
	uint64_t cmd[2];
	uint16_t seg;
};

/* arm_vsmmu_vsid_to_sid: the physical StreamID of the vIOMMU's vDEVICE
 * @vsid (a PCI device has one: its requester id); false when none (EIO) */
static bool vsid_to_sid(const struct iommufd_viommu *viommu, uint32_t vsid, uint16_t *seg,
			uint16_t *sid)
{
	uint64_t key = vsid;
	const struct iommufd_vdevice *vdev = g_tree_lookup(viommu->vdevs, &key);

	if (!vdev || !vdev->idev->dev)
		return false;
	*seg = PCI_SBDF_DOMAIN(vdev->idev->dev->sbdf);
	*sid = (uint16_t)(vdev->idev->dev->sbdf & 0xffff);
	return true;
}

/* arm_vsmmu_convert_user_cmd: the VMID enforced, the SID translated;
 * anything else EIO */
static int convert_cmd(const struct iommufd_viommu *viommu, struct vsmmu_cmd *c)
{
	uint16_t seg, sid;

	switch ((unsigned)(c->cmd[0] & CMDQ_0_OP)) {
	case CMDQ_OP_TLBI_NSNH_ALL:
		c->cmd[0] = CMDQ_OP_TLBI_NH_ALL | (uint64_t)viommu->vmid << CMDQ_TLBI_0_VMID_SHIFT;
		c->cmd[1] = 0;
		break;
	case CMDQ_OP_TLBI_NH_VA:
	case CMDQ_OP_TLBI_NH_VAA:
	case CMDQ_OP_TLBI_NH_ALL:
	case CMDQ_OP_TLBI_NH_ASID:
		c->cmd[0] &= ~CMDQ_TLBI_0_VMID;
		c->cmd[0] |= (uint64_t)viommu->vmid << CMDQ_TLBI_0_VMID_SHIFT;
		break;
	case CMDQ_OP_ATC_INV:
	case CMDQ_OP_CFGI_CD:
	case CMDQ_OP_CFGI_CD_ALL:
		if (!vsid_to_sid(viommu, (uint32_t)(c->cmd[0] >> CMDQ_CFGI_0_SID_SHIFT), &seg, &sid))
			return -EIO;
		c->cmd[0] &= ~CMDQ_CFGI_0_SID;
		c->cmd[0] |= (uint64_t)sid << CMDQ_CFGI_0_SID_SHIFT;
		c->seg = seg;
		break;
	default:
		return -EIO;
	}
	return 0;
}

/* What the SMMU does with one converted command: the model's cache
 * commands.  The IOTLB keys a stage-1 entry by (tag, PASID), an SMMU by
 * (VMID, ASID): an NH_VA names no SSID, so it drops the ASID's entries
 * whole, and an NH_VAA every guest entry of the VMID, as NH_ALL does
 * (IOMMU_INV_IOTLB_VM) - over-invalidations the architecture allows. */
static void hw_cmd(const struct vsmmu_cmd *c, struct iommu_inv_cmd *out)
{
	unsigned op = (unsigned)(c->cmd[0] & CMDQ_0_OP);
	uint16_t vmid = (uint16_t)(c->cmd[0] >> CMDQ_TLBI_0_VMID_SHIFT);
	uint16_t asid = (uint16_t)(c->cmd[0] >> CMDQ_TLBI_0_ASID_SHIFT);
	uint32_t ssid = (uint32_t)(c->cmd[0] >> CMDQ_0_SSID_SHIFT) & CMDQ_0_SSID_MASK;
	uint16_t sid = (uint16_t)(c->cmd[0] >> CMDQ_CFGI_0_SID_SHIFT);
	unsigned size = (unsigned)(c->cmd[1] & CMDQ_ATC_1_SIZE_MASK);

	memset(out, 0, sizeof(*out));
	out->pasid = IOMMU_PASID_NONE;
	switch (op) {
	case CMDQ_OP_TLBI_NH_ASID:
	case CMDQ_OP_TLBI_NH_VA:
		out->type = IOMMU_INV_IOTLB_DOMAIN;
		out->did = IOMMU_GUEST_TAG(vmid, asid);
		break;
	case CMDQ_OP_TLBI_NH_VAA:
	case CMDQ_OP_TLBI_NH_ALL:
		out->type = IOMMU_INV_IOTLB_VM;
		out->did = vmid;
		break;
	case CMDQ_OP_CFGI_CD:
		out->type = IOMMU_INV_PASID_CACHE;
		out->segment = c->seg;
		out->rid = sid;
		out->pasid = ssid;
		break;
	case CMDQ_OP_CFGI_CD_ALL:
		out->type = IOMMU_INV_PASID_CACHE;
		out->segment = c->seg;
		out->rid = sid;
		break;
	case CMDQ_OP_ATC_INV:
		/* 2^SIZE pages from ADDR (aligned to the span); SIZE 52 all */
		out->type = IOMMU_INV_DEVTLB;
		out->segment = c->seg;
		out->rid = sid;
		if (c->cmd[0] & CMDQ_ATC_0_SSV)
			out->pasid = ssid;
		if (size < ATC_INV_SIZE_ALL) {
			out->size = 4096ull << size;
			out->iova = c->cmd[1] & CMDQ_ATC_1_ADDR_MASK & ~(out->size - 1);
		}
		break;
	}
}

/* arm_smmu_cmdq_issue_cmdlist with a CMD_SYNC */
static void issue(struct sim_world *w, const struct vsmmu_cmd *cmds, size_t n)
{
	GArray *q = g_array_sized_new(FALSE, FALSE, sizeof(struct iommu_inv_cmd), (guint)n + 1);
	struct iommu_inv_cmd c;

	for (size_t i = 0; i < n; i++) {
		hw_cmd(&cmds[i], &c);
		g_array_append_val(q, c);
	}
	c = (struct iommu_inv_cmd){ .type = IOMMU_INV_WAIT, .pasid = IOMMU_PASID_NONE };
	g_array_append_val(q, c);
	iommu_hw_invalidate(w, (const struct iommu_inv_cmd *)(void *)q->data, q->len);
	g_array_free(q, TRUE);
}

/* iommu_copy_struct_from_full_user_array: another type, or no entries,
 * EINVAL; entries of the kernel's size in one copy (EFAULT), else each by
 * copy_struct_from_user (E2BIG, EFAULT) */
static int copy_full_array(struct iommufd_ucmd *ucmd, struct vsmmu_cmd *cmds, uint32_t n)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	const size_t ksize = sizeof(struct iommu_viommu_arm_smmuv3_invalidate);
	int rc;

	if (cmd->data_type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 || !n)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		struct iommu_viommu_arm_smmuv3_invalidate u;

		if (cmd->entry_len == ksize)
			rc = sim_copy_from_user(ucmd->p, &u, cmd->data_uptr + (uint64_t)i * ksize,
						ksize) ? -EFAULT : 0;
		else
			rc = iommufd_copy_struct_from_user(ucmd->p, &u, ksize, cmd->data_uptr +
							   (uint64_t)i * cmd->entry_len,
							   cmd->entry_len);
		if (rc)
			return rc;
		/* le64 stored in u64: this host is little-endian */
		cmds[i].cmd[0] = u.cmd[0];
		cmds[i].cmd[1] = u.cmd[1];
	}
	return 0;
}

/*
 * arm_vsmmu_cache_invalidate: the array (kcalloc: ENOMEM past
 * KMALLOC_MAX_SIZE), copied whole, then converted in order and issued in
 * batches of 63 with a sync.  A command that does not convert (EIO) stops
 * it, and what the batch converted before it is never issued - yet
 * entry_num reports every command converted (cur - cmds: the driver's
 * count, not the issued one).
 */
int iommufd_viommu_invalidate(struct iommufd_ucmd *ucmd, struct iommufd_viommu *viommu,
			      uint32_t *done)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	uint32_t n = cmd->entry_num, cur = 0, last = 0;
	struct vsmmu_cmd *cmds;
	int rc;

	/* kcalloc: only past KMALLOC_MAX_SIZE here - no injected failure, as
	 * a guest's invalidation that fails leaves its stale entries for the
	 * checker to report as the guest's (the fail-nth sweeps run every
	 * scenario expecting no report).  It returns before the count is
	 * set: entry_num goes back as the caller gave it. */
	*done = n;
	if ((uint64_t)n * sizeof(struct iommu_viommu_arm_smmuv3_invalidate) > KMALLOC_MAX_SIZE)
		return -ENOMEM;
	*done = 0;
	cmds = g_new0(struct vsmmu_cmd, n ? n : 1);
	rc = copy_full_array(ucmd, cmds, n);
	while (!rc && cur != n) {
		rc = convert_cmd(viommu, &cmds[cur]);
		if (rc)
			break;
		cur++;
		if (cur != n && cur - last != CMDQ_BATCH_ENTRIES - 1)
			continue;
		issue(ucmd->ictx->w, &cmds[last], cur - last);
		last = cur;
	}
	*done = cur;
	g_free(cmds);
	return rc;
}
