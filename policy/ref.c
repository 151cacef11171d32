/* SPDX-License-Identifier: MIT */
/* Container references: NAME, RUNTIME:NAME, pid:PID, cgroup:PATH. */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include "policy-internal.h"

static const char *const runtimes[] = {
        "lxc", "incus", "lxd", "nspawn", "docker", "podman",
};

/* Returns the runtime's name length when ref starts with "RUNTIME:". */
static size_t runtime_prefix(const char *ref)
{
        for (size_t i = 0; i < ELEMENTSOF(runtimes); i++) {
                size_t n = strlen(runtimes[i]);

                if (strneq(ref, runtimes[i], n) && ref[n] == ':')
                        return n;
        }
        return 0;
}

static bool valid_name(const char *s, bool allow_glob)
{
        size_t n = strlen(s);

        if (n == 0 || n > 253)
                return false;
        for (; *s; s++) {
                if (isalnum((unsigned char)*s) || strchr("_.-", *s))
                        continue;
                if (allow_glob && strchr("*?[]", *s))
                        continue;
                return false;
        }
        return true;
}

static bool valid_pid(const char *s)
{
        unsigned v;

        /* no leading zeros: "pid:007" would never equal the "pid:7" that
         * the registry reports */
        if (s[0] == '0')
                return false;
        return safe_atou(s, &v) >= 0 && v > 0 && v <= 4194304;
}

static bool valid_cgroup_path(const char *s, bool allow_glob)
{
        size_t n = strlen(s);

        if (n == 0 || n > 4095 || s[0] != '/')
                return false;
        for (const char *p = s; *p; p++) {
                if ((unsigned char)*p <= 0x20 || *p == 0x7f)
                        return false;
                if (!allow_glob && strchr("*?[]", *p))
                        return false;
        }
        for (const char *p = s + 1; *p;) {
                size_t len = strcspn(p, "/");

                if (len == 2 && p[0] == '.' && p[1] == '.')
                        return false;
                p += len;
                if (*p)
                        p++;
        }
        return true;
}

int dp_container_ref_validate(const char *ref, bool allow_glob)
{
        size_t n;

        if (isempty(ref))
                return -EINVAL;
        n = runtime_prefix(ref);
        if (n > 0)
                return valid_name(ref + n + 1, allow_glob) ? 0 : -EINVAL;
        if (startswith(ref, "pid:"))
                return valid_pid(ref + 4) ? 0 : -EINVAL;
        if (startswith(ref, "cgroup:"))
                return valid_cgroup_path(ref + 7, allow_glob) ? 0 : -EINVAL;
        return valid_name(ref, allow_glob) ? 0 : -EINVAL;
}

bool dp_container_ref_match(const char *glob, const char *ref)
{
        size_t gn, rn;

        if (dp_container_ref_validate(glob, true) < 0 ||
            dp_container_ref_validate(ref, false) < 0)
                return false;
        if (startswith(glob, "pid:") || startswith(ref, "pid:"))
                return streq(glob, ref);
        if (startswith(glob, "cgroup:") || startswith(ref, "cgroup:"))
                return startswith(glob, "cgroup:") &&
                       startswith(ref, "cgroup:") &&
                       fnmatch(glob + 7, ref + 7, FNM_PATHNAME) == 0;
        gn = runtime_prefix(glob);
        rn = runtime_prefix(ref);
        if (gn == 0) /* bare: any runtime, by name */
                return fnmatch(glob, rn ? ref + rn + 1 : ref, 0) == 0;
        if (gn != rn || !strneq(glob, ref, gn))
                return false;
        return fnmatch(glob + gn + 1, ref + rn + 1, 0) == 0;
}
