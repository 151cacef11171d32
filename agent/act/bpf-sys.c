/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf-sys.h"
#include "devpass/macro.h"

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

        return r < 0 ? negative_errno() : (int)r;
}

static uint64_t ptr_to_u64(const void *p)
{
        return (uint64_t)(uintptr_t)p;
}

static void copy_name(char dst[BPF_OBJ_NAME_LEN], const char *name)
{
        if (name)
                strncpy(dst, name, BPF_OBJ_NAME_LEN - 1);
}

int dp_bpf_map_create(enum bpf_map_type type, const char *name,
                      uint32_t key_size, uint32_t value_size,
                      uint32_t max_entries, uint32_t flags)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.map_type = type;
        attr.key_size = key_size;
        attr.value_size = value_size;
        attr.max_entries = max_entries;
        attr.map_flags = flags;
        copy_name(attr.map_name, name);
        return sys_bpf(BPF_MAP_CREATE, &attr);
}

int dp_bpf_map_update(int map_fd, const void *key, const void *value,
                      uint64_t flags)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.map_fd = (uint32_t)map_fd;
        attr.key = ptr_to_u64(key);
        attr.value = ptr_to_u64(value);
        attr.flags = flags;
        return sys_bpf(BPF_MAP_UPDATE_ELEM, &attr);
}

int dp_bpf_map_lookup(int map_fd, const void *key, void *ret_value)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.map_fd = (uint32_t)map_fd;
        attr.key = ptr_to_u64(key);
        attr.value = ptr_to_u64(ret_value);
        return sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr);
}

int dp_bpf_map_delete(int map_fd, const void *key)
{
        union bpf_attr attr;

        /* The value field must stay 0: the kernel rejects a delete that
         * carries a value pointer with EINVAL. */
        memset(&attr, 0, sizeof(attr));
        attr.map_fd = (uint32_t)map_fd;
        attr.key = ptr_to_u64(key);
        return sys_bpf(BPF_MAP_DELETE_ELEM, &attr);
}

int dp_bpf_prog_load(enum bpf_prog_type type, enum bpf_attach_type expected,
                     const char *name, const struct bpf_insn *insns,
                     size_t n_insns, const char *license, char *log,
                     size_t log_size)
{
        union bpf_attr attr;
        int r;

        memset(&attr, 0, sizeof(attr));
        attr.prog_type = type;
        attr.expected_attach_type = expected;
        attr.insns = ptr_to_u64(insns);
        attr.insn_cnt = (uint32_t)n_insns;
        attr.license = ptr_to_u64(license);
        copy_name(attr.prog_name, name);
        r = sys_bpf(BPF_PROG_LOAD, &attr);
        if (r < 0 && log && log_size > 0 && r != -E2BIG) {
                /* Load again with a log only on failure: asking for a log
                 * on every load costs verifier time for nothing. */
                log[0] = 0;
                attr.log_buf = ptr_to_u64(log);
                attr.log_size = (uint32_t)log_size;
                attr.log_level = 1;
                (void)sys_bpf(BPF_PROG_LOAD, &attr);
                log[log_size - 1] = 0;
        }
        return r;
}

int dp_bpf_obj_pin(int fd, const char *path)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.pathname = ptr_to_u64(path);
        attr.bpf_fd = (uint32_t)fd;
        return sys_bpf(BPF_OBJ_PIN, &attr);
}

int dp_bpf_obj_get(const char *path)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.pathname = ptr_to_u64(path);
        return sys_bpf(BPF_OBJ_GET, &attr);
}

int dp_bpf_prog_get_fd_by_id(uint32_t id)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.prog_id = id;
        return sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
}

int dp_bpf_map_get_fd_by_id(uint32_t id)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.map_id = id;
        return sys_bpf(BPF_MAP_GET_FD_BY_ID, &attr);
}

/* BPF_OBJ_GET_INFO_BY_FD into info, which the caller has zeroed (or filled
 * with the arrays it wants back). */
static int obj_info(int fd, void *info, uint32_t info_len)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.info.bpf_fd = (uint32_t)fd;
        attr.info.info_len = info_len;
        attr.info.info = ptr_to_u64(info);
        return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
}

int dp_bpf_prog_info(int prog_fd, struct bpf_prog_info *ret_info,
                     uint32_t *map_ids, uint32_t n_map_ids)
{
        struct bpf_prog_info info;
        int r;

        memset(&info, 0, sizeof(info));
        if (map_ids) {
                info.nr_map_ids = n_map_ids;
                info.map_ids = ptr_to_u64(map_ids);
        }
        r = obj_info(prog_fd, &info, sizeof(info));
        if (r < 0)
                return r;
        *ret_info = info;
        return 0;
}

int dp_bpf_map_info(int map_fd, struct bpf_map_info *ret_info)
{
        struct bpf_map_info info;
        int r;

        memset(&info, 0, sizeof(info));
        r = obj_info(map_fd, &info, sizeof(info));
        if (r < 0)
                return r;
        *ret_info = info;
        return 0;
}

int dp_bpf_prog_query(int cg_fd, enum bpf_attach_type type,
                      uint32_t query_flags, uint32_t *ret_attach_flags,
                      uint32_t *ids, uint32_t *n_ids)
{
        union bpf_attr attr;
        int r;

        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)cg_fd;
        attr.query.attach_type = type;
        attr.query.query_flags = query_flags;
        attr.query.prog_ids = ptr_to_u64(ids);
        attr.query.prog_cnt = *n_ids;
        r = sys_bpf(BPF_PROG_QUERY, &attr);
        /* ENOSPC still reports the full count: the caller grows and
         * retries. */
        if (r < 0 && r != -ENOSPC)
                return r;
        if (ret_attach_flags)
                *ret_attach_flags = attr.query.attach_flags;
        *n_ids = attr.query.prog_cnt;
        return r;
}

int dp_bpf_prog_attach(int prog_fd, int cg_fd, enum bpf_attach_type type,
                       uint32_t flags, int replace_fd)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cg_fd;
        attr.attach_bpf_fd = (uint32_t)prog_fd;
        attr.attach_type = type;
        attr.attach_flags = flags;
        if (replace_fd >= 0) {
                attr.attach_flags |= BPF_F_REPLACE;
                attr.replace_bpf_fd = (uint32_t)replace_fd;
        }
        return sys_bpf(BPF_PROG_ATTACH, &attr);
}

int dp_bpf_prog_detach(int prog_fd, int cg_fd, enum bpf_attach_type type)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cg_fd;
        attr.attach_bpf_fd = (uint32_t)prog_fd;
        attr.attach_type = type;
        return sys_bpf(BPF_PROG_DETACH, &attr);
}
