/* SPDX-License-Identifier: MIT */
#pragma once

/* CDI specs of the devices the policy exports (cdi.c). */

#include <stdbool.h>

#include "devpass/device.h"
#include "devpass/policy.h"

struct json_object;

/* "devpass.io/<class>", e.g. "devpass.io/gpu". */
const char *dp_cdi_kind(dp_class c);
/* The CDI device name, from the device's stable identity: PCI slot (GPUs),
 * vendor-product-serial, ID_SERIAL/ID_WWN, ID_PATH, a loop device's backing
 * file (DEVPASS_LOOP_BACKING_FILE), else the kernel name; sanitised to CDI's
 * name grammar. */
int dp_cdi_name(const dp_device *d, char **ret);
/* "KIND=NAME", as engines take it (`podman run --device KIND=NAME`). */
int dp_cdi_id(const dp_device *d, char **ret);
/* One CDI device: the whole bundle as deviceNodes (only the device's own
 * node with Companions=no), with the rule's Mode=, Owner=, Group=, Access=
 * and Path= (g may be NULL), and env NVIDIA_GPU_UUID=… where known.
 * -ENODEV: no nodes. */
int dp_cdi_device_json(const dp_device *d, const dp_grant_settings *g,
                       struct json_object **ret);
/* A spec of kind devpass.io/<c> holding devices (a json array, referenced),
 * with the lowest cdiVersion that covers it. */
int dp_cdi_spec_json(dp_class c, struct json_object *devices,
                     struct json_object **ret);
/* DIR/devpass.io-<class>.json */
int dp_cdi_spec_path(const char *dir, dp_class c, char **ret);
/* Replaces the spec file atomically (temp file + rename) when its content
 * changes; spec NULL removes it. -EPERM when dir is not the caller's or is
 * writable by group or others (engines would trust what another user put
 * there); dir is created 0755 when missing. */
int dp_cdi_write(const char *dir, dp_class c, struct json_object *spec,
                 bool *ret_changed);
/* The same for the spec file dir/name (name: no '/'). */
int dp_cdi_write_file(const char *dir, const char *name,
                      struct json_object *spec, bool *ret_changed);
