"""Boots the VM lab guest under QEMU (TCG) and tears it down.

One VM at a time: TCG keeps both host cores busy.  The guest boots with
-snapshot, so nothing a test does reaches the cached image.
"""

import os
import shutil
import signal
import subprocess
import time

from qmp import QGA, QMP


class SkipVM(Exception):
    """QEMU cannot start at all on this machine."""


QEMU = "qemu-system-x86_64"


def qemu_argv(image, work, share, mode):
    v2 = "1" if mode == "v2" else "0"
    append = ("root=/dev/vda rw console=ttyS0 systemd.firstboot=off "
              "systemd.unified_cgroup_hierarchy=%s systemd.show_status=0" % v2)
    return [
        "nice", QEMU,
        "-accel", "tcg,thread=multi,tb-size=256", "-cpu", "max",
        "-machine", "q35", "-m", "2048", "-smp", "2",
        "-kernel", os.path.join(image, "vmlinuz"),
        "-initrd", os.path.join(image, "initrd.img"),
        "-append", append,
        "-drive", "file=%s,if=virtio,format=raw,cache=unsafe"
        % os.path.join(image, "root.img"),
        "-snapshot", "-display", "none", "-vga", "none",
        "-serial", "file:" + os.path.join(work, "serial.log"),
        "-qmp", "unix:%s,server=on,wait=off" % os.path.join(work, "qmp.sock"),
        "-chardev", "socket,path=%s,server=on,wait=off,id=qga0"
        % os.path.join(work, "qga.sock"),
        "-device", "virtio-serial",
        "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
        "-virtfs", "local,path=%s,mount_tag=share,security_model=none,readonly=on"
        % share,
        "-device", "virtio-gpu-pci",
        "-device", "qemu-xhci,id=xhci",
        # rp1/rp2: NICs; rp3 reserves prefetchable space for a hot-plugged
        # display (without it: "can't assign; no space").
        "-device", "pcie-root-port,id=rp1,slot=1,chassis=1",
        "-device", "pcie-root-port,id=rp2,slot=2,chassis=2",
        "-device", "pcie-root-port,id=rp3,slot=3,chassis=3,pref32-reserve=32M",
        "-nic", "none",
    ]


class VM:
    def __init__(self, image, work, share, mode, log):
        self.image, self.work, self.share, self.mode = image, work, share, mode
        self.log = log
        self.proc = None
        self.qmp = None
        self.qga = None

    def start(self, boot_deadline_s=240):
        if not shutil.which(QEMU):
            raise SkipVM("%s is not installed" % QEMU)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            qemu_argv(self.image, self.work, self.share, self.mode),
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.work, "qemu.log"), "w"),
            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.qmp = QMP(os.path.join(self.work, "qmp.sock"), 30)
        except Exception as e:
            self.kill()
            with open(os.path.join(self.work, "qemu.log")) as f:
                raise SkipVM("QEMU did not start: %s %s" % (e, f.read()[-500:]))
        self.qga = QGA(os.path.join(self.work, "qga.sock"), boot_deadline_s)
        self.log("guest agent up after %.1f s (%s)" % (time.monotonic() - t0, self.mode))

    def stop(self, deadline_s=30):
        """Powers the guest off; kills QEMU if it does not go in time."""
        if self.proc is None:
            return
        try:
            t0 = time.monotonic()
            try:
                # the agent's shutdown answers nothing: send and go
                self.qga.send({"execute": "guest-shutdown",
                               "arguments": {"mode": "powerdown"}})
            except Exception:
                self.qmp.cmd("system_powerdown", timeout=10)
            self.proc.wait(deadline_s)
            self.log("guest powered off in %.1f s" % (time.monotonic() - t0))
        except Exception:
            self.log("guest did not power off in %d s; killing QEMU" % deadline_s)
        self.kill()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def sh(self, script, timeout=120, check=True):
        code, out, err = self.qga.sh(script, timeout=timeout)
        if check and code != 0:
            raise AssertionError("guest: exit %d: %s\n--- stdout:\n%s--- stderr:\n%s"
                                 % (code, script.strip()[:400], out, err))
        return out
