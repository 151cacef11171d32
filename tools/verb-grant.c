/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>

#include "ctl.h"
#include "devpass/protocol.h"

/* --for DURATION as the lease_ms parameter */
static int add_lease(json_object *p, const char *text)
{
        uint64_t ms;

        if (parse_duration_ms(text, &ms) < 0)
                return ctl_usage("invalid --for '%s' (a duration such as 90s, "
                                 "10min, 1h 30min or 2d)",
                                 text);
        json_object_object_add(p, "lease_ms",
                               json_object_new_int64((int64_t)ms));
        return CTL_OK;
}

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
        if (o->lease && add_lease(p, o->lease) != CTL_OK) {
                json_object_put(p);
                return CTL_USAGE;
        }
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

static void print_lease(json_object *g)
{
        json_object *left = json_object_object_get(g, "lease_left_s");
        int64_t s;

        if (!left)
                return;
        s = json_object_get_int64(left);
        if (s == 0)
                printf("    lease ended: revoked by the agent (or the next "
                       "devpassctl attach, detach or renew)\n");
        else if (s >= 3600)
                printf("    lease: %" PRId64 "h %02" PRId64 "min left\n",
                       s / 3600, s % 3600 / 60);
        else if (s >= 60)
                printf("    lease: %" PRId64 "min %02" PRId64 "s left\n",
                       s / 60, s % 60);
        else
                printf("    lease: %" PRId64 "s left\n", s);
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
        print_lease(g);
        if (json_object_object_get_ex(g, "container_running", &nd) &&
            !json_object_get_boolean(nd))
                printf("    container stopped: the agent's next pass (or "
                       "detach) cleans this grant up\n");
        if (json_object_object_get(g, "lost"))
                printf("    LOST: %s\n",
                       json_object_get_string(
                               json_object_object_get(g, "lost")));
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
        /* the agent checks attach settings with the parser that
         * ctl_check_attach runs here (the client leaves it to the agent) */
        if (err && streq(strempty(json_object_get_string(
                                 json_object_object_get(reply, "error"))),
                         DP_IPC_ERROR_INVALID_PARAMETER))
                *rc = ctl_usage("%s", err);
        else if (err)
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

/* A request whose answer is a grant (attach, renew): through the agent,
 * else done here; takes params; prints the grant. */
static int grant_request(ctl_opts *o, const char *method, json_object *params,
                         int (*local)(ctl_opts *o, json_object *params,
                                      json_object **ret))
{
        json_object *res = NULL, *g = NULL;
        int rc;

        if (via_agent(o, method, params, &res, &rc)) {
                if (rc == CTL_OK)
                        g = json_object_get(
                                json_object_object_get(res, "grant"));
                json_object_put(res);
        } else
                rc = local(o, params, &g);
        json_object_put(params);
        if (rc != CTL_OK)
                return rc;
        if (o->json)
                ctl_print_json(g);
        else
                print_grant(g);
        json_object_put(g);
        return CTL_OK;
}

int verb_attach(ctl_opts *o)
{
        json_object *params = NULL;
        int r;

        r = attach_params(o, &params);
        if (r != CTL_OK)
                return r;
        r = ctl_check_attach(params);
        if (r != CTL_OK) {
                json_object_put(params);
                return r;
        }
        return grant_request(o, "devpass.Attach", params, ctl_local_attach);
}

int verb_detach(ctl_opts *o)
{
        json_object *params = json_object_new_object();
        int r, rc;

        json_object_object_add(params, "container",
                               json_object_new_string(o->args[0]));
        json_object_object_add(params, "device",
                               json_object_new_string(o->args[1]));
        r = via_agent(o, "devpass.Detach", params, NULL, &rc);
        if (!r)
                rc = ctl_local_detach(o, params);
        json_object_put(params);
        return rc;
}

int verb_renew(ctl_opts *o)
{
        json_object *params = json_object_new_object();

        if (!o->lease) {
                json_object_put(params);
                return ctl_usage("renew needs --for DURATION");
        }
        json_object_object_add(params, "container",
                               json_object_new_string(o->args[0]));
        json_object_object_add(params, "device",
                               json_object_new_string(o->args[1]));
        if (add_lease(params, o->lease) != CTL_OK) {
                json_object_put(params);
                return CTL_USAGE;
        }
        return grant_request(o, "devpass.Renew", params, ctl_local_renew);
}

int verb_list(ctl_opts *o)
{
        json_object *res = NULL, *a = NULL;
        int rc;

        if (via_agent(o, "devpass.List", NULL, &res, &rc)) {
                if (rc != CTL_OK)
                        return rc;
                a = json_object_get(json_object_object_get(res, "grants"));
                json_object_put(res);
        } else {
                rc = ctl_local_list(o, &a);
                if (rc != CTL_OK)
                        return rc;
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
