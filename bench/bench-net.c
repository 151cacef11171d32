/* SPDX-License-Identifier: MIT */
/* NIC attach: dp_act_net_move_in() (move + rename + up) against the same
 * work done by hand with libnl (one RTM_NEWLINK that moves and renames, one
 * that sets it up from a socket inside the netns), on a veth of our own and a
 * dp-testctr container. Then: how much do 10 other processes moving NICs in
 * and out of namespaces delay a node grant (cgroup v1 allow + mknod)? */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "devpass/act.h"
#include "devpass/container.h"

#define N_MOVERS 10

static char ctr_name[32], testctr[512];
static char veth[16], peer[16];
static pid_t movers[N_MOVERS];

static void del_link(const char *name)
{
        struct nl_sock *sk = nl_socket_alloc();
        struct rtnl_link *l = rtnl_link_alloc();

        if (sk && l && nl_connect(sk, NETLINK_ROUTE) == 0) {
                rtnl_link_set_name(l, name);
                (void)rtnl_link_delete(sk, l);
        }
        rtnl_link_put(l);
        nl_socket_free(sk);
}

static void cleanup(void)
{
        char cmd[700];

        for (int i = 0; i < N_MOVERS; i++)
                if (movers[i] > 0) {
                        kill(movers[i], SIGKILL);
                        waitpid(movers[i], NULL, 0);
                        movers[i] = 0;
                }
        for (int i = 0; i < N_MOVERS; i++) {
                char n[16];

                snprintf(n, sizeof(n), "dpbm%da", i);
                del_link(n);
        }
        if (veth[0])
                del_link(veth);
        if (ctr_name[0]) {
                snprintf(cmd, sizeof(cmd), "%s stop %s", testctr, ctr_name);
                (void)bench_sh(cmd);
                ctr_name[0] = 0;
        }
}

static void on_signal(int sig)
{
        cleanup();
        _exit(128 + sig);
}

static struct nl_sock *sock_in_netns(int nsfd, int hostns)
{
        struct nl_sock *sk = nl_socket_alloc();

        /* a netlink socket acts in the netns it was created in */
        if (setns(nsfd, CLONE_NEWNET) < 0 || nl_connect(sk, NETLINK_ROUTE) < 0)
                nl_socket_free(sk), sk = NULL;
        (void)setns(hostns, CLONE_NEWNET);
        return sk;
}

/* move+rename in one request from outside; up from inside */
static int raw_move_in(struct nl_sock *out, struct nl_sock *in, pid_t pid,
                       const char *name, const char *inside)
{
        struct rtnl_link *l = NULL, *ch = rtnl_link_alloc(), *ch2;
        int r;

        if (rtnl_link_get_kernel(out, 0, name, &l) < 0)
                return -ENODEV;
        rtnl_link_set_ns_pid(ch, pid);
        rtnl_link_set_name(ch, inside);
        r = rtnl_link_change(out, l, ch, 0);
        rtnl_link_put(l);
        rtnl_link_put(ch);
        if (r < 0)
                return -EIO;
        if (rtnl_link_get_kernel(in, 0, inside, &l) < 0)
                return -ENODEV;
        ch2 = rtnl_link_alloc();
        rtnl_link_set_flags(ch2, IFF_UP);
        r = rtnl_link_change(in, l, ch2, 0);
        rtnl_link_put(l);
        rtnl_link_put(ch2);
        return r < 0 ? -EIO : 0;
}

static int raw_move_out(struct nl_sock *in, int hostns, const char *inside,
                        const char *name)
{
        struct rtnl_link *l = NULL, *ch = rtnl_link_alloc();
        int r;

        if (rtnl_link_get_kernel(in, 0, inside, &l) < 0)
                return -ENODEV;
        rtnl_link_set_ns_fd(ch, hostns);
        rtnl_link_set_name(ch, name);
        r = rtnl_link_change(in, l, ch, 0);
        rtnl_link_put(l);
        rtnl_link_put(ch);
        return r < 0 ? -EIO : 0;
}

/* Another process that moves its own veth in and out of its own netns. */
static _Noreturn void mover(int i)
{
        char a[16], b[16];
        int hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), nsfd;
        struct nl_sock *out = nl_socket_alloc(), *in;
        pid_t holder;
        char path[64];

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        snprintf(a, sizeof(a), "dpbm%da", i);
        snprintf(b, sizeof(b), "dpbm%db", i);
        holder = fork();
        if (holder == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (unshare(CLONE_NEWNET) < 0)
                        _exit(1);
                pause();
                _exit(0);
        }
        usleep(20000);
        snprintf(path, sizeof(path), "/proc/%d/ns/net", holder);
        nsfd = open(path, O_RDONLY | O_CLOEXEC);
        if (nl_connect(out, NETLINK_ROUTE) < 0 ||
            rtnl_link_veth_add(out, a, b, getpid()) < 0)
                _exit(1);
        in = sock_in_netns(nsfd, hostns);
        for (;;) {
                if (raw_move_in(out, in, holder, a, "m0") < 0 ||
                    raw_move_out(in, hostns, "m0", a) < 0)
                        usleep(1000);
        }
}

static int node_grant(const dp_container *c, uint64_t *ret_ns)
{
        dp_node_spec s = {.path = "/dev/dpbgrant",
                          .type = 'c',
                          .major = 1,
                          .minor = 7,
                          .mode = 0666};
        bool created;
        uint64_t t0 = bench_now_ns();
        int r = dp_cg1_allow(c->cgroup_v1_devices, 'c', 1, 7, 6);

        if (r >= 0)
                r = dp_act_node_create(c, &s, &created);
        *ret_ns = bench_now_ns() - t0;
        (void)dp_act_node_remove(c, &s);
        (void)dp_cg1_deny(c->cgroup_v1_devices, 'c', 1, 7, 6);
        return r;
}

int main(int argc, char **argv)
{
        unsigned reps = bench_reps(argc, argv, 300, 100);
        const char *tc = bench_arg(argc, argv, "--testctr");
        bench_samples dp = {}, raw = {}, g0 = {}, g1 = {};
        _cleanup_container_free_ dp_container *c = NULL;
        struct nl_sock *out = nl_socket_alloc(), *in;
        char cmd[700], line[128] = "", path[64];
        int hostns, nsfd, r;
        pid_t pid = 0;
        FILE *f;

        if (!tc) {
                fprintf(stderr, "usage: %s --testctr PATH [-n REPS|--quick]\n",
                        argv[0]);
                return 2;
        }
        snprintf(testctr, sizeof(testctr), "%s", tc);
        snprintf(ctr_name, sizeof(ctr_name), "dpbn%d", getpid());
        snprintf(veth, sizeof(veth), "dpbv%da", getpid() % 100000);
        snprintf(peer, sizeof(peer), "dpbv%db", getpid() % 100000);
        atexit(cleanup);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        snprintf(cmd, sizeof(cmd), "%s start --share-usr --name %s", testctr,
                 ctr_name);
        f = popen(cmd, "re");
        if (!f || !fgets(line, sizeof(line), f) ||
            sscanf(line, "%d", &pid) != 1) {
                fprintf(stderr, "cannot start a container\n");
                return 1;
        }
        pclose(f);
        if ((r = dp_container_from_pid(pid, &c)) < 0) {
                fprintf(stderr, "container: %s\n", strerror(-r));
                return 1;
        }
        hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
        nsfd = open(path, O_RDONLY | O_CLOEXEC);
        if (nl_connect(out, NETLINK_ROUTE) < 0 ||
            rtnl_link_veth_add(out, veth, peer, getpid()) < 0) {
                fprintf(stderr, "cannot create veth %s\n", veth);
                return 1;
        }
        {
                struct rtnl_link *l = NULL, *ch = rtnl_link_alloc();

                rtnl_link_get_kernel(out, 0, veth, &l);
                rtnl_link_set_flags(ch, IFF_UP);
                rtnl_link_change(out, l, ch, 0);
                rtnl_link_put(l);
                rtnl_link_put(ch);
        }
        in = sock_in_netns(nsfd, hostns);
        printf("== NIC attach: %s into container pid %d, %u reps\n", veth, pid,
               reps);
        for (unsigned i = 0; i < reps; i++) {
                dp_netdev_saved saved;
                uint64_t t0 = bench_now_ns();

                r = dp_act_net_move_in(c, veth, "eth7", &saved, NULL);
                if (r < 0) {
                        fprintf(stderr, "dp_act_net_move_in: %s\n",
                                strerror(-r));
                        break;
                }
                bench_add(&dp, bench_now_ns() - t0);
                r = dp_act_net_move_out(c, -1, &saved);
                if (r < 0) {
                        fprintf(stderr, "dp_act_net_move_out: %s\n",
                                strerror(-r));
                        break;
                }
                t0 = bench_now_ns();
                r = raw_move_in(out, in, pid, veth, "eth7");
                if (r < 0) {
                        fprintf(stderr, "libnl move: %s\n", strerror(-r));
                        break;
                }
                bench_add(&raw, bench_now_ns() - t0);
                if (raw_move_out(in, hostns, "eth7", veth) < 0)
                        break;
        }
        uint64_t d50 = bench_report("dp_act_net_move_in (move+rename+up)", &dp);
        uint64_t r50 = bench_report("libnl RTM_NEWLINK move+rename, up", &raw);
        char fig[128], base[64];
        snprintf(fig, sizeof(fig), "p50 %.0f µs, p99 %.0f µs", d50 / 1e3,
                 bench_pct(&dp, 99) / 1e3);
        snprintf(base, sizeof(base), "libnl p50 %.0f µs", r50 / 1e3);
        bench_result("NIC attach", fig, base,
                     r50 ? (double)d50 / (double)r50 : -1, "<=1.2x",
                     dp.n == reps && (double)d50 <= 1.2 * (double)r50);

        /* node grants alone, then with 10 NIC movers running */
        for (unsigned i = 0; i < reps; i++) {
                uint64_t ns;

                if (node_grant(c, &ns) < 0)
                        break;
                bench_add(&g0, ns);
                usleep(1000);
        }
        for (int i = 0; i < N_MOVERS; i++) {
                movers[i] = fork();
                if (movers[i] == 0)
                        mover(i);
        }
        usleep(300000);
        for (unsigned i = 0; i < reps; i++) {
                uint64_t ns;

                if (node_grant(c, &ns) < 0)
                        break;
                bench_add(&g1, ns);
                usleep(1000);
        }
        for (int i = 0; i < N_MOVERS; i++) {
                kill(movers[i], SIGKILL);
                waitpid(movers[i], NULL, 0);
                movers[i] = 0;
        }
        uint64_t a50 =
                bench_report("node grant (cg1 allow + mknod), idle", &g0);
        uint64_t a99 = bench_pct(&g0, 99);
        uint64_t b50 = bench_report("node grant, 10 NIC movers running", &g1);
        uint64_t b99 = bench_pct(&g1, 99);
        snprintf(fig, sizeof(fig), "+%.0f µs p50, +%.0f µs p99",
                 b50 > a50 ? (b50 - a50) / 1e3 : 0.0,
                 b99 > a99 ? (b99 - a99) / 1e3 : 0.0);
        snprintf(base, sizeof(base), "idle p50 %.0f µs p99 %.0f µs", a50 / 1e3,
                 a99 / 1e3);
        bench_result("node grant under 10 NIC moves", fig, base, -1,
                     "delay <=1 ms", g1.n == reps && b99 <= a99 + 1000000);
        nl_socket_free(in);
        nl_socket_free(out);
        bench_samples_free(&dp);
        bench_samples_free(&raw);
        bench_samples_free(&g0);
        bench_samples_free(&g1);
        return 0;
}
