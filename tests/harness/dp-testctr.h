/* SPDX-License-Identifier: MIT */
#pragma once

/* dp-testctr: a minimal container launcher for devpass tests.
 * See tests/harness/README.md for the command line. Internal interfaces
 * between the launcher's source files; every function returns a negative
 * errno on failure. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "devpass/macro.h"

#define DPT_STATE_DIR     "/run/dp-test"
#define DPT_CGROUP_PARENT "dp-test"
#define DPT_USERNS_BASE   100000u
#define DPT_USERNS_RANGE  65536u

struct dpt_opts {
        const char *name;
        bool userns;
        bool v1_deny;
        bool v2_runtime_prog;
        bool share_usr;
        bool netns_only;
};

/* What `info` prints and `stop` needs; stored in DPT_STATE_DIR/NAME/info. */
struct dpt_info {
        pid_t pid;
        char name[128];
        bool userns;
        unsigned uid_base;
        unsigned gid_base;
        char cgroup_v1[512];
        char cgroup_v2[512];
        char rootfs[512];
        unsigned long long starttime; /* guards against pid reuse */
};

/* ---- small file helpers (util.c) ---- */
int dpt_write_file(const char *path, const char *s);
int dpt_read_file(const char *path, char *buf, size_t size);
int dpt_mkdir_p(const char *path, unsigned mode);
int dpt_rm_rf(const char *path);
int dpt_proc_starttime(pid_t pid, unsigned long long *ret);
bool dpt_name_valid(const char *name);

/* ---- state (util.c) ---- */
int dpt_info_write(const struct dpt_info *info);
int dpt_info_load_name(const char *name, struct dpt_info *ret);
int dpt_info_load_pid(pid_t pid, struct dpt_info *ret);
void dpt_info_print(const struct dpt_info *info, FILE *f);

/* ---- cgroups (cgroup.c) ---- */
/* Mount points of the v1 devices hierarchy and of cgroup2; "" when absent. */
int dpt_cgroup_mounts(char *v1, size_t v1_size, char *v2, size_t v2_size);
/* Absolute cgroup dirs of PID in the v1 devices and the v2 hierarchy. */
int dpt_cgroup_of_pid(pid_t pid, char *v1, size_t v1_size, char *v2,
                      size_t v2_size);
int dpt_cgroup_create(const char *dir);
int dpt_cgroup_attach(const char *dir, pid_t pid);
int dpt_cgroup_v1_deny_default(const char *dir);
/* Kills whatever is left in DIR and its children, then rmdirs them. */
int dpt_cgroup_destroy(const char *dir, bool v2);

/* ---- BPF device program (bpf.c) ---- */
int dpt_bpf_attach_runtime_prog(const char *cgroup_dir);
/* A runtime re-applying its config: a fresh program of its own replaces
 * (MULTI|REPLACE) each program attached at the cgroup, whoever put it
 * there. -ENOENT when none is attached. */
int dpt_bpf_reapply_runtime_prog(const char *cgroup_dir);

/* ---- rootfs (rootfs.c) ---- */
/* Host side, before clone(): mounts a tmpfs at ROOT and fills it. */
int dpt_rootfs_populate(const char *root, const struct dpt_opts *opts);
/* Container side, inside the new namespaces: mounts /dev, /proc, /sys,
 * the shared /usr and pivots into ROOT. On failure ERRMSG says which step. */
int dpt_rootfs_enter(const char *root, const struct dpt_opts *opts,
                     char *errmsg, size_t errmsg_size);

/* ---- joining (join.c) ---- */
/* Exit status of `exec` when the container cannot be entered. */
#define DPT_JOIN_FAILED 125
/* Forks a process that joins PID's cgroups and namespaces and forks again;
 * returns 0 in that last child, which runs inside, and the first child's pid
 * in the caller, whose exit status is the inner child's, or a negative
 * errno. */
int dpt_join(pid_t pid);
int dpt_cmd_exec(pid_t pid, char **argv);
int dpt_cmd_open(pid_t pid, const char *path, const char *mode);
