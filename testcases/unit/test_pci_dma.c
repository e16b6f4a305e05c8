/* SPDX-License-Identifier: MIT */
/*
 * model/pci's DMA entry: requester ids computed once when the topology is
 * built, the alias walk over the set bits of the alias bitmap, and the
 * device-handle entry point (sim_dev_lookup, sim_dev_dma_h) beside
 * sim_dev_dma.  The ids and the walk are compared with a copy of the
 * algorithm as it was before (a test of all 256 devfns per walk, a walk per
 * requester id) over a topology with every kind of converting bridge and
 * every kind of alias.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "unit_common.h"
#include "sim/mem.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/hw.h"
#include "model/iommu/pgtable.h"
#include "model/pci/pci.h"
#include "iommusim/iommusim.h"

#include "pci_fixture.h"

static struct sim_world *build(const struct pci_dev_spec *s, size_t n)
{
	struct sim_world *w = sim_world_create(1);
	struct pci_build_error err = { 0 };
	int ret = pci_topology_create(w, s, n, &err);

	ck_assert_msg(ret == 0, "create: %d: entry %zu: %s", ret, err.index, err.msg);
	return w;
}

static struct pci_dev *dev(struct sim_world *w, const char *bdf)
{
	struct pci_dev *d = pci_dev_find(w, B(bdf));

	ck_assert_msg(d, "no function %s", bdf);
	return d;
}

/* ---- the reference: the walk and the requester id as they were ---------------- */

static int ref_walk(struct pci_dev *d, int (*fn)(struct pci_dev *visited, uint16_t rid, void *ctx),
		    void *ctx)
{
	int ret = fn(d, pci_dev_rid(d), ctx);

	if (ret)
		return ret;
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		if (!((d->dma_alias[devfn >> 6] >> (devfn & 63)) & 1))
			continue;
		ret = fn(d, PCI_RID(d->bus->number, devfn), ctx);
		if (ret)
			return ret;
	}
	for (struct pci_bus *bus = d->bus; bus->parent; bus = bus->parent) {
		struct pci_dev *br = bus->self;

		if (!br)
			continue;
		switch (br->type) {
		case PCI_TYPE_PCIE_TO_PCI_BRIDGE:
			ret = fn(br, PCI_RID(br->subordinate->number, 0), ctx);
			break;
		case PCI_TYPE_PCI_BRIDGE:
			ret = fn(br, br->bridge_alias ? PCI_RID(br->subordinate->number, 0)
						      : pci_dev_rid(br), ctx);
			break;
		default:
			continue;
		}
		if (ret)
			return ret;
	}
	return 0;
}

struct ref_rid {
	struct pci_dev *start;
	uint16_t rid;
};

static int ref_last_bridge(struct pci_dev *visited, uint16_t rid, void *ctx)
{
	struct ref_rid *r = ctx;

	if (visited != r->start)
		r->rid = rid;
	return 0;
}

static uint16_t ref_requester_id(struct pci_dev *d)
{
	struct ref_rid r = { .start = d, .rid = pci_dev_rid(d) };

	ref_walk(d, ref_last_bridge, &r);
	return r.rid;
}

/* ---- recording walks --------------------------------------------------------------- */

struct visit {
	struct pci_dev *dev;
	uint16_t rid;
};

/* Every visit, in order; stops with 7 after @stop_after visits (0: never). */
struct trail {
	GArray *v;
	unsigned stop_after;
};

static int record(struct pci_dev *visited, uint16_t rid, void *ctx)
{
	struct trail *t = ctx;
	struct visit v = { visited, rid };

	g_array_append_val(t->v, v);
	return t->stop_after && t->v->len == t->stop_after ? 7 : 0;
}

/* The walk of @d by @walk, stopped after @stop_after visits; its return in *ret. */
static GArray *trail_of(int (*walk)(struct pci_dev *,
				    int (*)(struct pci_dev *, uint16_t, void *), void *),
			struct pci_dev *d, unsigned stop_after, int *ret)
{
	struct trail t = { g_array_new(FALSE, FALSE, sizeof(struct visit)), stop_after };

	*ret = walk(d, record, &t);
	return t.v;
}

static void assert_same_trail(GArray *got, GArray *want, const char *name, unsigned stop)
{
	ck_assert_msg(got->len == want->len, "%s (stop %u): %u visits, want %u", name, stop,
		      got->len, want->len);
	for (guint i = 0; i < got->len; i++) {
		struct visit *g = &g_array_index(got, struct visit, i);
		struct visit *x = &g_array_index(want, struct visit, i);

		ck_assert_msg(g->dev == x->dev && g->rid == x->rid, "%s (stop %u): visit %u is "
			      "%s@%04x, want %s@%04x", name, stop, i, g->dev->name, g->rid,
			      x->dev->name, x->rid);
	}
}

/*
 * Every converting bridge and every alias kind:
 *  - 00:01.0 > 01:00.0 PCIe-to-PCI bridge > 02:01.0 PCI bridge > 03:04.0
 *    with spec aliases 00.2 and 04.1, and 02:02.0 beside the PCI bridge
 *  - 00:02.0 > 04:00.0 PCI bridge with bridge_alias (ASMedia) > 05:03.0, and
 *    05:04.0 (Tundra, below a conventional bridge: no bridge_alias) > 06:01.0
 *  - 00:03.0 > 07:00.0 PCI bridge without quirk > 08:05.0
 *  - 00:04.0 > 09:00.0 Marvell 88SE9125 (quirk alias 00.1)
 *  - 00:05.0 > 0a:00.2 JMicron JMB388 (quirk alias 00.1), 0a:00.0 beside it
 *  - 00:06.0 > 0b:00.0 PLX NTB (quirk aliases: every devfn)
 *  - 00:07.0 > 0c:00.0 upstream > 0d:01.0 downstream > 0e:00.0 PCIe-to-PCI
 *    bridge > 0f:00.0 a PLX NTB id behind it (256 aliases, then a bridge)
 *  - 00:1f.0 on the root bus with aliases 08.0 and 1f.7 (the first bit of a
 *    bitmap word and the last of the last word)
 */
static struct sim_world *mixed_world(size_t *n)
{
	struct pci_dev_spec mixed[] = {
		DEV("00:01.0", ROOT_PORT, ACS),
		DEV("01:00.0", PCIE_TO_PCI_BRIDGE, PARENT("00:01.0")),
		DEV("02:01.0", PCI_BRIDGE, PARENT("01:00.0")),
		DEV("02:02.0", PCI_DEVICE, PARENT("01:00.0")),
		DEV("03:04.0", PCI_DEVICE, PARENT("02:01.0"), .dma_alias = { 1ull << 33 | 1ull << 2 }),
		DEV("00:02.0", ROOT_PORT, ACS),
		DEV("04:00.0", PCI_BRIDGE, PARENT("00:02.0"), ID(0x1b21, 0x1080)),
		DEV("05:03.0", PCI_DEVICE, PARENT("04:00.0")),
		DEV("05:04.0", PCI_BRIDGE, PARENT("04:00.0"), ID(0x10e3, 0x8113)),
		DEV("06:01.0", PCI_DEVICE, PARENT("05:04.0")),
		DEV("00:03.0", ROOT_PORT, ACS),
		DEV("07:00.0", PCI_BRIDGE, PARENT("00:03.0")),
		DEV("08:05.0", PCI_DEVICE, PARENT("07:00.0")),
		DEV("00:04.0", ROOT_PORT, ACS),
		DEV("09:00.0", ENDPOINT, PARENT("00:04.0"), ID(0x1b4b, 0x9125)),
		DEV("00:05.0", ROOT_PORT, ACS),
		DEV("0a:00.0", ENDPOINT, PARENT("00:05.0"), MF, ACS),
		DEV("0a:00.2", ENDPOINT, PARENT("00:05.0"), MF, ACS, ID(0x197b, 0x2392)),
		DEV("00:06.0", ROOT_PORT, ACS),
		DEV("0b:00.0", ENDPOINT, PARENT("00:06.0"), ID(0x10b5, 0x87b0)),
		DEV("00:07.0", ROOT_PORT, ACS),
		DEV("0c:00.0", UPSTREAM_PORT, PARENT("00:07.0")),
		DEV("0d:01.0", DOWNSTREAM_PORT, PARENT("0c:00.0")),
		DEV("0e:00.0", PCIE_TO_PCI_BRIDGE, PARENT("0d:01.0")),
		DEV("0f:00.0", PCI_DEVICE, PARENT("0e:00.0"), ID(0x10b5, 0x87b1)),
		DEV("00:1f.0", RC_ENDPOINT, .dma_alias = { 0, 1ull << 0, 0, 1ull << 63 }),
	};

	if (n)
		*n = N(mixed);
	return build(mixed, N(mixed));
}

/* The topology is what it claims: the quirks applied, so the comparisons
 * below cover bridge_alias and quirk aliases, not only spec ones. */
START_TEST(test_mixed_topology_is_as_described)
{
	struct sim_world *w = mixed_world(NULL);
	struct pci_dev *ntb = dev(w, "0b:00.0");

	ck_assert(dev(w, "04:00.0")->bridge_alias);
	ck_assert(!dev(w, "05:04.0")->bridge_alias);
	ck_assert(!dev(w, "07:00.0")->bridge_alias);
	ck_assert(pci_dev_has_alias(dev(w, "09:00.0"), PCI_DEVFN(0, 1)));
	ck_assert(pci_dev_has_alias(dev(w, "0a:00.2"), PCI_DEVFN(0, 1)));
	for (unsigned devfn = 1; devfn < 256; devfn++)
		ck_assert(pci_dev_has_alias(ntb, (uint8_t)devfn));
	ck_assert(!pci_dev_has_alias(ntb, 0));          /* its own devfn is not recorded */
	ck_assert(pci_dev_has_alias(dev(w, "0f:00.0"), 0xff));
	sim_world_destroy(w);
}
END_TEST

/* Every function's stored requester id is the old walk's answer; and the
 * answers themselves, spelled out, so the reference cannot drift. */
START_TEST(test_requester_ids_match_reference)
{
	static const struct { const char *bdf; uint16_t rid; } want[] = {
		{ "03:04.0", 0x0200 },   /* PCIe-to-PCI bridge 01:00.0: secondary 02, 00.0 */
		{ "02:02.0", 0x0200 },
		{ "02:01.0", 0x0200 },
		{ "05:03.0", 0x0500 },   /* bridge_alias: as a PCIe-to-PCI bridge */
		{ "06:01.0", 0x0500 },   /* 05:04.0 as itself, then 04:00.0 as 05:00.0 */
		{ "08:05.0", 0x0700 },   /* a plain PCI bridge: its own RID 07:00.0 */
		{ "09:00.0", 0x0900 },   /* aliases never change the requester id */
		{ "0a:00.2", 0x0a02 },
		{ "0b:00.0", 0x0b00 },
		{ "0f:00.0", 0x0f00 },
		{ "00:1f.0", 0x00f8 },
		{ "01:00.0", 0x0100 },
		{ "04:00.0", 0x0400 },
	};
	size_t n;
	struct sim_world *w = mixed_world(&n);

	ck_assert_uint_eq(pci_dev_count(w), n);
	for (size_t i = 0; i < pci_dev_count(w); i++) {
		struct pci_dev *d = pci_dev_at(w, i);

		ck_assert_msg(pci_dma_requester_id(d) == ref_requester_id(d),
			      "%s: requester id %04x, the old walk says %04x", d->name,
			      pci_dma_requester_id(d), ref_requester_id(d));
	}
	for (size_t i = 0; i < N(want); i++)
		ck_assert_msg(pci_dma_requester_id(dev(w, want[i].bdf)) == want[i].rid,
			      "%s: %04x, want %04x", want[i].bdf,
			      pci_dma_requester_id(dev(w, want[i].bdf)), want[i].rid);
	sim_world_destroy(w);
}
END_TEST

/* The whole visit order of every function's walk is the old walk's, and so
 * is a walk stopped after each number of visits (its return value too). */
START_TEST(test_alias_walk_matches_reference)
{
	struct sim_world *w = mixed_world(NULL);

	for (size_t i = 0; i < pci_dev_count(w); i++) {
		struct pci_dev *d = pci_dev_at(w, i);
		int ret_got, ret_want;
		GArray *want = trail_of(ref_walk, d, 0, &ret_want);
		GArray *got = trail_of(pci_for_each_dma_alias, d, 0, &ret_got);
		unsigned full = want->len;

		ck_assert_int_eq(ret_got, 0);
		ck_assert_int_eq(ret_want, 0);
		assert_same_trail(got, want, d->name, 0);
		g_array_free(got, TRUE);
		g_array_free(want, TRUE);
		for (unsigned stop = 1; stop <= full; stop++) {
			want = trail_of(ref_walk, d, stop, &ret_want);
			got = trail_of(pci_for_each_dma_alias, d, stop, &ret_got);
			ck_assert_int_eq(ret_got, ret_want);
			ck_assert_int_eq(ret_got, 7);
			assert_same_trail(got, want, d->name, stop);
			g_array_free(got, TRUE);
			g_array_free(want, TRUE);
		}
	}
	sim_world_destroy(w);
}
END_TEST

/* The visit order spelled out where the bitmap's words matter: 1 + 255
 * aliases ascending, then the bridge; and the word boundaries. */
START_TEST(test_alias_walk_order)
{
	struct sim_world *w = mixed_world(NULL);
	struct pci_dev *d = dev(w, "0f:00.0"), *br = dev(w, "0e:00.0");
	int ret;
	GArray *t = trail_of(pci_for_each_dma_alias, d, 0, &ret);

	ck_assert_uint_eq(t->len, 257);
	ck_assert(g_array_index(t, struct visit, 0).dev == d);
	ck_assert_uint_eq(g_array_index(t, struct visit, 0).rid, 0x0f00);
	for (unsigned devfn = 1; devfn < 256; devfn++) {
		ck_assert(g_array_index(t, struct visit, devfn).dev == d);
		ck_assert_uint_eq(g_array_index(t, struct visit, devfn).rid, 0x0f00 | devfn);
	}
	ck_assert(g_array_index(t, struct visit, 256).dev == br);
	ck_assert_uint_eq(g_array_index(t, struct visit, 256).rid, 0x0f00);
	g_array_free(t, TRUE);

	t = trail_of(pci_for_each_dma_alias, dev(w, "00:1f.0"), 0, &ret);
	ck_assert_uint_eq(t->len, 3);
	ck_assert_uint_eq(g_array_index(t, struct visit, 0).rid, 0x00f8);
	ck_assert_uint_eq(g_array_index(t, struct visit, 1).rid, 0x0040);
	ck_assert_uint_eq(g_array_index(t, struct visit, 2).rid, 0x00ff);
	g_array_free(t, TRUE);
	sim_world_destroy(w);
}
END_TEST

/* ---- the device handle ------------------------------------------------------------- */

#define IOVA 0x100000ull

/* The seed's topology under an IOMMU: 06:0d.0 behind the PCIe-to-PCI
 * bridge 00:1e.0 (requester id 06:00.0, translated), 00:03.0 on the root
 * bus with no context; page IOVA read-write, IOVA + 4K read-only. */
struct dma_world {
	struct sim_world *w;
	bool iommu;
	struct io_pgtable pt;
	uint64_t frames[2];
};

static void dma_world_init(struct dma_world *dw, bool iommu)
{
	struct pci_dev_spec s[] = {
		DEV("00:03.0", RC_ENDPOINT),
		DEV("00:1e.0", PCIE_TO_PCI_BRIDGE),
		DEV("06:0d.0", PCI_DEVICE, PARENT("00:1e.0")),
	};
	struct iommu_context c = { .type = IOMMU_CTX_TRANSLATE, .did = 1, .s2_levels = 4 };

	memset(dw, 0, sizeof(*dw));
	dw->w = build(s, N(s));
	dw->iommu = iommu;
	if (!iommu)
		return;
	ck_assert_int_eq(iommu_hw_create(dw->w, NULL), 0);
	ck_assert_int_eq(io_pgtable_init(&dw->pt, dw->w, &io_pgtable_vtd_ss, 4), 0);
	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(sim_mem_frame_alloc(dw->w, SIM_FRAME_USER, &dw->frames[i]), 0);
	ck_assert_int_eq(io_pgtable_map(&dw->pt, IOVA, dw->frames[0], SZ_4K,
					IOMMU_READ | IOMMU_WRITE), 0);
	ck_assert_int_eq(io_pgtable_map(&dw->pt, IOVA + SZ_4K, dw->frames[1], SZ_4K,
					IOMMU_READ), 0);
	c.s2_root = dw->pt.root;
	ck_assert_int_eq(iommu_hw_set_context(dw->w, 0, PCI_RID(6, 0), &c), 0);
}

static void dma_world_fini(struct dma_world *dw)
{
	if (dw->iommu) {
		io_pgtable_destroy(&dw->pt);
		for (unsigned i = 0; i < 2; i++)
			sim_mem_frame_put(dw->w, dw->frames[i]);
	}
	sim_world_destroy(dw->w);
}

START_TEST(test_lookup_errors)
{
	struct dma_world dw;
	struct sim_world *bare = sim_world_create(1);

	dma_world_init(&dw, true);
	ck_assert_ptr_null(sim_dev_lookup(NULL, "0000:06:0d.0"));
	ck_assert_ptr_null(sim_dev_lookup(dw.w, NULL));
	ck_assert_ptr_null(sim_dev_lookup(dw.w, ""));
	ck_assert_ptr_null(sim_dev_lookup(dw.w, "zz"));
	ck_assert_ptr_null(sim_dev_lookup(dw.w, "06:0d.9"));         /* function 9 */
	ck_assert_ptr_null(sim_dev_lookup(dw.w, "06:20.0"));         /* device 0x20 */
	ck_assert_ptr_null(sim_dev_lookup(dw.w, "0000:06:0d.0 "));   /* trailing text */
	ck_assert_ptr_null(sim_dev_lookup(dw.w, "0000:07:00.0"));    /* no such function */
	ck_assert_ptr_null(sim_dev_lookup(dw.w, "0001:06:0d.0"));    /* another segment */
	ck_assert_ptr_null(sim_dev_lookup(bare, "0000:00:00.0"));    /* no topology */
	/* one handle per function, however it is spelled */
	ck_assert_ptr_nonnull(sim_dev_lookup(dw.w, "0000:06:0d.0"));
	ck_assert_ptr_eq(sim_dev_lookup(dw.w, "06:0d.0"), sim_dev_lookup(dw.w, "0000:06:0D.0"));
	ck_assert_ptr_ne(sim_dev_lookup(dw.w, "06:0d.0"), sim_dev_lookup(dw.w, "00:03.0"));
	ck_assert_ptr_nonnull(sim_dev_lookup(dw.w, "00:1e.0"));      /* bridges too */
	sim_world_destroy(bare);
	dma_world_fini(&dw);
}
END_TEST

START_TEST(test_dma_h_errors)
{
	struct dma_world dw, other;
	uint8_t byte = 0x5a;
	struct sim_dma op = { .addr = IOVA, .write = true, .buf = &byte, .len = 1 };
	struct sim_dev *h, *foreign;

	dma_world_init(&dw, true);
	dma_world_init(&other, true);
	h = sim_dev_lookup(dw.w, "06:0d.0");
	foreign = sim_dev_lookup(other.w, "06:0d.0");
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(foreign);
	ck_assert_int_eq(sim_dev_dma_h(NULL, h, &op), -EINVAL);
	ck_assert_int_eq(sim_dev_dma_h(dw.w, NULL, &op), -EINVAL);
	ck_assert_int_eq(sim_dev_dma_h(dw.w, h, NULL), -EINVAL);
	/* the same function of another world is not this world's */
	ck_assert_int_eq(sim_dev_dma_h(dw.w, foreign, &op), -EINVAL);
	op.buf = NULL;
	ck_assert_int_eq(sim_dev_dma_h(dw.w, h, &op), -EINVAL);
	op.len = 0;                     /* nothing to carry: no buffer needed */
	ck_assert_int_eq(sim_dev_dma_h(dw.w, h, &op), 0);
	/* none of the refusals reached the IOMMU or memory */
	ck_assert_uint_eq(iommu_hw_fault_count(dw.w), 0);
	ck_assert_uint_eq(sim_mem_read64(dw.w, dw.frames[0]), 0);
	op.buf = &byte;
	op.len = 1;
	ck_assert_int_eq(sim_dev_dma_h(dw.w, h, &op), 0);
	ck_assert_uint_eq(sim_mem_read64(dw.w, dw.frames[0]), 0x5a);
	ck_assert_int_eq(sim_dev_dma_h(other.w, foreign, &op), 0);   /* its own world's */
	ck_assert_uint_eq(sim_mem_read64(other.w, other.frames[0]), 0x5a);
	dma_world_fini(&other);
	dma_world_fini(&dw);
}
END_TEST

/* sim_dev_dma on top of the handle keeps its own results: a bad op is
 * -EINVAL before any lookup, a bad BDF -EINVAL, no such function -ENODEV. */
START_TEST(test_dma_by_name_errors)
{
	struct dma_world dw;
	struct sim_world *bare = sim_world_create(1);
	uint8_t byte = 0;
	struct sim_dma op = { .addr = IOVA, .buf = &byte, .len = 1 }, bad = { .len = 1 };

	dma_world_init(&dw, true);
	ck_assert_int_eq(sim_dev_dma(NULL, "0000:06:0d.0", &op), -EINVAL);
	ck_assert_int_eq(sim_dev_dma(dw.w, NULL, &op), -EINVAL);
	ck_assert_int_eq(sim_dev_dma(dw.w, "06:0d.9", &op), -EINVAL);
	ck_assert_int_eq(sim_dev_dma(dw.w, "0000:07:00.0", &op), -ENODEV);
	ck_assert_int_eq(sim_dev_dma(dw.w, "0000:07:00.0", NULL), -EINVAL);
	ck_assert_int_eq(sim_dev_dma(dw.w, "0000:07:00.0", &bad), -EINVAL);
	ck_assert_int_eq(sim_dev_dma(dw.w, "zz", NULL), -EINVAL);
	ck_assert_int_eq(sim_dev_dma(bare, "0000:00:00.0", &op), -ENODEV);
	ck_assert_int_eq(sim_dev_dma(dw.w, "0000:06:0d.0", &op), 0);
	ck_assert_uint_eq(iommu_hw_fault_count(dw.w), 0);
	sim_world_destroy(bare);
	dma_world_fini(&dw);
}
END_TEST

/* What one DMA leaves behind: result, op's fault fields, the bytes read,
 * the fault queue and the trace line. */
struct outcome {
	int ret;
	uint64_t fault_addr, fault_stage_addr;
	int fault_reason, fault_phase;
	unsigned fault_stage;
	uint8_t data[8];
	char faults[256];
	char *trace;
};

static void run_op(struct dma_world *dw, const char *bdf, struct sim_dev *h,
		   const struct sim_dma *tmpl, struct outcome *o)
{
	struct sim_world *w = dw->w;
	struct sim_dma op = *tmpl;
	uint8_t data[8] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };
	size_t len = 0;
	FILE *out = open_memstream(&o->trace, &len);

	if (op.write)
		memcpy(data, "written", 8);
	op.buf = data;
	op.len = sizeof(data);
	/* stale fields from an earlier DMA must be reset, not kept */
	op.fault_addr = op.fault_stage_addr = 0xdead;
	op.fault_reason = op.fault_phase = 77;
	op.fault_stage = 9;
	sim_trace_set_output(w, out, SIM_TRACE_TEXT);
	ck_assert_int_eq(sim_trace_enable(w, "pci_dma"), 0);
	o->ret = h ? sim_dev_dma_h(w, h, &op) : sim_dev_dma(w, bdf, &op);
	sim_trace_set_output(w, NULL, SIM_TRACE_OFF);
	fclose(out);
	o->fault_addr = op.fault_addr;
	o->fault_stage_addr = op.fault_stage_addr;
	o->fault_reason = op.fault_reason;
	o->fault_phase = op.fault_phase;
	o->fault_stage = op.fault_stage;
	memcpy(o->data, data, sizeof(data));
	o->faults[0] = 0;
	if (dw->iommu)
		ck_assert_int_ge(sim_iommu_fault_drain(w, o->faults, sizeof(o->faults)), 0);
}

static void assert_same_outcome(const struct outcome *a, const struct outcome *b,
				const char *what)
{
	ck_assert_msg(a->ret == b->ret, "%s: %d by name, %d by handle", what, a->ret, b->ret);
	ck_assert_msg(a->fault_addr == b->fault_addr && a->fault_reason == b->fault_reason &&
		      a->fault_stage == b->fault_stage && a->fault_phase == b->fault_phase &&
		      a->fault_stage_addr == b->fault_stage_addr, "%s: fault fields differ", what);
	ck_assert_msg(!memcmp(a->data, b->data, sizeof(a->data)), "%s: data differs", what);
	ck_assert_msg(!strcmp(a->faults, b->faults), "%s: fault queue '%s' by name, '%s' by "
		      "handle", what, a->faults, b->faults);
	ck_assert_msg(!strcmp(a->trace, b->trace), "%s: trace '%s' by name, '%s' by handle",
		      what, a->trace, b->trace);
}

/* The same DMAs by name and through a handle, each in a fresh world so
 * caches and queues start alike: every result, fault field, byte, fault
 * record and trace line is the same; a few are spelled out. */
START_TEST(test_dma_h_same_as_by_name)
{
	static const struct {
		const char *what, *bdf;
		struct sim_dma op;
		int ret, reason;
	} cases[] = {
		{ "mapped write", "0000:06:0d.0", { .addr = IOVA + 0x10, .write = true }, 0, 0 },
		{ "mapped read", "0000:06:0d.0", { .addr = IOVA + 0x10 }, 0, 0 },
		{ "read-only page, write", "0000:06:0d.0",
		  { .addr = IOVA + SZ_4K + 8, .write = true }, -EFAULT, SIM_FAULT_PERMISSION },
		{ "read-only page, read", "0000:06:0d.0", { .addr = IOVA + SZ_4K + 8 }, 0, 0 },
		{ "not mapped", "0000:06:0d.0", { .addr = 0x900000 }, -EFAULT,
		  SIM_FAULT_NOT_PRESENT },
		{ "straddles into the unmapped page", "0000:06:0d.0",
		  { .addr = IOVA + 2 * SZ_4K - 4 }, -EFAULT, SIM_FAULT_NOT_PRESENT },
		{ "beyond the address width", "0000:06:0d.0", { .addr = 1ull << 52 }, -EFAULT,
		  SIM_FAULT_ADDR_SIZE },
		{ "with a PASID", "0000:06:0d.0", { .addr = IOVA, .pasid_valid = true, .pasid = 3 },
		  -EFAULT, -1 },
		{ "no context (root bus)", "0000:00:03.0", { .addr = IOVA }, -EFAULT,
		  SIM_FAULT_NO_CONTEXT },
	};

	for (int iommu = 1; iommu >= 0; iommu--)
		for (size_t i = 0; i < N(cases); i++) {
			struct dma_world a, b;
			struct outcome by_name, by_handle;
			char what[96];

			snprintf(what, sizeof(what), "%s%s", cases[i].what,
				 iommu ? "" : " (no IOMMU)");
			dma_world_init(&a, iommu);
			dma_world_init(&b, iommu);
			run_op(&a, cases[i].bdf, NULL, &cases[i].op, &by_name);
			run_op(&b, NULL, sim_dev_lookup(b.w, cases[i].bdf), &cases[i].op,
			       &by_handle);
			assert_same_outcome(&by_name, &by_handle, what);
			ck_assert_msg(strstr(by_handle.trace, "pci_dma: dev="), "%s: trace '%s'",
				      what, by_handle.trace);
			if (iommu) {
				ck_assert_msg(by_handle.ret == cases[i].ret, "%s: %d", what,
					      by_handle.ret);
				if (cases[i].reason >= 0)
					ck_assert_msg(by_handle.fault_reason == cases[i].reason,
						      "%s: reason %d", what,
						      by_handle.fault_reason);
			} else {
				/* untranslated: straight to host memory */
				ck_assert_int_eq(by_handle.ret, 0);
				ck_assert_int_eq(by_handle.fault_reason, SIM_FAULT_NONE);
			}
			if (!by_handle.ret)
				ck_assert(!by_handle.fault_addr && !by_handle.fault_stage &&
					  !by_handle.fault_phase && !by_handle.fault_stage_addr);
			free(by_name.trace);
			free(by_handle.trace);
			dma_world_fini(&a);
			dma_world_fini(&b);
		}
}
END_TEST

/* A read after a write through the handle sees the bytes, and the IOMMU
 * saw the bridge's requester id (a fault names it). */
START_TEST(test_dma_h_round_trip)
{
	struct dma_world dw;
	struct sim_dev *h;
	char out[8] = { 0 }, faults[128];
	struct sim_dma op = { .addr = IOVA + 0x20, .write = true, .buf = "handle", .len = 7 };

	dma_world_init(&dw, true);
	h = sim_dev_lookup(dw.w, "06:0d.0");
	ck_assert_int_eq(sim_dev_dma_h(dw.w, h, &op), 0);
	op.write = false;
	op.buf = out;
	ck_assert_int_eq(sim_dev_dma_h(dw.w, h, &op), 0);
	ck_assert_str_eq(out, "handle");
	op.addr = 0x900000;
	ck_assert_int_eq(sim_dev_dma_h(dw.w, h, &op), -EFAULT);
	ck_assert_int_gt(sim_iommu_fault_drain(dw.w, faults, sizeof(faults)), 0);
	ck_assert_str_eq(faults, "read 06:00.0 0x900000 reason=0x06\n");
	dma_world_fini(&dw);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pci_dma");
	TCase *rid = tcase_create("requester-ids"), *h = tcase_create("handle");

	tcase_add_test(rid, test_mixed_topology_is_as_described);
	tcase_add_test(rid, test_requester_ids_match_reference);
	tcase_add_test(rid, test_alias_walk_matches_reference);
	tcase_add_test(rid, test_alias_walk_order);
	tcase_add_test(h, test_lookup_errors);
	tcase_add_test(h, test_dma_h_errors);
	tcase_add_test(h, test_dma_by_name_errors);
	tcase_add_test(h, test_dma_h_same_as_by_name);
	tcase_add_test(h, test_dma_h_round_trip);
	suite_add_tcase(s, rid);
	suite_add_tcase(s, h);
	return unit_run(s);
}
