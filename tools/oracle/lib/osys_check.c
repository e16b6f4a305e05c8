/* SPDX-License-Identifier: MIT */
/* osys result lines, the same on every target (osys.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "osys.h"

static unsigned nchecks;

void ocheck(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("check %s ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	nchecks++;
}

void ocheck_named(const char *value, const char *name_fmt, ...)
{
	char name[160];
	va_list ap;

	va_start(ap, name_fmt);
	vsnprintf(name, sizeof(name), name_fmt, ap);
	va_end(ap);
	ocheck(name, "%s", value);
}

const char *oret(long ret)
{
	static char buf[4][32];
	static unsigned slot;
	char *b = buf[slot++ % 4];
	const char *name;

	if (ret >= 0) {
		snprintf(b, sizeof(buf[0]), "%ld", ret);
		return b;
	}
	name = -ret < 4096 ? strerrorname_np((int)-ret) : NULL;
	if (name)
		snprintf(b, sizeof(buf[0]), "-%s", name);
	else
		snprintf(b, sizeof(buf[0]), "%ld", ret);
	return b;
}

unsigned ocheck_count(void)
{
	return nchecks;
}
