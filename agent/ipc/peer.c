/* SPDX-License-Identifier: MIT */
/* Who is on the other end of an IPC connection: the peer, pinned by its
 * pidfd where the kernel has SO_PEERPIDFD, and checked to run in the
 * agent's own pid and user namespaces. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "ipc/server.h"
#include "devpass/util.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

static bool same_ns(pid_t pid, const char *ns, struct stat *self)
{
        char p[64];
        struct stat a;

        /* ours never change: looked up once */
        if (self->st_ino == 0) {
                snprintf(p, sizeof(p), "/proc/self/ns/%s", ns);
                if (stat(p, self) < 0)
                        return false;
        }
        snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, ns);
        return stat(p, &a) == 0 && a.st_ino == self->st_ino &&
               a.st_dev == self->st_dev;
}

/* The peer runs in the agent's pid and user namespaces (not inside a
 * container that was handed the socket). */
bool dp_ipc_same_namespaces(pid_t pid)
{
        static struct stat pidns, userns;

        return pid > 0 && same_ns(pid, "pid", &pidns) &&
               same_ns(pid, "user", &userns);
}

/* The pid a pidfd pins, from its fdinfo; -ESRCH once the process is gone
 * (the kernel reports -1 then). */
static int pidfd_pid(int pidfd, pid_t *ret)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        const char *p;
        int pid;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        if (read_full_file(path, &text, NULL) < 0)
                return -EIO;
        p = strstr(text, "\nPid:");
        if (!p || sscanf(p + 5, "%d", &pid) != 1)
                return -EIO;
        if (pid <= 0)
                return -ESRCH;
        *ret = pid;
        return 0;
}

bool dp_ipc_pidfd_alive(int pidfd)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};

        /* readable once the process has exited */
        return poll(&p, 1, 0) == 0;
}

/* The peer, pinned: with SO_PEERPIDFD the checks below name the process
 * that connected, not whatever process got its pid since. -errno: refuse
 * the connection; on a kernel without SO_PEERPIDFD *ret_pidfd is -1 and
 * the pid SO_PEERCRED gave stands. */
int dp_ipc_peer_pin(int fd, const struct ucred *cred, int *ret_pidfd,
                    pid_t *ret_pid)
{
        _cleanup_close_ int pidfd = -EBADF;
        socklen_t len = sizeof(int);
        int v = -1, r;
        pid_t pid;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &v, &len) < 0) {
                if (errno != ENOPROTOOPT)
                        return negative_errno();
                *ret_pidfd = -1;
                *ret_pid = cred->pid;
                return 0;
        }
        pidfd = v;
        r = pidfd_pid(pidfd, &pid);
        if (r < 0)
                return r;
        if (!dp_ipc_same_namespaces(pid) || !dp_ipc_pidfd_alive(pidfd))
                return -EPERM; /* or it exited under the check */
        *ret_pidfd = TAKE_FD(pidfd);
        *ret_pid = pid;
        return 0;
}
