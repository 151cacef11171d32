/* SPDX-License-Identifier: MIT */
/* File helpers and the per-container state file of dp-testctr. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp-testctr.h"

int dpt_write_file(const char *path, const char *s)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        size_t n = strlen(s);
        ssize_t w;

        if (fd < 0)
                return negative_errno();
        w = write(fd, s, n);
        if (w < 0)
                return negative_errno();
        return (size_t)w == n ? 0 : -EIO;
}

/* Reads up to SIZE-1 bytes and NUL-terminates; returns the length. */
int dpt_read_file(const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        size_t done = 0;

        if (fd < 0)
                return negative_errno();
        while (done + 1 < size) {
                ssize_t n = read(fd, buf + done, size - 1 - done);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                done += (size_t)n;
        }
        buf[done] = 0;
        return (int)done;
}

int dpt_mkdir_p(const char *path, unsigned mode)
{
        char p[4096];

        if (strlen(path) >= sizeof(p))
                return -ENAMETOOLONG;
        strcpy(p, path);
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

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
        /* FTW_MOUNT keeps the walk on one file system, so a bind mount left
         * behind is never emptied; its mount point then fails rmdir. */
        if (flag == FTW_DP)
                rmdir(path);
        else
                unlink(path);
        return 0;
}

int dpt_rm_rf(const char *path)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        if (lstat(path, &st) == 0)
                return -EBUSY;
        return 0;
}

int dpt_proc_starttime(pid_t pid, unsigned long long *ret)
{
        char path[64], buf[1024];
        char *p;
        int r;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        r = dpt_read_file(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        /* comm may contain spaces and parentheses: skip past the last ')'. */
        p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        p++;
        /* Field 3 (state) follows; starttime is field 22. */
        for (int field = 2; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EIO;
        }
        *ret = strtoull(p + 1, NULL, 10);
        return 0;
}

bool dpt_name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > 63 || name[0] == '.' || name[0] == '-')
                return false;
        for (const char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
                      *c == '.'))
                        return false;
        return true;
}

void dpt_info_print(const struct dpt_info *info, FILE *f)
{
        fprintf(f,
                "pid=%d\nname=%s\nuserns=%d\nuid_base=%u\ngid_base=%u\n"
                "cgroup_v1=%s\ncgroup_v2=%s\nrootfs=%s\n",
                (int)info->pid, info->name, info->userns ? 1 : 0,
                info->uid_base, info->gid_base, info->cgroup_v1,
                info->cgroup_v2, info->rootfs);
}

int dpt_info_write(const struct dpt_info *info)
{
        char path[512], tmp[520];
        FILE *f;

        snprintf(path, sizeof(path), DPT_STATE_DIR "/%s/info", info->name);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "we");
        if (!f)
                return negative_errno();
        dpt_info_print(info, f);
        /* Not part of the printed info: only used to detect pid reuse. */
        fprintf(f, "starttime=%llu\n", info->starttime);
        if (fclose(f) != 0 || rename(tmp, path) < 0) {
                int r = negative_errno();

                unlink(tmp);
                return r;
        }
        return 0;
}

static void copy_value(char *dst, size_t size, const char *v)
{
        snprintf(dst, size, "%s", v);
}

int dpt_info_load_name(const char *name, struct dpt_info *ret)
{
        char path[512], buf[4096];
        struct dpt_info info = {};
        char *line, *save = NULL;
        int r;

        if (!dpt_name_valid(name))
                return -EINVAL;
        snprintf(path, sizeof(path), DPT_STATE_DIR "/%s/info", name);
        r = dpt_read_file(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        for (line = strtok_r(buf, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *v = strchr(line, '=');

                if (!v)
                        continue;
                *v++ = 0;
                if (streq(line, "pid"))
                        info.pid = (pid_t)atoi(v);
                else if (streq(line, "name"))
                        copy_value(info.name, sizeof(info.name), v);
                else if (streq(line, "userns"))
                        info.userns = atoi(v) != 0;
                else if (streq(line, "uid_base"))
                        info.uid_base = (unsigned)strtoul(v, NULL, 10);
                else if (streq(line, "gid_base"))
                        info.gid_base = (unsigned)strtoul(v, NULL, 10);
                else if (streq(line, "cgroup_v1"))
                        copy_value(info.cgroup_v1, sizeof(info.cgroup_v1), v);
                else if (streq(line, "cgroup_v2"))
                        copy_value(info.cgroup_v2, sizeof(info.cgroup_v2), v);
                else if (streq(line, "rootfs"))
                        copy_value(info.rootfs, sizeof(info.rootfs), v);
                else if (streq(line, "starttime"))
                        info.starttime = strtoull(v, NULL, 10);
        }
        if (info.pid <= 0 || !streq(info.name, name))
                return -EBADMSG;
        *ret = info;
        return 0;
}

int dpt_info_load_pid(pid_t pid, struct dpt_info *ret)
{
        DIR *d = opendir(DPT_STATE_DIR);
        struct dirent *de;
        int r = -ESRCH;

        if (!d)
                return errno == ENOENT ? -ESRCH : negative_errno();
        while ((de = readdir(d))) {
                struct dpt_info info;

                if (de->d_name[0] == '.')
                        continue;
                if (dpt_info_load_name(de->d_name, &info) < 0)
                        continue;
                if (info.pid == pid) {
                        *ret = info;
                        r = 0;
                        break;
                }
        }
        closedir(d);
        return r;
}
