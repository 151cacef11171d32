/* SPDX-License-Identifier: MIT */
/* LXC through liblxc: a container under the lxcpath (the global
 * "lxc.lxcpath", usually /var/lib/lxc; $DEVPASS_LXC_PATH overrides).
 * liblxc is loaded with dlopen() the first time an LXC container is looked
 * up: it pulls in seven more libraries (seccomp, SELinux, AppArmor, …) that
 * a host without LXC, or a devpassctl that only talks to the agent, should
 * not pay for in start-up time and memory. Without liblxc (at build time or
 * on the host) the runtime counts as not installed. */
#include <dlfcn.h>
#include <string.h>

#include "core/runtime.h"
#include "devpass/util.h"

#ifdef HAVE_LIBLXC
#include <lxc/lxccontainer.h>

static struct {
        bool tried;
        void *dl;
        struct lxc_container *(*container_new)(const char *, const char *);
        int (*container_put)(struct lxc_container *);
        int (*list_active)(const char *, char ***, struct lxc_container ***);
        const char *(*config_item)(const char *);
} lxc;

static int lxc_load(void)
{
        if (lxc.tried)
                return lxc.dl ? 0 : -ENOMEDIUM;
        lxc.tried = true;
        lxc.dl = dlopen("liblxc.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!lxc.dl)
                return -ENOMEDIUM;
        lxc.container_new = dlsym(lxc.dl, "lxc_container_new");
        lxc.container_put = dlsym(lxc.dl, "lxc_container_put");
        lxc.list_active = dlsym(lxc.dl, "list_active_containers");
        lxc.config_item = dlsym(lxc.dl, "lxc_get_global_config_item");
        if (!lxc.container_new || !lxc.container_put || !lxc.list_active ||
            !lxc.config_item) {
                dlclose(lxc.dl);
                lxc.dl = NULL;
                return -ENOMEDIUM;
        }
        return 0;
}

static const char *lxc_path(void)
{
        const char *e = getenv("DEVPASS_LXC_PATH");

        if (!isempty(e))
                return e;
        e = lxc.config_item("lxc.lxcpath");
        return isempty(e) ? "/var/lib/lxc" : e;
}

static int lxc_find(const char *name, pid_t *ret_pid,
                    dp_runtime_extra *ret_extra)
{
        struct lxc_container *c;
        pid_t pid;
        int r;

        r = lxc_load();
        if (r < 0)
                return r;
        c = lxc.container_new(name, lxc_path());
        if (!c)
                return -ENOENT; /* liblxc refuses names it cannot hold */
        if (!c->is_running(c))
                r = c->is_defined(c) ? -ESRCH : -ENOENT;
        else {
                pid = c->init_pid(c);
                r = pid > 0 ? 0 : -ESRCH;
                if (r == 0)
                        *ret_pid = pid;
        }
        lxc.container_put(c);
        return r;
}

static int lxc_list(char ***ret_names)
{
        _cleanup_strv_free_ char **out = NULL;
        char **names = NULL;
        int n, r;

        r = lxc_load();
        if (r < 0)
                return r;
        n = lxc.list_active(lxc_path(), &names, NULL);
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
