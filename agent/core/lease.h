/* SPDX-License-Identifier: MIT */
#pragma once

/* Leases: grants that end at a deadline (`attach --for`, `Lease=`). The
 * ledger holds each grant's end, so an agent that was down (even killed)
 * when a lease ran out revokes it at its next start. A policy grant whose
 * lease ended is not made again for the same container instance: those
 * (instance, device, rule) triples are kept in STATE_DIR/leases-ended.json
 * until the instance stops. */

#include <stdbool.h>
#include <stdint.h>

#include "core/engine.h"
#include "devpass/hw.h"

struct json_object;
struct dp_daemon;
struct dp_manual_refs;
struct dp_service;
struct dp_service_error;

uint64_t dp_now_realtime_ms(void);
/* g has a lease and it is over at now (ms, CLOCK_REALTIME). */
bool dp_grant_lease_over(const dp_grant *g, uint64_t now);
/* The earliest lease end in l, 0 when no grant has a lease. */
uint64_t dp_ledger_next_lease_end(const dp_ledger *l);

typedef struct dp_lease_ended {
        char *container, *device, *source;
        uint64_t starttime; /* the container instance */
} dp_lease_ended;

typedef struct dp_lease_tombs {
        char *path;
        dp_lease_ended *items;
        size_t n;
} dp_lease_tombs;

/* Missing or unreadable file: an empty set (what it held is then granted
 * once more, for one more lease). */
int dp_lease_tombs_load(const char *state_dir, dp_lease_tombs **ret);
void dp_lease_tombs_free(dp_lease_tombs *t);
int dp_lease_tombs_add(dp_lease_tombs *t, const char *container,
                       uint64_t starttime, const char *device,
                       const char *source);
bool dp_lease_tombs_has(const dp_lease_tombs *t, const char *container,
                        uint64_t starttime, const char *device,
                        const char *source);
/* Drops the entries whose instance running() says is gone. */
void dp_lease_tombs_prune(dp_lease_tombs *t,
                          bool (*running)(void *userdata, const char *ref,
                                          uint64_t starttime),
                          void *userdata);

/* `renew`: the lease of the grant refs names now ends lease_ms from now. */
int dp_manual_renew(dp_engine *e, dp_hw *hw, const struct dp_manual_refs *refs,
                    uint64_t lease_ms, struct json_object **ret_grant,
                    char **ret_error);
/* Without an agent: revokes the grants whose lease is over (the container
 * is asked of its runtime; a stopped one loses only what outlives it). */
void dp_engine_expire_leases(dp_engine *e);
/* The agent: the timer set to the next lease end (none: disarmed), and
 * what it does when it fires (a loop callback; data is the daemon). */
void dp_daemon_arm_lease_timer(struct dp_daemon *d);
void dp_daemon_on_lease_timer(void *data, int fd, uint32_t events);
/* {container, device, lease_ms} → {grant}: the verb behind `renew`, for the
 * agent's IPC and devpassctl-local alike (service.h). */
int dp_service_renew(struct dp_service *s, struct json_object *params,
                     struct json_object **ret, struct dp_service_error *e);
