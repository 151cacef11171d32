/* SPDX-License-Identifier: MIT */
/* A cgroup2 device program in the manner of container runtimes: deny by
 * default, then one compare-and-jump block per allowed rule. Assembled by
 * hand and loaded with raw bpf(2) so the harness needs no libbpf. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dp-testctr.h"

#define ANY (-1)

struct dev_rule {
        int type; /* BPF_DEVCG_DEV_CHAR / _BLOCK */
        int major, minor;
        unsigned access; /* BPF_DEVCG_ACC_* */
};

#define RWM (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* Same list as the v1 default allow list (cgroup.c). */
static const struct dev_rule runtime_rules[] = {
        {BPF_DEVCG_DEV_CHAR, ANY, ANY, BPF_DEVCG_ACC_MKNOD},
        {BPF_DEVCG_DEV_BLOCK, ANY, ANY, BPF_DEVCG_ACC_MKNOD},
        {BPF_DEVCG_DEV_CHAR, 1, 3, RWM},
        {BPF_DEVCG_DEV_CHAR, 1, 5, RWM},
        {BPF_DEVCG_DEV_CHAR, 1, 7, RWM},
        {BPF_DEVCG_DEV_CHAR, 1, 8, RWM},
        {BPF_DEVCG_DEV_CHAR, 1, 9, RWM},
        {BPF_DEVCG_DEV_CHAR, 5, 0, RWM},
        {BPF_DEVCG_DEV_CHAR, 5, 1, RWM},
        {BPF_DEVCG_DEV_CHAR, 5, 2, RWM},
        {BPF_DEVCG_DEV_CHAR, 136, ANY, RWM},
};

static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
        return (struct bpf_insn){.code = code,
                                 .dst_reg = dst,
                                 .src_reg = src,
                                 .off = off,
                                 .imm = imm};
}

/* Registers: r2 = device type, r3 = requested access, r4 = major,
 * r5 = minor; r1 is scratch once the context has been read. */
static size_t emit_rule(struct bpf_insn *p, const struct dev_rule *rule)
{
        size_t n = 0, jumps[4], njumps = 0;

        jumps[njumps++] = n;
        p[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, rule->type);
        if (rule->access != RWM) {
                /* Allowed only if the request is a subset of the rule. */
                p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3,
                              0, 0);
                p[n++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0,
                              (__s32)rule->access);
                jumps[njumps++] = n;
                p[n++] = insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3,
                              0, 0);
        }
        if (rule->major != ANY) {
                jumps[njumps++] = n;
                p[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0,
                              rule->major);
        }
        if (rule->minor != ANY) {
                jumps[njumps++] = n;
                p[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0,
                              rule->minor);
        }
        p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
        p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        /* Every mismatch skips to the first instruction after this block. */
        for (size_t i = 0; i < njumps; i++)
                p[jumps[i]].off = (__s16)(n - jumps[i] - 1);
        return n;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
        return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_runtime_prog(void)
{
        struct bpf_insn prog[256];
        size_t n = 0;
        union bpf_attr attr;
        int fd;

        /* r2 = ctx->access_type & 0xffff, r3 = ctx->access_type >> 16 */
        prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);
        prog[n++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
        prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0);
        prog[n++] = insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
        prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0);
        prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0);
        for (size_t i = 0; i < ELEMENTSOF(runtime_rules); i++)
                n += emit_rule(prog + n, &runtime_rules[i]);
        prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
        prog[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (__u64)(unsigned long)prog;
        attr.insn_cnt = (__u32)n;
        attr.license = (__u64)(unsigned long)"GPL";
        strncpy(attr.prog_name, "dpt_runtime", sizeof(attr.prog_name) - 1);
        fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
        return fd < 0 ? negative_errno() : fd;
}

int dpt_bpf_attach_runtime_prog(const char *cgroup_dir)
{
        union bpf_attr attr;
        _cleanup_close_ int prog_fd = -EBADF, cg_fd = -EBADF;

        prog_fd = load_runtime_prog();
        if (prog_fd < 0)
                return prog_fd;

        cg_fd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg_fd < 0)
                return negative_errno();
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (__u32)cg_fd;
        attr.attach_bpf_fd = (__u32)prog_fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        /* The attachment holds its own reference: the program stays after
         * this process closes its fds and exits. */
        if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
                return negative_errno();
        return 0;
}

int dpt_bpf_reapply_runtime_prog(const char *cgroup_dir)
{
        _cleanup_close_ int cg_fd = -EBADF;
        __u32 ids[64], n = 64;
        union bpf_attr attr;

        cg_fd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg_fd < 0)
                return negative_errno();
        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (__u32)cg_fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (__u64)(unsigned long)ids;
        attr.query.prog_cnt = n;
        if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
                return negative_errno();
        n = attr.query.prog_cnt;
        if (n == 0)
                return -ENOENT;
        for (__u32 i = 0; i < n; i++) {
                _cleanup_close_ int old_fd = -EBADF, new_fd = -EBADF;

                memset(&attr, 0, sizeof(attr));
                attr.prog_id = ids[i];
                old_fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
                if (old_fd < 0)
                        return negative_errno();
                new_fd = load_runtime_prog();
                if (new_fd < 0)
                        return new_fd;
                memset(&attr, 0, sizeof(attr));
                attr.target_fd = (__u32)cg_fd;
                attr.attach_bpf_fd = (__u32)new_fd;
                attr.attach_type = BPF_CGROUP_DEVICE;
                attr.attach_flags = BPF_F_ALLOW_MULTI | BPF_F_REPLACE;
                attr.replace_bpf_fd = (__u32)old_fd;
                if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
                        return negative_errno();
        }
        return 0;
}
