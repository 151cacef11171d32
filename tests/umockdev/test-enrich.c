/* SPDX-License-Identifier: MIT */
/* The libusb, libdrm and libevdev enrichment modules against the umockdev
 * fixtures, called directly on a dp_device built from a syspath: the real
 * library code paths read the fake sysfs and /dev of the testbed. */

#include <string.h>

#include "hw/hw-internal.h"
#include "umd-common.h"

#define PCI  "/sys/devices/pci0000:00"
#define USB1 PCI "/0000:00:14.0/usb1"

static dp_device *make_device(const char *syspath, const char *subsystem,
                              const char *devtype, dp_class klass,
                              const char *pci)
{
        dp_device *d = dp_device_new();
        const char *name = strrchr(syspath, '/') + 1;

        assert_non_null(d);
        d->syspath = strdup(syspath);
        d->subsystem = strdup(subsystem);
        d->devtype = devtype ? strdup(devtype) : NULL;
        d->name = strdup(name);
        d->pci = pci ? strdup(pci) : NULL;
        d->klass = klass;
        assert_non_null(d->syspath);
        assert_non_null(d->subsystem);
        assert_non_null(d->name);
        return d;
}

/* ---- libusb ---- */

static dp_device *usb_enriched(UMockdevTestbed *tb, const char *fixture,
                               const char *port)
{
        _cleanup_free_ char *sp = strjoin_sep("/", USB1, port, NULL);
        dp_device *d;

        umd_load(tb, "usb-host.umockdev");
        umd_load(tb, fixture);
        d = make_device(sp, "usb", "usb_device", DP_CLASS_USB, NULL);
        assert_int_equal(dp_hw_usb_enrich(NULL, d), 0);
        assert_true(d->has_vendor);
        assert_true(d->has_product);
        return d;
}

static void test_usb_ftdi(void **state)
{
        _cleanup_device_free_ dp_device *d =
                usb_enriched(*state, "usb-ftdi-serial.umockdev", "1-1");

        assert_int_equal(d->vendor, 0x0403);
        assert_int_equal(d->product, 0x6001);
        assert_string_equal(d->serial, "A50285BI");
        assert_string_equal(dp_device_property(d, "ID_USB_CLASS"), "00");
        assert_string_equal(dp_device_property(d, "ID_USB_INTERFACES"),
                            ":ffffff:");
}

static void test_usb_webcam(void **state)
{
        _cleanup_device_free_ dp_device *d =
                usb_enriched(*state, "usb-webcam.umockdev", "1-2");

        assert_int_equal(d->vendor, 0x046d);
        assert_int_equal(d->product, 0x0825);
        assert_string_equal(d->serial, "7E1F2C50");
        assert_string_equal(dp_device_property(d, "ID_USB_CLASS"), "ef");
        /* Alternate settings repeat a class: listed once, as udev does. */
        assert_string_equal(dp_device_property(d, "ID_USB_INTERFACES"),
                            ":0e0100:0e0200:010100:010200:");
}

static void test_usb_keyboard(void **state)
{
        _cleanup_device_free_ dp_device *d =
                usb_enriched(*state, "usb-keyboard.umockdev", "1-3");

        assert_int_equal(d->vendor, 0x046d);
        assert_int_equal(d->product, 0xc31c);
        /* No iSerialNumber and no serial attribute. */
        assert_null(d->serial);
        assert_string_equal(dp_device_property(d, "ID_USB_INTERFACES"),
                            ":030101:");
}

static void test_usb_gamepad(void **state)
{
        _cleanup_device_free_ dp_device *d =
                usb_enriched(*state, "usb-gamepad.umockdev", "1-4");

        assert_int_equal(d->vendor, 0x045e);
        assert_int_equal(d->product, 0x028e);
        assert_string_equal(d->serial, "0A1B2C3D");
        assert_string_equal(dp_device_property(d, "ID_USB_CLASS"), "ff");
        assert_string_equal(dp_device_property(d, "ID_USB_INTERFACES"),
                            ":ff5d01:ff5d03:ff5d02:fffd13:");
}

static void test_usb_root_hub(void **state)
{
        _cleanup_device_free_ dp_device *d =
                usb_enriched(*state, "usb-ftdi-serial.umockdev", "");

        /* usb1 itself: the Linux Foundation root hub. */
        assert_int_equal(d->vendor, 0x1d6b);
        assert_int_equal(d->product, 0x0002);
        assert_string_equal(dp_device_property(d, "ID_USB_CLASS"), "09");
        assert_string_equal(dp_device_property(d, "ID_USB_INTERFACES"),
                            ":090000:");
}

static void test_usb_not_applicable(void **state)
{
        _cleanup_device_free_ dp_device *itf = NULL, *gone = NULL;

        umd_load(*state, "usb-host.umockdev");
        umd_load(*state, "usb-ftdi-serial.umockdev");
        /* An interface is no usb_device: nothing to do, nothing set. */
        itf = make_device(USB1 "/1-1/1-1:1.0", "usb", "usb_interface",
                          DP_CLASS_UNKNOWN, NULL);
        assert_int_equal(dp_hw_usb_enrich(NULL, itf), 0);
        assert_false(itf->has_vendor);
        assert_null(itf->properties);
        /* A usb_device libusb does not list (no sysfs entry) fails
         * without touching the device. */
        gone = make_device(USB1 "/1-9", "usb", "usb_device", DP_CLASS_USB,
                           NULL);
        assert_true(strv_env_set(&gone->attributes, "busnum", "1") >= 0);
        assert_true(strv_env_set(&gone->attributes, "devnum", "99") >= 0);
        assert_int_equal(dp_hw_usb_enrich(NULL, gone), -ENODEV);
        assert_false(gone->has_vendor);
}

/* ---- libdrm ---- */

static void test_drm_nvidia(void **state)
{
        _cleanup_device_free_ dp_device *d = NULL;

        umd_load(*state, "nvidia-gpu.umockdev");
        d = make_device(PCI "/0000:00:06.0", "pci", NULL, DP_CLASS_GPU,
                        "0000:00:06.0");
        assert_int_equal(dp_hw_drm_enrich(NULL, d), 0);
        assert_int_equal(d->n_nodes, 2);
        assert_node(d, "/dev/dri/card0", 'c', 226, 0);
        assert_node(d, "/dev/dri/renderD128", 'c', 226, 128);
        /* The driver was empty: filled from sysfs. */
        assert_string_equal(d->driver, "nvidia");
}

static void test_drm_nvidia_without_drm(void **state)
{
        _cleanup_device_free_ dp_device *d = NULL;

        umd_load(*state, "nvidia-gpu-nodrm.umockdev");
        d = make_device(PCI "/0000:00:06.0", "pci", NULL, DP_CLASS_GPU,
                        "0000:00:06.0");
        assert_int_equal(dp_hw_drm_enrich(NULL, d), 0);
        assert_int_equal(d->n_nodes, 0);
}

static void test_drm_intel(void **state)
{
        _cleanup_device_free_ dp_device *d = NULL;

        umd_load(*state, "intel-igpu.umockdev");
        d = make_device(PCI "/0000:00:02.0", "pci", NULL, DP_CLASS_GPU,
                        "0000:00:02.0");
        d->driver = strdup("i915-preset");
        assert_int_equal(dp_hw_drm_enrich(NULL, d), 0);
        assert_int_equal(d->n_nodes, 2);
        assert_node(d, "/dev/dri/card1", 'c', 226, 1);
        assert_node(d, "/dev/dri/renderD129", 'c', 226, 129);
        /* A driver already known is kept. */
        assert_string_equal(d->driver, "i915-preset");
}

static void test_drm_amd_by_syspath(void **state)
{
        _cleanup_device_free_ dp_device *d = NULL;

        umd_load(*state, "amd-gpu.umockdev");
        /* No PCI slot known: matched through the minors below it. */
        d = make_device(PCI "/0000:00:01.1/0000:03:00.0", "pci", NULL,
                        DP_CLASS_GPU, NULL);
        assert_int_equal(dp_hw_drm_enrich(NULL, d), 0);
        assert_int_equal(d->n_nodes, 2);
        assert_node(d, "/dev/dri/card2", 'c', 226, 2);
        assert_node(d, "/dev/dri/renderD130", 'c', 226, 130);
        assert_string_equal(d->driver, "amdgpu");
}

static void test_drm_two_gpus(void **state)
{
        _cleanup_device_free_ dp_device *a = NULL, *b = NULL;

        umd_load(*state, "nvidia-2gpu.umockdev");
        a = make_device(PCI "/0000:00:06.0", "pci", NULL, DP_CLASS_GPU,
                        "0000:00:06.0");
        b = make_device(PCI "/0000:00:07.0", "pci", NULL, DP_CLASS_GPU,
                        "0000:00:07.0");
        assert_int_equal(dp_hw_drm_enrich(NULL, a), 0);
        assert_int_equal(dp_hw_drm_enrich(NULL, b), 0);
        assert_int_equal(a->n_nodes, 2);
        assert_int_equal(b->n_nodes, 2);
        assert_node(a, "/dev/dri/card0", 'c', 226, 0);
        assert_node(a, "/dev/dri/renderD128", 'c', 226, 128);
        assert_node(b, "/dev/dri/card1", 'c', 226, 1);
        assert_node(b, "/dev/dri/renderD129", 'c', 226, 129);
}

static void test_drm_not_a_gpu(void **state)
{
        _cleanup_device_free_ dp_device *d = NULL;

        umd_load(*state, "usb-host.umockdev");
        umd_load(*state, "nvidia-gpu.umockdev");
        d = make_device(PCI "/0000:00:14.0", "pci", NULL, DP_CLASS_UNKNOWN,
                        NULL);
        assert_int_equal(dp_hw_drm_enrich(NULL, d), 0);
        assert_int_equal(d->n_nodes, 0);
        assert_null(d->driver);
}

/* ---- libevdev ---- */

#define KBD_INPUT USB1 "/1-3/1-3:1.0/0003:046D:C31C.0001/input/input5"
#define PAD_INPUT USB1 "/1-4/1-4:1.0/input/input6"

static void test_input_keyboard_evdev(void **state)
{
        UMockdevTestbed *tb = *state;
        _cleanup_device_free_ dp_device *d = NULL;

        umd_load(tb, "usb-host.umockdev");
        umd_load(tb, "usb-keyboard.umockdev");
        umd_load_ioctl(tb, "/dev/input/event5", "usb-keyboard.ioctl");
        /* Blank the sysfs bitmaps: only libevdev can tell now. */
        umockdev_testbed_set_attribute(tb, KBD_INPUT, "capabilities/ev", "0");
        umockdev_testbed_set_attribute(tb, KBD_INPUT, "capabilities/key", "0");
        d = make_device(KBD_INPUT, "input", NULL, DP_CLASS_INPUT, NULL);
        assert_int_equal(
                dp_device_add_node(d, "/dev/input/event5", 'c', 13, 69), 0);
        assert_int_equal(dp_hw_input_enrich(NULL, d), 0);
        assert_int_equal(d->input, DP_INPUT_KEYBOARD);
}

static void test_input_gamepad_evdev(void **state)
{
        UMockdevTestbed *tb = *state;
        _cleanup_device_free_ dp_device *d = NULL;

        umd_load(tb, "usb-host.umockdev");
        umd_load(tb, "usb-gamepad.umockdev");
        umd_load_ioctl(tb, "/dev/input/event6", "xbox-gamepad.ioctl");
        umockdev_testbed_set_attribute(tb, PAD_INPUT, "capabilities/ev", "0");
        /* The node is found from the eventN child when the bundle has
         * none. */
        d = make_device(PAD_INPUT, "input", NULL, DP_CLASS_INPUT, NULL);
        assert_int_equal(dp_hw_input_enrich(NULL, d), 0);
        assert_int_equal(d->input, DP_INPUT_JOYSTICK);
}

static void test_input_sysfs_fallback(void **state)
{
        UMockdevTestbed *tb = *state;
        _cleanup_device_free_ dp_device *kbd = NULL, *pad = NULL;

        /* No ioctl records: the event nodes answer no EVIOCG* query, so
         * the classification comes from sysfs and must agree. */
        umd_load(tb, "usb-host.umockdev");
        umd_load(tb, "usb-keyboard.umockdev");
        umd_load(tb, "usb-gamepad.umockdev");
        kbd = make_device(KBD_INPUT, "input", NULL, DP_CLASS_INPUT, NULL);
        pad = make_device(PAD_INPUT, "input", NULL, DP_CLASS_INPUT, NULL);
        assert_int_equal(dp_hw_input_enrich(NULL, kbd), 0);
        assert_int_equal(dp_hw_input_enrich(NULL, pad), 0);
        assert_int_equal(kbd->input, DP_INPUT_KEYBOARD);
        assert_int_equal(pad->input, DP_INPUT_JOYSTICK);
}

static void test_input_not_applicable(void **state)
{
        _cleanup_device_free_ dp_device *d = NULL;

        umd_load(*state, "usb-host.umockdev");
        umd_load(*state, "usb-keyboard.umockdev");
        /* The event node's own device is not the inputN device. */
        d = make_device(KBD_INPUT "/event5", "input", NULL, DP_CLASS_INPUT,
                        NULL);
        assert_int_equal(dp_hw_input_enrich(NULL, d), 0);
        assert_int_equal(d->input, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, umd_setup, umd_teardown)
                T(test_usb_ftdi),
                T(test_usb_webcam),
                T(test_usb_keyboard),
                T(test_usb_gamepad),
                T(test_usb_root_hub),
                T(test_usb_not_applicable),
                T(test_drm_nvidia),
                T(test_drm_nvidia_without_drm),
                T(test_drm_intel),
                T(test_drm_amd_by_syspath),
                T(test_drm_two_gpus),
                T(test_drm_not_a_gpu),
                T(test_input_keyboard_evdev),
                T(test_input_gamepad_evdev),
                T(test_input_sysfs_fallback),
                T(test_input_not_applicable),
#undef T
        };

        umd_require_preload();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
