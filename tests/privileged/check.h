/* SPDX-License-Identifier: MIT */
#pragma once

/* A check that reports and counts a failure and goes on, for the plain
 * (non-cmocka) privileged checkers: one run shows every mismatch. */

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                              \
        do {                                                          \
                if (!(cond)) {                                        \
                        fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, \
                                __LINE__, #cond);                     \
                        fprintf(stderr, __VA_ARGS__);                 \
                        fputc('\n', stderr);                          \
                        failures++;                                   \
                }                                                     \
        } while (0)
