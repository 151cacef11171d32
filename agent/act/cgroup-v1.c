/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devpass/act.h"
#include "devpass/device.h"
#include "devpass/util.h"

/* cgroup v1 "devices" controller: rules are lines "TYPE MAJ:MIN ACCESS"
 * written to devices.allow / devices.deny and listed in devices.list. */

#define CG1_ACCESS_ALL (DP_ACCESS_READ | DP_ACCESS_WRITE | DP_ACCESS_MKNOD)

static int format_rule(char type, unsigned major, unsigned minor,
                       unsigned access, char *buf, size_t size)
{
        char acc[4], min[16];
        size_t n = 0;
        int k;

        /* Only single-type rules: "a" would touch every device, and writing
         * it to a cgroup that has children fails with EINVAL anyway. */
        if (type != 'c' && type != 'b')
                return -EINVAL;
        if (access == 0 || (access & ~CG1_ACCESS_ALL))
                return -EINVAL;
        if (access & DP_ACCESS_READ)
                acc[n++] = 'r';
        if (access & DP_ACCESS_WRITE)
                acc[n++] = 'w';
        if (access & DP_ACCESS_MKNOD)
                acc[n++] = 'm';
        acc[n] = 0;
        if (minor == DP_MINOR_ANY)
                strcpy(min, "*");
        else
                snprintf(min, sizeof(min), "%u", minor);
        k = snprintf(buf, size, "%c %u:%s %s", type, major, min, acc);
        if (k < 0 || (size_t)k >= size)
                return -ENOBUFS;
        return 0;
}

static int write_rule(const char *cgdir, const char *file, char type,
                      unsigned major, unsigned minor, unsigned access)
{
        _cleanup_free_ char *path = NULL;
        char rule[64];
        int r;

        if (isempty(cgdir))
                return -EINVAL;
        r = format_rule(type, major, minor, access, rule, sizeof(rule));
        if (r < 0)
                return r;
        path = strjoin_sep("/", cgdir, file, NULL);
        if (!path)
                return -ENOMEM;
        return write_string_file(path, rule);
}

int dp_cg1_allow(const char *cgdir, char type, unsigned major, unsigned minor,
                 unsigned access)
{
        return write_rule(cgdir, "devices.allow", type, major, minor, access);
}

int dp_cg1_deny(const char *cgdir, char type, unsigned major, unsigned minor,
                unsigned access)
{
        return write_rule(cgdir, "devices.deny", type, major, minor, access);
}

/* "*" → DP_MINOR_ANY; a number otherwise. */
static int parse_num(const char *s, unsigned *ret)
{
        if (streq(s, "*")) {
                *ret = DP_MINOR_ANY;
                return 0;
        }
        return safe_atou(s, ret);
}

static int parse_access(const char *s, unsigned *ret)
{
        unsigned a = 0;

        for (; *s; s++) {
                switch (*s) {
                case 'r':
                        a |= DP_ACCESS_READ;
                        break;
                case 'w':
                        a |= DP_ACCESS_WRITE;
                        break;
                case 'm':
                        a |= DP_ACCESS_MKNOD;
                        break;
                default:
                        return -EINVAL;
                }
        }
        *ret = a;
        return 0;
}

/* Does one devices.list line ("c 136:* rwm") allow the access? The kernel
 * checks each access against single exceptions, never a union of them, so
 * one line must cover it all. */
static int line_covers(const char *line, char type, unsigned major,
                       unsigned minor, unsigned access)
{
        char t, majs[16], mins[16], accs[8];
        unsigned lmaj, lmin, lacc;

        if (sscanf(line, " %c %15[0-9*]:%15[0-9*] %7s", &t, majs, mins, accs) !=
            4)
                return -EBADMSG;
        if (parse_num(majs, &lmaj) < 0 || parse_num(mins, &lmin) < 0 ||
            parse_access(accs, &lacc) < 0)
                return -EBADMSG;
        if (t != 'a' && t != type)
                return 0;
        if (lmaj != DP_MINOR_ANY && lmaj != major)
                return 0;
        /* A request for every minor is only covered by a "*" minor. */
        if (lmin != DP_MINOR_ANY && lmin != minor)
                return 0;
        return (access & ~lacc) == 0;
}

int dp_cg1_list(const char *cgdir, char **ret)
{
        _cleanup_free_ char *path = NULL;

        if (isempty(cgdir))
                return -EINVAL;
        path = strjoin_sep("/", cgdir, "devices.list", NULL);
        if (!path)
                return -ENOMEM;
        return read_full_file(path, ret, NULL);
}

int dp_cg1_covered(const char *cgdir, char type, unsigned major, unsigned minor,
                   unsigned access)
{
        _cleanup_free_ char *list = NULL;
        char *line, *save = NULL;
        int r;

        if (isempty(cgdir) || (type != 'c' && type != 'b'))
                return -EINVAL;
        if (access & ~CG1_ACCESS_ALL)
                return -EINVAL;
        r = dp_cg1_list(cgdir, &list);
        if (r < 0)
                return r;
        /* A default-allow cgroup lists just "a *:* rwm" and hides its deny
         * exceptions, so "covered" is the best the file can tell. */
        for (line = strtok_r(list, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                if (isempty(strstrip(line)))
                        continue;
                r = line_covers(line, type, major, minor, access);
                if (r < 0)
                        return r;
                if (r > 0)
                        return 1;
        }
        return 0;
}
