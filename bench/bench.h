/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared bits of the devpass benchmarks: monotonic time, sample statistics
 * and the one-line verdicts that bench/run.sh collects into its summary. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_samples {
        uint64_t *ns;
        size_t n, cap;
} bench_samples;

uint64_t bench_now_ns(void);
int bench_add(bench_samples *s, uint64_t ns);
void bench_samples_free(bench_samples *s);
/* p in [0,100]; sorts the samples in place. 0 when empty. */
uint64_t bench_pct(bench_samples *s, double p);
/* Prints "label: n=.. p50=..µs p99=..µs" and returns p50 in ns. */
uint64_t bench_report(const char *label, bench_samples *s);

/* "RESULT name | figure | baseline | ratio-or-dash | target | PASS/MISS",
 * the line run.sh turns into the summary table. */
void bench_result(const char *name, const char *figure, const char *baseline,
                  double ratio, const char *target, bool pass);

/* -n REPS / --quick parsing shared by every program: returns the
 * repetition count (def, or def/10 with --quick, at least min). Other
 * options are ignored here; bench_arg() reads them. */
unsigned bench_reps(int argc, char **argv, unsigned def, unsigned min);
/* Value of "--key VALUE" in argv, or NULL. */
const char *bench_arg(int argc, char **argv, const char *key);

/* Runs argv (NULL-terminated), with stdout/stderr to /dev/null when quiet;
 * returns the exit status or a negative errno. */
int bench_run(char *const argv[], bool quiet);
/* Like bench_run through "sh -c". */
int bench_sh(const char *cmd);

/* Writes s to a file; negative errno on failure. */
int bench_write_file(const char *path, const char *s);
/* VmRSS of pid in KiB, or a negative errno. */
long bench_rss_kib(int pid);
