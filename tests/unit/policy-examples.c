/* SPDX-License-Identifier: MIT */
/* Every shipped example policy passes the checker, alone and together, and
 * the headline examples match the devices they are written for. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "devpass/policy.h"

static void print_diags(const dp_diag_list *diags)
{
        for (size_t i = 0; i < diags->n; i++)
                print_error("%s\n", diags->items[i].message);
}

static void test_each_example(void **state)
{
        DIR *d = opendir(POLICY_EXAMPLES_DIR);
        struct dirent *de;
        size_t n_files = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                _cleanup_policy_free_ dp_policy *p = dp_policy_new();
                _cleanup_free_ char *path = NULL;
                dp_diag_list diags = {0};
                int r;

                if (!endswith(de->d_name, ".policy"))
                        continue;
                path = strjoin_sep("/", POLICY_EXAMPLES_DIR, de->d_name, NULL);
                assert_non_null(path);
                r = dp_policy_load_file(p, path, &diags);
                print_diags(&diags);
                assert_int_equal(r, 0);
                assert_int_equal(diags.n, 0);
                assert_true(dp_policy_n_rules(p) >= 1);
                n_files++;
        }
        closedir(d);
        assert_true(n_files >= 7);
}

static void test_examples_together(void **state)
{
        _cleanup_policy_free_ dp_policy *p = NULL;
        char *dirs[] = {(char *)POLICY_EXAMPLES_DIR, NULL};
        dp_diag_list diags = {0};
        _cleanup_device_free_ dp_device *gpu = dp_device_new();
        _cleanup_device_free_ dp_device *kbd = dp_device_new();
        _cleanup_device_free_ dp_device *loop = dp_device_new();
        const dp_rule *r;

        assert_int_equal(dp_policy_load_dirs(dirs, &p, &diags), 0);
        print_diags(&diags);
        assert_int_equal(diags.n, 0);
        /* version order: 10-deny-keyboards comes first */
        assert_true(startswith(dp_rule_source(dp_policy_rule(p, 0)),
                               "10-deny-keyboards.policy:"));

        gpu->klass = DP_CLASS_GPU;
        gpu->subsystem = strdup("pci");
        gpu->has_vendor = true;
        gpu->vendor = 0x10de;
        r = dp_policy_match(p, gpu, NULL);
        assert_non_null(r);
        assert_true(startswith(dp_rule_source(r), "50-nvidia-ml.policy:"));
        assert_true(
                dp_container_ref_match(dp_rule_containers(r)[0], "lxc:ml-7"));

        kbd->klass = DP_CLASS_INPUT;
        kbd->subsystem = strdup("input");
        kbd->input = DP_INPUT_KEYBOARD;
        r = dp_policy_match(p, kbd, NULL);
        assert_non_null(r);
        assert_int_equal(dp_rule_grant(r)->action, DP_ACTION_DENY);

        loop->klass = DP_CLASS_BLOCK;
        loop->subsystem = strdup("block");
        loop->name = strdup("loop3");
        r = dp_policy_match(p, loop, NULL);
        assert_non_null(r);
        assert_true(startswith(dp_rule_source(r), "90-loop-demo.policy:"));
        assert_string_equal(dp_rule_containers(r)[0], "lxc:devpass-demo");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_each_example),
                cmocka_unit_test(test_examples_together),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
