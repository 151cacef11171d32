#!/bin/bash
# Exclusive=yes: a device that two running containers match goes to one of
# them only; when the holder stops, the other gets it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root

agent_setup
dpt_ctr_start --v1-deny
A=$DPT_PID
dpt_ctr_start --v1-deny
B=$DPT_PID
SZ=$((4096 + RANDOM % 2048))
cat >"$AGENT_DIR/policy/50-excl.policy" <<POL
[Match]
Class=block
Attribute=size=$SZ
[Target]
Container=pid:$A pid:$B
Exclusive=yes
POL
agent_start
img=$(dpt_tmpdir)/img
head -c $((SZ * 512)) /dev/zero >"$img"
L=$(loop_add "$img")
has() { in_ctr "$1" test -b "$L"; }
either() { has "$A" || has "$B"; }
dpt_wait_for 5000 either || fail "nobody got $L"
if has "$A"; then holder=$A other=$B; else holder=$B other=$A; fi
sleep 0.3 # a second grant would come with the same event
has "$other" && fail "$L granted to both containers"
[ "$(ctl list --json | grep -c '"device"')" = 1 ] || fail "ledger: not exactly one grant"
"$DPT_HARNESS" stop "$holder"
dpt_wait_for 5000 has "$other" || fail "$L did not move to the other container"
echo "agent-exclusive: all checks passed"
