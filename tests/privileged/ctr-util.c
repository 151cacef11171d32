/* SPDX-License-Identifier: MIT */
#include "devpass/config.h"
#include "ctr-util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

const char *dpt_testctr;
static const char *ctr_prefix = "dpt";
static int cmd_timeout_ms;
static unsigned ctr_seq;

void dpt_ctr_init(const char *testctr, const char *prefix, int timeout_ms)
{
        dpt_testctr = testctr;
        ctr_prefix = prefix;
        cmd_timeout_ms = timeout_ms;
}

static long ms_since(const struct timespec *start)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - start->tv_sec) * 1000 +
               (now.tv_nsec - start->tv_nsec) / 1000000;
}

int dpt_run_argv(char **out, size_t *out_len, const char *const argv[])
{
        struct timespec start;
        int pfd[2], status;
        char *buf = NULL;
        size_t len = 0, alloc = 0;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -1;
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                dup2(pfd[1], STDOUT_FILENO);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        close(pfd[1]);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                struct pollfd p = {.fd = pfd[0], .events = POLLIN};
                long left = -1;
                ssize_t n;

                if (cmd_timeout_ms > 0)
                        left = cmd_timeout_ms - ms_since(&start);
                if (cmd_timeout_ms > 0 &&
                    (left <= 0 || poll(&p, 1, (int)left) == 0)) {
                        fprintf(stderr, "%s %s: timed out, killed\n", argv[0],
                                argv[1]);
                        kill(pid, SIGKILL);
                        break;
                }
                if (alloc - len < 4096) {
                        alloc = alloc ? alloc * 2 : 8192;
                        buf = realloc(buf, alloc + 1);
                        assert_non_null(buf);
                }
                n = read(pfd[0], buf + len, alloc - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        close(pfd[0]);
        if (buf)
                buf[len] = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        free(buf);
                        return -1;
                }
        if (out)
                *out = buf;
        else
                free(buf);
        if (out_len)
                *out_len = len;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int dpt_ctr_sh(const dpt_ctr *t, char **out, const char *fmt, ...)
{
        const char *argv[] = {dpt_testctr, "exec", t->pidstr, "--",
                              "sh",        "-c",   NULL,      NULL};
        _cleanup_free_ char *cmd = NULL;
        char *o = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        assert_true(r >= 0);
        argv[6] = cmd;
        r = dpt_run_argv(&o, NULL, argv);
        if (o) {
                size_t n = strlen(o);

                while (n > 0 && o[n - 1] == '\n')
                        o[--n] = 0;
        }
        if (out)
                *out = o;
        else
                free(o);
        return r;
}

static void ctr_free(dpt_ctr *t)
{
        safe_close(t->c.pidfd);
        free(t->c.ref);
        free(t->c.name);
        free(t->c.uid_map);
        free(t->c.gid_map);
        free(t->c.cgroup_v1_devices);
        free(t->c.cgroup_v2);
        free(t);
}

void dpt_ctr_stop(dpt_ctr *t)
{
        const char *argv[] = {dpt_testctr, "stop", NULL, NULL};

        if (!t)
                return;
        if (t->name[0]) {
                argv[2] = t->name;
                (void)dpt_run_argv(NULL, NULL, argv);
        }
        ctr_free(t);
}

/* Reads `dp-testctr info PID` into t. */
static int ctr_read_info(dpt_ctr *t)
{
        const char *argv[] = {dpt_testctr, "info", t->pidstr, NULL};
        _cleanup_free_ char *info = NULL;
        char *save = NULL;

        if (dpt_run_argv(&info, NULL, argv) != 0 || !info)
                return -1;
        for (char *l = strtok_r(info, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
                if (strneq(l, "uid_base=", 9))
                        t->uid_base = (unsigned)strtoul(l + 9, NULL, 10);
                else if (strneq(l, "gid_base=", 9))
                        t->gid_base = (unsigned)strtoul(l + 9, NULL, 10);
                else if (strneq(l, "rootfs=", 7))
                        snprintf(t->rootfs, sizeof(t->rootfs), "%s", l + 7);
                else if (strneq(l, "cgroup_v1=", 10) && l[10])
                        t->c.cgroup_v1_devices = strdup(l + 10);
                else if (strneq(l, "cgroup_v2=", 10) && l[10])
                        t->c.cgroup_v2 = strdup(l + 10);
        }
        return 0;
}

/* The dp_container that container resolution would produce for pid. */
static int ctr_describe(dpt_ctr *t, int pid, bool userns)
{
        t->c.pid = pid;
        t->c.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (t->c.pidfd < 0)
                return -1;
        t->c.runtime = DP_RUNTIME_PID;
        if (asprintf(&t->c.ref, "pid:%d", pid) < 0) {
                t->c.ref = NULL;
                return -1;
        }
        t->c.name = strdup(t->pidstr);
        t->c.userns = userns;
        if (userns) {
                t->c.uid_map = calloc(1, sizeof(dp_idmap_range));
                t->c.gid_map = calloc(1, sizeof(dp_idmap_range));
                if (!t->c.uid_map || !t->c.gid_map || t->uid_base == 0)
                        return -1;
                *t->c.uid_map = (dp_idmap_range){0, t->uid_base, 65536};
                *t->c.gid_map = (dp_idmap_range){0, t->gid_base, 65536};
                t->c.n_uid_map = t->c.n_gid_map = 1;
        }
        return 0;
}

dpt_ctr *dpt_ctr_start(bool userns, bool share_usr)
{
        const char *argv[] = {dpt_testctr, "start", "--name", NULL,
                              NULL,        NULL,    NULL};
        _cleanup_free_ char *out = NULL;
        dpt_ctr *t = calloc(1, sizeof(*t));
        int pid = 0, n = 4;

        if (!t)
                return NULL;
        t->c.pidfd = -EBADF;
        snprintf(t->name, sizeof(t->name), "%s%d-%u", ctr_prefix, (int)getpid(),
                 ++ctr_seq);
        argv[3] = t->name;
        if (userns)
                argv[n++] = "--userns";
        if (share_usr)
                argv[n++] = "--share-usr";
        if (dpt_run_argv(&out, NULL, argv) != 0 || !out ||
            sscanf(out, "%d", &pid) != 1 || pid <= 0) {
                fprintf(stderr, "dp-testctr start failed: %s\n", strna(out));
                ctr_free(t);
                return NULL;
        }
        snprintf(t->pidstr, sizeof(t->pidstr), "%d", pid);
        if (ctr_read_info(t) < 0 || ctr_describe(t, pid, userns) < 0) {
                fprintf(stderr, "cannot describe container %s\n", t->name);
                dpt_ctr_stop(t);
                return NULL;
        }
        return t;
}

int dpt_ctr_setup_priv(void **state)
{
        return (*state = dpt_ctr_start(false, false)) ? 0 : -1;
}

int dpt_ctr_setup_userns(void **state)
{
        return (*state = dpt_ctr_start(true, false)) ? 0 : -1;
}

int dpt_ctr_teardown(void **state)
{
        dpt_ctr_stop(*state);
        *state = NULL;
        return 0;
}

int dpt_loop_make(dpt_loop *l, const char *file_template, const char *marker)
{
        const char *argv[] = {"/sbin/losetup", "--find", "--show", l->file,
                              NULL};
        _cleanup_free_ char *out = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        snprintf(l->file, sizeof(l->file), "%s", file_template);
        l->dev[0] = 0;
        fd = mkstemp(l->file);
        if (fd < 0) {
                l->file[0] = 0;
                return -1;
        }
        if (marker &&
            write(fd, marker, strlen(marker)) != (ssize_t)strlen(marker))
                return -1;
        if (ftruncate(fd, 1 << 20) < 0)
                return -1;
        if (dpt_run_argv(&out, NULL, argv) != 0 || !out)
                return -1;
        out[strcspn(out, "\n")] = 0;
        snprintf(l->dev, sizeof(l->dev), "%s", out);
        if (!strneq(l->dev, "/dev/", 5) || stat(l->dev, &st) < 0 ||
            !S_ISBLK(st.st_mode))
                return -1;
        l->major = major(st.st_rdev);
        l->minor = minor(st.st_rdev);
        return 0;
}

void dpt_loop_remove(dpt_loop *l)
{
        const char *argv[] = {"/sbin/losetup", "-d", l->dev, NULL};

        if (l->dev[0])
                (void)dpt_run_argv(NULL, NULL, argv);
        if (l->file[0])
                (void)unlink(l->file);
}

int dpt_nodedir_make(char *dir)
{
        if (!mkdtemp(dir))
                return -1;
        dp_config_set("node-dir", dir);
        return 0;
}

void dpt_nodedir_remove(const char *dir)
{
        while (umount2(dir, MNT_DETACH) == 0)
                ;
        (void)rmdir(dir);
}
