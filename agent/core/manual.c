/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/cdi.h"
#include "core/lease.h"
#include "core/manual.h"
#include "core/runtime.h"
#include "core/withheld.h"
#include "devpass/act.h"
#include "devpass/log.h"
#include "devpass/runtime.h"

static int fail(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int r, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        s = strdup_vprintf(fmt, ap);
        va_end(ap);
        if (ret_error) {
                free(*ret_error);
                *ret_error = s;
        } else
                free(s);
        return r;
}

static const char *device_strerror(int r)
{
        switch (r) {
        case -ENOENT:
        case -ENODEV:
                return "no such device";
        case -ENOTUNIQ:
                return "the reference matches several devices";
        case -EINVAL:
                return "not a device reference";
        default:
                return strerror(-r);
        }
}

static const char *attach_strerror(int r)
{
        switch (r) {
        case -EEXIST:
                return "something else already exists at the node path "
                       "inside the container";
        case -ELOOP:
                return "refusing to follow a symlink inside the container";
        case -ESRCH:
                return "the container stopped";
        case -ENODEV:
                return "the device has no device node";
        case -EOPNOTSUPP:
                return "not supported for this device or container";
        case -EHOSTUNREACH:
                return "the target is the host itself (its mount namespace "
                       "or root): devpass never makes nodes in the host's "
                       "own tree";
        case -EADDRINUSE:
                return "the NIC carries the host's default route "
                       "(a policy may allow it with DefaultRouteNIC=yes)";
        default:
                return strerror(-r);
        }
}

const dp_rule *dp_manual_denied_by(const dp_policy *policy, const dp_device *d)
{
        const dp_rule *rule;

        if (!policy || !d)
                return NULL;
        rule = dp_policy_match(policy, d, NULL);
        return rule && dp_rule_grant(rule)->action == DP_ACTION_DENY ? rule
                                                                     : NULL;
}

int dp_manual_check_policy(const dp_manual_refs *refs, const dp_device *d,
                           char **ret_error)
{
        const dp_rule *deny;

        if (!refs->policy && refs->policy_error)
                return fail(ret_error, -EPERM,
                            "the policy has errors, so what it denies is not "
                            "known; no manual grant until it is fixed: %s",
                            refs->policy_error);
        deny = dp_manual_denied_by(refs->policy, d);
        if (deny)
                return fail(ret_error, -EPERM, "%s is denied by policy rule %s",
                            refs->device, dp_rule_source(deny));
        return 0;
}

int dp_manual_attach(dp_engine *e, dp_hw *hw, const dp_manual_refs *refs,
                     const dp_grant_opts *o, json_object **ret_grant,
                     char **ret_error)
{
        _cleanup_container_free_ dp_container *own_c = NULL;
        _cleanup_device_free_ dp_device *own_d = NULL;
        const dp_container *c = refs->c;
        const dp_device *d = refs->d;
        dp_grant *g = NULL;
        int r;

        if (!d) {
                r = dp_hw_resolve(hw, refs->device, &own_d);
                if (r < 0)
                        return fail(ret_error, r, "%s: %s", refs->device,
                                    device_strerror(r));
                d = own_d;
        }
        /* before the container: a denied device costs no runtime lookup */
        r = dp_manual_check_policy(refs, d, ret_error);
        if (r < 0) {
                log_info("attach %s to %s refused: %s", d->syspath,
                         refs->container, strna(ret_error ? *ret_error : NULL));
                return r;
        }
        if (!c) {
                r = dp_container_resolve(refs->container, &own_c);
                if (r < 0)
                        return fail(ret_error, r, "%s: %s", refs->container,
                                    dp_container_strerror(r));
                c = own_c;
        }
        if (dp_ledger_find(e->ledger, c->ref, d->syspath))
                return fail(ret_error, -EEXIST, "%s is already attached to %s",
                            refs->device, c->ref);
        if (o->path && dp_class_desc_of(d->klass)->nic)
                return fail(ret_error, -EINVAL,
                            "--path does not apply to a NIC (use --name)");
        if (o->ifname && !dp_class_desc_of(d->klass)->nic)
                return fail(ret_error, -EINVAL, "--name applies to NICs only");
        log_info("attach %s (%s) to %s: source=%s", d->syspath,
                 dp_class_to_string(d->klass), c->ref, strna(o->source));
        r = dp_engine_attach(e, c, d, o, &g);
        if (r < 0)
                return fail(ret_error, r, "attaching %s to %s failed: %s",
                            refs->device, c->ref, attach_strerror(r));
        /* an attach ends a manual detach's hold on the pair */
        (void)dp_withheld_drop(e->state_dir, c->ref, d->syspath);
        if (ret_grant) {
                r = dp_grant_list_json(g, false, ret_grant);
                if (r < 0)
                        return fail(ret_error, r, "out of memory");
        }
        return 0;
}

/* The rule that would grant d by policy now (its id), or NULL. */
static const char *would_grant(const dp_policy *policy, const dp_device *d)
{
        const dp_rule *rule =
                policy && d ? dp_policy_match(policy, d, NULL) : NULL;

        if (!rule || dp_rule_grant(rule)->action != DP_ACTION_ALLOW)
                return NULL;
        return dp_rule_id(rule);
}

static bool grant_names_device(const dp_grant *g, const char *ref)
{
        const char *name = startswith(ref, "net:") ? ref + 4 : ref;

        if (streq(g->device, ref))
                return true;
        for (size_t i = 0; i < g->n_nodes; i++)
                if ((g->nodes[i].host && streq(g->nodes[i].host, ref)) ||
                    streq(g->nodes[i].path, ref))
                        return true;
        return g->has_netdev && (streq(g->netdev.name, name) ||
                                 streq(g->netdev.name_inside, name));
}

int dp_manual_find_grant(dp_engine *e, dp_hw *hw, const dp_manual_refs *refs,
                         const dp_container *c, dp_grant **ret,
                         char **ret_error)
{
        _cleanup_device_free_ dp_device *own_d = NULL;
        const dp_device *d = refs->d;
        dp_grant *g = NULL;
        size_t found = 0;

        /* The device may be gone (unplugged, or a NIC now inside the
         * container), so the ledger is searched by every name it knows. */
        if (!d && dp_hw_resolve(hw, refs->device, &own_d) >= 0)
                d = own_d;
        for (size_t i = 0; i < e->ledger->n; i++) {
                dp_grant *x = e->ledger->grants[i];

                if (!(c ? streq(x->container, c->ref)
                        : dp_container_ref_names(refs->container,
                                                 x->container)))
                        continue;
                if ((d && streq(x->device, d->syspath)) ||
                    grant_names_device(x, refs->device)) {
                        g = x;
                        found++;
                }
        }
        if (found == 0)
                return fail(ret_error, -ENOENT, "%s is not attached to %s",
                            refs->device, refs->container);
        if (found > 1)
                return fail(ret_error, -ENOTUNIQ,
                            "%s names several grants in %s; use the sysfs path",
                            refs->device, refs->container);
        *ret = g;
        return 0;
}

int dp_manual_detach(dp_engine *e, dp_hw *hw, const dp_manual_refs *refs,
                     char **ret_error)
{
        _cleanup_container_free_ dp_container *own_c = NULL;
        const char *container_ref = refs->container, *device_ref = refs->device;
        const dp_container *c = refs->c;
        _cleanup_device_free_ dp_device *own_d = NULL;
        const dp_device *d = refs->d;
        _cleanup_free_ char *held_ctr = NULL, *held_dev = NULL,
                            *held_rule = NULL;
        dp_grant *g = NULL;
        int r;

        if (!c && !refs->tracked) {
                r = dp_container_resolve(container_ref, &own_c);
                if (r < 0 && r != -ESRCH && r != -ENOENT)
                        return fail(ret_error, r, "%s: %s", container_ref,
                                    dp_container_strerror(r));
                c = own_c;
        }
        r = dp_manual_find_grant(e, hw, refs, c, &g, ret_error);
        if (r < 0)
                return r;
        if (!c && refs->tracked)
                c = refs->tracked(refs->userdata, g->container);
        log_info("detach %s from %s", g->device, g->container);
        /* a device detached by hand stays out of the container until
         * re-plug, a policy change for it, or attach (withheld.h): from the
         * rule that granted it, or for a manual grant the rule that would
         * grant it now ("*": the first rule that will, when the device is
         * not on the host to be matched, such as a NIC inside) */
        if ((!d || !streq(d->syspath, g->device)) &&
            streq(g->source, "manual") &&
            dp_hw_device_from_syspath(hw, g->device, &own_d) >= 0)
                d = own_d;
        held_ctr = strdup(g->container);
        held_dev = strdup(g->device);
        held_rule = strdup(!streq(g->source, "manual")
                                   ? (g->rule ? g->rule : g->source)
                           : d ? strempty(would_grant(refs->policy, d))
                               : "*");
        if (!held_ctr || !held_dev || !held_rule)
                return fail(ret_error, -ENOMEM, "out of memory");
        r = dp_engine_detach(e, g, c);
        if (r < 0 && g->lost)
                /* g stays in the ledger, marked lost */
                return fail(ret_error, r,
                            "detaching %s from %s failed: the NIC is lost: "
                            "%s; nothing was moved back, the grant is kept "
                            "as lost",
                            device_ref, container_ref, g->lost);
        if (r < 0)
                return fail(ret_error, r, "detaching %s from %s failed: %s",
                            device_ref, container_ref, attach_strerror(r));
        /* a manual grant that no rule would give: nothing to hold */
        r = isempty(held_rule) ? 0
                               : dp_withheld_add(e->state_dir, held_ctr,
                                                 held_dev, held_rule);
        if (r < 0)
                log_warning_errno(r,
                                  "Cannot record the detach of %s from %s: "
                                  "policy may grant it again: %m",
                                  held_dev, held_ctr);
        return 0;
}

/* Processes inside the container that hold a granted node open: after a
 * revoke they keep their descriptors (the cgroup checks only at open). */
static json_object *holders_json(const dp_grant *g)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < g->n_nodes; i++) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;

                if (dp_act_holders(g->pid, g->nodes[i].type, g->nodes[i].major,
                                   g->nodes[i].minor, &pids, &n) < 0)
                        continue;
                for (size_t k = 0; k < n; k++) {
                        json_object *h = json_object_new_object();

                        json_object_object_add(h, "pid",
                                               json_object_new_int(pids[k]));
                        json_object_object_add(
                                h, "node",
                                json_object_new_string(g->nodes[i].path));
                        json_object_array_add(a, h);
                }
        }
        return a;
}

/* Whether the grant's container instance still runs: its init pid with the
 * recorded start time (a reused pid has another). */
static bool grant_container_running(const dp_grant *g)
{
        _cleanup_free_ char *text = NULL;
        char path[32];
        const char *state;
        uint64_t st;

        if (g->pid <= 0)
                return false;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)g->pid);
        if (read_full_file(path, &text, NULL) < 0 ||
            dp_proc_stat_starttime(text, &st) < 0 || st != g->starttime)
                return false;
        /* an init that exited but was not reaped yet runs no container */
        state = strrchr(text, ')');
        return state && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

/* Where the grant's device rules live and why there: the cgroup, the
 * systemd unit whose DeviceAllow= carries them (null: devpass's own BPF
 * program or v1 devices.allow). */
static void add_cgroup_json(json_object *o, const dp_grant *g)
{
        const char *cg = g->cg_v2 ? g->cg_v2 : g->cg_v1;
        const char *why = g->cg_why;

        /* records from before the choice was written down */
        if (!why && !g->has_netdev)
                why = g->cg_v2   ? "devpass BPF program"
                      : g->cg_v1 ? "cgroup v1: devices.allow"
                                 : NULL;
        json_object_object_add(o, "cgroup_path",
                               cg ? json_object_new_string(cg) : NULL);
        json_object_object_add(o, "systemd_unit",
                               g->sd_unit ? json_object_new_string(g->sd_unit)
                                          : NULL);
        json_object_object_add(o, "cgroup_why",
                               why ? json_object_new_string(why) : NULL);
}

int dp_grant_list_json(const dp_grant *g, bool holders, json_object **ret)
{
        json_object *o = json_object_new_object(), *nodes;
        char acc[4];

        if (!o)
                return -ENOMEM;
        nodes = json_object_new_array();
        json_object_object_add(o, "container",
                               json_object_new_string(g->container));
        json_object_object_add(o, "device", json_object_new_string(g->device));
        json_object_object_add(o, "nodes", nodes);
        for (size_t i = 0; nodes && i < g->n_nodes; i++) {
                json_object *n = json_object_new_object();
                char t[2] = {g->nodes[i].type, 0};

                if (!n)
                        break;
                json_object_object_add(
                        n, "path", json_object_new_string(g->nodes[i].path));
                json_object_object_add(
                        n, "host",
                        g->nodes[i].host
                                ? json_object_new_string(g->nodes[i].host)
                                : NULL);
                json_object_object_add(n, "type", json_object_new_string(t));
                json_object_object_add(
                        n, "major",
                        json_object_new_int((int)g->nodes[i].major));
                json_object_object_add(
                        n, "minor",
                        json_object_new_int((int)g->nodes[i].minor));
                json_object_array_add(nodes, n);
        }
        json_object_object_add(
                o, "netdev",
                g->has_netdev ? json_object_new_string(g->netdev.name_inside)
                              : NULL);
        add_cgroup_json(o, g);
        json_object_object_add(o, "source", json_object_new_string(g->source));
        json_object_object_add(
                o, "access",
                json_object_new_string(dp_access_to_string(g->access, acc)));
        json_object_object_add(
                o, "state",
                json_object_new_string(
                        g->lost ? "lost" : dp_grant_state_to_string(g->state)));
        if (g->lost)
                json_object_object_add(o, "lost",
                                       json_object_new_string(g->lost));
        json_object_object_add(o, "pid", json_object_new_int(g->pid));
        /* a lease's end (ms since the epoch) and the whole seconds left */
        json_object_object_add(
                o, "lease_until",
                g->lease_until ? json_object_new_int64((int64_t)g->lease_until)
                               : NULL);
        if (g->lease_until) {
                uint64_t now = dp_now_realtime_ms();

                json_object_object_add(
                        o, "lease_left_s",
                        json_object_new_int64(
                                now >= g->lease_until
                                        ? 0
                                        : (int64_t)((g->lease_until - now +
                                                     999) /
                                                    1000)));
        } else
                json_object_object_add(o, "lease_left_s", NULL);
        /* a grant of a container that is gone says so, until the agent's
         * next pass (or a detach) cleans it up */
        json_object_object_add(
                o, "container_running",
                json_object_new_boolean(grant_container_running(g)));
        /* scanning every process's descriptors is for `list`, not for the
         * reply to an attach that just made the node */
        if (holders)
                json_object_object_add(o, "holders", holders_json(g));
        *ret = o;
        return 0;
}

int dp_list_json(const dp_engine *e, json_object **ret)
{
        json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < e->ledger->n; i++) {
                json_object *g;

                if (dp_grant_list_json(e->ledger->grants[i], true, &g) < 0) {
                        json_object_put(a);
                        return -ENOMEM;
                }
                json_object_array_add(a, g);
        }
        *ret = a;
        return 0;
}

/* "cdi": the CDI id an engine takes for d when the rule exports it (a
 * device with nodes), else null. */
static void add_cdi_id(json_object *o, const dp_device *d, const dp_rule *rule)
{
        _cleanup_free_ char *id = NULL;

        if (rule && dp_rule_cdi(rule) &&
            dp_rule_grant(rule)->action == DP_ACTION_ALLOW && d->n_nodes > 0)
                (void)dp_cdi_id(d, &id);
        json_object_object_add(o, "cdi",
                               id ? json_object_new_string(id) : NULL);
}

int dp_explain_json(dp_hw *hw, const dp_policy *policy, const char *device_ref,
                    char *const *tracked, json_object **ret, char **ret_error)
{
        _cleanup_device_free_ dp_device *d = NULL;
        _cleanup_strv_free_ char **trace = NULL, **running = NULL;
        const dp_rule *rule = NULL;
        json_object *o, *a, *t;
        int r;

        r = dp_hw_resolve(hw, device_ref, &d);
        if (r < 0)
                return fail(ret_error, r, "%s: %s", device_ref,
                            device_strerror(r));
        if (policy)
                rule = dp_policy_match(policy, d, &trace);
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "device", json_object_new_string(d->syspath));
        json_object_object_add(
                o, "class",
                json_object_new_string(dp_class_to_string(d->klass)));
        json_object_object_add(
                o, "rule",
                rule ? json_object_new_string(dp_rule_source(rule)) : NULL);
        json_object_object_add(
                o, "action",
                rule ? json_object_new_string(dp_rule_grant(rule)->action ==
                                                              DP_ACTION_DENY
                                                      ? "deny"
                                                      : "allow")
                     : NULL);
        add_cdi_id(o, d, rule);
        a = json_object_new_array();
        json_object_object_add(o, "containers", a);
        if (rule && dp_rule_grant(rule)->action == DP_ACTION_ALLOW) {
                if (tracked)
                        running = strv_copy(tracked);
                else if (dp_container_list_running(&running) < 0)
                        running = NULL;
                /* pid: and cgroup: targets are not listed by any runtime:
                 * they count when they resolve to a running container */
                STRV_FOREACH (glob, dp_rule_containers(rule)) {
                        _cleanup_container_free_ dp_container *c = NULL;

                        if (!tracked &&
                            (startswith(*glob, "pid:") ||
                             startswith(*glob, "cgroup:")) &&
                            !strpbrk(*glob, "*?[") &&
                            dp_container_resolve(*glob, &c) >= 0 &&
                            !strv_contains(running, c->ref))
                                (void)strv_extend(&running, c->ref);
                }
                STRV_FOREACH (ref, running)
                        STRV_FOREACH (glob, dp_rule_containers(rule))
                                if (dp_container_ref_match(*glob, *ref)) {
                                        json_object_array_add(
                                                a,
                                                json_object_new_string(*ref));
                                        break;
                                }
        }
        t = json_object_new_array();
        json_object_object_add(o, "trace", t);
        STRV_FOREACH (s, trace)
                json_object_array_add(t, json_object_new_string(*s));
        *ret = o;
        return 0;
}

static int opt_int(json_object *p, const char *k, int64_t min, int64_t max,
                   int64_t *v, char **ret_error)
{
        json_object *x;

        if (!json_object_object_get_ex(p, k, &x) || !x)
                return 0;
        if (!json_object_is_type(x, json_type_int) ||
            json_object_get_int64(x) < min || json_object_get_int64(x) > max)
                return fail(ret_error, -EINVAL, "invalid %s", k);
        *v = json_object_get_int64(x);
        return 1;
}

static int opt_str(json_object *p, const char *k, const char **v,
                   char **ret_error)
{
        json_object *x;

        if (!json_object_object_get_ex(p, k, &x) || !x)
                return 0;
        if (!json_object_is_type(x, json_type_string))
                return fail(ret_error, -EINVAL, "invalid %s", k);
        *v = json_object_get_string(x);
        return 1;
}

int dp_grant_opts_from_json(json_object *p, dp_grant_opts *o, char **ret_error)
{
        const char *access = NULL;
        int64_t v;
        int r;

        *o = DP_GRANT_OPTS_DEFAULT;
        if ((r = opt_str(p, "path", &o->path, ret_error)) < 0 ||
            (r = opt_str(p, "name", &o->ifname, ret_error)) < 0 ||
            (r = opt_str(p, "access", &access, ret_error)) < 0)
                return r;
        /* the same rules as the policy's Path= and InterfaceName= */
        if (o->path && dp_policy_validate_path(o->path) < 0)
                return fail(ret_error, -EINVAL,
                            "path must be absolute without empty, . or .. "
                            "components");
        if (o->ifname && dp_policy_validate_ifname(o->ifname) < 0)
                return fail(ret_error, -EINVAL, "invalid interface name");
        if (access && dp_access_parse(access, &o->access) < 0)
                return fail(ret_error, -EINVAL,
                            "access must be a subset of rwm");
        if ((r = opt_int(p, "mode", 0, 07777, &v, ret_error)) < 0)
                return r;
        if (r > 0)
                o->mode = (int)v;
        if ((r = opt_int(p, "lease_ms", 1, INT64_C(10) * 366 * 86400000, &v,
                         ret_error)) < 0)
                return r;
        if (r > 0)
                o->lease_ms = (uint64_t)v;
        if ((r = opt_int(p, "owner", 0, UINT32_MAX - 1, &o->owner, ret_error)) <
                    0 ||
            (r = opt_int(p, "group", 0, UINT32_MAX - 1, &o->group, ret_error)) <
                    0)
                return r;
        return 0;
}
