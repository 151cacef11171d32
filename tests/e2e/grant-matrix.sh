#!/bin/bash
# The grant engine through `devpassctl` acting alone (no agent), for each
# kind of container: a privileged harness container, a user-namespaced one
# and a real LXC 5 container. In each: a real loop device is attached, read
# inside with dd, detached, and then neither the node nor cgroup access
# remains; GPU (226), USB (189) and input (13) majors, which have no driver
# here, open with ENXIO while granted and EPERM after the revoke (through
# the real engine, tests/e2e/grant-cli.c); a real macvtap char device is
# attached and opened inside; a veth
# end and a tap are moved in, renamed, up, seen by `ip link` inside, then
# detached and restored with the original name and MAC.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root

agent_setup # only for a private state dir and a socket nobody listens on
GRANT=$BUILD_DIR/tests/e2e/dpt-grant
sfx=$(printf '%03x' $((RANDOM % 4096)))
img=$(dpt_tmpdir)/disk.img
head -c 1048576 /dev/zero >"$img"
printf 'matrix-%s' "$sfx" | dd of="$img" conv=notrunc status=none
LOOP=$(loop_add "$img")

# run_in KIND ID CMD...: a command inside the container
run_in() {
        local kind=$1 id=$2
        shift 2
        if [ "$kind" = lxc ]; then lxc-attach -n "$id" -- "$@"; else in_ctr "$id" "$@"; fi
}
# opens PATH inside and prints OK or the errno name
open_in() {
        local kind=$1 id=$2 path=$3 pid=$2
        [ "$kind" = lxc ] && pid=$(lxc-info -n "$id" -pH)
        "$DPT_HARNESS" open "$pid" "$path" "${4:-r}" || true
}

check_kind() {
        local kind=$1 id=$2 ref=$3 n=$4
        local lname="dptm${sfx}${n}"

        # ---- loop: attach, read, detach ----
        ctl attach "$ref" "$LOOP" --path /dev/xdisk --mode 0640 >/dev/null ||
                fail "$kind: attach loop"
        run_in "$kind" "$id" dd if=/dev/xdisk bs=512 count=1 2>/dev/null |
                grep -q "matrix-$sfx" || fail "$kind: cannot read the loop device inside"
        [ "$(run_in "$kind" "$id" stat -c %a /dev/xdisk)" = 640 ] || fail "$kind: mode"
        ctl list --json | grep -q "\"container\": \"$ref\"" || fail "$kind: not listed"
        ctl detach "$ref" "$LOOP" || fail "$kind: detach loop"
        run_in "$kind" "$id" test -e /dev/xdisk && fail "$kind: node left after detach"
        # access is gone too: a node made inside by hand does not open
        run_in "$kind" "$id" mknod /dev/xprobe b 7 "${LOOP#/dev/loop}" 2>/dev/null || true
        if run_in "$kind" "$id" test -b /dev/xprobe; then
                r=$(open_in "$kind" "$id" /dev/xprobe)
                run_in "$kind" "$id" rm -f /dev/xprobe
                [ "$r" = EPERM ] || fail "$kind: loop still opens after detach ($r)"
        fi

        # ---- GPU, USB and input majors without the hardware: a node of a
        # major with no driver opens with ENXIO when the cgroup allows it
        # and with EPERM when it does not (the fake-major trick) ----
        local fake=(c:226:0:/dev/dri/card0 c:189:1:/dev/bus/usb/001/002
                    c:13:67:/dev/input/event3)
        "$GRANT" attach "$AGENT_DIR/state" "$ref" fake$n "${fake[@]}" >/dev/null ||
                fail "$kind: fake-major attach"
        for f in "${fake[@]}"; do
                p=${f##*:}
                r=$(open_in "$kind" "$id" "$p" rw)
                [ "$r" = ENXIO ] || fail "$kind: $p granted but opens with $r"
        done
        out=$("$GRANT" detach "$AGENT_DIR/state" "$ref" fake$n 2>&1) || fail "$kind: fake-major detach: $out"
        for f in "${fake[@]}"; do
                IFS=: read -r _ maj min p <<<"$f"
                run_in "$kind" "$id" test -e "$p" && fail "$kind: $p left after detach"
                run_in "$kind" "$id" mkdir -p "${p%/*}"
                run_in "$kind" "$id" mknod "$p" c "$maj" "$min" 2>/dev/null || true
                if run_in "$kind" "$id" test -c "$p"; then
                        r=$(open_in "$kind" "$id" "$p" rw)
                        run_in "$kind" "$id" rm -f "$p"
                        [ "$r" = EPERM ] || fail "$kind: $p revoked but opens with $r"
                fi
        done

        # ---- macvtap: attach and open ----
        ip link add "${lname}l" type veth peer name "${lname}p"
        dpt_cleanup_add ip link del "${lname}l"
        ip link add link "${lname}l" name "${lname}m" type macvtap
        local tap=/dev/tap$(cat "/sys/class/net/${lname}m/ifindex")
        ctl attach "$ref" "$tap" >/dev/null || fail "$kind: attach macvtap"
        [ "$(open_in "$kind" "$id" "$tap" rw)" = OK ] || fail "$kind: macvtap does not open"
        ctl detach "$ref" "$tap" || fail "$kind: detach macvtap"
        ip link del "${lname}m"

        # ---- veth end and tap: moved in, renamed, up, back restored ----
        ip link add "${lname}a" type veth peer name "${lname}b"
        dpt_cleanup_add ip link del "${lname}b"
        ip link set "${lname}a" up
        ip tuntap add dev "${lname}t" mode tap
        dpt_cleanup_add ip link del "${lname}t"
        ip link set "${lname}t" address 02:00:5e:00:53:$(printf '%02x' "$n") mtu 1400
        for dev in "${lname}a" "${lname}t"; do
                local mac
                mac=$(cat "/sys/class/net/$dev/address")
                ctl attach "$ref" "$dev" --name "lan$n" >/dev/null || fail "$kind: attach $dev"
                ip link show "$dev" >/dev/null 2>&1 && fail "$kind: $dev still on the host"
                run_in "$kind" "$id" ip link show "lan$n" | grep -q "$mac" ||
                        fail "$kind: $dev not seen as lan$n inside"
                ctl detach "$ref" "$dev" || fail "$kind: detach $dev"
                [ "$(cat "/sys/class/net/$dev/address")" = "$mac" ] || fail "$kind: $dev MAC not restored"
        done
        ip link show "${lname}a" | grep -q "state UP\|,UP" || fail "$kind: veth not up again"
        [ "$(cat "/sys/class/net/${lname}t/mtu")" = 1400 ] || fail "$kind: tap MTU not restored"
        echo "grant-matrix: $kind ok"
}

dpt_ctr_start --v1-deny
check_kind harness "$DPT_PID" "pid:$DPT_PID" 1
dpt_ctr_start --userns --v1-deny
check_kind userns "$DPT_PID" "pid:$DPT_PID" 2
LXC=dpt-mx-$sfx
dpt_lxc_create "$LXC"
dpt_lxc_start "$LXC"
check_kind lxc "$LXC" "lxc:$LXC" 3

# a stopped container: one clear line, exit 1
lxc-stop -k -n "$LXC"
set +e
ctl attach "lxc:$LXC" "$LOOP" 2>"$AGENT_DIR/err"; rc=$?
set -e
[ $rc -eq 1 ] && [ "$(wc -l <"$AGENT_DIR/err")" -eq 1 ] ||
        fail "stopped container: rc=$rc $(cat "$AGENT_DIR/err")"
echo "grant-matrix: all checks passed"
