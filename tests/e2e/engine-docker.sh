#!/bin/bash
# Docker as users run it (Debian's docker.io 20.10, containerd, runc, the
# cgroupfs driver), no fake API server: docker:NAME resolves through the real
# Engine API; attach, read inside, detach (cgroup v1 devices.list identical
# before attach and after detach) and EPERM afterwards; a NIC in and out;
# a --userns-remap daemon; then the agent: hotplug, stop, coldplug of a
# container started later and after an agent restart.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
source "$HERE/../harness/engines.sh"
dpt_require_root

sfx=$(printf '%04x' $((RANDOM % 65536)))
agent_setup
eng_docker_start
C=dpt-dk$sfx
eng_docker_run "$C"
PID=$(eng_docker inspect -f '{{.State.Pid}}' "$C")

# ---- without an agent: attach, read, detach, EPERM ----
SECTORS=$((4096 + RANDOM % 4096))
img=$(dpt_tmpdir)/disk.img
head -c $((SECTORS * 512)) /dev/zero >"$img"
printf 'devpass-docker-%s' "$sfx" | dd of="$img" conv=notrunc status=none
LOOP=$(loop_add "$img")
MIN=${LOOP#/dev/loop}
before=$(eng_devices_list "$PID")
[[ "$(eng_mknod_open "$PID" b 7 "$MIN")" == EPERM ]] || fail "b 7:$MIN opens before any grant"
ctl attach "docker:$C" "$LOOP" --mode 0640 >/dev/null || fail "attach docker:$C $LOOP"
ctl list --json | grep -q "\"container\": \"docker:$C\"" || fail "list lacks docker:$C"
eng_docker exec "$C" dd if="$LOOP" bs=512 count=1 2>/dev/null | grep -q "devpass-docker-$sfx" ||
        fail "cannot read $LOOP inside the Docker container"
[[ "$(eng_docker exec "$C" stat -c %a "$LOOP")" == 640 ]] || fail "--mode 0640 not applied"
ctl detach "docker:$C" "$LOOP" || fail "detach"
eng_docker exec "$C" test -e "$LOOP" && fail "node left inside after detach"
[[ "$(eng_mknod_open "$PID" b 7 "$MIN")" == EPERM ]] || fail "b 7:$MIN still opens after detach"
[[ "$(eng_devices_list "$PID")" == "$before" ]] ||
        fail "devices.list changed: before: $before after: $(eng_devices_list "$PID")"
echo "docker: attach, read, detach, EPERM, devices.list unchanged"

# ---- a NIC in and out ----
dpt_veth_add "dpt${sfx}a" "dpt${sfx}b"
mac=$(cat "/sys/class/net/dpt${sfx}a/address")
ctl attach "docker:$C" "net:dpt${sfx}a" --name eth5 >/dev/null || fail "attach NIC"
eng_docker exec "$C" ip link show eth5 | grep -q "$mac" || fail "eth5 not inside"
ip link show "dpt${sfx}a" >/dev/null 2>&1 && fail "NIC still on the host"
ctl detach "docker:$C" "net:dpt${sfx}a" || fail "detach NIC"
ip link show "dpt${sfx}a" | grep -q "$mac" || fail "NIC did not come back as dpt${sfx}a"
eng_docker exec "$C" ip link show eth5 >/dev/null 2>&1 && fail "eth5 left inside"
echo "docker: NIC in as eth5 and back"

# ---- the agent: hotplug, stop, coldplug ----
cat >"$AGENT_DIR/policy/50-docker.policy" <<POL
[Match]
Class=block
Attribute=size=$SECTORS
[Target]
Container=docker:dpt-dk$sfx*
[Grant]
Access=rw
Mode=0660
POL
"$DEVPASSCTL" policy check "$AGENT_DIR/policy" || fail "policy check"
agent_start
# coldplug: the loop device was there before the agent
dpt_wait_for 6000 eng_docker exec "$C" test -b "$LOOP" || fail "not coldplugged at agent start"
t0=$(now_ms)
LOOP2=$(loop_add "$img")
dpt_wait_for 4000 eng_docker exec "$C" test -b "$LOOP2" || fail "hotplugged $LOOP2 not inside"
echo "docker: hotplugged $LOOP2 inside in $(($(now_ms) - t0)) ms"
eng_docker exec "$C" dd if="$LOOP2" bs=512 count=1 2>/dev/null | grep -q "devpass-docker-$sfx" ||
        fail "cannot read the hotplugged $LOOP2 inside"
losetup -d "$LOOP2"
dpt_wait_for 4000 sh -c "! '$ENG_DOCKER_BIN' -H unix://$ENG_DOCKER_SOCK exec $C test -e $LOOP2" ||
        fail "unplugged $LOOP2 left inside"
# a container started while the agent runs
eng_docker_run "${C}n"
dpt_wait_for 6000 eng_docker exec "${C}n" test -b "$LOOP" || fail "late container did not get $LOOP"
# stop: the grants leave the ledger; a restart gets the device again
eng_docker stop -t 0 "$C" >/dev/null
dpt_wait_for 6000 sh -c "! '$DEVPASSCTL' --socket '$AGENT_SOCK' list --json | grep -q '\"docker:$C\"'" ||
        fail "stopped container still in the ledger"
eng_docker start "$C" >/dev/null
dpt_wait_for 6000 eng_docker exec "$C" test -b "$LOOP" || fail "restarted container not re-granted"
# an agent restart: a container that started while no agent ran gets it
agent_kill
eng_docker_run "${C}r"
agent_start
dpt_wait_for 6000 eng_docker exec "${C}r" test -b "$LOOP" || fail "coldplug after restart failed"
echo "docker: agent hotplug, stop, coldplug"
agent_kill
# leave no grant behind for the userns daemon below
ctl detach "docker:$C" "$LOOP" >/dev/null 2>&1 || true

# ---- user namespaces: a --userns-remap daemon ----
eng_remap_user
eng_docker_start --userns-remap="$ENG_REMAP_USER"
U=dpt-dk${sfx}u
eng_docker_run "$U"
UPID=$(eng_docker inspect -f '{{.State.Pid}}' "$U")
grep -q "^ *0 *$ENG_REMAP_BASE " "/proc/$UPID/uid_map" || fail "container is not remapped: $(cat "/proc/$UPID/uid_map")"
before=$(eng_devices_list "$UPID")
ctl attach "docker:$U" "$LOOP" --mode 0600 >/dev/null || fail "attach (userns)"
# root inside is the remapped uid: the node must be its own
eng_docker exec "$U" dd if="$LOOP" bs=512 count=1 2>/dev/null | grep -q "devpass-docker-$sfx" ||
        fail "cannot read $LOOP inside the userns container"
[[ "$(stat -Lc %u "/proc/$UPID/root$LOOP")" == "$ENG_REMAP_BASE" ]] || fail "node not owned by the mapped root"
ctl detach "docker:$U" "$LOOP" || fail "detach (userns)"
eng_docker exec "$U" test -e "$LOOP" && fail "node left inside (userns)"
[[ "$(eng_devices_list "$UPID")" == "$before" ]] || fail "devices.list changed (userns)"
echo "docker: --userns-remap attach, read, detach"
echo "engine-docker: all checks passed"
