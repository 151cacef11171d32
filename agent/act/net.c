/* SPDX-License-Identifier: MIT */
/* NIC moves between the agent's network namespace and a container's, with
 * libnl-route-3. Built as the module devpass-net.so, which net-load.c loads
 * the first time a NIC moves (see there); the module uses only libc, libnl
 * and the namespace child of ns-spawn.c.
 *
 * The work inside the container (find the link, set it up or down, move it
 * back out) goes through route sockets that live in the container's netns,
 * made without the agent ever leaving its own (net-sock.c). We never join
 * the container's pid, mount or user namespaces. */

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "devpass/act.h"
#include "devpass/macro.h"
#include "net-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_socket_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link *, rtnl_link_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put)

#define _cleanup_nl_sock_ _cleanup_(nl_socket_freep)
#define _cleanup_link_    _cleanup_(rtnl_link_putp)
#define _cleanup_nl_addr_ _cleanup_(nl_addr_putp)

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

/* Moves link (in sk's netns) to the netns behind nsfd, renamed to name
 * (NULL: keep; the kernel keeps the current name when it is free there).
 * *ret_ifindex: where the kernel put it, from its notice on mon (a watch
 * socket in the source netns), or 0 if no notice came. The rename can fail
 * after the move: then the move's error with *ret_ifindex set. */
static int link_move_watched(struct nl_sock *sk, struct nl_sock *mon,
                             struct rtnl_link *link, int nsfd, const char *name,
                             int *ret_ifindex)
{
        int ifindex = rtnl_link_get_ifindex(link), r, q;

        *ret_ifindex = 0;
        r = link_move(sk, link, nsfd, name);
        q = dp_watch_moved(mon, ifindex, ret_ifindex);
        if (q < 0)
                *ret_ifindex = 0;
        return r;
}

/* Removes the alternative name (altname) name from the link at ifindex.
 * When a NIC comes back from a dead netns under the name it had inside,
 * udevd handles it as a new link and gives it its predictable name as an
 * altname (systemd's AlternativeNamesPolicy=), which then blocks renaming
 * the link back to that very name. */
static int drop_altname(struct nl_sock *sk, int ifindex, const char *name)
{
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
        struct nl_msg *msg;
        struct nlattr *list;
        int r;

        msg = nlmsg_alloc_simple(RTM_DELLINKPROP, NLM_F_REQUEST | NLM_F_ACK);
        if (!msg)
                return -ENOMEM;
        if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
            !(list = nla_nest_start(msg, IFLA_PROP_LIST)) ||
            nla_put_string(msg, IFLA_ALT_IFNAME, name) < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        nla_nest_end(msg, list);
        r = nl_send_auto(sk, msg);
        nlmsg_free(msg);
        if (r >= 0)
                r = nl_wait_for_ack(sk);
        return r < 0 ? dp_nl_errno(r) : 0;
}

/* Gives the host link at ifindex — the one a move just brought back, never
 * one looked up by name or MAC — its name, MAC, MTU and up state from saved.
 * -EADDRINUSE when the name is taken by another link. */
static int restore_on_host(struct nl_sock *sk, int ifindex,
                           const dp_netdev_saved *saved)
{
        _cleanup_link_ struct rtnl_link *host = NULL, *change = NULL,
                                        *taken = NULL, *now = NULL;
        _cleanup_nl_addr_ struct nl_addr *addr = NULL;
        uint8_t want_mac[6];
        bool changed = false;
        int r, ret = 0;

        r = link_get(sk, ifindex, NULL, &host);
        if (r < 0)
                return r;
        change = rtnl_link_alloc();
        if (!change)
                return -ENOMEM;
        if (!streq(rtnl_link_get_name(host), saved->name)) {
                /* the lookup by name also finds altnames: one of this very
                 * link's own is no conflict, only in the way */
                if (link_get(sk, 0, saved->name, &taken) >= 0 &&
                    rtnl_link_get_ifindex(taken) == ifindex) {
                        r = drop_altname(sk, ifindex, saved->name);
                        if (r < 0)
                                return r;
                        rtnl_link_put(taken);
                        taken = NULL;
                }
                if (taken || link_get(sk, 0, saved->name, &taken) >= 0)
                        ret = -EADDRINUSE;
                else {
                        r = link_set_up(sk, host, false);
                        if (r < 0)
                                return r;
                        rtnl_link_set_name(change, saved->name);
                        changed = true;
                }
        }
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
                r = rtnl_link_change(sk, host, change, 0);
                if (r < 0)
                        return dp_nl_errno(r);
        }
        if (saved->up) {
                r = link_get(sk, ifindex, NULL, &now);
                if (r >= 0)
                        r = link_set_up(sk, now, true);
                if (r < 0)
                        return r;
        }
        return ret;
}

typedef struct net_ctx {
        int nsfd, agent_nsfd;
        struct nl_sock *sk_host, *sk_in, *mon_in;
} net_ctx;

/* Moves the link at ifindex_in (in the container, identified already)
 * back to the agent's netns, checks that what arrived has saved's
 * identity, and restores it. A link that arrives without it (swapped in
 * between the check and the move) is sent back untouched: -ESTALE. */
static int link_return(const net_ctx *x, int ifindex_in,
                       const dp_netdev_saved *saved)
{
        _cleanup_link_ struct rtnl_link *link_in = NULL, *still = NULL,
                                        *arrived = NULL;
        int ifindex = 0, r;

        r = link_get(x->sk_in, ifindex_in, NULL, &link_in);
        if (r < 0)
                return r == -ENODEV ? -ESTALE : r;
        r = link_set_up(x->sk_in, link_in, false);
        if (r < 0)
                return r;
        r = link_move_watched(x->sk_in, x->mon_in, link_in, x->agent_nsfd, NULL,
                              &ifindex);
        if (r == -EEXIST && ifindex == 0 &&
            link_get(x->sk_in, ifindex_in, NULL, &still) >= 0)
                /* its current name is taken on the host: let the kernel
                 * pick one, ours comes after the check */
                r = link_move_watched(x->sk_in, x->mon_in, still, x->agent_nsfd,
                                      RETURN_NAME_PATTERN, &ifindex);
        if (r < 0 && ifindex == 0)
                return r;
        if (ifindex == 0) {
                /* moved, but the kernel's notice was lost (overflow): only
                 * an identity that points at one host link will do */
                r = dp_ident_find_host(x->sk_host, saved, &ifindex);
                if (r < 0)
                        return -EIO;
        }
        r = dp_ident_check_host(x->sk_host, saved, ifindex);
        if (r == -ESTALE) {
                if (link_get(x->sk_host, ifindex, NULL, &arrived) >= 0)
                        (void)link_move(x->sk_host, arrived, x->nsfd, NULL);
                return -ESTALE;
        }
        if (r < 0)
                return r;
        return restore_on_host(x->sk_host, ifindex, saved);
}

static void net_ctx_done(net_ctx *x)
{
        nl_socket_free(x->sk_host);
        nl_socket_free(x->sk_in);
        nl_socket_free(x->mon_in);
        safe_close(x->agent_nsfd);
}

/* Sockets on both sides for a container netns (fd borrowed, not owned). */
static int net_ctx_open(net_ctx *x, int nsfd)
{
        int r;

        *x = (net_ctx){.nsfd = nsfd, .agent_nsfd = -EBADF};
        r = agent_netns_open(&x->agent_nsfd);
        if (r < 0)
                return r;
        r = same_netns(nsfd, x->agent_nsfd);
        if (r < 0)
                return r;
        if (r > 0) /* shares the host's network: nothing to move */
                return -EOPNOTSUPP;
        r = dp_nl_open(&x->sk_host);
        if (r < 0)
                return r;
        r = dp_nl_open_in_netns(nsfd, &x->sk_in, &x->mon_in);
        if (r < 0)
                return r;
        return dp_watch_open(x->mon_in);
}

/* Name, MAC, MTU, up and identity of a host link. */
static int identify(struct nl_sock *sk, struct rtnl_link *link,
                    dp_netdev_saved *ret)
{
        dp_netdev_saved s = {};
        dp_link_facts f;
        int r;

        r = dp_link_facts_get(sk, rtnl_link_get_ifindex(link), &f);
        if (r < 0)
                return r;
        /* the name the kernel reports, not an altname the caller used */
        snprintf(s.name, sizeof(s.name), "%s", rtnl_link_get_name(link));
        link_mac(link, s.mac);
        s.mtu = rtnl_link_get_mtu(link);
        s.up = rtnl_link_get_flags(link) & IFF_UP;
        dp_ident_record(&f, &s);
        *ret = s;
        return 0;
}

int dp_net_identify(const char *ifname, dp_netdev_saved *ret)
{
        _cleanup_nl_sock_ struct nl_sock *sk = NULL;
        _cleanup_link_ struct rtnl_link *link = NULL;
        int r;

        if (!ret || !dp_ifname_valid(ifname))
                return -EINVAL;
        r = dp_nl_open(&sk);
        if (r < 0)
                return r;
        r = link_get(sk, 0, ifname, &link);
        if (r < 0)
                return r;
        return identify(sk, link, ret);
}

int dp_net_netns_open(const dp_container *c, int *ret_fd)
{
        _cleanup_close_ int nsfd = -EBADF, self = -EBADF;
        int r;

        if (!c || !ret_fd)
                return -EINVAL;
        r = container_netns_open(c, &nsfd);
        if (r < 0)
                return r;
        r = agent_netns_open(&self);
        if (r < 0)
                return r;
        r = same_netns(nsfd, self);
        if (r < 0)
                return r;
        if (r > 0)
                return -EOPNOTSUPP;
        *ret_fd = TAKE_FD(nsfd);
        return 0;
}

/* The move in proper: link (on the host) into x->nsfd as saved->name_inside;
 * on success *ret_ifindex is where it is inside. */
static int move_into(const net_ctx *x, struct nl_sock *mon_host,
                     struct rtnl_link *link, const dp_netdev_saved *saved,
                     int *ret_ifindex)
{
        _cleanup_link_ struct rtnl_link *still = NULL, *link_in = NULL;
        int ifindex = rtnl_link_get_ifindex(link), inside = 0, r, q;

        /* No need to set it down first: the kernel closes a device it moves
         * to another netns, so the rename that follows finds it down. The
         * new name goes into the same request so that a clash with the old
         * name inside is resolved by the kernel. We do not look for a clash
         * with name_inside beforehand: the container could create that name
         * between our look and our move, so the move-back below is needed
         * in any case. */
        r = link_move_watched(x->sk_host, mon_host, link, x->nsfd,
                              streq(saved->name_inside, saved->name)
                                      ? NULL
                                      : saved->name_inside,
                              &inside);
        if (r < 0) {
                if (inside == 0 &&
                    link_get(x->sk_host, ifindex, NULL, &still) >= 0)
                        /* Not moved. The names were checked, so EINVAL is
                         * the kernel refusing a netns-local device. */
                        return r == -EINVAL ? -EOPNOTSUPP : r;
                /* Moved, but the rename inside failed: bring it back.
                 * -EADDRINUSE: back, but its name was taken meanwhile; the
                 * rename failure is still the news. */
                if (inside == 0)
                        q = dp_ident_find_inside(x->sk_host, x->sk_in, x->nsfd,
                                                 x->agent_nsfd, saved, &inside);
                else
                        q = 0;
                if (q >= 0)
                        q = link_return(x, inside, saved);
                return q < 0 && q != -EADDRINUSE ? q : r;
        }
        if (inside == 0) {
                r = link_get(x->sk_in, 0, saved->name_inside, &link_in);
                if (r < 0)
                        return r;
                inside = rtnl_link_get_ifindex(link_in);
        }
        *ret_ifindex = inside;
        return 0;
}

int dp_net_move_in(const dp_container *c, const char *ifname,
                   const char *name_inside, dp_netdev_saved *ret_saved,
                   int *ret_netns_fd)
{
        _cleanup_nl_sock_ struct nl_sock *mon_host = NULL;
        _cleanup_link_ struct rtnl_link *link = NULL, *link_in = NULL;
        _cleanup_(net_ctx_done) net_ctx x = {.agent_nsfd = -EBADF};
        _cleanup_close_ int nsfd = -EBADF;
        dp_netdev_saved saved;
        const char *type;
        int r;

        if (!c || !ret_saved || !dp_ifname_valid(ifname))
                return -EINVAL;
        if (name_inside && !dp_ifname_valid(name_inside))
                return -EINVAL;

        r = container_netns_open(c, &nsfd);
        if (r < 0)
                return r;
        r = net_ctx_open(&x, nsfd);
        if (r < 0)
                return r;
        r = dp_nl_open(&mon_host);
        if (r >= 0)
                r = dp_watch_open(mon_host);
        if (r < 0)
                return r;

        r = link_get(x.sk_host, 0, ifname, &link);
        if (r < 0)
                return r;
        type = rtnl_link_get_type(link);
        if (type && streq(type, "bridge"))
                return -EOPNOTSUPP;
        r = identify(x.sk_host, link, &saved);
        if (r < 0)
                return r;
        snprintf(saved.name_inside, sizeof(saved.name_inside), "%s",
                 name_inside ?: saved.name);

        r = move_into(&x, mon_host, link, &saved, &saved.ifindex_inside);
        if (r < 0)
                return r;
        if (saved.up) {
                r = link_get(x.sk_in, saved.ifindex_inside, NULL, &link_in);
                if (r >= 0)
                        r = link_set_up(x.sk_in, link_in, true);
                if (r < 0) {
                        (void)link_return(&x, saved.ifindex_inside, &saved);
                        return r;
                }
        }

        *ret_saved = saved;
        if (ret_netns_fd)
                *ret_netns_fd = TAKE_FD(nsfd);
        return 0;
}

int dp_net_move_out(const dp_container *c, int netns_fd,
                    const dp_netdev_saved *saved)
{
        _cleanup_(net_ctx_done) net_ctx x = {.agent_nsfd = -EBADF};
        _cleanup_close_ int own = -EBADF;
        int ifindex_in = 0, r;

        if (!saved || !dp_ifname_valid(saved->name))
                return -EINVAL;
        if (saved->name_inside[0] && !dp_ifname_valid(saved->name_inside))
                return -EINVAL;

        if (netns_fd < 0) {
                /* Init gone and no netns held: the netns went with it, and
                 * with it a veth/tap (gone for good) or a physical NIC (back
                 * on the host: dp_net_restore()). */
                if (!c)
                        return -EINVAL;
                r = container_netns_open(c, &own);
                if (r < 0)
                        return r;
                netns_fd = own;
        }
        r = net_ctx_open(&x, netns_fd);
        if (r < 0)
                return r;
        r = dp_ident_find_inside(x.sk_host, x.sk_in, netns_fd, x.agent_nsfd,
                                 saved, &ifindex_in);
        if (r < 0)
                return r;
        return link_return(&x, ifindex_in, saved);
}

int dp_net_restore(const dp_netdev_saved *saved)
{
        _cleanup_nl_sock_ struct nl_sock *sk = NULL;
        int ifindex = 0, r;

        if (!saved || !dp_ifname_valid(saved->name))
                return -EINVAL;
        r = dp_nl_open(&sk);
        if (r < 0)
                return r;
        /* a physical NIC comes back from a dead netns under a kernel-given
         * name; a virtual one (veth, tap, …) is destroyed with the netns */
        r = dp_ident_find_host(sk, saved, &ifindex);
        if (r < 0)
                return r;
        return restore_on_host(sk, ifindex, saved);
}
