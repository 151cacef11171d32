/* SPDX-License-Identifier: MIT */
/* cgroup v2 device grants against the real kernel: scratch cgroups under
 * the cgroup2 mount, a runc-like "runtime" program attached the way runc
 * attaches it, and children placed in the cgroup that open fake-major nodes
 * (ENXIO = the cgroup allowed it, EPERM = it denied it). */
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "devpass/config.h"
#include "act-cgroup-util.h"
#include "bpf-prog.h"
#include "bpf-sys.h"
#include "devpass/act.h"
#include "devpass/device.h"

#define RW (DP_ACCESS_READ | DP_ACCESS_WRITE)

static struct {
        char tmp[64];     /* holds the fake nodes */
        char bpfroot[64]; /* the bpf-root test path for this run */
        char *card;       /* c 226:0 */
        char *usb;        /* c 189:1 */
        int seq;
} G;

typedef struct fixture {
        char *cg;
        char *child; /* optional nested cgroup */
} fixture;

static int group_setup(void **state)
{
        const char *root = dpt_cg2_root();
        int fd;

        if (geteuid() != 0) {
                fprintf(stderr, "SKIP: needs root\n");
                exit(77);
        }
        if (!root) {
                fprintf(stderr, "SKIP: no cgroup2 mount\n");
                exit(77);
        }
        fd = dpt_runtime_prog_load();
        if (fd < 0) {
                fprintf(stderr,
                        "SKIP: cannot load a cgroup device program: %s\n",
                        strerror(-fd));
                exit(77);
        }
        close(fd);
        snprintf(G.tmp, sizeof(G.tmp), "/tmp/dpt-cg2-%d-XXXXXX", getpid());
        snprintf(G.bpfroot, sizeof(G.bpfroot), "/sys/fs/bpf/dpt-cg2-%d",
                 getpid());
        dp_config_set("bpf-root", G.bpfroot);
        if (dpt_scratch_nodes(G.tmp, &G.card, &G.usb) < 0)
                return -1;
        return 0;
}

static int group_teardown(void **state)
{
        dpt_rm_rf(G.tmp);
        dpt_rm_rf(G.bpfroot);
        free(G.card);
        free(G.usb);
        return 0;
}

static int setup(void **state)
{
        fixture *f = calloc(1, sizeof(*f));
        char name[64];

        assert_non_null(f);
        snprintf(name, sizeof(name), "dpt-cg2-%d-%d", getpid(), G.seq++);
        assert_int_equal(dpt_cg_make(dpt_cg2_root(), name, &f->cg), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture *f = *state;

        if (f->child)
                dpt_cg_remove(f->child);
        dpt_cg_remove(f->cg);
        /* the cgroup is gone: this drops its pins */
        (void)dp_cg2_release(f->cg);
        free(f->child);
        free(f->cg);
        free(f);
        return 0;
}

static uint32_t attach_runtime_as(const char *cg, uint32_t flags,
                                  uint32_t expected)
{
        uint32_t ids[8] = {0}, n = 8;
        int fd = dpt_runtime_prog_load_as(expected);

        assert_true(fd >= 0);
        assert_int_equal(dpt_attach(fd, cg, flags), 0);
        /* like a runtime that has exited: only the attachment holds it */
        close(fd);
        assert_int_equal(dpt_query(cg, ids, &n), 0);
        assert_true(n >= 1);
        return ids[n - 1];
}

static uint32_t attach_runtime(const char *cg, uint32_t flags)
{
        return attach_runtime_as(cg, flags, BPF_CGROUP_DEVICE);
}

static char *pin_dir_of(const char *cg)
{
        struct stat st;
        char buf[128];

        assert_int_equal(stat(cg, &st), 0);
        snprintf(buf, sizeof(buf), "%s/cg-%" PRIu64, G.bpfroot,
                 (uint64_t)st.st_ino);
        return strdup(buf);
}

static bool exists(const char *dir, const char *name)
{
        _cleanup_free_ char *p = strjoin_sep("/", dir, name, NULL);

        return p && access(p, F_OK) == 0;
}

/* Grants from a separate process that exits afterwards, as devpassctl
 * would: whatever devpass leaves must work without it. */
static int grant_in_child(const char *cg, char type, unsigned major,
                          unsigned minor, unsigned access)
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                bool changed = false;
                int r = dp_cg2_grant(cg, type, major, minor, access, &changed);

                _exit(r < 0 ? 100 : changed ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* The hash map the one attached wrapper uses. */
static uint32_t wrapper_map(const char *cg)
{
        uint32_t ids[8] = {0}, n = 8, maps[8] = {0}, nm = 8;
        char name[16];

        assert_int_equal(dpt_query(cg, ids, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(dpt_prog_name(ids[0], name), 0);
        assert_string_equal(name, DP_BPF_PROG_NAME);
        assert_int_equal(dpt_prog_maps(ids[0], maps, &nm), 0);
        assert_int_equal(nm, 2);
        for (uint32_t i = 0; i < nm; i++) {
                _cleanup_close_ int fd = dp_bpf_map_get_fd_by_id(maps[i]);
                struct bpf_map_info mi;

                assert_true(fd >= 0);
                assert_int_equal(dp_bpf_map_info(fd, &mi), 0);
                if (mi.type == BPF_MAP_TYPE_HASH)
                        return mi.id;
        }
        fail_msg("wrapper has no hash map");
        return 0;
}

/* ---- tests ---- */

static void test_no_program(void **state)
{
        fixture *f = *state;
        uint32_t ids[8] = {0}, n = 8;
        bool changed = true;

        /* v2 does not restrict: nothing to widen, nothing attached */
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -ENXIO);
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, RW, &changed), 0);
        assert_false(changed);
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), 0);
        assert_int_equal(dp_cg2_revoke(f->cg, 'c', 226, 0), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -ENXIO);
}

static void test_bad_args(void **state)
{
        fixture *f = *state;
        bool changed;

        assert_int_equal(dp_cg2_grant(f->cg, 'x', 226, 0, RW, &changed),
                         -EINVAL);
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, 0, &changed),
                         -EINVAL);
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, 8, &changed),
                         -EINVAL);
        assert_int_equal(dp_cg2_grant(G.tmp, 'c', 226, 0, RW, &changed),
                         -EMEDIUMTYPE);
        assert_int_equal(dp_cg2_has(f->cg, 'a', 1, 1), -EINVAL);
}

static void test_grant_revoke_release(void **state)
{
        fixture *f = *state;
        uint32_t orig = attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        uint32_t ids[8] = {0}, n = 8;
        _cleanup_free_ char *dir = pin_dir_of(f->cg);
        _cleanup_free_ char *pin_orig = NULL, *pin_wrap = NULL;
        char name[16];
        bool changed;

        /* the runtime's rules alone */
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/null", O_RDWR), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -EPERM);
        assert_int_equal(dpt_probe(NULL, f->cg, G.usb, O_RDWR), -EPERM);

        /* grant from a process that then exits */
        assert_int_equal(grant_in_child(f->cg, 'c', 226, 0, RW), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -ENXIO);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_WRONLY), -ENXIO);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/null", O_RDWR), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/zero", O_RDONLY), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, G.usb, O_RDWR), -EPERM);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), 1);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 1), 0);

        /* the original was swapped for one wrapper, and pinned */
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 1);
        assert_int_not_equal(ids[0], orig);
        assert_int_equal(dpt_prog_name(ids[0], name), 0);
        assert_string_equal(name, DP_BPF_PROG_NAME);
        assert_true(asprintf(&pin_orig, "orig-%" PRIu32, orig) > 0);
        assert_true(asprintf(&pin_wrap, "wrap-%" PRIu32, orig) > 0);
        assert_true(exists(dir, "grants"));
        assert_true(exists(dir, pin_orig));
        assert_true(exists(dir, pin_wrap));

        /* same grant again: no change; narrower access: only read opens */
        changed = true;
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, RW, &changed), 0);
        assert_false(changed);
        assert_int_equal(
                dp_cg2_grant(f->cg, 'c', 226, 0, DP_ACCESS_READ, &changed), 0);
        assert_true(changed);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDONLY), -ENXIO);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -EPERM);

        /* revoke: denied again, the runtime's own rules untouched */
        assert_int_equal(dp_cg2_revoke(f->cg, 'c', 226, 0), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDONLY), -EPERM);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/null", O_RDWR), 0);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), 0);
        assert_int_equal(dp_cg2_revoke(f->cg, 'c', 226, 0), 0);

        /* wildcard minor */
        assert_int_equal(
                dp_cg2_grant(f->cg, 'c', 189, DP_MINOR_ANY, RW, &changed), 0);
        assert_true(changed);
        assert_int_equal(dpt_probe(NULL, f->cg, G.usb, O_RDWR), -ENXIO);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -EPERM);

        /* release: the original program is back, the pins are gone */
        assert_int_equal(dp_cg2_release(f->cg), 0);
        n = 8;
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(ids[0], orig);
        assert_int_equal(access(dir, F_OK), -1);
        assert_int_equal(dpt_probe(NULL, f->cg, G.usb, O_RDWR), -EPERM);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/null", O_RDWR), 0);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 189, DP_MINOR_ANY), 0);
        assert_int_equal(dp_cg2_release(f->cg), 0);
}

/* A process opening an allowed device in a tight loop never sees EPERM
 * while devpass swaps programs in and out and churns the map. */
static void test_no_window(void **state)
{
        fixture *f = *state;
        struct shared {
                volatile int stop, granted;
                volatile long iters, after, eperm_null, bad_card;
        } * sh;
        int status;
        pid_t pid;

        attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        assert_true(sh != MAP_FAILED);
        memset((void *)sh, 0, sizeof(*sh));

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* freed before the loop: _exit() runs no cleanups */
                char *procs = strjoin_sep("/", f->cg, "cgroup.procs", NULL);
                int r = procs ? write_string_file(procs, "0") : -ENOMEM;

                free(procs);
                if (r < 0)
                        _exit(2);
                while (!sh->stop) {
                        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

                        if (fd < 0 && errno == EPERM)
                                sh->eperm_null++;
                        safe_close(fd);
                        if (sh->granted) {
                                fd = open(G.card, O_RDWR | O_CLOEXEC);
                                if (fd >= 0 || errno != ENXIO)
                                        sh->bad_card++;
                                safe_close(fd);
                                sh->after++;
                        }
                        sh->iters++;
                }
                _exit(0);
        }
        while (sh->iters < 1000)
                usleep(1000);
        /* swap in and back out a few times, each one atomic */
        for (int i = 0; i < 10; i++) {
                bool changed;

                assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, RW, &changed),
                                 0);
                assert_true(changed);
                assert_int_equal(dp_cg2_release(f->cg), 0);
        }
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, RW, NULL), 0);
        sh->granted = 1;
        for (unsigned i = 0; i < 100; i++)
                assert_int_equal(dp_cg2_grant(f->cg, 'c', 240, i, RW, NULL), 0);
        for (unsigned i = 0; i < 100; i++)
                assert_int_equal(dp_cg2_revoke(f->cg, 'c', 240, i), 0);
        while (sh->after < 1000)
                usleep(1000);
        sh->stop = 1;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        print_message("loop: %ld opens, %ld after the grant, %ld EPERM on "
                      "/dev/null, %ld wrong results on the granted node\n",
                      sh->iters, sh->after, sh->eperm_null, sh->bad_card);
        assert_int_equal(sh->eperm_null, 0);
        assert_int_equal(sh->bad_card, 0);
        munmap((void *)sh, sizeof(*sh));
}

static void test_ancestor_only(void **state)
{
        fixture *f = *state;
        bool changed;

        attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        assert_int_equal(dpt_cg_make(f->cg, "leaf", &f->child), 0);
        assert_int_equal(dp_cg2_grant(f->child, 'c', 226, 0, RW, &changed),
                         -EOPNOTSUPP);
        assert_int_equal(dpt_probe(NULL, f->child, G.card, O_RDWR), -EPERM);
}

static void test_vanished(void **state)
{
        fixture *f = *state;
        _cleanup_free_ char *dir = pin_dir_of(f->cg);
        bool changed;

        attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, RW, &changed), 0);
        assert_true(exists(dir, "grants"));
        assert_int_equal(dpt_cg_remove(f->cg), 0);
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, RW, &changed),
                         -ENOENT);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), -ENOENT);
        assert_int_equal(dp_cg2_revoke(f->cg, 'c', 226, 0), -ENOENT);
        assert_int_equal(access(dir, F_OK), 0);
        assert_int_equal(dp_cg2_release(f->cg), 0);
        assert_int_equal(access(dir, F_OK), -1);
}

/* A fresh process (and one that lost the map pin) finds devpass's map
 * through the attached wrapper and never wraps it again. */
static void test_adoption(void **state)
{
        fixture *f = *state;
        _cleanup_free_ char *dir = pin_dir_of(f->cg);
        _cleanup_free_ char *grants = NULL;
        uint32_t map1, map2;
        _cleanup_close_ int pinned = -EBADF;
        struct bpf_map_info mi;

        attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        assert_int_equal(grant_in_child(f->cg, 'c', 226, 0, RW), 0);
        map1 = wrapper_map(f->cg);
        assert_int_equal(grant_in_child(f->cg, 'c', 189, 1, RW), 0);
        map2 = wrapper_map(f->cg); /* also asserts one program attached */
        assert_int_equal(map1, map2);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -ENXIO);
        assert_int_equal(dpt_probe(NULL, f->cg, G.usb, O_RDWR), -ENXIO);

        /* the map pin is lost: the wrapper's map is adopted and re-pinned */
        grants = strjoin_sep("/", dir, "grants", NULL);
        assert_int_equal(unlink(grants), 0);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), 1);
        assert_int_equal(grant_in_child(f->cg, 'c', 13, 67, RW), 0);
        assert_int_equal(wrapper_map(f->cg), map1);
        pinned = dp_bpf_obj_get(grants);
        assert_true(pinned >= 0);
        assert_int_equal(dp_bpf_map_info(pinned, &mi), 0);
        assert_int_equal(mi.id, map1);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -ENXIO);
}

/* After a grant of the card alone on top of the runtime's program: the card
 * passes the cgroup (ENXIO: no driver), the usb node does not, what the
 * runtime allows still does. */
static void assert_card_granted_only(const char *cg)
{
        assert_int_equal(dpt_probe(NULL, cg, G.card, O_RDWR), -ENXIO);
        assert_int_equal(dpt_probe(NULL, cg, G.usb, O_RDWR), -EPERM);
        assert_int_equal(dpt_probe(NULL, cg, "/dev/null", O_RDWR), 0);
}

static void test_two_originals(void **state)
{
        fixture *f = *state;
        uint32_t o1 = attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        /* the second loaded with expected_attach_type 0, as some loaders
         * do: its wrapper must match it for the tail call */
        uint32_t o2 = attach_runtime_as(f->cg, BPF_F_ALLOW_MULTI, 0);
        uint32_t ids[8] = {0}, n = 8, first_map = 0;

        assert_int_not_equal(o1, o2);
        assert_int_equal(grant_in_child(f->cg, 'c', 226, 0, RW), 0);
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 2);
        for (uint32_t i = 0; i < n; i++) {
                uint32_t maps[4] = {0}, nm = 4;
                char name[16];

                assert_int_equal(dpt_prog_name(ids[i], name), 0);
                assert_string_equal(name, DP_BPF_PROG_NAME);
                assert_int_equal(dpt_prog_maps(ids[i], maps, &nm), 0);
                for (uint32_t j = 0; j < nm; j++) {
                        _cleanup_close_ int fd =
                                dp_bpf_map_get_fd_by_id(maps[j]);
                        struct bpf_map_info mi;

                        assert_int_equal(dp_bpf_map_info(fd, &mi), 0);
                        if (mi.type != BPF_MAP_TYPE_HASH)
                                continue;
                        if (!first_map)
                                first_map = mi.id;
                        assert_int_equal(mi.id, first_map); /* one map */
                }
        }
        assert_card_granted_only(f->cg);

        assert_int_equal(dp_cg2_release(f->cg), 0);
        n = 8;
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 2);
        assert_true((ids[0] == o1 && ids[1] == o2) ||
                    (ids[0] == o2 && ids[1] == o1));
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -EPERM);
}

/* The pinned map entry of a grant, looked at directly. */
static bool map_has(const char *cg, char type, unsigned major, unsigned minor)
{
        _cleanup_free_ char *dir = pin_dir_of(cg);
        _cleanup_free_ char *path = strjoin_sep("/", dir, "grants", NULL);
        _cleanup_close_ int fd = dp_bpf_obj_get(path);
        dp_bpf_dev_key key = {
                .type = dp_bpf_dev_type(type), .major = major, .minor = minor};
        dp_bpf_dev_value val;

        return fd >= 0 && dp_bpf_map_lookup(fd, &key, &val) == 0;
}

/* A runtime re-applying its config behind devpass's back: the original
 * program swapped back in for the wrapper (REPLACE), or a new program of
 * its own attached beside it. The pinned map still holds the entry, the
 * device is denied: dp_cg2_has() (what reconcile's repair asks) must say
 * "not in effect" and dp_cg2_grant() must make the device open again. */
static void test_replaced_behind_back(void **state)
{
        fixture *f = *state;
        uint32_t orig = attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        uint32_t ids[8] = {0}, n = 8;
        _cleanup_close_ int cg_fd = open(f->cg, O_RDONLY | O_DIRECTORY);
        _cleanup_close_ int wrap_fd = -EBADF, orig_fd = -EBADF;
        bool changed = false;
        char name[16];

        assert_true(cg_fd >= 0);
        assert_int_equal(grant_in_child(f->cg, 'c', 226, 0, RW), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -ENXIO);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), 1);

        /* REPLACE: the runtime's program back in the wrapper's place */
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 1);
        wrap_fd = dp_bpf_prog_get_fd_by_id(ids[0]);
        orig_fd = dp_bpf_prog_get_fd_by_id(orig);
        assert_true(wrap_fd >= 0 && orig_fd >= 0);
        assert_int_equal(dp_bpf_prog_attach(orig_fd, cg_fd, BPF_CGROUP_DEVICE,
                                            BPF_F_ALLOW_MULTI, wrap_fd),
                         0);
        n = 8;
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(ids[0], orig);
        assert_true(map_has(f->cg, 'c', 226, 0));
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -EPERM);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), 0);
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, RW, &changed), 0);
        assert_true(changed);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -ENXIO);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/null", O_RDWR), 0);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), 1);
        n = 8;
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(dpt_prog_name(ids[0], name), 0);
        assert_string_equal(name, DP_BPF_PROG_NAME);

        /* beside: a new program of the runtime's, ANDed with the wrapper */
        attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        assert_true(map_has(f->cg, 'c', 226, 0));
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -EPERM);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), 0);
        changed = false;
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, RW, &changed), 0);
        assert_true(changed);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -ENXIO);
        assert_int_equal(dp_cg2_has(f->cg, 'c', 226, 0), 1);
        assert_int_equal(dp_cg2_release(f->cg), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -EPERM);
}

/* A runtime that attached without ALLOW_MULTI: one program, replaced by
 * attaching with the same flags. */
static void test_single_program(void **state)
{
        fixture *f = *state;
        uint32_t orig = attach_runtime(f->cg, 0);
        uint32_t ids[8] = {0}, n = 8;

        assert_int_equal(grant_in_child(f->cg, 'c', 226, 0, RW), 0);
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 1);
        assert_int_not_equal(ids[0], orig);
        assert_card_granted_only(f->cg);
        assert_int_equal(dp_cg2_release(f->cg), 0);
        n = 8;
        assert_int_equal(dpt_query(f->cg, ids, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(ids[0], orig);
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -EPERM);
}

/* A char major with no driver on this machine (from /proc/devices), so
 * that its nodes open with ENXIO when allowed. */
static unsigned free_char_major(void)
{
        _cleanup_free_ char *devs = NULL;
        bool used[256] = {false};
        char *line, *save = NULL;

        assert_int_equal(read_full_file("/proc/devices", &devs, NULL), 0);
        for (line = strtok_r(devs, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                unsigned m;

                if (startswith(line, "Block devices"))
                        break;
                if (sscanf(line, " %u ", &m) == 1 && m < 256)
                        used[m] = true;
        }
        /* the kernel hands out dynamic majors from 254 down */
        for (unsigned m = 234; m < 255; m++)
                if (!used[m])
                        return m;
        fail_msg("no free char major in 234..254");
        return 0;
}

/* 10, 1000 and 100,000 entries: grants still work and cost the same. */
static void test_scaling(void **state)
{
        static const unsigned sizes[] = {10, 1000, 100000};
        fixture *f = *state;
        _cleanup_free_ char *dir = pin_dir_of(f->cg);
        _cleanup_free_ char *grants = NULL;
        _cleanup_close_ int map = -EBADF;
        unsigned filled = 1, major = free_char_major();
        uint64_t t0, t1;

        attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        t0 = dpt_now_us();
        assert_int_equal(dp_cg2_grant(f->cg, 'c', 226, 0, RW, NULL), 0);
        t1 = dpt_now_us();
        print_message("first grant (wrap + swap): %" PRIu64 " us\n", t1 - t0);
        grants = strjoin_sep("/", dir, "grants", NULL);
        map = dp_bpf_obj_get(grants);
        assert_true(map >= 0);

        for (size_t s = 0; s < ELEMENTSOF(sizes); s++) {
                _cleanup_free_ char *node = NULL;
                char name[32];

                /* bulk-fill to one short of the size, then grant the last */
                for (; filled < sizes[s] - 1; filled++) {
                        dp_bpf_dev_key k = {BPF_DEVCG_DEV_CHAR, 242, filled};
                        dp_bpf_dev_value v = BPF_DEVCG_ACC_READ;

                        assert_int_equal(dp_bpf_map_update(map, &k, &v, 0), 0);
                }
                t0 = dpt_now_us();
                assert_int_equal(
                        dp_cg2_grant(f->cg, 'c', major, sizes[s], RW, NULL), 0);
                t1 = dpt_now_us();
                filled++;
                snprintf(name, sizeof(name), "n%u", sizes[s]);
                assert_int_equal(dpt_mknod(G.tmp, name, major, sizes[s], &node),
                                 0);
                print_message("grant #%u: %" PRIu64 " us\n", sizes[s], t1 - t0);
                t0 = dpt_now_us();
                assert_int_equal(dpt_probe(NULL, f->cg, node, O_RDWR), -ENXIO);
                t1 = dpt_now_us();
                print_message("  probe (fork + join + open) at %u entries: "
                              "%" PRIu64 " us\n",
                              sizes[s], t1 - t0);
                assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR),
                                 -ENXIO);
                assert_int_equal(dpt_probe(NULL, f->cg, G.usb, O_RDWR), -EPERM);
                assert_int_equal(dpt_probe(NULL, f->cg, "/dev/null", O_RDWR),
                                 0);
                assert_int_equal(dp_cg2_has(f->cg, 'c', major, sizes[s]), 1);
                unlink(node);
        }
}

/* Runs argv in a child placed in cg; returns its exit status. */
static int run_in_cgroup(const char *cg, char *const argv[])
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                char *procs = strjoin_sep("/", cg, "cgroup.procs", NULL);
                int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (!procs || write_string_file(procs, "0") < 0 || fd < 0)
                        _exit(120);
                free(procs);
                dup2(fd, 1);
                dup2(fd, 2);
                execvp(argv[0], argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* On a machine with an NVIDIA GPU: the real device nodes (and nvidia-smi,
 * when installed) are gated by the runtime program and opened up by a
 * grant of the GPU's whole bundle. */
static void test_gpu(void **state)
{
        fixture *f = *state;
        char *const smi[] = {(char *)"nvidia-smi", (char *)"-L", NULL};
        struct stat gpu, uvm;
        bool have_uvm, have_smi;

        if (stat("/dev/nvidia0", &gpu) < 0 || !S_ISCHR(gpu.st_mode)) {
                print_message("no /dev/nvidia0: GPU check skipped\n");
                skip();
        }
        have_uvm = stat("/dev/nvidia-uvm", &uvm) == 0 && S_ISCHR(uvm.st_mode);
        have_smi = run_in_cgroup(f->cg, smi) != 127;

        attach_runtime(f->cg, BPF_F_ALLOW_MULTI);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/nvidia0", O_RDWR),
                         -EPERM);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/nvidiactl", O_RDWR),
                         -EPERM);
        if (have_smi)
                assert_int_not_equal(run_in_cgroup(f->cg, smi), 0);

        assert_int_equal(dp_cg2_grant(f->cg, 'c', major(gpu.st_rdev),
                                      DP_MINOR_ANY, RW, NULL),
                         0);
        if (have_uvm)
                assert_int_equal(dp_cg2_grant(f->cg, 'c', major(uvm.st_rdev),
                                              DP_MINOR_ANY, RW, NULL),
                                 0);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/nvidia0", O_RDWR), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/nvidiactl", O_RDWR), 0);
        if (have_uvm)
                assert_int_equal(
                        dpt_probe(NULL, f->cg, "/dev/nvidia-uvm", O_RDWR), 0);
        if (have_smi) {
                assert_int_equal(run_in_cgroup(f->cg, smi), 0);
                print_message("nvidia-smi -L ran in the granted cgroup\n");
        }
        assert_int_equal(dpt_probe(NULL, f->cg, G.card, O_RDWR), -EPERM);

        assert_int_equal(
                dp_cg2_revoke(f->cg, 'c', major(gpu.st_rdev), DP_MINOR_ANY), 0);
        assert_int_equal(dpt_probe(NULL, f->cg, "/dev/nvidia0", O_RDWR),
                         -EPERM);
        if (have_smi)
                assert_int_not_equal(run_in_cgroup(f->cg, smi), 0);
        assert_int_equal(dp_cg2_release(f->cg), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(test_no_program),
                T(test_bad_args),
                T(test_grant_revoke_release),
                T(test_no_window),
                T(test_ancestor_only),
                T(test_vanished),
                T(test_adoption),
                T(test_two_originals),
                T(test_single_program),
                T(test_replaced_behind_back),
                T(test_scaling),
                T(test_gpu),
#undef T
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
