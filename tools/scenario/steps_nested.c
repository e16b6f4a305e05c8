/* SPDX-License-Identifier: MIT */
/*
 * Two-stage translation steps (spec §E): a guest builds stage-1 tables in
 * its own memory and the kernel installs them on a PASID, nested over the
 * stage-2 domain the device's group is attached to (the type1 container's,
 * which maps the guest's memory GPA = IOVA).
 *
 *   - guest_table: gpt           # tables in guest memory
 *     buffer: gmem               # the VMM's buffer that backs guest RAM ...
 *     gpa: 0                     # ... mapped at this GPA (the MAP_DMA iova)
 *     pool: {offset: 0x80000, size: 0x10000}   # pages the tables may use
 *     levels: 4                  # default 4
 *   - guest_map: gpt             # write descriptors: GVA -> GPA
 *     va: 0x400000
 *     gpa: 0x10000
 *     size: 0x1000
 *     prot: rw                   # r, w or rw (default rw)
 *   - guest_unmap: gpt           # clear descriptors (no invalidation)
 *     va: 0x400000
 *     size: 0x1000
 *   - pasid_attach: "0000:00:03.0"   # nested domain over the group's
 *     pasid: 5                       # domain, on this PASID
 *     table: gpt
 *   - pasid_replace: ...            # same keys: swap the table atomically
 *   - pasid_detach: "0000:00:03.0"
 *     pasid: 5
 *   - guest_invalidate: "0000:00:03.0"   # HWPT_INVALIDATE of that domain
 *     pasid: 5
 *     va: 0x400000                        # optional: default everything
 *     size: 0x1000
 *
 * The guest writes its tables and nothing else: the caches learn of an
 * edit only through guest_invalidate, and the stale-translation checker
 * reports the translations that outlive a missing one.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/hw.h"
#include "tools/scenario/steps_internal.h"

/* ---- guest tables at run time ------------------------------------------------------- */

struct gtable {
	struct io_pgtable pt;
	struct io_pgtable_mem mem;
	struct sim_world *w;
	int pid;
	uint64_t va, gpa;            /* the buffer's VA and the GPA it backs */
	uint64_t pool_gpa, pool_pages;
	uint8_t *used;               /* per pool page */
	GHashTable *hpa;             /* GPA page -> pinned HPA */
	struct sim_mm *mm;           /* held while pages are pinned */
};

static int gt_alloc(void *ctx, unsigned frames, uint64_t *addr)
{
	struct gtable *g = ctx;
	struct sim_proc *p = sim_proc_find(g->w, g->pid);
	static const uint8_t zero[SIM_PAGE_SIZE];

	if (!p)
		return -ENOMEM;
	/* the first run of @frames free pages, aligned to its size */
	for (uint64_t i = 0; i + frames <= g->pool_pages; i += frames) {
		uint64_t j;

		for (j = 0; j < frames && !g->used[i + j]; j++)
			;
		if (j < frames)
			continue;
		for (j = 0; j < frames; j++) {
			uint64_t gpa = g->pool_gpa + (i + j) * SIM_PAGE_SIZE, hpa;

			/* where the page lives; the VMM's MAP_DMA of guest RAM
			 * keeps it pinned, the guest only writes it */
			if (sim_mm_pin_page(p, g->va + (gpa - g->gpa), true, &hpa)) {
				while (j--) {
					uint64_t back = g->pool_gpa + (i + j) * SIM_PAGE_SIZE;

					g_hash_table_remove(g->hpa, GSIZE_TO_POINTER(back));
					g->used[i + j] = 0;
				}
				return -ENOMEM;
			}
			sim_mm_unpin_page(g->mm, hpa);
			sim_mem_write(g->w, hpa, zero, sizeof(zero));
			g_hash_table_insert(g->hpa, GSIZE_TO_POINTER(gpa), GSIZE_TO_POINTER(hpa));
			g->used[i + j] = 1;
		}
		*addr = g->pool_gpa + i * SIM_PAGE_SIZE;
		return 0;
	}
	return -ENOMEM;
}

static void gt_free(void *ctx, uint64_t addr, unsigned frames)
{
	struct gtable *g = ctx;

	for (unsigned j = 0; j < frames; j++) {
		uint64_t gpa = addr + (uint64_t)j * SIM_PAGE_SIZE;
		g_hash_table_remove(g->hpa, GSIZE_TO_POINTER(gpa));
		g->used[(gpa - g->pool_gpa) / SIM_PAGE_SIZE] = 0;
	}
}

static uint64_t gt_to_hpa(void *ctx, uint64_t addr)
{
	struct gtable *g = ctx;

	return (uint64_t)GPOINTER_TO_SIZE(g_hash_table_lookup(g->hpa, GSIZE_TO_POINTER(addr)));
}

static void gtable_free(gpointer p)
{
	struct gtable *g = p;

	io_pgtable_destroy(&g->pt);
	g_hash_table_destroy(g->hpa);
	g_free(g->used);
	sim_mm_put(g->mm);
	g_free(g);
}

/* The runner's nested state: guest tables by name, and every (device,
 * PASID) a step attached, so the end of the run can take them down. */
struct nested_state {
	GHashTable *tables;          /* name -> struct gtable */
	GArray *locs;                /* uint64_t sbdf << 32 | pasid */
};

static struct nested_state *nstate(struct runner *r)
{
	if (!r->nested) {
		struct nested_state *n = g_new0(struct nested_state, 1);

		n->tables = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, gtable_free);
		n->locs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		r->nested = n;
	}
	return r->nested;
}

/* Detach and free what the steps attached, then the guest tables. */
void runner_nested_cleanup(struct runner *r)
{
	struct nested_state *n = r->nested;

	if (!n)
		return;
	for (guint i = 0; i < n->locs->len; i++) {
		uint64_t k = g_array_index(n->locs, uint64_t, i);
		struct pci_dev *dev = pci_dev_find(r->w, (uint32_t)(k >> 32));
		struct iommu_domain *d = iommu_device_pasid_domain(dev, (uint32_t)k);

		if (!d)
			continue;
		iommu_detach_device_pasid(d, dev, (uint32_t)k);
		if (!d->locs->len)
			iommu_domain_free(d);
	}
	g_array_free(n->locs, TRUE);
	g_hash_table_destroy(n->tables);
	g_free(n);
	r->nested = NULL;
}

/* ---- guest_table --------------------------------------------------------------------- */

const char *const keys_guest_table[] = { "buffer", "gpa", "pool", "levels", "save", NULL };

struct gt_args {
	const char *name, *buf;
	const char *save;            /* a name for the root's GPA ($save) */
	uint64_t gpa, pool_off, pool_size;
	unsigned levels;
	size_t buf_step;             /* the alloc step that bound @buf */
	unsigned line;               /* of the pool */
};

/* The index of the last alloc step before step @upto that bound @buf. */
static size_t buffer_binding(const struct scenario *s, const char *buf, size_t upto)
{
	for (size_t i = upto; i--;) {
		const char *b = alloc_step_buffer(&s->steps[i]);

		if (b && !strcmp(b, buf))
			return i;
	}
	return SIZE_MAX;
}

/*
 * Two guest tables over one pool would each hand out the same pages: each
 * table's engine would take the other's tables for garbage, and the pages
 * would be freed twice.  Refused at load time, at the second pool.
 */
static int check_pool_overlap(struct ldr *l, const struct ynode *pool, struct gt_args *a)
{
	const struct scenario *s = l->s;
	size_t self = s->nsteps - 1;

	a->buf_step = buffer_binding(s, a->buf, self);
	for (size_t i = 0; i < self; i++) {
		const struct scn_step *o = &s->steps[i];
		const struct gt_args *b = o->args;

		if (!o->kind || strcmp(o->kind->name, "guest_table") || !b || !b->buf ||
		    strcmp(b->buf, a->buf) || b->buf_step != a->buf_step)
			continue;
		if (a->pool_off < b->pool_off + b->pool_size &&
		    b->pool_off < a->pool_off + a->pool_size)
			return ldr_error(l, pool, "this pool (0x%llx+0x%llx of '%s') overlaps the "
					 "pool of guest table '%s' (line %u): two tables cannot "
					 "share their pages", (unsigned long long)a->pool_off,
					 (unsigned long long)a->pool_size, a->buf, b->name, b->line);
	}
	return 0;
}

int parse_guest_table(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	static const char *const pool_keys[] = { "offset", "size", NULL };
	struct gt_args *a = g_new0(struct gt_args, 1);
	const struct ynode *v, *p;
	uint64_t num;

	st->args = a;
	a->levels = 4;
	if (!(v = ldr_get(l, map, "buffer", "a guest_table step")) ||
	    ldr_handle_ref(l, v, HANDLE_BUF, &a->buf))
		return -1;
	if (!(v = ldr_get(l, map, "gpa", "a guest_table step")) ||
	    ldr_u64(l, v, &a->gpa, UINT64_MAX, true, "gpa"))
		return -1;
	if (a->gpa & (SIM_PAGE_SIZE - 1))
		return ldr_error(l, v, "gpa must be 4 KiB aligned");
	if (!(v = ldr_get(l, map, "pool", "a guest_table step")) ||
	    ldr_need(l, v, YN_MAP, "pool") || ldr_check_keys(l, v, pool_keys, "pool"))
		return -1;
	if (!(p = ldr_get(l, v, "offset", "pool")) ||
	    ldr_u64(l, p, &a->pool_off, 1ull << 40, true, "pool offset") ||
	    !(p = ldr_get(l, v, "size", "pool")) ||
	    ldr_u64(l, p, &a->pool_size, 1ull << 30, true, "pool size"))
		return -1;
	if ((a->pool_off | a->pool_size) & (SIM_PAGE_SIZE - 1) || !a->pool_size)
		return ldr_error(l, v, "the pool is whole 4 KiB pages, at least one");
	a->line = v->line;
	if (check_pool_overlap(l, v, a))
		return -1;
	if ((v = ynode_map_get(map, "levels"))) {
		if (ldr_u64(l, v, &num, 5, false, "levels"))
			return -1;
		if (num < 3)
			return ldr_error(l, v, "levels is 3, 4 or 5, not %s", v->str);
		a->levels = (unsigned)num;
	}
	if ((v = ynode_map_get(map, "save"))) {
		if (ldr_str(l, v, &a->save, "save"))
			return -1;
		a->save = ldr_keep(l, a->save);
	}
	return ldr_handle_bind(l, ynode_map_get(map, "guest_table"), HANDLE_GPT, &a->name);
}

long run_guest_table(struct runner *r, struct scn_step *st)
{
	struct gt_args *a = st->args;
	struct rhandle *h = g_hash_table_lookup(r->handles, a->buf);
	const struct iommu_hw_config *hc = iommu_hw_config(r->w);
	const struct io_pgtable_fmt *fmt;
	struct io_pgtable_cfg cfg = { .levels = a->levels };
	struct sim_proc *p;
	struct gtable *g;
	int ret;

	if (!h || !hc || !(p = sim_proc_find(r->w, h->pid)))
		return -ENODEV;
	fmt = iommu_hw_fmt(hc->kind, IO_PGTABLE_STAGE1, a->levels);
	if (!fmt)
		return -EINVAL;     /* the IOMMU's stage-1 format has no such depth */
	if (a->pool_off + a->pool_size > h->len)
		return -EINVAL;
	g = g_new0(struct gtable, 1);
	g->w = r->w;
	g->pid = h->pid;
	g->va = h->va;
	g->gpa = a->gpa;
	g->pool_gpa = a->gpa + a->pool_off;
	g->pool_pages = a->pool_size / SIM_PAGE_SIZE;
	g->used = g_new0(uint8_t, g->pool_pages);
	g->hpa = g_hash_table_new(g_direct_hash, g_direct_equal);
	g->mm = sim_mm_get(p->mm);
	g->mem = (struct io_pgtable_mem){ .alloc = gt_alloc, .free = gt_free,
					  .to_hpa = gt_to_hpa, .ctx = g };
	ret = io_pgtable_init_mem(&g->pt, r->w, fmt, &cfg, &g->mem);
	if (ret) {
		g->pt.root = 0;
		gtable_free(g);
		return ret;
	}
	g_hash_table_replace(nstate(r)->tables, g_strdup(a->name), g);
	if (a->save) {
		uint64_t *v = g_new(uint64_t, 1);

		*v = g->pt.root;     /* a GPA: what a bind or a HWPT names */
		g_hash_table_replace(r->vars, g_strdup(a->save), v);
	}
	return 0;
}

void describe_guest_table(const struct scn_step *st, GString *out)
{
	const struct gt_args *a = st->args;

	g_string_append_printf(out, "guest_table %s in %s at gpa 0x%llx, %u levels", a->name,
			       a->buf, (unsigned long long)a->gpa, a->levels);
}

/* ---- guest_map / guest_unmap ----------------------------------------------------------- */

const char *const keys_guest_map[] = { "va", "gpa", "size", "prot", NULL };
const char *const keys_guest_unmap[] = { "va", "size", NULL };

struct gm_args {
	const char *name;
	bool unmap;
	uint64_t va, gpa, size;
	unsigned prot;
};

int parse_guest_map(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	static const char *const prots[] = { "r", "w", "rw", NULL };
	struct gm_args *a = g_new0(struct gm_args, 1);
	const struct ynode *v;
	int idx;

	st->args = a;
	a->unmap = !strcmp(st->kind->name, "guest_unmap");
	a->prot = IOMMU_READ | IOMMU_WRITE;
	if (ldr_handle_ref(l, ynode_map_get(map, st->kind->name), HANDLE_GPT, &a->name))
		return -1;
	if (!(v = ldr_get(l, map, "va", "a guest table step")) ||
	    ldr_u64(l, v, &a->va, UINT64_MAX, true, "va") ||
	    !(v = ldr_get(l, map, "size", "a guest table step")) ||
	    ldr_u64(l, v, &a->size, UINT64_MAX, true, "size"))
		return -1;
	if (a->unmap)
		return 0;
	if (ldr_get_u64(l, map, "gpa", "a guest_map step", &a->gpa, UINT64_MAX, true))
		return -1;
	if ((v = ynode_map_get(map, "prot"))) {
		if (ldr_enum(l, v, prots, &idx, "prot"))
			return -1;
		a->prot = (unsigned)idx + 1;
	}
	return 0;
}

long run_guest_map(struct runner *r, struct scn_step *st)
{
	struct gm_args *a = st->args;
	struct gtable *g = r->nested ? g_hash_table_lookup(((struct nested_state *)r->nested)->tables,
							   a->name) : NULL;
	int64_t n;

	if (!g)
		return -ENOENT;     /* its guest_table step failed */
	if (!a->unmap)
		return io_pgtable_map(&g->pt, a->va, a->gpa, a->size, a->prot);
	n = io_pgtable_unmap(&g->pt, a->va, a->size);
	return n < 0 ? n : 0;
}

void describe_guest_map(const struct scn_step *st, GString *out)
{
	const struct gm_args *a = st->args;

	if (a->unmap)
		g_string_append_printf(out, "guest_unmap %s va=0x%llx size=0x%llx", a->name,
				       (unsigned long long)a->va, (unsigned long long)a->size);
	else
		g_string_append_printf(out, "guest_map %s va=0x%llx -> gpa 0x%llx size=0x%llx",
				       a->name, (unsigned long long)a->va,
				       (unsigned long long)a->gpa, (unsigned long long)a->size);
}

/* ---- pasid_attach / pasid_replace / pasid_detach / guest_invalidate --------------------- */

const char *const keys_pasid[] = { "pasid", "table", NULL };
const char *const keys_pasid_detach[] = { "pasid", NULL };
const char *const keys_guest_inv[] = { "pasid", "va", "size", NULL };

struct pa_args {
	uint32_t sbdf;
	uint32_t pasid;
	const char *table;
	uint64_t va, size;
};

int parse_pasid(struct ldr *l, const struct ynode *map, struct scn_step *st)
{
	struct pa_args *a = g_new0(struct pa_args, 1);
	const struct ynode *v = ynode_map_get(map, st->kind->name);
	const char *k = st->kind->name;
	uint64_t num;

	st->args = a;
	if (ldr_sbdf(l, v, &a->sbdf, k))
		return -1;
	if (ldr_get_u64(l, map, "pasid", k, &num, (1u << 20) - 1, false))
		return -1;
	a->pasid = (uint32_t)num;
	if (!strcmp(k, "pasid_attach") || !strcmp(k, "pasid_replace"))
		return !(v = ldr_get(l, map, "table", k)) ||
		       ldr_handle_ref(l, v, HANDLE_GPT, &a->table) ? -1 : 0;
	if (!strcmp(k, "guest_invalidate")) {
		const struct ynode *va = ynode_map_get(map, "va"), *sz = ynode_map_get(map, "size");

		/* both (a range) or neither (every translation of the PASID) */
		if (!va != !sz)
			return ldr_error(l, va ? va : sz, "guest_invalidate takes 'va' and 'size' "
					 "together, or neither for the whole PASID");
		if (va && (ldr_u64(l, va, &a->va, UINT64_MAX, true, "va") ||
			   ldr_u64(l, sz, &a->size, UINT64_MAX, true, "size")))
			return -1;
		if (sz && !a->size)
			return ldr_error(l, sz, "an invalidation range is at least one byte");
	}
	return 0;
}

long run_pasid(struct runner *r, struct scn_step *st)
{
	struct pa_args *a = st->args;
	const char *k = st->kind->name;
	struct pci_dev *dev = pci_dev_find(r->w, a->sbdf);
	struct iommu_domain *cur, *parent, *nd = NULL;
	struct gtable *g = NULL;
	uint64_t key = (uint64_t)a->sbdf << 32 | a->pasid;
	int ret;

	if (!dev || !dev->group)
		return -ENODEV;
	cur = iommu_device_pasid_domain(dev, a->pasid);
	if (!strcmp(k, "guest_invalidate"))
		return cur ? iommu_nested_invalidate(cur, a->va, a->size) : -EINVAL;
	if (!strcmp(k, "pasid_detach")) {
		if (!cur)
			return -EINVAL;
		ret = iommu_detach_device_pasid(cur, dev, a->pasid);
		if (!ret && cur->type == IOMMU_DOMAIN_NESTED && !cur->locs->len)
			iommu_domain_free(cur);
		return ret;
	}
	if (r->nested)
		g = g_hash_table_lookup(((struct nested_state *)r->nested)->tables, a->table);
	if (!g)
		return -ENOENT;
	/* the nest parent: the stage-2 domain the device's group is on */
	parent = dev->group->domain;
	ret = parent ? iommu_domain_alloc_nested(parent, g->pt.root, g->pt.levels, &nd) : -EINVAL;
	if (ret)
		return ret;
	if (!strcmp(k, "pasid_attach"))
		ret = iommu_attach_device_pasid(nd, dev, a->pasid);
	else
		ret = iommu_replace_device_pasid(nd, dev, a->pasid);
	if (ret) {
		iommu_domain_free(nd);
		return ret;
	}
	if (cur && cur->type == IOMMU_DOMAIN_NESTED && !cur->locs->len)
		iommu_domain_free(cur);
	g_array_append_val(nstate(r)->locs, key);
	return 0;
}

void describe_pasid(const struct scn_step *st, GString *out)
{
	const struct pa_args *a = st->args;
	char bdf[PCI_SBDF_STRLEN];

	g_string_append_printf(out, "%s %s pasid=%u", st->kind->name,
			       pci_sbdf_format(a->sbdf, bdf), a->pasid);
	if (a->table)
		g_string_append_printf(out, " table=%s", a->table);
}
