/* SPDX-License-Identifier: MIT */
/* Route sockets of the NIC module (net.c): one in the agent's netns, and
 * a pair inside a container's. A netlink socket acts in the netns it was
 * made in, wherever its descriptor goes afterwards; so a short child
 * (dp_ns_run_fds) joins the container's netns, makes the sockets and
 * passes them back over a unix socket (SCM_RIGHTS). No thread of the agent
 * ever switches namespace, and all the link handling stays in the agent
 * with libnl's full error codes. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "devpass/macro.h"
#include "net-internal.h"
#include "ns-run.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_socket_free)
#define _cleanup_nl_sock_ _cleanup_(nl_socket_freep)

int dp_nl_open(struct nl_sock **ret)
{
        _cleanup_nl_sock_ struct nl_sock *sk = nl_socket_alloc();
        int r;

        if (!sk)
                return -ENOMEM;
        r = nl_connect(sk, NETLINK_ROUTE);
        if (r < 0)
                return dp_nl_errno(r);
        *ret = TAKE_PTR(sk);
        return 0;
}

/* In the container's netns (a dp_ns_run_fds child): two route sockets,
 * bound and connected to the kernel's port, sent back over job->unix. A
 * netlink socket acts in the netns it was made in, wherever its descriptor
 * goes afterwards. Connected to the kernel: the kernel then refuses
 * unicasts from the container's own netlink sockets to ours, which its
 * root (CAP_NET_ADMIN in there) could otherwise send as fake answers. */
typedef struct nl_job {
        int unix_fd;
} nl_job;

static int nl_socket_child(void *arg)
{
        const nl_job *j = arg;
        struct sockaddr_nl any = {.nl_family = AF_NETLINK};
        int fds[2];
        union {
                char buf[CMSG_SPACE(sizeof(fds))];
                struct cmsghdr align;
        } u = {};
        struct iovec iov = {.iov_base = (char[]){'s'}, .iov_len = 1};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                fds[i] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
                                NETLINK_ROUTE);
                if (fds[i] < 0 ||
                    bind(fds[i], (struct sockaddr *)&any, sizeof(any)) < 0 ||
                    connect(fds[i], (struct sockaddr *)&any, sizeof(any)) < 0)
                        return negative_errno();
        }
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(fds));
        memcpy(CMSG_DATA(cm), fds, sizeof(fds));
        return sendmsg(j->unix_fd, &mh, MSG_NOSIGNAL) < 0 ? negative_errno()
                                                          : 0;
}

/* The descriptors the child sent; anything but two is refused. */
static int recv_two_fds(int unix_fd, int ret[2])
{
        union {
                char buf[CMSG_SPACE(2 * sizeof(int))];
                struct cmsghdr align;
        } u = {};
        char c;
        struct iovec iov = {.iov_base = &c, .iov_len = 1};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *cm;

        if (recvmsg(unix_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
                return negative_errno();
        cm = CMSG_FIRSTHDR(&mh);
        if (!cm || cm->cmsg_level != SOL_SOCKET ||
            cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len != CMSG_LEN(2 * sizeof(int))) {
                /* a partial message may still have carried descriptors */
                if (cm && cm->cmsg_type == SCM_RIGHTS)
                        for (size_t k = 0;
                             k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                             k++)
                                safe_close(((int *)CMSG_DATA(cm))[k]);
                return -EIO;
        }
        memcpy(ret, CMSG_DATA(cm), 2 * sizeof(int));
        return 0;
}

static int nl_adopt(int fd, struct nl_sock **ret)
{
        _cleanup_nl_sock_ struct nl_sock *sk = nl_socket_alloc();
        int r;

        if (!sk) {
                safe_close(fd);
                return -ENOMEM;
        }
        r = nl_socket_set_fd(sk, NETLINK_ROUTE, fd);
        if (r < 0) {
                safe_close(fd);
                return dp_nl_errno(r);
        }
        /* what nl_connect() would have set */
        r = nl_socket_set_buffer_size(sk, 0, 0);
        if (r < 0)
                return dp_nl_errno(r);
        *ret = TAKE_PTR(sk);
        return 0;
}

/* Two route sockets that live in the netns behind netnsfd, made by a short
 * child so that no thread of the agent ever leaves its netns. */
int dp_nl_open_in_netns(int netnsfd, struct nl_sock **ret_a,
                        struct nl_sock **ret_b)
{
        _cleanup_close_ int ours = -EBADF, theirs = -EBADF;
        int pair[2], fds[2], r;

        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) < 0)
                return negative_errno();
        ours = pair[0];
        theirs = pair[1];
        r = dp_ns_run_fds(-EBADF, netnsfd, NULL, nl_socket_child,
                          &(nl_job){.unix_fd = theirs});
        if (r < 0)
                return r;
        r = recv_two_fds(ours, fds);
        if (r < 0)
                return r;
        r = nl_adopt(fds[0], ret_a);
        if (r < 0) {
                safe_close(fds[1]);
                return r;
        }
        return nl_adopt(fds[1], ret_b);
}
