/* SPDX-License-Identifier: MIT */
/* IOMMU-level invariants of spec §H (see invariants.h). */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/hw.h"
#include "model/iommu/invariants.h"
#include "model/iommu/sva.h"

#define STRICT_PAIR_LIMIT 256   /* §H4 is quadratic: small topologies only */

struct rid_check {
	struct sim_world *w;
	const struct iommu_group *g;
	struct iommu_context want;
	GString *out;
	int bad;
	GArray *seen;          /* RIDs checked: two functions may share an alias */
};

static void want_ctx(const struct iommu_domain *d, struct iommu_context *c)
{
	memset(c, 0, sizeof(*c));
	c->type = d->type == IOMMU_DOMAIN_PAGING ?
			(d->stage == 1 ? IOMMU_CTX_S1 : IOMMU_CTX_TRANSLATE) :
		  d->type == IOMMU_DOMAIN_IDENTITY ? IOMMU_CTX_PASSTHROUGH : IOMMU_CTX_BLOCKED;
	if (d->type == IOMMU_DOMAIN_PAGING) {
		c->did = d->did;
		if (d->stage == 1)
			c->s1_root = d->pt.root;
		else
			c->s2_root = d->pt.root;
	}
	/* a nested domain: the guest's root (a GPA) over its parent's table,
	 * on the RID path (iommufd's RID attach) as on a PASID */
	if (d->type == IOMMU_DOMAIN_NESTED && !d->guest_ste) {
		c->type = IOMMU_CTX_NESTED;
		c->did = d->did;
		c->s1_root = d->s1_root;
		c->s2_root = d->parent ? d->parent->pt.root : 0;
	}
	/* a guest's STE: abort, the parent alone (bypass), or nested under
	 * the parent's VMID over a CD the guest wrote (vste: its ASID and
	 * table are the guest's, not the kernel's to know) */
	if (d->guest_ste && iommu_domain_ste_cfg(d) == 4) {
		c->type = IOMMU_CTX_TRANSLATE;
		c->did = d->parent->did;
		c->s2_root = d->parent->pt.root;
	} else if (d->guest_ste && iommu_domain_ste_cfg(d) == 5) {
		c->type = IOMMU_CTX_NESTED;
		c->did = IOMMU_GUEST_TAG(d->parent->did, 0);
		c->s2_root = d->parent->pt.root;
		c->vste = true;
	}
}

/* Does what the hardware reads back (@have: 0 from the read, else @r) say
 * what @want says?  Under a guest's STE the CD is the guest's: only its
 * VMID and stage 2 are the kernel's, and a CD the guest left missing or
 * malformed stops its own DMA only. */
static bool ctx_is(int r, const struct iommu_context *have, const struct iommu_context *want)
{
	if (want->vste)          /* (S1DSS bypass: the parent's stage 2 alone) */
		return r || have->type == IOMMU_CTX_BLOCKED ||
		       (have->type == IOMMU_CTX_NESTED &&
			IOMMU_GUEST_TAG_VMID(have->did) == IOMMU_GUEST_TAG_VMID(want->did) &&
			have->s2_root == want->s2_root) ||
		       (have->type == IOMMU_CTX_TRANSLATE &&
			have->did == IOMMU_GUEST_TAG_VMID(want->did) &&
			have->s2_root == want->s2_root);
	return !r && have->type == want->type && have->did == want->did &&
	       have->s1_root == want->s1_root && have->s2_root == want->s2_root;
}

static int check_rid(struct pci_dev *visited, uint16_t rid, void *arg)
{
	struct rid_check *rc = arg;
	struct iommu_context have;
	uint16_t seg = PCI_SBDF_DOMAIN(visited->sbdf);
	uint32_t key = (uint32_t)seg << 16 | rid;
	int r;

	for (guint i = 0; i < rc->seen->len; i++)
		if (g_array_index(rc->seen, uint32_t, i) == key)
			return 0;
	g_array_append_val(rc->seen, key);
	r = iommu_hw_get_context(rc->w, seg, rid, &have);
	if (r && !rc->want.vste) {
		/* VT-d and RISC-V block by making the entry not present */
		if (rc->want.type == IOMMU_CTX_BLOCKED)
			return 0;
		g_string_append_printf(rc->out, "§H2: group %u: RID %02x:%02x.%u has no "
				       "context entry\n", rc->g->id, rid >> 8,
				       PCI_SLOT(rid & 0xff), PCI_FUNC(rid & 0xff));
		rc->bad++;
	} else if (!ctx_is(r, &have, &rc->want)) {
		g_string_append_printf(rc->out, "§H2: group %u: RID %02x:%02x.%u selects "
				       "%s did %u, not the group's domain (%s did %u)\n",
				       rc->g->id, rid >> 8, PCI_SLOT(rid & 0xff),
				       PCI_FUNC(rid & 0xff), iommu_ctx_type_name(have.type),
				       have.did, iommu_ctx_type_name(rc->want.type), rc->want.did);
		rc->bad++;
	}
	return 0;
}

static int check_group_contexts(struct sim_world *w, struct iommu_group *g, GString *out)
{
	struct rid_check rc = { .w = w, .g = g, .out = out };

	if (!g->domain)
		return 0;   /* no domains in this world */
	want_ctx(g->domain, &rc.want);
	rc.seen = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (size_t i = 0; i < g->ndevices; i++)
		pci_for_each_dma_alias(g->devices[i], check_rid, &rc);
	g_array_free(rc.seen, TRUE);
	if (g->owner && g->domain == g->default_domain) {
		g_string_append_printf(out, "§H7: group %u is user-owned but still on its "
				       "kernel default domain\n", g->id);
		rc.bad++;
	}
	return rc.bad;
}

static int check_partition(struct sim_world *w, GString *out)
{
	size_t n = pci_dev_count(w);
	unsigned *labels = g_new0(unsigned, n ? n : 1);
	int bad = 0;

	if (iommu_compute_groups(w, iommu_core_mode(w), labels) == 0)
		for (size_t i = 0; i < n; i++) {
			struct pci_dev *d = pci_dev_at(w, i);
			if (labels[i] == IOMMU_NO_GROUP && !d->group)
				continue;          /* behind no IOMMU */
			if (!d->group || d->group->id != labels[i]) {
				g_string_append_printf(out, "§H3: %s is in group %d, the topology "
						       "gives group %u\n", d->name,
						       d->group ? (int)d->group->id : -1, labels[i]);
				bad++;
			}
		}
	if (iommu_core_mode(w) == IOMMU_GROUP_STRICT && n <= STRICT_PAIR_LIMIT)
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++) {
				struct pci_dev *a = pci_dev_at(w, i), *b = pci_dev_at(w, j);
				if (a->no_iommu || b->no_iommu)
					continue;      /* no IOMMU isolates them anyway */
				if (a->group != b->group && iommu_p2p_reachable(w, a, b)) {
					g_string_append_printf(out, "§H4: %s and %s reach each "
							       "other but are in groups %d and %d\n",
							       a->name, b->name,
							       a->group ? (int)a->group->id : -1,
							       b->group ? (int)b->group->id : -1);
					bad++;
				}
			}
	g_free(labels);
	return bad;
}

/*
 * §H26 (and through sva.c §H20, §H21, §H25): every PASID entry past PASID 0 the hardware holds (read back from
 * memory) is the entry of the domain the kernel has attached at that
 * (device, PASID).  One left behind where the kernel has none - the PASID
 * released while the domain was still bound to it - keeps selecting that
 * domain, or, once the domain is freed, its freed domain id and tables.
 */
struct pasid_check {
	struct sim_world *w;
	GString *out;
	int bad;
};

static int check_pasid(uint16_t seg, uint16_t rid, uint32_t pasid, void *arg)
{
	struct pasid_check *pc = arg;
	struct pci_dev *dev = pci_dev_find(pc->w, (uint32_t)seg << 16 | rid);
	struct iommu_domain *d;
	struct iommu_context have, want;

	/* a RID no device of a group has is the hardware's alone (tests
	 * program those directly): the kernel attaches PASIDs of devices */
	if (!dev || !dev->group)
		return 0;
	pc->bad += iommu_sva_check_pasid(dev, pasid, pc->out);   /* §H20, §H21, §H25 */
	if (iommu_hw_get_pasid(pc->w, seg, rid, pasid, &have) || have.type == IOMMU_CTX_BLOCKED)
		return 0;              /* nothing there: no translation either */
	d = iommu_device_pasid_domain(dev, pasid);
	if (!d) {
		g_string_append_printf(pc->out, "§H26: %s pasid %u: the PASID entry selects %s "
				       "did %u%s, but the kernel has no domain attached there\n",
				       dev->name, pasid, iommu_ctx_type_name(have.type), have.did,
				       have.did && !iommu_domain_by_did(pc->w, have.did) ?
				       " (a freed domain)" : "");
		pc->bad++;
		return 0;
	}
	want_ctx(d, &want);
	if (d->type == IOMMU_DOMAIN_SVA) {
		want.type = IOMMU_CTX_S1;
		want.did = d->did;
		want.s1_root = d->pt.root;
	}
	if (!ctx_is(0, &have, &want)) {
		g_string_append_printf(pc->out, "§H26: %s pasid %u: the PASID entry selects %s "
				       "did %u, not the domain attached there (%s did %u)\n", dev->name,
				       pasid, iommu_ctx_type_name(have.type), have.did,
				       iommu_ctx_type_name(want.type), want.did);
		pc->bad++;
	}
	return 0;
}

int iommu_check_invariants(struct sim_world *w, GString *out)
{
	size_t n = iommu_group_count(w);
	int bad = 0;

	for (size_t id = 0; id < n; id++)
		bad += check_group_contexts(w, iommu_group_by_id(w, (unsigned)id), out);
	bad += check_partition(w, out);
	/* §H8, §H9: stale answers the caches gave, then every cache entry */
	if (sim_world_subsys(w, SIM_SUBSYS_IOMMU_HW)) {
		struct pasid_check pc = { .w = w, .out = out };

		iommu_hw_for_each_pasid(w, check_pasid, &pc);
		bad += pc.bad;
		bad += iommu_hw_take_violations(w, out);
		bad += iommu_hw_check_caches(w, out);
	}
	return bad;
}
