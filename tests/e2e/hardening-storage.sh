#!/bin/bash
# Storage faults under devpassd, on the real kernel.
# 1. The state dir on a 64 KiB tmpfs that is full: the agent still grants
#    (the ledger lives in memory), says that it cannot save, and writes the
#    ledger once space is back.
# 2. A truncated ledger, then one with "version": 99: the agent starts,
#    says it starts afresh, and the kernel state (the container's /dev and
#    its devices.list) equals the policy's, also after the next unplug.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hardening-lib.sh"
dpt_require_cmd losetup

agent_setup
hl_ctr_start --v1-deny
hl_require_cg
hl_block_policy storage

lines() { grep -c "^b 7:$1 " "$CG/devices.list" || true; }
granted() { in_ctr "$CTR" test -b "/dev/loop$1" && [ "$(lines "$1")" = 1 ]; }
revoked() { ! in_ctr "$CTR" test -e "/dev/loop$1" && [ "$(lines "$1")" = 0 ]; }

# ---- 1. a full state dir ----
STATE=$AGENT_DIR/state
mount -t tmpfs -o size=64k,mode=0700 dpt-state "$STATE"
dpt_cleanup_add umount -l "$STATE"
dd if=/dev/zero of="$STATE/filler" bs=4k 2>/dev/null || true
[ "$(df --output=avail -k "$STATE" | tail -n 1 | tr -d ' ')" = 0 ] || fail "could not fill the state dir"
agent_start
L=$(loop_add "$img")
m=${L#/dev/loop}
dpt_wait_for 2000 granted "$m" || fail "no grant with a full state dir"
[ "$(dpt_ctr_open "$CTR" "$L" r)" = OK ] || fail "$L does not open inside"
dpt_wait_for 2000 grep -q 'Failed to save ledger' "$AGENT_LOG" ||
        fail "the agent did not say that it cannot save"
grep -m1 'Failed to save ledger' "$AGENT_LOG"
ctl list --json | grep -q "$m" || fail "the grant is not in the agent's memory"
rm -f "$STATE/filler"
dpt_wait_for 3000 grep -rqs "loop$m" "$STATE/grants" ||
        fail "the ledger was not saved once space came back"
echo "full state dir: granted in memory, saved when space came back"
agent_kill
umount -l "$STATE"

# ---- 2. damaged ledgers ----
check_afresh() {
        local what=$1 n
        n=$(grep -c 'Ledger entries in .* were unreadable' "$AGENT_LOG" || true)
        agent_start
        dpt_wait_for 2000 sh -c "[ \$(grep -c 'Ledger entries in .* were unreadable' '$AGENT_LOG') -gt $n ]" ||
                fail "$what: the agent did not say it starts afresh"
        dpt_wait_for 2000 granted "$m" || fail "$what: $L not granted (cgroup lines $(lines "$m"))"
        [ "$(dpt_ctr_open "$CTR" "$L" r)" = OK ] || fail "$what: $L does not open"
        ctl list --json | grep -q "loop$m" || fail "$what: the grant is not listed"
        echo "$what: started afresh, $L granted once"
}
agent_start
dpt_wait_for 2000 granted "$m" || fail "not granted before the damage"
agent_kill
f=$(ls "$STATE"/grants/*.json | head -n 1)
[ -n "$f" ] || fail "no ledger entry to damage"
size=$(stat -c %s "$f")
truncate -s $((size / 2)) "$f"
check_afresh "truncated ledger"
agent_kill
f=$(ls "$STATE"/grants/*.json | head -n 1)
[ -n "$f" ] || fail "no ledger entry to damage"
sed -i 's/"version": *1/"version": 99/' "$f"
grep -q '"version": *99' "$f" || fail "could not set version 99"
check_afresh "version 99 ledger"
# What the policy no longer wants must go, although the grant was
# re-adopted from the kernel rather than made by this agent.
losetup -d "$L"
if ! dpt_wait_for 3000 revoked "$m"; then
        fail "after starting afresh, the unplugged $L is left granted (node inside: $(in_ctr "$CTR" test -e "$L" && echo yes || echo no), cgroup lines: $(lines "$m"))"
fi
echo "unplug after the restart revoked"
kill -0 "$AGENT_PID" || fail "devpassd died"
echo "hardening-storage: all checks passed"
