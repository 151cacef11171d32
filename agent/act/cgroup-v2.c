/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "devpass/config.h"
#include "bpf-prog.h"
#include "bpf-sys.h"
#include "devpass/act.h"
#include "devpass/device.h"
#include "devpass/util.h"

/* cgroup v2 device grants. Programs on one cgroup are ANDed, so a grant
 * cannot simply add a program. Instead every program attached at the cgroup
 * (the runtime's "original") is swapped, atomically, for a devpass wrapper
 * that allows what the grants map holds and tail-calls the original for
 * everything else. See CGROUP-V2.md. */

#define DEFAULT_BPF_ROOT "/sys/fs/bpf/devpass"
#define BPFFS_MOUNT      "/sys/fs/bpf"
#define CG_MAX_PROGS     64 /* BPF_CGROUP_MAX_PROGS in the kernel */
#define PIN_GRANTS       "grants"

static const char *bpf_root(void)
{
        const char *e = dp_config_get()->bpf_root;

        return isempty(e) ? DEFAULT_BPF_ROOT : e;
}

static bool is_fs(const char *path, long magic)
{
        struct statfs sfs;

        return statfs(path, &sfs) >= 0 && (long)sfs.f_type == magic;
}

/* The pins must live on bpffs; mount it at its usual place when the root
 * is below it and nobody has mounted it yet (not the default here). */
static int ensure_bpf_root(const char *root)
{
        int r;

        if (is_fs(root, BPF_FS_MAGIC))
                return 0;
        if (startswith(root, BPFFS_MOUNT "/") &&
            !is_fs(BPFFS_MOUNT, BPF_FS_MAGIC) &&
            mount("bpf", BPFFS_MOUNT, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "mode=0700") < 0 &&
            errno != EBUSY)
                return negative_errno();
        r = mkdir_p(root, 0700);
        if (r < 0)
                return r;
        return is_fs(root, BPF_FS_MAGIC) ? 0 : -EMEDIUMTYPE;
}

static char *pin_dir(uint64_t cg_ino)
{
        char name[32];

        snprintf(name, sizeof(name), "cg-%" PRIu64, cg_ino);
        return strjoin_sep("/", bpf_root(), name, NULL);
}

static char *pin_path(const char *dir, const char *prefix, uint32_t id)
{
        char name[32];

        snprintf(name, sizeof(name), "%s-%" PRIu32, prefix, id);
        return strjoin_sep("/", dir, name, NULL);
}

static int open_cgroup(const char *cgdir, int *ret_fd, uint64_t *ret_ino)
{
        _cleanup_close_ int fd = -EBADF;
        struct statfs sfs;
        struct stat st;

        if (isempty(cgdir))
                return -EINVAL;
        fd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if ((long)sfs.f_type != CGROUP2_SUPER_MAGIC)
                return -EMEDIUMTYPE;
        *ret_ino = (uint64_t)st.st_ino;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int make_key(char type, unsigned major, unsigned minor,
                    dp_bpf_dev_key *ret)
{
        uint32_t t = dp_bpf_dev_type(type);

        if (!t)
                return -EINVAL;
        *ret = (dp_bpf_dev_key){.type = t, .major = major, .minor = minor};
        return 0;
}

/* A program of ours: recognised by name, so that a restarted devpass (or a
 * second process) never wraps a wrapper. */
static bool prog_is_wrapper(const struct bpf_prog_info *info)
{
        return strneq(info->name, DP_BPF_PROG_NAME, BPF_OBJ_NAME_LEN);
}

/* Finds the map of the given type among a program's maps. */
static int prog_find_map(int prog_fd, enum bpf_map_type type, int *ret_fd)
{
        /* zeroed: the kernel fills it, which valgrind cannot see */
        uint32_t ids[8] = {0};
        struct bpf_prog_info info;
        int r;

        r = dp_bpf_prog_info(prog_fd, &info, ids, ELEMENTSOF(ids));
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < info.nr_map_ids && i < ELEMENTSOF(ids); i++) {
                _cleanup_close_ int fd = dp_bpf_map_get_fd_by_id(ids[i]);
                struct bpf_map_info mi;

                if (fd < 0)
                        continue;
                if (dp_bpf_map_info(fd, &mi) < 0 || mi.type != type)
                        continue;
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        return -ENOENT;
}

static int map_id(int fd, uint32_t *ret)
{
        struct bpf_map_info mi;
        int r = dp_bpf_map_info(fd, &mi);

        if (r < 0)
                return r;
        *ret = mi.id;
        return 0;
}

/* Pins fd at path, replacing whatever was pinned there. */
static int pin_replace(int fd, const char *path)
{
        if (unlink(path) < 0 && errno != ENOENT)
                return negative_errno();
        return dp_bpf_obj_pin(fd, path);
}

/* Programs attached at the cgroup itself (not inherited). */
typedef struct cg_progs {
        uint32_t ids[CG_MAX_PROGS];
        uint32_t n;
        uint32_t flags; /* the cgroup's attach flags: MULTI, OVERRIDE or 0 */
} cg_progs;

static int query_attached(int cg_fd, cg_progs *ret)
{
        cg_progs p = {.n = CG_MAX_PROGS};
        int r;

        r = dp_bpf_prog_query(cg_fd, BPF_CGROUP_DEVICE, 0, &p.flags, p.ids,
                              &p.n);
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

static int count_effective(int cg_fd, uint32_t *ret)
{
        uint32_t ids[CG_MAX_PROGS], n = CG_MAX_PROGS;
        int r;

        r = dp_bpf_prog_query(cg_fd, BPF_CGROUP_DEVICE, BPF_F_QUERY_EFFECTIVE,
                              NULL, ids, &n);
        if (r < 0 && r != -ENOSPC)
                return r;
        *ret = n;
        return 0;
}

/* Swaps the original for a wrapper, in this order so that no step leaves
 * the container without its devices: the prog array is filled and pinned
 * before the wrapper is attached (an unpinned array is emptied when this
 * process exits, which would deny everything), and the attach replaces the
 * original in one step. */
static int wrap_original(int cg_fd, uint32_t cg_flags, const char *dir,
                         int grants_fd, int orig_fd, uint32_t orig_id)
{
        _cleanup_free_ char *arr_path = pin_path(dir, "orig", orig_id);
        _cleanup_free_ char *wrap_path = pin_path(dir, "wrap", orig_id);
        _cleanup_close_ int arr_fd = -EBADF, prog_fd = -EBADF;
        static const enum bpf_attach_type attach_types[] = {
                BPF_CGROUP_DEVICE,
                (enum bpf_attach_type)0,
        };
        struct bpf_insn insns[DP_BPF_PROG_MAX_INSNS];
        uint32_t key = 0, val = (uint32_t)orig_fd;
        int n, r;

        if (!arr_path || !wrap_path)
                return -ENOMEM;
        arr_fd = dp_bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, DP_BPF_ARRAY_NAME,
                                   sizeof(uint32_t), sizeof(uint32_t), 1, 0);
        if (arr_fd < 0)
                return arr_fd;
        /* Inserting first makes the original's type the array's owner type,
         * which the wrapper's load is then checked against. */
        r = dp_bpf_map_update(arr_fd, &key, &val, BPF_ANY);
        if (r < 0)
                return r;
        n = dp_bpf_devprog_build(grants_fd, arr_fd, insns, ELEMENTSOF(insns));
        if (n < 0)
                return n;
        /* A tail call needs the wrapper to match the array's owner, and the
         * kernel compares expected_attach_type too, which program info does
         * not report: runtimes load with BPF_CGROUP_DEVICE (runc) or with 0
         * (raw loaders), so try one, then the other. */
        for (size_t i = 0; i < ELEMENTSOF(attach_types); i++) {
                prog_fd = dp_bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE,
                                           attach_types[i], DP_BPF_PROG_NAME,
                                           insns, (size_t)n, DP_BPF_LICENSE,
                                           NULL, 0);
                if (prog_fd != -EINVAL)
                        break;
        }
        if (prog_fd < 0)
                return prog_fd;
        r = pin_replace(arr_fd, arr_path);
        if (r < 0)
                return r;
        r = pin_replace(prog_fd, wrap_path);
        if (r < 0)
                goto fail;
        /* MULTI cgroups: replace exactly the original. Single-program
         * cgroups (flags 0 or OVERRIDE): attaching with the same flags
         * replaces the one program, just as atomically. */
        if (cg_flags & BPF_F_ALLOW_MULTI)
                r = dp_bpf_prog_attach(prog_fd, cg_fd, BPF_CGROUP_DEVICE,
                                       BPF_F_ALLOW_MULTI, orig_fd);
        else
                r = dp_bpf_prog_attach(prog_fd, cg_fd, BPF_CGROUP_DEVICE,
                                       cg_flags, -1);
        if (r < 0)
                goto fail;
        return 0;
fail:
        (void)unlink(wrap_path);
        (void)unlink(arr_path);
        return r;
}

/* Opens the grants map every devpass wrapper on the cgroup uses, creating
 * and pinning it when there is none. The attached wrappers are the truth:
 * if the pin was lost or points elsewhere, it is re-pinned to their map, so
 * there is only ever one devpass map per cgroup. */
static int grants_map_open(const char *dir, int wrapper_fd, int *ret_fd)
{
        _cleanup_free_ char *path = strjoin_sep("/", dir, PIN_GRANTS, NULL);
        _cleanup_close_ int pinned = -EBADF, used = -EBADF;
        int r;

        if (!path)
                return -ENOMEM;
        pinned = dp_bpf_obj_get(path);
        if (pinned < 0 && pinned != -ENOENT)
                return pinned;
        if (wrapper_fd >= 0) {
                uint32_t a = 0, b = 0;

                r = prog_find_map(wrapper_fd, BPF_MAP_TYPE_HASH, &used);
                if (r < 0)
                        return r;
                if (pinned >= 0 && map_id(pinned, &a) >= 0 &&
                    map_id(used, &b) >= 0 && a == b) {
                        *ret_fd = TAKE_FD(pinned);
                        return 0;
                }
                r = pin_replace(used, path);
                if (r < 0)
                        return r;
                *ret_fd = TAKE_FD(used);
                return 0;
        }
        if (pinned >= 0) {
                *ret_fd = TAKE_FD(pinned);
                return 0;
        }
        /* Allocated per entry (NO_PREALLOC): most containers hold a handful
         * of grants, and preallocating 128k entries per cgroup would cost
         * megabytes each. */
        used = dp_bpf_map_create(BPF_MAP_TYPE_HASH, DP_BPF_MAP_NAME,
                                 sizeof(dp_bpf_dev_key),
                                 sizeof(dp_bpf_dev_value), DP_BPF_MAX_ENTRIES,
                                 BPF_F_NO_PREALLOC);
        if (used < 0)
                return used;
        r = dp_bpf_obj_pin(used, path);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(used);
        return 0;
}

/* Makes sure every program attached at the cgroup is a devpass wrapper
 * around the same grants map, and returns that map. *ret_wrapped tells
 * whether a swap happened. -ENODATA: no program restricts the cgroup. */
static int cg2_setup(int cg_fd, uint64_t ino, int *ret_map, bool *ret_wrapped)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int map_fd = -EBADF, wrapper_fd = -EBADF;
        int orig_fds[CG_MAX_PROGS];
        uint32_t orig_ids[CG_MAX_PROGS], n_orig = 0;
        bool wrapped = false;
        cg_progs p;
        int r;

        r = query_attached(cg_fd, &p);
        if (r < 0)
                return r;
        if (p.n == 0) {
                uint32_t n_eff;

                r = count_effective(cg_fd, &n_eff);
                if (r < 0)
                        return r;
                /* Only an ancestor restricts: its program is ANDed with
                 * anything attached here, so nothing here can widen it. */
                return n_eff > 0 ? -EOPNOTSUPP : -ENODATA;
        }

        for (uint32_t i = 0; i < p.n; i++) {
                _cleanup_close_ int fd = dp_bpf_prog_get_fd_by_id(p.ids[i]);
                struct bpf_prog_info info;

                if (fd < 0) {
                        r = fd;
                        goto out;
                }
                r = dp_bpf_prog_info(fd, &info, NULL, 0);
                if (r < 0)
                        goto out;
                if (prog_is_wrapper(&info)) {
                        if (wrapper_fd < 0)
                                wrapper_fd = TAKE_FD(fd);
                        continue;
                }
                orig_ids[n_orig] = p.ids[i];
                orig_fds[n_orig++] = TAKE_FD(fd);
        }

        r = ensure_bpf_root(bpf_root());
        if (r < 0)
                goto out;
        dir = pin_dir(ino);
        if (!dir) {
                r = -ENOMEM;
                goto out;
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                r = negative_errno();
                goto out;
        }
        r = grants_map_open(dir, wrapper_fd, &map_fd);
        if (r < 0)
                goto out;
        for (uint32_t i = 0; i < n_orig; i++) {
                r = wrap_original(cg_fd, p.flags, dir, map_fd, orig_fds[i],
                                  orig_ids[i]);
                if (r < 0)
                        goto out;
                wrapped = true;
        }
        *ret_map = TAKE_FD(map_fd);
        *ret_wrapped = wrapped;
        r = 0;
out:
        for (uint32_t i = 0; i < n_orig; i++)
                safe_close(orig_fds[i]);
        return r;
}

int dp_cg2_grant(const char *cgdir, char type, unsigned major, unsigned minor,
                 unsigned access, bool *ret_changed)
{
        _cleanup_close_ int cg_fd = -EBADF, map_fd = -EBADF;
        dp_bpf_dev_key key;
        dp_bpf_dev_value val, old;
        bool wrapped = false;
        uint64_t ino;
        int r;

        if (access == 0 ||
            (access &
             ~(unsigned)(DP_ACCESS_READ | DP_ACCESS_WRITE | DP_ACCESS_MKNOD)))
                return -EINVAL;
        r = make_key(type, major, minor, &key);
        if (r < 0)
                return r;
        r = open_cgroup(cgdir, &cg_fd, &ino);
        if (r < 0)
                return r;
        r = cg2_setup(cg_fd, ino, &map_fd, &wrapped);
        if (r == -ENODATA) {
                /* v2 does not restrict this cgroup: nothing to widen, and
                 * attaching a deny-by-default program would take devices
                 * away. */
                if (ret_changed)
                        *ret_changed = false;
                return 0;
        }
        if (r < 0)
                return r;

        val = dp_bpf_access(access);
        r = dp_bpf_map_lookup(map_fd, &key, &old);
        if (r == 0 && old == val && !wrapped) {
                if (ret_changed)
                        *ret_changed = false;
                return 0;
        }
        if (r < 0 && r != -ENOENT)
                return r;
        r = dp_bpf_map_update(map_fd, &key, &val, BPF_ANY);
        if (r < 0)
                return r;
        if (ret_changed)
                *ret_changed = true;
        return 0;
}

/* The grants map of an existing cgroup without changing anything: the pin,
 * or else the map of an attached wrapper. -ENOENT when devpass has none. */
static int grants_map_find(const char *cgdir, int *ret_fd)
{
        _cleanup_close_ int cg_fd = -EBADF;
        _cleanup_free_ char *dir = NULL, *path = NULL;
        uint64_t ino;
        cg_progs p;
        int fd, r;

        r = open_cgroup(cgdir, &cg_fd, &ino);
        if (r < 0)
                return r;
        dir = pin_dir(ino);
        path = dir ? strjoin_sep("/", dir, PIN_GRANTS, NULL) : NULL;
        if (!path)
                return -ENOMEM;
        fd = dp_bpf_obj_get(path);
        if (fd >= 0 || fd != -ENOENT) {
                if (fd >= 0)
                        *ret_fd = fd;
                return fd < 0 ? fd : 0;
        }
        r = query_attached(cg_fd, &p);
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < p.n; i++) {
                _cleanup_close_ int pfd = dp_bpf_prog_get_fd_by_id(p.ids[i]);
                struct bpf_prog_info info;

                if (pfd < 0 || dp_bpf_prog_info(pfd, &info, NULL, 0) < 0 ||
                    !prog_is_wrapper(&info))
                        continue;
                return prog_find_map(pfd, BPF_MAP_TYPE_HASH, ret_fd);
        }
        return -ENOENT;
}

/* The map key of a node and devpass's grants map at cgdir: 1 with both
 * set, 0 when the cgroup exists but devpass never granted anything there. */
static int grants_key_find(const char *cgdir, char type, unsigned major,
                           unsigned minor, dp_bpf_dev_key *ret_key, int *ret_fd)
{
        int r;

        r = make_key(type, major, minor, ret_key);
        if (r < 0)
                return r;
        r = grants_map_find(cgdir, ret_fd);
        if (r == -ENOENT && access(cgdir, F_OK) >= 0)
                return 0;
        return r < 0 ? r : 1;
}

int dp_cg2_revoke(const char *cgdir, char type, unsigned major, unsigned minor)
{
        _cleanup_close_ int map_fd = -EBADF;
        dp_bpf_dev_key key;
        int r;

        r = grants_key_find(cgdir, type, major, minor, &key, &map_fd);
        if (r <= 0)
                return r;
        r = dp_bpf_map_delete(map_fd, &key);
        return r == -ENOENT ? 0 : r;
}

/* Whether the grant is in force, not only recorded: every program attached
 * at the cgroup must be a devpass wrapper whose map holds the entry. A
 * runtime that re-applies its config swaps its own program back in for the
 * wrapper (REPLACE) or attaches a new one beside it (ANDed), and the pinned
 * map still holds the entry while the device is denied. */
int dp_cg2_has(const char *cgdir, char type, unsigned major, unsigned minor)
{
        _cleanup_close_ int cg_fd = -EBADF;
        dp_bpf_dev_key key;
        uint64_t ino;
        cg_progs p;
        int r;

        r = make_key(type, major, minor, &key);
        if (r < 0)
                return r;
        r = open_cgroup(cgdir, &cg_fd, &ino);
        if (r < 0)
                return r;
        r = query_attached(cg_fd, &p);
        if (r < 0)
                return r;
        if (p.n == 0)
                return 0; /* no wrapper, so no devpass grant either */
        for (uint32_t i = 0; i < p.n; i++) {
                _cleanup_close_ int fd = dp_bpf_prog_get_fd_by_id(p.ids[i]);
                _cleanup_close_ int map_fd = -EBADF;
                struct bpf_prog_info info;
                dp_bpf_dev_value val;

                /* a program detached since the query: look again next time */
                if (fd == -ENOENT)
                        return 0;
                if (fd < 0)
                        return fd;
                r = dp_bpf_prog_info(fd, &info, NULL, 0);
                if (r < 0)
                        return r;
                if (!prog_is_wrapper(&info))
                        return 0;
                r = prog_find_map(fd, BPF_MAP_TYPE_HASH, &map_fd);
                if (r < 0)
                        return r;
                r = dp_bpf_map_lookup(map_fd, &key, &val);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
        }
        return 1;
}

/* ---- release ---- */

/* Swaps a wrapper back for the original its prog array holds. */
static int unwrap(int cg_fd, uint32_t cg_flags, int wrapper_fd)
{
        _cleanup_close_ int arr_fd = -EBADF, orig_fd = -EBADF;
        uint32_t key = 0, orig_id;
        int r;

        r = prog_find_map(wrapper_fd, BPF_MAP_TYPE_PROG_ARRAY, &arr_fd);
        if (r < 0)
                return r;
        /* From user space a prog array lookup yields the program's id. */
        r = dp_bpf_map_lookup(arr_fd, &key, &orig_id);
        if (r == -ENOENT)
                return -ESTALE; /* the original is lost: keep the wrapper */
        if (r < 0)
                return r;
        orig_fd = dp_bpf_prog_get_fd_by_id(orig_id);
        if (orig_fd < 0)
                return orig_fd == -ENOENT ? -ESTALE : orig_fd;
        if (cg_flags & BPF_F_ALLOW_MULTI)
                return dp_bpf_prog_attach(orig_fd, cg_fd, BPF_CGROUP_DEVICE,
                                          BPF_F_ALLOW_MULTI, wrapper_fd);
        return dp_bpf_prog_attach(orig_fd, cg_fd, BPF_CGROUP_DEVICE, cg_flags,
                                  -1);
}

static int remove_pin_dir(const char *dir)
{
        _cleanup_close_ int dfd = -EBADF;
        DIR *d;
        struct dirent *de;
        int r = 0;

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        d = fdopendir(dfd);
        if (!d)
                return negative_errno();
        TAKE_FD(dfd); /* owned by d now */
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
                        r = negative_errno();
        }
        closedir(d);
        if (rmdir(dir) < 0 && errno != ENOENT && r == 0)
                r = negative_errno();
        return r;
}

/* The pin directory is named after the cgroup's inode number, which for
 * cgroupfs is the 64-bit kernfs id (never reused) and also the file handle
 * open_by_handle_at takes, so liveness can be checked without the path. */
static bool cgroup_alive(int cg_root_fd, uint64_t id)
{
        _Alignas(struct file_handle) char
                buf[sizeof(struct file_handle) + sizeof(uint64_t)];
        struct file_handle *fh = (struct file_handle *)buf;
        int fd;

        fh->handle_bytes = sizeof(uint64_t);
        fh->handle_type = 0xfe; /* FILEID_KERNFS */
        memcpy(fh->f_handle, &id, sizeof(id));
        fd = open_by_handle_at(cg_root_fd, fh,
                               O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                close(fd);
                return true;
        }
        /* Only a definite "gone" counts; anything else keeps the pins. */
        return !(errno == ESTALE || errno == ENOENT);
}

/* Removes the pins of every cgroup that no longer exists; root_fd: any
 * directory on the cgroup2 mount, for the file handles. */
static int sweep(int root_fd)
{
        DIR *d;
        struct dirent *de;
        int r = 0;

        d = opendir(bpf_root());
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        while ((de = readdir(d))) {
                _cleanup_free_ char *dir = NULL;
                uint64_t id;
                int n = 0;

                if (sscanf(de->d_name, "cg-%" SCNu64 "%n", &id, &n) != 1 ||
                    de->d_name[n] != 0)
                        continue;
                if (cgroup_alive(root_fd, id))
                        continue;
                dir = strjoin_sep("/", bpf_root(), de->d_name, NULL);
                if (!dir) {
                        r = -ENOMEM;
                        break;
                }
                if (remove_pin_dir(dir) < 0 && r == 0)
                        r = -EBUSY;
        }
        closedir(d);
        return r;
}

static int open_cg2_dir(const char *path)
{
        struct statfs sfs;
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd >= 0 &&
            (fstatfs(fd, &sfs) < 0 || (long)sfs.f_type != CGROUP2_SUPER_MAGIC))
                fd = safe_close(fd);
        return fd;
}

/* cgdir is gone: remove the pins of every cgroup that no longer exists. */
static int sweep_dead(const char *cgdir)
{
        _cleanup_free_ char *p = strdup(cgdir);
        _cleanup_close_ int root_fd = -EBADF;

        if (!p)
                return -ENOMEM;
        /* Any live ancestor on cgroup2 serves as the handle's mount. */
        for (char *slash; root_fd < 0 && (slash = strrchr(p, '/'));) {
                *slash = 0;
                root_fd = open_cg2_dir(isempty(p) ? "/" : p);
        }
        if (root_fd < 0)
                return -ENOENT;
        return sweep(root_fd);
}

int dp_cg2_sweep(const char *cg2_root)
{
        _cleanup_close_ int root_fd = -EBADF;

        if (isempty(cg2_root))
                return -EINVAL;
        root_fd = open_cg2_dir(cg2_root);
        if (root_fd < 0)
                return -EMEDIUMTYPE;
        return sweep(root_fd);
}

int dp_cg2_release(const char *cgdir)
{
        _cleanup_close_ int cg_fd = -EBADF;
        _cleanup_free_ char *dir = NULL;
        bool lost = false;
        uint64_t ino;
        cg_progs p;
        int r;

        r = open_cgroup(cgdir, &cg_fd, &ino);
        if (r == -ENOENT && !isempty(cgdir))
                return sweep_dead(cgdir);
        if (r < 0)
                return r;
        r = query_attached(cg_fd, &p);
        if (r < 0)
                return r;
        for (uint32_t i = 0; i < p.n; i++) {
                _cleanup_close_ int fd = dp_bpf_prog_get_fd_by_id(p.ids[i]);
                struct bpf_prog_info info;

                if (fd < 0)
                        return fd;
                r = dp_bpf_prog_info(fd, &info, NULL, 0);
                if (r < 0)
                        return r;
                if (!prog_is_wrapper(&info))
                        continue;
                r = unwrap(cg_fd, p.flags, fd);
                if (r == -ESTALE) {
                        lost = true;
                        continue;
                }
                if (r < 0)
                        return r;
        }
        /* A wrapper whose original is lost still denies what the runtime
         * denied; removing it would widen access, so it stays, with the
         * pins that keep its grants. */
        if (lost)
                return -ESTALE;
        dir = pin_dir(ino);
        if (!dir)
                return -ENOMEM;
        return remove_pin_dir(dir);
}
