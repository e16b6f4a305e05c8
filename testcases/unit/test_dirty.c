/* SPDX-License-Identifier: MIT */
/*
 * Hardware dirty tracking and the capability registers (model/iommu,
 * docs/dirty-tracking.md):
 *  - IOMMU_CAP_DIRTY_TRACKING as each driver answers it, by profile and
 *    kernel release; the allocation rules of domain_alloc_paging_flags
 *    with NEST_PARENT and DIRTY_TRACKING on every kind, and every
 *    EOPNOTSUPP / EINVAL of the dirty ops;
 *  - on VT-d (SSADE, second-stage D bit 9) and SMMUv3 (CD.HA|HD, DBM and
 *    AP[2]): device writes through a tracking domain mark exactly the
 *    pages written (random writes against a naive set), reads never mark,
 *    NO_CLEAR keeps the bits, a clear then a write reports again, a 2 MiB
 *    leaf reports 2 MiB, tracking off marks nothing, a domain attached
 *    after tracking was turned on tracks, ATS translation requests mark;
 *  - the IOTLB caches the dirty state: with read_and_clear's flush left
 *    out (the skip-dirty-flush bug) a second write is not recorded, and
 *    the cache checker names the entry as stale dirty state (§H9);
 *  - RISC-V: the hardware's D bit under DC.tc.GADE, the store fault
 *    without it, and the kernel's "not capable";
 *  - the VT-d CAP/ECAP and SMMUv3 IDR registers decoded back to the
 *    configuration, IOMMU_GET_HW_INFO's driver data by release, and the
 *    core's out_capabilities / out_max_pasid_log2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/mem.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "iommusim/uapi/iommufd.h"

#include "pci_fixture.h"

#define RW (IOMMU_READ | IOMMU_WRITE)
#define IOMMU_PASID_BITS 10

/* The tracked window: 64 pages of 4 KiB leaves at IOVA 0x100000 (not
 * 2 MiB aligned: the map uses 4 KiB leaves), and a 2 MiB leaf. */
#define WIN_IOVA   0x100000ull
#define WIN_HPA    0x10000000ull
#define WIN_PAGES  64u
#define HUGE_IOVA  0x40000000ull
#define HUGE_HPA   0x20000000ull

static struct sim_world *w;
static struct pci_dev *dev_a, *dev_b, *dev_c;

struct boot_opts {
	enum iommu_hw_kind kind;
	enum sim_kernel kernel;
	unsigned width;              /* 0: 48 */
	unsigned bugs;
	bool no_dirty, no_coherent_walk, snoop, no_ir, linear_strtab, busy_dma;
	unsigned atc_entries;        /* 0: the default */
	bool no_atc;
};

/*
 *   A 01:00.0  ATS, an 8-bit PASID capability
 *   B 02:00.0  a 20-bit PASID capability (wider than the IOMMU's 10)
 *   C 03:00.0  no ATS, no PASID
 * each alone below an ACS root port.
 */
static void boot(const struct boot_opts *o)
{
	struct pci_dev_spec topo[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", ENDPOINT, PARENT("00:01.0"), .ats = true, .pasid_width = 8),
		DEV("00:02.0", ROOT_PORT, ACS),
		DEV("02:00.0", ENDPOINT, PARENT("00:02.0"), .pasid_width = 20),
		DEV("00:03.0", ROOT_PORT, ACS),
		DEV("03:00.0", ENDPOINT, PARENT("00:03.0")),
	};
	struct iommu_hw_config hw = {
		.kind = o->kind,
		.iotlb_entries = IOMMU_HW_DEFAULT_IOTLB,
		.atc_entries = o->no_atc ? 0 : o->atc_entries ? o->atc_entries
							       : IOMMU_HW_DEFAULT_ATC,
		.ctx_cache_entries = IOMMU_HW_DEFAULT_CTX_CACHE,
		.pasid_cache_entries = IOMMU_HW_DEFAULT_PASID_CACHE,
		.fault_queue_len = IOMMU_HW_DEFAULT_FAULTQ,
		.pasid_bits = IOMMU_PASID_BITS,
		.busy_dma = o->busy_dma,
		.snoop_control = o->snoop,
		.no_irq_remapping = o->no_ir,
		.no_coherent_walk = o->no_coherent_walk,
		.no_dirty_tracking = o->no_dirty,
		.smmu_linear_strtab = o->linear_strtab,
		.check = true,
	};
	struct iommu_profile prof = {
		.address_width = o->width ? o->width : 48,
		.bugs = o->bugs,
	};
	struct pci_build_error err = { 0 };

	w = sim_world_create(7);
	sim_world_set_kernel(w, o->kernel);
	ck_assert_msg(pci_topology_create(w, topo, N(topo), &err) == 0, "%s", err.msg);
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_LEGACY), 0);
	ck_assert_int_eq(iommu_hw_create(w, &hw), 0);
	ck_assert_int_eq(iommu_domains_init(w, &prof), 0);
	dev_a = pci_dev_find(w, B("01:00.0"));
	dev_b = pci_dev_find(w, B("02:00.0"));
	dev_c = pci_dev_find(w, B("03:00.0"));
	ck_assert(dev_a && dev_b && dev_c);
}

static void teardown(void)
{
	if (w)
		sim_world_destroy(w);
	w = NULL;
}

static void reboot(const struct boot_opts *o)
{
	teardown();
	boot(o);
}

static void boot_kind(enum iommu_hw_kind k)
{
	struct boot_opts o = { .kind = k };

	reboot(&o);
}

static uint16_t rid(const struct pci_dev *d)
{
	return (uint16_t)(d->sbdf & 0xffff);
}

/* An 8-byte DMA by @d at @iova. */
static int dma(struct pci_dev *d, uint64_t iova, bool write)
{
	uint64_t v = 0x5eed0000ull + iova;
	struct iommu_fault_rec f;

	return iommu_hw_dma(w, 0, rid(d), false, 0, iova, &v, sizeof(v), write, &f);
}

/* ---- what read_and_clear reports --------------------------------------------------- */

struct ranges {
	uint64_t iova[256], len[256];
	unsigned n;
};

static void record(void *ctx, uint64_t iova, uint64_t len)
{
	struct ranges *r = ctx;

	ck_assert_uint_lt(r->n, 256);
	/* in address order */
	if (r->n)
		ck_assert_uint_ge(iova, r->iova[r->n - 1] + r->len[r->n - 1]);
	r->iova[r->n] = iova;
	r->len[r->n] = len;
	r->n++;
}

static struct ranges read_dirty(struct iommu_domain *d, uint64_t iova, uint64_t size,
				unsigned long flags)
{
	struct ranges r = { .n = 0 };

	ck_assert_int_eq(iommu_domain_read_and_clear_dirty(d, iova, size, flags, record, &r), 0);
	return r;
}

/* The window's dirty pages as a bitmap (each range one 4 KiB page). */
static uint64_t window_dirty(struct iommu_domain *d, unsigned long flags)
{
	struct ranges r = read_dirty(d, WIN_IOVA, WIN_PAGES * SZ_4K, flags);
	uint64_t bits = 0;

	for (unsigned i = 0; i < r.n; i++) {
		ck_assert_uint_eq(r.len[i], SZ_4K);
		bits |= 1ull << ((r.iova[i] - WIN_IOVA) / SZ_4K);
	}
	return bits;
}

/* No stale translation anywhere, served or cached. */
static void assert_no_stale(void)
{
	GString *s = g_string_new(NULL);
	int n = iommu_hw_take_violations(w, s) + iommu_hw_check_caches(w, s);

	ck_assert_msg(n == 0, "%s", s->str);
	g_string_free(s, TRUE);
}

/*
 * A dirty-tracking domain on @d's group with the window mapped, tracking
 * turned on as iommufd does it (iopt_set_dirty_tracking): every dirty bit
 * cleared first (SMMUv3 leaves start writable-dirty), then the driver op.
 */
static struct iommu_domain *tracking_domain(struct pci_dev *d)
{
	struct iommu_domain *dom = NULL;

	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING,
							 &dom), 0);
	ck_assert(dom && dom->dirty_ops);
	ck_assert_int_eq(iommu_attach_group(dom, iommu_group_of(d)), 0);
	ck_assert_int_eq(iommu_map(dom, WIN_IOVA, WIN_HPA, WIN_PAGES * SZ_4K, RW), 0);
	ck_assert_int_eq(iommu_domain_read_and_clear_dirty(dom, WIN_IOVA, WIN_PAGES * SZ_4K, 0,
							   NULL, NULL), 0);
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(dom, true), 0);
	return dom;
}

static void drop_domain(struct iommu_domain *dom, struct pci_dev *d)
{
	iommu_detach_group(dom, iommu_group_of(d));
	iommu_domain_free(dom);
}

/* A deterministic generator (xorshift64*) for the random rounds. */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

static const enum iommu_hw_kind tracking_kinds[] = { IOMMU_HW_VTD, IOMMU_HW_SMMUV3 };

/* ---- the capability ---------------------------------------------------------------- */

START_TEST(test_capable)
{
	struct boot_opts o = { 0 };

	/* intel: ssads_supported; arm: HD and coherency; riscv: never */
	o.kind = IOMMU_HW_VTD;
	reboot(&o);
	ck_assert(iommu_dirty_tracking_capable(w));
	o.kind = IOMMU_HW_SMMUV3;
	reboot(&o);
	ck_assert(iommu_dirty_tracking_capable(w));
	o.kind = IOMMU_HW_RISCV;
	reboot(&o);
	ck_assert(!iommu_dirty_tracking_capable(w));
	/* the profile says the hardware cannot */
	o = (struct boot_opts){ .kind = IOMMU_HW_VTD, .no_dirty = true };
	reboot(&o);
	ck_assert(!iommu_dirty_tracking_capable(w));
	o.kind = IOMMU_HW_SMMUV3;
	reboot(&o);
	ck_assert(!iommu_dirty_tracking_capable(w));
	/* arm_smmu_dbm_capable wants a coherent SMMU too */
	o = (struct boot_opts){ .kind = IOMMU_HW_SMMUV3, .no_coherent_walk = true };
	reboot(&o);
	ck_assert(!iommu_dirty_tracking_capable(w));
	/* by release: intel since 6.7, arm since 6.11 */
	o = (struct boot_opts){ .kind = IOMMU_HW_VTD, .kernel = SIM_KERNEL_6_1 };
	reboot(&o);
	ck_assert(!iommu_dirty_tracking_capable(w));
	o.kernel = SIM_KERNEL_6_12;
	reboot(&o);
	ck_assert(iommu_dirty_tracking_capable(w));
	o.kind = IOMMU_HW_SMMUV3;
	reboot(&o);
	ck_assert(iommu_dirty_tracking_capable(w));
	o.kernel = SIM_KERNEL_6_2;
	reboot(&o);
	ck_assert(!iommu_dirty_tracking_capable(w));
}
END_TEST

/* ---- allocation and the ops' errors ------------------------------------------------ */

START_TEST(test_alloc_rules)
{
	struct iommu_domain *d = NULL, *plain;
	struct boot_opts o = { 0 };

	/* VT-d: dirty tracking and nest parents are second-stage domains */
	boot_kind(IOMMU_HW_VTD);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING, &d),
			 0);
	ck_assert(d->dirty_ops && !d->dirty_tracking && d->stage == 2 && !d->nest_parent);
	ck_assert_ptr_eq(d->pt.fmt, &io_pgtable_vtd_ss);
	iommu_domain_free(d);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING |
							 IOMMU_DOMAIN_ALLOC_NEST_PARENT, &d), 0);
	ck_assert(d->dirty_ops && d->stage == 2 && d->nest_parent);
	iommu_domain_free(d);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, 1u << 2, &d), -EOPNOTSUPP);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, 0, &d), 0);
	ck_assert(!d->dirty_ops);
	/* no dirty ops: both ops EOPNOTSUPP */
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(d, true), -EOPNOTSUPP);
	ck_assert_int_eq(iommu_domain_read_and_clear_dirty(d, 0, SZ_4K, 0, NULL, NULL),
			 -EOPNOTSUPP);
	iommu_domain_free(d);
	/* intel_iommu_set_dev_pasid: a dirty-tracking domain on a PASID */
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING, &d),
			 0);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_b, 5), -EINVAL);
	/* the ops' own argument checks */
	ck_assert_int_eq(iommu_domain_read_and_clear_dirty(d, 0, 0, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(iommu_domain_read_and_clear_dirty(d, 0, SZ_4K, 2, NULL, NULL), -EINVAL);
	ck_assert_int_eq(iommu_domain_read_and_clear_dirty(d, ~0ull - SZ_4K + 2, SZ_4K, 0, NULL,
							   NULL), -EINVAL);
	/* a bitmap while tracking is off (intel_iommu_read_and_clear_dirty);
	 * the clear without one is iommufd's, before it turns tracking on */
	{
		struct ranges r = { .n = 0 };

		ck_assert_int_eq(iommu_domain_read_and_clear_dirty(d, 0, SZ_4K, 0, record, &r),
				 -EINVAL);
	}
	ck_assert_int_eq(iommu_domain_read_and_clear_dirty(d, 0, SZ_4K, 0, NULL, NULL), 0);
	iommu_domain_free(d);

	/* SMMUv3: dirty tracking is a stage-1 domain with HD; no stage-2 HTTU */
	boot_kind(IOMMU_HW_SMMUV3);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING, &d),
			 0);
	ck_assert(d->dirty_ops && d->stage == 1 && (d->pt.quirks & IO_PGTABLE_QUIRK_ARM_HD));
	ck_assert_ptr_eq(d->pt.fmt, &io_pgtable_arm_s1);
	iommu_domain_free(d);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_NEST_PARENT, &d), 0);
	ck_assert(!d->dirty_ops && d->stage == 2 && d->nest_parent);
	iommu_domain_free(d);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING |
							 IOMMU_DOMAIN_ALLOC_NEST_PARENT, &d),
			 -EOPNOTSUPP);

	/* RISC-V: never; nest parents are */
	boot_kind(IOMMU_HW_RISCV);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING, &d),
			 -EOPNOTSUPP);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_NEST_PARENT, &d), 0);
	ck_assert(d->nest_parent && d->stage == 2);
	iommu_domain_free(d);

	/* not capable: EOPNOTSUPP on every kind */
	for (unsigned k = 0; k < N(tracking_kinds); k++) {
		o = (struct boot_opts){ .kind = tracking_kinds[k], .no_dirty = true };
		reboot(&o);
		ck_assert_int_eq(iommu_domain_alloc_paging_flags(
					 w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING, &d), -EOPNOTSUPP);
		plain = iommu_group_default_domain(iommu_group_of(dev_c));
		ck_assert_int_eq(iommu_domain_set_dirty_tracking(plain, true), -EOPNOTSUPP);
	}
}
END_TEST

/* ---- writes, reads, NO_CLEAR -------------------------------------------------------- */

START_TEST(test_random_writes)
{
	for (unsigned k = 0; k < N(tracking_kinds); k++) {
		struct iommu_domain *d;

		boot_kind(tracking_kinds[k]);
		rnd_state = 0x9e3779b97f4a7c15ull + k;
		d = tracking_domain(dev_c);
		ck_assert_uint_eq(window_dirty(d, IOMMU_DIRTY_NO_CLEAR), 0);
		for (unsigned round = 0; round < 40; round++) {
			uint64_t written = 0, got;
			unsigned nops = 1 + (unsigned)(rnd() % 48);

			for (unsigned i = 0; i < nops; i++) {
				unsigned pg = (unsigned)(rnd() % WIN_PAGES);
				bool wr = rnd() & 1;

				ck_assert_int_eq(dma(dev_c, WIN_IOVA + pg * SZ_4K +
						     (rnd() % (SZ_4K / 8)) * 8, wr), 0);
				if (wr)
					written |= 1ull << pg;
			}
			/* NO_CLEAR reads and keeps them, twice alike */
			ck_assert_uint_eq(window_dirty(d, IOMMU_DIRTY_NO_CLEAR), written);
			ck_assert_uint_eq(window_dirty(d, IOMMU_DIRTY_NO_CLEAR), written);
			got = window_dirty(d, 0);
			ck_assert_msg(got == written, "%s round %u: dirty %#llx, written %#llx",
				      iommu_hw_kind_name(tracking_kinds[k]), round,
				      (unsigned long long)got, (unsigned long long)written);
			/* cleared: nothing until the next write */
			ck_assert_uint_eq(window_dirty(d, IOMMU_DIRTY_NO_CLEAR), 0);
		}
		assert_no_stale();
		drop_domain(d, dev_c);
	}
}
END_TEST

START_TEST(test_reads_never_mark)
{
	for (unsigned k = 0; k < N(tracking_kinds); k++) {
		struct iommu_domain *d;

		boot_kind(tracking_kinds[k]);
		d = tracking_domain(dev_c);
		for (unsigned pg = 0; pg < WIN_PAGES; pg++)
			ck_assert_int_eq(dma(dev_c, WIN_IOVA + pg * SZ_4K, false), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 0);
		/* a write through the translations the reads cached (write-clean
		 * in the IOTLB) still marks */
		ck_assert_int_eq(dma(dev_c, WIN_IOVA + 3 * SZ_4K, true), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 1ull << 3);
		assert_no_stale();
		drop_domain(d, dev_c);
	}
}
END_TEST

/* A clear, then a write to the same page, reports it again: the clear's
 * IOTLB flush drops the cached "already dirty" translation. */
START_TEST(test_clear_then_write_again)
{
	for (unsigned k = 0; k < N(tracking_kinds); k++) {
		struct iommu_domain *d;

		boot_kind(tracking_kinds[k]);
		d = tracking_domain(dev_c);
		for (unsigned i = 0; i < 3; i++) {
			ck_assert_int_eq(dma(dev_c, WIN_IOVA + 5 * SZ_4K, true), 0);
			ck_assert_int_eq(dma(dev_c, WIN_IOVA + 5 * SZ_4K + 64, true), 0);
			ck_assert_uint_eq(window_dirty(d, 0), 1ull << 5);
		}
		assert_no_stale();
		drop_domain(d, dev_c);
	}
}
END_TEST

/*
 * Without read_and_clear's IOTLB flush (the skip-dirty-flush bug) the
 * IOTLB still holds the translation the first write filled dirty: the
 * second write hits it and records nothing, though the leaf in memory is
 * clean.  The translation itself (the address, the permission) is what the
 * tables say; its dirty state is not, and the cache checker says so from
 * the moment the bits were cleared (§H9 stale dirty state).
 */
static void assert_stale_dirty(unsigned expected)
{
	GString *s = g_string_new(NULL);
	int n = iommu_hw_take_violations(w, s) + iommu_hw_check_caches(w, s);

	ck_assert_msg(n == (int)expected, "%d violation(s), %u expected: %s", n, expected, s->str);
	ck_assert_msg(!expected || strstr(s->str, "§H9 stale dirty state: IOTLB entry"), "%s",
		      s->str);
	g_string_free(s, TRUE);
}

START_TEST(test_missing_flush_loses_write)
{
	for (unsigned k = 0; k < N(tracking_kinds); k++) {
		struct boot_opts o = { .kind = tracking_kinds[k], .bugs = IOMMU_BUG_SKIP_DIRTY_FLUSH };
		struct iommu_domain *d;

		reboot(&o);
		d = tracking_domain(dev_c);
		ck_assert_int_eq(dma(dev_c, WIN_IOVA + 7 * SZ_4K, true), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 1ull << 7);
		assert_stale_dirty(1);                             /* cleared, not flushed */
		ck_assert_int_eq(dma(dev_c, WIN_IOVA + 7 * SZ_4K, true), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 0);          /* the write is lost */
		assert_stale_dirty(1);
		/* a flush (here the domain's) and the next write is seen again */
		iommu_hw_inv_domain(w, d->did);
		ck_assert_int_eq(dma(dev_c, WIN_IOVA + 7 * SZ_4K, true), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 1ull << 7);
		drop_domain(d, dev_c);
	}
	/* the same steps with the flush: nothing lost */
	for (unsigned k = 0; k < N(tracking_kinds); k++) {
		struct iommu_domain *d;

		boot_kind(tracking_kinds[k]);
		d = tracking_domain(dev_c);
		ck_assert_int_eq(dma(dev_c, WIN_IOVA + 7 * SZ_4K, true), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 1ull << 7);
		ck_assert_int_eq(dma(dev_c, WIN_IOVA + 7 * SZ_4K, true), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 1ull << 7);
		drop_domain(d, dev_c);
	}
}
END_TEST

START_TEST(test_huge_leaf)
{
	for (unsigned k = 0; k < N(tracking_kinds); k++) {
		struct iommu_domain *d;
		struct ranges r;

		boot_kind(tracking_kinds[k]);
		d = tracking_domain(dev_c);
		ck_assert_int_eq(iommu_map(d, HUGE_IOVA, HUGE_HPA, SZ_2M, RW), 0);
		r = read_dirty(d, HUGE_IOVA, SZ_2M, 0);   /* arm: born writable-dirty */
		ck_assert_int_eq(dma(dev_c, HUGE_IOVA + 0x123450, true), 0);
		/* a range starting inside the leaf reports the whole leaf */
		r = read_dirty(d, HUGE_IOVA + SZ_2M / 2, SZ_4K, 0);
		ck_assert_uint_eq(r.n, 1);
		ck_assert_uint_eq(r.iova[0], HUGE_IOVA);
		ck_assert_uint_eq(r.len[0], SZ_2M);
		r = read_dirty(d, HUGE_IOVA, SZ_2M, 0);
		ck_assert_uint_eq(r.n, 0);
		assert_no_stale();
		drop_domain(d, dev_c);
	}
}
END_TEST

/*
 * What iommu_map leaves: VT-d's second-stage leaves start clean
 * (__domain_mapping writes no D); io-pgtable-arm writes DBM with AP[2]
 * clear into every writable leaf of an HD table, writable-dirty, which is
 * why iommufd clears a domain before it turns tracking on.  Read-only
 * leaves are never dirty.
 */
START_TEST(test_new_leaves)
{
	struct iommu_domain *d;
	struct ranges r;

	boot_kind(IOMMU_HW_VTD);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING, &d),
			 0);
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(d, true), 0);
	ck_assert_int_eq(iommu_map(d, WIN_IOVA, WIN_HPA, 4 * SZ_4K, RW), 0);
	r = read_dirty(d, WIN_IOVA, 4 * SZ_4K, 0);
	ck_assert_uint_eq(r.n, 0);
	iommu_domain_free(d);

	boot_kind(IOMMU_HW_SMMUV3);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING, &d),
			 0);
	ck_assert_int_eq(iommu_map(d, WIN_IOVA, WIN_HPA, 4 * SZ_4K, RW), 0);
	ck_assert_int_eq(iommu_map(d, WIN_IOVA + 4 * SZ_4K, WIN_HPA + 4 * SZ_4K, SZ_4K, IOMMU_READ),
			 0);
	r = read_dirty(d, WIN_IOVA, 5 * SZ_4K, 0);
	ck_assert_uint_eq(r.n, 4);
	r = read_dirty(d, WIN_IOVA, 5 * SZ_4K, 0);
	ck_assert_uint_eq(r.n, 0);
	/* writable-clean is still writable, to the kernel as to the SMMU */
	{
		uint64_t hpa;
		unsigned prot;

		ck_assert_int_eq(iommu_iova_to_phys(d, WIN_IOVA, &hpa, &prot), 0);
		ck_assert_uint_eq(prot, RW);
	}
	iommu_domain_free(d);
}
END_TEST

/* VT-d: SSADE off marks nothing; a domain attached after tracking was
 * turned on gets SSADE in its PASID entry. */
START_TEST(test_tracking_off_and_late_attach)
{
	struct iommu_domain *d;
	struct iommu_context c;

	boot_kind(IOMMU_HW_VTD);
	d = tracking_domain(dev_c);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.dirty, IOMMU_CTX_DIRTY_S2);
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(d, false), 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.dirty, 0);
	for (unsigned pg = 0; pg < 8; pg++)
		ck_assert_int_eq(dma(dev_c, WIN_IOVA + pg * SZ_4K, true), 0);
	/* turning it back on finds nothing recorded meanwhile */
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(d, true), 0);
	ck_assert_uint_eq(window_dirty(d, 0), 0);
	drop_domain(d, dev_c);

	/* tracking first, devices after */
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING, &d),
			 0);
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(d, true), 0);
	ck_assert_int_eq(iommu_map(d, WIN_IOVA, WIN_HPA, WIN_PAGES * SZ_4K, RW), 0);
	ck_assert_int_eq(iommu_attach_group(d, iommu_group_of(dev_c)), 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.dirty, IOMMU_CTX_DIRTY_S2);
	ck_assert_int_eq(dma(dev_c, WIN_IOVA + 9 * SZ_4K, true), 0);
	ck_assert_uint_eq(window_dirty(d, 0), 1ull << 9);
	assert_no_stale();
	drop_domain(d, dev_c);

	/* SMMUv3: a domain without dirty ops has no HD in its CD: nothing is
	 * ever marked in its leaves */
	boot_kind(IOMMU_HW_SMMUV3);
	d = iommu_domain_alloc_paging(w, 1, false);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(iommu_attach_group(d, iommu_group_of(dev_c)), 0);
	ck_assert_int_eq(iommu_map(d, WIN_IOVA, WIN_HPA, WIN_PAGES * SZ_4K, RW), 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.dirty, 0);
	ck_assert_int_eq(dma(dev_c, WIN_IOVA, true), 0);
	ck_assert_int_eq(io_pgtable_read_and_clear_dirty(&d->pt, WIN_IOVA, WIN_PAGES * SZ_4K,
							 true, NULL, NULL), 0);
	drop_domain(d, dev_c);
}
END_TEST

/* VT-d: a nest parent's tracking reaches the nested domains over it
 * (parent_domain_set_dirty_tracking; intel_pasid_setup_nested sets SSADE
 * when the parent tracks). */
START_TEST(test_nested_parent_tracks)
{
	struct iommu_domain *p, *n;
	struct iommu_context c;

	boot_kind(IOMMU_HW_VTD);
	ck_assert_int_eq(iommu_domain_alloc_paging_flags(w, IOMMU_DOMAIN_ALLOC_DIRTY_TRACKING |
							 IOMMU_DOMAIN_ALLOC_NEST_PARENT, &p), 0);
	ck_assert_int_eq(iommu_domain_alloc_nested(p, 0x100000, 4, &n), 0);
	ck_assert_int_eq(iommu_attach_group(n, iommu_group_of(dev_c)), 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.type, IOMMU_CTX_NESTED);
	ck_assert_uint_eq(c.dirty, 0);
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(p, true), 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.dirty, IOMMU_CTX_DIRTY_S2);
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(p, false), 0);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.dirty, 0);
	/* the nested domain itself has no dirty ops */
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(n, true), -EOPNOTSUPP);
	iommu_detach_group(n, iommu_group_of(dev_c));
	iommu_domain_free(p);
}
END_TEST

/* ATS: a translation request for a read of a clean tracked page grants no
 * write, so the device asks again before it writes, and that marks. */
START_TEST(test_ats_marks)
{
	for (unsigned k = 0; k < N(tracking_kinds); k++) {
		struct iommu_domain *d;
		struct iommu_hw_stats st;

		boot_kind(tracking_kinds[k]);
		d = tracking_domain(dev_a);
		ck_assert_int_eq(dma(dev_a, WIN_IOVA + 2 * SZ_4K, false), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 0);
		ck_assert_int_eq(dma(dev_a, WIN_IOVA + 2 * SZ_4K, true), 0);
		ck_assert_int_eq(dma(dev_a, WIN_IOVA + 2 * SZ_4K, true), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 1ull << 2);
		iommu_hw_stats(w, &st);
		ck_assert_uint_ge(st.ats_requests, 2);
		assert_no_stale();
		drop_domain(d, dev_a);
	}
}
END_TEST

/* busy_dma: the refills after each invalidation never mark a page. */
START_TEST(test_busy_dma_refills)
{
	for (unsigned k = 0; k < N(tracking_kinds); k++) {
		struct boot_opts o = { .kind = tracking_kinds[k], .busy_dma = true };
		struct iommu_domain *d;

		reboot(&o);
		d = tracking_domain(dev_c);
		for (unsigned pg = 0; pg < 16; pg++)
			ck_assert_int_eq(dma(dev_c, WIN_IOVA + pg * SZ_4K, pg & 1), 0);
		ck_assert_uint_eq(window_dirty(d, 0), 0xaaaa);
		ck_assert_uint_eq(window_dirty(d, 0), 0);
		assert_no_stale();
		drop_domain(d, dev_c);
	}
}
END_TEST

/* ---- RISC-V: the hardware's bit, no kernel ops -------------------------------------- */

START_TEST(test_riscv_hardware)
{
	struct iommu_domain *d;
	struct iommu_context c;
	struct ranges r = { .n = 0 };
	uint32_t type = 7;
	size_t len = 0;

	boot_kind(IOMMU_HW_RISCV);
	ck_assert_int_eq(iommu_get_hw_info(dev_c, &type, NULL, &len), 0);
	ck_assert_uint_eq(type, IOMMU_HW_INFO_TYPE_NONE);
	ck_assert_uint_eq(len, 0);
	d = iommu_domain_alloc_paging(w, 2, false);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(iommu_attach_group(d, iommu_group_of(dev_c)), 0);
	ck_assert_int_eq(iommu_map(d, WIN_IOVA, WIN_HPA, WIN_PAGES * SZ_4K, RW), 0);
	/* the kernel maps writable leaves with D set (riscv_iommu_map_pages:
	 * _PAGE_DIRTY): clear them as a dirty-tracking kernel would */
	ck_assert_int_eq(io_pgtable_read_and_clear_dirty(&d->pt, WIN_IOVA, WIN_PAGES * SZ_4K,
							 false, NULL, NULL), (int)WIN_PAGES);
	iommu_hw_inv_domain(w, d->did);
	/* without GADE a store through a clean leaf faults; loads work */
	ck_assert_int_eq(dma(dev_c, WIN_IOVA, false), 0);
	ck_assert_int_eq(dma(dev_c, WIN_IOVA, true), -EFAULT);
	/* the device context with GADE: the G-stage D bit is set by the walk */
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	c.dirty = IOMMU_CTX_DIRTY_S2;
	ck_assert_int_eq(iommu_hw_set_context(w, 0, rid(dev_c), &c), 0);
	{
		struct iommu_inv_cmd q[] = {
			{ .type = IOMMU_INV_CTX_CACHE, .rid = rid(dev_c), .pasid = IOMMU_PASID_NONE },
			{ .type = IOMMU_INV_PASID_CACHE, .rid = rid(dev_c), .pasid = IOMMU_PASID_NONE },
			{ .type = IOMMU_INV_IOTLB_DOMAIN, .did = d->did, .pasid = IOMMU_PASID_NONE },
			{ .type = IOMMU_INV_WAIT, .pasid = IOMMU_PASID_NONE },
		};

		iommu_hw_invalidate(w, q, N(q));
	}
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.dirty, IOMMU_CTX_DIRTY_S2);
	ck_assert_int_eq(dma(dev_c, WIN_IOVA + 4 * SZ_4K, false), 0);
	ck_assert_int_eq(dma(dev_c, WIN_IOVA, true), 0);
	ck_assert_int_eq(dma(dev_c, WIN_IOVA + 6 * SZ_4K, true), 0);
	ck_assert_int_eq(io_pgtable_read_and_clear_dirty(&d->pt, WIN_IOVA, WIN_PAGES * SZ_4K,
							 false, record, &r), 2);
	ck_assert_uint_eq(r.iova[0], WIN_IOVA);
	ck_assert_uint_eq(r.iova[1], WIN_IOVA + 6 * SZ_4K);
	/* the kernel has no dirty ops for this domain */
	ck_assert_int_eq(iommu_domain_set_dirty_tracking(d, true), -EOPNOTSUPP);
	drop_domain(d, dev_c);
	/* and an IOMMU without AMO_HWAD refuses GADE */
	teardown();
	{
		struct boot_opts o = { .kind = IOMMU_HW_RISCV, .no_dirty = true };

		boot(&o);
	}
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	c.dirty = IOMMU_CTX_DIRTY_S2;
	ck_assert_int_eq(iommu_hw_set_context(w, 0, rid(dev_c), &c), -EINVAL);
}
END_TEST

/* Each kind refuses a dirty stage it has no enable for. */
START_TEST(test_kinds_refuse_stages)
{
	struct iommu_context c;

	boot_kind(IOMMU_HW_VTD);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.type, IOMMU_CTX_TRANSLATE);
	c.dirty = IOMMU_CTX_DIRTY_S1;            /* no first stage here at all */
	ck_assert_int_eq(iommu_hw_set_context(w, 0, rid(dev_c), &c), -EINVAL);
	boot_kind(IOMMU_HW_SMMUV3);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_c), &c), 0);
	ck_assert_uint_eq(c.type, IOMMU_CTX_TRANSLATE);
	c.dirty = IOMMU_CTX_DIRTY_S2;            /* no stage-2 HTTU in the driver */
	ck_assert_int_eq(iommu_hw_set_context(w, 0, rid(dev_c), &c), -EINVAL);
}
END_TEST

/* ---- the registers ------------------------------------------------------------------ */

/* The kernel's decoders (drivers/iommu/intel/iommu.h). */
#define cap_mgaw(c)       ((((c) >> 16) & 0x3f) + 1)
#define cap_sagaw(c)      (((c) >> 8) & 0x1f)
#define cap_ndoms(c)      (1ull << (4 + 2 * ((c) & 0x7)))
#define cap_super_page_val(c) (((c) >> 34) & 0xf)
#define cap_fl1gp_support(c)  (((c) >> 56) & 1)
#define cap_fl5lp_support(c)  (((c) >> 60) & 1)
#define cap_pgsel_inv(c)  (((c) >> 39) & 1)
#define cap_caching_mode(c) (((c) >> 7) & 1)
#define ecap_smpwc(e)     (((e) >> 48) & 0x1)
#define ecap_flts(e)      (((e) >> 47) & 0x1)
#define ecap_slts(e)      (((e) >> 46) & 0x1)
#define ecap_slads(e)     (((e) >> 45) & 0x1)
#define ecap_smts(e)      (((e) >> 43) & 0x1)
#define ecap_pasid(e)     (((e) >> 40) & 0x1)
#define ecap_pss(e)       (((e) >> 35) & 0x1f)
#define ecap_prs(e)       (((e) >> 29) & 0x1)
#define ecap_nest(e)      (((e) >> 26) & 0x1)
#define ecap_sc_support(e) (((e) >> 7) & 0x1)
#define ecap_pass_through(e) (((e) >> 6) & 0x1)
#define ecap_ir_support(e) (((e) >> 3) & 0x1)
#define ecap_dev_iotlb_support(e) (((e) >> 2) & 0x1)
#define ecap_coherent(e)  ((e) & 0x1)

/* The widest guest address a SAGAW encodes: bit n is 30 + 9n bits. */
static unsigned sagaw_top(uint64_t cap)
{
	unsigned s = (unsigned)cap_sagaw(cap), top = 0;

	for (unsigned n = 0; n < 5; n++)
		if (s & (1u << n))
			top = 30 + 9 * n;
	return top;
}

START_TEST(test_vtd_registers)
{
	static const unsigned widths[] = { 39, 48 };
	struct iommu_hw_config cfg;

	iommu_hw_config_default(&cfg);
	for (unsigned i = 0; i < N(widths); i++) {
		uint64_t cap = iommu_hw_vtd_cap(&cfg, widths[i]);

		ck_assert_uint_eq(cap_mgaw(cap), widths[i]);
		ck_assert_uint_eq(sagaw_top(cap), widths[i]);
		ck_assert(cap_sagaw(cap) & 2);            /* 3-level (39-bit) always */
		ck_assert_uint_eq(cap_ndoms(cap), 65536);
		ck_assert_uint_eq(cap_super_page_val(cap), 3);   /* 2 MiB and 1 GiB */
		ck_assert(cap_fl1gp_support(cap) && cap_fl5lp_support(cap) && cap_pgsel_inv(cap));
		ck_assert(!cap_caching_mode(cap));
	}
	ck_assert_uint_eq(cap_sagaw(iommu_hw_vtd_cap(&cfg, 39)), 0x2);
	ck_assert_uint_eq(cap_sagaw(iommu_hw_vtd_cap(&cfg, 48)), 0x6);

	for (unsigned bits = 0; bits <= IOMMU_HW_MAX_PASID_BITS; bits += 5) {
		uint64_t e;

		cfg.pasid_bits = bits;
		e = iommu_hw_vtd_ecap(&cfg);
		ck_assert_uint_eq(ecap_pasid(e), bits > 0);
		if (bits)
			ck_assert_uint_eq(ecap_pss(e) + 1, bits);
	}
	iommu_hw_config_default(&cfg);
	{
		uint64_t e = iommu_hw_vtd_ecap(&cfg);

		ck_assert(ecap_smts(e) && ecap_slts(e) && ecap_flts(e) && ecap_nest(e));
		ck_assert(ecap_smpwc(e) && ecap_coherent(e) && ecap_pass_through(e));
		ck_assert(ecap_slads(e) && ecap_ir_support(e) && ecap_dev_iotlb_support(e));
		ck_assert(!ecap_sc_support(e) && !ecap_prs(e));
	}
	cfg.snoop_control = true;
	cfg.no_irq_remapping = true;
	cfg.no_dirty_tracking = true;
	cfg.atc_entries = 0;
	{
		uint64_t e = iommu_hw_vtd_ecap(&cfg);

		ck_assert(ecap_sc_support(e) && !ecap_ir_support(e) && !ecap_slads(e));
		ck_assert(!ecap_dev_iotlb_support(e));
	}
}
END_TEST

/* The SMMUv3 fields (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h). */
#define FGET(r, hi, lo) (((r) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))

START_TEST(test_smmu_registers)
{
	struct iommu_hw_config cfg;
	struct iommu_hw_smmu_regs r;

	iommu_hw_config_default(&cfg);
	cfg.kind = IOMMU_HW_SMMUV3;
	cfg.pasid_bits = 12;
	iommu_hw_smmu_regs(&cfg, 48, &r);
	ck_assert_uint_eq(FGET(r.idr[0], 28, 27), 1);    /* ST_LVL: 2-level */
	ck_assert_uint_eq(FGET(r.idr[0], 7, 6), 2);      /* HTTU: access + dirty */
	ck_assert_uint_eq(FGET(r.idr[0], 4, 4), 1);      /* COHACC */
	ck_assert_uint_eq(FGET(r.idr[0], 3, 2), 2);      /* TTF: AArch64 */
	ck_assert_uint_eq(FGET(r.idr[0], 1, 0), 3);      /* S1P, S2P */
	ck_assert_uint_eq(FGET(r.idr[0], 10, 10), 1);    /* ATS */
	ck_assert_uint_eq(FGET(r.idr[0], 19, 19), 1);    /* CD2L */
	ck_assert_uint_eq(FGET(r.idr[1], 10, 6), 12);    /* SSIDSIZE */
	ck_assert_uint_eq(FGET(r.idr[1], 5, 0), 16);     /* SIDSIZE */
	ck_assert_uint_gt(FGET(r.idr[1], 25, 21), 6);    /* CMDQS > log2(64): Linux's minimum */
	ck_assert_uint_eq(1u << FGET(r.idr[1], 20, 16), IOMMU_HW_DEFAULT_FAULTQ);
	ck_assert_uint_eq(FGET(r.idr[5], 2, 0), 5);      /* OAS 48 bits */
	ck_assert_uint_eq(FGET(r.idr[5], 6, 4), 7);      /* 4K, 16K, 64K granules */
	ck_assert_uint_eq(FGET(r.idr[3], 10, 10), 1);    /* RIL */
	ck_assert_uint_eq(r.iidr, 0);
	ck_assert_uint_eq(FGET(r.aidr, 7, 4), 0);        /* SMMUv3.x */
	iommu_hw_smmu_regs(&cfg, 39, &r);
	ck_assert_uint_eq(FGET(r.idr[5], 2, 0), 2);      /* OAS 40 bits holds 39 */
	cfg.smmu_linear_strtab = true;
	cfg.no_coherent_walk = true;
	cfg.no_dirty_tracking = true;
	cfg.atc_entries = 0;
	cfg.pasid_bits = 0;
	iommu_hw_smmu_regs(&cfg, 48, &r);
	ck_assert_uint_eq(FGET(r.idr[0], 28, 27), 0);
	ck_assert_uint_eq(FGET(r.idr[0], 7, 6), 0);
	ck_assert_uint_eq(FGET(r.idr[0], 4, 4), 0);
	ck_assert_uint_eq(FGET(r.idr[0], 10, 10), 0);
	ck_assert_uint_eq(FGET(r.idr[1], 10, 6), 0);
}
END_TEST

START_TEST(test_get_hw_info)
{
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info_arm_smmuv3 smmu;
	struct boot_opts o = { .kind = IOMMU_HW_VTD, .width = 39, .snoop = true };
	uint8_t small[8];
	uint64_t caps;
	uint8_t log2;
	uint32_t type;
	size_t len;

	reboot(&o);
	len = sizeof(vtd);
	ck_assert_int_eq(iommu_get_hw_info(dev_c, &type, &vtd, &len), 0);
	ck_assert_uint_eq(type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	ck_assert_uint_eq(len, sizeof(vtd));
	ck_assert_uint_eq(vtd.flags, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
	ck_assert_uint_eq(cap_mgaw(vtd.cap_reg), 39);
	ck_assert(ecap_sc_support(vtd.ecap_reg));
	ck_assert_uint_eq(ecap_pss(vtd.ecap_reg) + 1, IOMMU_PASID_BITS);
	ck_assert_uint_eq(vtd.cap_reg, iommu_hw_vtd_cap(iommu_hw_config(w), 39));
	ck_assert_uint_eq(vtd.ecap_reg, iommu_hw_vtd_ecap(iommu_hw_config(w)));
	/* a short buffer gets the start, and the full length comes back */
	len = sizeof(small);
	ck_assert_int_eq(iommu_get_hw_info(dev_c, &type, small, &len), 0);
	ck_assert_uint_eq(len, sizeof(vtd));
	ck_assert_int_eq(memcmp(small, &vtd, sizeof(small)), 0);
	len = sizeof(small);
	ck_assert_int_eq(iommu_get_hw_info(NULL, &type, small, &len), -ENODEV);
	/* out_capabilities and out_max_pasid_log2 */
	ck_assert_int_eq(iommu_get_hw_info_caps(dev_a, &caps, &log2), 0);
	ck_assert_uint_eq(caps, IOMMU_HW_CAP_DIRTY_TRACKING);
	ck_assert_uint_eq(log2, 8);                     /* the device's 8 bits */
	ck_assert_int_eq(iommu_get_hw_info_caps(dev_b, &caps, &log2), 0);
	ck_assert_uint_eq(log2, IOMMU_PASID_BITS);      /* the IOMMU's 10 */
	ck_assert_int_eq(iommu_get_hw_info_caps(dev_c, &caps, &log2), 0);
	ck_assert_uint_eq(log2, 0);                     /* no PASID capability */

	/* 6.1: no GET_HW_INFO op, no dirty tracking, no PASID report */
	o.kernel = SIM_KERNEL_6_1;
	reboot(&o);
	len = sizeof(vtd);
	ck_assert_int_eq(iommu_get_hw_info(dev_c, &type, &vtd, &len), 0);
	ck_assert_uint_eq(type, IOMMU_HW_INFO_TYPE_NONE);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(iommu_get_hw_info_caps(dev_b, &caps, &log2), 0);
	ck_assert_uint_eq(caps, 0);
	ck_assert_uint_eq(log2, 0);

	/* SMMUv3: since 6.14 */
	o = (struct boot_opts){ .kind = IOMMU_HW_SMMUV3, .linear_strtab = true };
	reboot(&o);
	len = sizeof(smmu);
	ck_assert_int_eq(iommu_get_hw_info(dev_c, &type, &smmu, &len), 0);
	ck_assert_uint_eq(type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	ck_assert_uint_eq(len, sizeof(smmu));
	ck_assert_uint_eq(smmu.flags, 0);
	ck_assert_uint_eq(FGET(smmu.idr[0], 28, 27), 0);
	ck_assert_uint_eq(FGET(smmu.idr[0], 7, 6), 2);
	ck_assert_uint_eq(FGET(smmu.idr[1], 10, 6), IOMMU_PASID_BITS);
	ck_assert_int_eq(iommu_get_hw_info_caps(dev_b, &caps, &log2), 0);
	ck_assert_uint_eq(caps, IOMMU_HW_CAP_DIRTY_TRACKING);
	ck_assert_uint_eq(log2, IOMMU_PASID_BITS);
	o.kernel = SIM_KERNEL_6_12;
	reboot(&o);
	len = sizeof(smmu);
	ck_assert_int_eq(iommu_get_hw_info(dev_c, &type, &smmu, &len), 0);
	ck_assert_uint_eq(type, IOMMU_HW_INFO_TYPE_NONE);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(iommu_get_hw_info_caps(dev_c, &caps, &log2), 0);
	ck_assert_uint_eq(caps, IOMMU_HW_CAP_DIRTY_TRACKING);

	/* RISC-V: no hw_info, no capability, no max_pasids */
	boot_kind(IOMMU_HW_RISCV);
	ck_assert_int_eq(iommu_get_hw_info_caps(dev_b, &caps, &log2), 0);
	ck_assert_uint_eq(caps, 0);
	ck_assert_uint_eq(log2, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dirty");
	TCase *cap = tcase_create("capability");
	TCase *dirty = tcase_create("dirty");
	TCase *regs = tcase_create("registers");

	tcase_add_checked_fixture(cap, NULL, teardown);
	tcase_add_checked_fixture(dirty, NULL, teardown);
	tcase_add_checked_fixture(regs, NULL, teardown);
	tcase_set_timeout(dirty, 60);
	suite_add_tcase(s, cap);
	suite_add_tcase(s, dirty);
	suite_add_tcase(s, regs);
	tcase_add_test(cap, test_capable);
	tcase_add_test(cap, test_alloc_rules);
	tcase_add_test(cap, test_kinds_refuse_stages);
	tcase_add_test(dirty, test_random_writes);
	tcase_add_test(dirty, test_reads_never_mark);
	tcase_add_test(dirty, test_clear_then_write_again);
	tcase_add_test(dirty, test_missing_flush_loses_write);
	tcase_add_test(dirty, test_huge_leaf);
	tcase_add_test(dirty, test_new_leaves);
	tcase_add_test(dirty, test_tracking_off_and_late_attach);
	tcase_add_test(dirty, test_nested_parent_tracks);
	tcase_add_test(dirty, test_ats_marks);
	tcase_add_test(dirty, test_busy_dma_refills);
	tcase_add_test(dirty, test_riscv_hardware);
	tcase_add_test(regs, test_vtd_registers);
	tcase_add_test(regs, test_smmu_registers);
	tcase_add_test(regs, test_get_hw_info);
	return unit_run(s);
}
