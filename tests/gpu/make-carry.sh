#!/bin/bash
# Copies prebuilt devpassd, devpassctl and dp-testctr and every shared
# library they load (the C library and its loader included) into a folder,
# so that tests/gpu/h100-check.sh can run them on a GPU host that has none
# of devpass's libraries. devpassctl is carried as the full program
# (devpassctl-local, same behaviour): the static client finds its helper
# through /proc/self/exe, which is the loader when h100-check.sh runs a
# binary through the carried ld.so. Usage: make-carry.sh BUILD-DIR [OUT-DIR]
# (default OUT-DIR: .carry in the repository root).
set -euo pipefail
BUILD=$1
OUT=${2:-$(cd "$(dirname "$0")/../.." && pwd)/.carry}
BINS=("$BUILD/agent/devpassd" "$BUILD/tools/devpassctl-local" "$BUILD/tests/harness/dp-testctr")
rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/lib"
for b in "${BINS[@]}"; do
        cp "$b" "$OUT/bin/"
        # "name => /path (addr)" and the loader's own "/path (addr)" line
        ldd "$b" | awk '/=>/ && $3 ~ /^\// {print $3} !/=>/ && $1 ~ /^\// {print $1}'
done | sort -u | while read -r lib; do
        cp -L "$lib" "$OUT/lib/"
done
mv "$OUT/bin/devpassctl-local" "$OUT/bin/devpassctl"
# dp-testctr fills its rootfs from a static busybox; GPU hosts rarely
# have busybox-static.
for bb in /usr/bin/busybox /bin/busybox; do
        [ -e "$bb" ] && { cp -L "$bb" "$OUT/bin/busybox"; break; }
done
strip --strip-unneeded "$OUT"/bin/dev* "$OUT"/bin/dp-* 2>/dev/null || true
du -sh "$OUT"
ls "$OUT/bin" "$OUT/lib"
