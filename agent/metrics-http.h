/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

typedef struct dp_daemon dp_daemon;
typedef struct dp_metrics_http dp_metrics_http;

/* Serves d's metrics on spec (see --metrics-listen) from d's loop. */
int dp_metrics_http_open(dp_daemon *d, const char *spec, int64_t read_group,
                         dp_metrics_http **ret);
void dp_metrics_http_free(dp_metrics_http *m);
