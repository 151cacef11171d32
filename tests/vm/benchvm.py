"""bench-vm: real USB keyboard hotplug, kernel uevent -> node inside the
container, against systemd-udevd's own processing of the same event.

Times come from one clock in the guest (CLOCK_MONOTONIC): udevadm monitor
stamps each KERNEL and UDEV event as it receives it, vm-stamp stamps the
node's appearance in the container's /dev.
"""

import re
import time

from checks import NODE_DEADLINE, expect

EVENT = re.compile(r"^(KERNEL|UDEV)\s*\[(\d+\.\d+)\] add\s+(\S+/event\d+) \(input\)")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def check_bench(lab, n):
    pid = lab.pid()
    lab.sh("lxc-attach -n c1 -- /bin/busybox mkdir -p /dev/input 2>/dev/null || "
           "in_ctr %s /bin/busybox mkdir -p /dev/input" % pid)
    lab.sh("setsid sh -c 'exec udevadm monitor --kernel --udev -s input "
           ">/tmp/bench-mon 2>&1' </dev/null >/dev/null 2>&1 &")
    time.sleep(1)
    stamps = []
    for i in range(n):
        lab.sh("rm -f /tmp/bench-st; setsid sh -c 'exec /mnt/share/vm-stamp %s "
               "/dev/input/vm-kbd >/tmp/bench-st' </dev/null >/dev/null 2>&1 & "
               "sleep 0.3" % pid)
        lab.plug("usb-kbd", "bkbd", bus="xhci.0", serial="dpbench")
        lab.sh("wait_for %d test -s /tmp/bench-st || die 'no node in c1'" % NODE_DEADLINE)
        stamps.append(float(lab.sh("cat /tmp/bench-st")))
        lab.unplug("bkbd")
        lab.wait_ctr("[ ! -e /dev/input/vm-kbd ]", "keyboard gone from c1")
    lab.sh("pkill -x udevadm || true")
    kern, udev = {}, {}
    order = []
    for line in lab.sh("cat /tmp/bench-mon").splitlines():
        m = EVENT.match(line)
        if not m:
            continue
        kind, t, path = m.group(1), float(m.group(2)), m.group(3)
        seen = kern if kind == "KERNEL" else udev
        key = (path, sum(1 for k in (kern if kind == "KERNEL" else udev) if k[0] == path))
        seen[key] = t
        if kind == "KERNEL":
            order.append(key)
    expect(len(order) == n, "saw %d kernel add events for %d plugs" % (len(order), n))
    dp, ud, own = [], [], []
    for key, st in zip(order, stamps):
        expect(key in udev, "no UDEV event for %s" % (key,))
        dp.append((st - kern[key]) * 1000)
        ud.append((udev[key] - kern[key]) * 1000)
        own.append((st - udev[key]) * 1000)
    res = ("kernel->node in c1 p50 %.1f ms p99 %.1f ms; udevd (UDEV-KERNEL) "
           "p50 %.1f ms p99 %.1f ms; ratio p50 %.2fx p99 %.2fx; devpass after "
           "udevd's event p50 %.1f ms p99 %.1f ms (%.2fx udevd); n=%d, TCG"
           % (pct(dp, 50), pct(dp, 99), pct(ud, 50), pct(ud, 99),
              pct(dp, 50) / pct(ud, 50), pct(dp, 99) / pct(ud, 99),
              pct(own, 50), pct(own, 99), pct(own, 50) / pct(ud, 50), n))
    lab.log("RESULT bench-vm " + res)
    return res
