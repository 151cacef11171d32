/* SPDX-License-Identifier: MIT */
/* The pid-derived facts of a container: pidfd, starttime, user namespace and
 * id maps, cgroup directories. Every runtime backend ends here once it knows
 * the init pid. */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/container.h"
#include "devpass/util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

dp_container *dp_container_new(void)
{
        dp_container *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->pidfd = -EBADF;
        return c;
}

void dp_container_free(dp_container *c)
{
        if (!c)
                return;
        free(c->ref);
        free(c->name);
        safe_close(c->pidfd);
        free(c->uid_map);
        free(c->gid_map);
        free(c->cgroup_v1_devices);
        free(c->cgroup_v2);
        free(c);
}

/* ---- /proc/PID/stat and /proc/PID/cgroup ---- */

static bool controller_list_has(const char *list, size_t len, const char *word)
{
        size_t wl = strlen(word);

        for (const char *p = list, *end = list + len; p < end;) {
                const char *comma = memchr(p, ',', (size_t)(end - p));
                size_t l = comma ? (size_t)(comma - p) : (size_t)(end - p);

                if (l == wl && strneq(p, word, wl))
                        return true;
                p += l + 1;
        }
        return false;
}

int dp_cgroup_parse(const char *text, char **ret_v1_devices, char **ret_v2)
{
        _cleanup_free_ char *v1 = NULL, *v2 = NULL;
        const char *p = text;

        if (!text)
                return -EINVAL;
        while (*p) {
                const char *eol = strchrnul(p, '\n');
                const char *c1 = memchr(p, ':', (size_t)(eol - p));
                const char *c2 =
                        c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
                const char *line = p;

                p = *eol ? eol + 1 : eol;
                if (eol == line)
                        continue;
                if (!c2 || c2 + 1 >= eol || c2[1] != '/')
                        return -EBADMSG;
                char **slot = NULL;
                if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1)
                        slot = &v2;
                else if (controller_list_has(c1 + 1, (size_t)(c2 - c1 - 1),
                                             "devices"))
                        slot = &v1;
                if (!slot)
                        continue;
                free(*slot);
                *slot = strndup(c2 + 1, (size_t)(eol - c2 - 1));
                if (!*slot)
                        return -ENOMEM;
        }
        *ret_v1_devices = TAKE_PTR(v1);
        *ret_v2 = TAKE_PTR(v2);
        return 0;
}

int dp_cgroup_join(const char *root, const char *mount_root, const char *path,
                   char **ret)
{
        const char *rel = path;
        char *s;

        if (!root || !path || path[0] != '/')
                return -EINVAL;
        /* A path outside the reader's cgroup namespace shows up as "/..": it
         * cannot be reached from here. */
        if (strstr(path, "/../") || endswith(path, "/.."))
                return -EXDEV;
        if (mount_root && !streq(mount_root, "/")) {
                size_t l = strlen(mount_root);

                if (!strneq(path, mount_root, l) ||
                    (path[l] != '/' && path[l] != 0))
                        return -EXDEV;
                rel = path + l;
        }
        rel += strspn(rel, "/");
        s = isempty(rel) ? strdup(root) : strjoin_sep("/", root, rel, NULL);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* ---- where the hierarchies are mounted ---- */

typedef struct cgroup_mounts {
        bool loaded;
        char v1_devices[PATH_MAX], v1_root[PATH_MAX];
        char v2[PATH_MAX], v2_root[PATH_MAX];
} cgroup_mounts;

static cgroup_mounts mounts;

static void load_mounts(void)
{
        _cleanup_free_ char *text = NULL;

        if (mounts.loaded)
                return;
        mounts.loaded = true;
        if (read_full_file("/proc/self/mountinfo", &text, NULL) < 0)
                return;
        for (char *line = text, *next; line && *line; line = next) {
                char root[PATH_MAX], mp[PATH_MAX], fstype[64], super[512];
                char *sep;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                sep = strstr(line, " - ");
                if (!sep || strlen(line) >= sizeof(super))
                        continue;
                *sep = 0;
                if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) != 2 ||
                    sscanf(sep + 3, "%63s %*s %511s", fstype, super) != 2)
                        continue;
                dp_unescape_octal(root);
                dp_unescape_octal(mp);
                if (streq(fstype, "cgroup2") && !mounts.v2[0]) {
                        snprintf(mounts.v2, sizeof(mounts.v2), "%s", mp);
                        snprintf(mounts.v2_root, sizeof(mounts.v2_root), "%s",
                                 root);
                } else if (streq(fstype, "cgroup") && !mounts.v1_devices[0] &&
                           controller_list_has(super, strlen(super),
                                               "devices")) {
                        snprintf(mounts.v1_devices, sizeof(mounts.v1_devices),
                                 "%s", mp);
                        snprintf(mounts.v1_root, sizeof(mounts.v1_root), "%s",
                                 root);
                }
        }
}

const char *dp_cgroup_v1_devices_root(void)
{
        const char *e = dp_config_get()->cgroup_v1_devices;

        if (!isempty(e))
                return e;
        load_mounts();
        return mounts.v1_devices[0] ? mounts.v1_devices : NULL;
}

const char *dp_cgroup_v2_root(void)
{
        const char *e = dp_config_get()->cgroup_v2;

        if (!isempty(e))
                return e;
        load_mounts();
        return mounts.v2[0] ? mounts.v2 : NULL;
}

/* The mount's root inside its hierarchy; "/" under a configured root, since a
 * test that points the root elsewhere shows the hierarchy from its top. */
static const char *v1_mount_root(void)
{
        if (!isempty(dp_config_get()->cgroup_v1_devices))
                return "/";
        return mounts.v1_root[0] ? mounts.v1_root : "/";
}

static const char *v2_mount_root(void)
{
        if (!isempty(dp_config_get()->cgroup_v2))
                return "/";
        return mounts.v2_root[0] ? mounts.v2_root : "/";
}

/* ---- liveness and the pid-derived facts ---- */

static int read_starttime(int procfd, uint64_t *ret)
{
        _cleanup_free_ char *text = NULL;
        char path[32];
        int r;

        snprintf(path, sizeof(path), "/proc/self/fd/%d/stat", procfd);
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        return dp_proc_stat_starttime(text, ret);
}

/* Reads a file below /proc/PID through the pinned directory, then makes sure
 * the process was still alive, so what was read belongs to it. */
static int proc_read(int procfd, int pidfd, const char *name, char **ret)
{
        char path[64];
        int r;

        snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", procfd, name);
        r = read_full_file(path, ret, NULL);
        if (r == -ENOENT || r == -ESRCH)
                r = -ESRCH;
        if (dp_pidfd_check(pidfd) < 0) {
                if (r >= 0)
                        free(*ret);
                return -ESRCH;
        }
        return r;
}

static int ns_same_as_self(int procfd, int pidfd, const char *ns, bool *ret)
{
        struct stat a, b;
        char path[32];

        snprintf(path, sizeof(path), "ns/%s", ns);
        if (fstatat(procfd, path, &a, 0) < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        if (dp_pidfd_check(pidfd) < 0)
                return -ESRCH;
        snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
        if (stat(path, &b) < 0)
                return negative_errno();
        *ret = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        return 0;
}

static int cgroup_dirs(const char *text, char **ret_v1, char **ret_v2)
{
        _cleanup_free_ char *p1 = NULL, *p2 = NULL, *d1 = NULL, *d2 = NULL;
        const char *root;
        struct stat st;
        int r;

        r = dp_cgroup_parse(text, &p1, &p2);
        if (r < 0)
                return r;
        root = dp_cgroup_v1_devices_root();
        if (p1 && root) {
                r = dp_cgroup_join(root, v1_mount_root(), p1, &d1);
                if (r == -ENOMEM)
                        return r;
                /* A directory we cannot see stays NULL: the act layer then
                 * reports that it has no cgroup to write to. */
                if (d1 && (stat(d1, &st) < 0 || !S_ISDIR(st.st_mode))) {
                        free(d1);
                        d1 = NULL;
                }
        }
        root = dp_cgroup_v2_root();
        if (p2 && root) {
                r = dp_cgroup_join(root, v2_mount_root(), p2, &d2);
                if (r == -ENOMEM)
                        return r;
                if (d2 && (stat(d2, &st) < 0 || !S_ISDIR(st.st_mode))) {
                        free(d2);
                        d2 = NULL;
                }
        }
        *ret_v1 = TAKE_PTR(d1);
        *ret_v2 = TAKE_PTR(d2);
        return 0;
}

int dp_container_from_pid(pid_t pid, dp_container **ret)
{
        _cleanup_container_free_ dp_container *c = NULL;
        _cleanup_close_ int procfd = -EBADF;
        _cleanup_free_ char *uid_text = NULL, *gid_text = NULL, *cg_text = NULL;
        char path[32];
        int r;

        if (pid <= 0)
                return -EINVAL;
        c = dp_container_new();
        if (!c)
                return -ENOMEM;
        c->pid = pid;
        c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (c->pidfd < 0 && errno != ENOSYS)
                return errno == ESRCH ? -ESRCH : negative_errno();

        /* Pin /proc/PID: once the pidfd shows the process alive after the
         * open, every read through this directory is about that process (a
         * reused pid gets a new /proc entry, the old one returns ESRCH). */
        snprintf(path, sizeof(path), "/proc/%d", (int)pid);
        procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        r = dp_pidfd_check(c->pidfd);
        if (r < 0)
                return r;

        r = read_starttime(procfd, &c->starttime);
        if (r < 0)
                return r;
        r = dp_pidfd_check(c->pidfd);
        if (r < 0)
                return r;

        bool same_user, same_mnt, same_pid;
        r = ns_same_as_self(procfd, c->pidfd, "user", &same_user);
        if (r < 0)
                return r;
        c->userns = !same_user;
        r = ns_same_as_self(procfd, c->pidfd, "mnt", &same_mnt);
        if (r < 0)
                return r;
        r = ns_same_as_self(procfd, c->pidfd, "pid", &same_pid);
        if (r < 0)
                return r;
        c->host_namespaces = same_user && same_mnt && same_pid;

        r = proc_read(procfd, c->pidfd, "uid_map", &uid_text);
        if (r < 0)
                return r;
        r = dp_idmap_parse(uid_text, &c->uid_map, &c->n_uid_map);
        if (r < 0)
                return r;
        r = proc_read(procfd, c->pidfd, "gid_map", &gid_text);
        if (r < 0)
                return r;
        r = dp_idmap_parse(gid_text, &c->gid_map, &c->n_gid_map);
        if (r < 0)
                return r;

        r = proc_read(procfd, c->pidfd, "cgroup", &cg_text);
        if (r < 0)
                return r;
        r = cgroup_dirs(cg_text, &c->cgroup_v1_devices, &c->cgroup_v2);
        if (r < 0)
                return r;

        if (asprintf(&c->ref, "pid:%d", (int)pid) < 0) {
                c->ref = NULL;
                return -ENOMEM;
        }
        if (asprintf(&c->name, "%d", (int)pid) < 0) {
                c->name = NULL;
                return -ENOMEM;
        }
        c->runtime = DP_RUNTIME_PID;
        *ret = TAKE_PTR(c);
        return 0;
}

int dp_container_cgroups_now(const dp_container *c, char **ret_v1_devices,
                             char **ret_v2)
{
        _cleanup_close_ int procfd = -EBADF;
        _cleanup_free_ char *text = NULL;
        int r;

        r = dp_container_open_proc(c, "", O_RDONLY | O_DIRECTORY, &procfd);
        if (r < 0)
                return r;
        r = proc_read(procfd, c->pidfd, "cgroup", &text);
        if (r < 0)
                return r;
        return cgroup_dirs(text, ret_v1_devices, ret_v2);
}
