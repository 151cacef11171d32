#!/bin/bash
# SPDX-License-Identifier: MIT
# Device node injection (agent/act/node*.c) into a real LXC container, driven
# through dpt-act: a loop device read from inside, owner/mode as seen inside,
# a nested path, a planted `/dev/dri -> /etc`, removal.
# Usage: act-node-lxc.sh PATH-TO-dpt-act
set -euo pipefail

DPT_ACT=${1:?usage: $0 PATH-TO-dpt-act}
HERE=$(cd "$(dirname "$0")" && pwd)
LIB="$HERE/../harness/lib.sh"
if [[ ! -r $LIB ]]; then
        echo "FAIL: $LIB missing" >&2
        exit 1
fi
# shellcheck source=../harness/lib.sh
source "$LIB"
dpt_require_root
for tool in lxc-create lxc-start lxc-attach losetup; do
        if ! command -v "$tool" >/dev/null; then
                echo "SKIP: $tool not installed" >&2
                exit 77
        fi
done

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

NAME=dptnlxc$$
dpt_lxc_create "$NAME"
dpt_lxc_start "$NAME"
PID=$(lxc-info -pH -n "$NAME")
[[ $PID =~ ^[0-9]+$ ]] || fail "no pid for $NAME"
inside() { lxc-attach -n "$NAME" -- "$@"; }

LOOP=$(dpt_loop_add)
MAJ=$((16#$(stat -c %t "$LOOP")))
MIN=$((16#$(stat -c %T "$LOOP")))
MARKER="DPT-LXC-NODE-$$"
printf '%s' "$MARKER" | dd of="$LOOP" conv=notrunc status=none
sync
# LXC may restrict devices (v1); the cgroup is not what this test is about.
CG=/sys/fs/cgroup/devices/lxc.payload.$NAME
if [[ -w $CG/devices.allow ]]; then
        echo "b $MAJ:$MIN rwm" >"$CG/devices.allow"
fi

# 1. A loop device: created, read from inside, adopted, removed.
out=$("$DPT_ACT" create "$PID" /dev/dptloop b "$MAJ" "$MIN" 0640 0 6)
[[ $out == created ]] || fail "create loop: $out"
inside dd if=/dev/dptloop bs=512 count=1 2>/dev/null | grep -q "$MARKER" ||
        fail "marker not read through /dev/dptloop"
[[ $(inside stat -c '%a %u %g' /dev/dptloop) == "640 0 6" ]] ||
        fail "loop node mode/owner"
out=$("$DPT_ACT" create "$PID" /dev/dptloop b "$MAJ" "$MIN" 0640 0 6)
[[ $out == adopted ]] || fail "second create: $out"
out=$("$DPT_ACT" remove "$PID" /dev/dptloop b "$MAJ" "$MIN" 0640 0 6)
[[ $out == removed ]] || fail "remove loop: $out"
if inside test -e /dev/dptloop; then fail "/dev/dptloop still there"; fi

# 2. Nested path with a missing directory; owner and mode as seen inside.
inside rm -rf /dev/dri
out=$("$DPT_ACT" create "$PID" /dev/dri/card0 c 226 0 0660 1000 44)
[[ $out == created ]] || fail "create card0: $out"
[[ $(inside stat -c '%a %u %g %t:%T' /dev/dri/card0) == "660 1000 44 e2:0" ]] ||
        fail "card0 mode/owner/rdev"
[[ $(inside stat -c '%a %u %g' /dev/dri) == "755 0 0" ]] || fail "/dev/dri"
out=$("$DPT_ACT" present "$PID" /dev/dri/card0 c 226 0 0660 1000 44)
[[ $out == present ]] || fail "present: $out"
out=$("$DPT_ACT" remove "$PID" /dev/dri/card0 c 226 0 0660 1000 44)
[[ $out == removed ]] || fail "remove card0: $out"

# 3. A planted `/dev/dri -> /etc`: refused, nothing created anywhere.
inside sh -c 'rm -rf /dev/dri && ln -s /etc /dev/dri'
out=$("$DPT_ACT" create "$PID" /dev/dri/dptcard$$ c 226 0 0666 0 0) &&
        fail "create through a symlink succeeded"
[[ $out == ELOOP ]] || fail "symlinked dir: $out"
[[ ! -e /etc/dptcard$$ ]] || fail "created on the host"
if inside test -e /etc/dptcard$$; then fail "created in the container's /etc"; fi

# 4. Something else at the target is left alone.
inside sh -c 'echo x > /dev/dptreg'
out=$("$DPT_ACT" create "$PID" /dev/dptreg c 226 0 0666 0 0) &&
        fail "create over a regular file succeeded"
[[ $out == EEXIST ]] || fail "regular file: $out"
[[ $(inside cat /dev/dptreg) == x ]] || fail "regular file touched"
echo "PASS"
