/* SPDX-License-Identifier: MIT */
/* The world and helpers shared by the VFIO unit tests: see vfio_fixture.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <glib.h>

#include "vfio_fixture.h"
#include "sim/mem.h"
#include "sim/mm.h"
#include "sim/proc.h"
#include "sim/syscall.h"
#include "sim/world.h"
#include "model/pci/pci.h"
#include "model/iommu/domain.h"
#include "model/iommu/group.h"
#include "model/vfio/vfio.h"
#include "model/iommufd/iommufd.h"
#include "tools/scenario/scenario.h"

/* The devices: see vfio_fixture.h.  01:00.0 is an Intel NIC without a
 * device model (8086:10fb), so its config space is the synthesized one and
 * its BARs and irqs are what the topology says (QEMU's e1000e, 8086:10d3,
 * has a model: test_e1000e.c). */
static const char *const WORLD =
	"name: vfio-unit\n"
	"topology:\n"
	"  - {bdf: \"0000:00:01.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - bdf: \"0000:01:00.0\"\n"
	"    type: endpoint\n"
	"    parent: \"0000:00:01.0\"\n"
	"    driver: vfio-pci\n"
	"    vendor: 0x8086\n"
	"    device: 0x10fb\n"
	"    bars:\n"
	"      0: {size: 128K, type: mem32}\n"
	"      2: {size: 32, type: io}\n"
	"      3: {size: 16K, type: mem64, prefetchable: true}\n"
	"    irqs: {intx: true, msi: 4, msix: 5}\n"
	"  - {bdf: \"0000:00:02.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
	"  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:00:02.0\", driver: vfio-pci}\n"
	"  - {bdf: \"0000:00:1e.0\", type: pcie-to-pci-bridge}\n"
	"  - {bdf: \"0000:06:0d.0\", type: pci-device, parent: \"0000:00:1e.0\",\n"
	"     multifunction: true, driver: vfio-pci}\n"
	"  - {bdf: \"0000:06:0d.1\", type: pci-device, parent: \"0000:00:1e.0\",\n"
	"     multifunction: true, driver: e1000}\n"
	"processes:\n"
	"  - {name: alice, uid: 0, caps: [], rlimit_memlock: 64K}\n"
	"  - {name: carol, uid: 0, caps: [CAP_IPC_LOCK], rlimit_memlock: 64K}\n";

struct sim_world *W;
int PID;              /* the process doing the syscalls */
uint64_t ARG;         /* a user page for ioctl arguments */
uint64_t BUF;         /* a 1 MiB user buffer */

void boot_from(const char *yaml, const char *name)
{
	char *err = NULL;
	struct scenario *s = scenario_load_string(yaml, strlen(yaml), name, &err);

	ck_assert_msg(s, "%s", err);
	W = scenario_build_world(s, 1, &err);
	ck_assert_msg(W, "%s", err);
	scenario_free(s);
	PID = 1;
}

void boot(void)
{
	boot_from(WORLD, "<vfio>");
}

void teardown(void)
{
	sim_world_destroy(W);
	W = NULL;
}

uint64_t ualloc(int pid, uint64_t len)
{
	uint64_t va;

	ck_assert_int_eq(sim_mm_map(sim_proc_find(W, pid)->mm, len,
				    SIM_PROT_READ | SIM_PROT_WRITE, "buf", &va), 0);
	return va;
}

int pid_of(const char *name)
{
	for (int pid = 2; pid < 10; pid++) {
		struct sim_proc *p = sim_proc_find(W, pid);
		if (p && !strcmp(p->name, name))
			return pid;
	}
	ck_abort_msg("no process %s", name);
	return -1;
}

/* Make @pid the caller, with its own argument page and buffer. */
void as(int pid)
{
	PID = pid;
	ARG = ualloc(pid, 4096);
	BUF = ualloc(pid, 1 << 20);
}

void setup(void)
{
	boot();
	as(1);
}

void inv(void)
{
	GString *s = g_string_new(NULL);
	int n = vfio_check_invariants(W, s) + iommufd_check_invariants(W, s);

	ck_assert_msg(n == 0, "invariants: %s", s->str);
	g_string_free(s, TRUE);
}

/* ioctl with @len bytes of @st in user memory, copied back after. */
long io(int fd, unsigned long cmd, void *st, size_t len)
{
	long ret;

	if (st)
		ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), ARG, st, len), 0);
	ret = sim_sys_ioctl_ul(W, PID, fd, cmd, st ? ARG : 0);
	if (st)
		ck_assert_int_eq(sim_copy_from_user(sim_proc_find(W, PID), st, ARG, len), 0);
	inv();
	return ret;
}

long ioc(int fd, unsigned long cmd, unsigned long arg)
{
	long ret = sim_sys_ioctl_ul(W, PID, fd, cmd, arg);

	inv();
	return ret;
}

unsigned gid(const char *bdf)
{
	uint32_t sbdf;

	ck_assert_int_eq(pci_sbdf_parse(bdf, &sbdf), 0);
	return iommu_group_of(pci_dev_find(W, sbdf))->id;
}

int open_path(const char *path)
{
	long fd = sim_sys_open(W, PID, path, O_RDWR);

	ck_assert_msg(fd >= 0, "open %s: %ld", path, fd);
	return (int)fd;
}

int open_group(const char *bdf)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/vfio/%u", gid(bdf));
	return open_path(path);
}

long set_container(int gfd, int cfd)
{
	int32_t fd = cfd;

	return io(gfd, VFIO_GROUP_SET_CONTAINER, &fd, sizeof(fd));
}

long device_fd(int gfd, const char *name)
{
	ck_assert_int_eq(sim_copy_to_user(sim_proc_find(W, PID), ARG, name, strlen(name) + 1), 0);
	return ioc(gfd, VFIO_GROUP_GET_DEVICE_FD, ARG);
}

long map(int cfd, uint64_t vaddr, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .vaddr = vaddr, .iova = iova, .size = size,
	};

	return io(cfd, VFIO_IOMMU_MAP_DMA, &m, sizeof(m));
}

/* Returns the ioctl's result; *out gets the size the kernel reported. */
long unmap(int cfd, uint64_t iova, uint64_t size, uint32_t flags, uint64_t *out)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = size,
	};
	long ret = io(cfd, VFIO_IOMMU_UNMAP_DMA, &u, sizeof(u));

	if (out)
		*out = u.size;
	return ret;
}

/* Container + group A (+ backend @type when non-zero); returns the fds. */
void usage(const char *bdf, unsigned long type, int *cfd, int *gfd)
{
	*cfd = open_path("/dev/vfio/vfio");
	*gfd = open_group(bdf);
	ck_assert_int_eq(set_container(*gfd, *cfd), 0);
	if (type)
		ck_assert_int_eq(ioc(*cfd, VFIO_SET_IOMMU, type), 0);
}

char *state(void)
{
	GString *s = g_string_new(NULL);

	vfio_describe(W, s);
	return g_string_free(s, FALSE);
}

uint64_t locked(int pid)
{
	return sim_proc_find(W, pid)->mm->locked_vm;
}

struct iommu_domain *gdomain(const char *bdf)
{
	return iommu_group_domain(iommu_group_by_id(W, gid(bdf)));
}

int build_one(const struct pci_dev_spec *spec, struct pci_build_error *err)
{
	struct sim_world *w = sim_world_create(1);
	int ret = pci_topology_create(w, spec, 1, err);

	sim_world_destroy(w);
	return ret;
}
