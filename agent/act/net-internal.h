/* SPDX-License-Identifier: MIT */
#pragma once

/* Pieces of agent/act/net.c that are exposed for unit tests. */

#include <stdbool.h>
#include <stdint.h>

/* Converts a libnl error code (NLE_*, either sign) to a negative errno;
 * 0 stays 0. libnl folds kernel errnos into its own codes, so this is the
 * one place where they are turned back into something the core understands. */
int dp_nl_errno(int nlerr);

/* The kernel's rules for an interface name (dev_valid_name), plus no '%':
 * the kernel treats a '%' in a requested name as a pattern. */
bool dp_ifname_valid(const char *name);

/* Parses "aa:bb:cc:dd:ee:ff" (either case). */
int dp_mac_parse(const char *s, uint8_t ret[6]);
