/* SPDX-License-Identifier: MIT */
/* eventfd files (eventfd.h): a counter, read and reset, written and signalled. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib.h>

#include "sim/eventfd.h"
#include "sim/fault.h"
#include "sim/file.h"
#include "sim/proc.h"
#include "sim/trace.h"

#define EFD_FLAGS_KNOWN (SIM_EFD_SEMAPHORE | SIM_EFD_CLOEXEC | SIM_EFD_NONBLOCK)

struct eventfd_watch {
	void (*fn)(struct sim_file *f, void *ctx);
	void *ctx;
};

struct eventfd_ctx {
	uint64_t count;
	bool semaphore;
	GArray *watches;        /* struct eventfd_watch, in the order added */
	bool waking;
};

/* wake_up_locked_poll(EPOLLIN): each waiter once, not re-entered. */
static void eventfd_wake(struct sim_file *f, struct eventfd_ctx *ctx)
{
	if (!ctx->watches || ctx->waking || !ctx->count)
		return;
	ctx->waking = true;
	for (guint i = 0; i < ctx->watches->len && ctx->count; i++) {
		struct eventfd_watch wt = g_array_index(ctx->watches, struct eventfd_watch, i);

		wt.fn(f, wt.ctx);
	}
	ctx->waking = false;
}

static struct eventfd_ctx *ctx_of(const struct sim_file *f)
{
	return sim_file_is_eventfd(f) ? f->private_data : NULL;
}

/* eventfd_read: 8 bytes of the counter (or 1 as a semaphore), then less. */
static long eventfd_fop_read(struct sim_file *f, struct sim_proc *p, void *buf, size_t n,
			     uint64_t off)
{
	struct eventfd_ctx *ctx = f->private_data;
	uint64_t v;

	if (n < sizeof(v))
		return -EINVAL;
	if (!ctx->count)
		return -EAGAIN;        /* blocking or not: nothing could wake us */
	v = ctx->semaphore ? 1 : ctx->count;
	ctx->count -= v;
	memcpy(buf, &v, sizeof(v));
	return sizeof(v);
}

/* eventfd_write: add an 8-byte value below ULLONG_MAX if it fits. */
static long eventfd_fop_write(struct sim_file *f, struct sim_proc *p, const void *buf,
			      size_t n, uint64_t off)
{
	struct eventfd_ctx *ctx = f->private_data;
	uint64_t v;

	if (n < sizeof(v))
		return -EINVAL;
	memcpy(&v, buf, sizeof(v));
	if (v == UINT64_MAX)
		return -EINVAL;
	if (UINT64_MAX - ctx->count <= v)
		return -EAGAIN;
	ctx->count += v;
	eventfd_wake(f, ctx);
	return sizeof(v);
}

static void eventfd_fop_release(struct sim_file *f)
{
	struct eventfd_ctx *ctx = f->private_data;

	if (ctx->watches)
		g_array_free(ctx->watches, TRUE);
	g_free(ctx);
}

static const struct sim_file_ops eventfd_fops = {
	.name = "[eventfd]",
	.stream = true,
	.read = eventfd_fop_read,
	.write = eventfd_fop_write,
	.release = eventfd_fop_release,
};

bool sim_file_is_eventfd(const struct sim_file *f)
{
	return f && f->ops == &eventfd_fops;
}

int sim_eventfd_create(struct sim_proc *p, unsigned int initval, int flags)
{
	struct eventfd_ctx *ctx;
	struct sim_file *f;
	int fd;

	if (flags & ~EFD_FLAGS_KNOWN)
		return -EINVAL;
	if (sim_should_fail(p->w, "eventfd_alloc"))
		return -ENOMEM;
	ctx = g_new0(struct eventfd_ctx, 1);
	ctx->count = initval;
	ctx->semaphore = flags & SIM_EFD_SEMAPHORE;
	f = sim_file_new(p->w, &eventfd_fops, ctx, O_RDWR | (flags & SIM_EFD_NONBLOCK), NULL);
	if (!f) {
		g_free(ctx);
		return -ENOMEM;
	}
	fd = sim_fd_install(p, f, flags & SIM_EFD_CLOEXEC);
	sim_file_put(f);               /* the table holds its own reference */
	return fd;
}

uint64_t sim_eventfd_signal(struct sim_file *f, uint64_t n)
{
	struct eventfd_ctx *ctx = ctx_of(f);

	if (!ctx)
		return 0;
	if (UINT64_MAX - ctx->count < n)
		n = UINT64_MAX - ctx->count;
	ctx->count += n;
	SIM_TRACE(f->w, sim_eventfd_signal, (unsigned long long)f->serial,
		  (unsigned long long)n, (unsigned long long)ctx->count);
	eventfd_wake(f, ctx);
	return n;
}

uint64_t sim_eventfd_count(const struct sim_file *f)
{
	struct eventfd_ctx *ctx = ctx_of(f);

	return ctx ? ctx->count : 0;
}

int sim_eventfd_watch(struct sim_file *f, void (*fn)(struct sim_file *f, void *ctx), void *ctx)
{
	struct eventfd_ctx *ec = ctx_of(f);
	struct eventfd_watch wt = { .fn = fn, .ctx = ctx };

	if (!ec || !fn)
		return -EINVAL;
	if (!ec->watches)
		ec->watches = g_array_new(FALSE, FALSE, sizeof(struct eventfd_watch));
	g_array_append_val(ec->watches, wt);
	return 0;
}

void sim_eventfd_unwatch(struct sim_file *f, void (*fn)(struct sim_file *f, void *ctx),
			 void *ctx)
{
	struct eventfd_ctx *ec = ctx_of(f);

	for (guint i = 0; ec && ec->watches && i < ec->watches->len; i++) {
		struct eventfd_watch *wt = &g_array_index(ec->watches, struct eventfd_watch, i);

		if (wt->fn == fn && wt->ctx == ctx) {
			g_array_remove_index(ec->watches, i);
			return;
		}
	}
}

uint64_t sim_eventfd_take(struct sim_file *f)
{
	struct eventfd_ctx *ctx = ctx_of(f);
	uint64_t v = ctx ? ctx->count : 0;

	if (ctx)
		ctx->count = 0;
	return v;
}
