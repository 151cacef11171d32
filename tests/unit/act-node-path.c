/* SPDX-License-Identifier: MIT */
/* Safe path walking below a root directory (agent/act/node-path.c), on a
 * scratch tree with planted symlinks. Needs no root. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "devpass/macro.h"
#include "node-path.h"

static char tmpdir[] = "/tmp/dptnpXXXXXX";
static int rootfd = -EBADF;

static void mkpath(const char *rel, mode_t mode)
{
        char p[512];

        snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
        assert_int_equal(mkdir(p, mode), 0);
}

static void lnpath(const char *target, const char *rel)
{
        char p[512];

        snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
        assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
        char p[512];
        int fd;

        if (!mkdtemp(tmpdir))
                return -1;
        mkpath("dev", 0755);
        lnpath("/etc", "dev/evil"); /* absolute, would escape */
        lnpath("..", "dev/up");     /* relative, stays inside */
        lnpath("/", "rootlink");
        snprintf(p, sizeof(p), "%s/dev/file", tmpdir);
        fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0)
                return -1;
        close(fd);
        rootfd = open(tmpdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        char cmd[600];

        safe_close(rootfd);
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_safe_absolute(void **state)
{
        assert_true(dp_path_is_safe_absolute("/dev/dri/card0"));
        assert_true(dp_path_is_safe_absolute("/dev//x/"));
        assert_true(dp_path_is_safe_absolute("/.hidden"));
        assert_false(dp_path_is_safe_absolute("/"));
        assert_false(dp_path_is_safe_absolute("//"));
        assert_false(dp_path_is_safe_absolute(""));
        assert_false(dp_path_is_safe_absolute(NULL));
        assert_false(dp_path_is_safe_absolute("dev/x"));
        assert_false(dp_path_is_safe_absolute("/dev/../etc/x"));
        assert_false(dp_path_is_safe_absolute("/dev/./x"));
        assert_false(dp_path_is_safe_absolute("/dev/.."));
}

static void check_split(const char *path, const char *dir, const char *base)
{
        _cleanup_free_ char *d = NULL, *b = NULL;

        assert_int_equal(dp_path_split(path, &d, &b), 0);
        assert_string_equal(d, dir);
        assert_string_equal(b, base);
}

static void test_split(void **state)
{
        char *d = NULL, *b = NULL;

        check_split("/dev/dri/card0", "/dev/dri", "card0");
        check_split("/x", "/", "x");
        check_split("/dev//x//", "/dev", "x");
        check_split("//dev/x", "//dev", "x");
        assert_int_equal(dp_path_split("/", &d, &b), -EINVAL);
        assert_int_equal(dp_path_split("/a/../b", &d, &b), -EINVAL);
        assert_null(d);
        assert_null(b);
}

static void test_open_existing(void **state)
{
        _cleanup_close_ int fd = -EBADF, fd2 = -EBADF;
        struct stat st, ref;
        char p[512];

        assert_int_equal(dp_path_open_dir(rootfd, "/dev", NULL, &fd), 0);
        assert_int_equal(fstat(fd, &st), 0);
        snprintf(p, sizeof(p), "%s/dev", tmpdir);
        assert_int_equal(stat(p, &ref), 0);
        assert_int_equal(st.st_ino, ref.st_ino);

        assert_int_equal(dp_path_open_dir(rootfd, "/", NULL, &fd2), 0);
        assert_int_equal(fstat(fd2, &st), 0);
        assert_int_equal(stat(tmpdir, &ref), 0);
        assert_int_equal(st.st_ino, ref.st_ino);
}

static void test_refuses_symlinks(void **state)
{
        int fd = -EBADF;

        assert_int_equal(dp_path_open_dir(rootfd, "/dev/evil", NULL, &fd),
                         -ELOOP);
        assert_int_equal(dp_path_open_dir(rootfd, "/dev/up", NULL, &fd),
                         -ELOOP);
        assert_int_equal(dp_path_open_dir(rootfd, "/rootlink/etc", NULL, &fd),
                         -ELOOP);
        assert_int_equal(dp_path_open_dir(rootfd, "/dev/file", NULL, &fd),
                         -ENOTDIR);
        assert_int_equal(dp_path_open_dir(rootfd, "/nonexistent/x", NULL, &fd),
                         -ENOENT);
        assert_int_equal(dp_path_open_dir(rootfd, "/dev/../dev", NULL, &fd),
                         -EINVAL);
        assert_int_equal(fd, -EBADF);
}

static void test_create_dirs(void **state)
{
        const dp_path_mkdir mk = {
                .mode = 0755, .uid = getuid(), .gid = getgid()};
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        char p[512];
        mode_t old;
        int bad = -EBADF;

        /* A strict umask must not leak into the created directories. */
        old = umask(077);
        assert_int_equal(dp_path_open_dir(rootfd, "/dev/dri/by-path", &mk, &fd),
                         0);
        umask(old);
        snprintf(p, sizeof(p), "%s/dev/dri", tmpdir);
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(st.st_uid, getuid());
        snprintf(p, sizeof(p), "%s/dev/dri/by-path", tmpdir);
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);

        /* Creation never goes through a symlink either. */
        assert_int_equal(dp_path_open_dir(rootfd, "/dev/evil/x", &mk, &bad),
                         -ELOOP);
        assert_int_equal(dp_path_open_dir(rootfd, "/rootlink/dptx", &mk, &bad),
                         -ELOOP);
        assert_int_equal(access("/dptx", F_OK), -1);
        assert_int_equal(access("/etc/x", F_OK), -1);
        assert_int_equal(bad, -EBADF);
}

static void test_open_entry(void **state)
{
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF, fd2 = -EBADF;
        struct stat st;
        int bad = -EBADF;

        assert_int_equal(dp_path_open_dir(rootfd, "/dev", NULL, &dfd), 0);
        assert_int_equal(dp_path_open_entry(dfd, "evil", &fd), 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(dp_path_open_entry(dfd, "file", &fd2), 0);
        assert_int_equal(fstat(fd2, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(dp_path_open_entry(dfd, "missing", &bad), -ENOENT);
        assert_int_equal(dp_path_open_entry(dfd, "..", &bad), -EINVAL);
        assert_int_equal(dp_path_open_entry(dfd, "a/b", &bad), -EINVAL);
        assert_int_equal(bad, -EBADF);
}

static void test_fchmod_opath(void **state)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        char p[512];

        snprintf(p, sizeof(p), "%s/dev/file", tmpdir);
        fd = open(p, O_PATH | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(dp_fchmod_opath(fd, 0640), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(dp_fchown_opath(fd, getuid(), getgid()), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_safe_absolute),
                cmocka_unit_test(test_split),
                cmocka_unit_test(test_open_existing),
                cmocka_unit_test(test_refuses_symlinks),
                cmocka_unit_test(test_create_dirs),
                cmocka_unit_test(test_open_entry),
                cmocka_unit_test(test_fchmod_opath),
        };
        long r = syscall(SYS_openat2, -1, "", NULL, 0);

        if (r < 0 && errno == ENOSYS) {
                printf("openat2(2) is not available on this kernel\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
