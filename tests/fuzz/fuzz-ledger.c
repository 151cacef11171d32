/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the ledger parser (dp_ledger_parse) must survive any
 * bytes — a damaged ledger.json is read at every agent start — and what it
 * accepts must serialise again. */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        dp_ledger *l = calloc(1, sizeof(dp_ledger));
        char *text = malloc(size + 1);

        if (!l || !text)
                goto out;
        /* the file is read as a C string: a NUL ends it */
        memcpy(text, data, size);
        text[size] = 0;
        if (dp_ledger_parse(text, l) >= 0)
                for (size_t i = 0; i < l->n; i++) {
                        json_object *o = NULL;

                        if (dp_grant_to_json(l->grants[i], &o) >= 0)
                                json_object_put(o);
                }
out:
        dp_ledger_free(l);
        free(text);
        return 0;
}
