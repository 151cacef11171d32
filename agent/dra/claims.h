/* SPDX-License-Identifier: MIT */
#pragma once

/* DRA claims (claims.c): what the scheduler allocated to a ResourceClaim,
 * read from the API server, matched against the devices devpassd exports
 * in its CDI specs, and written as a per-claim CDI spec. */

#include <stddef.h>

typedef struct dra_config {
        const char *driver;     /* DRA driver name, e.g. "devpass.io" */
        const char *cdi_dir;    /* devpassd's CDI dir */
        const char *api;        /* API server base URL */
        const char *token_file; /* bearer token; NULL or unreadable: none */
        const char *ca_file;    /* CA bundle for https; NULL: system's */
        const char *node;       /* this node's name (pool, nodeName) */
} dra_config;

struct json_object;

/* The length of a JSON array; 0 for anything else (NULL included), which
 * json-c's own function asserts on. */
size_t dra_json_len(struct json_object *o);

typedef struct dra_device {
        char *request; /* the claim's request it answers */
        char *pool;
        char *device;
        char *cdi_id; /* devpass.io/claim=UID-DEVICE */
} dra_device;

void dra_devices_free(dra_device *d, size_t n);

/* What devpassd exports now, from its class specs: an array of {"dra"
 * (the DRA device name), "class", "kind", "name" (CDI), "device" (the
 * CDI device)}; never NULL but on allocation failure. */
struct json_object *dra_exported(const dra_config *c);

/* A device's name in a ResourceSlice: a DNS label (RFC 1123, at most 63)
 * made from its CDI kind's class and name, e.g. "block-file-srv-a-img". */
char *dra_device_name(const char *cdi_class, const char *cdi_name);

/* Prepares claim NS/NAME (uid must match the API server's): its devices
 * of this driver, each as a CDI device of a per-claim spec. Idempotent.
 * On failure *ret_error says why, for the kubelet. */
int dra_prepare(const dra_config *c, const char *ns, const char *uid,
                const char *name, dra_device **ret, size_t *ret_n,
                char **ret_error);
/* Removes the claim's spec; a claim never prepared is not an error. */
int dra_unprepare(const dra_config *c, const char *uid, char **ret_error);
