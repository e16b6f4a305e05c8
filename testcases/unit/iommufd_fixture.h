/* SPDX-License-Identifier: MIT */
/*
 * Helpers the iommufd unit tests share (test_iommufd_device.c,
 * test_iommufd_selftest.c), on top of vfio_fixture.h's world, caller and
 * io(): the device of a BDF, the context of an fd, and the IOAS ioctls
 * with their checks.
 */
#ifndef TESTCASES_UNIT_IOMMUFD_FIXTURE_H
#define TESTCASES_UNIT_IOMMUFD_FIXTURE_H

#include <stdint.h>

struct pci_dev;
struct iommufd_ctx;
struct sim_mm;

/* The function at @bdf (asserted to parse). */
struct pci_dev *ifd_pdev(const char *bdf);
/* The iommufd context behind the caller's @fd, or NULL. */
struct iommufd_ctx *ifd_ctx(int fd);
/* The caller's mm. */
struct sim_mm *ifd_mm(void);
/* IOAS_ALLOC (asserted to succeed): the new id. */
uint32_t ifd_ioas_alloc(int fd);
/* IOAS_MAP at a fixed IOVA with the access flags @prot (READABLE,
 * WRITEABLE); ifd_ioas_map is both. */
long ifd_ioas_map_flags(int fd, uint32_t ioas, uint64_t va, uint64_t iova, uint64_t len,
			uint32_t prot);
long ifd_ioas_map(int fd, uint32_t ioas, uint64_t va, uint64_t iova, uint64_t len);
long ifd_ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len);
long ifd_destroy(int fd, uint32_t id);
/* IOVA_RANGES as "start-last,..." (g_free it) and the alignment. */
char *ifd_ranges(int fd, uint32_t ioas, uint64_t *align);

#endif
