/* SPDX-License-Identifier: MIT */
#pragma once

/* The audit trail: one structured record for each grant, revoke, refusal
 * and manual request. Where journald runs each is a journal entry (its
 * MESSAGE_ID says which kind; data/catalog/devpass.catalog explains
 * them); elsewhere, where the program asked for it (devpassd does), the
 * same fields as one JSON object per line on stderr. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
typedef struct dp_grant dp_grant;

typedef enum dp_audit_kind {
        DP_AUDIT_GRANT,
        DP_AUDIT_REVOKE,
        DP_AUDIT_REFUSAL,
        DP_AUDIT_REQUEST,
        _DP_AUDIT_MAX,
} dp_audit_kind;

/* Every field but message may be NULL (left out). */
typedef struct dp_audit_fields {
        const char *message;   /* MESSAGE: one human line */
        const char *container; /* DEVPASS_CONTAINER */
        const char *device;    /* DEVPASS_DEVICE (syspath or the request's
                                  reference) */
        const char *rule;      /* DEVPASS_RULE: FILE:LINE or "manual" */
        const char *nodes;   /* DEVPASS_NODES: inside paths, space-separated */
        const char *result;  /* DEVPASS_RESULT: ok, or why not */
        const char *request; /* DEVPASS_REQUEST: attach, detach, renew */
        bool has_requester;  /* DEVPASS_REQUESTER_UID/_PID */
        uid_t uid;
        pid_t pid;
} dp_audit_fields;

/* The MESSAGE_ID of a kind, 32 hex digits. */
const char *dp_audit_message_id(dp_audit_kind k);
/* JSON lines on stderr when journald does not run (off by default). */
void dp_audit_set_stderr_fallback(bool on);
void dp_audit(dp_audit_kind k, const dp_audit_fields *f);
/* "path path …" of g's nodes inside (NULL on allocation failure). */
char *dp_audit_nodes(const dp_grant *g);
/* The same from a grant's list object (its "nodes"). */
char *dp_audit_nodes_json(struct json_object *grant);
