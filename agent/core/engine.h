/* SPDX-License-Identifier: MIT */
#pragma once

/* The grant engine: turns "device D into container C with settings S" into
 * ordered privileged steps (cgroup allow, node creation, NIC move) through an
 * ops table, recording each step in the ledger before and after it so that
 * a crash at any point can be completed or undone. Used alike by devpassd
 * and by devpassctl when no agent runs. */

#include "core/ledger.h"
#include "devpass/device.h"

typedef struct dp_grant_opts {
        const char *path; /* inside path of the device's own node; NULL: host
                             path */
        int mode;         /* -1: the host node's permission bits */
        int64_t owner, group; /* ids inside; -1: 0 */
        unsigned access;      /* DP_ACCESS_* bits; 0: rw */
        const char *ifname;   /* NICs: name inside; NULL: keep */
        bool companions; /* the whole bundle, not only the device's own node */
        bool forward;
        bool default_route_nic; /* may move the NIC of the default route */
        const char *source;     /* "manual" or "FILE:LINE" */
        uint64_t lease_ms;      /* the grant ends this long after it is made;
                                   0: no lease */
        const char *rule;       /* the rule's identity; NULL: manual */
} dp_grant_opts;

#define DP_GRANT_OPTS_DEFAULT                \
        ((dp_grant_opts){.mode = -1,         \
                         .owner = -1,        \
                         .group = -1,        \
                         .companions = true, \
                         .source = "manual"})

typedef struct dp_engine {
        const dp_act_ops *ops;
        dp_ledger *ledger;
        char *state_dir;
        int lock_fd;
        /* Set when the ledger could not be saved: the engine keeps working
         * in memory and retries the save on the next change. */
        int save_error;
        uint64_t n_save_failures;
        /* After the ledger was lost: what a grant finds already in place is
         * taken as devpass's own (it most likely is), so that a later revoke
         * removes it instead of leaking it. */
        bool adopt_found;
} dp_engine;

/* Opens the state dir (created 0700), takes its lock (-EBUSY when another
 * devpass process holds it) and loads the ledger. A damaged ledger is
 * reported through *ret_ledger_error and replaced by an empty one. */
int dp_engine_open(const char *state_dir, const dp_act_ops *ops,
                   dp_engine **ret, int *ret_ledger_error);
void dp_engine_free(dp_engine *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(dp_engine *, dp_engine_free)

/* Grants d to c. -EEXIST if the ledger already has this pair. On failure
 * every step done is undone and nothing is left in the ledger. */
int dp_engine_attach(dp_engine *e, const dp_container *c, const dp_device *d,
                     const dp_grant_opts *o, dp_grant **ret);
/* Revokes g: cgroup deny first, then node removal, then the NIC's return.
 * c is the running container g belongs to, or NULL when it is gone (then
 * only what outlives it — cgroup rules — is undone). On success g is
 * removed from the ledger and freed. */
int dp_engine_detach(dp_engine *e, dp_grant *g, const dp_container *c);
/* The device's node bundle changed since g was made (a USB device's tty
 * appeared, a GPU's DRM nodes came later, a re-plug gave a new number). */
bool dp_grant_bundle_differs(const dp_grant *g, const dp_device *d);
/* Brings g's nodes in line with d's bundle without touching the nodes that
 * stay: stale ones are denied and removed, new ones allowed and made with
 * o's settings (a replaced own node keeps its inside path). */
int dp_engine_update(dp_engine *e, dp_grant *g, const dp_container *c,
                     const dp_device *d, const dp_grant_opts *o);
/* A rule's [Grant] edited while g stands. NULL when o can be applied to g
 * in place (dp_engine_apply_settings), else the setting that needs a new
 * grant ("Path=", "Companions=", "Forward=", "InterfaceName="). */
const char *dp_grant_settings_regrant(const dp_grant *g, const dp_device *d,
                                      const dp_grant_opts *o);
/* Gives g's nodes o's mode and owner (same inodes) and its cgroup rules
 * o's access bits; *ret_changed: how many nodes and rules changed. */
int dp_engine_apply_settings(dp_engine *e, dp_grant *g, const dp_container *c,
                             const dp_grant_opts *o, unsigned *ret_changed);
/* The permission bits of the host node at path (0660 if it cannot be
 * read): a node's mode when no Mode= is given. */
unsigned dp_grant_host_mode(const char *path);
/* True when c is the same container instance g was made for. */
bool dp_grant_same_instance(const dp_grant *g, const dp_container *c);
/* Saves one grant's ledger entry; a failure is remembered (g->dirty,
 * e->save_error) and retried by dp_engine_flush(). */
int dp_engine_save_grant(dp_engine *e, dp_grant *g);
int dp_engine_flush(dp_engine *e);

/* engine-net.c: the NIC part of dp_engine_detach(). alive: c is g's running
 * instance; unfinished: the move in may never have happened. A NIC not found
 * by its identity sets g->lost and fails (-ESTALE, -ENODEV). */
/* The act-layer description of a recorded node. */
static inline void dp_grant_node_spec(const dp_grant_node *n, dp_node_spec *s)
{
        *s = (dp_node_spec){.path = n->path,
                            .type = n->type,
                            .major = n->major,
                            .minor = n->minor,
                            .mode = n->mode,
                            .uid = n->uid,
                            .gid = n->gid};
}

/* engine-leftover.c: after a node was made, where the host sees it if it
 * would outlive the container; after the container is gone, the removal of
 * what it left on the host. */
void dp_engine_note_backing(dp_engine *e, const dp_container *c,
                            dp_grant_node *n, const dp_node_spec *s);
void dp_engine_release_leftovers(dp_engine *e, dp_grant *g);

int dp_engine_return_nic(dp_engine *e, dp_grant *g, const dp_container *c,
                         bool alive, bool unfinished);

/* engine-systemd.c: cgroup v2 rules of a cgroup that a systemd unit owns
 * go through the unit's DeviceAllow= (systemd rebuilds its own device
 * program on every daemon-reload); everywhere else through devpass's BPF
 * wrapper. */
typedef struct dp_sd_facts {
        int unit_r; /* what sd_unit_by_pid returned */
        const dp_sd_unit *unit;
        const char *cgroup; /* the container's, below the cgroup2 root */
        int progs_r;        /* what cg2_progs returned */
        unsigned progs_all, progs_systemd;
        bool every_minor; /* a rule covers every minor of a major */
} dp_sd_facts;

typedef enum dp_sd_way {
        DP_SD_BPF = 0, /* devpass's BPF program only */
        DP_SD_SYSTEMD, /* the unit's DeviceAllow= only */
        DP_SD_BOTH,    /* both: a runtime's program beside systemd's */
} dp_sd_way;

/* The way; *ret_why (malloc'ed, NULL on ENOMEM): why, in a few words
 * ("systemd owns machine-n1.scope: DeviceAllow= through systemd", "not a
 * systemd unit: devpass BPF program"). */
dp_sd_way dp_sd_decide(const dp_sd_facts *f, char **ret_why);
/* "/dev/char/MAJ:MIN" or "/dev/block/MAJ:MIN". */
int dp_sd_allow_path(char type, unsigned major, unsigned minor, char *buf,
                     size_t size);
/* An entry with that path whose access includes every letter of access. */
bool dp_sd_allow_covers(const dp_sd_allow *a, size_t n, const char *path,
                        const char *access);
/* Removes (in place) the entries that match one of drop by path and
 * access; returns how many went. */
size_t dp_sd_allow_drop(dp_sd_allow *a, size_t *n, const dp_sd_allow *drop,
                        size_t n_drop);
/* A v1 rule into every cgroup below dir whose devices.list is still
 * before, dir's list before the rule went in (engine-cg1.c). */
void dp_engine_cg1_allow_below(dp_engine *e, const char *dir,
                               const dp_grant_cg *cg, const char *before);
/* Before a grant's first step: decides the way (g->sd_unit, g->cg_why). */
int dp_engine_sd_plan(dp_engine *e, const dp_container *c, dp_grant *g);
/* The steps of rules from..n_nodes when g goes through systemd (else
 * nothing): which entries devpass adds (cg->sd), adding them, removing
 * them again (only those, the unit's own stay). */
int dp_engine_sd_prepare(dp_engine *e, dp_grant *g, size_t from);
int dp_engine_sd_apply(dp_engine *e, dp_grant *g, size_t from);
int dp_engine_sd_revoke(dp_engine *e, dp_grant *g, size_t from);
/* Gives cg's entry another access. */
int dp_engine_sd_access(dp_engine *e, dp_grant *g, dp_grant_cg *cg,
                        unsigned access);
/* Puts back the entries of g the unit no longer has (logged); returns how
 * many. */
int dp_engine_sd_verify(dp_engine *e, dp_grant *g);
