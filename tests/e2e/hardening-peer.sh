#!/bin/bash
# Who is on the other end of devpassd's socket. The agent pins each client
# with SO_PEERPIDFD (Linux 6.5): its namespace check and its log lines name
# the process that connected, never one that got its pid later.
#   1. the log names a client's pid as obtained through its pidfd;
#   2. a non-root client (allowed read-only verbs by --read-group) is
#      refused a writer verb, and the refusal names its pid;
#   3. the attack: a client in a container's pid namespace connects, sends
#      an Attach for its container and exits while the agent is stopped;
#      a host process then takes over its pid (ns_last_pid). A check by
#      pid would see host namespaces and run the Attach as root; the agent
#      must refuse it and grant nothing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hardening-lib.sh"
dpt_require_cmd losetup nsenter python3

agent_setup
chmod 0711 "$AGENT_DIR"
agent_start --read-group 65534
RAW=$BUILD_DIR/tests/e2e/dpt-ipc-raw

# ---- 1. the pid, through the pidfd ----
"$DEVPASSCTL" --socket "$AGENT_SOCK" status >/dev/null &
p=$!
wait "$p" || fail "status"
dpt_wait_for 2000 grep -q "IPC client pid $p uid 0, pinned by SO_PEERPIDFD" "$AGENT_LOG" ||
        fail "no log line naming client pid $p through SO_PEERPIDFD"
echo "client pid $p logged through its pidfd"

# ---- 2. non-root: read-only verbs only ----
out=$(printf '{"method":"devpass.Status","parameters":{}}\0' | "$RAW" "$AGENT_SOCK" 65534) ||
        fail "read-group status failed: $out"
grep -q '"version"' <<<"$out" || fail "odd status for the read group: $out"
printf '{"method":"devpass.Reload","parameters":{}}\0' >"$AGENT_DIR/reload.req"
"$RAW" "$AGENT_SOCK" 65534 <"$AGENT_DIR/reload.req" >"$AGENT_DIR/reload.out" &
p=$!
wait "$p" || true
grep -q PermissionDenied "$AGENT_DIR/reload.out" ||
        fail "uid 65534 was not refused Reload: $(cat "$AGENT_DIR/reload.out")"
dpt_wait_for 2000 grep -q "devpass.Reload refused: client pid $p uid 65534" "$AGENT_LOG" ||
        fail "the refusal does not name pid $p"
echo "uid 65534 refused a writer verb (pid $p named)"

# ---- 3. a recycled pid must not stand in for a container's client ----
hl_ctr_start
LOOP=$(dpt_loop_add)
REQ=$(printf '{"method":"devpass.Attach","parameters":{"container":"pid:%s","device":"%s"}}' "$CTR" "$LOOP")
resume() { kill -CONT "$AGENT_PID" 2>/dev/null || true; }
dpt_cleanup_add resume
attempt() {
        local pid i s
        kill -STOP "$AGENT_PID"
        # host mount namespace (the socket path), the container's pid
        # namespace; prints its pid as the host sees it, then exits
        pid=$(nsenter --target "$CTR" --pid -- python3 -c '
import socket, sys
for l in open("/proc/self/status"):
    if l.startswith("NSpid:"):
        host = l.split()[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\0")
print(host)' "$AGENT_SOCK" "$REQ") || { resume; return 1; }
        # its pid goes to a host process (other work on the machine forks
        # too: try a few times)
        for ((i = 0; i < 50; i++)); do
                echo $((pid - 1)) >/proc/sys/kernel/ns_last_pid
                sleep 30 &
                s=$!
                [ "$s" = "$pid" ] && break
                kill "$s"
                wait "$s" 2>/dev/null || true
                s=
        done
        if [ -z "$s" ]; then
                resume
                return 1
        fi
        HOLDER=$s
        dpt_cleanup_add sh -c "kill $s 2>/dev/null || true"
        RECYCLED=$pid
        resume
}
ok=
for ((t = 0; t < 5; t++)); do
        if attempt; then ok=1; break; fi
done
[ -n "$ok" ] || { echo "SKIP: could not recycle a pid on this busy machine"; exit 77; }
echo "client pid $RECYCLED now belongs to host process $HOLDER ($(cat /proc/$HOLDER/comm))"
sleep 1
ctl list --json >"$AGENT_DIR/list.json" || fail "list"
grep -q "\"$LOOP\"\|${LOOP#/dev/}" "$AGENT_DIR/list.json" &&
        fail "the attach of the gone client ran as the recycled host pid: $(cat "$AGENT_DIR/list.json")"
in_ctr "$CTR" test -e "$LOOP" && fail "$LOOP was made inside the container"
grep -q "IPC client pid $RECYCLED " "$AGENT_LOG" &&
        fail "the agent took the recycled pid $RECYCLED as its client"
kill "$HOLDER" 2>/dev/null || true
echo "the gone client's attach was refused; nothing granted"

kill -0 "$AGENT_PID" || fail "devpassd died"
ctl status >/dev/null || fail "no status at the end"
echo "hardening-peer: all checks passed"
