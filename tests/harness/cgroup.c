/* SPDX-License-Identifier: MIT */
/* cgroup v1 (devices) and cgroup2 handling of dp-testctr. The host may be
 * hybrid (v1 devices + cgroup2 at .../unified) or cgroup2-only, so the mount
 * points are always taken from /proc/self/mountinfo. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dp-testctr.h"

static bool opt_has(const char *opts, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = opts; p && *p;) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);

                if (len == n && strneq(p, word, n))
                        return true;
                p = e ? e + 1 : NULL;
        }
        return false;
}

int dpt_cgroup_mounts(char *v1, size_t v1_size, char *v2, size_t v2_size)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];

        v1[0] = v2[0] = 0;
        if (!f)
                return negative_errno();
        while (fgets(line, sizeof(line), f)) {
                char mnt[1024], fstype[64], superopts[1024];
                const char *sep = strstr(line, " - ");

                if (!sep)
                        continue;
                if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
                        continue;
                if (sscanf(sep + 3, "%63s %*s %1023s", fstype, superopts) != 2)
                        continue;
                if (streq(fstype, "cgroup2") && !v2[0])
                        snprintf(v2, v2_size, "%s", mnt);
                else if (streq(fstype, "cgroup") && !v1[0] &&
                         opt_has(superopts, "devices"))
                        snprintf(v1, v1_size, "%s", mnt);
        }
        return 0;
}

int dpt_cgroup_of_pid(pid_t pid, char *v1, size_t v1_size, char *v2,
                      size_t v2_size)
{
        char m1[512], m2[512], path[64], line[4096];
        _cleanup_fclose_ FILE *f = NULL;
        int r;

        r = dpt_cgroup_mounts(m1, sizeof(m1), m2, sizeof(m2));
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        v1[0] = v2[0] = 0;
        while (fgets(line, sizeof(line), f)) {
                char *ctrl, *cg;

                line[strcspn(line, "\n")] = 0;
                ctrl = strchr(line, ':');
                if (!ctrl)
                        continue;
                *ctrl++ = 0;
                cg = strchr(ctrl, ':');
                if (!cg)
                        continue;
                *cg++ = 0;
                if (streq(line, "0") && !ctrl[0] && m2[0])
                        snprintf(v2, v2_size, "%s%s", m2,
                                 streq(cg, "/") ? "" : cg);
                else if (opt_has(ctrl, "devices") && m1[0])
                        snprintf(v1, v1_size, "%s%s", m1,
                                 streq(cg, "/") ? "" : cg);
        }
        return 0;
}

int dpt_cgroup_create(const char *dir)
{
        int r = dpt_mkdir_p(dir, 0755);

        return r;
}

int dpt_cgroup_attach(const char *dir, pid_t pid)
{
        char path[600], buf[32];

        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        return dpt_write_file(path, buf);
}

/* The list LXC allows by default after denying everything. */
static const char *const default_allow[] = {
        "c *:* m",   "b *:* m",   "c 1:3 rwm",   "c 1:5 rwm",
        "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",   "c 5:0 rwm",
        "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

int dpt_cgroup_v1_deny_default(const char *dir)
{
        char path[600];
        int r;

        snprintf(path, sizeof(path), "%s/devices.deny", dir);
        r = dpt_write_file(path, "a");
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/devices.allow", dir);
        for (size_t i = 0; i < ELEMENTSOF(default_allow); i++) {
                r = dpt_write_file(path, default_allow[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = {.tv_sec = ms / 1000,
                              .tv_nsec = (long)(ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

static void kill_procs(const char *dir)
{
        char path[600];
        _cleanup_fclose_ FILE *f = NULL;
        int pid;

        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        f = fopen(path, "re");
        if (!f)
                return;
        while (fscanf(f, "%d", &pid) == 1)
                if (pid > 0 && pid != getpid())
                        kill(pid, SIGKILL);
}

static int destroy_tree(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        while ((de = readdir(d))) {
                char sub[1024];

                if (de->d_type != DT_DIR || streq(de->d_name, ".") ||
                    streq(de->d_name, ".."))
                        continue;
                snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
                if (destroy_tree(sub) < 0)
                        r = -EBUSY;
        }
        closedir(d);
        /* A killed task leaves the cgroup only once it has fully exited:
         * retry for a while before giving up. */
        for (int i = 0; i < 500; i++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return r;
                if (errno != EBUSY)
                        return negative_errno();
                kill_procs(dir);
                sleep_ms(10);
        }
        return -EBUSY;
}

int dpt_cgroup_destroy(const char *dir, bool v2)
{
        char path[600];

        if (isempty(dir))
                return 0;
        if (access(dir, F_OK) < 0)
                return 0;
        /* cgroup.kill (v2) kills the whole subtree at once, including tasks
         * that entered through `exec` and left the pid namespace's reach. */
        if (v2) {
                snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
                (void)dpt_write_file(path, "1");
        }
        kill_procs(dir);
        return destroy_tree(dir);
}
