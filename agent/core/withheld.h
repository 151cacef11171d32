/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* Manual detaches of policy grants. `devpassctl detach` of a device that a
 * rule grants means the same for every class: the device stays out of that
 * container until it is re-plugged, the policy decides about it anew (another
 * rule, or none and then one), or `attach` is run for the pair. The hold is
 * kept in the state dir (withheld/<hash>.json, one file per pair), so that
 * it survives an agent restart and is shared with devpassctl acting without
 * an agent. */

/* Holds (container, device) back from rule (its "FILE:LINE"; "*": from
 * the first rule that will grant it, which then is recorded). */
int dp_withheld_add(const char *state_dir, const char *container,
                    const char *device, const char *rule);
/* 1 and *ret_rule (malloc'd) if the pair is held back, 0 if not. */
int dp_withheld_get(const char *state_dir, const char *container,
                    const char *device, char **ret_rule);
int dp_withheld_drop(const char *state_dir, const char *container,
                     const char *device);
/* Drops every hold of device (re-plugged, or no rule grants it now). */
int dp_withheld_drop_device(const char *state_dir, const char *device);
/* Whether any hold exists (a cheap check before per-pair lookups). */
bool dp_withheld_any(const char *state_dir);
