/* SPDX-License-Identifier: MIT */
/* The NIC part of a revoke (engine.c): bring it back by its identity, or
 * record it as lost. */
#include <string.h>

#include "core/engine.h"
#include "devpass/log.h"

static const char *lost_reason(int r)
{
        return r == -ENODEV ? "the NIC no longer exists (its veth peer is gone)"
                            : "no link in the container's netns has the NIC's "
                              "identity (moved on, deleted or substituted)";
}

/* Brings the NIC back, found by its identity alone (act/net-ident.c), through
 * the netns held since the move in when there is one: that outlives the
 * container's init. A NIC that cannot be found is not guessed at: the grant
 * stays, marked lost. */
int dp_engine_return_nic(dp_engine *e, dp_grant *g, const dp_container *c,
                         bool alive, bool unfinished)
{
        int r;

        if (!g->has_netdev)
                return 0;
        if (!alive && g->netns_fd < 0) {
                if (unfinished)
                        return 0;
                /* the netns died with the container: a physical NIC came
                 * back to us; a virtual one died with it */
                r = dp_act_net_restore(&g->netdev);
                if (r >= 0)
                        log_info("NIC %s (%s) returned from %s and renamed "
                                 "back",
                                 g->netdev.name, g->netdev.mac, g->container);
                else if (r != -ENODEV)
                        log_warning_errno(r,
                                          "NIC %s (%s) returned from %s "
                                          "but could not be restored: %m",
                                          g->netdev.name, g->netdev.mac,
                                          g->container);
                return 0;
        }
        r = e->ops->net_move_out(alive ? c : NULL, g->netns_fd, &g->netdev);
        /* a move that never happened leaves nothing inside */
        if (unfinished && (r == -ENODEV || r == -ESTALE))
                r = 0;
        if (r == -EADDRINUSE) {
                log_warning("NIC %s is back from %s, but its name was taken "
                            "meanwhile: it keeps the name it came back with",
                            g->netdev.name, g->container);
                r = 0;
        }
        if (r >= 0) {
                g->has_netdev = false;
                return 0;
        }
        if (r == -ENODEV || r == -ESTALE) {
                char *why = strdup(lost_reason(r));

                if (why) {
                        free(g->lost);
                        g->lost = why;
                }
                log_warning("NIC %s granted to %s is lost: %s; nothing "
                            "moved back, the grant stays recorded as lost",
                            g->netdev.name, g->container, lost_reason(r));
        }
        if (!alive)
                /* one try after the stop; then the netns may go */
                g->netns_fd = safe_close(g->netns_fd);
        return r;
}
