/* SPDX-License-Identifier: MIT */
#pragma once

/* The verbs as core services: attach, detach, list, explain, reload and
 * status over one context. The agent's IPC server and devpassctl-local are
 * front ends that only carry requests and answers: each verb takes the IPC
 * parameters object and answers with the IPC reply's parameters, or fails
 * with a protocol error name (devpass/protocol.h) and a one-line message.
 * Policy is applied here, on every path: a device a deny rule matches is
 * refused to every manual attach, agent or not. */

#include "core/engine.h"
#include "devpass/hw.h"
#include "devpass/policy.h"

struct json_object;

/* What a front end knows that the core does not: the agent tracks running
 * containers and present devices and learns of grants; the CLI acting
 * alone knows nothing (every hook NULL: resolve from scratch, ask the
 * runtimes). */
typedef struct dp_service_hooks {
        /* the running container the front end tracks for ref, or NULL */
        const dp_container *(*find_container)(void *userdata, const char *ref);
        /* a present device the front end tracks; -ENOENT: resolve it */
        int (*find_device)(void *userdata, const char *ref, dp_device **ret);
        /* the running containers' canonical refs (explain) */
        int (*running)(void *userdata, char ***ret);
        /* a manual grant was made: grant is its list object; *resolved
         * the container a deferred lookup found, which the front end may
         * take (*resolved = NULL) */
        void (*attached)(void *userdata, struct json_object *grant,
                         dp_container **resolved);
        /* a decision to tell subscribers of (event: grant, revoke, error) */
        void (*event)(void *userdata, const char *event, const char *text);
        /* reloads the policy in force; NULL: the service only reads and
         * checks the policy dirs (no agent holds a policy) */
        int (*reload)(void *userdata, char **ret_error);
        /* adds what only the front end knows to the status object */
        void (*status)(void *userdata, struct json_object *o);
} dp_service_hooks;

typedef struct dp_service {
        dp_engine *engine; /* and its ledger */
        dp_hw *hw;
        const dp_policy *policy;  /* NULL: no rules */
        const char *policy_error; /* why policy is NULL, if it could not be
                                     read */
        char *const *policy_dirs;
        /* an attach to a container the front end does not track and only a
         * runtime knows answers -EINPROGRESS instead of asking the runtime
         * (the agent asks it off its loop, then calls again) */
        bool defer_lookups;
        size_t n_devices, n_containers; /* for status */
        const dp_service_hooks *hooks;
        void *userdata;
        /* who asks (an IPC peer, or the user running devpassctl-local), for
         * the audit trail (core/audit.h) */
        bool has_requester;
        uid_t requester_uid;
        pid_t requester_pid;
} dp_service;

typedef struct dp_service_error {
        const char *name; /* DP_IPC_ERROR_* */
        char *message;
} dp_service_error;

void dp_service_error_clear(dp_service_error *e);

/* Loads the policy dirs; on error *ret_message says why in one line (the
 * diagnostics joined by "; "). */
int dp_service_load_policy(char *const *dirs, dp_policy **ret,
                           char **ret_message);
/* Makes hw read only the attributes the policy's rules can look at (one
 * read each instead of a device's whole directory); > 0 when that set
 * changed, so that devices read before must be read again. */
int dp_service_policy_attributes(dp_hw *hw, const dp_policy *p);

/* {container, device, path?, …} → {grant}. resolved: NULL, or where the
 * container a deferred lookup found is (see defer_lookups): *resolved NULL
 * when the lookup failed with resolved_r. */
int dp_service_attach(dp_service *s, struct json_object *params,
                      dp_container **resolved, int resolved_r,
                      struct json_object **ret, dp_service_error *e);
/* {container, device} → {} */
int dp_service_detach(dp_service *s, struct json_object *params,
                      struct json_object **ret, dp_service_error *e);
/* {} → {grants: […]} */
int dp_service_list(dp_service *s, struct json_object *params,
                    struct json_object **ret, dp_service_error *e);
/* {device} → the explain object */
int dp_service_explain(dp_service *s, struct json_object *params,
                       struct json_object **ret, dp_service_error *e);
/* {} → {rules} */
int dp_service_reload(dp_service *s, struct json_object *params,
                      struct json_object **ret, dp_service_error *e);
/* {} → {version, policy_rules, policy_error, devices, containers, grants}
 * plus what the hooks add */
int dp_service_status(dp_service *s, struct json_object *params,
                      struct json_object **ret, dp_service_error *e);
