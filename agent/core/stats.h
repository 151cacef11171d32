/* SPDX-License-Identifier: MIT */
#pragma once

/* What devpassd counts for its metrics endpoint. The core only counts;
 * serving them (HTTP) is a front end's business (agent/metrics-http.c), and
 * dp_stats_format() is a pure function of the counts and the daemon's
 * state, so that the format is unit-tested without a socket. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct dp_daemon dp_daemon;

/* Reasons are a closed set, so that a label never takes a value a
 * container or a device chose (and the series count stays bounded). */
typedef enum dp_stat_reason {
        DP_REASON_DEVICE_REMOVED,
        DP_REASON_CONTAINER_STOPPED,
        DP_REASON_POLICY,
        DP_REASON_DENIED,
        DP_REASON_MANUAL,
        DP_REASON_UNFINISHED,
        DP_REASON_LEASE,
        DP_REASON_FAILED,
        DP_REASON_OTHER,
        _DP_REASON_MAX,
} dp_stat_reason;

#define DP_HIST_BUCKETS 14

typedef struct dp_histogram {
        uint64_t bucket[DP_HIST_BUCKETS + 1]; /* last: +Inf */
        uint64_t count;
        double sum_s;
} dp_histogram;

typedef struct dp_stats {
        uint64_t grants_policy, grants_manual;
        uint64_t revokes[_DP_REASON_MAX];
        uint64_t refusals[_DP_REASON_MAX];
        uint64_t enobufs;
        size_t ipc_clients; /* kept by the IPC front end */
        dp_histogram reconcile, hotplug;
} dp_stats;

/* The reason label of a revoke's explanation (reconcile.c's words). */
dp_stat_reason dp_stat_reason_of(const char *why);
const char *dp_stat_reason_name(dp_stat_reason r);
void dp_histogram_observe(dp_histogram *h, uint64_t usec);
/* Writes every metric family; openmetrics: OpenMetrics 1.0 text (counter
 * families without _total, "# EOF"), else Prometheus text 0.0.4. */
int dp_stats_format(dp_daemon *d, bool openmetrics, FILE *f);
