/* SPDX-License-Identifier: MIT */
/* Container references → running containers: reference syntax, the pid: and
 * cgroup: forms, and the walk over every runtime backend for a bare name. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/runtime.h"
#include "devpass/runtime.h"
#include "devpass/util.h"

/* The order a bare NAME is tried in. */
static const dp_runtime_ops *const backends[] = {
        &dp_runtime_lxc_ops,    &dp_runtime_incus_ops,  &dp_runtime_lxd_ops,
        &dp_runtime_nspawn_ops, &dp_runtime_docker_ops, &dp_runtime_podman_ops,
};

static const dp_runtime_ops *backend_of(dp_runtime r)
{
        for (size_t i = 0; i < ELEMENTSOF(backends); i++)
                if (backends[i]->runtime == r)
                        return backends[i];
        return NULL;
}

void dp_container_ref_done(dp_container_ref *r)
{
        if (!r)
                return;
        free(r->name);
        r->name = NULL;
}

/* Normalises a cgroup path to its form relative to the hierarchy roots,
 * without leading or doubled slashes; refuses "." and "..". */
static int cgroup_path_normalize(const char *path, char **ret)
{
        const char *roots[2] = {dp_cgroup_v2_root(),
                                dp_cgroup_v1_devices_root()};
        _cleanup_free_ char *out = NULL;
        const char *p = path;
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                size_t l = roots[i] ? strlen(roots[i]) : 0;

                if (l > 1 && strneq(path, roots[i], l) &&
                    (path[l] == '/' || path[l] == 0)) {
                        p = path + l;
                        break;
                }
        }
        out = malloc(strlen(p) + 1);
        if (!out)
                return -ENOMEM;
        while (*p) {
                size_t l;

                p += strspn(p, "/");
                l = strcspn(p, "/");
                if (l == 0)
                        break;
                if ((l == 1 && p[0] == '.') ||
                    (l == 2 && p[0] == '.' && p[1] == '.'))
                        return -EINVAL;
                if (n > 0)
                        out[n++] = '/';
                memcpy(out + n, p, l);
                n += l;
                p += l;
        }
        out[n] = 0;
        /* The root cgroup is the host itself, not a container. */
        if (n == 0)
                return -EINVAL;
        *ret = TAKE_PTR(out);
        return 0;
}

int dp_container_ref_parse(const char *s, dp_container_ref *ret)
{
        _cleanup_free_ char *name = NULL;
        dp_ref ref;
        int k;

        /* Globs belong to policy targets; a reference names one thing. */
        k = dp_ref_split(s, false, &ref);
        if (k < 0)
                return k;
        if (!ref.bare && ref.runtime == DP_RUNTIME_CGROUP)
                k = cgroup_path_normalize(ref.body, &name);
        else if (!(name = strdup(ref.body)))
                k = -ENOMEM;
        if (k < 0)
                return k;
        *ret = (dp_container_ref){.bare = ref.bare,
                                  .runtime = ref.runtime,
                                  .name = TAKE_PTR(name)};
        return 0;
}

static int read_ppid(pid_t pid, pid_t *ret)
{
        _cleanup_free_ char *text = NULL;
        char path[32];
        const char *p;
        int ppid;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        if (read_full_file(path, &text, NULL) < 0)
                return -ESRCH;
        p = strrchr(text, ')');
        if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
                return -EBADMSG;
        *ret = ppid;
        return 0;
}

static int pid_cmp(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

        return x < y ? -1 : x > y;
}

int dp_cgroup_find_init(const char *dir, pid_t *ret)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r;

        path = strjoin_sep("/", dir, "cgroup.procs", NULL);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        for (char *tok = strtok(text, "\n"); tok; tok = strtok(NULL, "\n")) {
                unsigned v;
                pid_t *np;

                if (safe_atou(tok, &v) < 0 || v == 0 || v > INT_MAX)
                        continue;
                np = reallocarray(pids, n + 1, sizeof(*pids));
                if (!np)
                        return -ENOMEM;
                pids = np;
                pids[n++] = (pid_t)v;
        }
        if (n == 0)
                return -ESRCH; /* the cgroup exists but runs nothing */
        qsort(pids, n, sizeof(*pids), pid_cmp);
        /* The init is the process whose parent lives outside the cgroup; the
         * sort makes the lowest such pid win when there are several. */
        for (size_t i = 0; i < n; i++) {
                pid_t ppid;

                if (read_ppid(pids[i], &ppid) < 0)
                        continue;
                if (!bsearch(&ppid, pids, n, sizeof(*pids), pid_cmp)) {
                        *ret = pids[i];
                        return 0;
                }
        }
        *ret = pids[0];
        return 0;
}

static bool is_dir(const char *p)
{
        struct stat st;

        return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int resolve_cgroup(const char *rel, dp_container **ret)
{
        _cleanup_container_free_ dp_container *c = NULL;
        _cleanup_free_ char *d1 = NULL, *d2 = NULL;
        const char *r1 = dp_cgroup_v1_devices_root(), *r2 = dp_cgroup_v2_root();
        pid_t pid;
        int r;

        if (r2 && !(d2 = strjoin_sep("/", r2, rel, NULL)))
                return -ENOMEM;
        if (r1 && !(d1 = strjoin_sep("/", r1, rel, NULL)))
                return -ENOMEM;
        if (!is_dir(d2)) {
                free(d2);
                d2 = NULL;
        }
        if (!is_dir(d1)) {
                free(d1);
                d1 = NULL;
        }
        if (!d1 && !d2)
                return -ENOENT;
        r = dp_cgroup_find_init(d2 ? d2 : d1, &pid);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        r = dp_container_from_pid(pid, &c);
        if (r < 0)
                return r;
        /* The named cgroup is the container's in each hierarchy where it
         * exists; elsewhere the init's own cgroup stands. */
        if (d1) {
                free(c->cgroup_v1_devices);
                c->cgroup_v1_devices = TAKE_PTR(d1);
        }
        if (d2) {
                free(c->cgroup_v2);
                c->cgroup_v2 = TAKE_PTR(d2);
        }
        free(c->ref);
        free(c->name);
        c->ref = strjoin_sep(":", "cgroup", rel, NULL);
        c->name = strdup(rel);
        if (!c->ref || !c->name)
                return -ENOMEM;
        c->runtime = DP_RUNTIME_CGROUP;
        *ret = TAKE_PTR(c);
        return 0;
}

/* "…/foo.slice/docker-<id>.scope": a cgroup created for the runtime by
 * systemd (the systemd cgroup driver). */
static bool path_is_systemd_scope(const char *p)
{
        const char *slash;

        if (!p || !endswith(p, ".scope"))
                return false;
        slash = strrchr(p, '/');
        if (!slash || slash == p)
                return false;
        return slash - p >= 6 && strneq(slash - 6, ".slice", 6);
}

static int resolve_runtime(const dp_runtime_ops *ops, const char *name,
                           pid_t pid, const dp_runtime_extra *extra,
                           dp_container **ret)
{
        _cleanup_container_free_ dp_container *c = NULL;
        int r;

        r = dp_container_from_pid(pid, &c);
        if (r < 0)
                return r;
        free(c->ref);
        free(c->name);
        c->ref = strjoin_sep(":", ops->name, name, NULL);
        c->name = strdup(name);
        if (!c->ref || !c->name)
                return -ENOMEM;
        c->runtime = ops->runtime;
        /* Nothing a runtime said is used before it is checked. */
        r = dp_runtime_verify(c, extra);
        if (r < 0)
                return r;
        r = dp_runtime_cgroup_cut(c, extra);
        if (r < 0)
                return r;
        c->systemd_managed = extra->systemd_managed;
        if ((ops->runtime == DP_RUNTIME_DOCKER ||
             ops->runtime == DP_RUNTIME_PODMAN) &&
            (path_is_systemd_scope(c->cgroup_v2) ||
             path_is_systemd_scope(c->cgroup_v1_devices)))
                c->systemd_managed = true;
        *ret = TAKE_PTR(c);
        return 0;
}

/* The runtimes a bare NAME was last found running in, for the "ambiguous"
 * message: set by resolve_bare() (or, in the agent, from a lookup child's
 * report) and read by dp_container_strerror(), like dlerror(). */
static char ambiguous_in[128];

void dp_container_note_ambiguous(const char *runtimes)
{
        snprintf(ambiguous_in, sizeof(ambiguous_in), "%s",
                 runtimes ? runtimes : "");
}

const char *dp_container_ambiguous_runtimes(void)
{
        return ambiguous_in;
}

/* A bare NAME means a running container: one that exists but is stopped
 * in one runtime neither counts against a running one of the same name in
 * another, nor is chosen over it. */
static int resolve_bare(const char *name, dp_container **ret)
{
        const dp_runtime_ops *hit = NULL;
        dp_runtime_extra hit_extra = {};
        char in[sizeof(ambiguous_in)] = "";
        pid_t hit_pid = 0;
        int found = 0, stopped = 0, reachable = 0;

        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                dp_runtime_extra extra = {};
                pid_t pid = 0;
                int r = backends[i]->find_pid(name, &pid, &extra);

                /* A runtime that is absent or misbehaves does not stop the
                 * others from answering. */
                if (r == -ENOMEDIUM || (r < 0 && r != -ENOENT && r != -ESRCH))
                        continue;
                reachable++;
                if (r == -ESRCH)
                        stopped++;
                if (r < 0)
                        continue;
                snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s%s",
                         found ? ", " : "", backends[i]->name);
                if (++found == 1) {
                        hit = backends[i];
                        hit_pid = pid;
                        hit_extra = extra;
                }
        }
        if (found > 1) {
                dp_container_note_ambiguous(in);
                return -ENOTUNIQ;
        }
        if (found == 0)
                return stopped ? -ESRCH : reachable ? -ENOENT : -ENOMEDIUM;
        return resolve_runtime(hit, name, hit_pid, &hit_extra, ret);
}

int dp_container_resolve(const char *ref, dp_container **ret)
{
        _cleanup_(dp_container_ref_done) dp_container_ref r = {};
        const dp_runtime_ops *ops;
        dp_runtime_extra extra = {};
        pid_t pid;
        int k;

        if (!ret)
                return -EINVAL;
        k = dp_container_ref_parse(ref, &r);
        if (k < 0)
                return k;
        if (r.bare)
                return resolve_bare(r.name, ret);
        if (r.runtime == DP_RUNTIME_PID) {
                unsigned v;

                k = safe_atou(r.name, &v);
                if (k < 0)
                        return k;
                return dp_container_from_pid((pid_t)v, ret);
        }
        if (r.runtime == DP_RUNTIME_CGROUP)
                return resolve_cgroup(r.name, ret);
        ops = backend_of(r.runtime);
        if (!ops)
                return -EPROTONOSUPPORT;
        k = ops->find_pid(r.name, &pid, &extra);
        if (k < 0)
                return k;
        return resolve_runtime(ops, r.name, pid, &extra, ret);
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int dp_container_list_running(char ***ret_refs)
{
        _cleanup_strv_free_ char **refs = NULL;
        size_t n, w;
        int r;

        if (!ret_refs)
                return -EINVAL;
        refs = calloc(1, sizeof(char *));
        if (!refs)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                _cleanup_strv_free_ char **names = NULL;

                if (backends[i]->list(&names) < 0)
                        continue;
                STRV_FOREACH (nm, names) {
                        char *s;

                        if (!dp_container_name_valid(*nm))
                                continue;
                        s = strjoin_sep(":", backends[i]->name, *nm, NULL);
                        if (!s)
                                return -ENOMEM;
                        r = strv_push(&refs, s);
                        if (r < 0) {
                                free(s);
                                return r;
                        }
                }
        }
        n = strv_length(refs);
        if (n > 1)
                qsort(refs, n, sizeof(char *), str_cmp);
        for (size_t i = w = 0; i < n; i++) {
                if (w > 0 && streq(refs[w - 1], refs[i])) {
                        free(refs[i]);
                        continue;
                }
                refs[w++] = refs[i];
        }
        refs[w] = NULL;
        *ret_refs = TAKE_PTR(refs);
        return 0;
}

const char *dp_container_strerror(int error)
{
        switch (error < 0 ? -error : error) {
        case 0:
                return "success";
        case EINVAL:
                return "invalid container reference";
        case EILSEQ:
                return "container name outside the reference grammar "
                       "(" DP_REF_NAME_GRAMMAR "): no reference or rule "
                       "can name it";
        case EPROTONOSUPPORT:
                return "unknown container runtime prefix";
        case ENOENT:
                return "no such container";
        case ESRCH:
                return "container is not running";
        case ENOTUNIQ:
                if (ambiguous_in[0]) {
                        static char msg[sizeof(ambiguous_in) + 96];

                        snprintf(msg, sizeof(msg),
                                 "container name is ambiguous: running in %s; "
                                 "use RUNTIME:NAME",
                                 ambiguous_in);
                        return msg;
                }
                return "container name is ambiguous: it runs in more than "
                       "one runtime, use RUNTIME:NAME";
        case EHOSTDOWN:
                return "systemd-machined is not running: nspawn machines are "
                       "known only through it (use pid:PID of the machine's "
                       "leader)";
        case ENOMEDIUM:
                return "container runtime is not installed or not reachable";
        case ETIMEDOUT:
                return "container runtime did not answer in time";
        case EFBIG:
                return "container runtime sent an oversized answer";
        case EBADMSG:
                return "container runtime sent a malformed answer";
        case EKEYREJECTED:
                return "container runtime's answer failed authentication "
                       "(its socket or peer is not root, or the pid it named "
                       "is not that container's)";
        case EHOSTUNREACH:
                return "the process shares the host's mount, pid and user "
                       "namespaces: not a container";
        case ENAMETOOLONG:
                return "container name too long to authenticate its runtime";
        case EACCES:
        case EPERM:
                return "permission denied while inspecting the container";
        case ENOMEM:
                return "out of memory";
        default:
                return "container lookup failed";
        }
}
