/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared pieces of the privileged tests that run harness containers
 * (tests/harness/dp-testctr): starting and stopping one, the dp_container
 * that container resolution would build for it, commands inside it, and a
 * loop device to hand to it. Failures inside commands are cmocka
 * assertions, so only cmocka tests link this. */

#include <stdbool.h>
#include <stddef.h>

#include "devpass/config.h"
#include "devpass/act.h"
#include "devpass/macro.h"

typedef struct dpt_ctr {
        dp_container c;
        char name[64];
        char rootfs[512];
        char pidstr[16];
        unsigned uid_base, gid_base;
} dpt_ctr;

/* Path of dp-testctr, set by dpt_ctr_init(). */
extern const char *dpt_testctr;

/* testctr: path of dp-testctr; prefix: how container names start (unique
 * per test program); timeout_ms: a command still running after that long is
 * killed, so that a stuck launcher fails the test instead of hanging it (0:
 * no limit). */
void dpt_ctr_init(const char *testctr, const char *prefix, int timeout_ms);

/* Runs argv; returns its exit status (or -1), stdout in *out (NUL-ended,
 * may be NULL when nothing could be read) and its length in *out_len. */
int dpt_run_argv(char **out, size_t *out_len, const char *const argv[]);

/* Starts a harness container (--userns, --share-usr as asked) and builds
 * its dp_container. NULL on failure, with the reason on stderr. */
dpt_ctr *dpt_ctr_start(bool userns, bool share_usr);
/* Stops the container (when started) and frees t; NULL is fine. */
void dpt_ctr_stop(dpt_ctr *t);

/* `sh -c CMD` inside the container; stdout in *out without trailing
 * newlines. Returns the exit status. */
int dpt_ctr_sh(const dpt_ctr *t, char **out, const char *fmt, ...)
        _printf_(3, 4);

/* cmocka setups and teardown: a fresh privileged or user-namespaced
 * container in *state. */
int dpt_ctr_setup_priv(void **state);
int dpt_ctr_setup_userns(void **state);
int dpt_ctr_teardown(void **state);

typedef struct dpt_loop {
        char file[64];
        char dev[64];
        unsigned major, minor;
} dpt_loop;

/* A 1 MiB file made from file_template (mkstemp) with marker (may be NULL)
 * at its start, attached to a free loop device. */
int dpt_loop_make(dpt_loop *l, const char *file_template, const char *marker);
/* Detaches and removes what dpt_loop_make() made, even partly. */
void dpt_loop_remove(dpt_loop *l);

/* mkdtemp(dir) and point the node-dir test path there. */
int dpt_nodedir_make(char *dir);
/* Unmounts the tmpfs devpass put there on first use, then rmdir. */
void dpt_nodedir_remove(const char *dir);
