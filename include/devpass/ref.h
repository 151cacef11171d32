/* SPDX-License-Identifier: MIT */
#pragma once

/* The one grammar of container references, used alike by policy targets
 * (Container=), container resolution and the CLI. Pure: no I/O.
 *
 *   NAME          any runtime's container NAME
 *   RUNTIME:NAME  lxc, incus, lxd, nspawn, docker, podman
 *   pid:PID       decimal, 1 to 4194304, no leading zeros
 *   cgroup:PATH   absolute or relative to the hierarchy root (the same
 *                 cgroup either way), no "." or ".." components, not the
 *                 root itself
 *
 * A NAME is 1 to 253 of [A-Za-z0-9_.-], not "." or "..". Where globs are
 * allowed (policy targets) NAME and PATH may also hold * ? [ ]. */

#include <stdbool.h>

#include "devpass/container.h"

#define DP_REF_NAME_GRAMMAR \
        "letters, digits, '_', '.' and '-', at most 253, not '.' or '..'"

typedef struct dp_ref {
        bool bare;          /* NAME without a prefix: every runtime */
        dp_runtime runtime; /* meaningless when bare */
        const char *body;   /* NAME, PID or PATH, borrowed from the input */
} dp_ref;

/* Splits and checks a reference. -EINVAL: not a reference;
 * -EPROTONOSUPPORT: unknown RUNTIME prefix; -EILSEQ: a NAME outside the
 * grammar (a runtime may allow names that no reference can spell). */
int dp_ref_split(const char *ref, bool allow_glob, dp_ref *ret);
/* Whether NAME is in the grammar (no globs). */
bool dp_container_name_valid(const char *name);
/* dp_ref_split()'s verdict as 0 or -EINVAL. */
int dp_container_ref_validate(const char *ref, bool allow_glob);
/* Does a concrete reference (e.g. "lxc:ml-1") match a policy glob
 * ("lxc:ml-*" or bare "ml-*", which matches any runtime)? A cgroup PATH
 * matches whether written absolute or relative. */
bool dp_container_ref_match(const char *glob, const char *ref);
/* Does what a user typed (no globs) name the canonical reference? "web"
 * names "lxc:web", "cgroup:/a/b" names "cgroup:a/b". */
bool dp_container_ref_names(const char *user, const char *canonical);
