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
#include <sys/sysmacros.h>

#include "core/daemon.h"
#include "devpass/container.h"

static bool below(const char *a, const char *b)
{
        size_t n = strlen(a);

        return strneq(a, b, n) && b[n] == '/';
}

static bool has_node(const dp_device *dev, char type, dev_t rdev)
{
        for (size_t k = 0; k < dev->n_nodes; k++)
                if (dev->nodes[k].type == type &&
                    dev->nodes[k].major == major(rdev) &&
                    dev->nodes[k].minor == minor(rdev))
                        return true;
        return false;
}

/* The device a node belongs to: of the devices carrying it (a tty and the
 * USB device whose bundle lists it), the innermost one, as dp_hw_resolve()
 * picks. */
static const dp_device *by_node(const dp_daemon *d, const char *path)
{
        const dp_device *found = NULL;
        struct stat st;
        char type;

        if (stat(path, &st) < 0 ||
            !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
                return NULL;
        type = S_ISBLK(st.st_mode) ? 'b' : 'c';
        for (size_t i = 0; i < d->devices.n; i++) {
                const dp_device *dev = d->devices.items[i];

                if (!has_node(dev, type, st.st_rdev))
                        continue;
                if (found && below(dev->syspath, found->syspath))
                        continue;
                if (found && !below(found->syspath, dev->syspath))
                        return NULL; /* two unrelated owners: ask libudev */
                found = dev;
        }
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
