/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <sched.h>

#include "devpass/macro.h"
#include "devpass/util.h"
#include "ns-run.h"

int dp_ns_run(const dp_container *c, int namespaces, const dp_ns_ids *ids,
              int (*fn)(void *arg), void *arg)
{
        _cleanup_close_ int mntfd = -EBADF, netfd = -EBADF;
        int r;

        /* opened here, pinned by the pidfd: setns(CLONE_NEWNS) also needs
         * a caller that shares its fs state with nobody, which the fresh
         * child is */
        if (namespaces & CLONE_NEWNS) {
                r = dp_container_open_proc(c, "ns/mnt", O_RDONLY, &mntfd);
                if (r < 0)
                        return r;
        }
        if (namespaces & CLONE_NEWNET) {
                r = dp_container_open_proc(c, "ns/net", O_RDONLY, &netfd);
                if (r < 0)
                        return r;
        }
        return dp_ns_run_fds(mntfd, netfd, ids, fn, arg);
}
