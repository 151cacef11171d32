/* SPDX-License-Identifier: MIT */
/* Reading policy files and drop-in dirs: the only I/O of the policy
 * library. Policy decides what enters containers, so files that someone
 * other than root could have written are refused, not skipped. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "policy-internal.h"

#define POLICY_FILE_MAX (4u * 1024 * 1024)

static int file_error(const char *path, dp_diag_list *diags, const char *fmt,
                      ...) _printf_(3, 4);
static int file_error(const char *path, dp_diag_list *diags, const char *fmt,
                      ...)
{
        parse_ctx c = {.file = path, .diags = diags};
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = policy_verror(&c, 0, 0, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int dp_policy_load_file(dp_policy *p, const char *path, dp_diag_list *diags)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st, lst;
        size_t size = 0;
        int r;

        if (!p || !path)
                return -EINVAL;
        /* O_NONBLOCK: a FIFO planted in a policy dir must not hang us */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = negative_errno();
                file_error(path, diags, "cannot open policy file: %s",
                           strerror(-r));
                return r == -ENOMEM ? r : -EINVAL;
        }
        if (fstat(fd, &st) < 0 || lstat(path, &lst) < 0) {
                r = negative_errno();
                file_error(path, diags, "cannot stat policy file: %s",
                           strerror(-r));
                return -EINVAL;
        }
        if (S_ISLNK(lst.st_mode) && st.st_uid != 0)
                return file_error(path, diags,
                                  "refusing policy file: it is a symlink to a "
                                  "file not owned by root (uid %u)",
                                  (unsigned)st.st_uid);
        /* systemd's idiom: a symlink to /dev/null masks a same-named file
         * of an earlier dir */
        if (S_ISLNK(lst.st_mode) && S_ISCHR(st.st_mode) &&
            st.st_rdev == makedev(1, 3))
                return 0;
        if (!S_ISREG(st.st_mode))
                return file_error(path, diags,
                                  "refusing policy file: not a regular file");
        if (st.st_mode & S_IWOTH)
                return file_error(path, diags,
                                  "refusing policy file: it is world-writable "
                                  "(mode %04o)",
                                  (unsigned)(st.st_mode & 07777));
        r = read_full_fd(fd, POLICY_FILE_MAX, &buf, &size);
        if (r < 0) {
                file_error(path, diags, "cannot read policy file: %s",
                           strerror(-r));
                return r == -ENOMEM ? r : -EINVAL;
        }
        return dp_policy_parse_buffer(p, path, buf, size, diags);
}

typedef struct entry {
        char *name; /* file name, the override key */
        char *path;
} entry;

typedef struct entries {
        entry *items;
        size_t n;
} entries;

static void entries_clear(entries *e)
{
        for (size_t i = 0; i < e->n; i++) {
                free(e->items[i].name);
                free(e->items[i].path);
        }
        free(e->items);
        *e = (entries){0};
}

/* Adds dir/name, replacing an entry of the same name from an earlier dir. */
static int entries_put(entries *e, const char *dir, const char *name)
{
        char *path = strjoin_sep("/", dir, name, NULL);
        entry *n;

        if (!path)
                return -ENOMEM;
        for (size_t i = 0; i < e->n; i++)
                if (streq(e->items[i].name, name)) {
                        free(e->items[i].path);
                        e->items[i].path = path;
                        return 0;
                }
        n = realloc(e->items, sizeof(entry) * (e->n + 1));
        if (!n) {
                free(path);
                return -ENOMEM;
        }
        e->items = n;
        n[e->n].path = path;
        n[e->n].name = strdup(name);
        if (!n[e->n].name) {
                free(path);
                return -ENOMEM;
        }
        e->n++;
        return 0;
}

static int entry_cmp(const void *a, const void *b)
{
        return strverscmp_improved(((const entry *)a)->name,
                                   ((const entry *)b)->name);
}

/* Collects dir's *.policy names. Hidden files are editor and package
 * manager leftovers, never policy. */
static int scan_dir(const char *dir, bool missing_ok, entries *e,
                    dp_diag_list *diags)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d) {
                if (errno == ENOENT && missing_ok)
                        return 0;
                r = negative_errno();
                file_error(dir, diags, "cannot open policy directory: %s",
                           strerror(-r));
                return r == -ENOMEM ? r : -EINVAL;
        }
        errno = 0;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || !endswith(de->d_name, ".policy") ||
                    streq(de->d_name, ".policy"))
                        continue;
                r = entries_put(e, dir, de->d_name);
                if (r < 0)
                        break;
                errno = 0;
        }
        if (r == 0 && errno > 0) {
                r = negative_errno();
                file_error(dir, diags, "cannot read policy directory: %s",
                           strerror(-r));
                r = -EINVAL;
        }
        closedir(d);
        return r;
}

/* Loads every entry in order; keeps going after a bad file so that all
 * diagnostics are reported, but then returns no policy at all. */
static int load_entries(entries *e, dp_policy **ret, dp_diag_list *diags,
                        int err)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();

        if (!p)
                return -ENOMEM;
        if (e->n > 1)
                qsort(e->items, e->n, sizeof(entry), entry_cmp);
        for (size_t i = 0; i < e->n; i++) {
                int r = dp_policy_load_file(p, e->items[i].path, diags);

                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        err = -EINVAL;
        }
        if (err < 0)
                return err;
        *ret = TAKE_PTR(p);
        return 0;
}

int dp_policy_load_dirs(char *const *dirs, dp_policy **ret, dp_diag_list *diags)
{
        entries e = {0};
        int err = 0, r;

        if (!ret)
                return -EINVAL;
        STRV_FOREACH (dir, dirs) {
                r = scan_dir(*dir, true, &e, diags);
                if (r == -ENOMEM) {
                        entries_clear(&e);
                        return r;
                }
                if (r < 0)
                        err = r;
        }
        r = load_entries(&e, ret, diags, err);
        entries_clear(&e);
        return r;
}

int dp_policy_load_paths(char *const *paths, dp_policy **ret,
                         dp_diag_list *diags)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        int err = 0;

        if (!ret)
                return -EINVAL;
        if (!p)
                return -ENOMEM;
        /* explicit paths keep the order given; a dir's files are sorted */
        STRV_FOREACH (path, paths) {
                _cleanup_policy_free_ dp_policy *part = NULL;
                struct stat st;
                int r;

                if (stat(*path, &st) >= 0 && S_ISDIR(st.st_mode)) {
                        entries e = {0};

                        r = scan_dir(*path, false, &e, diags);
                        if (r >= 0)
                                r = load_entries(&e, &part, diags, 0);
                        entries_clear(&e);
                        if (r >= 0)
                                r = policy_take_rules(p, part);
                } else
                        r = dp_policy_load_file(p, *path, diags);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        err = -EINVAL;
        }
        if (err < 0)
                return err;
        *ret = TAKE_PTR(p);
        return 0;
}
