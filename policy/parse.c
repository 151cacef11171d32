/* SPDX-License-Identifier: MIT */
/* The policy file grammar: lines, comments, section headers, rules. Value
 * syntax lives in keys.c. Pure: works on a buffer, makes no syscalls. */
#include <ctype.h>
#include <string.h>

#include "policy-internal.h"

typedef struct parser {
        parse_ctx ctx;
        dp_policy *out;  /* rules of this buffer, appended on success only */
        dp_rule *rule;   /* rule being built, NULL before the first [Match] */
        section current; /* section the next key belongs to */
        unsigned rule_errors; /* errors before the current rule began */
} parser;

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Checks a finished rule and moves it to the output. The rule-level checks
 * are skipped when a line of the rule was already refused, since "empty
 * rule" after "unknown key" would only repeat the same mistake. */
static int finish_rule(parser *ps)
{
        _cleanup_(policy_rule_freep) dp_rule *r = TAKE_PTR(ps->rule);
        parse_ctx *c = &ps->ctx;
        bool any = false;
        int q;

        if (!r)
                return 0;
        if (c->n_errors > ps->rule_errors)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(r->key_lines[0]); i++)
                any = any || r->key_lines[SECTION_MATCH][i];
        if (!any)
                return policy_error(c, r->line, r->column, "Match",
                                    "empty rule matches every device: "
                                    "[Match] has no keys");
        if (r->grant.action == DP_ACTION_ALLOW && !r->containers)
                return policy_error(c, r->line, r->column, "Container",
                                    "rule grants to no container: an allow "
                                    "rule needs Container= in [Target]");
        /* an engine gives a CDI device to every container it starts with
         * it: nothing could keep that to one holder */
        if (r->cdi && r->exclusive)
                return policy_error(c, r->target_line, r->cdi_column,
                                    "Container",
                                    "Container= value 'cdi' cannot be "
                                    "Exclusive=yes: any number of containers "
                                    "may start with a CDI device");
        if (c->n_errors > 0)
                return -EINVAL; /* earlier rules failed: keep nothing */
        q = policy_rule_seal(r);
        if (q < 0)
                return q;
        q = policy_push_rule(ps->out, r);
        if (q < 0)
                return q;
        TAKE_PTR(r);
        return 0;
}

static int parse_header(parser *ps, const char *line, size_t len, size_t at,
                        unsigned lineno)
{
        parse_ctx *c = &ps->ctx;
        unsigned col = (unsigned)at + 1;
        const char *close = memchr(line + at, ']', len - at);
        _cleanup_free_ char *name = NULL;
        section s = SECTION_NONE;
        size_t end;
        int r;

        if (!close) {
                ps->current = SECTION_INVALID;
                return policy_error(c, lineno, col, NULL,
                                    "unterminated section header '%.*s' "
                                    "(missing ']')",
                                    (int)(len - at), line + at);
        }
        name = strndup(line + at + 1, (size_t)(close - line) - at - 1);
        if (!name)
                return -ENOMEM;
        for (int i = 0; i < _SECTION_MAX; i++)
                if (streq(name, policy_section_name(i)))
                        s = i;
        if (s == SECTION_NONE) {
                ps->current = SECTION_INVALID;
                return policy_error(c, lineno, col, name,
                                    "unknown section '[%s]' (expected "
                                    "[Match], [Target] or [Grant])",
                                    name);
        }
        end = (size_t)(close - line) + 1;
        while (end < len && is_blank(line[end]))
                end++;
        if (end < len) {
                ps->current = SECTION_INVALID;
                return policy_error(c, lineno, (unsigned)end + 1, name,
                                    "unexpected '%.*s' after section header "
                                    "[%s]",
                                    (int)(len - end), line + end, name);
        }

        if (s == SECTION_MATCH) {
                r = finish_rule(ps);
                if (r == -ENOMEM)
                        return r;
                ps->rule_errors = c->n_errors;
                ps->rule = policy_rule_new(c->file, lineno, col);
                if (!ps->rule)
                        return -ENOMEM;
                ps->current = SECTION_MATCH;
                return 0;
        }
        if (!ps->rule) {
                ps->current = SECTION_INVALID;
                return policy_error(c, lineno, col, name,
                                    "[%s] without a preceding [Match]", name);
        }
        if ((s == SECTION_TARGET && ps->rule->has_target) ||
            (s == SECTION_GRANT && ps->rule->has_grant)) {
                ps->current = SECTION_INVALID;
                return policy_error(c, lineno, col, name,
                                    "duplicate [%s] section in the rule "
                                    "started on line %u",
                                    name, ps->rule->line);
        }
        if (s == SECTION_TARGET)
                ps->rule->has_target = true;
        else
                ps->rule->has_grant = true;
        ps->current = s;
        return 0;
}

static int parse_assignment(parser *ps, const char *line, size_t len, size_t at,
                            unsigned lineno)
{
        parse_ctx *c = &ps->ctx;
        const char *eq = memchr(line + at, '=', len - at);
        _cleanup_free_ char *key = NULL, *value = NULL;
        size_t kend, vstart, vend;

        kend = eq ? (size_t)(eq - line) : len;
        while (kend > at && is_blank(line[kend - 1]))
                kend--;
        key = strndup(line + at, kend - at);
        if (!key)
                return -ENOMEM;
        if (!eq) {
                /* name the first word: "Vendor 10de" is missing its '=' */
                key[strcspn(key, " \t")] = 0;
                return policy_error(c, lineno, (unsigned)at + 1, key,
                                    "missing '=' after key '%s'", key);
        }
        if (kend == at)
                return policy_error(c, lineno, (unsigned)at + 1, NULL,
                                    "missing key before '='");
        if (ps->current == SECTION_INVALID)
                return 0; /* the bad header was reported already */
        if (ps->current == SECTION_NONE)
                return policy_error(c, lineno, (unsigned)at + 1, key,
                                    "key '%s' outside of any section (a rule "
                                    "starts with [Match])",
                                    key);

        vstart = (size_t)(eq - line) + 1;
        while (vstart < len && is_blank(line[vstart]))
                vstart++;
        vend = len;
        while (vend > vstart && is_blank(line[vend - 1]))
                vend--;
        value = strndup(line + vstart, vend - vstart);
        if (!value)
                return -ENOMEM;
        /* an empty value is reported just after the '=' */
        if (vend == vstart)
                vstart = (size_t)(eq - line) + 1;
        policy_rule_hash(ps->rule, ps->current, key, value);
        return policy_parse_key(c, ps->rule, ps->current, key, value, lineno,
                                (unsigned)at + 1, (unsigned)vstart + 1);
}

static int parse_line(parser *ps, const char *line, size_t len, unsigned lineno)
{
        parse_ctx *c = &ps->ctx;
        const char *nul;
        ssize_t bad;
        size_t at = 0;

        if (len > DP_POLICY_MAX_LINE - 1)
                return policy_error(c, lineno, DP_POLICY_MAX_LINE, NULL,
                                    "line too long (%zu bytes, at most %d)",
                                    len, DP_POLICY_MAX_LINE - 1);
        nul = memchr(line, 0, len);
        if (nul)
                return policy_error(c, lineno, (unsigned)(nul - line) + 1, NULL,
                                    "NUL byte in policy text");
        bad = policy_utf8_invalid_offset(line, len);
        if (bad >= 0)
                return policy_error(c, lineno, (unsigned)bad + 1, NULL,
                                    "invalid UTF-8 (byte 0x%02x)",
                                    (unsigned char)line[bad]);

        while (at < len && is_blank(line[at]))
                at++;
        if (at == len || line[at] == '#' || line[at] == ';')
                return 0;
        if (line[at] == '[')
                return parse_header(ps, line, len, at, lineno);
        return parse_assignment(ps, line, len, at, lineno);
}

int dp_policy_parse_buffer(dp_policy *p, const char *filename, const char *buf,
                           size_t size, dp_diag_list *diags)
{
        _cleanup_policy_free_ dp_policy *out = dp_policy_new();
        parser ps = {
                .ctx = {.file = filename ? filename : "<input>",
                        .diags = diags},
                .current = SECTION_NONE,
        };
        size_t pos = 0;
        unsigned lineno = 0;
        int r = 0;

        if (!p || (!buf && size > 0))
                return -EINVAL;
        if (!out)
                return -ENOMEM;
        ps.out = out;
        /* a UTF-8 byte order mark is not content */
        if (size >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
                pos = 3;
        while (pos < size) {
                const char *nl = memchr(buf + pos, '\n', size - pos);
                size_t len = nl ? (size_t)(nl - (buf + pos)) : size - pos;

                lineno++;
                r = parse_line(&ps, buf + pos, len, lineno);
                if (r == -ENOMEM || ps.ctx.oom)
                        break;
                pos += len + 1;
        }
        if (r != -ENOMEM && !ps.ctx.oom)
                r = finish_rule(&ps);
        policy_rule_free(TAKE_PTR(ps.rule));
        if (r == -ENOMEM || ps.ctx.oom)
                return -ENOMEM;
        if (ps.ctx.n_errors > 0)
                return -EINVAL;
        return policy_take_rules(p, out);
}
