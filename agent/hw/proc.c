/* SPDX-License-Identifier: MIT */
/* Nodes that udev does not make: the NVIDIA driver's /dev/nvidia* family,
 * built from the driver's own files, and AMD's /dev/kfd. Majors other than
 * NVIDIA's fixed 195 are dynamic and always read from /proc/devices. */
#include <ctype.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "devpass/config.h"
#include "hw-internal.h"

#define NVIDIA_MAJOR         195
#define NVIDIA_CTL_MINOR     255
#define NVIDIA_MODESET_MINOR 254

const char *dp_hw_proc_root(void)
{
        const char *e = dp_config_get()->proc_root;

        return isempty(e) ? "/proc" : e;
}

/* Walks the "MAJOR NAME" lines of the TYPE section: finds NAME (setting
 * *major), or checks that *major is listed under a name with PREFIX. */
static bool proc_devices_find(const char *text, char type, unsigned *major,
                              const char *name, const char *prefix)
{
        bool in_section = false;

        for (const char *l = text; l && *l;) {
                const char *eol = strchrnul(l, '\n');
                char buf[128];
                size_t n = (size_t)(eol - l);
                unsigned m;
                char nm[96];

                if (n < sizeof(buf)) {
                        memcpy(buf, l, n);
                        buf[n] = 0;
                        if (startswith(buf, "Character devices:"))
                                in_section = type == 'c';
                        else if (startswith(buf, "Block devices:"))
                                in_section = type == 'b';
                        else if (in_section &&
                                 sscanf(buf, " %u %95s", &m, nm) == 2) {
                                if (name && streq(nm, name)) {
                                        *major = m;
                                        return true;
                                }
                                if (prefix && m == *major &&
                                    startswith(nm, prefix))
                                        return true;
                        }
                }
                l = *eol ? eol + 1 : eol;
        }
        return false;
}

int dp_hw_proc_devices_major(const char *text, char type, const char *name,
                             unsigned *ret)
{
        unsigned m = 0;

        if (!text || !name)
                return -EINVAL;
        if (!proc_devices_find(text, type, &m, name, NULL))
                return -ENOENT;
        *ret = m;
        return 0;
}

bool dp_hw_proc_devices_has(const char *text, char type, unsigned major,
                            const char *prefix)
{
        return text && proc_devices_find(text, type, &major, NULL, prefix);
}

int dp_hw_nvidia_parse_minor(const char *information, unsigned *ret)
{
        const char *p;

        if (!information)
                return -EINVAL;
        /* "Device Minor: \t 0" on a line of its own */
        for (p = information; (p = strstr(p, "Device Minor:")); p++)
                if (p == information || p[-1] == '\n') {
                        unsigned v;
                        char *end;

                        p += strlen("Device Minor:");
                        p += strspn(p, " \t");
                        if (!isdigit((unsigned char)*p))
                                return -EBADMSG;
                        errno = 0;
                        v = (unsigned)strtoul(p, &end, 10);
                        if (errno > 0 || (*end && *end != '\n' && *end != ' ' &&
                                          *end != '\t'))
                                return -EBADMSG;
                        *ret = v;
                        return 0;
                }
        return -ENOENT;
}

/* The value of a "Key: value" line of the information file, trimmed; NULL
 * when absent or empty. */
static char *nvidia_info_field(const char *information, const char *key)
{
        size_t klen = strlen(key);

        for (const char *l = information; l && *l;) {
                const char *eol = strchrnul(l, '\n');

                if (strneq(l, key, klen)) {
                        const char *v = l + klen, *e = eol;

                        v += strspn(v, " \t");
                        while (e > v && isspace((unsigned char)e[-1]))
                                e--;
                        return e > v ? strndup(v, (size_t)(e - v)) : NULL;
                }
                l = *eol ? eol + 1 : eol;
        }
        return NULL;
}

/* Identity a policy can match with Property=: the UUID and the minor stay
 * put when PCI slots are renumbered, and nvidia-smi shows both. */
static int nvidia_add_properties(dp_device *d, const char *information,
                                 unsigned minor)
{
        static const char *const fields[][2] = {
                {"NVIDIA_GPU_UUID", "GPU UUID:"},
                {"NVIDIA_MODEL", "Model:"},
        };
        char buf[16];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                _cleanup_free_ char *v =
                        nvidia_info_field(information, fields[i][1]);

                if (!v)
                        continue;
                r = strv_env_set(&d->properties, fields[i][0], v);
                if (r < 0)
                        return r;
        }
        snprintf(buf, sizeof(buf), "%u", minor);
        return strv_env_set(&d->properties, "NVIDIA_DEVICE_MINOR", buf);
}

static int read_proc_devices(char **ret)
{
        _cleanup_free_ char *path =
                strjoin_sep("", dp_hw_proc_root(), "/devices", NULL);

        if (!path)
                return -ENOMEM;
        return read_full_file(path, ret, NULL);
}

int dp_hw_char_major(const char *name, unsigned *ret)
{
        _cleanup_free_ char *text = NULL;
        int r = read_proc_devices(&text);

        if (r < 0)
                return r;
        return dp_hw_proc_devices_major(text, 'c', name, ret);
}

/* A node the driver backs: when it exists as a char node its own numbers
 * win (they are what the kernel will check), otherwise the numbers the
 * driver registered. */
static int add_char_node(dp_device *d, const char *path, bool supported,
                         unsigned major, unsigned minor)
{
        struct stat st;

        if (stat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
            major(st.st_rdev) == major)
                return dp_device_add_node(d, path, 'c', major,
                                          minor(st.st_rdev));
        if (!supported && access(path, F_OK) < 0)
                return 0;
        return dp_device_add_node(d, path, 'c', major, minor);
}

static bool module_loaded(const char *name)
{
        _cleanup_free_ char *p = strjoin_sep("", "/sys/module/", name, NULL);

        return p && access(p, F_OK) == 0;
}

static int add_nvidia_caps(dp_device *d, unsigned major)
{
        struct dirent **names = NULL;
        int n, r = 0;

        /* scandir with alphasort: stable order for the bundle */
        n = scandir("/dev/nvidia-caps", &names, NULL, alphasort);
        if (n < 0)
                return 0;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL;
                const char *name = names[i]->d_name;
                unsigned minor;
                struct stat st;

                if (r < 0 || !startswith(name, "nvidia-cap") ||
                    safe_atou(name + strlen("nvidia-cap"), &minor) < 0)
                        continue;
                p = strjoin_sep("/", "/dev/nvidia-caps", name, NULL);
                if (!p) {
                        r = -ENOMEM;
                        continue;
                }
                if (stat(p, &st) == 0 && S_ISCHR(st.st_mode))
                        minor = minor(st.st_rdev);
                r = dp_device_add_node(d, p, 'c', major, minor);
        }
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

int dp_hw_nvidia_control_nodes(dp_device *d)
{
        _cleanup_free_ char *devices = NULL;
        unsigned uvm, caps;
        bool nv;
        int r;

        r = read_proc_devices(&devices);
        if (r < 0 && r != -ENOENT)
                return r;
        nv = dp_hw_proc_devices_has(devices, 'c', NVIDIA_MAJOR, "nvidia");

        r = add_char_node(d, "/dev/nvidiactl", nv, NVIDIA_MAJOR,
                          NVIDIA_CTL_MINOR);
        if (r < 0)
                return r;
        if (dp_hw_proc_devices_major(devices, 'c', "nvidia-uvm", &uvm) >= 0) {
                r = add_char_node(d, "/dev/nvidia-uvm", true, uvm, 0);
                if (r >= 0)
                        r = add_char_node(d, "/dev/nvidia-uvm-tools", true, uvm,
                                          1);
                if (r < 0)
                        return r;
        }
        /* nvidia-modeset shares major 195; its module is the sign that the
         * minor is backed. */
        r = add_char_node(d, "/dev/nvidia-modeset",
                          nv && module_loaded("nvidia_modeset"), NVIDIA_MAJOR,
                          NVIDIA_MODESET_MINOR);
        if (r < 0)
                return r;
        if (dp_hw_proc_devices_major(devices, 'c', "nvidia-caps", &caps) >= 0)
                return add_nvidia_caps(d, caps);
        return 0;
}

int dp_hw_nvidia_gpu_nodes(dp_device *d)
{
        _cleanup_free_ char *path = NULL, *info = NULL, *devices = NULL;
        char node[64];
        unsigned minor;
        int r;

        if (!d->pci)
                return -ENODATA;
        path = strjoin_sep("", dp_hw_proc_root(), "/driver/nvidia/gpus/",
                           d->pci, "/information", NULL);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &info, NULL);
        if (r < 0)
                return r;
        r = dp_hw_nvidia_parse_minor(info, &minor);
        if (r < 0)
                return r;
        r = nvidia_add_properties(d, info, minor);
        if (r < 0)
                return r;
        r = read_proc_devices(&devices);
        if (r < 0 && r != -ENOENT)
                return r;
        snprintf(node, sizeof(node), "/dev/nvidia%u", minor);
        r = add_char_node(
                d, node,
                dp_hw_proc_devices_has(devices, 'c', NVIDIA_MAJOR, "nvidia"),
                NVIDIA_MAJOR, minor);
        if (r < 0)
                return r;
        return dp_hw_nvidia_control_nodes(d);
}

int dp_hw_amd_kfd_node(dp_device *d)
{
        _cleanup_free_ char *dev = NULL;
        unsigned maj, min;
        int r;

        if (access("/dev/kfd", F_OK) < 0)
                return 0;
        r = read_one_line("/sys/class/kfd/kfd/dev", &dev);
        if (r < 0)
                return r;
        if (sscanf(dev, "%u:%u", &maj, &min) != 2)
                return -EBADMSG;
        return dp_device_add_node(d, "/dev/kfd", 'c', maj, min);
}

/* Does ifname carry a default route (IPv4 or IPv6) in our netns? Moving
 * it would cut the host off, so that needs DefaultRouteNIC=yes. */
bool dp_hw_default_route_nic(const char *ifname)
{
        _cleanup_free_ char *v4 = NULL, *v6 = NULL;

        if (read_full_file("/proc/net/route", &v4, NULL) >= 0)
                for (char *l = strtok(v4, "\n"); l; l = strtok(NULL, "\n")) {
                        char dev[32], dst[16];

                        if (sscanf(l, "%31s %15s", dev, dst) == 2 &&
                            streq(dev, ifname) && streq(dst, "00000000"))
                                return true;
                }
        if (read_full_file("/proc/net/ipv6_route", &v6, NULL) >= 0)
                for (char *l = strtok(v6, "\n"); l; l = strtok(NULL, "\n")) {
                        char dst[33], plen[3], dev[32];

                        /* dst plen src splen next metric ref use flags dev */
                        if (sscanf(l,
                                   "%32s %2s %*s %*s %*s %*s %*s %*s %*s %31s",
                                   dst, plen, dev) == 3 &&
                            streq(dev, ifname) && streq(plen, "00") &&
                            strspn(dst, "0") == 32)
                                return true;
                }
        return false;
}
