/* SPDX-License-Identifier: MIT */
#pragma once

/* Private interfaces of container resolution: the runtime backends behind one
 * small ops table, the pieces of /proc parsing they share, and a minimal
 * HTTP/1.1 client for the runtimes that only speak REST over a unix socket.
 * Exposed here (not in include/) so that unit tests can reach them. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "devpass/container.h"
#include "devpass/ref.h"

/* What a backend knows beyond the init pid, and what the pid must satisfy
 * before its answer is believed (runtime-auth.c). */
typedef struct dp_runtime_extra {
        bool systemd_managed; /* the runtime's cgroup belongs to systemd */
        pid_t parent;         /* init's parent must be this pid (0: any) */
        bool parent_root;     /* init's parent must run as root */
        unsigned long parent_socket; /* inode of a socket init's parent must
                                        hold open (0: no check) */
        bool cgroup_exact;      /* cgroup_token is a whole path component */
        char cgroup_token[320]; /* init's cgroup paths must hold it ("": no
                                   check) */
} dp_runtime_extra;

typedef struct dp_runtime_ops {
        dp_runtime runtime;
        const char *name; /* reference prefix: "lxc", "docker", … */
        /* Names of the running containers. -ENOMEDIUM: runtime absent. */
        int (*list)(char ***ret_names);
        /* Init pid of a running container. -ENOENT unknown, -ESRCH exists but
         * stopped, -ENOMEDIUM runtime absent or unreachable. */
        int (*find_pid)(const char *name, pid_t *ret_pid,
                        dp_runtime_extra *ret_extra);
} dp_runtime_ops;

extern const dp_runtime_ops dp_runtime_lxc_ops;
extern const dp_runtime_ops dp_runtime_incus_ops;
extern const dp_runtime_ops dp_runtime_lxd_ops;
extern const dp_runtime_ops dp_runtime_nspawn_ops;
extern const dp_runtime_ops dp_runtime_docker_ops;
extern const dp_runtime_ops dp_runtime_podman_ops;

/* A container of the LXC monitor under LXCPATH (runtime-lxc.c): its
 * monitor's command socket must have a root peer, and the init it names
 * must be that monitor's child in cgroup lxc.payload.NAME. LXD and Incus
 * run their containers this way, under DIR/containers. Same errors as
 * find_pid; -ESRCH also when no monitor listens. */
int dp_lxc_find_at(const char *lxcpath, const char *name, pid_t *ret_pid,
                   dp_runtime_extra *ret_extra);

/* ---- references ---- */
typedef struct dp_container_ref {
        bool bare;          /* no prefix: try every runtime */
        dp_runtime runtime; /* meaningless when bare */
        char *name;         /* NAME, PID text or cgroup path (relative) */
} dp_container_ref;

void dp_container_ref_done(dp_container_ref *r);
/* -EINVAL bad syntax, -EPROTONOSUPPORT unknown prefix. */
int dp_container_ref_parse(const char *s, dp_container_ref *ret);

/* ---- /proc parsing ---- */
/* Parses /proc/PID/cgroup text: the v1 "devices" path and the v2 "0::" path,
 * each relative to its hierarchy root; either is NULL when absent. */
int dp_cgroup_parse(const char *text, char **ret_v1_devices, char **ret_v2);
/* Builds the absolute directory of a cgroup path inside a hierarchy
 * (root: mount point, mount_root: that mount's root within the hierarchy). */
int dp_cgroup_join(const char *root, const char *mount_root, const char *path,
                   char **ret);
/* Finds the init of a cgroup among the pids of its cgroup.procs: the one
 * whose parent is not in the set, else the lowest. */
int dp_cgroup_find_init(const char *dir, pid_t *ret);

/* ---- authentication of runtime answers (runtime-auth.c) ---- */
/* 0 if the peer of the connected unix socket fd runs as root (and, with
 * ret_pid, its pid); -EKEYREJECTED otherwise. */
int dp_peer_check_root(int fd, pid_t *ret_pid);
/* 0 if path is a socket owned by root in a root-owned directory that no one
 * else may write to (sticky excepted); -ENOMEDIUM if there is no socket,
 * -EKEYREJECTED if it is not trustworthy. */
int dp_socket_file_trusted(const char *path);
/* Parent pid from /proc/PID/status. */
int dp_proc_ppid(pid_t pid, pid_t *ret);
/* Checks a resolved container against what its runtime's answer must
 * satisfy: -EHOSTUNREACH if it shares the agent's mount, pid and user
 * namespaces, -EKEYREJECTED if its parent or cgroup do not fit, -ESRCH if
 * it died meanwhile. */
int dp_runtime_verify(const dp_container *c, const dp_runtime_extra *x);
/* The runtime's cgroup, not the init's own: a systemd inside the container
 * puts itself into init.scope and its services into system.slice below
 * it, while the runtime's device policy sits at the runtime's cgroup
 * (LXC's lxc.payload.NAME, a machine's scope), where a grant covers them
 * all. Cuts c's cgroups after x's token, for the runtimes whose cgroup is
 * a known whole path component; after dp_runtime_verify(). */
int dp_runtime_cgroup_cut(dp_container *c, const dp_runtime_extra *x);

/* ---- HTTP over AF_UNIX ---- */
#define DP_HTTP_MAX_RESPONSE (4u * 1024 * 1024)
#define DP_HTTP_TIMEOUT_MS   2000

/* GET PATH on the server at SOCKET_PATH; the body comes back NUL-terminated.
 * -ENOMEDIUM no server there, -ETIMEDOUT, -EFBIG response over the cap,
 * -EBADMSG malformed response. Any HTTP status is a success here. */
int dp_http_get(const char *socket_path, const char *path, int timeout_ms,
                unsigned *ret_status, char **ret_body, size_t *ret_size);
/* Parses a response held in BUF. -EAGAIN: incomplete (and !eof). */
int dp_http_parse_response(const char *buf, size_t len, bool eof,
                           unsigned *ret_status, char **ret_body,
                           size_t *ret_size);
/* Percent-encodes a path segment. */
char *dp_http_escape(const char *s);

/* The REST backends share these. The socket: the configured one when set
 * (dp_config), else the first candidate that exists, else the first. */
const char *dp_runtime_socket(const char *configured,
                              const char *const *candidates);
struct json_object;
/* Docker's Engine API shapes, which Podman's API and CLI share
 * (runtime-docker.c). A member of an object, b optional. */
struct json_object *dp_engine_get_path(struct json_object *o, const char *a,
                                       const char *b);
/* One container's inspect object: its init pid and what that pid must
 * satisfy (root parent, the full id in its cgroup). -ESRCH not running,
 * -EBADMSG malformed. */
int dp_engine_inspect_parse(struct json_object *o, pid_t *ret_pid,
                            dp_runtime_extra *ret_extra);
/* A list of containers (GET /containers/json, `podman ps --format json`):
 * the names of the running ones. */
int dp_engine_list_parse(struct json_object *arr, char ***ret_names);
/* The same over an engine's REST socket. */
int dp_engine_rest_find(const char *sock, const char *name, pid_t *ret_pid,
                        dp_runtime_extra *ret_extra);
int dp_engine_rest_list(const char *sock, char ***ret_names);

/* Runs a runtime's CLI, BIN (an absolute path to a regular file that root
 * owns and nobody else may write, in a directory likewise), with ARGV, a
 * clean environment, no stdin and stderr dropped, and captures its stdout
 * (at most DP_HTTP_MAX_RESPONSE bytes, NUL-terminated). The child is killed
 * at timeout_ms. -ENOMEDIUM no such program, -EKEYREJECTED untrusted,
 * -ETIMEDOUT, -EFBIG; otherwise 0 with the exit status in *ret_status
 * (-1 for a signal). */
int dp_capture(const char *bin, char *const *argv, int timeout_ms,
               int *ret_status, char **ret_out, size_t *ret_size);

/* Parses a whole JSON document (trailing garbage refused) into an object. */
int dp_json_parse(const char *text, size_t size, struct json_object **ret);
/* GET PATH and parse the JSON answer. -ENOENT on HTTP 404, -EIO on any other
 * non-2xx status. */
int dp_rest_get_json(const char *socket_path, const char *path,
                     struct json_object **ret);
