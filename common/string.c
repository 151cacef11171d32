/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devpass/util.h"

char *strdup_vprintf(const char *fmt, va_list ap)
{
        char *s;

        return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

char *strdup_printf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = strdup_vprintf(fmt, ap);
        va_end(ap);
        return s;
}

char *strjoin_sep(const char *sep, ...)
{
        va_list ap;
        size_t len = 0, seplen = 0, n = 0;
        char *r, *p;

        va_start(ap, sep);
        for (const char *s = va_arg(ap, const char *); s;
             s = va_arg(ap, const char *)) {
                len += strlen(s);
                n++;
        }
        va_end(ap);
        /* sep is placed between the pieces; "" joins them directly */
        seplen = strlen(sep);
        r = malloc(len + (n > 0 ? (n - 1) * seplen : 0) + 1);
        if (!r)
                return NULL;
        p = r;
        va_start(ap, sep);
        n = 0;
        for (const char *s = va_arg(ap, const char *); s;
             s = va_arg(ap, const char *)) {
                if (n++ > 0)
                        p = stpcpy(p, sep);
                p = stpcpy(p, s);
        }
        va_end(ap);
        *p = 0;
        return r;
}

bool startswith(const char *s, const char *prefix)
{
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool path_within(const char *dir, const char *top)
{
        size_t l = strlen(top);

        return dir && strneq(dir, top, l) && (dir[l] == 0 || dir[l] == '/');
}

bool endswith(const char *s, const char *suffix)
{
        size_t a, b;

        if (!s)
                return false;
        a = strlen(s);
        b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *strstrip(char *s)
{
        char *e;

        while (*s && isspace((unsigned char)*s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = 0;
        return s;
}

int safe_atou_base(const char *s, int base, unsigned *ret)
{
        unsigned long v;
        char *end;

        /* strtoul accepts leading blanks and signs; we do not */
        if (isempty(s) || !isxdigit((unsigned char)s[0]) ||
            (base == 10 && !isdigit((unsigned char)s[0])))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, base);
        if (errno > 0)
                return -errno;
        if (*end)
                return -EINVAL;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

int safe_atou(const char *s, unsigned *ret)
{
        return safe_atou_base(s, 10, ret);
}

int safe_atoi(const char *s, int *ret)
{
        long v;
        char *end;

        if (isempty(s))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno > 0)
                return -errno;
        if (*end)
                return -EINVAL;
        if (v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        *ret = (int)v;
        return 0;
}

int parse_hex16(const char *s, uint16_t *ret)
{
        unsigned v;
        int r;

        if (!s)
                return -EINVAL;
        if (startswith(s, "0x") || startswith(s, "0X"))
                s += 2;
        if (strlen(s) == 0 || strlen(s) > 4)
                return -EINVAL;
        r = safe_atou_base(s, 16, &v);
        if (r < 0)
                return r;
        *ret = (uint16_t)v;
        return 0;
}

/* Compares runs of digits numerically and everything else bytewise, so that
 * "9-a.policy" sorts before "10-b.policy". */
int strverscmp_improved(const char *a, const char *b)
{
        while (*a || *b) {
                if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
                        const char *sa, *sb;
                        size_t la, lb;
                        int c;

                        while (*a == '0' && isdigit((unsigned char)a[1]))
                                a++;
                        while (*b == '0' && isdigit((unsigned char)b[1]))
                                b++;
                        sa = a;
                        sb = b;
                        while (isdigit((unsigned char)*a))
                                a++;
                        while (isdigit((unsigned char)*b))
                                b++;
                        la = (size_t)(a - sa);
                        lb = (size_t)(b - sb);
                        if (la != lb)
                                return la < lb ? -1 : 1;
                        c = memcmp(sa, sb, la);
                        if (c != 0)
                                return c < 0 ? -1 : 1;
                        continue;
                }
                if (*a != *b)
                        return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
                a++;
                b++;
        }
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
uint64_t dp_fnv1a(uint64_t h, const void *data, size_t n)
{
        const unsigned char *p = data;

        for (size_t i = 0; i < n; i++)
                h = (h ^ p[i]) * 0x100000001b3ULL;
        return h;
}

void dp_unescape_octal(char *s)
{
        char *w = s;

        for (char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
                    r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 +
                                      (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = 0;
}

/* "90", "90s", "500ms", "2min", "1h 30min", "1d": whole numbers with a unit
 * each (none: seconds), summed. Leases use it on the command line and in
 * the policy's Lease=, so both take the same words. */
int parse_duration_ms(const char *s, uint64_t *ret)
{
        static const struct {
                const char *unit;
                uint64_t ms;
        } units[] = {{"ms", 1},         {"s", 1000},     {"sec", 1000},
                     {"m", 60000},      {"min", 60000},  {"h", 3600000},
                     {"hr", 3600000},   {"d", 86400000}, {"day", 86400000},
                     {"days", 86400000}};
        uint64_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;
        while (*s) {
                uint64_t v = 0, mul = 0;
                const char *u;
                size_t ulen;

                while (*s == ' ')
                        s++;
                if (!*s)
                        break;
                if (!isdigit((unsigned char)*s))
                        return -EINVAL;
                for (; isdigit((unsigned char)*s); s++) {
                        if (v > UINT32_MAX)
                                return -ERANGE;
                        v = v * 10 + (uint64_t)(*s - '0');
                }
                u = s;
                while (isalpha((unsigned char)*s))
                        s++;
                ulen = (size_t)(s - u);
                if (ulen == 0)
                        mul = 1000;
                for (size_t i = 0; ulen && i < ELEMENTSOF(units); i++)
                        if (strlen(units[i].unit) == ulen &&
                            strncmp(units[i].unit, u, ulen) == 0)
                                mul = units[i].ms;
                if (mul == 0)
                        return -EINVAL;
                total += v * mul;
                /* a lease of more than ten years is a typo */
                if (total > UINT64_C(10) * 366 * 86400000)
                        return -ERANGE;
                any = true;
        }
        if (!any || total == 0)
                return -EINVAL;
        *ret = total;
        return 0;
}
