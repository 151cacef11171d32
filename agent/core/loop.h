/* SPDX-License-Identifier: MIT */
#pragma once

/* devpassd's single-threaded event loop: epoll over sources, each an fd with
 * its callback. A source removed while a batch of events is dispatched is
 * freed only after the batch, so an event already fetched for it is
 * dropped, never delivered to whatever reuses its fd. */

#include <stdint.h>

typedef struct dp_loop dp_loop;
typedef void (*dp_loop_fn)(void *data, int fd, uint32_t events);

int dp_loop_new(dp_loop **ret);
/* Frees the loop and its sources (not their fds). */
void dp_loop_free(dp_loop *l);
/* Calls cb(data, fd, revents) when fd has one of events (EPOLLIN, …).
 * -EEXIST when fd is a source already. */
int dp_loop_add_fd(dp_loop *l, int fd, uint32_t events, dp_loop_fn cb,
                   void *data);
int dp_loop_mod_fd(dp_loop *l, int fd, uint32_t events);
/* Removes fd's source, if any; call it before closing fd. */
void dp_loop_del_fd(dp_loop *l, int fd);
/* Waits up to timeout_ms (< 0: forever) and dispatches one batch. */
int dp_loop_dispatch(dp_loop *l, int timeout_ms);
