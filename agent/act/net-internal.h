/* SPDX-License-Identifier: MIT */
#pragma once

/* agent/act/net.c: the entry points of the devpass-net module (behind
 * dp_act_net_*(), see net-load.c) and pieces exposed for unit tests. */

#include <stdbool.h>
#include <stdint.h>

#include "devpass/act.h"

struct nl_sock;
struct nlmsghdr;

int dp_net_identify(const char *ifname, dp_netdev_saved *ret);
int dp_net_move_in(const dp_container *c, const char *ifname,
                   const char *new_name, dp_netdev_saved *ret_saved,
                   int *ret_netns_fd);
int dp_net_move_out(const dp_container *c, int netns_fd,
                    const dp_netdev_saved *saved);
int dp_net_restore(const dp_netdev_saved *saved);
int dp_net_netns_open(const dp_container *c, int *ret_fd);

/* ---- net-sock.c: route sockets ---- */
/* In the agent's netns. */
int dp_nl_open(struct nl_sock **ret);
/* Two in the netns behind netnsfd (borrowed), made by a short child. */
int dp_nl_open_in_netns(int netnsfd, struct nl_sock **ret_a,
                        struct nl_sock **ret_b);

/* ---- net-ident.c: the facts that identify a link ---- */
typedef struct dp_link_facts {
        int ifindex;
        char name[16];
        char kind[16];         /* IFLA_INFO_KIND; "" for hardware */
        int link;              /* IFLA_LINK: veth peer, lower device; 0: none */
        bool link_netnsid_set; /* `link` lives in another netns: */
        int32_t link_netnsid;  /* that netns's id, as the socket's sees it */
        char parent[64];       /* "BUS:DEVICE" of the bus device; "" */
        char perm_mac[18];     /* IFLA_PERM_ADDRESS; "" if none or zero */
} dp_link_facts;

typedef enum dp_ident_kind {
        DP_IDENT_WEAK = 0, /* kind and ifindex only: imitable */
        DP_IDENT_PEER,     /* veth, peer on the host */
        DP_IDENT_LOWER,    /* lower device on the host */
        DP_IDENT_PARENT,   /* bus device (+ permanent MAC) */
} dp_ident_kind;

int dp_link_facts_parse(struct nlmsghdr *h, dp_link_facts *ret);
/* Every link of sk's netns (kernel answers only); *ret is malloc'ed. */
int dp_link_facts_dump(struct nl_sock *sk, dp_link_facts **ret, size_t *ret_n);
/* -ENODEV if no link has that ifindex. */
int dp_link_facts_get(struct nl_sock *sk, int ifindex, dp_link_facts *ret);
int dp_netns_id(struct nl_sock *sk, int nsfd, int32_t *ret);
void dp_ident_record(const dp_link_facts *f, dp_netdev_saved *s);
dp_ident_kind dp_ident_kind_of(const dp_netdev_saved *s);
/* The ifindex, in the netns of sk_in (behind nsfd), of the link with s's
 * identity. -ESTALE: none there (or several that cannot be told apart);
 * -ENODEV: its veth peer is gone, or nothing identifies it. */
int dp_ident_find_inside(struct nl_sock *sk_host, struct nl_sock *sk_in,
                         int nsfd, int agent_nsfd, const dp_netdev_saved *s,
                         int *ret_ifindex);
/* 0 if the host link at ifindex has s's identity, else -ESTALE. */
int dp_ident_check_host(struct nl_sock *sk_host, const dp_netdev_saved *s,
                        int ifindex);
/* A link with s's identity in the host netns (a NIC back from a dead
 * netns); -ENODEV if none can be told by identity. */
int dp_ident_find_host(struct nl_sock *sk_host, const dp_netdev_saved *s,
                       int *ret_ifindex);
/* A socket (made in the netns a link leaves) that hears link notices. */
int dp_watch_open(struct nl_sock *sk);
/* After a move of ifindex out of mon's netns: the ifindex the kernel gave
 * it in the target, from its own RTM_DELLINK notice (IFLA_NEW_IFINDEX).
 * -ENOENT when no such notice came. */
int dp_watch_moved(struct nl_sock *mon, int ifindex, int *ret_new_ifindex);

/* Converts a libnl error code (NLE_*, either sign) to a negative errno;
 * 0 stays 0. libnl folds kernel errnos into its own codes, so this is the
 * one place where they are turned back into something the core understands. */
int dp_nl_errno(int nlerr);

/* The kernel's rules for an interface name (dev_valid_name), plus no '%':
 * the kernel treats a '%' in a requested name as a pattern. */
bool dp_ifname_valid(const char *name);

/* Parses "aa:bb:cc:dd:ee:ff" (either case). */
int dp_mac_parse(const char *s, uint8_t ret[6]);
