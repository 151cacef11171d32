/* SPDX-License-Identifier: MIT */
#pragma once

/* Safe path walking inside a container's root. Every lookup goes through
 * openat2(RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS), so a
 * container that plants symlinks (`/dev -> /`, `/dev/dri -> /etc`) can never
 * make us act outside its root: any symlink on the way fails with -ELOOP. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Resolve flags used for every lookup below a container root. */
#define DP_RESOLVE_SAFE_IN_ROOT                     \
        (UINT64_C(0x10) /* RESOLVE_IN_ROOT */ |     \
         UINT64_C(0x04) /* RESOLVE_NO_SYMLINKS */ | \
         UINT64_C(0x02) /* RESOLVE_NO_MAGICLINKS */)

/* openat2(2) through the raw syscall (glibc 2.36 has no wrapper). Returns the
 * new fd or a negative errno. */
int dp_openat2(int dirfd, const char *path, int flags, mode_t mode,
               uint64_t resolve);

/* Checks that path is absolute and names something below "/": no empty
 * result, no "." or ".." components (repeated slashes are tolerated). */
bool dp_path_is_safe_absolute(const char *path);

/* Splits a safe absolute path into its parent directory and last component,
 * e.g. "/dev/dri/card0" → "/dev/dri", "card0"; "/x" → "/", "x". -EINVAL for
 * paths dp_path_is_safe_absolute() rejects. */
int dp_path_split(const char *path, char **ret_dir, char **ret_base);

/* How to create missing directories; NULL means "do not create". */
typedef struct dp_path_mkdir {
        mode_t mode; /* exact mode, umask does not apply */
        uid_t uid;   /* host ids of the owner */
        gid_t gid;
} dp_path_mkdir;

/* Opens the directory `path` (absolute, as seen from rootfd) below rootfd,
 * component by component, refusing symlinks (-ELOOP) and non-directories
 * (-ENOTDIR). With mk, a missing component is created with mkdirat, then
 * reopened with the same checks and given mk's owner and mode; directories
 * that already exist are left as they are. Returns an O_PATH|O_DIRECTORY fd
 * in *ret_fd. */
int dp_path_open_dir(int rootfd, const char *path, const dp_path_mkdir *mk,
                     int *ret_fd);

/* Opens the last component `base` in dirfd with O_PATH, without following a
 * symlink there: a symlink gives an fd to the link itself. */
int dp_path_open_entry(int dirfd, const char *base, int *ret_fd);

/* fchmod for an O_PATH fd (plain fchmod refuses those): fchmodat2 with
 * AT_EMPTY_PATH, falling back to /proc/self/fd/N on kernels before 6.6. */
int dp_fchmod_opath(int fd, mode_t mode);
/* fchown for an O_PATH fd, never following a symlink. */
int dp_fchown_opath(int fd, uid_t uid, gid_t gid);
