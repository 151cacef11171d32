/* SPDX-License-Identifier: MIT */
/* The busybox rootfs of a dp-testctr container.
 *
 * The rootfs tmpfs is mounted and filled on the host before clone(), so it
 * stays visible at /run/dp-test/NAME/root for inspection; everything that
 * must belong to the container's own mount namespace (/dev, /proc, /sys, the
 * shared /usr) is mounted from inside, just before pivot_root. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/types.h>

#include "dp-testctr.h"

static const char *const applets[] = {
        "sh",       "ash",      "ls",       "cat",     "dd",       "stat",
        "ip",       "ln",       "mkdir",    "rm",      "rmdir",    "sleep",
        "echo",     "test",     "[",        "mknod",   "mount",    "umount",
        "readlink", "head",     "tail",     "od",      "grep",     "touch",
        "mv",       "cp",       "chmod",    "chown",   "id",       "true",
        "false",    "printf",   "wc",       "tr",      "sed",      "awk",
        "cut",      "sort",     "ps",       "kill",    "hostname", "uname",
        "env",      "seq",      "xxd",      "hexdump", "truncate", "pwd",
        "sync",     "basename", "dirname",  "find",    "which",    "timeout",
        "realpath", "usleep",   "nproc",    "cmp",     "diff",     "du",
        "df",       "mktemp",   "ifconfig", "losetup",
};

struct dev_node {
        const char *name;
        unsigned major, minor;
};

static const struct dev_node dev_nodes[] = {
        {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
        {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const char *const lib_dirs[] = {"lib", "lib32", "lib64", "libx32"};

static int copy_file(const char *from, const char *to, mode_t mode)
{
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int out = -EBADF;
        char buf[65536];

        if (in < 0)
                return negative_errno();
        out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (out < 0)
                return negative_errno();
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                for (ssize_t done = 0; done < n;) {
                        ssize_t w = write(out, buf + done, (size_t)(n - done));

                        if (w < 0)
                                return negative_errno();
                        done += w;
                }
        }
        return fchmod(out, mode) < 0 ? negative_errno() : 0;
}

static int write_new(const char *path, const char *s, mode_t mode)
{
        _cleanup_close_ int fd =
                open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        size_t n = strlen(s);

        if (fd < 0)
                return negative_errno();
        if (write(fd, s, n) != (ssize_t)n)
                return -EIO;
        return 0;
}

static int chown_one(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
        return lchown(path, DPT_USERNS_BASE, DPT_USERNS_BASE) < 0 ? -1 : 0;
}

int dpt_rootfs_populate(const char *root, const struct dpt_opts *opts)
{
        static const char *const dirs[] = {
                "bin", "sbin", "dev",  "proc", "sys", "tmp",
                "run", "etc",  "root", "mnt",  "var", "usr",
        };
        char path[1024], data[64];
        const char *bb;
        int r;

        r = dpt_mkdir_p(root, 0755);
        if (r < 0)
                return r;
        snprintf(data, sizeof(data), "mode=0755,size=64m");
        if (mount("tmpfs", root, "tmpfs", MS_NOSUID, data) < 0)
                return negative_errno();
        /* Nothing mounted inside the container may propagate to the host.
         * (The type is ignored here; a string keeps valgrind quiet.) */
        if (mount("none", root, "none", MS_PRIVATE, NULL) < 0)
                return negative_errno();

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
                if (mkdir(path, 0755) < 0)
                        return negative_errno();
        }
        snprintf(path, sizeof(path), "%s/tmp", root);
        if (chmod(path, 01777) < 0)
                return negative_errno();
        snprintf(path, sizeof(path), "%s/root", root);
        if (chmod(path, 0700) < 0)
                return negative_errno();

        /* DPT_BUSYBOX: for hosts without busybox-static installed. */
        snprintf(path, sizeof(path), "%s/bin/busybox", root);
        bb = getenv("DPT_BUSYBOX");
        if (!isempty(bb))
                r = copy_file(bb, path, 0755);
        else if ((r = copy_file("/usr/bin/busybox", path, 0755)) == -ENOENT)
                r = copy_file("/bin/busybox", path, 0755);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(applets); i++) {
                snprintf(path, sizeof(path), "%s/bin/%s", root, applets[i]);
                if (symlink("busybox", path) < 0)
                        return negative_errno();
        }

        snprintf(path, sizeof(path), "%s/etc/passwd", root);
        r = write_new(path, "root:x:0:0:root:/root:/bin/sh\n", 0644);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/etc/group", root);
        r = write_new(path, "root:x:0:\n", 0644);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/etc/hostname", root);
        snprintf(data, sizeof(data), "%s\n", opts->name);
        r = write_new(path, data, 0644);
        if (r < 0)
                return r;

        if (opts->share_usr) {
                /* Mirror the host's /lib* layout: merged-/usr hosts have
                 * symlinks (lib -> usr/lib), others real directories that
                 * are bind-mounted from inside. */
                for (size_t i = 0; i < ELEMENTSOF(lib_dirs); i++) {
                        char host[64], target[256];
                        struct stat st;
                        ssize_t n;

                        snprintf(host, sizeof(host), "/%s", lib_dirs[i]);
                        if (lstat(host, &st) < 0)
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", root,
                                 lib_dirs[i]);
                        if (S_ISLNK(st.st_mode)) {
                                n = readlink(host, target, sizeof(target) - 1);
                                if (n < 0)
                                        return negative_errno();
                                target[n] = 0;
                                if (symlink(target, path) < 0)
                                        return negative_errno();
                        } else if (S_ISDIR(st.st_mode)) {
                                if (mkdir(path, 0755) < 0)
                                        return negative_errno();
                        }
                }
                snprintf(path, sizeof(path), "%s/etc/udev", root);
                if (mkdir(path, 0755) < 0)
                        return negative_errno();
                snprintf(path, sizeof(path), "%s/run/udev", root);
                if (mkdir(path, 0755) < 0)
                        return negative_errno();
        }

        if (opts->userns) {
                /* Root inside (host uid DPT_USERNS_BASE) owns its rootfs. */
                if (nftw(root, chown_one, 16, FTW_PHYS | FTW_MOUNT) != 0)
                        return negative_errno();
        }
        return 0;
}

/* ---- inside the container ---- */

#define FAIL(step)                                                           \
        do {                                                                 \
                int _e = errno;                                              \
                snprintf(errmsg, errmsg_size, "%s: %s", step, strerror(_e)); \
                return _e > 0 ? -_e : -EIO;                                  \
        } while (0)

/* mount_setattr() changes only the bits it is given, so locked flags of a
 * mount inherited from a more privileged namespace stay as they are. */
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
struct dpt_mount_attr {
        __u64 attr_set, attr_clr, propagation, userns_fd;
};

/* Remount read-only keeping the flags that a user namespace may not clear
 * (they are locked); used where mount_setattr() is missing. */
static int remount_ro(const char *path)
{
        static const struct {
                unsigned long st, ms;
        } keep[] = {
                {ST_NOSUID, MS_NOSUID},         {ST_NODEV, MS_NODEV},
                {ST_NOEXEC, MS_NOEXEC},         {ST_NOATIME, MS_NOATIME},
                {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME},
        };
        unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
        struct statvfs sv;

        if (statvfs(path, &sv) < 0)
                return negative_errno();
        for (size_t i = 0; i < ELEMENTSOF(keep); i++)
                if (sv.f_flag & keep[i].st)
                        flags |= keep[i].ms;
        if (mount("none", path, "none", flags, NULL) < 0)
                return negative_errno();
        return 0;
}

static int bind_ro(const char *from, const char *to)
{
        struct dpt_mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

        if (mount(from, to, "none", MS_BIND | MS_REC, NULL) < 0)
                return negative_errno();
        if (syscall(SYS_mount_setattr, AT_FDCWD, to, AT_RECURSIVE, &attr,
                    sizeof(attr)) == 0)
                return 0;
        if (errno != ENOSYS)
                return negative_errno();
        return remount_ro(to);
}

static int setup_dev(const char *root, bool userns, char *errmsg,
                     size_t errmsg_size)
{
        char dev[1024], path[1100];

        snprintf(dev, sizeof(dev), "%s/dev", root);
        if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC,
                  "mode=0755,size=1m") < 0)
                FAIL("mount /dev");
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                const struct dev_node *d = &dev_nodes[i];

                snprintf(path, sizeof(path), "%s/%s", dev, d->name);
                if (!userns) {
                        if (mknod(path, S_IFCHR | 0666,
                                  makedev(d->major, d->minor)) < 0)
                                FAIL("mknod in /dev");
                        /* mknod obeys the umask; the mode must be exact. */
                        if (chmod(path, 0666) < 0)
                                FAIL("chmod in /dev");
                        continue;
                }
                /* A tmpfs mounted in a user namespace is nodev: bind the
                 * host's node onto an empty file instead. */
                char host[64];
                int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);

                if (fd < 0)
                        FAIL("create /dev placeholder");
                close(fd);
                snprintf(host, sizeof(host), "/dev/%s", d->name);
                if (mount(host, path, "none", MS_BIND, NULL) < 0)
                        FAIL("bind /dev node");
        }
        static const char *const links[][2] = {
                {"/proc/self/fd", "fd"},
                {"/proc/self/fd/0", "stdin"},
                {"/proc/self/fd/1", "stdout"},
                {"/proc/self/fd/2", "stderr"},
        };
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                snprintf(path, sizeof(path), "%s/%s", dev, links[i][1]);
                if (symlink(links[i][0], path) < 0)
                        FAIL("symlink in /dev");
        }
        snprintf(path, sizeof(path), "%s/pts", dev);
        if (mkdir(path, 0755) < 0)
                FAIL("mkdir /dev/pts");
        snprintf(path, sizeof(path), "%s/shm", dev);
        if (mkdir(path, 01777) < 0)
                FAIL("mkdir /dev/shm");
        return 0;
}

int dpt_rootfs_enter(const char *root, const struct dpt_opts *opts,
                     char *errmsg, size_t errmsg_size)
{
        char path[1100];
        int r;

        if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
                FAIL("make / private");
        /* pivot_root needs ROOT to be a mount of this namespace. */
        if (mount(root, root, "none", MS_BIND | MS_REC, NULL) < 0)
                FAIL("bind rootfs");

        r = setup_dev(root, opts->userns, errmsg, errmsg_size);
        if (r < 0)
                return r;

        snprintf(path, sizeof(path), "%s/proc", root);
        if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  NULL) < 0)
                FAIL("mount /proc");
        /* sysfs is optional (may be refused in a user namespace); read-only
         * so that nothing inside can change the shared host. */
        snprintf(path, sizeof(path), "%s/sys", root);
        (void)mount("sysfs", path, "sysfs",
                    MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);

        if (opts->share_usr) {
                snprintf(path, sizeof(path), "%s/usr", root);
                if (bind_ro("/usr", path) < 0)
                        FAIL("bind /usr");
                for (size_t i = 0; i < ELEMENTSOF(lib_dirs); i++) {
                        char host[64];
                        struct stat st;

                        snprintf(host, sizeof(host), "/%s", lib_dirs[i]);
                        if (lstat(host, &st) < 0 || !S_ISDIR(st.st_mode))
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", root,
                                 lib_dirs[i]);
                        if (bind_ro(host, path) < 0)
                                FAIL("bind /lib");
                }
                if (access("/etc/udev", F_OK) == 0) {
                        snprintf(path, sizeof(path), "%s/etc/udev", root);
                        if (bind_ro("/etc/udev", path) < 0)
                                FAIL("bind /etc/udev");
                }
        }

        if (chdir(root) < 0)
                FAIL("chdir rootfs");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                FAIL("pivot_root");
        /* The old root is stacked under the new one: detach it. */
        if (umount2(".", MNT_DETACH) < 0)
                FAIL("umount old root");
        if (chdir("/") < 0)
                FAIL("chdir /");
        return 0;
}
