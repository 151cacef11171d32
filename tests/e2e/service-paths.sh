#!/bin/bash
# Every verb gives the same answer through the agent (IPC) and through
# devpassctl acting alone (no agent): one table of requests runs through
# both paths, in the same order over the same state, and the exit codes,
# the error lines and the JSON answers (keys sorted) must be equal. The
# verbs are core services; the two programs only carry requests.
# status and reload have no agent-less path (there is nothing to report or
# reload without an agent): they are asked of the agent only, and their
# answer is checked against the ledger and the policy.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness/lib.sh"
source "$HERE/agent-lib.sh"
dpt_require_root
dpt_require_cmd jq

agent_setup
dpt_ctr_start --v1-deny
CTR=$DPT_PID
SA=$((8192 + RANDOM % 2048))
SD=$((SA + 8))
imga=$(dpt_tmpdir)/dpsp-a.img
imgd=$(dpt_tmpdir)/dpsp-d.img
head -c $((SA * 512)) /dev/zero >"$imga"
head -c $((SD * 512)) /dev/zero >"$imgd"
LA=$(loop_add "$imga")
LD=$(loop_add "$imgd")
# the allowed device's rule targets no running container, so that the
# policy itself grants nothing and manual grants are all there is
printf '[Match]\nClass=block\nAttribute=size=%s\n[Grant]\nAction=deny\n' "$SD" \
        >"$AGENT_DIR/policy/10-dpsp-deny.policy"
printf '[Match]\nClass=block\nAttribute=size=%s\n[Target]\nContainer=lxc:dpsp-none-*\n' "$SA" \
        >"$AGENT_DIR/policy/20-dpsp-allow.policy"

# one request per line: the verb and its arguments (word-split)
TABLE=(
        "attach pid:$CTR $LA --path /dev/dpsp0 --mode 0640 --json"
        "attach pid:$CTR $LA --path /dev/dpsp1 --json"
        "attach pid:$CTR $LD --path /dev/dpsp2 --json"
        "attach pid:$CTR /dev/dpsp-no-such-node --json"
        "attach pid:$CTR $LA --mode 99999 --json"
        "attach pid:$CTR $LA --path relative/x --json"
        "list --json"
        "explain $LA --json"
        "explain $LD --json"
        "explain /dev/dpsp-no-such-node --json"
        "detach pid:$CTR /dev/dpsp-no-such-node"
        "detach pid:$CTR $LA"
        "detach pid:$CTR $LA"
        "list --json"
)

# a policy with an error: attach is refused (what it denies is unknown) and
# explain says why, alike on both paths
BROKEN=(
        "attach pid:$CTR $LA --path /dev/dpsp3 --json"
        "explain $LA --json"
        "list --json"
)

# run_table TABLE DIR [GLOBAL-OPTS…]: each answer into DIR/N.{rc,out,err}
run_table() {
        local -n tab=$1
        local dir=$2 i=0 rc
        shift 2
        mkdir -p "$dir"
        for req in "${tab[@]}"; do
                # shellcheck disable=SC2086
                set +e
                ctl "$@" $req >"$dir/$i.raw" 2>"$dir/$i.err"
                rc=$?
                set -e
                echo "$rc" >"$dir/$i.rc"
                if [ -s "$dir/$i.raw" ] && jq -e . "$dir/$i.raw" >/dev/null 2>&1; then
                        jq -S . "$dir/$i.raw" >"$dir/$i.out"
                else
                        cp "$dir/$i.raw" "$dir/$i.out"
                fi
                i=$((i + 1))
        done
}

# compare TABLE LOCAL-DIR AGENT-DIR
compare() {
        local -n tab=$1
        local fails=0 i f
        for i in "${!tab[@]}"; do
                for f in rc out err; do
                        if ! cmp -s "$2/$i.$f" "$3/$i.$f"; then
                                echo "DIFF in '${tab[$i]}' ($f):" >&2
                                diff "$2/$i.$f" "$3/$i.$f" >&2 || true
                                fails=$((fails + 1))
                        fi
                done
        done
        [ "$fails" -eq 0 ] || fail "$fails answers differ between the agent and devpassctl alone"
}

# no agent: devpassctl reads the policy dir itself
run_table TABLE "$AGENT_DIR/local" --policy-dir "$AGENT_DIR/policy"
in_ctr "$CTR" test -e /dev/dpsp2 && fail "no agent: the denied device was granted"
agent_start
run_table TABLE "$AGENT_DIR/agent"
compare TABLE "$AGENT_DIR/local" "$AGENT_DIR/agent"

# the answers are the expected ones, not merely equal
A=$AGENT_DIR/agent
expect_rc() { [ "$(cat "$A/$1.rc")" = "$2" ] || fail "'${TABLE[$1]}': rc $(cat "$A/$1.rc"), want $2: $(cat "$A/$1.err")"; }
expect_rc 0 0
jq -e '.nodes[0].path == "/dev/dpsp0" and .source == "manual"' "$A/0.out" >/dev/null ||
        fail "attach answer: $(cat "$A/0.out")"
expect_rc 1 1
grep -q "already attached" "$A/1.err" || fail "second attach: $(cat "$A/1.err")"
expect_rc 2 1
grep -q "denied by policy rule 10-dpsp-deny.policy:1" "$A/2.err" || fail "denied attach: $(cat "$A/2.err")"
expect_rc 3 1
expect_rc 4 2
expect_rc 5 2
jq -e 'length == 1 and .[0].nodes[0].path == "/dev/dpsp0"' "$A/6.out" >/dev/null ||
        fail "list: $(cat "$A/6.out")"
jq -e '.rule == "20-dpsp-allow.policy:1" and .action == "allow" and .containers == []' \
        "$A/7.out" >/dev/null || fail "explain allowed: $(cat "$A/7.out")"
jq -e '.rule == "10-dpsp-deny.policy:1" and .action == "deny"' "$A/8.out" >/dev/null ||
        fail "explain denied: $(cat "$A/8.out")"
expect_rc 9 1
expect_rc 10 1
expect_rc 11 0
expect_rc 12 1
jq -e 'length == 0' "$A/13.out" >/dev/null || fail "list after detach: $(cat "$A/13.out")"

# agent only: status counts what the ledger and the policy hold
ctl status --json | jq -e '.policy_rules == 2 and .grants == 0 and .policy_error == null
        and (.version | type) == "string" and (.pid | type) == "number"' >/dev/null ||
        fail "status: $(ctl status --json)"
ctl reload --json | jq -e '.rules == 2' >/dev/null || fail "reload: $(ctl reload --json 2>&1)"

agent_kill
printf '[Match]\nClass=block\nBogus=1\n' >"$AGENT_DIR/policy/30-dpsp-bad.policy"
run_table BROKEN "$AGENT_DIR/blocal" --policy-dir "$AGENT_DIR/policy"
agent_start
run_table BROKEN "$AGENT_DIR/bagent"
compare BROKEN "$AGENT_DIR/blocal" "$AGENT_DIR/bagent"
B=$AGENT_DIR/bagent
[ "$(cat "$B/0.rc")" = 1 ] && grep -q "30-dpsp-bad.policy:3:1" "$B/0.err" ||
        fail "attach under a broken policy: $(cat "$B/0.err")"
[ "$(cat "$B/1.rc")" = 1 ] && grep -q "30-dpsp-bad.policy:3:1" "$B/1.err" ||
        fail "explain under a broken policy: $(cat "$B/1.err")"
in_ctr "$CTR" test -e /dev/dpsp3 && fail "attach under a broken policy granted"
echo "service-paths: $((${#TABLE[@]} + ${#BROKEN[@]})) requests, both paths answer alike"
