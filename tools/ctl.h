/* SPDX-License-Identifier: MIT */
#pragma once

/* devpassctl: shared state and helpers of the verbs. */

#include <stdbool.h>

#include "devpass/util.h"

struct json_object;

typedef struct ctl_opts {
        const char *socket;
        const char *state_dir;
        char **policy_dirs; /* --policy-dir, repeatable */
        /* verb options */
        bool json;
        const char *path, *mode, *owner, *group, *access, *name;
        char **args; /* positionals */
} ctl_opts;

/* Exit codes: 0 success, 1 failure (one line on stderr), 2 usage. */
enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

int ctl_fail(const char *fmt, ...) _printf_(1, 2);  /* prints, returns 1 */
int ctl_usage(const char *fmt, ...) _printf_(1, 2); /* prints, returns 2 */
void ctl_print_json(struct json_object *o);
/* Calls the agent. Returns 1 with *ret_reply set when an agent answered,
 * 0 when none runs (the caller acts itself), or a CTL_* failure code. */
int ctl_call_agent(const ctl_opts *o, const char *method,
                   struct json_object *params, struct json_object **ret_reply);

int verb_devices(ctl_opts *o);
int verb_explain(ctl_opts *o);
int verb_policy(ctl_opts *o);
int verb_attach(ctl_opts *o);
int verb_detach(ctl_opts *o);
int verb_list(ctl_opts *o);
int verb_status(ctl_opts *o);
int verb_reload(ctl_opts *o);
int verb_monitor(ctl_opts *o);
