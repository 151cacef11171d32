/* SPDX-License-Identifier: MIT */
/* dpt-hostile: the hostile side of the devpass hardening tests (libc only,
 * so that it also runs inside a test container that shares the host's /usr).
 *
 *   open-loop PATH SECONDS        open()+read() PATH in a tight loop; prints
 *                                 "opens=N eperm=N other=N"
 *   uevent-storm FILE COUNT       writes "change" to a sysfs uevent file
 *                                 COUNT times, as fast as the kernel takes it
 *   forge-kernel ACTION DEVPATH SUBSYSTEM [KEY=VALUE...]
 *                                 sends a kernel-format uevent to multicast
 *                                 group 1 from our own socket (nl_pid != 0)
 *   forge-udev UID ACTION DEVPATH SUBSYSTEM [KEY=VALUE...]
 *                                 as UID, sends a libudev-format uevent to
 *                                 group 2
 *   ipc-flood SOCKET N            N clients at once, each asks devpass.Status;
 *                                 prints "replies=R/N", exit 0 when R == N
 *   ipc-idle SOCKET N SECONDS     N clients that connect and never send
 *   ipc-monitor-drop SOCKET       starts devpass.Monitor and vanishes with a
 *                                 reset, its request half-read
 *   fake-lxc-monitor NAME UID PID as UID, binds the abstract socket NAME
 *                                 (an LXC monitor's "LXCPATH/CTR/command")
 *                                 and answers liblxc: state RUNNING, init
 *                                 pid PID; prints "ready", runs until
 *                                 SIGTERM */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
        (void)sig;
        stop = 1;
}

/* Stops at SIGTERM too, still printing its counts. */
static int open_loop(const char *path, double seconds)
{
        struct sigaction sa = {.sa_handler = on_term};
        unsigned long opens = 0, eperm = 0, other = 0;
        double end = now_s() + seconds;
        char buf[512];

        sigaction(SIGTERM, &sa, NULL);
        while (!stop && now_s() < end) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);

                if (fd < 0) {
                        if (errno == EPERM)
                                eperm++;
                        else
                                other++;
                        continue;
                }
                opens++;
                (void)!read(fd, buf, sizeof(buf));
                close(fd);
        }
        printf("opens=%lu eperm=%lu other=%lu\n", opens, eperm, other);
        return 0;
}

static int uevent_storm(const char *file, unsigned long count)
{
        double t0 = now_s();
        unsigned long done = 0;
        int fd = open(file, O_WRONLY | O_CLOEXEC);

        if (fd < 0) {
                perror(file);
                return 1;
        }
        for (; done < count; done++)
                if (pwrite(fd, "change", 6, 0) != 6) {
                        perror("write");
                        break;
                }
        close(fd);
        printf("wrote %lu change events in %.2f s\n", done, now_s() - t0);
        return done == count ? 0 : 1;
}

/* KEY=VALUE\0 pairs after a header, as the kernel and libudev send them. */
static size_t props(char *buf, size_t size, const char *action,
                    const char *devpath, const char *subsystem, int argc,
                    char **argv)
{
        size_t n = 0;
        int w;

        w = snprintf(buf + n, size - n, "ACTION=%s", action);
        n += (size_t)w + 1;
        w = snprintf(buf + n, size - n, "DEVPATH=%s", devpath);
        n += (size_t)w + 1;
        w = snprintf(buf + n, size - n, "SUBSYSTEM=%s", subsystem);
        n += (size_t)w + 1;
        w = snprintf(buf + n, size - n, "SEQNUM=%u",
                     900000000u + (unsigned)getpid());
        n += (size_t)w + 1;
        for (int i = 0; i < argc && n < size - 256; i++) {
                w = snprintf(buf + n, size - n, "%s", argv[i]);
                n += (size_t)w + 1;
        }
        return n;
}

static int nl_send(const void *msg, size_t len, unsigned group)
{
        struct sockaddr_nl me = {.nl_family = AF_NETLINK};
        struct sockaddr_nl to = {.nl_family = AF_NETLINK, .nl_groups = group};
        socklen_t sl = sizeof(me);
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
                        NETLINK_KOBJECT_UEVENT);

        if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
            getsockname(fd, (struct sockaddr *)&me, &sl) < 0) {
                printf("socket: %s\n", strerror(errno));
                return 1;
        }
        if (sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
                printf("refused: %s (nl_pid %u)\n", strerror(errno), me.nl_pid);
                close(fd);
                return 0;
        }
        printf("sent %zu bytes to group %u from nl_pid %u\n", len, group,
               me.nl_pid);
        close(fd);
        return 0;
}

static int forge_kernel(int argc, char **argv)
{
        char buf[4096];
        int w = snprintf(buf, sizeof(buf), "%s@%s", argv[0], argv[1]);
        size_t n = (size_t)w + 1;

        n += props(buf + n, sizeof(buf) - n, argv[0], argv[1], argv[2],
                   argc - 3, argv + 3);
        return nl_send(buf, n, 1);
}

/* libudev's wire header (systemd src/libsystemd/sd-device/device-monitor.c) */
struct udev_hdr {
        char prefix[8];
        unsigned magic;
        unsigned header_size;
        unsigned properties_off;
        unsigned properties_len;
        unsigned filter_subsystem_hash;
        unsigned filter_devtype_hash;
        unsigned filter_tag_bloom_hi;
        unsigned filter_tag_bloom_lo;
};

static int forge_udev(int argc, char **argv)
{
        char buf[4096];
        struct udev_hdr h = {.prefix = "libudev"};
        uid_t uid = (uid_t)strtoul(argv[0], NULL, 10);
        size_t n;

        if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0) {
                perror("drop privileges");
                return 1;
        }
        n = props(buf + sizeof(h), sizeof(buf) - sizeof(h), argv[1], argv[2],
                  argv[3], argc - 4, argv + 4);
        h.magic = htonl(0xfeedcafe);
        h.header_size = sizeof(h);
        h.properties_off = sizeof(h);
        h.properties_len = (unsigned)n;
        memcpy(buf, &h, sizeof(h));
        return nl_send(buf, sizeof(h) + n, 2);
}

static int ipc_connect(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd;

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        for (unsigned tries = 0; tries < 2000; tries++) {
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                            0);
                if (fd < 0)
                        return -1;
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                        return fd;
                close(fd);
                /* a full backlog: the agent is busy, come back */
                if (errno != EAGAIN)
                        return -1;
                usleep(1000);
        }
        return -1;
}

static void raise_nofile(unsigned need)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need + 64) {
                rl.rlim_cur = rl.rlim_max < need + 64 ? rl.rlim_max : need + 64;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static int ipc_flood(const char *path, unsigned n)
{
        static const char req[] = "{\"method\":\"devpass.Status\","
                                  "\"parameters\":{}}";
        struct pollfd *p = calloc(n, sizeof(*p));
        unsigned replies = 0, open_fds = 0;
        double end;

        if (!p)
                return 1;
        raise_nofile(n);
        /* All connected first, so that the agent holds them all at once. */
        for (unsigned i = 0; i < n; i++) {
                p[i].fd = ipc_connect(path);
                p[i].events = POLLIN;
                open_fds += p[i].fd >= 0;
        }
        for (unsigned i = 0; i < n; i++)
                if (p[i].fd >= 0 &&
                    send(p[i].fd, req, sizeof(req), MSG_NOSIGNAL) !=
                            (ssize_t)sizeof(req)) {
                        close(p[i].fd);
                        p[i].fd = -1;
                }
        end = now_s() + 30;
        while (replies < open_fds && now_s() < end) {
                if (poll(p, n, 1000) < 0)
                        break;
                for (unsigned i = 0; i < n; i++) {
                        char buf[8192];
                        ssize_t r;

                        if (p[i].fd < 0 || !p[i].revents)
                                continue;
                        r = recv(p[i].fd, buf, sizeof(buf), 0);
                        if (r < 0 && errno == EAGAIN)
                                continue;
                        if (r > 0 && memchr(buf, 0, (size_t)r) &&
                            strstr(buf, "\"resyncs\""))
                                replies++;
                        close(p[i].fd);
                        p[i].fd = -1;
                }
        }
        for (unsigned i = 0; i < n; i++)
                if (p[i].fd >= 0)
                        close(p[i].fd);
        free(p);
        printf("replies=%u/%u\n", replies, n);
        return replies == n ? 0 : 1;
}

static int ipc_idle(const char *path, unsigned n, unsigned seconds)
{
        unsigned ok = 0;

        raise_nofile(n);
        for (unsigned i = 0; i < n; i++)
                ok += ipc_connect(path) >= 0; /* kept open until we exit */
        printf("idle clients=%u/%u\n", ok, n);
        fflush(stdout);
        sleep(seconds);
        return ok == n ? 0 : 1;
}

static int ipc_monitor_drop(const char *path)
{
        static const char req[] = "{\"method\":\"devpass.Monitor\","
                                  "\"parameters\":{},\"more\":true}";
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        int fd = ipc_connect(path);

        if (fd < 0 || send(fd, req, sizeof(req), MSG_NOSIGNAL) < 0) {
                perror("monitor");
                return 1;
        }
        /* a second, unfinished request, then a reset instead of a close */
        (void)send(fd, "{\"method\":", 10, MSG_NOSIGNAL);
        usleep(200 * 1000);
        (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        close(fd);
        return 0;
}

/* liblxc's command protocol (src/lxc/commands.h): a request and a response
 * are each {int, int, pointer-sized value}; GET_STATE = 3 answers a state
 * (RUNNING = 2), GET_INIT_PID = 4 a pid, both in the value. */
struct lxc_wire {
        int32_t a, b;
        uint64_t value;
};

static int fake_lxc_monitor(const char *name, unsigned uid, long pid)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct sigaction act = {.sa_handler = on_term};
        size_t n = strlen(name);
        int fd;

        if (n + 1 >= sizeof(sa.sun_path))
                return 2;
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
            setresuid(uid, uid, uid) < 0) {
                perror("setresuid");
                return 1;
        }
        memcpy(sa.sun_path + 1, name, n);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 ||
            bind(fd, (struct sockaddr *)&sa,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) <
                    0 ||
            listen(fd, 16) < 0) {
                perror("bind");
                return 1;
        }
        sigaction(SIGTERM, &act, NULL);
        printf("ready\n");
        while (!stop) {
                struct lxc_wire req, rsp = {0};
                int c = accept(fd, NULL, NULL);

                if (c < 0)
                        continue;
                if (read(c, &req, sizeof(req)) == (ssize_t)sizeof(req)) {
                        if (req.a == 3)
                                rsp.value = 2;
                        else if (req.a == 4)
                                rsp.value = (uint64_t)pid;
                        else
                                rsp.a = -ENOSYS;
                        (void)!write(c, &rsp, sizeof(rsp));
                }
                close(c);
        }
        return 0;
}

int main(int argc, char **argv)
{
        const char *verb = argc > 1 ? argv[1] : "";

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!strcmp(verb, "open-loop") && argc == 4)
                return open_loop(argv[2], atof(argv[3]));
        if (!strcmp(verb, "uevent-storm") && argc == 4)
                return uevent_storm(argv[2], strtoul(argv[3], NULL, 10));
        if (!strcmp(verb, "forge-kernel") && argc >= 5)
                return forge_kernel(argc - 2, argv + 2);
        if (!strcmp(verb, "forge-udev") && argc >= 6)
                return forge_udev(argc - 2, argv + 2);
        if (!strcmp(verb, "ipc-flood") && argc == 4)
                return ipc_flood(argv[2], (unsigned)atoi(argv[3]));
        if (!strcmp(verb, "ipc-idle") && argc == 5)
                return ipc_idle(argv[2], (unsigned)atoi(argv[3]),
                                (unsigned)atoi(argv[4]));
        if (!strcmp(verb, "ipc-monitor-drop") && argc == 3)
                return ipc_monitor_drop(argv[2]);
        if (!strcmp(verb, "fake-lxc-monitor") && argc == 5)
                return fake_lxc_monitor(argv[2], (unsigned)atoi(argv[3]),
                                        atol(argv[4]));
        fprintf(stderr,
                "usage: see the comment at the top of hostile-tool.c\n");
        return 2;
}
