/* SPDX-License-Identifier: MIT */
/* Podman. Podman is daemonless: its Docker-compatible API socket exists only
 * while `podman system service` runs, which most hosts never start. So the
 * socket is used when it is there, and otherwise Podman's own CLI answers
 * (`podman container inspect`, `podman ps`), whose JSON has the Engine API's
 * shape. Rootful Podman only: a rootless user's containers are that user's
 * (their podman, their storage) and are reached by pid:. The answer is
 * authenticated as the socket's would be: the init's parent (conmon) runs
 * as root and its cgroup holds the container's full id. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/util.h"

#define PODMAN_CLI_TIMEOUT_MS 2000

static const char *const podman_sockets[] = {"/run/podman/podman.sock", NULL};

static const char *podman_socket(void)
{
        return dp_runtime_socket(dp_config_get()->podman_socket,
                                 podman_sockets);
}

static const char *podman_bin(void)
{
        const char *e = dp_config_get()->podman_cli;

        return isempty(e) ? "/usr/bin/podman" : e;
}

static bool program_missing(void)
{
        return access(podman_bin(), X_OK) < 0;
}

/* Whether the API socket is there to ask (an explicitly configured socket
 * is always asked, so that its errors are seen). */
static bool use_socket(void)
{
        return !isempty(dp_config_get()->podman_socket) ||
               dp_socket_file_trusted(podman_socket()) == 0;
}

/* Runs podman ARGS… and parses its JSON stdout. Podman exits non-zero when
 * a named container does not exist (125, printing "[]"): -ENOENT. */
static int cli_json(char *const *argv, json_object **ret)
{
        _cleanup_free_ char *out = NULL;
        size_t n = 0;
        int status, r;

        r = dp_capture(podman_bin(), argv, PODMAN_CLI_TIMEOUT_MS, &status, &out,
                       &n);
        if (r < 0)
                return r;
        if (status != 0)
                return status == 125 ? -ENOENT : -EIO;
        return dp_json_parse(out, n, ret);
}

/* Podman's own rule for names; anything else (a leading '-' above all,
 * which the CLI would take for an option) is no Podman container. */
static bool podman_name_valid(const char *name)
{
        if (!name || !((name[0] >= 'a' && name[0] <= 'z') ||
                       (name[0] >= 'A' && name[0] <= 'Z') ||
                       (name[0] >= '0' && name[0] <= '9')))
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
               strlen(name);
}

static int cli_find(const char *name, pid_t *ret_pid,
                    dp_runtime_extra *ret_extra)
{
        char *argv[] = {"podman", "container", "inspect",    "--format",
                        "json",   "--",        (char *)name, NULL};
        json_object *arr = NULL, *o;
        const char *id, *nm;
        int r;

        if (!podman_name_valid(name))
                return -ENOENT;
        r = cli_json(argv, &arr);
        if (r < 0)
                return r;
        if (!json_object_is_type(arr, json_type_array)) {
                json_object_put(arr);
                return -EBADMSG;
        }
        if (json_object_array_length(arr) != 1) {
                json_object_put(arr);
                return json_object_array_length(arr) == 0 ? -ENOENT : -EBADMSG;
        }
        o = json_object_array_get_idx(arr, 0);
        /* inspect also finds a container by an id prefix: a name must be
         * the container's name or its full id. */
        id = json_object_get_string(dp_engine_get_path(o, "Id", NULL));
        nm = json_object_get_string(dp_engine_get_path(o, "Name", NULL));
        if (!(nm && streq(nm, name)) && !(id && streq(id, name))) {
                json_object_put(arr);
                return -ENOENT;
        }
        r = dp_engine_inspect_parse(o, ret_pid, ret_extra);
        json_object_put(arr);
        return r;
}

static int podman_find(const char *name, pid_t *ret_pid,
                       dp_runtime_extra *ret_extra)
{
        if (use_socket())
                return dp_engine_rest_find(podman_socket(), name, ret_pid,
                                           ret_extra);
        return cli_find(name, ret_pid, ret_extra);
}

/* The container name a root conmon watches ("-n NAME"), or NULL for an
 * exec session's conmon or anything else. */
static char *conmon_name(pid_t pid)
{
        _cleanup_free_ char *comm = NULL, *cmd = NULL;
        const char *name = NULL;
        char path[64];
        size_t n = 0;
        struct stat st;

        snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
        if (read_full_file(path, &comm, NULL) < 0 ||
            !streq(strstrip(comm), "conmon"))
                return NULL;
        snprintf(path, sizeof(path), "/proc/%d", (int)pid);
        if (stat(path, &st) < 0 || st.st_uid != 0)
                return NULL; /* rootless Podman: not served */
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        if (read_full_file(path, &cmd, &n) < 0)
                return NULL;
        for (size_t i = 0; i < n; i += strlen(cmd + i) + 1) {
                const char *a = cmd + i;

                if (streq(a, "-e") || streq(a, "--exec"))
                        return NULL;
                if ((streq(a, "-n") || streq(a, "--name")) &&
                    i + strlen(a) + 1 < n)
                        name = a + strlen(a) + 1;
        }
        return name && podman_name_valid(name) ? strdup(name) : NULL;
}

/* Without the API service, the running containers are those a root conmon
 * watches: a walk over /proc costs about a millisecond where `podman ps`
 * costs 40 ms of CPU, and a rescan runs every second. A name is only a
 * candidate: it is resolved (and authenticated) through `podman container
 * inspect`, once per container start. */
static int cli_list(char ***ret_names)
{
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        _cleanup_(closedirp) DIR *d = opendir("/proc");
        struct dirent *de;
        int r;

        if (!names || !d)
                return names ? negative_errno() : -ENOMEM;
        if (program_missing())
                return -ENOMEDIUM;
        while ((de = readdir(d))) {
                _cleanup_free_ char *name = NULL;
                unsigned pid;

                if (safe_atou(de->d_name, &pid) < 0 || pid == 0 ||
                    pid > INT32_MAX)
                        continue;
                name = conmon_name((pid_t)pid);
                if (!name || strv_contains(names, name))
                        continue;
                r = strv_push(&names, name);
                if (r < 0)
                        return r;
                name = NULL;
        }
        *ret_names = TAKE_PTR(names);
        return 0;
}

static int podman_list(char ***ret_names)
{
        if (use_socket())
                return dp_engine_rest_list(podman_socket(), ret_names);
        return cli_list(ret_names);
}

const dp_runtime_ops dp_runtime_podman_ops = {
        .runtime = DP_RUNTIME_PODMAN,
        .name = "podman",
        .list = podman_list,
        .find_pid = podman_find,
};
