/* SPDX-License-Identifier: MIT */
/* Node grant into a user-namespaced container (the bind-mount path).
 *
 * devpass: dp_act_node_create() in-process on a dp-testctr --userns
 * container, then dp_act_node_remove() outside the timing.
 * Baseline, same run: the raw steps by hand — mknod on a host tmpfs, chown
 * to the mapped ids, open_tree(OPEN_TREE_CLONE), then a child that joins the
 * container's mount namespace, creates the placeholder as the mapped root
 * and move_mount()s the node onto it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "devpass/act.h"
#include "devpass/container.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

static char ctr_name[32], testctr[512], hostdir[64];

static void cleanup(void)
{
        char cmd[700];

        if (ctr_name[0]) {
                snprintf(cmd, sizeof(cmd), "%s stop %s", testctr, ctr_name);
                (void)bench_sh(cmd);
                ctr_name[0] = 0;
        }
        if (hostdir[0]) {
                (void)umount2(hostdir, MNT_DETACH);
                rmdir(hostdir);
                hostdir[0] = 0;
        }
}

static void on_signal(int sig)
{
        cleanup();
        _exit(128 + sig);
}

/* Child: join the mount ns, then as the container's root either place the
 * tree (treefd >= 0) or take it away again (treefd < 0). */
static int in_ns(int mntns, uid_t uid, gid_t gid, const char *path, int treefd)
{
        pid_t pid = fork();
        int st;

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (setns(mntns, CLONE_NEWNS) < 0)
                        _exit(1);
                if (treefd < 0) {
                        (void)umount2(path, MNT_DETACH);
                        setfsgid(gid);
                        setfsuid(uid);
                        _exit(unlink(path) < 0 ? 2 : 0);
                }
                /* host uid 0 has no mapping there: create as mapped root */
                setfsgid(gid);
                setfsuid(uid);
                int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
                if (fd < 0)
                        _exit(3);
                close(fd);
                setfsuid(0);
                setfsgid(0);
                if (syscall(SYS_move_mount, treefd, "", AT_FDCWD, path,
                            MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        _exit(4);
                _exit(0);
        }
        if (waitpid(pid, &st, 0) < 0)
                return -errno;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
        unsigned reps = bench_reps(argc, argv, 300, 30);
        const char *tc = bench_arg(argc, argv, "--testctr");
        bench_samples dp = {}, raw = {};
        _cleanup_container_free_ dp_container *c = NULL;
        char cmd[700], out[128] = "", nspath[64];
        uid_t uid;
        gid_t gid;
        int mntns, r;
        pid_t pid = 0;
        FILE *f;

        if (!tc) {
                fprintf(stderr, "usage: %s --testctr PATH [-n REPS|--quick]\n",
                        argv[0]);
                return 2;
        }
        snprintf(testctr, sizeof(testctr), "%s", tc);
        snprintf(ctr_name, sizeof(ctr_name), "dpbu%d", getpid());
        atexit(cleanup);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        snprintf(cmd, sizeof(cmd), "%s start --userns --share-usr --name %s",
                 testctr, ctr_name);
        f = popen(cmd, "re");
        if (!f || !fgets(out, sizeof(out), f) || sscanf(out, "%d", &pid) != 1) {
                fprintf(stderr, "cannot start a user-namespaced container\n");
                if (f)
                        pclose(f);
                return 1;
        }
        pclose(f);
        r = dp_container_from_pid(pid, &c);
        if (r < 0 || !c->userns) {
                fprintf(stderr, "container %d: %s\n", pid, strerror(-r));
                return 1;
        }
        (void)dp_container_map_uid(c, 0, &uid);
        (void)dp_container_map_gid(c, 0, &gid);
        snprintf(nspath, sizeof(nspath), "/proc/%d/ns/mnt", pid);
        mntns = open(nspath, O_RDONLY | O_CLOEXEC);
        strcpy(hostdir, "/run/dpbun.XXXXXX");
        if (!mkdtemp(hostdir) ||
            mount("tmpfs", hostdir, "tmpfs", MS_NOSUID, "mode=0755") < 0) {
                perror("host tmpfs");
                return 1;
        }
        printf("== userns node grant: container pid %d (root = host uid %u), "
               "%u reps\n",
               pid, uid, reps);

        for (unsigned i = 0; i < reps; i++) {
                dp_node_spec s = {.path = "/dev/dpbnull",
                                  .type = 'c',
                                  .major = 1,
                                  .minor = 3,
                                  .mode = 0666};
                bool created;
                uint64_t t0 = bench_now_ns();

                r = dp_act_node_create(c, &s, &created);
                if (r < 0) {
                        fprintf(stderr, "dp_act_node_create: %s\n",
                                strerror(-r));
                        break;
                }
                bench_add(&dp, bench_now_ns() - t0);
                r = dp_act_node_remove(c, &s);
                if (r < 0)
                        fprintf(stderr, "dp_act_node_remove: %s\n",
                                strerror(-r));

                char hp[128];
                snprintf(hp, sizeof(hp), "%s/null%u", hostdir, i);
                t0 = bench_now_ns();
                if (mknod(hp, S_IFCHR | 0666, makedev(1, 3)) < 0 ||
                    chown(hp, uid, gid) < 0) {
                        perror("mknod on host tmpfs");
                        break;
                }
                int tree = (int)syscall(SYS_open_tree, AT_FDCWD, hp,
                                        OPEN_TREE_CLONE | O_CLOEXEC);
                if (tree < 0 ||
                    in_ns(mntns, uid, gid, "/dev/dpbraw", tree) < 0) {
                        perror("open_tree + move_mount");
                        break;
                }
                bench_add(&raw, bench_now_ns() - t0);
                close(tree);
                (void)in_ns(mntns, uid, gid, "/dev/dpbraw", -1);
                unlink(hp);
        }
        uint64_t d50 = bench_report("dp_act_node_create (userns)", &dp);
        uint64_t d99 = bench_pct(&dp, 99);
        uint64_t r50 =
                bench_report("raw mknod+open_tree+setns+move_mount", &raw);
        char fig[96], base[64];
        snprintf(fig, sizeof(fig), "p50 %.0f µs, p99 %.0f µs", d50 / 1e3,
                 d99 / 1e3);
        snprintf(base, sizeof(base), "raw p50 %.0f µs", r50 / 1e3);
        bench_result("userns node grant (bind mount)", fig, base,
                     r50 ? (double)d50 / (double)r50 : -1,
                     "<=1.5x raw, p99<=500µs",
                     dp.n == reps && raw.n == reps &&
                             (double)d50 <= 1.5 * (double)r50 && d99 <= 500000);
        bench_samples_free(&dp);
        bench_samples_free(&raw);
        close(mntns);
        return 0;
}
