/* SPDX-License-Identifier: MIT */
#pragma once

/* Device discovery (agent/hw): facts only, no decisions and no logging.
 * libudev enumeration, classified into dp_device and enriched by libdrm
 * (GPUs), the NVIDIA driver's files, libusb-1.0 (USB descriptors), libevdev
 * (input capabilities) and libnl-route-3 (NICs). Works with and without
 * systemd-udevd: without it, what udev would add is read from sysfs. */

#include <stdbool.h>
#include <sys/types.h>

#include "devpass/device.h"

struct udev;
struct udev_device;
struct stat;

typedef struct dp_hw dp_hw;

int dp_hw_new(dp_hw **ret);
void dp_hw_free(dp_hw *hw);
DEFINE_TRIVIAL_CLEANUP_FUNC(dp_hw *, dp_hw_free)
#define _cleanup_hw_free_ _cleanup_(dp_hw_freep)
struct udev *dp_hw_udev(dp_hw *hw);
/* Limits the sysfs attributes read per device to names (NULL: all, the
 * default). The agent passes the names its policy's Attribute= keys use.
 * Returns 1 when the set changed (devices read before lack or carry the
 * wrong attributes), 0 when it is the same. */
int dp_hw_set_attributes(dp_hw *hw, char *const *names);

/* All passable host devices, classified, each with its whole node bundle
 * (a GPU's card, render and NVIDIA nodes; a USB device's usbfs node and
 * its children's nodes). DRM card/render devices are folded into their GPU;
 * they are not listed on their own. */
int dp_hw_enumerate(dp_hw *hw, dp_device_list *ret);

/* One logical device from its syspath (after following the rules above:
 * the syspath of /dev/dri/card0's drm device gives the GPU). */
int dp_hw_device_from_syspath(dp_hw *hw, const char *syspath, dp_device **ret);

/* The same, from a device a uevent monitor delivered (saves reading it
 * again from sysfs). */
int dp_hw_device_from_udev(dp_hw *hw, struct udev_device *u, dp_device **ret);

/* The syspath of the logical device a kernel/udev device belongs to: the
 * GPU for a drm card/render device, itself otherwise. For events. */
int dp_hw_owner_syspath(dp_hw *hw, struct udev_device *u, char **ret);

/* CLI references: a node path (/dev/…), a sysfs path, net:IFNAME or a bare
 * interface name, usb:VID:PID[:SERIAL], pci:DOMAIN:BUS:SLOT.FN.
 * -ENOENT if nothing matches, -ENOTUNIQ if several do. */
int dp_hw_resolve(dp_hw *hw, const char *ref, dp_device **ret);
/* Of the devices in l that carry the node at path (by its path, or by the
 * type and numbers in st when st is given), the innermost one: event3 is in
 * input3's bundle and in its USB device's, input3 owns it. -ENOENT if none,
 * -ENOTUNIQ if two unrelated devices do. */
int dp_hw_node_owner(const dp_device_list *l, const char *path,
                     const struct stat *st, const dp_device **ret);

/* The major of the char driver called name in /proc/devices ("hidraw",
 * "nvidia-uvm", …); -ENOENT when it is not registered. */
int dp_hw_char_major(const char *name, unsigned *ret);
/* The sysfs identity of a device node (a USB device's ttyUSB0 is a kernel
 * device of its own): its devpath without /sys and its subsystem. */
int dp_hw_node_sysfs(char type, unsigned major, unsigned minor,
                     char **ret_devpath, char **ret_subsystem);
/* Whether ifname carries a default route (IPv4 or IPv6) in our netns. */
bool dp_hw_default_route_nic(const char *ifname);

/* True when systemd-udevd is running (its database is usable). */
bool dp_hw_udevd_running(void);
/* 0 if a root-owned udevd process exists (*hint: the pid last found,
 * checked first; updated), -ESRCH if none. With socket activation the
 * control socket outlives udevd (systemd holds it), so a listener alone
 * does not prove that anyone turns kernel events into udev events. */
int dp_hw_udevd_pid(pid_t *hint);

/* NVIDIA control nodes with majors from /proc/devices: nvidiactl,
 * nvidia-uvm, nvidia-uvm-tools, nvidia-modeset, nvidia-caps/… that exist. */
int dp_hw_nvidia_control_nodes(dp_device *d);

/* JSON form of a device, the `devices --json` element (agent/core, json-c):
 * {"syspath", "subsystem", "devtype", "class", "name", "driver", "vendor",
 * "product" (4-digit lowercase hex or null), "serial", "pci", "mac",
 * "input": [words], "nodes": [{"path", "type": "c"|"b", "major", "minor"}],
 * "parent", "properties": {KEY: VALUE}}; absent values are null. */
struct json_object;
int dp_device_to_json(const dp_device *d, struct json_object **ret);
