/* SPDX-License-Identifier: MIT */
/* Container resolution's parsers, which need no container: runtime names,
 * references, id maps, /proc/PID/cgroup and stat lines, HTTP answers. The
 * backends against fake runtimes are container-unit.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/runtime.h"
#include "devpass/util.h"

static void test_runtime_strings(void **state)
{
        dp_runtime r;

        for (int i = 0; i < _DP_RUNTIME_MAX; i++) {
                assert_int_equal(
                        dp_runtime_from_string(
                                dp_runtime_to_string((dp_runtime)i), &r),
                        0);
                assert_int_equal(r, i);
        }
        assert_string_equal(dp_runtime_to_string(DP_RUNTIME_NSPAWN), "nspawn");
        assert_null(dp_runtime_to_string(_DP_RUNTIME_MAX));
        assert_int_equal(dp_runtime_from_string("rkt", &r), -EPROTONOSUPPORT);
}

static void test_idmap(void **state)
{
        _cleanup_free_ dp_idmap_range *m = NULL;
        dp_container c = {.pidfd = -1};
        size_t n;
        uint32_t v;

        assert_int_equal(dp_idmap_parse("         0     100000      65536\n"
                                        "     70000     300000         10\n",
                                        &m, &n),
                         0);
        assert_int_equal(n, 2);
        c.uid_map = m;
        c.n_uid_map = n;
        assert_int_equal(dp_container_map_uid(&c, 0, &v), 0);
        assert_int_equal(v, 100000);
        assert_int_equal(dp_container_map_uid(&c, 65535, &v), 0);
        assert_int_equal(v, 165535);
        v = 7;
        assert_int_equal(dp_container_map_uid(&c, 65536, &v), -ERANGE);
        assert_int_equal(v, 7); /* untouched on failure */
        assert_int_equal(dp_container_map_uid(&c, 70009, &v), 0);
        assert_int_equal(v, 300009);
        assert_int_equal(dp_container_map_uid(&c, 70010, &v), -ERANGE);
        /* No gid map at all in a user namespace of its own: nothing is
         * mapped; in the agent's user namespace: the host's ids. The act
         * layer (node ownership) uses these very functions. */
        c.userns = true;
        assert_int_equal(dp_container_map_gid(&c, 0, &v), -ERANGE);
        c.userns = false;
        assert_int_equal(dp_container_map_gid(&c, 44, &v), 0);
        assert_int_equal(v, 44);
        free(m);

        m = NULL;
        assert_int_equal(dp_idmap_parse("0 0 4294967295\n", &m, &n), 0);
        assert_int_equal(dp_idmap_map(m, n, 4294967294u, &v), 0);
        assert_int_equal(v, 4294967294u);
        assert_int_equal(dp_idmap_map(m, n, 4294967295u, &v), -ERANGE);
        free(m);
        m = NULL;
        assert_int_equal(dp_idmap_parse("", &m, &n), 0);
        assert_int_equal(n, 0);
        free(m);
        m = NULL;
        assert_int_equal(dp_idmap_parse("0 100000\n", &m, &n), -EBADMSG);
        assert_int_equal(dp_idmap_parse("0 1 2 3\n", &m, &n), -EBADMSG);
        assert_int_equal(dp_idmap_parse("0 4294967295 2\n", &m, &n), -EBADMSG);
        assert_int_equal(dp_idmap_parse("0 0 0\n", &m, &n), -EBADMSG);
        assert_int_equal(dp_idmap_parse("a b c\n", &m, &n), -EBADMSG);
}

static void test_cgroup_parse(void **state)
{
        char *v1 = NULL, *v2 = NULL, *d = NULL;

        /* Hybrid host, LXC container (this machine's layout). */
        assert_int_equal(dp_cgroup_parse("9:name=systemd:/lxc.payload.web\n"
                                         "8:pids:/lxc.payload.web\n"
                                         "5:devices:/lxc.payload.web\n"
                                         "3:cpu,cpuacct:/lxc.payload.web\n"
                                         "0::/lxc.payload.web\n",
                                         &v1, &v2),
                         0);
        assert_string_equal(v1, "/lxc.payload.web");
        assert_string_equal(v2, "/lxc.payload.web");
        free(v1);
        free(v2);
        /* Unified host, systemd driver; no v1 devices line. */
        assert_int_equal(dp_cgroup_parse("0::/system.slice/docker-4fa6.scope\n",
                                         &v1, &v2),
                         0);
        assert_null(v1);
        assert_string_equal(v2, "/system.slice/docker-4fa6.scope");
        free(v2);
        /* Co-mounted controllers, no trailing newline, no v2 line. */
        assert_int_equal(dp_cgroup_parse("4:cpu,devices,memory:/a/b", &v1, &v2),
                         0);
        assert_string_equal(v1, "/a/b");
        assert_null(v2);
        free(v1);
        /* "devicesx" is not "devices". */
        assert_int_equal(dp_cgroup_parse("4:devicesx:/a\n", &v1, &v2), 0);
        assert_null(v1);
        assert_int_equal(dp_cgroup_parse("garbage\n", &v1, &v2), -EBADMSG);
        assert_int_equal(dp_cgroup_parse("1:devices:relative\n", &v1, &v2),
                         -EBADMSG);

        assert_int_equal(dp_cgroup_join("/sys/fs/cgroup/unified", "/",
                                        "/lxc.payload.web", &d),
                         0);
        assert_string_equal(d, "/sys/fs/cgroup/unified/lxc.payload.web");
        free(d);
        assert_int_equal(dp_cgroup_join("/sys/fs/cgroup", "/", "/", &d), 0);
        assert_string_equal(d, "/sys/fs/cgroup");
        free(d);
        /* A mount of a sub-tree: the cgroup path is below its root. */
        assert_int_equal(
                dp_cgroup_join("/mnt/cg", "/outer", "/outer/inner", &d), 0);
        assert_string_equal(d, "/mnt/cg/inner");
        free(d);
        assert_int_equal(dp_cgroup_join("/mnt/cg", "/outer", "/other/x", &d),
                         -EXDEV);
        assert_int_equal(dp_cgroup_join("/sys/fs/cgroup", "/", "/../../x", &d),
                         -EXDEV);
}

static void test_stat_starttime(void **state)
{
        uint64_t t = 0;

        assert_int_equal(
                dp_proc_stat_starttime("4242 (a) b) (c) S 1 4242 4242 0 -1 "
                                       "4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
                                       "987654 1000 10 18446744073709551615\n",
                                       &t),
                0);
        assert_int_equal(t, 987654);
        assert_int_equal(dp_proc_stat_starttime("1 (x) S 0 1", &t), -EBADMSG);
        assert_int_equal(dp_proc_stat_starttime("no paren", &t), -EBADMSG);
}

static void test_ref_parse(void **state)
{
        static const struct {
                const char *in;
                int r;
                bool bare;
                dp_runtime rt;
                const char *name;
        } cases[] = {
                {"web", 0, true, 0, "web"},
                {"lxc:web", 0, false, DP_RUNTIME_LXC, "web"},
                {"incus:web-1", 0, false, DP_RUNTIME_INCUS, "web-1"},
                {"lxd:w", 0, false, DP_RUNTIME_LXD, "w"},
                {"nspawn:m1", 0, false, DP_RUNTIME_NSPAWN, "m1"},
                {"docker:db_1.x", 0, false, DP_RUNTIME_DOCKER, "db_1.x"},
                {"podman:p", 0, false, DP_RUNTIME_PODMAN, "p"},
                {"pid:4242", 0, false, DP_RUNTIME_PID, "4242"},
                {"pid:007", -EINVAL, false, 0, NULL},
                {"cgroup:/lxc.payload.web//x/", 0, false, DP_RUNTIME_CGROUP,
                 "lxc.payload.web/x"},
                {"cgroup:machine.slice/m.scope", 0, false, DP_RUNTIME_CGROUP,
                 "machine.slice/m.scope"},
                {"", -EINVAL, false, 0, NULL},
                {"lxc:", -EINVAL, false, 0, NULL},
                {":web", -EINVAL, false, 0, NULL},
                {"foo:bar", -EPROTONOSUPPORT, false, 0, NULL},
                {"pid:0", -EINVAL, false, 0, NULL},
                {"pid:-1", -EINVAL, false, 0, NULL},
                {"pid:12x", -EINVAL, false, 0, NULL},
                {"pid:99999999999", -EINVAL, false, 0, NULL},
                {"cgroup:/", -EINVAL, false, 0, NULL},
                {"cgroup:a/../b", -EINVAL, false, 0, NULL},
                {"lxc:a/b", -EINVAL, false, 0, NULL},
                {"lxc:..", -EINVAL, false, 0, NULL},
                {"lxc:ml-*", -EINVAL, false, 0, NULL},
                {"we b", -EINVAL, false, 0, NULL},
                {"web\n", -EINVAL, false, 0, NULL},
                /* names a runtime may allow but the grammar does not */
                {"lxc:a+b", -EILSEQ, false, 0, NULL},
                {"w\xc3\xa9"
                 "b",
                 -EILSEQ, false, 0, NULL},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                dp_container_ref r = {};
                int k = dp_container_ref_parse(cases[i].in, &r);

                print_message("ref '%s'\n", cases[i].in);
                assert_int_equal(k, cases[i].r);
                if (k < 0)
                        continue;
                assert_int_equal(r.bare, cases[i].bare);
                if (!r.bare)
                        assert_int_equal(r.runtime, cases[i].rt);
                assert_string_equal(r.name, cases[i].name);
                dp_container_ref_done(&r);
        }
        assert_int_equal(dp_container_ref_parse(NULL, &(dp_container_ref){}),
                         -EINVAL);
}

static void test_http_parse(void **state)
{
        static const char ok[] =
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        static const char ch[] = "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked"
                                 "\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        char *body = NULL;
        unsigned st = 0;
        size_t sz = 0;

        assert_int_equal(
                dp_http_parse_response(ok, strlen(ok), false, &st, &body, &sz),
                0);
        assert_int_equal(st, 200);
        assert_string_equal(body, "{}");
        free(body);
        assert_int_equal(dp_http_parse_response(ok, strlen(ok) - 1, false, &st,
                                                &body, &sz),
                         -EAGAIN);
        assert_int_equal(dp_http_parse_response(ok, strlen(ok) - 1, true, &st,
                                                &body, &sz),
                         -EBADMSG);
        assert_int_equal(
                dp_http_parse_response(ch, strlen(ch), false, &st, &body, &sz),
                0);
        assert_int_equal(sz, 3);
        assert_string_equal(body, "abc");
        free(body);
        assert_int_equal(dp_http_parse_response(ch, strlen(ch) - 2, true, &st,
                                                &body, &sz),
                         -EBADMSG);
        /* No length: the body runs to EOF. */
        assert_int_equal(dp_http_parse_response("HTTP/1.0 404 NF\r\n\r\nxy", 21,
                                                true, &st, &body, &sz),
                         0);
        assert_int_equal(st, 404);
        assert_string_equal(body, "xy");
        free(body);
        assert_int_equal(dp_http_parse_response("SSH-2.0-x\r\n\r\n", 13, true,
                                                &st, &body, &sz),
                         -EBADMSG);
        assert_int_equal(
                dp_http_parse_response("HTTP/1.1 200 OK\r\nContent-Length: "
                                       "99999999\r\n\r\n",
                                       46, false, &st, &body, &sz),
                -EFBIG);
        assert_int_equal(
                dp_http_parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                                       "chunked\r\n\r\nzz\r\n\r\n",
                                       51, true, &st, &body, &sz),
                -EBADMSG);
        char *e = dp_http_escape("a b/c%d");
        assert_string_equal(e, "a%20b%2Fc%25d");
        free(e);
}

/* ---- against the fake runtimes ---- */

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runtime_strings),
                cmocka_unit_test(test_idmap),
                cmocka_unit_test(test_cgroup_parse),
                cmocka_unit_test(test_stat_starttime),
                cmocka_unit_test(test_ref_parse),
                cmocka_unit_test(test_http_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
