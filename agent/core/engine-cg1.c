/* SPDX-License-Identifier: MIT */
/* cgroup v1 passes no allow down: each cgroup below the granted one keeps
 * the device list it was made with. A systemd inside the container has
 * made its init.scope and its services' cgroups there before the grant, so
 * a grant's rule goes into each of them too, parents first (the kernel
 * checks a child's allow against its parent); cgroups made later copy it
 * from their parent. The revoke's deny at the granted cgroup reaches them
 * all (v1 passes revocations down), so nothing below needs undoing. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>

#include "core/engine.h"
#include "devpass/log.h"

/* a container's own tree: bounded, whatever it made */
#define BELOW_DEPTH 16
#define BELOW_MAX   4096

static void allow_below(dp_engine *e, const char *dir, const dp_grant_cg *cg,
                        unsigned depth, unsigned *budget)
{
        DIR *d;
        struct dirent *de;

        if (depth >= BELOW_DEPTH || *budget == 0)
                return;
        d = opendir(dir);
        if (!d)
                return;
        while ((de = readdir(d)) && *budget > 0) {
                _cleanup_free_ char *sub = NULL;

                /* cgroupfs has no symlinks; d_type is always set there */
                if (de->d_type != DT_DIR || streq(de->d_name, ".") ||
                    streq(de->d_name, ".."))
                        continue;
                sub = strjoin_sep("/", dir, de->d_name, NULL);
                if (!sub)
                        break;
                (*budget)--;
                if (e->ops->cg1_covered(sub, cg->type, cg->major, cg->minor,
                                        cg->access) == 0 &&
                    e->ops->cg1_allow(sub, cg->type, cg->major, cg->minor,
                                      cg->access) < 0)
                        continue; /* not below a cgroup that lacks it */
                allow_below(e, sub, cg, depth + 1, budget);
        }
        closedir(d);
}

void dp_engine_cg1_allow_below(dp_engine *e, const char *dir,
                               const dp_grant_cg *cg)
{
        unsigned budget = BELOW_MAX;

        allow_below(e, dir, cg, 0, &budget);
        if (budget == 0)
                log_warning("%s: more than %u cgroups below it; the rule for "
                            "%c %u:%u went into the first %u only",
                            dir, BELOW_MAX, cg->type, cg->major, cg->minor,
                            BELOW_MAX);
}
