/* SPDX-License-Identifier: MIT */
#pragma once

/* agent/act/net.c: the entry points of the devpass-net module (behind
 * dp_act_net_*(), see net-load.c) and pieces exposed for unit tests. */

#include <stdbool.h>
#include <stdint.h>

#include "devpass/act.h"

int dp_net_move_in(const dp_container *c, const char *ifname,
                   const char *new_name, dp_netdev_saved *ret_saved);
int dp_net_move_out(const dp_container *c, const dp_netdev_saved *saved);
int dp_net_find_by_mac(const char *mac, char ret_ifname[16]);
int dp_net_restore(const dp_netdev_saved *saved);

/* Converts a libnl error code (NLE_*, either sign) to a negative errno;
 * 0 stays 0. libnl folds kernel errnos into its own codes, so this is the
 * one place where they are turned back into something the core understands. */
int dp_nl_errno(int nlerr);

/* The kernel's rules for an interface name (dev_valid_name), plus no '%':
 * the kernel treats a '%' in a requested name as a pattern. */
bool dp_ifname_valid(const char *name);

/* Parses "aa:bb:cc:dd:ee:ff" (either case). */
int dp_mac_parse(const char *s, uint8_t ret[6]);
