/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "core/ledger.h"
#include "devpass/device.h"
#include "devpass/util.h"

static const char *const state_names[] = {
        [DP_GRANT_APPLYING] = "applying",
        [DP_GRANT_APPLIED] = "applied",
        [DP_GRANT_REVOKING] = "revoking",
};

const char *dp_grant_state_to_string(dp_grant_state s)
{
        return (unsigned)s < ELEMENTSOF(state_names) ? state_names[s] : "?";
}

dp_grant *dp_grant_new(void)
{
        dp_grant *g = calloc(1, sizeof(dp_grant));

        if (g)
                g->netns_fd = -EBADF;
        return g;
}

void dp_grant_free(dp_grant *g)
{
        if (!g)
                return;
        free(g->container);
        free(g->cg_v1);
        free(g->cg_v2);
        free(g->sd_unit);
        free(g->cg_why);
        free(g->device);
        free(g->source);
        free(g->rule);
        for (size_t i = 0; i < g->n_nodes; i++)
                dp_grant_node_done(&g->nodes[i]);
        free(g->nodes);
        free(g->lost);
        safe_close(g->netns_fd);
        free(g);
}

void dp_grant_node_done(dp_grant_node *n)
{
        free(n->path);
        free(n->host);
        free(n->backing);
        free(n->devpath);
        free(n->subsystem);
}

static int dup_opt(const char *s, char **ret)
{
        *ret = s ? strdup(s) : NULL;
        return s && !*ret ? -ENOMEM : 0;
}

int dp_grant_add_node(dp_grant *g, const dp_grant_node *n)
{
        dp_grant_node copy = {0}, *a;

        if (!n->path || dup_opt(n->path, &copy.path) < 0 ||
            dup_opt(n->host, &copy.host) < 0 ||
            dup_opt(n->backing, &copy.backing) < 0 ||
            dup_opt(n->devpath, &copy.devpath) < 0 ||
            dup_opt(n->subsystem, &copy.subsystem) < 0)
                goto nomem;
        a = realloc(g->nodes, sizeof(*a) * (g->n_nodes + 1));
        if (!a)
                goto nomem;
        g->nodes = a;
        a[g->n_nodes] = *n;
        a[g->n_nodes].path = copy.path;
        a[g->n_nodes].host = copy.host;
        a[g->n_nodes].backing = copy.backing;
        a[g->n_nodes].devpath = copy.devpath;
        a[g->n_nodes].subsystem = copy.subsystem;
        g->n_nodes++;
        return 0;
nomem:
        dp_grant_node_done(&copy);
        return -ENOMEM;
}

void dp_ledger_free(dp_ledger *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                dp_grant_free(l->grants[i]);
        free(l->grants);
        free(l->dir);
        free(l);
}

dp_grant *dp_ledger_find(const dp_ledger *l, const char *container,
                         const char *device)
{
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->grants[i]->container, container) &&
                    streq(l->grants[i]->device, device))
                        return l->grants[i];
        return NULL;
}

int dp_ledger_add(dp_ledger *l, dp_grant *g)
{
        dp_grant **a = realloc(l->grants, sizeof(*a) * (l->n + 1));

        if (!a)
                return -ENOMEM;
        l->grants = a;
        a[l->n++] = g;
        return 0;
}

void dp_ledger_remove(dp_ledger *l, dp_grant *g)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->grants[i] == g) {
                        memmove(l->grants + i, l->grants + i + 1,
                                sizeof(dp_grant *) * (l->n - i - 1));
                        l->n--;
                        dp_grant_free(g);
                        return;
                }
}

/* ---- JSON ---- */

static int add_str(json_object *o, const char *k, const char *v)
{
        json_object *s = v ? json_object_new_string(v) : NULL;

        if (v && !s)
                return -ENOMEM;
        return json_object_object_add(o, k, s) < 0 ? -ENOMEM : 0;
}

static int add_int(json_object *o, const char *k, int64_t v)
{
        json_object *i = json_object_new_int64(v);

        if (!i)
                return -ENOMEM;
        return json_object_object_add(o, k, i) < 0 ? -ENOMEM : 0;
}

static int add_bool(json_object *o, const char *k, bool v)
{
        return json_object_object_add(o, k, json_object_new_boolean(v)) < 0
                       ? -ENOMEM
                       : 0;
}

static int add_u64(json_object *o, const char *k, uint64_t v)
{
        return json_object_object_add(o, k, json_object_new_uint64(v)) < 0
                       ? -ENOMEM
                       : 0;
}

static int node_to_json(const dp_grant_node *n, json_object **ret)
{
        json_object *o = json_object_new_object();
        char t[2] = {n->type, 0};

        if (!o)
                return -ENOMEM;
        if (add_str(o, "path", n->path) < 0 ||
            add_str(o, "host", n->host) < 0 || add_str(o, "type", t) < 0 ||
            add_int(o, "major", n->major) < 0 ||
            add_int(o, "minor", n->minor) < 0 ||
            add_int(o, "mode", n->mode) < 0 || add_int(o, "uid", n->uid) < 0 ||
            add_int(o, "gid", n->gid) < 0 ||
            add_bool(o, "created", n->created) < 0 ||
            (n->backing &&
             (add_str(o, "backing", n->backing) < 0 ||
              add_u64(o, "backing_dev", n->backing_dev) < 0 ||
              add_u64(o, "backing_ino", n->backing_ino) < 0 ||
              add_u64(o, "backing_ctime", n->backing_ctime) < 0)) ||
            (n->devpath && (add_str(o, "devpath", n->devpath) < 0 ||
                            add_str(o, "subsystem", n->subsystem) < 0))) {
                json_object_put(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

static int cg_to_json(const dp_grant_cg *c, json_object **ret)
{
        json_object *o = json_object_new_object();
        char t[2] = {c->type, 0}, acc[4];

        if (!o)
                return -ENOMEM;
        if (add_str(o, "type", t) < 0 || add_int(o, "major", c->major) < 0 ||
            add_int(o, "minor",
                    c->minor == DP_MINOR_ANY ? -1 : (int64_t)c->minor) < 0 ||
            add_str(o, "access", dp_access_to_string(c->access, acc)) < 0 ||
            add_bool(o, "v1", c->v1) < 0 || add_bool(o, "v2", c->v2) < 0 ||
            (c->sd && add_bool(o, "systemd", c->sd) < 0)) {
                json_object_put(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

static int netdev_to_json(const dp_netdev_saved *s, json_object **ret)
{
        json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        if (add_str(o, "name", s->name) < 0 ||
            add_str(o, "name_inside", s->name_inside) < 0 ||
            add_str(o, "mac", s->mac) < 0 || add_int(o, "mtu", s->mtu) < 0 ||
            add_bool(o, "up", s->up) < 0 ||
            add_int(o, "ifindex_inside", s->ifindex_inside) < 0 ||
            add_str(o, "kind", s->kind) < 0 ||
            add_int(o, "anchor_ifindex", s->anchor_ifindex) < 0 ||
            add_str(o, "parent", s->parent) < 0 ||
            add_str(o, "perm_mac", s->perm_mac) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

int dp_grant_to_json(const dp_grant *g, json_object **ret)
{
        json_object *o = json_object_new_object(), *nodes, *cgs, *nd = NULL;
        char acc[4];

        if (!o)
                return -ENOMEM;
        nodes = json_object_new_array();
        cgs = json_object_new_array();
        json_object_object_add(o, "nodes", nodes);
        json_object_object_add(o, "cgroup", cgs);
        if (!nodes || !cgs || add_str(o, "container", g->container) < 0 ||
            add_int(o, "pid", g->pid) < 0 ||
            add_int(o, "starttime", (int64_t)g->starttime) < 0 ||
            add_bool(o, "userns", g->userns) < 0 ||
            add_str(o, "cgroup_v1", g->cg_v1) < 0 ||
            add_str(o, "cgroup_v2", g->cg_v2) < 0 ||
            add_str(o, "device", g->device) < 0 ||
            add_str(o, "source", g->source) < 0 ||
            add_str(o, "state", dp_grant_state_to_string(g->state)) < 0 ||
            add_str(o, "access", dp_access_to_string(g->access, acc)) < 0 ||
            add_bool(o, "forward", g->forward) < 0 ||
            add_bool(o, "companions", g->companions) < 0 ||
            (g->rule && add_str(o, "rule", g->rule) < 0) ||
            (g->sd_unit && add_str(o, "systemd_unit", g->sd_unit) < 0) ||
            (g->cg_why && add_str(o, "cgroup_why", g->cg_why) < 0) ||
            (g->sd_beside && add_bool(o, "systemd_beside", true) < 0) ||
            (g->lost && add_str(o, "lost", g->lost) < 0) ||
            (g->lease_until && add_u64(o, "lease_until", g->lease_until) < 0))
                goto fail;
        for (size_t i = 0; i < g->n_nodes; i++) {
                json_object *n;

                if (node_to_json(&g->nodes[i], &n) < 0)
                        goto fail;
                json_object_array_add(nodes, n);
        }
        for (size_t i = 0; i < g->n_nodes; i++) {
                json_object *c;

                if (cg_to_json(&g->nodes[i].cg, &c) < 0)
                        goto fail;
                json_object_array_add(cgs, c);
        }
        if (g->has_netdev && netdev_to_json(&g->netdev, &nd) < 0)
                goto fail;
        json_object_object_add(o, "netdev", nd);
        *ret = o;
        return 0;
fail:
        json_object_put(o);
        return -ENOMEM;
}

/* Strict readers: a ledger entry with a missing or mistyped field is
 * rejected rather than guessed at. */
static int get_str(json_object *o, const char *k, bool nullable, char **ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v))
                return -EBADMSG;
        if (!v) {
                if (!nullable)
                        return -EBADMSG;
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int get_int(json_object *o, const char *k, int64_t min, int64_t max,
                   int64_t *ret)
{
        json_object *v;
        int64_t i;

        if (!json_object_object_get_ex(o, k, &v) ||
            !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        i = json_object_get_int64(v);
        if (i < min || i > max)
                return -EBADMSG;
        *ret = i;
        return 0;
}

static int get_bool(json_object *o, const char *k, bool *ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v) ||
            !json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

static int get_type(json_object *o, char *ret)
{
        _cleanup_free_ char *t = NULL;
        int r = get_str(o, "type", false, &t);

        if (r < 0)
                return r;
        if (!streq(t, "c") && !streq(t, "b"))
                return -EBADMSG;
        *ret = t[0];
        return 0;
}

static int get_access(json_object *o, unsigned *ret)
{
        _cleanup_free_ char *a = NULL;
        int r = get_str(o, "access", false, &a);

        if (r < 0)
                return r;
        if (dp_access_parse(a, ret) < 0)
                return -EBADMSG;
        return 0;
}

static int get_u64(json_object *o, const char *k, uint64_t *ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v) ||
            !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        *ret = json_object_get_uint64(v);
        return 0;
}

static int node_from_json(json_object *o, dp_grant *g)
{
        dp_grant_node n = {0};
        int64_t maj, min, mode, uid, gid;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if ((r = get_str(o, "path", false, &n.path)) < 0 ||
            (r = get_str(o, "host", true, &n.host)) < 0 ||
            (r = get_type(o, &n.type)) < 0 ||
            (r = get_int(o, "major", 0, 4095, &maj)) < 0 ||
            (r = get_int(o, "minor", 0, (1 << 20) - 1, &min)) < 0 ||
            (r = get_int(o, "mode", 0, 07777, &mode)) < 0 ||
            (r = get_int(o, "uid", 0, UINT32_MAX, &uid)) < 0 ||
            (r = get_int(o, "gid", 0, UINT32_MAX, &gid)) < 0 ||
            (r = get_bool(o, "created", &n.created)) < 0 ||
            (json_object_object_get_ex(o, "backing", NULL) &&
             (r = get_str(o, "backing", true, &n.backing)) < 0) ||
            (json_object_object_get_ex(o, "devpath", NULL) &&
             ((r = get_str(o, "devpath", false, &n.devpath)) < 0 ||
              (r = get_str(o, "subsystem", false, &n.subsystem)) < 0)))
                goto out;
        /* the agent sends these into the container as a uevent's DEVPATH
         * and SUBSYSTEM: the shapes the forwarder accepts, nothing else */
        if (n.devpath && (n.devpath[0] != '/' || !n.subsystem[0] ||
                          strchr(n.subsystem, '/'))) {
                r = -EBADMSG;
                goto out;
        }
        if (n.backing &&
            (n.backing[0] != '/' ||
             (r = get_u64(o, "backing_dev", &n.backing_dev)) < 0 ||
             (r = get_u64(o, "backing_ino", &n.backing_ino)) < 0 ||
             (r = get_u64(o, "backing_ctime", &n.backing_ctime)) < 0)) {
                r = -EBADMSG;
                goto out;
        }
        if (n.path[0] != '/') {
                r = -EBADMSG;
                goto out;
        }
        n.major = (unsigned)maj;
        n.minor = (unsigned)min;
        n.mode = (unsigned)mode;
        n.uid = (uint32_t)uid;
        n.gid = (uint32_t)gid;
        r = dp_grant_add_node(g, &n);
out:
        dp_grant_node_done(&n);
        return r;
}

static int cg_from_json(json_object *o, dp_grant_cg *ret)
{
        dp_grant_cg c = {0};
        int64_t maj, min;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if ((r = get_type(o, &c.type)) < 0 ||
            (r = get_int(o, "major", 0, 4095, &maj)) < 0 ||
            (r = get_int(o, "minor", -1, (1 << 20) - 1, &min)) < 0 ||
            (r = get_access(o, &c.access)) < 0 ||
            (r = get_bool(o, "v1", &c.v1)) < 0 ||
            (r = get_bool(o, "v2", &c.v2)) < 0)
                return r;
        /* optional: records from before grants went through systemd */
        if (json_object_object_get_ex(o, "systemd", NULL) &&
            (r = get_bool(o, "systemd", &c.sd)) < 0)
                return r;
        c.major = (unsigned)maj;
        c.minor = min < 0 ? DP_MINOR_ANY : (unsigned)min;
        *ret = c;
        return 0;
}

static int copy_field(char *dst, size_t size, json_object *o, const char *k)
{
        _cleanup_free_ char *s = NULL;
        int r = get_str(o, k, false, &s);

        if (r < 0)
                return r;
        if (strlen(s) >= size)
                return -EBADMSG;
        strcpy(dst, s);
        return 0;
}

static int netdev_from_json(json_object *o, dp_netdev_saved *s)
{
        int64_t mtu, idx;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if ((r = copy_field(s->name, sizeof(s->name), o, "name")) < 0 ||
            (r = copy_field(s->name_inside, sizeof(s->name_inside), o,
                            "name_inside")) < 0 ||
            (r = copy_field(s->mac, sizeof(s->mac), o, "mac")) < 0 ||
            (r = get_int(o, "mtu", 0, 1 << 20, &mtu)) < 0 ||
            (r = get_bool(o, "up", &s->up)) < 0 ||
            (r = get_int(o, "ifindex_inside", 0, INT32_MAX, &idx)) < 0)
                return r;
        s->mtu = (unsigned)mtu;
        s->ifindex_inside = (int)idx;
        /* the NIC's identity: absent in entries of older agents, which
         * then find nothing to move back rather than guess */
        if (!json_object_object_get_ex(o, "kind", NULL))
                return 0;
        if ((r = copy_field(s->kind, sizeof(s->kind), o, "kind")) < 0 ||
            (r = get_int(o, "anchor_ifindex", 0, INT32_MAX, &idx)) < 0 ||
            (r = copy_field(s->parent, sizeof(s->parent), o, "parent")) < 0 ||
            (r = copy_field(s->perm_mac, sizeof(s->perm_mac), o, "perm_mac")) <
                    0)
                return r;
        s->anchor_ifindex = (int)idx;
        return 0;
}

static int parse_state(const char *s, dp_grant_state *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(state_names); i++)
                if (streq(s, state_names[i])) {
                        *ret = (dp_grant_state)i;
                        return 0;
                }
        return -EBADMSG;
}

int dp_grant_from_json(json_object *o, dp_grant **ret)
{
        _cleanup_(dp_grant_freep) dp_grant *g = dp_grant_new();
        _cleanup_free_ char *state = NULL;
        json_object *a, *nd;
        int64_t pid, st;
        int r;

        if (!g)
                return -ENOMEM;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if ((r = get_str(o, "container", false, &g->container)) < 0 ||
            (r = get_int(o, "pid", 1, INT32_MAX, &pid)) < 0 ||
            (r = get_int(o, "starttime", 0, INT64_MAX, &st)) < 0 ||
            (r = get_bool(o, "userns", &g->userns)) < 0 ||
            (r = get_str(o, "cgroup_v1", true, &g->cg_v1)) < 0 ||
            (r = get_str(o, "cgroup_v2", true, &g->cg_v2)) < 0 ||
            (r = get_str(o, "device", false, &g->device)) < 0 ||
            (r = get_str(o, "source", false, &g->source)) < 0 ||
            (r = get_str(o, "state", false, &state)) < 0 ||
            (r = parse_state(state, &g->state)) < 0 ||
            (r = get_access(o, &g->access)) < 0 ||
            (r = get_bool(o, "forward", &g->forward)) < 0 ||
            (r = get_bool(o, "companions", &g->companions)) < 0)
                return r;
        g->pid = (pid_t)pid;
        g->starttime = (uint64_t)st;
        if (json_object_object_get_ex(o, "lost", NULL) &&
            (r = get_str(o, "lost", true, &g->lost)) < 0)
                return r;
        if (json_object_object_get_ex(o, "rule", NULL) &&
            (r = get_str(o, "rule", true, &g->rule)) < 0)
                return r;
        if ((json_object_object_get_ex(o, "systemd_unit", NULL) &&
             (r = get_str(o, "systemd_unit", true, &g->sd_unit)) < 0) ||
            (json_object_object_get_ex(o, "cgroup_why", NULL) &&
             (r = get_str(o, "cgroup_why", true, &g->cg_why)) < 0) ||
            (json_object_object_get_ex(o, "systemd_beside", NULL) &&
             (r = get_bool(o, "systemd_beside", &g->sd_beside)) < 0))
                return r;
        /* optional: a grant without a lease has none */
        if (json_object_object_get_ex(o, "lease_until", NULL) &&
            (r = get_u64(o, "lease_until", &g->lease_until)) < 0)
                return r;
        if (!json_object_object_get_ex(o, "nodes", &a) ||
            !json_object_is_type(a, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(a); i++)
                if ((r = node_from_json(json_object_array_get_idx(a, i), g)) <
                    0)
                        return r;
        /* the i-th rule is the i-th node's (one item on disk as two
         * arrays, the format of version 1) */
        if (!json_object_object_get_ex(o, "cgroup", &a) ||
            !json_object_is_type(a, json_type_array) ||
            json_object_array_length(a) != g->n_nodes)
                return -EBADMSG;
        for (size_t i = 0; i < g->n_nodes; i++)
                if ((r = cg_from_json(json_object_array_get_idx(a, i),
                                      &g->nodes[i].cg)) < 0)
                        return r;
        if (!json_object_object_get_ex(o, "netdev", &nd))
                return -EBADMSG;
        if (nd) {
                if ((r = netdev_from_json(nd, &g->netdev)) < 0)
                        return r;
                g->has_netdev = true;
        }
        *ret = TAKE_PTR(g);
        return 0;
}

int dp_ledger_parse(const char *text, dp_ledger *into)
{
        json_tokener *tok = json_tokener_new_ex(16);
        json_object *doc, *grants;
        int64_t version;
        int r = 0;

        if (!tok)
                return -ENOMEM;
        doc = json_tokener_parse_ex(tok, text, (int)strlen(text));
        if (!doc || json_tokener_get_error(tok) != json_tokener_success) {
                json_tokener_free(tok);
                json_object_put(doc);
                return -EBADMSG;
        }
        json_tokener_free(tok);
        if (!json_object_is_type(doc, json_type_object) ||
            get_int(doc, "version", 0, INT32_MAX, &version) < 0 ||
            version != DP_LEDGER_VERSION ||
            !json_object_object_get_ex(doc, "grants", &grants) ||
            !json_object_is_type(grants, json_type_array)) {
                r = -EBADMSG;
                goto out;
        }
        for (size_t i = 0; i < json_object_array_length(grants); i++) {
                dp_grant *g;

                r = dp_grant_from_json(json_object_array_get_idx(grants, i),
                                       &g);
                if (r < 0)
                        goto out;
                r = dp_ledger_add(into, g);
                if (r < 0) {
                        dp_grant_free(g);
                        goto out;
                }
        }
out:
        json_object_put(doc);
        return r;
}

/* FNV-1a over "container\0device": a stable, short file name per pair. */
static void grant_file(const dp_ledger *l, const dp_grant *g, char *buf,
                       size_t size)
{
        uint64_t h = DP_FNV1A_INIT;

        h = dp_fnv1a(h, g->container, strlen(g->container) + 1);
        h = dp_fnv1a(h, g->device, strlen(g->device) + 1);
        snprintf(buf, size, "%s/%016llx.json", l->dir, (unsigned long long)h);
}

static int load_one(dp_ledger *l, int dfd, const char *name)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        int r;

        fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        r = read_full_fd(fd, 1024 * 1024, &text, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        return dp_ledger_parse(text, l);
}

int dp_ledger_load(const char *state_dir, dp_ledger **ret)
{
        _cleanup_(dp_ledger_freep) dp_ledger *l = calloc(1, sizeof(dp_ledger));
        _cleanup_(closedirp) DIR *dir = NULL;
        struct dirent *de;
        int r, ret_r = 0;

        if (!l)
                return -ENOMEM;
        l->dir = strjoin_sep("/", state_dir, "grants", NULL);
        if (!l->dir)
                return -ENOMEM;
        /* a full or read-only state dir is not fatal: grants are kept in
         * memory and saved once that becomes possible */
        (void)mkdir_p(l->dir, 0700);
        dir = opendir(l->dir);
        if (!dir) {
                if (errno == ENOENT) {
                        *ret = TAKE_PTR(l);
                        return 0;
                }
                return negative_errno();
        }
        while ((de = readdir(dir))) {
                size_t before = l->n;

                if (!endswith(de->d_name, ".json") || de->d_name[0] == '.')
                        continue;
                r = load_one(l, dirfd(dir), de->d_name);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        _cleanup_free_ char *bad = NULL;

                        /* whatever it half-yielded is dropped, and the file
                         * is kept aside for a post-mortem */
                        while (l->n > before)
                                dp_grant_free(l->grants[--l->n]);
                        if (asprintf(&bad, "%s.damaged", de->d_name) >= 0)
                                (void)renameat(dirfd(dir), de->d_name,
                                               dirfd(dir), bad);
                        ret_r = -EBADMSG;
                }
        }
        *ret = TAKE_PTR(l);
        return ret_r;
}

int dp_ledger_save_grant(const dp_ledger *l, const dp_grant *g)
{
        json_object *doc = json_object_new_object(), *grants, *o = NULL;
        char path[PATH_MAX];
        const char *text;
        int r;

        if (!doc)
                return -ENOMEM;
        grants = json_object_new_array();
        json_object_object_add(doc, "version",
                               json_object_new_int(DP_LEDGER_VERSION));
        json_object_object_add(doc, "grants", grants);
        r = grants ? dp_grant_to_json(g, &o) : -ENOMEM;
        if (r < 0) {
                json_object_put(doc);
                return r;
        }
        json_object_array_add(grants, o);
        text = json_object_to_json_string_ext(
                doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                             JSON_C_TO_STRING_NOSLASHESCAPE);
        grant_file(l, g, path, sizeof(path));
        r = text ? write_file_atomic(path, text, strlen(text), 0600) : -ENOMEM;
        json_object_put(doc);
        return r;
}

int dp_ledger_unlink_grant(const dp_ledger *l, const dp_grant *g)
{
        char path[PATH_MAX];

        grant_file(l, g, path, sizeof(path));
        if (unlink(path) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

int dp_ledger_save(const dp_ledger *l)
{
        int ret = 0;

        for (size_t i = 0; i < l->n; i++) {
                int r = dp_ledger_save_grant(l, l->grants[i]);

                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}
