/* SPDX-License-Identifier: MIT */
/* Forward=yes (agent/act/forward*.c) against real containers and the host's
 * real udevadm running inside them: a loop device and a macvtap node are
 * forwarded into a privileged and a user-namespaced container; `udevadm
 * monitor --udev` inside (with subsystem and tag filters, so libudev's own
 * hashes are checked in the kernel) must see add and remove, and `udevadm
 * info` inside must show the forwarded properties. Also: a live udevd
 * (control socket or process) gives -EBUSY, no /run/udev gives -ENOTDIR,
 * planted symlinks give an error with nothing written outside. Needs root;
 * usage: test-act-forward PATH-TO-dp-testctr */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctr-util.h"
#include "devpass/act.h"
#include "devpass/macro.h"

static char nodedir[] = "/tmp/dptfwdnodesXXXXXX";
static dpt_loop loop;
static char loopname[32];
static unsigned mon_seq;

typedef dpt_ctr ctr;

static ctr *shared_priv, *shared_userns;

/* A host command in the container's network namespace. */
static int ctr_net(const ctr *t, const char *cmd)
{
        const char *argv[] = {"/bin/sh", "-c", NULL, NULL};
        _cleanup_free_ char *full = NULL;

        assert_true(asprintf(&full, "nsenter -t %s -n %s >/dev/null 2>&1",
                             t->pidstr, cmd) >= 0);
        argv[2] = full;
        return dpt_run_argv(NULL, NULL, argv);
}

/* Host path of something inside the container. */
static char *in_root(const ctr *t, const char *rel)
{
        char *p;

        assert_true(asprintf(&p, "/proc/%s/root%s", t->pidstr, rel) >= 0);
        return p;
}

static bool exists_in(const ctr *t, const char *rel)
{
        _cleanup_free_ char *p = in_root(t, rel);
        struct stat st;

        return lstat(p, &st) == 0;
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

/* ---- udevadm monitor inside ---- */

/* Number of "udev" group uevent sockets in the container's netns: a started
 * monitor has subscribed once its socket shows up here. */
static int udev_listeners(const ctr *t)
{
        _cleanup_free_ char *p = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char line[512];
        int n = 0;

        assert_true(asprintf(&p, "/proc/%s/net/netlink", t->pidstr) >= 0);
        f = fopen(p, "re");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                unsigned eth, groups;

                if (sscanf(line, "%*s %u %*s %x", &eth, &groups) == 2 &&
                    eth == 15 /* NETLINK_KOBJECT_UEVENT */ && (groups & 2))
                        n++;
        }
        return n;
}

typedef struct monitor {
        char out[64], pidfile[64];
} monitor;

static void monitor_start(const ctr *t, monitor *m, const char *filters)
{
        snprintf(m->out, sizeof(m->out), "/tmp/mon%u.txt", ++mon_seq);
        snprintf(m->pidfile, sizeof(m->pidfile), "/tmp/mon%u.pid", mon_seq);
        assert_int_equal(udev_listeners(t), 0);
        assert_int_equal(
                dpt_ctr_sh(t, NULL,
                           "timeout 60 udevadm monitor --udev --property %s "
                           ">%s 2>&1 </dev/null & echo $! >%s",
                           filters, m->out, m->pidfile),
                0);
        for (int i = 0; i < 500 && udev_listeners(t) == 0; i++)
                sleep_ms(10);
        if (udev_listeners(t) == 0)
                fail_msg("udevadm monitor did not subscribe inside %s",
                         t->name);
}

static void monitor_stop(const ctr *t, monitor *m)
{
        (void)dpt_ctr_sh(t, NULL, "kill $(cat %s)", m->pidfile);
        for (int i = 0; i < 500 && udev_listeners(t) > 0; i++)
                sleep_ms(10);
        assert_int_equal(udev_listeners(t), 0);
        (void)dpt_ctr_sh(t, NULL, "rm -f %s %s", m->out, m->pidfile);
}

/* Waits until the monitor's output holds every needle. */
static void monitor_expect(const ctr *t, const monitor *m,
                           const char *const *needles)
{
        _cleanup_free_ char *path = in_root(t, m->out);

        for (int i = 0; i < 500; i++) {
                _cleanup_free_ char *text = NULL;
                _cleanup_fclose_ FILE *f = fopen(path, "re");
                size_t n = 0;
                bool all = true;

                if (f) {
                        text = calloc(1, 65536);
                        assert_non_null(text);
                        n = fread(text, 1, 65535, f);
                        text[n] = 0;
                        for (const char *const *s = needles; *s; s++)
                                all = all && strstr(text, *s);
                        if (all)
                                return;
                }
                if (i == 499)
                        fail_msg("monitor in %s missed %s; saw:\n%s", t->name,
                                 needles[0], strna(text));
                sleep_ms(10);
        }
}

/* ---- one forwarded node, add then remove ---- */

typedef struct fwd_case {
        const char *subsystem, *devpath, *filters;
        char *const *props;
        char *const *tags;
        dp_node_spec node;
        const char *want_prop; /* expected in `udevadm info` inside */
} fwd_case;

static void check_cycle(const ctr *t, const fwd_case *fc)
{
        _cleanup_free_ char *rec_rel = NULL, *tag_rel = NULL, *info = NULL,
                            *want_add = NULL, *want_name = NULL;
        const dp_node_spec *n = &fc->node;
        bool created = false;
        monitor m;
        struct stat st;

        assert_true(asprintf(&rec_rel, "/run/udev/data/%c%u:%u", n->type,
                             n->major, n->minor) >= 0);
        assert_true(asprintf(&tag_rel, "/run/udev/tags/seat/%c%u:%u", n->type,
                             n->major, n->minor) >= 0);
        assert_true(asprintf(&want_add, "add      %s (%s)", fc->devpath,
                             fc->subsystem) >= 0);
        assert_true(asprintf(&want_name, "DEVNAME=%s", n->path) >= 0);

        assert_int_equal(dp_act_node_create(&t->c, n, &created), 0);

        /* libudev subscribes "udev" monitors only once /run/udev/control
         * exists: the first forward creates it, so that monitors started
         * after a grant hear later events. */
        assert_int_equal(dp_act_forward(&t->c, "add", fc->subsystem,
                                        fc->devpath, fc->props, fc->tags, n),
                         0);
        {
                _cleanup_free_ char *ctl = in_root(t, "/run/udev/control");

                assert_int_equal(lstat(ctl, &st), 0);
                assert_true(S_ISREG(st.st_mode));
        }

        monitor_start(t, &m, fc->filters);
        assert_int_equal(dp_act_forward(&t->c, "add", fc->subsystem,
                                        fc->devpath, fc->props, fc->tags, n),
                         0);
        {
                const char *const needles[] = {want_add,      "ACTION=add",
                                               want_name,     fc->want_prop,
                                               "TAGS=:seat:", NULL};

                monitor_expect(t, &m, needles);
        }

        /* The record, owned by the container's root, with the tag index. */
        {
                _cleanup_free_ char *rec = in_root(t, rec_rel);
                _cleanup_free_ char *tag = in_root(t, tag_rel);

                assert_int_equal(lstat(rec, &st), 0);
                assert_true(S_ISREG(st.st_mode));
                assert_int_equal(st.st_uid, t->uid_base);
                assert_int_equal(st.st_mode & 07777, 0644);
                assert_int_equal(lstat(tag, &st), 0);
                assert_int_equal(st.st_uid, t->uid_base);
        }
        assert_int_equal(dpt_ctr_sh(t, &info,
                                    "udevadm info --query=property %s",
                                    n->path),
                         0);
        if (!strstr(info, fc->want_prop) || !strstr(info, "TAGS=:seat:"))
                fail_msg("udevadm info inside %s:\n%s", t->name, info);

        assert_int_equal(dp_act_forward(&t->c, "remove", fc->subsystem,
                                        fc->devpath, fc->props, fc->tags, n),
                         0);
        {
                const char *const needles[] = {"ACTION=remove", want_name,
                                               NULL};

                monitor_expect(t, &m, needles);
        }
        assert_false(exists_in(t, rec_rel));
        assert_false(exists_in(t, tag_rel));
        monitor_stop(t, &m);
        assert_int_equal(dp_act_node_remove(&t->c, n), 0);
}

static void check_loop(const ctr *t)
{
        char *props[] = {"DEVPASS_TEST=1", "ID_FS_TYPE=ext4", "DEVTYPE=disk",
                         "DEVNAME=/dev/host-name-must-not-leak", NULL};
        char *tags[] = {"seat", NULL};
        char devpath[128], path[64];
        fwd_case fc = {
                .subsystem = "block",
                .devpath = devpath,
                .filters = "--subsystem-match=block/disk --tag-match=seat",
                .props = props,
                .tags = tags,
                .node = {.path = path,
                         .type = 'b',
                         .major = loop.major,
                         .minor = loop.minor,
                         .mode = 0660},
                .want_prop = "ID_FS_TYPE=ext4",
        };

        snprintf(devpath, sizeof(devpath), "/devices/virtual/block/%s",
                 loopname);
        snprintf(path, sizeof(path), "/dev/%s", loopname);
        check_cycle(t, &fc);
}

static void check_macvtap(const ctr *t)
{
        _cleanup_free_ char *idx = NULL, *dev = NULL, *link = NULL;
        char *props[] = {"DEVPASS_TEST=mv", NULL};
        char *tags[] = {"seat", NULL};
        char devpath[256], path[64];
        unsigned maj, min;
        fwd_case fc = {
                .subsystem = "macvtap",
                .devpath = devpath,
                .filters = "--subsystem-match=macvtap --tag-match=seat",
                .props = props,
                .tags = tags,
                .want_prop = "DEVPASS_TEST=mv",
        };

        /* Made inside the container's netns, so that its sysfs (which
         * shows only its own netns's NICs) has the device libudev looks
         * up. */
        if (ctr_net(t, "ip link add dptfva type veth peer name dptfvb") != 0)
                skip();
        assert_int_equal(ctr_net(t, "ip link add link dptfva name dptfmv "
                                    "type macvtap mode bridge"),
                         0);
        assert_int_equal(
                dpt_ctr_sh(t, &idx, "cat /sys/class/net/dptfmv/ifindex"), 0);
        assert_int_equal(
                dpt_ctr_sh(t, &dev,
                           "cat /sys/class/net/dptfmv/macvtap/tap%s/dev", idx),
                0);
        assert_int_equal(sscanf(dev, "%u:%u", &maj, &min), 2);
        assert_int_equal(
                dpt_ctr_sh(t, &link, "readlink -f /sys/class/net/dptfmv"), 0);
        assert_true(strneq(link, "/sys/", 5));
        snprintf(devpath, sizeof(devpath), "%s/macvtap/tap%s", link + 4, idx);
        snprintf(path, sizeof(path), "/dev/tap%s", idx);
        fc.node = (dp_node_spec){.path = path,
                                 .type = 'c',
                                 .major = maj,
                                 .minor = min,
                                 .mode = 0600};
        check_cycle(t, &fc);
        assert_int_equal(ctr_net(t, "ip link del dptfva"), 0);
}

static void test_priv_loop(void **state)
{
        check_loop(shared_priv);
}

static void test_priv_macvtap(void **state)
{
        check_macvtap(shared_priv);
}

static void test_userns_loop(void **state)
{
        check_loop(shared_userns);
}

static void test_userns_macvtap(void **state)
{
        check_macvtap(shared_userns);
}

/* ---- when devpass must stay out ---- */

static dp_node_spec loop_spec(void)
{
        return (dp_node_spec){.path = "/dev/dptfloop",
                              .type = 'b',
                              .major = loop.major,
                              .minor = loop.minor,
                              .mode = 0660};
}

static int fwd_loop(const ctr *t, const char *action)
{
        char *props[] = {"DEVPASS_TEST=1", NULL};
        char *tags[] = {"seat", NULL};
        dp_node_spec spec = loop_spec();
        char devpath[128];

        snprintf(devpath, sizeof(devpath), "/devices/virtual/block/%s",
                 loopname);
        return dp_act_forward(&t->c, action, "block", devpath, props, tags,
                              &spec);
}

static void test_live_control_socket(void **state)
{
        ctr *t = *state;
        _cleanup_free_ char *udev = in_root(t, "/run/udev");
        _cleanup_free_ char *ctl = in_root(t, "/run/udev/control");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int s = -EBADF;

        assert_int_equal(mkdir(udev, 0755), 0);
        s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        assert_true(s >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl);
        assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(s, 4), 0);

        assert_int_equal(fwd_loop(t, "add"), -EBUSY);
        assert_false(exists_in(t, "/run/udev/data"));
        assert_false(exists_in(t, "/run/udev/tags"));

        /* A udevd that went away leaves a stale socket: not a udevd. */
        s = safe_close(s);
        assert_int_equal(fwd_loop(t, "add"), 0);
        {
                char rel[64];

                snprintf(rel, sizeof(rel), "/run/udev/data/b%u:%u", loop.major,
                         loop.minor);
                assert_true(exists_in(t, rel));
                assert_int_equal(fwd_loop(t, "remove"), 0);
                assert_false(exists_in(t, rel));
        }
}

static void test_udevd_process(void **state)
{
        ctr *t = shared_priv;
        char rel[64];

        /* A process named systemd-udevd in the container's pid namespace. */
        assert_int_equal(
                dpt_ctr_sh(t, NULL,
                           "cp /usr/bin/sleep /tmp/systemd-udevd && "
                           "(/tmp/systemd-udevd 60 </dev/null "
                           ">/dev/null 2>&1 & echo $! >/tmp/udevd.pid)"),
                0);
        snprintf(rel, sizeof(rel), "/run/udev/data/b%u:%u", loop.major,
                 loop.minor);
        for (int i = 0; i < 200; i++) {
                int r = fwd_loop(t, "add");

                if (r == -EBUSY)
                        break;
                /* The process may not have exec'd yet. */
                assert_int_equal(r, 0);
                assert_int_equal(fwd_loop(t, "remove"), 0);
                sleep_ms(10);
                if (i == 199)
                        fail_msg("systemd-udevd process not detected");
        }
        assert_false(exists_in(t, rel));
        assert_int_equal(dpt_ctr_sh(t, NULL,
                                    "kill $(cat /tmp/udevd.pid); "
                                    "while kill -0 $(cat /tmp/udevd.pid) "
                                    "2>/dev/null; do sleep 0.05; done; "
                                    "rm -f /tmp/systemd-udevd /tmp/udevd.pid"),
                         0);
        assert_int_equal(fwd_loop(t, "add"), 0);
        assert_true(exists_in(t, rel));
        assert_int_equal(fwd_loop(t, "remove"), 0);
        assert_false(exists_in(t, rel));
}

static void test_no_run_udev(void **state)
{
        ctr *t = *state;

        assert_false(exists_in(t, "/run/udev"));
        assert_int_equal(fwd_loop(t, "add"), -ENOTDIR);
        assert_int_equal(fwd_loop(t, "remove"), -ENOTDIR);
        assert_false(exists_in(t, "/run/udev"));
}

static void assert_host_absent(const char *path)
{
        struct stat st;

        if (lstat(path, &st) == 0)
                fail_msg("%s exists on the host", path);
}

static void test_symlinks(void **state)
{
        ctr *t = *state;
        _cleanup_free_ char *udev = in_root(t, "/run/udev");
        _cleanup_free_ char *data = in_root(t, "/run/udev/data");
        char id[32];
        int r;

        snprintf(id, sizeof(id), "b%u:%u", loop.major, loop.minor);

        /* /run/udev -> / */
        assert_int_equal(symlink("/", udev), 0);
        r = fwd_loop(t, "add");
        assert_true(r < 0);
        assert_int_not_equal(r, -EBUSY);
        assert_host_absent("/control");
        assert_host_absent("/data");
        assert_host_absent("/tags");
        assert_false(exists_in(t, "/control"));
        assert_false(exists_in(t, "/data"));
        assert_false(exists_in(t, "/tags"));
        assert_int_equal(unlink(udev), 0);

        /* /run/udev/data -> /etc and /run/udev/tags -> /etc */
        assert_int_equal(mkdir(udev, 0755), 0);
        assert_int_equal(symlink("/etc", data), 0);
        assert_int_equal(fwd_loop(t, "add"), -ELOOP);
        {
                char p[128];
                _cleanup_free_ char *inside = NULL;

                snprintf(p, sizeof(p), "/etc/%s", id);
                assert_host_absent(p);
                snprintf(p, sizeof(p), "/etc/%s", id);
                inside = in_root(t, p);
                assert_host_absent(inside);
        }
        assert_int_equal(unlink(data), 0);

        /* A symlink planted at the record's own name is replaced, never
         * followed. */
        {
                _cleanup_free_ char *rec = NULL, *tags = NULL;
                struct stat st;

                assert_int_equal(mkdir(data, 0755), 0);
                assert_true(asprintf(&rec, "%s/%s", data, id) >= 0);
                assert_int_equal(symlink("/etc/dptf-target", rec), 0);
                assert_int_equal(fwd_loop(t, "add"), 0);
                assert_host_absent("/etc/dptf-target");
                assert_int_equal(lstat(rec, &st), 0);
                assert_true(S_ISREG(st.st_mode));

                /* The tag dir as a symlink: refused. */
                assert_int_equal(fwd_loop(t, "remove"), 0);
                tags = in_root(t, "/run/udev/tags/seat");
                assert_int_equal(rmdir(tags), 0);
                assert_int_equal(symlink("/etc", tags), 0);
                assert_int_equal(fwd_loop(t, "add"), -ELOOP);
                {
                        char p[128];

                        snprintf(p, sizeof(p), "/etc/%s", id);
                        assert_host_absent(p);
                }
                assert_int_equal(unlink(tags), 0);
        }
}

static void test_bad_args(void **state)
{
        const ctr *t = shared_priv;
        dp_node_spec spec = loop_spec();
        dp_node_spec bad = spec;
        char *badtags[] = {"../../etc", NULL};

        assert_int_equal(dp_act_forward(&t->c, "bind", "block", "/devices/x",
                                        NULL, NULL, &spec),
                         -EINVAL);
        assert_int_equal(dp_act_forward(&t->c, "add", "block", "devices/x",
                                        NULL, NULL, &spec),
                         -EINVAL);
        assert_int_equal(dp_act_forward(&t->c, "add", "", "/devices/x", NULL,
                                        NULL, &spec),
                         -EINVAL);
        assert_int_equal(dp_act_forward(&t->c, "add", "block", "/devices/x",
                                        NULL, badtags, &spec),
                         -EINVAL);
        bad.path = "/dev/../etc/x";
        assert_int_equal(dp_act_forward(&t->c, "add", "block", "/devices/x",
                                        NULL, NULL, &bad),
                         -EINVAL);
        bad = spec;
        bad.type = 'x';
        assert_int_equal(dp_act_forward(&t->c, "add", "block", "/devices/x",
                                        NULL, NULL, &bad),
                         -EINVAL);
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
        if (dpt_nodedir_make(nodedir) < 0)
                return -1;
        if (dpt_loop_make(&loop, "/tmp/dptfwdloopXXXXXX", NULL) < 0) {
                fprintf(stderr, "cannot set up a loop device\n");
                return -1;
        }
        snprintf(loopname, sizeof(loopname), "%.31s", loop.dev + 5);
        shared_priv = dpt_ctr_start(false, true);
        shared_userns = dpt_ctr_start(true, true);
        return shared_priv && shared_userns ? 0 : -1;
}

static int group_teardown(void **state)
{
        dpt_ctr_stop(shared_priv);
        dpt_ctr_stop(shared_userns);
        dpt_loop_remove(&loop);
        dpt_nodedir_remove(nodedir);
        return 0;
}

int main(int argc, char *argv[])
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_args),
                cmocka_unit_test(test_priv_loop),
                cmocka_unit_test(test_priv_macvtap),
                cmocka_unit_test(test_userns_loop),
                cmocka_unit_test(test_userns_macvtap),
                cmocka_unit_test(test_udevd_process),
                cmocka_unit_test_setup_teardown(test_live_control_socket,
                                                dpt_ctr_setup_priv,
                                                dpt_ctr_teardown),
                cmocka_unit_test_setup_teardown(
                        test_no_run_udev, dpt_ctr_setup_priv, dpt_ctr_teardown),
                cmocka_unit_test_setup_teardown(
                        test_symlinks, dpt_ctr_setup_priv, dpt_ctr_teardown),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s PATH-TO-dp-testctr\n", argv[0]);
                return 2;
        }
        dpt_ctr_init(argv[1], "dptf", 0);
        if (geteuid() != 0) {
                printf("needs root: creates containers, loop devices, "
                       "namespaces\n");
                return 77;
        }
        if (access("/dev/loop-control", F_OK) < 0) {
                printf("no loop device support (/dev/loop-control)\n");
                return 77;
        }
        if (access("/usr/bin/udevadm", X_OK) < 0 &&
            access("/bin/udevadm", X_OK) < 0) {
                printf("udevadm is not installed (package udev)\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
