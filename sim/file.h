/* SPDX-License-Identifier: MIT */
/*
 * Open file objects.  A file has operations (what kind of object is behind
 * it), a reference count (fd table entries, dup, fork, and kernel objects that
 * pin a file, like a VFIO device fd pinning its group file), and the open
 * flags.  The last reference calls ->release.
 *
 * User memory: an ioctl argument is an unsigned long, as in the kernel; an
 * operation that takes a pointer reaches user memory only through the uaccess
 * helpers that the memory layer adds, never by dereferencing it.
 */
#ifndef SIM_FILE_H
#define SIM_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_world;
struct sim_proc;
struct sim_file;

struct sim_file_ops {
	const char *name;   /* kind, for traces and errors: "vfio-container" */
	long (*ioctl)(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
		      unsigned long arg);
	long (*read)(struct sim_file *f, struct sim_proc *p, void *buf,
		     size_t n, uint64_t off);
	long (*write)(struct sim_file *f, struct sim_proc *p, const void *buf,
		      size_t n, uint64_t off);
	long (*mmap)(struct sim_file *f, struct sim_proc *p, uint64_t addr,
		     uint64_t len, int prot, uint64_t pgoff);
	/* Last reference dropped: free @f->private_data. */
	void (*release)(struct sim_file *f);
	/* A stream with no file position (an anonymous inode, a
	 * nonseekable_open file): pread/pwrite are ESPIPE. */
	bool stream;
};

struct sim_file {
	struct sim_world *w;
	const struct sim_file_ops *ops;
	void *private_data;
	unsigned refcount;
	int oflags;          /* O_RDONLY / O_WRONLY / O_RDWR | O_CLOEXEC ... */
	char *path;          /* the node it was opened from, or an anon name */
	uint64_t serial;     /* creation order, for deterministic reporting */
};

/*
 * A new file with one reference.  NULL on fault injection ("file_alloc").
 * @path is copied.
 */
struct sim_file *sim_file_new(struct sim_world *w, const struct sim_file_ops *ops,
			      void *private_data, int oflags, const char *path);
struct sim_file *sim_file_get(struct sim_file *f);
void sim_file_put(struct sim_file *f);

/* Files alive in the world (for leak checks). */
unsigned long sim_file_live(const struct sim_world *w);

#endif
