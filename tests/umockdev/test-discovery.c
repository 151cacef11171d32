/* SPDX-License-Identifier: MIT */
/* Full discovery over the umockdev fixtures: dp_hw_enumerate() and
 * dp_hw_resolve() through real libudev, libusb, libdrm and libevdev give
 * each device its class, ids, serial, drivers, input words and the exact
 * node bundle. */

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "devpass/config.h"
#include "devpass/hw.h"
#include "umd-common.h"

#define PCI  "/sys/devices/pci0000:00"
#define USB1 PCI "/0000:00:14.0/usb1"

/* umockdev 0.17's realpath() wrapper corrupts memory (it moves the
 * result around past its end, seen with valgrind for /dev/dri/card0), so
 * this program supplies its own, which the executable's symbol takes
 * precedence for: the testbed's /dev holds no symlinks, so a clean absolute
 * path is its own canonical form. Anything else fails with ENOENT and the
 * caller keeps the path as given. */
char *realpath(const char *restrict path, char *restrict resolved)
{
        size_t n = path ? strlen(path) : 0;

        if (n == 0 || n >= PATH_MAX || path[0] != '/' || strstr(path, "//") ||
            strstr(path, "/./") || strstr(path, "/../") ||
            endswith(path, "/.") || endswith(path, "/..")) {
                errno = ENOENT;
                return NULL;
        }
        if (!resolved)
                return strdup(path);
        memcpy(resolved, path, n + 1);
        return resolved;
}

typedef struct expect_node {
        const char *path;
        unsigned major, minor;
} expect_node;

/* The bundle holds exactly EXPECTED (all char nodes). NVIDIA nodes that
 * the driver only backs when they exist (nvidia-modeset, nvidia-caps) may
 * be added by the host's /dev, which the preload lets through. */
static void assert_bundle(const dp_device *d, const expect_node *expected,
                          size_t n)
{
        for (size_t i = 0; i < n; i++)
                assert_node(d, expected[i].path, 'c', expected[i].major,
                            expected[i].minor);
        for (size_t i = 0; i < d->n_nodes; i++) {
                const char *p = d->nodes[i].path;
                bool known = false;

                for (size_t j = 0; j < n && !known; j++)
                        known = streq(p, expected[j].path);
                if (known)
                        continue;
                if ((streq(p, "/dev/nvidia-modeset") ||
                     startswith(p, "/dev/nvidia-caps/")) &&
                    access(p, F_OK) == 0)
                        continue;
                fail_msg("unexpected node %s in the bundle of %s", p,
                         d->syspath);
        }
}

static void enumerate(dp_hw **ret_hw, dp_device_list *ret)
{
        dp_hw *hw = NULL;

        assert_int_equal(dp_hw_new(&hw), 0);
        assert_int_equal(dp_hw_enumerate(hw, ret), 0);
        *ret_hw = hw;
}

static const dp_device *find(const dp_device_list *l, const char *syspath)
{
        const dp_device *d = dp_device_list_find(l, syspath);

        if (!d)
                fail_msg("%s was not enumerated", syspath);
        return d;
}

static void assert_resolves(dp_hw *hw, const char *ref, const char *syspath)
{
        _cleanup_device_free_ dp_device *d = NULL;
        int r = dp_hw_resolve(hw, ref, &d);

        if (r < 0)
                fail_msg("resolving %s: %s", ref, strerror(-r));
        assert_string_equal(d->syspath, syspath);
}

static void assert_no_drm_devices(const dp_device_list *l)
{
        /* card and render minors are folded into their GPU. */
        for (size_t i = 0; i < l->n; i++)
                assert_false(l->items[i]->subsystem &&
                             streq(l->items[i]->subsystem, "drm"));
}

static void set_proc_root(const char *dir)
{
        _cleanup_free_ char *p = strjoin_sep("/", FIXTURE_DIR, dir, NULL);

        assert_non_null(p);
        assert_int_equal(dp_config_set("proc-root", p), 0);
}

static void assert_gpu(const dp_device *d, uint16_t vendor, uint16_t product,
                       const char *slot, const char *driver)
{
        assert_int_equal(d->klass, DP_CLASS_GPU);
        assert_true(d->has_vendor);
        assert_int_equal(d->vendor, vendor);
        assert_int_equal(d->product, product);
        assert_string_equal(d->pci, slot);
        assert_string_equal(d->driver, driver);
}

/* ---- GPUs ---- */

static void test_nvidia(void **state)
{
        static const expect_node nodes[] = {
                {"/dev/dri/card0", 226, 0},  {"/dev/dri/renderD128", 226, 128},
                {"/dev/nvidia0", 195, 0},    {"/dev/nvidiactl", 195, 255},
                {"/dev/nvidia-uvm", 238, 0}, {"/dev/nvidia-uvm-tools", 238, 1},
        };
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        const dp_device *gpu;

        set_proc_root("nvidia-proc");
        umd_load(*state, "nvidia-gpu.umockdev");
        enumerate(&hw, &l);
        gpu = find(&l, PCI "/0000:00:06.0");
        assert_gpu(gpu, 0x10de, 0x2330, "0000:00:06.0", "nvidia");
        assert_bundle(gpu, nodes, ELEMENTSOF(nodes));
        assert_no_drm_devices(&l);
        assert_resolves(hw, "/dev/dri/card0", PCI "/0000:00:06.0");
        assert_resolves(hw, "/dev/dri/renderD128", PCI "/0000:00:06.0");
        assert_resolves(hw, "pci:0000:00:06.0", PCI "/0000:00:06.0");
        assert_resolves(hw, "pci:00:06.0", PCI "/0000:00:06.0");
        dp_device_list_clear(&l);
}

static void test_nvidia_compute_host(void **state)
{
        static const expect_node nodes[] = {
                {"/dev/nvidia0", 195, 0},
                {"/dev/nvidiactl", 195, 255},
                {"/dev/nvidia-uvm", 238, 0},
                {"/dev/nvidia-uvm-tools", 238, 1},
        };
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        const dp_device *gpu;

        set_proc_root("nvidia-proc");
        umd_load(*state, "nvidia-gpu-nodrm.umockdev");
        enumerate(&hw, &l);
        gpu = find(&l, PCI "/0000:00:06.0");
        assert_gpu(gpu, 0x10de, 0x2330, "0000:00:06.0", "nvidia");
        assert_bundle(gpu, nodes, ELEMENTSOF(nodes));
        assert_resolves(hw, "pci:0000:00:06.0", PCI "/0000:00:06.0");
        dp_device_list_clear(&l);
}

static void test_intel(void **state)
{
        static const expect_node nodes[] = {
                {"/dev/dri/card1", 226, 1},
                {"/dev/dri/renderD129", 226, 129},
        };
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        const dp_device *gpu;

        umd_load(*state, "intel-igpu.umockdev");
        enumerate(&hw, &l);
        gpu = find(&l, PCI "/0000:00:02.0");
        assert_gpu(gpu, 0x8086, 0x46a6, "0000:00:02.0", "i915");
        assert_bundle(gpu, nodes, ELEMENTSOF(nodes));
        assert_no_drm_devices(&l);
        assert_resolves(hw, "/dev/dri/card1", PCI "/0000:00:02.0");
        dp_device_list_clear(&l);
}

static void test_amd(void **state)
{
        static const expect_node nodes[] = {
                {"/dev/dri/card2", 226, 2},
                {"/dev/dri/renderD130", 226, 130},
                {"/dev/kfd", 236, 0},
        };
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        const dp_device *gpu;

        umd_load(*state, "amd-gpu.umockdev");
        enumerate(&hw, &l);
        gpu = find(&l, PCI "/0000:00:01.1/0000:03:00.0");
        assert_gpu(gpu, 0x1002, 0x73bf, "0000:03:00.0", "amdgpu");
        assert_bundle(gpu, nodes, ELEMENTSOF(nodes));
        assert_resolves(hw, "/dev/dri/renderD130",
                        PCI "/0000:00:01.1/0000:03:00.0");
        dp_device_list_clear(&l);
}

static void test_two_nvidia(void **state)
{
        static const expect_node first[] = {
                {"/dev/dri/card0", 226, 0},  {"/dev/dri/renderD128", 226, 128},
                {"/dev/nvidia0", 195, 0},    {"/dev/nvidiactl", 195, 255},
                {"/dev/nvidia-uvm", 238, 0}, {"/dev/nvidia-uvm-tools", 238, 1},
        };
        static const expect_node second[] = {
                {"/dev/dri/card1", 226, 1},  {"/dev/dri/renderD129", 226, 129},
                {"/dev/nvidia1", 195, 1},    {"/dev/nvidiactl", 195, 255},
                {"/dev/nvidia-uvm", 238, 0}, {"/dev/nvidia-uvm-tools", 238, 1},
        };
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        size_t gpus = 0;

        set_proc_root("nvidia-proc-2gpu");
        umd_load(*state, "nvidia-2gpu.umockdev");
        enumerate(&hw, &l);
        for (size_t i = 0; i < l.n; i++)
                gpus += l.items[i]->klass == DP_CLASS_GPU;
        assert_int_equal(gpus, 2);
        assert_gpu(find(&l, PCI "/0000:00:06.0"), 0x10de, 0x2330,
                   "0000:00:06.0", "nvidia");
        assert_gpu(find(&l, PCI "/0000:00:07.0"), 0x10de, 0x2330,
                   "0000:00:07.0", "nvidia");
        assert_bundle(find(&l, PCI "/0000:00:06.0"), first, ELEMENTSOF(first));
        assert_bundle(find(&l, PCI "/0000:00:07.0"), second,
                      ELEMENTSOF(second));
        assert_resolves(hw, "pci:0000:00:07.0", PCI "/0000:00:07.0");
        assert_resolves(hw, "/dev/dri/card1", PCI "/0000:00:07.0");
        dp_device_list_clear(&l);
}

/* ---- USB ---- */

static void load_usb(UMockdevTestbed *tb, const char *fixture)
{
        umd_load(tb, "usb-host.umockdev");
        umd_load(tb, fixture);
}

static void assert_usb(const dp_device *d, uint16_t vendor, uint16_t product,
                       const char *serial, const char *interfaces)
{
        assert_int_equal(d->klass, DP_CLASS_USB);
        assert_true(d->has_vendor);
        assert_int_equal(d->vendor, vendor);
        assert_int_equal(d->product, product);
        if (serial)
                assert_string_equal(d->serial, serial);
        else
                assert_null(d->serial);
        assert_string_equal(strempty(d->driver), "usb");
        assert_string_equal(
                strempty(dp_device_property(d, "ID_USB_INTERFACES")),
                interfaces);
}

static void test_usb_ftdi(void **state)
{
        static const expect_node nodes[] = {
                {"/dev/bus/usb/001/005", 189, 4},
                {"/dev/ttyUSB0", 188, 0},
        };
        _cleanup_hw_free_ dp_hw *hw = NULL;
        _cleanup_device_free_ dp_device *tty = NULL;
        dp_device_list l = {};
        const dp_device *d;

        load_usb(*state, "usb-ftdi-serial.umockdev");
        enumerate(&hw, &l);
        d = find(&l, USB1 "/1-1");
        assert_usb(d, 0x0403, 0x6001, "A50285BI", ":ffffff:");
        assert_bundle(d, nodes, ELEMENTSOF(nodes));
        /* The usbfs node comes first: it is the device's own. */
        assert_string_equal(d->nodes[0].path, "/dev/bus/usb/001/005");
        assert_resolves(hw, "usb:0403:6001", USB1 "/1-1");
        assert_resolves(hw, "usb:0403:6001:A50285BI", USB1 "/1-1");
        assert_int_equal(dp_hw_resolve(hw, "usb:0403:6001:NOSUCH", &tty),
                         -ENOENT);

        /* The tty names its drivers up the chain and its USB device. */
        assert_int_equal(dp_hw_resolve(hw, "/dev/ttyUSB0", &tty), 0);
        assert_non_null(umd_node(tty, "/dev/ttyUSB0"));
        if (tty->klass == DP_CLASS_TTY) {
                assert_true(strv_contains(tty->drivers, "ftdi_sio"));
                assert_true(strv_contains(tty->drivers, "xhci_hcd"));
                assert_string_equal(tty->parent_syspath, USB1 "/1-1");
        }
        dp_device_list_clear(&l);
}

static void test_usb_webcam(void **state)
{
        static const expect_node nodes[] = {
                {"/dev/bus/usb/001/006", 189, 5},
                {"/dev/video0", 81, 0},
                {"/dev/video1", 81, 1},
        };
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        const dp_device *d;

        load_usb(*state, "usb-webcam.umockdev");
        enumerate(&hw, &l);
        d = find(&l, USB1 "/1-2");
        assert_usb(d, 0x046d, 0x0825, "7E1F2C50",
                   ":0e0100:0e0200:010100:010200:");
        assert_bundle(d, nodes, ELEMENTSOF(nodes));
        assert_resolves(hw, "usb:046d:0825", USB1 "/1-2");
        dp_device_list_clear(&l);
}

#define KBD_INPUT USB1 "/1-3/1-3:1.0/0003:046D:C31C.0001/input/input5"
#define PAD_INPUT USB1 "/1-4/1-4:1.0/input/input6"

static void test_usb_keyboard(void **state)
{
        static const expect_node usb_nodes[] = {
                {"/dev/bus/usb/001/007", 189, 6},
                {"/dev/input/event5", 13, 69},
                {"/dev/hidraw0", 244, 0},
        };
        static const expect_node input_nodes[] = {
                {"/dev/input/event5", 13, 69},
        };
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        const dp_device *usb, *in;

        load_usb(*state, "usb-keyboard.umockdev");
        umd_load_ioctl(*state, "/dev/input/event5", "usb-keyboard.ioctl");
        enumerate(&hw, &l);
        usb = find(&l, USB1 "/1-3");
        assert_usb(usb, 0x046d, 0xc31c, NULL, ":030101:");
        assert_bundle(usb, usb_nodes, ELEMENTSOF(usb_nodes));

        in = find(&l, KBD_INPUT);
        assert_int_equal(in->klass, DP_CLASS_INPUT);
        assert_int_equal(in->input, DP_INPUT_KEYBOARD);
        assert_int_equal(in->vendor, 0x046d);
        assert_int_equal(in->product, 0xc31c);
        assert_true(strv_contains(in->drivers, "usbhid"));
        assert_true(strv_contains(in->drivers, "hid-generic"));
        assert_bundle(in, input_nodes, ELEMENTSOF(input_nodes));
        assert_resolves(hw, "/dev/input/event5", KBD_INPUT);
        dp_device_list_clear(&l);
}

static void test_usb_gamepad(void **state)
{
        static const expect_node usb_nodes[] = {
                {"/dev/bus/usb/001/008", 189, 7},
                {"/dev/input/event6", 13, 70},
                {"/dev/input/js0", 13, 0},
        };
        static const expect_node input_nodes[] = {
                {"/dev/input/event6", 13, 70},
                {"/dev/input/js0", 13, 0},
        };
        _cleanup_hw_free_ dp_hw *hw = NULL;
        dp_device_list l = {};
        const dp_device *usb, *in;

        load_usb(*state, "usb-gamepad.umockdev");
        umd_load_ioctl(*state, "/dev/input/event6", "xbox-gamepad.ioctl");
        enumerate(&hw, &l);
        usb = find(&l, USB1 "/1-4");
        assert_usb(usb, 0x045e, 0x028e, "0A1B2C3D",
                   ":ff5d01:ff5d03:ff5d02:fffd13:");
        assert_bundle(usb, usb_nodes, ELEMENTSOF(usb_nodes));

        in = find(&l, PAD_INPUT);
        assert_int_equal(in->klass, DP_CLASS_INPUT);
        assert_int_equal(in->input, DP_INPUT_JOYSTICK);
        assert_true(strv_contains(in->drivers, "xpad"));
        assert_bundle(in, input_nodes, ELEMENTSOF(input_nodes));
        assert_resolves(hw, "/dev/input/js0", PAD_INPUT);
        dp_device_list_clear(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, umd_setup, umd_teardown)
                T(test_nvidia),      T(test_nvidia_compute_host),
                T(test_intel),       T(test_amd),
                T(test_two_nvidia),  T(test_usb_ftdi),
                T(test_usb_webcam),  T(test_usb_keyboard),
                T(test_usb_gamepad),
#undef T
        };

        umd_require_preload();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
