/* SPDX-License-Identifier: MIT */
/* NIC moves against the real kernel: veth, tap and macvtap into and out of
 * a dp-testctr container's netns, rename clashes on either side, and a
 * container whose init died. Every interface is named dpt<hex pid><role>;
 * each test gets a fresh container and removes what it made, also when an
 * assertion fails (teardown). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "devpass/act.h"

static const char *testctr;
static char pfx[12]; /* "dpt" + up to 6 hex digits of our pid */

typedef struct fixture {
        dp_container c;
        char names[6][16]; /* host interfaces to delete in teardown */
        size_t n_names;
} fixture;

typedef struct linkinfo {
        int ifindex;
        char mac[18];
        unsigned mtu;
        bool up;
} linkinfo;

static int run(const char *fmt, ...) _printf_(1, 2);
static int run(const char *fmt, ...)
{
        char cmd[512];
        va_list ap;
        int st;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        st = system(cmd);
        return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Runs a shell command and returns its exit status, stdout in out. */
static int capture(char *out, size_t size, const char *fmt, ...) _printf_(3, 4);
static int capture(char *out, size_t size, const char *fmt, ...)
{
        char cmd[512];
        va_list ap;
        size_t n = 0;
        FILE *f;
        int st;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        f = popen(cmd, "r");
        if (!f)
                return -1;
        while (n + 1 < size && !feof(f)) {
                size_t k = fread(out + n, 1, size - 1 - n, f);
                if (k == 0)
                        break;
                n += k;
        }
        out[n] = '\0';
        st = pclose(f);
        return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Interface state in the test's (host) netns through libnl; false if the
 * interface does not exist. */
static bool host_link(const char *name, linkinfo *ret)
{
        struct nl_sock *sk = nl_socket_alloc();
        struct rtnl_link *l = NULL;
        bool found = false;

        assert_non_null(sk);
        assert_int_equal(nl_connect(sk, NETLINK_ROUTE), 0);
        if (rtnl_link_get_kernel(sk, 0, name, &l) >= 0 && l) {
                struct nl_addr *a = rtnl_link_get_addr(l);

                memset(ret, 0, sizeof(*ret));
                ret->ifindex = rtnl_link_get_ifindex(l);
                ret->mtu = rtnl_link_get_mtu(l);
                ret->up = rtnl_link_get_flags(l) & IFF_UP;
                if (a && nl_addr_get_len(a) == 6) {
                        const uint8_t *b = nl_addr_get_binary_addr(a);
                        snprintf(ret->mac, sizeof(ret->mac),
                                 "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1],
                                 b[2], b[3], b[4], b[5]);
                }
                rtnl_link_put(l);
                found = true;
        }
        nl_socket_free(sk);
        return found;
}

static bool host_has(const char *name)
{
        linkinfo li;

        return host_link(name, &li);
}

/* `ip -o link show NAME` inside the container; 0 if it exists. */
static int inside_link(const fixture *f, const char *name, char *out,
                       size_t size)
{
        return capture(out, size, "%s exec %d -- ip -o link show %s 2>&1",
                       testctr, (int)f->c.pid, name);
}

static bool flags_have_up(const char *line)
{
        const char *lt = strchr(line, '<'), *gt = lt ? strchr(lt, '>') : NULL;
        char flags[256];

        if (!lt || !gt || (size_t)(gt - lt) >= sizeof(flags) - 2)
                return false;
        /* ",FLAG,FLAG," so that UP does not match LOWER_UP */
        snprintf(flags, sizeof(flags), ",%.*s,", (int)(gt - lt - 1), lt + 1);
        return strstr(flags, ",UP,") != NULL;
}

static void name_of(char ret[16], const char *role)
{
        snprintf(ret, 16, "%s%s", pfx, role);
}

/* Remembers a host interface name for teardown and returns it. */
static const char *track(fixture *f, const char *role)
{
        assert_true(f->n_names < ELEMENTSOF(f->names));
        name_of(f->names[f->n_names], role);
        return f->names[f->n_names++];
}

static int teardown(void **state);

static int setup(void **state)
{
        fixture *f = calloc(1, sizeof(*f));
        char out[256], ref[32];
        int pid;

        if (!f)
                return -1;
        *state = f;
        f->c.pidfd = -1;
        if (capture(out, sizeof(out), "%s start --netns-only", testctr) != 0 ||
            sscanf(out, "%d", &pid) != 1 || pid <= 0) {
                fprintf(stderr, "dp-testctr start failed: %s\n", out);
                goto fail;
        }
        f->c.pid = pid;
        f->c.runtime = DP_RUNTIME_PID;
        f->c.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        snprintf(ref, sizeof(ref), "pid:%d", pid);
        f->c.ref = strdup(ref);
        if (f->c.pidfd < 0 || !f->c.ref)
                goto fail;
        return 0;
fail:
        /* cmocka runs no teardown after a failed setup */
        teardown(state);
        *state = NULL;
        return -1;
}

static int teardown(void **state)
{
        fixture *f = *state;

        if (!f)
                return 0;
        for (size_t i = 0; i < f->n_names; i++)
                if (host_has(f->names[i]))
                        run("ip link del dev %s 2>/dev/null", f->names[i]);
        if (f->c.pid > 0)
                run("%s stop %d >/dev/null 2>&1", testctr, (int)f->c.pid);
        if (f->c.pidfd >= 0)
                close(f->c.pidfd);
        /* The harness container struct is built by hand here, so it is freed
         * by hand too. */
        free(f->c.ref);
        free(f);
        return 0;
}

static void veth_add(const char *a, const char *b)
{
        assert_int_equal(run("ip link add dev %s type veth peer name %s", a, b),
                         0);
}

static void test_veth_roundtrip(void **state)
{
        fixture *f = *state;
        const char *a = track(f, "va"), *b = track(f, "vb");
        dp_netdev_saved s;
        linkinfo before, after;
        char out[512], idx[16];

        veth_add(a, b);
        assert_int_equal(run("ip link set dev %s mtu 1450 up", a), 0);
        assert_true(host_link(a, &before));

        assert_int_equal(dp_act_net_move_in(&f->c, a, "lan0", &s, NULL), 0);
        assert_string_equal(s.name, a);
        assert_string_equal(s.name_inside, "lan0");
        assert_string_equal(s.mac, before.mac);
        assert_int_equal(s.mtu, 1450);
        assert_true(s.up);
        assert_true(s.ifindex_inside > 0);
        assert_false(host_has(a));

        assert_int_equal(inside_link(f, "lan0", out, sizeof(out)), 0);
        assert_true(flags_have_up(out));
        assert_non_null(strstr(out, before.mac));
        snprintf(idx, sizeof(idx), "%d: lan0", s.ifindex_inside);
        assert_true(strncmp(out, idx, strlen(idx)) == 0);

        assert_int_equal(dp_act_net_move_out(&f->c, -1, &s), 0);
        assert_true(host_link(a, &after));
        assert_string_equal(after.mac, before.mac);
        assert_int_equal(after.mtu, 1450);
        assert_true(after.up);
        assert_true(host_has(b));
        assert_int_not_equal(inside_link(f, "lan0", out, sizeof(out)), 0);
}

/* The container changes MAC and MTU; both come back as they were. */
static void test_tap_roundtrip(void **state)
{
        fixture *f = *state;
        const char *t = track(f, "t");
        dp_netdev_saved s;
        linkinfo after;
        char out[512];

        assert_int_equal(run("ip tuntap add dev %s mode tap", t), 0);
        assert_int_equal(run("ip link set dev %s mtu 1400 address "
                             "02:de:70:00:00:01 up",
                             t),
                         0);

        assert_int_equal(dp_act_net_move_in(&f->c, t, "lan0", &s, NULL), 0);
        assert_string_equal(s.mac, "02:de:70:00:00:01");
        assert_int_equal(s.mtu, 1400);
        assert_true(s.up);
        assert_false(host_has(t));
        assert_int_equal(inside_link(f, "lan0", out, sizeof(out)), 0);
        assert_true(flags_have_up(out));
        assert_non_null(strstr(out, "mtu 1400"));

        assert_int_equal(run("%s exec %d -- ip link set dev lan0 down", testctr,
                             (int)f->c.pid),
                         0);
        assert_int_equal(run("%s exec %d -- ip link set dev lan0 mtu 1300 "
                             "address 02:de:70:00:00:99",
                             testctr, (int)f->c.pid),
                         0);
        assert_int_equal(inside_link(f, "lan0", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "02:de:70:00:00:99"));

        assert_int_equal(dp_act_net_move_out(&f->c, -1, &s), 0);
        assert_true(host_link(t, &after));
        assert_string_equal(after.mac, "02:de:70:00:00:01");
        assert_int_equal(after.mtu, 1400);
        assert_true(after.up);
}

/* lan0 is taken inside: the kernel moves the NIC, then fails the rename;
 * the module brings it back under its own name and up again. */
static void test_rename_clash_inside(void **state)
{
        fixture *f = *state;
        const char *a = track(f, "va"), *b = track(f, "vb");
        const char *c = track(f, "cb");
        dp_netdev_saved s;
        linkinfo before, after;
        char out[512];

        veth_add(a, b);
        assert_int_equal(run("ip link set dev %s up", a), 0);
        assert_true(host_link(a, &before));
        /* a lan0 inside, its peer on the host */
        assert_int_equal(run("ip link add dev %s type veth peer name lan0 "
                             "netns %d",
                             c, (int)f->c.pid),
                         0);
        assert_int_equal(inside_link(f, "lan0", out, sizeof(out)), 0);

        memset(&s, 0x5a, sizeof(s));
        assert_int_equal(dp_act_net_move_in(&f->c, a, "lan0", &s, NULL),
                         -EEXIST);
        assert_int_equal(((unsigned char *)&s)[0], 0x5a); /* untouched */
        assert_true(host_link(a, &after));
        assert_string_equal(after.mac, before.mac);
        assert_int_equal(after.mtu, before.mtu);
        assert_true(after.up);
        /* the lan0 inside is still the container's own */
        assert_int_equal(inside_link(f, "lan0", out, sizeof(out)), 0);
        assert_null(strstr(out, before.mac));
}

/* The original name is taken on the host by the time the NIC comes back:
 * it keeps the name it had inside, -EADDRINUSE; the other link is left
 * alone. */
static void test_rename_clash_host(void **state)
{
        fixture *f = *state;
        const char *a = track(f, "va"), *b = track(f, "vb");
        const char *in = track(f, "in"), *x = track(f, "xa");
        dp_netdev_saved s;
        linkinfo li, other;

        veth_add(a, b);
        assert_int_equal(dp_act_net_move_in(&f->c, a, in, &s, NULL), 0);
        assert_false(host_has(a));
        veth_add(a, x); /* someone takes the name meanwhile */
        assert_true(host_link(a, &other));

        assert_int_equal(dp_act_net_move_out(&f->c, -1, &s), -EADDRINUSE);
        assert_true(host_link(in, &li)); /* its name from inside */
        assert_string_equal(li.mac, s.mac);
        assert_true(host_link(a, &li));
        assert_string_equal(li.mac, other.mac);
        assert_int_equal(li.ifindex, other.ifindex);
}

static void kill_init(fixture *f)
{
        struct pollfd p = {.fd = f->c.pidfd, .events = POLLIN};

        assert_int_equal(
                syscall(SYS_pidfd_send_signal, f->c.pidfd, SIGKILL, NULL, 0),
                0);
        assert_int_equal(poll(&p, 1, 10000), 1);
}

static void test_init_dead_move_in(void **state)
{
        fixture *f = *state;
        const char *a = track(f, "va"), *b = track(f, "vb");
        dp_netdev_saved s;
        linkinfo before, after;

        veth_add(a, b);
        assert_int_equal(run("ip link set dev %s up", a), 0);
        assert_true(host_link(a, &before));
        kill_init(f);

        assert_int_equal(dp_act_net_move_in(&f->c, a, "lan0", &s, NULL),
                         -ESRCH);
        assert_true(host_link(a, &after));
        assert_int_equal(after.ifindex, before.ifindex);
        assert_string_equal(after.mac, before.mac);
        assert_true(after.up);
}

/* A veth inside a dying netns is destroyed, not returned. */
static void test_init_dead_move_out(void **state)
{
        fixture *f = *state;
        const char *a = track(f, "va"), *b = track(f, "vb");
        dp_netdev_saved s;

        veth_add(a, b);
        assert_int_equal(dp_act_net_move_in(&f->c, a, "lan0", &s, NULL), 0);
        kill_init(f);

        assert_int_equal(dp_act_net_move_out(&f->c, -1, &s), -ESRCH);
        /* netns cleanup runs from a kernel workqueue: give it time */
        for (int i = 0; i < 100 && host_has(b); i++)
                usleep(100 * 1000);
        assert_false(host_has(b));
        assert_false(host_has(a));
}

/* With the netns held (ret_netns_fd), a veth outlives the container's init
 * and comes back with its name, MAC and MTU. */
static void test_init_dead_held(void **state)
{
        fixture *f = *state;
        const char *a = track(f, "va"), *b = track(f, "vb");
        dp_netdev_saved s;
        linkinfo before, after;
        int nsfd = -1;

        veth_add(a, b);
        assert_int_equal(run("ip link set dev %s mtu 1440 up", a), 0);
        assert_true(host_link(a, &before));
        assert_int_equal(dp_act_net_move_in(&f->c, a, "lan0", &s, &nsfd), 0);
        assert_true(nsfd >= 0);
        assert_string_equal(s.kind, "veth");
        assert_true(s.anchor_ifindex > 0);
        kill_init(f);
        assert_int_equal(dp_act_net_move_out(&f->c, -1, &s), -ESRCH);
        assert_int_equal(dp_act_net_move_out(NULL, nsfd, &s), 0);
        close(nsfd);
        assert_true(host_link(a, &after));
        assert_string_equal(after.mac, before.mac);
        assert_int_equal(after.mtu, 1440);
        assert_true(after.up);
        assert_true(host_has(b));
}

/* Root inside hides the veth in a netns of its own and leaves a decoy with
 * the same name and MAC: nothing is moved back, -ESTALE. */
static void test_decoy_refused(void **state)
{
        fixture *f = *state;
        const char *a = track(f, "va"), *b = track(f, "vb");
        dp_netdev_saved s;
        char out[512];
        int hide;

        veth_add(a, b);
        assert_int_equal(dp_act_net_move_in(&f->c, a, "lan0", &s, NULL), 0);
        hide = fork();
        if (hide == 0) {
                execlp("unshare", "unshare", "-n", "sleep", "60", NULL);
                _exit(127);
        }
        for (int i = 0; i < 100; i++) {
                if (capture(out, sizeof(out), "readlink /proc/%d/exe", hide) ==
                            0 &&
                    strstr(out, "sleep"))
                        break;
                usleep(20 * 1000);
        }
        assert_int_equal(run("nsenter -t %d -n ip link set lan0 netns %d",
                             (int)f->c.pid, hide),
                         0);
        assert_int_equal(run("nsenter -t %d -n ip link add lan0 address %s "
                             "type veth peer name lan0p",
                             (int)f->c.pid, s.mac),
                         0);
        assert_int_equal(dp_act_net_move_out(&f->c, -1, &s), -ESTALE);
        assert_false(host_has(a));
        assert_int_equal(inside_link(f, "lan0", out, sizeof(out)), 0);
        assert_non_null(strstr(out, s.mac));
        kill(hide, SIGKILL);
        waitpid(hide, NULL, 0);
}

/* A macvtap is a NIC with a char node; its lower stays on the host. */
static void test_macvtap_roundtrip(void **state)
{
        fixture *f = *state;
        const char *a = track(f, "va"), *b = track(f, "vb");
        const char *m = track(f, "mv");
        dp_netdev_saved s;
        linkinfo before, after;
        char out[512];

        veth_add(a, b);
        assert_int_equal(run("ip link add link %s name %s type macvtap", a, m),
                         0);
        assert_int_equal(run("ip link set dev %s up", m), 0);
        assert_true(host_link(m, &before));

        assert_int_equal(dp_act_net_move_in(&f->c, m, "lan0", &s, NULL), 0);
        assert_false(host_has(m));
        assert_true(host_has(a));
        assert_int_equal(inside_link(f, "lan0", out, sizeof(out)), 0);
        assert_non_null(strstr(out, before.mac));
        assert_true(flags_have_up(out));

        assert_int_equal(dp_act_net_move_out(&f->c, -1, &s), 0);
        assert_true(host_link(m, &after));
        assert_string_equal(after.mac, before.mac);
        assert_true(after.up);
}

static void test_refusals(void **state)
{
        fixture *f = *state;
        const char *br = track(f, "br");
        dp_netdev_saved s;

        assert_int_equal(
                dp_act_net_move_in(&f->c, track(f, "no"), NULL, &s, NULL),
                -ENODEV);
        assert_int_equal(run("ip link add dev %s type bridge", br), 0);
        assert_int_equal(dp_act_net_move_in(&f->c, br, "lan0", &s, NULL),
                         -EOPNOTSUPP);
        assert_true(host_has(br));
        assert_int_equal(dp_act_net_move_in(&f->c, br, "lan/0", &s, NULL),
                         -EINVAL);
}

int main(int argc, char **argv)
{
        int fd;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_veth_roundtrip, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_tap_roundtrip, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_rename_clash_inside, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_rename_clash_host, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_init_dead_move_in, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_init_dead_move_out, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_init_dead_held, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_decoy_refused, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_macvtap_roundtrip, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        };

        if (argc < 2) {
                fprintf(stderr, "usage: %s PATH-TO-dp-testctr\n", argv[0]);
                return 2;
        }
        testctr = argv[1];
        if (geteuid() != 0) {
                fprintf(stderr, "skip: needs root (netns moves)\n");
                return 77;
        }
        if (access(testctr, X_OK) < 0) {
                fprintf(stderr, "%s: %m\n", testctr);
                return 1;
        }
        fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        if (fd < 0) {
                /* e.g. under valgrind 3.19, which does not know it */
                fprintf(stderr, "skip: pidfd_open: %m\n");
                return 77;
        }
        close(fd);
        if (run("ip -V >/dev/null 2>&1") != 0) {
                fprintf(stderr, "skip: iproute2 'ip' missing for test setup\n");
                return 77;
        }
        snprintf(pfx, sizeof(pfx), "dpt%x", (unsigned)getpid() & 0xffffff);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
