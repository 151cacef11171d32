/* SPDX-License-Identifier: MIT */
#pragma once

/* How act enters a container: fn runs in a short child that joined the
 * container's namespaces named in `namespaces` (CLONE_NEWNS, CLONE_NEWNET;
 * 0: none) and, with ids, took the container root's filesystem ids while
 * keeping host root's capabilities; the agent's own ids and namespaces stay:
 * no thread of the agent ever switches namespace (the layering check greps
 * for setns() outside ns-spawn.c). */

#include <stdbool.h>
#include <sys/types.h>

#include "devpass/container.h"

typedef struct dp_ns_ids {
        uid_t fsuid;
        gid_t fsgid;
} dp_ns_ids;

/* fn returns a negative errno or a result from 0 to DP_NS_RESULT_MAX,
 * which dp_ns_run() returns; -EIO if the child died otherwise. */
#define DP_NS_RESULT_MAX 50
int dp_ns_run(const dp_container *c, int namespaces, const dp_ns_ids *ids,
              int (*fn)(void *arg), void *arg);
/* The same with namespace files the caller holds (borrowed; negative: stay
 * where the agent is), for the NIC module, which knows a netns only. */
int dp_ns_run_fds(int mntfd, int netfd, const dp_ns_ids *ids,
                  int (*fn)(void *arg), void *arg);
