/* SPDX-License-Identifier: MIT */
/* Device node injection (agent/act/node*.c) into real test containers:
 * privileged ones (mknod through the container root) and user-namespaced ones
 * (host tmpfs node bind-mounted in), with a real loop device read from
 * inside, owner/mode as seen inside, hostile symlink layouts and a container
 * whose init died after it was resolved. Needs root; usage:
 * test-act-node PATH-TO-dp-testctr */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctr-util.h"
#include "devpass/act.h"
#include "devpass/macro.h"

static char nodedir[] = "/tmp/dptnodesXXXXXX";
static dpt_loop loop;
static char marker[64];

typedef dpt_ctr ctr;

/* The shared containers for the tests that leave them intact. */
static ctr *shared_priv, *shared_userns;

static void assert_sh_output(const ctr *t, const char *cmd, const char *want)
{
        _cleanup_free_ char *out = NULL;

        assert_int_equal(dpt_ctr_sh(t, &out, "%s", cmd), 0);
        assert_non_null(out);
        assert_string_equal(out, want);
}

static void assert_open_result(const ctr *t, const char *path, const char *want)
{
        const char *argv[] = {dpt_testctr, "open", t->pidstr, path, "r", NULL};
        _cleanup_free_ char *out = NULL;

        (void)dpt_run_argv(&out, NULL, argv);
        assert_non_null(out);
        out[strcspn(out, "\n")] = 0;
        assert_string_equal(out, want);
}

static bool in_mountinfo(pid_t pid, const char *mountpoint)
{
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], line[4096];

        snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
        f = fopen(path, "re");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                char mp[4096];

                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 &&
                    streq(mp, mountpoint))
                        return true;
        }
        return false;
}

static void closedirp_(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* Host-side nodes devpass keeps for container pid. */
static unsigned count_host_nodes(pid_t pid)
{
        _cleanup_(closedirp_) DIR *d = NULL;
        struct dirent *de;
        char prefix[32];
        unsigned n = 0;

        snprintf(prefix, sizeof(prefix), "%d-", (int)pid);
        d = opendir(nodedir);
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (strneq(de->d_name, prefix, strlen(prefix)))
                        n++;
        return n;
}

static void assert_host_absent(const char *path)
{
        struct stat st;

        if (lstat(path, &st) == 0)
                fail_msg("%s exists on the host", path);
}

static void assert_rootfs_absent(const ctr *t, const char *rel)
{
        char p[1024];

        snprintf(p, sizeof(p), "%s/%s", t->rootfs, rel);
        assert_host_absent(p);
}

/* ---- the node lifecycle, shared by both container kinds ---- */

static void check_loop_lifecycle(const ctr *t)
{
        dp_node_spec spec = {.path = "/dev/dptloop",
                             .type = 'b',
                             .major = loop.major,
                             .minor = loop.minor,
                             .mode = 0660,
                             .uid = 0,
                             .gid = 6};
        _cleanup_free_ char *out = NULL;
        const char *argv[] = {dpt_testctr, "exec",    t->pidstr,
                              "--",        "dd",      "if=/dev/dptloop",
                              "bs=512",    "count=1", NULL};
        size_t len = 0;
        bool created = false;

        assert_int_equal(dp_act_node_present(&t->c, &spec), 0);
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), 0);
        assert_true(created);
        assert_int_equal(dp_act_node_present(&t->c, &spec), 1);

        /* The data written on the host is read through the node inside. */
        assert_int_equal(dpt_run_argv(&out, &len, argv), 0);
        assert_true(len >= strlen(marker));
        assert_non_null(memmem(out, len, marker, strlen(marker)));
        assert_sh_output(t, "stat -c '%a %u %g %F' /dev/dptloop",
                         "660 0 6 block special file");

        /* Same node again: adopted, not an error. */
        created = true;
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), 0);
        assert_false(created);
        /* A node that is already there in a privileged container's /dev is
         * never re-owned or re-moded: it may be the container's bind mount
         * of a host /dev entry. (A user-namespaced container's node is
         * devpass's own, on its host tmpfs.) */
        dp_node_spec other = spec;
        other.mode = 0666;
        other.uid = 1000;
        other.gid = 1000;
        assert_int_equal(dp_act_node_create(&t->c, &other, &created), 0);
        assert_false(created);
        assert_sh_output(t, "stat -c '%a %u %g %F' /dev/dptloop",
                         t->uid_base != 0 ? "666 1000 1000 block special file"
                                          : "660 0 6 block special file");

        assert_int_equal(dp_act_node_remove(&t->c, &spec), 0);
        assert_int_equal(dp_act_node_present(&t->c, &spec), 0);
        assert_int_not_equal(dpt_ctr_sh(t, NULL, "test -e /dev/dptloop"), 0);
        /* Missing is success. */
        assert_int_equal(dp_act_node_remove(&t->c, &spec), 0);
}

static void check_nested_mode_owner(const ctr *t)
{
        dp_node_spec spec = {.path = "/dev/dri/card0",
                             .type = 'c',
                             .major = 226,
                             .minor = 0,
                             .mode = 0640,
                             .uid = 1000,
                             .gid = 44};
        bool created = false;

        assert_int_not_equal(dpt_ctr_sh(t, NULL, "test -e /dev/dri"), 0);
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), 0);
        assert_true(created);
        assert_sh_output(t, "stat -c '%a %u %g %F %t:%T' /dev/dri/card0",
                         "640 1000 44 character special file e2:0");
        assert_sh_output(t, "stat -c '%a %u %g %F' /dev/dri",
                         "755 0 0 directory");
        /* No driver for 226 here: ENXIO means the node itself opens and the
         * cgroup let it through. */
        assert_open_result(t, "/dev/dri/card0", "ENXIO");

        /* Adopting a node of a user-namespaced container fixes its owner
         * and mode (the node is devpass's own, on its host tmpfs); in a
         * privileged container what is there is left as it is. */
        spec.mode = 0600;
        spec.uid = 5;
        spec.gid = 6;
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), 0);
        assert_false(created);
        assert_sh_output(t, "stat -c '%a %u %g' /dev/dri/card0",
                         t->uid_base != 0 ? "600 5 6" : "640 1000 44");

        assert_int_equal(dp_act_node_remove(&t->c, &spec), 0);
        assert_int_not_equal(dpt_ctr_sh(t, NULL, "test -e /dev/dri/card0"), 0);
        /* The directory stays: it may hold other things by now. */
        assert_int_equal(dpt_ctr_sh(t, NULL, "test -d /dev/dri"), 0);
}

/* A node devpass made gets a new mode and owner in place: the same inode
 * (the container sees it change, a descriptor open on it stays valid). */
static void check_set_attrs(const ctr *t)
{
        dp_node_spec spec = {.path = "/dev/dptattr",
                             .type = 'c',
                             .major = 226,
                             .minor = 1,
                             .mode = 0660,
                             .uid = 0,
                             .gid = 0};
        _cleanup_free_ char *ino = NULL, *ino_after = NULL;
        bool created = false;

        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), 0);
        assert_true(created);
        assert_int_equal(dpt_ctr_sh(t, &ino, "stat -c %%i /dev/dptattr"), 0);
        spec.mode = 0604;
        spec.uid = 7;
        spec.gid = 8;
        assert_int_equal(dp_act_node_set_attrs(&t->c, &spec), 0);
        assert_sh_output(t, "stat -c '%a %u %g' /dev/dptattr", "604 7 8");
        assert_int_equal(dpt_ctr_sh(t, &ino_after, "stat -c %%i /dev/dptattr"),
                         0);
        assert_non_null(ino);
        assert_non_null(ino_after);
        assert_string_equal(ino, ino_after);
        assert_int_equal(dp_act_node_remove(&t->c, &spec), 0);
        /* nothing there: nothing changed, nothing made */
        assert_int_equal(dp_act_node_set_attrs(&t->c, &spec), -ENOENT);
        assert_int_not_equal(dpt_ctr_sh(t, NULL, "test -e /dev/dptattr"), 0);
}

/* Things already at the target are never replaced nor removed. */
static void check_existing_targets(const ctr *t, bool with_mknod)
{
        static const char *const names[] = {"dptreg", "dptfifo",    "dptdir",
                                            "dptsym", "dptnullsym", "dptother",
                                            "dptblk"};
        char cmd[512], path[64];
        size_t n = with_mknod ? ELEMENTSOF(names) : ELEMENTSOF(names) - 2;
        bool created = false;

        snprintf(cmd, sizeof(cmd),
                 "echo x > /dev/dptreg && mknod /dev/dptfifo p && "
                 "mkdir /dev/dptdir && ln -s /etc/passwd /dev/dptsym && "
                 "ln -s /dev/null /dev/dptnullsym%s",
                 with_mknod ? " && mknod /dev/dptother c 1 3 && "
                              "mknod /dev/dptblk b 1 3"
                            : "");
        assert_int_equal(dpt_ctr_sh(t, NULL, "%s", cmd), 0);

        for (size_t i = 0; i < n; i++) {
                /* c 1:3 is /dev/null: even a symlink to a node with the
                 * right rdev must not be taken for it. */
                dp_node_spec spec = {.path = path,
                                     .type = 'c',
                                     .major = 1,
                                     .minor = 3,
                                     .mode = 0666};

                snprintf(path, sizeof(path), "/dev/%s", names[i]);
                if (streq(names[i], "dptother"))
                        spec.minor = 5;
                assert_int_equal(dp_act_node_create(&t->c, &spec, &created),
                                 -EEXIST);
                assert_int_equal(dp_act_node_remove(&t->c, &spec), -EEXIST);
                assert_int_equal(dp_act_node_present(&t->c, &spec), 0);
        }
        assert_sh_output(t,
                         "stat -c '%F' /dev/dptreg /dev/dptfifo /dev/dptdir "
                         "/dev/dptsym /dev/dptnullsym | tr '\\n' ,",
                         "regular file,fifo,directory,symbolic link,"
                         "symbolic link,");
        assert_sh_output(t, "cat /dev/dptreg; readlink /dev/dptsym",
                         "x\n/etc/passwd");
        if (with_mknod)
                assert_sh_output(t,
                                 "stat -c '%F %t:%T' /dev/dptother "
                                 "/dev/dptblk | tr '\\n' ,",
                                 "character special file 1:3,"
                                 "block special file 1:3,");
        assert_int_equal(
                dpt_ctr_sh(t, NULL,
                           "rm -rf /dev/dptreg /dev/dptfifo /dev/dptdir "
                           "/dev/dptsym /dev/dptnullsym /dev/dptother "
                           "/dev/dptblk"),
                0);
}

/* `/dev/dri -> /etc` and a symlinked directory on the way: -ELOOP, nothing
 * created on the host or anywhere in the container. Then `/dev -> /`. */
static void check_hostile_symlinks(const ctr *t)
{
        dp_node_spec spec = {.path = "/dev/dri/dptcard",
                             .type = 'c',
                             .major = 226,
                             .minor = 0,
                             .mode = 0666};
        bool created = false;

        assert_int_equal(dpt_ctr_sh(t, NULL,
                                    "rm -rf /dev/dri && ln -s /etc /dev/dri && "
                                    "ln -s /tmp /dev/dptsub"),
                         0);
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -ELOOP);
        assert_host_absent("/etc/dptcard");
        assert_rootfs_absent(t, "etc/dptcard");
        assert_int_not_equal(dpt_ctr_sh(t, NULL, "test -e /etc/dptcard"), 0);
        assert_int_equal(dp_act_node_present(&t->c, &spec), 0);
        assert_int_equal(dp_act_node_remove(&t->c, &spec), -ELOOP);

        spec.path = "/dev/dptsub/dpt2/card0";
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -ELOOP);
        assert_host_absent("/tmp/dpt2");
        assert_rootfs_absent(t, "tmp/dpt2");

        /* Now the whole /dev is a symlink to the container's /. */
        /* Lazily: /dev carries the pts and shm mounts. */
        assert_int_equal(dpt_ctr_sh(t, NULL,
                                    "umount -l /dev && rm -rf /dev && "
                                    "ln -s / /dev"),
                         0);
        assert_sh_output(t, "readlink /dev", "/");
        spec.path = "/dev/dptevil";
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -ELOOP);
        spec.path = "/dev/dptevildir/card0";
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -ELOOP);
        assert_host_absent("/dptevil");
        assert_host_absent("/dptevildir");
        assert_rootfs_absent(t, "dptevil");
        assert_rootfs_absent(t, "dptevildir");
        assert_int_not_equal(dpt_ctr_sh(t, NULL, "test -e /dptevil"), 0);
        assert_int_equal(count_host_nodes(t->c.pid), 0);
}

/* Init died after the container was resolved: the pidfd says so and nothing
 * is created anywhere, whatever now holds the PID. */
static void check_dead_init(ctr *t)
{
        dp_node_spec spec = {.path = "/dev/dptdead",
                             .type = 'c',
                             .major = 226,
                             .minor = 0,
                             .mode = 0666};
        struct pollfd p = {.fd = t->c.pidfd, .events = POLLIN};
        bool created = false;

        assert_int_equal(kill(t->c.pid, SIGKILL), 0);
        assert_int_equal(poll(&p, 1, 10000), 1);
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -ESRCH);
        assert_int_equal(dp_act_node_present(&t->c, &spec), -ESRCH);
        assert_int_equal(dp_act_node_remove(&t->c, &spec), -ESRCH);
        assert_host_absent("/dev/dptdead");
        assert_rootfs_absent(t, "dev/dptdead");
        assert_int_equal(count_host_nodes(t->c.pid), 0);
}

static void test_bad_specs(void **state)
{
        const ctr *t = shared_priv;
        dp_node_spec spec = {.path = "/dev/../etc/dptx",
                             .type = 'c',
                             .major = 1,
                             .minor = 3,
                             .mode = 0666};
        bool created;

        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -EINVAL);
        spec.path = "dev/x";
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -EINVAL);
        spec.path = "/";
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -EINVAL);
        spec.path = "/dev/dptx";
        spec.type = 'p';
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -EINVAL);
        spec.type = 'c';
        spec.mode = 0100666;
        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), -EINVAL);
        /* An id that the user namespace does not map. */
        spec.mode = 0666;
        spec.uid = 70000;
        assert_int_equal(dp_act_node_create(&shared_userns->c, &spec, &created),
                         -ERANGE);
        assert_host_absent("/etc/dptx");
}

static void test_priv_loop(void **state)
{
        check_loop_lifecycle(shared_priv);
}

static void test_priv_nested_mode_owner(void **state)
{
        check_nested_mode_owner(shared_priv);
}

static void test_priv_existing(void **state)
{
        check_existing_targets(shared_priv, true);
}

static void test_priv_hostile(void **state)
{
        check_hostile_symlinks(*state);
}

static void test_priv_dead_init(void **state)
{
        check_dead_init(*state);
}

static void test_priv_set_attrs(void **state)
{
        check_set_attrs(shared_priv);
}

static void test_userns_set_attrs(void **state)
{
        check_set_attrs(shared_userns);
}

static void test_userns_loop(void **state)
{
        const ctr *t = shared_userns;

        check_loop_lifecycle(t);
        /* Gone for good: no mount left inside, no node left on the host. */
        assert_false(in_mountinfo(t->c.pid, "/dev/dptloop"));
        assert_int_equal(count_host_nodes(t->c.pid), 0);
}

static void test_userns_mount_visible(void **state)
{
        const ctr *t = shared_userns;
        dp_node_spec spec = {.path = "/dev/dptm",
                             .type = 'c',
                             .major = 189,
                             .minor = 1,
                             .mode = 0660,
                             .uid = 0,
                             .gid = 0};
        bool created = false;

        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), 0);
        assert_true(created);
        assert_true(in_mountinfo(t->c.pid, "/dev/dptm"));
        assert_int_equal(count_host_nodes(t->c.pid), 1);
        assert_open_result(t, "/dev/dptm", "ENXIO");
        assert_int_equal(dp_act_node_remove(&t->c, &spec), 0);
        assert_false(in_mountinfo(t->c.pid, "/dev/dptm"));
        assert_int_equal(count_host_nodes(t->c.pid), 0);
        /* The placeholder under the mount went too. */
        assert_int_not_equal(dpt_ctr_sh(t, NULL, "test -e /dev/dptm"), 0);
}

static void test_userns_nested_mode_owner(void **state)
{
        check_nested_mode_owner(shared_userns);
        assert_false(in_mountinfo(shared_userns->c.pid, "/dev/dri/card0"));
        assert_int_equal(count_host_nodes(shared_userns->c.pid), 0);
}

static void test_userns_existing(void **state)
{
        /* mknod of device nodes is not allowed in a user namespace. */
        check_existing_targets(shared_userns, false);
        assert_int_equal(count_host_nodes(shared_userns->c.pid), 0);
}

static void test_userns_hostile(void **state)
{
        check_hostile_symlinks(*state);
}

static void test_userns_dead_init(void **state)
{
        check_dead_init(*state);
}

/* ---- fixtures: a loop device, the host node dir, shared containers ---- */

static int group_setup(void **state)
{
        if (dpt_nodedir_make(nodedir) < 0)
                return -1;
        snprintf(marker, sizeof(marker), "DPT-NODE-MARKER-%d", (int)getpid());
        if (dpt_loop_make(&loop, "/tmp/dptnloopXXXXXX", marker) < 0) {
                fprintf(stderr, "cannot set up a loop device\n");
                return -1;
        }
        shared_priv = dpt_ctr_start(false, false);
        shared_userns = dpt_ctr_start(true, false);
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
                cmocka_unit_test(test_bad_specs),
                cmocka_unit_test(test_priv_loop),
                cmocka_unit_test(test_priv_nested_mode_owner),
                cmocka_unit_test(test_priv_existing),
                cmocka_unit_test_setup_teardown(test_priv_hostile,
                                                dpt_ctr_setup_priv,
                                                dpt_ctr_teardown),
                cmocka_unit_test_setup_teardown(test_priv_dead_init,
                                                dpt_ctr_setup_priv,
                                                dpt_ctr_teardown),
                cmocka_unit_test(test_priv_set_attrs),
                cmocka_unit_test(test_userns_set_attrs),
                cmocka_unit_test(test_userns_loop),
                cmocka_unit_test(test_userns_mount_visible),
                cmocka_unit_test(test_userns_nested_mode_owner),
                cmocka_unit_test(test_userns_existing),
                cmocka_unit_test_setup_teardown(test_userns_hostile,
                                                dpt_ctr_setup_userns,
                                                dpt_ctr_teardown),
                cmocka_unit_test_setup_teardown(test_userns_dead_init,
                                                dpt_ctr_setup_userns,
                                                dpt_ctr_teardown),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s PATH-TO-dp-testctr\n", argv[0]);
                return 2;
        }
        /* A stuck launcher fails the test instead of hanging it. */
        dpt_ctr_init(argv[1], "dptn", 30000);
        if (geteuid() != 0) {
                printf("needs root: creates containers, loop devices and "
                       "mounts\n");
                return 77;
        }
        if (access("/dev/loop-control", F_OK) < 0) {
                printf("no loop device support (/dev/loop-control)\n");
                return 77;
        }
        if (syscall(SYS_open_tree, -1, "", 0) < 0 && errno == ENOSYS) {
                printf("open_tree(2) is not available on this kernel\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
