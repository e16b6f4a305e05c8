/* SPDX-License-Identifier: MIT */
/*
 * Scenario files, top level: name, description, profile, topology,
 * processes, steps, expect.  The topology is validated by building it in a
 * scratch world, so every rule of model/pci (pci_topology_create) reports
 * here with the position of the key it is about.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/world.h"
#include <stddef.h>

#include "model/iommu/domain.h"
#include "sim/cpu_pgtable.h"
#include "sim/proc.h"
#include "tools/scenario/loader.h"

static const char *const top_keys[] = {
	"name", "description", "profile", "topology", "processes", "steps",
	"expect", NULL,
};
static const char *const profile_keys[] = { "group_mode", "kernel", "iommu", "vfio",
					    "iommufd", "iommufd_test", "vfio_container", "memory_budget",
					    "fault_inject", "cpu_mmu", NULL };
static const char *const iommu_keys[] = {
	"address_width", "default_domain", "iotlb_entries", "naive_iotlb", "naive_map",
	"format", "psc_entries", "ctx_cache_entries", "pasid_cache_entries", "atc_entries",
	"pasid_bits", "paging_stage", "ats", "busy_dma", "snoop_control", "interrupt_remapping",
	"coherent_walk", "dirty_tracking", "nesting", "bugs", "smmu_stream_table", "riscv_ddt_levels", NULL,
};
static const char *const hw_formats[] = { "vtd", "arm-smmuv3", "riscv", NULL };
static const char *const vfio_keys[] = { "dma_entry_limit", "allow_unsafe_interrupts",
					 "enable_unsafe_noiommu_mode", "mdev_instances", "sva_abi",
					 "rfc_task_leak", "nesting_abi", "nesting_bind_scope",
					 "pasid_quota", "rfc_pasid_efault", NULL };
/* vfio.sva_abi, in enum vfio_sva_abi's order */
static const char *const sva_abis[] = { "none", "bind-task-2017", "bind-process-2018", NULL };
/* vfio.nesting_abi and vfio.nesting_bind_scope, in their enums' order */
static const char *const nesting_abis[] = { "none", "guest-pgtbl-2020", NULL };
static const char *const nesting_scopes[] = { "container", "singleton", NULL };
static const char *const default_domains[] = { "dma", "identity", NULL };
static const char *const group_modes[] = { "legacy", "strict", NULL };
/* enum sim_kernel, in order */
static const char *const kernels[] = { "mainline", "6.1", "6.2", "6.12", NULL };
static const char *const topo_keys[] = {
	"bdf", "type", "parent", "multifunction", "acs", "acs_ctrl",
	"acs_quirk", "dma_alias", "caps", "driver", "vendor", "device", "bars",
	"irqs", "iommu", NULL,
};
static const char *const bar_keys[] = { "size", "type", "prefetchable", NULL };
static const char *const bar_types[] = { "mem32", "mem64", "io", NULL };
static const char *const irq_keys[] = { "intx", "msi", "msix", NULL };
static const char *const caps_keys[] = { "ats", "pri", "pasid", "resets", NULL };
/* caps.resets: the function-level reset methods (PCI_RESET_* order) */
static const char *const reset_names[] = { "flr", "pm", "af-flr", NULL };
static const char *const proc_keys[] = {
	"name", "uid", "gid", "caps", "parent", "rlimit_memlock", "dumpable", NULL,
};
static const char *const acs_names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT", NULL };

/* ---- profile ------------------------------------------------------------ */

/* The cache sizes, ATS, PASID width, paging stage and injected bugs. */
static int parse_iommu_caches(struct ldr *l, const struct ynode *map)
{
	static const struct { const char *key; size_t off; uint64_t max; } sizes[] = {
		{ "psc_entries", offsetof(struct scn_profile, psc_entries), 1u << 20 },
		{ "ctx_cache_entries", offsetof(struct scn_profile, ctx_cache_entries), 1u << 20 },
		{ "pasid_cache_entries", offsetof(struct scn_profile, pasid_cache_entries), 1u << 20 },
		{ "atc_entries", offsetof(struct scn_profile, atc_entries), 1u << 20 },
		{ "pasid_bits", offsetof(struct scn_profile, pasid_bits), 20 },
	};
	struct scn_profile *pr = &l->s->profile;
	const struct ynode *v;
	uint64_t num;
	bool ats;

	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		if (!(v = ynode_map_get(map, sizes[i].key)))
			continue;
		if (ldr_u64(l, v, &num, sizes[i].max, false, sizes[i].key))
			return -1;
		*(unsigned *)(void *)((char *)pr + sizes[i].off) = (unsigned)num;
	}
	if ((v = ynode_map_get(map, "riscv_ddt_levels"))) {
		if (ldr_u64(l, v, &num, 3, false, "riscv_ddt_levels"))
			return -1;
		if (num < 1)
			return ldr_error(l, v, "riscv_ddt_levels is 1, 2 or 3, not %s", v->str);
		pr->riscv_ddt_levels = (unsigned)num;
	}
	if ((v = ynode_map_get(map, "smmu_stream_table"))) {
		if (ldr_need(l, v, YN_SCALAR, "smmu_stream_table (linear or 2-level)"))
			return -1;
		if (!strcmp(v->str, "linear"))
			pr->smmu_linear_strtab = true;
		else if (strcmp(v->str, "2-level"))
			return ldr_error(l, v, "smmu_stream_table is linear or 2-level, not '%s'",
					 v->str);
	}
	if ((v = ynode_map_get(map, "paging_stage"))) {
		if (ldr_u64(l, v, &num, 2, false, "paging_stage"))
			return -1;
		if (num < 1)
			return ldr_error(l, v, "paging_stage is 1 or 2, not %s", v->str);
		pr->paging_stage = (unsigned)num;
	}
	if ((v = ynode_map_get(map, "ats"))) {
		if (ldr_bool(l, v, &ats, "ats"))
			return -1;
		pr->no_ats = !ats;
	}
	if ((v = ynode_map_get(map, "busy_dma")) && ldr_bool(l, v, &pr->busy_dma, "busy_dma"))
		return -1;
	if ((v = ynode_map_get(map, "snoop_control")) &&
	    ldr_bool(l, v, &pr->snoop_control, "snoop_control"))
		return -1;
	if ((v = ynode_map_get(map, "interrupt_remapping"))) {
		bool ir;

		if (ldr_bool(l, v, &ir, "interrupt_remapping"))
			return -1;
		pr->no_irq_remapping = !ir;
	}
	if ((v = ynode_map_get(map, "coherent_walk"))) {
		bool cw;

		if (ldr_bool(l, v, &cw, "coherent_walk"))
			return -1;
		pr->no_coherent_walk = !cw;
	}
	if ((v = ynode_map_get(map, "dirty_tracking"))) {
		bool dt;

		if (ldr_bool(l, v, &dt, "dirty_tracking"))
			return -1;
		pr->no_dirty_tracking = !dt;
	}
	if ((v = ynode_map_get(map, "nesting"))) {
		bool nest;

		if (ldr_bool(l, v, &nest, "nesting"))
			return -1;
		pr->no_nesting = !nest;
	}
	if ((v = ynode_map_get(map, "bugs"))) {
		if (ldr_need(l, v, YN_SEQ, "bugs (a list of bug names)"))
			return -1;
		for (size_t i = 0; i < v->nitems; i++) {
			const struct ynode *b = v->items[i];
			unsigned bit;

			if (ldr_need(l, b, YN_SCALAR, "a bug name") ||
			    iommu_bug_parse(b->str, &bit))
				return ldr_error(l, b, "unknown bug '%s' (skip-iotlb-flush, "
						 "skip-devtlb-flush, flush-before-write, skip-context-flush, "
						 "skip-nested-flush, skip-dirty-flush, leak-pin-on-error, "
						 "pasid-free-while-bound)", b->str ? b->str : "");
			pr->bugs |= bit;
		}
	}
	return 0;
}

static int parse_iommu_profile(struct ldr *l, const struct ynode *map)
{
	struct scn_profile *pr = &l->s->profile;
	const struct ynode *v;
	uint64_t num;
	int idx;

	if (ldr_need(l, map, YN_MAP, "iommu") || ldr_check_keys(l, map, iommu_keys, "iommu"))
		return -1;
	if ((v = ynode_map_get(map, "address_width"))) {
		if (ldr_u64(l, v, &num, 64, false, "address_width"))
			return -1;
		if (num != 39 && num != 48)
			return ldr_error(l, v, "address_width is 39 or 48 (bits), not %s", v->str);
		pr->address_width = (unsigned)num;
	}
	if ((v = ynode_map_get(map, "default_domain"))) {
		if (ldr_enum(l, v, default_domains, &idx, "default_domain"))
			return -1;
		pr->default_identity = idx == 1;
	}
	if ((v = ynode_map_get(map, "iotlb_entries"))) {
		if (ldr_u64(l, v, &num, 1u << 20, false, "iotlb_entries"))
			return -1;
		pr->iotlb_entries = (unsigned)num;
	}
	if ((v = ynode_map_get(map, "naive_iotlb")) && ldr_bool(l, v, &pr->naive_iotlb, "naive_iotlb"))
		return -1;
	if ((v = ynode_map_get(map, "naive_map")) && ldr_bool(l, v, &pr->naive_map, "naive_map"))
		return -1;
	if ((v = ynode_map_get(map, "format"))) {
		if (ldr_enum(l, v, hw_formats, &idx, "format"))
			return -1;
		pr->hw_kind = (unsigned)idx;
	}
	return parse_iommu_caches(l, map);
}

static int parse_vfio_profile(struct ldr *l, const struct ynode *map)
{
	const struct ynode *v;
	uint64_t num;

	if (ldr_need(l, map, YN_MAP, "vfio") || ldr_check_keys(l, map, vfio_keys, "vfio"))
		return -1;
	if ((v = ynode_map_get(map, "dma_entry_limit"))) {
		if (ldr_u64(l, v, &num, UINT32_MAX, false, "dma_entry_limit"))
			return -1;
		l->s->profile.dma_entry_limit = (unsigned)num;
	}
	if ((v = ynode_map_get(map, "allow_unsafe_interrupts")) &&
	    ldr_bool(l, v, &l->s->profile.allow_unsafe_interrupts, "allow_unsafe_interrupts"))
		return -1;
	if ((v = ynode_map_get(map, "enable_unsafe_noiommu_mode")) &&
	    ldr_bool(l, v, &l->s->profile.noiommu, "enable_unsafe_noiommu_mode"))
		return -1;
	if ((v = ynode_map_get(map, "mdev_instances"))) {
		if (ldr_u64(l, v, &num, 64, false, "mdev_instances (0..64)"))
			return -1;
		l->s->profile.mdev_instances = (unsigned)num;
	}
	if ((v = ynode_map_get(map, "sva_abi"))) {
		int k;

		if (ldr_enum(l, v, sva_abis, &k, "sva_abi"))
			return -1;
		l->s->profile.sva_abi = (unsigned)k;
	}
	if ((v = ynode_map_get(map, "rfc_task_leak")) &&
	    ldr_bool(l, v, &l->s->profile.rfc_task_leak, "rfc_task_leak"))
		return -1;
	if ((v = ynode_map_get(map, "nesting_abi"))) {
		int k;

		if (ldr_enum(l, v, nesting_abis, &k, "nesting_abi"))
			return -1;
		/* both proposals call VFIO_BASE + 22 and + 23 their own */
		if (k && l->s->profile.sva_abi == 2)
			return ldr_error(l, v, "nesting_abi guest-pgtbl-2020 and sva_abi "
					 "bind-process-2018 number their ioctls alike (VFIO_BASE "
					 "+ 22, + 23): a profile runs one of them");
		l->s->profile.nesting_abi = (unsigned)k;
	}
	if ((v = ynode_map_get(map, "nesting_bind_scope"))) {
		int k;

		if (ldr_enum(l, v, nesting_scopes, &k, "nesting_bind_scope"))
			return -1;
		l->s->profile.nesting_bind_scope = (unsigned)k;
	}
	if ((v = ynode_map_get(map, "pasid_quota"))) {
		if (ldr_u64(l, v, &num, 1u << 20, false, "pasid_quota (0..1048576)"))
			return -1;
		l->s->profile.pasid_quota = (unsigned)num;
	}
	if ((v = ynode_map_get(map, "rfc_pasid_efault")) &&
	    ldr_bool(l, v, &l->s->profile.rfc_pasid_efault, "rfc_pasid_efault"))
		return -1;
	return 0;
}

/* memory_budget: a size (at least 1M, at most 1T) or unlimited. */
static int parse_memory_budget(struct ldr *l, const struct ynode *v)
{
	uint64_t num;

	if (v->kind == YN_SCALAR && v->str && !strcmp(v->str, "unlimited")) {
		l->s->profile.memory_budget = 0;
		return 0;
	}
	if (ldr_u64(l, v, &num, 1ull << 40, true, "memory_budget"))
		return -1;
	if (num < (1ull << 20))
		return ldr_error(l, v, "memory_budget is at least 1M (the machine's own "
				 "tables live in it), not %s", v->str);
	l->s->profile.memory_budget = num;
	return 0;
}

/* fault_inject: {probability: P, sites: GLOB}: random fault injection
 * after the boot, drawn from the run's seed (as --fail-random P). */
static int parse_fault_inject(struct ldr *l, const struct ynode *map)
{
	static const char *const keys[] = { "probability", "sites", NULL };
	const struct ynode *p, *g;
	const char *sites;
	char *end = NULL;
	double v = 0;

	if (ldr_need(l, map, YN_MAP, "fault_inject") ||
	    ldr_check_keys(l, map, keys, "fault_inject") ||
	    !(p = ldr_get(l, map, "probability", "fault_inject")))
		return -1;
	if (p->kind == YN_SCALAR && p->str)
		v = g_ascii_strtod(p->str, &end);
	if (!end || end == p->str || *end || !(v >= 0.001 && v <= 1.0))
		return ldr_error(l, p, "probability is a number from 0.001 to 1");
	if ((g = ynode_map_get(map, "sites"))) {
		if (ldr_str(l, g, &sites, "sites"))
			return -1;
		l->s->profile.fault_sites = ldr_keep(l, sites);
	}
	l->s->profile.fault_permille = (unsigned)(v * 1000.0 + 0.5);
	return 0;
}

static int parse_profile(struct ldr *l, const struct ynode *map)
{
	const struct ynode *v;
	int mode;

	if (ldr_need(l, map, YN_MAP, "profile") ||
	    ldr_check_keys(l, map, profile_keys, "profile"))
		return -1;
	/* each key is a unit of its own (ldr_recover): all their errors report */
	v = ynode_map_get(map, "group_mode");
	if (v && !ldr_enum(l, v, group_modes, &mode, "group_mode"))
		l->s->profile.group_mode = mode;
	ldr_recover(l);
	v = ynode_map_get(map, "kernel");
	if (v) {
		int k;

		/* listed oldest first; the enum's order is not the releases' */
		if (!ldr_enum(l, v, kernels, &k, "kernel"))
			l->s->profile.kernel = (unsigned)sim_kernel_from_name(kernels[k]);
	}
	ldr_recover(l);
	/* the CPUs' page-table format (default: the one the IOMMU kind walks
	 * for SVA: x86-64 4-level, arm64 4K, Sv48) */
	if ((v = ynode_map_get(map, "cpu_mmu"))) {
		static const char *const mmus[] = { "x86-64-4level", "x86-64-5level", "arm64-4k",
						    "sv39", "sv48", "sv57", NULL };
		int k;

		if (!ldr_enum(l, v, mmus, &k, "cpu_mmu"))
			l->s->profile.cpu_mmu = 1 + (unsigned)sim_mmu_from_name(mmus[k]);
	}
	ldr_recover(l);
	if ((v = ynode_map_get(map, "iommu")))
		parse_iommu_profile(l, v);
	ldr_recover(l);
	if ((v = ynode_map_get(map, "vfio")))
		parse_vfio_profile(l, v);
	ldr_recover(l);
	/* iommufd: false is a kernel built without CONFIG_IOMMUFD (Debian's) */
	if ((v = ynode_map_get(map, "iommufd"))) {
		bool on;

		if (!ldr_bool(l, v, &on, "iommufd"))
			l->s->profile.no_iommufd = !on;
	}
	ldr_recover(l);
	/* iommufd_test: a kernel built with CONFIG_IOMMUFD_TEST (IOMMU_TEST_CMD) */
	if ((v = ynode_map_get(map, "iommufd_test")))
		ldr_bool(l, v, &l->s->profile.iommufd_test, "iommufd_test");
	ldr_recover(l);
	/* vfio_container: iommufd is CONFIG_IOMMUFD_VFIO_CONTAINER (and no
	 * VFIO_CONTAINER): /dev/vfio/vfio is iommufd's */
	if ((v = ynode_map_get(map, "vfio_container"))) {
		static const char *const backends[] = { "legacy", "iommufd", NULL };
		int which;

		if (!ldr_enum(l, v, backends, &which, "vfio_container")) {
			l->s->profile.vfio_container_iommufd = which == 1;
			if (which == 1 && (l->s->profile.no_iommufd ||
					   l->s->profile.kernel == SIM_KERNEL_6_1)) {
				ldr_error(l, v, "vfio_container: iommufd needs iommufd (kernel 6.2 "
					  "or later, iommufd: true)");
				l->s->profile.vfio_container_iommufd = false;
			}
		}
	}
	ldr_recover(l);
	if ((v = ynode_map_get(map, "memory_budget")))
		parse_memory_budget(l, v);
	ldr_recover(l);
	if ((v = ynode_map_get(map, "fault_inject")))
		parse_fault_inject(l, v);
	return 0;
}

/* ---- topology ----------------------------------------------------------- */

static int parse_acs_list(struct ldr *l, const struct ynode *seq, uint16_t *bits,
			  const char *what)
{
	int idx;

	if (ldr_need(l, seq, YN_SEQ, what))
		return -1;
	*bits = 0;
	for (size_t i = 0; i < seq->nitems; i++) {
		if (ldr_enum(l, seq->items[i], acs_names, &idx, "ACS bit"))
			return -1;
		*bits |= pci_acs_bit_from_name(acs_names[idx]);
	}
	return 0;
}

static int parse_aliases(struct ldr *l, const struct ynode *seq,
			 struct pci_dev_spec *sp)
{
	if (ldr_need(l, seq, YN_SEQ, "dma_alias"))
		return -1;
	for (size_t i = 0; i < seq->nitems; i++) {
		const struct ynode *n = seq->items[i];
		uint8_t devfn, bus;

		if (ldr_need(l, n, YN_SCALAR, "a dma_alias entry"))
			return -1;
		if (pci_devfn_parse(n->str, PCI_SBDF_BUS(sp->sbdf), &devfn, &bus))
			return ldr_error(l, n, "dma_alias '%s' is not bus:device.function", n->str);
		if (bus != PCI_SBDF_BUS(sp->sbdf))
			return ldr_error(l, n, "dma_alias %s is on bus %02x, but an alias must "
					 "be on the device's own bus %02x", n->str, bus,
					 PCI_SBDF_BUS(sp->sbdf));
		if (n->plain && strchr(n->str, ':'))
			ldr_warn(l, n, "unquoted BDF %s: YAML 1.1 reads it as a base-60 "
				 "number; write \"%s\"", n->str, n->str);
		sp->dma_alias[devfn >> 6] |= 1ull << (devfn & 63);
	}
	return 0;
}

static int parse_caps(struct ldr *l, const struct ynode *map, struct pci_dev_spec *sp)
{
	const struct ynode *v;
	uint64_t width;

	if (ldr_need(l, map, YN_MAP, "caps") || ldr_check_keys(l, map, caps_keys, "caps"))
		return -1;
	if ((v = ynode_map_get(map, "ats")) && ldr_bool(l, v, &sp->ats, "caps.ats"))
		return -1;
	if ((v = ynode_map_get(map, "pri")) && ldr_bool(l, v, &sp->pri, "caps.pri"))
		return -1;
	if ((v = ynode_map_get(map, "pasid"))) {
		if (ldr_u64(l, v, &width, 20, false, "caps.pasid (PASID width in bits)"))
			return -1;
		if (width == 0)
			return ldr_error(l, v, "caps.pasid must be a width of 1..20 bits; "
					 "omit the key for no PASID capability");
		sp->pasid_width = (uint8_t)width;
	}
	if ((v = ynode_map_get(map, "resets"))) {
		if (ldr_need(l, v, YN_SEQ, "caps.resets (a list of flr, af-flr, pm)"))
			return -1;
		sp->has_resets = true;
		for (size_t i = 0; i < v->nitems; i++) {
			int idx;

			if (ldr_enum(l, v->items[i], reset_names, &idx, "reset method"))
				return -1;
			sp->resets |= 1u << idx;
		}
	}
	return 0;
}

/* bars: {0: {size: 0x4000, type: mem64, prefetchable: true}, 2: {...}} */
static int parse_bars(struct ldr *l, const struct ynode *map, struct pci_dev_spec *sp)
{
	if (ldr_need(l, map, YN_MAP, "bars"))
		return -1;
	for (size_t i = 0; i < ynode_map_len(map); i++) {
		const struct ynode *k = ynode_map_key(map, i), *v = ynode_map_val(map, i), *t;
		struct pci_bar *bar;
		uint64_t idx, size;
		int type;

		if (ldr_u64(l, k, &idx, PCI_NUM_BARS - 1, false, "BAR index"))
			return -1;
		bar = &sp->bars[idx];
		if (ldr_need(l, v, YN_MAP, "a BAR") || ldr_check_keys(l, v, bar_keys, "BAR"))
			return -1;
		if (!(t = ldr_get(l, v, "size", "a BAR")) ||
		    ldr_u64(l, t, &size, 1ull << 40, true, "BAR size"))
			return -1;
		if (size < 16 || (size & (size - 1)))
			return ldr_error(l, t, "BAR size %s must be a power of two of at "
					 "least 16 bytes", t->str);
		bar->size = size;
		bar->type = PCI_BAR_MEM32;
		if ((t = ynode_map_get(v, "type"))) {
			if (ldr_enum(l, t, bar_types, &type, "BAR type"))
				return -1;
			bar->type = type;
		}
		if (bar->type == PCI_BAR_MEM64 && idx == PCI_NUM_BARS - 1)
			return ldr_error(l, k, "a 64-bit BAR takes two slots: BAR 5 cannot be one");
		if (bar->type == PCI_BAR_IO && size > 256)
			return ldr_error(l, k, "an I/O BAR is at most 256 bytes");
		if (bar->type == PCI_BAR_MEM32 && size > (1ull << 31))
			return ldr_error(l, k, "a 32-bit BAR is at most 2 GiB: make it mem64");
		if ((t = ynode_map_get(v, "prefetchable")) &&
		    ldr_bool(l, t, &bar->prefetchable, "prefetchable"))
			return -1;
	}
	for (int i = 0; i + 1 < PCI_NUM_BARS; i++)
		if (sp->bars[i].size && sp->bars[i].type == PCI_BAR_MEM64 && sp->bars[i + 1].size)
			return ldr_error(l, map, "BAR %d is 64-bit, so BAR %d is its upper "
					 "half and cannot be described", i, i + 1);
	return 0;
}

/* irqs: {intx: true, msi: 8, msix: 64} */
static int parse_irqs(struct ldr *l, const struct ynode *map, struct pci_dev_spec *sp)
{
	const struct ynode *v;
	uint64_t n;

	if (ldr_need(l, map, YN_MAP, "irqs") || ldr_check_keys(l, map, irq_keys, "irqs"))
		return -1;
	if ((v = ynode_map_get(map, "intx"))) {
		if (ldr_bool(l, v, &sp->intx, "irqs.intx"))
			return -1;
		sp->has_intx = true;
	}
	if ((v = ynode_map_get(map, "msi"))) {
		if (ldr_u64(l, v, &n, 32, false, "irqs.msi"))
			return -1;
		if (n & (n - 1))
			return ldr_error(l, v, "irqs.msi must be a power of two up to 32");
		sp->msi_vectors = (uint16_t)n;
	}
	if ((v = ynode_map_get(map, "msix"))) {
		if (ldr_u64(l, v, &n, 2048, false, "irqs.msix"))
			return -1;
		sp->msix_vectors = (uint16_t)n;
	}
	return 0;
}

static int parse_topo_entry(struct ldr *l, const struct ynode *map,
			    struct pci_dev_spec *sp)
{
	const struct ynode *v;
	const char *str;
	int type;
	uint64_t id;

	memset(sp, 0, sizeof(*sp));
	sp->acs_quirk = -1;
	if (ldr_need(l, map, YN_MAP, "a topology entry"))
		return -1;
	/* the address first: an entry with another error still names its
	 * device, so steps about it do not report it missing too */
	if (!(v = ldr_get(l, map, "bdf", "a topology entry")) ||
	    ldr_sbdf(l, v, &sp->sbdf, "bdf")) {
		l->topology_incomplete = true;
		return -1;
	}
	if (ldr_check_keys(l, map, topo_keys, "topology entry"))
		return -1;
	if (!(v = ldr_get(l, map, "type", "a topology entry")) || ldr_str(l, v, &str, "type"))
		return -1;
	type = pci_type_from_name(str);
	if (type < 0) {
		const char *names[PCI_TYPE_NR + 1];
		for (int i = 0; i < PCI_TYPE_NR; i++)
			names[i] = pci_type_name(i);
		names[PCI_TYPE_NR] = NULL;
		return ldr_enum(l, v, names, &type, "device type");
	}
	sp->type = type;
	if ((v = ynode_map_get(map, "parent"))) {
		if (ldr_sbdf(l, v, &sp->parent, "parent"))
			return -1;
		sp->has_parent = true;
	}
	if ((v = ynode_map_get(map, "multifunction")) &&
	    ldr_bool(l, v, &sp->multifunction, "multifunction"))
		return -1;
	if ((v = ynode_map_get(map, "acs"))) {
		if (parse_acs_list(l, v, &sp->acs_cap, "acs"))
			return -1;
		sp->has_acs = true;
	}
	if ((v = ynode_map_get(map, "acs_ctrl"))) {
		if (!sp->has_acs)
			return ldr_error(l, v, "acs_ctrl needs an ACS capability: add 'acs:'");
		if (parse_acs_list(l, v, &sp->acs_ctrl, "acs_ctrl"))
			return -1;
		sp->has_acs_ctrl = true;
	}
	if ((v = ynode_map_get(map, "acs_quirk"))) {
		bool q;
		if (ldr_bool(l, v, &q, "acs_quirk"))
			return -1;
		sp->acs_quirk = q;
	}
	if ((v = ynode_map_get(map, "dma_alias")) && parse_aliases(l, v, sp))
		return -1;
	if ((v = ynode_map_get(map, "caps")) && parse_caps(l, v, sp))
		return -1;
	if ((v = ynode_map_get(map, "driver"))) {
		if (ldr_str(l, v, &str, "driver"))
			return -1;
		if (!*str || strchr(str, ' ') || strchr(str, '/'))
			return ldr_error(l, v, "driver '%s' is not a driver name", str);
		ldr_check_driver(l, v, str);
		sp->driver = ldr_keep(l, str);
	}
	if ((v = ynode_map_get(map, "bars")) && parse_bars(l, v, sp))
		return -1;
	if ((v = ynode_map_get(map, "iommu"))) {      /* false: behind no IOMMU */
		bool behind;
		if (ldr_bool(l, v, &behind, "iommu"))
			return -1;
		sp->no_iommu = !behind;
	}
	if ((v = ynode_map_get(map, "irqs")) && parse_irqs(l, v, sp))
		return -1;
	if ((v = ynode_map_get(map, "vendor"))) {
		if (ldr_u64(l, v, &id, 0xffff, false, "vendor"))
			return -1;
		sp->vendor = (uint16_t)id;
	}
	if ((v = ynode_map_get(map, "device"))) {
		if (ldr_u64(l, v, &id, 0xffff, false, "device"))
			return -1;
		sp->device = (uint16_t)id;
	}
	return 0;
}

static const char *const spec_key_names[] = {
	[PCI_KEY_ENTRY] = NULL, [PCI_KEY_BDF] = "bdf", [PCI_KEY_TYPE] = "type",
	[PCI_KEY_PARENT] = "parent", [PCI_KEY_ACS] = "acs",
	[PCI_KEY_ACS_CTRL] = "acs_ctrl", [PCI_KEY_DMA_ALIAS] = "dma_alias",
	[PCI_KEY_CAPS] = "caps", [PCI_KEY_DRIVER] = "driver",
};

/*
 * Boot the topology in a scratch world: model/pci owns the topology rules and
 * the drivers' probes own theirs (vfio-pci refuses a bridge), so both report
 * here, at the key they are about.
 */
static int validate_topology(struct ldr *l, const struct ynode *seq)
{
	struct pci_build_error berr;
	struct sim_world *w;
	char *err = NULL;

	w = scenario_world_boot(l->s, NULL, &berr, &err);
	if (w) {
		l->world = w;   /* the steps ask it which devices have groups */
		return 0;
	}
	if (berr.index < seq->nitems) {
		const struct ynode *entry = seq->items[berr.index];
		const struct ynode *at = entry;
		const char *key = berr.key < G_N_ELEMENTS(spec_key_names) ?
				  spec_key_names[berr.key] : NULL;

		if (key && ynode_map_get(entry, key))
			at = ynode_map_get(entry, key);
		g_free(err);
		return ldr_error(l, at, "%s", berr.msg);
	}
	ldr_error(l, seq, "%s", err);
	g_free(err);
	return -1;
}

static int parse_topology(struct ldr *l, const struct ynode *seq)
{
	struct scenario *s = l->s;
	bool failed = false;

	if (ldr_need(l, seq, YN_SEQ, "topology"))
		return -1;
	s->ntopology = seq->nitems;
	s->topology = g_new0(struct pci_dev_spec, seq->nitems ? seq->nitems : 1);
	for (size_t i = 0; i < seq->nitems; i++) {
		if (parse_topo_entry(l, seq->items[i], &s->topology[i]))
			failed = true;
		if (ldr_recover(l))
			return -1;
	}
	/* booting needs every entry; with errors, they are what to fix first */
	return failed ? -1 : validate_topology(l, seq);
}

/* ---- processes ---------------------------------------------------------- */

static int parse_caps_list(struct ldr *l, const struct ynode *seq, uint64_t *caps)
{
	if (ldr_need(l, seq, YN_SEQ, "caps"))
		return -1;
	*caps = 0;
	for (size_t i = 0; i < seq->nitems; i++) {
		const struct ynode *n = seq->items[i];
		int cap;

		if (ldr_need(l, n, YN_SCALAR, "a capability"))
			return -1;
		cap = sim_cap_from_name(n->str);
		if (cap < 0)
			return ldr_error(l, n, "unknown capability '%s' (write e.g. CAP_IPC_LOCK)",
					 n->str);
		*caps |= SIM_CAP_BIT(cap);
	}
	return 0;
}

static struct scn_process *find_proc(struct scenario *s, const char *name)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].name && !strcmp(s->procs[i].name, name))
			return &s->procs[i];
	return NULL;
}

static int parse_process(struct ldr *l, const struct ynode *map, struct scn_process *p)
{
	const struct ynode *v;
	const char *name;
	uint64_t num;
	bool caps_given = false;

	if (ldr_need(l, map, YN_MAP, "a process") ||
	    ldr_check_keys(l, map, proc_keys, "process"))
		return -1;
	if (!(v = ldr_get(l, map, "name", "a process")) || ldr_str(l, v, &name, "name"))
		return -1;
	if (!g_regex_match_simple("^[A-Za-z_][A-Za-z0-9_.-]{0,31}$", name, 0, 0))
		return ldr_error(l, v, "process name '%s' must be a word of at most 32 "
				 "letters, digits, '_', '.' or '-'", name);
	if (!strcmp(name, "init") || find_proc(l->s, name))
		return ldr_error(l, v, "process '%s' is defined twice%s", name,
				 strcmp(name, "init") ? "" : " (init, pid 1, always exists)");
	p->name = g_strdup(name);
	p->pos = (struct scn_pos){ map->line, map->col };
	p->rlimit_memlock = 8ull << 20;
	if ((v = ynode_map_get(map, "uid"))) {
		if (ldr_u64(l, v, &num, UINT32_MAX - 1, false, "uid"))
			return -1;
		p->uid = (uint32_t)num;
	}
	p->gid = p->uid;
	if ((v = ynode_map_get(map, "gid"))) {
		if (ldr_u64(l, v, &num, UINT32_MAX - 1, false, "gid"))
			return -1;
		p->gid = (uint32_t)num;
	}
	if ((v = ynode_map_get(map, "caps"))) {
		if (parse_caps_list(l, v, &p->caps))
			return -1;
		caps_given = true;
	}
	if (!caps_given)
		p->caps = p->uid == 0 ? SIM_CAPS_ALL : 0;
	if ((v = ynode_map_get(map, "rlimit_memlock"))) {
		if (v->kind == YN_SCALAR && !strcmp(v->str, "unlimited"))
			p->rlimit_memlock = SIM_RLIM_INFINITY;
		else if (ldr_u64(l, v, &p->rlimit_memlock, UINT64_MAX, true, "rlimit_memlock"))
			return -1;
	}
	/* prctl(PR_SET_DUMPABLE): false (0) keeps ptrace-style access, a
	 * foreign SVA bind included, to CAP_SYS_PTRACE */
	p->dumpable = true;
	if ((v = ynode_map_get(map, "dumpable")) && ldr_bool(l, v, &p->dumpable, "dumpable"))
		return -1;
	if ((v = ynode_map_get(map, "parent"))) {
		const char *parent;
		if (ldr_str(l, v, &parent, "parent"))
			return -1;
		if (strcmp(parent, "init") && !find_proc(l->s, parent))
			return ldr_error(l, v, "parent process '%s' is not defined above", parent);
		p->parent = g_strdup(parent);
	}
	return 0;
}

static int parse_processes(struct ldr *l, const struct ynode *seq)
{
	struct scenario *s = l->s;

	if (ldr_need(l, seq, YN_SEQ, "processes"))
		return -1;
	s->procs = g_new0(struct scn_process, seq->nitems ? seq->nitems : 1);
	for (size_t i = 0; i < seq->nitems; i++) {
		const struct ynode *name = seq->items[i]->kind == YN_MAP ?
					   ynode_map_get(seq->items[i], "name") : NULL;

		/* counted first: a half-parsed entry is freed with the rest */
		s->nprocs++;
		if (parse_process(l, seq->items[i], &s->procs[i]) && !s->procs[i].name)
			/* named anyway, so steps run 'by' it report nothing more
			 * (and every process has a name, "" when it has none) */
			s->procs[i].name = g_strdup(name && name->kind == YN_SCALAR &&
						    !find_proc(s, name->str) ? name->str : "");
		if (ldr_recover(l))
			return -1;
	}
	return 0;
}

/* ---- top level ---------------------------------------------------------- */

static int parse_top(struct ldr *l, const struct ynode *root)
{
	const struct ynode *v;
	const char *str;
	bool keys_ok;

	if (!root)
		return ldr_error(l, NULL, "empty scenario: expected a mapping with "
				 "'name' and 'topology'");
	if (ldr_need(l, root, YN_MAP, "a scenario"))
		return -1;
	/* every section is parsed even after another's error (ldr_recover),
	 * so a file's independent errors are all reported at once */
	/* a misspelt key is likely the required one that is missing: say it once */
	keys_ok = !ldr_check_keys(l, root, top_keys, "the scenario");
	ldr_recover(l);
	if ((v = keys_ok ? ldr_get(l, root, "name", "a scenario") : ynode_map_get(root, "name")) &&
	    !ldr_str(l, v, &str, "name"))
		l->s->name = g_strdup(str);
	ldr_recover(l);
	if ((v = ynode_map_get(root, "description")) && !ldr_str(l, v, &str, "description"))
		l->s->description = g_strdup(str);
	ldr_recover(l);
	if ((v = ynode_map_get(root, "profile")))
		parse_profile(l, v);
	if (ldr_recover(l))
		return -1;
	if ((v = keys_ok ? ldr_get(l, root, "topology", "a scenario")
			 : ynode_map_get(root, "topology")))
		parse_topology(l, v);
	if (!v || v->kind != YN_SEQ)
		l->topology_incomplete = true;   /* no device is "not in it" */
	if (ldr_recover(l))
		return -1;
	if ((v = ynode_map_get(root, "processes")))
		parse_processes(l, v);
	if (ldr_recover(l))
		return -1;
	if ((v = ynode_map_get(root, "steps")))
		ldr_parse_steps(l, v);
	if (ldr_recover(l))
		return -1;
	if ((v = ynode_map_get(root, "expect")))
		ldr_parse_expect(l, v, &l->s->expect);
	ldr_recover(l);
	return 0;
}

struct scenario *scenario_load_string(const char *text, size_t len,
				      const char *name, char **err)
{
	struct scenario *s = g_new0(struct scenario, 1);
	struct ldr l = { .file = name, .s = s };
	unsigned line, col;
	char *msg = NULL;
	struct ydoc *doc;

	s->file = g_strdup(name);
	s->profile.address_width = 48;
	s->profile.iotlb_entries = 512;
	s->profile.atc_entries = 64;
	s->profile.ctx_cache_entries = IOMMU_HW_DEFAULT_CTX_CACHE;
	s->profile.pasid_cache_entries = IOMMU_HW_DEFAULT_PASID_CACHE;
	s->profile.pasid_bits = 20;
	s->profile.dma_entry_limit = 65535;
	s->profile.pasid_quota = 1000;
	s->profile.invariants = true;
	s->profile.memory_budget = SCN_MEMORY_BUDGET_DEFAULT;
	s->warnings = g_ptr_array_new_with_free_func(g_free);
	s->strings = g_ptr_array_new_with_free_func(g_free);
	l.handles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	doc = ydoc_parse(text, len, &line, &col, &msg);
	if (!doc) {
		l.err = g_strdup_printf("%s:%u:%u: error: %s", name, line, col, msg);
		g_free(msg);
	} else {
		parse_top(&l, doc->root);
		ydoc_free(doc);
	}
	g_hash_table_destroy(l.handles);
	*err = ldr_take_errors(&l);
	if (*err) {
		sim_world_destroy(l.world);
		scenario_free(s);
		return NULL;
	}
	/* the boot world, completed, for a run that asks for nothing else;
	 * a process the run cannot create is its error to report */
	if (l.world) {
		char *perr = NULL;

		if (scenario_world_finish(s, l.world, NULL, &perr)) {
			sim_world_destroy(l.world);
			l.world = NULL;
		}
		g_free(perr);
	}
	s->boot = l.world;
	return s;
}

struct scenario *scenario_load_file(const char *path, char **err)
{
	GError *gerr = NULL;
	struct scenario *s;
	gchar *text;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		/* no line and column: the file was not read */
		*err = g_strdup_printf("%s: error: %s", path, gerr->message);
		g_error_free(gerr);
		return NULL;
	}
	s = scenario_load_string(text, len, path, err);
	g_free(text);
	return s;
}

/* A profile the loader's world was not built with: that world is gone. */
static void boot_stale(struct scenario *s)
{
	sim_world_destroy(s->boot);
	s->boot = NULL;
}

void scenario_set_mode(struct scenario *s, enum iommu_group_mode mode)
{
	if (s->profile.group_mode != mode)
		boot_stale(s);
	s->profile.group_mode = mode;
}

void scenario_set_kernel(struct scenario *s, enum sim_kernel k)
{
	if (s->profile.kernel != (unsigned)k)
		boot_stale(s);
	s->profile.kernel = (unsigned)k;
}

void scenario_set_iommufd(struct scenario *s, bool on)
{
	if (s->profile.no_iommufd == on)
		boot_stale(s);
	s->profile.no_iommufd = !on;
}

void scenario_set_iommufd_test(struct scenario *s, bool on)
{
	if (s->profile.iommufd_test != on)
		boot_stale(s);
	s->profile.iommufd_test = on;
}

void scenario_set_vfio_container(struct scenario *s, bool iommufd)
{
	if (s->profile.vfio_container_iommufd != iommufd)
		boot_stale(s);
	s->profile.vfio_container_iommufd = iommufd;
}

void scenario_set_format(struct scenario *s, enum iommu_hw_kind kind)
{
	if (s->profile.hw_kind != (unsigned)kind)
		boot_stale(s);
	s->profile.hw_kind = (unsigned)kind;
}

void scenario_free(struct scenario *s)
{
	if (!s)
		return;
	sim_world_destroy(s->boot);
	for (size_t i = 0; i < s->nsteps; i++)
		scn_step_clear(&s->steps[i]);
	g_free(s->steps);
	for (size_t i = 0; i < s->nprocs; i++) {
		g_free(s->procs[i].name);
		g_free(s->procs[i].parent);
	}
	g_free(s->procs);
	g_free(s->topology);
	scn_expect_free(s->expect);
	g_ptr_array_free(s->warnings, TRUE);
	g_ptr_array_free(s->strings, TRUE);
	g_free(s->name);
	g_free(s->description);
	g_free(s->file);
	g_free(s);
}
