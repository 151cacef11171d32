/* SPDX-License-Identifier: MIT */
/* devpassd tells its service manager that it is ready (Type=notify) without
 * libsystemd: started with NOTIFY_SOCKET pointing at a datagram socket of
 * this test, it must send "READY=1" once it serves. Usage:
 *   dpt-notify-check DEVPASSD DIR   (DIR: an empty scratch directory) */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        char buf[512], policy[256], state[256], sock[256];
        struct pollfd p;
        ssize_t n;
        pid_t pid;
        int fd, status, rc = 1;

        if (argc != 3) {
                fprintf(stderr, "usage: dpt-notify-check DEVPASSD DIR\n");
                return 2;
        }
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", argv[2]);
        snprintf(policy, sizeof(policy), "%s/policy", argv[2]);
        snprintf(state, sizeof(state), "%s/state", argv[2]);
        snprintf(sock, sizeof(sock), "%s/devpass.sock", argv[2]);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                perror("notify socket");
                return 1;
        }
        pid = fork();
        if (pid == 0) {
                setenv("NOTIFY_SOCKET", sa.sun_path, 1);
                execl(argv[1], argv[1], "--policy-dir", policy, "--state-dir",
                      state, "--socket", sock, "--log-level", "warning",
                      (char *)NULL);
                _exit(127);
        }
        p = (struct pollfd){.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10000) == 1 &&
            (n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
                buf[n] = 0;
                if (strstr(buf, "READY=1") && access(sock, F_OK) == 0) {
                        printf("devpassd sent \"%s\" with its socket in "
                               "place\n",
                               buf);
                        rc = 0;
                } else
                        fprintf(stderr, "FAIL: got \"%s\"\n", buf);
        } else
                fprintf(stderr, "FAIL: no READY=1 within 10 s\n");
        kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
        if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                fprintf(stderr,
                        "FAIL: devpassd did not exit cleanly on SIGTERM\n");
                rc = 1;
        }
        return rc;
}
