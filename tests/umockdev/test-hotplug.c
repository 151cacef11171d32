/* SPDX-License-Identifier: MIT */
/* Synthetic uevents of a umockdev testbed reach libudev monitors, on the
 * "udev" and the "kernel" source, in this process and in a forked child:
 * the agent's hotplug tests build on exactly this. */

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <libudev.h>

#include "umd-common.h"

#define FTDI "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"
#define TTY  FTDI "/1-1:1.0/ttyUSB0/tty/ttyUSB0"

static struct udev_monitor *monitor_new(struct udev *udev, const char *source,
                                        const char *subsystem)
{
        struct udev_monitor *m = udev_monitor_new_from_netlink(udev, source);

        assert_non_null(m);
        if (subsystem)
                assert_int_equal(
                        udev_monitor_filter_add_match_subsystem_devtype(
                                m, subsystem, NULL),
                        0);
        assert_int_equal(udev_monitor_enable_receiving(m), 0);
        return m;
}

/* The next device from the monitor within TIMEOUT_MS, or NULL. */
static struct udev_device *receive(struct udev_monitor *m, int timeout_ms)
{
        struct pollfd p = {.fd = udev_monitor_get_fd(m), .events = POLLIN};

        if (poll(&p, 1, timeout_ms) <= 0)
                return NULL;
        return udev_monitor_receive_device(m);
}

static void expect_event(struct udev_monitor *m, const char *action,
                         const char *syspath)
{
        struct udev_device *u = receive(m, 5000);

        if (!u)
                fail_msg("no %s event for %s", action, syspath);
        assert_string_equal(udev_device_get_action(u), action);
        assert_string_equal(udev_device_get_syspath(u), syspath);
        udev_device_unref(u);
}

/* Events until one for SYSPATH with ACTION arrives; others (a fixture's
 * interfaces) are skipped. */
static void expect_event_among(struct udev_monitor *m, const char *action,
                               const char *syspath)
{
        for (int i = 0; i < 32; i++) {
                struct udev_device *u = receive(m, 5000);
                bool match;

                if (!u)
                        break;
                match = streq(strempty(udev_device_get_action(u)), action) &&
                        streq(udev_device_get_syspath(u), syspath);
                udev_device_unref(u);
                if (match)
                        return;
        }
        fail_msg("no %s event for %s", action, syspath);
}

/* Drops what is queued. */
static void drain(struct udev_monitor *m)
{
        struct udev_device *u;

        while ((u = receive(m, 100)))
                udev_device_unref(u);
}

static void check_source(void **state, const char *source)
{
        UMockdevTestbed *tb = *state;
        struct udev *udev = udev_new();
        struct udev_monitor *m, *other;
        struct udev_device *u;

        assert_non_null(udev);
        umd_load(tb, "usb-host.umockdev");
        m = monitor_new(udev, source, "usb");
        /* A monitor filtered on another subsystem must stay quiet. */
        other = monitor_new(udev, source, "drm");

        /* Adding a fixture's devices announces them ("add")... */
        umd_load(tb, "usb-ftdi-serial.umockdev");
        expect_event_among(m, "add", FTDI);
        drain(m);
        /* ...and explicit uevents arrive as sent. */
        umockdev_testbed_uevent(tb, FTDI, "add");
        expect_event(m, "add", FTDI);
        /* The device the event names is readable through libudev. */
        u = udev_device_new_from_syspath(udev, FTDI);
        assert_non_null(u);
        assert_string_equal(udev_device_get_sysattr_value(u, "idVendor"),
                            "0403");
        assert_string_equal(udev_device_get_devnode(u), "/dev/bus/usb/001/005");
        udev_device_unref(u);

        umockdev_testbed_uevent(tb, FTDI, "change");
        expect_event(m, "change", FTDI);
        /* remove goes out before the device leaves the testbed. */
        umockdev_testbed_uevent(tb, FTDI, "remove");
        expect_event(m, "remove", FTDI);
        umockdev_testbed_remove_device(tb, FTDI);

        assert_null(receive(other, 200));
        udev_monitor_unref(other);
        udev_monitor_unref(m);
        udev_unref(udev);
}

static void test_udev_source(void **state)
{
        check_source(state, "udev");
}

static void test_kernel_source(void **state)
{
        check_source(state, "kernel");
}

static void test_child_process(void **state)
{
        UMockdevTestbed *tb = *state;
        int ready[2];
        pid_t pid;
        int status;
        char c;

        umd_load(tb, "usb-host.umockdev");
        umd_load(tb, "usb-ftdi-serial.umockdev");
        assert_int_equal(pipe(ready), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* The child listens for the tty, as the agent started by a
                 * test harness would. */
                struct udev *udev = udev_new();
                struct udev_monitor *m =
                        udev_monitor_new_from_netlink(udev, "udev");
                struct udev_device *u;
                int ok;

                if (!m ||
                    udev_monitor_filter_add_match_subsystem_devtype(m, "tty",
                                                                    NULL) < 0 ||
                    udev_monitor_enable_receiving(m) < 0)
                        _exit(2);
                if (write(ready[1], "r", 1) != 1)
                        _exit(3);
                u = receive(m, 5000);
                ok = u && streq(strempty(udev_device_get_action(u)), "add") &&
                     streq(udev_device_get_syspath(u), TTY) &&
                     streq(strempty(udev_device_get_devnode(u)),
                           "/dev/ttyUSB0");
                if (u)
                        udev_device_unref(u);
                udev_monitor_unref(m);
                udev_unref(udev);
                _exit(ok ? 0 : 1);
        }
        close(ready[1]);
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        umockdev_testbed_uevent(tb, TTY, "add");
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, umd_setup, umd_teardown)
                T(test_udev_source),
                T(test_kernel_source),
                T(test_child_process),
#undef T
        };

        umd_require_preload();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
