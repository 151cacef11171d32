#!/bin/bash
# LXC as users run it (Debian's lxc 5.0, the busybox template): a
# privileged container and an unprivileged one (lxc.idmap: a user
# namespace, run by root, which needs no /etc/subuid range). For each,
# without an agent: attach, read inside, owner as seen inside, detach,
# the node gone, the device refused by the container's cgroup again and
# devices.list identical before attach and after detach. The privileged one
# laid out as a systemd inside lays out its cgroups (init.scope and a
# service below LXC's cgroup, made before the grant): the grant goes to
# LXC's cgroup and opens in both, EPERM in both after the detach. Then the agent:
# a policy grants a hot-plugged disk into the unprivileged container and
# takes it away on unplug.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
source "$HERE/../harness/engines.sh"
dpt_require_root
eng_require_pkg lxc
[[ -d /sys/fs/cgroup/devices ]] || { echo "SKIP: no v1 devices controller"; exit 77; }

sfx=$(printf '%04x' $((RANDOM % 65536)))
agent_setup
P=dptlxc$sfx
U=dptlxc${sfx}u
dpt_lxc_create "$P"
base=$((300000 + 65536 * (RANDOM % 64)))
dpt_lxc_create "$U" "lxc.idmap = u 0 $base 65536" "lxc.idmap = g 0 $base 65536"
dpt_lxc_start "$P"
PID=$DPT_LXC_PID
dpt_lxc_start "$U"
UPID=$DPT_LXC_PID
[[ "$(readlink "/proc/$UPID/ns/user")" != "$(readlink /proc/self/ns/user)" ]] ||
        fail "$U is not user-namespaced"
read -r _ UROOT _ <"/proc/$UPID/uid_map"

SECTORS=$((4096 + RANDOM % 4096))
img=$(dpt_tmpdir)/disk.img
head -c $((SECTORS * 512)) /dev/zero >"$img"
printf 'devpass-lxc-%s' "$sfx" | dd of="$img" conv=notrunc status=none
LOOP=$(loop_add "$img")

# cg_open PID DEV: opens the host's DEV from a process in PID's v1 devices
# cgroup, in no namespace of it (a user namespace's root could not mknod
# a probe): OK or the error, as the container's cgroup judges the device.
cg_open() {
        local cg
        cg=$(sed -n 's/^[0-9]*:devices://p' "/proc/$1/cgroup")
        (
                echo "$BASHPID" >"/sys/fs/cgroup/devices$cg/cgroup.procs"
                if exec 3<"$2"; then echo OK; fi
        ) 2>&1 | sed 's/.*Operation not permitted/EPERM/'
}

check_one() { # NAME PID WHAT: the offline cycle
        local n=$1 pid=$2 what=$3 before
        before=$(eng_devices_list "$pid")
        [[ "$(cg_open "$pid" "$LOOP")" == EPERM ]] || fail "$what: $LOOP opens before any grant"
        ctl attach "lxc:$n" "$LOOP" --path /dev/dptdisk --mode 0640 >/dev/null ||
                fail "$what: attach lxc:$n"
        lxc-attach -n "$n" -- dd if=/dev/dptdisk bs=512 count=1 2>/dev/null |
                grep -q "devpass-lxc-$sfx" || fail "$what: cannot read /dev/dptdisk inside"
        [[ "$(lxc-attach -n "$n" -- stat -c '%u %g %a' /dev/dptdisk)" == "0 0 640" ]] ||
                fail "$what: owner/mode inside: $(lxc-attach -n "$n" -- stat -c '%u %g %a' /dev/dptdisk)"
        [[ "$(cg_open "$pid" "$LOOP")" == OK ]] || fail "$what: the cgroup refuses the granted device"
        ctl detach "lxc:$n" "$LOOP" || fail "$what: detach"
        lxc-attach -n "$n" -- test -e /dev/dptdisk && fail "$what: node left inside after detach"
        [[ "$(cg_open "$pid" "$LOOP")" == EPERM ]] || fail "$what: $LOOP still opens after detach"
        [[ "$(eng_devices_list "$pid")" == "$before" ]] || fail "$what: devices.list changed"
        echo "lxc ($what): attach, read, owner inside, detach, EPERM, devices.list unchanged"
}
check_one "$P" "$PID" privileged
check_one "$U" "$UPID" "unprivileged, root = host uid $UROOT"

# ---- a systemd inside: its cgroups below LXC's, made before the grant ----
# systemd puts itself into init.scope and its services into system.slice
# below the runtime's cgroup; the grant must go to LXC's cgroup and reach
# them all (v1 copies a parent's list only when a child is made)
top=$(sed -n 's/^[0-9]*:devices://p' "/proc/$PID/cgroup")
sd_undo() {
        local h q
        for h in /sys/fs/cgroup/devices /sys/fs/cgroup/unified; do
                [ -d "$h$top/init.scope" ] || continue
                for q in $(cat "$h$top/init.scope/cgroup.procs"); do echo "$q" >"$h$top/cgroup.procs"; done
                rmdir "$h$top/system.slice/dpt.service" "$h$top/system.slice" "$h$top/init.scope"
        done
}
dpt_cleanup_add sd_undo
for h in /sys/fs/cgroup/devices /sys/fs/cgroup/unified; do
        [ -d "$h$top" ] || continue
        mkdir -p "$h$top/init.scope" "$h$top/system.slice/dpt.service"
        for q in $(cat "$h$top/cgroup.procs"); do echo "$q" >"$h$top/init.scope/cgroup.procs"; done
done
[[ "$(sed -n 's/^[0-9]*:devices://p' "/proc/$PID/cgroup")" == "$top/init.scope" ]] ||
        fail "systemd layout: init not in $top/init.scope"
# svc_open DEV: opens DEV from a process in system.slice/dpt.service
svc_open() {
        (
                echo "$BASHPID" >"/sys/fs/cgroup/devices$top/system.slice/dpt.service/cgroup.procs"
                if exec 3<"$1"; then echo OK; fi
        ) 2>&1 | sed 's/.*Operation not permitted/EPERM/'
}
ctl attach "lxc:$P" "$LOOP" --path /dev/dptsd >/dev/null || fail "systemd layout: attach lxc:$P"
cgp=$(ctl list --json | sed -n 's/.*"cgroup_path": "\(.*\)".*/\1/p' | head -1)
[[ "$cgp" == */lxc.payload.$P ]] || fail "systemd layout: granted in $cgp, not LXC's cgroup"
[[ "$(cg_open "$PID" "$LOOP")" == OK ]] || fail "systemd layout: refused in init.scope"
[[ "$(svc_open "$LOOP")" == OK ]] || fail "systemd layout: refused in system.slice/dpt.service"
ctl detach "lxc:$P" "$LOOP" || fail "systemd layout: detach"
[[ "$(cg_open "$PID" "$LOOP")" == EPERM ]] || fail "systemd layout: opens in init.scope after detach"
[[ "$(svc_open "$LOOP")" == EPERM ]] || fail "systemd layout: opens in the service after detach"
echo "lxc (systemd inside: init.scope, system.slice): granted at lxc.payload.$P, opens in both, EPERM in both after detach"

# ---- the agent: hotplug into the unprivileged container ----
S2=$((SECTORS + 1))
cat >"$AGENT_DIR/policy/50-lxc.policy" <<POL
[Match]
Class=block
Attribute=size=$S2
[Target]
Container=lxc:$U
[Grant]
Path=/dev/dpthot
POL
agent_start
img2=$(dpt_tmpdir)/hot.img
head -c $((S2 * 512)) /dev/zero >"$img2"
printf 'devpass-hot-%s' "$sfx" | dd of="$img2" conv=notrunc status=none
L2=$(loop_add "$img2")
M2=${L2#/dev/loop}
dpt_wait_for 5000 lxc-attach -n "$U" -- test -b /dev/dpthot || fail "hotplug: $L2 not granted to lxc:$U"
lxc-attach -n "$U" -- dd if=/dev/dpthot bs=512 count=1 2>/dev/null | grep -q "devpass-hot-$sfx" ||
        fail "hotplug: cannot read /dev/dpthot inside"
losetup -d "$L2"
dpt_wait_for 5000 sh -c "! lxc-attach -n '$U' -- test -e /dev/dpthot" ||
        fail "unplug: /dev/dpthot left in lxc:$U"
! eng_devices_list "$UPID" | grep -q "^b 7:$M2 " || fail "unplug: b 7:$M2 left in devices.list"
echo "lxc (unprivileged, agent): hotplug granted and read, unplug revoked"
echo "PASS: engine-lxc"
