/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "act-cgroup-util.h"
#include "devpass/util.h"

static long sys_bpf(int cmd, union bpf_attr *attr)
{
        return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static const char *find_mount(const char *fstype, const char *opt)
{
        static char found[2][256];
        char *slot = found[opt ? 1 : 0];
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[1024];

        if (slot[0])
                return slot;
        if (!f)
                return NULL;
        while (fgets(line, sizeof(line), f)) {
                char mnt[256], type[64], sopts[512];

                /* id parent maj:min root MOUNT opts... - TYPE SRC SOPTS */
                if (sscanf(line, "%*s %*s %*s %*s %255s %*s", mnt) != 1)
                        continue;
                char *dash = strstr(line, " - ");
                if (!dash ||
                    sscanf(dash, " - %63s %*s %511s", type, sopts) != 2)
                        continue;
                if (!streq(type, fstype))
                        continue;
                if (opt && !strstr(sopts, opt))
                        continue;
                snprintf(slot, sizeof(found[0]), "%s", mnt);
                return slot;
        }
        return NULL;
}

const char *dpt_cg2_root(void)
{
        return find_mount("cgroup2", NULL);
}

const char *dpt_cg1_devices_root(void)
{
        return find_mount("cgroup", "devices");
}

int dpt_cg_make(const char *root, const char *name, char **ret)
{
        char *p = strjoin_sep("/", root, name, NULL);

        if (!p)
                return -ENOMEM;
        if (mkdir(p, 0755) < 0) {
                int r = negative_errno();

                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

int dpt_cg_remove(const char *cg)
{
        uint32_t ids[64] = {0}, n = 64;

        if (!cg || access(cg, F_OK) < 0)
                return 0;
        /* v1 directories have no programs; the query just fails there. */
        if (dpt_query(cg, ids, &n) == 0) {
                _cleanup_close_ int cg_fd =
                        open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                for (uint32_t i = 0; i < n && cg_fd >= 0; i++) {
                        union bpf_attr a;
                        int fd;

                        memset(&a, 0, sizeof(a));
                        a.prog_id = ids[i];
                        fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
                        if (fd < 0)
                                continue;
                        memset(&a, 0, sizeof(a));
                        a.target_fd = (uint32_t)cg_fd;
                        a.attach_bpf_fd = (uint32_t)fd;
                        a.attach_type = BPF_CGROUP_DEVICE;
                        (void)sys_bpf(BPF_PROG_DETACH, &a);
                        close(fd);
                }
        }
        for (int i = 0; i < 200; i++) {
                if (rmdir(cg) >= 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        break;
                usleep(10000);
        }
        return negative_errno();
}

static int join(const char *cg)
{
        _cleanup_free_ char *p = strjoin_sep("/", cg, "cgroup.procs", NULL);

        return p ? write_string_file(p, "0") : -ENOMEM;
}

int dpt_probe(const char *cg1, const char *cg2, const char *path, int flags)
{
        pid_t pid = fork();
        int status;

        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                int fd;

                if ((cg1 && join(cg1) < 0) || (cg2 && join(cg2) < 0))
                        _exit(255);
                fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
                _exit(fd >= 0 ? 0 : (errno > 0 && errno < 255 ? errno : 254));
        }
        if (waitpid(pid, &status, 0) < 0)
                return negative_errno();
        if (!WIFEXITED(status) || WEXITSTATUS(status) >= 254)
                return -EIO;
        return -WEXITSTATUS(status);
}

/* ---- the runtime program ---- */
#define ANY (-1)
#define RWM (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

static const struct {
        int type, major, minor;
        int access;
} rules[] = {
        {BPF_DEVCG_DEV_CHAR, ANY, ANY, BPF_DEVCG_ACC_MKNOD},
        {BPF_DEVCG_DEV_BLOCK, ANY, ANY, BPF_DEVCG_ACC_MKNOD},
        {BPF_DEVCG_DEV_CHAR, 1, 3, RWM},
        {BPF_DEVCG_DEV_CHAR, 1, 5, RWM},
        {BPF_DEVCG_DEV_CHAR, 1, 7, RWM},
        {BPF_DEVCG_DEV_CHAR, 1, 8, RWM},
        {BPF_DEVCG_DEV_CHAR, 1, 9, RWM},
        {BPF_DEVCG_DEV_CHAR, 5, ANY, RWM},
        {BPF_DEVCG_DEV_CHAR, 136, ANY, RWM},
};

static struct bpf_insn I(uint8_t code, uint8_t dst, uint8_t src, int16_t off,
                         int32_t imm) {
        return (struct bpf_insn){.code = code,
                                 .dst_reg = dst,
                                 .src_reg = src,
                                 .off = off,
                                 .imm = imm};
}

int dpt_runtime_prog_load_as(uint32_t expected_attach_type)
{
        struct bpf_insn p[256];
        union bpf_attr a;
        size_t n = 0;

        /* r2 = type, r3 = access, r4 = major, r5 = minor */
        p[n++] = I(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0);
        p[n++] = I(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
        p[n++] = I(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 0, 0);
        p[n++] = I(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
        p[n++] = I(BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0);
        p[n++] = I(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0);
        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                size_t jumps[4], nj = 0;

                jumps[nj++] = n;
                p[n++] = I(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, rules[i].type);
                if (rules[i].access != RWM) {
                        /* request must be a subset: (acc & ~allowed) == 0 */
                        p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_X, 1, 3, 0, 0);
                        p[n++] = I(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0,
                                   ~rules[i].access & RWM);
                        jumps[nj++] = n;
                        p[n++] = I(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 0, 0);
                }
                if (rules[i].major != ANY) {
                        jumps[nj++] = n;
                        p[n++] = I(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0,
                                   rules[i].major);
                }
                if (rules[i].minor != ANY) {
                        jumps[nj++] = n;
                        p[n++] = I(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0,
                                   rules[i].minor);
                }
                p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
                p[n++] = I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
                for (size_t j = 0; j < nj; j++)
                        p[jumps[j]].off = (int16_t)(n - jumps[j] - 1);
        }
        p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
        p[n++] = I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

        memset(&a, 0, sizeof(a));
        a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        a.expected_attach_type = expected_attach_type;
        a.insns = (uint64_t)(uintptr_t)p;
        a.insn_cnt = (uint32_t)n;
        a.license = (uint64_t)(uintptr_t) "GPL";
        strncpy(a.prog_name, "dpt_runtime", sizeof(a.prog_name) - 1);
        long fd = sys_bpf(BPF_PROG_LOAD, &a);

        return fd < 0 ? negative_errno() : (int)fd;
}

int dpt_runtime_prog_load(void)
{
        return dpt_runtime_prog_load_as(BPF_CGROUP_DEVICE);
}

int dpt_attach(int prog_fd, const char *cg, uint32_t flags)
{
        _cleanup_close_ int cg_fd =
                open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        union bpf_attr a;

        if (cg_fd < 0)
                return negative_errno();
        memset(&a, 0, sizeof(a));
        a.target_fd = (uint32_t)cg_fd;
        a.attach_bpf_fd = (uint32_t)prog_fd;
        a.attach_type = BPF_CGROUP_DEVICE;
        a.attach_flags = flags;
        return sys_bpf(BPF_PROG_ATTACH, &a) < 0 ? negative_errno() : 0;
}

int dpt_query(const char *cg, uint32_t *ids, uint32_t *n)
{
        _cleanup_close_ int cg_fd =
                open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        union bpf_attr a;

        if (cg_fd < 0)
                return negative_errno();
        memset(&a, 0, sizeof(a));
        a.query.target_fd = (uint32_t)cg_fd;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        a.query.prog_ids = (uint64_t)(uintptr_t)ids;
        a.query.prog_cnt = *n;
        if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
                return negative_errno();
        *n = a.query.prog_cnt;
        return 0;
}

static int prog_info(uint32_t id, struct bpf_prog_info *info, uint32_t *maps,
                     uint32_t n_maps)
{
        union bpf_attr a;
        int fd, r = 0;

        memset(&a, 0, sizeof(a));
        a.prog_id = id;
        fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
        if (fd < 0)
                return negative_errno();
        memset(info, 0, sizeof(*info));
        if (maps) {
                info->nr_map_ids = n_maps;
                info->map_ids = (uint64_t)(uintptr_t)maps;
        }
        memset(&a, 0, sizeof(a));
        a.info.bpf_fd = (uint32_t)fd;
        a.info.info_len = sizeof(*info);
        a.info.info = (uint64_t)(uintptr_t)info;
        if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
                r = negative_errno();
        close(fd);
        return r;
}

int dpt_prog_name(uint32_t id, char name[16])
{
        struct bpf_prog_info info;
        int r = prog_info(id, &info, NULL, 0);

        if (r < 0)
                return r;
        memcpy(name, info.name, 16);
        name[15] = 0;
        return 0;
}

int dpt_prog_maps(uint32_t id, uint32_t *ids, uint32_t *n)
{
        struct bpf_prog_info info;
        int r = prog_info(id, &info, ids, *n);

        if (r < 0)
                return r;
        *n = info.nr_map_ids;
        return 0;
}

int dpt_mknod(const char *dir, const char *name, unsigned major, unsigned minor,
              char **ret)
{
        char *p = strjoin_sep("/", dir, name, NULL);

        if (!p)
                return -ENOMEM;
        if (mknod(p, S_IFCHR | 0600, makedev(major, minor)) < 0) {
                int r = negative_errno();

                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

int dpt_scratch_nodes(char *dir, char **ret_card, char **ret_usb)
{
        _cleanup_free_ char *card = NULL, *usb = NULL;
        int r;

        if (!mkdtemp(dir))
                return negative_errno();
        r = dpt_mknod(dir, "card", 226, 0, &card);
        if (r < 0)
                return r;
        r = dpt_mknod(dir, "usb", 189, 1, &usb);
        if (r < 0)
                return r;
        *ret_card = TAKE_PTR(card);
        *ret_usb = TAKE_PTR(usb);
        return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
        if (flag == FTW_DP)
                return rmdir(path) < 0 ? -1 : 0;
        return unlink(path) < 0 ? -1 : 0;
}

int dpt_rm_rf(const char *path)
{
        if (access(path, F_OK) < 0)
                return 0;
        if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
                return negative_errno();
        return 0;
}

uint64_t dpt_now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
