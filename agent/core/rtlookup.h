/* SPDX-License-Identifier: MIT */
#pragma once

/* Container runtime lookups off the event loop. A runtime answers over a
 * socket that may hang (a wedged dockerd, a slow LXD): the agent never
 * waits on one. Each lookup runs in a short-lived forked child (the agent
 * stays single-threaded: setns() needs that) that resolves references with
 * dp_container_resolve() and writes one JSON line per answer to a pipe the
 * loop watches. The agent pins each reported init itself (pidfd, start
 * time) before it uses it. A child is killed at its deadline; at most
 * DP_RTLOOKUP_MAX run at a time. */

#include "core/daemon.h"

#define DP_RTLOOKUP_TIMEOUT_MS 3000
#define DP_RTLOOKUP_MAX        4 /* children at a time, all kinds together */

typedef enum dp_rtlookup_kind {
        /* every running container the runtimes list, and refs: each new one
         * goes to dp_registry_adopt() as soon as it is reported */
        DP_RTLOOKUP_RESCAN,
        /* refs[0] only, for a request that waits: its done callback */
        DP_RTLOOKUP_ATTACH,
} dp_rtlookup_kind;

/* The end of lookup id: c (taken) or r < 0. */
typedef void (*dp_rtlookup_done_fn)(void *data, unsigned id, int r,
                                    dp_container *c);

/* Starts a lookup; *ret_id names it in done (DP_RTLOOKUP_ATTACH; NULL for a
 * rescan). -EBUSY when DP_RTLOOKUP_MAX children run already. */
int dp_rtlookup_start(dp_daemon *d, dp_rtlookup_kind kind, char *const *refs,
                      dp_rtlookup_done_fn done, void *done_data,
                      unsigned *ret_id);
/* Whether a lookup of that kind is in flight. */
bool dp_rtlookup_running(const dp_daemon *d, dp_rtlookup_kind kind);
/* Runs the lookups in flight to their end, each bounded by its deadline,
 * without the loop: for start-up only, before the agent serves anything. */
void dp_rtlookup_wait_all(dp_daemon *d);
/* Kills and reaps every child. */
void dp_rtlookup_free_all(dp_daemon *d);
