/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/fsuid.h>
#include <sys/random.h>
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

/* Gives the directory we just made below dirfd its owner and mode, through
 * an fd that is known to be that directory: between mkdirat() and this the
 * container can rename it away or mount something over the name (a bind
 * mount of a host directory it may not own, such as a shared /usr), and a
 * chown by name would then hand that to the container's root. The reopen
 * refuses mount crossings (-EXDEV), and what it reaches must be a directory
 * owned by our fsuid, as mkdirat() left it; anything else is -EBUSY. */
static int adopt_new_dir(int dirfd, const char *name, const dp_path_mkdir *mk)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st, parent;
        int r;

        fd = dp_openat2(dirfd, name,
                        O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0,
                        DP_RESOLVE_SAFE_IN_ROOT | RESOLVE_NO_XDEV);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0 || fstat(dirfd, &parent) < 0)
                return negative_errno();
        /* setfsuid(-1) changes nothing and returns the current fsuid: the
         * owner mkdirat() gave the directory (the userns path runs with the
         * container root's). */
        if (!S_ISDIR(st.st_mode) || st.st_dev != parent.st_dev ||
            st.st_uid != (uid_t)setfsuid((uid_t)-1))
                return -EBUSY;
        r = dp_fchown_opath(fd, mk->uid, mk->gid);
        if (r < 0)
                return r;
        r = dp_fchmod_opath(fd, mk->mode);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

/* Creates `name` in dirfd and returns it opened. A directory that appears
 * concurrently under the same name is used as is, and never chowned: what
 * counts is that we end up holding a directory reached without symlinks. */
static int make_component(int dirfd, const char *name, const dp_path_mkdir *mk)
{
        if (mkdirat(dirfd, name, mk->mode) < 0) {
                if (errno != EEXIST)
                        return negative_errno();
                return open_component(dirfd, name);
        }
        return adopt_new_dir(dirfd, name, mk);
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

/* The error for an entry of type `have` where `want` was asked for. */
static int type_error(mode_t have, mode_t want)
{
        if (S_ISLNK(have))
                return -ELOOP;
        if (want == S_IFDIR)
                return -ENOTDIR;
        if (S_ISDIR(have))
                return -EISDIR;
        /* FIFOs, sockets, device nodes, or a file where a socket was
         * wanted. */
        return -ENXIO;
}

int dp_ctr_open(int dirfd, const char *path, int flags, mode_t type,
                int *ret_fd)
{
        _cleanup_close_ int pfd = -EBADF;
        char procpath[64];
        struct stat st;
        int fd;

        if (isempty(path) || (flags & (O_CREAT | __O_TMPFILE)))
                return -EINVAL;
        if (!(flags & O_PATH) && type != S_IFREG && type != S_IFDIR)
                return -EINVAL;
        /* O_PATH opens nothing: no FIFO rendezvous, no driver open(). With
         * O_NOFOLLOW a symlink at the end is returned, not followed. */
        pfd = dp_openat2(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                         DP_RESOLVE_SAFE_IN_ROOT);
        if (pfd < 0)
                return pfd;
        if (fstat(pfd, &st) < 0)
                return negative_errno();
        if ((st.st_mode & S_IFMT) != type)
                return type_error(st.st_mode, type);
        if (flags & O_PATH) {
                *ret_fd = TAKE_FD(pfd);
                return 0;
        }
        /* Reopen the inode we checked, not the name, which the container
         * may have swapped meanwhile. The magic link is ours (/proc/self),
         * so O_NOFOLLOW must go; O_NONBLOCK costs nothing on a regular file
         * or directory and keeps any surprise from blocking. */
        snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", pfd);
        flags &= ~O_NOFOLLOW;
        flags |= O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        if (type == S_IFDIR)
                flags |= O_DIRECTORY;
        fd = open(procpath, flags);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* rename(2) that never replaces: RENAME_NOREPLACE, or link + unlink where
 * the filesystem lacks it. */
static int rename_noreplace(int dirfd, const char *from, const char *to)
{
        if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS)
                return negative_errno();
        if (linkat(dirfd, from, dirfd, to, 0) < 0)
                return negative_errno();
        (void)unlinkat(dirfd, from, 0);
        return 0;
}

int dp_ctr_write_file(int dirfd, const char *name, const void *data, size_t len,
                      const dp_ctr_file *f)
{
        _cleanup_close_ int fd = -EBADF;
        char tmp[NAME_MAX + 1];
        uint64_t rnd;
        int r;

        if (isempty(name) || strchr(name, '/') || streq(name, ".") ||
            streq(name, "..") || strlen(name) > NAME_MAX - 20 || !f)
                return -EINVAL;
        /* An unpredictable name, so the container cannot have something
         * waiting there; O_EXCL creates or fails, it never opens. */
        if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                return -EIO;
        snprintf(tmp, sizeof(tmp), ".#%s.%016" PRIx64, name, rnd);
        fd = dp_openat2(dirfd, tmp,
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0000, DP_RESOLVE_SAFE_IN_ROOT);
        if (fd < 0)
                return fd;
        r = write_all(fd, data, len);
        /* chown first: it clears set-id bits that fchmod then sets */
        if (r >= 0 && fchown(fd, f->uid, f->gid) < 0)
                r = negative_errno();
        if (r >= 0 && fchmod(fd, f->mode) < 0)
                r = negative_errno();
        if (r >= 0)
                r = f->noreplace
                            ? rename_noreplace(dirfd, tmp, name)
                            : RET_NERRNO(renameat(dirfd, tmp, dirfd, name));
        if (r < 0)
                (void)unlinkat(dirfd, tmp, 0);
        return r;
}
