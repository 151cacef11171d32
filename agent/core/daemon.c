/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <json-c/json.h>
#include <libudev.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>

#include "core/daemon.h"
#include "core/lease.h"
#include "core/rtlookup.h"
#include "core/service.h"
#include "devpass/container.h"
#include "devpass/log.h"

void dp_daemon_emit(dp_daemon *d, const char *event, const char *fmt, ...)
{
        _cleanup_free_ char *text = NULL;
        va_list ap;

        va_start(ap, fmt);
        text = strdup_vprintf(fmt, ap);
        va_end(ap);
        if (!text)
                return;
        log_full_errno(streq(event, "error") ? LOG_WARNING : LOG_INFO, 0, "%s",
                       text);
        /* a subscriber may unsubscribe (a dead monitor client) */
        for (size_t i = d->n_subscribers; i-- > 0;)
                if (i < d->n_subscribers)
                        d->subscribers[i].fn(d->subscribers[i].data, event,
                                             text);
}

int dp_daemon_subscribe(dp_daemon *d, dp_daemon_event_fn fn, void *data)
{
        dp_daemon_subscriber *a =
                reallocarray(d->subscribers, d->n_subscribers + 1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        d->subscribers = a;
        a[d->n_subscribers++] = (dp_daemon_subscriber){fn, data};
        return 0;
}

void dp_daemon_unsubscribe(dp_daemon *d, dp_daemon_event_fn fn, void *data)
{
        for (size_t i = 0; i < d->n_subscribers; i++)
                if (d->subscribers[i].fn == fn &&
                    d->subscribers[i].data == data) {
                        d->subscribers[i] = d->subscribers[--d->n_subscribers];
                        return;
                }
}

int dp_daemon_reload(dp_daemon *d, char **ret_error)
{
        _cleanup_free_ char *msg = NULL;
        dp_policy *p = NULL;
        int r;

        r = dp_service_load_policy(d->cfg.policy_dirs, &p, &msg);
        if (r < 0) {
                log_error("Policy refused, %s: %s",
                          d->policy ? "previous policy stays in force"
                                    : "running with no policy grants",
                          strna(msg));
                free(d->policy_error);
                d->policy_error = msg ? strdup(msg) : NULL;
                if (ret_error)
                        *ret_error = TAKE_PTR(msg);
                return r;
        }
        dp_policy_free(d->policy);
        d->policy = p;
        /* a changed set of attributes: the cached devices are read again */
        if (dp_service_policy_attributes(d->hw, p) > 0 && d->devices.n > 0)
                (void)dp_daemon_enumerate(d);
        d->policy_error = (free(d->policy_error), NULL);
        dp_daemon_emit(d, "reload", "policy loaded: %zu rules",
                       dp_policy_n_rules(p));
        return 0;
}

int dp_daemon_enumerate(dp_daemon *d)
{
        dp_device_list l = {};
        int r = dp_hw_enumerate(d->hw, &l);

        if (r < 0)
                return log_error_errno(r, "Enumerating devices failed: %m");
        dp_device_list_clear(&d->devices);
        d->devices = l; /* packed: see dp_hw_enumerate() */
        log_debug("%zu devices present", l.n);
        /* enumeration peaks at several times the device list (libudev's
         * own objects); give that back instead of keeping it resident */
        malloc_trim(0);
        return 0;
}

static void replace_device(dp_daemon *d, dp_device *dev)
{
        dev = dp_device_pack(dev);
        for (size_t i = 0; i < d->devices.n; i++)
                if (streq(d->devices.items[i]->syspath, dev->syspath)) {
                        dp_device_free(d->devices.items[i]);
                        d->devices.items[i] = dev;
                        return;
                }
        if (dp_device_list_push(&d->devices, dev) < 0)
                dp_device_free(dev);
}

static void drop_device(dp_daemon *d, const char *syspath)
{
        for (size_t i = 0; i < d->devices.n; i++)
                if (streq(d->devices.items[i]->syspath, syspath)) {
                        dp_device_free(d->devices.items[i]);
                        d->devices.items[i] = d->devices.items[--d->devices.n];
                        return;
                }
}

/* Re-reads one logical device; returns its parent's syspath (a USB device
 * for its tty) so that the parent's bundle is refreshed as well. */
/* Puts the new facts of one logical device in place — dev when the caller
 * read them already (it takes dev), else read here; none when removed — and
 * returns its parent's syspath (a USB device for its tty) so that the
 * parent's bundle is refreshed as well. */
static void refresh_device(dp_daemon *d, const char *syspath, bool removed,
                           dp_device *dev, char **ret_parent)
{
        const dp_device *old = dp_device_list_find(&d->devices, syspath);

        if (old && old->parent_syspath && ret_parent)
                *ret_parent = strdup(old->parent_syspath);
        if (removed ||
            (!dev && dp_hw_device_from_syspath(d->hw, syspath, &dev) < 0)) {
                dp_device_free(dev);
                drop_device(d, syspath);
                return;
        }
        if (dev->parent_syspath && ret_parent && !*ret_parent)
                *ret_parent = strdup(dev->parent_syspath);
        replace_device(d, dev);
}

void dp_daemon_resync(dp_daemon *d, const char *why)
{
        d->n_resyncs++;
        dp_daemon_emit(d, "resync", "full resync: %s", why);
        (void)dp_daemon_enumerate(d);
        (void)dp_registry_rescan(d);
        (void)dp_reconcile(d, NULL, NULL);
}

typedef struct pending {
        char *owner;
        dp_device *dev; /* NULL: removed, or read again from sysfs */
        bool removed;
} pending;

static void pending_add(pending *p, size_t *n, char *owner, dp_device *dev,
                        bool removed)
{
        for (size_t i = 0; i < *n; i++)
                if (streq(p[i].owner, owner)) {
                        /* the last event of a device decides */
                        dp_device_free(p[i].dev);
                        p[i].dev = dev;
                        p[i].removed = removed;
                        free(owner);
                        return;
                }
        p[(*n)++] = (pending){.owner = owner, .dev = dev, .removed = removed};
}

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Drains the queued uevents, then handles each device once: a storm of
 * "change" events on one device costs one refresh, not thousands. */
static void on_uevent(dp_daemon *d)
{
        pending p[256];
        size_t n = 0;
        bool overflow = false;
        uint64_t t0 = now_usec(), t1;

        while (n < ELEMENTSOF(p)) {
                struct udev_device *u;
                const char *action, *syspath;
                dp_device *dev = NULL;
                char *owner = NULL;
                bool removed;

                errno = 0;
                u = udev_monitor_receive_device(d->monitor);
                if (!u) {
                        overflow = errno == ENOBUFS;
                        break;
                }
                d->n_events++;
                action = udev_device_get_action(u);
                syspath = udev_device_get_syspath(u);
                if (action && syspath) {
                        /* the device is read once, here, from the event:
                         * for a part (a GPU's card0) that is its owner */
                        if (!streq(action, "remove") &&
                            dp_hw_device_from_udev(d->hw, u, &dev) >= 0)
                                owner = strdup(dev->syspath);
                        else if (dp_hw_owner_syspath(d->hw, u, &owner) < 0)
                                owner = strdup(syspath);
                        removed = streq(action, "remove") && owner &&
                                  streq(owner, syspath);
                        log_debug("uevent %s %s (owner %s)", action, syspath,
                                  strna(owner));
                        /* a bdi, a partition's queue, a connector: nothing
                         * a policy can name and nothing we hold */
                        if (!dev && owner && streq(owner, syspath) &&
                            !dp_device_list_find(&d->devices, owner))
                                owner = (free(owner), NULL);
                        if (owner)
                                pending_add(p, &n, owner, dev, removed);
                        else
                                dp_device_free(dev);
                }
                udev_device_unref(u);
        }
        t1 = now_usec();
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *parent = NULL;

                refresh_device(d, p[i].owner, p[i].removed, TAKE_PTR(p[i].dev),
                               &parent);
                (void)dp_reconcile(d, p[i].owner, NULL);
                if (parent && !streq(parent, p[i].owner)) {
                        refresh_device(d, parent, false, NULL, NULL);
                        (void)dp_reconcile(d, parent, NULL);
                }
                free(p[i].owner);
        }
        log_debug("%zu device%s from uevents: read %" PRIu64
                  " us, handled %" PRIu64 " us",
                  n, n == 1 ? "" : "s", t1 - t0, now_usec() - t1);
        dp_histogram_observe(&d->stats.hotplug, now_usec() - t0);
        if (overflow) {
                d->stats.enobufs++;
                dp_daemon_resync(d, "uevent buffer overflow (ENOBUFS)");
        }
}

void dp_daemon_on_uevent(void *data, int fd, uint32_t events)
{
        (void)fd, (void)events;
        on_uevent(data);
}

static void on_signal(dp_daemon *d)
{
        struct signalfd_siginfo si;

        while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGHUP) {
                        if (dp_daemon_reload(d, NULL) >= 0)
                                (void)dp_reconcile(d, NULL, NULL);
                } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                        log_info("Exiting on signal %u; grants stay in place "
                                 "and are adopted at the next start",
                                 si.ssi_signo);
                        d->quit = true;
                }
        }
}

static void arm_timer(int fd, unsigned ms, bool periodic)
{
        struct itimerspec t = {
                .it_value = {.tv_sec = ms / 1000,
                             .tv_nsec = (long)(ms % 1000) * 1000000L},
        };

        if (periodic)
                t.it_interval = t.it_value;
        timerfd_settime(fd, 0, &t, NULL);
}

static void on_inotify(dp_daemon *d)
{
        char buf[4096]
                __attribute__((aligned(__alignof__(struct inotify_event))));
        bool policy = false, ctr = false;
        ssize_t n;

        while ((n = read(d->inotify_fd, buf, sizeof(buf))) > 0)
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *e = (struct inotify_event *)p;

                        if (e->len && endswith(e->name, ".policy"))
                                policy = true;
                        else
                                ctr = true;
                        p += sizeof(*e) + e->len;
                }
        /* debounce: an editor writes a file in several steps */
        if (policy)
                arm_timer(d->reload_timer_fd, 100, false);
        if (ctr)
                (void)dp_registry_rescan(d);
}

static void src_signal(void *data, int fd, uint32_t events)
{
        (void)fd, (void)events;
        on_signal(data);
}

static void src_inotify(void *data, int fd, uint32_t events)
{
        (void)fd, (void)events;
        on_inotify(data);
}

static void src_timer(void *data, int fd, uint32_t events)
{
        dp_daemon *d = data;
        uint64_t ticks;

        (void)events;
        (void)!read(fd, &ticks, sizeof(ticks));
        dp_daemon_udevd_check(d);
        (void)dp_registry_rescan(d);
        /* a slower beat for the kernel check */
        if (++d->ticks % 5 == 0)
                (void)dp_reconcile_verify(d);
        dp_kubelet_tick(d);
        if (d->engine->save_error < 0)
                (void)dp_engine_flush(d->engine);
}

static void src_reload(void *data, int fd, uint32_t events)
{
        dp_daemon *d = data;
        uint64_t ticks;

        (void)events;
        (void)!read(fd, &ticks, sizeof(ticks));
        if (dp_daemon_reload(d, NULL) >= 0) {
                (void)dp_registry_rescan(d);
                (void)dp_reconcile(d, NULL, NULL);
        }
}

static void watch_dirs(dp_daemon *d)
{
        const char *ctr_dirs[] = {dp_cgroup_v1_devices_root(),
                                  dp_cgroup_v2_root(), "/run/systemd/machines"};

        STRV_FOREACH (dir, d->cfg.policy_dirs)
                (void)inotify_add_watch(d->inotify_fd, *dir,
                                        IN_CLOSE_WRITE | IN_MOVED_TO |
                                                IN_MOVED_FROM | IN_DELETE |
                                                IN_CREATE | IN_ATTRIB);
        for (size_t i = 0; i < ELEMENTSOF(ctr_dirs); i++)
                if (ctr_dirs[i])
                        (void)inotify_add_watch(d->inotify_fd, ctr_dirs[i],
                                                IN_CREATE | IN_DELETE |
                                                        IN_ONLYDIR);
}

static void sd_notify_ready(void)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;
        socklen_t len;

        if (!path || strlen(path) >= sizeof(sa.sun_path) ||
            (path[0] != '/' && path[0] != '@'))
                return;
        strcpy(sa.sun_path, path);
        if (path[0] == '@')
                sa.sun_path[0] = 0; /* abstract namespace */
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                          strlen(path));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        (void)sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa,
                     len);
}

/* Each IPC client holds a socket and a pidfd (SO_PEERPIDFD), each tracked
 * container a pidfd: the 1024 a service gets by default run out before the
 * client cap does. */
static void raise_nofile(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= 16384)
                return;
        rl.rlim_cur = rl.rlim_max < 16384 ? rl.rlim_max : 16384;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
}

int dp_daemon_new(const dp_daemon_config *cfg, dp_daemon **ret)
{
        dp_daemon *d = calloc(1, sizeof(dp_daemon));
        sigset_t mask;
        int r, lerr = 0;

        if (!d)
                return -ENOMEM;
        d->cfg = *cfg;
        raise_nofile();
        d->signal_fd = d->timer_fd = d->inotify_fd = d->reload_timer_fd =
                d->lease_timer_fd = -EBADF;
        r = dp_engine_open(cfg->state_dir, &dp_act_ops_real, &d->engine, &lerr);
        if (r == -EBUSY) {
                log_error("State dir %s is locked by another devpass process",
                          cfg->state_dir);
                goto fail;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot open state dir %s: %m",
                                cfg->state_dir);
                goto fail;
        }
        if (lerr < 0) {
                log_warning("Ledger entries in %s/grants were unreadable "
                            "(kept as *.damaged); rebuilding from what the "
                            "kernel shows",
                            cfg->state_dir);
                d->engine->adopt_found = true;
        }
        r = dp_hw_new(&d->hw);
        if (r < 0) {
                log_error_errno(r, "Cannot open udev: %m");
                goto fail;
        }
        r = dp_loop_new(&d->loop);
        if (r < 0)
                goto fail;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        d->timer_fd =
                timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        d->reload_timer_fd =
                timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        /* wall time: a lease's end is a date (lease.h) */
        d->lease_timer_fd =
                timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
        if (d->signal_fd < 0 || d->timer_fd < 0 || d->inotify_fd < 0 ||
            d->reload_timer_fd < 0 || d->lease_timer_fd < 0) {
                r = negative_errno();
                goto fail;
        }
        if ((r = dp_loop_add_fd(d->loop, d->signal_fd, EPOLLIN, src_signal,
                                d)) < 0 ||
            (r = dp_loop_add_fd(d->loop, d->timer_fd, EPOLLIN, src_timer, d)) <
                    0 ||
            (r = dp_loop_add_fd(d->loop, d->reload_timer_fd, EPOLLIN,
                                src_reload, d)) < 0 ||
            (r = dp_loop_add_fd(d->loop, d->inotify_fd, EPOLLIN, src_inotify,
                                d)) < 0 ||
            (r = dp_loop_add_fd(d->loop, d->lease_timer_fd, EPOLLIN,
                                dp_daemon_on_lease_timer, d)) < 0 ||
            (r = dp_lease_tombs_load(cfg->state_dir, &d->lease_tombs)) < 0)
                goto fail;
        (void)dp_daemon_reload(d, NULL);
        /* subscribe first, then enumerate: nothing slips in between */
        r = dp_daemon_monitor_open(d);
        if (r < 0)
                goto fail;
        r = dp_daemon_enumerate(d);
        if (r < 0)
                goto fail;
        watch_dirs(d);
        arm_timer(d->timer_fd, cfg->rescan_ms ? cfg->rescan_ms : 1000, true);
        *ret = d;
        return 0;
fail:
        dp_daemon_free(d);
        return r < 0 ? r : -EIO;
}

void dp_daemon_free(dp_daemon *d)
{
        if (!d)
                return;
        dp_kubelet_stop(d);
        dp_rtlookup_free_all(d);
        for (size_t i = 0; i < d->n_ctrs; i++)
                dp_container_free(d->ctrs[i].c);
        free(d->ctrs);
        dp_device_list_clear(&d->devices);
        dp_device_list_clear(&d->moved);
        udev_monitor_unref(d->monitor);
        dp_policy_free(d->policy);
        free(d->policy_error);
        strv_free(d->cdi_written);
        dp_hw_free(d->hw);
        dp_engine_free(d->engine);
        safe_close(d->signal_fd);
        safe_close(d->timer_fd);
        safe_close(d->reload_timer_fd);
        safe_close(d->inotify_fd);
        safe_close(d->lease_timer_fd);
        dp_lease_tombs_free(d->lease_tombs);
        dp_loop_free(d->loop);
        free(d->subscribers);
        free(d);
}

int dp_daemon_run(dp_daemon *d)
{
        /* start-up is one reconcile like any other: adopt the ledger,
         * revoke what no longer belongs, grant what is missing */
        dp_registry_sweep(d);
        (void)dp_registry_rescan(d);
        /* the runtimes' containers are known before the ledger is judged
         * (bounded: a hung runtime delays the start by its deadline only) */
        dp_rtlookup_wait_all(d);
        (void)dp_reconcile(d, NULL, NULL);
        (void)dp_reconcile_verify(d);
        d->engine->adopt_found = false;
        malloc_trim(0);
        log_info("devpassd ready: %zu devices, %zu containers, %zu grants, "
                 "%s uevents",
                 d->devices.n, d->n_ctrs, d->engine->ledger->n,
                 d->monitor_udev ? "udev" : "kernel");
        /* after the first reconcile: the CDI specs it reads are written */
        dp_kubelet_start(d);
        sd_notify_ready();
        while (!d->quit) {
                int r;

                /* whatever the last batch did may have made, renewed or
                 * revoked a lease */
                dp_daemon_arm_lease_timer(d);
                r = dp_loop_dispatch(d->loop, -1);
                if (r < 0)
                        return log_error_errno(r, "epoll_wait: %m");
        }
        return 0;
}
