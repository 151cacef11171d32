#!/bin/bash
# udevd comes and goes (package upgrades restart it): devpassd started
# while systemd-udevd runs listens to udev's events; when udevd stops it
# must switch to the kernel's and keep hot-plugging, and when udevd is back
# it must switch again. Real udevd, real loop devices.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
UDEVD=/lib/systemd/systemd-udevd
[ -x "$UDEVD" ] || { echo "SKIP: systemd-udevd is not installed"; exit 77; }
if [ -S /run/udev/control ] && udevadm control --ping -t 2 2>/dev/null; then
        echo "SKIP: a systemd-udevd this test did not start runs here"
        exit 77
fi

udevd_start() {
        "$UDEVD" --daemon
        dpt_wait_for 5000 udevadm control --ping -t 1 || dpt_fail "udevd did not start"
}
udevd_stop() {
        timeout 10 udevadm control --exit 2>/dev/null || true
        # --exit returns once udevd is gone; be sure of it
        dpt_wait_for 5000 sh -c '! pgrep -x systemd-udevd >/dev/null' || pkill -9 -x systemd-udevd || true
}
had_run_udev=0
[ -e /run/udev ] && had_run_udev=1
dpt_cleanup_add sh -c "timeout 10 udevadm control --exit 2>/dev/null; pkill -x systemd-udevd; [ $had_run_udev = 1 ] || rm -rf /run/udev; true"

agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
S=$((10240 + RANDOM % 2048))
cat >"$AGENT_DIR/policy/50-udevd.policy" <<POL
[Match]
Class=block
Attribute=size=$S
[Target]
Container=pid:$CTR
POL
img=$(dpt_tmpdir)/u.img
head -c $((S * 512)) /dev/zero >"$img"

udevd_start
agent_start
grep -q "udev uevents" "$AGENT_LOG" || fail "agent did not pick udev's source while udevd runs"

plug() {
        local l
        l=$(loop_add "$img")
        dpt_wait_for 5000 in_ctr "$CTR" test -b "$l" || fail "$1: $l not granted"
        echo "$l"
}

A=$(plug "udevd running")
echo "granted $A with udevd running"

udevd_stop
dpt_wait_for 5000 grep -q "systemd-udevd is gone" "$AGENT_LOG" || fail "agent did not notice udevd stopping"
B=$(plug "udevd stopped")
echo "granted $B with udevd stopped (kernel uevents)"
losetup -d "$A"
dpt_wait_for 5000 sh -c "! '$DPT_HARNESS' exec $CTR test -e $A" || fail "udevd stopped: $A not revoked on unplug"

udevd_start
dpt_wait_for 5000 grep -q "systemd-udevd is back" "$AGENT_LOG" || fail "agent did not notice udevd's return"
C=$(plug "udevd back")
echo "granted $C after udevd came back"
losetup -d "$B"
dpt_wait_for 5000 sh -c "! '$DPT_HARNESS' exec $CTR test -e $B" || fail "udevd back: $B not revoked on unplug"

# a process named like udevd but not root's must not count
udevd_stop
dpt_wait_for 5000 sh -c "[ \$(grep -c 'systemd-udevd is gone' '$AGENT_LOG') = 2 ]" ||
        fail "agent did not notice udevd stopping a second time"
n_gone=$(grep -c "systemd-udevd is gone" "$AGENT_LOG")
decoy=$(dpt_tmpdir)/systemd-udevd
cp /bin/sleep "$decoy"
chmod 755 "$decoy"
setpriv --reuid 65534 --regid 65534 --clear-groups "$decoy" 30 &
DECOY=$!
dpt_cleanup_add kill "$DECOY"
sleep 1
[ "$(grep -c "systemd-udevd is back" "$AGENT_LOG")" = 1 ] || fail "a user's process named systemd-udevd was taken for udevd"
D=$(plug "decoy udevd")
echo "granted $D with a non-root decoy named systemd-udevd"
echo "PASS: udevd stop/start followed (gone $n_gone time(s)), hotplug kept working"
