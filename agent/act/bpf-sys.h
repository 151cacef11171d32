/* SPDX-License-Identifier: MIT */
#pragma once

/* Thin wrappers around bpf(2) for the commands the cgroup v2 device code
 * needs. No libbpf: the kernel ABI is small and stable, and a library would
 * be a heavy dependency for a dozen calls. Every function returns a new fd
 * (>= 0), 0, or a negative errno; fds are O_CLOEXEC. */

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

/* Name the kernel shows for objects, at most BPF_OBJ_NAME_LEN - 1 bytes. */
int dp_bpf_map_create(enum bpf_map_type type, const char *name,
                      uint32_t key_size, uint32_t value_size,
                      uint32_t max_entries, uint32_t flags);
int dp_bpf_map_update(int map_fd, const void *key, const void *value,
                      uint64_t flags);
int dp_bpf_map_lookup(int map_fd, const void *key, void *ret_value);
int dp_bpf_map_delete(int map_fd, const void *key);

/* Loads a program; on a verifier failure, when log is non-NULL, the
 * verifier's log is left there (NUL-terminated). */
int dp_bpf_prog_load(enum bpf_prog_type type, enum bpf_attach_type expected,
                     const char *name, const struct bpf_insn *insns,
                     size_t n_insns, const char *license, char *log,
                     size_t log_size);

int dp_bpf_obj_pin(int fd, const char *path);
int dp_bpf_obj_get(const char *path);
int dp_bpf_prog_get_fd_by_id(uint32_t id);
int dp_bpf_map_get_fd_by_id(uint32_t id);
int dp_bpf_prog_info(int prog_fd, struct bpf_prog_info *ret_info,
                     uint32_t *map_ids, uint32_t n_map_ids);
int dp_bpf_map_info(int map_fd, struct bpf_map_info *ret_info);

/* BPF_PROG_QUERY on a cgroup fd. query_flags 0 lists the programs attached
 * at that cgroup, BPF_F_QUERY_EFFECTIVE the ones in force there (ancestors'
 * included). *n_ids is the capacity on entry and the count on return (the
 * count may exceed the capacity: then call again with more room). */
int dp_bpf_prog_query(int cg_fd, enum bpf_attach_type type,
                      uint32_t query_flags, uint32_t *ret_attach_flags,
                      uint32_t *ids, uint32_t *n_ids);
/* replace_fd < 0: no BPF_F_REPLACE. */
int dp_bpf_prog_attach(int prog_fd, int cg_fd, enum bpf_attach_type type,
                       uint32_t flags, int replace_fd);
int dp_bpf_prog_detach(int prog_fd, int cg_fd, enum bpf_attach_type type);
