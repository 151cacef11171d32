/* SPDX-License-Identifier: MIT */
/* dpt-ipc-raw SOCKET [UID]: sends stdin as-is to the agent's socket
 * (optionally after dropping to UID), prints the first reply without its
 * NUL, exits 0 when a reply came and 3 when the agent closed without one.
 * For tests that feed the agent malformed, oversized or unauthorised
 * requests. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        static char buf[1 << 20];
        size_t n = 0;
        ssize_t r;
        int fd;

        if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "usage: dpt-ipc-raw SOCKET [UID]\n");
                return 2;
        }
        while ((r = read(STDIN_FILENO, buf + n, sizeof(buf) - n)) > 0)
                n += (size_t)r;
        if (argc > 2) {
                uid_t uid = (uid_t)atoi(argv[2]);

                if (setgroups(0, NULL) < 0 || setgid(uid) < 0 ||
                    setuid(uid) < 0) {
                        perror("drop privileges");
                        return 2;
                }
        }
        strcpy(sa.sun_path, argv[1]);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                printf("connect: %s\n", strerror(errno));
                return 4;
        }
        for (size_t done = 0; done < n;) {
                r = send(fd, buf + done, n - done, MSG_NOSIGNAL);
                if (r < 0)
                        break; /* the agent may hang up on oversize input */
                done += (size_t)r;
        }
        n = 0;
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};

                if (poll(&p, 1, 3000) <= 0)
                        break;
                r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
                if (r <= 0)
                        break;
                n += (size_t)r;
                if (memchr(buf, 0, n))
                        break;
        }
        if (n == 0)
                return 3;
        buf[n] = 0;
        printf("%s\n", buf);
        return 0;
}
