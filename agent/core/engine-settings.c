/* SPDX-License-Identifier: MIT */
/* A rule's [Grant] settings edited while its grants stand. What the kernel
 * lets us change in place is changed in place — a node's mode and owner
 * (same inode, so descriptors open inside stay), the cgroup access bits —
 * instead of revoking the grant and making it again; only the settings
 * that give another node or NIC name need a new grant. */
#include <string.h>

#include "core/engine.h"
#include "devpass/log.h"

#define ACCESS_ALL (DP_ACCESS_READ | DP_ACCESS_WRITE | DP_ACCESS_MKNOD)

static unsigned want_access(const dp_grant_opts *o)
{
        return o->access ? o->access : DP_ACCESS_READ | DP_ACCESS_WRITE;
}

/* The grant's node for the device's own node (the one Path= names). */
static const dp_grant_node *own_node(const dp_grant *g, const dp_device *d)
{
        if (d->n_nodes == 0)
                return NULL;
        for (size_t i = 0; i < g->n_nodes; i++) {
                const dp_grant_node *n = &g->nodes[i];

                if (n->host && streq(n->host, d->nodes[0].path) &&
                    n->type == d->nodes[0].type &&
                    n->major == d->nodes[0].major &&
                    n->minor == d->nodes[0].minor)
                        return n;
        }
        return NULL;
}

const char *dp_grant_settings_regrant(const dp_grant *g, const dp_device *d,
                                      const dp_grant_opts *o)
{
        if (g->has_netdev) {
                const char *want = o->ifname ? o->ifname : g->netdev.name;

                return streq(want, g->netdev.name_inside) ? NULL
                                                          : "InterfaceName=";
        }
        if (g->companions != o->companions)
                return "Companions=";
        if (g->forward != o->forward)
                return "Forward=";
        if (d) {
                const dp_grant_node *n = own_node(g, d);

                /* a bundle that changed is dp_engine_update's business */
                if (n && !streq(n->path, o->path ? o->path : n->host))
                        return "Path=";
        }
        return NULL;
}

static int node_attrs(dp_engine *e, dp_grant *g, const dp_container *c,
                      dp_grant_node *n, const dp_grant_opts *o)
{
        unsigned mode =
                o->mode >= 0 ? (unsigned)o->mode : dp_grant_host_mode(n->host);
        uint32_t uid = o->owner >= 0 ? (uint32_t)o->owner : 0;
        uint32_t gid = o->group >= 0 ? (uint32_t)o->group : 0;
        dp_node_spec s;
        int r;

        if (n->mode == mode && n->uid == uid && n->gid == gid)
                return 0;
        if (!e->ops->node_set_attrs)
                return -EOPNOTSUPP;
        dp_grant_node_spec(n, &s);
        s.mode = mode;
        s.uid = uid;
        s.gid = gid;
        r = e->ops->node_set_attrs(c, &s);
        if (r < 0)
                return r;
        log_info("%s in %s: mode %04o owner %u:%u, was %04o %u:%u", n->path,
                 g->container, mode, uid, gid, n->mode, n->uid, n->gid);
        n->mode = mode;
        n->uid = uid;
        n->gid = gid;
        return 1;
}

/* v1: the new bits allowed, the dropped ones denied (devices.deny of some
 * bits narrows the exception); v2: the map entry rewritten. A rule the
 * runtime had given already is only ever widened. */
static int cg_access(dp_engine *e, dp_grant *g, dp_grant_cg *cg,
                     unsigned access)
{
        unsigned added = access & ~cg->access, dropped = cg->access & ~access;
        int r;

        if (cg->access == access)
                return 0;
        if (g->cg_v1 && !cg->v1 && added) {
                r = e->ops->cg1_covered(g->cg_v1, cg->type, cg->major,
                                        cg->minor, access);
                if (r < 0)
                        return r;
                cg->v1 = r == 0;
        }
        if (g->cg_v1 && cg->v1) {
                r = added ? e->ops->cg1_allow(g->cg_v1, cg->type, cg->major,
                                              cg->minor, access)
                          : 0;
                if (r >= 0 && dropped)
                        r = e->ops->cg1_deny(g->cg_v1, cg->type, cg->major,
                                             cg->minor, dropped & ACCESS_ALL);
                if (r < 0)
                        return r;
        }
        if (g->cg_v2 && cg->v2) {
                bool changed = false;

                r = e->ops->cg2_grant(g->cg_v2, cg->type, cg->major, cg->minor,
                                      access, &changed);
                if (r < 0)
                        return r;
        }
        r = dp_engine_sd_access(e, g, cg, access);
        if (r < 0)
                return r;
        cg->access = access;
        return 1;
}

int dp_engine_apply_settings(dp_engine *e, dp_grant *g, const dp_container *c,
                             const dp_grant_opts *o, unsigned *ret_changed)
{
        unsigned access = want_access(o), changed = 0;
        int r = 0;

        for (size_t i = 0; i < g->n_nodes && r >= 0; i++) {
                /* a node that was there before devpass is not ours */
                if (!g->nodes[i].created)
                        continue;
                r = node_attrs(e, g, c, &g->nodes[i], o);
                changed += r > 0;
        }
        for (size_t i = 0; i < g->n_nodes && r >= 0; i++) {
                r = cg_access(e, g, &g->nodes[i].cg, access);
                changed += r > 0;
        }
        if (r >= 0 && g->access != access) {
                g->access = access;
                changed += g->n_nodes == 0;
        }
        if (changed > 0 || r < 0)
                (void)dp_engine_save_grant(e, g);
        if (r < 0)
                return r;
        if (ret_changed)
                *ret_changed = changed;
        return 0;
}
