/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devpass/log.h"
#include "devpass/util.h"
#include "module-load.h"

static bool safe_owner(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 &&
               (st.st_uid == 0 || st.st_uid == geteuid()) &&
               !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* A regular file that only its owner (root or us) can change, in a
 * directory likewise. */
static bool trusted(const char *path)
{
        char dir[PATH_MAX];
        struct stat st;
        char *slash;

        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !safe_owner(path) ||
            strlen(path) >= sizeof(dir))
                return false;
        strcpy(dir, path);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return false;
        *slash = 0;
        return safe_owner(dir);
}

static const char *module_path(const char *installed, const char *build)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n > 0) {
                self[n] = 0;
                if (startswith(self, DEVPASS_BUILD_DIR))
                        return build;
        }
        return installed;
}

int dp_module_load(const char *installed, const char *build, const char *what,
                   const char *const *names, void **syms, unsigned n)
{
        const char *path = module_path(installed, build);
        void *dl;

        if (!trusted(path)) {
                log_error("%s, needed to %s, is missing or can be changed by "
                          "others than root; not loaded",
                          path, what);
                return -ELIBACC;
        }
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                log_error("Cannot load %s, needed to %s: %s", path, what,
                          dlerror());
                return -ELIBACC;
        }
        for (unsigned i = 0; i < n; i++) {
                syms[i] = dlsym(dl, names[i]);
                if (!syms[i]) {
                        log_error("%s lacks %s: %s", path, names[i], dlerror());
                        dlclose(dl);
                        return -ELIBBAD;
                }
        }
        return 0;
}
