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

#include "devpass/act.h"
#include "devpass/macro.h"

static const char *testctr;
static char nodedir[] = "/tmp/dptfwdnodesXXXXXX";
static char loopfile[] = "/tmp/dptfwdloopXXXXXX";
static char loopdev[64], loopname[32];
static unsigned loop_major, loop_minor;
static unsigned ctr_seq, mon_seq;

typedef struct ctr {
        dp_container c;
        char name[64];
        char rootfs[512];
        char pidstr[16];
        unsigned uid_base;
} ctr;

static ctr *shared_priv, *shared_userns;

/* Runs argv; stdout in *out (NUL-ended); returns the exit status or -1. */
static int run_argv(char **out, const char *const argv[])
{
        int pfd[2], status;
        char *buf = NULL;
        size_t len = 0, alloc = 0;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -1;
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                dup2(pfd[1], STDOUT_FILENO);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        close(pfd[1]);
        for (;;) {
                ssize_t n;

                if (alloc - len < 4096) {
                        alloc = alloc ? alloc * 2 : 8192;
                        buf = realloc(buf, alloc + 1);
                        assert_non_null(buf);
                }
                n = read(pfd[0], buf + len, alloc - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        close(pfd[0]);
        buf[len] = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        if (out)
                *out = buf;
        else
                free(buf);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* `sh -c CMD` inside the container; stdout without trailing newlines. */
static int ctr_sh(const ctr *t, char **out, const char *fmt, ...)
{
        const char *argv[] = {testctr, "exec", t->pidstr, "--",
                              "sh",    "-c",   NULL,      NULL};
        _cleanup_free_ char *cmd = NULL;
        char *o = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        assert_true(r >= 0);
        argv[6] = cmd;
        r = run_argv(&o, argv);
        if (o) {
                size_t n = strlen(o);

                while (n > 0 && o[n - 1] == '\n')
                        o[--n] = 0;
        }
        if (out)
                *out = o;
        else
                free(o);
        return r;
}

/* A host command in the container's network namespace. */
static int ctr_net(const ctr *t, const char *cmd)
{
        const char *argv[] = {"/bin/sh", "-c", NULL, NULL};
        _cleanup_free_ char *full = NULL;

        assert_true(asprintf(&full, "nsenter -t %s -n %s >/dev/null 2>&1",
                             t->pidstr, cmd) >= 0);
        argv[2] = full;
        return run_argv(NULL, argv);
}

static void ctr_free(ctr *t)
{
        if (!t)
                return;
        safe_close(t->c.pidfd);
        free(t->c.ref);
        free(t->c.name);
        free(t->c.uid_map);
        free(t->c.gid_map);
        free(t->c.cgroup_v1_devices);
        free(t->c.cgroup_v2);
        free(t);
}

static void ctr_stop(ctr *t)
{
        const char *argv[] = {testctr, "stop", NULL, NULL};

        if (!t)
                return;
        if (t->name[0]) {
                argv[2] = t->name;
                (void)run_argv(NULL, argv);
        }
        ctr_free(t);
}

static ctr *ctr_start(bool userns, bool share_usr)
{
        const char *argv[] = {testctr, "start", "--name", NULL,
                              NULL,    NULL,    NULL};
        const char *info_argv[] = {testctr, "info", NULL, NULL};
        _cleanup_free_ char *out = NULL, *info = NULL;
        char *save = NULL;
        unsigned base_g = 0;
        ctr *t = calloc(1, sizeof(*t));
        int pid = 0, n = 4;

        if (!t)
                return NULL;
        t->c.pidfd = -EBADF;
        snprintf(t->name, sizeof(t->name), "dptf%d-%u", (int)getpid(),
                 ++ctr_seq);
        argv[3] = t->name;
        if (userns)
                argv[n++] = "--userns";
        if (share_usr)
                argv[n++] = "--share-usr";
        if (run_argv(&out, argv) != 0 || sscanf(out, "%d", &pid) != 1 ||
            pid <= 0) {
                fprintf(stderr, "dp-testctr start failed: %s\n", strna(out));
                t->name[0] = 0;
                ctr_free(t);
                return NULL;
        }
        snprintf(t->pidstr, sizeof(t->pidstr), "%d", pid);
        info_argv[2] = t->pidstr;
        if (run_argv(&info, info_argv) != 0)
                goto fail;
        for (char *l = strtok_r(info, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
                if (strneq(l, "uid_base=", 9))
                        t->uid_base = (unsigned)strtoul(l + 9, NULL, 10);
                else if (strneq(l, "gid_base=", 9))
                        base_g = (unsigned)strtoul(l + 9, NULL, 10);
                else if (strneq(l, "rootfs=", 7))
                        snprintf(t->rootfs, sizeof(t->rootfs), "%s", l + 7);
        }
        t->c.pid = pid;
        t->c.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (t->c.pidfd < 0)
                goto fail;
        t->c.runtime = DP_RUNTIME_PID;
        if (asprintf(&t->c.ref, "pid:%d", pid) < 0)
                goto fail;
        t->c.name = strdup(t->pidstr);
        t->c.userns = userns;
        if (userns) {
                t->c.uid_map = calloc(1, sizeof(dp_idmap_range));
                t->c.gid_map = calloc(1, sizeof(dp_idmap_range));
                if (!t->c.uid_map || !t->c.gid_map || t->uid_base == 0)
                        goto fail;
                *t->c.uid_map = (dp_idmap_range){0, t->uid_base, 65536};
                *t->c.gid_map = (dp_idmap_range){0, base_g, 65536};
                t->c.n_uid_map = t->c.n_gid_map = 1;
        }
        return t;
fail:
        fprintf(stderr, "cannot describe container %s\n", t->name);
        ctr_stop(t);
        return NULL;
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
                ctr_sh(t, NULL,
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
        (void)ctr_sh(t, NULL, "kill $(cat %s)", m->pidfile);
        for (int i = 0; i < 500 && udev_listeners(t) > 0; i++)
                sleep_ms(10);
        assert_int_equal(udev_listeners(t), 0);
        (void)ctr_sh(t, NULL, "rm -f %s %s", m->out, m->pidfile);
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
        assert_int_equal(
                ctr_sh(t, &info, "udevadm info --query=property %s", n->path),
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
                         .major = loop_major,
                         .minor = loop_minor,
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
        assert_int_equal(ctr_sh(t, &idx, "cat /sys/class/net/dptfmv/ifindex"),
                         0);
        assert_int_equal(ctr_sh(t, &dev,
                                "cat /sys/class/net/dptfmv/macvtap/tap%s/dev",
                                idx),
                         0);
        assert_int_equal(sscanf(dev, "%u:%u", &maj, &min), 2);
        assert_int_equal(ctr_sh(t, &link, "readlink -f /sys/class/net/dptfmv"),
                         0);
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
                              .major = loop_major,
                              .minor = loop_minor,
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

                snprintf(rel, sizeof(rel), "/run/udev/data/b%u:%u", loop_major,
                         loop_minor);
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
        assert_int_equal(ctr_sh(t, NULL,
                                "cp /usr/bin/sleep /tmp/systemd-udevd && "
                                "(/tmp/systemd-udevd 60 </dev/null "
                                ">/dev/null 2>&1 & echo $! >/tmp/udevd.pid)"),
                         0);
        snprintf(rel, sizeof(rel), "/run/udev/data/b%u:%u", loop_major,
                 loop_minor);
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
        assert_int_equal(ctr_sh(t, NULL,
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

        snprintf(id, sizeof(id), "b%u:%u", loop_major, loop_minor);

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

static int setup_plain(void **state)
{
        return (*state = ctr_start(false, false)) ? 0 : -1;
}

static int teardown_ctr(void **state)
{
        ctr_stop(*state);
        *state = NULL;
        return 0;
}

/* ---- fixtures ---- */

static int make_loop(void)
{
        const char *argv[] = {"/sbin/losetup", "--find", "--show", loopfile,
                              NULL};
        _cleanup_free_ char *out = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = mkstemp(loopfile);
        if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
                return -1;
        if (run_argv(&out, argv) != 0)
                return -1;
        out[strcspn(out, "\n")] = 0;
        snprintf(loopdev, sizeof(loopdev), "%s", out);
        if (!strneq(loopdev, "/dev/", 5) || stat(loopdev, &st) < 0 ||
            !S_ISBLK(st.st_mode))
                return -1;
        snprintf(loopname, sizeof(loopname), "%.31s", loopdev + 5);
        loop_major = major(st.st_rdev);
        loop_minor = minor(st.st_rdev);
        return 0;
}

static int group_setup(void **state)
{
        if (!mkdtemp(nodedir))
                return -1;
        setenv("DEVPASS_NODE_DIR", nodedir, 1);
        if (make_loop() < 0) {
                fprintf(stderr, "cannot set up a loop device\n");
                return -1;
        }
        shared_priv = ctr_start(false, true);
        shared_userns = ctr_start(true, true);
        return shared_priv && shared_userns ? 0 : -1;
}

static int group_teardown(void **state)
{
        const char *argv[] = {"/sbin/losetup", "-d", loopdev, NULL};

        ctr_stop(shared_priv);
        ctr_stop(shared_userns);
        if (loopdev[0])
                (void)run_argv(NULL, argv);
        (void)unlink(loopfile);
        while (umount2(nodedir, MNT_DETACH) == 0)
                ;
        (void)rmdir(nodedir);
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
                                                setup_plain, teardown_ctr),
                cmocka_unit_test_setup_teardown(test_no_run_udev, setup_plain,
                                                teardown_ctr),
                cmocka_unit_test_setup_teardown(test_symlinks, setup_plain,
                                                teardown_ctr),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s PATH-TO-dp-testctr\n", argv[0]);
                return 2;
        }
        testctr = argv[1];
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
