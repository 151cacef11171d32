/* SPDX-License-Identifier: MIT */
/* Checks discovery against devices hw-real.sh made on the real kernel:
 *   hw-real-check udev|noudev LOOPDEV VETH TAP MACVTAP SUMMARY-FILE
 * Enumerates, resolves every kind of reference to them and writes a
 * summary (class, names, nodes, ifindex) that the script compares between
 * the runs with and without systemd-udevd. Exit 0 on success. */
#include <json-c/json.h>
#include <net/if.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "check.h"
#include "devpass/hw.h"

static dp_device *find_by_name(dp_device_list *l, const char *subsystem,
                               const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i]->subsystem, subsystem) &&
                    streq(l->items[i]->name, name))
                        return l->items[i];
        return NULL;
}

static char *sysattr(const char *cls, const char *name, const char *attr)
{
        char p[256];
        char *v = NULL;

        snprintf(p, sizeof(p), "/sys/class/%s/%s/%s", cls, name, attr);
        if (read_one_line(p, &v) < 0)
                return NULL;
        return v;
}

/* resolve(ref) must give the device at syspath */
static void check_resolve(dp_hw *hw, const char *ref, const char *syspath)
{
        _cleanup_device_free_ dp_device *d = NULL;
        int r = dp_hw_resolve(hw, ref, &d);

        CHECK(r == 0, "resolve %s: %s", ref, strerror(-r));
        if (r == 0)
                CHECK(streq(d->syspath, syspath), "resolve %s gave %s", ref,
                      d->syspath);
}

static void summarize(FILE *f, const dp_device *d)
{
        fprintf(f, "%s %s %s ifindex=%d parent=%s",
                dp_class_to_string(d->klass), d->subsystem, d->syspath,
                d->ifindex, strna(d->parent_syspath));
        for (size_t i = 0; i < d->n_nodes; i++)
                fprintf(f, " %s:%c:%u:%u", d->nodes[i].path, d->nodes[i].type,
                        d->nodes[i].major, d->nodes[i].minor);
        fputc('\n', f);
}

static void check_net(dp_hw *hw, dp_device_list *l, const char *ifname,
                      bool udev, FILE *sum)
{
        _cleanup_free_ char *mac = sysattr("net", ifname, "address");
        char ref[64];
        dp_device *d = find_by_name(l, "net", ifname);

        CHECK(d, "net %s not enumerated", ifname);
        if (!d)
                return;
        CHECK(d->klass == DP_CLASS_NET, "%s class %s", ifname,
              dp_class_to_string(d->klass));
        CHECK(d->ifindex > 0 && d->ifindex == (int)if_nametoindex(ifname),
              "%s ifindex %d", ifname, d->ifindex);
        CHECK(mac && d->mac && streq(d->mac, mac), "%s mac %s vs %s", ifname,
              strna(d->mac), strna(mac));
        CHECK(d->n_nodes == 0, "%s has nodes", ifname);
        if (udev)
                CHECK(dp_device_property(d, "USEC_INITIALIZED"),
                      "%s: no udev database properties", ifname);
        else
                CHECK(!dp_device_property(d, "USEC_INITIALIZED"),
                      "%s: udev properties without udevd", ifname);
        CHECK(streq(strempty(dp_device_property(d, "INTERFACE")), ifname),
              "%s INTERFACE property", ifname);
        CHECK(streq(strempty(dp_device_attribute(d, "address")), mac),
              "%s address attribute", ifname);
        snprintf(ref, sizeof(ref), "net:%s", ifname);
        check_resolve(hw, ref, d->syspath);
        check_resolve(hw, ifname, d->syspath);
        snprintf(ref, sizeof(ref), "/sys/class/net/%s", ifname);
        check_resolve(hw, ref, d->syspath);
        summarize(sum, d);
}

int main(int argc, char **argv)
{
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        _cleanup_free_ char *macvtap_ifindex = NULL, *tapdev = NULL,
                            *devices = NULL;
        struct json_object *jo = NULL;
        const char *loop, *veth, *tap, *mvt;
        char tapname[32], tapnode[48], sysref[96];
        unsigned tmaj, tmin, major_macvtap = 0;
        bool udev;
        dp_device *d;
        FILE *sum;
        int r;

        if (argc != 7) {
                fprintf(stderr,
                        "usage: %s udev|noudev LOOPDEV VETH TAP "
                        "MACVTAP SUMMARY\n",
                        argv[0]);
                return 2;
        }
        udev = streq(argv[1], "udev");
        loop = argv[2];
        veth = argv[3];
        tap = argv[4];
        mvt = argv[5];
        sum = fopen(argv[6], "we");
        if (!sum)
                return 2;

        CHECK(dp_hw_udevd_running() == udev, "udevd_running() != %d", udev);
        r = dp_hw_new(&hw);
        CHECK(r == 0, "dp_hw_new: %s", strerror(-r));
        if (r < 0)
                return 1;
        r = dp_hw_enumerate(hw, &l);
        CHECK(r == 0 && l.n > 0, "enumerate: %d, %zu devices", r, l.n);

        /* loop device: block, node 7:N */
        d = find_by_name(&l, "block", loop + strlen("/dev/"));
        CHECK(d, "%s not enumerated", loop);
        if (d) {
                unsigned n = 0;
                struct json_object *nodes = NULL, *n0, *v;

                (void)safe_atou(loop + strlen("/dev/loop"), &n);
                CHECK(d->klass == DP_CLASS_BLOCK, "loop class %s",
                      dp_class_to_string(d->klass));
                CHECK(d->n_nodes == 1 && streq(d->nodes[0].path, loop) &&
                              d->nodes[0].type == 'b' &&
                              d->nodes[0].major == 7 && d->nodes[0].minor == n,
                      "loop node %s", d->n_nodes ? d->nodes[0].path : "-");
                CHECK(dp_device_attribute(d, "size") &&
                              !streq(dp_device_attribute(d, "size"), "0"),
                      "loop size attribute");
                check_resolve(hw, loop, d->syspath);
                snprintf(sysref, sizeof(sysref), "/sys/class/block/%s",
                         d->name);
                check_resolve(hw, sysref, d->syspath);
                summarize(sum, d);
                r = dp_device_to_json(d, &jo);
                CHECK(r == 0, "json: %s", strerror(-r));
                if (r == 0 && json_object_object_get_ex(jo, "nodes", &nodes)) {
                        n0 = json_object_array_get_idx(nodes, 0);
                        CHECK(n0 && json_object_object_get_ex(n0, "type", &v) &&
                                      streq(json_object_get_string(v), "b"),
                              "json node type");
                        CHECK(json_object_object_get_ex(jo, "class", &v) &&
                                      streq(json_object_get_string(v), "block"),
                              "json class");
                }
                json_object_put(jo);
        }

        check_net(hw, &l, veth, udev, sum);
        check_net(hw, &l, tap, udev, sum);
        check_net(hw, &l, mvt, udev, sum);

        /* macvtap: a char device tapN (N = ifindex) with the major the
         * kernel registered as "macvtap" */
        macvtap_ifindex = sysattr("net", mvt, "ifindex");
        CHECK(macvtap_ifindex, "no ifindex for %s", mvt);
        snprintf(tapname, sizeof(tapname), "tap%s", strempty(macvtap_ifindex));
        snprintf(tapnode, sizeof(tapnode), "/dev/%s", tapname);
        tapdev = sysattr("macvtap", tapname, "dev");
        CHECK(tapdev && sscanf(tapdev, "%u:%u", &tmaj, &tmin) == 2,
              "no dev for %s", tapname);
        CHECK(read_full_file("/proc/devices", &devices, NULL) == 0 &&
                      strstr(devices, " macvtap\n"),
              "no macvtap in /proc/devices");
        if (devices) {
                char *p = strstr(devices, " macvtap\n");

                while (p && p > devices && p[-1] != '\n')
                        p--;
                if (p)
                        (void)sscanf(p, "%u", &major_macvtap);
        }
        d = find_by_name(&l, "macvtap", tapname);
        CHECK(d, "%s not enumerated", tapname);
        if (d && tapdev) {
                CHECK(d->klass == DP_CLASS_CHAR, "macvtap class %s",
                      dp_class_to_string(d->klass));
                CHECK(d->n_nodes == 1 && streq(d->nodes[0].path, tapnode) &&
                              d->nodes[0].type == 'c' &&
                              d->nodes[0].major == major_macvtap &&
                              d->nodes[0].major == tmaj &&
                              d->nodes[0].minor == tmin,
                      "macvtap node %s %u:%u",
                      d->n_nodes ? d->nodes[0].path : "-",
                      d->n_nodes ? d->nodes[0].major : 0,
                      d->n_nodes ? d->nodes[0].minor : 0);
                CHECK(d->parent_syspath && find_by_name(&l, "net", mvt) &&
                              streq(d->parent_syspath,
                                    find_by_name(&l, "net", mvt)->syspath),
                      "macvtap parent %s", strna(d->parent_syspath));
                check_resolve(hw, tapnode, d->syspath);
                summarize(sum, d);
        }

        /* nothing that is not there */
        {
                _cleanup_device_free_ dp_device *x = NULL;

                CHECK(dp_hw_resolve(hw, "net:dpt-none0", &x) == -ENOENT,
                      "missing net");
                CHECK(dp_hw_resolve(hw, "/dev/dpt-none", &x) == -ENOENT,
                      "missing node");
                CHECK(dp_hw_resolve(hw, "usb:ffff:fffe", &x) == -ENOENT,
                      "missing usb");
                CHECK(dp_hw_resolve(hw, "pci:ffff:ff:1f.7", &x) == -ENOENT,
                      "missing pci");
        }
        /* virtual ttys, ptmx and the console are not devices */
        CHECK(!find_by_name(&l, "tty", "ptmx") &&
                      !find_by_name(&l, "tty", "tty1") &&
                      !find_by_name(&l, "tty", "console"),
              "virtual tty listed");
        CHECK(!find_by_name(&l, "net", "lo"), "loopback listed");

        dp_device_list_clear(&l);
        fclose(sum);
        if (failures)
                fprintf(stderr, "%d check(s) failed (%s)\n", failures, argv[1]);
        else
                printf("ok: all checks passed (%s)\n", argv[1]);
        return failures ? 1 : 0;
}
