/* SPDX-License-Identifier: MIT */
/*
 * `iommusim explain FILE --step N`: every memory reference and cache
 * decision of the translations one step makes, numbered, level by level
 * (docs/explain.md has a worked example).  An observer on the hardware
 * model (hw.h iommu_hw_set_observer) prints each event as it happens.
 *
 * Each IOMMU kind is explained in its own architecture's words: the same
 * two-level device table and two-level PASID table are VT-d's root/context
 * and PASID directory/entry, SMMUv3's level-1 stream table descriptor and
 * STE, level-1 CD table descriptor and CD (indexed by SubstreamID), and
 * RISC-V's non-leaf DDT entry and device context, non-leaf PDT entry and
 * process context (indexed by process_id).  Page-table levels are numbered
 * as each specification does: VT-d 4..1 from the root, Arm's lookup levels
 * 0..3 (3 holds the pages), RISC-V's i = LEVELS-1..0.
 */
#include <stdio.h>

#include "model/iommu/hw.h"
#include "tools/scenario/runner.h"

static const char *prot_str(unsigned p)
{
	static const char *const s[] = { "--", "r-", "-w", "rw" };

	return s[p & 3];
}

static void size_str(uint64_t size, char *buf, size_t n)
{
	if (size >= SZ_1G && !(size % SZ_1G))
		snprintf(buf, n, "%lluG", (unsigned long long)(size / SZ_1G));
	else if (size >= SZ_2M && !(size % 0x100000))
		snprintf(buf, n, "%lluM", (unsigned long long)(size / 0x100000));
	else
		snprintf(buf, n, "%lluK", (unsigned long long)(size / 1024));
}

/* One architecture's names for what the walk reads (docs/explain.md). */
struct arch_names {
	const char *root, *context, *pasid_dir, *pasid_entry;
	const char *pasid;           /* the process address-space id */
	const char *pasid_cache, *iotlb, *psc;
	const char *atc;             /* an ATS device's own translation cache */
	const char *ctx_refs, *pasid_refs;   /* the tally's words */
	int level_base;              /* printed level = level_sign * level + base */
	int level_sign;
	const char *ctx_cache;       /* decoded device entries */
};

static const struct arch_names vtd_names = {
	"root", "context", "pasid-dir", "pasid-entry", "pasid", "pasid-cache", "IOTLB",
	"paging-structure cache", "device-TLB", "context", "PASID", 0, 1, "context-cache",
};
/* Arm SMMUv3: a 2-level stream table split at StreamID bit 8 (the bus), a
 * 2-level CD table; lookup levels 0 (root of a 4-level walk) to 3. */
static const struct arch_names smmuv3_names = {
	"strtab-l1", "ste", "cd-l1", "cd", "ssid", "CD cache", "TLB", "walk cache",
	"ATC", "stream-table", "CD", 4, -1, "STE cache",
};
/* RISC-V IOMMU: a 2-level DDT ending in a device context, a 2-level PDT
 * ending in a process context; Sv levels LEVELS-1 down to 0. */
static const struct arch_names riscv_names = {
	"ddt-nonleaf", "ddt-dc", "pdt-nonleaf", "pdt-pc", "process_id", "PDTC", "IOATC",
	"paging-structure cache", "ATC", "DDT", "PDT", -1, 1, "DDTC",
};

static const struct arch_names *arch_names_of(unsigned kind)
{
	return kind == IOMMU_HW_SMMUV3 ? &smmuv3_names
	     : kind == IOMMU_HW_RISCV ? &riscv_names : &vtd_names;
}

static int arch_level(const struct arch_names *a, unsigned level)
{
	return a->level_sign * (int)level + a->level_base;
}

struct explain {
	FILE *out;
	const struct arch_names *names;
	unsigned translations;
	/* this translation's references by kind, and its cache hits */
	unsigned ctx, pasid, s1, s2, psc;
};

/* The tally printed under each translation's result: the (g+1)(h+1)-1 of
 * a cold nested walk is s1 + s2 (spec §E.3). */
static void tally(struct explain *x)
{
	if (x->ctx + x->pasid + x->s1 + x->s2)
		fprintf(x->out, "       references: %u %s, %u %s, %u page-table "
			"(%u S1 + %u S2); %u %s hit(s)\n", x->ctx, x->names->ctx_refs, x->pasid,
			x->names->pasid_refs, x->s1 + x->s2, x->s1, x->s2, x->psc,
			x->names->psc);
	x->ctx = x->pasid = x->s1 = x->s2 = x->psc = 0;
}

static void ref(FILE *f, const struct iommu_walk_event *e, const char *what)
{
	fprintf(f, "  [%2u] %-12s hpa 0x%09llx = 0x%016llx", e->ref, what,
		(unsigned long long)e->addr, (unsigned long long)e->value);
}

static void on_event(void *ctx, const struct iommu_walk_event *e)
{
	struct explain *x = ctx;
	const struct arch_names *a = x->names;
	FILE *f = x->out;
	char sz[24];

	switch (e->ev) {
	case IOMMU_EV_BEGIN:
		fprintf(f, "translation %u: %02x:%02x.%u", ++x->translations, e->rid >> 8,
			(e->rid >> 3) & 0x1f, e->rid & 7);
		if (e->pasid_valid)
			fprintf(f, " %s %u", a->pasid, e->pasid);
		fprintf(f, " %s 0x%llx\n", e->write ? "write" : "read",
			(unsigned long long)e->input);
		break;
	case IOMMU_EV_ROOT:
		x->ctx++;
		ref(f, e, a->root);
		fprintf(f, "  index %u\n", e->index);
		break;
	case IOMMU_EV_CONTEXT:
		x->ctx++;
		ref(f, e, a->context);
		fprintf(f, "  index %u\n", e->index);
		break;
	case IOMMU_EV_PASID_DIR:
		x->pasid++;
		ref(f, e, a->pasid_dir);
		fprintf(f, "  index %u\n", e->index);
		break;
	case IOMMU_EV_PASID_ENTRY:
		x->pasid++;
		ref(f, e, a->pasid_entry);
		fprintf(f, "  index %u", e->index);
		if (e->ctx)
			fprintf(f, ": %s did %u", iommu_ctx_type_name(e->ctx->type), e->ctx->did);
		fputc('\n', f);
		break;
	case IOMMU_EV_CTX_CACHE_HIT:
		fprintf(f, "       %s hit: %02x:%02x.%u\n", a->ctx_cache, e->rid >> 8,
			(e->rid >> 3) & 0x1f, e->rid & 7);
		break;
	case IOMMU_EV_PASID_CACHE_HIT:
		fprintf(f, "       %s hit: %s did %u\n", a->pasid_cache,
			iommu_ctx_type_name(e->ctx->type), e->ctx->did);
		break;
	case IOMMU_EV_ATC_HIT:
		fprintf(f, "translation %u: %02x:%02x.%u %s 0x%llx: %s hit -> 0x%llx "
			"(%s), translated request bypasses the IOMMU\n", ++x->translations,
			e->rid >> 8, (e->rid >> 3) & 0x1f, e->rid & 7, e->write ? "write" : "read",
			(unsigned long long)e->input, a->atc,
			(unsigned long long)(e->out + (e->input & (e->size - 1))), prot_str(e->prot));
		break;
	case IOMMU_EV_ATC_MISS:
		fprintf(f, "translation %u: %02x:%02x.%u %s 0x%llx: %s miss, ATS "
			"translation request\n", ++x->translations, e->rid >> 8,
			(e->rid >> 3) & 0x1f, e->rid & 7, e->write ? "write" : "read",
			(unsigned long long)e->input, a->atc);
		break;
	case IOMMU_EV_IOTLB_HIT:
		size_str(e->size, sz, sizeof(sz));
		fprintf(f, "       %s hit: 0x%llx -> 0x%llx (%s %s)\n", a->iotlb,
			(unsigned long long)e->input,
			(unsigned long long)(e->out + (e->input & (e->size - 1))), sz,
			prot_str(e->prot));
		break;
	case IOMMU_EV_IOTLB_MISS:
		fprintf(f, "       %s miss: walk\n", a->iotlb);
		break;
	case IOMMU_EV_PSC_HIT:
		x->psc++;
		fprintf(f, "       %s hit: stage %u level-%d table at hpa 0x%llx", a->psc,
			e->stage, arch_level(a, e->level), (unsigned long long)e->table_hpa);
		if (e->table_gpa)
			fprintf(f, " (gpa 0x%llx)", (unsigned long long)e->table_gpa);
		fputc('\n', f);
		break;
	case IOMMU_EV_DESC:
		if (e->stage == 1)
			x->s1++;
		else
			x->s2++;
		fprintf(f, "  [%2u] S%u L%d%s idx %3u table hpa 0x%09llx", e->ref, e->stage,
			arch_level(a, e->level), e->s1_fetch ? "*" : " ", e->index,
			(unsigned long long)e->table_hpa);
		if (e->table_gpa)
			fprintf(f, " (gpa 0x%llx)", (unsigned long long)e->table_gpa);
		fprintf(f, " = 0x%016llx", (unsigned long long)e->value);
		if (e->leaf) {
			size_str(e->size, sz, sizeof(sz));
			fprintf(f, " leaf %s %s -> 0x%llx", sz, prot_str(e->prot),
				(unsigned long long)e->out);
		} else if (e->out) {
			fprintf(f, " -> table 0x%llx", (unsigned long long)e->out);
		} else {
			fprintf(f, " not present");
		}
		if (e->s1_fetch)
			fprintf(f, "  (for the S1 table at gpa 0x%llx)",
				(unsigned long long)e->input);
		fputc('\n', f);
		break;
	case IOMMU_EV_DONE:
		size_str(e->size, sz, sizeof(sz));
		fprintf(f, "       => hpa 0x%llx (%s %s)\n", (unsigned long long)e->out, sz,
			prot_str(e->prot));
		tally(x);
		break;
	case IOMMU_EV_PAGE_REQUEST:
		fprintf(f, "       page request: prgi %u, page 0x%llx, %s, last\n", e->index,
			(unsigned long long)e->input, e->write ? "write" : "read");
		break;
	case IOMMU_EV_PAGE_RESPONSE:
		if (!e->ref)
			fprintf(f, "       page response: none yet (the function waits)\n");
		else
			fprintf(f, "       page response: %s%s\n",
				e->value == IOMMU_PAGE_RESP_SUCCESS ? "Success" :
				e->value == IOMMU_PAGE_RESP_INVALID ? "Invalid Request" :
				"Response Failure",
				e->value == IOMMU_PAGE_RESP_SUCCESS ? ": translation requested again" :
				"");
		break;
	case IOMMU_EV_FAULT:
		fprintf(f, "       => %s fault, stage %u, %s, at 0x%llx%s\n",
			iommu_fault_reason_name(e->fault->reason), e->fault->stage,
			e->fault->phase == IOMMU_PHASE_S1_FETCH ? "stage-1 descriptor fetch"
								: "final access",
			(unsigned long long)e->fault->stage_addr,
			e->fault->ats ? " (ATS: no access, nothing queued)" : "");
		tally(x);
		break;
	}
}

void scenario_explain_begin(struct runner *r, const struct scn_step *st, const char *desc)
{
	struct explain *x = g_new0(struct explain, 1);

	x->out = r->opt->explain;
	x->names = arch_names_of(r->s->profile.hw_kind);
	fprintf(x->out, "step %u (line %u): %s\n", st->index, st->pos.line, desc);
	r->explain = x;
	iommu_hw_set_observer(r->w, on_event, x);
}

void scenario_explain_end(struct runner *r)
{
	struct explain *x = r->explain;

	if (!x)
		return;
	iommu_hw_set_observer(r->w, NULL, NULL);
	if (!x->translations)
		fprintf(x->out, "(this step translated nothing)\n");
	g_free(x);
	r->explain = NULL;
}
