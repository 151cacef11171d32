/* SPDX-License-Identifier: MIT */
/* LXC through liblxc: a container under the lxcpath (the global
 * "lxc.lxcpath", usually /var/lib/lxc; dp_config lxc_path overrides).
 * liblxc pulls in seven more libraries (seccomp, SELinux, AppArmor, …),
 * about 1.2 MiB of resident pages, that a host without LXC, a devpassctl that
 * only talks to the agent, or an agent between container starts should not
 * carry. So it is loaded with dlopen() only to look a container up (once per
 * container start) and unloaded right after; which containers run is read
 * from their command sockets in /proc/net/unix, as liblxc does itself.
 * Without liblxc (at build time or on the host) the runtime counts as not
 * installed. */
#include <dlfcn.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/util.h"

#ifdef HAVE_LIBLXC
#include <lxc/lxccontainer.h>

static struct {
        bool missing; /* dlopen() failed once: the runtime is not here */
        void *dl;
        struct lxc_container *(*container_new)(const char *, const char *);
        int (*container_put)(struct lxc_container *);
        int (*list_active)(const char *, char ***, struct lxc_container ***);
        char *path; /* lxc.lxcpath */
} lxc;

static void lxc_unload(void)
{
        if (lxc.dl)
                dlclose(lxc.dl);
        lxc.dl = NULL;
}

static int lxc_load(void)
{
        if (lxc.missing)
                return -ENOMEDIUM;
        if (lxc.dl)
                return 0;
        lxc.dl = dlopen("liblxc.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!lxc.dl) {
                lxc.missing = true;
                return -ENOMEDIUM;
        }
        lxc.container_new = dlsym(lxc.dl, "lxc_container_new");
        lxc.container_put = dlsym(lxc.dl, "lxc_container_put");
        lxc.list_active = dlsym(lxc.dl, "list_active_containers");
        if (!lxc.container_new || !lxc.container_put || !lxc.list_active) {
                lxc_unload();
                lxc.missing = true;
                return -ENOMEDIUM;
        }
        return 0;
}

/* lxc.lxcpath as liblxc sees it for root: dp_config lxc_path, else the key
 * in /etc/lxc/lxc.conf, else the default. Read here rather than asked of
 * liblxc, which would have to be loaded for it and keeps the answer in
 * memory that unloading it leaks. */
static const char *lxc_path(void)
{
        _cleanup_free_ char *conf = NULL;
        const char *e = dp_config_get()->lxc_path;
        char *v = NULL;

        if (lxc.path)
                return lxc.path;
        if (isempty(e) && read_full_file("/etc/lxc/lxc.conf", &conf, NULL) >= 0)
                for (char *l = strtok(conf, "\n"); l; l = strtok(NULL, "\n")) {
                        l += strspn(l, " \t");
                        if (!startswith(l, "lxc.lxcpath"))
                                continue;
                        l += strlen("lxc.lxcpath");
                        l += strspn(l, " \t");
                        if (*l != '=')
                                continue;
                        l++;
                        l += strspn(l, " \t");
                        l[strcspn(l, " \t#")] = 0;
                        if (*l)
                                e = l;
                }
        lxc.path = v = strdup(isempty(e) ? "/var/lib/lxc" : e);
        /* the socket name has no doubled or trailing slash */
        for (size_t n = v ? strlen(v) : 0; n > 1 && v[n - 1] == '/';)
                v[--n] = 0;
        return lxc.path;
}

/* The monitor's command socket name, as liblxc makes it: "LXCPATH/NAME/
 * command", or, when that does not fit a socket address, "lxc/HASH/command"
 * with HASH the 64-bit FNV-1a of "LXCPATH/NAME". */
static int command_socket_name(const char *lxcpath, const char *name, char *buf,
                               size_t size)
{
        /* liblxc keeps room for the leading NUL and a trailing one */
        size_t room = sizeof(((struct sockaddr_un *)NULL)->sun_path) - 2;
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        _cleanup_free_ char *full = NULL;
        int n;

        n = snprintf(buf, size, "%s/%s/command", lxcpath, name);
        if (n >= 0 && (size_t)n < room && (size_t)n < size)
                return 0;
        full = strjoin_sep("/", lxcpath, name, NULL);
        if (!full)
                return -ENOMEM;
        for (const unsigned char *p = (const unsigned char *)full; *p; p++) {
                h ^= *p;
                h *= UINT64_C(0x100000001b3);
        }
        n = snprintf(buf, size, "lxc/%016" PRIx64 "/command", h);
        return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* The inode of the listening socket bound to the abstract name, from
 * /proc/net/unix (the agent's network namespace: abstract names are per
 * namespace). -ESRCH: nobody listens there. */
static int command_socket_inode(const char *sockname, unsigned long *ret)
{
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file("/proc/net/unix", &text, NULL);
        if (r < 0)
                return r;
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                unsigned long flags, inode;
                unsigned type, st;
                char path[128];

                /* Num RefCount Protocol Flags Type St Inode Path */
                if (sscanf(l, "%*s %*s %*s %lx %x %x %lu @%127s", &flags, &type,
                           &st, &inode, path) != 5)
                        continue;
                /* __SO_ACCEPTCON: the listener, not an accepted socket */
                if (!(flags & 0x10000) || !streq(path, sockname))
                        continue;
                *ret = inode;
                return 0;
        }
        return -ESRCH;
}

/* An abstract socket has no owner and no permissions: anyone in the host's
 * network namespace can bind the name of a container that is not running
 * and answer liblxc's queries. So the listener must run as root, and the
 * init liblxc then reports must be the child of the process that holds
 * that listening socket (the monitor forks the container's init), in the
 * cgroup LXC gives the payload. Containers of another user's lxcpath are
 * not served. */
static int lxc_monitor_check(const char *lxcpath, const char *name,
                             dp_runtime_extra *ret_extra)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;
        char sockname[sizeof(sa.sun_path)];
        unsigned long inode;
        int r, n;

        r = command_socket_name(lxcpath, name, sockname, sizeof(sockname));
        if (r < 0)
                return r;
        n = (int)strlen(sockname);
        memcpy(sa.sun_path + 1, sockname, (size_t)n);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *)&sa,
                    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                                (size_t)n)) < 0)
                return errno == ECONNREFUSED ? 1 : negative_errno();
        r = dp_peer_check_root(fd, NULL);
        if (r < 0)
                return r;
        r = command_socket_inode(sockname, &inode);
        if (r < 0)
                return r == -ESRCH ? -EKEYREJECTED : r;
        ret_extra->parent_root = true;
        ret_extra->parent_socket = inode;
        ret_extra->cgroup_exact = true;
        n = snprintf(ret_extra->cgroup_token, sizeof(ret_extra->cgroup_token),
                     "lxc.payload.%s", name);
        return n > 0 && (size_t)n < sizeof(ret_extra->cgroup_token)
                       ? 0
                       : -ENAMETOOLONG;
}

/* The monitor's child in the payload cgroup LXC makes by default
 * (lxc.payload.NAME at the hierarchy's root): found without liblxc, whose
 * load costs milliseconds per lookup. Only a candidate: the resolver checks
 * that its parent holds the monitor's socket and that it is in that cgroup
 * (dp_runtime_verify). -ESRCH when the cgroup is elsewhere or its init
 * sits in a child cgroup (systemd inside): liblxc answers then. */
static int payload_init(const char *name, pid_t *ret)
{
        const char *roots[] = {dp_cgroup_v2_root(),
                               dp_cgroup_v1_devices_root()};

        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                _cleanup_free_ char *dir = NULL;

                if (!roots[i])
                        continue;
                if (asprintf(&dir, "%s/lxc.payload.%s", roots[i], name) < 0)
                        return -ENOMEM;
                if (dp_cgroup_find_init(dir, ret) == 0)
                        return 0;
        }
        return -ESRCH;
}

int dp_lxc_find_at(const char *lxcpath, const char *name, pid_t *ret_pid,
                   dp_runtime_extra *ret_extra)
{
        struct lxc_container *c;
        pid_t pid;
        int r;

        if (!lxcpath || !name)
                return -EINVAL;
        if (lxc.missing)
                return -ENOMEDIUM;
        /* 1: no monitor listens, so liblxc can only say "stopped" or
         * "unknown"; its answer decides which. */
        r = lxc_monitor_check(lxcpath, name, ret_extra);
        if (r < 0)
                return r;
        if (r == 0 && payload_init(name, &pid) == 0) {
                *ret_pid = pid;
                return 0;
        }
        r = lxc_load() < 0 ? -ENOMEDIUM : r;
        if (r < 0)
                return r;
        c = lxc.container_new(name, lxcpath);
        if (!c)
                r = -ENOENT; /* liblxc refuses names it cannot hold */
        else if (!c->is_running(c))
                r = c->is_defined(c) ? -ESRCH : -ENOENT;
        else if (r == 1)
                r = -ESRCH; /* "running" with no monitor listening */
        else {
                pid = c->init_pid(c);
                r = pid > 0 ? 0 : -ESRCH;
                if (r == 0)
                        *ret_pid = pid;
        }
        if (c)
                lxc.container_put(c);
        lxc_unload();
        return r;
}

static int lxc_find(const char *name, pid_t *ret_pid,
                    dp_runtime_extra *ret_extra)
{
        if (!lxc_path())
                return -ENOMEM;
        return dp_lxc_find_at(lxc.path, name, ret_pid, ret_extra);
}

static int list_liblxc(char ***ret_names)
{
        _cleanup_strv_free_ char **out = NULL;
        char **names = NULL;
        int n, r;

        r = lxc_load(); /* lxc_path() was asked first */
        if (r < 0)
                return r;
        n = lxc.list_active(lxc.path, &names, NULL);
        lxc_unload();
        if (n < 0)
                return -EIO;
        out = calloc(1, sizeof(char *));
        if (!out)
                r = -ENOMEM;
        for (int i = 0; i < n; i++) {
                if (r >= 0) {
                        r = strv_push(&out, names[i]);
                        if (r >= 0)
                                continue;
                }
                free(names[i]);
        }
        free(names);
        if (r < 0)
                return r;
        *ret_names = TAKE_PTR(out);
        return 0;
}

/* A running container's monitor listens on the abstract socket
 * "@LXCPATH/NAME/command". liblxc hashes the name ("@lxc/HASH/command")
 * when it does not fit a socket address; then only liblxc can tell. */
static int lxc_list(char ***ret_names)
{
        _cleanup_strv_free_ char **out = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *prefix = NULL;
        int r;

        if (lxc.missing)
                return -ENOMEDIUM;
        if (!lxc_path())
                return -ENOMEM;
        prefix = strjoin_sep("", "@", lxc.path, "/", NULL);
        out = calloc(1, sizeof(char *));
        if (!prefix || !out)
                return -ENOMEM;
        r = read_full_file("/proc/net/unix", &text, NULL);
        if (r < 0)
                return r;
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                char *sock = strrchr(l, ' '), *name;
                size_t n;

                if (!sock || *++sock != '@')
                        continue;
                if (startswith(sock, "@lxc/") && endswith(sock, "/command"))
                        return list_liblxc(ret_names);
                if (!startswith(sock, prefix) || !endswith(sock, "/command"))
                        continue;
                name = sock + strlen(prefix);
                n = strlen(name) - strlen("/command");
                if (n == 0)
                        continue;
                name[n] = 0;
                if (strchr(name, '/') || strv_contains(out, name))
                        continue;
                r = strv_extend(&out, name);
                if (r < 0)
                        return r;
        }
        *ret_names = TAKE_PTR(out);
        return 0;
}
#else
int dp_lxc_find_at(const char *lxcpath, const char *name, pid_t *ret_pid,
                   dp_runtime_extra *ret_extra)
{
        return -ENOMEDIUM;
}

static int lxc_find(const char *name, pid_t *ret_pid,
                    dp_runtime_extra *ret_extra)
{
        return -ENOMEDIUM;
}

static int lxc_list(char ***ret_names)
{
        return -ENOMEDIUM;
}
#endif

const dp_runtime_ops dp_runtime_lxc_ops = {
        .runtime = DP_RUNTIME_LXC,
        .name = "lxc",
        .list = lxc_list,
        .find_pid = lxc_find,
};
