/* SPDX-License-Identifier: MIT */
/* dpt-grant: drives the real grant engine (real ops, real containers) for a
 * device described on the command line, so that shell tests can grant
 * majors this machine has no hardware for (the fake-major trick):
 *   dpt-grant attach|detach STATE-DIR CONTAINER-REF NAME T:MAJ:MIN:PATH...
 * NAME stands in for the device's syspath. Prints "ok" or the errno name;
 * exits 0 on success, 1 on failure, 2 on usage errors. */
#include <stdio.h>
#include <string.h>

#include "core/engine.h"
#include "devpass/runtime.h"

int main(int argc, char **argv)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        _cleanup_container_free_ dp_container *c = NULL;
        _cleanup_device_free_ dp_device *d = dp_device_new();
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        int r;

        if (argc < 5 || (argc < 6 && streq(argv[1], "attach")) || !d ||
            (!streq(argv[1], "attach") && !streq(argv[1], "detach"))) {
                fprintf(stderr, "usage: dpt-grant attach|detach STATE REF NAME "
                                "T:MAJ:MIN:PATH...\n");
                return 2;
        }
        d->syspath =
                strjoin_sep("", "/sys/devices/virtual/dpt/", argv[4], NULL);
        d->name = strdup(argv[4]);
        d->subsystem = strdup("dpt");
        d->klass = DP_CLASS_CHAR;
        for (int i = 5; i < argc; i++) {
                char type, path[256];
                unsigned maj, min;

                if (sscanf(argv[i], "%c:%u:%u:%255s", &type, &maj, &min,
                           path) != 4 ||
                    dp_device_add_node(d, path, type, maj, min) < 0) {
                        fprintf(stderr, "bad node '%s'\n", argv[i]);
                        return 2;
                }
        }
        r = dp_engine_open(argv[2], &dp_act_ops_real, &e, NULL);
        if (r >= 0)
                r = dp_container_resolve(argv[3], &c);
        if (r >= 0 && streq(argv[1], "attach"))
                r = dp_engine_attach(e, c, d, &o, NULL);
        else if (r >= 0) {
                dp_grant *g = dp_ledger_find(e->ledger, c->ref, d->syspath);

                r = g ? dp_engine_detach(e, g, c) : -ENOENT;
        }
        if (r < 0) {
                printf("%s\n", strerrorname_np(-r) ? strerrorname_np(-r) : "?");
                return 1;
        }
        printf("ok\n");
        return 0;
}
