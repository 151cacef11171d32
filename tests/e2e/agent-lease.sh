#!/bin/bash
# Leases on the real kernel (loop devices, a harness container with a v1
# device cgroup): `attach --for` is revoked when its time is up (node gone,
# cgroup denies) and not before; `renew` moves the end; a lease that ends
# while the agent is dead (kill -9) is revoked at the next start; a policy
# Lease= is served once per container instance, also across a restart;
# without an agent the next devpassctl call revokes what ran out.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root

agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
CG=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^cgroup_v1=//p')
[ -n "$CG" ] || { echo "SKIP: no cgroup v1 devices hierarchy"; exit 77; }
img=$(dpt_tmpdir)/img
SZ=$((6144 + RANDOM % 2048))
head -c $((SZ * 512)) /dev/zero >"$img"

allowed() { grep -c "^b 7:$1 " "$CG/devices.list" || true; }
node_in() { in_ctr "$CTR" test -b "/dev/loop$1"; }
gone() { ! node_in "$1" && [ "$(allowed "$1")" = 0 ]; }
granted() { node_in "$1" && [ "$(allowed "$1")" = 1 ] &&
        [ "$("$DPT_HARNESS" open "$CTR" "/dev/loop$1" r)" = OK ]; }
left_s() { ctl list --json | python3 -c '
import json, sys
for g in json.load(sys.stdin):
    if g["device"].endswith("/'"loop$1"'"):
        print(g["lease_left_s"])'; }

agent_start
L=$(loop_add "$img")
m=${L#/dev/loop}

# 1. attach --for 2s: granted, list shows the time left, revoked at the end
t0=$(now_ms)
ctl attach "pid:$CTR" "$L" --for 2s >/dev/null || fail "attach --for"
granted "$m" || fail "leased grant does not work"
out=$(ctl list)
grep -q 'lease: [12]s left' <<<"$out" || fail "list shows no lease: $out"
left=$(left_s "$m")
[ "$left" -ge 1 ] && [ "$left" -le 2 ] || fail "lease_left_s $left"
dpt_wait_for 5000 gone "$m" || fail "lease not revoked"
t=$(($(now_ms) - t0))
[ "$t" -ge 1900 ] || fail "revoked after $t ms, before the lease ended"
[ "$("$DPT_HARNESS" open "$CTR" "$L" r)" != OK ] || fail "still opens"
grep -q "lease expired" "$AGENT_LOG" || fail "no 'lease expired' in the log"
dpt_log "lease of 2 s revoked after $t ms"

# 2. renew moves the end
ctl attach "pid:$CTR" "$L" --for 2s >/dev/null || fail "attach --for (2)"
sleep 1
out=$(ctl renew "pid:$CTR" "$L" --for 30s) || fail "renew"
grep -q 'lease: [23][0-9]s left' <<<"$out" || fail "renew output: $out"
sleep 2
granted "$m" || fail "renewed lease was revoked at its old end"
[ "$(left_s "$m")" -gt 20 ] || fail "renewed lease_left_s $(left_s "$m")"
ctl renew "pid:$CTR" "$L" --for 1x >/dev/null 2>&1 && fail "renew took --for 1x"
[ $? = 2 ] || fail "bad --for is not a usage error"
ctl detach "pid:$CTR" "$L" || fail "detach"

# 3. kill -9, the lease ends while no agent runs, revoked at the next start
ctl attach "pid:$CTR" "$L" --for 2s >/dev/null || fail "attach --for (3)"
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=
sleep 2.5
granted "$m" || fail "grant vanished without an agent"
t0=$(now_ms)
agent_start
dpt_wait_for 3000 gone "$m" || fail "expired lease kept after the restart"
dpt_log "lease ended during a kill -9: revoked $(($(now_ms) - t0)) ms after the start"

# 4. Lease= in a rule: granted once for this container instance
cat >"$AGENT_DIR/policy/50-lease.policy" <<POL
[Match]
Class=block
Attribute=size=$SZ
[Target]
Container=pid:$CTR
[Grant]
Lease=2s
POL
ctl reload >/dev/null || fail "reload"
dpt_wait_for 5000 granted "$m" || fail "Lease= rule did not grant ($L backs $(losetup -nO BACK-FILE "$L" 2>&1), want $img)"
[ -n "$(left_s "$m")" ] || fail "policy grant has no lease"
dpt_wait_for 5000 gone "$m" || fail "Lease= not revoked"
sleep 1.5
gone "$m" || fail "Lease= granted again to the same instance"
agent_kill
agent_start
sleep 1.5
gone "$m" || fail "Lease= granted again after a restart"
rm "$AGENT_DIR/policy/50-lease.policy"
ctl reload >/dev/null
agent_kill

# 5. no agent: the next devpassctl call revokes what ran out
ctl attach "pid:$CTR" "$L" --for 1s >/dev/null || fail "offline attach --for"
granted "$m" || fail "offline leased grant does not work"
sleep 1.5
[ "$(left_s "$m")" = 0 ] || fail "offline list lease_left_s $(left_s "$m")"
out=$(ctl list)
grep -q 'lease ended' <<<"$out" || fail "offline list does not say the lease ended: $out"
out=$(ctl renew "pid:$CTR" "$L" --for 10s 2>&1) && fail "renew of an expired lease"
grep -q 'not attached' <<<"$out" || fail "renew: $out"
gone "$m" || fail "offline: expired lease not revoked by the next call"
echo PASS
