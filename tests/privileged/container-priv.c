/* SPDX-License-Identifier: MIT */
/* Container resolution against real containers, as root:
 *   container-priv harness PATH-TO-dp-testctr
 *       pid: and cgroup: references to dp-testctr containers (with and
 *       without a user namespace), liveness after the init is killed;
 *   container-priv lxc
 *       a real LXC busybox container in a private lxcpath: lxc:NAME, bare
 *       NAME, listing, ambiguity with an nspawn registration, stopped and
 *       unknown containers. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/runtime.h"
#include "devpass/util.h"

static const char *testctr;
static pid_t started[4];
static char tmpdir[] = "/tmp/dpt-cpriv-XXXXXX";
static char lxc_name[32], machines[128];
static bool lxc_created;

static int run(const char *fmt, ...) _printf_(1, 2);
static int run(const char *fmt, ...)
{
        _cleanup_free_ char *cmd = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = system(cmd);
        return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* Runs a command and returns its first output line. */
static char *run_line(const char *cmd)
{
        char buf[1024] = "";
        FILE *f = popen(cmd, "r");

        if (!f)
                return NULL;
        if (!fgets(buf, sizeof(buf), f))
                buf[0] = 0;
        pclose(f);
        buf[strcspn(buf, "\n")] = 0;
        return strdup(buf);
}

static uint64_t proc_starttime(pid_t pid)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        unsigned long long v = 0;
        const char *p;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        assert_int_equal(read_full_file(path, &text, NULL), 0);
        p = strrchr(text, ')');
        assert_non_null(p);
        assert_int_equal(sscanf(p + 2,
                                "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
                                "%*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
                                &v),
                         1);
        return v;
}

/* Valgrind does not know pidfd_open(); the code then falls back. */
static bool have_pidfd(void)
{
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);

        safe_close(fd);
        return fd >= 0;
}

/* ---- dp-testctr ---- */

typedef struct ctr_info {
        pid_t pid;
        char name[128], v1[512], v2[512];
        bool userns;
} ctr_info;

static void ctr_start(const char *args, ctr_info *ret)
{
        _cleanup_free_ char *cmd = NULL, *line = NULL;
        char key[64], val[512];
        FILE *f;
        int pid;

        assert_true(asprintf(&cmd, "%s start %s", testctr, args) > 0);
        line = run_line(cmd);
        assert_non_null(line);
        assert_int_equal(sscanf(line, "%d %127s", &pid, ret->name), 2);
        for (size_t i = 0; i < ELEMENTSOF(started); i++)
                if (started[i] == 0) {
                        started[i] = pid;
                        break;
                }
        ret->pid = pid;
        free(cmd);
        assert_true(asprintf(&cmd, "%s info %d", testctr, pid) > 0);
        f = popen(cmd, "r");
        assert_non_null(f);
        ret->v1[0] = ret->v2[0] = 0;
        while (fscanf(f, "%63[^=]=%511[^\n]\n", key, val) == 2) {
                if (streq(key, "cgroup_v1"))
                        snprintf(ret->v1, sizeof(ret->v1), "%s", val);
                else if (streq(key, "cgroup_v2"))
                        snprintf(ret->v2, sizeof(ret->v2), "%s", val);
                else if (streq(key, "userns"))
                        ret->userns = streq(val, "1");
        }
        pclose(f);
}

static void ctr_stop_all(void)
{
        for (size_t i = 0; i < ELEMENTSOF(started); i++)
                if (started[i] > 0) {
                        run("%s stop %d >/dev/null 2>&1", testctr,
                            (int)started[i]);
                        started[i] = 0;
                }
}

static void assert_dirs(const dp_container *c, const ctr_info *ci)
{
        if (ci->v1[0]) {
                assert_non_null(c->cgroup_v1_devices);
                assert_string_equal(c->cgroup_v1_devices, ci->v1);
        } else
                assert_null(c->cgroup_v1_devices);
        if (ci->v2[0]) {
                assert_non_null(c->cgroup_v2);
                assert_string_equal(c->cgroup_v2, ci->v2);
        } else
                assert_null(c->cgroup_v2);
}

static void test_harness_plain(void **state)
{
        _cleanup_free_ char *ref = NULL, *cgref = NULL, *absref = NULL;
        dp_container *c = NULL, *g = NULL;
        ctr_info ci = {};
        const char *rel;
        uint32_t v;

        ctr_start("", &ci);
        assert_false(ci.userns);
        assert_true(asprintf(&ref, "pid:%d", (int)ci.pid) > 0);
        assert_int_equal(dp_container_resolve(ref, &c), 0);
        assert_int_equal(c->pid, ci.pid);
        assert_int_equal(c->runtime, DP_RUNTIME_PID);
        assert_string_equal(c->ref, ref);
        if (have_pidfd())
                assert_true(c->pidfd >= 0);
        assert_int_equal(c->starttime, proc_starttime(ci.pid));
        assert_false(c->userns);
        assert_int_equal(dp_container_map_uid(c, 1234, &v), 0);
        assert_int_equal(v, 1234);
        assert_dirs(c, &ci);

        /* The same container through its cgroup, relative and absolute. */
        assert_true(ci.v2[0] != 0);
        rel = ci.v2 + strlen(dp_cgroup_v2_root()) + 1;
        assert_true(asprintf(&cgref, "cgroup:%s", rel) > 0);
        assert_int_equal(dp_container_resolve(cgref, &g), 0);
        assert_int_equal(g->pid, ci.pid);
        assert_int_equal(g->runtime, DP_RUNTIME_CGROUP);
        assert_string_equal(g->ref, cgref);
        assert_dirs(g, &ci);
        dp_container_free(g);
        g = NULL;
        assert_true(asprintf(&absref, "cgroup:%s", ci.v2) > 0);
        assert_int_equal(dp_container_resolve(absref, &g), 0);
        assert_int_equal(g->pid, ci.pid);
        assert_string_equal(g->ref, cgref);
        dp_container_free(g);
        g = NULL;

        /* Init killed: the pinned container notices, a new lookup fails. */
        assert_int_equal(dp_container_check_alive(c), 0);
        assert_int_equal(kill(ci.pid, SIGKILL), 0);
        for (int i = 0; i < 200 && dp_container_check_alive(c) == 0; i++)
                usleep(10000);
        assert_int_equal(dp_container_check_alive(c), -ESRCH);
        assert_int_equal(dp_container_resolve(ref, &g), -ESRCH);
        assert_null(g);
        dp_container_free(c);
        ctr_stop_all();
}

static void test_harness_userns(void **state)
{
        _cleanup_free_ char *ref = NULL;
        dp_container *c = NULL;
        ctr_info ci = {};
        uint32_t v;

        ctr_start("--userns", &ci);
        assert_true(ci.userns);
        assert_true(asprintf(&ref, "pid:%d", (int)ci.pid) > 0);
        assert_int_equal(dp_container_resolve(ref, &c), 0);
        assert_true(c->userns);
        assert_int_equal(c->starttime, proc_starttime(ci.pid));
        assert_int_equal(c->n_uid_map, 1);
        assert_int_equal(c->uid_map[0].inside, 0);
        assert_int_equal(c->uid_map[0].outside, 100000);
        assert_int_equal(c->uid_map[0].count, 65536);
        assert_int_equal(dp_container_map_uid(c, 0, &v), 0);
        assert_int_equal(v, 100000);
        assert_int_equal(dp_container_map_gid(c, 65535, &v), 0);
        assert_int_equal(v, 165535);
        assert_int_equal(dp_container_map_uid(c, 65536, &v), -ERANGE);
        assert_int_equal(dp_container_map_gid(c, 65536, &v), -ERANGE);
        assert_dirs(c, &ci);
        dp_container_free(c);
        ctr_stop_all();
}

static int harness_teardown(void **state)
{
        ctr_stop_all();
        return 0;
}

/* ---- LXC ---- */

static int lxc_teardown(void **state);

static int lxc_setup(void **state)
{
        _cleanup_free_ char *conf = NULL;
        FILE *f;

        if (!mkdtemp(tmpdir))
                return -1;
        snprintf(lxc_name, sizeof(lxc_name), "dpt-%x-%x", (unsigned)getpid(),
                 (unsigned)time(NULL) & 0xffff);
        snprintf(machines, sizeof(machines), "%s/machines", tmpdir);
        conf = strjoin_sep("/", tmpdir, "lxc.conf", NULL);
        f = conf && mkdir(machines, 0755) == 0 ? fopen(conf, "we") : NULL;
        if (!f) {
                lxc_teardown(state);
                return -1;
        }
        fputs("lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n", f);
        fclose(f);
        /* Everything lives in a private lxcpath so that only this test's
         * container is seen. Other runtimes point at nothing. */
        dp_config_set("lxc-path", tmpdir);
        dp_config_set("machines-dir", machines);
        dp_config_set("docker-socket", "/nonexistent/docker.sock");
        dp_config_set("podman-socket", "/nonexistent/podman.sock");
        dp_config_set("incus-socket", "/nonexistent/incus.sock");
        dp_config_set("lxd-socket", "/nonexistent/lxd.sock");
        lxc_created = true;
        if (run("lxc-create -P '%s' -n %s -t busybox -f '%s' >/dev/null 2>&1",
                tmpdir, lxc_name, conf) != 0) {
                fprintf(stderr, "lxc-create failed\n");
                lxc_teardown(state);
                return -1;
        }
        if (run("lxc-start -P '%s' -n %s -d && lxc-wait -P '%s' -n %s -s "
                "RUNNING -t 10",
                tmpdir, lxc_name, tmpdir, lxc_name) != 0) {
                fprintf(stderr, "lxc-start failed\n");
                lxc_teardown(state);
                return -1;
        }
        return 0;
}

static int lxc_teardown(void **state)
{
        if (lxc_created) {
                run("lxc-stop -P '%s' -n %s -k >/dev/null 2>&1", tmpdir,
                    lxc_name);
                run("lxc-destroy -P '%s' -n %s >/dev/null 2>&1", tmpdir,
                    lxc_name);
        }
        run("rm -rf '%s'", tmpdir);
        return 0;
}

static void test_lxc_running(void **state)
{
        _cleanup_free_ char *ref = NULL, *cmd = NULL, *pidtext = NULL,
                            *suffix = NULL;
        _cleanup_strv_free_ char **refs = NULL;
        dp_container *c = NULL, *b = NULL;
        unsigned pid;
        struct stat st;

        assert_true(asprintf(&cmd, "lxc-info -P '%s' -n %s -pH", tmpdir,
                             lxc_name) > 0);
        pidtext = run_line(cmd);
        assert_non_null(pidtext);
        assert_int_equal(safe_atou(pidtext, &pid), 0);
        assert_true(asprintf(&ref, "lxc:%s", lxc_name) > 0);
        assert_true(asprintf(&suffix, "/lxc.payload.%s", lxc_name) > 0);

        assert_int_equal(dp_container_resolve(ref, &c), 0);
        assert_int_equal(c->pid, (pid_t)pid);
        assert_int_equal(c->runtime, DP_RUNTIME_LXC);
        assert_string_equal(c->ref, ref);
        assert_string_equal(c->name, lxc_name);
        assert_int_equal(c->starttime, proc_starttime((pid_t)pid));
        assert_false(c->userns); /* privileged container */
        assert_false(c->systemd_managed);
        if (dp_cgroup_v1_devices_root()) {
                assert_non_null(c->cgroup_v1_devices);
                assert_true(endswith(c->cgroup_v1_devices, suffix));
                assert_int_equal(stat(c->cgroup_v1_devices, &st), 0);
        }
        assert_non_null(c->cgroup_v2);
        assert_true(endswith(c->cgroup_v2, suffix));
        assert_int_equal(stat(c->cgroup_v2, &st), 0);
        assert_int_equal(dp_container_check_alive(c), 0);

        /* A bare name finds it too, in the same shape. */
        assert_int_equal(dp_container_resolve(lxc_name, &b), 0);
        assert_string_equal(b->ref, ref);
        assert_int_equal(b->pid, (pid_t)pid);
        dp_container_free(b);
        b = NULL;

        assert_int_equal(dp_container_list_running(&refs), 0);
        assert_true(strv_contains(refs, ref));

        /* The same name registered as an nspawn machine: ambiguous bare
         * name, explicit references still fine. */
        _cleanup_free_ char *mfile = strjoin_sep("/", machines, lxc_name, NULL);
        char leader[64];
        snprintf(leader, sizeof(leader), "LEADER=%d\nCLASS=container\n",
                 (int)getpid());
        assert_int_equal(write_file_atomic(mfile, leader, strlen(leader), 0644),
                         0);
        assert_int_equal(dp_container_resolve(lxc_name, &b), -ENOTUNIQ);
        assert_int_equal(dp_container_resolve(ref, &b), 0);
        dp_container_free(b);
        b = NULL;
        assert_int_equal(unlink(mfile), 0);

        /* Stopped: -ESRCH, and the pinned container notices. */
        assert_int_equal(run("lxc-stop -P '%s' -n %s -k", tmpdir, lxc_name), 0);
        for (int i = 0; i < 200 && dp_container_check_alive(c) == 0; i++)
                usleep(10000);
        assert_int_equal(dp_container_check_alive(c), -ESRCH);
        assert_int_equal(dp_container_resolve(ref, &b), -ESRCH);
        assert_int_equal(dp_container_resolve(lxc_name, &b), -ESRCH);
        strv_free(refs);
        refs = NULL;
        assert_int_equal(dp_container_list_running(&refs), 0);
        assert_false(strv_contains(refs, ref));
        assert_null(b);
        dp_container_free(c);
}

static void test_lxc_errors(void **state)
{
        dp_container *c = NULL;

        assert_int_equal(dp_container_resolve("lxc:dpt-no-such-ctr", &c),
                         -ENOENT);
        assert_int_equal(dp_container_resolve("dpt-no-such-ctr", &c), -ENOENT);
        assert_int_equal(dp_container_resolve("foo:bar", &c), -EPROTONOSUPPORT);
        assert_int_equal(dp_container_resolve("nspawn:dpt-no-such-ctr", &c),
                         -ENOENT);
        assert_int_equal(dp_container_resolve("docker:x", &c), -ENOMEDIUM);
        assert_null(c);
}

int main(int argc, char **argv)
{
        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root\n");
                return 77;
        }
        if (argc == 3 && streq(argv[1], "harness")) {
                const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_harness_plain),
                        cmocka_unit_test(test_harness_userns),
                };

                testctr = argv[2];
                if (access(testctr, X_OK) < 0) {
                        fprintf(stderr, "%s: not built\n", testctr);
                        return 1;
                }
                return cmocka_run_group_tests(tests, NULL, harness_teardown);
        }
        if (argc == 2 && streq(argv[1], "lxc")) {
                const struct CMUnitTest tests[] = {
                        cmocka_unit_test(test_lxc_errors),
                        cmocka_unit_test(test_lxc_running),
                };

#ifndef HAVE_LIBLXC
                fprintf(stderr, "SKIP: built without liblxc\n");
                return 77;
#endif
                if (run("command -v lxc-create >/dev/null && command -v "
                        "busybox >/dev/null") != 0) {
                        fprintf(stderr, "SKIP: lxc or busybox not installed\n");
                        return 77;
                }
                return cmocka_run_group_tests(tests, lxc_setup, lxc_teardown);
        }
        fprintf(stderr, "usage: %s harness DP-TESTCTR | lxc\n", argv[0]);
        return 2;
}
