/* SPDX-License-Identifier: MIT */
/* The NIC module's pure parts: libnl error conversion, interface name and
 * MAC checks, and argument checks that reject before touching the kernel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/errno.h>

#include "devpass/act.h"
#include "net-internal.h"

static void test_nl_errno_known(void **state)
{
        assert_int_equal(dp_nl_errno(0), 0);
        assert_int_equal(dp_nl_errno(-NLE_EXIST), -EEXIST);
        assert_int_equal(dp_nl_errno(NLE_EXIST), -EEXIST); /* either sign */
        assert_int_equal(dp_nl_errno(-NLE_NODEV), -ENODEV);
        assert_int_equal(dp_nl_errno(-NLE_OBJ_NOTFOUND), -ENOENT);
        assert_int_equal(dp_nl_errno(-NLE_PERM), -EPERM);
        assert_int_equal(dp_nl_errno(-NLE_NOACCESS), -EACCES);
        assert_int_equal(dp_nl_errno(-NLE_BUSY), -EBUSY);
        assert_int_equal(dp_nl_errno(-NLE_INVAL), -EINVAL);
        assert_int_equal(dp_nl_errno(-NLE_OPNOTSUPP), -EOPNOTSUPP);
        assert_int_equal(dp_nl_errno(-NLE_NOMEM), -ENOMEM);
        assert_int_equal(dp_nl_errno(-NLE_BAD_SOCK), -EBADF);
        assert_int_equal(dp_nl_errno(-NLE_DUMP_INTR), -EAGAIN);
        assert_int_equal(dp_nl_errno(-NLE_NOADDR), -EADDRNOTAVAIL);
        assert_int_equal(dp_nl_errno(-NLE_FAILURE), -EIO);
        assert_int_equal(dp_nl_errno(-9999), -EIO);
}

/* Every libnl code maps to a real negative errno, never to success. */
static void test_nl_errno_all_negative(void **state)
{
        for (int e = 1; e <= NLE_MAX; e++) {
                int r = dp_nl_errno(-e);

                assert_true(r < 0);
                assert_true(r > -4096);
        }
}

/* A kernel errno that libnl folds into an NLE_ code of its own comes back
 * as the same errno. */
static void test_nl_errno_roundtrip(void **state)
{
        static const int errs[] = {
                EEXIST,        EINVAL, EBUSY,       EPERM,  ENODEV,
                EOPNOTSUPP,    ENOMEM, EACCES,      ERANGE, EAGAIN,
                EADDRNOTAVAIL, EINTR,  EAFNOSUPPORT};

        for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
                int nle = nl_syserr2nlerr(errs[i]);

                assert_int_equal(dp_nl_errno(-nle), -errs[i]);
        }
        /* libnl folds ESRCH and ENOENT together. */
        assert_int_equal(dp_nl_errno(-nl_syserr2nlerr(ESRCH)), -ENOENT);
        /* ... and errnos it does not know into NLE_FAILURE. */
        assert_int_equal(dp_nl_errno(-nl_syserr2nlerr(EXDEV)), -EIO);
}

static void test_ifname_valid(void **state)
{
        assert_true(dp_ifname_valid("eth1"));
        assert_true(dp_ifname_valid("lan0"));
        assert_true(dp_ifname_valid("a"));
        assert_true(dp_ifname_valid("123456789012345")); /* 15 chars */
        assert_true(dp_ifname_valid("veth-x.10_y"));
        assert_false(dp_ifname_valid(NULL));
        assert_false(dp_ifname_valid(""));
        assert_false(dp_ifname_valid("1234567890123456")); /* 16 chars */
        assert_false(dp_ifname_valid("."));
        assert_false(dp_ifname_valid(".."));
        assert_false(dp_ifname_valid("a/b"));
        assert_false(dp_ifname_valid("a:b"));
        assert_false(dp_ifname_valid("a b"));
        assert_false(dp_ifname_valid("a\tb"));
        assert_false(dp_ifname_valid("a\nb"));
        assert_false(dp_ifname_valid("eth%d"));
}

static void test_mac_parse(void **state)
{
        uint8_t m[6] = {0}, want[6] = {0x02, 0xab, 0xcd, 0xef, 0x01, 0x9f};

        assert_int_equal(dp_mac_parse("02:ab:cd:ef:01:9f", m), 0);
        assert_memory_equal(m, want, 6);
        assert_int_equal(dp_mac_parse("02:AB:CD:EF:01:9F", m), 0);
        assert_memory_equal(m, want, 6);
        memset(m, 0x11, sizeof(m));
        assert_int_equal(dp_mac_parse("02:ab:cd:ef:01", m), -EINVAL);
        assert_int_equal(dp_mac_parse("02:ab:cd:ef:01:9g", m), -EINVAL);
        assert_int_equal(dp_mac_parse("02-ab-cd-ef-01-9f", m), -EINVAL);
        assert_int_equal(dp_mac_parse("02:ab:cd:ef:01:9f:", m), -EINVAL);
        assert_int_equal(dp_mac_parse("", m), -EINVAL);
        assert_int_equal(dp_mac_parse(NULL, m), -EINVAL);
        assert_int_equal(m[0], 0x11); /* untouched on failure */
}

/* Bad arguments are refused before any namespace or netlink work, so this
 * needs neither root nor a container. */
static void test_bad_arguments(void **state)
{
        dp_container c = {.pid = getpid(), .pidfd = -1};
        dp_netdev_saved s = {0}, out;
        memset(&out, 0x5a, sizeof(out));
        assert_int_equal(dp_act_net_move_in(NULL, "eth1", NULL, &out, NULL),
                         -EINVAL);
        assert_int_equal(dp_act_net_move_in(&c, "bad/name", NULL, &out, NULL),
                         -EINVAL);
        assert_int_equal(dp_act_net_move_in(&c, "eth1", "", &out, NULL),
                         -EINVAL);
        assert_int_equal(
                dp_act_net_move_in(&c, "eth1", "waytoolongname16", &out, NULL),
                -EINVAL);
        assert_int_equal(dp_act_net_move_in(&c, "eth1", "lan%d", &out, NULL),
                         -EINVAL);
        assert_int_equal(dp_act_net_move_in(&c, "eth1", NULL, NULL, NULL),
                         -EINVAL);
        assert_int_equal(((unsigned char *)&out)[0], 0x5a); /* untouched */

        assert_int_equal(dp_act_net_move_out(&c, -1, &s),
                         -EINVAL); /* no name */
        strcpy(s.name, "eth1");
        strcpy(s.name_inside, "a:b");
        assert_int_equal(dp_act_net_move_out(&c, -1, &s), -EINVAL);
        assert_int_equal(dp_act_net_move_out(&c, -1, NULL), -EINVAL);

        /* neither a container nor a held netns */
        strcpy(s.name_inside, "lan0");
        assert_int_equal(dp_act_net_move_out(NULL, -1, &s), -EINVAL);

        assert_int_equal(dp_act_net_identify("bad/name", &out), -EINVAL);
        assert_int_equal(dp_act_net_identify("eth1", NULL), -EINVAL);
        assert_int_equal(dp_act_net_netns_open(NULL, &c.pidfd), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nl_errno_known),
                cmocka_unit_test(test_nl_errno_all_negative),
                cmocka_unit_test(test_nl_errno_roundtrip),
                cmocka_unit_test(test_ifname_valid),
                cmocka_unit_test(test_mac_parse),
                cmocka_unit_test(test_bad_arguments),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
