/* SPDX-License-Identifier: MIT */
/* NIC moves between the agent's network namespace and a container's, with
 * libnl-route-3. Built as the module devpass-net.so, which net-load.c loads
 * the first time a NIC moves (see there); this file uses only libc and
 * libnl.
 *
 * A netlink socket acts in the netns it was created in. For the work inside
 * the container (find the link, set it up or down, move it back out) we
 * create a socket inside the container's netns by a short setns() on the
 * calling thread and switch straight back, rather than forking a child that
 * reports over a pipe: setns(CLONE_NEWNET) only affects the calling thread,
 * so other threads of the agent never see the switch; nothing but socket()
 * and bind() runs while switched; and all the link handling afterwards stays
 * in this process with libnl's full error codes. We never join the
 * container's pid, mount or user namespaces. */

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "devpass/act.h"
#include "devpass/macro.h"
#include "net-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_socket_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link *, rtnl_link_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_cache *, nl_cache_free)

#define _cleanup_nl_sock_  _cleanup_(nl_socket_freep)
#define _cleanup_link_     _cleanup_(rtnl_link_putp)
#define _cleanup_nl_addr_  _cleanup_(nl_addr_putp)
#define _cleanup_nl_cache_ _cleanup_(nl_cache_freep)

/* The kernel's fallback name when a NIC returns and neither its current nor
 * its original name is free (the same pattern it uses for physical NICs
 * coming back from a dying netns). */
#define RETURN_NAME_PATTERN "dev%d"

int dp_nl_errno(int nlerr)
{
        switch (nlerr < 0 ? -nlerr : nlerr) {
        case NLE_SUCCESS:
                return 0;
        case NLE_INTR:
                return -EINTR;
        case NLE_BAD_SOCK:
                return -EBADF;
        case NLE_AGAIN:
        case NLE_DUMP_INTR: /* dump changed underneath: retry */
                return -EAGAIN;
        case NLE_NOMEM:
                return -ENOMEM;
        case NLE_EXIST:
                return -EEXIST;
        case NLE_INVAL:
        case NLE_OBJ_MISMATCH:
        case NLE_IMMUTABLE:
                return -EINVAL;
        case NLE_RANGE:
                return -ERANGE;
        case NLE_MSGSIZE:
        case NLE_MSG_TRUNC:
                return -EMSGSIZE;
        case NLE_OPNOTSUPP:
        case NLE_SRCRT_NOSUPPORT:
        case NLE_MSGTYPE_NOSUPPORT:
                return -EOPNOTSUPP;
        case NLE_AF_NOSUPPORT:
                return -EAFNOSUPPORT;
        case NLE_OBJ_NOTFOUND:
        case NLE_NOCACHE:
        case NLE_PKTLOC_FILE:
                return -ENOENT;
        case NLE_NOATTR:
                return -ENODATA;
        case NLE_MISSING_ATTR:
        case NLE_MSG_TOOSHORT:
        case NLE_PARSE_ERR:
        case NLE_ATTRSIZE:
                return -EBADMSG;
        case NLE_AF_MISMATCH:
        case NLE_SEQ_MISMATCH:
                return -EPROTO;
        case NLE_MSG_OVERFLOW:
                return -EOVERFLOW;
        case NLE_NOADDR:
                return -EADDRNOTAVAIL;
        case NLE_BUSY:
                return -EBUSY;
        case NLE_PROTO_MISMATCH:
                return -EPROTONOSUPPORT;
        case NLE_NOACCESS:
                return -EACCES;
        case NLE_PERM:
                return -EPERM;
        case NLE_NODEV:
                return -ENODEV;
        default: /* NLE_FAILURE: libnl's code for kernel errnos it lacks */
                return -EIO;
        }
}

bool dp_ifname_valid(const char *name)
{
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n >= IFNAMSIZ)
                return false;
        if (streq(name, ".") || streq(name, ".."))
                return false;
        for (const char *p = name; *p; p++)
                if (*p == '/' || *p == ':' || *p == '%' || *p == ' ' ||
                    (*p >= '\t' && *p <= '\r'))
                        return false;
        return true;
}

static int hexval(char ch)
{
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

int dp_mac_parse(const char *s, uint8_t ret[6])
{
        uint8_t mac[6];

        if (!s || strlen(s) != 17)
                return -EINVAL;
        for (size_t i = 0; i < 6; i++) {
                const char *p = s + i * 3;
                int hi = hexval(p[0]), lo = hexval(p[1]);

                if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
                        return -EINVAL;
                mac[i] = (uint8_t)(hi << 4 | lo);
        }
        memcpy(ret, mac, sizeof(mac));
        return 0;
}

/* "" when the link has no 6-byte hardware address (tun, ip tunnels). */
static void link_mac(struct rtnl_link *link, char ret[18])
{
        struct nl_addr *a = rtnl_link_get_addr(link);
        const uint8_t *b;

        ret[0] = '\0';
        if (!a || nl_addr_get_len(a) != 6)
                return;
        b = nl_addr_get_binary_addr(a);
        snprintf(ret, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
                 b[3], b[4], b[5]);
}

static bool link_has_mac(struct rtnl_link *link, const uint8_t mac[6])
{
        struct nl_addr *a = rtnl_link_get_addr(link);

        return a && nl_addr_get_len(a) == 6 &&
               memcmp(nl_addr_get_binary_addr(a), mac, 6) == 0;
}

/* Readable pidfd: init has exited and whatever we opened under /proc/PID
 * may belong to a recycled pid. */
static int pidfd_check(int pidfd)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int r;

        r = poll(&p, 1, 0);
        if (r < 0)
                return negative_errno();
        if (p.revents & POLLNVAL)
                return -EBADF;
        if (r > 0 && (p.revents & POLLIN))
                return -ESRCH;
        return 0;
}

static int container_netns_open(const dp_container *c, int *ret_fd)
{
        _cleanup_close_ int fd = -EBADF;
        char path[64];
        int r;

        if (c->pid <= 0 || c->pidfd < 0)
                return -EINVAL;
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                /* A zombie init has dropped its namespaces. */
                return errno == ENOENT || errno == ESRCH ? -ESRCH
                                                         : negative_errno();
        r = pidfd_check(c->pidfd);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The agent's own netns, where NICs come back to. /proc/self, not
 * /proc/1: root gets EACCES on the namespaces of an init in another pid
 * namespace, and pid 1 need not be in the agent's netns anyway. */
static int agent_netns_open(int *ret_fd)
{
        int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

static int same_netns(int a, int b)
{
        struct stat sa, sb;

        if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
                return negative_errno();
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int nl_open(struct nl_sock **ret)
{
        _cleanup_nl_sock_ struct nl_sock *sk = nl_socket_alloc();
        int r;

        if (!sk)
                return -ENOMEM;
        r = nl_connect(sk, NETLINK_ROUTE);
        if (r < 0)
                return dp_nl_errno(r);
        *ret = TAKE_PTR(sk);
        return 0;
}

/* A route socket that lives in the netns behind netnsfd (see the top of
 * the file for why a temporary setns). */
static int nl_open_in_netns(int netnsfd, struct nl_sock **ret)
{
        _cleanup_nl_sock_ struct nl_sock *sk = NULL;
        _cleanup_close_ int self = -EBADF;
        int r;

        /* thread-self: setns() moved this thread only, so this thread's
         * netns is the one to return to. */
        self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return negative_errno();
        sk = nl_socket_alloc();
        if (!sk)
                return -ENOMEM;
        if (setns(netnsfd, CLONE_NEWNET) < 0)
                return negative_errno();
        r = nl_connect(sk, NETLINK_ROUTE);
        /* Going back to a netns we hold an fd of cannot fail for lack of
         * privilege; if it still did, carrying on would run every later
         * network operation of this thread inside a container. */
        if (setns(self, CLONE_NEWNET) < 0)
                abort();
        if (r < 0)
                return dp_nl_errno(r);
        *ret = TAKE_PTR(sk);
        return 0;
}

static int link_get(struct nl_sock *sk, int ifindex, const char *name,
                    struct rtnl_link **ret)
{
        struct rtnl_link *link = NULL;
        int r;

        r = rtnl_link_get_kernel(sk, ifindex, name, &link);
        if (r < 0) {
                r = dp_nl_errno(r);
                return r == -ENOENT ? -ENODEV : r;
        }
        if (!link)
                return -ENODEV;
        *ret = link;
        return 0;
}

/* In the socket's netns, the first link with that MAC (ifindex order). */
static int link_find_by_mac(struct nl_sock *sk, const uint8_t mac[6],
                            struct rtnl_link **ret)
{
        _cleanup_nl_cache_ struct nl_cache *cache = NULL;
        int r;

        r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
        if (r < 0)
                return dp_nl_errno(r);
        for (struct nl_object *o = nl_cache_get_first(cache); o;
             o = nl_cache_get_next(o)) {
                struct rtnl_link *l = (struct rtnl_link *)o;

                if (link_has_mac(l, mac)) {
                        nl_object_get(o);
                        *ret = l;
                        return 0;
                }
        }
        return -ENODEV;
}

static int link_set_up(struct nl_sock *sk, struct rtnl_link *link, bool up)
{
        _cleanup_link_ struct rtnl_link *change = NULL;
        int r;

        if (!!(rtnl_link_get_flags(link) & IFF_UP) == up)
                return 0;
        change = rtnl_link_alloc();
        if (!change)
                return -ENOMEM;
        if (up)
                rtnl_link_set_flags(change, IFF_UP);
        else
                rtnl_link_unset_flags(change, IFF_UP);
        r = rtnl_link_change(sk, link, change, 0);
        return r < 0 ? dp_nl_errno(r) : 0;
}

/* Moves link (which sits in sk_in's netns) with a request on sk_in. name:
 * the name wanted in the target, or NULL. The kernel keeps the current name
 * if it is free in the target, else takes `name` as the name, then renames
 * to `name`; the rename can fail after the move has happened. */
static int link_move(struct nl_sock *sk, struct rtnl_link *link, int nsfd,
                     const char *name)
{
        _cleanup_link_ struct rtnl_link *change = rtnl_link_alloc();
        int r;

        if (!change)
                return -ENOMEM;
        rtnl_link_set_ns_fd(change, nsfd);
        if (name)
                rtnl_link_set_name(change, name);
        r = rtnl_link_change(sk, link, change, 0);
        return r < 0 ? dp_nl_errno(r) : 0;
}

/* Moves link_in from the container (sk_in) to the agent's netns and
 * restores what `saved` recorded. 0; -EADDRINUSE when the original name was
 * taken on the host, so the NIC is back under another name; other errors
 * when it could not be moved or found again. */
static int link_return(struct nl_sock *sk_in, struct nl_sock *sk_host,
                       int agent_nsfd, struct rtnl_link *link_in,
                       const dp_netdev_saved *saved)
{
        _cleanup_link_ struct rtnl_link *host = NULL, *change = NULL,
                                        *still = NULL;
        _cleanup_nl_addr_ struct nl_addr *addr = NULL;
        int ifindex = rtnl_link_get_ifindex(link_in);
        uint8_t cur_mac[6] = {0}, want_mac[6];
        struct nl_addr *a;
        bool have_mac = false;
        int r, ret = 0;

        /* The MAC as it is now identifies the NIC on the host: its ifindex
         * only survives the move if the host has that index free. */
        a = rtnl_link_get_addr(link_in);
        if (a && nl_addr_get_len(a) == 6) {
                memcpy(cur_mac, nl_addr_get_binary_addr(a), 6);
                have_mac = true;
        }

        r = link_set_up(sk_in, link_in, false);
        if (r < 0)
                return r;

        r = link_move(sk_in, link_in, agent_nsfd, saved->name);
        if (r < 0) {
                if (link_get(sk_in, ifindex, NULL, &still) >= 0) {
                        /* Not moved. -EEXIST here: both its current and its
                         * original name are taken on the host. */
                        if (r != -EEXIST)
                                return r;
                        r = link_move(sk_in, still, agent_nsfd,
                                      RETURN_NAME_PATTERN);
                        if (r < 0)
                                return r;
                }
                /* else moved, but the rename to the original name failed. */
        }

        r = link_get(sk_host, ifindex, NULL, &host);
        if (r >= 0 && have_mac && !link_has_mac(host, cur_mac)) {
                rtnl_link_put(TAKE_PTR(host));
                r = -ENODEV;
        }
        if (r < 0 && have_mac)
                r = link_find_by_mac(sk_host, cur_mac, &host);
        if (r < 0)
                return r;

        change = rtnl_link_alloc();
        if (!change)
                return -ENOMEM;
        bool changed = false;
        if (dp_mac_parse(saved->mac, want_mac) >= 0 &&
            !link_has_mac(host, want_mac)) {
                addr = nl_addr_build(AF_LLC, want_mac, sizeof(want_mac));
                if (!addr)
                        return -ENOMEM;
                rtnl_link_set_addr(change, addr);
                changed = true;
        }
        if (saved->mtu > 0 && rtnl_link_get_mtu(host) != saved->mtu) {
                rtnl_link_set_mtu(change, saved->mtu);
                changed = true;
        }
        if (changed) {
                r = rtnl_link_change(sk_host, host, change, 0);
                if (r < 0)
                        ret = dp_nl_errno(r);
        }
        if (saved->up) {
                r = link_set_up(sk_host, host, true);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        if (ret == 0 && !streq(rtnl_link_get_name(host), saved->name))
                ret = -EADDRINUSE;
        return ret;
}

int dp_net_move_in(const dp_container *c, const char *ifname,
                   const char *name_inside, dp_netdev_saved *ret_saved)
{
        _cleanup_nl_sock_ struct nl_sock *sk_host = NULL, *sk_in = NULL;
        _cleanup_link_ struct rtnl_link *link = NULL, *link_in = NULL,
                                        *still = NULL;
        _cleanup_close_ int nsfd = -EBADF, agent_nsfd = -EBADF;
        dp_netdev_saved saved = {};
        const char *type;
        int ifindex, r;

        if (!c || !ret_saved || !dp_ifname_valid(ifname))
                return -EINVAL;
        if (name_inside && !dp_ifname_valid(name_inside))
                return -EINVAL;

        r = container_netns_open(c, &nsfd);
        if (r < 0)
                return r;
        r = agent_netns_open(&agent_nsfd);
        if (r < 0)
                return r;
        r = same_netns(nsfd, agent_nsfd);
        if (r < 0)
                return r;
        if (r > 0) /* shares the host's network: nothing to move into */
                return -EOPNOTSUPP;
        r = nl_open(&sk_host);
        if (r < 0)
                return r;
        r = nl_open_in_netns(nsfd, &sk_in);
        if (r < 0)
                return r;

        r = link_get(sk_host, 0, ifname, &link);
        if (r < 0)
                return r;
        type = rtnl_link_get_type(link);
        if (type && streq(type, "bridge"))
                return -EOPNOTSUPP;

        /* The name the kernel reports, not an altname the caller used. */
        snprintf(saved.name, sizeof(saved.name), "%s",
                 rtnl_link_get_name(link));
        snprintf(saved.name_inside, sizeof(saved.name_inside), "%s",
                 name_inside ?: saved.name);
        link_mac(link, saved.mac);
        saved.mtu = rtnl_link_get_mtu(link);
        saved.up = rtnl_link_get_flags(link) & IFF_UP;
        ifindex = rtnl_link_get_ifindex(link);

        /* No need to set it down first: the kernel closes a device it moves
         * to another netns, so the rename that follows finds it down. The
         * new name goes into the same request so that a clash with the old
         * name inside is resolved by the kernel. We do not look for a clash
         * with name_inside beforehand: the container could create that name
         * between our look and our move, so the move-back below is needed
         * in any case. */
        r = link_move(sk_host, link, nsfd,
                      streq(saved.name_inside, saved.name) ? NULL
                                                           : saved.name_inside);
        if (r < 0) {
                int q;

                if (link_get(sk_host, ifindex, NULL, &still) >= 0)
                        /* Not moved. The names were checked above, so EINVAL
                         * is the kernel refusing a netns-local device. */
                        return r == -EINVAL ? -EOPNOTSUPP : r;

                /* Moved, but the rename inside failed: it is there under its
                 * host name. Bring it back. */
                q = link_get(sk_in, 0, saved.name, &link_in);
                if (q >= 0)
                        q = link_return(sk_in, sk_host, agent_nsfd, link_in,
                                        &saved);
                /* -EADDRINUSE: back on the host, but its name was taken in
                 * the meantime; the rename failure is still the news. */
                return q < 0 && q != -EADDRINUSE ? q : r;
        }

        r = link_get(sk_in, 0, saved.name_inside, &link_in);
        if (r < 0)
                /* Renamed inside already? The ifindex usually survives. */
                r = link_get(sk_in, ifindex, NULL, &link_in);
        if (r < 0)
                return r;
        saved.ifindex_inside = rtnl_link_get_ifindex(link_in);

        if (saved.up) {
                r = link_set_up(sk_in, link_in, true);
                if (r < 0) {
                        (void)link_return(sk_in, sk_host, agent_nsfd, link_in,
                                          &saved);
                        return r;
                }
        }

        *ret_saved = saved;
        return 0;
}

int dp_net_move_out(const dp_container *c, const dp_netdev_saved *saved)
{
        _cleanup_nl_sock_ struct nl_sock *sk_host = NULL, *sk_in = NULL;
        _cleanup_link_ struct rtnl_link *link_in = NULL;
        _cleanup_close_ int nsfd = -EBADF, agent_nsfd = -EBADF;
        int r;

        if (!c || !saved || !dp_ifname_valid(saved->name))
                return -EINVAL;
        if (saved->name_inside[0] && !dp_ifname_valid(saved->name_inside))
                return -EINVAL;

        /* Init gone: the netns went with it, and with it a veth/tap (gone
         * for good) or a physical NIC (back on the host under a kernel-given
         * name). The caller looks for it by MAC. */
        r = container_netns_open(c, &nsfd);
        if (r < 0)
                return r;
        r = agent_netns_open(&agent_nsfd);
        if (r < 0)
                return r;
        r = nl_open(&sk_host);
        if (r < 0)
                return r;
        r = nl_open_in_netns(nsfd, &sk_in);
        if (r < 0)
                return r;

        r = -ENODEV;
        if (saved->ifindex_inside > 0)
                r = link_get(sk_in, saved->ifindex_inside, NULL, &link_in);
        if (r < 0)
                r = link_get(sk_in, 0,
                             saved->name_inside[0] ? saved->name_inside
                                                   : saved->name,
                             &link_in);
        if (r < 0)
                return r;

        return link_return(sk_in, sk_host, agent_nsfd, link_in, saved);
}

/* A route socket in the agent's netns and the first link there with mac. */
static int host_link_by_mac(const char *mac, struct nl_sock **ret_sk,
                            struct rtnl_link **ret_link)
{
        _cleanup_nl_sock_ struct nl_sock *sk = NULL;
        uint8_t b[6];
        int r;

        r = dp_mac_parse(mac, b);
        if (r < 0)
                return r;
        r = nl_open(&sk);
        if (r < 0)
                return r;
        r = link_find_by_mac(sk, b, ret_link);
        if (r < 0)
                return r;
        *ret_sk = TAKE_PTR(sk);
        return 0;
}

int dp_net_find_by_mac(const char *mac, char ret_ifname[16])
{
        _cleanup_nl_sock_ struct nl_sock *sk = NULL;
        _cleanup_link_ struct rtnl_link *link = NULL;
        int r;

        if (!ret_ifname)
                return -EINVAL;
        r = host_link_by_mac(mac, &sk, &link);
        if (r < 0)
                return r;
        snprintf(ret_ifname, IFNAMSIZ, "%s", rtnl_link_get_name(link));
        return 0;
}

int dp_net_restore(const dp_netdev_saved *saved)
{
        _cleanup_nl_sock_ struct nl_sock *sk = NULL;
        _cleanup_link_ struct rtnl_link *link = NULL, *change = NULL,
                                        *taken = NULL;
        int r;

        if (!saved || !dp_ifname_valid(saved->name))
                return -EINVAL;
        /* a physical NIC comes back from a dead netns under a kernel-given
         * name; a virtual one (veth, tap, …) is destroyed with the netns */
        r = host_link_by_mac(saved->mac, &sk, &link);
        if (r < 0)
                return r;
        change = rtnl_link_alloc();
        if (!change)
                return -ENOMEM;
        if (!streq(rtnl_link_get_name(link), saved->name)) {
                if (link_get(sk, 0, saved->name, &taken) == 0)
                        return -EADDRINUSE;
                r = link_set_up(sk, link, false);
                if (r < 0)
                        return r;
                rtnl_link_set_name(change, saved->name);
        }
        if (saved->mtu > 0 && rtnl_link_get_mtu(link) != saved->mtu)
                rtnl_link_set_mtu(change, saved->mtu);
        r = rtnl_link_change(sk, link, change, 0);
        if (r < 0)
                return dp_nl_errno(r);
        if (saved->up) {
                _cleanup_link_ struct rtnl_link *now = NULL;

                r = link_get(sk, 0, saved->name, &now);
                if (r < 0)
                        return r;
                r = link_set_up(sk, now, true);
        }
        return r;
}
