#!/bin/bash
# IPC abuse against devpassd: 1,000 concurrent clients, a client gone in
# the middle of devpass.Monitor, clients that connect and never send. The
# agent must keep serving, not crash, and its descriptor count must come
# back to where it started (/proc/PID/fd).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hardening-lib.sh"

agent_setup
agent_start
# Sockets only: the agent also holds a pidfd per container on the machine,
# and other tests start and stop containers meanwhile.
fds() { find "/proc/$AGENT_PID/fd" -lname 'socket:*' | wc -l; }
sleep 0.5
base=$(fds)
echo "agent sockets at rest: $base"
back_to_base() { [ "$(fds)" -le "$base" ]; }

# ---- 1,000 clients at once ----
t0=$(now_ms)
"$HOSTILE" ipc-flood "$AGENT_SOCK" 1000 || fail "not every client was answered"
echo "1000 concurrent clients answered in $(( $(now_ms) - t0 )) ms"
kill -0 "$AGENT_PID" || fail "devpassd died under 1000 clients"
dpt_wait_for 3000 back_to_base || fail "fds after the flood: $(fds), at rest $base"

# ---- a monitor that vanishes with a reset, mid-request ----
for i in 1 2 3 4 5; do
        "$HOSTILE" ipc-monitor-drop "$AGENT_SOCK" || fail "monitor client"
done
# an event for the monitors that are gone
ctl reload >/dev/null || fail "reload after dead monitors"
dpt_wait_for 3000 back_to_base || fail "fds after dead monitors: $(fds), at rest $base"
ctl status >/dev/null || fail "no status after dead monitors"

# ---- clients that never send: others still served, then they expire ----
"$HOSTILE" ipc-idle "$AGENT_SOCK" 200 15 &
IDLE=$!
dpt_cleanup_add kill "$IDLE"
sleep 1
[ "$(fds)" -ge $((base + 190)) ] || fail "the idle clients were not held ($(fds) fds)"
t0=$(now_ms)
ctl status >/dev/null || fail "status refused while 200 clients idle"
[ $(( $(now_ms) - t0 )) -lt 2000 ] || fail "status took over 2 s beside idle clients"
# they are dropped after the agent's idle timeout, while still connected
dpt_wait_for 14000 back_to_base || fail "idle clients never dropped: $(fds) fds, at rest $base"
echo "idle clients dropped while still connected"
wait "$IDLE" || true

# ---- and it still answers normally ----
out=$(printf '{"method":"devpass.Status","parameters":{}}\0' |
        "$BUILD_DIR/tests/e2e/dpt-ipc-raw" "$AGENT_SOCK") || fail "no reply at the end"
grep -q '"resyncs"' <<<"$out" || fail "odd reply at the end: $out"
kill -0 "$AGENT_PID" || fail "devpassd died"
grep -qiE 'sanitizer|segfault|abort' "$AGENT_LOG" && fail "errors in the agent log"
echo "hardening-ipc: all checks passed (sockets at rest $base, now $(fds))"
