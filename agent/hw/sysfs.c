/* SPDX-License-Identifier: MIT */
/* Reading sysfs directly: attribute preloading for the policy's
 * Attribute= matches, the properties udev would have added when udevd is
 * not running, and whether it runs at all. Paths go through /sys and /dev
 * only, so that umockdev can redirect them. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>

#include "hw-internal.h"

/* Values longer than this are not "text attributes" worth matching on. */
#define ATTR_MAX 1024

/* Reads at most ATTR_MAX bytes of text; -EFBIG beyond, -EBADMSG for binary
 * content. On real sysfs only files of the size sysfs gives every text
 * attribute (one page) qualify; other sizes are binary attributes. */
static int read_text_attr(const char *path, bool strict_sysfs, char **ret)
{
        _cleanup_close_ int fd = -EBADF;
        char buf[ATTR_MAX + 2];
        struct statfs sfs;
        struct stat st;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (strict_sysfs && fstatfs(fd, &sfs) == 0 &&
            sfs.f_type == SYSFS_MAGIC && st.st_size != 4096)
                return -EBADMSG;
        do
                n = read(fd, buf, sizeof(buf) - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        if ((size_t)n > ATTR_MAX)
                return -EFBIG;
        buf[n] = 0;
        if (memchr(buf, 0, (size_t)n))
                return -EBADMSG;
        if (n > 0 && buf[n - 1] == '\n')
                buf[n - 1] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int dp_hw_read_attr(const char *syspath, const char *name, char **ret)
{
        _cleanup_free_ char *p = strjoin_sep("/", syspath, name, NULL);

        if (!p)
                return -ENOMEM;
        return read_text_attr(p, false, ret);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int dp_hw_load_attributes(dp_device *d, char *const *names, bool filter)
{
        _cleanup_strv_free_ char **attrs = calloc(1, sizeof(char *));
        DIR *dir;
        struct dirent *de;
        int r = 0;

        if (!attrs)
                return -ENOMEM;
        if (filter) {
                /* only what the policy can ask about: a hotplug event
                 * costs a few reads instead of a whole directory */
                STRV_FOREACH (n, names) {
                        _cleanup_free_ char *v = NULL;

                        if (strchr(*n, '/') || streq(*n, "uevent") ||
                            dp_hw_read_attr(d->syspath, *n, &v) < 0)
                                continue;
                        r = strv_env_set(&attrs, *n, v);
                        if (r < 0)
                                return r;
                }
                strv_free(d->attributes);
                d->attributes = TAKE_PTR(attrs);
                return 0;
        }
        dir = opendir(d->syspath);
        if (!dir)
                return negative_errno();
        while ((de = readdir(dir))) {
                _cleanup_free_ char *p = NULL, *v = NULL;
                struct stat st;

                if (de->d_name[0] == '.' || streq(de->d_name, "uevent"))
                        continue;
                p = strjoin_sep("/", d->syspath, de->d_name, NULL);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                /* lstat: symlinks (driver, subsystem, device) are links,
                 * not attributes; write-only files have no read bit. */
                if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) ||
                    !(st.st_mode & 0444))
                        continue;
                if (read_text_attr(p, true, &v) < 0)
                        continue;
                r = strv_env_set(&attrs, de->d_name, v);
                if (r < 0)
                        break;
        }
        closedir(dir);
        if (r < 0)
                return r;
        /* readdir order is arbitrary; keep output stable */
        if (strv_length(attrs) > 1)
                qsort(attrs, strv_length(attrs), sizeof(char *), cmp_str);
        strv_free(d->attributes);
        d->attributes = TAKE_PTR(attrs);
        return 0;
}

static int prop_default(dp_device *d, const char *key, const char *value)
{
        if (!value || dp_device_property(d, key))
                return 0;
        return strv_env_set(&d->properties, key, value);
}

static const struct {
        unsigned bit;
        const char *key;
} input_props[] = {
        {DP_INPUT_KEYBOARD, "ID_INPUT_KEYBOARD"},
        {DP_INPUT_KEYBOARD, "ID_INPUT_KEY"},
        {DP_INPUT_KEY, "ID_INPUT_KEY"},
        {DP_INPUT_MOUSE, "ID_INPUT_MOUSE"},
        {DP_INPUT_JOYSTICK, "ID_INPUT_JOYSTICK"},
        {DP_INPUT_TOUCHPAD, "ID_INPUT_TOUCHPAD"},
        {DP_INPUT_TOUCHSCREEN, "ID_INPUT_TOUCHSCREEN"},
        {DP_INPUT_TABLET, "ID_INPUT_TABLET"},
        {DP_INPUT_SWITCH, "ID_INPUT_SWITCH"},
};

int dp_hw_derive_properties(dp_device *d)
{
        char hex[8];
        int r = 0;

        if (d->klass == DP_CLASS_USB || d->klass == DP_CLASS_INPUT) {
                if (d->has_vendor) {
                        snprintf(hex, sizeof(hex), "%04x", d->vendor);
                        r = prop_default(d, "ID_VENDOR_ID", hex);
                }
                if (r >= 0 && d->has_product) {
                        snprintf(hex, sizeof(hex), "%04x", d->product);
                        r = prop_default(d, "ID_MODEL_ID", hex);
                }
                if (r >= 0)
                        r = prop_default(d, "ID_SERIAL_SHORT", d->serial);
        }
        if (r >= 0 && d->klass == DP_CLASS_USB) {
                const char *port = d->name ? strchr(d->name, '-') : NULL;
                _cleanup_free_ char *path = NULL;

                r = prop_default(d, "ID_BUS", "usb");
                /* udev's path_id for a USB device: its PCI host controller
                 * and the port chain after the bus number */
                if (r >= 0 && d->pci && port) {
                        path = strjoin_sep("", "pci-", d->pci,
                                           "-usb-0:", port + 1, NULL);
                        if (!path)
                                return -ENOMEM;
                        r = prop_default(d, "ID_PATH", path);
                }
        }
        if (r >= 0 && d->klass == DP_CLASS_INPUT) {
                r = prop_default(d, "ID_INPUT", "1");
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(input_props); i++)
                        if (d->input & input_props[i].bit)
                                r = prop_default(d, input_props[i].key, "1");
        }
        if (r >= 0 && d->klass == DP_CLASS_NET && d->driver)
                r = prop_default(d, "ID_NET_DRIVER", d->driver);
        if (r >= 0 && d->klass == DP_CLASS_BLOCK && d->name &&
            startswith(d->name, "loop")) {
                _cleanup_free_ char *file = NULL;

                /* what a loop device is, across detach and re-attach under
                 * another minor (CDI names, agent/core/cdi.c) */
                if (dp_hw_read_attr(d->syspath, "loop/backing_file", &file) >=
                            0 &&
                    !isempty(file))
                        r = prop_default(d, "DEVPASS_LOOP_BACKING_FILE", file);
        }
        return r;
}

int dp_hw_net_perm_mac(const char *ifname, int ifindex, char **ret)
{
        /* the header's flexible data[] needs room behind it */
        union {
                struct ethtool_perm_addr h;
                unsigned char raw[sizeof(struct ethtool_perm_addr) + 32];
        } epa = {.h = {.cmd = ETHTOOL_GPERMADDR, .size = 32}};
        _cleanup_close_ int fd = -EBADF;
        struct ifreq ifr = {};
        bool nonzero = false;
        char *s, *p;

        /* Only the interface of that name in our own namespace; a
         * simulated sysfs may name interfaces that are not there. */
        if (!ifname || strlen(ifname) >= IFNAMSIZ ||
            (int)if_nametoindex(ifname) != ifindex)
                return -ENODEV;
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        strcpy(ifr.ifr_name, ifname);
        ifr.ifr_data = (void *)&epa;
        if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
                return negative_errno();
        if (epa.h.size == 0 || epa.h.size > 32)
                return -ENODATA;
        for (unsigned i = 0; i < epa.h.size; i++)
                nonzero |= epa.h.data[i] != 0;
        if (!nonzero)
                return -ENODATA;
        s = p = malloc(epa.h.size * 3);
        if (!s)
                return -ENOMEM;
        for (unsigned i = 0; i < epa.h.size; i++)
                p += sprintf(p, i ? ":%02x" : "%02x", epa.h.data[i]);
        *ret = s;
        return 0;
}

bool dp_hw_udevd_running(void)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX,
                                 .sun_path = "/run/udev/control"};
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        /* A stopped udevd leaves its socket behind, so existence says
         * nothing: only a listener accepts the connection. Non-blocking, so
         * a full backlog (EAGAIN: someone listens) cannot stall us. */
        if (stat(sa.sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
                return false;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return access("/run/udev/data", F_OK) == 0;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                return true;
        return errno == EAGAIN || errno == EINPROGRESS;
}

/* A root process named udevd or systemd-udevd: comm names are free for
 * anyone to pick, so only root's count (a user's decoy would otherwise keep
 * the agent listening to a source nobody feeds). */
static bool is_udevd(pid_t pid)
{
        char path[64], comm[32] = "";
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != 0)
                return false;
        n = read(fd, comm, sizeof(comm) - 1);
        if (n <= 0)
                return false;
        comm[n] = 0;
        comm[strcspn(comm, "\n")] = 0;
        return streq(comm, "systemd-udevd") || streq(comm, "udevd");
}

int dp_hw_udevd_pid(pid_t *hint)
{
        _cleanup_(closedirp) DIR *dir = NULL;
        struct dirent *de;

        if (hint && *hint > 0 && is_udevd(*hint))
                return 0;
        dir = opendir("/proc");
        if (!dir)
                return negative_errno();
        while ((de = readdir(dir))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);

                if (*end || pid <= 0 || !is_udevd((pid_t)pid))
                        continue;
                if (hint)
                        *hint = (pid_t)pid;
                return 0;
        }
        return -ESRCH;
}

/* The sysfs identity of one node of a bundle (a USB device's ttyUSB0 is
 * its own kernel device): devpath without /sys, and subsystem. */
int dp_hw_node_sysfs(char type, unsigned major, unsigned minor,
                     char **ret_devpath, char **ret_subsystem)
{
        char link[64], buf[PATH_MAX], sub[PATH_MAX];
        _cleanup_free_ char *dir = NULL, *sublink = NULL;
        const char *p;
        ssize_t n;

        snprintf(link, sizeof(link), "/sys/dev/%s/%u:%u",
                 type == 'b' ? "block" : "char", major, minor);
        dir = realpath(link, NULL);
        if (!dir || !startswith(dir, "/sys/"))
                return -ENOENT;
        sublink = strjoin_sep("/", dir, "subsystem", NULL);
        if (!sublink)
                return -ENOMEM;
        n = readlink(sublink, sub, sizeof(sub) - 1);
        if (n < 0)
                return negative_errno();
        sub[n] = 0;
        p = strrchr(sub, '/');
        snprintf(buf, sizeof(buf), "%s", dir + 4);
        *ret_devpath = strdup(buf);
        *ret_subsystem = strdup(p ? p + 1 : sub);
        if (!*ret_devpath || !*ret_subsystem)
                return -ENOMEM;
        return 0;
}
