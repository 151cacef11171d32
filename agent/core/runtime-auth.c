/* SPDX-License-Identifier: MIT */
/* Authentication of runtime answers (DESIGN.md §5, SECURITY.md). A runtime
 * tells devpass "container X runs with init pid P"; devpass then creates
 * device nodes in P's root and opens P's cgroup to the device. Whoever can
 * make devpass believe that answer gets host devices, so no answer is used
 * until:
 *   1. its speaker is root: the socket file of a REST runtime is a socket
 *      owned by root in a directory nobody else may change, and the peer
 *      that accepted the connection runs as uid 0 (SO_PEERCRED); an LXC
 *      monitor's abstract socket, which has no owner at all, is judged by
 *      its peer alone;
 *   2. the pid it names is plausibly that runtime's container: its parent
 *      is the runtime's process (the LXC monitor that answered, or a root
 *      process such as containerd-shim or conmon), and its cgroup is the
 *      one the runtime puts that container in (lxc.payload.NAME, the
 *      engine's container id);
 *   3. it is a container at all: a process that shares the agent's mount,
 *      pid and user namespaces is the host, whatever a runtime says. */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/runtime.h"
#include "devpass/util.h"

int dp_peer_check_root(int fd, pid_t *ret_pid)
{
        struct ucred cred = {};
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return negative_errno();
        /* pid 0: the peer lives in a pid namespace we cannot see, which a
         * host runtime never does. uid as mapped into our user namespace,
         * so root of a user namespace shows up as its host uid. */
        if (cred.uid != 0 || cred.pid <= 0)
                return -EKEYREJECTED;
        if (ret_pid)
                *ret_pid = cred.pid;
        return 0;
}

int dp_socket_file_trusted(const char *path)
{
        _cleanup_free_ char *copy = NULL;
        struct stat st, dst;

        if (!path || path[0] != '/')
                return -EINVAL;
        if (lstat(path, &st) < 0)
                return errno == ENOENT || errno == ENOTDIR ? -ENOMEDIUM
                                                           : negative_errno();
        if (!S_ISSOCK(st.st_mode))
                return -ENOMEDIUM;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        if (stat(dirname(copy), &dst) < 0)
                return negative_errno();
        /* Another user who may rename entries in the directory could swap
         * the socket for one of their own between this check and connect();
         * the peer check after connect() would still catch that. */
        if (st.st_uid != 0 || dst.st_uid != 0 ||
            ((dst.st_mode & (S_IWGRP | S_IWOTH)) && !(dst.st_mode & S_ISVTX)))
                return -EKEYREJECTED;
        return 0;
}

static int read_proc_field(pid_t pid, const char *file, const char *key,
                           char **ret)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        size_t kl = strlen(key);
        int r;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
                if (strneq(l, key, kl)) {
                        char *v = strdup(l + kl + strspn(l + kl, " \t"));

                        if (!v)
                                return -ENOMEM;
                        *ret = v;
                        return 0;
                }
        return -EBADMSG;
}

int dp_proc_ppid(pid_t pid, pid_t *ret)
{
        _cleanup_free_ char *v = NULL;
        unsigned p;
        int r;

        r = read_proc_field(pid, "status", "PPid:", &v);
        if (r < 0)
                return r;
        if (safe_atou(strstrip(v), &p) < 0 || p > INT32_MAX)
                return -EBADMSG;
        *ret = (pid_t)p;
        return 0;
}

/* Real, effective, saved and filesystem uid all 0. */
static int proc_is_root(pid_t pid)
{
        _cleanup_free_ char *v = NULL;
        unsigned a, b, c, d;
        int r;

        r = read_proc_field(pid, "status", "Uid:", &v);
        if (r < 0)
                return r;
        if (sscanf(v, "%u %u %u %u", &a, &b, &c, &d) != 4)
                return -EBADMSG;
        return a == 0 && b == 0 && c == 0 && d == 0;
}

/* Whether pid holds the socket with that inode among its descriptors. */
static int proc_holds_socket(pid_t pid, unsigned long inode)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        char path[64], want[64];

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        snprintf(want, sizeof(want), "socket:[%lu]", inode);
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? -ESRCH : negative_errno();
        while ((de = readdir(d))) {
                char target[64];
                ssize_t n;

                if (de->d_name[0] == '.')
                        continue;
                n = readlinkat(dirfd(d), de->d_name, target,
                               sizeof(target) - 1);
                if (n <= 0)
                        continue;
                target[n] = 0;
                if (streq(target, want))
                        return 1;
        }
        return 0;
}

/* The end of path's first component that is token (exact) or holds it,
 * or NULL. */
static const char *component_end(const char *path, const char *token,
                                 bool exact)
{
        size_t tl = strlen(token);

        for (const char *p = path; p && *p;) {
                size_t l;

                p += strspn(p, "/");
                l = strcspn(p, "/");
                if (exact ? l == tl && strneq(p, token, tl)
                          : memmem(p, l, token, tl) != NULL)
                        return p + l;
                p += l;
        }
        return NULL;
}

static bool path_has_component(const char *path, const char *token, bool exact)
{
        return component_end(path, token, exact) != NULL;
}

/* Cuts *path after its first component that is the token (the outermost:
 * a nested container of the same name lies deeper). */
static int cut_at_component(char **path, const char *token)
{
        const char *end = component_end(*path, token, true);

        if (!*path)
                return 0;
        if (!end)
                return -EKEYREJECTED;
        (*path)[end - *path] = 0;
        return 0;
}

int dp_runtime_cgroup_cut(dp_container *c, const dp_runtime_extra *x)
{
        int r;

        if (!x->cgroup_exact || isempty(x->cgroup_token))
                return 0;
        r = cut_at_component(&c->cgroup_v1_devices, x->cgroup_token);
        return r < 0 ? r : cut_at_component(&c->cgroup_v2, x->cgroup_token);
}

static int verify_cgroup(const dp_container *c, const dp_runtime_extra *x)
{
        const char *v1 = c->cgroup_v1_devices, *v2 = c->cgroup_v2;

        if (isempty(x->cgroup_token))
                return 0;
        if (!v1 && !v2)
                return -EKEYREJECTED; /* nothing to hold the answer against */
        /* Every hierarchy the init is seen in must agree. */
        if (v1 && !path_has_component(v1, x->cgroup_token, x->cgroup_exact))
                return -EKEYREJECTED;
        if (v2 && !path_has_component(v2, x->cgroup_token, x->cgroup_exact))
                return -EKEYREJECTED;
        return 0;
}

int dp_runtime_verify(const dp_container *c, const dp_runtime_extra *x)
{
        pid_t ppid;
        int r;

        if (!c || !x)
                return -EINVAL;
        if (c->host_namespaces)
                return -EHOSTUNREACH;
        if (x->parent > 0 || x->parent_root || x->parent_socket) {
                r = dp_proc_ppid(c->pid, &ppid);
                if (r < 0)
                        return r;
                if (x->parent > 0 && ppid != x->parent)
                        return -EKEYREJECTED;
                if (x->parent_root) {
                        r = ppid > 0 ? proc_is_root(ppid) : 0;
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return -EKEYREJECTED;
                }
                if (x->parent_socket) {
                        r = ppid > 0 ? proc_holds_socket(ppid, x->parent_socket)
                                     : 0;
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return -EKEYREJECTED;
                }
        }
        r = verify_cgroup(c, x);
        if (r < 0)
                return r;
        /* All of the above read /proc/PID by number: make sure it still is
         * the process the pidfd pins. */
        return dp_container_check_alive(c);
}
