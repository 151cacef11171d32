/* SPDX-License-Identifier: MIT */
#pragma once

/* The device model: facts about one host device, as discovery (agent/hw)
 * found them and as the policy matcher (policy/) and the grant engine
 * (agent/act, agent/core) consume them. No decisions live here. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devpass/util.h"

typedef enum dp_class {
        DP_CLASS_UNKNOWN = 0,
        DP_CLASS_GPU,    /* PCI display device (0x03xxxx) or DRM parent */
        DP_CLASS_USB,    /* subsystem usb, devtype usb_device */
        DP_CLASS_INPUT,  /* subsystem input, the inputN device */
        DP_CLASS_NET,    /* subsystem net */
        DP_CLASS_BLOCK,  /* subsystem block */
        DP_CLASS_TTY,    /* subsystem tty */
        DP_CLASS_SOUND,  /* subsystem sound */
        DP_CLASS_VIDEO,  /* subsystem video4linux */
        DP_CLASS_HIDRAW, /* subsystem hidraw */
        DP_CLASS_CHAR,   /* any other device with a char node */
        _DP_CLASS_MAX,
} dp_class;

/* What a device class is, in one place (common/class.c): the Class= word,
 * where classification finds it, what joins its bundle and how it is
 * granted. hw/classify.c holds each class's classifier (the rules that
 * tell a device of the class from its parts), hw/hw.c its enricher; bundle
 * building, the policy's messages and the grant engine read the row. */
typedef struct dp_class_desc {
        const char *name; /* the Class= word */
        /* kernel subsystems (space-separated) whose devices this class's
         * classifier judges; NULL: any other device with a node */
        const char *subsystems;
        /* subsystem of the child devices whose nodes join the bundle;
         * "usb": a USB device's interface children (tty, hidraw, …);
         * NULL: the device's own node only */
        const char *bundle;
        bool nic;   /* granted by moving the NIC, not by nodes */
        bool links; /* a GPU: /dev/dri/by-path links inside */
} dp_class_desc;

/* The row of c (DP_CLASS_UNKNOWN's for anything out of range). */
const dp_class_desc *dp_class_desc_of(dp_class c);
/* The class whose row lists subsystem, else DP_CLASS_CHAR's catch-all. */
dp_class dp_class_of_subsystem(const char *subsystem);
/* Every Class= word, space-separated ("gpu usb …"), into buf. */
void dp_class_words(char *buf, size_t size);
const char *dp_class_to_string(dp_class c);
dp_class dp_class_from_string(const char *s); /* DP_CLASS_UNKNOWN if none */

/* Input capability words, derived from libevdev capabilities. */
enum {
        DP_INPUT_KEYBOARD = 1u << 0,
        DP_INPUT_MOUSE = 1u << 1,
        DP_INPUT_JOYSTICK = 1u << 2,
        DP_INPUT_TOUCHPAD = 1u << 3,
        DP_INPUT_TOUCHSCREEN = 1u << 4,
        DP_INPUT_TABLET = 1u << 5,
        DP_INPUT_SWITCH = 1u << 6,
        DP_INPUT_KEY = 1u << 7, /* has keys but is not a full keyboard */
};
const char *dp_input_word(unsigned bit); /* "keyboard", … or NULL */
int dp_input_from_word(const char *word, unsigned *ret_bit);

typedef struct dp_node {
        char *path; /* host path, e.g. /dev/dri/card0 */
        char type;  /* 'c' or 'b' */
        unsigned major, minor;
} dp_node;

typedef struct dp_device {
        char *syspath;   /* /sys/devices/… (identity) */
        char *subsystem; /* "pci", "usb", "input", "net", "block", … */
        char *devtype;   /* udev DEVTYPE or NULL */
        dp_class klass;
        char *name;     /* kernel name (sysname): card0, 1-1, eth1, loop3 */
        char *driver;   /* driver bound to this device or NULL */
        char **drivers; /* this device's and every parent's driver, nearest
                           first */
        bool has_vendor, has_product;
        uint16_t vendor, product; /* PCI, USB or input ids */
        char *serial;             /* USB serial or NULL */
        char *pci;      /* PCI slot "0000:00:06.0" of this device or parent */
        char *mac;      /* NIC address "aa:bb:…" or NULL */
        char *perm_mac; /* permanent NIC address or NULL */
        int ifindex;    /* NIC ifindex, 0 if not a NIC */
        unsigned input; /* DP_INPUT_* bits */
        char **properties; /* udev (or sysfs-derived) KEY=VALUE */
        char **tags;       /* udev tags, without colons */
        char **attributes; /* sysfs attributes read so far, NAME=VALUE */
        dp_node *nodes;    /* the whole bundle, the device's own node first */
        size_t n_nodes;
        char *parent_syspath; /* nearest parent that is itself a dp_device (a
                                 USB device for its tty), or NULL */
        bool packed;          /* one allocation (dp_device_pack): read-only */
} dp_device;

dp_device *dp_device_new(void);
void dp_device_free(dp_device *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(dp_device *, dp_device_free)
#define _cleanup_device_free_ _cleanup_(dp_device_freep)
dp_device *dp_device_copy(const dp_device *d);
/* d as one allocation, for devices kept long and no longer changed; takes
 * d (returns it unchanged when memory is short). A packed device must not be
 * modified; dp_device_copy() gives one that may. */
dp_device *dp_device_pack(dp_device *d);
/* Appends a node unless one with the same path is there; copies path. */
int dp_device_add_node(dp_device *d, const char *path, char type,
                       unsigned major, unsigned minor);
const char *dp_device_property(const dp_device *d, const char *key);
/* Attribute value: from d->attributes when loaded, else NULL. */
const char *dp_device_attribute(const dp_device *d, const char *name);

/* A list of devices, owned. */
typedef struct dp_device_list {
        dp_device **items;
        size_t n;
} dp_device_list;

void dp_device_list_clear(dp_device_list *l);
int dp_device_list_push(dp_device_list *l, dp_device *d); /* takes ownership */
dp_device *dp_device_list_find(const dp_device_list *l, const char *syspath);

/* Access bits shared by policy and grant engine: r w m, as in cgroup v1. */
enum {
        DP_ACCESS_READ = 1u << 0,
        DP_ACCESS_WRITE = 1u << 1,
        DP_ACCESS_MKNOD = 1u << 2,
};
int dp_access_parse(const char *s, unsigned *ret); /* "rw" → bits */
const char *dp_access_to_string(unsigned access, char buf[static 4]);
