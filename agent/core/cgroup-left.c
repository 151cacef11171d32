/* SPDX-License-Identifier: MIT */
/* A container's init may move to another cgroup after its grants were
 * made: a systemd inside it puts itself into init.scope, a runtime moves
 * it. The verify pass looks where it is now. Below the grant's cgroup
 * nothing is lost: a cgroup v2 program, or systemd's DeviceAllow=, holds
 * for the whole subtree, and on cgroup v1 the grant went into the cgroups
 * below as well (engine-cg1.c) and later ones copy it. Out of the grant's
 * cgroup the grant no longer governs the container: it is not followed
 * (where the init went is not the runtime's word), and said once. */
#include <string.h>

#include "core/daemon.h"
#include "devpass/log.h"

void dp_reconcile_cgroup_left(dp_grant *g, const dp_container *c)
{
        _cleanup_free_ char *v1 = NULL, *v2 = NULL;
        const char *left = NULL, *now = NULL;

        /* a cgroup: target names its cgroup, whoever runs in it */
        if (g->has_netdev || c->runtime == DP_RUNTIME_CGROUP ||
            dp_container_cgroups_now(c, &v1, &v2) < 0)
                return;
        if (g->cg_v2 && v2 && !path_within(v2, g->cg_v2))
                left = g->cg_v2, now = v2;
        else if (g->cg_v1 && v1 && !path_within(v1, g->cg_v1))
                left = g->cg_v1, now = v1;
        if (left) {
                if (!g->cg_left_said)
                        log_warning("The init of %s left %s, where %s was "
                                    "granted (it is in %s now): the grant no "
                                    "longer governs it; detach and attach "
                                    "again",
                                    g->container, left, g->device, now);
                g->cg_left_said = true;
                return;
        }
        g->cg_left_said = false;
}
