/* SPDX-License-Identifier: MIT */
/* Grants through systemd (cgroup-systemd.c) live in a module,
 * devpass-systemd.so, loaded on a host where systemd is PID 1 the first
 * time a grant asks which unit owns a container (module-load.h): an agent
 * elsewhere never maps libsystemd. Also here, needing no libsystemd: the
 * count of device programs at a cgroup. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpf-sys.h"
#include "devpass/act.h"
#include "devpass/util.h"
#include "module-load.h"

#define CG_MAX_PROGS 64

static struct {
        int (*unit_by_pid)(pid_t, dp_sd_unit *);
        int (*allow_get)(const char *, dp_sd_allow **, size_t *);
        int (*allow_add)(const char *, const dp_sd_allow *, size_t);
        int (*allow_set)(const char *, const dp_sd_allow *, size_t);
} sdm;

/* systemd as PID 1, as sd_booted() tells it: the directory only systemd as
 * init creates. -ENOMEDIUM elsewhere, and then nothing is loaded. */
static int sd_load(void)
{
        static const char *const names[] = {
                "dp_sdbus_unit_by_pid",
                "dp_sdbus_allow_get",
                "dp_sdbus_allow_add",
                "dp_sdbus_allow_set",
        };
        void *syms[ELEMENTSOF(names)];
        struct stat st;
        int r;

        if (sdm.unit_by_pid)
                return 0;
        if (lstat("/run/systemd/system", &st) < 0 || !S_ISDIR(st.st_mode))
                return -ENOMEDIUM;
        r = dp_module_load(DEVPASS_SYSTEMD_MODULE, DEVPASS_SYSTEMD_MODULE_BUILD,
                           "grant through systemd", names, syms,
                           ELEMENTSOF(names));
        if (r < 0)
                return r;
        sdm.allow_get = syms[1];
        sdm.allow_add = syms[2];
        sdm.allow_set = syms[3];
        sdm.unit_by_pid = syms[0]; /* last: it says the others are set */
        return 0;
}

int dp_sd_unit_by_pid(pid_t pid, dp_sd_unit *ret)
{
        int r = sd_load();

        /* without the module the grant keeps to devpass's own program */
        return r < 0 ? -ENOMEDIUM : sdm.unit_by_pid(pid, ret);
}

int dp_sd_allow_get(const char *unit, dp_sd_allow **ret, size_t *ret_n)
{
        int r = sd_load();

        return r < 0 ? -ENOMEDIUM : sdm.allow_get(unit, ret, ret_n);
}

int dp_sd_allow_add(const char *unit, const dp_sd_allow *a, size_t n)
{
        int r = sd_load();

        return r < 0 ? -ENOMEDIUM : sdm.allow_add(unit, a, n);
}

int dp_sd_allow_set(const char *unit, const dp_sd_allow *a, size_t n)
{
        int r = sd_load();

        return r < 0 ? -ENOMEDIUM : sdm.allow_set(unit, a, n);
}

int dp_cg2_progs(const char *cgdir, unsigned *ret_all, unsigned *ret_systemd)
{
        _cleanup_close_ int cg_fd = -EBADF;
        uint32_t ids[CG_MAX_PROGS], n = CG_MAX_PROGS;
        unsigned sd = 0;
        int r;

        if (isempty(cgdir))
                return -EINVAL;
        cg_fd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg_fd < 0)
                return negative_errno();
        r = dp_bpf_prog_query(cg_fd, BPF_CGROUP_DEVICE, BPF_F_QUERY_EFFECTIVE,
                              NULL, ids, &n);
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = dp_bpf_prog_get_fd_by_id(ids[i]);
                struct bpf_prog_info info;

                /* one gone since the query counts as someone else's: the
                 * caller then keeps to its own program */
                if (fd < 0 || dp_bpf_prog_info(fd, &info, NULL, 0) < 0)
                        continue;
                if (strneq(info.name, DP_SD_PROG_NAME, sizeof(info.name)))
                        sd++;
        }
        *ret_all = n;
        *ret_systemd = sd;
        return 0;
}
