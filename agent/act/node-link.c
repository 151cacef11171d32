/* SPDX-License-Identifier: MIT */
/* Symlinks inside a container's /dev, such as the
 * /dev/dri/by-path/pci-<slot>-card links that Mesa, Vulkan loaders and
 * Xorg use to find a GPU's nodes. The links are made from the host through
 * the container's root; the directories on the way are walked with
 * node-path.c, so a symlink planted by the container is never followed, and
 * only a link that already points exactly where we want is accepted or
 * removed: a container's own files are left alone. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devpass/act.h"
#include "devpass/macro.h"
#include "node-internal.h"
#include "node-path.h"
#include "ns-run.h"

/* Checks the arguments and computes, through the node request, the parent
 * directory, the link name and the host ids of the container's root. The
 * node type and numbers in the dummy spec are never used. */
static int link_req_init(const dp_container *c, const char *path,
                         const char *target, node_req *ret)
{
        const dp_node_spec spec = {
                .path = path, .type = 'c', .mode = 0, .uid = 0, .gid = 0};

        if (!c || !path || isempty(target) || strlen(target) >= PATH_MAX)
                return -EINVAL;
        if (!dp_path_is_safe_absolute(path))
                return -EINVAL;
        return node_req_init(c, &spec, ret);
}

/* 1 if the entry behind the O_PATH fd is a symlink to exactly target. */
static int link_points_to(int fd, const char *target)
{
        char buf[PATH_MAX];
        struct stat st;
        ssize_t n;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISLNK(st.st_mode))
                return 0;
        /* An empty name reads the link an O_PATH fd refers to. */
        n = readlinkat(fd, "", buf, sizeof(buf));
        if (n < 0)
                return negative_errno();
        if ((size_t)n >= sizeof(buf))
                return 0;
        buf[n] = 0;
        return streq(buf, target);
}

/* Looks at `base` in dirfd: 1 (and an O_PATH fd to the link) when it is
 * the wanted link, 0 when missing, -EEXIST when something else is there. */
static int link_probe(int dirfd, const char *base, const char *target,
                      int *ret_fd)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = dp_path_open_entry(dirfd, base, &fd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = link_points_to(fd, target);
        if (r < 0)
                return r;
        if (r == 0)
                return -EEXIST;
        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        return 1;
}

/* Makes the link below rootfd (the container's root), with its parent
 * directories. */
static int link_create_at(int rootfd, const node_req *req, const char *target)
{
        const dp_path_mkdir mk = {
                .mode = 0755, .uid = req->root_uid, .gid = req->root_gid};
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        int r;

        r = dp_path_open_dir(rootfd, req->dir, &mk, &dirfd);
        if (r < 0)
                return r;
        for (unsigned attempt = 0;; attempt++) {
                if (symlinkat(target, dirfd, req->base) == 0)
                        break;
                if (errno != EEXIST)
                        return negative_errno();
                /* Adopt a link that already says the same thing (a restart,
                 * or a second grant of the same GPU). */
                r = link_probe(dirfd, req->base, target, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;
                /* Gone between symlinkat and our look: try again, but do
                 * not spin against a hostile container. */
                if (attempt >= 3)
                        return -EAGAIN;
        }
        /* The link belongs to the container's root, whatever made it; on
         * the link itself, never on what it points to. */
        r = link_probe(dirfd, req->base, target, &fd);
        if (r == 0)
                return -ENOENT;
        if (r < 0)
                return r;
        return dp_fchown_opath(fd, req->root_uid, req->root_gid);
}

typedef struct link_job {
        int rootfd;
        const node_req *req;
        const char *target;
} link_job;

static int link_child(void *arg)
{
        const link_job *j = arg;

        return link_create_at(j->rootfd, j->req, j->target);
}

/* A filesystem mounted in the container's user namespace refuses inodes
 * created with host uid 0 (EOVERFLOW): create as the container's root in a
 * child that keeps host root's capabilities. */
static int link_create_userns(const dp_container *c, int rootfd,
                              const node_req *req, const char *target)
{
        const dp_ns_ids ids = {.fsuid = req->root_uid, .fsgid = req->root_gid};
        link_job j = {.rootfd = rootfd, .req = req, .target = target};

        return dp_ns_run(c, 0, &ids, link_child, &j);
}

int dp_act_symlink_create(const dp_container *c, const char *path,
                          const char *target)
{
        _cleanup_close_ int rootfd = -EBADF;
        node_req req = {0};
        int r;

        r = link_req_init(c, path, target, &req);
        if (r < 0)
                return r;
        r = dp_container_open_proc(c, "root", O_PATH | O_DIRECTORY, &rootfd);
        if (r >= 0)
                r = c->userns ? link_create_userns(c, rootfd, &req, target)
                              : link_create_at(rootfd, &req, target);
        node_req_done(&req);
        return r;
}

int dp_act_symlink_remove(const dp_container *c, const char *path,
                          const char *target)
{
        _cleanup_close_ int rootfd = -EBADF, dirfd = -EBADF, fd = -EBADF;
        node_req req = {0};
        struct stat before, now;
        int r;

        r = link_req_init(c, path, target, &req);
        if (r < 0)
                return r;
        r = dp_container_open_proc(c, "root", O_PATH | O_DIRECTORY, &rootfd);
        if (r < 0)
                goto out;
        r = dp_path_open_dir(rootfd, req.dir, NULL, &dirfd);
        /* No parent directory: the link cannot be there. */
        if (r == -ENOENT || r == -ENOTDIR) {
                r = 0;
                goto out;
        }
        if (r < 0)
                goto out;
        r = link_probe(dirfd, req.base, target, &fd);
        if (r <= 0)
                goto out;
        if (fstat(fd, &before) < 0) {
                r = negative_errno();
                goto out;
        }
        /* Unlink by name, so make sure the name still holds the very link we
         * checked; a swap in between leaves the container's file alone. */
        if (fstatat(dirfd, req.base, &now, AT_SYMLINK_NOFOLLOW) < 0) {
                r = errno == ENOENT ? 0 : negative_errno();
                goto out;
        }
        if (now.st_ino != before.st_ino || now.st_dev != before.st_dev) {
                r = -EEXIST;
                goto out;
        }
        r = unlinkat(dirfd, req.base, 0) < 0 && errno != ENOENT
                    ? negative_errno()
                    : 0;
out:
        node_req_done(&req);
        return r;
}
