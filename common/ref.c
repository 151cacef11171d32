/* SPDX-License-Identifier: MIT */
/* Container references: the grammar of devpass/ref.h, and the runtime
 * names that prefix them (listed once, here). */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include "devpass/ref.h"
#include "devpass/util.h"

#define GLOB_CHARS "*?[]"

static const char *const runtime_names[_DP_RUNTIME_MAX] = {
        [DP_RUNTIME_PID] = "pid",       [DP_RUNTIME_CGROUP] = "cgroup",
        [DP_RUNTIME_LXC] = "lxc",       [DP_RUNTIME_INCUS] = "incus",
        [DP_RUNTIME_LXD] = "lxd",       [DP_RUNTIME_NSPAWN] = "nspawn",
        [DP_RUNTIME_DOCKER] = "docker", [DP_RUNTIME_PODMAN] = "podman",
};

const char *dp_runtime_to_string(dp_runtime r)
{
        if ((unsigned)r >= _DP_RUNTIME_MAX)
                return NULL;
        return runtime_names[r];
}

int dp_runtime_from_string(const char *s, dp_runtime *ret)
{
        if (!s)
                return -EINVAL;
        for (unsigned i = 0; i < _DP_RUNTIME_MAX; i++)
                if (streq(s, runtime_names[i])) {
                        *ret = (dp_runtime)i;
                        return 0;
                }
        return -EPROTONOSUPPORT;
}

static bool name_valid(const char *s, bool allow_glob)
{
        size_t n = strlen(s);

        if (n == 0 || n > 253 || streq(s, ".") || streq(s, ".."))
                return false;
        for (; *s; s++) {
                if (isalnum((unsigned char)*s) || strchr("_.-", *s))
                        continue;
                if (allow_glob && strchr(GLOB_CHARS, *s))
                        continue;
                return false;
        }
        return true;
}

bool dp_container_name_valid(const char *name)
{
        return name && name_valid(name, false);
}

static bool pid_valid(const char *s)
{
        unsigned v;

        /* one spelling per process: "pid:007" is not "pid:7" */
        return s[0] != '0' && safe_atou(s, &v) >= 0 && v > 0 && v <= 4194304;
}

static bool cgroup_valid(const char *s, bool allow_glob)
{
        bool any = false;

        if (strlen(s) > 4095)
                return false;
        for (const char *p = s; *p; p++) {
                if ((unsigned char)*p <= 0x20 || *p == 0x7f)
                        return false;
                if (!allow_glob && strchr(GLOB_CHARS, *p))
                        return false;
        }
        for (const char *p = s; *p;) {
                size_t len;

                p += strspn(p, "/");
                len = strcspn(p, "/");
                if ((len == 1 && p[0] == '.') ||
                    (len == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                any = any || len > 0;
                p += len;
        }
        return any; /* the root cgroup is the host, not a container */
}

int dp_ref_split(const char *ref, bool allow_glob, dp_ref *ret)
{
        dp_ref r = {.bare = true, .body = ref};
        const char *colon;

        if (isempty(ref))
                return -EINVAL;
        colon = strchr(ref, ':');
        if (colon) {
                _cleanup_free_ char *prefix =
                        strndup(ref, (size_t)(colon - ref));

                if (!prefix)
                        return -ENOMEM;
                if (dp_runtime_from_string(prefix, &r.runtime) < 0)
                        return isempty(prefix) ? -EINVAL : -EPROTONOSUPPORT;
                r.bare = false;
                r.body = colon + 1;
                if (isempty(r.body))
                        return -EINVAL;
        }
        if (!r.bare && r.runtime == DP_RUNTIME_PID) {
                if (!pid_valid(r.body))
                        return -EINVAL;
        } else if (!r.bare && r.runtime == DP_RUNTIME_CGROUP) {
                if (!cgroup_valid(r.body, allow_glob))
                        return -EINVAL;
        } else if (!name_valid(r.body, allow_glob)) {
                /* control characters, spaces and paths are no name at all */
                for (const char *p = r.body; *p; p++)
                        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
                                return -EINVAL;
                if (strchr(r.body, '/') || streq(r.body, ".") ||
                    streq(r.body, "..") ||
                    (!allow_glob && strpbrk(r.body, GLOB_CHARS)))
                        return -EINVAL;
                return -EILSEQ;
        }
        if (ret)
                *ret = r;
        return 0;
}

int dp_container_ref_validate(const char *ref, bool allow_glob)
{
        int r = dp_ref_split(ref, allow_glob, NULL);

        return r == -ENOMEM ? r : r < 0 ? -EINVAL : 0;
}

/* A runtime whose references carry a container NAME (not pid or cgroup). */
static bool by_name(dp_runtime r)
{
        return r != DP_RUNTIME_PID && r != DP_RUNTIME_CGROUP;
}

bool dp_container_ref_match(const char *glob, const char *ref)
{
        dp_ref g, c;

        if (dp_ref_split(glob, true, &g) < 0 ||
            dp_ref_split(ref, false, &c) < 0)
                return false;
        if (g.bare) /* any runtime, by name */
                return (c.bare || by_name(c.runtime)) &&
                       fnmatch(g.body, c.body, 0) == 0;
        if (c.bare || g.runtime != c.runtime)
                return false;
        if (g.runtime == DP_RUNTIME_PID)
                return streq(g.body, c.body);
        if (g.runtime == DP_RUNTIME_CGROUP)
                return fnmatch(g.body + strspn(g.body, "/"),
                               c.body + strspn(c.body, "/"), FNM_PATHNAME) == 0;
        return fnmatch(g.body, c.body, 0) == 0;
}

bool dp_container_ref_names(const char *user, const char *canonical)
{
        return dp_container_ref_validate(user, false) == 0 &&
               dp_container_ref_match(user, canonical);
}
