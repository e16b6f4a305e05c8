/* SPDX-License-Identifier: MIT */
/*
 * What the benchmark programs share (each is its own executable, so these
 * are static inline): a monotonic clock, sorting samples for a median, and
 * reading what callgrind counted.
 */
#ifndef TOOLS_BENCH_COMMON_H
#define TOOLS_BENCH_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n samples (they are sorted). */
static inline double bench_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline bool bench_have_valgrind(void)
{
	return system("command -v valgrind >/dev/null 2>&1") == 0;
}

/* The "summary:" (or "totals:") line of a callgrind output file: the
 * instructions executed while collection was on.  -1 when absent. */
static inline double bench_callgrind_total(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[512];
	double total = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7))
			total = strtod(strchr(line, ':') + 1, NULL);
	fclose(f);
	return total;
}

#endif
