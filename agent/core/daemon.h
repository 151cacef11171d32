/* SPDX-License-Identifier: MIT */
#pragma once

/* devpassd's state and its single-threaded epoll loop. Every event —
 * uevent, container start/stop, policy change, IPC call, start-up, netlink
 * overflow — ends in dp_reconcile(), which recomputes the affected
 * (device, container) pairs and applies the difference to the ledger. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/engine.h"
#include "core/loop.h"
#include "core/stats.h"
#include "devpass/hw.h"
#include "devpass/policy.h"

struct udev_monitor;

typedef struct dp_ctr_entry {
        dp_container *c;
        bool seen; /* by the last rescan */
} dp_ctr_entry;

typedef struct dp_rtlookup dp_rtlookup;
typedef struct dp_loop dp_loop;

/* Receives every event line the agent emits (monitor clients). */
typedef void (*dp_daemon_event_fn)(void *data, const char *event,
                                   const char *text);
typedef struct dp_daemon_subscriber {
        dp_daemon_event_fn fn;
        void *data;
} dp_daemon_subscriber;

typedef struct dp_daemon_config {
        char **policy_dirs;
        const char *state_dir;
        const char *socket_path;
        int64_t read_group;  /* gid allowed read-only verbs; -1 none */
        unsigned rescan_ms;  /* bounded container rescan period */
        char **pinned_refs;  /* non-glob pid:/cgroup: targets to watch */
        int monitor_rcvbuf;  /* uevent socket buffer; 0: 128 MiB */
        const char *cdi_dir; /* where CDI specs are written; NULL: none */
        const char *kubelet_driver; /* run the DRA plugin as this driver */
        const char *kubelet_dir;    /* the kubelet's root dir */
} dp_daemon_config;

typedef struct dp_daemon {
        dp_daemon_config cfg;
        dp_loop *loop; /* its sources: loop.h */
        int signal_fd, timer_fd, inotify_fd;
        int reload_timer_fd;
        int lease_timer_fd;                 /* CLOCK_REALTIME: next lease end */
        uint64_t lease_armed;               /* the end it is set to; 0 none */
        struct dp_lease_tombs *lease_tombs; /* lease.h */
        struct udev_monitor *monitor;
        bool monitor_udev; /* udev source (udevd runs) or kernel source */
        pid_t udevd_pid;   /* the udevd last seen (a hint, not a pin) */
        dp_engine *engine;
        dp_hw *hw;
        dp_policy *policy;      /* NULL: no policy grants (load failed) */
        char *policy_error;     /* why, for status */
        dp_device_list devices; /* present host devices */
        dp_device_list moved;   /* NICs devpass moved into containers */
        dp_ctr_entry *ctrs;     /* running containers */
        size_t n_ctrs;
        dp_daemon_subscriber *subscribers;
        size_t n_subscribers;
        dp_rtlookup **lookups; /* runtime lookups in flight (rtlookup.h) */
        size_t n_lookups;
        bool rescan_again;  /* a rescan was asked for while one ran */
        char **cdi_written; /* CDI spec files this agent keeps (cdi-sync.c) */
        bool cdi_loaded;    /* ... read from the state dir */
        pid_t kubelet_pid;  /* devpass-kubelet-plugin (kubelet.c) */
        int64_t kubelet_started;
        uint64_t n_events, n_resyncs, ticks;
        dp_stats stats; /* metrics: stats.h */
        bool quit;
} dp_daemon;

int dp_daemon_new(const dp_daemon_config *cfg, dp_daemon **ret);
void dp_daemon_free(dp_daemon *d);
int dp_daemon_run(dp_daemon *d);

/* reconcile.c: device may be NULL (all devices), container likewise. */
int dp_reconcile(dp_daemon *d, const char *device_syspath,
                 const char *container_ref);
/* cdi-sync.c: writes the CDI specs of what the policy exports now. */
int dp_cdi_sync(dp_daemon *d);
/* kubelet.c: devpass-kubelet-plugin as a child, restarted when it exits. */
void dp_kubelet_start(dp_daemon *d);
void dp_kubelet_tick(dp_daemon *d);
void dp_kubelet_stop(dp_daemon *d);
/* (Re)loads the policy; keeps the old one on error and returns it. */
int dp_daemon_reload(dp_daemon *d, char **ret_error);
/* Checks that what the ledger says was applied is still in force (another
 * cgroup manager may rewrite the rules, a user may delete a node) and puts
 * back what is missing. */
int dp_reconcile_verify(dp_daemon *d);
/* Where the container's init is now against g's cgroups (cgroup-left.c):
 * says once when it left them. */
void dp_reconcile_cgroup_left(dp_grant *g, const dp_container *c);
/* Full re-enumeration of devices (start-up, ENOBUFS). */
int dp_daemon_enumerate(dp_daemon *d);
/* Enumerates and reconciles everything: events may have been lost. */
void dp_daemon_resync(dp_daemon *d, const char *why);
/* daemon-monitor.c: the uevent source, udev's while udevd runs, the
 * kernel's while it does not. */
int dp_daemon_monitor_open(dp_daemon *d);
/* Switches source (and resyncs) when udevd has come or gone. */
void dp_daemon_udevd_check(dp_daemon *d);
/* The loop's callback for the uevent source's fd. */
void dp_daemon_on_uevent(void *data, int fd, uint32_t events);
/* Container registry (registry.c). */
int dp_registry_rescan(dp_daemon *d);
/* At start-up: the v2 state of cgroups that are gone (left by a crash or
 * an older devpass) is removed. */
void dp_registry_sweep(dp_daemon *d);
dp_container *dp_registry_find(dp_daemon *d, const char *ref);
int dp_registry_handle_pidfd(dp_daemon *d, int fd);
/* Tracks c (taken), which a runtime lookup found running, if it is new. */
void dp_registry_adopt(dp_daemon *d, dp_container *c);
/* lookup.c: a device or running container the agent tracks; -ENOENT / NULL
 * when it does not (then resolve it from scratch). */
int dp_daemon_lookup_device(const dp_daemon *d, const char *ref,
                            dp_device **ret);
const dp_container *dp_daemon_lookup_container(dp_daemon *d, const char *ref);
/* daemon-service.c: the verbs' context over what the agent tracks; valid
 * until the daemon's policy or lists change. */
struct dp_service;
void dp_daemon_service(dp_daemon *d, struct dp_service *ret);
/* Logs one event line and hands it to every subscriber. */
void dp_daemon_emit(dp_daemon *d, const char *event, const char *fmt, ...)
        _printf_(3, 4);
int dp_daemon_subscribe(dp_daemon *d, dp_daemon_event_fn fn, void *data);
void dp_daemon_unsubscribe(dp_daemon *d, dp_daemon_event_fn fn, void *data);
