/* SPDX-License-Identifier: MIT */
/* What devpassctl does without an agent: it reads the host's devices, the
 * policy files and the state dir itself. Only devpassctl-local has this;
 * the client hands such commands to it (handoff.c). */
#include <json-c/json.h>
#include <string.h>

#include "core/manual.h"
#include "ctl.h"
#include "devpass/act.h"
#include "devpass/hw.h"
#include "devpass/policy.h"

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

int ctl_local_explain(ctl_opts *o, json_object **ret)
{
        _cleanup_hw_free_ dp_hw *hw = NULL;
        _cleanup_policy_free_ dp_policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = load_policy(o, NULL, &p);
        if (r < 0)
                return ctl_fail("policy has errors; nothing would be "
                                "granted");
        r = dp_hw_new(&hw);
        if (r < 0)
                return ctl_fail("cannot open udev: %s", strerror(-r));
        r = dp_explain_json(hw, p, o->args[0], NULL, ret, &err);
        if (r < 0)
                return ctl_fail("%s", err ? err : strerror(-r));
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

int ctl_check_attach(json_object *params)
{
        _cleanup_free_ char *err = NULL;
        dp_grant_opts go;

        if (dp_grant_opts_from_json(params, &go, &err) < 0)
                return ctl_usage("%s", err);
        return CTL_OK;
}

int ctl_local_attach(ctl_opts *o, json_object *params, json_object **ret_grant)
{
        dp_manual_refs refs = {.container = o->args[0], .device = o->args[1]};
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_hw_free_ dp_hw *hw = NULL;
        _cleanup_policy_free_ dp_policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        dp_grant_opts go;
        int r;

        r = dp_grant_opts_from_json(params, &go, &err);
        if (r < 0)
                return ctl_usage("%s", err);
        /* the agent's deny rules hold when it does not run, too */
        if (load_policy(o, NULL, &p) < 0)
                refs.policy_error = "see the messages above";
        refs.policy = p;
        r = open_offline(o, &e, &hw);
        if (r != CTL_OK)
                return r;
        r = dp_manual_attach(e, hw, &refs, &go, ret_grant, &err);
        if (r < 0)
                return ctl_fail("%s", err ? err : strerror(-r));
        return CTL_OK;
}

int ctl_local_detach(ctl_opts *o)
{
        dp_manual_refs refs = {.container = o->args[0], .device = o->args[1]};
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_hw_free_ dp_hw *hw = NULL;
        _cleanup_policy_free_ dp_policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        /* the rule that would grant the device: the detach holds against
         * it (an unreadable policy only means no hold is recorded) */
        if (load_policy(o, NULL, &p) >= 0)
                refs.policy = p;
        r = open_offline(o, &e, &hw);
        if (r != CTL_OK)
                return r;
        r = dp_manual_detach(e, hw, &refs, &err);
        if (r < 0)
                return ctl_fail("%s", err ? err : strerror(-r));
        return CTL_OK;
}

int ctl_local_list(ctl_opts *o, json_object **ret_grants)
{
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        /* Reading needs no lock: saves are atomic renames. */
        dp_engine view = {};
        int r;

        r = dp_ledger_load(o->state_dir, &l);
        if (r < 0 && r != -EBADMSG)
                return ctl_fail("cannot read ledger in %s: %s", o->state_dir,
                                strerror(-r));
        if (r == -EBADMSG)
                return ctl_fail("ledger in %s is damaged", o->state_dir);
        view.ledger = l;
        r = dp_list_json(&view, ret_grants);
        if (r < 0)
                return ctl_fail("out of memory");
        return CTL_OK;
}
