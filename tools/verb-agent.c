/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <signal.h>
#include <string.h>

#include "ctl.h"
#include "devpass/protocol.h"

static int simple_call(ctl_opts *o, const char *method, json_object **ret)
{
        json_object *reply = NULL;
        const char *err;
        int r = ctl_call_agent(o, method, NULL, &reply);

        if (r < 0)
                return -r;
        if (r == 0)
                return ctl_fail("devpassd is not running (no socket at %s)",
                                o->socket);
        err = dp_ipc_reply_error(reply);
        if (err) {
                r = ctl_fail("%s", err);
                json_object_put(reply);
                return r;
        }
        *ret = json_object_get(json_object_object_get(reply, "parameters"));
        json_object_put(reply);
        return CTL_OK;
}

int verb_status(ctl_opts *o)
{
        json_object *p = NULL;
        int r = simple_call(o, "devpass.Status", &p);

        if (r != CTL_OK)
                return r;
        if (o->json)
                ctl_print_json(p);
        else {
                json_object_object_foreach(p, k, v) printf(
                        "%-14s %s\n", k, v ? json_object_get_string(v) : "-");
        }
        json_object_put(p);
        return CTL_OK;
}

int verb_reload(ctl_opts *o)
{
        json_object *p = NULL;
        int r = simple_call(o, "devpass.Reload", &p);

        if (r != CTL_OK)
                return r;
        if (o->json)
                ctl_print_json(p);
        else
                printf("policy reloaded: %d rules\n",
                       json_object_get_int(json_object_object_get(p, "rules")));
        json_object_put(p);
        return CTL_OK;
}

int verb_monitor(ctl_opts *o)
{
        _cleanup_close_ int fd = -EBADF;
        json_object *req;
        int r;

        r = dp_ipc_connect(o->socket, &fd);
        if (r == -ENOENT || r == -ECONNREFUSED)
                return ctl_fail("devpassd is not running (no socket at %s)",
                                o->socket);
        if (r < 0)
                return ctl_fail("connecting to %s: %s", o->socket,
                                strerror(-r));
        req = json_object_new_object();
        json_object_object_add(req, "method",
                               json_object_new_string("devpass.Monitor"));
        json_object_object_add(req, "parameters", json_object_new_object());
        json_object_object_add(req, "more", json_object_new_boolean(true));
        r = dp_ipc_send(fd, req);
        json_object_put(req);
        if (r < 0)
                return ctl_fail("sending to %s: %s", o->socket, strerror(-r));
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (;;) {
                json_object *m = NULL, *p;
                const char *err;

                r = dp_ipc_recv(fd, -1, &m);
                if (r == -ECONNRESET)
                        return CTL_OK;
                if (r < 0)
                        return ctl_fail("reading from %s: %s", o->socket,
                                        strerror(-r));
                err = dp_ipc_reply_error(m);
                if (err) {
                        r = ctl_fail("%s", err);
                        json_object_put(m);
                        return r;
                }
                p = json_object_object_get(m, "parameters");
                if (o->json)
                        puts(json_object_to_json_string_ext(
                                p, JSON_C_TO_STRING_PLAIN |
                                           JSON_C_TO_STRING_NOSLASHESCAPE));
                else
                        puts(json_object_get_string(
                                json_object_object_get(p, "text")));
                json_object_put(m);
        }
}

static void print_explain(json_object *e)
{
        json_object *x;

        printf("device:     %s\n",
               json_object_get_string(json_object_object_get(e, "device")));
        printf("class:      %s\n",
               json_object_get_string(json_object_object_get(e, "class")));
        x = json_object_object_get(e, "rule");
        printf("rule:       %s\n",
               x ? json_object_get_string(x) : "(none: not passed through)");
        x = json_object_object_get(e, "action");
        if (x)
                printf("action:     %s\n", json_object_get_string(x));
        x = json_object_object_get(e, "cdi");
        if (x)
                printf("cdi:        %s\n", json_object_get_string(x));
        x = json_object_object_get(e, "containers");
        printf("containers:");
        for (size_t i = 0; i < json_object_array_length(x); i++)
                printf(" %s",
                       json_object_get_string(json_object_array_get_idx(x, i)));
        printf("%s\n", json_object_array_length(x) ? "" : " (none running)");
        x = json_object_object_get(e, "grants");
        for (size_t i = 0; i < json_object_array_length(x); i++) {
                json_object *g = json_object_array_get_idx(x, i), *u;

                u = json_object_object_get(g, "systemd_unit");
                printf("granted:    %s, cgroup %s%s%s (%s)\n",
                       json_object_get_string(
                               json_object_object_get(g, "container")),
                       strna(json_object_get_string(
                               json_object_object_get(g, "cgroup_path"))),
                       u ? ", unit " : "", u ? json_object_get_string(u) : "",
                       strna(json_object_get_string(
                               json_object_object_get(g, "cgroup_why"))));
        }
        x = json_object_object_get(e, "trace");
        for (size_t i = 0; i < json_object_array_length(x); i++)
                printf("  %s\n",
                       json_object_get_string(json_object_array_get_idx(x, i)));
}

int verb_explain(ctl_opts *o)
{
        json_object *e = NULL, *reply = NULL,
                    *params = json_object_new_object();
        int r;

        json_object_object_add(params, "device",
                               json_object_new_string(o->args[0]));
        /* An agent explains with the policy it enforces; offline (or with
         * an explicit --policy-dir) the files on disk are read. */
        if (!o->policy_dirs) {
                r = ctl_call_agent(o, "devpass.Explain", params, &reply);
                if (r < 0) {
                        json_object_put(params);
                        return -r;
                }
                if (r > 0) {
                        const char *m = dp_ipc_reply_error(reply);

                        if (m) {
                                json_object_put(params);
                                r = ctl_fail("%s", m);
                                json_object_put(reply);
                                return r;
                        }
                        e = json_object_get(
                                json_object_object_get(reply, "parameters"));
                        json_object_put(reply);
                }
        }
        r = e ? CTL_OK : ctl_local_explain(o, params, &e);
        json_object_put(params);
        if (r != CTL_OK)
                return r;
        if (o->json)
                ctl_print_json(e);
        else
                print_explain(e);
        json_object_put(e);
        return CTL_OK;
}
