/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/manual.h"
#include "core/service.h"
#include "devpass/log.h"
#include "devpass/protocol.h"
#include "devpass/runtime.h"

void dp_service_error_clear(dp_service_error *e)
{
        if (!e)
                return;
        e->message = (free(e->message), NULL);
        e->name = NULL;
}

/* Sets *e (name, message taken) and returns r. */
static int fail_take(dp_service_error *e, int r, const char *name,
                     char *message)
{
        if (!e) {
                free(message);
                return r;
        }
        free(e->message);
        e->name = name;
        e->message = message ? message : strdup(strerror(-r));
        return r;
}

static int fail(dp_service_error *e, int r, const char *name, const char *fmt,
                ...) _printf_(4, 5);
static int fail(dp_service_error *e, int r, const char *name, const char *fmt,
                ...)
{
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        s = strdup_vprintf(fmt, ap);
        va_end(ap);
        return fail_take(e, r, name, s);
}

static void emit(dp_service *s, const char *event, const char *fmt, ...)
        _printf_(3, 4);
static void emit(dp_service *s, const char *event, const char *fmt, ...)
{
        va_list ap;
        char *text;

        /* without a front end that has subscribers, nobody is told */
        if (!s->hooks || !s->hooks->event)
                return;
        va_start(ap, fmt);
        text = strdup_vprintf(fmt, ap);
        va_end(ap);
        if (text)
                s->hooks->event(s->userdata, event, text);
        free(text);
}

static void audit(dp_service *s, dp_audit_kind k, dp_audit_fields *f)
{
        f->has_requester = s->has_requester;
        f->uid = s->requester_uid;
        f->pid = s->requester_pid;
        dp_audit(k, f);
}

/* The record of a manual request: what was asked, by whom, and how it
 * ended (r, with err the reason when it failed). */
static void audit_request(dp_service *s, const char *request,
                          const char *container, const char *device, int r,
                          const char *err)
{
        _cleanup_free_ char *msg = NULL, *res = NULL;

        if (asprintf(&res, "%s", r >= 0 ? "ok" : strna(err)) < 0 ||
            asprintf(&msg, "%s %s %s: %s", request, strna(device),
                     strna(container), res) < 0)
                return;
        audit(s, DP_AUDIT_REQUEST,
              &(dp_audit_fields){.message = msg,
                                 .container = container,
                                 .device = device,
                                 .request = request,
                                 .result = res});
}

static const dp_container *find_container(dp_service *s, const char *ref)
{
        return s->hooks && s->hooks->find_container
                       ? s->hooks->find_container(s->userdata, ref)
                       : NULL;
}

static void find_device(dp_service *s, const char *ref, dp_device **ret)
{
        *ret = NULL;
        if (s->hooks && s->hooks->find_device &&
            s->hooks->find_device(s->userdata, ref, ret) >= 0)
                return;
        if (dp_hw_resolve(s->hw, ref, ret) < 0)
                *ret = NULL;
}

int dp_service_policy_attributes(dp_hw *hw, const dp_policy *p)
{
        _cleanup_strv_free_ char **names = dp_policy_attribute_names(p);

        return names ? dp_hw_set_attributes(hw, names) : -ENOMEM;
}

int dp_service_load_policy(char *const *dirs, dp_policy **ret,
                           char **ret_message)
{
        dp_diag_list diags = {};
        char *msg = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        r = dp_policy_load_dirs(dirs, ret, &diags);
        if (r >= 0) {
                dp_diag_list_clear(&diags);
                return r;
        }
        f = open_memstream(&msg, &len);
        if (f) {
                for (size_t i = 0; i < diags.n; i++)
                        fprintf(f, "%s%s", i ? "; " : "",
                                diags.items[i].message);
                if (diags.n == 0)
                        fprintf(f, "policy could not be read: %s",
                                strerror(-r));
                fclose(f);
        }
        dp_diag_list_clear(&diags);
        *ret_message = msg;
        return r;
}

/* A refused manual request: the request's record and the refusal's. */
static void audit_refusal(dp_service *s, const dp_manual_refs *refs,
                          const dp_device *dev, const char *why)
{
        _cleanup_free_ char *msg = NULL;

        audit_request(s, "attach", refs->container, refs->device, -EPERM, why);
        if (asprintf(&msg, "refused %s to %s: %s", refs->device,
                     refs->container, strna(why)) < 0)
                return;
        audit(s, DP_AUDIT_REFUSAL,
              &(dp_audit_fields){.message = msg,
                                 .container = refs->container,
                                 .device = dev ? dev->syspath : refs->device,
                                 .request = "attach",
                                 .result = why});
}

/* A manual grant made: the request's record and the grant's (g: its list
 * object). */
static void audit_grant(dp_service *s, json_object *g)
{
        const char *ctr = json_object_get_string(
                           json_object_object_get(g, "container")),
                   *dev = json_object_get_string(
                           json_object_object_get(g, "device"));
        _cleanup_free_ char *msg = NULL, *nodes = dp_audit_nodes_json(g);

        audit_request(s, "attach", ctr, dev, 0, NULL);
        if (asprintf(&msg, "grant %s to %s: manual", strna(dev), strna(ctr)) <
            0)
                return;
        audit(s, DP_AUDIT_GRANT,
              &(dp_audit_fields){.message = msg,
                                 .container = ctr,
                                 .device = dev,
                                 .rule = "manual",
                                 .nodes = nodes,
                                 .request = "attach",
                                 .result = "ok"});
}

static bool ref_is_local(const char *ref)
{
        return startswith(ref, "pid:") || startswith(ref, "cgroup:");
}

int dp_service_attach(dp_service *s, json_object *p, dp_container **resolved,
                      int resolved_r, json_object **ret, dp_service_error *e)
{
        dp_manual_refs refs = {.container = dp_ipc_param_string(p, "container"),
                               .device = dp_ipc_param_string(p, "device"),
                               .policy = s->policy,
                               .policy_error = s->policy_error};
        _cleanup_device_free_ dp_device *dev = NULL;
        char *err = NULL;
        json_object *g = NULL, *res;
        dp_grant_opts o;
        int r;

        if (!refs.container || !refs.device)
                return fail(e, -EINVAL, DP_IPC_ERROR_INVALID_PARAMETER,
                            "container and device are required strings");
        r = dp_grant_opts_from_json(p, &o, &err);
        if (r < 0)
                return fail_take(e, r, DP_IPC_ERROR_INVALID_PARAMETER, err);
        refs.c = find_container(s, refs.container);
        find_device(s, refs.device, &dev);
        refs.d = dev;
        /* before any runtime is asked: a denied device costs no lookup */
        if (dev && dp_manual_check_policy(&refs, dev, &err) < 0) {
                emit(s, "refused", "attach %s to %s refused: %s", refs.device,
                     refs.container, err);
                audit_refusal(s, &refs, dev, err);
                return fail_take(e, -EPERM, DP_IPC_ERROR_DENIED, err);
        }
        if (!refs.c && resolved) {
                if (!*resolved)
                        return fail(e, resolved_r, DP_IPC_ERROR_FAILED,
                                    "%s: %s", refs.container,
                                    dp_container_strerror(resolved_r));
                refs.c = *resolved;
        } else if (!refs.c && s->defer_lookups && !ref_is_local(refs.container))
                return -EINPROGRESS;
        o.source = "manual";
        r = dp_manual_attach(s->engine, s->hw, &refs, &o, &g, &err);
        if (r == -EPERM) {
                emit(s, "refused", "attach %s to %s refused: %s", refs.device,
                     refs.container, strna(err));
                audit_refusal(s, &refs, dev, err);
                return fail_take(e, r, DP_IPC_ERROR_DENIED, err);
        }
        if (r < 0) {
                emit(s, "error", "manual attach %s to %s: %s", refs.device,
                     refs.container, strna(err));
                audit_request(s, "attach", refs.container, refs.device, r, err);
                return fail_take(e, r, DP_IPC_ERROR_FAILED, err);
        }
        emit(s, "grant", "grant %s to %s: manual", refs.device, refs.container);
        audit_grant(s, g);
        if (s->hooks && s->hooks->attached)
                s->hooks->attached(s->userdata, g, resolved);
        res = json_object_new_object();
        if (!res) {
                json_object_put(g);
                return fail(e, -ENOMEM, DP_IPC_ERROR_FAILED, "out of memory");
        }
        json_object_object_add(res, "grant", g);
        *ret = res;
        return 0;
}

/* What a detach will revoke, copied before the grant is freed. */
typedef struct detach_rec {
        char *container, *device, *rule, *nodes;
} detach_rec;

static void audit_detach_done(detach_rec *r)
{
        free(r->container);
        free(r->device);
        free(r->rule);
        free(r->nodes);
}

static void audit_detach_prepare(dp_service *s, const dp_manual_refs *refs,
                                 detach_rec *rec)
{
        dp_grant *g = NULL;

        *rec = (detach_rec){};
        if (dp_manual_find_grant(s->engine, s->hw, refs, refs->c, &g, NULL) < 0)
                return;
        rec->container = strdup(g->container);
        rec->device = strdup(g->device);
        rec->rule = strdup(g->source);
        rec->nodes = dp_audit_nodes(g);
}

static void audit_revoke(dp_service *s, detach_rec *rec)
{
        _cleanup_free_ char *msg = NULL;

        if (asprintf(&msg, "revoke %s from %s: manual detach",
                     strna(rec->device), strna(rec->container)) >= 0)
                audit(s, DP_AUDIT_REVOKE,
                      &(dp_audit_fields){.message = msg,
                                         .container = rec->container,
                                         .device = rec->device,
                                         .rule = rec->rule,
                                         .nodes = rec->nodes,
                                         .request = "detach",
                                         .result = "manual detach"});
        audit_detach_done(rec);
}

int dp_service_detach(dp_service *s, json_object *p, json_object **ret,
                      dp_service_error *e)
{
        dp_manual_refs refs = {.container = dp_ipc_param_string(p, "container"),
                               .device = dp_ipc_param_string(p, "device")};
        detach_rec rec;
        _cleanup_device_free_ dp_device *dev = NULL;
        char *err = NULL;
        int r;

        if (!refs.container || !refs.device)
                return fail(e, -EINVAL, DP_IPC_ERROR_INVALID_PARAMETER,
                            "container and device are required strings");
        /* a device already gone is found in the ledger by its names; a
         * front end that tracks containers tracks every one with a grant,
         * so no runtime is asked (one that hangs would hold it up) */
        if (s->hooks && s->hooks->find_container) {
                refs.c = find_container(s, refs.container);
                refs.tracked = s->hooks->find_container;
                refs.userdata = s->userdata;
        }
        /* read once here: the audit record, the ledger search and the
         * hold all need it (a device already gone is NULL) */
        find_device(s, refs.device, &dev);
        refs.d = dev;
        /* the rule that would grant the device: a detach holds against it */
        refs.policy = s->policy;
        audit_detach_prepare(s, &refs, &rec);
        r = dp_manual_detach(s->engine, s->hw, &refs, &err);
        audit_request(s, "detach",
                      rec.container ? rec.container : refs.container,
                      rec.device ? rec.device : refs.device, r, err);
        if (r < 0) {
                audit_detach_done(&rec);
                return fail_take(e, r, DP_IPC_ERROR_FAILED, err);
        }
        emit(s, "revoke", "revoke %s from %s: manual detach", refs.device,
             refs.container);
        audit_revoke(s, &rec);
        *ret = json_object_new_object();
        return *ret ? 0
                    : fail(e, -ENOMEM, DP_IPC_ERROR_FAILED, "out of memory");
}

int dp_service_list(dp_service *s, json_object *p, json_object **ret,
                    dp_service_error *e)
{
        json_object *a, *res;

        (void)p;
        if (dp_list_json(s->engine, &a) < 0)
                return fail(e, -ENOMEM, DP_IPC_ERROR_FAILED, "out of memory");
        res = json_object_new_object();
        if (!res) {
                json_object_put(a);
                return fail(e, -ENOMEM, DP_IPC_ERROR_FAILED, "out of memory");
        }
        json_object_object_add(res, "grants", a);
        *ret = res;
        return 0;
}

/* The device's grants as they stand: where each one's device rules live
 * (its cgroup, the systemd unit when systemd carries them) and why. */
static void explain_grants(dp_service *s, json_object *o)
{
        const char *dev =
                json_object_get_string(json_object_object_get(o, "device"));
        json_object *a = json_object_new_array();

        if (!a)
                return;
        for (size_t i = 0; dev && s->engine && i < s->engine->ledger->n; i++) {
                const dp_grant *g = s->engine->ledger->grants[i];
                json_object *x, *full = NULL;

                if (!streq(g->device, dev) ||
                    dp_grant_list_json(g, false, &full) < 0)
                        continue;
                x = json_object_new_object();
                if (x) {
                        static const char *const keys[] = {
                                "container", "cgroup_path", "systemd_unit",
                                "cgroup_why"};

                        for (size_t k = 0; k < ELEMENTSOF(keys); k++)
                                json_object_object_add(
                                        x, keys[k],
                                        json_object_get(json_object_object_get(
                                                full, keys[k])));
                        json_object_array_add(a, x);
                }
                json_object_put(full);
        }
        json_object_object_add(o, "grants", a);
}

int dp_service_explain(dp_service *s, json_object *p, json_object **ret,
                       dp_service_error *e)
{
        _cleanup_strv_free_ char **running = NULL;
        const char *dev = dp_ipc_param_string(p, "device");
        char *err = NULL;
        int r;

        if (!dev)
                return fail(e, -EINVAL, DP_IPC_ERROR_INVALID_PARAMETER,
                            "device is a required string");
        if (!s->policy && s->policy_error)
                return fail(e, -EINVAL, DP_IPC_ERROR_POLICY,
                            "policy has errors; nothing would be granted: %s",
                            s->policy_error);
        /* a front end that tracks containers answers from what it tracks
         * (no runtime is asked); the others ask the runtimes */
        if (s->hooks && s->hooks->running) {
                r = s->hooks->running(s->userdata, &running);
                if (r < 0)
                        return fail(e, r, DP_IPC_ERROR_FAILED, "%s",
                                    strerror(-r));
        }
        r = dp_explain_json(s->hw, s->policy, dev, running, ret, &err);
        if (r < 0)
                return fail_take(e, r, DP_IPC_ERROR_FAILED, err);
        explain_grants(s, *ret);
        return 0;
}

int dp_service_reload(dp_service *s, json_object *p, json_object **ret,
                      dp_service_error *e)
{
        _cleanup_policy_free_ dp_policy *pol = NULL;
        char *err = NULL;
        int r, rules;

        (void)p;
        if (s->hooks && s->hooks->reload) {
                r = s->hooks->reload(s->userdata, &err);
                rules = r;
        } else {
                r = dp_service_load_policy(s->policy_dirs, &pol, &err);
                rules = pol ? (int)dp_policy_n_rules(pol) : 0;
        }
        if (r < 0)
                return fail_take(e, r, DP_IPC_ERROR_POLICY, err);
        *ret = json_object_new_object();
        if (!*ret)
                return fail(e, -ENOMEM, DP_IPC_ERROR_FAILED, "out of memory");
        json_object_object_add(*ret, "rules", json_object_new_int(rules));
        return 0;
}

int dp_service_status(dp_service *s, json_object *p, json_object **ret,
                      dp_service_error *e)
{
        json_object *o = json_object_new_object();

        (void)p;
        if (!o)
                return fail(e, -ENOMEM, DP_IPC_ERROR_FAILED, "out of memory");
        json_object_object_add(o, "version",
                               json_object_new_string(DEVPASS_VERSION));
        json_object_object_add(
                o, "policy_rules",
                json_object_new_int(
                        s->policy ? (int)dp_policy_n_rules(s->policy) : 0));
        json_object_object_add(o, "policy_error",
                               s->policy_error
                                       ? json_object_new_string(s->policy_error)
                                       : NULL);
        json_object_object_add(o, "devices",
                               json_object_new_int((int)s->n_devices));
        json_object_object_add(o, "containers",
                               json_object_new_int((int)s->n_containers));
        json_object_object_add(o, "grants",
                               json_object_new_int((int)s->engine->ledger->n));
        if (s->hooks && s->hooks->status)
                s->hooks->status(s->userdata, o);
        *ret = o;
        return 0;
}
