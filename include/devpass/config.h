/* SPDX-License-Identifier: MIT */
#pragma once

/* Where devpass finds the host's interfaces: each path NULL for the
 * default. One struct for the whole process, set before any work starts:
 * the programs fill it from their hidden --test-path KEY=PATH options, test
 * binaries with dp_config_set(); product code only reads it. */

typedef struct dp_config {
        const char *node_dir;  /* host tmpfs for user-namespaced nodes;
                                  default /run/devpass/nodes */
        const char *bpf_root;  /* bpffs dir for pins; /sys/fs/bpf/devpass */
        const char *proc_root; /* procfs facts (/proc/devices, nvidia);
                                  /proc */
        const char *lxc_path;  /* LXC's lxcpath; /etc/lxc/lxc.conf or the
                                  default */
        const char *cgroup_v1_devices; /* devices hierarchy; from mountinfo */
        const char *cgroup_v2;         /* cgroup2 mount; from mountinfo */
        const char *machines_dir;      /* machined's registrations;
                                          /run/systemd/machines */
        const char *docker_socket, *podman_socket, *incus_socket,
                *lxd_socket;    /* default: the first that exists */
        const char *podman_cli; /* Podman's program; /usr/bin/podman */
} dp_config;

const dp_config *dp_config_get(void);
/* Sets the field named KEY ("node-dir", "bpf-root", …, "lxd-socket") to a
 * copy of value (NULL: the default again); -EINVAL for an unknown key. */
int dp_config_set(const char *key, const char *value);
/* "KEY=PATH", as the --test-path option takes it. */
int dp_config_set_assignment(const char *assignment);
