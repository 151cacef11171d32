#!/bin/bash
# uevent storms and forged uevents against devpassd, on the real kernel.
# 1. 100,000 "change" uevents on our own loop device with the default
#    (large) monitor buffer: no resync is needed, and the agent is still
#    right afterwards (an unplug is revoked, a new device granted).
# 2. The same storm with --monitor-rcvbuf 4096: the socket overflows
#    (ENOBUFS), the agent resyncs (status "resyncs" > 0) and converges.
# 3. Forged uevents: a root process sending kernel-format "remove" for the
#    granted device and "add" for a fake one to group 1 from its own socket
#    (nl_pid != 0), and a non-root process sending to group 2: ignored.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hardening-lib.sh"
dpt_require_cmd losetup
STORM=${DPT_STORM_EVENTS:-100000}

agent_setup
hl_ctr_start --v1-deny
hl_block_policy storm

status_field() { ctl status --json | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" | head -n 1; }
granted() { in_ctr "$CTR" test -b "$1" && { [ -z "$CG" ] || grep -q "^b 7:${1#/dev/loop} " "$CG/devices.list"; }; }
revoked() {
        ! in_ctr "$CTR" test -e "$1" && { [ -z "$CG" ] || ! grep -q "^b 7:${1#/dev/loop} " "$CG/devices.list"; }
}
storm() {
        local l=$1 n=$2
        "$HOSTILE" uevent-storm "/sys/devices/virtual/block/${l#/dev/}/uevent" "$n" ||
                fail "uevent storm on $l"
}
# waits until the agent has read at least N more events than before
events_reach() { [ "$(status_field events)" -ge "$1" ]; }

# ---- 1. big buffer: 100k events, no resync ----
# (info level: a debug line per event would make the backlog slower to drain)
agent_start --log-level info
L1=$(loop_add "$img")
dpt_wait_for 2000 granted "$L1" || fail "$L1 not granted"
ev0=$(status_field events)
t0=$(now_ms)
storm "$L1" "$STORM"
# The agent drains the backlog; resyncs must stay 0 meanwhile.
dpt_wait_for 120000 events_reach $((ev0 + STORM)) ||
        fail "agent read $(( $(status_field events) - ev0 )) of $STORM events"
echo "agent read $STORM events in $(( $(now_ms) - t0 )) ms"
if [ "$(status_field resyncs)" != 0 ]; then
        grep -E 'resync|ENOBUFS|buffer' "$AGENT_LOG" | head -n 5 >&2
        fail "resync with the default buffer: $(status_field resyncs)"
fi
granted "$L1" || fail "$L1 lost during the storm"
losetup -d "$L1"
dpt_wait_for 2000 revoked "$L1" || fail "unplug after the storm not revoked"
L2=$(loop_add "$img")
dpt_wait_for 2000 granted "$L2" || fail "new device after the storm not granted"
echo "default buffer: no resync, still correct afterwards"
agent_kill

# ---- 2. tiny buffer: overflow, resync, convergence ----
agent_start --monitor-rcvbuf 4096
dpt_wait_for 2000 granted "$L2" || fail "$L2 not granted at start"
storm "$L2" 20000 &
STORM_PID=$!
# Device changes during the overflow are caught by the resync.
L3=$(loop_add "$img")
losetup -d "$L2"
wait "$STORM_PID" || true
dpt_wait_for 10000 sh -c "[ \"\$($DEVPASSCTL --socket $AGENT_SOCK status --json | sed -n 's/.*\"resyncs\": *\([0-9]*\).*/\1/p')\" -gt 0 ]" ||
        fail "no resync with a 4 KiB buffer"
grep -q 'ENOBUFS' "$AGENT_LOG" || fail "no ENOBUFS in the log"
dpt_wait_for 5000 granted "$L3" || fail "device added during the overflow not granted"
dpt_wait_for 5000 revoked "$L2" || fail "device removed during the overflow not revoked"
echo "4 KiB buffer: $(status_field resyncs) resync(s), converged"
agent_kill

# ---- 3. forged uevents ----
agent_start
dpt_wait_for 2000 granted "$L3" || fail "$L3 not granted"
ev0=$(status_field events)
n0=$(ctl list --json | grep -c '"container"' || true)
dev3=/devices/virtual/block/${L3#/dev/}
"$HOSTILE" forge-kernel remove "$dev3" block DEVNAME="${L3#/dev/}" DEVTYPE=disk \
        MAJOR=7 MINOR="${L3#/dev/loop}"
"$HOSTILE" forge-kernel add /devices/virtual/block/dptfake0 block DEVNAME=dptfake0 \
        DEVTYPE=disk MAJOR=7 MINOR=250
out=$("$HOSTILE" forge-udev 65534 remove "$dev3" block DEVNAME="${L3#/dev/}" MAJOR=7 \
        MINOR="${L3#/dev/loop}")
echo "non-root to group 2: $out"
sleep 1.5
granted "$L3" || fail "a forged remove revoked $L3"
n1=$(ctl list --json | grep -c '"container"' || true)
[ "$n1" = "$n0" ] || fail "forged events changed the grants: $n0 -> $n1"
in_ctr "$CTR" test -e /dev/dptfake0 && fail "a forged add made a node"
[ "$(status_field events)" = "$ev0" ] || echo "note: $(( $(status_field events) - ev0 )) foreign uevents arrived meanwhile"
grep -q 'dptfake0' "$AGENT_LOG" && fail "the agent acted on a forged uevent"
kill -0 "$AGENT_PID" || fail "devpassd died"
echo "storm-uevents: all checks passed"
