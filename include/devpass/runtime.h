/* SPDX-License-Identifier: MIT */
#pragma once

/* Container references → running containers. A reference is "NAME" (tried
 * against every installed runtime), "RUNTIME:NAME" for lxc, incus, lxd,
 * nspawn, docker and podman, "pid:PID" or "cgroup:PATH" (see DESIGN.md §1).
 * Globs are not resolved here: policy matching lists the running containers
 * with dp_container_list_running() and matches the canonical references. */

#include "devpass/container.h"

/* Resolves a concrete reference ("NAME", "lxc:NAME", "incus:NAME", "lxd:NAME",
 * "nspawn:NAME", "docker:NAME", "podman:NAME", "pid:PID", "cgroup:PATH") to a
 * running container. Errors: -EINVAL bad syntax, -EPROTONOSUPPORT unknown
 * runtime prefix, -ENOENT no such container, -ESRCH exists but not running,
 * -ENOTUNIQ a bare NAME running in more than one runtime (a bare NAME
 * considers running containers only), -ENOMEDIUM the runtime is not
 * installed/reachable, -EHOSTDOWN nspawn: systemd-machined is not running. */
int dp_container_resolve(const char *ref, dp_container **ret);

/* Canonical references ("lxc:web", "docker:db", "nspawn:m1") of every running
 * container of every reachable runtime, for matching policy globs. pid: and
 * cgroup: containers are never listed. The vector is sorted. */
int dp_container_list_running(char ***ret_refs);

/* A one-line human explanation of a resolve error, e.g. "container is not
 * running". Takes the negative errno returned by dp_container_resolve(). */
const char *dp_container_strerror(int error);

/* The runtimes ("lxc, docker") the last ambiguous bare NAME was found running
 * in, which dp_container_strerror(-ENOTUNIQ) names; "" if none. The agent
 * notes what a lookup child reported. */
const char *dp_container_ambiguous_runtimes(void);
void dp_container_note_ambiguous(const char *runtimes);
