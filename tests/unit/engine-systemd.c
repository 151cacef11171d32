/* SPDX-License-Identifier: MIT */
/* Grants into cgroups systemd owns: which way a grant goes (DeviceAllow=
 * through systemd, or devpass's BPF program), the editing of a unit's
 * DeviceAllow= list (only devpass's entries go), and the engine's steps
 * against a fake systemd. No root, no bus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core/engine.h"
#include "core/manual.h"
#include "devpass/util.h"

static const dp_sd_unit nspawn_unit = {
        .id = "machine-n1.scope",
        .cgroup = "/machine.slice/machine-n1.scope",
        .policy = "strict",
};

static dp_sd_facts nspawn_facts(const dp_sd_unit *u)
{
        return (dp_sd_facts){
                .unit_r = 0,
                .unit = u,
                .cgroup = "/machine.slice/machine-n1.scope/payload",
                .progs_all = 1,
                .progs_systemd = 1,
        };
}

static dp_sd_way decide(const dp_sd_facts *f, const char *want_why)
{
        _cleanup_free_ char *why = NULL;
        dp_sd_way way = dp_sd_decide(f, &why);

        assert_non_null(why);
        assert_string_equal(why, want_why);
        return way;
}

static void test_decide(void **state)
{
        dp_sd_unit u = nspawn_unit, root = {.id = "-.slice", .cgroup = "/"};
        dp_sd_facts f = nspawn_facts(&u);

        assert_true(decide(&f, "systemd owns machine-n1.scope: DeviceAllow= "
                               "through systemd"));
        /* the scope itself, not only a cgroup below it */
        f.cgroup = "/machine.slice/machine-n1.scope";
        assert_true(decide(&f, "systemd owns machine-n1.scope: DeviceAllow= "
                               "through systemd"));
        /* a name that only starts like the unit's cgroup is not in it */
        f.cgroup = "/machine.slice/machine-n1.scope2/payload";
        assert_false(decide(&f, "not a systemd unit: devpass BPF program"));

        /* LXC on a systemd host: systemd's answer is the root slice */
        f = nspawn_facts(&root);
        f.cgroup = "/lxc.payload.c1";
        f.progs_systemd = 0;
        assert_false(decide(&f, "not a systemd unit: devpass BPF program"));
        f = nspawn_facts(&u);
        f.unit_r = -ESRCH;
        assert_false(decide(&f, "not a systemd unit: devpass BPF program"));
        f.unit_r = -ENOMEDIUM;
        assert_false(decide(&f, "systemd is not PID 1 or not reachable: "
                                "devpass BPF program"));

        /* a slice is shared by many: never widened for one container */
        snprintf(u.id, sizeof(u.id), "machine.slice");
        f = nspawn_facts(&u);
        assert_false(decide(&f, "not a systemd unit: devpass BPF program"));
        u = nspawn_unit;

        /* DevicePolicy=auto: the first entry would restrict everything */
        snprintf(u.policy, sizeof(u.policy), "auto");
        assert_false(decide(&f, "machine-n1.scope has DevicePolicy=auto: "
                                "devpass BPF program"));
        snprintf(u.policy, sizeof(u.policy), "closed");
        assert_true(decide(&f, "systemd owns machine-n1.scope: DeviceAllow= "
                               "through systemd"));

        /* runc's own program (or devpass's wrapper) beside systemd's: a
         * DeviceAllow= entry for systemd's, devpass's program for it */
        f.progs_all = 2;
        assert_int_equal(decide(&f, "systemd owns machine-n1.scope beside "
                                    "another device program: DeviceAllow= "
                                    "through systemd and devpass BPF "
                                    "program"),
                         DP_SD_BOTH);
        f.every_minor = true;
        assert_int_equal(decide(&f, "machine-n1.scope: a rule for every minor: "
                                    "devpass BPF program"),
                         DP_SD_BPF);
        f.every_minor = false;
        /* runc with the systemd driver leaves systemd's program out until
         * the next daemon-reload puts it in: both as well */
        f.progs_all = 1;
        f.progs_systemd = 0;
        assert_int_equal(decide(&f, "systemd owns machine-n1.scope beside "
                                    "another device program: DeviceAllow= "
                                    "through systemd and devpass BPF "
                                    "program"),
                         DP_SD_BOTH);
        f = nspawn_facts(&u);
        f.every_minor = true;
        assert_false(decide(&f, "machine-n1.scope: a rule for every minor: "
                                "devpass BPF program"));
}

static void test_allow_path(void **state)
{
        char buf[64];

        assert_int_equal(dp_sd_allow_path('c', 13, 64, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/dev/char/13:64");
        assert_int_equal(dp_sd_allow_path('b', 8, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/dev/block/8:0");
        assert_int_equal(dp_sd_allow_path('x', 8, 0, buf, sizeof(buf)),
                         -EINVAL);
        assert_int_equal(
                dp_sd_allow_path('c', 8, DP_MINOR_ANY, buf, sizeof(buf)),
                -EINVAL);
        assert_int_equal(dp_sd_allow_path('c', 13, 64, buf, 8), -ENAMETOOLONG);
}

static dp_sd_allow *list_of(const char *const *pairs, size_t *ret_n)
{
        size_t n = 0;
        dp_sd_allow *a;

        while (pairs[2 * n])
                n++;
        a = calloc(n + 1, sizeof(*a));
        assert_non_null(a);
        for (size_t i = 0; i < n; i++) {
                a[i].path = strdup(pairs[2 * i]);
                snprintf(a[i].access, sizeof(a[i].access), "%s",
                         pairs[2 * i + 1]);
        }
        *ret_n = n;
        return a;
}

static void test_allow_edit(void **state)
{
        static const char *const unit[] = {"/dev/null",
                                           "rwm",
                                           "char-pts",
                                           "rw",
                                           "/dev/char/13:64",
                                           "rw",
                                           "/dev/char/13:65",
                                           "r",
                                           "/dev/block/8:0",
                                           "rwm",
                                           NULL};
        const dp_sd_allow drop[] = {
                {.path = (char *)"/dev/char/13:64", .access = "rw"},
                /* the unit's own entry for 13:65 has another access */
                {.path = (char *)"/dev/char/13:65", .access = "rw"},
                {.path = (char *)"/dev/char/13:66", .access = "rw"},
        };
        size_t n;
        dp_sd_allow *a = list_of(unit, &n);

        assert_true(dp_sd_allow_covers(a, n, "/dev/char/13:64", "rw"));
        assert_true(dp_sd_allow_covers(a, n, "/dev/char/13:64", "r"));
        assert_false(dp_sd_allow_covers(a, n, "/dev/char/13:64", "rwm"));
        assert_false(dp_sd_allow_covers(a, n, "/dev/char/13:65", "rw"));
        assert_true(dp_sd_allow_covers(a, n, "/dev/block/8:0", "rw"));
        assert_false(dp_sd_allow_covers(a, n, "/dev/char/8:0", "r"));

        assert_int_equal(dp_sd_allow_drop(a, &n, drop, ELEMENTSOF(drop)), 1);
        assert_int_equal(n, 4);
        assert_string_equal(a[0].path, "/dev/null");
        assert_string_equal(a[1].path, "char-pts");
        assert_string_equal(a[2].path, "/dev/char/13:65");
        assert_string_equal(a[2].access, "r");
        assert_string_equal(a[3].path, "/dev/block/8:0");
        /* nothing more of devpass's: nothing to change */
        assert_int_equal(dp_sd_allow_drop(a, &n, drop, ELEMENTSOF(drop)), 0);
        assert_int_equal(n, 4);
        dp_sd_allow_free_many(a, n);
}

/* ---- the engine against a fake systemd ---- */

static char calls[2048];
static dp_sd_allow unit_list[32];
static size_t n_unit_list;
static char statedir[64];

static void logcall(const char *fmt, ...)
{
        va_list ap;
        size_t n = strlen(calls);

        va_start(ap, fmt);
        vsnprintf(calls + n, sizeof(calls) - n, fmt, ap);
        va_end(ap);
        strncat(calls, ";", sizeof(calls) - strlen(calls) - 1);
}

static void unit_put(const char *path, const char *access)
{
        for (size_t i = 0; i < n_unit_list; i++)
                if (streq(unit_list[i].path, path)) {
                        snprintf(unit_list[i].access, 4, "%s", access);
                        return;
                }
        unit_list[n_unit_list].path = strdup(path);
        snprintf(unit_list[n_unit_list++].access, 4, "%s", access);
}

static void unit_clear(void)
{
        for (size_t i = 0; i < n_unit_list; i++)
                free(unit_list[i].path);
        n_unit_list = 0;
}

static int f_node(const dp_container *c, const dp_node_spec *s, bool *created)
{
        logcall("mknod %s", s->path);
        *created = true;
        return 0;
}
static int f_node_remove(const dp_container *c, const dp_node_spec *s)
{
        logcall("rm %s", s->path);
        return 0;
}
static int f_node_present(const dp_container *c, const dp_node_spec *s)
{
        return 0;
}
static int f_cg2_grant(const char *d, char t, unsigned ma, unsigned mi,
                       unsigned a, bool *changed)
{
        logcall("v2grant %c%u:%u", t, ma, mi);
        *changed = true;
        return 0;
}
static int f_cg2_revoke(const char *d, char t, unsigned ma, unsigned mi)
{
        logcall("v2revoke %c%u:%u", t, ma, mi);
        return 0;
}
static int f_sd_unit(pid_t pid, dp_sd_unit *ret)
{
        *ret = nspawn_unit;
        return 0;
}
static int f_sd_get(const char *unit, dp_sd_allow **ret, size_t *ret_n)
{
        dp_sd_allow *a = calloc(n_unit_list + 1, sizeof(*a));

        assert_string_equal(unit, "machine-n1.scope");
        for (size_t i = 0; i < n_unit_list; i++) {
                a[i] = unit_list[i];
                a[i].path = strdup(unit_list[i].path);
        }
        *ret = a;
        *ret_n = n_unit_list;
        return 0;
}
static int f_sd_add(const char *unit, const dp_sd_allow *a, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                logcall("sdadd %s %s", a[i].path, a[i].access);
                unit_put(a[i].path, a[i].access);
        }
        return 0;
}
static int f_sd_set(const char *unit, const dp_sd_allow *a, size_t n)
{
        logcall("sdset %zu", n);
        unit_clear();
        for (size_t i = 0; i < n; i++)
                unit_put(a[i].path, a[i].access);
        return 0;
}
static unsigned progs_beside; /* programs besides systemd's at the cgroup */

static int f_progs(const char *d, unsigned *all, unsigned *sd)
{
        *sd = 1;
        *all = 1 + progs_beside;
        return 0;
}

static const dp_act_ops fake = {
        .node_create = f_node,
        .node_remove = f_node_remove,
        .node_present = f_node_present,
        .cg2_grant = f_cg2_grant,
        .cg2_revoke = f_cg2_revoke,
        .sd_unit_by_pid = f_sd_unit,
        .sd_allow_get = f_sd_get,
        .sd_allow_add = f_sd_add,
        .sd_allow_set = f_sd_set,
        .cg2_progs = f_progs,
};

static uint64_t self_starttime(void)
{
        _cleanup_free_ char *s = NULL;
        uint64_t v = 0;

        assert_int_equal(read_full_file("/proc/self/stat", &s, NULL), 0);
        assert_int_equal(dp_proc_stat_starttime(s, &v), 0);
        return v;
}

/* This process, as the machine's init (pid + starttime, no pidfd). */
static dp_container *machine(void)
{
        dp_container *c = dp_container_new();

        assert_non_null(c);
        c->ref = strdup("nspawn:n1");
        c->name = strdup("n1");
        c->pid = getpid();
        c->pidfd = -1;
        c->starttime = self_starttime();
        c->cgroup_v2 =
                strjoin_sep("", dp_cgroup_v2_root(),
                            "/machine.slice/machine-n1.scope/payload", NULL);
        return c;
}

static dp_device *keyboard(void)
{
        dp_device *d = dp_device_new();

        d->syspath = strdup("/sys/devices/kbd/input/input5");
        d->name = strdup("kbd");
        d->klass = DP_CLASS_INPUT;
        dp_device_add_node(d, "/dev/input/event4", 'c', 13, 68);
        dp_device_add_node(d, "/dev/hidraw0", 'c', 241, 0);
        return d;
}

static int setup(void **state)
{
        snprintf(statedir, sizeof(statedir), "/tmp/dpt-engine-sd-XXXXXX");
        assert_non_null(mkdtemp(statedir));
        calls[0] = 0;
        progs_beside = 0;
        unit_clear();
        /* what nspawn registers the machine with */
        unit_put("/dev/null", "rwm");
        unit_put("char-pts", "rw");
        /* the unit allows the hidraw node already: not devpass's */
        unit_put("/dev/char/241:0", "rw");
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        unit_clear();
        snprintf(cmd, sizeof(cmd), "rm -rf %s", statedir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_engine_through_systemd(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = machine();
        _cleanup_device_free_ dp_device *d = keyboard();
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        /* one DeviceAllow= change, no devpass program */
        assert_string_equal(calls, "sdadd /dev/char/13:68 rw;"
                                   "mknod /dev/input/event4;"
                                   "mknod /dev/hidraw0;");
        assert_string_equal(g->sd_unit, "machine-n1.scope");
        assert_string_equal(g->cg_why, "systemd owns machine-n1.scope: "
                                       "DeviceAllow= through systemd");
        assert_true(g->nodes[0].cg.sd && !g->nodes[0].cg.v2);
        assert_false(g->nodes[1].cg.sd || g->nodes[1].cg.v2);
        /* the ledger keeps the way for the revoke of a restarted agent */
        assert_int_equal(dp_ledger_load(statedir, &l), 0);
        assert_int_equal(l->n, 1);
        assert_string_equal(l->grants[0]->sd_unit, "machine-n1.scope");
        assert_true(l->grants[0]->nodes[0].cg.sd);

        /* list --json says where and why */
        {
                json_object *j = NULL;

                assert_int_equal(dp_grant_list_json(g, false, &j), 0);
                assert_string_equal(
                        json_object_get_string(
                                json_object_object_get(j, "systemd_unit")),
                        "machine-n1.scope");
                assert_string_equal(
                        json_object_get_string(
                                json_object_object_get(j, "cgroup_path")),
                        c->cgroup_v2);
                assert_string_equal(
                        json_object_get_string(
                                json_object_object_get(j, "cgroup_why")),
                        "systemd owns machine-n1.scope: DeviceAllow= through "
                        "systemd");
                json_object_put(j);
        }

        /* the list rewritten behind devpass's back: the verify puts it
         * back, and only what is missing */
        calls[0] = 0;
        assert_int_equal(dp_engine_sd_verify(e, g), 0);
        assert_string_equal(calls, "");
        unit_clear();
        unit_put("/dev/null", "rwm");
        assert_int_equal(dp_engine_sd_verify(e, g), 1);
        assert_string_equal(calls, "sdadd /dev/char/13:68 rw;");
        unit_put("char-pts", "rw");
        unit_put("/dev/char/241:0", "rw");

        calls[0] = 0;
        assert_int_equal(dp_engine_detach(e, g, c), 0);
        /* reset and set without devpass's entry, before the nodes go */
        assert_string_equal(calls, "sdset 3;rm /dev/input/event4;"
                                   "rm /dev/hidraw0;");
        assert_int_equal(n_unit_list, 3);
        assert_string_equal(unit_list[0].path, "/dev/null");
        assert_string_equal(unit_list[2].path, "/dev/char/241:0");
        assert_int_equal(e->ledger->n, 0);
}

static dp_device *with_shared(const char *syspath, const char *own,
                              unsigned minor)
{
        dp_device *d = dp_device_new();

        d->syspath = strdup(syspath);
        d->name = strdup("kbd");
        d->klass = DP_CLASS_INPUT;
        dp_device_add_node(d, own, 'c', 13, minor);
        dp_device_add_node(d, "/dev/input/mice", 'c', 13, 63);
        return d;
}

static bool unit_has(const char *path)
{
        for (size_t i = 0; i < n_unit_list; i++)
                if (streq(unit_list[i].path, path))
                        return true;
        return false;
}

/* A Docker or Podman container on a systemd scope: runc's (crun's) device
 * program beside systemd's. The grant goes both ways: devpass's program
 * for the runtime's, a DeviceAllow= entry for systemd's, which systemd
 * rebuilds from the unit on every daemon-reload; the revoke takes both. */
static void test_engine_beside_runtime(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = machine();
        _cleanup_device_free_ dp_device *d = keyboard();
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        progs_beside = 1;
        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        assert_non_null(strstr(calls, "v2grant c13:68"));
        assert_non_null(strstr(calls, "sdadd /dev/char/13:68 rw;"));
        assert_true(g->sd_beside);
        assert_true(g->nodes[0].cg.sd && g->nodes[0].cg.v2);
        assert_non_null(strstr(g->cg_why, "beside another device program"));
        /* a restarted agent knows it */
        assert_int_equal(dp_ledger_load(statedir, &l), 0);
        assert_true(l->grants[0]->sd_beside);

        calls[0] = 0;
        assert_int_equal(dp_engine_detach(e, g, c), 0);
        assert_non_null(strstr(calls, "v2revoke c13:68"));
        assert_non_null(strstr(calls, "sdset 3;"));
        assert_false(unit_has("/dev/char/13:68"));
}

/* Two grants share a node: the entry devpass added for it stays until the
 * last of them goes. */
static void test_engine_shared_entry(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = machine();
        _cleanup_device_free_ dp_device *d1 =
                with_shared("/sys/devices/kbd1", "/dev/input/event4", 68);
        _cleanup_device_free_ dp_device *d2 =
                with_shared("/sys/devices/kbd2", "/dev/input/event5", 69);
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g1 = NULL, *g2 = NULL;

        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d1, &o, &g1), 0);
        assert_int_equal(dp_engine_attach(e, c, d2, &o, &g2), 0);
        assert_true(g1->nodes[1].cg.sd);
        assert_false(g2->nodes[1].cg.sd); /* g1's entry was there already */
        assert_int_equal(dp_engine_detach(e, g1, c), 0);
        assert_false(unit_has("/dev/char/13:68"));
        assert_true(unit_has("/dev/char/13:63"));
        assert_true(unit_has("/dev/char/13:69"));
        assert_true(g2->nodes[1].cg.sd); /* handed on */
        assert_int_equal(dp_engine_detach(e, g2, c), 0);
        assert_false(unit_has("/dev/char/13:63"));
        assert_false(unit_has("/dev/char/13:69"));
        assert_true(unit_has("/dev/null") && unit_has("/dev/char/241:0"));
}

static int f_no_systemd(pid_t pid, dp_sd_unit *ret)
{
        return -ENOMEDIUM;
}

static void test_engine_without_systemd(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = machine();
        _cleanup_device_free_ dp_device *d = keyboard();
        dp_act_ops ops = fake;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        ops.sd_unit_by_pid = f_no_systemd;
        assert_int_equal(dp_engine_open(statedir, &ops, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        assert_string_equal(calls, "v2grant c13:68;v2grant c241:0;"
                                   "mknod /dev/input/event4;"
                                   "mknod /dev/hidraw0;");
        assert_null(g->sd_unit);
        assert_string_equal(g->cg_why, "systemd is not PID 1 or not "
                                       "reachable: devpass BPF program");
        {
                json_object *j = NULL, *u;

                assert_int_equal(dp_grant_list_json(g, false, &j), 0);
                /* present, and null */
                assert_true(json_object_object_get_ex(j, "systemd_unit", &u));
                assert_null(u);
                json_object_put(j);
        }
        calls[0] = 0;
        assert_int_equal(dp_engine_detach(e, g, c), 0);
        assert_string_equal(calls, "v2revoke c13:68;v2revoke c241:0;"
                                   "rm /dev/input/event4;rm /dev/hidraw0;");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decide),
                cmocka_unit_test(test_allow_path),
                cmocka_unit_test(test_allow_edit),
                cmocka_unit_test_setup_teardown(test_engine_through_systemd,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_engine_beside_runtime,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_engine_shared_entry, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_engine_without_systemd,
                                                setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
