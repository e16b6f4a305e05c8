/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer's generators (docs/fuzzing.md "The grammar").  A case is a
 * scenario file: a random machine (an IOMMU format, a container backend, a
 * topology of root ports, switches with and without ACS, PCIe-to-PCI
 * bridges, multifunction and quirked devices, ATS/PRI/PASID capabilities,
 * drivers) and random steps, each written in the scenario language by the
 * `gen` function its step kind has in steps.c's table.  Every choice comes
 * from a struct fz, so the same generators serve `iommusim fuzz` (a seeded
 * RNG) and the coverage-guided fuzz_ops target (bytes it mutates).
 *
 * The steps lean towards meaning: DMAs and unmaps aim at ranges mapped
 * before three times in four, ioctls go to a handle of their own kind
 * seven times in eight; the rest are the wrong handle, garbage flags,
 * boundary sizes, argsz games and bad pointers, which the kernel must
 * refuse without changing anything (the runner checks §H19 after each).
 */
#include <stdarg.h>
#include <string.h>
#include <glib.h>

#include "model/iommu/group.h"
#include "model/pci/pci.h"
#include "tools/scenario/abi.h"
#include "tools/scenario/fuzz_gen.h"
#include "tools/scenario/scenario.h"
#include "tools/scenario/steps_internal.h"

/* ---- choices ------------------------------------------------------------ */

static unsigned width_of(uint32_t n)
{
	return n <= 0x100 ? 1 : n <= 0x10000 ? 2 : 4;
}

uint32_t fz_below(struct fz *z, uint32_t n)
{
	unsigned w = width_of(n);
	uint32_t v = 0;

	if (n <= 1)
		return 0;
	if (z->rand) {
		v = (uint32_t)g_rand_int_range(z->rand, 0, (gint32)(n > INT32_MAX ? INT32_MAX : n));
		if (z->rec)
			for (unsigned i = 0; i < w; i++) {
				uint8_t b = (uint8_t)(v >> (8 * i));

				g_byte_array_append(z->rec, &b, 1);
			}
		return v;
	}
	for (unsigned i = 0; i < w; i++)
		if (z->pos < z->size)
			v |= (uint32_t)z->data[z->pos++] << (8 * i);
	return v % n;
}

bool fz_chance(struct fz *z, uint32_t num, uint32_t den)
{
	return fz_below(z, den) < num;
}

uint64_t fz_pick(struct fz *z, const uint64_t *v, unsigned n)
{
	return v[fz_below(z, n)];
}

#define PICK(z, arr) fz_pick(z, arr, G_N_ELEMENTS(arr))

/* ---- the machine -------------------------------------------------------- */

static const char *const FORMATS[] = { "vtd", "arm-smmuv3", "riscv" };

/* (vendor, device) pairs of the quirk table (model/pci/quirks.c): an Intel
 * NIC whose functions are isolated by quirk, Marvell and Ricoh controllers
 * that DMA as another function. */
static const struct { uint16_t vendor, device; } QUIRKED[] = {
	{ 0x8086, 0x10c6 }, { 0x1b4b, 0x9130 }, { 0x1180, 0xe832 },
};

/* What the generator chose for a function that the machine's shape (the
 * part that decides the groups) leaves out. */
struct fn_choice {
	char bdf[16];
	bool vfio, ats, pri;
	unsigned pasid_bits;
};

struct topo {
	GString *out;
	GString *shape;          /* the same entries without caps and drivers */
	unsigned bus;            /* the next free bus number */
	struct fn_choice fn[FZ_MAX_DEVS];
	unsigned nfn;
};

static void endpoint(struct fuzz_gen *g, struct topo *t, const char *type, unsigned bus,
		     unsigned dev, unsigned fn, const char *parent, bool multifunction,
		     int quirk)
{
	struct fz *z = g->z;
	unsigned r = fz_below(z, 10);
	struct fn_choice *c = t->nfn < FZ_MAX_DEVS ? &t->fn[t->nfn++] : NULL;
	GString *e = g_string_new(NULL);

	g_string_append_printf(e, "  - {bdf: \"0000:%02x:%02x.%u\", type: %s", bus, dev, fn, type);
	if (parent)
		g_string_append_printf(e, ", parent: \"%s\"", parent);
	if (multifunction)
		g_string_append(e, ", multifunction: true");
	if (multifunction && fz_chance(z, 1, 2))
		g_string_append(e, ", acs: [SV, RR, CR, UF]");
	if (quirk >= 0)
		g_string_append_printf(e, ", vendor: 0x%04x, device: 0x%04x",
				       QUIRKED[quirk].vendor, QUIRKED[quirk].device);
	g_string_append_printf(t->shape, "%s}\n", e->str);
	if (c)
		g_snprintf(c->bdf, sizeof(c->bdf), "0000:%02x:%02x.%u", bus, dev, fn);
	/* conventional PCI has no extended capabilities */
	/* (a world of the 2020 proposal: mostly full 20-bit PASIDs, which
	 * VT-d's guest bind wants) */
	if (strcmp(type, "pci-device") && fz_chance(z, g->nesting2020 ? 2 : 1, 3)) {
		bool pri = fz_chance(z, 1, 2);
		unsigned pasid = fz_chance(z, g->nesting2020 ? 3 : 1, g->nesting2020 ? 4 : 2) ?
				 (fz_chance(z, 1, g->nesting2020 ? 4 : 2) ? 8 : 20) : 0;

		g_string_append_printf(e, ", caps: {ats: true%s", pri ? ", pri: true" : "");
		if (pasid)
			g_string_append_printf(e, ", pasid: %u", pasid);
		g_string_append(e, "}");
		if (c) {
			c->ats = true;
			c->pri = pri;
			c->pasid_bits = pasid;
		}
	}
	/* mostly vfio-pci; now and then a kernel DMA driver (an accelerator's,
	 * which may bind SVA), pci-stub, or none */
	{
		/* a PASID-capable function is an accelerator's (a kernel driver
		 * that may bind SVA) three times in ten; any other keeps its
		 * vfio-pci 8, pci-stub 1, none 1 in ten */
		bool pasid = c && c->pasid_bits;
		unsigned v = pasid ? 6 : 8;

		g_string_append_printf(t->out, "%s, driver: %s}\n", e->str,
				       r < v ? "vfio-pci" : pasid && r < 9 ? "idxd" :
				       r < 9 || pasid ? "pci-stub" : "none");
		if (c)
			c->vfio = r < v;
	}
	g_string_free(e, TRUE);
}

static void port(struct topo *t, const char *type, unsigned bus, unsigned dev,
		 const char *parent, bool acs, char *name, size_t len)
{
	GString *e = g_string_new(NULL);

	g_snprintf(name, len, "0000:%02x:%02x.0", bus, dev);
	g_string_append_printf(e, "  - {bdf: \"%s\", type: %s", name, type);
	if (parent)
		g_string_append_printf(e, ", parent: \"%s\"", parent);
	if (acs)
		g_string_append(e, ", acs: [SV, RR, CR, UF]");
	g_string_append_printf(t->out, "%s}\n", e->str);
	g_string_append_printf(t->shape, "%s}\n", e->str);
	g_string_free(e, TRUE);
}

/* One branch off the root bus: @slot is its device number there. */
static void branch(struct fuzz_gen *g, struct topo *t, unsigned slot)
{
	struct fz *z = g->z;
	char rp[16], usp[16], dsp[16], br[16];
	unsigned kind = fz_below(z, 6), b;

	if (kind == 5) {          /* a root-complex integrated endpoint */
		endpoint(g, t, "rc-endpoint", 0, 0x10 + slot, 0, NULL, false, -1);
		return;
	}
	port(t, "root-port", 0, slot, NULL, kind != 4 && fz_chance(z, 3, 4), rp, sizeof(rp));
	b = t->bus++;
	switch (kind) {
	case 0:               /* one endpoint */
	case 4:               /* ... maybe quirked, behind a port without ACS */
		endpoint(g, t, "endpoint", b, 0, 0, rp, false,
			 kind == 4 ? (int)fz_below(z, G_N_ELEMENTS(QUIRKED)) : -1);
		break;
	case 1: {             /* a multifunction endpoint */
		int q = fz_chance(z, 1, 3) ? (int)fz_below(z, G_N_ELEMENTS(QUIRKED)) : -1;

		endpoint(g, t, "endpoint", b, 0, 0, rp, true, q);
		endpoint(g, t, "endpoint", b, 0, 1, rp, true, q);
		break;
	}
	case 2: {             /* a switch: two downstream ports, ACS on each or not */
		unsigned sec = t->bus++;

		port(t, "upstream-port", b, 0, rp, false, usp, sizeof(usp));
		for (unsigned i = 0; i < 2; i++) {
			port(t, "downstream-port", sec, i, usp, fz_chance(z, 1, 2), dsp,
			     sizeof(dsp));
			endpoint(g, t, "endpoint", t->bus++, 0, 0, dsp, false, -1);
		}
		break;
	}
	default: {            /* a PCIe-to-PCI bridge: two conventional devices,
			       * the second behind a PCI-to-PCI bridge half the time */
		unsigned sec = t->bus++;
		char pb[16];

		port(t, "pcie-to-pci-bridge", b, 0, rp, false, br, sizeof(br));
		endpoint(g, t, "pci-device", sec, 1, 0, br, false, -1);
		if (fz_chance(z, 1, 2)) {
			port(t, "pci-bridge", sec, 3, br, false, pb, sizeof(pb));
			endpoint(g, t, "pci-device", t->bus++, 0, 0, pb, false, -1);
		} else {
			endpoint(g, t, "pci-device", sec, 2, 0, br, false, -1);
		}
		break;
	}
	}
}

/* The groups and the probe order of a machine's shape (its topology
 * without capabilities and drivers, which decide no group), learnt by
 * booting it once: cached, as the grammar has few distinct shapes. */
struct machine_info {
	struct { char bdf[16]; int group; } dev[FZ_MAX_DEVS];   /* in probe order */
	unsigned ndev;
};

static GHashTable *machines;     /* profile lines + shape -> struct machine_info */

static const struct machine_info *machine_info(const char *extra_profile, const char *shape)
{
	char *key = g_strconcat(extra_profile ? extra_profile : "", shape, NULL);
	struct machine_info *mi;
	struct scenario *s;
	char *text, *err = NULL;

	if (!machines)
		machines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	mi = g_hash_table_lookup(machines, key);
	if (mi) {
		g_free(key);
		return mi;
	}
	mi = g_new0(struct machine_info, 1);
	text = g_strconcat("name: probe\nprofile:\n", extra_profile ? extra_profile : "",
			   "  vfio_container: legacy\n", shape, NULL);
	s = scenario_load_string(text, strlen(text), "<fuzz machine>", &err);
	if (s && s->boot) {
		struct pci_dev *d;

		for (size_t i = 0; (d = pci_dev_at(s->boot, i)) && mi->ndev < FZ_MAX_DEVS; i++) {
			if (pci_type_is_bridge(d->type))
				continue;
			g_strlcpy(mi->dev[mi->ndev].bdf, d->name, sizeof(mi->dev[0].bdf));
			mi->dev[mi->ndev++].group = d->group ? (int)d->group->id : -1;
		}
	}
	g_free(err);
	if (s)
		scenario_free(s);
	g_free(text);
	g_hash_table_insert(machines, key, mi);
	return mi;
}

char *fuzz_profile_text(const char *format, bool legacy, bool naive, const char *knobs,
			const char *knob_lines, const char *iommu_keys, const char *extra_profile)
{
	return g_strdup_printf("profile:\n  iommu: {format: %s%s%s%s%s}\n  vfio_container: %s\n%s%s",
			       format, naive ? ", naive_iotlb: true, naive_map: true" : "",
			       knobs ? knobs : "", iommu_keys ? ", " : "", iommu_keys ? iommu_keys : "",
			       legacy ? "legacy" : "iommufd", extra_profile ? extra_profile : "",
			       knob_lines ? knob_lines : "");
}

/* The machine's knobs: a device that keeps issuing DMA while the kernel
 * works (busy_dma, what a flush done before the table write needs to be seen),
 * a small IOTLB, a mediated device (an iommufd access object when it binds);
 * each only when the user's profile does not set it. */
static void draw_knobs(struct fuzz_gen *g, const char *iommu_keys, const char *extra_profile)
{
	g->knobs[0] = 0;
	g->knob_lines[0] = 0;
	g->mdev = fz_chance(g->z, 1, 6) && !(extra_profile && strstr(extra_profile, "vfio:")) &&
		  !(g->variant_profile && strstr(g->variant_profile, "vfio:"));
	if (g->mdev)
		g_strlcpy(g->knob_lines, "  vfio: {mdev_instances: 1}\n", sizeof(g->knob_lines));
	/* the 2018 proposal's container bind, now and then (no mediated
	 * device then: one vfio: line) */
	g->sva2018 = !g->mdev && fz_chance(g->z, 1, 6) &&
		     !(extra_profile && strstr(extra_profile, "vfio:")) &&
		     !(g->variant_profile && strstr(g->variant_profile, "vfio:"));
	/* half of those the 2017 RFC's device bind instead (its leak only
	 * when the user's profile asks: vfio.rfc_task_leak) */
	g->sva2017 = g->sva2018 && fz_chance(g->z, 1, 2);
	g->sva2018 &= !g->sva2017;
	if (g->sva2018 || g->sva2017)
		g_strlcpy(g->knob_lines, g->sva2017 ? "  vfio: {sva_abi: bind-task-2017}\n" :
			  "  vfio: {sva_abi: bind-process-2018}\n", sizeof(g->knob_lines));
	/* the 2020 guest page-table bind, now and then, in the resolution's
	 * singleton scope: the posted container scope is the hole itself
	 * (§H25 and §H27 report it), which a case may still ask for with
	 * its own vfio: line */
	g->nesting2020 = !g->mdev && !g->sva2018 && !g->sva2017 && fz_chance(g->z, 1, 8) &&
			 !(extra_profile && strstr(extra_profile, "vfio:")) &&
			 !(g->variant_profile && strstr(g->variant_profile, "vfio:"));
	if (g->nesting2020)
		g_strlcpy(g->knob_lines, "  vfio: {nesting_abi: guest-pgtbl-2020, "
			  "nesting_bind_scope: singleton}\n", sizeof(g->knob_lines));
	/* a user's own 2020 profile (--profile vfio.nesting_abi=...): its
	 * steps and recipe, no knob line */
	if ((extra_profile && strstr(extra_profile, "guest-pgtbl-2020")) ||
	    (g->variant_profile && strstr(g->variant_profile, "guest-pgtbl-2020")))
		g->nesting2020 = true;
	if (fz_chance(g->z, 1, 4) && !(iommu_keys && strstr(iommu_keys, "busy_dma")) &&
	    !(g->variant_iommu && strstr(g->variant_iommu, "busy_dma")))
		g_strlcat(g->knobs, ", busy_dma: true", sizeof(g->knobs));
	if (fz_chance(g->z, 1, 8) && !(iommu_keys && strstr(iommu_keys, "iotlb_entries")) &&
	    !(g->variant_iommu && strstr(g->variant_iommu, "iotlb_entries")))
		g_strlcat(g->knobs, ", iotlb_entries: 4", sizeof(g->knobs));
}

void fuzz_gen_machine(struct fuzz_gen *g, GString *profile, GString *topology,
		      const char *iommu_keys, const char *extra_profile)
{
	struct fz *z = g->z;
	struct topo t = { .out = topology, .shape = g_string_new("topology:\n"), .bus = 1 };
	unsigned branches = 1 + fz_below(z, 3);
	const struct machine_info *mi;

	char *p;

	g->format = FORMATS[fz_below(z, G_N_ELEMENTS(FORMATS))];
	g->legacy = fz_chance(z, 1, 2);
	draw_knobs(g, iommu_keys, extra_profile);
	p = fuzz_profile_text(g->format, g->legacy, false, g->knobs, g->knob_lines, iommu_keys,
			      extra_profile);
	g_string_append(profile, p);
	g_free(p);
	g_string_append(topology, "topology:\n");
	for (unsigned i = 0; i < branches; i++)
		branch(g, &t, i + 1);
	mi = machine_info(extra_profile, t.shape->str);
	g_string_free(t.shape, TRUE);
	memset(g->dev, 0, sizeof(g->dev));
	g->ndev = mi->ndev;
	g->ngroup = g->ncdev = 0;
	for (unsigned i = 0; i < g->ndev; i++) {
		struct fz_dev *d = &g->dev[i];
		unsigned k;

		g_strlcpy(d->bdf, mi->dev[i].bdf, sizeof(d->bdf));
		d->group = mi->dev[i].group;
		for (k = 0; k < t.nfn; k++)
			if (!strcmp(t.fn[k].bdf, d->bdf)) {
				d->vfio = t.fn[k].vfio;
				d->ats = t.fn[k].ats;
				d->pri = t.fn[k].pri;
				d->pasid_bits = t.fn[k].pasid_bits;
			}
		d->gidx = -1;
		if (!d->vfio || d->group < 0)
			continue;
		g->ncdev++;
		for (k = 0; k < g->ngroup && g->group[k] != d->group; k++)
			;
		if (k == g->ngroup && g->ngroup < FZ_MAX_GROUPS)
			g->group[g->ngroup++] = d->group;
		if (k < g->ngroup)
			d->gidx = (int)k;
	}
}

void fuzz_gen_prefix(const struct fuzz_gen *g, GString *out)
{
	g_string_append(out, "steps:\n"
			"  - open: /dev/vfio/vfio\n    as: container\n"
			"  - open: /dev/iommu\n    as: ictx\n");
	for (unsigned i = 0; i < g->ngroup; i++)
		g_string_append_printf(out, "  - open: /dev/vfio/%d\n    as: g%u\n", g->group[i], i);
	g_string_append(out, "  - alloc: buf\n    size: 1M\n"
			"  - alloc: gmem\n    size: 1M\n"
			"  - alloc: gbuf\n    size: 64K\n");
}

/* ---- helpers for the steps ---------------------------------------------- */

static const uint64_t IOVAS[] = { 0, 0x10000, 0x100000, 0x140000, 0x200000, 0xfee00000,
				  0x8000000 };
static const uint64_t SIZES[] = { 0x1000, 0x10000, 0x40000, 0x100000 };
static const uint64_t OFFS[] = { 0, 0x10000, 0x80000 };
/* numbers at the edges: zero, unaligned, the top of 32 and 64 bits */
static const uint64_t EDGES[] = { 0, 1, 0xfff, 0x1001, 0xffffffff, 0x100000000ull,
				  0x8000000000000000ull, 0xfffffffffffff000ull, UINT64_MAX };

static bool bit(uint32_t set, unsigned i)
{
	return set & (1u << i);
}

/* A random member of @set (bit i: name i), or -1 for none. */
static int pick_bit(struct fz *z, uint32_t set)
{
	unsigned n = (unsigned)__builtin_popcount(set), k;

	if (!n)
		return -1;
	k = fz_below(z, n);
	for (unsigned i = 0; i < 32; i++)
		if (bit(set, i) && !k--)
			return (int)i;
	return -1;
}

/* The x name to bind: @k, or when xK is bound already the next free one of
 * the eight, so that no descriptor is left open under a name rebound (the
 * runner forgets the first, the closes at the end miss it, and the §H18
 * check at the end, which wants every descriptor closed, is skipped). */
static unsigned free_x(const struct fuzz_gen *g, unsigned k)
{
	for (unsigned i = 0; i < 8; i++)
		if (!bit(g->xfd, (k + i) % 8))
			return (k + i) % 8;
	return k;
}

/* A `by:` line now and then once a child was forked (it shares the fds). */
static void maybe_by(struct fuzz_gen *g, GString *out)
{
	if (g->nproc && fz_chance(g->z, 1, 6))
		g_string_append_printf(out, "    by: p%u\n", 1 + fz_below(g->z, g->nproc));
}

/* A random open descriptor handle name of any kind. */
static void any_fd(struct fuzz_gen *g, char *name, size_t len)
{
	struct fz *z = g->z;
	int i;

	switch (fz_below(z, 6)) {
	case 0:
		if ((i = pick_bit(z, g->dfd)) >= 0) {
			g_snprintf(name, len, "d%d", i);
			return;
		}
		break;
	case 1:
		if ((i = pick_bit(z, g->cfd)) >= 0) {
			g_snprintf(name, len, "c%d", i);
			return;
		}
		break;
	case 2:
		if ((i = pick_bit(z, g->xfd)) >= 0) {
			g_snprintf(name, len, "x%d", i);
			return;
		}
		break;
	case 3:
		if (g->ngroup) {
			g_snprintf(name, len, "g%u", fz_below(z, g->ngroup));
			return;
		}
		break;
	case 4:
		g_strlcpy(name, "ictx", len);
		return;
	default:
		break;
	}
	g_strlcpy(name, "container", len);
}

/* A container-kind handle: mostly `container`, sometimes another open. */
static void container_fd(struct fuzz_gen *g, char *name, size_t len)
{
	int i = fz_chance(g->z, 1, 4) ? pick_bit(g->z, g->xfd & g->xcontainer) : -1;

	if (i >= 0)
		g_snprintf(name, len, "x%d", i);
	else
		g_strlcpy(name, "container", len);
}

static void iommufd_fd(struct fuzz_gen *g, char *name, size_t len)
{
	int i = fz_chance(g->z, 1, 4) ? pick_bit(g->z, g->xfd & ~g->xcontainer) : -1;

	if (i >= 0)
		g_snprintf(name, len, "x%d", i);
	else
		g_strlcpy(name, "ictx", len);
}

/* A device handle: a device fd or a cdev; false when none is bound. */
static bool device_fd(struct fuzz_gen *g, char *name, size_t len)
{
	bool cdev = fz_chance(g->z, 1, 2);
	int i = pick_bit(g->z, cdev ? g->cfd : g->dfd);

	if (i < 0) {
		cdev = !cdev;
		i = pick_bit(g->z, cdev ? g->cfd : g->dfd);
	}
	if (i < 0)
		return false;
	g_snprintf(name, len, "%c%d", cdev ? 'c' : 'd', i);
	return true;
}

/* The handle an ioctl of @name goes to: its own kind seven times in eight. */
static void ioctl_target(struct fuzz_gen *g, const char *name, char *h, size_t len)
{
	if (fz_chance(g->z, 1, 8)) {
		any_fd(g, h, len);
	} else if (g_str_has_prefix(name, "VFIO_GROUP_") && g->ngroup) {
		g_snprintf(h, len, "g%u", fz_below(g->z, g->ngroup));
	} else if (g_str_has_prefix(name, "VFIO_DEVICE_") && device_fd(g, h, len)) {
		return;
	} else if (g_str_has_prefix(name, "IOMMU_")) {
		iommufd_fd(g, h, len);
	} else {
		container_fd(g, h, len);
	}
}

/* An IOVA and size: three times in four a range mapped before. */
static void range(struct fuzz_gen *g, uint64_t *iova, uint64_t *size)
{
	struct fz *z = g->z;

	if (g->nmaps && fz_chance(z, 3, 4)) {
		unsigned m = fz_below(z, g->nmaps);

		*iova = g->iova[m];
		*size = g->size[m];
	} else {
		*iova = PICK(z, IOVAS);
		*size = PICK(z, SIZES);
	}
}

static void remember(struct fuzz_gen *g, uint64_t iova, uint64_t size)
{
	if (g->nmaps < FZ_MAX_MAPS) {
		g->iova[g->nmaps] = iova;
		g->size[g->nmaps++] = size;
	}
}

/* The range a map takes: range()'s (mostly one mapped before: what an
 * overlap or a double map is made of), or half the time a new IOVA with
 * that size, remembered for the DMAs and unmaps after it. */
static void map_range(struct fuzz_gen *g, uint64_t *iova, uint64_t *size)
{
	range(g, iova, size);
	if (fz_chance(g->z, 1, 2)) {
		*iova = PICK(g->z, IOVAS);
		remember(g, *iova, *size);
	}
}

/* An iommufd object id into @buf: one a recipe saved, or a small one (ids
 * are lowest-free from 1), or an edge. */
static void obj_id(struct fuzz_gen *g, char *buf, size_t len)
{
	struct fz *z = g->z;

	if (g->nvars && fz_chance(z, 1, 2))
		g_snprintf(buf, len, "$%s", g->vars[fz_below(z, g->nvars)]);
	else if (fz_chance(z, 1, 16))
		g_strlcpy(buf, fz_chance(z, 1, 2) ? "0" : "0xffffffff", len);
	else
		g_snprintf(buf, len, "%u", 1 + fz_below(z, 6));
}

static bool recipe_cdev(struct fuzz_gen *g, bool dirty);

/* ---- ioctls with meaning -------------------------------------------------- */

static void emit_ioctl(struct fuzz_gen *g, GString *out, const char *name, const char *on)
{
	g_string_append_printf(out, "  - ioctl: %s\n    on: %s\n", name, on);
	maybe_by(g, out);
}

/* The calls a VFIO or iommufd user makes, with arguments that mostly make
 * sense; false when the call needs a handle no step has bound yet. */
static bool meaningful_ioctl(struct fuzz_gen *g, GString *out)
{
	struct fz *z = g->z;
	char h[16], c[16], id1[16], id2[16];
	uint64_t iova, size, off = PICK(z, OFFS), to;
	unsigned gi = g->ngroup ? fz_below(z, g->ngroup) : 0;
	const char *s1, *s2;
	unsigned v, which;

	which = fz_below(z, 24);
	switch (which) {
	case 0:
		if (!g->ngroup)
			return false;
		container_fd(g, c, sizeof(c));
		g_snprintf(h, sizeof(h), "g%u", gi);
		emit_ioctl(g, out, "VFIO_GROUP_SET_CONTAINER", h);
		g_string_append_printf(out, "    arg: %s\n", c);
		return true;
	case 1:
		if (!g->ngroup)
			return false;
		g_snprintf(h, sizeof(h), "g%u", gi);
		emit_ioctl(g, out, "VFIO_GROUP_UNSET_CONTAINER", h);
		return true;
	case 2:
		container_fd(g, c, sizeof(c));
		emit_ioctl(g, out, "VFIO_SET_IOMMU", c);
		s1 = fz_chance(z, 3, 4) ? (g->nesting2020 && fz_chance(z, 1, 2) ?
					   "VFIO_TYPE1_NESTING_IOMMU" : "VFIO_TYPE1v2_IOMMU") :
		     fz_chance(z, 1, 2) ? "VFIO_TYPE1_IOMMU" : "99";
		g_string_append_printf(out, "    arg: %s\n", s1);
		return true;
	case 3:
	case 4:
		map_range(g, &iova, &size);
		container_fd(g, c, sizeof(c));
		emit_ioctl(g, out, "VFIO_IOMMU_MAP_DMA", c);
		s1 = fz_chance(z, 3, 4) ? "READ, WRITE" : "READ";
		g_string_append_printf(out, "    arg: {vaddr: buf+0x%llx, iova: 0x%llx, size: 0x%llx, "
				       "flags: [%s]}\n", (unsigned long long)off,
				       (unsigned long long)iova, (unsigned long long)size, s1);
		return true;
	case 5:
		range(g, &iova, &size);
		container_fd(g, c, sizeof(c));
		emit_ioctl(g, out, "VFIO_IOMMU_UNMAP_DMA", c);
		g->unmapped_iova = iova;
		g->unmapped_size = size;
		if (fz_chance(z, 1, 10))
			g_string_append(out, "    arg: {iova: 0, size: 0, flags: [ALL]}\n");
		else
			g_string_append_printf(out, "    arg: {iova: 0x%llx, size: 0x%llx}\n",
					       (unsigned long long)iova, (unsigned long long)size);
		return true;
	case 6: {
		/* a device of that group (or, rarely, of another) */
		unsigned k;

		if (!g->ngroup || !g->ndev)
			return false;
		k = fz_below(z, g->ndev);
		for (unsigned i = 0; i < g->ndev && fz_chance(z, 7, 8); i++)
			if (g->dev[(k + i) % g->ndev].gidx == (int)gi) {
				k = (k + i) % g->ndev;
				break;
			}
		g_snprintf(h, sizeof(h), "g%u", gi);
		emit_ioctl(g, out, "VFIO_GROUP_GET_DEVICE_FD", h);
		/* a second device fd of the same device goes under a free x name */
		if (bit(g->dfd, k)) {
			unsigned x = free_x(g, 0);

			g_snprintf(g->binds, sizeof(g->binds), "x%u", x);
			g->xfd |= 1u << x;
			g->xcontainer &= ~(1u << x);
		} else {
			g_snprintf(g->binds, sizeof(g->binds), "d%u", k);
			g->dfd |= 1u << k;
		}
		g_string_append_printf(out, "    arg: \"%s\"\n    as: %s\n", g->dev[k].bdf, g->binds);
		return true;
	}
	case 7:
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, "IOMMU_IOAS_ALLOC", h);
		g_string_append(out, "    arg: {}\n");
		return true;
	case 8:
	case 9:
		map_range(g, &iova, &size);
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, "IOMMU_IOAS_MAP", h);
		obj_id(g, id1, sizeof(id1));
		s1 = fz_chance(z, 7, 8) ? "FIXED_IOVA, " : "";
		s2 = fz_chance(z, 3, 4) ? ", WRITEABLE" : "";
		g_string_append_printf(out, "    arg: {ioas_id: %s, flags: [%sREADABLE%s], "
				       "user_va: buf+0x%llx, length: 0x%llx, iova: 0x%llx}\n",
				       id1, s1, s2, (unsigned long long)off, (unsigned long long)size,
				       (unsigned long long)iova);
		return true;
	case 10:
		range(g, &iova, &size);
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, "IOMMU_IOAS_UNMAP", h);
		g->unmapped_iova = iova;
		g->unmapped_size = size;
		obj_id(g, id1, sizeof(id1));
		g_string_append_printf(out, "    arg: {ioas_id: %s, iova: 0x%llx, length: 0x%llx}\n",
				       id1, (unsigned long long)iova, (unsigned long long)size);
		return true;
	case 11:
		range(g, &iova, &size);
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, "IOMMU_IOAS_COPY", h);
		obj_id(g, id1, sizeof(id1));
		obj_id(g, id2, sizeof(id2));
		to = PICK(z, IOVAS);
		g_string_append_printf(out, "    arg: {dst_ioas_id: %s, src_ioas_id: %s, "
				       "length: 0x%llx, src_iova: 0x%llx, dst_iova: 0x%llx, "
				       "flags: [FIXED_IOVA, READABLE]}\n", id1, id2,
				       (unsigned long long)size, (unsigned long long)iova,
				       (unsigned long long)to);
		return true;
	case 12:
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, "IOMMU_DESTROY", h);
		obj_id(g, id1, sizeof(id1));
		g_string_append_printf(out, "    arg: {id: %s}\n", id1);
		return true;
	case 13:
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, "IOMMU_VFIO_IOAS", h);
		s1 = fz_chance(z, 2, 3) ? "SET" : fz_chance(z, 1, 2) ? "GET" : "CLEAR";
		obj_id(g, id1, sizeof(id1));
		g_string_append_printf(out, "    arg: {op: %s, ioas_id: %s}\n", s1, id1);
		return true;
	case 14:
		if (!g->cfd)
			return false;
		g_snprintf(h, sizeof(h), "c%d", pick_bit(z, g->cfd));
		iommufd_fd(g, c, sizeof(c));
		emit_ioctl(g, out, "VFIO_DEVICE_BIND_IOMMUFD", h);
		g_string_append_printf(out, "    arg: {iommufd: %s}\n", c);
		return true;
	case 15:
		if (!g->cfd)
			return false;
		g_snprintf(h, sizeof(h), "c%d", pick_bit(z, g->cfd));
		if (fz_chance(z, 3, 4)) {
			emit_ioctl(g, out, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", h);
			obj_id(g, id1, sizeof(id1));
			g_string_append_printf(out, "    arg: {pt_id: %s}\n", id1);
		} else {
			emit_ioctl(g, out, "VFIO_DEVICE_DETACH_IOMMUFD_PT", h);
			g_string_append(out, "    arg: {}\n");
		}
		return true;
	case 16:
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, "IOMMU_HWPT_ALLOC", h);
		obj_id(g, id1, sizeof(id1));
		obj_id(g, id2, sizeof(id2));
		s1 = fz_chance(z, 1, 4) ? (fz_chance(z, 1, 2) ? ", flags: [NEST_PARENT]" :
					   ", flags: [DIRTY_TRACKING]") : "";
		g_string_append_printf(out, "    arg: {dev_id: %s, pt_id: %s%s}\n", id1, id2, s1);
		return true;
	case 17:
		if (!device_fd(g, h, sizeof(h)))
			return false;
		emit_ioctl(g, out, fz_chance(z, 1, 2) ? "VFIO_DEVICE_RESET" : "VFIO_DEVICE_GET_INFO",
			   h);
		return true;
	case 18:
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, "IOMMU_OPTION", h);
		s1 = fz_chance(z, 1, 2) ? "HUGE_PAGES" : "RLIMIT_MODE";
		s2 = fz_chance(z, 1, 2) ? "SET" : "GET";
		if (fz_chance(z, 1, 2))
			g_strlcpy(id1, "0", sizeof(id1));
		else
			obj_id(g, id1, sizeof(id1));
		v = fz_below(z, 3);
		g_string_append_printf(out, "    arg: {option_id: %s, op: %s, object_id: %s, "
				       "val64: %u}\n", s1, s2, id1, v);
		return true;
	case 19:
		if (g->nesting2020) {
			/* the 2020 proposal's PASID requests and invalidations */
			container_fd(g, c, sizeof(c));
			v = fz_below(z, 3);
			emit_ioctl(g, out, v == 2 ? "VFIO_IOMMU_CACHE_INVALIDATE" :
				   "VFIO_IOMMU_PASID_REQUEST", c);
			if (v == 0)
				g_string_append_printf(out, "    arg: {flags: ALLOC, alloc_pasid.min: %u, "
						       "alloc_pasid.max: %u}\n", fz_below(z, 4),
						       fz_below(z, 8));
			else if (v == 1)
				g_string_append_printf(out, "    arg: {flags: FREE, free_pasid: %u}\n",
						       fz_below(z, 8));
			else
				g_string_append_printf(out, "    arg: {cache_info.version: 1, "
						       "cache_info.cache: [IOTLB, DEV_IOTLB], "
						       "cache_info.granularity: %u, "
						       "cache_info.pasid_info.flags: [PASID], "
						       "cache_info.pasid_info.pasid: %u}\n", fz_below(z, 4),
						       fz_below(z, 8));
			return true;
		}
		/* a nested HWPT's or a vIOMMU's invalidation, at whatever id:
		 * VT-d's entries, or SMMUv3 commands (buf's bytes) */
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, "IOMMU_HWPT_INVALIDATE", h);
		obj_id(g, id1, sizeof(id1));
		if (!strcmp(g->format, "arm-smmuv3") && fz_chance(z, 2, 3))
			g_string_append_printf(out, "    arg: {hwpt_id: %s, data_uptr: buf+0xfd000, "
					       "data_type: IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, "
					       "entry_len: %u, entry_num: %u}\n", id1,
					       fz_chance(z, 3, 4) ? 16 : 8, fz_below(z, 3));
		else
			g_string_append_printf(out, "    arg: {hwpt_id: %s, data_uptr: buf+0xfd000, "
					       "data_type: IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, "
					       "entry_len: %u, entry_num: %u}\n", id1,
					       fz_chance(z, 3, 4) ? 24 : 16, fz_below(z, 3));
		return true;
	case 20:
		/* a (device, PASID) attach or detach through the cdev */
		if (!g->cfd)
			return false;
		g_snprintf(h, sizeof(h), "c%d", pick_bit(z, g->cfd));
		obj_id(g, id1, sizeof(id1));
		v = 1 + fz_below(z, 8);
		if (fz_chance(z, 2, 3)) {
			emit_ioctl(g, out, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", h);
			g_string_append_printf(out, "    arg: {flags: PASID, pt_id: %s, pasid: %u}\n",
					       id1, v);
		} else {
			emit_ioctl(g, out, "VFIO_DEVICE_DETACH_IOMMUFD_PT", h);
			g_string_append_printf(out, "    arg: {flags: PASID, pasid: %u}\n", v);
		}
		return true;
	case 21:
	case 22:
		/* a vIOMMU over whatever HWPT, of the type SMMUv3 has or another;
		 * or a vDEVICE of whatever vIOMMU and device, a small virtual ID */
		iommufd_fd(g, h, sizeof(h));
		emit_ioctl(g, out, which == 21 ? "IOMMU_VIOMMU_ALLOC" : "IOMMU_VDEVICE_ALLOC", h);
		obj_id(g, id1, sizeof(id1));
		obj_id(g, id2, sizeof(id2));
		if (which == 21)
			g_string_append_printf(out, "    arg: {type: %u, dev_id: %s, hwpt_id: %s}\n",
					       fz_chance(z, 3, 4) ? 1 : fz_below(z, 4), id1, id2);
		else
			g_string_append_printf(out, "    arg: {viommu_id: %s, dev_id: %s, "
					       "virt_id: 0x%x}\n", id1, id2, 0x10 + fz_below(z, 4));
		return true;
	default:
		container_fd(g, c, sizeof(c));
		emit_ioctl(g, out, "VFIO_IOMMU_GET_INFO", c);
		return true;
	}
}

/* ---- any ioctl, from the ABI table ----------------------------------------- */

static void field_value(struct fuzz_gen *g, const struct abi_field *f, GString *out)
{
	struct fz *z = g->z;
	char h[16];

	switch (f->kind) {
	case ABI_FLAGS: {
		unsigned n = 0;

		while (f->flags && f->flags[n].name)
			n++;
		if (!n || fz_chance(z, 1, 6)) {
			g_string_append_printf(out, "0x%x", 1u << fz_below(z, 32));
			return;
		}
		g_string_append_c(out, '[');
		for (unsigned i = 0, first = 1; i < n; i++)
			if (fz_chance(z, 1, 3)) {
				g_string_append_printf(out, "%s%s", first ? "" : ", ",
						       f->flags[i].name);
				first = 0;
			}
		g_string_append_c(out, ']');
		return;
	}
	case ABI_ENUM: {
		unsigned n = 0;

		while (f->values && f->values[n].name)
			n++;
		if (n && fz_chance(z, 7, 8))
			g_string_append(out, f->values[fz_below(z, n)].name);
		else
			g_string_append_printf(out, "%u", fz_below(z, 64));
		return;
	}
	case ABI_ADDR:
		switch (fz_below(z, 6)) {
		case 0:
			g_string_append(out, "0");
			return;
		case 1:
			g_string_append(out, "0xdead0000");
			return;
		case 2:
			g_string_append(out, "buf+0xff000");
			return;
		default:
			g_string_append_printf(out, "buf+0x%llx", (unsigned long long)PICK(z, OFFS));
			return;
		}
	case ABI_FD:
		if (fz_chance(z, 1, 8)) {
			g_string_append(out, fz_chance(z, 1, 2) ? "-1" : "999");
			return;
		}
		any_fd(g, h, sizeof(h));
		g_string_append(out, h);
		return;
	case ABI_SIZE:
	case ABI_U64:
		if (fz_chance(z, 1, 3))
			g_string_append_printf(out, "0x%llx", (unsigned long long)PICK(z, EDGES));
		else
			g_string_append_printf(out, "0x%llx", (unsigned long long)(fz_chance(z, 1, 2) ?
					       PICK(z, IOVAS) : PICK(z, SIZES)));
		return;
	default:   /* ABI_U32 of the field's width: an id, a count, an edge */
		if (f->size > 8)
			g_string_append(out, "0");
		else if (fz_chance(z, 1, 8))
			g_string_append_printf(out, "0x%llx", (unsigned long long)
					       (f->size >= 8 ? UINT64_MAX : (1ull << (8 * f->size)) - 1));
		else
			g_string_append_printf(out, "%u", fz_below(z, 8));
		return;
	}
}

/* Any command of the ABI table, its fields drawn by their kinds, with the
 * first field (argsz / size) shortened or lengthened now and then and a
 * bad pointer instead of the argument now and then. */
static void abi_ioctl(struct fuzz_gen *g, GString *out)
{
	struct fz *z = g->z;
	const char *names[128];
	const struct abi_ioctl *io;
	unsigned n = 0;
	char h[16];

	abi_ioctl_names(names, G_N_ELEMENTS(names));
	while (names[n])
		n++;
	io = abi_ioctl_find_in(names[fz_below(z, n)], g->nesting2020 ? ABI_PROFILE_NESTING_2020 : 0);
	/* a name the world's proposal has taken the number of (2018's
	 * VFIO_IOMMU_UNBIND in a 2020 world): the first command instead */
	if (!io)
		io = abi_ioctl_find(names[0]);
	ioctl_target(g, io->name, h, sizeof(h));
	emit_ioctl(g, out, io->name, h);
	switch (io->arg) {
	case ABI_ARG_VALUE:
		if (io->values && io->values[0].name && fz_chance(z, 3, 4)) {
			unsigned k = 0;

			while (io->values[k].name)
				k++;
			g_string_append_printf(out, "    arg: %s\n", io->values[fz_below(z, k)].name);
		} else {
			g_string_append_printf(out, "    arg: %u\n", fz_below(z, 16));
		}
		return;
	case ABI_ARG_FD_PTR:
		any_fd(g, h, sizeof(h));
		g_string_append_printf(out, "    arg: %s\n", h);
		return;
	case ABI_ARG_STRING:
		g_string_append_printf(out, "    arg: \"%s\"\n", g->ndev && fz_chance(z, 3, 4) ?
				       g->dev[fz_below(z, g->ndev)].bdf : "0000:7f:1f.7");
		return;
	case ABI_ARG_STRUCT:
		if (fz_chance(z, 1, 16)) {
			g_string_append_printf(out, "    ptr: %s\n", fz_chance(z, 1, 2) ? "0" :
					       "0xdead0000");
			return;
		}
		g_string_append(out, "    arg: {");
		for (size_t i = 0, first = 1; i < io->st->nfields; i++) {
			const struct abi_field *f = &io->st->fields[i];

			if (i == 0) {    /* argsz or size: the struct's own, mostly */
				if (!fz_chance(z, 1, 6))
					continue;
				g_string_append_printf(out, "%s: %llu", f->name, (unsigned long long)
						       (fz_chance(z, 1, 2) ? io->st->size - 4 :
							fz_chance(z, 1, 2) ? io->st->size + 8 :
							fz_below(z, 2) * 4096));
				first = 0;
				continue;
			}
			if (!fz_chance(z, 2, 3))
				continue;
			g_string_append_printf(out, "%s%s: ", first ? "" : ", ", f->name);
			field_value(g, f, out);
			first = 0;
		}
		g_string_append(out, "}\n");
		return;
	default:
		return;
	}
}

void gen_ioctl(struct fuzz_gen *g, GString *out)
{
	if (fz_chance(g->z, 1, 16) && recipe_cdev(g, fz_chance(g->z, 1, 2))) {
		fuzz_gen_step(g, out);
		return;
	}
	if (fz_chance(g->z, 3, 4) && meaningful_ioctl(g, out))
		return;
	abi_ioctl(g, out);
}

/* ---- recipes: step sequences chance would not find ---------------------------- */

/* Queue one step of a recipe (fuzz_gen_step hands them out in order, each
 * a step of its own that shrinking may remove). */
static void queue(struct fuzz_gen *g, const char *binds, bool proc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void queue(struct fuzz_gen *g, const char *binds, bool proc, const char *fmt, ...)
{
	struct fz_queued *q = g_new0(struct fz_queued, 1);
	va_list ap;

	va_start(ap, fmt);
	q->text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_strlcpy(q->binds, binds ? binds : "", sizeof(q->binds));
	q->proc = proc;
	if (!g->queue)
		g->queue = g_ptr_array_new();
	g_ptr_array_add(g->queue, q);
}

/* A new saved-id name ("dev1", "ioas2" ...) that later ids may use. */
static const char *new_var(struct fuzz_gen *g, const char *what, char *buf, size_t len)
{
	g_snprintf(buf, len, "%s%u", what, ++g->recipes);
	if (g->nvars < G_N_ELEMENTS(g->vars))
		g_strlcpy(g->vars[g->nvars++], buf, sizeof(g->vars[0]));
	return buf;
}

/* The cdev recipes' start: a vfio-pci device drawn (*k its cdev vfio<k>,
 * *d its index), its group node closed (a device binds on its cdev only
 * while that is), its cdev opened as c<k>, bound to the context ($dev) and
 * an IOAS allocated ($ioas). */
static void cdev_open_bind(struct fuzz_gen *g, unsigned *k, unsigned *d, char dev[8],
			   char ioas[8])
{
	char binds[8];

	*k = fz_below(g->z, g->ncdev);
	*d = 0;
	for (unsigned i = 0, n = 0; i < g->ndev; i++)
		if (g->dev[i].vfio && g->dev[i].group >= 0 && n++ == *k)
			*d = i;
	g_snprintf(binds, sizeof(binds), "c%u", *k);
	g->cfd |= 1u << *k;
	if (g->dev[*d].gidx >= 0)
		queue(g, NULL, false, "  - close: g%d\n", g->dev[*d].gidx);
	queue(g, binds, false, "  - open: /dev/vfio/devices/vfio%u\n    as: c%u\n", *k, *k);
	new_var(g, "dev", dev, 8);
	queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_BIND_IOMMUFD\n    on: c%u\n"
	      "    arg: {iommufd: ictx}\n    save: {%s: out_devid}\n", *k, dev);
	new_var(g, "ioas", ioas, 8);
	queue(g, NULL, false, "  - ioctl: IOMMU_IOAS_ALLOC\n    on: ictx\n    arg: {}\n"
	      "    save: {%s: out_ioas_id}\n", ioas);
}

/*
 * A device on the cdev path: open, bind to the context, an IOAS (and with
 * @dirty a dirty-tracking HWPT over it), attach, map, DMA; with @dirty
 * also tracking enabled, the bitmap read (and cleared) between two writes,
 * which a read_and_clear without its IOTLB flush gets wrong.
 */
static bool recipe_cdev(struct fuzz_gen *g, bool dirty)
{
	struct fz *z = g->z;
	char dev[8], ioas[8], hwpt[8], fq[8];
	unsigned k, d = 0;
	bool faults;
	uint64_t iova = PICK(z, IOVAS) & 0xfffff, size = PICK(z, SIZES);

	if (!g->ncdev)
		return false;
	cdev_open_bind(g, &k, &d, dev, ioas);
	/* a third of the plain ones with a fault queue, on a function with PRI:
	 * its HWPT takes the device's page faults (below) */
	faults = !dirty && g->dev[d].pri && fz_chance(z, 1, 3);
	if (dirty) {
		new_var(g, "hwpt", hwpt, sizeof(hwpt));
		queue(g, NULL, false, "  - ioctl: IOMMU_HWPT_ALLOC\n    on: ictx\n"
		      "    arg: {dev_id: $%s, pt_id: $%s, flags: [DIRTY_TRACKING]}\n"
		      "    save: {%s: out_hwpt_id}\n", dev, ioas, hwpt);
	} else if (faults) {
		new_var(g, "fq", fq, sizeof(fq));
		queue(g, NULL, false, "  - ioctl: IOMMU_FAULT_QUEUE_ALLOC\n    on: ictx\n    arg: {}\n"
		      "    save: {%s: out_fault_id}\n    as: f%u\n", fq, k);
		new_var(g, "hwpt", hwpt, sizeof(hwpt));
		queue(g, NULL, false, "  - ioctl: IOMMU_HWPT_ALLOC\n    on: ictx\n"
		      "    arg: {dev_id: $%s, pt_id: $%s, flags: [FAULT_ID_VALID], fault_id: $%s}\n"
		      "    save: {%s: out_hwpt_id}\n", dev, ioas, fq, hwpt);
	} else {
		g_strlcpy(hwpt, ioas, sizeof(hwpt));
	}
	queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_ATTACH_IOMMUFD_PT\n    on: c%u\n"
	      "    arg: {pt_id: $%s}\n", k, hwpt);
	if (faults) {
		/* a fault before the mapping: queued for the VMM, read, answered
		 * once the range is mapped (or not at all: the detach or the
		 * queue's end answers it) */
		queue(g, NULL, false, "  - dma: \"%s\"\n    op: write\n    addr: 0x%llx\n"
		      "    len: 0x8\n    pattern: 0x5a\n", g->dev[d].bdf, (unsigned long long)iova);
		queue(g, NULL, false, "  - fault_read: f%u\n    save: cookie%u\n", k, k);
	}
	remember(g, iova, size);
	queue(g, NULL, false, "  - ioctl: IOMMU_IOAS_MAP\n    on: ictx\n"
	      "    arg: {ioas_id: $%s, flags: [FIXED_IOVA, READABLE, WRITEABLE], user_va: buf, "
	      "length: 0x%llx, iova: 0x%llx}\n", ioas, (unsigned long long)size,
	      (unsigned long long)iova);
	if (dirty)
		queue(g, NULL, false, "  - ioctl: IOMMU_HWPT_SET_DIRTY_TRACKING\n    on: ictx\n"
		      "    arg: {hwpt_id: $%s, flags: [ENABLE]}\n", hwpt);
	if (faults && fz_chance(z, 3, 4))
		queue(g, NULL, false, "  - fault_respond: f%u\n    cookie: $cookie%u\n    code: %s\n",
		      k, k, fz_chance(z, 3, 4) ? "success" : "invalid");
	queue(g, NULL, false, "  - dma: \"%s\"\n    op: write\n    addr: 0x%llx\n    len: 0x8\n"
	      "    pattern: 0x5a\n", g->dev[d].bdf, (unsigned long long)iova);
	if (dirty) {
		queue(g, NULL, false, "  - ioctl: IOMMU_HWPT_GET_DIRTY_BITMAP\n    on: ictx\n"
		      "    arg: {hwpt_id: $%s, iova: 0x%llx, length: 0x%llx, page_size: 0x1000, "
		      "data: buf+0xff000}\n", hwpt, (unsigned long long)iova,
		      (unsigned long long)size);
		queue(g, NULL, false, "  - dma: \"%s\"\n    op: write\n    addr: 0x%llx\n"
		      "    len: 0x8\n    pattern: 0x5b\n", g->dev[d].bdf, (unsigned long long)iova);
	}
	if (faults)     /* the queue's fd: every case ends with nothing open */
		queue(g, NULL, false, "  - close: f%u\n", k);
	return true;
}

/* The nested recipes' start: @d's group in the container of @type, gmem
 * mapped at GPA 0 and gbuf at 1 MiB, a guest table @gpt in its own 64 KiB
 * of gmem's top half (its root saved as @save when given), GVA 0x7000000
 * mapped to gbuf. */
static void guest_in_container(struct fuzz_gen *g, const struct fz_dev *d, const char *type,
			       const char *gpt, const char *save)
{
	char saveline[24] = "";

	if (save)
		g_snprintf(saveline, sizeof(saveline), "    save: %s\n", save);
	queue(g, NULL, false, "  - ioctl: VFIO_GROUP_SET_CONTAINER\n    on: g%d\n"
	      "    arg: container\n", d->gidx);
	queue(g, NULL, false, "  - ioctl: VFIO_SET_IOMMU\n    on: container\n    arg: %s\n", type);
	queue(g, NULL, false, "  - ioctl: VFIO_IOMMU_MAP_DMA\n    on: container\n"
	      "    arg: {vaddr: gmem, iova: 0, size: 1M, flags: [READ, WRITE]}\n");
	queue(g, NULL, false, "  - ioctl: VFIO_IOMMU_MAP_DMA\n    on: container\n"
	      "    arg: {vaddr: gbuf, iova: 1M, size: 64K, flags: [READ, WRITE]}\n");
	queue(g, NULL, false, "  - guest_table: %s\n    buffer: gmem\n    gpa: 0\n"
	      "    pool: {offset: 0x%x, size: 64K}\n%s", gpt, 0xf0000 - 0x10000 * (g->recipes % 8),
	      saveline);
	queue(g, NULL, false, "  - guest_map: %s\n    va: 0x7000000\n    gpa: 1M\n"
	      "    size: 64K\n", gpt);
}

/*
 * A guest's stage-1 table on a PASID, nested over a type1 container's
 * stage 2 (steps_nested.c): guest RAM (gmem) mapped GPA = IOVA, a buffer
 * (gbuf) mapped apart, a GVA mapping to it, a PASID DMA that caches GVA -> HPA, the
 * buffer's GPAs unmapped, the DMA again.  What a stage-2 unmap that leaves
 * nested entries behind is caught by.
 */
static bool recipe_nested(struct fuzz_gen *g)
{
	struct fz *z = g->z;
	char gpt[8];
	const struct fz_dev *d = NULL;
	unsigned pasid = 1 + fz_below(z, 30), n = 0, pick;

	for (unsigned i = 0; i < g->ndev; i++)
		n += g->dev[i].pasid_bits && g->dev[i].gidx >= 0;
	if (!n)
		return false;
	pick = fz_below(z, n);
	for (unsigned i = 0; i < g->ndev && !d; i++)
		if (g->dev[i].pasid_bits && g->dev[i].gidx >= 0 && !pick--)
			d = &g->dev[i];
	pasid &= (1u << d->pasid_bits) - 1;
	pasid = pasid ? pasid : 1;
	g_snprintf(gpt, sizeof(gpt), "gpt%u", ++g->recipes);
	guest_in_container(g, d, "VFIO_TYPE1v2_IOMMU", gpt, NULL);
	queue(g, NULL, false, "  - pasid_attach: \"%s\"\n    pasid: %u\n    table: %s\n",
	      d->bdf, pasid, gpt);
	queue(g, NULL, false, "  - dma: \"%s\"\n    op: write\n    pasid: %u\n"
	      "    addr: 0x7000000\n    len: 0x1000\n    pattern: 0x99\n", d->bdf, pasid);
	queue(g, NULL, false, "  - ioctl: VFIO_IOMMU_UNMAP_DMA\n    on: container\n"
	      "    arg: {iova: 1M, size: 64K}\n");
	queue(g, NULL, false, "  - dma: \"%s\"\n    op: read\n    pasid: %u\n"
	      "    addr: 0x7000000\n    len: 0x4\n", d->bdf, pasid);
	queue(g, NULL, false, "  - pasid_detach: \"%s\"\n    pasid: %u\n", d->bdf, pasid);
	return true;
}

/*
 * The 2020 proposal's guest bind (vfio.nesting_abi: guest-pgtbl-2020): a
 * nesting container with one group, guest RAM mapped GPA = IOVA, a guest
 * table with a GVA mapping to gbuf, a host PASID, the bind, a PASID DMA;
 * then the guest's invalidation, an unbind or the PASID's free, and the DMA
 * again.
 */
static bool recipe_nested2020(struct fuzz_gen *g)
{
	struct fz *z = g->z;
	char gpt[8], root[8], pv[8];
	const struct fz_dev *d = NULL;
	unsigned n = 0, pick, then = fz_below(z, 4);

	for (unsigned i = 0; i < g->ndev; i++)
		n += g->dev[i].pasid_bits && g->dev[i].gidx >= 0;
	if (!n)
		return false;
	pick = fz_below(z, n);
	for (unsigned i = 0; i < g->ndev && !d; i++)
		if (g->dev[i].pasid_bits && g->dev[i].gidx >= 0 && !pick--)
			d = &g->dev[i];
	g_snprintf(gpt, sizeof(gpt), "gpt%u", ++g->recipes);
	new_var(g, "root", root, sizeof(root));
	new_var(g, "p", pv, sizeof(pv));
	guest_in_container(g, d, "VFIO_TYPE1_NESTING_IOMMU", gpt, root);
	queue(g, NULL, false, "  - ioctl: VFIO_IOMMU_PASID_REQUEST\n    on: container\n"
	      "    arg: {flags: ALLOC, alloc_pasid.min: 1, alloc_pasid.max: %u}\n"
	      "    save: {%s: alloc_pasid.result}\n", fz_chance(z, 3, 4) ? 255 : 0xfffff, pv);
	queue(g, NULL, false, "  - ioctl: VFIO_IOMMU_BIND\n    on: container\n"
	      "    arg: {flags: BIND_GUEST_PGTBL, data.version: 1, data.format: INTEL_VTD, "
	      "data.gpgd: $%s, data.hpasid: $%s, data.addr_width: %u}\n", root, pv,
	      fz_chance(z, 7, 8) ? 48 : 57);
	queue(g, NULL, false, "  - dma: \"%s\"\n    op: write\n    pasid: $%s\n"
	      "    addr: 0x7000000\n    len: 0x1000\n    pattern: 0x99\n", d->bdf, pv);
	if (then == 0) {
		/* the guest drops its mapping and says so, or forgets to */
		queue(g, NULL, false, "  - guest_unmap: %s\n    va: 0x7000000\n    size: 4K\n", gpt);
		queue(g, NULL, false, "  - ioctl: VFIO_IOMMU_CACHE_INVALIDATE\n    on: container\n"
		      "    arg: {cache_info.version: 1, cache_info.cache: [IOTLB], "
		      "cache_info.granularity: %s, cache_info.addr_info.flags: [PASID], "
		      "cache_info.addr_info.pasid: $%s, cache_info.addr_info.addr: 0x7000000, "
		      "cache_info.addr_info.granule_size: 4K, cache_info.addr_info.nb_granules: 1}\n",
		      fz_chance(z, 3, 4) ? "ADDR" : "PASID", pv);
	} else if (then == 1) {
		queue(g, NULL, false, "  - ioctl: VFIO_IOMMU_BIND\n    on: container\n"
		      "    arg: {flags: UNBIND_GUEST_PGTBL, data.version: 1, data.format: INTEL_VTD, "
		      "data.hpasid: $%s}\n", pv);
	} else if (then == 2) {
		queue(g, NULL, false, "  - ioctl: VFIO_IOMMU_PASID_REQUEST\n    on: container\n"
		      "    arg: {flags: FREE, free_pasid: $%s}\n", pv);
	} else {
		/* the VMM takes guest RAM back under the bound table */
		queue(g, NULL, false, "  - ioctl: VFIO_IOMMU_UNMAP_DMA\n    on: container\n"
		      "    arg: {iova: 1M, size: 64K}\n");
	}
	queue(g, NULL, false, "  - dma: \"%s\"\n    op: read\n    pasid: $%s\n"
	      "    addr: 0x7000000\n    len: 0x4\n", d->bdf, pv);
	return true;
}

/* The cdev nesting recipes' guest table: @gpt in its own 64 KiB of gmem's
 * top half, its root saved as @root, GVA 0x7000000 mapped to gbuf. */
static void guest_table_gva(struct fuzz_gen *g, char gpt[8], char root[8])
{
	g_snprintf(gpt, 8, "gpt%u", ++g->recipes);
	new_var(g, "root", root, 8);
	queue(g, NULL, false, "  - guest_table: %s\n    buffer: gmem\n    gpa: 0\n"
	      "    pool: {offset: 0x%x, size: 64K}\n    save: %s\n", gpt,
	      0xf0000 - 0x10000 * (g->recipes % 8), root);
	queue(g, NULL, false, "  - guest_map: %s\n    va: 0x7000000\n    gpa: 1M\n"
	      "    size: 64K\n", gpt);
}

/* The cdev nesting recipes' guest: gmem mapped in @ioas at GPA 0, gbuf at
 * 1 MiB, and a NEST_PARENT HWPT over it saved as @s2 (with ALLOC_PASID
 * when @pasid). */
static void guest_in_ioas(struct fuzz_gen *g, const char *dev, const char *ioas, char s2[8],
			  bool pasid)
{
	queue(g, NULL, false, "  - ioctl: IOMMU_IOAS_MAP\n    on: ictx\n"
	      "    arg: {ioas_id: $%s, flags: [FIXED_IOVA, READABLE, WRITEABLE], user_va: gmem, "
	      "length: 1M, iova: 0}\n", ioas);
	queue(g, NULL, false, "  - ioctl: IOMMU_IOAS_MAP\n    on: ictx\n"
	      "    arg: {ioas_id: $%s, flags: [FIXED_IOVA, READABLE, WRITEABLE], user_va: gbuf, "
	      "length: 64K, iova: 1M}\n", ioas);
	new_var(g, "hwpt", s2, 8);
	queue(g, NULL, false, "  - ioctl: IOMMU_HWPT_ALLOC\n    on: ictx\n"
	      "    arg: {dev_id: $%s, pt_id: $%s, flags: [NEST_PARENT%s]}\n"
	      "    save: {%s: out_hwpt_id}\n", dev, ioas, pasid ? ", PASID" : "", s2);
}

/*
 * A nested HWPT on the cdev path (VT-d's IOMMU_HWPT_DATA_VTD_S1): guest RAM
 * (gmem) an IOAS maps GPA = IOVA, with gbuf at 1M; a NEST_PARENT HWPT; a
 * guest table (GVA 0x7000000 -> gbuf) described by an iommu_hwpt_vtd_s1
 * the put step writes at buf+0xfe000; the nested HWPT (now and then with
 * ALLOC_PASID, and a PASID attach); a DMA; the guest's unmap, its
 * HWPT_INVALIDATE (or none), the DMA again; a replace to stage 2 or a
 * detach.
 */
static bool recipe_cdev_nested(struct fuzz_gen *g)
{
	struct fz *z = g->z;
	char dev[8], ioas[8], s2[8], s1[8], root[8], gpt[8], pasidarg[32] = "";
	unsigned k, d = 0, pasid = 0;
	bool at_pasid;

	if (!g->ncdev)
		return false;
	cdev_open_bind(g, &k, &d, dev, ioas);
	at_pasid = g->dev[d].pasid_bits && fz_chance(z, 1, 3);
	if (at_pasid) {
		pasid = 1 + fz_below(z, (1u << g->dev[d].pasid_bits) - 1 < 30 ?
					(1u << g->dev[d].pasid_bits) - 1 : 30);
		g_snprintf(pasidarg, sizeof(pasidarg), ", flags: PASID, pasid: %u", pasid);
	}
	guest_in_ioas(g, dev, ioas, s2, at_pasid);
	guest_table_gva(g, gpt, root);
	queue(g, NULL, false, "  - put: buf\n    struct: iommu_hwpt_vtd_s1\n    offset: 0xfe000\n"
	      "    fields: {pgtbl_addr: $%s, addr_width: %u}\n", root,
	      fz_chance(z, 7, 8) ? 48 : fz_chance(z, 1, 2) ? 57 : 39);
	new_var(g, "hwpt", s1, sizeof(s1));
	queue(g, NULL, false, "  - ioctl: IOMMU_HWPT_ALLOC\n    on: ictx\n"
	      "    arg: {dev_id: $%s, pt_id: $%s%s, data_type: IOMMU_HWPT_DATA_VTD_S1, "
	      "data_len: 24, data_uptr: buf+0xfe000}\n    save: {%s: out_hwpt_id}\n", dev, s2,
	      at_pasid ? ", flags: [PASID]" : "", s1);
	if (at_pasid)   /* the RID on stage 2 (its HWPT takes PASIDs too) */
		queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_ATTACH_IOMMUFD_PT\n    on: c%u\n"
		      "    arg: {pt_id: $%s}\n", k, s2);
	queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_ATTACH_IOMMUFD_PT\n    on: c%u\n"
	      "    arg: {pt_id: $%s%s}\n", k, s1, pasidarg);
	pasidarg[0] = 0;
	if (at_pasid)
		g_snprintf(pasidarg, sizeof(pasidarg), "    pasid: %u\n", pasid);
	queue(g, NULL, false, "  - dma: \"%s\"\n    op: write\n%s    addr: 0x7000000\n"
	      "    len: 0x1000\n    pattern: 0x99\n", g->dev[d].bdf, pasidarg);
	/* the guest unmaps and invalidates, as it must: a guest that does not
	 * leaves stale entries that are its own bug, not the kernel's
	 * (iommufd-nesting/invalidate-missing-is-stale.yaml) */
	queue(g, NULL, false, "  - guest_unmap: %s\n    va: 0x7000000\n    size: 4K\n", gpt);
	{
		queue(g, NULL, false, "  - put: buf\n    struct: iommu_hwpt_vtd_s1_invalidate\n"
		      "    offset: 0xfd000\n    fields: {%s}\n", fz_chance(z, 3, 4) ?
		      "addr: 0x7000000, npages: 1" : "addr: 0, npages: 0xffffffffffffffff");
		queue(g, NULL, false, "  - ioctl: IOMMU_HWPT_INVALIDATE\n    on: ictx\n"
		      "    arg: {hwpt_id: $%s, data_uptr: buf+0xfd000, data_type: "
		      "IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, entry_len: 24, entry_num: 1}\n", s1);
	}
	queue(g, NULL, false, "  - dma: \"%s\"\n    op: read\n%s    addr: 0x7000000\n"
	      "    len: 0x4\n", g->dev[d].bdf, pasidarg);
	if (fz_chance(z, 1, 2)) {
		char det[40] = "";

		if (at_pasid)
			g_snprintf(det, sizeof(det), "flags: PASID, pasid: %u", pasid);
		queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_DETACH_IOMMUFD_PT\n    on: c%u\n"
		      "    arg: {%s}\n", k, det);
	}
	return true;
}

/*
 * SMMUv3's nesting through a vIOMMU (model/iommufd/viommu.c): guest RAM
 * (gmem) an IOAS maps GPA = IOVA, with gbuf at 1M; a NEST_PARENT HWPT, a
 * vIOMMU over it and (seven times in eight) the device's vDEVICE; the
 * guest's table (GVA 0x7000000 -> gbuf) and its CD table in gmem (CD 0,
 * a random ASID); a vSTE at buf+0xfe000 - stage-1 translate mostly, now and
 * then bypass, abort or V clear, EATS when the device has ATS - and its
 * nested HWPT; the attach (ENOENT without a vDEVICE for a translating
 * vSTE), a DMA; the guest's unmap and its SMMU commands forwarded through
 * the vIOMMU (a TLBI of its ASID, of the VMID, or NSNH_ALL, and now and
 * then a CFGI_CD of its virtual StreamID after it), the DMA again; a
 * replace to stage 2 or a detach.
 */
static bool recipe_cdev_viommu(struct fuzz_gen *g)
{
	static const uint64_t TLBIS[] = { 0x11, 0x10, 0x30 };   /* NH_ASID, NH_ALL, NSNH_ALL */
	struct fz *z = g->z;
	char dev[8], ioas[8], s2[8], vi[8], s1[8], root[8], gpt[8];
	unsigned k, d = 0, asid = 1 + fz_below(z, 0xfffe), vsid = 0x10 + fz_below(z, 0x100);
	unsigned cfg = fz_below(z, 8), cdtab, nent = 1;
	bool vdev = fz_chance(z, 7, 8), cfgi = vdev && fz_chance(z, 1, 3), eats, ssids;
	uint64_t ste0, tlbi = PICK(z, TLBIS);

	if (!g->ncdev)
		return false;
	cdev_open_bind(g, &k, &d, dev, ioas);
	guest_in_ioas(g, dev, ioas, s2, false);
	new_var(g, "vi", vi, sizeof(vi));
	queue(g, NULL, false, "  - ioctl: IOMMU_VIOMMU_ALLOC\n    on: ictx\n"
	      "    arg: {type: IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev_id: $%s, hwpt_id: $%s}\n"
	      "    save: {%s: out_viommu_id}\n", dev, s2, vi);
	if (vdev)
		queue(g, NULL, false, "  - ioctl: IOMMU_VDEVICE_ALLOC\n    on: ictx\n"
		      "    arg: {viommu_id: $%s, dev_id: $%s, virt_id: 0x%x}\n", vi, dev, vsid);
	guest_table_gva(g, gpt, root);
	/* the guest's CD table, one page of gmem below the table pools */
	cdtab = 0x7f000 - 0x1000 * (g->recipes % 8);
	queue(g, NULL, false, "  - put: gmem\n    struct: arm_smmu_cd\n    offset: 0x%x\n"
	      "    fields: {cd0: 0x%llx, cd1: $%s, cd3: 0xf404ff44}\n", cdtab,
	      0xe205c0003510ull | (unsigned long long)asid << 48, root);
	/* a third of the PASID functions' guests use substreams: S1CDMax 2,
	 * S1DSS SSID0, CD 1 a second address space (ASID + 1) over the same
	 * table */
	ssids = g->dev[d].pasid_bits && fz_chance(z, 1, 3);
	if (ssids)
		queue(g, NULL, false, "  - put: gmem\n    struct: arm_smmu_cd\n    offset: 0x%x\n"
		      "    fields: {cd0: 0x%llx, cd1: $%s, cd3: 0xf404ff44}\n", cdtab + 0x40,
		      0xe205c0003510ull | (unsigned long long)((asid + 1) & 0xffff) << 48, root);
	/* V | Config: stage-1 translate (over the CD table), bypass, abort,
	 * or V clear */
	ste0 = cfg < 5 ? 0xbull | cdtab | (ssids ? 2ull << 59 : 0) : cfg == 5 ? 0x9 : cfg == 6 ? 0x1
	       : 0xbull | cdtab << 1;
	eats = g->dev[d].ats && fz_chance(z, 1, 2);
	/* with substreams, S1DSS: CD 0 (SSID0) mostly, else bypass (stage 2
	 * alone) or terminate for the untagged stream */
	queue(g, NULL, false, "  - put: buf\n    struct: iommu_hwpt_arm_smmuv3\n"
	      "    offset: 0xfe000\n    fields: {ste0: 0x%llx, ste1: 0x%x}\n",
	      (unsigned long long)(cfg == 7 ? ste0 & ~1ull : ste0),
	      (eats ? 0x10000000 : 0) | (ssids ? (fz_chance(z, 2, 3) ? 2 : fz_below(z, 2)) : 0));
	new_var(g, "hwpt", s1, sizeof(s1));
	queue(g, NULL, false, "  - ioctl: IOMMU_HWPT_ALLOC\n    on: ictx\n"
	      "    arg: {dev_id: $%s, pt_id: $%s, data_type: IOMMU_HWPT_DATA_ARM_SMMUV3, "
	      "data_len: 16, data_uptr: buf+0xfe000}\n    save: {%s: out_hwpt_id}\n", dev, vi,
	      s1);
	queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_ATTACH_IOMMUFD_PT\n    on: c%u\n"
	      "    arg: {pt_id: $%s}\n", k, s1);
	queue(g, NULL, false, "  - dma: \"%s\"\n    op: write\n    addr: 0x7000000\n"
	      "    len: 0x1000\n    pattern: 0x99\n", g->dev[d].bdf);
	if (ssids)      /* SSID 1, CD 1; SSID 2 has no valid CD */
		queue(g, NULL, false, "  - dma: \"%s\"\n    op: write\n    pasid: %u\n"
		      "    addr: 0x7000000\n    len: 0x1000\n    pattern: 0x9a\n", g->dev[d].bdf,
		      1 + fz_below(z, 2));
	/* the guest unmaps and invalidates, as it must: a guest that does not
	 * (or whose command batch fails) leaves stale entries that are its own
	 * (iommufd-nesting/viommu-invalidate-eio-loses-batch.yaml) */
	queue(g, NULL, false, "  - guest_unmap: %s\n    va: 0x7000000\n    size: 4K\n", gpt);
	queue(g, NULL, false, "  - put: buf\n    struct: iommu_viommu_arm_smmuv3_invalidate\n"
	      "    offset: 0xfd000\n    fields: {cmd0: 0x%llx}\n",
	      (unsigned long long)(tlbi | (tlbi == 0x11 ? (uint64_t)asid << 48 : 0)));
	/* with ATS on, the device's TLB too: CMD_ATC_INV of its vSID, all of it */
	if (eats && vdev)
		queue(g, NULL, false, "  - put: buf\n    struct: iommu_viommu_arm_smmuv3_invalidate\n"
		      "    offset: 0x%x\n    fields: {cmd0: 0x%llx, cmd1: 0x34}\n",
		      0xfd000 + 0x10 * nent++, (unsigned long long)(0x40 | (uint64_t)vsid << 32));
	if (cfgi)
		queue(g, NULL, false, "  - put: buf\n    struct: iommu_viommu_arm_smmuv3_invalidate\n"
		      "    offset: 0x%x\n    fields: {cmd0: 0x%llx}\n", 0xfd000 + 0x10 * nent++,
		      (unsigned long long)(0x5 | (uint64_t)vsid << 32));
	queue(g, NULL, false, "  - ioctl: IOMMU_HWPT_INVALIDATE\n    on: ictx\n"
	      "    arg: {hwpt_id: $%s, data_uptr: buf+0xfd000, data_type: "
	      "IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, entry_len: 16, entry_num: %u}\n", vi,
	      nent);
	queue(g, NULL, false, "  - dma: \"%s\"\n    op: read\n    addr: 0x7000000\n"
	      "    len: 0x4\n", g->dev[d].bdf);
	if (fz_chance(z, 1, 2))
		queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_ATTACH_IOMMUFD_PT\n    on: c%u\n"
		      "    arg: {pt_id: $%s}\n", k, s2);
	else
		queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_DETACH_IOMMUFD_PT\n    on: c%u\n"
		      "    arg: {}\n", k);
	return true;
}

#define MDEV_UUID "5a1c0de5-0000-4000-8000-0000000000a1"

/*
 * A mediated device on iommufd (model/vfio/mdev.c): created through sysfs,
 * its cdev (the next after the vfio-pci devices') bound to the context (an
 * access object), attached to a new IOAS with the buffer mapped; then its
 * driver's pins, unpins and DMAs through the access.
 */
static void recipe_mdev(struct fuzz_gen *g)
{
	char binds[8], dev[8], ioas[8];
	uint64_t iova = PICK(g->z, IOVAS) & 0xfffff, size = PICK(g->z, SIZES);

	g->mdev_ready = true;
	queue(g, NULL, false, "  - sysfs_write: /sys/class/mdev_bus/sim_mdev/mdev_supported_types/"
	      "sim_mdev-dma/create\n    value: \"" MDEV_UUID "\"\n");
	g_snprintf(binds, sizeof(binds), "m0");
	queue(g, binds, false, "  - open: /dev/vfio/devices/vfio%u\n    as: m0\n", g->ncdev);
	new_var(g, "dev", dev, sizeof(dev));
	queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_BIND_IOMMUFD\n    on: m0\n"
	      "    arg: {iommufd: ictx}\n    save: {%s: out_devid}\n", dev);
	new_var(g, "ioas", ioas, sizeof(ioas));
	queue(g, NULL, false, "  - ioctl: IOMMU_IOAS_ALLOC\n    on: ictx\n    arg: {}\n"
	      "    save: {%s: out_ioas_id}\n", ioas);
	queue(g, NULL, false, "  - ioctl: VFIO_DEVICE_ATTACH_IOMMUFD_PT\n    on: m0\n"
	      "    arg: {pt_id: $%s}\n", ioas);
	remember(g, iova, size);
	queue(g, NULL, false, "  - ioctl: IOMMU_IOAS_MAP\n    on: ictx\n"
	      "    arg: {ioas_id: $%s, flags: [FIXED_IOVA, READABLE, WRITEABLE], user_va: buf, "
	      "length: 0x%llx, iova: 0x%llx}\n", ioas, (unsigned long long)size,
	      (unsigned long long)iova);
}

/* The mdev's driver: a pin, an unpin or a DMA (through its pins or the
 * IOAS), at a range mapped before three times in four. */
void gen_mdev(struct fuzz_gen *g, GString *out)
{
	struct fz *z = g->z;
	uint64_t iova, size;
	unsigned what, npage;
	bool write;

	if (!g->mdev) {
		gen_fill(g, out);
		return;
	}
	if (!g->mdev_ready) {
		recipe_mdev(g);
		fuzz_gen_step(g, out);
		return;
	}
	range(g, &iova, &size);
	what = fz_below(z, 3);
	npage = 1 + fz_below(z, 4);
	write = fz_chance(z, 1, 2);
	if (what == 0)
		g_string_append_printf(out, "  - mdev_pin: \"" MDEV_UUID "\"\n    iova: 0x%llx\n"
				       "    npage: %u\n    write: %s\n", (unsigned long long)iova,
				       npage, write ? "true" : "false");
	else if (what == 1)
		g_string_append_printf(out, "  - mdev_unpin: \"" MDEV_UUID "\"\n    iova: 0x%llx\n"
				       "    npage: %u\n", (unsigned long long)iova, npage);
	else
		g_string_append_printf(out, "  - mdev_dma: \"" MDEV_UUID "\"\n%s    op: %s\n"
				       "    addr: 0x%llx\n    len: 8\n%s",
				       fz_chance(z, 1, 2) ? "    via: pinned\n" : "",
				       write ? "write" : "read", (unsigned long long)iova,
				       write ? "    pattern: 0x3c\n" : "");
}

void gen_guest_table(struct fuzz_gen *g, GString *out)
{
	if (recipe_nested(g))
		fuzz_gen_step(g, out);
	else
		gen_fill(g, out);
}

bool fuzz_gen_recipe(struct fuzz_gen *g, const char *name)
{
	if (!strcmp(name, "nested"))
		return g->nesting2020 ? recipe_nested2020(g) : recipe_nested(g);
	if (!strcmp(name, "cdev-nested"))
		return recipe_cdev_nested(g);
	if (!strcmp(name, "cdev-viommu"))
		return recipe_cdev_viommu(g);
	return recipe_cdev(g, !strcmp(name, "cdev-dirty"));
}

/* ---- the address space ------------------------------------------------------------ */

/*
 * What the process does to its memory under the mappings: buf's pages are
 * what type1 and iommufd pin, so an mmap over them (MAP_FIXED), an munmap
 * or an mprotect leaves the IOMMU mapping the pinned frames while the
 * process sees new memory or none, and the invariants must still hold.
 * A few new mappings too: private or shared, of buf's size, at the next
 * address (`m` rebound each time).
 */
static const uint64_t VM_OFFS[] = { 0, 0x1000, 0x10000, 0x80000, 0xff000 };
static const uint64_t VM_LENS[] = { 0x1000, 0x3000, 0x10000 };

void gen_mmap(struct fuzz_gen *g, GString *out)
{
	struct fz *z = g->z;

	if (fz_chance(z, 1, 2))
		g_string_append_printf(out, "  - mmap: m\n    size: 0x%llx\n    addr: buf+0x%llx\n"
				       "    fixed: true\n%s",
				       (unsigned long long)PICK(z, VM_LENS),
				       (unsigned long long)PICK(z, VM_OFFS),
				       fz_chance(z, 1, 3) ? "    share: shared\n" : "");
	else
		g_string_append_printf(out, "  - mmap: m\n    size: 1M\n%s",
				       fz_chance(z, 1, 2) ? "    share: shared\n" : "");
}

void gen_vm(struct fuzz_gen *g, GString *out)
{
	struct fz *z = g->z;
	unsigned what = fz_below(z, 3);
	uint64_t off = PICK(z, VM_OFFS), len = PICK(z, VM_LENS);

	if (what == 0)
		g_string_append_printf(out, "  - munmap: buf+0x%llx\n    len: 0x%llx\n",
				       (unsigned long long)off, (unsigned long long)len);
	else if (what == 1)
		g_string_append_printf(out, "  - mprotect: buf+0x%llx\n    len: 0x%llx\n"
				       "    prot: %s\n", (unsigned long long)off,
				       (unsigned long long)len,
				       fz_chance(z, 1, 2) ? "[read]" : fz_chance(z, 1, 2) ? "[]" :
				       "[read, write]");
	else
		g_string_append_printf(out, "  - touch: buf+0x%llx\n    len: 0x%llx\n    op: %s\n",
				       (unsigned long long)off, (unsigned long long)len,
				       fz_chance(z, 1, 2) ? "write" : "read");
}

/*
 * Shared virtual addressing (mainline): a kernel driver binds init's or a
 * child's address space to a device with a PASID capability, or unbinds
 * it, or the device DMAs with the first PASID to buf's virtual addresses
 * (whichever mm holds PASID 1 then).  Errors are results like any other:
 * a device without ATS on VT-d, a multi-device group, a second mm on a
 * one-PASID device.
 */
void gen_sva(struct fuzz_gen *g, GString *out)
{
	struct fz *z = g->z;
	unsigned n = 0, pick, who, what = fz_below(z, 4);
	const struct fz_dev *d = NULL;
	char proc[8] = "init";

	bool kernel = false;     /* a device a kernel driver has, when there is one */

	for (unsigned i = 0; i < g->ndev; i++)
		kernel |= g->dev[i].pasid_bits && !g->dev[i].vfio;
	kernel &= fz_chance(z, 7, 8);
	for (unsigned i = 0; i < g->ndev; i++)
		n += g->dev[i].pasid_bits && (!kernel || !g->dev[i].vfio);
	if (!n) {
		gen_fill(g, out);
		return;
	}
	pick = fz_below(z, n);
	for (unsigned i = 0; i < g->ndev && !d; i++)
		if (g->dev[i].pasid_bits && (!kernel || !g->dev[i].vfio) && !pick--)
			d = &g->dev[i];
	who = fz_below(z, g->nproc + 1);
	if (who)
		g_snprintf(proc, sizeof(proc), "p%u", who);
	if (g->sva2017 && g->dfd && fz_chance(z, 1, 2)) {
		/* a device fd's task bind (the caller, or a pid) or an unbind by
		 * PASID */
		static const uint64_t pids[] = { 1, 2, 3, 9 };
		unsigned k = 0, nd = 0, left;

		for (unsigned i = 0; i < 32; i++)
			nd += (g->dfd >> i) & 1;
		left = fz_below(z, nd);
		for (unsigned i = 0; i < 32; i++)
			if (((g->dfd >> i) & 1) && !left--) {
				k = i;
				break;
			}
		if (fz_chance(z, 2, 3))
			g_string_append_printf(out, "  - ioctl: VFIO_DEVICE_BIND_TASK\n    on: d%u\n"
					       "    arg: {flags: PID, pid: %llu}\n", k,
					       (unsigned long long)PICK(z, pids));
		else
			g_string_append_printf(out, "  - ioctl: VFIO_DEVICE_UNBIND_TASK\n    on: d%u\n"
					       "    arg: {pasid: %u}\n", k, 1 + fz_below(z, 3));
		return;
	}
	if (g->sva2018 && fz_chance(z, 1, 2)) {
		/* the container's bind of the caller or of a pid (1: init,
		 * 2..: the children, 9: none) */
		static const uint64_t pids[] = { 1, 2, 3, 9 };
		bool pid = fz_chance(z, 1, 2);

		g_string_append_printf(out, "  - ioctl: VFIO_IOMMU_%s\n    on: container\n"
				       "    arg: {mode: PROCESS%s",
				       fz_chance(z, 2, 3) ? "BIND" : "UNBIND",
				       pid ? ", flags: PID, pid: " : "");
		if (pid)
			g_string_append_printf(out, "%llu", (unsigned long long)PICK(z, pids));
		g_string_append(out, "}\n");
		if (who)
			g_string_append_printf(out, "    by: %s\n", proc);
		return;
	}
	if (what < 2)
		g_string_append_printf(out, "  - sva_bind: \"%s\"\n    process: %s\n", d->bdf, proc);
	else if (what == 2)
		g_string_append_printf(out, "  - sva_unbind: \"%s\"\n    process: %s\n", d->bdf, proc);
	else {
		bool write = fz_chance(z, 1, 2);

		/* a write sends a pattern; a read checks one half the time */
		g_string_append_printf(out, "  - dma: \"%s\"\n    op: %s\n    pasid: 1\n"
				       "    addr: buf+0x%llx\n    len: 0x100\n%s", d->bdf,
				       write ? "write" : "read", (unsigned long long)PICK(z, VM_OFFS),
				       write || fz_chance(z, 1, 2) ? "    pattern: 0x4d\n" : "");
	}
}

/* ---- the other step kinds ---------------------------------------------------- */

void gen_open(struct fuzz_gen *g, GString *out)
{
	struct fz *z = g->z;
	unsigned r = fz_below(z, 8);

	if (r < 3 && g->ncdev) {     /* a device cdev (6.6+ with iommufd) */
		unsigned k = fz_below(z, g->ncdev);

		/* a second open of the same cdev goes under a free x name */
		if (bit(g->cfd, k))
			g_snprintf(g->binds, sizeof(g->binds), "x%u", free_x(g, 0));
		else
			g_snprintf(g->binds, sizeof(g->binds), "c%u", k);
		g_string_append_printf(out, "  - open: /dev/vfio/devices/vfio%u\n    as: %s\n%s", k,
				       g->binds,
				       fz_chance(z, 1, 4) ? "    flags: [O_RDWR, O_CLOEXEC]\n" : "");
		if (g->binds[0] == 'x') {
			g->xfd |= 1u << (g->binds[1] - '0');
			g->xcontainer &= ~(1u << (g->binds[1] - '0'));
		} else {
			g->cfd |= 1u << k;
		}
	} else if (r < 7) {          /* the shared nodes again */
		unsigned k = free_x(g, fz_below(z, FZ_MAX_X));
		bool container = fz_chance(z, 1, 2);

		g_string_append_printf(out, "  - open: %s\n    as: x%u\n%s",
				       container ? "/dev/vfio/vfio" : "/dev/iommu", k,
				       fz_chance(z, 1, 4) ? "    flags: [O_RDWR, O_CLOEXEC]\n" : "");
		g_snprintf(g->binds, sizeof(g->binds), "x%u", k);
		g->xfd |= 1u << k;
		g->xcontainer = container ? g->xcontainer | 1u << k : g->xcontainer & ~(1u << k);
	} else {                     /* a group node again (EBUSY while open) or none */
		unsigned k = free_x(g, 3);

		g_string_append_printf(out, "  - open: /dev/vfio/%d\n    as: x%u\n",
				       g->ngroup && fz_chance(z, 3, 4) ?
				       g->group[fz_below(z, g->ngroup)] : 99, k);
		g_snprintf(g->binds, sizeof(g->binds), "x%u", k);
		g->xfd |= 1u << k;
		g->xcontainer &= ~(1u << k);
	}
	maybe_by(g, out);
}

void gen_close(struct fuzz_gen *g, GString *out)
{
	char h[16];

	any_fd(g, h, sizeof(h));
	g_string_append_printf(out, "  - close: %s\n", h);
}

/* A dup of any handle, bound as xN.  The x handles stand for opens of the
 * shared nodes: a dup of the container (or of an x that is one) is used as
 * a container from then on, a dup of anything else where an iommufd goes
 * (a group's or a device's dup there is the wrong kind: a case too). */
void gen_dup(struct fuzz_gen *g, GString *out)
{
	char h[16];
	unsigned k;

	any_fd(g, h, sizeof(h));
	k = free_x(g, fz_below(g->z, FZ_MAX_X));
	g_string_append_printf(out, "  - dup: %s\n    as: x%u\n", h, k);
	g_snprintf(g->binds, sizeof(g->binds), "x%u", k);
	g->xfd |= 1u << k;
	if (!strcmp(h, "container") || (h[0] == 'x' && bit(g->xcontainer, (unsigned)(h[1] - '0'))))
		g->xcontainer |= 1u << k;
	else
		g->xcontainer &= ~(1u << k);
}

void gen_dma(struct fuzz_gen *g, GString *out)
{
	struct fz *z = g->z;
	const struct fz_dev *d;
	uint64_t iova, size, off;
	bool write;

	if (!g->ndev) {
		gen_fill(g, out);
		return;
	}
	d = &g->dev[fz_below(z, g->ndev)];
	range(g, &iova, &size);
	/* a third of the time where the last unmap was: the access that must
	 * fault now, and lands through whatever cache kept the translation */
	if (g->unmapped_size && fz_chance(z, 1, 3)) {
		iova = g->unmapped_iova;
		size = g->unmapped_size;
	}
	/* half the time the range's first page, which DMAs before and after
	 * an unmap then share (a cached translation is per page) */
	off = fz_chance(z, 1, 2) ? 0 : (uint64_t)fz_below(z, (uint32_t)(size >> 12)) << 12;
	write = fz_chance(z, 1, 2);
	g_string_append_printf(out, "  - dma: \"%s\"\n    op: %s\n    addr: 0x%llx\n"
			       "    len: 0x%llx\n", d->bdf, write ? "write" : "read",
			       (unsigned long long)(iova + off),
			       (unsigned long long)(fz_chance(z, 1, 2) ? 8 : 0x2000));
	if (d->pasid_bits && fz_chance(z, 1, 4))
		g_string_append_printf(out, "    pasid: %u\n", 1 + fz_below(z, 4));
	if (write)
		g_string_append(out, "    pattern: 0x5a\n");
}

void gen_fill(struct fuzz_gen *g, GString *out)
{
	struct fz *z = g->z;

	uint64_t off = PICK(z, OFFS);
	unsigned pattern = 1 + fz_below(z, 254);

	g_string_append_printf(out, "  - fill: buf\n    offset: 0x%llx\n    len: 0x1000\n"
			       "    pattern: 0x%02x\n", (unsigned long long)off, pattern);
}

void gen_fork(struct fuzz_gen *g, GString *out)
{
	if (g->nproc >= FZ_MAX_PROCS) {
		gen_fill(g, out);
		return;
	}
	g->nproc++;
	g_string_append_printf(out, "  - fork: init\n    child: p%u\n", g->nproc);
	g_snprintf(g->binds, sizeof(g->binds), "p%u", g->nproc);
	g->binds_proc = true;
}

void gen_exit(struct fuzz_gen *g, GString *out)
{
	if (!g->nproc) {
		gen_fill(g, out);
		return;
	}
	g_string_append_printf(out, "  - exit: p%u\n", 1 + fz_below(g->z, g->nproc));
}

/* An exec of init or of a child: the descriptors opened O_CLOEXEC close
 * (gen_open asks for it one time in four). */
void gen_exec(struct fuzz_gen *g, GString *out)
{
	unsigned who = fz_below(g->z, g->nproc + 1);

	if (who)
		g_string_append_printf(out, "  - exec: p%u\n", who);
	else
		g_string_append(out, "  - exec: init\n");
}

void gen_rlimit(struct fuzz_gen *g, GString *out)
{
	static const uint64_t LIMITS[] = { 0, 0x4000, 0x40000, 0x100000 };
	struct fz *z = g->z;

	if (fz_chance(z, 1, 3))
		g_string_append(out, "  - rlimit: init\n    memlock: unlimited\n");
	else
		g_string_append_printf(out, "  - rlimit: init\n    memlock: 0x%llx\n",
				       (unsigned long long)PICK(z, LIMITS));
}

static const char *driver_name(struct fz *z)
{
	unsigned r = fz_below(z, 8);

	return r < 6 ? "vfio-pci" : r < 7 ? "pci-stub" : "e1000e";
}

void gen_bind(struct fuzz_gen *g, GString *out)
{
	const char *bdf;

	if (!g->ndev) {
		gen_fill(g, out);
		return;
	}
	bdf = g->dev[fz_below(g->z, g->ndev)].bdf;

	g_string_append_printf(out, "  - bind: \"%s\"\n    driver: %s\n", bdf, driver_name(g->z));
}

void gen_unbind(struct fuzz_gen *g, GString *out)
{
	if (!g->ndev) {
		gen_fill(g, out);
		return;
	}
	g_string_append_printf(out, "  - unbind: \"%s\"\n", g->dev[fz_below(g->z, g->ndev)].bdf);
}

void gen_driver_override(struct fuzz_gen *g, GString *out)
{
	const char *bdf;

	if (!g->ndev) {
		gen_fill(g, out);
		return;
	}
	bdf = g->dev[fz_below(g->z, g->ndev)].bdf;

	g_string_append_printf(out, "  - driver_override: \"%s\"\n    driver: %s\n", bdf,
			       fz_chance(g->z, 1, 4) ? "\"\"" : driver_name(g->z));
}

void gen_rw(struct fuzz_gen *g, GString *out)
{
	static const uint64_t CFG[] = { 0, 2, 4, 6, 0x10, 0x3c, 0x40, 0x100, 0xffc };
	struct fz *z = g->z;
	bool write = fz_chance(z, 1, 3);
	const char *region;
	uint64_t off;
	unsigned len;
	char h[16];

	if (!device_fd(g, h, sizeof(h))) {
		gen_fill(g, out);
		return;
	}
	region = fz_chance(z, 3, 4) ? "config" : "bar0";
	off = PICK(z, CFG);
	len = 1u << fz_below(z, 3);
	g_string_append_printf(out, "  - %s: %s\n    region: %s\n    offset: 0x%llx\n"
			       "    len: %u\n", write ? "pwrite" : "pread", h, region,
			       (unsigned long long)off, len);
	if (write)
		g_string_append_printf(out, "    value: 0x%x\n", fz_below(z, 0x10000));
}

/* ---- one step ---------------------------------------------------------------- */

bool fuzz_gen_pending(const struct fuzz_gen *g)
{
	return g->queue && g->queue->len;
}

void fuzz_gen_done(struct fuzz_gen *g)
{
	for (unsigned i = 0; g->queue && i < g->queue->len; i++) {
		struct fz_queued *q = g_ptr_array_index(g->queue, i);

		g_free(q->text);
		g_free(q);
	}
	if (g->queue)
		g_ptr_array_free(g->queue, TRUE);
	g->queue = NULL;
}

bool fuzz_gen_kind_wanted(const char *ops, const char *kind)
{
	size_t n = strlen(kind);

	for (const char *p = ops; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 1 : 0))
		if (strcspn(p, ",") == n && !strncmp(p, kind, n))
			return true;
	return !ops;
}

void fuzz_gen_step(struct fuzz_gen *g, GString *out)
{
	const struct step_kind *k;
	unsigned total = 0, pick;

	g->binds[0] = 0;
	g->binds_proc = false;
	if (g->queue && g->queue->len) {       /* a recipe's next step */
		struct fz_queued *q = g_ptr_array_index(g->queue, 0);

		g_ptr_array_remove_index(g->queue, 0);
		g_string_append(out, q->text);
		g_strlcpy(g->binds, q->binds, sizeof(g->binds));
		g->binds_proc = q->proc;
		g_free(q->text);
		g_free(q);
		return;
	}
	for (size_t i = 0; (k = step_kind_at(i)); i++)
		total += k->gen && fuzz_gen_kind_wanted(g->ops, k->name) ? k->weight : 0;
	pick = fz_below(g->z, total);
	for (size_t i = 0; (k = step_kind_at(i)); i++) {
		if (!k->gen || !fuzz_gen_kind_wanted(g->ops, k->name))
			continue;
		if (pick < k->weight) {
			k->gen(g, out);
			return;
		}
		pick -= k->weight;
	}
}
