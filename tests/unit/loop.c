/* SPDX-License-Identifier: MIT */
/* The event loop's source API on real pipes: a readable fd reaches its
 * callback with its data; a source removed by another callback of the same
 * batch is not called, even when its fd number is reused at once; mod_fd
 * silences a source; the config struct's keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/loop.h"
#include "devpass/config.h"
#include "devpass/util.h"

typedef struct pipe_src {
        int fd[2];
        int calls;
        dp_loop *loop;
        struct pipe_src *victim; /* removed and closed by this callback */
} pipe_src;

static void on_read(void *data, int fd, uint32_t events)
{
        pipe_src *p = data;
        char c;

        assert_int_equal(fd, p->fd[0]);
        assert_true(events & EPOLLIN);
        (void)!read(fd, &c, 1);
        p->calls++;
        if (p->victim) {
                int nfd;

                dp_loop_del_fd(p->loop, p->victim->fd[0]);
                close(p->victim->fd[0]);
                /* the number comes back at once, for something new that is
                 * readable as well: the old event must not reach it */
                nfd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
                assert_int_equal(nfd, p->victim->fd[0]);
                p->victim->fd[0] = nfd;
        }
}

static void pipe_open(pipe_src *p, dp_loop *l)
{
        *p = (pipe_src){.loop = l};
        assert_int_equal(pipe2(p->fd, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(dp_loop_add_fd(l, p->fd[0], EPOLLIN, on_read, p), 0);
}

static void test_dispatch_and_removal(void **state)
{
        dp_loop *l = NULL;
        pipe_src a, b;

        (void)state;
        assert_int_equal(dp_loop_new(&l), 0);
        pipe_open(&a, l);
        pipe_open(&b, l);
        assert_int_equal(dp_loop_add_fd(l, a.fd[0], EPOLLIN, on_read, &a),
                         -EEXIST);
        /* nothing readable: a batch with no events */
        assert_int_equal(dp_loop_dispatch(l, 0), 0);
        assert_int_equal(write(a.fd[1], "x", 1), 1);
        assert_int_equal(dp_loop_dispatch(l, 1000), 1);
        assert_int_equal(a.calls, 1);
        assert_int_equal(b.calls, 0);
        /* both readable in one batch; whichever runs first removes the
         * other, which then is not called */
        a.victim = &b;
        b.victim = &a;
        assert_int_equal(write(a.fd[1], "x", 1), 1);
        assert_int_equal(write(b.fd[1], "x", 1), 1);
        assert_int_equal(dp_loop_dispatch(l, 1000), 2);
        assert_int_equal(a.calls + b.calls, 2); /* a had 1 already */
        close(a.fd[0]);
        close(a.fd[1]);
        close(b.fd[0]);
        close(b.fd[1]);
        dp_loop_free(l);
}

static void test_mod_fd(void **state)
{
        dp_loop *l = NULL;
        pipe_src a;

        (void)state;
        assert_int_equal(dp_loop_new(&l), 0);
        pipe_open(&a, l);
        assert_int_equal(dp_loop_mod_fd(l, a.fd[0], 0), 0);
        assert_int_equal(write(a.fd[1], "x", 1), 1);
        assert_int_equal(dp_loop_dispatch(l, 50), 0);
        assert_int_equal(a.calls, 0);
        assert_int_equal(dp_loop_mod_fd(l, a.fd[0], EPOLLIN), 0);
        assert_int_equal(dp_loop_dispatch(l, 1000), 1);
        assert_int_equal(a.calls, 1);
        dp_loop_del_fd(l, a.fd[0]);
        assert_int_equal(dp_loop_mod_fd(l, a.fd[0], EPOLLIN), -ENOENT);
        close(a.fd[0]);
        close(a.fd[1]);
        dp_loop_free(l);
}

static void test_config(void **state)
{
        (void)state;
        assert_null(dp_config_get()->bpf_root);
        assert_int_equal(dp_config_set_assignment("bpf-root=/tmp/x"), 0);
        assert_string_equal(dp_config_get()->bpf_root, "/tmp/x");
        assert_int_equal(dp_config_set_assignment("bpf-root="), 0);
        assert_null(dp_config_get()->bpf_root);
        assert_int_equal(dp_config_set("lxd-socket", "/s"), 0);
        assert_string_equal(dp_config_get()->lxd_socket, "/s");
        assert_int_equal(dp_config_set("lxd-socket", NULL), 0);
        assert_int_equal(dp_config_set("no-such-key", "/x"), -EINVAL);
        assert_int_equal(dp_config_set_assignment("bpf-root"), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dispatch_and_removal),
                cmocka_unit_test(test_mod_fd),
                cmocka_unit_test(test_config),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
