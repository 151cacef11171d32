/* SPDX-License-Identifier: MIT */
/* vm-stamp PID PATH: waits, in the mount namespace of PID, until PATH
 * exists and prints CLOCK_MONOTONIC (seconds) at that moment. bench-vm.sh
 * compares it with udevadm monitor's KERNEL/UDEV times, which use the same
 * clock. inotify rather than polling: a poller would compete with devpassd
 * for the guest's two vCPUs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void stamp(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        printf("%ld.%06ld\n", (long)ts.tv_sec, ts.tv_nsec / 1000);
}

int main(int argc, char **argv)
{
        char ns[64], dir[4096], buf[4096];
        struct stat st;
        int nsfd, in;

        if (argc != 3)
                return 2;
        snprintf(ns, sizeof(ns), "/proc/%s/ns/mnt", argv[1]);
        nsfd = open(ns, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0 || setns(nsfd, CLONE_NEWNS) < 0) {
                perror("setns");
                return 1;
        }
        snprintf(dir, sizeof(dir), "%s", argv[2]);
        in = inotify_init1(IN_CLOEXEC);
        if (in < 0 || inotify_add_watch(in, dirname(dir), IN_CREATE) < 0) {
                perror("inotify");
                return 1;
        }
        for (;;) {
                if (stat(argv[2], &st) == 0) {
                        stamp();
                        return 0;
                }
                if (read(in, buf, sizeof(buf)) < 0) {
                        perror("read");
                        return 1;
                }
        }
}
