/* SPDX-License-Identifier: MIT */
/* The keys of [Match], [Target] and [Grant] and their value syntax. */
#include <string.h>

#include "policy-internal.h"

typedef struct key_desc key_desc;
typedef int (*key_parser)(parse_ctx *c, dp_rule *r, const key_desc *k,
                          const char *value, unsigned line, unsigned vcol);

struct key_desc {
        const char *name;
        section section;
        unsigned index; /* slot in dp_rule.key_lines[section] */
        bool repeatable;
        match_key mkey;
        key_parser parse;
};

static int parse_match_list(parse_ctx *c, dp_rule *r, const key_desc *k,
                            const char *value, unsigned line, unsigned vcol);
static int parse_match_kv(parse_ctx *c, dp_rule *r, const key_desc *k,
                          const char *value, unsigned line, unsigned vcol);
static int parse_target(parse_ctx *c, dp_rule *r, const key_desc *k,
                        const char *value, unsigned line, unsigned vcol);
static int parse_grant(parse_ctx *c, dp_rule *r, const key_desc *k,
                       const char *value, unsigned line, unsigned vcol);

#define M(n, i, mk)                                              \
        {                                                        \
                n, SECTION_MATCH, i, false, mk, parse_match_list \
        }
static const key_desc keys[] = {
        M("Class", 0, MK_CLASS),
        M("Subsystem", 1, MK_SUBSYSTEM),
        M("Name", 2, MK_NAME),
        M("Node", 3, MK_NODE),
        M("Driver", 4, MK_DRIVER),
        M("Vendor", 5, MK_VENDOR),
        M("Product", 6, MK_PRODUCT),
        M("Serial", 7, MK_SERIAL),
        M("PCI", 8, MK_PCI),
        M("MAC", 9, MK_MAC),
        M("Input", 10, MK_INPUT),
        M("Tag", 11, MK_TAG),
        {"Property", SECTION_MATCH, 12, true, MK_PROPERTY, parse_match_kv},
        {"Attribute", SECTION_MATCH, 13, true, MK_ATTRIBUTE, parse_match_kv},
        {"Container", SECTION_TARGET, 0, false, 0, parse_target},
        {"Exclusive", SECTION_TARGET, 1, false, 0, parse_target},
        {"Action", SECTION_GRANT, 0, false, 0, parse_grant},
        {"Access", SECTION_GRANT, 1, false, 0, parse_grant},
        {"Path", SECTION_GRANT, 2, false, 0, parse_grant},
        {"Mode", SECTION_GRANT, 3, false, 0, parse_grant},
        {"Owner", SECTION_GRANT, 4, false, 0, parse_grant},
        {"Group", SECTION_GRANT, 5, false, 0, parse_grant},
        {"InterfaceName", SECTION_GRANT, 6, false, 0, parse_grant},
        {"Companions", SECTION_GRANT, 7, false, 0, parse_grant},
        {"Forward", SECTION_GRANT, 8, false, 0, parse_grant},
        {"DefaultRouteNIC", SECTION_GRANT, 9, false, 0, parse_grant},
        {"Lease", SECTION_GRANT, 10, false, 0, parse_grant},
};
#undef M

static const char *const section_names[_SECTION_MAX] = {
        [SECTION_MATCH] = "Match",
        [SECTION_TARGET] = "Target",
        [SECTION_GRANT] = "Grant",
};

const char *policy_section_name(section s)
{
        if (s < 0 || s >= _SECTION_MAX)
                return NULL;
        return section_names[s];
}

const char *policy_match_key_name(match_key k)
{
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (keys[i].section == SECTION_MATCH && keys[i].mkey == k)
                        return keys[i].name;
        return "?";
}

section policy_key_section(const char *key)
{
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(keys[i].name, key))
                        return keys[i].section;
        return SECTION_NONE;
}

static const key_desc *find_key(section s, const char *key)
{
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (keys[i].section == s && streq(keys[i].name, key))
                        return &keys[i];
        return NULL;
}

static int push_match(dp_rule *r, match_key mk, bool negate, char ***items,
                      const char *text, unsigned line)
{
        dp_match *n;
        char *t = strdup(text);

        if (!t)
                return -ENOMEM;
        n = realloc(r->matches, sizeof(dp_match) * (r->n_matches + 1));
        if (!n) {
                free(t);
                return -ENOMEM;
        }
        r->matches = n;
        n[r->n_matches++] = (dp_match){
                .key = mk,
                .negate = negate,
                .items = TAKE_PTR(*items),
                .text = t,
                .line = line,
        };
        return 0;
}

/* Checks (and for ids normalises) one list item; NULL when the item is fine,
 * else the complaint that follows "Key= value 'ITEM' " (in buf, or
 * static). */
static const char *check_item(match_key mk, char **item, char *buf, size_t size)
{
        char words[256];
        uint16_t id;
        unsigned bit;

        switch (mk) {
        case MK_CLASS:
                if (dp_class_from_string(*item) != DP_CLASS_UNKNOWN)
                        return NULL;
                /* the words come from the class table */
                dp_class_words(words, sizeof(words));
                snprintf(buf, size, "is not a device class (%s)", words);
                return buf;
        case MK_VENDOR:
        case MK_PRODUCT:
                if (policy_parse_hex_id(*item, &id) < 0)
                        return "is not a 4-digit hex id";
                snprintf(*item, strlen(*item) + 1, "%04x", id);
                return NULL;
        case MK_INPUT:
                if (dp_input_from_word(*item, &bit) < 0)
                        return "is not an input capability (keyboard mouse "
                               "joystick touchpad touchscreen tablet switch "
                               "key)";
                return NULL;
        case MK_NODE:
                if ((*item)[0] != '/')
                        return "is not an absolute device node glob";
                return NULL;
        default:
                return NULL;
        }
}

/* Splits a whitespace-separated list, remembering each item's column, and
 * strips the leading '!' that negates the whole list. */
static int split_list(parse_ctx *c, const key_desc *k, const char *value,
                      unsigned line, unsigned vcol, bool allow_negate,
                      bool *ret_negate, char ***ret_items, unsigned **ret_cols)
{
        _cleanup_strv_free_ char **items = calloc(1, sizeof(char *));
        _cleanup_free_ unsigned *cols = NULL;
        size_t n = 0;
        bool negate = false;
        const char *p = value;

        if (!items)
                return -ENOMEM;
        if (*p == '!') {
                if (!allow_negate)
                        return policy_error(c, line, vcol, k->name,
                                            "%s= does not take a negated list",
                                            k->name);
                negate = true;
                p++;
        }
        for (;;) {
                size_t len;
                unsigned *nc;
                char *w;

                p += strspn(p, " \t");
                len = strcspn(p, " \t");
                if (len == 0)
                        break;
                if (*p == '!')
                        return policy_error(
                                c, line, vcol + (unsigned)(p - value), k->name,
                                "%s= value '%.*s': '!' negates the whole list "
                                "and may only precede its first item",
                                k->name, (int)len, p);
                w = strndup(p, len);
                if (!w || strv_push(&items, w) < 0) {
                        free(w);
                        return -ENOMEM;
                }
                nc = realloc(cols, sizeof(unsigned) * (n + 1));
                if (!nc)
                        return -ENOMEM;
                cols = nc;
                cols[n++] = vcol + (unsigned)(p - value);
                p += len;
        }
        if (n == 0)
                return policy_error(c, line, vcol, k->name,
                                    "%s= value '%s' negates an empty list",
                                    k->name, value);
        *ret_negate = negate;
        *ret_items = TAKE_PTR(items);
        *ret_cols = TAKE_PTR(cols);
        return 0;
}

static int parse_match_list(parse_ctx *c, dp_rule *r, const key_desc *k,
                            const char *value, unsigned line, unsigned vcol)
{
        _cleanup_strv_free_ char **items = NULL;
        _cleanup_free_ unsigned *cols = NULL;
        bool negate;
        int ret = 0, q;

        q = split_list(c, k, value, line, vcol, true, &negate, &items, &cols);
        if (q < 0)
                return q;
        for (size_t i = 0; items[i]; i++) {
                _cleanup_free_ char *orig = strdup(items[i]);
                const char *why;
                char buf[320];

                if (!orig)
                        return -ENOMEM;
                why = check_item(k->mkey, &items[i], buf, sizeof(buf));
                if (!why)
                        continue;
                ret = policy_error(c, line, cols[i], k->name,
                                   "%s= value '%s' %s", k->name, orig, why);
                if (ret == -ENOMEM)
                        return ret;
        }
        if (ret < 0)
                return ret;
        return push_match(r, k->mkey, negate, &items, value, line);
}

static int parse_match_kv(parse_ctx *c, dp_rule *r, const key_desc *k,
                          const char *value, unsigned line, unsigned vcol)
{
        _cleanup_strv_free_ char **items = NULL;
        const char *p = value, *eq;
        bool negate = false;
        size_t klen;

        if (*p == '!') {
                negate = true;
                p++;
        }
        eq = strchr(p, '=');
        klen = eq ? (size_t)(eq - p) : 0;
        if (!eq || klen == 0 || strcspn(p, " \t") < klen)
                return policy_error(c, line, vcol, k->name,
                                    "%s= value '%s' is not of the form "
                                    "%s=GLOB",
                                    k->name, value,
                                    k->mkey == MK_PROPERTY ? "KEY" : "NAME");
        items = calloc(3, sizeof(char *));
        if (!items)
                return -ENOMEM;
        items[0] = strndup(p, klen);
        items[1] = strdup(eq + 1);
        if (!items[0] || !items[1])
                return -ENOMEM;
        return push_match(r, k->mkey, negate, &items, value, line);
}

/* The word "cdi" in Container= is not a container: it exports the device
 * into CDI (returns 1). It is taken out of the list so that no container
 * of that name matches it; a container named cdi is written RUNTIME:cdi.
 * "cdi:NAME" and a second "cdi" are refused rather than guessed at. */
static int target_cdi(parse_ctx *c, dp_rule *r, char **items, size_t i,
                      unsigned line, unsigned col)
{
        if (startswith(items[i], "cdi:"))
                return policy_error(c, line, col, "Container",
                                    "Container= value '%s': CDI export is "
                                    "the bare word 'cdi' (names come from "
                                    "the device)",
                                    items[i]);
        if (!streq(items[i], "cdi"))
                return 0;
        if (r->cdi)
                return policy_error(c, line, col, "Container",
                                    "Container= names 'cdi' twice");
        r->cdi = true;
        r->cdi_column = col;
        return 1;
}

static void strv_remove(char **l, const char *s)
{
        for (size_t i = 0; l[i]; i++)
                if (streq(l[i], s)) {
                        free(l[i]);
                        memmove(l + i, l + i + 1,
                                sizeof(char *) * (strv_length(l + i + 1) + 1));
                        return;
                }
}

static int parse_target(parse_ctx *c, dp_rule *r, const key_desc *k,
                        const char *value, unsigned line, unsigned vcol)
{
        _cleanup_strv_free_ char **items = NULL;
        _cleanup_free_ unsigned *cols = NULL;
        bool negate, b;
        int ret = 0, q;

        if (streq(k->name, "Exclusive")) {
                if (policy_parse_bool(value, &b) < 0)
                        return policy_error(c, line, vcol, k->name,
                                            "Exclusive= value '%s' is not a "
                                            "boolean (yes or no)",
                                            value);
                r->exclusive = b;
                return 0;
        }
        q = split_list(c, k, value, line, vcol, false, &negate, &items, &cols);
        if (q < 0)
                return q;
        r->target_line = line;
        for (size_t i = 0; items[i]; i++) {
                q = target_cdi(c, r, items, i, line, cols[i]);
                if (q == -ENOMEM)
                        return q;
                if (q < 0) {
                        ret = q;
                        continue;
                }
                if (q > 0)
                        continue;
                if (dp_container_ref_validate(items[i], true) >= 0)
                        continue;
                ret = policy_error(
                        c, line, cols[i], k->name,
                        "Container= value '%s' is not a container "
                        "reference (NAME, RUNTIME:NAME, pid:PID "
                        "or cgroup:PATH; a NAME is " DP_REF_NAME_GRAMMAR ")",
                        items[i]);
                if (ret == -ENOMEM)
                        return ret;
        }
        if (ret < 0)
                return ret;
        if (r->cdi)
                strv_remove(items, "cdi");
        r->containers = TAKE_PTR(items);
        return 0;
}

static int parse_grant(parse_ctx *c, dp_rule *r, const key_desc *k,
                       const char *value, unsigned line, unsigned vcol)
{
        dp_grant_settings *g = &r->grant;
        const char *n = k->name;
        const char *why = NULL;

        if (streq(n, "Action")) {
                if (streq(value, "allow"))
                        g->action = DP_ACTION_ALLOW;
                else if (streq(value, "deny"))
                        g->action = DP_ACTION_DENY;
                else
                        why = "is neither 'allow' nor 'deny'";
        } else if (streq(n, "Access")) {
                if (dp_access_parse(value, &g->access) < 0)
                        why = "is not a subset of 'rwm' (each letter once)";
        } else if (streq(n, "Path")) {
                if (policy_validate_path(value) < 0)
                        why = "is not an absolute path without '.', '..' or "
                              "empty components";
                else if (!(g->path = strdup(value)))
                        return -ENOMEM;
        } else if (streq(n, "Mode")) {
                if (policy_parse_mode(value, &g->mode) < 0)
                        why = "is not an octal mode (0000 to 0777)";
        } else if (streq(n, "Owner") || streq(n, "Group")) {
                int64_t *id = streq(n, "Owner") ? &g->owner : &g->group;

                if (policy_parse_id(value, id) < 0)
                        why = streq(n, "Owner")
                                      ? "is not a numeric uid (0 to "
                                        "4294967294; names are not resolved)"
                                      : "is not a numeric gid (0 to "
                                        "4294967294; names are not resolved)";
        } else if (streq(n, "InterfaceName")) {
                if (policy_validate_ifname(value) < 0)
                        why = "is not a valid interface name (1 to 15 bytes, "
                              "no '/', ':' or whitespace)";
                else if (!(g->interface_name = strdup(value)))
                        return -ENOMEM;
        } else if (streq(n, "Lease")) {
                if (parse_duration_ms(value, &g->lease_ms) < 0)
                        why = "is not a duration (such as 90s, 10min, "
                              "1h 30min or 2d; at most ten years)";
        } else {
                bool *b = streq(n, "Companions") ? &g->companions
                          : streq(n, "Forward")  ? &g->forward
                                                 : &g->default_route_nic;

                if (policy_parse_bool(value, b) < 0)
                        why = "is not a boolean (yes or no)";
        }
        if (why)
                return policy_error(c, line, vcol, n, "%s= value '%s' %s", n,
                                    value, why);
        return 0;
}

int policy_parse_key(parse_ctx *c, dp_rule *r, section s, const char *key,
                     const char *value, unsigned line, unsigned kcol,
                     unsigned vcol)
{
        const key_desc *k = find_key(s, key);
        unsigned *first;

        if (!k) {
                section other = policy_key_section(key);

                if (other >= 0)
                        return policy_error(c, line, kcol, key,
                                            "unknown key '%s' in [%s] (it "
                                            "belongs in [%s])",
                                            key, policy_section_name(s),
                                            policy_section_name(other));
                return policy_error(c, line, kcol, key,
                                    "unknown key '%s' in [%s]", key,
                                    policy_section_name(s));
        }
        first = &r->key_lines[s][k->index];
        if (!k->repeatable && *first)
                return policy_error(c, line, kcol, key,
                                    "duplicate key '%s=' in [%s] (first set "
                                    "on line %u)",
                                    key, policy_section_name(s), *first);
        *first = line;
        if (isempty(value))
                return policy_error(c, line, vcol, key,
                                    "%s= has an empty value", key);
        return k->parse(c, r, k, value, line, vcol);
}
