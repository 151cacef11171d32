#!/bin/bash
# A wedged container runtime must not stall devpassd. Every REST runtime
# socket (Docker, Podman, Incus, LXD) is pointed at a server that accepts
# connections, reads the request and never answers. While it hangs:
# removing a granted loop device must take its node out of the container
# and its rule out of the cgroup within 1 s; `devpassctl status` must
# answer within 1 s, also while a manual attach of a runtime-named
# container waits on the hung runtime; the agent must not fork without
# bound (runtime lookups run in at most a couple of short-lived children).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hardening-lib.sh"
dpt_require_cmd losetup python3

agent_setup
dpt_ctr_start
CTR2=$DPT_PID
hl_ctr_start --v1-deny
hl_require_cg
hl_block_policy hang
RT=$(dpt_tmpdir)
mkdir "$RT/machines"
AGENT_TEST_PATHS+=(--test-path "machines-dir=$RT/machines")
# No server at these paths yet: the agent starts as on a host without
# those runtimes, then they wedge under it.
for rt in docker podman incus lxd; do
        AGENT_TEST_PATHS+=(--test-path "$rt-socket=$RT/$rt.sock")
done
agent_start

L1=$(loop_add "$img")
L2=$(loop_add "$img")
granted() { in_ctr "$CTR" test -b "$1" && grep -q "^b 7:${1#/dev/loop} " "$CG/devices.list"; }
dpt_wait_for 3000 granted "$L1" || fail "$L1 not granted"
dpt_wait_for 3000 granted "$L2" || fail "$L2 not granted"

python3 "$HERE/runtime-hang.py" "$RT/accepted" "$RT"/{docker,podman,incus,lxd}.sock &
HANG=$!
dpt_cleanup_add sh -c "kill $HANG 2>/dev/null || true"
# the sockets are root's, as a real runtime's are
dpt_wait_for 3000 test -S "$RT/lxd.sock" || fail "the hung server did not start"
[ "$(stat -c %u "$RT/docker.sock")" = 0 ] || fail "docker.sock is not root's"
accepted() { cat "$RT/accepted" 2>/dev/null || echo 0; }
dpt_wait_for 5000 sh -c "[ \$(cat $RT/accepted 2>/dev/null || echo 0) -ge 2 ]" ||
        fail "the agent never asked the hung runtime"
echo "agent is talking to the hung runtime ($(accepted) connections)"

# revoke_ms LOOP: removes LOOP, echoes how long until it was revoked
gone() { ! in_ctr "$CTR" test -e "$1" && ! grep -q "^b 7:${1#/dev/loop} " "$CG/devices.list"; }
revoke_ms() {
        local t0
        t0=$(now_ms)
        losetup -d "$1"
        dpt_wait_for 10000 gone "$1" || fail "$1 never revoked"
        echo $(( $(now_ms) - t0 ))
}
status_ms() {
        local t0
        t0=$(now_ms)
        timeout 5 "$DEVPASSCTL" --socket "$AGENT_SOCK" status >/dev/null || fail "status failed"
        echo $(( $(now_ms) - t0 ))
}

sleep 0.7
ms=$(revoke_ms "$L1")
echo "revoked $L1 in $ms ms while the runtime hangs"
[ "$ms" -lt 1000 ] || fail "revocation took $ms ms with a hung runtime"
ms=$(status_ms)
echo "status answered in $ms ms"
[ "$ms" -lt 1000 ] || fail "status took $ms ms with a hung runtime"

# a manual attach that has to ask the hung runtime: it may wait (bounded),
# nothing else does
ATT_OUT=$RT/attach.out
t0=$(now_ms)
( rc=0; ctl attach docker:dpl-hung "$L2" >"$ATT_OUT" 2>&1 || rc=$?
  echo "rc=$rc ms=$(( $(now_ms) - t0 ))" >>"$ATT_OUT" ) &
ATT=$!
sleep 0.2
ms=$(status_ms)
echo "status answered in $ms ms during a manual attach on the hung runtime"
[ "$ms" -lt 1000 ] || fail "status took $ms ms during a manual attach"

# bounded forks: sample the agent's children for 4 s
max=0
for ((i = 0; i < 40; i++)); do
        n=$(pgrep -P "$AGENT_PID" | wc -l || true)
        [ "$n" -gt "$max" ] && max=$n
        sleep 0.1
done
echo "at most $max runtime lookup children at a time"
[ "$max" -le 3 ] || fail "$max children of the agent at once"

wait "$ATT" || true
cat "$ATT_OUT"
grep -q 'rc=0' "$ATT_OUT" && fail "attach to a container of a hung runtime succeeded"
att_ms=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' "$ATT_OUT")
[ "${att_ms:-99999}" -lt 6000 ] || fail "the manual attach was not bounded ($att_ms ms)"

ms=$(revoke_ms "$L2")
echo "revoked $L2 in $ms ms while the runtime hangs"
[ "$ms" -lt 1000 ] || fail "revocation took $ms ms with a hung runtime"

# a runtime that answers is still asked: a machine registered now is found
# (each hung runtime holds up one rescan until its deadline, then goes last)
t0=$(now_ms)
printf 'CLASS=container\nLEADER=%s\n' "$CTR2" >"$RT/machines/dpl-m1"
dpt_wait_for 20000 grep -q "container nspawn:dpl-m1 started" "$AGENT_LOG" ||
        fail "nspawn:dpl-m1 was never found while the other runtimes hang"
echo "nspawn:dpl-m1 found after $(( $(now_ms) - t0 )) ms beside the hung runtimes"
grep -q "no answer within .* from " "$AGENT_LOG" || fail "no lookup deadline logged"

# and once the runtime is gone again the agent carries on
kill "$HANG"
wait "$HANG" 2>/dev/null || true
rm -f "$RT"/*.sock
L3=$(loop_add "$img")
dpt_wait_for 3000 granted "$L3" || fail "$L3 not granted after the runtime went away"
kill -0 "$AGENT_PID" || fail "devpassd died"
grep -qiE 'sanitizer|segfault|abort' "$AGENT_LOG" && fail "errors in the agent log"
echo "hardening-runtime: all checks passed"
