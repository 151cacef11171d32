/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/rtlookup.h"
#include "core/runtime.h"
#include "devpass/log.h"
#include "devpass/runtime.h"

/* A child's whole output: a line per container, a few hundred bytes each */
#define DP_RTLOOKUP_MAX_OUTPUT (1024u * 1024)

struct dp_rtlookup {
        unsigned id;
        dp_rtlookup_kind kind;
        pid_t pid;
        int out_fd, timer_fd;
        char *buf;
        size_t len;
        int asking; /* the listed_backends entry asked now; -1 */
        /* DP_RTLOOKUP_ATTACH: the answer for refs[0], and whom to give it */
        int r;
        dp_container *c;
        dp_rtlookup_done_fn done;
        void *done_data;
};

static unsigned next_id;
/* listed_backends that held up a rescan until its deadline (a bit each) */
static unsigned slow_backends;
/* running containers whose names no reference can spell, warned about
 * once each (a rescan runs every few seconds) */
static char **unnameable;

bool dp_rtlookup_running(const dp_daemon *d, dp_rtlookup_kind kind)
{
        for (size_t i = 0; i < d->n_lookups; i++)
                if (d->lookups[i]->kind == kind)
                        return true;
        return false;
}

static int write_all(int fd, const char *s, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, s, n);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -EIO;
                s += w;
                n -= (size_t)w;
        }
        return 0;
}

static void report(int fd, const char *ask, int r, const dp_container *c)
{
        json_object *o = json_object_new_object();
        const char *s;

        if (!o)
                return;
        json_object_object_add(o, "ask", json_object_new_string(ask));
        json_object_object_add(o, "r", json_object_new_int(r));
        if (r == -ENOTUNIQ)
                json_object_object_add(
                        o, "ambiguous",
                        json_object_new_string(
                                dp_container_ambiguous_runtimes()));
        if (c) {
                json_object_object_add(o, "ref",
                                       json_object_new_string(c->ref));
                json_object_object_add(o, "name",
                                       json_object_new_string(c->name));
                json_object_object_add(o, "runtime",
                                       json_object_new_int((int)c->runtime));
                json_object_object_add(o, "pid", json_object_new_int(c->pid));
                json_object_object_add(
                        o, "starttime",
                        json_object_new_int64((int64_t)c->starttime));
                json_object_object_add(
                        o, "systemd",
                        json_object_new_boolean(c->systemd_managed));
                /* the runtime's cgroups, which may lie above the init's
                 * own (container-resolve.c) */
                if (c->cgroup_v1_devices)
                        json_object_object_add(
                                o, "cg1",
                                json_object_new_string(c->cgroup_v1_devices));
                if (c->cgroup_v2)
                        json_object_object_add(
                                o, "cg2", json_object_new_string(c->cgroup_v2));
        }
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        if (write_all(fd, s, strlen(s)) < 0 || write_all(fd, "\n", 1) < 0)
                _exit(1);
        json_object_put(o);
}

/* The backends a rescan lists, in the order dp_container_list_running()
 * asks them. */
static const dp_runtime_ops *const listed_backends[] = {
        &dp_runtime_lxc_ops,    &dp_runtime_incus_ops,  &dp_runtime_lxd_ops,
        &dp_runtime_nspawn_ops, &dp_runtime_docker_ops, &dp_runtime_podman_ops,
};

/* Resolves and reports each ref not known or reported already. */
static void resolve_refs(dp_rtlookup_kind kind, char *const *refs,
                         char *const *known, char ***done)
{
        STRV_FOREACH (ref, refs) {
                _cleanup_container_free_ dp_container *c = NULL;
                int r;

                if (strv_contains(known, *ref) || strv_contains(*done, *ref))
                        continue;
                r = dp_container_resolve(*ref, &c);
                /* a container that stopped meanwhile: nothing to say */
                if (kind == DP_RTLOOKUP_RESCAN && r < 0)
                        continue;
                report(3, *ref, r, c);
                (void)strv_extend(done, c ? c->ref : *ref);
                if (kind == DP_RTLOOKUP_ATTACH)
                        return;
        }
}

/* One runtime's running containers, reported as they resolve; first a line
 * that says which runtime is asked, so that the agent knows which one held
 * the child up if the deadline kills it. */
static void rescan_backend(size_t i, char *const *known, char ***done)
{
        const dp_runtime_ops *ops = listed_backends[i];
        _cleanup_strv_free_ char **names = NULL, **refs = NULL;
        char line[32];

        snprintf(line, sizeof(line), "{\"asking\":%zu}\n", i);
        if (write_all(3, line, strlen(line)) < 0)
                _exit(1);
        if (ops->list(&names) < 0)
                return;
        STRV_FOREACH (nm, names) {
                char *ref = strjoin_sep(":", ops->name, *nm, NULL);

                if (!ref)
                        _exit(1);
                /* said, not skipped: no rule could ever name it */
                if (!dp_container_name_valid(*nm)) {
                        report(3, ref, -EILSEQ, NULL);
                        free(ref);
                } else if (strv_push(&refs, ref) < 0)
                        _exit(1);
        }
        resolve_refs(DP_RTLOOKUP_RESCAN, refs, known, done);
}

/* The child: asks the runtimes, reports, exits. known: containers the agent
 * tracks alive already (not asked again). A rescan asks the ledger's refs
 * first, then each runtime, those that held up an earlier rescan until its
 * deadline (slow, a bit per listed_backends entry) last: one that hangs
 * does not keep the others from being asked. */
static __attribute__((noreturn)) void child_run(int fd, dp_rtlookup_kind kind,
                                                char **refs, char **known,
                                                unsigned slow)
{
        _cleanup_strv_free_ char **done = NULL;
        sigset_t all;

        /* dies with the agent, and holds none of its descriptors (the state
         * dir lock, clients, pidfds): only stdio and the pipe */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        if (dup2(fd, 3) < 0)
                _exit(1);
        (void)close_range(4, ~0U, 0);
        alarm(DP_RTLOOKUP_TIMEOUT_MS / 1000 + 2);
        resolve_refs(kind, refs, known, &done);
        for (int pass = 0; kind == DP_RTLOOKUP_RESCAN && pass < 2; pass++)
                for (size_t i = 0; i < ELEMENTSOF(listed_backends); i++)
                        if (!!(slow & (1u << i)) == (pass == 1))
                                rescan_backend(i, known, &done);
        _exit(0);
}

static void src_out(void *data, int fd, uint32_t events);
static void src_timer(void *data, int fd, uint32_t events);

static int job_add(dp_daemon *d, struct dp_rtlookup *j)
{
        struct dp_rtlookup **a =
                reallocarray(d->lookups, d->n_lookups + 1, sizeof(*a));
        struct itimerspec t = {
                .it_value = {.tv_sec = DP_RTLOOKUP_TIMEOUT_MS / 1000,
                             .tv_nsec = (long)(DP_RTLOOKUP_TIMEOUT_MS % 1000) *
                                        1000000L}};
        int r;

        if (!a)
                return -ENOMEM;
        d->lookups = a;
        if (timerfd_settime(j->timer_fd, 0, &t, NULL) < 0)
                return negative_errno();
        r = dp_loop_add_fd(d->loop, j->out_fd, EPOLLIN, src_out, d);
        if (r < 0)
                return r;
        r = dp_loop_add_fd(d->loop, j->timer_fd, EPOLLIN, src_timer, d);
        if (r < 0) {
                dp_loop_del_fd(d->loop, j->out_fd);
                return r;
        }
        a[d->n_lookups++] = j;
        return 0;
}

static void job_free(struct dp_rtlookup *j)
{
        if (!j)
                return;
        if (j->pid > 0) {
                /* it may hang in a runtime's socket: no waiting for it */
                kill(j->pid, SIGKILL);
                (void)waitpid(j->pid, NULL, 0);
        }
        safe_close(j->out_fd);
        safe_close(j->timer_fd);
        dp_container_free(j->c);
        free(j->buf);
        free(j);
}

int dp_rtlookup_start(dp_daemon *d, dp_rtlookup_kind kind, char *const *refs,
                      dp_rtlookup_done_fn done, void *done_data,
                      unsigned *ret_id)
{
        _cleanup_strv_free_ char **known = NULL, **own = strv_copy(refs);
        struct dp_rtlookup *j;
        int p[2], r;

        if (d->n_lookups >= DP_RTLOOKUP_MAX)
                return -EBUSY;
        if (!own)
                return -ENOMEM;
        for (size_t i = 0; kind == DP_RTLOOKUP_RESCAN && i < d->n_ctrs; i++)
                if (dp_container_check_alive(d->ctrs[i].c) >= 0)
                        (void)strv_extend(&known, d->ctrs[i].c->ref);
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        *j = (struct dp_rtlookup){.id = ++next_id ? next_id : ++next_id,
                                  .kind = kind,
                                  .out_fd = -EBADF,
                                  .asking = -1,
                                  .r = -ETIMEDOUT,
                                  .done = done,
                                  .done_data = done_data};
        j->timer_fd =
                timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (j->timer_fd < 0 || pipe2(p, O_CLOEXEC) < 0) {
                r = negative_errno();
                job_free(j);
                return r;
        }
        j->pid = fork();
        if (j->pid == 0) {
                close(p[0]);
                child_run(p[1], kind, TAKE_PTR(own), known, slow_backends);
        }
        close(p[1]);
        j->out_fd = p[0];
        if (j->pid < 0 || fcntl(j->out_fd, F_SETFL, O_NONBLOCK) < 0 ||
            (r = job_add(d, j)) < 0) {
                r = j->pid < 0 ? negative_errno() : r;
                job_free(j);
                return r < 0 ? r : -EIO;
        }
        log_debug("runtime lookup %u: child %d for %s%s", j->id, (int)j->pid,
                  kind == DP_RTLOOKUP_RESCAN ? "a rescan" : "an attach of ",
                  kind == DP_RTLOOKUP_RESCAN ? "" : strna(refs[0]));
        *ret_id = j->id;
        return 0;
}

/* The cgroup the child reported for the container in place of the one the
 * agent read itself: only one the init is in or below (the runtime's
 * cgroup above a systemd's init.scope inside). */
static int take_cgroup(json_object *o, const char *key, char **dir)
{
        json_object *v;
        const char *s;
        char *copy;

        if (!json_object_object_get_ex(o, key, &v) || !*dir)
                return 0;
        s = json_object_get_string(v);
        if (!s || !path_within(*dir, s))
                return -EKEYREJECTED;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(*dir);
        *dir = copy;
        return 0;
}

/* A reported container, pinned by the agent itself: the pid must still be
 * the process the child saw (same start time), or it is not used. */
static int line_container(json_object *o, dp_container **ret)
{
        _cleanup_container_free_ dp_container *c = NULL;
        json_object *v;
        int r, pid, rt;
        int64_t st;

        r = json_object_object_get_ex(o, "r", &v) ? json_object_get_int(v)
                                                  : -EBADMSG;
        if (r < 0)
                return r > -4096 ? r : -EBADMSG;
        pid = json_object_object_get_ex(o, "pid", &v) ? json_object_get_int(v)
                                                      : 0;
        st = json_object_object_get_ex(o, "starttime", &v)
                     ? json_object_get_int64(v)
                     : -1;
        rt = json_object_object_get_ex(o, "runtime", &v)
                     ? json_object_get_int(v)
                     : -1;
        if (pid <= 0 || st < 0 || rt < 0 || rt >= _DP_RUNTIME_MAX)
                return -EBADMSG;
        r = dp_container_from_pid(pid, &c);
        if (r < 0)
                return r;
        if (c->starttime != (uint64_t)st)
                return -ESRCH; /* exited, and the pid was reused */
        r = take_cgroup(o, "cg1", &c->cgroup_v1_devices);
        if (r >= 0)
                r = take_cgroup(o, "cg2", &c->cgroup_v2);
        if (r < 0)
                return r;
        free(c->ref);
        free(c->name);
        c->ref = json_object_object_get_ex(o, "ref", &v)
                         ? strdup(json_object_get_string(v))
                         : NULL;
        c->name = json_object_object_get_ex(o, "name", &v)
                          ? strdup(json_object_get_string(v))
                          : NULL;
        if (!c->ref || !c->name)
                return -ENOMEM;
        c->runtime = (dp_runtime)rt;
        c->systemd_managed = json_object_object_get_ex(o, "systemd", &v) &&
                             json_object_get_boolean(v);
        *ret = TAKE_PTR(c);
        return 0;
}

static void job_line(dp_daemon *d, struct dp_rtlookup *j, const char *line)
{
        json_object *o = json_tokener_parse(line), *v;
        dp_container *c = NULL;
        const char *ask;
        int r;

        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return;
        }
        if (json_object_object_get_ex(o, "asking", &v)) {
                /* the one asked before answered */
                if (j->asking >= 0)
                        slow_backends &= ~(1u << j->asking);
                r = json_object_get_int(v);
                j->asking =
                        r >= 0 && r < (int)ELEMENTSOF(listed_backends) ? r : -1;
                json_object_put(o);
                return;
        }
        /* the runtimes an ambiguous name runs in, for the error message */
        if (json_object_object_get_ex(o, "ambiguous", &v))
                dp_container_note_ambiguous(json_object_get_string(v));
        r = line_container(o, &c);
        ask = json_object_get_string(json_object_object_get(o, "ask"));
        if (r == -EILSEQ && ask && !strv_contains(unnameable, ask)) {
                log_warning("Container %s: %s", ask, dp_container_strerror(r));
                (void)strv_extend(&unnameable, ask);
        } else if (r < 0)
                log_debug_errno(r, "runtime lookup %u: %s: %m", j->id,
                                strna(ask));
        json_object_put(o);
        if (j->kind == DP_RTLOOKUP_RESCAN) {
                if (c)
                        dp_registry_adopt(d, c);
                return;
        }
        if (j->c || j->r != -ETIMEDOUT) {
                dp_container_free(c); /* one answer per attach */
                return;
        }
        j->r = r;
        j->c = c;
}

static struct dp_rtlookup *job_take(dp_daemon *d, size_t i)
{
        struct dp_rtlookup *j = d->lookups[i];

        dp_loop_del_fd(d->loop, j->out_fd);
        dp_loop_del_fd(d->loop, j->timer_fd);
        d->lookups[i] = d->lookups[--d->n_lookups];
        return j;
}

static void job_end(dp_daemon *d, size_t i, bool timed_out)
{
        struct dp_rtlookup *j = job_take(d, i);
        unsigned id = j->id;
        dp_rtlookup_kind kind = j->kind;
        int r = j->r;
        dp_container *c = TAKE_PTR(j->c);
        dp_rtlookup_done_fn done = j->done;
        void *done_data = j->done_data;

        if (timed_out)
                log_debug("runtime lookup %u: no answer within %d ms%s%s, "
                          "child %d killed",
                          id, DP_RTLOOKUP_TIMEOUT_MS,
                          j->asking >= 0 ? " from " : "",
                          j->asking >= 0 ? listed_backends[j->asking]->name
                                         : "",
                          (int)j->pid);
        if (j->asking >= 0 && timed_out)
                slow_backends |= 1u << j->asking;
        else if (j->asking >= 0)
                slow_backends &= ~(1u << j->asking);
        job_free(j);
        if (kind == DP_RTLOOKUP_ATTACH && done)
                done(done_data, id, r, c);
        else if (kind == DP_RTLOOKUP_ATTACH)
                dp_container_free(c);
        else if (d->rescan_again) {
                d->rescan_again = false;
                (void)dp_registry_rescan(d);
        }
}

/* Reads what the child wrote; handles each whole line. 1 at the end. */
static int job_read(dp_daemon *d, struct dp_rtlookup *j)
{
        for (;;) {
                char tmp[4096], *nl;
                ssize_t n = read(j->out_fd, tmp, sizeof(tmp));
                char *nb;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0)
                        return 1;
                if (j->len + (size_t)n > DP_RTLOOKUP_MAX_OUTPUT)
                        return 1;
                nb = realloc(j->buf, j->len + (size_t)n + 1);
                if (!nb)
                        return 1;
                j->buf = nb;
                memcpy(j->buf + j->len, tmp, (size_t)n);
                j->len += (size_t)n;
                j->buf[j->len] = 0;
                while ((nl = memchr(j->buf, '\n', j->len))) {
                        size_t used = (size_t)(nl - j->buf) + 1;

                        *nl = 0;
                        job_line(d, j, j->buf);
                        memmove(j->buf, j->buf + used, j->len - used + 1);
                        j->len -= used;
                }
        }
}

static ssize_t job_find(const dp_daemon *d, int fd)
{
        for (size_t i = 0; i < d->n_lookups; i++)
                if (d->lookups[i]->out_fd == fd ||
                    d->lookups[i]->timer_fd == fd)
                        return (ssize_t)i;
        return -1;
}

static void lookup_event(dp_daemon *d, bool timer, int fd)
{
        ssize_t i = job_find(d, fd);

        if (i < 0) {
                dp_loop_del_fd(d->loop, fd);
                return;
        }
        if (timer) {
                uint64_t ticks;

                /* only an expiry counts */
                if (read(fd, &ticks, sizeof(ticks)) == sizeof(ticks))
                        job_end(d, (size_t)i, true);
                return;
        }
        /* handling a line may start or end other lookups: find it again */
        if (job_read(d, d->lookups[i]) > 0 && (i = job_find(d, fd)) >= 0)
                job_end(d, (size_t)i, false);
}

static void src_out(void *data, int fd, uint32_t events)
{
        (void)events;
        lookup_event(data, false, fd);
}

static void src_timer(void *data, int fd, uint32_t events)
{
        (void)events;
        lookup_event(data, true, fd);
}

void dp_rtlookup_wait_all(dp_daemon *d)
{
        while (d->n_lookups > 0) {
                struct dp_rtlookup *j = d->lookups[0];
                struct pollfd p[2] = {
                        {.fd = j->out_fd, .events = POLLIN},
                        {.fd = j->timer_fd, .events = POLLIN},
                };

                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        return;
                if (p[1].revents)
                        lookup_event(d, true, j->timer_fd);
                else if (p[0].revents)
                        lookup_event(d, false, j->out_fd);
        }
}

void dp_rtlookup_free_all(dp_daemon *d)
{
        while (d->n_lookups > 0)
                job_free(job_take(d, d->n_lookups - 1));
        free(d->lookups);
        d->lookups = NULL;
}
