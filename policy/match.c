/* SPDX-License-Identifier: MIT */
/* Matching devices against rules, with a readable trace. Pure: no syscalls. */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy-internal.h"

/* What a key compares with, as a short noun for "(no …)" in the trace. */
static const char *const key_what[_MK_MAX] = {
        [MK_CLASS] = "class",
        [MK_SUBSYSTEM] = "subsystem",
        [MK_NAME] = "name",
        [MK_NODE] = "device node",
        [MK_DRIVER] = "driver",
        [MK_VENDOR] = "vendor id",
        [MK_PRODUCT] = "product id",
        [MK_SERIAL] = "serial",
        [MK_PCI] = "PCI slot",
        [MK_MAC] = "MAC address",
        [MK_INPUT] = "input capability",
        [MK_PROPERTY] = "property",
        [MK_ATTRIBUTE] = "attribute",
        [MK_TAG] = "tag",
};

/* The device's values for one key, all borrowed: a few single strings, a
 * vector (drivers, tags) or the node bundle. */
typedef struct values {
        const char *v[8];
        size_t n;
        char *const *list;
        size_t n_list;
        const dp_node *nodes;
        size_t n_nodes;
        char buf[8];
} values;

static void values_add(values *vs, const char *s)
{
        if (s && vs->n < ELEMENTSOF(vs->v))
                vs->v[vs->n++] = s;
}

static size_t values_count(const values *vs)
{
        return vs->n + vs->n_list + vs->n_nodes;
}

static const char *values_get(const values *vs, size_t i)
{
        if (i < vs->n)
                return vs->v[i];
        i -= vs->n;
        if (i < vs->n_list)
                return vs->list[i];
        return vs->nodes[i - vs->n_list].path;
}

static void device_values(const dp_device *d, match_key k, values *vs)
{
        *vs = (values){0};
        switch (k) {
        case MK_CLASS:
                if (d->klass != DP_CLASS_UNKNOWN)
                        values_add(vs, dp_class_to_string(d->klass));
                break;
        case MK_SUBSYSTEM:
                values_add(vs, d->subsystem);
                break;
        case MK_NAME:
                values_add(vs, d->name);
                break;
        case MK_NODE:
                vs->nodes = d->nodes;
                vs->n_nodes = d->n_nodes;
                break;
        case MK_DRIVER:
                /* `drivers` already starts with the device's own driver */
                if (d->drivers) {
                        vs->list = d->drivers;
                        vs->n_list = strv_length(d->drivers);
                } else
                        values_add(vs, d->driver);
                break;
        case MK_VENDOR:
                if (d->has_vendor) {
                        snprintf(vs->buf, sizeof(vs->buf), "%04x", d->vendor);
                        values_add(vs, vs->buf);
                }
                break;
        case MK_PRODUCT:
                if (d->has_product) {
                        snprintf(vs->buf, sizeof(vs->buf), "%04x", d->product);
                        values_add(vs, vs->buf);
                }
                break;
        case MK_SERIAL:
                values_add(vs, d->serial);
                break;
        case MK_PCI:
                values_add(vs, d->pci);
                break;
        case MK_MAC:
                values_add(vs, d->mac);
                if (!d->mac || !d->perm_mac || strcasecmp(d->mac, d->perm_mac))
                        values_add(vs, d->perm_mac);
                break;
        case MK_INPUT:
                for (unsigned bit = 1; bit; bit <<= 1)
                        if (d->input & bit)
                                values_add(vs, dp_input_word(bit));
                break;
        case MK_TAG:
                vs->list = d->tags;
                vs->n_list = strv_length(d->tags);
                break;
        default:
                break;
        }
}

static bool item_matches(match_key k, const char *item, const char *value)
{
        switch (k) {
        case MK_CLASS:
        case MK_VENDOR:
        case MK_PRODUCT:
        case MK_INPUT:
        case MK_TAG:
                return streq(item, value);
        case MK_MAC:
                return fnmatch(item, value, FNM_CASEFOLD) == 0;
        case MK_NODE:
                /* '*' must not cross '/': /dev/tty* is not /dev/pts/0 */
                return fnmatch(item, value, FNM_PATHNAME) == 0;
        default:
                return fnmatch(item, value, 0) == 0;
        }
}

static void trace_add(char ***trace, const char *fmt, ...) _printf_(2, 3);
static void trace_add(char ***trace, const char *fmt, ...)
{
        va_list ap;
        char *s;

        if (!trace)
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        /* the trace is advice: on allocation failure it is shorter, the
         * verdict is unchanged */
        if (s && strv_push(trace, s) < 0)
                free(s);
}

static char *join_values(const values *vs, const char *what)
{
        size_t n = values_count(vs), len = 0;
        char *s, *p;

        if (n == 0) {
                if (asprintf(&s, "(no %s)", what) < 0)
                        return NULL;
                return s;
        }
        for (size_t i = 0; i < n; i++)
                len += strlen(values_get(vs, i)) + 1;
        s = p = malloc(len);
        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++)
                p = stpcpy(stpcpy(p, i ? " " : ""), values_get(vs, i));
        return s;
}

/* Property=/Attribute=: the named value must exist and match the glob (or,
 * negated, must not). */
static bool kv_holds(const dp_match *m, const dp_device *d,
                     const char **ret_actual)
{
        const char *v = m->key == MK_PROPERTY
                                ? dp_device_property(d, m->items[0])
                                : dp_device_attribute(d, m->items[0]);
        bool hit = v && fnmatch(m->items[1], v, 0) == 0;

        *ret_actual = v;
        return m->negate ? !hit : hit;
}

/* Does one key hold? On failure and when ret_why is non-NULL, writes the
 * reason there (formatting is skipped when nobody reads it). */
static bool match_holds(const dp_match *m, const dp_device *d, char **ret_why)
{
        const char *name = policy_match_key_name(m->key);
        _cleanup_free_ char *joined = NULL;
        const char *hit_value = NULL;
        values vs;
        bool hit = false;

        if (m->key == MK_PROPERTY || m->key == MK_ATTRIBUTE) {
                const char *actual;

                if (kv_holds(m, d, &actual))
                        return true;
                if (!ret_why)
                        return false;
                if (!actual &&
                    asprintf(ret_why, "%s=%s: %s %s is not set", name, m->text,
                             key_what[m->key], m->items[0]) < 0)
                        *ret_why = NULL;
                else if (actual &&
                         asprintf(ret_why, "%s=%s does not hold: %s is '%s'",
                                  name, m->text, m->items[0], actual) < 0)
                        *ret_why = NULL;
                return false;
        }

        device_values(d, m->key, &vs);
        for (size_t i = 0; !hit && m->items[i]; i++)
                for (size_t j = 0; !hit && j < values_count(&vs); j++)
                        if (item_matches(m->key, m->items[i],
                                         values_get(&vs, j))) {
                                hit = true;
                                hit_value = values_get(&vs, j);
                        }
        if (hit != m->negate)
                return true;
        if (!ret_why)
                return false;
        if (hit) {
                if (asprintf(ret_why, "%s=%s excludes %s", name, m->text,
                             hit_value) < 0)
                        *ret_why = NULL;
                return false;
        }
        joined = join_values(&vs, key_what[m->key]);
        if (asprintf(ret_why, "%s=%s does not match %s", name, m->text,
                     strna(joined)) < 0)
                *ret_why = NULL;
        return false;
}

static bool rule_holds(const dp_rule *r, const dp_device *d, char ***trace)
{
        for (size_t i = 0; i < r->n_matches; i++) {
                _cleanup_free_ char *why = NULL;

                if (match_holds(&r->matches[i], d, trace ? &why : NULL))
                        continue;
                trace_add(trace, "%s: no: %s", r->source, strna(why));
                return false;
        }
        if (r->n_matches == 1)
                trace_add(trace, "%s: yes: %s=%s holds%s", r->source,
                          policy_match_key_name(r->matches[0].key),
                          r->matches[0].text,
                          r->grant.action == DP_ACTION_DENY ? " (deny)" : "");
        else
                trace_add(trace, "%s: yes: all %zu keys hold%s", r->source,
                          r->n_matches,
                          r->grant.action == DP_ACTION_DENY ? " (deny)" : "");
        return true;
}

const dp_rule *dp_policy_match(const dp_policy *p, const dp_device *d,
                               char ***trace)
{
        if (!p || !d)
                return NULL;
        for (size_t i = 0; i < p->n_rules; i++)
                if (rule_holds(p->rules[i], d, trace))
                        return p->rules[i];
        return NULL;
}
