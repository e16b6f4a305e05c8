/* SPDX-License-Identifier: MIT */
/*
 * The PCI model: functions on buses below bridges and ports, with the
 * capabilities that decide isolation (ACS), translation (ATS, PRI, PASID),
 * their DMA aliases, and the driver each is bound to.
 *
 * A topology is built once from a list of specs (the scenario's `topology:`
 * entries) and validated as a whole; after that only driver bindings change.
 * Layering: this layer knows nothing of IOMMUs or VFIO.  Those layers hook in
 * through the driver registry (VFIO registers "vfio-pci") and the bus hooks
 * (the IOMMU core claims DMA ownership when a kernel driver binds).
 */
#ifndef MODEL_PCI_H
#define MODEL_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommusim/iommusim.h"   /* struct sim_dma: what pci_dev_dma carries */

struct sim_world;
struct iommu_group;   /* owned by model/iommu; opaque here */
struct pci_devmodel;          /* devmodel.h: a device model */
struct pci_devmodel_state;

enum pci_type {
	PCI_TYPE_ROOT_PORT,
	PCI_TYPE_UPSTREAM_PORT,
	PCI_TYPE_DOWNSTREAM_PORT,
	PCI_TYPE_PCIE_TO_PCI_BRIDGE,  /* the kernel's PCI_EXP_TYPE_PCI_BRIDGE */
	PCI_TYPE_PCI_BRIDGE,          /* conventional PCI-to-PCI bridge */
	PCI_TYPE_ENDPOINT,
	PCI_TYPE_LEGACY_ENDPOINT,
	PCI_TYPE_RC_ENDPOINT,
	PCI_TYPE_PCI_DEVICE,          /* conventional PCI function */
	PCI_TYPE_NR,
};

/* "root-port" ... "pci-device"; NULL for an out-of-range value. */
const char *pci_type_name(enum pci_type t);
/* -1 for an unknown name. */
int pci_type_from_name(const char *name);
/* Has a secondary bus (ports and both kinds of bridge). */
bool pci_type_is_bridge(enum pci_type t);
/* Has a PCI Express capability (everything but pci-bridge and pci-device). */
bool pci_type_is_pcie(enum pci_type t);

/* ACS capability / control bits, PCI_ACS_* values from the spec. */
#define PCI_ACS_SV 0x0001u  /* source validation */
#define PCI_ACS_TB 0x0002u  /* translation blocking */
#define PCI_ACS_RR 0x0004u  /* P2P request redirect */
#define PCI_ACS_CR 0x0008u  /* P2P completion redirect */
#define PCI_ACS_UF 0x0010u  /* upstream forwarding */
#define PCI_ACS_EC 0x0020u  /* P2P egress control */
#define PCI_ACS_DT 0x0040u  /* direct translated P2P */
#define PCI_ACS_ALL 0x007fu
/* What the IOMMU core requires for isolation (REQ_ACS_FLAGS, spec §A1). */
#define PCI_ACS_REQ (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

/* "SV" ... "DT" <-> bit; 0 for an unknown name. */
uint16_t pci_acs_bit_from_name(const char *name);
const char *pci_acs_bit_name(uint16_t bit);

/*
 * Addresses.  A function is named by a packed SBDF:
 *   bits 31..16 domain, 15..8 bus, 7..3 device, 2..0 function.
 * Sorting SBDFs numerically is the kernel's enumeration order within a bus.
 */
#define PCI_SBDF(dom, bus, devfn) (((uint32_t)(dom) << 16) | ((uint32_t)(bus) << 8) | (devfn))
#define PCI_DEVFN(slot, fn) ((((slot) & 0x1f) << 3) | ((fn) & 0x07))
#define PCI_SBDF_DOMAIN(s) ((uint16_t)((s) >> 16))
#define PCI_SBDF_BUS(s) ((uint8_t)((s) >> 8))
#define PCI_SBDF_DEVFN(s) ((uint8_t)(s))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn) & 0x07)
/* A requester id as the IOMMU sees it: bus << 8 | devfn. */
#define PCI_RID(bus, devfn) ((uint16_t)(((bus) << 8) | (devfn)))

/*
 * Parse "[dddd:]bb:dd.f" (hex, any case).  Returns 0 or -EINVAL.  Only the
 * digits are checked here (device <= 0x1f, function <= 7, domain <= 0xffff).
 */
int pci_sbdf_parse(const char *s, uint32_t *out);
/* Parse "bb:dd.f" or "dd.f" relative to @bus for alias lists. */
int pci_devfn_parse(const char *s, uint8_t bus, uint8_t *devfn_out, uint8_t *bus_out);
/* Format as "dddd:bb:dd.f", lower-case hex; @buf holds PCI_SBDF_STRLEN. */
#define PCI_SBDF_STRLEN 13
char *pci_sbdf_format(uint32_t sbdf, char buf[PCI_SBDF_STRLEN]);

/* A base address register as a topology describes it. */
#define PCI_NUM_BARS 6
enum pci_bar_type { PCI_BAR_MEM32, PCI_BAR_MEM64, PCI_BAR_IO };
struct pci_bar {
	uint64_t size;                 /* power of two; 0 = not implemented */
	enum pci_bar_type type;
	bool prefetchable;
};

/*
 * A function's configuration space as the device itself holds it, the way
 * QEMU's PCIDevice does (config, wmask, w1cmask): the bytes, the bits a
 * configuration write may change, and the bits a write of 1 clears.  It is
 * built with the topology (config.c): from the device model's layout when
 * the function has one (devmodel.h), synthesized from the topology
 * otherwise.  Whoever owns the function reads and writes it only through
 * pci_config_read / pci_config_write.
 */
#define PCI_CFG_SPACE_SIZE     256     /* conventional PCI */
#define PCI_CFG_SPACE_EXP_SIZE 4096    /* PCI Express */
struct pci_config {
	uint8_t data[PCI_CFG_SPACE_EXP_SIZE];
	uint8_t wmask[PCI_CFG_SPACE_EXP_SIZE];
	uint8_t w1cmask[PCI_CFG_SPACE_EXP_SIZE];
	uint16_t size;                 /* 256 or 4096 */
};

/* Function-level reset methods a function's config space offers
 * (pci_reset_fn_methods: FLR in the PCIe DEVCAP, the Advanced Features
 * capability's FLR, a PM reset with No_Soft_Reset clear); a bus reset is
 * the topology's (alone on a bus below a bridge), not a bit here. */
#define PCI_RESET_FLR 0x1
#define PCI_RESET_PM  0x2
#define PCI_RESET_AF  0x4

/* One `topology:` entry, as the loader hands it over. */
struct pci_dev_spec {
	uint32_t sbdf;
	enum pci_type type;
	bool has_parent;
	uint32_t parent;               /* SBDF of the bridge/port above */
	bool multifunction;
	bool has_acs;                  /* an ACS capability is present */
	uint16_t acs_cap;              /* PCI_ACS_* bits it advertises */
	bool has_acs_ctrl;             /* acs_ctrl given; else cap & REQ (boot) */
	uint16_t acs_ctrl;
	int acs_quirk;                 /* -1 none, 0 quirk says not isolated, 1 isolated */
	uint64_t dma_alias[4];         /* devfn bitmap of extra RIDs (same bus) */
	bool ats, pri;
	uint8_t pasid_width;           /* 0 = no PASID capability; else 1..20 */
	const char *driver;            /* NULL = the type's default */
	uint16_t vendor, device;       /* 0 = defaults (0x1af4 / 0x1000 + type) */
	struct pci_bar bars[PCI_NUM_BARS];  /* size 0 = BAR not implemented */
	uint16_t msi_vectors;          /* 0 = no MSI capability (1..32) */
	uint16_t msix_vectors;         /* 0 = no MSI-X capability (1..2048) */
	bool intx;                     /* legacy INTx pin (default true for
					* functions that are not bridges) */
	bool has_intx;                 /* intx given explicitly */
	bool has_resets;               /* caps.resets given */
	unsigned resets;               /* PCI_RESET_* (caps.resets) */
	bool no_iommu;                 /* behind no IOMMU (`iommu: false`) */
};

/* Keys of a spec an error may point at. */
enum pci_spec_key {
	PCI_KEY_ENTRY,      /* the whole entry */
	PCI_KEY_BDF,
	PCI_KEY_TYPE,
	PCI_KEY_PARENT,
	PCI_KEY_ACS,
	PCI_KEY_ACS_CTRL,
	PCI_KEY_DMA_ALIAS,
	PCI_KEY_CAPS,
	PCI_KEY_DRIVER,
	PCI_KEY_BARS,
	PCI_KEY_IRQS,
};

struct pci_build_error {
	size_t index;             /* which spec */
	enum pci_spec_key key;    /* which of its keys */
	char msg[256];            /* "parent 0000:00:1c.0 is an endpoint, not a bridge or port" */
};

struct pci_bus {
	uint16_t domain;
	uint8_t number;
	struct pci_dev *self;       /* the bridge above; NULL for a root bus */
	struct pci_bus *parent;     /* NULL for a root bus */
	struct pci_dev **devices;   /* functions on this bus, by devfn */
	size_t ndevices;
	struct pci_bus **children;  /* secondary buses of bridges on this bus, by bridge devfn */
	size_t nchildren;
};

struct pci_dev {
	uint32_t sbdf;
	uint8_t devfn;
	enum pci_type type;
	struct pci_bus *bus;          /* the bus it sits on */
	struct pci_bus *subordinate;  /* its secondary bus (bridges), or NULL */
	bool multifunction;
	bool has_acs;
	uint16_t acs_cap, acs_ctrl;
	int acs_quirk;                /* spec's, else the quirk table's (-1 none) */
	/* dma_alias and bridge_alias are fixed once pci_topology_create has
	 * returned: dma_rid below is derived from them (and the buses) then,
	 * so whatever changed them later would have to derive it again */
	uint64_t dma_alias[4];        /* spec's, plus the quirk table's */
	bool bridge_alias;            /* PCIE_BRIDGE_ALIAS (quirk table): a
				       * conventional bridge that tags requests
				       * from below as (subordinate, 00.0) */
	uint16_t dma_rid;             /* pci_dma_requester_id's answer */
	bool ats, pri;
	uint8_t pasid_width;
	uint16_t vendor, device;
	struct pci_bar bars[PCI_NUM_BARS];
	uint16_t msi_vectors, msix_vectors;
	bool intx;
	unsigned resets;              /* PCI_RESET_*: the config space has them */
	char *driver;                 /* bound driver name, NULL = none */
	/* no IOMMU translates its requests (no DMAR/IVRS scope covers it):
	 * it gets no IOMMU group and its DMA reaches memory untranslated */
	bool no_iommu;
	unsigned probe_index;         /* position in enumeration order */
	struct iommu_group *group;    /* set by model/iommu */
	char name[PCI_SBDF_STRLEN];   /* "0000:06:0d.0" */
	/* devmodel.h: the device model behind the BARs (by vendor, device),
	 * and its state; NULL for a function without behaviour */
	const struct pci_devmodel *model;
	struct pci_devmodel_state *model_state;
	struct pci_config config;     /* config.c */
};

/*
 * Build and validate a topology (spec §A inputs) and install it in the world
 * (slot SIM_SUBSYS_PCI).  Validation, each error naming the spec and key:
 * duplicate BDF; parent not in the topology; parent that is not a bridge or
 * port; cycles; children of one bridge on different buses; two bridges (or a
 * bridge and the root level) sharing a secondary bus; a child on its parent's
 * own bus; a downstream port not under an upstream port; an upstream port not
 * under a root or downstream port; a dma_alias on another bus.
 * Each function then gets the quirks its (vendor, device) matches in the
 * quirk table (below; an explicit acs_quirk wins, dma_alias entries add),
 * and the device model (devmodel.h) its ids name: BARs and irqs the spec
 * leaves out come from the model; a type the model cannot be, or BARs or
 * irqs the spec states differently, are an error at PCI_KEY_TYPE,
 * PCI_KEY_BARS or PCI_KEY_IRQS.  Every function gets its configuration
 * space (struct pci_config): the model's layout, else synthesized.
 * Drivers named in specs are bound afterwards, in enumeration order through
 * pci_bind_driver (so hooks run), by pci_bind_initial_drivers.  Returns 0,
 * -EINVAL with @err filled, -EEXIST when the world already has a topology,
 * or -ENOMEM (fault sites "pci_dev_alloc", "pci_devmodel_alloc").
 */
int pci_topology_create(struct sim_world *w, const struct pci_dev_spec *specs,
			size_t n, struct pci_build_error *err);

/* Functions in enumeration order (spec §A: by devfn within a bus, then the
 * bus below each bridge of that bus in bridge devfn order, depth first; root
 * buses by domain and number). */
size_t pci_dev_count(struct sim_world *w);
struct pci_dev *pci_dev_at(struct sim_world *w, size_t probe_index);
struct pci_dev *pci_dev_find(struct sim_world *w, uint32_t sbdf);
/* The function a public-API BDF string names: 0 with *d, -EINVAL (no world,
 * a bad BDF) or -ENODEV (no such function). */
int pci_dev_lookup(struct sim_world *w, const char *bdf, struct pci_dev **d);
/* The function at @devfn on @bus, or NULL. */
struct pci_dev *pci_bus_find_dev(struct pci_bus *bus, uint8_t devfn);
/* Root buses by (domain, number). */
size_t pci_root_bus_count(struct sim_world *w);
struct pci_bus *pci_root_bus_at(struct sim_world *w, size_t i);

static inline bool pci_dev_is_bridge(const struct pci_dev *d)
{
	return d->subordinate != NULL;
}
static inline uint16_t pci_dev_rid(const struct pci_dev *d)
{
	return PCI_RID(d->bus->number, d->devfn);
}
static inline bool pci_dev_has_alias(const struct pci_dev *d, uint8_t devfn)
{
	return (d->dma_alias[devfn >> 6] >> (devfn & 63)) & 1;
}

/*
 * The DMA alias walk (spec §A2, the kernel's pci_for_each_dma_alias): @fn is
 * called with (dev, rid) for the function's own RID, then each alias devfn,
 * then for each converting bridge on the way to the root: a PCIe-to-PCI
 * bridge gives (bridge, secondary:00.0), a conventional PCI bridge gives
 * (bridge, its own RID), or (bridge, secondary:00.0) when it has
 * bridge_alias; ports are skipped.  A non-zero return stops the walk
 * and is returned.
 */
int pci_for_each_dma_alias(struct pci_dev *d,
			   int (*fn)(struct pci_dev *visited, uint16_t rid, void *ctx),
			   void *ctx);

/* The requester id the IOMMU sees for an untagged DMA from @d: the last RID
 * of the alias walk's bridge part, or @d's own RID when no bridge converts.
 * The walk runs once per function when the topology is built (the answer
 * cannot change after that); every DMA reads the stored answer. */
static inline uint16_t pci_dma_requester_id(const struct pci_dev *d)
{
	return d->dma_rid;
}

/* ---- configuration space (config.c) -------------------------------------- */

/*
 * A configuration read of @size (1, 2 or 4) bytes at @off, little-endian.
 * Beyond the function's space (256 or 4096 bytes) it reads all ones, as an
 * access nothing claims does.
 */
uint32_t pci_config_read(const struct pci_dev *d, unsigned off, unsigned size);
/*
 * A configuration write as the device takes it (QEMU's
 * pci_default_write_config): each bit in wmask takes the written value,
 * each bit in w1cmask written as 1 is cleared, the rest stays.  Beyond the
 * space it is dropped.
 */
void pci_config_write(struct pci_dev *d, unsigned off, unsigned size, uint32_t val);
/* pci_find_capability: the offset of the first capability @id in the
 * list (at most 48 links are followed), or 0. */
unsigned pci_config_find_cap(const struct pci_dev *d, uint8_t id);
/* pci_find_ext_capability: the offset of extended capability @id, or 0. */
unsigned pci_config_find_ext_cap(const struct pci_dev *d, uint16_t id);
/* The enable bits the kernel's MSI code programs (pci_msi_set_enable,
 * msix_capability_init): MSI enable with Multiple Message Enable =
 * log2(@nvec) rounded up, or MSI-X enable.  Nothing without the
 * capability. */
void pci_config_msi_enable(struct pci_dev *d, bool on, unsigned nvec);
void pci_config_msix_enable(struct pci_dev *d, bool on);
bool pci_config_msi_enabled(const struct pci_dev *d);
bool pci_config_msix_enabled(const struct pci_dev *d);

/* ---- quirks (quirks.c, spec §A "Quirks are data tables") ----------------- */

/*
 * One row of the kernel's quirk tables (drivers/pci/quirks.c), in the
 * kernel's order: pci_dev_acs_enabled[] for ACS verdicts, then the DMA-alias
 * header fixups.  An ACS row names the kernel function that decides; the
 * first row whose function gives a verdict wins, as in
 * pci_dev_specific_acs_enabled().
 */
enum pci_quirk_kind {
	PCI_QUIRK_ACS,             /* pci_dev_acs_enabled[]: a verdict (§A1.1),
				    * unless the spec gives acs_quirk */
	PCI_QUIRK_DMA_ALIAS_FN0,   /* quirk_dma_func0_alias */
	PCI_QUIRK_DMA_ALIAS_FN1,   /* quirk_dma_func1_alias */
	PCI_QUIRK_DMA_ALIAS_FIXED, /* quirk_fixed_dma_alias, quirk_mic_x200_dma_alias */
	PCI_QUIRK_DMA_ALIAS_VCA,   /* quirk_pex_vca_alias: functions 0-4 of every slot */
	PCI_QUIRK_DMA_ALIAS_ALL,   /* quirk_plx_ntb_dma_alias: all 256 devfns */
	PCI_QUIRK_BRIDGE_ALIAS,    /* quirk_use_pcie_bridge_dma_alias */
};

/* The kernel function behind a PCI_QUIRK_ACS row. */
enum pci_quirk_acs_fn {
	PCI_QUIRK_ACS_FN_NONE,
	PCI_QUIRK_ACS_FN_AMD_SB,         /* multifunction, root bus, ACPI IVRS */
	PCI_QUIRK_ACS_FN_MF_ENDPOINT,    /* any function of the id */
	PCI_QUIRK_ACS_FN_RCIEP,          /* root-complex integrated endpoints */
	PCI_QUIRK_ACS_FN_QCOM_RP,        /* any function of the id */
	PCI_QUIRK_ACS_FN_INTEL_PCH,      /* root ports of the PCH id list */
	PCI_QUIRK_ACS_FN_INTEL_SPT_PCH,  /* SPT/UPT root ports with an ACS cap */
	PCI_QUIRK_ACS_FN_CAVIUM,         /* ThunderX root ports */
	PCI_QUIRK_ACS_FN_XGENE,          /* any function of the id */
	PCI_QUIRK_ACS_FN_BRCM,           /* any function of the id */
	PCI_QUIRK_ACS_FN_LOONGSON,       /* any function of the id */
	PCI_QUIRK_ACS_FN_AL,             /* root ports */
	PCI_QUIRK_ACS_FN_NXP_RP,         /* any function of the id */
	PCI_QUIRK_ACS_FN_ZHAOXIN_PORTS,  /* root and downstream ports: listed
					  * ids isolate, the others do not */
	PCI_QUIRK_ACS_FN_WANGXUN,        /* listed ids isolate, others do not */
};

#define PCI_QUIRK_ANY_ID 0xffffu   /* the kernel's (u16)PCI_ANY_ID */

struct pci_quirk {
	uint16_t vendor, device;   /* device PCI_QUIRK_ANY_ID: every device */
	enum pci_quirk_kind kind;
	enum pci_quirk_acs_fn acs; /* PCI_QUIRK_ACS: which function decides */
	uint8_t ndevfns;           /* PCI_QUIRK_DMA_ALIAS_FIXED: the aliases */
	uint8_t devfns[3];
	const char *kfunc;         /* the kernel function, for docs and tests */
	const char *family;        /* "intel-pch", "ricoh", ... (traces, tests) */
	unsigned absent;           /* 1 << enum sim_kernel: releases without it */
};

/* The table, in the order entries are applied. */
size_t pci_quirk_count(void);
const struct pci_quirk *pci_quirk_at(size_t i);
/* "acs" ... "pcie_bridge_alias"; NULL when out of range. */
const char *pci_quirk_kind_name(enum pci_quirk_kind k);
/*
 * The ACS table's verdict on @d (pci_dev_specific_acs_enabled with the IOMMU
 * core's REQ_ACS_FLAGS): 1 isolated, 0 not isolated, -1 no quirk applies
 * (the standard rules of §A1 decide).  @acpi_ivrs: the platform describes
 * an AMD IOMMU (pci_quirk_amd_sb_acs needs one).  *@row, if not NULL, is
 * the row that decided (NULL for -1).
 */
int pci_quirk_acs_verdict(const struct sim_world *w, const struct pci_dev *d,
			  bool acpi_ivrs, const struct pci_quirk **row);

/* ---- drivers ------------------------------------------------------------ */

struct pci_driver {
	const char *name;
	/* driver_managed_dma: the driver does not use the kernel DMA API on the
	 * device (pci-stub, pcieport, vfio-pci), so the group stays viable. */
	bool managed_dma;
	int (*probe)(void *ctx, struct pci_dev *d);    /* 0 or -errno */
	void (*remove)(void *ctx, struct pci_dev *d);
	void *ctx;
	/* the driver's id table matches every device, but only through
	 * driver_override (vfio-pci's PCI_DRIVER_OVERRIDE_DEVICE_VFIO entry):
	 * a plain bind needs driver_override or a new_id */
	bool override_only;
	/* the start of remove; true when it must wait for the driver's users
	 * (vfio_unregister_group_dev waiting on device->comp): the unbind then
	 * pends until the driver calls pci_unbind_complete().  NULL = never. */
	bool (*remove_begin)(void *ctx, struct pci_dev *d);
};

/*
 * Register a driver by name (copied struct).  pci-stub and pcieport are
 * registered by pci_topology_create; VFIO registers vfio-pci.  Any other name
 * passed to pci_bind_driver is a kernel driver that does DMA.  -EEXIST.
 */
int pci_register_driver(struct sim_world *w, const struct pci_driver *drv);
void pci_unregister_driver(struct sim_world *w, const char *name);
/* Is @name a driver that leaves a group viable (spec §B)?  "none"/NULL too. */
bool pci_driver_is_managed(struct sim_world *w, const char *name);

/*
 * Hooks of the layer that owns DMA (model/iommu): called around a probe.
 * dma_configure(dev, managed_dma) may veto with -EBUSY (a kernel DMA driver
 * cannot bind into a user-owned group, spec §B modern rule).
 */
struct pci_bus_hooks {
	int (*dma_configure)(void *ctx, struct pci_dev *d, bool managed_dma);
	void (*dma_cleanup)(void *ctx, struct pci_dev *d, bool managed_dma);
	void *ctx;
};
void pci_set_bus_hooks(struct sim_world *w, const struct pci_bus_hooks *hooks);

/*
 * Bind @driver ("none" = unbind) to @d: -EBUSY when a driver is already
 * bound (any driver, the same one too, as the kernel's driver core refuses),
 * -EINVAL for an empty name; else dma_configure, then the driver's probe; a
 * failure unwinds and returns its errno.
 */
int pci_bind_driver(struct sim_world *w, struct pci_dev *d, const char *driver);
/* Unbind: remove, then dma_cleanup.  Unbinding an unbound function is 0.
 * PCI_UNBIND_PENDING when the driver's remove waits for its users (the
 * function stays bound until the driver calls pci_unbind_complete); a second
 * unbind meanwhile is -EBUSY (the kernel's would block on the device lock). */
#define PCI_UNBIND_PENDING 1
int pci_unbind_driver(struct sim_world *w, struct pci_dev *d);
/* The driver's last user let go: finish the pending unbind of @d. */
void pci_unbind_complete(struct sim_world *w, struct pci_dev *d);
/* Is an unbind of @d waiting for its driver's users? */
bool pci_unbind_pending(struct sim_world *w, struct pci_dev *d);

/*
 * The sysfs files of driver binding (drivers/base/bus.c, drivers/pci/
 * pci-driver.c), each 0 or -errno with nothing changed on an error:
 *  - driver_override (driver_set_override): NULL or "" clears it; text up
 *    to a newline is kept; 4095 bytes or more -EINVAL.  A function with an
 *    override matches that driver only (pci_match_device).
 *  - bind (bind_store): -ENODEV unless @driver matches @d (an override names
 *    another driver; an override_only driver without override or new_id),
 *    then pci_bind_driver's errors (-EBUSY when bound).
 *  - new_id (new_id_store): @driver must be registered (-ENOENT: no such
 *    file); -EEXIST when it already matches @vendor:@device; then every
 *    unbound function it now matches is probed, in enumeration order, the
 *    probes' errors ignored (driver_attach).
 */
int pci_driver_override_store(struct sim_world *w, struct pci_dev *d, const char *driver);
const char *pci_driver_override(struct sim_world *w, struct pci_dev *d);
int pci_bind_store(struct sim_world *w, struct pci_dev *d, const char *driver);
int pci_new_id_store(struct sim_world *w, const char *driver, uint16_t vendor,
		     uint16_t device);

/*
 * Boot-time binding: each function's spec driver (or its type's default:
 * pcieport for bridges and ports, none for the rest) is bound through
 * pci_bind_driver in enumeration order, once (later calls return 0).  Run it
 * after the IOMMU core and VFIO are up so their hooks and vfio-pci apply.
 * A refusal returns its errno with @err naming the spec and PCI_KEY_DRIVER.
 */
int pci_bind_initial_drivers(struct sim_world *w, struct pci_build_error *err);

/* Public API (also in <iommusim/iommusim.h>): parse @bdf (-EINVAL), find the
 * function (-ENODEV), then as an administrator binds through sysfs: set
 * driver_override to @driver and bind (an error restores the override), or
 * for "none"/NULL unbind and clear the override.  0 or -errno. */
int sim_pci_bind(struct sim_world *w, const char *bdf, const char *driver);

/* pci trace points */
#define TP_pci_dev_add   "dev=%s type=%s parent=%s"
#define TP_pci_bind      "dev=%s driver=%s"
#define TP_pci_bind_fail "dev=%s driver=%s err=%d"
#define TP_pci_unbind    "dev=%s driver=%s"
#define TP_pci_unbind_pending "dev=%s driver=%s"
#define TP_pci_driver_override "dev=%s driver=%s"
#define TP_pci_new_id    "driver=%s id=%04x:%04x"
#define TP_pci_quirk     "dev=%s quirk=%s"     /* quirk=KIND:FAMILY */

/* ---- device DMA (dma.c) -------------------------------------------------- */

/*
 * Where a device's DMA goes: the IOMMU hardware registers itself here
 * (iommu_hw_create).  @dma returns 0, or -EFAULT with *fault_addr and
 * *fault_reason (SIM_FAULT_*) set, or another -errno.
 */
struct pci_dma_handler {
	/* Carry out @op (struct sim_dma, iommusim.h) for requester @rid;
	 * on -EFAULT fill op's fault_* fields. */
	int (*dma)(void *ctx, uint16_t segment, uint16_t rid, struct sim_dma *op);
	void *ctx;
};
/* Install (a copy of) @h, or remove the handler with NULL.  A no-op in a
 * world without a topology. */
void pci_set_dma_handler(struct sim_world *w, const struct pci_dma_handler *h);

/*
 * A DMA initiated by @d: it carries the requester id the IOMMU sees
 * (pci_dma_requester_id, after aliasing) on segment PCI_SBDF_DOMAIN(sbdf).
 * Without a handler it goes straight to host memory, as without an IOMMU.
 * 0, -EFAULT (faulted: op's fault_* fields set; bytes before the faulting
 * page were transferred), -EINVAL (NULL @buf with @len), -ENOMEM.  The
 * fault_* fields are zero unless it returns -EFAULT.
 */
int pci_dev_dma(struct sim_world *w, struct pci_dev *d, struct sim_dma *op);

#define TP_pci_dma "dev=%s rid=%02x:%02x.%u pasid=%d addr=0x%llx len=%zu access=%s ret=%d"

#endif
