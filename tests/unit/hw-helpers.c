/* SPDX-License-Identifier: MIT */
/* Pure discovery rules: classification, reference parsing, /proc/devices
 * and NVIDIA driver file parsing, NVIDIA bundles from a fake proc root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "devpass/config.h"
#include "../../agent/hw/hw-internal.h"

static dp_hw_role classify(const char *ss, const char *devtype,
                           const char *sysname, bool devnode,
                           const char *parent_ss, dp_class *c)
{
        dp_hw_facts f = {
                .subsystem = ss,
                .devtype = devtype,
                .sysname = sysname,
                .syspath = "/sys/devices/pci0000:00/0000:00:14.0/x",
                .has_devnode = devnode,
                .parent_subsystem = parent_ss,
        };

        *c = DP_CLASS_UNKNOWN;
        return dp_hw_classify(&f, c);
}

static void test_pci_display(void **state)
{
        assert_true(dp_hw_pci_class_is_display("0x030000"));
        assert_true(dp_hw_pci_class_is_display("0x030200"));
        assert_true(dp_hw_pci_class_is_display("0x038000"));
        assert_false(dp_hw_pci_class_is_display("0x020000"));
        assert_false(dp_hw_pci_class_is_display("0x060400"));
        assert_false(dp_hw_pci_class_is_display("garbage"));
        assert_false(dp_hw_pci_class_is_display(NULL));
}

/* The class table: every class has a row with its Class= word, each
 * classified subsystem belongs to one class only, and the policy's list of
 * words is the table's. */
static void test_class_table(void **state)
{
        char words[256], want[256] = "";

        (void)state;
        for (int c = 1; c < _DP_CLASS_MAX; c++) {
                const dp_class_desc *d = dp_class_desc_of((dp_class)c);

                assert_non_null(d->name);
                assert_int_equal(dp_class_from_string(d->name), c);
                if (c > 1)
                        strcat(want, " ");
                strcat(want, d->name);
        }
        dp_class_words(words, sizeof(words));
        assert_string_equal(words, want);
        assert_string_equal(words, "gpu usb input net block tty sound "
                                   "video hidraw char");
        assert_int_equal(dp_class_of_subsystem("drm"), DP_CLASS_GPU);
        assert_int_equal(dp_class_of_subsystem("platform"), DP_CLASS_GPU);
        assert_int_equal(dp_class_of_subsystem("video4linux"), DP_CLASS_VIDEO);
        assert_int_equal(dp_class_of_subsystem("misc"), DP_CLASS_CHAR);
        assert_true(dp_class_desc_of(DP_CLASS_NET)->nic);
        assert_string_equal(dp_class_desc_of(DP_CLASS_USB)->bundle, "usb");
        assert_null(dp_class_desc_of(DP_CLASS_BLOCK)->bundle);
        assert_string_equal(dp_class_to_string(_DP_CLASS_MAX), "unknown");
}

static void test_classify(void **state)
{
        dp_hw_facts f = {.subsystem = "pci", .pci_class = "0x030200"};
        dp_class c = DP_CLASS_UNKNOWN;

        assert_int_equal(dp_hw_classify(&f, &c), DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_GPU);
        f.pci_class = "0x020000";
        assert_int_equal(dp_hw_classify(&f, &c), DP_HW_ROLE_NONE);
        /* a platform device with a DRM card is a GPU */
        f = (dp_hw_facts){.subsystem = "platform", .has_drm_card = true};
        assert_int_equal(dp_hw_classify(&f, &c), DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_GPU);
        f.has_drm_card = false;
        assert_int_equal(dp_hw_classify(&f, &c), DP_HW_ROLE_NONE);

        /* DRM nodes fold into a PCI/platform parent */
        assert_int_equal(classify("drm", NULL, "card0", true, "pci", &c),
                         DP_HW_ROLE_PART);
        assert_int_equal(
                classify("drm", NULL, "renderD128", true, "platform", &c),
                DP_HW_ROLE_PART);
        assert_int_equal(
                classify("drm", NULL, "card0-HDMI-A-1", false, "drm", &c),
                DP_HW_ROLE_NONE);
        /* vgem: the card is the GPU, its render node joins it */
        assert_int_equal(classify("drm", NULL, "card1", true, "faux", &c),
                         DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_GPU);
        assert_int_equal(classify("drm", NULL, "renderD129", true, NULL, &c),
                         DP_HW_ROLE_CARD_SIBLING);

        assert_int_equal(classify("usb", "usb_device", "1-1", true, "usb", &c),
                         DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_USB);
        f = (dp_hw_facts){.subsystem = "usb",
                          .devtype = "usb_interface",
                          .sysname = "1-1:1.0",
                          .parent_subsystem = "usb",
                          .parent_devtype = "usb_device"};
        assert_int_equal(dp_hw_classify(&f, &c), DP_HW_ROLE_PART);

        assert_int_equal(classify("input", NULL, "input7", false, "usb", &c),
                         DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_INPUT);
        assert_int_equal(classify("input", NULL, "event3", true, "input", &c),
                         DP_HW_ROLE_PART);
        assert_int_equal(classify("input", NULL, "mice", true, NULL, &c),
                         DP_HW_ROLE_DEVICE);

        f = (dp_hw_facts){.subsystem = "net", .sysname = "lo", .net_type = 772};
        assert_int_equal(dp_hw_classify(&f, &c), DP_HW_ROLE_NONE);
        f.net_type = 1;
        assert_int_equal(dp_hw_classify(&f, &c), DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_NET);

        assert_int_equal(
                classify("block", "partition", "loop0p1", true, NULL, &c),
                DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_BLOCK);

        /* ttys: real parent yes, virtual no */
        assert_int_equal(
                classify("tty", NULL, "ttyUSB0", true, "usb-serial", &c),
                DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_TTY);
        f = (dp_hw_facts){.subsystem = "tty",
                          .sysname = "ptmx",
                          .syspath = "/sys/devices/virtual/tty/ptmx",
                          .has_devnode = true};
        assert_int_equal(dp_hw_classify(&f, &c), DP_HW_ROLE_NONE);

        f = (dp_hw_facts){.subsystem = "sound",
                          .sysname = "pcmC0D0p",
                          .has_devnode = true,
                          .parent_subsystem = "sound",
                          .parent_sysname = "card0"};
        assert_int_equal(dp_hw_classify(&f, &c), DP_HW_ROLE_PART);
        assert_int_equal(classify("sound", NULL, "card0", false, "usb", &c),
                         DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_SOUND);

        assert_int_equal(
                classify("video4linux", NULL, "video0", true, "usb", &c),
                DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_VIDEO);
        assert_int_equal(classify("hidraw", NULL, "hidraw0", true, "hid", &c),
                         DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_HIDRAW);
        assert_int_equal(classify("macvtap", NULL, "tap12", true, "net", &c),
                         DP_HW_ROLE_DEVICE);
        assert_int_equal(c, DP_CLASS_CHAR);
        assert_int_equal(
                classify("platform", NULL, "serial8250", false, NULL, &c),
                DP_HW_ROLE_NONE);
}

static void test_usb_bundle_member(void **state)
{
        assert_true(dp_hw_usb_bundle_member("tty", "ttyUSB0"));
        assert_true(dp_hw_usb_bundle_member("hidraw", "hidraw1"));
        assert_true(dp_hw_usb_bundle_member("video4linux", "video0"));
        assert_true(dp_hw_usb_bundle_member("input", "event3"));
        assert_true(dp_hw_usb_bundle_member("input", "js0"));
        assert_true(dp_hw_usb_bundle_member("input", "mouse1"));
        assert_false(dp_hw_usb_bundle_member("input", "input3"));
        assert_true(dp_hw_usb_bundle_member("sound", "controlC1"));
        assert_true(dp_hw_usb_bundle_member("sound", "pcmC1D0c"));
        assert_false(dp_hw_usb_bundle_member("sound", "card1"));
        assert_false(dp_hw_usb_bundle_member("block", "sda"));
}

static void test_pci_slot(void **state)
{
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        char *x = NULL;

        assert_int_equal(dp_hw_pci_slot_normalize("0000:00:06.0", &a), 0);
        assert_string_equal(a, "0000:00:06.0");
        assert_int_equal(dp_hw_pci_slot_normalize("00:06.0", &b), 0);
        assert_string_equal(b, "0000:00:06.0");
        assert_int_equal(dp_hw_pci_slot_normalize("1:0A:1f.7", &c), 0);
        assert_string_equal(c, "0001:0a:1f.7");
        assert_int_equal(dp_hw_pci_slot_normalize("00:20.0", &x), -EINVAL);
        assert_int_equal(dp_hw_pci_slot_normalize("00:06.8", &x), -EINVAL);
        assert_int_equal(dp_hw_pci_slot_normalize("00:06", &x), -EINVAL);
        assert_int_equal(dp_hw_pci_slot_normalize("0x0:06.0", &x), -EINVAL);
        assert_int_equal(dp_hw_pci_slot_normalize("00:06.0 ", &x), -EINVAL);
        assert_null(x);
}

static void test_ref_parse(void **state)
{
        dp_hw_ref r;

        assert_int_equal(dp_hw_ref_parse("/dev/dri/card0", &r), 0);
        assert_int_equal(r.kind, DP_HW_REF_NODE);
        assert_string_equal(r.value, "/dev/dri/card0");
        dp_hw_ref_done(&r);

        assert_int_equal(dp_hw_ref_parse("/sys/class/net/eth1", &r), 0);
        assert_int_equal(r.kind, DP_HW_REF_SYSFS);
        dp_hw_ref_done(&r);

        assert_int_equal(dp_hw_ref_parse("net:eth1", &r), 0);
        assert_int_equal(r.kind, DP_HW_REF_NET);
        assert_false(r.bare);
        assert_string_equal(r.value, "eth1");
        dp_hw_ref_done(&r);

        assert_int_equal(dp_hw_ref_parse("enp3s0", &r), 0);
        assert_int_equal(r.kind, DP_HW_REF_NET);
        assert_true(r.bare);
        dp_hw_ref_done(&r);

        assert_int_equal(dp_hw_ref_parse("usb:046D:c52b", &r), 0);
        assert_int_equal(r.kind, DP_HW_REF_USB);
        assert_int_equal(r.vendor, 0x046d);
        assert_int_equal(r.product, 0xc52b);
        assert_null(r.value);
        dp_hw_ref_done(&r);

        assert_int_equal(dp_hw_ref_parse("usb:0403:6001:A9XYZ:1", &r), 0);
        assert_string_equal(r.value, "A9XYZ:1");
        dp_hw_ref_done(&r);

        assert_int_equal(dp_hw_ref_parse("pci:00:06.0", &r), 0);
        assert_int_equal(r.kind, DP_HW_REF_PCI);
        assert_string_equal(r.value, "0000:00:06.0");
        dp_hw_ref_done(&r);

        assert_int_equal(dp_hw_ref_parse("usb:046d", &r), -EINVAL);
        assert_int_equal(dp_hw_ref_parse("usb:zzzz:0001", &r), -EINVAL);
        assert_int_equal(dp_hw_ref_parse("usb:046d:c52b:", &r), -EINVAL);
        assert_int_equal(dp_hw_ref_parse("pci:nonsense", &r), -EINVAL);
        assert_int_equal(dp_hw_ref_parse("net:", &r), -EINVAL);
        assert_int_equal(dp_hw_ref_parse("averyveryverylongname", &r), -EINVAL);
        assert_int_equal(dp_hw_ref_parse("/tmp/x", &r), -EINVAL);
        assert_int_equal(dp_hw_ref_parse("", &r), -EINVAL);
}

static const char proc_devices[] = "Character devices:\n"
                                   "  1 mem\n"
                                   " 10 misc\n"
                                   "195 nvidia-frontend\n"
                                   "238 nvidia-uvm\n"
                                   "241 nvidia-caps\n"
                                   "246 macvtap\n"
                                   "\n"
                                   "Block devices:\n"
                                   "  7 loop\n"
                                   "259 blkext\n"
                                   "246 notchar\n";

static void test_proc_devices(void **state)
{
        unsigned m = 0;

        assert_int_equal(
                dp_hw_proc_devices_major(proc_devices, 'c', "nvidia-uvm", &m),
                0);
        assert_int_equal(m, 238);
        assert_int_equal(
                dp_hw_proc_devices_major(proc_devices, 'c', "macvtap", &m), 0);
        assert_int_equal(m, 246);
        assert_int_equal(
                dp_hw_proc_devices_major(proc_devices, 'b', "loop", &m), 0);
        assert_int_equal(m, 7);
        /* sections are kept apart */
        assert_int_equal(
                dp_hw_proc_devices_major(proc_devices, 'b', "macvtap", &m),
                -ENOENT);
        assert_int_equal(
                dp_hw_proc_devices_major(proc_devices, 'c', "loop", &m),
                -ENOENT);
        assert_int_equal(
                dp_hw_proc_devices_major(proc_devices, 'c', "nvidia", &m),
                -ENOENT);
        assert_true(dp_hw_proc_devices_has(proc_devices, 'c', 195, "nvidia"));
        assert_false(dp_hw_proc_devices_has(proc_devices, 'c', 196, "nvidia"));
        assert_false(dp_hw_proc_devices_has(proc_devices, 'b', 195, "nvidia"));
        assert_false(dp_hw_proc_devices_has(NULL, 'c', 195, "nvidia"));
}

static const char nv_info[] =
        "Model: \t\t NVIDIA H100 80GB HBM3\n"
        "IRQ:   \t\t 10\n"
        "GPU UUID: \t GPU-6f1f1f1f-0000-0000-0000-000000000000\n"
        "Video BIOS: \t 96.00.99.00.01\n"
        "Bus Type: \t PCIe\n"
        "DMA Size: \t 52 bits\n"
        "DMA Mask: \t 0xfffffffffffff\n"
        "Bus Location: \t 0000:00:06.0\n"
        "Device Minor: \t 3\n"
        "GPU Firmware: \t 550.54.15\n"
        "GPU Excluded:\t No\n";

static void test_nvidia_parse(void **state)
{
        unsigned m = 99;

        assert_int_equal(dp_hw_nvidia_parse_minor(nv_info, &m), 0);
        assert_int_equal(m, 3);
        assert_int_equal(dp_hw_nvidia_parse_minor("Device Minor: 0", &m), 0);
        assert_int_equal(m, 0);
        assert_int_equal(dp_hw_nvidia_parse_minor("Model: x\n", &m), -ENOENT);
        assert_int_equal(dp_hw_nvidia_parse_minor("Device Minor: x\n", &m),
                         -EBADMSG);
        assert_int_equal(dp_hw_nvidia_parse_minor("Device Minor: 1x\n", &m),
                         -EBADMSG);
        /* only at the start of a line */
        assert_int_equal(dp_hw_nvidia_parse_minor("Old Device Minor: 4\n", &m),
                         -ENOENT);
}

static const dp_node *find_node(const dp_device *d, const char *path)
{
        for (size_t i = 0; i < d->n_nodes; i++)
                if (streq(d->nodes[i].path, path))
                        return &d->nodes[i];
        return NULL;
}

static int write_file(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *p = strjoin_sep("/", dir, name, NULL);
        FILE *f = p ? fopen(p, "we") : NULL;

        if (!f)
                return -1;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -1;
}

static void test_nvidia_bundle(void **state)
{
        char root[] = "/tmp/dpt-hwproc-XXXXXX";
        _cleanup_free_ char *gpus = NULL, *cmd = NULL;
        _cleanup_device_free_ dp_device *d = dp_device_new();
        const dp_node *n;
        int r;

        assert_non_null(mkdtemp(root));
        gpus = strjoin_sep("", root, "/driver/nvidia/gpus/0000:00:06.0", NULL);
        assert_int_equal(mkdir_p(gpus, 0755), 0);
        assert_int_equal(write_file(root, "devices", proc_devices), 0);
        assert_int_equal(write_file(gpus, "information", nv_info), 0);
        dp_config_set("proc-root", root);
        assert_string_equal(dp_hw_proc_root(), root);

        d->pci = strdup("0000:00:06.0");
        r = dp_hw_nvidia_gpu_nodes(d);

        dp_config_set("proc-root", NULL);
        cmd = strjoin_sep("", "rm -rf ", root, NULL);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(r, 0);

        n = find_node(d, "/dev/nvidia3");
        assert_non_null(n);
        assert_int_equal(n->type, 'c');
        assert_int_equal(n->major, 195);
        assert_int_equal(n->minor, 3);
        assert_ptr_equal(n, &d->nodes[0]);
        n = find_node(d, "/dev/nvidiactl");
        assert_non_null(n);
        assert_int_equal(n->major, 195);
        assert_int_equal(n->minor, 255);
        n = find_node(d, "/dev/nvidia-uvm");
        assert_non_null(n);
        assert_int_equal(n->major, 238);
        assert_int_equal(n->minor, 0);
        n = find_node(d, "/dev/nvidia-uvm-tools");
        assert_non_null(n);
        assert_int_equal(n->major, 238);
        assert_int_equal(n->minor, 1);
        if (access("/dev/nvidia-modeset", F_OK) < 0 &&
            access("/sys/module/nvidia_modeset", F_OK) < 0)
                assert_null(find_node(d, "/dev/nvidia-modeset"));
}

static void test_nvidia_absent(void **state)
{
        char root[] = "/tmp/dpt-hwproc-XXXXXX";
        _cleanup_device_free_ dp_device *d = dp_device_new();
        _cleanup_free_ char *cmd = NULL;
        int r;

        /* no driver files: nothing is invented */
        assert_non_null(mkdtemp(root));
        assert_int_equal(
                write_file(root, "devices", "Character devices:\n  1 mem\n"),
                0);
        dp_config_set("proc-root", root);
        d->pci = strdup("0000:00:06.0");
        r = dp_hw_nvidia_gpu_nodes(d);
        dp_config_set("proc-root", NULL);
        cmd = strjoin_sep("", "rm -rf ", root, NULL);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(r, -ENOENT);
        if (access("/dev/nvidiactl", F_OK) < 0)
                assert_int_equal(d->n_nodes, 0);
}

/* A packed device holds the same facts as the one it was made from, in one
 * allocation (memcheck in CI catches a field left pointing into the freed
 * original), and copies back into an ordinary device. */
static void test_device_pack(void **state)
{
        dp_device *d = dp_device_new(), *p, *c;
        char *props[] = {"DEVNAME=/dev/ttyUSB0", "ID_SERIAL=FT1", NULL};

        (void)state;
        assert_non_null(d);
        d->syspath = strdup("/sys/devices/pci0000:00/usb1/1-1");
        d->subsystem = strdup("usb");
        d->name = strdup("1-1");
        d->serial = strdup("FT1");
        d->klass = DP_CLASS_USB;
        d->vendor = 0x0403;
        d->has_vendor = true;
        d->drivers = strv_copy((char *[]){"usb", "xhci_hcd", NULL});
        d->properties = strv_copy(props);
        d->tags = calloc(1, sizeof(char *));
        assert_int_equal(
                dp_device_add_node(d, "/dev/bus/usb/001/002", 'c', 189, 1), 0);
        assert_int_equal(dp_device_add_node(d, "/dev/ttyUSB0", 'c', 188, 0), 0);
        p = dp_device_pack(d);
        assert_true(p->packed);
        assert_string_equal(p->syspath, "/sys/devices/pci0000:00/usb1/1-1");
        assert_string_equal(p->subsystem, "usb");
        assert_null(p->devtype);
        assert_null(p->attributes);
        assert_non_null(p->tags);
        assert_null(p->tags[0]);
        assert_string_equal(p->serial, "FT1");
        assert_int_equal(p->vendor, 0x0403);
        assert_int_equal(strv_length(p->drivers), 2);
        assert_string_equal(p->drivers[1], "xhci_hcd");
        assert_string_equal(dp_device_property(p, "ID_SERIAL"), "FT1");
        assert_int_equal(p->n_nodes, 2);
        assert_string_equal(p->nodes[1].path, "/dev/ttyUSB0");
        assert_int_equal(p->nodes[1].major, 188);
        assert_ptr_equal(dp_device_pack(p), p);
        c = dp_device_copy(p);
        assert_non_null(c);
        assert_false(c->packed);
        assert_string_equal(c->nodes[0].path, "/dev/bus/usb/001/002");
        assert_string_equal(c->properties[0], "DEVNAME=/dev/ttyUSB0");
        dp_device_free(p);
        assert_int_equal(dp_device_add_node(c, "/dev/ttyUSB1", 'c', 188, 1), 0);
        dp_device_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pci_display),
                cmocka_unit_test(test_classify),
                cmocka_unit_test(test_class_table),
                cmocka_unit_test(test_usb_bundle_member),
                cmocka_unit_test(test_pci_slot),
                cmocka_unit_test(test_ref_parse),
                cmocka_unit_test(test_proc_devices),
                cmocka_unit_test(test_nvidia_parse),
                cmocka_unit_test(test_nvidia_bundle),
                cmocka_unit_test(test_nvidia_absent),
                cmocka_unit_test(test_device_pack),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
