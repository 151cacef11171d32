/* SPDX-License-Identifier: MIT */
#pragma once

/* Safe path walking inside a container's root. Every lookup goes through
 * openat2(RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS), so a
 * container that plants symlinks (`/dev -> /`, `/dev/dri -> /etc`) can never
 * make us act outside its root: any symlink on the way fails with -ELOOP. */

#include <stdbool.h>
#include <stddef.h>
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
 * reopened on the same mount (-EXDEV when something was mounted over the
 * new name meanwhile) and, once fstat() shows a directory that we own, given
 * mk's owner and mode through that fd; directories that already exist are
 * left as they are. Returns an O_PATH|O_DIRECTORY fd in *ret_fd. */
int dp_path_open_dir(int rootfd, const char *path, const dp_path_mkdir *mk,
                     int *ret_fd);

/* Opens the last component `base` in dirfd with O_PATH, without following a
 * symlink there: a symlink gives an fd to the link itself. */
int dp_path_open_entry(int dirfd, const char *base, int *ret_fd);

/* ---- files a container controls ----
 * A path below a container's root may name anything the container planted:
 * a FIFO (open() blocks until a peer shows up, freezing the agent), a device
 * node (host root would open it outside every device cgroup), a symlink. So
 * nothing there is opened for reading or writing before its type is known:
 * dp_ctr_open() looks first with O_PATH (which opens nothing), fstat()s, and
 * only then reopens that very inode; new files are written under a temporary
 * O_EXCL name and renamed into place, so whatever sat at the name is
 * replaced, never opened. */

/* Opens `path` below dirfd (resolved with DP_RESOLVE_SAFE_IN_ROOT, dirfd
 * acting as the root; the last component is never followed) when it is of
 * type `type`: S_IFREG or S_IFDIR with any read-only or write flags (no
 * O_CREAT; reads are made O_NONBLOCK), or any S_IF* type with O_PATH.
 * Errors: -ELOOP for a symlink on the way or at the end, -ENOTDIR when a
 * directory was asked for and something else is there, -EISDIR for a
 * directory where a file was asked for, -ENXIO for a FIFO, socket or device
 * node (never opened), -EINVAL for bad flags. */
int dp_ctr_open(int dirfd, const char *path, int flags, mode_t type,
                int *ret_fd);

typedef struct dp_ctr_file {
        mode_t mode; /* exact mode, umask does not apply */
        uid_t uid;   /* host ids of the owner */
        gid_t gid;
        bool noreplace; /* -EEXIST when anything is at the name already */
} dp_ctr_file;

/* Writes data as the regular file `name` (one component) in dirfd: a new
 * file under a random O_EXCL temporary name, given f's owner and mode
 * through its fd, then renamed onto name. Readers never see half a file;
 * a FIFO, node or symlink at name is replaced without being opened. */
int dp_ctr_write_file(int dirfd, const char *name, const void *data, size_t len,
                      const dp_ctr_file *f);

/* fchmod for an O_PATH fd (plain fchmod refuses those): fchmodat2 with
 * AT_EMPTY_PATH, falling back to /proc/self/fd/N on kernels before 6.6. */
int dp_fchmod_opath(int fd, mode_t mode);
/* fchown for an O_PATH fd, never following a symlink. */
int dp_fchown_opath(int fd, uid_t uid, gid_t gid);
