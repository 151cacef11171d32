/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/loop.h"
#include "devpass/util.h"

typedef struct source {
        int fd;
        dp_loop_fn cb;
        void *data;
        struct source *next_dead;
} source;

struct dp_loop {
        int epoll_fd;
        source **by_fd; /* indexed by fd */
        size_t n_by_fd;
        source *dead; /* removed during this batch */
};

int dp_loop_new(dp_loop **ret)
{
        dp_loop *l = calloc(1, sizeof(*l));

        if (!l)
                return -ENOMEM;
        l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epoll_fd < 0) {
                int r = negative_errno();

                free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static void free_dead(dp_loop *l)
{
        while (l->dead) {
                source *s = l->dead;

                l->dead = s->next_dead;
                free(s);
        }
}

void dp_loop_free(dp_loop *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n_by_fd; i++)
                free(l->by_fd[i]);
        free(l->by_fd);
        free_dead(l);
        safe_close(l->epoll_fd);
        free(l);
}

int dp_loop_add_fd(dp_loop *l, int fd, uint32_t events, dp_loop_fn cb,
                   void *data)
{
        struct epoll_event ev = {.events = events};
        source *s;

        if (fd < 0)
                return -EBADF;
        if ((size_t)fd >= l->n_by_fd) {
                size_t n = (size_t)fd + 64;
                source **a = reallocarray(l->by_fd, n, sizeof(*a));

                if (!a)
                        return -ENOMEM;
                for (size_t i = l->n_by_fd; i < n; i++)
                        a[i] = NULL;
                l->by_fd = a;
                l->n_by_fd = n;
        }
        if (l->by_fd[fd])
                return -EEXIST;
        s = malloc(sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (source){.fd = fd, .cb = cb, .data = data};
        ev.data.ptr = s;
        if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = negative_errno();

                free(s);
                return r;
        }
        l->by_fd[fd] = s;
        return 0;
}

int dp_loop_mod_fd(dp_loop *l, int fd, uint32_t events)
{
        struct epoll_event ev = {.events = events};

        if (fd < 0 || (size_t)fd >= l->n_by_fd || !l->by_fd[fd])
                return -ENOENT;
        ev.data.ptr = l->by_fd[fd];
        return RET_NERRNO(epoll_ctl(l->epoll_fd, EPOLL_CTL_MOD, fd, &ev));
}

void dp_loop_del_fd(dp_loop *l, int fd)
{
        source *s;

        if (fd < 0 || (size_t)fd >= l->n_by_fd || !l->by_fd[fd])
                return;
        s = l->by_fd[fd];
        l->by_fd[fd] = NULL;
        (void)epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        s->fd = -1; /* an event of this batch still names it */
        s->next_dead = l->dead;
        l->dead = s;
}

int dp_loop_dispatch(dp_loop *l, int timeout_ms)
{
        struct epoll_event ev[16];
        int n = epoll_wait(l->epoll_fd, ev, ELEMENTSOF(ev), timeout_ms);

        if (n < 0)
                return errno == EINTR ? 0 : negative_errno();
        for (int i = 0; i < n; i++) {
                source *s = ev[i].data.ptr;

                if (s->fd >= 0)
                        s->cb(s->data, s->fd, ev[i].events);
        }
        free_dead(l);
        return n;
}
