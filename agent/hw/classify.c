/* SPDX-License-Identifier: MIT */
/* Pure rules: which kernel devices are logical devices, which are folded
 * into another one, and how CLI references are spelled. No I/O here, so
 * that the rules can be tested from fixture values alone. */
#include <ctype.h>
#include <string.h>

#include "hw-internal.h"

#define ARPHRD_LOOPBACK_ 772

static bool is_numbered(const char *s, const char *prefix)
{
        size_t n = strlen(prefix);

        if (!s || !strneq(s, prefix, n) || !s[n])
                return false;
        for (s += n; *s; s++)
                if (!isdigit((unsigned char)*s))
                        return false;
        return true;
}

bool dp_hw_pci_class_is_display(const char *pci_class)
{
        unsigned v;

        if (!pci_class)
                return false;
        if (safe_atou_base(startswith(pci_class, "0x") ? pci_class + 2
                                                       : pci_class,
                           16, &v) < 0)
                return false;
        /* class attribute: base class, subclass, prog-if; base 0x03 is
         * "display controller" (VGA, XGA, 3D, other). */
        return (v >> 16) == 0x03;
}

static bool is_input_node_name(const char *sysname)
{
        return is_numbered(sysname, "event") || is_numbered(sysname, "js") ||
               is_numbered(sysname, "mouse");
}

bool dp_hw_usb_bundle_member(const char *subsystem, const char *sysname)
{
        if (!subsystem || !sysname)
                return false;
        if (streq(subsystem, "tty") || streq(subsystem, "hidraw") ||
            streq(subsystem, "video4linux"))
                return true;
        if (streq(subsystem, "input"))
                return is_input_node_name(sysname);
        if (streq(subsystem, "sound"))
                return startswith(sysname, "controlC") ||
                       startswith(sysname, "pcm");
        return false;
}

static bool is_gpu_parent(const char *subsystem)
{
        return subsystem &&
               (streq(subsystem, "pci") || streq(subsystem, "platform"));
}

/* ---- one classifier per class: given a device of one of the class's
 * subsystems (dp_class_desc.subsystems), is it a device of the class, a
 * part of one, or nothing passable? ---- */

static dp_hw_role classify_gpu(const dp_hw_facts *f)
{
        const char *ss = f->subsystem;

        if (!streq(ss, "drm"))
                return (streq(ss, "pci") &&
                        dp_hw_pci_class_is_display(f->pci_class)) ||
                                       f->has_drm_card
                               ? DP_HW_ROLE_DEVICE
                               : DP_HW_ROLE_NONE;
        if (!f->has_devnode)
                return DP_HW_ROLE_NONE; /* connectors, ttm, … */
        if (is_gpu_parent(f->parent_subsystem))
                return DP_HW_ROLE_PART;
        /* vgem and friends: the card is the GPU and its render node joins
         * it. */
        if (!startswith(f->sysname, "card"))
                return DP_HW_ROLE_CARD_SIBLING;
        return DP_HW_ROLE_DEVICE;
}

static dp_hw_role classify_usb(const dp_hw_facts *f)
{
        if (f->devtype && streq(f->devtype, "usb_device"))
                return DP_HW_ROLE_DEVICE;
        if (f->parent_devtype && streq(f->parent_devtype, "usb_device"))
                return DP_HW_ROLE_PART; /* interfaces */
        return DP_HW_ROLE_NONE;
}

/* input and sound: a numbered parent without a node (input7, card0) whose
 * node children are its parts; a node without such a parent (/dev/input/
 * mice, the sound timer) stands alone. */
static dp_hw_role classify_parent_of_nodes(const dp_hw_facts *f,
                                           const char *parent_prefix,
                                           bool parent_numbered)
{
        if (!f->has_devnode)
                return is_numbered(f->sysname, parent_prefix)
                               ? DP_HW_ROLE_DEVICE
                               : DP_HW_ROLE_NONE;
        if (f->parent_subsystem && streq(f->parent_subsystem, f->subsystem) &&
            parent_numbered)
                return DP_HW_ROLE_PART;
        return DP_HW_ROLE_DEVICE;
}

static dp_hw_role classify_input(const dp_hw_facts *f)
{
        return classify_parent_of_nodes(f, "input", !f->parent_has_devnode);
}

static dp_hw_role classify_sound(const dp_hw_facts *f)
{
        return classify_parent_of_nodes(f, "card",
                                        is_numbered(f->parent_sysname, "card"));
}

static dp_hw_role classify_net(const dp_hw_facts *f)
{
        /* loopback is bound to its namespace: it never moves */
        return f->net_type != ARPHRD_LOOPBACK_ ? DP_HW_ROLE_DEVICE
                                               : DP_HW_ROLE_NONE;
}

static dp_hw_role classify_tty(const dp_hw_facts *f)
{
        /* tty0…63, console, ptmx, tty: virtual, not hardware */
        return f->has_devnode && f->syspath &&
                               !startswith(f->syspath, "/sys/devices/virtual/")
                       ? DP_HW_ROLE_DEVICE
                       : DP_HW_ROLE_NONE;
}

/* block, video, hidraw, char: a device with a node */
static dp_hw_role classify_node(const dp_hw_facts *f)
{
        return f->has_devnode ? DP_HW_ROLE_DEVICE : DP_HW_ROLE_NONE;
}

static dp_hw_role (*const classifiers[_DP_CLASS_MAX])(const dp_hw_facts *) = {
        [DP_CLASS_GPU] = classify_gpu,     [DP_CLASS_USB] = classify_usb,
        [DP_CLASS_INPUT] = classify_input, [DP_CLASS_NET] = classify_net,
        [DP_CLASS_BLOCK] = classify_node,  [DP_CLASS_TTY] = classify_tty,
        [DP_CLASS_SOUND] = classify_sound, [DP_CLASS_VIDEO] = classify_node,
        [DP_CLASS_HIDRAW] = classify_node, [DP_CLASS_CHAR] = classify_node,
};

dp_hw_role dp_hw_classify(const dp_hw_facts *f, dp_class *ret_class)
{
        dp_class c;
        dp_hw_role role;

        if (!f->subsystem)
                return DP_HW_ROLE_NONE;
        c = dp_class_of_subsystem(f->subsystem);
        role = classifiers[c] ? classifiers[c](f) : DP_HW_ROLE_NONE;
        if (role == DP_HW_ROLE_DEVICE)
                *ret_class = c;
        return role;
}

int dp_hw_pci_slot_normalize(const char *s, char **ret)
{
        unsigned dom = 0, bus, dev, fn;
        int n = 0;
        char *out;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++)
                if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                        return -EINVAL;
        if (sscanf(s, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &n) == 4 &&
            (size_t)n == strlen(s))
                ;
        else if (dom = 0, n = 0,
                 sscanf(s, "%x:%x.%x%n", &bus, &dev, &fn, &n) == 3 &&
                         (size_t)n == strlen(s))
                ;
        else
                return -EINVAL;
        if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
                return -EINVAL;
        if (asprintf(&out, "%04x:%02x:%02x.%x", dom, bus, dev, fn) < 0)
                return -ENOMEM;
        *ret = out;
        return 0;
}

void dp_hw_ref_done(dp_hw_ref *r)
{
        free(r->value);
        r->value = NULL;
}

static int parse_usb_ref(const char *s, dp_hw_ref *r)
{
        _cleanup_free_ char *vid = NULL, *pid = NULL;
        const char *c1 = strchr(s, ':'), *c2;

        if (!c1)
                return -EINVAL;
        c2 = strchr(c1 + 1, ':');
        vid = strndup(s, (size_t)(c1 - s));
        pid = c2 ? strndup(c1 + 1, (size_t)(c2 - c1 - 1)) : strdup(c1 + 1);
        if (!vid || !pid)
                return -ENOMEM;
        if (parse_hex16(vid, &r->vendor) < 0 ||
            parse_hex16(pid, &r->product) < 0)
                return -EINVAL;
        if (c2) {
                if (isempty(c2 + 1))
                        return -EINVAL;
                r->value = strdup(c2 + 1);
                if (!r->value)
                        return -ENOMEM;
        }
        return 0;
}

static bool valid_ifname(const char *s)
{
        size_t n = strlen(s);

        /* IFNAMSIZ is 16 with the NUL; "." and ".." and '/' cannot be
         * interface names */
        if (n == 0 || n >= 16 || streq(s, ".") || streq(s, ".."))
                return false;
        for (; *s; s++)
                if (*s == '/' || isspace((unsigned char)*s))
                        return false;
        return true;
}

int dp_hw_ref_parse(const char *ref, dp_hw_ref *ret)
{
        dp_hw_ref r = {};
        int k;

        if (isempty(ref))
                return -EINVAL;
        if (startswith(ref, "/dev/") || startswith(ref, "/sys/")) {
                r.kind = ref[1] == 'd' ? DP_HW_REF_NODE : DP_HW_REF_SYSFS;
                r.value = strdup(ref);
                if (!r.value)
                        return -ENOMEM;
        } else if (startswith(ref, "usb:")) {
                r.kind = DP_HW_REF_USB;
                k = parse_usb_ref(ref + 4, &r);
                if (k < 0) {
                        dp_hw_ref_done(&r);
                        return k;
                }
        } else if (startswith(ref, "pci:")) {
                r.kind = DP_HW_REF_PCI;
                k = dp_hw_pci_slot_normalize(ref + 4, &r.value);
                if (k < 0)
                        return k;
        } else if (startswith(ref, "net:")) {
                r.kind = DP_HW_REF_NET;
                if (!valid_ifname(ref + 4))
                        return -EINVAL;
                r.value = strdup(ref + 4);
                if (!r.value)
                        return -ENOMEM;
        } else if (ref[0] != '/' && valid_ifname(ref)) {
                r.kind = DP_HW_REF_NET;
                r.bare = true;
                r.value = strdup(ref);
                if (!r.value)
                        return -ENOMEM;
        } else
                return -EINVAL;
        *ret = r;
        return 0;
}
