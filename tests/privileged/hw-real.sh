#!/bin/bash
# SPDX-License-Identifier: MIT
# Discovery on the real kernel: a loop device, a veth pair, a tap and a
# macvtap on the veth, classified and resolved with systemd-udevd stopped
# and then started by hand; both runs must agree.
#   hw-real.sh PATH-TO-hw-real-check
set -u
check=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip losetup; do
        command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done

sfx=$(printf '%04x' $((RANDOM ^ $$ & 0xffff)))
veth=dpth$sfx veth_peer=dpthp$sfx tap=dptt$sfx mvt=dptm$sfx
tmp=$(mktemp -d /tmp/dpt-hw-XXXXXX)
loop= made_node= started_udevd=0

cleanup() {
        if [ "$started_udevd" = 1 ]; then
                timeout 10 udevadm control --exit 2>/dev/null
                rm -rf /run/udev
        fi
        [ -n "$made_node" ] && rm -f "$made_node"
        ip link del "$mvt" 2>/dev/null
        ip link del "$veth" 2>/dev/null
        ip tuntap del dev "$tap" mode tap 2>/dev/null
        [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

truncate -s 1M "$tmp/img" || exit 1
loop=$(losetup -f --show "$tmp/img") || { echo "SKIP: no loop device"; exit 77; }
ip link add "$veth" type veth peer name "$veth_peer" || exit 1
ip tuntap add dev "$tap" mode tap || exit 1
if ! ip link add link "$veth" name "$mvt" type macvtap; then
        echo "SKIP: macvtap not supported"
        exit 77
fi
ifindex=$(cat /sys/class/net/$mvt/ifindex)
if [ ! -e /dev/tap$ifindex ]; then
        # no devtmpfs and no udevd: make the node the way udev would
        IFS=: read -r maj min < /sys/class/macvtap/tap$ifindex/dev
        mknod /dev/tap$ifindex c "$maj" "$min" && made_node=/dev/tap$ifindex
fi

udevd_before=0
if [ -S /run/udev/control ] && udevadm control --ping -t 2 2>/dev/null; then
        udevd_before=1
fi

if [ "$udevd_before" = 0 ]; then
        rm -rf /run/udev
        "$check" noudev "$loop" "$veth" "$tap" "$mvt" "$tmp/noudev" || exit 1
else
        echo "note: systemd-udevd already runs here; the run without it is skipped"
fi

udevd=/lib/systemd/systemd-udevd
if [ "$udevd_before" = 0 ]; then
        if [ ! -x "$udevd" ]; then
                echo "note: no systemd-udevd installed; the udev run is skipped"
                exit 0
        fi
        "$udevd" --daemon || exit 1
        started_udevd=1
        udevadm control --ping -t 10 || exit 1
fi
# only our own devices, never an unrestricted trigger
udevadm trigger --action=add "/sys/class/net/$veth" "/sys/class/net/$tap" \
        "/sys/class/net/$mvt" "/sys/class/block/${loop#/dev/}" \
        "/sys/class/macvtap/tap$ifindex" || exit 1
udevadm settle -t 20 || true
"$check" udev "$loop" "$veth" "$tap" "$mvt" "$tmp/udev" || exit 1

if [ "$udevd_before" = 0 ]; then
        if ! diff -u "$tmp/noudev" "$tmp/udev"; then
                echo "FAIL: results differ with and without udevd"
                exit 1
        fi
        echo "ok: same classification with and without udevd"
fi
exit 0
