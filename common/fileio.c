/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "devpass/util.h"

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        for (;;) {
                ssize_t n;

                if (alloc - size < 4096) {
                        char *nb;

                        if (alloc >= max)
                                return -EFBIG;
                        alloc = alloc ? alloc * 2 : 8192;
                        nb = realloc(buf, alloc + 1);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                n = read(fd, buf + size, alloc - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                size += (size_t)n;
        }
        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = 0;
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_full_file(const char *path, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, 64u * 1024 * 1024, ret, ret_size);
}

int read_one_line(const char *path, char **ret)
{
        _cleanup_free_ char *buf = NULL;
        int r = read_full_file(path, &buf, NULL);

        if (r < 0)
                return r;
        buf[strcspn(buf, "\n")] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

int write_string_file(const char *path, const char *s)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        size_t n = strlen(s);
        ssize_t w;

        if (fd < 0)
                return negative_errno();
        w = write(fd, s, n);
        if (w < 0)
                return negative_errno();
        if ((size_t)w != n)
                return -EIO;
        return 0;
}

int write_file_atomic(const char *path, const char *data, size_t size,
                      unsigned mode)
{
        _cleanup_free_ char *tmp = strjoin_sep("", path, ".tmp", NULL);
        _cleanup_close_ int fd = -EBADF;
        size_t done = 0;

        if (!tmp)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                  mode);
        if (fd < 0)
                return negative_errno();
        while (done < size) {
                ssize_t w = write(fd, data + done, size - done);

                if (w < 0) {
                        int r = negative_errno();

                        if (errno == EINTR)
                                continue;
                        unlink(tmp);
                        return r;
                }
                done += (size_t)w;
        }
        /* rename() makes it old-or-new for every reader and for a crashed
         * writer. No fsync: devpass keeps state in /run, which does not
         * outlive the power loss that fsync would guard against. */
        if (rename(tmp, path) < 0) {
                int r = negative_errno();

                unlink(tmp);
                return r;
        }
        return 0;
}

int mkdir_p(const char *path, unsigned mode)
{
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}
