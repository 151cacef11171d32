#!/bin/bash
# GPU grants end to end without a GPU: starts real harness containers (two
# with a deny-by-default cgroup v1 device list, one with a cgroup2
# deny-by-default device program), then runs test-gpu-fake-major under
# umockdev-wrapper, which enumerates the NVIDIA and Intel GPU fixtures and
# grants them with the real engine. The preload hides all of /sys, so the
# cgroup hierarchies and a private bpffs are reached through paths outside
# /sys. Usage: gpu-fake-major.sh TEST-BINARY DP-TESTCTR FIXTURE-DIR
set -u
HELPER=$1 TESTCTR=$2 FIXTURES=$3

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
command -v umockdev-wrapper >/dev/null || skip "umockdev-wrapper not installed"
# The trick needs majors without a driver: a real NVIDIA or DRM driver here
# would answer the open itself.
for m in 195 226 238 241; do
        grep -qE "^ *$m " /proc/devices && skip "char major $m has a driver on this machine"
done
V1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)devices(,|$)/ {print $2; exit}' /proc/mounts)
V2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$V1" ] || skip "no cgroup v1 devices hierarchy"
[ -n "$V2" ] || skip "no cgroup2 hierarchy"

TMP=$(mktemp -d /tmp/dptgpu.XXXXXX)
SUF=$$
# known up front: start() runs in a command substitution, whose changes to
# variables do not reach this shell
CTRS=("dptga$SUF" "dptgb$SUF" "dptgc$SUF")
cleanup() {
        for c in "${CTRS[@]}"; do "$TESTCTR" stop "$c" >/dev/null 2>&1; done
        mountpoint -q "$TMP/bpf" && umount "$TMP/bpf"
        rm -rf "$TMP"
}
trap cleanup EXIT

start() { # NAME OPTIONS...
        local out
        out=$("$TESTCTR" start --name "$1" "${@:2}") || { echo "FAIL: start $1"; exit 1; }
        echo "${out%% *}"
}
PID_A=$(start "dptga$SUF" --v1-deny) || exit 1
PID_B=$(start "dptgb$SUF" --v1-deny) || exit 1
PID_V2=$(start "dptgc$SUF" --v2-runtime-prog) || exit 1

ln -s "$V1" "$TMP/cg1"
ln -s "$V2" "$TMP/cg2"
mkdir "$TMP/bpf" && mount -t bpf bpf "$TMP/bpf" || { echo "FAIL: mount bpffs"; exit 1; }

ASAN_OPTIONS=verify_asan_link_order=0 \
        umockdev-wrapper "$HELPER" --test-path="cgroup-v1-devices=$TMP/cg1" \
        --test-path="cgroup-v2=$TMP/cg2" --test-path="bpf-root=$TMP/bpf/devpass" \
        --test-path="node-dir=$TMP/nodes" "$TESTCTR" "$TMP/state" "$PID_A" "$PID_B" "$PID_V2"
rc=$?
[ $rc = 0 ] && echo "PASS: gpu-fake-major" || echo "FAIL: gpu-fake-major (rc $rc)"
exit $rc
