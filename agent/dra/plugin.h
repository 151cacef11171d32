/* SPDX-License-Identifier: MIT */
#pragma once

/* devpass-kubelet-plugin's services (plugin.c). */

#include "dra/claims.h"
#include "dra/grpc-unary.h"

typedef struct dra_options {
        dra_config cfg;
        const char *registry_dir;    /* the kubelet's plugins_registry */
        const char *plugin_dir;      /* DRIVER/dra.sock is made below it */
        char *reg_socket, *endpoint; /* set by dra_serve_open() */
} dra_options;

void dra_help(void);
/* Makes both sockets and starts serving Registration and DRAPlugin. */
int dra_serve_open(dra_options *o, dra_server **ret);
void dra_options_done(dra_options *o);
