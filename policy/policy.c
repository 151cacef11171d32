/* SPDX-License-Identifier: MIT */
/* Policy and rule objects, accessors and diagnostics. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy-internal.h"

const char *const dp_policy_default_dirs[] = {
        "/usr/lib/devpass/policy.d",
        "/etc/devpass/policy.d",
        "/run/devpass/policy.d",
        NULL,
};

void dp_diag_list_clear(dp_diag_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].file);
                free(l->items[i].key);
                free(l->items[i].message);
        }
        free(l->items);
        l->items = NULL;
        l->n = 0;
}

int policy_verror(parse_ctx *c, unsigned line, unsigned col, const char *key,
                  const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL, *full = NULL, *f = NULL, *k = NULL;
        dp_diag *n;
        int r;

        c->n_errors++;
        if (!c->diags)
                return -EINVAL;
        if (vasprintf(&msg, fmt, ap) < 0) {
                msg = NULL;
                goto oom;
        }
        /* A file-level problem (unreadable, unsafe) has no position. */
        if (line == 0)
                r = asprintf(&full, "%s: error: %s", c->file, msg);
        else
                r = asprintf(&full, "%s:%u:%u: error: %s", c->file, line, col,
                             msg);
        if (r < 0) {
                full = NULL;
                goto oom;
        }
        f = strdup(c->file);
        if (!f || (key && !(k = strdup(key))))
                goto oom;
        n = realloc(c->diags->items, sizeof(dp_diag) * (c->diags->n + 1));
        if (!n)
                goto oom;
        c->diags->items = n;
        n[c->diags->n++] = (dp_diag){
                .file = TAKE_PTR(f),
                .line = line,
                .column = col,
                .key = TAKE_PTR(k),
                .message = TAKE_PTR(full),
        };
        return -EINVAL;
oom:
        c->oom = true;
        return -ENOMEM;
}

int policy_error(parse_ctx *c, unsigned line, unsigned col, const char *key,
                 const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = policy_verror(c, line, col, key, fmt, ap);
        va_end(ap);
        return r;
}

dp_rule *policy_rule_new(const char *file, unsigned line, unsigned column)
{
        _cleanup_(policy_rule_freep) dp_rule *r = calloc(1, sizeof(dp_rule));
        const char *base;

        if (!r)
                return NULL;
        r->line = line;
        r->column = column;
        r->grant = (dp_grant_settings){
                .action = DP_ACTION_ALLOW,
                .access = DP_ACCESS_READ | DP_ACCESS_WRITE,
                .mode = -1,
                .owner = -1,
                .group = -1,
                .companions = true,
                .forward = false,
        };
        r->hash = DP_FNV1A_INIT;
        r->file = strdup(file);
        if (!r->file)
                return NULL;
        /* Rules are named by file name alone: a drop-in override keeps the
         * name, and `source` in the ledger should not depend on the dir. */
        base = strrchr(file, '/');
        base = base ? base + 1 : file;
        if (asprintf(&r->source, "%s:%u", base, line) < 0) {
                r->source = NULL;
                return NULL;
        }
        return TAKE_PTR(r);
}

void policy_rule_hash(dp_rule *r, section s, const char *key, const char *value)
{
        const char *sec = policy_section_name(s);

        if (s != SECTION_MATCH && s != SECTION_TARGET)
                return;
        r->hash = dp_fnv1a(r->hash, sec, strlen(sec) + 1);
        r->hash = dp_fnv1a(r->hash, key, strlen(key) + 1);
        for (const char *p = value; *p;) {
                size_t word = strcspn(p, " \t");

                r->hash = dp_fnv1a(r->hash, p, word);
                p += word;
                p += strspn(p, " \t");
                if (*p)
                        r->hash = dp_fnv1a(r->hash, " ", 1);
        }
        r->hash = dp_fnv1a(r->hash, "\n", 1);
}

int policy_rule_seal(dp_rule *r)
{
        const char *base = strrchr(r->file, '/');

        base = base ? base + 1 : r->file;
        free(r->id);
        if (asprintf(&r->id, "%s#%016llx", base, (unsigned long long)r->hash) <
            0) {
                r->id = NULL;
                return -ENOMEM;
        }
        return 0;
}

void policy_rule_free(dp_rule *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_matches; i++) {
                strv_free(r->matches[i].items);
                free(r->matches[i].text);
        }
        free(r->matches);
        strv_free(r->containers);
        free(r->grant.path);
        free(r->grant.interface_name);
        free(r->file);
        free(r->source);
        free(r->id);
        free(r);
}

dp_policy *dp_policy_new(void)
{
        return calloc(1, sizeof(dp_policy));
}

void dp_policy_free(dp_policy *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n_rules; i++)
                policy_rule_free(p->rules[i]);
        free(p->rules);
        free(p);
}

int policy_push_rule(dp_policy *p, dp_rule *r)
{
        dp_rule **n = realloc(p->rules, sizeof(dp_rule *) * (p->n_rules + 1));

        if (!n)
                return -ENOMEM;
        p->rules = n;
        p->rules[p->n_rules++] = r;
        return 0;
}

int policy_take_rules(dp_policy *to, dp_policy *from)
{
        dp_rule **n;

        if (from->n_rules == 0)
                return 0;
        n = realloc(to->rules,
                    sizeof(dp_rule *) * (to->n_rules + from->n_rules));
        if (!n)
                return -ENOMEM;
        to->rules = n;
        memcpy(to->rules + to->n_rules, from->rules,
               sizeof(dp_rule *) * from->n_rules);
        to->n_rules += from->n_rules;
        free(from->rules);
        from->rules = NULL;
        from->n_rules = 0;
        return 0;
}

size_t dp_policy_n_rules(const dp_policy *p)
{
        return p ? p->n_rules : 0;
}

const dp_rule *dp_policy_rule(const dp_policy *p, size_t i)
{
        if (!p || i >= p->n_rules)
                return NULL;
        return p->rules[i];
}

const char *dp_rule_file(const dp_rule *r)
{
        return r->file;
}

unsigned dp_rule_line(const dp_rule *r)
{
        return r->line;
}

const char *dp_rule_source(const dp_rule *r)
{
        return r->source;
}

const char *dp_rule_id(const dp_rule *r)
{
        return r->id;
}

const dp_grant_settings *dp_rule_grant(const dp_rule *r)
{
        return &r->grant;
}

char *const *dp_rule_containers(const dp_rule *r)
{
        return r->containers;
}

bool dp_rule_exclusive(const dp_rule *r)
{
        return r->exclusive;
}

bool dp_rule_cdi(const dp_rule *r)
{
        return r->cdi;
}

char **dp_policy_attribute_names(const dp_policy *p)
{
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

        if (!l)
                return NULL;
        for (size_t i = 0; p && i < p->n_rules; i++)
                for (size_t k = 0; k < p->rules[i]->n_matches; k++) {
                        const dp_match *m = &p->rules[i]->matches[k];

                        if (m->key != MK_ATTRIBUTE || !m->items ||
                            !m->items[0] || strv_contains(l, m->items[0]))
                                continue;
                        if (strv_extend(&l, m->items[0]) < 0)
                                return NULL;
                }
        return TAKE_PTR(l);
}
