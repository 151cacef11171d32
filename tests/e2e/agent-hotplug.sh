#!/bin/bash
# devpassd hotplug end to end, on the real kernel: a policy grants a loop
# device, a macvtap and a veth to a harness container and a real LXC
# container as they appear; they must be usable inside within one second
# and vanish when removed. Then: a container started after the device gets
# it, a stopped container's grants leave the ledger, a restart re-grants.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root

sfx=$(printf '%04x' $((RANDOM % 65536)))
agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
LXC=dpt-e2e-$sfx
dpt_lxc_create "$LXC"
dpt_lxc_start "$LXC"

# A loop device of a size nothing else has, picked by the policy through
# its sysfs attribute; a macvtap and a veth with this test's prefix.
SECTORS=$((4096 + RANDOM % 4096))
cat >"$AGENT_DIR/policy/50-e2e.policy" <<POL
[Match]
Class=block
Attribute=size=$SECTORS
[Target]
Container=pid:$CTR lxc:$LXC
[Grant]
Access=rw
Mode=0660

[Match]
Property=DEVPATH=/devices/virtual/net/dpt${sfx}m/*
[Target]
Container=pid:$CTR

[Match]
Class=net
Name=dpt${sfx}a
[Target]
Container=lxc:$LXC
[Grant]
InterfaceName=eth7
POL
"$DEVPASSCTL" policy check "$AGENT_DIR/policy" || fail "policy check"
agent_start

# a live stream of events and decisions, one JSON object per line
MON=$AGENT_DIR/monitor.out
ctl monitor --json >"$MON" 2>&1 &
MONPID=$!
dpt_cleanup_add kill "$MONPID"
dpt_wait_for 2000 sh -c "'$DEVPASSCTL' --socket '$AGENT_SOCK' status --json | grep -q '\"monitors\": 1'" ||
        fail "monitor did not subscribe"

# ---- loop device: appears in both containers, readable inside ----
img=$(dpt_tmpdir)/disk.img
head -c $((SECTORS * 512)) /dev/zero >"$img"
printf 'devpass-e2e-%s' "$sfx" | dd of="$img" conv=notrunc status=none
t0=$(now_ms)
LOOP=$(loop_add "$img")
dpt_wait_for 1000 in_ctr "$CTR" test -b "$LOOP" || fail "loop node not in harness container within 1 s"
dpt_wait_for 1000 lxc-attach -n "$LXC" -- test -b "$LOOP" || fail "loop node not in LXC container within 1 s"
echo "loop $LOOP granted to both containers in $(( $(now_ms) - t0 )) ms"
in_ctr "$CTR" dd if="$LOOP" bs=512 count=1 2>/dev/null | grep -q "devpass-e2e-$sfx" ||
        fail "cannot read $LOOP inside the harness container"
lxc-attach -n "$LXC" -- dd if="$LOOP" bs=512 count=1 2>/dev/null | grep -q "devpass-e2e-$sfx" ||
        fail "cannot read $LOOP inside the LXC container"
[ "$(in_ctr "$CTR" stat -c %a "$LOOP")" = 660 ] || fail "Mode=0660 not applied"
ctl list --json | grep -q "\"container\": \"lxc:$LXC\"" || fail "list lacks the LXC grant"
dpt_wait_for 1000 grep -q '"event": *"grant"' "$MON" || fail "monitor showed no grant: $(cat "$MON")"
grep -q "lxc:$LXC" "$MON" || fail "monitor did not name the container"

# ---- macvtap: a char node that opens inside ----
ip link add "dpt${sfx}l" type veth peer name "dpt${sfx}p"
dpt_cleanup_add ip link del "dpt${sfx}l"
t0=$(now_ms)
ip link add link "dpt${sfx}l" name "dpt${sfx}m" type macvtap
TAP=/dev/tap$(cat /sys/class/net/dpt${sfx}m/ifindex)
dpt_wait_for 1000 in_ctr "$CTR" test -c "$TAP" || fail "macvtap node not inside within 1 s"
echo "macvtap $TAP granted in $(( $(now_ms) - t0 )) ms"
[ "$("$DPT_HARNESS" open "$CTR" "$TAP" rw)" = OK ] || fail "macvtap does not open inside"
ip link del "dpt${sfx}m"
dpt_wait_for 1000 sh -c "! '$DPT_HARNESS' exec $CTR test -e $TAP" || fail "macvtap node left inside"
[ "$("$DPT_HARNESS" open "$CTR" "$TAP" rw)" != OK ] || fail "macvtap still opens"

# ---- veth: moved into the LXC container as eth7 ----
t0=$(now_ms)
ip link add "dpt${sfx}a" type veth peer name "dpt${sfx}b"
dpt_cleanup_add ip link del "dpt${sfx}b"
dpt_wait_for 1000 lxc-attach -n "$LXC" -- ip link show eth7 >/dev/null 2>&1 ||
        fail "veth not moved into the LXC container within 1 s"
echo "veth moved in as eth7 in $(( $(now_ms) - t0 )) ms"
ip link show "dpt${sfx}a" >/dev/null 2>&1 && fail "veth still on the host"

# ---- unplug the loop device: gone inside, cgroup access revoked ----
losetup -d "$LOOP"
dpt_wait_for 1000 sh -c "! '$DPT_HARNESS' exec $CTR test -e $LOOP" || fail "loop node left inside"
cg=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^cgroup_v1=//p')
min=${LOOP#/dev/loop}
if [ -n "$cg" ] && grep -q "^b 7:$min " "$cg/devices.list"; then
        fail "cgroup still allows b 7:$min"
fi

# ---- a container started after the device gets it ----
LOOP2=$(loop_add "$img")
dpt_wait_for 1000 in_ctr "$CTR" test -b "$LOOP2" || fail "second loop not granted"
dpt_ctr_start --v1-deny
CTR2=$DPT_PID
sed -i "s/^Container=pid:$CTR lxc:$LXC\$/Container=pid:$CTR pid:$CTR2 lxc:$LXC/" \
        "$AGENT_DIR/policy/50-e2e.policy"
dpt_wait_for 2000 in_ctr "$CTR2" test -b "$LOOP2" || fail "late container did not get the device"

# ---- stop the LXC container: its grants leave the ledger; restart re-grants ----
lxc-stop -k -n "$LXC"
dpt_wait_for 2000 sh -c "! '$DEVPASSCTL' --socket '$AGENT_SOCK' list --json | grep -q 'lxc:$LXC'" ||
        fail "stopped container still in the ledger"
lxc-start -n "$LXC" -d
dpt_wait_for 3000 lxc-attach -n "$LXC" -- test -b "$LOOP2" || fail "restarted LXC container not re-granted"

echo "agent-hotplug: all checks passed"
