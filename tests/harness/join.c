/* SPDX-License-Identifier: MIT */
/* `exec` and `open`: run something inside a container the way a runtime's
 * attach does, so that device-cgroup checks and namespaces apply to it.
 * Works on any process tree (dp-testctr, LXC, ...): the cgroups are taken
 * from /proc/PID/cgroup and the namespaces from /proc/PID/ns. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp-testctr.h"

static const struct {
        const char *name;
        int flag;
} namespaces[] = {
        /* user first: it grants the capabilities needed for the others. */
        {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID},
        {"net", CLONE_NEWNET},   {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},
};

static int join_namespaces(pid_t pid)
{
        int fds[ELEMENTSOF(namespaces)];
        char v1[512], v2[512], path[128];
        bool joined_user = false;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++)
                fds[i] = -EBADF;
        /* Both cgroup writes happen on the host's view of /sys/fs/cgroup,
         * before the mount namespace changes. */
        r = dpt_cgroup_of_pid(pid, v1, sizeof(v1), v2, sizeof(v2));
        if (r < 0)
                return r;
        if (v1[0] && (r = dpt_cgroup_attach(v1, getpid())) < 0)
                return r;
        if (v2[0] && (r = dpt_cgroup_attach(v2, getpid())) < 0)
                return r;

        /* Open every namespace before entering any: once in the mount
         * namespace, /proc is the container's. */
        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++) {
                struct stat theirs, ours;

                snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid,
                         namespaces[i].name);
                int fd = open(path, O_RDONLY | O_CLOEXEC);

                if (fd < 0) {
                        r = negative_errno();
                        goto out;
                }
                snprintf(path, sizeof(path), "/proc/self/ns/%s",
                         namespaces[i].name);
                if (fstat(fd, &theirs) < 0 || stat(path, &ours) < 0) {
                        r = negative_errno();
                        close(fd);
                        goto out;
                }
                /* Re-entering our own namespace is not a no-op (setns of a
                 * mount namespace resets root and cwd): skip it. */
                if (theirs.st_ino == ours.st_ino &&
                    theirs.st_dev == ours.st_dev) {
                        close(fd);
                        continue;
                }
                fds[i] = fd;
        }
        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++) {
                if (fds[i] < 0)
                        continue;
                if (setns(fds[i], namespaces[i].flag) < 0) {
                        r = negative_errno();
                        goto out;
                }
                if (namespaces[i].flag == CLONE_NEWUSER)
                        joined_user = true;
        }
        if (joined_user && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
                r = negative_errno();
                goto out;
        }
        if (chdir("/") < 0)
                r = negative_errno();
out:
        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++)
                safe_close(fds[i]);
        return r;
}

static int wait_child(pid_t child);

/* The joining is done by an intermediate child, so the calling process
 * stays in the host's cgroups and namespaces (its exit path, sanitizers
 * included, must not run against the container's /proc). The intermediate
 * only waits for the final child and leaves with _exit(). */
int dpt_join(pid_t pid)
{
        pid_t mid, inner;
        int r;

        fflush(NULL);
        mid = fork();
        if (mid < 0)
                return negative_errno();
        if (mid > 0)
                return mid;

        r = join_namespaces(pid);
        if (r < 0) {
                fprintf(stderr, "dp-testctr: cannot enter %d: %s\n", (int)pid,
                        strerror(-r));
                _exit(DPT_JOIN_FAILED);
        }
        /* setns(CLONE_NEWPID) only applies to children. */
        inner = fork();
        if (inner < 0) {
                fprintf(stderr, "dp-testctr: fork: %s\n", strerror(errno));
                _exit(DPT_JOIN_FAILED);
        }
        if (inner == 0)
                return 0;
        _exit(wait_child(inner));
}

static int wait_child(pid_t child)
{
        int status;

        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return 1;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 1;
}

int dpt_cmd_exec(pid_t pid, char **argv)
{
        int r = dpt_join(pid);

        if (r < 0) {
                fprintf(stderr, "dp-testctr: fork: %s\n", strerror(-r));
                return DPT_JOIN_FAILED;
        }
        if (r == 0) {
                /* The host's PATH may not fit the container's layout. */
                setenv("PATH",
                       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                       "/sbin:/bin",
                       1);
                execvp(argv[0], argv);
                fprintf(stderr, "dp-testctr: exec %s: %s\n", argv[0],
                        strerror(errno));
                _exit(127);
        }
        return wait_child(r);
}

int dpt_cmd_open(pid_t pid, const char *path, const char *mode)
{
        int flags, r;

        if (streq(mode, "r"))
                flags = O_RDONLY;
        else if (streq(mode, "w"))
                flags = O_WRONLY;
        else if (streq(mode, "rw"))
                flags = O_RDWR;
        else {
                fprintf(stderr, "dp-testctr: bad open mode '%s'\n", mode);
                return 2;
        }
        r = dpt_join(pid);
        if (r < 0) {
                fprintf(stderr, "dp-testctr: fork: %s\n", strerror(-r));
                return 1;
        }
        if (r == 0) {
                /* O_NONBLOCK: a tty or fifo must not hang the check. */
                int fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

                if (fd < 0) {
                        const char *name = strerrorname_np(errno);

                        printf("%s\n", name ? name : "EUNKNOWN");
                        fflush(stdout);
                        _exit(1);
                }
                printf("OK\n");
                fflush(stdout);
                close(fd);
                _exit(0);
        }
        r = wait_child(r);
        /* Not being able to enter is a failure of `open` too. */
        return r == DPT_JOIN_FAILED ? 1 : r;
}
