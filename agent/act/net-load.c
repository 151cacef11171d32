/* SPDX-License-Identifier: MIT */
/* NIC moves live in a module, devpass-net.so (net.c), loaded the first time
 * a NIC moves (module-load.h). libnl-route registers some fifty object
 * types in constructors when it is loaded, which keeps ~550 KiB of libnl's
 * pages resident in every process that links it; an agent that never moves
 * a NIC (most of them) should not carry that. Once loaded the module stays:
 * a host that moves NICs once moves them again. */
#include "devpass/act.h"
#include "devpass/macro.h"
#include "module-load.h"

static struct {
        int (*identify)(const char *, dp_netdev_saved *);
        int (*move_in)(const dp_container *, const char *, const char *,
                       dp_netdev_saved *, int *);
        int (*move_out)(const dp_container *, int, const dp_netdev_saved *);
        int (*restore)(const dp_netdev_saved *);
        int (*netns_open)(const dp_container *, int *);
} net;

static int net_load(void)
{
        static const char *const names[] = {
                "dp_net_identify", "dp_net_move_in",    "dp_net_move_out",
                "dp_net_restore",  "dp_net_netns_open",
        };
        void *syms[ELEMENTSOF(names)];
        int r;

        if (net.identify)
                return 0;
        r = dp_module_load(DEVPASS_NET_MODULE, DEVPASS_NET_MODULE_BUILD,
                           "move NICs", names, syms, ELEMENTSOF(names));
        if (r < 0)
                return r;
        net.move_in = syms[1];
        net.move_out = syms[2];
        net.restore = syms[3];
        net.netns_open = syms[4];
        net.identify = syms[0]; /* last: it says the others are set */
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
