/* SPDX-License-Identifier: MIT */
/* Asking a runtime through its command-line tool, for runtimes that have no
 * daemon to talk to (Podman without its API service). The program is run
 * only if root owns it and its directory and no one else may write either:
 * whoever can replace it decides what devpass believes. Its answer is then
 * authenticated like any runtime answer (runtime-auth.c). */
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/runtime.h"
#include "devpass/util.h"

static bool root_only(const struct stat *st)
{
        return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static int program_trusted(const char *bin)
{
        _cleanup_free_ char *copy = NULL;
        struct stat st, dst;

        if (!bin || bin[0] != '/')
                return -EINVAL;
        /* stat(), not lstat(): /usr/bin/podman may be an alternatives link;
         * what runs is the target, and that is what must be root's. */
        if (stat(bin, &st) < 0)
                return errno == ENOENT || errno == ENOTDIR ? -ENOMEDIUM
                                                           : negative_errno();
        if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
                return -ENOMEDIUM;
        copy = strdup(bin);
        if (!copy)
                return -ENOMEM;
        if (stat(dirname(copy), &dst) < 0)
                return negative_errno();
        if (!root_only(&st) || !root_only(&dst))
                return -EKEYREJECTED;
        return 0;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __attribute__((noreturn)) void child_exec(const char *bin,
                                                 char *const *argv, int out)
{
        /* Nothing of the caller's environment: a PATH or a config variable
         * of the agent's caller must not change what the tool reads. */
        static char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                    "HOME=/root", "LC_ALL=C", NULL};
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(null, 2) < 0)
                _exit(127);
        (void)close_range(3, ~0U, 0);
        execve(bin, argv, env);
        _exit(127);
}

/* Reads the child's stdout until EOF or the deadline. */
static int read_until(int fd, int64_t deadline, char **buf, size_t *len)
{
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int64_t left = deadline - now_ms();
                char tmp[16384];
                ssize_t n;
                char *nb;

                if (left <= 0)
                        return -ETIMEDOUT;
                n = poll(&p, 1, (int)left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -ETIMEDOUT;
                n = read(fd, tmp, sizeof(tmp));
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return 0;
                if (*len + (size_t)n > DP_HTTP_MAX_RESPONSE)
                        return -EFBIG;
                nb = realloc(*buf, *len + (size_t)n + 1);
                if (!nb)
                        return -ENOMEM;
                *buf = nb;
                memcpy(*buf + *len, tmp, (size_t)n);
                *len += (size_t)n;
                (*buf)[*len] = 0;
        }
}

/* Waits for the child; one that closed its stdout early and hangs is killed
 * at the deadline (-1: already killed, just reap). */
static int reap(pid_t pid, int64_t deadline, int *status)
{
        for (;;) {
                pid_t w = waitpid(pid, status, deadline < 0 ? 0 : WNOHANG);

                if (w == pid)
                        return 0;
                if (w < 0 && errno != EINTR)
                        return negative_errno();
                if (w == 0 && now_ms() >= deadline) {
                        kill(pid, SIGKILL);
                        (void)waitpid(pid, status, 0);
                        return -ETIMEDOUT;
                }
                if (w == 0)
                        (void)nanosleep(&(struct timespec){.tv_nsec = 1000000},
                                        NULL);
        }
}

int dp_capture(const char *bin, char *const *argv, int timeout_ms,
               int *ret_status, char **ret_out, size_t *ret_size)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int rfd = -EBADF;
        size_t len = 0;
        int64_t deadline;
        int p[2], r, r2, status;
        pid_t pid;

        if (!argv || !argv[0] || timeout_ms <= 0)
                return -EINVAL;
        r = program_trusted(bin);
        if (r < 0)
                return r;
        if (pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pid == 0)
                child_exec(bin, argv, p[1]);
        close(p[1]);
        rfd = p[0];
        deadline = now_ms() + timeout_ms;
        r = read_until(rfd, deadline, &buf, &len);
        if (r < 0)
                kill(pid, SIGKILL);
        r2 = reap(pid, r < 0 ? -1 : deadline, &status);
        if (r < 0)
                return r;
        if (r2 < 0)
                return r2;
        if (!buf && !(buf = strdup("")))
                return -ENOMEM;
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        *ret_out = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = len;
        return 0;
}
