/* SPDX-License-Identifier: MIT */
/* Docker, and Podman through its Docker-compatible API: the Engine API over
 * the daemon's unix socket (GET /containers/NAME/json, GET /containers/json).
 * Unversioned paths, so any daemon version answers with its own default. */
#include <string.h>

#include <json-c/json.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/util.h"

static const char *const docker_sockets[] = {"/var/run/docker.sock",
                                             "/run/docker.sock", NULL};
static const char *const podman_sockets[] = {"/run/podman/podman.sock", NULL};

static const char *docker_socket(void)
{
        return dp_runtime_socket(dp_config_get()->docker_socket,
                                 docker_sockets);
}

static const char *podman_socket(void)
{
        return dp_runtime_socket(dp_config_get()->podman_socket,
                                 podman_sockets);
}

static json_object *get_path(json_object *o, const char *a, const char *b)
{
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, a, &v))
                return NULL;
        if (b && !json_object_object_get_ex(v, b, &v))
                return NULL;
        return v;
}

static int engine_find(const char *sock, const char *name, pid_t *ret_pid,
                       dp_runtime_extra *ret_extra)
{
        _cleanup_free_ char *esc = NULL, *path = NULL;
        json_object *o = NULL, *running, *pid, *parent, *id;
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
        running = get_path(o, "State", "Running");
        pid = get_path(o, "State", "Pid");
        if (!json_object_is_type(o, json_type_object) || !running ||
            !json_object_is_type(running, json_type_boolean) ||
            (pid && !json_object_is_type(pid, json_type_int))) {
                r = -EBADMSG;
                goto out;
        }
        if (!json_object_get_boolean(running) || !pid ||
            json_object_get_int64(pid) <= 0) {
                r = -ESRCH;
                goto out;
        }
        if (json_object_get_int64(pid) > INT32_MAX) {
                r = -EBADMSG;
                goto out;
        }
        /* The engine's init (runc's child of containerd-shim or conmon)
         * lives in a cgroup named after the container's full id. */
        id = get_path(o, "Id", NULL);
        if (!id || !json_object_is_type(id, json_type_string) ||
            json_object_get_string_len(id) < 12 ||
            (size_t)json_object_get_string_len(id) >=
                    sizeof(ret_extra->cgroup_token) ||
            strspn(json_object_get_string(id), "0123456789abcdef") !=
                    (size_t)json_object_get_string_len(id)) {
                r = -EBADMSG;
                goto out;
        }
        strcpy(ret_extra->cgroup_token, json_object_get_string(id));
        ret_extra->cgroup_exact = false;
        ret_extra->parent_root = true;
        *ret_pid = (pid_t)json_object_get_int64(pid);
        /* A parent slice means the systemd cgroup driver placed it; the
         * resolver also checks the init's own cgroup path for a scope. */
        parent = get_path(o, "HostConfig", "CgroupParent");
        ret_extra->systemd_managed =
                parent && json_object_is_type(parent, json_type_string) &&
                endswith(json_object_get_string(parent), ".slice");
        r = 0;
out:
        json_object_put(o);
        return r;
}

static int engine_list(const char *sock, char ***ret_names)
{
        _cleanup_strv_free_ char **names = NULL;
        json_object *arr = NULL;
        int r;

        r = dp_rest_get_json(sock, "/containers/json", &arr);
        if (r < 0)
                return r;
        if (!json_object_is_type(arr, json_type_array)) {
                json_object_put(arr);
                return -EBADMSG;
        }
        names = calloc(1, sizeof(char *));
        if (!names) {
                json_object_put(arr);
                return -ENOMEM;
        }
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *e = json_object_array_get_idx(arr, i), *nv, *st;
                const char *n;

                /* The list holds running containers only, unless asked
                 * otherwise; check anyway. */
                st = get_path(e, "State", NULL);
                if (st && json_object_is_type(st, json_type_string) &&
                    !streq(json_object_get_string(st), "running"))
                        continue;
                nv = get_path(e, "Names", NULL);
                if (!nv || !json_object_is_type(nv, json_type_array) ||
                    json_object_array_length(nv) == 0)
                        continue;
                n = json_object_get_string(json_object_array_get_idx(nv, 0));
                if (!n)
                        continue;
                n += strspn(n, "/");
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

static int docker_find(const char *name, pid_t *ret_pid,
                       dp_runtime_extra *ret_extra)
{
        return engine_find(docker_socket(), name, ret_pid, ret_extra);
}

static int docker_list(char ***ret_names)
{
        return engine_list(docker_socket(), ret_names);
}

static int podman_find(const char *name, pid_t *ret_pid,
                       dp_runtime_extra *ret_extra)
{
        return engine_find(podman_socket(), name, ret_pid, ret_extra);
}

static int podman_list(char ***ret_names)
{
        return engine_list(podman_socket(), ret_names);
}

const dp_runtime_ops dp_runtime_docker_ops = {
        .runtime = DP_RUNTIME_DOCKER,
        .name = "docker",
        .list = docker_list,
        .find_pid = docker_find,
};

const dp_runtime_ops dp_runtime_podman_ops = {
        .runtime = DP_RUNTIME_PODMAN,
        .name = "podman",
        .list = podman_list,
        .find_pid = podman_find,
};
