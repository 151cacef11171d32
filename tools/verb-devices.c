/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <string.h>

#include "core/manual.h"
#include "ctl.h"
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
        x = json_object_object_get(e, "containers");
        printf("containers:");
        for (size_t i = 0; i < json_object_array_length(x); i++)
                printf(" %s",
                       json_object_get_string(json_object_array_get_idx(x, i)));
        printf("%s\n", json_object_array_length(x) ? "" : " (none running)");
        x = json_object_object_get(e, "trace");
        for (size_t i = 0; i < json_object_array_length(x); i++)
                printf("  %s\n",
                       json_object_get_string(json_object_array_get_idx(x, i)));
}

int verb_explain(ctl_opts *o)
{
        _cleanup_hw_free_ dp_hw *hw = NULL;
        _cleanup_policy_free_ dp_policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        json_object *e = NULL, *reply = NULL;
        int r;

        /* An agent explains with the policy it enforces; offline (or with
         * an explicit --policy-dir) the files on disk are read. */
        if (!o->policy_dirs) {
                json_object *params = json_object_new_object();

                json_object_object_add(params, "device",
                                       json_object_new_string(o->args[0]));
                r = ctl_call_agent(o, "devpass.Explain", params, &reply);
                json_object_put(params);
                if (r < 0)
                        return -r;
                if (r > 0) {
                        const char *m = dp_ipc_reply_error(reply);

                        if (m) {
                                r = ctl_fail("%s", m);
                                json_object_put(reply);
                                return r;
                        }
                        e = json_object_get(
                                json_object_object_get(reply, "parameters"));
                        json_object_put(reply);
                }
        }
        if (!e) {
                r = load_policy(o, NULL, &p);
                if (r < 0)
                        return ctl_fail("policy has errors; nothing would be "
                                        "granted");
                r = dp_hw_new(&hw);
                if (r < 0)
                        return ctl_fail("cannot open udev: %s", strerror(-r));
                r = dp_explain_json(hw, p, o->args[0], &e, &err);
                if (r < 0)
                        return ctl_fail("%s", err ? err : strerror(-r));
        }
        if (o->json)
                ctl_print_json(e);
        else
                print_explain(e);
        json_object_put(e);
        return CTL_OK;
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
