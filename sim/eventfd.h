/* SPDX-License-Identifier: MIT */
/*
 * eventfd(2): a file holding a 64-bit counter, as fs/eventfd.c keeps it.
 *
 *  - read(2) of at least 8 bytes returns the counter and sets it to 0 (with
 *    EFD_SEMAPHORE: returns 1 and decrements it); fewer than 8 bytes is
 *    -EINVAL; a zero counter is -EAGAIN.
 *  - write(2) of at least 8 bytes adds the value; fewer is -EINVAL, the
 *    value ULLONG_MAX is -EINVAL, a sum that would reach ULLONG_MAX is
 *    -EAGAIN.
 *  - pread/pwrite: -ESPIPE (an anonymous inode has no position).
 *  - the kernel side signals it (eventfd_signal): the counter grows by the
 *    given amount, stopping at ULLONG_MAX.
 *
 * Blocking: a world is single-threaded, so nothing could ever wake a reader
 * waiting for a zero counter (or a writer for room).  Where Linux would
 * sleep, the simulator returns -EAGAIN whether or not EFD_NONBLOCK was
 * given; a program that blocks on a real kernel for an interrupt that never
 * comes would hang there instead.
 */
#ifndef SIM_EVENTFD_H
#define SIM_EVENTFD_H

#include <stdbool.h>
#include <stdint.h>

struct sim_proc;
struct sim_file;

/* The flags eventfd2 takes (their Linux values). */
#define SIM_EFD_SEMAPHORE 0x1
#define SIM_EFD_CLOEXEC   02000000     /* O_CLOEXEC */
#define SIM_EFD_NONBLOCK  04000        /* O_NONBLOCK */

/* A new eventfd in @p with counter @initval: the fd (lowest free), -EINVAL
 * for unknown flags, -EMFILE, -ENOMEM (fault site "eventfd_alloc"). */
int sim_eventfd_create(struct sim_proc *p, unsigned int initval, int flags);

/* Is @f an eventfd? */
bool sim_file_is_eventfd(const struct sim_file *f);

/* eventfd_signal: add @n to @f's counter (capped at ULLONG_MAX); returns
 * what was added.  Nothing for a file that is not an eventfd. */
uint64_t sim_eventfd_signal(struct sim_file *f, uint64_t n);

/* The counter, without reading it (tests, traces); 0 for other files. */
uint64_t sim_eventfd_count(const struct sim_file *f);

/*
 * A kernel waiter on the eventfd (vfio's virqfd: a wait-queue entry woken
 * with EPOLLIN): @fn runs after each write(2) or eventfd_signal that leaves
 * the counter non-zero.  0, or -EINVAL for a file that is no eventfd; the
 * caller holds a reference to @f while it watches.  A watcher signalling
 * the eventfd it watches is not woken again from inside itself.
 */
int sim_eventfd_watch(struct sim_file *f, void (*fn)(struct sim_file *f, void *ctx), void *ctx);
void sim_eventfd_unwatch(struct sim_file *f, void (*fn)(struct sim_file *f, void *ctx),
			 void *ctx);
/* eventfd_ctx_do_read: take the whole counter (a waiter consuming it). */
uint64_t sim_eventfd_take(struct sim_file *f);

#define TP_sim_eventfd_signal "file=%llu add=%llu count=%llu"

#endif
