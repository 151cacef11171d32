/* SPDX-License-Identifier: MIT */
/* The grant engine against a fake ops table: step order (deny before
 * removal), rollback on failure, shared companion nodes, what the ledger
 * records and how a damaged ledger is handled. No root needed. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "core/engine.h"
#include "devpass/util.h"

static char calls[4096];
static int fail_node_create_at = -1; /* fail the Nth node_create */
static int n_node_create;
static int cg1_covered_result;
static char present[16][64]; /* nodes the fake has made */

static int present_idx(const char *path)
{
        for (int i = 0; i < 16; i++)
                if (streq(present[i], path))
                        return i;
        return -1;
}

static void logcall(const char *fmt, ...)
{
        va_list ap;
        size_t n = strlen(calls);

        va_start(ap, fmt);
        vsnprintf(calls + n, sizeof(calls) - n, fmt, ap);
        va_end(ap);
        strncat(calls, ";", sizeof(calls) - strlen(calls) - 1);
}

static int f_node_create(const dp_container *c, const dp_node_spec *s,
                         bool *created)
{
        if (n_node_create++ == fail_node_create_at)
                return -EEXIST;
        logcall("mknod %s %c%u:%u %o %u:%u", s->path, s->type, s->major,
                s->minor, s->mode, s->uid, s->gid);
        *created = present_idx(s->path) < 0;
        if (*created)
                snprintf(present[present_idx("")], 64, "%s", s->path);
        return 0;
}
static int f_node_remove(const dp_container *c, const dp_node_spec *s)
{
        int i = present_idx(s->path);

        logcall("rm %s", s->path);
        if (i >= 0)
                present[i][0] = 0;
        return 0;
}
static int f_node_present(const dp_container *c, const dp_node_spec *s)
{
        return present_idx(s->path) >= 0;
}
static int f_cg1_covered(const char *d, char t, unsigned ma, unsigned mi,
                         unsigned a)
{
        return cg1_covered_result;
}
static int f_cg1_allow(const char *d, char t, unsigned ma, unsigned mi,
                       unsigned a)
{
        logcall("v1allow %c%u:%u", t, ma, mi);
        return 0;
}
static int f_cg1_deny(const char *d, char t, unsigned ma, unsigned mi,
                      unsigned a)
{
        logcall("v1deny %c%u:%u", t, ma, mi);
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
static int f_cg2_has(const char *d, char t, unsigned ma, unsigned mi)
{
        return 0;
}
static int net_out_result; /* what the fake's move out returns */

static int f_net_in(const dp_container *c, const char *ifname,
                    const char *inside, dp_netdev_saved *s, int *ret_nsfd)
{
        logcall("netin %s %s", ifname, inside ? inside : "-");
        snprintf(s->kind, sizeof(s->kind), "veth");
        s->anchor_ifindex = 42;
        if (ret_nsfd)
                *ret_nsfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        snprintf(s->name, sizeof(s->name), "%s", ifname);
        snprintf(s->name_inside, sizeof(s->name_inside), "%s",
                 inside ? inside : ifname);
        snprintf(s->mac, sizeof(s->mac), "02:00:00:00:00:01");
        s->mtu = 1500;
        return 0;
}
static int f_net_out(const dp_container *c, int nsfd, const dp_netdev_saved *s)
{
        logcall("netout %s%s", s->name_inside, nsfd >= 0 ? " held" : "");
        return net_out_result;
}

static const dp_act_ops fake = {
        .node_create = f_node_create,
        .node_remove = f_node_remove,
        .node_present = f_node_present,
        .cg1_covered = f_cg1_covered,
        .cg1_allow = f_cg1_allow,
        .cg1_deny = f_cg1_deny,
        .cg2_grant = f_cg2_grant,
        .cg2_revoke = f_cg2_revoke,
        .cg2_has = f_cg2_has,
        .net_move_in = f_net_in,
        .net_move_out = f_net_out,
};

static int f_revoke_open(pid_t init, char t, unsigned ma, unsigned mi,
                         unsigned hid)
{
        logcall("revokefd %c%u:%u", t, ma, mi);
        return 0;
}

/* The same with descriptor revocation, which the other tests leave out. */
static dp_act_ops fake_revoking;

static char statedir[64];

static uint64_t self_starttime(void)
{
        _cleanup_free_ char *s = NULL;
        char *p;
        unsigned long long v = 0;

        assert_int_equal(read_full_file("/proc/self/stat", &s, NULL), 0);
        p = strrchr(s, ')');
        /* field 22; fields after ')' start at 3 */
        for (int f = 3; p && f <= 22; f++)
                p = strchr(p + 1, ' ');
        assert_non_null(p);
        p = strrchr(s, ')');
        for (int f = 2; f < 22; f++)
                p = strchr(p + 1, ' ');
        sscanf(p + 1, "%llu", &v);
        return v;
}

/* A container that is this process, found by pid + starttime (no pidfd,
 * so the test also runs under valgrind). */
static dp_container *self_container(const char *ref)
{
        dp_container *c = dp_container_new();

        assert_non_null(c);
        c->ref = strdup(ref);
        c->name = strdup(ref);
        c->pid = getpid();
        c->pidfd = -1;
        c->starttime = self_starttime();
        c->cgroup_v1_devices = strdup("/fake/v1");
        c->cgroup_v2 = strdup("/fake/v2");
        return c;
}

static dp_device *gpu(const char *syspath, unsigned card)
{
        dp_device *d = dp_device_new();
        char p[64];

        d->syspath = strdup(syspath);
        d->name = strdup("gpu");
        d->klass = DP_CLASS_GPU;
        snprintf(p, sizeof(p), "/dev/nvidia%u", card);
        dp_device_add_node(d, p, 'c', 195, card);
        dp_device_add_node(d, "/dev/nvidiactl", 'c', 195, 255);
        return d;
}

static int setup(void **state)
{
        snprintf(statedir, sizeof(statedir), "/tmp/dpt-engine-XXXXXX");
        assert_non_null(mkdtemp(statedir));
        calls[0] = 0;
        fail_node_create_at = -1;
        n_node_create = 0;
        cg1_covered_result = 0;
        memset(present, 0, sizeof(present));
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", statedir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_attach_detach_order(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = gpu("/sys/devices/gpu0", 0);
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        o.mode = 0660;
        o.group = 44;
        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        assert_string_equal(calls, "v1allow c195:0;v2grant c195:0;"
                                   "v1allow c195:255;v2grant c195:255;"
                                   "mknod /dev/nvidia0 c195:0 660 0:44;"
                                   "mknod /dev/nvidiactl c195:255 660 0:44;");
        assert_int_equal(g->state, DP_GRANT_APPLIED);
        /* the ledger on disk says the same */
        assert_int_equal(dp_ledger_load(statedir, &l), 0);
        assert_int_equal(l->n, 1);
        assert_string_equal(l->grants[0]->device, "/sys/devices/gpu0");
        assert_int_equal(l->grants[0]->state, DP_GRANT_APPLIED);
        assert_int_equal(l->grants[0]->n_nodes, 2);
        assert_true(l->grants[0]->nodes[1].cg.v1 &&
                    l->grants[0]->nodes[1].cg.v2);
        /* a second attach of the same pair is refused */
        assert_int_equal(dp_engine_attach(e, c, d, &o, NULL), -EEXIST);

        calls[0] = 0;
        assert_int_equal(dp_engine_detach(e, g, c), 0);
        /* every cgroup revocation comes before any node removal */
        assert_string_equal(calls, "v1deny c195:0;v2revoke c195:0;"
                                   "v1deny c195:255;v2revoke c195:255;"
                                   "rm /dev/nvidia0;rm /dev/nvidiactl;");
        assert_int_equal(e->ledger->n, 0);
}

/* Open descriptors are revoked only once the cgroup refuses the device:
 * before that, a process inside could open a fresh descriptor after its old
 * one was cut off. And before the node goes, so none is opened through it. */
static void test_detach_revokes_fds_after_deny(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = gpu("/sys/devices/gpu0", 0);
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        fake_revoking = fake;
        fake_revoking.revoke_open = f_revoke_open;
        assert_int_equal(dp_engine_open(statedir, &fake_revoking, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        calls[0] = 0;
        assert_int_equal(dp_engine_detach(e, g, c), 0);
        assert_string_equal(calls, "v1deny c195:0;v2revoke c195:0;"
                                   "v1deny c195:255;v2revoke c195:255;"
                                   "revokefd c195:0;revokefd c195:255;"
                                   "rm /dev/nvidia0;rm /dev/nvidiactl;");
}

static void test_rollback(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = gpu("/sys/devices/gpu0", 0);
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;

        fail_node_create_at = 1;
        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, NULL), -EEXIST);
        /* what was done is undone, deny first, and nothing is recorded */
        assert_non_null(strstr(calls, "mknod /dev/nvidia0"));
        assert_non_null(strstr(calls, "v1deny c195:0;v2revoke c195:0;"
                                      "v1deny c195:255;v2revoke c195:255;"
                                      "rm /dev/nvidia0;"));
        assert_null(strstr(calls, "rm /dev/nvidiactl"));
        assert_int_equal(e->ledger->n, 0);
        assert_int_equal(dp_ledger_load(statedir, &l), 0);
        assert_int_equal(l->n, 0);
}

static void test_shared_companion(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d0 = gpu("/sys/devices/gpu0", 0);
        _cleanup_device_free_ dp_device *d1 = gpu("/sys/devices/gpu1", 1);
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g0 = NULL, *g1 = NULL;

        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d0, &o, &g0), 0);
        assert_int_equal(dp_engine_attach(e, c, d1, &o, &g1), 0);
        calls[0] = 0;
        /* the first GPU goes: nvidiactl stays, both in cgroup and /dev */
        assert_int_equal(dp_engine_detach(e, g0, c), 0);
        assert_string_equal(calls, "v1deny c195:0;v2revoke c195:0;"
                                   "rm /dev/nvidia0;");
        calls[0] = 0;
        /* the last GPU goes: nvidiactl goes with it */
        assert_int_equal(dp_engine_detach(e, g1, c), 0);
        assert_non_null(strstr(calls, "v1deny c195:255;"));
        assert_non_null(strstr(calls, "rm /dev/nvidiactl;"));
        assert_int_equal(e->ledger->n, 0);
}

static void test_runtime_allowance_kept(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = gpu("/sys/devices/gpu0", 0);
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        /* the runtime already allows it in v1: devpass adds nothing there
         * and so must not deny it on revoke */
        cg1_covered_result = 1;
        o.companions = false;
        /* and the node was already there: adopted, never removed */
        snprintf(present[0], 64, "/dev/nvidia0");
        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        assert_null(strstr(calls, "v1allow"));
        assert_null(strstr(calls, "nvidiactl"));
        calls[0] = 0;
        assert_int_equal(dp_engine_detach(e, g, c), 0);
        assert_null(strstr(calls, "v1deny"));
        assert_non_null(strstr(calls, "v2revoke c195:0"));
        assert_null(strstr(calls, "rm /dev/nvidia0"));
}

static void test_net(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = dp_device_new();
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        d->syspath = strdup("/sys/devices/virtual/net/veth9");
        d->name = strdup("veth9");
        d->klass = DP_CLASS_NET;
        o.ifname = "lan0";
        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        assert_string_equal(calls, "netin veth9 lan0;");
        assert_int_equal(dp_ledger_load(statedir, &l), 0);
        assert_true(l->grants[0]->has_netdev);
        assert_string_equal(l->grants[0]->netdev.name, "veth9");
        assert_string_equal(l->grants[0]->netdev.name_inside, "lan0");
        assert_string_equal(l->grants[0]->netdev.kind, "veth");
        assert_int_equal(l->grants[0]->netdev.anchor_ifindex, 42);
        assert_true(g->netns_fd >= 0);
        calls[0] = 0;
        assert_int_equal(dp_engine_detach(e, g, c), 0);
        assert_string_equal(calls, "netout lan0 held;");
}

/* A NIC that cannot be found by its identity is not guessed at: the
 * detach fails and the grant stays, marked lost, also on disk. */
static void test_net_lost(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = dp_device_new();
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        d->syspath = strdup("/sys/devices/virtual/net/veth9");
        d->name = strdup("veth9");
        d->klass = DP_CLASS_NET;
        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        net_out_result = -ESTALE;
        assert_int_equal(dp_engine_detach(e, g, c), -ESTALE);
        net_out_result = 0;
        assert_int_equal(e->ledger->n, 1);
        assert_non_null(g->lost);
        assert_true(g->has_netdev);
        assert_int_equal(dp_ledger_load(statedir, &l), 0);
        assert_int_equal(l->n, 1);
        assert_non_null(l->grants[0]->lost);
        assert_string_equal(l->grants[0]->lost, g->lost);
        /* once it is there again, a detach brings it back */
        assert_int_equal(dp_engine_detach(e, g, c), 0);
        assert_int_equal(e->ledger->n, 0);
}

static void test_container_gone(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = gpu("/sys/devices/gpu0", 0);
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        calls[0] = 0;
        /* no container: the cgroup rules are undone, no node work */
        assert_int_equal(dp_engine_detach(e, g, NULL), 0);
        assert_null(strstr(calls, "rm "));
        assert_non_null(strstr(calls, "v1deny c195:0"));
        /* an attach to a container whose init is gone is refused */
        c->starttime++;
        assert_int_equal(dp_engine_attach(e, c, d, &o, NULL), -ESRCH);
        assert_int_equal(e->ledger->n, 0);
}

static void write_grant_file(const char *name, const char *text)
{
        char p[128];

        snprintf(p, sizeof(p), "%s/grants", statedir);
        assert_int_equal(mkdir_p(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/grants/%s", statedir, name);
        assert_int_equal(write_file_atomic(p, text, strlen(text), 0600), 0);
}

static void test_damaged_ledger(void **state)
{
        static const char *const bad[] = {
                "{\"version\": 1, \"grants\": [",    /* truncated */
                "{\"version\": 99, \"grants\": []}", /* other version */
                "[]",                                /* wrong shape */
                "{\"version\": 1, \"grants\": [{\"container\": 5}]}",
                "\x01\x02garbage",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(dp_engine_freep) dp_engine *e = NULL;
                char p[128];
                int lerr = 0;

                write_grant_file("0000000000000001.json", bad[i]);
                assert_int_equal(dp_engine_open(statedir, &fake, &e, &lerr), 0);
                assert_int_equal(lerr, -EBADMSG);
                assert_int_equal(e->ledger->n, 0);
                /* set aside, never read again */
                snprintf(p, sizeof(p),
                         "%s/grants/0000000000000001.json.damaged", statedir);
                assert_int_equal(access(p, F_OK), 0);
                unlink(p);
        }
}

static void test_one_file_per_grant(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d0 = gpu("/sys/devices/gpu0", 0);
        _cleanup_device_free_ dp_device *d1 = gpu("/sys/devices/gpu1", 1);
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g0 = NULL;
        int lerr = 0;

        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d0, &o, &g0), 0);
        assert_int_equal(dp_engine_attach(e, c, d1, &o, NULL), 0);
        /* one damaged file does not take the others down */
        write_grant_file("ffffffffffffffff.json", "garbage");
        assert_int_equal(dp_ledger_load(statedir, &l), -EBADMSG);
        assert_int_equal(l->n, 2);
        dp_ledger_free(TAKE_PTR(l));
        assert_int_equal(dp_engine_detach(e, g0, c), 0);
        assert_int_equal(dp_ledger_load(statedir, &l), 0);
        assert_int_equal(l->n, 1);
        assert_string_equal(l->grants[0]->device, "/sys/devices/gpu1");
        (void)lerr;
}

/* A node is granted with its cgroup rule, one item: a file whose rules do
 * not pair up with its nodes one to one is damaged, not half-trusted. */
static void test_unpaired_rule(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = gpu("/sys/devices/gpu0", 0);
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        _cleanup_free_ char *text = NULL, *cut = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        char dir[128], cmd[512];
        char *p;

        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, NULL), 0);
        dp_engine_free(TAKE_PTR(e));
        /* drop the second rule of the grant's "cgroup" array */
        snprintf(dir, sizeof(dir), "%s/grants", statedir);
        snprintf(cmd, sizeof(cmd), "cat %s/*.json", dir);
        {
                FILE *f = popen(cmd, "r");
                char buf[8192];
                size_t n;

                assert_non_null(f);
                n = fread(buf, 1, sizeof(buf) - 1, f);
                buf[n] = 0;
                pclose(f);
                text = strdup(buf);
        }
        p = strstr(text, "\"cgroup\"");
        assert_non_null(p);
        p = strstr(p, "}");
        assert_non_null(p);
        /* "[{first}, {second}]" -> "[{first}]" */
        cut = strndup(text, (size_t)(p + 1 - text));
        p = strchr(p, ']');
        assert_non_null(p);
        assert_non_null(cut);
        snprintf(cmd, sizeof(cmd), "rm -f %s/*.json", dir);
        assert_int_equal(system(cmd), 0);
        {
                _cleanup_free_ char *fixed = strjoin_sep("", cut, p, NULL);

                struct json_object *doc, *g, *a;

                assert_non_null(fixed);
                /* still well-formed, one rule for two nodes: only the
                 * pairing is wrong */
                doc = json_tokener_parse(fixed);
                assert_non_null(doc);
                g = json_object_array_get_idx(
                        json_object_object_get(doc, "grants"), 0);
                a = json_object_object_get(g, "cgroup");
                assert_int_equal(json_object_array_length(a), 1);
                a = json_object_object_get(g, "nodes");
                assert_int_equal(json_object_array_length(a), 2);
                json_object_put(doc);
                write_grant_file("0000000000000002.json", fixed);
        }
        assert_int_equal(dp_ledger_load(statedir, &l), -EBADMSG);
        assert_int_equal(l->n, 0);
}

static void test_bundle_update(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = dp_device_new();
        _cleanup_device_free_ dp_device *d2 = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        /* a USB serial adapter: usbfs node first, its tty later */
        d->syspath = strdup("/sys/devices/usb1/1-1");
        d->name = strdup("1-1");
        d->klass = DP_CLASS_USB;
        dp_device_add_node(d, "/dev/bus/usb/001/005", 'c', 189, 4);
        o.path = "/dev/myusb";
        assert_int_equal(dp_engine_open(statedir, &fake, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        dp_device_add_node(d, "/dev/ttyUSB0", 'c', 188, 0);
        assert_true(dp_grant_bundle_differs(g, d));
        calls[0] = 0;
        assert_int_equal(dp_engine_update(e, g, c, d, &o), 0);
        /* only the new node is touched */
        assert_null(strstr(calls, "myusb"));
        assert_non_null(strstr(calls, "mknod /dev/ttyUSB0 c188:0"));
        assert_false(dp_grant_bundle_differs(g, d));
        /* re-plugged with a new devnum: the old node goes, the new one
         * keeps the inside path; the tty is not touched */
        d2 = dp_device_new();
        d2->syspath = strdup(d->syspath);
        d2->klass = DP_CLASS_USB;
        dp_device_add_node(d2, "/dev/bus/usb/001/009", 'c', 189, 8);
        dp_device_add_node(d2, "/dev/ttyUSB0", 'c', 188, 0);
        calls[0] = 0;
        assert_int_equal(dp_engine_update(e, g, c, d2, &o), 0);
        assert_string_equal(calls, "v1deny c189:4;v2revoke c189:4;"
                                   "rm /dev/myusb;"
                                   "v1allow c189:8;v2grant c189:8;"
                                   "mknod /dev/myusb c189:8 660 0:0;");
        assert_int_equal(g->n_nodes, 2);
}

static int f_set_attrs(const dp_container *c, const dp_node_spec *s)
{
        logcall("attrs %s %o %u:%u", s->path, s->mode, s->uid, s->gid);
        return 0;
}
static int f_cg2_grant_acc(const char *d, char t, unsigned ma, unsigned mi,
                           unsigned a, bool *changed)
{
        char acc[4];

        logcall("v2grant %c%u:%u %s", t, ma, mi, dp_access_to_string(a, acc));
        *changed = true;
        return 0;
}
static int f_cg1_deny_acc(const char *d, char t, unsigned ma, unsigned mi,
                          unsigned a)
{
        char acc[4];

        logcall("v1deny %c%u:%u %s", t, ma, mi, dp_access_to_string(a, acc));
        return 0;
}

/* An edited [Grant]: mode, owner and access change in place (no node is
 * removed or made, no rule revoked); Path= and Companions= need a new
 * grant. The v2 map entry is rewritten with the new bits. */
static void test_settings_in_place(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = gpu("/sys/devices/gpu0", 0);
        dp_act_ops ops = fake;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;
        unsigned changed = 0;

        ops.node_set_attrs = f_set_attrs;
        ops.cg2_grant = f_cg2_grant_acc;
        ops.cg1_deny = f_cg1_deny_acc;
        o.mode = 0660;
        assert_int_equal(dp_engine_open(statedir, &ops, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        assert_null(dp_grant_settings_regrant(g, d, &o));
        calls[0] = 0;
        assert_int_equal(dp_engine_apply_settings(e, g, c, &o, &changed), 0);
        assert_int_equal(changed, 0);
        assert_string_equal(calls, "");

        o.mode = 0640;
        o.group = 7;
        o.access = DP_ACCESS_READ;
        assert_null(dp_grant_settings_regrant(g, d, &o));
        assert_int_equal(dp_engine_apply_settings(e, g, c, &o, &changed), 0);
        assert_int_equal(changed, 4);
        assert_string_equal(calls, "attrs /dev/nvidia0 640 0:7;"
                                   "attrs /dev/nvidiactl 640 0:7;"
                                   "v1deny c195:0 w;v2grant c195:0 r;"
                                   "v1deny c195:255 w;v2grant c195:255 r;");
        assert_int_equal(g->nodes[0].mode, 0640);
        assert_int_equal(g->nodes[1].cg.access, DP_ACCESS_READ);
        assert_int_equal(g->access, DP_ACCESS_READ);

        o.path = "/dev/gpu";
        assert_string_equal(dp_grant_settings_regrant(g, d, &o), "Path=");
        o.path = NULL;
        o.companions = false;
        assert_string_equal(dp_grant_settings_regrant(g, d, &o), "Companions=");
}

static int f_forward(const dp_container *c, const char *action,
                     const char *subsystem, const char *devpath,
                     char *const *props, char *const *tags,
                     const dp_node_spec *node)
{
        logcall("forward %s %s %s %s", action, subsystem, devpath, node->path);
        return 0;
}

/* Forward=yes: the remove event of an unplugged device names the device
 * the add event named, though sysfs has forgotten it by then; a restarted
 * agent knows it from the ledger. /dev/null is a device sysfs has. */
static void test_forward_unplugged(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = self_container("lxc:a");
        _cleanup_device_free_ dp_device *d = dp_device_new();
        _cleanup_(dp_ledger_freep) dp_ledger *l = NULL;
        dp_act_ops ops = fake;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;

        d->syspath = strdup("/sys/devices/virtual/mem/null");
        d->subsystem = strdup("mem");
        d->name = strdup("null");
        d->klass = DP_CLASS_CHAR;
        dp_device_add_node(d, "/dev/null", 'c', 1, 3);
        ops.forward = f_forward;
        o.forward = true;
        assert_int_equal(dp_engine_open(statedir, &ops, &e, NULL), 0);
        assert_int_equal(dp_engine_attach(e, c, d, &o, &g), 0);
        assert_non_null(strstr(calls, "forward add mem /devices/virtual/mem/"
                                      "null /dev/null;"));
        assert_int_equal(dp_ledger_load(statedir, &l), 0);
        assert_int_equal(l->n, 1);
        assert_string_equal(l->grants[0]->nodes[0].devpath,
                            "/devices/virtual/mem/null");
        assert_string_equal(l->grants[0]->nodes[0].subsystem, "mem");

        /* unplugged: no /sys/dev/char entry has these numbers */
        g->nodes[0].major = g->nodes[0].cg.major = 4094;
        calls[0] = 0;
        assert_int_equal(dp_engine_detach(e, g, c), 0);
        assert_non_null(strstr(calls, "forward remove mem /devices/virtual/"
                                      "mem/null /dev/null;"));
}

static void test_lock(void **state)
{
        _cleanup_(dp_engine_freep) dp_engine *a = NULL, *b = NULL;

        assert_int_equal(dp_engine_open(statedir, &fake, &a, NULL), 0);
        assert_int_equal(dp_engine_open(statedir, &fake, &b, NULL), -EBUSY);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_attach_detach_order, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_detach_revokes_fds_after_deny, setup, teardown),
                cmocka_unit_test_setup_teardown(test_shared_companion, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_runtime_allowance_kept,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_net, setup, teardown),
                cmocka_unit_test_setup_teardown(test_net_lost, setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_gone, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_damaged_ledger, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forward_unplugged, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_unpaired_rule, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_settings_in_place, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_one_file_per_grant, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_bundle_update, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
