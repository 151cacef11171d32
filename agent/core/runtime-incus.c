/* SPDX-License-Identifier: MIT */
/* Incus and LXD: the REST API over the daemon's local unix socket. Both wrap
 * answers in {"type": "sync", "metadata": …}. Virtual machines are skipped:
 * their "pid" is the QEMU process, whose cgroup and /dev mean nothing to the
 * guest. Only the default project is consulted. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/util.h"

static const char *const incus_sockets[] = {"/var/lib/incus/unix.socket", NULL};
static const char *const lxd_sockets[] = {
        "/var/snap/lxd/common/lxd/unix.socket", "/var/lib/lxd/unix.socket",
        NULL};

static const char *incus_socket(void)
{
        return dp_runtime_socket(dp_config_get()->incus_socket, incus_sockets);
}

static const char *lxd_socket(void)
{
        return dp_runtime_socket(dp_config_get()->lxd_socket, lxd_sockets);
}

static const char *meta_string(json_object *meta, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(meta, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* GET PATH and return its "metadata" (a new reference). */
static int get_metadata(const char *sock, const char *path, json_type type,
                        json_object **ret)
{
        json_object *o = NULL, *meta;
        int r;

        r = dp_rest_get_json(sock, path, &o);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(o, "metadata", &meta) ||
            !json_object_is_type(meta, type)) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret = json_object_get(meta);
        json_object_put(o);
        return 0;
}

static bool is_vm(json_object *meta)
{
        const char *t = meta_string(meta, "type");

        return t && streq(t, "virtual-machine");
}

static int lxd_like_find_rest(const char *sock, const char *name,
                              pid_t *ret_pid, dp_runtime_extra *ret_extra)
{
        _cleanup_free_ char *esc = NULL, *path = NULL;
        json_object *meta = NULL, *pid;
        const char *status;
        int64_t p;
        int r;

        esc = dp_http_escape(name);
        if (!esc)
                return -ENOMEM;
        path = strjoin_sep("", "/1.0/instances/", esc, NULL);
        if (!path)
                return -ENOMEM;
        r = get_metadata(sock, path, json_type_object, &meta);
        if (r < 0)
                return r;
        r = is_vm(meta) ? -ENOENT : 0;
        json_object_put(meta);
        meta = NULL;
        if (r < 0)
                return r;

        free(path);
        path = strjoin_sep("", "/1.0/instances/", esc, "/state", NULL);
        if (!path)
                return -ENOMEM;
        r = get_metadata(sock, path, json_type_object, &meta);
        if (r < 0)
                return r;
        status = meta_string(meta, "status");
        if (!status) {
                r = -EBADMSG;
                goto out;
        }
        if (!streq(status, "Running")) {
                r = -ESRCH;
                goto out;
        }
        if (!json_object_object_get_ex(meta, "pid", &pid) ||
            !json_object_is_type(pid, json_type_int)) {
                r = -EBADMSG;
                goto out;
        }
        p = json_object_get_int64(pid);
        if (p <= 0 || p > INT32_MAX) {
                r = p <= 0 ? -ESRCH : -EBADMSG;
                goto out;
        }
        /* Incus and LXD run containers through liblxc: the init is a child
         * of a root monitor, in the payload cgroup of the instance (default
         * project: "lxc.payload.NAME"). */
        r = snprintf(ret_extra->cgroup_token, sizeof(ret_extra->cgroup_token),
                     "lxc.payload.%s", name);
        if (r < 0 || (size_t)r >= sizeof(ret_extra->cgroup_token)) {
                r = -ENAMETOOLONG;
                goto out;
        }
        ret_extra->cgroup_exact = true;
        ret_extra->parent_root = true;
        *ret_pid = (pid_t)p;
        r = 0;
out:
        json_object_put(meta);
        return r;
}

/* The daemon runs each container through liblxc with the lxcpath
 * DIR/containers, DIR the daemon's own (where its socket lives): a running
 * container's LXC monitor answers for it in well under a millisecond, where
 * GET /1.0/instances/NAME/state costs LXD 60-90 ms. The monitor's answer is
 * authenticated like an LXC container's (root peer, init a child of the
 * monitor, cgroup lxc.payload.NAME). Only when no monitor answers (stopped,
 * unknown, a VM, another project) is the daemon asked. */
static int lxd_like_find(const char *sock, const char *name, pid_t *ret_pid,
                         dp_runtime_extra *ret_extra)
{
        _cleanup_free_ char *dir = NULL, *path = NULL;
        dp_runtime_extra x = {};
        const char *slash;
        pid_t pid;

        slash = strrchr(sock, '/');
        if (slash && slash != sock && dp_container_name_valid(name) &&
            dp_socket_file_trusted(sock) == 0) {
                dir = strndup(sock, (size_t)(slash - sock));
                path = dir ? strjoin_sep("/", dir, "containers", NULL) : NULL;
                if (!path)
                        return -ENOMEM;
                if (dp_lxc_find_at(path, name, &pid, &x) == 0) {
                        *ret_pid = pid;
                        *ret_extra = x;
                        return 0;
                }
        }
        return lxd_like_find_rest(sock, name, ret_pid, ret_extra);
}

static int lxd_like_list(const char *sock, char ***ret_names)
{
        _cleanup_strv_free_ char **names = NULL;
        json_object *arr = NULL;
        int r;

        r = get_metadata(sock, "/1.0/instances?recursion=1", json_type_array,
                         &arr);
        if (r < 0)
                return r;
        names = calloc(1, sizeof(char *));
        if (!names) {
                json_object_put(arr);
                return -ENOMEM;
        }
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *e = json_object_array_get_idx(arr, i);
                const char *n = meta_string(e, "name"),
                           *st = meta_string(e, "status");

                if (!n || !st || !streq(st, "Running") || is_vm(e))
                        continue;
                r = strv_extend(&names, n);
                if (r < 0) {
                        json_object_put(arr);
                        return r;
                }
        }
        json_object_put(arr);
        *ret_names = TAKE_PTR(names);
        return 0;
}

static int incus_find(const char *name, pid_t *ret_pid,
                      dp_runtime_extra *ret_extra)
{
        return lxd_like_find(incus_socket(), name, ret_pid, ret_extra);
}

static int incus_list(char ***ret_names)
{
        return lxd_like_list(incus_socket(), ret_names);
}

static int lxd_find(const char *name, pid_t *ret_pid,
                    dp_runtime_extra *ret_extra)
{
        return lxd_like_find(lxd_socket(), name, ret_pid, ret_extra);
}

static int lxd_list(char ***ret_names)
{
        return lxd_like_list(lxd_socket(), ret_names);
}

const dp_runtime_ops dp_runtime_incus_ops = {
        .runtime = DP_RUNTIME_INCUS,
        .name = "incus",
        .list = incus_list,
        .find_pid = incus_find,
};

const dp_runtime_ops dp_runtime_lxd_ops = {
        .runtime = DP_RUNTIME_LXD,
        .name = "lxd",
        .list = lxd_list,
        .find_pid = lxd_find,
};
