/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared pieces of the cgroup device tests: scratch cgroups, a runc-like
 * deny-by-default device program, and probes that open a node from a child
 * process placed in a cgroup. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* cgroup2 mount point (hybrid: /sys/fs/cgroup/unified), or NULL. */
const char *dpt_cg2_root(void);
/* v1 devices hierarchy, or NULL when there is none. */
const char *dpt_cg1_devices_root(void);

/* mkdir ROOT/NAME; *ret is malloc'd. */
int dpt_cg_make(const char *root, const char *name, char **ret);
/* Detaches every device program attached at cg, then rmdir (retried while
 * the last exiting child leaves). Missing cg is success. */
int dpt_cg_remove(const char *cg);

/* Opens path from a forked child that first joins the given cgroups (either
 * may be NULL). 0 when open succeeded, else -errno of open; -EIO (child
 * setup failed) is reported as such. */
int dpt_probe(const char *cg1, const char *cg2, const char *path, int flags);

/* A runc-like program "dpt_runtime": deny by default, allows c/b *:* m,
 * c 1:{3,5,7,8,9} rwm, c 5:* rwm, c 136:* rwm. Returns a prog fd. */
int dpt_runtime_prog_load(void);
/* The same, loaded with that expected_attach_type (runc: BPF_CGROUP_DEVICE,
 * raw loaders often 0). */
int dpt_runtime_prog_load_as(uint32_t expected_attach_type);
int dpt_attach(int prog_fd, const char *cg, uint32_t flags);

/* Ids attached at cg (not inherited); *n is capacity in, count out. */
int dpt_query(const char *cg, uint32_t *ids, uint32_t *n);
int dpt_prog_name(uint32_t id, char name[16]);
/* The map ids a program uses. */
int dpt_prog_maps(uint32_t id, uint32_t *ids, uint32_t *n);

/* mknod DIR/NAME c MAJOR:MINOR; *ret is the malloc'd path. */
int dpt_mknod(const char *dir, const char *name, unsigned major, unsigned minor,
              char **ret);
/* mkdtemp(dir), then DIR/card (c 226:0, no driver: opens with ENXIO when
 * allowed) and DIR/usb (c 189:1); the paths are malloc'd. */
int dpt_scratch_nodes(char *dir, char **ret_card, char **ret_usb);
/* rm -r that stays on one file system; missing path is success. */
int dpt_rm_rf(const char *path);
/* Microseconds since an arbitrary point. */
uint64_t dpt_now_us(void);
