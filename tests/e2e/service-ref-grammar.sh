#!/bin/bash
# One grammar of container references for policy, resolution and the CLI,
# on the real kernel and real LXC:
#  - a running LXC container whose name is outside the grammar ('+') is
#    not silently left unmatched by a policy glob: the agent says, once,
#    that no rule can name it, and `devpassctl attach lxc:NAME` fails
#    with the same reason instead of acting on it;
#  - a cgroup: target written absolute (cgroup:/PATH) matches the
#    container the agent tracks by its relative canonical form.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
dpt_require_cmd lxc-create losetup

agent_setup
BAD="dptg+$$"
dpt_lxc_create "$BAD"
dpt_lxc_start "$BAD"
dpt_ctr_start --v1-deny
CTR=$DPT_PID
CG2=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^cgroup_v2=//p')
CG1=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^cgroup_v1=//p')
CGP=${CG2:-$CG1}
[ -n "$CGP" ] || { echo "SKIP: the harness container has no cgroup"; exit 77; }
# the path below its hierarchy's root, written absolute in the policy
REL=
case $CGP in
/sys/fs/cgroup/unified/*) REL=${CGP#/sys/fs/cgroup/unified} ;;
/sys/fs/cgroup/devices/*) REL=${CGP#/sys/fs/cgroup/devices} ;;
/sys/fs/cgroup/*) REL=${CGP#/sys/fs/cgroup} ;;
esac
[ -n "$REL" ] || { echo "SKIP: unknown cgroup root of $CGP"; exit 77; }
S=$((12288 + RANDOM % 2048))
cat >"$AGENT_DIR/policy/50-grammar.policy" <<POL
[Match]
Class=block
Attribute=size=$S
[Target]
Container=lxc:dptg* cgroup:$REL
POL
agent_start --watch "cgroup:$CGP"

img=$(dpt_tmpdir)/g.img
truncate -s $((S * 512)) "$img"
L=$(loop_add "$img")

# the cgroup target, absolute in the policy, relative in the registry
dpt_wait_for 5000 test -b "/proc/$CTR/root$L" ||
        fail "cgroup:$REL did not match the watched container"
ctl list --json | grep -q "\"container\": \"cgroup:${REL#/}\"" ||
        fail "grant not listed under the canonical cgroup reference"

# the unnameable container: a warning naming it and the grammar, once
dpt_wait_for 5000 grep -q "Container lxc:$BAD: container name outside the reference grammar" "$AGENT_LOG" ||
        fail "no warning about lxc:$BAD"
sleep 0.5 # a few more rescans
[ "$(grep -c "Container lxc:$BAD:" "$AGENT_LOG")" = 1 ] || fail "the warning is repeated"
lxc-attach -n "$BAD" -- test -e "$L" && fail "$L reached lxc:$BAD"

# the CLI refuses the name with the same reason, with and without agent
set +e
out=$(ctl attach "lxc:$BAD" "$L" 2>&1); rc=$?
set -e
[ $rc = 1 ] || fail "attach lxc:$BAD through the agent: rc=$rc ($out)"
echo "$out" | grep -q "outside the reference grammar" || fail "unclear refusal: $out"
agent_kill
set +e
out=$(ctl attach "lxc:$BAD" "$L" 2>&1); rc=$?
set -e
[ $rc = 1 ] || fail "attach lxc:$BAD without agent: rc=$rc ($out)"
echo "$out" | grep -q "outside the reference grammar" || fail "unclear refusal (no agent): $out"
lxc-attach -n "$BAD" -- test -e "$L" && fail "$L reached lxc:$BAD"
echo "service-ref-grammar: all checks passed"
