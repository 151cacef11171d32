/* SPDX-License-Identifier: MIT */
#pragma once

/* The fixed devpass cgroup device program ("devpass_dev").
 *
 * It looks the device up in a hash map of grants and allows the access when
 * the map says so; otherwise it tail-calls the runtime's original program
 * through a one-slot PROG_ARRAY, and denies when that slot is empty. The
 * program never changes with the number of grants, so the verifier cost is
 * the same for the first grant and the 100,000th. */

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#define DP_BPF_PROG_NAME  "devpass_dev"
#define DP_BPF_MAP_NAME   "devpass_grants"
#define DP_BPF_ARRAY_NAME "devpass_orig"
#define DP_BPF_LICENSE    "Dual MIT/GPL"

/* Key of the grants map. minor == DP_BPF_MINOR_ANY matches every minor. */
typedef struct dp_bpf_dev_key {
        uint32_t type; /* BPF_DEVCG_DEV_CHAR or BPF_DEVCG_DEV_BLOCK */
        uint32_t major;
        uint32_t minor;
} dp_bpf_dev_key;

/* Value: allowed access, BPF_DEVCG_ACC_* bits. */
typedef uint32_t dp_bpf_dev_value;

#define DP_BPF_MINOR_ANY      UINT32_MAX
#define DP_BPF_MAX_ENTRIES    131072u
#define DP_BPF_PROG_MAX_INSNS 64

/* Writes the program into insns (capacity n_insns) using the two map fds
 * and returns the instruction count, or -ENOBUFS. */
int dp_bpf_devprog_build(int grants_map_fd, int prog_array_fd,
                         struct bpf_insn *insns, size_t n_insns);

/* 'c'/'b' → BPF_DEVCG_DEV_*, 0 if neither. */
uint32_t dp_bpf_dev_type(char type);
/* DP_ACCESS_* (r=1 w=2 m=4) → BPF_DEVCG_ACC_* (m=1 r=2 w=4). */
uint32_t dp_bpf_access(unsigned dp_access);
