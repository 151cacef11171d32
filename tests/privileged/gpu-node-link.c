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

#include "ctr-util.h"
#include "devpass/act.h"
#include "devpass/macro.h"

#define CARD_LINK    "/dev/dri/by-path/pci-0000:00:02.0-card"
#define RENDER_LINK  "/dev/dri/by-path/pci-0000:00:02.0-render"
#define PLANTED_LINK "/dev/gfx/by-path/pci-0000:00:02.0-card"

typedef dpt_ctr ctr;

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
        const char *argv[] = {dpt_testctr, "exec", t->pidstr, "--",
                              "readlink",  path,   NULL};

        assert_int_equal(dpt_run_argv(&out, NULL, argv), 0);
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
        dpt_ctr_init(argv[1], "dptl", 0);
        r = _cmocka_run_group_tests("gpu-node-link-priv", priv,
                                    ELEMENTSOF(priv), dpt_ctr_setup_priv,
                                    dpt_ctr_teardown);
        r |= _cmocka_run_group_tests("gpu-node-link-userns", userns,
                                     ELEMENTSOF(userns), dpt_ctr_setup_userns,
                                     dpt_ctr_teardown);
        return r ? 1 : 0;
}
