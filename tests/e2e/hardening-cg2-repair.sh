#!/bin/bash
# A runtime re-applies its cgroup v2 device program behind devpassd's back
# (as systemd's daemon-reload does): its fresh program replaces devpass's
# wrapper, while devpass's pinned grants map still holds the grant. The
# device is denied then; devpassd's periodic check must see that the grant
# is no longer in effect (not only that the map holds it) and wrap again,
# so that the device opens again within 6 s.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hardening-lib.sh"
dpt_require_cmd losetup

agent_setup
hl_ctr_start --v1-deny --v2-runtime-prog
CG2=$("$DPT_HARNESS" info "$CTR" | sed -n 's/^cgroup_v2=//p')
[ -n "$CG2" ] || { echo "SKIP: no cgroup2 hierarchy"; exit 77; }
hl_block_policy cg2
agent_start

L=$(loop_add "$img")
opens() { [ "$(dpt_ctr_open "$CTR" "$L" r)" = OK ]; }
dpt_wait_for 3000 opens || fail "$L not granted: open gives $(dpt_ctr_open "$CTR" "$L" r)"
echo "$L granted and opens inside"

t0=$(now_ms)
"$DPT_HARNESS" v2-reapply "$CTR" || fail "v2-reapply"
after=$(dpt_ctr_open "$CTR" "$L" r)
echo "right after the runtime re-applied its program: $after"
dpt_wait_for 6000 opens || fail "$L still denied 6 s after the runtime re-applied its program ($(dpt_ctr_open "$CTR" "$L" r))"
echo "opens again after $(( $(now_ms) - t0 )) ms"
grep -q "re-applied .*/loop${L#/dev/loop} in pid:$CTR" "$AGENT_LOG" ||
        fail "no repair logged"
# only that cgroup's programs: still one devpass wrapper, the runtime's
# /dev/null still there
[ "$(dpt_ctr_open "$CTR" /dev/null rw)" = OK ] || fail "/dev/null lost"
kill -0 "$AGENT_PID" || fail "devpassd died"
echo "hardening-cg2-repair: all checks passed"
