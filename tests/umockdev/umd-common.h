/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared bits of the umockdev tests: a testbed per test, fixtures loaded
 * from tests/umockdev/fixtures. The programs run under umockdev-wrapper
 * (the preload that redirects /sys and /dev into the testbed). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <umockdev.h>

#include "devpass/config.h"
#include "devpass/device.h"

#ifndef FIXTURE_DIR
#error "FIXTURE_DIR must point at tests/umockdev/fixtures"
#endif

/* Exit 77 (skip) when not started under the preload: without it the
 * testbed is invisible and every assertion would be about the host. */
static inline void umd_require_preload(void)
{
        const char *p = getenv("LD_PRELOAD");

        if (!p || !strstr(p, "libumockdev-preload")) {
                fprintf(stderr, "SKIP: not running under umockdev-wrapper "
                                "(LD_PRELOAD of libumockdev-preload)\n");
                exit(77);
        }
}

static inline void umd_load(UMockdevTestbed *tb, const char *fixture)
{
        GError *error = NULL;
        char *path = g_build_filename(FIXTURE_DIR, fixture, NULL);
        gboolean ok = umockdev_testbed_add_from_file(tb, path, &error);

        if (!ok)
                fprintf(stderr, "loading %s: %s\n", path,
                        error ? error->message : "?");
        g_clear_error(&error);
        g_free(path);
        assert_true(ok);
}

static inline void umd_load_ioctl(UMockdevTestbed *tb, const char *node,
                                  const char *fixture)
{
        GError *error = NULL;
        char *path = g_build_filename(FIXTURE_DIR, fixture, NULL);
        gboolean ok = umockdev_testbed_load_ioctl(tb, node, path, &error);

        if (!ok)
                fprintf(stderr, "loading %s: %s\n", path,
                        error ? error->message : "?");
        g_clear_error(&error);
        g_free(path);
        assert_true(ok);
}

static inline int umd_setup(void **state)
{
        UMockdevTestbed *tb = umockdev_testbed_new();

        if (!tb)
                return -1;
        *state = tb;
        return 0;
}

static inline int umd_teardown(void **state)
{
        UMockdevTestbed *tb = *state;

        /* Unreferencing the testbed removes its directory tree. */
        g_object_unref(tb);
        dp_config_set("proc-root", NULL);
        return 0;
}

/* Finds the node with PATH in the bundle, or NULL. */
static inline const dp_node *umd_node(const dp_device *d, const char *path)
{
        for (size_t i = 0; i < d->n_nodes; i++)
                if (streq(d->nodes[i].path, path))
                        return &d->nodes[i];
        return NULL;
}

#define assert_node(d, p, t, maj, min)                           \
        do {                                                     \
                const dp_node *_n = umd_node((d), (p));          \
                if (!_n)                                         \
                        fail_msg("node %s missing from %s", (p), \
                                 (d)->syspath);                  \
                assert_int_equal(_n->type, (t));                 \
                assert_int_equal(_n->major, (maj));              \
                assert_int_equal(_n->minor, (min));              \
        } while (0)
