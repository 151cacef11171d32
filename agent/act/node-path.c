/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devpass/macro.h"
#include "node-path.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

_Static_assert(DP_RESOLVE_SAFE_IN_ROOT ==
                       (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
                        RESOLVE_NO_MAGICLINKS),
               "resolve flags drifted from linux/openat2.h");

int dp_openat2(int dirfd, const char *path, int flags, mode_t mode,
               uint64_t resolve)
{
        struct open_how how = {
                .flags = (uint64_t)(unsigned)flags,
                .mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0,
                .resolve = resolve,
        };
        long fd;

        do
                fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        while (fd < 0 && errno == EINTR);
        return fd < 0 ? negative_errno() : (int)fd;
}

bool dp_path_is_safe_absolute(const char *path)
{
        const char *p;
        bool any = false;

        if (!path || path[0] != '/' || strlen(path) >= 4096)
                return false;
        for (p = path; *p;) {
                size_t n;

                p += strspn(p, "/");
                n = strcspn(p, "/");
                if (n == 0)
                        break;
                if ((n == 1 && p[0] == '.') ||
                    (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                if (n > 255)
                        return false;
                any = true;
                p += n;
        }
        return any;
}

int dp_path_split(const char *path, char **ret_dir, char **ret_base)
{
        _cleanup_free_ char *dir = NULL, *base = NULL;
        size_t end, start, dend;

        if (!dp_path_is_safe_absolute(path))
                return -EINVAL;

        /* Trailing slashes do not name a different object. */
        end = strlen(path);
        while (end > 1 && path[end - 1] == '/')
                end--;
        start = end;
        while (start > 0 && path[start - 1] != '/')
                start--;
        dend = start;
        while (dend > 1 && path[dend - 1] == '/')
                dend--;

        base = strndup(path + start, end - start);
        dir = strndup(path, dend);
        if (!base || !dir)
                return -ENOMEM;
        *ret_dir = TAKE_PTR(dir);
        *ret_base = TAKE_PTR(base);
        return 0;
}

int dp_fchmod_opath(int fd, mode_t mode)
{
        char procpath[64];

        if (syscall(__NR_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
                return 0;
        if (errno != ENOSYS && errno != EINVAL)
                return negative_errno();
        snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
        return RET_NERRNO(chmod(procpath, mode));
}

int dp_fchown_opath(int fd, uid_t uid, gid_t gid)
{
        return RET_NERRNO(fchownat(fd, "", uid, gid,
                                   AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
}

/* Opens one directory component below dirfd, refusing symlinks. */
static int open_component(int dirfd, const char *name)
{
        return dp_openat2(dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                          DP_RESOLVE_SAFE_IN_ROOT);
}

/* Creates `name` in dirfd and returns it opened. A directory that appears
 * concurrently under the same name is used as is: what counts is that we end
 * up holding a directory reached without symlinks. */
static int make_component(int dirfd, const char *name, const dp_path_mkdir *mk)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (mkdirat(dirfd, name, mk->mode) < 0) {
                if (errno != EEXIST)
                        return negative_errno();
                return open_component(dirfd, name);
        }
        fd = open_component(dirfd, name);
        if (fd < 0)
                return fd;
        r = dp_fchown_opath(fd, mk->uid, mk->gid);
        if (r < 0)
                return r;
        r = dp_fchmod_opath(fd, mk->mode);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

int dp_path_open_dir(int rootfd, const char *path, const dp_path_mkdir *mk,
                     int *ret_fd)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *copy = NULL;
        char *p, *saveptr = NULL;

        if (!path || path[0] != '/')
                return -EINVAL;
        if (!streq(path, "/") && !dp_path_is_safe_absolute(path))
                return -EINVAL;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;

        fd = open_component(rootfd, ".");
        if (fd < 0)
                return fd;
        for (p = strtok_r(copy, "/", &saveptr); p;
             p = strtok_r(NULL, "/", &saveptr)) {
                int nfd = open_component(fd, p);

                if (nfd == -ENOENT && mk)
                        nfd = make_component(fd, p, mk);
                if (nfd < 0)
                        return nfd;
                safe_close(fd);
                fd = nfd;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int dp_path_open_entry(int dirfd, const char *base, int *ret_fd)
{
        int fd;

        if (!base || !base[0] || strchr(base, '/') || streq(base, ".") ||
            streq(base, ".."))
                return -EINVAL;
        /* O_PATH|O_NOFOLLOW returns the symlink itself rather than ELOOP,
         * which lets the caller tell "a symlink sits here" from "a symlink
         * on the way". */
        fd = dp_openat2(dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                        DP_RESOLVE_SAFE_IN_ROOT);
        if (fd < 0)
                return fd;
        *ret_fd = fd;
        return 0;
}
