/* SPDX-License-Identifier: MIT */
#pragma once

/* Private to policy/: the rule representation shared by the parser, the
 * matcher and the loader. */

#include <stdarg.h>

#include "devpass/policy.h"

typedef enum match_key {
        MK_CLASS,
        MK_SUBSYSTEM,
        MK_NAME,
        MK_NODE,
        MK_DRIVER,
        MK_VENDOR,
        MK_PRODUCT,
        MK_SERIAL,
        MK_PCI,
        MK_MAC,
        MK_INPUT,
        MK_PROPERTY,
        MK_ATTRIBUTE,
        MK_TAG,
        _MK_MAX,
} match_key;

/* One [Match] key. For list keys `items` holds the alternatives (Vendor and
 * Product normalised to four lowercase hex digits); for Property= and
 * Attribute= it holds exactly two strings, the name and the glob. */
typedef struct dp_match {
        match_key key;
        bool negate;
        char **items;
        char *text; /* the value as written, for the trace */
        unsigned line;
} dp_match;

struct dp_rule {
        char *file;    /* path as given to the parser */
        char *source;  /* "BASENAME:LINE" */
        char *id;      /* "BASENAME#HASH", set when the rule is complete */
        uint64_t hash; /* over its normalised [Match] and [Target] lines */
        unsigned line;
        unsigned column; /* of the '[' of [Match] */
        dp_match *matches;
        size_t n_matches;
        char **containers; /* without the word "cdi" */
        bool exclusive;
        bool cdi;             /* Container= named "cdi": exported into CDI */
        unsigned cdi_column;  /* of that "cdi", for rule-level errors */
        unsigned target_line; /* of Container= */
        bool has_target, has_grant;
        dp_grant_settings grant;
        /* Per section and key: the line a singular key was set on, 0 if
         * unset; catches duplicates and names the first occurrence. */
        unsigned key_lines[3][16];
};

struct dp_policy {
        dp_rule **rules;
        size_t n_rules;
};

typedef enum section {
        SECTION_MATCH,
        SECTION_TARGET,
        SECTION_GRANT,
        _SECTION_MAX,
        SECTION_NONE = -1,
        SECTION_INVALID = -2, /* after an unknown section: keys are skipped */
} section;

const char *policy_section_name(section s);
const char *policy_match_key_name(match_key k);

typedef struct parse_ctx {
        const char *file;
        dp_diag_list *diags;
        unsigned n_errors;
        bool oom;
} parse_ctx;

/* Records "FILE:LINE:COL: error: MESSAGE"; returns -EINVAL (or -ENOMEM when
 * the diagnostic itself could not be stored). */
int policy_error(parse_ctx *c, unsigned line, unsigned col, const char *key,
                 const char *fmt, ...) _printf_(5, 6);
int policy_verror(parse_ctx *c, unsigned line, unsigned col, const char *key,
                  const char *fmt, va_list ap) _printf_(5, 0);

dp_rule *policy_rule_new(const char *file, unsigned line, unsigned column);
void policy_rule_free(dp_rule *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(dp_rule *, policy_rule_free)
/* Feeds one Key=Value line of section s into the rule's identity; only
 * [Match] and [Target] count, with runs of blanks in the value as one. */
void policy_rule_hash(dp_rule *r, section s, const char *key,
                      const char *value);
/* Sets r->id from the file name and the hash once the rule is complete. */
int policy_rule_seal(dp_rule *r);
/* Moves every rule of `from` to the end of `to`; `from` ends up empty. */
int policy_take_rules(dp_policy *to, dp_policy *from);
int policy_push_rule(dp_policy *p, dp_rule *r); /* takes ownership */

/* Parses one `Key=Value` line of section s into r. `kcol` is the column of
 * the key, `vcol` that of the value's first byte. */
int policy_parse_key(parse_ctx *c, dp_rule *r, section s, const char *key,
                     const char *value, unsigned line, unsigned kcol,
                     unsigned vcol);
/* Where a key that is unknown in one section does belong, for hints. */
section policy_key_section(const char *key);

/* Value checks shared by the parser and its tests. */
int policy_parse_bool(const char *s, bool *ret);
int policy_parse_mode(const char *s, int *ret);
int policy_parse_id(const char *s, int64_t *ret);
int policy_parse_hex_id(const char *s, uint16_t *ret);
int policy_validate_path(const char *s);
int policy_validate_ifname(const char *s);
/* Returns the byte offset of the first invalid UTF-8 sequence, or -1. */
ssize_t policy_utf8_invalid_offset(const char *s, size_t n);
