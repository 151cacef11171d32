#!/bin/bash
# bench-vm: USB keyboard hotplug in the VM lab guest (tests/vm), kernel
# uevent -> node inside an LXC container through devpassd, against
# systemd-udevd's own processing of the same event, p50/p99 over N plugs.
#   bench/bench-vm.sh [--plugs N] [--build-dir DIR]     (root; about 3 min)
# Under TCG every figure is that of an emulated CPU: compare the ratio, not
# the milliseconds, with bare-metal numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
PLUGS=30
BUILD=build
while [ $# -gt 0 ]; do
        case "$1" in
        --plugs) PLUGS=$2; shift ;;
        --build-dir) BUILD=$2; shift ;;
        *) echo "usage: $0 [--plugs N] [--build-dir DIR]" >&2; exit 2 ;;
        esac
        shift
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
TMP=$(mktemp -d /tmp/dpb-vm.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# static: the guest's libc need not match the host's
gcc -O2 -static -o "$TMP/vm-stamp" bench/vm-stamp.c
python3 tests/vm/run-vm.py "$BUILD" --mode v2 --bench "$PLUGS" --stamp "$TMP/vm-stamp"
