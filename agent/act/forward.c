/* SPDX-License-Identifier: MIT */
/* Forward=yes: a udev view of granted nodes inside a container. Software in
 * there (udev rules, libinput, Xorg, SDL, systemd) ignores a node that has no
 * udev database record and never announced itself, so devpass plays udevd's
 * part for the nodes it grants: it writes /run/udev/data/<id> and the tag
 * index, and sends the event libudev's "udev" monitors listen for into the
 * container's network namespace. A container running its own udevd keeps
 * its own records: then nothing is done. See FORWARD.md. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "devpass/act.h"
#include "devpass/macro.h"
#include "devpass/util.h"
#include "forward-wire.h"
#include "node-internal.h"
#include "node-path.h"
#include "ns-run.h"
#include "pidns.h"

/* Records are small; anything bigger was not written by us or udevd. */
#define RECORD_MAX (64u * 1024u)

typedef struct fwd_ids {
        uid_t uid; /* host ids of the container's root */
        gid_t gid;
} fwd_ids;

/* Opens the container's /run/udev without following any symlink. A missing
 * directory (or a non-directory there) means the container wants no udev
 * view: -ENOTDIR. */
static int open_udev_dir(const dp_container *c, int *ret_fd)
{
        _cleanup_close_ int rootfd = -EBADF;
        int r, fd;

        r = dp_container_open_proc(c, "root", O_PATH | O_DIRECTORY, &rootfd);
        if (r < 0)
                return r;
        r = dp_path_open_dir(rootfd, "/run/udev", NULL, &fd);
        if (r == -ENOENT || r == -ENOTDIR)
                return -ENOTDIR;
        if (r < 0)
                return r;
        *ret_fd = fd;
        return 0;
}

/* 1 if /run/udev/control is a socket somebody listens on. A stale socket
 * (udevd gone) and a plain file (the marker below) do not count. */
static int control_socket_live(int udevfd)
{
        _cleanup_close_ int fd = -EBADF, s = -EBADF;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int r;

        r = dp_ctr_open(udevfd, "control", O_PATH, S_IFSOCK, &fd);
        /* Missing, or not a socket (our marker, or anything planted) */
        if (r == -ENOENT || r == -ENXIO || r == -EISDIR || r == -ELOOP)
                return 0;
        if (r < 0)
                return r;
        /* Connect through our O_PATH fd, so that the inode we checked is the
         * one we reach, whatever the container does to its paths. udevd's
         * control socket is SEQPACKET; non-blocking so a full backlog never
         * stalls us. */
        s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s < 0)
                return negative_errno();
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", fd);
        if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                return 1;
        if (errno == ECONNREFUSED || errno == ENOENT)
                return 0;
        /* Wrong socket type, full backlog: somebody is listening. */
        if (errno == EPROTOTYPE || errno == EAGAIN || errno == EINPROGRESS)
                return 1;
        return negative_errno();
}

static bool comm_is_udevd(const char *comm)
{
        return streq(comm, "systemd-udevd") || streq(comm, "udevd") ||
               streq(comm, "(udev-worker)");
}

/* 1 if a udevd process runs in the container's pid namespace or one below
 * it. */
static int udevd_in_pidns(const dp_container *c)
{
        _cleanup_close_ int nsfd = -EBADF;
        DIR *d;
        struct dirent *de;
        struct stat ns, self;
        int r, found = 0;

        r = dp_container_open_proc(c, "ns/pid", O_RDONLY, &nsfd);
        if (r < 0)
                return r;
        if (fstat(nsfd, &ns) < 0 || stat("/proc/self/ns/pid", &self) < 0)
                return negative_errno();
        d = opendir("/proc");
        if (!d)
                return negative_errno();
        while (!found && (de = readdir(d))) {
                char path[64], comm[32] = "";
                unsigned pid;
                FILE *f;

                if (safe_atou(de->d_name, &pid) < 0 || pid == 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/%u/comm", pid);
                f = fopen(path, "re");
                if (!f)
                        continue; /* gone meanwhile */
                if (!fgets(comm, sizeof(comm), f))
                        comm[0] = 0;
                fclose(f);
                comm[strcspn(comm, "\n")] = 0;
                if (!comm_is_udevd(comm))
                        continue;
                found = dp_pidns_pid_within((pid_t)pid, &ns, &self) > 0;
        }
        closedir(d);
        return found;
}

static dp_ctr_file file_as(const fwd_ids *ids, mode_t mode, bool noreplace)
{
        return (dp_ctr_file){.mode = mode,
                             .uid = ids->uid,
                             .gid = ids->gid,
                             .noreplace = noreplace};
}

/* Reads a regular file below dirfd; -ENOENT when missing, -ENXIO, -EISDIR
 * or -ELOOP for something else planted there (never opened). */
static int read_in_dir(int dirfd, const char *name, char **ret)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        r = dp_ctr_open(dirfd, name, O_RDONLY, S_IFREG, &fd);
        if (r < 0)
                return r;
        buf = malloc(RECORD_MAX + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, RECORD_MAX - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == RECORD_MAX)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* libudev disables "udev" monitors unless /run/udev/control exists (or /dev
 * is a devtmpfs): it takes their absence to mean "no udevd, do not relay
 * the host's events". An empty regular file lets monitors started inside
 * subscribe; it is no socket, so it never looks like a live udevd, and a
 * udevd started later unlinks it before binding its socket. */
static int ensure_control_marker(int udevfd, const fwd_ids *ids)
{
        dp_ctr_file f = file_as(ids, 0600, true);
        int r;

        /* Whatever is there already (a udevd's socket, our marker, or
         * something the container planted) stays, unopened. */
        r = dp_ctr_write_file(udevfd, "control", "", 0, &f);
        return r == -EEXIST ? 0 : r;
}

static int open_subdir(int udevfd, const char *a, const char *b,
                       const fwd_ids *ids, bool create, int *ret_fd)
{
        _cleanup_free_ char *path = NULL;
        dp_path_mkdir mk = {.mode = 0755};

        if (create) {
                mk.uid = ids->uid;
                mk.gid = ids->gid;
        }
        path = b ? strjoin_sep("/", "", a, b, NULL)
                 : strjoin_sep("/", "", a, NULL);
        if (!path)
                return -ENOMEM;
        return dp_path_open_dir(udevfd, path, create ? &mk : NULL, ret_fd);
}

/* The tag index: empty files /run/udev/tags/<tag>/<id>, which libudev
 * enumerations by tag (logind's and libinput's "seat") look at. */
static int tag_index_add(int udevfd, const char *tag, const char *id,
                         const fwd_ids *ids)
{
        _cleanup_close_ int dirfd = -EBADF;
        dp_ctr_file f = file_as(ids, 0444, false);
        int r;

        r = open_subdir(udevfd, "tags", tag, ids, true, &dirfd);
        if (r < 0)
                return r;
        /* Renamed over whatever sits at the name: a FIFO planted there
         * would make a plain open() wait for a reader forever. */
        return dp_ctr_write_file(dirfd, id, "", 0, &f);
}

static int tag_index_remove(int udevfd, const char *tag, const char *id)
{
        _cleanup_close_ int dirfd = -EBADF;
        int r;

        r = open_subdir(udevfd, "tags", tag, NULL, false, &dirfd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (unlinkat(dirfd, id, 0) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

/* Deletes the record and every tag index entry it or the caller names. */
static int record_remove(int udevfd, const char *id, char *const *tags)
{
        _cleanup_close_ int datafd = -EBADF;
        _cleanup_strv_free_ char **old_tags = NULL;
        _cleanup_free_ char *old = NULL;
        int r, ret = 0;

        r = open_subdir(udevfd, "data", NULL, NULL, false, &datafd);
        if (r < 0 && r != -ENOENT)
                return r;
        if (datafd >= 0) {
                r = read_in_dir(datafd, id, &old);
                if (r >= 0)
                        r = dp_udev_db_record_tags(old, &old_tags);
                /* Not a record of ours (a FIFO, node, directory or symlink
                 * planted there, or too big): no tags to learn. */
                if (r < 0 && r != -ENOENT && r != -EBADMSG && r != -EFBIG &&
                    r != -ENXIO && r != -EISDIR && r != -ELOOP)
                        return r;
                if (unlinkat(datafd, id, 0) < 0 && errno != ENOENT)
                        return negative_errno();
        }
        STRV_FOREACH (t, old_tags)
                if ((r = tag_index_remove(udevfd, *t, id)) < 0 && ret == 0)
                        ret = r;
        STRV_FOREACH (t, tags)
                if ((r = tag_index_remove(udevfd, *t, id)) < 0 && ret == 0)
                        ret = r;
        return ret;
}

static int record_write(int udevfd, const char *id, const char *record,
                        char *const *tags, const fwd_ids *ids)
{
        _cleanup_close_ int datafd = -EBADF;
        dp_ctr_file f;
        int r;

        r = open_subdir(udevfd, "data", NULL, ids, true, &datafd);
        if (r < 0)
                return r;
        f = file_as(ids, 0644, false);
        r = dp_ctr_write_file(datafd, id, record, strlen(record), &f);
        if (r < 0)
                return r;
        STRV_FOREACH (t, tags) {
                r = tag_index_add(udevfd, *t, id, ids);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Child side of send_in_netns(): returns a positive errno for _exit(). */
typedef struct send_job {
        const fwd_ids *ids;
        const uint8_t *msg;
        size_t len;
} send_job;

/* In the container's netns (dp_ns_run): a netlink socket belongs to the
 * netns it was created in, which is where its multicast lands. */
static int send_child(void *arg)
{
        const send_job *j = arg;
        const fwd_ids *ids = j->ids;
        const uint8_t *msg = j->msg;
        size_t len = j->len;
        struct sockaddr_nl dst = {.nl_family = AF_NETLINK,
                                  .nl_groups = DP_UDEV_GROUP_UDEV};
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(struct ucred))];
        } control = {0};
        struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
        struct msghdr mh = {
                .msg_name = &dst,
                .msg_namelen = sizeof(dst),
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        struct cmsghdr *cm;
        struct ucred cred;
        int s;

        s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
        if (s < 0)
                return negative_errno();
        /* Receivers drop events whose sender uid is not 0 in *their* user
         * namespace. The kernel translates the uid given here from ours, so
         * the host uid that maps to the container's root arrives as 0. */
        cred = (struct ucred){
                .pid = getpid(), .uid = ids->uid, .gid = ids->gid};
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_CREDENTIALS;
        cm->cmsg_len = CMSG_LEN(sizeof(cred));
        memcpy(CMSG_DATA(cm), &cred, sizeof(cred));
        if (sendmsg(s, &mh, 0) < 0 && errno != ECONNREFUSED) {
                /* ECONNREFUSED only says that nobody listens yet. */
                int e = negative_errno();

                close(s);
                return e;
        }
        close(s);
        return 0;
}

static bool same_inode(int fd, const char *path)
{
        struct stat a, b;

        return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
               a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Sends msg to the "udev" multicast group of the container's netns from a
 * short child (dp_ns_run), so that the agent stays in its netns. A
 * container sharing our netns gets nothing: the host's own listeners would
 * take the event for a real one. */
static int send_in_netns(const dp_container *c, const fwd_ids *ids,
                         const uint8_t *msg, size_t len)
{
        _cleanup_close_ int netfd = -EBADF;
        send_job j = {.ids = ids, .msg = msg, .len = len};
        int r;

        r = dp_container_open_proc(c, "ns/net", O_RDONLY, &netfd);
        if (r < 0)
                return r;
        if (same_inode(netfd, "/proc/self/ns/net"))
                return 0;
        return dp_ns_run(c, CLONE_NEWNET, NULL, send_child, &j);
}

static int parse_u64(const char *s, uint64_t *ret)
{
        unsigned long long v;
        char *end;

        if (isempty(s) || s[0] == '-')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || *end || v == 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* The kernel's last uevent number: listeners that order events by SEQNUM
 * see ours after the kernel's own. Falls back to the device's. */
static uint64_t pick_seqnum(char *const *props)
{
        _cleanup_free_ char *line = NULL;
        uint64_t v;

        if (read_one_line("/sys/kernel/uevent_seqnum", &line) >= 0 &&
            parse_u64(strstrip(line), &v) >= 0)
                return v;
        if (parse_u64(strv_env_get(props, "SEQNUM"), &v) >= 0)
                return v;
        return 1;
}

/* When the host's udevd initialized the device (same CLOCK_MONOTONIC), or
 * now when it did not. */
static uint64_t pick_usec(char *const *props)
{
        struct timespec ts;
        uint64_t v;

        if (parse_u64(strv_env_get(props, "USEC_INITIALIZED"), &v) >= 0)
                return v;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int dp_act_forward(const dp_container *c, const char *action,
                   const char *subsystem, const char *devpath,
                   char *const *props, char *const *tags,
                   const dp_node_spec *node)
{
        _cleanup_close_ int udevfd = -EBADF;
        _cleanup_strv_free_ char **all_tags = NULL;
        _cleanup_free_ char *record = NULL;
        _cleanup_free_ uint8_t *msg = NULL;
        node_req req = {0};
        fwd_ids ids;
        bool removing;
        char id[32];
        size_t len;
        int r;

        if (!c || !action || !node || isempty(subsystem) ||
            strchr(subsystem, '/') || !devpath || devpath[0] != '/')
                return -EINVAL;
        if (!streq(action, "add") && !streq(action, "remove") &&
            !streq(action, "change"))
                return -EINVAL;
        removing = streq(action, "remove");
        /* Validates the node and gives the host ids of the container's
         * root, owner of everything written below. */
        r = node_req_init(c, node, &req);
        if (r < 0)
                return r;
        ids = (fwd_ids){.uid = req.root_uid, .gid = req.root_gid};
        node_req_done(&req);
        r = dp_udev_device_id(node->type, node->major, node->minor, id);
        if (r < 0)
                return r;
        r = dp_udev_tags_merge(tags, props, &all_tags);
        if (r < 0)
                return r;

        r = open_udev_dir(c, &udevfd);
        if (r < 0)
                return r;
        r = control_socket_live(udevfd);
        if (r == 0)
                r = udevd_in_pidns(c);
        if (r < 0)
                return r;
        if (r > 0)
                return -EBUSY;

        {
                dp_udev_event ev = {
                        .action = action,
                        .devpath = devpath,
                        .subsystem = subsystem,
                        .devtype = strv_env_get(props, "DEVTYPE"),
                        .devname = node->path,
                        .type = node->type,
                        .major = node->major,
                        .minor = node->minor,
                        .seqnum = pick_seqnum(props),
                        .usec_initialized = pick_usec(props),
                        .props = props,
                        .tags = all_tags,
                };

                r = dp_udev_message_build(&ev, &msg, &len);
                if (r < 0)
                        return r;
                if (!removing) {
                        r = dp_udev_db_record(props, all_tags,
                                              ev.usec_initialized, &record);
                        if (r < 0)
                                return r;
                }
        }

        /* Like udevd: the database changes before the event goes out, so
         * a listener that looks the device up finds the new state. */
        if (removing) {
                r = record_remove(udevfd, id, all_tags);
                if (r < 0)
                        return r;
                return send_in_netns(c, &ids, msg, len);
        }
        r = ensure_control_marker(udevfd, &ids);
        if (r >= 0)
                r = record_write(udevfd, id, record, all_tags, &ids);
        if (r >= 0)
                r = send_in_netns(c, &ids, msg, len);
        if (r < 0) {
                /* Leave no record of a device the container never heard
                 * of. */
                (void)record_remove(udevfd, id, all_tags);
                return r;
        }
        return 0;
}
