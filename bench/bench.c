/* SPDX-License-Identifier: MIT */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int bench_add(bench_samples *s, uint64_t ns)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 128;
                uint64_t *p = realloc(s->ns, cap * sizeof(*p));

                if (!p)
                        return -ENOMEM;
                s->ns = p;
                s->cap = cap;
        }
        s->ns[s->n++] = ns;
        return 0;
}

void bench_samples_free(bench_samples *s)
{
        free(s->ns);
        *s = (bench_samples){};
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

uint64_t bench_pct(bench_samples *s, double p)
{
        size_t i;

        if (s->n == 0)
                return 0;
        qsort(s->ns, s->n, sizeof(*s->ns), cmp_u64);
        /* nearest rank: p99 of 100 samples is the 99th, not the maximum */
        i = (size_t)(p / 100.0 * (double)s->n + 0.5);
        if (i > 0)
                i--;
        if (i >= s->n)
                i = s->n - 1;
        return s->ns[i];
}

uint64_t bench_report(const char *label, bench_samples *s)
{
        uint64_t p50 = bench_pct(s, 50), p99 = bench_pct(s, 99);

        printf("  %-44s n=%-6zu p50=%9.1f µs  p99=%9.1f µs  max=%9.1f µs\n",
               label, s->n, p50 / 1e3, p99 / 1e3,
               s->n ? s->ns[s->n - 1] / 1e3 : 0.0);
        fflush(stdout);
        return p50;
}

void bench_result(const char *name, const char *figure, const char *baseline,
                  double ratio, const char *target, bool pass)
{
        char r[32] = "-";

        if (ratio >= 0)
                snprintf(r, sizeof(r), "%.2fx", ratio);
        printf("RESULT %s | %s | %s | %s | %s | %s\n", name, figure,
               baseline ? baseline : "-", r, target, pass ? "PASS" : "MISS");
        fflush(stdout);
}

unsigned bench_reps(int argc, char **argv, unsigned def, unsigned min)
{
        unsigned n = def;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0)
                        n = def / 10;
                else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
                        n = (unsigned)strtoul(argv[++i], NULL, 10);
        }
        return n < min ? min : n;
}

const char *bench_arg(int argc, char **argv, const char *key)
{
        for (int i = 1; i + 1 < argc; i++)
                if (strcmp(argv[i], key) == 0)
                        return argv[i + 1];
        return NULL;
}

int bench_run(char *const argv[], bool quiet)
{
        pid_t pid = fork();
        int st;

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (quiet) {
                        int fd = open("/dev/null", O_WRONLY);

                        if (fd >= 0) {
                                dup2(fd, 1);
                                dup2(fd, 2);
                        }
                }
                execvp(argv[0], argv);
                _exit(127);
        }
        if (waitpid(pid, &st, 0) < 0)
                return -errno;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int bench_sh(const char *cmd)
{
        char *argv[] = {"sh", "-c", (char *)cmd, NULL};

        return bench_run(argv, true);
}

int bench_write_file(const char *path, const char *s)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;
        int r = 0;

        if (fd < 0)
                return -errno;
        n = write(fd, s, strlen(s));
        if (n < 0)
                r = -errno;
        close(fd);
        return r;
}

long bench_rss_kib(int pid)
{
        char path[64], line[256];
        long v = -ENOENT;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld", &v) == 1)
                        break;
        fclose(f);
        return v;
}
