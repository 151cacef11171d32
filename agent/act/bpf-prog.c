/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "bpf-prog.h"
#include "devpass/device.h"

/* ---- instruction macros: one bpf_insn each (LD_MAP_FD: two) ---- */
#define INSN(c, d, s, o, i)                \
        ((struct bpf_insn){.code = (c),    \
                           .dst_reg = (d), \
                           .src_reg = (s), \
                           .off = (o),     \
                           .imm = (i)})
/* dst = src (64 bit) */
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
/* dst = imm (64 bit, sign-extended) */
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
/* dst op= imm (32 bit: upper half cleared) */
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU32_REG(op, d, s) INSN(BPF_ALU | (op) | BPF_X, d, s, 0, 0)
/* dst = *(u32 *)(src + off) */
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
/* *(u32 *)(dst + off) = src */
#define STX_W(d, o, s) INSN(BPF_STX | BPF_MEM | BPF_W, d, s, o, 0)
/* *(u32 *)(dst + off) = imm */
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
/* if (dst == imm) pc += off */
#define JEQ_IMM(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define CALL(f)          INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()           INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* dst = map referenced by fd: a 16-byte load the verifier rewrites */
#define LD_MAP_FD_1(d, fd) \
        INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd)
#define LD_MAP_FD_2() INSN(0, 0, 0, 0, 0)

/* Registers: r6 = ctx, r7 = requested access (BPF_DEVCG_ACC_* bits). The
 * key lives on the stack at fp-16: type, major, minor. */
#define R_CTX    6
#define R_ACCESS 7
#define KEY_OFF  (-16)

typedef struct builder {
        struct bpf_insn *insns;
        size_t n, cap;
} builder;

static void emit(builder *b, struct bpf_insn insn)
{
        if (b->n < b->cap)
                b->insns[b->n] = insn;
        b->n++;
}

/* Looks the key up; when found and its value covers every requested bit,
 * jumps to the "allow" tail, whose position is patched later. Returns the
 * index of that jump. Falls through otherwise. */
static size_t emit_lookup(builder *b, int map_fd)
{
        size_t jmp;

        emit(b, LD_MAP_FD_1(BPF_REG_1, map_fd));
        emit(b, LD_MAP_FD_2());
        emit(b, MOV64_REG(BPF_REG_2, BPF_REG_10));
        emit(b, ALU64_IMM(BPF_ADD, BPF_REG_2, KEY_OFF));
        emit(b, CALL(BPF_FUNC_map_lookup_elem));
        /* Not in the map: skip the 4 instructions of the check. */
        emit(b, JEQ_IMM(BPF_REG_0, 0, 4));
        /* r1 = requested & ~allowed; 0 means everything asked is granted. */
        emit(b, LDX_W(BPF_REG_1, BPF_REG_0, 0));
        emit(b, ALU32_IMM(BPF_XOR, BPF_REG_1, -1));
        emit(b, ALU32_REG(BPF_AND, BPF_REG_1, R_ACCESS));
        jmp = b->n;
        emit(b, JEQ_IMM(BPF_REG_1, 0, 0)); /* → allow, patched */
        return jmp;
}

static void patch_jump(builder *b, size_t at, size_t target)
{
        if (at < b->cap)
                b->insns[at].off = (int16_t)(target - at - 1);
}

int dp_bpf_devprog_build(int grants_map_fd, int prog_array_fd,
                         struct bpf_insn *insns, size_t n_insns)
{
        builder b = {.insns = insns, .cap = n_insns};
        size_t j_exact, j_any, allow;

        /* Split ctx->access_type: the device type in the low 16 bits, the
         * access in the high 16, and build the key. */
        emit(&b, MOV64_REG(R_CTX, BPF_REG_1));
        emit(&b, LDX_W(BPF_REG_2, R_CTX,
                       offsetof(struct bpf_cgroup_dev_ctx, access_type)));
        emit(&b, MOV64_REG(R_ACCESS, BPF_REG_2));
        emit(&b, ALU32_IMM(BPF_RSH, R_ACCESS, 16));
        emit(&b, ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff));
        emit(&b, STX_W(BPF_REG_10, KEY_OFF + 0, BPF_REG_2));
        emit(&b, LDX_W(BPF_REG_2, R_CTX,
                       offsetof(struct bpf_cgroup_dev_ctx, major)));
        emit(&b, STX_W(BPF_REG_10, KEY_OFF + 4, BPF_REG_2));
        emit(&b, LDX_W(BPF_REG_2, R_CTX,
                       offsetof(struct bpf_cgroup_dev_ctx, minor)));
        emit(&b, STX_W(BPF_REG_10, KEY_OFF + 8, BPF_REG_2));

        /* 1. exact {type, major, minor} */
        j_exact = emit_lookup(&b, grants_map_fd);
        /* 2. {type, major, any minor} */
        emit(&b, ST_W(BPF_REG_10, KEY_OFF + 8, (int32_t)DP_BPF_MINOR_ANY));
        j_any = emit_lookup(&b, grants_map_fd);

        /* 3. not granted by devpass: hand the unchanged ctx to the runtime's
         * program. bpf_tail_call does not return on success; when the slot
         * is empty it falls through and the access is denied, as the
         * original would have been missing anyway. */
        emit(&b, MOV64_REG(BPF_REG_1, R_CTX));
        emit(&b, LD_MAP_FD_1(BPF_REG_2, prog_array_fd));
        emit(&b, LD_MAP_FD_2());
        emit(&b, MOV64_IMM(BPF_REG_3, 0));
        emit(&b, CALL(BPF_FUNC_tail_call));
        emit(&b, MOV64_IMM(BPF_REG_0, 0));
        emit(&b, EXIT());

        /* 4. allow */
        allow = b.n;
        emit(&b, MOV64_IMM(BPF_REG_0, 1));
        emit(&b, EXIT());

        if (b.n > b.cap)
                return -ENOBUFS;
        patch_jump(&b, j_exact, allow);
        patch_jump(&b, j_any, allow);
        return (int)b.n;
}

uint32_t dp_bpf_dev_type(char type)
{
        switch (type) {
        case 'c':
                return BPF_DEVCG_DEV_CHAR;
        case 'b':
                return BPF_DEVCG_DEV_BLOCK;
        default:
                return 0;
        }
}

uint32_t dp_bpf_access(unsigned dp_access)
{
        uint32_t a = 0;

        if (dp_access & DP_ACCESS_READ)
                a |= BPF_DEVCG_ACC_READ;
        if (dp_access & DP_ACCESS_WRITE)
                a |= BPF_DEVCG_ACC_WRITE;
        if (dp_access & DP_ACCESS_MKNOD)
                a |= BPF_DEVCG_ACC_MKNOD;
        return a;
}
