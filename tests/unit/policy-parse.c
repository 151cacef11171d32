/* SPDX-License-Identifier: MIT */
/* Parser tests: every malformed input names its exact LINE:COL and the
 * offending key; well-formed inputs give the expected settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "devpass/policy.h"

#define RULE "[Match]\nClass=gpu\n[Target]\nContainer=lxc:ml\n"

typedef struct bad_case {
        const char *text;
        size_t size; /* 0: strlen(text) */
        unsigned line, column;
        const char *needle; /* must appear in the message */
} bad_case;

static const bad_case bad_cases[] = {
        /* structure */
        {"[Foo]\n", 0, 1, 1, "[Foo]"},
        {"Class=gpu\n", 0, 1, 1, "'Class'"},
        {"\tClass=gpu\n", 0, 1, 2, "'Class'"},
        {"# c\n[Target]\nContainer=x\n", 0, 2, 1, "[Target]"},
        {"[Grant]\nAction=deny\n", 0, 1, 1, "[Grant]"},
        {"[Match\nClass=gpu\n", 0, 1, 1, "[Match"},
        {"[Match] x\nClass=gpu\n", 0, 1, 9, "'x'"},
        {"[Match]\nFoo=1\n", 0, 2, 1, "'Foo'"},
        {"[Match]\nClass=gpu\nMode=0660\n", 0, 3, 1, "'Mode'"},
        {RULE "[Target]\nExclusive=yes\n", 0, 5, 1, "[Target]"},
        {RULE "[Grant]\n[Grant]\n", 0, 6, 1, "[Grant]"},
        {RULE "Container=lxc:b\n", 0, 5, 1, "'Container='"},
        {"[Match]\nClass=gpu\nClass=usb\n", 0, 3, 1, "'Class='"},
        {"[Match]\nVendor 10de\n", 0, 2, 1, "'Vendor'"},
        {"[Match]\n=10de\n", 0, 2, 1, "'='"},
        {"[Match]\nVendor=\n", 0, 2, 8, "Vendor="},
        {"[Match]\nVendor=   \n", 0, 2, 8, "Vendor="},
        {"[Match]\n[Target]\nContainer=lxc:a\n", 0, 1, 1, "empty rule"},
        {"[Match]\nClass=gpu\n", 0, 1, 1, "Container="},
        {"# x\n\n  [Match]\nName=x\n[Grant]\nMode=0600\n", 0, 3, 3,
         "Container="},
        /* [Match] values */
        {"[Match]\nClass=gpux\n", 0, 2, 7, "Class="},
        {"[Match]\nClass=gpu foo\n", 0, 2, 11, "Class= value 'foo'"},
        {"[Match]\nVendor=10d\n", 0, 2, 8, "Vendor="},
        {"[Match]\nVendor=0x10dez\n", 0, 2, 8, "Vendor="},
        {"[Match]\nProduct=xyzw\n", 0, 2, 9, "Product="},
        {"[Match]\n  Vendor = zz \n", 0, 2, 12, "Vendor= value 'zz'"},
        {"[Match]\nVendor=045e !046d\n", 0, 2, 13, "Vendor="},
        {"[Match]\nVendor=!\n", 0, 2, 8, "Vendor="},
        {"[Match]\nInput=gamepad\n", 0, 2, 7, "Input="},
        {"[Match]\nNode=ttyUSB0\n", 0, 2, 6, "Node="},
        {"[Match]\nProperty=ID_FOO\n", 0, 2, 10, "Property="},
        {"[Match]\nAttribute==x\n", 0, 2, 11, "Attribute="},
        /* [Target] values */
        {"[Match]\nClass=gpu\n[Target]\nContainer=lxc:\n", 0, 4, 11,
         "Container="},
        {"[Match]\nClass=gpu\n[Target]\nContainer=a foo:bar\n", 0, 4, 13,
         "Container= value 'foo:bar'"},
        {"[Match]\nClass=gpu\n[Target]\nContainer=pid:0\n", 0, 4, 11,
         "Container="},
        {"[Match]\nClass=gpu\n[Target]\nContainer=cgroup:/a/../b\n", 0, 4, 11,
         "Container="},
        {"[Match]\nClass=gpu\n[Target]\nContainer=!lxc:a\n", 0, 4, 11,
         "Container="},
        {RULE "Exclusive=maybe\n", 0, 5, 11, "Exclusive="},
        /* CDI export: the bare word, once, never exclusive */
        {"[Match]\nClass=gpu\n[Target]\nContainer=a cdi:x\n", 0, 4, 13,
         "bare word 'cdi'"},
        {"[Match]\nClass=gpu\n[Target]\nContainer=cdi a cdi\n", 0, 4, 17,
         "'cdi' twice"},
        {"[Match]\nClass=gpu\n[Target]\nContainer=lxc:a cdi\n"
         "Exclusive=yes\n",
         0, 4, 17, "Exclusive=yes"},
        /* [Grant] values */
        {RULE "[Grant]\nAction=permit\n", 0, 6, 8, "Action="},
        {RULE "[Grant]\nAccess=rx\n", 0, 6, 8, "Access="},
        {RULE "[Grant]\nAccess=rr\n", 0, 6, 8, "Access="},
        {RULE "[Grant]\nPath=dev/x\n", 0, 6, 6, "Path="},
        {RULE "[Grant]\nPath=/dev/../etc/shadow\n", 0, 6, 6, "Path="},
        {RULE "[Grant]\nPath=/dev/./x\n", 0, 6, 6, "Path="},
        {RULE "[Grant]\nPath=/dev//x\n", 0, 6, 6, "Path="},
        {RULE "[Grant]\nPath=/dev/x/\n", 0, 6, 6, "Path="},
        {RULE "[Grant]\nMode=0999\n", 0, 6, 6, "Mode= value '0999'"},
        {RULE "[Grant]\nMode=1777\n", 0, 6, 6, "Mode="},
        {RULE "[Grant]\nMode=rw\n", 0, 6, 6, "Mode="},
        {RULE "[Grant]\nOwner=root\n", 0, 6, 7, "Owner="},
        {RULE "[Grant]\nGroup=-1\n", 0, 6, 7, "Group="},
        {RULE "[Grant]\nOwner=4294967295\n", 0, 6, 7, "Owner="},
        {RULE "[Grant]\nInterfaceName=averyveryverylong0\n", 0, 6, 15,
         "InterfaceName="},
        {RULE "[Grant]\nInterfaceName=a:b\n", 0, 6, 15, "InterfaceName="},
        {RULE "[Grant]\nInterfaceName=..\n", 0, 6, 15, "InterfaceName="},
        {RULE "[Grant]\nCompanions=sometimes\n", 0, 6, 12, "Companions="},
        {RULE "[Grant]\nForward=2\n", 0, 6, 9, "Forward="},
        {RULE "[Grant]\nLease=soon\n", 0, 6, 7, "Lease= value 'soon'"},
        {RULE "[Grant]\nLease=0\n", 0, 6, 7, "Lease="},
        {RULE "[Grant]\nLease=10x\n", 0, 6, 7, "Lease="},
        {RULE "[Grant]\nLease=-5s\n", 0, 6, 7, "Lease="},
        {RULE "[Grant]\nLease=4000d\n", 0, 6, 7, "Lease="},
        {RULE "[Grant]\nMode=0600\nMode=0660\n", 0, 7, 1, "'Mode='"},
        {RULE "[Grant]\nExclusive=yes\n", 0, 6, 1, "'Exclusive'"},
        /* bytes */
        {"[Match]\nName=\xff\n", 0, 2, 6, "UTF-8"},
        {"[Match]\nName=a\xc0\xaf\n", 0, 2, 7, "UTF-8"},
        {"[Match]\nName=\xed\xa0\x80\n", 0, 2, 6, "UTF-8"},
        {"[Match]\nName=\xf4\x90\x80\x80\n", 0, 2, 6, "UTF-8"},
        {"[Match]\nName=\xe2\x82\n", 0, 2, 6, "UTF-8"},
        {"[Match]\nName=a\0b\n", 17, 2, 7, "NUL"},
};

static void assert_diag(const dp_diag *dg, unsigned line, unsigned col,
                        const char *needle)
{
        char prefix[64];

        snprintf(prefix, sizeof(prefix), "test.policy:%u:%u: error: ", line,
                 col);
        if (dg->line != line || dg->column != col ||
            !strstr(dg->message, needle))
                print_error("got: %s (want %u:%u naming %s)\n", dg->message,
                            line, col, needle);
        assert_int_equal(dg->line, line);
        assert_int_equal(dg->column, col);
        assert_true(strncmp(dg->message, prefix, strlen(prefix)) == 0);
        assert_non_null(strstr(dg->message, needle));
}

static void test_bad_inputs(void **state)
{
        assert_true(ELEMENTSOF(bad_cases) >= 40);
        for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
                const bad_case *bc = &bad_cases[i];
                _cleanup_policy_free_ dp_policy *p = dp_policy_new();
                dp_diag_list diags = {0};
                size_t size = bc->size ? bc->size : strlen(bc->text);

                assert_non_null(p);
                assert_int_equal(dp_policy_parse_buffer(p, "test.policy",
                                                        bc->text, size, &diags),
                                 -EINVAL);
                if (diags.n != 1)
                        print_error("case %zu: %zu diagnostics\n", i, diags.n);
                assert_int_equal(diags.n, 1);
                assert_diag(&diags.items[0], bc->line, bc->column, bc->needle);
                assert_string_equal(diags.items[0].file, "test.policy");
                /* fail closed: nothing of a bad buffer is kept */
                assert_int_equal(dp_policy_n_rules(p), 0);
                dp_diag_list_clear(&diags);
        }
}

static void test_diag_key(void **state)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        dp_diag_list diags = {0};
        const char *t = RULE "[Grant]\nMode=0999\n";

        assert_int_equal(
                dp_policy_parse_buffer(p, "test.policy", t, strlen(t), &diags),
                -EINVAL);
        assert_int_equal(diags.n, 1);
        assert_string_equal(diags.items[0].key, "Mode");
        assert_string_equal(diags.items[0].message,
                            "test.policy:6:6: error: Mode= value '0999' is not "
                            "an octal mode (0000 to 0777)");
        dp_diag_list_clear(&diags);
}

static void test_long_line(void **state)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        _cleanup_free_ char *buf = NULL;
        dp_diag_list diags = {0};
        size_t n = 8 + 5 + 4091; /* "[Match]\n" "Name=" + 4091 'a' */

        buf = malloc(n + 1);
        assert_non_null(buf);
        memcpy(buf, "[Match]\nName=", 13);
        memset(buf + 13, 'a', n - 13);
        buf[n] = '\n';
        /* exactly 4096 bytes: one too many */
        assert_int_equal(
                dp_policy_parse_buffer(p, "test.policy", buf, n + 1, &diags),
                -EINVAL);
        assert_int_equal(diags.n, 1);
        assert_diag(&diags.items[0], 2, 4096, "too long");
        dp_diag_list_clear(&diags);

        /* 4095 bytes is fine (but this rule has no container) */
        buf[n - 1] = '\n';
        assert_int_equal(
                dp_policy_parse_buffer(p, "test.policy", buf, n, &diags),
                -EINVAL);
        assert_int_equal(diags.n, 1);
        assert_diag(&diags.items[0], 1, 1, "Container=");
        dp_diag_list_clear(&diags);
}

static void test_all_errors_reported(void **state)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        dp_diag_list diags = {0};
        const char *t = "[Match]\n"
                        "Vendor=zz\n"
                        "Bogus=1\n"
                        "[Target]\n"
                        "Container=lxc:ok\n"
                        "[Match]\n"
                        "Class=usb\n"
                        "[Target]\n"
                        "Container=lxc:a\n"
                        "[Grant]\n"
                        "Mode=9\n";

        assert_int_equal(
                dp_policy_parse_buffer(p, "test.policy", t, strlen(t), &diags),
                -EINVAL);
        assert_int_equal(diags.n, 3);
        assert_diag(&diags.items[0], 2, 8, "Vendor=");
        assert_diag(&diags.items[1], 3, 1, "'Bogus'");
        assert_diag(&diags.items[2], 11, 6, "Mode=");
        assert_int_equal(dp_policy_n_rules(p), 0);
        dp_diag_list_clear(&diags);
}

static void test_bad_after_good_keeps_nothing(void **state)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        dp_diag_list diags = {0};
        const char *good = RULE;
        const char *bad = RULE "[Match]\nVendor=1\n";

        assert_int_equal(dp_policy_parse_buffer(p, "a.policy", good,
                                                strlen(good), &diags),
                         0);
        assert_int_equal(dp_policy_n_rules(p), 1);
        assert_int_equal(
                dp_policy_parse_buffer(p, "b.policy", bad, strlen(bad), &diags),
                -EINVAL);
        assert_int_equal(dp_policy_n_rules(p), 1);
        assert_int_equal(diags.n, 1);
        dp_diag_list_clear(&diags);
        /* diagnostics are optional */
        assert_int_equal(
                dp_policy_parse_buffer(p, "b.policy", bad, strlen(bad), NULL),
                -EINVAL);
}

static const dp_rule *parse_one(dp_policy *p, const char *text)
{
        dp_diag_list diags = {0};
        int r = dp_policy_parse_buffer(p, "/etc/devpass/policy.d/50-x.policy",
                                       text, strlen(text), &diags);

        for (size_t i = 0; i < diags.n; i++)
                print_error("%s\n", diags.items[i].message);
        assert_int_equal(r, 0);
        assert_int_equal(diags.n, 0);
        assert_true(dp_policy_n_rules(p) >= 1);
        return dp_policy_rule(p, dp_policy_n_rules(p) - 1);
}

static void test_defaults(void **state)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        const dp_rule *r = parse_one(p, "\n# comment\n; also\n" RULE);
        const dp_grant_settings *g = dp_rule_grant(r);

        assert_int_equal(g->action, DP_ACTION_ALLOW);
        assert_int_equal(g->access, DP_ACCESS_READ | DP_ACCESS_WRITE);
        assert_null(g->path);
        assert_int_equal(g->mode, -1);
        assert_int_equal(g->owner, -1);
        assert_int_equal(g->group, -1);
        assert_null(g->interface_name);
        assert_true(g->companions);
        assert_false(g->forward);
        assert_int_equal(g->lease_ms, 0);
        assert_false(dp_rule_exclusive(r));
        assert_int_equal(dp_rule_line(r), 4);
        assert_string_equal(dp_rule_source(r), "50-x.policy:4");
        assert_string_equal(dp_rule_file(r),
                            "/etc/devpass/policy.d/50-x.policy");
        assert_string_equal(dp_rule_containers(r)[0], "lxc:ml");
        assert_null(dp_rule_containers(r)[1]);
}

/* The id of the one rule in text, copied. */
static char *rule_id(const char *text)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        char *id = strdup(dp_rule_id(parse_one(p, text)));

        assert_non_null(id);
        return id;
}

static void test_rule_identity(void **state)
{
        const char *base = "[Match]\nClass=block\nVendor=10de 8086\n"
                           "[Target]\nContainer=lxc:a\n[Grant]\nMode=0660\n";
        const char *same[] = {
                /* comments, blank lines, spacing, the rule's place */
                "# moved down\n\n[Match]\nClass=block\n; note\n"
                "Vendor =  10de\t8086 \n[Target]\n  Container=lxc:a\n"
                "[Grant]\nMode=0660\n",
                /* [Grant] settings are changed in place, not a new rule */
                "[Match]\nClass=block\nVendor=10de 8086\n[Target]\n"
                "Container=lxc:a\n[Grant]\nMode=0640\nGroup=5\n",
        };
        const char *other[] = {
                "[Match]\nClass=block\nVendor=10de\n[Target]\n"
                "Container=lxc:a\n",
                "[Match]\nClass=block\nVendor=10de 8086\n[Target]\n"
                "Container=lxc:b\n",
                "[Match]\nClass=block\nVendor=10de 8086\n[Target]\n"
                "Container=lxc:a\nExclusive=yes\n",
        };
        _cleanup_free_ char *want = rule_id(base);

        (void)state;
        assert_true(startswith(want, "50-x.policy#"));
        for (size_t i = 0; i < ELEMENTSOF(same); i++) {
                _cleanup_free_ char *id = rule_id(same[i]);

                assert_string_equal(id, want);
        }
        for (size_t i = 0; i < ELEMENTSOF(other); i++) {
                _cleanup_free_ char *id = rule_id(other[i]);

                assert_string_not_equal(id, want);
        }
}

static void test_full_rule_settings(void **state)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        const char *t = "\xef\xbb\xbf# BOM and CRLF are tolerated\r\n"
                        "[Match]\r\n"
                        "Class = net\r\n"
                        "MAC=aa:bb:*\n"
                        "[Grant]\n"
                        "Action=allow\n"
                        "Access=mrw\n"
                        "Path=/dev/net/tun0\n"
                        "Mode=660\n"
                        "Owner=4294967294\n"
                        "Group=0\n"
                        "InterfaceName=lan0\n"
                        "Companions=off\n"
                        "Forward=TRUE\n"
                        "Lease=1h 30min 5s 250ms\n"
                        "[Target]\n"
                        "Container=lxc:ml-* pid:42 cgroup:/sys/x  web\n"
                        "Exclusive=on\n";
        const dp_rule *r = parse_one(p, t);
        const dp_grant_settings *g = dp_rule_grant(r);
        char *const *c = dp_rule_containers(r);

        assert_int_equal(dp_rule_line(r), 2);
        assert_int_equal(g->access,
                         DP_ACCESS_READ | DP_ACCESS_WRITE | DP_ACCESS_MKNOD);
        assert_string_equal(g->path, "/dev/net/tun0");
        assert_int_equal(g->mode, 0660);
        assert_int_equal(g->owner, 4294967294LL);
        assert_int_equal(g->group, 0);
        assert_string_equal(g->interface_name, "lan0");
        assert_false(g->companions);
        assert_true(g->forward);
        assert_int_equal(g->lease_ms, 5405250);
        assert_true(dp_rule_exclusive(r));
        assert_string_equal(c[0], "lxc:ml-*");
        assert_string_equal(c[1], "pid:42");
        assert_string_equal(c[2], "cgroup:/sys/x");
        assert_string_equal(c[3], "web");
        assert_null(c[4]);
}

static void test_deny_and_multi(void **state)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        const char *t = "[Match]\nInput=keyboard\n[Grant]\nAction=deny\n"
                        "\n"
                        "[Match]\nClass=input\nProperty=ID_X=1\n"
                        "Property=ID_Y=*\nAttribute=name=Pad*\n"
                        "[Target]\nContainer=gaming\n";

        parse_one(p, t);
        assert_int_equal(dp_policy_n_rules(p), 2);
        assert_int_equal(dp_rule_grant(dp_policy_rule(p, 0))->action,
                         DP_ACTION_DENY);
        assert_null(dp_rule_containers(dp_policy_rule(p, 0)));
        assert_int_equal(dp_rule_line(dp_policy_rule(p, 1)), 6);
        assert_null(dp_policy_rule(p, 2));
}

static void test_cdi_target(void **state)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        const char *t = "[Match]\nClass=block\n[Target]\nContainer=cdi\n"
                        "[Match]\nClass=gpu\n[Target]\n"
                        "Container=lxc:ml-* cdi web\n"
                        "[Match]\nClass=tty\n[Target]\nContainer=lxc:cdi\n";
        const dp_rule *r;

        parse_one(p, t);
        assert_int_equal(dp_policy_n_rules(p), 3);
        /* export only: no container is named, none matches */
        r = dp_policy_rule(p, 0);
        assert_true(dp_rule_cdi(r));
        assert_non_null(dp_rule_containers(r));
        assert_null(dp_rule_containers(r)[0]);
        /* export and grant: the word leaves the container list */
        r = dp_policy_rule(p, 1);
        assert_true(dp_rule_cdi(r));
        assert_string_equal(dp_rule_containers(r)[0], "lxc:ml-*");
        assert_string_equal(dp_rule_containers(r)[1], "web");
        assert_null(dp_rule_containers(r)[2]);
        /* a container called cdi is reached with its runtime */
        r = dp_policy_rule(p, 2);
        assert_false(dp_rule_cdi(r));
        assert_string_equal(dp_rule_containers(r)[0], "lxc:cdi");
        assert_true(dp_container_ref_match("lxc:cdi", "lxc:cdi"));
}

static void test_empty_files(void **state)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        dp_diag_list diags = {0};
        const char *comments = "# nothing here\n\n   ; really\n";

        assert_int_equal(dp_policy_parse_buffer(p, "e", "", 0, &diags), 0);
        assert_int_equal(dp_policy_parse_buffer(p, "e", NULL, 0, &diags), 0);
        assert_int_equal(dp_policy_parse_buffer(p, "e", comments,
                                                strlen(comments), &diags),
                         0);
        assert_int_equal(dp_policy_n_rules(p), 0);
        assert_int_equal(diags.n, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_inputs),
                cmocka_unit_test(test_diag_key),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_all_errors_reported),
                cmocka_unit_test(test_bad_after_good_keeps_nothing),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_rule_identity),
                cmocka_unit_test(test_full_rule_settings),
                cmocka_unit_test(test_deny_and_multi),
                cmocka_unit_test(test_cdi_target),
                cmocka_unit_test(test_empty_files),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
