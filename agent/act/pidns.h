/* SPDX-License-Identifier: MIT */
#pragma once

/* Which processes belong to a container, by pid namespace. A container's
 * processes may sit in pid namespaces of their own below the container's
 * (`unshare -p -f` inside, a nested container): they are the container's
 * as much as those in its init's namespace. */

#include <sys/stat.h>
#include <sys/types.h>

/* Pid namespaces nest at most 32 deep (the kernel's MAX_PID_NS_LEVEL). */
#define DP_PIDNS_MAX_DEPTH 32

/* 1 if the pid namespace behind nsfd (an fd of /proc/PID/ns/pid) is ns or a
 * descendant of it, 0 if not, negative errno. ns and self are stat()s of
 * pid namespace files: the target and our own. The walk goes up with
 * NS_GET_PARENT, which fails with EPERM above our own namespace; it stops
 * there, at our own namespace and after DP_PIDNS_MAX_DEPTH steps. */
int dp_pidns_fd_within(int nsfd, const struct stat *ns,
                       const struct stat *self);

/* The same for the process pid (in our pid namespace); -ESRCH when it is
 * gone. */
int dp_pidns_pid_within(pid_t pid, const struct stat *ns,
                        const struct stat *self);
