/* SPDX-License-Identifier: MIT */
#pragma once

#include "dra/claims.h"

/* METHOD c->api + path with an optional JSON body; *ret_code is the HTTP
 * status and *ret_body (malloc'd) the answer. -EHOSTUNREACH when no
 * answer came. */
int kube_request(const dra_config *c, const char *method, const char *path,
                 const char *body, long *ret_code, char **ret_body);
