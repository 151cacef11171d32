"""The VM lab's checks.  Each runs inside one booted guest, drives QEMU's
hotplug over QMP and looks at the result from inside the container.

A check raises on failure and may return a short note for the summary.
"""

import json
import os
import re
import time

LIB = ". /mnt/share/guest/lib.sh\n"
NODE_DEADLINE = 60  # seconds; TCG under a loaded host is slow


class Lab:
    def __init__(self, vm, work, log):
        self.vm, self.work, self.log = vm, work, log
        self.qmp = vm.qmp
        self.serial = 0

    def sh(self, script, timeout=180, check=True):
        return self.vm.sh(LIB + script, timeout=timeout, check=check)

    def setup(self):
        self.vm.sh("mount -t 9p -o trans=virtio,version=9p2000.L,ro share /mnt/share")
        self.sh(". /mnt/share/guest/setup.sh", timeout=300)
        self.packaged = self.sh("[ -f /mnt/share/devpass.deb ] && echo yes || true").strip() == "yes"

    def teardown(self):
        """Stops the lab's containers: their busybox init ignores SIGTERM, so
        left running they hold the guest's shutdown for systemd's 90 s."""
        self.vm.sh("for c in $(lxc-ls --running -1); do lxc-stop -k -n $c; done; "
                   "for m in $(machinectl list --no-legend | awk '{print $1}'); do "
                   "machinectl terminate $m; done; "
                   "! systemctl -q is-active docker || docker rm -f $(docker ps -aq) ; "
                   "podman rm -af -t 0", timeout=90, check=False)

    def dump_journal(self):
        out = self.vm.sh("journalctl -u devpassd --no-pager -n 25", check=False)
        self.log("devpassd journal (last 25 lines):\n" + out)

    def devices(self):
        return json.loads(self.sh("devpassctl devices --json"))

    def pid(self, ctr="c1"):
        return self.sh("lxc_pid %s" % ctr).strip()

    def ctr(self, script, ctr="c1", check=True):
        """Runs a busybox sh script inside the container, in its cgroup."""
        pid = self.pid(ctr) if not ctr.isdigit() else ctr
        return self.sh("in_ctr %s /bin/busybox sh -c %s" % (pid, quote(script)),
                       check=check)

    def wait_ctr(self, cond, what, ctr="c1"):
        pid = self.pid(ctr) if not ctr.isdigit() else ctr
        self.sh("wait_for %d in_ctr %s /bin/busybox sh -c %s || die %s"
                % (NODE_DEADLINE, pid, quote(cond), quote("timed out: " + what)))

    def plug(self, driver, dev_id, **props):
        self.qmp.cmd("device_add", driver=driver, id=dev_id, **props)

    def unplug(self, dev_id):
        self.qmp.cmd("device_del", id=dev_id)
        end = time.monotonic() + NODE_DEADLINE
        while True:
            try:
                ev = self.qmp.wait_event("DEVICE_DELETED", max(1, end - time.monotonic()))
            except TimeoutError:
                raise AssertionError("device_del %s: no DEVICE_DELETED" % dev_id)
            if ev["data"].get("device") == dev_id:
                return

    def usb_nodes(self, serial, subsystem=""):
        self.sh("wait_for %d usb_dev %s >/dev/null || die 'no USB device %s'"
                % (NODE_DEADLINE, serial, serial))
        # the nodes follow the USB device by a moment
        self.sh("wait_for %d eval '[ -n \"$(usb_nodes %s %s)\" ]' || "
                "die 'no %s node of %s'" % (NODE_DEADLINE, serial, subsystem,
                                            subsystem or "any", serial))
        return self.sh("usb_nodes %s %s" % (serial, subsystem)).split()

    def majmin(self, node):
        return self.sh("stat -Lc '%%t %%T' %s" % node).split()


def quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def _hex(pair):
    return "%d %d" % (int(pair[0], 16), int(pair[1], 16))


def check_service(lab):
    """devpassd from the shipped unit, Type=notify, start/restart/stop.

    Installed from the package, the unit is enabled and already running."""
    if lab.packaged:
        lab.sh("dpkg-query -W -f '${Status}' devpass | grep -q 'install ok installed'"
               " || die 'devpass not installed'")
        state = lab.sh("systemctl is-enabled devpassd; systemctl is-active devpassd",
                       check=False).split()
        expect(state == ["enabled", "active"], "after apt install: %s" % state)
        unit = "/lib/systemd/system/devpassd.service"
    else:
        lab.sh("systemctl start devpassd")
        unit = "/usr/local/lib/systemd/system/devpassd.service"
    show = lab.sh("systemctl show -p Type,ActiveState,MainPID,FragmentPath devpassd")
    props = dict(l.split("=", 1) for l in show.split())
    expect(props["Type"] == "notify", "Type=%s" % props["Type"])
    expect(props["ActiveState"] == "active", show)
    expect(props["FragmentPath"] == unit, "unit not the shipped one: " + props["FragmentPath"])
    lab.sh("journalctl -u devpassd --no-pager | grep -q 'devpassd ready' || die 'no ready line in journal'")
    lab.sh("systemctl restart devpassd")
    pid2 = lab.sh("systemctl show -p MainPID --value devpassd").strip()
    expect(pid2 != props["MainPID"] and pid2 != "0", "restart kept pid %s" % pid2)
    lab.sh("systemctl stop devpassd; [ \"$(systemctl is-active devpassd)\" = inactive ] || die 'still active'")
    lab.sh("systemctl start devpassd; systemctl is-active devpassd >/dev/null")
    lab.sh("wait_for 30 sh -c 'devpassctl status | grep -q \"containers *1\"' || die 'c1 not seen'")
    return "%s, pids %s -> %s" % ("package" if lab.packaged else "build tree",
                                  props["MainPID"], pid2)


def check_keyboard(lab):
    """usb-kbd into c1: node inside, open, /dev/null, unplug, EPERM, re-plug."""
    lab.plug("usb-kbd", "kbd1", bus="xhci.0", serial="dpkbd1")
    ev = lab.usb_nodes("dpkbd1", "input")
    ev = [n for n in ev if "/event" in n]
    expect(len(ev) == 1, "keyboard event nodes: %s" % ev)
    mm = _hex(lab.majmin(ev[0]))
    lab.wait_ctr("[ -c /dev/input/vm-kbd ]", "keyboard node in c1")
    st = lab.ctr("stat -c '%g %a %t:%T' /dev/input/vm-kbd").split()
    expect(st[0] == "11" and st[1] == "640", "keyboard rule not applied: %s" % st)
    lab.ctr("exec 3</dev/input/vm-kbd && echo x >/dev/null")
    hid = lab.usb_nodes("dpkbd1", "hidraw")
    lab.wait_ctr("[ -c %s ]" % hid[0], "hidraw node in c1")
    lab.ctr("exec 3<%s" % hid[0])
    lab.unplug("kbd1")
    lab.wait_ctr("[ ! -e /dev/input/vm-kbd ] && [ ! -e %s ]" % hid[0], "nodes gone from c1")
    out = lab.ctr("(mknod /tmp/k c %s && exec 3</tmp/k) 2>&1; echo rc=$?" % mm, check=False)
    expect("Operation not permitted" in out, "re-made node opened: %r" % out)
    lab.ctr("echo x >/dev/null; rm -f /tmp/k")
    lab.plug("usb-kbd", "kbd1", bus="xhci.0", serial="dpkbd1")
    lab.wait_ctr("[ -c /dev/input/vm-kbd ]", "keyboard node back in c1")
    lab.ctr("exec 3</dev/input/vm-kbd")


GRANT_ID = "dcbf6b87147f4677a8fb7ef58635b12c"  # data/catalog/devpass.catalog
REVOKE_ID = "fe0a24455959483a9f12d6710c20e439"


def _journal(lab, msg_id):
    out = lab.sh("journalctl -o json --no-pager MESSAGE_ID=%s DEVPASS_CONTAINER=lxc:c1"
                 % msg_id)
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def _metrics(lab):
    """GET /metrics with bash's /dev/tcp: the guest has no HTTP client."""
    out = lab.sh("bash -c %s" % quote(
        "exec 3<>/dev/tcp/127.0.0.1/9464; "
        "printf 'GET /metrics HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' >&3; cat <&3"))
    expect(out.startswith("HTTP/1."), "metrics answer: %r" % out[:200])
    values = {}
    for line in out.split("\r\n\r\n", 1)[-1].splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def check_records(lab):
    """The keyboard's grant and revoke in the journal, its grant in /metrics."""
    lab.wait_ctr("[ -c /dev/input/vm-kbd ]", "keyboard node in c1")
    grants = [r for r in _journal(lab, GRANT_ID)
              if "/dev/input/vm-kbd" in r.get("DEVPASS_NODES", "")]
    expect(grants, "no grant record of the keyboard for lxc:c1")
    g = grants[-1]
    expect(g.get("DEVPASS_RESULT") == "ok", "grant record: %s" % g)
    expect("50-vm.policy" in g.get("DEVPASS_RULE", ""), "grant rule: %s" % g.get("DEVPASS_RULE"))
    expect(g.get("SYSLOG_IDENTIFIER") == "devpassd" or g.get("_COMM") == "devpassd",
           "grant record not from devpassd: %s" % g.get("_COMM"))
    # the unplug in check_keyboard: the re-plugged keyboard has a new syspath
    revokes = [r for r in _journal(lab, REVOKE_ID)
               if r.get("DEVPASS_RULE") == g.get("DEVPASS_RULE")]
    expect(revokes, "no revoke record by the rule %s" % g.get("DEVPASS_RULE"))
    m = _metrics(lab)
    held = m.get('devpass_grants{container="lxc:c1",class="input"}', 0)
    expect(held >= 1, "devpass_grants for lxc:c1 input: %s" % held)
    made = m.get('devpass_grants_made_total{source="policy"}', 0)
    expect(made >= 1, "devpass_grants_made_total: %s" % made)
    return "%d grant / %d revoke records; devpass_grants{lxc:c1,input}=%d" % (
        len(grants), len(revokes), held)


def _input_caps(lab, node):
    for d in lab.devices():
        if d["class"] == "input" and any(n["path"] == node for n in d["nodes"]):
            return set(d["input"]), d["properties"]
    raise AssertionError("devpassctl devices lacks %s" % node)


def check_classify(lab):
    """Input=keyboard / Input=mouse from real evdev caps, as udev sees them."""
    lab.plug("usb-mouse", "mouse1", bus="xhci.0", serial="dpmouse1")
    lab.plug("usb-tablet", "tab1", bus="xhci.0", serial="dptab1")
    notes = []
    for serial, want in (("dpkbd1", "keyboard"), ("dpmouse1", "mouse"), ("dptab1", "mouse")):
        ev = [n for n in lab.usb_nodes(serial, "input") if "/event" in n][0]
        caps, props = _input_caps(lab, ev)
        udev = {k[len("ID_INPUT_"):].lower() for k, v in props.items()
                if k.startswith("ID_INPUT_") and v == "1"}
        expect(want in caps, "%s: devpass says %s, want %s" % (serial, sorted(caps), want))
        for kind in ("keyboard", "mouse", "tablet", "touchpad", "joystick"):
            expect((kind in caps) == (kind in udev),
                   "%s: devpass %s vs udev %s on %s" % (serial, sorted(caps), sorted(udev), kind))
        notes.append("%s=%s" % (serial, "+".join(sorted(caps))))
    # the mouse rule gave the mouse its group; the keyboard rule did not match
    ev = [n for n in lab.usb_nodes("dpmouse1", "input") if "/event" in n][0]
    lab.wait_ctr("[ -c %s ]" % ev, "mouse node in c1")
    st = lab.ctr("stat -c '%%g %%a' %s" % ev).split()
    expect(st == ["12", "600"], "mouse rule not applied: %s" % st)
    lab.unplug("mouse1")
    lab.unplug("tab1")
    return " ".join(notes)


UDEVD_UNITS = "systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-udevd.service"


def _agent_says(lab, text):
    return int(lab.sh("journalctl -u devpassd -o cat --no-pager | grep -c %s || true"
                      % quote(text)).split()[-1])


def _wait_agent_says(lab, text, count, what):
    end = time.monotonic() + NODE_DEADLINE
    while _agent_says(lab, text) < count:
        expect(time.monotonic() < end, "timed out: " + what)
        time.sleep(0.5)


def check_udevd(lab):
    """systemd-udevd stopped (a package upgrade does that) and started again:
    devpassd follows the kernel's uevents meanwhile, then udev's again, and
    a mouse hot-plugged in each phase goes into c1 and out on unplug."""
    gone, back = "systemd-udevd is gone", "systemd-udevd is back"
    n_gone, n_back = _agent_says(lab, gone), _agent_says(lab, back)
    # udevd is what loads a new device's driver module: load the HID ones
    # first, as any earlier mouse or keyboard on a real host has
    lab.sh("modprobe -a usbhid hid_generic")
    lab.sh("systemctl stop %s" % UDEVD_UNITS)
    try:
        _wait_agent_says(lab, gone, n_gone + 1, "devpassd did not notice udevd stop")
        t0 = time.monotonic()
        lab.plug("usb-mouse", "mouse9", bus="xhci.0", serial="dpmouse9")
        ev = [n for n in lab.usb_nodes("dpmouse9", "input") if "/event" in n]
        expect(len(ev) == 1, "mouse event nodes: %s" % ev)
        # no udevd: the classification comes from the evdev capabilities
        lab.wait_ctr("[ -c %s ]" % ev[0], "mouse in c1 with udevd stopped")
        stopped = time.monotonic() - t0
        st = lab.ctr("stat -c '%%g %%a' %s" % ev[0]).split()
        expect(st == ["12", "600"], "mouse rule not applied without udevd: %s" % st)
        lab.unplug("mouse9")
        lab.wait_ctr("[ ! -e %s ]" % ev[0], "mouse gone from c1 with udevd stopped")
    finally:
        lab.sh("systemctl start %s" % UDEVD_UNITS)
    _wait_agent_says(lab, back, n_back + 1, "devpassd did not notice udevd's return")
    lab.plug("usb-mouse", "mouse9", bus="xhci.0", serial="dpmouse9")
    ev = [n for n in lab.usb_nodes("dpmouse9", "input") if "/event" in n]
    lab.wait_ctr("[ -c %s ]" % ev[0], "mouse in c1 after udevd came back")
    lab.unplug("mouse9")
    lab.wait_ctr("[ ! -e %s ]" % ev[0], "mouse gone from c1 after udevd came back")
    return "plugged without udevd: in c1 after %.1f s" % stopped


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "umockdev", "fixtures")


# sysfs attributes agent/hw reads (besides capabilities/* and id/*)
HW_READS = {"dev", "idVendor", "idProduct", "serial", "busnum", "devnum", "class", "type",
            "address", "ifindex"}


def _umockdev_blocks(text):
    """{path: {"E": {key: value}, "A": {names}}} of a umockdev device file."""
    blocks, cur = {}, None
    for line in text.splitlines():
        if line.startswith("P: "):
            cur = blocks.setdefault(line[3:], {"E": {}, "A": set()})
        elif cur is not None and line[:3] in ("E: ", "A: ", "H: "):
            k, _, v = line[3:].partition("=")
            if line[0] == "E":
                cur["E"][k] = v
            else:
                cur["A"].add(k)
    return blocks


def _chain(blocks, start):
    """start's block and its parents' up to the usb_device, nearest first."""
    out, p = [], start
    while p not in ("", "/"):
        if p in blocks:  # class directories (input/, tty/) have no block
            out.append((p, blocks[p]))
            if blocks[p]["E"].get("DEVTYPE") == "usb_device":
                break
        p = os.path.dirname(p)
    return out


def _shape(name):
    """A sysfs name with its numbers (decimal or hex) as N: event5, event3."""
    return re.sub(r"[0-9A-Fa-f]*[0-9][0-9A-Fa-f]*", "N", name)


def _compare_chain(lab, fixture, start, node):
    """The umockdev fixture's device chain from `start` against the guest's
    real one for `node`: the same names (up to numbers), subsystems and
    devtypes level by level, and nothing in the fixture (uevent key,
    attribute) that the real kernel does not have."""
    want = _chain(_umockdev_blocks(open(os.path.join(FIXTURES, fixture)).read()), start)
    typ = "block" if node.startswith("/dev/sd") else "char"
    real_text = lab.sh("sysfs_chain %s %s" % (typ, ":".join(_hex(lab.majmin(node)).split())))
    real = {}
    order = []
    for line in real_text.splitlines():
        if line.startswith("P: "):
            order.append(line[3:])
            real[line[3:]] = {"E": set(), "A": set()}
        elif order and line[:3] in ("E: ", "A: "):
            real[order[-1]][line[0]].add(line[3:])
    bad = []
    expect(len(want) == len(order), "%s: %d levels in the fixture, %d in the guest: %s vs %s"
           % (fixture, len(want), len(order), [p for p, _ in want], order))
    for (fp, fb), rp in zip(want, order):
        rb, name = real[rp], os.path.basename(fp)
        if _shape(name) != _shape(os.path.basename(rp)):
            bad.append("%s named like %s" % (name, os.path.basename(rp)))
        # the class directory between levels (input/, hidraw/, tty/)
        if _shape(os.path.basename(os.path.dirname(fp))) != _shape(os.path.basename(os.path.dirname(rp))):
            bad.append("%s under %s, real under %s" % (name, os.path.dirname(fp), os.path.dirname(rp)))
        keys = set(fb["E"]) - rb["E"]
        if keys:
            bad.append("%s: uevent keys the kernel does not send: %s" % (name, sorted(keys)))
        # the attributes agent/hw reads must be where the fixture has them;
        # others depend on the device's descriptors (QEMU's FTDI has no
        # iInterface string, so no `interface`, which a real FT232R has)
        attrs = {a for a in fb["A"] if a in HW_READS or a.startswith(("capabilities/", "id/"))}
        if attrs - rb["A"]:
            bad.append("%s: attributes the kernel does not have: %s"
                       % (name, sorted(attrs - rb["A"])))
    expect(not bad, "%s against the guest: %s" % (fixture, "; ".join(bad)))
    return len(want)


def check_fixtures(lab):
    """The umockdev fixtures the unit tier trusts, against the real drivers:
    the keyboard's event and hidraw chains and the FTDI adapter's tty."""
    kbd = "/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/0003:046D:C31C.0001"
    notes = []
    lab.plug("usb-kbd", "kbd8", bus="xhci.0", serial="dpkbd8")
    ev = [n for n in lab.usb_nodes("dpkbd8", "input") if "/event" in n][0]
    hid = lab.usb_nodes("dpkbd8", "hidraw")[0]
    notes.append("keyboard event %d levels" % _compare_chain(
        lab, "usb-keyboard.umockdev", kbd + "/input/input5/event5", ev))
    notes.append("hidraw %d" % _compare_chain(
        lab, "usb-keyboard.umockdev", kbd + "/hidraw/hidraw0", hid))
    lab.unplug("kbd8")
    # usb-serial attaches once its chardev is open: null never opens
    lab.qmp.cmd("chardev-add", id="ser8",
                backend={"type": "ringbuf", "data": {"size": 4096}})
    lab.plug("usb-serial", "serdev8", bus="xhci.0", chardev="ser8", serial="dpser8")
    tty = lab.usb_nodes("dpser8", "tty")[0]
    notes.append("ftdi tty %d" % _compare_chain(
        lab, "usb-ftdi-serial.umockdev",
        "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0", tty))
    lab.unplug("serdev8")
    lab.qmp.cmd("chardev-remove", id="ser8")
    return ", ".join(notes)


def check_revoke(lab):
    """A held evdev fd is revoked on detach (read -> ENODEV); hidraw too."""
    ev = [n for n in lab.usb_nodes("dpkbd1", "input") if "/event" in n][0]
    hid = lab.usb_nodes("dpkbd1", "hidraw")[0]
    lab.wait_ctr("[ -c /dev/input/vm-kbd ] && [ -c %s ]" % hid, "nodes in c1")
    pid = lab.pid()
    lab.sh("rm -f /tmp/kerr /tmp/herr; "
           "setsid sh /mnt/share/guest/in-ctr.sh %s /bin/busybox cat /dev/input/vm-kbd </dev/null >/dev/null 2>/tmp/kerr & "
           "echo $! >/tmp/kpid; "
           "setsid sh /mnt/share/guest/in-ctr.sh %s /bin/busybox cat %s </dev/null >/dev/null 2>/tmp/herr & "
           "echo $! >/tmp/hpid; "
           "wait_for 30 eval 'devpassctl list --json | grep -q busybox' || true" % (pid, pid, hid))
    lab.sh("devpassctl detach lxc:c1 %s && devpassctl detach lxc:c1 %s" % (ev, hid))
    lab.sh("wait_for 30 grep -q 'No such device' /tmp/kerr || die \"evdev holder: $(cat /tmp/kerr)\"")
    kernel = lab.sh("uname -r").strip()
    major, minor = (int(x) for x in kernel.split(".")[:2])
    if (major, minor) >= (6, 12):
        lab.sh("wait_for 30 grep -q 'No such device' /tmp/herr || die \"hidraw holder: $(cat /tmp/herr)\"")
        note = "evdev+hidraw revoked"
    else:
        # no HIDIOCREVOKE before 6.12: the holder keeps reading, and the
        # agent says so in the journal
        lab.sh("wait_for 30 sh -c 'journalctl -u devpassd --no-pager | grep -q \"cannot be revoked\"' || die 'no warning about the hidraw holder'")
        note = "evdev revoked; hidraw kept (kernel %s < 6.12, warned)" % kernel
    # each holder leads its own process group (setsid)
    lab.sh("kill -- -$(cat /tmp/kpid) -$(cat /tmp/hpid) 2>/dev/null || true")
    lab.unplug("kbd1")
    return note


def check_serial(lab):
    """FTDI usb-serial on a ringbuf chardev: ttyUSB node inside, writes arrive;
    Forward=yes: a udev monitor in c1's network namespace sees it come and go."""
    pid = lab.pid()
    # udevd's own events stay in the host's netns: what arrives here is
    # devpass's forwarding
    lab.sh("rm -f /tmp/fwd.log; setsid -f nsenter -t %s -n udevadm monitor --udev "
           "--property --subsystem-match=tty >/tmp/fwd.log 2>&1 </dev/null; "
           "wait_for 20 grep -q 'UDEV - the event' /tmp/fwd.log" % pid)
    lab.qmp.cmd("chardev-add", id="ser1",
                backend={"type": "ringbuf", "data": {"size": 4096}})
    lab.plug("usb-serial", "serdev1", bus="xhci.0", chardev="ser1", serial="dpser1")
    tty = lab.usb_nodes("dpser1", "tty")
    expect(len(tty) == 1 and "ttyUSB" in tty[0], "FTDI nodes: %s" % tty)
    lab.wait_ctr("[ -c /dev/ttyVM0 ]", "ttyVM0 in c1")
    lab.ctr("printf devpass-vm-serial >/dev/ttyVM0")
    end = time.monotonic() + NODE_DEADLINE
    got = ""
    while "devpass-vm-serial" not in got and time.monotonic() < end:
        got += lab.qmp.cmd("ringbuf-read", device="ser1", size=4096, format="utf8")
        time.sleep(0.2)
    expect("devpass-vm-serial" in got, "serial wrote %r" % got)
    mm = "c%s:%s" % tuple(_hex(lab.majmin(tty[0])).split())
    lab.wait_ctr("[ -f /run/udev/data/%s ]" % mm, "udev record %s in c1" % mm)
    lab.sh("wait_for %d grep -q '^ACTION=add' /tmp/fwd.log || "
           "die \"no add event in c1: $(cat /tmp/fwd.log)\"" % NODE_DEADLINE)
    lab.unplug("serdev1")
    lab.wait_ctr("[ ! -e /dev/ttyVM0 ]", "ttyVM0 gone from c1")
    lab.sh("wait_for %d grep -q '^ACTION=remove' /tmp/fwd.log || "
           "die \"no remove event in c1: $(cat /tmp/fwd.log)\"" % NODE_DEADLINE)
    events = lab.sh("grep -c '^ACTION=' /tmp/fwd.log; pkill -x udevadm || true")
    lab.qmp.cmd("chardev-remove", id="ser1")
    return "%s; %s events forwarded" % (tty[0], events.split()[0])


def check_storage(lab):
    """usb-storage: the disk inside reads the host file's bytes; unplug: gone."""
    img = os.path.join(lab.work, "disk1.img")
    with open(img, "wb") as f:
        f.write(b"devpass-vm-disk!".ljust(8 << 20, b"\0"))
    lab.qmp.cmd("blockdev-add", driver="raw", **{"node-name": "disk1"},
                file={"driver": "file", "filename": img})
    lab.plug("usb-storage", "stor1", bus="xhci.0", drive="disk1", serial="dpstor1")
    blk = lab.usb_nodes("dpstor1", "block")
    lab.wait_ctr("[ -b /dev/vmdisk ]", "vmdisk in c1")
    head = lab.ctr("/bin/busybox head -c 16 /dev/vmdisk")
    expect(head == "devpass-vm-disk!", "disk read %r" % head)
    lab.unplug("stor1")
    lab.wait_ctr("[ ! -e /dev/vmdisk ]", "vmdisk gone from c1")
    lab.qmp.cmd("blockdev-del", **{"node-name": "disk1"})
    return blk[0]


def check_drm(lab):
    """virtio-gpu card0+renderD128 (boot) and a hot-plugged bochs-display."""
    lab.wait_ctr("[ -c /dev/dri/card0 ] && [ -c /dev/dri/renderD128 ]", "virtio-gpu nodes in c1")
    lab.ctr("exec 3<>/dev/dri/renderD128 && exec 4<>/dev/dri/card0")
    links = lab.ctr("ls /dev/dri/by-path 2>&1 || true").split()
    before = set(lab.sh("ls /dev/dri").split())
    lab.plug("bochs-display", "gpu2", bus="rp3")
    lab.sh("wait_for %d eval '[ $(ls /dev/dri | wc -l) -gt %d ]' || die 'no bochs card'"
           % (NODE_DEADLINE, len(before)))
    lab.sh("udevadm settle -t 30 || true")
    card = sorted(set(lab.sh("ls /dev/dri").split()) - before)
    card = [c for c in card if c.startswith("card")]
    expect(len(card) == 1, "new DRM nodes: %s" % card)
    lab.wait_ctr("[ -c /dev/dri/%s ]" % card[0], "bochs %s in c1" % card[0])
    lab.ctr("exec 3<>/dev/dri/%s" % card[0])
    expect(any(l.endswith("-card") for l in links), "by-path links inside: %s" % links)
    mm = _hex(lab.majmin("/dev/dri/" + card[0]))
    # a PCIe hot-unplug: pciehp's attention button wait (5 s) first. Not
    # lab.unplug(): QEMU's DEVICE_DELETED for it did not come within a
    # minute in this guest, though the guest had removed the device.
    t0 = time.monotonic()
    lab.qmp.cmd("device_del", id="gpu2")
    lab.wait_ctr("[ ! -e /dev/dri/%s ]" % card[0], "bochs %s gone from c1" % card[0])
    gone = time.monotonic() - t0
    out = lab.ctr("(mknod /tmp/g c %s && exec 3<>/tmp/g) 2>&1; echo rc=$?; rm -f /tmp/g" % mm,
                  check=False)
    # ENXIO/ENODEV would mean the cgroup let it through to a gone device
    expect("Operation not permitted" in out, "re-made %s opened: %r" % (card[0], out))
    return "by-path: %s; hotplug %s, unplugged in %.1f s" % (" ".join(links), card[0], gone)


NIC_MAC = "52:54:00:d9:a5:01"
NIC_POLICY = """[Match]
Class=net
PCI=%s
[Target]
Container=lxc:c1
[Grant]
InterfaceName=lan0
"""


def _nic_home(lab, name, what):
    lab.sh("wait_for %d eval '[ \"$(cat /sys/class/net/%s/address)\" = %s ]' || "
           "die \"%s: $(ip -br link)\"" % (NODE_DEADLINE, name, NIC_MAC, what))


def _nic_inside(lab, what):
    lab.wait_ctr("ip link show lan0 | grep -q %s" % NIC_MAC, what)


def check_nic(lab):
    """e1000e by PCI= with InterfaceName=; container killed -> home with its
    name and MAC; also when devpassd is SIGKILLed as the container dies."""
    lab.qmp.cmd("netdev_add", type="user", id="n1", restrict=True)
    lab.plug("e1000e", "nic1", bus="rp1", netdev="n1", mac=NIC_MAC)
    lab.sh("wait_for %d eval 'grep -l %s /sys/class/net/*/address' >/dev/null || die 'no e1000e'"
           % (NODE_DEADLINE, NIC_MAC))
    lab.sh("udevadm settle -t 30 || true")
    name = lab.sh("basename $(dirname $(grep -l %s /sys/class/net/*/address))" % NIC_MAC).strip()
    expect(name.startswith("en"), "udev did not rename the NIC: %s" % name)
    pci = lab.sh("basename $(readlink -f /sys/class/net/%s/device)" % name).strip()
    lab.sh("cat >/etc/devpass/policy.d/60-vm-nic.policy <<'E'\n%sE\ndevpassctl reload"
           % (NIC_POLICY % pci))
    _nic_inside(lab, "lan0 in c1")
    lab.sh("lxc-stop -k -n c1")
    _nic_home(lab, name, "after lxc-stop -k")
    lab.sh("lxc-start -n c1 -d && wait_for 60 lxc_pid c1 >/dev/null")
    _nic_inside(lab, "lan0 in restarted c1")
    # the agent dies with the container: the kernel hands the NIC back as
    # lan0; the restarted agent must still give it its name back
    lab.sh("systemctl kill -s KILL devpassd; lxc-stop -k -n c1")
    lab.sh("wait_for 60 eval '[ \"$(systemctl is-active devpassd)\" = active ]' || die 'not restarted'")
    _nic_home(lab, name, "after kill -9 of devpassd")
    lab.sh("rm /etc/devpass/policy.d/60-vm-nic.policy && devpassctl reload")
    lab.sh("lxc-start -n c1 -d && wait_for 60 lxc_pid c1 >/dev/null")
    lab.unplug("nic1")
    lab.qmp.cmd("netdev_del", id="n1")
    return "%s at %s" % (name, pci)


def check_kill_midgrant(lab):
    """devpassd SIGKILLed by systemd right after a plug: converges, no leak."""
    lab.sh("wait_for 60 eval 'devpassctl status | grep -q \"containers *1\"'")
    lab.plug("usb-kbd", "kbd2", bus="xhci.0", serial="dpkbd2")
    lab.sh("wait_for 30 usb_dev dpkbd2 >/dev/null; systemctl kill -s KILL devpassd")
    lab.sh("wait_for 60 eval '[ \"$(systemctl is-active devpassd)\" = active ]' || die 'not restarted'")
    lab.wait_ctr("[ -c /dev/input/vm-kbd ]", "keyboard in c1 after the restart")
    lab.ctr("exec 3</dev/input/vm-kbd")
    lab.unplug("kbd2")
    lab.wait_ctr("[ ! -e /dev/input/vm-kbd ]", "keyboard gone from c1")
    lab.sh("wait_for 30 eval '! devpassctl list | grep -q 0627'"
           " || die \"grant left: $(devpassctl list)\"")
    left = lab.sh("grep -l 0627 /run/devpass/grants/*.json 2>/dev/null || true").strip()
    expect(not left, "ledger left: %s" % left)
    restarts = lab.sh("systemctl show -p NRestarts --value devpassd").strip()
    return "NRestarts=%s" % restarts


def _nspawn_opens(lab, pid, path, what):
    out = lab.ctr("(exec 3<%s) 2>&1; echo rc=$?" % path, ctr=pid, check=False)
    expect("rc=0" in out, "%s: open %s in n1: %r" % (what, path, out))


def check_nspawn(lab):
    """A keyboard attached into an nspawn machine registered with machined:
    granted through systemd (DeviceAllow= on machine-n1.scope), so that it
    survives systemd's daemon-reload and set-property re-applying the
    scope's device program; detach: EPERM again."""
    lab.sh("mk_nspawn n1 || die \"n1 did not start: $(journalctl -u dpvm-n1 --no-pager | tail -5)\"")
    pid = lab.sh("machine_pid n1").strip()
    unit = lab.sh("machinectl show n1 -p Unit --value").strip()
    expect(unit == "machine-n1.scope", "machined's unit of n1: %r" % unit)
    lab.plug("usb-kbd", "kbd3", bus="xhci.0", serial="dpkbd3")
    ev = [n for n in lab.usb_nodes("dpkbd3", "input") if "/event" in n][0]
    mm = _hex(lab.majmin(ev))
    lab.sh("devpassctl attach nspawn:n1 %s --path /dev/input/n1-kbd" % ev)
    lab.wait_ctr("[ -c /dev/input/n1-kbd ]", "keyboard in n1", ctr=pid)
    lab.ctr("exec 3</dev/input/n1-kbd && echo x >/dev/null", ctr=pid)
    cg = lab.sh("sed -n 's/^0:://p' /proc/%s/cgroup" % pid).strip()
    allow = ", ".join(lab.sh("systemctl show -p DeviceAllow --value %s" % unit).strip().split("\n"))
    # systemd re-applies the scope's device program from its own settings:
    # a grant that lives only in a program devpass attached is lost here
    t0 = time.monotonic()
    lab.sh("systemctl daemon-reload")
    _nspawn_opens(lab, pid, "/dev/input/n1-kbd", "after daemon-reload")
    lab.sh("systemctl set-property %s CPUWeight=200" % unit)
    _nspawn_opens(lab, pid, "/dev/input/n1-kbd", "after set-property CPUWeight=200")
    t1 = time.monotonic() - t0
    grants = [g for g in json.loads(lab.sh("devpassctl list --json"))
              if g["container"] == "nspawn:n1"]
    expect(len(grants) == 1, "grants of nspawn:n1: %s" % grants)
    g = grants[0]
    expect(g.get("systemd_unit") == unit,
           "systemd_unit %r, cgroup_why %r" % (g.get("systemd_unit"), g.get("cgroup_why")))
    # the same keyboard in LXC's c1 (the VM policy grants it there): not a
    # unit systemd restricts, so devpass's own program, as before
    lxc = [x for x in json.loads(lab.sh("devpassctl list --json"))
           if x["container"] == "lxc:c1" and x["device"] == g["device"]]
    for x in lxc:
        expect(x.get("systemd_unit") is None and
               x.get("cgroup_why", "").endswith(": devpass BPF program"),
               "lxc:c1 grant: %r, %r" % (x.get("systemd_unit"), x.get("cgroup_why")))
    why_lxc = lxc[0]["cgroup_why"] if lxc else "no lxc:c1 grant"
    # the unit's entry rewritten behind devpass's back (read-only now): the
    # agent's verify pass puts "rw" back and says so
    entry = "/dev/char/%s" % mm.replace(" ", ":")
    lab.sh("systemctl set-property --runtime %s 'DeviceAllow=%s r'" % (unit, entry))
    t0 = time.monotonic()
    lab.wait_ctr("exec 3<>/dev/input/n1-kbd", "DeviceAllow= rw repaired", ctr=pid)
    t2 = time.monotonic() - t0
    lab.sh("wait_for 30 sh -c 'journalctl -u devpassd --no-pager | "
           "grep -q \"DeviceAllow= of %s lost\"' || die 'no repair line'" % unit)
    # a node made from the host (the container cannot mknod it) outlives
    # the detach: opening it must fail once the grant is gone. In /dev:
    # nspawn mounts /tmp nodev, which would refuse the open (EACCES) first
    lab.sh("mknod /proc/%s/root/dev/dpvm-k c %s" % (pid, mm))
    _nspawn_opens(lab, pid, "/dev/dpvm-k", "host-made node before detach")
    lab.sh("devpassctl detach nspawn:n1 %s" % ev)
    lab.wait_ctr("[ ! -e /dev/input/n1-kbd ]", "keyboard gone from n1", ctr=pid)
    out = lab.ctr("(exec 3</dev/dpvm-k) 2>&1; echo rc=$?", ctr=pid, check=False)
    expect("Operation not permitted" in out, "open after detach in n1: %r" % out)
    left = lab.sh("systemctl show -p DeviceAllow --value %s" % unit).strip()
    expect(entry not in left,
           "DeviceAllow= after detach: %s" % left)
    lab.unplug("kbd3")
    # nspawn's own program refuses the mknod already; LXC's allows it
    out = lab.ctr("(mknod /tmp/k2 c %s && exec 3</tmp/k2) 2>&1; echo rc=$?" % mm,
                  ctr=pid, check=False)
    expect("Operation not permitted" in out, "re-made node opened in n1: %r" % out)
    lab.sh("systemctl stop dpvm-n1")
    return ("cgroup %s; unit %s; DeviceAllow %s; kept over reload+set-property "
            "(%.1f s); rewritten entry repaired in %.1f s; lxc:c1: %s" % (
                cg, unit, allow, t1, t2, why_lxc))


def _check_oci(lab, engine):
    """A loop disk attached by devpassctl into a Docker or Podman container
    (systemd cgroup driver: the runtime's own device program on a systemd
    scope): reads inside, detach, a re-made node is refused."""
    name = engine[0] + "1"
    ref = "%s:%s" % (engine, name)
    lab.sh("oci_start %s %s" % (engine, name), timeout=300)
    pid = lab.sh("oci_pid %s %s" % (engine, name)).strip()
    cg = lab.sh("sed -n 's/^0:://p' /proc/%s/cgroup" % pid).strip()
    rt = lab.sh("docker info -f '{{.DefaultRuntime}}'" if engine == "docker"
                else "podman info -f '{{.Host.OCIRuntime.Name}}'").strip()
    loop = lab.sh("truncate -s 1M /tmp/%s.img && printf devpass-vm-%s! | "
                  "dd of=/tmp/%s.img conv=notrunc 2>/dev/null && losetup -f --show /tmp/%s.img"
                  % (name, engine, name, name)).strip()
    mm = _hex(lab.majmin(loop))
    try:
        lab.sh("devpassctl attach %s %s --path /dev/xdisk" % (ref, loop))
        lab.wait_ctr("[ -b /dev/xdisk ]", "%s in %s" % (loop, ref), ctr=pid)
        head = lab.ctr("/bin/busybox head -c %d /dev/xdisk" % len("devpass-vm-%s!" % engine),
                       ctr=pid)
        expect(head == "devpass-vm-%s!" % engine, "%s read %r" % (ref, head))
        lab.ctr("echo x >/dev/null", ctr=pid)
        # systemd rebuilds the scope's own device program on these
        unit = os.path.basename(cg.split("/container")[0])
        grants = [g for g in json.loads(lab.sh("devpassctl list --json"))
                  if g.get("container") == ref]
        expect(grants, "%s: no grant listed" % ref)
        # runc leaves DevicePolicy=strict on docker's scope (systemd puts
        # its program in on the next reload: both ways); Podman's scope is
        # DevicePolicy=auto, crun's program alone restricts
        if engine == "docker":
            expect(grants[0].get("systemd_unit") == unit and "beside" in grants[0]["cgroup_why"],
                   "%s: grant not through %s and devpass's program: %s" % (ref, unit, grants[0]))
        else:
            expect(grants[0].get("systemd_unit") is None and
                   "DevicePolicy=auto" in grants[0]["cgroup_why"],
                   "%s: %s" % (ref, grants[0].get("cgroup_why")))
        lab.sh("systemctl daemon-reload && systemctl set-property --runtime %s CPUWeight=200"
               % unit)
        out = lab.ctr("/bin/busybox head -c 1 /dev/xdisk 2>&1 >/dev/null; echo rc=$?",
                      ctr=pid, check=False)
        expect(out.strip().endswith("rc=0"),
               "%s after daemon-reload + set-property %s: %r" % (ref, unit, out))
        reload_note = "%s; opens after daemon-reload + set-property" % grants[0]["cgroup_why"]
        lab.sh("devpassctl detach %s %s" % (ref, loop))
        lab.wait_ctr("[ ! -e /dev/xdisk ]", "%s gone from %s" % (loop, ref), ctr=pid)
        out = lab.ctr("(mknod /tmp/x b %s && /bin/busybox head -c 1 /tmp/x) 2>&1; echo rc=$?"
                      % mm, ctr=pid, check=False)
        expect("Operation not permitted" in out, "re-made node read in %s: %r" % (ref, out))
    finally:
        lab.sh("%s rm -f %s >/dev/null; losetup -d %s" % (engine, name, loop), check=False)
    return "%s, cgroup %s; %s" % (rt, cg, reload_note)


def check_docker(lab):
    return _check_oci(lab, "docker")


def check_podman(lab):
    return _check_oci(lab, "podman")


ENGINES = ("docker:e1", "podman:e2", "nspawn:e3")
ENGINES_POLICY = """[Match]
Class=block
Attribute=size=%d
[Target]
Container=""" + " ".join(ENGINES) + """
[Grant]
Access=rw
Mode=0660
"""


def _engines_start(lab, again=False):
    """e1 (Docker, runc), e2 (Podman, crun, user namespace: --uidmap) and
    the nspawn machine e3 (user namespace: --private-users=pick); again:
    the same containers started once more.
    Their leader pids by reference."""
    if again:
        lab.sh("docker start e1 >/dev/null && podman start e2 >/dev/null", timeout=300)
    else:
        lab.sh("oci_start docker e1", timeout=300)
        lab.sh("oci_start podman e2 --uidmap 0:200000:65536 --gidmap 0:200000:65536",
               timeout=300)
    # a network namespace of its own, for the veth to move into, and a
    # user namespace (nspawn picks the range and chowns the tree to it)
    lab.sh("mk_nspawn e3 --private-network --private-users=pick "
           "--private-users-ownership=chown || "
           "die \"e3 did not start: $(journalctl -u dpvm-e3 --no-pager | tail -5)\"")
    pids = {}
    for ref in ENGINES:
        engine, name = ref.split(":")
        get = ("machine_pid %s" % name if engine == "nspawn"
               else "oci_pid %s %s" % (engine, name))
        pids[ref] = lab.sh("wait_for 60 eval '[ \"$(%s)\" -gt 0 ]' && %s" % (get, get)).strip()
    return pids


def _engines_stop(lab):
    """Each container stopped: its grants leave the ledger."""
    lab.sh("docker stop -t 0 e1 >/dev/null; podman stop -t 0 e2 >/dev/null; "
           "machinectl kill -s KILL e3; systemctl kill -s KILL dpvm-e3 || true; "
           "wait_for 60 eval '! systemctl -q is-active dpvm-e3'; "
           "systemctl reset-failed dpvm-e3 2>/dev/null || true", timeout=120)
    for ref in ENGINES:
        lab.sh("wait_for %d eval '! devpassctl list --json | grep -q \"\\\"%s\\\"\"' || "
               "die '%s stopped, its grant still listed'" % (NODE_DEADLINE, ref, ref))


def _engines_have(lab, pids, node, marker, what):
    for ref, pid in pids.items():
        lab.wait_ctr("[ -b %s ]" % node, "%s in %s %s" % (node, ref, what), ctr=pid)
        got = lab.ctr("/bin/busybox head -c %d %s" % (len(marker), node), ctr=pid)
        expect(got == marker, "%s %s: read %r from %s" % (ref, what, got, node))


def check_engines(lab):
    """The agent's own work for Docker (runc), Podman (crun, --uidmap) and
    an nspawn machine (--private-users), all on systemd scopes: a policy
    grants a loop disk
    present before it (coldplug on reload), a second one plugged later
    (hotplug) and removes it on unplug; a stopped container leaves the
    ledger; containers started while the agent is down get the disk when
    it comes back; daemon-reload keeps it; a veth end goes into each
    container and back by devpassctl."""
    sectors = 3001
    loops = {}

    def disk(i):
        marker = "devpass-engines-%d!" % i
        loops[i] = lab.sh("truncate -s %d /tmp/eng%d.img && printf %s | dd of=/tmp/eng%d.img "
                          "conv=notrunc 2>/dev/null && losetup -f --show /tmp/eng%d.img"
                          % (sectors * 512, i, marker, i, i)).strip()
        return loops[i], marker

    try:
        pids = _engines_start(lab)
        uid0 = {ref: lab.sh("awk '$1 == 0 {print $2}' /proc/%s/uid_map" % pid).strip()
                for ref, pid in pids.items()}
        expect(uid0["podman:e2"] == "200000" and uid0["nspawn:e3"] not in ("", "0"),
               "user namespaces: root inside is host uid %s" % uid0)
        l1, m1 = disk(1)
        lab.sh("cat >/etc/devpass/policy.d/60-vm-engines.policy <<'E'\n%sE\n"
               "devpassctl reload" % (ENGINES_POLICY % sectors))
        _engines_have(lab, pids, l1, m1, "(coldplug on reload)")
        t0 = time.monotonic()
        l2, m2 = disk(2)
        _engines_have(lab, pids, l2, m2, "(hotplug)")
        t_hot = time.monotonic() - t0
        units = {g["container"]: re.sub(r"[0-9a-f]{64}", lambda m: m.group(0)[:12],
                                        g.get("systemd_unit") or "-")
                 for g in json.loads(lab.sh("devpassctl list --json"))
                 if g["container"] in ENGINES}
        lab.sh("losetup -d %s" % loops.pop(2))
        for ref, pid in pids.items():
            lab.wait_ctr("[ ! -e %s ]" % l2, "%s gone from %s" % (l2, ref), ctr=pid)
        _engines_stop(lab)
        lab.sh("systemctl stop devpassd")
        pids = _engines_start(lab, again=True)
        lab.sh("systemctl start devpassd")
        _engines_have(lab, pids, l1, m1, "(coldplug at agent start)")
        lab.sh("systemctl daemon-reload")
        for ref, pid in pids.items():
            out = lab.ctr("/bin/busybox head -c 1 %s >/dev/null 2>&1; echo rc=$?" % l1,
                          ctr=pid, check=False)
            expect(out.strip().endswith("rc=0"), "%s after daemon-reload: %r" % (ref, out))
        # daemon-reexec (a systemd upgrade) closes the agent's connection
        # to PID 1: a detach and an attach through systemd must still work
        lab.sh("systemctl daemon-reexec")
        e3 = pids["nspawn:e3"]
        entry = "/dev/block/%s" % _hex(lab.majmin(l1)).replace(" ", ":")
        lab.sh("devpassctl detach nspawn:e3 %s" % l1)
        lab.wait_ctr("[ ! -e %s ]" % l1, "%s gone from nspawn:e3" % l1, ctr=e3)
        left = lab.sh("systemctl show -p DeviceAllow --value machine-e3.scope")
        expect(entry not in left, "DeviceAllow= after detach: %s" % left.strip())
        lab.sh("devpassctl attach nspawn:e3 %s" % l1)
        _engines_have(lab, {"nspawn:e3": e3}, l1, m1, "(attach after daemon-reexec)")
        for ref, pid in pids.items():
            lab.sh("ip link add dpe0 type veth peer name dpe0p")
            mac = lab.sh("cat /sys/class/net/dpe0/address").strip()
            lab.sh("devpassctl attach %s net:dpe0 --name eth7" % ref)
            lab.wait_ctr("/bin/busybox ip link show eth7 | /bin/busybox grep -q %s" % mac,
                         "eth7 in %s" % ref, ctr=pid)
            lab.sh("! ip link show dpe0 >/dev/null 2>&1 || die 'dpe0 still on the host'")
            lab.sh("devpassctl detach %s net:dpe0" % ref)
            lab.sh("wait_for 30 eval '[ \"$(cat /sys/class/net/dpe0/address)\" = %s ]' || "
                   "die 'dpe0 not back from %s: '\"$(ip -br link)\"" % (mac, ref))
            lab.sh("ip link del dpe0")
    finally:
        lab.sh("rm -f /etc/devpass/policy.d/60-vm-engines.policy; devpassctl reload; "
               "ip link del dpe0 2>/dev/null; docker rm -f e1 >/dev/null; "
               "podman rm -f -t 0 e2 >/dev/null; machinectl kill -s KILL e3; "
               "systemctl kill -s KILL dpvm-e3; systemctl reset-failed dpvm-e3; "
               "for l in %s; do losetup -d $l; done" % " ".join(loops.values()),
               timeout=120, check=False)
    return "hotplug into all three in %.1f s; units %s; root inside = host uid %s; " \
           "coldplug, stop, agent restart, daemon-reload, daemon-reexec, veth in/out" % (
               t_hot, ", ".join("%s=%s" % (r, units.get(r, "?")) for r in ENGINES),
               ", ".join("%s" % uid0[r] for r in ENGINES))


def check_lxc_systemd_layout(lab):
    """An LXC container laid out as a systemd inside lays out its cgroups:
    the init in init.scope and a service in system.slice, made before the
    grant. The grant goes to LXC's lxc.payload.NAME, where LXC's
    deny-by-default program sits, and opens in both; after the detach a
    host-made node is refused in both."""
    # laid out before devpassd first sees c2, as systemd does at its start
    lab.sh("systemctl stop devpassd && mk_lxc c2 && lxc-start -n c2 -d && "
           "wait_for 60 lxc_pid c2 >/dev/null")
    loop = ""
    try:
        pid = lab.pid("c2")
        cg = "/sys/fs/cgroup" + lab.sh("sed -n 's/^0:://p' /proc/%s/cgroup" % pid).strip()
        lab.sh("mkdir %s/init.scope %s/system.slice %s/system.slice/dpt.service && "
               "for q in $(cat %s/cgroup.procs); do echo $q >%s/init.scope/cgroup.procs; done"
               % ((cg,) * 5))
        lab.sh("systemctl start devpassd && wait_for 30 devpassctl status >/dev/null")
        loop = lab.sh("truncate -s 1M /tmp/c2.img && losetup -f --show /tmp/c2.img").strip()
        mm = _hex(lab.majmin(loop))
        svc = ("sh -c 'echo $$ >%s/system.slice/dpt.service/cgroup.procs && exec nsenter "
               "-t %s -m /bin/busybox sh -c \"(exec 3<%%s) 2>&1; echo rc=\\$?\"'" % (cg, pid))
        lab.sh("devpassctl attach lxc:c2 %s --path /dev/xd" % loop)
        grant = [g for g in json.loads(lab.sh("devpassctl list --json"))
                 if g["container"] == "lxc:c2"]
        expect(grant and grant[0]["cgroup_path"] == cg,
               "lxc:c2 granted in %s, not LXC's cgroup %s" % (
                   grant[0]["cgroup_path"] if grant else None, cg))
        out = lab.ctr("(exec 3</dev/xd) 2>&1; echo rc=$?", ctr=pid, check=False)
        expect(out.strip().endswith("rc=0"), "open in init.scope: %r" % out)
        out = lab.sh(svc % "/dev/xd", check=False)
        expect(out.strip().endswith("rc=0"), "open in system.slice/dpt.service: %r" % out)
        lab.sh("mknod /proc/%s/root/dev/xd2 b %s" % (pid, mm))
        lab.sh("devpassctl detach lxc:c2 %s" % loop)
        out = lab.ctr("(exec 3</dev/xd2) 2>&1; echo rc=$?", ctr=pid, check=False)
        expect("Operation not permitted" in out, "init.scope after detach: %r" % out)
        out = lab.sh(svc % "/dev/xd2", check=False)
        expect("Operation not permitted" in out, "service after detach: %r" % out)
    finally:
        lab.sh("lxc-stop -k -n c2; %s; systemctl start devpassd"
               % ("losetup -d %s" % loop if loop else "true"), timeout=90, check=False)
    return "granted at %s: opens in init.scope and system.slice/dpt.service, EPERM " \
           "in both after detach" % cg


def for_mode(mode):
    v2 = [("service", check_service), ("keyboard", check_keyboard),
          ("records", check_records),
          ("classify", check_classify), ("revoke", check_revoke),
          ("serial", check_serial), ("storage", check_storage),
          ("drm", check_drm), ("nic", check_nic),
          ("kill-midgrant", check_kill_midgrant), ("udevd", check_udevd),
          ("nspawn", check_nspawn), ("docker", check_docker), ("podman", check_podman),
          ("engines", check_engines), ("lxc-systemd-layout", check_lxc_systemd_layout),
          ("fixtures", check_fixtures)]
    if mode == "v2":
        return v2
    # hybrid: what the v1 devices controller governs (classification and
    # the fixtures do not depend on it); nspawn here needs the unified
    # hierarchy and crun refuses hybrid cgroups
    return [c for c in v2 if c[0] in ("service", "keyboard", "records", "revoke", "serial",
                                      "storage", "drm", "nic", "kill-midgrant", "udevd")]
