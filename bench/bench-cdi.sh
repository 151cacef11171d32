#!/bin/bash
# CDI spec-update latency through devpassd (as root):
#   bench/bench-cdi.sh [--devpassd PATH] [--loop INDEX] [-n PLUGS] [--quick]
# A policy exports loop devices over this run's backing file
# (Container=cdi). Each plug attaches the file to one of two loop devices of
# our own (LOOP_SET_FD, alternating, so every plug is a re-plug under a new
# minor) and times, from just before the ioctl (the close after it
# included), until the spec file renamed
# into the CDI dir names the new minor; each unplug (LOOP_CLR_FD) until the
# spec is gone. Baseline: the same ioctl until the kernel's uevent for that
# device reaches a netlink socket of our own (what any agent waits for).
# Prints p50/p99 and a RESULT line against the 100 ms target (median).
# Removes its loop devices, agent and temp dir on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVPASSD=build/agent/devpassd
LOOP=$((800 + $$ % 90))
N=100
while [ $# -gt 0 ]; do
        case "$1" in
        --devpassd) DEVPASSD=$2; shift ;;
        --loop) LOOP=$2; shift ;;
        -n) N=$2; shift ;;
        --quick) N=20 ;;
        *) echo "usage: $0 [--devpassd PATH] [--loop INDEX] [-n PLUGS] [--quick]" >&2; exit 2 ;;
        esac
        shift
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ -x "$DEVPASSD" ] || { echo "no devpassd at $DEVPASSD (build it first)" >&2; exit 1; }

T=$(mktemp -d /tmp/dpb-cdi.XXXXXX)
AGENT=
cleanup() {
        [ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
        python3 - "$LOOP" <<'PY' || true
import fcntl, os, sys
c = os.open("/dev/loop-control", os.O_RDWR)
for i in (int(sys.argv[1]), int(sys.argv[1]) + 1):
    try:
        fd = os.open("/dev/loop%d" % i, os.O_RDWR)
        try:
            fcntl.ioctl(fd, 0x4C01)  # LOOP_CLR_FD
        except OSError:
            pass
        os.close(fd)
        fcntl.ioctl(c, 0x4C81, i)  # LOOP_CTL_REMOVE
    except OSError:
        pass
PY
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$T/policy" "$T/state" "$T/cdi"
truncate -s 1M "$T/disk.img"
cat >"$T/policy/50-cdi.policy" <<POL
[Match]
Class=block
Property=DEVPASS_LOOP_BACKING_FILE=$T/disk*
[Target]
Container=cdi
POL
"$DEVPASSD" --policy-dir "$T/policy" --state-dir "$T/state" --socket "$T/sock" \
        --cdi-dir "$T/cdi" --rescan-ms 1000 --log-level warning >"$T/log" 2>&1 &
AGENT=$!
for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.05; done
[ -S "$T/sock" ] || { cat "$T/log"; echo "devpassd did not come up" >&2; exit 1; }

python3 - "$T" "$LOOP" "$N" <<'PY'
import ctypes, fcntl, json, os, select, socket, struct, sys, time

tdir, base, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cdi = tdir + "/cdi"
spec = cdi + "/devpass.io-block.json"
libc = ctypes.CDLL(None, use_errno=True)
IN_MOVED_TO, IN_DELETE = 0x80, 0x200

ctl = os.open("/dev/loop-control", os.O_RDWR)
loops = []
for i in (base, base + 1):
    try:
        fcntl.ioctl(ctl, 0x4C80, i)  # LOOP_CTL_ADD
    except OSError as e:
        sys.exit("LOOP_CTL_ADD %d: %s (pick another --loop)" % (i, e))
    path = "/dev/loop%d" % i
    for _ in range(200):
        if os.path.exists(path):
            break
        time.sleep(0.005)
    loops.append((i, path))
backing = os.open(tdir + "/disk.img", os.O_RDWR)

ino = libc.inotify_init1(os.O_NONBLOCK)
libc.inotify_add_watch(ino, cdi.encode(), IN_MOVED_TO | IN_DELETE)
ue = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)
ue.bind((0, 1))  # the kernel's uevents
ue.setblocking(False)

def drain():
    try:
        while os.read(ino, 65536):
            pass
    except BlockingIOError:
        pass
    try:
        while ue.recv(65536):
            pass
    except BlockingIOError:
        pass

def spec_minor():
    try:
        s = json.load(open(spec))
    except (OSError, ValueError):
        return None
    return [d["containerEdits"]["deviceNodes"][0]["minor"] for d in s["devices"]]

def wait(pred, t0, what, timeout=5.0):
    # the first inotify event after which pred() holds, and the uevent
    while True:
        if pred():
            return (time.monotonic() - t0) * 1e3
        left = t0 + timeout - time.monotonic()
        if left <= 0:
            sys.exit("timed out waiting for %s" % what)
        select.select([ino], [], [], left)
        drain_ino()

def drain_ino():
    try:
        while os.read(ino, 65536):
            pass
    except BlockingIOError:
        pass

def uevent_for(name, t0):
    while True:
        left = t0 + 5.0 - time.monotonic()
        if left <= 0:
            sys.exit("no uevent for " + name)
        select.select([ue], [], [], left)
        try:
            msg = ue.recv(65536)
        except BlockingIOError:
            continue
        if msg.startswith(b"change@") and msg.split(b"\0")[0].endswith(b"/" + name.encode()):
            return (time.monotonic() - t0) * 1e3

plug, unplug, base_ms = [], [], []
for k in range(n):
    idx, path = loops[k % 2]
    # a clear is deferred while the device is open elsewhere: each step
    # opens and closes it, as losetup does
    fd = os.open(path, os.O_RDWR)
    drain()
    t0 = time.monotonic()
    fcntl.ioctl(fd, 0x4C00, backing)  # LOOP_SET_FD
    os.close(fd)
    base_ms.append(uevent_for("loop%d" % idx, t0))
    plug.append(wait(lambda: spec_minor() == [idx], t0, "plug %d" % k))
    fd = os.open(path, os.O_RDWR)
    drain()
    t0 = time.monotonic()
    fcntl.ioctl(fd, 0x4C01)  # LOOP_CLR_FD
    os.close(fd)
    unplug.append(wait(lambda: not os.path.exists(spec), t0, "unplug %d" % k))

def pct(a, p):
    a = sorted(a)
    return a[min(len(a) - 1, int(len(a) * p / 100))]

for name, a in (("LOOP_SET_FD -> CDI spec names the new minor", plug),
                ("LOOP_CLR_FD -> CDI spec removed", unplug),
                ("LOOP_SET_FD -> kernel uevent (baseline)", base_ms)):
    print("%-46s n=%d  p50 %7.2f ms  p99 %7.2f ms" % (name, len(a), pct(a, 50), pct(a, 99)))
p50, b50 = pct(plug, 50), pct(base_ms, 50)
print("RESULT cdi spec update after a plug | p50 %.2f ms, p99 %.2f ms (n=%d) | "
      "uevent p50 %.2f ms | %s | median <= 100 ms | %s" %
      (p50, pct(plug, 99), n, b50, "%.2fx" % (p50 / b50) if b50 > 0 else "-",
       "PASS" if p50 <= 100 else "MISS"))
PY
