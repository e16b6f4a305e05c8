/* SPDX-License-Identifier: MIT */
/*
 * vfio_dma: the type1 backend (spec §C): GET_INFO with its argsz protocol
 * and capability chain, MAP_DMA and UNMAP_DMA argument checks and
 * semantics in v2 and v1, UPDATE_VADDR, and VFIO_IOMMU_DIRTY_PAGES.
 *
 *     vfio_dma_sim --world vfio.yaml -- BDF     vfio_dma_guest -- BDF
 *
 * BDF: a function alone in its group, bound to vfio-pci here.
 */
#include "vfio_common.h"

#define PG 0x1000ull
#define BUF_PAGES 64

static uint8_t *buf;          /* BUF_PAGES pages of this process */
static const char *ver;       /* "v2" or "v1": check names carry it */

static long map(int c, uint32_t argsz, uint32_t flags, uint64_t vaddr, uint64_t iova,
		uint64_t size)
{
	struct { struct vfio_iommu_type1_dma_map m; uint8_t pad[16]; } x;

	memset(&x, 0, sizeof(x));
	x.m.argsz = argsz;
	x.m.flags = flags;
	x.m.vaddr = vaddr;
	x.m.iova = iova;
	x.m.size = size;
	return osys_ioctl(c, VFIO_IOMMU_MAP_DMA, &x);
}

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define MAPSZ ((uint32_t)sizeof(struct vfio_iommu_type1_dma_map))
#define UB ((uint64_t)(uintptr_t)buf)

/* Map @n pages of buf from page @pg at @iova, read-write. */
static long map_rw(int c, unsigned pg, uint64_t iova, unsigned n)
{
	return map(c, MAPSZ, RW, UB + pg * PG, iova, n * PG);
}

/* UNMAP; the size the kernel wrote back (or left) goes to *out. */
static long unmap(int c, uint32_t argsz, uint32_t flags, uint64_t iova, uint64_t size,
		  uint64_t *out)
{
	struct { struct vfio_iommu_type1_dma_unmap u; uint8_t pad[32]; } x;
	long ret;

	memset(&x, 0, sizeof(x));
	x.u.argsz = argsz ? argsz : sizeof(x.u);
	x.u.flags = flags;
	x.u.iova = iova;
	x.u.size = size;
	ret = osys_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &x);
	if (out)
		*out = x.u.size;
	return ret;
}

/* An unmap check: "vfio.dma.<ver>.unmap.<name>" and its ".size". */
static void unmap_ck(int c, uint32_t flags, uint64_t iova, uint64_t size, const char *name)
{
	uint64_t out = 0;
	long ret = unmap(c, 0, flags, iova, size, &out);

	vret(ret, "vfio.dma.%s.unmap.%s", ver, name);
	vck(vhex(out), "vfio.dma.%s.unmap.%s.size", ver, name);
}

#define mck(ret, name) vret(ret, "vfio.dma.%s.map.%s", ver, name)

/* ---- GET_INFO ------------------------------------------------------------ */

static void info_caps(const uint8_t *base, uint32_t first, uint32_t limit)
{
	unsigned n = 0;

	for (uint32_t off = first; off && off + 8 <= limit && n < 8; n++) {
		const struct vfio_info_cap_header *h = (const void *)(base + off);

		vck(vdec(off), "vfio.dma.info.cap%u.offset", n);
		vck(vdec(h->id), "vfio.dma.info.cap%u.id", n);
		vck(vdec(h->version), "vfio.dma.info.cap%u.version", n);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
			const struct vfio_iommu_type1_info_cap_migration *m = (const void *)h;

			vck(vhex(m->flags), "vfio.dma.info.migration.flags");
			vck(vhex(m->pgsize_bitmap), "vfio.dma.info.migration.pgsize_bitmap");
			vck(vhex(m->max_dirty_bitmap_size),
			    "vfio.dma.info.migration.max_dirty_bitmap_size");
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			const struct vfio_iommu_type1_info_dma_avail *a = (const void *)h;

			vck(vdec(a->avail), "vfio.dma.info.dma_avail");
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			const struct vfio_iommu_type1_info_cap_iova_range *r = (const void *)h;

			vck(vdec(r->nr_iovas), "vfio.dma.info.iova.nr");
			for (uint32_t k = 0; k < r->nr_iovas && k < 8; k++) {
				vck(vhex(r->iova_ranges[k].start), "vfio.dma.info.iova%u.start", k);
				vck(vhex(r->iova_ranges[k].end), "vfio.dma.info.iova%u.end", k);
			}
		}
		off = h->next;
	}
	vck(vdec(n), "vfio.dma.info.caps");
}

static uint32_t dma_avail(int c)
{
	struct { struct vfio_iommu_type1_info i; uint8_t caps[512]; } x;
	uint32_t off;

	memset(&x, 0, sizeof(x));
	x.i.argsz = sizeof(x);
	if (osys_ioctl(c, VFIO_IOMMU_GET_INFO, &x) || !x.i.cap_offset)
		return 0xffffffff;
	for (off = x.i.cap_offset; off && off + 12 <= sizeof(x);) {
		const struct vfio_info_cap_header *h = (const void *)((uint8_t *)&x + off);

		if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			return ((const struct vfio_iommu_type1_info_dma_avail *)h)->avail;
		off = h->next;
	}
	return 0xfffffffe;
}

static void get_info(int c)
{
	static const uint32_t sizes[] = { 0, 15, 16, 24 };
	struct { struct vfio_iommu_type1_info i; uint8_t caps[512]; } x;
	uint32_t need;
	long ret;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		memset(&x, 0, sizeof(x));
		x.i.argsz = sizes[k];
		ret = osys_ioctl(c, VFIO_IOMMU_GET_INFO, &x);
		vret(ret, "vfio.dma.info.argsz%u", sizes[k]);
		if (ret)
			continue;
		vck(vhex(x.i.flags), "vfio.dma.info.argsz%u.flags", sizes[k]);
		vck(vhex(x.i.iova_pgsizes), "vfio.dma.info.argsz%u.iova_pgsizes", sizes[k]);
		vck(vdec(x.i.argsz), "vfio.dma.info.argsz%u.argsz", sizes[k]);
		vck(vdec(x.i.cap_offset), "vfio.dma.info.argsz%u.cap_offset", sizes[k]);
	}
	vret(osys_ioctl(c, VFIO_IOMMU_GET_INFO, NULL), "vfio.dma.info.null");
	/* the size asked for, one byte less, and exactly */
	memset(&x, 0, sizeof(x));
	x.i.argsz = 16;
	osys_ioctl(c, VFIO_IOMMU_GET_INFO, &x);
	need = x.i.argsz;
	memset(&x, 0, sizeof(x));
	x.i.argsz = need - 1;
	ret = osys_ioctl(c, VFIO_IOMMU_GET_INFO, &x);
	vret(ret, "vfio.dma.info.need_minus1");
	vck(vdec(x.i.argsz - need), "vfio.dma.info.need_minus1.argsz_delta");
	vck(vdec(x.i.cap_offset), "vfio.dma.info.need_minus1.cap_offset");
	memset(&x, 0, sizeof(x));
	x.i.argsz = need;
	ret = osys_ioctl(c, VFIO_IOMMU_GET_INFO, &x);
	vret(ret, "vfio.dma.info.need");
	vck(vdec(x.i.argsz - need), "vfio.dma.info.need.argsz_delta");
	vck(vdec(x.i.cap_offset), "vfio.dma.info.need.cap_offset");
	if (!ret)
		info_caps((uint8_t *)&x, x.i.cap_offset, need);
	memset(&x, 0, sizeof(x));
	x.i.argsz = sizeof(x);
	ret = osys_ioctl(c, VFIO_IOMMU_GET_INFO, &x);
	vret(ret, "vfio.dma.info.big");
	vck(vdec(x.i.argsz), "vfio.dma.info.big.argsz");
	vck(vdec(x.i.cap_offset), "vfio.dma.info.big.cap_offset");
}

/* ---- MAP_DMA argument checks -------------------------------------------- */

static void map_checks(int c)
{
	const uint64_t top = 1ull << 39;

	mck(map(c, 0, RW, UB, 0, PG), "argsz0");
	mck(map(c, MAPSZ - 1, RW, UB, 0, PG), "argsz_small");
	mck(map(c, 0, 0, UB, 0, PG), "no_flags");
	mck(map(c, MAPSZ, RW | (1u << 3), UB, 0, PG), "unknown_flag");
	mck(map(c, MAPSZ, RW | (1u << 31), UB, 0, PG), "flag31");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_READ, UB, 0, PG),
	    "vaddr_with_read");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_VADDR, UB, 0x40000000, PG), "vaddr_no_mapping");
	mck(map(c, MAPSZ, RW, UB, 0, 0), "size0");
	mck(map(c, MAPSZ, RW, UB, 0, 0x800), "size_misaligned");
	mck(map(c, MAPSZ, RW, UB, 0x800, PG), "iova_misaligned");
	mck(map(c, MAPSZ, RW, UB + 0x800, 0, PG), "vaddr_misaligned");
	mck(map(c, MAPSZ, RW, UB, ~0ull - PG + 1, 2 * PG), "iova_wrap");
	mck(map(c, MAPSZ, RW, ~0ull - PG + 1, 0, 2 * PG), "vaddr_wrap");
	mck(map(c, MAPSZ, RW, UB, 0, ~0ull - PG + 1), "size_huge");
	mck(map(c, MAPSZ, RW, UB, top, PG), "beyond_aperture");
	mck(map(c, MAPSZ, RW, UB, top - PG, 2 * PG), "straddle_aperture");
	mck(map(c, MAPSZ, RW, UB, 1ull << 48, PG), "at_2_48");
	mck(map(c, MAPSZ, RW, UB, 0xfee00000, PG), "msi_window");
	mck(map(c, MAPSZ, RW, UB, 0xfeeff000, PG), "msi_window_last");
	mck(map(c, MAPSZ, RW, UB, 0xfedff000, 2 * PG), "into_msi_window");
	mck(map(c, MAPSZ, RW, 0x1000, 0, PG), "vaddr_unmapped");
	vck(vdec(dma_avail(c)), "vfio.dma.%s.map.errors.dma_avail", ver);

	/* the edges that do map */
	mck(map(c, MAPSZ, RW, UB, top - PG, PG), "last_page");
	mck(map(c, MAPSZ, RW, UB, 0xfedff000, PG), "below_msi_window");
	mck(map(c, MAPSZ, RW, UB, 0xfef00000, PG), "above_msi_window");
	mck(map(c, MAPSZ + 16, RW, UB, 0x10000000, PG), "argsz_large");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_READ, UB, 0x10001000, PG), "read_only");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_WRITE, UB, 0x10002000, PG), "write_only");
	mck(map(c, MAPSZ, RW, UB, 0, PG), "iova0");
	mck(map(c, MAPSZ, RW, UB, 0x10003000, PG), "same_vaddr_again");
	vck(vdec(dma_avail(c)), "vfio.dma.%s.map.edges.dma_avail", ver);
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, "edges_all");
	vck(vdec(dma_avail(c)), "vfio.dma.%s.map.after_all.dma_avail", ver);

	/* overlaps */
	mck(map_rw(c, 0, 0x100000, 4), "base");
	mck(map_rw(c, 4, 0x100000, 4), "same_range");
	mck(map_rw(c, 4, 0x102000, 4), "overlap_tail");
	mck(map_rw(c, 4, 0x0ff000, 2), "overlap_head");
	mck(map_rw(c, 4, 0x101000, 1), "inside");
	mck(map_rw(c, 4, 0x0ff000, 8), "covering");
	mck(map_rw(c, 4, 0x104000, 1), "adjacent_after");
	mck(map_rw(c, 5, 0x0ff000, 1), "adjacent_before");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, "overlap_all");
}

/* ---- UNMAP_DMA ----------------------------------------------------------- */

static void unmap_args(int c)
{
	uint64_t out;
	long ret;

	mck(map_rw(c, 0, 0x200000, 4), "for_unmap");
	vret(unmap(c, 1, 0, 0x200000, 4 * PG, NULL), "vfio.dma.%s.unmap.argsz1", ver);
	ret = unmap(c, sizeof(struct vfio_iommu_type1_dma_unmap) - 1, 0, 0x200000, 4 * PG, &out);
	vret(ret, "vfio.dma.%s.unmap.argsz_small", ver);
	unmap_ck(c, 1u << 3, 0x200000, 4 * PG, "unknown_flag");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL, 0, 0,
		 "dirty_and_all");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_VADDR,
		 0x200000, 4 * PG, "dirty_and_vaddr");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 0x200000, 4 * PG, "dirty_not_started");
	unmap_ck(c, 0, 0x200800, 4 * PG, "iova_misaligned");
	unmap_ck(c, 0, 0x200000, 0, "size0");
	unmap_ck(c, 0, 0x200000, 0x800, "size_misaligned");
	unmap_ck(c, 0, ~0ull - PG + 1, 2 * PG, "wrap");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0x200000, 0, "all_iova");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, PG, "all_size");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0x200000, 4 * PG, "all_both");
	unmap_ck(c, 0, 0x200000, 4 * PG, "exact");
	unmap_ck(c, 0, 0x200000, 4 * PG, "exact.again");
}

static void unmap_semantics(int c)
{
	/* three mappings with holes: [0x300000,+4p) [0x308000,+2p) [0x310000,+1p) */
	mck(map_rw(c, 0, 0x300000, 4), "m1");
	mck(map_rw(c, 4, 0x308000, 2), "m2");
	mck(map_rw(c, 6, 0x310000, 1), "m3");
	unmap_ck(c, 0, 0x301000, PG, "middle");
	unmap_ck(c, 0, 0x300000, PG, "head");
	unmap_ck(c, 0, 0x303000, PG, "tail");
	unmap_ck(c, 0, 0x301000, 0x10000, "from_inside");
	unmap_ck(c, 0, 0x2ff000, 2 * PG, "cut_start");
	unmap_ck(c, 0, 0x303000, 0x6000, "cut_across");
	unmap_ck(c, 0, 0x304000, 0x4000, "hole");
	unmap_ck(c, 0, 0x400000, PG, "empty");
	unmap_ck(c, 0, 0x2f0000, 0x30000, "span_all_three");
	vck(vdec(dma_avail(c)), "vfio.dma.%s.unmap.span.dma_avail", ver);
	unmap_ck(c, 0, 0x2f0000, 0x30000, "span_again");

	/* an unmap reaching the top of the address space */
	mck(map_rw(c, 0, (1ull << 39) - PG, 1), "top");
	unmap_ck(c, 0, (1ull << 38), ~0ull - (1ull << 38) + 1 - PG, "to_top");
	unmap_ck(c, 0, (1ull << 38), 1ull << 38, "top_exact");

	/* ALL over several */
	mck(map_rw(c, 0, 0x500000, 1), "a1");
	mck(map_rw(c, 1, 0x600000, 2), "a2");
	mck(map_rw(c, 3, 0x700000, 3), "a3");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, "all");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, "all.empty");
	vck(vdec(dma_avail(c)), "vfio.dma.%s.unmap.all.dma_avail", ver);
}

/* UNMAP_DMA from another process than the one that mapped: a forked
 * child, which shares the container fd but not the mm.  vfio_dma_do_unmap
 * once stopped at a mapping whose dma->task->mm was not current->mm. */
struct child_unmap {
	int c;
	uint32_t flags;
	uint64_t iova, size, out;
};

static long child_unmap(void *arg)
{
	struct child_unmap *u = arg;
	long ret = unmap(u->c, 0, u->flags, u->iova, u->size, &u->out);

	/* the size written back, packed under the return value: the child's
	 * memory is its own copy */
	return ret < 0 ? ret : (long)(u->out >> 12);
}

static void other_process(int c)
{
	struct child_unmap u = { .c = c, .iova = 0xa00000, .size = 2 * PG };

	mck(map_rw(c, 0, 0xa00000, 2), "fork.m1");
	mck(map_rw(c, 2, 0xa10000, 1), "fork.m2");
	vret(osys_fork_call(child_unmap, &u), "vfio.dma.%s.unmap.fork.range.pages", ver);
	u.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	u.iova = u.size = 0;
	vret(osys_fork_call(child_unmap, &u), "vfio.dma.%s.unmap.fork.all.pages", ver);
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, "fork.parent_all");
}

static void update_vaddr(int c)
{
	mck(map_rw(c, 0, 0x800000, 2), "uv");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_VADDR, UB + 8 * PG, 0x800000, 2 * PG),
	    "uv.vaddr_valid");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_VADDR, 0x800000, 2 * PG, "uv.invalidate");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_VADDR, 0x800000, 2 * PG, "uv.invalidate.twice");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_VADDR, UB + 8 * PG, 0x800000, PG), "uv.wrong_size");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_VADDR, UB + 8 * PG, 0x801000, PG), "uv.inside");
	mck(map_rw(c, 8, 0x800000, 2), "uv.rw_over_invalid");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_VADDR, UB + 8 * PG, 0x800000, 2 * PG), "uv.restore");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_VADDR, UB + 8 * PG, 0x800000, 2 * PG),
	    "uv.restore.twice");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, "uv.invalidate_all");
	mck(map(c, MAPSZ, VFIO_DMA_MAP_FLAG_VADDR, UB + 10 * PG, 0x800000, 2 * PG),
	    "uv.restore_after_all");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, "uv.all");
}

/* ---- DIRTY_PAGES ----------------------------------------------------------- */

struct dirty_get {
	struct vfio_iommu_type1_dirty_bitmap d;
	struct vfio_iommu_type1_dirty_bitmap_get g;
};

static long dirty(int c, uint32_t argsz, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = argsz, .flags = flags };

	return osys_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &d);
}

static long dirty_get(int c, uint32_t argsz, uint64_t iova, uint64_t size, uint64_t pgsize,
		      uint64_t bmsize, uint64_t *bits)
{
	struct dirty_get x;

	memset(&x, 0, sizeof(x));
	x.d.argsz = argsz ? argsz : sizeof(x);
	x.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	x.g.iova = iova;
	x.g.size = size;
	x.g.bitmap.pgsize = pgsize;
	x.g.bitmap.size = bmsize;
	x.g.bitmap.data = (void *)bits;
	return osys_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &x);
}

static unsigned popcount(const uint64_t *b, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += (unsigned)__builtin_popcountll(b[i]);
	return k;
}

static void dirty_pages(int c)
{
	uint32_t start = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	uint32_t stop = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
	uint32_t get = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	uint64_t bits[4];
	long ret;

	vret(dirty(c, 0, start), "vfio.dma.dirty.argsz0");
	vret(dirty(c, 7, start), "vfio.dma.dirty.argsz7");
	vret(dirty(c, 8, 0), "vfio.dma.dirty.no_flags");
	vret(dirty(c, 8, 1u << 3), "vfio.dma.dirty.unknown_flag");
	vret(dirty(c, 8, start | stop), "vfio.dma.dirty.start_stop");
	vret(dirty(c, 8, start | get), "vfio.dma.dirty.start_get");
	vret(dirty(c, 8, get), "vfio.dma.dirty.get_no_range");
	vret(osys_ioctl(c, VFIO_IOMMU_DIRTY_PAGES, NULL), "vfio.dma.dirty.null");
	vret(dirty_get(c, 0, 0x900000, 4 * PG, PG, sizeof(bits), bits), "vfio.dma.dirty.get_not_started");
	vret(dirty(c, 8, stop), "vfio.dma.dirty.stop_not_started");

	mck(map_rw(c, 0, 0x900000, 4), "dirty.m");
	vret(dirty(c, 8, start), "vfio.dma.dirty.start");
	vret(dirty(c, 16, start), "vfio.dma.dirty.start.again");
	memset(bits, 0, sizeof(bits));
	ret = dirty_get(c, 0, 0x900000, 4 * PG, PG, sizeof(bits), bits);
	vret(ret, "vfio.dma.dirty.get");
	vck(vdec(popcount(bits, 4)), "vfio.dma.dirty.get.bits");
	vck(vhex(bits[0]), "vfio.dma.dirty.get.word0");
	vret(dirty_get(c, sizeof(struct vfio_iommu_type1_dirty_bitmap) + 8, 0x900000, 4 * PG, PG,
		       sizeof(bits), bits), "vfio.dma.dirty.get.argsz_short");
	vret(dirty_get(c, 0, 0x900000, 4 * PG, 2 * PG, sizeof(bits), bits),
	     "vfio.dma.dirty.get.pgsize_8k");
	vret(dirty_get(c, 0, 0x900000, 4 * PG, 0x800, sizeof(bits), bits),
	     "vfio.dma.dirty.get.pgsize_2k");
	vret(dirty_get(c, 0, 0x900800, 4 * PG, PG, sizeof(bits), bits),
	     "vfio.dma.dirty.get.iova_misaligned");
	vret(dirty_get(c, 0, 0x900000, 0, PG, sizeof(bits), bits), "vfio.dma.dirty.get.size0");
	vret(dirty_get(c, 0, 0x900000, 0x800, PG, sizeof(bits), bits),
	     "vfio.dma.dirty.get.size_misaligned");
	vret(dirty_get(c, 0, ~0ull - PG + 1, 2 * PG, PG, sizeof(bits), bits),
	     "vfio.dma.dirty.get.wrap");
	vret(dirty_get(c, 0, 0x900000, 4 * PG, PG, 0, bits), "vfio.dma.dirty.get.bitmap0");
	vret(dirty_get(c, 0, 0x900000, 1ull << 30, PG, 8, bits),
	     "vfio.dma.dirty.get.bitmap_small");
	vret(dirty_get(c, 0, 0x901000, 2 * PG, PG, sizeof(bits), bits), "vfio.dma.dirty.get.cut");
	vret(dirty_get(c, 0, 0x800000, 0x200000, PG, sizeof(bits) * 16, (uint64_t *)buf),
	     "vfio.dma.dirty.get.cover");
	vret(dirty_get(c, 0, 0xa00000, 4 * PG, PG, sizeof(bits), bits), "vfio.dma.dirty.get.empty");
	vck(vdec(popcount(bits, 4)), "vfio.dma.dirty.get.empty.bits");

	/* unmap with the bitmap while tracking */
	{
		struct {
			struct vfio_iommu_type1_dma_unmap u;
			struct vfio_bitmap b;
		} x;

		memset(&x, 0, sizeof(x));
		memset(bits, 0, sizeof(bits));
		x.u.argsz = sizeof(x);
		x.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
		x.u.iova = 0x900000;
		x.u.size = 4 * PG;
		x.b.pgsize = 2 * PG;
		x.b.size = sizeof(bits);
		x.b.data = (void *)bits;
		vret(osys_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &x), "vfio.dma.dirty.unmap.pgsize_8k");
		x.b.pgsize = PG;
		x.u.argsz = sizeof(x.u);
		vret(osys_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &x), "vfio.dma.dirty.unmap.no_bitmap");
		x.u.argsz = sizeof(x);
		ret = osys_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &x);
		vret(ret, "vfio.dma.dirty.unmap");
		vck(vhex(x.u.size), "vfio.dma.dirty.unmap.size");
		vck(vdec(popcount(bits, 4)), "vfio.dma.dirty.unmap.bits");
	}
	mck(map_rw(c, 0, 0x900000, 2), "dirty.m2");
	vret(dirty(c, 8, stop), "vfio.dma.dirty.stop");
	vret(dirty(c, 8, stop), "vfio.dma.dirty.stop.again");
	vret(dirty_get(c, 0, 0x900000, 2 * PG, PG, sizeof(bits), bits), "vfio.dma.dirty.get_stopped");
	unmap_ck(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, "dirty.all");
}

static void run(const char *bdf, unsigned long type)
{
	int g, c = vc_setup(bdf, type, &g);

	ver = type == VFIO_TYPE1v2_IOMMU ? "v2" : "v1";
	if (type == VFIO_TYPE1v2_IOMMU) {
		get_info(c);
		map_checks(c);
		unmap_args(c);
		unmap_semantics(c);
		other_process(c);
		update_vaddr(c);
		dirty_pages(c);
	} else {
		map_checks(c);
		unmap_semantics(c);
		vret(dirty(c, 8, VFIO_IOMMU_DIRTY_PAGES_FLAG_START), "vfio.dma.v1.dirty.start");
	}
	vret(osys_close(g), "vfio.dma.%s.close.group", ver);
	vret(osys_close(c), "vfio.dma.%s.close.container", ver);
}

int main(int argc, char **argv)
{
	int i = osys_init(argc, argv);

	if (argc - i < 1) {
		fprintf(stderr, "usage: vfio_dma -- BDF\n");
		return 2;
	}
	vc_bind("dma", argv[i]);
	buf = osys_alloc(BUF_PAGES * PG);
	if (!buf)
		vdie("alloc", -12);
	for (unsigned k = 0; k < BUF_PAGES; k++)
		buf[k * PG] = (uint8_t)k;
	run(argv[i], VFIO_TYPE1v2_IOMMU);
	run(argv[i], VFIO_TYPE1_IOMMU);
	printf("checks %u\n", ocheck_count());
	return 0;
}
