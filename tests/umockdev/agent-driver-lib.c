/* SPDX-License-Identifier: MIT */
/* agent-driver's tools: checks, child processes, looks inside the container
 * (always without the umockdev preload) and the testbed. */

#include "agent-driver.h"

/* ---- reporting ---- */

_printf_(2, 3) bool check(bool ok, const char *fmt, ...)
{
        va_list ap;

        printf("%s [%s] ", ok ? "ok  " : "FAIL", T.source);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
        if (ok)
                T.passed++;
        else
                T.failed++;
        return ok;
}

long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(unsigned ms)
{
        struct timespec ts = {.tv_sec = ms / 1000,
                              .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---- child processes ---- */

/* Our environment, without the preload when PRELOAD is false. */
static char **child_env(bool preload)
{
        char **env = calloc(strv_length(environ) + 1, sizeof(char *));
        size_t n = 0;

        if (!env)
                return NULL;
        for (char **e = environ; *e; e++)
                if (preload || !startswith(*e, "LD_PRELOAD="))
                        env[n++] = *e;
        return env;
}

/* Runs ARGV, waits for it; its stdout (trailing newline cut) in *ret_out.
 * Returns the exit status (128+N for a signal) or a negative errno. */
int run(bool preload, bool quiet, char **ret_out, char *const *argv)
{
        _cleanup_free_ char **env = child_env(preload);
        _cleanup_free_ char *out = NULL;
        size_t len = 0, cap = 0;
        int p[2], status;
        pid_t pid;

        if (!env || pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                dup2(p[1], STDOUT_FILENO);
                if (quiet) {
                        int null = open("/dev/null", O_WRONLY);

                        if (null >= 0)
                                dup2(null, STDERR_FILENO);
                }
                execve(argv[0], argv, env);
                _exit(127);
        }
        close(p[1]);
        for (;;) {
                ssize_t k;

                if (cap - len < 4096) {
                        char *n = realloc(out, cap + 65536);

                        if (!n)
                                break;
                        out = n;
                        cap += 65536;
                }
                k = read(p[0], out + len, cap - len - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                len += (size_t)k;
        }
        close(p[0]);
        if (out) {
                out[len] = 0;
                while (len > 0 && out[len - 1] == '\n')
                        out[--len] = 0;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (ret_out)
                *ret_out = out ? TAKE_PTR(out) : strdup("");
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- inside the container ---- */

static bool ctr_node_is(const node *n)
{
        _cleanup_free_ char *out = NULL;
        char want[64];

        snprintf(want, sizeof(want), "character special file|%x|%x", n->major,
                 n->minor);
        return RUN(false, true, &out, (char *)T.harness, "exec", T.ctr_ref + 4,
                   "stat", "-c", "%F|%t|%T", (char *)n->path) == 0 &&
               streq(out, want);
}

static char *ctr_open(const char *path)
{
        char *out = NULL;

        if (RUN(false, true, &out, (char *)T.harness, "open", T.ctr_ref + 4,
                (char *)path, "r") < 0)
                return NULL;
        return out;
}

static bool ctr_opens_with(const char *path, const char *want)
{
        _cleanup_free_ char *out = ctr_open(path);

        return out && streq(out, want);
}

/* Granted: the node with the right numbers, and the cgroup lets it open
 * (ENXIO: the driver is missing, not the permission). */
bool cond_granted(const void *arg)
{
        const node *n = arg;

        return ctr_node_is(n) && ctr_opens_with(n->path, "ENXIO");
}

bool cond_absent(const void *arg)
{
        const node *n = arg;

        return RUN(false, true, NULL, (char *)T.harness, "exec", T.ctr_ref + 4,
                   "test", "!", "-e", (char *)n->path) == 0;
}

bool wait_for(bool (*cond)(const void *), const void *arg, unsigned timeout_ms)
{
        long long end = now_ms() + timeout_ms;

        for (;;) {
                if (cond(arg))
                        return true;
                if (now_ms() >= end)
                        return false;
                sleep_ms(POLL_MS);
        }
}

bool expect_granted(const node *n, const char *what)
{
        return check(wait_for(cond_granted, n, WAIT_MS),
                     "%s: %s (c %u:%u) inside, opens with ENXIO", what, n->path,
                     n->major, n->minor);
}

bool expect_granted_late(const node *n, const char *what)
{
        bool ok = wait_for(cond_granted, n, WAIT_MS);

        if (ok || !KNOWN_BUG_BUNDLE_GROWTH)
                return check(ok,
                             "%s: %s (c %u:%u), joining the bundle late, "
                             "inside, opens with ENXIO",
                             what, n->path, n->major, n->minor);
        printf("xfail [%s] %s: %s joined the bundle after the grant and is "
               "not inside (known devpassd bug, KNOWN_BUG_BUNDLE_GROWTH)\n",
               T.source, what, n->path);
        fflush(stdout);
        T.xfailed++;
        return false;
}

bool expect_absent(const node *n, const char *what)
{
        return check(wait_for(cond_absent, n, WAIT_MS), "%s: %s not inside",
                     what, n->path);
}

/* After a revoke the cgroup denies the device: a node made again by hand
 * inside (mknod is still allowed) must not open. */
static bool expect_denied(const node *n, const char *what)
{
        char maj[16], min[16];
        bool ok;

        snprintf(maj, sizeof(maj), "%u", n->major);
        snprintf(min, sizeof(min), "%u", n->minor);
        ok = RUN(false, false, NULL, (char *)T.harness, "exec", T.ctr_ref + 4,
                 "sh", "-c", "mkdir -p \"${1%/*}\" && mknod \"$1\" c $2 $3",
                 "sh", (char *)n->path, maj, min) == 0;
        ok = ok && ctr_opens_with(n->path, "EPERM");
        (void)RUN(false, true, NULL, (char *)T.harness, "exec", T.ctr_ref + 4,
                  "rm", "-f", (char *)n->path);
        return check(ok, "%s: %s made again inside opens with EPERM", what,
                     n->path);
}

void expect_revoked(const node *n, const char *what)
{
        if (expect_absent(n, what))
                (void)expect_denied(n, what);
}

/* ---- fixtures, record by record ---- */

void fixture_free(fixture *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->r[i].syspath);
                free(f->r[i].text);
        }
        free(f->r);
        *f = (fixture){};
}

static int cmp_record(const void *a, const void *b)
{
        const record *x = a, *y = b;
        size_t lx = strlen(x->syspath), ly = strlen(y->syspath);

        return lx < ly ? -1 : lx > ly ? 1 : strcmp(x->syspath, y->syspath);
}

/* Splits a .umockdev text into its devices, parents first (a parent's path
 * is a prefix of its children's), the order in which the kernel adds them. */
static int fixture_parse(const char *text, fixture *ret)
{
        fixture f = {};

        for (const char *p = text; *p;) {
                const char *end = strstr(p, "\n\n");
                size_t len = end ? (size_t)(end - p) + 1 : strlen(p);
                record *n;

                if (!startswith(p, "P: ")) {
                        p += len + (end ? 1 : 0);
                        continue;
                }
                n = realloc(f.r, (f.n + 1) * sizeof(record));
                if (!n)
                        goto oom;
                f.r = n;
                f.r[f.n].text = strndup(p, len);
                f.r[f.n].syspath = NULL;
                if (f.r[f.n].text) {
                        size_t pl = strcspn(p + 3, "\n");
                        _cleanup_free_ char *dp = strndup(p + 3, pl);

                        f.r[f.n].syspath =
                                dp ? strjoin_sep("", "/sys", dp, NULL) : NULL;
                }
                f.n++;
                if (!f.r[f.n - 1].text || !f.r[f.n - 1].syspath)
                        goto oom;
                p += len + (end ? 1 : 0);
        }
        qsort(f.r, f.n, sizeof(record), cmp_record);
        *ret = f;
        return 0;
oom:
        fixture_free(&f);
        return -ENOMEM;
}

/* umockdev backs a node without contents by a pty and asserts, when the
 * same node is created again, that it never had one: plugging a device a
 * second time would abort. Nodes with contents are plain files, which
 * stat() shows as the same char device, so every node gets a byte. */
static char *give_nodes_contents(const char *text)
{
        size_t n = 0;
        char *out = malloc(strlen(text) * 2 + 1);

        if (!out)
                return NULL;
        for (const char *l = text; *l;) {
                size_t len = strcspn(l, "\n");

                memcpy(out + n, l, len);
                n += len;
                if (startswith(l, "N: ") && !memchr(l, '=', len)) {
                        memcpy(out + n, "=00", 3);
                        n += 3;
                }
                l += len;
                if (*l)
                        out[n++] = *l++;
        }
        out[n] = 0;
        return out;
}

/* TEXT with every FROM replaced by TO. */
static char *replace_all(const char *text, const char *from, const char *to)
{
        size_t n = 0, lf = strlen(from), lt = strlen(to);
        char *out;

        for (const char *h = text; (h = strstr(h, from)); h += lf)
                n++;
        out = malloc(strlen(text) + n * lt + 1);
        if (!out)
                return NULL;
        out[0] = 0;
        for (const char *p = text, *h;; p = h + lf) {
                h = strstr(p, from);
                if (!h) {
                        strcat(out, p);
                        break;
                }
                strncat(out, p, (size_t)(h - p));
                strcat(out, to);
        }
        return out;
}

/* Loads a fixture, with each FROM[i] replaced by TO[i] (NULL-terminated). */
int fixture_load(const char *name, const char *const *from,
                 const char *const *to, fixture *ret)
{
        _cleanup_free_ char *path = strjoin_sep("/", T.fixtures, name, NULL);
        _cleanup_free_ char *text = NULL, *fixed = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        for (size_t i = 0; from && from[i]; i++) {
                char *n;

                if (!strstr(text, from[i]))
                        return -ENOENT;
                n = replace_all(text, from[i], to[i]);
                if (!n)
                        return -ENOMEM;
                free(text);
                text = n;
        }
        fixed = give_nodes_contents(text);
        return fixed ? fixture_parse(fixed, ret) : -ENOMEM;
}

static bool selected(const record *r, const char *only, const char *skip)
{
        return (!only || strstr(r->syspath, only)) &&
               (!skip || !strstr(r->syspath, skip));
}

/* umockdev's uevent sender exits the whole process when a listener socket
 * it found is gone before it connects (it forgives ECONNREFUSED, not
 * ENOENT). libusb, which devpassd runs once per USB device it looks at,
 * opens and drops such listeners all the time, so every testbed call that
 * sends a uevent runs in a child, and a child that died is retried. */
typedef struct {
        const char *syspath, *text, *action;
} tb_call;

static void tb_call_run(const tb_call *c)
{
        GError *error = NULL;

        if (c->text) {
                /* the testbed announces what it adds with "add" itself */
                if (!umockdev_testbed_add_from_string(T.tb, c->text, &error))
                        _exit(3);
        } else
                umockdev_testbed_uevent(T.tb, c->syspath, c->action);
        _exit(0);
}

static bool tb_present(const char *syspath)
{
        _cleanup_free_ char *p =
                strjoin_sep("", umockdev_testbed_get_root_dir(T.tb), syspath,
                            "/uevent", NULL);

        return p && access(p, F_OK) == 0;
}

static bool tb_in_child(const tb_call *c)
{
        for (int i = 0; i < 50; i++) {
                int status;
                pid_t pid;

                fflush(stdout);
                pid = fork();
                if (pid < 0)
                        return false;
                if (pid == 0)
                        tb_call_run(c);
                while (waitpid(pid, &status, 0) < 0)
                        if (errno != EINTR)
                                return false;
                if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                        return true;
                /* an add that died in its announcement did add the device;
                 * our own "add" follows anyway */
                if (c->text && tb_present(c->syspath))
                        return true;
                if (c->text && WIFEXITED(status) && WEXITSTATUS(status) == 3)
                        return false;
                sleep_ms(POLL_MS);
        }
        return false;
}

/* Adds the selected devices to the testbed, then announces them with "add"
 * uevents, parents first. */
bool plug(const fixture *f, const char *only, const char *skip)
{
        for (size_t i = 0; i < f->n; i++) {
                if (!selected(&f->r[i], only, skip))
                        continue;
                if (!tb_in_child(&(tb_call){.syspath = f->r[i].syspath,
                                            .text = f->r[i].text})) {
                        check(false, "adding %s to the testbed",
                              f->r[i].syspath);
                        return false;
                }
        }
        for (size_t i = 0; i < f->n; i++)
                if (selected(&f->r[i], only, skip) &&
                    !tb_in_child(&(tb_call){.syspath = f->r[i].syspath,
                                            .action = "add"})) {
                        check(false, "add uevent for %s", f->r[i].syspath);
                        return false;
                }
        return true;
}

/* Removes the selected devices, children first; each one's "remove" uevent
 * goes out before it leaves the testbed, as with the kernel. ANNOUNCE false
 * loses the uevents (a missed unplug). */
void unplug(const fixture *f, const char *only, bool announce)
{
        for (size_t i = f->n; i-- > 0;) {
                if (!selected(&f->r[i], only, NULL))
                        continue;
                if (announce &&
                    !tb_in_child(&(tb_call){.syspath = f->r[i].syspath,
                                            .action = "remove"}))
                        check(false, "remove uevent for %s", f->r[i].syspath);
                umockdev_testbed_remove_device(T.tb, f->r[i].syspath);
        }
}

/* The ioctl records answer libevdev. umockdev serves them on a socket that
 * outlives the device, so they are loaded once per node and testbed. */
bool load_ioctl(const char *devnode, const char *name)
{
        static char **loaded = NULL;
        _cleanup_free_ char *path = strjoin_sep("/", T.fixtures, name, NULL);
        GError *error = NULL;
        bool ok;

        if (strv_contains(loaded, devnode))
                return true;
        ok = path && umockdev_testbed_load_ioctl(T.tb, devnode, path, &error) &&
             strv_extend(&loaded, devnode) >= 0;

        if (!ok)
                check(false, "loading %s for %s: %s", name, devnode,
                      error ? error->message : "?");
        g_clear_error(&error);
        return ok;
}
