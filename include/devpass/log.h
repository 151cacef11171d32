/* SPDX-License-Identifier: MIT */
#pragma once

/* Logging for core/, ipc/, main.c and the CLI only: lower layers return
 * errors instead of logging. Lines go to stderr with a syslog priority
 * prefix ("<3>") when stderr is the journal, or plainly otherwise. */

#include <syslog.h>

#include "devpass/macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
int log_parse_level(
        const char *s); /* "debug", "info", "7", … → level or -EINVAL */
void log_set_prefix_mode(int mode); /* 0: auto, 1: always "<N>", 2: never */
void log_set_ident(const char *ident);
/* Returns -abs(error) so callers can `return log_error_errno(r, …)`. */
int log_internal(int level, int error, const char *file, int line,
                 const char *fmt, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...)            log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)             log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)           log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...)          log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)            log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...)    log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, (e), __VA_ARGS__)
