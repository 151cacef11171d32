/* SPDX-License-Identifier: MIT */
/* NIC moves live in a module, devpass-net.so (net.c), loaded with dlopen()
 * the first time a NIC moves. libnl-route registers some fifty object types
 * in constructors when it is loaded, which keeps ~550 KiB of libnl's pages
 * resident in every process that links it; an agent that never moves a NIC
 * (most of them) should not carry that. Once loaded the module stays: a
 * host that moves NICs once moves them again.
 *
 * Which file: programs run from the build tree load the build tree's
 * module, installed ones the installed module; never one found through the
 * environment. As root we load only a file, and a directory holding it,
 * that nobody but root (or our own user) can change. */
#include <dlfcn.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devpass/act.h"
#include "devpass/log.h"
#include "devpass/util.h"

static bool safe_owner(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 &&
               (st.st_uid == 0 || st.st_uid == geteuid()) &&
               !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* A regular file that only its owner (root or us) can change, in a
 * directory likewise. */
static bool trusted(const char *path)
{
        char dir[PATH_MAX];
        struct stat st;
        char *slash;

        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !safe_owner(path) ||
            strlen(path) >= sizeof(dir))
                return false;
        strcpy(dir, path);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return false;
        *slash = 0;
        return safe_owner(dir);
}

static const char *module_path(void)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n > 0) {
                self[n] = 0;
                if (startswith(self, DEVPASS_BUILD_DIR))
                        return DEVPASS_NET_MODULE_BUILD;
        }
        return DEVPASS_NET_MODULE;
}

static struct {
        void *dl;
        int (*identify)(const char *, dp_netdev_saved *);
        int (*move_in)(const dp_container *, const char *, const char *,
                       dp_netdev_saved *, int *);
        int (*move_out)(const dp_container *, int, const dp_netdev_saved *);
        int (*restore)(const dp_netdev_saved *);
        int (*netns_open)(const dp_container *, int *);
} net;

static int net_load(void)
{
        const char *path;
        void *dl;

        if (net.dl)
                return 0;
        path = module_path();
        if (!trusted(path)) {
                log_error("%s, needed to move NICs, is missing or can be "
                          "changed by others than root; not loaded",
                          path);
                return -ELIBACC;
        }
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                log_error("Cannot load %s, needed to move NICs: %s", path,
                          dlerror());
                return -ELIBACC;
        }
        net.identify = dlsym(dl, "dp_net_identify");
        net.move_in = dlsym(dl, "dp_net_move_in");
        net.move_out = dlsym(dl, "dp_net_move_out");
        net.restore = dlsym(dl, "dp_net_restore");
        net.netns_open = dlsym(dl, "dp_net_netns_open");
        if (!net.identify || !net.move_in || !net.move_out || !net.restore ||
            !net.netns_open) {
                log_error("%s lacks an entry point: %s", path, dlerror());
                dlclose(dl);
                return -ELIBBAD;
        }
        net.dl = dl;
        return 0;
}

int dp_act_net_identify(const char *ifname, dp_netdev_saved *ret)
{
        int r = net_load();

        return r < 0 ? r : net.identify(ifname, ret);
}

int dp_act_net_move_in(const dp_container *c, const char *ifname,
                       const char *name_inside, dp_netdev_saved *ret_saved,
                       int *ret_netns_fd)
{
        int r = net_load();

        return r < 0 ? r
                     : net.move_in(c, ifname, name_inside, ret_saved,
                                   ret_netns_fd);
}

int dp_act_net_move_out(const dp_container *c, int netns_fd,
                        const dp_netdev_saved *saved)
{
        int r = net_load();

        return r < 0 ? r : net.move_out(c, netns_fd, saved);
}

int dp_act_net_netns_open(const dp_container *c, int *ret_fd)
{
        int r = net_load();

        return r < 0 ? r : net.netns_open(c, ret_fd);
}

int dp_act_net_restore(const dp_netdev_saved *saved)
{
        int r = net_load();

        return r < 0 ? r : net.restore(saved);
}
