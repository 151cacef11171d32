/* SPDX-License-Identifier: MIT */
#pragma once

/* devpassd's IPC server (protocol: devpass/protocol.h), a front end over
 * the core's services (core/service.h): it listens on the agent's socket,
 * answers each method from a table, and streams the agent's events to
 * monitor clients as a subscriber. The core knows nothing of it. */

#include <stdbool.h>
#include <sys/types.h>

#include "core/daemon.h"

struct ucred;

typedef struct dp_ipc_server dp_ipc_server;

/* Binds d's socket and serves it on d's loop. */
int dp_ipc_server_new(dp_daemon *d, dp_ipc_server **ret);
/* Drops every client, closes and removes the socket. */
void dp_ipc_server_free(dp_ipc_server *s);

/* peer.c */
/* The peer, pinned: with SO_PEERPIDFD the checks name the process that
 * connected, not whatever process got its pid since. -errno: refuse the
 * connection; on a kernel without SO_PEERPIDFD *ret_pidfd is -1 and the pid
 * SO_PEERCRED gave stands. */
int dp_ipc_peer_pin(int fd, const struct ucred *cred, int *ret_pidfd,
                    pid_t *ret_pid);
/* The peer runs in the agent's pid and user namespaces (not inside a
 * container that was handed the socket). */
bool dp_ipc_same_namespaces(pid_t pid);
bool dp_ipc_pidfd_alive(int pidfd);
