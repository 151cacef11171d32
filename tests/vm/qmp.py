"""Small clients for QEMU's monitor (QMP) and the guest agent (QGA).

Both speak newline-delimited JSON over a unix socket.  Only the standard
library is used so that the VM tier needs nothing beyond python3.
"""

import base64
import json
import socket
import time


class ProtocolError(Exception):
    pass


class _JsonSocket:
    def __init__(self, path, deadline_s):
        end = time.monotonic() + deadline_s
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)
        self.buf = b""

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def recv(self, timeout):
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ProtocolError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        # QGA may send a 0xff sync byte before a reply; skip it.
        return json.loads(line.lstrip(b"\xff").decode())

    def close(self):
        self.sock.close()


class QMP(_JsonSocket):
    """QEMU monitor: hotplug and power control."""

    def __init__(self, path, deadline_s=30):
        super().__init__(path, deadline_s)
        self.events = []
        greeting = self.recv(deadline_s)
        if "QMP" not in greeting:
            raise ProtocolError("no QMP greeting: %r" % greeting)
        self.cmd("qmp_capabilities")

    def cmd(self, name, timeout=60, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.send(msg)
        while True:
            reply = self.recv(timeout)
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise ProtocolError("%s: %s" % (name, reply["error"].get("desc")))
            return reply.get("return")

    def wait_event(self, name, timeout):
        end = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["event"] == name:
                    return self.events.pop(i)
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no QMP event " + name)
            try:
                self.events.append(self.recv(left))
            except socket.timeout:
                pass


class QGA(_JsonSocket):
    """qemu-guest-agent: runs commands in the guest."""

    def __init__(self, path, deadline_s):
        super().__init__(path, 10)
        end = time.monotonic() + deadline_s
        # The agent starts late in boot; guest-sync-delimited answers once it
        # runs and also flushes anything a previous client left half-read.
        while True:
            token = int(time.monotonic() * 1000) & 0x7FFFFFFF
            try:
                self.sock.sendall(b"\xff")
                self.send({"execute": "guest-sync-delimited", "arguments": {"id": token}})
                while True:
                    reply = self.recv(3)
                    if reply.get("return") == token:
                        return
            except (socket.timeout, ProtocolError, json.JSONDecodeError):
                if time.monotonic() > end:
                    raise TimeoutError("guest agent did not answer")
                if isinstance(self.sock, socket.socket):
                    self.close()
                super().__init__(path, 10)

    def cmd(self, name, timeout=30, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.send(msg)
        reply = self.recv(timeout)
        if "error" in reply:
            raise ProtocolError("%s: %s" % (name, reply["error"].get("desc")))
        return reply.get("return")

    def run(self, argv, timeout=60, stdin=None):
        """Runs argv in the guest; returns (exit code, stdout, stderr)."""
        args = {"path": argv[0], "arg": argv[1:], "capture-output": True}
        if stdin is not None:
            args["input-data"] = base64.b64encode(stdin.encode()).decode()
        pid = self.cmd("guest-exec", **args)["pid"]
        end = time.monotonic() + timeout
        delay = 0.05
        while True:
            st = self.cmd("guest-exec-status", pid=pid)
            if st.get("exited"):
                break
            if time.monotonic() > end:
                raise TimeoutError("guest command timed out: %s" % " ".join(argv))
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

        def text(key):
            return base64.b64decode(st.get(key, "")).decode(errors="replace")

        code = st.get("exitcode", -st.get("signal", 1) if "signal" in st else 1)
        return code, text("out-data"), text("err-data")

    def sh(self, script, timeout=60):
        return self.run(["/bin/sh", "-c", script], timeout=timeout)
