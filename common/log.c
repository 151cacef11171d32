/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "devpass/log.h"
#include "devpass/util.h"

static int max_level = LOG_INFO;
static int prefix_mode; /* 0 auto, 1 always, 2 never */
static const char *ident;

void log_set_max_level(int level)
{
        max_level = level;
}

int log_get_max_level(void)
{
        return max_level;
}

void log_set_prefix_mode(int mode)
{
        prefix_mode = mode;
}

void log_set_ident(const char *s)
{
        ident = s;
}

int log_parse_level(const char *s)
{
        static const char *const names[] = {"emerg", "alert",   "crit",
                                            "err",   "warning", "notice",
                                            "info",  "debug"};
        unsigned u;

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return (int)i;
        if (streq(s, "error"))
                return LOG_ERR;
        if (streq(s, "warn"))
                return LOG_WARNING;
        if (safe_atou(s, &u) == 0 && u <= LOG_DEBUG)
                return (int)u;
        return -EINVAL;
}

/* systemd sets JOURNAL_STREAM to "dev:ino" of stderr when it is connected to
 * the journal; then a "<N>" prefix carries the priority. */
static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        struct stat st;
        unsigned long dev, ino;

        if (!e || sscanf(e, "%lu:%lu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

int log_internal(int level, int error, const char *file, int line,
                 const char *fmt, ...)
{
        int saved = errno;
        char buf[4096];
        size_t n = 0;
        va_list ap;
        bool prefix;

        if (error < 0)
                error = -error;
        if (level > max_level) {
                errno = saved;
                return -error;
        }
        prefix = prefix_mode == 1 || (prefix_mode == 0 && stderr_is_journal());
        /* one write per line: stderr is unbuffered, and a line in pieces
         * costs a syscall each and can interleave with other writers */
        if (prefix)
                n = snprintf(buf, sizeof(buf), "<%d>", level);
        else if (ident)
                n = snprintf(buf, sizeof(buf), "%s: ", ident);
        if (max_level >= LOG_DEBUG && n < sizeof(buf))
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "(%s:%d) ",
                                      file, line);
        va_start(ap, fmt);
        /* %m in fmt refers to the error passed in, not a stale errno */
        errno = error;
        if (n < sizeof(buf))
                n += (size_t)vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
        va_end(ap);
        if (n >= sizeof(buf) - 1)
                n = sizeof(buf) - 2; /* truncated: keep the newline */
        buf[n++] = '\n';
        (void)!write(STDERR_FILENO, buf, n);
        errno = saved;
        return -error;
}
