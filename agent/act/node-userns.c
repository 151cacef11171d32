/* SPDX-License-Identifier: MIT */
/* Device nodes for user-namespaced containers. Their /dev lives on a
 * filesystem mounted inside their user namespace, which the kernel treats as
 * nodev, and host root cannot even create files there (EOVERFLOW: host uid 0
 * has no mapping). So the node is made on a host tmpfs that devpass owns,
 * given the mapped host ids, cloned with open_tree(), and moved onto an empty
 * placeholder file inside the container by a short child that joined only the
 * container's mount namespace. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devpass/config.h"
#include "devpass/macro.h"
#include "devpass/util.h"
#include "node-internal.h"
#include "node-path.h"
#include "ns-run.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

#define NODE_DIR_DEFAULT "/run/devpass/nodes"

/* What a child that found the node already in place returns. */
#define CHILD_ADOPTED 1

static const char *node_dir(void)
{
        const char *e = dp_config_get()->node_dir;

        return isempty(e) ? NODE_DIR_DEFAULT : e;
}

static bool is_mount_root(int dirfd, const char *path)
{
        struct statx stx;

        if (statx(dirfd, path, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, 0, &stx) <
            0)
                return false;
        return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
               (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Opens the host node directory, mounting a private tmpfs there first unless
 * a filesystem that allows device nodes is already mounted on it. */
static int node_dir_open(bool create, int *ret_fd)
{
        const char *dir = node_dir();
        struct statvfs sv;
        int fd, r;

        if (!create) {
                fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                *ret_fd = fd;
                return 0;
        }
        r = mkdir_p(dir, 0700);
        if (r < 0 && r != -EEXIST)
                return r;
        if (statvfs(dir, &sv) < 0)
                return negative_errno();
        if (!is_mount_root(AT_FDCWD, dir) || (sv.f_flag & ST_NODEV)) {
                if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NOEXEC,
                          "mode=0700") < 0)
                        return negative_errno();
                /* Keep our nodes out of other mount namespaces' view. */
                if (mount(NULL, dir, NULL, MS_PRIVATE, NULL) < 0)
                        return negative_errno();
        }
        fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

/* "<pid>-<starttime>-<escaped path>": one file per container and node path.
 * The escape is injective ('/' → '-', anything but [A-Za-z0-9_.] → %XX). */
static int node_name(const dp_container *c, const node_req *req, char **ret)
{
        _cleanup_free_ char *full = NULL, *buf = NULL;
        size_t n = 0;
        int k;

        full = strjoin_sep("/", streq(req->dir, "/") ? "" : req->dir, req->base,
                           NULL);
        if (!full)
                return -ENOMEM;
        buf = malloc(64 + 3 * strlen(full) + 1);
        if (!buf)
                return -ENOMEM;
        k = sprintf(buf, "%d-%llu", (int)c->pid,
                    (unsigned long long)c->starttime);
        n = (size_t)k;
        for (const char *p = full; *p; p++) {
                unsigned char ch = (unsigned char)*p;

                if (ch == '/')
                        buf[n++] = '-';
                else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                         (ch >= '0' && ch <= '9') || ch == '_' || ch == '.')
                        buf[n++] = (char)ch;
                else
                        n += (size_t)sprintf(buf + n, "%%%02X", ch);
        }
        buf[n] = 0;
        if (n > 255)
                return -ENAMETOOLONG;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Makes (or reuses) the host-side node with the requested owner and mode. A
 * reused node may be the one already mounted in the container, so fixing its
 * owner and mode also fixes what the container sees. */
static int host_node_make(int ndfd, const char *name, const node_req *req,
                          bool *ret_fresh)
{
        _cleanup_close_ int fd = -EBADF;
        bool fresh = true;
        int r;

        for (unsigned attempt = 0;; attempt++) {
                if (mknodat(ndfd, name, req->type | 0000, req->rdev) == 0)
                        break;
                if (errno != EEXIST || attempt >= 3)
                        return negative_errno();
                r = node_probe(ndfd,
                               &(node_req){.base = (char *)name,
                                           .type = req->type,
                                           .rdev = req->rdev},
                               &fd);
                if (r > 0) {
                        fresh = false;
                        break;
                }
                /* A stale file of ours from an earlier container: our own
                 * directory, so it can go. */
                if (unlinkat(ndfd, name, 0) < 0 && errno != ENOENT)
                        return negative_errno();
        }
        if (fd < 0) {
                r = dp_path_open_entry(ndfd, name, &fd);
                if (r < 0)
                        return r;
        }
        r = node_fix_owner_mode(fd, req, NULL);
        if (r < 0) {
                if (fresh)
                        (void)unlinkat(ndfd, name, 0);
                return r;
        }
        *ret_fresh = fresh;
        return 0;
}

typedef struct ns_job {
        const node_req *req;
        int rootfd; /* the container's root, opened through /proc/PID/root */
        int treefd; /* create: the detached clone of the host node */
} ns_job;

static int child_create(void *arg)
{
        const ns_job *job = arg;
        const node_req *req = job->req;
        const dp_path_mkdir mk = {
                .mode = 0755, .uid = req->root_uid, .gid = req->root_gid};
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        struct stat st, now;
        int r;

        r = dp_path_open_dir(job->rootfd, req->dir, &mk, &dirfd);
        if (r < 0)
                return r;
        fd = dp_openat2(dirfd, req->base,
                        O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0000, DP_RESOLVE_SAFE_IN_ROOT);
        if (fd == -EEXIST) {
                _cleanup_close_ int nfd = -EBADF;

                r = node_probe(dirfd, req, &nfd);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -EAGAIN;
                r = node_fix_owner_mode(nfd, req, NULL);
                return r < 0 ? r : CHILD_ADOPTED;
        }
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (syscall(SYS_move_mount, job->treefd, "", fd, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
                r = negative_errno();
                if (fstatat(dirfd, req->base, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                    now.st_ino == st.st_ino && now.st_dev == st.st_dev)
                        (void)unlinkat(dirfd, req->base, 0);
                return r;
        }
        return 0;
}

static int child_remove(void *arg)
{
        const ns_job *job = arg;
        const node_req *req = job->req;
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF, pfd = -EBADF;
        struct stat st;
        int r;

        r = dp_path_open_dir(job->rootfd, req->dir, NULL, &dirfd);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return r;
        r = node_probe(dirfd, req, &fd);
        if (r <= 0)
                return r;
        if (!is_mount_root(fd, "")) {
                /* A node of that rdev that is not our mount: some other tool
                 * made it, and it is the described node, so it goes. */
                if (unlinkat(dirfd, req->base, 0) < 0 && errno != ENOENT)
                        return negative_errno();
                return 0;
        }
        /* umount2() takes a path; resolve it relative to the directory we
         * reached without symlinks, never through the container's /proc. */
        if (fchdir(dirfd) < 0)
                return negative_errno();
        if (umount2(req->base, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
                return negative_errno();
        /* Below the mount sits our placeholder: an empty regular file with
         * mode 0000. Anything else is not ours. */
        r = dp_path_open_entry(dirfd, req->base, &pfd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (fstat(pfd, &st) < 0)
                return negative_errno();
        if (S_ISREG(st.st_mode) && st.st_size == 0 &&
            (st.st_mode & 07777) == 0 && unlinkat(dirfd, req->base, 0) < 0 &&
            errno != ENOENT)
                return negative_errno();
        return 0;
}

/* Runs fn in a child that joined only the container's mount namespace
 * (never its PID namespace, never an exec) as the container's root.
 * Returns fn's result: 0, CHILD_ADOPTED, or a negative errno. */
static int run_in_mntns(const dp_container *c, int (*fn)(void *), ns_job *job)
{
        _cleanup_close_ int rootfd = -EBADF;
        const dp_ns_ids ids = {.fsuid = job->req->root_uid,
                               .fsgid = job->req->root_gid};
        int r;

        r = dp_container_open_proc(c, "root", O_PATH | O_DIRECTORY, &rootfd);
        if (r < 0)
                return r;
        job->rootfd = rootfd;
        return dp_ns_run(c, CLONE_NEWNS, &ids, fn, job);
}

int node_userns_create(const dp_container *c, const node_req *req,
                       bool *ret_created)
{
        _cleanup_close_ int ndfd = -EBADF, treefd = -EBADF;
        _cleanup_free_ char *name = NULL;
        ns_job job = {.req = req, .rootfd = -EBADF, .treefd = -EBADF};
        bool fresh = false;
        long t;
        int r;

        r = dp_container_check_alive(c);
        if (r < 0)
                return r;
        r = node_name(c, req, &name);
        if (r < 0)
                return r;
        r = node_dir_open(true, &ndfd);
        if (r < 0)
                return r;
        r = host_node_make(ndfd, name, req, &fresh);
        if (r < 0)
                return r;
        t = syscall(SYS_open_tree, ndfd, name,
                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
        if (t < 0) {
                r = negative_errno();
                goto fail;
        }
        treefd = (int)t;
        job.treefd = treefd;

        r = run_in_mntns(c, child_create, &job);
        if (r < 0)
                goto fail;
        *ret_created = r != CHILD_ADOPTED;
        return 0;
fail:
        if (fresh)
                (void)unlinkat(ndfd, name, 0);
        return r;
}

int node_userns_remove(const dp_container *c, const node_req *req)
{
        _cleanup_close_ int ndfd = -EBADF;
        _cleanup_free_ char *name = NULL;
        ns_job job = {.req = req, .rootfd = -EBADF, .treefd = -EBADF};
        int r, q;

        r = node_name(c, req, &name);
        if (r < 0)
                return r;
        r = run_in_mntns(c, child_remove, &job);
        if (r < 0 && r != -ESRCH)
                return r;
        /* With the mount gone (or the container gone, taking its mount
         * namespace along) the host-side node has no more use. */
        q = node_dir_open(false, &ndfd);
        if (q >= 0 && unlinkat(ndfd, name, 0) < 0 && errno != ENOENT && r >= 0)
                r = negative_errno();
        return r;
}

int node_userns_host_open(const dp_container *c, const node_req *req,
                          int *ret_fd)
{
        _cleanup_close_ int ndfd = -EBADF;
        _cleanup_free_ char *name = NULL;
        int r;

        r = node_name(c, req, &name);
        if (r < 0)
                return r;
        r = node_dir_open(false, &ndfd);
        if (r < 0)
                return r;
        r = node_probe(
                ndfd,
                &(node_req){.base = name, .type = req->type, .rdev = req->rdev},
                ret_fd);
        return r == 0 ? -ENOENT : r < 0 ? r : 0;
}

int dp_act_node_forget(pid_t pid, uint64_t starttime, const dp_node_spec *spec)
{
        const dp_container c = {.pid = pid, .starttime = starttime};
        _cleanup_(node_req_done) node_req req = {0};
        _cleanup_close_ int ndfd = -EBADF;
        _cleanup_free_ char *name = NULL;
        int r;

        if (!spec || (spec->type != 'c' && spec->type != 'b'))
                return -EINVAL;
        r = dp_path_split(spec->path, &req.dir, &req.base);
        if (r < 0)
                return r;
        req.type = spec->type == 'c' ? S_IFCHR : S_IFBLK;
        req.rdev = makedev(spec->major, spec->minor);
        r = node_name(&c, &req, &name);
        if (r < 0)
                return r;
        r = node_dir_open(false, &ndfd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        /* only the very node that stood for this grant */
        r = node_probe(
                ndfd,
                &(node_req){.base = name, .type = req.type, .rdev = req.rdev},
                NULL);
        if (r <= 0)
                return r == -EEXIST ? 0 : r;
        if (unlinkat(ndfd, name, 0) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}
