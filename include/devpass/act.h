/* SPDX-License-Identifier: MIT */
#pragma once

/* Privileged actions on a container: device nodes, cgroup device rules, NIC
 * moves. Mechanism only, no decisions and no logging: every function returns
 * 0 or a negative errno. The core calls them through dp_act_ops so that it
 * can be tested against a fake without root. */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "devpass/container.h"

#define DP_MINOR_ANY UINT32_MAX

/* ---- device nodes (agent/act/node.c) ---- */
typedef struct dp_node_spec {
        const char *path; /* absolute path inside the container */
        char type;        /* 'c' or 'b' */
        unsigned major, minor;
        unsigned mode;     /* permission bits, e.g. 0660 */
        uint32_t uid, gid; /* as seen inside the container */
} dp_node_spec;

/* Creates the node (and missing parent dirs, mode 0755, owned by the
 * container's root) inside the container. Privileged containers: mknodat
 * through openat2(RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS).
 * User-namespaced containers: node on a host tmpfs, bind-mounted in with
 * open_tree + move_mount. A node of the same type and rdev already there is
 * adopted (returns 0, *ret_created=false); a symlink, other file type or other
 * rdev gives -EEXIST; a symlink in the path gives -ELOOP. */
int dp_act_node_create(const dp_container *c, const dp_node_spec *spec,
                       bool *ret_created);
/* Removes the node if it is the node described (type and rdev); a missing
 * node is success; anything else at the path is left alone (-EEXIST). */
int dp_act_node_remove(const dp_container *c, const dp_node_spec *spec);
/* Gives the node devpass made at spec->path (type and rdev as in spec)
 * spec's owner and mode, in place: same inode, nothing removed, so that
 * descriptors open on it stay. -ENOENT if it is not there, -EEXIST if
 * something else is. */
int dp_act_node_set_attrs(const dp_container *c, const dp_node_spec *spec);
/* 1 if the node is present inside with that type and rdev, 0 if not. */
int dp_act_node_present(const dp_container *c, const dp_node_spec *spec);
/* After a user-namespaced container (init pid, starttime) is gone: removes
 * the host-side node that backed spec's bind mount, which nothing else
 * would remove (it is owned by the container's mapped ids). */
int dp_act_node_forget(pid_t pid, uint64_t starttime, const dp_node_spec *spec);
/* For a node devpass made in a running privileged container: the path at
 * which the agent's own mount namespace sees it (*ret_path, malloc'ed) and
 * its inode, when the container's /dev lives in a filesystem the host has
 * mounted too (a directory rootfs without a /dev tmpfs), so that the node
 * would outlive the container; *ret_path = NULL when it dies with it. */
int dp_act_node_backing(const dp_container *c, const dp_node_spec *spec,
                        char **ret_path, uint64_t *ret_dev, uint64_t *ret_ino,
                        uint64_t *ret_ctime);
/* After the container is gone: removes the node at path if it still is that
 * very inode (device, number, change time in ns) and node (1), else leaves
 * whatever is there (0). No symlink on the way is followed. */
int dp_act_node_backing_remove(const char *path, const dp_node_spec *spec,
                               uint64_t dev, uint64_t ino, uint64_t ctime);

/* ---- cgroup v1 (agent/act/cgroup-v1.c) ---- */
/* The cgroup's devices.list, as the kernel gives it. */
int dp_cg1_list(const char *cgdir, char **ret);
/* 1 if the cgroup's devices.list already allows that access, else 0. */
int dp_cg1_covered(const char *cgdir, char type, unsigned major, unsigned minor,
                   unsigned access);
int dp_cg1_allow(const char *cgdir, char type, unsigned major, unsigned minor,
                 unsigned access);
int dp_cg1_deny(const char *cgdir, char type, unsigned major, unsigned minor,
                unsigned access);

/* ---- cgroup v2 device programs (agent/act/cgroup-v2.c, bpf-*.c) ---- */
/* Grants through a devpass map-driven program that wraps each program
 * attached at cgdir (tail call to the original when the map has no entry),
 * swapped in atomically with BPF_F_ALLOW_MULTI|BPF_F_REPLACE and pinned
 * under bpffs. When no program restricts the cgroup, there is nothing to
 * widen: returns 0 with *ret_changed=false. */
int dp_cg2_grant(const char *cgdir, char type, unsigned major, unsigned minor,
                 unsigned access, bool *ret_changed);
/* Deletes devpass's map entry; the runtime's own rules stay in force. */
int dp_cg2_revoke(const char *cgdir, char type, unsigned major, unsigned minor);
/* 1 if the grant is in force at cgdir: every program attached there is a
 * devpass wrapper whose map holds the entry; 0 if not (the entry is
 * missing, or a runtime put its own program back in place of or beside
 * the wrapper: dp_cg2_grant() repairs that). */
int dp_cg2_has(const char *cgdir, char type, unsigned major, unsigned minor);
/* Restores the runtime's original programs and removes devpass's pins;
 * for a cgroup that is gone already, sweeps as dp_cg2_sweep() does. */
int dp_cg2_release(const char *cgdir);
/* Removes the pins (wrapper, grants map, prog array) of every cgroup that
 * no longer exists; cg2_root: the cgroup2 mount. */
int dp_cg2_sweep(const char *cg2_root);

/* ---- cgroup v2 through systemd (agent/act/cgroup-systemd.c) ---- */
/* systemd re-applies the device program of a unit it owns whenever it
 * re-reads its settings (daemon-reload, set-property), so a grant into such
 * a cgroup is a DeviceAllow= entry systemd keeps, set over its bus. */
#define DP_SD_PROG_NAME "sd_devices" /* systemd's device programs */

/* The unit a process belongs to, as PID 1 reports it. */
typedef struct dp_sd_unit {
        char id[256];      /* "machine-n1.scope" */
        char cgroup[1024]; /* ControlGroup=, relative to the cgroup2 root */
        char policy[16];   /* DevicePolicy=: "auto", "closed", "strict" */
} dp_sd_unit;

/* One DeviceAllow= entry: a node ("/dev/char/13:64") or a class
 * ("char-pts") and its access, a subset of "rwm". */
typedef struct dp_sd_allow {
        char *path;
        char access[4];
} dp_sd_allow;

/* Inline: the systemd module (cgroup-systemd.c), which links no act code,
 * frees its lists too. */
static inline void dp_sd_allow_free_many(dp_sd_allow *a, size_t n)
{
        for (size_t i = 0; a && i < n; i++)
                free(a[i].path);
        free(a);
}
/* The unit of pid (GetUnitByPID, then its Id, ControlGroup and
 * DevicePolicy). -ENOMEDIUM: systemd is not PID 1 or does not answer;
 * -ESRCH: no unit has the pid. The caller checks afterwards that the pid
 * still is the process it meant. */
int dp_sd_unit_by_pid(pid_t pid, dp_sd_unit *ret);
/* The unit's DeviceAllow= list (*ret malloc'ed, free with
 * dp_sd_allow_free_many). -ENOENT: no such unit. */
int dp_sd_allow_get(const char *unit, dp_sd_allow **ret, size_t *ret_n);
/* Adds the entries (runtime: kept until the unit goes, across
 * daemon-reload); systemd replaces the access of an entry with the same
 * path. */
int dp_sd_allow_add(const char *unit, const dp_sd_allow *a, size_t n);
/* Makes the list exactly a[0..n): an empty DeviceAllow= (which resets it)
 * followed by the entries, in one call, so that systemd never applies the
 * empty list in between. DevicePolicy= is left as it is. */
int dp_sd_allow_set(const char *unit, const dp_sd_allow *a, size_t n);
/* The device programs in force at cgdir (attached there or above): how
 * many in all and how many of them systemd's (named DP_SD_PROG_NAME). */
int dp_cg2_progs(const char *cgdir, unsigned *ret_all, unsigned *ret_systemd);

/* ---- NICs (agent/act/net.c, net-ident.c) ---- */
/* What devpass knows about a NIC it moved. The identity fields are facts the
 * kernel reports and a container cannot forge (DESIGN.md §5); a NIC is only
 * ever moved back when a link inside has that identity:
 *  - veth whose peer is in the host netns: anchor_ifindex is the peer, and
 *    the peer must point into the container's netns;
 *  - a link on a lower device in the host netns (macvlan, macvtap, …):
 *    anchor_ifindex is the lower device, kind must match;
 *  - a bus device (physical NIC): parent "BUS:DEVICE" and perm_mac;
 *  - anything else (tap, ifb, vxlan, …): only kind and ifindex_inside,
 *    which the container could imitate (no stronger fact exists). */
typedef struct dp_netdev_saved {
        char name[16];        /* host name before the move */
        char name_inside[16]; /* name inside the container */
        char mac[18];         /* "aa:bb:cc:dd:ee:ff" before the move */
        unsigned mtu;
        bool up;
        int ifindex_inside;
        char kind[16];      /* rtnetlink IFLA_INFO_KIND; "" for hardware */
        int anchor_ifindex; /* veth peer / lower device in the host netns */
        char parent[64];    /* bus device, "pci:0000:00:03.0"; "" if none */
        char perm_mac[18];  /* permanent MAC; "" if none */
} dp_netdev_saved;

/* Fills the identity fields of *ret (and name, MAC, MTU, up) for host NIC
 * ifname, without moving it: recorded before a move, so that a crash in
 * the middle still leaves the NIC identifiable. */
int dp_act_net_identify(const char *ifname, dp_netdev_saved *ret);
/* Moves host NIC ifname into the container's netns, renames it to
 * name_inside (NULL: keep), restores its up state there. A failed rename
 * moves it back. ret_netns_fd (may be NULL): the container's netns, kept
 * open by the caller so that the netns (and the NIC) outlives the
 * container's init until the NIC is moved out. */
int dp_act_net_move_in(const dp_container *c, const char *ifname,
                       const char *name_inside, dp_netdev_saved *ret_saved,
                       int *ret_netns_fd);
/* Moves it back to the agent's netns and restores name, MAC, MTU, up.
 * netns_fd: the netns held since the move in (then c may be NULL or dead),
 * or -1 to use c's. Only a link with saved's identity is moved, and only
 * the link that the move brought back is changed on the host. -ESTALE: no
 * link inside has that identity (moved away, deleted or substituted);
 * -ENODEV: nothing is known to identify it, or its veth peer is gone;
 * -EADDRINUSE: back, but its name was taken on the host. */
int dp_act_net_move_out(const dp_container *c, int netns_fd,
                        const dp_netdev_saved *saved);
/* Opens c's netns (checked against its pidfd; -EOPNOTSUPP if it is the
 * agent's), to hold it as move_in's ret_netns_fd does. */
int dp_act_net_netns_open(const dp_container *c, int *ret_fd);

/* The table the core uses (real: dp_act_ops_real; tests: a fake). */
typedef struct dp_act_ops {
        int (*node_create)(const dp_container *c, const dp_node_spec *spec,
                           bool *ret_created);
        int (*node_remove)(const dp_container *c, const dp_node_spec *spec);
        int (*node_present)(const dp_container *c, const dp_node_spec *spec);
        /* optional (NULL: a changed mode or owner is a new grant) */
        int (*node_set_attrs)(const dp_container *c, const dp_node_spec *spec);
        int (*cg1_covered)(const char *cgdir, char type, unsigned major,
                           unsigned minor, unsigned access);
        int (*cg1_allow)(const char *cgdir, char type, unsigned major,
                         unsigned minor, unsigned access);
        int (*cg1_deny)(const char *cgdir, char type, unsigned major,
                        unsigned minor, unsigned access);
        int (*cg2_grant)(const char *cgdir, char type, unsigned major,
                         unsigned minor, unsigned access, bool *ret_changed);
        int (*cg2_revoke)(const char *cgdir, char type, unsigned major,
                          unsigned minor);
        int (*cg2_has)(const char *cgdir, char type, unsigned major,
                       unsigned minor);
        /* optional (NULL: v2 state is left to the next start) */
        int (*cg2_release)(const char *cgdir);
        int (*cg2_sweep)(const char *cg2_root);
        /* optional (NULL: never through systemd) */
        int (*sd_unit_by_pid)(pid_t pid, dp_sd_unit *ret);
        int (*sd_allow_get)(const char *unit, dp_sd_allow **ret, size_t *ret_n);
        int (*sd_allow_add)(const char *unit, const dp_sd_allow *a, size_t n);
        int (*sd_allow_set)(const char *unit, const dp_sd_allow *a, size_t n);
        int (*cg2_progs)(const char *cgdir, unsigned *ret_all,
                         unsigned *ret_systemd);
        int (*net_move_in)(const dp_container *c, const char *ifname,
                           const char *name_inside, dp_netdev_saved *ret,
                           int *ret_netns_fd);
        int (*net_move_out)(const dp_container *c, int netns_fd,
                            const dp_netdev_saved *s);
        /* optional (NULL: skipped) */
        int (*net_identify)(const char *ifname, dp_netdev_saved *ret);
        int (*net_netns_open)(const dp_container *c, int *ret_fd);
        int (*revoke_open)(pid_t init, char type, unsigned major,
                           unsigned minor, unsigned hidraw_major);
        int (*symlink_create)(const dp_container *c, const char *path,
                              const char *target);
        int (*symlink_remove)(const dp_container *c, const char *path,
                              const char *target);
        int (*node_forget)(pid_t pid, uint64_t starttime,
                           const dp_node_spec *spec);
        int (*node_backing)(const dp_container *c, const dp_node_spec *spec,
                            char **ret_path, uint64_t *ret_dev,
                            uint64_t *ret_ino, uint64_t *ret_ctime);
        int (*node_backing_remove)(const char *path, const dp_node_spec *spec,
                                   uint64_t dev, uint64_t ino, uint64_t ctime);
        int (*forward)(const dp_container *c, const char *action,
                       const char *subsystem, const char *devpath,
                       char *const *props, char *const *tags,
                       const dp_node_spec *node);
} dp_act_ops;

extern const dp_act_ops dp_act_ops_real;

/* After the container's netns died (and no netns was held): finds the NIC
 * in the agent's netns by its identity — a physical NIC returns there
 * under a kernel-given name; never by MAC — and gives it back its name,
 * MTU and up state. -ENODEV when it is gone (virtual NICs die with the
 * netns), -EADDRINUSE when the name is taken. */
int dp_act_net_restore(const dp_netdev_saved *saved);

/* ---- open descriptors (agent/act/holders.c) ---- */
/* Pids (host pid namespace) of processes in the pid namespace of init
 * holding the node (type, major, minor) open; *ret is malloc'ed. */
int dp_act_holders(pid_t init, char type, unsigned major, unsigned minor,
                   pid_t **ret, size_t *ret_n);
/* Revokes open evdev and hidraw descriptors on that node held inside the
 * container (EVIOCREVOKE / HIDIOCREVOKE on a pidfd_getfd() duplicate);
 * returns how many were revoked, -EOPNOTSUPP for other devices, whose
 * descriptors survive a revoke (the cgroup checks only at open()). */
int dp_act_revoke_open(pid_t init, char type, unsigned major, unsigned minor,
                       unsigned hidraw_major);

/* ---- symlinks inside a container (agent/act/node-link.c) ---- */
/* Creates the symlink path → target inside the container (missing parent
 * dirs as for nodes, mode 0755, owned by the container's root), e.g.
 * /dev/dri/by-path/pci-0000:00:02.0-card → ../card1. No symlink on the way
 * is followed (-ELOOP). A symlink with exactly that target already there is
 * adopted (0); anything else at path gives -EEXIST and is left alone.
 * User-namespaced containers: the link is chowned (never followed) to the
 * container's mapped root. */
int dp_act_symlink_create(const dp_container *c, const char *path,
                          const char *target);
/* Removes the symlink if it points to exactly target; a missing one is
 * success; anything else at path is left alone (-EEXIST). */
int dp_act_symlink_remove(const dp_container *c, const char *path,
                          const char *target);

/* ---- udev view inside containers, Forward=yes (agent/act/forward.c) ---- */
/* Writes the udev record of one granted node inside c and sends the uevent
 * ("add", "change" or "remove") into c's netns. props: the device's udev
 * properties (KEY=VALUE strv, may be NULL), tags: udev tags (may be NULL);
 * subsystem and devpath (sysfs path without /sys) of the device the node
 * belongs to; node: the node as created inside. Returns 0, -ENOTDIR when
 * the container has no /run/udev (nothing done), -EBUSY when it runs its
 * own udevd (nothing done), or another negative errno. Never follows a
 * symlink inside the container. */
int dp_act_forward(const dp_container *c, const char *action,
                   const char *subsystem, const char *devpath,
                   char *const *props, char *const *tags,
                   const dp_node_spec *node);
