/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "core/engine.h"
#include "core/lease.h"
#include "devpass/hw.h"
#include "devpass/log.h"

/* Crash-test hook, in test builds only (DEVPASS_TESTS):
 * DEVPASS_CRASH_AT=STEP makes the process SIGKILL itself
 * right after STEP, so tests can prove that a restart completes or undoes
 * whatever was half done. Steps: attach-intent, attach-cgroup, attach-node,
 * attach-net, detach-intent, detach-cgroup, detach-node. */
#ifdef DEVPASS_FAULT_HOOKS
static void fault_point(const char *step)
{
        const char *at = getenv("DEVPASS_CRASH_AT");

        if (at && streq(at, step)) {
                log_notice("DEVPASS_CRASH_AT=%s: killing myself", step);
                kill(getpid(), SIGKILL);
        }
}
#else
#define fault_point(step) ((void)0)
#endif

/* o's cgroup rule for type major:minor, or NULL. */
static dp_grant_cg *rule_of(dp_grant *o, char type, unsigned major,
                            unsigned minor)
{
        for (size_t k = 0; k < o->n_nodes; k++)
                if (o->nodes[k].cg.type == type &&
                    o->nodes[k].cg.major == major &&
                    o->nodes[k].cg.minor == minor)
                        return &o->nodes[k].cg;
        return NULL;
}

static dp_grant *find_sharer(dp_engine *e, const dp_grant *g, char type,
                             unsigned major, unsigned minor, const char *path)
{
        for (size_t i = 0; i < e->ledger->n; i++) {
                dp_grant *o = e->ledger->grants[i];

                if (o == g || !streq(o->container, g->container) ||
                    o->pid != g->pid || o->starttime != g->starttime ||
                    o->state == DP_GRANT_REVOKING)
                        continue;
                if (path) {
                        for (size_t k = 0; k < o->n_nodes; k++)
                                if (streq(o->nodes[k].path, path) &&
                                    o->nodes[k].type == type &&
                                    o->nodes[k].major == major &&
                                    o->nodes[k].minor == minor)
                                        return o;
                } else if (rule_of(o, type, major, minor))
                        return o;
        }
        return NULL;
}

static int revoke_cgroup(dp_engine *e, dp_grant *g, size_t from)
{
        int ret = 0, r;

        for (size_t i = from; i < g->n_nodes; i++) {
                dp_grant_cg *cg = &g->nodes[i].cg;
                dp_grant *o;

                if (!cg->v1 && !cg->v2 && !cg->sd)
                        continue;
                o = find_sharer(e, g, cg->type, cg->major, cg->minor, NULL);
                if (o) {
                        /* hand the rule on instead of revoking it */
                        dp_grant_cg *ocg =
                                rule_of(o, cg->type, cg->major, cg->minor);

                        ocg->v1 |= cg->v1;
                        ocg->v2 |= cg->v2;
                        cg->v1 = cg->v2 = false;
                        /* a DeviceAllow= entry only to a grant through the
                         * same unit; else it goes below, with the others */
                        if (o->sd_unit && g->sd_unit &&
                            streq(o->sd_unit, g->sd_unit)) {
                                ocg->sd |= cg->sd;
                                cg->sd = false;
                        }
                        (void)dp_engine_save_grant(e, o);
                        continue;
                }
                if (cg->v1 && g->cg_v1) {
                        r = e->ops->cg1_deny(g->cg_v1, cg->type, cg->major,
                                             cg->minor,
                                             DP_ACCESS_READ | DP_ACCESS_WRITE |
                                                     DP_ACCESS_MKNOD);
                        if (r < 0 && r != -ENOENT && ret == 0)
                                ret = r;
                        if (r >= 0 || r == -ENOENT)
                                cg->v1 = false;
                }
                if (cg->v2 && g->cg_v2) {
                        r = e->ops->cg2_revoke(g->cg_v2, cg->type, cg->major,
                                               cg->minor);
                        if (r < 0 && r != -ENOENT && ret == 0)
                                ret = r;
                        if (r >= 0 || r == -ENOENT)
                                cg->v2 = false;
                }
        }
        /* the DeviceAllow= entries of all these rules in one change */
        r = dp_engine_sd_revoke(e, g, from);
        if (r < 0 && ret == 0)
                ret = r;
        return ret;
}

/* The device behind granted node n, as its uevent names it: sysfs while it
 * is there, and what the grant noted of it at "add" once it is unplugged.
 * Returns 1 when it noted something new. */
static int node_device(dp_grant_node *n, const dp_node_spec *s,
                       const dp_device *d, const char *fallback,
                       char **ret_devpath, char **ret_subsystem)
{
        if (dp_hw_node_sysfs(s->type, s->major, s->minor, ret_devpath,
                             ret_subsystem) >= 0) {
                if (n->devpath && streq(n->devpath, *ret_devpath) &&
                    n->subsystem && streq(n->subsystem, *ret_subsystem))
                        return 0;
                free(n->devpath);
                free(n->subsystem);
                n->devpath = strdup(*ret_devpath);
                n->subsystem = strdup(*ret_subsystem);
                /* both or neither: the ledger keeps the pair. A failed
                 * copy only costs the remove event its device name. */
                if (!n->devpath || !n->subsystem) {
                        free(n->devpath);
                        free(n->subsystem);
                        n->devpath = n->subsystem = NULL;
                }
                return 1;
        }
        free(*ret_devpath);
        free(*ret_subsystem);
        *ret_devpath = *ret_subsystem = NULL;
        if (n->devpath && n->subsystem) {
                *ret_devpath = strdup(n->devpath);
                *ret_subsystem = strdup(n->subsystem);
        } else if (fallback && startswith(fallback, "/sys/")) {
                /* a grant from before nodes remembered their device */
                *ret_devpath = strdup(fallback + 4);
                *ret_subsystem = strdup(d && d->subsystem ? d->subsystem
                                        : s->type == 'b'  ? "block"
                                                          : "char");
        } else
                return -ENOENT;
        return *ret_devpath && *ret_subsystem ? 0 : -ENOMEM;
}

/* Forward=yes: the container's udev view follows the grant. Containers
 * without /run/udev, or running their own udevd, are left alone. */
static void forward_nodes(dp_engine *e, dp_grant *g, const dp_container *c,
                          const dp_device *d, const char *action)
{
        bool noted = false;

        if (!g->forward || !e->ops->forward)
                return;
        for (size_t i = 0; i < g->n_nodes; i++) {
                _cleanup_free_ char *devpath = NULL, *subsystem = NULL;
                dp_node_spec s;
                int r;

                dp_grant_node_spec(&g->nodes[i], &s);
                r = node_device(&g->nodes[i], &s, d, d ? d->syspath : g->device,
                                &devpath, &subsystem);
                if (r < 0)
                        continue;
                noted |= r > 0;
                r = e->ops->forward(c, action, subsystem, devpath,
                                    d ? d->properties : NULL,
                                    d ? d->tags : NULL, &s);
                if (r == -ENOTDIR || r == -EBUSY) {
                        log_debug("Not forwarding %s into %s: %s", s.path,
                                  g->container,
                                  r == -EBUSY ? "it runs its own udevd"
                                              : "it has no /run/udev");
                        break;
                }
                if (r < 0)
                        log_warning_errno(r, "Forwarding %s %s into %s: %m",
                                          action, s.path, g->container);
        }
        if (noted && streq(action, "add"))
                (void)dp_engine_save_grant(e, g);
}

/* A DRM GPU's /dev/dri/by-path/pci-SLOT-{card,render} links, which Mesa
 * and friends use to pick a GPU. The slot is the GPU's sysfs name, so the
 * links follow from the grant alone (nothing extra in the ledger). */
static void gpu_links(dp_engine *e, const dp_grant *g, const dp_container *c,
                      bool create)
{
        const char *slot = strrchr(g->device, '/');
        unsigned dom, bus, dev, fn;
        char extra;

        if (!slot || sscanf(slot + 1, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn,
                            &extra) != 4)
                return;
        if (!(create ? e->ops->symlink_create : e->ops->symlink_remove))
                return;
        for (size_t i = 0; i < g->n_nodes; i++) {
                const dp_grant_node *n = &g->nodes[i];
                const char *base;
                char link[PATH_MAX], target[PATH_MAX];
                int r;

                if (!n->host || !streq(n->host, n->path) ||
                    !startswith(n->path, "/dev/dri/"))
                        continue;
                base = n->path + strlen("/dev/dri/");
                if (!startswith(base, "card") && !startswith(base, "renderD"))
                        continue;
                snprintf(link, sizeof(link), "/dev/dri/by-path/pci-%s-%s",
                         slot + 1,
                         startswith(base, "card") ? "card" : "render");
                snprintf(target, sizeof(target), "../%s", base);
                r = create ? e->ops->symlink_create(c, link, target)
                           : e->ops->symlink_remove(c, link, target);
                if (r < 0)
                        log_warning_errno(r, "%s %s in %s: %m",
                                          create ? "Linking" : "Unlinking",
                                          link, g->container);
        }
}

/* evdev and hidraw descriptors opened before the revoke can be cut off for
 * real; every other kind keeps working until closed (documented). */
static void revoke_open_fds(dp_engine *e, const dp_grant *g,
                            const dp_container *c)
{
        unsigned hid = 0;
        bool hid_read = false;

        if (!e->ops->revoke_open)
                return;
        for (size_t i = 0; i < g->n_nodes; i++) {
                const dp_grant_node *n = &g->nodes[i];
                int r;

                if (n->type != 'c')
                        continue;
                /* hidraw's major is dynamic: looked up once, when needed */
                if (n->major != 13 && !hid_read) {
                        if (dp_hw_char_major("hidraw", &hid) < 0)
                                hid = 0;
                        hid_read = true;
                }
                r = e->ops->revoke_open(c->pid, n->type, n->major, n->minor,
                                        hid);
                if (r > 0)
                        log_info("Revoked %d open descriptor%s of %s in %s", r,
                                 r == 1 ? "" : "s", n->path, g->container);
                else if (r < 0 && r != -EOPNOTSUPP)
                        /* e.g. ENOTTY: hidraw has HIDIOCREVOKE only since
                         * Linux 6.12, so on older kernels a holder keeps
                         * its descriptor; say so rather than stay silent */
                        log_warning_errno(r,
                                          "Open descriptors of %s in %s "
                                          "cannot be revoked: %m",
                                          n->path, g->container);
        }
}

static int remove_nodes(dp_engine *e, dp_grant *g, const dp_container *c,
                        size_t from)
{
        int ret = 0;

        for (size_t i = from; i < g->n_nodes; i++) {
                dp_grant_node *n = &g->nodes[i];
                dp_node_spec s;
                dp_grant *o;
                int r;

                if (!n->created)
                        continue;
                o = find_sharer(e, g, n->type, n->major, n->minor, n->path);
                if (o) {
                        for (size_t k = 0; k < o->n_nodes; k++)
                                if (streq(o->nodes[k].path, n->path))
                                        o->nodes[k].created = true;
                        n->created = false;
                        (void)dp_engine_save_grant(e, o);
                        continue;
                }
                dp_grant_node_spec(n, &s);
                r = e->ops->node_remove(c, &s);
                if (r < 0 && r != -ESRCH && ret == 0)
                        ret = r;
                if (r >= 0 || r == -ESRCH)
                        n->created = false;
        }
        return ret;
}

int dp_engine_detach(dp_engine *e, dp_grant *g, const dp_container *c)
{
        bool alive = dp_grant_same_instance(g, c) &&
                     dp_container_check_alive(c) >= 0;
        int r, ret = 0;

        bool unfinished = g->state == DP_GRANT_APPLYING;

        g->state = DP_GRANT_REVOKING;
        (void)dp_engine_save_grant(e, g);
        fault_point("detach-intent");

        /* Deny first: once the cgroup refuses the device, a node that is
         * still there for a moment opens nothing. */
        r = revoke_cgroup(e, g, 0);
        if (r < 0)
                ret = r;
        fault_point("detach-cgroup");
        if (alive) {
                revoke_open_fds(e, g, c);
                forward_nodes(e, g, c, NULL, "remove");
                gpu_links(e, g, c, false);
                r = remove_nodes(e, g, c, 0);
                if (r < 0 && ret == 0)
                        ret = r;
                fault_point("detach-node");
        }
        if (!alive)
                dp_engine_release_leftovers(e, g);
        r = dp_engine_return_nic(e, g, c, alive, unfinished);
        if (r < 0 && ret == 0)
                ret = r;
        if (ret < 0) {
                (void)dp_engine_save_grant(e, g);
                return ret;
        }
        if (dp_ledger_unlink_grant(e->ledger, g) < 0)
                log_warning("Could not remove the ledger entry of %s in %s; "
                            "the next start revokes it again",
                            g->device, g->container);
        dp_ledger_remove(e->ledger, g);
        return 0;
}

unsigned dp_grant_host_mode(const char *path)
{
        struct stat st;

        if (path && stat(path, &st) >= 0)
                return st.st_mode & 07777;
        return 0660;
}

static int plan_node(dp_grant *g, const dp_node *dn, const char *path,
                     const dp_grant_opts *o)
{
        unsigned access =
                o->access ? o->access : DP_ACCESS_READ | DP_ACCESS_WRITE;
        dp_grant_node gn = {
                .path = (char *)(path ? path : dn->path),
                .host = dn->path,
                .type = dn->type,
                .major = dn->major,
                .minor = dn->minor,
                .mode = o->mode >= 0 ? (unsigned)o->mode
                                     : dp_grant_host_mode(dn->path),
                .uid = o->owner >= 0 ? (uint32_t)o->owner : 0,
                .gid = o->group >= 0 ? (uint32_t)o->group : 0,
                .cg = {.type = dn->type,
                       .major = dn->major,
                       .minor = dn->minor,
                       .access = access},
        };

        /* a node listed twice under two names is granted once */
        for (size_t k = 0; k < g->n_nodes; k++)
                if (streq(g->nodes[k].path, gn.path))
                        return -EEXIST;
        return dp_grant_add_node(g, &gn);
}

/* The nodes of d this grant is about: the bundle, or the device's own. */
static size_t wanted_nodes(const dp_device *d, bool companions)
{
        return companions ? d->n_nodes : (d->n_nodes > 0 ? 1 : 0);
}

static int plan_nodes(dp_grant *g, const dp_device *d, const dp_grant_opts *o)
{
        for (size_t i = 0; i < wanted_nodes(d, o->companions); i++) {
                int r = plan_node(g, &d->nodes[i], i == 0 ? o->path : NULL, o);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int new_grant(const dp_container *c, const dp_device *d,
                     const dp_grant_opts *o, dp_grant **ret)
{
        _cleanup_(dp_grant_freep) dp_grant *g = dp_grant_new();

        if (!g)
                return -ENOMEM;
        g->container = strdup(c->ref);
        g->device = strdup(d->syspath);
        g->source = strdup(o->source ? o->source : "manual");
        g->rule = o->rule ? strdup(o->rule) : NULL;
        g->cg_v1 = c->cgroup_v1_devices ? strdup(c->cgroup_v1_devices) : NULL;
        g->cg_v2 = c->cgroup_v2 ? strdup(c->cgroup_v2) : NULL;
        if (!g->container || !g->device || !g->source ||
            (o->rule && !g->rule) || (c->cgroup_v1_devices && !g->cg_v1) ||
            (c->cgroup_v2 && !g->cg_v2))
                return -ENOMEM;
        g->pid = c->pid;
        g->starttime = c->starttime;
        g->userns = c->userns;
        g->access = o->access ? o->access : DP_ACCESS_READ | DP_ACCESS_WRITE;
        g->forward = o->forward;
        g->companions = o->companions;
        if (o->lease_ms)
                g->lease_until = dp_now_realtime_ms() + o->lease_ms;
        g->state = DP_GRANT_APPLYING;
        *ret = TAKE_PTR(g);
        return 0;
}

/* Every flag is set *before* the step it stands for and saved, so that a
 * crash in the middle leaves a ledger that over- rather than under-states
 * what was done: undoing a step that never happened is harmless, leaking
 * one is not. A node or rule that is there before we start is not ours to
 * remove later. One save covers all the flags of a grant. */
static int prepare_steps(dp_engine *e, const dp_container *c, dp_grant *g,
                         size_t from)
{
        int r0;

        for (size_t i = from; i < g->n_nodes; i++) {
                dp_grant_cg *cg = &g->nodes[i].cg;
                int r = 0;

                if (c->cgroup_v1_devices) {
                        r = e->ops->cg1_covered(c->cgroup_v1_devices, cg->type,
                                                cg->major, cg->minor,
                                                cg->access);
                        if (r < 0)
                                return r;
                }
                cg->v1 = c->cgroup_v1_devices && (r == 0 || e->adopt_found);
                cg->v2 = c->cgroup_v2 != NULL;
        }
        r0 = dp_engine_sd_prepare(e, g, from);
        if (r0 < 0)
                return r0;
        for (size_t i = from; i < g->n_nodes; i++) {
                dp_node_spec s;
                int r;

                dp_grant_node_spec(&g->nodes[i], &s);
                r = e->ops->node_present(c, &s);
                if (r < 0 && r != -EEXIST)
                        return r;
                g->nodes[i].created = r == 0 || e->adopt_found;
        }
        return 0;
}

static int apply_cgroup(dp_engine *e, const dp_container *c, dp_grant *g,
                        size_t from)
{
        for (size_t i = from; i < g->n_nodes; i++) {
                dp_grant_cg *cg = &g->nodes[i].cg;
                int r;

                if (cg->v1) {
                        _cleanup_free_ char *before = NULL;

                        /* NULL when unreadable: then nothing below */
                        (void)dp_cg1_list(c->cgroup_v1_devices, &before);
                        r = e->ops->cg1_allow(c->cgroup_v1_devices, cg->type,
                                              cg->major, cg->minor, cg->access);
                        if (r < 0)
                                return r;
                        dp_engine_cg1_allow_below(e, c->cgroup_v1_devices, cg,
                                                  before);
                }
                if (cg->v2) {
                        bool changed = false;

                        r = e->ops->cg2_grant(c->cgroup_v2, cg->type, cg->major,
                                              cg->minor, cg->access, &changed);
                        if (r < 0)
                                return r;
                        cg->v2 = changed;
                }
        }
        return dp_engine_sd_apply(e, g, from);
}

static int apply_nodes(dp_engine *e, const dp_container *c, dp_grant *g,
                       size_t from)
{
        for (size_t i = from; i < g->n_nodes; i++) {
                dp_node_spec s;
                bool created = false;
                int r;

                dp_grant_node_spec(&g->nodes[i], &s);
                r = e->ops->node_create(c, &s, &created);
                if (r < 0) {
                        /* nodes from here on were not made */
                        for (size_t k = i; k < g->n_nodes; k++)
                                g->nodes[k].created = false;
                        return r;
                }
                g->nodes[i].created =
                        g->nodes[i].created && (created || e->adopt_found);
                if (created && !c->userns && e->ops->node_backing)
                        dp_engine_note_backing(e, c, &g->nodes[i], &s);
                if (!created && !e->adopt_found)
                        log_info("%s in %s was already there, not made by "
                                 "devpass: used as it is (owner and mode "
                                 "unchanged, never removed)",
                                 s.path, g->container);
                if (i == from)
                        fault_point("attach-node");
        }
        return 0;
}

int dp_engine_attach(dp_engine *e, const dp_container *c, const dp_device *d,
                     const dp_grant_opts *o, dp_grant **ret)
{
        _cleanup_(dp_grant_freep) dp_grant *g = NULL;
        dp_grant *added;
        int r;

        if (dp_ledger_find(e->ledger, c->ref, d->syspath))
                return -EEXIST;
        r = dp_container_check_alive(c);
        if (r < 0)
                return r;
        r = new_grant(c, d, o, &g);
        if (r < 0)
                return r;
        if (dp_class_desc_of(d->klass)->nic) {
                if (strlen(d->name) >= sizeof(g->netdev.name))
                        return -EINVAL;
                if (!o->default_route_nic && dp_hw_default_route_nic(d->name))
                        return -EADDRINUSE;
                strcpy(g->netdev.name, d->name);
        } else {
                if (d->n_nodes == 0)
                        return -ENODEV;
                r = plan_nodes(g, d, o);
                if (r < 0)
                        return r;
        }
        if (dp_class_desc_of(d->klass)->nic) {
                dp_netdev_saved id;

                /* where to look for it if we die during the move: its
                 * identity, not only its names */
                g->has_netdev = true;
                if (e->ops->net_identify &&
                    e->ops->net_identify(d->name, &id) >= 0)
                        g->netdev = id;
                snprintf(g->netdev.name_inside, sizeof(g->netdev.name_inside),
                         "%s", o->ifname ? o->ifname : d->name);
                if (d->mac && strlen(d->mac) < sizeof(g->netdev.mac))
                        strcpy(g->netdev.mac, d->mac);
        }
        if (!g->has_netdev) {
                r = dp_engine_sd_plan(e, c, g);
                if (r < 0)
                        return r;
        }
        r = dp_ledger_add(e->ledger, g);
        if (r < 0)
                return r;
        added = TAKE_PTR(g);
        r = prepare_steps(e, c, added, 0);
        if (r < 0) {
                dp_ledger_remove(e->ledger, added);
                return r;
        }
        (void)dp_engine_save_grant(e, added);
        fault_point("attach-intent");

        if (dp_class_desc_of(d->klass)->nic) {
                dp_netdev_saved saved = {};

                r = e->ops->net_move_in(c, d->name, o->ifname, &saved,
                                        &added->netns_fd);
                if (r >= 0) {
                        added->netdev = saved;
                        (void)dp_engine_save_grant(e, added);
                        fault_point("attach-net");
                } else
                        /* move_in rolls its own failure back */
                        added->has_netdev = false;
        } else {
                r = apply_cgroup(e, c, added, 0);
                if (r >= 0) {
                        fault_point("attach-cgroup");
                        r = apply_nodes(e, c, added, 0);
                }
        }
        if (r < 0) {
                int k = dp_engine_detach(e, added, c);

                if (k < 0)
                        log_warning_errno(k,
                                          "Rolling back %s in %s failed, "
                                          "kept in ledger for retry: %m",
                                          d->syspath, c->ref);
                return r;
        }
        added->state = DP_GRANT_APPLIED;
        (void)dp_engine_save_grant(e, added);
        if (dp_class_desc_of(d->klass)->links)
                gpu_links(e, added, c, true);
        forward_nodes(e, added, c, d, "add");
        if (ret)
                *ret = added;
        return 0;
}

/* A granted node mirrors this host node (path and numbers). */
static bool mirrors(const dp_grant_node *n, const dp_node *dn)
{
        return n->host && streq(n->host, dn->path) && n->type == dn->type &&
               n->major == dn->major && n->minor == dn->minor;
}

static bool grant_has_node(const dp_grant *g, size_t n, const dp_node *dn)
{
        for (size_t i = 0; i < n; i++)
                if (mirrors(&g->nodes[i], dn))
                        return true;
        return false;
}

static bool device_has_node(const dp_device *d, size_t want,
                            const dp_grant_node *n)
{
        for (size_t k = 0; k < want; k++)
                if (mirrors(n, &d->nodes[k]))
                        return true;
        return false;
}

bool dp_grant_bundle_differs(const dp_grant *g, const dp_device *d)
{
        size_t want = wanted_nodes(d, g->companions);

        if (g->has_netdev)
                return false;
        for (size_t i = 0; i < g->n_nodes; i++)
                if (!device_has_node(d, want, &g->nodes[i]))
                        return true;
        for (size_t k = 0; k < want; k++)
                if (!grant_has_node(g, g->n_nodes, &d->nodes[k]))
                        return true;
        return false;
}

/* Moves the nodes (each with its cgroup rule) that d no longer has to the
 * end of the array; returns how many stay in front. */
static size_t partition_stale(dp_grant *g, const dp_device *d)
{
        size_t want = wanted_nodes(d, g->companions), keep = 0;

        for (size_t i = 0; i < g->n_nodes; i++) {
                if (!device_has_node(d, want, &g->nodes[i]))
                        continue;
                if (i != keep) {
                        dp_grant_node tn = g->nodes[keep];

                        g->nodes[keep] = g->nodes[i];
                        g->nodes[i] = tn;
                }
                keep++;
        }
        return keep;
}

static void truncate_nodes(dp_grant *g, size_t n)
{
        for (size_t i = n; i < g->n_nodes; i++)
                dp_grant_node_done(&g->nodes[i]);
        g->n_nodes = n;
}

int dp_engine_update(dp_engine *e, dp_grant *g, const dp_container *c,
                     const dp_device *d, const dp_grant_opts *o)
{
        _cleanup_free_ char *own_path = NULL;
        size_t keep, from, want = wanted_nodes(d, g->companions);
        bool own_replaced;
        int r;

        if (g->has_netdev)
                return 0;
        /* the device's own node keeps its inside path (Path=) across a
         * re-enumeration that gave it a new number */
        if (g->n_nodes > 0 && g->nodes[0].host &&
            !streq(g->nodes[0].path, g->nodes[0].host))
                own_path = strdup(g->nodes[0].path);
        own_replaced =
                g->n_nodes > 0 && !device_has_node(d, want, &g->nodes[0]);
        keep = partition_stale(g, d);
        if (keep < g->n_nodes) {
                /* deny first, then remove: as in a detach, node by node */
                r = revoke_cgroup(e, g, keep);
                if (r >= 0)
                        r = remove_nodes(e, g, c, keep);
                if (r < 0) {
                        (void)dp_engine_save_grant(e, g);
                        return r;
                }
                truncate_nodes(g, keep);
        }
        from = g->n_nodes;
        for (size_t k = 0; k < want; k++) {
                if (grant_has_node(g, from, &d->nodes[k]))
                        continue;
                r = plan_node(g, &d->nodes[k],
                              k == 0 && own_replaced ? own_path : NULL, o);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        if (g->n_nodes > from) {
                r = prepare_steps(e, c, g, from);
                if (r < 0) {
                        truncate_nodes(g, from);
                        return r;
                }
                (void)dp_engine_save_grant(e, g);
                r = apply_cgroup(e, c, g, from);
                if (r >= 0)
                        r = apply_nodes(e, c, g, from);
                if (r < 0) {
                        /* what was added goes again; the rest stays */
                        (void)revoke_cgroup(e, g, from);
                        (void)remove_nodes(e, g, c, from);
                        truncate_nodes(g, from);
                        (void)dp_engine_save_grant(e, g);
                        return r;
                }
        }
        return dp_engine_save_grant(e, g);
}
