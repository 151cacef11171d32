#!/bin/bash
# Forward=yes end to end: devpassd grants a hotplugged loop device to a
# privileged and a user-namespaced container that run the host's udevadm
# (host /usr shared read-only); `udevadm monitor --udev` inside sees the add
# and the remove, and `udevadm info` inside shows the forwarded record.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
dpt_require_cmd udevadm

agent_setup
dpt_ctr_start --share-usr --v1-deny
A=$DPT_PID
dpt_ctr_start --share-usr --userns --v1-deny
B=$DPT_PID
SZ=$((4096 + RANDOM % 2048))
cat >"$AGENT_DIR/policy/50-fwd.policy" <<POL
[Match]
Class=block
Attribute=size=$SZ
[Target]
Container=pid:$A pid:$B
[Grant]
Forward=yes
POL

# succeeds once a udev listener (NETLINK_KOBJECT_UEVENT, multicast group 2)
# exists in the netns of pid $1
has_listener() {
        local sk eth pid groups rest
        while read -r sk eth pid groups rest; do
                [ "$eth" = 15 ] && [[ $groups =~ ^[0-9a-fA-F]+$ ]] &&
                        (((16#$groups) & 2)) && return 0
        done <"/proc/$1/net/netlink"
        return 1
}
for c in $A $B; do
        # a container image with udev has /run/udev/control; libudev will
        # not subscribe a "udev" monitor without it
        in_ctr "$c" sh -c 'mkdir -p /run/udev && touch /run/udev/control'
        in_ctr "$c" sh -c 'timeout 60 udevadm monitor --udev --property >/tmp/mon.txt 2>&1 </dev/null &'
        dpt_wait_for 5000 has_listener "$c" ||
                fail "udevadm monitor did not subscribe in $c"
done
agent_start

img=$(dpt_tmpdir)/img
head -c $((SZ * 512)) /dev/zero >"$img"
L=$(loop_add "$img")
for c in $A $B; do
        dpt_wait_for 5000 in_ctr "$c" test -b "$L" || fail "$L not granted in $c"
        dpt_wait_for 5000 in_ctr "$c" grep -q "^DEVNAME=$L" /tmp/mon.txt ||
                fail "monitor in $c did not see the add: $(in_ctr "$c" cat /tmp/mon.txt)"
        in_ctr "$c" grep -q "^ACTION=add" /tmp/mon.txt || fail "no ACTION=add in $c"
        info=$(in_ctr "$c" udevadm info --query=property "$L") || fail "udevadm info failed in $c"
        echo "$info" | grep -q "^SUBSYSTEM=block" || fail "udevadm info in $c: $info"
        echo "$info" | grep -q "^DEVNAME=$L" || fail "udevadm info in $c: $info"
done
losetup -d "$L"
for c in $A $B; do
        dpt_wait_for 5000 in_ctr "$c" grep -q "^ACTION=remove" /tmp/mon.txt ||
                fail "monitor in $c did not see the remove"
        dpt_wait_for 5000 sh -c "! '$DPT_HARNESS' exec $c test -e $L" || fail "$L left in $c"
        in_ctr "$c" test -e "/run/udev/data/b7:${L#/dev/loop}" && fail "udev record left in $c"
done
echo "agent-forward: all checks passed"
