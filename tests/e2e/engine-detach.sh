#!/bin/bash
# One meaning of a manual detach, for every class: a policy-granted block
# device and NIC detached by hand stay out of the container — through the
# uevents that follow (the NIC's move back is an "add" on the host), a
# "change" uevent and an agent restart — until the device is re-plugged,
# the policy changes for it, or attach is run. And moves devpass makes
# itself never look like unplugs: a NIC attached by hand through the agent
# stays in (its move's "remove" on the host is no unplug).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root

sfx=$(printf '%04x' $((RANDOM % 65536)))
agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
SECTORS=$((4096 + RANDOM % 4096))
img=$(dpt_tmpdir)/disk.img
truncate -s $((SECTORS * 512)) "$img"
policy() {
        cat >"$AGENT_DIR/policy/50-detach.policy" <<POL
$1
[Match]
Class=block
Attribute=size=$SECTORS
[Target]
Container=pid:$CTR

[Match]
Class=net
Name=dpt${sfx}a
[Target]
Container=pid:$CTR
[Grant]
InterfaceName=eth3
POL
}
policy ""
LOOP=$(loop_add "$img")
dpt_veth_add "dpt${sfx}a" "dpt${sfx}b"
agent_start
in_nic() { in_ctr "$CTR" ip link show eth3 >/dev/null 2>&1; }
dpt_wait_for 5000 in_ctr "$CTR" test -b "$LOOP" || fail "block device not granted"
dpt_wait_for 5000 in_nic || fail "NIC not granted"

# ---- detach both: they stay out ----
ctl detach "pid:$CTR" "$LOOP" || fail "detach block"
ctl detach "pid:$CTR" "net:dpt${sfx}a" || fail "detach NIC"
ip link show "dpt${sfx}a" >/dev/null || fail "NIC not back on the host"
echo change >"/sys/class/block/${LOOP#/dev/}/uevent"
echo change >"/sys/class/net/dpt${sfx}a/uevent"
sleep 1
in_ctr "$CTR" test -e "$LOOP" && fail "detached block device granted again"
in_nic && fail "detached NIC granted again (its move back was taken for a plug)"
# an agent restart does not end the hold either
agent_kill
agent_start
sleep 1
in_ctr "$CTR" test -e "$LOOP" && fail "block device granted again after a restart"
in_nic && fail "NIC granted again after a restart"
echo "detach: block device and NIC stay out (uevents, restart)"

# ---- attach ends the hold; the device then is a manual grant ----
ctl attach "pid:$CTR" "$LOOP" >/dev/null || fail "attach block"
in_ctr "$CTR" test -b "$LOOP" || fail "attach did not grant"
ctl detach "pid:$CTR" "$LOOP" || fail "detach the manual grant"
sleep 0.5
in_ctr "$CTR" test -e "$LOOP" && fail "a manual grant's detach was undone"

# ---- a policy change for it ends the hold: another rule decides (rules
# are known by their [Match] and [Target]: this one matches differently) ----
policy "[Match]
Class=block
Subsystem=block
Attribute=size=$SECTORS
[Target]
Container=pid:$CTR
[Grant]
Mode=0640
"
dpt_wait_for 3000 in_ctr "$CTR" test -b "$LOOP" || fail "policy change did not grant again"
ctl detach "pid:$CTR" "$LOOP" || fail "detach again"
sleep 0.5
in_ctr "$CTR" test -e "$LOOP" && fail "detach after the policy change undone"

# ---- a re-plug ends the hold ----
losetup -d "$LOOP"
sleep 0.3
LOOP2=$(loop_add "$img")
dpt_wait_for 3000 in_ctr "$CTR" test -b "$LOOP2" || fail "re-plugged device not granted"
echo "detach: attach, policy change and re-plug end the hold"

# ---- the NIC: a manual attach through the agent stays in ----
# (the policy change above only moved the NIC's rule: rules are known by
# content, so its hold stays)
in_nic && fail "moving the NIC's rule ended its hold"
ctl attach "pid:$CTR" "net:dpt${sfx}a" --name eth4 >/dev/null || fail "manual NIC attach"
sleep 1
in_ctr "$CTR" ip link show eth4 >/dev/null 2>&1 ||
        fail "manual NIC attach revoked (the move's remove taken for an unplug)"
ctl list --json | grep -q '"netdev": "eth4"' || fail "manual NIC grant left the ledger"
ctl detach "pid:$CTR" "net:dpt${sfx}a" >/dev/null || fail "detach manual NIC"
ip link show "dpt${sfx}a" >/dev/null || fail "NIC not back after the manual detach"
sleep 0.5
in_nic && fail "NIC re-granted after detaching the manual grant"
echo "engine-detach: all checks passed"
