/* SPDX-License-Identifier: MIT */
/* Answers to "which device / which container" for IPC requests from what
 * the agent already tracks. Resolving from scratch walks sysfs through
 * libudev and asks the container runtime (liblxc parses the container's
 * config), about a millisecond per request; the agent's own lists are kept
 * current by uevents and pidfds. Whatever the lists do not know — a device
 * whose uevent is still queued, a bare container name that has to be
 * checked against every runtime — is left to the full resolvers. */
#include <string.h>
#include <sys/stat.h>

#include "core/daemon.h"
#include "devpass/container.h"

/* The device a node belongs to, as dp_hw_resolve() finds it in a fresh
 * enumeration; none when that is ambiguous (libudev decides then). */
static const dp_device *by_node(const dp_daemon *d, const char *path)
{
        const dp_device *found;
        struct stat st;

        if (stat(path, &st) < 0 ||
            !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ||
            dp_hw_node_owner(&d->devices, path, &st, &found) < 0)
                return NULL;
        return found;
}

int dp_daemon_lookup_device(const dp_daemon *d, const char *ref,
                            dp_device **ret)
{
        const dp_device *dev = NULL;

        if (startswith(ref, "/sys/"))
                dev = dp_device_list_find(&d->devices, ref);
        else if (startswith(ref, "/dev/"))
                dev = by_node(d, ref);
        if (!dev)
                return -ENOENT;
        *ret = dp_device_copy(dev);
        return *ret ? 0 : -ENOMEM;
}

const dp_container *dp_daemon_lookup_container(dp_daemon *d, const char *ref)
{
        const dp_container *c;

        /* only a canonical "runtime:name" is unambiguous without asking
         * every runtime */
        if (!strchr(ref, ':'))
                return NULL;
        c = dp_registry_find(d, ref);
        return c && dp_container_check_alive(c) >= 0 ? c : NULL;
}
