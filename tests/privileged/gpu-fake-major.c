/* SPDX-License-Identifier: MIT */
/* GPU grants end to end without a GPU (the "fake-major trick"): umockdev
 * supplies the device facts (NVIDIA and Intel GPU fixtures, a fake
 * /proc/devices and NVIDIA information files), the real engine acts on real
 * harness containers and their real cgroups. The GPU majors have no driver
 * on this machine, so a node opens with ENXIO when the cgroup allows it and
 * with EPERM when it does not. Run by gpu-fake-major.sh under
 * umockdev-wrapper, after the containers were started:
 *   test-gpu-fake-major TESTCTR STATE_DIR PID_A PID_B PID_V2
 * (A and B: --v1-deny, V2: --v2-runtime-prog). Checks go through
 * `dp-testctr open`, run without the preload. */
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umockdev.h>

#include "devpass/config.h"
#include "core/engine.h"
#include "devpass/act.h"
#include "devpass/container.h"
#include "devpass/hw.h"
#include "devpass/policy.h"

extern char **environ;

static const char *testctr;
static unsigned n_checks, n_failed;

#define CHECK(cond, ...)                                                     \
        do {                                                                 \
                n_checks++;                                                  \
                if (!(cond)) {                                               \
                        n_failed++;                                          \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
                        fprintf(stderr, __VA_ARGS__);                        \
                        fputc('\n', stderr);                                 \
                }                                                            \
        } while (0)

/* The environment without the preload: dp-testctr must see the real /dev
 * and /sys of the host. */
static char **env_without_preload(void)
{
        static char *env[512];
        size_t n = 0;

        for (char **e = environ; *e && n < ELEMENTSOF(env) - 1; e++)
                if (!startswith(*e, "LD_PRELOAD=") &&
                    !startswith(*e, "UMOCKDEV_"))
                        env[n++] = *e;
        env[n] = NULL;
        return env;
}

/* `dp-testctr open PID PATH rw`: "OK", "ENXIO", "EPERM", … */
static void ctr_open(pid_t pid, const char *path, char *ret, size_t size)
{
        char pidstr[16];
        const char *argv[] = {testctr, "open", pidstr, path, "rw", NULL};
        posix_spawn_file_actions_t fa;
        int pfd[2], status;
        ssize_t n;
        size_t len = 0;
        pid_t child;

        snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
        snprintf(ret, size, "ERROR");
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
        if (posix_spawn(&child, testctr, &fa, NULL, (char *const *)argv,
                        env_without_preload()) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                close(pfd[0]);
                close(pfd[1]);
                return;
        }
        posix_spawn_file_actions_destroy(&fa);
        close(pfd[1]);
        while (len < size - 1 &&
               ((n = read(pfd[0], ret + len, size - 1 - len)) > 0 ||
                (n < 0 && errno == EINTR)))
                if (n > 0)
                        len += (size_t)n;
        close(pfd[0]);
        ret[len] = 0;
        ret[strcspn(ret, "\n")] = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
}

static void expect_open(pid_t pid, const char *path, const char *want)
{
        char got[64];

        ctr_open(pid, path, got, sizeof(got));
        CHECK(streq(got, want), "open %s in %d: %s, want %s", path, (int)pid,
              got, want);
}

static bool present_inside(pid_t pid, const char *path)
{
        char p[PATH_MAX];
        struct stat st;

        snprintf(p, sizeof(p), "/proc/%d/root%s", (int)pid, path);
        return lstat(p, &st) == 0;
}

/* Makes the node inside from the host side (outside the container's
 * cgroup, so that the cgroup cannot refuse the mknod itself), opens it from
 * inside and removes it again: proves what the cgroup says. */
static void expect_cgroup(pid_t pid, const dp_node *n, const char *want)
{
        char p[PATH_MAX];
        bool made;

        snprintf(p, sizeof(p), "/proc/%d/root%s", (int)pid, n->path);
        made = mknod(p, S_IFCHR | 0666, makedev(n->major, n->minor)) == 0;
        CHECK(made || errno == EEXIST, "mknod %s: %m", p);
        expect_open(pid, n->path, want);
        if (made)
                (void)unlink(p);
}

static void expect_bundle(pid_t pid, const dp_device *d, const char *want)
{
        for (size_t i = 0; i < d->n_nodes; i++)
                expect_open(pid, d->nodes[i].path, want);
}

static void expect_bundle_gone(pid_t pid, const dp_device *d)
{
        for (size_t i = 0; i < d->n_nodes; i++) {
                CHECK(!present_inside(pid, d->nodes[i].path),
                      "%s still present in %d", d->nodes[i].path, (int)pid);
                expect_cgroup(pid, &d->nodes[i], "EPERM");
        }
}

static const dp_node *find_node(const dp_device *d, const char *path)
{
        for (size_t i = 0; i < d->n_nodes; i++)
                if (streq(d->nodes[i].path, path))
                        return &d->nodes[i];
        return NULL;
}

static UMockdevTestbed *testbed(const char *fixture)
{
        UMockdevTestbed *tb = umockdev_testbed_new();
        GError *error = NULL;
        char *path = g_build_filename(FIXTURE_DIR, fixture, NULL);

        if (!umockdev_testbed_add_from_file(tb, path, &error)) {
                fprintf(stderr, "loading %s: %s\n", path,
                        error ? error->message : "?");
                exit(1);
        }
        g_free(path);
        return tb;
}

static dp_device *find_gpu(const dp_device_list *l, const char *slot)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i]->klass == DP_CLASS_GPU && l->items[i]->pci &&
                    streq(l->items[i]->pci, slot))
                        return l->items[i];
        return NULL;
}

/* The rule that picks a device, and whether it targets container c. */
static const dp_rule *match_for(const dp_policy *p, const dp_device *d,
                                const dp_container *c)
{
        const dp_rule *r = dp_policy_match(p, d, NULL);

        if (!r)
                return NULL;
        STRV_FOREACH (g, dp_rule_containers(r))
                if (dp_container_ref_match(*g, c->ref))
                        return r;
        return NULL;
}

static dp_grant *attach(dp_engine *e, const dp_container *c, const dp_device *d,
                        const char *source)
{
        dp_grant_opts o = DP_GRANT_OPTS_DEFAULT;
        dp_grant *g = NULL;
        int r;

        o.source = source;
        o.access = DP_ACCESS_READ | DP_ACCESS_WRITE;
        r = dp_engine_attach(e, c, d, &o, &g);
        CHECK(r >= 0 && g, "attach %s to %s: %s", d->syspath, c->ref,
              strerror(-r));
        return r >= 0 ? g : NULL;
}

static void detach(dp_engine *e, dp_grant *g, const dp_container *c)
{
        int r;

        if (!g)
                return;
        r = dp_engine_detach(e, g, c);
        CHECK(r >= 0, "detach from %s: %s", c->ref, strerror(-r));
}

static dp_container *container(pid_t pid)
{
        dp_container *c = NULL;
        int r = dp_container_from_pid(pid, &c);

        if (r < 0) {
                fprintf(stderr, "container %d: %s\n", (int)pid, strerror(-r));
                exit(1);
        }
        return c;
}

static void nvidia_checks(dp_engine *e, dp_container *a, dp_container *b,
                          dp_container *v2)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        dp_diag_list diags = {};
        UMockdevTestbed *tb = testbed("nvidia-2gpu.umockdev");
        const dp_rule *r0, *r1;
        dp_device *g0, *g1;
        dp_grant *ga0, *ga1, *gb1, *gv;
        const dp_node *ctl;
        char src[64];

        dp_config_set("proc-root", FIXTURE_DIR "/nvidia-proc-2gpu");
        CHECK(dp_hw_new(&hw) >= 0 && dp_hw_enumerate(hw, &l) >= 0, "enumerate");
        g0 = find_gpu(&l, "0000:00:06.0");
        g1 = find_gpu(&l, "0000:00:07.0");
        if (!g0 || !g1) {
                fprintf(stderr, "FAIL: NVIDIA GPUs not enumerated\n");
                exit(1);
        }
        CHECK(streq(strna(dp_device_property(g1, "NVIDIA_GPU_UUID")),
                    "GPU-8e0f3c7a-55b1-2c4d-9e6f-1a2b3c4d5e01"),
              "GPU 1 UUID property");
        CHECK(find_node(g0, "/dev/nvidia0") &&
                      find_node(g0, "/dev/nvidiactl") &&
                      find_node(g0, "/dev/nvidia-uvm") &&
                      find_node(g0, "/dev/nvidia-uvm-tools") &&
                      find_node(g0, "/dev/dri/card0") &&
                      find_node(g0, "/dev/dri/renderD128") &&
                      !find_node(g0, "/dev/nvidia1"),
              "GPU 0 bundle");
        ctl = find_node(g0, "/dev/nvidiactl");

        /* GPU 0 by PCI slot to A, GPU 1 by UUID to B, as a policy says */
        if (asprintf(&text,
                     "[Match]\nClass=gpu\nPCI=0000:00:06.0\n"
                     "[Target]\nContainer=%s\n[Grant]\nAccess=rw\n\n"
                     "[Match]\nClass=gpu\nVendor=10de\n"
                     "Property=NVIDIA_GPU_UUID=GPU-*5e01\n"
                     "[Target]\nContainer=%s\n[Grant]\nAccess=rw\n",
                     a->ref, b->ref) < 0)
                exit(1);
        CHECK(dp_policy_parse_buffer(p, "60-gpu.policy", text, strlen(text),
                                     &diags) >= 0,
              "policy parses");
        dp_diag_list_clear(&diags);
        r0 = match_for(p, g0, a);
        r1 = match_for(p, g1, b);
        CHECK(r0 && !match_for(p, g0, b), "rule for GPU 0 targets A only");
        CHECK(r1 && !match_for(p, g1, a), "rule for GPU 1 targets B only");
        if (!r0 || !r1)
                exit(1);
        snprintf(src, sizeof(src), "%s", dp_rule_source(r0));
        ga0 = attach(e, a, g0, src);
        gb1 = attach(e, b, g1, dp_rule_source(r1));

        expect_bundle(a->pid, g0, "ENXIO");
        CHECK(!present_inside(a->pid, "/dev/nvidia1"), "nvidia1 in A");
        expect_cgroup(a->pid, find_node(g1, "/dev/nvidia1"), "EPERM");
        expect_cgroup(a->pid, find_node(g1, "/dev/dri/card1"), "EPERM");
        expect_bundle(b->pid, g1, "ENXIO");
        CHECK(!present_inside(b->pid, "/dev/nvidia0"), "nvidia0 in B");
        expect_cgroup(b->pid, find_node(g0, "/dev/nvidia0"), "EPERM");
        expect_cgroup(b->pid, find_node(g0, "/dev/dri/renderD128"), "EPERM");

        /* A second grant in A shares nvidiactl and the uvm nodes: taking
         * GPU 0 away must leave them to GPU 1 */
        ga1 = attach(e, a, g1, "manual");
        expect_bundle(a->pid, g1, "ENXIO");
        detach(e, ga0, a);
        expect_open(a->pid, "/dev/nvidiactl", "ENXIO");
        expect_open(a->pid, "/dev/nvidia-uvm", "ENXIO");
        expect_open(a->pid, "/dev/nvidia1", "ENXIO");
        expect_cgroup(a->pid, find_node(g0, "/dev/nvidia0"), "EPERM");
        expect_cgroup(a->pid, find_node(g0, "/dev/dri/card0"), "EPERM");
        CHECK(!present_inside(a->pid, "/dev/nvidia0"), "nvidia0 left in A");
        /* the last grant holding them goes: all of GPU 0's bundle denied */
        detach(e, ga1, a);
        CHECK(!present_inside(a->pid, ctl->path), "nvidiactl left in A");
        expect_bundle_gone(a->pid, g0);
        expect_bundle_gone(a->pid, g1);
        /* B unaffected */
        expect_bundle(b->pid, g1, "ENXIO");
        detach(e, gb1, b);
        expect_bundle_gone(b->pid, g1);

        /* cgroup2 with a runtime's deny-by-default device program */
        expect_open(v2->pid, "/dev/null", "OK");
        expect_cgroup(v2->pid, find_node(g0, "/dev/nvidia0"), "EPERM");
        gv = attach(e, v2, g0, "manual");
        expect_bundle(v2->pid, g0, "ENXIO");
        expect_open(v2->pid, "/dev/null", "OK");
        expect_cgroup(v2->pid, find_node(g1, "/dev/nvidia1"), "EPERM");
        detach(e, gv, v2);
        expect_bundle_gone(v2->pid, g0);
        expect_open(v2->pid, "/dev/null", "OK");

        dp_device_list_clear(&l);
        g_object_unref(tb);
        dp_config_set("proc-root", NULL);
}

static void by_path_link(const dp_container *c, const dp_device *d,
                         const char *kind, const char *node, bool create)
{
        char path[128], target[64];
        int r;

        snprintf(path, sizeof(path), "/dev/dri/by-path/pci-%s-%s", d->pci,
                 kind);
        snprintf(target, sizeof(target), "../%s", strrchr(node, '/') + 1);
        r = create ? dp_act_symlink_create(c, path, target)
                   : dp_act_symlink_remove(c, path, target);
        CHECK(r >= 0, "%s %s: %s", create ? "link" : "unlink", path,
              strerror(-r));
        CHECK(present_inside(c->pid, path) == create, "%s %s", path,
              create ? "missing" : "left");
        if (create) {
                char host[PATH_MAX], got[64];
                ssize_t n;

                snprintf(host, sizeof(host), "/proc/%d/root%s", (int)c->pid,
                         path);
                n = readlink(host, got, sizeof(got) - 1);
                got[n > 0 ? n : 0] = 0;
                CHECK(streq(got, target), "%s -> %s, want %s", path, got,
                      target);
                /* through the link, from inside: the allowed node */
                expect_open(c->pid, path, "ENXIO");
        }
}

static void drm_checks(dp_engine *e, dp_container *a)
{
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        UMockdevTestbed *tb = testbed("intel-igpu.umockdev");
        const dp_node *card, *render;
        dp_device *g;
        dp_grant *ga;

        CHECK(dp_hw_new(&hw) >= 0 && dp_hw_enumerate(hw, &l) >= 0, "enumerate");
        g = find_gpu(&l, "0000:00:02.0");
        if (!g) {
                fprintf(stderr, "FAIL: Intel GPU not enumerated\n");
                exit(1);
        }
        card = find_node(g, "/dev/dri/card1");
        render = find_node(g, "/dev/dri/renderD129");
        CHECK(card && render && g->n_nodes == 2, "Intel bundle");
        if (!card || !render)
                exit(1);
        ga = attach(e, a, g, "manual");
        expect_bundle(a->pid, g, "ENXIO");
        by_path_link(a, g, "card", card->path, true);
        by_path_link(a, g, "render", render->path, true);
        detach(e, ga, a);
        by_path_link(a, g, "card", card->path, false);
        by_path_link(a, g, "render", render->path, false);
        expect_bundle_gone(a->pid, g);

        dp_device_list_clear(&l);
        g_object_unref(tb);
}

int main(int argc, char **argv)
{
        _cleanup_(dp_engine_freep) dp_engine *e = NULL;
        dp_container *a, *b, *v2;
        int lerr = 0, r;

        /* where the fake host interfaces are, as devpassd takes them */
        while (argc > 1 && startswith(argv[1], "--test-path=")) {
                if (dp_config_set_assignment(argv[1] + 12) < 0)
                        return 2;
                argv++;
                argc--;
        }
        if (argc != 6) {
                fprintf(stderr,
                        "usage: %s [--test-path=KEY=PATH]… TESTCTR STATE_DIR "
                        "PID_A PID_B PID_V2\n",
                        argv[0]);
                return 2;
        }
        if (!strstr(strempty(getenv("LD_PRELOAD")), "libumockdev-preload")) {
                fprintf(stderr, "SKIP: not under umockdev-wrapper\n");
                return 77;
        }
        testctr = argv[1];
        a = container(atoi(argv[3]));
        b = container(atoi(argv[4]));
        v2 = container(atoi(argv[5]));
        r = dp_engine_open(argv[2], &dp_act_ops_real, &e, &lerr);
        if (r < 0) {
                fprintf(stderr, "engine: %s\n", strerror(-r));
                return 1;
        }
        nvidia_checks(e, a, b, v2);
        drm_checks(e, a);
        CHECK(e->ledger->n == 0, "ledger not empty: %zu", e->ledger->n);

        dp_container_free(a);
        dp_container_free(b);
        dp_container_free(v2);
        printf("gpu-fake-major: %u checks, %u failed\n", n_checks, n_failed);
        return n_failed ? 1 : 0;
}
