/* SPDX-License-Identifier: MIT */
/*
 * An external C program driving iommusim through its public header only,
 * as a user of the installed library would.  Usage: api_client SCENARIO.yaml
 * (the quickstart topology: group 1 holds 00:1e.0, 06:0d.0 and 06:0d.1).
 */
#define _DEFAULT_SOURCE          /* MAP_ANONYMOUS */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <linux/vfio.h>

#include <iommusim/iommusim.h>
#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/vfio_cdev.h>

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			failures++;                                        \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, \
				__LINE__, #cond);                          \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
		}                                                          \
	} while (0)

static void test_errors(void)
{
	char *err = NULL;
	struct sim_world *w;

	w = sim_world_new_from_string("name: x\ntopology:\n  - bdf: \"0000:00:01.0\"\n"
				      "    type: root-prot\n", &err);
	CHECK(!w, "a bad type must not load");
	CHECK(err && strstr(err, "<string>:4:11: error: unknown device type 'root-prot'"),
	      "err = %s", err ? err : "(null)");
	free(err);

	err = NULL;
	w = sim_world_new_from_file("/nonexistent.yaml", &err);
	CHECK(!w && err && strstr(err, "/nonexistent.yaml"), "err = %s", err ? err : "(null)");
	free(err);

	CHECK(!sim_world_new_from_string(NULL, NULL), "NULL yaml");
	sim_world_free(NULL);
}

static void test_flow(const char *path)
{
	char *err = NULL;
	struct sim_world *w = sim_world_new_from_file(path, &err);
	int user, root_like;
	long gfd, cfd;

	CHECK(w, "load %s: %s", path, err ? err : "");
	if (!w) {
		free(err);
		return;
	}
	user = sim_proc_spawn(w, 1000, 1000, 0);
	CHECK(user > 1, "spawn = %d", user);
	root_like = sim_proc_spawn(w, 0, 0, 0);
	CHECK(root_like > user, "pids are allocated in order: %d after %d", root_like, user);

	/* functions in SBDF order; groups by number; the kernel release */
	{
		char list[256], tiny[8];
		struct sim_world_opts o = { .kernel = "6.3" };
		struct sim_world *w2;

		CHECK(sim_pci_functions(w, list, sizeof(list)) == (long)strlen(list) &&
		      !strcmp(list, "0000:00:01.0 0000:00:1e.0 0000:01:00.0 0000:01:00.1 "
				    "0000:06:0d.0 0000:06:0d.1"), "functions = %s", list);
		CHECK(sim_pci_functions(w, tiny, sizeof(tiny)) == -ENOSPC, "short buffer");
		CHECK(sim_pci_functions(NULL, list, sizeof(list)) == -EINVAL, "no world");
		CHECK(sim_pci_iommu_group(w, "0000:06:0d.1") == sim_pci_iommu_group(w, "0000:00:1e.0"),
		      "the bridge's group");
		CHECK(sim_pci_iommu_group(w, "0000:06:0d.1") >= 0, "a group number");
		CHECK(sim_pci_iommu_group(w, "0000:07:00.0") == -ENODEV, "no such function");
		CHECK(sim_pci_iommu_group(w, "x") == -EINVAL, "bad bdf");
		w2 = sim_world_new_from_file_opts(path, &o, &err);
		CHECK(!w2 && err && strstr(err, "unknown kernel \"6.3\""), "err = %s",
		      err ? err : "(null)");
		free(err);
		err = NULL;
		o.kernel = "6.1";
		w2 = sim_world_new_from_file_opts(path, &o, &err);
		CHECK(w2, "kernel 6.1: %s", err ? err : "");
		sim_world_free(w2);
	}

	/* no vfio-pci member yet: no group node */
	CHECK(sim_sys_open(w, user, "/dev/vfio/1", O_RDWR) == -ENOENT, "no node yet");
	CHECK(sim_pci_bind(w, "0000:06:0d.0", "vfio-pci") == 0, "bind vfio-pci");
	CHECK(sim_pci_bind(w, "0000:06:0d.0", "e1000") == -EBUSY, "already bound");
	CHECK(sim_pci_bind(w, "0000:07:00.0", "vfio-pci") == -ENODEV, "no such device");
	CHECK(sim_pci_bind(w, "zz", "vfio-pci") == -EINVAL, "bad bdf");

	/* root:root 0600 */
	CHECK(sim_sys_open(w, user, "/dev/vfio/1", O_RDWR) == -EACCES, "user denied");
	gfd = sim_sys_open(w, root_like, "/dev/vfio/1", O_RDWR);
	CHECK(gfd >= 3, "root opens: %ld", gfd);
	CHECK(sim_sys_open(w, root_like, "/dev/vfio/1", O_RDWR) == -EBUSY, "single opener");
	CHECK(sim_sys_close(w, root_like, (int)gfd) == 0, "close");
	CHECK(sim_sys_close(w, root_like, (int)gfd) == -EBADF, "double close");

	cfd = sim_sys_open(w, user, "/dev/vfio/vfio", O_RDWR);
	CHECK(cfd == 3, "container fd %ld", cfd);
	CHECK(sim_sys_ioctl(w, user, 99, 0, NULL) == -EBADF, "bad fd");
	CHECK(sim_sys_ioctl(w, 4242, (int)cfd, 0, NULL) == -ESRCH, "bad pid");
	CHECK(sim_sys_close(w, user, (int)cfd) == 0, "close container");

	CHECK(sim_pci_bind(w, "0000:06:0d.0", "none") == 0, "unbind");
	CHECK(sim_sys_open(w, root_like, "/dev/vfio/1", O_RDWR) == -ENOENT, "node gone");
	sim_world_free(w);
}

/* Two worlds in one program are independent. */
static void test_two_worlds(const char *path)
{
	struct sim_world *a = sim_world_new_from_file(path, NULL);
	struct sim_world *b = sim_world_new_from_file(path, NULL);

	CHECK(a && b, "two worlds");
	if (a && b) {
		CHECK(sim_pci_bind(a, "0000:06:0d.0", "vfio-pci") == 0, "bind in a");
		CHECK(sim_sys_open(b, 1, "/dev/vfio/1", O_RDWR) == -ENOENT, "b unaffected");
		CHECK(sim_sys_open(a, 1, "/dev/vfio/1", O_RDWR) >= 3, "a has its node");
	}
	sim_world_free(a);
	sim_world_free(b);
}

/*
 * A native process: the simulated kernel reads this program's own structs
 * and pins this program's own buffer, so a device DMA changes bytes this
 * program sees directly (the documentation's usage flow, in C).
 */
static void test_native_dma(const char *path)
{
	struct sim_world *w = sim_world_new_from_file(path, NULL);
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	uint8_t *buf = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t data[64], back[8];
	struct sim_dma op = { 0 };
	struct sim_dev *dev;
	int pid, container, group;

	CHECK(w && buf != MAP_FAILED, "set-up");
	if (!w || buf == MAP_FAILED)
		return;
	pid = sim_proc_spawn(w, 0, 0, SIM_PROC_NATIVE);
	CHECK(sim_pci_bind(w, "0000:06:0d.0", "vfio-pci") == 0, "bind");
	CHECK(sim_pci_bind(w, "0000:06:0d.1", "none") == 0, "unbind sibling");
	container = (int)sim_sys_open(w, pid, "/dev/vfio/vfio", O_RDWR);
	group = (int)sim_sys_open(w, pid, "/dev/vfio/1", O_RDWR);
	CHECK(container >= 3 && group > container, "fds %d %d", container, group);
	CHECK(sim_sys_ioctl(w, pid, group, VFIO_GROUP_GET_STATUS, &status) == 0, "status");
	CHECK(status.flags == VFIO_GROUP_FLAGS_VIABLE, "flags 0x%x", status.flags);
	CHECK(sim_sys_ioctl(w, pid, group, VFIO_GROUP_SET_CONTAINER, &container) == 0,
	      "set container");
	CHECK(sim_sys_ioctl(w, pid, container, VFIO_SET_IOMMU,
			    (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) == 0, "set iommu");
	/* a bad user pointer is EFAULT, never a crash */
	CHECK(sim_sys_ioctl(w, pid, group, VFIO_GROUP_GET_STATUS, (void *)16) == -EFAULT,
	      "bad pointer");
	map.vaddr = (uintptr_t)buf;
	map.iova = 0x100000;
	map.size = 1 << 20;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	CHECK(sim_sys_ioctl(w, pid, container, VFIO_IOMMU_MAP_DMA, &map) == 0, "map");

	memset(data, 0xa5, sizeof(data));
	op.addr = 0x100000 + 4096;
	op.write = true;
	op.buf = data;
	op.len = sizeof(data);
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == 0, "dma write: fault %d at 0x%llx",
	      op.fault_reason, (unsigned long long)op.fault_addr);
	CHECK(buf[4096] == 0xa5 && buf[4096 + 63] == 0xa5 && buf[4096 + 64] == 0,
	      "the device's bytes are in this program's buffer");
	memcpy(buf + 8192, "from cpu", 8);
	op.addr = 0x100000 + 8192;
	op.write = false;
	op.buf = back;
	op.len = 8;
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == 0 && !memcmp(back, "from cpu", 8),
	      "dma read sees what the program wrote");

	/* the same device through a handle, looked up once for many DMAs */
	dev = sim_dev_lookup(w, "0000:06:0d.0");
	CHECK(dev && sim_dev_lookup(w, "06:0d.0") == dev, "one handle per function");
	CHECK(!sim_dev_lookup(w, "0000:99:00.0") && !sim_dev_lookup(w, "zz"), "no handle");
	memcpy(data, "by handle", 10);
	op.addr = 0x100000 + 12288;
	op.write = true;
	op.buf = data;
	op.len = 10;
	CHECK(sim_dev_dma_h(w, dev, &op) == 0 && !memcmp(buf + 12288, "by handle", 10),
	      "dma write through a handle: fault %d", op.fault_reason);
	memset(back, 0, sizeof(back));
	op.write = false;
	op.buf = back;
	op.len = 8;
	CHECK(sim_dev_dma_h(w, dev, &op) == 0 && !memcmp(back, "by handl", 8),
	      "dma read through a handle");
	CHECK(sim_dev_dma_h(NULL, dev, &op) == -EINVAL, "a handle needs its world");
	CHECK(sim_dev_dma_h(w, dev, NULL) == -EINVAL, "handle, NULL op");
	CHECK(sim_dev_dma_h(w, NULL, &op) == -EINVAL, "NULL handle");
	op.addr = 0x300000;
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == -EFAULT &&
	      op.fault_reason == SIM_FAULT_NOT_PRESENT && op.fault_addr == 0x300000 &&
	      op.fault_stage == 2 && op.fault_phase == SIM_FAULT_PHASE_FINAL &&
	      op.fault_stage_addr == 0x300000,
	      "outside the mapping: fault %d at 0x%llx, stage %u phase %d at 0x%llx",
	      op.fault_reason, (unsigned long long)op.fault_addr, op.fault_stage,
	      op.fault_phase, (unsigned long long)op.fault_stage_addr);

	unmap.iova = 0x100000;
	unmap.size = 1 << 20;
	CHECK(sim_sys_ioctl(w, pid, container, VFIO_IOMMU_UNMAP_DMA, &unmap) == 0 &&
	      unmap.size == 1 << 20, "unmap returns the size");
	op.addr = 0x100000 + 8192;
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == -EFAULT, "no DMA after unmap (§H8)");
	CHECK(sim_dev_dma_h(w, dev, &op) == -EFAULT && op.fault_reason == SIM_FAULT_NOT_PRESENT,
	      "none through the handle either");
	CHECK(sim_dev_dma(w, "0000:99:00.0", &op) == -ENODEV, "no such device");
	CHECK(sim_dev_dma(w, "0000:06:0d.0", NULL) == -EINVAL, "NULL op");
	sim_world_free(w);
	munmap(buf, 1 << 20);
}

/*
 * A NULL world: every function of the public header refuses it with
 * -EINVAL (the constructors with NULL and a message), none dereferences it.
 */
static void test_null_world(void)
{
	struct sim_world_opts o = { .kernel = "6.1" };
	uint8_t byte = 0;
	struct sim_dma op = { .buf = &byte, .len = 1 };
	char buf[64] = "untouched", *err = NULL;
	int container = 3;

	CHECK(!sim_world_new_from_file(NULL, &err) && err, "NULL path");
	free(err);
	err = NULL;
	CHECK(!sim_world_new_from_file_opts(NULL, &o, &err) && err, "NULL path, opts");
	free(err);
	err = NULL;
	CHECK(!sim_world_new_from_string(NULL, &err) && err, "NULL yaml");
	free(err);
	sim_world_free(NULL);
	CHECK(sim_proc_spawn(NULL, 0, 0, 0) == -EINVAL, "spawn");
	CHECK(sim_proc_spawn(NULL, 0, 0, SIM_PROC_NATIVE) == -EINVAL, "spawn native");
	CHECK(sim_proc_fork(NULL, 1) == -EINVAL, "fork");
	CHECK(sim_proc_exit(NULL, 1) == -EINVAL, "exit");
	CHECK(sim_sys_open(NULL, 1, "/dev/vfio/vfio", O_RDWR) == -EINVAL, "open");
	CHECK(sim_sys_close(NULL, 1, 3) == -EINVAL, "close");
	CHECK(sim_sys_ioctl(NULL, 1, 3, VFIO_GET_API_VERSION, NULL) == -EINVAL, "ioctl");
	CHECK(sim_sys_ioctl(NULL, 1, 4, VFIO_GROUP_SET_CONTAINER, &container) == -EINVAL,
	      "ioctl with an argument");
	CHECK(sim_sys_pread(NULL, 1, 3, buf, 4, 0) == -EINVAL, "pread");
	CHECK(sim_sys_pwrite(NULL, 1, 3, buf, 4, 0) == -EINVAL, "pwrite");
	CHECK(sim_sys_read(NULL, 1, 3, buf, 8) == -EINVAL, "read");
	CHECK(sim_sys_write(NULL, 1, 3, buf, 8) == -EINVAL, "write");
	CHECK(sim_sys_eventfd(NULL, 1, 0, 0) == -EINVAL, "eventfd");
	CHECK(sim_pci_bind(NULL, "0000:00:01.0", "vfio-pci") == -EINVAL, "bind");
	CHECK(sim_pci_bind(NULL, "0000:00:01.0", NULL) == -EINVAL, "unbind");
	CHECK(sim_pci_iommu_group(NULL, "0000:00:01.0") == -EINVAL, "iommu group");
	CHECK(sim_sysfs_write(NULL, "/sys/bus/pci/drivers/vfio-pci/bind", "0000:00:01.0") ==
	      -EINVAL, "sysfs write");
	CHECK(sim_pci_functions(NULL, buf, sizeof(buf)) == -EINVAL, "functions");
	CHECK(sim_dev_dma(NULL, "0000:00:01.0", &op) == -EINVAL, "dma");
	CHECK(!sim_dev_lookup(NULL, "0000:00:01.0"), "device lookup");
	CHECK(sim_dev_dma_h(NULL, NULL, &op) == -EINVAL, "dma through a handle");
	CHECK(sim_dev_irq(NULL, "0000:00:01.0", 0, 1) == -EINVAL, "irq");
	CHECK(sim_mdev_iommu_group(NULL, "6ba7b810-9dad-11d1-80b4-00c04fd430c8") == -EINVAL,
	      "mdev group");
	CHECK(sim_mdev_pin(NULL, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", 0, 1, 0) == -EINVAL,
	      "mdev pin");
	CHECK(sim_mdev_unpin(NULL, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", 0, 1) == -EINVAL,
	      "mdev unpin");
	CHECK(sim_mdev_dma(NULL, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", 0, buf, 1, 0) == -EINVAL,
	      "mdev dma");
	CHECK(sim_iommu_fault_drain(NULL, buf, sizeof(buf)) == -EINVAL, "fault drain");
	CHECK(!strcmp(buf, "untouched"), "no output written: '%s'", buf);
}

/*
 * A pinned page outlives munmap, as on Linux (sim/mem.c): this program
 * maps a buffer with VFIO_IOMMU_MAP_DMA (type1 pins its pages:
 * vfio_pin_pages_remote), then munmaps it.  The device's DMA still lands
 * in the pinned page and reads it back; the program's address space no
 * longer shows it (a new mapping at the same address is a new page); the
 * unmap unpins and frees it (vfio_unmap_unpin).  Nothing crashes.
 */
static void test_native_munmap(const char *path)
{
	struct sim_world *w = sim_world_new_from_file(path, NULL);
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	uint8_t *buf = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t data[16], back[16], *again;
	struct sim_dma op = { .addr = 0x100000 + 4096, .write = true, .buf = data,
			      .len = sizeof(data) };
	int pid, container, group;

	CHECK(w && buf != MAP_FAILED, "set-up");
	if (!w || buf == MAP_FAILED) {
		sim_world_free(w);
		return;
	}
	pid = sim_proc_spawn(w, 0, 0, SIM_PROC_NATIVE);
	CHECK(sim_pci_bind(w, "0000:06:0d.0", "vfio-pci") == 0, "bind");
	CHECK(sim_pci_bind(w, "0000:06:0d.1", "none") == 0, "unbind sibling");
	container = (int)sim_sys_open(w, pid, "/dev/vfio/vfio", O_RDWR);
	group = (int)sim_sys_open(w, pid, "/dev/vfio/1", O_RDWR);
	CHECK(sim_sys_ioctl(w, pid, group, VFIO_GROUP_SET_CONTAINER, &container) == 0 &&
	      sim_sys_ioctl(w, pid, container, VFIO_SET_IOMMU,
			    (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) == 0, "container");
	memset(buf, 0x11, 3 * 4096);
	map.vaddr = (uintptr_t)buf;
	map.iova = 0x100000;
	map.size = 3 * 4096;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	CHECK(sim_sys_ioctl(w, pid, container, VFIO_IOMMU_MAP_DMA, &map) == 0, "map");
	CHECK(munmap(buf, 3 * 4096) == 0, "munmap");
	/* keep the range ours, inaccessible: an allocator of this process
	 * (ASan's, on the DMA path) could take the freed addresses otherwise,
	 * and the simulator's reads of "the page the program gave up" would
	 * then land in that allocation instead of finding it gone */
	CHECK(mmap(buf, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == buf,
	      "the freed range kept reserved");

	/* the device writes the page the program gave up, and reads it back */
	memset(data, 0xa5, sizeof(data));
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == 0, "dma write after munmap: fault %d",
	      op.fault_reason);
	op.write = false;
	op.buf = back;
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == 0 && !memcmp(back, data, sizeof(back)),
	      "the pinned page holds the device's bytes");
	/* another page found gone: a read lands too (its old bytes are not
	 * recoverable once the program unmapped it, see sim/mem.c) */
	op.addr = 0x100000 + 2 * 4096;
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == 0, "dma read after munmap");
	/* a new mapping at the old address is another page */
	again = mmap(buf + 4096, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(again == buf + 4096, "mmap again");
	op.addr = 0x100000 + 4096;
	op.write = true;
	op.buf = data;
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == 0, "dma write again");
	CHECK(again != buf + 4096 || (again[0] == 0 && again[15] == 0),
	      "the new mapping does not see the DMA");

	unmap.iova = 0x100000;
	unmap.size = 3 * 4096;
	CHECK(sim_sys_ioctl(w, pid, container, VFIO_IOMMU_UNMAP_DMA, &unmap) == 0 &&
	      unmap.size == 3 * 4096, "unmap unpins");
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == -EFAULT, "no DMA after the unmap");
	CHECK(sim_sys_close(w, pid, group) == 0 && sim_sys_close(w, pid, container) == 0,
	      "close");
	sim_world_free(w);
	if (again == buf + 4096)
		munmap(again, 4096);
}

/*
 * The IOMMU's fault queue, drained as text: a DMA the default domain
 * refuses (06:0d.0 behind the PCIe-to-PCI bridge: the IOMMU sees 06:00.0),
 * in VT-d's words, the fault reason and the page address.
 */
static void test_fault_drain(const char *path)
{
	struct sim_world *w = sim_world_new_from_file(path, NULL);
	static const char want[] = "write 06:00.0 0x5000 reason=0x05\n"
				   "read 06:00.0 0x7000 reason=0x06\n";
	uint8_t data[16] = { 1 };
	struct sim_dma op = { .addr = 0x5123, .write = true, .buf = data, .len = sizeof(data) };
	char buf[256], tiny[16];
	long ret;

	CHECK(w, "load");
	if (!w)
		return;
	ret = sim_iommu_fault_drain(w, buf, sizeof(buf));
	CHECK(ret == 0 && !buf[0], "no fault yet: %ld '%s'", ret, buf);
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == -EFAULT, "write refused");
	op.addr = 0x7ff0;
	op.write = false;
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == -EFAULT, "read refused");
	CHECK(sim_iommu_fault_drain(w, tiny, sizeof(tiny)) == -ENOSPC && !tiny[0],
	      "a short buffer takes nothing");
	CHECK(sim_iommu_fault_drain(NULL, buf, sizeof(buf)) == -EINVAL, "no world");
	CHECK(sim_iommu_fault_drain(w, NULL, 8) == -EINVAL, "no buffer");
	ret = sim_iommu_fault_drain(w, buf, sizeof(buf));
	CHECK(ret == (long)strlen(want) && !strcmp(buf, want), "drained %ld: '%s'", ret, buf);
	ret = sim_iommu_fault_drain(w, buf, sizeof(buf));
	CHECK(ret == 0 && !buf[0], "drained once: %ld '%s'", ret, buf);
	sim_world_free(w);
}

/* sim_dev_irq: a device's MSI-X message reaches the eventfd SET_IRQS gave
 * its vector (vfio_msihandler); a vector without one is masked in the
 * table, so the message waits as a pending bit. */
static void test_dev_irq(void)
{
	static const char yaml[] =
		"name: api-irq\n"
		"topology:\n"
		"  - {bdf: \"0000:00:1c.0\", type: root-port, acs: [SV, RR, CR, UF]}\n"
		"  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:1c.0\",\n"
		"     driver: vfio-pci, irqs: {msix: 2}}\n";
	struct sim_world *w = sim_world_new_from_string(yaml, NULL);
	struct { struct vfio_irq_set s; int32_t fd[2]; } set = {
		.s = { .argsz = sizeof(set), .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 2,
		       .flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD },
	};
	char path[32];
	uint64_t count = 0;
	int pid, container, group, dev, efd;

	CHECK(w != NULL, "irq world");
	if (!w)
		return;
	pid = sim_proc_spawn(w, 0, 0, SIM_PROC_NATIVE);
	snprintf(path, sizeof(path), "/dev/vfio/%d", sim_pci_iommu_group(w, "0000:01:00.0"));
	container = (int)sim_sys_open(w, pid, "/dev/vfio/vfio", O_RDWR);
	group = (int)sim_sys_open(w, pid, path, O_RDWR);
	CHECK(sim_sys_ioctl(w, pid, group, VFIO_GROUP_SET_CONTAINER, &container) == 0 &&
	      sim_sys_ioctl(w, pid, container, VFIO_SET_IOMMU,
			    (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) == 0, "irq: container");
	dev = (int)sim_sys_ioctl(w, pid, group, VFIO_GROUP_GET_DEVICE_FD, "0000:01:00.0");
	efd = sim_sys_eventfd(w, pid, 0, 0);
	CHECK(dev >= 0 && efd >= 0, "irq: device %d, eventfd %d", dev, efd);
	CHECK(sim_dev_irq(w, "0000:01:00.0", SIM_IRQ_MSIX, 0) == SIM_IRQ_DISABLED,
	      "irq: MSI-X off");
	set.fd[0] = efd;
	set.fd[1] = -1;
	CHECK(sim_sys_ioctl(w, pid, dev, VFIO_DEVICE_SET_IRQS, &set) == 0, "irq: SET_IRQS");
	CHECK(sim_dev_irq(w, "0000:01:00.0", SIM_IRQ_MSIX, 0) == SIM_IRQ_SENT, "irq: sent");
	CHECK(sim_sys_read(w, pid, efd, &count, 8) == 8 && count == 1, "irq: count %llu",
	      (unsigned long long)count);
	CHECK(sim_dev_irq(w, "0000:01:00.0", SIM_IRQ_MSIX, 1) == SIM_IRQ_PENDING,
	      "irq: masked vector pending");
	CHECK(sim_dev_irq(w, "0000:01:00.0", SIM_IRQ_MSIX, 2) == -EINVAL, "irq: no vector 2");
	CHECK(sim_dev_irq(w, "0000:09:00.0", SIM_IRQ_MSI, 0) == -ENODEV, "irq: no device");
	sim_world_free(w);
}

/*
 * A native MAP_DMA is all or nothing at the first page the kernel will not
 * give: a buffer with a read-only page maps for reading, fails for writing
 * with EFAULT and leaves nothing mapped; a hole fails it either way.
 */
static void test_native_map_efault(const char *path)
{
	struct sim_world *w = sim_world_new_from_file(path, NULL);
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	size_t len = 256 * 4096;
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t back[4];
	struct sim_dma op = { .addr = 0x100000, .buf = back, .len = 4 };
	int pid, container, group;

	CHECK(w && buf != MAP_FAILED, "set-up");
	if (!w || buf == MAP_FAILED)
		return;
	memset(buf, 0x3c, len);
	mprotect(buf + 200 * 4096, 4096, PROT_READ);
	pid = sim_proc_spawn(w, 0, 0, SIM_PROC_NATIVE);
	CHECK(sim_pci_bind(w, "0000:06:0d.0", "vfio-pci") == 0, "bind");
	CHECK(sim_pci_bind(w, "0000:06:0d.1", "none") == 0, "unbind sibling");
	container = (int)sim_sys_open(w, pid, "/dev/vfio/vfio", O_RDWR);
	group = (int)sim_sys_open(w, pid, "/dev/vfio/1", O_RDWR);
	CHECK(sim_sys_ioctl(w, pid, group, VFIO_GROUP_SET_CONTAINER, &container) == 0 &&
	      sim_sys_ioctl(w, pid, container, VFIO_SET_IOMMU,
			    (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) == 0, "container");
	map.vaddr = (uintptr_t)buf;
	map.iova = 0x100000;
	map.size = len;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	CHECK(sim_sys_ioctl(w, pid, container, VFIO_IOMMU_MAP_DMA, &map) == -EFAULT,
	      "a read-only page in a writable map");
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == -EFAULT, "nothing left mapped");
	map.flags = VFIO_DMA_MAP_FLAG_READ;
	CHECK(sim_sys_ioctl(w, pid, container, VFIO_IOMMU_MAP_DMA, &map) == 0, "read-only map");
	op.addr = 0x100000 + 200 * 4096;
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == 0 && back[0] == 0x3c, "the device reads it");
	unmap.iova = 0x100000;
	unmap.size = len;
	CHECK(sim_sys_ioctl(w, pid, container, VFIO_IOMMU_UNMAP_DMA, &unmap) == 0, "unmap");
	munmap(buf + 100 * 4096, 4096);
	CHECK(sim_sys_ioctl(w, pid, container, VFIO_IOMMU_MAP_DMA, &map) == -EFAULT,
	      "a hole in the buffer");
	op.addr = 0x100000;
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == -EFAULT, "nothing mapped again");
	sim_world_free(w);
	munmap(buf, len);
}

/*
 * The iommufd flow of the kernel's documentation (Documentation/
 * userspace-api/iommufd.rst, vfio.rst "cdev"), by a native process through
 * the public header only: the device's cdev found in sysfs, /dev/iommu, an
 * IOAS, BIND_IOMMUFD, ATTACH_IOMMUFD_PT (an automatic HWPT), IOAS_MAP of
 * this program's buffer, a device DMA that lands in it, IOAS_UNMAP, the
 * same DMA faulting, and everything taken down: no object is left (the
 * HWPT went with the detach, the IOAS with its DESTROY) and the device
 * unbinds from vfio-pci.
 */
static void test_native_iommufd(const char *path)
{
	struct sim_world *w = sim_world_new_from_file(path, NULL);
	uint8_t *buf = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct iommu_destroy ds = { .size = sizeof(ds) };
	char list[64], node[96];
	uint8_t data[32];
	struct sim_dma op = { 0 };
	int pid, ifd, dfd;

	CHECK(w && buf != MAP_FAILED, "set-up");
	if (!w || buf == MAP_FAILED)
		return;
	pid = sim_proc_spawn(w, 0, 0, SIM_PROC_NATIVE);
	CHECK(sim_pci_bind(w, "0000:06:0d.0", "vfio-pci") == 0, "bind");
	CHECK(sim_pci_bind(w, "0000:06:0d.1", "none") == 0, "unbind sibling");
	/* /sys/bus/pci/devices/BDF/vfio-dev/vfioN names the cdev */
	CHECK(sim_sysfs_list(w, "/sys/bus/pci/devices/0000:06:0d.0/vfio-dev", list,
			     sizeof(list)) > 0 && !strncmp(list, "vfio", 4), "vfio-dev: %s", list);
	list[strcspn(list, " \n")] = 0;
	snprintf(node, sizeof(node), "/dev/vfio/devices/%s", list);
	ifd = (int)sim_sys_open(w, pid, "/dev/iommu", O_RDWR);
	dfd = (int)sim_sys_open(w, pid, node, O_RDWR);
	CHECK(ifd >= 3 && dfd > ifd, "fds %d %d (%s)", ifd, dfd, node);
	CHECK(sim_sys_ioctl(w, pid, ifd, IOMMU_IOAS_ALLOC, &ia) == 0 && ia.out_ioas_id == 1,
	      "IOAS %u", ia.out_ioas_id);
	bind.iommufd = ifd;
	CHECK(sim_sys_ioctl(w, pid, dfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) == 0 &&
	      bind.out_devid == 2, "bind: devid %u", bind.out_devid);
	at.pt_id = ia.out_ioas_id;
	CHECK(sim_sys_ioctl(w, pid, dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0 && at.pt_id == 3,
	      "attach: the automatic HWPT %u", at.pt_id);
	map.ioas_id = ia.out_ioas_id;
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	map.user_va = (uintptr_t)buf;
	map.length = 1 << 20;
	map.iova = 0x100000;
	CHECK(sim_sys_ioctl(w, pid, ifd, IOMMU_IOAS_MAP, &map) == 0, "IOAS_MAP");
	memset(data, 0x3c, sizeof(data));
	op.addr = 0x100000 + 0x2000;
	op.write = true;
	op.buf = data;
	op.len = sizeof(data);
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == 0, "dma: fault %d", op.fault_reason);
	CHECK(buf[0x2000] == 0x3c && buf[0x2000 + 31] == 0x3c && buf[0x2000 + 32] == 0,
	      "the device's bytes are in this program's buffer");
	unmap.ioas_id = ia.out_ioas_id;
	unmap.iova = 0x100000;
	unmap.length = 1 << 20;
	CHECK(sim_sys_ioctl(w, pid, ifd, IOMMU_IOAS_UNMAP, &unmap) == 0 &&
	      unmap.length == 1 << 20, "IOAS_UNMAP");
	CHECK(sim_dev_dma(w, "0000:06:0d.0", &op) == -EFAULT, "unmapped: the DMA faults");
	CHECK(sim_sys_ioctl(w, pid, dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt) == 0, "detach");
	ds.id = at.pt_id;
	CHECK(sim_sys_ioctl(w, pid, ifd, IOMMU_DESTROY, &ds) == -ENOENT,
	      "the automatic HWPT went with its last device");
	ds.id = bind.out_devid;
	CHECK(sim_sys_ioctl(w, pid, ifd, IOMMU_DESTROY, &ds) == -EBUSY, "the device is VFIO's");
	CHECK(sim_sys_close(w, pid, dfd) == 0, "close the cdev: unbinds");
	CHECK(sim_sys_ioctl(w, pid, ifd, IOMMU_DESTROY, &ds) == -ENOENT, "device object gone");
	ds.id = ia.out_ioas_id;
	CHECK(sim_sys_ioctl(w, pid, ifd, IOMMU_DESTROY, &ds) == 0, "destroy the IOAS");
	CHECK(sim_sys_ioctl(w, pid, ifd, IOMMU_DESTROY, &ds) == -ENOENT, "nothing left");
	CHECK(sim_sys_close(w, pid, ifd) == 0, "close /dev/iommu");
	CHECK(sim_pci_bind(w, "0000:06:0d.0", "none") == 0, "vfio-pci lets go");
	munmap(buf, 1 << 20);
	sim_world_free(w);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SCENARIO.yaml\n", argv[0]);
		return 2;
	}
	test_errors();
	test_flow(argv[1]);
	test_two_worlds(argv[1]);
	test_native_dma(argv[1]);
	test_native_iommufd(argv[1]);
	test_null_world();
	test_native_munmap(argv[1]);
	test_native_map_efault(argv[1]);
	test_fault_drain(argv[1]);
	test_dev_irq();
	printf("api_client: %s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
