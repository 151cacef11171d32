/* SPDX-License-Identifier: MIT */
/* cgroup v2 grant cost against the number of devices already granted.
 *
 * A fresh cgroup2 cgroup gets a runc-like compare-and-jump device program
 * (the shape runc/crun/LXC generate: allow null, zero, full, random,
 * urandom, tty, ptmx, pts; deny the rest). dp_cg2_grant() then wraps it
 * with devpass's map-driven program. At 1, 10, 1,000 and 100,000 entries we
 * time further grants (each revoked again, so the size holds) and the cost
 * of open("/dev/null") from a process in the cgroup, against the same open
 * with only the runtime's program attached. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "devpass/act.h"
#include "devpass/container.h"

static char cgdir[256];
static bool grant_done;

static void cleanup(void)
{
        if (!cgdir[0])
                return;
        if (grant_done)
                (void)dp_cg2_release(cgdir);
        rmdir(cgdir);
        cgdir[0] = 0;
}

static void on_signal(int sig)
{
        cleanup();
        _exit(128 + sig);
}

#define INSN(c, d, s, o, i)                \
        ((struct bpf_insn){.code = (c),    \
                           .dst_reg = (d), \
                           .src_reg = (s), \
                           .off = (o),     \
                           .imm = (i)})

/* runc's shape: one block of compares per rule, falling through to deny. */
static int load_runtime_prog(void)
{
        static const struct {
                int type; /* BPF_DEVCG_DEV_CHAR */
                int major, minor;
        } rules[] = {{2, 1, 3}, {2, 1, 5}, {2, 1, 7}, {2, 1, 8},   {2, 1, 9},
                     {2, 5, 0}, {2, 5, 1}, {2, 5, 2}, {2, 136, -1}};
        struct bpf_insn p[128];
        char log[4096] = "";
        int n = 0;

        p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
        p[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
        p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0);
        p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0);
        for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
                int len = rules[i].minor < 0 ? 4 : 5;

                p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, (short)(len - 1),
                              rules[i].type);
                p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, (short)(len - 2),
                              rules[i].major);
                if (rules[i].minor >= 0)
                        p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 2,
                                      rules[i].minor);
                p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
                p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        }
        p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
        p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

        union bpf_attr a = {.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
                            .insn_cnt = (uint32_t)n,
                            .insns = (uint64_t)(uintptr_t)p,
                            .license = (uint64_t)(uintptr_t) "GPL",
                            .log_buf = (uint64_t)(uintptr_t)log,
                            .log_size = sizeof(log),
                            .log_level = 1};
        int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));

        if (fd < 0)
                fprintf(stderr, "runtime program: %s\n%s\n", strerror(errno),
                        log);
        return fd;
}

static int attach(int cg, int prog)
{
        union bpf_attr a = {.target_fd = (uint32_t)cg,
                            .attach_bpf_fd = (uint32_t)prog,
                            .attach_type = BPF_CGROUP_DEVICE,
                            .attach_flags = BPF_F_ALLOW_MULTI};

        return (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a));
}

/* ns per open()+close() of /dev/null from a child in the cgroup (best of
 * three rounds, so that scheduling noise does not count). */
static double open_cost(unsigned opens)
{
        double best = 1e18;

        for (int round = 0; round < 3; round++) {
                int pfd[2];
                uint64_t ns = 0;
                pid_t pid;

                if (pipe(pfd) < 0)
                        return -1;
                pid = fork();
                if (pid == 0) {
                        char path[300], buf[16];
                        uint64_t t0, t1;

                        snprintf(path, sizeof(path), "%s/cgroup.procs", cgdir);
                        snprintf(buf, sizeof(buf), "%d", getpid());
                        if (bench_write_file(path, buf) < 0)
                                _exit(1);
                        t0 = bench_now_ns();
                        for (unsigned i = 0; i < opens; i++) {
                                int fd = open("/dev/null", O_RDONLY);

                                if (fd < 0)
                                        _exit(2);
                                close(fd);
                        }
                        t1 = bench_now_ns() - t0;
                        _exit(write(pfd[1], &t1, sizeof(t1)) == sizeof(t1) ? 0
                                                                           : 3);
                }
                close(pfd[1]);
                if (read(pfd[0], &ns, sizeof(ns)) != sizeof(ns))
                        ns = 0;
                close(pfd[0]);
                waitpid(pid, NULL, 0);
                if (!ns)
                        return -1;
                if ((double)ns / opens < best)
                        best = (double)ns / opens;
        }
        return best;
}

int main(int argc, char **argv)
{
        unsigned reps = bench_reps(argc, argv, 200, 100);
        unsigned opens = 20000;
        const unsigned sizes[] = {1, 10, 1000, 100000};
        uint64_t p50s[4] = {}, p99s[4] = {};
        double ov[4] = {};
        unsigned have = 0;
        bool ok = true;
        int cgfd, prog, r;
        double base;

        snprintf(cgdir, sizeof(cgdir), "%s/dpbcg%d", dp_cgroup_v2_root(),
                 getpid());
        if (mkdir(cgdir, 0755) < 0) {
                fprintf(stderr, "SKIP: cannot create cgroup2 cgroup %s: %s\n",
                        cgdir, strerror(errno));
                return 77;
        }
        atexit(cleanup);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        cgfd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        prog = load_runtime_prog();
        if (prog < 0 || attach(cgfd, prog) < 0) {
                perror("attach runtime program");
                return 1;
        }
        printf("== cgroup v2 grant vs map size (%s), %u grants per size\n",
               cgdir, reps);
        base = open_cost(opens);
        printf("  open(/dev/null), runtime program only: %.0f ns\n", base);

        for (size_t k = 0; k < 4; k++) {
                bench_samples s = {};
                char label[64];

                /* fill up to the size with fake char majors (no drivers) */
                for (; have < sizes[k]; have++) {
                        bool changed;

                        r = dp_cg2_grant(cgdir, 'c', 400 + have / 60000,
                                         have % 60000, 6, &changed);
                        if (r < 0) {
                                fprintf(stderr, "grant #%u failed: %s\n", have,
                                        strerror(-r));
                                ok = false;
                                break;
                        }
                        grant_done = true;
                }
                if (!ok)
                        break;
                for (unsigned i = 0; i < reps; i++) {
                        bool changed;
                        uint64_t t0 = bench_now_ns();

                        r = dp_cg2_grant(cgdir, 'c', 399, i, 6, &changed);
                        bench_add(&s, bench_now_ns() - t0);
                        if (r < 0) {
                                ok = false;
                                break;
                        }
                        (void)dp_cg2_revoke(cgdir, 'c', 399, i);
                }
                snprintf(label, sizeof(label), "dp_cg2_grant with %u granted",
                         sizes[k]);
                p50s[k] = bench_report(label, &s);
                p99s[k] = bench_pct(&s, 99);
                bench_samples_free(&s);
                double c = open_cost(opens);
                ov[k] = base > 0 ? (c - base) / base * 100.0 : 0;
                printf("  open(/dev/null) with devpass program, %u entries: "
                       "%.0f ns (%+.1f %%)\n",
                       sizes[k], c, ov[k]);
        }
        char fig[160];
        double flat = p50s[0] ? (double)p50s[3] / (double)p50s[0] : -1;
        snprintf(fig, sizeof(fig),
                 "p50 %.1f/%.1f/%.1f/%.1f µs at 1/10/1k/100k (p99 at 100k "
                 "%.1f µs)",
                 p50s[0] / 1e3, p50s[1] / 1e3, p50s[2] / 1e3, p50s[3] / 1e3,
                 p99s[3] / 1e3);
        bench_result("cg2 grant vs size", fig, "same with 1 granted", flat,
                     "<=2x; all sizes load", ok && flat >= 0 && flat <= 2.0);
        double worst = 0;
        for (size_t k = 0; k < 4; k++)
                if (ov[k] > worst)
                        worst = ov[k];
        snprintf(fig, sizeof(fig), "worst %+.1f %% (%.0f ns base)", worst,
                 base);
        bench_result("cg2 per-open overhead", fig, "runtime program only", -1,
                     "<=+10 %", ok && worst <= 10.0);
        close(prog);
        close(cgfd);
        return ok ? 0 : 1;
}
