/* SPDX-License-Identifier: MIT */
/* errno names as scenarios and reports spell them. */
#include <errno.h>
#include <string.h>

#include "tools/scenario/loader.h"

#define E(x) { x, #x }
static const struct { int num; const char *name; } errnames[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
	E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(EFBIG),
	E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM),
	E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOSYS), E(ENOTEMPTY),
	E(ENODATA), E(ETIME), E(EOVERFLOW), E(EBADFD), E(EMSGSIZE),
	E(EOPNOTSUPP), E(EADDRINUSE), E(ETIMEDOUT), E(ECANCELED),
	E(EHWPOISON), E(EUSERS), E(EBADE),
};
#undef E

const char *errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].num == err)
			return errnames[i].name;
	return NULL;
}

int errno_from_name(const char *name)
{
	/* EWOULDBLOCK and ENOTSUP are aliases on Linux */
	if (!strcmp(name, "EWOULDBLOCK"))
		return EAGAIN;
	if (!strcmp(name, "ENOTSUP"))
		return EOPNOTSUPP;
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, name))
			return errnames[i].num;
	return 0;
}
