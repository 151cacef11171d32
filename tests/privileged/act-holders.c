/* SPDX-License-Identifier: MIT */
/* Open-descriptor holders (agent/act/holders.c) in a real container whose
 * processes hide in nested pid namespaces: a loop device granted into a
 * privileged container is held open by one process in the container's own
 * pid namespace, one under `unshare -p -f --mount-proc` and one two levels
 * down. dp_act_holders() must list all three and nobody outside: not this
 * test (which holds the device too) and not a process in a pid namespace of
 * its own beside the container's. The pid namespace decision
 * (dp_pidns_pid_within) is checked on the same processes. evdev/hidraw
 * revocation needs devices this kernel lacks; for a block device
 * dp_act_revoke_open() says -EOPNOTSUPP. Needs root; usage: test-act-holders
 * PATH-TO-dp-testctr */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctr-util.h"
#include "devpass/act.h"
#include "devpass/macro.h"
#include "pidns.h"

static char nodedir[] = "/tmp/dphlnodesXXXXXX";
static dpt_loop loop;

static void sleep_ms(unsigned ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

static void pidns_of(pid_t pid, struct stat *ret)
{
        char p[64];

        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
        assert_int_equal(stat(p, ret), 0);
}

static bool same_ns(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* A host process in a pid namespace of its own (a sibling of the
 * container's) holding the loop device; stopped by sibling_stop(). */
static pid_t sibling = -1, sibling_parent = -1;

static void sibling_stop(void)
{
        if (sibling > 0)
                kill(sibling, SIGKILL);
        if (sibling_parent > 0)
                (void)waitpid(sibling_parent, NULL, 0);
        sibling = sibling_parent = -1;
}

static void sibling_start(void)
{
        int pidp[2], readyp[2];
        char ready;
        pid_t holder = -1;

        /* Two pipes: the holder may report before its parent does. */
        assert_int_equal(pipe2(pidp, O_CLOEXEC), 0);
        assert_int_equal(pipe2(readyp, O_CLOEXEC), 0);
        sibling_parent = fork();
        assert_true(sibling_parent >= 0);
        if (sibling_parent == 0) {
                pid_t c;

                if (unshare(CLONE_NEWPID) < 0)
                        _exit(1);
                c = fork();
                if (c == 0) {
                        int fd = open(loop.dev, O_RDONLY | O_CLOEXEC);

                        if (fd < 0)
                                _exit(1);
                        (void)!write(readyp[1], "", 1);
                        pause();
                        _exit(0);
                }
                (void)!write(pidp[1], &c, sizeof(c));
                (void)waitpid(c, NULL, 0);
                _exit(0);
        }
        close(pidp[1]);
        close(readyp[1]);
        if (read(pidp[0], &holder, sizeof(holder)) == sizeof(holder) &&
            holder > 0)
                sibling = holder;
        close(pidp[0]);
        assert_true(sibling > 0);
        assert_int_equal(read(readyp[0], &ready, 1), 1);
        close(readyp[0]);
}

static int holders_of_loop(const dpt_ctr *t, pid_t **ret, size_t *ret_n)
{
        return dp_act_holders(t->c.pid, 'b', loop.major, loop.minor, ret,
                              ret_n);
}

static void test_nested_holders(void **state)
{
        const dpt_ctr *t = *state;
        const dp_node_spec spec = {.path = "/dev/dphl",
                                   .type = 'b',
                                   .major = loop.major,
                                   .minor = loop.minor,
                                   .mode = 0660};
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_close_ int own = -EBADF;
        struct stat ns, self, st;
        size_t n = 0, in_init_ns = 0;
        bool created;

        assert_int_equal(dp_act_node_create(&t->c, &spec, &created), 0);
        if (dpt_ctr_sh(t, NULL, "unshare -p -f true") != 0)
                skip(); /* busybox without unshare */
        assert_int_equal(dpt_ctr_sh(t, NULL,
                                    "exec </dev/null >/dev/null 2>&1; "
                                    "H='exec 3</dev/dphl; exec sleep 300'; "
                                    "sh -c \"$H\" & "
                                    "unshare -p -f --mount-proc sh -c \"$H\" & "
                                    "unshare -p -f sh -c "
                                    "\"unshare -p -f sh -c '$H'\" &"),
                         0);

        /* The same device held on the host: by us, and from a pid
         * namespace beside the container's. */
        own = open(loop.dev, O_RDONLY | O_CLOEXEC);
        assert_true(own >= 0);
        sibling_start();

        for (int i = 0; i < 300; i++) {
                free(pids);
                pids = NULL;
                assert_int_equal(holders_of_loop(t, &pids, &n), 0);
                if (n >= 3)
                        break;
                sleep_ms(10);
        }
        pidns_of(t->c.pid, &ns);
        assert_int_equal(stat("/proc/self/ns/pid", &self), 0);
        for (size_t i = 0; i < n; i++) {
                assert_int_not_equal(pids[i], getpid());
                assert_int_not_equal(pids[i], sibling);
                pidns_of(pids[i], &st);
                if (same_ns(&st, &ns))
                        in_init_ns++;
                assert_int_equal(dp_pidns_pid_within(pids[i], &ns, &self), 1);
                printf("  holder %d%s\n", (int)pids[i],
                       same_ns(&st, &ns) ? " (container's pid namespace)"
                                         : " (nested pid namespace)");
        }
        assert_int_equal(dp_pidns_pid_within(sibling, &ns, &self), 0);
        sibling_stop();
        if (n != 3)
                fail_msg("expected 3 holders (one direct, two nested), got "
                         "%zu",
                         n);
        assert_int_equal(in_init_ns, 1);

        /* The decision itself, on processes outside. */
        assert_int_equal(dp_pidns_pid_within(getpid(), &ns, &self), 0);
        assert_int_equal(dp_pidns_pid_within(t->c.pid, &ns, &self), 1);
        /* A container sharing our namespace holds every process */
        assert_int_equal(dp_pidns_pid_within(getpid(), &self, &self), 1);
        assert_int_equal(dp_pidns_pid_within(0x7ffffff0, &ns, &self), -ESRCH);

        /* A block device's descriptors cannot be revoked: said so. */
        assert_int_equal(
                dp_act_revoke_open(t->c.pid, 'b', loop.major, loop.minor, 0),
                -EOPNOTSUPP);
}

static void test_sibling_pidns(void **state)
{
        struct stat ns, self;

        /* The sibling holder's own namespace as "the container": the
         * decision goes up from the holder, never down from us. */
        sibling_start();
        pidns_of(sibling, &ns);
        assert_int_equal(stat("/proc/self/ns/pid", &self), 0);
        assert_int_equal(dp_pidns_pid_within(sibling, &ns, &self), 1);
        assert_int_equal(dp_pidns_pid_within(getpid(), &ns, &self), 0);
        assert_int_equal(dp_pidns_pid_within(sibling_parent, &ns, &self), 0);
        sibling_stop();
}

static int teardown_ctr(void **state)
{
        sibling_stop();
        return dpt_ctr_teardown(state);
}

static int teardown_sibling(void **state)
{
        sibling_stop();
        return 0;
}

static int group_setup(void **state)
{
        if (dpt_nodedir_make(nodedir) < 0)
                return -1;
        if (dpt_loop_make(&loop, "/tmp/dphlloopXXXXXX", NULL) < 0) {
                fprintf(stderr, "cannot set up a loop device\n");
                return -1;
        }
        return 0;
}

static int group_teardown(void **state)
{
        dpt_loop_remove(&loop);
        dpt_nodedir_remove(nodedir);
        return 0;
}

int main(int argc, char *argv[])
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(
                        test_nested_holders, dpt_ctr_setup_priv, teardown_ctr),
                cmocka_unit_test_teardown(test_sibling_pidns, teardown_sibling),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s PATH-TO-dp-testctr\n", argv[0]);
                return 2;
        }
        dpt_ctr_init(argv[1], "dphl", 30000);
        if (geteuid() != 0) {
                printf("needs root: creates containers, pid namespaces\n");
                return 77;
        }
        if (access("/dev/loop-control", F_OK) < 0) {
                printf("no loop device support (/dev/loop-control)\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
