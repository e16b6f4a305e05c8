/* SPDX-License-Identifier: MIT */
/* Shared helpers for the Check unit tests. */
#ifndef UNIT_COMMON_H
#define UNIT_COMMON_H

#include <check.h>

/* Run @s with Check's normal output; returns the process exit status. */
int unit_run(Suite *s);

#endif
