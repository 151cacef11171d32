#!/bin/bash
# devpassd restart safety, on the real kernel. The agent SIGKILLs itself at
# each named step of attach and detach (DEVPASS_CRASH_AT); after a restart
# the container must hold exactly what the policy says — checked in the
# container's /dev and its cgroup's devices.list, not in the ledger. Then a
# kill -9 in the middle of a burst of hotplug events, more events while it
# is down, and a restart: final state equals desired state.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root

agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
CG=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^cgroup_v1=//p')
[ -n "$CG" ] || { echo "SKIP: no cgroup v1 devices hierarchy"; exit 77; }
SZ=$((4096 + RANDOM % 2048))
cat >"$AGENT_DIR/policy/50-crash.policy" <<POL
[Match]
Class=block
Attribute=size=$SZ
[Target]
Container=pid:$CTR
POL
img=$(dpt_tmpdir)/img
head -c $((SZ * 512)) /dev/zero >"$img"

allowed() { grep -c "^b 7:$1 " "$CG/devices.list" || true; }
node_in() { in_ctr "$CTR" test -b "/dev/loop$1"; }

# waits for the agent started with a crash step to die by SIGKILL
wait_crash() {
        local i
        for i in $(seq 500); do
                kill -0 "$AGENT_PID" 2>/dev/null || break
                sleep 0.01
        done
        kill -0 "$AGENT_PID" 2>/dev/null && fail "agent did not crash at $1"
        wait "$AGENT_PID" 2>/dev/null || true
        AGENT_PID=
}

# expect_granted MINOR / expect_revoked MINOR: after the restart
expect_granted() {
        dpt_wait_for 5000 node_in "$1" || fail "$2: /dev/loop$1 missing after restart"
        [ "$(allowed "$1")" = 1 ] || fail "$2: cgroup lines for 7:$1: $(allowed "$1")"
        [ "$("$DPT_HARNESS" open "$CTR" "/dev/loop$1" r)" = OK ] || fail "$2: does not open"
}
expect_revoked() {
        dpt_wait_for 5000 sh -c "! '$DPT_HARNESS' exec $CTR test -e /dev/loop$1" ||
                fail "$2: /dev/loop$1 left inside"
        [ "$(allowed "$1")" = 0 ] || fail "$2: cgroup still allows 7:$1"
}

for step in attach-intent attach-cgroup attach-node; do
        DEVPASS_CRASH_AT=$step agent_start_nowait
        L=$(loop_add "$img")
        m=${L#/dev/loop}
        wait_crash "$step"
        agent_start
        expect_granted "$m" "$step"
        losetup -d "$L"
        expect_revoked "$m" "$step/unplug"
        agent_kill
done

for step in detach-intent detach-cgroup detach-node; do
        agent_start
        L=$(loop_add "$img")
        m=${L#/dev/loop}
        dpt_wait_for 5000 node_in "$m" || fail "$step: not granted"
        agent_kill
        DEVPASS_CRASH_AT=$step agent_start_nowait
        dpt_wait_for 5000 ctl status >/dev/null || fail "$step: agent not up"
        losetup -d "$L"
        wait_crash "$step"
        agent_start
        expect_revoked "$m" "$step"
        agent_kill
done

# NIC moves: a crash before the move and right after it; after the restart
# the NIC is inside, renamed, exactly once
for step in attach-intent attach-net; do
        v=dptc$$${step: -3}
        cat >"$AGENT_DIR/policy/60-nic.policy" <<POL
[Match]
Class=net
Name=$v
[Target]
Container=pid:$CTR
[Grant]
InterfaceName=lan${step: -3}
POL
        DEVPASS_CRASH_AT=$step agent_start_nowait
        dpt_wait_for 5000 ctl status >/dev/null || fail "$step/nic: agent not up"
        ip link add "$v" type veth peer name "${v}p"
        dpt_cleanup_add ip link del "${v}p"
        wait_crash "$step/nic"
        agent_start
        dpt_wait_for 5000 in_ctr "$CTR" ip link show "lan${step: -3}" ||
                fail "$step/nic: NIC not inside after the restart"
        ip link show "$v" >/dev/null 2>&1 && fail "$step/nic: NIC still on the host"
        [ "$(ctl list --json | grep -c "\"netdev\": \"lan${step: -3}\"")" = 1 ] ||
                fail "$step/nic: not exactly one NIC grant"
        agent_kill
        rm "$AGENT_DIR/policy/60-nic.policy"
done

# kill -9 during a burst, more events while down, restart
agent_start
burst=()
for i in $(seq 8); do burst+=("$(loop_add "$img")"); done
kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=
for i in $(seq 4); do burst+=("$(loop_add "$img")"); done
losetup -d "${burst[0]}" "${burst[1]}"
gone=("${burst[0]}" "${burst[1]}")
agent_start
for L in "${burst[@]:2}"; do expect_granted "${L#/dev/loop}" "burst"; done
for L in "${gone[@]}"; do expect_revoked "${L#/dev/loop}" "burst/removed-while-down"; done
n=$(ctl list --json | grep -c '"device"')
[ "$n" -eq 10 ] || fail "ledger has $n grants, want 10"
echo "agent-crash: all checks passed"
