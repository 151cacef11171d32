#!/bin/bash
# SPDX-License-Identifier: MIT
# Self-test of the test harness: dp-testctr containers (privileged, user
# namespace, v1 deny list, v2 runtime program, netns only, shared /usr),
# complete cleanup by `stop`, and the lib.sh helpers (LXC, loop, veth, tap,
# macvtap, cleanup on failure). Usage: harness-selftest.sh SRC_DIR BUILD_DIR
set -euo pipefail

SRC_DIR=${1:?SRC_DIR}
BUILD_DIR=${2:?BUILD_DIR}
export BUILD_DIR
# shellcheck source=tests/harness/lib.sh
. "$SRC_DIR/tests/harness/lib.sh"
dpt_require_root

H=$(dpt_harness)
S=$$ # suffix for every name this test creates
CHECKS=0

check() { # check DESCRIPTION CMD...
        local what=$1
        shift
        if "$@"; then
                CHECKS=$((CHECKS + 1))
        else
                dpt_fail "$what"
        fi
}

check_eq() { # check_eq DESCRIPTION EXPECTED ACTUAL
        [[ "$2" == "$3" ]] || dpt_fail "$1: expected '$2', got '$3'"
        CHECKS=$((CHECKS + 1))
}

info_get() { # info_get PID KEY
        "$H" info "$1" | sed -n "s/^$2=//p"
}

# Node numbers of a block device, for mknod inside a container.
dev_majmin() {
        printf '%d %d' "0x$(stat -c %t "$1")" "0x$(stat -c %T "$1")"
}

# Checks that stop removed everything the container had.
check_stopped() { # check_stopped PID NAME V1 V2 ROOTFS
        local pid=$1 name=$2 v1=$3 v2=$4 rootfs=$5
        "$H" stop "$name" || dpt_fail "stop $name"
        check "init $pid gone" dpt_wait_for 5000 bash -c \
                "! grep -qs dpt-init /proc/$pid/comm"
        [[ -z "$v1" ]] || check "v1 cgroup $v1 removed" test ! -e "$v1"
        [[ -z "$v2" ]] || check "v2 cgroup $v2 removed" test ! -e "$v2"
        [[ -z "$rootfs" ]] || check "rootfs removed" test ! -e "$rootfs"
        check "state removed" test ! -e "/run/dp-test/$name"
        check "rootfs unmounted" bash -c \
                "! grep -q ' /run/dp-test/$name/' /proc/self/mountinfo"
        check "stop is idempotent" "$H" stop "$name"
        check "stop by pid is idempotent" "$H" stop "$pid"
}

LOOP=$(dpt_loop_add)
read -r LMAJ LMIN <<<"$(dev_majmin "$LOOP")"
check "loop device is a block node" test -b "$LOOP"

# ---- privileged container ----
dpt_ctr_start --name "dpth-p$S"
P=$DPT_PID
check_eq "name" "dpth-p$S" "$DPT_NAME"
check_eq "id -u inside" 0 "$("$H" exec "$P" id -u)"
check_eq "hostname" "dpth-p$S" "$("$H" exec "$P" hostname)"
check_eq "pid 1 inside is init" dpt-init "$("$H" exec "$P" cat /proc/1/comm)"
set +e
"$H" exec "$P" -- sh -c 'exit 7'
rc=$?
set -e
check_eq "exit status passes through" 7 "$rc"
check_eq "info pid" "$P" "$(info_get "$P" pid)"
check_eq "info userns" 0 "$(info_get "$DPT_NAME" userns)"
check_eq "info uid_base" 0 "$(info_get "$P" uid_base)"
V1=$(info_get "$P" cgroup_v1)
V2=$(info_get "$P" cgroup_v2)
ROOTFS=$(info_get "$P" rootfs)
check_eq "rootfs path" "/run/dp-test/dpth-p$S/root" "$ROOTFS"
check "busybox in rootfs" test -x "$ROOTFS/bin/busybox"
check "some cgroup" test -n "$V1$V2"
[[ -z "$V1" ]] || check "init in v1 cgroup" grep -qx "$P" "$V1/cgroup.procs"
[[ -z "$V2" ]] || check "init in v2 cgroup" grep -qx "$P" "$V2/cgroup.procs"
check_eq "open /dev/null" OK "$("$H" open "$P" /dev/null rw)"
check_eq "open missing" ENOENT "$("$H" open "$P" /nonexistent || true)"
check "open fails with 1" bash -c "! '$H' open $P /nonexistent >/dev/null"
check_eq "own net namespace" lo "$("$H" exec "$P" ls /sys/class/net)"
"$H" exec "$P" mknod /dev/dptloop b "$LMAJ" "$LMIN"
check_eq "loop opens where allowed" OK "$("$H" open "$P" /dev/dptloop)"
check_stopped "$P" "dpth-p$S" "$V1" "$V2" "$ROOTFS"

# ---- user namespace ----
dpt_ctr_start --userns --name "dpth-u$S"
P=$DPT_PID
check_eq "id -u inside userns" 0 "$("$H" exec "$P" id -u)"
check_eq "uid_map" "0 100000 65536" "$(awk '{print $1, $2, $3}' \
        "/proc/$P/uid_map")"
check_eq "gid_map" "0 100000 65536" "$(awk '{print $1, $2, $3}' \
        "/proc/$P/gid_map")"
check_eq "info userns" 1 "$(info_get "$P" userns)"
check_eq "info uid_base" 100000 "$(info_get "$P" uid_base)"
ROOTFS=$(info_get "$P" rootfs)
"$H" exec "$P" touch /tmp/owned
check_eq "file made inside owned by mapped root" 100000 \
        "$(stat -c %u "$ROOTFS/tmp/owned")"
check_eq "userns /dev/null" OK "$("$H" open "$P" /dev/null rw)"
check_eq "userns /dev/zero" OK "$("$H" open "$P" /dev/zero)"
check_stopped "$P" "dpth-u$S" "$(info_get "$P" cgroup_v1)" \
        "$(info_get "$P" cgroup_v2)" "$ROOTFS"

# ---- cgroup v1 deny list ----
if [[ -n "$V1" ]]; then
        dpt_ctr_start --v1-deny --name "dpth-d$S"
        P=$DPT_PID
        V1D=$(info_get "$P" cgroup_v1)
        check "v1 deny list in place" bash -c \
                "! grep -qx 'a \*:\* rwm' '$V1D/devices.list'"
        "$H" exec "$P" mknod /dev/dptloop b "$LMAJ" "$LMIN"
        check_eq "v1: loop denied" EPERM "$("$H" open "$P" /dev/dptloop ||
                true)"
        check_eq "v1: /dev/null allowed" OK "$("$H" open "$P" /dev/null rw)"
        check_eq "v1: /dev/zero allowed" OK "$("$H" open "$P" /dev/zero)"
        check_stopped "$P" "dpth-d$S" "$V1D" "$(info_get "$P" cgroup_v2)" \
                "$(info_get "$P" rootfs)"
else
        echo "note: no cgroup v1 devices hierarchy, --v1-deny not tested" >&2
fi

# ---- cgroup2 runtime program (v1 allows everything here) ----
dpt_ctr_start --v2-runtime-prog --name "dpth-b$S"
P=$DPT_PID
V2B=$(info_get "$P" cgroup_v2)
[[ -z "$(info_get "$P" cgroup_v1)" ]] ||
        check "v1 allows all" grep -qx 'a \*:\* rwm' \
                "$(info_get "$P" cgroup_v1)/devices.list"
"$H" exec "$P" mknod /dev/dptloop b "$LMAJ" "$LMIN"
check_eq "v2: loop denied" EPERM "$("$H" open "$P" /dev/dptloop || true)"
check_eq "v2: /dev/null allowed" OK "$("$H" open "$P" /dev/null rw)"
check_eq "v2: /dev/urandom allowed" OK "$("$H" open "$P" /dev/urandom)"
check_eq "v2: mknod of any char node allowed" 0 \
        "$("$H" exec "$P" sh -c 'mknod /dev/dptc c 10 200 && echo $?')"
check_stopped "$P" "dpth-b$S" "$(info_get "$P" cgroup_v1)" "$V2B" \
        "$(info_get "$P" rootfs)"

# ---- netns only ----
dpt_ctr_start --netns-only --name "dpth-n$S"
P=$DPT_PID
check_eq "netns-only: no rootfs" "" "$(info_get "$P" rootfs)"
check "netns-only: own netns" bash -c \
        "[ \"\$(readlink /proc/$P/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
check_eq "netns-only: only lo" 1 \
        "$("$H" exec "$P" ip -o link show | wc -l)"
check_stopped "$P" "dpth-n$S" "" "" ""

# ---- shared /usr ----
if command -v udevadm >/dev/null; then
        dpt_ctr_start --share-usr --userns --name "dpth-s$S"
        P=$DPT_PID
        check_eq "host udevadm runs inside" "$(udevadm --version)" \
                "$("$H" exec "$P" udevadm --version)"
        check "/run/udev inside" "$H" exec "$P" test -d /run/udev
        check_eq "/usr is read-only" 1 \
                "$("$H" exec "$P" sh -c 'touch /usr/dpt 2>/dev/null; echo $?')"
        check_stopped "$P" "dpth-s$S" "$(info_get "$P" cgroup_v1)" \
                "$(info_get "$P" cgroup_v2)" "$(info_get "$P" rootfs)"
fi

# ---- lib.sh: network helpers ----
dpt_veth_add "dpth${S}a" "dpth${S}b"
check "veth exists" test -e "/sys/class/net/dpth${S}b"
dpt_tap_add "dpth${S}t"
check "tap exists" test -e "/sys/class/net/dpth${S}t/tun_flags"
TAPNODE=$(dpt_macvtap_add "dpth${S}m")
check "macvtap node is a char device" test -c "$TAPNODE"
check_eq "macvtap major from /proc/devices" \
        "$(awk '$2 == "macvtap" {print $1}' /proc/devices)" \
        "$((0x$(stat -c %t "$TAPNODE")))"
check "macvtap node opens" bash -c "exec 3<>'$TAPNODE'"

# ---- lib.sh: cleanup runs on failure, in reverse order ----
OUTER=$(dpt_tmpdir)
set +e
bash -c 'set -e
        . "$1/tests/harness/lib.sh"
        d=$(dpt_tmpdir)
        echo "$d" >"$2/dir"
        dpt_veth_add "$3" "$4"
        # Registered after the tmpdir, so it must run before its removal.
        dpt_cleanup_add bash -c "test -d $d && echo reverse >$2/order"
        false
        echo reached >"$2/order"' _ "$SRC_DIR" "$OUTER" "dpth${S}x" "dpth${S}y"
rc=$?
set -e
check_eq "failing script fails" 1 "$rc"
check_eq "cleanups ran in reverse order" reverse "$(cat "$OUTER/order")"
check "failing script left no tmpdir" test ! -e "$(cat "$OUTER/dir")"
check "failing script removed its veth" bash -c \
        "! ip link show dpth${S}x >/dev/null 2>&1"

# ---- LXC ----
if command -v lxc-create >/dev/null; then
        L="dpth-l$S"
        dpt_lxc_create "$L"
        dpt_lxc_start "$L"
        check "lxc init pid" test -d "/proc/$DPT_LXC_PID"
        check_eq "dp-testctr exec into LXC" "$L" \
                "$("$H" exec "$DPT_LXC_PID" hostname)"
        check_eq "LXC /dev/null" OK "$("$H" open "$DPT_LXC_PID" /dev/null)"
        lxc-stop -k -n "$L"
        lxc-destroy -n "$L"
        check "LXC container destroyed" bash -c "! lxc-ls -1 | grep -qx '$L'"
else
        echo "note: LXC not installed, dpt_lxc_* not tested" >&2
fi

# Nothing of ours may be left in the harness state.
check "no state left" bash -c "! ls /run/dp-test 2>/dev/null | grep -q 'dpth-.$S\$'"
echo "harness-selftest: $CHECKS checks passed"
