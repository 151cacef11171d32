/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/daemon.h"
#include "core/lease.h"
#include "core/manual.h"
#include "core/withheld.h"
#include "devpass/log.h"

/* Level-triggered reconcile: desired = f(policy, present devices, running
 * containers, manual grants); actual = the ledger. Only pairs passing the
 * filters are looked at, so a uevent costs one device's worth of work. */

static const dp_device *find_device(dp_daemon *d, const char *syspath)
{
        const dp_device *dev = dp_device_list_find(&d->devices, syspath);

        return dev ? dev : dp_device_list_find(&d->moved, syspath);
}

static bool rule_targets(const dp_rule *rule, const char *ref)
{
        STRV_FOREACH (g, dp_rule_containers(rule))
                if (dp_container_ref_match(*g, ref))
                        return true;
        return false;
}

static const dp_rule *allow_rule(dp_daemon *d, const dp_device *dev)
{
        const dp_rule *rule;

        if (!d->policy)
                return NULL;
        rule = dp_policy_match(d->policy, dev, NULL);
        if (!rule || dp_rule_grant(rule)->action != DP_ACTION_ALLOW)
                return NULL;
        return rule;
}

static size_t holders(dp_daemon *d, const char *syspath)
{
        size_t n = 0;

        for (size_t i = 0; i < d->engine->ledger->n; i++)
                if (streq(d->engine->ledger->grants[i]->device, syspath))
                        n++;
        return n;
}

static dp_grant_opts rule_opts(const dp_rule *rule)
{
        const dp_grant_settings *s = dp_rule_grant(rule);

        return (dp_grant_opts){
                .path = s->path,
                .mode = s->mode,
                .owner = s->owner,
                .group = s->group,
                .access = s->access,
                .ifname = s->interface_name,
                .companions = s->companions,
                .forward = s->forward,
                .default_route_nic = s->default_route_nic,
                .source = dp_rule_source(rule),
                .lease_ms = s->lease_ms,
                .rule = dp_rule_id(rule),
        };
}

/* A rule is known by its content (dp_rule_id), so that moving it in its
 * file or editing a comment changes nothing granted. A record written
 * before identities existed names only FILE:LINE: it is taken as the rule
 * at that place and gets the rule's identity (adopt_rule). */
static bool same_rule(const dp_grant *g, const dp_rule *rule)
{
        if (g->rule)
                return streq(g->rule, dp_rule_id(rule));
        return streq(g->source, dp_rule_source(rule));
}

/* Why g must go, or NULL if it stays; then *ret_dev is its device and
 * *ret_rule the rule that grants it (NULL for a manual grant). buf holds a
 * reason that names a rule. */
#define LEASE_OVER "lease expired"

static const char *revoke_reason(dp_daemon *d, dp_grant *g, dp_container *c,
                                 const dp_device **ret_dev,
                                 const dp_rule **ret_rule, char *buf,
                                 size_t size)
{
        const dp_device *dev;
        const dp_rule *rule = NULL, *deny;

        if (!c || !dp_grant_same_instance(g, c) ||
            dp_container_check_alive(c) < 0)
                return "container stopped";
        if (g->state != DP_GRANT_APPLIED)
                return "unfinished before a restart";
        if (dp_grant_lease_over(g, dp_now_realtime_ms()))
                return LEASE_OVER;
        dev = find_device(d, g->device);
        /* A NIC devpass moved into the container is gone from the host (it
         * saw "remove"): that is devpass's own move, not an unplug. Policy
         * grants keep their NIC's facts in d->moved; a manual one has only
         * the ledger, and the NIC's identity decides on its way back. */
        if (!dev && g->has_netdev && streq(g->source, "manual") && !g->lost) {
                *ret_dev = NULL;
                *ret_rule = NULL;
                return NULL;
        }
        if (!dev)
                return "device removed";
        if (!streq(g->source, "manual")) {
                rule = allow_rule(d, dev);
                if (!rule)
                        return "no rule grants it any more";
                if (!same_rule(g, rule))
                        return "another rule decides now";
                if (!rule_targets(rule, g->container))
                        return "rule no longer targets the container";
        }
        /* a manual grant made while the agent was down, or before the deny
         * rule was written: nobody gets a denied device */
        deny = dp_manual_denied_by(d->policy, dev);
        if (deny) {
                snprintf(buf, size, "denied by policy rule %s",
                         dp_rule_source(deny));
                return buf;
        }
        if (rule) {
                dp_grant_opts o = rule_opts(rule);
                const char *key = dp_grant_settings_regrant(g, dev, &o);

                if (key) {
                        snprintf(buf, size, "rule %s changed %s", o.source,
                                 key);
                        return buf;
                }
        }
        *ret_dev = dev;
        *ret_rule = rule;
        return NULL;
}

/* A grant that stays follows its rule: the rule's identity taken over by
 * an old record, its FILE:LINE (for people) as the file is edited, and
 * [Grant] settings changed in place. */
static void follow_rule(dp_daemon *d, dp_grant *g, dp_container *c,
                        const dp_rule *rule)
{
        dp_grant_opts o;
        unsigned changed = 0;
        bool save = false;
        int r;

        if (!rule)
                return;
        o = rule_opts(rule);
        if (!g->rule || !streq(g->source, o.source)) {
                char *id = strdup(o.rule), *src = strdup(o.source);

                if (!id || !src) {
                        free(id);
                        free(src);
                        return;
                }
                free(g->rule);
                free(g->source);
                g->rule = id;
                g->source = src;
                save = true;
        }
        r = dp_engine_apply_settings(d->engine, g, c, &o, &changed);
        if (r < 0)
                dp_daemon_emit(d, "error",
                               "updating %s in %s to rule %s failed: %s",
                               g->device, g->container, o.source, strerror(-r));
        else if (changed > 0)
                dp_daemon_emit(d, "update",
                               "update %s in %s in place: rule %s changed "
                               "its settings (%u step%s)",
                               g->device, g->container, o.source, changed,
                               changed == 1 ? "" : "s");
        if (save && changed == 0)
                (void)dp_engine_save_grant(d->engine, g);
}

/* A grant that stays but whose device's bundle changed is patched in
 * place: the nodes that stay are never touched. */
static void update_bundle(dp_daemon *d, dp_grant *g, dp_container *c,
                          const dp_device *dev, const dp_rule *rule)
{
        dp_grant_opts o;
        int r;

        if (!dp_grant_bundle_differs(g, dev))
                return;
        if (rule)
                o = rule_opts(rule);
        else {
                /* a manual grant: new nodes look like its first one */
                o = DP_GRANT_OPTS_DEFAULT;
                o.access = g->access;
                o.companions = g->companions;
                if (g->n_nodes > 0) {
                        o.mode = (int)g->nodes[0].mode;
                        o.owner = g->nodes[0].uid;
                        o.group = g->nodes[0].gid;
                }
        }
        r = dp_engine_update(d->engine, g, c, dev, &o);
        if (r < 0)
                dp_daemon_emit(d, "error", "updating %s in %s failed: %s",
                               g->device, g->container, strerror(-r));
        else
                dp_daemon_emit(d, "update", "update %s in %s: %zu node%s now",
                               g->device, g->container, g->n_nodes,
                               g->n_nodes == 1 ? "" : "s");
}

/* A lost NIC grant is not retried on every event: while its container
 * runs the NIC is in the container's hands (an explicit detach tries
 * again); after the stop it is tried once more through the held netns. */
static bool lost_settled(const dp_grant *g, dp_container *c)
{
        bool running = c && dp_grant_same_instance(g, c) &&
                       dp_container_check_alive(c) >= 0;

        return g->lost && (running || g->netns_fd < 0);
}

/* A NIC grant of a running container holds its netns, so that the NIC can
 * be moved out after init dies; after an agent restart it is re-opened. */
static void hold_netns(dp_daemon *d, dp_grant *g, dp_container *c)
{
        const dp_act_ops *ops = d->engine->ops;
        int r;

        if (!g->has_netdev || g->netns_fd >= 0 || !ops->net_netns_open)
                return;
        r = ops->net_netns_open(c, &g->netns_fd);
        if (r < 0)
                log_debug_errno(r, "Cannot hold the netns of %s: %m",
                                g->container);
}

/* The audit records of the agent's own decisions (no requester). */
static void audit_revoke(const char *ctr, const char *dev, const char *rule,
                         const char *nodes, const char *why, int r)
{
        _cleanup_free_ char *msg = NULL, *res = NULL;

        if (asprintf(&res, "%s%s%s", why, r < 0 ? ": failed: " : "",
                     r < 0 ? strerror(-r) : "") < 0 ||
            asprintf(&msg, "revoke %s from %s: %s", dev, ctr, res) < 0)
                return;
        dp_audit(DP_AUDIT_REVOKE, &(dp_audit_fields){.message = msg,
                                                     .container = ctr,
                                                     .device = dev,
                                                     .rule = rule,
                                                     .nodes = nodes,
                                                     .result = res});
}

static void audit_grant(const char *ctr, const dp_device *dev, const char *rule,
                        const dp_grant *g, int r)
{
        _cleanup_free_ char *msg = NULL, *res = NULL,
                            *nodes = g ? dp_audit_nodes(g) : NULL;

        if (asprintf(&res, "%s%s", r < 0 ? "failed: " : "ok",
                     r < 0 ? strerror(-r) : "") < 0 ||
            asprintf(&msg, "grant %s (%s) to %s: rule %s: %s", dev->syspath,
                     dp_class_to_string(dev->klass), ctr, rule, res) < 0)
                return;
        dp_audit(DP_AUDIT_GRANT, &(dp_audit_fields){.message = msg,
                                                    .container = ctr,
                                                    .device = dev->syspath,
                                                    .rule = rule,
                                                    .nodes = nodes,
                                                    .result = res});
}

static void revoke_pass(dp_daemon *d, const char *dev_filter,
                        const char *ctr_filter)
{
        dp_ledger *l = d->engine->ledger;

        for (size_t i = l->n; i-- > 0;) {
                dp_grant *g;
                dp_container *c;
                const char *why;
                const dp_device *device = NULL;
                const dp_rule *rule = NULL;
                _cleanup_free_ char *dev = NULL, *ctr = NULL, *src = NULL,
                                    *key = NULL, *nodes = NULL;
                uint64_t starttime;
                char reason[256];
                bool was_net;
                int r;

                if (i >= l->n)
                        continue;
                g = l->grants[i];
                if ((dev_filter && !streq(g->device, dev_filter)) ||
                    (ctr_filter && !streq(g->container, ctr_filter)))
                        continue;
                c = dp_registry_find(d, g->container);
                if (lost_settled(g, c))
                        continue;
                why = revoke_reason(d, g, c, &device, &rule, reason,
                                    sizeof(reason));
                if (!why) {
                        hold_netns(d, g, c);
                        follow_rule(d, g, c, rule);
                        if (device)
                                update_bundle(d, g, c, device, rule);
                        continue;
                }
                dev = strdup(g->device);
                ctr = strdup(g->container);
                src = strdup(g->source);
                /* a rule by its identity, which survives moves in its file */
                key = strdup(g->rule ? g->rule : g->source);
                starttime = g->starttime;
                if (!dev || !ctr || !src || !key)
                        return;
                was_net = g->has_netdev;
                nodes = dp_audit_nodes(g);
                r = dp_engine_detach(d->engine, g,
                                     c && dp_grant_same_instance(g, c) ? c
                                                                       : NULL);
                if (r < 0) {
                        d->stats.refusals[DP_REASON_FAILED]++;
                        dp_daemon_emit(d, "error",
                                       "revoke %s from %s (%s) failed: %s", dev,
                                       ctr, why, strerror(-r));
                        audit_revoke(ctr, dev, src, nodes, why, r);
                        continue;
                }
                d->stats.revokes[dp_stat_reason_of(why)]++;
                dp_daemon_emit(d, "revoke", "revoke %s from %s: %s", dev, ctr,
                               why);
                audit_revoke(ctr, dev, src, nodes, why, 0);
                /* a rule's lease is served once per container instance */
                if (streq(why, LEASE_OVER) && !streq(src, "manual"))
                        (void)dp_lease_tombs_add(d->lease_tombs, ctr, starttime,
                                                 dev, key);
                if (was_net) {
                        dp_device *m = dp_device_list_find(&d->moved, dev);

                        for (size_t k = 0; m && k < d->moved.n; k++)
                                if (d->moved.items[k] == m) {
                                        dp_device_free(m);
                                        d->moved.items[k] =
                                                d->moved.items[--d->moved.n];
                                        break;
                                }
                }
        }
}

/* Whether a manual detach holds the pair back from this rule; a hold from
 * another rule is over (the policy changed for the device). */
static bool withheld(dp_daemon *d, const dp_container *c, const dp_device *dev,
                     const dp_grant_opts *o)
{
        _cleanup_free_ char *rule = NULL;

        if (dp_withheld_get(d->engine->state_dir, c->ref, dev->syspath,
                            &rule) <= 0)
                return false;
        /* rules are known by content (dp_rule_id): moving one is no
         * policy change */
        if ((o->rule && streq(rule, o->rule)) || streq(rule, o->source))
                return true;
        /* held against whichever rule grants it first */
        if (streq(rule, "*")) {
                (void)dp_withheld_add(d->engine->state_dir, c->ref,
                                      dev->syspath,
                                      o->rule ? o->rule : o->source);
                return true;
        }
        (void)dp_withheld_drop(d->engine->state_dir, c->ref, dev->syspath);
        return false;
}

static void grant_one(dp_daemon *d, const dp_device *dev, const dp_rule *rule,
                      const char *ctr_filter, bool held)
{
        dp_grant_opts o = rule_opts(rule);

        if (dp_rule_exclusive(rule) && holders(d, dev->syspath) > 0)
                return;
        for (size_t i = 0; i < d->n_ctrs; i++) {
                dp_container *c = d->ctrs[i].c;
                dp_grant *g = NULL;
                int r;

                if (ctr_filter && !streq(c->ref, ctr_filter))
                        continue;
                if (!rule_targets(rule, c->ref) ||
                    dp_ledger_find(d->engine->ledger, c->ref, dev->syspath) ||
                    dp_lease_tombs_has(d->lease_tombs, c->ref, c->starttime,
                                       dev->syspath,
                                       o.rule ? o.rule : o.source))
                        continue;
                if (held && withheld(d, c, dev, &o))
                        continue;
                r = dp_engine_attach(d->engine, c, dev, &o, &g);
                audit_grant(c->ref, dev, o.source, r < 0 ? NULL : g, r);
                if (r < 0) {
                        d->stats.refusals[DP_REASON_FAILED]++;
                        dp_daemon_emit(d, "error",
                                       "grant %s to %s (rule %s) failed: %s",
                                       dev->syspath, c->ref, o.source,
                                       strerror(-r));
                        continue;
                }
                d->stats.grants_policy++;
                dp_daemon_emit(d, "grant", "grant %s (%s) to %s: rule %s",
                               dev->syspath, dp_class_to_string(dev->klass),
                               c->ref, o.source);
                if (g->has_netdev) {
                        dp_device *copy = dp_device_copy(dev);

                        if (copy && dp_device_list_push(&d->moved, copy) < 0)
                                dp_device_free(copy);
                }
                if (dp_rule_exclusive(rule))
                        return;
        }
}

static uint64_t mono_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool instance_running(void *userdata, const char *ref,
                             uint64_t starttime)
{
        dp_container *c = dp_registry_find(userdata, ref);

        return c && c->starttime == starttime &&
               dp_container_check_alive(c) >= 0;
}

int dp_reconcile(dp_daemon *d, const char *dev_filter, const char *ctr_filter)
{
        uint64_t t0 = mono_usec();
        bool held = dp_withheld_any(d->engine->state_dir);

        revoke_pass(d, dev_filter, ctr_filter);
        /* an unplugged device's holds end: a re-plug is granted again */
        if (held && dev_filter && !find_device(d, dev_filter))
                (void)dp_withheld_drop_device(d->engine->state_dir, dev_filter);
        if (!dev_filter && !ctr_filter)
                dp_lease_tombs_prune(d->lease_tombs, instance_running, d);
        if (!d->policy)
                goto done;
        for (size_t i = 0; i < d->devices.n; i++) {
                const dp_device *dev = d->devices.items[i];
                const dp_rule *rule;

                if (dev_filter && !streq(dev->syspath, dev_filter))
                        continue;
                rule = allow_rule(d, dev);
                if (rule)
                        grant_one(d, dev, rule, ctr_filter, held);
                else if (held)
                        /* no rule grants it now: a later grant is a policy
                         * change, which ends the hold */
                        (void)dp_withheld_drop_device(d->engine->state_dir,
                                                      dev->syspath);
        }
done:
        /* a container coming or going changes no CDI export */
        if (dev_filter || !ctr_filter)
                (void)dp_cdi_sync(d);
        dp_histogram_observe(&d->stats.reconcile, mono_usec() - t0);
        return 0;
}

/* One grant's cgroup rules and nodes, checked against the kernel. */
static int verify_grant(dp_daemon *d, dp_grant *g, dp_container *c)
{
        const dp_act_ops *ops = d->engine->ops;
        int fixed = 0;

        for (size_t i = 0; i < g->n_nodes; i++) {
                dp_grant_cg *cg = &g->nodes[i].cg;

                if (cg->v1 && g->cg_v1 &&
                    ops->cg1_covered(g->cg_v1, cg->type, cg->major, cg->minor,
                                     cg->access) == 0 &&
                    ops->cg1_allow(g->cg_v1, cg->type, cg->major, cg->minor,
                                   cg->access) >= 0)
                        fixed++;
                /* cg2_has looks at what is attached, not only at the map:
                 * a runtime may have put its own program back */
                if (cg->v2 && g->cg_v2 &&
                    ops->cg2_has(g->cg_v2, cg->type, cg->major, cg->minor) ==
                            0) {
                        bool changed = false;

                        if (ops->cg2_grant(g->cg_v2, cg->type, cg->major,
                                           cg->minor, cg->access,
                                           &changed) >= 0 &&
                            changed)
                                fixed++;
                }
        }
        /* a unit's DeviceAllow= rewritten (a runtime's update): put back */
        fixed += dp_engine_sd_verify(d->engine, g);
        dp_reconcile_cgroup_left(g, c);
        for (size_t i = 0; i < g->n_nodes; i++) {
                dp_grant_node *n = &g->nodes[i];
                dp_node_spec s;
                bool created = false;

                dp_grant_node_spec(n, &s);

                if (!n->created || ops->node_present(c, &s) != 0)
                        continue;
                if (ops->node_create(c, &s, &created) >= 0)
                        fixed++;
        }
        return fixed;
}

int dp_reconcile_verify(dp_daemon *d)
{
        dp_ledger *l = d->engine->ledger;

        for (size_t i = 0; i < l->n; i++) {
                dp_grant *g = l->grants[i];
                dp_container *c = dp_registry_find(d, g->container);
                int fixed;

                if (g->state != DP_GRANT_APPLIED || g->has_netdev || !c ||
                    !dp_grant_same_instance(g, c) ||
                    dp_container_check_alive(c) < 0)
                        continue;
                fixed = verify_grant(d, g, c);
                if (fixed > 0)
                        dp_daemon_emit(d, "repair",
                                       "re-applied %d step%s of %s in %s: "
                                       "changed behind devpass's back",
                                       fixed, fixed == 1 ? "" : "s", g->device,
                                       g->container);
        }
        return 0;
}
