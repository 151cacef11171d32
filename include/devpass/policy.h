/* SPDX-License-Identifier: MIT */
#pragma once

/* The policy language: parse, validate, match. Pure: the only I/O is
 * dp_policy_load_*(), which reads files; parsing and matching make no
 * syscalls. See policy/FORMAT.md. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devpass/device.h"
#include "devpass/ref.h" /* Container= values */

#define DP_POLICY_MAX_LINE 4096

typedef enum dp_action {
        DP_ACTION_ALLOW = 0,
        DP_ACTION_DENY,
} dp_action;

/* One diagnostic: "FILE:LINE:COL: error: MESSAGE". */
typedef struct dp_diag {
        char *file;
        unsigned line, column; /* 1-based; column of the offending token */
        char *key;             /* offending key or section, or NULL */
        char *message;         /* full formatted line */
} dp_diag;

typedef struct dp_diag_list {
        dp_diag *items;
        size_t n;
} dp_diag_list;
void dp_diag_list_clear(dp_diag_list *l);

typedef struct dp_grant_settings {
        dp_action action;
        unsigned access;        /* DP_ACCESS_* bits; default rw */
        char *path;             /* node path inside, NULL = host path */
        int mode;               /* -1 = keep the host node's mode */
        int64_t owner;          /* uid inside, -1 = 0 (root inside) */
        int64_t group;          /* gid inside, -1 = 0 */
        char *interface_name;   /* NULL = keep */
        bool companions;        /* default yes */
        bool forward;           /* default no */
        bool default_route_nic; /* may move a NIC carrying the default route */
        uint64_t lease_ms;      /* Lease=: the grant ends after this; 0 none */
} dp_grant_settings;

typedef struct dp_rule dp_rule; /* opaque: matches + target + grant */

/* Accessors for a matched rule. */
const char *dp_rule_file(const dp_rule *r);
unsigned dp_rule_line(const dp_rule *r); /* line of its [Match] */
/* "FILE:LINE" as used in `source` and `explain`; borrowed. */
const char *dp_rule_source(const dp_rule *r);
/* "FILE#HASH": what a rule is known by in the ledger. HASH covers its
 * [Match] and [Target] keys as normalised (comments, blank lines, spacing
 * and the rule's place in the file do not count), so moving or commenting
 * a rule changes nothing granted; [Grant] settings do not count either,
 * so that editing them updates the grants instead of replacing them. */
const char *dp_rule_id(const dp_rule *r);
const dp_grant_settings *dp_rule_grant(const dp_rule *r);
char *const *dp_rule_containers(const dp_rule *r); /* Container= globs */
bool dp_rule_exclusive(const dp_rule *r);
/* Container= holds the word "cdi": the device is exported in a CDI spec
 * (for engines to give to containers they start), not granted by it. */
bool dp_rule_cdi(const dp_rule *r);

typedef struct dp_policy dp_policy;

dp_policy *dp_policy_new(void);
void dp_policy_free(dp_policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(dp_policy *, dp_policy_free)
#define _cleanup_policy_free_ _cleanup_(dp_policy_freep)

/* Parses one file's text and appends its rules. On any error nothing from
 * this buffer is appended, diagnostics are added to diags and -EINVAL is
 * returned. */
int dp_policy_parse_buffer(dp_policy *p, const char *filename, const char *buf,
                           size_t size, dp_diag_list *diags);
int dp_policy_load_file(dp_policy *p, const char *path, dp_diag_list *diags);
/* Loads *.policy from the dirs (earliest first; a later dir's file overrides
 * a same-named file in an earlier one), in version-sorted name order.
 * Fail-closed: on any error returns -EINVAL and *ret is not set. */
int dp_policy_load_dirs(char *const *dirs, dp_policy **ret,
                        dp_diag_list *diags);
/* Loads the given files or dirs (a dir: its *.policy files, sorted). */
int dp_policy_load_paths(char *const *paths, dp_policy **ret,
                         dp_diag_list *diags);
size_t dp_policy_n_rules(const dp_policy *p);
const dp_rule *dp_policy_rule(const dp_policy *p, size_t i);
extern const char *const dp_policy_default_dirs[]; /* NULL-terminated */
/* The sysfs attribute names the rules' Attribute= keys refer to (an empty
 * vector when none; NULL on allocation failure). */
char **dp_policy_attribute_names(const dp_policy *p);

/* First rule whose [Match] holds, or NULL. When trace is non-NULL, one
 * human-readable line per rule tried is appended ("FILE:LINE: no: Vendor=10de
 * does not match 8086"). */
const dp_rule *dp_policy_match(const dp_policy *p, const dp_device *d,
                               char ***trace);

/* The checks Path= and InterfaceName= make, for the same settings given
 * on the command line or over IPC: an absolute path without empty, "." or
 * ".." components or control characters; a valid Linux interface name. */
int dp_policy_validate_path(const char *s);
int dp_policy_validate_ifname(const char *s);
