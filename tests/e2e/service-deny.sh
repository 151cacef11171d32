#!/bin/bash
# Action=deny is applied by the core, on every path: `devpassctl attach`
# with no agent refuses a denied device exactly as the agent does, and a
# denied device that was attached while the agent was down (before the deny
# rule was written) is revoked when the agent starts, with a log line.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root

agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
S=$((6144 + RANDOM % 2048))
img=$(dpt_tmpdir)/dps.img
head -c $((S * 512)) /dev/zero >"$img"
L=$(loop_add "$img")
deny_policy() {
        printf '[Match]\nClass=block\nAttribute=size=%s\n[Grant]\nAction=deny\n' "$S" \
                >"$AGENT_DIR/policy/10-dps-deny.policy"
}
lctl() { ctl --policy-dir "$AGENT_DIR/policy" "$@"; }

# 1. no agent, a deny rule: the CLI acting alone refuses, as the agent does
deny_policy
set +e
out=$(lctl attach "pid:$CTR" "$L" --path /dev/dps0 2>&1); rc=$?
set -e
in_ctr "$CTR" test -e /dev/dps0 && fail "no agent: a denied device was granted ($out)"
[ $rc -eq 1 ] || fail "no agent: denied attach rc=$rc: $out"
echo "$out" | grep -q "denied by policy rule 10-dps-deny.policy:1" || fail "no agent: unclear refusal: $out"
lctl list --json | grep -q "$L" && fail "no agent: the ledger records the denied device"

# 2. the agent refuses with the same words
agent_start
set +e
aout=$(ctl attach "pid:$CTR" "$L" --path /dev/dps0 2>&1); rc=$?
set -e
[ $rc -eq 1 ] || fail "agent: denied attach rc=$rc"
[ "$aout" = "$out" ] || fail "agent and CLI answer differently: '$aout' vs '$out'"
agent_kill

# 3. attached while the agent was down and before the deny rule existed:
# the agent revokes it at start and says why
rm "$AGENT_DIR/policy/10-dps-deny.policy"
lctl attach "pid:$CTR" "$L" --path /dev/dps0 >/dev/null || fail "no agent: attach without a deny rule"
in_ctr "$CTR" test -b /dev/dps0 || fail "no agent: node not made"
deny_policy
agent_start
dpt_wait_for 5000 sh -c "! '$DPT_HARNESS' exec $CTR test -e /dev/dps0" ||
        fail "agent kept a denied device attached while it was down"
grep -q "revoke .* from pid:$CTR: denied by policy rule 10-dps-deny.policy:1" "$AGENT_LOG" ||
        fail "no log line for the revoke of the denied device"
ctl list --json | grep -q "$L" && fail "ledger still has the denied grant"
echo "service-deny: all checks passed"
