/* SPDX-License-Identifier: MIT */
#pragma once

/* A running container as the grant engine sees it: an init process pinned by
 * a pidfd, its namespaces, id maps and cgroups. Produced by container
 * resolution (agent/core/container*.c), consumed by agent/act. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "devpass/macro.h"

typedef enum dp_runtime {
        DP_RUNTIME_PID = 0,
        DP_RUNTIME_CGROUP,
        DP_RUNTIME_LXC,
        DP_RUNTIME_INCUS,
        DP_RUNTIME_LXD,
        DP_RUNTIME_NSPAWN,
        DP_RUNTIME_DOCKER,
        DP_RUNTIME_PODMAN,
        _DP_RUNTIME_MAX,
} dp_runtime;

const char *dp_runtime_to_string(dp_runtime r); /* "lxc", "pid", … */
int dp_runtime_from_string(const char *s, dp_runtime *ret);

typedef struct dp_idmap_range {
        uint32_t inside, outside, count;
} dp_idmap_range;

typedef struct dp_container {
        char *ref; /* canonical reference, e.g. "lxc:web" or "pid:4242" */
        dp_runtime runtime;
        char *name;         /* runtime's name, or the pid/cgroup text */
        pid_t pid;          /* init, in the host (agent's) pid namespace */
        int pidfd;          /* pins init; readable once init is gone */
        uint64_t starttime; /* /proc/PID/stat field 22: identity across restarts
                             */
        bool userns;        /* own user namespace (unprivileged container) */
        bool host_namespaces; /* mount, pid and user namespaces all the
                                 agent's: the host itself, not a container */
        dp_idmap_range *uid_map, *gid_map;
        size_t n_uid_map, n_gid_map;
        char *cgroup_v1_devices; /* absolute dir in the v1 devices hierarchy, or
                                    NULL */
        char *cgroup_v2; /* absolute dir in the cgroup2 hierarchy, or NULL */
        bool systemd_managed; /* cgroup owned by systemd (nspawn, systemd
                                 driver) */
} dp_container;

dp_container *dp_container_new(void);
void dp_container_free(dp_container *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(dp_container *, dp_container_free)
#define _cleanup_container_free_ _cleanup_(dp_container_freep)

/* ---- the base core and act share (common/container.c) ---- */
/* 0 while the process a pidfd pins runs (or pidfd < 0: unknown), -ESRCH
 * once it has exited. */
int dp_pidfd_check(int pidfd);
/* 0 while init runs, -ESRCH once it is gone (pidfd readable or pid reused). */
int dp_container_check_alive(const dp_container *c);
/* Opens /proc/PID/<what> of a pidfd-pinned container (-EINVAL without a
 * pidfd), checking the pidfd before and after, so that a recycled PID can
 * never hand us another process's root or namespace. */
int dp_container_open_proc(const dp_container *c, const char *what, int flags,
                           int *ret_fd);
/* Parses uid_map/gid_map text ("inside outside count" lines). */
int dp_idmap_parse(const char *text, dp_idmap_range **ret, size_t *ret_n);
int dp_idmap_map(const dp_idmap_range *map, size_t n, uint32_t inside,
                 uint32_t *ret);
/* Field 22 of /proc/PID/stat text. */
int dp_proc_stat_starttime(const char *text, uint64_t *ret);
/* Maps an id as seen inside to the host id; -ERANGE if unmapped. An empty
 * map is the identity for a container in the agent's user namespace and
 * maps nothing (-ERANGE) for one with a user namespace of its own. */
int dp_container_map_uid(const dp_container *c, uint32_t inside, uint32_t *ret);
int dp_container_map_gid(const dp_container *c, uint32_t inside, uint32_t *ret);
/* Fills pid-derived facts: pidfd, starttime, userns, id maps, cgroups. Used
 * by every runtime backend once it knows the init pid. */
int dp_container_from_pid(pid_t pid, dp_container **ret);
/* The cgroup directories c's init is in now (its runtime, or a systemd
 * inside, may move it after it was resolved), read through the pinned
 * /proc entry; -ESRCH once it is gone. */
int dp_container_cgroups_now(const dp_container *c, char **ret_v1_devices,
                             char **ret_v2);

/* Where the cgroup filesystems live; tests under umockdev point these
 * elsewhere. Defaults: /sys/fs/cgroup/devices and the cgroup2 mount found
 * in /proc/self/mountinfo (/sys/fs/cgroup/unified or /sys/fs/cgroup). */
const char *dp_cgroup_v1_devices_root(void);
const char *dp_cgroup_v2_root(void);
