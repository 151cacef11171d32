#!/bin/bash
# Builds the VM lab's guest: a Debian 12 root filesystem with systemd as
# PID 1, udevd, LXC, systemd-nspawn, Docker (runc), Podman (crun) and the
# libraries devpass links, as a raw ext4 image plus the kernel and initrd to
# boot it with. Docker's units are disabled: a check starts dockerd when it
# needs it, so the boot does not wait on it.
#
# The result is cached under $DEVPASS_VM_CACHE (default /var/cache/devpass-vm)
# in a directory named by the hash of this script, which holds the package
# list and every customisation: change either and a new image is built.
# --rebuild (or DEVPASS_VM_REBUILD=1) builds from scratch regardless.
# Prints the image directory (root.img, vmlinuz, initrd.img) on stdout.
set -euo pipefail

PKGS=(
        systemd-sysv udev kmod iproute2 linux-image-amd64 initramfs-tools
        qemu-guest-agent busybox-static usbutils pciutils systemd-container
        dbus lxc lxc-templates bpftool procps evtest ethtool
        libudev1 libevdev2 libdrm2 libusb-1.0-0 libnl-3-200
        libnl-route-3-200 libjson-c5 libmicrohttpd12 libsystemd0 libcap2
        docker.io podman crun
)

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${DEVPASS_VM_CACHE:-/var/cache/devpass-vm}
HASH=$(sha256sum "$HERE/build-image.sh" | cut -c1-16)
OUT=$CACHE/$HASH
[ "${1:-}" = "--rebuild" ] && DEVPASS_VM_REBUILD=1

if [ -z "${DEVPASS_VM_REBUILD:-}" ] && [ -f "$OUT/root.img" ] &&
        [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ]; then
        echo "$OUT"
        exit 0
fi

mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ROOTFS=$TMP/rootfs

# The hooks run on the host against the new tree ($1): no services start,
# nothing in the tree runs except the chroot'ed systemctl calls.
include=$(
        IFS=,
        echo "${PKGS[*]}"
)
echo "build-image: mmdebstrap (${#PKGS[@]} packages) into $ROOTFS" >&2
nice mmdebstrap --quiet --variant=minbase --include="$include" \
        --customize-hook='echo devpass-vm >"$1/etc/hostname"' \
        --customize-hook='echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$1/etc/fstab"' \
        --customize-hook='printf "9p\n9pnet_virtio\n" >"$1/etc/modules-load.d/devpass-vm.conf"' \
        --customize-hook='mkdir -p "$1/mnt/share" "$1/var/lib/machines"' \
        --customize-hook='chroot "$1" systemctl mask lxc-net.service lxc.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer systemd-timesyncd.service getty@tty1.service >/dev/null 2>&1 || true' \
        --customize-hook='rm -f "$1/etc/machine-id"; : >"$1/etc/machine-id"' \
        --customize-hook='chroot "$1" systemctl disable docker.service docker.socket containerd.service >/dev/null 2>&1 || true' \
        bookworm "$ROOTFS" /etc/apt/sources.list.d/debian.sources >&2

cp "$(ls "$ROOTFS"/boot/vmlinuz-* | sort -V | tail -1)" "$TMP/vmlinuz"
cp "$(ls "$ROOTFS"/boot/initrd.img-* | sort -V | tail -1)" "$TMP/initrd.img"
truncate -s 4G "$TMP/root.img"
nice mkfs.ext4 -q -F -L devpass-vm -d "$ROOTFS" "$TMP/root.img"
rm -rf "$ROOTFS"

rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
echo "$OUT"
