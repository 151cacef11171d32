/* SPDX-License-Identifier: MIT */
/* cgroup v1 passes no allow down: each cgroup below the granted one keeps
 * the device list it was made with. A systemd inside the container has
 * made its init.scope and its services' cgroups there before the grant, so
 * a grant's rule goes into each of them too, parents first (the kernel
 * checks a child's allow against its parent) — but only into those whose
 * list is still the copy they were made with (the same as the granted
 * cgroup's before the grant): one the container restricted itself keeps
 * its restriction, as a program of its own would under cgroup v2. Cgroups
 * made later copy the rule from their parent. The revoke's deny at the
 * granted cgroup reaches them all (v1 passes revocations down). */
#include <dirent.h>
#include <string.h>

#include "core/engine.h"
#include "devpass/act.h"
#include "devpass/log.h"

/* a container's own tree: bounded, whatever it made */
#define BELOW_DEPTH 16
#define BELOW_MAX   4096

static void allow_below(dp_engine *e, const char *dir, const dp_grant_cg *cg,
                        const char *before, unsigned depth, unsigned *budget)
{
        DIR *d;
        struct dirent *de;

        if (depth >= BELOW_DEPTH || *budget == 0)
                return;
        d = opendir(dir);
        if (!d)
                return;
        while ((de = readdir(d)) && *budget > 0) {
                _cleanup_free_ char *sub = NULL, *list = NULL;

                /* cgroupfs has no symlinks; d_type is always set there */
                if (de->d_type != DT_DIR || streq(de->d_name, ".") ||
                    streq(de->d_name, ".."))
                        continue;
                sub = strjoin_sep("/", dir, de->d_name, NULL);
                if (!sub)
                        break;
                (*budget)--;
                if (dp_cg1_list(sub, &list) < 0 || !streq(list, before) ||
                    e->ops->cg1_allow(sub, cg->type, cg->major, cg->minor,
                                      cg->access) < 0)
                        continue; /* its own list, or gone: not below it */
                allow_below(e, sub, cg, before, depth + 1, budget);
        }
        closedir(d);
}

void dp_engine_cg1_allow_below(dp_engine *e, const char *dir,
                               const dp_grant_cg *cg, const char *before)
{
        unsigned budget = BELOW_MAX;

        if (!before)
                return;
        allow_below(e, dir, cg, before, 0, &budget);
        if (budget == 0)
                log_warning("%s: more than %u cgroups below it; the rule for "
                            "%c %u:%u went into the first %u only",
                            dir, BELOW_MAX, cg->type, cg->major, cg->minor,
                            BELOW_MAX);
}
