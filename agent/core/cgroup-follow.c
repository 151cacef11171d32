/* SPDX-License-Identifier: MIT */
/* A container's init may move to another cgroup after its grants were
 * made: a systemd inside it puts itself into init.scope, a runtime moves
 * it. The verify pass looks where it is now. Below the grant's cgroup
 * nothing is lost on cgroup v2 (a device program holds for the whole
 * subtree; so does systemd's DeviceAllow=), but a cgroup v1 child keeps
 * the device list it was made with, so the init there would be denied what
 * the grant allows: the rule is allowed there too, level by level (the
 * kernel checks each against its parent), and the revoke's deny at the
 * grant's cgroup reaches it (v1 passes revocations down). Out of the
 * grant's cgroup the grant no longer governs the container: it is not
 * followed (where the init went is not the runtime's word), and said. */
#include <string.h>

#include "core/daemon.h"
#include "devpass/log.h"

/* dir is top or below it */
static bool path_within(const char *dir, const char *top)
{
        size_t l = strlen(top);

        return strneq(dir, top, l) && (dir[l] == 0 || dir[l] == '/');
}

/* Allows g's own v1 rules in each cgroup from below g->cg_v1 down to dir. */
static int allow_down(const dp_act_ops *ops, dp_grant *g, const char *dir)
{
        size_t top = strlen(g->cg_v1), end = top, len = strlen(dir);
        int fixed = 0;

        while (end < len) {
                const char *slash = strchr(dir + end + 1, '/');
                _cleanup_free_ char *level = NULL;

                end = slash ? (size_t)(slash - dir) : len;
                level = strndup(dir, end);
                if (!level)
                        return -ENOMEM;
                for (size_t i = 0; i < g->n_nodes; i++) {
                        const dp_grant_cg *cg = &g->nodes[i].cg;

                        if (!cg->v1 ||
                            ops->cg1_covered(level, cg->type, cg->major,
                                             cg->minor, cg->access) != 0 ||
                            ops->cg1_allow(level, cg->type, cg->major,
                                           cg->minor, cg->access) < 0)
                                continue;
                        log_info("%s: allowed in %s too, below the cgroup "
                                 "it was granted in, where the init of %s "
                                 "is now",
                                 g->device, level, g->container);
                        fixed++;
                }
        }
        return fixed;
}

int dp_reconcile_follow_cgroup(dp_daemon *d, dp_grant *g, const dp_container *c)
{
        _cleanup_free_ char *v1 = NULL, *v2 = NULL;
        const char *left = NULL, *now = NULL;
        int r;

        /* a cgroup: target names its cgroup, whoever runs in it */
        if (g->has_netdev || c->runtime == DP_RUNTIME_CGROUP ||
            dp_container_cgroups_now(c, &v1, &v2) < 0)
                return 0;
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
                return 0;
        }
        g->cg_left_said = false;
        if (!g->cg_v1 || !v1 || streq(v1, g->cg_v1))
                return 0;
        r = allow_down(d->engine->ops, g, v1);
        return r < 0 ? 0 : r;
}
