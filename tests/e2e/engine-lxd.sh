#!/bin/bash
# LXD as users run it (Debian's lxd 5.0, a dir pool, no network): lxd:NAME
# resolves through the container's LXC monitor (no per-call state round
# trip to LXD), or LXD's REST API for what no monitor answers; a privileged
# container: attach, read inside, detach (devices.list identical before
# attach and after detach), EPERM afterwards; an unprivileged one (LXD's
# default: a user namespace, and v1 "a *:* rwm", the namespace being the
# barrier): attach, read, detach; a NIC in and out; the agent: coldplug,
# hotplug, stop and restart.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
source "$HERE/../harness/engines.sh"
dpt_require_root
eng_lxd_start

sfx=$(printf '%04x' $((RANDOM % 65536)))
agent_setup
P=dpt-lx$sfx
U=dpt-lx${sfx}u
eng_lxd_launch "$P" -c security.privileged=true
eng_lxd_launch "$U"
PID=$(eng_lxd_pid "$P")
UPID=$(eng_lxd_pid "$U")
[[ "$(readlink "/proc/$UPID/ns/user")" != "$(readlink /proc/self/ns/user)" ]] ||
        fail "$U is not user-namespaced"

SECTORS=$((4096 + RANDOM % 4096))
img=$(dpt_tmpdir)/disk.img
head -c $((SECTORS * 512)) /dev/zero >"$img"
printf 'devpass-lxd-%s' "$sfx" | dd of="$img" conv=notrunc status=none
LOOP=$(loop_add "$img")
MIN=${LOOP#/dev/loop}

# ---- privileged, without an agent ----
before=$(eng_devices_list "$PID")
[[ "$(eng_mknod_open "$PID" b 7 "$MIN")" == EPERM ]] || fail "b 7:$MIN opens before any grant"
ctl attach "lxd:$P" "$LOOP" --mode 0640 >/dev/null || fail "attach lxd:$P"
lxc exec "$P" -- dd if="$LOOP" bs=512 count=1 2>/dev/null | grep -q "devpass-lxd-$sfx" ||
        fail "cannot read $LOOP inside the LXD container"
ctl detach "lxd:$P" "$LOOP" || fail "detach"
lxc exec "$P" -- test -e "$LOOP" && fail "node left inside after detach"
[[ "$(eng_mknod_open "$PID" b 7 "$MIN")" == EPERM ]] || fail "b 7:$MIN still opens after detach"
[[ "$(eng_devices_list "$PID")" == "$before" ]] || fail "devices.list changed"
echo "lxd (privileged): attach, read, detach, EPERM, devices.list unchanged"

# ---- unprivileged ----
before=$(eng_devices_list "$UPID")
ctl attach "lxd:$U" "$LOOP" --mode 0600 >/dev/null || fail "attach lxd:$U"
lxc exec "$U" -- dd if="$LOOP" bs=512 count=1 2>/dev/null | grep -q "devpass-lxd-$sfx" ||
        fail "cannot read $LOOP inside the unprivileged container"
ctl detach "lxd:$U" "$LOOP" || fail "detach (unprivileged)"
lxc exec "$U" -- test -e "$LOOP" && fail "node left inside (unprivileged)"
[[ "$(eng_devices_list "$UPID")" == "$before" ]] || fail "devices.list changed (unprivileged)"
echo "lxd (unprivileged): attach, read, detach"

# ---- resolution: LXD's answers for what no monitor gives ----
out=$(ctl attach "lxd:dpt-none$sfx" "$LOOP" 2>&1) && fail "unknown container attached"
[[ "$out" == *"no such container"* ]] || fail "unknown: $out"
lxc stop -f "$U"
out=$(ctl attach "lxd:$U" "$LOOP" 2>&1) && fail "stopped container attached"
[[ "$out" == *"not running"* ]] || fail "stopped: $out"
lxc start "$U"

# ---- a NIC in and out ----
dpt_veth_add "dpt${sfx}a" "dpt${sfx}b"
mac=$(cat "/sys/class/net/dpt${sfx}a/address")
ctl attach "lxd:$P" "net:dpt${sfx}a" --name eth5 >/dev/null || fail "attach NIC"
lxc exec "$P" -- ip link show eth5 | grep -q "$mac" || fail "eth5 not inside"
ctl detach "lxd:$P" "net:dpt${sfx}a" || fail "detach NIC"
ip link show "dpt${sfx}a" | grep -q "$mac" || fail "NIC did not come back as dpt${sfx}a"
echo "lxd: NIC in as eth5 and back"

# ---- the agent ----
cat >"$AGENT_DIR/policy/50-lxd.policy" <<POL
[Match]
Class=block
Attribute=size=$SECTORS
[Target]
Container=lxd:dpt-lx$sfx*
[Grant]
Access=rw
POL
agent_start
dpt_wait_for 8000 lxc exec "$P" -- test -b "$LOOP" || fail "not coldplugged at agent start"
dpt_wait_for 8000 lxc exec "$U" -- test -b "$LOOP" || fail "not coldplugged (unprivileged)"
t0=$(now_ms)
LOOP2=$(loop_add "$img")
dpt_wait_for 6000 lxc exec "$P" -- test -b "$LOOP2" || fail "hotplugged $LOOP2 not inside"
echo "lxd: hotplugged $LOOP2 inside in $(($(now_ms) - t0)) ms"
losetup -d "$LOOP2"
dpt_wait_for 6000 sh -c "! lxc exec $P -- test -e $LOOP2" || fail "unplugged $LOOP2 left inside"
lxc stop -f "$P"
dpt_wait_for 8000 sh -c "! '$DEVPASSCTL' --socket '$AGENT_SOCK' list --json | grep -q '\"lxd:$P\"'" ||
        fail "stopped container still in the ledger"
lxc start "$P"
dpt_wait_for 8000 lxc exec "$P" -- test -b "$LOOP" || fail "restarted container not re-granted"
echo "lxd: agent coldplug, hotplug, stop, restart"
echo "engine-lxd: all checks passed"
