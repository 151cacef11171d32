/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "devpass/config.h"
#include "devpass/util.h"

static dp_config config;

static const struct {
        const char *key;
        size_t offset;
} keys[] = {
        {"node-dir", offsetof(dp_config, node_dir)},
        {"bpf-root", offsetof(dp_config, bpf_root)},
        {"proc-root", offsetof(dp_config, proc_root)},
        {"lxc-path", offsetof(dp_config, lxc_path)},
        {"cgroup-v1-devices", offsetof(dp_config, cgroup_v1_devices)},
        {"cgroup-v2", offsetof(dp_config, cgroup_v2)},
        {"machines-dir", offsetof(dp_config, machines_dir)},
        {"docker-socket", offsetof(dp_config, docker_socket)},
        {"podman-socket", offsetof(dp_config, podman_socket)},
        {"incus-socket", offsetof(dp_config, incus_socket)},
        {"lxd-socket", offsetof(dp_config, lxd_socket)},
        {"podman-cli", offsetof(dp_config, podman_cli)},
};

const dp_config *dp_config_get(void)
{
        return &config;
}

int dp_config_set(const char *key, const char *value)
{
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char **field;
                char *copy = NULL;

                if (!streq(keys[i].key, key))
                        continue;
                if (value && !(copy = strdup(value)))
                        return -ENOMEM;
                field = (const char **)((char *)&config + keys[i].offset);
                free((char *)*field);
                *field = copy;
                return 0;
        }
        return -EINVAL;
}

int dp_config_set_assignment(const char *assignment)
{
        const char *eq = strchr(assignment, '=');
        char key[32];

        if (!eq || (size_t)(eq - assignment) >= sizeof(key))
                return -EINVAL;
        memcpy(key, assignment, (size_t)(eq - assignment));
        key[eq - assignment] = 0;
        return dp_config_set(key, isempty(eq + 1) ? NULL : eq + 1);
}
