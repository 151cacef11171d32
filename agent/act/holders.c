/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "devpass/act.h"
#include "devpass/util.h"
#include "pidns.h"

/* A device cgroup checks only at open(): a descriptor opened before a
 * revoke keeps working. These helpers find such holders inside a container
 * (its init's pid namespace and every one nested below it) and, for the
 * device kinds the kernel can revoke (evdev, hidraw), revoke them through a
 * duplicate taken with pidfd_getfd(). Out of reach: a descriptor in flight
 * in an SCM_RIGHTS message (held by a socket, not a process) and one passed
 * to a process outside the container's pid namespaces. The caller denies
 * the device in the cgroup first, so no new descriptor appears meanwhile. */

#ifndef HIDIOCREVOKE
#define HIDIOCREVOKE _IOW('H', 0x0D, int) /* Linux 6.12 */
#endif
#define INPUT_MAJOR_NUM  13
#define EVDEV_MINOR_BASE 64

static bool same_file(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int dp_pidns_fd_within(int nsfd, const struct stat *ns, const struct stat *self)
{
        _cleanup_close_ int cur = -EBADF;
        struct stat st;

        if (fstat(nsfd, &st) < 0)
                return negative_errno();
        for (unsigned depth = 0;; depth++) {
                int parent;

                if (same_file(&st, ns))
                        return 1;
                /* Our own namespace or its ancestors are never below a
                 * container's; deeper than the kernel nests is a loop. */
                if (same_file(&st, self) || depth >= DP_PIDNS_MAX_DEPTH)
                        return 0;
                parent = ioctl(cur >= 0 ? cur : nsfd, NS_GET_PARENT);
                if (parent < 0)
                        /* EPERM: above our own namespace, so not below the
                         * container's (which we can see). */
                        return errno == EPERM ? 0 : negative_errno();
                safe_close(cur);
                cur = parent;
                if (fstat(cur, &st) < 0)
                        return negative_errno();
        }
}

int dp_pidns_pid_within(pid_t pid, const struct stat *ns,
                        const struct stat *self)
{
        _cleanup_close_ int fd = -EBADF;
        char p[64];

        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        return dp_pidns_fd_within(fd, ns, self);
}

typedef int (*holder_fn)(pid_t pid, int fd, void *userdata);

/* True if the descriptor behind /proc/PID/fd/NAME (fds) is the node. The
 * stat follows the magic link without opening anything; AT_STATX_DONT_SYNC
 * lets network and FUSE filesystems answer from their cache, so a
 * container's FUSE daemon cannot stall the walk. */
static bool fd_is_node(DIR *fds, const char *name, char type, unsigned major,
                       unsigned minor)
{
        struct statx stx;

        if (statx(dirfd(fds), name, AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0)
                return false;
        if (!(type == 'c' ? S_ISCHR(stx.stx_mode) : S_ISBLK(stx.stx_mode)))
                return false;
        return stx.stx_rdev_major == major && stx.stx_rdev_minor == minor;
}

/* Calls fn for every (pid, fd) whose descriptor is the device node (type,
 * major, minor), among the processes in the pid namespace of init and in
 * every pid namespace below it. */
static int for_each_holder(pid_t init, char type, unsigned major,
                           unsigned minor, holder_fn fn, void *userdata)
{
        _cleanup_(closedirp) DIR *proc = NULL;
        struct stat ns, self;
        struct dirent *de;
        char p[64];

        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)init);
        if (stat(p, &ns) < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        if (stat("/proc/self/ns/pid", &self) < 0)
                return negative_errno();
        proc = opendir("/proc");
        if (!proc)
                return negative_errno();
        while ((de = readdir(proc))) {
                _cleanup_(closedirp) DIR *fds = NULL;
                struct dirent *fe;
                unsigned pid;
                int r;

                if (safe_atou(de->d_name, &pid) < 0 ||
                    dp_pidns_pid_within((pid_t)pid, &ns, &self) <= 0)
                        continue;
                snprintf(p, sizeof(p), "/proc/%u/fd", pid);
                fds = opendir(p);
                if (!fds)
                        continue; /* exited meanwhile */
                while ((fe = readdir(fds))) {
                        unsigned fd;

                        if (safe_atou(fe->d_name, &fd) < 0 ||
                            !fd_is_node(fds, fe->d_name, type, major, minor))
                                continue;
                        r = fn((pid_t)pid, (int)fd, userdata);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

typedef struct pid_set {
        pid_t *pids;
        size_t n;
} pid_set;

static int collect(pid_t pid, int fd, void *userdata)
{
        pid_set *s = userdata;
        pid_t *a;

        for (size_t i = 0; i < s->n; i++)
                if (s->pids[i] == pid)
                        return 0;
        a = realloc(s->pids, sizeof(pid_t) * (s->n + 1));
        if (!a)
                return -ENOMEM;
        s->pids = a;
        a[s->n++] = pid;
        return 0;
}

int dp_act_holders(pid_t init, char type, unsigned major, unsigned minor,
                   pid_t **ret, size_t *ret_n)
{
        pid_set s = {};
        int r = for_each_holder(init, type, major, minor, collect, &s);

        if (r < 0) {
                free(s.pids);
                return r;
        }
        *ret = s.pids;
        *ret_n = s.n;
        return 0;
}

typedef struct revoke_ctx {
        unsigned long request;
        unsigned n;
        int error;
} revoke_ctx;

static int revoke_one(pid_t pid, int fd, void *userdata)
{
        revoke_ctx *ctx = userdata;
        _cleanup_close_ int pidfd = -EBADF, dup = -EBADF;

        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return 0; /* exited: nothing left to revoke */
        dup = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        if (dup < 0) {
                if (ctx->error == 0 && errno != ESRCH && errno != EBADF)
                        ctx->error = negative_errno();
                return 0;
        }
        /* revoking through a duplicate revokes the shared open file */
        if (ioctl(dup, ctx->request, 0) < 0) {
                if (ctx->error == 0)
                        ctx->error = negative_errno();
                return 0;
        }
        ctx->n++;
        return 0;
}

int dp_act_revoke_open(pid_t init, char type, unsigned major, unsigned minor,
                       unsigned hidraw_major)
{
        revoke_ctx ctx = {};
        int r;

        if (type == 'c' && major == INPUT_MAJOR_NUM &&
            minor >= EVDEV_MINOR_BASE)
                ctx.request = EVIOCREVOKE;
        else if (type == 'c' && hidraw_major && major == hidraw_major)
                ctx.request = HIDIOCREVOKE;
        else
                return -EOPNOTSUPP;
        r = for_each_holder(init, type, major, minor, revoke_one, &ctx);
        if (r < 0)
                return r;
        if (ctx.n == 0 && ctx.error < 0)
                return ctx.error;
        return (int)ctx.n;
}
