/* SPDX-License-Identifier: MIT */
/* Hotplug of a device node into a privileged LXC container.
 *
 * devpassd runs with a policy that grants one loop device to the container,
 * and the time runs to the node appearing in the container's /dev (inotify
 * through /proc/PID/root). The engine allows the device in the cgroup before
 * it creates the node, so "node present" implies "cgroup allows"; that is
 * verified after each repetition, outside the timing. Two ways to start:
 *  - LOOP_CTL_ADD (a real device coming): from just before the ioctl, which
 *    sends the uevent from inside and goes on working for hundreds of µs on
 *    one of the CPUs, so this includes the kernel's own work;
 *  - a write of "add" to the device's uevent file (the headline figure):
 *    the kernel sends the uevent at the end of one short write, so this is a
 *    tight upper bound of "uevent → node"; the node going after a "remove"
 *    the same way is the revocation figure.
 * The uevent's arrival at a monitor in this process is no start time: when
 * this process is scheduled late the agent seems faster than it is.
 *
 * Baselines in the same run: the raw mechanism in-process (openat2 into the
 * container root + mknodat + one BPF hash map insert) and liblxc's
 * add_device_node() on the same container. */
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <linux/bpf.h>
#include <linux/loop.h>
#include <linux/openat2.h>
#include <lxc/lxccontainer.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static pid_t agent_pid = -1;
static int loopctl = -1;
static int loop_idx = -1;
static char tmpdir[64];

static void cleanup(void)
{
        char cmd[128];

        if (agent_pid > 0) {
                kill(agent_pid, SIGTERM);
                waitpid(agent_pid, NULL, 0);
                agent_pid = -1;
        }
        if (loopctl >= 0 && loop_idx >= 0)
                (void)ioctl(loopctl, LOOP_CTL_REMOVE, loop_idx);
        if (tmpdir[0]) {
                (void)umount2(tmpdir, MNT_DETACH);
                snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
                (void)bench_sh(cmd);
                tmpdir[0] = 0;
        }
}

static void on_signal(int sig)
{
        cleanup();
        _exit(128 + sig);
}

/* Waits for both the uevent "action" of block/NAME and the inotify event
 * mask on NAME, polling both at once so that each arrival time is taken
 * when it happens; returns node time minus t_start, or minus the uevent's
 * arrival here when t_start is 0 (0 if the node came first), or -1 on
 * timeout. The uevent's arrival at this process is late whenever this
 * process is scheduled late, which would flatter the agent; t_start (taken
 * by the process that triggers the event, just before the ioctl) is before
 * the kernel sends it, so that figure can only over-state. */
static int64_t wait_pair(struct udev_monitor *m, int ino, const char *action,
                         uint32_t mask, const char *name, int timeout_ms,
                         volatile uint64_t *t_start)
{
        struct pollfd p[2] = {{.fd = udev_monitor_get_fd(m), .events = POLLIN},
                              {.fd = ino, .events = POLLIN}};
        uint64_t deadline = bench_now_ns() + (uint64_t)timeout_ms * 1000000ull;
        uint64_t t_ev = 0, t_node = 0;

        while ((!t_ev || !t_node) && bench_now_ns() < deadline) {
                if (poll(p, 2, 50) <= 0)
                        continue;
                if (p[0].revents) {
                        struct udev_device *u = udev_monitor_receive_device(m);
                        uint64_t t = bench_now_ns();

                        if (u &&
                            strcmp(udev_device_get_sysname(u), name) == 0 &&
                            strcmp(udev_device_get_action(u), action) == 0 &&
                            !t_ev)
                                t_ev = t;
                        if (u)
                                udev_device_unref(u);
                }
                if (p[1].revents) {
                        char buf[4096] __attribute__((aligned(8)));
                        ssize_t n = read(ino, buf, sizeof(buf));
                        uint64_t t = bench_now_ns();

                        for (char *q = buf; n > 0 && q < buf + n;) {
                                struct inotify_event *e =
                                        (struct inotify_event *)q;

                                if ((e->mask & mask) && e->len &&
                                    strcmp(e->name, name) == 0 && !t_node)
                                        t_node = t;
                                q += sizeof(*e) + e->len;
                        }
                }
        }
        if (!t_ev || !t_node)
                return -1;
        if (t_start && *t_start)
                t_ev = *t_start;
        return t_node > t_ev ? (int64_t)(t_node - t_ev) : 0;
}

static bool cgroup_allows(const char *cgdir, unsigned major, unsigned minor)
{
        char path[512], line[128], want[64];
        bool ok = false;
        FILE *f;

        snprintf(path, sizeof(path), "%s/devices.list", cgdir);
        snprintf(want, sizeof(want), "b %u:%u rw", major, minor);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, want, strlen(want)) == 0 ||
                    strncmp(line, "a *:* rwm", 9) == 0 ||
                    strncmp(line, "b *:* rw", 8) == 0)
                        ok = true;
        fclose(f);
        return ok;
}

static int bpf_map_create_hash(void)
{
        union bpf_attr a = {.map_type = BPF_MAP_TYPE_HASH,
                            .key_size = 12,
                            .value_size = 4,
                            .max_entries = 1024};

        return (int)syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
}

static int bpf_map_op(int cmd, int map, const void *key, const void *val)
{
        union bpf_attr a = {.map_fd = (uint32_t)map,
                            .key = (uint64_t)(uintptr_t)key,
                            .value = (uint64_t)(uintptr_t)val};

        return (int)syscall(SYS_bpf, cmd, &a, sizeof(a));
}

static pid_t start_agent(const char *devpassd, const char *ctr,
                         const char *sysname)
{
        char path[128], pol[512];
        pid_t pid;

        snprintf(path, sizeof(path), "%s/policy", tmpdir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/policy/50-bench.policy", tmpdir);
        snprintf(pol, sizeof(pol),
                 "[Match]\nClass=block\nName=%s\n[Target]\nContainer=lxc:%s\n"
                 "[Grant]\nAccess=rw\nMode=0660\n",
                 sysname, ctr);
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(pol, f);
        fclose(f);
        pid = fork();
        if (pid == 0) {
                char pd[128], sd[128], so[128], lg[128];
                int fd;

                snprintf(pd, sizeof(pd), "%s/policy", tmpdir);
                snprintf(sd, sizeof(sd), "%s/state", tmpdir);
                snprintf(so, sizeof(so), "%s/sock", tmpdir);
                snprintf(lg, sizeof(lg), "%s/devpassd.log", tmpdir);
                fd = open(lg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd >= 0)
                        dup2(fd, 2);
                execl(devpassd, devpassd, "--policy-dir", pd, "--state-dir", sd,
                      "--socket", so, (char *)NULL);
                _exit(127);
        }
        return pid;
}

int main(int argc, char **argv)
{
        unsigned reps = bench_reps(argc, argv, 200, 20);
        const char *ctr = bench_arg(argc, argv, "--ctr");
        const char *devpassd = bench_arg(argc, argv, "--devpassd");
        const char *idx_s = bench_arg(argc, argv, "--loop");
        bench_samples grant = {}, raw = {}, lxc = {}, ioctl_t = {}, synth = {},
                      synth_w = {}, synth_rm = {};
        unsigned synth_cg = 0;
        char upath[128];
        int ufd;
        volatile uint64_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        struct lxc_container *lc;
        struct udev *udev;
        struct udev_monitor *mon;
        char sysname[32], devpath[64], inside_dir[64], cgdir[256];
        unsigned cg_ok = 0, lost = 0;
        int ino, rootfd, dirfd, map;
        pid_t init;

        if (!ctr || !devpassd || !idx_s) {
                fprintf(stderr,
                        "usage: %s --ctr LXCNAME --devpassd PATH "
                        "--loop INDEX [-n REPS|--quick]\n",
                        argv[0]);
                return 2;
        }
        loop_idx = atoi(idx_s);
        snprintf(sysname, sizeof(sysname), "loop%d", loop_idx);
        snprintf(devpath, sizeof(devpath), "/dev/%s", sysname);
        lc = lxc_container_new(ctr, NULL);
        if (!lc || !lc->is_running(lc)) {
                fprintf(stderr, "LXC container %s is not running\n", ctr);
                return 1;
        }
        init = lc->init_pid(lc);
        snprintf(inside_dir, sizeof(inside_dir), "/proc/%d/root/dev", init);
        snprintf(cgdir, sizeof(cgdir), "/sys/fs/cgroup/devices/lxc.payload.%s",
                 ctr);
        strcpy(tmpdir, "/run/dpbhp.XXXXXX");
        if (!mkdtemp(tmpdir))
                return 1;
        atexit(cleanup);
        /* The ledger is fsync()ed at every step; /run is a tmpfs on a
         * normal host (not on this machine), so give it one. */
        if (mount("tmpfs", tmpdir, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m") <
            0)
                perror("mount tmpfs");
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        loopctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (loopctl < 0) {
                perror("/dev/loop-control");
                return 1;
        }
        (void)ioctl(loopctl, LOOP_CTL_REMOVE, loop_idx);

        udev = udev_new();
        mon = udev_monitor_new_from_netlink(udev, "kernel");
        udev_monitor_filter_add_match_subsystem_devtype(mon, "block", NULL);
        udev_monitor_set_receive_buffer_size(mon, 16 << 20);
        udev_monitor_enable_receiving(mon);
        ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (inotify_add_watch(ino, inside_dir, IN_CREATE | IN_DELETE) < 0) {
                perror(inside_dir);
                return 1;
        }

        printf("== hotplug: %s into privileged LXC container %s (pid %d), "
               "%u reps\n",
               sysname, ctr, init, reps);
        agent_pid = start_agent(devpassd, ctr, sysname);
        usleep(300000); /* let it reach "ready" */
        for (unsigned i = 0; i < reps; i++) {
                int64_t dt;

                /* The kernel sends the uevent from inside the ioctl, which
                 * goes on working afterwards; a child issues it so that this
                 * process already sits in poll() when the event arrives. */
                pid_t adder;

                shared[0] = shared[1] = 0;
                adder = fork();
                if (adder == 0) {
                        shared[0] = bench_now_ns();
                        int r = ioctl(loopctl, LOOP_CTL_ADD, loop_idx);
                        shared[1] = bench_now_ns();
                        _exit(r < 0);
                }
                dt = wait_pair(mon, ino, "add", IN_CREATE, sysname, 2000,
                               shared);
                waitpid(adder, NULL, 0);
                if (shared[1] > shared[0] && shared[0])
                        bench_add(&ioctl_t, shared[1] - shared[0]);
                if (dt >= 0)
                        bench_add(&grant, (uint64_t)dt);
                else
                        lost++;
                if (cgroup_allows(cgdir, 7, (unsigned)loop_idx))
                        cg_ok++;
                for (int k = 0;
                     k < 100 && ioctl(loopctl, LOOP_CTL_REMOVE, loop_idx) < 0;
                     k++)
                        usleep(1000);
                /* the ioctl sends "remove" from inside and waits for the
                 * device's users: no start time to measure revocation from
                 * (the uevent-file phase below does) */
                (void)wait_pair(mon, ino, "remove", IN_DELETE, sysname, 2000,
                                NULL);
        }
        /* The same through uevents the kernel sends for a write of "add" or
         * "remove" to the device's uevent file (what `udevadm trigger`
         * does): the kernel's own work before the event is one short write,
         * so "write → node" is a tight upper bound of "uevent → node". */
        if (ioctl(loopctl, LOOP_CTL_ADD, loop_idx) < 0)
                perror("LOOP_CTL_ADD");
        else
                (void)wait_pair(mon, ino, "add", IN_CREATE, sysname, 2000,
                                NULL);
        snprintf(upath, sizeof(upath), "/sys/devices/virtual/block/%s/uevent",
                 sysname);
        ufd = open(upath, O_WRONLY | O_CLOEXEC);
        for (unsigned i = 0; i < reps && ufd >= 0; i++) {
                uint64_t t[2] = {};
                int64_t dt;

                t[0] = bench_now_ns();
                (void)!write(ufd, "remove", 6);
                dt = wait_pair(mon, ino, "remove", IN_DELETE, sysname, 2000, t);
                if (dt >= 0)
                        bench_add(&synth_rm, (uint64_t)dt);
                t[0] = bench_now_ns();
                if (write(ufd, "add", 3) != 3) {
                        perror("write uevent");
                        break;
                }
                t[1] = bench_now_ns();
                dt = wait_pair(mon, ino, "add", IN_CREATE, sysname, 2000, t);
                bench_add(&synth_w, t[1] - t[0]);
                if (dt >= 0)
                        bench_add(&synth, (uint64_t)dt);
                else
                        lost++;
                if (cgroup_allows(cgdir, 7, (unsigned)loop_idx))
                        synth_cg++;
        }
        if (ufd >= 0)
                close(ufd);
        (void)ioctl(loopctl, LOOP_CTL_REMOVE, loop_idx);
        (void)wait_pair(mon, ino, "remove", IN_DELETE, sysname, 2000, NULL);

        kill(agent_pid, SIGTERM);
        waitpid(agent_pid, NULL, 0);
        agent_pid = -1;

        /* raw mechanism, in-process */
        rootfd = open(inside_dir, O_PATH | O_CLOEXEC);
        map = bpf_map_create_hash();
        if (map < 0)
                perror("BPF_MAP_CREATE");
        snprintf(inside_dir, sizeof(inside_dir), "/proc/%d/root", init);
        rootfd = open(inside_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        for (unsigned i = 0; i < reps && rootfd >= 0; i++) {
                struct open_how how = {
                        .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
                uint32_t key[3] = {'b', 7, (uint32_t)loop_idx}, val = 6;
                uint64_t t0 = bench_now_ns();

                dirfd = (int)syscall(SYS_openat2, rootfd, "/dev", &how,
                                     sizeof(how));
                if (dirfd < 0 ||
                    mknodat(dirfd, "dpbraw", S_IFBLK | 0660,
                            makedev(7, loop_idx)) < 0 ||
                    (map >= 0 &&
                     bpf_map_op(BPF_MAP_UPDATE_ELEM, map, key, &val) < 0)) {
                        perror("raw openat2+mknodat+map insert");
                        break;
                }
                bench_add(&raw, bench_now_ns() - t0);
                unlinkat(dirfd, "dpbraw", 0);
                if (map >= 0)
                        bpf_map_op(BPF_MAP_DELETE_ELEM, map, key, NULL);
                close(dirfd);
        }

        /* liblxc add_device_node on the same container and device */
        if (ioctl(loopctl, LOOP_CTL_ADD, loop_idx) < 0)
                perror("LOOP_CTL_ADD");
        for (unsigned i = 0; i < reps; i++) {
                uint64_t t0 = bench_now_ns();

                if (!lc->add_device_node(lc, devpath, NULL)) {
                        fprintf(stderr, "liblxc add_device_node failed\n");
                        break;
                }
                bench_add(&lxc, bench_now_ns() - t0);
                lc->remove_device_node(lc, devpath, NULL);
        }
        (void)ioctl(loopctl, LOOP_CTL_REMOVE, loop_idx);
        lxc_container_put(lc);

        bench_report("devpassd LOOP_CTL_ADD -> node + cgroup", &grant);
        bench_report("(LOOP_CTL_ADD itself, included above)", &ioctl_t);
        uint64_t g50 = bench_report("devpassd uevent -> node + cgroup", &synth);
        uint64_t g99 = bench_pct(&synth, 99);
        bench_report("(write to uevent file, included above)", &synth_w);
        bench_report("devpassd uevent -> node gone (revoke)", &synth_rm);
        uint64_t r50 = bench_report("raw openat2+mknodat+BPF map insert", &raw);
        uint64_t l50 = bench_report("liblxc add_device_node", &lxc);
        printf("  cgroup allowed the device after %u/%zu + %u/%zu grants; %u "
               "reps lost\n",
               cg_ok, grant.n, synth_cg, synth.n, lost);
        char fig[128], base[128];
        snprintf(fig, sizeof(fig), "p50 %.0f µs, p99 %.0f µs", g50 / 1e3,
                 g99 / 1e3);
        snprintf(base, sizeof(base), "raw p50 %.1f µs; liblxc p50 %.0f µs",
                 r50 / 1e3, l50 / 1e3);
        bench_result("hotplug privileged (devpassd)", fig, base,
                     l50 ? (double)g50 / (double)l50 : -1,
                     "p50<=200µs p99<=2ms <=0.75x liblxc",
                     synth.n > 0 && lost == 0 && cg_ok == grant.n &&
                             synth_cg == synth.n && g50 <= 200000 &&
                             g99 <= 2000000 &&
                             (double)g50 <= 0.75 * (double)l50);
        printf("  ratio to raw mechanism: %.1fx\n",
               r50 ? (double)g50 / (double)r50 : 0.0);
        udev_monitor_unref(mon);
        udev_unref(udev);
        bench_samples_free(&grant);
        bench_samples_free(&ioctl_t);
        bench_samples_free(&synth);
        bench_samples_free(&synth_w);
        bench_samples_free(&synth_rm);
        bench_samples_free(&raw);
        bench_samples_free(&lxc);
        return 0;
}
