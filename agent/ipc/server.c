/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>

#include "core/rtlookup.h"
#include "core/audit.h"
#include "core/lease.h"
#include "core/service.h"
#include "devpass/log.h"
#include "devpass/protocol.h"
#include "devpass/runtime.h"
#include "ipc/server.h"

/* The agent side of the IPC protocol (see devpass/protocol.h). Clients are
 * non-blocking and never block the loop: a request is handled once its NUL
 * arrives, an oversize or malformed one is answered with an error and the
 * connection closed, and a client that sends nothing is dropped. */

#define DP_IPC_MAX_CLIENTS 1024
#define DP_IPC_IDLE_SEC    10

typedef struct dp_ipc_client {
        dp_ipc_server *server;
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
} dp_ipc_client;

struct dp_ipc_server {
        dp_daemon *d;
        int listen_fd, timer_fd;
        dp_ipc_client **clients;
        size_t n_clients;
};

/* One method: its handler, or the core service that answers it. */
typedef int (*service_fn)(dp_service *svc, json_object *params,
                          json_object **ret, dp_service_error *e);
typedef struct method {
        const char *name;
        int (*handler)(dp_ipc_client *c, json_object *params);
        service_fn service;
        bool needs_write; /* root only; else --read-group may call it */
} method;

static time_t now_sec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

static void client_drop(dp_ipc_server *s, size_t i)
{
        dp_ipc_client *c = s->clients[i];

        dp_loop_del_fd(s->d->loop, c->fd);
        safe_close(c->fd);
        safe_close(c->pidfd);
        json_object_put(c->parked);
        dp_container_free(c->resolved);
        free(c);
        s->clients[i] = s->clients[--s->n_clients];
        s->d->stats.ipc_clients = s->n_clients;
}

static ssize_t client_index(const dp_ipc_server *s, const dp_ipc_client *c)
{
        for (size_t i = 0; i < s->n_clients; i++)
                if (s->clients[i] == c)
                        return (ssize_t)i;
        return -1;
}

static int send_nb(int fd, json_object *o)
{
        const char *s = json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        size_t n = strlen(s) + 1;
        ssize_t w;

        /* a client that does not read its replies is dropped, never
         * waited for */
        w = send(fd, s, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0)
                return negative_errno();
        return (size_t)w == n ? 0 : -EAGAIN;
}

static int reply_error_fd(int fd, const char *error, const char *msg)
{
        json_object *o = json_object_new_object(),
                    *p = json_object_new_object();
        int r;

        json_object_object_add(o, "error", json_object_new_string(error));
        json_object_object_add(p, "message", json_object_new_string(msg));
        json_object_object_add(o, "parameters", p);
        r = send_nb(fd, o);
        json_object_put(o);
        return r;
}

static int reply_error(dp_ipc_client *c, const char *error, const char *msg)
{
        return reply_error_fd(c->fd, error, msg);
}

static int reply(dp_ipc_client *c, json_object *params)
{
        json_object *o = json_object_new_object();
        int r;

        json_object_object_add(o, "parameters",
                               params ? params : json_object_new_object());
        r = send_nb(c->fd, o);
        json_object_put(o);
        return r;
}

/* The daemon's subscriber: each event to every monitor client. */
static void on_event(void *data, const char *event, const char *text)
{
        dp_ipc_server *s = data;
        json_object *o = NULL, *p;

        for (size_t i = s->n_clients; i-- > 0;) {
                dp_ipc_client *c = s->clients[i];

                if (!c->monitor)
                        continue;
                if (!o) {
                        o = json_object_new_object();
                        p = json_object_new_object();
                        if (!o || !p) {
                                json_object_put(o);
                                json_object_put(p);
                                return;
                        }
                        json_object_object_add(p, "event",
                                               json_object_new_string(event));
                        json_object_object_add(p, "text",
                                               json_object_new_string(text));
                        json_object_object_add(o, "parameters", p);
                        json_object_object_add(o, "continues",
                                               json_object_new_boolean(true));
                }
                if (send_nb(c->fd, o) < 0)
                        client_drop(s, i);
        }
        json_object_put(o);
}

/* Answers a service call: its result, or its error. */
static int reply_service(dp_ipc_client *c, int r, json_object *res,
                         dp_service_error *e)
{
        int k;

        if (r >= 0)
                return reply(c, res);
        k = reply_error(c, e->name ? e->name : DP_IPC_ERROR_FAILED,
                        e->message ? e->message : strerror(-r));
        dp_service_error_clear(e);
        return k;
}

/* Reads or stops reading the client's requests (while one is parked). */
static void client_listen(dp_ipc_client *c, bool on)
{
        (void)dp_loop_mod_fd(c->server->d->loop, c->fd, on ? EPOLLIN : 0);
}

static void lookup_done(void *data, unsigned id, int r, dp_container *ctr);

/* Only a runtime knows the container: the request waits for a lookup off
 * the loop (bounded by its deadline) while everything else goes on. */
static int park_attach(dp_ipc_client *c, json_object *p)
{
        json_object *ref = json_object_object_get(p, "container");
        char *const refs[] = {(char *)json_object_get_string(ref), NULL};
        int r = dp_rtlookup_start(c->server->d, DP_RTLOOKUP_ATTACH, refs,
                                  lookup_done, c->server, &c->lookup);

        if (r == -EBUSY)
                return reply_error(c, DP_IPC_ERROR_FAILED,
                                   "too many container runtime lookups in "
                                   "progress; try again");
        if (r < 0)
                return reply_error(c, DP_IPC_ERROR_FAILED, strerror(-r));
        c->parked = json_object_get(p);
        client_listen(c, false);
        return 0;
}

/* The verbs' context, with the peer as the requester of the audit trail. */
static void client_service(dp_ipc_client *c, dp_service *svc)
{
        dp_daemon_service(c->server->d, svc);
        svc->has_requester = true;
        svc->requester_uid = c->uid;
        svc->requester_pid = c->pid;
}

static int m_attach(dp_ipc_client *c, json_object *p)
{
        dp_service_error e = {};
        json_object *res = NULL;
        dp_service svc;
        int r;

        client_service(c, &svc);
        r = dp_service_attach(&svc, p, c->parked ? &c->resolved : NULL,
                              c->resolved_r, &res, &e);
        if (r == -EINPROGRESS)
                return park_attach(c, p);
        return reply_service(c, r, res, &e);
}

static int m_status(dp_ipc_client *c, json_object *p)
{
        dp_ipc_server *s = c->server;
        dp_service_error e = {};
        json_object *res = NULL;
        dp_service svc;
        int r, m = 0;

        dp_daemon_service(s->d, &svc);
        r = dp_service_status(&svc, p, &res, &e);
        if (r >= 0) {
                for (size_t i = 0; i < s->n_clients; i++)
                        m += s->clients[i]->monitor;
                json_object_object_add(res, "monitors", json_object_new_int(m));
        }
        return reply_service(c, r, res, &e);
}

static int m_monitor(dp_ipc_client *c, json_object *p)
{
        (void)p;
        c->monitor = true;
        return 0;
}

static const method methods[] = {
        {"devpass.Attach", .handler = m_attach, .needs_write = true},
        {"devpass.Detach", .service = dp_service_detach, .needs_write = true},
        {"devpass.Renew", .service = dp_service_renew, .needs_write = true},
        {"devpass.Reload", .service = dp_service_reload, .needs_write = true},
        {"devpass.List", .service = dp_service_list},
        {"devpass.Explain", .service = dp_service_explain},
        {"devpass.Status", .handler = m_status},
        {"devpass.Monitor", .handler = m_monitor},
};

static const method *method_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (streq(methods[i].name, name))
                        return &methods[i];
        return NULL;
}

static bool allowed(const dp_ipc_server *s, const dp_ipc_client *c,
                    const method *m)
{
        int64_t rg = s->d->cfg.read_group;

        /* an unknown method is refused like a writer to non-root peers */
        return c->uid == 0 ||
               (m && !m->needs_write && rg >= 0 && c->gid == (gid_t)rg);
}

static void audit_denied(dp_ipc_client *c, const char *name, json_object *p)
{
        _cleanup_free_ char *msg = NULL;

        if (asprintf(&msg, "%s refused: uid %u is not root", name,
                     (unsigned)c->uid) < 0)
                return;
        dp_audit(DP_AUDIT_REFUSAL,
                 &(dp_audit_fields){.message = msg,
                                    .container =
                                            dp_ipc_param_string(p, "container"),
                                    .device = dp_ipc_param_string(p, "device"),
                                    .request = name,
                                    .result = "permission denied",
                                    .has_requester = true,
                                    .uid = c->uid,
                                    .pid = c->pid});
}

static int handle(dp_ipc_client *c, json_object *req)
{
        const char *name = dp_ipc_param_string(req, "method");
        json_object *p = NULL, *res = NULL;
        dp_service_error e = {};
        const method *m;
        dp_service svc;
        int r;

        if (!name)
                return reply_error(c, DP_IPC_ERROR_INVALID_PARAMETER,
                                   "method is missing");
        if (json_object_object_get_ex(req, "parameters", &p) && p &&
            !json_object_is_type(p, json_type_object))
                return reply_error(c, DP_IPC_ERROR_INVALID_PARAMETER,
                                   "parameters must be an object");
        m = method_find(name);
        if (!allowed(c->server, c, m)) {
                log_info("%s refused: client pid %d uid %u is not root", name,
                         (int)c->pid, (unsigned)c->uid);
                audit_denied(c, name, p);
                return reply_error(c, DP_IPC_ERROR_PERMISSION_DENIED,
                                   "permission denied");
        }
        if (!m)
                return reply_error(c, DP_IPC_ERROR_METHOD_NOT_FOUND,
                                   "unknown method");
        if (m->needs_write)
                log_info("%s from pid %d%s uid %u", name, (int)c->pid,
                         c->pidfd < 0                   ? ""
                         : dp_ipc_pidfd_alive(c->pidfd) ? " (pidfd-pinned)"
                                                        : " (exited)",
                         (unsigned)c->uid);
        if (m->handler)
                return m->handler(c, p);
        client_service(c, &svc);
        r = m->service(&svc, p, &res, &e);
        return reply_service(c, r, res, &e);
}

/* Handles the whole requests in c's buffer, up to one that is parked.
 * -ESRCH when c is gone (dropped). */
static int client_process(dp_ipc_client *c)
{
        dp_ipc_server *s = c->server;
        char *end;

        while (!c->parked && (end = memchr(c->buf, 0, c->len))) {
                size_t used = (size_t)(end - c->buf) + 1;
                json_object *req = json_tokener_parse(c->buf);
                ssize_t i;
                int r;

                if (!req || !json_object_is_type(req, json_type_object))
                        r = reply_error(c, DP_IPC_ERROR_INVALID_MESSAGE,
                                        "request is not a JSON object");
                else
                        r = handle(c, req);
                json_object_put(req);
                /* handling may have dropped or moved clients (an event
                 * sent to a dead monitor): find it again */
                i = client_index(s, c);
                if (i < 0)
                        return -ESRCH;
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
                if (r < 0) {
                        client_drop(s, (size_t)i);
                        return -ESRCH;
                }
        }
        return 0;
}

static void on_client(void *data, int fd, uint32_t events)
{
        dp_ipc_client *c = data;
        dp_ipc_server *s = c->server;

        if (c->parked) {
                /* not read while its attach waits; a hang-up ends it */
                if (events & (EPOLLHUP | EPOLLERR))
                        client_drop(s, (size_t)client_index(s, c));
                return;
        }
        for (;;) {
                ssize_t n = recv(fd, c->buf + c->len,
                                 DP_IPC_MAX_MESSAGE - c->len, MSG_DONTWAIT);

                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        client_drop(s, (size_t)client_index(s, c));
                        return;
                }
                c->len += (size_t)n;
                c->last = now_sec();
                if (client_process(c) < 0 || c->parked)
                        return;
                if (c->len >= DP_IPC_MAX_MESSAGE) {
                        (void)reply_error(c, DP_IPC_ERROR_MESSAGE_TOO_LARGE,
                                          "request exceeds 64 KiB");
                        client_drop(s, (size_t)client_index(s, c));
                        return;
                }
        }
}

static void lookup_done(void *data, unsigned id, int r, dp_container *ctr)
{
        dp_ipc_server *s = data;
        dp_ipc_client *c = NULL;
        json_object *p;
        int k;

        for (size_t i = 0; i < s->n_clients; i++)
                if (s->clients[i]->parked && s->clients[i]->lookup == id)
                        c = s->clients[i];
        if (!c) {
                dp_container_free(ctr); /* the client went away */
                return;
        }
        c->resolved = ctr;
        c->resolved_r = r < 0 ? r : -EIO;
        /* handling may drop the client (and its reference) */
        p = json_object_get(c->parked);
        k = m_attach(c, p);
        json_object_put(p);
        if (client_index(s, c) < 0)
                return;
        c->parked = (json_object_put(c->parked), NULL);
        c->lookup = 0;
        c->resolved = (dp_container_free(c->resolved), NULL);
        c->last = now_sec();
        if (k < 0) {
                client_drop(s, (size_t)client_index(s, c));
                return;
        }
        client_listen(c, true);
        /* requests that came behind the parked one */
        (void)client_process(c);
}

static void refuse_peer(int fd)
{
        /* a socket bind-mounted into a container must not give its root
         * the host's devices */
        (void)reply_error_fd(fd, DP_IPC_ERROR_PERMISSION_DENIED,
                             "clients in other namespaces are refused");
        close(fd);
}

static int client_add(dp_ipc_server *s, int fd, const struct ucred *cred,
                      int pidfd, pid_t pid)
{
        dp_ipc_client *c = calloc(1, sizeof(*c)), **a;
        int r;

        a = c ? reallocarray(s->clients, s->n_clients + 1, sizeof(*a)) : NULL;
        if (!a) {
                free(c);
                return -ENOMEM;
        }
        s->clients = a;
        *c = (dp_ipc_client){.server = s,
                             .fd = fd,
                             .uid = cred->uid,
                             .gid = cred->gid,
                             .pid = pid,
                             .pidfd = pidfd,
                             .last = now_sec()};
        r = dp_loop_add_fd(s->d->loop, fd, EPOLLIN, on_client, c);
        if (r < 0) {
                free(c);
                return r;
        }
        a[s->n_clients++] = c;
        s->d->stats.ipc_clients = s->n_clients;
        return 0;
}

static void on_listen(void *data, int lfd, uint32_t events)
{
        dp_ipc_server *s = data;

        (void)events;
        for (;;) {
                struct ucred cred;
                socklen_t len = sizeof(cred);
                int fd, pidfd = -1;
                pid_t pid;

                fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
                    s->n_clients >= DP_IPC_MAX_CLIENTS) {
                        close(fd);
                        continue;
                }
                if (dp_ipc_peer_pin(fd, &cred, &pidfd, &pid) < 0 ||
                    (pidfd < 0 && !dp_ipc_same_namespaces(pid))) {
                        refuse_peer(fd);
                        continue;
                }
                log_debug("IPC client pid %d uid %u%s", (int)pid,
                          (unsigned)cred.uid,
                          pidfd >= 0 ? ", pinned by SO_PEERPIDFD" : "");
                if (client_add(s, fd, &cred, pidfd, pid) < 0) {
                        safe_close(pidfd);
                        close(fd);
                }
        }
}

/* Once a second: drop the clients that sent nothing for too long. */
static void on_timer(void *data, int fd, uint32_t events)
{
        dp_ipc_server *s = data;
        time_t now = now_sec();
        uint64_t ticks;

        (void)events;
        (void)!read(fd, &ticks, sizeof(ticks));
        for (size_t i = s->n_clients; i-- > 0;)
                if (!s->clients[i]->monitor && !s->clients[i]->parked &&
                    now - s->clients[i]->last > DP_IPC_IDLE_SEC)
                        client_drop(s, i);
}

static int socket_open(const dp_daemon_config *cfg, int *ret_fd)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        const char *path = cfg->socket_path;
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
        old = umask(cfg->read_group >= 0 ? 0117 : 0177);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int r = negative_errno();

                umask(old);
                return log_error_errno(r, "Cannot bind %s: %m", path);
        }
        umask(old);
        if (cfg->read_group >= 0 && chown(path, 0, (gid_t)cfg->read_group) < 0)
                log_warning_errno(negative_errno(), "chown %s: %m", path);
        if (listen(fd, 128) < 0)
                return log_error_errno(negative_errno(), "listen: %m");
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int dp_ipc_server_new(dp_daemon *d, dp_ipc_server **ret)
{
        struct itimerspec t = {.it_value = {.tv_sec = 1},
                               .it_interval = {.tv_sec = 1}};
        dp_ipc_server *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        *s = (dp_ipc_server){.d = d, .listen_fd = -EBADF, .timer_fd = -EBADF};
        r = socket_open(&d->cfg, &s->listen_fd);
        if (r < 0)
                goto fail;
        s->timer_fd =
                timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (s->timer_fd < 0 || timerfd_settime(s->timer_fd, 0, &t, NULL) < 0) {
                r = negative_errno();
                goto fail;
        }
        if ((r = dp_loop_add_fd(d->loop, s->listen_fd, EPOLLIN, on_listen, s)) <
                    0 ||
            (r = dp_loop_add_fd(d->loop, s->timer_fd, EPOLLIN, on_timer, s)) <
                    0 ||
            (r = dp_daemon_subscribe(d, on_event, s)) < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        dp_ipc_server_free(s);
        return r;
}

void dp_ipc_server_free(dp_ipc_server *s)
{
        if (!s)
                return;
        dp_daemon_unsubscribe(s->d, on_event, s);
        while (s->n_clients > 0)
                client_drop(s, s->n_clients - 1);
        free(s->clients);
        dp_loop_del_fd(s->d->loop, s->timer_fd);
        safe_close(s->timer_fd);
        if (s->listen_fd >= 0) {
                dp_loop_del_fd(s->d->loop, s->listen_fd);
                safe_close(s->listen_fd);
                unlink(s->d->cfg.socket_path);
        }
        free(s);
}
