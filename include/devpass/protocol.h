/* SPDX-License-Identifier: MIT */
#pragma once

/* The IPC protocol between devpassctl and devpassd, varlink-shaped: each
 * message is one JSON object terminated by a NUL byte on a SOCK_STREAM unix
 * socket.
 *   request: {"method": "devpass.Attach", "parameters": {...}, "more": bool}
 *   reply:   {"parameters": {...}} or
 *            {"error": "devpass.Error", "parameters": {"message": "..."}}
 *   "more": true (Monitor) keeps the connection open; the agent then sends
 *   one reply per event with "continues": true.
 * Requests larger than DP_IPC_MAX_MESSAGE are refused and the connection
 * closed. Methods and their parameters:
 *   devpass.Attach  {container, device, path?, mode?, owner?, group?, access?,
 *                    name?}                → {grant}
 *   devpass.Detach  {container, device}     → {}
 *   devpass.List    {}                      → {grants: [...]}
 *   devpass.Status  {}                      → {version, pid, policy_rules, …}
 *   devpass.Explain {device}                → explain object
 *   devpass.Reload  {}                      → {rules} or error with message
 *   devpass.Monitor {} (more)               → {event: "...", text: "..."}… */

#include <stddef.h>

/* Error names of replies: {"error": DP_IPC_ERROR_*, "parameters":
 * {"message": "…"}}. */
#define DP_IPC_ERROR_INVALID_MESSAGE   "devpass.InvalidMessage"
#define DP_IPC_ERROR_MESSAGE_TOO_LARGE "devpass.MessageTooLarge"
#define DP_IPC_ERROR_METHOD_NOT_FOUND  "devpass.MethodNotFound"
#define DP_IPC_ERROR_INVALID_PARAMETER "devpass.InvalidParameter"
#define DP_IPC_ERROR_PERMISSION_DENIED "devpass.PermissionDenied"
#define DP_IPC_ERROR_DENIED            "devpass.Denied"
#define DP_IPC_ERROR_POLICY            "devpass.PolicyError"
#define DP_IPC_ERROR_FAILED            "devpass.Failed"

#define DP_IPC_MAX_MESSAGE (64u * 1024u)
#define DP_DEFAULT_SOCKET  "/run/devpass/devpass.sock"
/* Where devpassd writes the CDI specs of what the policy exports (CDI's
 * dynamic spec dir; /etc/cdi is for specs written by hand). */
#define DP_DEFAULT_CDI_DIR "/var/run/cdi"

struct json_object;

/* Sends obj followed by NUL. Blocking fd. */
int dp_ipc_send(int fd, struct json_object *obj);
/* Receives one NUL-terminated message, at most DP_IPC_MAX_MESSAGE bytes;
 * -EBADMSG for invalid JSON or a non-object, -EMSGSIZE when too large,
 * -ECONNRESET on EOF. Blocking fd; timeout_ms < 0 waits forever. */
int dp_ipc_recv(int fd, int timeout_ms, struct json_object **ret);
/* Connects to the agent's socket; -ENOENT/-ECONNREFUSED when none runs. */
int dp_ipc_connect(const char *path, int *ret_fd);
/* Sends a request and waits for its reply (not for streaming methods). */
int dp_ipc_call(const char *socket_path, const char *method,
                struct json_object *params, struct json_object **ret_reply);
/* params[key] when it is a string, else NULL (params may be NULL). */
const char *dp_ipc_param_string(struct json_object *params, const char *key);
/* The error message of a reply, or NULL when it is not an error. */
const char *dp_ipc_reply_error(struct json_object *reply);
