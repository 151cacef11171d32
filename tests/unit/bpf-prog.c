/* SPDX-License-Identifier: MIT */
/* The devpass cgroup device program: its structure, its behaviour (run in a
 * small interpreter for the instructions it uses, so no root is needed) and,
 * as root, the kernel verifier's verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bpf-prog.h"
#include "bpf-sys.h"
#include "devpass/device.h"

#define MAP_FD   1000
#define ARRAY_FD 1001

/* ---- a tiny interpreter for the program's instruction subset ---- */
typedef struct grant {
        dp_bpf_dev_key key;
        dp_bpf_dev_value value;
} grant;

typedef struct fake_env {
        const grant *grants;
        size_t n_grants;
        int lookups;
        int tail_calls;
} fake_env;

enum { RUN_DENY = 0, RUN_ALLOW = 1, RUN_TAIL = 2 };

static uint64_t helper_lookup(fake_env *env, uint64_t map, uint64_t keyp)
{
        dp_bpf_dev_key k;

        assert_int_equal(map, MAP_FD);
        memcpy(&k, (const void *)(uintptr_t)keyp, sizeof(k));
        env->lookups++;
        for (size_t i = 0; i < env->n_grants; i++)
                if (memcmp(&env->grants[i].key, &k, sizeof(k)) == 0)
                        return (uint64_t)(uintptr_t)&env->grants[i].value;
        return 0;
}

static int run(const struct bpf_insn *p, int n, fake_env *env,
               const struct bpf_cgroup_dev_ctx *ctx)
{
        uint64_t reg[11] = {0};
        _Alignas(8) uint8_t stack[512];

        memset(stack, 0xaa, sizeof(stack));
        reg[1] = (uint64_t)(uintptr_t)ctx;
        reg[10] = (uint64_t)(uintptr_t)(stack + sizeof(stack));
        for (int pc = 0; pc < n; pc++) {
                const struct bpf_insn *i = &p[pc];
                uint64_t *d = &reg[i->dst_reg];
                uint64_t s = reg[i->src_reg];
                uint64_t imm = (uint64_t)(int64_t)i->imm;
                uint32_t v32;

                switch (i->code) {
                case BPF_ALU64 | BPF_MOV | BPF_X:
                        *d = s;
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        *d = imm;
                        break;
                case BPF_ALU64 | BPF_ADD | BPF_K:
                        *d += imm;
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        *d = (uint32_t)*d >> i->imm;
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        *d = (uint32_t)*d & (uint32_t)i->imm;
                        break;
                case BPF_ALU | BPF_XOR | BPF_K:
                        *d = (uint32_t)*d ^ (uint32_t)i->imm;
                        break;
                case BPF_ALU | BPF_AND | BPF_X:
                        *d = (uint32_t)*d & (uint32_t)s;
                        break;
                case BPF_LDX | BPF_MEM | BPF_W:
                        memcpy(&v32, (void *)(uintptr_t)(s + i->off), 4);
                        *d = v32;
                        break;
                case BPF_STX | BPF_MEM | BPF_W:
                        v32 = (uint32_t)s;
                        memcpy((void *)(uintptr_t)(*d + i->off), &v32, 4);
                        break;
                case BPF_ST | BPF_MEM | BPF_W:
                        v32 = (uint32_t)i->imm;
                        memcpy((void *)(uintptr_t)(*d + i->off), &v32, 4);
                        break;
                case BPF_LD | BPF_DW | BPF_IMM:
                        assert_int_equal(i->src_reg, BPF_PSEUDO_MAP_FD);
                        *d = (uint32_t)i->imm;
                        pc++; /* second half */
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        if (*d == imm)
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_CALL:
                        if (i->imm == BPF_FUNC_map_lookup_elem) {
                                reg[0] = helper_lookup(env, reg[1], reg[2]);
                        } else {
                                assert_int_equal(i->imm, BPF_FUNC_tail_call);
                                assert_int_equal(reg[2], ARRAY_FD);
                                assert_int_equal(reg[3], 0);
                                /* the original must see the very same ctx */
                                assert_ptr_equal((void *)(uintptr_t)reg[1],
                                                 ctx);
                                env->tail_calls++;
                                return RUN_TAIL;
                        }
                        break;
                case BPF_JMP | BPF_EXIT:
                        return (int)reg[0];
                default:
                        fail_msg("unexpected opcode 0x%02x at %d", i->code, pc);
                }
        }
        fail_msg("ran off the end");
        return -1;
}

static int check(const grant *g, size_t n, char type, unsigned major,
                 unsigned minor, uint32_t acc)
{
        struct bpf_insn insns[DP_BPF_PROG_MAX_INSNS];
        struct bpf_cgroup_dev_ctx ctx = {
                .access_type = (acc << 16) | dp_bpf_dev_type(type),
                .major = major,
                .minor = minor,
        };
        fake_env env = {.grants = g, .n_grants = n};
        int cnt = dp_bpf_devprog_build(MAP_FD, ARRAY_FD, insns,
                                       ELEMENTSOF(insns));

        assert_true(cnt > 0);
        return run(insns, cnt, &env, &ctx);
}

/* ---- tests ---- */
static void test_structure(void **state)
{
        struct bpf_insn insns[DP_BPF_PROG_MAX_INSNS];
        int n = dp_bpf_devprog_build(MAP_FD, ARRAY_FD, insns,
                                     ELEMENTSOF(insns));
        int map_loads = 0, array_loads = 0, calls_lookup = 0, tails = 0;
        int exits = 0;

        /* 10 key setup + 2 x 10 lookup + 1 wildcard store + 7 tail + 2
         * allow: fixed, whatever the number of grants. */
        assert_int_equal(n, 40);
        assert_int_equal(insns[0].code, BPF_ALU64 | BPF_MOV | BPF_X);
        assert_int_equal(insns[0].dst_reg, 6);
        assert_int_equal(insns[0].src_reg, 1);
        for (int i = 0; i < n; i++) {
                const struct bpf_insn *p = &insns[i];

                if (p->code == (BPF_LD | BPF_DW | BPF_IMM)) {
                        assert_int_equal(p->src_reg, BPF_PSEUDO_MAP_FD);
                        if (p->imm == MAP_FD)
                                map_loads++;
                        else if (p->imm == ARRAY_FD)
                                array_loads++;
                        else
                                fail_msg("unknown map fd %d", p->imm);
                        /* second half of the 16-byte load is all zero */
                        assert_int_equal(insns[i + 1].code, 0);
                        assert_int_equal(insns[i + 1].imm, 0);
                        i++;
                        continue;
                }
                if (p->code == (BPF_JMP | BPF_CALL)) {
                        if (p->imm == BPF_FUNC_map_lookup_elem)
                                calls_lookup++;
                        if (p->imm == BPF_FUNC_tail_call)
                                tails++;
                }
                if (p->code == (BPF_JMP | BPF_EXIT))
                        exits++;
                if (BPF_CLASS(p->code) == BPF_JMP &&
                    BPF_OP(p->code) != BPF_CALL &&
                    BPF_OP(p->code) != BPF_EXIT) {
                        /* every jump lands inside the program, forward */
                        assert_true(p->off > 0);
                        assert_true(i + 1 + p->off < n);
                }
        }
        assert_int_equal(map_loads, 2);
        assert_int_equal(array_loads, 1);
        assert_int_equal(calls_lookup, 2);
        assert_int_equal(tails, 1);
        assert_int_equal(exits, 2);
        /* ends with "r0 = 1; exit" */
        assert_int_equal(insns[n - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
        assert_int_equal(insns[n - 2].imm, 1);
        assert_int_equal(insns[n - 1].code, BPF_JMP | BPF_EXIT);
}

static void test_too_small(void **state)
{
        struct bpf_insn insns[39];

        assert_int_equal(dp_bpf_devprog_build(MAP_FD, ARRAY_FD, insns,
                                              ELEMENTSOF(insns)),
                         -ENOBUFS);
}

static void test_conversions(void **state)
{
        assert_int_equal(dp_bpf_dev_type('c'), BPF_DEVCG_DEV_CHAR);
        assert_int_equal(dp_bpf_dev_type('b'), BPF_DEVCG_DEV_BLOCK);
        assert_int_equal(dp_bpf_dev_type('a'), 0);
        assert_int_equal(dp_bpf_access(DP_ACCESS_READ), BPF_DEVCG_ACC_READ);
        assert_int_equal(dp_bpf_access(DP_ACCESS_WRITE), BPF_DEVCG_ACC_WRITE);
        assert_int_equal(dp_bpf_access(DP_ACCESS_MKNOD), BPF_DEVCG_ACC_MKNOD);
        assert_int_equal(dp_bpf_access(DP_ACCESS_READ | DP_ACCESS_WRITE |
                                       DP_ACCESS_MKNOD),
                         BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE |
                                 BPF_DEVCG_ACC_MKNOD);
}

static void test_behaviour(void **state)
{
        const uint32_t R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE,
                       M = BPF_DEVCG_ACC_MKNOD;
        const grant g[] = {
                {{BPF_DEVCG_DEV_CHAR, 226, 0}, R | W},
                {{BPF_DEVCG_DEV_CHAR, 189, DP_BPF_MINOR_ANY}, R | W | M},
                {{BPF_DEVCG_DEV_BLOCK, 7, 3}, R},
        };

        /* exact hit, subset of the granted access */
        assert_int_equal(check(g, 3, 'c', 226, 0, R), RUN_ALLOW);
        assert_int_equal(check(g, 3, 'c', 226, 0, R | W), RUN_ALLOW);
        /* more than granted: the runtime's program decides */
        assert_int_equal(check(g, 3, 'c', 226, 0, M), RUN_TAIL);
        assert_int_equal(check(g, 3, 'c', 226, 0, R | M), RUN_TAIL);
        /* other minor, other type, unknown device */
        assert_int_equal(check(g, 3, 'c', 226, 1, R), RUN_TAIL);
        assert_int_equal(check(g, 3, 'b', 226, 0, R), RUN_TAIL);
        assert_int_equal(check(g, 3, 'c', 1, 3, R), RUN_TAIL);
        /* wildcard minor */
        assert_int_equal(check(g, 3, 'c', 189, 1, R | W), RUN_ALLOW);
        assert_int_equal(check(g, 3, 'c', 189, 77, M), RUN_ALLOW);
        assert_int_equal(check(g, 3, 'b', 189, 1, R), RUN_TAIL);
        /* block device */
        assert_int_equal(check(g, 3, 'b', 7, 3, R), RUN_ALLOW);
        assert_int_equal(check(g, 3, 'b', 7, 3, W), RUN_TAIL);
        /* empty map: everything goes to the original */
        assert_int_equal(check(NULL, 0, 'c', 226, 0, R), RUN_TAIL);
}

/* As root, the kernel verifier accepts the program with real maps. */
static void test_verifier(void **state)
{
        struct bpf_insn insns[DP_BPF_PROG_MAX_INSNS];
        char log[8192];
        int map, arr, prog, n;

        if (geteuid() != 0) {
                print_message("not root: verifier check skipped\n");
                skip();
        }
        map = dp_bpf_map_create(BPF_MAP_TYPE_HASH, DP_BPF_MAP_NAME,
                                sizeof(dp_bpf_dev_key),
                                sizeof(dp_bpf_dev_value), DP_BPF_MAX_ENTRIES,
                                BPF_F_NO_PREALLOC);
        if (map == -EPERM) {
                print_message("bpf(2) not permitted: verifier check skipped\n");
                skip();
        }
        assert_true(map >= 0);
        arr = dp_bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, DP_BPF_ARRAY_NAME, 4,
                                4, 1, 0);
        assert_true(arr >= 0);
        n = dp_bpf_devprog_build(map, arr, insns, ELEMENTSOF(insns));
        assert_int_equal(n, 40);
        prog = dp_bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE,
                                DP_BPF_PROG_NAME, insns, (size_t)n,
                                DP_BPF_LICENSE, log, sizeof(log));
        if (prog < 0)
                print_message("verifier: %s\n", log);
        assert_true(prog >= 0);
        {
                struct bpf_prog_info info;

                assert_int_equal(dp_bpf_prog_info(prog, &info, NULL, 0), 0);
                assert_string_equal(info.name, DP_BPF_PROG_NAME);
                assert_int_equal(info.type, BPF_PROG_TYPE_CGROUP_DEVICE);
        }
        close(prog);
        close(arr);
        close(map);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_structure),
                cmocka_unit_test(test_too_small),
                cmocka_unit_test(test_conversions),
                cmocka_unit_test(test_behaviour),
                cmocka_unit_test(test_verifier),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
