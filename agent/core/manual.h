/* SPDX-License-Identifier: MIT */
#pragma once

/* The verbs behind `devpassctl attach/detach/list/explain`, shared by the
 * agent (over IPC) and the CLI acting alone. Each returns 0 or a negative
 * errno with a one-line human reason in *ret_error. */

#include "core/engine.h"
#include "devpass/hw.h"
#include "devpass/policy.h"

struct json_object;

/* What a request names, as the user wrote it, and what the caller already
 * resolved it to (the agent keeps running containers and devices at hand);
 * NULL: resolve here. */
typedef struct dp_manual_refs {
        const char *container, *device;
        const dp_container *c;
        const dp_device *d;
        /* detach, in the agent: the running container of a ledger ref as
         * the agent tracks it (NULL: stopped); when set, no runtime is
         * asked (one that hangs would hold up the agent) */
        const dp_container *(*tracked)(void *userdata, const char *ref);
        void *userdata;
        /* attach (and detach: the rule a detach holds against): the policy in
         * force, whose deny rules end evaluation for manual grants too (NULL:
         * no rules); policy_error: why no policy could be read, which refuses
         * every manual attach (fail-closed: what would be denied is not known)
         */
        const dp_policy *policy;
        const char *policy_error;
} dp_manual_refs;

/* The deny rule that refuses d to everyone, or NULL. */
const dp_rule *dp_manual_denied_by(const dp_policy *policy, const dp_device *d);
/* -EPERM with the reason in *ret_error when refs' policy refuses d to any
 * manual grant (a deny rule, or a policy that could not be read); 0 if
 * not. Attach checks this itself; the agent also asks it before a runtime
 * lookup, so that a denied device costs none. */
int dp_manual_check_policy(const dp_manual_refs *refs, const dp_device *d,
                           char **ret_error);

int dp_manual_attach(dp_engine *e, dp_hw *hw, const dp_manual_refs *refs,
                     const dp_grant_opts *o, struct json_object **ret_grant,
                     char **ret_error);
/* The one grant refs names in the ledger (by the container c, when the
 * caller resolved it, else by the reference's name; by any name of the
 * device); -ENOENT, -ENOTUNIQ. */
int dp_manual_find_grant(dp_engine *e, dp_hw *hw, const dp_manual_refs *refs,
                         const dp_container *c, dp_grant **ret,
                         char **ret_error);
int dp_manual_detach(dp_engine *e, dp_hw *hw, const dp_manual_refs *refs,
                     char **ret_error);
/* The `list --json` array. */
int dp_list_json(const dp_engine *e, struct json_object **ret);
/* One grant in the stable `list` shape; holders: also the processes inside
 * that hold its nodes open (a /proc scan). */
int dp_grant_list_json(const dp_grant *g, bool holders,
                       struct json_object **ret);
/* The `explain --json` object; policy may be NULL (no rules loaded).
 * running: the running containers' canonical refs as the caller tracks
 * them; NULL: ask the runtimes. */
int dp_explain_json(dp_hw *hw, const dp_policy *policy, const char *device_ref,
                    char *const *running, struct json_object **ret,
                    char **ret_error);
/* Parses attach settings from IPC parameters or CLI options. */
int dp_grant_opts_from_json(struct json_object *params, dp_grant_opts *o,
                            char **ret_error);
