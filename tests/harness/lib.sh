# shellcheck shell=bash disable=SC2034
# SPDX-License-Identifier: MIT
# Shell library for devpass end-to-end tests (bash). Source it:
#
#   set -euo pipefail
#   . "$SRC_DIR/tests/harness/lib.sh"
#   dpt_require_root
#   dpt_ctr_start --v1-deny          # sets DPT_PID and DPT_NAME
#   loop=$(dpt_loop_add)
#
# Everything a helper creates is registered for cleanup; an EXIT trap undoes
# it in reverse order, also when the test fails or is interrupted. The
# registry is a file, so helpers called inside $(...) register too.
# Helpers that set variables (dpt_ctr_start, dpt_lxc_start) must be called
# directly, not inside $(...).

if [[ -n "${DPT_LIB_LOADED:-}" ]]; then
        return 0
fi
DPT_LIB_LOADED=1

DPT_MAIN_PID=$BASHPID
DPT_CLEANUP_FILE=$(mktemp /tmp/dpt-cleanup.XXXXXX) || {
        echo "dpt: cannot create cleanup registry" >&2
        exit 1
}

dpt_fail() {
        echo "dpt: FAIL: $*" >&2
        exit 1
}

dpt_log() {
        echo "dpt: $*" >&2
}

# dpt_cleanup_add CMD [ARGS...]: run CMD at exit (last added runs first).
dpt_cleanup_add() {
        [[ $# -gt 0 ]] || dpt_fail "dpt_cleanup_add: no command"
        local q
        q=$(printf '%q ' "$@")
        printf '%s\n' "$q" >>"$DPT_CLEANUP_FILE"
}

_dpt_run_cleanups() {
        local rc=$? line
        # Subshells do not inherit the trap, but be sure only the shell
        # that sourced the library cleans up.
        [[ "$BASHPID" == "$DPT_MAIN_PID" ]] || return "$rc"
        set +e
        trap - EXIT INT TERM HUP
        if [[ -f "$DPT_CLEANUP_FILE" ]]; then
                while IFS= read -r line; do
                        [[ -n "$line" ]] || continue
                        eval "$line" >/dev/null 2>&1 ||
                                echo "dpt: cleanup failed (ignored): $line" >&2
                done < <(tac "$DPT_CLEANUP_FILE")
                rm -f "$DPT_CLEANUP_FILE"
        fi
        exit "$rc"
}
trap _dpt_run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Exits 77 (ctest's skip code) unless running as root.
dpt_require_root() {
        if [[ "$(id -u)" != 0 ]]; then
                echo "SKIP: this test needs root (running as uid $(id -u))" >&2
                exit 77
        fi
}

# Exits 77 naming what is missing unless every command exists.
dpt_require_cmd() {
        local c
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 ||
                        { echo "SKIP: '$c' is not installed" >&2; exit 77; }
        done
}

# Echoes a fresh temporary directory, removed at exit.
dpt_tmpdir() {
        local d
        d=$(mktemp -d /tmp/dpt.XXXXXX) || dpt_fail "mktemp -d"
        dpt_cleanup_add rm -rf -- "$d"
        echo "$d"
}

# Echoes the path of dp-testctr.
dpt_harness() {
        local h=${DPT_HARNESS:-${BUILD_DIR:+$BUILD_DIR/tests/harness/dp-testctr}}
        [[ -n "$h" && -x "$h" ]] ||
                dpt_fail "dp-testctr not found: set DPT_HARNESS or BUILD_DIR"
        echo "$h"
}

# dpt_ctr_start [dp-testctr start options]: sets DPT_PID and DPT_NAME.
dpt_ctr_start() {
        local h out
        h=$(dpt_harness) || exit 1
        out=$("$h" start "$@") || dpt_fail "dp-testctr start $*"
        read -r DPT_PID DPT_NAME <<<"$out"
        [[ -n "${DPT_NAME:-}" ]] || dpt_fail "dp-testctr start printed '$out'"
        dpt_cleanup_add "$h" stop "$DPT_NAME"
}

# dpt_ctr_exec PID CMD...: runs CMD inside the container.
dpt_ctr_exec() {
        local h
        h=$(dpt_harness) || exit 1
        "$h" exec "$@"
}

# dpt_ctr_open PID PATH [r|w|rw]: echoes OK or the errno name.
dpt_ctr_open() {
        local h
        h=$(dpt_harness) || exit 1
        "$h" open "$@" || true
}

# dpt_lxc_create NAME [CONFIG-LINE...]: a busybox LXC container, no
# network; privileged unless a line maps ids (lxc.idmap).
# The busybox template sets no device policy (its cgroup allows every
# device), so the container gets LXC's own default list (common.conf) to
# make device grants observable.
dpt_lxc_create() {
        local name=$1 conf
        [[ -n "$name" ]] || dpt_fail "dpt_lxc_create: no name"
        dpt_require_cmd lxc-create lxc-destroy
        conf=$(mktemp /tmp/dpt-lxc.XXXXXX) || dpt_fail "mktemp"
        printf '%s\n' "lxc.net.0.type = empty" \
                "lxc.apparmor.profile = unconfined" \
                "lxc.cgroup.devices.deny = a" \
                "lxc.cgroup.devices.allow = c *:* m" \
                "lxc.cgroup.devices.allow = b *:* m" \
                "lxc.cgroup.devices.allow = c 1:3 rwm" \
                "lxc.cgroup.devices.allow = c 1:5 rwm" \
                "lxc.cgroup.devices.allow = c 1:7 rwm" \
                "lxc.cgroup.devices.allow = c 1:8 rwm" \
                "lxc.cgroup.devices.allow = c 1:9 rwm" \
                "lxc.cgroup.devices.allow = c 5:0 rwm" \
                "lxc.cgroup.devices.allow = c 5:1 rwm" \
                "lxc.cgroup.devices.allow = c 5:2 rwm" \
                "lxc.cgroup.devices.allow = c 136:* rwm" "${@:2}" >"$conf"
        # Registered first, so that it also sweeps a half-created one.
        dpt_cleanup_add _dpt_lxc_cleanup lxc-destroy -f -n "$name"
        if ! lxc-create -q -n "$name" -t busybox -f "$conf" >/dev/null; then
                rm -f "$conf"
                dpt_fail "lxc-create -n $name -t busybox"
        fi
        rm -f "$conf"
}

# dpt_lxc_start NAME: starts it, waits for its init; sets DPT_LXC_PID.
dpt_lxc_start() {
        local name=$1
        dpt_require_cmd lxc-start lxc-stop lxc-info
        dpt_cleanup_add _dpt_lxc_cleanup lxc-stop -k -n "$name"
        lxc-start -n "$name" -d || dpt_fail "lxc-start -n $name"
        dpt_wait_for 10000 _dpt_lxc_has_pid "$name" ||
                dpt_fail "LXC container $name has no init pid"
        DPT_LXC_PID=$(lxc-info -pH -n "$name")
}

# _dpt_lxc_cleanup CMD -n NAME...: runs CMD only if the container still
# exists, so a test that stops or destroys it itself leaves no noise.
_dpt_lxc_cleanup() {
        local name=${*: -1}
        lxc-info -n "$name" >/dev/null 2>&1 || return 0
        "$@"
}

_dpt_lxc_has_pid() {
        local p
        p=$(lxc-info -pH -n "$1" 2>/dev/null) || return 1
        [[ "$p" =~ ^[0-9]+$ ]]
}

# Echoes a new loop block device (7:N) backed by a small temp file.
dpt_loop_add() {
        local d dev
        d=$(dpt_tmpdir) || exit 1
        truncate -s 1M "$d/img" || dpt_fail "truncate $d/img"
        dev=$(losetup -f --show "$d/img") || dpt_fail "losetup -f"
        # by backing file, not by number: a number the test gave up may be
        # another test's at exit
        dpt_cleanup_add sh -c "losetup -j '$d/img' -n -O NAME | xargs -r losetup -d 2>/dev/null || true"
        echo "$dev"
}

# dpt_veth_add NAME PEER: a veth pair (removing either end removes both).
dpt_veth_add() {
        [[ $# -eq 2 ]] || dpt_fail "dpt_veth_add NAME PEER"
        ip link add "$1" type veth peer name "$2" ||
                dpt_fail "ip link add $1 type veth peer name $2"
        # A pair moved into a container's netns dies with it: the delete
        # then fails harmlessly.
        dpt_cleanup_add ip link del "$1"
}

# dpt_tap_add NAME: a tap interface.
dpt_tap_add() {
        [[ $# -eq 1 ]] || dpt_fail "dpt_tap_add NAME"
        ip tuntap add dev "$1" mode tap || dpt_fail "ip tuntap add $1"
        dpt_cleanup_add ip link del "$1"
}

# dpt_macvtap_add NAME: a macvtap on a fresh veth; echoes /dev/tapN
# (N = ifindex), creating the node when no devtmpfs/udev made it.
dpt_macvtap_add() {
        [[ $# -eq 1 ]] || dpt_fail "dpt_macvtap_add NAME"
        local name=$1 lower="${1:0:12}l0" peer="${1:0:12}l1"
        local ifindex devnum node
        dpt_veth_add "$lower" "$peer"
        ip link add link "$lower" name "$name" type macvtap mode bridge ||
                dpt_fail "ip link add $name type macvtap"
        dpt_cleanup_add ip link del "$name"
        ifindex=$(cat "/sys/class/net/$name/ifindex") ||
                dpt_fail "no ifindex for $name"
        node=/dev/tap$ifindex
        # The minor is allocated by the macvtap driver, not the ifindex:
        # take major:minor from sysfs (major as in /proc/devices).
        devnum=$(cat "/sys/class/net/$name/macvtap/tap$ifindex/dev") ||
                dpt_fail "no char device for $name"
        if [[ ! -c "$node" ]]; then
                mknod "$node" c "${devnum%%:*}" "${devnum##*:}" ||
                        dpt_fail "mknod $node"
                dpt_cleanup_add rm -f "$node"
        fi
        echo "$node"
}

# dpt_wait_for TIMEOUT_MS CMD...: polls CMD every 10 ms until it succeeds;
# returns 1 (with a message) on timeout.
dpt_wait_for() {
        local timeout_ms=$1 start now
        shift
        start=$(date +%s%N)
        while :; do
                if "$@" >/dev/null 2>&1; then
                        return 0
                fi
                now=$(date +%s%N)
                if (((now - start) / 1000000 >= timeout_ms)); then
                        echo "dpt: timed out after ${timeout_ms} ms: $*" >&2
                        return 1
                fi
                sleep 0.01
        done
}
