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
