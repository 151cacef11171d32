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
        va_list ap;
        bool prefix;

        if (error < 0)
                error = -error;
        if (level > max_level) {
                errno = saved;
                return -error;
        }
        prefix = prefix_mode == 1 || (prefix_mode == 0 && stderr_is_journal());
        if (prefix)
                fprintf(stderr, "<%d>", level);
        if (ident && !prefix)
                fprintf(stderr, "%s: ", ident);
        if (max_level >= LOG_DEBUG)
                fprintf(stderr, "(%s:%d) ", file, line);
        va_start(ap, fmt);
        /* %m in fmt refers to the error passed in, not a stale errno */
        errno = error;
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        errno = saved;
        return -error;
}
