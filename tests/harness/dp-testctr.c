/* SPDX-License-Identifier: MIT */
/* dp-testctr: starts, enters and stops throw-away system containers for the
 * devpass tests: busybox rootfs, own mount/pid/net/uts/ipc (and optionally
 * user) namespaces, own v1 devices and cgroup2 cgroups. No container runtime
 * is needed, so privileged tests can exercise real namespaces and device
 * cgroups on any machine. Usage: see usage() and tests/harness/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dp-testctr.h"

static void usage(FILE *f)
{
        fputs("Usage:\n"
              "  dp-testctr start [--name NAME] [--userns] [--v1-deny]\n"
              "                   [--v2-runtime-prog] [--share-usr] "
              "[--netns-only]\n"
              "  dp-testctr exec PID [--] CMD [ARGS...]\n"
              "  dp-testctr open PID PATH [r|w|rw]\n"
              "  dp-testctr stop PID|NAME\n"
              "  dp-testctr info PID|NAME\n"
              "  dp-testctr v2-reapply PID|NAME\n",
              f);
}

static int parse_pid(const char *s, pid_t *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v <= 0 || v > (1L << 22))
                return -EINVAL;
        *ret = (pid_t)v;
        return 0;
}

/* Accepts a pid or a name, like `stop` and `info` do. */
static int info_lookup(const char *ref, struct dpt_info *ret)
{
        pid_t pid;

        if (dpt_info_load_name(ref, ret) == 0)
                return 0;
        if (parse_pid(ref, &pid) < 0)
                return -ESRCH;
        return dpt_info_load_pid(pid, ret);
}

/* ---- the container's init ---- */

/* PID 1 of a pid namespace gets no default signal actions, so SIGTERM is
 * taken synchronously and means "exit"; SIGCHLD reaps whatever got
 * reparented to us (processes started by `exec`). */
static _Noreturn void init_loop(void)
{
        sigset_t set;

        sigfillset(&set);
        sigprocmask(SIG_BLOCK, &set, NULL);
        prctl(PR_SET_NAME, "dpt-init", 0, 0, 0);
        for (;;) {
                int sig = sigwaitinfo(&set, NULL);

                if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
                        _exit(0);
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
        }
}

struct child_args {
        const struct dpt_opts *opts;
        const char *root;
        int go_fd, ready_fd;
};

static _Noreturn void child_fail(int ready_fd, const char *msg)
{
        dprintf(ready_fd, "%s", msg);
        _exit(1);
}

static _Noreturn void child_main(const struct child_args *a)
{
        char errmsg[512], c;
        int fd;

        /* Wait until the parent has put us into our cgroups and, with a user
         * namespace, written the id maps. */
        if (read(a->go_fd, &c, 1) != 1)
                _exit(1);
        close(a->go_fd);

        if (a->opts->userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0)))
                child_fail(a->ready_fd, "become root in the user namespace");
        if (!a->opts->netns_only) {
                if (sethostname(a->opts->name, strlen(a->opts->name)) < 0)
                        child_fail(a->ready_fd, "sethostname");
                if (dpt_rootfs_enter(a->root, a->opts, errmsg, sizeof(errmsg)) <
                    0)
                        child_fail(a->ready_fd, errmsg);
        }
        /* Detach from the caller's stdio, or `$(dp-testctr start)` would
         * wait for the container to end. */
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                child_fail(a->ready_fd, "open /dev/null");
        for (int i = 0; i < 3; i++)
                if (dup2(fd, i) < 0)
                        child_fail(a->ready_fd, "dup2");
        if (fd > 2)
                close(fd);
        if (write(a->ready_fd, "OK", 2) != 2)
                _exit(1);
        close(a->ready_fd);
        init_loop();
}

/* ---- start ---- */

static void start_cleanup(const struct dpt_info *info)
{
        char dir[512];

        (void)dpt_cgroup_destroy(info->cgroup_v2, true);
        (void)dpt_cgroup_destroy(info->cgroup_v1, false);
        if (info->rootfs[0])
                (void)umount2(info->rootfs, MNT_DETACH);
        snprintf(dir, sizeof(dir), DPT_STATE_DIR "/%s", info->name);
        (void)dpt_rm_rf(dir);
}

static int write_id_maps(pid_t pid)
{
        char path[64], map[64];
        int r;

        snprintf(map, sizeof(map), "0 %u %u\n", DPT_USERNS_BASE,
                 DPT_USERNS_RANGE);
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
        r = dpt_write_file(path, map);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
        r = dpt_write_file(path, "deny");
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
        return dpt_write_file(path, map);
}

static int setup_cgroups(struct dpt_info *info, const struct dpt_opts *opts)
{
        char v1[256], v2[256];
        int r;

        r = dpt_cgroup_mounts(v1, sizeof(v1), v2, sizeof(v2));
        if (r < 0)
                return r;
        if (v1[0]) {
                snprintf(info->cgroup_v1, sizeof(info->cgroup_v1),
                         "%s/" DPT_CGROUP_PARENT "/%s", v1, opts->name);
                r = dpt_cgroup_create(info->cgroup_v1);
                if (r < 0) {
                        fprintf(stderr, "dp-testctr: mkdir %s: %s\n",
                                info->cgroup_v1, strerror(-r));
                        return r;
                }
                if (opts->v1_deny &&
                    (r = dpt_cgroup_v1_deny_default(info->cgroup_v1)) < 0) {
                        fprintf(stderr, "dp-testctr: v1 deny list: %s\n",
                                strerror(-r));
                        return r;
                }
        } else if (opts->v1_deny) {
                fprintf(stderr, "dp-testctr: --v1-deny: no cgroup v1 devices "
                                "hierarchy on this host\n");
                return -EOPNOTSUPP;
        }
        if (v2[0]) {
                snprintf(info->cgroup_v2, sizeof(info->cgroup_v2),
                         "%s/" DPT_CGROUP_PARENT "/%s", v2, opts->name);
                r = dpt_cgroup_create(info->cgroup_v2);
                if (r < 0) {
                        fprintf(stderr, "dp-testctr: mkdir %s: %s\n",
                                info->cgroup_v2, strerror(-r));
                        return r;
                }
                if (opts->v2_runtime_prog &&
                    (r = dpt_bpf_attach_runtime_prog(info->cgroup_v2)) < 0) {
                        fprintf(stderr,
                                "dp-testctr: attach device program: %s\n",
                                strerror(-r));
                        return r;
                }
        } else if (opts->v2_runtime_prog) {
                fprintf(stderr, "dp-testctr: --v2-runtime-prog: no cgroup2 "
                                "on this host\n");
                return -EOPNOTSUPP;
        }
        return 0;
}

static int cmd_start(struct dpt_opts *opts)
{
        struct dpt_info info = {};
        char dir[256], name[32], msg[600];
        int go[2] = {-1, -1}, ready[2] = {-1, -1};
        unsigned long flags;
        pid_t pid = -1;
        ssize_t n;
        int r;

        if (!opts->name) {
                unsigned rnd;

                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        rnd = (unsigned)getpid() ^ (unsigned)time(NULL);
                snprintf(name, sizeof(name), "dpt-%08x", rnd);
                opts->name = name;
        }
        if (!dpt_name_valid(opts->name)) {
                fprintf(stderr, "dp-testctr: invalid name '%s'\n", opts->name);
                return 1;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "dp-testctr: must run as root\n");
                return 1;
        }
        snprintf(info.name, sizeof(info.name), "%s", opts->name);
        info.userns = opts->userns;
        info.uid_base = info.gid_base = opts->userns ? DPT_USERNS_BASE : 0;

        r = dpt_mkdir_p(DPT_STATE_DIR, 0755);
        snprintf(dir, sizeof(dir), DPT_STATE_DIR "/%s", opts->name);
        if (r < 0 || mkdir(dir, 0755) < 0) {
                fprintf(stderr, "dp-testctr: create %s: %s\n", dir,
                        strerror(errno == EEXIST ? EEXIST : -r));
                return 1;
        }

        if (!opts->netns_only) {
                if (setup_cgroups(&info, opts) < 0)
                        goto fail;
                snprintf(info.rootfs, sizeof(info.rootfs),
                         DPT_STATE_DIR "/%s/root", opts->name);
                r = dpt_rootfs_populate(info.rootfs, opts);
                if (r < 0) {
                        fprintf(stderr, "dp-testctr: rootfs %s: %s\n",
                                info.rootfs, strerror(-r));
                        goto fail;
                }
        }

        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
                perror("dp-testctr: pipe");
                goto fail;
        }
        flags = CLONE_NEWNET;
        if (!opts->netns_only)
                flags |= CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
                         CLONE_NEWIPC;
        if (opts->userns)
                flags |= CLONE_NEWUSER;
        fflush(NULL);
        /* Raw clone without a new stack behaves like fork(): the child runs
         * on a copy of this stack, which keeps the code simple. */
        pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
        if (pid < 0) {
                perror("dp-testctr: clone");
                goto fail;
        }
        if (pid == 0) {
                struct child_args a = {.opts = opts,
                                       .root = info.rootfs,
                                       .go_fd = go[0],
                                       .ready_fd = ready[1]};

                close(go[1]);
                close(ready[0]);
                child_main(&a);
        }
        close(go[0]);
        close(ready[1]);
        go[0] = ready[1] = -1;
        info.pid = pid;

        /* Into the cgroups before the container runs anything. */
        if (info.cgroup_v1[0] &&
            (r = dpt_cgroup_attach(info.cgroup_v1, pid)) < 0) {
                fprintf(stderr, "dp-testctr: join %s: %s\n", info.cgroup_v1,
                        strerror(-r));
                goto fail;
        }
        if (info.cgroup_v2[0] &&
            (r = dpt_cgroup_attach(info.cgroup_v2, pid)) < 0) {
                fprintf(stderr, "dp-testctr: join %s: %s\n", info.cgroup_v2,
                        strerror(-r));
                goto fail;
        }
        if (opts->userns && (r = write_id_maps(pid)) < 0) {
                fprintf(stderr, "dp-testctr: id maps: %s\n", strerror(-r));
                goto fail;
        }
        if (write(go[1], "g", 1) != 1) {
                perror("dp-testctr: sync");
                goto fail;
        }
        close(go[1]);
        go[1] = -1;

        n = 0;
        for (;;) {
                ssize_t k =
                        read(ready[0], msg + n, sizeof(msg) - 1 - (size_t)n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += k;
                if ((size_t)n >= sizeof(msg) - 1)
                        break;
        }
        msg[n < 0 ? 0 : n] = 0;
        if (!streq(msg, "OK")) {
                fprintf(stderr, "dp-testctr: container setup failed: %s\n",
                        msg[0] ? msg : "init died");
                goto fail;
        }
        close(ready[0]);
        ready[0] = -1;

        r = dpt_proc_starttime(pid, &info.starttime);
        if (r >= 0)
                r = dpt_info_write(&info);
        if (r < 0) {
                fprintf(stderr, "dp-testctr: state: %s\n", strerror(-r));
                goto fail;
        }
        printf("%d %s\n", (int)pid, opts->name);
        fflush(stdout);
        return 0;

fail:
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
        for (int i = 0; i < 2; i++) {
                safe_close(go[i]);
                safe_close(ready[i]);
        }
        start_cleanup(&info);
        return 1;
}

/* ---- stop / info ---- */

/* Whether PID has exited (gone, reused or a zombie). */
static bool pid_exited(pid_t pid, unsigned long long starttime)
{
        unsigned long long now;
        char path[64], buf[512], *p;

        if (dpt_proc_starttime(pid, &now) < 0 || now != starttime)
                return true;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        if (dpt_read_file(path, buf, sizeof(buf)) < 0)
                return true;
        p = strrchr(buf, ')');
        return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* A pidfd polls readable once the process has exited; without pidfds
 * (old kernels, valgrind) fall back to polling /proc. */
static bool wait_exit(int pidfd, const struct dpt_info *info, int timeout_ms)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};

        if (pidfd >= 0)
                return poll(&p, 1, timeout_ms) > 0;
        for (int waited = 0; waited < timeout_ms; waited += 10) {
                if (pid_exited(info->pid, info->starttime))
                        return true;
                usleep(10000);
        }
        return pid_exited(info->pid, info->starttime);
}

static int kill_and_wait(const struct dpt_info *info)
{
        _cleanup_close_ int fd = -EBADF;

        /* A pid whose start time changed is someone else's process. */
        if (pid_exited(info->pid, info->starttime))
                return 0;
        fd = (int)syscall(SYS_pidfd_open, info->pid, 0);
        if (fd < 0 && errno == ESRCH)
                return 0;
        if (fd >= 0) {
                if (syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0 &&
                    errno != ESRCH)
                        return negative_errno();
        } else if (kill(info->pid, SIGKILL) < 0 && errno != ESRCH) {
                return negative_errno();
        }
        if (wait_exit(fd, info, 2000))
                return 0;
        /* The init of a pid namespace only finishes exiting once every
         * process of the namespace has been reaped; one whose parent is
         * outside (a stuck `exec`) holds it up: kill the whole cgroup. */
        (void)dpt_cgroup_destroy(info->cgroup_v2, true);
        (void)dpt_cgroup_destroy(info->cgroup_v1, false);
        return wait_exit(fd, info, 10000) ? 0 : -ETIMEDOUT;
}

static int cmd_stop(const char *ref)
{
        struct dpt_info info;
        char dir[512];
        int r, ret = 0;

        r = info_lookup(ref, &info);
        if (r < 0) {
                /* Idempotent; still sweep a half-created state dir. */
                if (dpt_name_valid(ref)) {
                        snprintf(dir, sizeof(dir), DPT_STATE_DIR "/%s", ref);
                        snprintf(info.rootfs, sizeof(info.rootfs),
                                 DPT_STATE_DIR "/%s/root", ref);
                        (void)umount2(info.rootfs, MNT_DETACH);
                        (void)dpt_rm_rf(dir);
                }
                return 0;
        }
        r = kill_and_wait(&info);
        if (r < 0) {
                fprintf(stderr, "dp-testctr: kill %d: %s\n", (int)info.pid,
                        strerror(-r));
                ret = 1;
        }
        r = dpt_cgroup_destroy(info.cgroup_v2, true);
        if (r < 0) {
                fprintf(stderr, "dp-testctr: remove %s: %s\n", info.cgroup_v2,
                        strerror(-r));
                ret = 1;
        }
        r = dpt_cgroup_destroy(info.cgroup_v1, false);
        if (r < 0) {
                fprintf(stderr, "dp-testctr: remove %s: %s\n", info.cgroup_v1,
                        strerror(-r));
                ret = 1;
        }
        if (info.rootfs[0])
                while (umount2(info.rootfs, MNT_DETACH) == 0)
                        ;
        snprintf(dir, sizeof(dir), DPT_STATE_DIR "/%s", info.name);
        /* The info file goes last, so a failed stop can be retried. */
        if (ret == 0) {
                r = dpt_rm_rf(dir);
                if (r < 0) {
                        fprintf(stderr, "dp-testctr: remove %s: %s\n", dir,
                                strerror(-r));
                        ret = 1;
                }
        }
        return ret;
}

static int cmd_info(const char *ref)
{
        struct dpt_info info;
        int r = info_lookup(ref, &info);

        if (r < 0) {
                fprintf(stderr, "dp-testctr: no container %s\n", ref);
                return 1;
        }
        dpt_info_print(&info, stdout);
        return 0;
}

/* As a runtime re-applying its config would: its own program in place of
 * whatever is attached at the container's cgroup2 cgroup. */
static int cmd_v2_reapply(const char *ref)
{
        struct dpt_info info;
        int r = info_lookup(ref, &info);

        if (r < 0) {
                fprintf(stderr, "dp-testctr: no container %s\n", ref);
                return 1;
        }
        r = info.cgroup_v2[0] ? dpt_bpf_reapply_runtime_prog(info.cgroup_v2)
                              : -ENOENT;
        if (r < 0) {
                fprintf(stderr, "dp-testctr: v2-reapply: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}

static int main_start(int argc, char **argv)
{
        enum { O_NAME = 256, O_USERNS, O_V1, O_V2, O_USR, O_NET };
        static const struct option longopts[] = {
                {"name", required_argument, NULL, O_NAME},
                {"userns", no_argument, NULL, O_USERNS},
                {"v1-deny", no_argument, NULL, O_V1},
                {"v2-runtime-prog", no_argument, NULL, O_V2},
                {"share-usr", no_argument, NULL, O_USR},
                {"netns-only", no_argument, NULL, O_NET},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct dpt_opts opts = {};
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) >= 0) {
                switch (c) {
                case O_NAME:
                        opts.name = optarg;
                        break;
                case O_USERNS:
                        opts.userns = true;
                        break;
                case O_V1:
                        opts.v1_deny = true;
                        break;
                case O_V2:
                        opts.v2_runtime_prog = true;
                        break;
                case O_USR:
                        opts.share_usr = true;
                        break;
                case O_NET:
                        opts.netns_only = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return 2;
        }
        return cmd_start(&opts);
}

int main(int argc, char **argv)
{
        const char *verb;
        pid_t pid;

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        verb = argv[1];
        if (streq(verb, "start"))
                return main_start(argc - 1, argv + 1);
        if (streq(verb, "-h") || streq(verb, "--help")) {
                usage(stdout);
                return 0;
        }
        if (streq(verb, "stop") && argc == 3)
                return cmd_stop(argv[2]);
        if (streq(verb, "info") && argc == 3)
                return cmd_info(argv[2]);
        if (streq(verb, "v2-reapply") && argc == 3)
                return cmd_v2_reapply(argv[2]);
        if (argc < 4 || parse_pid(argv[2], &pid) < 0) {
                usage(stderr);
                return 2;
        }
        if (streq(verb, "exec")) {
                int i = 3;

                if (streq(argv[i], "--"))
                        i++;
                if (i >= argc) {
                        usage(stderr);
                        return 2;
                }
                return dpt_cmd_exec(pid, argv + i);
        }
        if (streq(verb, "open") && argc <= 5)
                return dpt_cmd_open(pid, argv[3], argc == 5 ? argv[4] : "r");
        usage(stderr);
        return 2;
}
