/* SPDX-License-Identifier: MIT */
/* The uevent source. While systemd-udevd runs, the agent listens to udev's
 * events: they come after udevd made the node, its permissions and its
 * by-path links, so what the agent copies into a container is complete.
 * udev's events exist only while udevd runs, though, and package upgrades
 * restart it: a monitor on udev's source hears nothing while it is away.
 * So the source follows udevd: the kernel's while it is gone, udev's again
 * when it is back, and each switch is followed by a resync, which covers
 * whatever happened between the change and its detection (one timer beat). */
#include <libudev.h>
#include <sys/epoll.h>

#include "core/daemon.h"
#include "devpass/log.h"

/* udevd uses 128 MiB: a small uevent costs 832 B of socket buffer, so the
 * kernel default (208 KiB) overflows after ~256 events in a burst. */
#define DP_MONITOR_RCVBUF (128 * 1024 * 1024)

static bool udevd_up(dp_daemon *d)
{
        return dp_hw_udevd_running() && dp_hw_udevd_pid(&d->udevd_pid) >= 0;
}

static int monitor_new(dp_daemon *d, bool udev, struct udev_monitor **ret)
{
        struct udev_monitor *m;
        int r;

        m = udev_monitor_new_from_netlink(dp_hw_udev(d->hw),
                                          udev ? "udev" : "kernel");
        if (!m)
                return log_error_errno(negative_errno(),
                                       "Cannot open uevent monitor: %m");
        r = udev_monitor_set_receive_buffer_size(
                m, d->cfg.monitor_rcvbuf > 0 ? d->cfg.monitor_rcvbuf
                                             : DP_MONITOR_RCVBUF);
        if (r < 0)
                log_warning_errno(r, "Cannot raise uevent buffer: %m");
        r = udev_monitor_enable_receiving(m);
        if (r < 0) {
                udev_monitor_unref(m);
                return log_error_errno(r, "Cannot listen for uevents: %m");
        }
        *ret = m;
        return 0;
}

int dp_daemon_monitor_open(dp_daemon *d)
{
        int r;

        d->monitor_udev = udevd_up(d);
        r = monitor_new(d, d->monitor_udev, &d->monitor);
        if (r < 0)
                return r;
        return dp_loop_add_fd(d->loop, udev_monitor_get_fd(d->monitor), EPOLLIN,
                              dp_daemon_on_uevent, d);
}

void dp_daemon_udevd_check(dp_daemon *d)
{
        struct udev_monitor *m = NULL;
        bool up = udevd_up(d);

        if (up == d->monitor_udev)
                return;
        /* the new source is listening before the old one closes */
        if (monitor_new(d, up, &m) < 0 ||
            dp_loop_add_fd(d->loop, udev_monitor_get_fd(m), EPOLLIN,
                           dp_daemon_on_uevent, d) < 0) {
                udev_monitor_unref(m);
                return; /* tried again at the next beat */
        }
        dp_loop_del_fd(d->loop, udev_monitor_get_fd(d->monitor));
        udev_monitor_unref(d->monitor);
        d->monitor = m;
        d->monitor_udev = up;
        dp_daemon_resync(d, up ? "systemd-udevd is back: udev uevents"
                               : "systemd-udevd is gone: kernel uevents");
}
