/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the agent's request decoding, as agent/ipc/server.c
 * does it for each NUL-framed message — json_tokener_parse, then the
 * attach settings through dp_grant_opts_from_json. */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/manual.h"
#include "devpass/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode(const char *msg)
{
        json_object *req = json_tokener_parse(msg), *params = NULL,
                    *method = NULL;
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        char *err = NULL;

        if (!req || !json_object_is_type(req, json_type_object))
                goto out;
        (void)json_object_object_get_ex(req, "method", &method);
        (void)json_object_get_string(method);
        if (!json_object_object_get_ex(req, "parameters", &params))
                params = req;
        (void)dp_grant_opts_from_json(params, &o, &err);
        free(err);
out:
        json_object_put(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf;

        if (size > DP_IPC_MAX_MESSAGE)
                return 0; /* the server refuses these unread */
        buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = 0;
        /* one read may carry several messages, each ended by a NUL */
        for (char *p = buf; p < buf + size + 1; p += strlen(p) + 1)
                decode(p);
        free(buf);
        return 0;
}
