/* SPDX-License-Identifier: MIT */
/* LXC through liblxc: a container under the lxcpath (the global
 * "lxc.lxcpath", usually /var/lib/lxc; $DEVPASS_LXC_PATH overrides).
 * liblxc pulls in seven more libraries (seccomp, SELinux, AppArmor, …),
 * about 1.2 MiB of resident pages, that a host without LXC, a devpassctl that
 * only talks to the agent, or an agent between container starts should not
 * carry. So it is loaded with dlopen() only to look a container up (once per
 * container start) and unloaded right after; which containers run is read
 * from their command sockets in /proc/net/unix, as liblxc does itself.
 * Without liblxc (at build time or on the host) the runtime counts as not
 * installed. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

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

/* lxc.lxcpath as liblxc sees it for root: $DEVPASS_LXC_PATH, else the key
 * in /etc/lxc/lxc.conf, else the default. Read here rather than asked of
 * liblxc, which would have to be loaded for it and keeps the answer in
 * memory that unloading it leaks. */
static const char *lxc_path(void)
{
        _cleanup_free_ char *conf = NULL;
        const char *e = getenv("DEVPASS_LXC_PATH");
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

static int lxc_find(const char *name, pid_t *ret_pid,
                    dp_runtime_extra *ret_extra)
{
        struct lxc_container *c;
        pid_t pid;
        int r;

        if (!lxc_path())
                return -ENOMEM;
        r = lxc_load();
        if (r < 0)
                return r;
        c = lxc.container_new(name, lxc.path);
        if (!c)
                r = -ENOENT; /* liblxc refuses names it cannot hold */
        else if (!c->is_running(c))
                r = c->is_defined(c) ? -ESRCH : -ENOENT;
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
