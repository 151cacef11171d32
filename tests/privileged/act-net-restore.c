/* SPDX-License-Identifier: MIT */
/* dp_act_net_restore: a NIC that came back from a dead container netns
 * under a kernel-given name gets its name, MTU and up state back; it is
 * found by its identity (here: its veth peer), never by MAC. A physical NIC
 * cannot leave and return here, so the return is staged: a veth renamed as
 * the kernel would rename it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "devpass/act.h"
#include "devpass/util.h"

static char a[16], b[16], k[16];

static int sh(const char *fmt, ...)
{
        char cmd[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        return system(cmd);
}

static int setup(void **state)
{
        snprintf(a, sizeof(a), "dpnra%d", getpid() % 100000);
        snprintf(b, sizeof(b), "dpnrb%d", getpid() % 100000);
        snprintf(k, sizeof(k), "dpnrk%d", getpid() % 100000);
        return sh("ip link add %s type veth peer name %s", a, b) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        sh("ip link del %s 2>/dev/null", b);
        sh("ip link del %s 2>/dev/null", k);
        sh("ip link del %s 2>/dev/null", a);
        return 0;
}

static void read_attr(const char *dev, const char *attr, char *buf, size_t n)
{
        char p[128];
        _cleanup_free_ char *v = NULL;

        snprintf(p, sizeof(p), "/sys/class/net/%s/%s", dev, attr);
        assert_int_equal(read_one_line(p, &v), 0);
        snprintf(buf, n, "%s", v);
}

static void test_restore(void **state)
{
        dp_netdev_saved s;
        char v[64];

        assert_int_equal(dp_act_net_identify(a, &s), 0);
        assert_string_equal(s.kind, "veth");
        assert_true(s.anchor_ifindex > 0); /* its peer, b */
        s.mtu = 1400;
        s.up = true;
        /* staged return: another name, default MTU, down */
        assert_int_equal(sh("ip link set %s name %s", a, k), 0);
        assert_int_equal(dp_act_net_restore(&s), 0);
        read_attr(a, "mtu", v, sizeof(v));
        assert_string_equal(v, "1400");
        read_attr(a, "flags", v, sizeof(v));
        assert_true(strtoul(v, NULL, 16) & 1); /* IFF_UP */
        /* nothing to do the second time */
        assert_int_equal(dp_act_net_restore(&s), 0);
}

static void test_gone_or_taken(void **state)
{
        dp_netdev_saved s;
        char v[64];

        assert_int_equal(dp_act_net_identify(a, &s), 0);
        /* the name went to another NIC meanwhile: left alone */
        assert_int_equal(sh("ip link set %s name %s", a, k), 0);
        assert_int_equal(sh("ip link set %s name %s", b, a), 0);
        assert_int_equal(dp_act_net_restore(&s), -EADDRINUSE);
        read_attr(k, "ifindex", v, sizeof(v)); /* still there, as k */
        assert_int_equal(sh("ip link set %s name %s", a, b), 0);
}

/* systemd-udevd gives a NIC that arrives under a foreign name its
 * predictable name as an altname; that altname is the NIC's own original
 * name, which is no conflict: it goes, and the NIC gets its name back. */
static void test_own_altname(void **state)
{
        dp_netdev_saved s;
        char v[64];

        assert_int_equal(dp_act_net_identify(a, &s), 0);
        assert_int_equal(sh("ip link set %s name %s", a, k), 0);
        if (sh("ip link property add dev %s altname %s", k, a) != 0) {
                fprintf(stderr, "kernel without altnames: case not staged\n");
                return;
        }
        assert_int_equal(dp_act_net_restore(&s), 0);
        read_attr(a, "ifindex", v, sizeof(v));
        assert_int_not_equal(sh("ip link show dev %s >/dev/null 2>&1", k), 0);
        /* its own altname is gone with the rename; nobody else's was touched */
        assert_int_not_equal(sh("ip -o link show dev %s | grep -q altname", a),
                             0);
}

/* The NIC died (a virtual NIC in a dead netns); another link carrying its
 * MAC is not it: nothing is renamed. */
static void test_same_mac_is_not_it(void **state)
{
        dp_netdev_saved s;
        char v[64];

        assert_int_equal(dp_act_net_identify(a, &s), 0);
        assert_int_equal(sh("ip link del %s", b), 0);
        assert_int_equal(sh("ip link add %s address %s type veth peer name %s",
                            k, s.mac, b),
                         0);
        assert_int_equal(dp_act_net_restore(&s), -ENODEV);
        read_attr(k, "address", v, sizeof(v));
        assert_string_equal(v, s.mac);
        assert_int_not_equal(sh("ip link show %s >/dev/null 2>&1", a), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gone_or_taken, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_same_mac_is_not_it, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_own_altname, setup,
                                                teardown),
        };

        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root (netlink link changes)\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
