/* SPDX-License-Identifier: MIT */
/* What a grant leaves behind on the host once its container is gone
 * (engine.c calls these): a node made in a directory rootfs that the host
 * sees too, and the host-side node behind a user-namespaced grant. Neither
 * goes with the container's mount namespace. */
#include <stdlib.h>

#include "core/engine.h"
#include "devpass/log.h"

void dp_engine_note_backing(dp_engine *e, const dp_container *c,
                            dp_grant_node *n, const dp_node_spec *s)
{
        char *path = NULL;
        uint64_t dev = 0, ino = 0, ctime = 0;
        int r;

        r = e->ops->node_backing(c, s, &path, &dev, &ino, &ctime);
        if (r < 0) {
                log_debug_errno(r, "Cannot tell where %s in %s lives: %m",
                                s->path, c->ref);
                return;
        }
        free(n->backing);
        n->backing = path;
        n->backing_dev = dev;
        n->backing_ino = ino;
        n->backing_ctime = ctime;
}

static int release_one(dp_engine *e, const dp_grant *g, const dp_grant_node *n,
                       const dp_node_spec *s)
{
        if (g->userns)
                return e->ops->node_forget
                               ? e->ops->node_forget(g->pid, g->starttime, s)
                               : 0;
        if (!n->backing || !e->ops->node_backing_remove)
                return 0;
        return e->ops->node_backing_remove(n->backing, s, n->backing_dev,
                                           n->backing_ino, n->backing_ctime);
}

void dp_engine_release_leftovers(dp_engine *e, dp_grant *g)
{
        for (size_t i = 0; i < g->n_nodes; i++) {
                dp_grant_node *n = &g->nodes[i];
                dp_node_spec s;
                int r;

                if (!n->created)
                        continue;
                dp_grant_node_spec(n, &s);
                r = release_one(e, g, n, &s);
                if (r < 0) {
                        log_warning_errno(r,
                                          "Could not remove what %s left of "
                                          "%s on the host: %m",
                                          g->container, s.path);
                        continue;
                }
                if (r > 0)
                        log_info("Removed %s, left on the host by the "
                                 "stopped %s",
                                 n->backing, g->container);
                n->created = false;
        }
}
