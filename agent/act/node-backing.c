/* SPDX-License-Identifier: MIT */
/* Nodes that outlive their container. A node devpass makes in a privileged
 * container lives in whatever filesystem holds the container's /dev: most
 * runtimes mount a private tmpfs there, which goes when the container's
 * mount namespace does, but a directory rootfs without one (LXC with
 * lxc.autodev = 0, a chroot-like nspawn tree) keeps the node on the host's
 * disk after the container stopped, where nobody removes it. So, while the
 * container runs, devpass works out where the node is seen from the agent's
 * own mount namespace and records that path with the node's inode; once
 * the container is gone it removes the node there if, and only if, that
 * path still names the very inode it made. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devpass/act.h"
#include "devpass/util.h"
#include "node-internal.h"
#include "node-path.h"

/* Length of prefix if it is a whole-component prefix of path, else -1. */
static ssize_t path_prefix(const char *prefix, const char *path)
{
        size_t l = strlen(prefix);

        if (streq(prefix, "/"))
                return 0;
        if (!strneq(path, prefix, l) || (path[l] != '/' && path[l] != 0))
                return -1;
        return (ssize_t)l;
}

typedef struct mnt {
        unsigned major, minor;
        char root[4096], point[4096];
} mnt;

static bool mnt_parse(char *line, mnt *m)
{
        if (sscanf(line, "%*s %*s %u:%u %4095s %4095s", &m->major, &m->minor,
                   m->root, m->point) != 4)
                return false;
        dp_unescape_octal(m->root);
        dp_unescape_octal(m->point);
        return true;
}

/* The mount of text (a mountinfo) that holds dir: the longest mount point
 * that is a prefix; later lines win a tie, since they are mounted over. */
static bool find_holder(char *text, const char *dir, mnt *ret)
{
        ssize_t best = -1;

        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                mnt m;
                ssize_t n;

                if (!mnt_parse(l, &m))
                        continue;
                n = path_prefix(m.point, dir);
                if (n >= best && n >= 0) {
                        best = n;
                        *ret = m;
                }
        }
        return best >= 0;
}

static char *join3(const char *a, const char *b, const char *c)
{
        char *s = NULL;

        b += strspn(b, "/");
        c += strspn(c, "/");
        if (asprintf(&s, "%s%s%s%s%s", streq(a, "/") ? "" : a, *b ? "/" : "", b,
                     *c ? "/" : "", c) < 0)
                return NULL;
        return s;
}

/* Is path (from the agent's root, no symlink followed) the inode st? */
static bool same_inode(const char *path, const struct stat *st)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat now;

        fd = dp_openat2(AT_FDCWD, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                        UINT64_C(0x04) /* RESOLVE_NO_SYMLINKS */ |
                                UINT64_C(0x02) /* RESOLVE_NO_MAGICLINKS */);
        return fd >= 0 && fstat(fd, &now) == 0 && now.st_dev == st->st_dev &&
               now.st_ino == st->st_ino && now.st_rdev == st->st_rdev;
}

static int host_path_of(const dp_container *c, const node_req *req,
                        const struct stat *st, char **ret)
{
        _cleanup_free_ char *ctext = NULL, *htext = NULL, *infs = NULL;
        _cleanup_close_ int fd = -EBADF;
        char fdpath[64];
        mnt cm;
        int r;

        r = dp_container_open_proc(c, "mountinfo", O_RDONLY, &fd);
        if (r < 0)
                return r;
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
        r = read_full_file(fdpath, &ctext, NULL);
        if (r < 0)
                return r;
        if (!find_holder(ctext, req->dir, &cm) ||
            makedev(cm.major, cm.minor) != st->st_dev)
                return 0;
        /* the node's directory as a path inside that filesystem */
        infs = join3(cm.root, req->dir + path_prefix(cm.point, req->dir), "");
        if (!infs)
                return -ENOMEM;
        r = read_full_file("/proc/self/mountinfo", &htext, NULL);
        if (r < 0)
                return r;
        for (char *l = strtok(htext, "\n"); l; l = strtok(NULL, "\n")) {
                _cleanup_free_ char *p = NULL;
                ssize_t n;
                mnt hm;

                if (!mnt_parse(l, &hm) ||
                    makedev(hm.major, hm.minor) != st->st_dev)
                        continue;
                n = path_prefix(hm.root, infs);
                if (n < 0)
                        continue;
                p = join3(hm.point, infs + n, req->base);
                if (!p)
                        return -ENOMEM;
                if (same_inode(p, st)) {
                        *ret = TAKE_PTR(p);
                        return 1;
                }
        }
        return 0;
}

/* Inode numbers are reused at once (rm + mknod gets the same number on
 * ext4), so the change time, which a new inode cannot share with the old
 * one to the nanosecond, is part of the identity. */
static uint64_t ctime_ns(const struct stat *st)
{
        return (uint64_t)st->st_ctim.tv_sec * UINT64_C(1000000000) +
               (uint64_t)st->st_ctim.tv_nsec;
}

int dp_act_node_backing(const dp_container *c, const dp_node_spec *spec,
                        char **ret_path, uint64_t *ret_dev, uint64_t *ret_ino,
                        uint64_t *ret_ctime)
{
        _cleanup_(node_req_done) node_req req = {0};
        _cleanup_close_ int rootfd = -EBADF, dirfd = -EBADF, fd = -EBADF;
        char *path = NULL;
        struct stat st;
        int r;

        if (!ret_path || !ret_dev || !ret_ino || !ret_ctime)
                return -EINVAL;
        r = node_req_init(c, spec, &req);
        if (r < 0)
                return r;
        if (c->userns) {
                /* its node is devpass's own, on the host tmpfs */
                *ret_path = NULL;
                return 0;
        }
        r = dp_container_open_proc(c, "root", O_PATH | O_DIRECTORY, &rootfd);
        if (r < 0)
                return r;
        r = dp_path_open_dir(rootfd, req.dir, NULL, &dirfd);
        if (r < 0)
                return r;
        r = node_probe(dirfd, &req, &fd);
        if (r <= 0)
                return r == 0 ? -ENOENT : r;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        r = host_path_of(c, &req, &st, &path);
        if (r < 0)
                return r;
        *ret_path = path;
        *ret_dev = (uint64_t)st.st_dev;
        *ret_ino = (uint64_t)st.st_ino;
        *ret_ctime = ctime_ns(&st);
        return 0;
}

int dp_act_node_backing_remove(const char *path, const dp_node_spec *spec,
                               uint64_t dev, uint64_t ino, uint64_t ctime)
{
        _cleanup_free_ char *dir = NULL, *base = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        struct stat st;
        int r;

        if (!path || path[0] != '/' || !spec)
                return -EINVAL;
        r = dp_path_split(path, &dir, &base);
        if (r < 0)
                return r;
        /* the dead container's tree may have been rearranged: no symlink
         * on the way is followed, and only the recorded inode goes */
        dirfd = dp_openat2(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                           UINT64_C(0x04) /* RESOLVE_NO_SYMLINKS */ |
                                   UINT64_C(0x02) /* RESOLVE_NO_MAGICLINKS */);
        if (dirfd < 0)
                return dirfd == -ENOENT || dirfd == -ENOTDIR ? 0 : dirfd;
        if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if ((uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino ||
            ctime_ns(&st) != ctime ||
            !(spec->type == 'c' ? S_ISCHR(st.st_mode) : S_ISBLK(st.st_mode)) ||
            st.st_rdev != makedev(spec->major, spec->minor))
                return 0; /* not ours any more: left alone */
        if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
                return negative_errno();
        return 1;
}
