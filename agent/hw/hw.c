/* SPDX-License-Identifier: MIT */
/* Enumeration core: kernel devices from libudev, grouped into logical
 * devices (a GPU with its DRM nodes, a USB device with its children's
 * nodes, an input device with its event nodes) and filled with the facts
 * the policy matches on. libudev reads the kernel's uevent files itself, so
 * this works whether or not systemd-udevd runs; only udev's database
 * (extra properties, tags) is missing without it, and the cheap parts of
 * that are derived from sysfs instead. */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hw-internal.h"

#define USB_DEVICE_MAJOR 189

struct dp_hw {
        struct udev *udev;
        char **attr_names; /* attributes worth reading; NULL: all */
        bool attr_filter;
        char *lone_syspath; /* the last device asked about by parent_of() */
        bool lone;          /* … and whether it has no parent device */
};

static bool same_names(char *const *a, char *const *b)
{
        if (strv_length(a) != strv_length(b))
                return false;
        STRV_FOREACH (n, a)
                if (!strv_contains(b, *n))
                        return false;
        return true;
}

int dp_hw_set_attributes(dp_hw *hw, char *const *names)
{
        char **copy = NULL;

        if (hw->attr_filter == (names != NULL) &&
            (!names || same_names(names, hw->attr_names)))
                return 0;
        if (names) {
                copy = strv_copy(names);
                if (!copy)
                        return -ENOMEM;
        }
        strv_free(hw->attr_names);
        hw->attr_names = copy;
        hw->attr_filter = names != NULL;
        return 1;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref)
#define _cleanup_udev_device_    _cleanup_(udev_device_unrefp)
#define _cleanup_udev_enumerate_ _cleanup_(udev_enumerate_unrefp)

int dp_hw_new(dp_hw **ret)
{
        _cleanup_free_ dp_hw *hw = calloc(1, sizeof(dp_hw));

        if (!hw)
                return -ENOMEM;
        hw->udev = udev_new();
        if (!hw->udev)
                return errno > 0 ? -errno : -ENOMEM;
        *ret = TAKE_PTR(hw);
        return 0;
}

void dp_hw_free(dp_hw *hw)
{
        if (!hw)
                return;
        udev_unref(hw->udev);
        strv_free(hw->attr_names);
        free(hw->lone_syspath);
        free(hw);
}

struct udev *dp_hw_udev(dp_hw *hw)
{
        return hw->udev;
}

static bool numbered(const char *s, const char *prefix)
{
        size_t n = strlen(prefix);

        if (!s || !strneq(s, prefix, n) || !s[n])
                return false;
        return strspn(s + n, "0123456789") == strlen(s + n);
}

/* Whether the device at syspath has no parent device: no directory between
 * it and /sys/devices holds a uevent file (loop, veth, tap). libudev finds
 * that out by resolving every ancestor component by component, dozens of
 * syscalls per level; one access() per level answers it here. */
static bool has_no_parent(const char *syspath)
{
        char path[PATH_MAX];
        size_t n = strlen(syspath);

        if (!startswith(syspath, "/sys/devices/") || n + 8 >= sizeof(path))
                return false;
        memcpy(path, syspath, n + 1);
        for (;;) {
                char *slash = strrchr(path, '/');

                if (!slash || slash - path <= (ptrdiff_t)strlen("/sys/devices"))
                        return true;
                strcpy(slash, "/uevent");
                if (access(path, F_OK) >= 0)
                        return false;
                *slash = 0;
        }
}

/* udev_device_get_parent(), without libudev's walk when there is no parent;
 * the answer for the last device is kept, as one device is asked about
 * several times in a row. */
static struct udev_device *parent_of(dp_hw *hw, struct udev_device *u)
{
        const char *sp = udev_device_get_syspath(u);

        if (!sp)
                return NULL;
        if (!hw->lone_syspath || !streq(hw->lone_syspath, sp)) {
                free(hw->lone_syspath);
                hw->lone_syspath = strdup(sp);
                hw->lone = has_no_parent(sp);
        }
        return hw->lone ? NULL : udev_device_get_parent(u);
}

static struct udev_device *ancestor_of(dp_hw *hw, struct udev_device *u,
                                       const char *subsystem,
                                       const char *devtype)
{
        if (!parent_of(hw, u))
                return NULL;
        return udev_device_get_parent_with_subsystem_devtype(u, subsystem,
                                                             devtype);
}

/* The parent's facts decide the role of these only (dp_hw_classify). */
static bool role_needs_parent(const char *subsystem)
{
        return subsystem &&
               (streq(subsystem, "drm") || streq(subsystem, "usb") ||
                streq(subsystem, "input") || streq(subsystem, "sound"));
}

/* A drm card* child: how a platform (or odd PCI) device shows that it is
 * a GPU. */
static bool has_drm_card(const char *syspath)
{
        _cleanup_free_ char *p = strjoin_sep("/", syspath, "drm", NULL);
        struct dirent *de;
        bool found = false;
        DIR *d;

        if (!p || !(d = opendir(p)))
                return false;
        while (!found && (de = readdir(d)))
                found = numbered(de->d_name, "card");
        closedir(d);
        return found;
}

static void gather_facts(dp_hw *hw, struct udev_device *u, dp_hw_facts *f)
{
        struct udev_device *p = NULL;
        const char *type;
        unsigned t;

        *f = (dp_hw_facts){
                .subsystem = udev_device_get_subsystem(u),
                .devtype = udev_device_get_devtype(u),
                .sysname = udev_device_get_sysname(u),
                .syspath = udev_device_get_syspath(u),
                .has_devnode = udev_device_get_devnode(u) != NULL,
        };
        if (f->subsystem &&
            (streq(f->subsystem, "pci") || streq(f->subsystem, "platform"))) {
                if (streq(f->subsystem, "pci"))
                        f->pci_class =
                                udev_device_get_sysattr_value(u, "class");
                f->has_drm_card = has_drm_card(f->syspath);
        }
        if (f->subsystem && streq(f->subsystem, "net")) {
                type = udev_device_get_sysattr_value(u, "type");
                if (type && safe_atou(type, &t) >= 0)
                        f->net_type = t;
        }
        if (role_needs_parent(f->subsystem))
                p = parent_of(hw, u);
        if (p) {
                f->parent_subsystem = udev_device_get_subsystem(p);
                f->parent_devtype = udev_device_get_devtype(p);
                f->parent_sysname = udev_device_get_sysname(p);
                f->parent_has_devnode = udev_device_get_devnode(p) != NULL;
        }
}

/* The card* device next to a parentless render node (vgem). */
static struct udev_device *card_sibling(dp_hw *hw, struct udev_device *u)
{
        _cleanup_free_ char *dir = strdup(udev_device_get_syspath(u));
        struct udev_device *card = NULL;
        struct dirent *de;
        DIR *d;

        if (!dir || !(d = opendir(dirname(dir))))
                return NULL;
        while (!card && (de = readdir(d))) {
                _cleanup_free_ char *p = NULL;

                if (!numbered(de->d_name, "card"))
                        continue;
                p = strjoin_sep("/", dir, de->d_name, NULL);
                if (p)
                        card = udev_device_new_from_syspath(hw->udev, p);
        }
        closedir(d);
        return card;
}

/* Whether u is a logical device of its own, and of which class. */
static bool logical_class(dp_hw *hw, struct udev_device *u, dp_class *ret)
{
        _cleanup_udev_device_ struct udev_device *card = NULL;
        dp_hw_facts f;
        dp_class c;

        gather_facts(hw, u, &f);
        switch (dp_hw_classify(&f, &c)) {
        case DP_HW_ROLE_DEVICE:
                *ret = c;
                return true;
        case DP_HW_ROLE_CARD_SIBLING:
                card = card_sibling(hw, u);
                if (card)
                        return false;
                *ret = DP_CLASS_GPU;
                return true;
        default:
                return false;
        }
}

int dp_hw_owner_device(dp_hw *hw, struct udev_device *u,
                       struct udev_device **ret)
{
        struct udev_device *p;
        dp_hw_facts f;
        dp_class c;

        gather_facts(hw, u, &f);
        switch (dp_hw_classify(&f, &c)) {
        case DP_HW_ROLE_DEVICE:
                *ret = udev_device_ref(u);
                return 0;
        case DP_HW_ROLE_PART:
                p = parent_of(hw, u);
                if (!p)
                        return -ENOENT;
                return dp_hw_owner_device(hw, p, ret);
        case DP_HW_ROLE_CARD_SIBLING:
                p = card_sibling(hw, u);
                *ret = p ? p : udev_device_ref(u);
                return 0;
        default:
                return -ENOENT;
        }
}

int dp_hw_owner_syspath(dp_hw *hw, struct udev_device *u, char **ret)
{
        _cleanup_udev_device_ struct udev_device *o = NULL;
        const char *sp;
        char *s;

        if (dp_hw_owner_device(hw, u, &o) < 0)
                o = udev_device_ref(u);
        sp = udev_device_get_syspath(o);
        if (!sp)
                return -EINVAL;
        s = strdup(sp);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int set_str(char **field, const char *v)
{
        if (!v)
                return 0;
        free(*field);
        *field = strdup(v);
        return *field ? 0 : -ENOMEM;
}

static void set_hex_attr(struct udev_device *u, const char *attr, bool *has,
                         uint16_t *v, bool zero_is_none)
{
        const char *s = udev_device_get_sysattr_value(u, attr);
        uint16_t x;

        if (s && parse_hex16(s, &x) >= 0 && (x || !zero_is_none)) {
                *has = true;
                *v = x;
        }
}

/* Ids: own (PCI, USB, input), else those of the nearest USB device or PCI
 * function above, so that Vendor= also matches a USB serial port or a PCI
 * NIC's netdev. */
static int fill_ids(dp_hw *hw, dp_device *d, struct udev_device *u)
{
        struct udev_device *usb, *pci;

        if (streq(d->subsystem, "pci")) {
                set_hex_attr(u, "vendor", &d->has_vendor, &d->vendor, false);
                set_hex_attr(u, "device", &d->has_product, &d->product, false);
                return 0;
        }
        if (d->klass == DP_CLASS_INPUT) {
                set_hex_attr(u, "id/vendor", &d->has_vendor, &d->vendor, true);
                set_hex_attr(u, "id/product", &d->has_product, &d->product,
                             true);
        }
        usb = d->klass == DP_CLASS_USB
                      ? u
                      : ancestor_of(hw, u, "usb", "usb_device");
        if (usb) {
                /* an input device's own ids win over its USB device's */
                if (!d->has_vendor && !d->has_product) {
                        set_hex_attr(usb, "idVendor", &d->has_vendor,
                                     &d->vendor, false);
                        set_hex_attr(usb, "idProduct", &d->has_product,
                                     &d->product, false);
                }
                return set_str(&d->serial,
                               udev_device_get_sysattr_value(usb, "serial"));
        }
        pci = ancestor_of(hw, u, "pci", NULL);
        if (pci && !d->has_vendor && !d->has_product) {
                set_hex_attr(pci, "vendor", &d->has_vendor, &d->vendor, false);
                set_hex_attr(pci, "device", &d->has_product, &d->product,
                             false);
        }
        return 0;
}

static int fill_common(dp_hw *hw, dp_device *d, struct udev_device *u)
{
        struct udev_list_entry *e;
        struct udev_device *pci;
        int r;

        if (set_str(&d->syspath, udev_device_get_syspath(u)) < 0 ||
            set_str(&d->subsystem, udev_device_get_subsystem(u)) < 0 ||
            set_str(&d->devtype, udev_device_get_devtype(u)) < 0 ||
            set_str(&d->name, udev_device_get_sysname(u)) < 0 ||
            set_str(&d->driver, udev_device_get_driver(u)) < 0)
                return -ENOMEM;
        if (!d->syspath || !d->subsystem)
                return -ENODEV;
        d->drivers = calloc(1, sizeof(char *));
        if (!d->drivers)
                return -ENOMEM;
        for (struct udev_device *p = u; p;
             p = p == u ? parent_of(hw, u) : udev_device_get_parent(p)) {
                const char *drv = udev_device_get_driver(p);

                if (drv && !strv_contains(d->drivers, drv) &&
                    strv_extend(&d->drivers, drv) < 0)
                        return -ENOMEM;
        }
        pci = streq(d->subsystem, "pci") ? u : ancestor_of(hw, u, "pci", NULL);
        if (pci && set_str(&d->pci, udev_device_get_sysname(pci)) < 0)
                return -ENOMEM;

        d->properties = calloc(1, sizeof(char *));
        d->tags = calloc(1, sizeof(char *));
        if (!d->properties || !d->tags)
                return -ENOMEM;
        udev_list_entry_foreach(e, udev_device_get_properties_list_entry(u))
        {
                r = strv_env_set(&d->properties, udev_list_entry_get_name(e),
                                 strempty(udev_list_entry_get_value(e)));
                if (r < 0)
                        return r;
        }
        udev_list_entry_foreach(e, udev_device_get_tags_list_entry(u))
        {
                if (strv_extend(&d->tags, udev_list_entry_get_name(e)) < 0)
                        return -ENOMEM;
        }
        return fill_ids(hw, d, u);
}

static int add_udev_node(dp_device *d, struct udev_device *u)
{
        const char *node = udev_device_get_devnode(u);
        const char *ss = udev_device_get_subsystem(u);
        dev_t n = udev_device_get_devnum(u);

        if (!node || major(n) == 0)
                return 0;
        return dp_device_add_node(d, node, ss && streq(ss, "block") ? 'b' : 'c',
                                  major(n), minor(n));
}

/* usbfs node: udev and the kernel name it bus/usb/BBB/DDD; without a
 * DEVNAME (old kernels) the numbers follow from busnum/devnum. */
static int add_usb_node(dp_device *d, struct udev_device *u)
{
        const char *b = udev_device_get_sysattr_value(u, "busnum");
        const char *n = udev_device_get_sysattr_value(u, "devnum");
        unsigned bus, dev;
        char path[64];

        if (udev_device_get_devnode(u))
                return add_udev_node(d, u);
        if (!b || !n || safe_atou(b, &bus) < 0 || safe_atou(n, &dev) < 0 ||
            bus == 0 || dev == 0)
                return 0;
        snprintf(path, sizeof(path), "/dev/bus/usb/%03u/%03u", bus, dev);
        return dp_device_add_node(d, path, 'c', USB_DEVICE_MAJOR,
                                  (bus - 1) * 128 + (dev - 1));
}

/* The class table says which children join a bundle. */
static bool bundle_member(dp_class klass, struct udev_device *c)
{
        const char *bundle = dp_class_desc_of(klass)->bundle;
        const char *ss = udev_device_get_subsystem(c);
        const char *sn = udev_device_get_sysname(c);

        if (!bundle || !ss || !udev_device_get_devnode(c))
                return false;
        if (streq(bundle, "usb"))
                return dp_hw_usb_bundle_member(ss, sn);
        return streq(ss, bundle);
}

/* Whether c belongs to the USB device at syspath itself and not to another
 * USB device plugged in below it: a hub's bundle must not carry the nodes
 * of the devices on its ports, which are logical devices of their own (a
 * rule granting a hub would otherwise hand out everything behind it). */
static bool usb_owned_by(struct udev_device *c, const char *syspath)
{
        struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(
                c, "usb", "usb_device");
        const char *sp = usb ? udev_device_get_syspath(usb) : NULL;

        return sp && streq(sp, syspath);
}

/* Nodes of descendants that belong to the bundle. */
static int add_bundle(dp_hw *hw, dp_device *d, struct udev_device *u)
{
        _cleanup_udev_enumerate_ struct udev_enumerate *e = NULL;
        struct udev_list_entry *le;
        int r;

        if (!dp_class_desc_of(d->klass)->bundle)
                return 0;
        if (d->klass == DP_CLASS_GPU && streq(d->subsystem, "drm")) {
                _cleanup_free_ char *dir = strdup(d->syspath);
                struct dirent *de;
                DIR *dd;

                /* render node next to a parentless card */
                if (!dir || !(dd = opendir(dirname(dir))))
                        return dir ? 0 : -ENOMEM;
                r = 0;
                while (r >= 0 && (de = readdir(dd))) {
                        _cleanup_udev_device_ struct udev_device *s = NULL;
                        _cleanup_free_ char *p = NULL;

                        if (!numbered(de->d_name, "renderD"))
                                continue;
                        p = strjoin_sep("/", dir, de->d_name, NULL);
                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        s = udev_device_new_from_syspath(hw->udev, p);
                        if (s)
                                r = add_udev_node(d, s);
                }
                closedir(dd);
                return r;
        }

        e = udev_enumerate_new(hw->udev);
        if (!e)
                return -ENOMEM;
        r = udev_enumerate_add_match_parent(e, u);
        if (r >= 0)
                r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return r;
        udev_list_entry_foreach(le, udev_enumerate_get_list_entry(e))
        {
                _cleanup_udev_device_ struct udev_device *c =
                        udev_device_new_from_syspath(
                                hw->udev, udev_list_entry_get_name(le));

                if (!c || streq(udev_device_get_syspath(c), d->syspath) ||
                    !bundle_member(d->klass, c))
                        continue;
                if (d->klass == DP_CLASS_USB && !usb_owned_by(c, d->syspath))
                        continue;
                r = add_udev_node(d, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_cap(const char *syspath, const char *name, char **ret)
{
        _cleanup_free_ char *p = strjoin_sep("", "capabilities/", name, NULL);

        if (!p)
                return -ENOMEM;
        if (dp_hw_read_attr(syspath, p, ret) < 0)
                *ret = NULL;
        return 0;
}

static int input_from_sysfs(dp_device *d)
{
        _cleanup_free_ char *ev = NULL, *key = NULL, *abs_ = NULL, *rel = NULL,
                            *sw = NULL, *props = NULL;

        if (read_cap(d->syspath, "ev", &ev) < 0 ||
            read_cap(d->syspath, "key", &key) < 0 ||
            read_cap(d->syspath, "abs", &abs_) < 0 ||
            read_cap(d->syspath, "rel", &rel) < 0 ||
            read_cap(d->syspath, "sw", &sw) < 0)
                return -ENOMEM;
        if (dp_hw_read_attr(d->syspath, "properties", &props) < 0)
                props = NULL;
        if (!ev)
                return -ENODATA;
        d->input = dp_hw_input_classify_sysfs(ev, key, abs_, rel, sw, props);
        return 0;
}

static int fill_net(dp_device *d, struct udev_device *u)
{
        const char *v = udev_device_get_sysattr_value(u, "ifindex");
        const char *len = udev_device_get_sysattr_value(u, "addr_len");
        const char *assign;
        int r;

        if (v)
                (void)safe_atoi(v, &d->ifindex);
        v = udev_device_get_sysattr_value(u, "address");
        if (!isempty(v) && !(len && streq(len, "0")) && set_str(&d->mac, v) < 0)
                return -ENOMEM;
        r = dp_hw_net_perm_mac(d->name, d->ifindex, &d->perm_mac);
        if (r == -ENOMEM)
                return r;
        /* addr_assign_type 0: the address is the permanent one */
        assign = udev_device_get_sysattr_value(u, "addr_assign_type");
        if (r < 0 && d->mac && assign && streq(assign, "0"))
                return set_str(&d->perm_mac, d->mac);
        return 0;
}

static int parent_logical(dp_hw *hw, dp_device *d, struct udev_device *u)
{
        for (struct udev_device *p = parent_of(hw, u); p;
             p = udev_device_get_parent(p)) {
                dp_class c;

                if (logical_class(hw, p, &c))
                        return set_str(&d->parent_syspath,
                                       udev_device_get_syspath(p));
        }
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- per-class library enrichment: adds facts, never fails the device
 * (a NIC's facts are its identity, so they may) ---- */

static int enrich_gpu(dp_hw *hw, dp_device *d, struct udev_device *u)
{
        (void)u;
        (void)dp_hw_drm_enrich(hw, d);
        if (d->driver && streq(d->driver, "nvidia"))
                (void)dp_hw_nvidia_gpu_nodes(d);
        if (d->driver && streq(d->driver, "amdgpu"))
                (void)dp_hw_amd_kfd_node(d);
        return 0;
}

static int enrich_usb(dp_hw *hw, dp_device *d, struct udev_device *u)
{
        (void)u;
        (void)dp_hw_usb_enrich(hw, d);
        return 0;
}

static int enrich_input(dp_hw *hw, dp_device *d, struct udev_device *u)
{
        (void)u;
        if (dp_hw_input_enrich(hw, d) < 0 || d->input == 0)
                (void)input_from_sysfs(d);
        return 0;
}

static int enrich_net(dp_hw *hw, dp_device *d, struct udev_device *u)
{
        (void)hw;
        return fill_net(d, u);
}

static int (*const enrichers[_DP_CLASS_MAX])(dp_hw *, dp_device *,
                                             struct udev_device *) = {
        [DP_CLASS_GPU] = enrich_gpu,
        [DP_CLASS_USB] = enrich_usb,
        [DP_CLASS_INPUT] = enrich_input,
        [DP_CLASS_NET] = enrich_net,
};

static int build_device(dp_hw *hw, struct udev_device *u, dp_class klass,
                        dp_device **ret)
{
        _cleanup_device_free_ dp_device *d = dp_device_new();
        int r;

        if (!d)
                return -ENOMEM;
        d->klass = klass;
        r = fill_common(hw, d, u);
        if (r < 0)
                return r;
        r = klass == DP_CLASS_USB ? add_usb_node(d, u) : add_udev_node(d, u);
        if (r >= 0)
                r = add_bundle(hw, d, u);
        if (r >= 0)
                r = parent_logical(hw, d, u);
        if (r < 0)
                return r;

        if ((unsigned)klass < _DP_CLASS_MAX && enrichers[klass])
                r = enrichers[klass](hw, d, u);
        if (r >= 0)
                r = dp_hw_load_attributes(
                        d, hw->attr_filter ? hw->attr_names : NULL,
                        hw->attr_filter);
        if (r >= 0)
                r = dp_hw_derive_properties(d);
        if (r < 0)
                return r;
        if (strv_length(d->properties) > 1)
                qsort(d->properties, strv_length(d->properties), sizeof(char *),
                      cmp_str);
        *ret = TAKE_PTR(d);
        return 0;
}

int dp_hw_enumerate(dp_hw *hw, dp_device_list *ret)
{
        _cleanup_udev_enumerate_ struct udev_enumerate *e = NULL;
        dp_device_list l = {};
        struct udev_list_entry *le;
        int r;

        e = udev_enumerate_new(hw->udev);
        if (!e)
                return -ENOMEM;
        r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return r;
        udev_list_entry_foreach(le, udev_enumerate_get_list_entry(e))
        {
                _cleanup_udev_device_ struct udev_device *u =
                        udev_device_new_from_syspath(
                                hw->udev, udev_list_entry_get_name(le));
                dp_device *d;
                dp_class c;

                /* devices vanish while we walk: skip them */
                if (!u || !logical_class(hw, u, &c))
                        continue;
                r = build_device(hw, u, c, &d);
                if (r == -ENOMEM)
                        goto fail;
                if (r < 0)
                        continue;
                /* packed at once, so that the next device's scratch
                 * allocations reuse this one's and the heap stays dense */
                d = dp_device_pack(d);
                r = dp_device_list_push(&l, d);
                if (r < 0) {
                        dp_device_free(d);
                        goto fail;
                }
        }
        *ret = l;
        return 0;
fail:
        dp_device_list_clear(&l);
        return r;
}

int dp_hw_device_from_udev(dp_hw *hw, struct udev_device *u, dp_device **ret)
{
        _cleanup_udev_device_ struct udev_device *o = NULL;
        dp_class c;
        int r;

        r = dp_hw_owner_device(hw, u, &o);
        if (r < 0)
                return r;
        if (!logical_class(hw, o, &c))
                return -ENOENT;
        return build_device(hw, o, c, ret);
}

int dp_hw_device_from_syspath(dp_hw *hw, const char *syspath, dp_device **ret)
{
        _cleanup_udev_device_ struct udev_device *u = NULL, *o = NULL;
        dp_class c;
        int r;

        if (isempty(syspath))
                return -EINVAL;
        u = udev_device_new_from_syspath(hw->udev, syspath);
        if (!u)
                return errno == ENOMEM ? -ENOMEM : -ENOENT;
        r = dp_hw_owner_device(hw, u, &o);
        if (r < 0)
                return r;
        if (!logical_class(hw, o, &c))
                return -ENOENT;
        return build_device(hw, o, c, ret);
}
