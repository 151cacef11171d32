/* SPDX-License-Identifier: MIT */
/* systemd-nspawn machines, as registered by systemd-machined in
 * /run/systemd/machines/NAME (LEADER=, CLASS=, SCOPE=). Their cgroup is a
 * machine scope owned by systemd, so grants must go through systemd. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/util.h"

static const char *machines_dir(void)
{
        const char *e = dp_config_get()->machines_dir;

        return isempty(e) ? "/run/systemd/machines" : e;
}

/* machined writes plain KEY=VALUE lines; tolerate quoting anyway. */
static int read_env_file(const char *path, char ***ret)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **env = NULL;
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        env = calloc(1, sizeof(char *));
        if (!env)
                return -ENOMEM;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *eq, *v;
                size_t l;

                line = strstrip(line);
                eq = strchr(line, '=');
                if (line[0] == '#' || !eq)
                        continue;
                *eq = 0;
                v = eq + 1;
                l = strlen(v);
                if (l >= 2 && (v[0] == '"' || v[0] == '\'') &&
                    v[l - 1] == v[0]) {
                        v[l - 1] = 0;
                        v++;
                }
                r = strv_env_set(&env, line, v);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(env);
        return 0;
}

static bool nspawn_installed(void)
{
        return dp_config_get()->machines_dir ||
               access("/usr/bin/systemd-nspawn", X_OK) == 0;
}

static bool machines_dir_present(void)
{
        struct stat st;

        if (stat(machines_dir(), &st) == 0 && S_ISDIR(st.st_mode))
                return true;
        /* On a systemd host with no machine ever registered the directory
         * may not exist yet; nspawn is still "there". */
        return isempty(dp_config_get()->machines_dir) &&
               access("/run/systemd/system", F_OK) == 0 &&
               access("/usr/bin/systemd-nspawn", X_OK) == 0;
}

/* machined's registration decides where devices go: only a regular file
 * that root wrote, in a directory only root may change, is believed. */
static int machine_file_trusted(const char *path)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st, dst;

        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ENOENT : negative_errno();
        if (fstat(fd, &st) < 0 || stat(machines_dir(), &dst) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -ENOENT;
        if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
            dst.st_uid != 0 || (dst.st_mode & (S_IWGRP | S_IWOTH)))
                return -EKEYREJECTED;
        return 0;
}

static int machine_leader(const char *name, pid_t *ret_pid,
                          dp_runtime_extra *ret_extra)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_strv_free_ char **env = NULL;
        const char *cls, *leader, *scope;
        unsigned pid;
        struct stat st;
        int r;

        /* "unit:…" entries are machined's symlinks, not machines. */
        if (name[0] == '.' || strchr(name, ':'))
                return -ENOENT;
        path = strjoin_sep("/", machines_dir(), name, NULL);
        if (!path)
                return -ENOMEM;
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                /* nspawn is installed but nothing registers its machines:
                 * say so rather than "no such container". */
                if (!machines_dir_present())
                        return nspawn_installed() ? -EHOSTDOWN : -ENOMEDIUM;
                return -ENOENT;
        }
        r = machine_file_trusted(path);
        if (r < 0)
                return r;
        r = read_env_file(path, &env);
        if (r < 0)
                return r == -ENOENT ? -ENOENT : r;
        cls = strv_env_get(env, "CLASS");
        if (cls && !streq(cls, "container"))
                return -ENOENT; /* a VM: nothing to map devices into */
        leader = strv_env_get(env, "LEADER");
        if (!leader || safe_atou(leader, &pid) < 0 || pid == 0 ||
            pid > INT32_MAX)
                return -ESRCH;
        scope = strv_env_get(env, "SCOPE");
        if (scope) {
                /* the leader lives in (or below) the machine's scope */
                if (strlen(scope) >= sizeof(ret_extra->cgroup_token) ||
                    strchr(scope, '/'))
                        return -EBADMSG;
                strcpy(ret_extra->cgroup_token, scope);
                ret_extra->cgroup_exact = true;
        }
        ret_extra->parent_root = true;
        *ret_pid = (pid_t)pid;
        return 0;
}

static int nspawn_find(const char *name, pid_t *ret_pid,
                       dp_runtime_extra *ret_extra)
{
        pid_t pid;
        char proc[32];
        int r;

        r = machine_leader(name, &pid, ret_extra);
        if (r < 0)
                return r;
        /* A registration left behind by a dead leader: stopped. */
        snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
        if (access(proc, F_OK) < 0)
                return -ESRCH;
        *ret_pid = pid;
        ret_extra->systemd_managed = true;
        return 0;
}

static int nspawn_list(char ***ret_names)
{
        _cleanup_strv_free_ char **names = NULL;
        DIR *d;
        struct dirent *de;
        int r = 0;

        d = opendir(machines_dir());
        if (!d)
                return errno == ENOENT ? -ENOMEDIUM : negative_errno();
        names = calloc(1, sizeof(char *));
        if (!names) {
                closedir(d);
                return -ENOMEM;
        }
        while ((de = readdir(d))) {
                dp_runtime_extra extra = {};
                pid_t pid;

                /* a name outside the reference grammar is listed, so
                 * that the agent says why no rule can name it */
                if (de->d_name[0] == '.')
                        continue;
                if (nspawn_find(de->d_name, &pid, &extra) < 0)
                        continue;
                r = strv_extend(&names, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        *ret_names = TAKE_PTR(names);
        return 0;
}

const dp_runtime_ops dp_runtime_nspawn_ops = {
        .runtime = DP_RUNTIME_NSPAWN,
        .name = "nspawn",
        .list = nspawn_list,
        .find_pid = nspawn_find,
};
