/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU hardware model, part five (hw.h): PCIe page requests (PRI,
 * spec §F).  Three parties:
 *
 *  - The function's PRI capability: enabled with an outstanding page
 *    request allocation (pci_enable_pri), the requests it has sent and not
 *    had answered, each page request group's index (PRGI, 9 bits) in use,
 *    and Response Failure, after which it sends no more (PRI disabled).
 *  - The IOMMU's page request queue (VT-d's PRQ, SMMUv3's PRIQ): entries
 *    in arrival order, at most cfg.prq_entries.  A request that finds it
 *    full is dropped and the overflow bit set; a dropped group's last
 *    request is answered Success by the IOMMU itself (both kinds do: the
 *    device retries and may fault again).  A stop marker is queued like a
 *    request (the kernel discards it).
 *  - The responses the kernel sends back: Success, Invalid Request or
 *    Response Failure, for (RID, PRGI) (with the PASID when the request had
 *    one).  One for a group nothing is waiting on is unexpected: the
 *    device ignores it and the checker counts it (§H22).
 *
 * The kernel drains the queue from its handler (iommu_hw_set_prq_handler),
 * which runs when a request arrives, as the PRQ interrupt does.  A DMA
 * whose ATS translation request is answered with no access, from a
 * function with PRI enabled, sends a one-page group (last page set), and
 * goes on with the answer: Success, another translation request (the page
 * may have been made); Invalid, the DMA ends with an error; Failure, PRI
 * is disabled and the DMA ends; no answer yet (the kernel passed the
 * fault on to a user queue), the function waits and the DMA ends pending.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/trace.h"
#include "model/iommu/hw_internal.h"

#define PRGI_COUNT 512u

struct pri_grp {
	bool waiting;                /* sent, not answered */
	bool answered;               /* an answer came, not yet taken by the DMA */
	uint8_t code;
	bool pasid_valid;
	uint32_t pasid;
};

struct pri_dev {
	bool enabled, failed;
	unsigned alloc, outstanding;
	uint16_t next_prgi;
	struct pri_grp grp[PRGI_COUNT];
};

struct hw_pri {
	GHashTable *devs;            /* dev_key -> struct pri_dev */
	struct iommu_page_req *q;    /* ring of cfg.prq_entries */
	size_t head, count, cap;
	bool overflow;
	iommu_prq_handler handler;
	void *ctx;
	bool in_handler;
	uint64_t requests, responses, auto_responses, overflows, unexpected;
	GString *unexpected_log;     /* §H22 lines, taken by the checker ... */
	int unreported;              /* ... and how many */
};

static struct hw_pri *pri_of(struct iommu_hw *hw)
{
	if (!hw->pri) {
		struct hw_pri *p = g_new0(struct hw_pri, 1);

		p->devs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
		p->cap = hw->cfg.prq_entries ? hw->cfg.prq_entries : IOMMU_HW_DEFAULT_PRQ;
		p->q = g_new0(struct iommu_page_req, p->cap);
		p->unexpected_log = g_string_new(NULL);
		hw->pri = p;
	}
	return hw->pri;
}

void hw_pri_free(struct iommu_hw *hw)
{
	struct hw_pri *p = hw->pri;

	if (!p)
		return;
	g_hash_table_destroy(p->devs);
	g_free(p->q);
	g_string_free(p->unexpected_log, TRUE);
	g_free(p);
	hw->pri = NULL;
}

static struct pri_dev *pri_dev(struct hw_pri *p, uint16_t seg, uint16_t rid, bool make)
{
	gpointer k = GUINT_TO_POINTER(dev_key(seg, rid));
	struct pri_dev *d = g_hash_table_lookup(p->devs, k);

	if (!d && make) {
		d = g_new0(struct pri_dev, 1);
		g_hash_table_insert(p->devs, k, d);
	}
	return d;
}

void iommu_hw_set_prq_handler(struct sim_world *w, iommu_prq_handler fn, void *ctx)
{
	struct iommu_hw *hw = iommu_hw_get(w);

	if (hw) {
		pri_of(hw)->handler = fn;
		pri_of(hw)->ctx = ctx;
	}
}

int iommu_hw_pri_enable(struct sim_world *w, uint16_t seg, uint16_t rid, unsigned alloc)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct pri_dev *d;

	if (!hw || !alloc)
		return -EINVAL;
	d = pri_dev(pri_of(hw), seg, rid, true);
	if (d->enabled && !d->failed)
		return 0;
	memset(d, 0, sizeof(*d));    /* pci_enable_pri: Response Failure cleared too */
	d->enabled = true;
	d->alloc = alloc;
	return 0;
}

void iommu_hw_pri_disable(struct sim_world *w, uint16_t seg, uint16_t rid)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct pri_dev *d = hw ? pri_dev(pri_of(hw), seg, rid, false) : NULL;

	if (d)
		d->enabled = false;
}

int iommu_hw_pri_state(struct sim_world *w, uint16_t seg, uint16_t rid, struct iommu_pri_state *out)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct pri_dev *d = hw ? pri_dev(pri_of(hw), seg, rid, false) : NULL;

	memset(out, 0, sizeof(*out));
	if (!d)
		return -ENOENT;
	out->enabled = d->enabled && !d->failed;
	out->failed = d->failed;
	out->alloc = d->alloc;
	out->outstanding = d->outstanding;
	return 0;
}

/* The kernel's handler, once per arrival (not while it runs: it drains
 * everything that came meanwhile itself). */
static void prq_kick(struct iommu_hw *hw)
{
	struct hw_pri *p = pri_of(hw);

	if (!p->handler || p->in_handler || !p->count)
		return;
	p->in_handler = true;
	p->handler(hw->w, p->ctx);
	p->in_handler = false;
}

static void answer(struct pri_dev *d, uint16_t prgi, uint8_t code)
{
	struct pri_grp *g = &d->grp[prgi];

	g->waiting = false;
	g->answered = true;
	g->code = code;
	d->outstanding--;
	if (code == IOMMU_PAGE_RESP_FAILURE)
		d->failed = true;     /* the function disables PRI */
}

int iommu_hw_page_request(struct sim_world *w, const struct iommu_page_req *r)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct hw_pri *p;
	struct pri_dev *d;

	if (!hw || !r || r->prgi >= PRGI_COUNT)
		return -EINVAL;
	p = pri_of(hw);
	d = pri_dev(p, r->segment, r->rid, false);
	if (!d || !d->enabled || d->failed)
		return -EPERM;             /* PRI not enabled: the function sends nothing */
	if (r->last && !r->stop) {
		if (d->grp[r->prgi].waiting || d->outstanding >= d->alloc)
			return -EBUSY;     /* beyond what it may have outstanding */
		d->grp[r->prgi] = (struct pri_grp){ .waiting = true, .pasid_valid = r->pasid_valid,
						     .pasid = r->pasid };
		d->outstanding++;
	}
	p->requests++;
	SIM_TRACE(w, iommu_hw_page_request, r->segment, r->rid >> 8, (r->rid >> 3) & 0x1f,
		  r->rid & 7, r->pasid_valid ? (int)r->pasid : -1,
		  (unsigned long long)r->addr, r->read ? "r" : "", r->write ? "w" : "", r->prgi,
		  r->last, r->stop);
	if (p->count == p->cap) {
		/* full: dropped; the IOMMU answers a last request itself */
		p->overflow = true;
		p->overflows++;
		if (r->last && !r->stop) {
			p->auto_responses++;
			answer(d, r->prgi, IOMMU_PAGE_RESP_SUCCESS);
		}
		prq_kick(hw);
		return -ENOSPC;
	}
	p->q[(p->head + p->count) % p->cap] = *r;
	p->count++;
	prq_kick(hw);
	return 0;
}

int iommu_hw_prq_pop(struct sim_world *w, struct iommu_page_req *out)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct hw_pri *p = hw ? pri_of(hw) : NULL;

	if (!p || !p->count)
		return -ENOENT;
	*out = p->q[p->head];
	p->head = (p->head + 1) % p->cap;
	p->count--;
	return 0;
}

bool iommu_hw_prq_overflow(struct sim_world *w, bool clear)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct hw_pri *p = hw ? pri_of(hw) : NULL;
	bool o = p && p->overflow;

	if (p && clear)
		p->overflow = false;
	return o;
}

int iommu_hw_page_response(struct sim_world *w, uint16_t seg, uint16_t rid, bool pasid_valid,
			   uint32_t pasid, uint16_t prgi, uint8_t code)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct hw_pri *p;
	struct pri_dev *d;
	struct pri_grp *g;

	if (!hw || prgi >= PRGI_COUNT || (code != IOMMU_PAGE_RESP_SUCCESS &&
					  code != IOMMU_PAGE_RESP_INVALID &&
					  code != IOMMU_PAGE_RESP_FAILURE))
		return -EINVAL;
	p = pri_of(hw);
	d = pri_dev(p, seg, rid, false);
	g = d ? &d->grp[prgi] : NULL;
	SIM_TRACE(w, iommu_hw_page_response, seg, rid >> 8, (rid >> 3) & 0x1f, rid & 7,
		  pasid_valid ? (int)pasid : -1, prgi, code);
	p->responses++;
	if (!g || !g->waiting || g->pasid_valid != pasid_valid ||
	    (pasid_valid && g->pasid != pasid)) {
		p->unexpected++;
		p->unreported++;
		g_string_append_printf(p->unexpected_log, "§H22: a page response (code %u) to "
				       "%02x:%02x.%u prgi %u pasid %d, which has no such group "
				       "waiting\n", code, rid >> 8, (rid >> 3) & 0x1f, rid & 7,
				       prgi, pasid_valid ? (int)pasid : -1);
		return 0;               /* the function ignores it */
	}
	answer(d, prgi, code);
	return 0;
}

int hw_pri_take_violations(struct iommu_hw *hw, GString *out)
{
	struct hw_pri *p = hw->pri;
	int n = p ? p->unreported : 0;

	if (!n)
		return 0;
	g_string_append(out, p->unexpected_log->str);
	g_string_truncate(p->unexpected_log, 0);
	p->unreported = 0;
	return n;
}

/*
 * The function's side of a DMA page whose translation request came back
 * with no access: one page request group, then the answer.  0: Success
 * (ask again); else -EFAULT with the reason the DMA ends with.
 */
int hw_pri_fault(struct iommu_hw *hw, uint16_t seg, uint16_t rid, bool pasid_valid,
		 uint32_t pasid, uint64_t addr, bool write, enum iommu_fault_reason *why)
{
	struct hw_pri *p = pri_of(hw);
	struct pri_dev *d = pri_dev(p, seg, rid, false);
	struct iommu_page_req r = { .segment = seg, .rid = rid, .pasid_valid = pasid_valid,
				    .pasid = pasid, .addr = addr & ~(SZ_4K - 1), .read = !write,
				    .write = write, .last = true };
	struct pri_grp *g;
	unsigned tries;
	int ret;

	if (!d || !d->enabled || d->failed)
		return 1;                 /* no PRI: the DMA ends as it would */
	/* the next group index not waiting for an answer */
	for (tries = 0; tries < PRGI_COUNT && d->grp[d->next_prgi].waiting; tries++)
		d->next_prgi = (d->next_prgi + 1) % PRGI_COUNT;
	r.prgi = d->next_prgi;
	d->next_prgi = (d->next_prgi + 1) % PRGI_COUNT;
	HW_EMIT(hw, .ev = IOMMU_EV_PAGE_REQUEST, .segment = seg, .rid = rid,
		.pasid_valid = pasid_valid, .pasid = pasid, .write = write, .input = r.addr,
		.index = r.prgi);
	ret = iommu_hw_page_request(hw->w, &r);
	if (ret == -EBUSY || tries == PRGI_COUNT) {
		*why = IOMMU_FAULT_PRI_PENDING;   /* it must wait for an answer first */
		return -EFAULT;
	}
	g = &d->grp[r.prgi];
	HW_EMIT(hw, .ev = IOMMU_EV_PAGE_RESPONSE, .segment = seg, .rid = rid,
		.pasid_valid = pasid_valid, .pasid = pasid, .index = r.prgi,
		.ref = g->answered, .value = g->code);
	if (!g->answered) {
		*why = IOMMU_FAULT_PRI_PENDING;
		return -EFAULT;
	}
	g->answered = false;
	switch (g->code) {
	case IOMMU_PAGE_RESP_SUCCESS:
		return 0;
	case IOMMU_PAGE_RESP_INVALID:
		*why = IOMMU_FAULT_PRI_INVALID;
		return -EFAULT;
	default:
		*why = IOMMU_FAULT_PRI_FAILURE;
		return -EFAULT;
	}
}

void iommu_hw_pri_stats(struct sim_world *w, struct iommu_pri_stats *out)
{
	struct iommu_hw *hw = iommu_hw_get(w);
	struct hw_pri *p = hw ? hw->pri : NULL;

	memset(out, 0, sizeof(*out));
	if (!p)
		return;
	out->requests = p->requests;
	out->responses = p->responses;
	out->auto_responses = p->auto_responses;
	out->overflows = p->overflows;
	out->unexpected = p->unexpected;
	out->queued = p->count;
}
