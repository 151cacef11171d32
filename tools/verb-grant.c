/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <string.h>

#include "core/manual.h"
#include "ctl.h"
#include "devpass/act.h"
#include "devpass/protocol.h"

/* Builds the IPC parameters from the command line; the same parser checks
 * them on both sides (dp_grant_opts_from_json). */
static int attach_params(const ctl_opts *o, json_object **ret)
{
        json_object *p = json_object_new_object();
        struct {
                const char *key, *val;
                int base;
        } nums[] = {{"mode", o->mode, 8},
                    {"owner", o->owner, 10},
                    {"group", o->group, 10}};

        json_object_object_add(p, "container",
                               json_object_new_string(o->args[0]));
        json_object_object_add(p, "device", json_object_new_string(o->args[1]));
        if (o->path)
                json_object_object_add(p, "path",
                                       json_object_new_string(o->path));
        if (o->access)
                json_object_object_add(p, "access",
                                       json_object_new_string(o->access));
        if (o->name)
                json_object_object_add(p, "name",
                                       json_object_new_string(o->name));
        for (size_t i = 0; i < ELEMENTSOF(nums); i++) {
                unsigned v;

                if (!nums[i].val)
                        continue;
                if (safe_atou_base(nums[i].val, nums[i].base, &v) < 0 ||
                    (i == 0 && v > 07777)) {
                        json_object_put(p);
                        return ctl_usage("invalid --%s '%s'", nums[i].key,
                                         nums[i].val);
                }
                json_object_object_add(p, nums[i].key,
                                       json_object_new_int64(v));
        }
        *ret = p;
        return CTL_OK;
}

/* Opens the engine for acting without an agent. */
static int open_offline(const ctl_opts *o, dp_engine **ret_e, dp_hw **ret_hw)
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
        r = dp_hw_new(ret_hw);
        if (r < 0) {
                dp_engine_free(*ret_e);
                return ctl_fail("cannot open udev: %s", strerror(-r));
        }
        return CTL_OK;
}

static void print_grant(json_object *g)
{
        json_object *nodes = json_object_object_get(g, "nodes");
        json_object *nd = json_object_object_get(g, "netdev");

        printf("%s  %s  (%s)\n",
               json_object_get_string(json_object_object_get(g, "container")),
               json_object_get_string(json_object_object_get(g, "device")),
               json_object_get_string(json_object_object_get(g, "source")));
        for (size_t i = 0; i < json_object_array_length(nodes); i++) {
                json_object *n = json_object_array_get_idx(nodes, i);

                printf("    %s %d:%d %s\n",
                       json_object_get_string(
                               json_object_object_get(n, "type")),
                       json_object_get_int(json_object_object_get(n, "major")),
                       json_object_get_int(json_object_object_get(n, "minor")),
                       json_object_get_string(
                               json_object_object_get(n, "path")));
        }
        if (nd)
                printf("    netdev %s\n", json_object_get_string(nd));
        nodes = json_object_object_get(g, "holders");
        for (size_t i = 0; json_object_is_type(nodes, json_type_array) &&
                           i < json_object_array_length(nodes);
             i++) {
                json_object *h = json_object_array_get_idx(nodes, i);

                printf("    held open by pid %d (%s): survives a detach\n",
                       json_object_get_int(json_object_object_get(h, "pid")),
                       json_object_get_string(
                               json_object_object_get(h, "node")));
        }
}

/* Runs method on the agent if one answers; 1 = done (rc in *rc). */
static int via_agent(const ctl_opts *o, const char *method, json_object *params,
                     json_object **ret_params, int *rc)
{
        json_object *reply = NULL;
        const char *err;
        int r = ctl_call_agent(o, method, params, &reply);

        if (r <= 0) {
                *rc = -r;
                return r < 0 ? 1 : 0;
        }
        err = dp_ipc_reply_error(reply);
        if (err)
                *rc = ctl_fail("%s", err);
        else {
                *rc = CTL_OK;
                if (ret_params)
                        *ret_params = json_object_get(
                                json_object_object_get(reply, "parameters"));
        }
        json_object_put(reply);
        return 1;
}

int verb_attach(ctl_opts *o)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_hw_free_ dp_hw *hw = NULL;
        _cleanup_free_ char *err = NULL;
        json_object *params = NULL, *res = NULL, *g = NULL;
        dp_grant_opts go;
        int r, rc;

        r = attach_params(o, &params);
        if (r != CTL_OK)
                return r;
        r = dp_grant_opts_from_json(params, &go, &err);
        if (r < 0) {
                json_object_put(params);
                return ctl_usage("%s", err);
        }
        if (via_agent(o, "devpass.Attach", params, &res, &rc)) {
                json_object_put(params);
                if (rc == CTL_OK) {
                        g = json_object_object_get(res, "grant");
                        if (o->json)
                                ctl_print_json(g);
                        else
                                print_grant(g);
                }
                json_object_put(res);
                return rc;
        }
        r = open_offline(o, &e, &hw);
        if (r != CTL_OK) {
                json_object_put(params);
                return r;
        }
        r = dp_manual_attach(e, hw, o->args[0], o->args[1], &go, &g, &err);
        json_object_put(params);
        if (r < 0)
                return ctl_fail("%s", err ? err : strerror(-r));
        if (o->json)
                ctl_print_json(g);
        else
                print_grant(g);
        json_object_put(g);
        return CTL_OK;
}

int verb_detach(ctl_opts *o)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_hw_free_ dp_hw *hw = NULL;
        _cleanup_free_ char *err = NULL;
        json_object *params = json_object_new_object();
        int r, rc;

        json_object_object_add(params, "container",
                               json_object_new_string(o->args[0]));
        json_object_object_add(params, "device",
                               json_object_new_string(o->args[1]));
        r = via_agent(o, "devpass.Detach", params, NULL, &rc);
        json_object_put(params);
        if (r)
                return rc;
        r = open_offline(o, &e, &hw);
        if (r != CTL_OK)
                return r;
        r = dp_manual_detach(e, hw, o->args[0], o->args[1], &err);
        if (r < 0)
                return ctl_fail("%s", err ? err : strerror(-r));
        return CTL_OK;
}

int verb_list(ctl_opts *o)
{
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        json_object *res = NULL, *a = NULL;
        int r, rc;

        if (via_agent(o, "devpass.List", NULL, &res, &rc)) {
                if (rc != CTL_OK)
                        return rc;
                a = json_object_get(json_object_object_get(res, "grants"));
                json_object_put(res);
        } else {
                /* Reading needs no lock: saves are atomic renames. */
                dp_engine view = {};

                r = dp_ledger_load(o->state_dir, &l);
                if (r < 0 && r != -EBADMSG)
                        return ctl_fail("cannot read ledger in %s: %s",
                                        o->state_dir, strerror(-r));
                if (r == -EBADMSG)
                        return ctl_fail("ledger in %s is damaged",
                                        o->state_dir);
                view.ledger = l;
                r = dp_list_json(&view, &a);
                if (r < 0)
                        return ctl_fail("out of memory");
        }
        if (o->json)
                ctl_print_json(a);
        else if (json_object_array_length(a) == 0)
                printf("no grants\n");
        else
                for (size_t i = 0; i < json_object_array_length(a); i++)
                        print_grant(json_object_array_get_idx(a, i));
        json_object_put(a);
        return CTL_OK;
}
