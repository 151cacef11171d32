/* SPDX-License-Identifier: MIT */
/* cgroup device grants on containers started by dp-testctr: a v1 container
 * with LXC's default device list and a v2 container with a runc-like
 * deny-by-default program. Access is checked from inside with
 * `dp-testctr open`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "devpass/config.h"
#include "act-cgroup-util.h"
#include "bpf-prog.h"
#include "devpass/act.h"
#include "devpass/device.h"

#define RW (DP_ACCESS_READ | DP_ACCESS_WRITE)

static const char *testctr;
static char bpfroot[64];

typedef struct ctr {
        char pid[16];
        char cg1[512], cg2[512];
} ctr;

/* Runs a command and returns its first output line (static buffer). The
 * output goes through a file, not a pipe: a started container may keep the
 * inherited descriptor open for as long as it runs. */
static const char *run(const char *fmt, ...) _printf_(1, 2);
static const char *run(const char *fmt, ...)
{
        static char line[512];
        char tmp[] = "/tmp/dpt-cgc-out-XXXXXX";
        _cleanup_free_ char *cmd = NULL, *full = NULL;
        _cleanup_close_ int fd = mkstemp(tmp);
        va_list ap;
        int r;

        assert_true(fd >= 0);
        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        assert_true(r > 0);
        assert_true(asprintf(&full, "( %s ) >%s 2>&1 </dev/null", cmd, tmp) >
                    0);
        (void)system(full);
        line[0] = 0;
        r = (int)pread(fd, line, sizeof(line) - 1, 0);
        line[r > 0 ? r : 0] = 0;
        unlink(tmp);
        line[strcspn(line, "\n")] = 0;
        return line;
}

static const char *open_inside(const ctr *c, const char *path, const char *mode)
{
        return run("%s open %s %s %s", testctr, c->pid, path, mode);
}

static int start(const char *opt, void **state)
{
        ctr *c = calloc(1, sizeof(*c));
        const char *out;

        assert_non_null(c);
        out = run("%s start --name dpt-cgc-%d-%s %s", testctr, getpid(),
                  opt + 2, opt);
        if (sscanf(out, "%15s", c->pid) != 1 || atoi(c->pid) <= 0) {
                fprintf(stderr, "dp-testctr start %s: %s\n", opt, out);
                free(c);
                return -1;
        }
        /* one key per call: run() keeps the first line only */
        snprintf(
                c->cg1, sizeof(c->cg1), "%s",
                run("%s info %s | sed -n 's/^cgroup_v1=//p'", testctr, c->pid));
        snprintf(
                c->cg2, sizeof(c->cg2), "%s",
                run("%s info %s | sed -n 's/^cgroup_v2=//p'", testctr, c->pid));
        *state = c;
        /* a fake DRM and a fake USB node inside ("c *:* m" allows mknod) */
        run("%s exec %s -- mknod /dev/dptcard c 226 0", testctr, c->pid);
        run("%s exec %s -- mknod /dev/dptusb c 189 1", testctr, c->pid);
        return 0;
}

static int setup_v1(void **state)
{
        return start("--v1-deny", state);
}

static int setup_v2(void **state)
{
        return start("--v2-runtime-prog", state);
}

static int teardown(void **state)
{
        ctr *c = *state;

        if (c) {
                run("%s stop %s", testctr, c->pid);
                free(c);
        }
        return 0;
}

static void test_v1(void **state)
{
        ctr *c = *state;

        assert_true(c->cg1[0]);
        assert_string_equal(open_inside(c, "/dev/null", "rw"), "OK");
        assert_string_equal(open_inside(c, "/dev/dptcard", "rw"), "EPERM");
        assert_int_equal(dp_cg1_covered(c->cg1, 'c', 1, 3, RW), 1);
        assert_int_equal(dp_cg1_covered(c->cg1, 'c', 226, 0, RW), 0);

        assert_int_equal(dp_cg1_allow(c->cg1, 'c', 226, 0, RW), 0);
        assert_string_equal(open_inside(c, "/dev/dptcard", "rw"), "ENXIO");
        assert_string_equal(open_inside(c, "/dev/dptusb", "rw"), "EPERM");

        assert_int_equal(dp_cg1_deny(c->cg1, 'c', 226, 0, RW), 0);
        assert_string_equal(open_inside(c, "/dev/dptcard", "rw"), "EPERM");
        assert_string_equal(open_inside(c, "/dev/null", "rw"), "OK");
}

static void test_v2(void **state)
{
        ctr *c = *state;
        uint32_t ids[8] = {0}, n = 8, orig;
        char name[16];
        bool changed = false;

        assert_true(c->cg2[0]);
        assert_int_equal(dpt_query(c->cg2, ids, &n), 0);
        assert_int_equal(n, 1);
        orig = ids[0];
        assert_int_equal(dpt_prog_name(orig, name), 0);
        assert_string_equal(name, "dpt_runtime");
        assert_string_equal(open_inside(c, "/dev/null", "rw"), "OK");
        assert_string_equal(open_inside(c, "/dev/dptcard", "rw"), "EPERM");

        assert_int_equal(dp_cg2_grant(c->cg2, 'c', 226, 0, RW, &changed), 0);
        assert_true(changed);
        assert_string_equal(open_inside(c, "/dev/dptcard", "rw"), "ENXIO");
        assert_string_equal(open_inside(c, "/dev/dptusb", "rw"), "EPERM");
        assert_string_equal(open_inside(c, "/dev/null", "rw"), "OK");

        assert_int_equal(dp_cg2_revoke(c->cg2, 'c', 226, 0), 0);
        assert_string_equal(open_inside(c, "/dev/dptcard", "rw"), "EPERM");

        assert_int_equal(dp_cg2_grant(c->cg2, 'c', 189, 1, RW, &changed), 0);
        assert_string_equal(open_inside(c, "/dev/dptusb", "rw"), "ENXIO");
        assert_int_equal(dp_cg2_release(c->cg2), 0);
        n = 8;
        assert_int_equal(dpt_query(c->cg2, ids, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(ids[0], orig);
        assert_string_equal(open_inside(c, "/dev/dptusb", "rw"), "EPERM");
        assert_string_equal(open_inside(c, "/dev/null", "rw"), "OK");
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_v1, setup_v1, teardown),
                cmocka_unit_test_setup_teardown(test_v2, setup_v2, teardown),
        };
        struct stat st;
        int r;

        if (argc != 2 || stat(argv[1], &st) < 0) {
                fprintf(stderr, "usage: %s PATH-TO-dp-testctr\n", argv[0]);
                return 2;
        }
        testctr = argv[1];
        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root\n");
                return 77;
        }
        if (!dpt_cg1_devices_root() || !dpt_cg2_root()) {
                fprintf(stderr, "SKIP: needs both a v1 devices hierarchy "
                                "and cgroup2 (hybrid mode)\n");
                return 77;
        }
        snprintf(bpfroot, sizeof(bpfroot), "/sys/fs/bpf/dpt-cgc-%d", getpid());
        dp_config_set("bpf-root", bpfroot);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        dpt_rm_rf(bpfroot);
        return r;
}
