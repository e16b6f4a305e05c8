/* SPDX-License-Identifier: MIT */
/* I/O page faults, the kernel's side (io_pgfault.h). */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/mm.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/iommu/io_pgfault.h"

struct iopf_state {
	GArray *partial;             /* struct iommu_page_req, every device's, in arrival order */
	struct iopf_stats st;
};

static struct iopf_state *iopf_of(struct sim_world *w)
{
	void **slot = iommu_iopf_slot(w);

	return slot ? *slot : NULL;
}

void iopf_group_free(struct iopf_group *g)
{
	if (!g)
		return;
	g_array_free(g->reqs, TRUE);
	g_free(g);
}

int iopf_group_response(struct iopf_group *g, uint8_t code)
{
	int ret = g->answered ? -EINVAL :
		  iommu_hw_page_response(g->w, g->segment, g->rid, g->pasid_valid, g->pasid,
					 g->prgi, code);

	g->answered = true;
	return ret;
}

/* iommu_sva_handle_mm: one page of an SVA domain's fault. */
static uint8_t sva_handle_mm(struct sim_mm *mm, const struct iommu_page_req *r)
{
	const struct sim_vma *v;
	unsigned access = (r->read ? SIM_PROT_READ : 0) | (r->write ? SIM_PROT_WRITE : 0);
	uint8_t status = IOMMU_PAGE_RESP_INVALID;

	if (!r->pasid_valid || !sim_mm_get_user(mm))    /* mmget_not_zero */
		return status;
	v = sim_mm_find_vma(mm, r->addr);
	/* no VMA: an unmapped area; missing permissions: an access fault;
	 * a fault error (VM_FAULT_ERROR: SIGSEGV, SIGBUS, OOM): Invalid */
	if (v && !(access & ~v->prot) && !sim_mm_fault(mm, r->addr, r->write, NULL))
		status = IOMMU_PAGE_RESP_SUCCESS;
	sim_mm_exit(mm);                                 /* mmput */
	return status;
}

int iommu_sva_iopf_handler(struct iommu_domain *d, struct iopf_group *g)
{
	uint8_t status = IOMMU_PAGE_RESP_SUCCESS;

	for (guint i = 0; i < g->reqs->len && status == IOMMU_PAGE_RESP_SUCCESS; i++)
		status = sva_handle_mm(d->mm, &g_array_index(g->reqs, struct iommu_page_req, i));
	return status;
}

/* iommu_report_device_fault for one queue entry. */
static void report(struct sim_world *w, struct iopf_state *s, const struct iommu_page_req *r)
{
	struct pci_dev *dev = pci_dev_find(w, (uint32_t)r->segment << 16 | r->rid);
	struct iommu_domain *d = NULL;
	struct iopf_group *g;
	const char *who = "none";
	int code;

	if (r->stop) {               /* nothing to answer */
		s->st.stop_markers++;
		return;
	}
	if (!r->last) {
		g_array_append_val(s->partial, *r);
		return;
	}
	g = g_new0(struct iopf_group, 1);
	g->w = w;
	g->dev = dev;
	g->segment = r->segment;
	g->rid = r->rid;
	g->pasid_valid = r->pasid_valid;
	g->pasid = r->pasid;
	g->prgi = r->prgi;
	g->reqs = g_array_new(FALSE, FALSE, sizeof(struct iommu_page_req));
	for (guint i = 0; i < s->partial->len;) {
		const struct iommu_page_req *p = &g_array_index(s->partial, struct iommu_page_req, i);

		if (p->segment == r->segment && p->rid == r->rid && p->prgi == r->prgi) {
			g_array_append_val(g->reqs, *p);
			g_array_remove_index(s->partial, i);
		} else {
			i++;
		}
	}
	g_array_append_val(g->reqs, *r);
	s->st.groups++;
	if (dev && r->pasid_valid)
		d = iommu_device_pasid_domain(dev, r->pasid);
	else if (dev && dev->group)
		d = dev->group->domain;
	if (!d || !d->iopf_handler) {
		code = IOMMU_PAGE_RESP_INVALID;      /* no one to handle it */
		s->st.auto_invalid++;
	} else {
		who = iommu_domain_type_name(d->type);
		code = d->iopf_handler(d, g);
	}
	SIM_TRACE(w, iommu_iopf, dev ? dev->name : "?", r->pasid_valid ? (int)r->pasid : -1,
		  r->prgi, g->reqs->len, who, code);
	if (code == IOPF_DEFERRED) {
		s->st.deferred++;
		return;              /* the handler owns the group now */
	}
	if (d && d->iopf_handler)
		s->st.handled++;
	iopf_group_response(g, (uint8_t)code);
	iopf_group_free(g);
}

/* The page request interrupt: drain the queue, then the overflow bit
 * (iopf_queue_discard_partial). */
static void prq_handler(struct sim_world *w, void *ctx)
{
	struct iopf_state *s = ctx;
	struct iommu_page_req r;

	while (!iommu_hw_prq_pop(w, &r))
		report(w, s, &r);
	if (iommu_hw_prq_overflow(w, true)) {
		s->st.partial_discarded += s->partial->len;
		g_array_set_size(s->partial, 0);
	}
}

void iommu_iopf_init(struct sim_world *w)
{
	void **slot = iommu_iopf_slot(w);
	struct iopf_state *s;

	if (!slot || !iommu_hw_config(w))
		return;
	if (!(s = *slot)) {
		s = g_new0(struct iopf_state, 1);
		s->partial = g_array_new(FALSE, FALSE, sizeof(struct iommu_page_req));
		*slot = s;
	}
	iommu_hw_set_prq_handler(w, prq_handler, s);
}

void iommu_iopf_fini(struct sim_world *w)
{
	void **slot = iommu_iopf_slot(w);
	struct iopf_state *s = slot ? *slot : NULL;

	if (!s)
		return;
	iommu_hw_set_prq_handler(w, NULL, NULL);
	g_array_free(s->partial, TRUE);
	g_free(s);
	*slot = NULL;
}

/* The Outstanding Page Request Capacity of the model's PRI capability. */
#define PRI_CAPACITY 32

int iommu_iopf_enable(struct pci_dev *dev)
{
	struct sim_world *w = dev && dev->group ? iommu_group_world(dev->group) : NULL;
	const struct iommu_hw_config *hc = iommu_hw_config(w);

	if (!hc)
		return -ENODEV;
	if (!dev->pri || !iommu_device_ats(dev))
		return hc->kind == IOMMU_HW_SMMUV3 ? -EINVAL : -ENODEV;
	if (hc->kind == IOMMU_HW_RISCV)
		return -ENODEV;
	return iommu_hw_pri_enable(w, PCI_SBDF_DOMAIN(dev->sbdf), (uint16_t)(dev->sbdf & 0xffff),
				   PRI_CAPACITY);
}

void iommu_iopf_stats(struct sim_world *w, struct iopf_stats *out)
{
	struct iopf_state *s = iopf_of(w);

	memset(out, 0, sizeof(*out));
	if (s)
		*out = s->st;
}
