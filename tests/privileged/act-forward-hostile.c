/* SPDX-License-Identifier: MIT */
/* Forward=yes against a container that plants FIFOs and device nodes where
 * devpass reads and writes its udev view (/run/udev/data/<id>, the tag
 * index /run/udev/tags/seat/<id>, /run/udev/control, and the directories
 * data and tags/seat themselves). A plain open() of a FIFO waits for a peer
 * for ever, freezing the agent; a plain open() of a device node runs the
 * driver's open as host root, outside every device cgroup. Each case runs
 * dp_act_forward() in a child that must finish within 2 s, and an inotify
 * watch on the planted inode must see no open, read or write of it: the
 * planted thing is replaced or refused, never opened. Privileged and
 * user-namespaced containers. Needs root; usage: test-act-forward-hostile
 * PATH-TO-dp-testctr */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctr-util.h"
#include "devpass/act.h"
#include "devpass/macro.h"

#define DEADLINE_MS 2000
#define HUNG        INT_MIN

static char nodedir[] = "/tmp/dpfhnodesXXXXXX";
static dpt_loop loop;
static char id[32];

/* What the container plants. */
typedef enum kind { K_FIFO, K_CHR, K_BLK } kind;
static const char *const kind_name[] = {"FIFO", "char node 1:3",
                                        "loop block node"};

/* Where, relative to /run/udev; %s is the device id. */
static const char *const places[] = {
        "data/%s", "tags/seat/%s", "control", "data", "tags/seat",
};

static char *in_root(const dpt_ctr *t, const char *rel)
{
        char *p;

        assert_true(asprintf(&p, "/proc/%s/root%s", t->pidstr, rel) >= 0);
        return p;
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

static long ms_since(const struct timespec *a)
{
        struct timespec b;

        clock_gettime(CLOCK_MONOTONIC, &b);
        return (b.tv_sec - a->tv_sec) * 1000 +
               (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* dp_act_forward() in a child: its result, or HUNG when it did not return
 * within DEADLINE_MS (the child is killed then). */
static int forward_bounded(const dpt_ctr *t, const char *action, long *ret_ms)
{
        char *props[] = {"DEVPASS_TEST=1", NULL};
        char *tags[] = {"seat", NULL};
        dp_node_spec spec = {.path = "/dev/dpfhloop",
                             .type = 'b',
                             .major = loop.major,
                             .minor = loop.minor,
                             .mode = 0660};
        struct timespec start;
        int status;
        pid_t pid;

        clock_gettime(CLOCK_MONOTONIC, &start);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int r = dp_act_forward(&t->c, action, "block",
                                       "/devices/virtual/block/dpfh", props,
                                       tags, &spec);

                _exit(r < 0 ? (-r & 0xff) : 0);
        }
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);

                assert_true(w >= 0);
                if (w == pid)
                        break;
                if (ms_since(&start) > DEADLINE_MS) {
                        kill(pid, SIGKILL);
                        (void)waitpid(pid, &status, 0);
                        *ret_ms = ms_since(&start);
                        return HUNG;
                }
                sleep_ms(2);
        }
        *ret_ms = ms_since(&start);
        assert_true(WIFEXITED(status));
        return -WEXITSTATUS(status);
}

static void reset_udev(const dpt_ctr *t)
{
        _cleanup_free_ char *udev = in_root(t, "/run/udev");
        char cmd[600];

        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s' && mkdir -p '%s/tags'", udev,
                 udev);
        assert_int_equal(system(cmd), 0);
}

static void plant(const char *path, kind k)
{
        switch (k) {
        case K_FIFO:
                assert_int_equal(mkfifo(path, 0666), 0);
                break;
        case K_CHR:
                assert_int_equal(mknod(path, S_IFCHR | 0666, makedev(1, 3)), 0);
                break;
        case K_BLK:
                assert_int_equal(mknod(path, S_IFBLK | 0660,
                                       makedev(loop.major, loop.minor)),
                                 0);
                break;
        }
}

static mode_t kind_type(kind k)
{
        return k == K_FIFO ? S_IFIFO : k == K_CHR ? S_IFCHR : S_IFBLK;
}

/* Events on the watch that mean somebody opened the planted inode. */
static uint32_t opened_mask(int ifd)
{
        char buf[4096]
                __attribute__((aligned(__alignof__(struct inotify_event))));
        uint32_t mask = 0;
        ssize_t n;

        while ((n = read(ifd, buf, sizeof(buf))) > 0)
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *ev = (void *)p;

                        mask |= ev->mask;
                        p += sizeof(*ev) + ev->len;
                }
        return mask & (IN_OPEN | IN_ACCESS | IN_MODIFY | IN_CLOSE_WRITE |
                       IN_CLOSE_NOWRITE);
}

static void check_case(const dpt_ctr *t, const char *place, kind k,
                       const char *action)
{
        _cleanup_free_ char *path = NULL, *parent = NULL;
        _cleanup_close_ int ifd = -EBADF;
        char rel[128], cmd[700];
        struct stat st;
        uint32_t seen;
        long ms = 0;
        int r;

        reset_udev(t);
        snprintf(rel, sizeof(rel), "/run/udev/");
        snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), place, id);
        path = in_root(t, rel);
        parent = strdup(path);
        assert_non_null(parent);
        *strrchr(parent, '/') = 0;
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", parent);
        assert_int_equal(system(cmd), 0);
        plant(path, k);

        ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        assert_true(ifd >= 0);
        assert_true(inotify_add_watch(ifd, path, IN_ALL_EVENTS) >= 0);

        r = forward_bounded(t, action, &ms);
        seen = opened_mask(ifd);
        if (r == HUNG)
                fail_msg("%s: %s with a %s at %s: still blocked after %ld ms",
                         t->name, action, kind_name[k], rel, ms);
        if (seen)
                fail_msg("%s: %s with a %s at %s: it was opened (inotify "
                         "mask %#x)",
                         t->name, action, kind_name[k], rel, seen);
        printf("  %-6s %-16s at %-28s -> %3d (%s) in %ld ms\n", action,
               kind_name[k], rel, r, r < 0 ? strerror(-r) : "ok", ms);

        if (lstat(path, &st) < 0) {
                /* removed: only a record or tag name of ours may go */
                assert_true(strstr(place, "%s") != NULL);
                return;
        }
        if (streq(place, "control") || !strstr(place, "%s"))
                /* never replaced: what the container owns stays */
                assert_int_equal(st.st_mode & S_IFMT, kind_type(k));
        else if (streq(action, "add") && r == 0)
                /* the record or tag file took the name */
                assert_true(S_ISREG(st.st_mode));
}

static void check_all(const dpt_ctr *t)
{
        for (size_t p = 0; p < ELEMENTSOF(places); p++)
                for (kind k = K_FIFO; k <= K_BLK; k++) {
                        check_case(t, places[p], k, "add");
                        check_case(t, places[p], k, "remove");
                }
        /* After all that, a clean forward still works. */
        reset_udev(t);
        {
                long ms;

                assert_int_equal(forward_bounded(t, "add", &ms), 0);
                assert_int_equal(forward_bounded(t, "remove", &ms), 0);
        }
}

static void test_priv(void **state)
{
        check_all(*state);
}

static void test_userns(void **state)
{
        check_all(*state);
}

static int group_setup(void **state)
{
        if (dpt_nodedir_make(nodedir) < 0)
                return -1;
        if (dpt_loop_make(&loop, "/tmp/dpfhloopXXXXXX", NULL) < 0) {
                fprintf(stderr, "cannot set up a loop device\n");
                return -1;
        }
        snprintf(id, sizeof(id), "b%u:%u", loop.major, loop.minor);
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
                cmocka_unit_test_setup_teardown(test_priv, dpt_ctr_setup_priv,
                                                dpt_ctr_teardown),
                cmocka_unit_test_setup_teardown(
                        test_userns, dpt_ctr_setup_userns, dpt_ctr_teardown),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s PATH-TO-dp-testctr\n", argv[0]);
                return 2;
        }
        dpt_ctr_init(argv[1], "dpfh", 30000);
        if (geteuid() != 0) {
                printf("needs root: creates containers, device nodes\n");
                return 77;
        }
        if (access("/dev/loop-control", F_OK) < 0) {
                printf("no loop device support (/dev/loop-control)\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
