/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "devpass/act.h"
#include "devpass/util.h"

/* A device cgroup checks only at open(): a descriptor opened before a
 * revoke keeps working. These helpers find such holders inside a container
 * and, for the device kinds the kernel can revoke (evdev, hidraw), revoke
 * them through a duplicate taken with pidfd_getfd(). */

#ifndef HIDIOCREVOKE
#define HIDIOCREVOKE _IOW('H', 0x0D, int) /* Linux 6.12 */
#endif
#define INPUT_MAJOR_NUM  13
#define EVDEV_MINOR_BASE 64

static int pidns_inode(pid_t pid, ino_t *ret)
{
        char p[64];
        struct stat st;

        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
        if (stat(p, &st) < 0)
                return negative_errno();
        *ret = st.st_ino;
        return 0;
}

typedef int (*holder_fn)(pid_t pid, int fd, void *userdata);

/* Calls fn for every (pid, fd) in c's pid namespace whose descriptor is
 * the device node (type, major, minor). */
static int for_each_holder(pid_t init, char type, unsigned major,
                           unsigned minor, holder_fn fn, void *userdata)
{
        _cleanup_(closedirp) DIR *proc = NULL;
        struct dirent *de;
        ino_t ns;
        int r;

        r = pidns_inode(init, &ns);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        proc = opendir("/proc");
        if (!proc)
                return negative_errno();
        while ((de = readdir(proc))) {
                _cleanup_(closedirp) DIR *fds = NULL;
                struct dirent *fe;
                unsigned pid;
                ino_t pns;
                char p[64];

                if (safe_atou(de->d_name, &pid) < 0 ||
                    pidns_inode((pid_t)pid, &pns) < 0 || pns != ns)
                        continue;
                snprintf(p, sizeof(p), "/proc/%u/fd", pid);
                fds = opendir(p);
                if (!fds)
                        continue; /* exited meanwhile */
                while ((fe = readdir(fds))) {
                        struct stat st;
                        unsigned fd;

                        if (safe_atou(fe->d_name, &fd) < 0 ||
                            fstatat(dirfd(fds), fe->d_name, &st, 0) < 0)
                                continue;
                        if (!(type == 'c' ? S_ISCHR(st.st_mode)
                                          : S_ISBLK(st.st_mode)) ||
                            major(st.st_rdev) != major ||
                            minor(st.st_rdev) != minor)
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
