/* SPDX-License-Identifier: MIT */
#pragma once

/* A small unary-call server over gRPC's C core (grpc-unary.c): methods are
 * registered by their full path, each gets the request's serialized bytes
 * and returns the reply's, or a gRPC status and message. Calls are served
 * one at a time on the caller's thread (gRPC's own threads only do I/O). */

#include <stddef.h>
#include <stdint.h>

typedef struct dra_server dra_server;

/* Returns 0 and *ret (malloc'd) with *ret_len, or a gRPC status code
 * (> 0) with *ret_error (malloc'd, may be NULL). */
typedef int (*dra_method_fn)(void *userdata, const uint8_t *req, size_t len,
                             uint8_t **ret, size_t *ret_len, char **ret_error);

int dra_server_new(dra_server **ret);
/* path: "/package.Service/Method" */
int dra_server_add_method(dra_server *s, const char *path, dra_method_fn fn,
                          void *userdata);
/* Listens on a unix socket (an old socket file at path is replaced). */
int dra_server_listen(dra_server *s, const char *path);
int dra_server_start(dra_server *s);
/* Serves calls until *quit is set (checked at least every 200 ms); idle
 * (if set) runs between calls, at least every 200 ms. */
int dra_server_run(dra_server *s, volatile int *quit, void (*idle)(void *),
                   void *userdata);
void dra_server_free(dra_server *s);
