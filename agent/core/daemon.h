/* SPDX-License-Identifier: MIT */
#pragma once

/* devpassd's state and its single-threaded epoll loop. Every event —
 * uevent, container start/stop, policy change, IPC call, start-up, netlink
 * overflow — ends in dp_reconcile(), which recomputes the affected
 * (device, container) pairs and applies the difference to the ledger. */

#include <stdbool.h>
#include <stdint.h>

#include "core/engine.h"
#include "devpass/hw.h"
#include "devpass/policy.h"

struct udev_monitor;
struct json_object;

typedef struct dp_ctr_entry {
        dp_container *c;
        bool seen; /* by the last rescan */
} dp_ctr_entry;

typedef struct dp_ipc_client dp_ipc_client;
typedef struct dp_rtlookup dp_rtlookup;

typedef struct dp_daemon_config {
        char **policy_dirs;
        const char *state_dir;
        const char *socket_path;
        int64_t read_group; /* gid allowed read-only verbs; -1 none */
        unsigned rescan_ms; /* bounded container rescan period */
        char **pinned_refs; /* non-glob pid:/cgroup: targets to watch */
        int monitor_rcvbuf; /* uevent socket buffer; 0: 128 MiB */
} dp_daemon_config;

typedef struct dp_daemon {
        dp_daemon_config cfg;
        int epoll_fd, signal_fd, timer_fd, inotify_fd, listen_fd;
        int reload_timer_fd;
        int lease_timer_fd;                 /* CLOCK_REALTIME: next lease end */
        uint64_t lease_armed;               /* the end it is set to; 0 none */
        struct dp_lease_tombs *lease_tombs; /* lease.h */
        struct udev_monitor *monitor;
        bool monitor_udev; /* udev source (udevd runs) or kernel source */
        dp_engine *engine;
        dp_hw *hw;
        dp_policy *policy;      /* NULL: no policy grants (load failed) */
        char *policy_error;     /* why, for status */
        dp_device_list devices; /* present host devices */
        dp_device_list moved;   /* NICs devpass moved into containers */
        dp_ctr_entry *ctrs;     /* running containers */
        size_t n_ctrs;
        dp_ipc_client **clients;
        size_t n_clients;
        dp_rtlookup **lookups; /* runtime lookups in flight (rtlookup.h) */
        size_t n_lookups;
        bool rescan_again; /* a rescan was asked for while one ran */
        uint64_t n_events, n_resyncs, ticks;
        bool quit;
} dp_daemon;

int dp_daemon_new(const dp_daemon_config *cfg, dp_daemon **ret);
void dp_daemon_free(dp_daemon *d);
int dp_daemon_run(dp_daemon *d);

/* reconcile.c: device may be NULL (all devices), container likewise. */
int dp_reconcile(dp_daemon *d, const char *device_syspath,
                 const char *container_ref);
/* (Re)loads the policy; keeps the old one on error and returns it. */
int dp_daemon_reload(dp_daemon *d, char **ret_error);
/* Checks that what the ledger says was applied is still in force (another
 * cgroup manager may rewrite the rules, a user may delete a node) and puts
 * back what is missing. */
int dp_reconcile_verify(dp_daemon *d);
/* Full re-enumeration of devices (start-up, ENOBUFS). */
int dp_daemon_enumerate(dp_daemon *d);
/* Container registry (registry.c). */
int dp_registry_rescan(dp_daemon *d);
dp_container *dp_registry_find(dp_daemon *d, const char *ref);
int dp_registry_handle_pidfd(dp_daemon *d, int fd);
/* Tracks c (taken), which a runtime lookup found running, if it is new. */
void dp_registry_adopt(dp_daemon *d, dp_container *c);
/* lookup.c: a device or running container the agent tracks; -ENOENT / NULL
 * when it does not (then resolve it from scratch). */
int dp_daemon_lookup_device(const dp_daemon *d, const char *ref,
                            dp_device **ret);
const dp_container *dp_daemon_lookup_container(dp_daemon *d, const char *ref);
/* Sends one event line to monitor clients and logs it. */
void dp_daemon_emit(dp_daemon *d, const char *event, const char *fmt, ...)
        _printf_(3, 4);

/* ipc/server.c */
int dp_ipc_server_open(dp_daemon *d);
int dp_ipc_server_accept(dp_daemon *d);
int dp_ipc_client_event(dp_daemon *d, int fd, uint32_t events);
void dp_ipc_clients_free(dp_daemon *d);
void dp_ipc_broadcast(dp_daemon *d, struct json_object *params);
void dp_ipc_expire_idle(dp_daemon *d);
/* The end of runtime lookup id for a parked attach: c (taken) or r < 0. */
void dp_ipc_lookup_done(dp_daemon *d, unsigned id, int r, dp_container *c);

/* epoll tags: the low bits of the u64 say what the fd is */
enum {
        DP_EV_SIGNAL = 1,
        DP_EV_TIMER,
        DP_EV_INOTIFY,
        DP_EV_LISTEN,
        DP_EV_MONITOR,
        DP_EV_RELOAD,
        DP_EV_PIDFD, /* data.u64 = tag | fd << 8 */
        DP_EV_CLIENT,
        DP_EV_LOOKUP,       /* a runtime lookup child's output pipe */
        DP_EV_LOOKUP_TIMER, /* its deadline */
        DP_EV_LEASE,        /* a lease ended */
};
#define DP_EV_MAKE(tag, fd) ((uint64_t)(tag) | ((uint64_t)(uint32_t)(fd) << 8))
#define DP_EV_TAG(u)        ((unsigned)((u)&0xff))
#define DP_EV_FD(u)         ((int)((u) >> 8))
