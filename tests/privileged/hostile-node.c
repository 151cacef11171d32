/* SPDX-License-Identifier: MIT */
/* A hostile container against device node injection (agent/act/node*.c),
 * on real namespaces. A process inside the container keeps swapping a real
 * directory and symlinks (-> /etc, -> /) in and out at /dev/dri while
 * /dev/dri/card0 (fake major 226:0) is attached and detached thousands of
 * times: every call must succeed inside the container or fail cleanly, and
 * nothing may appear on the host or be made through a symlink inside. Then
 * static traps: magic links through /proc, a FIFO and a socket where the
 * node goes, /dev itself a relative symlink. Privileged and user-namespaced
 * containers. Usage: test-hostile-node PATH-TO-dp-testctr [ITERATIONS] */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "devpass/act.h"
#include "devpass/container.h"

static const char *testctr;
static unsigned failures;

#define CHECK(cond, ...)                                                     \
        do {                                                                 \
                if (!(cond)) {                                               \
                        failures++;                                          \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
                        fprintf(stderr, __VA_ARGS__);                        \
                        fputc('\n', stderr);                                 \
                }                                                            \
        } while (0)

/* ---- containers ---- */

#define MAX_CTRS 8
static char ctr_names[MAX_CTRS][64];
static unsigned n_ctrs;

static void ctr_stop_all(void)
{
        for (unsigned i = 0; i < n_ctrs; i++) {
                char cmd[512];

                snprintf(cmd, sizeof(cmd), "'%s' stop '%s' >/dev/null 2>&1",
                         testctr, ctr_names[i]);
                if (system(cmd) != 0)
                        fprintf(stderr, "warning: stop %s failed\n",
                                ctr_names[i]);
        }
        n_ctrs = 0;
}

static void on_signal(int sig)
{
        /* The containers must not outlive an interrupted test. */
        ctr_stop_all();
        signal(sig, SIG_DFL);
        raise(sig);
}

static pid_t ctr_start(bool userns)
{
        char cmd[512], line[256], name[64];
        FILE *f;
        int pid = 0;

        if (n_ctrs >= MAX_CTRS)
                return -1;
        snprintf(name, sizeof(name), "dpt-hn%x-%u", (unsigned)getpid(), n_ctrs);
        snprintf(cmd, sizeof(cmd), "'%s' start --name %s %s", testctr, name,
                 userns ? "--userns" : "");
        /* Registered before it runs: a half-started one is swept too. */
        snprintf(ctr_names[n_ctrs++], sizeof(ctr_names[0]), "%s", name);
        f = popen(cmd, "r");
        if (!f)
                return -1;
        if (!fgets(line, sizeof(line), f) || sscanf(line, "%d", &pid) != 1)
                pid = -1;
        if (pclose(f) != 0)
                pid = -1;
        return pid;
}

/* Runs fn in a child that joined the container's user (when it has one,
 * as root inside) and mount namespaces, the way a process of the container
 * would act. Returns the child's exit status, or the child's pid when
 * background is set. */
static pid_t in_ctr(pid_t pid, bool userns, int (*fn)(void *), void *arg,
                    bool background)
{
        pid_t child;
        int status;

        child = fork();
        if (child < 0)
                return -1;
        if (child == 0) {
                char p[64];
                int ufd = -1, mfd;

                /* The racer must die with the test, whatever happens. */
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)pid);
                mfd = open(p, O_RDONLY | O_CLOEXEC);
                if (userns) {
                        snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
                        ufd = open(p, O_RDONLY | O_CLOEXEC);
                }
                if (mfd < 0 || (userns && ufd < 0))
                        _exit(125);
                if (userns &&
                    (setns(ufd, CLONE_NEWUSER) < 0 || setresgid(0, 0, 0) < 0 ||
                     setresuid(0, 0, 0) < 0))
                        _exit(125);
                if (setns(mfd, CLONE_NEWNS) < 0 || chdir("/") < 0)
                        _exit(125);
                _exit(fn(arg) == 0 ? 0 : 1);
        }
        if (background)
                return child;
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* ---- host snapshot ---- */

typedef struct snap {
        char **names;
        size_t n;
} snap;

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void snap_take(const char *dir, snap *s)
{
        DIR *d = opendir(dir);
        struct dirent *de;

        s->names = NULL;
        s->n = 0;
        if (!d)
                return;
        while ((de = readdir(d))) {
                char **a = realloc(s->names, sizeof(char *) * (s->n + 1));

                if (!a)
                        break;
                s->names = a;
                s->names[s->n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(s->names, s->n, sizeof(char *), cmp_str);
}

static bool snap_has(const snap *s, const char *name)
{
        return bsearch(&name, s->names, s->n, sizeof(char *), cmp_str);
}

static void snap_free(snap *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->names[i]);
        free(s->names);
}

/* Other tests share this machine and may add files to / or /etc, so a new
 * entry fails the test only when it could be our doing: a device node, or
 * one of the names this test uses. */
static void snap_compare(const char *dir, const snap *before)
{
        snap after;

        snap_take(dir, &after);
        for (size_t i = 0; i < after.n; i++) {
                char p[4096];
                struct stat st;
                const char *n = after.names[i];

                if (snap_has(before, n))
                        continue;
                snprintf(p, sizeof(p), "%s/%s", dir, n);
                if (lstat(p, &st) < 0)
                        continue;
                fprintf(stderr, "note: new entry on the host: %s\n", p);
                CHECK(!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) &&
                              strcmp(n, "card0") && strcmp(n, "dri") &&
                              strcmp(n, "sock0") && strcmp(n, "x"),
                      "host %s changed: new %s", dir, p);
        }
        for (size_t i = 0; i < before->n; i++)
                if (!snap_has(&after, before->names[i]))
                        fprintf(stderr, "note: %s/%s vanished (not ours)\n",
                                dir, before->names[i]);
        snap_free(&after);
}

static bool host_clean(void)
{
        static const char *const paths[] = {"/etc/card0", "/card0",
                                            "/etc/dri/card0"};
        struct stat st;

        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
                if (lstat(paths[i], &st) == 0)
                        return false;
        return true;
}

/* ---- the racer ---- */

/* Runs forever in the container's /dev until killed: RENAME_EXCHANGE puts
 * a real directory, a symlink to /etc and a symlink to / at /dev/dri in
 * turn, and now and then /dev/dri vanishes for a moment. */
static int racer(void *arg)
{
        static const char *const names[] = {"dri.dir", "dri.etc", "dri.root"};
        unsigned long i = 0;

        (void)arg;
        if (chdir("/dev") < 0)
                return 1;
        (void)mkdir("dri", 0755);
        (void)symlink("/etc", "dri.etc");
        (void)symlink("/", "dri.root");
        (void)mkdir("dri.dir", 0755);
        for (;; i++) {
                if (i % 7 == 0) {
                        (void)rename("dri", "dri.gone");
                        (void)rename("dri.gone", "dri");
                        continue;
                }
                if (renameat2(AT_FDCWD, "dri", AT_FDCWD, names[i % 3],
                              RENAME_EXCHANGE) < 0 &&
                    errno == ENOENT)
                        (void)mkdir("dri", 0755);
        }
        return 0;
}

/* Inside the container: nothing made through a symlink. */
static int ctr_clean(void *arg)
{
        struct stat st;

        (void)arg;
        if (lstat("/etc/card0", &st) == 0 || lstat("/card0", &st) == 0 ||
            lstat("/etc/x", &st) == 0)
                return 1;
        return 0;
}

static const char *errname(int r)
{
        static char buf[32];

        switch (r) {
        case 0:
                return "ok";
        case -ELOOP:
                return "ELOOP";
        case -EEXIST:
                return "EEXIST";
        case -ENOENT:
                return "ENOENT";
        case -ENOTDIR:
                return "ENOTDIR";
        case -EAGAIN:
                return "EAGAIN";
        default:
                snprintf(buf, sizeof(buf), "%s", strerror(-r));
                return buf;
        }
}

static bool clean_error(int r)
{
        return r == 0 || r == -ELOOP || r == -EEXIST || r == -ENOENT ||
               r == -ENOTDIR || r == -EAGAIN;
}

static void race(bool userns, unsigned iterations)
{
        const dp_node_spec spec = {.path = "/dev/dri/card0",
                                   .type = 'c',
                                   .major = 226,
                                   .minor = 0,
                                   .mode = 0660};
        dp_container *c = NULL;
        unsigned ok = 0, made = 0, loop = 0, other = 0, bad = 0;
        pid_t pid, rpid;
        struct timespec t0, t1;
        int r, status;

        pid = ctr_start(userns);
        CHECK(pid > 0, "cannot start a%s container", userns ? " userns" : "");
        if (pid <= 0)
                return;
        r = dp_container_from_pid(pid, &c);
        CHECK(r == 0, "dp_container_from_pid: %s", strerror(-r));
        if (r < 0)
                return;
        CHECK(c->userns == userns, "userns flag %d", c->userns);
        rpid = in_ctr(pid, userns, racer, NULL, true);
        CHECK(rpid > 0, "cannot start the racer");
        if (rpid <= 0)
                goto out;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* On a loaded machine the racer may not be scheduled often enough
         * to meet both outcomes in the set count: go on, up to five times
         * as long, until it has. */
        for (unsigned i = 0;
             i < iterations || ((!ok || !loop) && i < 5 * iterations); i++) {
                bool created = false;

                r = dp_act_node_create(c, &spec, &created);
                if (!clean_error(r)) {
                        if (bad++ < 5)
                                fprintf(stderr, "create #%u: %s\n", i,
                                        errname(r));
                } else if (r == 0) {
                        ok++;
                        made += created;
                        r = dp_act_node_remove(c, &spec);
                        if (!clean_error(r) && bad++ < 5)
                                fprintf(stderr, "remove #%u: %s\n", i,
                                        errname(r));
                } else if (r == -ELOOP)
                        loop++;
                else
                        other++;
                if (!host_clean()) {
                        CHECK(false, "a node appeared on the host at #%u", i);
                        break;
                }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        kill(rpid, SIGKILL);
        while (waitpid(rpid, &status, 0) < 0 && errno == EINTR)
                ;
        printf("%s race: %u attaches in %.1f s: %u inside (%u made), "
               "%u ELOOP, %u other clean refusals, %u unexpected\n",
               userns ? "userns" : "privileged", ok + loop + other + bad,
               (double)(t1.tv_sec - t0.tv_sec) +
                       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
               ok, made, loop, other, bad);
        CHECK(bad == 0, "%u calls failed with an unexpected error", bad);
        /* The race must have been real: both outcomes seen. */
        CHECK(ok > 0, "no attach ever succeeded: the test proves nothing");
        CHECK(loop > 0, "no attach met the symlink: the racer was too slow");
        CHECK(in_ctr(pid, userns, ctr_clean, NULL, false) == 0,
              "a node was made through a symlink inside the container");
out:
        dp_container_free(c);
}

/* ---- static traps ---- */

static int setup_traps(void *arg)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd;

        (void)arg;
        if (symlink("/proc/self/root/etc", "/dev/x") < 0 ||
            symlink("/proc/1/root", "/dev/y") < 0 ||
            symlink("/proc/self/cwd", "/dev/z") < 0 ||
            mkdir("/dev/q", 0755) < 0 || mkfifo("/dev/q/card0", 0600) < 0)
                return 1;
        strcpy(sa.sun_path, "/dev/q/sock0");
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return 1;
        close(fd);
        return 0;
}

static int traps_intact(void *arg)
{
        struct stat a, b;

        (void)arg;
        if (lstat("/dev/q/card0", &a) < 0 || lstat("/dev/q/sock0", &b) < 0)
                return 1;
        return S_ISFIFO(a.st_mode) && S_ISSOCK(b.st_mode) ? 0 : 1;
}

/* /dev replaced by a relative symlink to etc (what a container's root can
 * do after lazily unmounting its /dev tmpfs). */
static int dev_relative_link(void *arg)
{
        const char *target = arg;

        /* The second time round /dev is no longer a mount point. */
        if (umount2("/dev", MNT_DETACH) < 0 && errno != EINVAL)
                return 1;
        if (rename("/dev", "/dev.old") < 0)
                return 2;
        if (symlink(target, "/dev") < 0)
                return 3;
        return 0;
}

static int dev_restore(void *arg)
{
        (void)arg;
        if (unlink("/dev") < 0 || rename("/dev.old", "/dev") < 0)
                return 1;
        return 0;
}

static int try_create(const dp_container *c, const char *path, char type,
                      unsigned major, unsigned minor)
{
        const dp_node_spec s = {.path = path,
                                .type = type,
                                .major = major,
                                .minor = minor,
                                .mode = 0600};
        bool created = false;

        return dp_act_node_create(c, &s, &created);
}

static void traps(bool userns)
{
        static const struct {
                const char *path;
                int want;
        } cases[] = {
                {"/dev/x/card0", -ELOOP},     /* magic link to /etc */
                {"/dev/y/etc/card0", -ELOOP}, /* magic link to pid 1's root */
                {"/dev/z/card0", -ELOOP},     /* magic link to cwd */
                {"/dev/q/card0", -EEXIST},    /* a FIFO at the target */
                {"/dev/q/sock0", -EEXIST},    /* a socket at the target */
        };
        const char *mode = userns ? "userns" : "privileged";
        dp_container *c = NULL;
        pid_t pid;
        int r;

        pid = ctr_start(userns);
        CHECK(pid > 0, "cannot start a %s container", mode);
        if (pid <= 0)
                return;
        r = dp_container_from_pid(pid, &c);
        CHECK(r == 0, "dp_container_from_pid: %s", strerror(-r));
        if (r < 0)
                return;
        r = in_ctr(pid, userns, setup_traps, NULL, false);
        CHECK(r == 0, "%s: cannot lay the traps (%d)", mode, r);
        for (size_t i = 0; r == 0 && i < sizeof(cases) / sizeof(cases[0]);
             i++) {
                const dp_node_spec s = {.path = cases[i].path,
                                        .type = 'c',
                                        .major = 226,
                                        .minor = 0,
                                        .mode = 0600};
                int got = try_create(c, cases[i].path, 'c', 226, 0);

                CHECK(got == cases[i].want, "%s: create %s: %s, want %s", mode,
                      cases[i].path, strerror(-got), strerror(-cases[i].want));
                got = dp_act_node_remove(c, &s);
                CHECK(got == 0 || got == cases[i].want, "%s: remove %s: %s",
                      mode, cases[i].path, strerror(-got));
                printf("%s: %s refused (%s)\n", mode, cases[i].path,
                       errname(cases[i].want));
        }
        CHECK(in_ctr(pid, userns, traps_intact, NULL, false) == 0,
              "%s: the FIFO or the socket at the target was replaced", mode);
        CHECK(in_ctr(pid, userns, ctr_clean, NULL, false) == 0,
              "%s: a node was made through a magic link", mode);

        /* /dev itself a relative symlink, pointing at etc and, from a
         * subdirectory's view, above the root. */
        r = in_ctr(pid, userns, dev_relative_link, "etc", false);
        CHECK(r == 0, "%s: cannot replace /dev by a symlink (step %d)", mode,
              r);
        if (r == 0) {
                r = try_create(c, "/dev/card0", 'c', 226, 0);
                CHECK(r == -ELOOP, "%s: /dev -> etc: %s, want ELOOP", mode,
                      strerror(-r));
                r = try_create(c, "/dev/dri/card0", 'c', 226, 0);
                CHECK(r == -ELOOP, "%s: /dev -> etc, dri: %s, want ELOOP", mode,
                      strerror(-r));
                CHECK(in_ctr(pid, userns, ctr_clean, NULL, false) == 0,
                      "%s: a node was made in /etc through /dev -> etc", mode);
                CHECK(in_ctr(pid, userns, dev_restore, NULL, false) == 0,
                      "%s: cannot restore /dev", mode);
                r = in_ctr(pid, userns, dev_relative_link, "../../../etc",
                           false);
                CHECK(r == 0, "%s: cannot relink /dev (step %d)", mode, r);
                r = try_create(c, "/dev/card0", 'c', 226, 0);
                CHECK(r == -ELOOP, "%s: /dev -> ../../../etc: %s, want ELOOP",
                      mode, strerror(-r));
                printf("%s: /dev as a relative symlink refused\n", mode);
        }
        CHECK(host_clean(), "%s: a node appeared on the host", mode);
        dp_container_free(c);
}

int main(int argc, char **argv)
{
        unsigned iterations = 5000;
        snap root, etc;

        if (argc < 2) {
                fprintf(stderr, "usage: %s DP-TESTCTR [ITERATIONS]\n", argv[0]);
                return 2;
        }
        testctr = argv[1];
        if (argc > 2)
                iterations = (unsigned)strtoul(argv[2], NULL, 10);
        if (geteuid() != 0) {
                printf("SKIP: needs root\n");
                return 77;
        }
        if (access(testctr, X_OK) < 0) {
                fprintf(stderr, "%s: %m\n", testctr);
                return 1;
        }
        if (!host_clean()) {
                fprintf(stderr, "host already has /etc/card0 or /card0\n");
                return 1;
        }
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        snap_take("/", &root);
        snap_take("/etc", &etc);

        race(false, iterations);
        /* Each userns attach forks a child that joins the mount namespace:
         * a fifth of the iterations keeps the run short. */
        race(true, iterations / 5);
        traps(false);
        traps(true);
        ctr_stop_all();

        CHECK(host_clean(), "a node was left on the host");
        snap_compare("/", &root);
        snap_compare("/etc", &etc);
        snap_free(&root);
        snap_free(&etc);
        if (failures) {
                fprintf(stderr, "hostile-node: %u check(s) failed\n", failures);
                return 1;
        }
        printf("hostile-node: all checks passed\n");
        return 0;
}
