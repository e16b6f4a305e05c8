/* SPDX-License-Identifier: MIT */
/*
 * The config space a vfio-pci device shows its user (vfio_pci_config.c),
 * over the function's own configuration space (model/pci/config.c: the
 * device model's layout, or the one synthesized from the topology).
 *
 * At the first open, vfio_config_init copies the standard header into the
 * emulated copy (vconfig), walks the capability list and the extended list
 * of the device and records, byte by byte, which capability each byte
 * belongs to (the config map), as long as the kernel knows the
 * capability's length; one it does not know is taken out of the list the
 * user sees (a hidden first extended capability keeps only its next
 * pointer).  Every access is then chopped into aligned pieces within one
 * dword of one capability and handled by that capability's permission
 * bits: virtualized bits come from vconfig, the others from the device;
 * writable bits go to vconfig when virtualized, to the device otherwise.
 *
 *   header     vendor/device, the INTx-disable bit, CAP_LIST, the BARs (with
 *              the sizing protocol), the ROM BAR, the capability pointer,
 *              interrupt line and pin are virtual; the command register,
 *              cache line size, latency timer and BIST are written through
 *   PM         next, PME_Support, PME_Enable/Status virtual; a write of the
 *              power state in PMCSR moves the function between D0 and D3hot
 *   MSI        next, the low byte of the flags, address and data virtual;
 *              a write of the flags goes to the device with enable cleared
 *              unless MSI is on, and at most as many vectors as are enabled
 *   PCIe       next, FLR, MPS and MRRS virtual; device control (but phantom
 *              functions) and device control 2 (but ARI) written through,
 *              FLR starts a reset when the device has one, MRRS goes to the
 *              device as pcie_set_readrq would set it
 *   AER        the header virtual; status, mask and severity bits the
 *              kernel lets a user change, and the ECRC enables, through
 *   others     (MSI-X, DSN, ...) read from the device with the id and next
 *              pointer virtual; writes dropped (vendor-specific ones go to
 *              the device); the kernel's own bits for VPD, PCI-X and AF are
 *              not modelled, no simulated device has them
 *   gaps       bytes no capability claims go to the device both ways
 *
 * Lengths the kernel computes for capabilities no simulated device has
 * (PCI-X, HyperTransport, SATA, VC, REBAR, DPA, TPH, DVSEC) are not
 * modelled: such a capability would be hidden here and shown by Linux.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "model/pci/pci.h"
#include "model/vfio/vfio_private.h"

#define CFG_COMMAND     0x04
#define CFG_STATUS      0x06
#define CFG_BAR0        0x10
#define CFG_ROM         0x30
#define CFG_CAP_PTR     0x34
#define CFG_INT_PIN     0x3d
#define CFG_HEADER_SIZE 0x40
#define CFG_SPACE_SIZE  0x100
#define CMD_IO          0x0001
#define CMD_MEMORY      0x0002
#define CMD_INTX_DIS    0x0400
#define STATUS_CAP_LIST 0x0010

#define CAP_ID_BASIC    0x00      /* the header, in the config map */
#define CAP_ID_PM       0x01
#define CAP_ID_MSI      0x05
#define CAP_ID_VNDR     0x09
#define CAP_ID_EXP      0x10
#define CAP_ID_MSIX     0x11
#define CAP_ID_AF       0x13
#define CAP_ID_MAX      0x14
#define ECAP_ID_ERR     0x01
#define ECAP_ID_PWR     0x04
#define ECAP_ID_ACS     0x0d
#define ECAP_ID_VNDR    0x0b
#define ECAP_ID_DVSEC   0x23
#define ECAP_ID_MAX     0x2e
#define CAP_ID_INVALID  0xff      /* no capability: raw access */

#define PM_CTRL         4
#define PM_CAP_PME_MASK 0xf800
#define PM_CTRL_STATE   0x0003
#define PM_CTRL_PME_EN  0x0100
#define PM_CTRL_PME_ST  0x8000
#define PM_CAP_D1       0x0200
#define PM_CAP_D2       0x0400
#define MSI_FLAGS       2
#define MSI_FLAGS_ENABLE 0x0001
#define MSI_FLAGS_QMASK 0x000e
#define MSI_FLAGS_QSIZE 0x0070
#define MSI_FLAGS_64BIT 0x0080
#define MSI_FLAGS_MASK  0x0100
#define MSIX_FLAGS_QSIZE 0x07ff
#define EXP_FLAGS       2
#define EXP_DEVCAP      4
#define EXP_DEVCAP_FLR  0x10000000u
#define EXP_DEVCTL      8
#define EXP_DEVCTL_PAYLOAD 0x00e0
#define EXP_DEVCTL_PHANTOM 0x0200
#define EXP_DEVCTL_READRQ  0x7000
#define EXP_DEVCTL_FLR     0x8000
#define EXP_DEVCTL2     0x28
#define EXP_DEVCTL2_ARI 0x0020
#define EXP_TYPE_RC_END 0x9

/* The uncorrectable and correctable error bits a user may change
 * (init_pci_ext_cap_err_perm), and the ECRC enables. */
#define ERR_UNC_USER    0x03fff031u
#define ERR_COR_USER    0x0000f1c1u
#define ERR_CAP_USER    0x00000140u

/* ---- helpers --------------------------------------------------------------- */

static uint32_t vget(const struct vfio_pci_device *vdev, unsigned pos, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)vdev->vconfig[pos + i] << (8 * i);
	return v;
}

static void vput(struct vfio_pci_device *vdev, unsigned pos, unsigned n, uint32_t v)
{
	for (unsigned i = 0; i < n; i++)
		vdev->vconfig[pos + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t phys(const struct vfio_pci_device *vdev, unsigned pos, unsigned n)
{
	return pci_config_read(vdev->pdev, pos, n);
}

static void phys_write(struct vfio_pci_device *vdev, unsigned pos, unsigned n, uint32_t v)
{
	pci_config_write(vdev->pdev, pos, n, v);
}

static uint32_t ones(unsigned n)
{
	return n >= 4 ? UINT32_MAX : (1u << (8 * n)) - 1;
}

/* ---- the permission bits (vfio_pci_init_perm_bits) ------------------------- */

struct perm {
	uint32_t virt, write;
};

static struct perm perm_basic(unsigned rel)
{
	switch (rel) {
	case 0x00:                                   /* vendor, device */
		return (struct perm){ UINT32_MAX, 0 };
	case 0x04:                                   /* command, status */
		return (struct perm){ (uint32_t)STATUS_CAP_LIST << 16 | CMD_INTX_DIS, 0xffff };
	case 0x0c:                                   /* cache line, latency, BIST */
		return (struct perm){ 0, 0xff00ffff };
	case 0x10: case 0x14: case 0x18: case 0x1c: case 0x20: case 0x24:
	case CFG_ROM:                                /* every BAR */
		return (struct perm){ UINT32_MAX, UINT32_MAX };
	case CFG_CAP_PTR:
		return (struct perm){ 0xff, 0 };
	case 0x3c:                                   /* interrupt line, pin */
		return (struct perm){ 0xffff, 0xff };
	default:
		return (struct perm){ 0, 0 };
	}
}

static struct perm perm_pm(unsigned rel)
{
	if (rel == 0)
		return (struct perm){ (uint32_t)PM_CAP_PME_MASK << 16 | 0xff00, 0 };
	if (rel == PM_CTRL) {
		uint32_t virt = PM_CTRL_PME_EN | PM_CTRL_PME_ST;

		return (struct perm){ virt, ~(virt | PM_CTRL_STATE) };
	}
	return (struct perm){ 0, 0 };
}

/* init_pci_cap_msi_perm, by the flags the device has. */
static struct perm perm_msi(uint16_t flags, unsigned rel)
{
	bool is64 = flags & MSI_FLAGS_64BIT, mask = flags & MSI_FLAGS_MASK;
	unsigned data = is64 ? 12 : 8;

	if (rel == 0)
		return (struct perm){ 0x00ffff00, 0x00ff0000 };
	if (rel == 4 || (is64 && rel == 8))
		return (struct perm){ UINT32_MAX, UINT32_MAX };
	if (rel == data)
		return (struct perm){ 0xffff, 0xffff };
	if (mask && (rel == data + 4 || rel == data + 8))
		return (struct perm){ 0, UINT32_MAX };
	return (struct perm){ 0, 0 };
}

static struct perm perm_exp(unsigned rel)
{
	if (rel == 0)
		return (struct perm){ 0xff00, 0 };
	if (rel == EXP_DEVCTL)
		return (struct perm){ EXP_DEVCTL_FLR | EXP_DEVCTL_PAYLOAD | EXP_DEVCTL_READRQ,
				      0xffff & ~EXP_DEVCTL_PHANTOM };
	if (rel == EXP_DEVCTL2)
		return (struct perm){ 0, 0xffff & ~EXP_DEVCTL2_ARI };
	return (struct perm){ 0, 0 };
}

static struct perm perm_err(unsigned rel)
{
	switch (rel) {
	case 0x00:
		return (struct perm){ UINT32_MAX, 0 };
	case 0x04: case 0x08: case 0x0c:              /* uncorrectable status, mask, severity */
		return (struct perm){ 0, ERR_UNC_USER };
	case 0x10: case 0x14:                        /* correctable status, mask */
		return (struct perm){ 0, ERR_COR_USER };
	case 0x18:
		return (struct perm){ 0, ERR_CAP_USER };
	default:
		return (struct perm){ 0, 0 };
	}
}

static struct perm perm_pwr(unsigned rel)
{
	if (rel == 0)
		return (struct perm){ UINT32_MAX, 0 };
	if (rel == 4)
		return (struct perm){ 0, 0xff };     /* the data select */
	return (struct perm){ 0, 0 };
}

/* How an access to capability @id is handled. */
enum cfg_kind {
	KIND_RAW,           /* no capability: straight to the device */
	KIND_DIRECT,        /* read from the device, id/next virtual; no writes */
	KIND_DIRECT_RAW_W,  /* the same, writes straight to the device (vendor caps) */
	KIND_PERM,          /* the permission bits */
};

static enum cfg_kind kind_of(unsigned id, bool ext)
{
	if (id == CAP_ID_INVALID)
		return KIND_RAW;
	if (ext) {
		if (id == ECAP_ID_ERR || id == ECAP_ID_PWR)
			return KIND_PERM;
		return id == ECAP_ID_VNDR || id == ECAP_ID_DVSEC ? KIND_DIRECT_RAW_W : KIND_DIRECT;
	}
	switch (id) {
	case CAP_ID_BASIC:
	case CAP_ID_PM:
	case CAP_ID_MSI:
	case CAP_ID_EXP:
		return KIND_PERM;
	case CAP_ID_VNDR:
		return KIND_DIRECT_RAW_W;
	default:
		return KIND_DIRECT;
	}
}

/* The bits of @n bytes at @rel (within one dword) of capability @id. */
static struct perm perm_of(const struct vfio_pci_device *vdev, unsigned id, bool ext,
			   unsigned start, unsigned rel, unsigned n)
{
	unsigned sh = (rel & 3) * 8, d = rel & ~3u;
	struct perm p;

	if (ext)
		p = id == ECAP_ID_ERR ? perm_err(d) : perm_pwr(d);
	else if (id == CAP_ID_BASIC)
		p = perm_basic(d);
	else if (id == CAP_ID_PM)
		p = perm_pm(d);
	else if (id == CAP_ID_MSI)
		p = perm_msi((uint16_t)phys(vdev, start + MSI_FLAGS, 2), d);
	else
		p = perm_exp(d);
	p.virt = (p.virt >> sh) & ones(n);
	p.write = (p.write >> sh) & ones(n);
	return p;
}

/* ---- the capability lengths (pci_cap_length, vfio_cap_len, ...) ------------ */

static unsigned cap_len(struct vfio_pci_device *vdev, unsigned id, unsigned pos)
{
	uint16_t flags;

	switch (id) {
	case CAP_ID_PM:
		return 8;
	case 0x02:                              /* AGP */
		return 12;
	case 0x03:                              /* VPD */
		return 8;
	case CAP_ID_MSI:
		flags = (uint16_t)phys(vdev, pos + MSI_FLAGS, 2);
		return 10 + (flags & MSI_FLAGS_64BIT ? 4 : 0) + (flags & MSI_FLAGS_MASK ? 10 : 0);
	case CAP_ID_VNDR:
		return phys(vdev, pos + 2, 1);
	case CAP_ID_EXP:
		if (vdev->cfg_size > CFG_SPACE_SIZE)
			vdev->extended_caps = phys(vdev, CFG_SPACE_SIZE, 4) != 0;
		flags = (uint16_t)phys(vdev, pos + EXP_FLAGS, 2);
		if ((flags & 0xf) == 1)
			return ((flags >> 4) & 0xf) == EXP_TYPE_RC_END ? 0xc : 0x14;
		return ((flags >> 4) & 0xf) == EXP_TYPE_RC_END ? 0x2c : 0x3c;
	case CAP_ID_MSIX:
		return 12;
	case CAP_ID_AF:
		return 6;
	default:
		return 0;                       /* hidden */
	}
}

static unsigned ecap_len(const struct vfio_pci_device *vdev, unsigned id, unsigned pos)
{
	switch (id) {
	case ECAP_ID_ERR:
		return 0x2c;                    /* up to the root error command */
	case 0x03:                              /* DSN */
		return 12;
	case ECAP_ID_PWR:
		return 16;
	case ECAP_ID_VNDR:
		return phys(vdev, pos + 4, 4) >> 20;
	case ECAP_ID_ACS:
		return 8;                       /* no egress control vector modelled */
	case 0x0e:                              /* ARI */
	case 0x0f:                              /* ATS */
		return 8;
	case 0x10:                              /* SR-IOV */
		return 64;
	case 0x12:                              /* multicast */
		return 48;
	case 0x13:                              /* PRI */
		return 16;
	case 0x18:                              /* LTR */
		return 8;
	default:
		return 0;                       /* hidden */
	}
}

/* ---- building the view (vfio_config_init) ------------------------------------- */

static void fill(struct vfio_pci_device *vdev, unsigned pos, unsigned len)
{
	for (unsigned i = 0; i < len && pos + i < vdev->cfg_size; i++)
		vdev->vconfig[pos + i] = (uint8_t)phys(vdev, pos + i, 1);
}

static void caps_init(struct vfio_pci_device *vdev)
{
	uint8_t *prev = &vdev->vconfig[CFG_CAP_PTR];
	unsigned pos, loops = (CFG_SPACE_SIZE - CFG_HEADER_SIZE) / 4, caps = 0;

	if (!(phys(vdev, CFG_STATUS, 2) & STATUS_CAP_LIST))
		return;
	pos = phys(vdev, CFG_CAP_PTR, 1);
	while (pos && loops--) {
		unsigned id = phys(vdev, pos, 1), next = phys(vdev, pos + 1, 1);
		unsigned len = id && id <= CAP_ID_MAX ? cap_len(vdev, id, pos) : 0;

		if (!len) {                     /* hidden: skipped over */
			*prev = (uint8_t)next;
			pos = next;
			continue;
		}
		len = MIN(len, CFG_SPACE_SIZE - pos);
		memset(vdev->map + pos, (int)id, len);
		fill(vdev, pos, len);
		if (id == CAP_ID_PM) {          /* vfio_update_pm_vconfig_bytes */
			vput(vdev, pos + 2, 2, vget(vdev, pos + 2, 2) & ~PM_CAP_PME_MASK);
			vput(vdev, pos + PM_CTRL, 2, vget(vdev, pos + PM_CTRL, 2) &
			     ~(PM_CTRL_PME_EN | PM_CTRL_PME_ST));
		}
		prev = &vdev->vconfig[pos + 1];
		pos = next;
		caps++;
	}
	if (!caps)
		vput(vdev, CFG_STATUS, 2, vget(vdev, CFG_STATUS, 2) & ~STATUS_CAP_LIST);
}

static void ecaps_init(struct vfio_pci_device *vdev)
{
	unsigned epos = CFG_SPACE_SIZE, loops, ecaps = 0, prev = 0;

	if (!vdev->extended_caps)
		return;
	loops = (vdev->cfg_size - CFG_SPACE_SIZE) / 4;
	while (loops-- && epos >= CFG_SPACE_SIZE && epos + 4 <= vdev->cfg_size) {
		uint32_t header = phys(vdev, epos, 4);
		unsigned id = header & 0xffff, next = (header >> 20) & 0xffc;
		unsigned len = id <= ECAP_ID_MAX ? ecap_len(vdev, id, epos) : 0;
		bool hidden = false;

		if (!len) {
			if (prev) {             /* not the first: skipped over */
				vput(vdev, prev, 4, (vget(vdev, prev, 4) & ~(0xffcu << 20)) |
				     next << 20);
				epos = next;
				continue;
			}
			len = 4;                /* the first: an anchor, id hidden */
			hidden = true;
		}
		len = MIN(len, vdev->cfg_size - epos);
		memset(vdev->map + epos, (uint8_t)id, len);   /* a byte map, as the kernel's */
		fill(vdev, epos, len);
		if (hidden)
			vput(vdev, epos, 4, vget(vdev, epos, 4) & (0xffcu << 20));
		else
			ecaps++;
		prev = epos;
		epos = next;
	}
	if (!ecaps)
		vput(vdev, CFG_SPACE_SIZE, 4, 0);
}

/* Config space as the first open finds it (vfio_config_init), and what
 * vfio_pci_core_enable reads next: where the MSI-X table is. */
void vfio_config_init(struct vfio_pci_device *vdev)
{
	struct pci_dev *d = vdev->pdev;

	vdev->cfg_size = d->config.size;
	memset(vdev->vconfig, 0, sizeof(vdev->vconfig));
	memset(vdev->map, CAP_ID_BASIC, CFG_HEADER_SIZE);
	memset(vdev->map + CFG_HEADER_SIZE, CAP_ID_INVALID, sizeof(vdev->map) - CFG_HEADER_SIZE);
	fill(vdev, 0, CFG_HEADER_SIZE);
	vdev->bardirty = true;
	vdev->extended_caps = false;
	vdev->msi_cap = (uint8_t)pci_config_find_cap(d, CAP_ID_MSI);
	vdev->msix_cap = (uint8_t)pci_config_find_cap(d, CAP_ID_MSIX);
	vdev->pcie_cap = (uint8_t)pci_config_find_cap(d, CAP_ID_EXP);
	caps_init(vdev);
	ecaps_init(vdev);
	vdev->msix_bar = 0xff;
	vdev->msix_offset = vdev->msix_size = 0;
	if (vdev->msix_cap) {
		uint32_t table = phys(vdev, vdev->msix_cap + 4, 4);

		vdev->msix_bar = table & 7;
		vdev->msix_offset = table & ~7u;
		vdev->msix_size = ((phys(vdev, vdev->msix_cap + 2, 2) & MSIX_FLAGS_QSIZE) + 1) * 16;
	}
}

bool vfio_config_memory_enabled(const struct vfio_pci_device *vdev)
{
	return vdev->power_state < VFIO_PCI_D3HOT && (vget(vdev, CFG_COMMAND, 2) & CMD_MEMORY);
}

/* ---- the header ----------------------------------------------------------------- */

static bool is_bar(unsigned pos)
{
	return (pos >= CFG_BAR0 && pos < CFG_BAR0 + 4 * PCI_NUM_BARS) ||
	       (pos >= CFG_ROM && pos < CFG_ROM + 4);
}

/* vfio_bar_fixup: the BAR sizing rule on the virtual BARs.  (The kernel
 * shows a BAR the host left unassigned as unimplemented; the simulator
 * assigns no addresses, so every BAR with a size counts as assigned.) */
static void bar_fixup(struct vfio_pci_device *vdev)
{
	const struct pci_dev *d = vdev->pdev;

	if (!vdev->bardirty)
		return;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		unsigned off = CFG_BAR0 + 4 * i;
		const struct pci_bar *b = &d->bars[i];
		uint64_t mask;
		uint32_t flags;

		if (!b->size) {
			vput(vdev, off, 4, 0);
			continue;
		}
		mask = ~(b->size - 1);
		flags = b->type == PCI_BAR_IO ? 0x1 : (b->type == PCI_BAR_MEM64 ? 0x4 : 0) |
			(b->prefetchable ? 0x8 : 0);
		vput(vdev, off, 4, (vget(vdev, off, 4) & (uint32_t)mask) | flags);
		if (b->type == PCI_BAR_MEM64 && i + 1 < PCI_NUM_BARS) {
			i++;
			vput(vdev, off + 4, 4, vget(vdev, off + 4, 4) & (uint32_t)(mask >> 32));
		}
	}
	vput(vdev, CFG_ROM, 4, 0);              /* no option ROM */
	vdev->bardirty = false;
}

/* ---- reads and writes (vfio_config_do_rw) ----------------------------------------- */

static unsigned cap_start(const struct vfio_pci_device *vdev, unsigned pos)
{
	unsigned base = pos >= CFG_SPACE_SIZE ? CFG_SPACE_SIZE : CFG_HEADER_SIZE;
	uint8_t id = vdev->map[pos];

	if (id == CAP_ID_BASIC && pos < CFG_HEADER_SIZE)
		return 0;
	while (pos > base && vdev->map[pos - 1] == id)
		pos--;
	return pos;
}

/* vfio_default_config_read */
static uint32_t default_read(const struct vfio_pci_device *vdev, unsigned pos, unsigned n,
			     struct perm p)
{
	uint32_t v = vget(vdev, pos, n);

	if (p.virt != ones(n))
		v = (phys(vdev, pos, n) & ~p.virt) | (v & p.virt);
	return v;
}

/* vfio_default_config_write */
static void default_write(struct vfio_pci_device *vdev, unsigned pos, unsigned n,
			  struct perm p, uint32_t val)
{
	if (!p.write)
		return;
	if (p.write & p.virt)
		vput(vdev, pos, n, (vget(vdev, pos, n) & ~(p.write & p.virt)) |
		     (val & p.write & p.virt));
	if (p.write & ~p.virt) {
		uint32_t v = phys(vdev, pos, n);

		v = (v & ~(p.write & ~p.virt)) | (val & p.write & ~p.virt);
		phys_write(vdev, pos, n, v);
	}
}

/* vfio_direct_config_read: the device, but the capability's id and next
 * pointer (the whole first dword of an extended one) from vconfig. */
static uint32_t direct_read(const struct vfio_pci_device *vdev, unsigned pos, unsigned n,
			    unsigned rel)
{
	uint32_t v = phys(vdev, pos, n), m;

	if (pos >= CFG_SPACE_SIZE) {
		if (rel < 4)
			v = vget(vdev, pos, n);
	} else if (pos >= CFG_HEADER_SIZE) {
		if (rel == 0 && n > 1) {
			m = ones(MIN(n, 2u));
			v = (v & ~m) | (vget(vdev, pos, n) & m);
		} else if (rel == 1) {
			v = (v & ~0xffu) | vdev->vconfig[pos];
		}
	}
	return v;
}

/* vfio_basic_config_write: the command register's decode bits are
 * remembered in vconfig too, and the virtual INTx-disable bit masks and
 * unmasks INTx (vfio_pci_intx_mask / _unmask). */
static void basic_write(struct vfio_pci_device *vdev, unsigned pos, unsigned n, struct perm p,
			uint32_t val)
{
	uint16_t cmd;

	default_write(vdev, pos, n, p, val);
	if (pos == CFG_COMMAND) {
		cmd = (uint16_t)(vget(vdev, CFG_COMMAND, 2) & ~(CMD_MEMORY | CMD_IO));
		vput(vdev, CFG_COMMAND, 2, cmd | ((uint16_t)val & (CMD_MEMORY | CMD_IO)));
	}
	if (pos >= CFG_COMMAND && pos <= CFG_COMMAND + 1) {
		bool dis = vget(vdev, CFG_COMMAND, 2) & CMD_INTX_DIS;

		if (dis && !vdev->virq_disabled) {
			vdev->virq_disabled = true;
			vfio_pci_intx_mask(vdev);
		} else if (!dis && vdev->virq_disabled) {
			vdev->virq_disabled = false;
			vfio_pci_intx_unmask(vdev);
		}
	}
	if (is_bar(pos))
		vdev->bardirty = true;
}

/* vfio_pm_config_write: a write of PMCSR moves the power state
 * (vfio_pci_set_power_state; D1 and D2 only when the device has them). */
static void pm_write(struct vfio_pci_device *vdev, unsigned start, unsigned rel, unsigned n,
		     struct perm p, uint32_t val)
{
	unsigned state = val & PM_CTRL_STATE;
	uint16_t pmc = (uint16_t)phys(vdev, start + 2, 2);

	default_write(vdev, start + rel, n, p, val);
	if (rel != PM_CTRL)
		return;
	if ((state == 1 && !(pmc & PM_CAP_D1)) || (state == 2 && !(pmc & PM_CAP_D2)))
		return;
	vfio_pci_set_power_state(vdev, state);
}

/* vfio_msi_config_write: the flags go to the device with enable cleared
 * unless MSI is on, and Multiple Message Enable at most what was enabled.
 * (vfio_msi_config_read's update of the capability's first word from
 * msi_qmax lands on its id byte, which is read from the device: nothing a
 * user can see, so it is not done here.) */
static void msi_write(struct vfio_pci_device *vdev, unsigned start, unsigned rel, unsigned n,
		      struct perm p, uint32_t val)
{
	uint16_t flags;

	default_write(vdev, start + rel, n, p, val);
	if (!(rel <= MSI_FLAGS && rel + n >= MSI_FLAGS))
		return;
	flags = (uint16_t)vget(vdev, start + MSI_FLAGS, 2);
	if (vdev->irq_type != VFIO_PCI_MSI_IRQ_INDEX)
		flags &= ~MSI_FLAGS_ENABLE;
	if (((flags & MSI_FLAGS_QSIZE) >> 4) > vdev->msi_qmax)
		flags = (uint16_t)((flags & ~MSI_FLAGS_QSIZE) | vdev->msi_qmax << 4);
	vput(vdev, start + MSI_FLAGS, 2, flags);
	phys_write(vdev, start + MSI_FLAGS, 2, flags);
}

/* vfio_exp_config_write: FLR (virtual, always reads 0) resets the function
 * when the device has FLR; a new MRRS goes to the device, no lower than
 * its MPS (pcie_set_readrq). */
static void exp_write(struct vfio_pci_device *vdev, unsigned start, unsigned rel, unsigned n,
		      struct perm p, uint32_t val)
{
	unsigned ctl = start + EXP_DEVCTL;
	uint16_t before = (uint16_t)vget(vdev, ctl, 2) & EXP_DEVCTL_READRQ, now;

	default_write(vdev, start + rel, n, p, val);
	now = (uint16_t)vget(vdev, ctl, 2);
	if (now & EXP_DEVCTL_FLR) {
		vput(vdev, ctl, 2, now & ~EXP_DEVCTL_FLR);
		if (phys(vdev, start + EXP_DEVCAP, 4) & EXP_DEVCAP_FLR)
			vfio_pci_try_reset_function(vdev);
	}
	now = (uint16_t)vget(vdev, ctl, 2) & EXP_DEVCTL_READRQ;
	if (now != before) {
		unsigned rq = 128u << (now >> 12);
		unsigned mps = 128u << ((phys(vdev, ctl, 2) & EXP_DEVCTL_PAYLOAD) >> 5);
		unsigned enc = 0;

		rq = MAX(rq, mps);
		if (rq > 4096)
			return;                 /* pcie_set_readrq: -EINVAL */
		while ((128u << enc) < rq)
			enc++;
		phys_write(vdev, ctl, 2, (phys(vdev, ctl, 2) & ~EXP_DEVCTL_READRQ) | enc << 12);
	}
}

/* vfio_pci_cap_remaining_dword */
static unsigned remaining_dword(const struct vfio_pci_device *vdev, unsigned pos)
{
	unsigned i;

	for (i = 1; (pos + i) % 4 && vdev->map[pos + i] == vdev->map[pos]; i++)
		;
	return i;
}

/* One piece of an access: @n bytes at @pos within one dword and one
 * capability; @val is the value written or gets the value read. */
static void config_piece(struct vfio_pci_device *vdev, unsigned pos, unsigned n, bool write,
			 uint32_t *val)
{
	unsigned id = vdev->map[pos], start, rel;
	bool ext = pos >= CFG_SPACE_SIZE;
	enum cfg_kind kind = kind_of(id, ext);
	struct perm p = { 0, 0 };

	if (kind == KIND_RAW) {
		if (write)
			phys_write(vdev, pos, n, *val);
		else
			*val = phys(vdev, pos, n);
		return;
	}
	start = cap_start(vdev, pos);
	rel = pos - start;
	if (kind != KIND_PERM) {
		if (!write)
			*val = direct_read(vdev, pos, n, rel);
		else if (kind == KIND_DIRECT_RAW_W)
			phys_write(vdev, pos, n, *val);
		return;
	}
	p = perm_of(vdev, id, ext, start, rel, n);
	if (!write) {
		if (!ext && id == CAP_ID_BASIC && is_bar(pos))
			bar_fixup(vdev);
		*val = default_read(vdev, pos, n, p);
		return;
	}
	if (ext)
		default_write(vdev, pos, n, p, *val);
	else if (id == CAP_ID_BASIC)
		basic_write(vdev, pos, n, p, *val);
	else if (id == CAP_ID_PM)
		pm_write(vdev, start, rel, n, p, *val);
	else if (id == CAP_ID_MSI)
		msi_write(vdev, start, rel, n, p, *val);
	else
		exp_write(vdev, start, rel, n, p, *val);
}

/* vfio_pci_config_rw: a range outside config space -> EFAULT; the access
 * is done in pieces as vfio_config_do_rw chops it. */
long vfio_config_rw(struct vfio_pci_device *vdev, void *buf, size_t n, uint64_t pos,
		    bool write)
{
	uint8_t *b = buf;
	size_t done = 0;

	if (pos >= vdev->cfg_size || n > vdev->cfg_size - pos)
		return -EFAULT;
	while (done < n) {
		unsigned at = (unsigned)(pos + done), cnt = (unsigned)MIN(n - done, (size_t)4);
		uint32_t v = 0;

		cnt = MIN(cnt, remaining_dword(vdev, at));
		cnt = cnt >= 4 && !(at % 4) ? 4 : cnt >= 2 && !(at % 2) ? 2 : 1;
		if (write)
			for (unsigned i = 0; i < cnt; i++)
				v |= (uint32_t)b[done + i] << (8 * i);
		config_piece(vdev, at, cnt, write, &v);
		if (!write)
			for (unsigned i = 0; i < cnt; i++)
				b[done + i] = (uint8_t)(v >> (8 * i));
		done += cnt;
	}
	return (long)n;
}

/* vfio_pci_get_irq_count: the pin from vconfig, the vector counts from the
 * device's MSI and MSI-X capabilities. */
unsigned vfio_pci_irq_count(const struct vfio_pci_device *vdev, unsigned index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return vdev->vconfig[CFG_INT_PIN] ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		return vdev->msi_cap ? 1u << ((phys(vdev, vdev->msi_cap + MSI_FLAGS, 2) &
					       MSI_FLAGS_QMASK) >> 1) : 0;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return vdev->msix_cap ? (phys(vdev, vdev->msix_cap + 2, 2) & MSIX_FLAGS_QSIZE) + 1u
				      : 0;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pci_type_is_pcie(vdev->pdev->type) ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}
