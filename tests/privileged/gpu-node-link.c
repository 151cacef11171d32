/* SPDX-License-Identifier: MIT */
/* dp_act_symlink_create/remove (agent/act/node-link.c) on real test
 * containers: the /dev/dri/by-path links of a GPU, adoption of an identical
 * link, refusal of foreign files and planted symlinks, ownership in a
 * user-namespaced container. Needs root; usage:
 * test-gpu-node-link PATH-TO-dp-testctr */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "devpass/act.h"
#include "devpass/macro.h"

#define CARD_LINK    "/dev/dri/by-path/pci-0000:00:02.0-card"
#define RENDER_LINK  "/dev/dri/by-path/pci-0000:00:02.0-render"
#define PLANTED_LINK "/dev/gfx/by-path/pci-0000:00:02.0-card"

static const char *testctr;
static unsigned ctr_seq;

typedef struct ctr {
        dp_container c;
        char name[64];
        char pidstr[16];
        unsigned uid_base, gid_base;
} ctr;

/* Runs argv; stdout (NUL-ended) in *out when out is set. */
static int run_argv(char **out, const char *const argv[])
{
        char buf[8192];
        size_t len = 0;
        int pfd[2], status;
        pid_t pid;
        ssize_t n;

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
        while ((n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0 ||
               (n < 0 && errno == EINTR))
                if (n > 0)
                        len += (size_t)n;
        close(pfd[0]);
        buf[len] = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        if (out)
                *out = strdup(buf);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
        safe_close(t->c.pidfd);
        free(t->c.ref);
        free(t->c.name);
        free(t->c.uid_map);
        free(t->c.gid_map);
        free(t);
}

static ctr *ctr_start(bool userns)
{
        const char *argv[] = {testctr, "start", "--name", NULL, NULL, NULL};
        const char *info_argv[] = {testctr, "info", NULL, NULL};
        _cleanup_free_ char *out = NULL, *info = NULL;
        ctr *t = calloc(1, sizeof(*t));
        char *save = NULL;
        int pid = 0;

        if (!t)
                return NULL;
        t->c.pidfd = -EBADF;
        snprintf(t->name, sizeof(t->name), "dptl%d-%u", (int)getpid(),
                 ++ctr_seq);
        argv[3] = t->name;
        if (userns)
                argv[4] = "--userns";
        if (run_argv(&out, argv) != 0 || !out || sscanf(out, "%d", &pid) != 1) {
                fprintf(stderr, "dp-testctr start failed: %s\n", strna(out));
                t->name[0] = 0;
                ctr_stop(t);
                return NULL;
        }
        snprintf(t->pidstr, sizeof(t->pidstr), "%d", pid);
        info_argv[2] = t->pidstr;
        if (run_argv(&info, info_argv) != 0 || !info)
                goto fail;
        for (char *l = strtok_r(info, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
                if (strneq(l, "uid_base=", 9))
                        t->uid_base = (unsigned)strtoul(l + 9, NULL, 10);
                else if (strneq(l, "gid_base=", 9))
                        t->gid_base = (unsigned)strtoul(l + 9, NULL, 10);
        }
        t->c.pid = pid;
        t->c.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (t->c.pidfd < 0 || asprintf(&t->c.ref, "pid:%d", pid) < 0)
                goto fail;
        t->c.runtime = DP_RUNTIME_PID;
        t->c.name = strdup(t->pidstr);
        t->c.userns = userns;
        if (userns) {
                t->c.uid_map = calloc(1, sizeof(dp_idmap_range));
                t->c.gid_map = calloc(1, sizeof(dp_idmap_range));
                if (!t->c.uid_map || !t->c.gid_map || t->uid_base == 0)
                        goto fail;
                *t->c.uid_map = (dp_idmap_range){0, t->uid_base, 65536};
                *t->c.gid_map = (dp_idmap_range){0, t->gid_base, 65536};
                t->c.n_uid_map = t->c.n_gid_map = 1;
        }
        return t;
fail:
        ctr_stop(t);
        return NULL;
}

static int setup_priv(void **state)
{
        return (*state = ctr_start(false)) ? 0 : -1;
}

static int setup_userns(void **state)
{
        return (*state = ctr_start(true)) ? 0 : -1;
}

static int teardown_ctr(void **state)
{
        ctr_stop(*state);
        *state = NULL;
        return 0;
}

/* Host view of a path inside the container. */
static const char *host_path(const ctr *t, const char *inside)
{
        static char buf[PATH_MAX];

        snprintf(buf, sizeof(buf), "/proc/%s/root%s", t->pidstr, inside);
        return buf;
}

/* What the container itself reads from the link. */
static void assert_inside_readlink(const ctr *t, const char *path,
                                   const char *want)
{
        _cleanup_free_ char *out = NULL;
        const char *argv[] = {testctr,    "exec", t->pidstr, "--",
                              "readlink", path,   NULL};

        assert_int_equal(run_argv(&out, argv), 0);
        assert_non_null(out);
        out[strcspn(out, "\n")] = 0;
        assert_string_equal(out, want);
}

static void test_create_remove(void **state)
{
        ctr *t = *state;
        struct stat st;

        assert_int_equal(dp_act_symlink_create(&t->c, CARD_LINK, "../card1"),
                         0);
        assert_int_equal(
                dp_act_symlink_create(&t->c, RENDER_LINK, "../renderD129"), 0);
        assert_inside_readlink(t, CARD_LINK, "../card1");
        assert_inside_readlink(t, RENDER_LINK, "../renderD129");
        assert_int_equal(lstat(host_path(t, "/dev/dri/by-path"), &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0755);

        /* the same link again is adopted; another target is refused */
        assert_int_equal(dp_act_symlink_create(&t->c, CARD_LINK, "../card1"),
                         0);
        assert_int_equal(dp_act_symlink_create(&t->c, CARD_LINK, "../card0"),
                         -EEXIST);
        assert_int_equal(dp_act_symlink_remove(&t->c, CARD_LINK, "../card0"),
                         -EEXIST);
        assert_inside_readlink(t, CARD_LINK, "../card1");

        assert_int_equal(dp_act_symlink_remove(&t->c, CARD_LINK, "../card1"),
                         0);
        assert_int_equal(lstat(host_path(t, CARD_LINK), &st), -1);
        assert_int_equal(errno, ENOENT);
        assert_int_equal(dp_act_symlink_remove(&t->c, CARD_LINK, "../card1"),
                         0);
        assert_inside_readlink(t, RENDER_LINK, "../renderD129");
        assert_int_equal(
                dp_act_symlink_remove(&t->c, RENDER_LINK, "../renderD129"), 0);
        /* a parent that does not exist: nothing to remove */
        assert_int_equal(
                dp_act_symlink_remove(&t->c, "/dev/nodir/x", "../card1"), 0);
}

static void test_bad_args(void **state)
{
        ctr *t = *state;

        assert_int_equal(dp_act_symlink_create(&t->c, "dev/x", "y"), -EINVAL);
        assert_int_equal(dp_act_symlink_create(&t->c, "/dev/../x", "y"),
                         -EINVAL);
        assert_int_equal(dp_act_symlink_create(&t->c, "/dev/x", ""), -EINVAL);
        assert_int_equal(dp_act_symlink_remove(&t->c, "/", "y"), -EINVAL);
}

static void test_foreign_file(void **state)
{
        ctr *t = *state;
        const char *link = "/dev/dptl-file";
        struct stat st;
        int fd;

        fd = open(host_path(t, link), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  0644);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(dp_act_symlink_create(&t->c, link, "card0"), -EEXIST);
        assert_int_equal(dp_act_symlink_remove(&t->c, link, "card0"), -EEXIST);
        assert_int_equal(lstat(host_path(t, link), &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(unlink(host_path(t, link)), 0);
}

/* The container plants /dev/gfx -> /etc: nothing may be made below its
 * /etc (or the host's), and the planted link stays. */
static void test_planted_symlink(void **state)
{
        ctr *t = *state;
        char target[64];
        struct stat st;
        ssize_t n;

        assert_int_equal(symlink("/etc", host_path(t, "/dev/gfx")), 0);
        assert_int_equal(dp_act_symlink_create(&t->c, PLANTED_LINK, "../card1"),
                         -ELOOP);
        assert_int_equal(dp_act_symlink_remove(&t->c, PLANTED_LINK, "../card1"),
                         -ELOOP);
        assert_int_equal(lstat(host_path(t, "/etc/by-path"), &st), -1);
        assert_int_equal(lstat("/etc/by-path", &st), -1);
        n = readlink(host_path(t, "/dev/gfx"), target, sizeof(target) - 1);
        assert_true(n > 0);
        target[n] = 0;
        assert_string_equal(target, "/etc");
        assert_int_equal(unlink(host_path(t, "/dev/gfx")), 0);
}

static void test_userns_owner(void **state)
{
        ctr *t = *state;
        struct stat st;

        assert_int_equal(dp_act_symlink_create(&t->c, CARD_LINK, "../card1"),
                         0);
        assert_inside_readlink(t, CARD_LINK, "../card1");
        assert_int_equal(lstat(host_path(t, CARD_LINK), &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(st.st_uid, t->uid_base);
        assert_int_equal(st.st_gid, t->gid_base);
        assert_int_equal(lstat(host_path(t, "/dev/dri/by-path"), &st), 0);
        assert_int_equal(st.st_uid, t->uid_base);
        assert_int_equal(dp_act_symlink_remove(&t->c, CARD_LINK, "../card1"),
                         0);
        assert_int_equal(lstat(host_path(t, CARD_LINK), &st), -1);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest priv[] = {
                cmocka_unit_test(test_create_remove),
                cmocka_unit_test(test_bad_args),
                cmocka_unit_test(test_foreign_file),
                cmocka_unit_test(test_planted_symlink),
        };
        const struct CMUnitTest userns[] = {
                cmocka_unit_test(test_userns_owner),
        };
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: %s PATH-TO-dp-testctr\n", argv[0]);
                return 2;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root\n");
                return 77;
        }
        testctr = argv[1];
        r = _cmocka_run_group_tests("gpu-node-link-priv", priv,
                                    ELEMENTSOF(priv), setup_priv, teardown_ctr);
        r |= _cmocka_run_group_tests("gpu-node-link-userns", userns,
                                     ELEMENTSOF(userns), setup_userns,
                                     teardown_ctr);
        return r ? 1 : 0;
}
