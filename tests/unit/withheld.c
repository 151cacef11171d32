/* SPDX-License-Identifier: MIT */
/* The holds a manual detach leaves in the state dir (agent/core/withheld.c):
 * per pair, against one rule, dropped per pair or per device, and never
 * confused between pairs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/withheld.h"
#include "devpass/util.h"

static int setup(void **state)
{
        char *dir = strdup("/tmp/dpt-withheld.XXXXXX");

        if (!dir || !mkdtemp(dir))
                return -1;
        *state = dir;
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
        free(*state);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_hold_and_drop(void **state)
{
        const char *dir = *state;
        char *rule = NULL;

        assert_false(dp_withheld_any(dir));
        assert_int_equal(dp_withheld_get(dir, "lxc:a", "/sys/x", &rule), 0);
        assert_int_equal(dp_withheld_add(dir, "lxc:a", "/sys/x", "50.policy#1"),
                         0);
        assert_int_equal(dp_withheld_add(dir, "lxc:b", "/sys/x", "50.policy#1"),
                         0);
        assert_int_equal(dp_withheld_add(dir, "lxc:a", "/sys/y", "60.policy#2"),
                         0);
        assert_true(dp_withheld_any(dir));
        assert_int_equal(dp_withheld_get(dir, "lxc:a", "/sys/x", &rule), 1);
        assert_string_equal(rule, "50.policy#1");
        free(rule);
        rule = NULL;
        /* a pair is its two halves, not their concatenation */
        assert_int_equal(dp_withheld_get(dir, "lxc:a/sys", "/x", NULL), 0);
        assert_int_equal(dp_withheld_get(dir, "lxc:c", "/sys/x", NULL), 0);
        /* re-adding replaces the rule */
        assert_int_equal(dp_withheld_add(dir, "lxc:a", "/sys/y", "70.policy#3"),
                         0);
        assert_int_equal(dp_withheld_get(dir, "lxc:a", "/sys/y", &rule), 1);
        assert_string_equal(rule, "70.policy#3");
        free(rule);
        /* per pair */
        assert_int_equal(dp_withheld_drop(dir, "lxc:a", "/sys/y"), 0);
        assert_int_equal(dp_withheld_get(dir, "lxc:a", "/sys/y", NULL), 0);
        assert_int_equal(dp_withheld_drop(dir, "lxc:a", "/sys/y"), 0);
        /* per device: every container's hold of it */
        assert_int_equal(dp_withheld_drop_device(dir, "/sys/x"), 0);
        assert_int_equal(dp_withheld_get(dir, "lxc:a", "/sys/x", NULL), 0);
        assert_int_equal(dp_withheld_get(dir, "lxc:b", "/sys/x", NULL), 0);
        assert_false(dp_withheld_any(dir));
}

static void test_damaged(void **state)
{
        const char *dir = *state;
        char path[256];
        FILE *f;

        /* a file that is not a hold (damaged, or of a colliding pair) holds
         * nothing back */
        assert_int_equal(dp_withheld_add(dir, "lxc:a", "/sys/z", "r"), 0);
        snprintf(path, sizeof(path), "%s/withheld", dir);
        {
                char cmd[512];

                snprintf(cmd, sizeof(cmd),
                         "for f in '%s'/*.json; do echo garbage > \"$f\"; done",
                         path);
                assert_int_equal(system(cmd), 0);
        }
        assert_true(dp_withheld_get(dir, "lxc:a", "/sys/z", NULL) != 1);
        snprintf(path, sizeof(path), "%s/withheld/other.json", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("{\"container\":\"lxc:q\",\"device\":\"/sys/z\",\"rule\":\"r\"}",
              f);
        fclose(f);
        assert_int_equal(dp_withheld_drop_device(dir, "/sys/z"), 0);
        assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_hold_and_drop, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
