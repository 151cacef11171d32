/* SPDX-License-Identifier: MIT */
/* dp_act_net_restore: a NIC that came back from a dead container netns
 * under a kernel-given name gets its name, MTU and up state back. A
 * physical NIC cannot leave and return here, so the return is staged: a
 * veth renamed as the kernel would rename it. */
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
        snprintf(a, sizeof(a), "dptra%d", getpid() % 100000);
        snprintf(b, sizeof(b), "dptrb%d", getpid() % 100000);
        snprintf(k, sizeof(k), "dptrk%d", getpid() % 100000);
        return sh("ip link add %s type veth peer name %s", a, b) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        sh("ip link del %s 2>/dev/null", b);
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
        dp_netdev_saved s = {.mtu = 1400, .up = true};
        char v[64];

        snprintf(s.name, sizeof(s.name), "%s", a);
        read_attr(a, "address", s.mac, sizeof(s.mac));
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
        dp_netdev_saved s = {.mtu = 0};

        snprintf(s.name, sizeof(s.name), "%s", a);
        snprintf(s.mac, sizeof(s.mac), "02:00:5e:00:53:fe");
        /* a virtual NIC died with its netns: nothing found */
        assert_int_equal(dp_act_net_restore(&s), -ENODEV);
        /* the name went to another NIC meanwhile: left alone */
        read_attr(b, "address", s.mac, sizeof(s.mac));
        assert_int_equal(dp_act_net_restore(&s), -EADDRINUSE);
        assert_int_equal(sh("ip link show %s >/dev/null", b), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gone_or_taken, setup,
                                                teardown),
        };

        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root (netlink link changes)\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
