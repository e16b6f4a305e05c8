/* SPDX-License-Identifier: MIT */
/*
 * model/iommu/domain: the kernel side of spec §E.
 *  - Domain kinds: paging at stage 1 and stage 2 (a nest parent), the
 *    formats each IOMMU kind gives them, nested domains over a stage-2
 *    parent and every reason iommu_domain_alloc_nested refuses one.
 *  - (device, PASID) attach / replace / detach (§D, §E.1): every error
 *    path, each leaving the attach table and the PASID entry in memory as
 *    they were (§H19); PASID width = min(device capability, IOMMU).
 *  - The unmap invalidation order (§E.6): IOTLB, the nested children
 *    domain-wide, the device TLBs, a wait, read back from the hardware's
 *    iommu_hw_inv trace; each injectable kernel bug removes or moves
 *    exactly its part, and the stale-translation checker (§H8) names it
 *    once a DMA has warmed the caches.
 *  - Freeing a nest parent takes its nested children down with it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/fault.h"
#include "sim/mem.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/invariants.h"

#include "pci_fixture.h"

#define RW (IOMMU_READ | IOMMU_WRITE)

/* The IOMMU's PASID width: between device A's (8) and device B's (20). */
#define IOMMU_PASID_BITS 10

/* The nested set-up: the guest's stage-1 tables live in pool pages, a
 * data page sits alone under its own 1 GiB slot of the stage-2 table. */
#define POOL_GPA  0x100000ull
#define POOL_PAGES 8
#define DATA_GPA  0x40000000ull
#define GVA       0x400000ull
#define MAGIC     0x5eed5eed0ddba11ull

static struct sim_world *w;
static struct pci_dev *dev_a, *dev_b, *dev_c;   /* see boot() */

struct boot_opts {
	unsigned width;              /* 0: 48 */
	unsigned paging_stage;
	unsigned bugs;               /* IOMMU_BUG_* */
	bool busy_dma;
	enum iommu_hw_kind kind;
};

/*
 * Three endpoints, each alone below an ACS root port (one group each):
 *   A 01:00.0  ATS, an 8-bit PASID capability
 *   B 02:00.0  no ATS, a 20-bit PASID capability (wider than the IOMMU)
 *   C 03:00.0  no PASID capability
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
		.atc_entries = IOMMU_HW_DEFAULT_ATC,
		.fault_queue_len = IOMMU_HW_DEFAULT_FAULTQ,
		.pasid_bits = IOMMU_PASID_BITS,
		.busy_dma = o->busy_dma,
		.check = true,
	};
	struct iommu_profile prof = {
		.address_width = o->width ? o->width : 48,
		.paging_stage = o->paging_stage,
		.bugs = o->bugs,
	};
	struct pci_build_error err = { 0 };

	w = sim_world_create(11);
	ck_assert_msg(pci_topology_create(w, topo, N(topo), &err) == 0, "%s", err.msg);
	ck_assert_int_eq(iommu_core_create(w, IOMMU_GROUP_LEGACY), 0);
	ck_assert_int_eq(iommu_hw_create(w, &hw), 0);
	ck_assert_int_eq(iommu_domains_init(w, &prof), 0);
	dev_a = pci_dev_find(w, B("01:00.0"));
	dev_b = pci_dev_find(w, B("02:00.0"));
	dev_c = pci_dev_find(w, B("03:00.0"));
	ck_assert(dev_a && dev_b && dev_c);
}

static void setup(void)
{
	struct boot_opts o = { 0 };

	boot(&o);
}

static void teardown(void)
{
	sim_world_destroy(w);
	w = NULL;
}

/* A world with another profile, in place of the fixture's. */
static void reboot(const struct boot_opts *o)
{
	teardown();
	boot(o);
}

static uint16_t rid(const struct pci_dev *d)
{
	return (uint16_t)(d->sbdf & 0xffff);
}

static struct iommu_group *grp(struct pci_dev *d)
{
	return iommu_group_of(d);
}

static struct iommu_hw_stats hw_stats(void)
{
	struct iommu_hw_stats st;

	iommu_hw_stats(w, &st);
	return st;
}

static uint64_t pgtable_frames(void)
{
	struct sim_mem_stats st;

	sim_mem_stats(w, &st);
	return st.frames[SIM_FRAME_PGTABLE];
}

static uint64_t user_frame(void)
{
	uint64_t hpa;

	ck_assert_int_eq(sim_mem_frame_alloc(w, SIM_FRAME_USER, &hpa), 0);
	return hpa;
}

/* An 8-byte read by @d at @addr (tagged with @pasid unless it is 0). */
static int dma_read(struct pci_dev *d, uint32_t pasid, uint64_t addr, uint64_t *val)
{
	struct iommu_fault_rec f;

	*val = 0;
	return iommu_hw_dma(w, 0, rid(d), pasid != 0, pasid, addr, val, sizeof(*val), false, &f);
}

/* ---- the invalidation trace ------------------------------------------------------ */

static FILE *trace_f;
static char *trace_buf;
static size_t trace_len;

static void trace_start(const char *events)
{
	ck_assert_int_eq(sim_trace_enable(w, events), 0);
	trace_f = open_memstream(&trace_buf, &trace_len);
	ck_assert_ptr_nonnull(trace_f);
	sim_trace_set_output(w, trace_f, SIM_TRACE_TEXT);
}

/* The value of @key in a trace line's "k=v k=v" fields, or "". */
static const char *field(char **kv, const char *key)
{
	size_t n = strlen(key);

	for (char **p = kv; *p; p++)
		if (!strncmp(*p, key, n) && (*p)[n] == '=')
			return *p + n + 1;
	return "";
}

/* One iommu_hw_inv event as a word (see trace_take). */
static void append_inv(GString *s, char **kv)
{
	const char *cmd = field(kv, "cmd"), *did = field(kv, "did"), *pasid = field(kv, "pasid");
	const char *r = field(kv, "rid"), *iova = field(kv, "iova"), *size = field(kv, "size");

	if (pasid && !strcmp(pasid, "-1"))   /* traced as -1 without a PASID (docs/traces.md) */
		pasid = "none";
	g_string_append_printf(s, "%s%s", s->len ? " " : "", cmd);
	if (!strcmp(cmd, "iotlb-domain"))
		g_string_append_printf(s, "/%s", did);
	else if (!strcmp(cmd, "iotlb-pasid"))
		g_string_append_printf(s, "/%s/%s", did, pasid);
	else if (!strcmp(cmd, "iotlb-range"))
		g_string_append_printf(s, "/%s/%s/%s+%s", did, pasid, iova, size);
	else if (!strcmp(cmd, "pasid-cache"))
		g_string_append_printf(s, "/%s/%s", r, pasid);
	else if (!strcmp(cmd, "devtlb") && !strcmp(size, "0x0"))
		g_string_append_printf(s, "/%s/%s", r, pasid);
	else if (!strcmp(cmd, "devtlb"))
		g_string_append_printf(s, "/%s/%s/%s+%s", r, pasid, iova, size);
}

/*
 * What was traced since trace_start, one word an event, in order:
 *   iotlb-all, iotlb-domain/DID, iotlb-pasid/DID/PASID,
 *   iotlb-range/DID/PASID/IOVA+SIZE, pasid-cache/RID/PASID,
 *   devtlb/RID/PASID (whole tag) or devtlb/RID/PASID/IOVA+SIZE, wait,
 *   free (a page-table frame returned).
 * g_free() the result.
 */
static char *trace_take(void)
{
	GString *s = g_string_new(NULL);
	char **lines;

	sim_trace_set_output(w, NULL, SIM_TRACE_OFF);
	fclose(trace_f);
	lines = g_strsplit(trace_buf, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *inv = strstr(*l, "iommu_hw_inv: ");
		char **kv;

		if (strstr(*l, "sim_frame_free: ") && strstr(*l, "kind=pgtable")) {
			g_string_append(s, s->len ? " free" : "free");
		} else if (inv) {
			kv = g_strsplit(inv + strlen("iommu_hw_inv: "), " ", -1);
			append_inv(s, kv);
			g_strfreev(kv);
		}
	}
	g_strfreev(lines);
	free(trace_buf);
	trace_buf = NULL;
	trace_f = NULL;
	return g_string_free(s, FALSE);
}

static void expect_trace(const char *want)
{
	char *got = trace_take();

	ck_assert_msg(!strcmp(got, want), "invalidations:\n  got  [%s]\n  want [%s]", got, want);
	g_free(got);
}

/* ---- caches and the checker ------------------------------------------------------- */

struct find {
	uint32_t tag, pasid;
	uint64_t iova;
	unsigned n;
};

static int find_fn(const struct iommu_cache_entry *e, void *ctx)
{
	struct find *f = ctx;

	if (e->tag == f->tag && e->pasid == f->pasid && f->iova >= e->iova &&
	    f->iova - e->iova < e->size)
		f->n++;
	return 0;
}

/* Entries of cache @which for (@tag, @pasid) covering @iova. */
static unsigned cached(enum iommu_cache_id which, uint32_t tag, uint32_t pasid, uint64_t iova)
{
	struct find f = { .tag = tag, .pasid = pasid, .iova = iova };

	iommu_hw_cache_for_each(w, which, find_fn, &f);
	return f.n;
}

/* iommu_hw_check_caches finds @n problems, the first mentioning @what. */
static void expect_check(int n, const char *what)
{
	GString *s = g_string_new(NULL);
	int got = iommu_hw_check_caches(w, s);

	ck_assert_msg(got == n, "check_caches: %d problems, want %d:\n%s", got, n, s->str);
	if (what)
		ck_assert_msg(strstr(s->str, what), "check_caches does not say \"%s\":\n%s",
			      what, s->str);
	g_string_free(s, TRUE);
}

/* iommu_hw_take_violations: @n stale answers served, mentioning @what. */
static void expect_violations(int n, const char *what)
{
	GString *s = g_string_new(NULL);
	int got = iommu_hw_take_violations(w, s);

	ck_assert_msg(got == n, "violations: %d, want %d:\n%s", got, n, s->str);
	if (what)
		ck_assert_msg(strstr(s->str, what), "violations do not say \"%s\":\n%s",
			      what, s->str);
	g_string_free(s, TRUE);
}

/* ---- what a PASID holds ----------------------------------------------------------- */

/* The PASID entry the kernel must have written for @d (§E.1). */
static struct iommu_context ctx_of(const struct iommu_domain *d)
{
	struct iommu_context c = { .did = d->did };

	if (d->type == IOMMU_DOMAIN_NESTED) {
		c.type = IOMMU_CTX_NESTED;
		c.s1_root = d->s1_root;
		c.s1_levels = d->s1_levels;
		c.s2_root = d->parent->pt.root;
		c.s2_levels = d->parent->pt.levels;
	} else if (d->stage == 1) {
		c.type = IOMMU_CTX_S1;
		c.s1_root = d->pt.root;
		c.s1_levels = d->pt.levels;
	} else {
		c.type = IOMMU_CTX_TRANSLATE;
		c.s2_root = d->pt.root;
		c.s2_levels = d->pt.levels;
	}
	return c;
}

/* (@dev, @pasid) holds @d (NULL: nothing) in the kernel's table and in
 * the PASID entry in memory. */
static void expect_pasid(struct pci_dev *dev, uint32_t pasid, const struct iommu_domain *d)
{
	struct iommu_context got, want;
	int ret = iommu_hw_get_pasid(w, 0, rid(dev), pasid, &got);

	ck_assert_msg(iommu_device_pasid_domain(dev, pasid) == d, "%s pasid %u: wrong domain",
		      dev->name, pasid);
	if (!d) {
		ck_assert_msg(ret == -ENOENT, "%s pasid %u: an entry is present", dev->name, pasid);
		return;
	}
	ck_assert_msg(ret == 0, "%s pasid %u: no entry", dev->name, pasid);
	want = ctx_of(d);
	ck_assert_int_eq(got.type, want.type);
	ck_assert_uint_eq(got.did, want.did);
	ck_assert_uint_eq(got.s1_root, want.s1_root);
	ck_assert_uint_eq(got.s1_levels, want.s1_levels);
	ck_assert_uint_eq(got.s2_root, want.s2_root);
	ck_assert_uint_eq(got.s2_levels, want.s2_levels);
}

/* @d is installed at exactly these places, in this order: "rid/pasid ...". */
static void expect_locs(const struct iommu_domain *d, const char *want)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < d->locs->len; i++) {
		const struct iommu_dom_loc *l = &g_array_index(d->locs, struct iommu_dom_loc, i);

		g_string_append_printf(s, "%s%02x:%02x.%u/%u%s", i ? " " : "", l->rid >> 8,
				       (l->rid >> 3) & 0x1f, l->rid & 7, l->pasid,
				       l->ats ? "+ats" : "");
	}
	ck_assert_msg(!strcmp(s->str, want), "locs: got [%s], want [%s]", s->str, want);
	g_string_free(s, TRUE);
}

/* ---- domain kinds ------------------------------------------------------------------ */

START_TEST(test_alloc_paging_stages)
{
	unsigned ngroups = (unsigned)iommu_group_count(w);
	struct iommu_domain *s1, *s2, *np, *again;
	uint64_t frames = pgtable_frames();
	uint16_t did;

	/* the default domains took dids 1..ngroups (lowest free from 1) */
	ck_assert_uint_eq(ngroups, 6);
	ck_assert_uint_eq(iommu_group_default_domain(grp(dev_c))->did, ngroups);

	s1 = iommu_domain_alloc_paging(w, 1, false);
	ck_assert_ptr_nonnull(s1);
	ck_assert_int_eq(s1->type, IOMMU_DOMAIN_PAGING);
	ck_assert_uint_eq(s1->stage, 1);
	ck_assert(!s1->nest_parent);
	ck_assert_uint_eq(s1->did, ngroups + 1);
	ck_assert_ptr_eq(s1->pt.fmt, &io_pgtable_vtd_fs);
	ck_assert_uint_eq(s1->pt.levels, 4);
	ck_assert_uint_eq(s1->pgsize_bitmap, SZ_4K | SZ_2M | SZ_1G);
	ck_assert_uint_eq(s1->aperture_start, 0);
	ck_assert_uint_eq(s1->aperture_end, (1ull << 48) - 1);
	ck_assert_ptr_null(s1->parent);
	ck_assert_ptr_eq(iommu_domain_by_did(w, s1->did), s1);

	s2 = iommu_domain_alloc_paging(w, 2, false);
	np = iommu_domain_alloc_paging(w, 2, true);
	ck_assert(s2 && np);
	ck_assert_uint_eq(s2->stage, 2);
	ck_assert(!s2->nest_parent && np->nest_parent);
	ck_assert_ptr_eq(s2->pt.fmt, &io_pgtable_vtd_ss);
	ck_assert_ptr_eq(np->pt.fmt, &io_pgtable_vtd_ss);
	ck_assert_uint_eq(np->pt.levels, 4);
	ck_assert_uint_eq(s2->did, ngroups + 2);
	ck_assert_uint_eq(np->did, ngroups + 3);
	/* one root frame each */
	ck_assert_uint_eq(pgtable_frames(), frames + 3);

	/* no stage 0 or 3; only a stage-2 domain can be a nest parent */
	ck_assert_ptr_null(iommu_domain_alloc_paging(w, 0, false));
	ck_assert_ptr_null(iommu_domain_alloc_paging(w, 3, false));
	ck_assert_ptr_null(iommu_domain_alloc_paging(w, 1, true));
	/* nested domains only through iommu_domain_alloc_nested */
	ck_assert_ptr_null(iommu_domain_alloc(w, IOMMU_DOMAIN_NESTED));
	ck_assert_uint_eq(pgtable_frames(), frames + 3);

	/* an injected allocation failure takes neither a did nor a frame */
	sim_fault_fail_nth(w, "iommu_domain_alloc", 1);
	ck_assert_ptr_null(iommu_domain_alloc_paging(w, 2, true));
	sim_fault_fail_nth(w, "*", 0);
	ck_assert_uint_eq(pgtable_frames(), frames + 3);

	/* a freed did is the lowest free one again */
	did = s2->did;
	iommu_domain_free(s2);
	ck_assert_ptr_null(iommu_domain_by_did(w, did));
	again = iommu_domain_alloc_paging(w, 1, false);
	ck_assert_uint_eq(again->did, did);
	ck_assert_ptr_eq(iommu_domain_by_did(w, did), again);

	iommu_domain_free(again);
	iommu_domain_free(np);
	iommu_domain_free(s1);
	ck_assert_uint_eq(pgtable_frames(), frames);
}
END_TEST

/* The profile's paging stage decides iommu_domain_alloc(PAGING). */
START_TEST(test_alloc_profile_stage)
{
	struct boot_opts o = { .paging_stage = 1 };
	struct iommu_domain *d = iommu_domain_alloc(w, IOMMU_DOMAIN_PAGING);

	/* paging_stage 0: stage 2, nest-parent capable */
	ck_assert(d && d->stage == 2 && d->nest_parent);
	ck_assert(iommu_group_default_domain(grp(dev_a))->stage == 2);
	iommu_domain_free(d);

	reboot(&o);
	d = iommu_domain_alloc(w, IOMMU_DOMAIN_PAGING);
	ck_assert(d && d->stage == 1 && !d->nest_parent);
	ck_assert_ptr_eq(d->pt.fmt, &io_pgtable_vtd_fs);
	ck_assert_int_eq(iommu_group_default_domain(grp(dev_a))->stage, 1);
	iommu_domain_free(d);

	/* blocked and identity domains have no did and no table */
	d = iommu_domain_alloc(w, IOMMU_DOMAIN_IDENTITY);
	ck_assert(d && d->type == IOMMU_DOMAIN_IDENTITY && !d->did && !d->pt.root);
	iommu_domain_free(d);
	d = iommu_domain_alloc(w, IOMMU_DOMAIN_BLOCKED);
	ck_assert(d && d->type == IOMMU_DOMAIN_BLOCKED && !d->did && !d->pt.root);
	iommu_domain_free(d);
}
END_TEST

/* A 39-bit profile: stage 2 takes 3 levels, VT-d's first stage starts at 4. */
START_TEST(test_alloc_width_39)
{
	struct boot_opts o = { .width = 39 };
	struct iommu_domain *s1, *s2;

	reboot(&o);
	s1 = iommu_domain_alloc_paging(w, 1, false);
	s2 = iommu_domain_alloc_paging(w, 2, true);
	ck_assert(s1 && s2);
	ck_assert_uint_eq(s2->pt.levels, 3);
	ck_assert_uint_eq(s1->pt.levels, 4);
	ck_assert_uint_eq(s1->aperture_end, (1ull << 39) - 1);
	ck_assert_uint_eq(s2->aperture_end, (1ull << 39) - 1);
	/* the aperture bounds map, whatever the table could hold */
	ck_assert_int_eq(iommu_map(s1, 1ull << 39, 0x200000, SZ_4K, RW), -EINVAL);
	ck_assert_int_eq(iommu_map(s1, (1ull << 39) - SZ_4K, 0x200000, SZ_4K, RW), 0);
	iommu_domain_free(s1);
	iommu_domain_free(s2);
}
END_TEST

/* Each IOMMU kind gives its own formats; leaves beyond 1G are masked out. */
START_TEST(test_alloc_kind_formats)
{
	static const struct {
		enum iommu_hw_kind kind;
		const struct io_pgtable_fmt *s1, *s2;
	} k[] = {
		{ IOMMU_HW_VTD, &io_pgtable_vtd_fs, &io_pgtable_vtd_ss },
		{ IOMMU_HW_SMMUV3, &io_pgtable_arm_s1, &io_pgtable_arm_s2 },
		{ IOMMU_HW_RISCV, &io_pgtable_riscv_sv48, &io_pgtable_riscv_sv48x4 },
	};
	struct boot_opts o = { .kind = k[_i].kind };
	struct iommu_domain *s1, *s2, *n = NULL;

	reboot(&o);
	s1 = iommu_domain_alloc_paging(w, 1, false);
	s2 = iommu_domain_alloc_paging(w, 2, true);
	ck_assert(s1 && s2);
	ck_assert_ptr_eq(s1->pt.fmt, k[_i].s1);
	ck_assert_ptr_eq(s2->pt.fmt, k[_i].s2);
	ck_assert_uint_eq(s1->pt.levels, 4);
	ck_assert_uint_eq(s2->pt.levels, 4);
	ck_assert_uint_eq(s1->pgsize_bitmap, SZ_4K | SZ_2M | SZ_1G);
	ck_assert_uint_eq(s2->pgsize_bitmap, SZ_4K | SZ_2M | SZ_1G);
	/* a 3-level guest table: RISC-V (Sv39) and ARM have one, VT-d not */
	ck_assert_int_eq(iommu_domain_alloc_nested(s2, 0x1000, 3, &n),
			 k[_i].kind == IOMMU_HW_VTD ? -EINVAL : 0);
	if (n) {
		ck_assert_uint_eq(n->aperture_end, (1ull << 39) - 1);
		iommu_domain_free(n);
	}
	iommu_domain_free(s1);
	iommu_domain_free(s2);
}
END_TEST

START_TEST(test_alloc_nested)
{
	struct iommu_domain *np = iommu_domain_alloc_paging(w, 2, true);
	struct iommu_domain *s2 = iommu_domain_alloc_paging(w, 2, false);
	struct iommu_domain *s1 = iommu_domain_alloc_paging(w, 1, false);
	struct iommu_domain *id = iommu_domain_alloc(w, IOMMU_DOMAIN_IDENTITY);
	struct iommu_domain *blk = iommu_domain_alloc(w, IOMMU_DOMAIN_BLOCKED);
	struct iommu_domain *n = NULL, *n5 = NULL, *bad = NULL;
	uint16_t next;

	ck_assert(np && s2 && s1 && id && blk);
	next = np->did > s1->did ? np->did + 1 : s1->did + 1;

	/* the parent must be a stage-2 nest parent (§G5: EINVAL) */
	ck_assert_int_eq(iommu_domain_alloc_nested(NULL, 0x1000, 4, &bad), -EINVAL);
	ck_assert_int_eq(iommu_domain_alloc_nested(s2, 0x1000, 4, &bad), -EINVAL);
	ck_assert_int_eq(iommu_domain_alloc_nested(s1, 0x1000, 4, &bad), -EINVAL);
	ck_assert_int_eq(iommu_domain_alloc_nested(id, 0x1000, 4, &bad), -EINVAL);
	ck_assert_int_eq(iommu_domain_alloc_nested(blk, 0x1000, 4, &bad), -EINVAL);
	/* levels VT-d's first stage lacks; a root not 4 KiB aligned */
	ck_assert_int_eq(iommu_domain_alloc_nested(np, 0x1000, 3, &bad), -EINVAL);
	ck_assert_int_eq(iommu_domain_alloc_nested(np, 0x1000, 6, &bad), -EINVAL);
	ck_assert_int_eq(iommu_domain_alloc_nested(np, 0x1000, 0, &bad), -EINVAL);
	ck_assert_int_eq(iommu_domain_alloc_nested(np, 0x1008, 4, &bad), -EINVAL);
	ck_assert_int_eq(iommu_domain_alloc_nested(np, 0x1800, 4, &bad), -EINVAL);
	/* an injected failure */
	sim_fault_fail_nth(w, "iommu_domain_alloc", 1);
	ck_assert_int_eq(iommu_domain_alloc_nested(np, 0x1000, 4, &bad), -ENOMEM);
	sim_fault_fail_nth(w, "*", 0);
	/* none of that produced a domain, a child or a did */
	ck_assert_ptr_null(bad);
	ck_assert(!np->children || np->children->len == 0);
	ck_assert(!s2->children && !s1->children);
	ck_assert_ptr_null(iommu_domain_by_did(w, next));

	ck_assert_int_eq(iommu_domain_alloc_nested(np, 0x7000, 4, &n), 0);
	ck_assert_int_eq(n->type, IOMMU_DOMAIN_NESTED);
	ck_assert_ptr_eq(n->parent, np);
	ck_assert_uint_eq(n->s1_root, 0x7000);
	ck_assert_uint_eq(n->s1_levels, 4);
	ck_assert_uint_eq(n->did, next);
	ck_assert_ptr_eq(iommu_domain_by_did(w, next), n);
	ck_assert_uint_eq(n->aperture_end, (1ull << 48) - 1);
	ck_assert_uint_eq(n->pt.root, 0);       /* the guest owns the table */
	ck_assert_uint_eq(n->locs->len, 0);
	ck_assert_int_eq(iommu_domain_alloc_nested(np, 0, 5, &n5), 0);
	ck_assert_uint_eq(n5->aperture_end, (1ull << 57) - 1);
	ck_assert_uint_eq(np->children->len, 2);
	ck_assert_ptr_eq(g_ptr_array_index(np->children, 0), n);
	ck_assert_ptr_eq(g_ptr_array_index(np->children, 1), n5);
	/* a nested domain is no parent, nor is it mapped by the host */
	ck_assert_int_eq(iommu_domain_alloc_nested(n, 0x1000, 4, &bad), -EINVAL);
	ck_assert_int_eq(iommu_map(n, 0, 0x200000, SZ_4K, RW), -EINVAL);
	ck_assert_uint_eq(iommu_unmap(n, 0, SZ_4K), 0);
	ck_assert_ptr_null(bad);

	/* freeing a child leaves its parent and sibling */
	iommu_domain_free(n);
	ck_assert_uint_eq(np->children->len, 1);
	ck_assert_ptr_eq(g_ptr_array_index(np->children, 0), n5);
	ck_assert_ptr_null(iommu_domain_by_did(w, next));

	iommu_domain_free(np);      /* and n5 with it */
	iommu_domain_free(s2);
	iommu_domain_free(s1);
	iommu_domain_free(id);
	iommu_domain_free(blk);
}
END_TEST

/* ---- (device, PASID) ---------------------------------------------------------------- */

START_TEST(test_pasid_bits)
{
	struct iommu_domain *d = iommu_domain_alloc_paging(w, 1, false);
	uint32_t top_b = (1u << IOMMU_PASID_BITS) - 1;

	/* min(device capability, IOMMU): 8, min(20, 10), no capability */
	ck_assert_uint_eq(iommu_device_pasid_bits(dev_a), 8);
	ck_assert_uint_eq(iommu_device_pasid_bits(dev_b), IOMMU_PASID_BITS);
	ck_assert_uint_eq(iommu_device_pasid_bits(dev_c), 0);
	ck_assert_uint_eq(iommu_device_pasid_bits(NULL), 0);
	/* the widths are enforced at both ends */
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_a, 255), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_a, 256), -EINVAL);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_b, top_b), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_b, top_b + 1), -EINVAL);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_c, 1), -EINVAL);
	expect_pasid(dev_a, 255, d);
	expect_pasid(dev_b, top_b, d);
	expect_pasid(dev_a, 256, NULL);
	expect_pasid(dev_b, top_b + 1, NULL);
	expect_pasid(dev_c, 1, NULL);
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev_a, 255), 0);
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev_b, top_b), 0);
	iommu_domain_free(d);
}
END_TEST

/* iommu_alloc_global_pasid (drivers/iommu/iommu.c): one space for every
 * device, lowest free from IOMMU_FIRST_GLOBAL_PASID, bounded by the asking
 * device's max_pasids; ida_alloc_range's ENOSPC, and IOMMU_PASID_INVALID
 * for a device without PASID (max_pasids 0). */
START_TEST(test_global_pasid_alloc)
{
	int owner_a, owner_b;
	uint32_t p, q;

	ck_assert_int_eq(iommu_alloc_global_pasid(dev_a, &owner_a, &p), 0);
	ck_assert_uint_eq(p, 1);                       /* never IOMMU_NO_PASID */
	ck_assert_int_eq(iommu_alloc_global_pasid(dev_b, &owner_b, &q), 0);
	ck_assert_uint_eq(q, 2);                       /* global: B goes on from A's */
	ck_assert_ptr_eq(iommu_global_pasid_owner(w, 1), &owner_a);
	ck_assert_ptr_eq(iommu_global_pasid_owner(w, 2), &owner_b);
	ck_assert_ptr_null(iommu_global_pasid_owner(w, 0));
	ck_assert_ptr_null(iommu_global_pasid_owner(w, IOMMU_PASID_INVALID));
	/* no PASID capability: max_pasids is 0 */
	ck_assert_int_eq(iommu_alloc_global_pasid(dev_c, &owner_a, &p), -ENOSPC);
	ck_assert_uint_eq(p, IOMMU_PASID_INVALID);
	ck_assert_int_eq(iommu_alloc_global_pasid(NULL, &owner_a, &p), -ENOSPC);
	/* lowest free: 1 again once freed */
	iommu_free_global_pasid(w, 1);
	ck_assert_ptr_null(iommu_global_pasid_owner(w, 1));
	ck_assert_int_eq(iommu_alloc_global_pasid(dev_b, &owner_b, &p), 0);
	ck_assert_uint_eq(p, 1);
	iommu_free_global_pasid(w, IOMMU_PASID_INVALID);   /* nothing */
	/* A's 8 bits: [1, 255]; 1 and 2 are taken, 253 more fit, then ENOSPC,
	 * while B (the IOMMU's 10 bits) still finds 256 */
	for (uint32_t want = 3; want <= 255; want++) {
		ck_assert_int_eq(iommu_alloc_global_pasid(dev_a, &owner_a, &p), 0);
		ck_assert_uint_eq(p, want);
	}
	ck_assert_int_eq(iommu_alloc_global_pasid(dev_a, &owner_a, &p), -ENOSPC);
	ck_assert_uint_eq(p, IOMMU_PASID_INVALID);
	ck_assert_int_eq(iommu_alloc_global_pasid(dev_b, &owner_b, &p), 0);
	ck_assert_uint_eq(p, 256);
	/* fault injection at the id allocator leaves the space as it was */
	sim_fault_fail_nth(w, "ids_alloc", 1);
	ck_assert_int_eq(iommu_alloc_global_pasid(dev_b, &owner_b, &p), -ENOMEM);
	ck_assert_ptr_null(iommu_global_pasid_owner(w, 257));
	sim_fault_fail_nth(w, "ids_alloc", 0);
	ck_assert_int_eq(iommu_alloc_global_pasid(dev_b, &owner_b, &p), 0);
	ck_assert_uint_eq(p, 257);
}
END_TEST

START_TEST(test_pasid_attach)
{
	struct iommu_domain *d = iommu_domain_alloc_paging(w, 1, false);
	struct iommu_hw_stats a, b;
	char want[160];

	a = hw_stats();
	trace_start("iommu_hw_inv");
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_a, 5), 0);
	/* a new entry: its PASID-cache entry, the device TLB (ATS), a wait;
	 * no old domain, so no IOTLB flush */
	expect_trace("pasid-cache/01:00.0/5 devtlb/01:00.0/5 wait");
	b = hw_stats();
	ck_assert_uint_eq(b.inv_cmds - a.inv_cmds, 3);
	ck_assert_uint_eq(b.inv_waits - a.inv_waits, 1);
	expect_pasid(dev_a, 5, d);
	expect_locs(d, "01:00.0/5+ats");

	/* B has no ATS: no device-TLB invalidation */
	trace_start("iommu_hw_inv");
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_b, 5), 0);
	expect_trace("pasid-cache/02:00.0/5 wait");
	expect_pasid(dev_b, 5, d);
	expect_locs(d, "01:00.0/5+ats 02:00.0/5");
	/* the RID path is the group's: nothing shows at PASID 0 */
	ck_assert_ptr_null(iommu_device_pasid_domain(dev_a, 0));

	/* detach: the entry cleared, then PASID cache, IOTLB of that PASID,
	 * device TLB, wait */
	trace_start("iommu_hw_inv");
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev_a, 5), 0);
	snprintf(want, sizeof(want),
		 "pasid-cache/01:00.0/5 iotlb-pasid/%u/5 devtlb/01:00.0/5 wait", d->did);
	expect_trace(want);
	expect_pasid(dev_a, 5, NULL);
	expect_pasid(dev_b, 5, d);
	expect_locs(d, "02:00.0/5");
	/* the PASID can be had again */
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_a, 5), 0);
	expect_pasid(dev_a, 5, d);
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev_a, 5), 0);
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev_b, 5), 0);
	ck_assert_uint_eq(d->locs->len, 0);
	iommu_domain_free(d);
}
END_TEST

/* The state test_pasid_errors starts from, and must keep through every
 * refusal (§H19): d1 on (A, 5), nothing else, the RID path untouched, no
 * invalidation issued. */
static struct iommu_domain *err_d1, *err_d2, *err_id, *err_blk;
static uint64_t err_inv_cmds;

static void errors_changed_nothing(void)
{
	expect_pasid(dev_a, 5, err_d1);
	expect_pasid(dev_a, 6, NULL);
	expect_pasid(dev_a, 255, NULL);
	expect_pasid(dev_b, 5, NULL);
	expect_pasid(dev_c, 1, NULL);
	expect_locs(err_d1, "01:00.0/5+ats");
	expect_locs(err_d2, "");
	expect_locs(err_id, "");
	expect_locs(err_blk, "");
	ck_assert_ptr_eq(iommu_group_domain(grp(dev_a)), iommu_group_default_domain(grp(dev_a)));
	ck_assert_uint_eq(hw_stats().inv_cmds, err_inv_cmds);
}

/* @call is refused with @err, and changes nothing. */
#define REFUSED(call, err) do {					\
		ck_assert_int_eq((call), (err));			\
		errors_changed_nothing();				\
	} while (0)

START_TEST(test_pasid_errors)
{
	struct iommu_domain *d1 = iommu_domain_alloc_paging(w, 1, false);
	struct iommu_domain *d2 = iommu_domain_alloc_paging(w, 1, false);
	struct iommu_domain *id = iommu_domain_alloc(w, IOMMU_DOMAIN_IDENTITY);
	struct iommu_domain *blk = iommu_domain_alloc(w, IOMMU_DOMAIN_BLOCKED);

	ck_assert(d1 && d2 && id && blk);
	ck_assert_int_eq(iommu_attach_device_pasid(d1, dev_a, 5), 0);
	err_d1 = d1;
	err_d2 = d2;
	err_id = id;
	err_blk = blk;
	err_inv_cmds = hw_stats().inv_cmds;
	errors_changed_nothing();

	/* attach: PASID 0 is the RID path; beyond the width; no capability */
	REFUSED(iommu_attach_device_pasid(d2, dev_a, 0), -EINVAL);
	REFUSED(iommu_attach_device_pasid(d2, dev_a, 256), -EINVAL);
	REFUSED(iommu_attach_device_pasid(d2, dev_a, 0xfffff), -EINVAL);
	REFUSED(iommu_attach_device_pasid(d2, dev_c, 1), -EINVAL);
	/* blocked and identity domains never go on a PASID */
	REFUSED(iommu_attach_device_pasid(id, dev_a, 6), -EINVAL);
	REFUSED(iommu_attach_device_pasid(blk, dev_a, 6), -EINVAL);
	/* the PASID has a domain: another one, or the same again */
	REFUSED(iommu_attach_device_pasid(d2, dev_a, 5), -EBUSY);
	REFUSED(iommu_attach_device_pasid(d1, dev_a, 5), -EBUSY);
	/* the argument checks come before the busy check */
	REFUSED(iommu_attach_device_pasid(blk, dev_a, 5), -EINVAL);
	REFUSED(iommu_attach_device_pasid(id, dev_a, 5), -EINVAL);
	REFUSED(iommu_attach_device_pasid(d2, NULL, 5), -ENODEV);
	/* an injected failure */
	sim_fault_fail_nth(w, "iommu_attach", 1);
	REFUSED(iommu_attach_device_pasid(d2, dev_a, 6), -ENOMEM);
	sim_fault_fail_nth(w, "*", 0);

	/* replace: needs an attached PASID; the same argument checks */
	REFUSED(iommu_replace_device_pasid(d2, dev_a, 6), -EINVAL);
	REFUSED(iommu_replace_device_pasid(d2, dev_a, 0), -EINVAL);
	REFUSED(iommu_replace_device_pasid(d2, dev_a, 256), -EINVAL);
	REFUSED(iommu_replace_device_pasid(blk, dev_a, 5), -EINVAL);
	REFUSED(iommu_replace_device_pasid(id, dev_a, 5), -EINVAL);
	REFUSED(iommu_replace_device_pasid(d2, dev_c, 1), -EINVAL);

	/* detach: of an unattached PASID, of the wrong domain, of PASID 0 */
	REFUSED(iommu_detach_device_pasid(d1, dev_a, 6), -EINVAL);
	REFUSED(iommu_detach_device_pasid(d2, dev_a, 5), -EINVAL);
	REFUSED(iommu_detach_device_pasid(d1, dev_a, 0), -EINVAL);
	REFUSED(iommu_detach_device_pasid(d1, dev_a, 256), -EINVAL);
	REFUSED(iommu_detach_device_pasid(d1, dev_b, 5), -EINVAL);
	REFUSED(iommu_detach_device_pasid(blk, dev_a, 5), -EINVAL);

	ck_assert_int_eq(iommu_detach_device_pasid(d1, dev_a, 5), 0);
	expect_pasid(dev_a, 5, NULL);
	iommu_domain_free(d1);
	iommu_domain_free(d2);
	iommu_domain_free(id);
	iommu_domain_free(blk);
}
END_TEST

START_TEST(test_pasid_replace)
{
	struct iommu_domain *d1 = iommu_domain_alloc_paging(w, 1, false);
	struct iommu_domain *d2 = iommu_domain_alloc_paging(w, 1, false);
	struct iommu_domain *np = iommu_domain_alloc_paging(w, 2, true);
	struct iommu_domain *n = NULL;
	struct iommu_hw_stats a, b;
	uint64_t data = user_frame(), v;
	char want[160];

	ck_assert_int_eq(iommu_domain_alloc_nested(np, 0x1000, 4, &n), 0);
	ck_assert_int_eq(iommu_map(d1, 0x10000, data, SZ_4K, RW), 0);
	ck_assert_int_eq(iommu_map(d2, 0x20000, data, SZ_4K, RW), 0);
	sim_mem_write64(w, data, MAGIC);
	ck_assert_int_eq(iommu_attach_device_pasid(d1, dev_a, 7), 0);
	ck_assert_int_eq(dma_read(dev_a, 7, 0x10000, &v), 0);
	ck_assert_uint_eq(v, MAGIC);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, d1->did, 7, 0x10000), 1);
	ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), 7, 0x10000), 1);

	/* d1 -> d2 atomically: one entry write, then the old domain's PASID
	 * flush (§E.6) */
	trace_start("iommu_hw_inv");
	ck_assert_int_eq(iommu_replace_device_pasid(d2, dev_a, 7), 0);
	snprintf(want, sizeof(want),
		 "pasid-cache/01:00.0/7 iotlb-pasid/%u/7 devtlb/01:00.0/7 wait", d1->did);
	expect_trace(want);
	expect_pasid(dev_a, 7, d2);
	expect_locs(d1, "");
	expect_locs(d2, "01:00.0/7+ats");
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, d1->did, 7, 0x10000), 0);
	ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), 7, 0x10000), 0);
	ck_assert_int_eq(dma_read(dev_a, 7, 0x10000, &v), -EFAULT);
	ck_assert_int_eq(dma_read(dev_a, 7, 0x20000, &v), 0);
	ck_assert_uint_eq(v, MAGIC);
	expect_check(0, NULL);

	/* replacing with the domain already there does nothing */
	a = hw_stats();
	ck_assert_int_eq(iommu_replace_device_pasid(d2, dev_a, 7), 0);
	b = hw_stats();
	ck_assert_uint_eq(b.inv_cmds, a.inv_cmds);
	expect_locs(d2, "01:00.0/7+ats");

	/* to a nested domain and back to stage 1 */
	ck_assert_int_eq(iommu_replace_device_pasid(n, dev_a, 7), 0);
	expect_pasid(dev_a, 7, n);
	expect_locs(d2, "");
	expect_locs(n, "01:00.0/7+ats");
	trace_start("iommu_hw_inv");
	ck_assert_int_eq(iommu_replace_device_pasid(d1, dev_a, 7), 0);
	snprintf(want, sizeof(want),
		 "pasid-cache/01:00.0/7 iotlb-pasid/%u/7 devtlb/01:00.0/7 wait", n->did);
	expect_trace(want);
	expect_pasid(dev_a, 7, d1);
	expect_locs(n, "");

	/* the old domain cannot detach what it no longer holds */
	ck_assert_int_eq(iommu_detach_device_pasid(d2, dev_a, 7), -EINVAL);
	expect_pasid(dev_a, 7, d1);
	ck_assert_int_eq(iommu_detach_device_pasid(d1, dev_a, 7), 0);
	expect_check(0, NULL);
	iommu_domain_free(d1);
	iommu_domain_free(d2);
	iommu_domain_free(np);
}
END_TEST

/*
 * A stage-2 domain on a PASID: its IOTLB entries carry no PASID tag (a
 * stage-2-only walk), so leaving that PASID needs a domain-wide IOTLB
 * flush, as VT-d does for a second-stage PASID entry.  Without it the
 * entries outlive every PASID entry naming the domain (§H8).
 */
START_TEST(test_pasid_detach_stage2)
{
	struct iommu_domain *s2 = iommu_domain_alloc_paging(w, 2, false);
	uint64_t data = user_frame(), v;
	char want[160];

	ck_assert_int_eq(iommu_map(s2, 0x30000, data, SZ_4K, RW), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(s2, dev_a, 3), 0);
	expect_pasid(dev_a, 3, s2);
	ck_assert_int_eq(dma_read(dev_a, 3, 0x30000, &v), 0);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, s2->did, IOMMU_PASID_NONE, 0x30000), 1);
	ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), 3, 0x30000), 1);

	trace_start("iommu_hw_inv");
	ck_assert_int_eq(iommu_detach_device_pasid(s2, dev_a, 3), 0);
	snprintf(want, sizeof(want),
		 "pasid-cache/01:00.0/3 iotlb-domain/%u devtlb/01:00.0/3 wait", s2->did);
	expect_trace(want);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, s2->did, IOMMU_PASID_NONE, 0x30000), 0);
	expect_check(0, NULL);
	iommu_domain_free(s2);
}
END_TEST

/* ---- the unmap flush order (§E.6) ------------------------------------------------------- */

/*
 * A stage-2 nest parent P on A's RID path, mapping the guest's table pool
 * and a data page; a nested domain N over it on (A, PASID 1) whose guest
 * table maps GVA to the data page.  A is an ATS device, so a DMA fills the
 * IOTLB and A's device TLB.
 */
struct nest {
	struct iommu_domain *p, *n;
	struct io_pgtable s1;
	struct io_pgtable_mem mem;
	uint64_t pool[POOL_PAGES];   /* host frame of each guest pool page */
	unsigned next, allocs, frees;
	uint64_t data;               /* host frame of DATA_GPA */
};

static int pool_alloc(void *ctx, unsigned frames, uint64_t *addr)
{
	struct nest *ns = ctx;

	ck_assert_uint_eq(frames, 1);
	if (ns->next == POOL_PAGES)
		return -ENOMEM;
	*addr = POOL_GPA + ns->next++ * SIM_PAGE_SIZE;
	ns->allocs++;
	return 0;
}

static void pool_free(void *ctx, uint64_t addr, unsigned frames)
{
	struct nest *ns = ctx;

	ns->frees += frames;
}

static uint64_t pool_to_hpa(void *ctx, uint64_t addr)
{
	struct nest *ns = ctx;

	ck_assert(addr >= POOL_GPA && addr < POOL_GPA + POOL_PAGES * SIM_PAGE_SIZE);
	return ns->pool[(addr - POOL_GPA) / SIM_PAGE_SIZE];
}

static void nest_setup(struct nest *ns)
{
	struct io_pgtable_cfg cfg = { .levels = 4 };
	uint64_t v;

	memset(ns, 0, sizeof(*ns));
	ns->p = iommu_domain_alloc_paging(w, 2, true);
	ck_assert_ptr_nonnull(ns->p);
	ck_assert_int_eq(iommu_attach_group(ns->p, grp(dev_a)), 0);
	for (unsigned i = 0; i < POOL_PAGES; i++) {
		ns->pool[i] = user_frame();
		/* the IOMMU only reads the guest's tables (§E.2) */
		ck_assert_int_eq(iommu_map(ns->p, POOL_GPA + i * SIM_PAGE_SIZE, ns->pool[i],
					   SZ_4K, IOMMU_READ), 0);
	}
	ns->data = user_frame();
	sim_mem_write64(w, ns->data, MAGIC);
	ck_assert_int_eq(iommu_map(ns->p, DATA_GPA, ns->data, SZ_4K, RW), 0);

	ns->mem = (struct io_pgtable_mem){ .alloc = pool_alloc, .free = pool_free,
					   .to_hpa = pool_to_hpa, .ctx = ns };
	ck_assert_int_eq(io_pgtable_init_mem(&ns->s1, w, &io_pgtable_vtd_fs, &cfg, &ns->mem), 0);
	ck_assert_int_eq(io_pgtable_map(&ns->s1, GVA, DATA_GPA, SZ_4K, RW), 0);
	ck_assert_uint_eq(ns->allocs, 4);
	ck_assert_int_eq(iommu_domain_alloc_nested(ns->p, ns->s1.root, 4, &ns->n), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(ns->n, dev_a, 1), 0);

	/* warm every cache: the RID path and the nested PASID */
	ck_assert_int_eq(dma_read(dev_a, 0, DATA_GPA, &v), 0);
	ck_assert_uint_eq(v, MAGIC);
	ck_assert_int_eq(dma_read(dev_a, 1, GVA, &v), 0);
	ck_assert_uint_eq(v, MAGIC);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns->p->did, IOMMU_PASID_NONE, DATA_GPA), 1);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns->n->did, 1, GVA), 1);
	ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), IOMMU_PASID_NONE, DATA_GPA), 1);
	ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), 1, GVA), 1);
	expect_check(0, NULL);
	expect_violations(0, NULL);
}

static void nest_teardown(struct nest *ns)
{
	if (iommu_device_pasid_domain(dev_a, 1) == ns->n)
		ck_assert_int_eq(iommu_detach_device_pasid(ns->n, dev_a, 1), 0);
	iommu_detach_group(ns->p, grp(dev_a));
	ck_assert_ptr_eq(iommu_group_domain(grp(dev_a)), iommu_group_default_domain(grp(dev_a)));
	iommu_domain_free(ns->p);   /* and the nested domain */
	io_pgtable_destroy(&ns->s1);
	ck_assert_uint_eq(ns->frees, ns->allocs);
	for (unsigned i = 0; i < POOL_PAGES; i++)
		sim_mem_frame_put(w, ns->pool[i]);
	sim_mem_frame_put(w, ns->data);
}

/* The invalidations of unmapping DATA_GPA from P, by the spec's order. */
/* After a correct unmap of the data page: no IOTLB entry of either path,
 * no RID-path device-TLB entry, a clean checker, both DMAs fault, and the
 * set-up is torn down (§H8). */
static void expect_page_gone(struct nest *ns)
{
	uint64_t v;

	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns->p->did, IOMMU_PASID_NONE, DATA_GPA), 0);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns->n->did, 1, GVA), 0);
	ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), IOMMU_PASID_NONE, DATA_GPA), 0);
	expect_check(0, NULL);
	ck_assert_int_eq(dma_read(dev_a, 0, DATA_GPA, &v), -EFAULT);
	ck_assert_int_eq(dma_read(dev_a, 1, GVA, &v), -EFAULT);
	expect_violations(0, NULL);
	nest_teardown(ns);
}

static char *unmap_seq(const struct nest *ns, bool iotlb, bool nested, bool devtlb)
{
	GString *s = g_string_new(NULL);

	if (iotlb)      /* P's own entries: untagged stage-2 translations */
		g_string_append_printf(s, "iotlb-range/%u/none/0x%llx+0x1000 ", ns->p->did,
				       (unsigned long long)DATA_GPA);
	if (nested)     /* N's combined entries, domain-wide: the GPA says
			 * nothing of which GVAs used it */
		g_string_append_printf(s, "iotlb-domain/%u ", ns->n->did);
	if (devtlb)     /* A's RID path (the range), A's PASID 1 (whole) */
		g_string_append_printf(s, "devtlb/01:00.0/none/0x%llx+0x1000 devtlb/01:00.0/1 ",
				       (unsigned long long)DATA_GPA);
	g_string_append(s, "wait");
	return g_string_free(s, FALSE);
}

START_TEST(test_unmap_flush_order)
{
	struct iommu_hw_stats a, b;
	struct nest ns;
	char *want;

	nest_setup(&ns);
	a = hw_stats();
	trace_start("iommu_hw_inv,sim_frame_free");
	ck_assert_uint_eq(iommu_unmap(ns.p, DATA_GPA, SZ_4K), SZ_4K);
	b = hw_stats();
	/* the table write first (the emptied level-1 and level-2 tables go),
	 * then IOTLB -> nested -> ATC -> WAIT */
	want = unmap_seq(&ns, true, true, true);
	{
		char *full = g_strdup_printf("free free %s", want);

		expect_trace(full);
		g_free(full);
	}
	g_free(want);
	ck_assert_uint_eq(b.inv_cmds - a.inv_cmds, 5);
	ck_assert_uint_eq(b.inv_waits - a.inv_waits, 1);
	/* nothing of the page is left anywhere (§H8) */
	ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), 1, GVA), 0);
	expect_page_gone(&ns);
}
END_TEST

/* A stage-1 domain on three (device, PASID)s: one IOTLB range per distinct
 * PASID, a device-TLB range per ATS location, a wait. */
START_TEST(test_unmap_order_stage1_pasids)
{
	struct iommu_domain *d = iommu_domain_alloc_paging(w, 1, false);
	char want[256];

	ck_assert_int_eq(iommu_map(d, 0x10000, user_frame(), SZ_4K, RW), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_a, 1), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_a, 2), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_b, 1), 0);
	trace_start("iommu_hw_inv");
	ck_assert_uint_eq(iommu_unmap(d, 0x10000, SZ_4K), SZ_4K);
	snprintf(want, sizeof(want),
		 "iotlb-range/%u/1/0x10000+0x1000 iotlb-range/%u/2/0x10000+0x1000 "
		 "devtlb/01:00.0/1/0x10000+0x1000 devtlb/01:00.0/2/0x10000+0x1000 wait",
		 d->did, d->did);
	expect_trace(want);
	/* an unmap of nothing still flushes: the caller cannot know */
	trace_start("iommu_hw_inv");
	ck_assert_uint_eq(iommu_unmap(d, 0x10000, SZ_4K), 0);
	expect_trace(want);
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev_a, 1), 0);
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev_a, 2), 0);
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev_b, 1), 0);
	iommu_domain_free(d);
}
END_TEST

/* iommu_check_invariants' whole output must be @want ("" for none). */
static void inv_expect(const char *want)
{
	GString *out = g_string_new(NULL);
	int n = iommu_check_invariants(w, out), lines = 0;

	for (const char *c = want; *c; c++)
		lines += *c == '\n';
	ck_assert_str_eq(out->str, want);
	ck_assert_int_eq(n, lines);
	g_string_free(out, TRUE);
}

/*
 * The injected bug pasid-free-while-bound (loop 1): iommu_detach_device_pasid
 * erases the PASID from the kernel's table - free for reuse, the domain
 * holds it nowhere and may be freed - but never tears the device's PASID
 * entry down (__iommu_remove_group_pasid).  §H26 reports the entry right
 * after the detach, and once the domain is freed, that it names a freed
 * one; a tagged DMA still translates.  Loop 0: the same steps, cleared.
 */
START_TEST(test_bug_pasid_free_while_bound)
{
	struct boot_opts o = { .bugs = _i ? IOMMU_BUG_PASID_FREE_WHILE_BOUND : 0 };
	struct iommu_domain *d;
	struct iommu_context got;
	uint64_t hpa, v;
	uint16_t did;
	char *want;

	reboot(&o);
	/* B: no ATS, so no device TLB outlives the domain */
	d = iommu_domain_alloc_paging(w, 1, false);
	ck_assert_ptr_nonnull(d);
	did = d->did;
	hpa = user_frame();
	sim_mem_write64(w, hpa, MAGIC);
	ck_assert_int_eq(iommu_map(d, 0x10000, hpa, SZ_4K, IOMMU_READ), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(d, dev_b, 5), 0);
	inv_expect("");
	ck_assert_int_eq(iommu_detach_device_pasid(d, dev_b, 5), 0);
	/* the kernel's side is the same either way */
	ck_assert_ptr_null(iommu_device_pasid_domain(dev_b, 5));
	ck_assert_uint_eq(d->locs->len, 0);
	if (!_i) {
		expect_pasid(dev_b, 5, NULL);
		inv_expect("");
		ck_assert_int_eq(dma_read(dev_b, 5, 0x10000, &v), -EFAULT);
		iommu_domain_free(d);
		inv_expect("");
		return;
	}
	ck_assert_int_eq(iommu_hw_get_pasid(w, 0, rid(dev_b), 5, &got), 0);
	ck_assert_int_eq(got.type, IOMMU_CTX_S1);
	ck_assert_uint_eq(got.did, did);
	want = g_strdup_printf("§H26: 0000:02:00.0 pasid 5: the PASID entry selects s1 did %u, "
			       "but the kernel has no domain attached there\n", did);
	inv_expect(want);
	g_free(want);
	ck_assert_int_eq(dma_read(dev_b, 5, 0x10000, &v), 0);
	ck_assert_uint_eq(v, MAGIC);
	iommu_domain_free(d);
	want = g_strdup_printf("§H26: 0000:02:00.0 pasid 5: the PASID entry selects s1 did %u "
			       "(a freed domain), but the kernel has no domain attached there\n", did);
	inv_expect(want);
	g_free(want);
	/* the entry cleared behind the kernel's back: quiet again */
	ck_assert_int_eq(iommu_hw_clear_pasid(w, 0, rid(dev_b), 5), 0);
	inv_expect("");
}
END_TEST

/* Boot a kernel with @bugs, build the nested set-up, unmap the data page
 * and check the invalidations it sent: those the bug leaves out are absent. */
static void bug_unmap(unsigned bugs, struct nest *ns, bool iotlb, bool nested, bool devtlb)
{
	struct boot_opts o = { .bugs = bugs };
	char *want;

	reboot(&o);
	nest_setup(ns);
	trace_start("iommu_hw_inv");
	ck_assert_uint_eq(iommu_unmap(ns->p, DATA_GPA, SZ_4K), SZ_4K);
	want = unmap_seq(ns, iotlb, nested, devtlb);
	expect_trace(want);
	g_free(want);
}

/*
 * Each injected kernel bug changes the sequence exactly as named, and the
 * checker names what is stale: in the caches right away
 * (iommu_hw_check_caches), and as a stale answer once a DMA uses it
 * (iommu_hw_take_violations).  The stale answer lets the device reach a
 * page that is no longer mapped.
 */
START_TEST(test_bug_skip_iotlb_flush)
{
	struct nest ns;
	uint64_t v;

	bug_unmap(IOMMU_BUG_SKIP_IOTLB_FLUSH, &ns, false, true, true);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns.p->did, IOMMU_PASID_NONE, DATA_GPA), 1);
	expect_check(1, "missing IOTLB invalidation after the table change");
	/* the device TLB was flushed; its miss asks the IOMMU, whose IOTLB
	 * answers from the dead mapping */
	ck_assert_int_eq(dma_read(dev_a, 0, DATA_GPA, &v), 0);
	ck_assert_uint_eq(v, MAGIC);
	expect_violations(1, "stale IOTLB entry served");
	nest_teardown(&ns);
}
END_TEST

START_TEST(test_bug_skip_devtlb_flush)
{
	struct nest ns;
	uint64_t v;

	bug_unmap(IOMMU_BUG_SKIP_DEVTLB_FLUSH, &ns, true, true, false);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns.p->did, IOMMU_PASID_NONE, DATA_GPA), 0);
	ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), IOMMU_PASID_NONE, DATA_GPA), 1);
	ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), 1, GVA), 1);
	/* the RID path's ATC entry; the nested one is a guest translation,
	 * judged when served */
	expect_check(1, "missing device-TLB (ATS) invalidation");
	/* translated requests bypass the IOMMU: both paths reach the page */
	ck_assert_int_eq(dma_read(dev_a, 0, DATA_GPA, &v), 0);
	ck_assert_uint_eq(v, MAGIC);
	ck_assert_int_eq(dma_read(dev_a, 1, GVA, &v), 0);
	ck_assert_uint_eq(v, MAGIC);
	expect_violations(2, "stale device-TLB entry served");
	nest_teardown(&ns);
}
END_TEST

START_TEST(test_bug_skip_nested_flush)
{
	struct nest ns;
	uint64_t v;

	bug_unmap(IOMMU_BUG_SKIP_NESTED_FLUSH, &ns, true, false, true);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns.p->did, IOMMU_PASID_NONE, DATA_GPA), 0);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns.n->did, 1, GVA), 1);
	expect_check(1, "missing flush of combined stage-1+2 entries");
	/* the RID path is clean; the PASID's combined entry is not */
	ck_assert_int_eq(dma_read(dev_a, 0, DATA_GPA, &v), -EFAULT);
	expect_violations(0, NULL);
	ck_assert_int_eq(dma_read(dev_a, 1, GVA, &v), 0);
	ck_assert_uint_eq(v, MAGIC);
	expect_violations(1, "missing flush of combined stage-1+2 entries");
	nest_teardown(&ns);
}
END_TEST

/*
 * Flush, then write: the same commands, before the table write instead of
 * after it.  Only a device that keeps its DMA going (busy_dma) refills the
 * caches in between; without one the wrong order goes unseen.
 */
START_TEST(test_bug_flush_before_write)
{
	struct boot_opts o = { .bugs = IOMMU_BUG_FLUSH_BEFORE_WRITE };
	struct nest ns;
	char *want, *full;
	uint64_t v;

	for (int busy = 0; busy <= 1; busy++) {
		o.busy_dma = busy;
		reboot(&o);
		nest_setup(&ns);
		trace_start("iommu_hw_inv,sim_frame_free");
		ck_assert_uint_eq(iommu_unmap(ns.p, DATA_GPA, SZ_4K), SZ_4K);
		want = unmap_seq(&ns, true, true, true);
		full = g_strdup_printf("%s free free", want);
		expect_trace(full);
		g_free(full);
		g_free(want);
		if (!busy) {
			expect_check(0, NULL);
			ck_assert_int_eq(dma_read(dev_a, 0, DATA_GPA, &v), -EFAULT);
			expect_violations(0, NULL);
			nest_teardown(&ns);
			continue;
		}
		/* the devices asked again between flush and write: the
		 * RID path's IOTLB and ATC entries, the combined entry */
		ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns.p->did, IOMMU_PASID_NONE,
					 DATA_GPA), 1);
		ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns.n->did, 1, GVA), 1);
		ck_assert_uint_eq(cached(IOMMU_CACHE_ATC, rid(dev_a), IOMMU_PASID_NONE,
					 DATA_GPA), 1);
		expect_check(3, "the invalidation ran before the table write");
		ck_assert_int_eq(dma_read(dev_a, 0, DATA_GPA, &v), 0);
		ck_assert_uint_eq(v, MAGIC);
		expect_violations(1, "stale device-TLB entry served");
		nest_teardown(&ns);
	}
}
END_TEST

/* The right order under busy DMA: the refills find the page gone. */
START_TEST(test_busy_dma_correct_order)
{
	struct boot_opts o = { .busy_dma = true };
	struct nest ns;

	reboot(&o);
	nest_setup(&ns);
	ck_assert_uint_eq(iommu_unmap(ns.p, DATA_GPA, SZ_4K), SZ_4K);
	expect_page_gone(&ns);
}
END_TEST

/* The guest's own invalidation of a nested domain (HWPT_INVALIDATE):
 * IOTLB per PASID, device TLB, wait. */
START_TEST(test_nested_invalidate)
{
	struct nest ns;
	char want[192];

	nest_setup(&ns);
	ck_assert_int_eq(iommu_nested_invalidate(ns.p, 0, 0), -EINVAL);
	ck_assert_int_eq(iommu_nested_invalidate(ns.n, ~0xfffull, 0x2000), -EINVAL);
	trace_start("iommu_hw_inv");
	ck_assert_int_eq(iommu_nested_invalidate(ns.n, GVA, SZ_4K), 0);
	snprintf(want, sizeof(want),
		 "iotlb-range/%u/1/0x400000+0x1000 devtlb/01:00.0/1/0x400000+0x1000 wait",
		 ns.n->did);
	expect_trace(want);
	trace_start("iommu_hw_inv");
	ck_assert_int_eq(iommu_nested_invalidate(ns.n, 0, 0), 0);
	snprintf(want, sizeof(want), "iotlb-pasid/%u/1 devtlb/01:00.0/1 wait", ns.n->did);
	expect_trace(want);
	ck_assert_uint_eq(cached(IOMMU_CACHE_IOTLB, ns.n->did, 1, GVA), 0);
	nest_teardown(&ns);
}
END_TEST

/* ---- nest parent teardown ----------------------------------------------------------------- */

START_TEST(test_free_parent_takes_children)
{
	struct iommu_domain *n2 = NULL;
	struct iommu_xlate x;
	uint16_t pdid, ndid, n2did;
	uint64_t frames, v;
	struct nest ns;
	char want[512];

	nest_setup(&ns);
	ck_assert_int_eq(iommu_attach_device_pasid(ns.n, dev_a, 2), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(ns.n, dev_b, 3), 0);
	ck_assert_int_eq(iommu_domain_alloc_nested(ns.p, ns.s1.root, 4, &n2), 0);
	ck_assert_int_eq(iommu_attach_device_pasid(n2, dev_a, 4), 0);
	ck_assert_uint_eq(ns.p->children->len, 2);
	pdid = ns.p->did;
	ndid = ns.n->did;
	n2did = n2->did;

	iommu_detach_group(ns.p, grp(dev_a));
	frames = pgtable_frames();
	/* root, the level-3 table, a level-2 and a level-1 table each for
	 * the pool and for the data page */
	ck_assert_uint_eq(ns.p->pt.table_pages, 6);
	trace_start("iommu_hw_inv,sim_frame_free");
	iommu_domain_free(ns.p);
	/* every PASID of each child is cleared and flushed, the child's
	 * domain id flushed; then the parent's table goes and its id */
	snprintf(want, sizeof(want),
		 "pasid-cache/01:00.0/1 iotlb-pasid/%u/1 devtlb/01:00.0/1 wait "
		 "pasid-cache/01:00.0/2 iotlb-pasid/%u/2 devtlb/01:00.0/2 wait "
		 "pasid-cache/02:00.0/3 iotlb-pasid/%u/3 wait "
		 "iotlb-domain/%u wait "
		 "pasid-cache/01:00.0/4 iotlb-pasid/%u/4 devtlb/01:00.0/4 wait "
		 "iotlb-domain/%u wait "
		 "free free free free free free iotlb-domain/%u wait",
		 ndid, ndid, ndid, ndid, n2did, n2did, pdid);
	expect_trace(want);
	ck_assert_uint_eq(pgtable_frames(), frames - 6);
	expect_pasid(dev_a, 1, NULL);
	expect_pasid(dev_a, 2, NULL);
	expect_pasid(dev_b, 3, NULL);
	expect_pasid(dev_a, 4, NULL);
	ck_assert_ptr_null(iommu_domain_by_did(w, pdid));
	ck_assert_ptr_null(iommu_domain_by_did(w, ndid));
	ck_assert_ptr_null(iommu_domain_by_did(w, n2did));
	ck_assert_int_eq(dma_read(dev_a, 1, GVA, &v), -EFAULT);
	/* an untranslated request tells why: PASID 1 has no entry now */
	ck_assert_int_eq(iommu_hw_translate(w, 0, rid(dev_a), true, 1, GVA, false, &x), -EFAULT);
	ck_assert_int_eq(x.fault.reason, IOMMU_FAULT_NO_PASID);
	expect_check(0, NULL);
	expect_violations(0, NULL);

	io_pgtable_destroy(&ns.s1);
	ck_assert_uint_eq(ns.frees, ns.allocs);
	for (unsigned i = 0; i < POOL_PAGES; i++)
		sim_mem_frame_put(w, ns.pool[i]);
	sim_mem_frame_put(w, ns.data);
}
END_TEST

/*
 * A nested domain on the RID path (iommufd attaches a device to a nested
 * HWPT): freeing its parent must move the group off it, back to the
 * default domain, not leave the group on a freed domain.
 */
START_TEST(test_free_parent_of_rid_child)
{
	struct iommu_domain *p = iommu_domain_alloc_paging(w, 2, true), *n = NULL;
	struct iommu_domain *def = iommu_group_default_domain(grp(dev_a));
	struct iommu_context c;

	ck_assert_int_eq(iommu_domain_alloc_nested(p, 0x1000, 4, &n), 0);
	ck_assert_int_eq(iommu_attach_group(n, grp(dev_a)), 0);
	ck_assert_ptr_eq(iommu_group_domain(grp(dev_a)), n);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_a), &c), 0);
	ck_assert_int_eq(c.type, IOMMU_CTX_NESTED);

	iommu_domain_free(p);
	ck_assert_ptr_eq(iommu_group_domain(grp(dev_a)), def);
	ck_assert_int_eq(iommu_hw_get_context(w, 0, rid(dev_a), &c), 0);
	ck_assert_int_eq(c.type, IOMMU_CTX_TRANSLATE);
	ck_assert_uint_eq(c.did, def->did);
	expect_locs(def, "01:00.0/0+ats");
	/* the group works as before: a new domain attaches */
	p = iommu_domain_alloc_paging(w, 2, false);
	ck_assert_int_eq(iommu_attach_group(p, grp(dev_a)), 0);
	iommu_detach_group(p, grp(dev_a));
	iommu_domain_free(p);
	expect_check(0, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("domain");
	TCase *kinds = tcase_create("kinds");
	TCase *pasid = tcase_create("pasid");
	TCase *flush = tcase_create("flush");

	tcase_add_checked_fixture(kinds, setup, teardown);
	tcase_add_test(kinds, test_alloc_paging_stages);
	tcase_add_test(kinds, test_alloc_profile_stage);
	tcase_add_test(kinds, test_alloc_width_39);
	tcase_add_loop_test(kinds, test_alloc_kind_formats, 0, 3);
	tcase_add_test(kinds, test_alloc_nested);
	suite_add_tcase(s, kinds);

	tcase_add_checked_fixture(pasid, setup, teardown);
	tcase_add_test(pasid, test_pasid_bits);
	tcase_add_test(pasid, test_global_pasid_alloc);
	tcase_add_test(pasid, test_pasid_attach);
	tcase_add_test(pasid, test_pasid_errors);
	tcase_add_test(pasid, test_pasid_replace);
	tcase_add_test(pasid, test_pasid_detach_stage2);
	tcase_add_loop_test(pasid, test_bug_pasid_free_while_bound, 0, 2);
	suite_add_tcase(s, pasid);

	tcase_add_checked_fixture(flush, setup, teardown);
	tcase_add_test(flush, test_unmap_flush_order);
	tcase_add_test(flush, test_unmap_order_stage1_pasids);
	tcase_add_test(flush, test_bug_skip_iotlb_flush);
	tcase_add_test(flush, test_bug_skip_devtlb_flush);
	tcase_add_test(flush, test_bug_skip_nested_flush);
	tcase_add_test(flush, test_bug_flush_before_write);
	tcase_add_test(flush, test_busy_dma_correct_order);
	tcase_add_test(flush, test_nested_invalidate);
	tcase_add_test(flush, test_free_parent_takes_children);
	tcase_add_test(flush, test_free_parent_of_rid_child);
	suite_add_tcase(s, flush);
	return unit_run(s);
}
