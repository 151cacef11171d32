/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <sys/epoll.h>

#include "core/daemon.h"
#include "core/rtlookup.h"
#include "devpass/log.h"
#include "devpass/runtime.h"

/* The running containers the agent knows, each pinned by its init's pidfd
 * (watched in epoll: readable means init exited). Starts are found by a
 * bounded rescan, prompted early by inotify on the cgroup roots: pid: and
 * cgroup: targets are resolved in place, what only a runtime knows is asked
 * off the loop (rtlookup.h). */

dp_container *dp_registry_find(dp_daemon *d, const char *ref)
{
        for (size_t i = 0; i < d->n_ctrs; i++)
                if (streq(d->ctrs[i].c->ref, ref))
                        return d->ctrs[i].c;
        return NULL;
}

static void registry_drop(dp_daemon *d, size_t i)
{
        dp_container *c = d->ctrs[i].c;

        if (c->pidfd >= 0)
                dp_loop_del_fd(d->loop, c->pidfd);
        dp_container_free(c);
        memmove(d->ctrs + i, d->ctrs + i + 1,
                sizeof(dp_ctr_entry) * (d->n_ctrs - i - 1));
        d->n_ctrs--;
}

/* Once a stopped container's grants are revoked, the v2 state devpass
 * made for its cgroup (wrapper, grants map, prog array and their pins)
 * goes too, unless a running container or a grant still uses that cgroup
 * (a grant whose revoke failed keeps it for the retry). Without this,
 * the bpffs pin dir grows with every container ever seen. */
static void release_cgroup(dp_daemon *d, const char *cg2)
{
        const dp_act_ops *ops = d->engine->ops;
        const dp_ledger *l = d->engine->ledger;
        int r;

        if (!cg2 || !ops->cg2_release)
                return;
        for (size_t i = 0; i < d->n_ctrs; i++)
                if (d->ctrs[i].c->cgroup_v2 &&
                    streq(d->ctrs[i].c->cgroup_v2, cg2))
                        return;
        for (size_t i = 0; i < l->n; i++)
                if (l->grants[i]->cg_v2 && streq(l->grants[i]->cg_v2, cg2))
                        return;
        r = ops->cg2_release(cg2);
        if (r < 0 && r != -ENOENT && r != -EMEDIUMTYPE)
                log_warning_errno(r, "Releasing the cgroup v2 state of %s: %m",
                                  cg2);
}

/* The container at i is gone: dropped, said, its grants revoked, its
 * cgroup's v2 state released. */
static int registry_forget(dp_daemon *d, size_t i)
{
        _cleanup_free_ char *ref = strdup(d->ctrs[i].c->ref);
        _cleanup_free_ char *cg2 = d->ctrs[i].c->cgroup_v2
                                           ? strdup(d->ctrs[i].c->cgroup_v2)
                                           : NULL;
        int r;

        registry_drop(d, i);
        if (!ref)
                return -ENOMEM;
        dp_daemon_emit(d, "container-stop", "container %s stopped", ref);
        /* all pairs: an Exclusive= device it held may now go to another
         * container */
        r = dp_reconcile(d, NULL, NULL);
        release_cgroup(d, cg2);
        return r;
}

void dp_registry_sweep(dp_daemon *d)
{
        const dp_act_ops *ops = d->engine->ops;
        const char *root = dp_cgroup_v2_root();
        int r;

        if (!ops->cg2_sweep || !root)
                return;
        r = ops->cg2_sweep(root);
        if (r < 0 && r != -EMEDIUMTYPE)
                log_warning_errno(r, "Sweeping cgroup v2 state of cgroups "
                                     "that are gone: %m");
}

/* readable: the container's init exited */
static void src_pidfd(void *data, int fd, uint32_t events)
{
        (void)events;
        (void)dp_registry_handle_pidfd(data, fd);
}

static int registry_add(dp_daemon *d, dp_container *c)
{
        dp_ctr_entry *a = realloc(d->ctrs, sizeof(*a) * (d->n_ctrs + 1));
        int r;

        if (!a)
                return -ENOMEM;
        d->ctrs = a;
        r = dp_loop_add_fd(d->loop, c->pidfd, EPOLLIN, src_pidfd, d);
        if (r < 0)
                return r;
        a[d->n_ctrs++] = (dp_ctr_entry){.c = c, .seen = true};
        return 0;
}

/* A reference the agent resolves itself, from /proc and the cgroup
 * filesystems: no runtime is asked. */
static bool ref_is_local(const char *ref)
{
        return startswith(ref, "pid:") || startswith(ref, "cgroup:");
}

/* Resolves a local ref and registers it if it is new; returns 1 when
 * added. */
static int registry_consider(dp_daemon *d, const char *ref)
{
        dp_container *c = NULL, *known = dp_registry_find(d, ref);
        int r;

        if (known && dp_container_check_alive(known) >= 0) {
                for (size_t i = 0; i < d->n_ctrs; i++)
                        if (d->ctrs[i].c == known)
                                d->ctrs[i].seen = true;
                return 0;
        }
        r = dp_container_resolve(ref, &c);
        if (r < 0)
                return 0; /* not running (now): nothing to track */
        known = dp_registry_find(d, c->ref);
        if (known && known->pid == c->pid && known->starttime == c->starttime) {
                dp_container_free(c);
                return 0;
        }
        r = registry_add(d, c);
        if (r < 0) {
                dp_container_free(c);
                return r;
        }
        dp_daemon_emit(d, "container-start", "container %s started (pid %d%s)",
                       c->ref, (int)c->pid,
                       c->userns ? ", user namespace" : "");
        return 1;
}

void dp_registry_adopt(dp_daemon *d, dp_container *c)
{
        dp_container *known = dp_registry_find(d, c->ref);

        /* a canonical ref can differ from the one asked for ("web" →
         * "lxc:web"); keep one entry per canonical reference */
        if (known && dp_container_check_alive(known) >= 0) {
                dp_container_free(c);
                return;
        }
        for (size_t i = 0; known && i < d->n_ctrs; i++)
                if (d->ctrs[i].c == known) {
                        /* restarted: its pidfd event may still be queued */
                        (void)registry_forget(d, i);
                        break;
                }
        if (registry_add(d, c) < 0) {
                dp_container_free(c);
                return;
        }
        dp_daemon_emit(d, "container-start", "container %s started (pid %d%s)",
                       c->ref, (int)c->pid,
                       c->userns ? ", user namespace" : "");
        (void)dp_reconcile(d, NULL, c->ref);
}

static bool ref_is_concrete(const char *ref)
{
        return !strpbrk(ref, "*?[");
}

/* Asks the runtimes, off the loop, for what they run now and for the
 * runtime containers the ledger names; answers arrive through
 * dp_registry_adopt(). One such lookup at a time: a rescan asked for
 * meanwhile runs when it ends. */
static void rescan_runtimes(dp_daemon *d, char **refs)
{
        unsigned id;
        int r;

        if (dp_rtlookup_running(d, DP_RTLOOKUP_RESCAN)) {
                d->rescan_again = true;
                return;
        }
        r = dp_rtlookup_start(d, DP_RTLOOKUP_RESCAN, refs, NULL, NULL, &id);
        if (r < 0)
                log_debug_errno(r, "Cannot start a runtime lookup: %m");
}

int dp_registry_rescan(dp_daemon *d)
{
        _cleanup_strv_free_ char **refs = NULL, **added = NULL, **remote = NULL;
        int r;

        for (size_t i = 0; i < d->n_ctrs; i++)
                d->ctrs[i].seen = false;
        /* drop the dead first so that a restarted container is re-resolved */
        for (size_t i = d->n_ctrs; i-- > 0;)
                if (dp_container_check_alive(d->ctrs[i].c) < 0)
                        (void)registry_forget(d, i);
        /* containers named concretely by policy, by the config, or by the
         * ledger (manual pid: grants) are tracked although no runtime lists
         * them */
        for (size_t i = 0; d->policy && i < dp_policy_n_rules(d->policy); i++)
                STRV_FOREACH (g,
                              dp_rule_containers(dp_policy_rule(d->policy, i)))
                        if (ref_is_concrete(*g) && ref_is_local(*g))
                                (void)strv_extend(&refs, *g);
        STRV_FOREACH (g, d->cfg.pinned_refs)
                (void)strv_extend(&refs, *g);
        for (size_t i = 0; i < d->engine->ledger->n; i++) {
                const char *ref = d->engine->ledger->grants[i]->container;

                (void)strv_extend(ref_is_local(ref) ? &refs : &remote, ref);
        }
        STRV_FOREACH (ref, refs) {
                if (strv_contains(added, *ref))
                        continue;
                if (!ref_is_local(*ref)) {
                        (void)strv_extend(&remote, *ref);
                        continue;
                }
                r = registry_consider(d, *ref);
                if (r > 0) {
                        dp_container *c = d->ctrs[d->n_ctrs - 1].c;

                        (void)strv_extend(&added, c->ref);
                }
        }
        STRV_FOREACH (ref, added)
                (void)dp_reconcile(d, NULL, *ref);
        rescan_runtimes(d, remote);
        return 0;
}

int dp_registry_handle_pidfd(dp_daemon *d, int fd)
{
        for (size_t i = 0; i < d->n_ctrs; i++)
                if (d->ctrs[i].c->pidfd == fd)
                        return registry_forget(d, i);
        /* not ours any more */
        dp_loop_del_fd(d->loop, fd);
        return 0;
}
