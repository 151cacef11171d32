/* SPDX-License-Identifier: MIT */
#pragma once

/* The ledger: what devpass granted, persisted in the state dir so that a
 * restarted agent (or the CLI acting alone) knows what it owns. Entries are
 * written *before* acting (state "applying"/"revoking") and updated after,
 * so a crash at any step leaves a record of everything that may exist. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "devpass/act.h"

#define DP_LEDGER_VERSION 1

typedef enum dp_grant_state {
        DP_GRANT_APPLYING = 0,
        DP_GRANT_APPLIED,
        DP_GRANT_REVOKING,
} dp_grant_state;

typedef struct dp_grant_cg {
        char type;
        unsigned major, minor;
        unsigned access;
        bool v1, v2; /* devpass added the rule there (so it may remove it) */
        bool sd;     /* devpass added the DeviceAllow= entry of sd_unit */
} dp_grant_cg;

typedef struct dp_grant_node {
        char *path; /* inside the container */
        char *host; /* host node it mirrors */
        char type;
        unsigned major, minor;
        unsigned mode;
        uint32_t uid, gid; /* as seen inside */
        bool created;      /* devpass made it (false: it was already there) */
        char *backing;     /* where the agent sees it when it would outlive the
                              container (a /dev on a host filesystem), or NULL */
        uint64_t backing_dev, backing_ino; /* the inode devpass made there */
        uint64_t backing_ctime;            /* and its change time, in ns */
        /* The node's device as udev names it (DEVPATH, SUBSYSTEM), kept for
         * Forward=yes: the remove event of an unplugged device must name
         * what sysfs no longer has. NULL when not forwarded. */
        char *devpath, *subsystem;
        /* The cgroup rule that lets the container open it: node and rule
         * are one item, granted and revoked together. */
        dp_grant_cg cg;
} dp_grant_node;

typedef struct dp_grant {
        char *container; /* canonical reference */
        pid_t pid;
        uint64_t starttime;
        bool userns;
        char *cg_v1, *cg_v2;
        /* The systemd unit that owns cg_v2 when the grant goes through
         * systemd's DeviceAllow= (engine-systemd.c), else NULL; and why the
         * grant took the path it took, for people. */
        char *sd_unit, *cg_why;
        /* Through systemd *and* devpass's BPF program: the unit's cgroup
         * has a runtime's own device program beside systemd's (runc's,
         * crun's), which a DeviceAllow= entry alone would not pass. */
        bool sd_beside;
        char *device; /* syspath */
        char *source; /* "manual" or "FILE:LINE", for people */
        /* The granting rule's identity (dp_rule_id), NULL for a manual grant
         * and in records written before identities existed: those are
         * adopted by their `source` on the first reconcile. */
        char *rule;
        dp_grant_state state;
        unsigned access;
        bool forward;
        bool companions;      /* the whole bundle, not only the device's node */
        dp_grant_node *nodes; /* each with its cgroup rule */
        size_t n_nodes;
        bool has_netdev;
        dp_netdev_saved netdev;
        /* The container's netns, held while the NIC is in there so that it
         * can be moved out after init died (not saved: re-opened after a
         * restart while the container runs). */
        int netns_fd;
        /* Why the NIC could not be found again by its identity (moved on,
         * deleted, substituted): the grant stays, shown as "lost". */
        char *lost;
        bool dirty; /* its last save failed */
        /* the container's init left cg_v1/cg_v2 and that was logged (not
         * saved: said again after a restart) */
        bool cg_left_said;
        /* A lease's end, CLOCK_REALTIME in ms (0: no lease). Wall time, so
         * that the deadline means the same to every process that reads
         * the ledger and to the user who reads `list`. */
        uint64_t lease_until;
} dp_grant;

/* One file per grant, STATE_DIR/grants/<hash>.json, each a document
 * {"version": 1, "grants": [GRANT]}: a change rewrites only its own grant
 * (atomically), so the cost of a step does not grow with the number of
 * grants. */
typedef struct dp_ledger {
        char *dir; /* STATE_DIR/grants */
        dp_grant **grants;
        size_t n;
} dp_ledger;

dp_grant *dp_grant_new(void);
void dp_grant_free(dp_grant *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(dp_grant *, dp_grant_free)
int dp_grant_add_node(dp_grant *g, const dp_grant_node *n);
/* Frees what a node owns (not the node). */
void dp_grant_node_done(dp_grant_node *n);
const char *dp_grant_state_to_string(dp_grant_state s);

/* Loads every grant file. Missing dir: empty ledger. A file that is
 * unreadable, corrupt or of another version is renamed to *.damaged and
 * skipped: -EBADMSG with *ret set to what could be read, so that the caller
 * rebuilds from the kernel instead of trusting the file. */
int dp_ledger_load(const char *state_dir, dp_ledger **ret);
/* Writes one grant's file (atomic rename; no fsync: the state dir lives in
 * /run, which a power loss empties anyway, and a crashed agent leaves the
 * page cache intact). */
int dp_ledger_save_grant(const dp_ledger *l, const dp_grant *g);
int dp_ledger_unlink_grant(const dp_ledger *l, const dp_grant *g);
/* Every grant's file. */
int dp_ledger_save(const dp_ledger *l);
void dp_ledger_free(dp_ledger *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(dp_ledger *, dp_ledger_free)
dp_grant *dp_ledger_find(const dp_ledger *l, const char *container,
                         const char *device);
int dp_ledger_add(dp_ledger *l, dp_grant *g);     /* takes ownership */
void dp_ledger_remove(dp_ledger *l, dp_grant *g); /* frees g */

struct json_object;
int dp_grant_to_json(const dp_grant *g, struct json_object **ret);
int dp_grant_from_json(struct json_object *o, dp_grant **ret);
/* Parses a ledger document held in memory (also the fuzz entry point). */
int dp_ledger_parse(const char *text, dp_ledger *into);
