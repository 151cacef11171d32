#!/bin/bash
# Podman as most users run it: rootful, daemonless, no `podman system
# service` (Debian's podman 4.3 with runc). podman:NAME resolves through
# Podman's CLI; attach, read inside, detach (devices.list identical before
# attach and after detach) and EPERM afterwards; a NIC in and out; a
# --uidmap container; the agent: hotplug, stop, coldplug. Then the attacks
# on the CLI path: a podman program someone else may write is not run, a
# root-owned one that forges an answer is refused, one that hangs is cut off
# at its deadline.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
source "$HERE/../harness/engines.sh"
dpt_require_root
eng_podman_setup
# the CLI path is the point: no API service may answer
[[ ! -S /run/podman/podman.sock ]] || fail "a podman API service runs: this test needs it absent"

sfx=$(printf '%04x' $((RANDOM % 65536)))
agent_setup
C=dpt-pm$sfx
eng_podman_run "$C"
PID=$(podman inspect -f '{{.State.Pid}}' "$C")

# ---- without an agent: attach, read, detach, EPERM ----
SECTORS=$((4096 + RANDOM % 4096))
img=$(dpt_tmpdir)/disk.img
head -c $((SECTORS * 512)) /dev/zero >"$img"
printf 'devpass-podman-%s' "$sfx" | dd of="$img" conv=notrunc status=none
LOOP=$(loop_add "$img")
MIN=${LOOP#/dev/loop}
before=$(eng_devices_list "$PID")
[[ "$(eng_mknod_open "$PID" b 7 "$MIN")" == EPERM ]] || fail "b 7:$MIN opens before any grant"
ctl attach "podman:$C" "$LOOP" --mode 0640 >/dev/null || fail "attach podman:$C $LOOP"
podman exec "$C" dd if="$LOOP" bs=512 count=1 2>/dev/null | grep -q "devpass-podman-$sfx" ||
        fail "cannot read $LOOP inside the Podman container"
[[ "$(podman exec "$C" stat -c %a "$LOOP")" == 640 ]] || fail "--mode 0640 not applied"
ctl detach "podman:$C" "$LOOP" || fail "detach"
podman exec "$C" test -e "$LOOP" && fail "node left inside after detach"
[[ "$(eng_mknod_open "$PID" b 7 "$MIN")" == EPERM ]] || fail "b 7:$MIN still opens after detach"
[[ "$(eng_devices_list "$PID")" == "$before" ]] || fail "devices.list changed"
# an id prefix is not a name
id=$(podman inspect -f '{{.Id}}' "$C")
ctl attach "podman:${id:0:12}" "$LOOP" >/dev/null 2>&1 && fail "an id prefix resolved"
ctl attach "podman:$id" "$LOOP" >/dev/null || fail "the full id did not resolve"
ctl detach "podman:$id" "$LOOP" >/dev/null || fail "detach by id"
echo "podman (no API service): attach, read, detach, EPERM, devices.list unchanged"

# ---- a NIC in and out ----
dpt_veth_add "dpt${sfx}a" "dpt${sfx}b"
mac=$(cat "/sys/class/net/dpt${sfx}a/address")
ctl attach "podman:$C" "net:dpt${sfx}a" --name eth5 >/dev/null || fail "attach NIC"
podman exec "$C" ip link show eth5 | grep -q "$mac" || fail "eth5 not inside"
ctl detach "podman:$C" "net:dpt${sfx}a" || fail "detach NIC"
ip link show "dpt${sfx}a" | grep -q "$mac" || fail "NIC did not come back as dpt${sfx}a"
echo "podman: NIC in as eth5 and back"

# ---- user namespace: --uidmap ----
U=dpt-pm${sfx}u
eng_podman_run "$U" --uidmap 0:20000000:65536 --gidmap 0:20000000:65536
UPID=$(podman inspect -f '{{.State.Pid}}' "$U")
grep -q "^ *0 *20000000 " "/proc/$UPID/uid_map" || fail "not remapped"
before=$(eng_devices_list "$UPID")
ctl attach "podman:$U" "$LOOP" --mode 0600 >/dev/null || fail "attach (userns)"
podman exec "$U" dd if="$LOOP" bs=512 count=1 2>/dev/null | grep -q "devpass-podman-$sfx" ||
        fail "cannot read $LOOP inside the --uidmap container"
ctl detach "podman:$U" "$LOOP" || fail "detach (userns)"
podman exec "$U" test -e "$LOOP" && fail "node left inside (userns)"
[[ "$(eng_devices_list "$UPID")" == "$before" ]] || fail "devices.list changed (userns)"
echo "podman: --uidmap attach, read, detach"

# ---- the agent: coldplug, hotplug, stop, a container started later ----
cat >"$AGENT_DIR/policy/50-podman.policy" <<POL
[Match]
Class=block
Attribute=size=$SECTORS
[Target]
Container=podman:dpt-pm$sfx*
[Grant]
Access=rw
POL
agent_start
dpt_wait_for 10000 podman exec "$C" test -b "$LOOP" || fail "not coldplugged at agent start"
dpt_wait_for 10000 podman exec "$U" test -b "$LOOP" || fail "not coldplugged into the --uidmap container"
t0=$(now_ms)
LOOP2=$(loop_add "$img")
dpt_wait_for 6000 podman exec "$C" test -b "$LOOP2" || fail "hotplugged $LOOP2 not inside"
echo "podman: hotplugged $LOOP2 inside in $(($(now_ms) - t0)) ms"
losetup -d "$LOOP2"
dpt_wait_for 3000 sh -c "! podman exec $C test -e $LOOP2" || fail "unplugged $LOOP2 left inside"
# started while the agent runs and no API service exists: found by rescan
eng_podman_run "${C}n"
dpt_wait_for 10000 podman exec "${C}n" test -b "$LOOP" || fail "late container did not get $LOOP"
podman stop -t 0 "$C" >/dev/null
dpt_wait_for 8000 sh -c "! '$DEVPASSCTL' --socket '$AGENT_SOCK' list --json | grep -q '\"podman:$C\"'" ||
        fail "stopped container still in the ledger"
podman start "$C" >/dev/null
dpt_wait_for 10000 podman exec "$C" test -b "$LOOP" || fail "restarted container not re-granted"
# a manual attach through the agent resolves through the CLI as well
dpt_veth_add "dpt${sfx}c" "dpt${sfx}d"
ctl attach "podman:${C}n" "net:dpt${sfx}c" --name eth6 >/dev/null || fail "agent attach NIC"
podman exec "${C}n" ip link show eth6 >/dev/null || fail "eth6 not inside"
ctl detach "podman:${C}n" "net:dpt${sfx}c" >/dev/null || fail "agent detach NIC"
ip link show "dpt${sfx}c" >/dev/null || fail "NIC did not come back"
echo "podman: agent coldplug, hotplug, stop, late start, manual NIC"
agent_kill

# ---- attacks on the CLI path ----
fake=$(dpt_tmpdir)
# 1. a podman program another user may replace is never run
cat >"$fake/podman" <<EOF
#!/bin/sh
echo ran >"$fake/ran"
exec /usr/bin/podman "\$@"
EOF
chmod 0755 "$fake/podman"
chown nobody "$fake/podman"
out=$(ctl --test-path "podman-cli=$fake/podman" attach "podman:$C" "$LOOP" 2>&1) && fail "untrusted podman was believed"
[[ "$out" == *authentication* && ! -e "$fake/ran" ]] || fail "untrusted podman ran or wrong error: $out"
# 2. a root-owned program that names a process not in the container's cgroup
dpt_ctr_start
cat >"$fake/podman" <<EOF
#!/bin/sh
echo '[{"Id":"$id","Name":"$C","State":{"Running":true,"Pid":$DPT_PID},"HostConfig":{"CgroupParent":""}}]'
EOF
chown root "$fake/podman"
out=$(ctl --test-path "podman-cli=$fake/podman" attach "podman:$C" "$LOOP" 2>&1) && fail "forged answer was believed"
[[ "$out" == *authentication* ]] || fail "forged answer: wrong error: $out"
"$DPT_HARNESS" exec "$DPT_PID" test -e "$LOOP" && fail "node made in the forged container"
# 3. a program that hangs is cut off at its deadline
printf '#!/bin/sh\nexec sleep 30\n' >"$fake/podman"
t0=$(now_ms)
out=$(ctl --test-path "podman-cli=$fake/podman" attach "podman:$C" "$LOOP" 2>&1) && fail "hung podman: attach succeeded"
dt=$(($(now_ms) - t0))
((dt < 4000)) || fail "hung podman held the attach for $dt ms"
[[ "$out" == *"in time"* ]] || fail "hung podman: wrong error: $out"
echo "podman: untrusted, forging and hung CLIs refused (hung one after $dt ms)"
echo "engine-podman: all checks passed"
