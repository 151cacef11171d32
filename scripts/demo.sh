#!/bin/bash
# devpass demo: installs what it needs, builds, creates a real LXC busybox
# container, starts devpassd with an example policy, then hotplugs a loop
# device and a veth into the running container, shows them working inside
# and unplugs them again. Run as root on Debian 12. Leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-deps.sh
cmake -S . -B build-demo -DDEVPASS_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-demo -j"$(nproc)" --target devpassd devpassctl >/dev/null

CTR=devpass-demo
WORK=$(mktemp -d /tmp/devpass-demo.XXXXXX)
LOOP=
AGENT=
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() {
        set +e
        [ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
        [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
        ip link del dpdemo0 2>/dev/null
        lxc-stop -k -n "$CTR" 2>/dev/null
        lxc-destroy -n "$CTR" >/dev/null 2>&1
        rm -rf "$WORK"
}
trap cleanup EXIT

say "Creating and starting LXC container '$CTR' (busybox, privileged)"
lxc-destroy -n "$CTR" >/dev/null 2>&1 || true
lxc-create -n "$CTR" -t busybox >/dev/null
cat >>"/var/lib/lxc/$CTR/config" <<CFG
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
CFG
lxc-start -n "$CTR" -d
for _ in $(seq 100); do lxc-info -n "$CTR" -pH >/dev/null 2>&1 && break; sleep 0.1; done

say "Policy (policy/examples/90-loop-demo.policy, adapted to this run)"
mkdir -p "$WORK/policy"
SECTORS=6144 # 3 MiB: the policy picks the demo disk by its size
cat >"$WORK/policy/90-demo.policy" <<POL
# Block devices of exactly $SECTORS sectors go into the demo container.
[Match]
Class=block
Attribute=size=$SECTORS
[Target]
Container=lxc:$CTR
[Grant]
Access=rw
Mode=0660

# The veth called dpdemo0 moves into the container as eth1.
[Match]
Class=net
Name=dpdemo0
[Target]
Container=lxc:$CTR
[Grant]
InterfaceName=eth1
POL
cat "$WORK/policy/90-demo.policy"
./build-demo/tools/devpassctl policy check "$WORK/policy"

say "Starting devpassd"
./build-demo/agent/devpassd --policy-dir "$WORK/policy" --state-dir "$WORK/state" \
        --socket "$WORK/devpass.sock" --rescan-ms 250 2>"$WORK/devpassd.log" &
AGENT=$!
CTL=(./build-demo/tools/devpassctl --socket "$WORK/devpass.sock")
for _ in $(seq 50); do "${CTL[@]}" status >/dev/null 2>&1 && break; sleep 0.1; done
"${CTL[@]}" status

say "Hotplug: a loop device appears on the host"
head -c $((SECTORS * 512)) /dev/zero >"$WORK/disk.img"
echo "hello from the host, via devpass" | dd of="$WORK/disk.img" conv=notrunc status=none
LOOP=$(losetup -f --show "$WORK/disk.img")
echo "host: $LOOP"
for _ in $(seq 100); do lxc-attach -n "$CTR" -- test -b "$LOOP" && break; sleep 0.01; done
echo "inside the container:"
lxc-attach -n "$CTR" -- ls -l "$LOOP"
lxc-attach -n "$CTR" -- sh -c "dd if=$LOOP bs=64 count=1 2>/dev/null | head -1"

say "Hotplug: a veth appears on the host"
ip link add dpdemo0 type veth peer name dpdemo1
for _ in $(seq 100); do lxc-attach -n "$CTR" -- ip link show eth1 >/dev/null 2>&1 && break; sleep 0.01; done
echo "inside the container:"
lxc-attach -n "$CTR" -- ip -o link show eth1

say "Current grants"
"${CTL[@]}" list

say "Unplug: the loop device goes away"
losetup -d "$LOOP"
for _ in $(seq 100); do lxc-attach -n "$CTR" -- test -e "$LOOP" || break; sleep 0.01; done
if lxc-attach -n "$CTR" -- test -e "$LOOP"; then
        echo "still there?!" >&2
        exit 1
fi
echo "inside the container: $LOOP is gone"
LOOP=
"${CTL[@]}" list

say "Agent log"
cat "$WORK/devpassd.log"
say "Demo finished; cleaning up"
