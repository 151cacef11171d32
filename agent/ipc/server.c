/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "core/daemon.h"
#include "core/manual.h"
#include "core/rtlookup.h"
#include "devpass/log.h"
#include "devpass/protocol.h"
#include "devpass/runtime.h"

/* The agent side of the IPC protocol (see devpass/protocol.h). Clients are
 * non-blocking and never block the loop: a request is handled once its NUL
 * arrives, an oversize or malformed one is answered with an error and the
 * connection closed, and a client that sends nothing is dropped. */

#define DP_IPC_MAX_CLIENTS 1024
#define DP_IPC_IDLE_SEC    10

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

struct dp_ipc_client {
        int fd;
        uid_t uid;
        gid_t gid;
        pid_t pid;
        /* pins the requester (SO_PEERPIDFD) for as long as it is connected:
         * its pid cannot be recycled under a check or a log line; -1 on a
         * kernel without it */
        int pidfd;
        bool monitor;
        time_t last;
        /* an attach waiting for a runtime lookup: its parameters, and the
         * lookup's answer once it came */
        unsigned lookup;
        json_object *parked;
        dp_container *resolved;
        int resolved_r;
        size_t len;
        char buf[DP_IPC_MAX_MESSAGE + 1];
};

static time_t now_sec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

int dp_ipc_server_open(dp_daemon *d)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        const char *path = d->cfg.socket_path;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = DP_EV_LISTEN};
        struct stat st;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *dir = NULL;
        mode_t old;

        if (strlen(path) >= sizeof(sa.sun_path))
                return log_error_errno(-ENAMETOOLONG, "Socket path too long");
        strcpy(sa.sun_path, path);
        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
                *strrchr(dir, '/') = 0;
                (void)mkdir_p(dir, 0755);
        }
        /* remove a stale socket only: never a file someone put there */
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return log_error_errno(
                                -EEXIST, "%s exists and is not a socket", path);
                unlink(path);
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(negative_errno(), "socket: %m");
        old = umask(d->cfg.read_group >= 0 ? 0117 : 0177);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int r = negative_errno();

                umask(old);
                return log_error_errno(r, "Cannot bind %s: %m", path);
        }
        umask(old);
        if (d->cfg.read_group >= 0 &&
            chown(path, 0, (gid_t)d->cfg.read_group) < 0)
                log_warning_errno(negative_errno(), "chown %s: %m", path);
        if (listen(fd, 128) < 0)
                return log_error_errno(negative_errno(), "listen: %m");
        if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return negative_errno();
        d->listen_fd = TAKE_FD(fd);
        return 0;
}

static void client_drop(dp_daemon *d, size_t i)
{
        dp_ipc_client *c = d->clients[i];

        epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        safe_close(c->fd);
        safe_close(c->pidfd);
        json_object_put(c->parked);
        dp_container_free(c->resolved);
        free(c);
        d->clients[i] = d->clients[--d->n_clients];
}

void dp_ipc_clients_free(dp_daemon *d)
{
        while (d->n_clients > 0)
                client_drop(d, d->n_clients - 1);
        free(d->clients);
        d->clients = NULL;
}

static int send_nb(dp_ipc_client *c, json_object *o)
{
        const char *s = json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        size_t n = strlen(s) + 1;
        ssize_t w;

        /* a client that does not read its replies is dropped, never
         * waited for */
        w = send(c->fd, s, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0)
                return negative_errno();
        return (size_t)w == n ? 0 : -EAGAIN;
}

static int reply_error(dp_ipc_client *c, const char *error, const char *msg)
{
        json_object *o = json_object_new_object(),
                    *p = json_object_new_object();
        int r;

        json_object_object_add(o, "error", json_object_new_string(error));
        json_object_object_add(p, "message", json_object_new_string(msg));
        json_object_object_add(o, "parameters", p);
        r = send_nb(c, o);
        json_object_put(o);
        return r;
}

static int reply(dp_ipc_client *c, json_object *params)
{
        json_object *o = json_object_new_object();
        int r;

        json_object_object_add(o, "parameters",
                               params ? params : json_object_new_object());
        r = send_nb(c, o);
        json_object_put(o);
        return r;
}

void dp_ipc_broadcast(dp_daemon *d, json_object *params)
{
        for (size_t i = d->n_clients; i-- > 0;) {
                dp_ipc_client *c = d->clients[i];
                json_object *o;

                if (!c->monitor)
                        continue;
                o = json_object_new_object();
                json_object_object_add(o, "parameters",
                                       json_object_get(params));
                json_object_object_add(o, "continues",
                                       json_object_new_boolean(true));
                if (send_nb(c, o) < 0)
                        client_drop(d, i);
                json_object_put(o);
        }
}

static bool same_ns(pid_t pid, const char *ns, struct stat *self)
{
        char p[64];
        struct stat a;

        /* ours never change: looked up once */
        if (self->st_ino == 0) {
                snprintf(p, sizeof(p), "/proc/self/ns/%s", ns);
                if (stat(p, self) < 0)
                        return false;
        }
        snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, ns);
        return stat(p, &a) == 0 && a.st_ino == self->st_ino &&
               a.st_dev == self->st_dev;
}

/* The peer runs in the agent's pid and user namespaces (not inside a
 * container that was handed the socket). */
static bool same_namespaces(pid_t pid)
{
        static struct stat pidns, userns;

        return pid > 0 && same_ns(pid, "pid", &pidns) &&
               same_ns(pid, "user", &userns);
}

/* The pid a pidfd pins, from its fdinfo; -ESRCH once the process is gone
 * (the kernel reports -1 then). */
static int pidfd_pid(int pidfd, pid_t *ret)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        const char *p;
        int pid;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        if (read_full_file(path, &text, NULL) < 0)
                return -EIO;
        p = strstr(text, "\nPid:");
        if (!p || sscanf(p + 5, "%d", &pid) != 1)
                return -EIO;
        if (pid <= 0)
                return -ESRCH;
        *ret = pid;
        return 0;
}

static bool pidfd_alive(int pidfd)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};

        /* readable once the process has exited */
        return poll(&p, 1, 0) == 0;
}

/* The peer, pinned: with SO_PEERPIDFD the checks below name the process
 * that connected, not whatever process got its pid since. -errno: refuse
 * the connection; on a kernel without SO_PEERPIDFD *ret_pidfd is -1 and
 * the pid SO_PEERCRED gave stands. */
static int peer_pin(int fd, const struct ucred *cred, int *ret_pidfd,
                    pid_t *ret_pid)
{
        _cleanup_close_ int pidfd = -EBADF;
        socklen_t len = sizeof(int);
        int v = -1, r;
        pid_t pid;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &v, &len) < 0) {
                if (errno != ENOPROTOOPT)
                        return negative_errno();
                *ret_pidfd = -1;
                *ret_pid = cred->pid;
                return 0;
        }
        pidfd = v;
        r = pidfd_pid(pidfd, &pid);
        if (r < 0)
                return r;
        if (!same_namespaces(pid) || !pidfd_alive(pidfd))
                return -EPERM; /* or it exited under the check */
        *ret_pidfd = TAKE_FD(pidfd);
        *ret_pid = pid;
        return 0;
}

static void refuse_peer(int fd)
{
        /* a socket bind-mounted into a container must not give its root
         * the host's devices */
        static const char msg[] = "{\"error\":\"devpass.PermissionDenied\","
                                  "\"parameters\":{\"message\":\"clients in "
                                  "other namespaces are refused\"}}";

        (void)!send(fd, msg, sizeof(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
        close(fd);
}

int dp_ipc_server_accept(dp_daemon *d)
{
        for (;;) {
                struct ucred cred;
                socklen_t len = sizeof(cred);
                struct epoll_event ev = {.events = EPOLLIN};
                dp_ipc_client *c, **a;
                int fd, pidfd = -1;
                pid_t pid;

                fd = accept4(d->listen_fd, NULL, NULL,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return errno == EAGAIN ? 0 : negative_errno();
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
                    d->n_clients >= DP_IPC_MAX_CLIENTS) {
                        close(fd);
                        continue;
                }
                if (peer_pin(fd, &cred, &pidfd, &pid) < 0 ||
                    (pidfd < 0 && !same_namespaces(pid))) {
                        refuse_peer(fd);
                        continue;
                }
                log_debug("IPC client pid %d uid %u%s", (int)pid,
                          (unsigned)cred.uid,
                          pidfd >= 0 ? ", pinned by SO_PEERPIDFD" : "");
                c = calloc(1, sizeof(*c));
                a = c ? realloc(d->clients, sizeof(*a) * (d->n_clients + 1))
                      : NULL;
                if (!a) {
                        free(c);
                        safe_close(pidfd);
                        close(fd);
                        continue;
                }
                d->clients = a;
                *c = (dp_ipc_client){.fd = fd,
                                     .uid = cred.uid,
                                     .gid = cred.gid,
                                     .pid = pid,
                                     .pidfd = pidfd,
                                     .last = now_sec()};
                ev.data.u64 = DP_EV_MAKE(DP_EV_CLIENT, fd);
                if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        free(c);
                        safe_close(pidfd);
                        close(fd);
                        continue;
                }
                a[d->n_clients++] = c;
        }
}

static const char *param_str(json_object *p, const char *k)
{
        json_object *v;

        if (!json_object_object_get_ex(p, k, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static json_object *status_json(dp_daemon *d)
{
        json_object *o = json_object_new_object();

        json_object_object_add(o, "version",
                               json_object_new_string(DEVPASS_VERSION));
        json_object_object_add(o, "pid", json_object_new_int(getpid()));
        json_object_object_add(
                o, "uevents",
                json_object_new_string(d->monitor_udev ? "udev" : "kernel"));
        json_object_object_add(
                o, "policy_rules",
                json_object_new_int(
                        d->policy ? (int)dp_policy_n_rules(d->policy) : 0));
        json_object_object_add(o, "policy_error",
                               d->policy_error
                                       ? json_object_new_string(d->policy_error)
                                       : NULL);
        json_object_object_add(o, "devices",
                               json_object_new_int((int)d->devices.n));
        json_object_object_add(o, "containers",
                               json_object_new_int((int)d->n_ctrs));
        json_object_object_add(o, "grants",
                               json_object_new_int((int)d->engine->ledger->n));
        json_object_object_add(o, "events",
                               json_object_new_int64((int64_t)d->n_events));
        {
                int m = 0;

                for (size_t i = 0; i < d->n_clients; i++)
                        m += d->clients[i]->monitor;
                json_object_object_add(o, "monitors", json_object_new_int(m));
        }
        json_object_object_add(o, "resyncs",
                               json_object_new_int64((int64_t)d->n_resyncs));
        return o;
}

/* The request's device and container as the agent knows them; what it does
 * not know is resolved by dp_manual_*() themselves. */
static void refs_lookup(dp_daemon *d, dp_manual_refs *refs, dp_device **ret_dev)
{
        refs->c = dp_daemon_lookup_container(d, refs->container);
        if (dp_daemon_lookup_device(d, refs->device, ret_dev) < 0 &&
            dp_hw_resolve(d->hw, refs->device, ret_dev) < 0)
                *ret_dev = NULL;
        refs->d = *ret_dev;
        refs->policy = d->policy;
        refs->policy_error = d->policy ? NULL : d->policy_error;
}

/* A NIC leaves the host's device list when it moves: remember it, as the
 * policy path does, or the next reconcile takes it for unplugged. */
static void track_moved_nic(dp_daemon *d, json_object *g)
{
        const char *syspath =
                json_object_get_string(json_object_object_get(g, "device"));
        const dp_device *dev;
        dp_device *copy;

        if (!json_object_get_string(json_object_object_get(g, "netdev")) ||
            !syspath || dp_device_list_find(&d->moved, syspath))
                return;
        dev = dp_device_list_find(&d->devices, syspath);
        copy = dev ? dp_device_copy(dev) : NULL;
        if (copy && dp_device_list_push(&d->moved, copy) < 0)
                dp_device_free(copy);
}

/* Reads or stops reading the client's requests (while one is parked). */
static void client_listen(dp_daemon *d, dp_ipc_client *c, bool on)
{
        struct epoll_event ev = {.events = on ? EPOLLIN : 0,
                                 .data.u64 = DP_EV_MAKE(DP_EV_CLIENT, c->fd)};

        (void)epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Only a runtime knows the container: the request waits for a lookup off
 * the loop (bounded by its deadline) while everything else goes on. */
static int park_attach(dp_daemon *d, dp_ipc_client *c, json_object *p,
                       const char *ref)
{
        char *const refs[] = {(char *)ref, NULL};
        int r = dp_rtlookup_start(d, DP_RTLOOKUP_ATTACH, refs, &c->lookup);

        if (r == -EBUSY)
                return reply_error(c, "devpass.Failed",
                                   "too many container runtime lookups in "
                                   "progress; try again");
        if (r < 0)
                return reply_error(c, "devpass.Failed", strerror(-r));
        c->parked = json_object_get(p);
        client_listen(d, c, false);
        return 0;
}

static bool ref_is_local(const char *ref)
{
        return startswith(ref, "pid:") || startswith(ref, "cgroup:");
}

static int handle_attach(dp_daemon *d, dp_ipc_client *c, json_object *p)
{
        dp_manual_refs refs = {.container = param_str(p, "container"),
                               .device = param_str(p, "device")};
        _cleanup_device_free_ dp_device *dev = NULL;
        _cleanup_free_ char *err = NULL;
        json_object *g = NULL, *res;
        dp_grant_opts o;
        int r;

        if (!refs.container || !refs.device)
                return reply_error(c, "devpass.InvalidParameter",
                                   "container and device are required strings");
        r = dp_grant_opts_from_json(p, &o, &err);
        if (r < 0)
                return reply_error(c, "devpass.InvalidParameter", err);
        refs_lookup(d, &refs, &dev);
        if (dev && dp_manual_check_policy(&refs, dev, &err) < 0) {
                d->stats.refusals[DP_REASON_DENIED]++;
                return reply_error(c, "devpass.Denied", err);
        }
        if (!refs.c && !ref_is_local(refs.container)) {
                char msg[512];

                if (!c->parked)
                        return park_attach(d, c, p, refs.container);
                if (!c->resolved) {
                        snprintf(msg, sizeof(msg), "%s: %s", refs.container,
                                 dp_container_strerror(c->resolved_r));
                        return reply_error(c, "devpass.Failed", msg);
                }
                refs.c = c->resolved;
        }
        o.source = "manual";
        r = dp_manual_attach(d->engine, d->hw, &refs, &o, &g, &err);
        if (r == -EPERM) {
                d->stats.refusals[DP_REASON_DENIED]++;
                return reply_error(c, "devpass.Denied", err);
        }
        if (r < 0) {
                d->stats.refusals[DP_REASON_FAILED]++;
                dp_daemon_emit(d, "error", "manual attach %s to %s: %s",
                               refs.device, refs.container, strna(err));
                return reply_error(c, "devpass.Failed",
                                   err ? err : strerror(-r));
        }
        d->stats.grants_manual++;
        dp_daemon_emit(d, "grant", "grant %s to %s: manual", refs.device,
                       refs.container);
        track_moved_nic(d, g);
        /* track the container so that its stop revokes the grant */
        if (c->resolved && refs.c == c->resolved)
                dp_registry_adopt(d, TAKE_PTR(c->resolved));
        else if (!dp_registry_find(
                         d, json_object_get_string(
                                    json_object_object_get(g, "container"))))
                (void)dp_registry_rescan(d);
        res = json_object_new_object();
        json_object_object_add(res, "grant", g);
        return reply(c, res);
}

static const dp_container *tracked_container(void *userdata, const char *ref)
{
        return dp_daemon_lookup_container(userdata, ref);
}

static int handle_detach(dp_daemon *d, dp_ipc_client *c, json_object *p)
{
        dp_manual_refs refs = {.container = param_str(p, "container"),
                               .device = param_str(p, "device")};
        _cleanup_device_free_ dp_device *dev = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        if (!refs.container || !refs.device)
                return reply_error(c, "devpass.InvalidParameter",
                                   "container and device are required strings");
        /* a device already gone is found in the ledger by its names; every
         * container with a grant is tracked, so no runtime is asked */
        refs.c = dp_daemon_lookup_container(d, refs.container);
        refs.tracked = tracked_container;
        refs.userdata = d;
        /* the rule that would grant the device: a detach holds against it */
        refs.policy = d->policy;
        if (dp_daemon_lookup_device(d, refs.device, &dev) >= 0)
                refs.d = dev;
        r = dp_manual_detach(d->engine, d->hw, &refs, &err);
        if (r < 0)
                return reply_error(c, "devpass.Failed",
                                   err ? err : strerror(-r));
        d->stats.revokes[DP_REASON_MANUAL]++;
        dp_daemon_emit(d, "revoke", "revoke %s from %s: manual detach",
                       refs.device, refs.container);
        return reply(c, NULL);
}

static int handle(dp_daemon *d, dp_ipc_client *c, json_object *req)
{
        const char *method = param_str(req, "method");
        json_object *p = NULL, *res = NULL;
        _cleanup_free_ char *err = NULL;
        bool writer;
        int r;

        if (!method)
                return reply_error(c, "devpass.InvalidParameter",
                                   "method is missing");
        if (json_object_object_get_ex(req, "parameters", &p) && p &&
            !json_object_is_type(p, json_type_object))
                return reply_error(c, "devpass.InvalidParameter",
                                   "parameters must be an object");
        writer = streq(method, "devpass.Attach") ||
                 streq(method, "devpass.Detach") ||
                 streq(method, "devpass.Reload");
        if (c->uid != 0 && (writer || d->cfg.read_group < 0 ||
                            c->gid != (gid_t)d->cfg.read_group)) {
                log_info("%s refused: client pid %d uid %u is not root", method,
                         (int)c->pid, (unsigned)c->uid);
                return reply_error(c, "devpass.PermissionDenied",
                                   "permission denied");
        }
        if (writer)
                log_info("%s from pid %d%s uid %u", method, (int)c->pid,
                         c->pidfd < 0            ? ""
                         : pidfd_alive(c->pidfd) ? " (pidfd-pinned)"
                                                 : " (exited)",
                         (unsigned)c->uid);
        if (streq(method, "devpass.Attach"))
                return handle_attach(d, c, p);
        if (streq(method, "devpass.Detach"))
                return handle_detach(d, c, p);
        if (streq(method, "devpass.List")) {
                json_object *a;

                r = dp_list_json(d->engine, &a);
                if (r < 0)
                        return reply_error(c, "devpass.Failed",
                                           "out of memory");
                res = json_object_new_object();
                json_object_object_add(res, "grants", a);
                return reply(c, res);
        }
        if (streq(method, "devpass.Status"))
                return reply(c, status_json(d));
        if (streq(method, "devpass.Explain")) {
                const char *dev = param_str(p, "device");

                if (!dev)
                        return reply_error(c, "devpass.InvalidParameter",
                                           "device is a required string");
                {
                        _cleanup_strv_free_ char **running = NULL;

                        /* what the agent tracks: the policy's pid: and
                         * cgroup: targets and what the runtimes listed at
                         * the last rescan (no runtime is asked here) */
                        for (size_t i = 0; i < d->n_ctrs; i++)
                                (void)strv_extend(&running, d->ctrs[i].c->ref);
                        if (!running)
                                running = calloc(1, sizeof(char *));
                        r = running ? dp_explain_json(d->hw, d->policy, dev,
                                                      running, &res, &err)
                                    : -ENOMEM;
                }
                if (r < 0)
                        return reply_error(c, "devpass.Failed",
                                           err ? err : strerror(-r));
                return reply(c, res);
        }
        if (streq(method, "devpass.Reload")) {
                r = dp_daemon_reload(d, &err);
                if (r < 0)
                        return reply_error(c, "devpass.PolicyError",
                                           err ? err : strerror(-r));
                (void)dp_registry_rescan(d);
                (void)dp_reconcile(d, NULL, NULL);
                res = json_object_new_object();
                json_object_object_add(
                        res, "rules",
                        json_object_new_int((int)dp_policy_n_rules(d->policy)));
                return reply(c, res);
        }
        if (streq(method, "devpass.Monitor")) {
                c->monitor = true;
                return 0;
        }
        return reply_error(c, "devpass.MethodNotFound", "unknown method");
}

static ssize_t client_index(const dp_daemon *d, const dp_ipc_client *c)
{
        for (size_t i = 0; i < d->n_clients; i++)
                if (d->clients[i] == c)
                        return (ssize_t)i;
        return -1;
}

/* Handles the whole requests in c's buffer, up to one that is parked.
 * -ESRCH when c is gone (dropped). */
static int client_process(dp_daemon *d, dp_ipc_client *c)
{
        char *end;

        while (!c->parked && (end = memchr(c->buf, 0, c->len))) {
                size_t used = (size_t)(end - c->buf) + 1;
                json_object *req = json_tokener_parse(c->buf);
                ssize_t i;
                int r;

                if (!req || !json_object_is_type(req, json_type_object))
                        r = reply_error(c, "devpass.InvalidMessage",
                                        "request is not a JSON object");
                else
                        r = handle(d, c, req);
                json_object_put(req);
                /* handling may have dropped or moved clients (a broadcast
                 * to a dead monitor): find it again */
                i = client_index(d, c);
                if (i < 0)
                        return -ESRCH;
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
                if (r < 0) {
                        client_drop(d, (size_t)i);
                        return -ESRCH;
                }
        }
        return 0;
}

int dp_ipc_client_event(dp_daemon *d, int fd, uint32_t events)
{
        ssize_t i = -1;
        dp_ipc_client *c = NULL;

        for (size_t k = 0; k < d->n_clients; k++)
                if (d->clients[k]->fd == fd) {
                        c = d->clients[k];
                        i = (ssize_t)k;
                        break;
                }
        if (!c)
                return 0;
        if (c->parked) {
                /* not read while its attach waits; a hang-up ends it */
                if (events & (EPOLLHUP | EPOLLERR))
                        client_drop(d, (size_t)i);
                return 0;
        }
        for (;;) {
                ssize_t n = recv(fd, c->buf + c->len,
                                 DP_IPC_MAX_MESSAGE - c->len, MSG_DONTWAIT);

                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0) {
                        client_drop(d, (size_t)i);
                        return 0;
                }
                c->len += (size_t)n;
                c->last = now_sec();
                if (client_process(d, c) < 0 || c->parked)
                        return 0;
                i = client_index(d, c);
                if (c->len >= DP_IPC_MAX_MESSAGE) {
                        (void)reply_error(c, "devpass.MessageTooLarge",
                                          "request exceeds 64 KiB");
                        client_drop(d, (size_t)i);
                        return 0;
                }
        }
}

void dp_ipc_lookup_done(dp_daemon *d, unsigned id, int r, dp_container *ctr)
{
        dp_ipc_client *c = NULL;
        json_object *p;
        int k;

        for (size_t i = 0; i < d->n_clients; i++)
                if (d->clients[i]->parked && d->clients[i]->lookup == id)
                        c = d->clients[i];
        if (!c) {
                dp_container_free(ctr); /* the client went away */
                return;
        }
        c->resolved = ctr;
        c->resolved_r = r < 0 ? r : -EIO;
        /* handling may drop the client (and its reference) */
        p = json_object_get(c->parked);
        k = handle_attach(d, c, p);
        json_object_put(p);
        if (client_index(d, c) < 0)
                return;
        c->parked = (json_object_put(c->parked), NULL);
        c->lookup = 0;
        c->resolved = (dp_container_free(c->resolved), NULL);
        c->last = now_sec();
        if (k < 0) {
                client_drop(d, (size_t)client_index(d, c));
                return;
        }
        client_listen(d, c, true);
        /* requests that came behind the parked one */
        (void)client_process(d, c);
}

void dp_ipc_expire_idle(dp_daemon *d)
{
        time_t now = now_sec();

        for (size_t i = d->n_clients; i-- > 0;)
                if (!d->clients[i]->monitor && !d->clients[i]->parked &&
                    now - d->clients[i]->last > DP_IPC_IDLE_SEC)
                        client_drop(d, i);
}
