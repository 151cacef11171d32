/* SPDX-License-Identifier: MIT */
/* What devpassctl does without an agent: it reads the host's devices, the
 * policy files and the state dir itself. Only devpassctl-local has this;
 * the client hands such commands to it (handoff.c). */
#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

#include "core/lease.h"
#include "core/manual.h"
#include "core/service.h"
#include "ctl.h"
#include "devpass/act.h"
#include "devpass/hw.h"
#include "devpass/policy.h"
#include "devpass/protocol.h"

static void print_device(const dp_device *d)
{
        char ids[16] = "-";

        if (d->has_vendor && d->has_product)
                snprintf(ids, sizeof(ids), "%04x:%04x", d->vendor, d->product);
        printf("%-7s %-16s %-10s %-12s %s\n", dp_class_to_string(d->klass),
               d->name ? d->name : "?", ids, d->driver ? d->driver : "-",
               d->syspath);
        for (size_t i = 0; i < d->n_nodes; i++)
                printf("%-7s   %c %u:%u %s\n", "", d->nodes[i].type,
                       d->nodes[i].major, d->nodes[i].minor, d->nodes[i].path);
        if (d->input) {
                printf("%-7s   input:", "");
                for (unsigned b = 1; b; b <<= 1)
                        if ((d->input & b) && dp_input_word(b))
                                printf(" %s", dp_input_word(b));
                putchar('\n');
        }
}

int verb_devices(ctl_opts *o)
{
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        int r;

        r = dp_hw_new(&hw);
        if (r < 0)
                return ctl_fail("cannot open udev: %s", strerror(-r));
        r = dp_hw_enumerate(hw, &l);
        if (r < 0)
                return ctl_fail("enumerating devices failed: %s", strerror(-r));
        if (o->json) {
                json_object *a = json_object_new_array();

                for (size_t i = 0; i < l.n; i++) {
                        json_object *j;

                        if (dp_device_to_json(l.items[i], &j) >= 0)
                                json_object_array_add(a, j);
                }
                ctl_print_json(a);
                json_object_put(a);
        } else {
                printf("%-7s %-16s %-10s %-12s %s\n", "CLASS", "NAME", "ID",
                       "DRIVER", "SYSPATH");
                for (size_t i = 0; i < l.n; i++)
                        print_device(l.items[i]);
        }
        dp_device_list_clear(&l);
        return CTL_OK;
}

/* The given files/dirs, else --policy-dir, else the default dirs; every
 * diagnostic goes to stderr. */
static int load_policy(ctl_opts *o, char **paths, dp_policy **ret)
{
        dp_diag_list diags = {};
        int r;

        if (paths && *paths)
                r = dp_policy_load_paths(paths, ret, &diags);
        else
                r = dp_policy_load_dirs(
                        o->policy_dirs ? o->policy_dirs
                                       : (char *const *)dp_policy_default_dirs,
                        ret, &diags);
        for (size_t i = 0; i < diags.n; i++)
                fprintf(stderr, "%s\n", diags.items[i].message);
        dp_diag_list_clear(&diags);
        return r;
}

int verb_policy(ctl_opts *o)
{
        _cleanup_policy_free_ dp_policy *p = NULL;
        int r;

        if (!streq(o->args[0], "check"))
                return ctl_usage(
                        "unknown policy verb '%s' (try 'policy check')",
                        o->args[0]);
        r = load_policy(o, o->args + 1, &p);
        if (r < 0) {
                if (r != -EINVAL)
                        return ctl_fail("reading policy failed: %s",
                                        strerror(-r));
                return CTL_FAIL;
        }
        if (o->json) {
                json_object *j = json_object_new_object();

                json_object_object_add(
                        j, "rules",
                        json_object_new_int((int)dp_policy_n_rules(p)));
                ctl_print_json(j);
                json_object_put(j);
        } else
                printf("policy OK: %zu rule%s\n", dp_policy_n_rules(p),
                       dp_policy_n_rules(p) == 1 ? "" : "s");
        return CTL_OK;
}

/* Opens the engine for acting without an agent. */
static int open_offline(const ctl_opts *o, dp_engine **ret_e)
{
        int r, lerr = 0;

        r = dp_engine_open(o->state_dir, &dp_act_ops_real, ret_e, &lerr);
        if (r == -EBUSY)
                return ctl_fail("state dir %s is locked by a devpass process "
                                "that does not answer on %s",
                                o->state_dir, o->socket);
        if (r < 0)
                return ctl_fail("cannot open state dir %s: %s", o->state_dir,
                                strerror(-r));
        if (lerr < 0)
                fprintf(stderr,
                        "devpassctl: warning: ledger in %s was unreadable and "
                        "is started afresh\n",
                        o->state_dir);
        /* no agent keeps the time: whoever opens the state dir does */
        dp_engine_expire_leases(*ret_e);
        return CTL_OK;
}

int ctl_check_attach(json_object *params)
{
        _cleanup_free_ char *err = NULL;
        dp_grant_opts go;

        if (dp_grant_opts_from_json(params, &go, &err) < 0)
                return ctl_usage("%s", err);
        return CTL_OK;
}

/* What a service call needs without an agent: the policy on disk (its deny
 * rules hold when no agent runs, too), the host's devices, and for the
 * verbs that act, the engine under the state dir's lock. */
typedef struct local_ctx {
        dp_service svc;
        dp_engine *engine;
        /* the read-only verbs' view of the ledger (no lock: saves are
         * atomic renames), so that explain names the grants as the agent's
         * does */
        dp_engine view;
        dp_ledger *ledger;
        dp_hw *hw;
        dp_policy *policy;
        char *policy_error;
} local_ctx;

static void local_ctx_done(local_ctx *l)
{
        dp_engine_free(l->engine);
        dp_ledger_free(l->ledger);
        dp_hw_free(l->hw);
        dp_policy_free(l->policy);
        free(l->policy_error);
}

static int local_ctx_open(const ctl_opts *o, bool engine, local_ctx *l)
{
        char *const *dirs = o->policy_dirs
                                    ? o->policy_dirs
                                    : (char *const *)dp_policy_default_dirs;
        int r;

        *l = (local_ctx){};
        if (dp_service_load_policy(dirs, &l->policy, &l->policy_error) < 0 &&
            !l->policy_error)
                l->policy_error = strdup("policy could not be read");
        if (engine) {
                r = open_offline(o, &l->engine);
                if (r != CTL_OK)
                        return r;
        } else if (dp_ledger_load(o->state_dir, &l->ledger) >= 0) {
                /* unreadable or damaged: no grants to name, which the
                 * verbs that act report */
                l->view.ledger = l->ledger;
        }
        r = dp_hw_new(&l->hw);
        if (r < 0)
                return ctl_fail("cannot open udev: %s", strerror(-r));
        /* as the agent: a device is read for what the rules can ask
         * about, not every attribute it has (one read each) */
        if (engine && l->policy &&
            dp_service_policy_attributes(l->hw, l->policy) < 0)
                return ctl_fail("out of memory");
        l->svc = (dp_service){.engine = l->engine   ? l->engine
                                        : l->ledger ? &l->view
                                                    : NULL,
                              .hw = l->hw,
                              .policy = l->policy,
                              .policy_error = l->policy_error,
                              .policy_dirs = dirs,
                              .has_requester = true,
                              .requester_uid = getuid(),
                              .requester_pid = getpid()};
        return CTL_OK;
}

/* The exit code of a service answer, as verb-grant.c maps the agent's. */
static int local_answer(int r, dp_service_error *e)
{
        int rc;

        if (r >= 0)
                return CTL_OK;
        if (streq(strempty(e->name), DP_IPC_ERROR_INVALID_PARAMETER))
                rc = ctl_usage("%s", strna(e->message));
        else
                rc = ctl_fail("%s", e->message ? e->message : strerror(-r));
        dp_service_error_clear(e);
        return rc;
}

static int local_call(ctl_opts *o, bool engine,
                      int (*fn)(dp_service *, json_object *, json_object **,
                                dp_service_error *),
                      json_object *params, json_object **ret)
{
        dp_service_error e = {};
        local_ctx l;
        int r;

        r = local_ctx_open(o, engine, &l);
        if (r == CTL_OK)
                r = local_answer(fn(&l.svc, params, ret, &e), &e);
        local_ctx_done(&l);
        return r;
}

static int svc_attach(dp_service *s, json_object *p, json_object **ret,
                      dp_service_error *e)
{
        return dp_service_attach(s, p, NULL, 0, ret, e);
}

/* The reply's parameters.key, taken (the verbs print that part). */
static int take_key(int rc, json_object *res, const char *key,
                    json_object **ret)
{
        if (rc == CTL_OK)
                *ret = json_object_get(json_object_object_get(res, key));
        json_object_put(res);
        return rc;
}

int ctl_local_attach(ctl_opts *o, json_object *params, json_object **ret_grant)
{
        json_object *res = NULL;
        int rc = local_call(o, true, svc_attach, params, &res);

        return take_key(rc, res, "grant", ret_grant);
}

int ctl_local_detach(ctl_opts *o, json_object *params)
{
        json_object *res = NULL;
        int rc = local_call(o, true, dp_service_detach, params, &res);

        json_object_put(res);
        return rc;
}

int ctl_local_renew(ctl_opts *o, json_object *params, json_object **ret_grant)
{
        json_object *res = NULL;
        int rc = local_call(o, true, dp_service_renew, params, &res);

        return take_key(rc, res, "grant", ret_grant);
}

int ctl_local_explain(ctl_opts *o, json_object *params, json_object **ret)
{
        return local_call(o, false, dp_service_explain, params, ret);
}

int ctl_local_list(ctl_opts *o, json_object **ret_grants)
{
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        /* Reading needs no lock: saves are atomic renames. */
        dp_engine view = {};
        dp_service svc = {.engine = &view};
        dp_service_error e = {};
        json_object *res = NULL;
        int r;

        r = dp_ledger_load(o->state_dir, &l);
        if (r < 0 && r != -EBADMSG)
                return ctl_fail("cannot read ledger in %s: %s", o->state_dir,
                                strerror(-r));
        if (r == -EBADMSG)
                return ctl_fail("ledger in %s is damaged", o->state_dir);
        view.ledger = l;
        r = local_answer(dp_service_list(&svc, NULL, &res, &e), &e);
        return take_key(r, res, "grants", ret_grants);
}
