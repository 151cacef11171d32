/* SPDX-License-Identifier: MIT */
/* Docker: the Engine API over the daemon's unix socket (GET
 * /containers/NAME/json, GET /containers/json). Unversioned paths, so any
 * daemon version answers with its own default. Podman's API service and its
 * CLI answer in the same shapes: runtime-podman.c reuses the parsers. */
#include <string.h>

#include <json-c/json.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/util.h"

static const char *const docker_sockets[] = {"/var/run/docker.sock",
                                             "/run/docker.sock", NULL};

static const char *docker_socket(void)
{
        return dp_runtime_socket(dp_config_get()->docker_socket,
                                 docker_sockets);
}

json_object *dp_engine_get_path(json_object *o, const char *a, const char *b)
{
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, a, &v))
                return NULL;
        if (b && !json_object_object_get_ex(v, b, &v))
                return NULL;
        return v;
}

int dp_engine_inspect_parse(json_object *o, pid_t *ret_pid,
                            dp_runtime_extra *ret_extra)
{
        json_object *running, *pid, *parent, *id;

        running = dp_engine_get_path(o, "State", "Running");
        pid = dp_engine_get_path(o, "State", "Pid");
        if (!json_object_is_type(o, json_type_object) || !running ||
            !json_object_is_type(running, json_type_boolean) ||
            (pid && !json_object_is_type(pid, json_type_int)))
                return -EBADMSG;
        if (!json_object_get_boolean(running) || !pid ||
            json_object_get_int64(pid) <= 0)
                return -ESRCH;
        if (json_object_get_int64(pid) > INT32_MAX)
                return -EBADMSG;
        /* The engine's init (runc's child of containerd-shim or conmon)
         * lives in a cgroup named after the container's full id. */
        id = dp_engine_get_path(o, "Id", NULL);
        if (!id || !json_object_is_type(id, json_type_string) ||
            json_object_get_string_len(id) < 12 ||
            (size_t)json_object_get_string_len(id) >=
                    sizeof(ret_extra->cgroup_token) ||
            strspn(json_object_get_string(id), "0123456789abcdef") !=
                    (size_t)json_object_get_string_len(id))
                return -EBADMSG;
        strcpy(ret_extra->cgroup_token, json_object_get_string(id));
        ret_extra->cgroup_exact = false;
        ret_extra->parent_root = true;
        *ret_pid = (pid_t)json_object_get_int64(pid);
        /* A parent slice means the systemd cgroup driver placed it; the
         * resolver also checks the init's own cgroup path for a scope. */
        parent = dp_engine_get_path(o, "HostConfig", "CgroupParent");
        ret_extra->systemd_managed =
                parent && json_object_is_type(parent, json_type_string) &&
                endswith(json_object_get_string(parent), ".slice");
        return 0;
}

int dp_engine_rest_find(const char *sock, const char *name, pid_t *ret_pid,
                        dp_runtime_extra *ret_extra)
{
        _cleanup_free_ char *esc = NULL, *path = NULL;
        json_object *o = NULL;
        int r;

        esc = dp_http_escape(name);
        if (!esc)
                return -ENOMEM;
        path = strjoin_sep("", "/containers/", esc, "/json", NULL);
        if (!path)
                return -ENOMEM;
        r = dp_rest_get_json(sock, path, &o);
        if (r < 0)
                return r;
        r = dp_engine_inspect_parse(o, ret_pid, ret_extra);
        json_object_put(o);
        return r;
}

int dp_engine_list_parse(json_object *arr, char ***ret_names)
{
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (!json_object_is_type(arr, json_type_array))
                return -EBADMSG;
        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *e = json_object_array_get_idx(arr, i), *nv, *st;
                const char *n;

                /* The list holds running containers only, unless asked
                 * otherwise; check anyway. */
                st = dp_engine_get_path(e, "State", NULL);
                if (st && json_object_is_type(st, json_type_string) &&
                    !streq(json_object_get_string(st), "running"))
                        continue;
                nv = dp_engine_get_path(e, "Names", NULL);
                if (!nv || !json_object_is_type(nv, json_type_array) ||
                    json_object_array_length(nv) == 0)
                        continue;
                n = json_object_get_string(json_object_array_get_idx(nv, 0));
                if (!n)
                        continue;
                n += strspn(n, "/");
                r = strv_extend(&names, n);
                if (r < 0)
                        return r;
        }
        *ret_names = TAKE_PTR(names);
        return 0;
}

int dp_engine_rest_list(const char *sock, char ***ret_names)
{
        json_object *arr = NULL;
        int r;

        r = dp_rest_get_json(sock, "/containers/json", &arr);
        if (r < 0)
                return r;
        r = dp_engine_list_parse(arr, ret_names);
        json_object_put(arr);
        return r;
}

static int docker_find(const char *name, pid_t *ret_pid,
                       dp_runtime_extra *ret_extra)
{
        return dp_engine_rest_find(docker_socket(), name, ret_pid, ret_extra);
}

static int docker_list(char ***ret_names)
{
        return dp_engine_rest_list(docker_socket(), ret_names);
}

const dp_runtime_ops dp_runtime_docker_ops = {
        .runtime = DP_RUNTIME_DOCKER,
        .name = "docker",
        .list = docker_list,
        .find_pid = docker_find,
};
