/* SPDX-License-Identifier: MIT */
#pragma once

/* The node's ResourceSlice (slices.c). */

#include <stdbool.h>

#include "dra/claims.h"

typedef struct dra_slices dra_slices;

int dra_slices_new(const dra_config *c, dra_slices **ret);
/* Publishes the slice when the exported devices changed since the last
 * publication (force: look again even without a CDI dir event); a failure
 * is logged and retried on the next call. */
void dra_slices_sync(dra_slices *s, bool force);
/* remove: delete the slice from the API server. */
void dra_slices_free(dra_slices *s, bool remove);
