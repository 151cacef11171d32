/* SPDX-License-Identifier: MIT */
/* The opt-in metrics endpoint (--metrics-listen): GET /metrics over HTTP,
 * served by libmicrohttpd inside devpassd's own loop (MHD's epoll fd is one
 * more source, so no thread ever sees the counters change under it).
 * Loopback unless the operator names another address; a unix socket is
 * root's (0600, or 0660 for --read-group). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/daemon.h"
#include "devpass/log.h"
#include "metrics-http.h"

struct dp_metrics_http {
        dp_daemon *d;
        struct MHD_Daemon *mhd;
        int mhd_fd;   /* MHD's epoll fd, a source of our loop */
        int timer_fd; /* MHD's connection timeouts */
        char *unix_path;
};

/* libmicrohttpd (and the TLS stack it links) is loaded only when metrics
 * are asked for: linked in, it would cost every devpassd ~2.5 MiB of RSS.
 * By soname, from the system's library path. */
static struct {
        void *dl;
        __typeof__(MHD_start_daemon) *start_daemon;
        __typeof__(MHD_stop_daemon) *stop_daemon;
        __typeof__(MHD_run) *run;
        __typeof__(MHD_get_daemon_info) *get_daemon_info;
        __typeof__(MHD_create_response_from_buffer)
                *create_response_from_buffer;
        __typeof__(MHD_add_response_header) *add_response_header;
        __typeof__(MHD_queue_response) *queue_response;
        __typeof__(MHD_destroy_response) *destroy_response;
        __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
} mhd;

#define MHD_SYM(f) \
        ((mhd.f = (__typeof__(mhd.f))dlsym(mhd.dl, "MHD_" #f)) != NULL)

static int mhd_load(void)
{
        if (mhd.run)
                return 0;
        mhd.dl = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
        if (!mhd.dl)
                return log_error_errno(
                        -ELIBACC, "Cannot load libmicrohttpd: %s", dlerror());
        if (!MHD_SYM(start_daemon) || !MHD_SYM(stop_daemon) ||
            !MHD_SYM(get_daemon_info) ||
            !MHD_SYM(create_response_from_buffer) ||
            !MHD_SYM(add_response_header) || !MHD_SYM(queue_response) ||
            !MHD_SYM(destroy_response) || !MHD_SYM(lookup_connection_value) ||
            !MHD_SYM(run)) {
                log_error("libmicrohttpd lacks a function devpassd uses");
                dlclose(mhd.dl);
                mhd = (__typeof__(mhd)){};
                return -ELIBBAD;
        }
        return 0;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **req)
{
        dp_metrics_http *m = cls;
        const char *accept;
        char *buf = NULL;
        size_t len = 0;
        struct MHD_Response *resp;
        enum MHD_Result ret;
        bool om;
        FILE *f;

        (void)version, (void)upload, (void)req;
        if (*upload_size)
                return MHD_NO; /* a GET has no body */
        if (!streq(method, "GET") && !streq(method, "HEAD"))
                return MHD_NO;
        if (!streq(url, "/metrics")) {
                static const char nf[] = "not found: try /metrics\n";

                resp = mhd.create_response_from_buffer(strlen(nf), (void *)nf,
                                                       MHD_RESPMEM_PERSISTENT);
                ret = mhd.queue_response(conn, MHD_HTTP_NOT_FOUND, resp);
                mhd.destroy_response(resp);
                return ret;
        }
        accept = mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
                                             MHD_HTTP_HEADER_ACCEPT);
        om = accept && strstr(accept, "application/openmetrics-text");
        f = open_memstream(&buf, &len);
        if (!f)
                return MHD_NO;
        if (dp_stats_format(m->d, om, f) < 0) {
                fclose(f);
                free(buf);
                return MHD_NO;
        }
        fclose(f);
        resp = mhd.create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(buf);
                return MHD_NO;
        }
        mhd.add_response_header(
                resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                om ? "application/openmetrics-text; version=1.0.0; "
                     "charset=utf-8"
                   : "text/plain; version=0.0.4; charset=utf-8");
        ret = mhd.queue_response(conn, MHD_HTTP_OK, resp);
        mhd.destroy_response(resp);
        return ret;
}

/* "unix:/PATH" or "/PATH"; else "[ADDR]:PORT", "ADDR:PORT" or "PORT"
 * (loopback). */
static int listen_socket(dp_metrics_http *m, const char *spec, gid_t gid,
                         int *ret_fd)
{
        _cleanup_free_ char *host = NULL;
        const char *port, *colon, *path = NULL;
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_NUMERICSERV | AI_PASSIVE},
                        *ai = NULL;
        int fd, one = 1, r;

        if (startswith(spec, "unix:"))
                path = spec + 5;
        else if (spec[0] == '/')
                path = spec;
        if (path) {
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                mode_t old;

                if (strlen(path) >= sizeof(sa.sun_path) || path[0] != '/')
                        return -EINVAL;
                strcpy(sa.sun_path, path);
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return negative_errno();
                (void)unlink(path);
                old = umask(0177);
                r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
                umask(old);
                if (r < 0 || (gid != (gid_t)-1 && (chown(path, 0, gid) < 0 ||
                                                   chmod(path, 0660) < 0))) {
                        r = negative_errno();
                        close(fd);
                        return r;
                }
                m->unix_path = strdup(path);
                goto listen;
        }
        colon = strrchr(spec, ':');
        if (colon) {
                const char *h = spec;
                size_t n = (size_t)(colon - spec);

                if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
                        h++, n -= 2;
                host = strndup(h, n);
                if (!host)
                        return -ENOMEM;
                port = colon + 1;
        } else {
                host = strdup("127.0.0.1");
                if (!host)
                        return -ENOMEM;
                port = spec;
        }
        if (!*port || strspn(port, "0123456789") != strlen(port))
                return -EINVAL;
        if (getaddrinfo(*host ? host : NULL, port, &hints, &ai) != 0 || !ai)
                return -EADDRNOTAVAIL;
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                r = negative_errno();
                freeaddrinfo(ai);
                return r;
        }
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        r = bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ? negative_errno() : 0;
        freeaddrinfo(ai);
        if (r < 0) {
                close(fd);
                return r;
        }
listen:
        if (listen(fd, 16) < 0) {
                r = negative_errno();
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

static void run(void *data, int fd, uint32_t events)
{
        dp_metrics_http *m = data;
        uint64_t ticks;

        (void)events;
        if (fd == m->timer_fd)
                (void)!read(fd, &ticks, sizeof(ticks));
        (void)mhd.run(m->mhd);
}

int dp_metrics_http_open(dp_daemon *d, const char *spec, int64_t read_group,
                         dp_metrics_http **ret)
{
        _cleanup_free_ dp_metrics_http *m = calloc(1, sizeof(*m));
        const union MHD_DaemonInfo *info;
        /* a beat for MHD's idle-connection timeouts */
        const struct itimerspec tick = {.it_value = {.tv_sec = 1},
                                        .it_interval = {.tv_sec = 1}};
        int fd = -EBADF, r;

        if (!m)
                return -ENOMEM;
        r = mhd_load();
        if (r < 0)
                return r;
        m->d = d;
        m->mhd_fd = m->timer_fd = -EBADF;
        r = listen_socket(m, spec,
                          read_group >= 0 ? (gid_t)read_group : (gid_t)-1, &fd);
        if (r < 0)
                return log_error_errno(r, "Cannot listen for metrics on %s: %m",
                                       spec);
        /* no internal thread: mhd.run() from our loop */
        m->mhd = mhd.start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, answer, m,
                                  MHD_OPTION_LISTEN_SOCKET, fd,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                  MHD_OPTION_END);
        if (!m->mhd) {
                close(fd);
                return log_error_errno(-EIO,
                                       "Cannot start the metrics "
                                       "endpoint on %s",
                                       spec);
        }
        info = mhd.get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        m->mhd_fd = info ? info->epoll_fd : -EBADF;
        m->timer_fd =
                timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        r = m->mhd_fd < 0 || m->timer_fd < 0 ? -EIO : 0;
        if (r >= 0 && timerfd_settime(m->timer_fd, 0, &tick, NULL) < 0)
                r = negative_errno();
        if (r >= 0)
                r = dp_loop_add_fd(d->loop, m->mhd_fd, EPOLLIN, run, m);
        if (r >= 0)
                r = dp_loop_add_fd(d->loop, m->timer_fd, EPOLLIN, run, m);
        if (r < 0) {
                dp_metrics_http_free(TAKE_PTR(m));
                return log_error_errno(r, "Cannot watch the metrics endpoint: "
                                          "%m");
        }
        log_info("Metrics on %s%s", spec, m->unix_path ? "" : " (/metrics)");
        *ret = TAKE_PTR(m);
        return 0;
}

void dp_metrics_http_free(dp_metrics_http *m)
{
        if (!m)
                return;
        if (m->mhd_fd >= 0)
                dp_loop_del_fd(m->d->loop, m->mhd_fd);
        if (m->timer_fd >= 0) {
                dp_loop_del_fd(m->d->loop, m->timer_fd);
                close(m->timer_fd);
        }
        if (m->mhd)
                mhd.stop_daemon(m->mhd);
        if (m->unix_path) {
                (void)unlink(m->unix_path);
                free(m->unix_path);
        }
        free(m);
}
