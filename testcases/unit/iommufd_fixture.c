/* SPDX-License-Identifier: MIT */
/* The iommufd unit tests' shared helpers: see iommufd_fixture.h. */
#include <check.h>
#include <glib.h>

#include "iommufd_fixture.h"
#include "vfio_fixture.h"
#include "sim/proc.h"
#include "model/pci/pci.h"
#include "model/iommufd/iommufd.h"
#include "iommusim/uapi/iommufd.h"

struct pci_dev *ifd_pdev(const char *bdf)
{
	uint32_t sbdf;

	ck_assert_int_eq(pci_sbdf_parse(bdf, &sbdf), 0);
	return pci_dev_find(W, sbdf);
}

struct iommufd_ctx *ifd_ctx(int fd)
{
	return iommufd_ctx_from_file(sim_fd_get(sim_proc_find(W, PID), fd));
}

struct sim_mm *ifd_mm(void)
{
	return sim_proc_find(W, PID)->mm;
}

uint32_t ifd_ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	ck_assert_int_eq(io(fd, IOMMU_IOAS_ALLOC, &a, sizeof(a)), 0);
	return a.out_ioas_id;
}

long ifd_ioas_map_flags(int fd, uint32_t ioas, uint64_t va, uint64_t iova, uint64_t len,
			uint32_t prot)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = va, .length = len, .iova = iova,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | prot,
	};

	return io(fd, IOMMU_IOAS_MAP, &m, sizeof(m));
}

long ifd_ioas_map(int fd, uint32_t ioas, uint64_t va, uint64_t iova, uint64_t len)
{
	return ifd_ioas_map_flags(fd, ioas, va, iova, len,
				  IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE);
}

long ifd_ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	return io(fd, IOMMU_IOAS_UNMAP, &u, sizeof(u));
}

long ifd_destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return io(fd, IOMMU_DESTROY, &d, sizeof(d));
}

char *ifd_ranges(int fd, uint32_t ioas, uint64_t *align)
{
	struct {
		struct iommu_ioas_iova_ranges r;
		struct iommu_iova_range a[4];
	} q = { .r = { .size = sizeof(q.r), .ioas_id = ioas, .num_iovas = 4,
		       .allowed_iovas = ARG + sizeof(q.r) } };
	GString *s = g_string_new(NULL);

	ck_assert_int_eq(io(fd, IOMMU_IOAS_IOVA_RANGES, &q, sizeof(q)), 0);
	for (unsigned i = 0; i < q.r.num_iovas; i++)
		g_string_append_printf(s, "%s0x%llx-0x%llx", i ? "," : "",
				       (unsigned long long)q.a[i].start,
				       (unsigned long long)q.a[i].last);
	*align = q.r.out_iova_alignment;
	return g_string_free(s, FALSE);
}
