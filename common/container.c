/* SPDX-License-Identifier: MIT */
/* The container base that core and act share: liveness by pidfd, id maps,
 * and the /proc opener that re-checks the pidfd. Built by core (container
 * resolution), used by both; one copy of each rule. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devpass/container.h"
#include "devpass/util.h"

/* ---- id maps ---- */

int dp_idmap_parse(const char *text, dp_idmap_range **ret, size_t *ret_n)
{
        _cleanup_free_ dp_idmap_range *map = NULL;
        size_t n = 0;
        const char *p = text;

        if (!text)
                return -EINVAL;
        while (*p) {
                const char *eol = strchrnul(p, '\n');
                unsigned long long v[3];
                char line[128], extra;

                if ((size_t)(eol - p) >= sizeof(line))
                        return -EBADMSG;
                memcpy(line, p, (size_t)(eol - p));
                line[eol - p] = 0;
                p = *eol ? eol + 1 : eol;
                if (isempty(strstrip(line)))
                        continue;
                if (sscanf(line, "%llu %llu %llu %c", &v[0], &v[1], &v[2],
                           &extra) != 3)
                        return -EBADMSG;
                /* A range may end exactly at 2^32 (the identity map of the
                 * initial namespace is "0 0 4294967295"), never beyond. */
                if (v[2] == 0 || v[0] + v[2] > UINT64_C(1) << 32 ||
                    v[1] + v[2] > UINT64_C(1) << 32)
                        return -EBADMSG;
                dp_idmap_range *nm = reallocarray(map, n + 1, sizeof(*map));
                if (!nm)
                        return -ENOMEM;
                map = nm;
                map[n++] = (dp_idmap_range){(uint32_t)v[0], (uint32_t)v[1],
                                            (uint32_t)v[2]};
        }
        *ret = TAKE_PTR(map);
        *ret_n = n;
        return 0;
}

int dp_idmap_map(const dp_idmap_range *map, size_t n, uint32_t inside,
                 uint32_t *ret)
{
        for (size_t i = 0; i < n; i++)
                if (inside >= map[i].inside &&
                    (uint64_t)inside < (uint64_t)map[i].inside + map[i].count) {
                        *ret = map[i].outside + (inside - map[i].inside);
                        return 0;
                }
        return -ERANGE;
}

/* An empty map: a container in the agent's own user namespace sees the
 * host's ids (identity); one with a user namespace of its own has nothing
 * mapped yet (-ERANGE). One rule for core and act alike. */
static int container_map(const dp_container *c, const dp_idmap_range *map,
                         size_t n, uint32_t inside, uint32_t *ret)
{
        if (!c)
                return -EINVAL;
        if (n == 0 && !c->userns) {
                *ret = inside;
                return 0;
        }
        return dp_idmap_map(map, n, inside, ret);
}

int dp_container_map_uid(const dp_container *c, uint32_t inside, uint32_t *ret)
{
        return container_map(c, c ? c->uid_map : NULL, c ? c->n_uid_map : 0,
                             inside, ret);
}

int dp_container_map_gid(const dp_container *c, uint32_t inside, uint32_t *ret)
{
        return container_map(c, c ? c->gid_map : NULL, c ? c->n_gid_map : 0,
                             inside, ret);
}

/* ---- /proc/PID/stat ---- */

int dp_proc_stat_starttime(const char *text, uint64_t *ret)
{
        /* comm may hold spaces and parentheses: fields resume after the
         * last ')'. Field 3 (state) is the first one there. */
        const char *p = text ? strrchr(text, ')') : NULL;

        if (!p)
                return -EBADMSG;
        p++;
        for (int field = 3; field < 22; field++) {
                p += strspn(p, " ");
                p += strcspn(p, " ");
                if (!*p)
                        return -EBADMSG;
        }
        p += strspn(p, " ");
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || end == p || (*end && *end != ' ' && *end != '\n'))
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* ---- liveness ---- */

int dp_pidfd_check(int pidfd)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int r;

        /* No pidfd (kernel or tracer without pidfd_open): reads through the
         * pinned /proc/PID directory fail once the process is gone, and
         * dp_container_check_alive() compares the starttime instead. */
        if (pidfd < 0)
                return 0;

        do
                r = poll(&p, 1, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return negative_errno();
        /* Readable means the process has exited. */
        return r > 0 ? -ESRCH : 0;
}

int dp_container_check_alive(const dp_container *c)
{
        char path[64];
        _cleanup_free_ char *text = NULL;
        uint64_t st;

        if (!c || c->pid <= 0)
                return -EINVAL;
        if (c->pidfd >= 0)
                return dp_pidfd_check(c->pidfd);
        /* No pidfd (a container built by hand): compare the starttime so
         * that a reused pid is not mistaken for the init. */
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->pid);
        if (read_full_file(path, &text, NULL) < 0)
                return -ESRCH;
        if (dp_proc_stat_starttime(text, &st) < 0 || st != c->starttime)
                return -ESRCH;
        return 0;
}

int dp_container_open_proc(const dp_container *c, const char *what, int flags,
                           int *ret_fd)
{
        _cleanup_close_ int fd = -EBADF;
        char path[64];
        int r;

        /* what is opened must be pinned: no pidfd, no /proc path */
        if (!c || c->pidfd < 0 || c->pid <= 0)
                return -EINVAL;
        r = dp_container_check_alive(c);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)c->pid, what);
        fd = open(path, flags | O_CLOEXEC);
        if (fd < 0) {
                int err = negative_errno();

                /* A vanished process shows up as ENOENT/EACCES here; report
                 * it as the container being gone. */
                r = dp_container_check_alive(c);
                return r < 0 ? r : err;
        }
        /* and after: a recycled PID never hands us another process's root
         * or namespace */
        r = dp_container_check_alive(c);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
