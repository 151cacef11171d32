/* SPDX-License-Identifier: MIT */
/* Device nodes inside running containers. Privileged containers get a real
 * mknod through their root (this file); user-namespaced ones get a bind mount
 * of a node kept on a host tmpfs (node-userns.c). Every path below the
 * container root is walked with node-path.c, which refuses symlinks. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devpass/act.h"
#include "devpass/macro.h"
#include "node-internal.h"
#include "node-path.h"

/* Whatever a runtime or a reference said, nodes are never made in the
 * host's own tree: not in a process that shares the agent's mount
 * namespace, nor in one whose root is the agent's root (a mount namespace
 * of its own without a root of its own still reaches the host's files).
 * -EHOSTUNREACH. */
static int node_check_not_host(const dp_container *c)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat a, b;
        int r;

        r = dp_container_open_proc(c, "ns/mnt", O_RDONLY, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &a) < 0 || stat("/proc/self/ns/mnt", &b) < 0)
                return negative_errno();
        if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                return -EHOSTUNREACH;
        fd = safe_close(fd);
        r = dp_container_open_proc(c, "root", O_PATH | O_DIRECTORY, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &a) < 0 || stat("/", &b) < 0)
                return negative_errno();
        if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                return -EHOSTUNREACH;
        return 0;
}

void node_req_done(node_req *req)
{
        free(req->dir);
        free(req->base);
        *req = (node_req){0};
}

int node_req_init(const dp_container *c, const dp_node_spec *spec,
                  node_req *ret)
{
        node_req req = {0};
        uint32_t uid, gid, ruid, rgid;
        int r;

        if (!c || !spec)
                return -EINVAL;
        if (spec->type != 'c' && spec->type != 'b')
                return -EINVAL;
        if (spec->mode & ~07777u)
                return -EINVAL;
        r = node_check_not_host(c);
        if (r < 0)
                return r;
        r = dp_container_map_uid(c, spec->uid, &uid);
        if (r >= 0)
                r = dp_container_map_gid(c, spec->gid, &gid);
        if (r >= 0)
                r = dp_container_map_uid(c, 0, &ruid);
        if (r >= 0)
                r = dp_container_map_gid(c, 0, &rgid);
        if (r < 0)
                return r;
        r = dp_path_split(spec->path, &req.dir, &req.base);
        if (r < 0)
                return r;
        req.type = spec->type == 'c' ? S_IFCHR : S_IFBLK;
        req.rdev = makedev(spec->major, spec->minor);
        req.mode = spec->mode;
        req.uid = uid;
        req.gid = gid;
        req.root_uid = ruid;
        req.root_gid = rgid;
        *ret = req;
        return 0;
}

bool node_stat_matches(const struct stat *st, const node_req *req)
{
        return (st->st_mode & S_IFMT) == req->type && st->st_rdev == req->rdev;
}

int node_fix_owner_mode(int fd, const node_req *req, const struct stat *st)
{
        int r;

        /* st: the node as just made, so that what is right already (root's
         * ids, the mode when the umask let it through) costs no call */
        if (!st || st->st_uid != req->uid || st->st_gid != req->gid) {
                r = dp_fchown_opath(fd, req->uid, req->gid);
                if (r < 0)
                        return r;
                st = NULL; /* chown may clear mode bits */
        }
        if (st && (st->st_mode & 07777) == (req->mode & 07777))
                return 0;
        return dp_fchmod_opath(fd, req->mode);
}

int node_probe(int dirfd, const node_req *req, int *ret_fd)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        r = dp_path_open_entry(dirfd, req->base, &fd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!node_stat_matches(&st, req))
                return -EEXIST;
        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        return 1;
}

/* Opens the parent directory below the container root, without creating. A
 * missing directory (or a non-directory on the way) means the node cannot be
 * there: -ENOENT. */
static int open_parent(const dp_container *c, const node_req *req,
                       int *ret_dirfd)
{
        _cleanup_close_ int rootfd = -EBADF;
        int r;

        r = dp_container_open_proc(c, "root", O_PATH | O_DIRECTORY, &rootfd);
        if (r < 0)
                return r;
        r = dp_path_open_dir(rootfd, req->dir, NULL, ret_dirfd);
        if (r == -ENOTDIR)
                return -ENOENT;
        return r;
}

static int priv_create(const dp_container *c, const node_req *req,
                       bool *ret_created)
{
        const dp_path_mkdir mk = {
                .mode = 0755, .uid = req->root_uid, .gid = req->root_gid};
        _cleanup_close_ int rootfd = -EBADF, dirfd = -EBADF, fd = -EBADF;
        struct stat st;
        int r;

        r = dp_container_open_proc(c, "root", O_PATH | O_DIRECTORY, &rootfd);
        if (r < 0)
                return r;
        r = dp_path_open_dir(rootfd, req->dir, &mk, &dirfd);
        if (r < 0)
                return r;

        for (unsigned attempt = 0;; attempt++) {
                if (mknodat(dirfd, req->base, req->type | (req->mode & 0777),
                            req->rdev) == 0)
                        break;
                if (errno != EEXIST)
                        return negative_errno();
                r = node_probe(dirfd, req, &fd);
                if (r < 0)
                        return r;
                if (r == 0) {
                        /* Removed between mknod and our look: try again,
                         * but do not spin against a hostile container. */
                        if (attempt >= 3)
                                return -EAGAIN;
                        continue;
                }
                /* Not ours: the container's own node, or its bind mount of
                 * a host /dev entry. Re-owning it would change a file that
                 * devpass never made (a host node, through the bind mount),
                 * so it is used as it is. */
                *ret_created = false;
                return 0;
        }

        /* Work on an fd from here on: the container may swap the name for a
         * symlink at any moment, and chown/chmod by name would follow it. */
        r = dp_path_open_entry(dirfd, req->base, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!node_stat_matches(&st, req))
                return -EEXIST;
        r = node_fix_owner_mode(fd, req, &st);
        if (r < 0) {
                struct stat now;

                /* Leave nothing half-made behind, but only remove the very
                 * inode we created. */
                if (fstatat(dirfd, req->base, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                    now.st_ino == st.st_ino && now.st_dev == st.st_dev)
                        (void)unlinkat(dirfd, req->base, 0);
                return r;
        }
        *ret_created = true;
        return 0;
}

/* Directories we created on the way are left in place on removal: by then
 * they may hold other nodes or files put there by the container, and an empty
 * /dev/dri is harmless. */
static int priv_remove(const dp_container *c, const node_req *req)
{
        _cleanup_close_ int dirfd = -EBADF;
        int r;

        r = open_parent(c, req, &dirfd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = node_probe(dirfd, req, NULL);
        if (r <= 0)
                return r;
        if (unlinkat(dirfd, req->base, 0) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        return 0;
}

int dp_act_node_create(const dp_container *c, const dp_node_spec *spec,
                       bool *ret_created)
{
        node_req req = {0};
        bool created = false;
        int r;

        r = node_req_init(c, spec, &req);
        if (r < 0)
                return r;
        if (c->userns)
                r = node_userns_create(c, &req, &created);
        else
                r = priv_create(c, &req, &created);
        node_req_done(&req);
        if (r < 0)
                return r;
        if (ret_created)
                *ret_created = created;
        return 0;
}

int dp_act_node_remove(const dp_container *c, const dp_node_spec *spec)
{
        node_req req = {0};
        int r;

        r = node_req_init(c, spec, &req);
        if (r < 0)
                return r;
        if (c->userns)
                r = node_userns_remove(c, &req);
        else
                r = priv_remove(c, &req);
        node_req_done(&req);
        return r;
}

/* Works for both kinds: a bind-mounted node shows the rdev of the host node
 * through the container's root just like a mknod'ed one. */
int dp_act_node_present(const dp_container *c, const dp_node_spec *spec)
{
        _cleanup_close_ int dirfd = -EBADF;
        node_req req = {0};
        int r;

        r = node_req_init(c, spec, &req);
        if (r < 0)
                return r;
        r = open_parent(c, &req, &dirfd);
        if (r >= 0)
                r = node_probe(dirfd, &req, NULL);
        node_req_done(&req);
        /* A symlink on the way or another file at the path: the node is not
         * there, which is all this answers. */
        if (r == -ENOENT || r == -EEXIST || r == -ELOOP)
                return 0;
        return r;
}

/* The node devpass made keeps its inode: a privileged container's node is
 * changed through an O_PATH fd below its root (never by name, which the
 * container could swap for a symlink); a user-namespaced one on the host
 * side, which is the very inode bind-mounted in. */
int dp_act_node_set_attrs(const dp_container *c, const dp_node_spec *spec)
{
        _cleanup_(node_req_done) node_req req = {0};
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        struct stat st;
        int r;

        r = node_req_init(c, spec, &req);
        if (r < 0)
                return r;
        r = dp_container_check_alive(c);
        if (r < 0)
                return r;
        if (c->userns)
                r = node_userns_host_open(c, &req, &fd);
        else {
                r = open_parent(c, &req, &dirfd);
                if (r >= 0)
                        r = node_probe(dirfd, &req, &fd);
                if (r == 0)
                        r = -ENOENT;
        }
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        return node_fix_owner_mode(fd, &req, &st);
}
