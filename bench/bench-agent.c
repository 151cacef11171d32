/* SPDX-License-Identifier: MIT */
/* Benchmarks that drive devpassd and devpassctl as programs:
 *   manual  devpassctl attach+detach (offline and via the agent) against
 *           lxc-device add+del, same LXC container, same block device
 *   storm   100k uevents into a running agent; then a forced overflow
 *           (agent stopped while the kernel keeps sending) and the resync
 *   cold    start-up with 1,000 devices, 50 containers, 20 policies; a
 *           second start must change nothing; idle RSS and RSS over
 *           attach/detach cycles against an idle systemd-udevd
 * Every device, container and file made here is removed on exit. */
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_LOOPS 2000
#define MAX_CTRS  64

static const char *devpassd, *devpassctl, *testctr;
static char work[64];
static pid_t agent = -1;
static int loopctl = -1, loop_base = -1, n_loops;
static char ctrs[MAX_CTRS][32];
static pid_t ctr_pid[MAX_CTRS];
static int n_ctrs;
static bool udevd_started;

static void stop_agent(void)
{
        if (agent > 0) {
                kill(agent, SIGCONT);
                kill(agent, SIGTERM);
                waitpid(agent, NULL, 0);
        }
        agent = -1;
}

static void cleanup(void)
{
        char cmd[4096];

        stop_agent();
        for (int i = 0; i < n_ctrs; i++) {
                snprintf(cmd, sizeof(cmd), "%s stop %s", testctr, ctrs[i]);
                (void)bench_sh(cmd);
        }
        n_ctrs = 0;
        for (int i = 0; i < n_loops; i++)
                (void)ioctl(loopctl, LOOP_CTL_REMOVE, loop_base + i);
        n_loops = 0;
        if (udevd_started) {
                (void)bench_sh("pkill -x -n systemd-udevd; sleep 0.2; "
                               "rm -rf /run/udev");
                udevd_started = false;
        }
        if (work[0]) {
                (void)umount2(work, MNT_DETACH);
                snprintf(cmd, sizeof(cmd), "rm -rf %s", work);
                (void)bench_sh(cmd);
                work[0] = 0;
        }
}

static void on_signal(int sig)
{
        cleanup();
        _exit(128 + sig);
}

static int add_loops(int base, int n)
{
        loop_base = base;
        for (int i = 0; i < n; i++) {
                (void)ioctl(loopctl, LOOP_CTL_REMOVE, base + i);
                if (ioctl(loopctl, LOOP_CTL_ADD, base + i) < 0)
                        return -errno;
                n_loops = i + 1;
        }
        return 0;
}

static int start_ctrs(int n)
{
        for (int i = 0; i < n && i < MAX_CTRS; i++) {
                char cmd[4096], line[64] = "";
                FILE *f;

                snprintf(ctrs[i], sizeof(ctrs[i]), "dpbc%d-%d", getpid(), i);
                snprintf(cmd, sizeof(cmd), "%s start --share-usr --name %s",
                         testctr, ctrs[i]);
                f = popen(cmd, "re");
                if (!f)
                        return -errno;
                if (!fgets(line, sizeof(line), f) ||
                    sscanf(line, "%d", &ctr_pid[i]) != 1) {
                        pclose(f);
                        return -EIO;
                }
                pclose(f);
                n_ctrs = i + 1;
        }
        return 0;
}

static int write_text(const char *path, const char *s)
{
        FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fputs(s, f);
        return fclose(f) == 0 ? 0 : -errno;
}

/* Starts devpassd on work/{policy,state,sock}, stderr to work/NAME.log. */
static pid_t spawn_agent(const char *logname, int n_watch)
{
        pid_t pid = fork();

        if (pid == 0) {
                char pd[128], sd[128], so[128], lg[128];
                char *argv[8 + 2 * MAX_CTRS];
                char watch[MAX_CTRS][32];
                int a = 0, fd;

                snprintf(pd, sizeof(pd), "%s/policy", work);
                snprintf(sd, sizeof(sd), "%s/state", work);
                snprintf(so, sizeof(so), "%s/sock", work);
                snprintf(lg, sizeof(lg), "%s/%s", work, logname);
                fd = open(lg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd >= 0)
                        dup2(fd, 2);
                argv[a++] = (char *)devpassd;
                argv[a++] = "--policy-dir";
                argv[a++] = pd;
                argv[a++] = "--state-dir";
                argv[a++] = sd;
                argv[a++] = "--socket";
                argv[a++] = so;
                for (int i = 0; i < n_watch; i++) {
                        snprintf(watch[i], sizeof(watch[i]), "pid:%d",
                                 ctr_pid[i]);
                        argv[a++] = "--watch";
                        argv[a++] = watch[i];
                }
                argv[a] = NULL;
                execv(devpassd, argv);
                _exit(127);
        }
        return pid;
}

/* Polls the log for "devpassd ready"; returns the time it was seen (0 on
 * timeout) and copies the line. */
static uint64_t wait_ready(const char *logname, char *line, size_t len,
                           int timeout_ms)
{
        char path[128];
        uint64_t deadline = bench_now_ns() + (uint64_t)timeout_ms * 1000000ull;

        snprintf(path, sizeof(path), "%s/%s", work, logname);
        while (bench_now_ns() < deadline) {
                FILE *f = fopen(path, "re");

                if (f) {
                        while (fgets(line, (int)len, f))
                                if (strstr(line, "devpassd ready")) {
                                        fclose(f);
                                        return bench_now_ns();
                                }
                        fclose(f);
                }
                usleep(100);
        }
        return 0;
}

static unsigned count_lines(const char *logname, const char *needle)
{
        char path[128], line[1024];
        unsigned n = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", work, logname);
        f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, needle))
                        n++;
        fclose(f);
        return n;
}

/* "events" and "resyncs" from `devpassctl status --json`. */
static int agent_status(long long *ret_events, long long *ret_resyncs)
{
        char cmd[4096], buf[4096];
        size_t n;
        FILE *f;
        char *p;

        snprintf(cmd, sizeof(cmd),
                 "%s --socket %s/sock status --json 2>/dev/null", devpassctl,
                 work);
        f = popen(cmd, "re");
        if (!f)
                return -errno;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        if (pclose(f) != 0)
                return -EIO;
        p = strstr(buf, "\"events\"");
        if (!p || sscanf(strchr(p, ':') + 1, "%lld", ret_events) != 1)
                return -EBADMSG;
        p = strstr(buf, "\"resyncs\"");
        if (!p || sscanf(strchr(p, ':') + 1, "%lld", ret_resyncs) != 1)
                return -EBADMSG;
        return 0;
}

static int wait_socket(int timeout_ms)
{
        long long e, r;

        for (int i = 0; i < timeout_ms / 10; i++) {
                if (agent_status(&e, &r) == 0)
                        return 0;
                usleep(10000);
        }
        return -ETIMEDOUT;
}

/* Drops and queued bytes of pid's uevent socket (/proc/net/netlink). */
static int uevent_sock_stats(pid_t pid, long *ret_rmem, long *ret_drops)
{
        char path[64], link[64], line[256];
        unsigned long inodes[32];
        int n = 0;
        FILE *f;

        for (int fd = 0; fd < 256 && n < 32; fd++) {
                ssize_t l;

                snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
                l = readlink(path, link, sizeof(link) - 1);
                if (l <= 0)
                        continue;
                link[l] = 0;
                if (sscanf(link, "socket:[%lu]", &inodes[n]) == 1)
                        n++;
        }
        f = fopen("/proc/net/netlink", "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                unsigned long sk, ino;
                int eth;
                unsigned pidc, groups;
                long rmem, wmem, dump, locks, drops;

                if (sscanf(line, "%lx %d %u %x %ld %ld %ld %ld %ld %lu", &sk,
                           &eth, &pidc, &groups, &rmem, &wmem, &dump, &locks,
                           &drops, &ino) != 10 ||
                    eth != 15)
                        continue;
                for (int i = 0; i < n; i++)
                        if (inodes[i] == ino) {
                                *ret_rmem = rmem;
                                *ret_drops = drops;
                                fclose(f);
                                return 0;
                        }
        }
        fclose(f);
        return -ENOENT;
}

static int setup_work(void)
{
        char p[128];

        strcpy(work, "/run/dpba.XXXXXX");
        if (!mkdtemp(work))
                return -errno;
        /* the state dir lives in /run, normally a tmpfs */
        if (mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m") < 0)
                return -errno;
        snprintf(p, sizeof(p), "%s/policy", work);
        return mkdir(p, 0755) < 0 ? -errno : 0;
}

/* ---- manual ---- */
static int run_pair(char *const a[], char *const b[], bench_samples *s)
{
        uint64_t t0 = bench_now_ns();

        if (bench_run(a, true) != 0 || bench_run(b, true) != 0)
                return -EIO;
        return bench_add(s, bench_now_ns() - t0);
}

static int bench_manual(unsigned reps, const char *ctr, int idx)
{
        char dev[32], ref[64], sd[128], so[128];
        bench_samples lx = {}, off = {}, via = {};

        if (!ctr)
                return -EINVAL;
        snprintf(dev, sizeof(dev), "/dev/loop%d", idx);
        snprintf(ref, sizeof(ref), "lxc:%s", ctr);
        snprintf(sd, sizeof(sd), "%s/offline-state", work);
        snprintf(so, sizeof(so), "%s/sock", work);
        if (add_loops(idx, 1) < 0)
                return -errno;
        char *la[] = {"lxc-device", "-n", (char *)ctr, "add", dev, NULL};
        char *ld[] = {"lxc-device", "-n", (char *)ctr, "del", dev, NULL};
        char *oa[] = {(char *)devpassctl,
                      "--state-dir",
                      sd,
                      "attach",
                      ref,
                      dev,
                      NULL};
        char *od[] = {(char *)devpassctl,
                      "--state-dir",
                      sd,
                      "detach",
                      ref,
                      dev,
                      NULL};
        char *aa[] = {
                (char *)devpassctl, "--socket", so, "attach", ref, dev, NULL};
        char *ad[] = {
                (char *)devpassctl, "--socket", so, "detach", ref, dev, NULL};

        printf("== manual attach+detach of %s into LXC %s, %u reps\n", dev, ctr,
               reps);
        for (unsigned i = 0; i < reps; i++)
                if (run_pair(la, ld, &lx) < 0 || run_pair(oa, od, &off) < 0) {
                        fprintf(stderr, "attach/detach failed (rep %u)\n", i);
                        return -EIO;
                }
        agent = spawn_agent("manual.log", 0);
        if (wait_socket(5000) < 0)
                return -ETIMEDOUT;
        for (unsigned i = 0; i < reps; i++)
                if (run_pair(aa, ad, &via) < 0) {
                        fprintf(stderr, "attach/detach via agent failed\n");
                        return -EIO;
                }
        stop_agent();
        uint64_t l50 = bench_report("lxc-device add + del", &lx);
        uint64_t o50 =
                bench_report("devpassctl attach + detach (offline)", &off);
        uint64_t v50 = bench_report("devpassctl attach + detach (agent)", &via);
        char fig[64], base[64];
        snprintf(base, sizeof(base), "lxc-device p50 %.1f ms", l50 / 1e6);
        snprintf(fig, sizeof(fig), "offline p50 %.1f ms", o50 / 1e6);
        bench_result("manual attach+detach (offline)", fig, base,
                     (double)o50 / (double)l50, "<=0.5x",
                     (double)o50 <= 0.5 * (double)l50);
        snprintf(fig, sizeof(fig), "agent p50 %.1f ms", v50 / 1e6);
        bench_result("manual attach+detach (agent)", fig, base,
                     (double)v50 / (double)l50, "<=0.5x",
                     (double)v50 <= 0.5 * (double)l50);
        bench_samples_free(&lx);
        bench_samples_free(&off);
        bench_samples_free(&via);
        return 0;
}

/* ---- storm ---- */
static int send_change(int i)
{
        char path[96];

        snprintf(path, sizeof(path), "/sys/devices/virtual/block/loop%d/uevent",
                 loop_base + i);
        return bench_write_file(path, "change");
}

static int bench_storm(unsigned events, int base, int n_dev)
{
        long long e0, r0, e1, r1;
        long rmem = 0, drops = 0;
        uint64_t t0, t_sent, t_done = 0;
        unsigned sent = 0;
        int r;

        if ((r = add_loops(base, n_dev)) < 0)
                return r;
        /* one rule that matches nothing here: every event is evaluated */
        {
                char p[128];

                snprintf(p, sizeof(p), "%s/policy/10-none.policy", work);
                write_text(p, "[Match]\nClass=block\nName=dpb-none\n[Target]\n"
                              "Container=lxc:dpb-none\n");
        }
        agent = spawn_agent("storm.log", 0);
        if (wait_socket(10000) < 0 || agent_status(&e0, &r0) < 0)
                return -ETIMEDOUT;
        printf("== storm: %u change uevents over %d loop devices\n", events,
               n_dev);
        t0 = bench_now_ns();
        for (unsigned i = 0; i < events; i++)
                if (send_change((int)(i % (unsigned)n_dev)) == 0)
                        sent++;
        t_sent = bench_now_ns();
        for (int i = 0; i < 60000; i++) {
                if (agent_status(&e1, &r1) == 0 && e1 - e0 >= (long long)sent) {
                        t_done = bench_now_ns();
                        break;
                }
                usleep(5000);
        }
        (void)uevent_sock_stats(agent, &rmem, &drops);
        printf("  sent %u in %.2f s (%.0f/s); agent had them all after "
               "%.2f s; events %lld, resyncs %lld, socket drops %ld\n",
               sent, (t_sent - t0) / 1e9, sent / ((t_sent - t0) / 1e9),
               t_done ? (t_done - t0) / 1e9 : -1.0, e1 - e0, r1 - r0, drops);
        char fig[128];
        snprintf(fig, sizeof(fig), "%u events, %lld resyncs, %ld drops", sent,
                 r1 - r0, drops);
        bench_result("uevent storm, large buffer", fig, NULL, -1, "no ENOBUFS",
                     t_done && r1 == r0 && drops == 0);

        /* forced overflow: freeze the agent while the kernel keeps sending */
        kill(agent, SIGSTOP);
        long d0 = drops;
        unsigned extra = 0;
        while (drops == d0 && extra < 3000000) {
                for (int k = 0; k < 1000; k++)
                        (void)send_change((int)(extra++ % (unsigned)n_dev));
                (void)uevent_sock_stats(agent, &rmem, &drops);
        }
        printf("  overflow after %u more events (queued %ld KiB, drops %ld)\n",
               extra, rmem / 1024, drops - d0);
        long long r_before = r1;
        t0 = bench_now_ns();
        kill(agent, SIGCONT);
        t_done = 0;
        for (int i = 0; i < 4000; i++) {
                if (agent_status(&e1, &r1) == 0 && r1 > r_before) {
                        t_done = bench_now_ns();
                        break;
                }
                usleep(500);
        }
        snprintf(fig, sizeof(fig), "resync seen %.0f ms after SIGCONT",
                 t_done ? (t_done - t0) / 1e6 : -1.0);
        printf("  %s (%d devices of ours present; the queued backlog is "
               "processed as well)\n",
               fig, n_dev);
        bench_result("forced ENOBUFS -> resync", fig, NULL, -1, "<=2 s",
                     t_done && drops > d0 && t_done - t0 <= 2000000000ull);
        stop_agent();
        return 0;
}

/* ---- cold start + memory ---- */
static uint64_t time_enumerate(void)
{
        uint64_t t0 = bench_now_ns();
        struct udev *u = udev_new();
        struct udev_enumerate *e = udev_enumerate_new(u);
        struct udev_list_entry *l;
        unsigned n = 0;

        udev_enumerate_scan_devices(e);
        udev_list_entry_foreach(l, udev_enumerate_get_list_entry(e))
        {
                struct udev_device *d = udev_device_new_from_syspath(
                        u, udev_list_entry_get_name(l));

                if (d) {
                        (void)udev_device_get_devnode(d);
                        n++;
                        udev_device_unref(d);
                }
        }
        udev_enumerate_unref(e);
        udev_unref(u);
        printf("  udev_enumerate: %u devices\n", n);
        return bench_now_ns() - t0;
}

static int bench_cold(unsigned cycles, int base, int n_dev, int n_ctr,
                      int n_pol)
{
        char line[512] = "", p[256], pol[512];
        uint64_t t0, t1, t2, te;
        unsigned g1, g2, rv2;
        int r;

        if ((r = add_loops(base, n_dev)) < 0 || (r = start_ctrs(n_ctr)) < 0)
                return r;
        /* policy k: 10 devices, 2 containers */
        for (int k = 0; k < n_pol; k++) {
                snprintf(p, sizeof(p), "%s/policy/%02d-b.policy", work, k);
                snprintf(pol, sizeof(pol),
                         "[Match]\nClass=block\nName=loop%d?\n[Target]\n"
                         "Container=pid:%d pid:%d\n[Grant]\nAccess=rw\n",
                         base / 10 + k, ctr_pid[k % n_ctr],
                         ctr_pid[(k + 1) % n_ctr]);
                write_text(p, pol);
        }
        printf("== cold start: %d loop devices, %d containers, %d policies\n",
               n_dev, n_ctr, n_pol);
        te = time_enumerate();
        t0 = bench_now_ns();
        agent = spawn_agent("cold1.log", n_ctr);
        t1 = wait_ready("cold1.log", line, sizeof(line), 30000);
        printf("  run 1: %s", line);
        stop_agent();
        g1 = count_lines("cold1.log", ": grant ");
        snprintf(p, sizeof(p), "cp -a %s/state/grants %s/ledger1", work, work);
        bench_sh(p);
        t2 = bench_now_ns();
        agent = spawn_agent("cold2.log", n_ctr);
        uint64_t t3 = wait_ready("cold2.log", line, sizeof(line), 30000);
        printf("  run 2: %s", line);
        g2 = count_lines("cold2.log", ": grant ");
        rv2 = count_lines("cold2.log", ": revoke ");
        snprintf(p, sizeof(p), "diff -rq %s/state/grants %s/ledger1 >/dev/null",
                 work, work);
        bool same = bench_sh(p) == 0;
        printf("  run 1: %.0f ms, %u grants made; run 2: %.0f ms, %u grants, "
               "%u revokes, ledger %s; udev_enumerate alone %.1f ms\n",
               t1 ? (t1 - t0) / 1e6 : -1.0, g1, t3 ? (t3 - t2) / 1e6 : -1.0, g2,
               rv2, same ? "unchanged" : "CHANGED", te / 1e6);
        char fig[128], base_s[64];
        snprintf(fig, sizeof(fig), "first %.0f ms (%u grants), second %.0f ms",
                 (t1 - t0) / 1e6, g1, (t3 - t2) / 1e6);
        snprintf(base_s, sizeof(base_s), "udev_enumerate %.1f ms", te / 1e6);
        bench_result("cold start", fig, base_s, (double)(t1 - t0) / (double)te,
                     "<=1 s; 2nd run no change",
                     t1 && t3 && t1 - t0 <= 1000000000ull &&
                             t3 - t2 <= 1000000000ull && g2 == 0 && rv2 == 0 &&
                             same);

        /* memory: the second agent is idle now */
        sleep(1);
        long idle = bench_rss_kib(agent), peak = idle, last = idle;
        char so[128], dev[32], ref[32];
        snprintf(so, sizeof(so), "%s/sock", work);
        snprintf(dev, sizeof(dev), "/dev/loop%d", base + n_dev - 1);
        snprintf(ref, sizeof(ref), "pid:%d", ctr_pid[n_ctr - 1]);
        char *aa[] = {
                (char *)devpassctl, "--socket", so, "attach", ref, dev, NULL};
        char *ad[] = {
                (char *)devpassctl, "--socket", so, "detach", ref, dev, NULL};
        printf("  agent idle RSS %ld KiB; %u attach/detach cycles:", idle,
               cycles);
        for (unsigned i = 1; i <= cycles; i++) {
                if (bench_run(aa, true) != 0 || bench_run(ad, true) != 0) {
                        printf(" (cycle %u failed)", i);
                        break;
                }
                if (i % (cycles / 6 ? cycles / 6 : 1) == 0) {
                        last = bench_rss_kib(agent);
                        if (last > peak)
                                peak = last;
                        printf(" %ld", last);
                }
        }
        printf(" KiB\n");
        stop_agent();

        /* idle systemd-udevd, same run */
        long udevd = -1;
        bool was_running = bench_sh("pgrep -x systemd-udevd") == 0;
        if (!was_running && access("/lib/systemd/systemd-udevd", X_OK) == 0) {
                udevd_started = true;
                bench_sh("/lib/systemd/systemd-udevd --daemon");
                sleep(2);
        }
        FILE *f = popen("pgrep -x -o systemd-udevd", "re");
        int upid = 0;
        if (f && fscanf(f, "%d", &upid) == 1)
                udevd = bench_rss_kib(upid);
        if (f)
                pclose(f);
        if (udevd_started) {
                bench_sh("pkill -x systemd-udevd; sleep 0.3; rm -rf /run/udev");
                udevd_started = false;
        }
        printf("  systemd-udevd idle RSS %ld KiB (%s)\n", udevd,
               was_running ? "already running" : "started for this");
        snprintf(fig, sizeof(fig), "idle %ld KiB; after %u cycles %ld KiB",
                 idle, cycles, last);
        snprintf(base_s, sizeof(base_s), "udevd idle %ld KiB", udevd);
        bench_result("memory (RSS)", fig, base_s,
                     udevd > 0 ? (double)idle / (double)udevd : -1,
                     "idle <=1.0x udevd; flat",
                     udevd > 0 && idle <= udevd && peak <= idle + idle / 10);
        return 0;
}

int main(int argc, char **argv)
{
        const char *what = argc > 1 ? argv[1] : "";
        int r = -EINVAL;

        devpassd = bench_arg(argc, argv, "--devpassd");
        devpassctl = bench_arg(argc, argv, "--devpassctl");
        testctr = bench_arg(argc, argv, "--testctr");
        if (!devpassd || !devpassctl || !testctr) {
                fprintf(stderr,
                        "usage: %s manual|storm|cold --devpassd P "
                        "--devpassctl P --testctr P [--ctr LXC] [--loop BASE] "
                        "[-n REPS|--quick]\n",
                        argv[0]);
                return 2;
        }
        const char *b = bench_arg(argc, argv, "--loop");
        int base = b ? atoi(b) : 3000;
        loopctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (loopctl < 0) {
                perror("/dev/loop-control");
                return 1;
        }
        atexit(cleanup);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        if ((r = setup_work()) < 0) {
                fprintf(stderr, "work dir: %s\n", strerror(-r));
                return 1;
        }
        if (strcmp(what, "manual") == 0)
                r = bench_manual(bench_reps(argc, argv, 100, 10),
                                 bench_arg(argc, argv, "--ctr"), base);
        else if (strcmp(what, "storm") == 0)
                r = bench_storm(bench_reps(argc, argv, 100000, 10000), base,
                                1000);
        else if (strcmp(what, "cold") == 0)
                r = bench_cold(bench_reps(argc, argv, 360, 36), base, 1000, 50,
                               20);
        if (r < 0)
                fprintf(stderr, "%s: %s\n", what, strerror(-r));
        return r < 0 ? 1 : 0;
}
