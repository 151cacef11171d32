/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <string.h>

#include "devpass/util.h"

size_t strv_length(char *const *l)
{
        size_t n = 0;

        for (; l && l[n]; n++)
                ;
        return n;
}

void strv_free(char **l)
{
        STRV_FOREACH (s, l)
                free(*s);
        free(l);
}

int strv_push(char ***l, char *value)
{
        size_t n = strv_length(*l);
        char **nl;

        if (!value)
                return -EINVAL;
        nl = realloc(*l, sizeof(char *) * (n + 2));
        if (!nl)
                return -ENOMEM;
        nl[n] = value;
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

int strv_extend(char ***l, const char *value)
{
        char *v = strdup(value);
        int r;

        if (!v)
                return -ENOMEM;
        r = strv_push(l, v);
        if (r < 0)
                free(v);
        return r;
}

bool strv_contains(char *const *l, const char *value)
{
        STRV_FOREACH (s, l)
                if (streq(*s, value))
                        return true;
        return false;
}

char **strv_copy(char *const *l)
{
        _cleanup_strv_free_ char **c = calloc(1, sizeof(char *));

        if (!c)
                return NULL;
        STRV_FOREACH (s, l)
                if (strv_extend(&c, *s) < 0)
                        return NULL;
        return TAKE_PTR(c);
}

int strv_split_ws(const char *s, char ***ret)
{
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        const char *p = s;

        if (!l)
                return -ENOMEM;
        while (p && *p) {
                size_t n;
                char *w;
                int r;

                p += strspn(p, " \t");
                n = strcspn(p, " \t");
                if (n == 0)
                        break;
                w = strndup(p, n);
                if (!w)
                        return -ENOMEM;
                r = strv_push(&l, w);
                if (r < 0) {
                        free(w);
                        return r;
                }
                p += n;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

const char *strv_env_get(char *const *l, const char *key)
{
        size_t k = strlen(key);

        STRV_FOREACH (s, l)
                if (strneq(*s, key, k) && (*s)[k] == '=')
                        return *s + k + 1;
        return NULL;
}

int strv_env_set(char ***l, const char *key, const char *value)
{
        size_t k = strlen(key);
        char *e = strjoin_sep("", key, "=", value, NULL);

        if (!e)
                return -ENOMEM;
        for (char **s = *l; s && *s; s++)
                if (strneq(*s, key, k) && (*s)[k] == '=') {
                        free(*s);
                        *s = e;
                        return 0;
                }
        if (strv_push(l, e) < 0) {
                free(e);
                return -ENOMEM;
        }
        return 0;
}
