/* SPDX-License-Identifier: MIT */
/* The window between mkdirat() and the chown of a directory devpass creates
 * inside a container (agent/act/node-path.c, dp_path_open_dir with mk):
 * the container may mount something over the new name, or rename the new
 * directory away and put another one there, and a chown by name would hand
 * that to the container's root. The window is made deterministic by
 * wrapping mkdirat() (-Wl,--wrap=mkdirat): right after the real mkdirat
 * succeeds, the wrapper does what the container would. The directory that
 * took the name must keep its owner and mode, and the call must fail.
 * Root only (mount, chown); runs in a private mount namespace. */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "devpass/macro.h"
#include "node-path.h"

static char tmpdir[] = "/tmp/dpmrXXXXXX";
static char hostdir[600];
static int rootfd = -EBADF;

typedef enum race { RACE_NONE, RACE_MOUNT_OVER, RACE_SWAP_DIR } race;
static race armed;

int __real_mkdirat(int dirfd, const char *name, mode_t mode);
int __wrap_mkdirat(int dirfd, const char *name, mode_t mode);

/* What a hostile container does in the window after our mkdirat(). */
int __wrap_mkdirat(int dirfd, const char *name, mode_t mode)
{
        char p[64];
        int r = __real_mkdirat(dirfd, name, mode);

        if (r < 0 || armed == RACE_NONE || !streq(name, "victim"))
                return r;
        snprintf(p, sizeof(p), "/proc/self/fd/%d/victim", dirfd);
        if (armed == RACE_MOUNT_OVER) {
                /* a host directory the container root does not own */
                if (mount(hostdir, p, NULL, MS_BIND, NULL) < 0)
                        fail_msg("bind mount: %m");
        } else {
                /* our directory renamed away, one owned by 777 in its
                 * place */
                if (renameat(dirfd, "victim", dirfd, "moved") < 0 ||
                    __real_mkdirat(dirfd, "victim", 0700) < 0 ||
                    fchownat(dirfd, "victim", 777, 777, AT_SYMLINK_NOFOLLOW) <
                            0)
                        fail_msg("swap: %m");
        }
        armed = RACE_NONE;
        return r;
}

static void path_in(char *buf, size_t n, const char *rel)
{
        snprintf(buf, n, "%s/root/%s", tmpdir, rel);
}

static void stat_in(const char *rel, struct stat *st)
{
        char p[700];

        path_in(p, sizeof(p), rel);
        assert_int_equal(lstat(p, st), 0);
}

static const dp_path_mkdir mk = {.mode = 0755, .uid = 4242, .gid = 4242};

static void test_mount_over_new_dir(void **state)
{
        int fd = -EBADF;
        struct stat st;

        armed = RACE_MOUNT_OVER;
        assert_int_equal(dp_path_open_dir(rootfd, "/dev/victim", &mk, &fd),
                         -EXDEV);
        assert_int_equal(fd, -EBADF);
        assert_int_equal(lstat(hostdir, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_gid, 0);
        assert_int_equal(st.st_mode & 07777, 0750);
}

static void test_swapped_dir(void **state)
{
        int fd = -EBADF;
        struct stat st;

        armed = RACE_SWAP_DIR;
        assert_int_equal(dp_path_open_dir(rootfd, "/dev2/victim", &mk, &fd),
                         -EBUSY);
        stat_in("dev2/victim", &st);
        assert_int_equal(st.st_uid, 777);
        assert_int_equal(st.st_mode & 07777, 0700);
}

static void test_no_race(void **state)
{
        _cleanup_close_ int fd = -EBADF, fd2 = -EBADF;
        struct stat st;
        char p[700];

        /* Without interference the new directories get mk's owner and
         * mode, */
        assert_int_equal(dp_path_open_dir(rootfd, "/dev3/victim", &mk, &fd), 0);
        stat_in("dev3/victim", &st);
        assert_int_equal(st.st_uid, 4242);
        assert_int_equal(st.st_mode & 07777, 0755);
        /* and one that was there already is left as it is. */
        path_in(p, sizeof(p), "dev3/pre");
        assert_int_equal(mkdir(p, 0711), 0);
        assert_int_equal(chown(p, 777, 777), 0);
        assert_int_equal(dp_path_open_dir(rootfd, "/dev3/pre", &mk, &fd2), 0);
        stat_in("dev3/pre", &st);
        assert_int_equal(st.st_uid, 777);
        assert_int_equal(st.st_mode & 07777, 0711);
}

static int setup(void **state)
{
        char p[700];

        if (!mkdtemp(tmpdir))
                return -1;
        if (mount("tmpfs", tmpdir, "tmpfs", 0, "mode=0755") < 0)
                return -1;
        snprintf(hostdir, sizeof(hostdir), "%s/hostdir", tmpdir);
        if (mkdir(hostdir, 0750) < 0)
                return -1;
        path_in(p, sizeof(p), "");
        if (mkdir(p, 0755) < 0)
                return -1;
        rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        safe_close(rootfd);
        (void)umount2(tmpdir, MNT_DETACH);
        (void)rmdir(tmpdir);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mount_over_new_dir),
                cmocka_unit_test(test_swapped_dir),
                cmocka_unit_test(test_no_race),
        };

        if (geteuid() != 0) {
                printf("needs root: mounts and chowns\n");
                return 77;
        }
        /* Our mounts stay in a namespace of our own. */
        if (unshare(CLONE_NEWNS) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                perror("private mount namespace");
                return 1;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
