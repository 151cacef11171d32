/* SPDX-License-Identifier: MIT */
/* The NIC module (agent/act/net-load.c) is loaded only from a file that
 * nobody but its root owner can change: made group- or world-writable, it
 * is refused with -ELIBACC; as built, it loads and answers. Each case runs
 * in a fresh child, as a loaded module stays loaded.
 *   test-act-net-module MODULE-PATH */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devpass/act.h"

static const char *module;

/* dp_act_net_identify() in a child with the module's mode set to mode
 * for the duration; returns the child's result. */
static int find_with_mode(mode_t mode)
{
        struct stat st;
        int status = 0, r;
        pid_t pid;

        assert_int_equal(stat(module, &st), 0);
        assert_int_equal(chmod(module, mode), 0);
        pid = fork();
        if (pid == 0) {
                dp_netdev_saved s;

                /* no NIC has this name: the module answers -ENODEV */
                r = dp_act_net_identify("dpnnone0", &s);
                _exit(r < 0 && -r < 256 ? -r : 255);
        }
        (void)waitpid(pid, &status, 0);
        assert_int_equal(chmod(module, st.st_mode & 07777), 0);
        assert_true(WIFEXITED(status));
        return -WEXITSTATUS(status);
}

static void test_refused_when_writable(void **state)
{
        (void)state;
        assert_int_equal(find_with_mode(0757), -ELIBACC);
        assert_int_equal(find_with_mode(0775), -ELIBACC);
}

static void test_loads_as_built(void **state)
{
        (void)state;
        assert_int_equal(find_with_mode(0755), -ENODEV);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_refused_when_writable),
                cmocka_unit_test(test_loads_as_built),
        };

        if (argc != 2)
                return 2;
        if (geteuid() != 0) {
                fprintf(stderr, "needs root (the module is root's)\n");
                return 77;
        }
        module = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
