/* SPDX-License-Identifier: MIT */
/* DRM nodes of a GPU through libdrm: drmGetDevices2() knows which card and
 * render nodes belong to which PCI function (or platform device), so the
 * GPU's bundle gets exactly its own /dev/dri entries. */

#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <xf86drm.h>

#include "hw-internal.h"

static const char *basename_of(const char *path)
{
        const char *s = strrchr(path, '/');

        return s ? s + 1 : path;
}

/* The DRM minor's sysfs directory below the GPU: <syspath>/drm/cardN. */
static char *minor_syspath(const dp_device *d, const char *node)
{
        return strjoin_sep("/", d->syspath, "drm", basename_of(node), NULL);
}

static bool is_minor_of(const dp_device *d, const char *node)
{
        _cleanup_free_ char *p = minor_syspath(d, node);
        struct stat st;

        return p && stat(p, &st) >= 0 && S_ISDIR(st.st_mode);
}

static bool matches(const dp_device *d, const drmDevice *dev)
{
        if (dev->bustype == DRM_BUS_PCI && d->pci && dev->businfo.pci) {
                unsigned dom, bus, slot, fn;

                if (sscanf(d->pci, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) == 4)
                        return dev->businfo.pci->domain == dom &&
                               dev->businfo.pci->bus == bus &&
                               dev->businfo.pci->dev == slot &&
                               dev->businfo.pci->func == fn;
        }
        /* Platform, host1x and USB display devices (and a PCI GPU whose
         * slot is unknown): its minors sit below it in sysfs. */
        for (int t = 0; t < DRM_NODE_MAX; t++)
                if ((dev->available_nodes & (1 << t)) && dev->nodes[t] &&
                    is_minor_of(d, dev->nodes[t]))
                        return true;
        return false;
}

/* major:minor of a DRM node: stat() of the node, else the minor's "dev"
 * attribute (a node that is not a char device, as in a test tree, or one
 * that udev has not made yet). */
static int node_devnum(const dp_device *d, const char *node,
                       unsigned *ret_major, unsigned *ret_minor)
{
        _cleanup_free_ char *dir = NULL, *p = NULL, *dev = NULL;
        unsigned maj, min;
        struct stat st;
        int r;

        if (stat(node, &st) >= 0 && S_ISCHR(st.st_mode)) {
                *ret_major = major(st.st_rdev);
                *ret_minor = minor(st.st_rdev);
                return 0;
        }
        /* The minor normally hangs below the GPU; the class link finds it
         * for a GPU matched by PCI slot alone. */
        dir = is_minor_of(d, node) ? minor_syspath(d, node)
                                   : strjoin_sep("/", "/sys/class/drm",
                                                 basename_of(node), NULL);
        if (!dir)
                return -ENOMEM;
        p = strjoin_sep("/", dir, "dev", NULL);
        if (!p)
                return -ENOMEM;
        r = read_one_line(p, &dev);
        if (r < 0)
                return r;
        if (sscanf(dev, "%u:%u", &maj, &min) != 2)
                return -EINVAL;
        *ret_major = maj;
        *ret_minor = min;
        return 0;
}

/* The kernel driver bound to the GPU (the DRM minor's "device"). */
static int fill_driver(dp_device *d)
{
        _cleanup_free_ char *link = NULL;
        char target[PATH_MAX];
        ssize_t n;

        if (!isempty(d->driver))
                return 0;
        link = strjoin_sep("/", d->syspath, "driver", NULL);
        if (!link)
                return -ENOMEM;
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return negative_errno();
        target[n] = 0;
        free(d->driver);
        d->driver = strdup(basename_of(target));
        return d->driver ? 0 : -ENOMEM;
}

static int add_nodes(dp_device *d, const drmDevice *dev)
{
        static const int types[] = {DRM_NODE_PRIMARY, DRM_NODE_RENDER};

        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                const char *node = dev->nodes[types[i]];
                unsigned maj, min;
                int r;

                if (!(dev->available_nodes & (1 << types[i])) || !node)
                        continue;
                r = node_devnum(d, node, &maj, &min);
                if (r < 0)
                        return r;
                r = dp_device_add_node(d, node, 'c', maj, min);
                if (r < 0)
                        return r;
        }
        return 0;
}

int dp_hw_drm_enrich(dp_hw *hw, dp_device *d)
{
        drmDevicePtr *devs = NULL;
        int n, r = 0;

        if (!d || !d->syspath)
                return 0;
        if (d->klass != DP_CLASS_GPU && !d->pci)
                return 0;

        n = drmGetDevices2(0, NULL, 0);
        if (n == -ENOENT || n == -ENODEV || n == 0)
                return 0; /* no /dev/dri: a compute-only host */
        if (n < 0)
                return n;
        devs = calloc((size_t)n, sizeof(drmDevicePtr));
        if (!devs)
                return -ENOMEM;
        n = drmGetDevices2(0, devs, n);
        if (n < 0) {
                free(devs);
                return n == -ENOENT || n == -ENODEV ? 0 : n;
        }
        for (int i = 0; i < n; i++)
                if (matches(d, devs[i])) {
                        r = add_nodes(d, devs[i]);
                        /* An unbound GPU keeps its nodes but has no
                         * driver to name. */
                        if (r >= 0 && fill_driver(d) == -ENOMEM)
                                r = -ENOMEM;
                        break;
                }
        drmFreeDevices(devs, n);
        free(devs);
        return r;
}
