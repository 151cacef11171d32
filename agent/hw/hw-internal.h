/* SPDX-License-Identifier: MIT */
#pragma once

/* Interfaces between the discovery modules of agent/hw. The enumeration
 * core (hw.c and friends) builds a dp_device from libudev and then asks the
 * library-specific modules to add what only their library knows. Each
 * enrich function is a no-op returning 0 for a device it has nothing to say
 * about, and never fails the whole device: a library error is returned so
 * the caller may ignore it. */

#include <libudev.h>

#include "devpass/hw.h"

/* libusb-1.0 (usb.c): for a usb_device, reads the descriptors through
 * libusb (matching busnum/devnum) and fills vendor, product, serial and the
 * properties ID_USB_CLASS / ID_USB_INTERFACES (":ccsspp:…:" like udev). */
int dp_hw_usb_enrich(dp_hw *hw, dp_device *d);

/* libdrm (drm.c): for a GPU (PCI display device), finds its DRM card and
 * render nodes with drmGetDevices2 and adds them to the bundle, and fills
 * the driver from the DRM device when sysfs has none. */
int dp_hw_drm_enrich(dp_hw *hw, dp_device *d);

/* libevdev (input.c): for an inputN device, opens its event node with
 * libevdev and sets d->input (DP_INPUT_* bits) from its capabilities. */
int dp_hw_input_enrich(dp_hw *hw, dp_device *d);
/* Classification from capability bits alone, shared with the sysfs path
 * (capabilities/ev, key, abs, rel, sw in sysfs hex-bitmap format). */
unsigned dp_hw_input_classify_sysfs(const char *ev, const char *key,
                                    const char *abs, const char *rel,
                                    const char *sw, const char *props);

/* ---- Enumeration core (hw.c, classify.c, proc.c, sysfs.c, resolve.c) ---- */

/* What the classification needs to know about one kernel device and its
 * parent, gathered from libudev so that the rules stay a pure function. */
typedef struct dp_hw_facts {
        const char *subsystem;
        const char *devtype;
        const char *sysname;
        const char *syspath;
        const char *pci_class; /* PCI "class" attribute ("0x030000") or NULL */
        bool has_devnode;
        bool has_drm_card; /* has a drm card* child (a GPU's parent side) */
        unsigned net_type; /* ARPHRD_* of a net device, 0 if unknown */
        const char *parent_subsystem; /* NULL when there is no parent */
        const char *parent_devtype;
        const char *parent_sysname;
        bool parent_has_devnode;
} dp_hw_facts;

typedef enum dp_hw_role {
        DP_HW_ROLE_NONE,         /* not passable on its own, nothing to fold */
        DP_HW_ROLE_DEVICE,       /* a logical device of its own */
        DP_HW_ROLE_PART,         /* folded into its parent (card0 → GPU,
                                    event3 → input7, usb interface → usb device) */
        DP_HW_ROLE_CARD_SIBLING, /* a DRM render node without a PCI or
                                    platform parent: folded into the card
                                    of the same parent, if there is one */
} dp_hw_role;

/* Sets *ret_class for DP_HW_ROLE_DEVICE. */
dp_hw_role dp_hw_classify(const dp_hw_facts *f, dp_class *ret_class);
/* "0x030200" → true: a PCI display controller. */
bool dp_hw_pci_class_is_display(const char *pci_class);
/* True for subsystem/sysname pairs whose nodes join a USB device's bundle
 * (tty, hidraw, video4linux, input event/js/mouse, sound controlC/pcm). */
bool dp_hw_usb_bundle_member(const char *subsystem, const char *sysname);

/* Parsed CLI device reference. */
typedef enum dp_hw_ref_kind {
        DP_HW_REF_NODE,  /* /dev/… */
        DP_HW_REF_SYSFS, /* /sys/… */
        DP_HW_REF_NET,   /* net:IFNAME or a bare name */
        DP_HW_REF_USB,   /* usb:VID:PID[:SERIAL] */
        DP_HW_REF_PCI,   /* pci:[DOMAIN:]BUS:SLOT.FN */
} dp_hw_ref_kind;

typedef struct dp_hw_ref {
        dp_hw_ref_kind kind;
        char *value; /* path, interface name, serial (or NULL), PCI slot
                        normalised to "0000:00:06.0" */
        uint16_t vendor, product; /* DP_HW_REF_USB */
        bool bare;                /* DP_HW_REF_NET given without "net:" */
} dp_hw_ref;

int dp_hw_ref_parse(const char *ref, dp_hw_ref *ret);
void dp_hw_ref_done(dp_hw_ref *r);
/* "0:6.0", "00:06.0", "0000:00:06.0" → "0000:00:06.0" (lowercase). */
int dp_hw_pci_slot_normalize(const char *s, char **ret);

/* ---- Driver files under /proc (proc.c); dp_config proc_root overrides
 * the /proc prefix so that fixtures can fake the NVIDIA driver ---- */
const char *dp_hw_proc_root(void);
/* The major of NAME in /proc/devices text, in the section of TYPE ('c' or
 * 'b'). -ENOENT if absent. */
int dp_hw_proc_devices_major(const char *text, char type, const char *name,
                             unsigned *ret);
/* True when /proc/devices text lists char major MAJOR under a name that
 * starts with PREFIX. */
bool dp_hw_proc_devices_has(const char *text, char type, unsigned major,
                            const char *prefix);
/* "Device Minor:" of /proc/driver/nvidia/gpus/<slot>/information text. */
int dp_hw_nvidia_parse_minor(const char *information, unsigned *ret);
/* Adds /dev/nvidiaN (and the control nodes) to an NVIDIA GPU's bundle. */
int dp_hw_nvidia_gpu_nodes(dp_device *d);
/* Adds /dev/kfd to an amdgpu GPU's bundle when it exists. */
int dp_hw_amd_kfd_node(dp_device *d);

/* ---- sysfs reading (sysfs.c) ---- */
/* Reads a sysfs text attribute (relative NAME may contain '/'), newline
 * stripped. */
int dp_hw_read_attr(const char *syspath, const char *name, char **ret);
/* Preloads the readable text attributes into d->attributes. */
/* Reads d's text attributes: every one, or (filter) only those named. */
int dp_hw_load_attributes(dp_device *d, char *const *names, bool filter);
/* Fills derived properties (ID_VENDOR_ID, ID_INPUT_*, …) that udev would
 * add, without overriding any that are already there. */
int dp_hw_derive_properties(dp_device *d);
/* Permanent MAC of a NIC in this network namespace, or -ENODATA. */
int dp_hw_net_perm_mac(const char *ifname, int ifindex, char **ret);

/* ---- resolve.c ↔ hw.c ---- */
/* The owner (logical device) of a udev device, as a new reference; NULL
 * with -ENOENT when it belongs to no passable device. */
int dp_hw_owner_device(dp_hw *hw, struct udev_device *u,
                       struct udev_device **ret);
