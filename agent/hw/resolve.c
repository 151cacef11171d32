/* SPDX-License-Identifier: MIT */
/* CLI device references → one logical device.
 *
 * A reference names a device and the device brings its whole bundle:
 * /dev/dri/card0 gives the GPU, /dev/input/event3 its input3 device, a
 * node of a USB child that is a device of its own (/dev/ttyUSB0, a hidraw)
 * gives that child, and usb:VID:PID always the whole USB device with every
 * child node. Nodes no sysfs device stands for (/dev/nvidia0, nvidiactl)
 * are looked up in the enumerated bundles. */
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "hw-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref)
#define _cleanup_udev_device_ _cleanup_(udev_device_unrefp)

static void list_clearp(dp_device_list *l)
{
        dp_device_list_clear(l);
}
#define _cleanup_list_ _cleanup_(list_clearp)

/* All devices, and a "candidate" flag per device for the caller to set. */
static int enumerate_candidates(dp_hw *hw, dp_device_list *l, bool **ret)
{
        bool *match;
        int r;

        r = dp_hw_enumerate(hw, l);
        if (r < 0)
                return r;
        match = calloc(l->n + 1, sizeof(bool));
        if (!match)
                return -ENOMEM;
        *ret = match;
        return 0;
}

static bool is_ancestor(const char *a, const char *b)
{
        size_t n = strlen(a);

        return strneq(a, b, n) && b[n] == '/';
}

/* Picks the one candidate no other candidate lies below: the bundle that
 * names the node most closely (event3 is in input3's bundle and in its USB
 * device's; input3 wins). */
static int innermost(const dp_device_list *l, const bool *match,
                     const dp_device **ret)
{
        const dp_device *found = NULL;

        for (size_t i = 0; i < l->n; i++) {
                bool outer = false;

                if (!match[i])
                        continue;
                for (size_t j = 0; j < l->n && !outer; j++)
                        outer = j != i && match[j] &&
                                is_ancestor(l->items[i]->syspath,
                                            l->items[j]->syspath);
                if (outer)
                        continue;
                if (found)
                        return -ENOTUNIQ;
                found = l->items[i];
        }
        if (!found)
                return -ENOENT;
        *ret = found;
        return 0;
}

static int pick_innermost(dp_device_list *l, bool *match, dp_device **ret)
{
        const dp_device *found;
        int r = innermost(l, match, &found);

        if (r < 0)
                return r;
        *ret = dp_device_copy(found);
        return *ret ? 0 : -ENOMEM;
}

int dp_hw_node_owner(const dp_device_list *l, const char *path,
                     const struct stat *st, const dp_device **ret)
{
        _cleanup_free_ bool *match = calloc(l->n + 1, sizeof(bool));
        char type = st && S_ISBLK(st->st_mode) ? 'b' : 'c';

        if (!match)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                for (size_t k = 0; k < l->items[i]->n_nodes; k++) {
                        const dp_node *n = &l->items[i]->nodes[k];

                        if (streq(n->path, path) ||
                            (st && n->type == type &&
                             n->major == major(st->st_rdev) &&
                             n->minor == minor(st->st_rdev)))
                                match[i] = true;
                }
        return innermost(l, match, ret);
}

static int resolve_node(dp_hw *hw, const char *ref, dp_device **ret)
{
        _cleanup_list_ dp_device_list l = {};
        /* no realpath(): stat() follows /dev/disk/by-id style links, and
         * the node numbers identify the device wherever the link points */
        const char *path = ref;
        const dp_device *found;
        bool have_dev = false;
        struct stat st;
        int r;

        if (stat(path, &st) == 0 &&
            (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
                _cleanup_udev_device_ struct udev_device *u =
                        udev_device_new_from_devnum(
                                dp_hw_udev(hw), S_ISBLK(st.st_mode) ? 'b' : 'c',
                                st.st_rdev);

                have_dev = true;
                if (u) {
                        r = dp_hw_device_from_udev(hw, u, ret);
                        if (r != -ENOENT)
                                return r;
                }
        }

        r = dp_hw_enumerate(hw, &l);
        if (r < 0)
                return r;
        r = dp_hw_node_owner(&l, path, have_dev ? &st : NULL, &found);
        if (r < 0)
                return r;
        *ret = dp_device_copy(found);
        return *ret ? 0 : -ENOMEM;
}

static int resolve_usb(dp_hw *hw, const dp_hw_ref *ref, dp_device **ret)
{
        _cleanup_list_ dp_device_list l = {};
        _cleanup_free_ bool *match = NULL;
        size_t count = 0;
        int r;

        r = enumerate_candidates(hw, &l, &match);
        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n; i++) {
                const dp_device *d = l.items[i];

                match[i] = d->klass == DP_CLASS_USB && d->has_vendor &&
                           d->has_product && d->vendor == ref->vendor &&
                           d->product == ref->product &&
                           (!ref->value ||
                            (d->serial && streq(d->serial, ref->value)));
                count += match[i];
        }
        if (count > 1)
                return -ENOTUNIQ; /* hubs nest, but each is a device */
        return pick_innermost(&l, match, ret);
}

/* A PCI function that is not itself a logical device (a NIC, an NVMe
 * controller) stands for the devices on it that have no parent among
 * them: its netdev, its disk. */
static int resolve_pci(dp_hw *hw, const char *slot, dp_device **ret)
{
        _cleanup_udev_device_ struct udev_device *u = NULL;
        _cleanup_list_ dp_device_list l = {};
        _cleanup_free_ bool *match = NULL;
        int r;

        u = udev_device_new_from_subsystem_sysname(dp_hw_udev(hw), "pci", slot);
        if (!u)
                return -ENOENT;
        r = dp_hw_device_from_udev(hw, u, ret);
        if (r != -ENOENT)
                return r;

        r = enumerate_candidates(hw, &l, &match);
        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n; i++) {
                const dp_device *d = l.items[i];

                match[i] = d->pci && streq(d->pci, slot) &&
                           !(d->parent_syspath &&
                             dp_device_list_find(&l, d->parent_syspath));
        }
        return pick_innermost(&l, match, ret);
}

int dp_hw_resolve(dp_hw *hw, const char *ref, dp_device **ret)
{
        _cleanup_udev_device_ struct udev_device *u = NULL;
        dp_hw_ref r = {};
        int k;

        k = dp_hw_ref_parse(ref, &r);
        if (k < 0)
                return k; /* malformed: -EINVAL */
        switch (r.kind) {
        case DP_HW_REF_NODE:
                k = resolve_node(hw, r.value, ret);
                break;
        case DP_HW_REF_SYSFS:
                u = udev_device_new_from_syspath(dp_hw_udev(hw), r.value);
                k = u ? dp_hw_device_from_udev(hw, u, ret) : -ENOENT;
                break;
        case DP_HW_REF_NET:
                u = udev_device_new_from_subsystem_sysname(dp_hw_udev(hw),
                                                           "net", r.value);
                k = u ? dp_hw_device_from_udev(hw, u, ret) : -ENOENT;
                break;
        case DP_HW_REF_USB:
                k = resolve_usb(hw, &r, ret);
                break;
        case DP_HW_REF_PCI:
                k = resolve_pci(hw, r.value, ret);
                break;
        default:
                k = -EINVAL;
        }
        dp_hw_ref_done(&r);
        return k;
}
