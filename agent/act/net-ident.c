/* SPDX-License-Identifier: MIT */
/* Which link is the NIC that devpass moved? A container's root can rename
 * links, set their MACs, create links at any free ifindex and move links on
 * into netns of its own, so name, ifindex and MAC prove nothing (DESIGN.md
 * §5). What it cannot forge are facts the kernel keeps outside its reach:
 * the host end of a veth (and which netns that end points into), the lower
 * device of a macvlan in the host netns, the bus device and permanent MAC
 * of hardware. This file reads those facts from rtnetlink, where libnl's
 * link object does not carry them, and decides whether a link matches.
 *
 * Every message is taken only from the kernel (sender port 0): a socket in
 * a container's netns can receive datagrams from the container's own
 * netlink sockets, whose root holds CAP_NET_ADMIN there. */

#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "devpass/macro.h"
#include "net-internal.h"

/* A private copy of sk's callbacks (nl_socket_get_cb() takes a reference). */
static struct nl_cb *cb_clone(struct nl_sock *sk)
{
        struct nl_cb *own = nl_socket_get_cb(sk), *cb;

        cb = own ? nl_cb_clone(own) : NULL;
        nl_cb_put(own);
        return cb;
}

static bool from_kernel(struct nl_msg *msg)
{
        struct sockaddr_nl *src = nlmsg_get_src(msg);

        return src && src->nl_pid == 0;
}

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
        dst[0] = '\0';
        if (a && nla_len(a) > 0)
                snprintf(dst, size, "%.*s", nla_len(a),
                         (const char *)nla_data(a));
}

static void mac_str(char ret[18], const struct nlattr *a)
{
        const uint8_t *b;

        ret[0] = '\0';
        if (!a || nla_len(a) != 6)
                return;
        b = nla_data(a);
        /* an all-zero permanent address is "none" (virtual devices) */
        if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
                return;
        snprintf(ret, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
                 b[3], b[4], b[5]);
}

int dp_link_facts_parse(struct nlmsghdr *h, dp_link_facts *ret)
{
        struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
        const struct ifinfomsg *ifi;
        char bus[16], dev[47]; /* fit "BUS:DEVICE" in 64 */
        dp_link_facts f = {};

        if (nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
                return -EBADMSG;
        ifi = nlmsg_data(h);
        f.ifindex = ifi->ifi_index;
        copy_str(f.name, sizeof(f.name), tb[IFLA_IFNAME]);
        if (tb[IFLA_LINKINFO] &&
            nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) >= 0)
                copy_str(f.kind, sizeof(f.kind), li[IFLA_INFO_KIND]);
        if (tb[IFLA_LINK])
                f.link = (int)nla_get_u32(tb[IFLA_LINK]);
        if (tb[IFLA_LINK_NETNSID]) {
                f.link_netnsid_set = true;
                f.link_netnsid = (int32_t)nla_get_u32(tb[IFLA_LINK_NETNSID]);
        }
        copy_str(bus, sizeof(bus), tb[IFLA_PARENT_DEV_BUS_NAME]);
        copy_str(dev, sizeof(dev), tb[IFLA_PARENT_DEV_NAME]);
        if (dev[0])
                snprintf(f.parent, sizeof(f.parent), "%s:%s", bus, dev);
        mac_str(f.perm_mac, tb[IFLA_PERM_ADDRESS]);
        *ret = f;
        return 0;
}

typedef struct dump_ctx {
        dp_link_facts *a;
        size_t n, cap;
        int err;
} dump_ctx;

static int dump_one(struct nl_msg *msg, void *arg)
{
        dump_ctx *ctx = arg;
        struct nlmsghdr *h = nlmsg_hdr(msg);
        dp_link_facts f;

        if (!from_kernel(msg)) {
                ctx->err = -EPROTO;
                return NL_STOP;
        }
        if (h->nlmsg_type != RTM_NEWLINK)
                return NL_SKIP;
        if (dp_link_facts_parse(h, &f) < 0)
                return NL_SKIP;
        if (ctx->n == ctx->cap) {
                size_t cap = ctx->cap ? ctx->cap * 2 : 16;
                dp_link_facts *a = realloc(ctx->a, cap * sizeof(*a));

                if (!a) {
                        ctx->err = -ENOMEM;
                        return NL_STOP;
                }
                ctx->a = a;
                ctx->cap = cap;
        }
        ctx->a[ctx->n++] = f;
        return NL_OK;
}

int dp_link_facts_dump(struct nl_sock *sk, dp_link_facts **ret, size_t *ret_n)
{
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        struct nl_cb *cb = NULL;
        dump_ctx ctx = {};
        int r;

        r = nl_send_simple(sk, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
        if (r < 0)
                return dp_nl_errno(r);
        cb = cb_clone(sk);
        if (!cb)
                return -ENOMEM;
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, dump_one, &ctx);
        r = nl_recvmsgs(sk, cb);
        nl_cb_put(cb);
        if (ctx.err == 0 && r < 0)
                ctx.err = dp_nl_errno(r);
        if (ctx.err < 0) {
                free(ctx.a);
                return ctx.err;
        }
        *ret = ctx.a;
        *ret_n = ctx.n;
        return 0;
}

int dp_link_facts_get(struct nl_sock *sk, int ifindex, dp_link_facts *ret)
{
        _cleanup_free_ dp_link_facts *a = NULL;
        size_t n = 0;
        int r;

        if (ifindex <= 0)
                return -ENODEV;
        r = dp_link_facts_dump(sk, &a, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (a[i].ifindex == ifindex) {
                        *ret = a[i];
                        return 0;
                }
        return -ENODEV;
}

typedef struct nsid_ctx {
        int32_t nsid;
        int err;
} nsid_ctx;

static int nsid_one(struct nl_msg *msg, void *arg)
{
        struct nlattr *tb[NETNSA_MAX + 1];
        nsid_ctx *ctx = arg;
        struct nlmsghdr *h = nlmsg_hdr(msg);

        if (!from_kernel(msg) || h->nlmsg_type != RTM_NEWNSID ||
            nlmsg_parse(h, sizeof(struct rtgenmsg), tb, NETNSA_MAX, NULL) < 0 ||
            !tb[NETNSA_NSID]) {
                ctx->err = -EPROTO;
                return NL_STOP;
        }
        ctx->nsid = (int32_t)nla_get_u32(tb[NETNSA_NSID]);
        ctx->err = 0;
        return NL_OK;
}

/* RTM_GETNSID: the id under which sk's netns knows the netns behind nsfd.
 * -ENOENT when none is assigned (then nothing in sk's netns points there). */
int dp_netns_id(struct nl_sock *sk, int nsfd, int32_t *ret)
{
        struct rtgenmsg g = {.rtgen_family = AF_UNSPEC};
        nsid_ctx ctx = {.err = -ENODATA};
        struct nl_msg *msg;
        struct nl_cb *cb;
        int r;

        msg = nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST);
        if (!msg)
                return -ENOMEM;
        if (nlmsg_append(msg, &g, sizeof(g), NLMSG_ALIGNTO) < 0 ||
            nla_put_u32(msg, NETNSA_FD, (uint32_t)nsfd) < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        r = nl_send_auto(sk, msg);
        nlmsg_free(msg);
        if (r < 0)
                return dp_nl_errno(r);
        cb = cb_clone(sk);
        if (!cb)
                return -ENOMEM;
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, nsid_one, &ctx);
        r = nl_recvmsgs(sk, cb);
        nl_cb_put(cb);
        if (r < 0)
                return dp_nl_errno(r);
        if (ctx.err < 0)
                return ctx.err;
        r = nl_wait_for_ack(sk);
        if (r < 0)
                return dp_nl_errno(r);
        if (ctx.nsid < 0)
                return -ENOENT;
        *ret = ctx.nsid;
        return 0;
}

/* f seen from the host before the move. A veth peer or a lower device
 * that is itself in another netns anchors nothing we could check. */
void dp_ident_record(const dp_link_facts *f, dp_netdev_saved *s)
{
        snprintf(s->kind, sizeof(s->kind), "%s", f->kind);
        s->anchor_ifindex = f->link > 0 && !f->link_netnsid_set ? f->link : 0;
        snprintf(s->parent, sizeof(s->parent), "%s", f->parent);
        snprintf(s->perm_mac, sizeof(s->perm_mac), "%s", f->perm_mac);
}

dp_ident_kind dp_ident_kind_of(const dp_netdev_saved *s)
{
        if (s->parent[0])
                return DP_IDENT_PARENT;
        if (s->anchor_ifindex > 0)
                return streq(s->kind, "veth") ? DP_IDENT_PEER : DP_IDENT_LOWER;
        return DP_IDENT_WEAK;
}

/* f (seen from a socket whose netns knows the host netns as host_nsid, or
 * from the host itself when host_nsid < 0) is a link with s's identity. */
static bool facts_match(const dp_link_facts *f, const dp_netdev_saved *s,
                        int32_t host_nsid)
{
        switch (dp_ident_kind_of(s)) {
        case DP_IDENT_PARENT:
                return streq(f->parent, s->parent) &&
                       (!s->perm_mac[0] || streq(f->perm_mac, s->perm_mac));
        case DP_IDENT_LOWER:
                if (!streq(f->kind, s->kind) || f->link != s->anchor_ifindex)
                        return false;
                return host_nsid < 0 ? !f->link_netnsid_set
                                     : f->link_netnsid_set &&
                                               f->link_netnsid == host_nsid;
        case DP_IDENT_PEER: /* checked from the peer's side */
        case DP_IDENT_WEAK:
        default:
                return streq(f->kind, s->kind);
        }
}

/* Among a[], the one link with s's identity; several: the one at
 * s->ifindex_inside, else ambiguous. */
static int pick(const dp_link_facts *a, size_t n, const dp_netdev_saved *s,
                int32_t host_nsid, int *ret_ifindex)
{
        int found = 0, count = 0;

        for (size_t i = 0; i < n; i++) {
                if (!facts_match(&a[i], s, host_nsid))
                        continue;
                if (a[i].ifindex == s->ifindex_inside) {
                        *ret_ifindex = a[i].ifindex;
                        return 0;
                }
                found = a[i].ifindex;
                count++;
        }
        if (count != 1)
                return -ESTALE;
        *ret_ifindex = found;
        return 0;
}

static int find_by_peer(struct nl_sock *sk_host, struct nl_sock *sk_in,
                        int nsfd, const dp_netdev_saved *s, int *ret_ifindex)
{
        dp_link_facts peer, in;
        int32_t nsid;
        int r;

        r = dp_link_facts_get(sk_host, s->anchor_ifindex, &peer);
        if (r < 0 || !streq(peer.kind, "veth"))
                /* deleting either end deletes the pair */
                return r < 0 && r != -ENODEV ? r : -ENODEV;
        if (!peer.link_netnsid_set)
                return -ESTALE; /* both ends on the host: not moved */
        r = dp_netns_id(sk_host, nsfd, &nsid);
        if (r < 0)
                return r == -ENOENT ? -ESTALE : r;
        if (peer.link_netnsid != nsid)
                return -ESTALE; /* moved on, to a netns of the container's */
        r = dp_link_facts_get(sk_in, peer.link, &in);
        if (r < 0 || !streq(in.kind, "veth"))
                return r < 0 && r != -ENODEV ? r : -ESTALE;
        *ret_ifindex = peer.link;
        return 0;
}

int dp_ident_find_inside(struct nl_sock *sk_host, struct nl_sock *sk_in,
                         int nsfd, int agent_nsfd, const dp_netdev_saved *s,
                         int *ret_ifindex)
{
        _cleanup_free_ dp_link_facts *a = NULL;
        dp_ident_kind kind = dp_ident_kind_of(s);
        int32_t host_nsid = -1;
        size_t n = 0;
        int r;

        if (kind == DP_IDENT_PEER)
                return find_by_peer(sk_host, sk_in, nsfd, s, ret_ifindex);
        if (kind == DP_IDENT_WEAK && s->ifindex_inside <= 0)
                return -ENODEV;
        r = dp_link_facts_dump(sk_in, &a, &n);
        if (r < 0)
                return r;
        if (kind == DP_IDENT_LOWER) {
                /* after the dump: a link pointing to the host has made the
                 * kernel assign the host netns an id in there */
                r = dp_netns_id(sk_in, agent_nsfd, &host_nsid);
                if (r < 0)
                        return r == -ENOENT ? -ESTALE : r;
        }
        if (kind == DP_IDENT_WEAK) {
                for (size_t i = 0; i < n; i++)
                        if (a[i].ifindex == s->ifindex_inside &&
                            facts_match(&a[i], s, -1)) {
                                *ret_ifindex = a[i].ifindex;
                                return 0;
                        }
                return -ESTALE;
        }
        return pick(a, n, s, host_nsid, ret_ifindex);
}

int dp_ident_check_host(struct nl_sock *sk_host, const dp_netdev_saved *s,
                        int ifindex)
{
        dp_link_facts f, peer;
        int r;

        r = dp_link_facts_get(sk_host, ifindex, &f);
        if (r < 0)
                return r;
        if (dp_ident_kind_of(s) != DP_IDENT_PEER)
                return facts_match(&f, s, -1) ? 0 : -ESTALE;
        if (!streq(f.kind, "veth"))
                return -ESTALE;
        r = dp_link_facts_get(sk_host, s->anchor_ifindex, &peer);
        if (r < 0)
                return r == -ENODEV ? -ESTALE : r;
        return !peer.link_netnsid_set && peer.link == ifindex ? 0 : -ESTALE;
}

int dp_ident_find_host(struct nl_sock *sk_host, const dp_netdev_saved *s,
                       int *ret_ifindex)
{
        _cleanup_free_ dp_link_facts *a = NULL;
        dp_link_facts peer;
        size_t n = 0;
        int r;

        switch (dp_ident_kind_of(s)) {
        case DP_IDENT_PEER:
                r = dp_link_facts_get(sk_host, s->anchor_ifindex, &peer);
                if (r < 0)
                        return r;
                if (!streq(peer.kind, "veth") || peer.link_netnsid_set ||
                    peer.link <= 0)
                        return -ENODEV;
                r = dp_ident_check_host(sk_host, s, peer.link);
                if (r < 0)
                        return r == -ESTALE ? -ENODEV : r;
                *ret_ifindex = peer.link;
                return 0;
        case DP_IDENT_PARENT:
                r = dp_link_facts_dump(sk_host, &a, &n);
                if (r < 0)
                        return r;
                r = pick(a, n, s, -1, ret_ifindex);
                return r == -ESTALE ? -ENODEV : r;
        default:
                /* virtual links on a lower device, taps, …: destroyed with
                 * the netns, and nothing on the host could tell them apart */
                return -ENODEV;
        }
}

typedef struct watch_ctx {
        int ifindex, new_ifindex;
} watch_ctx;

static int watch_one(struct nl_msg *msg, void *arg)
{
        struct nlattr *tb[IFLA_MAX + 1];
        struct nlmsghdr *h = nlmsg_hdr(msg);
        const struct ifinfomsg *ifi;
        watch_ctx *ctx = arg;

        if (!from_kernel(msg) || h->nlmsg_type != RTM_DELLINK ||
            nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
                return NL_SKIP;
        ifi = nlmsg_data(h);
        if (ifi->ifi_index != ctx->ifindex || !tb[IFLA_NEW_IFINDEX])
                return NL_SKIP;
        ctx->new_ifindex = (int)nla_get_u32(tb[IFLA_NEW_IFINDEX]);
        return NL_STOP;
}

int dp_watch_open(struct nl_sock *sk)
{
        int r;

        nl_socket_disable_seq_check(sk);
        r = nl_socket_add_membership(sk, RTNLGRP_LINK);
        if (r >= 0)
                r = nl_socket_set_nonblocking(sk);
        return r < 0 ? dp_nl_errno(r) : 0;
}

int dp_watch_moved(struct nl_sock *mon, int ifindex, int *ret_new_ifindex)
{
        watch_ctx ctx = {.ifindex = ifindex};
        struct nl_cb *cb = cb_clone(mon);
        int r = 0;

        if (!cb)
                return -ENOMEM;
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, watch_one, &ctx);
        while (ctx.new_ifindex <= 0) {
                r = nl_recvmsgs(mon, cb);
                if (r < 0)
                        break;
        }
        nl_cb_put(cb);
        if (ctx.new_ifindex > 0) {
                *ret_new_ifindex = ctx.new_ifindex;
                return 0;
        }
        /* NLE_AGAIN: read everything, no such notice; NLE_NOMEM: the
         * socket overflowed and the notice may be lost */
        return r == -NLE_AGAIN ? -ENOENT : dp_nl_errno(r);
}
