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
#include <sys/sysmacros.h>
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

/* ---- dp_ctr_open / dp_ctr_write_file: what a container may plant ---- */

static void plant(const char *rel, mode_t type)
{
        char p[512];

        snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
        (void)unlink(p);
        if (type == S_IFIFO)
                assert_int_equal(mkfifo(p, 0666), 0);
        else if (type == S_IFSOCK)
                assert_int_equal(mknod(p, S_IFSOCK | 0666, 0), 0);
        else
                assert_int_equal(mknod(p, type | 0666, makedev(1, 3)), 0);
}

static mode_t type_at(const char *rel)
{
        struct stat st;
        char p[512];

        snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
        if (lstat(p, &st) < 0)
                return 0;
        return st.st_mode & S_IFMT;
}

static void test_ctr_open(void **state)
{
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF, sfd = -EBADF;
        int bad = -EBADF;
        char buf[8];

        /* A FIFO would block a plain open() for ever; the alarm turns a
         * hang into a failure. */
        alarm(10);
        assert_int_equal(dp_path_open_dir(rootfd, "/dev", NULL, &dfd), 0);
        assert_int_equal(dp_ctr_open(dfd, "file", O_RDONLY, S_IFREG, &fd), 0);
        assert_int_equal(read(fd, buf, sizeof(buf)), 0);
        assert_int_equal(dp_ctr_open(rootfd, "dev", O_RDONLY, S_IFDIR, &sfd),
                         0);
        sfd = safe_close(sfd);

        plant("dev/fifo", S_IFIFO);
        assert_int_equal(dp_ctr_open(dfd, "fifo", O_RDONLY, S_IFREG, &bad),
                         -ENXIO);
        assert_int_equal(dp_ctr_open(dfd, "fifo", O_WRONLY, S_IFREG, &bad),
                         -ENXIO);
        assert_int_equal(dp_ctr_open(dfd, "fifo", O_RDONLY, S_IFDIR, &bad),
                         -ENOTDIR);
        plant("dev/sock", S_IFSOCK);
        assert_int_equal(dp_ctr_open(dfd, "sock", O_RDWR, S_IFREG, &bad),
                         -ENXIO);
        /* O_PATH may ask for a socket (it opens nothing) */
        assert_int_equal(dp_ctr_open(dfd, "sock", O_PATH, S_IFSOCK, &sfd), 0);
        assert_int_equal(dp_ctr_open(dfd, "file", O_PATH, S_IFSOCK, &bad),
                         -ENXIO);
        if (geteuid() == 0) {
                plant("dev/chr", S_IFCHR);
                plant("dev/blk", S_IFBLK);
                assert_int_equal(
                        dp_ctr_open(dfd, "chr", O_RDONLY, S_IFREG, &bad),
                        -ENXIO);
                assert_int_equal(dp_ctr_open(dfd, "blk", O_RDWR, S_IFREG, &bad),
                                 -ENXIO);
        }
        assert_int_equal(dp_ctr_open(dfd, "evil", O_RDONLY, S_IFREG, &bad),
                         -ELOOP);
        assert_int_equal(
                dp_ctr_open(rootfd, "dev/up/dev/file", O_RDONLY, S_IFREG, &bad),
                -ELOOP);
        assert_int_equal(dp_ctr_open(rootfd, "dev", O_RDONLY, S_IFREG, &bad),
                         -EISDIR);
        assert_int_equal(dp_ctr_open(dfd, "missing", O_RDONLY, S_IFREG, &bad),
                         -ENOENT);
        assert_int_equal(
                dp_ctr_open(dfd, "file", O_RDONLY | O_CREAT, S_IFREG, &bad),
                -EINVAL);
        assert_int_equal(dp_ctr_open(dfd, "fifo", O_RDONLY, S_IFIFO, &bad),
                         -EINVAL);
        assert_int_equal(bad, -EBADF);
        alarm(0);
}

static void test_ctr_write_file(void **state)
{
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        const dp_ctr_file f = {.mode = 0640, .uid = getuid(), .gid = getgid()};
        dp_ctr_file keep = f;
        char buf[16] = "";
        struct stat st;
        char p[512];

        alarm(10);
        assert_int_equal(dp_path_open_dir(rootfd, "/dev", NULL, &dfd), 0);
        /* A FIFO at the name is replaced, never opened. */
        plant("dev/rec", S_IFIFO);
        assert_int_equal(dp_ctr_write_file(dfd, "rec", "hello", 5, &f), 0);
        assert_int_equal(type_at("dev/rec"), S_IFREG);
        snprintf(p, sizeof(p), "%s/dev/rec", tmpdir);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(st.st_size, 5);
        assert_int_equal(dp_ctr_open(dfd, "rec", O_RDONLY, S_IFREG, &fd), 0);
        assert_int_equal(read(fd, buf, sizeof(buf)), 5);
        assert_memory_equal(buf, "hello", 5);

        /* noreplace leaves whatever is there, unopened */
        keep.noreplace = true;
        plant("dev/ctl", S_IFIFO);
        assert_int_equal(dp_ctr_write_file(dfd, "ctl", "", 0, &keep), -EEXIST);
        assert_int_equal(type_at("dev/ctl"), S_IFIFO);
        assert_int_equal(dp_ctr_write_file(dfd, "ctl2", "", 0, &keep), 0);
        assert_int_equal(type_at("dev/ctl2"), S_IFREG);
        /* a directory at the name is not replaced */
        mkpath("dev/isdir", 0755);
        assert_true(dp_ctr_write_file(dfd, "isdir", "x", 1, &f) < 0);
        assert_int_equal(type_at("dev/isdir"), S_IFDIR);
        assert_int_equal(dp_ctr_write_file(dfd, "a/b", "", 0, &f), -EINVAL);
        assert_int_equal(dp_ctr_write_file(dfd, "..", "", 0, &f), -EINVAL);
        /* no temporary file is left behind */
        {
                char cmd[600];

                snprintf(cmd, sizeof(cmd),
                         "test -z \"$(find '%s/dev' -name '.#*')\"", tmpdir);
                assert_int_equal(system(cmd), 0);
        }
        alarm(0);
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
                cmocka_unit_test(test_ctr_open),
                cmocka_unit_test(test_ctr_write_file),
        };
        long r = syscall(SYS_openat2, -1, "", NULL, 0);

        if (r < 0 && errno == ENOSYS) {
                printf("openat2(2) is not available on this kernel\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, setup, teardown);
}
