/* SPDX-License-Identifier: MIT */
#pragma once

/* The entry points of devpass-systemd.so (cgroup-systemd.c), behind the
 * dp_sd_*() of devpass/act.h (systemd-load.c). */
#include "devpass/act.h"

int dp_sdbus_unit_by_pid(pid_t pid, dp_sd_unit *ret);
int dp_sdbus_allow_get(const char *unit, dp_sd_allow **ret, size_t *ret_n);
int dp_sdbus_allow_add(const char *unit, const dp_sd_allow *a, size_t n);
int dp_sdbus_allow_set(const char *unit, const dp_sd_allow *a, size_t n);
