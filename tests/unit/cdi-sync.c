/* SPDX-License-Identifier: MIT */
/* The agent's CDI spec upkeep (agent/core/cdi-sync.c) without root: what
 * the policy exports is written, an unplugged device leaves the spec, a
 * spec file recorded by an earlier run that holds nothing now is removed,
 * and spec files the agent did not write — or a damaged record naming
 * other files — are never touched. */
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

#include "core/daemon.h"
#include "devpass/util.h"

static char root[] = "/tmp/dpt-cdisync-XXXXXX";
static char cdi[64], state[64];

static dp_device *loopdev(const char *name, unsigned minor, const char *file)
{
        dp_device *d = dp_device_new();
        char node[32], sys[64], prop[128];

        assert_non_null(d);
        d->klass = DP_CLASS_BLOCK;
        d->name = strdup(name);
        snprintf(sys, sizeof(sys), "/sys/devices/virtual/block/%s", name);
        d->syspath = strdup(sys);
        d->subsystem = strdup("block");
        snprintf(node, sizeof(node), "/dev/%s", name);
        assert_int_equal(dp_device_add_node(d, node, 'b', 7, minor), 0);
        snprintf(prop, sizeof(prop), "DEVPASS_LOOP_BACKING_FILE=%s", file);
        assert_int_equal(strv_extend(&d->properties, prop), 0);
        return d;
}

static dp_policy *policy(const char *text)
{
        dp_policy *p = dp_policy_new();
        dp_diag_list diags = {0};

        assert_int_equal(dp_policy_parse_buffer(p, "t.policy", text,
                                                strlen(text), &diags),
                         0);
        return p;
}

static char *slurp(const char *dir, const char *name)
{
        _cleanup_free_ char *path = strjoin_sep("/", dir, name, NULL);
        char *text = NULL;

        if (read_full_file(path, &text, NULL) < 0)
                return NULL;
        return text;
}

static void put(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *path = strjoin_sep("/", dir, name, NULL);

        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void test_sync(void **state_)
{
        dp_daemon d = {.cfg = {.cdi_dir = cdi, .state_dir = state}};
        _cleanup_free_ char *rec = NULL, *spec = NULL;
        char *t;
        char line[256];

        /* an earlier run wrote a gpu spec; someone else wrote a tty spec
         * and a file outside the dir is named in a damaged record */
        put(cdi, "devpass.io-gpu.json", "{}\n");
        put(cdi, "devpass.io-tty.json", "{\"foreign\":1}\n");
        put(root, "devpass.io-x.json", "keep\n");
        snprintf(line, sizeof(line),
                 "%s/devpass.io-gpu.json\n%s/devpass.io-x.json\n", cdi, root);
        put(state, "cdi-specs", line);
        d.policy = policy("[Match]\nName=loop9\n[Grant]\nAction=deny\n"
                          "[Match]\nClass=block\n[Target]\nContainer=cdi\n"
                          "[Grant]\nMode=0600\n");
        assert_int_equal(
                dp_device_list_push(&d.devices, loopdev("loop1", 1, "/srv/a")),
                0);
        /* the same backing file twice: one name, one entry */
        assert_int_equal(
                dp_device_list_push(&d.devices, loopdev("loop2", 2, "/srv/a")),
                0);
        assert_int_equal(
                dp_device_list_push(&d.devices, loopdev("loop3", 3, "/srv/b")),
                0);
        /* denied: never exported */
        assert_int_equal(
                dp_device_list_push(&d.devices, loopdev("loop9", 9, "/srv/c")),
                0);
        assert_int_equal(dp_cdi_sync(&d), 0);

        spec = slurp(cdi, "devpass.io-block.json");
        assert_non_null(spec);
        assert_non_null(strstr(spec, "\"name\":\"file_srv_a\""));
        assert_non_null(strstr(spec, "\"name\":\"file_srv_b\""));
        assert_null(strstr(spec, "file_srv_c"));
        assert_non_null(strstr(spec, "\"minor\":1,"));
        assert_null(strstr(spec, "\"minor\":2,"));
        assert_non_null(strstr(spec, "\"fileMode\":384"));
        /* recorded and empty now: removed; not ours: untouched */
        assert_null(slurp(cdi, "devpass.io-gpu.json"));
        t = slurp(cdi, "devpass.io-tty.json");
        assert_string_equal(t, "{\"foreign\":1}\n");
        free(t);
        t = slurp(root, "devpass.io-x.json");
        assert_string_equal(t, "keep\n");
        free(t);
        rec = slurp(state, "cdi-specs");
        assert_non_null(strstr(rec, "devpass.io-block.json"));
        assert_null(strstr(rec, "gpu"));

        /* unplug of loop1 and loop2: loop3 stays */
        dp_device_free(d.devices.items[0]);
        dp_device_free(d.devices.items[1]);
        d.devices.items[0] = d.devices.items[2];
        d.devices.items[1] = d.devices.items[3];
        d.devices.n = 2;
        assert_int_equal(dp_cdi_sync(&d), 0);
        free(spec);
        spec = slurp(cdi, "devpass.io-block.json");
        assert_null(strstr(spec, "file_srv_a"));
        assert_non_null(strstr(spec, "file_srv_b"));

        /* a policy that exports nothing: the spec goes, the record empties */
        dp_policy_free(d.policy);
        d.policy = policy("[Match]\nClass=block\n[Target]\nContainer=x\n");
        assert_int_equal(dp_cdi_sync(&d), 0);
        assert_null(slurp(cdi, "devpass.io-block.json"));
        free(rec);
        rec = slurp(state, "cdi-specs");
        assert_string_equal(rec, "");
        t = slurp(cdi, "devpass.io-tty.json");
        assert_non_null(t);
        free(t);

        dp_policy_free(d.policy);
        dp_device_list_clear(&d.devices);
        strv_free(d.cdi_written);
}

static int setup(void **state_)
{
        if (!mkdtemp(root))
                return -1;
        snprintf(cdi, sizeof(cdi), "%s/cdi", root);
        snprintf(state, sizeof(state), "%s/state", root);
        return mkdir(cdi, 0755) || mkdir(state, 0700);
}

static int teardown(void **state_)
{
        char cmd[96];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        return system(cmd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sync),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
