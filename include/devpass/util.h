/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdarg.h>

/* String vectors, string and file helpers shared by every devpass module.
 * All functions return negative errno on failure. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devpass/macro.h"

/* ---- string vectors (NULL-terminated char **) ---- */
size_t strv_length(char *const *l);
void strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)
int strv_push(char ***l, char *value);         /* takes ownership of value */
int strv_extend(char ***l, const char *value); /* copies value */
bool strv_contains(char *const *l, const char *value);
char **strv_copy(char *const *l);
/* Splits on runs of spaces/tabs; empty input gives an empty vector. */
int strv_split_ws(const char *s, char ***ret);
/* Finds "KEY=" in a KEY=VALUE vector and returns VALUE (borrowed). */
const char *strv_env_get(char *const *l, const char *key);
int strv_env_set(char ***l, const char *key, const char *value);
#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)

/* ---- strings ---- */
char *strjoin_sep(const char *sep, ...) __attribute__((sentinel));
/* A formatted copy (vasprintf) or NULL when out of memory. */
char *strdup_vprintf(const char *fmt, va_list ap) _printf_(1, 0);
char *strdup_printf(const char *fmt, ...) _printf_(1, 2);
/* Undoes the \\ooo escapes of mountinfo fields, in place. */
void dp_unescape_octal(char *s);
bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);
/* dir is top or below it ("/a/b" is within "/a", "/ab" is not). */
bool path_within(const char *dir, const char *top);
char *strstrip(char *s); /* trims ASCII whitespace in place */
int safe_atou(const char *s, unsigned *ret);
int safe_atou_base(const char *s, int base, unsigned *ret);
int safe_atoi(const char *s, int *ret);
int parse_hex16(const char *s, uint16_t *ret); /* "10de", "0x10de" */
/* A duration: "90" (seconds), "500ms", "2min", "1h 30min", "1d" (units
 * ms, s, sec, m, min, h, hr, d, day, days; summed). -EINVAL, -ERANGE. */
int parse_duration_ms(const char *s, uint64_t *ret);
/* FNV-1a, 64 bits: short stable names (ledger files, rule identities);
 * not for anything an attacker picks to collide. */
#define DP_FNV1A_INIT 0xcbf29ce484222325ULL
uint64_t dp_fnv1a(uint64_t h, const void *data, size_t n);
/* Version sort in the manner of strverscmp(3), used for policy file order. */
int strverscmp_improved(const char *a, const char *b);

/* ---- files ---- */
/* Reads the first line, without the newline. */
int read_one_line(const char *path, char **ret);
int read_full_file(const char *path, char **ret, size_t *ret_size);
/* Reads fd to its end, NUL-terminated; -EFBIG beyond max bytes. */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size);
/* Writes the string without creating the file (sysfs/cgroupfs style). */
int write_string_file(const char *path, const char *s);
/* Writes to PATH.tmp and renames it over PATH; mode for a new file. */
int write_file_atomic(const char *path, const char *data, size_t size,
                      unsigned mode);
int mkdir_p(const char *path, unsigned mode);
