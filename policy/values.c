/* SPDX-License-Identifier: MIT */
/* Syntax checks for single policy values. Pure: no syscalls. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "policy-internal.h"

int policy_parse_bool(const char *s, bool *ret)
{
        static const char *const yes[] = {"yes", "true", "1", "on"};
        static const char *const no[] = {"no", "false", "0", "off"};

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* 1 to 4 octal digits, at most 0777: set-id and sticky bits make no sense on
 * a device node and are refused rather than silently dropped. */
int policy_parse_mode(const char *s, int *ret)
{
        size_t n = strlen(s);
        int v = 0;

        if (n == 0 || n > 4)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '7')
                        return -EINVAL;
                v = v * 8 + (s[i] - '0');
        }
        if (v > 0777)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* Decimal uid/gid, 0..4294967294 ((uid_t)-1 means "unset" to the kernel). */
int policy_parse_id(const char *s, int64_t *ret)
{
        uint64_t v = 0;
        size_t n = strlen(s);

        if (n == 0 || n > 10)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!isdigit((unsigned char)s[i]))
                        return -EINVAL;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > 4294967294u)
                return -ERANGE;
        *ret = (int64_t)v;
        return 0;
}

/* Exactly four hex digits, optionally after 0x: ids are always printed that
 * way, and a short form such as "de" is more likely a typo than intent. */
int policy_parse_hex_id(const char *s, uint16_t *ret)
{
        unsigned v = 0;

        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                s += 2;
        if (strlen(s) != 4)
                return -EINVAL;
        for (size_t i = 0; i < 4; i++) {
                int c = (unsigned char)s[i];

                if (!isxdigit(c))
                        return -EINVAL;
                v = v * 16 +
                    (unsigned)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
        }
        *ret = (uint16_t)v;
        return 0;
}

/* An absolute, normalised path: no empty, "." or ".." components (so it
 * cannot climb out of the container's root) and no control characters. */
int policy_validate_path(const char *s)
{
        size_t n = strlen(s);
        const char *p;

        if (n == 0 || n > 4095)
                return -EINVAL;
        if (s[0] != '/' || n == 1 || s[n - 1] == '/')
                return -EINVAL;
        for (p = s; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return -EINVAL;
        for (p = s + 1;;) {
                size_t len = strcspn(p, "/");

                if (len == 0 || (len == 1 && p[0] == '.') ||
                    (len == 2 && p[0] == '.' && p[1] == '.'))
                        return -EINVAL;
                if (!p[len])
                        break;
                p += len + 1;
        }
        return 0;
}

/* The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':'
 * or whitespace. */
int policy_validate_ifname(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 15 || streq(s, ".") || streq(s, ".."))
                return -EINVAL;
        for (; *s; s++)
                if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
                        return -EINVAL;
        return 0;
}

int dp_policy_validate_path(const char *s)
{
        return s ? policy_validate_path(s) : -EINVAL;
}

int dp_policy_validate_ifname(const char *s)
{
        return s ? policy_validate_ifname(s) : -EINVAL;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequences. */
ssize_t policy_utf8_invalid_offset(const char *str, size_t n)
{
        const unsigned char *s = (const unsigned char *)str;
        size_t i = 0;

        while (i < n) {
                unsigned char c = s[i];
                size_t len;
                uint32_t cp, min;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf) {
                        len = 2;
                        cp = c & 0x1f;
                        min = 0x80;
                } else if (c >= 0xe0 && c <= 0xef) {
                        len = 3;
                        cp = c & 0x0f;
                        min = 0x800;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        len = 4;
                        cp = c & 0x07;
                        min = 0x10000;
                } else
                        return (ssize_t)i;
                if (n - i < len)
                        return (ssize_t)i;
                for (size_t k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return (ssize_t)i;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return (ssize_t)i;
                i += len;
        }
        return -1;
}
