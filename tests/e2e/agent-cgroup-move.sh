#!/bin/bash
# A container's init moved after its grant, as a systemd inside it or a
# runtime moves it. Into a cgroup v1 child made before the grant (a child
# keeps the device list it was made with, so the grant's rule is not
# there): the open from the child fails with EPERM, until the agent's
# verify pass allows the rule there too; the detach's deny at the grant's
# cgroup reaches the child (EPERM again, the rule gone from its list). Out
# of the grant's cgroup: the agent says once that the grant no longer
# governs the container, and allows nothing where the init went.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
V1=/sys/fs/cgroup/devices
[ -f "$V1/devices.allow" ] || { echo "SKIP: this machine has no cgroup v1 devices controller"; exit 77; }

agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
TOP=$V1$(sed -n 's/^[0-9]*:devices://p' "/proc/$CTR/cgroup")
[ -d "$TOP" ] || fail "no v1 devices cgroup for the container ($TOP)"
sfx=$(printf '%04x' $((RANDOM % 65536)))
INNER=$TOP/dpt-inner
OUT=$V1/dpt-out-$sfx
# the processes back into the container's cgroup, then the extra dirs go
back() {
        local d p
        for d in "$INNER" "$OUT"; do
                [ -d "$d" ] || continue
                for p in $(cat "$d/cgroup.procs"); do echo "$p" >"$TOP/cgroup.procs"; done
                rmdir "$d"
        done
}
dpt_cleanup_add back
mkdir "$INNER" "$OUT"

S=$((8192 + RANDOM % 4096))
img=$(dpt_tmpdir)/move.img
head -c $((S * 512)) /dev/zero >"$img"
L=$(loop_add "$img")
mm=$(stat -c '%t %T' "$L")
rule="b $((16#${mm% *})):$((16#${mm#* }))"
printf '[Match]\nClass=block\nAttribute=size=%s\n[Target]\nContainer=pid:%s\n[Grant]\nAccess=r\n' \
        "$S" "$CTR" >"$AGENT_DIR/policy/50-move.policy"
agent_start
dpt_wait_for 5000 in_ctr "$CTR" test -b "$L" || fail "$L not granted"
[ "$(dpt_ctr_open "$CTR" "$L" r)" = OK ] || fail "$L does not open before the move"
grep -q "^$rule " "$INNER/devices.list" && fail "$INNER was made after the grant: test broken"

# the move while the agent is stopped: nothing can have fixed it yet
kill -STOP "$AGENT_PID"
dpt_cleanup_add kill -CONT "$AGENT_PID"
echo "$CTR" >"$INNER/cgroup.procs"
r=$(dpt_ctr_open "$CTR" "$L" r)
kill -CONT "$AGENT_PID"
[ "$r" = EPERM ] || fail "from $INNER before the agent saw the move: $r (the kernel should deny)"
dpt_wait_for 5000 sh -c "[ \"\$('$DPT_HARNESS' open $CTR $L r)\" = OK ]" ||
        fail "from $INNER: $(dpt_ctr_open "$CTR" "$L" r) after the agent's verify pass"
grep -q "^$rule r" "$INNER/devices.list" || fail "$rule r not in $INNER/devices.list"
grep -q "allowed in $INNER too" "$AGENT_LOG" || fail "no log line for the rule in $INNER"
echo "moved into a v1 child: EPERM, then allowed there by the verify pass"

# a node made from the host outlives the detach: it must not open after it
mknod "/proc/$CTR/root/dev/dpt-mv" b $((16#${mm% *})) $((16#${mm#* }))
ctl detach "pid:$CTR" "$L" >/dev/null || fail "detach"
r=$(dpt_ctr_open "$CTR" /dev/dpt-mv r)
[ "$r" = EPERM ] || fail "host-made node opens from $INNER after the detach: $r"
grep -q "^$rule " "$INNER/devices.list" && fail "$rule left in $INNER/devices.list after the detach"
echo "detach: the deny at the grant's cgroup reached $INNER"

# out of the grant's cgroup: said, not followed (granted with the init at
# the top again: v1 refuses a child what its parent lacks)
echo "$CTR" >"$TOP/cgroup.procs"
ctl attach "pid:$CTR" "$L" >/dev/null || fail "attach again"
echo "$CTR" >"$OUT/cgroup.procs"
dpt_wait_for 5000 grep -q "The init of pid:$CTR left $TOP" "$AGENT_LOG" ||
        fail "no warning that the init left $TOP"
sleep 1.5 # another verify pass: the warning is said once, nothing is allowed
[ "$(grep -c "The init of pid:$CTR left" "$AGENT_LOG")" = 1 ] || fail "the warning was repeated"
grep -q "^$rule " "$OUT/devices.list" && fail "$rule allowed in $OUT, where the init went"
echo "$CTR" >"$TOP/cgroup.procs"
echo "PASS: agent-cgroup-move"
