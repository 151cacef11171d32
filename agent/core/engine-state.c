/* SPDX-License-Identifier: MIT */
/* The engine's state: the state dir, its lock and the ledger kept on disk,
 * saved grant by grant and retried while saving fails. */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "core/engine.h"
#include "devpass/log.h"

int dp_engine_open(const char *state_dir, const dp_act_ops *ops,
                   dp_engine **ret, int *ret_ledger_error)
{
        _cleanup_(dp_engine_freep) dp_engine *e = calloc(1, sizeof(dp_engine));
        _cleanup_free_ char *lock = NULL;
        int r;

        if (!e)
                return -ENOMEM;
        e->lock_fd = -EBADF;
        e->ops = ops;
        e->state_dir = strdup(state_dir);
        if (!e->state_dir)
                return -ENOMEM;
        r = mkdir_p(state_dir, 0700);
        if (r < 0)
                return r;
        lock = strjoin_sep("/", state_dir, "lock", NULL);
        if (!lock)
                return -ENOMEM;
        e->lock_fd =
                open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (e->lock_fd < 0)
                return negative_errno();
        if (flock(e->lock_fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : negative_errno();
        r = dp_ledger_load(state_dir, &e->ledger);
        if (ret_ledger_error)
                *ret_ledger_error = r == -EBADMSG ? r : 0;
        if (r < 0 && r != -EBADMSG)
                return r;
        *ret = TAKE_PTR(e);
        return 0;
}

void dp_engine_free(dp_engine *e)
{
        if (!e)
                return;
        dp_ledger_free(e->ledger);
        safe_close(e->lock_fd);
        free(e->state_dir);
        free(e);
}

int dp_engine_save_grant(dp_engine *e, dp_grant *g)
{
        int r = dp_ledger_save_grant(e->ledger, g);

        g->dirty = r < 0;
        if (r < 0) {
                e->n_save_failures++;
                if (e->save_error == 0)
                        log_warning_errno(r,
                                          "Failed to save ledger entry in "
                                          "%s (kept in memory, retried): %m",
                                          e->ledger->dir);
                e->save_error = r;
        }
        return r;
}

int dp_engine_flush(dp_engine *e)
{
        int ret = 0;

        for (size_t i = 0; i < e->ledger->n; i++)
                if (e->ledger->grants[i]->dirty) {
                        int r = dp_engine_save_grant(e, e->ledger->grants[i]);

                        if (r < 0 && ret == 0)
                                ret = r;
                }
        if (ret == 0 && e->save_error < 0) {
                log_info("Ledger saved again in %s", e->ledger->dir);
                e->save_error = 0;
        }
        return ret;
}

bool dp_grant_same_instance(const dp_grant *g, const dp_container *c)
{
        return c && g->pid == c->pid && g->starttime == c->starttime;
}

/* Another live grant in the same container that needs the same cgroup
 * rule or node: a shared companion such as nvidiactl. */
