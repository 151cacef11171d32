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
        /* refs[0] only, for a parked IPC request: dp_ipc_lookup_done() */
        DP_RTLOOKUP_ATTACH,
} dp_rtlookup_kind;

/* Starts a lookup; *ret_id names it in dp_ipc_lookup_done(). -EBUSY when
 * DP_RTLOOKUP_MAX children run already. */
int dp_rtlookup_start(dp_daemon *d, dp_rtlookup_kind kind, char *const *refs,
                      unsigned *ret_id);
/* Whether a lookup of that kind is in flight. */
bool dp_rtlookup_running(const dp_daemon *d, dp_rtlookup_kind kind);
/* The loop's handler for DP_EV_LOOKUP (pipe) and DP_EV_LOOKUP_TIMER. */
void dp_rtlookup_event(dp_daemon *d, unsigned tag, int fd);
/* Runs the lookups in flight to their end, each bounded by its deadline,
 * without the loop: for start-up only, before the agent serves anything. */
void dp_rtlookup_wait_all(dp_daemon *d);
/* Kills and reaps every child. */
void dp_rtlookup_free_all(dp_daemon *d);
