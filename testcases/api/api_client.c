/* SPDX-License-Identifier: MIT */
/*
 * An external C program driving iommusim through its public header only,
 * as a user of the installed library would.  Usage: api_client SCENARIO.yaml
 * (the quickstart topology: group 1 holds 00:1e.0, 06:0d.0 and 06:0d.1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/iommusim.h>

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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SCENARIO.yaml\n", argv[0]);
		return 2;
	}
	test_errors();
	test_flow(argv[1]);
	test_two_worlds(argv[1]);
	printf("api_client: %s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
