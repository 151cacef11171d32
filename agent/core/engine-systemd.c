/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/engine.h"
#include "devpass/log.h"
#include "devpass/util.h"

/* Which way a grant's cgroup v2 rules go. A cgroup that a systemd unit
 * owns (an nspawn machine's scope, a container of the systemd cgroup
 * driver) has its device program rebuilt by systemd from the unit's
 * settings on every daemon-reload or set-property: a devpass program there
 * is undone, and with it the grant. So there the grant is a runtime
 * DeviceAllow= entry of the unit, which systemd keeps and applies itself.
 * Everywhere else (LXC, runc's cgroupfs driver, no systemd as PID 1) the
 * devpass BPF wrapper stays (cgroup-v2.c). See agent/act/CGROUP-V2.md. */

int dp_sd_allow_path(char type, unsigned major, unsigned minor, char *buf,
                     size_t size)
{
        int n;

        if ((type != 'c' && type != 'b') || minor == DP_MINOR_ANY)
                return -EINVAL;
        n = snprintf(buf, size, "/dev/%s/%u:%u", type == 'c' ? "char" : "block",
                     major, minor);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool access_covers(const char *have, const char *want)
{
        for (const char *p = want; *p; p++)
                if (!strchr(have, *p))
                        return false;
        return true;
}

bool dp_sd_allow_covers(const dp_sd_allow *a, size_t n, const char *path,
                        const char *access)
{
        for (size_t i = 0; i < n; i++)
                if (streq(a[i].path, path) &&
                    access_covers(a[i].access, access))
                        return true;
        return false;
}

size_t dp_sd_allow_drop(dp_sd_allow *a, size_t *n, const dp_sd_allow *drop,
                        size_t n_drop)
{
        size_t keep = 0, dropped = 0;

        for (size_t i = 0; i < *n; i++) {
                bool ours = false;

                /* only what devpass added: same node, same access; an entry
                 * the unit had for another access is not devpass's */
                for (size_t k = 0; k < n_drop && !ours; k++)
                        ours = streq(a[i].path, drop[k].path) &&
                               streq(a[i].access, drop[k].access);
                if (ours) {
                        free(a[i].path);
                        dropped++;
                        continue;
                }
                a[keep++] = a[i];
        }
        *n = keep;
        return dropped;
}

/* ControlGroup= of the unit is the container's cgroup or above it. */
static bool cgroup_within(const char *unit_cg, const char *cg)
{
        size_t l = strlen(unit_cg);

        if (isempty(unit_cg) || !cg)
                return false;
        if (streq(unit_cg, "/"))
                return false; /* the root slice owns everything */
        return strneq(cg, unit_cg, l) && (cg[l] == 0 || cg[l] == '/');
}

dp_sd_way dp_sd_decide(const dp_sd_facts *f, char **ret_why)
{
        const dp_sd_unit *u = f->unit;
        const char *id = u ? u->id : "";
        dp_sd_way way = DP_SD_BPF;
        char *why;

        if (f->unit_r == -ENOMEDIUM)
                why = strdup("systemd is not PID 1 or not reachable: devpass "
                             "BPF program");
        else if (f->unit_r < 0 || !u ||
                 !(endswith(u->id, ".scope") || endswith(u->id, ".service")) ||
                 !cgroup_within(u->cgroup, f->cgroup))
                why = strdup("not a systemd unit: devpass BPF program");
        else if (!streq(u->policy, "strict") && !streq(u->policy, "closed"))
                /* auto: the list does not restrict until it has entries;
                 * adding one would take every other device away */
                why = strdup_printf("%s has DevicePolicy=%s: devpass BPF "
                                    "program",
                                    id, u->policy);
        else if (f->every_minor)
                why = strdup_printf("%s: a rule for every minor: devpass BPF "
                                    "program",
                                    id);
        else if (f->progs_r >= 0 && f->progs_systemd > 0 &&
                 f->progs_all == f->progs_systemd) {
                why = strdup_printf("systemd owns %s: DeviceAllow= through "
                                    "systemd",
                                    id);
                way = DP_SD_SYSTEMD;
        } else {
                /* another program (runc's, crun's, or devpass's from
                 * earlier grants) would still deny what systemd allows;
                 * and under this DevicePolicy systemd attaches a program of
                 * its own on the next daemon-reload even where it has none
                 * in force yet (runc leaves it to its own): both */
                why = strdup_printf("systemd owns %s beside another device "
                                    "program: DeviceAllow= through systemd "
                                    "and devpass BPF program",
                                    id);
                way = DP_SD_BOTH;
        }
        *ret_why = why;
        return way;
}

/* The container's cgroup as systemd names it: below the cgroup2 mount. */
static const char *cgroup_relative(const char *dir)
{
        const char *root = dp_cgroup_v2_root();
        size_t l = root ? strlen(root) : 0;

        if (!dir || !root || !strneq(dir, root, l))
                return NULL;
        if (dir[l] == 0)
                return "/";
        return dir[l] == '/' ? dir + l : NULL;
}

int dp_engine_sd_plan(dp_engine *e, const dp_container *c, dp_grant *g)
{
        dp_sd_unit u = {};
        dp_sd_facts f = {.unit = &u, .unit_r = -ENOMEDIUM};
        char *why = NULL;
        dp_sd_way way;

        if (!c->cgroup_v2) {
                if (c->cgroup_v1_devices)
                        g->cg_why = strdup("cgroup v1: devices.allow");
                return 0;
        }
        if (e->ops->sd_unit_by_pid && e->ops->sd_allow_get &&
            e->ops->sd_allow_add && e->ops->sd_allow_set && e->ops->cg2_progs) {
                f.unit_r = e->ops->sd_unit_by_pid(c->pid, &u);
                /* the pid may have been reused since it was resolved */
                if (f.unit_r >= 0 && dp_container_check_alive(c) < 0)
                        return -ESRCH;
                f.cgroup = cgroup_relative(c->cgroup_v2);
                f.progs_r = e->ops->cg2_progs(c->cgroup_v2, &f.progs_all,
                                              &f.progs_systemd);
        }
        for (size_t i = 0; i < g->n_nodes; i++)
                f.every_minor |= g->nodes[i].cg.minor == DP_MINOR_ANY;
        way = dp_sd_decide(&f, &why);
        if (!why)
                return -ENOMEM;
        free(g->cg_why);
        g->cg_why = why;
        if (way != DP_SD_BPF) {
                g->sd_unit = strdup(u.id);
                if (!g->sd_unit)
                        return -ENOMEM;
                g->sd_beside = way == DP_SD_BOTH;
        }
        log_debug("%s in %s: %s", g->device, g->container, why);
        return 0;
}

static int cg_allow(const dp_grant_cg *cg, unsigned access, dp_sd_allow *a,
                    char *path, size_t size)
{
        int r = dp_sd_allow_path(cg->type, cg->major, cg->minor, path, size);

        if (r < 0)
                return r;
        a->path = path;
        dp_access_to_string(access, a->access);
        return 0;
}

int dp_engine_sd_prepare(dp_engine *e, dp_grant *g, size_t from)
{
        dp_sd_allow *have = NULL;
        size_t n_have = 0;
        int r;

        if (!g->sd_unit)
                return 0;
        r = e->ops->sd_allow_get(g->sd_unit, &have, &n_have);
        if (r < 0)
                return r;
        for (size_t i = from; i < g->n_nodes; i++) {
                dp_grant_cg *cg = &g->nodes[i].cg;
                char path[64];
                dp_sd_allow a;

                r = cg_allow(cg, cg->access, &a, path, sizeof(path));
                if (r < 0)
                        break;
                /* an entry the unit has already is not devpass's to drop */
                cg->sd = !dp_sd_allow_covers(have, n_have, a.path, a.access) ||
                         e->adopt_found;
                /* beside a runtime's program: devpass's as well */
                cg->v2 = cg->v2 && g->sd_beside;
        }
        dp_sd_allow_free_many(have, n_have);
        return r < 0 ? r : 0;
}

/* The entries of g's rules from..n that devpass adds (cg->sd). */
static int collect(const dp_grant *g, size_t from, dp_sd_allow **ret,
                   char (**ret_paths)[64], size_t *ret_n)
{
        dp_sd_allow *a = calloc(g->n_nodes + 1, sizeof(*a));
        char(*paths)[64] = calloc(g->n_nodes + 1, sizeof(*paths));
        size_t n = 0;

        if (!a || !paths) {
                free(a);
                free(paths);
                return -ENOMEM;
        }
        for (size_t i = from; i < g->n_nodes; i++) {
                int r;

                if (!g->nodes[i].cg.sd)
                        continue;
                r = cg_allow(&g->nodes[i].cg, g->nodes[i].cg.access, &a[n],
                             paths[n], sizeof(paths[n]));
                if (r < 0) {
                        free(a);
                        free(paths);
                        return r;
                }
                n++;
        }
        *ret = a;
        *ret_paths = paths;
        *ret_n = n;
        return 0;
}

int dp_engine_sd_apply(dp_engine *e, dp_grant *g, size_t from)
{
        _cleanup_free_ dp_sd_allow *a = NULL;
        _cleanup_free_ char(*paths)[64] = NULL;
        size_t n;
        int r;

        if (!g->sd_unit)
                return 0;
        r = collect(g, from, &a, &paths, &n);
        if (r < 0 || n == 0)
                return r;
        /* all of the grant's nodes in one call: one program rebuild */
        return e->ops->sd_allow_add(g->sd_unit, a, n);
}

int dp_engine_sd_revoke(dp_engine *e, dp_grant *g, size_t from)
{
        _cleanup_free_ dp_sd_allow *drop = NULL;
        _cleanup_free_ char(*paths)[64] = NULL;
        dp_sd_allow *have = NULL;
        size_t n_drop, n_have = 0;
        int r;

        if (!g->sd_unit)
                return 0;
        r = collect(g, from, &drop, &paths, &n_drop);
        if (r < 0 || n_drop == 0)
                return r;
        r = e->ops->sd_allow_get(g->sd_unit, &have, &n_have);
        if (r == -ENOENT)
                goto done; /* the unit is gone, and its program with it */
        if (r < 0)
                return r;
        /* systemd has no "remove one entry": the list is reset and set
         * again without devpass's entries, in one call */
        if (dp_sd_allow_drop(have, &n_have, drop, n_drop) > 0)
                r = e->ops->sd_allow_set(g->sd_unit, have, n_have);
        dp_sd_allow_free_many(have, n_have);
        if (r < 0 && r != -ENOENT)
                return r;
done:
        for (size_t i = from; i < g->n_nodes; i++)
                g->nodes[i].cg.sd = false;
        return 0;
}

int dp_engine_sd_access(dp_engine *e, dp_grant *g, dp_grant_cg *cg,
                        unsigned access)
{
        char path[64];
        dp_sd_allow a;
        int r;

        if (!g->sd_unit || !cg->sd)
                return 0;
        r = cg_allow(cg, access, &a, path, sizeof(path));
        if (r < 0)
                return r;
        /* systemd gives an entry of the same node the new access */
        return e->ops->sd_allow_add(g->sd_unit, &a, 1);
}

int dp_engine_sd_verify(dp_engine *e, dp_grant *g)
{
        _cleanup_free_ dp_sd_allow *want = NULL, *missing = NULL;
        _cleanup_free_ char(*paths)[64] = NULL;
        dp_sd_allow *have = NULL;
        size_t n_want, n_have = 0, n_missing = 0;
        int r;

        if (!g->sd_unit)
                return 0;
        if (collect(g, 0, &want, &paths, &n_want) < 0 || n_want == 0)
                return 0;
        missing = calloc(n_want, sizeof(*missing));
        if (!missing)
                return 0;
        r = e->ops->sd_allow_get(g->sd_unit, &have, &n_have);
        if (r < 0)
                return 0; /* unit gone or systemd busy: the next pass */
        for (size_t i = 0; i < n_want; i++)
                if (!dp_sd_allow_covers(have, n_have, want[i].path,
                                        want[i].access))
                        missing[n_missing++] = want[i];
        dp_sd_allow_free_many(have, n_have);
        if (n_missing == 0)
                return 0;
        /* someone rewrote the unit's list (a runtime's update, a
         * set-property DeviceAllow=): devpass's entries go back */
        r = e->ops->sd_allow_add(g->sd_unit, missing, n_missing);
        if (r < 0) {
                log_warning_errno(r,
                                  "DeviceAllow= of %s lost %zu entr%s of %s "
                                  "in %s; putting %s back failed: %m",
                                  g->sd_unit, n_missing,
                                  n_missing == 1 ? "y" : "ies", g->device,
                                  g->container, n_missing == 1 ? "it" : "them");
                return 0;
        }
        log_notice("DeviceAllow= of %s lost %zu entr%s of %s in %s (first: "
                   "%s %s): re-applied",
                   g->sd_unit, n_missing, n_missing == 1 ? "y" : "ies",
                   g->device, g->container, missing[0].path, missing[0].access);
        return (int)n_missing;
}
