/* SPDX-License-Identifier: MIT */
/* cgroup v1 devices.allow/deny against the real kernel, in a scratch cgroup
 * set up with LXC's default device list. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "act-cgroup-util.h"
#include "devpass/act.h"
#include "devpass/device.h"

#define RW  (DP_ACCESS_READ | DP_ACCESS_WRITE)
#define RWM (RW | DP_ACCESS_MKNOD)

static struct {
        char tmp[64];
        char *card; /* c 226:0 */
        char *usb;  /* c 189:1 */
        int seq;
} G;

/* LXC's default list: deny all, then these. */
static const char *const lxc_allow[] = {
        "c *:* m",   "b *:* m",   "c 1:3 rwm",   "c 1:5 rwm",
        "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",   "c 5:0 rwm",
        "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

static int group_setup(void **state)
{
        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root\n");
                exit(77);
        }
        if (!dpt_cg1_devices_root()) {
                fprintf(stderr, "SKIP: no cgroup v1 devices hierarchy\n");
                exit(77);
        }
        snprintf(G.tmp, sizeof(G.tmp), "/tmp/dpt-cg1-%d-XXXXXX", getpid());
        if (dpt_scratch_nodes(G.tmp, &G.card, &G.usb) < 0)
                return -1;
        return 0;
}

static int group_teardown(void **state)
{
        dpt_rm_rf(G.tmp);
        free(G.card);
        free(G.usb);
        return 0;
}

static int setup(void **state)
{
        char name[64], *cg = NULL;
        _cleanup_free_ char *deny = NULL, *allow = NULL;

        snprintf(name, sizeof(name), "dpt-cg1-%d-%d", getpid(), G.seq++);
        assert_int_equal(dpt_cg_make(dpt_cg1_devices_root(), name, &cg), 0);
        *state = cg;
        deny = strjoin_sep("/", cg, "devices.deny", NULL);
        allow = strjoin_sep("/", cg, "devices.allow", NULL);
        assert_int_equal(write_string_file(deny, "a"), 0);
        for (size_t i = 0; i < ELEMENTSOF(lxc_allow); i++)
                assert_int_equal(write_string_file(allow, lxc_allow[i]), 0);
        return 0;
}

static int teardown(void **state)
{
        char *cg = *state;

        dpt_cg_remove(cg);
        free(cg);
        return 0;
}

static void test_allow_deny(void **state)
{
        const char *cg = *state;

        assert_int_equal(dpt_probe(cg, NULL, "/dev/null", O_RDWR), 0);
        assert_int_equal(dpt_probe(cg, NULL, G.card, O_RDWR), -EPERM);
        assert_int_equal(dp_cg1_covered(cg, 'c', 226, 0, RW), 0);

        assert_int_equal(dp_cg1_allow(cg, 'c', 226, 0, RW), 0);
        assert_int_equal(dpt_probe(cg, NULL, G.card, O_RDWR), -ENXIO);
        assert_int_equal(dp_cg1_covered(cg, 'c', 226, 0, RW), 1);
        assert_int_equal(dp_cg1_covered(cg, 'c', 226, 0, RWM), 0);
        assert_int_equal(dp_cg1_covered(cg, 'c', 226, DP_MINOR_ANY, RW), 0);
        assert_int_equal(dpt_probe(cg, NULL, G.usb, O_RDWR), -EPERM);

        assert_int_equal(dp_cg1_deny(cg, 'c', 226, 0, RW), 0);
        assert_int_equal(dpt_probe(cg, NULL, G.card, O_RDWR), -EPERM);
        assert_int_equal(dp_cg1_covered(cg, 'c', 226, 0, RW), 0);

        /* the runtime's own allowance survives devpass's revoke */
        assert_int_equal(dpt_probe(cg, NULL, "/dev/null", O_RDWR), 0);
        assert_int_equal(dp_cg1_covered(cg, 'c', 1, 3, RWM), 1);

        /* wildcard minor */
        assert_int_equal(dp_cg1_allow(cg, 'c', 189, DP_MINOR_ANY, RW), 0);
        assert_int_equal(dpt_probe(cg, NULL, G.usb, O_RDWR), -ENXIO);
        assert_int_equal(dp_cg1_covered(cg, 'c', 189, 7, DP_ACCESS_READ), 1);
        assert_int_equal(dp_cg1_deny(cg, 'c', 189, DP_MINOR_ANY, RWM), 0);
        assert_int_equal(dpt_probe(cg, NULL, G.usb, O_RDWR), -EPERM);
}

static void test_covered(void **state)
{
        const char *cg = *state;

        assert_int_equal(dp_cg1_covered(cg, 'c', 136, 5, RW), 1);
        assert_int_equal(dp_cg1_covered(cg, 'c', 136, DP_MINOR_ANY, RWM), 1);
        assert_int_equal(dp_cg1_covered(cg, 'c', 1, 3, RW), 1);
        assert_int_equal(dp_cg1_covered(cg, 'c', 1, 4, RW), 0);
        assert_int_equal(dp_cg1_covered(cg, 'b', 1, 3, DP_ACCESS_READ), 0);
        /* "c *:* m" and "b *:* m" */
        assert_int_equal(dp_cg1_covered(cg, 'c', 226, 0, DP_ACCESS_MKNOD), 1);
        assert_int_equal(dp_cg1_covered(cg, 'b', 7, 0, DP_ACCESS_MKNOD), 1);
        assert_int_equal(dp_cg1_covered(cg, 'b', 7, 0, DP_ACCESS_READ), 0);
}

static void test_default_allow(void **state)
{
        char name[64];
        _cleanup_free_ char *cg = NULL;

        /* a fresh cgroup inherits the root's "a *:* rwm" */
        snprintf(name, sizeof(name), "dpt-cg1-%d-open", getpid());
        assert_int_equal(dpt_cg_make(dpt_cg1_devices_root(), name, &cg), 0);
        assert_int_equal(dp_cg1_covered(cg, 'c', 226, 0, RWM), 1);
        assert_int_equal(dp_cg1_covered(cg, 'b', 7, DP_MINOR_ANY, RWM), 1);
        assert_int_equal(dpt_cg_remove(cg), 0);
}

static void test_bad_args(void **state)
{
        const char *cg = *state;

        assert_int_equal(dp_cg1_allow(cg, 'a', 1, 3, RW), -EINVAL);
        assert_int_equal(dp_cg1_allow(cg, 'c', 1, 3, 0), -EINVAL);
        assert_int_equal(dp_cg1_deny(cg, 'c', 1, 3, 8), -EINVAL);
        assert_int_equal(dp_cg1_covered(cg, 'x', 1, 3, RW), -EINVAL);
        assert_int_equal(dp_cg1_allow("/sys/fs/cgroup/devices/dpt-no-such", 'c',
                                      1, 3, RW),
                         -ENOENT);
        assert_int_equal(dp_cg1_covered("/sys/fs/cgroup/devices/dpt-no-such",
                                        'c', 1, 3, RW),
                         -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_allow_deny, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_covered, setup, teardown),
                cmocka_unit_test_setup_teardown(test_default_allow, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
