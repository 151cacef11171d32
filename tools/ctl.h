/* SPDX-License-Identifier: MIT */
#pragma once

/* devpassctl: shared state and helpers of the verbs. */

#include <stdbool.h>

#include "devpass/util.h"

struct json_object;

typedef struct ctl_opts {
        char **argv; /* the command line as given, for the hand-off */
        const char *socket;
        const char *state_dir;
        char **policy_dirs;  /* --policy-dir, repeatable */
        const char *cdi_dir; /* --cdi-dir */
        /* verb options */
        bool json;
        const char *path, *mode, *owner, *group, *access, *name;
        const char *lease; /* --for DURATION */
        char **args;       /* positionals */
} ctl_opts;

/* Exit codes: 0 success, 1 failure (one line on stderr), 2 usage. */
enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

int ctl_fail(const char *fmt, ...) _printf_(1, 2);  /* prints, returns 1 */
int ctl_usage(const char *fmt, ...) _printf_(1, 2); /* prints, returns 2 */
void ctl_print_json(struct json_object *o);
/* Calls the agent. Returns 1 with *ret_reply set when an agent answered,
 * 0 when none runs (the caller acts itself), or a negated CTL_* failure
 * code. The client never returns 0: where no agent could be reached it
 * hands the command to devpassctl-local. */
int ctl_call_agent(const ctl_opts *o, const char *method,
                   struct json_object *params, struct json_object **ret_reply);

int verb_devices(ctl_opts *o);
int verb_explain(ctl_opts *o);
int verb_policy(ctl_opts *o);
int verb_attach(ctl_opts *o);
int verb_detach(ctl_opts *o);
int verb_renew(ctl_opts *o);
int verb_list(ctl_opts *o);
int verb_status(ctl_opts *o);
int verb_reload(ctl_opts *o);
int verb_monitor(ctl_opts *o);
int verb_cdi(ctl_opts *o);

/* The work that needs the host's devices, the policy files or the state
 * dir, done without an agent (local.c, in devpassctl-local). The client
 * (DEVPASSCTL_CLIENT) links none of it: handoff.c runs devpassctl-local
 * with the unchanged command line instead. verb_devices and verb_policy
 * are wholly local. */
int ctl_check_attach(struct json_object *params); /* CTL_USAGE when invalid */
int ctl_local_attach(ctl_opts *o, struct json_object *params,
                     struct json_object **ret_grant);
int ctl_local_detach(ctl_opts *o, struct json_object *params);
int ctl_local_renew(ctl_opts *o, struct json_object *params,
                    struct json_object **ret_grant);
int ctl_local_list(ctl_opts *o, struct json_object **ret_grants);
int ctl_local_explain(ctl_opts *o, struct json_object *params,
                      struct json_object **ret);
/* Replaces the process with devpassctl-local; returns only on failure. */
int ctl_exec_local(const ctl_opts *o);
